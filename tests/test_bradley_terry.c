/* test_bradley_terry.c — Bradley-Terry ratings against hand-computed cases,
 * ties, priors, bad input, and deterministic bootstrap intervals. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>

#include "eval/bradley_terry.h"

static size_t repeat(BtBattle *out, size_t at, int a, int b, double score, int times)
{
    for (int i = 0; i < times; i++)
        out[at++] = (BtBattle){ a, b, score };
    return at;
}

Test(bradley_terry, two_models_three_to_one_gives_400_log10_3_gap)
{
    BtBattle b[4];
    size_t n = repeat(b, 0, 0, 1, 1.0, 3);
    n = repeat(b, n, 0, 1, 0.0, 1);
    double r[2];
    cr_assert_gt(bt_fit(2, b, n, NULL, r), 0);
    /* MLE: p0/p1 = 3; geometric mean 1 → ±200 log10 3 around 1000 */
    cr_assert_float_eq(r[0], 1000 + 200 * log10(3.0), 1e-6);
    cr_assert_float_eq(r[1], 1000 - 200 * log10(3.0), 1e-6);
}

Test(bradley_terry, three_models_with_proportional_results_recover_4_2_1)
{
    /* Strengths 4:2:1. With observed wins exactly equal to their expectations
     * the likelihood equations hold at (4, 2, 1): A-B 6 games (4-2), A-C 5
     * games (4-1), B-C 3 games (2-1). */
    BtBattle b[14];
    size_t n = repeat(b, 0, 0, 1, 1, 4);
    n = repeat(b, n, 1, 0, 1, 2);
    n = repeat(b, n, 0, 2, 1, 4);
    n = repeat(b, n, 2, 0, 1, 1);
    n = repeat(b, n, 1, 2, 1, 2);
    n = repeat(b, n, 2, 1, 1, 1);
    cr_assert_eq(n, 14);
    double r[3];
    cr_assert_gt(bt_fit(3, b, n, NULL, r), 0);
    /* geometric mean of (4,2,1) is 2: normalised strengths (2, 1, 0.5) */
    cr_assert_float_eq(r[0], 1000 + 400 * log10(2.0), 1e-6);
    cr_assert_float_eq(r[1], 1000.0, 1e-6);
    cr_assert_float_eq(r[2], 1000 - 400 * log10(2.0), 1e-6);
}

Test(bradley_terry, ties_count_half_and_unplayed_models_are_nan)
{
    BtBattle b[2] = { { 0, 1, 1.0 }, { 1, 0, 0.5 } }; /* 1.5 : 0.5 */
    double r[3];
    cr_assert_gt(bt_fit(3, b, 2, NULL, r), 0);
    cr_assert_float_eq(r[0] - r[1], 400 * log10(3.0), 1e-6);
    cr_assert(isnan(r[2]));
}

Test(bradley_terry, a_model_that_never_wins_is_minus_infinity_without_prior)
{
    BtBattle b[2] = { { 0, 1, 1.0 }, { 0, 1, 1.0 } };
    double r[2];
    cr_assert_gt(bt_fit(2, b, 2, NULL, r), 0);
    cr_assert(isinf(r[1]) && r[1] < 0);
    /* one virtual tie: 2.5 : 0.5 → ratio 5 */
    BtOptions o = bt_options_default();
    o.prior = 1;
    cr_assert_gt(bt_fit(2, b, 2, &o, r), 0);
    cr_assert_float_eq(r[0] - r[1], 400 * log10(5.0), 1e-6);
}

Test(bradley_terry, bad_input_is_refused)
{
    BtBattle self[1] = { { 0, 0, 1 } }, range[1] = { { 0, 5, 1 } }, score[1] = { { 0, 1, 2 } };
    double r[2], lo[2], hi[2];
    cr_assert_eq(bt_fit(2, self, 1, NULL, r), -1);
    cr_assert_eq(bt_fit(2, range, 1, NULL, r), -1);
    cr_assert_eq(bt_fit(2, score, 1, NULL, r), -1);
    cr_assert_eq(bt_bootstrap(2, score, 1, NULL, 10, 0.95, 1, lo, hi), -1);
}

Test(bradley_terry, bootstrap_is_deterministic_and_brackets_the_fit)
{
    BtBattle b[40];
    size_t n = repeat(b, 0, 0, 1, 1, 14);
    n = repeat(b, n, 0, 1, 0, 6);
    n = repeat(b, n, 1, 2, 1, 12);
    n = repeat(b, n, 1, 2, 0, 8);
    BtOptions o = bt_options_default();
    o.prior = 1;
    double r[3], lo[3], hi[3], lo2[3], hi2[3];
    cr_assert_gt(bt_fit(3, b, n, &o, r), 0);
    cr_assert_eq(bt_bootstrap(3, b, n, &o, 200, 0.95, 42, lo, hi), 0);
    cr_assert_eq(bt_bootstrap(3, b, n, &o, 200, 0.95, 42, lo2, hi2), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(lo[i], lo2[i], "same seed, same interval");
        cr_assert_eq(hi[i], hi2[i]);
        cr_assert_lt(lo[i], r[i]);
        cr_assert_gt(hi[i], r[i]);
    }
    cr_assert_gt(r[0], r[1]);
    cr_assert_gt(r[1], r[2]);
    cr_assert_eq(bt_bootstrap(3, b, n, &o, 200, 0.95, 43, lo2, hi2), 0);
    cr_assert(lo2[0] != lo[0] || hi2[0] != hi[0], "another seed, another resample");
}
