/* test_matmul.c — matmul() against a double-precision reference on the
 * dequantized weights, for every type and awkward shapes (batch 1, 3, 17, odd
 * row counts); SIMD vs portable; threaded vs single-threaded (bit-exact); and
 * the errors for unsupported types and bad shapes. Also the thread pool. */
#include <criterion/criterion.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/matmul.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static float rnd_uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static const GgmlType ALL_TYPES[] = {
    GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
    GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K,
    GGML_TYPE_Q6_K,
};
#define N_ALL ((int)(sizeof ALL_TYPES / sizeof ALL_TYPES[0]))

typedef struct Case {
    int64_t rows, cols, batch;
} Case;

static const Case CASES[] = {
    { 1, 256, 1 }, { 7, 512, 3 }, { 33, 768, 17 }, { 129, 256, 1 }, { 5, 1024, 4 }, { 64, 512, 5 },
};

typedef struct Fixture {
    GgmlType t;
    int64_t rows, cols, batch;
    uint8_t *wq;  /* quantized weights */
    float *wd;    /* the same weights dequantized */
    float *x;
} Fixture;

static void fixture_make(Fixture *f, GgmlType t, Case c)
{
    f->t = t;
    f->rows = c.rows;
    f->cols = c.cols;
    f->batch = c.batch;
    size_t rs = quant_row_size(t, c.cols);
    cr_assert_neq(rs, 0);
    f->wq = malloc(rs * (size_t)c.rows);
    f->wd = malloc(sizeof(float) * (size_t)(c.rows * c.cols));
    f->x = malloc(sizeof(float) * (size_t)(c.batch * c.cols));
    float *row = malloc(sizeof(float) * (size_t)c.cols);
    for (int64_t r = 0; r < c.rows; r++) {
        for (int64_t i = 0; i < c.cols; i++)
            row[i] = rnd_uniform();
        cr_assert_eq(quant_quantize_row(t, row, f->wq + r * rs, c.cols), 0);
        cr_assert_eq(quant_dequantize_row(t, f->wq + r * rs, f->wd + r * c.cols, c.cols), 0);
    }
    for (int64_t i = 0; i < c.batch * c.cols; i++)
        f->x[i] = rnd_uniform() * 2.0f;
    free(row);
}

static void fixture_free(Fixture *f)
{
    free(f->wq);
    free(f->wd);
    free(f->x);
}

static float *run_matmul(const Fixture *f, ThreadPool *pool)
{
    float *y = malloc(sizeof(float) * (size_t)(f->batch * f->rows));
    char err[256] = "";
    int rc = matmul(pool, f->t, f->wq, f->rows, f->cols, f->x, f->batch, y, err, sizeof err);
    cr_assert_eq(rc, 0, "%s: %s", quant_type_name(f->t), err);
    return y;
}

/* Worst |y - ref| / (|w| |x|) over all outputs. Normalising by the norms makes
 * the bound independent of shape: activations quantized to 8 bits (blocks of
 * 32 or 256, step amax/127) perturb x by at most ~0.7% of |x|, so quantized
 * types must stay under 1e-2; float types only differ by summation order. */
static double worst_error(const Fixture *f, const float *y)
{
    double worst = 0;
    for (int64_t b = 0; b < f->batch; b++)
        for (int64_t r = 0; r < f->rows; r++) {
            double ref = 0, nw = 0, nx = 0;
            for (int64_t c = 0; c < f->cols; c++) {
                double w = f->wd[r * f->cols + c], x = f->x[b * f->cols + c];
                ref += w * x;
                nw += w * w;
                nx += x * x;
            }
            double e = fabs(y[b * f->rows + r] - ref) / (sqrt(nw * nx) + 1e-30);
            if (e > worst)
                worst = e;
        }
    return worst;
}

static double tolerance(GgmlType t)
{
    return quant_act_type(t) == QUANT_ACT_F32 ? 1e-5 : 1e-2;
}

