/* quant.c — ggml block formats: the type table, fp16/bf16 conversion,
 * dequantization and reference quantization of rows, and activation
 * quantization. Plain C, deterministic. The dot products live in quant_dot.c
 * (portable) and quant_avx2.c (AVX2+FMA). */
#include "engine/quant.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant_impl.h"

/* ---- half precision ---- */

static inline uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

static inline float bits_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

float quant_fp16_to_fp32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0) {
        float v = (float)mant * 5.9604644775390625e-8f; /* 2^-24, exact */
        return sign ? -v : v;
    }
    if (exp == 31)
        return bits_f32(sign | 0x7f800000u | (mant << 13));
    return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
}

uint16_t quant_fp32_to_fp16(float f)
{
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) /* NaN: keep it quiet and non-zero */
        return (uint16_t)(sign | 0x7e00 | ((a >> 13) & 0x3ff));
    if (a >= 0x477ff000u) /* rounds to or beyond infinity */
        return (uint16_t)(sign | 0x7c00);
    if (a < 0x38800000u) { /* below the smallest normal: subnormal or zero */
        float v = bits_f32(a) * 16777216.0f; /* exact scaling by 2^24 */
        return (uint16_t)(sign | (uint16_t)nearbyintf(v));
    }
    return (uint16_t)(sign | (((a + 0xfffu + ((a >> 13) & 1u)) >> 13) - (112u << 10)));
}

float quant_bf16_to_fp32(uint16_t h)
{
    return bits_f32((uint32_t)h << 16);
}

uint16_t quant_fp32_to_bf16(float f)
{
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((x >> 16) | 0x40);
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

#define FP16(x) quant_fp16_to_fp32(x)

/* ---- types: the one table is core/ggml_type.h ---- */

_Static_assert(QK4_0 == 32 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ6_K) == 210, "ggml layouts");

/* A type this module computes with, or NULL. */
static const GgmlTypeInfo *type_info(GgmlType t)
{
    const GgmlTypeInfo *ti = ggml_type_info((int)t);
    return ti && ti->cpu ? ti : NULL;
}

bool quant_type_supported(GgmlType t)
{
    return type_info(t) != NULL;
}

int quant_block_size(GgmlType t)
{
    const GgmlTypeInfo *ti = type_info(t);
    return ti ? (int)ti->block : 0;
}

size_t quant_block_bytes(GgmlType t)
{
    const GgmlTypeInfo *ti = type_info(t);
    return ti ? ti->bytes : 0;
}

size_t quant_row_size(GgmlType t, int64_t n)
{
    const GgmlTypeInfo *ti = type_info(t);
    if (!ti || n < 0 || n % ti->block)
        return 0;
    return (size_t)(n / ti->block) * ti->bytes;
}

const char *quant_type_name(GgmlType t)
{
    /* every ggml type a GGUF file may name, supported here or not, so that an
     * error can say which type it met */
    const GgmlTypeInfo *ti = ggml_type_info((int)t);
    return ti ? ti->name : "unknown";
}

/* ---- small helpers shared by the quantizers ---- */

/* Round to nearest, ties to even (as lrintf and the SIMD converters do),
 * without a libm call: adding 1.5*2^23 leaves the rounded integer in the low
 * mantissa bits. Saturates far outside any quantization range. */
static inline int nearest_int(float f)
{
    if (!(fabsf(f) <= 4194303.0f))
        return f > 0 ? 4194303 : f < 0 ? -4194303 : 0; /* NaN -> 0 */
    float v = f + 12582912.0f;
    int32_t i;
    memcpy(&i, &v, 4);
    return (i & 0x007fffff) - 0x00400000;
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The element of largest magnitude, with its sign. */
static float signed_absmax(const float *x, int n)
{
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a > amax) {
            amax = a;
            max = x[i];
        }
    }
    return max;
}

/* 6-bit scale and min of sub-block j from a packed K_SCALE_SIZE array. */
void quant_k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
        *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

