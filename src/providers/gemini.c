/* gemini.c — the "gemini" provider: Google's Generative Language API,
 * :streamGenerateContent?alt=sse.
 *
 * Data-only SSE (CRLF framed), one full GenerateContentResponse per event, no
 * end marker: the connection closes after the chunk with a finishReason, so
 * decoder_end() is what emits DONE. usageMetadata carries running totals on
 * (almost) every chunk. The key travels in the x-goog-api-key header, never
 * in the URL (URLs end up in logs). As python-genai does, a JSON object sent
 * without `data:` (possibly over several lines) is also accepted. --reasoning
 * becomes generationConfig.thinkingConfig (thinkingBudget or, on Gemini 3,
 * thinkingLevel, with includeThoughts); "thought": true parts are reasoning;
 * functionCall and executableCode parts are tool calls; a blockReason or a
 * safety-type finishReason is a block. No I/O. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"
#include "providers/builtin.h"
#include "providers/wire.h"

#define GEMINI_MAX_BARE_JSON ((size_t)1 << 20) /* bytes of JSON sent without `data:` */

/* ---- request ---------------------------------------------------------------- */

static int add_text_parts(cJSON *obj, const char *text)
{
    cJSON *parts = cJSON_AddArrayToObject(obj, "parts");
    cJSON *part = cJSON_CreateObject();
    if (!parts || !part) {
        cJSON_Delete(part);
        return -1;
    }
    cJSON_AddItemToArray(parts, part);
    return wire_json_add_text(part, "text", text);
}

/* generationConfig.thinkingConfig for --reasoning: off is a zero budget
 * (Gemini 2.5 Flash turns thinking off; Pro refuses, and says so); a level
 * is thinkingLevel on Gemini 3 and the level's budget before; a budget is
 * thinkingBudget everywhere; thoughts are asked for whenever thinking is. */
static int add_thinking(cJSON *gc, const char *model, const Reasoning *r)
{
    if (r->effort == REASONING_UNSET)
        return 0;
    cJSON *tc = cJSON_AddObjectToObject(gc, "thinkingConfig");
    if (!tc)
        return -1;
    if (r->effort == REASONING_OFF)
        return wire_json_add_long(tc, "thinkingBudget", 0);
    int bad = 0;
    bool gemini3 = strncmp(model, "gemini-3", 8) == 0 || strstr(model, "/gemini-3") != NULL;
    if (gemini3 && r->effort != REASONING_BUDGET)
        bad |= cJSON_AddStringToObject(tc, "thinkingLevel", reasoning_level_name(r->effort)) ? 0 : -1;
    else
        bad |= wire_json_add_long(tc, "thinkingBudget", reasoning_budget_tokens(r));
    bad |= cJSON_AddTrueToObject(tc, "includeThoughts") ? 0 : -1;
    return bad;
}

static char *build_body(const char *model, const Request *rq)
{
    const Params *p = &rq->params;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int bad = 0;
    /* the conversation: earlier turns ("model" for the assistant's), then the prompt */
    cJSON *contents = cJSON_AddArrayToObject(root, "contents");
    if (!contents)
        bad = -1;
    for (size_t i = 0; !bad && i <= rq->n_history; i++) {
        const Message *h = i < rq->n_history ? &rq->history[i] : NULL;
        bool from_model = h && h->role && strcmp(h->role, "assistant") == 0;
        cJSON *turn = cJSON_CreateObject();
        if (!turn) {
            bad = -1;
            break;
        }
        cJSON_AddItemToArray(contents, turn);
        bad |= cJSON_AddStringToObject(turn, "role", from_model ? "model" : "user") ? 0 : -1;
        bad |= add_text_parts(turn, h ? (h->content ? h->content : "") : rq->prompt);
    }
    if (rq->system && rq->system[0]) {
        cJSON *si = cJSON_AddObjectToObject(root, "systemInstruction");
        bad |= si ? add_text_parts(si, rq->system) : -1;
    }
    cJSON *gc = cJSON_CreateObject();
    if (!gc) {
        cJSON_Delete(root);
        return NULL;
    }
    if (p->max_tokens >= 0)
        bad |= wire_json_add_long(gc, "maxOutputTokens", p->max_tokens);
    bad |= wire_json_add_double(gc, "temperature", p->temperature);
    bad |= wire_json_add_double(gc, "topP", p->top_p);
    if (p->top_k >= 0)
        bad |= wire_json_add_long(gc, "topK", p->top_k);
    if (p->seed_set && p->seed >= 0)
        bad |= wire_json_add_long(gc, "seed", p->seed);
    bad |= add_thinking(gc, model, &p->reasoning);
    if (gc->child)
        cJSON_AddItemToObject(root, "generationConfig", gc);
    else
        cJSON_Delete(gc);
    char *body = bad ? NULL : wire_json_print(root);
    cJSON_Delete(root);
    return body;
}

