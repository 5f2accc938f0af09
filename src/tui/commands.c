/* commands.c — parsing `:` commands and `:set` parameters (commands.h). */
#include "tui/commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/suggest.h"

typedef struct CommandSpec {
    const char *name;
    CommandKind kind;
    int min_args, max_args; /* -1: any */
    const char *usage;
} CommandSpec;

static const CommandSpec specs[] = {
    { "models", CMD_MODELS, 1, 9, ":models SPEC... (1 to 9 models)" },
    { "system", CMD_SYSTEM, 0, -1, ":system TEXT" },
    { "set", CMD_SET, 0, 2,
      ":set [temperature|max_tokens|top_p|top_k|min_p|repeat_penalty|seed|timeout|reasoning VALUE]" },
    { "reasoning", CMD_REASONING, 0, 1, ":reasoning [show|hide|off|low|medium|high|TOKENS|unset]" },
    { "sensitivity", CMD_SENSITIVITY, 1, 1, ":sensitivity public|internal|restricted" },
    { "prompt", CMD_PROMPT, 1, 1, ":prompt NAME" },
    { "prompts", CMD_PROMPTS, 0, 0, ":prompts" },
    { "theme", CMD_THEME, 1, 1, ":theme NAME" },
    { "layout", CMD_LAYOUT, 1, 1, ":layout auto|columns|rows" },
    { "blind", CMD_BLIND, 0, 0, ":blind" },
    { "save", CMD_SAVE, 0, 0, ":save" },
    { "export", CMD_EXPORT, 0, 1, ":export [FILE]" },
    { "help", CMD_HELP, 0, 0, ":help" },
    { "new", CMD_NEW, 0, 0, ":new" },
    { "q", CMD_QUIT, 0, 0, ":q" },
    { "quit", CMD_QUIT, 0, 0, ":quit" },
};

static const char *const names[] = { "models", "new", "system", "set", "sensitivity", "prompt", "prompts", "theme",
                                     "layout", "blind", "save", "export", "help", "quit", "reasoning", NULL };
static const char *const param_names[] = { "temperature", "max_tokens", "top_p",   "top_k",     "min_p",
                                           "repeat_penalty", "seed",     "timeout", "reasoning", NULL };

const char *const *commands_names(void)
{
    return names;
}

const char *const *commands_param_names(void)
{
    return param_names;
}