Test(matmul, matches_double_reference_for_every_type_and_shape)
{
    ThreadPool *pool = threadpool_new(2);
    for (int k = 0; k < N_ALL; k++)
        for (size_t c = 0; c < sizeof CASES / sizeof CASES[0]; c++) {
            if (CASES[c].cols % quant_block_size(ALL_TYPES[k]))
                continue;
            Fixture f;
            fixture_make(&f, ALL_TYPES[k], CASES[c]);
            float *y = run_matmul(&f, pool);
            double e = worst_error(&f, y);
            cr_expect(e <= tolerance(f.t), "%s rows=%lld cols=%lld batch=%lld: error %g",
                      quant_type_name(f.t), (long long)f.rows, (long long)f.cols,
                      (long long)f.batch, e);
            free(y);
            fixture_free(&f);
        }
    threadpool_free(pool);
}

Test(matmul, threaded_and_single_threaded_agree_exactly)
{
    ThreadPool *p3 = threadpool_new(3);
    for (int k = 0; k < N_ALL; k++) {
        Fixture f;
        fixture_make(&f, ALL_TYPES[k], (Case){ 77, 512, 17 });
        float *a = run_matmul(&f, NULL), *b = run_matmul(&f, p3);
        cr_expect_eq(memcmp(a, b, sizeof(float) * (size_t)(f.rows * f.batch)), 0,
                     "%s differs between 1 and 3 threads", quant_type_name(f.t));
        free(a);
        free(b);
        fixture_free(&f);
    }
    threadpool_free(p3);
}

Test(matmul, simd_and_portable_paths_agree)
{
#if defined(__x86_64__)
    unsigned ea, eb, ec, ed; /* F16C via cpuid: clang 14's __builtin_cpu_supports lacks it */
    bool f16c = __get_cpuid(1, &ea, &eb, &ec, &ed) && (ec & bit_F16C);
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c) {
        /* else there is only one path to compare */
        bool was = quant_set_simd(true);
        cr_assert(quant_simd_active(), "AVX2 CPU but the SIMD kernels are not in use");
        quant_set_simd(was);
    }
#endif
    for (int k = 0; k < N_ALL; k++) {
        Fixture f;
        fixture_make(&f, ALL_TYPES[k], (Case){ 19, 768, 6 });
        bool had = quant_set_simd(true);
        float *a = run_matmul(&f, NULL);
        quant_set_simd(false);
        float *b = run_matmul(&f, NULL);
        quant_set_simd(had);
        for (int64_t i = 0; i < f.rows * f.batch; i++)
            cr_expect_float_eq(a[i], b[i], 1e-4f * (1.0f + fabsf(b[i])), "%s output %lld",
                               quant_type_name(f.t), (long long)i);
        free(a);
        free(b);
        fixture_free(&f);
    }
}

Test(matmul, unsupported_type_and_bad_shapes_give_clear_errors)
{
    float x[512] = { 0 }, y[8];
    uint8_t w[4096] = { 0 };
    char err[256] = "";
    cr_assert_eq(matmul(NULL, GGML_TYPE_Q2_K, w, 1, 256, x, 1, y, err, sizeof err), -1);
    cr_assert(strstr(err, "Q2_K"), "error names the type: %s", err);
    err[0] = 0;
    cr_assert_eq(matmul(NULL, GGML_TYPE_Q4_K, w, 1, 100, x, 1, y, err, sizeof err), -1);
    cr_assert(strstr(err, "256"), "error says the block size: %s", err);
    cr_assert_eq(matmul(NULL, GGML_TYPE_Q8_0, w, -1, 32, x, 1, y, err, sizeof err), -1);
    cr_assert_eq(matmul(NULL, GGML_TYPE_Q8_0, w, 0, 32, x, 1, y, err, sizeof err), 0,
                 "an empty product is fine");
}

