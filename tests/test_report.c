/* test_report.c — the model report: counts overall and per category,
 * pairwise rates, ratings that agree with a direct Bradley-Terry fit, medians
 * and cost, and HTML/Markdown that are self-contained and deterministic. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/bradley_terry.h"
#include "eval/report.h"

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-test-report-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static Reply *cand(const char *spec, double ttft, double tps, double cost)
{
    Reply *r = reply_new(spec, strchr(spec, ':') ? "openai" : "", spec);
    reply_start(r, 0);
    reply_finish(r, 1000);
    r->metrics.ttft_ms = ttft;
    r->metrics.output_tokens_per_s = tps;
    r->metrics.cost_usd = cost;
    return r;
}

/* Rounds between A ("openai:a", TTFT 100/200/300.., $0.002) and B ("local:b<tag>", $0):
 *   code: A wins 3, B wins 1;  chat: tie 1, both bad 1;  one unlabelled round. */
static void build(FixtureSet *set)
{
    static const struct { SessionOutcome o; int w; const char *cat; } rounds[] = {
        { SESSION_WIN, 0, "code" }, { SESSION_WIN, 0, "code" }, { SESSION_WIN, 0, "code" },
        { SESSION_WIN, 1, "code" }, { SESSION_TIE, -1, "chat" }, { SESSION_BOTH_BAD, -1, "chat" },
        { SESSION_UNLABELLED, -1, NULL },
    };
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s);
    for (size_t i = 0; i < sizeof rounds / sizeof *rounds; i++) {
        Reply *reps[2] = { cand("openai:a", 100.0 * (double)(i + 1), 50, 0.002), cand("local:b<tag>", 40, -1, 0) };
        Request rq = { .prompt = "p", .params = params_default() };
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), (long)i);
        SessionLabel l = { .outcome = rounds[i].o, .winner = rounds[i].w, .category = rounds[i].cat };
        cr_assert_eq(session_label_round(s, i, &l, err, sizeof err), 0);
        reply_free(reps[0]);
        reply_free(reps[1]);
    }
    cr_assert_eq(fixture_add_session(set, s, true, err, sizeof err), 0);
    session_free(s);
}

