/* policy_check.c — a routing policy judged against labelled cases, with the
 * figures RouteLLM defines (PGR, APGR by trapezoids, CPT by interpolation)
 * and baselines computed on the same cases (see policy.h, versus-policy(5)).
 * Makes no API calls. Not for parsing or routing (policy.c). */
#include "eval/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prices.h"
#include "eval/battles.h"
#include "eval/costs.h"
#include "providers/target.h"
#include "util/stats.h"

const char *policy_verdict_name(PolicyVerdict v)
{
    static const char *const names[] = {
        [POLICY_PICK_WINNER] = "winner", [POLICY_PICK_TIE] = "tie", [POLICY_PICK_LOSER] = "loser",
        [POLICY_PICK_BOTH_BAD] = "both-bad", [POLICY_PICK_UNJUDGED] = "unjudged",
    };
    return (unsigned)v <= POLICY_PICK_UNJUDGED ? names[v] : "?";
}

/* The candidate of case c that is spec and took part, or -1. */
static int ran(const FixtureCase *c, const char *spec)
{
    for (size_t k = 0; k < c->r.n_replies; k++)
        if (strcmp(c->r.replies[k]->spec, spec) == 0 && battles_took_part(c->r.replies[k]))
            return (int)k;
    return -1;
}

/* 1 when routing case c to spec is a good pick (winner or tie), 0 when not
 * (a loser, or both bad), -1 when it can not be judged. */
static int pick_quality(const FixtureCase *c, const char *spec, int *cand, PolicyVerdict *verdict)
{
    int k = ran(c, spec);
    if (cand)
        *cand = k >= 0 ? k : session_round_find(&c->r, spec);
    PolicyVerdict v = POLICY_PICK_UNJUDGED;
    int q = -1;
    if (k >= 0 && battles_label_valid(&c->r)) { /* a label naming a winner that did not run is no evidence */
        switch (c->r.outcome) {
        case SESSION_WIN:
            v = k == c->r.winner ? POLICY_PICK_WINNER : POLICY_PICK_LOSER;
            q = k == c->r.winner;
            break;
        case SESSION_TIE: v = POLICY_PICK_TIE; q = 1; break;
        case SESSION_BOTH_BAD: v = POLICY_PICK_BOTH_BAD; q = 0; break;
        case SESSION_UNLABELLED: break;
        }
    }
    if (verdict)
        *verdict = v;
    return q;
}

static double cost_of(const FixtureCase *c, const char *spec)
{
    int k = ran(c, spec);
    return k >= 0 ? c->r.replies[k]->metrics.cost_usd : NAN;
}

static bool cost_estimated(const FixtureCase *c, const char *spec)
{
    int k = ran(c, spec);
    return k >= 0 && strcmp(c->r.replies[k]->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0;
}

double policy_mcnemar_p(size_t b, size_t c)
{
    size_t n = b + c, k = b < c ? b : c;
    if (n == 0)
        return 1;
    /* 2 · P(X <= k), X ~ Binomial(n, 1/2), in logs to stay finite */
    double tail = 0;
    for (size_t i = 0; i <= k; i++)
        tail += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) - (double)n * log(2));
    double p = 2 * tail;
    return p > 1 ? 1 : p;
}

double policy_interp(double x, const double *xp, const double *fp, size_t n)
{
    if (n == 0 || isnan(x) || x > xp[n - 1])
        return NAN;
    if (x < xp[0])
        return fp[0];
    /* the last j with xp[j] <= x, as numpy's search finds it */
    size_t j = 0;
    for (size_t i = 0; i < n; i++)
        if (xp[i] <= x)
            j = i;
    if (j == n - 1)
        return fp[n - 1];
    double dx = xp[j + 1] - xp[j];
    return dx > 0 ? fp[j] + (fp[j + 1] - fp[j]) * (x - xp[j]) / dx : fp[j];
}

/* ---- baselines on the same cases -------------------------------------------------- */

/* Every distinct candidate spec over the cases. */
static size_t collect_models(const FixtureSet *set, const char ***out)
{
    size_t n = 0, cap = 0;
    const char **m = NULL;
    for (size_t i = 0; i < set->n; i++)
        for (size_t k = 0; k < set->cases[i].r.n_replies; k++) {
            const char *spec = set->cases[i].r.replies[k]->spec;
            size_t j = 0;
            while (j < n && strcmp(m[j], spec) != 0)
                j++;
            if (j < n)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 8;
                const char **p = realloc(m, cap * sizeof *p);
                if (!p)
                    return n;
                m = p;
            }
            m[n++] = spec;
        }
    *out = m;
    return n;
}

