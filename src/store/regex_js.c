/* regex_js.c — POSIX extended regular expressions (as util/regexp.h and
 * glibc's regcomp read them, C locale) rewritten for JavaScript's RegExp
 * (see regex_js.h). A small recursive-descent walk:
 * alternation → branches → pieces (an atom and its quantifiers). */
#include "store/regex_js.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/regexp.h"

typedef struct Rx {
    const char *p; /* next unread byte of the POSIX pattern */
    char *why;
    size_t whylen;
    int groups;    /* capturing groups opened so far */
} Rx;

static int refuse(Rx *x, const char *fmt, const char *detail)
{
    snprintf(x->why, x->whylen, fmt, detail);
    return -1;
}

/* Characters that mean something to JavaScript outside brackets. */
static bool js_special(char c)
{
    return c && strchr("^$\\.*+?()[]{}|/", c) != NULL;
}

static void put_literal(Buf *b, char c)
{
    if (js_special(c))
        buf_append(b, "\\", 1);
    buf_append(b, &c, 1);
}

/* One character inside a JavaScript class, escaped where it could mean more. */
static void put_class_char(Buf *b, unsigned char c)
{
    if (c == '\\' || c == ']' || c == '[' || c == '^' || c == '-')
        buf_printf(b, "\\%c", c);
    else if (c < 0x20 || c == 0x7f)
        buf_printf(b, "\\x%02x", c);
    else
        buf_append(b, (const char *)&c, 1);
}

/* The POSIX classes as ASCII ranges, written for inside a JavaScript class. */
static const struct { const char *name, *js; } classes[] = {
    { "alpha", "A-Za-z" },        { "digit", "0-9" },        { "alnum", "0-9A-Za-z" },
    { "upper", "A-Z" },           { "lower", "a-z" },        { "space", "\\t\\n\\v\\f\\r " },
    { "blank", " \\t" },          { "punct", "!-\\/:-@\\[-`{-~" }, { "xdigit", "0-9A-Fa-f" },
    { "cntrl", "\\x00-\\x1f\\x7f" }, { "print", " -~" },    { "graph", "!-~" },
};

/* [.c.] or [=c=] at x->p (pointing at '['): one ASCII character into *c. */
static int bracket_element(Rx *x, unsigned char *c)
{
    char kind = x->p[1];
    const char *end = strchr(x->p + 2, kind);
    if (!end || end[1] != ']')
        return refuse(x, "an unterminated [%s in brackets", kind == '.' ? "." : "=");
    if (end - (x->p + 2) != 1 || (unsigned char)x->p[2] >= 0x80)
        return refuse(x, "collating element [%s...] is not one ASCII character", kind == '.' ? "." : "=");
    *c = (unsigned char)x->p[2];
    x->p = end + 2;
    return 0;
}

/* A bracket expression at x->p (just past '[') into a JavaScript class. */
static int bracket(Rx *x, Buf *atom)
{
    buf_puts(atom, "[");
    if (*x->p == '^') {
        buf_puts(atom, "^");
        x->p++;
    }
    bool first = true;
    while (*x->p && (first || *x->p != ']')) {
        first = false;
        unsigned char lo;
        if (x->p[0] == '[' && x->p[1] == ':') {
            const char *end = strstr(x->p + 2, ":]");
            if (!end)
                return refuse(x, "an unterminated [:class:]%s", "");
            size_t n = (size_t)(end - (x->p + 2));
            const char *js = NULL;
            for (size_t i = 0; i < sizeof classes / sizeof *classes; i++)
                if (strlen(classes[i].name) == n && strncmp(classes[i].name, x->p + 2, n) == 0)
                    js = classes[i].js;
            if (!js)
                return refuse(x, "an unknown character class in [%s", x->p);
            buf_puts(atom, js);
            x->p = end + 2;
            continue;
        }
        if (x->p[0] == '[' && (x->p[1] == '.' || x->p[1] == '=')) {
            if (bracket_element(x, &lo) < 0)
                return -1;
        } else {
            lo = (unsigned char)*x->p++;
        }
        if (lo >= 0x80)
            return refuse(x, "a non-ASCII byte in brackets (regcomp matches bytes, JavaScript characters)%s", "");
        if (x->p[0] == '-' && x->p[1] && x->p[1] != ']') {
            unsigned char hi;
            x->p++;
            if (x->p[0] == '[' && (x->p[1] == '.' || x->p[1] == '=')) {
                if (bracket_element(x, &hi) < 0)
                    return -1;
            } else {
                hi = (unsigned char)*x->p++;
            }
            if (hi >= 0x80)
                return refuse(x, "a non-ASCII range end in brackets%s", "");
            put_class_char(atom, lo);
            buf_puts(atom, "-");
            put_class_char(atom, hi);
        } else {
            put_class_char(atom, lo);
        }
    }
    if (*x->p != ']')
        return refuse(x, "an unterminated bracket expression%s", "");
    x->p++;
    buf_puts(atom, "]");
    return 0;
}

