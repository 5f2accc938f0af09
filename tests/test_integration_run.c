/* test_integration_run.c — the real `versus run` binary against the loopback
 * fake provider: every provider at once, concurrency, each failure mode,
 * timeouts, retries, cancellation, what goes on the wire, and that keys never
 * reach the output.
 *
 * Each test starts its own fakeprov in-process and spawns $VERSUS_BUILDDIR/versus
 * through the shared child harness (harden/vchild.h): a private HOME/XDG_* (so
 * no real config or key is read), every provider pointed at the fake, fake
 * keys, and a hard deadline: a hang kills the child and fails the test
 * instead of blocking. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"
#include "core/prices.h"
#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "dlserver.h"
#include "testenv.h"

#define KEY_OPENAI VCHILD_KEY_OPENAI
#define KEY_ANTHROPIC VCHILD_KEY_ANTHROPIC
#define KEY_GEMINI VCHILD_KEY_GEMINI
/* The hang guard for one `versus run`: far beyond any scenario here (a few
 * seconds on a quiet machine), so that only a hang reaches it, even under
 * ASan on a loaded 2-core box. */
#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */
#define HANG_MS DEADLINE_MS

static FakeProv *fp;
static char home[256];
static char versus_bin[1024];

static void setup(void)
{
    vsuite_home("it", versus_bin, sizeof versus_bin, home, sizeof home);
    fp = vsuite_fake(NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void teardown(void)
{
    vsuite_end(&fp, NULL, home);
}

TestSuite(run, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* Starts `versus run` with args (NULL-terminated, without "run"), feeding
 * stdin_text, in the harness's private environment pointing at the fake,
 * plus NAME=VALUE when env_name is not NULL. */
static VChild spawn_versus_env(const char *const *args, const char *stdin_text, const char *env_name,
                               const char *env_value)
{
    const char *argv[64] = { "run" };
    size_t na = 1;
    for (size_t i = 0; args[i] && na < 63; i++)
        argv[na++] = args[i];
    argv[na] = NULL;
    char **env = vchild_env_new(home, fakeprov_url(fp));
    if (env_name)
        vchild_env_set(&env, env_name, env_value);
    VChild c;
    int rc = vchild_start(versus_bin, argv, env, stdin_text, &c);
    int e = errno;
    vchild_env_free(env);
    cr_assert_eq(rc, 0, "spawn %s: %s", versus_bin, strerror(e));
    return c;
}

/* Reads both streams until the child exits or the deadline passes (then it is
 * killed and the test fails); parses stdout as JSON when json is true.
 * Asserts that no fake key shows up on either stream. */
static void collect(VChild *c, bool json, VResult *r)
{
    vchild_finish(c, DEADLINE_MS, json, r);
    cr_assert(!r->timed_out, "versus did not finish within %d ms; stderr: %s", DEADLINE_MS, buf_str(&r->err));
    const char *keys[] = { KEY_OPENAI, KEY_ANTHROPIC, KEY_GEMINI, VCHILD_KEY_MARK };
    for (size_t i = 0; i < 4; i++) {
        cr_assert_null(memmem(buf_str(&r->out), r->out.len, keys[i], strlen(keys[i])), "a key reached stdout");
        cr_assert_null(memmem(buf_str(&r->err), r->err.len, keys[i], strlen(keys[i])), "a key reached stderr");
    }
    if (json)
        cr_assert(r->json, "stdout is not one JSON document (exit %d): %.2000s\nstderr: %.2000s", r->exit_code,
                  buf_str(&r->out), buf_str(&r->err));
}

static VChild spawn_versus(const char *const *args, const char *stdin_text)
{
    return spawn_versus_env(args, stdin_text, NULL, NULL);
}

static void run_versus(const char *const *args, const char *stdin_text, bool json, VResult *r)
{
    VChild c = spawn_versus(args, stdin_text);
    collect(&c, json, r);
}

/* ---- reading the JSON document ------------------------------------------------- */

static const cJSON *result_at(const VResult *r, int i)
{
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r->json, "results");
    cr_assert(cJSON_IsArray(res), "no results array");
    const cJSON *x = cJSON_GetArrayItem(res, i);
    cr_assert(x, "no result %d", i);
    return x;
}

static const char *sget(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* A number, NAN when null, -1e300 when missing. */
static double nget(const cJSON *o, const char *k)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsNumber(x))
        return x->valuedouble;
    return cJSON_IsNull(x) ? NAN : -1e300;
}

static bool bget(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static const cJSON *obj(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static void assert_ok(const cJSON *res, const char *text)
{
    const char *spec = sget(res, "spec") ? sget(res, "spec") : "?";
    cr_assert_str_eq(sget(res, "status"), "ok", "%s: status %s, error %s", spec, sget(res, "status"),
                     cJSON_PrintUnformatted(obj(res, "error")));
    if (text)
        cr_assert_str_eq(sget(res, "text"), text, "%s text", spec);
    cr_assert(!bget(res, "incomplete"), "%s incomplete", spec);
}

/* An error result: http_status (0 = don't check, -1 = must be null or absent),
 * a substring of the message, and the partial text kept (NULL: no text). */
static void assert_failed(const cJSON *res, int http_status, const char *msg_part, const char *partial)
{
    const char *spec = sget(res, "spec") ? sget(res, "spec") : "?";
    cr_assert_str_eq(sget(res, "status"), "error", "%s: status %s", spec, sget(res, "status"));
    const cJSON *e = obj(res, "error");
    cr_assert(cJSON_IsObject(e), "%s: no error object", spec);
    double hs = nget(e, "http_status");
    if (http_status > 0)
        cr_assert_eq((int)hs, http_status, "%s: http_status %g", spec, hs);
    const char *m = sget(e, "message");
    cr_assert(m && *m, "%s: empty error message", spec);
    if (msg_part)
        cr_assert(strstr(m, msg_part), "%s: message '%s' lacks '%s'", spec, m, msg_part);
    if (partial) {
        cr_assert_str_eq(sget(res, "text"), partial, "%s: partial text", spec);
        cr_assert(bget(res, "incomplete"), "%s: partial text must be marked incomplete", spec);
    } else {
        cr_assert_str_eq(sget(res, "text"), "", "%s: text", spec);
    }
}

/* The error is the run's own timeout (error.type "timeout"). */
static void assert_timed_out(const cJSON *res)
{
    const char *t = sget(obj(res, "error"), "type");
    cr_assert(t && strcmp(t, "timeout") == 0, "%s: error type %s, not timeout", sget(res, "spec"), t ? t : "(none)");
}

static const char *PARTIAL = "Hello from"; /* what the faults send before failing */

/* One failing model next to a healthy Ollama one: error for the first, ok for
 * the second, exit code 1. */
static void fault_pair(const char *spec, VResult *r, const char *const *extra)
{
    const char *args[24] = { "--no-progress", "-f", "json", "-m", spec, "-m", "ollama:happy" };
    size_t n = 7;
    for (size_t i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n++] = "Say hello.";
    args[n] = NULL;
    run_versus(args, NULL, true, r);
    cr_assert_eq(r->exit_code, 1, "exit code %d; stderr: %s", r->exit_code, buf_str(&r->err));
    assert_ok(result_at(r, 1), FAKEPROV_HAPPY_TEXT);
}

/* ---- all providers at once ------------------------------------------------------- */

Test(run, all_five_providers_stream_concurrently_in_one_run)
{
    char compat[256];
    snprintf(compat, sizeof compat, "openai-compat:happy.ms100.llama@%s/v1", fakeprov_url(fp));
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:happy.ms100", "-m", "anthropic:happy.ms100",
                           "-m", "gemini:happy.ms100", "-m", "ollama:happy.ms100", "-m", compat,
                           "Say hello.", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0, "exit %d; stderr %s", r.exit_code, buf_str(&r.err));
    const char *providers[] = { "openai", "anthropic", "gemini", "ollama", "openai-compat" };
    const int input_tokens[] = { 11, 12, 13, 14, 15 };
    for (int i = 0; i < 5; i++) {
        const cJSON *res = result_at(&r, i);
        cr_assert_str_eq(sget(res, "provider"), providers[i]);
        assert_ok(res, FAKEPROV_HAPPY_TEXT);
        const cJSON *u = obj(res, "usage");
        cr_assert_eq(nget(u, "input_tokens"), input_tokens[i], "%s input tokens", providers[i]);
        cr_assert_eq(nget(u, "output_tokens"), FAKEPROV_HAPPY_DELTAS, "%s output tokens", providers[i]);
        const cJSON *m = obj(res, "metrics");
        double ttft = nget(m, "ttft_ms"), total = nget(m, "total_ms");
        cr_assert(ttft >= 50 && total >= ttft, "%s ttft %g total %g", providers[i], ttft, total);
        cr_assert_geq(total, 0.8 * FAKEPROV_HAPPY_DELTAS * 100, "%s total %g (paced 100 ms/delta)", providers[i], total);
        cr_assert(!isnan(nget(m, "output_tokens_per_s")), "%s tokens/s", providers[i]);
    }
    /* unknown test model: no price, so no cost (never a made-up 0) for closed APIs */
    cr_assert(isnan(nget(obj(result_at(&r, 0), "metrics"), "cost_usd")), "cost_usd must be null");
    /* concurrent, proven by the fake rather than by a wall-clock sum: all
     * five streams (each paced over >= 1 s) were open in it at once */
    cr_assert_geq(fakeprov_max_active(fp), 5, "the server saw %d streams at once", fakeprov_max_active(fp));
    cr_assert_str_eq(sget(r.json, "prompt"), "Say hello.");
    vchild_result_free(&r);
}

Test(run, requests_carry_keys_in_headers_and_ask_for_usage)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:happy", "-m", "anthropic:happy",
                           "-m", "gemini:happy", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0);
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_OPENAI, &rq), 0);
    cr_assert_str_eq(rq.path, "/v1/chat/completions");
    cr_assert_str_eq(fakeprov_request_header(&rq, "authorization"), "Bearer " KEY_OPENAI);
    cJSON *b = cJSON_Parse(rq.body);
    cr_assert(cJSON_IsTrue(obj(b, "stream")));
    cr_assert(cJSON_IsTrue(obj(obj(b, "stream_options"), "include_usage")), "openai must ask for the usage chunk");
    cJSON_Delete(b);
    fakeprov_request_free(&rq);

    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_ANTHROPIC, &rq), 0);
    cr_assert_str_eq(rq.path, "/v1/messages");
    cr_assert_str_eq(fakeprov_request_header(&rq, "x-api-key"), KEY_ANTHROPIC);
    cr_assert_str_eq(fakeprov_request_header(&rq, "anthropic-version"), "2023-06-01");
    b = cJSON_Parse(rq.body);
    cr_assert(cJSON_IsNumber(obj(b, "max_tokens")), "anthropic requires max_tokens");
    cJSON_Delete(b);
    fakeprov_request_free(&rq);

    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_GEMINI, &rq), 0);
    cr_assert_str_eq(rq.path, "/v1beta/models/happy:streamGenerateContent");
    cr_assert_str_eq(fakeprov_request_header(&rq, "x-goog-api-key"), KEY_GEMINI);
    cr_assert_null(strstr(rq.target, KEY_GEMINI), "the gemini key must not be in the URL");
    cr_assert_null(strstr(rq.query, "key="), "the gemini key must not be in the URL");
    fakeprov_request_free(&rq);
    vchild_result_free(&r);
}

