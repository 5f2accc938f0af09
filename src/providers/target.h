/* target.h — a model spec resolved into the endpoint it names.
 *
 * "PROVIDER:MODEL", "openai-compat:MODEL@URL", "local:REF" or an alias the
 * config defines are turned into a ModelTarget: wire protocol, model name,
 * base URL, where the key lives, and whether the endpoint may receive
 * restricted data. Pure lookups over the config and the provider table: no
 * network, no key reading. */
#ifndef VERSUS_TARGET_H
#define VERSUS_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

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

/* Resolves "PROVIDER:MODEL" (or "openai-compat:MODEL@URL", or a name the
 * config defines as a model alias) into out; 0, or -1 with err. */
int target_resolve(const Config *cfg, const char *spec, ModelTarget *out, char *err, size_t errlen);

#endif
