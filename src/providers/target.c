/* target.c — model specs to endpoints (see target.h).
 *
 * Built-in provider kinds come from the provider table (provider.h); the
 * config can add named endpoints of any kind ("openrouter": openai-compat at
 * some URL with some key variable) and aliases for whole specs. */
#include "providers/target.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/suggest.h"
#include "engine/model_ref.h"
#include "providers/provider.h"

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

/* The endpoint of a URL as curl will connect to it: scheme, host and port
 * (the default port filled in), lower-cased; false when it does not parse. */
static bool url_endpoint(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    bool ok = u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK;
    if (ok)
        snprintf(out, n, "%s://%s:%s", scheme, host, port);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    for (size_t i = 0; ok && out[i]; i++)
        if (out[i] >= 'A' && out[i] <= 'Z')
            out[i] = (char)(out[i] - 'A' + 'a');
    return ok;
}

bool target_same_endpoint(const char *a, const char *b)
{
    char ea[600], eb[600];
    return a && b && url_endpoint(a, ea, sizeof ea) && url_endpoint(b, eb, sizeof eb) && strcmp(ea, eb) == 0;
}

/* The perimeter decision (see target.h): the destination decides, never the
 * name it was reached by. */
static bool perimeter_decide(const Config *cfg, const ModelTarget *t, const ProviderOps *ops, char *why,
                             size_t whylen)
{
    if (strcmp(t->kind, "local") == 0) {
        snprintf(why, whylen, "the built-in engine opens no socket");
        return true;
    }
    if (ops && ops->closed) {
        snprintf(why, whylen, "%s is a closed API", ops->name);
        return false;
    }
    size_t n = config_provider_count(cfg);
    for (size_t i = 0; i < n; i++) {
        const char *name = config_provider_name(cfg, i);
        const char *b = config_provider_str(cfg, name, "base_url");
        const char *k = config_provider_str(cfg, name, "kind");
        const ProviderOps *kops = provider_find(k ? k : name);
        if (!b || !kops || kops->closed || !config_provider_bool(cfg, name, "inside_perimeter", false) ||
            !host_is_local(b) || !target_same_endpoint(b, t->base_url))
            continue;
        snprintf(why, whylen, "%s is the endpoint of \"%s\", marked inside_perimeter in %s", t->base_url, name,
                 config_path(cfg));
        return true;
    }
    snprintf(why, whylen, "%s is not an endpoint the config marks \"inside_perimeter\": true", t->base_url);
    return false;
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

/* Splits "SPEC#EFFORT": copies SPEC into base and parses EFFORT into *r
 * (left alone when there is no '#'). 0, or -1 with err. */
static int split_effort(const char *spec, char *base, size_t cap, Reasoning *r, char *err, size_t errlen)
{
    const char *hash = strrchr(spec, '#');
    size_t n = hash ? (size_t)(hash - spec) : strlen(spec);
    if (n >= cap) {
        snprintf(err, errlen, "model spec too long: '%.60s...'", spec);
        return -1;
    }
    memcpy(base, spec, n);
    base[n] = '\0';
    if (hash) {
        char why[256];
        if (reasoning_parse(hash + 1, r, why, sizeof why) < 0) {
            snprintf(err, errlen, "model spec '%s': %s", spec, why);
            return -1;
        }
    }
    return 0;
}

int target_resolve(const Config *cfg, const char *spec, ModelTarget *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec) {
        snprintf(err, errlen, "empty model spec");
        return -1;
    }
    char base[2048], abase[2048];
    const char *own_hash = strchr(spec, '#');
    if (split_effort(spec, base, sizeof base, &out->reasoning, err, errlen) < 0)
        return -1;
    spec = base;
    /* Aliases: "models": {"fast": "openai:gpt-4o-mini"} (one level, no loops);
     * an alias may carry its own "#EFFORT", the spec's own suffix wins. */
    const char *alias = config_model_alias(cfg, spec);
    if (alias) {
        Reasoning ar = { .effort = REASONING_UNSET };
        if (split_effort(alias, abase, sizeof abase, &ar, err, errlen) < 0)
            return -1;
        if (out->reasoning.effort == REASONING_UNSET)
            out->reasoning = ar;
        spec = abase;
        /* the alias's own suffix, unless the spec's own wins */
        if (own_hash)
            snprintf(out->alias_of, sizeof out->alias_of, "%s%s", abase, own_hash);
        else
            snprintf(out->alias_of, sizeof out->alias_of, "%s", alias);
    }
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
    const char *eq = strchr(prov, '=');
    if (eq) { /* the workbench's NAME=SPEC */
        snprintf(err, errlen, "'%s': NAME=SPEC names a pane in the workbench; give the SPEC alone (-m %s), "
                 "or name it in the config's \"models\"", spec, spec + (eq - prov) + 1);
        return -1;
    }
    const char *model = *colon ? colon + 1 : "";
    copy(out->provider, sizeof out->provider, prov);

    if (strcmp(prov, "local") == 0) {
        copy(out->kind, sizeof out->kind, "local");
        /* "local:" is the default model: $VERSUS_MODEL, the config's
         * local.model, else the built-in default. It is named here, so the
         * reply records the file it ran, not "" (two different defaults are
         * two models, and a bench of that file prices it). */
        const char *m = *model ? model : getenv("VERSUS_MODEL");
        if (m && !*model && strncmp(m, "local:", 6) == 0)
            m += 6;
        if (!m || !*m)
            m = config_local_model(cfg);
        if (!m || !*m)
            m = model_ref_default();
        copy(out->model, sizeof out->model, m);
        out->inside_perimeter = perimeter_decide(cfg, out, NULL, out->perimeter_why, sizeof out->perimeter_why);
        return 0;
    }

    const char *kind = config_provider_str(cfg, prov, "kind");
    bool kind_given = kind != NULL;
    if (!kind)
        kind = prov;
    const ProviderOps *ops = provider_find(kind);
    if (!ops) {
        static const char *const known[] = { "openai", "anthropic", "gemini", "ollama", "openai-compat", "local" };
        const char *near = kind_given ? NULL : suggest_nearest(prov, known, sizeof known / sizeof *known);
        char hint[64] = "";
        if (near)
            snprintf(hint, sizeof hint, " (did you mean %s?)", near);
        snprintf(err, errlen, "unknown provider '%s' in '%s'%s (known: openai, anthropic, gemini, ollama, "
                 "openai-compat, local, or a provider named in %s)", prov, spec, hint, config_path(cfg));
        return -1;
    }
    copy(out->kind, sizeof out->kind, ops->name);

    /* PROVIDER:MODEL@URL gives the endpoint inline, for every kind: the URL
     * is never part of the model name. Whether the provider's key may go
     * there is key_allowed below (the run refuses it unless the user named
     * the URL with --send-key-to). */
    const char *at = strrchr(model, '@');
    bool inline_url = false;
    if (at) {
        if (strncmp(at + 1, "http://", 7) != 0 && strncmp(at + 1, "https://", 8) != 0) {
            snprintf(err, errlen, "'%s': the URL after '@' must start with http:// or https:// "
                     "(%s:MODEL@http://HOST:PORT/...)", spec, prov);
            return -1;
        }
        size_t ml = (size_t)(at - model);
        if (ml >= sizeof out->model) {
            snprintf(err, errlen, "model name too long in '%s'", spec);
            return -1;
        }
        memcpy(out->model, model, ml);
        out->model[ml] = '\0';
        copy(out->base_url, sizeof out->base_url, at + 1);
        inline_url = true;
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
    /* The URL this provider's key belongs to: the configured one, else the
     * provider's own (environment or default). */
    const char *own = config_provider_str(cfg, prov, "base_url");
    const char *env = !kind_given && ops->base_url_env ? getenv(ops->base_url_env) : NULL;
    if (own)
        snprintf(out->key_home_from, sizeof out->key_home_from, "base_url in %s", config_path(cfg));
    if (!own && env && *env) {
        own = env;
        copy(out->key_home_from, sizeof out->key_home_from, ops->base_url_env);
    }
    if (!own) {
        own = ops->default_base_url;
        copy(out->key_home_from, sizeof out->key_home_from, "the provider's default");
    }
    char own_url[512] = "";
    if (own && *own) {
        if (!strstr(own, "://"))
            snprintf(own_url, sizeof own_url, "http://%s", own);
        else
            copy(own_url, sizeof own_url, own);
    }
    if (!out->base_url[0]) {
        const char *b = own;
        if (!b || !*b) {
            snprintf(err, errlen, "no URL for '%s': use %s:MODEL@URL or set base_url for it in %s",
                     spec, prov, config_path(cfg));
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

    if (out->reasoning.effort == REASONING_UNSET)
        config_model_reasoning(cfg, prov, out->model, &out->reasoning);
    const char *api = config_provider_str(cfg, prov, "api");
    if (api && (strcmp(api, "responses") == 0 || strcmp(api, "chat") == 0))
        copy(out->api, sizeof out->api, api);

    const char *kenv = config_provider_str(cfg, prov, "key_env");
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
    const char *kfile = config_provider_str(cfg, prov, "key_file");
    if (kfile)
        expand_home(kf, sizeof kf, kfile);
    else if (config_dir(cfg)[0])
        snprintf(kf, sizeof kf, "%s/keys/%s.key", config_dir(cfg), prov);
    copy(out->key_file, sizeof out->key_file, kf);

    bool local_host = host_is_local(out->base_url);
    out->local_host = local_host;
    /* A URL written after a provider's name is not that provider's: its key
     * and its TLS exception stay with the URL the config gives it. */
    bool own_endpoint = !inline_url || target_same_endpoint(out->base_url, own_url);
    copy(out->key_home, sizeof out->key_home, own_url);
    out->key_allowed = own_endpoint;
    out->inside_perimeter = perimeter_decide(cfg, out, ops, out->perimeter_why, sizeof out->perimeter_why);
    /* TLS verification can only be relaxed for an explicitly local
     * openai-compat endpoint; closed providers always verify. */
    out->insecure_tls = strcmp(ops->name, "openai-compat") == 0 && local_host && own_endpoint &&
                        config_provider_bool(cfg, prov, "insecure_tls", false);
    return 0;
}

int target_sensitivity_allows(const Config *cfg, const char *spec, Sensitivity sens, char *why, size_t whylen)
{
    if (sens != SENSITIVITY_RESTRICTED) {
        snprintf(why, whylen, "only restricted data is held to the perimeter");
        return 1;
    }
    ModelTarget t;
    char err[512];
    if (target_resolve(cfg, spec, &t, err, sizeof err) < 0) {
        snprintf(why, whylen, "%s can not be resolved (%s), so it is treated as outside", spec, err);
        return 0;
    }
    snprintf(why, whylen, "%s", t.perimeter_why);
    return t.inside_perimeter ? 1 : 0;
}
