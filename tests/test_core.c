/* test_core.c — Buf, Reply, Progress and the reasoning setting: the
 * accumulators and definitions every later module leans on (statuses, tool
 * calls, the one tokens/s definition, TTFT and time to first answer, a local
 * model's download/load progress). */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "core/progress.h"
#include "core/reply.h"
#include "core/reply_json.h"

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

/* ---- events in, a Reply out ---------------------------------------------------- */

static void put_text(Reply *r, StreamEventKind kind, const char *text, double t)
{
    StreamEvent ev = stream_event_init(kind);
    ev.text = text;
    ev.len = strlen(text);
    reply_apply_event(r, &ev, t);
}

static void put_usage(Reply *r, long in, long out, long reasoning, double t)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_USAGE);
    ev.usage.input_tokens = in;
    ev.usage.output_tokens = out;
    ev.usage.reasoning_tokens = reasoning;
    reply_apply_event(r, &ev, t);
}

static void put_finish(Reply *r, const char *finish, double t)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_FINISH);
    ev.finish_reason = finish;
    reply_apply_event(r, &ev, t);
}

Test(rate, a_burst_of_deltas_in_one_read_has_no_rate_not_six_digits)
{
    /* The case: a short reply whose deltas arrive in one read gave
     * 188,679 tokens/s (n-1 tokens over a few microseconds). */
    Reply *r = reply_new("openai:x", "openai", "x");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_DELTA, "Hel", 300.000);
    put_text(r, STREAM_EVENT_DELTA, "lo", 300.004);
    put_text(r, STREAM_EVENT_DELTA, "!", 300.011);
    cr_assert_lt(reply_live_tokens_per_s(r), 0, "live: unknown, not %g", reply_live_tokens_per_s(r));
    put_usage(r, 10, 3, -1, 300.02);
    reply_finish(r, 301);
    cr_assert_lt(r->metrics.output_tokens_per_s, 0, "final: unknown, not %g", r->metrics.output_tokens_per_s);
    cJSON *j = reply_to_json(r);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "output_tokens_per_s")),
              "JSON says null");
    cJSON_Delete(j);
    reply_free(r);
}

Test(rate, a_window_just_below_the_minimum_has_none_just_above_has_one)
{
    Reply *r = reply_new("openai:x", "openai", "x");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_DELTA, "a", 100);
    put_text(r, STREAM_EVENT_DELTA, "b", 100 + REPLY_RATE_MIN_WINDOW_MS - 1);
    cr_assert_lt(reply_live_tokens_per_s(r), 0);
    put_text(r, STREAM_EVENT_DELTA, "c", 100 + REPLY_RATE_MIN_WINDOW_MS);
    cr_assert_float_eq(reply_live_tokens_per_s(r), 2 * 1000.0 / REPLY_RATE_MIN_WINDOW_MS, 1e-9);
    reply_free(r);
}

Test(rate, the_servers_own_decode_rate_wins)
{
    Reply *r = reply_new("ollama:x", "ollama", "x");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_DELTA, "a", 10);
    put_text(r, STREAM_EVENT_DELTA, "b", 11);
    StreamEvent t = stream_event_init(STREAM_EVENT_TIMINGS);
    t.server_output_tokens_per_s = 42.5;
    reply_apply_event(r, &t, 12);
    reply_finish(r, 13);
    cr_assert_float_eq(r->metrics.output_tokens_per_s, 42.5, 1e-9);
    reply_free(r);
}

Test(rate, with_reasoning_counted_apart_the_answer_is_timed_over_its_own_window)
{
    /* Reasoning (a summary) from 100 to 900 ms, then 41 answer tokens from
     * 1000 to 2000 ms; usage: 241 output tokens of which 200 reasoning. */
    Reply *r = reply_new("openai:o4-mini", "openai", "o4-mini");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_REASONING, "thinking", 100);
    put_text(r, STREAM_EVENT_REASONING, " more", 900);
    for (int i = 0; i <= 40; i++)
        put_text(r, STREAM_EVENT_DELTA, "x", 1000 + 25.0 * i);
    put_usage(r, 5, 241, 200, 2001);
    reply_finish(r, 2002);
    cr_assert_float_eq(r->metrics.ttft_ms, 100, 1e-9, "first token: reasoning");
    cr_assert_float_eq(r->metrics.ttfa_ms, 1000, 1e-9, "first answer token");
    cr_assert_float_eq(r->metrics.output_tokens_per_s, 40.0, 1e-9, "40 answer tokens after the first in 1 s");
    cJSON *j = reply_to_json(r);
    cr_assert_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "metrics"), "ttfa_ms")->valuedouble, 1000);
    cJSON_Delete(j);
    reply_free(r);
}