static void k4_pack_scales(const uint8_t ls[8], const uint8_t lm[8], uint8_t *q)
{
    memset(q, 0, K_SCALE_SIZE);
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            q[j] = ls[j];
            q[j + 4] = lm[j];
        } else {
            q[j + 4] = (uint8_t)((ls[j] & 0xF) | ((lm[j] & 0xF) << 4));
            q[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            q[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

/* ---- dequantization ---- */

static void deq_q4_0(const BlockQ4_0 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += QK4_0) {
        float d = FP16(b[i].d);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)((b[i].qs[j] & 0xF) - 8) * d;
            y[j + 16] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

static void deq_q4_1(const BlockQ4_1 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += QK4_1) {
        float d = FP16(b[i].d), m = FP16(b[i].m);
        for (int j = 0; j < 16; j++) {
            y[j] = (float)(b[i].qs[j] & 0xF) * d + m;
            y[j + 16] = (float)(b[i].qs[j] >> 4) * d + m;
        }
    }
}

static inline uint32_t load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The 32 five-bit quants (0..31) of a Q5_0/Q5_1 block: low nibbles in qs
 * (element j in byte j % 16, the high nibble for j >= 16), fifth bits in qh. */
static inline void unpack_q5(const uint8_t qs[16], const uint8_t qh4[4], int q[32])
{
    uint32_t qh = load_u32le(qh4);
    for (int j = 0; j < 16; j++) {
        q[j] = (qs[j] & 0xF) | (int)((qh >> j) & 1) << 4;
        q[j + 16] = (qs[j] >> 4) | (int)((qh >> (j + 16)) & 1) << 4;
    }
}

static void deq_q5_0(const BlockQ5_0 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += QK5_0) {
        float d = FP16(b[i].d);
        int q[32];
        unpack_q5(b[i].qs, b[i].qh, q);
        for (int j = 0; j < 32; j++)
            y[j] = (float)(q[j] - 16) * d;
    }
}

static void deq_q5_1(const BlockQ5_1 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += QK5_1) {
        float d = FP16(b[i].d), m = FP16(b[i].m);
        int q[32];
        unpack_q5(b[i].qs, b[i].qh, q);
        for (int j = 0; j < 32; j++)
            y[j] = (float)q[j] * d + m;
    }
}

static void deq_q8_0(const BlockQ8_0 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += QK8_0) {
        float d = FP16(b[i].d);
        for (int j = 0; j < QK8_0; j++)
            y[j] = (float)b[i].qs[j] * d;
    }
}

static void deq_q4_k(const BlockQ4_K *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++) {
        float d = FP16(b[i].d), dmin = FP16(b[i].dmin);
        const uint8_t *q = b[i].qs;
        for (int c = 0; c < 4; c++, q += 32) {
            uint8_t s1, m1, s2, m2;
            quant_k4_scale_min(2 * c, b[i].scales, &s1, &m1);
            quant_k4_scale_min(2 * c + 1, b[i].scales, &s2, &m2);
            float d1 = d * s1, o1 = dmin * m1, d2 = d * s2, o2 = dmin * m2;
            for (int l = 0; l < 32; l++)
                *y++ = d1 * (float)(q[l] & 0xF) - o1;
            for (int l = 0; l < 32; l++)
                *y++ = d2 * (float)(q[l] >> 4) - o2;
        }
    }
}

