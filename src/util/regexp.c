/* regexp.c — a bounded POSIX ERE engine (see regexp.h): a recursive-descent
 * parser with a depth limit builds a small tree, the tree is compiled to a
 * Thompson automaton (byte sets, splits, jumps, assertions) with {m,n}
 * expanded under a size limit, and a search runs every live state in step
 * over the text (Pike's simulation, without captures). */
#include "util/regexp.h"
#include "util/grow.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct ByteSet {
    uint8_t bits[32];
} ByteSet;

typedef enum Assert { AS_BOL, AS_EOL, AS_WORDB, AS_NWORDB, AS_WBEG, AS_WEND } Assert;

typedef enum NodeKind { N_EMPTY, N_SET, N_ASSERT, N_CAT, N_ALT, N_REP } NodeKind;

typedef struct Node {
    NodeKind kind;
    int set;           /* N_SET: index into sets */
    Assert as;         /* N_ASSERT */
    int a, b;          /* N_CAT, N_ALT: children; N_REP: a */
    int min, max;      /* N_REP: max < 0 for no upper bound */
} Node;

typedef enum Op { OP_SET, OP_SPLIT, OP_JMP, OP_ASSERT, OP_MATCH } Op;

typedef struct Inst {
    Op op;
    int x, y;          /* OP_SET: set; OP_SPLIT: both targets; OP_JMP: x; OP_ASSERT: x = Assert */
} Inst;

struct Regexp {
    Inst *prog;
    size_t n;
    ByteSet *sets;
    size_t n_sets;
    ByteSet first;     /* bytes a match can start with */
    bool skip;         /* first is exact enough to skip ahead (no empty match at the start) */
};

typedef struct Parser {
    const char *start, *p;
    int flags;
    Node *nodes;
    size_t n_nodes, cap_nodes;
    ByteSet *sets;
    size_t n_sets, cap_sets;
    char *err;
    size_t errlen;
    bool failed;
} Parser;

/* ---- byte sets --------------------------------------------------------------- */

static void set_add(ByteSet *s, unsigned c) { s->bits[c >> 3] |= (uint8_t)(1u << (c & 7)); }
static bool set_has(const ByteSet *s, unsigned c) { return s->bits[c >> 3] >> (c & 7) & 1; }

