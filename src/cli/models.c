/* models.c — `versus models`: what is configured, what is usable now, what
 * each costs (and which models have no price), and what to do about the rest. */
#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "providers/target.h"
#include "core/keys.h"
#include "core/prices.h"
#include "engine/arch.h"
#include "engine/model_ref.h"
#include "providers/local.h"
#include "providers/provider.h"

static void models_usage(FILE *out)
{
    fprintf(out, "usage: versus models [-m SPEC]... [--config PATH]\n\n"
                 "Lists the models versus would use by default (or the ones given with -m),\n"
                 "the config's aliases and every provider it knows, whether each is usable now\n"
                 "and if not, why and what to set, and the URL each sends to; then the price\n"
                 "table with the date each row was checked. A model with no price has an\n"
                 "unknown cost, never 0.\n");
}

static void show_spec(const Config *cfg, const PriceTable *prices, const char *spec)
{
    ModelTarget t;
    char err[512], status[1600];
    if (target_resolve(cfg, spec, &t, err, sizeof err) < 0) {
        cli_printf(stdout, "  %-44s  unusable: %s\n", spec, err);
        return;
    }
    bool is_local = strcmp(t.kind, "local") == 0;
    if (is_local) {
        char path[4096];
        if (!local_engine_available())
            snprintf(status, sizeof status, "unusable: the built-in engine is not built yet");
        else {
            int where = model_ref_locate(t.model, path, sizeof path, err, sizeof err);
            if (where < 0)
                snprintf(status, sizeof status, "unusable: %s", err);
            else if (where == 0)
                snprintf(status, sizeof status, "usable: downloads %s to %s on first use",
                         t.model[0] ? t.model : model_ref_default(), path);
            else
                snprintf(status, sizeof status, "usable (%s)", path);
        }
    } else if (t.key_env[0] || t.key_file[0]) {
        int missing = 0;
        char *key = keys_read(t.key_env, t.key_file, &missing, err, sizeof err);
        if (key && !t.key_allowed) /* what run and the workbench refuse */
            snprintf(status, sizeof status, "refused unless you pass --send-key-to %s: the key of '%s' belongs to "
                     "%s (%s)", t.base_url, t.provider, t.key_home[0] ? t.key_home : "another URL",
                     t.key_home_from[0] ? t.key_home_from : "its provider");
        else if (key)
            snprintf(status, sizeof status, "usable (key from %s)", getenv(t.key_env) ? t.key_env : t.key_file);
        else if (missing && !provider_find(t.kind)->closed) /* a local server: runs without one */
            snprintf(status, sizeof status, "usable (no key); the server is not contacted until a round");
        else
            snprintf(status, sizeof status, "unusable: %s", err);
        keys_free(key);
    } else {
        snprintf(status, sizeof status, "usable");
    }
    Price p;
    char price[400];
    bool free_endpoint = is_local || t.inside_perimeter || (t.local_host && !provider_find(t.kind)->closed);
    bool known = prices_lookup(prices, cfg, t.kind, t.provider, t.model, free_endpoint, &p);
    LocalCost lc;
    char lerr[300];
    if (config_local_cost(cfg, &lc, lerr, sizeof lerr) < 0)
        lc.set = false;
    if (known && p.free_local)
        snprintf(price, sizeof price, "free: the config says so (local_cost.free)");
    else if (known && p.local)
        snprintf(price, sizeof price, "estimated from measured speed: $%.4g/h (%s) over the prompt and decode "
                 "tokens/s each reply measures", lc.hour_usd, lc.basis);
    else if (p.local)
        snprintf(price, sizeof price, "cost unknown: runs on your hardware; state its hourly cost in the config "
                 "(\"local_cost\": {\"gpu_hour_usd\": N})");
    else if (known)
        snprintf(price, sizeof price, "$%.3g in / $%.3g out per 1M (checked %s)", p.input, p.output,
                 p.checked[0] ? p.checked : "?");
    else
        snprintf(price, sizeof price, "no price: its cost shows as unknown (add it under \"prices\" in the config)");
    cli_printf(stdout, "  %-44s  %s\n", spec, status);
    if (t.base_url[0]) /* a typo'd *_BASE_URL shows here, not as a failed round */
        cli_printf(stdout, "  %-44s  sends to %s (%s)\n", "", t.base_url,
                   t.key_allowed && target_same_endpoint(t.base_url, t.key_home) ? t.key_home_from
                                                                                 : "written in the spec");
    cli_printf(stdout, "  %-44s  %s%s\n", "", price, t.inside_perimeter ? "; inside the data perimeter" : "");
}