static char *build_url(const char *base, const char *model)
{
    if (strncmp(model, "models/", 7) == 0)
        model += 7;
    Buf b = { 0 };
    char *root = wire_join_url(base, "/v1beta/models/");
    int bad = !root || buf_puts(&b, root) < 0 || wire_append_escaped(&b, model) < 0 ||
              buf_puts(&b, ":streamGenerateContent?alt=sse") < 0;
    free(root);
    if (bad) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

static int gemini_build_request(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                                char *err, size_t errlen)
{
    const char *base = wire_request_begin("gemini", t, rq, "set GEMINI_API_KEY or GOOGLE_API_KEY",
                                          gemini_provider.default_base_url, out, err, errlen);
    if (!base || wire_request_json(out, build_url(base, t->model), build_body(t->model, rq),
                                   "text/event-stream", err, errlen) < 0)
        return -1;
    if (wire_add_header(&out->headers, "x-goog-api-key", t->api_key, err, errlen) < 0) {
        http_spec_free(out);
        return -1;
    }
    return 0;
}

/* ---- errors ----------------------------------------------------------------- */

/* A protobuf Duration in JSON ("12s", "2.500s") in seconds, or -1. */
static double parse_duration(const char *s)
{
    if (!s)
        return -1;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0 || strcmp(end, "s") != 0)
        return -1;
    return v;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static void read_details(const cJSON *details, ProviderError *out)
{
    const cJSON *d;
    cJSON_ArrayForEach(d, wire_json_array(details))
    {
        const char *reason = wire_json_str(d, "reason");
        if (reason && strcmp(reason, "API_KEY_INVALID") == 0)
            out->auth = true;
        const char *at = wire_json_str(d, "@type");
        if (at && ends_with(at, "RetryInfo")) {
            double s = parse_duration(wire_json_str(d, "retryDelay"));
            if (s >= 0)
                out->retry_after_s = s;
        }
        if (at && ends_with(at, "QuotaFailure")) {
            /* a per-day quota will not come back within a retry's wait */
            const cJSON *v;
            const cJSON *violations = wire_json_at(d, "violations", NULL);
            cJSON_ArrayForEach(v, wire_json_array(violations))
            {
                const char *id = wire_json_str(v, "quotaId");
                if (id && strstr(id, "PerDay"))
                    out->no_retry = true;
            }
        }
    }
}

static void gemini_parse_error(int http_status, const char *body, size_t n, ProviderError *out)
{
    wire_error_init(out);
    cJSON *root = wire_error_json(http_status, body, n, out);
    if (!root)
        return;
    const cJSON *e = wire_json_at(root, "error", NULL);
    if (cJSON_IsObject(e)) {
        if (wire_json_str(e, "message"))
            wire_copy(out->message, sizeof out->message, wire_json_str(e, "message"));
        if (!wire_json_scalar_text(e, "status", out->type, sizeof out->type))
            wire_json_scalar_text(e, "code", out->type, sizeof out->type);
        read_details(wire_json_at(e, "details", NULL), out);
    }
    wire_error_common(http_status, root, body, n, out);
    cJSON_Delete(root);
}

/* ---- decoder ---------------------------------------------------------------- */

typedef struct GeminiDecoder {
    WireStream ws; /* first: the wire_decoder_* functions rely on it */
    bool saw_finish;        /* a finishReason (or blockReason) arrived */
    /* JSON arriving without `data:`: the lines so far and a brace scanner */
    Buf bare;
    int depth;
    bool in_string, escaped;
} GeminiDecoder;

/* finishReason values that mean the answer was blocked, not finished. */
static bool finish_is_block(const char *r)
{
    static const char *const blocks[] = { "SAFETY", "RECITATION", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII",
                                          "LANGUAGE", "IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT",
                                          "IMAGE_RECITATION" };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (strcmp(r, blocks[i]) == 0)
            return true;
    return false;
}

static const char *map_finish(const char *r, char *buf, size_t cap)
{
    if (strcmp(r, "STOP") == 0)
        return "stop";
    if (strcmp(r, "MAX_TOKENS") == 0)
        return "length";
    wire_copy_lower(buf, cap, r);
    return buf;
}

static void emit_usage(GeminiDecoder *d, const cJSON *um)
{
    Usage u = usage_unknown();
    u.input_tokens = wire_json_count(um, "promptTokenCount");
    long cand = wire_json_count(um, "candidatesTokenCount");
    long thoughts = wire_json_count(um, "thoughtsTokenCount");
    if (cand >= 0 || thoughts >= 0)
        u.output_tokens = (cand > 0 ? cand : 0) + (thoughts > 0 ? thoughts : 0);
    u.reasoning_tokens = thoughts;
    u.cached_input_tokens = wire_json_count(um, "cachedContentTokenCount");
    stream_emit_usage(d->ws.sink, u);
}

static void emit_error(GeminiDecoder *d, const cJSON *e, const char *data, size_t n)
{
    char type[64] = "";
    char msg[512];
    if (!wire_json_scalar_text(e, "status", type, sizeof type))
        wire_json_scalar_text(e, "code", type, sizeof type);
    const char *m = wire_json_str(e, "message");
    if (m) {
        wire_copy(msg, sizeof msg, m);
    } else {
        char snip[200];
        wire_snippet(snip, sizeof snip, data, n, 160);
        snprintf(msg, sizeof msg, "error event in the stream: %s", snip);
    }
    stream_emit_error(d->ws.sink, 0, type[0] ? type : NULL, msg);
    d->ws.failed = true;
}

static void handle_chunk(GeminiDecoder *d, const cJSON *root, const char *data, size_t n)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(e)) {
        emit_error(d, e, data, n);
        return;
    }
    char buf[32];
    const cJSON *cand = cJSON_GetArrayItem(wire_json_at(root, "candidates", NULL), 0);
    const cJSON *parts = wire_json_at(cand, "content", "parts", NULL);
    const cJSON *part;
    cJSON_ArrayForEach(part, wire_json_array(parts))
    {
        const char *text = wire_json_str(part, "text");
        const cJSON *call = wire_json_at(part, "functionCall", NULL);
        const cJSON *code = wire_json_at(part, "executableCode", NULL);
        if (text)
            stream_emit_text(d->ws.sink, wire_json_true(part, "thought") ? STREAM_EVENT_REASONING
                                                                      : STREAM_EVENT_DELTA,
                             text, strlen(text));
        if (cJSON_IsObject(call) || cJSON_IsObject(code)) {
            /* executableCode: code Gemini runs itself, a call of its code_execution tool */
            const cJSON *args = call ? wire_json_at(call, "args", NULL) : code;
            char *a = args ? wire_json_print(args) : NULL;
            stream_emit_tool_call(d->ws.sink, call ? wire_json_str(call, "id") : NULL,
                                  call ? wire_json_str(call, "name") : "code_execution", a);
            free(a);
        }
        /* codeExecutionResult, inlineData, ...: not answer text; kept in the recording */
    }
    const char *finish = wire_json_str(cand, "finishReason");
    if (finish) {
        d->saw_finish = true;
        if (finish_is_block(finish))
            stream_emit_blocked(d->ws.sink, finish);
        stream_emit_finish(d->ws.sink, map_finish(finish, buf, sizeof buf));
    }
    const char *block = wire_json_str(wire_json_at(root, "promptFeedback", NULL), "blockReason");
    if (block && !cand) {
        /* the prompt itself was refused: no candidates will come */
        d->saw_finish = true;
        stream_emit_blocked(d->ws.sink, block);
        stream_emit_finish(d->ws.sink, map_finish(block, buf, sizeof buf));
    }
    const cJSON *um = cJSON_GetObjectItemCaseSensitive(root, "usageMetadata");
    if (cJSON_IsObject(um))
        emit_usage(d, um);
}

