/* quant_dot.c — portable dot products of one weight row (any supported ggml
 * type) against up to four activation rows, and the run-time choice between
 * these and the SIMD kernels (quant_avx2.c). The integer parts are exact; only
 * the float accumulation order differs from the SIMD kernels. */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"
#include "engine/quant_impl.h"

#define FP16(x) quant_fp16_to_fp32(x)

static inline uint32_t load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void dot_f32(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    const float *a = w;
    for (int j = 0; j < nx; j++) {
        const float *b = (const float *)((const char *)x + j * xs);
        float acc[4] = { 0 };
        int64_t i = 0;
        for (; i + 4 <= n; i += 4)
            for (int k = 0; k < 4; k++)
                acc[k] += a[i + k] * b[i + k];
        for (; i < n; i++)
            acc[0] += a[i] * b[i];
        out[j] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }
}

static void dot_f16(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    const uint16_t *a = w;
    for (int j = 0; j < nx; j++) {
        const float *b = (const float *)((const char *)x + j * xs);
        float acc = 0.0f;
        for (int64_t i = 0; i < n; i++)
            acc += quant_fp16_to_fp32(a[i]) * b[i];
        out[j] = acc;
    }
}

static void dot_bf16(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    const uint16_t *a = w;
    for (int j = 0; j < nx; j++) {
        const float *b = (const float *)((const char *)x + j * xs);
        float acc = 0.0f;
        for (int64_t i = 0; i < n; i++)
            acc += quant_bf16_to_fp32(a[i]) * b[i];
        out[j] = acc;
    }
}

#define XROW(T, x, j, xs) ((const T *)((const char *)(x) + (size_t)(j) * (xs)))

/* The 32 weights of block i of a 32-column type as integers, in the order
 * ggml's x86 kernels take them (4-bit: low nibbles then high nibbles;
 * 5-bit: with their fifth bit), the offset (8 or 16) left in when `center`. */
static void block_ints(GgmlType t, const void *w, int64_t i, int8_t q[32], bool center)
{
    switch (t) {
    case GGML_TYPE_Q4_0:
    case GGML_TYPE_Q4_1: {
        const uint8_t *qs = t == GGML_TYPE_Q4_0 ? ((const BlockQ4_0 *)w)[i].qs : ((const BlockQ4_1 *)w)[i].qs;
        int off = t == GGML_TYPE_Q4_0 && center ? 8 : 0;
        for (int l = 0; l < 16; l++) {
            q[l] = (int8_t)((qs[l] & 0xF) - off);
            q[l + 16] = (int8_t)((qs[l] >> 4) - off);
        }
        break;
    }
    case GGML_TYPE_Q5_0:
    case GGML_TYPE_Q5_1: {
        const uint8_t *qs = t == GGML_TYPE_Q5_0 ? ((const BlockQ5_0 *)w)[i].qs : ((const BlockQ5_1 *)w)[i].qs;
        uint32_t qh = load_u32le(t == GGML_TYPE_Q5_0 ? ((const BlockQ5_0 *)w)[i].qh : ((const BlockQ5_1 *)w)[i].qh);
        int off = t == GGML_TYPE_Q5_0 && center ? 16 : 0;
        for (int l = 0; l < 16; l++) {
            q[l] = (int8_t)(((qs[l] & 0xF) | (int)((qh >> l) & 1) << 4) - off);
            q[l + 16] = (int8_t)(((qs[l] >> 4) | (int)((qh >> (l + 16)) & 1) << 4) - off);
        }
        break;
    }
    default:
        memcpy(q, ((const BlockQ8_0 *)w)[i].qs, 32);
        break;
    }
}

