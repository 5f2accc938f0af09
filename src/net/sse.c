/* sse.c — incremental Server-Sent Events parser (see sse.h).
 *
 * Bytes are split into lines on CR, LF or CRLF; a CR that ends one chunk is
 * remembered so that an LF opening the next chunk is swallowed rather than
 * read as an empty line (which would dispatch too early). Each complete line
 * is interpreted by the field rules of WHATWG HTML §9.2.6. Pure: no I/O. */
#include "net/sse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

struct SseParser {
    Buf line;        /* the line being assembled, without its terminator */
    Buf data;        /* data buffer: each data value followed by "\n" */
    Buf type;        /* event type buffer */
    Buf id;          /* last event id (persists across events) */
    long retry_ms;   /* from `retry:`, or -1 */
    size_t max_event; /* cap on line.len + data.len, bytes */
    bool last_cr;    /* the previous byte was a CR: a following LF belongs to it */
    bool at_start;   /* no line completed yet: a BOM may still be stripped */
    bool report_unknown;
    int error;       /* sticky negative SSE_ERR_*, or 0 */
};

SseParser *sse_parser_new(void)
{
    SseParser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->retry_ms = -1;
    p->max_event = SSE_DEFAULT_MAX_EVENT;
    p->at_start = true;
    return p;
}

void sse_parser_free(SseParser *p)
{
    if (!p)
        return;
    buf_free(&p->line);
    buf_free(&p->data);
    buf_free(&p->type);
    buf_free(&p->id);
    free(p);
}

void sse_parser_set_max_event(SseParser *p, size_t max_bytes)
{
    p->max_event = max_bytes ? max_bytes : SSE_DEFAULT_MAX_EVENT;
}

void sse_parser_report_unknown(SseParser *p, bool on) { p->report_unknown = on; }

long sse_parser_retry_ms(const SseParser *p) { return p->retry_ms; }

const char *sse_parser_last_id(const SseParser *p) { return buf_str(&p->id); }

const char *sse_strerror(int rc)
{
    switch (rc) {
    case SSE_OK: return "no error";
    case SSE_STOPPED: return "stopped by the event handler";
    case SSE_ERR_TOO_BIG: return "a server-sent event exceeded the size limit";
    case SSE_ERR_NOMEM: return "out of memory while parsing server-sent events";
    default: return "unknown server-sent events error";
    }
}

static int fail(SseParser *p, int rc)
{
    p->error = rc;
    return rc;
}

static int dispatch(SseParser *p, SseEventFn cb, void *user)
{
    if (p->data.len == 0) {
        buf_reset(&p->type);
        return SSE_OK;
    }
    p->data.len--; /* the "\n" after the last data value */
    p->data.data[p->data.len] = '\0';
    SseEvent ev = { .kind = SSE_EVENT,
                    .type = p->type.len ? p->type.data : "message",
                    .data = p->data.data,
                    .data_len = p->data.len,
                    .id = buf_str(&p->id) };
    int rc = cb ? cb(user, &ev) : 0;
    buf_reset(&p->data);
    buf_reset(&p->type);
    return rc ? SSE_STOPPED : SSE_OK;
}

static bool field_is(const char *name, size_t len, const char *want)
{
    return len == strlen(want) && memcmp(name, want, len) == 0;
}

static void set_retry(SseParser *p, const char *v, size_t n)
{
    if (n == 0)
        return;
    long ms = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return;
        if (ms > (LONG_MAX - 9) / 10)
            return; /* absurdly large: ignore like any other invalid value */
        ms = ms * 10 + (v[i] - '0');
    }
    p->retry_ms = ms;
}

/* Interprets one complete line (without its terminator). */
static int process_line(SseParser *p, const char *line, size_t len, SseEventFn cb, void *user)
{
    if (p->at_start) {
        p->at_start = false;
        if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            len -= 3;
        }
    }
    if (len == 0)
        return dispatch(p, cb, user);
    if (line[0] == ':')
        return SSE_OK; /* comment: keep-alives, `: OPENROUTER PROCESSING` */
    const char *colon = memchr(line, ':', len);
    size_t name_len = colon ? (size_t)(colon - line) : len;
    const char *value = colon ? colon + 1 : line + len;
    size_t value_len = colon ? len - name_len - 1 : 0;
    if (value_len > 0 && value[0] == ' ') {
        value++;
        value_len--;
    }
    if (field_is(line, name_len, "data")) {
        if (p->data.len + value_len + 1 > p->max_event)
            return SSE_ERR_TOO_BIG;
        if (buf_append(&p->data, value, value_len) < 0 || buf_append(&p->data, "\n", 1) < 0)
            return SSE_ERR_NOMEM;
    } else if (field_is(line, name_len, "event")) {
        buf_reset(&p->type);
        if (buf_append(&p->type, value, value_len) < 0)
            return SSE_ERR_NOMEM;
    } else if (field_is(line, name_len, "id")) {
        if (!memchr(value, '\0', value_len)) {
            buf_reset(&p->id);
            if (buf_append(&p->id, value, value_len) < 0)
                return SSE_ERR_NOMEM;
        }
    } else if (field_is(line, name_len, "retry")) {
        set_retry(p, value, value_len);
    } else if (p->report_unknown && cb) {
        SseEvent ev = { .kind = SSE_UNKNOWN_LINE, .type = "", .data = line, .data_len = len,
                        .id = buf_str(&p->id) };
        if (cb(user, &ev))
            return SSE_STOPPED;
    }
    return SSE_OK;
}

/* Processes the assembled line and empties the line buffer. */
static int complete_line(SseParser *p, SseEventFn cb, void *user)
{
    int rc = process_line(p, buf_str(&p->line), p->line.len, cb, user);
    buf_reset(&p->line);
    return rc;
}

int sse_parser_feed(SseParser *p, const char *bytes, size_t n, SseEventFn cb, void *user)
{
    if (p->error)
        return p->error;
    size_t i = 0;
    while (i < n) {
        if (p->last_cr) {
            p->last_cr = false;
            if (bytes[i] == '\n') {
                i++;
                continue;
            }
        }
        size_t j = i;
        while (j < n && bytes[j] != '\r' && bytes[j] != '\n')
            j++;
        if (j > i) {
            if (p->line.len + p->data.len + (j - i) > p->max_event)
                return fail(p, SSE_ERR_TOO_BIG);
            if (buf_append(&p->line, bytes + i, j - i) < 0)
                return fail(p, SSE_ERR_NOMEM);
        }
        if (j == n)
            break;
        p->last_cr = bytes[j] == '\r';
        i = j + 1;
        int rc = complete_line(p, cb, user);
        if (rc < 0)
            return fail(p, rc);
        if (rc == SSE_STOPPED)
            return rc;
    }
    return SSE_OK;
}

int sse_parser_end(SseParser *p, bool flush, SseEventFn cb, void *user)
{
    if (p->error)
        return p->error;
    int rc = SSE_OK;
    if (flush) {
        if (p->line.len > 0)
            rc = complete_line(p, cb, user);
        if (rc == SSE_OK)
            rc = dispatch(p, cb, user);
    }
    buf_reset(&p->line);
    buf_reset(&p->data);
    buf_reset(&p->type);
    p->last_cr = false;
    p->at_start = true;
    if (rc < 0)
        return fail(p, rc);
    return rc;
}
