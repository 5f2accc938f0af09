/* report_doc.c — laying the report out as blocks with formatted numbers
 * (see report_doc.h): first the answer, then the detail. */
#include "eval/report_doc.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/prices.h"
#include "util/grow.h"

/* ---- building blocks ------------------------------------------------------------ */

static DocBlock *add(Doc *d, DocKind k)
{
    DocBlock *p = grow_array(d->b, &d->cap, d->n, sizeof *p, 32);
    if (!p)
        return NULL;
    d->b = p;
    DocBlock *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    b->kind = k;
    return b;
}

static char *vfmt(const char *fmt, va_list ap)
{
    Buf b = { 0 };
    va_list cp;
    va_copy(cp, ap);
    int rc = buf_vprintf(&b, fmt, cp);
    va_end(cp);
    if (rc < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

static int text(Doc *d, DocKind k, const char *id, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int text(Doc *d, DocKind k, const char *id, const char *fmt, ...)
{
    DocBlock *b = add(d, k);
    if (!b)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    b->text = vfmt(fmt, ap);
    va_end(ap);
    b->id = id ? strdup(id) : NULL;
    return b->text && (!id || b->id) ? 0 : -1;
}

static DocTable *table(Doc *d, size_t cols, size_t rows)
{
    DocBlock *b = add(d, DOC_TABLE);
    if (!b)
        return NULL;
    b->table.cols = cols;
    b->table.rows = rows;
    b->table.cell = calloc(cols * rows + 1, sizeof *b->table.cell);
    return b->table.cell ? &b->table : NULL;
}

static void cell(DocTable *t, size_t row, size_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void cell(DocTable *t, size_t row, size_t col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    free(t->cell[row * t->cols + col]);
    t->cell[row * t->cols + col] = vfmt(fmt, ap);
    va_end(ap);
}

static DocChart *chart(Doc *d, size_t n, const char *caption)
{
    DocBlock *b = add(d, DOC_CHART);
    if (!b)
        return NULL;
    b->text = strdup(caption);
    DocChart *c = &b->chart;
    c->n = n;
    c->label = calloc(n + 1, sizeof *c->label);
    c->v = calloc(n + 1, sizeof *c->v);
    c->lo = calloc(n + 1, sizeof *c->lo);
    c->hi = calloc(n + 1, sizeof *c->hi);
    if (!b->text || !c->label || !c->v || !c->lo || !c->hi)
        return NULL;
    for (size_t i = 0; i < n; i++)
        c->lo[i] = c->hi[i] = NAN;
    return c;
}

void report_doc_free(Doc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        DocBlock *b = &d->b[i];
        free(b->text);
        free(b->id);
        for (size_t k = 0; b->table.cell && k < b->table.cols * b->table.rows; k++)
            free(b->table.cell[k]);
        free(b->table.cell);
        for (size_t k = 0; b->chart.label && k < b->chart.n; k++)
            free(b->chart.label[k]);
        free(b->chart.label);
        free(b->chart.v);
        free(b->chart.lo);
        free(b->chart.hi);
    }
    free(d->b);
    memset(d, 0, sizeof *d);
}

/* ---- number formats ------------------------------------------------------------- */

/* "$1,234.56"; small amounts keep four significant figures ("$0.004200"). */
static void money(char *out, size_t n, double usd)
{
    if (!isfinite(usd)) {
        snprintf(out, n, "n/a");
        return;
    }
    if (fabs(usd) < 1) {
        snprintf(out, n, "$%.4g", usd);
        return;
    }
    char digits[64];
    snprintf(digits, sizeof digits, "%.2f", usd);
    char *dot = strchr(digits, '.');
    size_t int_len = (size_t)(dot - digits), o = 0;
    out[o++] = '$';
    for (size_t i = 0; i < int_len && o + 2 < n; i++) {
        out[o++] = digits[i];
        size_t left = int_len - i - 1;
        if (left && left % 3 == 0 && digits[i] != '-')
            out[o++] = ',';
    }
    snprintf(out + o, n - o, "%s", dot);
}

/* "100,000" */
static void count_text(char *out, size_t n, double v)
{
    char digits[64];
    snprintf(digits, sizeof digits, "%.0f", v);
    size_t len = strlen(digits), o = 0;
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        out[o++] = digits[i];
        if ((len - i - 1) % 3 == 0 && i + 1 < len)
            out[o++] = ',';
    }
    out[o] = '\0';
}

static void pct(char *out, size_t n, double v)
{
    if (isfinite(v))
        snprintf(out, n, "%.0f%%", 100 * v);
    else
        snprintf(out, n, "n/a");
}

/* "1037 (1012 to 1063)", with "unbounded" for an infinite bound. */
static void rating_ci(char *out, size_t n, double v, double lo, double hi)
{
    char a[32], b[32], c[32];
    if (isinf(v))
        snprintf(a, sizeof a, "%s", v > 0 ? "unbounded above (won every meeting)" : "unbounded below (never scored)");
    else if (isfinite(v))
        snprintf(a, sizeof a, "%.0f", v);
    else
        snprintf(a, sizeof a, "n/a");
    if (isnan(lo) || isnan(hi)) {
        snprintf(out, n, "%s", a);
        return;
    }
    if (isinf(lo))
        snprintf(b, sizeof b, "%s", lo > 0 ? "+\u221e" : "\u2212\u221e");
    else
        snprintf(b, sizeof b, "%.0f", lo);
    if (isinf(hi))
        snprintf(c, sizeof c, "%s", hi > 0 ? "+\u221e" : "\u2212\u221e");
    else
        snprintf(c, sizeof c, "%.0f", hi);
    snprintf(out, n, "%s (%s to %s)", a, b, c);
}

static void share_text(char *out, size_t n, const ReportShare *s)
{
    if (!s->n) {
        snprintf(out, n, "did not take part");
        return;
    }
    snprintf(out, n, "%zu of %zu: %.0f%% (%.0f\u2013%.0f%%)", s->wins, s->n, 100 * s->rate, 100 * s->lo, 100 * s->hi);
    if (s->ties) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, ", %zu tie%s", s->ties, s->ties == 1 ? "" : "s");
    }
}

