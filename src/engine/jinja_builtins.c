/* jinja_builtins.c — the filters, tests, global functions and Python methods
 * the Jinja subset knows, each behaving as Jinja2 3.1 / Python 3 do (with
 * transformers' tojson, raise_exception and strftime_now), as tables of
 * names to functions. Strings keep their input masks through slicing,
 * joining and replacing. Case mapping (upper, lower, title, capitalize) maps
 * ASCII letters only. Not for: evaluation (jinja_eval.c). */
#include "engine/jinja_impl.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/unicode_ranges.h"

/* ---- arguments ---------------------------------------------------------------------- */

/* The argument at position i, or the keyword kw; false when neither was given. */
static bool arg(const JArgs *a, size_t i, const char *kw, JVal *out)
{
    if (i < a->npos) {
        *out = a->pos[i];
        return true;
    }
    if (kw) {
        size_t n = strlen(kw);
        for (size_t k = 0; k < a->nkw; k++)
            if (a->kwn[k].n == n && memcmp(a->kwn[k].p, kw, n) == 0) {
                *out = a->kwv[k];
                return true;
            }
    }
    return false;
}

static bool arg_bool(const JArgs *a, size_t i, const char *kw, bool def)
{
    JVal v;
    return arg(a, i, kw, &v) ? jv_truthy(v) : def;
}

static JVal oom(JRender *r) { return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20); }

/* Charges work proportional to n against the step limit. */
static bool charge(JRender *r, size_t n)
{
    r->steps += (long)(n / 8);
    return jr_step(r);
}

static JVal substr(JVal s, size_t from, size_t to)
{
    return jv_str(s.u.s.p + from, to - from, s.u.s.m ? s.u.s.m + from : NULL);
}

static char ascii_upper(char c) { return c >= 'a' && c <= 'z' ? (char)(c - 32) : c; }
static char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c; }

/* A copy of s with each byte mapped by f(index, byte); the mask kept. */
static JVal map_bytes(JRender *r, JVal s, int mode)
{
    char *p = ja_alloc(&r->arena, s.u.s.n + 1);
    if (!p)
        return oom(r);
    bool word_start = true;
    for (size_t i = 0; i < s.u.s.n; i++) {
        char c = s.u.s.p[i];
        switch (mode) {
        case 0: c = ascii_upper(c); break;
        case 1: c = ascii_lower(c); break;
        case 2: c = i == 0 ? ascii_upper(c) : ascii_lower(c); break; /* capitalize */
        default: /* title, as Jinja's do_title: words start after - white space ( { [ < */
            if (c == '-' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == '(' ||
                c == '{' || c == '[' || c == '<') {
                word_start = true;
            } else {
                c = word_start ? ascii_upper(c) : ascii_lower(c);
                word_start = false;
            }
        }
        p[i] = c;
    }
    return jv_str(p, s.u.s.n, s.u.s.m);
}

/* Python's str.strip(chars): which code points to strip. */
static bool strip_match(uint32_t cp, JVal chars)
{
    if (chars.t != JT_STR)
        return jv_is_space(cp);
    for (size_t i = 0; i < chars.u.s.n;) {
        uint32_t c;
        i += jv_utf8_next(chars.u.s.p + i, chars.u.s.n - i, &c);
        if (c == cp)
            return true;
    }
    return false;
}

static JVal strip(JVal s, JVal chars, bool left, bool right)
{
    size_t a = 0, b = s.u.s.n;
    if (left)
        while (a < b) {
            uint32_t cp;
            size_t k = jv_utf8_next(s.u.s.p + a, b - a, &cp);
            if (!strip_match(cp, chars))
                break;
            a += k;
        }
    if (right) {
        size_t end = a;
        for (size_t i = a; i < b;) { /* the end of the last code point not stripped */
            uint32_t cp;
            size_t k = jv_utf8_next(s.u.s.p + i, b - i, &cp);
            i += k;
            if (!strip_match(cp, chars))
                end = i;
        }
        b = end;
    }
    return substr(s, a, b);
}

/* Python's str.replace(old, new, count). */
static JVal replace(JRender *r, JVal s, JVal old, JVal neu, int64_t count)
{
    if (old.t != JT_STR || neu.t != JT_STR)
        return jr_fail(r, "replace() needs string arguments");
    JBuf out = { 0 };
    int64_t done = 0;
    if (old.u.s.n == 0) { /* new between every character and at both ends */
        for (size_t i = 0;; ) {
            if ((count < 0 || done < count)) {
                if (jb_put_str(r, &out, neu.u.s) < 0)
                    return jv_undef();
                done++;
            }
            if (i >= s.u.s.n)
                break;
            uint32_t cp;
            size_t k = jv_utf8_next(s.u.s.p + i, s.u.s.n - i, &cp);
            if (jb_put(r, &out, s.u.s.p + i, k, s.u.s.m ? s.u.s.m + i : NULL) < 0)
                return jv_undef();
            i += k;
        }
        return jb_to_val(&out);
    }
    size_t i = 0;
    while (i <= s.u.s.n) {
        const char *m = count >= 0 && done >= count ? NULL
                                                     : memmem(s.u.s.p + i, s.u.s.n - i, old.u.s.p, old.u.s.n);
        size_t at = m ? (size_t)(m - s.u.s.p) : s.u.s.n;
        if (jb_put(r, &out, s.u.s.p + i, at - i, s.u.s.m ? s.u.s.m + i : NULL) < 0)
            return jv_undef();
        if (!m)
            break;
        if (jb_put_str(r, &out, neu.u.s) < 0)
            return jv_undef();
        done++;
        i = at + old.u.s.n;
        if (!charge(r, 1))
            return jv_undef();
    }
    return jb_to_val(&out);
}

/* Python's str.splitlines(): boundaries \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029. */
static JVal splitlines(JRender *r, JVal s, bool keepends)
{
    JVal out = jv_list_new(r, 0);
    size_t start = 0, i = 0;
    while (i < s.u.s.n && !r->failed) {
        uint32_t cp;
        size_t k = jv_utf8_next(s.u.s.p + i, s.u.s.n - i, &cp);
        bool nl = cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c || (cp >= 0x1c && cp <= 0x1e) ||
                  cp == 0x85 || cp == 0x2028 || cp == 0x2029;
        if (!nl) {
            i += k;
            continue;
        }
        size_t end = i;
        i += k;
        if (cp == '\r' && i < s.u.s.n && s.u.s.p[i] == '\n')
            i++;
        jv_list_push(r, out, substr(s, start, keepends ? i : end));
        start = i;
    }
    if (start < s.u.s.n)
        jv_list_push(r, out, substr(s, start, s.u.s.n));
    return out;
}

