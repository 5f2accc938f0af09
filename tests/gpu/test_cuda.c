/* test_cuda.c — the CUDA kernels and backend against the CPU engine, on a
 * machine with a GPU. Every kernel runs on fresh random inputs of several
 * shapes (odd sizes, every weight type, GQA groups, long positions) into
 * outputs poisoned with NaN, and is compared with the CPU engine's own
 * operations (engine/ops.h: rmsnorm, rope, swiglu) or a double-precision
 * reference built on engine/quant.c's dequantization (products, attention); then whole models run
 * on both backends: stories260K ($VERSUS_SHARED) and, with --model PATH, a
 * generated ~1B model, comparing greedy tokens for 32 steps (the CPU's token
 * is fed to both, so one near-tie cannot derail the rest) and logits.
 *
 * usage: test_cuda [--full] [--models-only] [--model FILE.gguf]
 * (other arguments are ignored: `make check` passes Criterion's). Prints one
 * line per check; exits 0 when all pass, 1 on any failure, 77 (automake's
 * SKIP) without CUDA or a GPU.
 *        test_cuda --bench --model FILE [--prompt 512] [--gen 128]
 *                  [--gpu-layers N] [--no-graph]
 * times the backend instead: prefill tokens/s, decode tokens/s and the
 * weight bandwidth decode reaches (best of 3 after a warm-up). */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/backend_cuda.h"
#include "engine/gguf.h"
#include "engine/kvcache.h"
#include "engine/model.h"
#include "engine/ops.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

#define EXIT_SKIP 77

#ifndef VERSUS_HAVE_CUDA

int main(void)
{
    printf("SKIP: this build has no CUDA backend (configure found no nvcc)\n");
    return EXIT_SKIP;
}

#else

#include <cuda_runtime_api.h>

#include "kernels.h"

static int n_checks, n_failed;
static bool full_mode;
static bool models_only; /* skip the kernel checks (slow under tests/gpu/emu) */

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    va_end(ap);
    n_checks++;
    if (!ok)
        n_failed++;
}

#define CU(call)                                                                                   \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess) {                                                                   \
            printf("FAIL %s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));      \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

/* ---- inputs ------------------------------------------------------------------------ */

static uint64_t rng_state = 0x5eed;

static float frand(void) /* [-1, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (float)((double)(z >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static float *rand_vec(size_t n)
{
    float *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = frand();
    return v;
}

static void *dev_copy(const void *host, size_t bytes)
{
    void *d;
    CU(cudaMalloc(&d, bytes ? bytes : 1));
    if (bytes)
        CU(cudaMemcpy(d, host, bytes, cudaMemcpyHostToDevice));
    return d;
}

/* Device buffer filled with NaN (all bits set), so unwritten outputs show. */
static float *dev_poisoned(size_t n)
{
    float *d;
    CU(cudaMalloc((void **)&d, n * sizeof(float)));
    CU(cudaMemset(d, 0xFF, n * sizeof(float)));
    return d;
}

static float *dev_fetch(const float *d, size_t n)
{
    float *h = malloc(n * sizeof *h);
    CU(cudaDeviceSynchronize());
    CU(cudaMemcpy(h, d, n * sizeof *h, cudaMemcpyDeviceToHost));
    return h;
}

static int *dev_pos(int pos)
{
    return dev_copy(&pos, sizeof pos);
}

/* Max over i of |got - want| / scale[i] (scale NULL = 1); NaN anywhere = +inf. */
static double max_err(const float *got, const double *want, const double *scale, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) || isinf(got[i]))
            return INFINITY;
        double e = fabs((double)got[i] - want[i]) / (scale ? scale[i] + 1e-30 : 1.0);
        if (e > worst)
            worst = e;
    }
    return worst;
}

/* A random weight matrix stored in type t, and its dequantized values. */
typedef struct TestMat {
    GgmlType t;
    int rows, cols;
    size_t row_bytes;
    uint8_t *q;   /* rows * row_bytes */
    float *deq;   /* rows * cols, what the file "holds" */
} TestMat;

static TestMat mat_make(GgmlType t, int rows, int cols)
{
    TestMat m = { t, rows, cols, quant_row_size(t, cols), NULL, NULL };
    m.q = malloc((size_t)rows * m.row_bytes);
    m.deq = malloc((size_t)rows * cols * sizeof(float));
    float *src = rand_vec((size_t)cols);
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++)
            src[c] = frand() * (1.0f + (float)(r % 7)); /* rows of different scale */
        if (quant_quantize_row(t, src, m.q + (size_t)r * m.row_bytes, cols) < 0 ||
            quant_dequantize_row(t, m.q + (size_t)r * m.row_bytes, m.deq + (size_t)r * cols, cols) < 0) {
            printf("FAIL cannot quantize %s rows of %d\n", quant_type_name(t), cols);
            exit(1);
        }
    }
    free(src);
    return m;
}