/* ---- the answer ------------------------------------------------------------------- */

static int models_table(Doc *d, const Report *r)
{
    DocTable *t = table(d, 3, r->n_models + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "#");
    cell(t, 0, 1, "model, in full");
    cell(t, 0, 2, "runs");
    for (size_t m = 0; m < r->n_models; m++) {
        const ReportModel *md = &r->models[m];
        cell(t, m + 1, 0, "%zu", m + 1);
        cell(t, m + 1, 1, "%s", md->name);
        cell(t, m + 1, 2, "%s", md->local ? "on your hardware" : "as an API");
    }
    return 0;
}

/* One warning per label left out (report.h, label_notes). */
static int label_notes(Doc *d, const Report *r)
{
    int rc = 0;
    for (const char *p = buf_str(&r->label_notes), *e; rc == 0 && *p; p = e + 1) {
        if (!(e = strchr(p, '\n')))
            break;
        rc = text(d, DOC_WARN, NULL, "Label left out: %.*s, so there was no answer to judge; relabel the round "
                                     "(versus sessions label) with a winner that answered, a tie or both bad.",
                  (int)(e - p), p);
    }
    return rc;
}

static int categories_table(Doc *d, const Report *r)
{
    if (!r->n_categories)
        return text(d, DOC_P, NULL, "No round is labelled yet%s: label rounds (versus sessions label, or the "
                                    "workbench's keys) to see who wins.",
                    r->n_invalid_labels ? " with a label that is evidence" : "") | label_notes(d, r);
    DocTable *t = table(d, 3 + r->n_models, r->n_categories + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "task category");
    cell(t, 0, 1, "labelled rounds");
    for (size_t m = 0; m < r->n_models; m++)
        cell(t, 0, 2 + m, "%zu. %s wins", m + 1, r->models[m].spec);
    cell(t, 0, 2 + r->n_models, "verdict");
    for (size_t c = 0; c < r->n_categories; c++) {
        cell(t, c + 1, 0, "%s", r->categories[c]);
        for (size_t m = 0; m < r->n_models; m++) {
            char s[160];
            share_text(s, sizeof s, &r->models[m].share_by_category[c]);
            cell(t, c + 1, 2 + m, "%s", s);
        }
        cell(t, c + 1, 1, "%zu", r->category_rounds[c]);
        int l = r->leader[c];
        size_t equal = 0;
        for (size_t m = 0; l >= 0 && m < r->n_models; m++)
            equal += (int)m != l && r->models[m].share_by_category[c].n &&
                     r->models[m].share_by_category[c].rate == r->models[l].share_by_category[c].rate;
        bool any = false;
        for (size_t m = 0; m < r->n_models; m++)
            any |= r->models[m].share_by_category[c].n > 0;
        size_t others = 0;
        for (size_t m = 0; l >= 0 && m < r->n_models; m++)
            others += (int)m != l && r->models[m].share_by_category[c].n > 0;
        if (l < 0 && !any)
            cell(t, c + 1, 2 + r->n_models, "no model ran");
        else if (l < 0)
            cell(t, c + 1, 2 + r->n_models, "no model won a round (ties or both bad only)");
        else if (!others)
            cell(t, c + 1, 2 + r->n_models, "%zu. %s: the only model that took part, so it is not compared with "
                 "any other", (size_t)l + 1, r->models[l].spec);
        else if (equal)
            cell(t, c + 1, 2 + r->n_models, "no single leader: %zu. %s and %zu other%s win as often", (size_t)l + 1,
                 r->models[l].spec, equal, equal == 1 ? "" : "s");
        else if (r->separated[c])
            cell(t, c + 1, 2 + r->n_models, "%zu. %s wins most often, clear of the others", (size_t)l + 1,
                 r->models[l].spec);
        else
            cell(t, c + 1, 2 + r->n_models, "%zu. %s wins most often, but not clear of the others at 95%%: "
                 "more rounds needed", (size_t)l + 1, r->models[l].spec);
    }
    return text(d, DOC_NOTE, NULL, "A model's share is the labelled rounds of that category it won, of those it "
                                   "took part in (a candidate not sent, or failed without a word, did not), "
                                   "with the 95%% Wilson interval; ties are not wins. A leader is clear when other "
                                   "models took part and its interval lies above every one of theirs.") | label_notes(d, r);
}

