/* jinja_eval.c — renders a parsed template (see jinja.h): scopes as Jinja2
 * has them (a for loop's body is a new scope per iteration, so {% set %}
 * inside it does not leak out; namespace() objects carry state across),
 * expressions with Python's semantics, macros, loop controls, set blocks and
 * filter blocks, and the render entry point with its limits. Every value and
 * scope lives in one arena that the render frees at the end. Not for:
 * values' Python behaviour (jinja_value.c), filters, tests and methods
 * (jinja_builtins.c). */
#include "engine/jinja_impl.h"
#include "util/errmsg.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 3000 /* nested evaluation frames: bounds the C stack */

struct JScope {
    JScope *parent;
    JName *names;
    JVal *vals;
    size_t n, cap;
};

JVal jr_fail(JRender *r, const char *fmt, ...)
{
    if (!r->failed) {
        va_list ap;
        va_start(ap, fmt);
        errmsg_vset(r->err, sizeof r->err, fmt, ap);
        va_end(ap);
        r->failed = true;
    }
    return jv_undef();
}

bool jr_step(JRender *r)
{
    if (r->failed)
        return false;
    if (++r->steps > r->lim->max_steps) {
        jr_fail(r, "the template ran for more than %ld steps", r->lim->max_steps);
        return false;
    }
    return true;
}

/* ---- scopes ------------------------------------------------------------------------ */

static JScope *scope_new(JRender *r, JScope *parent)
{
    JScope *s = ja_alloc(&r->arena, sizeof *s);
    if (!s) {
        jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        return NULL;
    }
    s->parent = parent;
    return s;
}

static bool name_eq(JName a, const char *p, size_t n) { return a.n == n && memcmp(a.p, p, n) == 0; }

static int scope_set(JRender *r, JScope *s, JName name, JVal v)
{
    for (size_t i = 0; i < s->n; i++)
        if (name_eq(s->names[i], name.p, name.n)) {
            s->vals[i] = v;
            return 0;
        }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 8;
        JName *nn = ja_alloc(&r->arena, cap * sizeof *nn);
        JVal *nv = ja_alloc(&r->arena, cap * sizeof *nv);
        if (!nn || !nv) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            return -1;
        }
        if (s->n) {
            memcpy(nn, s->names, s->n * sizeof *nn);
            memcpy(nv, s->vals, s->n * sizeof *nv);
        }
        s->names = nn;
        s->vals = nv;
        s->cap = cap;
    }
    s->names[s->n] = name;
    s->vals[s->n] = v;
    s->n++;
    return 0;
}

static JVal lookup(JRender *r, JScope *s, const char *p, size_t n)
{
    for (; s; s = s->parent)
        for (size_t i = s->n; i-- > 0;)
            if (name_eq(s->names[i], p, n))
                return s->vals[i];
    JVal g = jinja_global(r, p, n);
    if (g.t != JT_UNDEF)
        return g;
    JVal u = jv_undef();
    u.u.s.p = p; /* the name, for error messages */
    u.u.s.n = n;
    return u;
}

static JVal undefined_error(JRender *r, JVal u, const char *what)
{
    if (u.u.s.n)
        return jr_fail(r, "'%.*s' is undefined%s", (int)(u.u.s.n > 60 ? 60 : u.u.s.n), u.u.s.p, what);
    return jr_fail(r, "a value is undefined%s", what);
}

/* ---- attribute and item access ------------------------------------------------------------ */

static JVal loop_attr(JRender *r, JVal v, const char *p, size_t n)
{
    const JLoop *lp = v.u.loop;
    size_t len = lp->items.u.l->n, i = lp->i;
#define IS(s) (n == sizeof(s) - 1 && memcmp(p, s, n) == 0)
    if (IS("index"))
        return jv_int((int64_t)i + 1);
    if (IS("index0"))
        return jv_int((int64_t)i);
    if (IS("revindex"))
        return jv_int((int64_t)(len - i));
    if (IS("revindex0"))
        return jv_int((int64_t)(len - i - 1));
    if (IS("first"))
        return jv_bool(i == 0);
    if (IS("last"))
        return jv_bool(i + 1 == len);
    if (IS("length"))
        return jv_int((int64_t)len);
    if (IS("depth"))
        return jv_int(1);
    if (IS("depth0"))
        return jv_int(0);
    if (IS("previtem"))
        return i > 0 ? lp->items.u.l->v[i - 1] : jv_undef();
    if (IS("nextitem"))
        return i + 1 < len ? lp->items.u.l->v[i + 1] : jv_undef();
    if (IS("cycle")) {
        JFunc *f = ja_alloc(&r->arena, sizeof *f);
        if (!f)
            return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        f->kind = JF_LOOP_CYCLE;
        f->self = v;
        JVal x = { .t = JT_FUNC };
        x.u.fn = f;
        return x;
    }
#undef IS
    return jv_undef();
}

