/* kvcache_avx2.c — AVX2+FMA+F16C versions of the attention kernels of
 * kvcache.c: key tiles converted 8 values at a time, scores of up to four
 * query rows against the 16 positions of a tile (two vectors per row, one
 * broadcast query element per head dimension: no horizontal sums), a
 * vectorized exp (simd_avx2.h), and the probability-weighted sum of
 * value rows with the output held in registers 64 floats at a time.
 * Compiled for every x86-64 build with per-function target attributes;
 * kvcache.c picks it when quant_simd_active(). Head sizes that are not a
 * multiple of 8 fall back to the portable kernels. */
#include "engine/kvcache_impl.h"
#include "engine/simd_avx2.h"

#ifdef KV_HAVE_AVX2_FILE

#include <immintrin.h>
#include <math.h>
#include <string.h>

#define TARGET __attribute__((target("avx2,fma,f16c")))
#define INLINE static inline __attribute__((always_inline)) TARGET
#define UNROLL _Pragma("GCC unroll 16")

static TARGET void k_tile(KvType t, int hd, const uint8_t *tile, float *kt)
{
    int n = hd * KV_TILE;
    if (t == KV_TYPE_F16) {
        for (int i = 0; i < n; i += 8)
            _mm256_storeu_ps(kt + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(tile + 2 * i))));
        return;
    }
    if (t == KV_TYPE_F32) {
        memcpy(kt, tile, (size_t)n * sizeof(float));
        return;
    }
    const uint8_t *scales = tile + n;
    for (int b = 0; b < hd / 32; b++) {
        __m256 s0 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + 32 * b)));
        __m256 s1 = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(scales + 32 * b + 16)));
        for (int d = 32 * b; d < 32 * b + 32; d++) {
            __m128i q = _mm_loadu_si128((const __m128i *)(tile + d * KV_TILE));
            __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q));
            __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(q, 8)));
            _mm256_storeu_ps(kt + d * KV_TILE, _mm256_mul_ps(f0, s0));
            _mm256_storeu_ps(kt + d * KV_TILE + 8, _mm256_mul_ps(f1, s1));
        }
    }
}

static TARGET void v_rows(KvType t, int hd, const uint8_t *rows, size_t row_bytes, int n, float *out)
{
    if (hd % 8 || t == KV_TYPE_F32) {
        kv_kernels_ref.v_rows(t, hd, rows, row_bytes, n, out);
        return;
    }
    for (int p = 0; p < n; p++) {
        const uint8_t *row = rows + (size_t)p * row_bytes;
        float *o = out + (size_t)p * hd;
        if (t == KV_TYPE_F16) {
            for (int d = 0; d < hd; d += 8)
                _mm256_storeu_ps(o + d, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * d))));
        } else {
            for (int b = 0; b < hd / 32; b++) {
                const uint8_t *blk = row + 34 * (size_t)b;
                uint16_t dh;
                memcpy(&dh, blk, 2);
                __m256 d = _mm256_set1_ps(_cvtsh_ss(dh));
                for (int k = 0; k < 4; k++) {
                    __m128i q = _mm_loadl_epi64((const __m128i *)(blk + 2 + 8 * k));
                    _mm256_storeu_ps(o + 32 * b + 8 * k, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d));
                }
            }
        }
    }
}

INLINE void scores_rows(int hd, const float *kt, const float *const *q, int NR, float scale, float *s)
{
    __m256 a0[4], a1[4];
    UNROLL
    for (int r = 0; r < NR; r++)
        a0[r] = a1[r] = _mm256_setzero_ps();
    for (int d = 0; d < hd; d++) {
        __m256 k0 = _mm256_loadu_ps(kt + d * KV_TILE), k1 = _mm256_loadu_ps(kt + d * KV_TILE + 8);
        UNROLL
        for (int r = 0; r < NR; r++) {
            __m256 b = _mm256_broadcast_ss(q[r] + d);
            a0[r] = _mm256_fmadd_ps(b, k0, a0[r]);
            a1[r] = _mm256_fmadd_ps(b, k1, a1[r]);
        }
    }
    __m256 sc = _mm256_set1_ps(scale);
    UNROLL
    for (int r = 0; r < NR; r++) {
        _mm256_storeu_ps(s + r * KV_TILE, _mm256_mul_ps(a0[r], sc));
        _mm256_storeu_ps(s + r * KV_TILE + 8, _mm256_mul_ps(a1[r], sc));
    }
}