static void mat_free(TestMat *m)
{
    free(m->q);
    free(m->deq);
}

/* Relative tolerance per weight type, against sum_i |w_i x_i|. The kernels
 * dequantize to exactly the CPU's values; what is left is float accumulation
 * order and contracted multiply-adds in the scale arithmetic. */
static double type_tol(GgmlType t)
{
    switch (t) {
    case GGML_TYPE_F32: case GGML_TYPE_F16: case GGML_TYPE_BF16:
        return 2e-6;
    case GGML_TYPE_Q8_0: case GGML_TYPE_Q4_0: case GGML_TYPE_Q5_0:
        return 5e-6;
    default: /* scale * q - min forms */
        return 1e-5;
    }
}

static const GgmlType ALL_TYPES[] = { GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q8_0,
                                      GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0, GGML_TYPE_Q5_1,
                                      GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K };
#define N_TYPES (int)(sizeof ALL_TYPES / sizeof ALL_TYPES[0])

/* ---- matrix products ------------------------------------------------------------------ */

/* Y = X W^T (+ bias, + Y0) for ntok tokens; matvec when ntok == 1 && use_matvec. */
static void test_product(GgmlType t, int rows, int cols, int ntok, bool use_matvec, bool fused)
{
    TestMat m = mat_make(t, rows, cols);
    float *X = rand_vec((size_t)ntok * cols);
    float *bias = rand_vec((size_t)rows);
    float *Y0 = rand_vec((size_t)ntok * rows);
    double *want = malloc((size_t)ntok * rows * sizeof *want);
    double *scale = malloc((size_t)ntok * rows * sizeof *scale);
    for (int k = 0; k < ntok; k++)
        for (int r = 0; r < rows; r++) {
            double s = 0.0, a = 0.0;
            for (int c = 0; c < cols; c++) {
                double p = (double)m.deq[(size_t)r * cols + c] * X[(size_t)k * cols + c];
                s += p;
                a += fabs(p);
            }
            size_t o = (size_t)k * rows + r;
            if (fused) {
                s += bias[r] + Y0[o];
                a += fabs(bias[r]) + fabs(Y0[o]);
            }
            want[o] = s;
            scale[o] = a;
        }
    KernMat w = { t, rows, cols, m.row_bytes, dev_copy(m.q, (size_t)rows * m.row_bytes) };
    float *dX = dev_copy(X, (size_t)ntok * cols * sizeof(float));
    float *dB = fused ? dev_copy(bias, (size_t)rows * sizeof(float)) : NULL;
    float *dY = fused ? dev_copy(Y0, (size_t)ntok * rows * sizeof(float)) : dev_poisoned((size_t)ntok * rows);
    cudaError_t e = use_matvec ? kern_matvec(&w, dX, dY, dB, fused, 0)
                               : kern_matmul(&w, dX, ntok, dY, dB, fused, 0);
    float *got = dev_fetch(dY, (size_t)ntok * rows);
    double err = max_err(got, want, scale, (size_t)ntok * rows);
    check(e == cudaSuccess && err <= type_tol(t), "%s %-4s %5d x %5d x %3d tok%s  rel err %.2e (tol %.0e)%s%s",
          use_matvec ? "matvec" : "matmul", quant_type_name(t), rows, cols, ntok, fused ? " +bias+acc" : "",
          err, type_tol(t), e ? " launch: " : "", e ? cudaGetErrorString(e) : "");
    cudaFree((void *)w.data);
    cudaFree(dX);
    cudaFree(dB);
    cudaFree(dY);
    free(got);
    free(want);
    free(scale);
    free(X);
    free(bias);
    free(Y0);
    mat_free(&m);
}

static void test_products(void)
{
    for (int i = 0; i < N_TYPES; i++) {
        GgmlType t = ALL_TYPES[i];
        bool k = quant_block_size(t) == QK_K, fl = quant_block_size(t) == 1;
        int c1 = k ? 256 : 64, c2 = k ? 2048 : 2080; /* 2080: 65 blocks of 32 */
        test_product(t, 1, c1, 1, true, false);
        test_product(t, 37, c2, 1, true, false);
        test_product(t, 300, c2, 1, true, true);
        test_product(t, 70, c1, 2, false, false);
        test_product(t, 129, c2, 67, false, true);
        if (fl) { /* rows whose length is no multiple of 8 or 32 (stories260K: 172) */
            test_product(t, 64, 172, 1, true, true);
            test_product(t, 33, 13, 1, true, false);
            test_product(t, 64, 172, 9, false, true);
            test_product(t, 5, 13, 3, false, false);
        }
        if (full_mode) {
            test_product(t, 5632, 2048, 1, true, false);
            test_product(t, 2048, k ? 5632 : 5632, 130, false, false);
        }
    }
}

