/* panel_avx2.c — AVX2+FMA+F16C kernels over the panel layouts of panel.c:
 * eight weight rows against up to four activation rows, one 32-bit lane per
 * weight row, so a whole panel's eight outputs come out of one vector and
 * nothing is summed horizontally.
 *
 * The integer kernels broadcast four activation bytes to every lane and
 * multiply them with vpmaddubsw against four bytes of each row. 4-bit (and
 * 6-bit) weights are unsigned, so they go straight into the unsigned operand
 * and their offset (Q4_0's 8, Q6_K's 32) or minimum is applied once per block
 * through the activation sums; the 16-bit partial sums are bounded
 * (15 * 127 * 2 * 8 = 30480 for 4-bit, 63 * 127 * 2 * 2 = 32004 for 6-bit)
 * before they are widened, Q4_K's and Q6_K's sub-block scales riding along in
 * the widening vpmaddwd. Q8_0 uses |w| and sign(y, w) per product pair.
 * Integer sums are exact: results differ from the row kernels of quant_dot.c
 * only by float rounding.
 *
 * Bound: decode reads each panel once (memory); prefill (four activation
 * rows) is about 30-45 vector instructions per 1024 multiply-adds. */
#include "engine/panel.h"
#include "engine/quant_impl.h"

#ifdef QUANT_HAVE_AVX2_FILE

#include <immintrin.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) TARGET
/* Small constant-count loops must be unrolled so that per-row accumulators
 * stay in registers (gcc -O2 would leave them on the stack). */
#define UNROLL _Pragma("GCC unroll 16")

#define XQ8A(x, j, xs) ((const QuantQ8A *)((const char *)(x) + (size_t)(j) * (xs)))
#define XQ8K(x, j, xs) ((const BlockQ8_K *)((const char *)(x) + (size_t)(j) * (xs)))

/* Four bytes at p broadcast to every 32-bit lane. */
INLINE __m256i bcast4(const int8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

/* Eight fp16 at p as eight floats. */
INLINE __m256 load_h8(const uint8_t *p)
{
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p));
}

INLINE void store_out(float *out, size_t os, int NX, const __m256 *acc)
{
    UNROLL
    for (int j = 0; j < NX; j++)
        _mm256_storeu_ps(out + (size_t)j * os, acc[j]);
}

/* ---- Q4_0: 32 columns per block ---- */
INLINE void panel_q4_0(int64_t n, const void *w, const void *x, size_t xs, int NX, float *out, size_t os)
{
    const int64_t nb = n / 32;
    const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256 acc[PANEL_MAX_NX];
    UNROLL
    for (int j = 0; j < NX; j++)
        acc[j] = _mm256_setzero_ps();
    const uint8_t *p = w;
    for (int64_t i = 0; i < nb; i++, p += 144) {
        __m256i s16[PANEL_MAX_NX];
        UNROLL
        for (int j = 0; j < NX; j++)
            s16[j] = _mm256_setzero_si256();
        UNROLL
        for (int k = 0; k < 4; k++) {
            __m256i v = _mm256_loadu_si256((const __m256i *)(p + 16 + 32 * k));
            __m256i lo = _mm256_and_si256(v, m4);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
            UNROLL
            for (int j = 0; j < NX; j++) {
                const int8_t *yq = XQ8A(x, j, xs)[i].qs;
                s16[j] = _mm256_add_epi16(s16[j], _mm256_maddubs_epi16(lo, bcast4(yq + 4 * k)));
                s16[j] = _mm256_add_epi16(s16[j], _mm256_maddubs_epi16(hi, bcast4(yq + 16 + 4 * k)));
            }
        }
        __m256 d = load_h8(p);
        UNROLL
        for (int j = 0; j < NX; j++) {
            const QuantQ8A *y = XQ8A(x, j, xs) + i;
            /* sum (q - 8) y = sum q y - 8 sum y, in integers */
            __m256i dot = _mm256_sub_epi32(_mm256_madd_epi16(s16[j], ones), _mm256_set1_epi32(8 * y->sum));
            acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(y->d)), _mm256_cvtepi32_ps(dot), acc[j]);
        }
    }
    store_out(out, os, NX, acc);
}