static TARGET void scores(int hd, const float *kt, const float *const *q, int R, float scale, float *s)
{
    int r = 0;
    for (; r + 4 <= R; r += 4)
        scores_rows(hd, kt, q + r, 4, scale, s + r * KV_TILE);
    switch (R - r) {
    case 3: scores_rows(hd, kt, q + r, 3, scale, s + r * KV_TILE); break;
    case 2: scores_rows(hd, kt, q + r, 2, scale, s + r * KV_TILE); break;
    case 1: scores_rows(hd, kt, q + r, 1, scale, s + r * KV_TILE); break;
    default: break;
    }
}

static TARGET float exp_sum(const float *s, float *p, int n, float m)
{
    __m256 vm = _mm256_set1_ps(m), ninf = _mm256_set1_ps(-INFINITY), sum = _mm256_setzero_ps();
    int j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 x = _mm256_loadu_ps(s + j);
        __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(x, ninf, _CMP_EQ_OQ), simd_exp8(_mm256_sub_ps(x, vm)));
        _mm256_storeu_ps(p + j, e);
        sum = _mm256_add_ps(sum, e);
    }
    __m128 h = _mm_add_ps(_mm256_castps256_ps128(sum), _mm256_extractf128_ps(sum, 1));
    h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    h = _mm_add_ss(h, _mm_movehdup_ps(h));
    float total = _mm_cvtss_f32(h);
    for (; j < n; j++) {
        p[j] = s[j] == -INFINITY ? 0.0f : expf(s[j] - m);
        total += p[j];
    }
    return total;
}

/* o[0..8W) = o * keep + sum_j p[j] v[j][0..8W) with o in W registers. */
INLINE void pv_cols(int hd, const float *p, const float *v, int n, float keep, float *o, int W)
{
    __m256 acc[8], k = _mm256_set1_ps(keep);
    UNROLL
    for (int i = 0; i < W; i++)
        acc[i] = _mm256_mul_ps(_mm256_loadu_ps(o + 8 * i), k);
    for (int j = 0; j < n; j++) {
        __m256 b = _mm256_broadcast_ss(p + j);
        const float *vr = v + (size_t)j * hd;
        UNROLL
        for (int i = 0; i < W; i++)
            acc[i] = _mm256_fmadd_ps(b, _mm256_loadu_ps(vr + 8 * i), acc[i]);
    }
    UNROLL
    for (int i = 0; i < W; i++)
        _mm256_storeu_ps(o + 8 * i, acc[i]);
}

static TARGET void pv(int hd, const float *p, const float *v, int n, float keep, float *o)
{
    if (hd % 8) {
        kv_kernels_ref.pv(hd, p, v, n, keep, o);
        return;
    }
    int d = 0;
    for (; d + 64 <= hd; d += 64)
        pv_cols(hd, p, v + d, n, keep, o + d, 8);
    switch ((hd - d) / 8) {
    case 7: pv_cols(hd, p, v + d, n, keep, o + d, 7); break;
    case 6: pv_cols(hd, p, v + d, n, keep, o + d, 6); break;
    case 5: pv_cols(hd, p, v + d, n, keep, o + d, 5); break;
    case 4: pv_cols(hd, p, v + d, n, keep, o + d, 4); break;
    case 3: pv_cols(hd, p, v + d, n, keep, o + d, 3); break;
    case 2: pv_cols(hd, p, v + d, n, keep, o + d, 2); break;
    case 1: pv_cols(hd, p, v + d, n, keep, o + d, 1); break;
    default: break;
    }
}

const KvKernels kv_kernels_avx2 = {
    .k_tile = k_tile, .v_rows = v_rows, .scores = scores, .exp_sum = exp_sum, .pv = pv,
};

#endif
