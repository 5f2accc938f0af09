/* costs.h — what each recorded reply cost, priced alike for a report or a
 * policy check: API replies keep the cost recorded from the price table;
 * replies of models that run on the user's hardware (local:, Ollama, or any
 * reply whose cost was estimated) are re-priced from the config's local_cost
 * over one pair of speeds per model — the medians of the prompt and decode
 * tokens/s measured in its replies, or `versus bench` results for its model
 * file — so every reply of a model pays the same $ per 1M tokens, recordings
 * from before local_cost included. Not for live runs (run.c prices each
 * reply from its own speed). */
#ifndef VERSUS_COSTS_H
#define VERSUS_COSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "store/fixture.h"

/* Speeds `versus bench --format json` measured for one model file. */
typedef struct BenchSpeed {
    char file[256];     /* the model file's name (no directory) */
    double prompt_tps;  /* the pp test's median tokens/s */
    double decode_tps;  /* the tg test's median tokens/s */
} BenchSpeed;

/* Reads one `versus bench --format json` document. 0, or -1 with err. */
int costs_bench_parse(const char *text, size_t len, BenchSpeed *out, char *err, size_t errlen);

/* How one model was priced. */
typedef struct CostsModel {
    char spec[256];           /* candidate_key of its replies: the spec, or "local:FILE" */
    bool local;               /* runs on the user's hardware */
    double prompt_tps, decode_tps; /* the speeds it was priced at, NAN unknown */
    const char *speed_source; /* "measured in N replies" / "versus bench" */
    double in_per_mtok, out_per_mtok; /* USD per 1M tokens, NAN unknown */
    char basis[64];           /* PRICES_BASIS_* or "price table" / "unknown" */
} CostsModel;

typedef struct CostsSummary {
    CostsModel *models; /* (n) */
    size_t n;
    LocalCost local;    /* the rate local models were priced with */
} CostsSummary;

/* True for a reply of a model on the user's hardware. */
bool costs_reply_is_local(const Reply *r);
/* True for a reply of a closed API (openai, anthropic, gemini, or a closed provider). */
bool costs_reply_is_closed(const Reply *r);

/* Re-prices every local reply of set in place (metrics.cost_usd,
 * cost_basis, $/1M) and describes how each model was priced. bench may be
 * NULL (n_bench 0). 0, or -1 with err (out of memory). */
int costs_price(FixtureSet *set, const LocalCost *lc, const BenchSpeed *bench, size_t n_bench, CostsSummary *out,
                char *err, size_t errlen);
void costs_summary_free(CostsSummary *s);
/* The model counted under key (candidate_key of a reply), or NULL. */
const CostsModel *costs_model(const CostsSummary *s, const char *key);

#endif
