/* test_cli_contract.c — what versus(1) promises at the command line, checked
 * through the real binary the way a first-day user meets it (each test is
 * one finding of a user's try-out, reproduced with their command): config
 * typos are errors, specs that do not resolve exit 2 with nothing sent,
 * keyless in-perimeter servers run by default, PROVIDER:MODEL@URL follows
 * the key rule, and the outputs of `run` say what happened.
 *
 * Each test gets a private HOME/XDG tree and a loopback fake provider
 * (harden/vchild.h, fake/fakeprov.h); every provider points at the fake. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

static char home[256];
static char bin[1024];
static FakeProv *fp;
static char **env;

static void setup(void)
{
    vsuite_home("contract", bin, sizeof bin, home, sizeof home);
    fp = vsuite_fake(NULL);
    env = vchild_env_new(home, fakeprov_url(fp));
    signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
    vsuite_end(&fp, &env, home);
}

TestSuite(contract, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* Runs versus with args (NULL-terminated); returns its exit code. Parses
 * stdout as JSON when json. */
static int versus_json(VResult *r, bool json, const char *const *args)
{
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, json, r), 0, "could not start %s", bin);
    cr_assert(!r->timed_out, "versus %s hung; stderr: %s", args[0], buf_str(&r->err));
    cr_assert_null(strstr(buf_str(&r->out), VCHILD_KEY_MARK), "a key reached stdout");
    cr_assert_null(strstr(buf_str(&r->err), VCHILD_KEY_MARK), "a key reached stderr");
    return r->exit_code;
}

static int versus(VResult *r, const char *const *args) { return versus_json(r, false, args); }

/* Writes text to home/NAME (mode 0600); the path goes to out. */
static void write_home_file(const char *name, const char *text, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", home, name);
    FILE *f = fopen(out, "w");
    cr_assert_not_null(f, "%s: %s", out, strerror(errno));
    fputs(text, f);
    fclose(f);
    chmod(out, 0600);
}

/* A config at home/config.json; %s in fmt is replaced by the fake's URL. */
static void write_config(const char *fmt, char *out, size_t n)
{
    char text[4096];
    snprintf(text, sizeof text, fmt, fakeprov_url(fp), fakeprov_url(fp));
    write_home_file("config.json", text, out, n);
}

/* Requests the fake received, on every route. */
static long requests(void) { return fakeprov_count(fp, FAKE_ROUTE_COUNT); }

static const cJSON *result_at(const VResult *r, int i)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r->json, "results");
    cr_assert(cJSON_IsArray(res), "no results array: %s", buf_str(&r->out));
    const cJSON *x = cJSON_GetArrayItem(res, i);
    cr_assert_not_null(x, "no result %d: %s", i, buf_str(&r->out));
    return x;
}

static const char *sget(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* ---- #1: a misspelt config key is an error, in every section ---------------- */

Test(contract, a_misspelt_defaults_key_stops_the_run_before_anything_is_sent)
{
    static const struct {
        const char *json, *says;
    } typos[] = {
        { "{\"defualts\": {\"sensitivity\": \"restricted\"}}", "defualts is not a setting (did you mean defaults?)" },
        { "{\"defaults\": {\"temprature\": 0.2}}", "defaults.temprature is not a setting (did you mean temperature?)" },
        { "{\"providers\": {\"openai\": {\"kye_env\": \"OPENAI_API_KEY\"}}}",
          "providers.openai.kye_env is not a setting (did you mean key_env?)" },
    };
    for (size_t i = 0; i < sizeof typos / sizeof *typos; i++) {
        char cfg[512];
        write_home_file("c7.json", typos[i].json, cfg, sizeof cfg);
        long before = requests();
        VResult r;
        const char *args[] = { "run", "--config", cfg, "-f", "json", "-m", "openai:happy", "hi", NULL };
        cr_assert_eq(versus(&r, args), 2, "%s: exit %d, stderr %s", typos[i].json, r.exit_code, buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.err), typos[i].says), "%s", buf_str(&r.err));
        cr_assert_eq(r.out.len, 0, "no result is printed: %s", buf_str(&r.out));
        cr_assert_eq(requests(), before, "nothing may be sent");
        vchild_result_free(&r);
    }
}

