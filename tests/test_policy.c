/* test_policy.c — routing policies: parsing, routing conditions, and
 * `policy check` figures on a case set whose answers were worked out by hand
 * (picks, failures, violations, quality, cost, the RouteLLM curve). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/prices.h"
#include "eval/policy.h"
#include "providers/target.h"

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-test-policy-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static Reply *cand(const char *spec, const char *provider, double cost)
{
    Reply *r = reply_new(spec, provider, strchr(spec, ':') + 1);
    reply_start(r, 0);
    reply_finish(r, 10);
    r->metrics.cost_usd = cost;
    return r;
}

/* Eight cases, candidates openai:big ($0.01) and local:small ($0):
 *   c1  1 tok  tie           c5  50 tok  small wins
 *   c2  2 tok  tie           c6  5 tok   small wins, restricted
 *   c3  100 tok big wins     c7  60 tok  both bad
 *   c4  200 tok big wins     c8  250 tok big wins */
static void build_cases(FixtureSet *set)
{
    static const struct { int chars; SessionOutcome o; int winner; Sensitivity s; } spec[8] = {
        { 1, SESSION_TIE, -1, SENSITIVITY_PUBLIC },       { 8, SESSION_TIE, -1, SENSITIVITY_PUBLIC },
        { 400, SESSION_WIN, 0, SENSITIVITY_PUBLIC },      { 800, SESSION_WIN, 0, SENSITIVITY_INTERNAL },
        { 200, SESSION_WIN, 1, SENSITIVITY_PUBLIC },      { 20, SESSION_WIN, 1, SENSITIVITY_RESTRICTED },
        { 240, SESSION_BOTH_BAD, -1, SENSITIVITY_PUBLIC }, { 1000, SESSION_WIN, 0, SENSITIVITY_PUBLIC },
    };
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *reps[2] = { cand("openai:big", "openai", 0.01), cand("local:small", "local", 0) };
    for (int i = 0; i < 8; i++) {
        char prompt[1001];
        memset(prompt, 'a' + i, (size_t)spec[i].chars);
        prompt[spec[i].chars] = '\0';
        Request rq = { .prompt = prompt, .params = params_default(), .sensitivity = spec[i].s };
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), i);
        SessionLabel l = { .outcome = spec[i].o, .winner = spec[i].winner };
        cr_assert_eq(session_label_round(s, (size_t)i, &l, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(fixture_add_session(set, s, false, err, sizeof err), 0);
    cr_assert_eq(set->n, 8);
    reply_free(reps[0]);
    reply_free(reps[1]);
    session_free(s);
}

static Policy *parse(const char *json)
{
    char err[400];
    Policy *p = policy_parse(json, strlen(json), err, sizeof err);
    cr_assert_not_null(p, "%s", err);
    return p;
}

Test(policy, token_estimate_is_chars_over_four_rounded_up)
{
    cr_assert_eq(policy_estimate_tokens(""), 0);
    cr_assert_eq(policy_estimate_tokens("a"), 1);
    cr_assert_eq(policy_estimate_tokens("abcd"), 1);
    cr_assert_eq(policy_estimate_tokens("abcde"), 2);
    cr_assert_eq(policy_estimate_tokens("ééé€"), 1, "characters, not bytes");
}

Test(policy, rules_match_in_order_on_every_condition)
{
    Policy *p = parse("{\"versus_policy\":1,\"rules\":["
                      "{\"name\":\"secret\",\"when\":{\"sensitivity\":[\"restricted\",\"internal\"]},\"route\":\"local:a\"},"
                      "{\"when\":{\"category\":\"code\",\"min_tokens\":3},\"route\":\"openai:code\"},"
                      "{\"when\":{\"regex\":\"^prove\",\"ignore_case\":true},\"route\":\"anthropic:math\"},"
                      "{\"when\":{\"max_tokens\":2},\"route\":\"local:tiny\"}],"
                      "\"default\":\"openai:mini\"}");
    int rule;
    cr_assert_str_eq(policy_route(p, "write code", "code", SENSITIVITY_INTERNAL, &rule), "local:a");
    cr_assert_str_eq(policy_rule_name(p, rule), "secret");
    cr_assert_str_eq(policy_route(p, "write some code", "code", SENSITIVITY_PUBLIC, &rule), "openai:code");
    cr_assert_str_eq(policy_rule_name(p, rule), "rule 2");
    cr_assert_str_eq(policy_route(p, "code", "code", SENSITIVITY_PUBLIC, &rule), "local:tiny", "too short for rule 2");
    cr_assert_str_eq(policy_route(p, "Prove that the sum of two odd numbers is even", NULL, SENSITIVITY_PUBLIC, &rule),
                     "anthropic:math");
    cr_assert_str_eq(policy_route(p, "we prove nothing here at all", NULL, SENSITIVITY_PUBLIC, &rule), "openai:mini");
    cr_assert_eq(rule, -1);
    cr_assert_str_eq(policy_rule_name(p, rule), "default");
    policy_free(p);
}

Test(policy, bad_policies_are_refused_with_the_rule_named)
{
    static const struct { const char *json, *want; } bad[] = {
        { "{\"rules\":[],\"default\":\"a:b\"}", "versus_policy" },
        { "{\"versus_policy\":1,\"rules\":[]}", "default" },
        { "{\"versus_policy\":1,\"rules\":[{\"route\":\"a:b\",\"threshold\":{}}],\"default\":\"a:b\"}", "rule 1" },
        { "{\"versus_policy\":1,\"rules\":[{\"route\":\"x:y\"},{\"when\":{\"regex\":\"(\"},\"route\":\"a:b\"}],\"default\":\"a:b\"}", "rule 2: regex" },
        { "{\"versus_policy\":1,\"rules\":[{\"when\":{\"sensitivity\":\"secret\"},\"route\":\"a:b\"}],\"default\":\"a:b\"}", "sensitivity" },
        { "{\"versus_policy\":1,\"rules\":[{\"when\":{\"colour\":\"red\"},\"route\":\"a:b\"}],\"default\":\"a:b\"}", "unknown condition" },
        { "{\"versus_policy\":1,\"rules\":[{\"threshold\":{\"score\":\"vibes\",\"at\":1,\"strong\":\"a:b\",\"weak\":\"c:d\"}}],\"default\":\"a:b\"}", "threshold" },
        { "{\"versus_policy\":1,\"rules\":[{\"when\":{\"min_tokens\":-3},\"route\":\"a:b\"}],\"default\":\"a:b\"}", "min_tokens" },
        { "{\"versus_policy\":2,\"default\":\"a:b\"}", "newer" },
        { "[1,2", "JSON" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[400] = "";
        Policy *p = policy_parse(bad[i].json, strlen(bad[i].json), err, sizeof err);
        cr_assert_null(p, "policy %zu accepted", i);
        cr_assert(strstr(err, bad[i].want), "policy %zu: \"%s\" lacks \"%s\"", i, err, bad[i].want);
    }
}

Test(policy, restricted_routes_are_judged_by_the_perimeter_decision)
{
    Config *cfg = config_new_empty();
    char why[512];
    static const char *const outside[] = { "openai:gpt-4o", "anthropic:claude", "gemini:flash", "ollama:llama3",
                                           "openai-compat:gpt-4o@https://api.openai.com/v1", "my-alias" };
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++)
        cr_assert_not(target_sensitivity_allows(cfg, outside[i], SENSITIVITY_RESTRICTED, why, sizeof why),
                      "%s let restricted data out", outside[i]);
    cr_assert(target_sensitivity_allows(cfg, "local:model.gguf", SENSITIVITY_RESTRICTED, why, sizeof why));
    cr_assert(target_sensitivity_allows(cfg, "openai:gpt-4o", SENSITIVITY_PUBLIC, why, sizeof why));
    config_free(cfg);
}

Test(policy, a_small_strong_weak_gap_gives_a_warning_not_a_figure_above_100, .init = setup, .fini = teardown)
{
    /* build_cases: on the 8 cases the strong model alone is right in 3 (c3,
     * c4, c8) and the weak alone in 1 (c5): exact McNemar p = 0.625. The old
     * figures (PGR 150%, APGR 100%) said nothing that these cases support. */
    FixtureSet set = { 0 };
    build_cases(&set);
    Policy *p = parse("{\"versus_policy\":1,\"rules\":["
                      "{\"when\":{\"sensitivity\":\"restricted\"},\"route\":\"local:small\"},"
                      "{\"name\":\"length\",\"threshold\":{\"score\":\"tokens\",\"at\":60,"
                      "\"strong\":\"openai:big\",\"weak\":\"local:small\"}}],"
                      "\"default\":\"openai:big\"}");
    PolicyReport r;
    char err[200];
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0);
    cr_assert_eq(r.judged, 8);
    cr_assert_eq(r.judged_routes, 8);
    cr_assert_eq(r.winners, 5);
    cr_assert_eq(r.ties, 2);
    cr_assert_eq(r.both_bad, 1);
    cr_assert_float_eq(r.quality, 7.0 / 8, 1e-12);
    cr_assert_eq(r.curve_cases, 8);
    cr_assert_float_eq(r.q_strong, 6.0 / 8, 1e-12);
    cr_assert_float_eq(r.q_weak, 4.0 / 8, 1e-12);
    cr_assert_eq(r.strong_only, 3);
    cr_assert_eq(r.weak_only, 1);
    cr_assert_float_eq(r.gap_p, 0.625, 1e-12);
    cr_assert(r.gap_too_small);
    for (size_t i = 0; i < r.n_curve; i++)
        cr_assert(isnan(r.curve[i].pgr), "no PGR figure at point %zu", i);
    cr_assert(isnan(r.apgr) && isnan(r.cpt50) && isnan(r.cpt80));
    Buf out = { 0 };
    cr_assert_eq(policy_report_format(p, &r, 1000, &out), 0);
    cr_assert(strstr(buf_str(&out), "WARNING: the strong–weak gap is too small"), "%s", buf_str(&out));
    cr_assert_null(strstr(buf_str(&out), "150.0%"), "%s", buf_str(&out));
    buf_free(&out);
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&set);

    /* one case apart: the same warning */
    char e2[256];
    Session *s = session_new(tmpdir, e2, sizeof e2);
    Reply *reps[2] = { cand("openai:big", "openai", 0.01), cand("local:small", "local", 0.001) };
    for (int i = 0; i < 4; i++) {
        char prompt[64];
        memset(prompt, 'a', (size_t)(4 * (i + 1)));
        prompt[4 * (i + 1)] = '\0';
        Request rq = { .prompt = prompt, .params = params_default() };
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, e2, sizeof e2), i);
        SessionLabel l = { .outcome = i == 3 ? SESSION_WIN : SESSION_TIE, .winner = i == 3 ? 0 : -1 };
        cr_assert_eq(session_label_round(s, (size_t)i, &l, e2, sizeof e2), 0);
    }
    FixtureSet one = { 0 };
    cr_assert_eq(fixture_add_session(&one, s, false, e2, sizeof e2), 0);
    p = parse("{\"versus_policy\":1,\"rules\":[{\"threshold\":{\"score\":\"tokens\",\"at\":2,"
              "\"strong\":\"openai:big\",\"weak\":\"local:small\"}}],\"default\":\"openai:big\"}");
    cr_assert_eq(policy_check(p, &one, &r, err, sizeof err), 0);
    cr_assert_eq(r.strong_only, 1);
    cr_assert_eq(r.weak_only, 0);
    cr_assert(r.gap_too_small, "a gap of one case is not measurable");
    cr_assert(isnan(r.apgr));
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&one);
    session_free(s);
    reply_free(reps[0]);
    reply_free(reps[1]);
}

