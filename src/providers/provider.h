/* provider.h — the provider vtable: how one HTTP API is spoken.
 *
 * A provider turns a Request into an HTTP request (URL, headers, JSON body)
 * and turns the response body bytes back into StreamEvents through a
 * decoder. It does no I/O: the HTTP layer (net/http.c) owns the transfers,
 * core/run.c drives retries. The local engine is not an HTTP provider; see
 * providers/local.h. */
#ifndef VERSUS_PROVIDER_H
#define VERSUS_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/request.h"
#include "core/stream.h"
#include "net/http.h"

typedef struct ProviderOps ProviderOps;

/* A configured endpoint plus the model to ask: everything needed to build a request. */
typedef struct ProviderTarget {
    const ProviderOps *ops;
    const char *name;      /* provider name as configured: "openai", "openrouter", ... */
    const char *model;     /* model name sent on the wire */
    const char *base_url;  /* without trailing slash */
    const char *api_key;   /* secret, or NULL when the endpoint needs none */
    const char *api;       /* openai: "responses" or "chat" to force that API; NULL = by model */
} ProviderTarget;

/* What an HTTP error body says, parsed by the provider. */
typedef struct ProviderError {
    char type[64];        /* provider's type/code/status string, "" when none */
    char message[512];    /* provider's own message, "" when none */
    double retry_after_s; /* a retry delay stated in the body (Gemini RetryInfo), or < 0 */
    bool no_retry;        /* the body says retrying is useless (insufficient_quota, daily quota) */
    bool auth;            /* the body says the key is bad (Gemini API_KEY_INVALID on a 400) */
} ProviderError;

struct ProviderOps {
    const char *name;               /* "openai" */
    const char *const *key_envs;    /* environment variables holding the key, first set wins; NULL-terminated */
    const char *base_url_env;       /* variable overriding the base URL, or NULL */
    const char *default_base_url;   /* used when neither config nor env gives one */
    bool closed;                    /* a closed, remote API (restricted data never goes there) */
    /* Fills out; returns 0, or -1 with a message in err. */
    int (*build_request)(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                         char *err, size_t errlen);
    /* The streaming decoder: raw body bytes in any chunking, events out. */
    void *(*decoder_new)(void);
    /* Returns 0, or -1 after emitting an ERROR event when the stream can not go on. */
    int (*decoder_feed)(void *dec, const char *bytes, size_t n, const StreamSink *sink);
    /* The body ended (connection closed cleanly): flush what is pending. */
    void (*decoder_end)(void *dec, const StreamSink *sink);
    void (*decoder_free)(void *dec);
    /* Parses a non-2xx body (JSON, possibly pretty-printed, possibly garbage). */
    void (*parse_error)(int http_status, const char *body, size_t n, ProviderError *out);
};

/* The table of HTTP providers, by name ("openai", "anthropic", "gemini",
 * "ollama", "openai-compat"); NULL when unknown. */
const ProviderOps *provider_find(const char *name);
/* All HTTP providers, NULL-terminated, in display order. */
const ProviderOps *const *provider_all(void);

#endif
