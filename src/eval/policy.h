/* policy.h — a declarative routing policy and its check against labelled cases.
 *
 * A policy (JSON, see versus-policy(5)) is an ordered list of rules; the first
 * rule whose conditions all hold routes the prompt, else the default does:
 *   {"versus_policy": 1,
 *    "rules": [
 *      {"name": "secrets stay home", "when": {"sensitivity": "restricted"}, "route": "local:smol.gguf"},
 *      {"when": {"category": ["code", "sql"], "min_tokens": 20}, "route": "openai:gpt-4o"},
 *      {"when": {"regex": "[Pp]rove|integral"}, "route": "anthropic:claude-sonnet-4-5"},
 *      {"name": "long goes strong", "threshold": {"score": "tokens", "at": 300,
 *                                                "strong": "openai:gpt-4o", "weak": "local:smol.gguf"}}],
 *    "default": "openai:gpt-4o-mini"}
 * Prompt length is estimated in tokens as ceil(chars / 4) (UTF-8 characters,
 * system prompt excluded). Checking makes no API calls: it judges each route
 * against the labels recorded in the cases. Pure apart from file loading. */
#ifndef VERSUS_POLICY_H
#define VERSUS_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "core/config.h"
#include "store/fixture.h"

#define POLICY_FORMAT_VERSION 1

typedef struct Policy Policy;

/* Parses a policy document; NULL with err naming the rule and the problem. */
Policy *policy_parse(const char *text, size_t len, char *err, size_t errlen);
Policy *policy_load(const char *path, char *err, size_t errlen);
void policy_free(Policy *p);
/* Resolves every spec the policy can route to (each rule's route, strong and
 * weak, and the default) as versus run resolves a -m spec, with cfg's
 * providers and aliases (providers/target.h). 0, or -1 with err naming the
 * first that does not resolve, its rule and why: a typo'd provider is bad
 * input, not a route that merely never ran. */
int policy_resolve_routes(const Policy *p, const Config *cfg, char *err, size_t errlen);

/* Estimated tokens of a prompt: ceil(UTF-8 characters / 4). */
long policy_estimate_tokens(const char *prompt);

/* Where the policy sends a prompt: the route (a model spec) and the index of
 * the rule that chose it (-1 = the default). Never NULL. */
const char *policy_route(const Policy *p, const char *prompt, const char *category, Sensitivity sens,
                         int *rule);
/* The same with a threshold rule's "at" replaced by at (used for the curve). */
const char *policy_route_at(const Policy *p, const char *prompt, const char *category, Sensitivity sens,
                            double at, int *rule);
/* The rule's name ("rule N" when unnamed), or "default" for -1. */
const char *policy_rule_name(const Policy *p, int rule);
/* True when the policy has a threshold rule. */
bool policy_has_threshold(const Policy *p);

/* When rule is a threshold rule: true, with its strong and weak routes. */
bool policy_rule_threshold(const Policy *p, int rule, const char **strong, const char **weak);

typedef enum PolicyVerdict {
    POLICY_PICK_WINNER,  /* routed to the labelled winner */
    POLICY_PICK_TIE,     /* a tie: any candidate is right */
    POLICY_PICK_LOSER,   /* routed to a candidate that lost: a failure */
    POLICY_PICK_BOTH_BAD,/* every candidate was bad: nothing to gain or lose */
    POLICY_PICK_UNJUDGED,/* the route did not run in the case (not a candidate, not sent, failed
                          * without a word), or the case is unlabelled */
} PolicyVerdict;

typedef struct PolicyCaseResult {
    const FixtureCase *c;
    const char *route;     /* borrowed from the policy */
    int rule;
    int candidate;         /* index of the routed model among the candidates, or -1 */
    PolicyVerdict verdict;
    bool violation;        /* restricted data routed outside the perimeter: a failure */
    bool label_invalid;    /* labelled won by a candidate that did not take part (battles_label_valid):
                            * no evidence, so unjudged whatever the route */
    char why[400];         /* the perimeter decision's reason (providers/target.h) */
    double cost_usd;       /* the routed candidate's recorded cost, NAN when unknown */
} PolicyCaseResult;

typedef struct PolicyCurvePoint {
    double at;             /* the threshold */
    double strong_share;   /* fraction of the curve's cases sent to the strong model */
    double quality;        /* fraction of the curve's cases routed to a winner or tie */
    double pgr;            /* (quality − q_weak) / (q_strong − q_weak); NAN when the gap is too small */
} PolicyCurvePoint;

/* "Always this one model" (or the policy itself), on the same cases. */
typedef struct PolicyBaseline {
    char label[32];          /* "policy", "always frontier", "always local", "always best" */
    char spec[256];          /* the model ("" for the policy) */
    double quality;          /* winner-or-tie share over the common judged cases */
    double cost_per_case;    /* mean over the common priced cases, USD; NAN when none */
    bool cost_estimated;     /* includes local costs estimated from measured speed */
} PolicyBaseline;

