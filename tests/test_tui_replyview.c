/* test_tui_replyview.c — how a reply is laid out in its pane: reasoning
 * apart from the answer (folded into one line on request, its token count
 * in the header once known), tool calls, refusals, blocks and errors at the
 * end; text appended as it streams, the pane rebuilt only when what was
 * drawn must change; a blind round keeps what names the model out of the
 * closing lines until it is labelled. Pure: no curses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/reply.h"
#include "core/reply_json.h"
#include "tui/pane.h"
#include "tui/replyview.h"

static void put(Reply *r, StreamEventKind kind, const char *text, double t)
{
    StreamEvent ev = stream_event_init(kind);
    ev.text = text;
    ev.len = strlen(text);
    reply_apply_event(r, &ev, t);
}

static const char *text_of(Pane *p)
{
    size_t n;
    return pane_text(p, &n);
}

Test(replyview, reasoning_streams_first_then_the_answer_then_the_token_count)
{
    Reply *r = reply_new("anthropic:claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5");
    reply_start(r, 0);
    Pane *p = pane_new(40);
    ReplyView v = { 0 };
    put(r, STREAM_EVENT_REASONING, "The user says", 10);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "\u25be reasoning\nThe user says");
    put(r, STREAM_EVENT_REASONING, " hello.", 20);
    put(r, STREAM_EVENT_DELTA, "Hi", 30);
    replyview_sync(&v, p, r, false, false);
    put(r, STREAM_EVENT_DELTA, " there!", 40);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "\u25be reasoning\nThe user says hello.\n\nHi there!");
    StreamEvent u = stream_event_init(STREAM_EVENT_USAGE);
    u.usage.output_tokens = 30;
    u.usage.reasoning_tokens = 24;
    reply_apply_event(r, &u, 50);
    StreamEvent red = stream_event_init(STREAM_EVENT_REDACTED);
    reply_apply_event(r, &red, 51);
    reply_finish(r, 60);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "\u25be reasoning \u00b7 24 tokens\nThe user says hello.\n\nHi there!\n\n"
                                 "[1 reasoning block encrypted by the provider: counted, not shown]");
    /* folded: one line with the count, the answer below it */
    replyview_sync(&v, p, r, true, false);
    cr_assert_str_eq(text_of(p), "\u25b8 reasoning \u00b7 24 tokens \u00b7 hidden (:reasoning shows it)\nHi there!\n\n"
                                 "[1 reasoning block encrypted by the provider: counted, not shown]");
    /* and back */
    replyview_sync(&v, p, r, false, false);
    cr_assert(strncmp(text_of(p), "\u25be reasoning \u00b7 24 tokens\nThe user", 33) == 0, "%s", text_of(p));
    /* nothing changes: nothing is appended twice */
    size_t before, after;
    pane_text(p, &before);
    replyview_sync(&v, p, r, false, false);
    pane_text(p, &after);
    cr_assert_eq(before, after);
    pane_free(p);
    reply_free(r);
}

Test(replyview, hidden_reasoning_of_a_provider_that_only_counts_it)
{
    /* OpenAI reasoning through Chat Completions: tokens, no text */
    Reply *r = reply_new("openai:gpt-5-nano", "openai", "gpt-5-nano");
    reply_start(r, 0);
    Pane *p = pane_new(40);
    ReplyView v = { 0 };
    put(r, STREAM_EVENT_DELTA, "4", 10);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "4", "while streaming nothing says reasoning happened");
    StreamEvent u = stream_event_init(STREAM_EVENT_USAGE);
    u.usage.output_tokens = 200;
    u.usage.reasoning_tokens = 199;
    reply_apply_event(r, &u, 20);
    StreamEvent f = stream_event_init(STREAM_EVENT_FINISH);
    f.finish_reason = "length";
    reply_apply_event(r, &f, 21);
    reply_finish(r, 30);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "\u25be reasoning \u00b7 199 tokens \u00b7 not shown by the provider\n4\n\n"
                                 "[truncated by reasoning: 199 of 200 output tokens went to reasoning]");
    pane_free(p);
    reply_free(r);
}

/* Tryout 2 #20: a reply cut at the token limit looked finished. */
Test(replyview, a_reply_cut_at_the_token_limit_says_so)
{
    Reply *r = reply_new("local:", "local", "SmolLM2");
    reply_start(r, 0);
    Pane *p = pane_new(80);
    ReplyView v = { 0 };
    put(r, STREAM_EVENT_DELTA, "A paperclip can also serve as a", 10);
    StreamEvent f = stream_event_init(STREAM_EVENT_FINISH);
    f.finish_reason = "length";
    reply_apply_event(r, &f, 21);
    reply_finish(r, 30);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "A paperclip can also serve as a\n\n" REPLY_LENGTH_LINE);
    pane_free(p);
    reply_free(r);
}

