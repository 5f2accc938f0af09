/* test_faults.c — fault injection through the real `versus run --save`
 * against the loopback fake provider: HTTP 403, 408, 413 and 503 (with and
 * without retry-after), connections reset before and after the headers,
 * invalid UTF-8 and invalid JSON in a data line, a 10 MiB data line, and a
 * server that accepts and never answers, ended by --timeout.
 *
 * For every fault: the failing model's result is a clear error carrying the
 * HTTP status and the provider's own message, partial text is kept and
 * marked incomplete, a healthy model in the same run finishes normally, and
 * the session file --save writes exists (mode 0600), parses, and holds the
 * same status, text, error and incomplete flag as the printed result.
 * Also: terminal control sequences a provider sends never reach a terminal
 * (stdout on a pseudo-terminal).
 * (test_integration_run.c covers 401/404/429/500/502/529, mid-stream resets
 * and error events without --save; this file does not repeat those.) */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "core/reply.h"
#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "store/session.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */
#define PARTIAL "Hello from" /* what the faults send before failing */

static FakeProv *fp;
static char home[256];
static char bin[1024];
static char **env;

static void setup(void)
{
    vsuite_home("faults", bin, sizeof bin, home, sizeof home);
    fp = vsuite_fake(NULL);
    env = vchild_env_new(home, fakeprov_url(fp));
}

static void teardown(void)
{
    vsuite_end(&fp, &env, home);
}

TestSuite(faults, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* ---- running and reading ----------------------------------------------------------------- */

/* `versus run --no-progress -f json --save EXTRA... -m M... "Say hello."`;
 * asserts it finished in time, printed one JSON document and no key. */
static void run_save(const char *const *models, const char *const *extra, VResult *r)
{
    const char *args[64] = { "run", "--no-progress", "-f", "json", "--save" };
    size_t n = 5;
    for (size_t i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    for (size_t i = 0; models[i]; i++) {
        args[n++] = "-m";
        args[n++] = models[i];
    }
    args[n++] = "Say hello.";
    args[n] = NULL;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, true, r), 0, "spawn: %s", strerror(errno));
    cr_assert(!r->timed_out, "versus did not finish within %d ms; stderr: %s", DEADLINE_MS, buf_str(&r->err));
    cr_assert_eq(r->term_signal, 0, "versus died of signal %d; stderr: %s", r->term_signal, buf_str(&r->err));
    cr_assert(r->json, "stdout is not one JSON document (exit %d): %.1000s\nstderr: %.1000s", r->exit_code,
              buf_str(&r->out), buf_str(&r->err));
    cr_assert_null(strstr(buf_str(&r->out), VCHILD_KEY_MARK), "a key reached stdout");
    cr_assert_null(strstr(buf_str(&r->err), VCHILD_KEY_MARK), "a key reached stderr");
}