/* Python's str.split / str.rsplit. */
static JVal split(JRender *r, JVal s, JVal sep, int64_t maxsplit, bool from_right)
{
    JVal out = jv_list_new(r, 0);
    const char *p = s.u.s.p;
    size_t n = s.u.s.n;
    if (sep.t == JT_STR && sep.u.s.n == 0)
        return jr_fail(r, "split(): empty separator");
    if (sep.t == JT_STR) {
        if (!from_right) {
            size_t i = 0;
            for (int64_t done = 0; maxsplit < 0 || done < maxsplit; done++) {
                const char *m = memmem(p + i, n - i, sep.u.s.p, sep.u.s.n);
                if (!m)
                    break;
                size_t at = (size_t)(m - p);
                if (jv_list_push(r, out, substr(s, i, at)) < 0 || !charge(r, 1))
                    return jv_undef();
                i = at + sep.u.s.n;
            }
            jv_list_push(r, out, substr(s, i, n));
            return out;
        }
        /* from the right: collect pieces backwards, then reverse */
        size_t end = n;
        for (int64_t done = 0; maxsplit < 0 || done < maxsplit; done++) {
            size_t at = (size_t)-1;
            for (size_t j = end >= sep.u.s.n ? end - sep.u.s.n + 1 : 0; j-- > 0;)
                if (memcmp(p + j, sep.u.s.p, sep.u.s.n) == 0) {
                    at = j;
                    break;
                }
            if (at == (size_t)-1)
                break;
            if (jv_list_push(r, out, substr(s, at + sep.u.s.n, end)) < 0 || !charge(r, 1))
                return jv_undef();
            end = at;
        }
        jv_list_push(r, out, substr(s, 0, end));
        JList *l = out.u.l;
        for (size_t a = 0, b = l->n ? l->n - 1 : 0; a < b; a++, b--) {
            JVal t = l->v[a];
            l->v[a] = l->v[b];
            l->v[b] = t;
        }
        return out;
    }
    /* no separator: runs of white space, empty pieces dropped */
    if (!from_right) {
        size_t i = 0;
        int64_t done = 0;
        while (i < n) {
            uint32_t cp;
            size_t k;
            while (i < n && (k = jv_utf8_next(p + i, n - i, &cp)) && jv_is_space(cp))
                i += k;
            if (i >= n)
                break;
            if (maxsplit >= 0 && done >= maxsplit) {
                size_t e = strip(substr(s, i, n), jv_undef(), false, true).u.s.n;
                jv_list_push(r, out, substr(s, i, i + e));
                break;
            }
            size_t w = i;
            while (w < n && (k = jv_utf8_next(p + w, n - w, &cp)) && !jv_is_space(cp))
                w += k;
            if (jv_list_push(r, out, substr(s, i, w)) < 0 || !charge(r, 1))
                return jv_undef();
            done++;
            i = w;
        }
        return out;
    }
    /* rsplit without a separator: split the whole, then rejoin the head */
    JVal all = split(r, s, jv_undef(), -1, false);
    if (r->failed || maxsplit < 0 || (int64_t)all.u.l->n <= maxsplit + 1)
        return all;
    size_t keep = (size_t)maxsplit, nall = all.u.l->n;
    const JVal first_tail = all.u.l->v[nall - keep - 1];
    size_t head_end = (size_t)(first_tail.u.s.p - p) + first_tail.u.s.n;
    size_t head_start = strip(s, jv_undef(), true, false).u.s.p - p;
    jv_list_push(r, out, substr(s, head_start, head_end));
    for (size_t i = nall - keep; i < nall; i++)
        jv_list_push(r, out, all.u.l->v[i]);
    return out;
}

/* ---- sorting (stable merge sort; the comparison can fail) -------------------------------- */

typedef struct SortCtx {
    JRender *r;
    bool case_sensitive;
    bool by_value;      /* dictsort by='value' */
    const JVal *keys;   /* sort keys parallel to the items */
} SortCtx;

static JVal fold(JRender *r, JVal v, bool case_sensitive)
{
    if (case_sensitive || v.t != JT_STR)
        return v;
    return map_bytes(r, v, 1);
}

static int sort_cmp(SortCtx *c, JVal a, JVal b)
{
    int k = jv_compare(a, b);
    if (k == 2) {
        jr_fail(c->r, "'<' not supported between instances of '%s' and '%s'", jv_type_name(a), jv_type_name(b));
        return 0;
    }
    return k;
}

static void merge_sort(SortCtx *c, size_t *idx, size_t *tmp, size_t n)
{
    if (n < 2 || c->r->failed)
        return;
    size_t h = n / 2;
    merge_sort(c, idx, tmp, h);
    merge_sort(c, idx + h, tmp, n - h);
    size_t i = 0, j = h, o = 0;
    while (i < h && j < n) {
        if (sort_cmp(c, c->keys[idx[j]], c->keys[idx[i]]) < 0)
            tmp[o++] = idx[j++];
        else
            tmp[o++] = idx[i++];
    }
    while (i < h)
        tmp[o++] = idx[i++];
    while (j < n)
        tmp[o++] = idx[j++];
    memcpy(idx, tmp, n * sizeof *idx);
    charge(c->r, n);
}

/* items sorted by keys (parallel arrays); reverse flips the order. */
static JVal sorted(JRender *r, JVal items, const JVal *keys, bool reverse)
{
    size_t n = items.u.l->n;
    size_t *idx = ja_alloc(&r->arena, (n + 1) * sizeof *idx), *tmp = ja_alloc(&r->arena, (n + 1) * sizeof *tmp);
    if (!idx || !tmp)
        return oom(r);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    SortCtx c = { .r = r, .keys = keys };
    if (reverse) { /* Python's reverse sort is stable too: sort the reversed list, reverse back */
        for (size_t i = 0; i < n; i++)
            idx[i] = n - 1 - i;
        merge_sort(&c, idx, tmp, n);
        for (size_t a = 0, b = n ? n - 1 : 0; a < b; a++, b--) {
            size_t t = idx[a];
            idx[a] = idx[b];
            idx[b] = t;
        }
    } else {
        merge_sort(&c, idx, tmp, n);
    }
    JVal out = jv_list_new(r, n);
    for (size_t i = 0; i < n && !r->failed; i++)
        jv_list_push(r, out, items.u.l->v[idx[i]]);
    return out;
}

/* Jinja's attribute path "a.b.0" (make_attrgetter): item lookups, digits as indexes. */
static JVal attr_path(JRender *r, JVal v, JVal path)
{
    if (path.t == JT_INT) {
        if (v.t == JT_DICT)
            return jv_dict_get(v, path);
        return v.t == JT_LIST && path.u.i >= 0 && (size_t)path.u.i < v.u.l->n ? v.u.l->v[path.u.i] : jv_undef();
    }
    if (path.t != JT_STR)
        return jr_fail(r, "an attribute name must be a string");
    const char *p = path.u.s.p;
    size_t n = path.u.s.n;
    size_t i = 0;
    while (i <= n && !r->failed) {
        size_t e = i;
        while (e < n && p[e] != '.')
            e++;
        bool digits = e > i;
        for (size_t k = i; k < e; k++)
            digits = digits && p[k] >= '0' && p[k] <= '9';
        if (digits && v.t == JT_LIST) {
            size_t idx = (size_t)strtoul(p + i, NULL, 10);
            v = idx < v.u.l->n ? v.u.l->v[idx] : jv_undef();
        } else if (v.t == JT_DICT) {
            JVal x = jv_dict_get_str(v, p + i, e - i);
            v = x.t != JT_UNDEF ? x : jinja_getattr(r, v, p + i, e - i);
        } else if (v.t == JT_UNDEF) {
            return v;
        } else {
            v = jinja_getattr(r, v, p + i, e - i);
        }
        i = e + 1;
    }
    return v;
}

/* ---- filters ------------------------------------------------------------------------------ */

static JVal f_abs(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    if (v.t == JT_INT)
        return v.u.i == INT64_MIN ? jr_fail(r, "integer overflow") : jv_int(v.u.i < 0 ? -v.u.i : v.u.i);
    if (v.t == JT_BOOL)
        return jv_int(v.u.b);
    if (v.t == JT_FLOAT)
        return jv_float(fabs(v.u.f));
    return jr_fail(r, "bad operand type for abs(): '%s'", jv_type_name(v));
}

static JVal f_attr(JRender *r, JVal v, const JArgs *a)
{
    JVal name;
    if (!arg(a, 0, "name", &name) || name.t != JT_STR)
        return jr_fail(r, "attr() needs an attribute name");
    return jinja_getattr(r, v, name.u.s.p, name.u.s.n);
}

static JVal f_capitalize(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    v = jv_to_str(r, v);
    return r->failed ? v : map_bytes(r, v, 2);
}

static JVal f_default(JRender *r, JVal v, const JArgs *a)
{
    (void)r;
    JVal d = jv_str("", 0, NULL);
    arg(a, 0, "default_value", &d);
    bool boolean = arg_bool(a, 1, "boolean", false);
    if (v.t == JT_UNDEF || (boolean && !jv_truthy(v)))
        return d;
    return v;
}

static JVal f_dictsort(JRender *r, JVal v, const JArgs *a)
{
    if (v.t != JT_DICT)
        return jr_fail(r, "dictsort needs a mapping, not %s", jv_type_name(v));
    bool cs = arg_bool(a, 0, "case_sensitive", false);
    JVal by = jv_str("key", 3, NULL);
    arg(a, 1, "by", &by);
    bool by_value = by.t == JT_STR && by.u.s.n == 5 && memcmp(by.u.s.p, "value", 5) == 0;
    bool reverse = arg_bool(a, 2, "reverse", false);
    size_t n = v.u.d->n;
    JVal items = jv_list_new(r, n);
    JVal *keys = ja_alloc(&r->arena, (n + 1) * sizeof *keys);
    if (r->failed || !keys)
        return oom(r);
    for (size_t i = 0; i < n && !r->failed; i++) {
        JVal pair = jv_list_new(r, 2);
        pair.tuple = true;
        jv_list_push(r, pair, v.u.d->k[i]);
        jv_list_push(r, pair, v.u.d->v[i]);
        jv_list_push(r, items, pair);
        keys[i] = fold(r, by_value ? v.u.d->v[i] : v.u.d->k[i], cs);
    }
    return r->failed ? jv_undef() : sorted(r, items, keys, reverse);
}