/* ---- Q5_0: 32 columns per block, the fifth bits in one u32 per row ---- */

/* Bit (8 * byte + b) of each row's qh, for columns 4k + b (b < 4) of the
 * nibble set at byte `byte` (k >> 1 for the low nibbles, 2 + (k >> 1) for the
 * high ones), as 0x10 in byte b of the row's lane. */
INLINE __m256i q5_bits(__m256i qh, int byte, int odd)
{
    const __m256i pick = _mm256_add_epi8(_mm256_setr_epi32(0, 0x04040404, 0x08080808, 0x0C0C0C0C,
                                                           0, 0x04040404, 0x08080808, 0x0C0C0C0C),
                                         _mm256_set1_epi8((char)byte));
    const __m256i bit = _mm256_set1_epi32(odd ? (int)0x80402010u : 0x08040201);
    __m256i v = _mm256_and_si256(_mm256_shuffle_epi8(qh, pick), bit);
    return _mm256_and_si256(_mm256_cmpeq_epi8(v, bit), _mm256_set1_epi8(0x10));
}

/* ---- Q4_1, Q5_0, Q8_0 in llama.cpp's order ----
 * llama.cpp's x86 build multiplies these row by row: per block, eight int32
 * lanes (lane l = the four products of columns 4l..4l+3 in the block's byte
 * order: Q4_1/Q5_0 low nibbles, then high), each converted to float and
 * fused-multiply-added with d(row) * d(act) into its own float lane; one
 * horizontal sum at the end, ((l0+l4)+(l2+l6)) + ((l1+l5)+(l3+l7)); Q4_1's
 * m * s fused per block apart. Here lane l of all eight rows is one vector
 * A[l] (one row per 32-bit lane), so each output is the row kernel's
 * (quant_avx2.c) sequence of roundings, bit for bit. Q5_0's quants less 16
 * are signed bytes, multiplied as Q8_0's (|q| times y with q's sign). */
enum { EX_Q4_1, EX_Q5_0, EX_Q8_0 };
#define EXACT_PREFETCH 8 /* blocks ahead */

INLINE void panel_exact(int kind, int64_t n, const void *w, const void *x, size_t xs, int NX, float *out,
                        size_t os)
{
    const size_t bb = kind == EX_Q4_1 ? 160 : kind == EX_Q5_0 ? 176 : 272;
    const size_t qoff = kind == EX_Q4_1 ? 32 : kind == EX_Q5_0 ? 48 : 16;
    const int64_t nb = n / 32;
    const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
    __m256 A[PANEL_MAX_NX][8], M[PANEL_MAX_NX];
    UNROLL
    for (int j = 0; j < NX; j++) {
        M[j] = _mm256_setzero_ps();
        UNROLL
        for (int l = 0; l < 8; l++)
            A[j][l] = _mm256_setzero_ps();
    }
    const uint8_t *p = w;
    for (int64_t i = 0; i < nb; i++, p += bb) {
        if (NX == 1) { /* decode: memory-bound, so ask for the block EXACT_PREFETCH ahead (as panel_q6_k_1) */
            UNROLL
            for (size_t o = 0; o < bb; o += 64)
                _mm_prefetch((const char *)p + EXACT_PREFETCH * bb + o, _MM_HINT_T0);
        }
        __m256 dd[PANEL_MAX_NX];
        const __m256 d = load_h8(p);
        UNROLL
        for (int j = 0; j < NX; j++)
            dd[j] = _mm256_mul_ps(d, _mm256_set1_ps(XQ8A(x, j, xs)[i].d));
        const __m256i qh =
            kind == EX_Q5_0 ? _mm256_loadu_si256((const __m256i *)(p + 16)) : _mm256_setzero_si256();
        UNROLL
        for (int l = 0; l < 8; l++) {
            __m256i q;
            if (kind == EX_Q8_0) {
                q = _mm256_loadu_si256((const __m256i *)(p + qoff + 32 * l));
            } else {
                __m256i v = _mm256_loadu_si256((const __m256i *)(p + qoff + 32 * (l & 3)));
                q = l < 4 ? _mm256_and_si256(v, m4) : _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
                if (kind == EX_Q5_0)
                    q = _mm256_sub_epi8(_mm256_or_si256(q, q5_bits(qh, (l < 4 ? 0 : 2) + ((l & 3) >> 1), l & 1)),
                                        _mm256_set1_epi8(16));
            }
            const int yo = kind == EX_Q8_0 || l < 4 ? 4 * l : 16 + 4 * (l - 4);
            UNROLL
            for (int j = 0; j < NX; j++) {
                __m256i yb = bcast4(XQ8A(x, j, xs)[i].qs + yo), dot;
                if (kind != EX_Q4_1) /* signed quants: |q| times y with q's sign */
                    dot = _mm256_madd_epi16(
                        _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(yb, q)), ones);
                else
                    dot = _mm256_madd_epi16(_mm256_maddubs_epi16(q, yb), ones);
                A[j][l] = _mm256_fmadd_ps(dd[j], _mm256_cvtepi32_ps(dot), A[j][l]);
            }
        }
        if (kind == EX_Q4_1) {
            const __m256 m = load_h8(p + 16);
            UNROLL
            for (int j = 0; j < NX; j++)
                M[j] = _mm256_fmadd_ps(m, _mm256_set1_ps(XQ8A(x, j, xs)[i].s), M[j]);
        }
    }
    __m256 res[PANEL_MAX_NX];
    UNROLL
    for (int j = 0; j < NX; j++) {
        __m256 s = _mm256_add_ps(
            _mm256_add_ps(_mm256_add_ps(A[j][0], A[j][4]), _mm256_add_ps(A[j][2], A[j][6])),
            _mm256_add_ps(_mm256_add_ps(A[j][1], A[j][5]), _mm256_add_ps(A[j][3], A[j][7])));
        res[j] = kind == EX_Q4_1 ? _mm256_add_ps(s, M[j]) : s;
    }
    store_out(out, os, NX, res);
}