/* ---- small kernels -------------------------------------------------------------------- */

static void test_rmsnorm(int ntok, int n)
{
    float *x = rand_vec((size_t)ntok * n), *w = rand_vec((size_t)n);
    double *want = malloc((size_t)ntok * n * sizeof *want);
    float *row = malloc((size_t)n * sizeof *row);
    double worst_ref = 0;
    for (int t = 0; t < ntok; t++) { /* the CPU engine's rmsnorm (ops.h) is the reference */
        ops_rmsnorm(row, x + (size_t)t * n, w, n, 1e-5f);
        for (int i = 0; i < n; i++) {
            want[t * n + i] = row[i];
            worst_ref = fmax(worst_ref, fabs(want[t * n + i]));
        }
    }
    free(row);
    float *dx = dev_copy(x, (size_t)ntok * n * 4), *dw = dev_copy(w, (size_t)n * 4), *dy = dev_poisoned((size_t)ntok * n);
    cudaError_t e = kern_rmsnorm(dx, dw, dy, ntok, n, 1e-5f, 0);
    float *got = dev_fetch(dy, (size_t)ntok * n);
    double err = max_err(got, want, NULL, (size_t)ntok * n) / worst_ref;
    check(e == cudaSuccess && err < 2e-6, "rmsnorm %d x %d  rel err %.2e", ntok, n, err);
    /* in place (x == out), as the output norm uses it */
    e = kern_rmsnorm(dx, dw, dx, ntok, n, 1e-5f, 0);
    free(got);
    got = dev_fetch(dx, (size_t)ntok * n);
    err = max_err(got, want, NULL, (size_t)ntok * n) / worst_ref;
    check(e == cudaSuccess && err < 2e-6, "rmsnorm in place %d x %d  rel err %.2e", ntok, n, err);
    cudaFree(dx), cudaFree(dw), cudaFree(dy);
    free(x), free(w), free(want), free(got);
}

static void test_rope(int ntok, int n_heads, int n_kv, int hd, int rope_dim, bool neox, int pos0)
{
    /* the CPU engine's rotation (ops.h) with the kernel's angle, pos * inv_freq[i] */
    OpsRope r;
    if (ops_rope_init(&r, rope_dim, neox, 10000.0f, 1.0f, NULL, 0.0f, 1.0f, 0, 32.0f, 1.0f) < 0) {
        check(false, "rope: ops_rope_init refused %d dims", rope_dim);
        return;
    }
    r.angle_product = true;
    int half = rope_dim / 2;
    float *inv = malloc((size_t)half * sizeof *inv);
    ops_rope_inv_freq(&r, inv);
    size_t nq = (size_t)ntok * n_heads * hd, nk = (size_t)ntok * n_kv * hd;
    float *q = rand_vec(nq), *k = rand_vec(nk);
    float *dq = dev_copy(q, nq * 4), *dk = dev_copy(k, nk * 4), *dinv = dev_copy(inv, (size_t)half * 4);
    int *dpos = dev_pos(pos0);
    cudaError_t e = kern_rope(dq, n_heads, dk, n_kv, ntok, hd, rope_dim, neox, dinv, dpos, 0);
    for (int t = 0; t < ntok; t++) {
        ops_rope(&r, q + (size_t)t * n_heads * hd, n_heads, hd, pos0 + t);
        ops_rope(&r, k + (size_t)t * n_kv * hd, n_kv, hd, pos0 + t);
    }
    float *gq = dev_fetch(dq, nq), *gk = dev_fetch(dk, nk);
    double err = 0;
    for (size_t i = 0; i < nq; i++)
        err = fmax(err, isnan(gq[i]) ? INFINITY : fabs(gq[i] - q[i]));
    for (size_t i = 0; i < nk; i++)
        err = fmax(err, isnan(gk[i]) ? INFINITY : fabs(gk[i] - k[i]));
    check(e == cudaSuccess && err < 2e-6, "rope %s heads %d/%d dim %d rotated %d pos %d  abs err %.2e",
          neox ? "neox" : "norm", n_heads, n_kv, hd, rope_dim, pos0, err);
    cudaFree(dq), cudaFree(dk), cudaFree(dinv), cudaFree(dpos);
    free(inv), free(q), free(k), free(gq), free(gk);
}