static JVal f_escape(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    v = jv_to_str(r, v);
    JBuf out = { 0 };
    for (size_t i = 0; i < v.u.s.n && !r->failed; i++) {
        const char *rep = NULL;
        switch (v.u.s.p[i]) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&#34;"; break;
        case '\'': rep = "&#39;"; break;
        default: break;
        }
        if (rep)
            jb_puts(r, &out, rep);
        else
            jb_put(r, &out, v.u.s.p + i, 1, v.u.s.m ? v.u.s.m + i : NULL);
    }
    return r->failed ? jv_undef() : jb_to_val(&out);
}

static JVal f_first(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    return items.u.l->n ? items.u.l->v[0] : jv_undef();
}

static JVal f_last(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    return items.u.l->n ? items.u.l->v[items.u.l->n - 1] : jv_undef();
}

static JVal f_float(JRender *r, JVal v, const JArgs *a)
{
    JVal d = jv_float(0.0);
    arg(a, 0, "default", &d);
    if (v.t == JT_FLOAT)
        return v;
    if (v.t == JT_INT || v.t == JT_BOOL)
        return jv_float(v.t == JT_INT ? (double)v.u.i : v.u.b);
    if (v.t == JT_STR) {
        char *s = ja_strndup(&r->arena, v.u.s.p, v.u.s.n);
        if (!s)
            return oom(r);
        char *end;
        double f = strtod(s, &end);
        while (*end == ' ' || *end == '\t' || *end == '\n')
            end++;
        if (end != s && *end == '\0')
            return jv_float(f);
    }
    return d;
}

static JVal f_int(JRender *r, JVal v, const JArgs *a)
{
    JVal d = jv_int(0), base = jv_int(10);
    arg(a, 0, "default", &d);
    arg(a, 1, "base", &base);
    if (v.t == JT_INT)
        return v;
    if (v.t == JT_BOOL)
        return jv_int(v.u.b);
    if (v.t == JT_FLOAT)
        return isfinite(v.u.f) && fabs(v.u.f) < 9.2e18 ? jv_int((int64_t)v.u.f) : d;
    if (v.t == JT_STR) {
        char *s = ja_strndup(&r->arena, v.u.s.p, v.u.s.n);
        if (!s)
            return oom(r);
        char *end;
        long long i = strtoll(s, &end, base.t == JT_INT ? (int)base.u.i : 10);
        while (*end == ' ' || *end == '\t' || *end == '\n')
            end++;
        if (end != s && *end == '\0')
            return jv_int(i);
        double f = strtod(s, &end); /* int(float(value)) */
        while (*end == ' ' || *end == '\t' || *end == '\n')
            end++;
        if (end != s && *end == '\0' && isfinite(f) && fabs(f) < 9.2e18)
            return jv_int((int64_t)f);
    }
    return d;
}

/* Python's "%" string formatting: %s %r %d %i %f %%. */
static JVal f_format(JRender *r, JVal v, const JArgs *a)
{
    v = jv_to_str(r, v);
    if (r->failed)
        return v;
    JBuf out = { 0 };
    size_t next = 0;
    for (size_t i = 0; i < v.u.s.n && !r->failed; i++) {
        char c = v.u.s.p[i];
        if (c != '%' || i + 1 >= v.u.s.n) {
            jb_put(r, &out, v.u.s.p + i, 1, v.u.s.m ? v.u.s.m + i : NULL);
            continue;
        }
        char f = v.u.s.p[++i];
        if (f == '%') {
            jb_puts(r, &out, "%");
            continue;
        }
        if (next >= a->npos)
            return jr_fail(r, "format: not enough arguments for the format string");
        JVal x = a->pos[next++];
        char tmp[64];
        switch (f) {
        case 's': jv_write_str(r, &out, x); break;
        case 'r': jv_write_repr(r, &out, x, 0); break;
        case 'd':
        case 'i':
            if (x.t == JT_FLOAT)
                snprintf(tmp, sizeof tmp, "%" PRId64, (int64_t)x.u.f);
            else if (x.t == JT_INT || x.t == JT_BOOL)
                snprintf(tmp, sizeof tmp, "%" PRId64, x.t == JT_INT ? x.u.i : (int64_t)x.u.b);
            else
                return jr_fail(r, "format: %%d needs a number, not %s", jv_type_name(x));
            jb_puts(r, &out, tmp);
            break;
        case 'f':
            if (x.t != JT_FLOAT && x.t != JT_INT && x.t != JT_BOOL)
                return jr_fail(r, "format: %%f needs a number, not %s", jv_type_name(x));
            snprintf(tmp, sizeof tmp, "%f", x.t == JT_FLOAT ? x.u.f : x.t == JT_INT ? (double)x.u.i : x.u.b);
            jb_puts(r, &out, tmp);
            break;
        default: return jr_fail(r, "format: the conversion '%%%c' is not supported", f);
        }
    }
    return r->failed ? jv_undef() : jb_to_val(&out);
}

static JVal f_indent(JRender *r, JVal v, const JArgs *a)
{
    JVal width = jv_int(4);
    arg(a, 0, "width", &width);
    bool first = arg_bool(a, 1, "first", false), blank = arg_bool(a, 2, "blank", false);
    JVal ind;
    if (width.t == JT_STR) {
        ind = width;
    } else if (width.t == JT_INT && width.u.i >= 0 && width.u.i < 4096) {
        char *sp = ja_alloc(&r->arena, (size_t)width.u.i + 1);
        if (!sp)
            return oom(r);
        memset(sp, ' ', (size_t)width.u.i);
        ind = jv_str(sp, (size_t)width.u.i, NULL);
    } else {
        return jr_fail(r, "indent: width must be a string or a small integer");
    }
    v = jv_to_str(r, v);
    JBuf tmp = { 0 };
    if (jb_put_str(r, &tmp, v.u.s) < 0 || jb_puts(r, &tmp, "\n") < 0) /* Jinja appends a newline first */
        return jv_undef();
    JVal lines = splitlines(r, jb_to_val(&tmp), false);
    if (r->failed)
        return jv_undef();
    JBuf out = { 0 };
    for (size_t i = 0; i < lines.u.l->n && !r->failed; i++) {
        JVal line = lines.u.l->v[i];
        if (i > 0) {
            jb_puts(r, &out, "\n");
            if (blank || line.u.s.n)
                jb_put_str(r, &out, ind.u.s);
        } else if (first) {
            jb_put_str(r, &out, ind.u.s);
        }
        jb_put_str(r, &out, line.u.s);
    }
    return r->failed ? jv_undef() : jb_to_val(&out);
}

static JVal f_items(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    if (v.t == JT_UNDEF)
        return jv_list_new(r, 0);
    if (v.t != JT_DICT)
        return jr_fail(r, "items: can only get item pairs from a mapping, not %s", jv_type_name(v));
    JVal out = jv_list_new(r, v.u.d->n);
    for (size_t i = 0; i < v.u.d->n && !r->failed; i++) {
        JVal pair = jv_list_new(r, 2);
        pair.tuple = true;
        jv_list_push(r, pair, v.u.d->k[i]);
        jv_list_push(r, pair, v.u.d->v[i]);
        jv_list_push(r, out, pair);
    }
    return out;
}

static JVal f_join(JRender *r, JVal v, const JArgs *a)
{
    JVal sep = jv_str("", 0, NULL), attr;
    arg(a, 0, "d", &sep);
    bool has_attr = arg(a, 1, "attribute", &attr);
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    sep = jv_to_str(r, sep);
    JBuf out = { 0 };
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        if (i)
            jb_put_str(r, &out, sep.u.s);
        JVal x = has_attr ? attr_path(r, items.u.l->v[i], attr) : items.u.l->v[i];
        jv_write_str(r, &out, x);
    }
    return r->failed ? jv_undef() : jb_to_val(&out);
}

static JVal f_length(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    long n = jv_len(v);
    if (n < 0)
        return jr_fail(r, "object of type '%s' has no len()", jv_type_name(v));
    return jv_int(n);
}

static JVal f_list(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    JVal out = jv_list_new(r, items.u.l->n);
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++)
        jv_list_push(r, out, items.u.l->v[i]);
    return out;
}