static int alternation(Rx *x, Buf *out, int depth);

/* A backslash sequence (x->p just past '\'). *quantifiable is cleared for
 * the anchors (\b \B \< \> \` \'). */
static int escape(Rx *x, Buf *atom, bool *quantifiable)
{
    char c = *x->p++;
    switch (c) {
    case '\0': return refuse(x, "a trailing backslash%s", "");
    case 'w': case 'W': case 's': case 'S':
        buf_printf(atom, "\\%c", c);
        return 0;
    case 'b': case 'B':
        buf_printf(atom, "\\%c", c);
        *quantifiable = false;
        return 0;
    case '<': buf_puts(atom, "\\b(?=\\w)"); *quantifiable = false; return 0;
    case '>': buf_puts(atom, "\\b(?<=\\w)"); *quantifiable = false; return 0;
    case '`': buf_puts(atom, "^"); *quantifiable = false; return 0;
    case '\'': buf_puts(atom, "$"); *quantifiable = false; return 0;
    default: break;
    }
    if (c >= '1' && c <= '9') {
        if (c - '0' > x->groups)
            return refuse(x, "a back-reference to a group that does not exist yet%s", "");
        buf_printf(atom, "\\%c", c);
        return 0;
    }
    if ((unsigned char)c >= 0x80)
        return refuse(x, "a backslash before a non-ASCII byte%s", "");
    /* any other escaped character is itself (\d is "d", \n is "n" to regcomp) */
    put_literal(atom, c);
    return 0;
}

/* One atom at x->p into atom. *quantifiable: a quantifier may follow;
 * *multibyte: it is one character of several bytes. */
static int atom(Rx *x, Buf *atom, bool *quantifiable, bool *multibyte, int depth)
{
    *quantifiable = true;
    *multibyte = false;
    unsigned char c = (unsigned char)*x->p;
    if (c == '(') {
        x->p++;
        x->groups++;
        buf_puts(atom, "(");
        if (alternation(x, atom, depth + 1) < 0)
            return -1;
        if (*x->p != ')')
            return refuse(x, "an unbalanced parenthesis%s", "");
        x->p++;
        buf_puts(atom, ")");
        return 0;
    }
    if (c == '[') {
        x->p++;
        return bracket(x, atom);
    }
    if (c == '.') {
        x->p++;
        buf_puts(atom, "[\\s\\S]"); /* regcomp's '.' matches a newline too */
        return 0;
    }
    if (c == '^' || c == '$') {
        x->p++;
        buf_append(atom, (const char *)&c, 1);
        *quantifiable = false;
        return 0;
    }
    if (c == '\\') {
        x->p++;
        return escape(x, atom, quantifiable);
    }
    if (c == '*' || c == '+' || c == '?' || c == '{')
        return refuse(x, "a quantifier with nothing before it%s", "");
    if (c >= 0x80) {
        /* keep a whole UTF-8 sequence together: as a literal it means the same */
        size_t n = 1;
        while ((unsigned char)x->p[n] >= 0x80 && ((unsigned char)x->p[n] & 0xC0) == 0x80)
            n++;
        buf_append(atom, x->p, n);
        x->p += n;
        *multibyte = n > 1;
        return 0;
    }
    x->p++;
    put_literal(atom, (char)c);
    return 0;
}

