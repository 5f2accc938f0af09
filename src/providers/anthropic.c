/* anthropic.c — the "anthropic" provider: the Messages API, streamed.
 *
 * Named SSE events (message_start, content_block_delta, message_delta,
 * message_stop, ping, error), each carrying a JSON object whose "type"
 * repeats the event name. Usage arrives in two halves: input and cache counts
 * in message_start, cumulative output counts in message_delta. Usage.input_tokens
 * is reported as the whole prompt: input_tokens + cache reads + cache writes
 * (Anthropic's own input_tokens excludes both). Extended thinking is asked
 * for with "thinking": {"type": "enabled", "budget_tokens"} when --reasoning
 * says so; thinking blocks stream as reasoning, redacted_thinking blocks
 * (encrypted) are only counted, signatures are left in the recording;
 * tool_use blocks become tool calls; stop_reason "refusal" a refusal.
 * Pure: no I/O. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"
#include "providers/builtin.h"
#include "providers/wire.h"

#define ANTHROPIC_DEFAULT_MAX_TOKENS 4096L
#define ANTHROPIC_MIN_THINKING_BUDGET 1024L /* the API refuses less */
#define ANTHROPIC_THINKING_MIN_TOP_P 0.95 /* the lowest top_p it takes beside thinking */

/* ---- request ---------------------------------------------------------------- */

/* The thinking budget asked for (0: none) and the max_tokens that goes with
 * it: max_tokens must exceed the budget, so without --max-tokens the answer
 * gets its default room on top of the budget, and with one the budget is
 * cut to fit under it. -1 with err when even the minimum budget can not fit. */
static int thinking_budget(const Params *p, long *budget, long *max_tokens, char *err, size_t errlen)
{
    long want = reasoning_budget_tokens(&p->reasoning);
    *max_tokens = p->max_tokens >= 0 ? p->max_tokens : ANTHROPIC_DEFAULT_MAX_TOKENS;
    *budget = 0;
    if (want <= 0)
        return 0;
    if (want < ANTHROPIC_MIN_THINKING_BUDGET)
        want = ANTHROPIC_MIN_THINKING_BUDGET;
    if (p->max_tokens < 0) {
        *max_tokens = want + ANTHROPIC_DEFAULT_MAX_TOKENS;
    } else if (want >= p->max_tokens) {
        if (p->max_tokens <= ANTHROPIC_MIN_THINKING_BUDGET) {
            snprintf(err, errlen, "anthropic: extended thinking needs --max-tokens above %ld (the budget "
                     "must be at least %ld and below max_tokens)", ANTHROPIC_MIN_THINKING_BUDGET,
                     ANTHROPIC_MIN_THINKING_BUDGET);
            return -1;
        }
        want = p->max_tokens - 1;
    }
    *budget = want;
    return 0;
}

static char *build_body(const ProviderTarget *t, const Request *rq, long budget, long max_tokens)
{
    const Params *p = &rq->params;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int bad = wire_json_add_text(root, "model", t->model);
    bad |= wire_json_add_long(root, "max_tokens", max_tokens);
    if (budget > 0) {
        cJSON *th = cJSON_AddObjectToObject(root, "thinking");
        bad |= th && cJSON_AddStringToObject(th, "type", "enabled") ? 0 : -1;
        bad |= th ? wire_json_add_long(th, "budget_tokens", budget) : -1;
    }
    if (rq->system && rq->system[0])
        bad |= wire_json_add_text(root, "system", rq->system);
    /* the conversation: earlier turns, then the prompt */
    bad |= wire_json_add_messages(cJSON_AddArrayToObject(root, "messages"), rq, "assistant");
    bad |= cJSON_AddTrueToObject(root, "stream") ? 0 : -1;
    if (budget > 0) {
        /* Extended thinking refuses temperature and top_k and takes top_p
         * only in [0.95, 1]: leave the first two out and clamp the third
         * rather than send a request the API answers with a 400. */
        double top_p = p->top_p;
        if (isfinite(top_p) && top_p < ANTHROPIC_THINKING_MIN_TOP_P)
            top_p = ANTHROPIC_THINKING_MIN_TOP_P;
        bad |= wire_json_add_double(root, "top_p", top_p);
    } else {
        bad |= wire_json_add_double(root, "temperature", p->temperature);
        bad |= wire_json_add_double(root, "top_p", p->top_p);
        if (p->top_k >= 0)
            bad |= wire_json_add_long(root, "top_k", p->top_k);
    }
    char *body = bad ? NULL : wire_json_print(root);
    cJSON_Delete(root);
    return body;
}

