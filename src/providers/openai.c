/* openai.c — the "openai" provider: api.openai.com.
 *
 * Reasoning models (o-series, gpt-5 and later) are asked through the
 * Responses API, the only one that streams their reasoning summaries
 * (openai_responses.c); every other model through Chat Completions
 * (openai_common.c: max_completion_tokens, a key is required). The config
 * can force either with "api": "responses" or "chat" on the provider. One
 * decoder reads both. */
#include <string.h>

#include "providers/builtin.h"
#include "providers/openai_common.h"
#include "providers/openai_responses.h"
#include "providers/wire.h"

static int openai_build_request(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                                char *err, size_t errlen)
{
    bool responses = t->api && strcmp(t->api, "responses") == 0 ? true
                   : t->api && strcmp(t->api, "chat") == 0    ? false
                                                              : openai_model_is_reasoning(t->model);
    if (responses)
        return openai_responses_build_request(t, rq, openai_provider.default_base_url, out, err, errlen);
    return openai_common_build_request(t, rq, OPENAI_DIALECT_OFFICIAL, openai_provider.default_base_url,
                                       out, err, errlen);
}

static const char *const openai_key_envs[] = { "OPENAI_API_KEY", NULL };

const ProviderOps openai_provider = {
    .name = "openai",
    .key_envs = openai_key_envs,
    .base_url_env = "OPENAI_BASE_URL",
    .default_base_url = "https://api.openai.com/v1",
    .closed = true,
    .build_request = openai_build_request,
    .decoder_new = openai_common_decoder_new,
    .decoder_feed = wire_decoder_feed,
    .decoder_end = wire_decoder_end,
    .decoder_free = openai_common_decoder_free,
    .parse_error = openai_common_parse_error,
};
