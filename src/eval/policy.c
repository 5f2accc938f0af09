/* policy.c — routing policies: parsing and routing (see policy.h). Checking
 * a policy against labelled cases is policy_check.c. */
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

/* One spec: 0, or -1 with err saying where it is (what) and why it does not resolve. */
static int resolve_one(const Config *cfg, const char *spec, const char *where, char *err, size_t errlen)
{
    ModelTarget t;
    char why[800];
    if (target_resolve(cfg, spec, &t, why, sizeof why) == 0)
        return 0;
    snprintf(err, errlen, "%s \"%s\" does not resolve: %s", where, spec, why);
    return -1;
}

int policy_resolve_routes(const Policy *p, const Config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < p->n_rules; i++) {
        const PolicyRule *r = &p->rules[i];
        char rule[320], where[400];
        if (r->name)
            snprintf(rule, sizeof rule, "rule %zu (%.200s)", i + 1, r->name);
        else
            snprintf(rule, sizeof rule, "rule %zu", i + 1);
        const char *const specs[3] = { r->route, r->strong, r->weak };
        static const char *const what[3] = { "route", "strong", "weak" };
        for (int k = 0; k < 3; k++) {
            if (!specs[k])
                continue;
            snprintf(where, sizeof where, "%s: %s", rule, what[k]);
            if (resolve_one(cfg, specs[k], where, err, errlen) < 0)
                return -1;
        }
    }
    return resolve_one(cfg, p->default_route, "default route", err, errlen);
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

bool policy_rule_threshold(const Policy *p, int rule, const char **strong, const char **weak)
{
    if (rule < 0 || (size_t)rule >= p->n_rules || !p->rules[rule].threshold)
        return false;
    *strong = p->rules[rule].strong;
    *weak = p->rules[rule].weak;
    return true;
}
