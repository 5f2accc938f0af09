/* wire.c — helpers shared by the provider wire formats (see wire.h). */
#include "providers/wire.h"
#include "util/grow.h"

#include <curl/curl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- UTF-8 ---------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is invalid or
 * incomplete (overlongs, surrogates and code points above U+10FFFF refused). */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return len;
}

/* s with every invalid sequence replaced by U+FFFD, malloc'd; NULL when out of memory. */
static char *utf8_sanitize(const char *s)
{
    Buf b = { 0 };
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len(u + i, n - i);
        int rc = k ? buf_append(&b, u + i, k) : buf_append(&b, "\xEF\xBF\xBD", 3);
        if (rc < 0) {
            buf_free(&b);
            return NULL;
        }
        i += k ? k : 1;
    }
    return buf_steal(&b);
}

static bool utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq_len(u + i, n - i);
        if (!k)
            return false;
        i += k;
    }
    return true;
}

/* ---- JSON in ---------------------------------------------------------------- */

static bool json_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

cJSON *wire_json_parse(const char *s, size_t n)
{
    if (!s || n == 0)
        return NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(s, n, &end, 0);
    if (!root)
        return NULL;
    for (const char *p = end; p && p < s + n; p++) {
        if (!json_space(*p)) {
            cJSON_Delete(root);
            return NULL;
        }
    }
    return root;
}

const cJSON *wire_json_at(const cJSON *root, ...)
{
    va_list ap;
    va_start(ap, root);
    const cJSON *cur = root;
    const char *key;
    while (cur && (key = va_arg(ap, const char *)) != NULL)
        cur = cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, key) : NULL;
    va_end(ap);
    return cur;
}

const cJSON *wire_json_array(const cJSON *v) { return cJSON_IsArray(v) ? v : NULL; }

const char *wire_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

long wire_json_count(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!cJSON_IsNumber(v))
        return -1;
    double d = v->valuedouble;
    if (!isfinite(d) || d < 0 || d > 9.0e18 || floor(d) != d)
        return -1;
    return (long)d;
}

double wire_json_num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return dflt;
    return v->valuedouble;
}

bool wire_json_true(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    return cJSON_IsTrue(v);
}

bool wire_json_scalar_text(const cJSON *obj, const char *key, char *dst, size_t cap)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (cJSON_IsString(v) && v->valuestring && v->valuestring[0]) {
        wire_copy(dst, cap, v->valuestring);
        return true;
    }
    if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        double d = v->valuedouble;
        if (floor(d) == d && fabs(d) < 1e15)
            snprintf(dst, cap, "%ld", (long)d);
        else
            snprintf(dst, cap, "%g", d);
        return true;
    }
    return false;
}

/* ---- JSON out --------------------------------------------------------------- */

int wire_json_add_long(cJSON *obj, const char *key, long v)
{
    char num[32];
    snprintf(num, sizeof num, "%ld", v);
    return cJSON_AddRawToObject(obj, key, num) ? 0 : -1;
}

int wire_json_add_double(cJSON *obj, const char *key, double v)
{
    if (!isfinite(v))
        return 0;
    return cJSON_AddNumberToObject(obj, key, v) ? 0 : -1;
}

int wire_json_add_text(cJSON *obj, const char *key, const char *s)
{
    if (utf8_valid(s))
        return cJSON_AddStringToObject(obj, key, s) ? 0 : -1;
    char *clean = utf8_sanitize(s);
    if (!clean)
        return -1;
    int rc = cJSON_AddStringToObject(obj, key, clean) ? 0 : -1;
    free(clean);
    return rc;
}

static int add_message(cJSON *messages, const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return -1;
    cJSON_AddItemToArray(messages, m);
    if (!cJSON_AddStringToObject(m, "role", role))
        return -1;
    return wire_json_add_text(m, "content", content);
}

int wire_json_add_messages(cJSON *messages, const Request *rq, const char *assistant_role)
{
    int bad = messages ? 0 : -1;
    for (size_t i = 0; !bad && i < rq->n_history; i++) {
        const Message *m = &rq->history[i];
        bool assistant = m->role && strcmp(m->role, "assistant") == 0;
        bad |= add_message(messages, assistant ? assistant_role : "user", m->content ? m->content : "");
    }
    if (!bad)
        bad |= add_message(messages, "user", rq->prompt);
    return bad;
}