/* The default frontier (closed API with the highest mean cost per reply)
 * and local model (runs locally, in the most cases). */
static void default_baselines(const FixtureSet *set, const char **models, size_t nm, const char **frontier,
                              const char **local)
{
    double best_cost = -1;
    size_t best_n = 0;
    for (size_t m = 0; m < nm; m++) {
        size_t n = 0, priced = 0;
        double cost = 0;
        bool closed = false, is_local = false;
        for (size_t i = 0; i < set->n; i++) {
            int k = session_round_find(&set->cases[i].r, models[m]);
            if (k < 0)
                continue;
            const Reply *r = set->cases[i].r.replies[k];
            n++;
            closed |= costs_reply_is_closed(r);
            is_local |= costs_reply_is_local(r);
            if (isfinite(r->metrics.cost_usd)) {
                cost += r->metrics.cost_usd;
                priced++;
            }
        }
        double mean = priced ? cost / (double)priced : 0;
        if (closed && !is_local && (!*frontier || mean > best_cost)) {
            *frontier = models[m];
            best_cost = mean;
        }
        if (is_local && (!*local || n > best_n)) {
            *local = models[m];
            best_n = n;
        }
    }
}

static void baselines(const FixtureSet *set, const PolicyCheckOptions *opt, PolicyReport *out)
{
    const char **models = NULL;
    size_t nm = collect_models(set, &models);
    /* the best single model: winner-or-tie share over the labelled cases it ran in */
    for (size_t m = 0; m < nm; m++) {
        size_t good = 0, judged = 0;
        for (size_t i = 0; i < set->n; i++) {
            int q = pick_quality(&set->cases[i], models[m], NULL, NULL);
            if (q >= 0) {
                judged++;
                good += (size_t)q;
            }
        }
        double q = judged ? (double)good / (double)judged : NAN;
        if (!isnan(q) && (isnan(out->best_quality) || q > out->best_quality ||
                          (q == out->best_quality && judged > out->best_judged))) {
            out->best_quality = q;
            out->best_judged = judged;
            snprintf(out->best_model, sizeof out->best_model, "%s", models[m]);
        }
    }
    const char *frontier = opt && opt->frontier ? opt->frontier : NULL;
    const char *local = opt && opt->local ? opt->local : NULL;
    const char *df = NULL, *dl = NULL;
    default_baselines(set, models, nm, &df, &dl);
    frontier = frontier ? frontier : df;
    local = local ? local : dl;
    PolicyBaseline *b = out->base;
    out->n_base = 0;
    snprintf(b[out->n_base++].label, sizeof b->label, "policy");
    if (frontier) {
        snprintf(b[out->n_base].label, sizeof b->label, "always frontier");
        snprintf(b[out->n_base++].spec, sizeof b->spec, "%s", frontier);
    }
    if (local) {
        snprintf(b[out->n_base].label, sizeof b->label, "always local");
        snprintf(b[out->n_base++].spec, sizeof b->spec, "%s", local);
    }
    if (out->best_model[0]) {
        snprintf(b[out->n_base].label, sizeof b->label, "always best");
        snprintf(b[out->n_base++].spec, sizeof b->spec, "%s", out->best_model);
    }
    /* the common cases: every one of them can be judged (and priced) */
    size_t good[POLICY_MAX_BASELINES] = { 0 };
    double cost[POLICY_MAX_BASELINES] = { 0 };
    bool est[POLICY_MAX_BASELINES] = { 0 };
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        const char *spec[POLICY_MAX_BASELINES];
        int q[POLICY_MAX_BASELINES];
        bool all = true, priced = true;
        for (size_t k = 0; k < out->n_base; k++) {
            spec[k] = k == 0 ? out->cases[i].route : b[k].spec;
            q[k] = pick_quality(c, spec[k], NULL, NULL);
            all &= q[k] >= 0;
            priced &= isfinite(cost_of(c, spec[k]));
        }
        if (!all)
            continue;
        out->common_judged++;
        for (size_t k = 0; k < out->n_base; k++)
            good[k] += (size_t)q[k];
        if (!priced)
            continue;
        out->common_priced++;
        for (size_t k = 0; k < out->n_base; k++) {
            cost[k] += cost_of(c, spec[k]);
            est[k] |= cost_estimated(c, spec[k]);
        }
    }
    for (size_t k = 0; k < out->n_base; k++) {
        b[k].quality = out->common_judged ? (double)good[k] / (double)out->common_judged : NAN;
        b[k].cost_per_case = out->common_priced ? cost[k] / (double)out->common_priced : NAN;
        b[k].cost_estimated = est[k];
    }
    if (frontier && b[1].quality > 0)
        out->quality_kept = b[0].quality / b[1].quality;
    free(models);
}