/* How one model was priced, in words. */
static void basis_text(char *out, size_t n, const Report *r, const ReportModel *md)
{
    const CostsModel *cm = r->opt.costs ? costs_model(r->opt.costs, md->spec) : NULL;
    if (cm && cm->local && strcmp(cm->basis, PRICES_BASIS_ESTIMATED) == 0)
        snprintf(out, n, "estimated from measured speed: $%.4g/h (%s) over %.0f prompt and %.1f decode tokens/s "
                 "(%s)", r->opt.costs->local.hour_usd, r->opt.costs->local.basis, cm->prompt_tps, cm->decode_tps,
                 cm->speed_source);
    else if (cm && cm->local && strcmp(cm->basis, PRICES_BASIS_FREE) == 0)
        snprintf(out, n, "free: the config says so");
    else if (cm && cm->local)
        snprintf(out, n, "unknown: %s (state the machine's cost as local_cost in the config)", cm->basis);
    else if (md->local && md->cost_estimated)
        snprintf(out, n, "estimated from measured speed (as recorded)");
    else if (md->local)
        snprintf(out, n, "unknown: state the machine's cost as local_cost in the config");
    else if (isfinite(md->cost_per_1k_usd))
        snprintf(out, n, "the provider's prices (price table)");
    else
        snprintf(out, n, "unknown: no price for this model");
}