/* Every row of the price table, with the date it was checked. */
static void show_prices(const PriceTable *prices)
{
    size_t n = prices_count(prices);
    if (!n)
        return;
    cli_printf(stdout, "\nPrices (USD per 1M tokens: input / output, date checked):\n");
    for (size_t i = 0; i < n; i++) {
        const char *provider, *model;
        const Price *p = prices_row(prices, i, &provider, &model);
        char extra[96] = "";
        if (p->reasoning > 0 && p->reasoning != p->output)
            snprintf(extra, sizeof extra, ", reasoning %.3g", p->reasoning);
        cli_printf(stdout, "  %-10s %-26s %8.3g / %-8.3g checked %s%s\n", provider, model, p->input, p->output,
                   p->checked[0] ? p->checked : "(no date)", extra);
    }
    cli_printf(stdout, "Any other model has no price: its cost shows as unknown, never 0.\n");
}

int cli_models(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'C' },
        { "model", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_file = NULL;
    const char *given[64];
    size_t n_given = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hm:", longopts, NULL)) != -1) {
        if (c == 'C')
            config_file = optarg;
        else if (c == 'm' && n_given < sizeof given / sizeof given[0])
            given[n_given++] = optarg;
        else if (c == 'h') {
            models_usage(stdout);
            return CLI_EXIT_OK;
        } else {
            return cli_option_error("models", c, argv, longopts);
        }
    }
    char err[512];
    Config *cfg = config_load(config_file, err, sizeof err);
    if (!cfg) {
        cli_printf(stderr, "versus: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    PriceTable *prices = prices_load(err, sizeof err);
    if (!prices)
        cli_printf(stderr, "versus: %s (costs will show as unknown)\n", err);
    cli_printf(stdout, "config: %s\nprices: %s\n", config_path(cfg),
           prices && prices_source(prices)[0] ? prices_source(prices) : "(none found)");
    if (n_given) {
        cli_printf(stdout, "\nModels asked about:\n");
        for (size_t i = 0; i < n_given; i++)
            show_spec(cfg, prices, given[i]);
    } else {
        cli_printf(stdout, "\nDefault models (used when you give no -m):\n");
        char **specs = NULL;
        size_t n = config_default_specs(cfg, &specs);
        for (size_t i = 0; i < n; i++)
            show_spec(cfg, prices, specs[i]);
        config_free_specs(specs, n);
        char **aliases = NULL;
        size_t na = config_model_aliases(cfg, &aliases);
        if (na)
            cli_printf(stdout, "\nAliases from the config:\n");
        for (size_t i = 0; i < na; i++)
            show_spec(cfg, prices, aliases[i]);
        config_free_specs(aliases, na);
    }
    cli_printf(stdout, "\nOther providers: openai-compat:MODEL@URL (llama-server, vLLM, Ollama /v1, OpenRouter),\n"
           "ollama:MODEL (OLLAMA_HOST), local:PATH.gguf or local:hf://OWNER/REPO/FILE.gguf.\n");
    printf("\nArchitectures the built-in engine runs (GGUF general.architecture):\n");
    for (int i = 0; arch_at(i); i++)
        printf("  %-10s  %s%s\n", arch_at(i)->name, arch_at(i)->family, arch_at(i)->cuda ? "" : " (CPU only)");
    show_prices(prices);
    prices_free(prices);
    config_free(cfg);
    return CLI_EXIT_OK;
}