Test(replyview, tool_calls_refusals_blocks_and_errors_close_the_pane)
{
    Reply *r = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    reply_start(r, 0);
    Pane *p = pane_new(60);
    ReplyView v = { 0 };
    StreamEvent c = stream_event_init(STREAM_EVENT_TOOL_CALL);
    c.tool = (StreamToolCall){ .id = "call_1", .name = "get_weather", .arguments = "{\"city\":\"Paris\"}" };
    reply_apply_event(r, &c, 10);
    reply_finish(r, 20);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "[tool call: get_weather (call_1)]\n{\n  \"city\": \"Paris\"\n}");
    pane_free(p);
    reply_free(r);

    r = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    reply_start(r, 0);
    p = pane_new(60);
    v = (ReplyView){ 0 };
    StreamEvent ref = stream_event_init(STREAM_EVENT_REFUSAL);
    ref.reason = "refusal";
    ref.text = "I can't help with that.";
    ref.len = strlen(ref.text);
    reply_apply_event(r, &ref, 10);
    reply_finish(r, 20);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "[refused: refusal] I can't help with that.");
    pane_free(p);
    reply_free(r);

    r = reply_new("gemini:x", "gemini", "x");
    reply_start(r, 0);
    p = pane_new(60);
    v = (ReplyView){ 0 };
    put(r, STREAM_EVENT_DELTA, "Sure, here", 10);
    replyview_sync(&v, p, r, false, false);
    StreamEvent bl = stream_event_init(STREAM_EVENT_BLOCKED);
    bl.reason = "SAFETY";
    reply_apply_event(r, &bl, 20);
    reply_finish(r, 30);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "Sure, here\n\n[blocked: SAFETY]");
    pane_free(p);
    reply_free(r);

    r = reply_new("openai:x", "openai", "x");
    reply_start(r, 0);
    p = pane_new(60);
    v = (ReplyView){ 0 };
    put(r, STREAM_EVENT_DELTA, "Partial", 10);
    reply_fail(r, 0, "overloaded_error", "Overloaded", 20);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "Partial\n\n[error: overloaded_error] Overloaded");
    pane_free(p);
    reply_free(r);
}

/* Issue 12: the pane says which chat template formatted a local prompt, the
 * model's own or a hand-written fallback (and why), as `versus run` does. */
Test(replyview, a_local_reply_says_which_chat_template_formatted_its_prompt)
{
    Reply *r = reply_new("local:gemma.gguf", "local", "gemma.gguf");
    reply_start(r, 0);
    snprintf(r->chat_template, sizeof r->chat_template, "%s",
             "fallback gemma format: the file has no chat template; its vocabulary has <start_of_turn>");
    r->chat_template_fallback = true;
    Pane *p = pane_new(60);
    ReplyView v = { 0 };
    put(r, STREAM_EVENT_DELTA, "Paris.", 10);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "Paris.", "the note waits for the end: %s", text_of(p));
    reply_finish(r, 20);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "Paris.\n\n[chat template: fallback gemma format: the file has no chat "
                                 "template; its vocabulary has <start_of_turn>]");
    pane_free(p);
    reply_free(r);

    /* an API reply has none: nothing is added */
    r = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    reply_start(r, 0);
    p = pane_new(60);
    v = (ReplyView){ 0 };
    put(r, STREAM_EVENT_DELTA, "Paris.", 10);
    reply_finish(r, 20);
    replyview_sync(&v, p, r, false, false);
    cr_assert_str_eq(text_of(p), "Paris.");
    pane_free(p);
    reply_free(r);
}

/* Tryout 2 #29: in a blind round a pane that was not sent printed its spec
 * ("refused: openai:gpt-4o-mini@http://localhost:1/v1 would send the key
 * ..."), which told the evaluator which models were in the round. Until the
 * round is labelled the closing lines say what happened, not to whom. */
Test(replyview, a_blind_round_keeps_what_names_the_model_out_of_errors_until_the_names_are_revealed)
{
    Reply *ns = reply_new("openai:gpt-4o-mini@http://localhost:1/v1", "openai", "gpt-4o-mini");
    reply_not_sent(ns, "refused", "openai:gpt-4o-mini@http://localhost:1/v1 would send the key of provider 'openai'");
    reply_set_hint(ns, "pass --send-key-to http://localhost:1/v1");
    Reply *er = reply_new("openai-compat:qwen@http://127.0.0.1:1/v1", "openai-compat", "qwen");
    reply_start(er, 0);
    reply_fail(er, 0, "connection", "http://127.0.0.1:1/v1: could not connect", 30);
    Reply *lo = reply_new("local:SmolLM2-135M-Instruct", "local", "SmolLM2-135M-Instruct");
    reply_start(lo, 0);
    put(lo, STREAM_EVENT_DELTA, "Hello.", 10);
    snprintf(lo->chat_template, sizeof lo->chat_template, "the model's own (SmolLM2-135M-Instruct)");
    reply_finish(lo, 20);
    Reply *rs[] = { ns, er, lo };
    const char *names[] = { "gpt-4o-mini", "127.0.0.1", "SmolLM2" };
    const char *shown[] = { "[not sent]", "[error: connection]", "Hello." };
    for (int i = 0; i < 3; i++) {
        Pane *p = pane_new(60);
        ReplyView v = { 0 };
        replyview_sync(&v, p, rs[i], false, true);
        cr_assert(strstr(text_of(p), shown[i]), "what happened is shown: %s", text_of(p));
        cr_assert_null(strstr(text_of(p), names[i]), "blind: no '%s' in %s", names[i], text_of(p));
        replyview_sync(&v, p, rs[i], false, false); /* labelled: the names are revealed */
        cr_assert(strstr(text_of(p), names[i]), "revealed: '%s' in %s", names[i], text_of(p));
        pane_free(p);
        reply_free(rs[i]);
    }
}
