/* test_report.c — the report for a routing decision: its first section
 * computed from a small labelled fixture set (tests/report/) and checked
 * number by number against an independent computation
 * (tests/tools/report_reference.py → expected.json); counts, ratings and
 * medians on a hand-built set; HTML and Markdown that carry the same
 * intervals, are self-contained, escaped and deterministic; and the HTML
 * rendered by headless Chromium with every SVG label inside its drawing and
 * nothing wider than an A4 page (skipped, saying so, without chromium). */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/file.h"
#include "eval/bradley_terry.h"
#include "eval/costs.h"
#include "eval/policy.h"
#include "eval/report.h"
#include "testenv.h"

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

static char *read_src(const char *rel)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", testenv_srcdir(), rel);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 4 << 20, &b, err, sizeof err), 0, "%s", err);
    return buf_steal(&b);
}

/* ---- the first section, number by number ----------------------------------------- */

typedef struct Fixture {
    FixtureSet set;
    CostsSummary costs;
    Policy *policy;
    Report rep;
    cJSON *want;
} Fixture;

static void fixture_build(Fixture *f)
{
    memset(f, 0, sizeof *f);
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tests/report/cases.jsonl", testenv_srcdir());
    cr_assert_eq(fixture_load_file(path, &f->set, err, sizeof err), 0, "%s", err);
    char *want = read_src("tests/report/expected.json");
    f->want = cJSON_Parse(want);
    free(want);
    cr_assert_not_null(f->want);
    const cJSON *pol = cJSON_GetObjectItem(f->want, "policy");
    LocalCost lc = { .set = true, .hour_usd = cJSON_GetObjectItem(pol, "hour_usd")->valuedouble };
    snprintf(lc.basis, sizeof lc.basis, "a GPU rented at $3.60/h");
    cr_assert_eq(costs_price(&f->set, &lc, NULL, 0, &f->costs, err, sizeof err), 0, "%s", err);
    char *pj = read_src("tests/report/policy.json");
    f->policy = policy_parse(pj, strlen(pj), err, sizeof err);
    free(pj);
    cr_assert_not_null(f->policy, "%s", err);
    ReportOptions o = report_options_default();
    o.volume = cJSON_GetObjectItem(pol, "volume")->valuedouble;
    o.policy = f->policy;
    o.policy_name = "policy.json";
    o.costs = &f->costs;
    cr_assert_eq(report_build(&f->set, &o, &f->rep, err, sizeof err), 0, "%s", err);
}

static void fixture_free(Fixture *f)
{
    report_free(&f->rep);
    costs_summary_free(&f->costs);
    policy_free(f->policy);
    fixture_set_free(&f->set);
    cJSON_Delete(f->want);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    cr_assert(cJSON_IsNumber(v), "expected.json: %s is not a number", k);
    return v->valuedouble;
}

static long model_index(const Report *r, const char *spec)
{
    for (size_t m = 0; m < r->n_models; m++)
        if (strcmp(r->models[m].spec, spec) == 0)
            return (long)m;
    cr_assert_fail("no model %s in the report", spec);
    return -1;
}

