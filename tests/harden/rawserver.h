/* rawserver.h — a hostile or plain HTTP endpoint for the security tests: it
 * listens on any address (127.0.0.2, 10.9.9.9 inside a private network
 * namespace, ::1), records every connection and every request byte for byte
 * (request line, headers, body), and answers each request with bytes the
 * test chose: a provider stream carrying an echoed key, control sequences,
 * an error body, or a proxy's answer. It decides nothing about formats; the
 * helpers at the end build OpenAI-style streams for the tests that need one.
 *
 * Not for: faithful provider behaviour (tests/fake/fakeprov.h does that). */
#ifndef VERSUS_TESTS_RAWSERVER_H
#define VERSUS_TESTS_RAWSERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef struct RawServer RawServer;

/* Listens on host (an IPv4 or IPv6 literal) at a free port and answers every
 * request with response[0..len) (copied), then closes the connection. NULL
 * with err when it can not bind (e.g. the address is not on this machine). */
RawServer *rawserver_start(const char *host, const char *response, size_t len, char *err, size_t errlen);
/* Stops the thread, closes every socket, frees everything. NULL is fine. */
void rawserver_stop(RawServer *s);
/* Replaces the answer for later requests. */
void rawserver_set_response(RawServer *s, const char *response, size_t len);
int rawserver_port(const RawServer *s);
/* "http://HOST:PORT" ("http://[::1]:PORT" for IPv6). */
const char *rawserver_url(const RawServer *s);
/* Connections accepted so far (also those that never sent a request). */
long rawserver_connections(RawServer *s);
/* Complete requests received so far. */
long rawserver_requests(RawServer *s);
/* Waits until n requests arrived; false after timeout_ms. */
bool rawserver_wait_requests(RawServer *s, long n, int timeout_ms);
/* Every byte of every request received so far (heads and bodies, in order),
 * NUL-terminated in out (which is emptied first). */
void rawserver_log(RawServer *s, Buf *out);

/* An HTTP/1.1 200 response with an OpenAI chat-completions SSE body: one
 * event per element of json_texts, each the already JSON-escaped content of
 * a delta (so a test can send "\\u0073\\u006b..." as the wire carries it),
 * then a stop chunk, usage and [DONE]. Appended to out. */
void rawserver_openai_stream(Buf *out, const char *const *json_texts, size_t n);
/* An HTTP response with this status and a JSON body (Content-Length set). */
void rawserver_json_response(Buf *out, int status, const char *json_body);
/* Appends s as JSON string content (no quotes) escaped the ordinary way. */
void rawserver_json_escape(Buf *out, const char *s);

#endif
