/* test_providers.c — the HTTP providers' wire formats, with no network.
 *
 * Every transcript in tests/transcripts/ is decoded whole, byte by byte, split
 * at every offset and in random pieces, and must give the same events each
 * time; the text, reasoning, finish reason, usage, timings, end marker and
 * errors are then checked against what the transcript says. Also: request
 * URLs, headers and bodies (fields present only when set, the Gemini key never
 * in the URL, no header injection), the error bodies of formats.md, hostile
 * stream input, and the registry. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "providers/provider.h"

/* ---- recording sink ---------------------------------------------------------- */

typedef struct Rec {
    Buf log; /* every event, canonical, for comparing chunkings */
    Buf text, reasoning;
    char finish[64];
    Usage usage; /* merged like Reply does */
    int n_usage, n_done, n_error, n_timings, n_after_final;
    char err_type[64], err_msg[512];
    int err_status;
    double prompt_tps, output_tps;
    long server_prompt_n, server_output_n;
} Rec;

static void rec_init(Rec *r)
{
    memset(r, 0, sizeof *r);
    r->usage = usage_unknown();
    r->prompt_tps = r->output_tps = -1;
    r->server_prompt_n = r->server_output_n = -1;
}

static void rec_free(Rec *r)
{
    buf_free(&r->log);
    buf_free(&r->text);
    buf_free(&r->reasoning);
}

static void merge(Usage *u, const Usage *v)
{
    if (v->input_tokens >= 0) u->input_tokens = v->input_tokens;
    if (v->output_tokens >= 0) u->output_tokens = v->output_tokens;
    if (v->reasoning_tokens >= 0) u->reasoning_tokens = v->reasoning_tokens;
    if (v->cached_input_tokens >= 0) u->cached_input_tokens = v->cached_input_tokens;
    if (v->cache_write_tokens >= 0) u->cache_write_tokens = v->cache_write_tokens;
    if (v->reported_cost_usd >= 0) u->reported_cost_usd = v->reported_cost_usd;
}

static void rec_emit(void *user, const StreamEvent *ev)
{
    Rec *r = user;
    if (r->n_done || r->n_error)
        r->n_after_final++;
    switch (ev->kind) {
    case STREAM_EVENT_DELTA:
    case STREAM_EVENT_REASONING:
        cr_assert_gt(ev->len, 0, "no empty text events");
        buf_printf(&r->log, "%c%zu:", ev->kind == STREAM_EVENT_DELTA ? 'D' : 'R', ev->len);
        buf_append(&r->log, ev->text, ev->len);
        buf_append(ev->kind == STREAM_EVENT_DELTA ? &r->text : &r->reasoning, ev->text, ev->len);
        break;
    case STREAM_EVENT_USAGE:
        buf_printf(&r->log, "U:%ld,%ld,%ld,%ld,%ld,%.9g", ev->usage.input_tokens, ev->usage.output_tokens,
                   ev->usage.reasoning_tokens, ev->usage.cached_input_tokens,
                   ev->usage.cache_write_tokens, ev->usage.reported_cost_usd);
        merge(&r->usage, &ev->usage);
        r->n_usage++;
        break;
    case STREAM_EVENT_TIMINGS:
        buf_printf(&r->log, "T:%.6g,%.6g,%ld,%ld", ev->server_prompt_tokens_per_s,
                   ev->server_output_tokens_per_s, ev->server_prompt_tokens, ev->server_output_tokens);
        r->prompt_tps = ev->server_prompt_tokens_per_s;
        r->output_tps = ev->server_output_tokens_per_s;
        r->server_prompt_n = ev->server_prompt_tokens;
        r->server_output_n = ev->server_output_tokens;
        r->n_timings++;
        break;
    case STREAM_EVENT_FINISH:
        cr_assert_not_null(ev->finish_reason);
        buf_printf(&r->log, "F:%s", ev->finish_reason);
        snprintf(r->finish, sizeof r->finish, "%s", ev->finish_reason);
        break;
    case STREAM_EVENT_ERROR:
        buf_printf(&r->log, "E:%d,%s,%s", ev->http_status, ev->error_type ? ev->error_type : "(null)",
                   ev->error_message ? ev->error_message : "(null)");
        snprintf(r->err_type, sizeof r->err_type, "%s", ev->error_type ? ev->error_type : "");
        snprintf(r->err_msg, sizeof r->err_msg, "%s", ev->error_message ? ev->error_message : "");
        r->err_status = ev->http_status;
        r->n_error++;
        break;
    case STREAM_EVENT_DONE:
        buf_puts(&r->log, "X");
        r->n_done++;
        break;
    }
    buf_puts(&r->log, "\n");
}

/* Feeds bytes in pieces ending at cuts[], stopping at the first -1 as the
 * HTTP layer would, then ends the body. Returns the first failing feed's
 * result (-1) or 0. */
static int decode(const ProviderOps *ops, const char *s, size_t n, const size_t *cuts, size_t ncuts,
                  Rec *r)
{
    void *dec = ops->decoder_new();
    cr_assert_not_null(dec);
    StreamSink sink = { rec_emit, r };
    int rc = 0;
    size_t at = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        rc = ops->decoder_feed(dec, s + at, end - at, &sink);
        at = end;
    }
    if (rc == 0)
        ops->decoder_end(dec, &sink);
    else
        cr_assert_eq(ops->decoder_feed(dec, "data: {}\n\n{}\n", 13, &sink), -1,
                     "a failed decoder stays failed");
    ops->decoder_free(dec);
    return rc;
}

static char *read_transcript(const char *name, size_t *n)
{
    const char *src = getenv("VERSUS_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/transcripts/%s", src && *src ? src : VERSUS_SRCDIR, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    Buf b = { 0 };
    char chunk[4096];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, got);
    fclose(f);
    *n = b.len;
    return buf_steal(&b);
}

/* Decodes in every chunking, asserts the events never change, and leaves
 * the whole-input decoding in *out. Returns the feed result. */