static JVal f_lower(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    v = jv_to_str(r, v);
    return r->failed ? v : map_bytes(r, v, 1);
}

static JVal f_upper(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    v = jv_to_str(r, v);
    return r->failed ? v : map_bytes(r, v, 0);
}

static JVal f_title(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    v = jv_to_str(r, v);
    return r->failed ? v : map_bytes(r, v, 3);
}

/* The arguments after the first k positional ones. */
static JArgs rest_args(const JArgs *a, size_t k)
{
    JArgs rest = *a;
    rest.pos = a->npos > k ? a->pos + k : NULL;
    rest.npos = a->npos > k ? a->npos - k : 0;
    return rest;
}

static JVal f_map(JRender *r, JVal v, const JArgs *a)
{
    JVal items, attr, def, name;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    bool has_attr = arg(a, SIZE_MAX, "attribute", &attr);
    bool has_def = arg(a, SIZE_MAX, "default", &def);
    if (!has_attr && !arg(a, 0, NULL, &name))
        return jr_fail(r, "map() needs a filter name or attribute=");
    JArgs rest = rest_args(a, 1);
    rest.nkw = 0; /* keyword arguments other than attribute/default go to the filter */
    if (!has_attr) {
        rest.kwn = a->kwn;
        rest.kwv = a->kwv;
        rest.nkw = a->nkw;
    }
    JVal out = jv_list_new(r, items.u.l->n);
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        JVal x;
        if (has_attr) {
            x = attr_path(r, items.u.l->v[i], attr);
            if (x.t == JT_UNDEF && has_def)
                x = def;
        } else {
            x = jinja_apply_filter_named(r, name, items.u.l->v[i], &rest);
        }
        jv_list_push(r, out, x);
    }
    return out;
}

static JVal minmax(JRender *r, JVal v, const JArgs *a, int sign)
{
    JVal items, attr;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    bool cs = arg_bool(a, 0, "case_sensitive", false);
    bool has_attr = arg(a, 1, "attribute", &attr);
    JVal best = jv_undef(), best_key = jv_undef();
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        JVal x = items.u.l->v[i];
        JVal k = fold(r, has_attr ? attr_path(r, x, attr) : x, cs);
        if (best.t == JT_UNDEF) {
            best = x;
            best_key = k;
            continue;
        }
        int c = jv_compare(k, best_key);
        if (c == 2)
            return jr_fail(r, "min/max: the items do not compare");
        if (c * sign > 0) {
            best = x;
            best_key = k;
        }
    }
    return best;
}

static JVal f_max(JRender *r, JVal v, const JArgs *a) { return minmax(r, v, a, 1); }
static JVal f_min(JRender *r, JVal v, const JArgs *a) { return minmax(r, v, a, -1); }

static JVal select_impl(JRender *r, JVal v, const JArgs *a, bool by_attr, bool keep)
{
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    JVal attr = jv_undef(), test = jv_undef();
    size_t k = 0;
    if (by_attr && !arg(a, k++, NULL, &attr))
        return jr_fail(r, "selectattr/rejectattr need an attribute name");
    bool has_test = arg(a, k++, NULL, &test);
    JArgs rest = rest_args(a, k);
    JVal out = jv_list_new(r, 0);
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        JVal x = items.u.l->v[i];
        JVal subject = by_attr ? attr_path(r, x, attr) : x;
        int t = has_test ? jinja_apply_test_named(r, test, subject, &rest) : jv_truthy(subject);
        if (t < 0)
            return jv_undef();
        if ((t != 0) == keep)
            jv_list_push(r, out, x);
    }
    return out;
}

static JVal f_select(JRender *r, JVal v, const JArgs *a) { return select_impl(r, v, a, false, true); }
static JVal f_reject(JRender *r, JVal v, const JArgs *a) { return select_impl(r, v, a, false, false); }
static JVal f_selectattr(JRender *r, JVal v, const JArgs *a) { return select_impl(r, v, a, true, true); }
static JVal f_rejectattr(JRender *r, JVal v, const JArgs *a) { return select_impl(r, v, a, true, false); }

static JVal f_replace(JRender *r, JVal v, const JArgs *a)
{
    JVal old, neu, count = jv_none();
    if (!arg(a, 0, "old", &old) || !arg(a, 1, "new", &neu))
        return jr_fail(r, "replace() needs old and new");
    arg(a, 2, "count", &count);
    v = jv_to_str(r, v);
    old = jv_to_str(r, old);
    neu = jv_to_str(r, neu);
    if (r->failed)
        return jv_undef();
    return replace(r, v, old, neu, count.t == JT_INT ? count.u.i : -1);
}

static JVal f_reverse(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    if (v.t == JT_STR) {
        JBuf out = { 0 };
        JVal chars;
        if (jv_iterate(r, v, &chars) < 0)
            return jv_undef();
        for (size_t i = chars.u.l->n; i-- > 0 && !r->failed;)
            jb_put_str(r, &out, chars.u.l->v[i].u.s);
        return r->failed ? jv_undef() : jb_to_val(&out);
    }
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    JVal out = jv_list_new(r, items.u.l->n);
    for (size_t i = items.u.l->n; i-- > 0 && !r->failed;)
        jv_list_push(r, out, items.u.l->v[i]);
    return out;
}

static JVal f_round(JRender *r, JVal v, const JArgs *a)
{
    JVal prec = jv_int(0), method = jv_str("common", 6, NULL);
    arg(a, 0, "precision", &prec);
    arg(a, 1, "method", &method);
    if (v.t != JT_INT && v.t != JT_FLOAT && v.t != JT_BOOL)
        return jr_fail(r, "round needs a number, not %s", jv_type_name(v));
    double x = v.t == JT_FLOAT ? v.u.f : v.t == JT_INT ? (double)v.u.i : v.u.b;
    double m = pow(10.0, prec.t == JT_INT ? (double)prec.u.i : 0.0);
    const char *how = method.t == JT_STR ? method.u.s.p : "common";
    if (strncmp(how, "ceil", 4) == 0)
        return jv_float(ceil(x * m) / m);
    if (strncmp(how, "floor", 5) == 0)
        return jv_float(floor(x * m) / m);
    return jv_float(nearbyint(x * m) / m); /* Python's round(): half to even */
}

static JVal f_safe(JRender *r, JVal v, const JArgs *a)
{
    (void)r;
    (void)a;
    return v;
}

static JVal f_sort(JRender *r, JVal v, const JArgs *a)
{
    JVal items, attr;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    bool reverse = arg_bool(a, 0, "reverse", false), cs = arg_bool(a, 1, "case_sensitive", false);
    bool has_attr = arg(a, 2, "attribute", &attr);
    size_t n = items.u.l->n;
    JVal *keys = ja_alloc(&r->arena, (n + 1) * sizeof *keys);
    if (!keys)
        return oom(r);
    for (size_t i = 0; i < n && !r->failed; i++)
        keys[i] = fold(r, has_attr ? attr_path(r, items.u.l->v[i], attr) : items.u.l->v[i], cs);
    return r->failed ? jv_undef() : sorted(r, items, keys, reverse);
}

static JVal f_string(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    return jv_to_str(r, v);
}

static JVal f_sum(JRender *r, JVal v, const JArgs *a)
{
    JVal items, attr, acc = jv_int(0);
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    bool has_attr = arg(a, 0, "attribute", &attr);
    arg(a, 1, "start", &acc);
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        JVal x = has_attr ? attr_path(r, items.u.l->v[i], attr) : items.u.l->v[i];
        if ((acc.t != JT_INT && acc.t != JT_FLOAT) || (x.t != JT_INT && x.t != JT_FLOAT && x.t != JT_BOOL))
            return jr_fail(r, "sum needs numbers");
        if (acc.t == JT_INT && x.t != JT_FLOAT) {
            int64_t y = x.t == JT_INT ? x.u.i : x.u.b;
            if (__builtin_add_overflow(acc.u.i, y, &acc.u.i))
                return jr_fail(r, "integer overflow");
        } else {
            double s = (acc.t == JT_FLOAT ? acc.u.f : (double)acc.u.i) +
                       (x.t == JT_FLOAT ? x.u.f : x.t == JT_INT ? (double)x.u.i : x.u.b);
            acc = jv_float(s);
        }
    }
    return acc;
}

