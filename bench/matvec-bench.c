/* matvec-bench.c — how close matmul() gets to the machine's memory bandwidth.
 *
 * For each weight type and shape it times matmul at batch 1 (decode: one pass
 * over the weights) and reports the weight bytes streamed per second, next to
 * the plain read bandwidth of a buffer of the same size (a threaded sum over
 * it, the ceiling a memory-bound matvec can reach). It also reports prefill
 * throughput (batch 32) in GFLOP/s. Not a test: numbers only.
 *
 * usage: versus-matvec-bench [--threads N] [--iters N] [--type T]... [--rows R --cols C]
 *        [--batch B] [--rows-only] [--no-simd]
 * --rows-only times the row kernels on the original layout instead of the
 * prepared (panel) matrix.
 * With no --type it runs Q8_0, Q4_K and F16; with no --rows it runs 4096x4096
 * and 32768x4096 (the latter larger than any cache). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "engine/matmul.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x853C49E6748FEA9Bull;

static float rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (float)((double)(rng >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

typedef struct ReadJob {
    const uint64_t *p;
    size_t n;          /* uint64 words */
    uint64_t sums[64];
} ReadJob;

static void read_job(void *arg, int ti, int nt)
{
    ReadJob *j = arg;
    size_t per = j->n / (size_t)nt, a = per * (size_t)ti, b = ti == nt - 1 ? j->n : a + per;
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = a;
    for (; i + 4 <= b; i += 4) {
        s0 += j->p[i];
        s1 += j->p[i + 1];
        s2 += j->p[i + 2];
        s3 += j->p[i + 3];
    }
    for (; i < b; i++)
        s0 += j->p[i];
    j->sums[ti & 63] = s0 + s1 + s2 + s3;
}

