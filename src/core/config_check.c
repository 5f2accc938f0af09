/* config_check.c — every key config.json may hold, and the shape of its
 * value (see config_check.h). */
#include "core/config_check.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/request.h"
#include "util/buf.h"
#include "util/suggest.h"

static const char *const top_keys[] = { "defaults", "providers", "models", "reasoning", "local",
                                        "prices", "local_cost", NULL };
static const char *const default_keys[] = { "models", "sensitivity", "reasoning", "max_tokens", "temperature",
                                            "top_p", "top_k", "min_p", "repeat_penalty", "seed", "timeout",
                                            "context_length", NULL };
static const char *const provider_keys[] = { "kind", "base_url", "key_env", "key_file", "default_model",
                                             "api", "inside_perimeter", "insecure_tls", NULL };
static const char *const local_keys[] = { "model", "kv_type", NULL };
static const char *const price_keys[] = { "input", "output", "cached_input", NULL };
static const char *const local_cost_keys[] = { "gpu_hour_usd", "hardware_usd", "amortisation_months", "watts",
                                               "kwh_usd", "utilisation", "free", NULL };

/* The numbers defaults may set, each checked by params_set. */
static const char *const default_numbers[] = { "max_tokens", "temperature", "top_p", "top_k", "min_p",
                                               "repeat_penalty", "seed", "timeout", "context_length", NULL };

const char *const *config_check_keys(ConfigSection s)
{
    static const char *const *const tables[CONFIG_SECTION_COUNT] = {
        [CONFIG_SECTION_TOP] = top_keys,         [CONFIG_SECTION_DEFAULTS] = default_keys,
        [CONFIG_SECTION_PROVIDER] = provider_keys, [CONFIG_SECTION_LOCAL] = local_keys,
        [CONFIG_SECTION_PRICE] = price_keys,     [CONFIG_SECTION_LOCAL_COST] = local_cost_keys,
    };
    return (unsigned)s < CONFIG_SECTION_COUNT ? tables[s] : NULL;
}

static bool in_list(const char *k, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(k, list[i]) == 0)
            return true;
    return false;
}

/* A name from the file, fit to quote in a message: control characters
 * become '?', cut at 60 bytes. */