static JVal f_tojson(JRender *r, JVal v, const JArgs *a)
{
    JVal indent = jv_none(), seps = jv_none();
    arg(a, 0, "indent", &indent);
    arg(a, SIZE_MAX, "separators", &seps);
    bool sort_keys = arg_bool(a, SIZE_MAX, "sort_keys", false);
    if (arg_bool(a, SIZE_MAX, "ensure_ascii", false))
        return jr_fail(r, "tojson(ensure_ascii=true) is not supported");
    int ind = -1;
    if (indent.t == JT_INT)
        ind = indent.u.i < 0 ? 0 : indent.u.i > 64 ? 64 : (int)indent.u.i;
    else if (indent.t != JT_NONE && indent.t != JT_UNDEF)
        return jr_fail(r, "tojson: indent must be an integer");
    const char *item_sep = ind >= 0 ? "," : ", ", *key_sep = ": ";
    if (seps.t == JT_LIST && seps.u.l->n == 2 && seps.u.l->v[0].t == JT_STR && seps.u.l->v[1].t == JT_STR) {
        item_sep = ja_strndup(&r->arena, seps.u.l->v[0].u.s.p, seps.u.l->v[0].u.s.n);
        key_sep = ja_strndup(&r->arena, seps.u.l->v[1].u.s.p, seps.u.l->v[1].u.s.n);
        if (!item_sep || !key_sep)
            return oom(r);
    }
    JBuf out = { 0 };
    if (jv_write_json(r, &out, v, ind, item_sep, key_sep, sort_keys, 0) < 0)
        return jv_undef();
    return jb_to_val(&out);
}

static JVal f_trim(JRender *r, JVal v, const JArgs *a)
{
    JVal chars = jv_undef();
    arg(a, 0, "chars", &chars);
    v = jv_to_str(r, v);
    return r->failed ? v : strip(v, chars, true, true);
}

static JVal f_unique(JRender *r, JVal v, const JArgs *a)
{
    JVal items, attr;
    if (jv_iterate(r, v, &items) < 0)
        return jv_undef();
    bool cs = arg_bool(a, 0, "case_sensitive", false);
    bool has_attr = arg(a, 1, "attribute", &attr);
    JVal out = jv_list_new(r, 0), seen = jv_list_new(r, 0);
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        JVal x = items.u.l->v[i];
        JVal k = fold(r, has_attr ? attr_path(r, x, attr) : x, cs);
        bool dup = false;
        for (size_t j = 0; j < seen.u.l->n && !dup; j++)
            dup = jv_equal(seen.u.l->v[j], k);
        if (!charge(r, seen.u.l->n))
            return jv_undef();
        if (!dup) {
            jv_list_push(r, seen, k);
            jv_list_push(r, out, x);
        }
    }
    return out;
}

static JVal f_wordcount(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    v = jv_to_str(r, v);
    int64_t words = 0;
    bool in = false;
    for (size_t i = 0; i < v.u.s.n;) {
        uint32_t cp;
        i += jv_utf8_next(v.u.s.p + i, v.u.s.n - i, &cp);
        UnicodeCat c = unicode_category(cp);
        bool w = cp == '_' || c == UNICODE_CAT_LETTER || c == UNICODE_CAT_NUMBER;
        if (w && !in)
            words++;
        in = w;
    }
    return jv_int(words);
}

typedef struct FilterEntry {
    const char *name;
    JFilterFn fn;
} FilterEntry;

static const FilterEntry filters[] = {
    { "abs", f_abs },         { "attr", f_attr },           { "capitalize", f_capitalize },
    { "count", f_length },    { "d", f_default },           { "default", f_default },
    { "dictsort", f_dictsort }, { "e", f_escape },          { "escape", f_escape },
    { "first", f_first },     { "float", f_float },         { "forceescape", f_escape },
    { "format", f_format },   { "indent", f_indent },       { "int", f_int },
    { "items", f_items },     { "join", f_join },           { "last", f_last },
    { "length", f_length },   { "list", f_list },           { "lower", f_lower },
    { "map", f_map },         { "max", f_max },             { "min", f_min },
    { "reject", f_reject },   { "rejectattr", f_rejectattr }, { "replace", f_replace },
    { "reverse", f_reverse }, { "round", f_round },         { "safe", f_safe },
    { "select", f_select },   { "selectattr", f_selectattr }, { "sort", f_sort },
    { "string", f_string },   { "sum", f_sum },             { "title", f_title },
    { "tojson", f_tojson },   { "trim", f_trim },           { "unique", f_unique },
    { "upper", f_upper },     { "wordcount", f_wordcount },
};

JFilterFn jinja_find_filter(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++)
        if (strlen(filters[i].name) == n && memcmp(filters[i].name, name, n) == 0)
            return filters[i].fn;
    return NULL;
}

JVal jinja_apply_filter_named(JRender *r, JVal name, JVal v, const JArgs *rest)
{
    if (name.t != JT_STR)
        return jr_fail(r, "a filter name must be a string");
    JFilterFn f = jinja_find_filter(name.u.s.p, name.u.s.n);
    if (!f)
        return jr_fail(r, "unknown filter '%.*s'", (int)(name.u.s.n > 40 ? 40 : name.u.s.n), name.u.s.p);
    return f(r, v, rest);
}

/* ---- tests ---------------------------------------------------------------------------------- */

static int t_defined(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t != JT_UNDEF; }
static int t_undefined(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_UNDEF; }
static int t_none(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_NONE; }
static int t_boolean(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_BOOL; }
static int t_true(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_BOOL && v.u.b; }
static int t_false(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_BOOL && !v.u.b; }
static int t_integer(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_INT; }
static int t_float(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_FLOAT; }
static int t_number(JRender *r, JVal v, const JArgs *a)
{
    (void)r;
    (void)a;
    return v.t == JT_INT || v.t == JT_FLOAT || v.t == JT_BOOL;
}
static int t_string(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_STR; }
static int t_mapping(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_DICT; }
static int t_iterable(JRender *r, JVal v, const JArgs *a)
{
    (void)r;
    (void)a;
    return v.t == JT_STR || v.t == JT_LIST || v.t == JT_DICT || v.t == JT_UNDEF;
}
static int t_sequence(JRender *r, JVal v, const JArgs *a) { return t_iterable(r, v, a); }
static int t_callable(JRender *r, JVal v, const JArgs *a) { (void)r; (void)a; return v.t == JT_FUNC; }

static int int_arg_test(JRender *r, JVal v, int64_t *x)
{
    if (v.t == JT_INT || v.t == JT_BOOL) {
        *x = v.t == JT_INT ? v.u.i : v.u.b;
        return 0;
    }
    jr_fail(r, "the test needs an integer, not %s", jv_type_name(v));
    return -1;
}

static int t_odd(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    int64_t x;
    return int_arg_test(r, v, &x) < 0 ? -1 : (x % 2 != 0);
}
static int t_even(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    int64_t x;
    return int_arg_test(r, v, &x) < 0 ? -1 : (x % 2 == 0);
}
static int t_divisibleby(JRender *r, JVal v, const JArgs *a)
{
    JVal d;
    int64_t x, y;
    if (!arg(a, 0, "num", &d) || int_arg_test(r, v, &x) < 0 || int_arg_test(r, d, &y) < 0)
        return r->failed ? -1 : (jr_fail(r, "divisibleby needs a number"), -1);
    if (y == 0) {
        jr_fail(r, "divisibleby 0");
        return -1;
    }
    return x % y == 0;
}

static int cmp_test(JRender *r, JVal v, const JArgs *a, int want)
{
    JVal o;
    if (!arg(a, 0, "other", &o)) {
        jr_fail(r, "the comparison test needs a value to compare with");
        return -1;
    }
    if (want == 10)
        return jv_equal(v, o);
    if (want == 11)
        return !jv_equal(v, o);
    int c = jv_compare(v, o);
    if (c == 2) {
        jr_fail(r, "'%s' and '%s' do not compare", jv_type_name(v), jv_type_name(o));
        return -1;
    }
    switch (want) {
    case 0: return c < 0;
    case 1: return c <= 0;
    case 2: return c > 0;
    default: return c >= 0;
    }
}

static int t_eq(JRender *r, JVal v, const JArgs *a) { return cmp_test(r, v, a, 10); }
static int t_ne(JRender *r, JVal v, const JArgs *a) { return cmp_test(r, v, a, 11); }
static int t_lt(JRender *r, JVal v, const JArgs *a) { return cmp_test(r, v, a, 0); }
static int t_le(JRender *r, JVal v, const JArgs *a) { return cmp_test(r, v, a, 1); }
static int t_gt(JRender *r, JVal v, const JArgs *a) { return cmp_test(r, v, a, 2); }
static int t_ge(JRender *r, JVal v, const JArgs *a) { return cmp_test(r, v, a, 3); }