static int handle_json(GeminiDecoder *d, const char *data, size_t n)
{
    cJSON *root = wire_stream_parse_object(&d->ws, data, n);
    if (!root)
        return d->ws.failed ? 1 : 0;
    handle_chunk(d, root, data, n);
    cJSON_Delete(root);
    return d->ws.failed ? 1 : 0;
}

/* Tracks brace depth over a line of JSON sent without `data:`. */
static void scan_depth(GeminiDecoder *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (d->in_string) {
            if (d->escaped)
                d->escaped = false;
            else if (c == '\\')
                d->escaped = true;
            else if (c == '"')
                d->in_string = false;
        } else if (c == '"') {
            d->in_string = true;
        } else if (c == '{' || c == '[') {
            d->depth++;
        } else if (c == '}' || c == ']') {
            d->depth--;
        }
    }
}

static int handle_bare_line(GeminiDecoder *d, const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (d->bare.len == 0 && (i == n || line[i] != '{'))
        return 0; /* an unknown field, as the spec says: ignored */
    if (d->bare.len + n + 1 > GEMINI_MAX_BARE_JSON) {
        wire_stream_fail(&d->ws, "a JSON object sent without `data:` exceeded 1 MiB");
        return 1;
    }
    if (buf_append(&d->bare, line, n) < 0 || buf_append(&d->bare, "\n", 1) < 0) {
        wire_stream_fail(&d->ws, "out of memory reading the stream");
        return 1;
    }
    scan_depth(d, line, n);
    if (d->depth > 0)
        return 0;
    int rc = handle_json(d, d->bare.data, d->bare.len);
    buf_reset(&d->bare);
    d->depth = 0;
    d->in_string = d->escaped = false;
    return rc;
}

