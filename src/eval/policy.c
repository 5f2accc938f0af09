/* policy.c — routing policies: parsing, routing, and checking against
 * labelled cases with quality/cost figures and the RouteLLM threshold curve
 * (see policy.h). Not for running models: `policy check` makes no API calls. */
#include "eval/policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "util/regexp.h"
#include "providers/provider.h"
#include "providers/target.h"
#include "store/jsonio.h"

#define POLICY_MAX_RULES 256
#define POLICY_MAX_LIST 32
#define POLICY_MAX_FILE (4u << 20)

typedef struct PolicyRule {
    char *name;
    /* conditions (all must hold); unset ones always hold */
    char *categories[POLICY_MAX_LIST];
    size_t n_categories;
    bool sens[3];          /* sensitivity classes accepted */
    bool has_sens;
    long min_tokens, max_tokens; /* -1 = unset */
    Regexp *re;            /* bounded (util/regexp.h); NULL = no regex condition */
    /* action */
    char *route;           /* plain rule */
    bool threshold;        /* threshold rule: tokens >= at → strong, else weak */
    double at;
    char *strong, *weak;
} PolicyRule;

struct Policy {
    PolicyRule *rules;
    size_t n_rules;
    char *default_route;
};

static void rule_clear(PolicyRule *r)
{
    free(r->name);
    for (size_t i = 0; i < r->n_categories; i++)
        free(r->categories[i]);
    regexp_free(r->re);
    free(r->route);
    free(r->strong);
    free(r->weak);
}

void policy_free(Policy *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_rules; i++)
        rule_clear(&p->rules[i]);
    free(p->rules);
    free(p->default_route);
    free(p);
}

/* A string or a list of strings into out[]; 0 or -1 with err. */
static int string_list(const cJSON *v, char **out, size_t *n, const char *what, char *err, size_t errlen)
{
    *n = 0;
    if (cJSON_IsString(v)) {
        out[(*n)++] = strdup(v->valuestring);
        return 0;
    }
    if (!cJSON_IsArray(v)) {
        snprintf(err, errlen, "\"%s\" must be a string or a list of strings", what);
        return -1;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, v) {
        if (!cJSON_IsString(e) || *n >= POLICY_MAX_LIST) {
            snprintf(err, errlen, "\"%s\" must be a list of at most %d strings", what, POLICY_MAX_LIST);
            return -1;
        }
        out[(*n)++] = strdup(e->valuestring);
    }
    return 0;
}

static int parse_when(const cJSON *w, PolicyRule *r, char *err, size_t errlen)
{
    if (!w)
        return 0;
    if (!cJSON_IsObject(w)) {
        snprintf(err, errlen, "\"when\" must be an object");
        return -1;
    }
    const cJSON *k;
    cJSON_ArrayForEach(k, w) {
        const char *key = k->string;
        if (strcmp(key, "category") == 0) {
            if (r->n_categories > 0) { /* a second list would overwrite (and leak) the first */
                snprintf(err, errlen, "\"category\" is given twice in one \"when\"");
                return -1;
            }
            if (string_list(k, r->categories, &r->n_categories, key, err, errlen) < 0)
                return -1;
        } else if (strcmp(key, "sensitivity") == 0) {
            char *names[POLICY_MAX_LIST];
            size_t n;
            int rc = string_list(k, names, &n, key, err, errlen);
            for (size_t i = 0; i < n; i++) {
                Sensitivity s;
                if (rc == 0 && (!names[i] || sensitivity_parse(names[i], &s) < 0)) {
                    snprintf(err, errlen, "unknown sensitivity \"%s\" (public, internal, restricted)",
                             names[i] ? names[i] : "");
                    rc = -1;
                }
                if (rc == 0)
                    r->sens[s] = true;
                free(names[i]);
            }
            if (rc < 0)
                return -1;
            r->has_sens = true;
        } else if (strcmp(key, "min_tokens") == 0 || strcmp(key, "max_tokens") == 0) {
            long v = jsonio_long(w, key, -1);
            if (v < 0) {
                snprintf(err, errlen, "\"%s\" must be a whole number >= 0", key);
                return -1;
            }
            *(key[1] == 'i' ? &r->min_tokens : &r->max_tokens) = v;
        } else if (strcmp(key, "regex") == 0) {
            if (!cJSON_IsString(k)) {
                snprintf(err, errlen, "\"regex\" must be a string");
                return -1;
            }
            char msg[256];
            regexp_free(r->re);
            r->re = regexp_compile(k->valuestring, jsonio_bool(w, "ignore_case", false) ? REGEXP_ICASE : 0, msg,
                                   sizeof msg);
            if (!r->re) {
                snprintf(err, errlen, "regex \"%.200s\" does not compile: %s", k->valuestring, msg);
                return -1;
            }
        } else if (strcmp(key, "ignore_case") != 0) {
            snprintf(err, errlen, "unknown condition \"%s\" (category, sensitivity, min_tokens, max_tokens, regex, ignore_case)", key);
            return -1;
        }
    }
    return 0;
}

