/* ollama.c — the "ollama" provider: Ollama's native /api/chat, streamed as
 * NDJSON (one JSON object per line, no SSE framing).
 *
 * Each line carries message.content / message.thinking; the last one has
 * "done":true with done_reason and the metrics (durations in nanoseconds,
 * zero values omitted). The base URL may be given the way OLLAMA_HOST is
 * written, "host:port" without a scheme. --reasoning becomes "think" (a
 * level for gpt-oss, which only takes levels; true/false for the others);
 * eval_count folds the thinking in, so the answer's streamed parts (one per
 * token) are counted and the rest is reasoning. message.tool_calls become
 * tool calls. Pure: no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "providers/builtin.h"
#include "providers/wire.h"

/* ---- request ---------------------------------------------------------------- */

static char *build_body(const ProviderTarget *t, const Request *rq)
{
    const Params *p = &rq->params;
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    int bad = wire_json_add_chat(root, t, rq);
    const Reasoning *r = &p->reasoning;
    if (r->effort != REASONING_UNSET) {
        bool levels_only = strncmp(t->model, "gpt-oss", 7) == 0;
        if (levels_only && r->effort != REASONING_OFF)
            bad |= cJSON_AddStringToObject(root, "think", reasoning_level_name(reasoning_level(r))) ? 0 : -1;
        else if (!levels_only)
            bad |= cJSON_AddBoolToObject(root, "think", r->effort != REASONING_OFF) ? 0 : -1;
    }
    cJSON *opt = cJSON_CreateObject();
    if (!opt) {
        cJSON_Delete(root);
        return NULL;
    }
    if (p->max_tokens >= 0)
        bad |= wire_json_add_long(opt, "num_predict", p->max_tokens);
    bad |= wire_json_add_double(opt, "temperature", p->temperature);
    bad |= wire_json_add_double(opt, "top_p", p->top_p);
    if (p->top_k >= 0)
        bad |= wire_json_add_long(opt, "top_k", p->top_k);
    bad |= wire_json_add_double(opt, "min_p", p->min_p);
    bad |= wire_json_add_double(opt, "repeat_penalty", p->repeat_penalty);
    if (p->seed_set && p->seed >= 0)
        bad |= wire_json_add_long(opt, "seed", p->seed);
    if (p->context_length > 0)
        bad |= wire_json_add_long(opt, "num_ctx", p->context_length);
    if (opt->child)
        cJSON_AddItemToObject(root, "options", opt);
    else
        cJSON_Delete(opt);
    char *body = bad ? NULL : wire_json_print(root);
    cJSON_Delete(root);
    return body;
}

/* OLLAMA_HOST style "host", "host:port", ":port" or a full URL, as a URL
 * with a scheme; Ollama's port 11434 when a bare host gives none. */