/* Tryout 2 #3: `versus models` did not say which endpoint each provider
 * would hit, so a typo'd *_BASE_URL was invisible until a round failed; and
 * it called a spec "usable" that run refuses (its key belongs elsewhere). */
Test(contract, models_says_where_each_model_sends_and_which_key_run_would_refuse)
{
    VResult r;
    const char *args[] = { "models", "-m", "openai:happy", "-m", "openai:happy@http://localhost:1/v1", NULL };
    cr_assert_eq(versus(&r, args), 0, "%s", buf_str(&r.err));
    const char *out = buf_str(&r.out);
    char want[600];
    snprintf(want, sizeof want, "sends to %s/v1 (OPENAI_BASE_URL)", fakeprov_url(fp));
    cr_assert(strstr(out, want), "the endpoint and where it came from (%s):\n%s", want, out);
    cr_assert(strstr(out, "sends to http://localhost:1/v1 (written in the spec)"), "%s", out);
    cr_assert(strstr(out, "refused unless you pass --send-key-to http://localhost:1/v1: the key of 'openai' belongs to "),
              "not usable as it stands:\n%s", out);
    vchild_result_free(&r);
    /* and run does refuse it, as models says */
    const char *run[] = { "run", "-f", "json", "-m", "openai:happy@http://localhost:1/v1", "hi", NULL };
    versus_json(&r, true, run);
    cr_assert_str_eq(sget(result_at(&r, 0), "status"), "not_sent");
    vchild_result_free(&r);
}

/* ---- #5: a keyless in-perimeter server in defaults.models runs --------------- */

