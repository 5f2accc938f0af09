/* quant_avx2.c — AVX2+FMA(+F16C) dot kernels and activation quantizers.
 * Compiled for every x86-64 build with per-function target attributes and
 * chosen at run time (quant_dot.c), so the binary still runs on CPUs without
 * AVX2. Each kernel unpacks a weight block once and multiplies it against up
 * to four activation rows (prefill reuses the unpacked weights); the integer
 * sums are exact, so results differ from the portable kernels only by float
 * summation order. Entries left NULL fall back to the portable kernels. */
#include "engine/quant.h"
#include "engine/quant_impl.h"

#ifdef QUANT_HAVE_AVX2_FILE

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) TARGET

INLINE float hsum_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

INLINE int hsum_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

INLINE float fp16(uint16_t h)
{
    return _cvtsh_ss(h);
}

/* 32 signed bytes a . b as 8 int32 (a may be -128..127, b -127..127). */
INLINE __m256i dot_i8(__m256i a, __m256i b)
{
    __m256i ax = _mm256_sign_epi8(a, a);
    __m256i sb = _mm256_sign_epi8(b, a);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(ax, sb), _mm256_set1_epi16(1));
}

/* 32 unsigned (<= 63) bytes a . signed bytes b as 8 int32. */
INLINE __m256i dot_u8(__m256i a, __m256i b)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
}

/* 16 packed bytes -> 32 nibbles: low nibbles in bytes 0..15, high in 16..31. */
INLINE __m256i unpack_nibbles(const uint8_t *p)
{
    __m128i v = _mm_loadu_si128((const __m128i *)p);
    __m256i both = _mm256_set_m128i(_mm_srli_epi16(v, 4), v);
    return _mm256_and_si256(both, _mm256_set1_epi8(0x0F));
}

/* 32 bits (little-endian) -> 32 bytes holding 0x10 where the bit is set. */
INLINE __m256i bits_to_0x10(const uint8_t *p)
{
    uint32_t u;
    memcpy(&u, p, 4);
    const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202,
                                             0x0101010101010101, 0x0000000000000000);
    __m256i v = _mm256_shuffle_epi8(_mm256_set1_epi32((int)u), spread);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(v, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

#define Y8A(x, j, xs, i) ((const QuantQ8A *)((const char *)(x) + (size_t)(j) * (xs)) + (i))
#define Y8K(x, j, xs, i) ((const BlockQ8_K *)((const char *)(x) + (size_t)(j) * (xs)) + (i))

/* Kernel bodies take NX as a compile-time constant (via the wrappers at the
 * bottom) so the per-row accumulators stay in registers. */

/* kind: 0 = Q4_0, 1 = Q4_1, 2 = Q5_0, 3 = Q5_1, 4 = Q8_0 */
INLINE void body_q32(int kind, int64_t n, const void *w, const void *x, size_t xs, int NX,
                     float *out)
{
    int64_t nb = n / 32;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                      _mm256_setzero_ps() };
    float accm[4] = { 0 };
    for (int64_t i = 0; i < nb; i++) {
        __m256i q;
        float d, m = 0.0f;
        switch (kind) {
        case 0: {
            const BlockQ4_0 *b = (const BlockQ4_0 *)w + i;
            q = _mm256_sub_epi8(unpack_nibbles(b->qs), _mm256_set1_epi8(8));
            d = fp16(b->d);
            break;
        }
        case 1: {
            const BlockQ4_1 *b = (const BlockQ4_1 *)w + i;
            q = unpack_nibbles(b->qs);
            d = fp16(b->d);
            m = fp16(b->m);
            break;
        }
        case 2: {
            const BlockQ5_0 *b = (const BlockQ5_0 *)w + i;
            q = _mm256_or_si256(unpack_nibbles(b->qs), bits_to_0x10(b->qh));
            q = _mm256_sub_epi8(q, _mm256_set1_epi8(16));
            d = fp16(b->d);
            break;
        }
        case 3: {
            const BlockQ5_1 *b = (const BlockQ5_1 *)w + i;
            q = _mm256_or_si256(unpack_nibbles(b->qs), bits_to_0x10(b->qh));
            d = fp16(b->d);
            m = fp16(b->m);
            break;
        }
        default: {
            const BlockQ8_0 *b = (const BlockQ8_0 *)w + i;
            q = _mm256_loadu_si256((const __m256i *)b->qs);
            d = fp16(b->d);
            break;
        }
        }
        for (int j = 0; j < NX; j++) {
            const QuantQ8A *y = Y8A(x, j, xs, i);
            __m256i yv = _mm256_loadu_si256((const __m256i *)y->qs);
            __m256i p = (kind == 1 || kind == 3) ? dot_u8(q, yv) : dot_i8(q, yv);
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * y->d), _mm256_cvtepi32_ps(p), acc[j]);
            if (kind == 1 || kind == 3)
                accm[j] = fmaf(m, y->s, accm[j]); /* llama.cpp's build fuses this product-sum */
        }
    }
    for (int j = 0; j < NX; j++)
        out[j] = hsum_ps(acc[j]) + accm[j];
}

