/* costs.c — pricing recorded replies alike, local ones from measured speed
 * (see costs.h). */
#include "eval/costs.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prices.h"
#include "store/candidate.h"
#include "providers/provider.h"
#include "util/stats.h"

bool costs_reply_is_local(const Reply *r)
{
    const char *b = r->metrics.cost_basis;
    return strcmp(r->provider, "local") == 0 || strcmp(r->provider, "ollama") == 0 ||
           strcmp(b, PRICES_BASIS_ESTIMATED) == 0 || strcmp(b, PRICES_BASIS_FREE) == 0 ||
           strcmp(b, PRICES_BASIS_LOCAL_UNPRICED) == 0;
}

bool costs_reply_is_closed(const Reply *r)
{
    static const char *const closed[] = { "openai", "anthropic", "gemini" };
    for (size_t i = 0; i < sizeof closed / sizeof *closed; i++)
        if (strcmp(reply_kind(r), closed[i]) == 0)
            return true;
    const ProviderOps *ops = reply_kind(r)[0] ? provider_find(reply_kind(r)) : NULL;
    return ops && ops->closed && !costs_reply_is_local(r);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int costs_bench_parse(const char *text, size_t len, BenchSpeed *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->prompt_tps = out->decode_tps = NAN;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(doc, "path");
    const cJSON *tests = cJSON_GetObjectItemCaseSensitive(doc, "tests");
    if (!cJSON_IsString(path) || !cJSON_IsArray(tests)) {
        cJSON_Delete(doc);
        snprintf(err, errlen, "not the output of versus bench --format json (no \"path\" and \"tests\")");
        return -1;
    }
    snprintf(out->file, sizeof out->file, "%s", base_name(path->valuestring));
    const cJSON *t;
    cJSON_ArrayForEach(t, tests) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(t, "test");
        const cJSON *tps = cJSON_GetObjectItemCaseSensitive(t, "tps_median");
        if (!cJSON_IsString(name) || !cJSON_IsNumber(tps) || !(tps->valuedouble > 0))
            continue;
        if (strncmp(name->valuestring, "pp", 2) == 0)
            out->prompt_tps = tps->valuedouble;
        else if (strncmp(name->valuestring, "tg", 2) == 0)
            out->decode_tps = tps->valuedouble;
    }
    cJSON_Delete(doc);
    if (!isfinite(out->prompt_tps) || !isfinite(out->decode_tps)) {
        snprintf(err, errlen, "the bench results need both a pp and a tg test");
        return -1;
    }
    return 0;
}

void costs_summary_free(CostsSummary *s)
{
    free(s->models);
    memset(s, 0, sizeof *s);
}

const CostsModel *costs_model(const CostsSummary *s, const char *spec)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->models[i].spec, spec) == 0)
            return &s->models[i];
    return NULL;
}

/* One model: its speeds (bench, else medians of its replies) and price. */
static void price_model(const FixtureSet *set, CostsModel *m, const LocalCost *lc, const BenchSpeed *bench,
                        size_t n_bench, double *pp, double *tg)
{
    size_t np = 0, nt = 0;
    const char *file = NULL;
    for (size_t i = 0; i < set->n; i++)
        for (size_t k = 0; k < set->cases[i].r.n_replies; k++) {
            const Reply *r = set->cases[i].r.replies[k];
            char key[600];
            if (strcmp(candidate_key(r, key, sizeof key), m->spec) != 0 || !reply_was_sent(r))
                continue;
            file = base_name(r->model);
            double p = reply_prompt_tokens_per_s(r), d = reply_decode_tokens_per_s(r);
            if (p > 0)
                pp[np++] = p;
            if (d > 0)
                tg[nt++] = d;
        }
    m->prompt_tps = stats_median(pp, np);
    m->decode_tps = stats_median(tg, nt);
    m->speed_source = "measured in its replies (medians)";
    for (size_t b = 0; file && b < n_bench; b++)
        if (strcmp(bench[b].file, file) == 0) {
            m->prompt_tps = bench[b].prompt_tps;
            m->decode_tps = bench[b].decode_tps;
            m->speed_source = "versus bench";
        }
    m->in_per_mtok = m->out_per_mtok = NAN;
    if (lc->set && lc->free) {
        m->in_per_mtok = m->out_per_mtok = 0;
        snprintf(m->basis, sizeof m->basis, "%s", PRICES_BASIS_FREE);
        return;
    }
    Price p = { .local = true, .hour_usd = lc->set ? lc->hour_usd : NAN };
    if (lc->set && prices_local_rate(&p, m->prompt_tps, m->decode_tps)) {
        m->in_per_mtok = p.input;
        m->out_per_mtok = p.output;
        snprintf(m->basis, sizeof m->basis, "%s", PRICES_BASIS_ESTIMATED);
    } else {
        snprintf(m->basis, sizeof m->basis, "%s",
                 lc->set ? "unknown: no measured speed" : PRICES_BASIS_LOCAL_UNPRICED);
    }
}

int costs_price(FixtureSet *set, const LocalCost *lc, const BenchSpeed *bench, size_t n_bench, CostsSummary *out,
                char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->local = *lc;
    size_t total = 0;
    for (size_t i = 0; i < set->n; i++)
        total += set->cases[i].r.n_replies;
    out->models = calloc(total + 1, sizeof *out->models);
    double *pp = malloc((total + 1) * sizeof *pp), *tg = malloc((total + 1) * sizeof *tg);
    if (!out->models || !pp || !tg) {
        free(pp);
        free(tg);
        costs_summary_free(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < set->n; i++)
        for (size_t k = 0; k < set->cases[i].r.n_replies; k++) {
            const Reply *r = set->cases[i].r.replies[k];
            char key[600];
            if (costs_model(out, candidate_key(r, key, sizeof key)))
                continue;
            CostsModel *m = &out->models[out->n++];
            snprintf(m->spec, sizeof m->spec, "%s", key);
            m->local = costs_reply_is_local(r);
            m->prompt_tps = m->decode_tps = m->in_per_mtok = m->out_per_mtok = NAN;
            if (m->local)
                price_model(set, m, lc, bench, n_bench, pp, tg);
            else
                snprintf(m->basis, sizeof m->basis, "%s",
                         r->metrics.cost_basis[0] ? r->metrics.cost_basis : PRICES_BASIS_TABLE);
        }
    free(pp);
    free(tg);
    /* every local reply at its model's price */
    for (size_t i = 0; i < set->n; i++)
        for (size_t k = 0; k < set->cases[i].r.n_replies; k++) {
            Reply *r = set->cases[i].r.replies[k];
            char key[600];
            const CostsModel *m = costs_model(out, candidate_key(r, key, sizeof key));
            if (!m->local || !reply_was_sent(r))
                continue;
            ReplyMetrics *x = &r->metrics;
            long in = r->usage.input_tokens, o = reply_output_tokens(r);
            if (isfinite(m->in_per_mtok) && isfinite(m->out_per_mtok) && in >= 0 && o >= 0)
                x->cost_usd = ((double)in * m->in_per_mtok + (double)o * m->out_per_mtok) / 1e6;
            else
                x->cost_usd = NAN;
            snprintf(x->cost_basis, sizeof x->cost_basis, "%s", m->basis);
            x->input_usd_per_mtok = m->in_per_mtok;
            x->output_usd_per_mtok = m->out_per_mtok;
        }
    return 0;
}