/* ---- the threshold curve ---------------------------------------------------------- */

static int cmp_point(const void *a, const void *b)
{
    const PolicyCurvePoint *x = a, *y = b;
    if (x->strong_share != y->strong_share)
        return x->strong_share < y->strong_share ? -1 : 1;
    return (x->at < y->at) - (x->at > y->at); /* higher threshold first at equal share */
}

/* True when case c belongs to the curve: labelled, and the routes with the
 * threshold always strong and always weak both ran. */
static bool curve_case(const Policy *p, const FixtureCase *c)
{
    const char *hi = policy_route_at(p, c->r.prompt, c->r.category, c->r.sensitivity, -INFINITY, NULL);
    const char *lo = policy_route_at(p, c->r.prompt, c->r.category, c->r.sensitivity, INFINITY, NULL);
    return pick_quality(c, hi, NULL, NULL) >= 0 && pick_quality(c, lo, NULL, NULL) >= 0;
}

static void curve_point(const Policy *p, const FixtureSet *set, const bool *in, const char *strong, double at,
                        double *quality, double *share)
{
    size_t good = 0, n = 0, to_strong = 0;
    for (size_t i = 0; i < set->n; i++) {
        if (!in[i])
            continue;
        const FixtureCase *c = &set->cases[i];
        const char *route = policy_route_at(p, c->r.prompt, c->r.category, c->r.sensitivity, at, NULL);
        n++;
        to_strong += strcmp(route, strong) == 0;
        good += pick_quality(c, route, NULL, NULL) == 1;
    }
    *quality = n ? (double)good / (double)n : NAN;
    *share = n ? (double)to_strong / (double)n : NAN;
}

static int build_curve(const Policy *p, const FixtureSet *set, PolicyReport *out)
{
    const char *strong = NULL, *weak = NULL;
    for (size_t i = 0; i < 256 && !strong; i++)
        if (!policy_rule_threshold(p, (int)i, &strong, &weak))
            strong = weak = NULL;
    if (!strong)
        return 0;
    snprintf(out->strong, sizeof out->strong, "%s", strong);
    snprintf(out->weak, sizeof out->weak, "%s", weak);
    bool *in = calloc(set->n + 1, sizeof *in);
    double *ats = malloc((set->n + 1) * sizeof *ats);
    if (!in || !ats) {
        free(in);
        free(ats);
        return -1;
    }
    /* the cases every point is computed on, and the paired strong/weak record */
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        in[i] = curve_case(p, c);
        if (!in[i])
            continue;
        out->curve_cases++;
        const char *hi = policy_route_at(p, c->r.prompt, c->r.category, c->r.sensitivity, -INFINITY, NULL);
        const char *lo = policy_route_at(p, c->r.prompt, c->r.category, c->r.sensitivity, INFINITY, NULL);
        int qs = pick_quality(c, hi, NULL, NULL), qw = pick_quality(c, lo, NULL, NULL);
        out->strong_only += qs == 1 && qw == 0;
        out->weak_only += qw == 1 && qs == 0;
        ats[n++] = (double)policy_estimate_tokens(c->r.prompt);
    }
    ats[n++] = INFINITY;
    stats_sort(ats, n);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || ats[i] != ats[u - 1])
            ats[u++] = ats[i];
    out->curve = calloc(u + 1, sizeof *out->curve);
    if (!out->curve) {
        free(in);
        free(ats);
        return -1;
    }
    double share;
    curve_point(p, set, in, strong, -INFINITY, &out->q_strong, &share);
    curve_point(p, set, in, strong, INFINITY, &out->q_weak, &share);
    double gap = out->q_strong - out->q_weak;
    out->gap_p = policy_mcnemar_p(out->strong_only, out->weak_only);
    out->gap_too_small = !(gap > 0) || out->gap_p >= 0.05;
    for (size_t i = 0; out->curve_cases && i < u; i++) {
        PolicyCurvePoint *pt = &out->curve[out->n_curve++];
        pt->at = ats[i];
        curve_point(p, set, in, strong, ats[i], &pt->quality, &pt->strong_share);
        pt->pgr = out->gap_too_small ? NAN : (pt->quality - out->q_weak) / gap;
    }
    free(in);
    free(ats);
    qsort(out->curve, out->n_curve, sizeof *out->curve, cmp_point);
    for (size_t i = 1; i < out->n_curve; i++)
        out->curve_not_monotone |= out->curve[i].quality < out->curve[i - 1].quality;
    if (out->gap_too_small || out->n_curve < 2)
        return 0;
    /* RouteLLM: APGR = (AUC − q_weak·span) / ((q_strong − q_weak)·span), the
     * areas by trapezoids over the strong-call share */
    double area = 0, span = out->curve[out->n_curve - 1].strong_share - out->curve[0].strong_share;
    for (size_t i = 1; i < out->n_curve; i++)
        area += (out->curve[i].strong_share - out->curve[i - 1].strong_share) *
                (out->curve[i].quality + out->curve[i - 1].quality) / 2;
    if (span > 0)
        out->apgr = (area - out->q_weak * span) / (gap * span);
    /* CPT(x%): the strong-call share at which quality reaches q_weak + x·gap,
     * numpy.interp over (quality, share) as RouteLLM computes it */
    double *xp = malloc(out->n_curve * sizeof *xp), *fp = malloc(out->n_curve * sizeof *fp);
    if (!xp || !fp) {
        free(xp);
        free(fp);
        return -1;
    }
    for (size_t i = 0; i < out->n_curve; i++) {
        xp[i] = out->curve[i].quality;
        fp[i] = out->curve[i].strong_share;
    }
    if (out->curve_not_monotone) {
        /* numpy.interp needs a rising curve: make it one by the running maximum */
        for (size_t i = 1; i < out->n_curve; i++)
            if (xp[i] < xp[i - 1])
                xp[i] = xp[i - 1];
    }
    out->cpt50 = policy_interp(out->q_weak + 0.5 * gap, xp, fp, out->n_curve);
    out->cpt80 = policy_interp(out->q_weak + 0.8 * gap, xp, fp, out->n_curve);
    free(xp);
    free(fp);
    return 0;
}

