/* test_run_local.c — times through the Run layer, in process: a local
 * model's (stories260K from $VERSUS_SHARED) start once the model is loaded
 * (versus(1) METRICS), so TTFT compared with an API's is not a one-off load,
 * and the load is given apart as load_ms; an API's start when its request
 * goes out, not when the caller (the workbench, busy saving the round)
 * started the run.
 *
 * The observer sees every event right after the Run folds it in, on the
 * same thread, so the order of what it sees is exact: no clock budgets. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "fake/fakeprov.h"
#include "run/run.h"
#include "util/clock.h"
#include "testenv.h"

typedef struct Seen {
    double load_began_ms;  /* clock when the first "load" progress event was seen, or -1 */
    double load_ended_ms;  /* when the load's last progress event was seen, or -1 */
    double start_at_load_end; /* the reply's t_start_ms at that moment */
    double first_token_ms; /* when the first token was seen, or -1 */
} Seen;

static void observe(void *user, size_t i, const Reply *r, const StreamEvent *ev)
{
    (void)i;
    Seen *s = user;
    if (!ev)
        return;
    double now = clock_now_ms();
    if (ev->kind == STREAM_EVENT_PROGRESS && ev->phase && strcmp(ev->phase, "load") == 0) {
        if (s->load_began_ms < 0)
            s->load_began_ms = now;
        if (ev->total > 0 && ev->done >= ev->total) {
            s->load_ended_ms = now;
            s->start_at_load_end = r->metrics.t_start_ms;
        }
    }
    if ((ev->kind == STREAM_EVENT_DELTA || ev->kind == STREAM_EVENT_REASONING) && s->first_token_ms < 0)
        s->first_token_ms = now;
}

Test(run_local, times_start_once_the_model_is_loaded_and_the_load_is_apart, .timeout = 120)
{
    char model[1024];
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    setenv("VERSUS_MODEL", model, 1);
    Config *cfg = config_new_empty();
    Request rq = { .prompt = "Once upon a time", .params = params_default() };
    rq.params.raw = true;
    rq.params.max_tokens = 8;
    const char *specs[] = { "local:" };
    RunOptions opt = run_options_default();
    opt.local.backend = "cpu";
    char err[512];
    Run *run = run_new(cfg, &rq, specs, 1, &opt, err, sizeof err);
    cr_assert_not_null(run, "%s", err);
    Seen seen = { -1, -1, -1, -1 };
    run_set_observer(run, observe, &seen);
    double t0 = clock_now_ms();
    cr_assert_eq(run_start(run), 0);
    while (!run_done(run))
        run_poll(run, NULL, 0, 100);
    const Reply *r = run_reply(run, 0);
    cr_assert_eq(r->status, REPLY_OK, "%s", r->error_message ? r->error_message : "");
    cr_assert_geq(seen.load_began_ms, t0, "the load is reported");
    cr_assert_geq(seen.load_ended_ms, seen.load_began_ms, "and its end");
    cr_assert_geq(r->metrics.load_ms, 0, "load_ms is given");
    /* the reply's clock starts at the end of the load, not at the request */
    cr_assert_geq(seen.start_at_load_end, seen.load_began_ms, "t_start %.3f is before the load ended (began %.3f)",
                  seen.start_at_load_end, seen.load_began_ms);
    cr_assert_leq(seen.start_at_load_end, seen.load_ended_ms);
    cr_assert_float_eq(r->metrics.t_start_ms, seen.start_at_load_end, 1e-9, "it stays there");
    cr_assert_leq(r->metrics.ttft_ms, seen.first_token_ms - seen.load_began_ms,
                  "TTFT %.3f ms holds no load (first token %.3f ms after the load began)", r->metrics.ttft_ms,
                  seen.first_token_ms - seen.load_began_ms);
    cr_assert_geq(r->metrics.total_ms, r->metrics.ttft_ms);
    run_free(run);
    config_free(cfg);
    unsetenv("VERSUS_MODEL");
}

