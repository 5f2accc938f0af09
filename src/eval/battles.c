/* battles.c — rounds to battles (see battles.h). */
#include "eval/battles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/style.h"
#include "store/candidate.h"

bool battles_took_part(const Reply *r)
{
    return reply_took_part(r);
}

bool battles_label_valid(const SessionRound *r)
{
    if (r->outcome != SESSION_WIN)
        return true;
    return r->winner >= 0 && (size_t)r->winner < r->n_replies && reply_took_part(r->replies[r->winner]);
}

void battles_label_why(const SessionRound *r, char *out, size_t outlen)
{
    if (battles_label_valid(r)) {
        snprintf(out, outlen, "%s", "");
        return;
    }
    if (r->winner < 0 || (size_t)r->winner >= r->n_replies) {
        snprintf(out, outlen, "the labelled winner is not among the candidates");
        return;
    }
    const Reply *w = r->replies[r->winner];
    snprintf(out, outlen, "the labelled winner %s %s", w->spec,
             reply_was_sent(w) ? "gave no answer" : "was not sent");
}

void battles_wilson(double score, double n, double *lo, double *hi)
{
    if (!(n > 0)) {
        *lo = *hi = NAN;
        return;
    }
    const double z = 1.959963984540054; /* the 97.5% normal quantile */
    double p = score / n, d = 1 + z * z / n;
    double c = (p + z * z / (2 * n)) / d;
    double h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d;
    *lo = c - h;
    *hi = c + h;
}

int battles_losers_parse(const char *s, BattleLosers *out)
{
    if (s && strcmp(s, "none") == 0)
        *out = BATTLES_LOSERS_NONE;
    else if (s && strcmp(s, "tie") == 0)
        *out = BATTLES_LOSERS_TIE;
    else
        return -1;
    return 0;
}

void battles_free(BattleSet *b)
{
    free(b->b);
    free(b->case_of);
    memset(b, 0, sizeof *b);
}

static long find(const char *const *models, size_t n, const char *spec)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(models[i], spec) == 0)
            return (long)i;
    return -1;
}

static int push(BattleSet *s, size_t *cap, int a, int b, double y, const double style[BT_STYLE_N], size_t c)
{
    if (s->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        BtBattle *p = realloc(s->b, nc * sizeof *p);
        if (!p)
            return -1;
        s->b = p;
        size_t *q = realloc(s->case_of, nc * sizeof *q);
        if (!q)
            return -1;
        s->case_of = q;
        *cap = nc;
    }
    BtBattle *x = &s->b[s->n];
    *x = (BtBattle){ .a = a, .b = b, .score_a = y };
    memcpy(x->style, style, sizeof x->style);
    s->case_of[s->n++] = c;
    return 0;
}

/* The outcomes of one pair of models in one round, summed over their replies
 * (a < b; y and style from a's side). */
typedef struct PairSum {
    long a, b;
    double y, n;
    double style[BT_STYLE_N];
} PairSum;

static void pair_add(PairSum *ps, size_t *n, long ia, long ib, double y, const double fa[BT_STYLE_N],
                     const double fb[BT_STYLE_N])
{
    double d[BT_STYLE_N];
    if (ia > ib) { /* from the lower index's side */
        long t = ia;
        ia = ib;
        ib = t;
        y = 1 - y;
        style_diff(fb, fa, d);
    } else {
        style_diff(fa, fb, d);
    }
    size_t q = 0;
    while (q < *n && !(ps[q].a == ia && ps[q].b == ib))
        q++;
    if (q == *n)
        ps[(*n)++] = (PairSum){ .a = ia, .b = ib };
    ps[q].y += y;
    ps[q].n += 1;
    for (int m = 0; m < BT_STYLE_N; m++)
        ps[q].style[m] += d[m];
}

int battles_build(const FixtureSet *set, const char *const *models, size_t n_models, BattleLosers losers,
                  BattleSet *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    size_t cap = 0;
    for (size_t c = 0; c < set->n; c++) {
        const SessionRound *r = &set->cases[c].r;
        if (r->outcome == SESSION_UNLABELLED)
            continue;
        size_t k = r->n_replies;
        long *idx = malloc((k + 1) * sizeof *idx);
        double (*f)[BT_STYLE_N] = malloc((k + 1) * sizeof *f);
        if (!idx || !f) {
            free(idx);
            free(f);
            goto oom;
        }
        for (size_t i = 0; i < k; i++) {
            const Reply *p = r->replies[i];
            char key[600];
            idx[i] = battles_took_part(p) ? find(models, n_models, candidate_key(p, key, sizeof key)) : -1;
            out->skipped += !battles_took_part(p);
            style_count(buf_str(&p->text), p->text.len, f[i]);
        }
        /* One meeting per pair of models per round: a model asked twice in
         * one round (two panes of it) is one judgement, not two; its
         * replies' outcomes against the other model are averaged. */
        PairSum *ps = calloc(k * k + 1, sizeof *ps);
        size_t n_ps = 0;
        if (!ps) {
            free(idx);
            free(f);
            goto oom;
        }
        for (size_t i = 0; i < k; i++)
            for (size_t j = i + 1; j < k; j++) {
                if (idx[i] < 0 || idx[j] < 0 || idx[i] == idx[j])
                    continue;
                double y;
                if (r->outcome == SESSION_WIN) {
                    bool wi = (int)i == r->winner, wj = (int)j == r->winner;
                    if (!wi && !wj && losers == BATTLES_LOSERS_NONE)
                        continue;
                    if (r->winner < 0 || (size_t)r->winner >= k || idx[r->winner] < 0)
                        continue; /* the winner did not take part: nothing to compare against */
                    y = wi ? 1 : wj ? 0 : 0.5;
                } else {
                    y = 0.5; /* tie, both bad */
                }
                pair_add(ps, &n_ps, idx[i], idx[j], y, f[i], f[j]);
            }
        int rc = 0;
        for (size_t q = 0; q < n_ps && rc == 0; q++) {
            double style[BT_STYLE_N];
            for (int m = 0; m < BT_STYLE_N; m++)
                style[m] = ps[q].style[m] / ps[q].n;
            rc = push(out, &cap, (int)ps[q].a, (int)ps[q].b, ps[q].y / ps[q].n, style, c);
        }
        free(ps);
        free(idx);
        free(f);
        if (rc < 0)
            goto oom;
    }
    return 0;
oom:
    battles_free(out);
    snprintf(err, errlen, "out of memory");
    return -1;
}
