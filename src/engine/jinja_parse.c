/* jinja_parse.c — Jinja2's grammar (its parser's precedence and forms) over
 * the lexer's tokens, into the syntax tree jinja_eval.c walks; plus
 * jinja_parse()/jinja_free(), the entry points that normalize the source
 * (newlines, the final newline) first. Filter and test names are checked
 * here, so a template using one this subset lacks fails to parse rather than
 * half-render. Nesting is bounded (a hostile "((((((" cannot overflow the
 * stack). Not for: evaluation (jinja_eval.c). */
#include "engine/jinja_impl.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARSE_MAX_DEPTH 100

typedef struct Ps {
    JArena *a;
    const JTok *t;
    size_t n, i;
    int depth;
    bool failed;
    char *err;
    size_t errlen;
} Ps;

static const JTok *cur(const Ps *p) { return &p->t[p->i < p->n ? p->i : p->n - 1]; }
static const JTok *peek(const Ps *p, size_t k) { return &p->t[p->i + k < p->n ? p->i + k : p->n - 1]; }
static void adv(Ps *p)
{
    if (p->i + 1 < p->n)
        p->i++;
}

static bool tok_is(const JTok *t, JTokType type, const char *s)
{
    return t->type == type && t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}
static bool is_name(const Ps *p, const char *s) { return tok_is(cur(p), JTK_NAME, s); }
static bool is_op(const Ps *p, const char *s) { return tok_is(cur(p), JTK_OP, s); }

static JNode *fail(Ps *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static JNode *fail(Ps *p, const char *fmt, ...)
{
    if (!p->failed) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "line %d: %s", cur(p)->line, msg);
        p->failed = true;
    }
    return NULL;
}

static const char *tok_desc(const JTok *t, char *buf, size_t n)
{
    switch (t->type) {
    case JTK_EOF: return "the end of the template";
    case JTK_TEXT: return "text";
    case JTK_BLOCK_BEGIN: return "'{%'";
    case JTK_BLOCK_END: return "'%}'";
    case JTK_VAR_BEGIN: return "'{{'";
    case JTK_VAR_END: return "'}}'";
    default:
        snprintf(buf, n, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
        return buf;
    }
}

static bool expect_op(Ps *p, const char *s)
{
    if (is_op(p, s)) {
        adv(p);
        return true;
    }
    char b[64];
    fail(p, "expected '%s', found %s", s, tok_desc(cur(p), b, sizeof b));
    return false;
}

static bool expect_block_end(Ps *p)
{
    if (cur(p)->type == JTK_BLOCK_END) {
        adv(p);
        return true;
    }
    char b[64];
    fail(p, "expected '%%}', found %s", tok_desc(cur(p), b, sizeof b));
    return false;
}

static JNode *node(Ps *p, JNodeKind kind)
{
    JNode *x = ja_alloc(p->a, sizeof *x);
    if (!x)
        return fail(p, "the template is too large");
    x->kind = kind;
    x->line = cur(p)->line;
    return x;
}

/* A growable array of node pointers in the arena. */
typedef struct NVec {
    JNode **v;
    size_t n, cap;
} NVec;

/* Room for one more element (elem bytes) in the arena array v holding n in
 * room for *cap: v itself, or a copy twice as large (the arena frees the old
 * one with everything else). NULL, with the parse failed, when the arena is
 * spent. */
static void *arena_room(Ps *p, void *v, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap)
        return v;
    size_t c = *cap ? *cap * 2 : 4;
    void *nv = ja_alloc(p->a, c * elem);
    if (!nv) {
        fail(p, "the template is too large");
        return NULL;
    }
    if (n)
        memcpy(nv, v, n * elem);
    *cap = c;
    return nv;
}

static bool nv_push(Ps *p, NVec *v, JNode *x)
{
    JNode **nv = arena_room(p, v->v, v->n, &v->cap, sizeof *nv);
    if (!nv)
        return false;
    v->v = nv;
    v->v[v->n++] = x;
    return true;
}

typedef struct NameVec {
    JName *v;
    size_t n, cap;
} NameVec;

static bool names_push(Ps *p, NameVec *v, JName nm)
{
    JName *nv = arena_room(p, v->v, v->n, &v->cap, sizeof *nv);
    if (!nv)
        return false;
    v->v = nv;
    v->v[v->n++] = nm;
    return true;
}

static JName tok_name(const JTok *t) { return (JName){ t->p, t->n }; }

static bool enter(Ps *p)
{
    if (++p->depth > PARSE_MAX_DEPTH) {
        fail(p, "the template nests too deeply (more than %d levels)", PARSE_MAX_DEPTH);
        return false;
    }
    return true;
}

/* ---- expressions ----------------------------------------------------------------- */