static int cost_table(Doc *d, const Report *r)
{
    double vol = r->opt.volume;
    DocTable *t = table(d, vol > 0 ? 6 : 5, r->n_models + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "model");
    cell(t, 0, 1, "cost per 1,000 requests");
    cell(t, 0, 2, "$ per 1M input / output tokens");
    cell(t, 0, 3, "how it is priced");
    cell(t, 0, 4, "replies priced");
    char vol_text[40];
    count_text(vol_text, sizeof vol_text, vol);
    if (vol > 0)
        cell(t, 0, 5, "a month at %s requests", vol_text);
    for (size_t m = 0; m < r->n_models; m++) {
        const ReportModel *md = &r->models[m];
        const CostsModel *cm = r->opt.costs ? costs_model(r->opt.costs, md->spec) : NULL;
        char c1[48], c2[48], c3[48], basis[600];
        money(c1, sizeof c1, md->cost_per_1k_usd);
        cell(t, m + 1, 0, "%zu. %s", m + 1, md->spec);
        cell(t, m + 1, 1, "%s%s", md->cost_estimated ? "~" : "", c1);
        double in = cm && cm->local ? cm->in_per_mtok : md->in_per_mtok;
        double out = cm && cm->local ? cm->out_per_mtok : md->out_per_mtok;
        if (isfinite(in) && isfinite(out)) {
            money(c2, sizeof c2, in);
            money(c3, sizeof c3, out);
            const char *est = md->local ? "~" : "";
            cell(t, m + 1, 2, "%s%s / %s%s", est, c2, est, c3);
        } else {
            cell(t, m + 1, 2, "%s", "n/a (not recorded)");
        }
        basis_text(basis, sizeof basis, r, md);
        cell(t, m + 1, 3, "%s", basis);
        cell(t, m + 1, 4, "%zu of %zu", md->cost_known, md->replies);
        if (vol > 0) {
            money(c1, sizeof c1, md->cost_per_1k_usd / 1000 * vol);
            cell(t, m + 1, 5, "%s%s", md->cost_estimated ? "~" : "", c1);
        }
    }
    return text(d, DOC_NOTE, NULL, "Cost per 1,000 requests is 1000 \u00d7 the mean cost of the model's priced "
                                   "replies. ~ marks a cost estimated from measured speed: the machine's hourly "
                                   "cost over the prompt and decode tokens per second versus measured on it, one "
                                   "request at a time (versus(1), LOCAL COST).");
}