/* ggml's fold of eight float lanes (hsum_float_8). */
static float fold8(const float a[8])
{
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/* Q4_1, Q5_0, Q5_1, Q8_0 against Q8A rows, rounded as llama.cpp's x86
 * kernels round them (ggml_vec_dot_*_q8_*, and tinyBLAS for batches): per
 * block, eight lanes of four products, each lane scaled by d_w * d_y and
 * added by FMA into its own float sum; the lanes folded at the end, plus the
 * min terms (m_w * s_y, by FMA) summed apart. */
static void dot_lanes(GgmlType t, int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    int64_t nb = n / 32;
    for (int j = 0; j < nx; j++) {
        const QuantQ8A *y = XROW(QuantQ8A, x, j, xs);
        float acc[8] = { 0 }, accm = 0.0f;
        for (int64_t i = 0; i < nb; i++) {
            int8_t q[32];
            block_ints(t, w, i, q, true);
            float d, m = 0.0f;
            switch (t) {
            case GGML_TYPE_Q4_1: d = FP16(((const BlockQ4_1 *)w)[i].d), m = FP16(((const BlockQ4_1 *)w)[i].m); break;
            case GGML_TYPE_Q5_0: d = FP16(((const BlockQ5_0 *)w)[i].d); break;
            case GGML_TYPE_Q5_1: d = FP16(((const BlockQ5_1 *)w)[i].d), m = FP16(((const BlockQ5_1 *)w)[i].m); break;
            default: d = FP16(((const BlockQ8_0 *)w)[i].d); break;
            }
            float dd = d * y[i].d;
            for (int l = 0; l < 8; l++) {
                int s = 0;
                for (int k = 4 * l; k < 4 * l + 4; k++)
                    s += q[k] * y[i].qs[k];
                acc[l] = fmaf(dd, (float)s, acc[l]);
            }
            if (t == GGML_TYPE_Q4_1 || t == GGML_TYPE_Q5_1)
                accm = fmaf(m, y[i].s, accm);
        }
        out[j] = fold8(acc) + accm;
    }
}

/* Q4_0 as llama.cpp's x86 build multiplies it (repacked 8-row panels): one
 * integer sum per block, scaled by d_w * d_y and added by FMA. */
static void dot_q4_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    const BlockQ4_0 *b = w;
    int64_t nb = n / 32;
    for (int j = 0; j < nx; j++) {
        const QuantQ8A *y = XROW(QuantQ8A, x, j, xs);
        float acc = 0.0f;
        for (int64_t i = 0; i < nb; i++) {
            int8_t q[32];
            block_ints(GGML_TYPE_Q4_0, w, i, q, true);
            int s = 0;
            for (int l = 0; l < 32; l++)
                s += q[l] * y[i].qs[l];
            acc = fmaf(FP16(b[i].d) * y[i].d, (float)s, acc);
        }
        out[j] = acc;
    }
}

static void dot_q4_1(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    dot_lanes(GGML_TYPE_Q4_1, n, w, x, xs, nx, out);
}

static void dot_q5_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    dot_lanes(GGML_TYPE_Q5_0, n, w, x, xs, nx, out);
}

static void dot_q5_1(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    dot_lanes(GGML_TYPE_Q5_1, n, w, x, xs, nx, out);
}

static void dot_q8_0(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    dot_lanes(GGML_TYPE_Q8_0, n, w, x, xs, nx, out);
}

/* Q4_K / Q5_K: sum_s sc[s]*dot(q_s, y_s) * d - dmin * sum_s m[s]*sum(y_s),
 * rounded as llama.cpp's x86 repacked Q4_K kernels round it: the two parts in
 * two float sums (FMA), subtracted at the end; four activation rows (its
 * 4-row GEMM; matmul.c passes four exactly for those rows) add to them every
 * 64 columns, fewer rows (its GEMV) once per 256-column block. */
static void dot_q45_k(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out,
                      bool five)
{
    int64_t nb = n / QK_K;
    bool gemm = nx == 4;
    for (int j = 0; j < nx; j++) {
        const BlockQ8_K *y = XROW(BlockQ8_K, x, j, xs);
        float acc = 0.0f, accm = 0.0f;
        for (int64_t i = 0; i < nb; i++) {
            const uint8_t *scales, *qs, *qh = NULL;
            uint16_t dh, dminh;
            if (five) {
                const BlockQ5_K *b = (const BlockQ5_K *)w + i;
                scales = b->scales, qs = b->qs, qh = b->qh, dh = b->d, dminh = b->dmin;
            } else {
                const BlockQ4_K *b = (const BlockQ4_K *)w + i;
                scales = b->scales, qs = b->qs, dh = b->d, dminh = b->dmin;
            }
            int sum_q = 0, sum_m = 0;
            float ddq = FP16(dh) * y[i].d, ddm = FP16(dminh) * y[i].d;
            for (int s = 0; s < 8; s++) {
                uint8_t sc, m;
                quant_k4_scale_min(s, scales, &sc, &m);
                const uint8_t *q = qs + 32 * (s / 2);
                const int8_t *yq = y[i].qs + 32 * s;
                int shift = (s & 1) * 4, dot = 0;
                uint8_t hbit = (uint8_t)(1u << s);
                for (int l = 0; l < 32; l++) {
                    int v = (q[l] >> shift) & 0xF;
                    if (qh && (qh[l] & hbit))
                        v += 16;
                    dot += v * yq[l];
                }
                sum_q += sc * dot;
                sum_m += m * (y[i].bsums[2 * s] + y[i].bsums[2 * s + 1]);
                if (gemm && (s & 1)) {
                    acc = fmaf((float)sum_q, ddq, acc);
                    accm = fmaf((float)sum_m, ddm, accm);
                    sum_q = sum_m = 0;
                }
            }
            if (!gemm) {
                acc = fmaf((float)sum_q, ddq, acc);
                accm = fmaf((float)sum_m, ddm, accm);
            }
        }
        out[j] = acc - accm;
    }
}

static void dot_q4_k(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    dot_q45_k(n, w, x, xs, nx, out, false);
}

static void dot_q5_k(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    dot_q45_k(n, w, x, xs, nx, out, true);
}

