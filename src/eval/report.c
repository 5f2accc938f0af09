/* report.c — building the report from labelled rounds (see report.h). The
 * pages are rendered by report_html.c and report_md.c. */
#include "eval/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prices.h"
#include "store/candidate.h"
#include "util/stats.h"

ReportOptions report_options_default(void)
{
    return (ReportOptions){ .bootstrap_rounds = 200, .seed = 1, .prior = -1, .volume = 0,
                            .losers = BATTLES_LOSERS_NONE };
}

void report_free(Report *r)
{
    for (size_t i = 0; i < r->n_models; i++) {
        free(r->models[i].spec);
        free(r->models[i].by_category);
        free(r->models[i].share_by_category);
    }
    free(r->models);
    for (size_t i = 0; i < r->n_categories; i++)
        free(r->categories[i]);
    free(r->categories);
    free(r->category_rounds);
    free(r->leader);
    free(r->separated);
    free(r->pair_score);
    free(r->pair_games);
    buf_free(&r->warnings);
    buf_free(&r->label_notes);
    if (r->has_policy)
        policy_report_free(&r->policy);
    memset(r, 0, sizeof *r);
}

/* Index of s in names[0..*n), appending it when missing; -1 on OOM. */
static long intern(char ***names, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], s) == 0)
            return (long)i;
    char **p = realloc(*names, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    *names = p;
    if (!(p[*n] = strdup(s)))
        return -1;
    return (long)(*n)++;
}

static void count(ReportCounts *c, SessionOutcome o, bool won)
{
    switch (o) {
    case SESSION_WIN: *(won ? &c->wins : &c->losses) += 1; break;
    case SESSION_TIE: c->ties++; break;
    case SESSION_BOTH_BAD: c->both_bad++; break;
    case SESSION_UNLABELLED: break;
    }
}

static void share_add(ReportShare *s, SessionOutcome o, bool won)
{
    s->n++;
    s->wins += o == SESSION_WIN && won;
    s->ties += o == SESSION_TIE;
}