static int policy_section(Doc *d, const Report *r)
{
    double vol = r->opt.volume;
    if (!r->has_policy)
        return text(d, DOC_P, NULL, "No routing policy was given: versus report --policy FILE%s prices one here "
                                    "against everything to the frontier model and everything local.",
                    vol > 0 ? "" : " --volume N");
    const PolicyReport *p = &r->policy;
    if (text(d, DOC_H3, "policy", "The routing policy %s", r->opt.policy_name ? r->opt.policy_name : "") < 0)
        return -1;
    DocTable *t = table(d, vol > 0 ? 5 : 4, p->n_base + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "strategy");
    cell(t, 0, 1, "quality (winner or tie)");
    cell(t, 0, 2, "cost per 1,000 requests");
    cell(t, 0, 3, "model");
    char vol_text[40];
    count_text(vol_text, sizeof vol_text, vol);
    if (vol > 0)
        cell(t, 0, 4, "a month at %s requests", vol_text);
    static const struct { const char *label, *words; } words[] = {
        { "policy", "the policy" }, { "always frontier", "everything to the frontier model" },
        { "always local", "everything local" }, { "always best", "everything to the best single model" },
    };
    for (size_t k = 0; k < p->n_base; k++) {
        const PolicyBaseline *x = &p->base[k];
        const char *w = x->label;
        for (size_t i = 0; i < sizeof words / sizeof *words; i++)
            if (strcmp(words[i].label, x->label) == 0)
                w = words[i].words;
        char q[16], c[48];
        pct(q, sizeof q, x->quality);
        money(c, sizeof c, x->cost_per_case * 1000);
        cell(t, k + 1, 0, "%s", w);
        cell(t, k + 1, 1, "%s", q);
        cell(t, k + 1, 2, "%s%s", x->cost_estimated ? "~" : "", c);
        cell(t, k + 1, 3, "%s", x->spec[0] ? x->spec : "(its routes)");
        if (vol > 0) {
            money(c, sizeof c, x->cost_per_case * vol);
            cell(t, k + 1, 4, "%s%s", x->cost_estimated ? "~" : "", c);
        }
    }
    /* a ratio above 1 only says the frontier model lost more of these cases:
     * shown as all of its quality, with both qualities and the cases behind them */
    char kept[16], beyond[200] = "";
    bool capped = p->quality_kept > 1;
    pct(kept, sizeof kept, p->quality_kept);
    if (capped) {
        char q0[16], q1[16];
        pct(q0, sizeof q0, p->base[0].quality);
        pct(q1, sizeof q1, p->base[1].quality);
        snprintf(kept, sizeof kept, "all");
        snprintf(beyond, sizeof beyond, " (winner or tie %s against %s on the same %zu case%s: a ratio above "
                 "100%% is shown as all of it)", q0, q1, p->common_judged, p->common_judged == 1 ? "" : "s");
    }
    int rc = 0;
    if (p->n_base > 1 && strcmp(p->base[1].label, "always frontier") == 0 && vol > 0) {
        char a[48], b[48];
        money(a, sizeof a, p->base[0].cost_per_case * vol);
        money(b, sizeof b, p->base[1].cost_per_case * vol);
        rc |= text(d, DOC_P, NULL, "At %s requests a month the policy would cost %s against %s for everything to "
                                   "%s, keeping %s of that model's quality%s.",
                   vol_text, a, b, p->base[1].spec, kept, beyond);
    } else if (p->n_base > 1 && strcmp(p->base[1].label, "always frontier") == 0) {
        rc |= text(d, DOC_P, NULL, "The policy keeps %s of the frontier model's quality%s. Give --volume N for "
                                   "the monthly figures.", kept, beyond);
    }
    rc |= text(d, DOC_NOTE, NULL, "Every row is computed on the same %zu labelled cases, those in which the "
                                  "policy's route and every model above ran; costs on the %zu of them where every "
                                  "cost is known. The policy routes no API calls here (versus-policy(5)). Over all "
                                  "its judged routes the policy picks a winner or tie in %.0f%%, with %zu loser "
                                  "pick%s and %zu sensitivity violation%s.",
                  p->common_judged, p->common_priced, 100 * (isfinite(p->quality) ? p->quality : 0), p->losers,
                  p->losers == 1 ? "" : "s", p->violations, p->violations == 1 ? "" : "s");
    return rc;
}

/* ---- the detail ------------------------------------------------------------------- */