Test(outcome, a_refusal_is_its_own_status_and_never_answer_text)
{
    Reply *r = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_REFUSAL);
    ev.reason = "refusal";
    ev.text = "I'm sorry, I can't";
    ev.len = strlen(ev.text);
    reply_apply_event(r, &ev, 10);
    ev.text = " help with that.";
    ev.len = strlen(ev.text);
    reply_apply_event(r, &ev, 20);
    put_finish(r, "stop", 30);
    StreamEvent done = stream_event_init(STREAM_EVENT_DONE);
    reply_apply_event(r, &done, 31);
    cr_assert_eq(r->status, REPLY_STREAMING, "not final before the end");
    reply_finish(r, 40);
    cr_assert_eq(r->status, REPLY_REFUSED);
    cr_assert(reply_is_final(r));
    cr_assert_str_eq(reply_status_name(r->status), "refused");
    cr_assert_str_eq(buf_str(&r->text), "", "a refusal is not the answer");
    cr_assert_str_eq(buf_str(&r->refusal), "I'm sorry, I can't help with that.");
    cr_assert_str_eq(r->status_reason, "refusal");
    cJSON *j = reply_to_json(r);
    cr_assert_str_eq(cJSON_GetObjectItem(j, "status")->valuestring, "refused");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "status_reason")->valuestring, "refusal");
    cr_assert_str_eq(cJSON_GetObjectItem(j, "refusal")->valuestring, "I'm sorry, I can't help with that.");
    cJSON_Delete(j);
    ReplyStatus st;
    cr_assert_eq(reply_status_parse("blocked", &st), 0);
    cr_assert_eq(st, REPLY_BLOCKED);
    cr_assert_eq(reply_status_parse("nope", &st), -1);
    reply_free(r);
}

Test(outcome, a_block_is_its_own_status_with_the_providers_reason)
{
    Reply *r = reply_new("gemini:x", "gemini", "x");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_BLOCKED);
    ev.reason = "PROHIBITED_CONTENT";
    reply_apply_event(r, &ev, 10);
    put_usage(r, 7, -1, -1, 11);
    reply_finish(r, 20);
    cr_assert_eq(r->status, REPLY_BLOCKED);
    cr_assert_str_eq(r->status_reason, "PROHIBITED_CONTENT");
    cr_assert_eq(r->usage.input_tokens, 7, "usage after the block still counts");
    reply_free(r);
}

Test(outcome, the_finish_reason_after_an_error_is_the_errors)
{
    Reply *r = reply_new("gemini:x", "gemini", "x");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_DELTA, "Once", 10);
    put_finish(r, "stop", 11);
    StreamEvent er = stream_event_init(STREAM_EVENT_ERROR);
    er.error_type = "UNAVAILABLE";
    er.error_message = "The model is overloaded.";
    reply_apply_event(r, &er, 12);
    cr_assert_eq(r->status, REPLY_ERROR);
    cr_assert_str_eq(r->finish_reason, "error", "not 'stop': %s", r->finish_reason);
    reply_free(r);
}

Test(outcome, tool_calls_are_kept_in_order_with_their_arguments)
{
    Reply *r = reply_new("anthropic:x", "anthropic", "x");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_TOOL_CALL);
    ev.tool = (StreamToolCall){ .id = "toolu_01", .name = "get_weather", .arguments = "{\"city\": \"Paris\"}" };
    reply_apply_event(r, &ev, 50);
    ev.tool = (StreamToolCall){ .id = NULL, .name = "broken", .arguments = "{\"a\": " };
    reply_apply_event(r, &ev, 60);
    put_finish(r, "tool_use", 70);
    reply_finish(r, 80);
    cr_assert_eq(r->status, REPLY_OK, "a tool call is an answer");
    cr_assert_float_eq(r->metrics.ttfa_ms, 50, 1e-9, "the call is the first answer token");
    cr_assert_eq(r->n_tool_calls, 2);
    cr_assert_str_eq(r->tool_calls[0].name, "get_weather");
    cr_assert_str_eq(r->tool_calls[0].id, "toolu_01");
    cJSON *j = reply_to_json(r);
    const cJSON *calls = cJSON_GetObjectItem(j, "tool_calls");
    cr_assert_eq(cJSON_GetArraySize(calls), 2);
    const cJSON *c0 = cJSON_GetArrayItem(calls, 0), *c1 = cJSON_GetArrayItem(calls, 1);
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "arguments"), "city")->valuestring, "Paris");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(c1, "arguments")), "invalid JSON is not made up");
    cr_assert_str_eq(cJSON_GetObjectItem(c1, "arguments_text")->valuestring, "{\"a\": ", "kept as written");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(c1, "id")));
    /* and back */
    Reply *back = reply_new("b", "b", "b");
    char err[128];
    cr_assert_eq(reply_tool_calls_from_json(back, calls, err, sizeof err), 0, "%s", err);
    cr_assert_eq(back->n_tool_calls, 2);
    cr_assert_str_eq(back->tool_calls[0].arguments, "{\"city\":\"Paris\"}");
    cr_assert_str_eq(back->tool_calls[1].arguments, "{\"a\": ");
    cr_assert_null(back->tool_calls[1].id);
    reply_free(back);
    cJSON_Delete(j);
    reply_free(r);
}