static bool is_word(unsigned c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The POSIX classes, C locale (ASCII). */
static bool class_has(const char *name, size_t len, unsigned c, bool *known)
{
    static const char *const names[] = { "alpha", "digit", "alnum", "upper", "lower", "space",
                                         "blank", "punct", "print", "graph", "cntrl", "xdigit" };
    bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'), digit = c >= '0' && c <= '9';
    bool graph = c > 0x20 && c < 0x7f;
    bool v[] = { alpha, digit, alpha || digit, c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z',
                 c == ' ' || (c >= '\t' && c <= '\r'), c == ' ' || c == '\t', graph && !alpha && !digit,
                 graph || c == ' ', graph, c < 0x20 || c == 0x7f,
                 digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0) {
            *known = true;
            return v[i];
        }
    *known = false;
    return false;
}

/* ---- parsing ---------------------------------------------------------------- */

static int fail(Parser *P, const char *what)
{
    if (!P->failed)
        snprintf(P->err, P->errlen, "%s at byte %zu", what, (size_t)(P->p - P->start));
    P->failed = true;
    return -1;
}

static int node(Parser *P, NodeKind kind)
{
    if (P->failed)
        return -1;
    Node *v = grow_array(P->nodes, &P->cap_nodes, P->n_nodes, sizeof *v, 32);
    if (!v)
        return fail(P, "out of memory");
    P->nodes = v;
    Node *n = &P->nodes[P->n_nodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->a = n->b = -1;
    return (int)P->n_nodes++;
}

static int new_set(Parser *P)
{
    ByteSet *vs = grow_array(P->sets, &P->cap_sets, P->n_sets, sizeof *vs, 16);
    if (!vs)
        return fail(P, "out of memory");
    P->sets = vs;
    memset(&P->sets[P->n_sets], 0, sizeof *P->sets);
    return (int)P->n_sets++;
}

/* A set node; *s points at its bits (valid until the next new_set). */
static int set_node(Parser *P, ByteSet **s)
{
    int si = new_set(P);
    int n = si < 0 ? -1 : node(P, N_SET);
    if (n < 0)
        return -1;
    P->nodes[n].set = si;
    *s = &P->sets[si];
    return n;
}

static int binary(Parser *P, NodeKind kind, int a, int b)
{
    int n = node(P, kind);
    if (n >= 0) {
        P->nodes[n].a = a;
        P->nodes[n].b = b;
    }
    return n;
}

static int parse_alt(Parser *P, int depth);

/* "[...]" with P->p after the '['. */
static int parse_bracket(Parser *P)
{
    ByteSet *s;
    int n = set_node(P, &s);
    if (n < 0)
        return -1;
    bool neg = false;
    if (*P->p == '^') {
        neg = true;
        P->p++;
    }
    bool first = true;
    for (;;) {
        unsigned c = (unsigned char)*P->p;
        if (!c)
            return fail(P, "unmatched [");
        if (c == ']' && !first) {
            P->p++;
            break;
        }
        first = false;
        if (c == '[' && (P->p[1] == '.' || P->p[1] == '='))
            return fail(P, "collating elements ([. .] and [= =]) are not supported");
        if (c == '[' && P->p[1] == ':') {
            const char *name = P->p + 2, *end = strstr(name, ":]");
            if (!end)
                return fail(P, "unmatched [:");
            bool known = false;
            for (unsigned b = 0; b < 256; b++)
                if (class_has(name, (size_t)(end - name), b, &known))
                    set_add(&P->sets[P->nodes[n].set], b);
            class_has(name, (size_t)(end - name), 'a', &known);
            if (!known)
                return fail(P, "unknown character class");
            P->p = end + 2;
            continue;
        }
        P->p++;
        unsigned hi = c;
        if (*P->p == '-' && P->p[1] && P->p[1] != ']') {
            hi = (unsigned char)P->p[1];
            if (hi == '[' && (P->p[2] == '.' || P->p[2] == '=' || P->p[2] == ':'))
                return fail(P, "a range may not end in a class or collating element");
            if (hi < c)
                return fail(P, "invalid range (its end is before its start)");
            P->p += 2;
            if (*P->p == '-' && P->p[1] && P->p[1] != ']')
                return fail(P, "invalid range (a range can not start where another ends)");
        }
        for (unsigned b = c; b <= hi; b++)
            set_add(&P->sets[P->nodes[n].set], b);
    }
    s = &P->sets[P->nodes[n].set];
    if (P->flags & REGEXP_ICASE)
        for (unsigned b = 'a'; b <= 'z'; b++)
            if (set_has(s, b) || set_has(s, b - 32)) {
                set_add(s, b);
                set_add(s, b - 32);
            }
    if (neg)
        for (int i = 0; i < 32; i++)
            s->bits[i] = (uint8_t)~s->bits[i];
    return n;
}

static int assert_node(Parser *P, Assert as)
{
    int n = node(P, N_ASSERT);
    if (n >= 0)
        P->nodes[n].as = as;
    return n;
}

static int literal(Parser *P, unsigned c)
{
    ByteSet *s;
    int n = set_node(P, &s);
    if (n < 0)
        return -1;
    set_add(s, c);
    if ((P->flags & REGEXP_ICASE) && ((c | 32) >= 'a' && (c | 32) <= 'z')) {
        set_add(s, c | 32);
        set_add(s, c & ~32u);
    }
    return n;
}

/* One atom; *quantifiable is false for assertions. */
static int parse_atom(Parser *P, int depth, bool *quantifiable)
{
    *quantifiable = true;
    unsigned c = (unsigned char)*P->p;
    if (c == '*' || c == '+' || c == '?' || c == '{')
        return fail(P, "a repetition with nothing before it to repeat");
    P->p++;
    if (c == '(') {
        if (depth + 1 > REGEXP_MAX_DEPTH)
            return fail(P, "groups nested more than 32 deep (simplify the pattern)");
        int inner = parse_alt(P, depth + 1);
        if (inner < 0)
            return -1;
        if (*P->p != ')')
            return fail(P, "unmatched (");
        P->p++;
        return inner;
    }
    if (c == '[')
        return parse_bracket(P);
    if (c == '.') {
        ByteSet *s;
        int n = set_node(P, &s);
        if (n >= 0)
            memset(s->bits, 0xff, sizeof s->bits);
        return n;
    }
    if (c == '^' || c == '$') {
        *quantifiable = false;
        return assert_node(P, c == '^' ? AS_BOL : AS_EOL);
    }
    if (c == '\\') {
        unsigned e = (unsigned char)*P->p;
        if (!e)
            return fail(P, "a trailing backslash");
        P->p++;
        if (e >= '1' && e <= '9')
            return fail(P, "back-references (\\1..\\9) are not supported: they make matching exponential");
        static const struct { char c; Assert as; } asserts[] = {
            { 'b', AS_WORDB }, { 'B', AS_NWORDB }, { '<', AS_WBEG }, { '>', AS_WEND }, { '`', AS_BOL }, { '\'', AS_EOL },
        };
        for (size_t i = 0; i < sizeof asserts / sizeof *asserts; i++)
            if ((char)e == asserts[i].c) {
                *quantifiable = false;
                return assert_node(P, asserts[i].as);
            }
        if (e == 'w' || e == 'W' || e == 's' || e == 'S') {
            ByteSet *s;
            int n = set_node(P, &s);
            if (n < 0)
                return -1;
            for (unsigned b = 0; b < 256; b++) {
                bool in = e == 'w' || e == 'W' ? is_word(b) : (b == ' ' || (b >= '\t' && b <= '\r'));
                if (in == (e == 'w' || e == 's'))
                    set_add(s, b);
            }
            return n;
        }
        return literal(P, e);
    }
    return literal(P, c);
}

/* "{m}", "{m,}", "{m,n}" or "{,n}" with P->p after the '{'. */
static int parse_bound(Parser *P, int *min, int *max)
{
    long lo = 0, hi = -1;
    bool have_lo = false;
    while (*P->p >= '0' && *P->p <= '9') {
        lo = lo * 10 + (*P->p++ - '0');
        have_lo = true;
        if (lo > REGEXP_MAX_PROGRAM)
            return fail(P, "a repetition count larger than the pattern size limit");
    }
    if (*P->p == ',') {
        P->p++;
        if (*P->p >= '0' && *P->p <= '9') {
            hi = 0;
            while (*P->p >= '0' && *P->p <= '9') {
                hi = hi * 10 + (*P->p++ - '0');
                if (hi > REGEXP_MAX_PROGRAM)
                    return fail(P, "a repetition count larger than the pattern size limit");
            }
        }
    } else {
        if (!have_lo)
            return fail(P, "invalid {m,n} bound");
        hi = lo;
    }
    if (!*P->p)
        return fail(P, "unmatched {");
    if (*P->p != '}' || (hi >= 0 && hi < lo))
        return fail(P, "invalid {m,n} bound");
    P->p++;
    *min = (int)lo;
    *max = (int)hi;
    return 0;
}

static int parse_repeat(Parser *P, int depth)
{
    bool quantifiable;
    int n = parse_atom(P, depth, &quantifiable);
    int stacked = 0;
    while (n >= 0) {
        char c = *P->p;
        if (c != '*' && c != '+' && c != '?' && c != '{')
            break;
        if (!quantifiable)
            return fail(P, "a repetition of an anchor or word boundary");
        if (depth + ++stacked > REGEXP_MAX_DEPTH)
            return fail(P, "repetitions nested more than 32 deep (simplify the pattern)");
        P->p++;
        int min = c == '+' ? 1 : 0, max = c == '?' ? 1 : -1;
        if (c == '{' && parse_bound(P, &min, &max) < 0)
            return -1;
        int r = node(P, N_REP);
        if (r < 0)
            return -1;
        P->nodes[r].a = n;
        P->nodes[r].min = min;
        P->nodes[r].max = max;
        n = r;
    }
    return n;
}

static int parse_cat(Parser *P, int depth)
{
    int n = -1;
    while (*P->p && *P->p != '|' && !(*P->p == ')' && depth > 0)) {
        int r = parse_repeat(P, depth);
        if (r < 0)
            return -1;
        n = n < 0 ? r : binary(P, N_CAT, n, r);
        if (n < 0)
            return -1;
    }
    return n >= 0 ? n : node(P, N_EMPTY);
}

static int parse_alt(Parser *P, int depth)
{
    int n = parse_cat(P, depth);
    while (n >= 0 && *P->p == '|') {
        P->p++;
        int r = parse_cat(P, depth);
        n = r < 0 ? -1 : binary(P, N_ALT, n, r);
    }
    return n;
}

/* ---- compiling ------------------------------------------------------------- */

typedef struct Compiler {
    const Parser *P;
    Inst *prog;
    size_t n;
    bool too_big;
} Compiler;

/* Instructions node i needs (saturating at the limit + 1). */
static size_t size_of(const Parser *P, int i)
{
    const Node *n = &P->nodes[i];
    size_t lim = REGEXP_MAX_PROGRAM + 1, s;
    switch (n->kind) {
    case N_EMPTY: return 0;
    case N_SET: case N_ASSERT: return 1;
    case N_CAT: s = size_of(P, n->a) + size_of(P, n->b); break;
    case N_ALT: s = size_of(P, n->a) + size_of(P, n->b) + 2; break;
    default: {
        size_t e = size_of(P, n->a), copies = (size_t)(n->max < 0 ? n->min + 1 : n->max);
        s = e >= lim || copies > lim ? lim : (e + 2) * copies + 2;
        break;
    }
    }
    return s > lim ? lim : s;
}

static int emit(Compiler *C, Op op, int x, int y)
{
    if (C->n >= REGEXP_MAX_PROGRAM) {
        C->too_big = true;
        return -1;
    }
    C->prog[C->n] = (Inst){ op, x, y };
    return (int)C->n++;
}

static void compile(Compiler *C, int i)
{
    const Node *n = &C->P->nodes[i];
    if (C->too_big)
        return;
    switch (n->kind) {
    case N_EMPTY:
        return;
    case N_SET:
        emit(C, OP_SET, n->set, 0);
        return;
    case N_ASSERT:
        emit(C, OP_ASSERT, (int)n->as, 0);
        return;
    case N_CAT:
        compile(C, n->a);
        compile(C, n->b);
        return;
    case N_ALT: {
        int split = emit(C, OP_SPLIT, 0, 0);
        compile(C, n->a);
        int jmp = emit(C, OP_JMP, 0, 0);
        if (C->too_big)
            return;
        C->prog[split].x = split + 1;
        C->prog[split].y = (int)C->n;
        compile(C, n->b);
        C->prog[jmp].x = (int)C->n;
        return;
    }
    case N_REP: {
        for (int k = 0; k < n->min && !C->too_big; k++)
            compile(C, n->a);
        if (n->max < 0) { /* e* : L: split body, out; body; jmp L */
            int split = emit(C, OP_SPLIT, 0, 0);
            compile(C, n->a);
            emit(C, OP_JMP, split, 0);
            if (!C->too_big) {
                C->prog[split].x = split + 1;
                C->prog[split].y = (int)C->n;
            }
            return;
        }
        /* (e(e(e)?)?)? for the optional copies */
        int opt = n->max - n->min;
        int *pending = opt > 0 ? malloc((size_t)opt * sizeof *pending) : NULL;
        if (opt > 0 && !pending) {
            C->too_big = true;
            return;
        }
        for (int k = 0; k < opt && !C->too_big; k++) {
            pending[k] = emit(C, OP_SPLIT, 0, 0);
            if (!C->too_big)
                C->prog[pending[k]].x = pending[k] + 1;
            compile(C, n->a);
        }
        for (int k = 0; k < opt && !C->too_big; k++)
            C->prog[pending[k]].y = (int)C->n;
        free(pending);
        return;
    }
    }
}

static void start_bytes(Regexp *re);

Regexp *regexp_compile(const char *pattern, int flags, char *err, size_t errlen)
{
    size_t len = strnlen(pattern, REGEXP_MAX_PATTERN + 1);
    if (len > REGEXP_MAX_PATTERN) {
        snprintf(err, errlen, "the pattern is longer than %d bytes (shorten it)", REGEXP_MAX_PATTERN);
        return NULL;
    }
    Parser P = { .start = pattern, .p = pattern, .flags = flags, .err = err, .errlen = errlen };
    int root = parse_alt(&P, 0);
    if (root >= 0 && *P.p) /* parse_alt stops only at the end at the top level */
        root = fail(&P, "unexpected character");
    Regexp *re = NULL;
    if (root >= 0 && size_of(&P, root) + 1 > REGEXP_MAX_PROGRAM) {
        snprintf(err, errlen, "the pattern is too large once its {m,n} repetitions are expanded (more than %d "
                 "steps; use smaller counts or fewer nested repetitions)", REGEXP_MAX_PROGRAM);
    } else if (root >= 0) {
        re = calloc(1, sizeof *re);
        Compiler C = { .P = &P, .prog = malloc(REGEXP_MAX_PROGRAM * sizeof(Inst)) };
        if (re && C.prog) {
            compile(&C, root);
            if (emit(&C, OP_MATCH, 0, 0) < 0 || C.too_big) {
                snprintf(err, errlen, "the pattern is too large once expanded");
                free(C.prog);
                free(re);
                re = NULL;
            } else {
                re->prog = C.prog;
                re->n = C.n;
                re->sets = P.sets;
                re->n_sets = P.n_sets;
                P.sets = NULL;
                start_bytes(re);
            }
        } else {
            free(C.prog);
            free(re);
            re = NULL;
            snprintf(err, errlen, "out of memory");
        }
    }
    free(P.nodes);
    free(P.sets);
    return re;
}

/* The bytes that can start a match, and whether a match can be empty (then
 * nothing can be skipped). */
static void start_bytes(Regexp *re)
{
    bool *seen = calloc(re->n, sizeof *seen);
    int *stack = malloc((2 * re->n + 1) * sizeof *stack);
    re->skip = seen && stack;
    size_t sp = 0;
    if (re->skip)
        stack[sp++] = 0;
    while (sp) {
        int pc = stack[--sp];
        if (seen[pc])
            continue;
        seen[pc] = true;
        const Inst *in = &re->prog[pc];
        switch (in->op) {
        case OP_MATCH: re->skip = false; break;
        case OP_SET:
            for (int i = 0; i < 32; i++)
                re->first.bits[i] |= re->sets[in->x].bits[i];
            break;
        case OP_JMP: stack[sp++] = in->x; break;
        case OP_SPLIT:
            stack[sp++] = in->x;
            stack[sp++] = in->y;
            break;
        case OP_ASSERT: stack[sp++] = pc + 1; break; /* as if it held: a superset */
        }
    }
    free(seen);
    free(stack);
}

void regexp_free(Regexp *re)
{
    if (!re)
        return;
    free(re->prog);
    free(re->sets);
    free(re);
}

/* ---- searching --------------------------------------------------------------- */

typedef struct List {
    int *pc;   /* (n) states waiting for the next byte */
    size_t n;
} List;

typedef struct Sim {
    const Regexp *re;
    const unsigned char *text;
    size_t len;
    unsigned *mark;   /* (prog) generation in which a state was added */
    unsigned gen;
    int *stack;       /* (prog) */
    long steps;
} Sim;

static bool assert_holds(const Sim *S, Assert as, size_t pos)
{
    bool before = pos > 0 && is_word(S->text[pos - 1]);
    bool after = pos < S->len && is_word(S->text[pos]);
    switch (as) {
    case AS_BOL: return pos == 0;
    case AS_EOL: return pos == S->len;
    case AS_WORDB: return before != after;
    case AS_NWORDB: return before == after;
    case AS_WBEG: return !before && after;
    case AS_WEND: return before && !after;
    }
    return false;
}

/* Adds pc and everything reachable without reading a byte; true on MATCH. */
static bool add(Sim *S, List *l, int pc0, size_t pos)
{
    size_t sp = 0;
    S->stack[sp++] = pc0;
    while (sp) {
        int pc = S->stack[--sp];
        if (S->mark[pc] == S->gen)
            continue;
        S->mark[pc] = S->gen;
        S->steps++;
        const Inst *in = &S->re->prog[pc];
        switch (in->op) {
        case OP_MATCH: return true;
        case OP_SET: l->pc[l->n++] = pc; break;
        case OP_JMP: S->stack[sp++] = in->x; break;
        case OP_SPLIT:
            S->stack[sp++] = in->y;
            S->stack[sp++] = in->x;
            break;
        case OP_ASSERT:
            if (assert_holds(S, (Assert)in->x, pos))
                S->stack[sp++] = pc + 1;
            break;
        }
    }
    return false;
}

int regexp_search(const Regexp *re, const char *text, size_t n)
{
    size_t m = re->n;
    int *buf = malloc((4 * m + 1) * sizeof *buf); /* two lists and a stack of up to 2m + 1 */
    unsigned *mark = calloc(m, sizeof *mark);
    if (!buf || !mark) {
        free(buf);
        free(mark);
        return -1;
    }
    Sim S = { .re = re, .text = (const unsigned char *)text, .len = n, .mark = mark, .stack = buf + 2 * m };
    List cur = { buf, 0 }, next = { buf + m, 0 };
    int rc = 0;
    size_t i = 0;
    S.gen = 1;
    if (re->skip) { /* a match needs one of the start bytes: go to the first */
        while (i < n && !set_has(&re->first, S.text[i]))
            i++;
        if (i == n)
            goto out;
    }
    if (add(&S, &cur, 0, i))
        rc = 1;
    for (; rc == 0 && i < n; i++) {
        unsigned c = S.text[i];
        next.n = 0;
        S.gen++;
        S.steps += (long)cur.n;
        for (size_t k = 0; k < cur.n && rc == 0; k++) {
            const Inst *in = &re->prog[cur.pc[k]];
            if (set_has(&re->sets[in->x], c) && add(&S, &next, cur.pc[k] + 1, i + 1))
                rc = 1;
        }
        if (rc)
            break;
        size_t at = i + 1; /* where the next attempt starts */
        if (next.n == 0 && re->skip) { /* nothing alive: skip to a possible start */
            while (at < n && !set_has(&re->first, S.text[at]))
                at++;
            if (at == n)
                break;
            S.gen++;
        }
        if (add(&S, &next, 0, at))
            rc = 1;
        i = at - 1;
        List t = cur;
        cur = next;
        next = t;
        if (S.gen >= 0xFFFFFFF0u) {
            memset(mark, 0, m * sizeof *mark);
            S.gen = 1;
        }
        if (rc == 0 && S.steps > REGEXP_MAX_STEPS)
            rc = -1;
    }
out:
    free(buf);
    free(mark);
    return rc;
}
