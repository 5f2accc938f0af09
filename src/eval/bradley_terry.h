/* bradley_terry.h — model ratings from pairwise battles the way LMArena
 * computes them (its arena-rank package): Bradley-Terry, and the contextual
 * Bradley-Terry of its style control, with bootstrap intervals.
 *
 *   P(a beats b) = σ(θ_a − θ_b + γ·z)         (γ·z only with style control)
 *
 * θ in natural log-odds units, reported as rating = 1000 + θ · 400 / ln 10
 * (a 400-point gap is 10:1 odds), centred so each connected group of models
 * averages 1000. A battle's outcome y is 1 (a won), 0 (b won) or 0.5 (tie,
 * both bad). The plain fit minimises the mean log-loss −mean(y·x −
 * softplus(x)), x = θ_a − θ_b, unpenalised (maximum likelihood). The style
 * fit adds γ: z holds the style features of the battle, each the normalised
 * difference (f_a − f_b)/(f_a + f_b) (0 when both are 0) of assistant tokens,
 * markdown headers, bold spans and list items, standardised over the battles
 * (mean 0, population standard deviation 1); the loss is the mean of
 * w·log-loss plus reg/2·|γ|² (ridge on γ only), w = 1/max(battles of the
 * pair, min_pair_count) normalised to mean 1. Both are solved exactly
 * (Newton's method with a line search).
 *
 * A maximum-likelihood rating exists only when, within each connected group,
 * every model scored (won or tied) against some model that scored against
 * it, around (the "scored against" graph is strongly connected). When it is
 * not, the options say what to do: prior > 0 adds that many virtual ties to
 * every pair that met (a smoothing that keeps every rating finite). A
 * bootstrap resample without a finite rating gives +INFINITY to the models
 * that never lost to the rest of their group, −INFINITY to those that never
 * scored against it, NAN to those in between. Pure: no I/O, no global state;
 * the bootstrap has its own seeded generator. */
#ifndef VERSUS_BRADLEY_TERRY_H
#define VERSUS_BRADLEY_TERRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { BT_STYLE_TOKENS, BT_STYLE_HEADERS, BT_STYLE_BOLD, BT_STYLE_LISTS, BT_STYLE_N };

typedef struct BtBattle {
    int a, b;                /* model indices, a != b */
    double score_a;          /* 1 = a won, 0 = b won, 0.5 = tie */
    double style[BT_STYLE_N];/* (f_a − f_b)/(f_a + f_b) per feature, not yet standardised */
} BtBattle;

typedef struct BtOptions {
    bool style;              /* the contextual (style-controlled) fit */
    double prior;            /* virtual ties per pair that met (0 = plain maximum likelihood) */
    double reg;              /* style: ridge on γ (arena-rank's default 1.0) */
    double min_pair_count;   /* style: reweighting floor (arena-rank's default 50) */
} BtOptions;

BtOptions bt_options_default(void);

typedef struct BtResult {
    double *rating;          /* (n) Elo scale; NAN for a model with no battles; ±INFINITY see above */
    double coef[BT_STYLE_N]; /* style: γ per standard deviation of each feature (log-odds) */
    bool finite;             /* the data have a finite maximum-likelihood rating (with the prior) */
    int iterations;          /* Newton steps taken */
} BtResult;

/* Fits n models; out->rating must hold n doubles. Returns 0, or -1 on bad
 * input (index out of range, a == b, score outside [0, 1], non-finite style). */
int bt_fit(size_t n, const BtBattle *battles, size_t n_battles, const BtOptions *opt, BtResult *out);

/* True when the battles have a finite maximum-likelihood rating without a
 * prior (see above). */
bool bt_has_finite_mle(size_t n, const BtBattle *battles, size_t n_battles);

/* Percentile bootstrap as arena-rank does it: the battles resampled with
 * replacement `rounds` times (style features standardised and pair weights
 * taken once, on all the battles), refitted, and the (1−level)/2 and
 * (1+level)/2 quantiles (linear interpolation) of each model's rating
 * written to lo/hi, NAN values left out; coef_lo/coef_hi (may be NULL) get
 * the same for γ. Returns 0 or -1. */
int bt_bootstrap(size_t n, const BtBattle *battles, size_t n_battles, const BtOptions *opt, int rounds,
                 double level, uint64_t seed, double *lo, double *hi, double *coef_lo, double *coef_hi);

/* Elo points per natural log-odds unit: 400 / ln 10. */
double bt_elo_per_logit(void);

#endif
