/* prices.h — what a reply cost, from reported usage and a price table.
 *
 * The table ships as data/prices.json (installed in $(pkgdatadir)); the user
 * can replace it ($XDG_CONFIG_HOME/versus/prices.json, or VERSUS_PRICES) or
 * override single models in config.json. Unknown model → unknown cost (NAN),
 * never 0.
 *
 * A local model or a server on the user's own machines (local:, Ollama, a
 * loopback or private endpoint) runs on hardware that costs money per hour
 * (config "local_cost", see config.h). Its price per 1M tokens is that
 * hourly rate divided by the speed versus measures on the machine:
 *   input  = hour_usd / 3600 / prompt tokens per s × 10^6
 *   output = hour_usd / 3600 / decode tokens per s × 10^6
 * (one request at a time: batching would lower it), marked "estimated from
 * measured speed". Without a local_cost the cost is unknown; it is $0 only
 * when the config says "free". */
#ifndef VERSUS_PRICES_H
#define VERSUS_PRICES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/stream.h"

typedef struct PriceTable PriceTable;

/* USD per million tokens. */
typedef struct Price {
    double input;
    double cached_input; /* cache reads */
    double cache_write;  /* Anthropic 5-minute cache creation (defaults to 1.25 × input) */
    double cache_write_1h; /* Anthropic 1-hour cache creation (0: the default, 2 × input) */
    double output;
    double reasoning;    /* reasoning tokens (0: the default, output: every provider bills them so) */
    char checked[16];    /* date the row was checked, "" when unknown */
    bool free_local;     /* a local model or server the config calls free: cost 0 */
    bool local;          /* runs on the user's hardware: priced by hour_usd and measured speed */
    double hour_usd;     /* local: per busy hour, NAN when the config states none */
    bool estimated;      /* local: input/output were set from measured speed (prices_local_rate) */
} Price;

/* How a cost was reached, as written in results and reports. */
#define PRICES_BASIS_TABLE "price table"
#define PRICES_BASIS_REPORTED "reported by the provider"
#define PRICES_BASIS_ESTIMATED "estimated from measured speed"
#define PRICES_BASIS_FREE "free (config)"
#define PRICES_BASIS_LOCAL_UNPRICED "local: no local_cost in the config"
#define PRICES_BASIS_UNDELIVERED "the request never reached the provider"

/* Loads the first table found (VERSUS_PRICES, the user's, the installed one,
 * the source tree's). A missing table is an empty one; a malformed one is an
 * error. */
PriceTable *prices_load(char *err, size_t errlen);
/* Loads a specific file. */
PriceTable *prices_load_file(const char *path, char *err, size_t errlen);
void prices_free(PriceTable *t);
/* Where the table came from ("" when none was found). */
const char *prices_source(const PriceTable *t);
/* Finds the price of model at provider kind; config overrides win, dated
 * variants ("gpt-4o-2024-08-06", "claude-sonnet-4-5-20250929") match their
 * base model. Returns true when known. t and cfg may be NULL. */
bool prices_lookup(const PriceTable *t, const Config *cfg, const char *provider_kind,
                   const char *provider_name, const char *model, bool local_endpoint, Price *out);
/* Sets a local price's input/output (USD per 1M tokens) from its hourly
 * rate and the measured prompt and decode speeds (tokens/s). True when both
 * came out finite; false (price left unestimated) when the rate or a speed
 * is unknown. */
bool prices_local_rate(Price *p, double prompt_tokens_per_s, double decode_tokens_per_s);

/* Cost in USD of usage at price p, following each provider's billing rule;
 * NAN when the usage needed is missing, or for a local price not yet
 * estimated. A provider-reported cost wins. The reasoning part of the
 * output is priced at p->reasoning, 1-hour cache writes at
 * p->cache_write_1h, the rest of the writes at p->cache_write. */
double prices_cost(const Price *p, const char *provider_kind, const Usage *u);
/* Rows in the table, and row i (provider and model names borrowed). */
size_t prices_count(const PriceTable *t);
const Price *prices_row(const PriceTable *t, size_t i, const char **provider, const char **model);

#endif