static int ratings_section(Doc *d, const Report *r)
{
    size_t n = r->n_models;
    if (text(d, DOC_H3, "ratings", "Ratings") < 0)
        return -1;
    DocTable *t = table(d, 5, n + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "rank");
    cell(t, 0, 1, "model");
    cell(t, 0, 2, "rating (95%% interval)");
    cell(t, 0, 3, "style-controlled rating (95%% interval)");
    cell(t, 0, 4, "battles");
    for (size_t m = 0; m < n; m++) {
        const ReportModel *md = &r->models[m];
        char a[96], b[96];
        rating_ci(a, sizeof a, md->rating, md->rating_lo, md->rating_hi);
        rating_ci(b, sizeof b, md->style_rating, md->style_lo, md->style_hi);
        double games = 0;
        for (size_t j = 0; j < n; j++)
            games += r->pair_games[m * n + j];
        cell(t, m + 1, 0, "%d", md->rank);
        cell(t, m + 1, 1, "%zu. %s", m + 1, md->spec);
        cell(t, m + 1, 2, "%s", a);
        cell(t, m + 1, 3, "%s", b);
        cell(t, m + 1, 4, "%.0f", games);
    }
    DocChart *c = chart(d, 2 * n, "Rating, raw and style-controlled (Elo scale, 95% bootstrap interval)");
    if (!c)
        return -1;
    c->base = 1000;
    for (size_t m = 0; m < n; m++) {
        const ReportModel *md = &r->models[m];
        char a[96];
        rating_ci(a, sizeof a, md->rating, md->rating_lo, md->rating_hi);
        Buf l = { 0 };
        buf_printf(&l, "%zu. %s \u2014 %s", m + 1, md->spec, a);
        c->label[2 * m] = buf_steal(&l);
        c->v[2 * m] = md->rating, c->lo[2 * m] = md->rating_lo, c->hi[2 * m] = md->rating_hi;
        rating_ci(a, sizeof a, md->style_rating, md->style_lo, md->style_hi);
        buf_printf(&l, "%zu. %s, style-controlled \u2014 %s", m + 1, md->spec, a);
        c->label[2 * m + 1] = buf_steal(&l);
        c->v[2 * m + 1] = md->style_rating, c->lo[2 * m + 1] = md->style_lo, c->hi[2 * m + 1] = md->style_hi;
    }
    static const char *const feat[BT_STYLE_N] = { "length", "headers", "bold", "lists" };
    Buf co = { 0 };
    for (int k = 0; k < BT_STYLE_N; k++)
        buf_printf(&co, "%s%s %+.3f (%+.3f to %+.3f)", k ? ", " : "", feat[k], r->style_coef[k], r->style_coef_lo[k],
                   r->style_coef_hi[k]);
    int rc = text(d, DOC_NOTE, NULL,
                  "Bradley-Terry as LMArena computes it (arena-rank): maximum likelihood of P(A beats B) = "
                  "\u03c3(\u03b8A \u2212 \u03b8B), 400/ln 10 Elo points per log-odds unit, each connected group "
                  "centred at 1000; a won round's winner beats each other candidate that ran, ties and both-bad "
                  "rounds count 0.5 for every pair, %s; candidates not sent or failed without a word take no part "
                  "(%zu left out). %s Style control adds \u03b3\u00b7z, z the standardised (fA \u2212 fB)/(fA + fB) "
                  "of length, markdown headers, bold and list items, ridge-penalised (\u03b3 per standard "
                  "deviation, log-odds: %s): a verbose model's advantage shows as the gap between its two "
                  "ratings. Intervals: %d bootstrap resamples of the %zu battles, seed %llu. Rank: 1 + the models "
                  "whose lower bound is above this one's upper bound.",
                  r->opt.losers == BATTLES_LOSERS_TIE ? "losers of a won round tie with each other (--losers tie)"
                                                      : "losers of a won round do not meet (--losers tie to count "
                                                        "them as a tie)",
                  r->n_skipped,
                  r->prior_used > 0 ? "The data alone have no finite maximum-likelihood rating (a model won or "
                                      "lost every meeting), so every pair that met gets virtual ties (--prior)."
                                    : "",
                  buf_str(&co), r->opt.bootstrap_rounds, r->n_battles, (unsigned long long)r->opt.seed);
    buf_free(&co);
    for (const char *p = buf_str(&r->warnings), *e; rc == 0 && *p; p = e + 1) {
        e = strchr(p, '\n');
        if (!e)
            break;
        rc = text(d, DOC_WARN, NULL, "Not enough evidence: %.*s", (int)(e - p), p);
    }
    return rc;
}