static int t_in(JRender *r, JVal v, const JArgs *a)
{
    JVal seq;
    if (!arg(a, 0, "seq", &seq)) {
        jr_fail(r, "the 'in' test needs a sequence");
        return -1;
    }
    if (seq.t == JT_STR) {
        if (v.t != JT_STR) {
            jr_fail(r, "'in <string>' requires string as left operand");
            return -1;
        }
        return v.u.s.n == 0 || memmem(seq.u.s.p, seq.u.s.n, v.u.s.p, v.u.s.n) != NULL;
    }
    if (seq.t == JT_DICT)
        return jv_dict_get(seq, v).t != JT_UNDEF;
    JVal items;
    if (jv_iterate(r, seq, &items) < 0)
        return -1;
    for (size_t i = 0; i < items.u.l->n; i++)
        if (jv_equal(v, items.u.l->v[i]))
            return 1;
    return 0;
}

static int t_sameas(JRender *r, JVal v, const JArgs *a)
{
    JVal o;
    if (!arg(a, 0, "other", &o)) {
        jr_fail(r, "sameas needs a value");
        return -1;
    }
    if (v.t != o.t)
        return 0;
    switch ((JType)v.t) {
    case JT_NONE:
    case JT_UNDEF: return 1;
    case JT_BOOL: return v.u.b == o.u.b;
    case JT_INT: return v.u.i == o.u.i && v.u.i >= -5 && v.u.i <= 256; /* CPython's small ints */
    case JT_STR: return v.u.s.p == o.u.s.p && v.u.s.n == o.u.s.n;
    case JT_LIST: return v.u.l == o.u.l;
    case JT_DICT:
    case JT_NS: return v.u.d == o.u.d;
    case JT_FUNC: return v.u.fn == o.u.fn;
    default: return 0;
    }
}

static int case_test(JRender *r, JVal v, bool upper)
{
    (void)r;
    if (v.t != JT_STR)
        return 0;
    bool cased = false;
    for (size_t i = 0; i < v.u.s.n; i++) {
        char c = v.u.s.p[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            cased = true;
            if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z'))
                return 0;
        }
    }
    return cased;
}
static int t_lower(JRender *r, JVal v, const JArgs *a) { (void)a; return case_test(r, v, false); }
static int t_upper(JRender *r, JVal v, const JArgs *a) { (void)a; return case_test(r, v, true); }

static int t_filter(JRender *r, JVal v, const JArgs *a)
{
    (void)r;
    (void)a;
    return v.t == JT_STR && jinja_find_filter(v.u.s.p, v.u.s.n) != NULL;
}
static int t_test(JRender *r, JVal v, const JArgs *a)
{
    (void)r;
    (void)a;
    return v.t == JT_STR && jinja_find_test(v.u.s.p, v.u.s.n) != NULL;
}
static int t_escaped(JRender *r, JVal v, const JArgs *a) { (void)r; (void)v; (void)a; return 0; }

typedef struct TestEntry {
    const char *name;
    JTestFn fn;
} TestEntry;

static const TestEntry tests[] = {
    { "boolean", t_boolean },   { "callable", t_callable }, { "defined", t_defined },
    { "divisibleby", t_divisibleby }, { "eq", t_eq },       { "equalto", t_eq },
    { "==", t_eq },             { "escaped", t_escaped },   { "even", t_even },
    { "false", t_false },       { "filter", t_filter },     { "float", t_float },
    { "ge", t_ge },             { ">=", t_ge },             { "gt", t_gt },
    { ">", t_gt },              { "greaterthan", t_gt },    { "in", t_in },
    { "integer", t_integer },   { "iterable", t_iterable }, { "le", t_le },
    { "<=", t_le },             { "lower", t_lower },       { "lt", t_lt },
    { "<", t_lt },              { "lessthan", t_lt },       { "mapping", t_mapping },
    { "ne", t_ne },             { "!=", t_ne },             { "none", t_none },
    { "number", t_number },     { "odd", t_odd },           { "sameas", t_sameas },
    { "sequence", t_sequence }, { "string", t_string },     { "test", t_test },
    { "true", t_true },         { "undefined", t_undefined }, { "upper", t_upper },
};

JTestFn jinja_find_test(const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
        if (strlen(tests[i].name) == n && memcmp(tests[i].name, name, n) == 0)
            return tests[i].fn;
    return NULL;
}

int jinja_apply_test_named(JRender *r, JVal name, JVal v, const JArgs *rest)
{
    if (name.t != JT_STR) {
        jr_fail(r, "a test name must be a string");
        return -1;
    }
    JTestFn t = jinja_find_test(name.u.s.p, name.u.s.n);
    if (!t) {
        jr_fail(r, "unknown test '%.*s'", (int)(name.u.s.n > 40 ? 40 : name.u.s.n), name.u.s.p);
        return -1;
    }
    return t(r, v, rest);
}

/* ---- global functions ---------------------------------------------------------------------- */

typedef JVal (*JMethodFn)(JRender *r, JVal self, const JArgs *a);

static JVal g_range(JRender *r, JVal self, const JArgs *a)
{
    (void)self;
    int64_t v[3] = { 0, 0, 1 };
    if (a->npos < 1 || a->npos > 3)
        return jr_fail(r, "range() takes 1 to 3 arguments");
    for (size_t i = 0; i < a->npos; i++) {
        if (a->pos[i].t != JT_INT && a->pos[i].t != JT_BOOL)
            return jr_fail(r, "range() needs integers, not %s", jv_type_name(a->pos[i]));
        v[i] = a->pos[i].t == JT_INT ? a->pos[i].u.i : a->pos[i].u.b;
    }
    int64_t start = a->npos == 1 ? 0 : v[0], stop = a->npos == 1 ? v[0] : v[1], step = a->npos == 3 ? v[2] : 1;
    if (step == 0)
        return jr_fail(r, "range() arg 3 must not be zero");
    double count = step > 0 ? ceil(((double)stop - (double)start) / (double)step)
                            : ceil(((double)start - (double)stop) / (double)-step);
    if (count > 100000) /* Jinja's sandbox limit */
        return jr_fail(r, "range() is too big (more than 100000 items)");
    JVal out = jv_list_new(r, count > 0 ? (size_t)count : 0);
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
        if (jv_list_push(r, out, jv_int(i)) < 0)
            break;
    return out;
}

static JVal g_namespace(JRender *r, JVal self, const JArgs *a)
{
    (void)self;
    JVal d = jv_dict_new(r, a->nkw);
    d.t = JT_NS;
    for (size_t i = 0; i < a->npos && !r->failed; i++) {
        if (a->pos[i].t != JT_DICT)
            return jr_fail(r, "namespace() takes a mapping or keyword arguments");
        for (size_t k = 0; k < a->pos[i].u.d->n; k++)
            jv_dict_set(r, d, a->pos[i].u.d->k[k], a->pos[i].u.d->v[k]);
    }
    for (size_t i = 0; i < a->nkw && !r->failed; i++)
        jv_dict_set(r, d, jv_str(a->kwn[i].p, a->kwn[i].n, NULL), a->kwv[i]);
    return d;
}

static JVal g_dict(JRender *r, JVal self, const JArgs *a)
{
    JVal d = g_namespace(r, self, a);
    d.t = JT_DICT;
    return d;
}

static JVal g_raise_exception(JRender *r, JVal self, const JArgs *a)
{
    (void)self;
    JVal msg = a->npos ? jv_to_str(r, a->pos[0]) : jv_str("", 0, NULL);
    if (r->failed)
        return jv_undef();
    jr_fail(r, "%.*s", (int)(msg.u.s.n > 400 ? 400 : msg.u.s.n), msg.u.s.p);
    r->raised = true;
    return jv_undef();
}

static JVal g_strftime_now(JRender *r, JVal self, const JArgs *a)
{
    (void)self;
    if (a->npos < 1 || a->pos[0].t != JT_STR)
        return jr_fail(r, "strftime_now() needs a format string");
    char *fmt = ja_strndup(&r->arena, a->pos[0].u.s.p, a->pos[0].u.s.n);
    if (!fmt)
        return oom(r);
    char out[512];
    size_t n = strftime(out, sizeof out, fmt, &r->now);
    if (n == 0 && *fmt)
        return jr_fail(r, "strftime_now(): the format gives nothing or more than 511 bytes");
    return jv_strdup(r, out, n);
}