Test(report, first_section_matches_the_independent_computation_number_by_number)
{
    Fixture f;
    fixture_build(&f);
    const Report *r = &f.rep;
    /* who wins, per category */
    const cJSON *cat;
    size_t nc = 0;
    cJSON_ArrayForEach(cat, cJSON_GetObjectItem(f.want, "categories")) {
        const char *name = cJSON_GetObjectItem(cat, "category")->valuestring;
        size_t c = 0;
        while (c < r->n_categories && strcmp(r->categories[c], name) != 0)
            c++;
        cr_assert_lt(c, r->n_categories, "category %s", name);
        cr_assert_eq(r->category_rounds[c], (size_t)num(cat, "rounds"), "%s rounds", name);
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItem(cat, "models")) {
            const char *spec = cJSON_GetObjectItem(m, "spec")->valuestring;
            const ReportShare *s = &r->models[model_index(r, spec)].share_by_category[c];
            cr_assert_eq(s->wins, (size_t)num(m, "wins"), "%s/%s wins", name, spec);
            cr_assert_eq(s->ties, (size_t)num(m, "ties"), "%s/%s ties", name, spec);
            cr_assert_eq(s->n, (size_t)num(m, "n"), "%s/%s rounds taken part in", name, spec);
            cr_assert_float_eq(s->rate, num(m, "rate"), 1e-12, "%s/%s share", name, spec);
            cr_assert_float_eq(s->lo, num(m, "lo"), 1e-12, "%s/%s interval", name, spec);
            cr_assert_float_eq(s->hi, num(m, "hi"), 1e-12, "%s/%s interval", name, spec);
        }
        cr_assert_str_eq(r->models[r->leader[c]].spec, cJSON_GetObjectItem(cat, "leader")->valuestring);
        cr_assert_eq(r->separated[c], cJSON_IsTrue(cJSON_GetObjectItem(cat, "separated")));
        nc++;
    }
    cr_assert_eq(nc, r->n_categories);
    /* cost per 1,000 requests, the local model re-priced from its measured speed */
    const cJSON *cost;
    cJSON_ArrayForEach(cost, cJSON_GetObjectItem(f.want, "costs")) {
        const ReportModel *md = &r->models[model_index(r, cost->string)];
        cr_assert_float_eq(md->cost_per_1k_usd, num(cost, "per_1k"), 1e-12, "%s per 1k", cost->string);
        cr_assert_eq(md->cost_known, (size_t)num(cost, "priced"), "%s priced replies", cost->string);
    }
    const ReportModel *local = &r->models[model_index(r, "local:Qwen2.5-7B-Instruct-Q4_K_M.gguf")];
    cr_assert(local->cost_estimated);
    cr_assert_str_eq(local->name, "local: Qwen2.5-7B-Instruct-Q4_K_M.gguf (Q4_K weights, cuda backend on NVIDIA H100 "
                                  "80GB HBM3)");
    /* the policy against everything to the frontier model and everything local */
    const cJSON *pol = cJSON_GetObjectItem(f.want, "policy");
    cr_assert(r->has_policy);
    const PolicyReport *p = &r->policy;
    cr_assert_eq(p->common_judged, (size_t)num(pol, "common_judged"));
    cr_assert_eq(p->common_priced, (size_t)num(pol, "common_priced"));
    const cJSON *b;
    size_t k = 0;
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(pol, "baselines")) {
        cr_assert_lt(k, p->n_base);
        cr_assert_str_eq(p->base[k].label, cJSON_GetObjectItem(b, "label")->valuestring);
        cr_assert_str_eq(p->base[k].spec, cJSON_GetObjectItem(b, "spec")->valuestring);
        cr_assert_float_eq(p->base[k].quality, num(b, "quality"), 1e-12, "%s quality", p->base[k].label);
        cr_assert_float_eq(p->base[k].cost_per_case, num(b, "cost_per_case"), 1e-15, "%s cost", p->base[k].label);
        cr_assert_float_eq(p->base[k].cost_per_case * r->opt.volume, num(b, "monthly"), 1e-9, "%s a month",
                           p->base[k].label);
        k++;
    }
    cr_assert_eq(k, p->n_base);
    cr_assert_float_eq(p->quality_kept, num(pol, "quality_kept"), 1e-12);
    /* and the page says so, in both formats */
    Buf h = { 0 }, md = { 0 };
    cr_assert_eq(report_html(r, "Renewal evidence", &h), 0);
    cr_assert_eq(report_markdown(r, "Renewal evidence", &md), 0);
    const char *want_text[] = { "$688.18", "$1,250.00", "$220.00", "keeping all of that model", "quality (winner or tie 73% against 45% on the same 11 cases", "~$2.20",
                                "Qwen2.5-7B-Instruct-Q4_K_M.gguf (Q4_K weights, cuda backend on NVIDIA H100 80GB HBM3)",
                                "estimated from measured speed: $3.6/h", "4 of 6: 67% (30–90%)" };
    /* the page's text, without the line-break opportunities in table cells */
    Buf plain = { 0 };
    for (const char *s = buf_str(&h), *w; *s; s = w + 5) {
        w = strstr(s, "<wbr>");
        buf_append(&plain, s, w ? (size_t)(w - s) : strlen(s));
        if (!w)
            break;
    }
    for (size_t i = 0; i < sizeof want_text / sizeof *want_text; i++) {
        cr_assert(strstr(buf_str(&md), want_text[i]), "Markdown lacks \"%s\":\n%s", want_text[i], buf_str(&md));
        cr_assert(strstr(buf_str(&plain), want_text[i]), "HTML lacks \"%s\"", want_text[i]);
    }
    buf_free(&plain);
    /* the answer comes before the detail */
    cr_assert_lt(strstr(buf_str(&h), "id=\"answer\""), strstr(buf_str(&h), "id=\"detail\""));
    buf_free(&h);
    buf_free(&md);
    fixture_free(&f);
}

/* ---- counts, ratings and medians on a hand-built set ---------------------------------- */