/* ---- Q4_K: 256 columns per block, 8 sub-blocks of 32 ---- */

/* 8 bytes (one per row) as 16 int16, each row's value twice: the multiplier
 * vpmaddwd needs to scale lane r (two int16) by row r's value. */
INLINE __m256i dup_rows_u8(__m128i eight)
{
    return _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(eight, eight));
}

INLINE void panel_q4_k(int64_t n, const void *w, const void *x, size_t xs, int NX, float *out, size_t os)
{
    const int64_t nb = n / QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m3 = _mm256_set1_epi8(0x03);
    const __m256i mc = _mm256_set1_epi8(0x0C), m30 = _mm256_set1_epi8(0x30);
    /* Rounded as llama.cpp's x86 Q4_K kernels round: the scale and min parts
     * in two float sums subtracted at the end; four activation rows (its
     * 4-row GEMM: matmul.c calls with four rows exactly for the rows that
     * llama.cpp multiplies four at a time) add to them every 64 columns,
     * fewer rows (its GEMV) once per 256-column block. */
    const bool gemm = NX == 4;
    __m256 acc[PANEL_MAX_NX], accm[PANEL_MAX_NX];
    UNROLL
    for (int j = 0; j < NX; j++)
        acc[j] = accm[j] = _mm256_setzero_ps();
    const uint8_t *p = w;
    for (int64_t i = 0; i < nb; i++, p += 1152) {
        const uint8_t *sm = p + 32, *qs = p + 128;
        __m256i A = _mm256_loadu_si256((const __m256i *)sm);
        __m256i B = _mm256_loadu_si256((const __m256i *)(sm + 32));
        __m256i H = _mm256_loadu_si256((const __m256i *)(sm + 64));
        __m256 d = load_h8(p), dmin = load_h8(p + 16);
        /* mins first: lane r gets sum_s min[s][r] * (sum of y over sub-block s),
         * summc[j][c] for the sub-blocks 2c and 2c + 1 */
        __m256i summc[PANEL_MAX_NX][4];
        {
            __m256i mnA = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(A, 4), m4),
                                          _mm256_slli_epi16(_mm256_and_si256(H, mc), 2));
            __m256i mnB = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(B, 4), m4),
                                          _mm256_and_si256(_mm256_srli_epi16(H, 2), m30));
            __m256i mp[4];
            UNROLL
            for (int t = 0; t < 4; t++) {
                __m256i half = t < 2 ? mnA : mnB;
                __m128i lane = (t & 1) ? _mm256_extracti128_si256(half, 1) : _mm256_castsi256_si128(half);
                mp[t] = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(lane, _mm_srli_si128(lane, 8)));
            }
            UNROLL
            for (int j = 0; j < NX; j++) {
                const BlockQ8_K *y = XQ8K(x, j, xs) + i;
                __m128i ys = _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)y->bsums),
                                            _mm_loadu_si128((const __m128i *)(y->bsums + 8)));
                __m256i Y = _mm256_broadcastsi128_si256(ys);
                summc[j][0] = _mm256_madd_epi16(mp[0], _mm256_shuffle_epi32(Y, 0x00));
                summc[j][1] = _mm256_madd_epi16(mp[1], _mm256_shuffle_epi32(Y, 0x55));
                summc[j][2] = _mm256_madd_epi16(mp[2], _mm256_shuffle_epi32(Y, 0xAA));
                summc[j][3] = _mm256_madd_epi16(mp[3], _mm256_shuffle_epi32(Y, 0xFF));
                if (!gemm) {
                    __m256i summ = _mm256_add_epi32(_mm256_add_epi32(summc[j][0], summc[j][1]),
                                                    _mm256_add_epi32(summc[j][2], summc[j][3]));
                    accm[j] = _mm256_fmadd_ps(_mm256_mul_ps(dmin, _mm256_set1_ps(y->d)), _mm256_cvtepi32_ps(summ),
                                              accm[j]);
                }
            }
        }
        /* 6-bit scales, byte 8s+r, kept in memory: one 8-byte load per sub-block */
        uint8_t scb[64] __attribute__((aligned(32)));
        _mm256_store_si256((__m256i *)scb,
                           _mm256_or_si256(_mm256_and_si256(A, m4), _mm256_slli_epi16(_mm256_and_si256(H, m3), 4)));
        _mm256_store_si256((__m256i *)(scb + 32), _mm256_or_si256(_mm256_and_si256(B, m4), _mm256_and_si256(H, m30)));
        __m256i sumi[PANEL_MAX_NX];
        UNROLL
        for (int j = 0; j < NX; j++)
            sumi[j] = _mm256_setzero_si256();
        /* rolled over the four 64-column chunks (fully unrolled, the live
         * ranges outgrow the 16 registers); low nibbles are sub-block 2c,
         * high nibbles 2c + 1 */
