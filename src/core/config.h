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

/* A resolved model spec: which provider endpoint and which model. */
typedef struct ModelTarget {
    char provider[64];    /* configured provider name ("openai", "openrouter", "local", ...) */
    char kind[32];        /* wire protocol: "openai" "anthropic" "gemini" "ollama" "openai-compat" "local" */
    char model[512];      /* model name on the wire, or the GGUF reference for local */
    char base_url[512];   /* "" for local */
    char key_env[128];    /* environment variable that holds the key, "" when none is needed */
    char key_file[1200];  /* key file (must be 0600), "" when none */
    bool inside_perimeter;/* may receive restricted data (local engine, loopback/private servers marked so) */
    bool local_host;      /* the URL's host is loopback or private-range */
    bool insecure_tls;    /* TLS verification off: only ever for an explicitly local openai-compat URL */
} ModelTarget;

/* Loads path (NULL = VERSUS_CONFIG or the XDG default). NULL with err on a
 * file that exists but is unreadable, insecure or malformed. */
Config *config_load(const char *path, char *err, size_t errlen);
/* An empty configuration (defaults only). */
Config *config_new_empty(void);
void config_free(Config *cfg);
/* The path the config was (or would be) read from. */
const char *config_path(const Config *cfg);

/* Resolves "PROVIDER:MODEL" (or "openai-compat:MODEL@URL", or a name the
 * config defines as a model alias) into out; 0, or -1 with err. */
int config_resolve(const Config *cfg, const char *spec, ModelTarget *out, char *err, size_t errlen);
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
/* User price overrides: USD per million tokens; false when the config has none. */
bool config_price_override(const Config *cfg, const char *provider, const char *model,
                           double *in_per_m, double *out_per_m, double *cached_in_per_m);

#endif