Test(run, prompt_from_stdin_system_and_params_reach_every_wire_format)
{
    const char *args[] = { "--no-progress", "-f", "json", "--system", "You are terse.", "--max-tokens", "64",
                           "--temperature", "0.5", "--top-p", "0.9", "--seed", "7",
                           "-m", "openai:happy", "-m", "anthropic:happy", "-m", "gemini:happy", "-m", "ollama:happy",
                           "-", NULL };
    VResult r;
    run_versus(args, "Name three colours.\n", true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr %s", buf_str(&r.err));
    cr_assert(strstr(sget(r.json, "prompt"), "Name three colours."));
    cr_assert_str_eq(sget(r.json, "system"), "You are terse.");
    const cJSON *params = obj(r.json, "params");
    cr_assert_eq(nget(params, "max_tokens"), 64);
    cr_assert_float_eq(nget(params, "temperature"), 0.5, 1e-9);

    FakeRequest rq;
    /* openai: system + user messages, max tokens, temperature, top_p, seed */
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_OPENAI, &rq), 0);
    cJSON *b = cJSON_Parse(rq.body);
    cr_assert(strstr(rq.body, "You are terse.") && strstr(rq.body, "Name three colours."));
    double mt = cJSON_IsNumber(obj(b, "max_completion_tokens")) ? nget(b, "max_completion_tokens") : nget(b, "max_tokens");
    cr_assert_eq(mt, 64);
    cr_assert_float_eq(nget(b, "temperature"), 0.5, 1e-9);
    cr_assert_float_eq(nget(b, "top_p"), 0.9, 1e-9);
    cr_assert_eq(nget(b, "seed"), 7);
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    /* anthropic: top-level system */
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_ANTHROPIC, &rq), 0);
    b = cJSON_Parse(rq.body);
    char *sys = cJSON_PrintUnformatted(obj(b, "system"));
    cr_assert(sys && strstr(sys, "You are terse."));
    free(sys);
    cr_assert_eq(nget(b, "max_tokens"), 64);
    cr_assert(strstr(rq.body, "Name three colours."));
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    /* gemini: systemInstruction + generationConfig */
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_GEMINI, &rq), 0);
    b = cJSON_Parse(rq.body);
    cr_assert(strstr(rq.body, "You are terse.") && strstr(rq.body, "Name three colours."));
    const cJSON *gc = obj(b, "generationConfig");
    cr_assert_eq(nget(gc, "maxOutputTokens"), 64);
    cr_assert_float_eq(nget(gc, "temperature"), 0.5, 1e-9);
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    /* ollama: options */
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_OLLAMA, &rq), 0);
    b = cJSON_Parse(rq.body);
    cr_assert(strstr(rq.body, "You are terse.") && strstr(rq.body, "Name three colours."));
    const cJSON *op = obj(b, "options");
    cr_assert_eq(nget(op, "num_predict"), 64);
    cr_assert_eq(nget(op, "seed"), 7);
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    vchild_result_free(&r);
}

