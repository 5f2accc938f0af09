/* request.h — what one round asks of a model: the system prompt, the
 * conversation so far (each model its own: its earlier replies), the new
 * user message, and parameters.
 *
 * A Request is built once per round and shared read-only by every provider;
 * each provider translates it to its own wire format. Unset parameters are
 * left to the provider's default and not sent at all. */
#ifndef VERSUS_REQUEST_H
#define VERSUS_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define PARAM_UNSET_INT (-1L)

/* How much a model should reason before answering (--reasoning). */
typedef enum ReasoningEffort {
    REASONING_UNSET,  /* not asked: each model's own default */
    REASONING_OFF,    /* as little as the model allows (some always reason) */
    REASONING_LOW,
    REASONING_MEDIUM,
    REASONING_HIGH,
    REASONING_BUDGET, /* a budget in tokens: Reasoning.budget_tokens */
} ReasoningEffort;

typedef struct Reasoning {
    ReasoningEffort effort;
    long budget_tokens; /* REASONING_BUDGET: the budget (>= 1), else 0 */
} Reasoning;

/* The thinking budgets the levels stand for where an API takes a budget
 * (Anthropic budget_tokens, Gemini thinkingBudget). */
#define REASONING_LOW_TOKENS 1024L
#define REASONING_MEDIUM_TOKENS 4096L
#define REASONING_HIGH_TOKENS 16384L

typedef struct Params {
    long max_tokens;      /* output cap, or PARAM_UNSET_INT */
    double temperature;   /* or NAN when unset */
    double top_p;         /* or NAN */
    long top_k;           /* or PARAM_UNSET_INT (local engine, Ollama, Gemini) */
    double min_p;         /* or NAN (local engine) */
    double repeat_penalty;/* or NAN (local engine) */
    long seed;            /* or PARAM_UNSET_INT (the seed 0..LONG_MAX) */
    bool seed_set;        /* seed holds a value */
    double timeout_s;     /* per-request limit on the whole stream; <= 0 means none */
    long context_length;  /* local engine KV cache, or PARAM_UNSET_INT */
    bool raw;             /* local engine: send the prompt untouched, no chat template */
    Reasoning reasoning;  /* effort.REASONING_UNSET when not asked */
} Params;

typedef enum Sensitivity {
    SENSITIVITY_PUBLIC,
    SENSITIVITY_INTERNAL,
    SENSITIVITY_RESTRICTED,
} Sensitivity;

/* One earlier message of a conversation. */
typedef struct Message {
    const char *role;    /* "user" | "assistant" */
    const char *content; /* UTF-8 */
} Message;

typedef struct Request {
    const char *system;     /* system prompt, or NULL */
    const Message *history; /* (n_history) the conversation before prompt, oldest first,
                               user and assistant turns; NULL: prompt stands alone */
    size_t n_history;
    const char *prompt;     /* the user's (new) message, UTF-8 */
    Params params;
    Sensitivity sensitivity;
} Request;

/* Parameters with everything unset. */
Params params_default(void);
/* Same as params_default(): an overlay that changes nothing yet. */
Params params_unset(void);
/* Sets one parameter by name ("max_tokens", "temperature", "top_p", "top_k",
 * "min_p", "repeat_penalty", "seed", "timeout", "context_length", "reasoning")
 * from text, checking its range; 0, or -1 with err naming the accepted range. */
int params_set(Params *p, const char *name, const char *value, char *err, size_t errlen);
/* Copies every parameter set in over into dst. */
void params_overlay(Params *dst, const Params *over);
/* The names params_set accepts, NULL-terminated (for completion and help). */
const char *const *params_names(void);
/* "public" | "internal" | "restricted"; returns 0 or -1 for an unknown name. */
int sensitivity_parse(const char *name, Sensitivity *out);
const char *sensitivity_name(Sensitivity s);

/* "off", "low", "medium", "high" or a budget in tokens ("0" is off); 0, or
 * -1 with err saying what is accepted. */
int reasoning_parse(const char *text, Reasoning *out, char *err, size_t errlen);
/* The same spelling back ("high", "8000"); "" when unset. */
void reasoning_format(const Reasoning *r, char *out, size_t n);
/* The budget in tokens (a level's REASONING_*_TOKENS); 0 for off, -1 when unset. */
long reasoning_budget_tokens(const Reasoning *r);
/* The level (a budget maps to low below 2048, medium below 8192, else high);
 * REASONING_OFF / REASONING_UNSET as they are. */
ReasoningEffort reasoning_level(const Reasoning *r);
/* "low" | "medium" | "high" for a level, "off", or NULL when unset. */
const char *reasoning_level_name(ReasoningEffort level);

#endif
