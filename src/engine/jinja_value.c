/* jinja_value.c — the values a template computes with, behaving as Python's
 * do under Jinja2: truthiness, equality (1 == 1.0 == True), ordering, len(),
 * str() and repr() (lists print as "['a', 'b']"), json.dumps() with
 * transformers' tojson options, float repr ("1e-05"), iteration; and
 * conversion from cJSON. Strings carry their input mask through every
 * operation here. Not for: filters and methods (jinja_builtins.c). */
#include "engine/jinja_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/unicode_ranges.h"

static const unsigned char k_input = 1;

/* ---- UTF-8 helpers ---------------------------------------------------------------- */

size_t jv_utf8_next(const char *p, size_t n, uint32_t *cp)
{
    return unicode_decode_utf8((const unsigned char *)p, n, cp, NULL);
}

bool jv_is_space(uint32_t cp)
{
    return unicode_is_whitespace(cp) || (cp >= 0x1c && cp <= 0x1f);
}

size_t jv_str_chars(const char *p, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; c++) {
        uint32_t cp;
        i += jv_utf8_next(p + i, n - i, &cp);
    }
    return c;
}

size_t jv_utf8_offset(const char *p, size_t n, size_t k)
{
    size_t i = 0;
    for (size_t c = 0; c < k && i < n; c++) {
        uint32_t cp;
        i += jv_utf8_next(p + i, n - i, &cp);
    }
    return i;
}

/* ---- constructors -------------------------------------------------------------------- */

JVal jv_str(const char *p, size_t n, const unsigned char *m)
{
    JVal v = { .t = JT_STR };
    v.u.s.p = p ? p : "";
    v.u.s.n = n;
    v.u.s.m = m;
    return v;
}

JVal jv_strdup(JRender *r, const char *p, size_t n)
{
    char *d = ja_strndup(&r->arena, p, n);
    if (!d)
        return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
    return jv_str(d, n, NULL);
}

JVal jv_list_new(JRender *r, size_t cap)
{
    JList *l = ja_alloc(&r->arena, sizeof *l);
    JVal *v = cap ? ja_alloc(&r->arena, cap * sizeof *v) : NULL;
    if (!l || (cap && !v)) { /* an empty list that refuses pushes, so no caller dereferences NULL */
        jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        JVal x = { .t = JT_LIST };
        x.u.l = &r->no_list;
        return x;
    }
    l->v = v;
    l->cap = cap;
    JVal x = { .t = JT_LIST };
    x.u.l = l;
    return x;
}

JVal jv_dict_new(JRender *r, size_t cap)
{
    JDict *d = ja_alloc(&r->arena, sizeof *d);
    if (d && cap) {
        d->k = ja_alloc(&r->arena, cap * sizeof *d->k);
        d->v = ja_alloc(&r->arena, cap * sizeof *d->v);
        d->cap = cap;
    }
    if (!d || (cap && (!d->k || !d->v))) {
        jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        JVal x = { .t = JT_DICT };
        x.u.d = &r->no_dict;
        return x;
    }
    JVal x = { .t = JT_DICT };
    x.u.d = d;
    return x;
}

int jv_list_push(JRender *r, JVal list, JVal item)
{
    if (r->failed || list.t != JT_LIST)
        return -1;
    JList *l = list.u.l;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        JVal *v = ja_alloc(&r->arena, cap * sizeof *v);
        if (!v) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            return -1;
        }
        if (l->n)
            memcpy(v, l->v, l->n * sizeof *v);
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = item;
    return 0;
}

int jv_dict_set(JRender *r, JVal dict, JVal key, JVal val)
{
    if (r->failed || (dict.t != JT_DICT && dict.t != JT_NS))
        return -1;
    JDict *d = dict.u.d;
    for (size_t i = 0; i < d->n; i++)
        if (jv_equal(d->k[i], key)) {
            d->v[i] = val;
            return 0;
        }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        JVal *k = ja_alloc(&r->arena, cap * sizeof *k);
        JVal *v = ja_alloc(&r->arena, cap * sizeof *v);
        if (!k || !v) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            return -1;
        }
        if (d->n) {
            memcpy(k, d->k, d->n * sizeof *k);
            memcpy(v, d->v, d->n * sizeof *v);
        }
        d->k = k;
        d->v = v;
        d->cap = cap;
    }
    d->k[d->n] = key;
    d->v[d->n] = val;
    d->n++;
    return 0;
}