typedef struct GlobalEntry {
    const char *name;
    JMethodFn fn;
} GlobalEntry;

static const GlobalEntry globals[] = {
    { "range", g_range },
    { "namespace", g_namespace },
    { "dict", g_dict },
    { "raise_exception", g_raise_exception },
    { "strftime_now", g_strftime_now },
};

static JVal make_func(JRender *r, JFuncKind kind, int id, JVal self)
{
    JFunc *f = ja_alloc(&r->arena, sizeof *f);
    if (!f)
        return oom(r);
    f->kind = kind;
    f->id = id;
    f->self = self;
    JVal v = { .t = JT_FUNC };
    v.u.fn = f;
    return v;
}

JVal jinja_global(JRender *r, const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof globals / sizeof globals[0]; i++)
        if (strlen(globals[i].name) == n && memcmp(globals[i].name, name, n) == 0)
            return make_func(r, JF_BUILTIN, (int)i, jv_none());
    return jv_undef();
}

/* ---- methods ------------------------------------------------------------------------------- */

static JVal m_startswith_impl(JRender *r, JVal self, const JArgs *a, bool end)
{
    JVal x;
    if (!arg(a, 0, NULL, &x))
        return jr_fail(r, "%s() needs an argument", end ? "endswith" : "startswith");
    size_t count = x.t == JT_LIST ? x.u.l->n : 1;
    for (size_t i = 0; i < count; i++) {
        JVal p = x.t == JT_LIST ? x.u.l->v[i] : x;
        if (p.t != JT_STR)
            return jr_fail(r, "%s() needs a string or a tuple of strings", end ? "endswith" : "startswith");
        if (p.u.s.n <= self.u.s.n &&
            memcmp(self.u.s.p + (end ? self.u.s.n - p.u.s.n : 0), p.u.s.p, p.u.s.n) == 0)
            return jv_bool(true);
    }
    return jv_bool(false);
}
static JVal m_startswith(JRender *r, JVal s, const JArgs *a) { return m_startswith_impl(r, s, a, false); }
static JVal m_endswith(JRender *r, JVal s, const JArgs *a) { return m_startswith_impl(r, s, a, true); }

static JVal m_split_impl(JRender *r, JVal s, const JArgs *a, bool right)
{
    JVal sep = jv_none(), max = jv_int(-1);
    arg(a, 0, "sep", &sep);
    arg(a, 1, "maxsplit", &max);
    if (sep.t != JT_NONE && sep.t != JT_STR)
        return jr_fail(r, "split(): the separator must be a string or None");
    return split(r, s, sep.t == JT_STR ? sep : jv_undef(), max.t == JT_INT ? max.u.i : -1, right);
}
static JVal m_split(JRender *r, JVal s, const JArgs *a) { return m_split_impl(r, s, a, false); }
static JVal m_rsplit(JRender *r, JVal s, const JArgs *a) { return m_split_impl(r, s, a, true); }

static JVal m_strip_impl(JRender *r, JVal s, const JArgs *a, bool left, bool right)
{
    JVal chars = jv_none();
    arg(a, 0, "chars", &chars);
    if (chars.t != JT_NONE && chars.t != JT_STR)
        return jr_fail(r, "strip(): the argument must be a string or None");
    return strip(s, chars.t == JT_STR ? chars : jv_undef(), left, right);
}
static JVal m_strip(JRender *r, JVal s, const JArgs *a) { return m_strip_impl(r, s, a, true, true); }
static JVal m_lstrip(JRender *r, JVal s, const JArgs *a) { return m_strip_impl(r, s, a, true, false); }
static JVal m_rstrip(JRender *r, JVal s, const JArgs *a) { return m_strip_impl(r, s, a, false, true); }

static JVal m_upper(JRender *r, JVal s, const JArgs *a) { (void)a; return map_bytes(r, s, 0); }
static JVal m_lower(JRender *r, JVal s, const JArgs *a) { (void)a; return map_bytes(r, s, 1); }
static JVal m_capitalize(JRender *r, JVal s, const JArgs *a) { (void)a; return map_bytes(r, s, 2); }
static JVal m_title(JRender *r, JVal s, const JArgs *a) { (void)a; return map_bytes(r, s, 3); }

static JVal m_replace(JRender *r, JVal s, const JArgs *a)
{
    JVal old, neu, count = jv_int(-1);
    if (!arg(a, 0, NULL, &old) || !arg(a, 1, NULL, &neu))
        return jr_fail(r, "replace() needs two arguments");
    arg(a, 2, "count", &count);
    return replace(r, s, old, neu, count.t == JT_INT ? count.u.i : -1);
}

static JVal m_find_impl(JRender *r, JVal s, const JArgs *a, bool right)
{
    JVal sub;
    if (!arg(a, 0, NULL, &sub) || sub.t != JT_STR)
        return jr_fail(r, "find() needs a string");
    const char *hit = NULL;
    if (!right) {
        hit = sub.u.s.n == 0 ? s.u.s.p : memmem(s.u.s.p, s.u.s.n, sub.u.s.p, sub.u.s.n);
    } else {
        for (size_t j = s.u.s.n >= sub.u.s.n ? s.u.s.n - sub.u.s.n + 1 : 0; j-- > 0;)
            if (memcmp(s.u.s.p + j, sub.u.s.p, sub.u.s.n) == 0) {
                hit = s.u.s.p + j;
                break;
            }
    }
    if (!hit)
        return jv_int(-1);
    return jv_int((int64_t)jv_str_chars(s.u.s.p, (size_t)(hit - s.u.s.p)));
}
static JVal m_find(JRender *r, JVal s, const JArgs *a) { return m_find_impl(r, s, a, false); }
static JVal m_rfind(JRender *r, JVal s, const JArgs *a) { return m_find_impl(r, s, a, true); }

static JVal m_str_count(JRender *r, JVal s, const JArgs *a)
{
    JVal sub;
    if (!arg(a, 0, NULL, &sub) || sub.t != JT_STR)
        return jr_fail(r, "count() needs a string");
    if (sub.u.s.n == 0)
        return jv_int((int64_t)jv_str_chars(s.u.s.p, s.u.s.n) + 1);
    int64_t c = 0;
    for (const char *p = s.u.s.p; (p = memmem(p, s.u.s.n - (size_t)(p - s.u.s.p), sub.u.s.p, sub.u.s.n));
         p += sub.u.s.n)
        c++;
    return jv_int(c);
}

static JVal m_join(JRender *r, JVal s, const JArgs *a)
{
    JVal it, items;
    if (!arg(a, 0, NULL, &it) || jv_iterate(r, it, &items) < 0)
        return r->failed ? jv_undef() : jr_fail(r, "join() needs an iterable");
    JBuf out = { 0 };
    for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
        JVal x = items.u.l->v[i];
        if (x.t != JT_STR)
            return jr_fail(r, "sequence item %zu: expected str instance, %s found", i, jv_type_name(x));
        if (i)
            jb_put_str(r, &out, s.u.s);
        jb_put_str(r, &out, x.u.s);
    }
    return r->failed ? jv_undef() : jb_to_val(&out);
}

