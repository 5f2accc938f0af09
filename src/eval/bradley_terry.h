/* bradley_terry.h — model ratings from pairwise battles (Bradley-Terry), on the
 * Elo scale, with bootstrap confidence intervals.
 *
 * P(i beats j) = p_i / (p_i + p_j). Ties count half a win for each side.
 * Fitted by Hunter's MM iteration (maximum likelihood), reported as
 * rating_i = 1000 + 400 log10(p_i) with the strengths normalised to a
 * geometric mean of 1 (so the ratings average 1000 and a 400-point gap means
 * 10:1 odds). Pure: no I/O, no global state; the bootstrap uses its own
 * seeded generator, so the same input and seed give the same intervals. */
#ifndef VERSUS_BRADLEY_TERRY_H
#define VERSUS_BRADLEY_TERRY_H

#include <stddef.h>
#include <stdint.h>

typedef struct BtBattle {
    int a, b;       /* model indices, a != b */
    double score_a; /* 1 = a won, 0 = b won, 0.5 = tie */
} BtBattle;

typedef struct BtOptions {
    double prior;   /* virtual ties added to every pair that met (0 = plain MLE; a
                     * model that never won then rates -inf) */
    int max_iter;   /* default 10000 */
    double tol;     /* stop when no log-strength moves more than this (default 1e-10) */
} BtOptions;

BtOptions bt_options_default(void);

/* Fits ratings (n_models values, Elo scale); a model with no battles gets NAN.
 * Returns the iterations used, or -1 on bad input (index out of range, a == b,
 * score outside [0, 1]). */
int bt_fit(size_t n_models, const BtBattle *battles, size_t n_battles, const BtOptions *opt, double *rating);

/* Percentile bootstrap: resamples the battles with replacement `rounds`
 * times, refits, and writes the (1-level)/2 and (1+level)/2 percentiles of
 * each model's rating into lo/hi (level 0.95 for a 95% interval). Returns 0
 * or -1 (bad input, out of memory). */
int bt_bootstrap(size_t n_models, const BtBattle *battles, size_t n_battles, const BtOptions *opt, int rounds,
                 double level, uint64_t seed, double *lo, double *hi);

#endif
