/* test_bradley_terry.c — ratings as LMArena computes them: hand-worked
 * Bradley-Terry cases, ties, what happens without a finite
 * maximum-likelihood rating, bad input, deterministic bootstrap intervals,
 * the style counts, the mapping of labels to battles (refused candidates
 * absent, losers of a won round not compared), and — number by number — the
 * plain and style-controlled ratings and the pairwise intervals that an
 * independent numpy/scipy computation (tests/tools/ratings_reference.py)
 * got from tests/ratings/cases.jsonl. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "eval/battles.h"
#include "eval/bradley_terry.h"
#include "eval/style.h"

static size_t repeat(BtBattle *out, size_t at, int a, int b, double score, int times)
{
    for (int i = 0; i < times; i++)
        out[at++] = (BtBattle){ .a = a, .b = b, .score_a = score };
    return at;
}

static void fit(size_t n, const BtBattle *b, size_t nb, const BtOptions *o, double *r, BtResult *res)
{
    res->rating = r;
    cr_assert_eq(bt_fit(n, b, nb, o, res), 0);
}

Test(bradley_terry, two_models_three_to_one_gives_400_log10_3_gap)
{
    BtBattle b[4];
    size_t n = repeat(b, 0, 0, 1, 1.0, 3);
    n = repeat(b, n, 0, 1, 0.0, 1);
    double r[2];
    BtResult res;
    fit(2, b, n, NULL, r, &res);
    cr_assert(res.finite);
    /* MLE: p0/p1 = 3, centred on 1000 */
    cr_assert_float_eq(r[0], 1000 + 200 * log10(3.0), 1e-9);
    cr_assert_float_eq(r[1], 1000 - 200 * log10(3.0), 1e-9);
}

Test(bradley_terry, three_models_with_proportional_results_recover_4_2_1)
{
    /* Strengths 4:2:1 with wins equal to their expectations: A-B 6 games
     * (4-2), A-C 5 (4-1), B-C 3 (2-1). */
    BtBattle b[14];
    size_t n = repeat(b, 0, 0, 1, 1, 4);
    n = repeat(b, n, 1, 0, 1, 2);
    n = repeat(b, n, 0, 2, 1, 4);
    n = repeat(b, n, 2, 0, 1, 1);
    n = repeat(b, n, 1, 2, 1, 2);
    n = repeat(b, n, 2, 1, 1, 1);
    double r[3];
    BtResult res;
    fit(3, b, n, NULL, r, &res);
    cr_assert_float_eq(r[0], 1000 + 400 * log10(2.0), 1e-9);
    cr_assert_float_eq(r[1], 1000.0, 1e-9);
    cr_assert_float_eq(r[2], 1000 - 400 * log10(2.0), 1e-9);
}

Test(bradley_terry, ties_count_half_and_unplayed_models_are_nan)
{
    BtBattle b[2] = { { .a = 0, .b = 1, .score_a = 1.0 }, { .a = 1, .b = 0, .score_a = 0.5 } }; /* 1.5 : 0.5 */
    double r[3];
    BtResult res;
    fit(3, b, 2, NULL, r, &res);
    cr_assert_float_eq(r[0] - r[1], 400 * log10(3.0), 1e-9);
    cr_assert(isnan(r[2]));
}

Test(bradley_terry, without_a_finite_mle_the_extremes_are_infinite_and_a_prior_keeps_them_finite)
{
    /* A beat B twice, B and C tied, C beat D: A never lost, D never scored */
    BtBattle b[4] = { { .a = 0, .b = 1, .score_a = 1 }, { .a = 0, .b = 1, .score_a = 1 },
                      { .a = 1, .b = 2, .score_a = 0.5 }, { .a = 2, .b = 3, .score_a = 1 } };
    cr_assert_not(bt_has_finite_mle(4, b, 4));
    double r[4];
    BtResult res;
    fit(4, b, 4, NULL, r, &res);
    cr_assert_not(res.finite);
    cr_assert(isinf(r[0]) && r[0] > 0);
    cr_assert(isinf(r[3]) && r[3] < 0);
    cr_assert(isnan(r[1]) && isnan(r[2]), "in between: not determined");
    /* one virtual tie per pair that met: all finite; A vs B 2.5 : 0.5 alone
     * would be 5:1, the chain pulls it a little */
    BtOptions o = bt_options_default();
    o.prior = 1;
    fit(4, b, 4, &o, r, &res);
    cr_assert(res.finite);
    for (int i = 0; i < 4; i++)
        cr_assert(isfinite(r[i]));
    cr_assert_gt(r[0], r[1]);
    cr_assert_gt(r[2], r[3]);
    cr_assert_float_eq((r[0] + r[1] + r[2] + r[3]) / 4, 1000, 1e-9, "centred");
    BtBattle two[2] = { { .a = 0, .b = 1, .score_a = 1 }, { .a = 0, .b = 1, .score_a = 1 } };
    double r2[2];
    fit(2, two, 2, &o, r2, &res);
    cr_assert_float_eq(r2[0] - r2[1], 400 * log10(5.0), 1e-9);
}

