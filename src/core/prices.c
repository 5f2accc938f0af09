/* prices.c — price table loading and cost arithmetic (see prices.h). */
#include "core/prices.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/xdg.h"

typedef struct PriceRow {
    char provider[32];
    char model[96];
    Price price;
} PriceRow;

struct PriceTable {
    PriceRow *rows; /* (n) */
    size_t n;
    char source[1024];
};

#define PRICES_MAX_FILE (8u << 20)

static double num(const cJSON *o, const char *k, double def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : def;
}

PriceTable *prices_load_file(const char *path, char *err, size_t errlen)
{
    Buf b = { 0 };
    char why[1200];
    if (util_read_file(path, PRICES_MAX_FILE, &b, why, sizeof why) < 0) {
        snprintf(err, errlen, "price table %s", why);
        return NULL;
    }
    cJSON *root = cJSON_ParseWithLength(buf_str(&b), b.len);
    buf_free(&b);
    const cJSON *models = root ? cJSON_GetObjectItemCaseSensitive(root, "models") : NULL;
    if (!cJSON_IsArray(models)) {
        snprintf(err, errlen, "price table %s: not valid JSON with a \"models\" array", path);
        cJSON_Delete(root);
        return NULL;
    }
    PriceTable *t = calloc(1, sizeof *t);
    int count = cJSON_GetArraySize(models);
    t->rows = calloc(count ? (size_t)count : 1, sizeof *t->rows);
    snprintf(t->source, sizeof t->source, "%s", path);
    const cJSON *m;
    int idx = 0;
    cJSON_ArrayForEach(m, models)
    {
        idx++;
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "provider");
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(m, "model");
        double in = num(m, "input", NAN), out = num(m, "output", NAN);
        if (!cJSON_IsString(p) || !cJSON_IsString(name) || isnan(in) || isnan(out) || in < 0 || out < 0) {
            snprintf(err, errlen, "price table %s: entry %d needs provider, model, input and output (USD per million tokens)",
                     path, idx);
            prices_free(t);
            cJSON_Delete(root);
            return NULL;
        }
        PriceRow *r = &t->rows[t->n++];
        snprintf(r->provider, sizeof r->provider, "%s", p->valuestring);
        snprintf(r->model, sizeof r->model, "%s", name->valuestring);
        r->price.input = in;
        r->price.output = out;
        r->price.cached_input = num(m, "cached_input", in);
        r->price.cache_write = num(m, "cache_write", in * 1.25);
        r->price.cache_write_1h = num(m, "cache_write_1h", in * 2.0);
        r->price.reasoning = num(m, "reasoning", out);
        const cJSON *ck = cJSON_GetObjectItemCaseSensitive(m, "checked");
        snprintf(r->price.checked, sizeof r->price.checked, "%s", cJSON_IsString(ck) ? ck->valuestring : "");
    }
    cJSON_Delete(root);
    return t;
}

PriceTable *prices_load(char *err, size_t errlen)
{
    char user[1024];
    const char *candidates[4];
    size_t n = 0;
    const char *env = getenv("VERSUS_PRICES");
    if (env && *env)
        return prices_load_file(env, err, errlen);
    if (xdg_path(XDG_CONFIG, "prices.json", user, sizeof user) == 0)
        candidates[n++] = user;
    candidates[n++] = VERSUS_PKGDATADIR "/prices.json";
    candidates[n++] = VERSUS_SRCDIR "/data/prices.json";
    for (size_t i = 0; i < n; i++) {
        if (access(candidates[i], R_OK) != 0)
            continue;
        return prices_load_file(candidates[i], err, errlen);
    }
    PriceTable *t = calloc(1, sizeof *t);
    return t;
}

void prices_free(PriceTable *t)
{
    if (!t)
        return;
    free(t->rows);
    free(t);
}

const char *prices_source(const PriceTable *t) { return t ? t->source : ""; }

/* A dated or "-latest" suffix: "-2024-08-06", "-20250929", "-latest", "-001". */
static bool is_version_suffix(const char *s)
{
    if (*s != '-')
        return false;
    if (strcmp(s, "-latest") == 0)
        return true;
    for (s++; *s; s++)
        if (!isdigit((unsigned char)*s) && *s != '-')
            return false;
    return true;
}