int wire_json_add_chat(cJSON *root, const ProviderTarget *t, const Request *rq)
{
    int bad = wire_json_add_text(root, "model", t->model);
    cJSON *messages = cJSON_AddArrayToObject(root, "messages");
    if (!messages)
        bad = -1;
    if (!bad && rq->system && rq->system[0])
        bad |= add_message(messages, "system", rq->system);
    if (!bad)
        bad |= wire_json_add_messages(messages, rq, "assistant");
    bad |= cJSON_AddTrueToObject(root, "stream") ? 0 : -1;
    return bad;
}

char *wire_json_print(const cJSON *obj) { return cJSON_PrintUnformatted(obj); }

/* ---- HTTP pieces ------------------------------------------------------------- */

static bool header_safe(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7F)
            return false;
    return true;
}

int wire_add_header(struct curl_slist **headers, const char *name, const char *value,
                    char *err, size_t errlen)
{
    if (!header_safe(name) || !header_safe(value)) {
        snprintf(err, errlen, "the value for the %s header contains control characters", name);
        return -1;
    }
    Buf b = { 0 };
    int rc = buf_printf(&b, "%s: %s", name, value);
    struct curl_slist *n = rc == 0 ? curl_slist_append(*headers, b.data) : NULL;
    if (b.data)
        explicit_bzero(b.data, b.cap);
    buf_free(&b);
    if (!n) {
        snprintf(err, errlen, "out of memory building HTTP headers");
        return -1;
    }
    *headers = n;
    return 0;
}

int wire_add_bearer(struct curl_slist **headers, const char *key, char *err, size_t errlen)
{
    Buf auth = { 0 };
    int rc;
    if (buf_printf(&auth, "Bearer %s", key) < 0) {
        snprintf(err, errlen, "out of memory building the request");
        rc = -1;
    } else {
        rc = wire_add_header(headers, "Authorization", auth.data, err, errlen);
    }
    if (auth.data)
        explicit_bzero(auth.data, auth.cap);
    buf_free(&auth);
    return rc;
}

const char *wire_request_begin(const char *who, const ProviderTarget *t, const Request *rq,
                               const char *key_hint, const char *dflt_base, HttpRequestSpec *out,
                               char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!t->model || !t->model[0] || !rq->prompt) {
        snprintf(err, errlen, "%s: a model name and a prompt are required", who);
        return NULL;
    }
    if (key_hint && (!t->api_key || !t->api_key[0])) {
        snprintf(err, errlen, "%s: no API key (%s)", who, key_hint);
        return NULL;
    }
    return wire_base_url(t, dflt_base, err, errlen);
}

int wire_request_json(HttpRequestSpec *out, char *url, char *body, const char *accept, char *err,
                      size_t errlen)
{
    out->url = url;
    out->body = body;
    if (!out->url || !out->body) {
        snprintf(err, errlen, "out of memory building the request");
        http_spec_free(out);
        return -1;
    }
    if (wire_add_header(&out->headers, "Content-Type", "application/json", err, errlen) < 0 ||
        wire_add_header(&out->headers, "Accept", accept, err, errlen) < 0) {
        http_spec_free(out);
        return -1;
    }
    return 0;
}

const char *wire_base_url(const ProviderTarget *t, const char *dflt, char *err, size_t errlen)
{
    if (t->base_url && t->base_url[0])
        return t->base_url;
    if (dflt && dflt[0])
        return dflt;
    snprintf(err, errlen, "no base URL is configured for %s", t->name ? t->name : "this provider");
    return NULL;
}