static JNode *parse_expression(Ps *p, bool with_condexpr);
static JNode *parse_or(Ps *p);
static JNode *parse_unary(Ps *p, bool with_filter);
static JNode *parse_primary(Ps *p);
static JNode *parse_postfix(Ps *p, JNode *x);
static JNode *parse_filter_expr(Ps *p, JNode *x);

/* Is the current token the end of a tuple (for parse_tuple)? */
static bool tuple_end(const Ps *p, const char *extra)
{
    const JTok *t = cur(p);
    if (t->type == JTK_VAR_END || t->type == JTK_BLOCK_END || t->type == JTK_EOF)
        return true;
    if (tok_is(t, JTK_OP, ")"))
        return true;
    return extra && tok_is(t, JTK_NAME, extra);
}

/* "a", "a, b", "a, b," ...: a tuple when there is a comma (Jinja's parse_tuple). */
static JNode *parse_tuple(Ps *p, bool with_condexpr, const char *extra_end, bool explicit_parens)
{
    NVec items = { 0 };
    bool is_tuple = false;
    int line = cur(p)->line;
    for (;;) {
        if (items.n && !expect_op(p, ","))
            return NULL;
        if (tuple_end(p, extra_end))
            break;
        JNode *x = parse_expression(p, with_condexpr);
        if (!x || !nv_push(p, &items, x))
            return NULL;
        if (is_op(p, ","))
            is_tuple = true;
        else
            break;
    }
    if (!is_tuple) {
        if (items.n)
            return items.v[0];
        if (!explicit_parens) {
            char b[64];
            return fail(p, "expected an expression, found %s", tok_desc(cur(p), b, sizeof b));
        }
    }
    JNode *t = node(p, JN_TUPLE);
    if (!t)
        return NULL;
    t->line = line;
    t->kids = items.v;
    t->nkids = items.n;
    return t;
}

static JNode *parse_expression(Ps *p, bool with_condexpr)
{
    if (!enter(p))
        return NULL;
    JNode *x = parse_or(p);
    while (x && with_condexpr && is_name(p, "if")) {
        adv(p);
        JNode *c = node(p, JN_COND);
        if (!c)
            return NULL;
        c->a = x;
        c->b = parse_or(p);
        if (!c->b)
            return NULL;
        if (is_name(p, "else")) {
            adv(p);
            c->c = parse_expression(p, true);
            if (!c->c)
                return NULL;
        }
        x = c;
    }
    p->depth--;
    return x;
}

static JNode *parse_not(Ps *p);
static JNode *parse_compare(Ps *p);

/* "a WORD b WORD c" folded to the left (or, and). */
static JNode *parse_logic(Ps *p, const char *word, JNodeKind kind, JNode *(*sub)(Ps *))
{
    JNode *x = sub(p);
    while (x && is_name(p, word)) {
        adv(p);
        JNode *o = node(p, kind);
        if (!o)
            return NULL;
        o->a = x;
        if (!(o->b = sub(p)))
            return NULL;
        x = o;
    }
    return x;
}

static JNode *parse_and(Ps *p) { return parse_logic(p, "and", JN_AND, parse_not); }
static JNode *parse_or(Ps *p) { return parse_logic(p, "or", JN_OR, parse_and); }

static JNode *parse_not(Ps *p)
{
    if (is_name(p, "not")) {
        if (!enter(p))
            return NULL;
        adv(p);
        JNode *o = node(p, JN_NOT);
        if (!o)
            return NULL;
        if (!(o->a = parse_not(p)))
            return NULL;
        p->depth--;
        return o;
    }
    return parse_compare(p);
}

static JNode *parse_math1(Ps *p);

static JNode *parse_compare(Ps *p)
{
    JNode *x = parse_math1(p);
    if (!x)
        return NULL;
    NVec rhs = { 0 };
    int ops[64];
    size_t nops = 0;
    for (;;) {
        int op = -1;
        if (is_op(p, "=="))
            op = JCMP_EQ;
        else if (is_op(p, "!="))
            op = JCMP_NE;
        else if (is_op(p, "<"))
            op = JCMP_LT;
        else if (is_op(p, "<="))
            op = JCMP_LE;
        else if (is_op(p, ">"))
            op = JCMP_GT;
        else if (is_op(p, ">="))
            op = JCMP_GE;
        else if (is_name(p, "in"))
            op = JCMP_IN;
        else if (is_name(p, "not") && tok_is(peek(p, 1), JTK_NAME, "in")) {
            op = JCMP_NOTIN;
            adv(p);
        }
        if (op < 0)
            break;
        adv(p);
        if (nops >= sizeof ops / sizeof ops[0])
            return fail(p, "too many chained comparisons");
        ops[nops++] = op;
        JNode *r = parse_math1(p);
        if (!r || !nv_push(p, &rhs, r))
            return NULL;
    }
    if (!nops)
        return x;
    JNode *c = node(p, JN_CMP);
    if (!c)
        return NULL;
    c->a = x;
    c->kids = rhs.v;
    c->nkids = rhs.n;
    c->ops = ja_alloc(p->a, nops * sizeof *c->ops);
    if (!c->ops)
        return fail(p, "the template is too large");
    memcpy(c->ops, ops, nops * sizeof *ops);
    return c;
}