static void share_finish(ReportShare *s)
{
    s->rate = s->n ? (double)s->wins / (double)s->n : NAN;
    battles_wilson((double)s->wins, (double)s->n, &s->lo, &s->hi);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* A model's name in full, from one of its replies. */
static void full_name(ReportModel *md, const Reply *r)
{
    md->local = costs_reply_is_local(r);
    if (strcmp(r->provider, "local") != 0) {
        const char *spec = r->alias_of ? r->alias_of : r->spec; /* an alias: what it stood for */
        if (r->model[0] && !strstr(spec, r->model))
            snprintf(md->name, sizeof md->name, "%s (model %s)", spec, r->model);
        else
            snprintf(md->name, sizeof md->name, "%s", spec);
        return;
    }
    const char *file = r->model[0] ? base_name(r->model) : r->spec;
    size_t n = (size_t)snprintf(md->name, sizeof md->name, "local: %s (", file);
    n += (size_t)snprintf(md->name + n, sizeof md->name - n, "%s%s", r->quant[0] ? r->quant : "weights' type unknown",
                          r->quant[0] ? " weights" : "");
    if (n < sizeof md->name && r->backend[0])
        n += (size_t)snprintf(md->name + n, sizeof md->name - n, ", %s backend", r->backend);
    if (n < sizeof md->name && strcmp(r->backend, "cuda") == 0)
        n += (size_t)snprintf(md->name + n, sizeof md->name - n, " on %s", r->gpu_name[0] ? r->gpu_name : "a GPU");
    if (n < sizeof md->name)
        snprintf(md->name + n, sizeof md->name - n, ")");
}

/* Arena's rank and the minimum-evidence warnings. */
static void evidence(Report *r)
{
    size_t n = r->n_models;
    for (size_t i = 0; i < n; i++) {
        ReportModel *a = &r->models[i];
        a->rank = 1;
        for (size_t j = 0; j < n; j++)
            if (j != i && r->models[j].rating_lo > a->rating_hi)
                a->rank++;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            const ReportModel *a = &r->models[i], *b = &r->models[j];
            if (isnan(a->rating) || isnan(b->rating) || isnan(a->rating_lo) || isnan(b->rating_lo))
                continue;
            const ReportModel *hi = a->rating >= b->rating ? a : b, *lo = hi == a ? b : a;
            if (lo->rating_hi >= hi->rating_lo)
                buf_printf(&r->warnings,
                           "%s and %s: their 95%% rating intervals overlap (%.0f to %.0f against %.0f to %.0f): these "
                           "rounds do not separate them; label more rounds between them before deciding on it\n",
                           hi->spec, lo->spec, hi->rating_lo, hi->rating_hi, lo->rating_lo, lo->rating_hi);
        }
    if (r->n_labelled && !r->n_battles)
        buf_printf(&r->warnings, "no two models that ran met in a labelled round: there is nothing to rate\n");
}

static int ratings(Report *r, const BattleSet *bs)
{
    size_t n = r->n_models;
    if (!n)
        return 0;
    double *buf = calloc(3 * n, sizeof *buf);
    if (!buf)
        return -1;
    BtOptions bo = bt_options_default();
    /* Arena's maximum likelihood; a virtual tie per pair only when the data
     * have no finite rating (or when asked for with --prior) */
    r->prior_used = r->opt.prior >= 0 ? r->opt.prior : bt_has_finite_mle(n, bs->b, bs->n) ? 0 : 1;
    bo.prior = r->prior_used;
    BtResult res = { .rating = buf };
    for (int style = 0; style < 2; style++) {
        bo.style = style;
        if (bt_fit(n, bs->b, bs->n, &bo, &res) < 0 ||
            (bs->n && bt_bootstrap(n, bs->b, bs->n, &bo, r->opt.bootstrap_rounds, 0.95, r->opt.seed, buf + n,
                                   buf + 2 * n, style ? r->style_coef_lo : NULL, style ? r->style_coef_hi : NULL) < 0)) {
            free(buf);
            return -1;
        }
        if (style)
            memcpy(r->style_coef, res.coef, sizeof r->style_coef);
        for (size_t m = 0; m < n; m++) {
            ReportModel *md = &r->models[m];
            *(style ? &md->style_rating : &md->rating) = buf[m];
            *(style ? &md->style_lo : &md->rating_lo) = bs->n ? buf[n + m] : NAN;
            *(style ? &md->style_hi : &md->rating_hi) = bs->n ? buf[2 * n + m] : NAN;
        }
    }
    free(buf);
    return 0;
}

/* Who wins each category most often, and whether that is separated. */
static void leaders(Report *r)
{
    for (size_t c = 0; c < r->n_categories; c++) {
        int best = -1;
        for (size_t m = 0; m < r->n_models; m++) {
            const ReportShare *s = &r->models[m].share_by_category[c];
            if (s->n && (best < 0 || s->rate > r->models[best].share_by_category[c].rate))
                best = (int)m;
        }
        if (best >= 0 && r->models[best].share_by_category[c].wins == 0)
            best = -1; /* ties and both-bad rounds only: nobody wins most often */
        r->leader[c] = best;
        /* clear: there were others, and the leader's interval lies above each of theirs */
        bool sep = best >= 0;
        size_t others = 0;
        for (size_t m = 0; best >= 0 && m < r->n_models; m++) {
            const ReportShare *s = &r->models[m].share_by_category[c];
            if ((int)m == best || !s->n)
                continue;
            others++;
            if (!(r->models[best].share_by_category[c].lo > s->hi))
                sep = false;
        }
        r->separated[c] = sep && others > 0;
    }
}

static void speed_and_cost(Report *r, const FixtureSet *set, double *ttft, double *tps)
{
    for (size_t m = 0; m < r->n_models; m++) {
        ReportModel *md = &r->models[m];
        size_t nt = 0, np = 0;
        double cost = 0;
        md->in_per_mtok = md->out_per_mtok = NAN;
        for (size_t i = 0; i < set->n; i++) {
            const SessionRound *rd = &set->cases[i].r;
            for (size_t k = 0; k < rd->n_replies; k++) {
                const Reply *p = rd->replies[k];
                char key[600];
                if (strcmp(candidate_key(p, key, sizeof key), md->spec) != 0 || !reply_was_sent(p))
                    continue;
                md->replies++;
                md->refused += p->status == REPLY_REFUSED;
                md->blocked += p->status == REPLY_BLOCKED;
                md->failed += p->status == REPLY_ERROR || p->status == REPLY_CANCELLED;
                if (p->metrics.ttft_ms >= 0)
                    ttft[nt++] = p->metrics.ttft_ms;
                if (p->metrics.output_tokens_per_s > 0)
                    tps[np++] = p->metrics.output_tokens_per_s;
                if (isnan(md->in_per_mtok) && isfinite(p->metrics.input_usd_per_mtok)) {
                    md->in_per_mtok = p->metrics.input_usd_per_mtok;
                    md->out_per_mtok = p->metrics.output_usd_per_mtok;
                }
                if (isfinite(p->metrics.cost_usd)) {
                    cost += p->metrics.cost_usd;
                    md->cost_known++;
                    md->cost_estimated |= strcmp(p->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0;
                }
            }
        }
        md->median_ttft_ms = stats_median(ttft, nt);
        md->median_tokens_per_s = stats_median(tps, np);
        md->cost_per_1k_usd = md->cost_known ? 1000 * cost / (double)md->cost_known : NAN;
    }
}

int report_build(const FixtureSet *set, const ReportOptions *opt, Report *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->opt = opt ? *opt : report_options_default();
    char **specs = NULL;
    size_t n = 0;
    double *ttft = NULL, *tps = NULL;
    BattleSet bs = { 0 };
    for (size_t i = 0; i < set->n; i++) {
        const SessionRound *rd = &set->cases[i].r;
        for (size_t k = 0; k < rd->n_replies; k++) {
            char key[600];
            if (intern(&specs, &n, candidate_key(rd->replies[k], key, sizeof key)) < 0)
                goto oom;
        }
        if (rd->outcome != SESSION_UNLABELLED && battles_label_valid(rd) &&
            intern(&r->categories, &r->n_categories, rd->category ? rd->category : "(none)") < 0)
            goto oom;
    }
    size_t nc = r->n_categories;
    r->n_models = n;
    r->models = n ? calloc(n, sizeof *r->models) : NULL;
    r->pair_score = calloc(n * n + 1, sizeof *r->pair_score);
    r->pair_games = calloc(n * n + 1, sizeof *r->pair_games);
    r->leader = calloc(nc + 1, sizeof *r->leader);
    r->category_rounds = calloc(nc + 1, sizeof *r->category_rounds);
    r->separated = calloc(nc + 1, sizeof *r->separated);
    if ((n && !r->models) || !r->pair_score || !r->pair_games || !r->leader || !r->separated || !r->category_rounds)
        goto oom;
    for (size_t m = 0; m < n; m++) {
        ReportModel *md = &r->models[m];
        md->spec = specs[m];
        specs[m] = NULL;
        md->by_category = calloc(nc + 1, sizeof *md->by_category);
        md->share_by_category = calloc(nc + 1, sizeof *md->share_by_category);
        if (!md->by_category || !md->share_by_category)
            goto oom;
        snprintf(md->name, sizeof md->name, "%s", md->spec);
    }
    /* names, counts and win shares over the candidates that took part */
    for (size_t i = 0; i < set->n; i++) {
        const SessionRound *rd = &set->cases[i].r;
        r->n_rounds++;
        for (size_t k = 0; k < rd->n_replies; k++) {
            size_t m = 0;
            char key[600];
            candidate_key(rd->replies[k], key, sizeof key);
            while (m < n && strcmp(r->models[m].spec, key) != 0)
                m++;
            if (reply_was_sent(rd->replies[k]) && strcmp(r->models[m].name, r->models[m].spec) == 0)
                full_name(&r->models[m], rd->replies[k]);
        }
        if (rd->outcome == SESSION_UNLABELLED)
            continue;
        if (!battles_label_valid(rd)) {
            char why[400];
            battles_label_why(rd, why, sizeof why);
            r->n_invalid_labels++;
            buf_printf(&r->label_notes, "%s: %s\n", set->cases[i].id ? set->cases[i].id : "(a round)", why);
            continue;
        }
        r->n_labelled++;
        size_t cat = 0;
        while (cat < nc && strcmp(r->categories[cat], rd->category ? rd->category : "(none)") != 0)
            cat++;
        r->category_rounds[cat]++;
        for (size_t k = 0; k < rd->n_replies; k++) {
            if (!battles_took_part(rd->replies[k]))
                continue; /* not sent, or failed without a word: nothing was judged */
            size_t m = 0;
            char key[600];
            candidate_key(rd->replies[k], key, sizeof key);
            while (m < n && strcmp(r->models[m].spec, key) != 0)
                m++;
            bool won = rd->outcome == SESSION_WIN && (int)k == rd->winner;
            count(&r->models[m].all, rd->outcome, won);
            count(&r->models[m].by_category[cat], rd->outcome, won);
            share_add(&r->models[m].share, rd->outcome, won);
            share_add(&r->models[m].share_by_category[cat], rd->outcome, won);
        }
    }
    for (size_t m = 0; m < n; m++) {
        share_finish(&r->models[m].share);
        for (size_t c = 0; c < nc; c++)
            share_finish(&r->models[m].share_by_category[c]);
    }
    leaders(r);
    /* battles, pairwise records and ratings */
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        goto oom;
    for (size_t m = 0; m < n; m++)
        names[m] = r->models[m].spec;
    int brc = battles_build(set, names, n, r->opt.losers, &bs, err, errlen);
    free(names);
    if (brc < 0)
        goto oom;
    for (size_t k = 0; k < bs.n; k++) {
        size_t ia = (size_t)bs.b[k].a, ib = (size_t)bs.b[k].b;
        double sa = bs.b[k].score_a;
        r->pair_score[ia * n + ib] += sa;
        r->pair_score[ib * n + ia] += 1 - sa;
        r->pair_games[ia * n + ib] += 1;
        r->pair_games[ib * n + ia] += 1;
    }
    r->n_battles = bs.n;
    r->n_skipped = bs.skipped;
    if (ratings(r, &bs) < 0)
        goto oom;
    battles_free(&bs);
    evidence(r);
    /* speed and cost: every reply that was sent */
    size_t cap = 0;
    for (size_t i = 0; i < set->n; i++)
        cap += set->cases[i].r.n_replies;
    ttft = malloc((cap + 1) * sizeof *ttft);
    tps = malloc((cap + 1) * sizeof *tps);
    if (!ttft || !tps)
        goto oom;
    speed_and_cost(r, set, ttft, tps);
    if (r->opt.policy) {
        PolicyCheckOptions po = { .cfg = r->opt.cfg, .frontier = r->opt.frontier, .local = r->opt.local };
        if (policy_check_with(r->opt.policy, set, &po, &r->policy, err, errlen) < 0)
            goto fail;
        r->has_policy = true;
    }
    free(ttft);
    free(tps);
    free(specs);
    return 0;
oom:
    snprintf(err, errlen, "out of memory");
fail:
    for (size_t m = 0; specs && m < n; m++)
        free(specs[m]);
    free(specs);
    free(ttft);
    free(tps);
    battles_free(&bs);
    report_free(r);
    return -1;
}

double report_pair_rate(const Report *r, size_t i, size_t j)
{
    double g = r->pair_games[i * r->n_models + j];
    return g > 0 ? r->pair_score[i * r->n_models + j] / g : NAN;
}

void report_pair_interval(const Report *r, size_t i, size_t j, double *lo, double *hi)
{
    battles_wilson(r->pair_score[i * r->n_models + j], r->pair_games[i * r->n_models + j], lo, hi);
}