static int parse_rule(const cJSON *o, PolicyRule *r, char *err, size_t errlen)
{
    r->min_tokens = r->max_tokens = -1;
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "a rule must be an object");
        return -1;
    }
    r->name = jsonio_dup(o, "name");
    if (parse_when(cJSON_GetObjectItemCaseSensitive(o, "when"), r, err, errlen) < 0)
        return -1;
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(o, "threshold");
    const char *route = jsonio_str(o, "route");
    if ((th != NULL) == (route != NULL)) {
        snprintf(err, errlen, "a rule needs exactly one of \"route\" (a model spec) or \"threshold\"");
        return -1;
    }
    if (route) {
        if (!*route) {
            snprintf(err, errlen, "\"route\" is empty");
            return -1;
        }
        r->route = strdup(route);
        return 0;
    }
    const char *score = jsonio_str(th, "score");
    const char *strong = jsonio_str(th, "strong"), *weak = jsonio_str(th, "weak");
    r->at = jsonio_num(th, "at", NAN);
    if (!cJSON_IsObject(th) || (score && strcmp(score, "tokens") != 0) || !strong || !weak || !*strong ||
        !*weak || !isfinite(r->at)) {
        snprintf(err, errlen, "\"threshold\" needs {\"score\": \"tokens\", \"at\": N, \"strong\": SPEC, \"weak\": SPEC}");
        return -1;
    }
    r->threshold = true;
    r->strong = strdup(strong);
    r->weak = strdup(weak);
    return 0;
}

Policy *policy_parse(const char *text, size_t len, char *err, size_t errlen)
{
    char e2[400];
    cJSON *doc = jsonio_parse(text, len, e2, sizeof e2);
    if (!doc) {
        snprintf(err, errlen, "%s", e2);
        return NULL;
    }
    Policy *p = calloc(1, sizeof *p);
    const cJSON *rules = cJSON_GetObjectItemCaseSensitive(doc, "rules");
    const char *def = jsonio_str(doc, "default");
    long version = jsonio_long(doc, "versus_policy", -1);
    if (!p)
        goto oom;
    if (!cJSON_IsObject(doc) || version < 1) {
        snprintf(err, errlen, "not a versus policy (no \"versus_policy\" version)");
        goto fail;
    }
    if (version > POLICY_FORMAT_VERSION) {
        snprintf(err, errlen, "policy format %ld is newer than this versus understands (%d)", version,
                 POLICY_FORMAT_VERSION);
        goto fail;
    }
    if (!def || !*def) {
        snprintf(err, errlen, "a policy needs a \"default\" route (a model spec)");
        goto fail;
    }
    if (rules && (!cJSON_IsArray(rules) || cJSON_GetArraySize(rules) > POLICY_MAX_RULES)) {
        snprintf(err, errlen, "\"rules\" must be a list of at most %d rules", POLICY_MAX_RULES);
        goto fail;
    }
    size_t n = (size_t)cJSON_GetArraySize(rules);
    p->rules = n ? calloc(n, sizeof *p->rules) : NULL;
    if ((n && !p->rules) || !(p->default_route = strdup(def)))
        goto oom;
    const cJSON *ro;
    cJSON_ArrayForEach(ro, rules) {
        PolicyRule *r = &p->rules[p->n_rules++];
        if (parse_rule(ro, r, e2, sizeof e2) < 0) {
            snprintf(err, errlen, "rule %zu: %s", p->n_rules, e2);
            goto fail;
        }
    }
    cJSON_Delete(doc);
    return p;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    cJSON_Delete(doc);
    policy_free(p);
    return NULL;
}