/* Best-of-iters time of one threaded read over buf. */
static double read_bandwidth(ThreadPool *pool, const void *buf, size_t bytes, int iters)
{
    ReadJob j = { .p = buf, .n = bytes / 8 };
    double best = 1e30;
    for (int it = 0; it < iters; it++) {
        double t0 = now_s();
        threadpool_run(pool, read_job, &j);
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    return (double)bytes / best / 1e9;
}

/* A rows x cols matrix of type t: 64 distinct quantized rows repeated. */
static uint8_t *make_matrix(GgmlType t, int64_t rows, int64_t cols)
{
    size_t rs = quant_row_size(t, cols);
    uint8_t *w = malloc(rs * (size_t)rows);
    float *row = malloc(sizeof(float) * (size_t)cols);
    if (!w || !row) {
        free(w);
        free(row);
        return NULL;
    }
    for (int64_t r = 0; r < rows; r++) {
        if (r < 64) {
            for (int64_t c = 0; c < cols; c++)
                row[c] = rnd();
            quant_quantize_row(t, row, w + (size_t)r * rs, cols);
        } else {
            memcpy(w + (size_t)r * rs, w + (size_t)(r % 64) * rs, rs);
        }
    }
    free(row);
    return w;
}

static bool raw_rows = false; /* --rows-only: the row kernels, no panels */
static int64_t batch = 32;     /* --batch */

/* One product through the prepared matrix (panels where available) or the row kernels. */
static int product(ThreadPool *pool, const MatmulWeights *pw, GgmlType t, const uint8_t *w, int64_t rows,
                   int64_t cols, const float *x, int64_t n, float *y, char *err, size_t errlen)
{
    if (!pw)
        return matmul(pool, t, w, rows, cols, x, n, y, err, errlen);
    float *ys[1] = { y };
    return matmul_many(pool, &pw, ys, 1, x, n, err, errlen);
}

static int bench_one(ThreadPool *pool, GgmlType t, int64_t rows, int64_t cols, int iters)
{
    size_t bytes = quant_row_size(t, cols) * (size_t)rows;
    uint8_t *w = make_matrix(t, rows, cols);
    float *x = malloc(sizeof(float) * (size_t)(cols * batch));
    float *y = malloc(sizeof(float) * (size_t)(rows * batch));
    if (!w || !x || !y) {
        fprintf(stderr, "out of memory\n");
        free(w);
        free(x);
        free(y);
        return -1;
    }
    for (int64_t i = 0; i < cols * batch; i++)
        x[i] = rnd();
    char err[256];
    MatmulWeights *pw = NULL;
    if (!raw_rows && !(pw = matmul_weights_new(pool, t, w, rows, cols, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    double best = 1e30;
    for (int it = 0; it < iters; it++) {
        double t0 = now_s();
        if (product(pool, pw, t, w, rows, cols, x, 1, y, err, sizeof err) != 0) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
        double dt = now_s() - t0;
        if (dt < best)
            best = dt;
    }
    double read = read_bandwidth(pool, w, bytes, iters);
    double pbest = 1e30;
    for (int it = 0; it < (iters + 3) / 4; it++) {
        double t0 = now_s();
        product(pool, pw, t, w, rows, cols, x, batch, y, err, sizeof err);
        double dt = now_s() - t0;
        if (dt < pbest)
            pbest = dt;
    }
    printf("%-5s %6lldx%-6lld %8.1f MiB  matvec %7.3f ms %6.2f GB/s  (read %6.2f GB/s, %3.0f%%)"
           "  batch%lld %6.1f GFLOP/s%s\n",
           quant_type_name(t), (long long)rows, (long long)cols, (double)bytes / 1048576.0,
           best * 1e3, (double)bytes / best / 1e9, read, 100.0 * ((double)bytes / best / 1e9) / read,
           (long long)batch, 2.0 * (double)rows * (double)cols * (double)batch / pbest / 1e9,
           matmul_weights_packed(pw) ? "  [panels]" : "");
    matmul_weights_free(pw);
    free(w);
    free(x);
    free(y);
    return 0;
}

static long arg_long(const char *s, const char *what)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || v < 0) {
        fprintf(stderr, "bad %s: %s\n", what, s);
        exit(2);
    }
    return v;
}

static int parse_type(const char *s, GgmlType *t)
{
    static const GgmlType all[] = {
        GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
        GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K,
        GGML_TYPE_Q6_K,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(s, quant_type_name(all[i])) == 0) {
            *t = all[i];
            return 0;
        }
    return -1;
}

int main(int argc, char **argv)
{
    int threads = 0, iters = 10;
    int64_t rows = 0, cols = 0;
    GgmlType types[16];
    int nt = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (int)arg_long(argv[++i], "--threads");
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc)
            iters = (int)arg_long(argv[++i], "--iters");
        else if (!strcmp(argv[i], "--rows") && i + 1 < argc)
            rows = arg_long(argv[++i], "--rows");
        else if (!strcmp(argv[i], "--cols") && i + 1 < argc)
            cols = arg_long(argv[++i], "--cols");
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
            batch = arg_long(argv[++i], "--batch");
        else if (!strcmp(argv[i], "--rows-only"))
            raw_rows = true;
        else if (!strcmp(argv[i], "--no-simd"))
            quant_set_simd(false);
        else if (!strcmp(argv[i], "--type") && i + 1 < argc && nt < 16) {
            if (parse_type(argv[++i], &types[nt]) != 0) {
                fprintf(stderr, "unknown type %s\n", argv[i]);
                return 2;
            }
            nt++;
        } else {
            fprintf(stderr, "usage: %s [--threads N] [--iters N] [--type T]... "
                    "[--rows R --cols C] [--batch B] [--rows-only] [--no-simd]\n", argv[0]);
            return 2;
        }
    }
    if (iters < 1)
        iters = 1;
    if (nt == 0) {
        types[nt++] = GGML_TYPE_Q8_0;
        types[nt++] = GGML_TYPE_Q4_K;
        types[nt++] = GGML_TYPE_F16;
    }
    ThreadPool *pool = threadpool_new(threads);
    if (!pool) {
        fprintf(stderr, "cannot start threads\n");
        return 1;
    }
    printf("threads %d, simd %s\n", threadpool_size(pool), quant_simd_active() ? "on" : "off");
    int rc = 0;
    for (int k = 0; k < nt && rc == 0; k++) {
        if (rows > 0 && cols > 0) {
            rc = bench_one(pool, types[k], rows, cols, iters);
        } else {
            rc = bench_one(pool, types[k], 4096, 4096, iters);
            if (rc == 0)
                rc = bench_one(pool, types[k], 32768, 4096, iters);
        }
    }
    threadpool_free(pool);
    return rc ? 1 : 0;
}