#pragma GCC unroll 1
        for (int c = 0; c < 4; c++) {
            const uint8_t *q = qs + 256 * c;
            UNROLL
            for (int half = 0; half < 2; half++) {
                int s = 2 * c + half;
                __m256i s16[PANEL_MAX_NX];
                UNROLL
                for (int j = 0; j < NX; j++)
                    s16[j] = _mm256_setzero_si256();
                UNROLL
                for (int k = 0; k < 8; k++) {
                    __m256i v = _mm256_loadu_si256((const __m256i *)(q + 32 * k));
                    v = half ? _mm256_and_si256(_mm256_srli_epi16(v, 4), m4) : _mm256_and_si256(v, m4);
                    UNROLL
                    for (int j = 0; j < NX; j++)
                        s16[j] = _mm256_add_epi16(
                            s16[j], _mm256_maddubs_epi16(v, bcast4(XQ8K(x, j, xs)[i].qs + 32 * s + 4 * k)));
                }
                __m256i sc = dup_rows_u8(_mm_loadl_epi64((const __m128i *)(scb + 8 * s)));
                UNROLL
                for (int j = 0; j < NX; j++)
                    sumi[j] = _mm256_add_epi32(sumi[j], _mm256_madd_epi16(s16[j], sc));
            }
            if (gemm) {
                UNROLL
                for (int j = 0; j < NX; j++) {
                    float yd = XQ8K(x, j, xs)[i].d;
                    acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sumi[j]), _mm256_mul_ps(d, _mm256_set1_ps(yd)),
                                             acc[j]);
                    accm[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(summc[j][c]),
                                              _mm256_mul_ps(dmin, _mm256_set1_ps(yd)), accm[j]);
                    sumi[j] = _mm256_setzero_si256();
                }
            }
        }
        if (gemm)
            continue;
        UNROLL
        for (int j = 0; j < NX; j++)
            acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_set1_ps(XQ8K(x, j, xs)[i].d)),
                                     _mm256_cvtepi32_ps(sumi[j]), acc[j]);
    }
    UNROLL
    for (int j = 0; j < NX; j++)
        acc[j] = _mm256_sub_ps(acc[j], accm[j]);
    store_out(out, os, NX, acc);
}