Policy *policy_load(const char *path, char *err, size_t errlen)
{
    Buf text = { 0 };
    char e2[600];
    if (util_read_file(path, POLICY_MAX_FILE, &text, err, errlen) < 0)
        return NULL;
    Policy *p = policy_parse(text.data, text.len, e2, sizeof e2);
    buf_free(&text);
    if (!p)
        snprintf(err, errlen, "%s: %s", path, e2);
    return p;
}

long policy_estimate_tokens(const char *prompt)
{
    long chars = 0;
    for (const unsigned char *s = (const unsigned char *)prompt; *s; s++)
        chars += (*s & 0xC0) != 0x80; /* count UTF-8 lead bytes */
    return (chars + 3) / 4;
}

static bool rule_matches(const PolicyRule *r, const char *prompt, const char *category, Sensitivity sens,
                         long tokens)
{
    if (r->n_categories) {
        bool hit = false;
        for (size_t i = 0; i < r->n_categories && !hit; i++)
            hit = category && r->categories[i] && strcmp(category, r->categories[i]) == 0;
        if (!hit)
            return false;
    }
    if (r->has_sens && !r->sens[(unsigned)sens < 3 ? sens : 0])
        return false;
    if (r->min_tokens >= 0 && tokens < r->min_tokens)
        return false;
    if (r->max_tokens >= 0 && tokens > r->max_tokens)
        return false;
    /* a regex that runs out of steps on a huge prompt does not hold */
    if (r->re && regexp_search(r->re, prompt, strlen(prompt)) != 1)
        return false;
    return true;
}

static const char *route_impl(const Policy *p, const char *prompt, const char *category, Sensitivity sens,
                              const double *at, int *rule)
{
    long tokens = policy_estimate_tokens(prompt);
    for (size_t i = 0; i < p->n_rules; i++) {
        const PolicyRule *r = &p->rules[i];
        if (!rule_matches(r, prompt, category, sens, tokens))
            continue;
        if (rule)
            *rule = (int)i;
        if (!r->threshold)
            return r->route;
        return (double)tokens >= (at ? *at : r->at) ? r->strong : r->weak;
    }
    if (rule)
        *rule = -1;
    return p->default_route;
}

const char *policy_route(const Policy *p, const char *prompt, const char *category, Sensitivity sens, int *rule)
{
    return route_impl(p, prompt, category, sens, NULL, rule);
}

const char *policy_route_at(const Policy *p, const char *prompt, const char *category, Sensitivity sens,
                            double at, int *rule)
{
    return route_impl(p, prompt, category, sens, &at, rule);
}

const char *policy_rule_name(const Policy *p, int rule)
{
    static __thread char buf[32];
    if (rule < 0 || (size_t)rule >= p->n_rules)
        return "default";
    if (p->rules[rule].name)
        return p->rules[rule].name;
    snprintf(buf, sizeof buf, "rule %d", rule + 1);
    return buf;
}

bool policy_has_threshold(const Policy *p)
{
    for (size_t i = 0; i < p->n_rules; i++)
        if (p->rules[i].threshold)
            return true;
    return false;
}

const char *policy_verdict_name(PolicyVerdict v)
{
    static const char *const names[] = {
        [POLICY_PICK_WINNER] = "winner", [POLICY_PICK_TIE] = "tie", [POLICY_PICK_LOSER] = "loser",
        [POLICY_PICK_BOTH_BAD] = "both-bad", [POLICY_PICK_UNJUDGED] = "unjudged",
    };
    return (unsigned)v <= POLICY_PICK_UNJUDGED ? names[v] : "?";
}