/* Twelve cases of 1..12 tokens between openai:big ($0.01) and local:small
 * (~$0.001, estimated): c1-c5 tie, c6 both bad, c7-c12 big wins. */
static void build_significant(FixtureSet *set)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *big = cand("openai:big", "openai", 0.01), *small = cand("local:small", "local", 0.001);
    snprintf(small->metrics.cost_basis, sizeof small->metrics.cost_basis, "%s", PRICES_BASIS_ESTIMATED);
    Reply *reps[2] = { big, small };
    for (int i = 0; i < 12; i++) {
        char prompt[64];
        memset(prompt, 'a' + i, (size_t)(4 * (i + 1)));
        prompt[4 * (i + 1)] = '\0';
        Request rq = { .prompt = prompt, .params = params_default() };
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), i);
        SessionLabel l = { .outcome = i < 5 ? SESSION_TIE : i == 5 ? SESSION_BOTH_BAD : SESSION_WIN,
                           .winner = i > 5 ? 0 : -1 };
        cr_assert_eq(session_label_round(s, (size_t)i, &l, err, sizeof err), 0, "%s", err);
    }
    cr_assert_eq(fixture_add_session(set, s, false, err, sizeof err), 0);
    reply_free(big);
    reply_free(small);
    session_free(s);
}