static Reply *cand(const char *spec, double ttft, double tps, double cost)
{
    Reply *r = reply_new(spec, strncmp(spec, "openai:", 7) == 0 ? "openai" : "", spec);
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

Test(report, counts_rates_ratings_and_medians, .init = setup, .fini = teardown)
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
    cr_assert_eq(a->by_category[1].ties, 1);
    cr_assert_eq(a->share.wins, 3);
    cr_assert_eq(a->share.n, 6);
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
    cr_assert(isfinite(a->style_rating));
    cr_assert(strstr(buf_str(&r.warnings), "overlap"), "six rounds do not separate two models: %s",
              buf_str(&r.warnings));
    /* medians over all 7 rounds: A's TTFT 100..700 → 400; B's tokens/s unknown */
    cr_assert_float_eq(a->median_ttft_ms, 400, 1e-9);
    cr_assert_float_eq(b->median_ttft_ms, 40, 1e-9);
    cr_assert_float_eq(a->median_tokens_per_s, 50, 1e-9);
    cr_assert(isnan(b->median_tokens_per_s));
    cr_assert_float_eq(a->cost_per_1k_usd, 2.0, 1e-9);
    report_free(&r);
    fixture_set_free(&set);
}

Test(report, html_and_markdown_carry_the_same_intervals_self_contained_and_deterministic, .init = setup,
     .fini = teardown)
{
    FixtureSet set = { 0 };
    build(&set);
    Report r1, r2;
    char err[200];
    ReportOptions o = report_options_default();
    o.volume = 50000;
    cr_assert_eq(report_build(&set, &o, &r1, err, sizeof err), 0);
    cr_assert_eq(report_build(&set, &o, &r2, err, sizeof err), 0);
    Buf h1 = { 0 }, h2 = { 0 }, md = { 0 };
    cr_assert_eq(report_html(&r1, "t <1>", &h1), 0);
    cr_assert_eq(report_html(&r2, "t <1>", &h2), 0);
    cr_assert_eq(report_markdown(&r1, "t", &md), 0);
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
    cr_assert(strstr(h, "$100.00"), "a month: $2 per 1,000 × 50,000");
    /* the rating intervals are printed in the HTML as in the Markdown */
    char iv[96];
    snprintf(iv, sizeof iv, "%.0f (%.0f to %.0f)", r1.models[0].rating, r1.models[0].rating_lo, r1.models[0].rating_hi);
    cr_assert(strstr(h, iv), "HTML lacks %s", iv);
    cr_assert(strstr(buf_str(&md), iv), "Markdown lacks %s", iv);
    cr_assert(strstr(h, "Not enough evidence") && strstr(buf_str(&md), "Not enough evidence"));
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

/* ---- rendered by a browser ------------------------------------------------------------- */

static const char measure_js[] =
    "<script>\n"
    "window.addEventListener('load', () => {\n"
    "  const out = [];\n"
    "  document.querySelectorAll('svg').forEach((svg, i) => {\n"
    "    const w = svg.viewBox.baseVal.width;\n"
    "    svg.querySelectorAll('text').forEach(t => {\n"
    "      const b = t.getBBox();\n"
    "      if (b.x < -0.5 || b.x + b.width > w + 0.5)\n"
    "        out.push('CLIPPED svg ' + i + ' [' + b.x.toFixed(1) + ', ' + (b.x + b.width).toFixed(1) + '] of ' + w + ': ' + t.textContent);\n"
    "      else out.push('ok');\n"
    "    });\n"
    "  });\n"
    "  const doc = document.documentElement;\n"
    "  if (doc.scrollWidth > window.innerWidth + 1) out.push('WIDE page ' + doc.scrollWidth + ' > ' + window.innerWidth);\n"
    "  document.querySelectorAll('td,th').forEach(c => { if (c.scrollWidth > c.clientWidth + 1) out.push('WIDE cell: ' + c.textContent); });\n"
    "  const pre = document.createElement('pre'); pre.id = 'measure'; pre.textContent = 'MEASURE\\n' + out.join('\\n') + '\\nEND';\n"
    "  document.body.appendChild(pre);\n"
    "});\n"
    "</script>\n";

Test(report, chromium_shows_every_label_inside_its_drawing_and_nothing_wider_than_a4, .init = setup,
     .fini = teardown, .timeout = TESTENV_HANG_S)
{
    if (system("command -v chromium >/dev/null 2>&1") != 0)
        cr_skip_test("chromium is not installed (Debian package chromium): the rendered report was not checked");
    Fixture f;
    fixture_build(&f);
    /* a model with a long name, as an openai-compat server names them */
    Reply *x = f.set.cases[0].r.replies[1];
    free(x->spec);
    x->spec = strdup("openai-compat:meta-llama/Llama-3.3-70B-Instruct-Turbo-with-a-very-long-deployment-name"
                     "@https://inference.internal.example.org:8443/v1");
    report_free(&f.rep);
    ReportOptions o = report_options_default();
    o.volume = 100000;
    o.policy = f.policy;
    o.costs = &f.costs;
    char err[200];
    cr_assert_eq(report_build(&f.set, &o, &f.rep, err, sizeof err), 0, "%s", err);
    Buf h = { 0 };
    cr_assert_eq(report_html(&f.rep, "Renewal evidence", &h), 0);
    char page[400], pdf[400], out[400], cmd[2400];
    snprintf(page, sizeof page, "%s/report.html", tmpdir);
    snprintf(pdf, sizeof pdf, "%s/report.pdf", tmpdir);
    snprintf(out, sizeof out, "%s/dom.txt", tmpdir);
    /* the page as versus wrote it, plus a measuring script for this test only */
    const char *body_end = strstr(buf_str(&h), "</body>");
    cr_assert_not_null(body_end);
    FILE *fp = fopen(page, "w");
    fwrite(buf_str(&h), 1, (size_t)(body_end - buf_str(&h)), fp);
    fputs(measure_js, fp);
    fputs(body_end, fp);
    fclose(fp);
    /* an A4 page's width at 96 dpi, less the margins: 718 px */
    snprintf(cmd, sizeof cmd,
             "HOME='%s' chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir='%s/profile' "
             "--window-size=718,1000 --virtual-time-budget=5000 --dump-dom 'file://%s' > '%s' 2>/dev/null",
             tmpdir, tmpdir, page, out);
    int st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "chromium failed (%d)", st);
    Buf dom = { 0 };
    cr_assert_eq(util_read_file(out, 16 << 20, &dom, err, sizeof err), 0, "%s", err);
    const char *m = strstr(buf_str(&dom), "id=\"measure\">MEASURE"); /* the result, not the script */
    cr_assert_not_null(m, "the measuring script did not run:\n%.2000s", buf_str(&dom));
    cr_assert(strstr(m, "END"), "%s", m);
    cr_assert_null(strstr(m, "CLIPPED"), "a chart label leaves its drawing:\n%.3000s", m);
    cr_assert_null(strstr(m, "WIDE"), "wider than an A4 page:\n%.3000s", m);
    size_t labels = 0;
    for (const char *p = m; (p = strstr(p, "\nok")); p++)
        labels++;
    cr_assert_gt(labels, 20, "the charts' labels were measured (%zu)", labels);
    /* and it prints */
    snprintf(cmd, sizeof cmd,
             "HOME='%s' chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir='%s/profile' "
             "--no-pdf-header-footer --print-to-pdf='%s' 'file://%s' >/dev/null 2>&1",
             tmpdir, tmpdir, pdf, page);
    st = system(cmd);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "printing to PDF failed (%d)", st);
    Buf p = { 0 };
    cr_assert_eq(util_read_file(pdf, 64 << 20, &p, err, sizeof err), 0, "%s", err);
    cr_assert(p.len > 1000 && strncmp(buf_str(&p), "%PDF-", 5) == 0, "a PDF came out");
    buf_free(&p);
    buf_free(&dom);
    buf_free(&h);
    fixture_free(&f);
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
    cr_assert(strstr(buf_str(&md), "refused / blocked / failed"), "%s", buf_str(&md));
    cr_assert(strstr(buf_str(&md), "1 / 2 / 1"), "%s", buf_str(&md));
    buf_free(&md);
    report_free(&r);
    fixture_set_free(&set);
}