static JNode *binop(Ps *p, int op, JNode *l, JNode *r)
{
    if (!l || !r)
        return NULL;
    JNode *b = node(p, JN_BIN);
    if (!b)
        return NULL;
    b->op = op;
    b->a = l;
    b->b = r;
    return b;
}

static JNode *parse_concat(Ps *p);
static JNode *parse_math2(Ps *p);
static JNode *parse_pow(Ps *p);

static JNode *parse_math1(Ps *p)
{
    JNode *x = parse_concat(p);
    while (x && (is_op(p, "+") || is_op(p, "-"))) {
        int op = is_op(p, "+") ? JOP_ADD : JOP_SUB;
        adv(p);
        x = binop(p, op, x, parse_concat(p));
    }
    return x;
}

static JNode *parse_concat(Ps *p)
{
    JNode *x = parse_math2(p);
    if (!x || !is_op(p, "~"))
        return x;
    NVec args = { 0 };
    if (!nv_push(p, &args, x))
        return NULL;
    while (is_op(p, "~")) {
        adv(p);
        JNode *r = parse_math2(p);
        if (!r || !nv_push(p, &args, r))
            return NULL;
    }
    JNode *c = node(p, JN_CONCAT);
    if (!c)
        return NULL;
    c->kids = args.v;
    c->nkids = args.n;
    return c;
}

static JNode *parse_math2(Ps *p)
{
    JNode *x = parse_pow(p);
    while (x && (is_op(p, "*") || is_op(p, "/") || is_op(p, "//") || is_op(p, "%"))) {
        int op = is_op(p, "*") ? JOP_MUL : is_op(p, "/") ? JOP_DIV : is_op(p, "//") ? JOP_FLOORDIV : JOP_MOD;
        adv(p);
        x = binop(p, op, x, parse_pow(p));
    }
    return x;
}

static JNode *parse_pow(Ps *p)
{
    JNode *x = parse_unary(p, true);
    while (x && is_op(p, "**")) {
        adv(p);
        x = binop(p, JOP_POW, x, parse_unary(p, true));
    }
    return x;
}

static JNode *parse_unary(Ps *p, bool with_filter)
{
    if (!enter(p))
        return NULL;
    JNode *x;
    if (is_op(p, "-") || is_op(p, "+")) {
        JNodeKind k = is_op(p, "-") ? JN_NEG : JN_POS;
        adv(p);
        x = node(p, k);
        if (!x || !(x->a = parse_unary(p, false)))
            return NULL;
    } else {
        x = parse_primary(p);
    }
    x = parse_postfix(p, x);
    if (with_filter)
        x = parse_filter_expr(p, x);
    p->depth--;
    return x;
}

static JNode *konst(Ps *p, JVal v)
{
    JNode *x = node(p, JN_CONST);
    if (x)
        x->val = v;
    return x;
}

static JNode *parse_list_or_dict(Ps *p, bool dict)
{
    NVec keys = { 0 }, vals = { 0 };
    const char *close = dict ? "}" : "]";
    while (!is_op(p, close)) {
        if (keys.n && !expect_op(p, ","))
            return NULL;
        if (is_op(p, close))
            break;
        JNode *k = parse_expression(p, true);
        if (!k || !nv_push(p, &keys, k))
            return NULL;
        if (dict) {
            if (!expect_op(p, ":"))
                return NULL;
            JNode *v = parse_expression(p, true);
            if (!v || !nv_push(p, &vals, v))
                return NULL;
        }
    }
    adv(p);
    JNode *x = node(p, dict ? JN_DICT : JN_LIST);
    if (!x)
        return NULL;
    x->kids = keys.v;
    x->nkids = keys.n;
    x->kids2 = vals.v;
    x->nkids2 = vals.n;
    return x;
}

