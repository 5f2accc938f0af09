/* openai_compat.c — the "openai-compat" provider: any server speaking the
 * Chat Completions wire format (llama-server, vLLM, Ollama /v1, OpenRouter).
 * Differs from "openai" in the request only: `max_tokens` (what these servers
 * all accept), `top_k` when set, no key required, no default base URL. The
 * shared decoder already understands their dialects (see openai_common.h).
 * Not marked closed: it usually points at a local server; a remote one
 * (OpenRouter) should be configured as its own closed endpoint by config. */
#include "providers/builtin.h"
#include "providers/openai_common.h"
#include "providers/wire.h"

static int compat_build_request(const ProviderTarget *t, const Request *rq, HttpRequestSpec *out,
                                char *err, size_t errlen)
{
    return openai_common_build_request(t, rq, OPENAI_DIALECT_COMPAT, NULL, out, err, errlen);
}

static const char *const compat_key_envs[] = { NULL };

const ProviderOps openai_compat_provider = {
    .name = "openai-compat",
    .key_envs = compat_key_envs,
    .base_url_env = NULL,
    .default_base_url = NULL,
    .closed = false,
    .build_request = compat_build_request,
    .decoder_new = openai_common_decoder_new,
    .decoder_feed = wire_decoder_feed,
    .decoder_end = wire_decoder_end,
    .decoder_free = openai_common_decoder_free,
    .parse_error = openai_common_parse_error,
};