int commands_parse(const char *line, Command *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *p = line;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != ':') {
        snprintf(err, errlen, "commands start with ':'");
        return -1;
    }
    p++;
    const char *w = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    size_t wl = (size_t)(p - w);
    while (isspace((unsigned char)*p))
        p++;
    out->rest = p;
    const CommandSpec *spec = NULL;
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
        if (strlen(specs[i].name) == wl && strncmp(specs[i].name, w, wl) == 0)
            spec = &specs[i];
    if (!spec) {
        char word[48];
        snprintf(word, sizeof word, "%.*s", (int)(wl > 40 ? 40 : wl), w);
        const char *known[sizeof specs / sizeof specs[0]];
        for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++)
            known[i] = specs[i].name;
        const char *near = suggest_nearest(word, known, sizeof specs / sizeof specs[0]);
        snprintf(err, errlen, "unknown command ':%s'%s%s%s (:help lists them)", word, near ? " (did you mean :" : "",
                 near ? near : "", near ? "?)" : "");
        return -1;
    }
    out->kind = spec->kind;
    /* split rest into words */
    const char *q = p;
    while (*q) {
        while (isspace((unsigned char)*q))
            q++;
        if (!*q)
            break;
        const char *st = q;
        while (*q && !isspace((unsigned char)*q))
            q++;
        if (out->argc >= COMMANDS_MAX_ARGS) {
            snprintf(err, errlen, "too many arguments; usage: %s", spec->usage);
            return -1;
        }
        size_t l = (size_t)(q - st);
        if (l >= sizeof out->argv[0]) {
            snprintf(err, errlen, "argument too long; usage: %s", spec->usage);
            return -1;
        }
        memcpy(out->argv[out->argc], st, l);
        out->argv[out->argc][l] = '\0';
        out->argc++;
    }
    if (out->argc < spec->min_args || (spec->max_args >= 0 && out->argc > spec->max_args) ||
        (spec->kind == CMD_SET && out->argc == 1)) {
        snprintf(err, errlen, "usage: %s", spec->usage);
        return -1;
    }
    return 0;
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || errno || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int commands_set_param(Params *p, const char *name, const char *value, char *err, size_t errlen)
{
    bool unset = strcmp(value, "unset") == 0 || strcmp(value, "default") == 0;
    double d;
    long l;
    if (strcmp(name, "temperature") == 0) {
        if (unset)
            p->temperature = NAN;
        else if (parse_double(value, 0, 2, &d) == 0)
            p->temperature = d;
        else
            goto bad_range;
    } else if (strcmp(name, "top_p") == 0) {
        if (unset)
            p->top_p = NAN;
        else if (parse_double(value, 0, 1, &d) == 0 && d > 0)
            p->top_p = d;
        else
            goto bad_range;
    } else if (strcmp(name, "max_tokens") == 0) {
        if (unset)
            p->max_tokens = PARAM_UNSET_INT;
        else if (parse_long(value, 1, 10000000, &l) == 0)
            p->max_tokens = l;
        else
            goto bad_range;
    } else if (strcmp(name, "top_k") == 0) {
        if (unset)
            p->top_k = PARAM_UNSET_INT;
        else if (parse_long(value, 1, 100000, &l) == 0)
            p->top_k = l;
        else
            goto bad_range;
    } else if (strcmp(name, "seed") == 0) {
        if (unset) {
            p->seed = PARAM_UNSET_INT;
            p->seed_set = false;
        } else if (parse_long(value, 0, LONG_MAX, &l) == 0) {
            p->seed = l;
            p->seed_set = true;
        } else {
            goto bad_range;
        }
    } else if (strcmp(name, "timeout") == 0) {
        if (unset)
            p->timeout_s = 0;
        else if (parse_double(value, 0, 86400, &d) == 0)
            p->timeout_s = d;
        else
            goto bad_range;
    } else if (strcmp(name, "min_p") == 0 || strcmp(name, "repeat_penalty") == 0) {
        /* local engine only: core's ranges and messages */
        if (unset)
            *(name[0] == 'm' ? &p->min_p : &p->repeat_penalty) = NAN;
        else if (params_set(p, name, value, err, errlen) < 0)
            return -1;
    } else if (strcmp(name, "reasoning") == 0) {
        if (unset)
            p->reasoning = (Reasoning){ .effort = REASONING_UNSET };
        else if (reasoning_parse(value, &p->reasoning, err, errlen) < 0)
            return -1;
    } else {
        const char *near = suggest_nearest(name, param_names, sizeof param_names / sizeof param_names[0] - 1);
        snprintf(err, errlen, "unknown parameter '%s'%s%s%s (temperature, max_tokens, top_p, top_k, min_p, "
                 "repeat_penalty, seed, timeout, reasoning)", name, near ? " (did you mean " : "", near ? near : "",
                 near ? "?)" : "");
        return -1;
    }
    return 0;
bad_range:
    snprintf(err, errlen, "%s: '%s' is out of range (temperature 0..2, top_p (0,1], max_tokens 1..10000000, "
                          "top_k 1..100000, seed 0.., timeout 0..86400 s; or 'unset')",
             name, value);
    return -1;
}

bool commands_params_set(const Params *p)
{
    return !isnan(p->temperature) || p->max_tokens != PARAM_UNSET_INT || !isnan(p->top_p) ||
           p->top_k != PARAM_UNSET_INT || !isnan(p->min_p) || !isnan(p->repeat_penalty) || p->seed_set ||
           p->timeout_s > 0 || p->reasoning.effort != REASONING_UNSET;
}

void commands_describe_params(const Params *p, char *out, size_t outlen)
{
    size_t pos = 0;
    out[0] = '\0';
#define ADD(...)                                                                                                  \
    do {                                                                                                          \
        if (pos < outlen) {                                                                                       \
            int k_ = snprintf(out + pos, outlen - pos, __VA_ARGS__);                                              \
            if (k_ > 0)                                                                                           \
                pos += (size_t)k_;                                                                                \
        }                                                                                                         \
    } while (0)
    if (!isnan(p->temperature))
        ADD("%stemperature=%g", pos ? " " : "", p->temperature);
    if (p->max_tokens != PARAM_UNSET_INT)
        ADD("%smax_tokens=%ld", pos ? " " : "", p->max_tokens);
    if (!isnan(p->top_p))
        ADD("%stop_p=%g", pos ? " " : "", p->top_p);
    if (p->top_k != PARAM_UNSET_INT)
        ADD("%stop_k=%ld", pos ? " " : "", p->top_k);
    if (!isnan(p->min_p))
        ADD("%smin_p=%g", pos ? " " : "", p->min_p);
    if (!isnan(p->repeat_penalty))
        ADD("%srepeat_penalty=%g", pos ? " " : "", p->repeat_penalty);
    if (p->seed_set)
        ADD("%sseed=%ld", pos ? " " : "", p->seed);
    if (p->timeout_s > 0)
        ADD("%stimeout=%gs", pos ? " " : "", p->timeout_s);
    if (p->reasoning.effort != REASONING_UNSET) {
        char rs[32];
        reasoning_format(&p->reasoning, rs, sizeof rs);
        ADD("%sreasoning=%s", pos ? " " : "", rs);
    }
    if (pos == 0)
        ADD("provider defaults");
#undef ADD
}