/* The 8 six-bit scales and 8 mins of a Q4_K/Q5_K block, as bytes
 * (scales in 0..7, mins in 8..15). */
INLINE __m128i k4_scales_mins(const uint8_t *q)
{
    uint32_t u[3];
    memcpy(u, q, 12);
    uint32_t s[4];
    s[0] = u[0] & 0x3f3f3f3fu;
    s[1] = (u[2] & 0x0f0f0f0fu) | ((u[0] >> 6) & 0x03030303u) << 4;
    s[2] = u[1] & 0x3f3f3f3fu;
    s[3] = ((u[2] >> 4) & 0x0f0f0f0fu) | ((u[1] >> 6) & 0x03030303u) << 4;
    return _mm_loadu_si128((const __m128i *)s);
}

/* Broadcast 16-bit lane s (0..7) of a vector holding 8 int16 in each half. */
INLINE __m256i bcast16(__m256i v, int s)
{
    return _mm256_shuffle_epi8(v, _mm256_set1_epi16((short)((2 * s) | (2 * s + 1) << 8)));
}

/* Q4_K (five = 0) and Q5_K (five = 1). */
INLINE void body_q45k(int five, int64_t n, const void *w, const void *x, size_t xs, int NX,
                      float *out)
{
    int64_t nb = n / QK_K;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                      _mm256_setzero_ps() };
    __m128 accm[4] = { _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps(), _mm_setzero_ps() };
    const __m256i m4 = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
    for (int64_t i = 0; i < nb; i++) {
        const uint8_t *scales, *qs, *qhp = NULL;
        uint16_t dh, dminh;
        if (five) {
            const BlockQ5_K *b = (const BlockQ5_K *)w + i;
            scales = b->scales, qs = b->qs, qhp = b->qh, dh = b->d, dminh = b->dmin;
        } else {
            const BlockQ4_K *b = (const BlockQ4_K *)w + i;
            scales = b->scales, qs = b->qs, dh = b->d, dminh = b->dmin;
        }
        __m128i sm = k4_scales_mins(scales);
        __m128i mins16 = _mm_cvtepu8_epi16(_mm_unpackhi_epi64(sm, sm));
        __m256i sc16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
        float d = fp16(dh), dmin = fp16(dminh);
        __m256i sumi[4] = { _mm256_setzero_si256(), _mm256_setzero_si256(),
                            _mm256_setzero_si256(), _mm256_setzero_si256() };
        __m256i hb = five ? _mm256_loadu_si256((const __m256i *)qhp) : _mm256_setzero_si256();
        for (int c = 0; c < 4; c++) {
            __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * c));
            __m256i lo = _mm256_and_si256(q, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
            if (five) {
                lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(hb, one), 4));
                hi = _mm256_or_si256(hi, _mm256_slli_epi16(
                                             _mm256_and_si256(_mm256_srli_epi16(hb, 1), one), 4));
                hb = _mm256_srli_epi16(hb, 2);
            }
            __m256i s_lo = bcast16(sc16, 2 * c), s_hi = bcast16(sc16, 2 * c + 1);
            for (int j = 0; j < NX; j++) {
                const int8_t *yq = Y8K(x, j, xs, i)->qs + 64 * c;
                __m256i y0 = _mm256_loadu_si256((const __m256i *)yq);
                __m256i y1 = _mm256_loadu_si256((const __m256i *)(yq + 32));
                __m256i p0 = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, y0), s_lo);
                __m256i p1 = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, y1), s_hi);
                sumi[j] = _mm256_add_epi32(sumi[j], _mm256_add_epi32(p0, p1));
            }
        }
        for (int j = 0; j < NX; j++) {
            const BlockQ8_K *y = Y8K(x, j, xs, i);
            __m128i b0 = _mm_loadu_si128((const __m128i *)y->bsums);
            __m128i b1 = _mm_loadu_si128((const __m128i *)(y->bsums + 8));
            __m128i pm = _mm_madd_epi16(_mm_hadd_epi16(b0, b1), mins16);
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * y->d), _mm256_cvtepi32_ps(sumi[j]), acc[j]);
            accm[j] = _mm_fmadd_ps(_mm_set1_ps(dmin * y->d), _mm_cvtepi32_ps(pm), accm[j]);
        }
    }
    for (int j = 0; j < NX; j++) {
        __m128 m = accm[j];
        m = _mm_add_ps(m, _mm_movehl_ps(m, m));
        m = _mm_add_ss(m, _mm_movehdup_ps(m));
        out[j] = hsum_ps(acc[j]) - _mm_cvtss_f32(m);
    }
}