Test(policy, check_gives_routellms_figures_on_a_measurable_gap, .init = setup, .fini = teardown)
{
    /* worked by hand and with numpy (trapezoid, interp):
     *   always strong 11/12, always weak 5/12; strong alone right 6, weak 0 (p = 1/32)
     *   points (share, quality): (0, 5/12) (1/12, 6/12) ... (6/12, 11/12) ... (1, 11/12)
     *   AUC = 19/24 → APGR = (19/24 − 5/12) / (6/12) = 0.75
     *   CPT(50%): quality 8/12 at share 3/12; CPT(80%): 9.8/12 at share 4.8/12 */
    FixtureSet set = { 0 };
    build_significant(&set);
    Policy *p = parse("{\"versus_policy\":1,\"rules\":[{\"name\":\"length\",\"threshold\":{\"score\":\"tokens\","
                      "\"at\":9,\"strong\":\"openai:big\",\"weak\":\"local:small\"}}],\"default\":\"openai:big\"}");
    PolicyReport r;
    char err[200];
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0);
    cr_assert_float_eq(r.q_strong, 11.0 / 12, 1e-12);
    cr_assert_float_eq(r.q_weak, 5.0 / 12, 1e-12);
    cr_assert_eq(r.strong_only, 6);
    cr_assert_eq(r.weak_only, 0);
    cr_assert_float_eq(r.gap_p, 1.0 / 32, 1e-12);
    cr_assert_not(r.gap_too_small);
    cr_assert_not(r.curve_not_monotone);
    cr_assert_eq(r.n_curve, 13);
    cr_assert_float_eq(r.curve[0].strong_share, 0, 1e-12);
    cr_assert_float_eq(r.curve[0].pgr, 0, 1e-12);
    cr_assert_float_eq(r.curve[6].strong_share, 0.5, 1e-12);
    cr_assert_float_eq(r.curve[6].pgr, 1, 1e-12);
    cr_assert_float_eq(r.apgr, 0.75, 1e-12);
    cr_assert_float_eq(r.cpt50, 0.25, 1e-12);
    cr_assert_float_eq(r.cpt80, 0.4, 1e-12);
    /* the policy (≥ 9 tokens → big) and the baselines on the same 12 cases */
    cr_assert_float_eq(r.quality, 9.0 / 12, 1e-12);
    cr_assert_eq(r.common_judged, 12);
    cr_assert_eq(r.common_priced, 12);
    cr_assert_eq(r.n_base, 4);
    cr_assert_str_eq(r.base[1].label, "always frontier");
    cr_assert_str_eq(r.base[1].spec, "openai:big");
    cr_assert_str_eq(r.base[2].spec, "local:small");
    cr_assert_float_eq(r.base[0].quality, 9.0 / 12, 1e-12);
    cr_assert_float_eq(r.base[1].quality, 11.0 / 12, 1e-12);
    cr_assert_float_eq(r.base[2].quality, 5.0 / 12, 1e-12);
    cr_assert_float_eq(r.quality_kept, 9.0 / 11, 1e-12);
    cr_assert_float_eq(r.base[0].cost_per_case, (4 * 0.01 + 8 * 0.001) / 12, 1e-15);
    cr_assert_float_eq(r.base[1].cost_per_case, 0.01, 1e-15);
    cr_assert_float_eq(r.base[2].cost_per_case, 0.001, 1e-15);
    cr_assert(r.base[0].cost_estimated && !r.base[1].cost_estimated);
    Buf out = { 0 };
    cr_assert_eq(policy_report_format(p, &r, 100000, &out), 0);
    const char *o = buf_str(&out);
    cr_assert(strstr(o, "APGR                                 75.0%"), "%s", o);
    cr_assert(strstr(o, "$         400.00"), "policy a month: $0.004 × 100,000:\n%s", o);
    cr_assert(strstr(o, "$        1000.00"), "frontier a month:\n%s", o);
    cr_assert(strstr(o, "estimated from measured speed"), "%s", o);
    buf_free(&out);
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&set);
}

