/* openai_common.h — the OpenAI Chat Completions wire format, shared by the
 * "openai" provider (api.openai.com) and "openai-compat" (llama-server, vLLM,
 * Ollama /v1, OpenRouter). The two differ only in how the request is built;
 * one decoder understands every server's dialect (llama-server timings,
 * vLLM flat errors, OpenRouter cost and in-band errors, llama.cpp's old
 * `error:` SSE field). */
#ifndef VERSUS_OPENAI_COMMON_H
#define VERSUS_OPENAI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "providers/provider.h"

typedef enum OpenAiDialect {
    OPENAI_DIALECT_OFFICIAL, /* max_completion_tokens, a key is required */
    OPENAI_DIALECT_COMPAT,   /* max_tokens and top_k, a key only when given */
} OpenAiDialect;

/* Builds POST {base}/chat/completions; dflt_base is used when the target has
 * no base URL (NULL: one is required). Returns 0 or -1 with err. */
int openai_common_build_request(const ProviderTarget *t, const Request *rq, OpenAiDialect dialect,
                                const char *dflt_base, HttpRequestSpec *out, char *err,
                                size_t errlen);
/* The decoder (ProviderOps.decoder_new and decoder_free; feed and end are
 * wire.h's wire_decoder_feed/wire_decoder_end). It reads Chat Completions
 * chunks and, by their JSON "type", Responses API events
 * (openai_responses.h) alike. */
void *openai_common_decoder_new(void);
void openai_common_decoder_free(void *dec);
void openai_common_parse_error(int http_status, const char *body, size_t n, ProviderError *out);

#endif
