/* termsafe.c — showing hidden characters instead of obeying them (see
 * termsafe.h). Two passes: util/utf8 repairs the bytes, then each code
 * point is either copied or written out visibly. */
#include "core/termsafe.h"

#include <stdio.h>
#include <string.h>

#include "util/utf8.h"

static bool is_bidi(uint32_t cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
           cp == 0x061C;
}

bool termsafe_is_hidden(uint32_t cp)
{
    return (cp < 0x20 && cp != '\n' && cp != '\t') || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || is_bidi(cp);
}

/* Decodes the UTF-8 sequence at s (n > 0 bytes left) into *cp; its length.
 * A byte that does not start a well-formed sequence is one byte of
 * U+FFFD-like "ordinary" text (never taken for a control). */
/* One code point at s (strictly: an invalid or overlong sequence is no
 * character at all, U+FFFD, one byte at a time). */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = utf8_decode((const char *)s, n, cp);
    if (!len) {
        *cp = 0xFFFD;
        return 1;
    }
    return len;
}

/* Repaired copy of s: valid UTF-8, NUL kept as a byte to be shown. */
static int repaired(Buf *tmp, const char *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '\0')
            continue;
        if (utf8_sanitize(tmp, s + start, i - start, UTF8_KEEP_CONTROLS) < 0)
            return -1;
        if (i < n && buf_append(tmp, "\0", 1) < 0)
            return -1;
        start = i + 1;
    }
    return 0;
}

int termsafe_append(Buf *out, const char *s, size_t n)
{
    Buf tmp = { 0 };
    if (repaired(&tmp, s, n) < 0) {
        buf_free(&tmp);
        return -1;
    }
    const unsigned char *p = (const unsigned char *)tmp.data;
    size_t len = tmp.len, run = 0;
    int rc = 0;
    for (size_t i = 0; i < len && rc == 0;) {
        uint32_t cp;
        size_t l = decode(p + i, len - i, &cp);
        if (!termsafe_is_hidden(cp)) {
            i += l;
            continue;
        }
        rc = buf_append(out, p + run, i - run);
        char vis[16];
        if (cp == '\r' && i + 1 < len && p[i + 1] == '\n')
            vis[0] = '\0'; /* CR LF: the LF alone */
        else if (cp < 0x80)
            snprintf(vis, sizeof vis, "\\x%02x", (unsigned)cp);
        else
            snprintf(vis, sizeof vis, "\\u%04x", (unsigned)cp);
        if (rc == 0)
            rc = buf_puts(out, vis);
        i += l;
        run = i;
    }
    if (rc == 0)
        rc = buf_append(out, p + run, len - run);
    buf_free(&tmp);
    return rc;
}

int termsafe_json(Buf *out, const char *json, size_t n)
{
    const unsigned char *p = (const unsigned char *)json;
    size_t run = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        uint32_t cp;
        size_t l = decode(p + i, n - i, &cp);
        /* C0 controls are escaped by every JSON writer already */
        if (cp < 0x7F || !termsafe_is_hidden(cp)) {
            i += l;
            continue;
        }
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", (unsigned)cp);
        rc = buf_append(out, p + run, i - run);
        if (rc == 0)
            rc = buf_puts(out, esc);
        i += l;
        run = i;
    }
    if (rc == 0)
        rc = buf_append(out, p + run, n - run);
    return rc;
}
