/* diff.c — Myers' greedy O(ND) diff over word tokens (diff.h). Pure. */
#include "tui/diff.h"

#include <stdlib.h>
#include <string.h>

typedef struct Tok {
    size_t start, len;
} Tok;

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static Tok *tokenize(const char *s, size_t n, size_t *count)
{
    size_t cap = 16, k = 0;
    Tok *t = malloc(cap * sizeof *t);
    if (!t)
        return NULL;
    size_t i = 0;
    while (i < n) {
        size_t st = i;
        int ws = is_ws(s[i]);
        while (i < n && is_ws(s[i]) == ws)
            i++;
        if (k == cap) {
            cap *= 2;
            Tok *nt = realloc(t, cap * sizeof *nt);
            if (!nt) {
                free(t);
                return NULL;
            }
            t = nt;
        }
        t[k++] = (Tok){ st, i - st };
    }
    *count = k;
    return t;
}

static int tok_eq(const char *a, Tok x, const char *b, Tok y)
{
    return x.len == y.len && memcmp(a + x.start, b + y.start, x.len) == 0;
}

static int push(Diff *d, size_t *cap, DiffKind kind, size_t start, size_t len)
{
    if (len == 0)
        return 0;
    if (d->n_ops > 0) {
        DiffOp *last = &d->ops[d->n_ops - 1];
        if (last->kind == kind && last->start + last->len == start) {
            last->len += len;
            return 0;
        }
    }
    if (d->n_ops == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        DiffOp *no = realloc(d->ops, nc * sizeof *no);
        if (!no)
            return -1;
        d->ops = no;
        *cap = nc;
    }
    d->ops[d->n_ops++] = (DiffOp){ kind, start, len };
    return 0;
}

/* Token ranges [from, to) as one op. */
static int push_toks(Diff *d, size_t *cap, DiffKind kind, const Tok *t, size_t from, size_t to)
{
    if (from >= to)
        return 0;
    size_t s = t[from].start, e = t[to - 1].start + t[to - 1].len;
    if (kind == DIFF_EQUAL)
        d->n_equal_tokens += to - from;
    else if (kind == DIFF_DEL)
        d->n_del_tokens += to - from;
    else
        d->n_add_tokens += to - from;
    return push(d, cap, kind, s, e - s);
}

/* Myers on ta[0..n) x tb[0..m); writes the edit script (in order) as a list of
 * (kind, index) steps into *script. Returns the number of edits D, or -1 when
 * D would exceed the limit or memory runs out (-2). */
typedef struct Step {
    DiffKind kind;
    size_t ai, bi; /* position in a and b before the step */
} Step;

static long myers(const char *a, const Tok *ta, size_t n, const char *b, const Tok *tb, size_t m, long maxd,
                  long **hist_out)
{
    long max = (long)(n + m);
    if (maxd > max)
        maxd = max;
    long width = 2 * maxd + 1;
    long *v = calloc((size_t)(width + 2), sizeof *v);
    /* round d saves v[-d..d] (d+1 entries): (maxd+1)(maxd+2)/2 in all */
    long *hist = malloc((size_t)((maxd + 1) * (maxd + 2) / 2) * sizeof *hist);
    if (!v || !hist) {
        free(v);
        free(hist);
        return -2;
    }
    long off = maxd + 1;
    size_t hpos = 0;
    for (long d = 0; d <= maxd; d++) {
        for (long k = -d; k <= d; k += 2) {
            long x;
            if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
                x = v[off + k + 1];
            else
                x = v[off + k - 1] + 1;
            long y = x - k;
            while (x < (long)n && y < (long)m && tok_eq(a, ta[x], b, tb[y])) {
                x++;
                y++;
            }
            v[off + k] = x;
            if (x >= (long)n && y >= (long)m) {
                for (long kk = -d; kk <= d; kk += 2)
                    hist[hpos + (size_t)((kk + d) / 2)] = v[off + kk];
                free(v);
                *hist_out = hist;
                return d;
            }
        }
        for (long kk = -d; kk <= d; kk += 2)
            hist[hpos + (size_t)((kk + d) / 2)] = v[off + kk];
        hpos += (size_t)(d + 1);
    }
    free(v);
    free(hist);
    return -1;
}

