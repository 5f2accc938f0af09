/* prices.h — what a reply cost, from reported usage and a price table.
 *
 * The table ships as data/prices.json (installed in $(pkgdatadir)); the user
 * can replace it ($XDG_CONFIG_HOME/versus/prices.json, or VERSUS_PRICES) or
 * override single models in config.json. Unknown model → unknown cost (NAN),
 * never 0. Local models cost 0. */
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
    bool free_local;     /* a local model or server: cost 0 */
} Price;

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
/* Cost in USD of usage at price p, following each provider's billing rule;
 * NAN when the usage needed is missing. A provider-reported cost wins.
 * The reasoning part of the output is priced at p->reasoning, 1-hour cache
 * writes at p->cache_write_1h, the rest of the writes at p->cache_write. */
double prices_cost(const Price *p, const char *provider_kind, const Usage *u);
/* Rows in the table, and row i (provider and model names borrowed). */
size_t prices_count(const PriceTable *t);
const Price *prices_row(const PriceTable *t, size_t i, const char **provider, const char **model);

#endif