Test(run, arbitrary_chunk_boundaries_comments_and_crlf_give_the_same_text)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:happy.odd", "-m", "anthropic:slow-drip",
                           "-m", "gemini:happy.chunk1.gap50", "-m", "ollama:happy.chunk3",
                           "-m", "openai:comments.crlf", "-m", "anthropic:comments.cr", "-m", "gemini:comments.lf",
                           "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr %s", buf_str(&r.err));
    for (int i = 0; i < 7; i++)
        assert_ok(result_at(&r, i), FAKEPROV_HAPPY_TEXT);
    vchild_result_free(&r);
}

Test(run, a_ten_mib_single_event_arrives_whole)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:big-event", "-m", "ollama:big-event", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr %s", buf_str(&r.err));
    for (int i = 0; i < 2; i++) {
        const cJSON *res = result_at(&r, i);
        assert_ok(res, NULL);
        const char *t = sget(res, "text");
        cr_assert_eq(strlen(t), 4 + 10u * 1024 * 1024 + 1);
        cr_assert(strncmp(t, "Big:0123456789abcdef", 20) == 0);
    }
    vchild_result_free(&r);
}

/* ---- HTTP errors --------------------------------------------------------------------- */

Test(run, status_401_is_an_error_with_the_providers_message)
{
    VResult r;
    fault_pair("openai:status-401", &r, NULL);
    assert_failed(result_at(&r, 0), 401, "Incorrect API key provided", NULL);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "status-401"), 1, "401 is never retried");
    vchild_result_free(&r);
}

Test(run, gemini_bad_key_400_is_an_error_with_the_providers_message)
{
    VResult r;
    fault_pair("gemini:bad-key", &r, NULL);
    assert_failed(result_at(&r, 0), 400, "API key not valid", NULL);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_GEMINI, "bad-key"), 1, "a bad key is never retried");
    vchild_result_free(&r);
}

Test(run, status_404_is_an_error_with_the_providers_message)
{
    VResult r;
    fault_pair("anthropic:status-404", &r, NULL);
    assert_failed(result_at(&r, 0), 404, "model: status-404", NULL);
    vchild_result_free(&r);
}

Test(run, status_429_with_retry_after_is_retried_then_succeeds)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:fail-1-status-429-retry-after-1",
                           "-m", "anthropic:fail-2-status-429-retry-after-ms-100", "-m", "ollama:happy", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr %s", buf_str(&r.err));
    for (int i = 0; i < 3; i++)
        assert_ok(result_at(&r, i), FAKEPROV_HAPPY_TEXT);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "fail-1-status-429-retry-after-1"), 2);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_ANTHROPIC, "fail-2-status-429-retry-after-ms-100"), 3);
    cr_assert_eq(nget(obj(result_at(&r, 0), "metrics"), "attempts"), 2);
    cr_assert_eq(nget(obj(result_at(&r, 1), "metrics"), "attempts"), 3);
    /* retry-after: 1 was honoured (not retried at once) */
    cr_assert_geq(r.elapsed_ms, 900, "elapsed %.0f ms", r.elapsed_ms);
    vchild_result_free(&r);
}

Test(run, status_429_that_persists_ends_as_429_after_retries)
{
    VResult r;
    fault_pair("openai:status-429-retry-after-ms-50", &r, NULL);
    assert_failed(result_at(&r, 0), 429, "Rate limit reached", NULL);
    long n = fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "status-429-retry-after-ms-50");
    cr_assert_gt(n, 1, "429 must be retried");
    cr_assert_leq(n, 10, "retries must be bounded (%ld)", n);
    vchild_result_free(&r);
}

Test(run, anthropic_529_overloaded_is_retried_then_reported)
{
    VResult r;
    fault_pair("anthropic:status-529", &r, NULL);
    assert_failed(result_at(&r, 0), 529, "Overloaded", NULL);
    cr_assert_gt(fakeprov_count_model(fp, FAKE_ROUTE_ANTHROPIC, "status-529"), 1, "529 must be retried");
    vchild_result_free(&r);
}

Test(run, status_500_is_retried_then_reported)
{
    VResult r;
    fault_pair("gemini:status-500", &r, NULL);
    assert_failed(result_at(&r, 0), 500, "An internal error has occurred", NULL);
    cr_assert_gt(fakeprov_count_model(fp, FAKE_ROUTE_GEMINI, "status-500"), 1, "500 must be retried");
    vchild_result_free(&r);
}

Test(run, cloudflare_502_html_body_becomes_a_readable_error)
{
    VResult r;
    fault_pair("openai:status-502", &r, NULL);
    assert_failed(result_at(&r, 0), 502, NULL, NULL);
    vchild_result_free(&r);
}

Test(run, status_500_then_success_is_retried)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "ollama:fail-1-status-500", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr %s", buf_str(&r.err));
    assert_ok(result_at(&r, 0), FAKEPROV_HAPPY_TEXT);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_OLLAMA, "fail-1-status-500"), 2);
    vchild_result_free(&r);
}

/* ---- broken streams ------------------------------------------------------------------- */

Test(run, reset_mid_stream_keeps_partial_text_as_incomplete)
{
    VResult r;
    fault_pair("openai:reset-mid-stream", &r, NULL);
    assert_failed(result_at(&r, 0), 0, NULL, PARTIAL);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "reset-mid-stream"), 1,
                 "text already shown: never retried");
    vchild_result_free(&r);
}

Test(run, reset_before_and_after_headers_are_errors)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "anthropic:reset-before-headers",
                           "-m", "gemini:reset-after-headers", "-m", "ollama:happy", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 1);
    assert_failed(result_at(&r, 0), 0, NULL, NULL);
    assert_failed(result_at(&r, 1), 0, NULL, NULL);
    assert_ok(result_at(&r, 2), FAKEPROV_HAPPY_TEXT);
    vchild_result_free(&r);
}

Test(run, error_event_mid_stream_keeps_partial_text_and_message)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "anthropic:error-event", "-m", "openai:error-event",
                           "-m", "gemini:error-event", "-m", "ollama:error-event", "-m", "ollama:happy", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 1);
    assert_failed(result_at(&r, 0), 0, "Overloaded", PARTIAL);
    assert_failed(result_at(&r, 1), 0, "The server had an error", PARTIAL);
    assert_failed(result_at(&r, 2), 0, "The model is overloaded", PARTIAL);
    assert_failed(result_at(&r, 3), 0, "an error was encountered while running the model", PARTIAL);
    assert_ok(result_at(&r, 4), FAKEPROV_HAPPY_TEXT);
    vchild_result_free(&r);
}

Test(run, error_as_the_only_event_of_a_200_is_a_failure)
{
    VResult r;
    fault_pair("openai:error-only", &r, NULL);
    assert_failed(result_at(&r, 0), 0, "The server had an error", NULL);
    vchild_result_free(&r);
}

Test(run, malformed_json_event_is_an_error_with_partial_text)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "gemini:bad-json", "-m", "anthropic:bad-json",
                           "-m", "ollama:happy", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 1);
    assert_failed(result_at(&r, 0), 0, NULL, PARTIAL);
    assert_failed(result_at(&r, 1), 0, NULL, PARTIAL);
    assert_ok(result_at(&r, 2), FAKEPROV_HAPPY_TEXT);
    vchild_result_free(&r);
}