Test(contract, a_keyless_config_provider_in_the_default_models_runs)
{
    char cfg[512];
    write_config("{\"providers\": {\"lab\": {\"kind\": \"openai-compat\", \"base_url\": \"%s/v1\","
                 " \"inside_perimeter\": true}},"
                 " \"defaults\": {\"models\": [\"lab:happy\", \"openai:happy\"]}}",
                 cfg, sizeof cfg);
    VResult r;
    const char *models[] = { "models", "--config", cfg, NULL };
    cr_assert_eq(versus(&r, models), 0, "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.out), "usable (no key)"), "%s", buf_str(&r.out));
    vchild_result_free(&r);
    const char *run[] = { "run", "--config", cfg, "-f", "json", "Say hi in five words.", NULL };
    cr_assert_eq(versus_json(&r, true, run), 0, "%s", buf_str(&r.err));
    cr_assert_null(strstr(buf_str(&r.err), "skipping"), "%s", buf_str(&r.err));
    cr_assert_str_eq(sget(result_at(&r, 0), "spec"), "lab:happy");
    cr_assert_str_eq(sget(result_at(&r, 0), "status"), "ok");
    vchild_result_free(&r);
    /* restricted: the one server inside the perimeter still answers */
    const char *restricted[] = { "run", "--config", cfg, "-f", "json", "--sensitivity", "restricted", "hi", NULL };
    versus_json(&r, true, restricted);
    cr_assert_str_eq(sget(result_at(&r, 0), "spec"), "lab:happy");
    cr_assert_str_eq(sget(result_at(&r, 0), "status"), "ok", "%s", buf_str(&r.out));
    cr_assert_str_eq(sget(result_at(&r, 1), "status"), "not_sent");
    vchild_result_free(&r);
}

/* ---- #6: PROVIDER:MODEL@URL for the built-in providers ----------------------- */

Test(contract, a_url_after_a_builtin_provider_is_its_endpoint_under_the_key_rule)
{
    char err[256];
    FakeProv *other = fakeprov_start(NULL, err, sizeof err);
    cr_assert_not_null(other, "%s", err);
    char spec_openai[600], spec_anthropic[600], spec_ollama[600], other_v1[600];
    snprintf(other_v1, sizeof other_v1, "%s/v1", fakeprov_url(other));
    snprintf(spec_openai, sizeof spec_openai, "openai:happy@%s", other_v1);
    snprintf(spec_anthropic, sizeof spec_anthropic, "anthropic:happy@%s", fakeprov_url(other));
    snprintf(spec_ollama, sizeof spec_ollama, "ollama:happy@%s", fakeprov_url(other));
    /* a key would go to another URL: refused with the option to write, nothing reaches it */
    VResult r;
    const char *refused[] = { "run", "-f", "json", "-n", "8", "-m", spec_openai, "-m", spec_anthropic, "hi", NULL };
    cr_assert_eq(versus_json(&r, true, refused), 1, "%s", buf_str(&r.err));
    for (int i = 0; i < 2; i++) {
        const cJSON *x = result_at(&r, i);
        cr_assert_str_eq(sget(x, "status"), "not_sent", "%s", buf_str(&r.out));
        cr_assert_str_eq(sget(x, "model"), "happy", "the URL is never part of the model name");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(x, "error");
        cr_assert_str_eq(sget(e, "type"), "key_url");
        cr_assert(strstr(sget(e, "hint"), "--send-key-to"), "%s", sget(e, "hint"));
    }
    vchild_result_free(&r);
    cr_assert_eq(fakeprov_count(other, FAKE_ROUTE_COUNT), 0, "the other URL got a request");
    /* named with --send-key-to: that URL gets the request, the model name is the model */
    const char *named[] = { "run", "-f", "json", "-n", "8", "--send-key-to", other_v1, "--send-key-to",
                            fakeprov_url(other), "-m", spec_openai, "-m", spec_anthropic, "hi", NULL };
    cr_assert_eq(versus_json(&r, true, named), 0, "%s%s", buf_str(&r.out), buf_str(&r.err));
    cr_assert_str_eq(sget(result_at(&r, 0), "model"), "happy");
    cr_assert_str_eq(sget(result_at(&r, 1), "model"), "happy");
    vchild_result_free(&r);
    cr_assert_eq(fakeprov_count(other, FAKE_ROUTE_OPENAI), 1);
    cr_assert_eq(fakeprov_count(other, FAKE_ROUTE_ANTHROPIC), 1);
    /* Ollama holds no key: the URL is simply where it runs */
    const char *ollama[] = { "run", "-f", "json", "-n", "8", "-m", spec_ollama, "hi", NULL };
    cr_assert_eq(versus_json(&r, true, ollama), 0, "%s%s", buf_str(&r.out), buf_str(&r.err));
    cr_assert_str_eq(sget(result_at(&r, 0), "model"), "happy");
    vchild_result_free(&r);
    cr_assert_eq(fakeprov_count(other, FAKE_ROUTE_OLLAMA), 1);
    /* something after '@' that is not a URL is an error, not a model name */
    const char *bad[] = { "run", "-f", "json", "-m", "openai:happy@localhost:8080", "hi", NULL };
    cr_assert_eq(versus(&r, bad), 2, "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "http://"), "%s", buf_str(&r.err));
    vchild_result_free(&r);
    fakeprov_stop(other);
}

/* ---- #7: a spec that does not resolve is a usage error: exit 2 ---------------- */

Test(contract, a_spec_that_does_not_resolve_exits_2_and_sends_nothing)
{
    char cfg[512];
    write_config("{\"providers\": {\"lab\": {\"kind\": \"openai-compat\"}}}", cfg, sizeof cfg);
    static const char *const specs[][2] = {
        { "opneai:gpt-4o-mini", "unknown provider 'opneai'" },
        { "opneai:gpt-4o-mini", "(did you mean openai?)" },
        /* the workbench's NAME=SPEC, copied into run (tryout2 #25) */
        { "fast=openai:gpt-4o-mini", "NAME=SPEC names a pane in the workbench; give the SPEC alone "
                                     "(-m openai:gpt-4o-mini)" },
        { "gemma-3-270m-q4_k_m.gguf", "needs a provider" },
        { "lab:x", "no URL for 'lab:x'" },
    };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        long before = requests();
        VResult r;
        const char *args[] = { "run", "--config", cfg, "-m", "openai:happy", "-m", specs[i][0], "hi", NULL };
        cr_assert_eq(versus(&r, args), 2, "%s: exit %d; %s", specs[i][0], r.exit_code, buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.err), specs[i][1]), "%s", buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.err), "nothing was sent"), "%s", buf_str(&r.err));
        cr_assert_eq(requests(), before, "nothing may be sent when one spec is wrong");
        vchild_result_free(&r);
    }
}

