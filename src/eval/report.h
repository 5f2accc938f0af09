/* report.h — the evidence a team takes into a routing decision, built from
 * the labels and metrics of many rounds.
 *
 * The first part answers the question: per task category, which model wins
 * how often (with 95% Wilson intervals, and whether the leader is separated
 * from the next); what each model costs per 1,000 requests (local models
 * estimated from measured speed); and, given a routing policy, what it would
 * cost a month at a stated volume against everything to the frontier model
 * and everything local, with the quality it keeps (policy_check's baselines,
 * on the same cases). Then the detail: Bradley-Terry ratings as LMArena
 * computes them, raw and style-controlled side by side with bootstrap
 * intervals and Arena's rank, a warning where intervals overlap, pairwise
 * win rates with Wilson intervals, counts per category, speed and cost.
 * Every model is named in full (a local one by its file, weights' type,
 * backend and GPU). Rendered as a self-contained HTML page (inline CSS and
 * SVG, no script, no network, laid out for print) or Markdown. Pure:
 * building and rendering do no I/O. */
#ifndef VERSUS_REPORT_H
#define VERSUS_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "core/config.h"
#include "store/fixture.h"
#include "eval/battles.h"
#include "eval/bradley_terry.h"
#include "eval/costs.h"
#include "eval/policy.h"

typedef struct ReportOptions {
    int bootstrap_rounds; /* default 200 */
    uint64_t seed;        /* default 1 */
    double prior;         /* virtual ties per pair that met; < 0 = Arena's plain maximum likelihood,
                           * with 1 only when the data have no finite rating (default) */
    BattleLosers losers;  /* losers of a won round: no battle (default) or a tie */
    double volume;        /* requests a month for the monthly figures; 0 = none */
    const Policy *policy; /* the routing policy costed in the first part, or NULL */
    const char *policy_name; /* how the page names it (its file) */
    const char *frontier, *local; /* the baselines (NULL: policy_check's defaults) */
    const Config *cfg;    /* for the policy's perimeter decision (NULL: empty) */
    const CostsSummary *costs; /* how each model was priced (costs_price), or NULL */
} ReportOptions;

ReportOptions report_options_default(void);

typedef struct ReportCounts {
    size_t wins, ties, losses, both_bad;
} ReportCounts;

/* How often a model won the labelled rounds it took part in. */
typedef struct ReportShare {
    size_t wins, ties, n;  /* n: labelled rounds it took part in */
    double rate, lo, hi;   /* wins / n with its 95% Wilson interval; NAN when n is 0 */
} ReportShare;

typedef struct ReportModel {
    char *spec;                  /* the name its replies are counted under (candidate_key):
                                  * the spec, or "local:FILE" for a local spec naming no file */
    char name[640];              /* in full: "local: FILE (Q4_K weights, cuda on GPU)" or the spec */
    bool local;
    ReportCounts all;
    ReportCounts *by_category;   /* (Report.n_categories) */
    ReportShare share;           /* over every category */
    ReportShare *share_by_category; /* (Report.n_categories) */
    double rating, rating_lo, rating_hi; /* Bradley-Terry, Elo scale, 95% bootstrap; NAN when it never met another
                                          * model; ±INFINITY: a bound the data do not give */
    double style_rating, style_lo, style_hi; /* the same with style control */
    int rank;                    /* Arena's: 1 + models whose lower bound is above this one's upper bound */
    double median_ttft_ms;       /* NAN when unknown */
    double median_tokens_per_s;  /* NAN when unknown */
    double cost_per_1k_usd;      /* mean cost per reply × 1000, NAN when unknown */
    bool cost_estimated;         /* local: estimated from measured speed */
    double in_per_mtok, out_per_mtok; /* USD per 1M tokens as recorded (or re-priced), NAN unknown */
    size_t replies, cost_known;
    size_t refused, blocked, failed; /* replies that were refused, blocked, or failed (error, cancelled) */
} ReportModel;

typedef struct Report {
    ReportModel *models;   /* (n_models), in order of first appearance */
    size_t n_models;
    char **categories;     /* (n_categories), "(none)" for rounds without one */
    size_t n_categories;
    size_t *category_rounds; /* (n_categories) labelled rounds */
    int *leader;           /* (n_categories) the model with the highest win share, -1 when none took
                            * part or none won a round */
    bool *separated;       /* (n_categories) another model took part and the leader's interval lies
                            * above every other's */
    double *pair_score;    /* (n_models × n_models): wins of i over j, ties counted half */
    double *pair_games;    /* (n_models × n_models): meetings of i and j */
    size_t n_rounds, n_labelled; /* n_labelled: rounds whose label is evidence */
    size_t n_invalid_labels; /* labelled won by a candidate that did not take part: left out */
    Buf label_notes;       /* one line per label left out: "ID: the labelled winner SPEC was not sent" */
    size_t n_battles, n_skipped; /* battles; candidates of labelled rounds that did not take part */
    double prior_used;     /* virtual ties the ratings were fitted with (0 = Arena's maximum likelihood) */
    double style_coef[BT_STYLE_N], style_coef_lo[BT_STYLE_N], style_coef_hi[BT_STYLE_N];
    Buf warnings;          /* minimum-evidence warnings, one per line */
    bool has_policy;
    PolicyReport policy;   /* when has_policy */
    ReportOptions opt;
} Report;

/* Builds the report from cases (labelled or not: unlabelled rounds still feed
 * the speed and cost figures). Costs are the ones recorded in the cases
 * (price local replies first with costs_price). 0, or -1 with err. */
int report_build(const FixtureSet *set, const ReportOptions *opt, Report *out, char *err, size_t errlen);
void report_free(Report *r);
/* Win rate of i against j (ties half), NAN when they never met; lo/hi (may
 * be NULL) get its 95% Wilson interval. */
double report_pair_rate(const Report *r, size_t i, size_t j);
void report_pair_interval(const Report *r, size_t i, size_t j, double *lo, double *hi);

int report_html(const Report *r, const char *title, Buf *out);
int report_markdown(const Report *r, const char *title, Buf *out);

#endif
