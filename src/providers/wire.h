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

#include "core/buf.h"
#include "core/stream.h"
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
/* Prints obj compactly into a malloc'd string; NULL when out of memory. */
char *wire_json_print(const cJSON *obj);

/* Appends the header "name: value"; refuses values with control characters
 * (header injection from a hostile key). Returns 0 or -1 with err. The
 * temporary copy is wiped, as the value may be a secret. */
int wire_add_header(struct curl_slist **headers, const char *name, const char *value,
                    char *err, size_t errlen);
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

/* Emits ERROR "invalid JSON in stream event: <snippet>" (type "invalid_json"). */
void wire_emit_invalid_json(const StreamSink *sink, const char *data, size_t n);
/* Emits ERROR for an SSE/NDJSON framing failure (code from sse.h/ndjson.h). */
void wire_emit_framing_error(const StreamSink *sink, const char *what);

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