static int decode_all_ways(const ProviderOps *ops, const char *s, size_t n, Rec *out)
{
    rec_init(out);
    int rc = decode(ops, s, n, NULL, 0, out);
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    for (size_t i = 0; i + 1 < n; i++)
        cuts[i] = i + 1;
    Rec r;
    rec_init(&r);
    cr_assert_eq(decode(ops, s, n, cuts, n > 0 ? n - 1 : 0, &r), rc, "byte by byte: same result");
    cr_assert_str_eq(buf_str(&r.log), buf_str(&out->log), "byte by byte: same events");
    rec_free(&r);
    for (size_t k = 1; k < n; k++) {
        rec_init(&r);
        cr_assert_eq(decode(ops, s, n, &k, 1, &r), rc);
        cr_assert_str_eq(buf_str(&r.log), buf_str(&out->log), "split at %zu: same events", k);
        rec_free(&r);
    }
    unsigned seed = 2024;
    for (int round = 0; round < 40; round++) {
        size_t nc = 0, at = 0;
        for (;;) {
            seed = seed * 1103515245u + 12345u;
            at += 1 + (seed >> 16) % 23;
            if (at >= n)
                break;
            cuts[nc++] = at;
        }
        rec_init(&r);
        cr_assert_eq(decode(ops, s, n, cuts, nc, &r), rc);
        cr_assert_str_eq(buf_str(&r.log), buf_str(&out->log), "random chunking %d: same events", round);
        rec_free(&r);
    }
    free(cuts);
    cr_assert_eq(out->n_after_final, 0, "nothing is emitted after DONE or ERROR");
    return rc;
}

/* ---- transcripts ------------------------------------------------------------- */

#define NR (-1L) /* not reported */

typedef struct Expect {
    const char *provider;
    const char *text, *reasoning, *finish; /* finish "" = none */
    long in, out, reasoning_tokens, cached, cache_write;
    double cost;      /* < 0: none */
    bool done;
    const char *err_type;   /* NULL: no error expected; "" = error without type */
    const char *err_substr; /* part of the error message */
    double prompt_tps, output_tps; /* < 0: no TIMINGS expected */
} Expect;

static void check_transcript(const char *file, Expect e)
{
    const ProviderOps *ops = provider_find(e.provider);
    cr_assert_not_null(ops, "provider %s", e.provider);
    size_t n;
    char *s = read_transcript(file, &n);
    Rec r;
    int rc = decode_all_ways(ops, s, n, &r);
    cr_assert_str_eq(buf_str(&r.text), e.text, "%s: text", file);
    cr_assert_str_eq(buf_str(&r.reasoning), e.reasoning, "%s: reasoning", file);
    cr_assert_str_eq(r.finish, e.finish, "%s: finish", file);
    cr_assert_eq(r.usage.input_tokens, e.in, "%s: input tokens", file);
    cr_assert_eq(r.usage.output_tokens, e.out, "%s: output tokens", file);
    cr_assert_eq(r.usage.reasoning_tokens, e.reasoning_tokens, "%s: reasoning tokens", file);
    cr_assert_eq(r.usage.cached_input_tokens, e.cached, "%s: cached tokens", file);
    cr_assert_eq(r.usage.cache_write_tokens, e.cache_write, "%s: cache write tokens", file);
    if (e.cost < 0)
        cr_assert_lt(r.usage.reported_cost_usd, 0, "%s: no cost", file);
    else
        cr_assert_float_eq(r.usage.reported_cost_usd, e.cost, 1e-12, "%s: cost", file);
    cr_assert_eq(r.n_done, e.done ? 1 : 0, "%s: DONE count", file);
    if (e.err_type) {
        cr_assert_eq(rc, -1, "%s: feed fails on the error", file);
        cr_assert_eq(r.n_error, 1, "%s: one ERROR", file);
        cr_assert_str_eq(r.err_type, e.err_type, "%s: error type", file);
        cr_assert(strstr(r.err_msg, e.err_substr), "%s: error message '%s'", file, r.err_msg);
        cr_assert_eq(r.err_status, 0, "in-stream errors carry no HTTP status");
    } else {
        cr_assert_eq(rc, 0, "%s: feed succeeds", file);
        cr_assert_eq(r.n_error, 0, "%s: no ERROR (got %s)", file, r.err_msg);
    }
    if (e.prompt_tps < 0 && e.output_tps < 0) {
        cr_assert_eq(r.n_timings, 0, "%s: no TIMINGS", file);
    } else {
        cr_assert_float_eq(r.prompt_tps, e.prompt_tps, 1e-6, "%s: prompt tokens/s", file);
        cr_assert_float_eq(r.output_tps, e.output_tps, 1e-6, "%s: output tokens/s", file);
    }
    rec_free(&r);
    free(s);
}

#define BASE .cost = -1, .prompt_tps = -1, .output_tps = -1