static int pairwise_section(Doc *d, const Report *r)
{
    size_t n = r->n_models, rows = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            rows += r->pair_games[i * n + j] > 0;
    if (text(d, DOC_H3, "pairwise", "Pairwise win rates") < 0)
        return -1;
    if (!rows)
        return text(d, DOC_P, NULL, "No two models met in a labelled round.");
    DocTable *t = table(d, 5, rows + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "model A");
    cell(t, 0, 1, "model B");
    cell(t, 0, 2, "meetings");
    cell(t, 0, 3, "A's win rate (ties half), 95%% interval");
    cell(t, 0, 4, "significance");
    size_t row = 1;
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!(r->pair_games[i * n + j] > 0))
                continue;
            double lo, hi, rate = report_pair_rate(r, i, j);
            report_pair_interval(r, i, j, &lo, &hi);
            cell(t, row, 0, "%zu. %s", i + 1, r->models[i].spec);
            cell(t, row, 1, "%zu. %s", j + 1, r->models[j].spec);
            cell(t, row, 2, "%.0f", r->pair_games[i * n + j]);
            cell(t, row, 3, "%.0f%% (%.0f\u2013%.0f%%)", 100 * rate, 100 * lo, 100 * hi);
            if (lo > 0.5)
                cell(t, row, 4, "A ahead (the interval is above 50%%)");
            else if (hi < 0.5)
                cell(t, row, 4, "B ahead (the interval is below 50%%)");
            else
                cell(t, row, 4, "not separated: the interval holds 50%%");
            row++;
        }
    return text(d, DOC_NOTE, NULL, "The win rate counts a tie as half a win; the interval is Wilson's score "
                                   "interval at 95%% over the meetings.");
}

static void counts_rows(DocTable *t, size_t row0, const Report *r, const ReportCounts *(*get)(const ReportModel *,
                                                                                               size_t),
                        size_t cat)
{
    for (size_t m = 0; m < r->n_models; m++) {
        const ReportCounts *c = get(&r->models[m], cat);
        cell(t, row0 + m, 0, "%zu. %s", m + 1, r->models[m].spec);
        cell(t, row0 + m, 1, "%zu", c->wins);
        cell(t, row0 + m, 2, "%zu", c->ties);
        cell(t, row0 + m, 3, "%zu", c->losses);
        cell(t, row0 + m, 4, "%zu", c->both_bad);
    }
}

static const ReportCounts *all_counts(const ReportModel *m, size_t c)
{
    (void)c;
    return &m->all;
}

static const ReportCounts *cat_counts(const ReportModel *m, size_t c)
{
    return &m->by_category[c];
}

static int counts_section(Doc *d, const Report *r)
{
    if (text(d, DOC_H3, "counts", "Wins, ties and losses") < 0)
        return -1;
    for (size_t c = 0; c <= r->n_categories; c++) {
        if (c > 0 && text(d, DOC_P, NULL, "Category: %s", r->categories[c - 1]) < 0)
            return -1;
        DocTable *t = table(d, 5, r->n_models + 1);
        if (!t)
            return -1;
        cell(t, 0, 0, "model");
        cell(t, 0, 1, "wins");
        cell(t, 0, 2, "ties");
        cell(t, 0, 3, "losses");
        cell(t, 0, 4, "both bad");
        counts_rows(t, 1, r, c ? cat_counts : all_counts, c ? c - 1 : 0);
    }
    DocChart *ch = chart(d, r->n_models, "Share of labelled rounds won (95% Wilson interval)");
    if (!ch)
        return -1;
    for (size_t m = 0; m < r->n_models; m++) {
        char s[160];
        share_text(s, sizeof s, &r->models[m].share);
        Buf l = { 0 };
        buf_printf(&l, "%zu. %s \u2014 %s", m + 1, r->models[m].spec, s);
        ch->label[m] = buf_steal(&l);
        ch->v[m] = 100 * r->models[m].share.rate;
        ch->lo[m] = 100 * r->models[m].share.lo;
        ch->hi[m] = 100 * r->models[m].share.hi;
    }
    return 0;
}