/* obj.name as Jinja2 does it: the attribute (a method) first, then the item. */
JVal jinja_getattr(JRender *r, JVal obj, const char *p, size_t n)
{
    switch ((JType)obj.t) {
    case JT_UNDEF: {
        char what[96];
        snprintf(what, sizeof what, " (reading its attribute '%.*s')", (int)(n > 40 ? 40 : n), p);
        return undefined_error(r, obj, what);
    }
    case JT_DICT: {
        JVal m = jinja_method(r, obj, p, n);
        if (m.t != JT_UNDEF)
            return m;
        return jv_dict_get_str(obj, p, n);
    }
    case JT_NS: return jv_dict_get_str(obj, p, n);
    case JT_LOOP: return loop_attr(r, obj, p, n);
    case JT_STR:
    case JT_LIST: return jinja_method(r, obj, p, n);
    default: return jv_undef();
    }
}

static bool index_of(JVal key, int64_t *i)
{
    if (key.t == JT_INT) {
        *i = key.u.i;
        return true;
    }
    if (key.t == JT_BOOL) {
        *i = key.u.b;
        return true;
    }
    return false;
}

/* obj[key] as Jinja2 does it: the item first, then (for a string key) the attribute. */
static JVal getitem(JRender *r, JVal obj, JVal key)
{
    int64_t i;
    switch ((JType)obj.t) {
    case JT_UNDEF: return undefined_error(r, obj, " (reading an item of it)");
    case JT_DICT: {
        JVal v = jv_dict_get(obj, key);
        if (v.t == JT_UNDEF && key.t == JT_STR)
            return jinja_method(r, obj, key.u.s.p, key.u.s.n);
        return v;
    }
    case JT_LIST:
        if (index_of(key, &i)) {
            int64_t len = (int64_t)obj.u.l->n;
            if (i < 0)
                i += len;
            return i >= 0 && i < len ? obj.u.l->v[i] : jv_undef();
        }
        break;
    case JT_STR:
        if (index_of(key, &i)) {
            int64_t len = (int64_t)jv_str_chars(obj.u.s.p, obj.u.s.n);
            if (i < 0)
                i += len;
            if (i < 0 || i >= len)
                return jv_undef();
            size_t a = jv_utf8_offset(obj.u.s.p, obj.u.s.n, (size_t)i);
            size_t b = jv_utf8_offset(obj.u.s.p, obj.u.s.n, (size_t)i + 1);
            return jv_str(obj.u.s.p + a, b - a, obj.u.s.m ? obj.u.s.m + a : NULL);
        }
        break;
    default: break;
    }
    if (key.t == JT_STR)
        return jinja_getattr(r, obj, key.u.s.p, key.u.s.n);
    return jv_undef();
}

/* Python's slice indices for a sequence of len items. */
static void slice_bounds(int64_t len, JVal a, JVal b, int64_t step, int64_t *start, int64_t *stop)
{
    bool has_a = a.t == JT_INT || a.t == JT_BOOL, has_b = b.t == JT_INT || b.t == JT_BOOL;
    int64_t s = has_a ? (a.t == JT_INT ? a.u.i : a.u.b) : 0, e = has_b ? (b.t == JT_INT ? b.u.i : b.u.b) : 0;
    if (step > 0) {
        if (!has_a)
            s = 0;
        else if (s < 0)
            s = s + len < 0 ? 0 : s + len;
        else if (s > len)
            s = len;
        if (!has_b)
            e = len;
        else if (e < 0)
            e = e + len < 0 ? 0 : e + len;
        else if (e > len)
            e = len;
    } else {
        if (!has_a)
            s = len - 1;
        else if (s < 0)
            s = s + len < 0 ? -1 : s + len;
        else if (s >= len)
            s = len - 1;
        if (!has_b)
            e = -1;
        else if (e < 0)
            e = e + len < 0 ? -1 : e + len;
        else if (e >= len)
            e = len - 1;
    }
    *start = s;
    *stop = e;
}

static JVal do_slice(JRender *r, JVal obj, JVal a, JVal b, JVal c)
{
    for (int k = 0; k < 3; k++) {
        JVal x = k == 0 ? a : k == 1 ? b : c;
        if (x.t != JT_UNDEF && x.t != JT_NONE && x.t != JT_INT && x.t != JT_BOOL)
            return jr_fail(r, "slice indices must be integers or None, not %s", jv_type_name(x));
    }
    int64_t step = c.t == JT_INT ? c.u.i : c.t == JT_BOOL ? c.u.b : 1;
    if (step == 0)
        return jr_fail(r, "slice step cannot be zero");
    if (obj.t == JT_LIST) {
        int64_t s, e, len = (int64_t)obj.u.l->n;
        slice_bounds(len, a, b, step, &s, &e);
        JVal out = jv_list_new(r, 0);
        out.tuple = obj.tuple;
        for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
            if (jv_list_push(r, out, obj.u.l->v[i]) < 0)
                break;
        return out;
    }
    if (obj.t == JT_STR) {
        const char *p = obj.u.s.p;
        size_t n = obj.u.s.n;
        int64_t len = (int64_t)jv_str_chars(p, n);
        int64_t s, e;
        slice_bounds(len, a, b, step, &s, &e);
        if (step == 1) {
            if (e <= s)
                return jv_str("", 0, NULL);
            size_t x = jv_utf8_offset(p, n, (size_t)s), y = jv_utf8_offset(p, n, (size_t)e);
            return jv_str(p + x, y - x, obj.u.s.m ? obj.u.s.m + x : NULL);
        }
        /* any other step: character by character (offsets first) */
        size_t *off = ja_alloc(&r->arena, ((size_t)len + 1) * sizeof *off);
        if (!off)
            return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        size_t at = 0;
        for (int64_t i = 0; i < len; i++) {
            off[i] = at;
            uint32_t cp;
            at += jv_utf8_next(p + at, n - at, &cp);
        }
        off[len] = n;
        JBuf out = { 0 };
        for (int64_t i = s; step > 0 ? i < e : i > e; i += step)
            if (jb_put(r, &out, p + off[i], off[i + 1] - off[i], obj.u.s.m ? obj.u.s.m + off[i] : NULL) < 0)
                break;
        return jb_to_val(&out);
    }
    if (obj.t == JT_UNDEF)
        return undefined_error(r, obj, " (slicing it)");
    return jr_fail(r, "'%s' object is not subscriptable", jv_type_name(obj));
}

