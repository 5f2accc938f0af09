/* test_providers.c — the HTTP providers' requests, error bodies and registry,
 * with no network: request URLs, headers and bodies (fields present only
 * when set, the Gemini key never in the URL, no header injection), the error
 * bodies of formats.md, and the provider table. Stream decoding is checked
 * against the wire transcripts in test_transcripts.c. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/buf.h"
#include "providers/provider.h"

/* ---- requests --------------------------------------------------------------- */

static const char *header(const HttpRequestSpec *spec, const char *name)
{
    size_t n = strlen(name);
    for (const struct curl_slist *h = spec->headers; h; h = h->next)
        if (strncasecmp(h->data, name, n) == 0 && h->data[n] == ':')
            return h->data + n + 2;
    return NULL;
}

static Request make_request(const char *system, const char *prompt)
{
    return (Request){ .system = system, .prompt = prompt, .params = params_default() };
}

static cJSON *build(const char *provider, const char *base, const char *key, const char *model,
                    const Request *rq, HttpRequestSpec *spec)
{
    ProviderTarget t = { .ops = provider_find(provider), .name = provider, .model = model,
                         .base_url = base, .api_key = key };
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, rq, spec, err, sizeof err), 0, "%s: %s", provider, err);
    cJSON *body = cJSON_Parse(spec->body);
    cr_assert_not_null(body, "body is JSON: %s", spec->body);
    return body;
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

Test(request, openai_minimal_body_sends_only_what_is_set)
{
    Request rq = make_request(NULL, "Say hello.");
    HttpRequestSpec spec;
    cJSON *b = build("openai", NULL, "sk-test-123", "gpt-4.1-mini", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/chat/completions");
    cr_assert_str_eq(header(&spec, "Authorization"), "Bearer sk-test-123");
    cr_assert_str_eq(header(&spec, "Content-Type"), "application/json");
    cr_assert_str_eq(get(b, "model")->valuestring, "gpt-4.1-mini");
    const cJSON *msgs = get(b, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 1);
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "user");
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "content")->valuestring, "Say hello.");
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert(cJSON_IsTrue(get(get(b, "stream_options"), "include_usage")));
    cr_assert_null(get(b, "max_completion_tokens"));
    cr_assert_null(get(b, "max_tokens"));
    cr_assert_null(get(b, "temperature"));
    cr_assert_null(get(b, "top_p"));
    cr_assert_null(get(b, "seed"));
    cJSON_Delete(b);
    http_spec_free(&spec);
    cr_assert_null(spec.url);
}

Test(request, openai_full_body_and_exact_seed)
{
    Request rq = make_request("You are terse.", "Say hello.");
    rq.params.max_tokens = 64;
    rq.params.temperature = 0.2;
    rq.params.top_p = 0.9;
    rq.params.top_k = 40;
    rq.params.seed = 9007199254740993L; /* 2^53 + 1: not representable as a double */
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    cJSON *b = build("openai", "http://127.0.0.1:9/v1/", "k", "gpt-4.1", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://127.0.0.1:9/v1/chat/completions");
    const cJSON *msgs = get(b, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 2);
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "system");
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "content")->valuestring, "You are terse.");
    cr_assert_eq(get(b, "max_completion_tokens")->valuedouble, 64);
    cr_assert_null(get(b, "max_tokens"), "max_tokens is rejected by o-series and GPT-5 models");
    cr_assert_float_eq(get(b, "temperature")->valuedouble, 0.2, 1e-12);
    cr_assert_float_eq(get(b, "top_p")->valuedouble, 0.9, 1e-12);
    cr_assert_null(get(b, "top_k"), "OpenAI has no top_k");
    cr_assert(strstr(spec.body, "\"seed\":9007199254740993"), "%s", spec.body);
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, openai_requires_a_key)
{
    Request rq = make_request(NULL, "x");
    ProviderTarget t = { .ops = provider_find("openai"), .name = "openai", .model = "m" };
    HttpRequestSpec spec;
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1);
    cr_assert(strstr(err, "OPENAI_API_KEY"), "%s", err);
    cr_assert_null(spec.url);
}