Test(outcome, a_flood_of_tool_calls_fails_the_reply_instead_of_growing_it)
{
    Reply *r = reply_new("x:y", "x", "y");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_TOOL_CALL);
    ev.tool = (StreamToolCall){ .name = "f", .arguments = "{}" };
    for (int i = 0; i < REPLY_MAX_TOOL_CALLS + 10; i++)
        reply_apply_event(r, &ev, 1);
    cr_assert_eq(r->status, REPLY_ERROR);
    cr_assert_str_eq(r->error_type, "too_many_tool_calls");
    cr_assert_eq(r->n_tool_calls, REPLY_MAX_TOOL_CALLS, "what came first is kept");
    reply_free(r);
}

Test(outcome, a_length_finish_with_the_budget_spent_reasoning_is_flagged)
{
    /* 199 of 200 tokens spent reasoning, empty content, finish length */
    Reply *r = reply_new("openai:gpt-5-nano", "openai", "gpt-5-nano");
    reply_start(r, 0);
    put_usage(r, 12, 200, 199, 10);
    put_finish(r, "length", 11);
    reply_finish(r, 12);
    cr_assert(r->truncated_by_reasoning);
    cr_assert_eq(r->status, REPLY_OK, "not an error: the model did what it was told");
    cJSON *j = reply_to_json(r);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "truncated_by_reasoning")));
    cJSON_Delete(j);
    reply_free(r);
    /* a short answer after mostly reasoning counts too; a plain length finish does not */
    r = reply_new("gemini:x", "gemini", "x");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_DELTA, "Autumn moon", 5);
    put_usage(r, 9, 255, 250, 6);
    put_finish(r, "length", 7);
    reply_finish(r, 8);
    cr_assert(r->truncated_by_reasoning);
    reply_free(r);
    r = reply_new("gemini:x", "gemini", "x");
    reply_start(r, 0);
    put_text(r, STREAM_EVENT_DELTA, "A long answer cut short", 5);
    put_usage(r, 9, 255, 20, 6);
    put_finish(r, "length", 7);
    reply_finish(r, 8);
    cr_assert_not(r->truncated_by_reasoning);
    reply_free(r);
}

Test(outcome, redacted_reasoning_is_counted_never_shown)
{
    Reply *r = reply_new("anthropic:x", "anthropic", "x");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_REDACTED);
    reply_apply_event(r, &ev, 5);
    reply_apply_event(r, &ev, 6);
    put_text(r, STREAM_EVENT_DELTA, "Hi", 7);
    reply_finish(r, 8);
    cr_assert_eq(r->redacted_reasoning, 2);
    cr_assert_str_eq(buf_str(&r->reasoning), "");
    cr_assert_str_eq(buf_str(&r->text), "Hi");
    reply_free(r);
}

Test(reasoning, levels_budgets_and_bad_values)
{
    Reasoning rs;
    char err[256], out[32];
    cr_assert_eq(reasoning_parse("high", &rs, err, sizeof err), 0);
    cr_assert_eq(rs.effort, REASONING_HIGH);
    cr_assert_eq(reasoning_budget_tokens(&rs), REASONING_HIGH_TOKENS);
    cr_assert_eq(reasoning_parse("8000", &rs, err, sizeof err), 0);
    cr_assert_eq(rs.effort, REASONING_BUDGET);
    cr_assert_eq(reasoning_budget_tokens(&rs), 8000);
    cr_assert_eq(reasoning_level(&rs), REASONING_MEDIUM);
    reasoning_format(&rs, out, sizeof out);
    cr_assert_str_eq(out, "8000");
    cr_assert_eq(reasoning_parse("0", &rs, err, sizeof err), 0);
    cr_assert_eq(rs.effort, REASONING_OFF);
    cr_assert_eq(reasoning_parse("1000", &rs, err, sizeof err), 0);
    cr_assert_eq(reasoning_level(&rs), REASONING_LOW);
    cr_assert_eq(reasoning_parse("99999", &rs, err, sizeof err), 0);
    cr_assert_eq(reasoning_level(&rs), REASONING_HIGH);
    const char *bad[] = { "", "HIGH", "-1", "1e3", "12x", "10000001", "extreme" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(reasoning_parse(bad[i], &rs, err, sizeof err), -1, "'%s'", bad[i]);
        cr_assert(strstr(err, "off, low, medium, high"), "%s", err);
    }
    Params p = params_default();
    cr_assert_eq(p.reasoning.effort, REASONING_UNSET);
    cr_assert_eq(params_set(&p, "reasoning", "low", err, sizeof err), 0);
    Params q = params_default();
    params_overlay(&q, &p);
    cr_assert_eq(q.reasoning.effort, REASONING_LOW);
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