Test(transcript, openai_happy_path_with_usage_chunk)
{
    check_transcript("openai-happy.sse",
                     (Expect){ .provider = "openai", .text = "Hello there!", .reasoning = "", .finish = "stop",
                               .in = 19, .out = 3, .reasoning_tokens = 0, .cached = 0, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, openai_without_usage_chunk_reports_no_usage)
{
    check_transcript("openai-no-usage.sse",
                     (Expect){ .provider = "openai", .text = "Hello there!", .reasoning = "", .finish = "stop",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, openai_reasoning_consuming_the_budget_is_not_an_error)
{
    check_transcript("openai-reasoning-length.sse",
                     (Expect){ .provider = "openai", .text = "", .reasoning = "", .finish = "length",
                               .in = 12, .out = 100, .reasoning_tokens = 100, .cached = 0, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, openai_midstream_error_keeps_partial_text)
{
    check_transcript("openai-midstream-error.sse",
                     (Expect){ .provider = "openai", .text = "A good question", .reasoning = "", .finish = "",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "server_error", .err_substr = "The server had an error", BASE });
}

Test(transcript, openai_multibyte_utf8_survives_every_split)
{
    check_transcript("openai-utf8.sse",
                     (Expect){ .provider = "openai", .text = "Привет, 世界 👋🏽 café", .reasoning = "",
                               .finish = "stop", .in = 2006, .out = 9, .reasoning_tokens = 0, .cached = 1920,
                               .cache_write = NR, .done = true, BASE });
}

Test(transcript, openai_lone_cr_framing)
{
    check_transcript("openai-cr-framing.sse",
                     (Expect){ .provider = "openai", .text = "Hi!", .reasoning = "", .finish = "stop",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, llama_server_usage_and_timings)
{
    check_transcript("compat-llama-happy.sse",
                     (Expect){ .provider = "openai-compat", .text = "Hello there!", .reasoning = "",
                               .finish = "stop", .in = 23, .out = 3, .reasoning_tokens = NR, .cached = NR,
                               .cache_write = NR, .done = true, .cost = -1, .prompt_tps = 558.25,
                               .output_tps = 64.79 });
}

Test(transcript, llama_server_reasoning_content_is_kept_apart)
{
    check_transcript("compat-llama-reasoning.sse",
                     (Expect){ .provider = "openai-compat", .text = "Hi!", .reasoning = "The user greets me.",
                               .finish = "stop", .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR,
                               .cache_write = NR, .done = true, .cost = -1, .prompt_tps = 550.0,
                               .output_tps = 100.0 });
}

Test(transcript, llama_server_old_error_field_is_an_error)
{
    check_transcript("compat-llama-old-error.sse",
                     (Expect){ .provider = "openai-compat", .text = "", .reasoning = "", .finish = "",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "exceed_context_size_error",
                               .err_substr = "exceeds the available context size", BASE });
}

Test(transcript, done_without_blank_line_at_close_still_counts)
{
    check_transcript("compat-done-no-blank.sse",
                     (Expect){ .provider = "openai-compat", .text = "ok", .reasoning = "", .finish = "stop",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, vllm_flat_error_after_reasoning)
{
    check_transcript("compat-vllm-flat-error.sse",
                     (Expect){ .provider = "openai-compat", .text = "Par", .reasoning = "Thinking", .finish = "",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "InternalServerError",
                               .err_substr = "The engine has stopped unexpectedly.", BASE });
}

Test(transcript, openrouter_comments_reasoning_and_cost)
{
    check_transcript("compat-openrouter.sse",
                     (Expect){ .provider = "openai-compat", .text = "Yes", .reasoning = "Short.", .finish = "length",
                               .in = 37, .out = 8, .reasoning_tokens = 5, .cached = 0, .cache_write = 0,
                               .cost = 0.000007765, .done = true, .prompt_tps = -1, .output_tps = -1 });
}

Test(transcript, openrouter_error_as_only_event)
{
    check_transcript("compat-openrouter-error.sse",
                     (Expect){ .provider = "openai-compat", .text = "", .reasoning = "", .finish = "",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "server_error", .err_substr = "Provider disconnected unexpectedly",
                               BASE });
}

Test(transcript, anthropic_happy_path_with_ping)
{
    check_transcript("anthropic-happy.sse",
                     (Expect){ .provider = "anthropic", .text = "Hello there!", .reasoning = "", .finish = "stop",
                               .in = 21, .out = 6, .reasoning_tokens = NR, .cached = 0, .cache_write = 0,
                               .done = true, BASE });
}

Test(transcript, anthropic_thinking_and_cache_counts)
{
    /* input reported as the whole prompt: 50 + 1000 written + 2000 read */
    check_transcript("anthropic-thinking.sse",
                     (Expect){ .provider = "anthropic", .text = "2 + 2 = 4 — “four”.",
                               .reasoning = "Let me think about 2+2.", .finish = "length", .in = 3050, .out = 42,
                               .reasoning_tokens = NR, .cached = 2000, .cache_write = 1000, .done = true, BASE });
}

Test(transcript, anthropic_overloaded_midstream)
{
    check_transcript("anthropic-midstream-error.sse",
                     (Expect){ .provider = "anthropic", .text = "Partial answer", .reasoning = "", .finish = "",
                               .in = 21, .out = NR, .reasoning_tokens = NR, .cached = 0, .cache_write = 0,
                               .err_type = "overloaded_error", .err_substr = "Overloaded", BASE });
}

Test(transcript, anthropic_cut_mid_event_is_a_silent_truncation)
{
    check_transcript("anthropic-truncated.sse",
                     (Expect){ .provider = "anthropic", .text = "Hello", .reasoning = "", .finish = "",
                               .in = 21, .out = NR, .reasoning_tokens = NR, .cached = 0, .cache_write = 0,
                               .done = false, BASE });
}

Test(transcript, gemini_crlf_happy_path_done_at_close)
{
    check_transcript("gemini-happy.sse",
                     (Expect){ .provider = "gemini", .text = "Hello there!", .reasoning = "", .finish = "stop",
                               .in = 9, .out = 31, .reasoning_tokens = 28, .cached = 4, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, gemini_thought_parts_and_max_tokens)
{
    check_transcript("gemini-thinking.sse",
                     (Expect){ .provider = "gemini", .text = "Autumn moon — quiet",
                               .reasoning = "**Planning**\nThe user wants a haiku.", .finish = "length", .in = 9,
                               .out = 255, .reasoning_tokens = 250, .cached = NR, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, gemini_midstream_error)
{
    check_transcript("gemini-midstream-error.sse",
                     (Expect){ .provider = "gemini", .text = "Once", .reasoning = "", .finish = "", .in = 9,
                               .out = 1, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "UNAVAILABLE", .err_substr = "The model is overloaded", BASE });
}

Test(transcript, gemini_without_usage_and_safety_finish)
{
    check_transcript("gemini-no-usage.sse",
                     (Expect){ .provider = "gemini", .text = "Sure, here", .reasoning = "", .finish = "safety",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, BASE });
}

Test(transcript, gemini_close_without_finish_reason_is_not_done)
{
    check_transcript("gemini-truncated.sse",
                     (Expect){ .provider = "gemini", .text = "Hello wor", .reasoning = "", .finish = "", .in = 9,
                               .out = 2, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = false, BASE });
}

Test(transcript, gemini_bare_pretty_printed_error_json)
{
    check_transcript("gemini-bare-error.sse",
                     (Expect){ .provider = "gemini", .text = "", .reasoning = "", .finish = "", .in = NR,
                               .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "RESOURCE_EXHAUSTED", .err_substr = "Resource has been exhausted",
                               BASE });
}

Test(transcript, ollama_happy_path_usage_and_speed)
{
    check_transcript("ollama-happy.ndjson",
                     (Expect){ .provider = "ollama", .text = "Hello there!", .reasoning = "", .finish = "stop",
                               .in = 26, .out = 4, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, .cost = -1, .prompt_tps = 26 / 0.355, .output_tps = 4 / 0.1511 });
}

Test(transcript, ollama_thinking_and_omitted_prompt_count)
{
    check_transcript("ollama-thinking.ndjson",
                     (Expect){ .provider = "ollama", .text = "Hi", .reasoning = "Hmm, simple.", .finish = "length",
                               .in = NR, .out = 50, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, .cost = -1, .prompt_tps = -1, .output_tps = 100.0 });
}

Test(transcript, ollama_error_line_midstream)
{
    check_transcript("ollama-midstream-error.ndjson",
                     (Expect){ .provider = "ollama", .text = "Hello wor", .reasoning = "", .finish = "",
                               .in = NR, .out = NR, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .err_type = "", .err_substr = "an error was encountered while running the model",
                               BASE });
}

Test(transcript, ollama_crlf_blank_line_and_no_final_newline)
{
    check_transcript("ollama-crlf-no-final-newline.ndjson",
                     (Expect){ .provider = "ollama", .text = "Héllo 🌍", .reasoning = "", .finish = "stop",
                               .in = 26, .out = 4, .reasoning_tokens = NR, .cached = NR, .cache_write = NR,
                               .done = true, .cost = -1, .prompt_tps = 26 / 0.355, .output_tps = 4 / 0.1511 });
}

/* ---- hostile and odd streams ------------------------------------------------- */

static int decode_str(const char *provider, const char *s, size_t n, Rec *r)
{
    rec_init(r);
    return decode(provider_find(provider), s, n, NULL, 0, r);
}

Test(stream, invalid_json_is_an_error_and_stops_the_decoder)
{
    const char in[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\": [\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(buf_str(&r.text), "a");
    cr_assert_str_eq(r.err_type, "invalid_json");
    cr_assert(strncmp(r.err_msg, "invalid JSON in stream event: {\"choices\": [", 43) == 0, "%s", r.err_msg);
    rec_free(&r);
}

Test(stream, two_json_objects_in_one_event_are_refused)
{
    const char in[] = "data: {\"a\":1}\ndata: {\"b\":2}\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai-compat", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(r.err_type, "invalid_json");
    rec_free(&r);
}

Test(stream, empty_data_event_is_skipped)
{
    const char in[] = "data\n\ndata:\n\ndata: [DONE]\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), 0);
    cr_assert_eq(r.n_error, 0);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, events_after_done_are_ignored)
{
    const char in[] = "data: [DONE]\n\ndata: not json\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), 0);
    cr_assert_eq(r.n_error, 0);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, two_mebibyte_single_event_is_decoded)
{
    Buf in = { 0 };
    buf_puts(&in, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
    for (int i = 0; i < (2 << 20) / 8; i++)
        buf_puts(&in, "abcdefgh");
    buf_puts(&in, "\"}}]}\n\ndata: [DONE]\n\n");
    Rec r;
    cr_assert_eq(decode_str("openai", in.data, in.len, &r), 0);
    cr_assert_eq(r.text.len, (size_t)2 << 20);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
    buf_free(&in);
}

Test(stream, invalid_utf8_in_text_passes_through_unchanged)
{
    const char in[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\xff\xfe" "b\xe2\x82\"}}]}\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), 0);
    cr_assert_eq(r.text.len, 6);
    cr_assert(memcmp(r.text.data, "a\xff\xfe" "b\xe2\x82", 6) == 0);
    rec_free(&r);
}

Test(stream, non_object_json_is_refused)
{
    const char in[] = "data: 42\n\n";
    Rec r;
    cr_assert_eq(decode_str("anthropic", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(r.err_type, "invalid_json");
    rec_free(&r);
}

Test(stream, gemini_accepts_json_split_over_data_lines)
{
    const char in[] = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}]},\r\n"
                      "data:  \"finishReason\": \"STOP\"}]}\r\n\r\n";
    Rec r;
    cr_assert_eq(decode_str("gemini", in, sizeof in - 1, &r), 0);
    cr_assert_str_eq(buf_str(&r.text), "Hi");
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, gemini_blocked_prompt_finishes_with_block_reason)
{
    const char in[] = "data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"},"
                      "\"usageMetadata\": {\"promptTokenCount\": 7,\"totalTokenCount\": 7}}\r\n\r\n";
    Rec r;
    cr_assert_eq(decode_str("gemini", in, sizeof in - 1, &r), 0);
    cr_assert_str_eq(r.finish, "prohibited_content");
    cr_assert_eq(r.usage.input_tokens, 7);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, anthropic_event_name_missing_uses_json_type)
{
    const char in[] = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"
                      "event: future_event\ndata: {\"type\":\"future_event\"}\n\n"
                      "data: {\"type\":\"message_stop\"}\n\n";
    Rec r;
    cr_assert_eq(decode_str("anthropic", in, sizeof in - 1, &r), 0);
    cr_assert_str_eq(buf_str(&r.text), "x");
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, ollama_invalid_line_is_an_error)
{
    const char in[] = "{\"message\":{\"content\":\"a\"},\"done\":false}\n<html>\n";
    Rec r;
    cr_assert_eq(decode_str("ollama", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(r.err_type, "invalid_json");
    cr_assert(strstr(r.err_msg, "<html>"));
    rec_free(&r);
}

Test(stream, control_bytes_in_bad_json_do_not_reach_the_message)
{
    const char in[] = "data: \x1b[31m{oops\x07\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), -1);
    for (const char *p = r.err_msg; *p; p++)
        cr_assert((unsigned char)*p >= 0x20, "printable message: %s", r.err_msg);
    rec_free(&r);
}

Test(stream, mangled_transcripts_keep_the_decoder_contract)
{
    /* Each transcript with random bytes flipped, dropped or duplicated: the
     * decoder must not crash, must report a failed feed with exactly one
     * ERROR, and must emit nothing after ERROR or DONE. */
    static const char *const files[][2] = {
        { "openai-happy.sse", "openai" },         { "compat-llama-happy.sse", "openai-compat" },
        { "anthropic-thinking.sse", "anthropic" }, { "gemini-thinking.sse", "gemini" },
        { "ollama-happy.ndjson", "ollama" },
    };
    static const char noise[] = "{}[]\":,\\\r\n :data\xff\xc3\0";
    unsigned seed = 77;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        char *orig = read_transcript(files[f][0], &n);
        const ProviderOps *ops = provider_find(files[f][1]);
        for (int round = 0; round < 300; round++) {
            Buf m = { 0 };
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = (seed >> 16) % 200;
                if (r == 0)
                    continue; /* drop */
                if (r == 1)
                    buf_append(&m, &noise[(seed >> 8) % (sizeof noise - 1)], 1); /* insert */
                buf_append(&m, r == 2 ? &noise[(seed >> 4) % (sizeof noise - 1)] : &orig[i], 1);
            }
            Rec r;
            rec_init(&r);
            size_t cut = m.len / 2;
            int rc = decode(ops, m.data ? m.data : "", m.len, &cut, m.len ? 1 : 0, &r);
            cr_assert(r.n_error <= 1, "%s round %d: at most one ERROR", files[f][0], round);
            cr_assert_eq(r.n_after_final, 0, "%s round %d: nothing after the end", files[f][0], round);
            if (rc < 0)
                cr_assert_eq(r.n_error, 1, "%s round %d: a failed feed says why", files[f][0], round);
            rec_free(&r);
            buf_free(&m);
        }
        free(orig);
    }
}

/* ---- requests --------------------------------------------------------------- */

static const char *header(const HttpRequestSpec *spec, const char *name)
{
    size_t n = strlen(name);
    for (const struct curl_slist *h = spec->headers; h; h = h->next)
        if (strncasecmp(h->data, name, n) == 0 && h->data[n] == ':')
            return h->data + n + 2;
    return NULL;
}

static Request make_request(const char *system, const char *prompt)
{
    return (Request){ .system = system, .prompt = prompt, .params = params_default() };
}

static cJSON *build(const char *provider, const char *base, const char *key, const char *model,
                    const Request *rq, HttpRequestSpec *spec)
{
    ProviderTarget t = { .ops = provider_find(provider), .name = provider, .model = model,
                         .base_url = base, .api_key = key };
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, rq, spec, err, sizeof err), 0, "%s: %s", provider, err);
    cJSON *body = cJSON_Parse(spec->body);
    cr_assert_not_null(body, "body is JSON: %s", spec->body);
    return body;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

Test(request, openai_minimal_body_sends_only_what_is_set)
{
    Request rq = make_request(NULL, "Say hello.");
    HttpRequestSpec spec;
    cJSON *b = build("openai", NULL, "sk-test-123", "gpt-4.1-mini", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/chat/completions");
    cr_assert_str_eq(header(&spec, "Authorization"), "Bearer sk-test-123");
    cr_assert_str_eq(header(&spec, "Content-Type"), "application/json");
    cr_assert_str_eq(get(b, "model")->valuestring, "gpt-4.1-mini");
    const cJSON *msgs = get(b, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 1);
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "user");
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "content")->valuestring, "Say hello.");
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert(cJSON_IsTrue(get(get(b, "stream_options"), "include_usage")));
    cr_assert_null(get(b, "max_completion_tokens"));
    cr_assert_null(get(b, "max_tokens"));
    cr_assert_null(get(b, "temperature"));
    cr_assert_null(get(b, "top_p"));
    cr_assert_null(get(b, "seed"));
    cJSON_Delete(b);
    http_spec_free(&spec);
    cr_assert_null(spec.url);
}

Test(request, openai_full_body_and_exact_seed)
{
    Request rq = make_request("You are terse.", "Say hello.");
    rq.params.max_tokens = 64;
    rq.params.temperature = 0.2;
    rq.params.top_p = 0.9;
    rq.params.top_k = 40;
    rq.params.seed = 9007199254740993L; /* 2^53 + 1: not representable as a double */
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    cJSON *b = build("openai", "http://127.0.0.1:9/v1/", "k", "gpt-5", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://127.0.0.1:9/v1/chat/completions");
    const cJSON *msgs = get(b, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 2);
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "system");
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "content")->valuestring, "You are terse.");
    cr_assert_eq(get(b, "max_completion_tokens")->valuedouble, 64);
    cr_assert_null(get(b, "max_tokens"), "max_tokens is rejected by o-series and GPT-5 models");
    cr_assert_float_eq(get(b, "temperature")->valuedouble, 0.2, 1e-12);
    cr_assert_float_eq(get(b, "top_p")->valuedouble, 0.9, 1e-12);
    cr_assert_null(get(b, "top_k"), "OpenAI has no top_k");
    cr_assert(strstr(spec.body, "\"seed\":9007199254740993"), "%s", spec.body);
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, openai_requires_a_key)
{
    Request rq = make_request(NULL, "x");
    ProviderTarget t = { .ops = provider_find("openai"), .name = "openai", .model = "m" };
    HttpRequestSpec spec;
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1);
    cr_assert(strstr(err, "OPENAI_API_KEY"), "%s", err);
    cr_assert_null(spec.url);
}

Test(request, compat_uses_max_tokens_and_no_auth_without_key)
{
    Request rq = make_request(NULL, "x");
    rq.params.max_tokens = 32;
    rq.params.top_k = 20;
    HttpRequestSpec spec;
    cJSON *b = build("openai-compat", "http://localhost:8080/v1", NULL, "qwen3-8b", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://localhost:8080/v1/chat/completions");
    cr_assert_null(header(&spec, "Authorization"));
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 32);
    cr_assert_null(get(b, "max_completion_tokens"));
    cr_assert_eq(get(b, "top_k")->valuedouble, 20);
    cJSON_Delete(b);
    http_spec_free(&spec);

    b = build("openai-compat", "https://openrouter.ai/api/v1", "sk-or-v1-x", "deepseek/deepseek-v4.1-flash", &rq,
              &spec);
    cr_assert_str_eq(header(&spec, "Authorization"), "Bearer sk-or-v1-x");
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, compat_without_base_url_fails_clearly)
{
    Request rq = make_request(NULL, "x");
    ProviderTarget t = { .ops = provider_find("openai-compat"), .name = "openai-compat", .model = "m" };
    HttpRequestSpec spec;
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1);
    cr_assert(strstr(err, "base URL"), "%s", err);
}

Test(request, anthropic_headers_and_required_max_tokens)
{
    Request rq = make_request("You are terse.", "Say hello.");
    rq.params.temperature = 0.5;
    rq.params.seed = 7;
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    cJSON *b = build("anthropic", NULL, "sk-ant-xyz", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.anthropic.com/v1/messages");
    cr_assert_str_eq(header(&spec, "x-api-key"), "sk-ant-xyz");
    cr_assert_str_eq(header(&spec, "anthropic-version"), "2023-06-01");
    cr_assert_str_eq(header(&spec, "content-type"), "application/json");
    cr_assert_null(header(&spec, "Authorization"));
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 4096, "max_tokens is required: a default is sent");
    cr_assert_str_eq(get(b, "system")->valuestring, "You are terse.");
    const cJSON *msgs = get(b, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 1, "the system prompt is not a message");
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "user");
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert_float_eq(get(b, "temperature")->valuedouble, 0.5, 1e-12);
    cr_assert_null(get(b, "top_p"));
    cr_assert_null(get(b, "seed"), "Anthropic has no seed");
    cJSON_Delete(b);
    http_spec_free(&spec);

    rq = make_request(NULL, "x");
    rq.params.max_tokens = 100;
    b = build("anthropic", NULL, "k", "claude-haiku-4-5", &rq, &spec);
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 100);
    cr_assert_null(get(b, "system"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, gemini_key_in_header_never_in_url)
{
    Request rq = make_request("You are terse.", "Say hello.");
    rq.params.max_tokens = 256;
    rq.params.temperature = 0.2;
    rq.params.top_k = 40;
    rq.params.seed = 5;
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    const char *key = "AIzaSyTEST-key_123";
    cJSON *b = build("gemini", NULL, key, "gemini-2.5-flash", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://generativelanguage.googleapis.com/v1beta/models/"
                               "gemini-2.5-flash:streamGenerateContent?alt=sse");
    cr_assert_null(strstr(spec.url, key));
    cr_assert_null(strstr(spec.url, "key="));
    cr_assert_str_eq(header(&spec, "x-goog-api-key"), key);
    cr_assert_null(strstr(spec.body, key));
    const cJSON *c0 = cJSON_GetArrayItem(get(b, "contents"), 0);
    cr_assert_str_eq(get(c0, "role")->valuestring, "user");
    cr_assert_str_eq(get(cJSON_GetArrayItem(get(c0, "parts"), 0), "text")->valuestring, "Say hello.");
    const cJSON *si = get(b, "systemInstruction");
    cr_assert_str_eq(get(cJSON_GetArrayItem(get(si, "parts"), 0), "text")->valuestring, "You are terse.");
    const cJSON *gc = get(b, "generationConfig");
    cr_assert_eq(get(gc, "maxOutputTokens")->valuedouble, 256);
    cr_assert_float_eq(get(gc, "temperature")->valuedouble, 0.2, 1e-12);
    cr_assert_eq(get(gc, "topK")->valuedouble, 40);
    cr_assert_eq(get(gc, "seed")->valuedouble, 5);
    cr_assert_null(get(gc, "topP"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, gemini_bare_request_and_escaped_model)
{
    Request rq = make_request(NULL, "x");
    HttpRequestSpec spec;
    cJSON *b = build("gemini", "http://127.0.0.1:8000/", "k", "models/my model?x#y", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://127.0.0.1:8000/v1beta/models/my%20model%3Fx%23y:streamGenerateContent?alt=sse");
    cr_assert_null(get(b, "generationConfig"), "nothing set: no generationConfig");
    cr_assert_null(get(b, "systemInstruction"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, ollama_options_and_host_forms)
{
    Request rq = make_request("sys", "hi");
    rq.params.max_tokens = 256;
    rq.params.temperature = 0.2;
    rq.params.top_k = 20;
    rq.params.seed = 1;
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    cJSON *b = build("ollama", NULL, NULL, "llama3.2", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://127.0.0.1:11434/api/chat");
    cr_assert_null(header(&spec, "Authorization"));
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert_eq(cJSON_GetArraySize(get(b, "messages")), 2);
    const cJSON *o = get(b, "options");
    cr_assert_eq(get(o, "num_predict")->valuedouble, 256);
    cr_assert_float_eq(get(o, "temperature")->valuedouble, 0.2, 1e-12);
    cr_assert_eq(get(o, "top_k")->valuedouble, 20);
    cr_assert_eq(get(o, "seed")->valuedouble, 1);
    cr_assert_null(get(o, "top_p"));
    cJSON_Delete(b);
    http_spec_free(&spec);

    static const char *const forms[][2] = {
        { "localhost:11434", "http://localhost:11434/api/chat" },
        { "gpu-box", "http://gpu-box:11434/api/chat" },
        { ":8080", "http://127.0.0.1:8080/api/chat" },
        { "https://ollama.example.com", "https://ollama.example.com/api/chat" },
        { "[::1]", "http://[::1]:11434/api/chat" },
    };
    Request plain = make_request(NULL, "hi");
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        b = build("ollama", forms[i][0], NULL, "m", &plain, &spec);
        cr_assert_str_eq(spec.url, forms[i][1], "OLLAMA_HOST=%s", forms[i][0]);
        cr_assert_null(get(b, "options"), "nothing set: no options");
        cJSON_Delete(b);
        http_spec_free(&spec);
    }
}

Test(request, header_injection_through_the_key_is_refused)
{
    Request rq = make_request(NULL, "x");
    const char *providers[] = { "openai", "anthropic", "gemini", "openai-compat", "ollama" };
    for (size_t i = 0; i < 5; i++) {
        ProviderTarget t = { .ops = provider_find(providers[i]), .name = providers[i], .model = "m",
                             .base_url = "http://127.0.0.1:1", .api_key = "abc\r\nX-Evil: 1" };
        HttpRequestSpec spec;
        char err[256] = "";
        cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1, "%s", providers[i]);
        cr_assert(strstr(err, "control characters"), "%s", err);
        cr_assert_null(strstr(err, "abc"), "the key is not echoed");
        cr_assert_null(spec.url);
    }
}

Test(request, prompt_text_is_escaped_and_invalid_utf8_replaced)
{
    Request rq = make_request(NULL, "quote \" backslash \\ newline \n tab \t bad \xff end");
    HttpRequestSpec spec;
    cJSON *b = build("openai", NULL, "k", "m", &rq, &spec);
    const char *content = get(cJSON_GetArrayItem(get(b, "messages"), 0), "content")->valuestring;
    cr_assert_str_eq(content, "quote \" backslash \\ newline \n tab \t bad \xEF\xBF\xBD end");
    cJSON_Delete(b);
    http_spec_free(&spec);
}

/* ---- error bodies ------------------------------------------------------------ */

static ProviderError perr(const char *provider, int status, const char *body)
{
    ProviderError e;
    memset(&e, 0x55, sizeof e); /* parse_error must initialise everything */
    provider_find(provider)->parse_error(status, body, strlen(body), &e);
    return e;
}

Test(error_body, openai_bad_key)
{
    ProviderError e = perr("openai", 401,
        "{\n    \"error\": {\n        \"message\": \"Incorrect API key provided: sk-abc***xyz. You can find your "
        "API key at https://platform.openai.com/account/api-keys.\",\n        \"type\": \"invalid_request_error\",\n"
        "        \"param\": null,\n        \"code\": \"invalid_api_key\"\n    }\n}\n");
    cr_assert_str_eq(e.type, "invalid_api_key");
    cr_assert(strncmp(e.message, "Incorrect API key provided", 26) == 0);
    cr_assert(!e.no_retry);
    cr_assert_lt(e.retry_after_s, 0);
}

Test(error_body, openai_rate_limit_is_retryable_quota_is_not)
{
    ProviderError e = perr("openai", 429,
        "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in organization org-XXX on tokens per min (TPM): "
        "Limit 30000, Used 14567, Requested 24754. Please try again in 18.642s.\",\"type\":\"tokens\",\"param\":null,"
        "\"code\":\"rate_limit_exceeded\"}}");
    cr_assert_str_eq(e.type, "rate_limit_exceeded");
    cr_assert(!e.no_retry);
    e = perr("openai", 429,
             "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan and billing details.\","
             "\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}");
    cr_assert(e.no_retry);
    cr_assert_str_eq(e.type, "insufficient_quota");
    e = perr("openai", 429,
             "{\"error\":{\"type\":\"insufficient_quota\",\"code\":\"credit_balance_exhausted\",\"message\":\"You have "
             "no credits remaining\"}}");
    cr_assert(e.no_retry);
    cr_assert_str_eq(e.message, "You have no credits remaining");
}

Test(error_body, openai_server_error_with_null_code)
{
    ProviderError e = perr("openai", 500,
        "{\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\","
        "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
    cr_assert_str_eq(e.type, "server_error");
    cr_assert(strstr(e.message, "Sorry about that"));
}

Test(error_body, html_and_empty_bodies_get_a_clear_message)
{
    ProviderError e = perr("openai", 502,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
        "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n");
    cr_assert(strncmp(e.message, "HTTP 502 with a non-JSON body: <html> <head><title>502 Bad Gateway", 66) == 0,
              "%s", e.message);
    cr_assert_str_eq(e.type, "");
    e = perr("anthropic", 503, "  \n");
    cr_assert_str_eq(e.message, "HTTP 503 with an empty body");
    /* long garbage is cut to about 200 bytes and made printable */
    char junk[2000];
    for (size_t i = 0; i < sizeof junk - 1; i++)
        junk[i] = (char)(i % 7 == 0 ? 0x01 : 'a' + i % 26);
    junk[sizeof junk - 1] = '\0';
    e = perr("gemini", 500, junk);
    cr_assert_lt(strlen(e.message), 260);
    cr_assert(strstr(e.message, "..."));
    for (const char *p = e.message; *p; p++)
        cr_assert((unsigned char)*p >= 0x20);
}

Test(error_body, compat_server_dialects)
{
    ProviderError e = perr("openai-compat", 401, "{\"error\": \"Unauthorized\"}");
    cr_assert_str_eq(e.message, "Unauthorized");
    e = perr("openai-compat", 400,
             "{\"object\":\"error\",\"message\":\"This model's maximum context length is 2048 tokens.\","
             "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}");
    cr_assert_str_eq(e.type, "BadRequestError");
    cr_assert(strstr(e.message, "maximum context length"));
    e = perr("openai-compat", 401, "{\"error\":{\"code\":401,\"message\":\"Invalid API Key\",\"type\":\"authentication_error\"}}");
    cr_assert_str_eq(e.type, "authentication_error");
    cr_assert_str_eq(e.message, "Invalid API Key");
    e = perr("openai-compat", 402, "{\"error\":{\"code\":402,\"message\":\"Insufficient credits\",\"metadata\":{}}}");
    cr_assert_str_eq(e.type, "402");
    cr_assert(e.no_retry);
    e = perr("openai-compat", 404, "{\"detail\":\"Not Found\"}");
    cr_assert_str_eq(e.message, "Not Found");
}

Test(error_body, anthropic_envelope)
{
    ProviderError e = perr("anthropic", 529,
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},"
        "\"request_id\":\"req_011CUsTMtCigNnRnCqMjkTwg\"}");
    cr_assert_str_eq(e.type, "overloaded_error");
    cr_assert_str_eq(e.message, "Overloaded");
    cr_assert(!e.no_retry && !e.auth);
    e = perr("anthropic", 401,
             "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
    cr_assert_str_eq(e.type, "authentication_error");
    cr_assert_str_eq(e.message, "invalid x-api-key");
}

Test(error_body, gemini_bad_key_is_auth_on_a_400)
{
    ProviderError e = perr("gemini", 400,
        "{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"API key not valid. Please pass a valid API key.\",\n"
        "    \"status\": \"INVALID_ARGUMENT\",\n    \"details\": [\n      {\n        \"@type\": "
        "\"type.googleapis.com/google.rpc.ErrorInfo\",\n        \"reason\": \"API_KEY_INVALID\",\n        \"domain\": "
        "\"googleapis.com\",\n        \"metadata\": {\"service\": \"generativelanguage.googleapis.com\"}\n      },\n"
        "      {\"@type\": \"type.googleapis.com/google.rpc.LocalizedMessage\", \"locale\": \"en-US\", \"message\": "
        "\"API key not valid. Please pass a valid API key.\"}\n    ]\n  }\n}\n");
    cr_assert(e.auth);
    cr_assert_str_eq(e.type, "INVALID_ARGUMENT");
    cr_assert_str_eq(e.message, "API key not valid. Please pass a valid API key.");
}

Test(error_body, gemini_retry_info_and_daily_quota)
{
    const char *fmt =
        "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota. Please retry in 12.595337758s.\","
        "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
        "\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/generate_content_free_tier_requests\","
        "\"quotaId\":\"%s\",\"quotaDimensions\":{\"location\":\"global\",\"model\":\"gemini-2.5-flash\"},"
        "\"quotaValue\":\"10\"}]},{\"@type\":\"type.googleapis.com/google.rpc.Help\",\"links\":[{\"description\":"
        "\"Learn more\",\"url\":\"https://ai.google.dev/gemini-api/docs/rate-limits\"}]},{\"@type\":"
        "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"%s\"}]}}";
    char body[1500];
    snprintf(body, sizeof body, fmt, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "12s");
    ProviderError e = perr("gemini", 429, body);
    cr_assert_str_eq(e.type, "RESOURCE_EXHAUSTED");
    cr_assert_float_eq(e.retry_after_s, 12.0, 1e-9);
    cr_assert(!e.no_retry);
    cr_assert(!e.auth);
    snprintf(body, sizeof body, fmt, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "2.500s");
    e = perr("gemini", 429, body);
    cr_assert_float_eq(e.retry_after_s, 2.5, 1e-9);
    cr_assert(e.no_retry, "a daily quota does not come back after a short wait");
}

Test(error_body, gemini_array_wrapped_and_overload)
{
    ProviderError e = perr("gemini", 503,
        "[{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}]");
    cr_assert_str_eq(e.type, "UNAVAILABLE");
    cr_assert_str_eq(e.message, "The model is overloaded. Please try again later.");
    cr_assert_lt(e.retry_after_s, 0);
}

Test(error_body, ollama_string_error)
{
    ProviderError e = perr("ollama", 404, "{\"error\":\"model \\\"foo\\\" not found, try pulling it first\"}");
    cr_assert_str_eq(e.message, "model \"foo\" not found, try pulling it first");
    cr_assert_str_eq(e.type, "");
}

Test(error_body, unknown_json_shape_shows_a_snippet)
{
    ProviderError e = perr("anthropic", 418, "{\"teapot\": true}");
    cr_assert(strstr(e.message, "HTTP 418"), "%s", e.message);
    cr_assert(strstr(e.message, "teapot"), "%s", e.message);
}

/* ---- registry ---------------------------------------------------------------- */

Test(registry, every_provider_by_name_in_display_order)
{
    static const char *const names[] = { "openai", "anthropic", "gemini", "ollama", "openai-compat" };
    const ProviderOps *const *all = provider_all();
    size_t n = 0;
    while (all[n])
        n++;
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(all[i]->name, names[i]);
        cr_assert_eq(provider_find(names[i]), all[i]);
        cr_assert_not_null(all[i]->key_envs);
        cr_assert_not_null(all[i]->build_request);
        cr_assert_not_null(all[i]->parse_error);
    }
    cr_assert_null(provider_find("local"));
    cr_assert_null(provider_find("OpenAI"));
    cr_assert_null(provider_find(NULL));
}

Test(registry, closed_flags_keys_and_base_urls)
{
    const ProviderOps *o = provider_find("openai"), *a = provider_find("anthropic"),
                      *g = provider_find("gemini"), *l = provider_find("ollama"),
                      *c = provider_find("openai-compat");
    cr_assert(o->closed && a->closed && g->closed);
    cr_assert(!l->closed && !c->closed);
    cr_assert_str_eq(o->key_envs[0], "OPENAI_API_KEY");
    cr_assert_str_eq(a->key_envs[0], "ANTHROPIC_API_KEY");
    cr_assert_str_eq(g->key_envs[0], "GEMINI_API_KEY");
    cr_assert_str_eq(g->key_envs[1], "GOOGLE_API_KEY");
    cr_assert_null(g->key_envs[2]);
    cr_assert_null(l->key_envs[0]);
    cr_assert_null(c->key_envs[0]);
    cr_assert_str_eq(o->base_url_env, "OPENAI_BASE_URL");
    cr_assert_str_eq(a->base_url_env, "ANTHROPIC_BASE_URL");
    cr_assert_str_eq(g->base_url_env, "GEMINI_BASE_URL");
    cr_assert_str_eq(l->base_url_env, "OLLAMA_HOST");
    cr_assert_str_eq(o->default_base_url, "https://api.openai.com/v1");
    cr_assert_str_eq(a->default_base_url, "https://api.anthropic.com");
    cr_assert_str_eq(g->default_base_url, "https://generativelanguage.googleapis.com");
    cr_assert_str_eq(l->default_base_url, "http://127.0.0.1:11434");
    cr_assert_null(c->default_base_url);
}