Test(policy, quality_and_baselines_count_only_cases_where_the_routes_ran, .init = setup, .fini = teardown)
{
    /* three labelled cases; in the third the frontier model was not sent
     * (restricted) and the policy routes to a model that is no candidate in
     * the second: quality is over the routes that could be judged, and the
     * baselines over the one case where everything ran */
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    Reply *big = cand("openai:big", "openai", 0.01), *small = cand("local:small", "local", 0.001);
    Reply *other = cand("local:other", "local", 0.002);
    Reply *refused = reply_new("openai:big", "openai", "big");
    reply_not_sent(refused, "sensitivity", "refused");
    Reply *r1[2] = { big, small }, *r2[2] = { big, other }, *r3[2] = { refused, small };
    Reply **rounds[3] = { r1, r2, r3 };
    for (int i = 0; i < 3; i++) {
        Request rq = { .prompt = i == 1 ? "route me elsewhere" : "hello", .params = params_default(),
                       .sensitivity = i == 2 ? SENSITIVITY_RESTRICTED : SENSITIVITY_PUBLIC };
        cr_assert_eq(session_add_round(s, &rq, rounds[i], 2, NULL, err, sizeof err), i);
        SessionLabel l = { .outcome = SESSION_WIN, .winner = 1 };
        cr_assert_eq(session_label_round(s, (size_t)i, &l, err, sizeof err), 0, "%s", err);
    }
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0);
    Policy *p = parse("{\"versus_policy\":1,\"default\":\"local:small\"}");
    PolicyReport r;
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0);
    cr_assert_eq(r.unjudged, 1, "case 2 has no local:small");
    cr_assert_eq(r.judged_routes, 2);
    cr_assert_float_eq(r.quality, 1.0, 1e-12, "both judged routes won; the unjudged one is no miss");
    cr_assert_eq(r.common_judged, 1, "only case 1 has the policy's route, the frontier and the local model");
    cr_assert_float_eq(r.base[0].cost_per_case, 0.001, 1e-15);
    cr_assert_float_eq(r.base[1].cost_per_case, 0.01, 1e-15);
    /* tryout2 #32: local:other won its one case and local:small both of its
     * two: at equal quality the model judged on more cases is the best, and
     * the figure says on how many */
    cr_assert_str_eq(r.best_model, "local:small");
    cr_assert_eq(r.best_judged, 2);
    Buf out = { 0 };
    cr_assert_eq(policy_report_format(p, &r, 0, &out), 0);
    cr_assert(strstr(buf_str(&out), "best single model (local:small, 2 judged cases)"), "%s", buf_str(&out));
    buf_free(&out);
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&set);
    session_free(s);
    reply_free(big);
    reply_free(small);
    reply_free(other);
    reply_free(refused);
}