/* ---- #4: the default local model is recorded by its file ----------------------- */

/* Copies src to home/name; the path goes to out. */
static void copy_to_home(const char *src, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", home, name);
    FILE *in = fopen(src, "rb"), *o = fopen(out, "wb");
    cr_assert(in && o, "copy %s", src);
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, in)) > 0)
        cr_assert_eq(fwrite(buf, 1, k, o), k);
    fclose(in);
    fclose(o);
}

Test(contract, the_default_local_model_is_named_by_its_file_and_two_files_are_two_models)
{
    char stories[1024], other[600];
    if (!testenv_shared("models/stories260K.gguf", stories, sizeof stories))
        cr_skip_test("VERSUS_SHARED not set");
    copy_to_home(stories, "other-model.gguf", other, sizeof other);
    /* the spec stays as typed, the model names the file it ran */
    vchild_env_set(&env, "VERSUS_MODEL", stories);
    VResult r;
    const char *first[] = { "run", "--save", "--no-progress", "-f", "json", "--raw", "-n", "4", "-m", "local:",
                            "-m", "openai:happy", "Once", NULL };
    cr_assert_eq(versus_json(&r, true, first), 0, "%s", buf_str(&r.err));
    cr_assert_str_eq(sget(result_at(&r, 0), "spec"), "local:");
    cr_assert(strstr(sget(result_at(&r, 0), "model"), "stories260K.gguf"), "%s", sget(result_at(&r, 0), "model"));
    vchild_result_free(&r);
    char id[256];
    vsuite_session_id(home, id, sizeof id);
    vchild_env_set(&env, "VERSUS_MODEL", other);
    const char *second[] = { "run", "--session", id, "--no-progress", "-f", "json", "--raw", "-n", "4", "-m",
                             "local:", "-m", "openai:happy", "Once", NULL };
    cr_assert_eq(versus_json(&r, true, second), 0, "%s", buf_str(&r.err));
    cr_assert(strstr(sget(result_at(&r, 0), "model"), "other-model.gguf"), "%s", sget(result_at(&r, 0), "model"));
    vchild_result_free(&r);
    vchild_env_set(&env, "VERSUS_MODEL", NULL);
    for (int round = 1; round <= 2; round++) {
        char rs[8];
        snprintf(rs, sizeof rs, "%d", round);
        const char *label[] = { "sessions", "label", id, rs, "--winner", "1", NULL };
        cr_assert_eq(versus(&r, label), 0, "%s", buf_str(&r.err));
        vchild_result_free(&r);
    }
    /* the bench of one file prices that file's rounds, and only those */
    char cfg[512], bench[512];
    write_home_file("cost.json", "{\"local_cost\": {\"gpu_hour_usd\": 2.0}}", cfg, sizeof cfg);
    write_home_file("bench.json",
                    "{\"path\": \"/somewhere/stories260K.gguf\", \"tests\": [{\"test\": \"pp32\", "
                    "\"tps_median\": 1000}, {\"test\": \"tg16\", \"tps_median\": 500}]}",
                    bench, sizeof bench);
    const char *report[] = { "report", id, "-f", "md", "-o", "-", "--config", cfg, "--bench", bench, NULL };
    cr_assert_eq(versus(&r, report), 0, "%s", buf_str(&r.err));
    const char *md = buf_str(&r.out);
    cr_assert(strstr(md, "local:stories260K.gguf"), "a row for each file:\n%s", md);
    cr_assert(strstr(md, "local:other-model.gguf"), "a row for each file:\n%s", md);
    cr_assert(strstr(md, "1000 prompt and 500.0 decode tokens/s (versus bench)"), "the bench applies:\n%s", md);
    cr_assert(strstr(md, "(measured in its replies (medians))"), "the other file keeps its own speeds:\n%s", md);
    vchild_result_free(&r);
}

/* ---- #14, #16: the table of `versus run` -------------------------------------- */