INLINE __m256i pair_scales(const int8_t *sc)
{
    return _mm256_set_m128i(_mm_set1_epi16(sc[1]), _mm_set1_epi16(sc[0]));
}

INLINE void body_q6k(int64_t n, const void *w, const void *x, size_t xs, int NX, float *out)
{
    int64_t nb = n / QK_K;
    __m256 acc[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                      _mm256_setzero_ps() };
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(3);
    for (int64_t i = 0; i < nb; i++) {
        const BlockQ6_K *b = (const BlockQ6_K *)w + i;
        float d = fp16(b->d);
        __m256i sumi[4] = { _mm256_setzero_si256(), _mm256_setzero_si256(),
                            _mm256_setzero_si256(), _mm256_setzero_si256() };
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b->ql + 64 * h;
            __m256i l0 = _mm256_loadu_si256((const __m256i *)ql);
            __m256i l1 = _mm256_loadu_si256((const __m256i *)(ql + 32));
            __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
            __m256i q[4];
            q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(qh, m3), 4));
            q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m3), 4));
            q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m3), 4));
            q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                   _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m3), 4));
            __m256i s[4];
            for (int k = 0; k < 4; k++)
                s[k] = pair_scales(b->scales + 8 * h + 2 * k);
            for (int j = 0; j < NX; j++) {
                const int8_t *yq = Y8K(x, j, xs, i)->qs + 128 * h;
                for (int k = 0; k < 4; k++) {
                    __m256i yv = _mm256_loadu_si256((const __m256i *)(yq + 32 * k));
                    __m256i p = _mm256_madd_epi16(_mm256_maddubs_epi16(q[k], yv), s[k]);
                    sumi[j] = _mm256_add_epi32(sumi[j], p);
                }
            }
        }
        /* the -32 offset: 32 * sum_g scale[g] * bsum[g] */
        __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
        for (int j = 0; j < NX; j++) {
            const BlockQ8_K *y = Y8K(x, j, xs, i);
            __m256i corr = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)y->bsums));
            __m256i tot = _mm256_sub_epi32(sumi[j], _mm256_slli_epi32(corr, 5));
            acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * y->d), _mm256_cvtepi32_ps(tot), acc[j]);
        }
    }
    for (int j = 0; j < NX; j++)
        out[j] = hsum_ps(acc[j]);
}