/* kv_store of ntok new rows at pos0, then attention, against a double reference. */
static void test_attention(int n_heads, int n_kv, int hd, int ntok, int pos0, int splits)
{
    int kvd = n_kv * hd, qd = n_heads * hd, n_ctx = pos0 + ntok + 5, group = n_heads / n_kv;
    size_t cache_n = (size_t)n_ctx * kvd;
    float *kc = rand_vec(cache_n), *vc = rand_vec(cache_n), *q = rand_vec((size_t)ntok * qd);
    for (size_t i = 0; i < cache_n; i++) /* spread the scores so softmax is not flat */
        kc[i] *= 3.0f;
    float *dkc = dev_copy(kc, cache_n * 4), *dvc = dev_copy(vc, cache_n * 4);
    /* the batch's own rows travel through kv_store; poison them in the device cache first */
    CU(cudaMemset(dkc + (size_t)pos0 * kvd, 0xFF, (size_t)ntok * kvd * 4));
    CU(cudaMemset(dvc + (size_t)pos0 * kvd, 0xFF, (size_t)ntok * kvd * 4));
    float *dk = dev_copy(kc + (size_t)pos0 * kvd, (size_t)ntok * kvd * 4);
    float *dv = dev_copy(vc + (size_t)pos0 * kvd, (size_t)ntok * kvd * 4);
    float *dq = dev_copy(q, (size_t)ntok * qd * 4), *dout = dev_poisoned((size_t)ntok * qd);
    size_t wn = kern_attention_workspace(ntok, n_heads, hd, splits);
    float *dwork = wn ? dev_poisoned(wn) : NULL;
    int *dpos = dev_pos(pos0);
    cudaError_t e = kern_kv_store(dkc, dvc, dk, dv, ntok, kvd, dpos, 0);
    if (e == cudaSuccess)
        e = kern_attention(dq, dkc, dvc, dout, dwork, ntok, n_heads, n_kv, hd, splits, dpos, 0);
    float *got = dev_fetch(dout, (size_t)ntok * qd);
    double *want = calloc((size_t)ntok * qd, sizeof *want);
    double *att = malloc((size_t)n_ctx * sizeof *att);
    for (int t = 0; t < ntok; t++)
        for (int h = 0; h < n_heads; h++) {
            int kvh = h / group, last = pos0 + t;
            double mx = -INFINITY, sum = 0;
            for (int p = 0; p <= last; p++) {
                double s = 0;
                for (int i = 0; i < hd; i++)
                    s += (double)q[(size_t)t * qd + h * hd + i] * kc[(size_t)p * kvd + kvh * hd + i];
                att[p] = s / sqrt((double)hd);
                mx = fmax(mx, att[p]);
            }
            for (int p = 0; p <= last; p++)
                sum += att[p] = exp(att[p] - mx);
            for (int p = 0; p <= last; p++)
                for (int i = 0; i < hd; i++)
                    want[(size_t)t * qd + h * hd + i] += att[p] / sum * vc[(size_t)p * kvd + kvh * hd + i];
        }
    double err = max_err(got, want, NULL, (size_t)ntok * qd);
    check(e == cudaSuccess && err < 2e-5, "attention heads %d/%d dim %d, %d tok at pos %d, %d split%s  abs err %.2e%s%s",
          n_heads, n_kv, hd, ntok, pos0, splits, splits > 1 ? "s" : "", err, e ? " launch: " : "",
          e ? cudaGetErrorString(e) : "");
    cudaFree(dkc), cudaFree(dvc), cudaFree(dk), cudaFree(dv), cudaFree(dq), cudaFree(dout);
    cudaFree(dwork), cudaFree(dpos);
    free(kc), free(vc), free(q), free(got), free(want), free(att);
}

static void test_swiglu(size_t n)
{
    float *g = rand_vec(n), *u = rand_vec(n);
    for (size_t i = 0; i < n; i++)
        g[i] *= 8.0f;
    double *want = malloc(n * sizeof *want);
    float *dg = dev_copy(g, n * 4), *du = dev_copy(u, n * 4);
    ops_swiglu(g, u, n); /* the CPU engine's SwiGLU (ops.h) is the reference */
    for (size_t i = 0; i < n; i++)
        want[i] = g[i];
    cudaError_t e = kern_swiglu(dg, du, n, 0);
    float *got = dev_fetch(dg, n);
    double err = max_err(got, want, NULL, n);
    check(e == cudaSuccess && err < 1e-5, "swiglu %zu  abs err %.2e", n, err);
    cudaFree(dg), cudaFree(du);
    free(g), free(u), free(want), free(got);
}