/* ---- expressions --------------------------------------------------------------------- */

static JVal eval(JRender *r, JScope *s, const JNode *x);

static bool enter(JRender *r)
{
    if (!jr_step(r))
        return false;
    if (++r->depth > MAX_FRAMES) {
        jr_fail(r, "the template nests too deeply");
        return false;
    }
    return true;
}

static void leave(JRender *r) { r->depth--; }

/* Evaluates call arguments into a JArgs (arena arrays). */
static bool eval_args(JRender *r, JScope *s, const JNode *x, JArgs *a)
{
    memset(a, 0, sizeof *a);
    JVal *pos = x->nkids ? ja_alloc(&r->arena, x->nkids * sizeof *pos) : NULL;
    JVal *kwv = x->nkids2 ? ja_alloc(&r->arena, x->nkids2 * sizeof *kwv) : NULL;
    if ((x->nkids && !pos) || (x->nkids2 && !kwv)) {
        jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        return false;
    }
    for (size_t i = 0; i < x->nkids; i++)
        pos[i] = eval(r, s, x->kids[i]);
    for (size_t i = 0; i < x->nkids2; i++)
        kwv[i] = eval(r, s, x->kids2[i]);
    a->pos = pos;
    a->npos = x->nkids;
    a->kwn = x->names;
    a->kwv = kwv;
    a->nkw = x->nkids2;
    return !r->failed;
}

static bool is_number(JVal v) { return v.t == JT_INT || v.t == JT_FLOAT || v.t == JT_BOOL; }
static double as_f(JVal v) { return v.t == JT_FLOAT ? v.u.f : v.t == JT_INT ? (double)v.u.i : v.u.b; }
static int64_t as_i(JVal v) { return v.t == JT_INT ? v.u.i : v.u.b; }

static JVal concat2(JRender *r, JVal a, JVal b)
{
    JBuf out = { 0 };
    if (jb_put_str(r, &out, a.u.s) < 0 || jb_put_str(r, &out, b.u.s) < 0)
        return jv_undef();
    return jb_to_val(&out);
}

static JVal repeat(JRender *r, JVal seq, int64_t k)
{
    if (k < 0)
        k = 0;
    size_t unit = seq.t == JT_STR ? seq.u.s.n : seq.u.l->n * sizeof(JVal);
    if (unit && (uint64_t)k > r->lim->max_memory / unit)
        return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
    if (seq.t == JT_STR) {
        JBuf out = { 0 };
        for (int64_t i = 0; i < k; i++)
            if (jb_put_str(r, &out, seq.u.s) < 0)
                return jv_undef();
        return jb_to_val(&out);
    }
    JVal out = jv_list_new(r, 0);
    out.tuple = seq.tuple;
    for (int64_t i = 0; i < k && !r->failed; i++)
        for (size_t j = 0; j < seq.u.l->n; j++)
            jv_list_push(r, out, seq.u.l->v[j]);
    return out;
}

static const char *op_name(int op)
{
    static const char *const n[] = { "+", "-", "*", "/", "//", "%", "**" };
    return op >= 0 && op < 7 ? n[op] : "?";
}