bool prices_lookup(const PriceTable *t, const Config *cfg, const char *provider_kind,
                   const char *provider_name, const char *model, bool local_endpoint, Price *out)
{
    memset(out, 0, sizeof *out);
    double in, o, c;
    if (cfg && config_price_override(cfg, provider_name, model, &in, &o, &c)) {
        *out = (Price){ .input = in, .output = o, .cached_input = c, .cache_write = in * 1.25,
                        .cache_write_1h = in * 2.0, .reasoning = o };
        snprintf(out->checked, sizeof out->checked, "config");
        return true;
    }
    if (strcmp(provider_kind, "local") == 0 || local_endpoint || strcmp(provider_kind, "ollama") == 0) {
        /* the user's hardware: priced per hour (config "local_cost") */
        LocalCost lc;
        char e[300];
        if (!cfg || config_local_cost(cfg, &lc, e, sizeof e) < 0)
            lc.set = false;
        out->local = true;
        out->free_local = lc.set && lc.free;
        out->hour_usd = lc.set && !lc.free ? lc.hour_usd : NAN;
        snprintf(out->checked, sizeof out->checked, "%s", lc.set ? "config" : "");
        return lc.set;
    }
    if (!t)
        return false;
    /* openai-compat endpoints (OpenRouter, vLLM) can serve "openai/gpt-4o":
     * match on the part after the last slash against every provider. */
    const char *bare = strrchr(model, '/');
    bare = bare ? bare + 1 : model;
    bool any_provider = strcmp(provider_kind, "openai-compat") == 0;
    const PriceRow *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < t->n; i++) {
        const PriceRow *r = &t->rows[i];
        if (!any_provider && strcmp(r->provider, provider_kind) != 0)
            continue;
        size_t ml = strlen(r->model);
        if (strncmp(bare, r->model, ml) != 0)
            continue;
        if (bare[ml] != '\0' && !is_version_suffix(bare + ml))
            continue;
        if (ml > best_len) {
            best = r;
            best_len = ml;
        }
    }
    if (!best)
        return false;
    *out = best->price;
    return true;
}

bool prices_local_rate(Price *p, double prompt_tps, double decode_tps)
{
    if (!p->local || p->free_local || !isfinite(p->hour_usd) || !(prompt_tps > 0) || !(decode_tps > 0))
        return false;
    double per_s = p->hour_usd / 3600.0;
    p->input = p->cached_input = p->cache_write = per_s / prompt_tps * 1e6;
    p->output = per_s / decode_tps * 1e6;
    p->estimated = true;
    return true;
}

double prices_cost(const Price *p, const char *provider_kind, const Usage *u)
{
    if (u->reported_cost_usd >= 0)
        return u->reported_cost_usd;
    if (p->free_local)
        return 0.0;
    if (p->local && !p->estimated)
        return NAN; /* the hourly rate needs a measured speed first */
    if (u->input_tokens < 0 && u->output_tokens < 0)
        return NAN;
    double in = u->input_tokens > 0 ? (double)u->input_tokens : 0;
    double out = u->output_tokens > 0 ? (double)u->output_tokens : 0;
    double cached = u->cached_input_tokens > 0 ? (double)u->cached_input_tokens : 0;
    double cwrite = u->cache_write_tokens > 0 ? (double)u->cache_write_tokens : 0;
    double cw1h = u->cache_write_1h_tokens > 0 ? (double)u->cache_write_1h_tokens : 0;
    double reasoning = u->reasoning_tokens > 0 ? (double)u->reasoning_tokens : 0;
    if (cw1h > cwrite)
        cw1h = cwrite;
    if (reasoning > out)
        reasoning = out;
    /* output includes the reasoning (Gemini's output_tokens already adds
     * thoughts); a rate left at 0 means the default */
    double reasoning_rate = p->reasoning > 0 ? p->reasoning : p->output;
    double write_1h_rate = p->cache_write_1h > 0 ? p->cache_write_1h : 2.0 * p->input;
    double output_usd = (out - reasoning) * p->output + reasoning * reasoning_rate;
    double usd;
    if (strcmp(provider_kind, "anthropic") == 0) {
        /* Usage.input_tokens is the whole prompt (the decoder adds Anthropic's
         * cache reads and writes to its input_tokens); each part has its price. */
        double plain = in - cached - cwrite;
        if (plain < 0)
            plain = 0;
        usd = plain * p->input + (cwrite - cw1h) * p->cache_write + cw1h * write_1h_rate +
              cached * p->cached_input + output_usd;
    } else {
        /* OpenAI, Gemini, compat: input includes cached tokens */
        if (cached > in)
            cached = in;
        usd = (in - cached) * p->input + cached * p->cached_input + output_usd;
    }
    return usd / 1e6;
}

size_t prices_count(const PriceTable *t) { return t ? t->n : 0; }

const Price *prices_row(const PriceTable *t, size_t i, const char **provider, const char **model)
{
    if (!t || i >= t->n)
        return NULL;
    if (provider)
        *provider = t->rows[i].provider;
    if (model)
        *model = t->rows[i].model;
    return &t->rows[i].price;
}