static void test_embed(GgmlType t, int cols)
{
    int rows = 11, tokens[] = { 3, 0, 10, 3, 7 }, ntok = 5;
    TestMat m = mat_make(t, rows, cols);
    double *want = malloc((size_t)ntok * cols * sizeof *want);
    float *row = malloc((size_t)cols * sizeof *row);
    double worst = 0;
    for (int i = 0; i < ntok; i++) {
        quant_get_row(t, m.q, tokens[i], cols, row);
        for (int c = 0; c < cols; c++) {
            want[(size_t)i * cols + c] = row[c];
            worst = fmax(worst, fabs(row[c]));
        }
    }
    KernMat e = { t, rows, cols, m.row_bytes, dev_copy(m.q, (size_t)rows * m.row_bytes) };
    int *dt = dev_copy(tokens, sizeof tokens);
    float *dx = dev_poisoned((size_t)ntok * cols);
    cudaError_t r = kern_embed(&e, dt, ntok, dx, 0);
    float *got = dev_fetch(dx, (size_t)ntok * cols);
    double err = max_err(got, want, NULL, (size_t)ntok * cols) / worst;
    check(r == cudaSuccess && err < 1e-6, "embed %-4s %d cols  rel err %.2e", quant_type_name(t), cols, err);
    cudaFree((void *)e.data), cudaFree(dt), cudaFree(dx);
    free(want), free(row), free(got);
    mat_free(&m);
}

static void test_sampling(void)
{
    int n = 32000;
    float *x = rand_vec((size_t)n);
    x[20000] = 5.0f; /* a tie: the lower id must win */
    x[500] = 5.0f;
    x[0] = NAN;
    x[7] = NAN;
    float *dx = dev_copy(x, (size_t)n * 4);
    int *dout = dev_pos(-1), got = -1;
    cudaError_t e = kern_argmax(dx, n, dout, 0);
    CU(cudaMemcpy(&got, dout, sizeof got, cudaMemcpyDeviceToHost));
    check(e == cudaSuccess && got == 500, "argmax over %d with a tie and NaNs: %d (want 500)", n, got);
    x[0] = x[7] = 0.5f;
    CU(cudaMemcpy(dx, x, (size_t)n * 4, cudaMemcpyHostToDevice));
    e = kern_softmax(dx, n, 0.7f, 0);
    float *p = dev_fetch(dx, (size_t)n);
    double mx = -INFINITY, sum = 0, err = 0, total = 0;
    for (int i = 0; i < n; i++)
        mx = fmax(mx, x[i] / 0.7);
    for (int i = 0; i < n; i++)
        sum += exp(x[i] / 0.7 - mx);
    for (int i = 0; i < n; i++) {
        double w = exp(x[i] / 0.7 - mx) / sum;
        err = fmax(err, isnan(p[i]) ? INFINITY : fabs(p[i] - w) / w);
        total += p[i];
    }
    check(e == cudaSuccess && err < 1e-5 && fabs(total - 1.0) < 1e-4,
          "softmax over %d at temperature 0.7  rel err %.2e, sum %.6f", n, err, total);
    cudaFree(dx), cudaFree(dout);
    free(x), free(p);
}

/* ---- whole models -------------------------------------------------------------------- */

