/* openai_responses.c — the OpenAI Responses API: request and stream events
 * (see openai_responses.h).
 *
 * Named SSE events whose "type" repeats the name; no [DONE]: the stream ends
 * with response.completed, response.incomplete or response.failed (an
 * `error` event may come first; openai_common.c turns that one into ERROR).
 * Events used: output_text.delta (answer), reasoning_summary_text.delta and
 * reasoning_text.delta (reasoning), refusal.delta, output_item.added/done
 * and function_call_arguments.delta/done (tool calls), and the terminal
 * events' usage. Every other type (created, in_progress, content_part.*,
 * *.done echoes, annotations, future ones) is ignored. */
#include "providers/openai_responses.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- which models ------------------------------------------------------------ */

bool openai_model_is_reasoning(const char *model)
{
    static const char *const prefixes[] = { "o1", "o3", "o4", "gpt-5", "codex" };
    if (!model)
        return false;
    const char *bare = strrchr(model, '/'); /* "openai/o4-mini" through a gateway */
    bare = bare ? bare + 1 : model;
    if (strstr(bare, "-chat"))
        return false; /* gpt-5-chat-latest: the non-reasoning chat model */
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(bare, prefixes[i], n) == 0 &&
            (bare[n] == '\0' || bare[n] == '-' || bare[n] == '.'))
            return true;
    }
    return false;
}

/* ---- request ----------------------------------------------------------------- */

static char *build_body(const ProviderTarget *t, const Request *rq)
{
    const Params *p = &rq->params;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int bad = wire_json_add_text(root, "model", t->model);
    if (rq->system && rq->system[0])
        bad |= wire_json_add_text(root, "instructions", rq->system);
    /* the conversation: earlier turns, then the prompt */
    bad |= wire_json_add_messages(cJSON_AddArrayToObject(root, "input"), rq, "assistant");
    bad |= cJSON_AddTrueToObject(root, "stream") ? 0 : -1;
    /* a workbench round is not a conversation to keep on OpenAI's side */
    bad |= cJSON_AddFalseToObject(root, "store") ? 0 : -1;
    if (p->max_tokens >= 0)
        bad |= wire_json_add_long(root, "max_output_tokens", p->max_tokens);
    bad |= wire_json_add_double(root, "temperature", p->temperature);
    bad |= wire_json_add_double(root, "top_p", p->top_p);
    const char *effort = reasoning_level_name(reasoning_level(&p->reasoning));
    if (effort && p->reasoning.effort != REASONING_OFF) {
        cJSON *r = cJSON_AddObjectToObject(root, "reasoning");
        bad |= r && cJSON_AddStringToObject(r, "effort", effort) && cJSON_AddStringToObject(r, "summary", "auto")
                   ? 0
                   : -1;
    }
    char *body = bad ? NULL : wire_json_print(root);
    cJSON_Delete(root);
    return body;
}

int openai_responses_build_request(const ProviderTarget *t, const Request *rq, const char *dflt_base,
                                   HttpRequestSpec *out, char *err, size_t errlen)
{
    const char *base = wire_request_begin(t->name ? t->name : "openai", t, rq, "set OPENAI_API_KEY", dflt_base,
                                          out, err, errlen);
    if (!base || wire_request_json(out, wire_join_url(base, "/responses"), build_body(t, rq),
                                   "text/event-stream", err, errlen) < 0)
        return -1;
    if (wire_add_bearer(&out->headers, t->api_key, err, errlen) < 0) {
        http_spec_free(out);
        return -1;
    }
    return 0;
}

/* ---- events ------------------------------------------------------------------ */

bool openai_responses_is_event(const char *type) { return type && strncmp(type, "response.", 9) == 0; }

static void emit_str(WireStream *ws, StreamEventKind kind, const cJSON *root, const char *key)
{
    const char *s = wire_json_str(root, key);
    if (s)
        stream_emit_text(ws->sink, kind, s, strlen(s));
}

static void emit_usage(WireStream *ws, const cJSON *u)
{
    if (!cJSON_IsObject(u))
        return;
    Usage out = usage_unknown();
    out.input_tokens = wire_json_count(u, "input_tokens");
    out.output_tokens = wire_json_count(u, "output_tokens");
    const cJSON *in = wire_json_at(u, "input_tokens_details", NULL);
    out.cached_input_tokens = wire_json_count(in, "cached_tokens");
    out.cache_write_tokens = wire_json_count(in, "cache_write_tokens");
    out.reasoning_tokens = wire_json_count(wire_json_at(u, "output_tokens_details", NULL), "reasoning_tokens");
    stream_emit_usage(ws->sink, out);
}

/* A server-side tool OpenAI ran itself (web_search_call, code_interpreter_call,
 * file_search_call, ...): recorded as a call named after it, with its action. */
static void emit_builtin_call(WireStream *ws, const cJSON *item, const char *type)
{
    char name[64];
    size_t n = strlen(type) - 5; /* without "_call" */
    snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), type);
    const cJSON *action = wire_json_at(item, "action", NULL);
    if (!action)
        action = wire_json_at(item, "code", NULL);
    char *args = action ? wire_json_print(action) : NULL;
    stream_emit_tool_call(ws->sink, wire_json_str(item, "id"), name, args);
    free(args);
}