Test(bradley_terry, bad_input_is_refused)
{
    BtBattle self[1] = { { .a = 0, .b = 0, .score_a = 1 } }, range[1] = { { .a = 0, .b = 5, .score_a = 1 } },
             score[1] = { { .a = 0, .b = 1, .score_a = 2 } }, style[1] = { { .a = 0, .b = 1, .score_a = 1 } };
    style[0].style[1] = NAN;
    double r[2], lo[2], hi[2];
    BtResult res = { .rating = r };
    cr_assert_eq(bt_fit(2, self, 1, NULL, &res), -1);
    cr_assert_eq(bt_fit(2, range, 1, NULL, &res), -1);
    cr_assert_eq(bt_fit(2, score, 1, NULL, &res), -1);
    cr_assert_eq(bt_fit(2, style, 1, NULL, &res), -1);
    cr_assert_eq(bt_bootstrap(2, score, 1, NULL, 10, 0.95, 1, lo, hi, NULL, NULL), -1);
}

Test(bradley_terry, bootstrap_is_deterministic_and_brackets_the_fit)
{
    BtBattle b[40];
    size_t n = repeat(b, 0, 0, 1, 1, 14);
    n = repeat(b, n, 0, 1, 0, 6);
    n = repeat(b, n, 1, 2, 1, 12);
    n = repeat(b, n, 1, 2, 0, 8);
    double r[3], lo[3], hi[3], lo2[3], hi2[3];
    BtResult res;
    fit(3, b, n, NULL, r, &res);
    cr_assert_eq(bt_bootstrap(3, b, n, NULL, 200, 0.95, 42, lo, hi, NULL, NULL), 0);
    cr_assert_eq(bt_bootstrap(3, b, n, NULL, 200, 0.95, 42, lo2, hi2, NULL, NULL), 0);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(lo[i], lo2[i], "same seed, same interval");
        cr_assert_eq(hi[i], hi2[i]);
        cr_assert_lt(lo[i], r[i]);
        cr_assert_gt(hi[i], r[i]);
    }
    cr_assert_gt(r[0], r[1]);
    cr_assert_gt(r[1], r[2]);
    cr_assert_eq(bt_bootstrap(3, b, n, NULL, 200, 0.95, 43, lo2, hi2, NULL, NULL), 0);
    cr_assert(lo2[0] != lo[0] || hi2[0] != hi[0], "another seed, another resample");
}

Test(bradley_terry, a_thin_record_has_an_unbounded_bootstrap_interval)
{
    /* B won once in eight: many resamples drop that win, so the data do not
     * bound A's advantage */
    BtBattle b[8];
    size_t n = repeat(b, 0, 0, 1, 1, 7);
    n = repeat(b, n, 0, 1, 0, 1);
    double lo[2], hi[2];
    cr_assert_eq(bt_bootstrap(2, b, n, NULL, 200, 0.95, 1, lo, hi, NULL, NULL), 0);
    cr_assert(isinf(hi[0]) && hi[0] > 0, "upper bound of A: %g", hi[0]);
    cr_assert(isinf(lo[1]) && lo[1] < 0, "lower bound of B: %g", lo[1]);
}

/* ---- style counts -------------------------------------------------------------------- */

