/* simd_avx2.h — AVX2+FMA math shared by the engine's SIMD files (kvcache_avx2.c,
 * ops_avx2.c): inline functions compiled with the target attribute, for
 * translation units that choose them at run time. Not for portable code. */
#ifndef VERSUS_SIMD_AVX2_H
#define VERSUS_SIMD_AVX2_H

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define SIMD_TARGET __attribute__((target("avx2,fma,f16c")))
#define SIMD_INLINE static inline __attribute__((always_inline)) SIMD_TARGET

/* e^x for x in [-87, 88] (below -87: about 1e-38 instead of a denormal; above
 * 88: the largest finite results): range reduction n = round(x / ln 2),
 * r = x - n ln 2 in [-ln2/2, ln2/2] (ln 2 split in two for exactness), a
 * degree-6 Taylor polynomial for e^r (truncation below 2^-23 relative), then
 * 2^n through the exponent bits. Within 2 ulp of expf. */
SIMD_INLINE __m256 simd_exp8(__m256 x)
{
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    /* 2^n in two steps so that n = 128 (x near 88.7) does not overflow the exponent field */
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i h = _mm256_srai_epi32(ni, 1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
    return _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
}

#endif
#endif