Test(request, compat_uses_max_tokens_and_no_auth_without_key)
{
    Request rq = make_request(NULL, "x");
    rq.params.max_tokens = 32;
    rq.params.top_k = 20;
    HttpRequestSpec spec;
    cJSON *b = build("openai-compat", "http://localhost:8080/v1", NULL, "qwen3-8b", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://localhost:8080/v1/chat/completions");
    cr_assert_null(header(&spec, "Authorization"));
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 32);
    cr_assert_null(get(b, "max_completion_tokens"));
    cr_assert_eq(get(b, "top_k")->valuedouble, 20);
    cJSON_Delete(b);
    http_spec_free(&spec);

    b = build("openai-compat", "https://openrouter.ai/api/v1", "sk-or-v1-x", "deepseek/deepseek-v4.1-flash", &rq,
              &spec);
    cr_assert_str_eq(header(&spec, "Authorization"), "Bearer sk-or-v1-x");
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, compat_without_base_url_fails_clearly)
{
    Request rq = make_request(NULL, "x");
    ProviderTarget t = { .ops = provider_find("openai-compat"), .name = "openai-compat", .model = "m" };
    HttpRequestSpec spec;
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1);
    cr_assert(strstr(err, "base URL"), "%s", err);
}

Test(request, anthropic_headers_and_required_max_tokens)
{
    Request rq = make_request("You are terse.", "Say hello.");
    rq.params.temperature = 0.5;
    rq.params.seed = 7;
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    cJSON *b = build("anthropic", NULL, "sk-ant-xyz", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.anthropic.com/v1/messages");
    cr_assert_str_eq(header(&spec, "x-api-key"), "sk-ant-xyz");
    cr_assert_str_eq(header(&spec, "anthropic-version"), "2023-06-01");
    cr_assert_str_eq(header(&spec, "content-type"), "application/json");
    cr_assert_null(header(&spec, "Authorization"));
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 4096, "max_tokens is required: a default is sent");
    cr_assert_str_eq(get(b, "system")->valuestring, "You are terse.");
    const cJSON *msgs = get(b, "messages");
    cr_assert_eq(cJSON_GetArraySize(msgs), 1, "the system prompt is not a message");
    cr_assert_str_eq(get(cJSON_GetArrayItem(msgs, 0), "role")->valuestring, "user");
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert_float_eq(get(b, "temperature")->valuedouble, 0.5, 1e-12);
    cr_assert_null(get(b, "top_p"));
    cr_assert_null(get(b, "seed"), "Anthropic has no seed");
    cJSON_Delete(b);
    http_spec_free(&spec);

    rq = make_request(NULL, "x");
    rq.params.max_tokens = 100;
    b = build("anthropic", NULL, "k", "claude-haiku-4-5", &rq, &spec);
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 100);
    cr_assert_null(get(b, "system"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, gemini_key_in_header_never_in_url)
{
    Request rq = make_request("You are terse.", "Say hello.");
    rq.params.max_tokens = 256;
    rq.params.temperature = 0.2;
    rq.params.top_k = 40;
    rq.params.seed = 5;
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    const char *key = "AIzaSyTEST-key_123";
    cJSON *b = build("gemini", NULL, key, "gemini-2.5-flash", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://generativelanguage.googleapis.com/v1beta/models/"
                               "gemini-2.5-flash:streamGenerateContent?alt=sse");
    cr_assert_null(strstr(spec.url, key));
    cr_assert_null(strstr(spec.url, "key="));
    cr_assert_str_eq(header(&spec, "x-goog-api-key"), key);
    cr_assert_null(strstr(spec.body, key));
    const cJSON *c0 = cJSON_GetArrayItem(get(b, "contents"), 0);
    cr_assert_str_eq(get(c0, "role")->valuestring, "user");
    cr_assert_str_eq(get(cJSON_GetArrayItem(get(c0, "parts"), 0), "text")->valuestring, "Say hello.");
    const cJSON *si = get(b, "systemInstruction");
    cr_assert_str_eq(get(cJSON_GetArrayItem(get(si, "parts"), 0), "text")->valuestring, "You are terse.");
    const cJSON *gc = get(b, "generationConfig");
    cr_assert_eq(get(gc, "maxOutputTokens")->valuedouble, 256);
    cr_assert_float_eq(get(gc, "temperature")->valuedouble, 0.2, 1e-12);
    cr_assert_eq(get(gc, "topK")->valuedouble, 40);
    cr_assert_eq(get(gc, "seed")->valuedouble, 5);
    cr_assert_null(get(gc, "topP"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, gemini_bare_request_and_escaped_model)
{
    Request rq = make_request(NULL, "x");
    HttpRequestSpec spec;
    cJSON *b = build("gemini", "http://127.0.0.1:8000/", "k", "models/my model?x#y", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://127.0.0.1:8000/v1beta/models/my%20model%3Fx%23y:streamGenerateContent?alt=sse");
    cr_assert_null(get(b, "generationConfig"), "nothing set: no generationConfig");
    cr_assert_null(get(b, "systemInstruction"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, ollama_options_and_host_forms)
{
    Request rq = make_request("sys", "hi");
    rq.params.max_tokens = 256;
    rq.params.temperature = 0.2;
    rq.params.top_k = 20;
    rq.params.seed = 1;
    rq.params.seed_set = true;
    HttpRequestSpec spec;
    cJSON *b = build("ollama", NULL, NULL, "llama3.2", &rq, &spec);
    cr_assert_str_eq(spec.url, "http://127.0.0.1:11434/api/chat");
    cr_assert_null(header(&spec, "Authorization"));
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert_eq(cJSON_GetArraySize(get(b, "messages")), 2);
    const cJSON *o = get(b, "options");
    cr_assert_eq(get(o, "num_predict")->valuedouble, 256);
    cr_assert_float_eq(get(o, "temperature")->valuedouble, 0.2, 1e-12);
    cr_assert_eq(get(o, "top_k")->valuedouble, 20);
    cr_assert_eq(get(o, "seed")->valuedouble, 1);
    cr_assert_null(get(o, "top_p"));
    cJSON_Delete(b);
    http_spec_free(&spec);

    static const char *const forms[][2] = {
        { "localhost:11434", "http://localhost:11434/api/chat" },
        { "gpu-box", "http://gpu-box:11434/api/chat" },
        { ":8080", "http://127.0.0.1:8080/api/chat" },
        { "https://ollama.example.com", "https://ollama.example.com/api/chat" },
        { "[::1]", "http://[::1]:11434/api/chat" },
    };
    Request plain = make_request(NULL, "hi");
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        b = build("ollama", forms[i][0], NULL, "m", &plain, &spec);
        cr_assert_str_eq(spec.url, forms[i][1], "OLLAMA_HOST=%s", forms[i][0]);
        cr_assert_null(get(b, "options"), "nothing set: no options");
        cJSON_Delete(b);
        http_spec_free(&spec);
    }
}

Test(request, header_injection_through_the_key_is_refused)
{
    Request rq = make_request(NULL, "x");
    const char *providers[] = { "openai", "anthropic", "gemini", "openai-compat", "ollama" };
    for (size_t i = 0; i < 5; i++) {
        ProviderTarget t = { .ops = provider_find(providers[i]), .name = providers[i], .model = "m",
                             .base_url = "http://127.0.0.1:1", .api_key = "abc\r\nX-Evil: 1" };
        HttpRequestSpec spec;
        char err[256] = "";
        cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1, "%s", providers[i]);
        cr_assert(strstr(err, "control characters"), "%s", err);
        cr_assert_null(strstr(err, "abc"), "the key is not echoed");
        cr_assert_null(spec.url);
    }
}

Test(request, prompt_text_is_escaped_and_invalid_utf8_replaced)
{
    Request rq = make_request(NULL, "quote \" backslash \\ newline \n tab \t bad \xff end");
    HttpRequestSpec spec;
    cJSON *b = build("openai", NULL, "k", "m", &rq, &spec);
    const char *content = get(cJSON_GetArrayItem(get(b, "messages"), 0), "content")->valuestring;
    cr_assert_str_eq(content, "quote \" backslash \\ newline \n tab \t bad \xEF\xBF\xBD end");
    cJSON_Delete(b);
    http_spec_free(&spec);
}

/* ---- reasoning on request, each API's own parameter -------------------------- */

#include "providers/openai_responses.h"

static Request reasoning_request(const char *level)
{
    Request rq = make_request("You are terse.", "Why is the sky blue?");
    char err[256];
    if (level)
        cr_assert_eq(params_set(&rq.params, "reasoning", level, err, sizeof err), 0, "%s", err);
    return rq;
}

Test(request, openai_reasoning_models_are_asked_through_the_responses_api)
{
    static const char *const reasoning[] = { "o1", "o3", "o3-mini", "o4-mini", "o4-mini-2025-04-16", "gpt-5",
                                             "gpt-5-nano", "gpt-5.1", "gpt-5.6-luna", "codex-mini-latest" };
    static const char *const chat[] = { "gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-nano", "gpt-5-chat-latest",
                                        "o", "ox-1", "gpt-50" };
    for (size_t i = 0; i < sizeof reasoning / sizeof reasoning[0]; i++)
        cr_assert(openai_model_is_reasoning(reasoning[i]), "%s reasons", reasoning[i]);
    for (size_t i = 0; i < sizeof chat / sizeof chat[0]; i++)
        cr_assert_not(openai_model_is_reasoning(chat[i]), "%s does not", chat[i]);

    Request rq = reasoning_request("high");
    rq.params.max_tokens = 2000;
    HttpRequestSpec spec;
    cJSON *b = build("openai", NULL, "sk-test", "o4-mini", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/responses");
    cr_assert_str_eq(header(&spec, "Authorization"), "Bearer sk-test");
    cr_assert_str_eq(get(b, "model")->valuestring, "o4-mini");
    cr_assert_str_eq(get(b, "instructions")->valuestring, "You are terse.");
    const cJSON *in = cJSON_GetArrayItem(get(b, "input"), 0);
    cr_assert_str_eq(get(in, "role")->valuestring, "user");
    cr_assert_str_eq(get(in, "content")->valuestring, "Why is the sky blue?");
    cr_assert_eq(cJSON_GetArraySize(get(b, "input")), 1, "the system prompt is instructions, not input");
    cr_assert_eq(get(b, "max_output_tokens")->valuedouble, 2000);
    cr_assert_null(get(b, "max_completion_tokens"));
    cr_assert(cJSON_IsTrue(get(b, "stream")));
    cr_assert(cJSON_IsFalse(get(b, "store")), "nothing kept on OpenAI's side");
    cr_assert_null(get(b, "stream_options"), "usage always comes in response.completed");
    cr_assert_str_eq(get(get(b, "reasoning"), "effort")->valuestring, "high");
    cr_assert_str_eq(get(get(b, "reasoning"), "summary")->valuestring, "auto", "summaries are what streams");
    cJSON_Delete(b);
    http_spec_free(&spec);

    /* a budget maps to the nearest level; unset sends no reasoning object */
    rq = reasoning_request("3000");
    b = build("openai", NULL, "k", "gpt-5-mini", &rq, &spec);
    cr_assert_str_eq(get(get(b, "reasoning"), "effort")->valuestring, "medium");
    cJSON_Delete(b);
    http_spec_free(&spec);
    rq = reasoning_request(NULL);
    b = build("openai", NULL, "k", "o3", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/responses");
    cr_assert_null(get(b, "reasoning"), "nothing asked: the model's default");
    cJSON_Delete(b);
    http_spec_free(&spec);

    /* a model that does not reason stays on Chat Completions, without reasoning_effort */
    rq = reasoning_request("high");
    b = build("openai", NULL, "k", "gpt-4.1", &rq, &spec);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/chat/completions");
    cr_assert_null(get(b, "reasoning_effort"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, openai_api_forced_by_the_config)
{
    Request rq = reasoning_request("low");
    ProviderTarget t = { .ops = provider_find("openai"), .name = "openai", .model = "o4-mini",
                         .api_key = "k", .api = "chat" };
    HttpRequestSpec spec;
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/chat/completions");
    cJSON *b = cJSON_Parse(spec.body);
    cr_assert_str_eq(get(b, "reasoning_effort")->valuestring, "low");
    cJSON_Delete(b);
    http_spec_free(&spec);
    t.api = "responses";
    t.model = "gpt-4.1";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(spec.url, "https://api.openai.com/v1/responses");
    http_spec_free(&spec);
}

Test(request, compat_servers_get_reasoning_effort)
{
    Request rq = reasoning_request("medium");
    HttpRequestSpec spec;
    cJSON *b = build("openai-compat", "http://127.0.0.1:8080/v1", NULL, "qwen3-8b", &rq, &spec);
    cr_assert_str_eq(get(b, "reasoning_effort")->valuestring, "medium");
    cJSON_Delete(b);
    http_spec_free(&spec);
    rq = reasoning_request("off");
    b = build("openai-compat", "http://127.0.0.1:8080/v1", NULL, "qwen3-8b", &rq, &spec);
    cr_assert_str_eq(get(b, "reasoning_effort")->valuestring, "none");
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, anthropic_extended_thinking_budget_and_max_tokens)
{
    Request rq = reasoning_request("high");
    HttpRequestSpec spec;
    cJSON *b = build("anthropic", NULL, "k", "claude-sonnet-4-5", &rq, &spec);
    const cJSON *th = get(b, "thinking");
    cr_assert_str_eq(get(th, "type")->valuestring, "enabled");
    cr_assert_eq(get(th, "budget_tokens")->valuedouble, REASONING_HIGH_TOKENS);
    cr_assert_eq(get(b, "max_tokens")->valuedouble, REASONING_HIGH_TOKENS + 4096,
                 "max_tokens must exceed the budget: the answer keeps its default room");
    cJSON_Delete(b);
    http_spec_free(&spec);
    /* a budget below the API's minimum is raised to it */
    rq = reasoning_request("500");
    b = build("anthropic", NULL, "k", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_eq(get(get(b, "thinking"), "budget_tokens")->valuedouble, 1024);
    cJSON_Delete(b);
    http_spec_free(&spec);
    /* --max-tokens given: the budget is cut to fit under it */
    rq = reasoning_request("high");
    rq.params.max_tokens = 3000;
    b = build("anthropic", NULL, "k", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 3000);
    cr_assert_eq(get(get(b, "thinking"), "budget_tokens")->valuedouble, 2999);
    cJSON_Delete(b);
    http_spec_free(&spec);
    /* ... and when even the minimum cannot fit, a clear error before sending */
    rq.params.max_tokens = 800;
    ProviderTarget t = { .ops = provider_find("anthropic"), .name = "anthropic", .model = "m", .api_key = "k" };
    char err[256] = "";
    cr_assert_eq(t.ops->build_request(&t, &rq, &spec, err, sizeof err), -1);
    cr_assert(strstr(err, "--max-tokens above 1024"), "%s", err);
    /* off and unset: no thinking at all */
    rq = reasoning_request("off");
    b = build("anthropic", NULL, "k", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_null(get(b, "thinking"));
    cr_assert_eq(get(b, "max_tokens")->valuedouble, 4096);
    cJSON_Delete(b);
    http_spec_free(&spec);
}

/* Anthropic refuses temperature and top_k beside extended thinking, and
 * top_p outside [0.95, 1]: versus leaves them out (top_p clamped) instead of
 * sending a request the API answers with a 400. */
Test(request, anthropic_thinking_leaves_out_sampling_the_api_refuses_with_it)
{
    Request rq = reasoning_request("high");
    rq.params.temperature = 0.2;
    rq.params.top_k = 40;
    rq.params.top_p = 0.5;
    HttpRequestSpec spec;
    cJSON *b = build("anthropic", NULL, "k", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_not_null(get(b, "thinking"));
    cr_assert_null(get(b, "temperature"));
    cr_assert_null(get(b, "top_k"));
    cr_assert_float_eq(get(b, "top_p")->valuedouble, 0.95, 1e-9);
    cJSON_Delete(b);
    http_spec_free(&spec);
    /* without thinking they go as given */
    rq = reasoning_request("off");
    rq.params.temperature = 0.2;
    rq.params.top_k = 40;
    b = build("anthropic", NULL, "k", "claude-sonnet-4-5", &rq, &spec);
    cr_assert_float_eq(get(b, "temperature")->valuedouble, 0.2, 1e-9);
    cr_assert_eq(get(b, "top_k")->valuedouble, 40);
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, gemini_thinking_config_budget_level_and_off)
{
    Request rq = reasoning_request("high");
    HttpRequestSpec spec;
    cJSON *b = build("gemini", NULL, "k", "gemini-2.5-flash", &rq, &spec);
    const cJSON *tc = get(get(b, "generationConfig"), "thinkingConfig");
    cr_assert_eq(get(tc, "thinkingBudget")->valuedouble, REASONING_HIGH_TOKENS);
    cr_assert(cJSON_IsTrue(get(tc, "includeThoughts")), "thought summaries are asked for");
    cJSON_Delete(b);
    http_spec_free(&spec);
    b = build("gemini", NULL, "k", "gemini-3-pro-preview", &rq, &spec);
    tc = get(get(b, "generationConfig"), "thinkingConfig");
    cr_assert_str_eq(get(tc, "thinkingLevel")->valuestring, "high", "Gemini 3 takes a level");
    cr_assert_null(get(tc, "thinkingBudget"));
    cJSON_Delete(b);
    http_spec_free(&spec);
    rq = reasoning_request("off");
    b = build("gemini", NULL, "k", "gemini-2.5-flash", &rq, &spec);
    tc = get(get(b, "generationConfig"), "thinkingConfig");
    cr_assert_eq(get(tc, "thinkingBudget")->valuedouble, 0, "a zero budget turns thinking off");
    cr_assert_null(get(tc, "includeThoughts"));
    cJSON_Delete(b);
    http_spec_free(&spec);
}

Test(request, ollama_think_as_a_switch_or_a_level_for_gpt_oss)
{
    Request rq = reasoning_request("high");
    HttpRequestSpec spec;
    cJSON *b = build("ollama", NULL, NULL, "qwen3:8b", &rq, &spec);
    cr_assert(cJSON_IsTrue(get(b, "think")));
    cJSON_Delete(b);
    http_spec_free(&spec);
    b = build("ollama", NULL, NULL, "gpt-oss:20b", &rq, &spec);
    cr_assert_str_eq(get(b, "think")->valuestring, "high", "gpt-oss takes only levels");
    cJSON_Delete(b);
    http_spec_free(&spec);
    rq = reasoning_request("off");
    b = build("ollama", NULL, NULL, "qwen3:8b", &rq, &spec);
    cr_assert(cJSON_IsFalse(get(b, "think")));
    cJSON_Delete(b);
    http_spec_free(&spec);
    rq = reasoning_request(NULL);
    b = build("ollama", NULL, NULL, "qwen3:8b", &rq, &spec);
    cr_assert_null(get(b, "think"), "nothing asked, nothing sent");
    cJSON_Delete(b);
    http_spec_free(&spec);
}

/* ---- error bodies ------------------------------------------------------------ */

static ProviderError perr(const char *provider, int status, const char *body)
{
    ProviderError e;
    memset(&e, 0x55, sizeof e); /* parse_error must initialise everything */
    provider_find(provider)->parse_error(status, body, strlen(body), &e);
    return e;
}

Test(error_body, openai_bad_key)
{
    ProviderError e = perr("openai", 401,
        "{\n    \"error\": {\n        \"message\": \"Incorrect API key provided: sk-abc***xyz. You can find your "
        "API key at https://platform.openai.com/account/api-keys.\",\n        \"type\": \"invalid_request_error\",\n"
        "        \"param\": null,\n        \"code\": \"invalid_api_key\"\n    }\n}\n");
    cr_assert_str_eq(e.type, "invalid_api_key");
    cr_assert(strncmp(e.message, "Incorrect API key provided", 26) == 0);
    cr_assert(!e.no_retry);
    cr_assert_lt(e.retry_after_s, 0);
}

Test(error_body, openai_rate_limit_is_retryable_quota_is_not)
{
    ProviderError e = perr("openai", 429,
        "{\"error\":{\"message\":\"Rate limit reached for gpt-4o in organization org-XXX on tokens per min (TPM): "
        "Limit 30000, Used 14567, Requested 24754. Please try again in 18.642s.\",\"type\":\"tokens\",\"param\":null,"
        "\"code\":\"rate_limit_exceeded\"}}");
    cr_assert_str_eq(e.type, "rate_limit_exceeded");
    cr_assert(!e.no_retry);
    e = perr("openai", 429,
             "{\"error\":{\"message\":\"You exceeded your current quota, please check your plan and billing details.\","
             "\"type\":\"insufficient_quota\",\"param\":null,\"code\":\"insufficient_quota\"}}");
    cr_assert(e.no_retry);
    cr_assert_str_eq(e.type, "insufficient_quota");
    e = perr("openai", 429,
             "{\"error\":{\"type\":\"insufficient_quota\",\"code\":\"credit_balance_exhausted\",\"message\":\"You have "
             "no credits remaining\"}}");
    cr_assert(e.no_retry);
    cr_assert_str_eq(e.message, "You have no credits remaining");
}

Test(error_body, openai_server_error_with_null_code)
{
    ProviderError e = perr("openai", 500,
        "{\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\","
        "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
    cr_assert_str_eq(e.type, "server_error");
    cr_assert(strstr(e.message, "Sorry about that"));
}

Test(error_body, html_and_empty_bodies_get_a_clear_message)
{
    ProviderError e = perr("openai", 502,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
        "</center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n");
    cr_assert(strncmp(e.message, "HTTP 502 with a non-JSON body: <html> <head><title>502 Bad Gateway", 66) == 0,
              "%s", e.message);
    cr_assert_str_eq(e.type, "");
    e = perr("anthropic", 503, "  \n");
    cr_assert_str_eq(e.message, "HTTP 503 with an empty body");
    /* long garbage is cut to about 200 bytes and made printable */
    char junk[2000];
    for (size_t i = 0; i < sizeof junk - 1; i++)
        junk[i] = (char)(i % 7 == 0 ? 0x01 : 'a' + i % 26);
    junk[sizeof junk - 1] = '\0';
    e = perr("gemini", 500, junk);
    cr_assert_lt(strlen(e.message), 260);
    cr_assert(strstr(e.message, "..."));
    for (const char *p = e.message; *p; p++)
        cr_assert((unsigned char)*p >= 0x20);
}

Test(error_body, compat_server_dialects)
{
    ProviderError e = perr("openai-compat", 401, "{\"error\": \"Unauthorized\"}");
    cr_assert_str_eq(e.message, "Unauthorized");
    e = perr("openai-compat", 400,
             "{\"object\":\"error\",\"message\":\"This model's maximum context length is 2048 tokens.\","
             "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}");
    cr_assert_str_eq(e.type, "BadRequestError");
    cr_assert(strstr(e.message, "maximum context length"));
    e = perr("openai-compat", 401, "{\"error\":{\"code\":401,\"message\":\"Invalid API Key\",\"type\":\"authentication_error\"}}");
    cr_assert_str_eq(e.type, "authentication_error");
    cr_assert_str_eq(e.message, "Invalid API Key");
    e = perr("openai-compat", 402, "{\"error\":{\"code\":402,\"message\":\"Insufficient credits\",\"metadata\":{}}}");
    cr_assert_str_eq(e.type, "402");
    cr_assert(e.no_retry);
    e = perr("openai-compat", 404, "{\"detail\":\"Not Found\"}");
    cr_assert_str_eq(e.message, "Not Found");
}

Test(error_body, anthropic_envelope)
{
    ProviderError e = perr("anthropic", 529,
        "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"},"
        "\"request_id\":\"req_011CUsTMtCigNnRnCqMjkTwg\"}");
    cr_assert_str_eq(e.type, "overloaded_error");
    cr_assert_str_eq(e.message, "Overloaded");
    cr_assert(!e.no_retry && !e.auth);
    e = perr("anthropic", 401,
             "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}");
    cr_assert_str_eq(e.type, "authentication_error");
    cr_assert_str_eq(e.message, "invalid x-api-key");
}

Test(error_body, gemini_bad_key_is_auth_on_a_400)
{
    ProviderError e = perr("gemini", 400,
        "{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"API key not valid. Please pass a valid API key.\",\n"
        "    \"status\": \"INVALID_ARGUMENT\",\n    \"details\": [\n      {\n        \"@type\": "
        "\"type.googleapis.com/google.rpc.ErrorInfo\",\n        \"reason\": \"API_KEY_INVALID\",\n        \"domain\": "
        "\"googleapis.com\",\n        \"metadata\": {\"service\": \"generativelanguage.googleapis.com\"}\n      },\n"
        "      {\"@type\": \"type.googleapis.com/google.rpc.LocalizedMessage\", \"locale\": \"en-US\", \"message\": "
        "\"API key not valid. Please pass a valid API key.\"}\n    ]\n  }\n}\n");
    cr_assert(e.auth);
    cr_assert_str_eq(e.type, "INVALID_ARGUMENT");
    cr_assert_str_eq(e.message, "API key not valid. Please pass a valid API key.");
}

Test(error_body, gemini_retry_info_and_daily_quota)
{
    const char *fmt =
        "{\"error\":{\"code\":429,\"message\":\"You exceeded your current quota. Please retry in 12.595337758s.\","
        "\"status\":\"RESOURCE_EXHAUSTED\",\"details\":[{\"@type\":\"type.googleapis.com/google.rpc.QuotaFailure\","
        "\"violations\":[{\"quotaMetric\":\"generativelanguage.googleapis.com/generate_content_free_tier_requests\","
        "\"quotaId\":\"%s\",\"quotaDimensions\":{\"location\":\"global\",\"model\":\"gemini-2.5-flash\"},"
        "\"quotaValue\":\"10\"}]},{\"@type\":\"type.googleapis.com/google.rpc.Help\",\"links\":[{\"description\":"
        "\"Learn more\",\"url\":\"https://ai.google.dev/gemini-api/docs/rate-limits\"}]},{\"@type\":"
        "\"type.googleapis.com/google.rpc.RetryInfo\",\"retryDelay\":\"%s\"}]}}";
    char body[1500];
    snprintf(body, sizeof body, fmt, "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "12s");
    ProviderError e = perr("gemini", 429, body);
    cr_assert_str_eq(e.type, "RESOURCE_EXHAUSTED");
    cr_assert_float_eq(e.retry_after_s, 12.0, 1e-9);
    cr_assert(!e.no_retry);
    cr_assert(!e.auth);
    snprintf(body, sizeof body, fmt, "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "2.500s");
    e = perr("gemini", 429, body);
    cr_assert_float_eq(e.retry_after_s, 2.5, 1e-9);
    cr_assert(e.no_retry, "a daily quota does not come back after a short wait");
}

Test(error_body, gemini_array_wrapped_and_overload)
{
    ProviderError e = perr("gemini", 503,
        "[{\"error\":{\"code\":503,\"message\":\"The model is overloaded. Please try again later.\",\"status\":\"UNAVAILABLE\"}}]");
    cr_assert_str_eq(e.type, "UNAVAILABLE");
    cr_assert_str_eq(e.message, "The model is overloaded. Please try again later.");
    cr_assert_lt(e.retry_after_s, 0);
}

Test(error_body, ollama_string_error)
{
    ProviderError e = perr("ollama", 404, "{\"error\":\"model \\\"foo\\\" not found, try pulling it first\"}");
    cr_assert_str_eq(e.message, "model \"foo\" not found, try pulling it first");
    cr_assert_str_eq(e.type, "");
}

Test(error_body, unknown_json_shape_shows_a_snippet)
{
    ProviderError e = perr("anthropic", 418, "{\"teapot\": true}");
    cr_assert(strstr(e.message, "HTTP 418"), "%s", e.message);
    cr_assert(strstr(e.message, "teapot"), "%s", e.message);
}

/* ---- registry ---------------------------------------------------------------- */

Test(registry, every_provider_by_name_in_display_order)
{
    static const char *const names[] = { "openai", "anthropic", "gemini", "ollama", "openai-compat" };
    const ProviderOps *const *all = provider_all();
    size_t n = 0;
    while (all[n])
        n++;
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(all[i]->name, names[i]);
        cr_assert_eq(provider_find(names[i]), all[i]);
        cr_assert_not_null(all[i]->key_envs);
        cr_assert_not_null(all[i]->build_request);
        cr_assert_not_null(all[i]->parse_error);
    }
    cr_assert_null(provider_find("local"));
    cr_assert_null(provider_find("OpenAI"));
    cr_assert_null(provider_find(NULL));
}

Test(registry, closed_flags_keys_and_base_urls)
{
    const ProviderOps *o = provider_find("openai"), *a = provider_find("anthropic"),
                      *g = provider_find("gemini"), *l = provider_find("ollama"),
                      *c = provider_find("openai-compat");
    cr_assert(o->closed && a->closed && g->closed);
    cr_assert(!l->closed && !c->closed);
    cr_assert_str_eq(o->key_envs[0], "OPENAI_API_KEY");
    cr_assert_str_eq(a->key_envs[0], "ANTHROPIC_API_KEY");
    cr_assert_str_eq(g->key_envs[0], "GEMINI_API_KEY");
    cr_assert_str_eq(g->key_envs[1], "GOOGLE_API_KEY");
    cr_assert_null(g->key_envs[2]);
    cr_assert_null(l->key_envs[0]);
    cr_assert_null(c->key_envs[0]);
    cr_assert_str_eq(o->base_url_env, "OPENAI_BASE_URL");
    cr_assert_str_eq(a->base_url_env, "ANTHROPIC_BASE_URL");
    cr_assert_str_eq(g->base_url_env, "GEMINI_BASE_URL");
    cr_assert_str_eq(l->base_url_env, "OLLAMA_HOST");
    cr_assert_str_eq(o->default_base_url, "https://api.openai.com/v1");
    cr_assert_str_eq(a->default_base_url, "https://api.anthropic.com");
    cr_assert_str_eq(g->default_base_url, "https://generativelanguage.googleapis.com");
    cr_assert_str_eq(l->default_base_url, "http://127.0.0.1:11434");
    cr_assert_null(c->default_base_url);
}
