/* unicode_ranges.c — category lookup over the generated range table, the
 * White_Space list, and UTF-8 coding (see unicode_ranges.h). */
#include "engine/unicode_ranges.h"

UnicodeCat unicode_category(uint32_t cp)
{
    if (cp > 0x10FFFF)
        return UNICODE_CAT_UNDEFINED;
    size_t lo = 0, hi = unicode_ranges_count; /* find the last entry with start <= cp */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if ((unicode_ranges_table[mid] >> 4) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    return (UnicodeCat)(unicode_ranges_table[lo] & 0xF);
}

bool unicode_is_whitespace(uint32_t cp)
{
    if (cp < 0x80)
        return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
        return true;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

size_t unicode_len_utf8(unsigned char lead)
{
    static const unsigned char lens[16] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4 };
    return lens[lead >> 4];
}

size_t unicode_decode_utf8(const unsigned char *s, size_t n, uint32_t *cp, bool *valid)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t v;
    if (!(c & 0x80)) {
        *cp = c;
        if (valid)
            *valid = true;
        return 1;
    }
    if (!(c & 0x40))
        goto bad;
    if (!(c & 0x20)) {
        len = 2;
        v = c & 0x1F;
    } else if (!(c & 0x10)) {
        len = 3;
        v = c & 0x0F;
    } else if (!(c & 0x08)) {
        len = 4;
        v = c & 0x07;
    } else {
        goto bad;
    }
    if (n < len)
        goto bad;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            goto bad;
        v = (v << 6) | (s[i] & 0x3F);
    }
    *cp = v;
    if (valid)
        *valid = true;
    return len;
bad:
    *cp = 0xFFFD;
    if (valid)
        *valid = false;
    return 1;
}

size_t unicode_encode_utf8(uint32_t cp, unsigned char *out)
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | (cp >> 6));
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | (cp >> 12));
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | ((cp >> 18) & 0x07));
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}
