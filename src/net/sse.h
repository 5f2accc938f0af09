/* sse.h — an incremental Server-Sent Events parser (WHATWG HTML §9.2.6).
 *
 * Bytes go in with any chunking (one big piece, one byte at a time, a split
 * between CR and LF or inside a UTF-8 sequence); dispatched events come out
 * through a callback. Handles CRLF, LF and lone CR line ends mixed freely, a
 * BOM at the very start, comments, multi-line data joined by "\n", and the
 * event/id/retry fields. No I/O and no fixed line length: lines grow in a Buf,
 * but one event (its pending line plus its data) may not exceed a sanity cap
 * (default SSE_DEFAULT_MAX_EVENT), beyond which feeding fails instead of
 * exhausting memory. Not for JSON: the data is handed over as bytes. */
#ifndef VERSUS_SSE_H
#define VERSUS_SSE_H

#include <stdbool.h>
#include <stddef.h>

#define SSE_DEFAULT_MAX_EVENT ((size_t)64 << 20) /* bytes */

/* Return codes of sse_parser_feed()/sse_parser_end(). */
#define SSE_OK 0
#define SSE_STOPPED 1        /* the callback asked to stop */
#define SSE_ERR_TOO_BIG (-1) /* one event or line passed the cap */
#define SSE_ERR_NOMEM (-2)   /* memory ran out */

typedef enum SseKind {
    SSE_EVENT,         /* a dispatched event: type, data, id */
    SSE_UNKNOWN_LINE,  /* a line with an unknown field name, reported only when
                          enabled (sse_parser_report_unknown); data = the raw line */
} SseKind;

/* What the callback sees; all pointers are borrowed for the call only. */
typedef struct SseEvent {
    SseKind kind;
    const char *type; /* event type: the `event:` value, "message" when none */
    const char *data; /* data lines joined by "\n" (no trailing "\n"), NUL-terminated */
    size_t data_len;  /* bytes of data (it may contain NULs) */
    const char *id;   /* last event id seen so far, "" when none */
} SseEvent;

/* Returns 0 to go on; anything else stops parsing (the rest of the chunk is
 * dropped) and makes sse_parser_feed() return SSE_STOPPED. */
typedef int (*SseEventFn)(void *user, const SseEvent *ev);

typedef struct SseParser SseParser;

/* A parser at the start of a stream; NULL when out of memory. */
SseParser *sse_parser_new(void);
void sse_parser_free(SseParser *p);
/* Sets the cap on one event (pending line + data), in bytes; 0 restores the default. */
void sse_parser_set_max_event(SseParser *p, size_t max_bytes);
/* When on, lines whose field name is not event/data/id/retry are handed to the
 * callback as SSE_UNKNOWN_LINE (e.g. llama.cpp's old `error:` field, or bare
 * JSON sent without `data:`). Off by default, as the spec says to ignore them. */
void sse_parser_report_unknown(SseParser *p, bool on);
/* Parses n more bytes. Returns SSE_OK, SSE_STOPPED, or a negative SSE_ERR_*;
 * after an error every later call returns the same error. */
int sse_parser_feed(SseParser *p, const char *bytes, size_t n, SseEventFn cb, void *user);
/* The stream ended. With flush false this follows the spec: a pending event
 * without its terminating blank line is discarded. With flush true an
 * unterminated last line is taken as complete and a pending event is
 * dispatched (servers that close right after `data: [DONE]`). The parser is
 * then ready for a new stream (last id and retry are kept). Returns as feed. */
int sse_parser_end(SseParser *p, bool flush, SseEventFn cb, void *user);
/* The reconnection time the stream asked for with `retry:`, in ms, or -1. */
long sse_parser_retry_ms(const SseParser *p);
/* The last event id, "" when none. */
const char *sse_parser_last_id(const SseParser *p);
/* A sentence for a negative return code. */
const char *sse_strerror(int rc);

#endif
