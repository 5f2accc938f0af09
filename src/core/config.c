/* config.c — loading config.json and answering questions about it (see
 * config.h). The file is small and read once, so it is kept as a cJSON tree
 * and queried. Turning a model spec into an endpoint is not done here but in
 * providers/target.c, which knows the provider kinds. */
#include "core/config.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"
#include "core/config_check.h"
#include "core/keyfilter.h"
#include "core/keys.h"
#include "util/xdg.h"

#define CONFIG_MAX_FILE (4u << 20)

struct Config {
    cJSON *root; /* NULL for an empty config */
    char path[1024];
    char dir[1024];
};

/* A closed provider's model used by default when the config names none. */
static const struct {
    const char *provider;
    const char *model;
} builtin_default_models[] = {
    { "openai", "gpt-4o-mini" },
    { "anthropic", "claude-haiku-4-5" },
    { "gemini", "gemini-2.5-flash" },
};

static cJSON *obj_get(const cJSON *o, const char *key);
static const char *str_get(const cJSON *o, const char *key);

static void set_paths(Config *cfg, const char *path)
{
    snprintf(cfg->path, sizeof cfg->path, "%s", path ? path : "");
    snprintf(cfg->dir, sizeof cfg->dir, "%s", cfg->path);
    char *slash = strrchr(cfg->dir, '/');
    if (slash)
        *slash = '\0';
    else
        cfg->dir[0] = '\0';
}

Config *config_new_empty(void)
{
    Config *cfg = calloc(1, sizeof *cfg);
    if (!cfg)
        return NULL;
    char p[1024];
    if (xdg_path(XDG_CONFIG, "config.json", p, sizeof p) == 0)
        set_paths(cfg, p);
    return cfg;
}

/* Makes every key the config points at known to the key filter, so it is
 * masked wherever it shows up even when this command never sends it: each
 * provider's key_env value and key_file, and every .key file in keys/. */
static void register_keys(const Config *cfg)
{
    const cJSON *provs = obj_get(cfg->root, "providers");
    const cJSON *p;
    if (!cJSON_IsObject(provs))
        provs = NULL;
    cJSON_ArrayForEach(p, provs) {
        const char *env = str_get(p, "key_env");
        const char *val = env ? getenv(env) : NULL;
        if (val)
            keyfilter_add_secret(val, strlen(val));
        const char *file = str_get(p, "key_file");
        char path[2048];
        if (file && file[0] == '~' && file[1] == '/' && getenv("HOME"))
            snprintf(path, sizeof path, "%s%s", getenv("HOME"), file + 1);
        else if (file)
            snprintf(path, sizeof path, "%s", file);
        int missing;
        char err[512];
        if (file)
            keys_free(keys_read(NULL, path, &missing, err, sizeof err)); /* reading registers it */
    }
    char dir[1100];
    if (!cfg->dir[0] || (size_t)snprintf(dir, sizeof dir, "%s/keys", cfg->dir) >= sizeof dir)
        return;
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t n = strlen(de->d_name);
        char path[2200];
        if (n < 5 || strcmp(de->d_name + n - 4, ".key") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        int missing;
        char err[512];
        keys_free(keys_read(NULL, path, &missing, err, sizeof err));
    }
    if (d)
        closedir(d);
}

