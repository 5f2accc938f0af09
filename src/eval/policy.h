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

typedef enum PolicyVerdict {
    POLICY_PICK_WINNER,  /* routed to the labelled winner */
    POLICY_PICK_TIE,     /* a tie: any candidate is right */
    POLICY_PICK_LOSER,   /* routed to a candidate that lost: a failure */
    POLICY_PICK_BOTH_BAD,/* every candidate was bad: nothing to gain or lose */
    POLICY_PICK_UNJUDGED,/* the route is not among the case's candidates, or the case is unlabelled */
} PolicyVerdict;

typedef struct PolicyCaseResult {
    const FixtureCase *c;
    const char *route;     /* borrowed from the policy */
    int rule;
    int candidate;         /* index of the routed model among the candidates, or -1 */
    PolicyVerdict verdict;
    bool violation;        /* restricted data routed outside the perimeter: a failure */
    char why[400];         /* the perimeter decision's reason (providers/target.h) */
    double cost_usd;       /* the routed candidate's recorded cost, NAN when unknown */
} PolicyCaseResult;

typedef struct PolicyCurvePoint {
    double at;             /* the threshold */
    double strong_share;   /* fraction of the rule's cases sent to the strong model */
    double quality;        /* fraction of judged cases routed to a winner or tie */
    double pgr;            /* performance gap recovered, (q - q_weak) / (q_strong - q_weak) */
} PolicyCurvePoint;

typedef struct PolicyReport {
    PolicyCaseResult *cases; /* (n_cases) */
    size_t n_cases;
    size_t winners, ties, losers, both_bad, unjudged, violations;
    size_t judged;           /* cases labelled win, tie or both_bad */
    double quality;          /* (winners + ties) / judged */
    char best_model[256];    /* the single model that, always chosen, scores best */
    double best_quality;
    double oracle_quality;   /* (judged - both_bad) / judged: a perfect router */
    double quality_retained; /* quality / best_quality, NAN when undefined */
    double cost_usd;         /* sum over cases with a known cost */
    size_t cost_known;       /* cases whose routed cost is known */
    char priciest_model[256];/* the single model that, always chosen, costs most */
    double priciest_cost_usd;
    double cost_ratio;       /* cost_usd / priciest_cost_usd, NAN when undefined */
    double mean_cost_usd;    /* per routed case with a known cost */
    /* threshold curve (RouteLLM): only when the policy has a threshold rule */
    PolicyCurvePoint *curve; /* (n_curve) ordered by strong_share */
    size_t n_curve;
    double q_strong, q_weak; /* quality with the threshold rule always strong / always weak */
    double apgr;             /* average PGR over the strong-call share, NAN when undefined */
    double cpt50, cpt80;     /* smallest strong-call share reaching 50% / 80% PGR, NAN if never */
} PolicyReport;

/* Routes every case and judges it. A restricted case is a violation unless
 * its route is inside the perimeter by the same decision a run makes
 * (target_sensitivity_allows: aliases, provider kinds and inline URLs
 * resolved against cfg; a route that does not resolve is outside). 0, or -1
 * with err (out of memory). */
int policy_check_config(const Policy *p, const FixtureSet *cases, const Config *cfg, PolicyReport *out, char *err,
                        size_t errlen);
/* The same against an empty configuration (only local: is inside). */
int policy_check(const Policy *p, const FixtureSet *cases, PolicyReport *out, char *err, size_t errlen);
/* True when the report has a failure (a loser pick or a sensitivity violation). */
bool policy_report_failed(const PolicyReport *r);
/* Appends the human-readable report; volume > 0 adds a monthly projection. */
int policy_report_format(const Policy *p, const PolicyReport *r, double volume, Buf *out);
void policy_report_free(PolicyReport *r);
const char *policy_verdict_name(PolicyVerdict v);

#endif
