/* test_config.c — model spec resolution, key files, price lookup and cost
 * arithmetic, parameter parsing: the pure parts of the core. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/config_check.h"
#include "providers/target.h"
#include "core/keys.h"
#include "core/prices.h"
#include "core/request.h"

static char tmpdir[256];

static void make_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-test-config-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    setenv("XDG_CONFIG_HOME", tmpdir, 1);
    setenv("HOME", tmpdir, 1);
    unsetenv("VERSUS_CONFIG");
    unsetenv("OPENAI_BASE_URL");
    unsetenv("OPENAI_API_KEY");
    unsetenv("VERSUS_MODEL");
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

TestSuite(config, .init = make_tmp);

Test(config, missing_file_is_an_empty_config)
{
    char err[512];
    Config *cfg = config_load(NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    ModelTarget t;
    cr_assert_eq(target_resolve(cfg, "openai:gpt-4o-mini", &t, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(t.kind, "openai");
    cr_assert_str_eq(t.model, "gpt-4o-mini");
    cr_assert_str_eq(t.base_url, "https://api.openai.com/v1");
    cr_assert_str_eq(t.key_env, "OPENAI_API_KEY");
    cr_assert(!t.inside_perimeter);
    config_free(cfg);
}

Test(config, base_url_env_overrides_default_and_compat_takes_url_inline)
{
    char err[512];
    setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/", 1);
    Config *cfg = config_new_empty();
    ModelTarget t;
    cr_assert_eq(target_resolve(cfg, "openai:x", &t, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(t.base_url, "http://127.0.0.1:9/v1");
    cr_assert_eq(target_resolve(cfg, "openai-compat:qwen@http://localhost:8080/v1", &t, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(t.model, "qwen");
    cr_assert_str_eq(t.base_url, "http://localhost:8080/v1");
    /* inline URLs are never inside the perimeter: only the config can say so */
    cr_assert(!t.inside_perimeter);
    cr_assert(!t.insecure_tls);
    config_free(cfg);
}

