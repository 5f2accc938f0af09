/* ndjson.c — incremental NDJSON line splitter (see ndjson.h).
 *
 * Lines end at LF; a CR right before the LF (CRLF framing) is dropped, which
 * works whatever the chunking because the CR stays in the line buffer until
 * its LF arrives. A lone CR is not a line end (JSON treats it as whitespace).
 * Pure: no I/O. */
#include "net/ndjson.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

struct NdjsonParser {
    Buf line;        /* the line being assembled, without its LF */
    size_t max_line; /* bytes */
    bool at_start;   /* no line completed yet: a BOM may still be stripped */
    int error;       /* sticky negative NDJSON_ERR_*, or 0 */
};

NdjsonParser *ndjson_parser_new(void)
{
    NdjsonParser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->max_line = NDJSON_DEFAULT_MAX_LINE;
    p->at_start = true;
    return p;
}

void ndjson_parser_free(NdjsonParser *p)
{
    if (!p)
        return;
    buf_free(&p->line);
    free(p);
}

void ndjson_parser_set_max_line(NdjsonParser *p, size_t max_bytes)
{
    p->max_line = max_bytes ? max_bytes : NDJSON_DEFAULT_MAX_LINE;
}

const char *ndjson_strerror(int rc)
{
    switch (rc) {
    case NDJSON_OK: return "no error";
    case NDJSON_STOPPED: return "stopped by the line handler";
    case NDJSON_ERR_TOO_BIG: return "an NDJSON line exceeded the size limit";
    case NDJSON_ERR_NOMEM: return "out of memory while splitting NDJSON lines";
    default: return "unknown NDJSON error";
    }
}

static bool is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Delivers the assembled line (unless blank) and empties the buffer. */
static int complete_line(NdjsonParser *p, NdjsonLineFn cb, void *user)
{
    static char empty[1];
    char *s = p->line.data ? p->line.data : empty;
    size_t n = p->line.len;
    if (p->at_start) {
        p->at_start = false;
        if (n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
    }
    if (n > 0 && s[n - 1] == '\r') {
        n--;
        s[n] = '\0';
    }
    int rc = NDJSON_OK;
    if (!is_blank(s, n) && cb && cb(user, s, n))
        rc = NDJSON_STOPPED;
    buf_reset(&p->line);
    return rc;
}

int ndjson_parser_feed(NdjsonParser *p, const char *bytes, size_t n, NdjsonLineFn cb, void *user)
{
    if (p->error)
        return p->error;
    size_t i = 0;
    while (i < n) {
        const char *lf = memchr(bytes + i, '\n', n - i);
        size_t j = lf ? (size_t)(lf - bytes) : n;
        if (j > i) {
            if (p->line.len + (j - i) > p->max_line)
                return p->error = NDJSON_ERR_TOO_BIG;
            if (buf_append(&p->line, bytes + i, j - i) < 0)
                return p->error = NDJSON_ERR_NOMEM;
        }
        if (!lf)
            break;
        i = j + 1;
        if (complete_line(p, cb, user) == NDJSON_STOPPED)
            return NDJSON_STOPPED;
    }
    return NDJSON_OK;
}

int ndjson_parser_end(NdjsonParser *p, NdjsonLineFn cb, void *user)
{
    if (p->error)
        return p->error;
    int rc = NDJSON_OK;
    if (p->line.len > 0)
        rc = complete_line(p, cb, user);
    buf_reset(&p->line);
    p->at_start = true;
    return rc;
}