/* The table row of spec in text output (a copy, without the newline). */
static void table_row(const char *text, const char *spec, char *row, size_t n)
{
    const char *p = text;
    while ((p = strchr(p, '\n')) && !(strncmp(p + 1, spec, strlen(spec)) == 0 && p[1 + strlen(spec)] == ' '))
        p++;
    cr_assert_not_null(p, "no table row for %s:\n%s", spec, text);
    snprintf(row, n, "%.*s", (int)strcspn(p + 1, "\n"), p + 1);
}

/* The words of a row, split on spaces in place. */
static size_t words(char *row, char **w, size_t max)
{
    size_t n = 0;
    char *p = row;
    while (*p && n < max) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        w[n++] = p;
        p += strcspn(p, " ");
    }
    return n;
}

Test(contract, a_model_never_sent_costs_nothing_and_the_table_says_none)
{
    char stories[1024], cfg[512];
    if (!testenv_shared("models/stories260K.gguf", stories, sizeof stories))
        cr_skip_test("VERSUS_SHARED not set");
    vchild_env_set(&env, "VERSUS_MODEL", stories);
    write_config("{\"local_cost\": {\"free\": true}}", cfg, sizeof cfg);
    VResult r;
    const char *args[] = { "run", "--config", cfg, "--no-progress", "--sensitivity", "restricted", "--raw", "-n", "4",
                           "-m", "local:", "-m", "openai:happy", "Once", NULL };
    cr_assert_eq(versus(&r, args), 1, "%s", buf_str(&r.err));
    const char *text = buf_str(&r.out);
    char row[512], *w[16];
    table_row(text, "openai:happy", row, sizeof row);
    size_t n = words(row, w, 16);
    cr_assert_eq(n, 11, "model status load ttft ttfa total tok/s in out reason cost: %zu words", n);
    cr_assert_str_eq(w[1], "not_sent");
    for (size_t i = 2; i < 10; i++)
        cr_assert_str_eq(w[i], "-", "column %zu of a model never sent is '-'", i);
    cr_assert_str_eq(w[10], "none", "nothing was spent");
    table_row(text, "total", row, sizeof row);
    cr_assert(strstr(row, "$0.000000"), "%s", row);
    cr_assert_null(strstr(row, "unknown"), "a model never sent adds no unknown cost: %s", row);
    vchild_result_free(&r);
    /* without local_cost the local cost is unknown: the total says so, it is not $0 */
    const char *unpriced[] = { "run", "--no-progress", "--sensitivity", "restricted", "--raw", "-n", "4",
                               "-m", "local:", "-m", "openai:happy", "Once", NULL };
    versus(&r, unpriced);
    table_row(buf_str(&r.out), "total", row, sizeof row);
    n = words(row, w, 16);
    cr_assert_eq(n, 2, "%s", row);
    cr_assert_str_eq(w[1], "unknown", "no cost is known: %s", row);
    cr_assert(strstr(buf_str(&r.out), "cost of local: is unknown: state what the machine costs"), "%s",
              buf_str(&r.out));
    vchild_result_free(&r);
}

Test(contract, a_local_model_load_is_its_own_column_apart_from_ttft)
{
    char stories[1024];
    if (!testenv_shared("models/stories260K.gguf", stories, sizeof stories))
        cr_skip_test("VERSUS_SHARED not set");
    vchild_env_set(&env, "VERSUS_MODEL", stories);
    VResult r;
    const char *args[] = { "run", "--no-progress", "--raw", "-n", "4", "-m", "local:", "-m", "openai:happy", "Once",
                           NULL };
    cr_assert_eq(versus(&r, args), 0, "%s", buf_str(&r.err));
    const char *text = buf_str(&r.out);
    char row[512], *w[16];
    table_row(text, "model", row, sizeof row);
    size_t n = words(row, w, 16);
    cr_assert_eq(n, 11, "%s", row);
    cr_assert_str_eq(w[2], "load", "%s", row);
    cr_assert_str_eq(w[3], "ttft", "%s", row);
    table_row(text, "local:", row, sizeof row);
    n = words(row, w, 16);
    cr_assert_str_eq(w[2 + 1], "ms", "a local model's load is shown in ms: %s", row);
    table_row(text, "openai:happy", row, sizeof row);
    n = words(row, w, 16);
    cr_assert_str_eq(w[2], "-", "an API has no load: %s", row);
    vchild_result_free(&r);
    const char *json[] = { "run", "--no-progress", "-f", "json", "--raw", "-n", "4", "-m", "local:", "Once", NULL };
    cr_assert_eq(versus_json(&r, true, json), 0, "%s", buf_str(&r.err));
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(result_at(&r, 0), "metrics");
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "load_ms")), "load_ms apart: %s", buf_str(&r.out));
    cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(m, "ttft_ms")));
    vchild_result_free(&r);
}