static void deq_q5_k(const BlockQ5_K *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++) {
        float d = FP16(b[i].d), dmin = FP16(b[i].dmin);
        const uint8_t *q = b[i].qs, *qh = b[i].qh;
        for (int c = 0; c < 4; c++, q += 32) {
            uint8_t s1, m1, s2, m2;
            quant_k4_scale_min(2 * c, b[i].scales, &s1, &m1);
            quant_k4_scale_min(2 * c + 1, b[i].scales, &s2, &m2);
            float d1 = d * s1, o1 = dmin * m1, d2 = d * s2, o2 = dmin * m2;
            uint8_t u1 = (uint8_t)(1u << (2 * c)), u2 = (uint8_t)(2u << (2 * c));
            for (int l = 0; l < 32; l++)
                *y++ = d1 * (float)((q[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - o1;
            for (int l = 0; l < 32; l++)
                *y++ = d2 * (float)((q[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - o2;
        }
    }
}

static void deq_q6_k(const BlockQ6_K *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++) {
        float d = FP16(b[i].d);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const int8_t *sc = b[i].scales + 8 * h;
            float *yy = y + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int q1 = ((ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4) - 32;
                int q2 = ((ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4) - 32;
                int q3 = ((ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4) - 32;
                int q4 = ((ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4) - 32;
                yy[l] = d * (float)sc[is + 0] * (float)q1;
                yy[l + 32] = d * (float)sc[is + 2] * (float)q2;
                yy[l + 64] = d * (float)sc[is + 4] * (float)q3;
                yy[l + 96] = d * (float)sc[is + 6] * (float)q4;
            }
        }
        y += QK_K;
    }
}

/* ---- MXFP4 (gpt-oss's expert weights) ---- */

static const int8_t MXFP4_VALUES[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };

float quant_e8m0_half(uint8_t e)
{
    /* 2^(e-128) built in the exponent bits; e < 2 are the two denormals */
    uint32_t bits = e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void deq_mxfp4(const BlockMXFP4 *b, float *y, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, y += QK_MXFP4) {
        float d = quant_e8m0_half(b[i].e);
        for (int j = 0; j < QK_MXFP4 / 2; j++) {
            y[j] = MXFP4_VALUES[b[i].qs[j] & 0x0F] * d;
            y[j + QK_MXFP4 / 2] = MXFP4_VALUES[b[i].qs[j] >> 4] * d;
        }
    }
}

static int mxfp4_nearest(float x, float d)
{
    int best = 0;
    float err = fabsf(MXFP4_VALUES[0] * d - x);
    for (int i = 1; i < 16; i++) {
        float e = fabsf(MXFP4_VALUES[i] * d - x);
        if (e < err) {
            best = i;
            err = e;
        }
    }
    return best;
}

/* ggml's reference quantizer: the exponent from the block's largest magnitude,
 * each value to the nearest of the 16 codes. */
static void q_mxfp4(const float *x, BlockMXFP4 *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK_MXFP4) {
        float amax = 0.0f;
        for (int j = 0; j < QK_MXFP4; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        b[i].e = amax > 0.0f ? (uint8_t)(floorf(log2f(amax)) - 2 + 127) : 0;
        float d = quant_e8m0_half(b[i].e);
        for (int j = 0; j < QK_MXFP4 / 2; j++)
            b[i].qs[j] = (uint8_t)(mxfp4_nearest(x[j], d) | mxfp4_nearest(x[j + QK_MXFP4 / 2], d) << 4);
    }
}

int quant_dequantize_row(GgmlType t, const void *src, float *dst, int64_t n)
{
    const GgmlTypeInfo *ti = type_info(t);
    if (!ti || n < 0 || n % ti->block)
        return -1;
    int64_t nb = n / ti->block;
    switch (t) {
    case GGML_TYPE_F32:
        memcpy(dst, src, (size_t)n * 4);
        break;
    case GGML_TYPE_F16: {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = quant_fp16_to_fp32(h[i]);
        break;
    }
    case GGML_TYPE_BF16: {
        const uint16_t *h = src;
        for (int64_t i = 0; i < n; i++)
            dst[i] = quant_bf16_to_fp32(h[i]);
        break;
    }
    case GGML_TYPE_Q4_0: deq_q4_0(src, dst, nb); break;
    case GGML_TYPE_Q4_1: deq_q4_1(src, dst, nb); break;
    case GGML_TYPE_Q5_0: deq_q5_0(src, dst, nb); break;
    case GGML_TYPE_Q5_1: deq_q5_1(src, dst, nb); break;
    case GGML_TYPE_Q8_0: deq_q8_0(src, dst, nb); break;
    case GGML_TYPE_Q4_K: deq_q4_k(src, dst, nb); break;
    case GGML_TYPE_Q5_K: deq_q5_k(src, dst, nb); break;
    case GGML_TYPE_Q6_K: deq_q6_k(src, dst, nb); break;
    case GGML_TYPE_MXFP4: deq_mxfp4(src, dst, nb); break;
    default: return -1;
    }
    return 0;
}

int quant_get_row(GgmlType t, const void *data, int64_t row, int64_t cols, float *dst)
{
    size_t rs = quant_row_size(t, cols);
    if (rs == 0 || row < 0)
        return -1;
    return quant_dequantize_row(t, (const uint8_t *)data + (size_t)row * rs, dst, cols);
}

/* ---- reference quantization ---- */

static void q_q4_0(const float *x, BlockQ4_0 *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK4_0) {
        float max = signed_absmax(x, QK4_0);
        float d = max / -8.0f;
        b[i].d = quant_fp32_to_fp16(d);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int j = 0; j < 16; j++) {
            int lo = clampi((int)(x[j] * id + 8.5f), 0, 15);
            int hi = clampi((int)(x[j + 16] * id + 8.5f), 0, 15);
            b[i].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

static void min_max(const float *x, int n, float *mn, float *mx)
{
    float lo = x[0], hi = x[0];
    for (int j = 1; j < n; j++) {
        if (x[j] < lo) lo = x[j];
        if (x[j] > hi) hi = x[j];
    }
    *mn = lo;
    *mx = hi;
}

static void q_q4_1(const float *x, BlockQ4_1 *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK4_1) {
        float mn, mx;
        min_max(x, QK4_1, &mn, &mx);
        float d = (mx - mn) / 15.0f;
        b[i].d = quant_fp32_to_fp16(d);
        b[i].m = quant_fp32_to_fp16(mn);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        for (int j = 0; j < 16; j++) {
            int lo = clampi((int)((x[j] - mn) * id + 0.5f), 0, 15);
            int hi = clampi((int)((x[j + 16] - mn) * id + 0.5f), 0, 15);
            b[i].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

/* Packs the 32 quants q (0..31) of a Q5_0/Q5_1 block the way unpack_q5 reads them. */
static void pack_q5(const int q[32], uint8_t qs[16], uint8_t qh4[4])
{
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((q[j] & 0xF) | (q[j + 16] & 0xF) << 4);
        qh |= (uint32_t)(q[j] >> 4) << j | (uint32_t)(q[j + 16] >> 4) << (j + 16);
    }
    for (int k = 0; k < 4; k++)
        qh4[k] = (uint8_t)(qh >> (8 * k));
}

static void q_q5_0(const float *x, BlockQ5_0 *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK5_0) {
        float max = signed_absmax(x, QK5_0);
        float d = max / -16.0f;
        b[i].d = quant_fp32_to_fp16(d);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        int q[32];
        for (int j = 0; j < 32; j++)
            q[j] = clampi((int)(x[j] * id + 16.5f), 0, 31);
        pack_q5(q, b[i].qs, b[i].qh);
    }
}

static void q_q5_1(const float *x, BlockQ5_1 *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK5_1) {
        float mn, mx;
        min_max(x, QK5_1, &mn, &mx);
        float d = (mx - mn) / 31.0f;
        b[i].d = quant_fp32_to_fp16(d);
        b[i].m = quant_fp32_to_fp16(mn);
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        int q[32];
        for (int j = 0; j < 32; j++)
            q[j] = clampi((int)((x[j] - mn) * id + 0.5f), 0, 31);
        pack_q5(q, b[i].qs, b[i].qh);
    }
}

static void q_q8_0(const float *x, BlockQ8_0 *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK8_0) {
        float amax = 0.0f;
        for (int j = 0; j < QK8_0; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        b[i].d = quant_fp32_to_fp16(d);
        for (int j = 0; j < QK8_0; j++)
            b[i].qs[j] = (int8_t)clampi(nearest_int(x[j] * id), -127, 127);
    }
}

/* Asymmetric fit of n values to levels 0..nmax: x ~ scale*q - min, min >= 0.
 * Starts from the min/max range, then alternates rounding to levels with a
 * least-squares solve for (scale, offset), keeping the best error seen. */
static void fit_scale_min(const float *x, int n, int nmax, float *scale, float *min)
{
    float lo, hi;
    min_max(x, n, &lo, &hi);
    if (lo > 0.0f)
        lo = 0.0f;
    if (hi <= lo) {
        *scale = 0.0f;
        *min = -lo;
        return;
    }
    float s = (hi - lo) / (float)nmax, l = lo;
    float best_err = INFINITY, best_s = s, best_l = l;
    for (int iter = 0; iter < 3; iter++) {
        float is = 1.0f / s, err = 0.0f;
        float sq = 0.0f, sqq = 0.0f, sx = 0.0f, sqx = 0.0f;
        for (int j = 0; j < n; j++) {
            float q = (float)clampi(nearest_int((x[j] - l) * is), 0, nmax);
            float e = s * q + l - x[j];
            err += e * e;
            sq += q;
            sqq += q * q;
            sx += x[j];
            sqx += q * x[j];
        }
        if (err < best_err) {
            best_err = err;
            best_s = s;
            best_l = l;
        }
        float det = sqq * (float)n - sq * sq;
        if (!(det > 0.0f))
            break;
        float ns = ((float)n * sqx - sq * sx) / det;
        float nl = (sqq * sx - sq * sqx) / det;
        if (nl > 0.0f) { /* the offset must not be positive: refit the scale alone */
            nl = 0.0f;
            ns = sqq > 0.0f ? sqx / sqq : 0.0f;
        }
        if (!(ns > 0.0f))
            break;
        s = ns;
        l = nl;
    }
    *scale = best_s;
    *min = -best_l;
}

/* Shared by Q4_K and Q5_K: per-sub-block 6-bit scales/mins and the levels. */
static void k_quantize_block(const float *x, int nmax, uint16_t *d_out, uint16_t *dmin_out,
                             uint8_t *scales, uint8_t L[QK_K])
{
    float sc[8], mn[8], max_sc = 0.0f, max_mn = 0.0f;
    for (int j = 0; j < 8; j++) {
        fit_scale_min(x + 32 * j, 32, nmax, &sc[j], &mn[j]);
        max_sc = fmaxf(max_sc, sc[j]);
        max_mn = fmaxf(max_mn, mn[j]);
    }
    float inv_sc = max_sc > 0.0f ? 63.0f / max_sc : 0.0f;
    float inv_mn = max_mn > 0.0f ? 63.0f / max_mn : 0.0f;
    uint8_t ls[8], lm[8];
    for (int j = 0; j < 8; j++) {
        ls[j] = (uint8_t)clampi(nearest_int(inv_sc * sc[j]), 0, 63);
        lm[j] = (uint8_t)clampi(nearest_int(inv_mn * mn[j]), 0, 63);
    }
    *d_out = quant_fp32_to_fp16(max_sc / 63.0f);
    *dmin_out = quant_fp32_to_fp16(max_mn / 63.0f);
    k4_pack_scales(ls, lm, scales);
    float d = FP16(*d_out), dmin = FP16(*dmin_out);
    for (int j = 0; j < 8; j++) {
        float dl = d * ls[j], ml = dmin * lm[j];
        for (int l = 0; l < 32; l++) {
            int q = dl != 0.0f ? nearest_int((x[32 * j + l] + ml) / dl) : 0;
            L[32 * j + l] = (uint8_t)clampi(q, 0, nmax);
        }
    }
}

static void q_q4_k(const float *x, BlockQ4_K *b, int64_t nb)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        k_quantize_block(x, 15, &b[i].d, &b[i].dmin, b[i].scales, L);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++)
                b[i].qs[32 * c + l] = (uint8_t)(L[64 * c + l] | L[64 * c + 32 + l] << 4);
    }
}

static void q_q5_k(const float *x, BlockQ5_K *b, int64_t nb)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        k_quantize_block(x, 31, &b[i].d, &b[i].dmin, b[i].scales, L);
        memset(b[i].qh, 0, sizeof b[i].qh);
        for (int c = 0; c < 4; c++)
            for (int l = 0; l < 32; l++) {
                int lo = L[64 * c + l], hi = L[64 * c + 32 + l];
                b[i].qs[32 * c + l] = (uint8_t)((lo & 0xF) | (hi & 0xF) << 4);
                b[i].qh[l] |= (uint8_t)((lo >> 4) << (2 * c) | (hi >> 4) << (2 * c + 1));
            }
    }
}

static void q_q6_k(const float *x, BlockQ6_K *b, int64_t nb)
{
    uint8_t L[QK_K];
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        float sc[16], max_sc = 0.0f, amax_sc = 0.0f;
        for (int j = 0; j < 16; j++) {
            sc[j] = signed_absmax(x + 16 * j, 16) / -32.0f;
            if (fabsf(sc[j]) > amax_sc) {
                amax_sc = fabsf(sc[j]);
                max_sc = sc[j];
            }
        }
        float iscale = max_sc != 0.0f ? -128.0f / max_sc : 0.0f;
        b[i].d = quant_fp32_to_fp16(iscale != 0.0f ? 1.0f / iscale : 0.0f);
        float d = FP16(b[i].d);
        for (int j = 0; j < 16; j++) {
            int s = clampi(nearest_int(iscale * sc[j]), -128, 127);
            b[i].scales[j] = (int8_t)s;
            float dl = d * (float)s;
            for (int l = 0; l < 16; l++) {
                int q = dl != 0.0f ? nearest_int(x[16 * j + l] / dl) : 0;
                L[16 * j + l] = (uint8_t)(clampi(q, -32, 31) + 32);
            }
        }
        for (int h = 0; h < 2; h++) {
            uint8_t *ql = b[i].ql + 64 * h, *qh = b[i].qh + 32 * h;
            const uint8_t *LL = L + 128 * h;
            for (int l = 0; l < 32; l++) {
                int q1 = LL[l], q2 = LL[l + 32], q3 = LL[l + 64], q4 = LL[l + 96];
                ql[l] = (uint8_t)((q1 & 0xF) | (q3 & 0xF) << 4);
                ql[l + 32] = (uint8_t)((q2 & 0xF) | (q4 & 0xF) << 4);
                qh[l] = (uint8_t)((q1 >> 4) | (q2 >> 4) << 2 | (q3 >> 4) << 4 | (q4 >> 4) << 6);
            }
        }
    }
}