Test(run, truncated_stream_is_an_error_with_partial_text)
{
    /* chunked (openai, anthropic, ollama) and close-delimited (gemini) bodies */
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:truncated", "-m", "anthropic:truncated",
                           "-m", "gemini:truncated", "-m", "ollama:truncated", "-m", "ollama:happy", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 1);
    for (int i = 0; i < 4; i++)
        assert_failed(result_at(&r, i), 0, NULL, PARTIAL);
    assert_ok(result_at(&r, 4), FAKEPROV_HAPPY_TEXT);
    vchild_result_free(&r);
}

Test(run, openai_stream_without_done_marker_but_clean_close_is_incomplete)
{
    VResult r;
    fault_pair("openai:truncated.eof", &r, NULL);
    assert_failed(result_at(&r, 0), 0, NULL, PARTIAL);
    vchild_result_free(&r);
}

Test(run, connection_refused_is_an_error_and_others_still_succeed)
{
    /* a port that was free a moment ago and has no listener now */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    cr_assert(bind(s, (struct sockaddr *)&sa, sizeof sa) == 0 && getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
    close(s);
    char spec[128];
    snprintf(spec, sizeof spec, "openai-compat:happy@http://127.0.0.1:%d/v1", ntohs(sa.sin_port));
    VResult r;
    fault_pair(spec, &r, NULL);
    assert_failed(result_at(&r, 0), 0, NULL, NULL);
    cr_assert(isnan(nget(obj(result_at(&r, 0), "error"), "http_status")), "no HTTP status on a refused connection");
    /* tryout2 #26: nothing reached the provider, so nothing was spent: $0, not
     * an unknown cost that makes every total "+ unknown" */
    const cJSON *m = obj(result_at(&r, 0), "metrics");
    cr_assert_float_eq(nget(m, "cost_usd"), 0.0, 1e-12, "cost %f", nget(m, "cost_usd"));
    const cJSON *basis = cJSON_GetObjectItem(m, "cost_basis");
    cr_assert(cJSON_IsString(basis) && strstr(basis->valuestring, "never reached"), "basis %s",
              cJSON_IsString(basis) ? basis->valuestring : "(none)");
    vchild_result_free(&r);
}

Test(run, invalid_utf8_in_deltas_never_reaches_the_output)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "ollama:bad-utf8", "-m", "openai:bad-utf8", "hi", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    /* Whatever the status, stdout must be valid UTF-8 (invalid bytes become U+FFFD). */
    const unsigned char *p = (const unsigned char *)buf_str(&r.out);
    size_t n = r.out.len, i = 0;
    while (i < n) {
        unsigned char c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        cr_assert(len && i + len <= n, "invalid UTF-8 at byte %zu of stdout (0x%02x)", i, c);
        for (size_t k = 1; k < len; k++)
            cr_assert_eq(p[i + k] >> 6, 2, "invalid UTF-8 continuation at byte %zu of stdout", i + k);
        i += len;
    }
    for (int k = 0; k < 2; k++) {
        const char *t = sget(result_at(&r, k), "text");
        if (strcmp(sget(result_at(&r, k), "status"), "ok") == 0)
            cr_assert(strstr(t, "Hello") && strstr(t, "broken") && strstr(t, "\xEF\xBF\xBD"),
                      "valid parts kept, invalid bytes replaced: %s", t);
    }
    vchild_result_free(&r);
}

/* ---- time limits and cancellation --------------------------------------------------------- */

Test(run, timeout_ends_a_never_ending_stream_and_keeps_its_text)
{
    VResult r;
    const char *extra[] = { "--timeout", "1", NULL };
    fault_pair("openai:never-ends.ms50", &r, extra);
    const cJSON *res = result_at(&r, 0);
    assert_failed(res, 0, NULL, sget(res, "text"));
    cr_assert(strncmp(sget(res, "text"), "Hello from...", 13) == 0, "text so far kept: %s", sget(res, "text"));
    cr_assert(bget(res, "incomplete"));
    /* the stream never ends by itself: the run ending (collect's hang guard
     * did not fire) with a timeout error, no sooner than asked, is the proof */
    assert_timed_out(res);
    cr_assert_geq(r.elapsed_ms, 900);
    vchild_result_free(&r);
}

Test(run, timeout_ends_a_request_that_is_never_answered)
{
    VResult r;
    const char *extra[] = { "--timeout", "1", NULL };
    fault_pair("anthropic:accept-no-answer", &r, extra);
    assert_failed(result_at(&r, 0), 0, NULL, NULL);
    assert_timed_out(result_at(&r, 0)); /* never answered: only --timeout ends it */
    cr_assert_geq(r.elapsed_ms, 900);
    vchild_result_free(&r);
}

/* Reads jsonl lines from the child's stdout into head until every one of
 * the first n models has streamed a delta whose text is want (or the child
 * closes stdout, or HANG_MS passes: then the test fails). */
static void wait_for_deltas(VChild *c, int n, const char *want, Buf *head)
{
    bool seen[8] = { false };
    int have = 0;
    size_t parsed = 0;
    double t0 = clock_now_ms();
    while (have < n) {
        cr_assert_lt(clock_now_ms() - t0, HANG_MS, "only %d of %d streams sent \"%s\": %s", have, n, want,
                     buf_str(head));
        struct pollfd pf = { .fd = c->out, .events = POLLIN };
        if (poll(&pf, 1, 1000) <= 0)
            continue;
        char tmp[4096];
        ssize_t got = read(c->out, tmp, sizeof tmp);
        cr_assert_gt(got, 0, "versus closed stdout before streaming: %s", buf_str(head));
        buf_append(head, tmp, (size_t)got);
        const char *nl;
        while ((nl = memchr(buf_str(head) + parsed, '\n', head->len - parsed))) {
            cJSON *o = cJSON_ParseWithLength(buf_str(head) + parsed, (size_t)(nl - buf_str(head) - parsed));
            parsed = (size_t)(nl - buf_str(head)) + 1;
            const char *type = sget(o, "type"), *text = sget(o, "text");
            int i = (int)nget(o, "index");
            if (type && strcmp(type, "delta") == 0 && text && strcmp(text, want) == 0 && i >= 0 && i < n &&
                i < 8 && !seen[i]) {
                seen[i] = true;
                have++;
            }
            cJSON_Delete(o);
        }
    }
}

/* The "result" line of model i in jsonl output, parsed (caller frees). */
static cJSON *jsonl_result(const char *out, int i)
{
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *o = cJSON_ParseWithLength(p, len);
        const char *type = sget(o, "type");
        if (type && strcmp(type, "result") == 0 && (int)nget(o, "index") == i)
            return o;
        cJSON_Delete(o);
        p += len + (nl ? 1 : 0);
    }
    return NULL;
}

/* Two endless streams; SIGINT once both have streamed past their first
 * deltas. Nothing else could end them, so the run ending (collect's hang
 * guard did not fire) with exit 130 and both streams "cancelled", text so far
 * kept, is the proof that the cancel works; no wall-clock budget. */