Test(style, headers_bold_lists_and_length_outside_code_blocks)
{
    const char *t = "# Title\n## Sub\n####### seven is not a header\n#nospace\n"
                    "Some **bold** and __also__ and **not\nbold** text.\n"
                    "- one\n  * two\n+ three\n12. twelve\n3.not a list\n"
                    "```\n# inside code\n- inside code\n**inside**\n```\nend";
    double f[BT_STYLE_N];
    style_count(t, strlen(t), f);
    cr_assert_float_eq(f[BT_STYLE_HEADERS], 2, 0);
    cr_assert_float_eq(f[BT_STYLE_BOLD], 2, 0);
    cr_assert_float_eq(f[BT_STYLE_LISTS], 4, 0);
    cr_assert_float_eq(f[BT_STYLE_TOKENS], (double)strlen(t) / 4, 1e-12, "ASCII: bytes = characters");
    double g[BT_STYLE_N];
    style_count("caf\xc3\xa9", 5, g);
    cr_assert_float_eq(g[BT_STYLE_TOKENS], 1.0, 1e-12, "4 characters, not 5 bytes");
    double a[BT_STYLE_N] = { 30, 2, 0, 0 }, b[BT_STYLE_N] = { 10, 0, 0, 3 }, d[BT_STYLE_N];
    style_diff(a, b, d);
    cr_assert_float_eq(d[0], 0.5, 1e-12);
    cr_assert_float_eq(d[1], 1, 1e-12);
    cr_assert_float_eq(d[2], 0, 0, "0/0 is 0");
    cr_assert_float_eq(d[3], -1, 1e-12);
}

/* ---- the reference data set ---------------------------------------------------------- */

static const char *src_dir(void)
{
    const char *s = getenv("VERSUS_SRCDIR");
    return s && *s ? s : VERSUS_SRCDIR;
}

static cJSON *expected(void)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tests/ratings/expected.json", src_dir());
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 1 << 20, &b, err, sizeof err), 0, "%s", err);
    cJSON *doc = cJSON_Parse(buf_str(&b));
    buf_free(&b);
    cr_assert_not_null(doc);
    return doc;
}

static void load_cases(FixtureSet *set)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tests/ratings/cases.jsonl", src_dir());
    cr_assert_eq(fixture_load_file(path, set, err, sizeof err), 0, "%s", err);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    cr_assert(cJSON_IsNumber(v), "%s", k);
    return v->valuedouble;
}

Test(ratings, plain_and_style_controlled_ratings_match_the_independent_computation)
{
    cJSON *doc = expected();
    FixtureSet set = { 0 };
    load_cases(&set);
    const cJSON *models = cJSON_GetObjectItem(doc, "models");
    size_t n = (size_t)cJSON_GetArraySize(models);
    const char *names[8];
    for (size_t i = 0; i < n; i++)
        names[i] = cJSON_GetArrayItem(models, (int)i)->valuestring;
    BattleSet bs;
    char err[200];
    cr_assert_eq(battles_build(&set, names, n, BATTLES_LOSERS_NONE, &bs, err, sizeof err), 0, "%s", err);
    cr_assert_eq(bs.n, (size_t)num(doc, "battles"), "battles: %zu", bs.n);
    cr_assert_eq(bs.skipped, (size_t)num(doc, "skipped_candidates"), "the refused candidate takes no part");
    double r[8];
    BtResult res;
    fit(n, bs.b, bs.n, NULL, r, &res);
    cr_assert(res.finite);
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(r[i], cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "plain_ratings"), (int)i)->valuedouble,
                           1e-6, "plain rating of %s: %.9f", names[i], r[i]);
    BtOptions so = bt_options_default();
    so.style = true;
    fit(n, bs.b, bs.n, &so, r, &res);
    for (size_t i = 0; i < n; i++)
        cr_assert_float_eq(r[i], cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "style_ratings"), (int)i)->valuedouble,
                           1e-6, "style-controlled rating of %s: %.9f", names[i], r[i]);
    for (int k = 0; k < BT_STYLE_N; k++)
        cr_assert_float_eq(res.coef[k], cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "style_coefs"), k)->valuedouble,
                           1e-8, "style coefficient %d: %.12f", k, res.coef[k]);
    /* the pairwise records and their Wilson intervals */
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "pairs")) {
        int a = (int)num(p, "a"), b = (int)num(p, "b");
        double score = 0, meet = 0;
        for (size_t k = 0; k < bs.n; k++) {
            const BtBattle *x = &bs.b[k];
            if (x->a == a && x->b == b)
                score += x->score_a, meet++;
            else if (x->a == b && x->b == a)
                score += 1 - x->score_a, meet++;
        }
        cr_assert_float_eq(score, num(p, "score_a"), 1e-12);
        cr_assert_float_eq(meet, num(p, "meetings"), 1e-12);
        double lo, hi;
        battles_wilson(score, meet, &lo, &hi);
        cr_assert_float_eq(lo, num(p, "wilson_lo"), 1e-12);
        cr_assert_float_eq(hi, num(p, "wilson_hi"), 1e-12);
    }
    battles_free(&bs);
    fixture_set_free(&set);
    cJSON_Delete(doc);
}