Test(report, counts_rates_ratings_and_costs, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    build(&set);
    Report r;
    char err[200];
    ReportOptions o = report_options_default();
    o.volume = 50000;
    cr_assert_eq(report_build(&set, &o, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.n_rounds, 7);
    cr_assert_eq(r.n_labelled, 6);
    cr_assert_eq(r.n_models, 2);
    const ReportModel *a = &r.models[0], *b = &r.models[1];
    cr_assert_str_eq(a->spec, "openai:a");
    cr_assert_eq(a->all.wins, 3);
    cr_assert_eq(a->all.losses, 1);
    cr_assert_eq(a->all.ties, 1);
    cr_assert_eq(a->all.both_bad, 1);
    cr_assert_eq(b->all.wins, 1);
    cr_assert_eq(b->all.losses, 3);
    cr_assert_eq(r.n_categories, 2);
    cr_assert_str_eq(r.categories[0], "code");
    cr_assert_eq(a->by_category[0].wins, 3);
    cr_assert_eq(a->by_category[1].wins, 0);
    cr_assert_eq(a->by_category[1].ties, 1);
    /* pairwise: A scored 3 + 0.5 + 0.5 of 6 */
    cr_assert_float_eq(report_pair_rate(&r, 0, 1), 4.0 / 6, 1e-12);
    cr_assert_float_eq(report_pair_rate(&r, 1, 0), 2.0 / 6, 1e-12);
    cr_assert(isnan(report_pair_rate(&r, 0, 0)));
    /* ratings: Arena's maximum likelihood on the same battles, 4 : 2 */
    BtBattle bt[6] = { { .a = 0, .b = 1, .score_a = 1 }, { .a = 0, .b = 1, .score_a = 1 },
                       { .a = 0, .b = 1, .score_a = 1 }, { .a = 0, .b = 1, .score_a = 0 },
                       { .a = 0, .b = 1, .score_a = 0.5 }, { .a = 0, .b = 1, .score_a = 0.5 } };
    double want[2];
    BtResult res = { .rating = want };
    cr_assert_eq(bt_fit(2, bt, 6, NULL, &res), 0);
    cr_assert_float_eq(a->rating, want[0], 1e-9);
    cr_assert_float_eq(b->rating, want[1], 1e-9);
    cr_assert_float_eq(r.prior_used, 0, 0, "the data have a finite rating: no prior");
    cr_assert_float_eq(a->rating - b->rating, 400 * log10(4.0 / 2.0), 1e-6);
    cr_assert_lt(a->rating_lo, a->rating);
    cr_assert_gt(a->rating_hi, a->rating);
    /* medians over all 7 rounds: A's TTFT 100..700 → 400; B's tokens/s unknown */
    cr_assert_float_eq(a->median_ttft_ms, 400, 1e-9);
    cr_assert_float_eq(b->median_ttft_ms, 40, 1e-9);
    cr_assert_float_eq(a->median_tokens_per_s, 50, 1e-9);
    cr_assert(isnan(b->median_tokens_per_s));
    cr_assert_float_eq(a->cost_per_1k_usd, 2.0, 1e-9);
    cr_assert_float_eq(b->cost_per_1k_usd, 0, 1e-12);
    report_free(&r);
    fixture_set_free(&set);
}

Test(report, html_is_self_contained_escaped_and_deterministic, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    build(&set);
    Report r1, r2;
    char err[200];
    ReportOptions o = report_options_default();
    o.volume = 50000;
    cr_assert_eq(report_build(&set, &o, &r1, err, sizeof err), 0);
    cr_assert_eq(report_build(&set, &o, &r2, err, sizeof err), 0);
    Buf h1 = { 0 }, h2 = { 0 };
    cr_assert_eq(report_html(&r1, "t <1>", &h1), 0);
    cr_assert_eq(report_html(&r2, "t <1>", &h2), 0);
    cr_assert_str_eq(buf_str(&h1), buf_str(&h2), "same input and seed, same page");
    const char *h = buf_str(&h1);
    cr_assert(strstr(h, "<!DOCTYPE html>"));
    cr_assert(strstr(h, "<svg"));
    cr_assert(strstr(h, "class=\"ci\""), "rating whiskers");
    cr_assert_null(strstr(h, "<script"));
    cr_assert_null(strstr(h, "http:"));
    cr_assert_null(strstr(h, "https:"));
    cr_assert_null(strstr(h, "<tag>"), "model names are escaped");
    cr_assert(strstr(h, "local:b&lt;tag&gt;"));
    cr_assert(strstr(h, "t &lt;1&gt;"));
    cr_assert(strstr(h, "Category: code"));
    cr_assert(strstr(h, "$100.00"), "projection: $2 per 1,000 × 50,000");
    cr_assert(strstr(h, "400 ms"));
    Buf md = { 0 };
    cr_assert_eq(report_markdown(&r1, "t", &md), 0);
    cr_assert(strstr(buf_str(&md), "| openai:a | 3 | 1 | 1 | 1 | 67% |"), "%s", buf_str(&md));
    cr_assert(strstr(buf_str(&md), "### Category: chat"));
    buf_free(&h1);
    buf_free(&h2);
    buf_free(&md);
    report_free(&r1);
    report_free(&r2);
    fixture_set_free(&set);
}

Test(report, empty_and_unlabelled_input_gives_a_report_without_ratings, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    Report r;
    char err[200];
    cr_assert_eq(report_build(&set, NULL, &r, err, sizeof err), 0);
    cr_assert_eq(r.n_models, 0);
    Buf h = { 0 };
    cr_assert_eq(report_html(&r, "empty", &h), 0);
    cr_assert(strstr(buf_str(&h), "0 rounds"));
    buf_free(&h);
    report_free(&r);
}

Test(report, refused_blocked_and_failed_replies_are_counted_apart, .init = setup, .fini = teardown)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s);
    const ReplyStatus outcomes[] = { REPLY_OK, REPLY_REFUSED, REPLY_BLOCKED, REPLY_BLOCKED, REPLY_ERROR };
    for (size_t i = 0; i < sizeof outcomes / sizeof *outcomes; i++) {
        Reply *a = cand("openai:a", 100, 50, 0.001), *b = cand("gemini:g", 200, 40, 0.002);
        b->status = outcomes[i];
        Request rq = { .prompt = "p", .params = params_default() };
        Reply *reps[2] = { a, b };
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), (long)i);
        reply_free(a);
        reply_free(b);
    }
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, true, err, sizeof err), 0);
    session_free(s);
    Report r;
    ReportOptions o = report_options_default();
    cr_assert_eq(report_build(&set, &o, &r, err, sizeof err), 0, "%s", err);
    const ReportModel *g = &r.models[1];
    cr_assert_str_eq(g->spec, "gemini:g");
    cr_assert_eq(g->replies, 5);
    cr_assert_eq(g->refused, 1);
    cr_assert_eq(g->blocked, 2);
    cr_assert_eq(g->failed, 1);
    cr_assert_eq(r.models[0].refused + r.models[0].blocked + r.models[0].failed, 0);
    Buf md = { 0 };
    cr_assert_eq(report_markdown(&r, "t", &md), 0);
    cr_assert(strstr(buf_str(&md), "| model | replies | refused | blocked | failed |"), "%s", buf_str(&md));
    cr_assert(strstr(buf_str(&md), "| gemini:g | 5 | 1 | 2 | 1 |"), "%s", buf_str(&md));
    buf_free(&md);
    report_free(&r);
    fixture_set_free(&set);
}