static JVal binop(JRender *r, int op, JVal a, JVal b)
{
    if (a.t == JT_UNDEF)
        return undefined_error(r, a, "");
    if (b.t == JT_UNDEF)
        return undefined_error(r, b, "");
    if (is_number(a) && is_number(b)) {
        bool ints = a.t != JT_FLOAT && b.t != JT_FLOAT;
        if (ints) {
            int64_t x = as_i(a), y = as_i(b), z;
            switch (op) {
            case JOP_ADD:
                if (__builtin_add_overflow(x, y, &z))
                    return jr_fail(r, "integer overflow");
                return jv_int(z);
            case JOP_SUB:
                if (__builtin_sub_overflow(x, y, &z))
                    return jr_fail(r, "integer overflow");
                return jv_int(z);
            case JOP_MUL:
                if (__builtin_mul_overflow(x, y, &z))
                    return jr_fail(r, "integer overflow");
                return jv_int(z);
            case JOP_DIV:
                if (y == 0)
                    return jr_fail(r, "division by zero");
                return jv_float((double)x / (double)y);
            case JOP_FLOORDIV:
            case JOP_MOD: {
                if (y == 0)
                    return jr_fail(r, "integer division or modulo by zero");
                if (x == INT64_MIN && y == -1)
                    return jr_fail(r, "integer overflow");
                int64_t q = x / y, m = x % y;
                if (m != 0 && ((m < 0) != (y < 0))) {
                    q--;
                    m += y;
                }
                return jv_int(op == JOP_MOD ? m : q);
            }
            case JOP_POW: {
                if (y < 0)
                    return jv_float(pow((double)x, (double)y));
                if (x == 0 || x == 1)
                    return jv_int(y == 0 ? 1 : x);
                if (x == -1)
                    return jv_int(y % 2 ? -1 : 1);
                int64_t acc = 1, base = x;
                for (int64_t e = y; e > 0; e >>= 1) {
                    if ((e & 1) && __builtin_mul_overflow(acc, base, &acc))
                        return jr_fail(r, "integer overflow");
                    if (e > 1 && __builtin_mul_overflow(base, base, &base))
                        return jr_fail(r, "integer overflow");
                }
                return jv_int(acc);
            }
            }
        }
        double x = as_f(a), y = as_f(b);
        switch (op) {
        case JOP_ADD: return jv_float(x + y);
        case JOP_SUB: return jv_float(x - y);
        case JOP_MUL: return jv_float(x * y);
        case JOP_DIV:
            if (y == 0)
                return jr_fail(r, "float division by zero");
            return jv_float(x / y);
        case JOP_FLOORDIV:
        case JOP_MOD: {
            if (y == 0)
                return jr_fail(r, "float modulo by zero");
            double m = fmod(x, y), q = (x - m) / y;
            if (m != 0 && ((m < 0) != (y < 0))) {
                m += y;
                q -= 1.0;
            }
            double fq = floor(q);
            if (q - fq > 0.5)
                fq += 1.0;
            return jv_float(op == JOP_MOD ? m : fq);
        }
        case JOP_POW: return jv_float(pow(x, y));
        }
    }
    if (op == JOP_ADD && a.t == JT_STR && b.t == JT_STR)
        return concat2(r, a, b);
    if (op == JOP_ADD && a.t == JT_LIST && b.t == JT_LIST && a.tuple == b.tuple) {
        JVal out = jv_list_new(r, a.u.l->n + b.u.l->n);
        out.tuple = a.tuple;
        for (size_t i = 0; i < a.u.l->n && !r->failed; i++)
            jv_list_push(r, out, a.u.l->v[i]);
        for (size_t i = 0; i < b.u.l->n && !r->failed; i++)
            jv_list_push(r, out, b.u.l->v[i]);
        return out;
    }
    if (op == JOP_MUL && (a.t == JT_STR || a.t == JT_LIST) && (b.t == JT_INT || b.t == JT_BOOL))
        return repeat(r, a, as_i(b));
    if (op == JOP_MUL && (b.t == JT_STR || b.t == JT_LIST) && (a.t == JT_INT || a.t == JT_BOOL))
        return repeat(r, b, as_i(a));
    if (op == JOP_MOD && a.t == JT_STR) {
        JFilterFn fmt = jinja_find_filter("format", 6);
        JArgs args = { 0 };
        if (b.t == JT_LIST && b.tuple) {
            args.pos = b.u.l->v;
            args.npos = b.u.l->n;
        } else {
            args.pos = &b;
            args.npos = 1;
        }
        return fmt(r, a, &args);
    }
    return jr_fail(r, "unsupported operand types for %s: '%s' and '%s'", op_name(op), jv_type_name(a),
                   jv_type_name(b));
}

static bool contains(JRender *r, JVal item, JVal seq)
{
    switch ((JType)seq.t) {
    case JT_UNDEF: return false;
    case JT_STR:
        if (item.t != JT_STR) {
            jr_fail(r, "'in <string>' requires string as left operand, not %s", jv_type_name(item));
            return false;
        }
        return item.u.s.n == 0 || memmem(seq.u.s.p, seq.u.s.n, item.u.s.p, item.u.s.n) != NULL;
    case JT_LIST:
        for (size_t i = 0; i < seq.u.l->n; i++)
            if (jv_equal(item, seq.u.l->v[i]))
                return true;
        return false;
    case JT_DICT:
    case JT_NS: return jv_dict_get(seq, item).t != JT_UNDEF;
    default:
        jr_fail(r, "argument of type '%s' is not iterable", jv_type_name(seq));
        return false;
    }
}