Test(policy, interpolation_and_mcnemar_follow_their_definitions)
{
    /* numpy.interp: the last of equal x values wins, clamps below */
    double xp[4] = { 0.5, 0.5, 0.75, 1.0 }, fp[4] = { 0, 0.3, 0.6, 0.9 };
    cr_assert_float_eq(policy_interp(0.5, xp, fp, 4), 0.3, 1e-15);
    cr_assert_float_eq(policy_interp(0.625, xp, fp, 4), 0.45, 1e-15);
    cr_assert_float_eq(policy_interp(0.1, xp, fp, 4), 0, 0);
    cr_assert_float_eq(policy_interp(1.0, xp, fp, 4), 0.9, 1e-15);
    cr_assert(isnan(policy_interp(1.01, xp, fp, 4)), "never reached: not 100%%");
    cr_assert_float_eq(policy_mcnemar_p(6, 0), 1.0 / 32, 1e-15);
    cr_assert_float_eq(policy_mcnemar_p(3, 1), 0.625, 1e-15);
    cr_assert_float_eq(policy_mcnemar_p(0, 0), 1, 0);
    cr_assert_float_eq(policy_mcnemar_p(10, 10), 1, 0);
}

Test(policy, check_lists_loser_picks_and_restricted_data_to_closed_apis, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    build_cases(&set);
    Policy *p = parse("{\"versus_policy\":1,\"default\":\"openai:big\"}");
    PolicyReport r;
    char err[200];
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0);
    cr_assert_eq(r.winners, 3);
    cr_assert_eq(r.ties, 2);
    cr_assert_eq(r.losers, 2, "c5 and c6 went to the loser");
    cr_assert_eq(r.violations, 1, "c6 is restricted and went to OpenAI");
    cr_assert(r.cases[5].violation);
    cr_assert(policy_report_failed(&r));
    cr_assert_null(r.curve, "no threshold rule, no curve");
    Buf out = { 0 };
    policy_report_format(p, &r, 0, &out);
    cr_assert(strstr(buf_str(&out), "VIOLATION"));
    cr_assert(strstr(buf_str(&out), "#6: restricted data routed outside the perimeter to openai:big"), "%s",
              buf_str(&out));
    cr_assert(strstr(buf_str(&out), "openai is a closed API"));
    cr_assert(strstr(buf_str(&out), "LOSER"));
    cr_assert(strstr(buf_str(&out), "FAIL"));
    buf_free(&out);
    policy_report_free(&r);
    policy_free(p);

    /* routed to a model no case has: unjudged, not a failure (local, so the
     * restricted case stays inside; an Ollama the config does not mark
     * inside the perimeter would be a violation) */
    p = parse("{\"versus_policy\":1,\"default\":\"local:other\"}");
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0);
    cr_assert_eq(r.unjudged, 8);
    cr_assert_not(policy_report_failed(&r));
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&set);
}

