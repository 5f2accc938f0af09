/* exp_ref.h — e^x rounded exactly as llama.cpp's x86 vector exp rounds it
 * (ggml's AVX2 expf, one lane), for the operations whose results must be
 * llama.cpp's to the bit (softmax, SiLU). simd_avx2.h's simd_exp8 is the
 * same arithmetic eight lanes at a time; this scalar form is for portable
 * code and for positions outside a vector.
 *
 * The method: n = round(x / ln 2) by adding and removing 1.5 * 2^23 (the
 * rounded z keeps n in its low mantissa bits), b = x - n ln 2 in two FMA
 * steps (ln 2 split in a short and a small part), e^b - 1 as a degree-5
 * polynomial in b evaluated in two halves over b^2, 2^n put in the exponent
 * bits of z; for |n| > 126 the scale is applied in two factors so it neither
 * overflows nor flushes early, and beyond |n| > 192 the result is the
 * factor squared (0 or infinity). */
#ifndef VERSUS_EXP_REF_H
#define VERSUS_EXP_REF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float exp_ref_bits_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t exp_ref_f_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline __attribute__((always_inline)) float exp_ref(float x)
{
    const float shift = 0x1.8p23f;
    float z = fmaf(x, 0x1.715476p+0f, shift);
    float n = z - shift;
    float b = fmaf(-n, 0x1.7f7d1cp-20f, fmaf(-n, 0x1.62e4p-1f, x));
    uint32_t e = exp_ref_f_bits(z) << 23;
    float k = exp_ref_bits_f(e + exp_ref_f_bits(1.0f));
    float u = b * b;
    float j = fmaf(fmaf(fmaf(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u, fmaf(0x1.555e66p-3f, b, 0x1.fffdb6p-2f)), u,
                   0x1.ffffecp-1f * b);
    float an = fabsf(n);
    if (!(an > 126.0f))
        return fmaf(k, j, k);
    uint32_t g = n <= 0.0f ? 0x82000000u : 0u;
    float s1 = exp_ref_bits_f(g + 0x7f000000u), s2 = exp_ref_bits_f(e - g);
    if (an > 192.0f)
        return s1 * s1;
    return fmaf(s2, j, s2) * s1;
}

#endif
