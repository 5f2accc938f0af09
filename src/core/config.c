/* config.c — loading config.json and resolving model specs (see config.h).
 *
 * The file is small and read once, so it is kept as a cJSON tree and
 * queried. Built-in provider kinds come from the provider table
 * (providers/provider.h); the config can add named endpoints of any kind
 * ("openrouter": openai-compat at some URL with some key variable). */
#include "core/config.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/buf.h"
#include "core/keys.h"
#include "core/xdg.h"
#include "providers/provider.h"

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
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno == ENOENT && !explicit_path)
            return cfg; /* no config at all: defaults */
        snprintf(err, errlen, "config %s: %s", path, strerror(errno));
        config_free(cfg);
        return NULL;
    }
    char perr[512];
    if (keys_check_private_file(path, perr, sizeof perr) < 0) {
        snprintf(err, errlen, "config refused: %s", perr);
        fclose(f);
        config_free(cfg);
        return NULL;
    }
    Buf b = { 0 };
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b.len > (4u << 20) || buf_append(&b, chunk, n) < 0) {
            snprintf(err, errlen, "config %s: too large (over 4 MiB)", path);
            fclose(f);
            buf_free(&b);
            config_free(cfg);
            return NULL;
        }
    }
    fclose(f);
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

/* True for loopback and private-range hosts (the only ones that may be
 * inside the data perimeter or skip TLS verification). The host is taken
 * with libcurl's own URL parser, so it is the host curl will connect to
 * ("http://evil?@127.0.0.1/" is evil, not loopback). */
static bool host_is_local(const char *url)
{
    CURLU *u = curl_url();
    char *h = NULL;
    bool local = false;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK || !h) {
        curl_url_cleanup(u);
        return false;
    }
    char host[256];
    size_t n = strlen(h);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') { /* IPv6 literal */
        snprintf(host, sizeof host, "%.*s", (int)(n - 2), h + 1);
        char *zone = strchr(host, '%');
        if (zone)
            *zone = '\0';
    } else {
        snprintf(host, sizeof host, "%s", h);
    }
    curl_free(h);
    curl_url_cleanup(u);
    /* Only a host written plainly counts: curl also accepts forms such as
     * "0x7f000001" or "127.1" and normalises them; being conservative here
     * costs nothing (the user writes 127.0.0.1) and leaves no look-alikes. */
    const char *a = strstr(url, "://");
    a = a ? a + 3 : url;
    size_t alen = strcspn(a, "/?#");
    const char *at = memrchr(a, '@', alen);
    if (at) {
        alen -= (size_t)(at + 1 - a);
        a = at + 1;
    }
    size_t hl = strlen(host);
    bool bracketed = alen > 0 && a[0] == '[';
    if (bracketed ? (alen < hl + 2 || strncasecmp(a + 1, host, hl) != 0)
                  : (alen < hl || strncasecmp(a, host, hl) != 0 || (alen > hl && a[hl] != ':')))
        return false;
    struct in_addr a4;
    struct in6_addr a6;
    if (strcasecmp(host, "localhost") == 0)
        local = true;
    else if (inet_pton(AF_INET, host, &a4) == 1) {
        unsigned long ip = ntohl(a4.s_addr);
        local = (ip >> 24) == 127 || (ip >> 24) == 10 || (ip >> 20) == (172u << 4 | 1) ||
                (ip >> 16) == (192u << 8 | 168);
    } else if (inet_pton(AF_INET6, host, &a6) == 1)
        local = IN6_IS_ADDR_LOOPBACK(&a6) || (a6.s6_addr[0] & 0xfe) == 0xfc;
    return local;
}

static void copy(char *dst, size_t n, const char *src) { snprintf(dst, n, "%s", src ? src : ""); }

static void strip_trailing_slash(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == '/')
        s[--n] = '\0';
}

/* Expands a leading "~/" in a path from the config. */
static void expand_home(char *dst, size_t n, const char *src)
{
    const char *home = getenv("HOME");
    if (src && src[0] == '~' && src[1] == '/' && home)
        snprintf(dst, n, "%s%s", home, src + 1);
    else
        copy(dst, n, src);
}