static void dot_q6_k(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    const BlockQ6_K *b = w;
    int64_t nb = n / QK_K;
    for (int j = 0; j < nx; j++) {
        const BlockQ8_K *y = XROW(BlockQ8_K, x, j, xs);
        float acc = 0.0f;
        for (int64_t i = 0; i < nb; i++) {
            int sum = 0;
            for (int h = 0; h < 2; h++) {
                const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
                const int8_t *yq = y[i].qs + 128 * h, *sc = b[i].scales + 8 * h;
                int part[8] = { 0 };
                for (int l = 0; l < 32; l++) {
                    int is = l / 16;
                    int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
                    int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
                    int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                    int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                    part[is + 0] += q1 * yq[l];
                    part[is + 2] += q2 * yq[l + 32];
                    part[is + 4] += q3 * yq[l + 64];
                    part[is + 6] += q4 * yq[l + 96];
                }
                for (int k = 0; k < 8; k++)
                    sum += sc[k] * part[k];
            }
            acc = fmaf(FP16(b[i].d) * (float)sum, y[i].d, acc); /* as panel_avx2.c's Q6_K */
        }
        out[j] = acc;
    }
}

/* MXFP4 x Q8A, as ggml sums it: one float scale per block times the integer sum. */
static void dot_mxfp4(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out)
{
    static const int8_t V[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };
    const BlockMXFP4 *b = w;
    int64_t nb = n / QK_MXFP4;
    for (int j = 0; j < nx; j++) {
        const QuantQ8A *y = XROW(QuantQ8A, x, j, xs);
        float acc = 0.0f;
        for (int64_t i = 0; i < nb; i++) {
            int s1 = 0, s2 = 0;
            for (int l = 0; l < QK_MXFP4 / 2; l++) {
                s1 += y[i].qs[l] * V[b[i].qs[l] & 0xF];
                s2 += y[i].qs[l + QK_MXFP4 / 2] * V[b[i].qs[l] >> 4];
            }
            acc += y[i].d * quant_e8m0_half(b[i].e) * (float)(s1 + s2);
        }
        out[j] = acc;
    }
}

const QuantKernels quant_kernels_ref = {
    .dot = {
        [GGML_TYPE_F32] = dot_f32, [GGML_TYPE_F16] = dot_f16, [GGML_TYPE_BF16] = dot_bf16,
        [GGML_TYPE_Q4_0] = dot_q4_0, [GGML_TYPE_Q4_1] = dot_q4_1,
        [GGML_TYPE_Q5_0] = dot_q5_0, [GGML_TYPE_Q5_1] = dot_q5_1,
        [GGML_TYPE_Q8_0] = dot_q8_0, [GGML_TYPE_Q4_K] = dot_q4_k,
        [GGML_TYPE_Q5_K] = dot_q5_k, [GGML_TYPE_Q6_K] = dot_q6_k,
        [GGML_TYPE_MXFP4] = dot_mxfp4,
    },
    .act_q8a = quant_act_q8a_ref,
    .act_q8k = quant_act_q8k_ref,
};

/* ---- run-time selection ---- */

/* 0 = not decided yet, 1 = off, 2 = on */
static atomic_int simd_state;

static bool cpu_has_simd(void)
{
#ifdef QUANT_HAVE_AVX2_FILE
    __builtin_cpu_init();
    /* F16C through cpuid: clang 14's __builtin_cpu_supports does not know it. */
    unsigned a, b, c, d;
    bool f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && f16c;
#else
    return false;
#endif
}

static const QuantKernels *kernels(void)
{
    int s = atomic_load_explicit(&simd_state, memory_order_relaxed);
    if (s == 0) {
        const char *env = getenv("VERSUS_NO_SIMD");
        bool off = env && *env && strcmp(env, "0") != 0;
        s = (!off && cpu_has_simd()) ? 2 : 1;
        atomic_store(&simd_state, s);
    }
#ifdef QUANT_HAVE_AVX2_FILE
    if (s == 2)
        return &quant_kernels_avx2;
#endif
    return &quant_kernels_ref;
}

bool quant_set_simd(bool on)
{
    bool was = quant_simd_active();
    atomic_store(&simd_state, (on && cpu_has_simd()) ? 2 : 1);
    return was;
}

bool quant_simd_active(void)
{
    return kernels() != &quant_kernels_ref;
}

QuantDotFn quant_dot_fn(GgmlType t)
{
    if (!quant_type_supported(t) || (int)t >= QUANT_MAX_TYPE)
        return NULL;
    QuantDotFn f = kernels()->dot[t];
    return f ? f : quant_kernels_ref.dot[t];
}

void quant_act_q8a(const float *x, QuantQ8A *b, int64_t nb)
{
    const QuantKernels *k = kernels();
    (k->act_q8a ? k->act_q8a : quant_act_q8a_ref)(x, b, nb);
}

void quant_act_q8k(const float *x, BlockQ8_K *b, int64_t nb)
{
    const QuantKernels *k = kernels();
    (k->act_q8k ? k->act_q8k : quant_act_q8k_ref)(x, b, nb);
}