/* The x reached on diagonal k after round d, from the saved history. */
static long hist_x(const long *hist, long d, long k)
{
    size_t base = (size_t)(d * (d + 1) / 2); /* rounds 0..d-1 used 1+2+...+d entries */
    return hist[base + (size_t)((k + d) / 2)];
}

int diff_words(const char *a, size_t alen, const char *b, size_t blen, Diff *out)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0, n = 0, m = 0;
    Tok *ta = tokenize(a, alen, &n);
    Tok *tb = tokenize(b, blen, &m);
    if (!ta || !tb) {
        free(ta);
        free(tb);
        return -1;
    }
    int rc = 0;
    /* common prefix and suffix */
    size_t pre = 0;
    while (pre < n && pre < m && tok_eq(a, ta[pre], b, tb[pre]))
        pre++;
    size_t suf = 0;
    while (suf < n - pre && suf < m - pre && tok_eq(a, ta[n - 1 - suf], b, tb[m - 1 - suf]))
        suf++;
    rc |= push_toks(out, &cap, DIFF_EQUAL, ta, 0, pre);
    size_t an = n - pre - suf, bn = m - pre - suf;
    const Tok *ma = ta + pre, *mb = tb + pre;
    long *hist = NULL;
    long d = (an && bn) ? myers(a, ma, an, b, mb, bn, DIFF_MAX_EDITS, &hist) : (long)(an + bn);
    if (d == -2) {
        rc = -1;
    } else if (d == -1 || !(an && bn)) {
        out->truncated = d == -1;
        rc |= push_toks(out, &cap, DIFF_DEL, ma, 0, an);
        rc |= push_toks(out, &cap, DIFF_ADD, mb, 0, bn);
    } else {
        /* backtrack from (an, bn) to (0, 0), collecting snakes in reverse */
        size_t nsteps = 0, capsteps = (size_t)(2 * d + 2);
        Step *steps = malloc(capsteps * sizeof *steps);
        long x = (long)an, y = (long)bn;
        if (!steps) {
            rc = -1;
        } else {
            for (long dd = d; dd > 0; dd--) {
                long k = x - y;
                long prev_k;
                if (k == -dd || (k != dd && hist_x(hist, dd - 1, k - 1) < hist_x(hist, dd - 1, k + 1)))
                    prev_k = k + 1; /* came down: an insertion from b */
                else
                    prev_k = k - 1; /* came right: a deletion from a */
                long px = hist_x(hist, dd - 1, prev_k);
                long py = px - prev_k;
                long sx = prev_k == k + 1 ? px : px + 1; /* where the snake began */
                long sy = sx - k;
                /* snake: equal tokens from (sx, sy) to (x, y) */
                steps[nsteps++] = (Step){ DIFF_EQUAL, (size_t)sx, (size_t)(x - sx) };
                steps[nsteps++] = (Step){ prev_k == k + 1 ? DIFF_ADD : DIFF_DEL,
                                          prev_k == k + 1 ? (size_t)py : (size_t)px, 0 };
                (void)sy;
                x = px;
                y = py;
            }
            /* the first snake from (0,0) */
            size_t first_len = (size_t)x;
            rc |= push_toks(out, &cap, DIFF_EQUAL, ma, 0, first_len);
            for (size_t s = nsteps; s-- > 0;) {
                Step st = steps[s];
                if (st.kind == DIFF_EQUAL)
                    rc |= push_toks(out, &cap, DIFF_EQUAL, ma, st.ai, st.ai + st.bi);
                else if (st.kind == DIFF_DEL)
                    rc |= push_toks(out, &cap, DIFF_DEL, ma, st.ai, st.ai + 1);
                else
                    rc |= push_toks(out, &cap, DIFF_ADD, mb, st.ai, st.ai + 1);
            }
            free(steps);
        }
        free(hist);
    }
    rc |= push_toks(out, &cap, DIFF_EQUAL, ta, n - suf, n);
    free(ta);
    free(tb);
    if (rc) {
        diff_free(out);
        return -1;
    }
    return 0;
}

void diff_free(Diff *d)
{
    free(d->ops);
    memset(d, 0, sizeof *d);
}
