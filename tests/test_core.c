/* test_core.c — Buf, Reply and Progress: the accumulators every later module leans on. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "util/buf.h"
#include "core/progress.h"
#include "core/reply.h"

Test(buf, printf_and_append_grow_past_initial_capacity)
{
    Buf b = { 0 };
    for (int i = 0; i < 1000; i++)
        cr_assert_eq(buf_printf(&b, "%d,", i), 0);
    cr_assert(strncmp(buf_str(&b), "0,1,2,", 6) == 0);
    cr_assert_eq(b.len, strlen(b.data));
    buf_free(&b);
    cr_assert_str_eq(buf_str(&b), "");
}

Test(reply, deltas_usage_and_finish_give_metrics)
{
    Reply *r = reply_new("openai:gpt-4o-mini", "openai", "gpt-4o-mini");
    reply_start(r, 1000.0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
    ev.text = "Hel";
    ev.len = 3;
    reply_apply_event(r, &ev, 1250.0);
    ev.text = "lo";
    ev.len = 2;
    reply_apply_event(r, &ev, 1750.0);
    Usage u = usage_unknown();
    u.input_tokens = 10;
    u.output_tokens = 3;
    stream_emit_usage(&(StreamSink){ 0 }, u); /* a sink without emit is a no-op */
    StreamEvent ue = stream_event_init(STREAM_EVENT_USAGE);
    ue.usage = u;
    reply_apply_event(r, &ue, 1800.0);
    reply_finish(r, 2000.0);
    cr_assert_str_eq(buf_str(&r->text), "Hello");
    cr_assert_eq(r->status, REPLY_OK);
    cr_assert_float_eq(r->metrics.ttft_ms, 250.0, 1e-9);
    cr_assert_float_eq(r->metrics.total_ms, 1000.0, 1e-9);
    /* 3 tokens, 2 intervals over 500 ms */
    cr_assert_float_eq(r->metrics.output_tokens_per_s, 4.0, 1e-9);
    cr_assert_eq(r->usage.input_tokens, 10);
    reply_free(r);
}

Test(reply, error_keeps_partial_text_and_marks_it_incomplete)
{
    Reply *r = reply_new("anthropic:x", "anthropic", "x");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
    ev.text = "partial";
    ev.len = 7;
    reply_apply_event(r, &ev, 10);
    StreamEvent er = stream_event_init(STREAM_EVENT_ERROR);
    er.error_type = "overloaded_error";
    er.error_message = "Overloaded";
    reply_apply_event(r, &er, 20);
    reply_finish(r, 30); /* must not turn the error into ok */
    cr_assert_eq(r->status, REPLY_ERROR);
    cr_assert(r->incomplete);
    cr_assert_str_eq(buf_str(&r->text), "partial");
    cr_assert_str_eq(r->error_type, "overloaded_error");
    reply_free(r);
}

Test(reply, not_sent_has_no_times_no_cost_and_no_attempt)
{
    /* A refused candidate: reply_new's start time is 0, so a failure recorded
     * with reply_fail would report the time since boot as its total. */
    Reply *r = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    reply_not_sent(r, "sensitivity", "refused: restricted data");
    reply_finish(r, 5000); /* later endings change nothing */
    reply_fail(r, 0, "x", "y", 6000);
    cr_assert_eq(r->status, REPLY_NOT_SENT);
    cr_assert_str_eq(reply_status_name(r->status), "not_sent");
    cr_assert(reply_is_final(r));
    cr_assert_not(reply_was_sent(r));
    cr_assert_str_eq(r->error_type, "sensitivity");
    cr_assert_lt(r->metrics.ttft_ms, 0);
    cr_assert_lt(r->metrics.total_ms, 0, "no time: %g", r->metrics.total_ms);
    cr_assert_lt(r->metrics.t_start_ms, 0);
    cr_assert(isnan(r->metrics.cost_usd), "no cost");
    cr_assert_eq(r->attempts, 0);
    reply_free(r);
    Reply *ok = reply_new("a", "b", "c");
    reply_start(ok, 1);
    reply_finish(ok, 2);
    cr_assert(reply_was_sent(ok));
    reply_free(ok);
}

#include "util/utf8.h"

static const char *sanitized(const char *s, size_t n, int flags)
{
    static Buf b;
    buf_reset(&b);
    utf8_sanitize(&b, s, n, flags);
    return buf_str(&b);
}