static const cJSON *obj(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *sget(const cJSON *o, const char *k)
{
    const cJSON *x = obj(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static const cJSON *result_at(const VResult *r, int i)
{
    const cJSON *x = cJSON_GetArrayItem(obj(r->json, "results"), i);
    cr_assert(x, "no result %d in %.500s", i, buf_str(&r->out));
    return x;
}

static int http_status_of(const cJSON *res)
{
    const cJSON *h = obj(obj(res, "error"), "http_status");
    return cJSON_IsNumber(h) ? h->valueint : 0;
}

static const char *message_of(const cJSON *res) { return sget(obj(res, "error"), "message"); }

static void assert_ok(const cJSON *res)
{
    cr_assert_str_eq(sget(res, "status"), "ok", "%s: status %s (%s)", sget(res, "spec"), sget(res, "status"),
                     message_of(res) ? message_of(res) : "");
    cr_assert_str_eq(sget(res, "text"), FAKEPROV_HAPPY_TEXT, "%s: text", sget(res, "spec"));
    cr_assert(!cJSON_IsTrue(obj(res, "incomplete")), "%s: incomplete", sget(res, "spec"));
}

/* An error with http_status (0: none, -1: don't check), a message containing
 * msg (NULL: any non-empty one) and partial text (NULL: none). */
static void assert_failed(const cJSON *res, int http_status, const char *msg, const char *partial)
{
    const char *spec = sget(res, "spec");
    cr_assert_str_eq(sget(res, "status"), "error", "%s: status %s", spec, sget(res, "status"));
    const char *m = message_of(res);
    cr_assert(m && *m, "%s: the error has no message", spec);
    if (msg)
        cr_assert(strstr(m, msg), "%s: message '%s' lacks the provider's '%s'", spec, m, msg);
    if (http_status >= 0)
        cr_assert_eq(http_status_of(res), http_status, "%s: http_status %d, want %d", spec, http_status_of(res),
                     http_status);
    if (partial) {
        cr_assert(strncmp(sget(res, "text"), partial, strlen(partial)) == 0, "%s: partial text '%s'", spec,
                  sget(res, "text"));
        cr_assert(cJSON_IsTrue(obj(res, "incomplete")), "%s: partial text must be marked incomplete", spec);
    } else {
        cr_assert_str_eq(sget(res, "text"), "", "%s: text", spec);
    }
}

/* The one session file --save wrote: exists, mode 0600, valid UTF-8, loads,
 * one round whose replies match the printed results one by one. */
static void assert_session_matches(const VResult *r)
{
    char dir[512], path[1024] = "";
    snprintf(dir, sizeof dir, "%s/data/versus/sessions", home);
    DIR *d = opendir(dir);
    cr_assert(d, "no sessions directory %s: --save wrote nothing", dir);
    int files = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
            files++;
        } else if (de->d_name[0] != '.') {
            cr_assert_fail("stray file left in the sessions directory: %s", de->d_name);
        }
    }
    closedir(d);
    cr_assert_eq(files, 1, "%d session files", files);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "session file mode %03o", (unsigned)(st.st_mode & 0777));

    FILE *f = fopen(path, "rb");
    cr_assert(f);
    Buf raw = { 0 };
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&raw, chunk, got);
    fclose(f);
    cr_assert(testenv_utf8_strict((const unsigned char *)buf_str(&raw), raw.len), "the session file is not valid UTF-8");
    cr_assert_null(strstr(buf_str(&raw), VCHILD_KEY_MARK), "a key reached the session file");
    buf_free(&raw);

    char err[512];
    Session *s = session_load(path, err, sizeof err);
    cr_assert(s, "the session file does not load: %s", err);
    cr_assert_eq(s->n_rounds, 1);
    const SessionRound *round = &s->rounds[0];
    const cJSON *results = obj(r->json, "results");
    cr_assert_eq(round->n_replies, (size_t)cJSON_GetArraySize(results));
    for (size_t i = 0; i < round->n_replies; i++) {
        const Reply *rep = round->replies[i];
        const cJSON *res = result_at(r, (int)i);
        cr_assert_str_eq(rep->spec, sget(res, "spec"));
        cr_assert_str_eq(reply_status_name(rep->status), sget(res, "status"), "%s: saved status", rep->spec);
        const char *shown = sget(res, "text");
        cr_assert_eq(rep->text.len, strlen(shown), "%s: saved text length %zu, shown %zu: '%s' vs '%s'", rep->spec,
                     rep->text.len, strlen(shown), buf_str(&rep->text), shown);
        cr_assert(rep->text.len == 0 || memcmp(rep->text.data, shown, rep->text.len) == 0,
                  "%s: saved text differs from what was shown", rep->spec);
        cr_assert_eq(rep->incomplete, cJSON_IsTrue(obj(res, "incomplete")), "%s: saved incomplete flag", rep->spec);
        if (rep->status == REPLY_ERROR) {
            cr_assert_eq(rep->http_status, http_status_of(res), "%s: saved http status", rep->spec);
            cr_assert(rep->error_message && strcmp(rep->error_message, message_of(res)) == 0,
                      "%s: saved message '%s'", rep->spec, rep->error_message ? rep->error_message : "(null)");
        }
    }
    session_free(s);
}

/* ---- HTTP errors ------------------------------------------------------------------------ */

