/* target.h — a model spec resolved into the endpoint it names.
 *
 * "PROVIDER:MODEL", "PROVIDER:MODEL@URL" (the same wire format at another
 * endpoint: the provider's key goes there only when it is the provider's
 * own URL, see key_allowed), "local:REF" or an alias the config defines are
 * turned into a ModelTarget: wire protocol, model name,
 * base URL, where the key lives, and whether the endpoint may receive
 * restricted data. Pure lookups over the config and the provider table: no
 * network, no key reading. */
#ifndef VERSUS_TARGET_H
#define VERSUS_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

/* A resolved model spec: which provider endpoint and which model.
 * "SPEC#EFFORT" (openai:o4-mini#high, anthropic:claude-sonnet-4-5#8000) asks
 * that model for that much reasoning: the same model at two efforts is two
 * candidates, and the spec string, suffix included, is each one's identity. */
typedef struct ModelTarget {
    char provider[64];    /* configured provider name ("openai", "openrouter", "local", ...) */
    char kind[32];        /* wire protocol: "openai" "anthropic" "gemini" "ollama" "openai-compat" "local" */
    char model[512];      /* model name on the wire, or the GGUF reference for local
                           * ("local:" alone: $VERSUS_MODEL, local.model or the default's hf:// reference) */
    char base_url[512];   /* "" for local */
    char key_env[128];    /* environment variable that holds the key, "" when none is needed */
    char key_file[1200];  /* key file (must be 0600), "" when none */
    bool inside_perimeter;/* may receive restricted data: the perimeter decision, below */
    char perimeter_why[640]; /* why it is inside or outside, for messages */
    bool local_host;      /* the URL's host is loopback or private-range */
    bool insecure_tls;    /* TLS verification off: only ever for an explicitly local openai-compat URL */
    char alias_of[1100];  /* when the spec is a config alias: what it stands for, with the
                           * "#EFFORT" that applies ("openai:gpt-4o-mini" for "fast"); else "" */
    Reasoning reasoning;  /* from "#EFFORT" or the config's "reasoning" map; effort
                           * REASONING_UNSET when neither says (the round's --reasoning applies) */
    char api[16];         /* openai: "responses" / "chat" from the config's "api", "" = by model */
    bool key_allowed;     /* base_url is the provider's own URL (configured, from its environment
                           * variable, or its default), so its key may be sent there; false for a
                           * URL written inline after the provider's name that is another endpoint */
    char key_home[512];   /* the URL the provider's key belongs to ("" when none) */
    char key_home_from[160]; /* where that URL came from: "base_url in CONFIG", "OPENAI_BASE_URL",
                              * "the provider's default" */
} ModelTarget;

/* Resolves "PROVIDER:MODEL" (or "PROVIDER:MODEL@URL", or a name the config
 * defines as a model alias) into out; 0, or -1 with err (also for an '@'
 * not followed by an http:// or https:// URL).
 *
 * The perimeter decision, made here once for every caller (run, policy
 * check, policy route, models): the destination decides, fail-closed.
 * inside_perimeter is true only for
 *   - the built-in engine (local:), which opens no socket, and
 *   - a non-closed endpoint whose scheme, host and port equal the base_url of
 *     a config provider entry of a non-closed kind marked
 *     "inside_perimeter": true whose host is loopback or private-range
 *     (written as an address or "localhost"; never a name needing DNS).
 * Whatever name or alias led there does not count: "lab:m@http://other/v1"
 * is judged by http://other/. Closed APIs (OpenAI, Anthropic, Gemini) are
 * never inside. Proxies and redirects are the run layer's part: restricted
 * requests ignore proxy settings and no request follows a redirect. */
int target_resolve(const Config *cfg, const char *spec, ModelTarget *out, char *err, size_t errlen);
/* True when URLs a and b name the same endpoint: scheme, host and port
 * (default ports filled in), as curl parses them. */
bool target_same_endpoint(const char *a, const char *b);
/* The decision for one route: 1 when data of class sens may go to spec, 0
 * when it may not (restricted data outside the perimeter, or a spec that
 * does not resolve); why says which and why. */
int target_sensitivity_allows(const Config *cfg, const char *spec, Sensitivity sens, char *why, size_t whylen);

#endif