static int anthropic_build_request(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                                   char *err, size_t errlen)
{
    const char *base = wire_request_begin("anthropic", t, rq, "set ANTHROPIC_API_KEY",
                                          anthropic_provider.default_base_url, out, err, errlen);
    long budget, max_tokens;
    if (!base || thinking_budget(&rq->params, &budget, &max_tokens, err, errlen) < 0 ||
        wire_request_json(out, wire_join_url(base, "/v1/messages"), build_body(t, rq, budget, max_tokens),
                          "text/event-stream", err, errlen) < 0)
        return -1;
    if (wire_add_header(&out->headers, "anthropic-version", "2023-06-01", err, errlen) < 0 ||
        wire_add_header(&out->headers, "x-api-key", t->api_key, err, errlen) < 0) {
        http_spec_free(out);
        return -1;
    }
    return 0;
}

/* ---- errors ----------------------------------------------------------------- */

static void anthropic_parse_error(int http_status, const char *body, size_t n, ProviderError *out)
{
    wire_error_init(out);
    cJSON *root = wire_error_json(http_status, body, n, out);
    if (!root)
        return;
    /* {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}} */
    wire_error_common(http_status, root, body, n, out);
    const char *etype = wire_json_str(wire_json_at(root, "error", NULL), "type");
    if (etype && strcmp(etype, "billing_error") == 0)
        out->no_retry = true;
    cJSON_Delete(root);
}

/* ---- decoder ---------------------------------------------------------------- */

typedef struct AnthropicDecoder {
    WireStream ws; /* first: the wire_decoder_* functions rely on it */
    /* counts from message_start, updated by message_delta; -1 = not reported */
    long input, cache_read, cache_write, cache_write_1h;
    WireTools tools; /* tool_use blocks by content index */
} AnthropicDecoder;

static const char *map_stop_reason(const char *r)
{
    if (strcmp(r, "end_turn") == 0)
        return "stop";
    if (strcmp(r, "max_tokens") == 0)
        return "length";
    return r;
}

/* Folds the counts present in u into the decoder and emits a USAGE. */
static void take_usage(AnthropicDecoder *d, const cJSON *u, bool with_output)
{
    long v;
    if ((v = wire_json_count(u, "input_tokens")) >= 0)
        d->input = v;
    if ((v = wire_json_count(u, "cache_read_input_tokens")) >= 0)
        d->cache_read = v;
    if ((v = wire_json_count(u, "cache_creation_input_tokens")) >= 0)
        d->cache_write = v;
    if ((v = wire_json_count(wire_json_at(u, "cache_creation", NULL), "ephemeral_1h_input_tokens")) >= 0)
        d->cache_write_1h = v;
    Usage out = usage_unknown();
    if (d->input >= 0)
        out.input_tokens = d->input + (d->cache_read > 0 ? d->cache_read : 0) +
                           (d->cache_write > 0 ? d->cache_write : 0);
    out.cached_input_tokens = d->cache_read;
    out.cache_write_tokens = d->cache_write;
    out.cache_write_1h_tokens = d->cache_write_1h;
    if (with_output) {
        out.output_tokens = wire_json_count(u, "output_tokens");
        out.reasoning_tokens = wire_json_count(wire_json_at(u, "output_tokens_details", NULL), "thinking_tokens");
    }
    stream_emit_usage(d->ws.sink, out);
}

static void emit_error(AnthropicDecoder *d, const cJSON *root, const char *data, size_t n)
{
    const cJSON *e = wire_json_at(root, "error", NULL);
    const char *type = wire_json_str(e, "type");
    const char *msg = wire_json_str(e, "message");
    char buf[256];
    if (!msg) {
        char snip[200];
        wire_snippet(snip, sizeof snip, data, n, 160);
        snprintf(buf, sizeof buf, "error event in the stream: %s", snip);
        msg = buf;
    }
    stream_emit_error(d->ws.sink, 0, type, msg);
    d->ws.failed = true;
}

/* content_block_start: a redacted_thinking block is counted; a tool_use
 * (or server_tool_use) block starts a tool call whose input may follow in
 * input_json_delta pieces. Text and thinking blocks start empty. */
static void block_start(AnthropicDecoder *d, const cJSON *root)
{
    long index = wire_json_count(root, "index");
    const cJSON *b = wire_json_at(root, "content_block", NULL);
    const char *bt = wire_json_str(b, "type");
    if (!bt)
        return;
    if (strcmp(bt, "redacted_thinking") == 0) {
        stream_emit_redacted(d->ws.sink);
    } else if (strcmp(bt, "tool_use") == 0 || strcmp(bt, "server_tool_use") == 0) {
        if (wire_tools_begin(&d->tools, index, wire_json_str(b, "id"), wire_json_str(b, "name")) < 0) {
            wire_stream_fail(&d->ws, WIRE_TOOLS_LIMITS);
            return;
        }
        const cJSON *input = wire_json_at(b, "input", NULL);
        if (cJSON_IsObject(input) && input->child) { /* given whole, not streamed */
            char *s = wire_json_print(input);
            if (!s || wire_tools_set_args(&d->tools, index, s) < 0)
                wire_stream_fail(&d->ws, WIRE_TOOLS_LIMITS);
            free(s);
        }
    }
}

