/* models.c — `versus models`: what is configured, what is usable now, and
 * what to do about the rest. */
#include "cli/cli.h"
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
    fprintf(out, "usage: versus models [--config PATH]\n\n"
                 "Lists the models versus would use by default and every provider it knows,\n"
                 "whether each is usable now, and if not, why and what to set.\n");
}

static void show_spec(const Config *cfg, const PriceTable *prices, const char *spec)
{
    ModelTarget t;
    char err[512], status[600];
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
        if (key)
            snprintf(status, sizeof status, "usable (key from %s)", getenv(t.key_env) ? t.key_env : t.key_file);
        else if (missing && strcmp(t.kind, "openai-compat") == 0)
            snprintf(status, sizeof status, "usable (no key)");
        else
            snprintf(status, sizeof status, "unusable: %s", err);
        keys_free(key);
    } else {
        snprintf(status, sizeof status, "usable");
    }
    Price p;
    char price[96];
    bool free_endpoint = is_local || t.inside_perimeter || (t.local_host && !provider_find(t.kind)->closed);
    if (prices_lookup(prices, cfg, t.kind, t.provider, t.model, free_endpoint, &p)) {
        if (p.free_local)
            snprintf(price, sizeof price, "free (local)");
        else
            snprintf(price, sizeof price, "$%.3g in / $%.3g out per 1M (checked %s)", p.input, p.output,
                     p.checked[0] ? p.checked : "?");
    } else {
        snprintf(price, sizeof price, "price unknown: cost will show as unknown");
    }
    cli_printf(stdout, "  %-44s  %s\n  %-44s  %s%s\n", spec, status, "", price,
           t.inside_perimeter ? "; inside the data perimeter" : "");
}

int cli_models(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'C' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *config_file = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (c == 'C')
            config_file = optarg;
        else if (c == 'h') {
            models_usage(stdout);
            return CLI_EXIT_OK;
        } else {
            models_usage(stderr);
            return CLI_EXIT_USAGE;
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
    cli_printf(stdout, "config: %s\nprices: %s\n\nDefault models (used when you give no -m):\n", config_path(cfg),
           prices && prices_source(prices)[0] ? prices_source(prices) : "(none found)");
    char **specs = NULL;
    size_t n = config_default_specs(cfg, &specs);
    for (size_t i = 0; i < n; i++)
        show_spec(cfg, prices, specs[i]);
    config_free_specs(specs, n);
    cli_printf(stdout, "\nOther providers: openai-compat:MODEL@URL (llama-server, vLLM, Ollama /v1, OpenRouter),\n"
           "ollama:MODEL (OLLAMA_HOST), local:PATH.gguf or local:hf://OWNER/REPO/FILE.gguf.\n");
    printf("\nArchitectures the built-in engine runs (GGUF general.architecture):\n");
    for (int i = 0; arch_at(i); i++)
        printf("  %-10s  %s%s\n", arch_at(i)->name, arch_at(i)->family, arch_at(i)->cuda ? "" : " (CPU only)");
    prices_free(prices);
    config_free(cfg);
    return CLI_EXIT_OK;
}