Test(ratings, refused_candidates_and_losers_of_a_won_round_do_not_battle)
{
    FixtureSet set = { 0 };
    load_cases(&set);
    /* round 6 (index 5): A not sent, B and C ran, C won: only C beats B */
    const char *names[3] = { set.cases[5].r.replies[0]->spec, set.cases[5].r.replies[1]->spec,
                             set.cases[5].r.replies[2]->spec };
    cr_assert_eq(set.cases[5].r.replies[0]->status, REPLY_NOT_SENT);
    BattleSet bs;
    char err[200];
    cr_assert_eq(battles_build(&set, names, 3, BATTLES_LOSERS_NONE, &bs, err, sizeof err), 0);
    size_t from5 = 0, from0 = 0;
    for (size_t k = 0; k < bs.n; k++) {
        if (bs.case_of[k] == 5) {
            from5++;
            cr_assert(bs.b[k].a == 1 && bs.b[k].b == 2 && bs.b[k].score_a == 0, "C beat B, nothing else");
        }
        from0 += bs.case_of[k] == 0;
    }
    cr_assert_eq(from5, 1, "the refused candidate is absent");
    cr_assert_eq(from0, 2, "round 1 (A won over B and C): B and C do not meet");
    battles_free(&bs);
    /* the old mapping, as an option: the losers tie */
    cr_assert_eq(battles_build(&set, names, 3, BATTLES_LOSERS_TIE, &bs, err, sizeof err), 0);
    from0 = 0;
    for (size_t k = 0; k < bs.n; k++)
        from0 += bs.case_of[k] == 0;
    cr_assert_eq(from0, 3);
    battles_free(&bs);
    fixture_set_free(&set);
}

/* Tryout 2 #34: `versus -m local: -m local: -m openai:gpt-4o-mini -m
 * openai:gpt-4o-mini`, pane 1 labelled: the report said local and
 * gpt-4o-mini met twice. A model asked twice in one round is one judgement:
 * one meeting per pair of models per round, its replies' outcomes averaged. */
Test(ratings, a_model_asked_twice_in_one_round_meets_each_other_model_once)
{
    FixtureSet set = { 0 };
    load_cases(&set);
    /* round 1 (index 0): A won over B and C; make C a second reply of B's model */
    SessionRound *r = &set.cases[0].r;
    cr_assert_eq(r->outcome, SESSION_WIN);
    cr_assert_eq(r->winner, 0);
    static char a[200], b[200], c[200];
    snprintf(a, sizeof a, "%s", r->replies[0]->spec);
    snprintf(b, sizeof b, "%s", r->replies[1]->spec);
    snprintf(c, sizeof c, "%s", r->replies[2]->spec);
    const char *names[3] = { a, b, c };
    Reply *dup = r->replies[2];
    free(dup->spec);
    free(dup->provider);
    free(dup->model);
    dup->spec = strdup(r->replies[1]->spec);
    dup->provider = strdup(r->replies[1]->provider);
    dup->model = strdup(r->replies[1]->model);
    BattleSet bs;
    char err[200];
    for (int mode = 0; mode < 2; mode++) {
        cr_assert_eq(battles_build(&set, names, 3, mode ? BATTLES_LOSERS_TIE : BATTLES_LOSERS_NONE, &bs, err,
                                   sizeof err), 0, "%s", err);
        size_t from0 = 0;
        for (size_t k = 0; k < bs.n; k++)
            if (bs.case_of[k] == 0) {
                from0++;
                cr_assert(bs.b[k].a == 0 && bs.b[k].b == 1 && bs.b[k].score_a == 1.0,
                          "A beat B's model: %d vs %d, %g", bs.b[k].a, bs.b[k].b, bs.b[k].score_a);
            }
        cr_assert_eq(from0, 1, "one judgement, one meeting (losers %s)", mode ? "tie" : "none");
        battles_free(&bs);
    }
    fixture_set_free(&set);
}
