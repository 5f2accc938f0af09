/* utf8.c — UTF-8 validation and repair (see utf8.h). */
#include "util/utf8.h"

#include <stdint.h>

static const char replacement[] = "\xEF\xBF\xBD";

/* Length of the valid sequence at s (1..4), or 0 when it is invalid; *bad is
 * then how many bytes form the maximal invalid subpart. */
static size_t seq_len(const unsigned char *s, size_t n, size_t *bad)
{
    unsigned c = s[0];
    *bad = 1;
    if (c < 0x80)
        return c == 0 ? 0 : 1;
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else
        return 0;
    for (size_t i = 1; i < len; i++) {
        if (i >= n)
            return 0;
        unsigned b = s[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
            return 0;
        *bad = i + 1;
    }
    return len;
}

size_t utf8_decode(const char *str, size_t n, uint32_t *cp)
{
    const unsigned char *s = (const unsigned char *)str;
    if (n == 0)
        return 0;
    if (s[0] == 0) {
        *cp = 0;
        return 1;
    }
    size_t bad, len = seq_len(s, n, &bad);
    if (!len)
        return 0;
    uint32_t v = len == 1 ? s[0] : s[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++)
        v = v << 6 | (s[i] & 0x3Fu);
    *cp = v;
    return len;
}

static bool is_control(const unsigned char *s, size_t len)
{
    if (len == 1)
        return (s[0] < 0x20 && s[0] != '\n' && s[0] != '\t') || s[0] == 0x7F;
    /* C1 controls U+0080..U+009F are C2 80..C2 9F */
    return len == 2 && s[0] == 0xC2 && s[1] < 0xA0;
}

int utf8_sanitize(Buf *out, const char *str, size_t n, int flags)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, run = 0; /* run: start of the pending valid stretch */
    while (i < n) {
        size_t bad;
        size_t len = seq_len(s + i, n - i, &bad);
        if (len && !((flags & UTF8_NO_CONTROLS) && is_control(s + i, len))) {
            i += len;
            continue;
        }
        if (buf_append(out, s + run, i - run) < 0 || buf_append(out, replacement, 3) < 0)
            return -1;
        i += len ? len : bad;
        run = i;
    }
    return buf_append(out, s + run, n - run);
}

bool utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0; i < n;) {
        size_t bad, len = seq_len(s + i, n - i, &bad);
        if (!len)
            return false;
        i += len;
    }
    return true;
}

size_t utf8_complete_prefix(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    /* Look back at most 3 bytes for a lead byte whose sequence is cut off. */
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned c = s[n - back];
        if ((c & 0xC0) == 0x80)
            continue; /* continuation: keep looking for the lead */
        size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return need > back ? n - back : n;
    }
    return n;
}
