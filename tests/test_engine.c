/* test_engine.c — the sampler's rules and statistics, the engine's generate
 * loop on the real stories260K model (greedy ids against the oracle, stop
 * reasons, cancel, memory), and the worker protocol as local.c sees it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sampler.h"

/* ---- sampler ------------------------------------------------------------------- */

static SamplerParams plain(float temp)
{
    SamplerParams p = { .temperature = temp, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f,
                        .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 42 };
    return p;
}

Test(sampler, greedy_picks_the_max_and_the_lowest_id_on_ties)
{
    float l[6] = { 0.5f, 2.0f, -1.0f, 2.0f, NAN, 1.0f };
    cr_assert_eq(sampler_argmax(l, 6), 1);
    float n[3] = { NAN, -3.0f, -2.0f };
    cr_assert_eq(sampler_argmax(n, 3), 2);
    SamplerParams p = sampler_params_default();
    p.temperature = 0.0f; /* greedy whatever the other knobs say */
    Sampler *s = sampler_new(&p, 6);
    for (int i = 0; i < 10; i++) {
        float c[6] = { 0.5f, 2.0f, -1.0f, 2.0f, 0.0f, 1.0f };
        cr_assert_eq(sampler_sample(s, c, NULL, 0), 1);
    }
    sampler_free(s);
    cr_assert_null(sampler_new(&p, 0));
}

static void counts(SamplerParams p, const float *logits, int n, int draws, int *out)
{
    Sampler *s = sampler_new(&p, n);
    cr_assert_not_null(s);
    memset(out, 0, (size_t)n * sizeof *out);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    for (int i = 0; i < draws; i++) {
        memcpy(tmp, logits, (size_t)n * sizeof *tmp);
        int t = sampler_sample(s, tmp, NULL, 0);
        cr_assert(t >= 0 && t < n);
        out[t]++;
    }
    free(tmp);
    sampler_free(s);
}

Test(sampler, temperature_one_follows_the_softmax)
{
    float l[3] = { logf(0.5f), logf(0.3f), logf(0.2f) };
    int c[3];
    counts(plain(1.0f), l, 3, 40000, c);
    cr_assert(fabs(c[0] / 40000.0 - 0.5) < 0.015, "%d", c[0]);
    cr_assert(fabs(c[1] / 40000.0 - 0.3) < 0.015, "%d", c[1]);
    cr_assert(fabs(c[2] / 40000.0 - 0.2) < 0.015, "%d", c[2]);
    /* temperature 0.5 squares the odds: 25:9:4 */
    counts(plain(0.5f), l, 3, 40000, c);
    cr_assert(fabs(c[0] / 40000.0 - 25.0 / 38) < 0.015, "%d", c[0]);
    cr_assert(fabs(c[2] / 40000.0 - 4.0 / 38) < 0.015, "%d", c[2]);
}

Test(sampler, top_k_top_p_and_min_p_cut_the_tail)
{
    float l[4] = { logf(0.4f), logf(0.3f), logf(0.2f), logf(0.1f) };
    int c[4];
    SamplerParams p = plain(1.0f);
    p.top_k = 2;
    counts(p, l, 4, 20000, c);
    cr_assert(c[2] == 0 && c[3] == 0);
    cr_assert(fabs(c[0] / 20000.0 - 4.0 / 7) < 0.02, "%d", c[0]);
    p = plain(1.0f);
    p.top_p = 0.75f; /* 0.4 + 0.3 = 0.7 < 0.75: the third one is needed too */
    counts(p, l, 4, 20000, c);
    cr_assert(c[3] == 0 && c[2] > 0);
    cr_assert(fabs(c[2] / 20000.0 - 2.0 / 9) < 0.02, "%d", c[2]);
    p.top_p = 0.7f;
    counts(p, l, 4, 20000, c);
    cr_assert(c[2] == 0 && c[3] == 0);
    p = plain(1.0f);
    p.min_p = 0.45f; /* keep p >= 0.18 */
    counts(p, l, 4, 20000, c);
    cr_assert(c[3] == 0 && c[2] > 0);
    p.min_p = 0.9f; /* only the most likely */
    counts(p, l, 4, 2000, c);
    cr_assert_eq(c[0], 2000);
    p = plain(1.0f);
    p.top_k = 1;
    counts(p, l, 4, 2000, c);
    cr_assert_eq(c[0], 2000);
    p.top_p = 0.01f;
    p.top_k = 0;
    counts(p, l, 4, 2000, c);
    cr_assert_eq(c[0], 2000);
}

Test(sampler, top_k_keeps_the_lowest_ids_among_equal_logits)
{
    float l[8] = { 1, 3, 3, 3, 0, 3, 2, 3 };
    int c[8];
    SamplerParams p = plain(1.0f);
    p.top_k = 3; /* five 3s: ids 1, 2, 3 kept */
    counts(p, l, 8, 3000, c);
    cr_assert(c[1] > 0 && c[2] > 0 && c[3] > 0);
    cr_assert(c[5] == 0 && c[7] == 0 && c[0] == 0 && c[6] == 0);
}

Test(sampler, same_seed_same_tokens_other_seed_other_tokens)
{
    float l[50];
    for (int i = 0; i < 50; i++)
        l[i] = (float)((i * 37) % 11) * 0.3f;
    int a[200], b[200], c[200];
    SamplerParams p = sampler_params_default();
    p.top_k = 0;
    p.min_p = 0.0f;
    p.seed = 7;
    Sampler *s1 = sampler_new(&p, 50), *s2 = sampler_new(&p, 50);
    p.seed = 8;
    Sampler *s3 = sampler_new(&p, 50);
    float t[50];
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        memcpy(t, l, sizeof t);
        a[i] = sampler_sample(s1, t, NULL, 0);
        memcpy(t, l, sizeof t);
        b[i] = sampler_sample(s2, t, NULL, 0);
        memcpy(t, l, sizeof t);
        c[i] = sampler_sample(s3, t, NULL, 0);
        cr_assert_eq(a[i], b[i], "draw %d", i);
        differ += a[i] != c[i];
    }
    cr_assert_gt(differ, 50);
    sampler_free(s1);
    sampler_free(s2);
    sampler_free(s3);
}

Test(sampler, repetition_penalty_divides_positive_and_multiplies_negative_logits_once)
{
    SamplerParams p = plain(0.0f);
    p.repeat_penalty = 1.25f;
    p.repeat_last_n = 3;
    Sampler *s = sampler_new(&p, 4);
    float l[4] = { 2.0f, 1.9f, -1.0f, -1.1f };
    int hist[5] = { 0, 0, 0, 2, 0 }; /* token 0 counted once, 2 once */
    cr_assert_eq(sampler_sample(s, l, hist, 5), 1);
    cr_assert_float_eq(l[0], 1.6f, 1e-6);
    cr_assert_float_eq(l[2], -1.25f, 1e-6);
    cr_assert_float_eq(l[3], -1.1f, 1e-6);
    /* outside the window: token 1 at the start is not penalised */
    float m[4] = { 2.0f, 1.9f, -1.0f, -1.1f };
    int h2[4] = { 1, 3, 3, 3 };
    cr_assert_eq(sampler_sample(s, m, h2, 4), 0);
    cr_assert_float_eq(m[1], 1.9f, 1e-6);
    sampler_free(s);
}