/* Python's str.format: {} {0} {name} and {{ }}; conversions !s !r; no format specs. */
static JVal m_format(JRender *r, JVal s, const JArgs *a)
{
    JBuf out = { 0 };
    size_t auto_idx = 0;
    const char *p = s.u.s.p;
    size_t n = s.u.s.n;
    for (size_t i = 0; i < n && !r->failed; i++) {
        if (p[i] == '}' && i + 1 < n && p[i + 1] == '}') {
            jb_puts(r, &out, "}");
            i++;
            continue;
        }
        if (p[i] != '{') {
            jb_put(r, &out, p + i, 1, s.u.s.m ? s.u.s.m + i : NULL);
            continue;
        }
        if (i + 1 < n && p[i + 1] == '{') {
            jb_puts(r, &out, "{");
            i++;
            continue;
        }
        size_t e = i + 1;
        while (e < n && p[e] != '}')
            e++;
        if (e >= n)
            return jr_fail(r, "format(): a '{' is not closed");
        const char *f = p + i + 1;
        size_t fn = e - i - 1, conv_at = fn;
        for (size_t k = 0; k < fn; k++)
            if (f[k] == ':')
                return jr_fail(r, "format(): format specifications are not supported");
            else if (f[k] == '!')
                conv_at = k;
        JVal x;
        if (conv_at == 0) {
            if (auto_idx >= a->npos)
                return jr_fail(r, "format(): not enough arguments");
            x = a->pos[auto_idx++];
        } else if (f[0] >= '0' && f[0] <= '9') {
            size_t idx = (size_t)strtoul(f, NULL, 10);
            if (idx >= a->npos)
                return jr_fail(r, "format(): argument %zu is missing", idx);
            x = a->pos[idx];
        } else {
            bool found = false;
            for (size_t k = 0; k < a->nkw && !found; k++)
                if (a->kwn[k].n == conv_at && memcmp(a->kwn[k].p, f, conv_at) == 0) {
                    x = a->kwv[k];
                    found = true;
                }
            if (!found)
                return jr_fail(r, "format(): no argument named '%.*s'", (int)conv_at, f);
        }
        if (conv_at < fn && f[conv_at + 1] == 'r')
            jv_write_repr(r, &out, x, 0);
        else
            jv_write_str(r, &out, x);
        i = e;
    }
    return r->failed ? jv_undef() : jb_to_val(&out);
}

static JVal m_splitlines(JRender *r, JVal s, const JArgs *a) { return splitlines(r, s, arg_bool(a, 0, "keepends", false)); }

static JVal char_class(JVal s, int cls)
{
    if (s.u.s.n == 0)
        return jv_bool(false);
    for (size_t i = 0; i < s.u.s.n;) {
        uint32_t cp;
        i += jv_utf8_next(s.u.s.p + i, s.u.s.n - i, &cp);
        UnicodeCat c = unicode_category(cp);
        bool ok;
        switch (cls) {
        case 0: ok = c == UNICODE_CAT_NUMBER; break;
        case 1: ok = c == UNICODE_CAT_LETTER; break;
        case 2: ok = c == UNICODE_CAT_LETTER || c == UNICODE_CAT_NUMBER; break;
        default: ok = jv_is_space(cp);
        }
        if (!ok)
            return jv_bool(false);
    }
    return jv_bool(true);
}
static JVal m_isdigit(JRender *r, JVal s, const JArgs *a) { (void)r; (void)a; return char_class(s, 0); }
static JVal m_isalpha(JRender *r, JVal s, const JArgs *a) { (void)r; (void)a; return char_class(s, 1); }
static JVal m_isalnum(JRender *r, JVal s, const JArgs *a) { (void)r; (void)a; return char_class(s, 2); }
static JVal m_isspace(JRender *r, JVal s, const JArgs *a) { (void)r; (void)a; return char_class(s, 3); }
static JVal m_isupper(JRender *r, JVal s, const JArgs *a) { (void)a; return jv_bool(case_test(r, s, true)); }
static JVal m_islower(JRender *r, JVal s, const JArgs *a) { (void)a; return jv_bool(case_test(r, s, false)); }

static JVal m_items(JRender *r, JVal d, const JArgs *a) { return f_items(r, d, a); }
static JVal m_keys(JRender *r, JVal d, const JArgs *a)
{
    (void)a;
    JVal out;
    return jv_iterate(r, d, &out) < 0 ? jv_undef() : out;
}
static JVal m_values(JRender *r, JVal d, const JArgs *a)
{
    (void)a;
    JVal out = jv_list_new(r, d.u.d->n);
    for (size_t i = 0; i < d.u.d->n && !r->failed; i++)
        jv_list_push(r, out, d.u.d->v[i]);
    return out;
}
static JVal m_get(JRender *r, JVal d, const JArgs *a)
{
    JVal k, def = jv_none();
    if (!arg(a, 0, NULL, &k))
        return jr_fail(r, "get() needs a key");
    arg(a, 1, NULL, &def);
    JVal v = jv_dict_get(d, k);
    return v.t == JT_UNDEF ? def : v;
}
static JVal m_copy(JRender *r, JVal v, const JArgs *a)
{
    (void)a;
    if (v.t == JT_LIST)
        return f_list(r, v, a);
    JVal out = jv_dict_new(r, v.u.d->n);
    for (size_t i = 0; i < v.u.d->n && !r->failed; i++)
        jv_dict_set(r, out, v.u.d->k[i], v.u.d->v[i]);
    return out;
}

static JVal m_list_index(JRender *r, JVal l, const JArgs *a)
{
    JVal x;
    if (!arg(a, 0, NULL, &x))
        return jr_fail(r, "index() needs a value");
    for (size_t i = 0; i < l.u.l->n; i++)
        if (jv_equal(l.u.l->v[i], x))
            return jv_int((int64_t)i);
    return jr_fail(r, "list.index(x): x not in list");
}
static JVal m_list_count(JRender *r, JVal l, const JArgs *a)
{
    JVal x;
    if (!arg(a, 0, NULL, &x))
        return jr_fail(r, "count() needs a value");
    int64_t c = 0;
    for (size_t i = 0; i < l.u.l->n; i++)
        c += jv_equal(l.u.l->v[i], x);
    return jv_int(c);
}

static JVal m_forbidden(JRender *r, JVal self, const JArgs *a)
{
    (void)a;
    return jr_fail(r, "the template changes a %s in place, which Jinja's immutable sandbox (transformers) forbids",
                   jv_type_name(self));
}

typedef struct MethodEntry {
    JType type;
    const char *name;
    JMethodFn fn;
} MethodEntry;

static const MethodEntry methods[] = {
    { JT_STR, "startswith", m_startswith }, { JT_STR, "endswith", m_endswith }, { JT_STR, "split", m_split },
    { JT_STR, "rsplit", m_rsplit },         { JT_STR, "strip", m_strip },       { JT_STR, "lstrip", m_lstrip },
    { JT_STR, "rstrip", m_rstrip },         { JT_STR, "upper", m_upper },       { JT_STR, "lower", m_lower },
    { JT_STR, "title", m_title },           { JT_STR, "capitalize", m_capitalize }, { JT_STR, "replace", m_replace },
    { JT_STR, "find", m_find },             { JT_STR, "rfind", m_rfind },       { JT_STR, "count", m_str_count },
    { JT_STR, "join", m_join },             { JT_STR, "format", m_format },     { JT_STR, "splitlines", m_splitlines },
    { JT_STR, "isdigit", m_isdigit },       { JT_STR, "isalpha", m_isalpha },   { JT_STR, "isalnum", m_isalnum },
    { JT_STR, "isspace", m_isspace },       { JT_STR, "isupper", m_isupper },   { JT_STR, "islower", m_islower },
    { JT_DICT, "items", m_items },          { JT_DICT, "keys", m_keys },        { JT_DICT, "values", m_values },
    { JT_DICT, "get", m_get },              { JT_DICT, "copy", m_copy },        { JT_DICT, "pop", m_forbidden },
    { JT_DICT, "update", m_forbidden },     { JT_DICT, "setdefault", m_forbidden }, { JT_DICT, "clear", m_forbidden },
    { JT_DICT, "popitem", m_forbidden },    { JT_LIST, "index", m_list_index }, { JT_LIST, "count", m_list_count },
    { JT_LIST, "copy", m_copy },            { JT_LIST, "append", m_forbidden }, { JT_LIST, "extend", m_forbidden },
    { JT_LIST, "insert", m_forbidden },     { JT_LIST, "pop", m_forbidden },    { JT_LIST, "remove", m_forbidden },
    { JT_LIST, "sort", m_forbidden },       { JT_LIST, "reverse", m_forbidden }, { JT_LIST, "clear", m_forbidden },
};

JVal jinja_method(JRender *r, JVal obj, const char *name, size_t n)
{
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (methods[i].type == (JType)obj.t && strlen(methods[i].name) == n &&
            memcmp(methods[i].name, name, n) == 0)
            return make_func(r, JF_METHOD, (int)i, obj);
    return jv_undef();
}

JVal jinja_call_builtin(JRender *r, JFunc *fn, const JArgs *a)
{
    if (fn->kind == JF_METHOD && fn->id >= 0 && (size_t)fn->id < sizeof methods / sizeof methods[0])
        return methods[fn->id].fn(r, fn->self, a);
    if (fn->kind == JF_BUILTIN && fn->id >= 0 && (size_t)fn->id < sizeof globals / sizeof globals[0])
        return globals[fn->id].fn(r, fn->self, a);
    return jr_fail(r, "not a callable function");
}