static int on_sse(void *user, const SseEvent *ev)
{
    GeminiDecoder *d = user;
    if (ev->kind == SSE_UNKNOWN_LINE)
        return handle_bare_line(d, ev->data, ev->data_len);
    if (wire_blank(ev->data, ev->data_len))
        return 0;
    return handle_json(d, ev->data, ev->data_len);
}

static void *gemini_decoder_new(void)
{
    return wire_decoder_new_sse(sizeof(GeminiDecoder), on_sse, true);
}

static void gemini_decoder_end(void *dec, const StreamSink *sink)
{
    GeminiDecoder *d = dec;
    wire_stream_end(&d->ws, sink);
    /* Gemini's only end marker is the close after a finishReason. */
    if (!d->ws.failed && d->saw_finish)
        stream_emit_done(sink);
}

static void gemini_decoder_free(void *dec)
{
    GeminiDecoder *d = dec;
    if (d)
        buf_free(&d->bare);
    wire_decoder_free(d);
}

static const char *const gemini_key_envs[] = { "GEMINI_API_KEY", "GOOGLE_API_KEY", NULL };

const ProviderOps gemini_provider = {
    .name = "gemini",
    .key_envs = gemini_key_envs,
    .base_url_env = "GEMINI_BASE_URL",
    .default_base_url = "https://generativelanguage.googleapis.com",
    .closed = true,
    .build_request = gemini_build_request,
    .decoder_new = gemini_decoder_new,
    .decoder_feed = wire_decoder_feed,
    .decoder_end = gemini_decoder_end,
    .decoder_free = gemini_decoder_free,
    .parse_error = gemini_parse_error,
};
