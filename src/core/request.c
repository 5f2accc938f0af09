/* request.c — defaults and names for Request fields (see request.h). */
#include "core/request.h"

#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Params params_default(void)
{
    return (Params){ .max_tokens = PARAM_UNSET_INT, .temperature = NAN, .top_p = NAN,
                     .top_k = PARAM_UNSET_INT, .min_p = NAN, .repeat_penalty = NAN,
                     .seed = PARAM_UNSET_INT, .seed_set = false, .timeout_s = 0,
                     .context_length = PARAM_UNSET_INT, .raw = false,
                     .reasoning = { .effort = REASONING_UNSET, .budget_tokens = 0 } };
}

static const char *const sensitivity_names[] = {
    [SENSITIVITY_PUBLIC] = "public",
    [SENSITIVITY_INTERNAL] = "internal",
    [SENSITIVITY_RESTRICTED] = "restricted",
};

int sensitivity_parse(const char *name, Sensitivity *out)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, sensitivity_names[i]) == 0) {
            *out = (Sensitivity)i;
            return 0;
        }
    return -1;
}

const char *sensitivity_name(Sensitivity s)
{
    return (unsigned)s < 3 ? sensitivity_names[s] : "public";
}

Params params_unset(void) { return params_default(); }

typedef enum ParamKind { PARAM_INT, PARAM_REAL } ParamKind;

static const struct {
    const char *name;
    ParamKind kind;
    double min, max;
} param_table[] = {
    { "max_tokens", PARAM_INT, 1, 10000000 },
    { "temperature", PARAM_REAL, 0, 2 },
    { "top_p", PARAM_REAL, 0, 1 },
    { "top_k", PARAM_INT, 0, 1000000 },
    { "min_p", PARAM_REAL, 0, 1 },
    { "repeat_penalty", PARAM_REAL, 0, 10 },
    { "seed", PARAM_INT, 0, 9007199254740991.0 },
    { "timeout", PARAM_REAL, 0, 86400 },
    { "context_length", PARAM_INT, 16, 10000000 },
};

const char *const *params_names(void)
{
    static const char *const names[] = { "max_tokens", "temperature", "top_p", "top_k", "min_p",
                                         "repeat_penalty", "seed", "timeout", "context_length",
                                         "reasoning", NULL };
    return names;
}

int params_set(Params *p, const char *name, const char *value, char *err, size_t errlen)
{
    if (strcmp(name, "reasoning") == 0)
        return reasoning_parse(value, &p->reasoning, err, errlen);
    for (size_t i = 0; i < sizeof param_table / sizeof param_table[0]; i++) {
        if (strcmp(param_table[i].name, name) != 0)
            continue;
        char *end = NULL;
        errno = 0;
        double v = strtod(value, &end);
        bool bad = !value[0] || errno || !end || *end || isnan(v) || v < param_table[i].min ||
                   v > param_table[i].max || (param_table[i].kind == PARAM_INT && v != floor(v));
        if (bad) {
            if (param_table[i].kind == PARAM_INT)
                snprintf(err, errlen, "%s must be a whole number from %.0f to %.0f (got '%s')", name,
                         param_table[i].min, param_table[i].max, value);
            else
                snprintf(err, errlen, "%s must be a number from %g to %g (got '%s')", name,
                         param_table[i].min, param_table[i].max, value);
            return -1;
        }
        switch (i) {
        case 0: p->max_tokens = (long)v; break;
        case 1: p->temperature = v; break;
        case 2: p->top_p = v; break;
        case 3: p->top_k = (long)v; break;
        case 4: p->min_p = v; break;
        case 5: p->repeat_penalty = v; break;
        case 6: p->seed = (long)v; p->seed_set = true; break;
        case 7: p->timeout_s = v; break;
        case 8: p->context_length = (long)v; break;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown parameter '%s' (known: max_tokens, temperature, top_p, top_k, min_p, "
             "repeat_penalty, seed, timeout, context_length, reasoning)", name);
    return -1;
}

void params_overlay(Params *dst, const Params *over)
{
    if (over->max_tokens != PARAM_UNSET_INT) dst->max_tokens = over->max_tokens;
    if (!isnan(over->temperature)) dst->temperature = over->temperature;
    if (!isnan(over->top_p)) dst->top_p = over->top_p;
    if (over->top_k != PARAM_UNSET_INT) dst->top_k = over->top_k;
    if (!isnan(over->min_p)) dst->min_p = over->min_p;
    if (!isnan(over->repeat_penalty)) dst->repeat_penalty = over->repeat_penalty;
    if (over->seed_set) { dst->seed = over->seed; dst->seed_set = true; }
    if (over->timeout_s > 0) dst->timeout_s = over->timeout_s;
    if (over->context_length != PARAM_UNSET_INT) dst->context_length = over->context_length;
    if (over->raw) dst->raw = true;
    if (over->reasoning.effort != REASONING_UNSET) dst->reasoning = over->reasoning;
}

/* ---- reasoning ------------------------------------------------------------ */

static const char *const reasoning_names[] = {
    [REASONING_OFF] = "off", [REASONING_LOW] = "low", [REASONING_MEDIUM] = "medium",
    [REASONING_HIGH] = "high",
};

int reasoning_parse(const char *text, Reasoning *out, char *err, size_t errlen)
{
    for (int e = REASONING_OFF; e <= REASONING_HIGH; e++)
        if (text && strcmp(text, reasoning_names[e]) == 0) {
            *out = (Reasoning){ .effort = (ReasoningEffort)e };
            return 0;
        }
    char *end = NULL;
    errno = 0;
    long v = text && text[0] >= '0' && text[0] <= '9' ? strtol(text, &end, 10) : -1;
    if (v < 0 || errno || !end || *end || v > 10000000) {
        snprintf(err, errlen, "reasoning must be off, low, medium, high or a budget in tokens from 0 "
                 "to 10000000 (got '%s')", text ? text : "");
        return -1;
    }
    *out = v == 0 ? (Reasoning){ .effort = REASONING_OFF }
                  : (Reasoning){ .effort = REASONING_BUDGET, .budget_tokens = v };
    return 0;
}

void reasoning_format(const Reasoning *r, char *out, size_t n)
{
    if (r->effort == REASONING_BUDGET)
        snprintf(out, n, "%ld", r->budget_tokens);
    else
        snprintf(out, n, "%s", r->effort == REASONING_UNSET ? "" : reasoning_names[r->effort]);
}

long reasoning_budget_tokens(const Reasoning *r)
{
    switch (r->effort) {
    case REASONING_UNSET: return -1;
    case REASONING_OFF: return 0;
    case REASONING_LOW: return REASONING_LOW_TOKENS;
    case REASONING_MEDIUM: return REASONING_MEDIUM_TOKENS;
    case REASONING_HIGH: return REASONING_HIGH_TOKENS;
    case REASONING_BUDGET: return r->budget_tokens;
    }
    return -1;
}

ReasoningEffort reasoning_level(const Reasoning *r)
{
    if (r->effort != REASONING_BUDGET)
        return r->effort;
    return r->budget_tokens < 2048 ? REASONING_LOW : r->budget_tokens < 8192 ? REASONING_MEDIUM : REASONING_HIGH;
}

const char *reasoning_level_name(ReasoningEffort level)
{
    return level >= REASONING_OFF && level <= REASONING_HIGH ? reasoning_names[level] : NULL;
}
