/* openai_common.c — OpenAI Chat Completions requests and stream decoding
 * (see openai_common.h). Data-only SSE, one JSON chunk per event, ended by
 * `data: [DONE]`. Pure: no I/O. */
#include "providers/openai_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"
#include "providers/openai_responses.h"
#include "providers/wire.h"

/* ---- request ---------------------------------------------------------------- */

static char *build_body(const ProviderTarget *t, const Request *rq, OpenAiDialect dialect)
{
    const Params *p = &rq->params;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int bad = wire_json_add_chat(root, t, rq);
    cJSON *so = cJSON_AddObjectToObject(root, "stream_options");
    bad |= so && cJSON_AddTrueToObject(so, "include_usage") ? 0 : -1;
    if (p->max_tokens >= 0)
        bad |= wire_json_add_long(root, dialect == OPENAI_DIALECT_OFFICIAL ? "max_completion_tokens"
                                                                           : "max_tokens",
                                  p->max_tokens);
    bad |= wire_json_add_double(root, "temperature", p->temperature);
    bad |= wire_json_add_double(root, "top_p", p->top_p);
    if (dialect == OPENAI_DIALECT_COMPAT && p->top_k >= 0)
        bad |= wire_json_add_long(root, "top_k", p->top_k);
    if (p->seed_set && p->seed >= 0)
        bad |= wire_json_add_long(root, "seed", p->seed);
    /* reasoning_effort: what compatible servers (vLLM, llama-server, Ollama
     * /v1, OpenRouter) read; the official API only for a reasoning model the
     * config sends through Chat Completions */
    const char *effort = reasoning_level_name(reasoning_level(&p->reasoning));
    if (effort && (dialect == OPENAI_DIALECT_COMPAT || openai_model_is_reasoning(t->model)))
        bad |= cJSON_AddStringToObject(root, "reasoning_effort",
                                       p->reasoning.effort == REASONING_OFF ? "none" : effort)
                   ? 0
                   : -1;
    char *body = bad ? NULL : wire_json_print(root);
    cJSON_Delete(root);
    return body;
}

int openai_common_build_request(const ProviderTarget *t, const Request *rq, OpenAiDialect dialect,
                                const char *dflt_base, HttpRequestSpec *out, char *err,
                                size_t errlen)
{
    const char *base = wire_request_begin(
        t->name ? t->name : "openai", t, rq,
        dialect == OPENAI_DIALECT_OFFICIAL ? "set OPENAI_API_KEY" : NULL, dflt_base, out, err, errlen);
    if (!base || wire_request_json(out, wire_join_url(base, "/chat/completions"),
                                   build_body(t, rq, dialect), "text/event-stream", err, errlen) < 0)
        return -1;
    if (t->api_key && t->api_key[0] && wire_add_bearer(&out->headers, t->api_key, err, errlen) < 0) {
        http_spec_free(out);
        return -1;
    }
    return 0;
}

/* ---- errors ----------------------------------------------------------------- */

/* The error envelope's fields, from any of the shapes OpenAI-style servers
 * use: {"error":{...}}, {"error":"text"}, flat {"object":"error",...}. */
static void error_fields(const cJSON *root, ProviderError *pe)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(e)) {
        if (wire_json_str(e, "message"))
            wire_copy(pe->message, sizeof pe->message, wire_json_str(e, "message"));
        const char *code = wire_json_str(e, "code");
        if (code && code[0])
            wire_copy(pe->type, sizeof pe->type, code);
        else if (!wire_json_scalar_text(e, "type", pe->type, sizeof pe->type) &&
                 !wire_json_scalar_text(e, "code", pe->type, sizeof pe->type))
            wire_json_scalar_text(e, "status", pe->type, sizeof pe->type);
    } else if (cJSON_IsString(e) && e->valuestring) {
        wire_copy(pe->message, sizeof pe->message, e->valuestring);
    } else if (wire_json_str(root, "message")) {
        wire_copy(pe->message, sizeof pe->message, wire_json_str(root, "message"));
        const char *type = wire_json_str(root, "type");
        if (type && strcmp(type, "error") == 0) {
            /* the Responses API's documented error event, {"type":"error",
             * "code","message"}: the code says what went wrong */
            wire_json_scalar_text(root, "code", pe->type, sizeof pe->type);
        } else if (!wire_json_scalar_text(root, "type", pe->type, sizeof pe->type)) {
            wire_json_scalar_text(root, "code", pe->type, sizeof pe->type);
        }
    }
}