static int argmax_host(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

/* Greedy decoding on CPU and GPU from the same prompt, n_gen steps, the CPU's
 * token fed to both. A step passes when the argmaxes agree, or when they
 * differ by a near-tie the logit tolerance explains. */
static void compare_model(const char *label, const GgufFile *g, Model *m, const CudaOptions *o,
                          const int *prompt, int np, int n_gen, double rel_tol)
{
    char err[512];
    const ModelConfig *c = model_config(m);
    CudaModel *cm = cuda_model_new(g, m, o, err, sizeof err);
    if (!cm) {
        check(false, "%s: cuda_model_new: %s", label, err);
        return;
    }
    float *lg = malloc((size_t)c->n_vocab * sizeof *lg);
    int exact = 0, near = 0, bad = 0, dev_argmax_bad = 0;
    double worst = 0;     /* max over steps of rms(GPU - CPU) / rms(CPU logits) */
    double worst_max = 0; /* max over steps of max |GPU - CPU| / rms(CPU logits) */
    int rc = model_forward(m, prompt, np, 0, err, sizeof err);
    if (rc == 0)
        rc = cuda_model_forward(cm, prompt, np, 0, lg, err, sizeof err);
    for (int i = 0; rc == 0 && i < n_gen; i++) {
        const float *lc = model_logits(m);
        double ss = 0, sd = 0, md = 0;
        for (int v = 0; v < c->n_vocab; v++) {
            double d = isnan(lg[v]) ? INFINITY : fabs((double)lg[v] - lc[v]);
            ss += (double)lc[v] * lc[v];
            sd += d * d;
            md = fmax(md, d);
        }
        double rms = sqrt(ss / c->n_vocab) + 1e-30, rmsd = sqrt(sd / c->n_vocab);
        worst = fmax(worst, rmsd / rms);
        worst_max = fmax(worst_max, md / rms);
        int tc = argmax_host(lc, c->n_vocab), tg = argmax_host(lg, c->n_vocab), td = -1;
        if (cuda_model_argmax(cm, &td, err, sizeof err) < 0 || td != tg)
            dev_argmax_bad++;
        if (tc == tg)
            exact++;
        else if (lc[tc] - lc[tg] <= 4 * rmsd) /* a tie closer than the two engines' disagreement */
            near++;
        else
            bad++;
        rc = model_forward(m, &tc, 1, np + i, err, sizeof err);
        if (rc == 0)
            rc = cuda_model_forward(cm, &tc, 1, np + i, lg, err, sizeof err);
    }
    CudaModelInfo info;
    cuda_model_info(cm, &info);
    check(rc == 0 && bad == 0 && dev_argmax_bad == 0 && worst <= rel_tol,
          "%s: %d/%d greedy tokens equal, %d near-ties, %d wrong; logit diff rms %.2e (tol %.2g), max %.2e, "
          "relative to the logits' rms; device argmax mismatches %d; %d/%d layers on %s, graph %s%s%s",
          label, exact, n_gen, near, bad, worst, rel_tol, worst_max, dev_argmax_bad, info.gpu_layers, info.n_layers,
          info.device_name, info.graph ? "on" : "off", rc ? "; error: " : "", rc ? err : "");
    free(lg);
    cuda_model_free(cm);
}

/* Graph and direct launches must give bit-identical logits. */
static void compare_graph(const GgufFile *g, const Model *m, const int *prompt, int np)
{
    char err[512];
    CudaOptions og = { .gpu_layers = -1 }, od = { .gpu_layers = -1, .no_graph = true };
    CudaModel *a = cuda_model_new(g, m, &og, err, sizeof err), *b = a ? cuda_model_new(g, m, &od, err, sizeof err) : NULL;
    if (!a || !b) {
        check(false, "graph comparison: %s", err);
        cuda_model_free(a);
        return;
    }
    int nv = model_config(m)->n_vocab, same = 1, rc = 0;
    float *la = malloc((size_t)nv * 4), *lb = malloc((size_t)nv * 4);
    rc |= cuda_model_forward(a, prompt, np, 0, la, err, sizeof err);
    rc |= cuda_model_forward(b, prompt, np, 0, lb, err, sizeof err);
    for (int i = 0; rc == 0 && i < 20; i++) {
        int t = argmax_host(la, nv);
        rc |= cuda_model_forward(a, &t, 1, np + i, la, err, sizeof err);
        rc |= cuda_model_forward(b, &t, 1, np + i, lb, err, sizeof err);
        same &= memcmp(la, lb, (size_t)nv * 4) == 0;
    }
    CudaModelInfo ia;
    cuda_model_info(a, &ia);
    check(rc == 0 && same && ia.graph, "decode through a CUDA graph gives the same logits bit for bit as direct launches%s%s",
          rc ? ": " : "", rc ? err : "");
    free(la), free(lb);
    cuda_model_free(a);
    cuda_model_free(b);
}

static void test_errors(const GgufFile *g, const Model *m)
{
    char err[512] = "";
    CudaOptions o = { .gpu_layers = -1 };
    CudaModel *cm = cuda_model_new(g, m, &o, err, sizeof err);
    if (!cm) {
        check(false, "errors: %s", err);
        return;
    }
    const ModelConfig *c = model_config(m);
    int bad = c->n_vocab, tok = 1;
    bool ok = cuda_model_forward(cm, &bad, 1, 0, NULL, err, sizeof err) == -1 && strstr(err, "outside the vocabulary");
    ok = ok && cuda_model_forward(cm, &tok, 1, c->n_ctx, NULL, err, sizeof err) == -1 && strstr(err, "context full");
    int t2 = -1;
    ok = ok && cuda_model_argmax(cm, &t2, err, sizeof err) == -1;
    ok = ok && cuda_model_forward(cm, &tok, 1, c->n_ctx - 1, NULL, err, sizeof err) == 0;
    ok = ok && cuda_model_argmax(cm, &t2, err, sizeof err) == 0 && t2 >= 0 && t2 < c->n_vocab;
    check(ok, "bad token ids and a full context are refused; the last position works (%s)", err);
    cuda_model_free(cm);
}

static void test_model_file(const char *path, const char *label, bool small)
{
    char err[512];
    GgufFile *g = gguf_open(path, err, sizeof err);
    if (!g) {
        check(false, "%s: %s", label, err);
        return;
    }
    ThreadPool *pool = threadpool_new(0); /* the CPU reference on every core */
    /* the device keeps its KV cache in F32: so does the CPU reference here */
    ModelOptions mo = { .n_ctx = small ? 0 : 2048, .pool = pool, .kv_type = KV_TYPE_F32, .kv_type_set = true };
    Model *m = model_new(g, &mo, err, sizeof err);
    if (!m) {
        check(false, "%s: %s", label, err);
        threadpool_free(pool);
        gguf_close(g);
        return;
    }
    const ModelConfig *c = model_config(m);
    int prompt[600];
    int np = small ? 9 : 24;
    prompt[0] = 1;
    for (int i = 1; i < 600; i++)
        prompt[i] = 3 + (int)((uint64_t)i * 2654435761u % (uint64_t)(c->n_vocab - 3));
    /* Logit tolerance relative to the logits' rms. For F32 weights both
     * engines multiply F32 by F32 and differ by float rounding only. For
     * quantized weights the CPU engine quantizes its activations to 8 bits
     * (Q8_0/Q8_K, about 0.7% noise per product) while the GPU keeps them in
     * F32, so the two differ by that noise compounded over the layers; the
     * kernel checks above are the tight ones. */
    bool f32 = strcmp(model_weight_type(m), "F32") == 0;
    double tol = f32 ? 1e-4 : 0.1;
    char lab[160];
    CudaOptions o = { .gpu_layers = -1 };
    snprintf(lab, sizeof lab, "%s greedy, all layers on the GPU", label);
    compare_model(lab, g, m, &o, prompt, np, 32, tol);
    o.batch = 3;
    snprintf(lab, sizeof lab, "%s greedy, prefill in chunks of 3", label);
    compare_model(lab, g, m, &o, prompt, np, 8, tol);
    o = (CudaOptions){ .gpu_layers = c->n_layers / 2 };
    snprintf(lab, sizeof lab, "%s greedy, %d layers read from pinned host memory", label, c->n_layers - c->n_layers / 2);
    compare_model(lab, g, m, &o, prompt, np, small ? 32 : 8, tol);
    if (full_mode || small) {
        int longp = small ? 300 : 600;
        o = (CudaOptions){ .gpu_layers = -1, .batch = small ? 128 : 512 };
        snprintf(lab, sizeof lab, "%s greedy after a %d-token prompt (chunked prefill, split attention)", label, longp);
        compare_model(lab, g, m, &o, prompt, longp, 16, tol);
    }
    if (small) {
        compare_graph(g, m, prompt, np);
        test_errors(g, m);
    }
    model_free(m);
    threadpool_free(pool);
    gguf_close(g);
}

/* ---- --bench: prefill and decode speed of the backend ---------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Times a prefill of n_prompt tokens and n_gen greedy decode steps (argmax on
 * the device, no logits copied), best of `reps`, and prints tokens per second
 * and the weight bandwidth decode achieves. 0, or 1 on an error. */
static int run_bench(const char *path, int n_prompt, int n_gen, int reps, const CudaOptions *o)
{
    char err[512];
    GgufFile *g = gguf_open(path, err, sizeof err);
    ModelOptions mo = { .n_ctx = n_prompt + n_gen };
    Model *m = g ? model_new(g, &mo, err, sizeof err) : NULL;
    CudaModel *cm = m ? cuda_model_new(g, m, o, err, sizeof err) : NULL;
    if (!cm) {
        printf("bench: %s\n", err);
        model_free(m);
        if (g)
            gguf_close(g);
        return 1;
    }
    const ModelConfig *c = model_config(m);
    int *ids = malloc((size_t)n_prompt * sizeof *ids);
    for (int i = 0; i < n_prompt; i++)
        ids[i] = i == 0 ? 1 : 3 + (int)((uint64_t)i * 2654435761u % (uint64_t)(c->n_vocab - 3));
    double best_pre = INFINITY, best_dec = INFINITY;
    int rc = 0;
    for (int r = 0; r < reps + 1 && rc == 0; r++) { /* the first round warms up (and captures the graph) */
        double t0 = now_ms();
        rc = cuda_model_forward(cm, ids, n_prompt, 0, NULL, err, sizeof err);
        double t1 = now_ms();
        int tok = 0;
        for (int i = 0; i < n_gen && rc == 0; i++) {
            rc = cuda_model_argmax(cm, &tok, err, sizeof err);
            if (rc == 0)
                rc = cuda_model_forward(cm, &tok, 1, n_prompt + i, NULL, err, sizeof err);
        }
        double t2 = now_ms();
        if (r > 0) {
            best_pre = fmin(best_pre, t1 - t0);
            best_dec = fmin(best_dec, t2 - t1);
        }
    }
    if (rc == 0) {
        CudaModelInfo info;
        cuda_model_info(cm, &info);
        double wb = (double)model_weight_bytes(m);
        printf("model      %s (%s, %d layers, dim %d, vocab %d)\n", path, model_weight_type(m), c->n_layers,
               c->dim, c->n_vocab);
        printf("device     %s, %d/%d layers resident, graph %s, %.0f MiB allocated\n", info.device_name,
               info.gpu_layers, info.n_layers, info.graph ? "on" : "off", info.device_bytes / 1048576.0);
        printf("prefill    %d tokens in %.2f ms: %.0f tokens/s\n", n_prompt, best_pre, n_prompt / best_pre * 1e3);
        printf("decode     %d tokens in %.2f ms: %.1f tokens/s, %.3f ms/token, weights streamed at %.0f GB/s\n",
               n_gen, best_dec, n_gen / best_dec * 1e3, best_dec / n_gen, wb * n_gen / (best_dec * 1e-3) / 1e9);
    } else {
        printf("bench: %s\n", err);
    }
    free(ids);
    cuda_model_free(cm);
    model_free(m);
    gguf_close(g);
    return rc ? 1 : 0;
}

static void test_kernels(void)
{
    test_products();
    test_rmsnorm(3, 64);
    test_rmsnorm(5, 2048);
    test_rmsnorm(2, 5);
    test_rope(5, 4, 2, 64, 64, false, 0);
    test_rope(5, 4, 2, 64, 64, true, 3000);
    test_rope(3, 8, 8, 8, 8, false, 17);
    test_rope(2, 4, 1, 128, 64, true, 100000);
    test_rope(2, 4, 1, 128, 32, false, 40000);
    /* decode: MHA, GQA, splits, tiny and odd head sizes; prefill: causal blocks */
    test_attention(4, 4, 64, 1, 0, 1);
    test_attention(8, 2, 64, 1, 100, 1);
    test_attention(8, 2, 64, 1, 777, 7);
    test_attention(32, 4, 128, 1, 2000, 33);
    test_attention(8, 4, 8, 1, 50, 5);
    test_attention(4, 2, 80, 1, 300, 3);
    test_attention(14, 2, 64, 1, 64, 64);
    test_attention(8, 2, 64, 17, 0, 1);
    test_attention(8, 2, 64, 40, 100, 1);
    test_attention(14, 2, 64, 9, 30, 1);
    test_attention(2, 1, 256, 3, 60, 1);
    test_attention(4, 4, 64, 5, 200, 4);
    if (full_mode) {
        test_attention(32, 8, 128, 1, 8000, 64);
        test_attention(32, 8, 128, 512, 1000, 1);
    }
    test_swiglu(1000);
    test_swiglu(3 * 5632 + 7);
    for (int i = 0; i < N_TYPES; i++) {
        GgmlType t = ALL_TYPES[i];
        test_embed(t, quant_block_size(t) == QK_K ? 512 : 64);
        if (quant_block_size(t) == 1)
            test_embed(t, 13);
    }
    test_sampling();
}

int main(int argc, char **argv)
{
    const char *model_1b = getenv("VERSUS_GPU_TEST_MODEL");
    bool bench = false;
    CudaOptions bopt = { .gpu_layers = -1 };
    int n_prompt = 512, n_gen = 128;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--full") == 0)
            full_mode = true;
        else if (strcmp(argv[i], "--models-only") == 0)
            models_only = true;
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc)
            model_1b = argv[++i];
        else if (strcmp(argv[i], "--bench") == 0)
            bench = true;
        else if (strcmp(argv[i], "--no-graph") == 0)
            bopt.no_graph = true;
        else if (strcmp(argv[i], "--gpu-layers") == 0 && i + 1 < argc)
            bopt.gpu_layers = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--prompt") == 0 && i + 1 < argc)
            n_prompt = (int)strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--gen") == 0 && i + 1 < argc)
            n_gen = (int)strtol(argv[++i], NULL, 10);
        /* anything else (Criterion's --color/--timeout/-j from make check) is ignored */
    }
    char why[256];
    if (!cuda_backend_available(NULL, why, sizeof why)) {
        printf("SKIP: %s\n", why);
        return EXIT_SKIP;
    }
    if (bench) {
        if (!model_1b || n_prompt < 1 || n_gen < 1) {
            printf("usage: test_cuda --bench --model FILE [--prompt N] [--gen N] [--gpu-layers N] [--no-graph]\n");
            return 2;
        }
        return run_bench(model_1b, n_prompt, n_gen, 3, &bopt);
    }
    if (kern_init() != cudaSuccess) {
        printf("FAIL kern_init\n");
        return 1;
    }
    if (!models_only)
        test_kernels();
    const char *sh = getenv("VERSUS_SHARED");
    if (sh && *sh) {
        char path[4096];
        snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
        test_model_file(path, "stories260K", true);
    } else {
        printf("skip stories260K: VERSUS_SHARED not set\n");
    }
    if (model_1b && *model_1b)
        test_model_file(model_1b, model_1b, false);
    else
        printf("skip the ~1B model: give --model FILE (make check-gpu generates one)\n");
    printf("%d checks, %d failed\n", n_checks, n_failed);
    return n_failed ? 1 : 0;
}

#endif