static void count_job(void *arg, int idx, int n)
{
    atomic_int *hits = arg;
    cr_assert(idx >= 0 && idx < n);
    atomic_fetch_add(&hits[idx], 1);
}

Test(threadpool, every_slice_runs_once_per_job_many_times_over)
{
    ThreadPool *p = threadpool_new(4);
    cr_assert_eq(threadpool_size(p), 4);
    atomic_int hits[4];
    for (int i = 0; i < 4; i++)
        atomic_init(&hits[i], 0);
    for (int r = 0; r < 2000; r++)
        threadpool_run(p, count_job, hits);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(atomic_load(&hits[i]), 2000, "slice %d ran %d times", i,
                     atomic_load(&hits[i]));
    threadpool_free(p);
    atomic_int one[1];
    atomic_init(&one[0], 0);
    threadpool_run(NULL, count_job, one);
    cr_assert_eq(atomic_load(&one[0]), 1);
    cr_assert_eq(threadpool_size(NULL), 1);
}

/* ---- prepared matrices: panels where the CPU has them ---- */

/* Y through a prepared matrix (matmul_many with one matrix). */
static float *run_prepared(const Fixture *f, ThreadPool *pool, MatmulWeights *w)
{
    float *y = malloc(sizeof(float) * (size_t)(f->batch * f->rows));
    char err[256] = "";
    const MatmulWeights *ws[1] = { w };
    float *ys[1] = { y };
    cr_assert_eq(matmul_many(pool, ws, ys, 1, f->x, f->batch, err, sizeof err), 0, "%s: %s",
                 quant_type_name(f->t), err);
    return y;
}

static MatmulWeights *prepare(const Fixture *f, ThreadPool *pool)
{
    char err[256] = "";
    MatmulWeights *w = matmul_weights_new(pool, f->t, f->wq, f->rows, f->cols, err, sizeof err);
    cr_assert_not_null(w, "%s: %s", quant_type_name(f->t), err);
    return w;
}

/* a and b differ only by float rounding: within 2e-6 of |w| |x| (the size of
 * the terms, not of their possibly cancelling sum). */
static void expect_close(const Fixture *f, const float *a, const float *b, const char *what)
{
    for (int64_t i = 0; i < f->rows * f->batch; i++) {
        int64_t bi = i / f->rows, r = i % f->rows;
        double nw = 0, nx = 0;
        for (int64_t c = 0; c < f->cols; c++) {
            nw += (double)f->wd[r * f->cols + c] * f->wd[r * f->cols + c];
            nx += (double)f->x[bi * f->cols + c] * f->x[bi * f->cols + c];
        }
        cr_expect(fabs((double)a[i] - b[i]) <= 2e-6 * sqrt(nw * nx) + 1e-30,
                  "%s %s rows=%lld cols=%lld batch=%lld output %lld: %.9g vs %.9g", quant_type_name(f->t),
                  what, (long long)f->rows, (long long)f->cols, (long long)f->batch, (long long)i, a[i], b[i]);
    }
}

Test(matmul, prepared_matrices_match_the_row_kernels_for_every_type_and_shape)
{
    static const Case prep_cases[] = {
        { 1, 256, 1 }, { 13, 512, 3 }, { 64, 768, 4 }, { 129, 256, 5 }, { 19, 1024, 17 },
        { 24, 768, 203 }, /* more activation rows than one cache block */
    };
    ThreadPool *pool = threadpool_new(2);
    int packed = 0;
    for (int k = 0; k < N_ALL; k++)
        for (size_t c = 0; c < sizeof prep_cases / sizeof prep_cases[0]; c++) {
            if (prep_cases[c].cols % quant_block_size(ALL_TYPES[k]))
                continue;
            Fixture f;
            fixture_make(&f, ALL_TYPES[k], prep_cases[c]);
            MatmulWeights *w = prepare(&f, pool);
            packed += matmul_weights_packed(w);
            float *a = run_prepared(&f, pool, w), *b = run_matmul(&f, pool);
            expect_close(&f, a, b, matmul_weights_packed(w) ? "panels vs rows" : "prepared vs rows");
            cr_expect(worst_error(&f, a) <= tolerance(f.t), "%s prepared: error %g", quant_type_name(f.t),
                      worst_error(&f, a));
            free(a);
            free(b);
            matmul_weights_free(w);
            fixture_free(&f);
        }
    if (quant_simd_active())
        cr_expect_gt(packed, 0, "SIMD is on but no matrix was packed");
    threadpool_free(pool);
}