#define POLICY_MAX_BASELINES 4

typedef struct PolicyCheckOptions {
    const Config *cfg;       /* for the perimeter decision; NULL = empty config */
    const char *frontier;    /* the "everything to the frontier model" baseline; NULL = the closed API
                              * model with the highest mean cost per reply */
    const char *local;       /* the "everything local" baseline; NULL = the local model in most cases */
} PolicyCheckOptions;

typedef struct PolicyReport {
    PolicyCaseResult *cases; /* (n_cases) */
    size_t n_cases;
    size_t winners, ties, losers, both_bad, unjudged, violations;
    size_t judged;           /* cases labelled win, tie or both_bad (labels that are evidence) */
    size_t invalid_labels;   /* cases whose label names a winner that did not take part: left out */
    size_t judged_routes;    /* routes that could be judged: winners + ties + losers + both_bad */
    double quality;          /* (winners + ties) / judged_routes, NAN when none */
    char best_model[256];    /* the single model that, always chosen, scores best where it ran */
    double best_quality;     /* its winner-or-tie share over the labelled cases it ran in */
    size_t best_judged;      /* ... which are this many (at equal shares, the most cases wins) */
    double oracle_quality;   /* labelled cases with a winner or tie / labelled cases: a perfect router */
    double cost_usd;         /* sum over routed cases with a known cost */
    size_t cost_known;       /* routed cases whose cost is known */
    double mean_cost_usd;    /* per routed case with a known cost */
    /* the policy against single models, every figure on the same cases */
    PolicyBaseline base[POLICY_MAX_BASELINES]; /* [0] is the policy */
    size_t n_base;
    size_t common_judged;    /* labelled cases where the policy's route and every baseline model ran */
    size_t common_priced;    /* of those, where every one of their costs is known */
    double quality_kept;     /* policy quality / frontier quality on the common cases, NAN undefined; above 1
                              * when the frontier model lost more of them: shown capped at 100% with both
                              * qualities, never as "300%" */
    /* threshold curve (RouteLLM): only when the policy has a threshold rule */
    PolicyCurvePoint *curve; /* (n_curve) ordered by strong_share */
    size_t n_curve;
    char strong[256], weak[256]; /* the threshold rule's models */
    size_t curve_cases;      /* labelled cases where both the strong and the weak route ran */
    double q_strong, q_weak; /* quality with the threshold rule always strong / always weak */
    size_t strong_only, weak_only; /* curve cases only the strong / only the weak route got right */
    double gap_p;            /* exact two-sided McNemar p of the strong−weak gap */
    bool gap_too_small;      /* the gap is not above zero at 5%: no PGR, APGR or CPT figures */
    bool curve_not_monotone; /* quality falls somewhere as strong calls rise */
    double apgr;             /* average PGR over the strong-call share, NAN when undefined */
    double cpt50, cpt80;     /* strong-call share reaching 50% / 80% PGR, NAN when not reached */
} PolicyReport;

/* Routes every case and judges it (see versus-policy(5) for each figure).
 * A restricted case is a violation unless its route is inside the perimeter
 * by the same decision a run makes (target_sensitivity_allows). Costs are
 * the recorded ones (price local replies first with eval/costs.h). 0, or -1
 * with err (out of memory). opt may be NULL. */
int policy_check_with(const Policy *p, const FixtureSet *cases, const PolicyCheckOptions *opt, PolicyReport *out,
                      char *err, size_t errlen);
/* policy_check_with and only a config. */
int policy_check_config(const Policy *p, const FixtureSet *cases, const Config *cfg, PolicyReport *out, char *err,
                        size_t errlen);
/* The same against an empty configuration (only local: is inside). */
int policy_check(const Policy *p, const FixtureSet *cases, PolicyReport *out, char *err, size_t errlen);
/* True when the report has a failure (a loser pick or a sensitivity violation). */
bool policy_report_failed(const PolicyReport *r);
/* Appends the human-readable report; volume > 0 adds the monthly cost of
 * the policy and of each baseline at that many requests. */
int policy_report_format(const Policy *p, const PolicyReport *r, double volume, Buf *out);
void policy_report_free(PolicyReport *r);
const char *policy_verdict_name(PolicyVerdict v);

/* The exact two-sided McNemar (sign test) p of b discordant pairs one way
 * and c the other. 1 when b + c is 0. */
double policy_mcnemar_p(size_t b, size_t c);
/* numpy.interp(x, xp, fp) for non-decreasing xp: linear interpolation,
 * clamped to fp[0] below xp[0]; NAN above xp[n-1] (the curve does not reach
 * it) or when n is 0. */
double policy_interp(double x, const double *xp, const double *fp, size_t n);

#endif
