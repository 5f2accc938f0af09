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

typedef struct ReportOptions {
    int bootstrap_rounds; /* default 200 */
    uint64_t seed;        /* default 1 */
    double prior;         /* Bradley-Terry virtual ties per pair that met (default 1) */
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
    double rating, rating_lo, rating_hi; /* Elo scale; NAN when it never met another model */
    double median_ttft_ms;       /* NAN when unknown */
    double median_tokens_per_s;  /* NAN when unknown */
    double cost_per_1k_usd;      /* mean cost per reply × 1000, NAN when unknown */
    size_t replies, cost_known;
} ReportModel;

typedef struct Report {
    ReportModel *models;   /* (n_models), in order of first appearance */
    size_t n_models;
    char **categories;     /* (n_categories), "(none)" for rounds without one */
    size_t n_categories;
    double *pair_score;    /* (n_models × n_models): wins of i over j, ties counted half */
    double *pair_games;    /* (n_models × n_models): labelled meetings of i and j */
    size_t n_rounds, n_labelled;
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