/* A restricted round: the local model answered, the closed API was not sent. */
static void restricted_round(Session *s, long i)
{
    char err[256];
    Reply *api = reply_new("openai:a", "openai", "a");
    reply_not_sent(api, "sensitivity", "restricted data stays inside the perimeter");
    Reply *reps[2] = { cand("local:b", 40, 10, 0), api };
    Request rq = { .prompt = "p", .params = params_default(), .sensitivity = SENSITIVITY_RESTRICTED };
    cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), i);
    reply_free(reps[0]);
    reply_free(api);
}

/* tryout1 #3: an old label naming a not-sent winner is left out with a
 * warning saying why, not counted as "0 of 1: 0%" for the model that
 * answered nor as a category of its own. */
Test(report, a_label_naming_a_not_sent_winner_is_left_out_with_a_warning, .init = setup, .fini = teardown)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s);
    restricted_round(s, 0);
    s->rounds[0].outcome = SESSION_WIN; /* as an old file says: session_label_round refuses it now */
    s->rounds[0].winner = 1;
    s->rounds[0].category = strdup("medical");
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, true, err, sizeof err), 0);
    session_free(s);
    Report r;
    ReportOptions o = report_options_default();
    cr_assert_eq(report_build(&set, &o, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.n_labelled, 0);
    cr_assert_eq(r.n_invalid_labels, 1);
    cr_assert_eq(r.n_categories, 0, "the left-out label makes no category row");
    cr_assert_eq(r.models[0].share.n, 0);
    Buf md = { 0 };
    cr_assert_eq(report_markdown(&r, "t", &md), 0);
    const char *m = buf_str(&md);
    cr_assert_null(strstr(m, "clear of the others"), "%s", m);
    cr_assert_null(strstr(m, "0 of 1: 0%"), "%s", m);
    cr_assert(strstr(m, "1 label left out"), "%s", m);
    cr_assert(strstr(m, "Label left out"), "%s", m);
    cr_assert(strstr(m, "the labelled winner openai:a was not sent"), "%s", m);
    buf_free(&md);
    report_free(&r);
    fixture_set_free(&set);
}