int quant_quantize_row(GgmlType t, const float *src, void *dst, int64_t n)
{
    const GgmlTypeInfo *ti = type_info(t);
    if (!ti || n < 0 || n % ti->block)
        return -1;
    int64_t nb = n / ti->block;
    switch (t) {
    case GGML_TYPE_F32:
        memcpy(dst, src, (size_t)n * 4);
        break;
    case GGML_TYPE_F16: {
        uint16_t *h = dst;
        for (int64_t i = 0; i < n; i++)
            h[i] = quant_fp32_to_fp16(src[i]);
        break;
    }
    case GGML_TYPE_BF16: {
        uint16_t *h = dst;
        for (int64_t i = 0; i < n; i++)
            h[i] = quant_fp32_to_bf16(src[i]);
        break;
    }
    case GGML_TYPE_Q4_0: q_q4_0(src, dst, nb); break;
    case GGML_TYPE_Q4_1: q_q4_1(src, dst, nb); break;
    case GGML_TYPE_Q5_0: q_q5_0(src, dst, nb); break;
    case GGML_TYPE_Q5_1: q_q5_1(src, dst, nb); break;
    case GGML_TYPE_Q8_0: q_q8_0(src, dst, nb); break;
    case GGML_TYPE_Q4_K: q_q4_k(src, dst, nb); break;
    case GGML_TYPE_Q5_K: q_q5_k(src, dst, nb); break;
    case GGML_TYPE_Q6_K: q_q6_k(src, dst, nb); break;
    case GGML_TYPE_MXFP4: q_mxfp4(src, dst, nb); break;
    default: return -1;
    }
    return 0;
}