JVal jv_dict_get(JVal dict, JVal key)
{
    const JDict *d = dict.u.d;
    for (size_t i = 0; i < d->n; i++)
        if (jv_equal(d->k[i], key))
            return d->v[i];
    return jv_undef();
}

JVal jv_dict_get_str(JVal dict, const char *k, size_t n)
{
    const JDict *d = dict.u.d;
    for (size_t i = 0; i < d->n; i++)
        if (d->k[i].t == JT_STR && d->k[i].u.s.n == n && memcmp(d->k[i].u.s.p, k, n) == 0)
            return d->v[i];
    return jv_undef();
}

static JVal input_str(JRender *r, const char *s, size_t n, bool input)
{
    char *p = ja_strndup(&r->arena, s, n);
    unsigned char *m = input && n ? ja_alloc(&r->arena, n) : NULL;
    if (!p || (input && n && !m))
        return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
    if (m)
        memset(m, 1, n);
    return jv_str(p, n, m);
}

JVal jv_from_json(JRender *r, const cJSON *j, bool input, int depth)
{
    if (!j || r->failed)
        return jv_none();
    if (depth > 100)
        return jr_fail(r, "the template's data nests more than 100 levels deep");
    if (cJSON_IsNull(j))
        return jv_none();
    if (cJSON_IsTrue(j))
        return jv_bool(true);
    if (cJSON_IsFalse(j))
        return jv_bool(false);
    if (cJSON_IsNumber(j)) {
        double d = j->valuedouble;
        if (d == floor(d) && fabs(d) < 9.0e15)
            return jv_int((int64_t)d);
        return jv_float(d);
    }
    if (cJSON_IsString(j))
        return input_str(r, j->valuestring, strlen(j->valuestring), input);
    if (cJSON_IsArray(j)) {
        JVal l = jv_list_new(r, (size_t)cJSON_GetArraySize(j));
        for (const cJSON *c = j->child; c && !r->failed; c = c->next)
            jv_list_push(r, l, jv_from_json(r, c, input, depth + 1));
        return l;
    }
    if (cJSON_IsObject(j)) {
        JVal d = jv_dict_new(r, (size_t)cJSON_GetArraySize(j));
        for (const cJSON *c = j->child; c && !r->failed; c = c->next)
            jv_dict_set(r, d, input_str(r, c->string ? c->string : "", c->string ? strlen(c->string) : 0, input),
                        jv_from_json(r, c, input, depth + 1));
        return d;
    }
    return jv_none();
}

/* ---- Python semantics ---------------------------------------------------------------- */

const char *jv_type_name(JVal v)
{
    switch ((JType)v.t) {
    case JT_UNDEF: return "Undefined";
    case JT_NONE: return "NoneType";
    case JT_BOOL: return "bool";
    case JT_INT: return "int";
    case JT_FLOAT: return "float";
    case JT_STR: return "str";
    case JT_LIST: return v.tuple ? "tuple" : "list";
    case JT_DICT: return "dict";
    case JT_NS: return "Namespace";
    case JT_FUNC: return "function";
    case JT_LOOP: return "LoopContext";
    }
    return "object";
}

bool jv_truthy(JVal v)
{
    switch ((JType)v.t) {
    case JT_UNDEF:
    case JT_NONE: return false;
    case JT_BOOL: return v.u.b;
    case JT_INT: return v.u.i != 0;
    case JT_FLOAT: return v.u.f != 0.0;
    case JT_STR: return v.u.s.n != 0;
    case JT_LIST: return v.u.l->n != 0;
    case JT_DICT: return v.u.d->n != 0;
    default: return true;
    }
}

static bool is_num(JVal v) { return v.t == JT_INT || v.t == JT_FLOAT || v.t == JT_BOOL; }
static double num_f(JVal v) { return v.t == JT_FLOAT ? v.u.f : v.t == JT_INT ? (double)v.u.i : v.u.b ? 1.0 : 0.0; }
static int64_t num_i(JVal v) { return v.t == JT_INT ? v.u.i : v.u.b ? 1 : 0; }