Config *config_load(const char *path, char *err, size_t errlen)
{
    char def[1024];
    if (!path || !*path)
        path = getenv("VERSUS_CONFIG");
    bool explicit_path = path && *path;
    if (!explicit_path) {
        if (xdg_path(XDG_CONFIG, "config.json", def, sizeof def) < 0)
            return config_new_empty();
        path = def;
    }
    Config *cfg = config_new_empty();
    if (!cfg) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    set_paths(cfg, path);
    Buf b = { 0 };
    char why[1200];
    int rc = util_read_file(path, CONFIG_MAX_FILE, &b, why, sizeof why);
    if (rc == UTIL_FILE_MISSING && !explicit_path)
        return cfg; /* no config at all: defaults */
    if (rc < 0) {
        snprintf(err, errlen, "config %s", why);
        config_free(cfg);
        return NULL;
    }
    char perr[512];
    if (keys_check_private_file(path, perr, sizeof perr) < 0) {
        snprintf(err, errlen, "config refused: %s", perr);
        buf_free(&b);
        config_free(cfg);
        return NULL;
    }
    const char *end = NULL;
    cfg->root = cJSON_ParseWithLengthOpts(buf_str(&b), b.len, &end, 0);
    if (!cfg->root || !cJSON_IsObject(cfg->root)) {
        size_t off = end ? (size_t)(end - buf_str(&b)) : 0;
        int line = 1;
        for (size_t i = 0; i < off && i < b.len; i++)
            line += b.data[i] == '\n';
        snprintf(err, errlen, "config %s: not valid JSON (%s near line %d)", path,
                 cfg->root ? "top level must be an object" : "syntax error", line);
        buf_free(&b);
        config_free(cfg);
        return NULL;
    }
    buf_free(&b);
    /* Every key known and every value of the right shape: a misspelt key is
     * an error, never a setting silently left at its default. */
    char cerr[700];
    if (config_check(cfg->root, cerr, sizeof cerr) < 0) {
        snprintf(err, errlen, "config %s: %s", path, cerr);
        config_free(cfg);
        return NULL;
    }
    LocalCost lc;
    char lerr[400];
    if (config_local_cost(cfg, &lc, lerr, sizeof lerr) < 0) {
        snprintf(err, errlen, "config %s: %s", path, lerr);
        config_free(cfg);
        return NULL;
    }
    register_keys(cfg);
    return cfg;
}

void config_free(Config *cfg)
{
    if (!cfg)
        return;
    cJSON_Delete(cfg->root);
    free(cfg);
}

const char *config_path(const Config *cfg) { return cfg->path; }
const char *config_dir(const Config *cfg) { return cfg->dir; }