/* ---- activations ---- */

QuantActType quant_act_type(GgmlType t)
{
    switch (t) {
    case GGML_TYPE_Q4_0: case GGML_TYPE_Q4_1: case GGML_TYPE_Q5_0:
    case GGML_TYPE_Q5_1: case GGML_TYPE_Q8_0: case GGML_TYPE_MXFP4:
        return QUANT_ACT_Q8A;
    case GGML_TYPE_Q4_K: case GGML_TYPE_Q5_K: case GGML_TYPE_Q6_K:
        return QUANT_ACT_Q8K;
    default:
        return QUANT_ACT_F32;
    }
}

size_t quant_act_row_size(QuantActType a, int64_t n)
{
    switch (a) {
    case QUANT_ACT_Q8A: return (size_t)(n / 32) * sizeof(QuantQ8A);
    case QUANT_ACT_Q8K: return (size_t)(n / QK_K) * sizeof(BlockQ8_K);
    default: return (size_t)n * sizeof(float);
    }
}

/* The activation formats follow ggml's q8_0/q8_1 and q8_K to the bit, so
 * that products round as llama.cpp's do: the 32-block scale is amax/127
 * stored in fp16 (q = round(x * 127/amax)), s = fp16(d * sum q); the
 * 256-block scale is 1/iscale with iscale = -127/x[argmax |x|]. */