/* A conversation that has outgrown the local model's context is an error
 * that says so and what to do (start a new conversation, or a larger --ctx
 * when the model takes one): never older turns dropped behind the user's
 * back, which would compare a local model that forgot with APIs that did not. */
Test(run_local, a_conversation_too_long_for_the_context_says_what_to_do, .timeout = 120)
{
    char model[1024];
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    setenv("VERSUS_MODEL", model, 1);
    Config *cfg = config_new_empty();
    static const char long_turn[] = "Once upon a time there was a little girl who liked to play in the park "
                                    "with her dog and her friends every day after school.";
    Message history[] = { { "user", long_turn }, { "assistant", long_turn }, { "user", long_turn },
                          { "assistant", long_turn } };
    Request rq = { .prompt = "And then?", .history = history, .n_history = 4, .params = params_default() };
    rq.params.max_tokens = 4;
    rq.params.context_length = 64;
    const char *specs[] = { "local:" };
    RunOptions opt = run_options_default();
    opt.local.backend = "cpu";
    char err[512];
    Run *run = run_new(cfg, &rq, specs, 1, &opt, err, sizeof err);
    cr_assert_not_null(run, "%s", err);
    cr_assert_eq(run_start(run), 0);
    while (!run_done(run))
        run_poll(run, NULL, 0, 100);
    const Reply *r = run_reply(run, 0);
    cr_assert_eq(r->status, REPLY_ERROR);
    const char *m = r->error_message ? r->error_message : "";
    cr_assert(strstr(m, "the conversation so far") && strstr(m, "does not fit in the context (64 tokens)"), "%s", m);
    cr_assert(strstr(m, "start a new conversation"), "%s", m);
    cr_assert(strstr(m, "--ctx"), "stories260K takes more than 64 tokens: %s", m);
    run_free(run);
    config_free(cfg);
    unsetenv("VERSUS_MODEL");
}

/* The workbench starts a round, then saves it (an fsync) and draws before
 * its first poll: none of that is the API's latency. The caller here waits
 * a whole second between run_start and run_poll; the fake answers at once,
 * so a TTFT of a second or more can only be that wait counted in. */
Test(run_local, an_api_ttft_counts_from_when_the_request_goes_out, .timeout = 120)
{
    char err[512];
    FakeProv *fp = fakeprov_start(NULL, err, sizeof err);
    cr_assert_not_null(fp, "%s", err);
    char url[300];
    snprintf(url, sizeof url, "%s/v1", fakeprov_url(fp));
    setenv("OPENAI_BASE_URL", url, 1);
    setenv("OPENAI_API_KEY", "sk-test-0123456789abcdef", 1);
    Config *cfg = config_new_empty();
    Request rq = { .prompt = "hello", .params = params_default() };
    const char *specs[] = { "openai:happy" };
    RunOptions opt = run_options_default();
    Run *run = run_new(cfg, &rq, specs, 1, &opt, err, sizeof err);
    cr_assert_not_null(run, "%s", err);
    cr_assert_eq(run_start(run), 0);
    double gap_ms = 1000, t0 = clock_now_ms();
    while (clock_now_ms() - t0 < gap_ms)
        usleep(10000); /* the caller's own work, before its first poll */
    while (!run_done(run))
        run_poll(run, NULL, 0, 100);
    const Reply *r = run_reply(run, 0);
    cr_assert_eq(r->status, REPLY_OK, "%s", r->error_message ? r->error_message : "");
    cr_assert_lt(r->metrics.ttft_ms, gap_ms, "TTFT %.1f ms holds the caller's %.0f ms before its first poll",
                 r->metrics.ttft_ms, gap_ms);
    cr_assert_lt(r->metrics.total_ms, gap_ms, "total %.1f ms too", r->metrics.total_ms);
    run_free(run);
    config_free(cfg);
    fakeprov_stop(fp);
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
}