/* One comparison; false with the error set when the types do not compare. */
static bool compare(JRender *r, int op, JVal a, JVal b)
{
    switch (op) {
    case JCMP_EQ: return jv_equal(a, b);
    case JCMP_NE: return !jv_equal(a, b);
    case JCMP_IN: return contains(r, a, b);
    case JCMP_NOTIN: return !contains(r, a, b) && !r->failed;
    default: break;
    }
    int c = jv_compare(a, b);
    if (c == 2) {
        static const char *const sym[] = { "==", "!=", "<", "<=", ">", ">=" };
        jr_fail(r, "'%s' not supported between instances of '%s' and '%s'", sym[op], jv_type_name(a),
                jv_type_name(b));
        return false;
    }
    switch (op) {
    case JCMP_LT: return c < 0;
    case JCMP_LE: return c <= 0;
    case JCMP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* A filter chain whose innermost operand is hole (set blocks, filter blocks). */
static JVal eval_filter_chain(JRender *r, JScope *s, const JNode *f, JVal hole)
{
    JVal v = f->a ? eval_filter_chain(r, s, f->a, hole) : hole;
    JArgs args;
    if (r->failed || !eval_args(r, s, f, &args))
        return jv_undef();
    return f->filter(r, v, &args);
}

static JVal eval_inner(JRender *r, JScope *s, const JNode *x)
{
    switch (x->kind) {
    case JN_CONST: return x->val;
    case JN_NAME: return lookup(r, s, x->name.p, x->name.n);
    case JN_ATTR: {
        JVal o = eval(r, s, x->a);
        return r->failed ? o : jinja_getattr(r, o, x->name.p, x->name.n);
    }
    case JN_ITEM: {
        JVal o = eval(r, s, x->a), k = eval(r, s, x->b);
        return r->failed ? o : getitem(r, o, k);
    }
    case JN_SLICE: {
        JVal o = eval(r, s, x->a);
        JVal p[3];
        for (int i = 0; i < 3; i++)
            p[i] = x->kids[i] ? eval(r, s, x->kids[i]) : jv_none();
        return r->failed ? o : do_slice(r, o, p[0], p[1], p[2]);
    }
    case JN_CALL: {
        JVal f = eval(r, s, x->a);
        JArgs args;
        if (r->failed || !eval_args(r, s, x, &args))
            return jv_undef();
        return jinja_call_value(r, f, &args);
    }
    case JN_FILTER: {
        JVal v = x->a ? eval(r, s, x->a) : jv_undef();
        JArgs args;
        if (r->failed || !eval_args(r, s, x, &args))
            return jv_undef();
        return x->filter(r, v, &args);
    }
    case JN_TEST: {
        JVal v = eval(r, s, x->a);
        JArgs args;
        if (r->failed || !eval_args(r, s, x, &args))
            return jv_undef();
        int t = x->test(r, v, &args);
        if (t < 0)
            return jv_undef();
        return jv_bool(x->op ? !t : t);
    }
    case JN_NEG:
    case JN_POS: {
        JVal v = eval(r, s, x->a);
        if (r->failed)
            return v;
        if (v.t == JT_INT || v.t == JT_BOOL) {
            int64_t i = as_i(v);
            if (x->kind == JN_NEG && i == INT64_MIN)
                return jr_fail(r, "integer overflow");
            return jv_int(x->kind == JN_NEG ? -i : i);
        }
        if (v.t == JT_FLOAT)
            return jv_float(x->kind == JN_NEG ? -v.u.f : v.u.f);
        if (v.t == JT_UNDEF)
            return undefined_error(r, v, "");
        return jr_fail(r, "bad operand type for unary %s: '%s'", x->kind == JN_NEG ? "-" : "+", jv_type_name(v));
    }
    case JN_NOT: {
        JVal v = eval(r, s, x->a);
        return r->failed ? v : jv_bool(!jv_truthy(v));
    }
    case JN_BIN: {
        JVal a = eval(r, s, x->a), b = eval(r, s, x->b);
        return r->failed ? a : binop(r, x->op, a, b);
    }
    case JN_CMP: {
        JVal left = eval(r, s, x->a);
        for (size_t i = 0; i < x->nkids && !r->failed; i++) {
            JVal right = eval(r, s, x->kids[i]);
            if (r->failed)
                break;
            if (!compare(r, x->ops[i], left, right))
                return jv_bool(false);
            left = right;
        }
        return r->failed ? jv_undef() : jv_bool(true);
    }
    case JN_AND: {
        JVal a = eval(r, s, x->a);
        return r->failed || !jv_truthy(a) ? a : eval(r, s, x->b);
    }
    case JN_OR: {
        JVal a = eval(r, s, x->a);
        return r->failed || jv_truthy(a) ? a : eval(r, s, x->b);
    }
    case JN_COND: {
        JVal c = eval(r, s, x->b);
        if (r->failed)
            return c;
        if (jv_truthy(c))
            return eval(r, s, x->a);
        return x->c ? eval(r, s, x->c) : jv_undef();
    }
    case JN_LIST:
    case JN_TUPLE: {
        JVal l = jv_list_new(r, x->nkids);
        l.tuple = x->kind == JN_TUPLE;
        for (size_t i = 0; i < x->nkids && !r->failed; i++)
            jv_list_push(r, l, eval(r, s, x->kids[i]));
        return l;
    }
    case JN_DICT: {
        JVal d = jv_dict_new(r, x->nkids);
        for (size_t i = 0; i < x->nkids && !r->failed; i++) {
            JVal k = eval(r, s, x->kids[i]), v = eval(r, s, x->kids2[i]);
            if (k.t == JT_LIST && !k.tuple)
                return jr_fail(r, "unhashable type: 'list'");
            if (k.t == JT_DICT)
                return jr_fail(r, "unhashable type: 'dict'");
            jv_dict_set(r, d, k, v);
        }
        return d;
    }
    case JN_CONCAT: {
        JBuf out = { 0 };
        for (size_t i = 0; i < x->nkids && !r->failed; i++)
            jv_write_str(r, &out, eval(r, s, x->kids[i]));
        return r->failed ? jv_undef() : jb_to_val(&out);
    }
    default: return jr_fail(r, "line %d: not an expression", x->line);
    }
}

static JVal eval(JRender *r, JScope *s, const JNode *x)
{
    if (!enter(r))
        return jv_undef();
    JVal v = eval_inner(r, s, x);
    leave(r);
    return v;
}

/* ---- statements ------------------------------------------------------------------------ */

static void exec_body(JRender *r, JScope *s, JNode *const *kids, size_t n);

static int bind_targets(JRender *r, JScope *s, const JName *names, size_t n, JVal v)
{
    if (n == 1)
        return scope_set(r, s, names[0], v);
    JVal items;
    if (jv_iterate(r, v, &items) < 0)
        return -1;
    if (items.u.l->n != n) {
        jr_fail(r, "%s values to unpack (expected %zu, got %zu)", items.u.l->n > n ? "too many" : "not enough", n,
                items.u.l->n);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (scope_set(r, s, names[i], items.u.l->v[i]) < 0)
            return -1;
    return 0;
}

static void exec_for(JRender *r, JScope *s, const JNode *x)
{
    JVal it = eval(r, s, x->a);
    JVal items;
    if (r->failed || jv_iterate(r, it, &items) < 0)
        return;
    if (x->b) { /* {% for a in b if cond %}: loop.* counts the kept items */
        JVal kept = jv_list_new(r, items.u.l->n);
        for (size_t i = 0; i < items.u.l->n && !r->failed; i++) {
            JScope *t = scope_new(r, s);
            if (!t || bind_targets(r, t, x->names, x->nnames, items.u.l->v[i]) < 0)
                return;
            JVal c = eval(r, t, x->b);
            if (!r->failed && jv_truthy(c))
                jv_list_push(r, kept, items.u.l->v[i]);
        }
        items = kept;
    }
    if (r->failed)
        return;
    if (items.u.l->n == 0) {
        JScope *t = scope_new(r, s);
        if (t)
            exec_body(r, t, x->kids2, x->nkids2);
        return;
    }
    /* One loop object and one scope, reused by every iteration: what an
     * iteration sets dies with it anyway, and the arena is not freed per
     * iteration, so a long loop must not allocate as it goes. */
    JLoop *lp = ja_alloc(&r->arena, sizeof *lp);
    JScope *t = scope_new(r, s);
    if (!lp || !t) {
        jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
        return;
    }
    lp->items = items;
    JVal loopv = { .t = JT_LOOP };
    loopv.u.loop = lp;
    static const JName loop_name = { "loop", 4 };
    for (size_t i = 0; i < items.u.l->n; i++) {
        if (!jr_step(r))
            return;
        lp->i = i;
        t->n = 0;
        if (bind_targets(r, t, x->names, x->nnames, items.u.l->v[i]) < 0 || scope_set(r, t, loop_name, loopv) < 0)
            return;
        exec_body(r, t, x->kids, x->nkids);
        if (r->failed)
            return;
        if (r->loop_ctl == 1) {
            r->loop_ctl = 0;
            break;
        }
        r->loop_ctl = 0;
    }
}

/* Runs body with output captured; the captured text as a string value. */
static JVal capture(JRender *r, JScope *s, JNode *const *kids, size_t n)
{
    JBuf *saved = r->out;
    JBuf buf = { 0 };
    r->out = &buf;
    exec_body(r, s, kids, n);
    r->out = saved;
    return r->failed ? jv_undef() : jb_to_val(&buf);
}

static void exec_stmt(JRender *r, JScope *s, const JNode *x)
{
    if (!enter(r))
        return;
    switch (x->kind) {
    case JN_TEXT:
        jb_put(r, r->out, x->val.u.s.p, x->val.u.s.n, NULL);
        break;
    case JN_EMIT: {
        JVal v = eval(r, s, x->a);
        if (!r->failed)
            jv_write_str(r, r->out, v);
        break;
    }
    case JN_IF: {
        JVal c = eval(r, s, x->a);
        if (r->failed)
            break;
        if (jv_truthy(c))
            exec_body(r, s, x->kids, x->nkids);
        else if (x->b && x->b->kind == JN_IF)
            exec_stmt(r, s, x->b);
        else if (x->b)
            exec_body(r, s, x->b->kids, x->b->nkids);
        break;
    }
    case JN_FOR:
        exec_for(r, s, x);
        break;
    case JN_SET: {
        JVal v = eval(r, s, x->a);
        if (r->failed)
            break;
        if (x->op == 1) { /* ns.attr = v */
            JVal ns = lookup(r, s, x->name.p, x->name.n);
            if (ns.t != JT_NS) {
                jr_fail(r, "cannot assign attribute '%.*s' on '%.*s', which is not a namespace()",
                        (int)x->names[0].n, x->names[0].p, (int)x->name.n, x->name.p);
                break;
            }
            jv_dict_set(r, ns, jv_str(x->names[0].p, x->names[0].n, NULL), v);
        } else {
            bind_targets(r, s, x->names, x->nnames, v);
        }
        break;
    }
    case JN_SETBLOCK: {
        JVal v = capture(r, s, x->kids, x->nkids);
        if (!r->failed && x->a)
            v = eval_filter_chain(r, s, x->a, v);
        if (!r->failed)
            scope_set(r, s, x->name, v);
        break;
    }
    case JN_MACRO: {
        JFunc *f = ja_alloc(&r->arena, sizeof *f);
        if (!f) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            break;
        }
        f->kind = JF_MACRO;
        f->macro = x;
        f->closure = s;
        JVal v = { .t = JT_FUNC };
        v.u.fn = f;
        scope_set(r, s, x->name, v);
        break;
    }
    case JN_BREAK:
        r->loop_ctl = 1;
        break;
    case JN_CONTINUE:
        r->loop_ctl = 2;
        break;
    case JN_FILTERBLOCK: {
        JVal v = capture(r, s, x->kids, x->nkids);
        if (!r->failed)
            v = eval_filter_chain(r, s, x->a, v);
        if (!r->failed)
            jv_write_str(r, r->out, v);
        break;
    }
    case JN_BODY:
        exec_body(r, s, x->kids, x->nkids);
        break;
    case JN_WITH: {
        JScope *t = scope_new(r, s);
        for (size_t i = 0; t && i < x->nnames && !r->failed; i++)
            scope_set(r, t, x->names[i], eval(r, s, x->kids2[i]));
        if (t && !r->failed)
            exec_body(r, t, x->kids, x->nkids);
        break;
    }
    default:
        jr_fail(r, "line %d: not a statement", x->line);
    }
    leave(r);
}

static void exec_body(JRender *r, JScope *s, JNode *const *kids, size_t n)
{
    for (size_t i = 0; i < n && !r->failed && !r->loop_ctl; i++)
        exec_stmt(r, s, kids[i]);
}

/* ---- calls ---------------------------------------------------------------------------- */

static JVal call_macro(JRender *r, const JFunc *fn, const JArgs *a)
{
    const JNode *m = fn->macro;
    if (r->depth_calls >= r->lim->max_depth)
        return jr_fail(r, "macros call each other more than %d deep", r->lim->max_depth);
    JScope *s = scope_new(r, fn->closure);
    if (!s)
        return jv_undef();
    static const JName varargs_name = { "varargs", 7 }, kwargs_name = { "kwargs", 6 };
    JVal varargs = jv_list_new(r, 0), kwargs = jv_dict_new(r, 0);
    varargs.tuple = true;
    bool *given = m->nnames ? ja_alloc(&r->arena, m->nnames * sizeof *given) : NULL;
    if (r->failed || (m->nnames && !given))
        return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
    for (size_t i = 0; i < a->npos; i++) {
        if (i < m->nnames) {
            scope_set(r, s, m->names[i], a->pos[i]);
            given[i] = true;
        } else {
            jv_list_push(r, varargs, a->pos[i]);
        }
    }
    for (size_t k = 0; k < a->nkw; k++) {
        size_t i = 0;
        while (i < m->nnames && !name_eq(m->names[i], a->kwn[k].p, a->kwn[k].n))
            i++;
        if (i < m->nnames) {
            if (given[i])
                return jr_fail(r, "macro '%.*s' got multiple values for argument '%.*s'", (int)m->name.n,
                               m->name.p, (int)a->kwn[k].n, a->kwn[k].p);
            scope_set(r, s, m->names[i], a->kwv[k]);
            given[i] = true;
        } else {
            jv_dict_set(r, kwargs, jv_str(a->kwn[k].p, a->kwn[k].n, NULL), a->kwv[k]);
        }
    }
    for (size_t i = 0; i < m->nnames && !r->failed; i++)
        if (!given[i])
            scope_set(r, s, m->names[i], i < m->nkids2 && m->kids2[i] ? eval(r, s, m->kids2[i]) : jv_undef());
    scope_set(r, s, varargs_name, varargs);
    scope_set(r, s, kwargs_name, kwargs);
    if (r->failed)
        return jv_undef();
    int saved_ctl = r->loop_ctl;
    r->loop_ctl = 0;
    r->depth_calls++;
    JVal out = capture(r, s, m->kids, m->nkids);
    r->depth_calls--;
    r->loop_ctl = saved_ctl;
    return out;
}

JVal jinja_call_value(JRender *r, JVal callee, const JArgs *a)
{
    if (callee.t == JT_UNDEF)
        return undefined_error(r, callee, " (calling it)");
    if (callee.t != JT_FUNC)
        return jr_fail(r, "'%s' object is not callable", jv_type_name(callee));
    JFunc *fn = callee.u.fn;
    switch (fn->kind) {
    case JF_MACRO: return call_macro(r, fn, a);
    case JF_LOOP_CYCLE: {
        if (a->npos == 0)
            return jr_fail(r, "loop.cycle() needs at least one argument");
        return a->pos[fn->self.u.loop->i % a->npos];
    }
    default: return jinja_call_builtin(r, fn, a);
    }
}

/* ---- the render ----------------------------------------------------------------------------- */

JinjaLimits jinja_limits_default(void)
{
    return (JinjaLimits){ .max_memory = (size_t)64 << 20, .max_output = (size_t)16 << 20,
                          .max_steps = 20000000, .max_depth = 64 };
}

typedef enum VarKind { VAR_JSON, VAR_STRING, VAR_BOOL, VAR_NONE } VarKind;

typedef struct Var {
    char *name;
    VarKind kind;
    cJSON *json;
    char *s;
    bool b, input;
} Var;

struct JinjaVars {
    Var *v;
    size_t n, cap;
};

JinjaVars *jinja_vars_new(void) { return calloc(1, sizeof(JinjaVars)); }

static void var_clear(Var *x)
{
    cJSON_Delete(x->json);
    free(x->s);
    x->json = NULL;
    x->s = NULL;
}

void jinja_vars_free(JinjaVars *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        var_clear(&v->v[i]);
        free(v->v[i].name);
    }
    free(v->v);
    free(v);
}

static Var *var_slot(JinjaVars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (strcmp(v->v[i].name, name) == 0) {
            var_clear(&v->v[i]);
            return &v->v[i];
        }
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 8;
        Var *nv = realloc(v->v, cap * sizeof *nv);
        if (!nv)
            return NULL;
        v->v = nv;
        v->cap = cap;
    }
    Var *x = &v->v[v->n];
    memset(x, 0, sizeof *x);
    x->name = strdup(name);
    if (!x->name)
        return NULL;
    v->n++;
    return x;
}