/* ---- the check --------------------------------------------------------------------- */

int policy_check(const Policy *p, const FixtureSet *set, PolicyReport *out, char *err, size_t errlen)
{
    return policy_check_with(p, set, NULL, out, err, errlen);
}

int policy_check_config(const Policy *p, const FixtureSet *set, const Config *cfg, PolicyReport *out, char *err,
                        size_t errlen)
{
    PolicyCheckOptions o = { .cfg = cfg };
    return policy_check_with(p, set, &o, out, err, errlen);
}

int policy_check_with(const Policy *p, const FixtureSet *set, const PolicyCheckOptions *opt, PolicyReport *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->quality = out->best_quality = out->oracle_quality = out->quality_kept = NAN;
    out->mean_cost_usd = out->apgr = out->cpt50 = out->cpt80 = NAN;
    out->q_strong = out->q_weak = out->gap_p = NAN;
    Config *empty = opt && opt->cfg ? NULL : config_new_empty();
    const Config *cfg = empty ? empty : opt->cfg;
    if (!cfg)
        goto oom;
    out->cases = set->n ? calloc(set->n, sizeof *out->cases) : NULL;
    if (set->n && !out->cases)
        goto oom;
    out->n_cases = set->n;
    size_t labelled_good = 0;
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        PolicyCaseResult *res = &out->cases[i];
        res->c = c;
        res->route = policy_route(p, c->r.prompt, c->r.category, c->r.sensitivity, &res->rule);
        pick_quality(c, res->route, &res->candidate, &res->verdict);
        /* the same decision a run makes (providers/target.h) */
        res->violation = !target_sensitivity_allows(cfg, res->route, c->r.sensitivity, res->why, sizeof res->why);
        res->cost_usd = cost_of(c, res->route);
        switch (res->verdict) {
        case POLICY_PICK_WINNER: out->winners++; break;
        case POLICY_PICK_TIE: out->ties++; break;
        case POLICY_PICK_LOSER: out->losers++; break;
        case POLICY_PICK_BOTH_BAD: out->both_bad++; break;
        case POLICY_PICK_UNJUDGED: out->unjudged++; break;
        }
        out->violations += res->violation;
        res->label_invalid = !battles_label_valid(&c->r);
        out->invalid_labels += res->label_invalid;
        if (c->r.outcome != SESSION_UNLABELLED && !res->label_invalid) {
            out->judged++;
            labelled_good += c->r.outcome != SESSION_BOTH_BAD;
        }
        if (isfinite(res->cost_usd)) {
            out->cost_usd += res->cost_usd;
            out->cost_known++;
        }
    }
    out->judged_routes = out->winners + out->ties + out->losers + out->both_bad;
    if (out->judged_routes)
        out->quality = (double)(out->winners + out->ties) / (double)out->judged_routes;
    if (out->judged)
        out->oracle_quality = (double)labelled_good / (double)out->judged;
    if (out->cost_known)
        out->mean_cost_usd = out->cost_usd / (double)out->cost_known;
    baselines(set, opt, out);
    if (policy_has_threshold(p) && build_curve(p, set, out) < 0)
        goto oom;
    config_free(empty);
    return 0;