static int speed_section(Doc *d, const Report *r)
{
    if (text(d, DOC_H3, "speed", "Speed") < 0)
        return -1;
    DocTable *t = table(d, 5, r->n_models + 1);
    if (!t)
        return -1;
    cell(t, 0, 0, "model");
    cell(t, 0, 1, "replies sent");
    cell(t, 0, 2, "median time to first token");
    cell(t, 0, 3, "median output tokens/s");
    cell(t, 0, 4, "refused / blocked / failed");
    for (size_t m = 0; m < r->n_models; m++) {
        const ReportModel *md = &r->models[m];
        cell(t, m + 1, 0, "%zu. %s", m + 1, md->spec);
        cell(t, m + 1, 1, "%zu", md->replies);
        cell(t, m + 1, 4, "%zu / %zu / %zu", md->refused, md->blocked, md->failed);
        if (isfinite(md->median_ttft_ms))
            cell(t, m + 1, 2, "%.0f ms", md->median_ttft_ms);
        else
            cell(t, m + 1, 2, "n/a");
        if (isfinite(md->median_tokens_per_s))
            cell(t, m + 1, 3, "%.1f", md->median_tokens_per_s);
        else
            cell(t, m + 1, 3, "n/a");
    }
    static const char *const caps[3] = { "Median time to first token (ms)", "Median output tokens per second",
                                         "Cost per 1,000 requests (USD; ~ estimated from measured speed)" };
    for (int k = 0; k < 3; k++) {
        DocChart *c = chart(d, r->n_models, caps[k]);
        if (!c)
            return -1;
        for (size_t m = 0; m < r->n_models; m++) {
            const ReportModel *md = &r->models[m];
            double v = k == 0 ? md->median_ttft_ms : k == 1 ? md->median_tokens_per_s : md->cost_per_1k_usd;
            char val[48];
            if (k == 2)
                money(val, sizeof val, v);
            else if (isfinite(v))
                snprintf(val, sizeof val, k == 0 ? "%.0f ms" : "%.1f", v);
            else
                snprintf(val, sizeof val, "n/a");
            Buf l = { 0 };
            buf_printf(&l, "%zu. %s \u2014 %s%s", m + 1, md->spec, k == 2 && md->cost_estimated ? "~" : "", val);
            c->label[m] = buf_steal(&l);
            c->v[m] = v;
        }
    }
    return 0;
}

int report_doc_build(const Report *r, const char *title, Doc *d)
{
    memset(d, 0, sizeof *d);
    int rc = text(d, DOC_H1, NULL, "%s", title);
    rc |= text(d, DOC_P, NULL, "%zu round%s, %zu labelled; %zu model%s; %zu meeting%s between candidates that ran "
               "(at most one per pair of models per round).",
               r->n_rounds, r->n_rounds == 1 ? "" : "s", r->n_labelled, r->n_models, r->n_models == 1 ? "" : "s",
               r->n_battles, r->n_battles == 1 ? "" : "s");
    if (r->n_invalid_labels)
        rc |= text(d, DOC_P, NULL, "%zu label%s left out: %s a winner that did not take part (see below).",
                   r->n_invalid_labels, r->n_invalid_labels == 1 ? "" : "s",
                   r->n_invalid_labels == 1 ? "it names" : "each names");
    rc |= text(d, DOC_H2, "answer", "The answer");
    rc |= text(d, DOC_H3, "models", "The models");
    rc |= models_table(d, r);
    rc |= text(d, DOC_H3, "who-wins", "Who wins, per task category");
    rc |= categories_table(d, r);
    rc |= text(d, DOC_H3, "cost", "What each costs");
    rc |= cost_table(d, r);
    rc |= policy_section(d, r);
    rc |= text(d, DOC_H2, "detail", "The detail");
    rc |= ratings_section(d, r);
    rc |= pairwise_section(d, r);
    rc |= counts_section(d, r);
    rc |= speed_section(d, r);
    rc |= text(d, DOC_NOTE, NULL, "Generated by versus report.");
    if (rc) {
        report_doc_free(d);
        return -1;
    }
    return 0;
}