Test(faults, status_403_is_reported_once_with_the_providers_message_on_every_api)
{
    const char *models[] = { "openai:status-403", "anthropic:status-403", "gemini:status-403", "ollama:status-403",
                             "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    assert_failed(result_at(&r, 0), 403, "Country, region, or territory not supported", NULL);
    assert_failed(result_at(&r, 1), 403, "does not have permission to use the specified resource", NULL);
    assert_failed(result_at(&r, 2), 403, "Method doesn't allow unregistered callers", NULL);
    assert_failed(result_at(&r, 3), 403, "forbidden", NULL);
    assert_ok(result_at(&r, 4));
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_COUNT, "status-403"), 4, "403 is never retried");
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, status_408_is_retried_then_reported_and_succeeds_when_it_clears)
{
    const char *models[] = { "openai:status-408-retry-after-ms-20", "gemini:status-408-retry-after-ms-20",
                             "anthropic:fail-1-status-408-retry-after-ms-20", "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    assert_failed(result_at(&r, 0), 408, "Request timed out.", NULL);
    assert_failed(result_at(&r, 1), 408, "Request timed out.", NULL);
    cr_assert_gt(fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "status-408-retry-after-ms-20"), 1, "408 is retried");
    assert_ok(result_at(&r, 2));
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_ANTHROPIC, "fail-1-status-408-retry-after-ms-20"), 2);
    assert_ok(result_at(&r, 3));
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, status_413_is_never_retried_and_says_the_request_is_too_large)
{
    const char *models[] = { "openai:status-413", "anthropic:status-413", "gemini:status-413", "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    assert_failed(result_at(&r, 0), 413, "Request too large.", NULL);
    assert_failed(result_at(&r, 1), 413, "Request exceeds the maximum allowed number of bytes.", NULL);
    assert_failed(result_at(&r, 2), 413, "Request payload size exceeds the limit", NULL);
    assert_ok(result_at(&r, 3));
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_COUNT, "status-413"), 3, "413 is never retried");
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, status_503_without_retry_after_backs_off_retries_and_reports)
{
    const char *models[] = { "openai:status-503", "gemini:status-503", "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    assert_failed(result_at(&r, 0), 503, "The engine is currently overloaded", NULL);
    assert_failed(result_at(&r, 1), 503, "The model is overloaded. Please try again later.", NULL);
    assert_ok(result_at(&r, 2));
    long n = fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "status-503");
    cr_assert_gt(n, 1, "503 must be retried");
    const cJSON *attempts = obj(obj(result_at(&r, 0), "metrics"), "attempts");
    cr_assert_eq(attempts->valueint, n, "attempts reported %d, requests seen %ld", attempts->valueint, n);
    /* exponential backoff from 0.5 s: at least 0.5 + 1 s before a third attempt */
    if (n >= 3)
        cr_assert_geq(r.elapsed_ms, 1400, "retries were not spaced out (%.0f ms for %ld attempts)", r.elapsed_ms, n);
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, status_503_with_retry_after_waits_as_told_then_succeeds)
{
    const char *models[] = { "openai:fail-1-status-503-retry-after-1", "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 0, "exit %d: %s", r.exit_code, buf_str(&r.err));
    assert_ok(result_at(&r, 0));
    assert_ok(result_at(&r, 1));
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "fail-1-status-503-retry-after-1"), 2);
    cr_assert_geq(r.elapsed_ms, 950, "retry-after: 1 was not honoured (%.0f ms)", r.elapsed_ms);
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, status_503_asking_for_a_longer_wait_than_allowed_is_reported_at_once)
{
    const char *models[] = { "anthropic:status-503-retry-after-600", "gemini:status-503-retry-after-ms-50",
                             "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    const cJSON *a = result_at(&r, 0);
    assert_failed(a, 503, "Internal server error", NULL);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_ANTHROPIC, "status-503-retry-after-600"), 1,
                 "a 600 s retry-after is not waited for");
    const char *hint = sget(obj(a, "error"), "hint");
    cr_assert(hint && strstr(hint, "600"), "the hint says how long the provider asked to wait: %s", hint ? hint : "(none)");
    assert_failed(result_at(&r, 1), 503, "The model is overloaded", NULL);
    cr_assert_gt(fakeprov_count_model(fp, FAKE_ROUTE_GEMINI, "status-503-retry-after-ms-50"), 1);
    assert_ok(result_at(&r, 2));
    /* not waited for: one attempt only (above), and the run ended well
     * within the 600 s asked (a hang guard, not a budget) */
    cr_assert_lt(r.elapsed_ms, 600 * 1000 / 2, "%.0f ms: the 600 s retry-after was waited for", r.elapsed_ms);
    assert_session_matches(&r);
    vchild_result_free(&r);
}

/* ---- broken connections and streams -------------------------------------------------------- */