Test(config, bad_specs_say_what_is_wrong)
{
    char err[512];
    Config *cfg = config_new_empty();
    ModelTarget t;
    cr_assert_eq(target_resolve(cfg, "gpt-4o", &t, err, sizeof err), -1);
    cr_assert(strstr(err, "PROVIDER:MODEL"), "%s", err);
    cr_assert_eq(target_resolve(cfg, "nosuch:model", &t, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown provider 'nosuch'"), "%s", err);
    cr_assert_eq(target_resolve(cfg, "openai-compat:m", &t, err, sizeof err), -1);
    cr_assert(strstr(err, "URL"), "%s", err);
    config_free(cfg);
}

Test(config, named_providers_aliases_perimeter_and_tls_rules)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/versus", tmpdir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/versus/config.json", tmpdir);
    write_file(path,
               "{\"providers\":{"
               "\"lab\":{\"kind\":\"openai-compat\",\"base_url\":\"http://10.1.2.3:8000/v1\",\"inside_perimeter\":true,\"insecure_tls\":true},"
               "\"remote\":{\"kind\":\"openai-compat\",\"base_url\":\"https://openrouter.ai/api/v1\",\"inside_perimeter\":true,\"insecure_tls\":true,\"key_env\":\"OPENROUTER_API_KEY\"},"
               "\"openai\":{\"insecure_tls\":true,\"inside_perimeter\":true,\"base_url\":\"http://127.0.0.1:1/v1\"}},"
               "\"models\":{\"fast\":\"lab:llama3\"},"
               "\"defaults\":{\"temperature\":0.3,\"sensitivity\":\"internal\"}}",
               0600);
    Config *cfg = config_load(NULL, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    ModelTarget t;
    cr_assert_eq(target_resolve(cfg, "fast", &t, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(t.model, "llama3");
    cr_assert(t.inside_perimeter);
    cr_assert(t.insecure_tls);
    cr_assert_eq(target_resolve(cfg, "remote:some/model", &t, err, sizeof err), 0, "%s", err);
    cr_assert(!t.inside_perimeter, "a public host can never be inside the perimeter");
    cr_assert(!t.insecure_tls, "TLS checks stay on for non-local hosts");
    cr_assert_str_eq(t.key_env, "OPENROUTER_API_KEY");
    cr_assert_eq(target_resolve(cfg, "openai:gpt-4o", &t, err, sizeof err), 0, "%s", err);
    cr_assert(!t.inside_perimeter, "closed providers are never inside the perimeter");
    cr_assert(!t.insecure_tls, "closed providers always verify TLS");
    Params p = config_default_params(cfg);
    cr_assert_float_eq(p.temperature, 0.3, 1e-12);
    cr_assert_eq(config_default_sensitivity(cfg), SENSITIVITY_INTERNAL);
    config_free(cfg);
}

Test(config, world_readable_config_is_refused_with_the_fix)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    write_file(path, "{}", 0644);
    cr_assert_null(config_load(path, err, sizeof err));
    cr_assert(strstr(err, "chmod 600"), "%s", err);
}

Test(config, malformed_config_names_the_line)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    write_file(path, "{\n\"a\": 1,\n\"b\": }\n", 0600);
    cr_assert_null(config_load(path, err, sizeof err));
    cr_assert(strstr(err, "line 3"), "%s", err);
}

Test(config, local_kv_type_is_read_and_an_unknown_one_refused)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    write_file(path, "{\"local\": {\"kv_type\": \"q8_0\"}}", 0600);
    Config *cfg = config_load(path, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_str_eq(config_local_kv_type(cfg), "q8_0");
    config_free(cfg);
    write_file(path, "{}", 0600);
    cfg = config_load(path, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    cr_assert_null(config_local_kv_type(cfg), "no kv_type: the engine's default");
    config_free(cfg);
    const char *bad[] = { "{\"local\": {\"kv_type\": \"q4_0\"}}", "{\"local\": {\"kv_type\": 16}}" };
    for (size_t i = 0; i < 2; i++) {
        write_file(path, bad[i], 0600);
        cr_assert_null(config_load(path, err, sizeof err), "%s was accepted", bad[i]);
        cr_assert(strstr(err, "local.kv_type") && strstr(err, "f16"), "%s", err);
    }
}

/* Each config section, a key misspelt in it, and what the error must name. */
static const struct {
    const char *json, *bad, *near;
} typos[] = {
    { "{\"defualts\": {\"sensitivity\": \"restricted\"}}", "defualts", "defaults" },
    { "{\"defaults\": {\"temprature\": 0.2}}", "defaults.temprature", "temperature" },
    { "{\"defaults\": {\"sensitivty\": \"restricted\"}}", "defaults.sensitivty", "sensitivity" },
    { "{\"providers\": {\"openai\": {\"kye_env\": \"X\"}}}", "providers.openai.kye_env", "key_env" },
    { "{\"providers\": {\"lab\": {\"kind\": \"openai-compat\", \"base_url\": \"http://127.0.0.1:1/v1\", "
      "\"inside_perimiter\": true}}}", "providers.lab.inside_perimiter", "inside_perimeter" },
    { "{\"local\": {\"modle\": \"x.gguf\"}}", "local.modle", "model" },
    { "{\"prices\": {\"openai:x\": {\"input\": 1, \"output\": 2, \"cached\": 1}}}", "prices.openai:x.cached",
      "cached_input" },
    { "{\"local_cost\": {\"gpu_hour\": 2}}", "local_cost.gpu_hour", "gpu_hour_usd" },
    { "{\"model\": {\"fast\": \"openai:gpt-4o-mini\"}}", "model", "models" },
};

Test(config, a_misspelt_key_in_any_section_is_an_error_naming_it_and_the_valid_ones)
{
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    for (size_t i = 0; i < sizeof typos / sizeof *typos; i++) {
        write_file(path, typos[i].json, 0600);
        Config *cfg = config_load(path, err, sizeof err);
        cr_assert_null(cfg, "%s was accepted", typos[i].json);
        char want[200];
        snprintf(want, sizeof want, "%s is not a setting", typos[i].bad);
        cr_assert(strstr(err, want), "%s: %s", typos[i].json, err);
        snprintf(want, sizeof want, "did you mean %s?", typos[i].near);
        cr_assert(strstr(err, want), "%s: %s", typos[i].json, err);
        cr_assert(strstr(err, "holds only:"), "the valid keys are listed: %s", err);
    }
}

Test(config, values_of_the_wrong_shape_are_errors_not_defaults)
{
    static const struct {
        const char *json, *says;
    } bad[] = {
        { "{\"defaults\": {\"temperature\": \"0.2\"}}", "defaults.temperature must be a number" },
        { "{\"defaults\": {\"temperature\": 9}}", "temperature must be a number from" },
        { "{\"defaults\": {\"max_tokens\": 1.5}}", "max_tokens must be a whole number" },
        { "{\"defaults\": {\"reasoning\": \"hihg\"}}", "defaults.reasoning" },
        { "{\"defaults\": {\"models\": \"local:\"}}", "defaults.models must be a list" },
        { "{\"defaults\": []}", "defaults must be an object" },
        { "{\"providers\": {\"lab\": {\"inside_perimeter\": \"yes\"}}}", "providers.lab.inside_perimeter must be true or false" },
        { "{\"providers\": {\"openai\": {\"api\": \"respones\"}}}", "providers.openai.api" },
        { "{\"providers\": {\"openai\": {\"base_url\": 5}}}", "providers.openai.base_url must be a string" },
        { "{\"models\": {\"fast\": 1}}", "models.fast must be a model spec" },
        { "{\"reasoning\": {\"openai:o4-mini\": \"max\"}}", "reasoning.openai:o4-mini" },
        { "{\"prices\": {\"openai:x\": {\"input\": 1}}}", "prices.openai:x.output must be given" },
        { "{\"local\": {\"model\": 3}}", "local.model must be a string" },
    };
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(path, bad[i].json, 0600);
        cr_assert_null(config_load(path, err, sizeof err), "%s was accepted", bad[i].json);
        cr_assert(strstr(err, bad[i].says), "%s: %s", bad[i].json, err);
    }
}

Test(config, every_documented_example_key_loads)
{
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    write_file(path,
               "{\"defaults\": {\"temperature\": 0.2, \"max_tokens\": 1024, \"reasoning\": \"medium\", "
               "\"sensitivity\": \"internal\", \"models\": [\"local:\", \"openai:gpt-4o-mini\"], \"top_p\": 0.9, "
               "\"top_k\": 40, \"min_p\": 0.05, \"repeat_penalty\": 1.1, \"seed\": 7, \"timeout\": 30, "
               "\"context_length\": 2048},"
               " \"providers\": {\"openai\": {\"default_model\": \"gpt-4o-mini\", \"api\": \"responses\"},"
               "  \"openrouter\": {\"kind\": \"openai-compat\", \"base_url\": \"https://openrouter.ai/api/v1\","
               "   \"key_env\": \"OPENROUTER_API_KEY\", \"key_file\": \"~/or.key\"},"
               "  \"lab\": {\"kind\": \"openai-compat\", \"base_url\": \"http://10.0.0.5:8000/v1\","
               "   \"inside_perimeter\": true, \"insecure_tls\": false}},"
               " \"models\": {\"fast\": \"openai:gpt-4o-mini\", \"deep\": \"openai:o4-mini#high\"},"
               " \"reasoning\": {\"anthropic:claude-sonnet-4-5\": 8000},"
               " \"local\": {\"model\": \"~/m.gguf\", \"kv_type\": \"f16\"},"
               " \"prices\": {\"openrouter:meta-llama/llama-3.3-70b\": {\"input\": 0.12, \"output\": 0.30,"
               "  \"cached_input\": 0.06}},"
               " \"local_cost\": {\"gpu_hour_usd\": 2.49}}",
               0600);
    Config *cfg = config_load(path, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    config_free(cfg);
}

/* versus(1)'s CONFIGURATION section, as roff source. */
static char *man_configuration(void)
{
    char path[1024];
    const char *src = getenv("VERSUS_SRCDIR");
    snprintf(path, sizeof path, "%s/man/versus.1", src ? src : VERSUS_SRCDIR);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *a = strstr(text, "\n.SH CONFIGURATION");
    cr_assert_not_null(a, "no CONFIGURATION section");
    char *b = strstr(a + 1, "\n.SH ");
    if (b)
        *b = '\0';
    return a;
}

Test(config, the_manual_lists_every_key_of_every_section)
{
    const char *man = man_configuration();
    static const char *const section_names[] = { "top level", "defaults", "providers", "local", "prices",
                                                 "local_cost" };
    for (int s = 0; s < CONFIG_SECTION_COUNT; s++) {
        const char *const *keys = config_check_keys((ConfigSection)s);
        cr_assert_not_null(keys);
        for (size_t i = 0; keys[i]; i++) {
            char bold[100];
            snprintf(bold, sizeof bold, ".B %s\n", keys[i]);
            char inline_bold[100];
            snprintf(inline_bold, sizeof inline_bold, "\\fB%s\\fR", keys[i]);
            cr_assert(strstr(man, bold) || strstr(man, inline_bold),
                      "versus(1) CONFIGURATION does not list %s key %s", section_names[s], keys[i]);
        }
    }
}

Test(keys, env_wins_then_private_key_file_then_a_clear_miss)
{
    char path[512], err[512];
    int missing;
    snprintf(path, sizeof path, "%s/k.key", tmpdir);
    setenv("VERSUS_TEST_KEY", "sk-from-env", 1);
    char *k = keys_read("VERSUS_TEST_KEY", path, &missing, err, sizeof err);
    cr_assert_str_eq(k, "sk-from-env");
    keys_free(k);
    unsetenv("VERSUS_TEST_KEY");
    write_file(path, "  sk-from-file\n", 0600);
    k = keys_read("VERSUS_TEST_KEY", path, &missing, err, sizeof err);
    cr_assert_str_eq(k, "sk-from-file");
    keys_free(k);
    chmod(path, 0640);
    k = keys_read("VERSUS_TEST_KEY", path, &missing, err, sizeof err);
    cr_assert_null(k);
    cr_assert_eq(missing, 0);
    cr_assert(strstr(err, "chmod 600"), "%s", err);
    cr_assert_null(strstr(err, "sk-from-file"), "the key must never appear in messages");
    unlink(path);
    k = keys_read("VERSUS_TEST_KEY", path, &missing, err, sizeof err);
    cr_assert_null(k);
    cr_assert_eq(missing, 1);
    cr_assert(strstr(err, "VERSUS_TEST_KEY"), "%s", err);
}

static PriceTable *shipped_prices(void)
{
    char path[1024], err[512];
    const char *src = getenv("VERSUS_SRCDIR");
    snprintf(path, sizeof path, "%s/data/prices.json", src ? src : VERSUS_SRCDIR);
    PriceTable *t = prices_load_file(path, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    return t;
}

Test(prices, dated_variants_match_their_base_but_not_a_longer_name)
{
    PriceTable *t = shipped_prices();
    Price p;
    cr_assert(prices_lookup(t, NULL, "openai", "openai", "gpt-4o-2024-08-06", false, &p));
    cr_assert_float_eq(p.input, 2.50, 1e-9);
    cr_assert(prices_lookup(t, NULL, "openai", "openai", "gpt-4o-mini", false, &p));
    cr_assert_float_eq(p.input, 0.15, 1e-9);
    cr_assert(prices_lookup(t, NULL, "anthropic", "anthropic", "claude-sonnet-4-5-20250929", false, &p));
    cr_assert_float_eq(p.output, 15.0, 1e-9);
    cr_assert(!prices_lookup(t, NULL, "openai", "openai", "gpt-4o-turbo-x", false, &p),
              "an unknown model must be unknown, not priced like a prefix");
    /* a local model runs on hardware that costs money: unknown until the
     * config states its hourly cost (test_local_cost.c), never free */
    cr_assert(!prices_lookup(t, NULL, "local", "local", "whatever.gguf", true, &p));
    cr_assert(p.local && !p.free_local);
    prices_free(t);
}

Test(prices, cost_follows_each_providers_billing_rule)
{
    Price p = { .input = 2.0, .cached_input = 0.5, .cache_write = 2.5, .output = 8.0 };
    Usage u = usage_unknown();
    u.input_tokens = 1000;
    u.cached_input_tokens = 400;
    u.output_tokens = 500;
    /* OpenAI/Gemini: cached tokens are part of input */
    cr_assert_float_eq(prices_cost(&p, "openai", &u), (600 * 2.0 + 400 * 0.5 + 500 * 8.0) / 1e6, 1e-12);
    /* Anthropic: input_tokens holds cache reads and writes, each billed at its own price */
    u.cache_write_tokens = 100;
    cr_assert_float_eq(prices_cost(&p, "anthropic", &u),
                       (500 * 2.0 + 100 * 2.5 + 400 * 0.5 + 500 * 8.0) / 1e6, 1e-12);
    /* A provider-reported cost (OpenRouter) wins */
    u.reported_cost_usd = 0.0123;
    cr_assert_float_eq(prices_cost(&p, "openai-compat", &u), 0.0123, 1e-12);
    /* No usage at all: unknown, never 0 */
    Usage none = usage_unknown();
    cr_assert(isnan(prices_cost(&p, "openai", &none)));
}

Test(prices, one_hour_cache_writes_and_reasoning_have_their_own_rates)
{
    /* Anthropic: 1000 tokens written to the 1-hour cache cost 2x input, not
     * the 5-minute 1.25x (the issue: they were priced at the 5-minute rate) */
    Price p = { .input = 3.0, .cached_input = 0.3, .cache_write = 3.75, .cache_write_1h = 6.0, .output = 15.0,
                .reasoning = 15.0 };
    Usage u = usage_unknown();
    u.input_tokens = 412 + 2048;
    u.cache_write_tokens = 2048;
    u.cache_write_1h_tokens = 2048;
    u.cached_input_tokens = 0;
    u.output_tokens = 287;
    u.reasoning_tokens = 268;
    cr_assert_float_eq(prices_cost(&p, "anthropic", &u), (412 * 3.0 + 2048 * 6.0 + 287 * 15.0) / 1e6, 1e-12);
    u.cache_write_1h_tokens = 1000; /* the rest (1048) went to the 5-minute cache */
    cr_assert_float_eq(prices_cost(&p, "anthropic", &u), (412 * 3.0 + 1048 * 3.75 + 1000 * 6.0 + 287 * 15.0) / 1e6,
                       1e-12);
    /* a row with its own reasoning rate prices the reasoning part of the output at it */
    p.reasoning = 7.5;
    cr_assert_float_eq(prices_cost(&p, "anthropic", &u),
                       (412 * 3.0 + 1048 * 3.75 + 1000 * 6.0 + 19 * 15.0 + 268 * 7.5) / 1e6, 1e-12);
    Usage o = usage_unknown();
    o.input_tokens = 12;
    o.output_tokens = 200;
    o.reasoning_tokens = 199;
    Price q = { .input = 0.05, .cached_input = 0.005, .output = 0.40, .reasoning = 0.40 };
    cr_assert_float_eq(prices_cost(&q, "openai", &o), (12 * 0.05 + 200 * 0.40) / 1e6, 1e-12,
                       "reasoning is billed as output unless the row says otherwise");
}

Test(prices, every_shipped_row_says_when_it_was_checked)
{
    char path[1024], err[512];
    const char *src = getenv("VERSUS_SRCDIR");
    snprintf(path, sizeof path, "%s/data/prices.json", src ? src : VERSUS_SRCDIR);
    PriceTable *t = prices_load_file(path, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    size_t n = prices_count(t);
    cr_assert_gt(n, 30);
    for (size_t i = 0; i < n; i++) {
        const char *provider, *model;
        const Price *p = prices_row(t, i, &provider, &model);
        int y, m, d;
        char extra;
        cr_assert_eq(sscanf(p->checked, "%4d-%2d-%2d%c", &y, &m, &d, &extra), 3, "%s:%s checked '%s'", provider,
                     model, p->checked);
        cr_assert(y >= 2024 && m >= 1 && m <= 12 && d >= 1 && d <= 31, "%s:%s checked '%s'", provider, model,
                  p->checked);
        cr_assert_geq(p->reasoning, 0, "%s:%s has a reasoning rate", provider, model);
        if (strcmp(provider, "anthropic") == 0)
            cr_assert_float_eq(p->cache_write_1h, 2 * p->input, 1e-9, "%s: 1-hour writes cost 2x input", model);
    }
    prices_free(t);
}

Test(params, set_checks_ranges_and_overlay_keeps_unset_fields)
{
    char err[256];
    Params over = params_unset();
    cr_assert_eq(params_set(&over, "temperature", "0.2", err, sizeof err), 0);
    cr_assert_eq(params_set(&over, "max_tokens", "12.5", err, sizeof err), -1);
    cr_assert(strstr(err, "whole number"), "%s", err);
    cr_assert_eq(params_set(&over, "top_p", "1.5", err, sizeof err), -1);
    cr_assert_eq(params_set(&over, "nonsense", "1", err, sizeof err), -1);
    cr_assert_eq(params_set(&over, "seed", "42", err, sizeof err), 0);
    Params base = params_default();
    base.max_tokens = 100;
    params_overlay(&base, &over);
    cr_assert_eq(base.max_tokens, 100);
    cr_assert_float_eq(base.temperature, 0.2, 1e-12);
    cr_assert(base.seed_set && base.seed == 42);
}

Test(config, reasoning_from_the_defaults_the_model_map_an_alias_and_the_spec_suffix)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/cfg.json", tmpdir);
    write_file(path,
               "{\"defaults\": {\"reasoning\": \"medium\"},"
               " \"reasoning\": {\"anthropic:claude-sonnet-4-5\": 8000, \"gemini-2.5-flash\": \"off\"},"
               " \"models\": {\"deep\": \"openai:o4-mini#high\"},"
               " \"providers\": {\"oa-chat\": {\"kind\": \"openai\", \"api\": \"chat\"}}}",
               0600);
    Config *cfg = config_load(path, err, sizeof err);
    cr_assert_not_null(cfg, "%s", err);
    Params p = config_default_params(cfg);
    cr_assert_eq(p.reasoning.effort, REASONING_MEDIUM);
    ModelTarget t;
    cr_assert_eq(target_resolve(cfg, "anthropic:claude-sonnet-4-5", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.reasoning.effort, REASONING_BUDGET);
    cr_assert_eq(t.reasoning.budget_tokens, 8000);
    cr_assert_eq(target_resolve(cfg, "gemini:gemini-2.5-flash", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.reasoning.effort, REASONING_OFF, "the bare model name matches too");
    cr_assert_eq(target_resolve(cfg, "openai:o3", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.reasoning.effort, REASONING_UNSET, "a model the map does not name: nothing asked");
    cr_assert_eq(target_resolve(cfg, "deep", &t, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(t.model, "o4-mini");
    cr_assert_eq(t.reasoning.effort, REASONING_HIGH, "an alias carries its suffix");
    cr_assert_eq(target_resolve(cfg, "deep#low", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.reasoning.effort, REASONING_LOW, "the spec's own suffix wins over the alias's");
    cr_assert_eq(target_resolve(cfg, "anthropic:claude-sonnet-4-5#high", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.reasoning.effort, REASONING_HIGH, "and over the map");
    cr_assert_eq(target_resolve(cfg, "oa-chat:o4-mini", &t, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(t.api, "chat");
    cr_assert_eq(target_resolve(cfg, "openai:o4-mini#", &t, err, sizeof err), -1);
    cr_assert(strstr(err, "reasoning must be"), "%s", err);
    config_free(cfg);
}
