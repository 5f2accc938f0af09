/* jinja_lex.c — splits a template's source into data and tag tokens the way
 * Jinja2's lexer does with trim_blocks and lstrip_blocks on (transformers'
 * settings): "{%-"/"-%}" strip white space, "+" keeps it, a block tag eats
 * the newline after it and the indentation before it, "{% raw %}" passes
 * text through, and "}}" inside braces is not the end of a tag. Source
 * newlines are already normalized (jinja_parse). Not for: grammar
 * (jinja_parse.c). */
#include "engine/jinja_impl.h"
#include "util/hex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Lx {
    JArena *a;
    const char *s;
    size_t n, pos;
    int line;
    JTok *t;
    size_t nt, cap;
    char *err;
    size_t errlen;
} Lx;

static int lx_err(Lx *x, const char *msg)
{
    snprintf(x->err, x->errlen, "line %d: %s", x->line, msg);
    return -1;
}

static int push(Lx *x, JTokType type, const char *p, size_t n)
{
    if (x->nt == x->cap) {
        size_t cap = x->cap ? x->cap * 2 : 256;
        JTok *t = ja_alloc(x->a, cap * sizeof *t);
        if (!t)
            return lx_err(x, "the template is too large");
        if (x->nt)
            memcpy(t, x->t, x->nt * sizeof *t);
        x->t = t;
        x->cap = cap;
    }
    JTok *k = &x->t[x->nt++];
    memset(k, 0, sizeof *k);
    k->type = type;
    k->p = p;
    k->n = n;
    k->line = x->line;
    return 0;
}

static void count_lines(Lx *x, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (x->s[i] == '\n')
            x->line++;
}

/* Bytes of white space (Python's \s) starting at p. */
static size_t ws_len(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = jv_utf8_next(p + i, n - i, &cp);
        if (!jv_is_space(cp))
            break;
        i += k;
    }
    return i;
}

/* Length of p[0..n) without its trailing white space. */
static size_t rstrip_len(const char *p, size_t n)
{
    size_t end = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = jv_utf8_next(p + i, n - i, &cp);
        i += k;
        if (!jv_is_space(cp))
            end = i;
    }
    return end;
}

static int emit_text(Lx *x, const char *p, size_t n)
{
    return n ? push(x, JTK_TEXT, p, n) : 0;
}

/* The data before a tag, with the tag's white-space control applied. */
static int text_before_tag(Lx *x, size_t start, size_t end, char sign, bool blockish, bool line_starting)
{
    const char *p = x->s + start;
    size_t n = end - start;
    if (sign == '-') {
        n = rstrip_len(p, n);
    } else if (sign != '+' && blockish) { /* lstrip_blocks */
        size_t l = 0;
        for (size_t i = n; i > 0; i--)
            if (p[i - 1] == '\n') {
                l = i;
                break;
            }
        if ((l > 0 || line_starting) && l < n && ws_len(p + l, n - l) == n - l)
            n = l;
    }
    return emit_text(x, p, n);
}

/* After a block-ish end marker at x->pos (already past it): "-" strips all
 * white space, "+" nothing, plain trim_blocks one newline. Returns whether
 * what was consumed ends a line. */
static bool after_end(Lx *x, char sign, bool trim_blocks)
{
    size_t from = x->pos;
    if (sign == '-')
        x->pos += ws_len(x->s + x->pos, x->n - x->pos);
    else if (sign != '+' && trim_blocks && x->pos < x->n && x->s[x->pos] == '\n')
        x->pos++;
    count_lines(x, from, x->pos);
    return x->pos > from && x->s[x->pos - 1] == '\n';
}

static bool starts(const Lx *x, size_t at, const char *lit)
{
    size_t k = strlen(lit);
    return at + k <= x->n && memcmp(x->s + at, lit, k) == 0;
}

static bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string literal at x->pos (the quote): decoded as Python's unicode-escape. */
static int lex_string(Lx *x)
{
    char q = x->s[x->pos];
    size_t i = x->pos + 1;
    while (i < x->n && x->s[i] != q) {
        if (x->s[i] == '\\')
            i++;
        i++;
    }
    if (i >= x->n)
        return lx_err(x, "a string is not closed");
    const char *body = x->s + x->pos + 1;
    size_t bn = i - x->pos - 1;
    char *out = ja_alloc(x->a, bn + 1);
    if (!out)
        return lx_err(x, "the template is too large");
    size_t o = 0;
    for (size_t k = 0; k < bn; k++) {
        char c = body[k];
        if (c != '\\' || k + 1 >= bn) {
            out[o++] = c;
            continue;
        }
        char e = body[++k];
        uint32_t cp = 0;
        int digits = 0;
        switch (e) {
        case '\n': break;
        case '\\': out[o++] = '\\'; break;
        case '\'': out[o++] = '\''; break;
        case '"': out[o++] = '"'; break;
        case 'a': out[o++] = '\a'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'v': out[o++] = '\v'; break;
        case 'x': digits = 2; break;
        case 'u': digits = 4; break;
        case 'U': digits = 8; break;
        default:
            if (e >= '0' && e <= '7') {
                cp = (uint32_t)(e - '0');
                for (int d = 0; d < 2 && k + 1 < bn && body[k + 1] >= '0' && body[k + 1] <= '7'; d++)
                    cp = cp * 8 + (uint32_t)(body[++k] - '0');
                o += put_utf8(out + o, cp);
            } else { /* unknown escapes stay as they are */
                out[o++] = '\\';
                out[o++] = e;
            }
        }
        if (digits) {
            if (k + (size_t)digits >= bn)
                return lx_err(x, "a string has a truncated \\x, \\u or \\U escape");
            for (int d = 0; d < digits; d++) {
                int h = hex_value(body[k + 1 + (size_t)d]);
                if (h < 0)
                    return lx_err(x, "a string has a malformed \\x, \\u or \\U escape");
                cp = cp * 16 + (uint32_t)h;
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return lx_err(x, "a string escapes a code point that is not a character");
            k += (size_t)digits;
            o += put_utf8(out + o, cp);
        }
    }
    out[o] = '\0';
    if (push(x, JTK_STRING, x->s + x->pos, i + 1 - x->pos) < 0)
        return -1;
    x->t[x->nt - 1].val = jv_str(out, o, NULL);
    count_lines(x, x->pos, i + 1);
    x->pos = i + 1;
    return 0;
}

static int lex_number(Lx *x)
{
    size_t i = x->pos;
    while (i < x->n && (is_digit(x->s[i]) || x->s[i] == '_'))
        i++;
    bool is_float = false;
    if (i + 1 < x->n && x->s[i] == '.' && is_digit(x->s[i + 1])) {
        is_float = true;
        i++;
        while (i < x->n && (is_digit(x->s[i]) || x->s[i] == '_'))
            i++;
    }
    if (i < x->n && (x->s[i] == 'e' || x->s[i] == 'E')) {
        size_t j = i + 1;
        if (j < x->n && (x->s[j] == '+' || x->s[j] == '-'))
            j++;
        if (j < x->n && is_digit(x->s[j])) {
            is_float = true;
            i = j;
            while (i < x->n && is_digit(x->s[i]))
                i++;
        }
    }
    char tmp[64];
    size_t k = 0;
    for (size_t j = x->pos; j < i && k + 1 < sizeof tmp; j++)
        if (x->s[j] != '_')
            tmp[k++] = x->s[j];
    tmp[k] = '\0';
    if (i - x->pos >= sizeof tmp - 1)
        return lx_err(x, "a number is too long");
    if (push(x, is_float ? JTK_FLOAT : JTK_INT, x->s + x->pos, i - x->pos) < 0)
        return -1;
    JTok *t = &x->t[x->nt - 1];
    if (is_float) {
        t->val = jv_float(strtod(tmp, NULL));
    } else {
        int64_t v = 0;
        for (size_t j = 0; j < k; j++) {
            if (v > (INT64_MAX - 9) / 10)
                return lx_err(x, "an integer literal is too large");
            v = v * 10 + (tmp[j] - '0');
        }
        t->val = jv_int(v);
    }
    x->pos = i;
    return 0;
}

static const char *const ops2[] = { "//", "**", "==", "!=", ">=", "<=" };

/* Tokens inside a tag up to and including its end; sets *line_end. */
static int lex_tag(Lx *x, bool block, bool *line_end)
{
    char stack[64];
    int depth = 0;
    for (;;) {
        size_t w = ws_len(x->s + x->pos, x->n - x->pos);
        count_lines(x, x->pos, x->pos + w);
        x->pos += w;
        if (x->pos >= x->n)
            return lx_err(x, block ? "a {% tag is not closed" : "a {{ tag is not closed");
        if (depth == 0) {
            char sign = 0;
            size_t at = x->pos;
            if (x->s[at] == '-' || x->s[at] == '+') {
                sign = x->s[at];
                at++;
            }
            if (block && starts(x, at, "%}")) {
                if (push(x, JTK_BLOCK_END, x->s + x->pos, at + 2 - x->pos) < 0)
                    return -1;
                x->pos = at + 2;
                *line_end = after_end(x, sign, true);
                return 0;
            }
            if (!block && sign != '+' && starts(x, at, "}}")) {
                if (push(x, JTK_VAR_END, x->s + x->pos, at + 2 - x->pos) < 0)
                    return -1;
                x->pos = at + 2;
                *line_end = after_end(x, sign, false);
                return 0;
            }
        }
        char c = x->s[x->pos];
        if (c == '\'' || c == '"') {
            if (lex_string(x) < 0)
                return -1;
            continue;
        }
        if (is_digit(c)) {
            if (lex_number(x) < 0)
                return -1;
            continue;
        }
        if (is_name_start(c)) {
            size_t i = x->pos;
            while (i < x->n && is_name_char(x->s[i]))
                i++;
            if (push(x, JTK_NAME, x->s + x->pos, i - x->pos) < 0)
                return -1;
            x->pos = i;
            continue;
        }
        size_t len = 0;
        for (size_t k = 0; k < sizeof ops2 / sizeof ops2[0]; k++)
            if (starts(x, x->pos, ops2[k]))
                len = 2;
        if (!len && strchr("+-/*%~[](){}<>=.:|,;", c) && c != '\0')
            len = 1;
        if (!len) {
            char msg[64];
            snprintf(msg, sizeof msg, "unexpected character '%c' in a tag", c >= 32 && c < 127 ? c : '?');
            return lx_err(x, msg);
        }
        if (len == 1 && (c == '(' || c == '[' || c == '{')) {
            if (depth >= (int)sizeof stack)
                return lx_err(x, "brackets are nested too deeply");
            stack[depth++] = c == '(' ? ')' : c == '[' ? ']' : '}';
        } else if (len == 1 && (c == ')' || c == ']' || c == '}')) {
            if (depth == 0 || stack[depth - 1] != c) {
                char msg[48];
                snprintf(msg, sizeof msg, "unexpected '%c'", c);
                return lx_err(x, msg);
            }
            depth--;
        }
        if (push(x, JTK_OP, x->s + x->pos, len) < 0)
            return -1;
        x->pos += len;
    }
}

/* {% raw %} ... {% endraw %}: the text between passes through untouched. */
static int lex_raw(Lx *x, bool *line_end)
{
    /* x->pos is just after "raw"; the begin tag ends with %} (or -%}) */
    size_t w = ws_len(x->s + x->pos, x->n - x->pos);
    x->pos += w;
    char sign = 0;
    if (x->pos < x->n && x->s[x->pos] == '-')
        sign = x->s[x->pos++];
    if (!starts(x, x->pos, "%}"))
        return lx_err(x, "malformed {% raw %} tag");
    x->pos += 2;
    if (sign == '-')
        x->pos += ws_len(x->s + x->pos, x->n - x->pos); /* no trim_blocks after raw */
    size_t start = x->pos;
    for (size_t i = start; i + 1 < x->n; i++) {
        if (x->s[i] != '{' || x->s[i + 1] != '%')
            continue;
        size_t j = i + 2;
        char bsign = 0;
        if (j < x->n && (x->s[j] == '-' || x->s[j] == '+'))
            bsign = x->s[j++];
        j += ws_len(x->s + j, x->n - j);
        if (!starts(x, j, "endraw"))
            continue;
        j += 6;
        j += ws_len(x->s + j, x->n - j);
        char esign = 0;
        if (j < x->n && (x->s[j] == '-' || x->s[j] == '+'))
            esign = x->s[j++];
        if (!starts(x, j, "%}"))
            continue;
        bool line_starting = start == 0 || x->s[start - 1] == '\n';
        if (text_before_tag(x, start, i, bsign, true, line_starting) < 0)
            return -1;
        count_lines(x, start, j + 2);
        x->pos = j + 2;
        *line_end = after_end(x, esign, true);
        return 0;
    }
    return lx_err(x, "{% raw %} without {% endraw %}");
}

int jinja_lex(JArena *a, const char *src, size_t len, JTok **toks, size_t *ntoks, char *err, size_t errlen)
{
    Lx x = { .a = a, .s = src, .n = len, .line = 1, .err = err, .errlen = errlen };
    bool line_starting = true;
    while (x.pos < x.n) {
        size_t o = x.pos;
        while (o + 1 < x.n && !(x.s[o] == '{' && (x.s[o + 1] == '{' || x.s[o + 1] == '%' || x.s[o + 1] == '#')))
            o++;
        if (o + 1 >= x.n) { /* no more tags */
            if (emit_text(&x, x.s + x.pos, x.n - x.pos) < 0)
                return -1;
            count_lines(&x, x.pos, x.n);
            x.pos = x.n;
            break;
        }
        char kind = x.s[o + 1];
        char sign = o + 2 < x.n && (x.s[o + 2] == '-' || x.s[o + 2] == '+') ? x.s[o + 2] : 0;
        /* {% raw %} is recognised with its begin tag */
        bool raw = false;
        size_t after = o + 2 + (sign ? 1 : 0);
        if (kind == '%') {
            size_t j = after + ws_len(x.s + after, x.n - after);
            raw = starts(&x, j, "raw") && (j + 3 >= x.n || !is_name_char(x.s[j + 3]));
            if (raw)
                after = j + 3;
        }
        if (text_before_tag(&x, x.pos, o, sign, kind != '{', line_starting) < 0)
            return -1;
        count_lines(&x, x.pos, o);
        x.pos = after;
        bool line_end = false;
        if (raw) {
            if (lex_raw(&x, &line_end) < 0)
                return -1;
        } else if (kind == '#') {
            size_t c = x.pos;
            while (c + 1 < x.n && !(x.s[c] == '#' && x.s[c + 1] == '}'))
                c++;
            if (c + 1 >= x.n)
                return lx_err(&x, "a {# comment is not closed");
            char esign = c > x.pos && (x.s[c - 1] == '-' || x.s[c - 1] == '+') ? x.s[c - 1] : 0;
            count_lines(&x, x.pos, c + 2);
            x.pos = c + 2;
            line_end = after_end(&x, esign, true);
        } else {
            bool block = kind == '%';
            if (push(&x, block ? JTK_BLOCK_BEGIN : JTK_VAR_BEGIN, x.s + o, after - o) < 0)
                return -1;
            if (lex_tag(&x, block, &line_end) < 0)
                return -1;
        }
        line_starting = line_end;
    }
    if (push(&x, JTK_EOF, x.s + x.n, 0) < 0)
        return -1;
    *toks = x.t;
    *ntoks = x.nt;
    return 0;
}