/* ---- #20: replies in -m order ----------------------------------------------------- */

Test(contract, text_replies_print_in_the_order_of_the_models_given)
{
    VResult r;
    /* the first model answers after the second has finished */
    const char *args[] = { "run", "--no-progress", "-m", "openai:happy.ttft1500", "-m", "anthropic:happy", "hi", NULL };
    cr_assert_eq(versus(&r, args), 0, "%s", buf_str(&r.err));
    const char *text = buf_str(&r.out);
    const char *a = strstr(text, "=== openai:happy.ttft1500 ==="), *b = strstr(text, "=== anthropic:happy ===");
    cr_assert(a && b, "%s", text);
    cr_assert_lt(a, b, "-m order, not the order they finished:\n%s", text);
    vchild_result_free(&r);
}

/* ---- #19: the reasoning count with the reasoning, in every mode ------------------- */

Test(contract, a_streamed_reasoning_block_gives_its_token_count)
{
    static const char *const specs[] = { "anthropic:happy", "openai:o4-mini", "gemini:happy" };
    for (size_t i = 0; i < 3; i++) {
        VResult r;
        const char *args[] = { "run", "--no-progress", "--reasoning", "high", "-n", "4000", "-m", specs[i], "hi",
                               NULL };
        cr_assert_eq(versus(&r, args), 0, "%s", buf_str(&r.err));
        char want[64];
        snprintf(want, sizeof want, "[reasoning: %d tokens]", FAKEPROV_REASONING_TOKENS);
        cr_assert(strstr(buf_str(&r.out), want), "%s: one model streams live; the count follows:\n%s", specs[i],
                  buf_str(&r.out));
        vchild_result_free(&r);
    }
}

/* ---- #13: bench finds a bare file name in the model cache ------------------------ */

Test(contract, bench_looks_for_a_bare_model_name_in_the_cache_and_a_missing_file_is_exit_2)
{
    char stories[1024], dir[600], cached[700];
    if (!testenv_shared("models/stories260K.gguf", stories, sizeof stories))
        cr_skip_test("VERSUS_SHARED not set");
    snprintf(dir, sizeof dir, "%s/cache", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/cache/versus", home);
    mkdir(dir, 0700);
    snprintf(dir, sizeof dir, "%s/cache/versus/models", home);
    mkdir(dir, 0700);
    copy_to_home(stories, "cache/versus/models/cached-stories.gguf", cached, sizeof cached);
    VResult r;
    const char *bench[] = { "bench", "cached-stories.gguf", "-p", "8", "-n", "4", "-r", "1", "--format", "json", NULL };
    cr_assert_eq(versus_json(&r, true, bench), 0, "%s", buf_str(&r.err));
    const char *path = sget(r.json, "path");
    cr_assert(path && strstr(path, "cached-stories.gguf"), "%s", buf_str(&r.out));
    vchild_result_free(&r);
    const char *missing[] = { "bench", "nosuch-model.gguf", "-p", "8", "-n", "4", NULL };
    cr_assert_eq(versus(&r, missing), 2, "a file that is not there is a usage error: %s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "nosuch-model.gguf"), "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "/cache/versus/models"), "the message says where else it looked: %s",
              buf_str(&r.err));
    vchild_result_free(&r);
    char junk[600];
    write_home_file("junk.gguf", "this is not a GGUF file", junk, sizeof junk);
    const char *bad[] = { "bench", junk, "-p", "8", "-n", "4", NULL };
    cr_assert_eq(versus(&r, bad), 2, "a file that is not a model is a usage error: %s", buf_str(&r.err));
    vchild_result_free(&r);
}

/* ---- #17: sessions rm wants the full ID, or --force -------------------------------- */

