/* wrap.c — UTF-8 decoding, character widths and greedy word wrapping.
 *
 * Pure functions shared by the pane (which keeps a line index built with
 * wrap_next_line) and the renderer (which must measure characters exactly as
 * the wrapper did). Not for drawing: see pane.c. */
#include "tui/wrap.h"

#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

size_t wrap_decode(const char *s, size_t len, size_t pos, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s + pos;
    size_t avail = len - pos;
    unsigned char c = u[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    uint32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        v = c & 0x1Fu;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        v = c & 0x0Fu;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        v = c & 0x07u;
        min = 0x10000;
    } else {
        *cp = WRAP_REPLACEMENT;
        return 1;
    }
    if (avail < need) {
        *cp = WRAP_REPLACEMENT;
        return 1;
    }
    for (size_t k = 1; k < need; k++) {
        if ((u[k] & 0xC0) != 0x80) {
            *cp = WRAP_REPLACEMENT;
            return 1;
        }
        v = (v << 6) | (u[k] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = WRAP_REPLACEMENT;
        return 1;
    }
    *cp = v;
    return need;
}

/* Zero-width format characters that terminals join or reorder by their own
 * rules: never sent to the terminal. */
static const struct {
    uint32_t lo, hi;
} FORMAT_RANGES[] = {
    { 0x061C, 0x061C },   /* arabic letter mark */
    { 0x180B, 0x180F },   /* mongolian selectors and vowel separator */
    { 0x200B, 0x200F },   /* zero-width space, ZWNJ, ZWJ, LRM, RLM */
    { 0x202A, 0x202E },   /* bidi embeddings and overrides */
    { 0x2060, 0x206F },   /* word joiner, invisible operators, bidi isolates */
    { 0xFE00, 0xFE0F },   /* variation selectors */
    { 0xFEFF, 0xFEFF },   /* zero-width no-break space (BOM) */
    { 0xFFF9, 0xFFFB },   /* interlinear annotation */
    { 0xE0000, 0xE007F }, /* tags */
    { 0xE0100, 0xE01EF }, /* variation selectors supplement */
};

static int is_format(uint32_t cp)
{
    for (size_t i = 0; i < sizeof FORMAT_RANGES / sizeof FORMAT_RANGES[0]; i++)
        if (cp >= FORMAT_RANGES[i].lo && cp <= FORMAT_RANGES[i].hi)
            return 1;
    return 0;
}

int wrap_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

/* Outside a UTF-8 locale, the UI's own glyphs become ASCII look-alikes of
 * the same width (one column); anything else not ASCII becomes '?'. */
static const struct {
    uint32_t cp;
    char ascii;
} ASCII_LOOKALIKE[] = {
    { 0x2026, '~' }, /* … */      { 0x00B7, '-' }, /* · */     { 0x2014, '-' }, /* — */
    { 0x2013, '-' }, /* – */      { 0x2502, '|' }, /* │ */     { 0x2500, '-' }, /* ─ */
    { 0x25BE, 'v' }, /* ▾ */      { 0x25B8, '>' }, /* ▸ */     { 0x2192, '>' }, /* → */
    { 0x2581, '_' }, { 0x2582, '.' }, { 0x2583, ':' }, { 0x2584, '-' }, /* ▁▂▃▄ */
    { 0x2585, '=' }, { 0x2586, '+' }, { 0x2587, '*' }, { 0x2588, '#' }, /* ▅▆▇█ */
    { 0x25CC, '?' }, /* ◌ */      { 0xFFFD, '?' },
};

static char ascii_for(uint32_t cp)
{
    for (size_t i = 0; i < sizeof ASCII_LOOKALIKE / sizeof ASCII_LOOKALIKE[0]; i++)
        if (ASCII_LOOKALIKE[i].cp == cp)
            return ASCII_LOOKALIKE[i].ascii;
    return '?';
}

WrapClass wrap_cp_class(uint32_t cp)
{
    if (cp >= 0x20 && cp < 0x7F)
        return WRAP_CLASS_NARROW;
    if (cp == '\t')
        return WRAP_CLASS_TAB;
    if (cp == '\n')
        return WRAP_CLASS_NEWLINE;
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
        return WRAP_CLASS_REPLACED;
    int w = wcwidth((wchar_t)cp);
    if (w < 0)
        return WRAP_CLASS_REPLACED;
    if (w == 0)
        return is_format(cp) ? WRAP_CLASS_FORMAT : WRAP_CLASS_MARK;
    return w >= 2 ? WRAP_CLASS_WIDE : WRAP_CLASS_NARROW;
}

int wrap_cp_is_replaced(uint32_t cp)
{
    return wrap_cp_class(cp) == WRAP_CLASS_REPLACED;
}

int wrap_cp_width(uint32_t cp, int col)
{
    switch (wrap_cp_class(cp)) {
    case WRAP_CLASS_NARROW: return 1;
    case WRAP_CLASS_WIDE: return 2;
    case WRAP_CLASS_MARK: return col == 0 ? 1 : 0;
    case WRAP_CLASS_FORMAT: return 0;
    case WRAP_CLASS_TAB: return WRAP_TABSTOP - (col % WRAP_TABSTOP);
    case WRAP_CLASS_NEWLINE: return 0;
    case WRAP_CLASS_REPLACED: return 1;
    }
    return 1;
}

int wrap_render(const char *s, size_t len, int col, Buf *out)
{
    int start = col;
    int marks = 0; /* marks drawn on the current character */
    int utf8 = wrap_utf8();
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = wrap_decode(s, len, i, &cp);
        WrapClass k = wrap_cp_class(cp);
        int w = wrap_cp_width(cp, col);
        int rc = 0;
        switch (k) {
        case WRAP_CLASS_NARROW:
        case WRAP_CLASS_WIDE:
            /* an invalid byte decoded to U+FFFD is drawn as U+FFFD, never as itself */
            rc = cp == WRAP_REPLACEMENT ? buf_append(out, "\xEF\xBF\xBD", 3) : buf_append(out, s + i, n);
            marks = 0;
            break;
        case WRAP_CLASS_MARK:
            if (col == 0) { /* nothing to join: a dotted circle carries it */
                rc = utf8 ? buf_append(out, "\xE2\x97\x8C", 3) : buf_append(out, "?", 1);
                marks = 0;
            }
            if (rc == 0 && marks < WRAP_MAX_MARKS) {
                rc = buf_append(out, s + i, n);
                marks++;
            }
            break;
        case WRAP_CLASS_FORMAT:
        case WRAP_CLASS_NEWLINE:
            break;
        case WRAP_CLASS_TAB:
            for (int t = 0; t < w && rc == 0; t++)
                rc = buf_append(out, " ", 1);
            marks = 0;
            break;
        case WRAP_CLASS_REPLACED:
            if (utf8) {
                rc = buf_append(out, "\xEF\xBF\xBD", 3);
            } else {
                char c = ascii_for(cp);
                rc = buf_append(out, &c, 1);
            }
            marks = 0;
            break;
        }
        if (rc < 0)
            return -1;
        col += w;
        i += n;
    }
    return col - start;
}

