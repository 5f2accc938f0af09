/* report.h — what the labels and metrics of many rounds say about each model.
 *
 * Per model: wins/ties/losses/both-bad overall and per category, pairwise win
 * rates, Bradley-Terry ratings on the Elo scale with bootstrap 95% intervals
 * (deterministic seed), median time to first token, median tokens/s, cost per
 * 1,000 requests and a projection at a monthly volume. Rendered as a
 * self-contained HTML page (inline CSS and SVG bar charts, no script, no
 * network) or Markdown. Pure: building and rendering do no I/O. */
#ifndef VERSUS_REPORT_H
#define VERSUS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "store/fixture.h"
#include "eval/battles.h"
#include "eval/bradley_terry.h"

typedef struct ReportOptions {
    int bootstrap_rounds; /* default 200 */
    uint64_t seed;        /* default 1 */
    double prior;         /* virtual ties per pair that met; < 0 = Arena's plain maximum likelihood,
                           * with 1 only when the data have no finite rating (default) */
    BattleLosers losers;  /* losers of a won round: no battle (default) or a tie */
    double volume;        /* requests a month for the projection; 0 = none */
} ReportOptions;

ReportOptions report_options_default(void);

typedef struct ReportCounts {
    size_t wins, ties, losses, both_bad;
} ReportCounts;

typedef struct ReportModel {
    char *spec;
    ReportCounts all;
    ReportCounts *by_category;   /* (Report.n_categories) */
    double rating, rating_lo, rating_hi; /* Bradley-Terry, Elo scale, 95% bootstrap; NAN when it never met another
                                          * model; ±INFINITY: a bound the data do not give */
    double style_rating, style_lo, style_hi; /* the same with style control */
    double median_ttft_ms;       /* NAN when unknown */
    double median_tokens_per_s;  /* NAN when unknown */
    double cost_per_1k_usd;      /* mean cost per reply × 1000, NAN when unknown */
    size_t replies, cost_known;
    size_t refused, blocked, failed; /* replies that were refused, blocked, or failed (error, cancelled) */
} ReportModel;

typedef struct Report {
    ReportModel *models;   /* (n_models), in order of first appearance */
    size_t n_models;
    char **categories;     /* (n_categories), "(none)" for rounds without one */
    size_t n_categories;
    double *pair_score;    /* (n_models × n_models): wins of i over j, ties counted half */
    double *pair_games;    /* (n_models × n_models): labelled meetings of i and j */
    size_t n_rounds, n_labelled;
    size_t n_battles;
    double prior_used;     /* virtual ties the ratings were fitted with (0 = Arena's maximum likelihood) */
    double style_coef[BT_STYLE_N], style_coef_lo[BT_STYLE_N], style_coef_hi[BT_STYLE_N];
    ReportOptions opt;
} Report;

/* Builds the report from cases (labelled or not: unlabelled rounds still feed
 * the speed and cost figures). 0, or -1 with err. */
int report_build(const FixtureSet *cases, const ReportOptions *opt, Report *out, char *err, size_t errlen);
void report_free(Report *r);
/* Win rate of i against j (ties half), NAN when they never met. */
double report_pair_rate(const Report *r, size_t i, size_t j);

int report_html(const Report *r, const char *title, Buf *out);
int report_markdown(const Report *r, const char *title, Buf *out);

#endif