/* ---- Q6_K: 256 columns per block, 16 groups of 16 with signed 8-bit scales ----
 * Each block's integer sum is scaled as llama.cpp's tiled kernel (its x86
 * path for batches of 8 rows or more) scales it: acc += (d_w * sum) * d_y
 * by FMA. (For fewer rows llama.cpp sums eight lanes per row instead.) */
INLINE void panel_q6_k(int64_t n, const void *w, const void *x, size_t xs, int NX, float *out, size_t os)
{
    const int64_t nb = n / QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    __m256 acc[PANEL_MAX_NX];
    UNROLL
    for (int j = 0; j < NX; j++)
        acc[j] = _mm256_setzero_ps();
    const uint8_t *p = w;
    for (int64_t i = 0; i < nb; i++, p += 1680) {
        const uint8_t *sc = p + 16, *ql = p + 144, *qh = p + 144 + 1024;
        __m256i sumi[PANEL_MAX_NX];
        UNROLL
        for (int j = 0; j < NX; j++)
            sumi[j] = _mm256_setzero_si256();
        /* rolled over (half h, element set e): 8 vectors of 4 columns per
         * row in two groups of 16 columns */
#pragma GCC unroll 1
        for (int he = 0; he < 8; he++) {
            const int h = he >> 2, e = he & 3, yo = 128 * h + 32 * e;
            const __m128i lshift = _mm_cvtsi32_si128(4 * (e >> 1)), hshift = _mm_cvtsi32_si128(2 * e);
            const uint8_t *lq = ql + 512 * h + (e & 1) * 32, *hq = qh + 256 * h;
            UNROLL
            for (int gg = 0; gg < 2; gg++) {
                __m128i s8 = _mm_loadl_epi64((const __m128i *)(sc + 8 * (8 * h + 2 * e + gg)));
                __m256i scale = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s8, s8));
                UNROLL
                for (int kk = 0; kk < 2; kk++) {
                    __m256i s16[PANEL_MAX_NX];
                    UNROLL
                    for (int j = 0; j < NX; j++)
                        s16[j] = _mm256_setzero_si256();
                    UNROLL
                    for (int k2 = 0; k2 < 2; k2++) {
                        const int k = 4 * gg + 2 * kk + k2;
                        __m256i l = _mm256_loadu_si256((const __m256i *)(lq + 64 * k));
                        __m256i hb = _mm256_loadu_si256((const __m256i *)(hq + 32 * k));
                        /* low 4 bits: the nibble of set e; bits 4-5: bits 2e, 2e+1 of qh */
                        __m256i q = _mm256_or_si256(
                            _mm256_and_si256(_mm256_srl_epi16(l, lshift), m4),
                            _mm256_and_si256(_mm256_slli_epi16(_mm256_srl_epi16(hb, hshift), 4), m30));
                        UNROLL
                        for (int j = 0; j < NX; j++)
                            s16[j] = _mm256_add_epi16(
                                s16[j], _mm256_maddubs_epi16(q, bcast4(XQ8K(x, j, xs)[i].qs + yo + 4 * k)));
                    }
                    UNROLL
                    for (int j = 0; j < NX; j++)
                        sumi[j] = _mm256_add_epi32(sumi[j], _mm256_madd_epi16(s16[j], scale));
                }
            }
        }
        /* the -32 offset: lane r gets 32 * sum_g scale[g][r] * (sum of y over group g) */
        __m256i sp[8];
        UNROLL
        for (int t = 0; t < 8; t++) {
            __m128i s16b = _mm_loadu_si128((const __m128i *)(sc + 16 * t));
            sp[t] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s16b, _mm_srli_si128(s16b, 8)));
        }
        __m256 d = load_h8(p);
        UNROLL
        for (int j = 0; j < NX; j++) {
            const BlockQ8_K *y = XQ8K(x, j, xs) + i;
            __m256i bs = _mm256_loadu_si256((const __m256i *)y->bsums);
            __m256i corr = _mm256_setzero_si256();
            UNROLL
            for (int t = 0; t < 8; t++)
                corr = _mm256_add_epi32(
                    corr, _mm256_madd_epi16(sp[t], _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(t))));
            __m256i tot = _mm256_sub_epi32(sumi[j], _mm256_slli_epi32(corr, 5));
            acc[j] = _mm256_fmadd_ps(_mm256_mul_ps(d, _mm256_cvtepi32_ps(tot)), _mm256_set1_ps(y->d), acc[j]);
        }
    }
    store_out(out, os, NX, acc);
}