size_t wrap_complete_prefix(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    /* Look back over at most three continuation bytes for a lead byte. */
    size_t back = 0;
    while (back < 3 && back < len && (u[len - 1 - back] & 0xC0) == 0x80)
        back++;
    if (back == len)
        return len;
    unsigned char c = u[len - 1 - back];
    size_t need = 0;
    if (c >= 0xC2 && c <= 0xDF)
        need = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        need = 3;
    else if (c >= 0xF0 && c <= 0xF4)
        need = 4;
    if (need > back + 1)
        return len - 1 - back; /* the character is still arriving */
    return len;
}

static int is_space(uint32_t cp)
{
    return cp == ' ' || cp == '\t';
}

/* Skips the spaces a wrap swallowed, and a newline right after them (so a
 * line that wrapped exactly at its end does not leave an empty line). */
static size_t skip_break(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    if (i < len && s[i] == '\n')
        i++;
    return i;
}

size_t wrap_next_line(const char *s, size_t len, size_t pos, int width, size_t *line_len, int *cols)
{
    if (width < 1)
        width = 1;
    int col = 0;
    size_t i = pos;
    int have_brk = 0, brk_skip = 0, prev_space = 0;
    size_t brk_len = 0, brk_next = 0;
    int brk_cols = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = wrap_decode(s, len, i, &cp);
        if (cp == '\n') {
            *line_len = i - pos;
            *cols = col;
            return i + 1;
        }
        int w = wrap_cp_width(cp, col);
        if (is_space(cp)) {
            if (!prev_space && i > pos) {
                have_brk = 1;
                brk_skip = 1;
                brk_len = i - pos;
                brk_cols = col;
                brk_next = i;
            }
            prev_space = 1;
            if (col + w > width) {
                if (have_brk) {
                    *line_len = brk_len;
                    *cols = brk_cols;
                    return skip_break(s, len, brk_next);
                }
                /* leading spaces wider than the line: break inside them */
                if (i == pos) {
                    *line_len = n;
                    *cols = w;
                    return i + n;
                }
                *line_len = i - pos;
                *cols = col;
                return i;
            }
            col += w;
            i += n;
            continue;
        }
        int after_space = prev_space;
        prev_space = 0;
        if (w == 2 && i > pos && !after_space) { /* a break is allowed before a wide character */
            have_brk = 1;
            brk_skip = 0;
            brk_len = i - pos;
            brk_cols = col;
            brk_next = i;
        }
        if (w > 0 && col + w > width) {
            if (have_brk) {
                *line_len = brk_len;
                *cols = brk_cols;
                return brk_skip ? skip_break(s, len, brk_next) : brk_next;
            }
            if (i > pos) {
                *line_len = i - pos;
                *cols = col;
                return i;
            }
            /* a character wider than the whole line: it goes alone */
        }
        if (w == 0 && have_brk && !brk_skip && brk_next == i) {
            /* a combining mark stays with the wide character before it */
            brk_len = i + n - pos;
            brk_next = i + n;
        }
        col += w;
        i += n;
        if (w == 2) { /* ... and after it */
            have_brk = 1;
            brk_skip = 0;
            brk_len = i - pos;
            brk_cols = col;
            brk_next = i;
        }
    }
    *line_len = i - pos;
    *cols = col;
    return len;
}

size_t wrap_count_lines(const char *s, size_t len, int width)
{
    size_t n = 0, pos = 0;
    while (pos < len) {
        size_t ll;
        int c;
        pos = wrap_next_line(s, len, pos, width, &ll, &c);
        n++;
    }
    if (len > 0 && s[len - 1] == '\n')
        n++;
    return n;
}

int wrap_str_cols(const char *s, size_t len)
{
    int col = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += wrap_decode(s, len, i, &cp);
        if (cp == '\n')
            continue;
        col += wrap_cp_width(cp, col);
    }
    return col;
}