static void handle_event(AnthropicDecoder *d, const char *type, const cJSON *root, const char *data,
                         size_t n)
{
    if (strcmp(type, "content_block_delta") == 0) {
        const cJSON *delta = wire_json_at(root, "delta", NULL);
        const char *dt = wire_json_str(delta, "type");
        const char *s;
        if (dt && strcmp(dt, "text_delta") == 0 && (s = wire_json_str(delta, "text")))
            stream_emit_text(d->ws.sink, STREAM_EVENT_DELTA, s, strlen(s));
        else if (dt && strcmp(dt, "thinking_delta") == 0 && (s = wire_json_str(delta, "thinking")))
            stream_emit_text(d->ws.sink, STREAM_EVENT_REASONING, s, strlen(s));
        else if (dt && strcmp(dt, "input_json_delta") == 0 && (s = wire_json_str(delta, "partial_json")) &&
                 wire_tools_append(&d->tools, wire_json_count(root, "index"), s, strlen(s)) < 0)
            wire_stream_fail(&d->ws, WIRE_TOOLS_LIMITS);
        /* signature_delta, citations_delta, future deltas: kept in the recording only */
    } else if (strcmp(type, "content_block_start") == 0) {
        block_start(d, root);
    } else if (strcmp(type, "content_block_stop") == 0) {
        wire_tools_emit(&d->tools, wire_json_count(root, "index"), d->ws.sink);
    } else if (strcmp(type, "message_start") == 0) {
        const cJSON *u = wire_json_at(root, "message", "usage", NULL);
        if (cJSON_IsObject(u))
            take_usage(d, u, false); /* its output_tokens is a placeholder */
    } else if (strcmp(type, "message_delta") == 0) {
        const char *stop = wire_json_str(wire_json_at(root, "delta", NULL), "stop_reason");
        wire_tools_emit_all(&d->tools, d->ws.sink);
        if (stop && strcmp(stop, "refusal") == 0)
            stream_emit_refusal(d->ws.sink, "refusal", NULL, 0);
        if (stop)
            stream_emit_finish(d->ws.sink, map_stop_reason(stop));
        const cJSON *u = wire_json_at(root, "usage", NULL);
        if (cJSON_IsObject(u))
            take_usage(d, u, true);
    } else if (strcmp(type, "message_stop") == 0) {
        d->ws.done = true;
        stream_emit_done(d->ws.sink);
    } else if (strcmp(type, "error") == 0) {
        emit_error(d, root, data, n);
    }
    /* ping, content_block_start/stop and unknown future events: nothing */
}

static int on_sse(void *user, const SseEvent *ev)
{
    AnthropicDecoder *d = user;
    if (ev->kind != SSE_EVENT || wire_blank(ev->data, ev->data_len))
        return 0;
    cJSON *root = wire_stream_parse_object(&d->ws, ev->data, ev->data_len);
    if (!root)
        return 0; /* wire_stream_parse_object set failed when it was bad JSON */
    /* The event name decides; the JSON "type" stands in when the name is missing. */
    const char *type = strcmp(ev->type, "message") != 0 ? ev->type : wire_json_str(root, "type");
    if (type)
        handle_event(d, type, root, ev->data, ev->data_len);
    cJSON_Delete(root);
    return 0;
}

static void *anthropic_decoder_new(void)
{
    AnthropicDecoder *d = wire_decoder_new_sse(sizeof *d, on_sse, false);
    if (d)
        d->input = d->cache_read = d->cache_write = d->cache_write_1h = -1;
    return d;
}

static void anthropic_decoder_free(void *dec)
{
    AnthropicDecoder *d = dec;
    if (d)
        wire_tools_free(&d->tools);
    wire_decoder_free(d);
}

static const char *const anthropic_key_envs[] = { "ANTHROPIC_API_KEY", NULL };

const ProviderOps anthropic_provider = {
    .name = "anthropic",
    .key_envs = anthropic_key_envs,
    .base_url_env = "ANTHROPIC_BASE_URL",
    .default_base_url = "https://api.anthropic.com",
    .closed = true,
    .build_request = anthropic_build_request,
    .decoder_new = anthropic_decoder_new,
    .decoder_feed = wire_decoder_feed,
    .decoder_end = wire_decoder_end,
    .decoder_free = anthropic_decoder_free,
    .parse_error = anthropic_parse_error,
};