oom:
    config_free(empty);
    policy_report_free(out);
    snprintf(err, errlen, "out of memory");
    return -1;
}

bool policy_report_failed(const PolicyReport *r)
{
    return r->losers > 0 || r->violations > 0;
}

void policy_report_free(PolicyReport *r)
{
    free(r->cases);
    free(r->curve);
    memset(r, 0, sizeof *r);
}

/* ---- the text report ---------------------------------------------------------------- */

static void pct(Buf *b, const char *label, double v)
{
    if (isnan(v))
        buf_printf(b, "%-36s n/a\n", label);
    else
        buf_printf(b, "%-36s %.1f%%\n", label, 100 * v);
}

int policy_report_format(const Policy *p, const PolicyReport *r, double volume, Buf *b)
{
    size_t b0 = b->len;
    buf_printf(b, "%zu cases, %zu labelled, %zu routes judged\n", r->n_cases, r->judged, r->judged_routes);
    buf_printf(b, "  winner picks %zu, tie picks %zu, loser picks %zu, both-bad %zu, unjudged %zu\n",
               r->winners, r->ties, r->losers, r->both_bad, r->unjudged);
    buf_printf(b, "  sensitivity violations %zu\n", r->violations);
    if (r->invalid_labels)
        buf_printf(b, "  labels left out %zu (the labelled winner did not take part: not sent, or no answer)\n",
                   r->invalid_labels);
    buf_puts(b, "\n");
    if (r->losers || r->violations) {
        buf_puts(b, "Failures:\n");
        for (size_t i = 0; i < r->n_cases; i++) {
            const PolicyCaseResult *c = &r->cases[i];
            if (c->verdict != POLICY_PICK_LOSER && !c->violation)
                continue;
            const char *id = c->c->id ? c->c->id : "(no id)";
            if (c->violation)
                buf_printf(b, "  VIOLATION %s: restricted data routed outside the perimeter to %s (%s): %s\n", id,
                           c->route, policy_rule_name(p, c->rule), c->why);
            if (c->verdict == POLICY_PICK_LOSER)
                buf_printf(b, "  LOSER     %s: routed to %s (%s), winner was %s\n", id, c->route,
                           policy_rule_name(p, c->rule), c->c->r.replies[c->c->r.winner]->spec);
        }
        buf_puts(b, "\n");
    }
    if (r->unjudged) {
        buf_puts(b, "Not judged (the route did not run in the case, the case is unlabelled, or its label is no "
                    "evidence):\n");
        for (size_t i = 0; i < r->n_cases; i++) {
            const PolicyCaseResult *c = &r->cases[i];
            if (c->verdict != POLICY_PICK_UNJUDGED)
                continue;
            buf_printf(b, "  %s → %s", c->c->id ? c->c->id : "(no id)", c->route);
            if (c->label_invalid) {
                char why[400];
                battles_label_why(&c->c->r, why, sizeof why);
                buf_printf(b, "  (label left out: %s; relabel it with versus sessions label)", why);
            }
            buf_puts(b, "\n");
        }
        buf_puts(b, "\n");
    }
    pct(b, "quality (winner or tie, judged routes)", r->quality);
    pct(b, "perfect router (oracle)", r->oracle_quality);
    if (r->best_model[0]) {
        char label[320];
        snprintf(label, sizeof label, "best single model (%s, %zu judged case%s)", r->best_model, r->best_judged,
                 r->best_judged == 1 ? "" : "s");
        pct(b, label, r->best_quality);
    }
    if (r->cost_known)
        buf_printf(b, "%-36s $%.6f over %zu routed case%s with a known cost\n", "cost", r->cost_usd, r->cost_known,
                   r->cost_known == 1 ? "" : "s");
    else
        buf_printf(b, "%-36s n/a (no routed case has a known cost)\n", "cost");
    if (r->n_base > 1) {
        buf_printf(b, "\nOn the same %zu cases (%zu of them priced), where the policy's route and every model "
                      "below ran:\n", r->common_judged, r->common_priced);
        buf_printf(b, "  %-16s %-44s %8s %14s", "", "model", "quality", "cost/1,000");
        if (volume > 0)
            buf_printf(b, " %16s", "a month");
        buf_puts(b, "\n");
        for (size_t k = 0; k < r->n_base; k++) {
            const PolicyBaseline *x = &r->base[k];
            buf_printf(b, "  %-16s %-44s ", x->label, x->spec[0] ? x->spec : "(its routes)");
            if (isnan(x->quality))
                buf_printf(b, "%8s ", "n/a");
            else
                buf_printf(b, "%7.1f%% ", 100 * x->quality);
            if (isnan(x->cost_per_case))
                buf_printf(b, "%14s", "n/a");
            else
                buf_printf(b, "%s$%12.4f", x->cost_estimated ? "~" : " ", 1000 * x->cost_per_case);
            if (volume > 0) {
                if (isnan(x->cost_per_case))
                    buf_printf(b, " %16s", "n/a");
                else
                    buf_printf(b, " $%15.2f", x->cost_per_case * volume);
            }
            buf_puts(b, "\n");
        }
        bool frontier = r->n_base > 1 && strcmp(r->base[1].label, "always frontier") == 0;
        if (frontier && r->quality_kept > 1) /* the frontier model lost more of these cases: not a real "300%" */
            buf_printf(b, "%-36s 100.0%% (capped: the policy %.1f%%, the frontier model %.1f%%, on %zu case%s)\n",
                       "quality kept vs the frontier model", 100 * r->base[0].quality, 100 * r->base[1].quality,
                       r->common_judged, r->common_judged == 1 ? "" : "s");
        else if (frontier)
            pct(b, "quality kept vs the frontier model", r->quality_kept);
        if (volume > 0)
            buf_printf(b, "  (a month = %.0f requests at the mean cost per case above)\n", volume);
        bool est = false;
        for (size_t k = 0; k < r->n_base; k++)
            est |= r->base[k].cost_estimated;
        if (est)
            buf_puts(b, "  ~ includes local costs estimated from measured speed\n");
    }
    if (r->curve) {
        buf_printf(b, "\nThreshold curve on %zu cases (strong %s, weak %s): always strong %.1f%%, always weak "
                      "%.1f%%\n",
                   r->curve_cases, r->strong, r->weak, 100 * r->q_strong, 100 * r->q_weak);
        buf_printf(b, "  the strong model alone was right in %zu, the weak alone in %zu (McNemar p = %.3g)\n",
                   r->strong_only, r->weak_only, r->gap_p);
        if (r->gap_too_small)
            buf_printf(b, "  WARNING: the strong–weak gap is too small to measure on these cases (%s): PGR, APGR "
                          "and CPT are not given; label more rounds where the two differ\n",
                       !(r->q_strong > r->q_weak) ? "the strong model is not better" : "not above zero at 5%");
        buf_printf(b, "  %12s %14s %9s %8s\n", "at (tokens)", "strong calls", "quality", "PGR");
        for (size_t i = 0; i < r->n_curve; i++) {
            const PolicyCurvePoint *pt = &r->curve[i];
            char at[32];
            if (isinf(pt->at))
                snprintf(at, sizeof at, "never");
            else
                snprintf(at, sizeof at, "%.0f", pt->at);
            buf_printf(b, "  %12s %13.1f%% %8.1f%% ", at, 100 * pt->strong_share, 100 * pt->quality);
            if (isnan(pt->pgr))
                buf_puts(b, "     n/a\n");
            else
                buf_printf(b, "%7.1f%%\n", 100 * pt->pgr);
        }
        if (r->curve_not_monotone && !r->gap_too_small)
            buf_puts(b, "  note: quality falls somewhere as strong calls rise; CPT reads the curve's running maximum\n");
        pct(b, "APGR", r->apgr);
        pct(b, "CPT(50%) strong calls", r->cpt50);
        pct(b, "CPT(80%) strong calls", r->cpt80);
    }
    buf_printf(b, "\n%s\n", policy_report_failed(r) ? "FAIL" : "PASS");
    return b->len > b0 ? 0 : -1;
}
