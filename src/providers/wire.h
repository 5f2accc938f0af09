/* wire.h — small helpers shared by the HTTP provider wire formats.
 *
 * Strict JSON parsing of one event, typed getters that treat missing or
 * mistyped fields as "not reported", safe request-building pieces (headers
 * that refuse CR/LF, integer fields that keep full precision, URL joining),
 * printable snippets of hostile bytes for error messages, and the parts of
 * error-body parsing that every provider has in common. Only the provider
 * files use this; it is not a general JSON library. No I/O. */
#ifndef VERSUS_WIRE_H
#define VERSUS_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "util/buf.h"
#include "core/stream.h"
#include "net/ndjson.h"
#include "net/sse.h"
#include "providers/provider.h"

/* Parses s[0..n) as exactly one JSON value (whitespace around it allowed,
 * anything else after it refused). NULL when it is not valid JSON. */
cJSON *wire_json_parse(const char *s, size_t n);
/* The member reached through the NULL-terminated list of keys, or NULL. */
const cJSON *wire_json_at(const cJSON *root, ...) __attribute__((sentinel));
/* v when it is an array, else NULL (for cJSON_ArrayForEach over untrusted input). */
const cJSON *wire_json_array(const cJSON *v);
/* obj[key] when it is a string, else NULL. */
const char *wire_json_str(const cJSON *obj, const char *key);
/* obj[key] when it is a whole number in 0..LONG_MAX, else -1. */
long wire_json_count(const cJSON *obj, const char *key);
/* obj[key] when it is a finite number, else dflt. */
double wire_json_num(const cJSON *obj, const char *key, double dflt);
/* True when obj[key] is JSON true. */
bool wire_json_true(const cJSON *obj, const char *key);

/* Adds key: v as an exact integer (a seed above 2^53 stays exact). Returns 0 or -1. */
int wire_json_add_long(cJSON *obj, const char *key, long v);
/* Adds key: v when v is finite. Returns 0 or -1 (out of memory). */
int wire_json_add_double(cJSON *obj, const char *key, double v);
/* Adds key: s, with invalid UTF-8 in s replaced by U+FFFD. Returns 0 or -1. */
int wire_json_add_text(cJSON *obj, const char *key, const char *s);
/* Adds what every chat-style body starts with: "model", "messages" ([the
 * system message when there is one,] the conversation's earlier turns, the
 * user's prompt) and "stream": true.
 * Returns 0 or -1 (out of memory). */
int wire_json_add_chat(cJSON *root, const ProviderTarget *t, const Request *rq);
/* Appends the conversation to a messages array: rq->history's turns (an
 * assistant turn with the role assistant_role: "assistant", Gemini's
 * "model") then the user's prompt, each {"role", "content"}. 0 or -1. */
int wire_json_add_messages(cJSON *messages, const Request *rq, const char *assistant_role);
/* Prints obj compactly into a malloc'd string; NULL when out of memory. */
char *wire_json_print(const cJSON *obj);

/* Appends the header "name: value"; refuses values with control characters
 * (header injection from a hostile key). Returns 0 or -1 with err. The
 * temporary copy is wiped, as the value may be a secret. */
int wire_add_header(struct curl_slist **headers, const char *name, const char *value,
                    char *err, size_t errlen);
/* Appends "Authorization: Bearer <key>" the same way (the copy is wiped). */
int wire_add_bearer(struct curl_slist **headers, const char *key, char *err, size_t errlen);
/* Starts building a request: zeroes out, checks for a model and a prompt
 * ("<who>: a model name and a prompt are required") and, when key_hint is
 * given, for a key ("<who>: no API key (<key_hint>)"), and returns the base
 * URL as wire_base_url does. NULL with err when something is missing. */
const char *wire_request_begin(const char *who, const ProviderTarget *t, const Request *rq,
                               const char *key_hint, const char *dflt_base, HttpRequestSpec *out,
                               char *err, size_t errlen);
/* Takes url and body (malloc'd; NULL means out of memory) into out and adds
 * "Content-Type: application/json" and "Accept: <accept>". Returns 0, or -1
 * with err and out freed. */
int wire_request_json(HttpRequestSpec *out, char *url, char *body, const char *accept, char *err,
                      size_t errlen);
/* t->base_url, else dflt; NULL when neither is set (err says so). */
const char *wire_base_url(const ProviderTarget *t, const char *dflt, char *err, size_t errlen);
/* base (trailing slashes dropped) + path, malloc'd; NULL when out of memory. */
char *wire_join_url(const char *base, const char *path);
/* Appends s to b percent-encoded (everything but A-Z a-z 0-9 - . _ ~). Returns 0 or -1. */
int wire_append_escaped(Buf *b, const char *s);

/* Writes up to max bytes of s[0..n) into out as one printable line: runs of
 * whitespace become one space, control bytes and invalid UTF-8 become '?',
 * "..." marks a cut. Never fails; out is always NUL-terminated. */
void wire_snippet(char *out, size_t outlen, const char *s, size_t n, size_t max);
/* Copies src into dst[cap] without cutting a UTF-8 sequence in half. */
void wire_copy(char *dst, size_t cap, const char *src);
/* Copies src lowercased (ASCII) into dst[cap]. */
void wire_copy_lower(char *dst, size_t cap, const char *src);

/* ---- the streamed-reply decoder skeleton ------------------------------------
 *
 * What every provider decoder shares around its SSE or NDJSON parser: the
 * sink lent for one feed/end call, the failed/done/ending flags, framing
 * errors turned into one ERROR event, and the rule that nothing is decoded
 * after an ERROR or DONE. A provider embeds a WireStream in its decoder and
 * keeps only its own wire format: the event (or line) callback, which is not
 * called once ws->failed or ws->done is set. */
