/* bradley_terry.c — MM fit and bootstrap for Bradley-Terry ratings (see bradley_terry.h). */
#include "eval/bradley_terry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

BtOptions bt_options_default(void)
{
    return (BtOptions){ .prior = 0, .max_iter = 10000, .tol = 1e-10 };
}

static int check_input(size_t n, const BtBattle *b, size_t nb)
{
    for (size_t k = 0; k < nb; k++)
        if (b[k].a < 0 || b[k].b < 0 || (size_t)b[k].a >= n || (size_t)b[k].b >= n || b[k].a == b[k].b ||
            !(b[k].score_a >= 0 && b[k].score_a <= 1))
            return -1;
    return 0;
}

/* The fit on aggregated counts: games[i*n+j] (symmetric) and wins[i]. */
static int fit_counts(size_t n, const double *games, const double *wins, const BtOptions *opt, double *rating)
{
    double *p = malloc(n * sizeof *p), *next = malloc(n * sizeof *next);
    if (!p || !next) {
        free(p);
        free(next);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        p[i] = 1.0;
    int it = 0;
    for (; it < opt->max_iter; it++) {
        double max_move = 0;
        for (size_t i = 0; i < n; i++) {
            double denom = 0;
            for (size_t j = 0; j < n; j++)
                if (j != i && games[i * n + j] > 0)
                    denom += games[i * n + j] / (p[i] + p[j]);
            next[i] = denom > 0 ? wins[i] / denom : p[i];
        }
        /* normalise to a geometric mean of 1 over the models that played and won */
        double logsum = 0;
        size_t counted = 0;
        for (size_t i = 0; i < n; i++)
            if (next[i] > 0 && isfinite(next[i])) {
                logsum += log(next[i]);
                counted++;
            }
        double scale = counted ? exp(-logsum / (double)counted) : 1;
        for (size_t i = 0; i < n; i++) {
            next[i] *= scale;
            if (next[i] > 0 && p[i] > 0) {
                double move = fabs(log(next[i]) - log(p[i]));
                if (move > max_move)
                    max_move = move;
            } else if ((next[i] > 0) != (p[i] > 0)) {
                max_move = INFINITY;
            }
            p[i] = next[i];
        }
        if (max_move < opt->tol)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        double played = 0;
        for (size_t j = 0; j < n; j++)
            played += games[i * n + j];
        rating[i] = played > 0 ? (p[i] > 0 ? 1000 + 400 * log10(p[i]) : -INFINITY) : NAN;
    }
    free(p);
    free(next);
    return it + 1;
}

/* Aggregates battles (optionally a resample given by idx) plus the prior. */
static void aggregate(size_t n, const BtBattle *b, size_t nb, const size_t *idx, double prior, double *games,
                      double *wins)
{
    memset(games, 0, n * n * sizeof *games);
    memset(wins, 0, n * sizeof *wins);
    for (size_t k = 0; k < nb; k++) {
        const BtBattle *x = &b[idx ? idx[k] : k];
        games[(size_t)x->a * n + (size_t)x->b] += 1;
        games[(size_t)x->b * n + (size_t)x->a] += 1;
        wins[x->a] += x->score_a;
        wins[x->b] += 1 - x->score_a;
    }
    if (prior > 0)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (games[i * n + j] > 0) {
                    games[i * n + j] += prior;
                    games[j * n + i] += prior;
                    wins[i] += prior / 2;
                    wins[j] += prior / 2;
                }
}

int bt_fit(size_t n, const BtBattle *battles, size_t nb, const BtOptions *opt, double *rating)
{
    BtOptions o = opt ? *opt : bt_options_default();
    if (n == 0 || check_input(n, battles, nb) < 0)
        return -1;
    double *games = malloc(n * n * sizeof *games), *wins = malloc(n * sizeof *wins);
    int rc = -1;
    if (games && wins) {
        aggregate(n, battles, nb, NULL, o.prior, games, wins);
        rc = fit_counts(n, games, wins, &o, rating);
    }
    free(games);
    free(wins);
    return rc;
}

/* splitmix64: a small, good, seedable generator. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Linear-interpolated percentile q in [0, 1] of sorted v[0..n). */
static double percentile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t lo = (size_t)floor(pos);
    size_t hi = lo + 1 < n ? lo + 1 : lo;
    double f = pos - (double)lo;
    if (isinf(v[lo]) || isinf(v[hi]))
        return f < 0.5 ? v[lo] : v[hi];
    return v[lo] + (v[hi] - v[lo]) * f;
}

int bt_bootstrap(size_t n, const BtBattle *battles, size_t nb, const BtOptions *opt, int rounds, double level,
                 uint64_t seed, double *lo, double *hi)
{
    BtOptions o = opt ? *opt : bt_options_default();
    if (n == 0 || rounds < 1 || !(level > 0 && level < 1) || check_input(n, battles, nb) < 0)
        return -1;
    double *samples = malloc((size_t)rounds * n * sizeof *samples);
    double *games = malloc(n * n * sizeof *games), *wins = malloc(n * sizeof *wins);
    double *col = malloc((size_t)rounds * sizeof *col), *rating = malloc(n * sizeof *rating);
    size_t *idx = malloc((nb ? nb : 1) * sizeof *idx);
    int rc = -1;
    if (!samples || !games || !wins || !col || !rating || !idx)
        goto out;
    uint64_t state = seed;
    for (int r = 0; r < rounds; r++) {
        for (size_t k = 0; k < nb; k++)
            idx[k] = (size_t)(next_u64(&state) % nb);
        aggregate(n, battles, nb, idx, o.prior, games, wins);
        if (fit_counts(n, games, wins, &o, rating) < 0)
            goto out;
        memcpy(samples + (size_t)r * n, rating, n * sizeof *rating);
    }
    for (size_t i = 0; i < n; i++) {
        size_t m = 0;
        for (int r = 0; r < rounds; r++) {
            double v = samples[(size_t)r * n + i];
            if (!isnan(v)) /* a resample may leave a model out entirely */
                col[m++] = v;
        }
        qsort(col, m, sizeof *col, cmp_double);
        lo[i] = percentile(col, m, (1 - level) / 2);
        hi[i] = percentile(col, m, (1 + level) / 2);
    }
    rc = 0;
out:
    free(samples);
    free(games);
    free(wins);
    free(col);
    free(rating);
    free(idx);
    return rc;
}