static bool is_error_chunk(const cJSON *root)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(e) || (cJSON_IsString(e) && e->valuestring && e->valuestring[0]))
        return true;
    const char *object = wire_json_str(root, "object");
    return object && strcmp(object, "error") == 0;
}

void openai_common_parse_error(int http_status, const char *body, size_t n, ProviderError *out)
{
    wire_error_init(out);
    cJSON *root = wire_error_json(http_status, body, n, out);
    if (!root)
        return;
    error_fields(root, out);
    wire_error_common(http_status, root, body, n, out);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    const char *etype = wire_json_str(e, "type");
    const char *ecode = wire_json_str(e, "code");
    if ((etype && strcmp(etype, "insufficient_quota") == 0) ||
        (ecode && strcmp(ecode, "insufficient_quota") == 0) || http_status == 402)
        out->no_retry = true;
    cJSON_Delete(root);
}

/* ---- decoder ---------------------------------------------------------------- */

typedef struct OpenAiDecoder {
    WireStream ws; /* first, for wire_decoder_*; done: [DONE] seen, later events ignored */
    WireTools tools;           /* chat tool_calls by index, Responses calls by output index */
    OpenAiResponses responses; /* Responses API events */
} OpenAiDecoder;

static void emit_stream_error(OpenAiDecoder *d, const cJSON *root, const char *data, size_t n)
{
    ProviderError pe;
    wire_error_init(&pe);
    error_fields(root, &pe);
    if (!pe.message[0]) {
        char snip[200];
        wire_snippet(snip, sizeof snip, data, n, 160);
        snprintf(pe.message, sizeof pe.message, "error event in the stream: %s", snip);
    }
    stream_emit_error(d->ws.sink, 0, pe.type[0] ? pe.type : NULL, pe.message);
    d->ws.failed = true;
}

static void emit_usage(OpenAiDecoder *d, const cJSON *usage)
{
    Usage u = usage_unknown();
    u.input_tokens = wire_json_count(usage, "prompt_tokens");
    u.output_tokens = wire_json_count(usage, "completion_tokens");
    u.reasoning_tokens =
        wire_json_count(wire_json_at(usage, "completion_tokens_details", NULL), "reasoning_tokens");
    const cJSON *ptd = wire_json_at(usage, "prompt_tokens_details", NULL);
    u.cached_input_tokens = wire_json_count(ptd, "cached_tokens");
    u.cache_write_tokens = wire_json_count(ptd, "cache_write_tokens");
    double cost = wire_json_num(usage, "cost", -1.0);
    u.reported_cost_usd = cost >= 0 ? cost : -1.0;
    stream_emit_usage(d->ws.sink, u);
}

static void emit_timings(OpenAiDecoder *d, const cJSON *t)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_TIMINGS);
    ev.server_prompt_tokens_per_s = wire_json_num(t, "prompt_per_second", -1.0);
    ev.server_output_tokens_per_s = wire_json_num(t, "predicted_per_second", -1.0);
    ev.server_prompt_tokens = wire_json_count(t, "prompt_n");
    ev.server_output_tokens = wire_json_count(t, "predicted_n");
    if (d->ws.sink && d->ws.sink->emit)
        d->ws.sink->emit(d->ws.sink->user, &ev);
}

static void emit_string(OpenAiDecoder *d, StreamEventKind kind, const cJSON *obj, const char *key)
{
    const char *s = wire_json_str(obj, key);
    if (s)
        stream_emit_text(d->ws.sink, kind, s, strlen(s));
}

/* Collects one choice's delta.tool_calls pieces (id and name first, the
 * arguments in later chunks, by index). */
static void take_tool_calls(OpenAiDecoder *d, const cJSON *delta)
{
    const cJSON *tc;
    long pos = 0;
    cJSON_ArrayForEach(tc, wire_json_array(wire_json_at(delta, "tool_calls", NULL)))
    {
        long index = wire_json_count(tc, "index");
        if (index < 0)
            index = pos;
        pos++;
        const cJSON *fn = wire_json_at(tc, "function", NULL);
        const char *args = wire_json_str(fn, "arguments");
        if (wire_tools_begin(&d->tools, index, wire_json_str(tc, "id"), wire_json_str(fn, "name")) < 0 ||
            (args && wire_tools_append(&d->tools, index, args, strlen(args)) < 0)) {
            wire_stream_fail(&d->ws, WIRE_TOOLS_LIMITS);
            return;
        }
    }
}