typedef struct WireStream {
    SseParser *sse;          /* exactly one of sse and nd is set */
    NdjsonParser *nd;
    SseEventFn on_event;     /* with sse */
    NdjsonLineFn on_line;    /* with nd */
    void *user;              /* handed to the callback: the provider's decoder */
    const StreamSink *sink;  /* valid during a feed/end call, else NULL */
    bool failed;             /* an ERROR was emitted: the rest is dropped */
    bool done;               /* DONE was emitted: the rest is ignored, end does nothing */
    bool ending;             /* inside end: a cut-off last event is a truncation */
} WireStream;

/* Sets ws up over a new SSE parser; report_unknown as sse_parser_report_unknown.
 * Returns 0, or -1 when out of memory (ws then needs no free). */
int wire_stream_init_sse(WireStream *ws, SseEventFn on_event, void *user, bool report_unknown);
/* Sets ws up over a new NDJSON parser. Returns 0 or -1 (out of memory). */
int wire_stream_init_ndjson(WireStream *ws, NdjsonLineFn on_line, void *user);
/* Parses n more bytes, emitting through sink. Returns 0, or -1 once failed. */
int wire_stream_feed(WireStream *ws, const char *bytes, size_t n, const StreamSink *sink);
/* The stream closed: decodes a last event left without its terminator (the
 * callback sees ws->ending set). Does nothing once failed or done. */
void wire_stream_end(WireStream *ws, const StreamSink *sink);
/* Frees the parser (not ws itself). */
void wire_stream_free(WireStream *ws);

/* ProviderOps decoder pieces for a decoder struct whose FIRST member is its
 * WireStream (so the decoder pointer is also a WireStream pointer).
 * wire_decoder_new_*: a zeroed struct of size bytes with the stream set up
 * and the callback's user being the struct; NULL when out of memory. */
void *wire_decoder_new_sse(size_t size, SseEventFn on_event, bool report_unknown);
void *wire_decoder_new_ndjson(size_t size, NdjsonLineFn on_line);
int wire_decoder_feed(void *dec, const char *bytes, size_t n, const StreamSink *sink);
void wire_decoder_end(void *dec, const StreamSink *sink);
/* Frees the stream and the struct (anything else it owns is the caller's). */
void wire_decoder_free(void *dec);
/* Parses s[0..n) as a JSON object. When it is not one: while ending (the
 * connection cut the event short) NULL quietly; otherwise NULL after emitting
 * ERROR "invalid JSON in stream event: <snippet>" and setting ws->failed. */
cJSON *wire_stream_parse_object(WireStream *ws, const char *s, size_t n);
/* Emits ERROR for a framing failure (what: a sentence) and sets ws->failed. */
void wire_stream_fail(WireStream *ws, const char *what);
/* True when s[0..n) is only spaces, tabs, CRs and LFs (or empty). */
bool wire_blank(const char *s, size_t n);

/* ---- tool calls arriving in pieces ----------------------------------------
 *
 * OpenAI (chat tool_calls by index, Responses function_call items by output
 * index) and Anthropic (tool_use blocks by content index) stream a call's id
 * and name first and its JSON arguments in pieces. A WireTools collects them
 * by that key and emits each as one complete TOOL_CALL. */
typedef struct WireToolCall {
    long key;  /* the provider's index */
    char *id;  /* or NULL */
    char *name;
    Buf args;  /* the arguments text so far */
} WireToolCall;

typedef struct WireTools {
    WireToolCall *calls; /* (n), in the order they began */
    size_t n, cap;
    size_t bytes;        /* argument bytes held, bounded */
} WireTools;

/* WIRE_TOOLS_LIMITS: what a failed wire_tools_* call means, for messages. */
#define WIRE_TOOLS_LIMITS "too many or too large tool calls (over 4096 open, or 16 MiB of arguments)"
/* Starts (or updates) the call under key: a non-empty id/name replaces what
 * was known. 0, or -1 when out of memory or past 4096 open calls. */
int wire_tools_begin(WireTools *t, long key, const char *id, const char *name);
/* Appends argument text to the call under key (starting it when new).
 * 0, or -1 when out of memory or past 16 MiB of arguments. */
int wire_tools_append(WireTools *t, long key, const char *text, size_t n);
/* Replaces the arguments of the call under key with the final text. 0 or -1. */
int wire_tools_set_args(WireTools *t, long key, const char *text);
/* True when a call is open under key. */
bool wire_tools_has(const WireTools *t, long key);
/* Emits the call under key as one TOOL_CALL and forgets it (nothing when none). */
void wire_tools_emit(WireTools *t, long key, const StreamSink *sink);
/* Emits every open call, in the order they began, and forgets them. */
void wire_tools_emit_all(WireTools *t, const StreamSink *sink);
void wire_tools_free(WireTools *t);

/* *out with nothing known (retry_after_s = -1). */
void wire_error_init(ProviderError *out);
/* Parses the body as JSON, unwrapping a one-element array ([{"error":...}]).
 * When it is not JSON, fills out->message ("HTTP 502 with a non-JSON body: ..."
 * or "... with an empty body") and returns NULL. Caller frees the result. */
cJSON *wire_error_json(int http_status, const char *body, size_t n, ProviderError *out);
/* Fills type/message from the shapes most servers share: {"error":"text"},
 * {"error":{"message","type"|"code"|"status"}}, flat {"message","type"},
 * {"detail":"text"}; when none matches, a snippet of the body. Fields already
 * set are kept. */
void wire_error_common(int http_status, const cJSON *root, const char *body, size_t n,
                       ProviderError *out);
/* Writes a JSON string or number member as text into dst[cap]; false when absent. */
bool wire_json_scalar_text(const cJSON *obj, const char *key, char *dst, size_t cap);

#endif