static JNode *parse_primary(Ps *p)
{
    const JTok *t = cur(p);
    char b[64];
    switch (t->type) {
    case JTK_NAME:
        adv(p);
        if (tok_is(t, JTK_NAME, "true") || tok_is(t, JTK_NAME, "True"))
            return konst(p, jv_bool(true));
        if (tok_is(t, JTK_NAME, "false") || tok_is(t, JTK_NAME, "False"))
            return konst(p, jv_bool(false));
        if (tok_is(t, JTK_NAME, "none") || tok_is(t, JTK_NAME, "None"))
            return konst(p, jv_none());
        {
            JNode *x = node(p, JN_NAME);
            if (x)
                x->name = tok_name(t);
            return x;
        }
    case JTK_STRING: {
        adv(p);
        if (cur(p)->type != JTK_STRING)
            return konst(p, t->val);
        /* adjacent literals concatenate */
        size_t total = t->val.u.s.n;
        size_t k = p->i;
        while (k < p->n && p->t[k].type == JTK_STRING)
            total += p->t[k++].val.u.s.n;
        char *s = ja_alloc(p->a, total + 1);
        if (!s)
            return fail(p, "the template is too large");
        memcpy(s, t->val.u.s.p, t->val.u.s.n);
        size_t o = t->val.u.s.n;
        while (cur(p)->type == JTK_STRING) {
            memcpy(s + o, cur(p)->val.u.s.p, cur(p)->val.u.s.n);
            o += cur(p)->val.u.s.n;
            adv(p);
        }
        return konst(p, jv_str(s, o, NULL));
    }
    case JTK_INT:
    case JTK_FLOAT:
        adv(p);
        return konst(p, t->val);
    case JTK_OP:
        if (tok_is(t, JTK_OP, "(")) {
            adv(p);
            JNode *x = parse_tuple(p, true, NULL, true);
            if (!x || !expect_op(p, ")"))
                return NULL;
            return x;
        }
        if (tok_is(t, JTK_OP, "[")) {
            adv(p);
            return parse_list_or_dict(p, false);
        }
        if (tok_is(t, JTK_OP, "{")) {
            adv(p);
            return parse_list_or_dict(p, true);
        }
        /* fall through */
    default:
        return fail(p, "unexpected %s", tok_desc(t, b, sizeof b));
    }
}

/* (args, kw=args) after the '(' was seen; fills the node's kids / names / kids2. */
static bool parse_call_args(Ps *p, JNode *x)
{
    NVec args = { 0 }, kwv = { 0 };
    NameVec kwn = { 0 };
    if (!expect_op(p, "("))
        return false;
    while (!is_op(p, ")")) {
        if (args.n + kwv.n && !expect_op(p, ","))
            return false;
        if (is_op(p, ")"))
            break;
        if (is_op(p, "*") || is_op(p, "**")) {
            fail(p, "*args and **kwargs in calls are not supported");
            return false;
        }
        if (cur(p)->type == JTK_NAME && tok_is(peek(p, 1), JTK_OP, "=")) {
            if (!names_push(p, &kwn, tok_name(cur(p))))
                return false;
            adv(p);
            adv(p);
            JNode *v = parse_expression(p, true);
            if (!v || !nv_push(p, &kwv, v))
                return false;
        } else {
            if (kwv.n) {
                fail(p, "a positional argument follows a keyword argument");
                return false;
            }
            JNode *v = parse_expression(p, true);
            if (!v || !nv_push(p, &args, v))
                return false;
        }
    }
    adv(p);
    x->kids = args.v;
    x->nkids = args.n;
    x->kids2 = kwv.v;
    x->nkids2 = kwv.n;
    x->names = kwn.v;
    x->nnames = kwn.n;
    return true;
}

/* x(...): a call node on x with its arguments parsed; NULL on an error. */
static JNode *parse_call(Ps *p, JNode *x)
{
    JNode *c = node(p, JN_CALL);
    if (!c)
        return NULL;
    c->a = x;
    return parse_call_args(p, c) ? c : NULL;
}

static JNode *parse_subscribed(Ps *p)
{
    JNode *parts[3] = { NULL, NULL, NULL };
    if (!is_op(p, ":")) {
        JNode *x = parse_expression(p, true);
        if (!x)
            return NULL;
        if (!is_op(p, ":"))
            return x;
        parts[0] = x;
    }
    adv(p); /* ':' */
    if (!is_op(p, "]") && !is_op(p, ",") && !is_op(p, ":")) {
        if (!(parts[1] = parse_expression(p, true)))
            return NULL;
    }
    if (is_op(p, ":")) {
        adv(p);
        if (!is_op(p, "]") && !is_op(p, ",")) {
            if (!(parts[2] = parse_expression(p, true)))
                return NULL;
        }
    }
    JNode *s = node(p, JN_SLICE);
    if (!s)
        return NULL;
    s->kids = ja_alloc(p->a, 3 * sizeof *s->kids);
    if (!s->kids)
        return fail(p, "the template is too large");
    memcpy(s->kids, parts, sizeof parts);
    s->nkids = 3;
    return s;
}