bool jv_equal(JVal a, JVal b)
{
    if (is_num(a) && is_num(b)) {
        if (a.t != JT_FLOAT && b.t != JT_FLOAT)
            return num_i(a) == num_i(b);
        return num_f(a) == num_f(b);
    }
    if (a.t != b.t)
        return false;
    switch ((JType)a.t) {
    case JT_UNDEF:
    case JT_NONE: return true;
    case JT_STR: return a.u.s.n == b.u.s.n && memcmp(a.u.s.p, b.u.s.p, a.u.s.n) == 0;
    case JT_LIST:
        if (a.tuple != b.tuple || a.u.l->n != b.u.l->n)
            return false;
        for (size_t i = 0; i < a.u.l->n; i++)
            if (!jv_equal(a.u.l->v[i], b.u.l->v[i]))
                return false;
        return true;
    case JT_DICT:
        if (a.u.d->n != b.u.d->n)
            return false;
        for (size_t i = 0; i < a.u.d->n; i++) {
            JVal o = jv_dict_get(b, a.u.d->k[i]);
            if (o.t == JT_UNDEF || !jv_equal(a.u.d->v[i], o))
                return false;
        }
        return true;
    case JT_NS: return a.u.d == b.u.d;
    case JT_FUNC: return a.u.fn == b.u.fn;
    case JT_LOOP: return a.u.loop == b.u.loop;
    default: return false;
    }
}