static void handle_chunk(OpenAiDecoder *d, const cJSON *root)
{
    const char *finish = NULL;
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *choice;
    cJSON_ArrayForEach(choice, wire_json_array(choices))
    {
        long index = wire_json_count(choice, "index");
        if (index > 0)
            continue; /* we ask for one choice; ignore any other */
        const cJSON *delta = wire_json_at(choice, "delta", NULL);
        const char *rc = wire_json_str(delta, "reasoning_content");
        if (rc && rc[0])
            stream_emit_text(d->ws.sink, STREAM_EVENT_REASONING, rc, strlen(rc));
        else
            emit_string(d, STREAM_EVENT_REASONING, delta, "reasoning");
        emit_string(d, STREAM_EVENT_DELTA, delta, "content");
        const char *refusal = wire_json_str(delta, "refusal");
        if (refusal && refusal[0])
            stream_emit_refusal(d->ws.sink, "refusal", refusal, strlen(refusal));
        take_tool_calls(d, delta);
        if (d->ws.failed)
            return;
        if (wire_json_str(choice, "finish_reason"))
            finish = wire_json_str(choice, "finish_reason");
    }
    if (finish) {
        wire_tools_emit_all(&d->tools, d->ws.sink);
        if (strcmp(finish, "content_filter") == 0)
            stream_emit_blocked(d->ws.sink, "content_filter");
        stream_emit_finish(d->ws.sink, finish);
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage))
        emit_usage(d, usage);
    const cJSON *timings = cJSON_GetObjectItemCaseSensitive(root, "timings");
    if (cJSON_IsObject(timings))
        emit_timings(d, timings);
}

/* llama.cpp builds before 2025-09 report errors in a non-standard SSE field:
 * `error: {"code":400,"message":"...","type":"..."}`. */
static int handle_unknown_line(OpenAiDecoder *d, const char *line, size_t n)
{
    if (n < 6 || memcmp(line, "error:", 6) != 0)
        return 0;
    const char *v = line + 6;
    size_t vn = n - 6;
    cJSON *root = wire_json_parse(v, vn);
    ProviderError pe;
    wire_error_init(&pe);
    if (cJSON_IsObject(root)) {
        wire_copy(pe.message, sizeof pe.message, wire_json_str(root, "message") ? wire_json_str(root, "message") : "");
        if (!wire_json_scalar_text(root, "type", pe.type, sizeof pe.type))
            wire_json_scalar_text(root, "code", pe.type, sizeof pe.type);
    }
    if (!pe.message[0]) {
        char snip[200];
        wire_snippet(snip, sizeof snip, v, vn, 160);
        snprintf(pe.message, sizeof pe.message, "error field in the stream: %s", snip);
    }
    cJSON_Delete(root);
    stream_emit_error(d->ws.sink, 0, pe.type[0] ? pe.type : NULL, pe.message);
    d->ws.failed = true;
    return 1;
}

static bool trimmed_equals(const char *s, size_t n, const char *want)
{
    while (n > 0 && (s[0] == ' ' || s[0] == '\t'))
        s++, n--;
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

static int on_sse(void *user, const SseEvent *ev)
{
    OpenAiDecoder *d = user;
    if (ev->kind == SSE_UNKNOWN_LINE)
        return handle_unknown_line(d, ev->data, ev->data_len);
    if (wire_blank(ev->data, ev->data_len))
        return 0; /* `data:` with nothing: no chunk to decode */
    if (trimmed_equals(ev->data, ev->data_len, "[DONE]")) {
        wire_tools_emit_all(&d->tools, d->ws.sink);
        d->ws.done = true;
        stream_emit_done(d->ws.sink);
        return 0;
    }
    /* the connection closing mid-event is a truncation, not bad JSON */
    cJSON *root = wire_stream_parse_object(&d->ws, ev->data, ev->data_len);
    if (!root)
        return 0;
    const char *type = wire_json_str(root, "type");
    if (is_error_chunk(root) || strcmp(ev->type, "error") == 0 || (type && strcmp(type, "error") == 0))
        emit_stream_error(d, root, ev->data, ev->data_len);
    else if (openai_responses_is_event(type))
        openai_responses_event(&d->responses, &d->ws, &d->tools, type, root);
    else
        handle_chunk(d, root);
    cJSON_Delete(root);
    return 0;
}

void *openai_common_decoder_new(void)
{
    return wire_decoder_new_sse(sizeof(OpenAiDecoder), on_sse, true);
}

void openai_common_decoder_free(void *dec)
{
    OpenAiDecoder *d = dec;
    if (d)
        wire_tools_free(&d->tools);
    wire_decoder_free(d);
}
