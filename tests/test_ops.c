/* test_ops.c — the SIMD versions of ops.h's elementwise operations compute
 * what the portable loops compute: SwiGLU within a few ulp over a wide range
 * of inputs (tiny, huge of both signs, where exp saturates), and tails that
 * are not a multiple of the vector width. */
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