int jinja_vars_set_json(JinjaVars *v, const char *name, const cJSON *value, bool input)
{
    Var *x = var_slot(v, name);
    if (!x)
        return -1;
    x->kind = VAR_JSON;
    x->input = input;
    x->json = value ? cJSON_Duplicate(value, 1) : NULL;
    if (value && !x->json) {
        x->kind = VAR_NONE;
        return -1;
    }
    return 0;
}

int jinja_vars_set_string(JinjaVars *v, const char *name, const char *s, bool input)
{
    Var *x = var_slot(v, name);
    if (!x)
        return -1;
    x->kind = VAR_STRING;
    x->input = input;
    x->s = strdup(s ? s : "");
    if (!x->s) {
        x->kind = VAR_NONE;
        return -1;
    }
    return 0;
}

int jinja_vars_set_bool(JinjaVars *v, const char *name, bool b)
{
    Var *x = var_slot(v, name);
    if (!x)
        return -1;
    x->kind = VAR_BOOL;
    x->b = b;
    return 0;
}

int jinja_vars_set_none(JinjaVars *v, const char *name)
{
    Var *x = var_slot(v, name);
    if (!x)
        return -1;
    x->kind = VAR_NONE;
    return 0;
}

static JVal var_value(JRender *r, const Var *x)
{
    switch (x->kind) {
    case VAR_JSON: return x->json ? jv_from_json(r, x->json, x->input, 0) : jv_none();
    case VAR_STRING: {
        size_t n = strlen(x->s);
        JVal s = jv_strdup(r, x->s, n);
        if (x->input && n && !r->failed) {
            unsigned char *m = ja_alloc(&r->arena, n);
            if (!m)
                return jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            memset(m, 1, n);
            s.u.s.m = m;
        }
        return s;
    }
    case VAR_BOOL: return jv_bool(x->b);
    default: return jv_none();
    }
}