Test(run, sigint_cancels_running_streams_and_exits_130)
{
    const char *args[] = { "--no-progress", "-f", "jsonl", "-m", "openai:never-ends.ms50", "-m",
                           "ollama:never-ends.ms50", "hi", NULL };
    VChild c = spawn_versus(args, NULL);
    Buf all = { 0 };
    wait_for_deltas(&c, 2, ".", &all); /* "Hello from" then the first "." of each */
    kill(c.pid, SIGINT);
    VResult r;
    collect(&c, false, &r);
    cr_assert_eq(r.exit_code, 130, "exit %d", r.exit_code);
    buf_append(&all, r.out.data ? r.out.data : "", r.out.len);
    for (int i = 0; i < 2; i++) {
        cJSON *res = jsonl_result(buf_str(&all), i);
        cr_assert(res, "no result line for model %d: %s", i, buf_str(&all));
        cr_assert_str_eq(sget(res, "status"), "cancelled");
        cr_assert(strncmp(sget(res, "text"), "Hello from.", 11) == 0, "text so far kept: %s", sget(res, "text"));
        cJSON_Delete(res);
    }
    buf_free(&all);
    vchild_result_free(&r);
}

Test(run, restricted_data_never_reaches_a_closed_provider)
{
    const char *args[] = { "--no-progress", "-f", "json", "--sensitivity", "restricted", "-m", "anthropic:happy",
                           "-m", "openai:happy", "-m", "gemini:happy", "secret plans", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 1);
    for (int i = 0; i < 3; i++) {
        /* refused before sending: its own state, no times (not the time
         * since boot) and no cost */
        const cJSON *res = result_at(&r, i);
        cr_assert_str_eq(sget(res, "status"), "not_sent", "status %s", sget(res, "status"));
        const cJSON *e = obj(res, "error");
        cr_assert(cJSON_IsObject(e));
        cr_assert(strstr(sget(e, "message"), "restricted"), "%s", sget(e, "message"));
        const cJSON *m = obj(res, "metrics");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "ttft_ms")));
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "total_ms")), "total_ms must be null");
        cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "cost_usd")), "no cost");
        cr_assert_eq((int)nget(m, "attempts"), 0);
    }
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_COUNT), 0, "zero requests reached the closed providers");
    cr_assert_eq(fakeprov_connections(fp), 0, "not even a connection");
    vchild_result_free(&r);
}

Test(run, text_format_prints_each_reply_and_jsonl_is_one_object_per_line)
{
    const char *args[] = { "--no-progress", "-m", "openai:happy", "-m", "gemini:status-401", "hi", NULL };
    VResult r;
    run_versus(args, NULL, false, &r);
    cr_assert_eq(r.exit_code, 1);
    const char *o = buf_str(&r.out);
    cr_assert(strstr(o, "openai:happy") && strstr(o, FAKEPROV_HAPPY_TEXT), "stdout: %s", o);
    cr_assert(strstr(o, "gemini:status-401") || strstr(buf_str(&r.err), "gemini:status-401"));
    vchild_result_free(&r);

    const char *args2[] = { "-f", "jsonl", "-m", "openai:happy", "-m", "ollama:happy", "hi", NULL };
    run_versus(args2, NULL, false, &r);
    cr_assert_eq(r.exit_code, 0);
    int lines = 0, results = 0;
    Buf text = { 0 };
    for (const char *line = buf_str(&r.out), *e; *line; line = e + 1) {
        e = strchr(line, '\n');
        cr_assert(e, "every JSON line ends with a newline");
        cJSON *j = cJSON_ParseWithLength(line, (size_t)(e - line));
        cr_assert(j, "line %d is not JSON: %.*s", lines, (int)(e - line), line);
        if (strcmp(sget(j, "type"), "result") == 0) {
            results++;
            cr_assert_str_eq(sget(j, "status"), "ok");
        } else if (strcmp(sget(j, "type"), "delta") == 0 && nget(j, "index") == 0) {
            buf_puts(&text, sget(j, "text"));
        }
        cJSON_Delete(j);
        lines++;
    }
    cr_assert_eq(results, 2);
    cr_assert_str_eq(buf_str(&text), FAKEPROV_HAPPY_TEXT);
    cr_assert_geq(lines, 2 * FAKEPROV_HAPPY_DELTAS + 2);
    buf_free(&text);
    vchild_result_free(&r);
}

Test(run, usage_errors_exit_2_without_any_request)
{
    const char *a1[] = { "-f", "xml", "-m", "openai:happy", "hi", NULL };
    VResult r;
    run_versus(a1, NULL, false, &r);
    cr_assert_eq(r.exit_code, 2);
    cr_assert(r.err.len > 0);
    vchild_result_free(&r);
    const char *a2[] = { "-m", "openai:happy", NULL };
    run_versus(a2, NULL, false, &r);
    cr_assert_eq(r.exit_code, 2, "no prompt is a usage error");
    vchild_result_free(&r);
    cr_assert_eq(fakeprov_connections(fp), 0);
}

/* ---- reasoning on request ---------------------------------------------------------- */

/* USD for these counts at the shipped table's row for model (input and
 * output only: the fake reports no cache). */