static cJSON *obj_get(const cJSON *o, const char *key)
{
    return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static const char *str_get(const cJSON *o, const char *key)
{
    const cJSON *v = obj_get(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool bool_get(const cJSON *o, const char *key, bool def)
{
    const cJSON *v = obj_get(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static const cJSON *provider_entry(const Config *cfg, const char *name)
{
    return obj_get(obj_get(cfg->root, "providers"), name);
}

/* A reasoning setting written as "high" or as a budget number; out is left
 * alone when v is absent or not valid. True when it was set. */
static bool reasoning_value(const cJSON *v, Reasoning *out)
{
    char text[64], err[256];
    if (cJSON_IsString(v))
        snprintf(text, sizeof text, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(text, sizeof text, "%.17g", v->valuedouble);
    else
        return false;
    return reasoning_parse(text, out, err, sizeof err) == 0;
}

bool config_model_reasoning(const Config *cfg, const char *provider, const char *model, Reasoning *out)
{
    char key[600];
    snprintf(key, sizeof key, "%s:%s", provider, model);
    const cJSON *map = obj_get(cfg->root, "reasoning");
    const cJSON *v = obj_get(map, key);
    if (!v)
        v = obj_get(map, model);
    return reasoning_value(v, out);
}

Params config_default_params(const Config *cfg)
{
    /* Every default goes through params_set(), so a value out of range (or
     * too big for its type, as a hostile file may write) is left unset
     * rather than converted blindly. */
    Params p = params_default();
    const cJSON *d = obj_get(cfg->root, "defaults");
    static const char *const keys[] = { "max_tokens", "temperature", "top_p", "top_k", "min_p",
                                        "repeat_penalty", "seed", "timeout", "context_length" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = obj_get(d, keys[i]);
        if (!cJSON_IsNumber(v))
            continue;
        char text[64], err[256];
        snprintf(text, sizeof text, "%.17g", v->valuedouble);
        params_set(&p, keys[i], text, err, sizeof err);
    }
    reasoning_value(obj_get(d, "reasoning"), &p.reasoning);
    return p;
}

Sensitivity config_default_sensitivity(const Config *cfg)
{
    Sensitivity s = SENSITIVITY_PUBLIC;
    const char *name = str_get(obj_get(cfg->root, "defaults"), "sensitivity");
    if (name && sensitivity_parse(name, &s) < 0)
        s = SENSITIVITY_RESTRICTED; /* config_load refuses these; fail closed all the same */
    return s;
}

const char *config_provider_default_model(const Config *cfg, const char *provider)
{
    const char *m = str_get(provider_entry(cfg, provider), "default_model");
    if (m)
        return m;
    for (size_t i = 0; i < sizeof builtin_default_models / sizeof builtin_default_models[0]; i++)
        if (strcmp(builtin_default_models[i].provider, provider) == 0)
            return builtin_default_models[i].model;
    return NULL;
}

static int push_spec(char ***specs, size_t *n, const char *s)
{
    char **p = realloc(*specs, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    *specs = p;
    if (!(p[*n] = strdup(s)))
        return -1;
    (*n)++;
    return 0;
}

size_t config_default_specs(const Config *cfg, char ***specs)
{
    size_t n = 0;
    *specs = NULL;
    const cJSON *list = obj_get(obj_get(cfg->root, "defaults"), "models");
    if (cJSON_IsArray(list)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, list)
            if (cJSON_IsString(it))
                push_spec(specs, &n, it->valuestring);
        if (n)
            return n;
    }
    push_spec(specs, &n, "local:");
    char spec[256];
    for (size_t i = 0; i < sizeof builtin_default_models / sizeof builtin_default_models[0]; i++) {
        snprintf(spec, sizeof spec, "%s:%s", builtin_default_models[i].provider,
                 config_provider_default_model(cfg, builtin_default_models[i].provider));
        push_spec(specs, &n, spec);
    }
    return n;
}

void config_free_specs(char **specs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(specs[i]);
    free(specs);
}

/* A number >= 0 (> 0 when positive) at key of o, or -1 with err. */
static int cost_number(const cJSON *o, const char *key, bool positive, double *out, char *err, size_t errlen)
{
    const cJSON *v = obj_get(o, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < 0 ||
        (positive && !(v->valuedouble > 0))) {
        snprintf(err, errlen, "local_cost.%s must be a number %s (got %s)", key, positive ? "> 0" : ">= 0",
                 v ? (cJSON_IsNumber(v) ? "out of range" : "not a number") : "nothing");
        return -1;
    }
    *out = v->valuedouble;
    return 0;
}

int config_local_cost(const Config *cfg, LocalCost *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const cJSON *lc = cfg ? obj_get(cfg->root, "local_cost") : NULL;
    if (!lc)
        return 0;
    if (!cJSON_IsObject(lc)) {
        snprintf(err, errlen, "local_cost must be an object: {\"gpu_hour_usd\": N}, {\"hardware_usd\": N, "
                              "\"amortisation_months\": N, \"watts\": N, \"kwh_usd\": N} or {\"free\": true}");
        return -1;
    }
    /* its keys were checked with the rest of the file (config_check.c) */
    out->set = true;
    const cJSON *fr = obj_get(lc, "free");
    if (fr && !cJSON_IsBool(fr)) {
        snprintf(err, errlen, "local_cost.free must be true or false");
        return -1;
    }
    if (cJSON_IsTrue(fr)) {
        out->free = true;
        snprintf(out->basis, sizeof out->basis, "free: the config says local models cost nothing");
        return 0;
    }
    bool rented = obj_get(lc, "gpu_hour_usd") != NULL, owned = obj_get(lc, "hardware_usd") != NULL;
    if (rented == owned) {
        snprintf(err, errlen, "local_cost needs either gpu_hour_usd (a rented GPU's hourly price) or "
                              "hardware_usd with amortisation_months (owned hardware), not %s",
                 rented ? "both" : "neither");
        return -1;
    }
    double util = 1;
    if (obj_get(lc, "utilisation") &&
        (cost_number(lc, "utilisation", true, &util, err, errlen) < 0 || util > 1)) {
        snprintf(err, errlen, "local_cost.utilisation must be a share of the hours the machine is busy, "
                              "more than 0 and at most 1");
        return -1;
    }
    size_t n;
    if (rented) {
        double g;
        if (cost_number(lc, "gpu_hour_usd", false, &g, err, errlen) < 0)
            return -1;
        out->hour_usd = g;
        n = (size_t)snprintf(out->basis, sizeof out->basis, "a GPU rented at $%.4g/h", g);
    } else {
        double hw, months, watts = 0, kwh = 0;
        if (cost_number(lc, "hardware_usd", false, &hw, err, errlen) < 0 ||
            cost_number(lc, "amortisation_months", true, &months, err, errlen) < 0)
            return -1;
        bool w = obj_get(lc, "watts") != NULL, k = obj_get(lc, "kwh_usd") != NULL;
        if (w != k) {
            snprintf(err, errlen, "local_cost: power needs both watts and kwh_usd (the electricity price per kWh)");
            return -1;
        }
        if (w && (cost_number(lc, "watts", false, &watts, err, errlen) < 0 ||
                  cost_number(lc, "kwh_usd", false, &kwh, err, errlen) < 0))
            return -1;
        double amort = hw / (months * 730.0), power = watts / 1000.0 * kwh;
        out->hour_usd = amort + power;
        n = (size_t)snprintf(out->basis, sizeof out->basis, "$%.0f of hardware over %.4g months ($%.4g/h)", hw,
                             months, amort);
        if (w && n < sizeof out->basis)
            n += (size_t)snprintf(out->basis + n, sizeof out->basis - n, " + %.4g W at $%.4g/kWh ($%.4g/h)", watts,
                                  kwh, power);
    }
    if (util < 1) {
        out->hour_usd /= util;
        if (n < sizeof out->basis)
            snprintf(out->basis + n, sizeof out->basis - n, ", busy %.0f%% of the time", 100 * util);
    }
    return 0;
}

bool config_price_override(const Config *cfg, const char *provider, const char *model,
                           double *in_per_m, double *out_per_m, double *cached_in_per_m)
{
    char key[600];
    snprintf(key, sizeof key, "%s:%s", provider, model);
    const cJSON *e = obj_get(obj_get(cfg->root, "prices"), key);
    if (!e)
        e = obj_get(obj_get(cfg->root, "prices"), model);
    if (!cJSON_IsObject(e))
        return false;
    const cJSON *i = obj_get(e, "input"), *o = obj_get(e, "output"), *c = obj_get(e, "cached_input");
    if (!cJSON_IsNumber(i) || !cJSON_IsNumber(o))
        return false;
    *in_per_m = i->valuedouble;
    *out_per_m = o->valuedouble;
    *cached_in_per_m = cJSON_IsNumber(c) ? c->valuedouble : i->valuedouble;
    return true;
}

size_t config_model_aliases(const Config *cfg, char ***names)
{
    size_t n = 0;
    *names = NULL;
    const cJSON *it;
    cJSON_ArrayForEach(it, obj_get(cfg->root, "models"))
        if (cJSON_IsString(it) && it->string)
            push_spec(names, &n, it->string);
    return n;
}

const char *config_model_alias(const Config *cfg, const char *name)
{
    return str_get(obj_get(cfg->root, "models"), name);
}

size_t config_provider_count(const Config *cfg)
{
    const cJSON *p = obj_get(cfg->root, "providers");
    return cJSON_IsObject(p) ? (size_t)cJSON_GetArraySize(p) : 0;
}

const char *config_provider_name(const Config *cfg, size_t i)
{
    const cJSON *p = obj_get(cfg->root, "providers");
    const cJSON *e = cJSON_IsObject(p) ? cJSON_GetArrayItem(p, (int)i) : NULL;
    return e && e->string ? e->string : "";
}

bool config_has_provider(const Config *cfg, const char *provider)
{
    return provider_entry(cfg, provider) != NULL;
}

const char *config_provider_str(const Config *cfg, const char *provider, const char *key)
{
    return str_get(provider_entry(cfg, provider), key);
}

bool config_provider_bool(const Config *cfg, const char *provider, const char *key, bool def)
{
    return bool_get(provider_entry(cfg, provider), key, def);
}

const char *config_local_model(const Config *cfg)
{
    return str_get(obj_get(cfg->root, "local"), "model");
}

const char *config_local_kv_type(const Config *cfg)
{
    return str_get(obj_get(cfg->root, "local"), "kv_type");
}