Test(policy, a_key_given_twice_in_when_is_an_error_not_a_leak)
{
    /* found by fuzz_policy: the second "category" list overwrote the first */
    const char *text = "{\"versus_policy\":1,\"rules\":[{\"when\":{\"category\":[\"a\",\"b\"],"
                       "\"category\":[\"c\"]},\"route\":\"openai:x\"}],\"default\":\"openai:y\"}";
    char err[256];
    Policy *p = policy_parse(text, strlen(text), err, sizeof err);
    cr_assert_null(p);
    cr_assert(strstr(err, "twice"), "%s", err);
}

/* tryout1 #2: a route that names no provider versus knows must not be judged
 * as "unjudged" and let the check pass: every route, strong, weak and
 * default spec is resolved as versus run resolves it, and the first that
 * does not is refused naming its rule and the spec. */
Test(policy, a_route_that_does_not_resolve_is_refused_naming_the_rule_and_the_spec, .init = setup, .fini = teardown)
{
    static const struct { const char *json, *want[2]; } bad[] = {
        { "{\"versus_policy\":1,\"rules\":[{\"when\":{\"sensitivity\":\"restricted\"},\"route\":\"local:\"}],"
          "\"default\":\"opnai:gpt-4o-mini\"}", { "default route \"opnai:gpt-4o-mini\"", "unknown provider 'opnai'" } },
        { "{\"versus_policy\":1,\"rules\":[{\"name\":\"code\",\"route\":\"antropic:claude\"}],\"default\":\"openai:x\"}",
          { "rule 1 (code): route \"antropic:claude\"", "unknown provider 'antropic'" } },
        { "{\"versus_policy\":1,\"rules\":[{\"route\":\"local:\"},{\"threshold\":{\"at\":9,\"strong\":\"openai:x\","
          "\"weak\":\"gpt-4o-mini\"}}],\"default\":\"openai:x\"}", { "rule 2: weak \"gpt-4o-mini\"", "needs a provider" } },
        { "{\"versus_policy\":1,\"rules\":[{\"threshold\":{\"at\":9,\"strong\":\"opnai:x\",\"weak\":\"local:\"}}],"
          "\"default\":\"openai:x\"}", { "rule 1: strong \"opnai:x\"", "does not resolve" } },
    };
    Config *empty = config_new_empty();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        Policy *p = parse(bad[i].json);
        char err[1024] = "";
        cr_assert_eq(policy_resolve_routes(p, empty, err, sizeof err), -1, "policy %zu resolved", i);
        for (int k = 0; k < 2; k++)
            cr_assert(strstr(err, bad[i].want[k]), "policy %zu: \"%s\" lacks \"%s\"", i, err, bad[i].want[k]);
        policy_free(p);
    }
    /* what resolves passes: built-in providers, local:, and the config's aliases and providers */
    char path[400], err[1024] = "";
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("{\"models\": {\"fast\": \"openai:gpt-4o-mini\"},"
          " \"providers\": {\"lab\": {\"kind\": \"openai-compat\", \"base_url\": \"http://127.0.0.1:9/v1\"}}}\n", f);
    fclose(f);
    cr_assert_eq(chmod(path, 0600), 0);
    Config *cfg = config_load(path, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    Policy *p = parse("{\"versus_policy\":1,\"rules\":[{\"route\":\"local:\"},{\"route\":\"lab:m\"},"
                      "{\"threshold\":{\"at\":9,\"strong\":\"anthropic:claude\",\"weak\":\"gemini:flash\"}}],"
                      "\"default\":\"fast\"}");
    cr_assert_eq(policy_resolve_routes(p, cfg, err, sizeof err), 0, "%s", err);
    cr_assert_eq(policy_resolve_routes(p, empty, err, sizeof err), -1, "without the config, lab and fast do not");
    cr_assert(strstr(err, "rule 2: route \"lab:m\""), "%s", err);
    policy_free(p);
    config_free(cfg);
    config_free(empty);
}