/* tryout1 #15: a model alone in a category (the others were not sent) wins
 * it, but is not "clear of the others": there were none. */
Test(report, a_model_alone_in_a_category_is_not_clear_of_others_that_did_not_take_part, .init = setup,
     .fini = teardown)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s);
    restricted_round(s, 0);
    SessionLabel l = { .outcome = SESSION_WIN, .winner = 0, .category = "medical" };
    cr_assert_eq(session_label_round(s, 0, &l, err, sizeof err), 0, "%s", err);
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, true, err, sizeof err), 0);
    session_free(s);
    Report r;
    ReportOptions o = report_options_default();
    cr_assert_eq(report_build(&set, &o, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.leader[0], 0);
    cr_assert_not(r.separated[0], "nobody to be clear of");
    Buf md = { 0 };
    cr_assert_eq(report_markdown(&r, "t", &md), 0);
    const char *m = buf_str(&md);
    cr_assert_null(strstr(m, "clear of the others"), "%s", m);
    cr_assert(strstr(m, "1. local:b: the only model that took part"), "%s", m);
    buf_free(&md);
    report_free(&r);
    fixture_set_free(&set);
}

/* tryout1 #15: where the frontier model lost most of the common cases, the
 * policy's quality over it is not a figure like "300%": it reads "all of it"
 * with both qualities and the number of cases behind them. */
Test(report, quality_kept_above_the_frontier_model_is_capped_with_both_qualities, .init = setup, .fini = teardown)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s);
    for (long i = 0; i < 3; i++) {
        Reply *reps[2] = { cand("openai:a", 100, 50, 0.002), cand("local:b", 40, 10, 0) };
        Request rq = { .prompt = "p", .params = params_default() };
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), i);
        SessionLabel l = { .outcome = SESSION_WIN, .winner = i == 0 ? 0 : 1 };
        cr_assert_eq(session_label_round(s, (size_t)i, &l, err, sizeof err), 0, "%s", err);
        reply_free(reps[0]);
        reply_free(reps[1]);
    }
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, true, err, sizeof err), 0);
    session_free(s);
    const char *pj = "{\"versus_policy\":1,\"default\":\"local:b\"}";
    Policy *p = policy_parse(pj, strlen(pj), err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    Report r;
    ReportOptions o = report_options_default();
    o.policy = p;
    o.frontier = "openai:a";
    o.volume = 1000;
    cr_assert_eq(report_build(&set, &o, &r, err, sizeof err), 0, "%s", err);
    cr_assert_float_eq(r.policy.quality_kept, 2.0, 1e-12, "2 of 3 against 1 of 3: the raw ratio");
    Buf md = { 0 }, txt = { 0 };
    cr_assert_eq(report_markdown(&r, "t", &md), 0);
    const char *m = buf_str(&md);
    cr_assert_null(strstr(m, "200%"), "%s", m);
    cr_assert(strstr(m, "keeping all of that model's quality"), "%s", m);
    cr_assert(strstr(m, "67% against 33% on the same 3 cases"), "%s", m);
    policy_report_format(p, &r.policy, 0, &txt);
    cr_assert_null(strstr(buf_str(&txt), "200.0%"), "%s", buf_str(&txt));
    cr_assert(strstr(buf_str(&txt), "100.0% (capped: the policy 66.7%, the frontier model 33.3%, on 3 cases)"), "%s",
              buf_str(&txt));
    buf_free(&md);
    buf_free(&txt);
    report_free(&r);
    policy_free(p);
    fixture_set_free(&set);
}