/* Q6_K at one activation row (decode): each 32-byte load of ql and qh is
 * decoded once into the four 4-column vectors it carries (both nibbles of two
 * ql chunks, the four 2-bit fields of one qh chunk), where the multi-row body
 * above reloads ql twice and qh four times to keep its accumulators in
 * registers. Integer sums are the same, so the output is bit for bit that of
 * panel_q6_k with NX = 1. The panel two blocks ahead is prefetched: with the
 * decoding this cheap, the hardware prefetcher alone left the loop waiting on
 * memory (1.3x on a 32768x4096 matvec, 2 threads, Zen 2). */
#define Q6K_PREFETCH (2 * 1680)
INLINE void panel_q6_k_1(int64_t n, const void *w, const void *x, float *out)
{
    const int64_t nb = n / QK_K;
    const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
    __m256 acc = _mm256_setzero_ps();
    const uint8_t *p = w;
    for (int64_t i = 0; i < nb; i++, p += 1680) {
        const uint8_t *sc = p + 16, *ql = p + 144, *qh = p + 144 + 1024;
        const BlockQ8_K *y = (const BlockQ8_K *)x + i;
        __m256i sumi = _mm256_setzero_si256();
        UNROLL
        for (int o = 0; o < 1680; o += 64)
            _mm_prefetch((const char *)p + Q6K_PREFETCH + o, _MM_HINT_T0);
#pragma GCC unroll 1
        for (int h = 0; h < 2; h++) {
            const uint8_t *lq = ql + 512 * h, *hq = qh + 256 * h;
            const int8_t *yq = y->qs + 128 * h;
            UNROLL
            for (int gg = 0; gg < 2; gg++) {
                UNROLL
                for (int kk = 0; kk < 2; kk++) {
                    __m256i s16[4];
                    UNROLL
                    for (int e = 0; e < 4; e++)
                        s16[e] = _mm256_setzero_si256();
                    UNROLL
                    for (int k2 = 0; k2 < 2; k2++) {
                        const int k = 4 * gg + 2 * kk + k2;
                        __m256i l0 = _mm256_loadu_si256((const __m256i *)(lq + 64 * k));
                        __m256i l1 = _mm256_loadu_si256((const __m256i *)(lq + 64 * k + 32));
                        __m256i hb = _mm256_loadu_si256((const __m256i *)(hq + 32 * k));
                        __m256i q[4];
                        q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4),
                                               _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30));
                        q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4),
                                               _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30));
                        q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                               _mm256_and_si256(hb, m30));
                        q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                               _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30));
                        UNROLL
                        for (int e = 0; e < 4; e++)
                            s16[e] = _mm256_add_epi16(s16[e], _mm256_maddubs_epi16(q[e], bcast4(yq + 32 * e + 4 * k)));
                    }
                    UNROLL
                    for (int e = 0; e < 4; e++) {
                        __m128i s8 = _mm_loadl_epi64((const __m128i *)(sc + 8 * (8 * h + 2 * e + gg)));
                        sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(s16[e], _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s8, s8))));
                    }
                }
            }
        }
        __m256i bs = _mm256_loadu_si256((const __m256i *)y->bsums);
        __m256i corr = _mm256_setzero_si256();
        UNROLL
        for (int t = 0; t < 8; t++) {
            __m128i s16b = _mm_loadu_si128((const __m128i *)(sc + 16 * t));
            __m256i spt = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(s16b, _mm_srli_si128(s16b, 8)));
            corr = _mm256_add_epi32(corr, _mm256_madd_epi16(spt, _mm256_permutevar8x32_epi32(bs, _mm256_set1_epi32(t))));
        }
        __m256i tot = _mm256_sub_epi32(sumi, _mm256_slli_epi32(corr, 5));
        acc = _mm256_fmadd_ps(_mm256_mul_ps(load_h8(p), _mm256_cvtepi32_ps(tot)), _mm256_set1_ps(y->d), acc);
    }
    _mm256_storeu_ps(out, acc);
}