/* A quantifier at x->p into q (normalised); 1 when one was read, 0 when none. */
static int quantifier(Rx *x, Buf *q)
{
    char c = *x->p;
    if (c == '*' || c == '+' || c == '?') {
        buf_append(q, &c, 1);
        x->p++;
        return 1;
    }
    if (c != '{')
        return 0;
    const char *s = x->p + 1;
    char *end;
    long lo = 0, hi = -1;
    bool has_lo = *s >= '0' && *s <= '9';
    if (has_lo) {
        lo = strtol(s, &end, 10);
        s = end;
    }
    bool comma = *s == ',';
    if (comma) {
        s++;
        if (*s >= '0' && *s <= '9') {
            hi = strtol(s, &end, 10);
            s = end;
        }
    }
    if (*s != '}' || (!has_lo && !comma))
        return -1; /* regcomp refused these already */
    x->p = s + 1;
    if (!comma)
        buf_printf(q, "{%ld}", lo);
    else if (hi < 0)
        buf_printf(q, "{%ld,}", lo);
    else
        buf_printf(q, "{%ld,%ld}", lo, hi);
    return 1;
}

static int piece(Rx *x, Buf *out, int depth)
{
    Buf a = { 0 }, q = { 0 };
    bool quantifiable, multibyte;
    int rc = atom(x, &a, &quantifiable, &multibyte, depth);
    size_t nq = 0;
    while (rc == 0) {
        Buf one = { 0 };
        int got = quantifier(x, &one);
        if (got <= 0) {
            buf_free(&one);
            if (got < 0)
                rc = refuse(x, "a malformed interval%s", "");
            break;
        }
        if (!quantifiable)
            rc = refuse(x, "a quantifier on an anchor%s", "");
        else if (multibyte)
            rc = refuse(x, "a quantifier on a multi-byte character (regcomp repeats its last byte)%s", "");
        if (rc == 0) {
            /* JavaScript allows one quantifier per atom: group the earlier ones */
            if (nq > 0) {
                Buf g = { 0 };
                buf_printf(&g, "(?:%s%s)", buf_str(&a), buf_str(&q));
                buf_free(&a);
                a = g;
                buf_reset(&q);
            }
            buf_puts(&q, buf_str(&one));
            nq++;
        }
        buf_free(&one);
    }
    if (rc == 0) {
        buf_puts(out, buf_str(&a));
        buf_puts(out, buf_str(&q));
    }
    buf_free(&a);
    buf_free(&q);
    return rc;
}

static int alternation(Rx *x, Buf *out, int depth)
{
    if (depth > 64)
        return refuse(x, "groups nested too deeply%s", "");
    for (;;) {
        /* a ')' with no group open is a literal to regcomp */
        while (*x->p && *x->p != '|' && (*x->p != ')' || depth == 0))
            if (piece(x, out, depth) < 0)
                return -1;
        if (*x->p != '|')
            return 0;
        buf_puts(out, "|");
        x->p++;
    }
}

int regex_posix_to_js(const char *posix, Buf *out, char *why, size_t whylen)
{
    /* what versus itself accepts (util/regexp.h) is what can be translated */
    char msg[300];
    Regexp *re = regexp_compile(posix, 0, msg, sizeof msg);
    if (!re) {
        snprintf(why, whylen, "versus does not accept it: %s", msg);
        return -1;
    }
    regexp_free(re);
    int rc;
    Buf js = { 0 };
    Rx x = { .p = posix, .why = why, .whylen = whylen };
    rc = alternation(&x, &js, 0);
    if (rc == 0)
        rc = buf_puts(out, buf_str(&js));
    buf_free(&js);
    return rc < 0 ? -1 : 0;
}