static double table_cost(const char *kind, const char *model, long in, long out)
{
    char err[256], path[1200];
    const char *src = getenv("VERSUS_SRCDIR");
    snprintf(path, sizeof path, "%s/data/prices.json", src && *src ? src : VERSUS_SRCDIR);
    PriceTable *t = prices_load_file(path, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    Price p;
    cr_assert(prices_lookup(t, NULL, kind, kind, model, false, &p), "%s has a price", model);
    prices_free(t);
    return ((double)in * p.input + (double)out * p.output) / 1e6;
}

Test(run, reasoning_high_shows_each_replys_reasoning_and_answer_apart_with_tokens_and_cost)
{
    static const char *const specs[] = { "openai:o4-mini", "anthropic:claude-sonnet-4-5", "gemini:gemini-2.5-flash" };
    static const char *const kinds[] = { "openai", "anthropic", "gemini" };
    static const char *const models[] = { "o4-mini", "claude-sonnet-4-5", "gemini-2.5-flash" };
    const long in[] = { 16, 12, 13 }; /* what the fake reports per API */
    const long out = FAKEPROV_HAPPY_DELTAS + FAKEPROV_REASONING_TOKENS;
    const char *args[] = { "--no-progress", "--reasoning", "high", "-m", specs[0], "-m", specs[1], "-m", specs[2],
                           "Say hello.", NULL };
    VResult r;
    run_versus(args, NULL, false, &r);
    cr_assert_eq(r.exit_code, 0, "exit %d; stderr: %s", r.exit_code, buf_str(&r.err));
    const char *text = buf_str(&r.out);
    for (int i = 0; i < 3; i++) {
        /* the reasoning, with its token count, then the answer: apart, never mixed */
        char want[512];
        snprintf(want, sizeof want, "=== %s ===\n--- reasoning (%d tokens) ---\n%s\n--- answer ---\n%s\n", specs[i],
                 FAKEPROV_REASONING_TOKENS, FAKEPROV_REASONING_TEXT, FAKEPROV_HAPPY_TEXT);
        cr_assert(strstr(text, want), "%s: reasoning and answer apart:\n%s", specs[i], text);
        /* the table row: reasoning tokens and the cost */
        const char *row = text;
        while ((row = strstr(row, "\n")) && strncmp(row + 1, specs[i], strlen(specs[i])) != 0)
            row++;
        cr_assert_not_null(row, "%s: no table row:\n%s", specs[i], text);
        char line[256], cost[32], reason[32];
        snprintf(line, sizeof line, "%.*s", (int)strcspn(row + 1, "\n"), row + 1);
        snprintf(cost, sizeof cost, "$%.6f", table_cost(kinds[i], models[i], in[i], out));
        snprintf(reason, sizeof reason, " %d ", FAKEPROV_REASONING_TOKENS);
        cr_assert(strstr(line, cost), "%s: cost %s in '%s'", specs[i], cost, line);
        cr_assert(strstr(line, reason), "%s: reasoning tokens in '%s'", specs[i], line);
    }
    cr_assert(strstr(text, "[1 reasoning block encrypted by the provider: counted, not shown]"),
              "Anthropic's redacted thinking is counted, not shown:\n%s", text);
    vchild_result_free(&r);

    /* what went on the wire: each API's own reasoning parameter */
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_RESPONSES, &rq), 0, "o4-mini goes to the Responses API");
    cJSON *b = cJSON_Parse(rq.body);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "reasoning"), "effort")->valuestring, "high");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "reasoning"), "summary")->valuestring, "auto");
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_ANTHROPIC, &rq), 0);
    b = cJSON_Parse(rq.body);
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "thinking"), "budget_tokens")->valuedouble, 16384);
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_GEMINI, &rq), 0);
    b = cJSON_Parse(rq.body);
    const cJSON *tc = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "generationConfig"), "thinkingConfig");
    cr_assert_eq(cJSON_GetObjectItem(tc, "thinkingBudget")->valuedouble, 16384);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(tc, "includeThoughts")));
    cJSON_Delete(b);
    fakeprov_request_free(&rq);

    /* the same in JSON */
    const char *jargs[] = { "--no-progress", "-f", "json", "--reasoning", "high", "-m", specs[0], "-m", specs[1],
                            "-m", specs[2], "Say hello.", NULL };
    run_versus(jargs, NULL, true, &r);
    for (int i = 0; i < 3; i++) {
        const cJSON *res = result_at(&r, i);
        assert_ok(res, FAKEPROV_HAPPY_TEXT);
        cr_assert_str_eq(sget(res, "reasoning"), FAKEPROV_REASONING_TEXT, "%s reasoning", specs[i]);
        cr_assert_str_eq(sget(res, "reasoning_request"), "high");
        cr_assert_eq(nget(obj(res, "usage"), "reasoning_tokens"), FAKEPROV_REASONING_TOKENS, "%s", specs[i]);
        cr_assert_eq(nget(obj(res, "usage"), "output_tokens"), out, "%s", specs[i]);
        cr_assert_float_eq(nget(obj(res, "metrics"), "cost_usd"), table_cost(kinds[i], models[i], in[i], out), 1e-12,
                           "%s cost", specs[i]);
        cr_assert_geq(nget(obj(res, "metrics"), "ttfa_ms"), nget(obj(res, "metrics"), "ttft_ms"),
                      "%s: the first answer token comes after the first token", specs[i]);
    }
    cr_assert_eq(nget(result_at(&r, 1), "redacted_reasoning_blocks"), 1);
    vchild_result_free(&r);
}

Test(run, the_same_model_at_two_efforts_is_two_candidates)
{
    const char *args[] = { "--no-progress", "-f", "json", "-m", "openai:o4-mini#high", "-m", "openai:o4-mini#low",
                           "-m", "anthropic:claude-sonnet-4-5#2048", "Say hello.", NULL };
    VResult r;
    run_versus(args, NULL, true, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    const cJSON *hi = result_at(&r, 0), *lo = result_at(&r, 1), *an = result_at(&r, 2);
    cr_assert_str_eq(sget(hi, "spec"), "openai:o4-mini#high", "the spec is the candidate's identity");
    cr_assert_str_eq(sget(lo, "spec"), "openai:o4-mini#low");
    cr_assert_str_eq(sget(hi, "model"), "o4-mini", "the model on the wire has no suffix");
    cr_assert_str_eq(sget(hi, "reasoning_request"), "high");
    cr_assert_str_eq(sget(lo, "reasoning_request"), "low");
    cr_assert_str_eq(sget(an, "reasoning_request"), "2048");
    assert_ok(hi, FAKEPROV_HAPPY_TEXT);
    assert_ok(lo, FAKEPROV_HAPPY_TEXT);
    assert_ok(an, FAKEPROV_HAPPY_TEXT);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_RESPONSES, "o4-mini"), 2, "two requests, one per effort");
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_ANTHROPIC, &rq), 0);
    cJSON *b = cJSON_Parse(rq.body);
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "thinking"), "budget_tokens")->valuedouble, 2048);
    cJSON_Delete(b);
    fakeprov_request_free(&rq);
    vchild_result_free(&r);
    /* an effort that is not one is a usage error: exit 2, nothing sent */
    long before = fakeprov_count(fp, FAKE_ROUTE_COUNT);
    const char *bad[] = { "--no-progress", "-f", "json", "-m", "openai:o4-mini#high", "-m", "openai:o4-mini#extreme",
                          "Say hello.", NULL };
    run_versus(bad, NULL, false, &r);
    cr_assert_eq(r.exit_code, 2, "one spec is bad");
    cr_assert(strstr(buf_str(&r.err), "reasoning must be off, low, medium, high"), "%s", buf_str(&r.err));
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_COUNT), before, "nothing was sent");
    vchild_result_free(&r);
}

/* ---- transcripts replayed over HTTP ----------------------------------------------------------- */

/* What the real binary must print for a transcript, derived from the
 * expectation beside it (tests/transcripts/NAME.expect.json): the decoder's
 * result as a Reply holds it. */