Test(utf8, invalid_bytes_become_one_replacement_per_maximal_subpart)
{
    cr_assert_str_eq(sanitized("ok \xff\xfe!", 6, 0), "ok \xEF\xBF\xBD\xEF\xBF\xBD!");
    /* a truncated 3-byte sequence is one U+FFFD (WHATWG maximal subpart) */
    cr_assert_str_eq(sanitized("a\xE2\x82z", 4, 0), "a\xEF\xBF\xBDz");
    /* overlong and surrogate encodings are invalid */
    cr_assert_str_eq(sanitized("\xC0\xAF", 2, 0), "\xEF\xBF\xBD\xEF\xBF\xBD");
    cr_assert_str_eq(sanitized("\xED\xA0\x80", 3, 0), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    /* NUL would cut C strings short */
    cr_assert_str_eq(sanitized("a\0b", 3, 0), "a\xEF\xBF\xBD" "b");
    /* valid text of every length passes untouched */
    const char *v = "na\xC3\xAFve \xE2\x9C\x93 \xF0\x9F\x98\x80";
    cr_assert_str_eq(sanitized(v, strlen(v), 0), v);
    cr_assert(utf8_valid(v, strlen(v)));
    cr_assert(!utf8_valid("\xff", 1));
}

Test(utf8, terminal_controls_are_neutralised_but_newlines_and_tabs_kept)
{
    const char *evil = "hi\x1b]52;c;ZXZpbA==\x07\n\tok\xC2\x9B";
    const char *out = sanitized(evil, strlen(evil), UTF8_NO_CONTROLS);
    cr_assert_null(strchr(out, '\x1b'));
    cr_assert_null(strchr(out, '\x07'));
    cr_assert(strstr(out, "\n\tok"));
    cr_assert_null(strstr(out, "\xC2\x9B"), "C1 CSI must go too");
}

Test(utf8, complete_prefix_holds_back_a_cut_sequence)
{
    cr_assert_eq(utf8_complete_prefix("ab\xE2\x82", 4), 2);
    cr_assert_eq(utf8_complete_prefix("ab\xE2\x82\xAC", 5), 5);
    cr_assert_eq(utf8_complete_prefix("\xF0\x9F\x98", 3), 0);
    cr_assert_eq(utf8_complete_prefix("abc", 3), 3);
}

/* ---- progress ------------------------------------------------------------ */

Test(progress, byte_line_shows_percent_sizes_rate_and_time_left)
{
    char line[256];
    progress_format_bytes(line, sizeof line, "m.gguf", 49181216, 98362432, 10e6);
    cr_assert_str_eq(line, "m.gguf [############------------]  50% 49.2/98.4 MB  10.0 MB/s  5s left");
    progress_format_bytes(line, sizeof line, "m.gguf", 1000000, 0, 0);
    cr_assert_str_eq(line, "m.gguf 1.0 MB");
    progress_format_bytes(line, sizeof line, "m.gguf", 1000000, 0, 2e6);
    cr_assert_str_eq(line, "m.gguf 1.0 MB  2.0 MB/s");
    progress_format_bytes(line, sizeof line, "m.gguf", 98362432, 98362432, 0);
    cr_assert_str_eq(line, "m.gguf [########################] 100% 98.4/98.4 MB");
    progress_format_bytes(line, sizeof line, "m.gguf", 0, 98362432, 1e5);
    cr_assert(strstr(line, "16m23s left"), "%s", line);
}

static StreamEvent progress_event(const char *phase, int64_t done, int64_t total)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_PROGRESS);
    ev.phase = phase;
    ev.label = "m.gguf";
    ev.done = done;
    ev.total = total;
    return ev;
}

Test(progress, events_fold_into_one_line_per_phase_with_the_rate_since_the_phase_began)
{
    Progress p = progress_none();
    char line[256];
    progress_line(&p, 0, line, sizeof line);
    cr_assert_str_eq(line, "", "nothing before any event");
    cr_assert(!progress_active(&p));
    /* a resumed download: 40 MB were there, 10 MB more arrive in 2 s */
    StreamEvent ev = progress_event("download", 40000000, 100000000);
    progress_apply(&p, &ev, 1000);
    ev = progress_event("download", 50000000, 100000000);
    progress_apply(&p, &ev, 3000);
    cr_assert(progress_active(&p));
    cr_assert_eq(progress_percent(&p), 50);
    progress_line(&p, 3000, line, sizeof line);
    cr_assert_str_eq(line, "downloading m.gguf [############------------]  50% 50.0/100.0 MB  5.0 MB/s  10s left");
    ev = progress_event("download", 100000000, 100000000);
    progress_apply(&p, &ev, 5000);
    cr_assert(!progress_active(&p), "a whole download is over");
    ev = progress_event("load", 0, 100000000);
    progress_apply(&p, &ev, 5100);
    progress_line(&p, 5200, line, sizeof line);
    cr_assert_str_eq(line, "loading m.gguf (100.0 MB)");
    ev = progress_event("load", 100000000, 100000000);
    progress_apply(&p, &ev, 6000);
    progress_line(&p, 6000, line, sizeof line);
    cr_assert_str_eq(line, "", "loaded: nothing left to say");
    /* unknown totals */
    p = progress_none();
    ev = progress_event("download", 0, -1);
    progress_apply(&p, &ev, 0);
    cr_assert(progress_active(&p));
    cr_assert_eq(progress_percent(&p), -1);
}

Test(progress, a_reply_keeps_its_progress_until_it_starts_again)
{
    Reply *r = reply_new("local:x", "local", "x");
    reply_start(r, 0);
    StreamEvent ev = progress_event("download", 5, 10);
    reply_apply_event(r, &ev, 10);
    cr_assert_eq(r->status, REPLY_WAITING, "progress is not text");
    cr_assert_eq(r->metrics.ttft_ms, -1);
    cr_assert_str_eq(r->progress.phase, "download");
    cr_assert_eq(progress_percent(&r->progress), 50);
    reply_start(r, 20);
    cr_assert_str_eq(r->progress.phase, "");
    reply_free(r);
}
