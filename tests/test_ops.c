/* test_ops.c — the SIMD versions of ops.h's elementwise operations compute
 * what the portable loops compute: SwiGLU within a few ulp over a wide range
 * of inputs (tiny, huge of both signs, where exp saturates), and tails that
 * are not a multiple of the vector width; GeGLU reads the GELU llama.cpp
 * reads from its fp16 table, for every fp16 input and the floats between. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops.h"
#include "engine/quant.h"

static uint64_t rng_state = 0x9FB21C651E98DF25ull;

static float rnd(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

Test(ops, swiglu_simd_matches_the_portable_loop)
{
    enum { N = 4099 };
    float *g = malloc(N * sizeof *g), *u = malloc(N * sizeof *u), *a = malloc(N * sizeof *a),
          *b = malloc(N * sizeof *b);
    for (int i = 0; i < N; i++) {
        /* magnitudes from 1e-6 to 200: exp of +-200 saturates both ways */
        g[i] = rnd() * powf(10.0f, 6.0f * (rnd() + 1.0f) / 2.0f - 4.0f) * 2.0f;
        u[i] = rnd() * 3.0f;
    }
    g[0] = 0.0f;
    g[1] = 100.0f;
    g[2] = -100.0f;
    g[3] = 88.5f;
    g[4] = -88.5f;
    memcpy(a, g, N * sizeof *a);
    memcpy(b, g, N * sizeof *b);
    bool had = quant_set_simd(true);
    ops_swiglu(a, u, N);
    quant_set_simd(false);
    ops_swiglu(b, u, N);
    quant_set_simd(had);
    for (int i = 0; i < N; i++) {
        double want = (double)g[i] / (1.0 + exp(-(double)g[i])) * u[i];
        cr_expect(fabs(a[i] - b[i]) <= 4e-7 * fabs(b[i]) + 1e-30 || fabs(a[i] - want) <= 4e-7 * fabs(want) + 1e-30,
                  "g=%.9g u=%.9g: simd %.9g, portable %.9g, exact %.9g", g[i], u[i], a[i], b[i], want);
        cr_expect(isfinite(a[i]), "g=%g gives %g", g[i], a[i]);
    }
    free(g);
    free(u);
    free(a);
    free(b);
}

/* llama.cpp's CPU GELU: the input rounded to fp16, the tanh approximation
 * (a*x*x + 1 fused), the result rounded to fp16; exact beyond +-10. */
static float gelu_want(float x)
{
    if (x <= -10.0f)
        return 0.0f;
    if (x >= 10.0f)
        return x;
    float h = quant_fp16_to_fp32(quant_fp32_to_fp16(x));
    float y = 0.5f * h * (1.0f + tanhf(0.79788456080286535587989211986876f * h * fmaf(0.044715f * h, h, 1.0f)));
    return quant_fp16_to_fp32(quant_fp32_to_fp16(y));
}

static bool same_float(float a, float b)
{
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

Test(ops, geglu_gives_every_fp16_input_the_gelu_llama_cpp_reads_from_its_table)
{
    enum { N = 1 << 16 };
    float *g = malloc(N * sizeof *g), *u = malloc(N * sizeof *u);
    for (int h = 0; h < N; h++) {
        g[h] = quant_fp16_to_fp32((uint16_t)h);
        u[h] = h % 3 ? 1.0f : -2.5f;
    }
    float *x = malloc(N * sizeof *x);
    memcpy(x, g, N * sizeof *x);
    ops_geglu(g, u, N);
    int bad = 0;
    for (int h = 0; h < N; h++) {
        float want = gelu_want(x[h]) * u[h];
        if (!same_float(g[h], want) && bad++ < 5)
            cr_log_error("fp16 0x%04x (%.9g): %.9g, want %.9g", h, x[h], g[h], want);
    }
    cr_expect_eq(bad, 0, "%d of the 65536 fp16 inputs differ", bad);
    free(x);
    free(g);
    free(u);
}

Test(ops, geglu_rounds_inputs_between_fp16_values_as_llama_cpp_does)
{
    enum { N = 20000 };
    float *g = malloc(N * sizeof *g), *u = malloc(N * sizeof *u), *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) {
        x[i] = g[i] = rnd() * 12.0f; /* covers both sides of +-10 */
        u[i] = rnd();
    }
    x[0] = g[0] = 10.0f;
    x[1] = g[1] = -10.0f;
    x[2] = g[2] = 9.9990234f;
    ops_geglu(g, u, N);
    for (int i = 0; i < N; i++)
        cr_expect(same_float(g[i], gelu_want(x[i]) * u[i]), "x=%.9g u=%.9g: %.9g, want %.9g", x[i], u[i], g[i],
                  gelu_want(x[i]) * u[i]);
    free(x);
    free(g);
    free(u);
}