static void check_replayed(const cJSON *res, const cJSON *exp, const char *name)
{
    const char *spec = sget(res, "spec") ? sget(res, "spec") : name;
    const cJSON *err = obj(exp, "error");
    bool done = bget(exp, "done");
    bool failed = cJSON_IsObject(err) || !done;
    const char *blocked = sget(exp, "blocked");
    const cJSON *refused = obj(exp, "refused");
    const char *status = failed ? "error" : blocked ? "blocked" : refused ? "refused" : "ok";
    cr_assert_str_eq(sget(res, "status"), status, "%s: status (error %s)", spec,
                     cJSON_PrintUnformatted(obj(res, "error")));
    if (!failed && (blocked || refused))
        cr_assert_str_eq(sget(res, "status_reason"), blocked ? blocked : sget(refused, "reason"),
                         "%s: status_reason", spec);
    const cJSON *want_calls = obj(exp, "tool_calls"), *got_calls = obj(res, "tool_calls");
    cr_assert_eq(cJSON_GetArraySize(got_calls), cJSON_GetArraySize(want_calls), "%s: tool calls", spec);
    for (int i = 0; i < cJSON_GetArraySize(want_calls); i++)
        cr_assert_str_eq(sget(cJSON_GetArrayItem(got_calls, i), "name"),
                         sget(cJSON_GetArrayItem(want_calls, i), "name"), "%s: tool call %d", spec, i);
    cr_assert_str_eq(sget(res, "text"), sget(exp, "text"), "%s: text", spec);
    const char *reasoning = sget(exp, "reasoning");
    if (reasoning && *reasoning)
        cr_assert_str_eq(sget(res, "reasoning"), reasoning, "%s: reasoning", spec);
    else
        cr_assert_null(sget(res, "reasoning"), "%s: no reasoning", spec);
    const char *finish = failed ? "error" : sget(exp, "finish");
    if (finish)
        cr_assert_str_eq(sget(res, "finish_reason"), finish, "%s: finish_reason", spec);
    if (cJSON_IsObject(err)) {
        const char *type = sget(err, "type");
        cr_assert_str_eq(sget(obj(res, "error"), "type"), type && *type ? type : "stream_error", "%s: error type",
                         spec);
        cr_assert(strstr(sget(obj(res, "error"), "message"), sget(err, "message_contains")),
                  "%s: error message", spec);
    } else if (!done) {
        cr_assert_str_eq(sget(obj(res, "error"), "type"), "truncated", "%s: error type", spec);
    }
    /* token counts: the usage reported, else what the server's timings say */
    static const char *const keys[][2] = { { "input_tokens", "prompt_tokens" },
                                           { "output_tokens", "output_tokens" },
                                           { "reasoning_tokens", NULL },
                                           { "cached_input_tokens", NULL } };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        double want = nget(obj(exp, "usage"), keys[i][0]);
        if (!(want >= 0) && keys[i][1])
            want = nget(obj(exp, "timings"), keys[i][1]);
        double got = nget(obj(res, "usage"), keys[i][0]);
        if (want >= 0)
            cr_assert_eq(got, want, "%s: usage.%s %g, want %g", spec, keys[i][0], got, want);
        else
            cr_assert(isnan(got), "%s: usage.%s must be null, got %g", spec, keys[i][0], got);
    }
}

/* The names (without extension) of every transcript that has an expectation. */
static size_t list_transcripts(char names[][96], size_t max)
{
    char dir[1024];
    const char *src = getenv("VERSUS_SRCDIR");
    snprintf(dir, sizeof dir, "%s/tests/transcripts", src && *src ? src : VERSUS_SRCDIR);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len > 12 && len - 12 < 96 && strcmp(e->d_name + len - 12, ".expect.json") == 0)
            snprintf(names[n++], 96, "%.*s", (int)(len - 12), e->d_name);
    }
    closedir(d);
    return n;
}

static cJSON *read_expectation(const char *name)
{
    char path[1200];
    const char *src = getenv("VERSUS_SRCDIR");
    snprintf(path, sizeof path, "%s/tests/transcripts/%s.expect.json", src && *src ? src : VERSUS_SRCDIR, name);
    Buf b = { 0 };
    char err[1300];
    cr_assert_eq(util_read_file(path, 1 << 20, &b, err, sizeof err), UTIL_FILE_OK, "%s", err);
    cJSON *e = cJSON_Parse(buf_str(&b));
    buf_free(&b);
    cr_assert(cJSON_IsObject(e), "%s is not a JSON object", path);
    return e;
}

Test(run, every_transcript_replayed_through_the_binary_matches_its_expectation)
{
    /* Each transcript twice, in runs of a few at a time: whole, and either
     * one byte per write or in odd pieces, over real HTTP. */
    enum { PER_RUN = 12 };
    static char names[128][96];
    size_t n = list_transcripts(names, 128);
    cr_assert_gt(n, 20);
    for (size_t first = 0; first < n; first += PER_RUN) {
        size_t count = n - first < PER_RUN ? n - first : PER_RUN;
        const char *args[64] = { "--no-progress", "-f", "json" };
        size_t na = 3;
        static char specs[2 * PER_RUN][256];
        cJSON *exps[PER_RUN];
        for (size_t k = 0; k < count; k++) {
            const char *name = names[first + k];
            exps[k] = read_expectation(name);
            const char *provider = sget(exps[k], "provider");
            cr_assert_not_null(provider, "%s: no provider", name);
            for (int v = 0; v < 2; v++) {
                const char *mod = v == 0 ? "" : k % 2 ? ".chunk1.gap20" : ".odd";
                char *spec = specs[2 * k + (size_t)v];
                if (strcmp(provider, "openai-compat") == 0)
                    snprintf(spec, 256, "openai-compat:replay-%s%s@%s/v1", name, mod, fakeprov_url(fp));
                else
                    snprintf(spec, 256, "%s:replay-%s%s", provider, name, mod);
                args[na++] = "-m";
                args[na++] = spec;
            }
        }
        args[na++] = "hi";
        args[na] = NULL;
        VResult r;
        run_versus(args, NULL, true, &r);
        bool any_failed = false;
        for (size_t k = 0; k < count; k++) {
            for (int v = 0; v < 2; v++)
                check_replayed(result_at(&r, (int)(2 * k + (size_t)v)), exps[k], names[first + k]);
            any_failed |= cJSON_IsObject(obj(exps[k], "error")) || !bget(exps[k], "done") ||
                          obj(exps[k], "blocked") || obj(exps[k], "refused");
            cJSON_Delete(exps[k]);
        }
        cr_assert_eq(r.exit_code, any_failed ? 1 : 0, "exit code; stderr: %s", buf_str(&r.err));
        vchild_result_free(&r);
    }
}

/* ---- a local model fetched while the others stream ------------------------------------------- */

#define STORIES_REF "hf://owner/repo/stories260K.gguf"

/* Serves the shared stories260K.gguf on loopback (skips without it); the
 * endpoint URL goes to ep. */
static DlServer *serve_model(DlServerMode mode, char *ep, size_t eplen)
{
    char path[1024], err[1300];
    if (!testenv_shared("models/stories260K.gguf", path, sizeof path))
        cr_skip_test("VERSUS_SHARED not set");
    Buf model = { 0 };
    cr_assert_eq(util_read_file(path, 8u << 20, &model, err, sizeof err), UTIL_FILE_OK, "%s", err);
    DlServer *dl = dlserver_start(model.data, model.len, mode);
    buf_free(&model);
    cr_assert_not_null(dl);
    snprintf(ep, eplen, "http://127.0.0.1:%d", dlserver_port(dl));
    return dl;
}

typedef struct Release {
    DlServer *dl;
    bool released;
    bool held_at_api_result; /* the download was still stalled when the API reply had ended */
} Release;

/* Lets the stalled download go on once the API model's result line is out. */
static void release_after_api_result(void *user, pid_t pid, const VResult *sofar, double now_ms)
{
    (void)pid;
    (void)now_ms;
    Release *rl = user;
    if (rl->released || !strstr(buf_str(&sofar->out), "\"type\":\"result\",\"index\":1}"))
        return;
    rl->held_at_api_result = dlserver_holding(rl->dl);
    dlserver_release(rl->dl);
    rl->released = true;
}

