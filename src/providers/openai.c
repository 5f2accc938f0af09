/* openai.c — the "openai" provider: api.openai.com Chat Completions.
 * The wire format itself is in openai_common.c; this file only says how the
 * official API differs (max_completion_tokens, a key is required). */
#include "providers/builtin.h"
#include "providers/openai_common.h"
#include "providers/wire.h"

static int openai_build_request(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                                char *err, size_t errlen)
{
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
    .decoder_free = wire_decoder_free,
    .parse_error = openai_common_parse_error,
};
