/* ops_avx2.c — AVX2 versions of the elementwise operations of ops.c whose
 * scalar cost shows in a profile (SwiGLU: one exp per hidden unit per token,
 * about 15% of a 1B model's prefill with libm's expf). ops.c calls them when
 * quant_simd_active(); they compute what ops.c's loops compute, to the bit:
 * simd_exp8 is exp_ref.h's exp (llama.cpp's vector exp) eight at a time. */
#include "engine/ops_impl.h"

#ifdef OPS_HAVE_AVX2_FILE

#include <math.h>

#include "engine/simd_avx2.h"

SIMD_TARGET void ops_swiglu_avx2(float *g, const float *u, size_t n)
{
    const __m256 one = _mm256_set1_ps(1.0f), zero = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(g + i);
        __m256 e = simd_exp8(_mm256_sub_ps(zero, x));
        __m256 s = _mm256_div_ps(x, _mm256_add_ps(one, e));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(s, _mm256_loadu_ps(u + i)));
    }
    for (; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

#endif