Test(faults, connection_reset_before_and_after_headers_on_every_api)
{
    const char *models[] = { "openai:reset-before-headers", "ollama:reset-before-headers",
                             "openai:reset-after-headers", "anthropic:reset-after-headers",
                             "ollama:reset-after-headers", "gemini:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    for (int i = 0; i < 2; i++)
        assert_failed(result_at(&r, i), 0, NULL, NULL); /* no HTTP status: nothing came back */
    for (int i = 2; i < 5; i++)
        assert_failed(result_at(&r, i), -1, NULL, NULL);
    assert_ok(result_at(&r, 5));
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, invalid_json_in_a_data_line_keeps_the_text_before_it)
{
    const char *models[] = { "openai:bad-json", "ollama:bad-json", "anthropic:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    assert_failed(result_at(&r, 0), -1, NULL, PARTIAL);
    assert_failed(result_at(&r, 1), -1, NULL, PARTIAL);
    assert_ok(result_at(&r, 2));
    assert_session_matches(&r);
    vchild_result_free(&r);
}

Test(faults, invalid_utf8_in_a_data_line_is_repaired_in_output_and_session)
{
    const char *models[] = { "anthropic:bad-utf8", "gemini:bad-utf8", "openai:bad-utf8", "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert(testenv_utf8_strict((const unsigned char *)buf_str(&r.out), r.out.len), "stdout is not valid UTF-8");
    for (int i = 0; i < 3; i++) {
        const cJSON *res = result_at(&r, i);
        if (strcmp(sget(res, "status"), "ok") == 0)
            cr_assert(strstr(sget(res, "text"), "\xEF\xBF\xBD"), "%s: invalid bytes become U+FFFD: %s",
                      sget(res, "spec"), sget(res, "text"));
        else
            assert_failed(res, -1, NULL, sget(res, "text")[0] ? sget(res, "text") : NULL);
    }
    assert_ok(result_at(&r, 3));
    assert_session_matches(&r); /* valid UTF-8, and what is saved is what was shown */
    vchild_result_free(&r);
}

Test(faults, ten_mib_data_line_is_kept_whole_and_saved, .timeout = TESTENV_HANG_S)
{
    const char *models[] = { "anthropic:big-event", "gemini:big-event", "ollama:happy", NULL };
    VResult r;
    run_save(models, NULL, &r);
    cr_assert_eq(r.exit_code, 0, "exit %d: %s", r.exit_code, buf_str(&r.err));
    for (int i = 0; i < 2; i++) {
        const cJSON *res = result_at(&r, i);
        cr_assert_str_eq(sget(res, "status"), "ok", "%s: %s", sget(res, "spec"), message_of(res));
        cr_assert_geq(strlen(sget(res, "text")), 10u << 20, "%s: the 10 MiB line arrived whole", sget(res, "spec"));
    }
    assert_ok(result_at(&r, 2));
    assert_session_matches(&r);
    /* two 10 MiB replies, each recorded: bounded, not runaway, memory (an
     * upper bound: ru_maxrss also counts this test process, see vchild.h) */
    cr_assert_lt(r.max_rss_kb, 1024L * 1024, "peak RSS %ld KiB for 2 x 10 MiB", r.max_rss_kb);
    vchild_result_free(&r);
}

/* ---- time limits ------------------------------------------------------------------------- */

Test(faults, accept_and_never_answer_is_ended_by_timeout_on_every_api)
{
    const char *models[] = { "openai:accept-no-answer", "gemini:accept-no-answer", "ollama:accept-no-answer",
                             "anthropic:never-ends.ms50", "ollama:happy", NULL };
    const char *extra[] = { "--timeout", "1", NULL };
    VResult r;
    run_save(models, extra, &r);
    cr_assert_eq(r.exit_code, 1, "exit %d", r.exit_code);
    for (int i = 0; i < 3; i++) {
        const cJSON *res = result_at(&r, i);
        assert_failed(res, 0, NULL, NULL);
        const char *m = message_of(res), *t = sget(obj(res, "error"), "type");
        cr_assert(strstr(m, "time") || (t && strstr(t, "timeout")), "%s: the error says it timed out: %s / %s",
                  sget(res, "spec"), t ? t : "", m);
    }
    assert_failed(result_at(&r, 3), -1, NULL, PARTIAL); /* text so far kept, incomplete */
    assert_ok(result_at(&r, 4));
    /* none of the four would ever end by itself: the run ending (run_save's
     * hang guard did not fire) with timeout errors is the proof, and not
     * before the 1 s asked */
    cr_assert_geq(r.elapsed_ms, 950, "the 1 s timeout fired early (%.0f ms)", r.elapsed_ms);
    assert_session_matches(&r);
    vchild_result_free(&r);
}

/* ---- terminal escape sequences ------------------------------------------------------------ */

/* Streams whose text, or error message, carry terminal control sequences: an
 * OSC 52 clipboard write, a screen clear, a title change, a bare BEL. */
#define ESC_TEXT "Hi \\u001b]52;c;ZXZpbA==\\u0007there\\u001b[2J\\u001b]0;pwned\\u0007 \\u0007done"
static const char esc_text_transcript[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" ESC_TEXT "\"},\"finish_reason\":null}]}\n\n"
    "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: [DONE]\n\n";
static const char esc_error_transcript[] =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"there\"},\"finish_reason\":null}]}\n\n"
    "data: {\"error\":{\"message\":\"bad \\u001b]52;c;ZXZpbA==\\u0007 thing \\u001b[31mred\",\"type\":\"server_error\"}}\n\n";

/* Runs versus with stdout (and stderr) on a pseudo-terminal; returns all it
 * wrote there. */
static void run_on_a_tty(const char *const *args, Buf *out, int *exit_code)
{
    VResult r;
    cr_assert_eq(vchild_run_tty(bin, args, env, DEADLINE_MS, &r), 0, "openpty: %s", strerror(errno));
    cr_assert(!r.timed_out, "versus did not finish on the tty");
    cr_assert_eq(r.term_signal, 0, "versus died of signal %d", r.term_signal);
    buf_append(out, buf_str(&r.out), r.out.len);
    *exit_code = r.exit_code;
    vchild_result_free(&r);
}

/* Replays transcript as openai:replay-esc, alone (streamed live) and next to
 * another model (printed at the end), with stdout on a terminal; no control
 * byte may come through, and want (text around the sequences) must. */
static void check_tty(const char *transcript, int want_exit, const char *want)
{
    char dir[512], path[600], err[256];
    snprintf(dir, sizeof dir, "%s/transcripts", home);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/esc.sse", dir);
    FILE *f = fopen(path, "w");
    cr_assert(f);
    fputs(transcript, f);
    fclose(f);
    /* a second fake that replays from our directory */
    FakeProvOptions o = { .transcript_dir = dir };
    FakeProv *esc = fakeprov_start(&o, err, sizeof err);
    cr_assert(esc, "%s", err);
    char url[300];
    snprintf(url, sizeof url, "%s/v1", fakeprov_url(esc));
    vchild_env_set(&env, "OPENAI_BASE_URL", url);
    vchild_env_set(&env, "TERM", "xterm");

    const char *one[] = { "run", "--no-progress", "-m", "openai:replay-esc", "hi", NULL };
    const char *two[] = { "run", "--no-progress", "-m", "openai:replay-esc", "-m", "openai:happy", "hi", NULL };
    const char *const *runs[] = { one, two };
    for (int k = 0; k < 2; k++) {
        Buf out = { 0 };
        int code;
        run_on_a_tty(runs[k], &out, &code);
        cr_assert_eq(code, want_exit, "exit %d: %s", code, buf_str(&out));
        cr_assert(strstr(buf_str(&out), want), "'%s' is shown: %s", want, buf_str(&out));
        for (size_t i = 0; i < out.len; i++) {
            unsigned char c = (unsigned char)out.data[i];
            cr_assert(c != 0x1b && c != 0x07 && c != 0x9b && c != 0x9d,
                      "run %d: control byte 0x%02x from the provider reached the terminal at %zu: %s", k, c, i,
                      buf_str(&out));
        }
        buf_free(&out);
    }
    fakeprov_stop(esc);
}

Test(faults, terminal_escape_sequences_in_reply_text_never_reach_a_tty)
{
    check_tty(esc_text_transcript, 0, "there");
}

/* A provider's error message (and the hint) is printed through the same tty
 * neutralisation as reply text: "\e]52;c;...\a" in an error body must not
 * write the user's clipboard, "\e[2J" must not clear the screen. */
Test(faults, terminal_escape_sequences_in_error_messages_never_reach_a_tty)
{
    check_tty(esc_error_transcript, 1, "thing");
}