/* Float weights: kind 0 = F32, 1 = F16, 2 = BF16. */
INLINE __m256 load8(int kind, const void *w, int64_t i)
{
    if (kind == 0)
        return _mm256_loadu_ps((const float *)w + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)w + i));
    if (kind == 1)
        return _mm256_cvtph_ps(h);
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

INLINE float scalar_w(int kind, const void *w, int64_t i)
{
    if (kind == 0)
        return ((const float *)w)[i];
    uint16_t h = ((const uint16_t *)w)[i];
    return kind == 1 ? fp16(h) : quant_bf16_to_fp32(h);
}

INLINE void body_float(int kind, int64_t n, const void *w, const void *x, size_t xs, int NX,
                       float *out)
{
    __m256 a0[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps() };
    __m256 a1[4] = { _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(),
                     _mm256_setzero_ps() };
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 w0 = load8(kind, w, i), w1 = load8(kind, w, i + 8);
        for (int j = 0; j < NX; j++) {
            const float *xr = (const float *)((const char *)x + (size_t)j * xs);
            a0[j] = _mm256_fmadd_ps(w0, _mm256_loadu_ps(xr + i), a0[j]);
            a1[j] = _mm256_fmadd_ps(w1, _mm256_loadu_ps(xr + i + 8), a1[j]);
        }
    }
    for (int j = 0; j < NX; j++) {
        const float *xr = (const float *)((const char *)x + (size_t)j * xs);
        float s = hsum_ps(_mm256_add_ps(a0[j], a1[j]));
        for (int64_t k = i; k < n; k++)
            s += scalar_w(kind, w, k) * xr[k];
        out[j] = s;
    }
}

/* One exported kernel per type: dispatch nx to a constant-NX body. */
#define DEFINE_KERNEL(name, call)                                                              \
    static TARGET void name(int64_t n, const void *w, const void *x, size_t xs, int nx,        \
                            float *out)                                                        \
    {                                                                                          \
        switch (nx) {                                                                          \
        case 1: call(1); break;                                                                \
        case 2: call(2); break;                                                                \
        case 3: call(3); break;                                                                \
        default: call(4); break;                                                               \
        }                                                                                      \
    }

#define CALL_Q40(NX) body_q32(0, n, w, x, xs, NX, out)
#define CALL_Q41(NX) body_q32(1, n, w, x, xs, NX, out)
#define CALL_Q50(NX) body_q32(2, n, w, x, xs, NX, out)
#define CALL_Q51(NX) body_q32(3, n, w, x, xs, NX, out)
#define CALL_Q80(NX) body_q32(4, n, w, x, xs, NX, out)
#define CALL_Q4K(NX) body_q45k(0, n, w, x, xs, NX, out)
#define CALL_Q5K(NX) body_q45k(1, n, w, x, xs, NX, out)
#define CALL_Q6K(NX) body_q6k(n, w, x, xs, NX, out)
#define CALL_F32(NX) body_float(0, n, w, x, xs, NX, out)
#define CALL_F16(NX) body_float(1, n, w, x, xs, NX, out)
#define CALL_BF16(NX) body_float(2, n, w, x, xs, NX, out)

DEFINE_KERNEL(dot_q4_0, CALL_Q40)
DEFINE_KERNEL(dot_q4_1, CALL_Q41)
DEFINE_KERNEL(dot_q5_0, CALL_Q50)
DEFINE_KERNEL(dot_q5_1, CALL_Q51)
DEFINE_KERNEL(dot_q8_0, CALL_Q80)
DEFINE_KERNEL(dot_q4_k, CALL_Q4K)
DEFINE_KERNEL(dot_q5_k, CALL_Q5K)
DEFINE_KERNEL(dot_q6_k, CALL_Q6K)
DEFINE_KERNEL(dot_f32, CALL_F32)
DEFINE_KERNEL(dot_f16, CALL_F16)
DEFINE_KERNEL(dot_bf16, CALL_BF16)