static JNode *parse_postfix(Ps *p, JNode *x)
{
    while (x) {
        if (is_op(p, ".")) {
            adv(p);
            const JTok *t = cur(p);
            if (t->type == JTK_NAME) {
                JNode *a = node(p, JN_ATTR);
                if (!a)
                    return NULL;
                a->a = x;
                a->name = tok_name(t);
                adv(p);
                x = a;
            } else if (t->type == JTK_INT) {
                JNode *it = node(p, JN_ITEM);
                if (!it || !(it->b = konst(p, t->val)))
                    return NULL;
                it->a = x;
                adv(p);
                x = it;
            } else {
                char b[64];
                return fail(p, "expected a name after '.', found %s", tok_desc(t, b, sizeof b));
            }
        } else if (is_op(p, "[")) {
            adv(p);
            NVec idx = { 0 };
            while (!is_op(p, "]")) {
                if (idx.n && !expect_op(p, ","))
                    return NULL;
                if (is_op(p, "]"))
                    break;
                JNode *s = parse_subscribed(p);
                if (!s || !nv_push(p, &idx, s))
                    return NULL;
            }
            adv(p);
            if (idx.n == 0)
                return fail(p, "empty subscript []");
            JNode *key = idx.v[0];
            for (size_t k = 0; idx.n > 1 && k < idx.n; k++)
                if (idx.v[k]->kind == JN_SLICE)
                    return fail(p, "a slice inside a tuple subscript ([a:b, c]) is not supported");
            if (idx.n > 1) {
                key = node(p, JN_TUPLE);
                if (!key)
                    return NULL;
                key->kids = idx.v;
                key->nkids = idx.n;
            }
            if (key->kind == JN_SLICE) {
                key->a = x;
                x = key;
            } else {
                JNode *it = node(p, JN_ITEM);
                if (!it)
                    return NULL;
                it->a = x;
                it->b = key;
                x = it;
            }
        } else if (is_op(p, "(")) {
            if (!(x = parse_call(p, x)))
                return NULL;
        } else {
            break;
        }
    }
    return x;
}