char *wire_join_url(const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    Buf b = { 0 };
    if (buf_append(&b, base, n) < 0 || buf_puts(&b, path) < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

int wire_append_escaped(Buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        char enc[3] = { '%', hex[c >> 4], hex[c & 15] };
        if ((plain ? buf_append(b, p, 1) : buf_append(b, enc, 3)) < 0)
            return -1;
    }
    return 0;
}

/* ---- Text for messages ------------------------------------------------------ */

void wire_snippet(char *out, size_t outlen, const char *s, size_t n, size_t max)
{
    if (outlen == 0)
        return;
    size_t limit = outlen - 1 < max ? outlen - 1 : max;
    size_t o = 0;
    bool space = true; /* drops leading whitespace */
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    for (; i < n; i++) {
        unsigned char c = u[i];
        if (json_space((char)c)) {
            if (!space && o < limit) {
                out[o++] = ' ';
                space = true;
            }
            continue;
        }
        size_t k = c >= 0x80 ? utf8_seq_len(u + i, n - i) : 1;
        bool printable = c >= 0x80 ? k > 0 : (c >= 0x20 && c != 0x7F);
        if (!printable)
            k = 1;
        if (o + k > limit)
            break;
        if (printable)
            memcpy(out + o, u + i, k);
        else
            out[o] = '?';
        o += k;
        i += k - 1;
        space = false;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    bool cut = false;
    for (; i < n; i++)
        if (!json_space(s[i])) {
            cut = true;
            break;
        }
    if (cut && outlen > 4) {
        /* "..." must fit: back off over whole UTF-8 sequences */
        while (o + 3 > outlen - 1 && o > 0) {
            o--;
            while (o > 0 && (out[o] & 0xC0) == 0x80)
                o--;
        }
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

void wire_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void wire_copy_lower(char *dst, size_t cap, const char *src)
{
    wire_copy(dst, cap, src);
    for (char *p = dst; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

/* ---- Streamed-reply decoder skeleton --------------------------------------- */

static void stream_fail(WireStream *ws, const char *type, const char *msg)
{
    stream_emit_error(ws->sink, 0, type, msg);
    ws->failed = true;
}

void wire_stream_fail(WireStream *ws, const char *what)
{
    stream_fail(ws, "stream_framing", what);
}

/* The parsers call these; they keep the callback from seeing anything after
 * an ERROR (stop) or DONE (skip). */
static int on_sse_event(void *user, const SseEvent *ev)
{
    WireStream *ws = user;
    if (ws->failed)
        return 1;
    if (ws->done)
        return 0;
    int rc = ws->on_event(ws->user, ev);
    return ws->failed ? 1 : rc;
}

static int on_ndjson_line(void *user, const char *line, size_t n)
{
    WireStream *ws = user;
    if (ws->failed)
        return 1;
    if (ws->done)
        return 0;
    int rc = ws->on_line(ws->user, line, n);
    return ws->failed ? 1 : rc;
}

int wire_stream_init_sse(WireStream *ws, SseEventFn on_event, void *user, bool report_unknown)
{
    memset(ws, 0, sizeof *ws);
    ws->sse = sse_parser_new();
    if (!ws->sse)
        return -1;
    sse_parser_report_unknown(ws->sse, report_unknown);
    ws->on_event = on_event;
    ws->user = user;
    return 0;
}

int wire_stream_init_ndjson(WireStream *ws, NdjsonLineFn on_line, void *user)
{
    memset(ws, 0, sizeof *ws);
    ws->nd = ndjson_parser_new();
    if (!ws->nd)
        return -1;
    ws->on_line = on_line;
    ws->user = user;
    return 0;
}

/* Runs one parser call with sink lent; a framing error becomes one ERROR. */
static void stream_run(WireStream *ws, const char *bytes, size_t n, const StreamSink *sink, bool end)
{
    ws->sink = sink;
    int rc;
    const char *why;
    if (ws->sse) {
        /* Lenient at the end: a last event without its blank line (llama.cpp
         * sometimes closes right after `data: [DONE]`) is still decoded. */
        rc = end ? sse_parser_end(ws->sse, true, on_sse_event, ws)
                 : sse_parser_feed(ws->sse, bytes, n, on_sse_event, ws);
        why = rc < 0 ? sse_strerror(rc) : NULL;
    } else {
        rc = end ? ndjson_parser_end(ws->nd, on_ndjson_line, ws)
                 : ndjson_parser_feed(ws->nd, bytes, n, on_ndjson_line, ws);
        why = rc < 0 ? ndjson_strerror(rc) : NULL;
    }
    if (why && !ws->failed)
        wire_stream_fail(ws, why);
    ws->sink = NULL;
}

int wire_stream_feed(WireStream *ws, const char *bytes, size_t n, const StreamSink *sink)
{
    if (ws->failed)
        return -1;
    stream_run(ws, bytes, n, sink, false);
    return ws->failed ? -1 : 0;
}

void wire_stream_end(WireStream *ws, const StreamSink *sink)
{
    if (ws->failed || ws->done)
        return;
    ws->ending = true;
    stream_run(ws, NULL, 0, sink, true);
}

void wire_stream_free(WireStream *ws)
{
    sse_parser_free(ws->sse);
    ndjson_parser_free(ws->nd);
    ws->sse = NULL;
    ws->nd = NULL;
}

cJSON *wire_stream_parse_object(WireStream *ws, const char *s, size_t n)
{
    cJSON *root = wire_json_parse(s, n);
    if (cJSON_IsObject(root))
        return root;
    cJSON_Delete(root);
    if (ws->ending)
        return NULL; /* cut off by the connection closing: a truncation */
    char snip[160];
    char msg[256];
    wire_snippet(snip, sizeof snip, s, n, 120);
    snprintf(msg, sizeof msg, "invalid JSON in stream event: %s", snip[0] ? snip : "(empty)");
    stream_fail(ws, "invalid_json", msg);
    return NULL;
}

void *wire_decoder_new_sse(size_t size, SseEventFn on_event, bool report_unknown)
{
    WireStream *ws = calloc(1, size);
    if (ws && wire_stream_init_sse(ws, on_event, ws, report_unknown) < 0) {
        free(ws);
        return NULL;
    }
    return ws;
}

void *wire_decoder_new_ndjson(size_t size, NdjsonLineFn on_line)
{
    WireStream *ws = calloc(1, size);
    if (ws && wire_stream_init_ndjson(ws, on_line, ws) < 0) {
        free(ws);
        return NULL;
    }
    return ws;
}

int wire_decoder_feed(void *dec, const char *bytes, size_t n, const StreamSink *sink)
{
    return wire_stream_feed(dec, bytes, n, sink);
}

void wire_decoder_end(void *dec, const StreamSink *sink)
{
    wire_stream_end(dec, sink);
}

void wire_decoder_free(void *dec)
{
    if (!dec)
        return;
    wire_stream_free(dec);
    free(dec);
}

bool wire_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
            return false;
    return true;
}

/* ---- Tool calls in pieces ---------------------------------------------------- */

#define WIRE_TOOLS_MAX_BYTES ((size_t)16 << 20)
#define WIRE_TOOLS_MAX_CALLS 4096

static WireToolCall *tools_find(const WireTools *t, long key)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->calls[i].key == key)
            return &t->calls[i];
    return NULL;
}

static WireToolCall *tools_get(WireTools *t, long key)
{
    WireToolCall *c = tools_find(t, key);
    if (c)
        return c;
    if (t->n >= WIRE_TOOLS_MAX_CALLS)
        return NULL;
    WireToolCall *p = grow_array(t->calls, &t->cap, t->n, sizeof *p, 4);
    if (!p)
        return NULL;
    t->calls = p;
    c = &t->calls[t->n++];
    memset(c, 0, sizeof *c);
    c->key = key;
    return c;
}

static int replace_str(char **dst, const char *src)
{
    if (!src || !src[0])
        return 0;
    char *c = strdup(src);
    if (!c)
        return -1;
    free(*dst);
    *dst = c;
    return 0;
}

int wire_tools_begin(WireTools *t, long key, const char *id, const char *name)
{
    WireToolCall *c = tools_get(t, key);
    if (!c || replace_str(&c->id, id) < 0 || replace_str(&c->name, name) < 0)
        return -1;
    return 0;
}

int wire_tools_append(WireTools *t, long key, const char *text, size_t n)
{
    WireToolCall *c = tools_get(t, key);
    if (!c || t->bytes + n > WIRE_TOOLS_MAX_BYTES || buf_append(&c->args, text, n) < 0)
        return -1;
    t->bytes += n;
    return 0;
}

int wire_tools_set_args(WireTools *t, long key, const char *text)
{
    WireToolCall *c = tools_get(t, key);
    if (!c)
        return -1;
    t->bytes -= c->args.len;
    buf_reset(&c->args);
    return wire_tools_append(t, key, text, strlen(text));
}

bool wire_tools_has(const WireTools *t, long key) { return tools_find(t, key) != NULL; }

static void tools_drop(WireTools *t, size_t i)
{
    WireToolCall *c = &t->calls[i];
    t->bytes -= c->args.len;
    free(c->id);
    free(c->name);
    buf_free(&c->args);
    memmove(c, c + 1, (t->n - i - 1) * sizeof *c);
    t->n--;
}

static void tools_emit_at(WireTools *t, size_t i, const StreamSink *sink)
{
    WireToolCall *c = &t->calls[i];
    stream_emit_tool_call(sink, c->id, c->name ? c->name : "", buf_str(&c->args));
    tools_drop(t, i);
}

void wire_tools_emit(WireTools *t, long key, const StreamSink *sink)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->calls[i].key == key) {
            tools_emit_at(t, i, sink);
            return;
        }
}

void wire_tools_emit_all(WireTools *t, const StreamSink *sink)
{
    while (t->n)
        tools_emit_at(t, 0, sink);
}

void wire_tools_free(WireTools *t)
{
    while (t->n)
        tools_drop(t, t->n - 1);
    free(t->calls);
    memset(t, 0, sizeof *t);
}

/* ---- Error bodies ----------------------------------------------------------- */

void wire_error_init(ProviderError *out)
{
    memset(out, 0, sizeof *out);
    out->retry_after_s = -1.0;
}

cJSON *wire_error_json(int http_status, const char *body, size_t n, ProviderError *out)
{
    size_t i = 0;
    while (body && i < n && json_space(body[i]))
        i++;
    if (!body || i == n) {
        snprintf(out->message, sizeof out->message, "HTTP %d with an empty body", http_status);
        return NULL;
    }
    cJSON *root = wire_json_parse(body, n);
    if (!root) {
        char snip[256];
        wire_snippet(snip, sizeof snip, body, n, 200);
        snprintf(out->message, sizeof out->message, "HTTP %d with a non-JSON body: %s",
                 http_status, snip);
        return NULL;
    }
    if (cJSON_IsArray(root) && cJSON_GetArraySize(root) == 1) {
        cJSON *only = cJSON_DetachItemFromArray(root, 0);
        cJSON_Delete(root);
        root = only;
    }
    return root;
}

void wire_error_common(int http_status, const cJSON *root, const char *body, size_t n,
                       ProviderError *out)
{
    const cJSON *e = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
    if (cJSON_IsString(e) && e->valuestring && !out->message[0]) {
        wire_copy(out->message, sizeof out->message, e->valuestring);
    } else if (cJSON_IsObject(e)) {
        if (!out->message[0] && wire_json_str(e, "message"))
            wire_copy(out->message, sizeof out->message, wire_json_str(e, "message"));
        if (!out->type[0] && !wire_json_scalar_text(e, "type", out->type, sizeof out->type) &&
            !wire_json_scalar_text(e, "code", out->type, sizeof out->type))
            wire_json_scalar_text(e, "status", out->type, sizeof out->type);
    }
    if (!out->message[0] && wire_json_str(root, "message")) {
        wire_copy(out->message, sizeof out->message, wire_json_str(root, "message"));
        if (!out->type[0] && !wire_json_scalar_text(root, "type", out->type, sizeof out->type))
            wire_json_scalar_text(root, "code", out->type, sizeof out->type);
    }
    if (!out->message[0] && wire_json_str(root, "detail"))
        wire_copy(out->message, sizeof out->message, wire_json_str(root, "detail"));
    if (!out->message[0]) {
        char snip[256];
        wire_snippet(snip, sizeof snip, body, n, 200);
        snprintf(out->message, sizeof out->message, "HTTP %d: %s", http_status, snip);
    }
}