/* ---- activation quantizers (bit-identical to quant_act_*_ref) ---- */

/* n floats (multiple of 32) scaled by id, rounded to nearest even, packed to
 * int8 in order; returns the sum of the int8 values. */
INLINE int quantize_run(const float *x, float id, int8_t *q, int n)
{
    __m256 vid = _mm256_set1_ps(id);
    __m256i total = _mm256_setzero_si256();
    const __m256i perm = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    for (int k = 0; k < n; k += 32) {
        __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k), vid));
        __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 8), vid));
        __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 16), vid));
        __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + k + 24), vid));
        total = _mm256_add_epi32(total, _mm256_add_epi32(_mm256_add_epi32(i0, i1),
                                                         _mm256_add_epi32(i2, i3)));
        __m256i p01 = _mm256_packs_epi32(i0, i1), p23 = _mm256_packs_epi32(i2, i3);
        __m256i p = _mm256_packs_epi16(p01, p23);
        p = _mm256_permutevar8x32_epi32(p, perm);
        _mm256_storeu_si256((__m256i *)(q + k), p);
    }
    return hsum_epi32(total);
}

INLINE float absmax(const float *x, int n)
{
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < n; k += 8)
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + k)));
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static TARGET void act_q8a(const float *x, QuantQ8A *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += 32) {
        float amax = absmax(x, 32);
        float d = amax / 127.0f, id = amax != 0.0f ? 127.0f / amax : 0.0f;
        int sum = quantize_run(x, id, b[i].qs, 32);
        b[i].d = quant_half_round(d);
        b[i].s = quant_half_round(d * (float)sum);
        b[i].sum = sum;
    }
}

static TARGET void act_q8k(const float *x, BlockQ8_K *b, int64_t nb)
{
    for (int64_t i = 0; i < nb; i++, x += QK_K) {
        float amax = absmax(x, QK_K);
        if (amax == 0.0f) {
            memset(&b[i], 0, sizeof b[i]);
            continue;
        }
        int at = 0;
        while (fabsf(x[at]) != amax) /* the first element of largest magnitude, with its sign */
            at++;
        float iscale = -127.0f / x[at];
        quantize_run(x, iscale, b[i].qs, QK_K);
        for (int g = 0; g < QK_K / 16; g++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(b[i].qs + 16 * g));
            __m128i s16 = _mm_maddubs_epi16(_mm_set1_epi8(1), v);
            __m128i s32 = _mm_madd_epi16(s16, _mm_set1_epi16(1));
            s32 = _mm_add_epi32(s32, _mm_shuffle_epi32(s32, _MM_SHUFFLE(1, 0, 3, 2)));
            s32 = _mm_add_epi32(s32, _mm_shuffle_epi32(s32, _MM_SHUFFLE(2, 3, 0, 1)));
            b[i].bsums[g] = (int16_t)_mm_cvtsi128_si32(s32);
        }
        b[i].d = 1.0f / iscale;
    }
}

const QuantKernels quant_kernels_avx2 = {
    .dot = {
        [GGML_TYPE_F32] = dot_f32, [GGML_TYPE_F16] = dot_f16, [GGML_TYPE_BF16] = dot_bf16,
        [GGML_TYPE_Q4_0] = dot_q4_0, [GGML_TYPE_Q4_1] = dot_q4_1,
        [GGML_TYPE_Q5_0] = dot_q5_0, [GGML_TYPE_Q5_1] = dot_q5_1,
        [GGML_TYPE_Q8_0] = dot_q8_0, [GGML_TYPE_Q4_K] = dot_q4_k,
        [GGML_TYPE_Q5_K] = dot_q5_k, [GGML_TYPE_Q6_K] = dot_q6_k,
    },
    .act_q8a = act_q8a,
    .act_q8k = act_q8k,
};

#endif