/* ---- F16: 8 columns per block, activations F32 ---- */
INLINE void panel_f16(int64_t n, const void *w, const void *x, size_t xs, int NX, float *out, size_t os)
{
    __m256 a0[PANEL_MAX_NX], a1[PANEL_MAX_NX];
    UNROLL
    for (int j = 0; j < NX; j++)
        a0[j] = a1[j] = _mm256_setzero_ps();
    const uint8_t *p = w;
    int64_t c = 0;
    for (; c + 2 <= n; c += 2, p += 32) {
        __m256 w0 = load_h8(p), w1 = load_h8(p + 16);
        UNROLL
        for (int j = 0; j < NX; j++) {
            const float *xr = (const float *)((const char *)x + (size_t)j * xs) + c;
            a0[j] = _mm256_fmadd_ps(w0, _mm256_broadcast_ss(xr), a0[j]);
            a1[j] = _mm256_fmadd_ps(w1, _mm256_broadcast_ss(xr + 1), a1[j]);
        }
    }
    UNROLL
    for (int j = 0; j < NX; j++)
        a0[j] = _mm256_add_ps(a0[j], a1[j]);
    store_out(out, os, NX, a0);
}

/* One exported kernel per type: nx dispatched to a constant-NX body. */
#define DEFINE_PANEL(name, call)                                                                   \
    static TARGET void name(int64_t n, const void *w, const void *x, size_t xs, int nx, float *out, \
                            size_t os)                                                             \
    {                                                                                              \
        switch (nx) {                                                                              \
        case 1: call(1); break;                                                                    \
        case 2: call(2); break;                                                                    \
        case 3: call(3); break;                                                                    \
        default: call(4); break;                                                                   \
        }                                                                                          \
    }

#define CALL_Q40(NX) panel_q4_0(n, w, x, xs, NX, out, os)
#define CALL_Q41(NX) panel_exact(EX_Q4_1, n, w, x, xs, NX, out, os)
#define CALL_Q50(NX) panel_exact(EX_Q5_0, n, w, x, xs, NX, out, os)
#define CALL_Q80(NX) panel_exact(EX_Q8_0, n, w, x, xs, NX, out, os)
#define CALL_Q4K(NX) panel_q4_k(n, w, x, xs, NX, out, os)
#define CALL_Q6K(NX) ((NX) == 1 ? panel_q6_k_1(n, w, x, out) : panel_q6_k(n, w, x, xs, NX, out, os))
#define CALL_F16(NX) panel_f16(n, w, x, xs, NX, out, os)

DEFINE_PANEL(pdot_q4_0, CALL_Q40)
DEFINE_PANEL(pdot_q4_1, CALL_Q41)
DEFINE_PANEL(pdot_q5_0, CALL_Q50)
DEFINE_PANEL(pdot_q8_0, CALL_Q80)
DEFINE_PANEL(pdot_q4_k, CALL_Q4K)
DEFINE_PANEL(pdot_q6_k, CALL_Q6K)
DEFINE_PANEL(pdot_f16, CALL_F16)

PanelDotFn panel_kernels_avx2(GgmlType t)
{
    switch (t) {
    case GGML_TYPE_Q4_0: return pdot_q4_0;
    case GGML_TYPE_Q4_1: return pdot_q4_1;
    case GGML_TYPE_Q5_0: return pdot_q5_0;
    case GGML_TYPE_Q8_0: return pdot_q8_0;
    case GGML_TYPE_Q4_K: return pdot_q4_k;
    case GGML_TYPE_Q6_K: return pdot_q6_k;
    case GGML_TYPE_F16: return pdot_f16;
    default: return NULL;
    }
}

#endif