/* The JSON lines of out, parsed (NULL-terminated array; free with free_lines). */
static cJSON **parse_lines(const Buf *out, size_t *n)
{
    cJSON **lines = calloc(4096, sizeof *lines);
    cr_assert_not_null(lines);
    *n = 0;
    const char *p = buf_str(out);
    while (*p && *n < 4095) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        lines[*n] = cJSON_ParseWithLength(p, len);
        cr_assert_not_null(lines[*n], "not JSON: %.*s", (int)len, p);
        (*n)++;
        p += len + (e ? 1 : 0);
    }
    return lines;
}

static void free_lines(cJSON **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cJSON_Delete(lines[i]);
    free(lines);
}

Test(run, an_api_model_streams_to_its_end_while_a_local_model_is_still_downloading, .timeout = TESTENV_HANG_S)
{
    char ep[64];
    DlServer *dl = serve_model(DLSERVER_HOLD, ep, sizeof ep);
    const char *args[] = { "-f", "jsonl", "-n", "8", "--raw", "-m", "local:" STORIES_REF, "-m",
                           "openai:long.tps100.deltas50", "Once upon a time", NULL };
    VChild c = spawn_versus_env(args, NULL, "VERSUS_HF_ENDPOINT", ep);
    Release rl = { .dl = dl };
    VResult r;
    vchild_finish_watched(&c, DEADLINE_MS, false, 20, release_after_api_result, &rl, &r);
    dlserver_stop(dl);
    cr_assert(!r.timed_out, "stderr: %s", buf_str(&r.err));
    cr_assert_eq(r.exit_code, 0, "exit %d; stderr: %s", r.exit_code, buf_str(&r.err));
    cr_assert(rl.released, "the API model's result never came:\n%s", buf_str(&r.out));
    cr_assert(rl.held_at_api_result, "the API reply ended while the download was stalled half way");

    size_t n;
    cJSON **lines = parse_lines(&r.out, &n);
    long api_deltas = 0, api_result = -1, partial = -1, whole = -1, load = -1, local_delta = -1, local_result = -1;
    for (size_t i = 0; i < n; i++) {
        const char *type = sget(lines[i], "type");
        int index = (int)nget(lines[i], "index");
        cr_assert(type);
        if (index == 1 && strcmp(type, "delta") == 0)
            api_deltas++;
        if (index == 1 && strcmp(type, "result") == 0) {
            api_result = (long)i;
            cr_assert_str_eq(sget(lines[i], "status"), "ok");
        }
        if (index == 0 && strcmp(type, "progress") == 0) {
            const char *phase = sget(lines[i], "phase");
            double done = nget(lines[i], "done"), total = nget(lines[i], "total");
            cr_assert_str_eq(sget(lines[i], "file"), "stories260K.gguf");
            if (strcmp(phase, "download") == 0) {
                /* unknown (null) until the server has said it */
                cr_assert(isnan(total) || total == 1185376, "total %g", total);
                if (done > 0 && done < total && partial < 0)
                    partial = (long)i;
                if (done == total)
                    whole = (long)i;
            } else if (strcmp(phase, "load") == 0 && load < 0) {
                load = (long)i;
            }
        }
        if (index == 0 && strcmp(type, "delta") == 0 && local_delta < 0)
            local_delta = (long)i;
        if (index == 0 && strcmp(type, "result") == 0) {
            local_result = (long)i;
            cr_assert_str_eq(sget(lines[i], "status"), "ok", "%s", cJSON_PrintUnformatted(lines[i]));
        }
    }
    cr_assert_eq(api_deltas, 50, "every API delta arrived");
    cr_assert(partial >= 0 && partial < api_result, "progress with part of the file came before the API result");
    cr_assert(api_result < whole, "the download finished after the API reply");
    cr_assert(whole < load && load < local_delta && local_delta < local_result,
              "then the load, the local text and its result (%ld %ld %ld %ld)", whole, load, local_delta, local_result);
    /* the download is not counted as the local model's time to first token */
    const cJSON *m = obj(lines[local_result], "metrics");
    cr_assert(nget(m, "ttft_ms") >= 0);
    /* read from the file once it was in place */
    cr_assert(sget(lines[local_result], "quant") && *sget(lines[local_result], "quant"), "the weight type is known");
    free_lines(lines, n);
    vchild_result_free(&r);
}

Test(run, a_download_on_a_pipe_is_reported_as_plain_lines_on_stderr, .timeout = TESTENV_HANG_S)
{
    char ep[64];
    DlServer *dl = serve_model(DLSERVER_NORMAL, ep, sizeof ep);
    const char *args[] = { "-f", "json", "-n", "4", "--raw", "-m", "local:" STORIES_REF, "Once", NULL };
    VChild c = spawn_versus_env(args, NULL, "VERSUS_HF_ENDPOINT", ep);
    VResult r;
    collect(&c, true, &r);
    dlserver_stop(dl);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    assert_ok(result_at(&r, 0), NULL);
    const char *err = buf_str(&r.err);
    cr_assert(strstr(err, "versus: local:" STORIES_REF ": downloading stories260K.gguf"), "%s", err);
    cr_assert(strstr(err, "versus: local:" STORIES_REF ": downloaded stories260K.gguf (1.2 MB)\n"), "%s", err);
    cr_assert_null(strchr(err, '\r'), "no carriage returns when standard error is not a terminal");
    cr_assert_null(strstr(err, "\033["), "no terminal escapes either");
    vchild_result_free(&r);

    /* cached now, and --no-progress: nothing on stderr */
    const char *quiet[] = { "--no-progress", "-f", "json", "-n", "4", "--raw", "-m", "local:" STORIES_REF, "Once",
                            NULL };
    c = spawn_versus_env(quiet, NULL, "VERSUS_HF_ENDPOINT", "http://127.0.0.1:9");
    collect(&c, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_str_eq(buf_str(&r.err), "");
    vchild_result_free(&r);
}

Test(run, a_download_on_a_terminal_is_one_line_kept_up_to_date_then_cleared, .timeout = TESTENV_HANG_S)
{
    char ep[64];
    DlServer *dl = serve_model(DLSERVER_NORMAL, ep, sizeof ep);
    const char *args[] = { "run", "-n", "4", "--raw", "-m", "local:" STORIES_REF, "Once", NULL };
    char **env = vchild_env_new(home, fakeprov_url(fp));
    vchild_env_set(&env, "VERSUS_HF_ENDPOINT", ep);
    VResult r;
    cr_assert_eq(vchild_run_tty(versus_bin, args, env, DEADLINE_MS, &r), 0, "openpty");
    vchild_env_free(env);
    dlserver_stop(dl);
    cr_assert(!r.timed_out);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.out));
    const char *out = buf_str(&r.out);
    const char *line = strstr(out, "\r\033[Kversus: downloading stories260K.gguf");
    cr_assert(line, "the download on one line rewritten in place:\n%s", out);
    cr_assert_null(strstr(out, "\nversus: local:"), "no plain lines on a terminal:\n%s", out);
    /* the line is cleared before the reply is printed */
    const char *header = strstr(out, "=== local:" STORIES_REF " ===");
    cr_assert(header && header > line, "%s", out);
    const char *clear = strstr(line + 1, "\r\033[K");
    cr_assert(clear && clear < header, "the progress line is cleared before the text:\n%s", out);
    vchild_result_free(&r);
}