/* 1 when routing case c to spec is a good pick (winner or tie), 0 when not,
 * -1 when it can not be judged. */
static int pick_quality(const FixtureCase *c, const char *spec, int *cand, PolicyVerdict *verdict)
{
    int k = session_round_find(&c->r, spec);
    if (cand)
        *cand = k;
    PolicyVerdict v = POLICY_PICK_UNJUDGED;
    int q = -1;
    if (k >= 0) {
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

static bool is_judged(const FixtureCase *c)
{
    return c->r.outcome != SESSION_UNLABELLED;
}

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

/* Quality of the policy with the threshold rule at `at` (over judged cases),
 * and the share of the threshold rule's cases sent to the strong model. */
static void curve_point(const Policy *p, const FixtureSet *set, double at, double *quality, double *share)
{
    size_t good = 0, judged = 0, in_rule = 0, strong = 0;
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        int rule;
        const char *route = policy_route_at(p, c->r.prompt, c->r.category, c->r.sensitivity, at, &rule);
        if (rule >= 0 && p->rules[rule].threshold) {
            in_rule++;
            strong += route == p->rules[rule].strong;
        }
        if (!is_judged(c))
            continue;
        judged++;
        good += pick_quality(c, route, NULL, NULL) == 1;
    }
    *quality = judged ? (double)good / (double)judged : NAN;
    *share = in_rule ? (double)strong / (double)in_rule : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_point(const void *a, const void *b)
{
    const PolicyCurvePoint *x = a, *y = b;
    if (x->strong_share != y->strong_share)
        return x->strong_share < y->strong_share ? -1 : 1;
    return (x->at < y->at) - (x->at > y->at); /* higher threshold first at equal share */
}

/* Smallest strong share where the curve first reaches pgr target (linear
 * interpolation between points), NAN when it never does. */
static double cpt(const PolicyCurvePoint *c, size_t n, double target)
{
    for (size_t i = 0; i < n; i++) {
        if (!(c[i].pgr >= target))
            continue;
        if (i == 0 || c[i - 1].pgr >= c[i].pgr)
            return c[i].strong_share;
        double f = (target - c[i - 1].pgr) / (c[i].pgr - c[i - 1].pgr);
        return c[i - 1].strong_share + f * (c[i].strong_share - c[i - 1].strong_share);
    }
    return NAN;
}

static int build_curve(const Policy *p, const FixtureSet *set, PolicyReport *out)
{
    /* thresholds: every distinct token count of a case, plus +inf (all weak);
     * the lowest count sends every rule case to the strong model */
    double *ats = malloc((set->n + 1) * sizeof *ats);
    if (!ats)
        return -1;
    size_t n = 0;
    for (size_t i = 0; i < set->n; i++)
        ats[n++] = (double)policy_estimate_tokens(set->cases[i].r.prompt);
    ats[n++] = INFINITY;
    qsort(ats, n, sizeof *ats, cmp_double);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || ats[i] != ats[u - 1])
            ats[u++] = ats[i];
    out->curve = calloc(u + 1, sizeof *out->curve);
    if (!out->curve) {
        free(ats);
        return -1;
    }
    double share;
    curve_point(p, set, -INFINITY, &out->q_strong, &share);
    curve_point(p, set, INFINITY, &out->q_weak, &share);
    double gap = out->q_strong - out->q_weak;
    for (size_t i = 0; i < u; i++) {
        PolicyCurvePoint *pt = &out->curve[out->n_curve];
        pt->at = ats[i];
        curve_point(p, set, ats[i], &pt->quality, &pt->strong_share);
        if (isnan(pt->strong_share))
            continue;
        pt->pgr = gap != 0 ? (pt->quality - out->q_weak) / gap : NAN;
        out->n_curve++;
    }
    free(ats);
    qsort(out->curve, out->n_curve, sizeof *out->curve, cmp_point);
    /* APGR as RouteLLM computes it: the area between the curve and the weak
     * model's quality over the area between the strong and weak qualities
     * (trapezoids over the strong-call share) */
    out->apgr = out->cpt50 = out->cpt80 = NAN;
    if (out->n_curve >= 2 && gap != 0) {
        double area = 0, span = out->curve[out->n_curve - 1].strong_share - out->curve[0].strong_share;
        for (size_t i = 1; i < out->n_curve; i++) {
            double dx = out->curve[i].strong_share - out->curve[i - 1].strong_share;
            area += dx * ((out->curve[i].quality + out->curve[i - 1].quality) / 2 - out->q_weak);
        }
        if (span > 0)
            out->apgr = area / (span * gap);
        out->cpt50 = cpt(out->curve, out->n_curve, 0.5);
        out->cpt80 = cpt(out->curve, out->n_curve, 0.8);
    }
    return 0;
}

static int check_cases(const Policy *p, const FixtureSet *set, const Config *cfg, PolicyReport *out, char *err,
                       size_t errlen);

int policy_check(const Policy *p, const FixtureSet *set, PolicyReport *out, char *err, size_t errlen)
{
    return policy_check_config(p, set, NULL, out, err, errlen);
}

int policy_check_config(const Policy *p, const FixtureSet *set, const Config *cfg, PolicyReport *out, char *err,
                        size_t errlen)
{
    Config *empty = cfg ? NULL : config_new_empty();
    if (!cfg && !empty) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = check_cases(p, set, cfg ? cfg : empty, out, err, errlen);
    config_free(empty);
    return rc;
}

static int check_cases(const Policy *p, const FixtureSet *set, const Config *cfg, PolicyReport *out, char *err,
                       size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->quality = out->best_quality = out->oracle_quality = out->quality_retained = NAN;
    out->cost_ratio = out->mean_cost_usd = out->apgr = out->cpt50 = out->cpt80 = NAN;
    out->q_strong = out->q_weak = NAN;
    out->cases = set->n ? calloc(set->n, sizeof *out->cases) : NULL;
    if (set->n && !out->cases)
        goto oom;
    out->n_cases = set->n;
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        PolicyCaseResult *res = &out->cases[i];
        res->c = c;
        res->route = policy_route(p, c->r.prompt, c->r.category, c->r.sensitivity, &res->rule);
        pick_quality(c, res->route, &res->candidate, &res->verdict);
        const Reply *cand = res->candidate >= 0 ? c->r.replies[res->candidate] : NULL;
        /* the same decision a run makes (providers/target.h) */
        res->violation = !target_sensitivity_allows(cfg, res->route, c->r.sensitivity, res->why, sizeof res->why);
        res->cost_usd = cand ? cand->metrics.cost_usd : NAN;
        switch (res->verdict) {
        case POLICY_PICK_WINNER: out->winners++; break;
        case POLICY_PICK_TIE: out->ties++; break;
        case POLICY_PICK_LOSER: out->losers++; break;
        case POLICY_PICK_BOTH_BAD: out->both_bad++; break;
        case POLICY_PICK_UNJUDGED: out->unjudged++; break;
        }
        out->violations += res->violation;
        if (is_judged(c)) {
            out->judged++;
        }
        if (isfinite(res->cost_usd)) {
            out->cost_usd += res->cost_usd;
            out->cost_known++;
        }
    }
    size_t n_both_bad_cases = 0;
    for (size_t i = 0; i < set->n; i++)
        n_both_bad_cases += set->cases[i].r.outcome == SESSION_BOTH_BAD;
    if (out->judged) {
        out->quality = (double)(out->winners + out->ties) / (double)out->judged;
        out->oracle_quality = (double)(out->judged - n_both_bad_cases) / (double)out->judged;
    }
    if (out->cost_known)
        out->mean_cost_usd = out->cost_usd / (double)out->cost_known;
    /* always-one-model baselines */
    const char **models = NULL;
    size_t nm = collect_models(set, &models);
    out->best_quality = NAN;
    out->priciest_cost_usd = NAN;
    for (size_t m = 0; m < nm; m++) {
        size_t good = 0;
        double cost = 0;
        for (size_t i = 0; i < set->n; i++) {
            const FixtureCase *c = &set->cases[i];
            int k;
            if (is_judged(c))
                good += pick_quality(c, models[m], &k, NULL) == 1;
            else
                k = session_round_find(&c->r, models[m]);
            if (k >= 0 && isfinite(c->r.replies[k]->metrics.cost_usd))
                cost += c->r.replies[k]->metrics.cost_usd;
        }
        double q = out->judged ? (double)good / (double)out->judged : NAN;
        if (!isnan(q) && (isnan(out->best_quality) || q > out->best_quality)) {
            out->best_quality = q;
            snprintf(out->best_model, sizeof out->best_model, "%s", models[m]);
        }
        if (isnan(out->priciest_cost_usd) || cost > out->priciest_cost_usd) {
            out->priciest_cost_usd = cost;
            snprintf(out->priciest_model, sizeof out->priciest_model, "%s", models[m]);
        }
    }
    free(models);
    if (out->best_quality > 0)
        out->quality_retained = out->quality / out->best_quality;
    if (out->priciest_cost_usd > 0)
        out->cost_ratio = out->cost_usd / out->priciest_cost_usd;
    if (policy_has_threshold(p) && build_curve(p, set, out) < 0)
        goto oom;
    return 0;
oom:
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

static void pct(Buf *b, const char *label, double v)
{
    if (isnan(v))
        buf_printf(b, "%-34s n/a\n", label);
    else
        buf_printf(b, "%-34s %.1f%%\n", label, 100 * v);
}

int policy_report_format(const Policy *p, const PolicyReport *r, double volume, Buf *b)
{
    size_t b0 = b->len;
    buf_printf(b, "%zu cases, %zu judged\n", r->n_cases, r->judged);
    buf_printf(b, "  winner picks %zu, tie picks %zu, loser picks %zu, both-bad %zu, unjudged %zu\n",
               r->winners, r->ties, r->losers, r->both_bad, r->unjudged);
    buf_printf(b, "  sensitivity violations %zu\n\n", r->violations);
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
        buf_puts(b, "Not judged (the route is not among the case's candidates, or the case is unlabelled):\n");
        for (size_t i = 0; i < r->n_cases; i++)
            if (r->cases[i].verdict == POLICY_PICK_UNJUDGED)
                buf_printf(b, "  %s → %s\n", r->cases[i].c->id ? r->cases[i].c->id : "(no id)", r->cases[i].route);
        buf_puts(b, "\n");
    }
    pct(b, "quality (winner or tie picks)", r->quality);
    if (r->best_model[0]) {
        char label[320];
        snprintf(label, sizeof label, "always-best (%s)", r->best_model);
        pct(b, label, r->best_quality);
    }
    pct(b, "quality retained vs always-best", r->quality_retained);
    pct(b, "perfect router (oracle)", r->oracle_quality);
    buf_printf(b, "%-34s $%.6f over %zu cases with a known cost\n", "cost", r->cost_usd, r->cost_known);
    if (r->priciest_model[0])
        buf_printf(b, "%-34s $%.6f (%s)\n", "always-most-expensive", r->priciest_cost_usd, r->priciest_model);
    pct(b, "cost vs always-most-expensive", r->cost_ratio);
    if (volume > 0) {
        if (isnan(r->mean_cost_usd))
            buf_printf(b, "%-34s n/a (no known costs)\n", "projected monthly cost");
        else
            buf_printf(b, "projected monthly cost at %.0f requests: $%.2f\n", volume, r->mean_cost_usd * volume);
    }
    if (r->curve) {
        buf_printf(b, "\nThreshold curve (quality with the threshold rule always strong %.1f%%, always weak %.1f%%):\n",
                   100 * r->q_strong, 100 * r->q_weak);
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
        pct(b, "APGR", r->apgr);
        pct(b, "CPT(50%) strong calls", r->cpt50);
        pct(b, "CPT(80%) strong calls", r->cpt80);
    }
    buf_printf(b, "\n%s\n", policy_report_failed(r) ? "FAIL" : "PASS");
    return b->len > b0 ? 0 : -1;
}