Test(matmul, prepared_results_do_not_depend_on_the_thread_count)
{
    ThreadPool *p3 = threadpool_new(3);
    for (int k = 0; k < N_ALL; k++) {
        for (int64_t batch = 1; batch <= 9; batch += 8) {
            Fixture f;
            fixture_make(&f, ALL_TYPES[k], (Case){ 77, 512, batch });
            MatmulWeights *w = prepare(&f, p3);
            float *a = run_prepared(&f, NULL, w), *b = run_prepared(&f, p3, w);
            cr_expect_eq(memcmp(a, b, sizeof(float) * (size_t)(f.rows * f.batch)), 0,
                         "%s batch %lld differs between 1 and 3 threads", quant_type_name(f.t), (long long)batch);
            free(a);
            free(b);
            matmul_weights_free(w);
            fixture_free(&f);
        }
    }
    threadpool_free(p3);
}

Test(matmul, many_matrices_in_one_call_equal_separate_calls)
{
    ThreadPool *pool = threadpool_new(2);
    /* q/k/v-like: different row counts and types over the same activations */
    const GgmlType types[3] = { GGML_TYPE_Q4_K, GGML_TYPE_Q6_K, GGML_TYPE_Q8_0 };
    const int64_t rows[3] = { 64, 16, 24 };
    for (int64_t batch = 1; batch <= 6; batch += 5) {
        Fixture f[3];
        MatmulWeights *w[3];
        float *sep[3], *one[3];
        for (int i = 0; i < 3; i++) {
            fixture_make(&f[i], types[i], (Case){ rows[i], 512, batch });
            if (i > 0)
                memcpy(f[i].x, f[0].x, sizeof(float) * (size_t)(512 * batch));
            w[i] = prepare(&f[i], pool);
            sep[i] = run_prepared(&f[i], pool, w[i]);
            one[i] = malloc(sizeof(float) * (size_t)(rows[i] * batch));
        }
        char err[256] = "";
        const MatmulWeights *ws[3] = { w[0], w[1], w[2] };
        cr_assert_eq(matmul_many(pool, ws, one, 3, f[0].x, batch, err, sizeof err), 0, "%s", err);
        for (int i = 0; i < 3; i++) {
            cr_expect_eq(memcmp(sep[i], one[i], sizeof(float) * (size_t)(rows[i] * batch)), 0,
                         "%s differs inside one call", quant_type_name(types[i]));
            free(sep[i]);
            free(one[i]);
            matmul_weights_free(w[i]);
            fixture_free(&f[i]);
        }
    }
    threadpool_free(pool);
}

Test(matmul, prepared_matrix_follows_simd_being_turned_off)
{
    Fixture f;
    fixture_make(&f, GGML_TYPE_Q4_0, (Case){ 40, 512, 3 });
    MatmulWeights *w = prepare(&f, NULL);
    float *a = run_prepared(&f, NULL, w);
    bool had = quant_set_simd(false);
    cr_expect(!matmul_weights_packed(w), "with SIMD off the row kernels run");
    float *b = run_prepared(&f, NULL, w), *c = run_matmul(&f, NULL);
    quant_set_simd(had);
    cr_expect_eq(memcmp(b, c, sizeof(float) * 120), 0, "SIMD off: prepared = portable row kernels");
    expect_close(&f, a, b, "simd vs portable");
    free(a);
    free(b);
    free(c);
    matmul_weights_free(w);
    fixture_free(&f);
}