/* tryout1 #2: no routed case with a known cost is "n/a", not "$0.000000". */
Test(policy, a_cost_over_no_priced_route_is_not_available_not_zero, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    build_cases(&set);
    Policy *p = parse("{\"versus_policy\":1,\"default\":\"local:other\"}");
    PolicyReport r;
    char err[200];
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0);
    cr_assert_eq(r.cost_known, 0);
    Buf out = { 0 };
    policy_report_format(p, &r, 0, &out);
    cr_assert_null(strstr(buf_str(&out), "$0.000000"), "%s", buf_str(&out));
    cr_assert(strstr(buf_str(&out), "n/a (no routed case has a known cost)"), "%s", buf_str(&out));
    buf_free(&out);
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&set);
}

/* tryout1 #3: a file labelled before versus refused it can say a candidate
 * that was never sent won. That label is no evidence: routing the case to
 * the model that did answer is not a loser pick, and the case is listed as
 * left out with the reason. */
Test(policy, a_label_naming_a_winner_that_was_not_sent_is_no_evidence, .init = setup, .fini = teardown)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *api = reply_new("openai:big", "openai", "big");
    reply_not_sent(api, "sensitivity", "restricted data stays inside the perimeter");
    Reply *reps[2] = { cand("local:small", "local", 0), api };
    Request rq = { .prompt = "secret", .params = params_default(), .sensitivity = SENSITIVITY_RESTRICTED };
    cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), 0);
    s->rounds[0].outcome = SESSION_WIN; /* as an old file says: session_label_round refuses it now */
    s->rounds[0].winner = 1;
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0, "%s", err);
    Policy *p = parse("{\"versus_policy\":1,\"rules\":[{\"when\":{\"sensitivity\":\"restricted\"},"
                      "\"route\":\"local:small\"}],\"default\":\"openai:big\"}");
    PolicyReport r;
    cr_assert_eq(policy_check(p, &set, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.losers, 0, "keeping restricted data home is not a loser pick");
    cr_assert_eq(r.unjudged, 1);
    cr_assert_eq(r.invalid_labels, 1);
    cr_assert_eq(r.judged, 0, "the label is not evidence");
    cr_assert(isnan(r.oracle_quality));
    cr_assert(r.cases[0].label_invalid);
    cr_assert_not(policy_report_failed(&r));
    Buf out = { 0 };
    policy_report_format(p, &r, 0, &out);
    cr_assert(strstr(buf_str(&out), "labels left out 1"), "%s", buf_str(&out));
    cr_assert(strstr(buf_str(&out), "label left out: the labelled winner openai:big was not sent"), "%s",
              buf_str(&out));
    cr_assert(strstr(buf_str(&out), "PASS"), "%s", buf_str(&out));
    buf_free(&out);
    policy_report_free(&r);
    policy_free(p);
    fixture_set_free(&set);
    reply_free(reps[0]);
    reply_free(api);
    session_free(s);
}