int jv_compare(JVal a, JVal b)
{
    if (is_num(a) && is_num(b)) {
        if (a.t != JT_FLOAT && b.t != JT_FLOAT)
            return num_i(a) < num_i(b) ? -1 : num_i(a) > num_i(b);
        double x = num_f(a), y = num_f(b);
        if (isnan(x) || isnan(y))
            return 2;
        return x < y ? -1 : x > y;
    }
    if (a.t == JT_STR && b.t == JT_STR) {
        size_t n = a.u.s.n < b.u.s.n ? a.u.s.n : b.u.s.n;
        int c = memcmp(a.u.s.p, b.u.s.p, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a.u.s.n < b.u.s.n ? -1 : a.u.s.n > b.u.s.n;
    }
    if (a.t == JT_LIST && b.t == JT_LIST && a.tuple == b.tuple) {
        size_t n = a.u.l->n < b.u.l->n ? a.u.l->n : b.u.l->n;
        for (size_t i = 0; i < n; i++) {
            if (jv_equal(a.u.l->v[i], b.u.l->v[i]))
                continue;
            return jv_compare(a.u.l->v[i], b.u.l->v[i]);
        }
        return a.u.l->n < b.u.l->n ? -1 : a.u.l->n > b.u.l->n;
    }
    return 2;
}

long jv_len(JVal v)
{
    switch ((JType)v.t) {
    case JT_UNDEF: return 0;
    case JT_STR: return (long)jv_str_chars(v.u.s.p, v.u.s.n);
    case JT_LIST: return (long)v.u.l->n;
    case JT_DICT: return (long)v.u.d->n;
    default: return -1;
    }
}

int jv_iterate(JRender *r, JVal v, JVal *out)
{
    switch ((JType)v.t) {
    case JT_UNDEF:
        *out = jv_list_new(r, 0);
        return r->failed ? -1 : 0;
    case JT_LIST:
        *out = v;
        out->tuple = false;
        return 0;
    case JT_DICT: {
        *out = jv_list_new(r, v.u.d->n);
        for (size_t i = 0; i < v.u.d->n && !r->failed; i++)
            jv_list_push(r, *out, v.u.d->k[i]);
        return r->failed ? -1 : 0;
    }
    case JT_STR: {
        *out = jv_list_new(r, v.u.s.n);
        const char *p = v.u.s.p;
        for (size_t i = 0; i < v.u.s.n && !r->failed;) {
            uint32_t cp;
            size_t k = jv_utf8_next(p + i, v.u.s.n - i, &cp);
            jv_list_push(r, *out, jv_str(p + i, k, v.u.s.m ? v.u.s.m + i : NULL));
            i += k;
        }
        return r->failed ? -1 : 0;
    }
    default:
        jr_fail(r, "'%s' object is not iterable", jv_type_name(v));
        return -1;
    }
}

/* ---- printing -------------------------------------------------------------------------- */

void jv_float_repr(double f, char *out, size_t outlen)
{
    if (isnan(f)) {
        snprintf(out, outlen, "nan");
        return;
    }
    if (isinf(f)) {
        snprintf(out, outlen, f < 0 ? "-inf" : "inf");
        return;
    }
    if (f == 0) {
        snprintf(out, outlen, signbit(f) ? "-0.0" : "0.0");
        return;
    }
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, f);
        if (strtod(buf, NULL) == f)
            break;
    }
    /* buf: [-]d[.ddd]e[+-]XX -> digits and exponent */
    char digits[24];
    size_t nd = 0;
    const char *p = buf;
    bool neg = *p == '-';
    if (neg)
        p++;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < sizeof digits - 1)
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int e = *p == 'e' ? (int)strtol(p + 1, NULL, 10) : 0;
    char res[64];
    size_t o = 0;
    if (neg)
        res[o++] = '-';
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++)
                res[o++] = (size_t)i < nd ? digits[i] : '0';
            res[o++] = '.';
            if ((size_t)e + 1 < nd)
                for (size_t i = (size_t)e + 1; i < nd; i++)
                    res[o++] = digits[i];
            else
                res[o++] = '0';
        } else {
            res[o++] = '0';
            res[o++] = '.';
            for (int i = 0; i < -e - 1; i++)
                res[o++] = '0';
            for (size_t i = 0; i < nd; i++)
                res[o++] = digits[i];
        }
        res[o] = '\0';
    } else {
        res[o++] = digits[0];
        if (nd > 1) {
            res[o++] = '.';
            for (size_t i = 1; i < nd; i++)
                res[o++] = digits[i];
        }
        res[o] = '\0';
        snprintf(res + o, sizeof res - o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    snprintf(out, outlen, "%s", res);
}

static int put_flagged(JRender *r, JBuf *b, const char *s, size_t n, bool input)
{
    if (!input)
        return jb_put(r, b, s, n, NULL);
    for (size_t i = 0; i < n; i++)
        if (jb_put(r, b, s + i, 1, &k_input) < 0)
            return -1;
    return 0;
}

static int write_scalar(JRender *r, JBuf *b, JVal v)
{
    char tmp[64];
    switch ((JType)v.t) {
    case JT_UNDEF: return 0;
    case JT_NONE: return jb_puts(r, b, "None");
    case JT_BOOL: return jb_puts(r, b, v.u.b ? "True" : "False");
    case JT_INT:
        snprintf(tmp, sizeof tmp, "%" PRId64, v.u.i);
        return jb_puts(r, b, tmp);
    case JT_FLOAT:
        jv_float_repr(v.u.f, tmp, sizeof tmp);
        return jb_puts(r, b, tmp);
    case JT_FUNC: return jb_puts(r, b, "<function>");
    case JT_LOOP: return jb_puts(r, b, "<LoopContext>");
    default: return -1;
    }
}

int jv_write_str(JRender *r, JBuf *b, JVal v)
{
    if (v.t == JT_STR)
        return jb_put_str(r, b, v.u.s);
    if (v.t == JT_LIST || v.t == JT_DICT || v.t == JT_NS)
        return jv_write_repr(r, b, v, 0);
    return write_scalar(r, b, v);
}

static bool printable(uint32_t cp)
{
    if (cp == ' ')
        return true;
    UnicodeCat c = unicode_category(cp);
    return c != UNICODE_CAT_CONTROL && c != UNICODE_CAT_SEPARATOR && c != UNICODE_CAT_UNDEFINED;
}

static int write_str_repr(JRender *r, JBuf *b, JStr s)
{
    bool has_sq = memchr(s.p, '\'', s.n) != NULL, has_dq = memchr(s.p, '"', s.n) != NULL;
    char q = has_sq && !has_dq ? '"' : '\'';
    if (jb_put(r, b, &q, 1, NULL) < 0)
        return -1;
    for (size_t i = 0; i < s.n;) {
        uint32_t cp;
        size_t k = jv_utf8_next(s.p + i, s.n - i, &cp);
        bool in = s.m && s.m[i];
        char esc[16];
        const char *out = s.p + i;
        size_t on = k;
        if (cp == (uint32_t)q || cp == '\\') {
            esc[0] = '\\';
            esc[1] = (char)cp;
            out = esc;
            on = 2;
        } else if (cp == '\n' || cp == '\r' || cp == '\t') {
            esc[0] = '\\';
            esc[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
            out = esc;
            on = 2;
        } else if (!printable(cp)) {
            int w = snprintf(esc, sizeof esc, cp < 0x100 ? "\\x%02x" : cp < 0x10000 ? "\\u%04x" : "\\U%08x", cp);
            out = esc;
            on = (size_t)w;
        }
        if (put_flagged(r, b, out, on, in) < 0)
            return -1;
        i += k;
    }
    return jb_put(r, b, &q, 1, NULL);
}

int jv_write_repr(JRender *r, JBuf *b, JVal v, int depth)
{
    if (depth > 100) {
        jr_fail(r, "a value nests more than 100 levels deep (a namespace that contains itself?)");
        return -1;
    }
    switch ((JType)v.t) {
    case JT_UNDEF: return jb_puts(r, b, "Undefined");
    case JT_STR: return write_str_repr(r, b, v.u.s);
    case JT_LIST: {
        if (jb_puts(r, b, v.tuple ? "(" : "[") < 0)
            return -1;
        for (size_t i = 0; i < v.u.l->n; i++) {
            if ((i && jb_puts(r, b, ", ") < 0) || jv_write_repr(r, b, v.u.l->v[i], depth + 1) < 0)
                return -1;
        }
        if (v.tuple && v.u.l->n == 1 && jb_puts(r, b, ",") < 0)
            return -1;
        return jb_puts(r, b, v.tuple ? ")" : "]");
    }
    case JT_DICT:
    case JT_NS: {
        if ((v.t == JT_NS && jb_puts(r, b, "<Namespace ") < 0) || jb_puts(r, b, "{") < 0)
            return -1;
        for (size_t i = 0; i < v.u.d->n; i++) {
            if ((i && jb_puts(r, b, ", ") < 0) || jv_write_repr(r, b, v.u.d->k[i], depth + 1) < 0 ||
                jb_puts(r, b, ": ") < 0 || jv_write_repr(r, b, v.u.d->v[i], depth + 1) < 0)
                return -1;
        }
        return jb_puts(r, b, v.t == JT_NS ? "}>" : "}");
    }
    default: return write_scalar(r, b, v);
    }
}

static int write_json_str(JRender *r, JBuf *b, JStr s)
{
    if (jb_puts(r, b, "\"") < 0)
        return -1;
    size_t run = 0; /* bytes copied as they are, pending */
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        if (run && jb_put(r, b, s.p + i - run, run, s.m ? s.m + i - run : NULL) < 0)
            return -1;
        run = 0;
        char esc[8];
        switch (c) {
        case '"': memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        case '\b': memcpy(esc, "\\b", 3); break;
        case '\f': memcpy(esc, "\\f", 3); break;
        default: snprintf(esc, sizeof esc, "\\u%04x", c);
        }
        if (put_flagged(r, b, esc, strlen(esc), s.m && s.m[i]) < 0)
            return -1;
    }
    if (run && jb_put(r, b, s.p + s.n - run, run, s.m ? s.m + s.n - run : NULL) < 0)
        return -1;
    return jb_puts(r, b, "\"");
}

static int json_newline(JRender *r, JBuf *b, int indent, int level)
{
    if (jb_puts(r, b, "\n") < 0)
        return -1;
    for (long i = 0; i < (long)indent * level; i++)
        if (jb_puts(r, b, " ") < 0)
            return -1;
    return 0;
}

/* A dict key as json.dumps writes it. */
static int write_json_key(JRender *r, JBuf *b, JVal k)
{
    char tmp[64];
    switch ((JType)k.t) {
    case JT_STR: return write_json_str(r, b, k.u.s);
    case JT_INT: snprintf(tmp, sizeof tmp, "\"%" PRId64 "\"", k.u.i); break;
    case JT_FLOAT: {
        char f[48];
        jv_float_repr(k.u.f, f, sizeof f);
        snprintf(tmp, sizeof tmp, "\"%s\"", f);
        break;
    }
    case JT_BOOL: snprintf(tmp, sizeof tmp, "\"%s\"", k.u.b ? "true" : "false"); break;
    case JT_NONE: snprintf(tmp, sizeof tmp, "\"null\""); break;
    default:
        jr_fail(r, "tojson: keys must be str, int, float, bool or None, not %s", jv_type_name(k));
        return -1;
    }
    return jb_puts(r, b, tmp);
}

int jv_write_json(JRender *r, JBuf *b, JVal v, int indent, const char *item_sep, const char *key_sep,
                  bool sort_keys, int level)
{
    if (level > 100) {
        jr_fail(r, "tojson: circular reference detected");
        return -1;
    }
    char tmp[64];
    switch ((JType)v.t) {
    case JT_NONE: return jb_puts(r, b, "null");
    case JT_BOOL: return jb_puts(r, b, v.u.b ? "true" : "false");
    case JT_INT:
        snprintf(tmp, sizeof tmp, "%" PRId64, v.u.i);
        return jb_puts(r, b, tmp);
    case JT_FLOAT:
        if (isnan(v.u.f))
            return jb_puts(r, b, "NaN");
        if (isinf(v.u.f))
            return jb_puts(r, b, v.u.f < 0 ? "-Infinity" : "Infinity");
        jv_float_repr(v.u.f, tmp, sizeof tmp);
        return jb_puts(r, b, tmp);
    case JT_STR: return write_json_str(r, b, v.u.s);
    case JT_LIST: {
        if (v.u.l->n == 0)
            return jb_puts(r, b, "[]");
        if (jb_puts(r, b, "[") < 0)
            return -1;
        for (size_t i = 0; i < v.u.l->n; i++) {
            if (i && jb_puts(r, b, item_sep) < 0)
                return -1;
            if (indent >= 0 && json_newline(r, b, indent, level + 1) < 0)
                return -1;
            if (jv_write_json(r, b, v.u.l->v[i], indent, item_sep, key_sep, sort_keys, level + 1) < 0)
                return -1;
        }
        if (indent >= 0 && json_newline(r, b, indent, level) < 0)
            return -1;
        return jb_puts(r, b, "]");
    }
    case JT_DICT: {
        const JDict *d = v.u.d;
        if (d->n == 0)
            return jb_puts(r, b, "{}");
        size_t *order = ja_alloc(&r->arena, d->n * sizeof *order);
        if (!order) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            return -1;
        }
        for (size_t i = 0; i < d->n; i++)
            order[i] = i;
        if (sort_keys) { /* insertion sort: stable, and dicts here are small */
            for (size_t i = 1; i < d->n; i++) {
                size_t x = order[i], j = i;
                for (; j > 0; j--) {
                    int c = jv_compare(d->k[order[j - 1]], d->k[x]);
                    if (c == 2) {
                        jr_fail(r, "tojson: sort_keys needs keys of one type");
                        return -1;
                    }
                    if (c <= 0)
                        break;
                    order[j] = order[j - 1];
                }
                order[j] = x;
            }
        }
        if (jb_puts(r, b, "{") < 0)
            return -1;
        for (size_t i = 0; i < d->n; i++) {
            if (i && jb_puts(r, b, item_sep) < 0)
                return -1;
            if (indent >= 0 && json_newline(r, b, indent, level + 1) < 0)
                return -1;
            if (write_json_key(r, b, d->k[order[i]]) < 0 || jb_puts(r, b, key_sep) < 0 ||
                jv_write_json(r, b, d->v[order[i]], indent, item_sep, key_sep, sort_keys, level + 1) < 0)
                return -1;
        }
        if (indent >= 0 && json_newline(r, b, indent, level) < 0)
            return -1;
        return jb_puts(r, b, "}");
    }
    default:
        jr_fail(r, "tojson: an object of type %s is not JSON serializable", jv_type_name(v));
        return -1;
    }
}

JVal jv_to_str(JRender *r, JVal v)
{
    if (v.t == JT_STR)
        return v;
    JBuf b = { 0 };
    if (jv_write_str(r, &b, v) < 0)
        return jv_undef();
    return jb_to_val(&b);
}
