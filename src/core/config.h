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
/* User price overrides: USD per million tokens; false when the config has none. */
bool config_price_override(const Config *cfg, const char *provider, const char *model,
                           double *in_per_m, double *out_per_m, double *cached_in_per_m);

#endif