int jinja_render(const JinjaTemplate *t, const JinjaVars *vars, const JinjaLimits *lim, const struct tm *now,
                 JinjaOutput *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    JinjaLimits dl = jinja_limits_default();
    JRender *r = calloc(1, sizeof *r);
    if (!r) {
        if (err && errlen)
            snprintf(err, errlen, "out of memory");
        return JINJA_ERR;
    }
    r->lim = lim ? lim : &dl;
    r->arena.limit = r->lim->max_memory;
    if (now) {
        r->now = *now;
    } else {
        time_t tt = time(NULL);
        localtime_r(&tt, &r->now);
    }
    r->root = scope_new(r, NULL);
    for (size_t i = 0; vars && i < vars->n && !r->failed; i++) {
        const char *nm = ja_strndup(&r->arena, vars->v[i].name, strlen(vars->v[i].name));
        if (!nm) {
            jr_fail(r, "the template needs more than %zu MiB", r->lim->max_memory >> 20);
            break;
        }
        scope_set(r, r->root, (JName){ nm, strlen(nm) }, var_value(r, &vars->v[i]));
    }
    JBuf top = { 0 };
    r->out = &top;
    if (!r->failed)
        exec_body(r, r->root, t->root->kids, t->root->nkids);
    int rc = 0;
    if (r->failed) {
        if (err && errlen)
            snprintf(err, errlen, "%s", r->err);
        rc = r->raised ? JINJA_RAISED : JINJA_ERR;
    } else {
        out->text = malloc(top.n + 1);
        out->input = top.m ? malloc(top.n ? top.n : 1) : NULL;
        if (!out->text || (top.m && !out->input)) {
            jinja_output_free(out);
            if (err && errlen)
                snprintf(err, errlen, "out of memory");
            rc = JINJA_ERR;
        } else {
            if (top.n)
                memcpy(out->text, top.p, top.n);
            out->text[top.n] = '\0';
            out->len = top.n;
            if (top.m)
                memcpy(out->input, top.m, top.n);
        }
    }
    ja_free_all(&r->arena);
    free(r);
    return rc;
}

void jinja_output_free(JinjaOutput *o)
{
    if (!o)
        return;
    free(o->text);
    free(o->input);
    memset(o, 0, sizeof *o);
}