float quant_half_round(float f)
{
    return quant_fp16_to_fp32(quant_fp32_to_fp16(f));
}

void quant_act_q8a_ref(const float *x, QuantQ8A *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += 32) {
        float amax = 0.0f;
        for (int j = 0; j < 32; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = clampi(nearest_int(x[j] * id), -127, 127);
            b[i].qs[j] = (int8_t)q;
            sum += q;
        }
        b[i].d = quant_half_round(d);
        b[i].s = quant_half_round(d * (float)sum);
        b[i].sum = sum;
    }
}

void quant_act_q8k_ref(const float *x, BlockQ8_K *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        float amax = 0.0f, max = 0.0f;
        for (int j = 0; j < QK_K; j++)
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        if (amax == 0.0f) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        float iscale = -127.0f / max;
        for (int j = 0; j < QK_K; j++)
            b[i].qs[j] = (int8_t)clampi(nearest_int(iscale * x[j]), -128, 127);
        for (int g = 0; g < QK_K / 16; g++) {
            int s = 0;
            for (int l = 0; l < 16; l++)
                s += b[i].qs[16 * g + l];
            b[i].bsums[g] = (int16_t)s;
        }
        b[i].d = 1.0f / iscale;
    }
}

void quant_act_quantize(QuantActType a, const float *src, void *dst, int64_t n)
{
    switch (a) {
    case QUANT_ACT_Q8A:
        quant_act_q8a(src, dst, n / 32);
        break;
    case QUANT_ACT_Q8K:
        quant_act_q8k(src, dst, n / QK_K);
        break;
    default:
        memcpy(dst, src, (size_t)n * sizeof(float));
        break;
    }
}