static char *normalize_base(const char *host)
{
    Buf b = { 0 };
    int rc;
    if (strstr(host, "://")) {
        rc = buf_puts(&b, host);
    } else {
        const char *end = host + strcspn(host, "/");
        const char *bracket = memchr(host, ']', (size_t)(end - host)); /* [::1]:port */
        const char *colon = memchr(bracket ? bracket : host, ':', (size_t)(end - (bracket ? bracket : host)));
        rc = buf_puts(&b, "http://");
        if (rc == 0 && host == end) /* empty: the default host */
            rc = buf_puts(&b, "127.0.0.1:11434");
        else if (rc == 0 && colon == host) /* ":port" */
            rc = buf_printf(&b, "127.0.0.1%s", host);
        else if (rc == 0 && !colon)
            rc = buf_printf(&b, "%.*s:11434%s", (int)(end - host), host, end);
        else if (rc == 0)
            rc = buf_puts(&b, host);
    }
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

static int ollama_build_request(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                                char *err, size_t errlen)
{
    const char *base = wire_request_begin("ollama", t, rq, NULL, ollama_provider.default_base_url,
                                          out, err, errlen);
    if (!base)
        return -1;
    char *norm = normalize_base(base);
    char *url = norm ? wire_join_url(norm, "/api/chat") : NULL;
    free(norm);
    if (wire_request_json(out, url, build_body(t, rq), "application/x-ndjson", err, errlen) < 0)
        return -1;
    /* ollama.com's hosted API wants a Bearer key; a local server needs none */
    if (t->api_key && t->api_key[0] && wire_add_bearer(&out->headers, t->api_key, err, errlen) < 0) {
        http_spec_free(out);
        return -1;
    }
    return 0;
}

/* ---- errors ----------------------------------------------------------------- */

static void ollama_parse_error(int http_status, const char *body, size_t n, ProviderError *out)
{
    wire_error_init(out);
    cJSON *root = wire_error_json(http_status, body, n, out);
    if (!root)
        return;
    wire_error_common(http_status, root, body, n, out); /* {"error":"model \"x\" not found"} */
    cJSON_Delete(root);
}

/* ---- decoder ---------------------------------------------------------------- */

typedef struct OllamaDecoder {
    WireStream ws; /* first: the wire_decoder_* functions rely on it */
    long thinking_parts, answer_parts; /* lines that carried message.thinking / content */
} OllamaDecoder;

static double per_second(long count, long duration_ns)
{
    if (count < 0 || duration_ns <= 0)
        return -1.0;
    return (double)count * 1e9 / (double)duration_ns;
}

static void handle_done(OllamaDecoder *d, const cJSON *root)
{
    const char *reason = wire_json_str(root, "done_reason");
    if (reason)
        stream_emit_finish(d->ws.sink, reason);
    /* Go's omitempty drops zero values: a missing eval_count means none
     * generated, unless parts streamed (then it is unknown, never 0); a
     * missing prompt_eval_count means the prompt came from the cache, whose
     * size is not reported, so input stays unknown. */
    long prompt_n = wire_json_count(root, "prompt_eval_count");
    long eval_n = wire_json_count(root, "eval_count");
    if (eval_n < 0 && d->thinking_parts + d->answer_parts == 0)
        eval_n = 0;
    Usage u = usage_unknown();
    u.input_tokens = prompt_n;
    u.output_tokens = eval_n;
    if (d->thinking_parts > 0 && eval_n >= 0) {
        /* eval_count counts the thinking too: what is not answer is reasoning */
        long r = eval_n - d->answer_parts;
        if (r < d->thinking_parts)
            r = d->thinking_parts; /* never fewer than the thinking parts seen */
        u.reasoning_tokens = r < eval_n ? r : eval_n;
    }
    stream_emit_usage(d->ws.sink, u);
    StreamEvent ev = stream_event_init(STREAM_EVENT_TIMINGS);
    ev.server_prompt_tokens_per_s = per_second(prompt_n, wire_json_count(root, "prompt_eval_duration"));
    ev.server_output_tokens_per_s = per_second(eval_n, wire_json_count(root, "eval_duration"));
    ev.server_prompt_tokens = prompt_n;
    ev.server_output_tokens = eval_n;
    if (d->ws.sink && d->ws.sink->emit)
        d->ws.sink->emit(d->ws.sink->user, &ev);
    d->ws.done = true;
    stream_emit_done(d->ws.sink);
}

static void emit_error(OllamaDecoder *d, const cJSON *e, const char *line, size_t n)
{
    char msg[512];
    const char *m = cJSON_IsString(e) ? e->valuestring : wire_json_str(e, "message");
    if (m && m[0]) {
        wire_copy(msg, sizeof msg, m);
    } else {
        char snip[200];
        wire_snippet(snip, sizeof snip, line, n, 160);
        snprintf(msg, sizeof msg, "error line in the stream: %s", snip);
    }
    stream_emit_error(d->ws.sink, 0, NULL, msg);
    d->ws.failed = true;
}

static int on_line(void *user, const char *line, size_t n)
{
    OllamaDecoder *d = user;
    cJSON *root = wire_stream_parse_object(&d->ws, line, n);
    if (!root)
        return 0; /* wire_stream_parse_object set failed when it was bad JSON */
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
    if ((cJSON_IsString(e) && e->valuestring) || cJSON_IsObject(e)) {
        emit_error(d, e, line, n);
    } else {
        const cJSON *msg = wire_json_at(root, "message", NULL);
        const char *s;
        if ((s = wire_json_str(msg, "thinking")) && s[0]) {
            d->thinking_parts++;
            stream_emit_text(d->ws.sink, STREAM_EVENT_REASONING, s, strlen(s));
        }
        if ((s = wire_json_str(msg, "content")) && s[0]) {
            d->answer_parts++;
            stream_emit_text(d->ws.sink, STREAM_EVENT_DELTA, s, strlen(s));
        }
        const cJSON *tc;
        cJSON_ArrayForEach(tc, wire_json_array(wire_json_at(msg, "tool_calls", NULL)))
        {
            const cJSON *fn = wire_json_at(tc, "function", NULL);
            const cJSON *args = wire_json_at(fn, "arguments", NULL);
            char *a = cJSON_IsString(args) ? strdup(args->valuestring) : args ? wire_json_print(args) : NULL;
            stream_emit_tool_call(d->ws.sink, wire_json_str(tc, "id"), wire_json_str(fn, "name"), a);
            free(a);
        }
        if (wire_json_true(root, "done"))
            handle_done(d, root);
    }
    cJSON_Delete(root);
    return 0;
}

static void *ollama_decoder_new(void)
{
    return wire_decoder_new_ndjson(sizeof(OllamaDecoder), on_line);
}

static const char *const ollama_key_envs[] = { NULL };

const ProviderOps ollama_provider = {
    .name = "ollama",
    .key_envs = ollama_key_envs,
    .base_url_env = "OLLAMA_HOST",
    .default_base_url = "http://127.0.0.1:11434",
    .closed = false,
    .build_request = ollama_build_request,
    .decoder_new = ollama_decoder_new,
    .decoder_feed = wire_decoder_feed,
    .decoder_end = wire_decoder_end,
    .decoder_free = wire_decoder_free,
    .parse_error = ollama_parse_error,
};