static void shown(const char *s, char *out, size_t n)
{
    snprintf(out, n < 61 ? n : 61, "%s", s ? s : "");
    for (char *c = out; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

/* The path of a key for messages: "defaults.temperature", "providers.lab.kind". */
static void key_path(char *out, size_t n, const char *where, const char *key)
{
    char k[64];
    shown(key, k, sizeof k);
    if (where[0])
        snprintf(out, n, "%s.%s", where, k);
    else
        snprintf(out, n, "%s", k);
}

/* -1 with err when obj holds a key not in known. */
static int known_keys(const cJSON *obj, const char *where, const char *const *known, char *err, size_t errlen)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, obj) {
        if (e->string && in_list(e->string, known))
            continue;
        size_t n = 0;
        while (known[n])
            n++;
        char path[200];
        key_path(path, sizeof path, where, e->string ? e->string : "");
        const char *near = suggest_nearest(e->string ? e->string : "", known, n);
        Buf b = { 0 };
        buf_printf(&b, "%s is not a setting", path);
        if (near)
            buf_printf(&b, " (did you mean %s?)", near);
        buf_printf(&b, "; %s%s holds only: ", where[0] ? "" : "the top level", where);
        for (size_t i = 0; i < n; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", known[i]);
        buf_puts(&b, " (see CONFIGURATION in versus(1))");
        snprintf(err, errlen, "%s", buf_str(&b));
        buf_free(&b);
        return -1;
    }
    return 0;
}

static int want_object(const cJSON *v, const char *path, char *err, size_t errlen)
{
    if (cJSON_IsObject(v))
        return 0;
    snprintf(err, errlen, "%s must be an object ({...})", path);
    return -1;
}

static int want_string(const cJSON *v, const char *path, char *err, size_t errlen)
{
    if (!v || cJSON_IsString(v))
        return 0;
    snprintf(err, errlen, "%s must be a string (\"...\")", path);
    return -1;
}

static int want_bool(const cJSON *v, const char *path, char *err, size_t errlen)
{
    if (!v || cJSON_IsBool(v))
        return 0;
    snprintf(err, errlen, "%s must be true or false", path);
    return -1;
}

/* A reasoning setting: "off" | "low" | "medium" | "high" | a budget. */
static int want_reasoning(const cJSON *v, const char *path, char *err, size_t errlen)
{
    if (!v)
        return 0;
    char text[64], why[256];
    if (cJSON_IsString(v))
        snprintf(text, sizeof text, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(text, sizeof text, "%.17g", v->valuedouble);
    else
        snprintf(text, sizeof text, "(not a string or number)");
    Reasoning r;
    if (reasoning_parse(text, &r, why, sizeof why) < 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        return -1;
    }
    return 0;
}

static int check_defaults(const cJSON *d, char *err, size_t errlen)
{
    if (want_object(d, "defaults", err, errlen) < 0 || known_keys(d, "defaults", default_keys, err, errlen) < 0)
        return -1;
    for (size_t i = 0; default_numbers[i]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(d, default_numbers[i]);
        if (!v)
            continue;
        char text[64], why[256];
        Params p = params_unset();
        if (!cJSON_IsNumber(v)) {
            snprintf(err, errlen, "defaults.%s must be a number", default_numbers[i]);
            return -1;
        }
        snprintf(text, sizeof text, "%.17g", v->valuedouble);
        if (params_set(&p, default_numbers[i], text, why, sizeof why) < 0) {
            snprintf(err, errlen, "defaults.%s", why);
            return -1;
        }
    }
    if (want_reasoning(cJSON_GetObjectItemCaseSensitive(d, "reasoning"), "defaults.reasoning", err, errlen) < 0)
        return -1;
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(d, "models");
    if (models) {
        const cJSON *m;
        bool ok = cJSON_IsArray(models);
        if (ok)
            cJSON_ArrayForEach(m, models) ok &= cJSON_IsString(m) && m->valuestring[0];
        if (!ok) {
            snprintf(err, errlen, "defaults.models must be a list of model specs ([\"local:\", "
                                  "\"openai:gpt-4o-mini\"])");
            return -1;
        }
    }
    /* A sensitivity the program does not know is an error, never "public":
     * a typo must not send restricted data out. */
    const cJSON *sens = cJSON_GetObjectItemCaseSensitive(d, "sensitivity");
    Sensitivity parsed;
    if (sens && (!cJSON_IsString(sens) || sensitivity_parse(sens->valuestring, &parsed) < 0)) {
        char s[64];
        shown(cJSON_IsString(sens) ? sens->valuestring : "(not a string)", s, sizeof s);
        snprintf(err, errlen, "defaults.sensitivity \"%s\" is not one of public, internal, restricted "
                 "(written exactly so, lower case); nothing was sent", s);
        return -1;
    }
    return 0;
}

static int check_providers(const cJSON *ps, char *err, size_t errlen)
{
    if (want_object(ps, "providers", err, errlen) < 0)
        return -1;
    const cJSON *p;
    cJSON_ArrayForEach(p, ps) {
        char where[120], path[200];
        key_path(where, sizeof where, "providers", p->string);
        if (want_object(p, where, err, errlen) < 0 || known_keys(p, where, provider_keys, err, errlen) < 0)
            return -1;
        static const char *const strings[] = { "kind", "base_url", "key_env", "key_file", "default_model",
                                               "api" };
        for (size_t i = 0; i < sizeof strings / sizeof *strings; i++) {
            key_path(path, sizeof path, where, strings[i]);
            if (want_string(cJSON_GetObjectItemCaseSensitive(p, strings[i]), path, err, errlen) < 0)
                return -1;
        }
        static const char *const bools[] = { "inside_perimeter", "insecure_tls" };
        for (size_t i = 0; i < sizeof bools / sizeof *bools; i++) {
            key_path(path, sizeof path, where, bools[i]);
            if (want_bool(cJSON_GetObjectItemCaseSensitive(p, bools[i]), path, err, errlen) < 0)
                return -1;
        }
        const cJSON *api = cJSON_GetObjectItemCaseSensitive(p, "api");
        if (api && strcmp(api->valuestring, "responses") != 0 && strcmp(api->valuestring, "chat") != 0) {
            char s[64];
            shown(api->valuestring, s, sizeof s);
            snprintf(err, errlen, "%s.api \"%s\" is not one of responses, chat", where, s);
            return -1;
        }
    }
    return 0;
}

/* "models": {"NAME": "SPEC"}, "reasoning": {"SPEC or MODEL": EFFORT}. */
static int check_maps(const cJSON *root, char *err, size_t errlen)
{
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
    const cJSON *e;
    if (models && want_object(models, "models", err, errlen) < 0)
        return -1;
    cJSON_ArrayForEach(e, models) {
        char path[200];
        key_path(path, sizeof path, "models", e->string);
        if (!cJSON_IsString(e) || !e->valuestring[0]) {
            snprintf(err, errlen, "%s must be a model spec (\"openai:gpt-4o-mini\")", path);
            return -1;
        }
    }
    const cJSON *reasoning = cJSON_GetObjectItemCaseSensitive(root, "reasoning");
    if (reasoning && want_object(reasoning, "reasoning", err, errlen) < 0)
        return -1;
    cJSON_ArrayForEach(e, reasoning) {
        char path[200];
        key_path(path, sizeof path, "reasoning", e->string);
        if (want_reasoning(e, path, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int check_local(const cJSON *l, char *err, size_t errlen)
{
    if (want_object(l, "local", err, errlen) < 0 || known_keys(l, "local", local_keys, err, errlen) < 0 ||
        want_string(cJSON_GetObjectItemCaseSensitive(l, "model"), "local.model", err, errlen) < 0)
        return -1;
    /* The KV cache type is the engine's (kvcache.h) names; the core layer
     * cannot ask the engine, so the three names are checked here. */
    const cJSON *kvt = cJSON_GetObjectItemCaseSensitive(l, "kv_type");
    if (kvt && (!cJSON_IsString(kvt) || (strcasecmp(kvt->valuestring, "f32") && strcasecmp(kvt->valuestring, "f16") &&
                                         strcasecmp(kvt->valuestring, "q8_0")))) {
        char s[64];
        shown(cJSON_IsString(kvt) ? kvt->valuestring : "(not a string)", s, sizeof s);
        snprintf(err, errlen, "local.kv_type \"%s\" is not one of f32, f16, q8_0", s);
        return -1;
    }
    return 0;
}

static int check_prices(const cJSON *ps, char *err, size_t errlen)
{
    if (want_object(ps, "prices", err, errlen) < 0)
        return -1;
    const cJSON *p;
    cJSON_ArrayForEach(p, ps) {
        char where[120];
        key_path(where, sizeof where, "prices", p->string);
        if (want_object(p, where, err, errlen) < 0 || known_keys(p, where, price_keys, err, errlen) < 0)
            return -1;
        for (size_t i = 0; price_keys[i]; i++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(p, price_keys[i]);
            bool needed = strcmp(price_keys[i], "cached_input") != 0;
            if ((!v && !needed) || (cJSON_IsNumber(v) && isfinite(v->valuedouble) && v->valuedouble >= 0))
                continue;
            snprintf(err, errlen, "%s.%s must be %sa number >= 0 (USD per million tokens)", where, price_keys[i],
                     needed ? "given, as " : "");
            return -1;
        }
    }
    return 0;
}

int config_check(const cJSON *root, char *err, size_t errlen)
{
    if (known_keys(root, "", top_keys, err, errlen) < 0)
        return -1;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "defaults")) && check_defaults(v, err, errlen) < 0)
        return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "providers")) && check_providers(v, err, errlen) < 0)
        return -1;
    if (check_maps(root, err, errlen) < 0)
        return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "local")) && check_local(v, err, errlen) < 0)
        return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "prices")) && check_prices(v, err, errlen) < 0)
        return -1;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "local_cost")) && cJSON_IsObject(v) &&
        known_keys(v, "local_cost", local_cost_keys, err, errlen) < 0)
        return -1;
    return 0;
}