/* What matmul_weights_new_releasing reported packed: a count per byte of W. */
typedef struct Released {
    pthread_mutex_t lock;
    const uint8_t *w;
    size_t n;
    unsigned char *count;
} Released;

static void count_released(void *ctx, const void *p, size_t n)
{
    Released *r = ctx;
    pthread_mutex_lock(&r->lock);
    size_t off = (size_t)((const uint8_t *)p - r->w);
    for (size_t i = 0; i < n && off + i < r->n; i++)
        r->count[off + i]++;
    if (off + n > r->n)
        r->count[0] = 100; /* past W's end: marked as wrong */
    pthread_mutex_unlock(&r->lock);
}

/* Every byte of W is reported once, after its panel is packed, whatever the
 * thread that packed it, and the products are those of a plain preparation. */
Test(matmul, releasing_preparation_reports_every_byte_of_w_once_and_multiplies_the_same)
{
    ThreadPool *pool = threadpool_new(2);
    const GgmlType types[] = { GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q4_0 };
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        Fixture f;
        fixture_make(&f, types[k], (Case){ 301, 512, 3 }); /* 301 rows: a last panel partly filled */
        size_t n = quant_row_size(f.t, f.cols) * (size_t)f.rows;
        Released r = { .lock = PTHREAD_MUTEX_INITIALIZER, .w = f.wq, .n = n, .count = calloc(n, 1) };
        char err[256] = "";
        MatmulWeights *w =
            matmul_weights_new_releasing(pool, f.t, f.wq, f.rows, f.cols, count_released, &r, err, sizeof err);
        cr_assert_not_null(w, "%s", err);
        if (matmul_weights_packed(w))
            for (size_t i = 0; i < n; i++)
                cr_assert_eq(r.count[i], 1, "%s: byte %zu of %zu reported %d times", quant_type_name(f.t), i, n,
                             r.count[i]);
        MatmulWeights *plain = prepare(&f, pool);
        float *a = run_prepared(&f, pool, w), *b = run_prepared(&f, pool, plain);
        cr_expect_eq(memcmp(a, b, sizeof(float) * (size_t)(f.rows * f.batch)), 0, "%s", quant_type_name(f.t));
        free(a);
        free(b);
        matmul_weights_free(plain);
        matmul_weights_free(w);
        free(r.count);
        fixture_free(&f);
    }
    threadpool_free(pool);
}

Test(matmul, mismatched_matrices_in_one_call_are_refused)
{
    Fixture a, b;
    fixture_make(&a, GGML_TYPE_Q8_0, (Case){ 8, 256, 1 });
    fixture_make(&b, GGML_TYPE_Q8_0, (Case){ 8, 512, 1 });
    MatmulWeights *wa = prepare(&a, NULL), *wb = prepare(&b, NULL);
    float ya[8], yb[8];
    const MatmulWeights *ws[2] = { wa, wb };
    float *ys[2] = { ya, yb };
    char err[256] = "";
    cr_expect_eq(matmul_many(NULL, ws, ys, 2, a.x, 1, err, sizeof err), -1);
    cr_expect(strstr(err, "256") && strstr(err, "512"), "error names both widths: %s", err);
    cr_expect_eq(matmul_many(NULL, ws, ys, 0, a.x, 1, err, sizeof err), -1);
    char err2[256] = "";
    cr_expect_null(matmul_weights_new(NULL, GGML_TYPE_Q4_K, a.wq, 8, 100, err2, sizeof err2));
    cr_expect(strstr(err2, "256"), "bad width is explained: %s", err2);
    matmul_weights_free(wa);
    matmul_weights_free(wb);
    fixture_free(&a);
    fixture_free(&b);
}