static void item_added(WireStream *ws, WireTools *tools, long index, const cJSON *item)
{
    const char *type = wire_json_str(item, "type");
    if (!type || (strcmp(type, "function_call") != 0 && strcmp(type, "mcp_call") != 0))
        return;
    const char *id = wire_json_str(item, "call_id");
    if (wire_tools_begin(tools, index, id ? id : wire_json_str(item, "id"), wire_json_str(item, "name")) < 0)
        wire_stream_fail(ws, WIRE_TOOLS_LIMITS);
    const char *args = wire_json_str(item, "arguments");
    if (args && args[0] && wire_tools_set_args(tools, index, args) < 0)
        wire_stream_fail(ws, WIRE_TOOLS_LIMITS);
}

static void item_done(WireStream *ws, WireTools *tools, long index, const cJSON *item)
{
    const char *type = wire_json_str(item, "type");
    if (!type)
        return;
    if (strcmp(type, "function_call") == 0 || strcmp(type, "mcp_call") == 0) {
        if (!wire_tools_has(tools, index))
            item_added(ws, tools, index, item);
        const char *args = wire_json_str(item, "arguments");
        if (args && args[0] && wire_tools_set_args(tools, index, args) < 0)
            wire_stream_fail(ws, WIRE_TOOLS_LIMITS);
        wire_tools_emit(tools, index, ws->sink);
    } else if (strlen(type) > 5 && strcmp(type + strlen(type) - 5, "_call") == 0) {
        emit_builtin_call(ws, item, type);
    }
}

/* response.completed / response.incomplete: the stream's proper end. */
static void finish(WireStream *ws, WireTools *tools, const cJSON *resp, bool incomplete)
{
    wire_tools_emit_all(tools, ws->sink);
    const char *why = wire_json_str(wire_json_at(resp, "incomplete_details", NULL), "reason");
    if (!incomplete)
        stream_emit_finish(ws->sink, "stop");
    else if (why && strcmp(why, "max_output_tokens") == 0)
        stream_emit_finish(ws->sink, "length");
    else if (why && strcmp(why, "content_filter") == 0) {
        stream_emit_blocked(ws->sink, "content_filter");
        stream_emit_finish(ws->sink, "content_filter");
    } else {
        stream_emit_finish(ws->sink, why ? why : "incomplete");
    }
    emit_usage(ws, wire_json_at(resp, "usage", NULL));
    ws->done = true;
    stream_emit_done(ws->sink);
}

static void failed(WireStream *ws, const cJSON *resp)
{
    const cJSON *e = wire_json_at(resp, "error", NULL);
    const char *code = wire_json_str(e, "code");
    const char *msg = wire_json_str(e, "message");
    emit_usage(ws, wire_json_at(resp, "usage", NULL));
    stream_emit_error(ws->sink, 0, code && code[0] ? code : "response_failed",
                      msg && msg[0] ? msg : "the response failed (response.failed without a message)");
    ws->failed = true;
}

void openai_responses_event(OpenAiResponses *st, WireStream *ws, WireTools *tools, const char *type,
                            const cJSON *root)
{
    const char *t = type + 9; /* after "response." */
    long index = wire_json_count(root, "output_index");
    if (strcmp(t, "output_text.delta") == 0) {
        emit_str(ws, STREAM_EVENT_DELTA, root, "delta");
    } else if (strcmp(t, "reasoning_summary_text.delta") == 0 || strcmp(t, "reasoning_text.delta") == 0) {
        emit_str(ws, STREAM_EVENT_REASONING, root, "delta");
    } else if (strcmp(t, "reasoning_summary_part.added") == 0) {
        if (st->summary_parts++ > 0)
            stream_emit_text(ws->sink, STREAM_EVENT_REASONING, "\n\n", 2);
    } else if (strcmp(t, "refusal.delta") == 0) {
        const char *s = wire_json_str(root, "delta");
        if (s && s[0])
            stream_emit_refusal(ws->sink, "refusal", s, strlen(s));
    } else if (strcmp(t, "output_item.added") == 0) {
        item_added(ws, tools, index, wire_json_at(root, "item", NULL));
    } else if (strcmp(t, "function_call_arguments.delta") == 0 ||
               strcmp(t, "mcp_call_arguments.delta") == 0) {
        const char *s = wire_json_str(root, "delta");
        if (s && wire_tools_append(tools, index, s, strlen(s)) < 0)
            wire_stream_fail(ws, WIRE_TOOLS_LIMITS);
    } else if (strcmp(t, "function_call_arguments.done") == 0) {
        const char *s = wire_json_str(root, "arguments");
        if (s && wire_tools_set_args(tools, index, s) < 0)
            wire_stream_fail(ws, WIRE_TOOLS_LIMITS);
    } else if (strcmp(t, "output_item.done") == 0) {
        item_done(ws, tools, index, wire_json_at(root, "item", NULL));
    } else if (strcmp(t, "completed") == 0) {
        finish(ws, tools, wire_json_at(root, "response", NULL), false);
    } else if (strcmp(t, "incomplete") == 0) {
        finish(ws, tools, wire_json_at(root, "response", NULL), true);
    } else if (strcmp(t, "failed") == 0) {
        failed(ws, wire_json_at(root, "response", NULL));
    }
}
