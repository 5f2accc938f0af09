/* preflight.c — whether a model can be asked, and what to do when not
 * (preflight.h). Reads keys (and wipes them), a local file's GGUF header;
 * sends and downloads nothing. */
#include "run/preflight.h"

#include <stdio.h>
#include <string.h>

#include "core/keys.h"
#include "engine/arch.h"
#include "engine/gguf.h"
#include "engine/model_ref.h"
#include "providers/local.h"
#include "providers/provider.h"
#include "providers/target.h"

static bool unusable(PreflightResult *out, const char *problem, const char *fix)
{
    out->usable = false;
    snprintf(out->problem, sizeof out->problem, "%s", problem);
    snprintf(out->fix, sizeof out->fix, "%s", fix);
    return false;
}

/* A local model: the engine is built, the file is there (or will be
 * downloaded), and its architecture is one the engine runs. */
static bool check_local(const ModelTarget *t, PreflightResult *out)
{
    char path[4096], err[512], fix[600];
    if (!local_engine_available())
        return unusable(out, "the built-in engine is not built into this versus",
                        "rebuild versus (./bootstrap build), or compare API models only");
    int where = model_ref_locate(t->model, path, sizeof path, err, sizeof err);
    if (where < 0) {
        snprintf(fix, sizeof fix, "check the path (a .gguf file), or use local: alone for the default model; "
                                  "`versus models` lists what is usable");
        return unusable(out, err, fix);
    }
    if (where == 0) {
        snprintf(out->fix, sizeof out->fix, "downloads %s on first use", t->model[0] ? t->model : model_ref_default());
        return true;
    }
    GgufFile *g = gguf_open(path, err, sizeof err);
    if (!g) {
        snprintf(fix, sizeof fix, "%s is not a GGUF file this engine reads; use a .gguf model file", path);
        return unusable(out, err, fix);
    }
    GgufString a = gguf_get_string(g, "general.architecture");
    bool known = a.ptr && arch_find(a.ptr, a.len);
    if (!known) {
        char names[256], problem[600];
        arch_names(names, sizeof names);
        snprintf(problem, sizeof problem, "unsupported architecture '%.*s'", a.ptr ? (int)(a.len > 40 ? 40 : a.len) : 1,
                 a.ptr ? a.ptr : "?");
        snprintf(fix, sizeof fix, "the engine runs %s: use a GGUF of one of those", names);
        gguf_close(g);
        return unusable(out, problem, fix);
    }
    gguf_close(g);
    return true;
}

bool preflight_check(const Config *cfg, const char *spec, const char *const *key_urls, size_t n_key_urls,
                     PreflightResult *out)
{
    memset(out, 0, sizeof *out);
    out->usable = true;
    ModelTarget t;
    char err[512];
    if (target_resolve(cfg, spec, &t, err, sizeof err) < 0)
        return unusable(out, err, "write it as PROVIDER:MODEL (openai:gpt-4o-mini, local:FILE.gguf, ...); "
                                  "`versus models` lists the providers and aliases");
    if (strcmp(t.kind, "local") == 0)
        return check_local(&t, out);
    if (!t.key_env[0] && !t.key_file[0])
        return true;
    int missing = 0;
    char *key = keys_read(t.key_env, t.key_file, &missing, err, sizeof err);
    if (key) {
        keys_free(key);
        for (size_t i = 0; i < n_key_urls; i++)
            if (target_same_endpoint(key_urls[i], t.base_url))
                return true;
        if (t.key_allowed)
            return true;
        /* what a round would refuse (run.c): the key belongs to another URL */
        char problem[600], fix[600];
        snprintf(problem, sizeof problem, "its key (provider '%s') belongs to %s (%s), not to %s",
                 t.provider, t.key_home[0] ? t.key_home : "another URL",
                 t.key_home_from[0] ? t.key_home_from : "its provider", t.base_url);
        snprintf(fix, sizeof fix, "if you trust that server with the key, start versus with --send-key-to %s "
                 "(or make it the provider's base_url in the config)", t.base_url);
        return unusable(out, problem, fix);
    }
    const ProviderOps *ops = provider_find(t.kind);
    if (missing && ops && !ops->closed)
        return true; /* an open server that takes no key */
    char fix[600];
    if (missing && t.key_env[0])
        snprintf(fix, sizeof fix, "set %s in the environment (or a key_file in the config), then restart or use :models",
                 t.key_env);
    else
        snprintf(fix, sizeof fix, "fix the key file as the message says, then restart or use :models");
    return unusable(out, err, fix);
}
