/* config.h — the user's configuration: providers, models, defaults, prices.
 *
 * Read from $XDG_CONFIG_HOME/versus/config.json (fallback
 * ~/.config/versus/config.json), or a path given with --config / VERSUS_CONFIG.
 * A missing file is an empty configuration, not an error. Keys are never
 * stored here: the config names the environment variable or the 0600 key file
 * that holds each one (see keys.h). */
#ifndef VERSUS_CONFIG_H
#define VERSUS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "core/request.h"

typedef struct Config Config;

/* Loads path (NULL = VERSUS_CONFIG or the XDG default). NULL with err on a
 * file that exists but is unreadable, insecure or malformed. */
Config *config_load(const char *path, char *err, size_t errlen);
/* An empty configuration (defaults only). */
Config *config_new_empty(void);
void config_free(Config *cfg);
/* The path the config was (or would be) read from. */
const char *config_path(const Config *cfg);

/* Default parameters from the config (unset where it says nothing). */
Params config_default_params(const Config *cfg);
/* Default sensitivity class for rounds (public unless the config says otherwise). */
Sensitivity config_default_sensitivity(const Config *cfg);
/* The model specs used when the user names none: the local default model
 * plus, for every closed provider, its default model. Returns the count;
 * *specs is a malloc'ed array of malloc'ed strings (free with config_free_specs). */
size_t config_default_specs(const Config *cfg, char ***specs);
void config_free_specs(char **specs, size_t n);
/* The model the config names as default for a provider kind, or NULL. */
const char *config_provider_default_model(const Config *cfg, const char *provider);
/* The directory holding the config (for themes/, keys), "" when unknown. */
const char *config_dir(const Config *cfg);
/* The spec an alias stands for ("models": {"fast": "openai:gpt-4o-mini"}), or NULL. */
/* The alias names, in the file's order; returns the count, *names as for
 * config_default_specs (free with config_free_specs). */
size_t config_model_aliases(const Config *cfg, char ***names);
const char *config_model_alias(const Config *cfg, const char *name);
/* The names of the "providers" entries, by index (0 <= i < count). */
size_t config_provider_count(const Config *cfg);
const char *config_provider_name(const Config *cfg, size_t i);
/* True when "providers" has an entry of that name. */
bool config_has_provider(const Config *cfg, const char *provider);
/* A string / boolean field of a provider entry; NULL / def when absent. */
const char *config_provider_str(const Config *cfg, const char *provider, const char *key);
bool config_provider_bool(const Config *cfg, const char *provider, const char *key, bool def);
/* The reasoning the config asks of one model ("reasoning": {"PROVIDER:MODEL"
 * or "MODEL": "high" | budget}); false when it says nothing (or nothing valid). */
bool config_model_reasoning(const Config *cfg, const char *provider, const char *model, Reasoning *out);
/* "local": {"model": ...}, or NULL. */
const char *config_local_model(const Config *cfg);
/* "local": {"kv_type": ...}: the built-in engine's KV cache type ("f32",
 * "f16" or "q8_0", as written), or NULL when the config names none.
 * config_load refuses any other value. */
const char *config_local_kv_type(const Config *cfg);
/* What the hardware that runs local models costs ("local_cost" in
 * config.json), as an hourly rate:
 *   {"gpu_hour_usd": 2.49}                       a rented GPU's price per hour
 *   {"hardware_usd": 30000, "amortisation_months": 36,
 *    "watts": 700, "kwh_usd": 0.15}              owned: price / (months × 730 h)
 *                                                + watts / 1000 × $/kWh
 *   {"free": true}                               $0, on the user's word
 * with an optional "utilisation" (0 < u <= 1, default 1): the share of hours
 * the machine is busy, which each busy hour pays for (rate / u). */
typedef struct LocalCost {
    bool set;          /* the config says something */
    bool free;         /* "free": true */
    double hour_usd;   /* per busy hour */
    char basis[240];   /* how hour_usd was reached, for reports */
} LocalCost;

/* Reads "local_cost" into out (out->set false when absent). 0, or -1 with
 * err naming the key and what it must be (config_load refuses such a file). */
int config_local_cost(const Config *cfg, LocalCost *out, char *err, size_t errlen);

/* User price overrides: USD per million tokens; false when the config has none. */
bool config_price_override(const Config *cfg, const char *provider, const char *model,
                           double *in_per_m, double *out_per_m, double *cached_in_per_m);

#endif