static JNode *parse_filter(Ps *p, JNode *x)
{
    /* cur is the filter's name */
    const JTok *t = cur(p);
    if (t->type != JTK_NAME) {
        char b[64];
        return fail(p, "expected a filter name, found %s", tok_desc(t, b, sizeof b));
    }
    JNode *f = node(p, JN_FILTER);
    if (!f)
        return NULL;
    f->a = x;
    f->name = tok_name(t);
    f->filter = jinja_find_filter(t->p, t->n);
    if (!f->filter)
        return fail(p, "unknown filter '%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
    adv(p);
    if (is_op(p, "(") && !parse_call_args(p, f))
        return NULL;
    return f;
}

static JNode *parse_test(Ps *p, JNode *x)
{
    JNode *t = node(p, JN_TEST);
    if (!t)
        return NULL;
    t->a = x;
    if (is_name(p, "not")) {
        t->op = 1;
        adv(p);
    }
    const JTok *n = cur(p);
    if (n->type != JTK_NAME) {
        char b[64];
        return fail(p, "expected a test name after 'is', found %s", tok_desc(n, b, sizeof b));
    }
    t->name = tok_name(n);
    t->test = jinja_find_test(n->p, n->n);
    if (!t->test)
        return fail(p, "unknown test '%.*s'", (int)(n->n > 40 ? 40 : n->n), n->p);
    adv(p);
    const JTok *c = cur(p);
    if (is_op(p, "(")) {
        if (!parse_call_args(p, t))
            return NULL;
    } else if ((c->type == JTK_NAME || c->type == JTK_STRING || c->type == JTK_INT || c->type == JTK_FLOAT ||
                tok_is(c, JTK_OP, "[") || tok_is(c, JTK_OP, "{")) &&
               !tok_is(c, JTK_NAME, "else") && !tok_is(c, JTK_NAME, "or") && !tok_is(c, JTK_NAME, "and") &&
               !tok_is(c, JTK_NAME, "is") && !tok_is(c, JTK_NAME, "if") && !tok_is(c, JTK_NAME, "in") &&
               !tok_is(c, JTK_NAME, "not")) {
        /* "x is divisibleby 3", "x is sameas false": one argument without parentheses */
        JNode *arg = parse_postfix(p, parse_primary(p));
        if (!arg)
            return NULL;
        t->kids = ja_alloc(p->a, sizeof *t->kids);
        if (!t->kids)
            return fail(p, "the template is too large");
        t->kids[0] = arg;
        t->nkids = 1;
    }
    return t;
}

static JNode *parse_filter_expr(Ps *p, JNode *x)
{
    while (x) {
        if (is_op(p, "|")) {
            adv(p);
            x = parse_filter(p, x);
        } else if (is_name(p, "is")) {
            adv(p);
            x = parse_test(p, x);
        } else if (is_op(p, "(")) {
            if (!(x = parse_call(p, x)))
                return NULL;
        } else {
            break;
        }
    }
    return x;
}

/* ---- statements -------------------------------------------------------------------- */

static bool parse_body(Ps *p, NVec *body, const char *const *ends);

/* The statements up to one of ends, as x's kids (the end tag is left for
 * the caller); false on a parse error. */
static bool parse_kids(Ps *p, JNode *x, const char *const *ends)
{
    NVec body = { 0 };
    if (!parse_body(p, &body, ends))
        return false;
    x->kids = body.v;
    x->nkids = body.n;
    return true;
}

static JNode *body_node(Ps *p, NVec *v)
{
    JNode *b = node(p, JN_BODY);
    if (b) {
        b->kids = v->v;
        b->nkids = v->n;
    }
    return b;
}

static JNode *parse_if(Ps *p)
{
    JNode *x = node(p, JN_IF);
    if (!x || !(x->a = parse_tuple(p, true, NULL, false)) || !expect_block_end(p))
        return NULL;
    static const char *const ends[] = { "elif", "else", "endif", NULL };
    if (!parse_kids(p, x, ends))
        return NULL;
    if (is_name(p, "elif")) {
        adv(p);
        if (!(x->b = parse_if(p)))
            return NULL;
        return x; /* the nested if consumed the endif */
    }
    if (is_name(p, "else")) {
        adv(p);
        if (!expect_block_end(p))
            return NULL;
        static const char *const ends2[] = { "endif", NULL };
        NVec els = { 0 };
        if (!parse_body(p, &els, ends2))
            return NULL;
        if (!(x->b = body_node(p, &els)))
            return NULL;
    }
    adv(p); /* endif */
    return expect_block_end(p) ? x : NULL;
}

/* for/set targets: "a" or "a, b" or "(a, b)". */
static bool parse_targets(Ps *p, NameVec *names)
{
    bool paren = is_op(p, "(");
    if (paren)
        adv(p);
    for (;;) {
        if (cur(p)->type != JTK_NAME) {
            char b[64];
            fail(p, "expected a variable name, found %s", tok_desc(cur(p), b, sizeof b));
            return false;
        }
        if (!names_push(p, names, tok_name(cur(p))))
            return false;
        adv(p);
        if (!is_op(p, ","))
            break;
        adv(p);
    }
    return !paren || expect_op(p, ")");
}

static JNode *parse_for(Ps *p)
{
    JNode *x = node(p, JN_FOR);
    NameVec names = { 0 };
    if (!x || !parse_targets(p, &names))
        return NULL;
    x->names = names.v;
    x->nnames = names.n;
    if (!is_name(p, "in")) {
        char b[64];
        return fail(p, "expected 'in' in a for loop, found %s", tok_desc(cur(p), b, sizeof b));
    }
    adv(p);
    if (!(x->a = parse_tuple(p, false, "recursive", false)))
        return NULL;
    if (is_name(p, "if")) {
        adv(p);
        if (!(x->b = parse_expression(p, true)))
            return NULL;
    }
    if (is_name(p, "recursive"))
        return fail(p, "recursive for loops are not supported");
    if (!expect_block_end(p))
        return NULL;
    static const char *const ends[] = { "else", "endfor", NULL };
    if (!parse_kids(p, x, ends))
        return NULL;
    if (is_name(p, "else")) {
        adv(p);
        if (!expect_block_end(p))
            return NULL;
        static const char *const ends2[] = { "endfor", NULL };
        NVec els = { 0 };
        if (!parse_body(p, &els, ends2))
            return NULL;
        x->kids2 = els.v;
        x->nkids2 = els.n;
    }
    adv(p);
    return expect_block_end(p) ? x : NULL;
}

static JNode *parse_set(Ps *p)
{
    int line = cur(p)->line;
    if (cur(p)->type == JTK_NAME && tok_is(peek(p, 1), JTK_OP, ".")) { /* ns.attr = value */
        JNode *x = node(p, JN_SET);
        if (!x)
            return NULL;
        x->name = tok_name(cur(p));
        adv(p);
        adv(p);
        if (cur(p)->type != JTK_NAME)
            return fail(p, "expected an attribute name after '.'");
        JName *attr = ja_alloc(p->a, sizeof *attr);
        if (!attr)
            return fail(p, "the template is too large");
        *attr = tok_name(cur(p));
        x->names = attr;
        x->nnames = 1;
        x->op = 1; /* attribute assignment */
        adv(p);
        if (!expect_op(p, "=") || !(x->a = parse_tuple(p, true, NULL, false)) || !expect_block_end(p))
            return NULL;
        return x;
    }
    NameVec names = { 0 };
    if (!parse_targets(p, &names))
        return NULL;
    if (is_op(p, "=")) {
        adv(p);
        JNode *x = node(p, JN_SET);
        if (!x)
            return NULL;
        x->line = line;
        x->names = names.v;
        x->nnames = names.n;
        if (!(x->a = parse_tuple(p, true, NULL, false)) || !expect_block_end(p))
            return NULL;
        return x;
    }
    if (names.n != 1)
        return fail(p, "a {%% set %%} block assigns one name");
    JNode *x = node(p, JN_SETBLOCK);
    if (!x)
        return NULL;
    x->line = line;
    x->name = names.v[0];
    JNode *chain = NULL; /* filters applied to the captured text: the operand is filled in at run time */
    while (is_op(p, "|")) {
        adv(p);
        if (!(chain = parse_filter(p, chain)))
            return NULL;
    }
    x->a = chain;
    if (!expect_block_end(p))
        return NULL;
    static const char *const ends[] = { "endset", NULL };
    if (!parse_kids(p, x, ends))
        return NULL;
    adv(p);
    return expect_block_end(p) ? x : NULL;
}

static JNode *parse_macro(Ps *p)
{
    JNode *x = node(p, JN_MACRO);
    if (!x)
        return NULL;
    if (cur(p)->type != JTK_NAME)
        return fail(p, "expected a macro name");
    x->name = tok_name(cur(p));
    adv(p);
    NameVec params = { 0 };
    NVec defaults = { 0 };
    if (!expect_op(p, "("))
        return NULL;
    while (!is_op(p, ")")) {
        if (params.n && !expect_op(p, ","))
            return NULL;
        if (cur(p)->type != JTK_NAME)
            return fail(p, "expected a parameter name");
        if (!names_push(p, &params, tok_name(cur(p))))
            return NULL;
        adv(p);
        JNode *d = NULL;
        if (is_op(p, "=")) {
            adv(p);
            if (!(d = parse_expression(p, true)))
                return NULL;
        } else if (defaults.n && defaults.v[defaults.n - 1]) {
            return fail(p, "a macro parameter without a default follows one with a default");
        }
        if (!nv_push(p, &defaults, d))
            return NULL;
    }
    adv(p);
    if (!expect_block_end(p))
        return NULL;
    x->names = params.v;
    x->nnames = params.n;
    x->kids2 = defaults.v;
    x->nkids2 = defaults.n;
    static const char *const ends[] = { "endmacro", NULL };
    if (!parse_kids(p, x, ends))
        return NULL;
    adv(p);
    if (cur(p)->type == JTK_NAME) /* {% endmacro name %} */
        adv(p);
    return expect_block_end(p) ? x : NULL;
}

static JNode *parse_simple_body(Ps *p, JNodeKind kind, const char *end)
{
    JNode *x = node(p, kind);
    if (!x || !expect_block_end(p))
        return NULL;
    const char *ends[] = { end, NULL };
    if (!parse_kids(p, x, ends))
        return NULL;
    adv(p);
    return expect_block_end(p) ? x : NULL;
}

static JNode *parse_filter_block(Ps *p)
{
    JNode *chain = NULL;
    if (!(chain = parse_filter(p, NULL)))
        return NULL;
    while (is_op(p, "|")) {
        adv(p);
        if (!(chain = parse_filter(p, chain)))
            return NULL;
    }
    JNode *x = parse_simple_body(p, JN_FILTERBLOCK, "endfilter");
    if (x)
        x->a = chain;
    return x;
}

static JNode *parse_with(Ps *p)
{
    NameVec names = { 0 };
    NVec vals = { 0 };
    while (cur(p)->type != JTK_BLOCK_END) {
        if (names.n && !expect_op(p, ","))
            return NULL;
        if (cur(p)->type != JTK_NAME)
            return fail(p, "expected a name in {%% with %%}");
        if (!names_push(p, &names, tok_name(cur(p))))
            return NULL;
        adv(p);
        JNode *v;
        if (!expect_op(p, "=") || !(v = parse_expression(p, true)) || !nv_push(p, &vals, v))
            return NULL;
    }
    JNode *x = parse_simple_body(p, JN_WITH, "endwith");
    if (x) {
        x->names = names.v;
        x->nnames = names.n;
        x->kids2 = vals.v;
        x->nkids2 = vals.n;
    }
    return x;
}

static JNode *parse_statement(Ps *p)
{
    const JTok *t = cur(p);
    if (t->type != JTK_NAME) {
        char b[64];
        return fail(p, "expected a tag name after '{%%', found %s", tok_desc(t, b, sizeof b));
    }
    if (!enter(p))
        return NULL;
    JNode *x = NULL;
    adv(p);
    if (tok_is(t, JTK_NAME, "if")) {
        x = parse_if(p);
    } else if (tok_is(t, JTK_NAME, "for")) {
        x = parse_for(p);
    } else if (tok_is(t, JTK_NAME, "set")) {
        x = parse_set(p);
    } else if (tok_is(t, JTK_NAME, "macro")) {
        x = parse_macro(p);
    } else if (tok_is(t, JTK_NAME, "break") || tok_is(t, JTK_NAME, "continue")) {
        x = node(p, tok_is(t, JTK_NAME, "break") ? JN_BREAK : JN_CONTINUE);
        if (x && !expect_block_end(p))
            x = NULL;
    } else if (tok_is(t, JTK_NAME, "filter")) {
        x = parse_filter_block(p);
    } else if (tok_is(t, JTK_NAME, "generation")) {
        x = parse_simple_body(p, JN_BODY, "endgeneration");
    } else if (tok_is(t, JTK_NAME, "with")) {
        x = parse_with(p);
    } else {
        static const char *const unsupported[] = { "include", "import", "from", "extends", "block", "call",
                                                   "do", "autoescape", "trans", NULL };
        for (const char *const *u = unsupported; *u; u++)
            if (tok_is(t, JTK_NAME, *u))
                return fail(p, "{%% %s %%} is not supported", *u);
        return fail(p, "unknown tag '%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
    }
    p->depth--;
    return x;
}

/* Statements until a {% tag %} named in ends (left as the current token,
 * after its '{%'), or the end of the template when ends is NULL. */
static bool parse_body(Ps *p, NVec *body, const char *const *ends)
{
    for (;;) {
        const JTok *t = cur(p);
        if (t->type == JTK_EOF) {
            if (!ends)
                return true;
            fail(p, "the template ends inside a block: expected {%% %s %%}", ends[0]);
            return false;
        }
        if (t->type == JTK_TEXT) {
            JNode *x = node(p, JN_TEXT);
            if (!x)
                return false;
            x->val = jv_str(t->p, t->n, NULL);
            adv(p);
            if (!nv_push(p, body, x))
                return false;
        } else if (t->type == JTK_VAR_BEGIN) {
            adv(p);
            JNode *x = node(p, JN_EMIT);
            if (!x || !(x->a = parse_tuple(p, true, NULL, false)))
                return false;
            if (cur(p)->type != JTK_VAR_END) {
                char b[64];
                fail(p, "expected '}}', found %s", tok_desc(cur(p), b, sizeof b));
                return false;
            }
            adv(p);
            if (!nv_push(p, body, x))
                return false;
        } else if (t->type == JTK_BLOCK_BEGIN) {
            adv(p);
            for (const char *const *e = ends; e && *e; e++)
                if (is_name(p, *e))
                    return true;
            if (cur(p)->type == JTK_NAME && cur(p)->n > 3 && memcmp(cur(p)->p, "end", 3) == 0) {
                fail(p, "unexpected {%% %.*s %%}", (int)(cur(p)->n > 40 ? 40 : cur(p)->n), cur(p)->p);
                return false;
            }
            if (is_name(p, "elif") || is_name(p, "else")) {
                fail(p, "unexpected {%% %.*s %%}", (int)cur(p)->n, cur(p)->p);
                return false;
            }
            JNode *x = parse_statement(p);
            if (!x || !nv_push(p, body, x))
                return false;
        } else {
            char b[64];
            fail(p, "unexpected %s", tok_desc(t, b, sizeof b));
            return false;
        }
    }
}

int jinja_parse_tokens(JArena *a, const JTok *toks, size_t ntoks, JNode **root, char *err, size_t errlen)
{
    Ps p = { .a = a, .t = toks, .n = ntoks, .err = err, .errlen = errlen };
    NVec body = { 0 };
    if (!parse_body(&p, &body, NULL))
        return -1;
    *root = body_node(&p, &body);
    return *root ? 0 : -1;
}

/* ---- entry points -------------------------------------------------------------------- */

JinjaTemplate *jinja_parse(const char *src, size_t len, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof dummy;
    }
    if (!src)
        len = 0;
    if (len > ((size_t)16 << 20)) {
        snprintf(err, errlen, "the template is larger than 16 MiB");
        return NULL;
    }
    JinjaTemplate *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->arena.limit = 64 * len + ((size_t)1 << 20);
    /* Jinja2 turns \r\n and \r into \n and drops one final newline */
    char *s = ja_alloc(&t->arena, len + 1);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        jinja_free(t);
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (src[i] == '\r') {
            s[n++] = '\n';
            if (i + 1 < len && src[i + 1] == '\n')
                i++;
        } else {
            s[n++] = src[i];
        }
    }
    if (n && s[n - 1] == '\n')
        n--;
    s[n] = '\0';
    t->src = s;
    t->src_len = n;
    JTok *toks;
    size_t ntoks;
    if (jinja_lex(&t->arena, s, n, &toks, &ntoks, err, errlen) < 0 ||
        jinja_parse_tokens(&t->arena, toks, ntoks, &t->root, err, errlen) < 0) {
        jinja_free(t);
        return NULL;
    }
    return t;
}

void jinja_free(JinjaTemplate *t)
{
    if (!t)
        return;
    ja_free_all(&t->arena);
    free(t);
}

bool jinja_uses_name(const JinjaTemplate *t, const char *name)
{
    size_t k = strlen(name);
    if (!t || !k)
        return false;
    for (const char *p = t->src; (p = memmem(p, t->src_len - (size_t)(p - t->src), name, k)) != NULL; p++) {
        bool left = p == t->src || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
                                     (p[-1] >= '0' && p[-1] <= '9'));
        char r = p[k];
        bool right = !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'));
        if (left && right)
            return true;
    }
    return false;
}