int config_resolve(const Config *cfg, const char *spec, ModelTarget *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec) {
        snprintf(err, errlen, "empty model spec");
        return -1;
    }
    /* Aliases: "models": {"fast": "openai:gpt-4o-mini"} (one level, no loops). */
    const char *alias = str_get(obj_get(cfg->root, "models"), spec);
    if (alias)
        spec = alias;
    const char *colon = strchr(spec, ':');
    char prov[64];
    if (!colon) {
        if (strcmp(spec, "local") == 0) {
            colon = spec + strlen(spec);
        } else {
            snprintf(err, errlen, "model spec '%s' needs a provider: PROVIDER:MODEL (e.g. openai:gpt-4o-mini, local:model.gguf)", spec);
            return -1;
        }
    }
    size_t pl = (size_t)(colon - spec);
    if (pl == 0 || pl >= sizeof prov) {
        snprintf(err, errlen, "model spec '%s': bad provider name", spec);
        return -1;
    }
    memcpy(prov, spec, pl);
    prov[pl] = '\0';
    const char *model = *colon ? colon + 1 : "";
    copy(out->provider, sizeof out->provider, prov);

    if (strcmp(prov, "local") == 0) {
        copy(out->kind, sizeof out->kind, "local");
        const char *m = *model ? model : getenv("VERSUS_MODEL");
        if (!m || !*m)
            m = str_get(obj_get(cfg->root, "local"), "model");
        copy(out->model, sizeof out->model, m ? m : "");
        out->inside_perimeter = true;
        return 0;
    }

    const cJSON *pe = provider_entry(cfg, prov);
    const char *kind = pe ? str_get(pe, "kind") : NULL;
    if (!kind)
        kind = prov;
    const ProviderOps *ops = provider_find(kind);
    if (!ops) {
        snprintf(err, errlen, "unknown provider '%s' in '%s' (known: openai, anthropic, gemini, ollama, "
                 "openai-compat, local, or a provider named in %s)", prov, spec, cfg->path);
        return -1;
    }
    copy(out->kind, sizeof out->kind, ops->name);

    /* openai-compat:MODEL@URL gives the endpoint inline. */
    const char *at = NULL;
    if (strcmp(ops->name, "openai-compat") == 0)
        at = strrchr(model, '@');
    if (at) {
        size_t ml = (size_t)(at - model);
        if (ml >= sizeof out->model) {
            snprintf(err, errlen, "model name too long in '%s'", spec);
            return -1;
        }
        memcpy(out->model, model, ml);
        out->model[ml] = '\0';
        copy(out->base_url, sizeof out->base_url, at + 1);
    } else {
        copy(out->model, sizeof out->model, model);
    }
    if (!out->model[0]) {
        const char *dm = config_provider_default_model(cfg, prov);
        if (!dm) {
            snprintf(err, errlen, "no model given in '%s' and no default_model for '%s' in the config", spec, prov);
            return -1;
        }
        copy(out->model, sizeof out->model, dm);
    }
    if (!out->base_url[0]) {
        const char *b = pe ? str_get(pe, "base_url") : NULL;
        const char *env = (!pe || !str_get(pe, "kind")) && ops->base_url_env ? getenv(ops->base_url_env) : NULL;
        if (!b && env && *env)
            b = env;
        if (!b)
            b = ops->default_base_url;
        if (!b || !*b) {
            snprintf(err, errlen, "no URL for '%s': use %s:MODEL@URL or set base_url for it in %s",
                     spec, prov, cfg->path);
            return -1;
        }
        /* Ollama's OLLAMA_HOST is often host:port without a scheme. */
        if (!strstr(b, "://"))
            snprintf(out->base_url, sizeof out->base_url, "http://%s", b);
        else
            copy(out->base_url, sizeof out->base_url, b);
    }
    strip_trailing_slash(out->base_url);
    if (strncmp(out->base_url, "http://", 7) != 0 && strncmp(out->base_url, "https://", 8) != 0) {
        snprintf(err, errlen, "'%s': the URL must start with http:// or https://", spec);
        return -1;
    }

    const char *kenv = pe ? str_get(pe, "key_env") : NULL;
    if (!kenv && ops->key_envs) {
        kenv = ops->key_envs[0];
        for (int i = 0; ops->key_envs[i]; i++)
            if (getenv(ops->key_envs[i]) && *getenv(ops->key_envs[i])) {
                kenv = ops->key_envs[i];
                break;
            }
    }
    copy(out->key_env, sizeof out->key_env, kenv);
    char kf[1200] = "";
    const char *kfile = pe ? str_get(pe, "key_file") : NULL;
    if (kfile)
        expand_home(kf, sizeof kf, kfile);
    else if (cfg->dir[0])
        snprintf(kf, sizeof kf, "%s/keys/%s.key", cfg->dir, prov);
    copy(out->key_file, sizeof out->key_file, kf);

    bool local_host = host_is_local(out->base_url);
    out->local_host = local_host;
    out->inside_perimeter = !ops->closed && local_host && pe && bool_get(pe, "inside_perimeter", false);
    /* TLS verification can only be relaxed for an explicitly local
     * openai-compat endpoint; closed providers always verify. */
    out->insecure_tls = strcmp(ops->name, "openai-compat") == 0 && local_host && pe &&
                        bool_get(pe, "insecure_tls", false);
    return 0;
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
    return p;
}

Sensitivity config_default_sensitivity(const Config *cfg)
{
    Sensitivity s = SENSITIVITY_PUBLIC;
    const char *name = str_get(obj_get(cfg->root, "defaults"), "sensitivity");
    if (name)
        sensitivity_parse(name, &s);
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