static bool session_file_exists(const char *id)
{
    char path[700];
    struct stat st;
    snprintf(path, sizeof path, "%s/data/versus/sessions/%s.json", home, id);
    return stat(path, &st) == 0;
}

Test(contract, sessions_rm_removes_by_a_short_prefix_only_with_force)
{
    VResult r;
    const char *run[] = { "run", "--save", "--no-progress", "-m", "openai:happy", "hi", NULL };
    cr_assert_eq(versus(&r, run), 0, "%s", buf_str(&r.err));
    vchild_result_free(&r);
    char id[256], prefix[8];
    vsuite_session_id(home, id, sizeof id);
    snprintf(prefix, sizeof prefix, "%.4s", id);
    const char *rm_prefix[] = { "sessions", "rm", prefix, NULL };
    cr_assert_eq(versus(&r, rm_prefix), 2, "a prefix without --force is refused: %s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), id), "the message names the session it matched: %s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "--force"), "and what to do: %s", buf_str(&r.err));
    cr_assert(session_file_exists(id), "nothing was removed");
    vchild_result_free(&r);
    const char *forced[] = { "sessions", "rm", "--force", prefix, NULL };
    cr_assert_eq(versus(&r, forced), 0, "%s", buf_str(&r.err));
    cr_assert(!session_file_exists(id), "--force removes it");
    vchild_result_free(&r);
    /* the full ID needs no --force */
    cr_assert_eq(versus(&r, run), 0, "%s", buf_str(&r.err));
    vchild_result_free(&r);
    vsuite_session_id(home, id, sizeof id);
    const char *rm_full[] = { "sessions", "rm", id, NULL };
    cr_assert_eq(versus(&r, rm_full), 0, "%s", buf_str(&r.err));
    cr_assert(!session_file_exists(id));
    vchild_result_free(&r);
}

/* ---- #25: export with nothing to write fails as replay of it would ------------------ */

Test(contract, export_with_no_labelled_round_exits_2_and_writes_nothing_as_replay_would)
{
    VResult r;
    const char *run[] = { "run", "--save", "--no-progress", "-m", "openai:happy", "hi", NULL };
    cr_assert_eq(versus(&r, run), 0, "%s", buf_str(&r.err));
    vchild_result_free(&r);
    char id[256], out[600];
    vsuite_session_id(home, id, sizeof id);
    snprintf(out, sizeof out, "%s/empty.jsonl", home);
    const char *exp[] = { "export", id, "-o", out, NULL };
    cr_assert_eq(versus(&r, exp), 2, "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "no labelled rounds"), "%s", buf_str(&r.err));
    struct stat st;
    cr_assert_neq(stat(out, &st), 0, "no file is written");
    vchild_result_free(&r);
    /* replay says the same of an empty file */
    char empty[600];
    write_home_file("empty2.jsonl", "", empty, sizeof empty);
    const char *replay[] = { "replay", "--offline", empty, NULL };
    cr_assert_eq(versus(&r, replay), 2, "%s", buf_str(&r.err));
    vchild_result_free(&r);
    /* with --all the unlabelled round is a case */
    const char *all[] = { "export", id, "--all", "-o", out, NULL };
    cr_assert_eq(versus(&r, all), 0, "%s", buf_str(&r.err));
    cr_assert_eq(stat(out, &st), 0);
    vchild_result_free(&r);
}

/* ---- #18: where options go, and what was meant ------------------------------------ */

Test(contract, options_before_the_command_and_misspelt_options_say_what_to_write)
{
    VResult r;
    const char *before[] = { "--config", "/nope.json", "models", NULL };
    cr_assert_eq(versus(&r, before), 2);
    cr_assert(strstr(buf_str(&r.err), "its options go after it (versus models --config /nope.json)"), "%s",
              buf_str(&r.err));
    vchild_result_free(&r);
    const char *typo[] = { "run", "--temprature", "0", "hi", NULL };
    long sent = requests();
    cr_assert_eq(versus(&r, typo), 2);
    cr_assert(strncmp(buf_str(&r.err), "versus run: unknown option '--temprature' (did you mean --temperature?)", 71) == 0,
              "%s", buf_str(&r.err));
    vchild_result_free(&r);
    const char *novalue[] = { "run", "hi", "-m", NULL };
    cr_assert_eq(versus(&r, novalue), 2);
    cr_assert(strstr(buf_str(&r.err), "versus run: option '-m' needs a value"), "%s", buf_str(&r.err));
    vchild_result_free(&r);
    const char *label[] = { "sessions", "label", "x", "1", "--winer", "1", NULL };
    cr_assert_eq(versus(&r, label), 2);
    cr_assert(strstr(buf_str(&r.err), "versus sessions label: unknown option '--winer' (did you mean --winner?)"),
              "%s", buf_str(&r.err));
    vchild_result_free(&r);
    cr_assert_eq(requests(), sent, "nothing was sent");
}

/* ---- #23: --raw says raw, the weights' type reads as the file names it ------------ */

Test(contract, raw_json_says_the_prompt_went_raw)
{
    char stories[1024];
    if (!testenv_shared("models/stories260K.gguf", stories, sizeof stories))
        cr_skip_test("VERSUS_SHARED not set");
    vchild_env_set(&env, "VERSUS_MODEL", stories);
    VResult r;
    const char *args[] = { "run", "--no-progress", "-f", "json", "--raw", "-n", "4", "-m", "local:", "Once", NULL };
    cr_assert_eq(versus_json(&r, true, args), 0, "%s", buf_str(&r.err));
    const cJSON *ct = cJSON_GetObjectItemCaseSensitive(result_at(&r, 0), "chat_template");
    cr_assert_str_eq(sget(ct, "source"), "raw", "%s", buf_str(&r.out));
    cr_assert(strncmp(sget(ct, "note"), "raw:", 4) == 0, "%s", sget(ct, "note"));
    vchild_result_free(&r);
}

Test(contract, a_q4_k_m_file_is_reported_as_q4_k_m)
{
    const char *gemma = getenv("VERSUS_GEMMA_MODEL_FILE");
    if (!gemma || !*gemma)
        cr_skip_test("VERSUS_GEMMA_MODEL_FILE not set (Gemma 3 270M Q4_K_M)");
    char spec[1100];
    snprintf(spec, sizeof spec, "local:%s", gemma);
    VResult r;
    const char *args[] = { "run", "--no-progress", "-f", "json", "--raw", "-n", "2", "-m", spec, "The capital of",
                           NULL };
    cr_assert_eq(versus_json(&r, true, args), 0, "%s", buf_str(&r.err));
    cr_assert_str_eq(sget(result_at(&r, 0), "quant"), "Q4_K_M", "the file's own type, not the type most of its "
                                                                "bytes are in (its embedding is Q8_0)");
    vchild_result_free(&r);
}

/* tryout2 #16: a mistyped command is answered with the nearest one. */
Test(contract, a_mistyped_command_suggests_the_nearest)
{
    VResult r;
    const char *args[] = { "sesions", "list", NULL };
    cr_assert_eq(versus(&r, args), 2, "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "unknown command 'sesions' (did you mean sessions?)"), "%s", buf_str(&r.err));
    vchild_result_free(&r);
}

/* tryout2 #17: the table never cuts a spec: two candidates that differ only
 * at the end of a long URL stay told apart. */
Test(contract, the_run_table_never_cuts_a_long_spec)
{
    char a[400], b[400];
    snprintf(a, sizeof a, "openai-compat:happy@%s/a-rather-long-path-to-the-first-server/v1", fakeprov_url(fp));
    snprintf(b, sizeof b, "openai-compat:happy@%s/a-rather-long-path-to-the-first-server/x/v1", fakeprov_url(fp));
    const char *args[] = { "run", "--no-progress", "-m", a, "-m", b, "hi", NULL };
    VResult r;
    cr_assert_eq(versus(&r, args), 0, "%s", buf_str(&r.err));
    char row[420];
    snprintf(row, sizeof row, "\n%s ", a);
    cr_assert(strstr(buf_str(&r.out), row), "the whole spec heads its row:\n%s", buf_str(&r.out));
    snprintf(row, sizeof row, "\n%s  ok", b);
    cr_assert(strstr(buf_str(&r.out), row), "the whole spec heads its row:\n%s", buf_str(&r.out));
    vchild_result_free(&r);
}
