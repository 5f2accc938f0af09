/* report.c — building the per-model report and rendering it as HTML (inline
 * SVG) or Markdown (see report.h). */
#include "eval/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/battles.h"
#include "eval/bradley_terry.h"
#include "util/markup.h"

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
    }
    free(r->models);
    for (size_t i = 0; i < r->n_categories; i++)
        free(r->categories[i]);
    free(r->categories);
    free(r->pair_score);
    free(r->pair_games);
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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    if (!n)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
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

int report_build(const FixtureSet *set, const ReportOptions *opt, Report *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->opt = opt ? *opt : report_options_default();
    char **specs = NULL;
    size_t n = 0;
    double *ttft = NULL, *tps = NULL;
    /* pass 1: names */
    for (size_t i = 0; i < set->n; i++) {
        const SessionRound *rd = &set->cases[i].r;
        for (size_t k = 0; k < rd->n_replies; k++)
            if (intern(&specs, &n, rd->replies[k]->spec) < 0)
                goto oom;
        if (rd->outcome != SESSION_UNLABELLED &&
            intern(&r->categories, &r->n_categories, rd->category ? rd->category : "(none)") < 0)
            goto oom;
    }
    r->n_models = n;
    r->models = n ? calloc(n, sizeof *r->models) : NULL;
    r->pair_score = calloc(n * n + 1, sizeof *r->pair_score);
    r->pair_games = calloc(n * n + 1, sizeof *r->pair_games);
    if ((n && !r->models) || !r->pair_score || !r->pair_games)
        goto oom;
    for (size_t m = 0; m < n; m++) {
        r->models[m].spec = specs[m];
        specs[m] = NULL;
        r->models[m].by_category = calloc(r->n_categories + 1, sizeof *r->models[m].by_category);
        if (!r->models[m].by_category)
            goto oom;
    }
    /* pass 2: counts and battles */
    for (size_t i = 0; i < set->n; i++) {
        const SessionRound *rd = &set->cases[i].r;
        r->n_rounds++;
        if (rd->outcome == SESSION_UNLABELLED)
            continue;
        r->n_labelled++;
        size_t cat = 0;
        while (cat < r->n_categories && strcmp(r->categories[cat], rd->category ? rd->category : "(none)") != 0)
            cat++;
        for (size_t k = 0; k < rd->n_replies; k++) {
            if (!battles_took_part(rd->replies[k]))
                continue; /* not sent, or failed without a word: nothing was judged */
            size_t m = 0;
            while (m < n && strcmp(r->models[m].spec, rd->replies[k]->spec) != 0)
                m++;
            bool won = rd->outcome == SESSION_WIN && (int)k == rd->winner;
            count(&r->models[m].all, rd->outcome, won);
            count(&r->models[m].by_category[cat], rd->outcome, won);
        }
    }
    /* battles, pairwise records and ratings */
    const char **names = calloc(n + 1, sizeof *names);
    if (!names)
        goto oom;
    for (size_t m = 0; m < n; m++)
        names[m] = r->models[m].spec;
    BattleSet bs;
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
    if (n) {
        double *buf = calloc(4 * n, sizeof *buf);
        BtOptions bo = bt_options_default();
        /* Arena's maximum likelihood; a virtual tie per pair only when the
         * data have no finite rating (or when asked with --prior) */
        r->prior_used = r->opt.prior >= 0 ? r->opt.prior : bt_has_finite_mle(n, bs.b, bs.n) ? 0 : 1;
        bo.prior = r->prior_used;
        int ok = buf != NULL;
        BtResult res = { .rating = buf };
        for (int style = 0; ok && style < 2; style++) {
            bo.style = style;
            if (bt_fit(n, bs.b, bs.n, &bo, &res) < 0 ||
                (bs.n && bt_bootstrap(n, bs.b, bs.n, &bo, r->opt.bootstrap_rounds, 0.95, r->opt.seed, buf + n,
                                      buf + 2 * n, style ? r->style_coef_lo : NULL,
                                      style ? r->style_coef_hi : NULL) < 0)) {
                ok = 0;
                break;
            }
            if (style)
                memcpy(r->style_coef, res.coef, sizeof r->style_coef);
            for (size_t m = 0; m < n; m++) {
                ReportModel *md = &r->models[m];
                *(style ? &md->style_rating : &md->rating) = buf[m];
                *(style ? &md->style_lo : &md->rating_lo) = bs.n ? buf[n + m] : NAN;
                *(style ? &md->style_hi : &md->rating_hi) = bs.n ? buf[2 * n + m] : NAN;
            }
        }
        free(buf);
        if (!ok) {
            battles_free(&bs);
            goto oom;
        }
    }
    battles_free(&bs);
    /* speed and cost: every reply of every round */
    size_t cap = 0;
    for (size_t i = 0; i < set->n; i++)
        cap += set->cases[i].r.n_replies;
    ttft = malloc((cap + 1) * sizeof *ttft);
    tps = malloc((cap + 1) * sizeof *tps);
    if (!ttft || !tps)
        goto oom;
    for (size_t m = 0; m < n; m++) {
        ReportModel *md = &r->models[m];
        size_t nt = 0, np = 0;
        double cost = 0;
        for (size_t i = 0; i < set->n; i++) {
            const SessionRound *rd = &set->cases[i].r;
            for (size_t k = 0; k < rd->n_replies; k++) {
                const Reply *p = rd->replies[k];
                if (strcmp(p->spec, md->spec) != 0)
                    continue;
                md->replies++;
                md->refused += p->status == REPLY_REFUSED;
                md->blocked += p->status == REPLY_BLOCKED;
                md->failed += p->status == REPLY_ERROR || p->status == REPLY_CANCELLED;
                if (p->metrics.ttft_ms >= 0)
                    ttft[nt++] = p->metrics.ttft_ms;
                if (p->metrics.output_tokens_per_s > 0)
                    tps[np++] = p->metrics.output_tokens_per_s;
                if (isfinite(p->metrics.cost_usd)) {
                    cost += p->metrics.cost_usd;
                    md->cost_known++;
                }
            }
        }
        md->median_ttft_ms = median(ttft, nt);
        md->median_tokens_per_s = median(tps, np);
        md->cost_per_1k_usd = md->cost_known ? 1000 * cost / (double)md->cost_known : NAN;
    }
    free(ttft);
    free(tps);
    free(specs);
    return 0;
oom:
    for (size_t m = 0; specs && m < n; m++)
        free(specs[m]);
    free(specs);
    free(ttft);
    free(tps);
    report_free(r);
    snprintf(err, errlen, "out of memory");
    return -1;
}

double report_pair_rate(const Report *r, size_t i, size_t j)
{
    double g = r->pair_games[i * r->n_models + j];
    return g > 0 ? r->pair_score[i * r->n_models + j] / g : NAN;
}

/* ---- rendering ----------------------------------------------------------------- */

/* Markdown table cells: pipes and newlines would break the row. */
static int md_cell(Buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            buf_puts(b, "\\|");
        else if (*s == '<')
            buf_puts(b, "&lt;");
        else if (*s == '>')
            buf_puts(b, "&gt;");
        else if (*s == '\n' || *s == '\r')
            buf_puts(b, " ");
        else
            buf_append(b, s, 1);
    }
    return 0;
}

static void num(Buf *b, double v, const char *fmt, const char *unknown)
{
    if (isfinite(v))
        buf_printf(b, fmt, v);
    else
        buf_puts(b, unknown);
}

static double win_rate(const ReportCounts *c)
{
    double n = (double)(c->wins + c->ties + c->losses + c->both_bad);
    return n > 0 ? ((double)c->wins + 0.5 * (double)(c->ties + c->both_bad)) / n : NAN;
}

/* A horizontal bar chart: one bar per model; lo/hi (may be NULL) draw whiskers. */
static void svg_bars(Buf *b, const Report *r, const char *caption, const double *v, const double *lo,
                     const double *hi, double base, const char *fmt)
{
    const double label_w = 230, bar_w = 420, row = 26, pad = 8;
    double vmax = base, vmin = base;
    for (size_t m = 0; m < r->n_models; m++) {
        double x[3] = { v[m], lo ? lo[m] : NAN, hi ? hi[m] : NAN };
        for (int k = 0; k < 3; k++)
            if (isfinite(x[k])) {
                if (x[k] > vmax) vmax = x[k];
                if (x[k] < vmin) vmin = x[k];
            }
    }
    double span = vmax - vmin > 0 ? vmax - vmin : 1;
    double h = pad * 2 + row * (double)r->n_models;
    buf_printf(b, "<figure><figcaption>");
    markup_escape(b, caption);
    buf_printf(b, "</figcaption>\n<svg role=\"img\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\">\n",
               label_w + bar_w + 90, h, label_w + bar_w + 90, h);
    double x0 = label_w + (base - vmin) / span * bar_w;
    for (size_t m = 0; m < r->n_models; m++) {
        double y = pad + row * (double)m;
        buf_printf(b, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", label_w - 6, y + row * 0.65);
        markup_escape(b, r->models[m].spec);
        buf_puts(b, "</text>");
        if (isfinite(v[m])) {
            double x1 = label_w + (v[m] - vmin) / span * bar_w;
            double xa = x0 < x1 ? x0 : x1, w = fabs(x1 - x0);
            buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", xa, y + 4,
                       w < 1 ? 1 : w, row - 8);
            if (lo && hi && isfinite(lo[m]) && isfinite(hi[m])) {
                double a = label_w + (lo[m] - vmin) / span * bar_w, c = label_w + (hi[m] - vmin) / span * bar_w;
                buf_printf(b, "<line class=\"ci\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", a, y + row / 2,
                           c, y + row / 2);
            }
            buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", label_w + bar_w + 6, y + row * 0.65);
            buf_printf(b, fmt, v[m]);
            buf_puts(b, "</text>");
        } else {
            buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">n/a</text>", label_w + 6, y + row * 0.65);
        }
        buf_puts(b, "\n");
    }
    buf_puts(b, "</svg></figure>\n");
}

/* How a table row is written, so that one function per table serves HTML and
 * Markdown: open + cell + sep + cell ... + close. */
typedef struct RowStyle {
    const char *open, *sep, *close;
    int (*text)(Buf *b, const char *s); /* a text cell, escaped */
} RowStyle;

static const RowStyle html_row = { "<tr><td>", "</td><td>", "</td></tr>\n", markup_escape };
static const RowStyle md_row = { "| ", " | ", " |\n", md_cell };

static void counts_row(Buf *b, const RowStyle *st, const char *name, const ReportCounts *c)
{
    buf_puts(b, st->open);
    st->text(b, name);
    buf_printf(b, "%s%zu%s%zu%s%zu%s%zu%s", st->sep, c->wins, st->sep, c->ties, st->sep, c->losses,
               st->sep, c->both_bad, st->sep);
    num(b, 100 * win_rate(c), "%.0f%%", "–");
    buf_puts(b, st->close);
}

/* One row per model: its win rate against each column model, ties half. */
static void pair_rows(Buf *b, const Report *r, const RowStyle *st)
{
    for (size_t i = 0; i < r->n_models; i++) {
        buf_puts(b, st->open);
        st->text(b, r->models[i].spec);
        for (size_t j = 0; j < r->n_models; j++) {
            buf_puts(b, st->sep);
            if (i != j)
                num(b, 100 * report_pair_rate(r, i, j), "%.0f%%", "–");
        }
        buf_puts(b, st->close);
    }
}

/* One row per model: replies (and how many were refused, blocked or
 * failed), median TTFT (ttft_fmt), tokens/s, cost per 1,000 requests and,
 * with a volume, per month. */
static void speed_rows(Buf *b, const Report *r, const RowStyle *st, const char *ttft_fmt)
{
    for (size_t m = 0; m < r->n_models; m++) {
        const ReportModel *md = &r->models[m];
        buf_puts(b, st->open);
        st->text(b, md->spec);
        buf_printf(b, "%s%zu%s%zu%s%zu%s%zu%s", st->sep, md->replies, st->sep, md->refused, st->sep, md->blocked,
                   st->sep, md->failed, st->sep);
        num(b, md->median_ttft_ms, ttft_fmt, "n/a");
        buf_puts(b, st->sep);
        num(b, md->median_tokens_per_s, "%.1f", "n/a");
        buf_puts(b, st->sep);
        num(b, md->cost_per_1k_usd, "$%.4f", "n/a");
        if (r->opt.volume > 0) {
            buf_puts(b, st->sep);
            num(b, md->cost_per_1k_usd * r->opt.volume / 1000, "$%.2f", "n/a");
        }
        buf_puts(b, st->close);
    }
}

int report_html(const Report *r, const char *title, Buf *b)
{
    size_t n = r->n_models;
    double *v = calloc(n * 3 + 1, sizeof *v);
    if (!v)
        return -1;
    double *lo = v + n, *hi = v + 2 * n;
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    markup_escape(b, title);
    buf_puts(b, "</title>\n<style>\n"
                "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;padding:0 1em;color:#222}\n"
                "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:right}\n"
                "td:first-child,th:first-child{text-align:left}th{background:#f3f3f3}\n"
                "svg text{font:13px system-ui,sans-serif;fill:#222}.bar{fill:#4a7fb5}.ci{stroke:#111;stroke-width:2}\n"
                "figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}.note{color:#666;font-size:13px}\n"
                "</style></head><body>\n<h1>");
    markup_escape(b, title);
    buf_printf(b, "</h1>\n<p>%zu rounds, %zu labelled, %zu models.</p>\n", r->n_rounds, r->n_labelled, n);

    buf_puts(b, "<h2>Ratings</h2>\n");
    for (size_t m = 0; m < n; m++) {
        v[m] = r->models[m].rating;
        lo[m] = r->models[m].rating_lo;
        hi[m] = r->models[m].rating_hi;
    }
    svg_bars(b, r, "Bradley-Terry rating (Elo scale, 95% bootstrap interval)", v, lo, hi, 1000, "%.0f");
    buf_printf(b, "<p class=\"note\">Fitted by maximum likelihood with %.3g virtual tie(s) per pair that met; "
                  "%d bootstrap resamples, seed %llu. Ties and both-bad rounds count half a win each way.</p>\n",
               r->opt.prior, r->opt.bootstrap_rounds, (unsigned long long)r->opt.seed);

    buf_puts(b, "<h2>Wins, ties and losses</h2>\n<table><tr><th>model</th><th>wins</th><th>ties</th>"
                "<th>losses</th><th>both bad</th><th>win rate</th></tr>\n");
    for (size_t m = 0; m < n; m++)
        counts_row(b, &html_row, r->models[m].spec, &r->models[m].all);
    buf_puts(b, "</table>\n");
    for (size_t m = 0; m < n; m++)
        v[m] = 100 * win_rate(&r->models[m].all);
    svg_bars(b, r, "Win rate (%, ties half)", v, NULL, NULL, 0, "%.0f%%");
    for (size_t c = 0; c < r->n_categories; c++) {
        buf_puts(b, "<h3>Category: ");
        markup_escape(b, r->categories[c]);
        buf_puts(b, "</h3>\n<table><tr><th>model</th><th>wins</th><th>ties</th><th>losses</th><th>both bad</th>"
                    "<th>win rate</th></tr>\n");
        for (size_t m = 0; m < n; m++)
            counts_row(b, &html_row, r->models[m].spec, &r->models[m].by_category[c]);
        buf_puts(b, "</table>\n");
    }

    buf_puts(b, "<h2>Pairwise win rates</h2>\n<p class=\"note\">Row model against column model, ties half.</p>\n"
                "<table><tr><th></th>");
    for (size_t j = 0; j < n; j++) {
        buf_puts(b, "<th>");
        markup_escape(b, r->models[j].spec);
        buf_puts(b, "</th>");
    }
    buf_puts(b, "</tr>\n");
    pair_rows(b, r, &html_row);
    buf_puts(b, "</table>\n<h2>Speed and cost</h2>\n<table><tr><th>model</th><th>replies</th>"
                "<th>refused</th><th>blocked</th><th>failed</th><th>median TTFT</th><th>median tokens/s</th><th>cost / 1,000 requests</th>");
    if (r->opt.volume > 0)
        buf_printf(b, "<th>at %.0f requests/month</th>", r->opt.volume);
    buf_puts(b, "</tr>\n");
    speed_rows(b, r, &html_row, "%.0f ms");
    buf_puts(b, "</table>\n");
    for (size_t m = 0; m < n; m++)
        v[m] = r->models[m].median_ttft_ms;
    svg_bars(b, r, "Median time to first token (ms)", v, NULL, NULL, 0, "%.0f ms");
    for (size_t m = 0; m < n; m++)
        v[m] = r->models[m].median_tokens_per_s;
    svg_bars(b, r, "Median output tokens per second", v, NULL, NULL, 0, "%.1f");
    for (size_t m = 0; m < n; m++)
        v[m] = r->models[m].cost_per_1k_usd;
    svg_bars(b, r, "Cost per 1,000 requests (USD)", v, NULL, NULL, 0, "$%.4f");
    buf_puts(b, "<p class=\"note\">Generated by versus report. Costs are the recorded per-reply costs; "
                "n/a where a price was unknown.</p>\n</body></html>\n");
    free(v);
    return 0;
}

int report_markdown(const Report *r, const char *title, Buf *b)
{
    size_t n = r->n_models;
    buf_printf(b, "# ");
    md_cell(b, title);
    buf_printf(b, "\n\n%zu rounds, %zu labelled, %zu models.\n\n## Ratings\n\n"
                  "| model | rating | 95%% interval |\n|---|---:|---|\n",
               r->n_rounds, r->n_labelled, n);
    for (size_t m = 0; m < n; m++) {
        const ReportModel *md = &r->models[m];
        buf_puts(b, "| ");
        md_cell(b, md->spec);
        buf_puts(b, " | ");
        num(b, md->rating, "%.0f", "n/a");
        buf_puts(b, " | ");
        num(b, md->rating_lo, "%.0f", "n/a");
        buf_puts(b, " – ");
        num(b, md->rating_hi, "%.0f", "n/a");
        buf_puts(b, " |\n");
    }
    buf_printf(b, "\nBradley-Terry, Elo scale; %d bootstrap resamples, seed %llu.\n\n## Wins, ties and losses\n\n"
                  "| model | wins | ties | losses | both bad | win rate |\n|---|---:|---:|---:|---:|---:|\n",
               r->opt.bootstrap_rounds, (unsigned long long)r->opt.seed);
    for (size_t m = 0; m < n; m++)
        counts_row(b, &md_row, r->models[m].spec, &r->models[m].all);
    for (size_t c = 0; c < r->n_categories; c++) {
        buf_puts(b, "\n### Category: ");
        md_cell(b, r->categories[c]);
        buf_puts(b, "\n\n| model | wins | ties | losses | both bad | win rate |\n|---|---:|---:|---:|---:|---:|\n");
        for (size_t m = 0; m < n; m++)
            counts_row(b, &md_row, r->models[m].spec, &r->models[m].by_category[c]);
    }
    buf_puts(b, "\n## Pairwise win rates (row vs column)\n\n|  |");
    for (size_t j = 0; j < n; j++) {
        buf_puts(b, " ");
        md_cell(b, r->models[j].spec);
        buf_puts(b, " |");
    }
    buf_puts(b, "\n|---|");
    for (size_t j = 0; j < n; j++)
        buf_puts(b, "---:|");
    buf_puts(b, "\n");
    pair_rows(b, r, &md_row);
    buf_puts(b, "\n## Speed and cost\n\n| model | replies | refused | blocked | failed | median TTFT (ms) | "
                "median tokens/s | cost / 1,000 requests |");
    if (r->opt.volume > 0)
        buf_printf(b, " at %.0f requests/month |", r->opt.volume);
    buf_puts(b, "\n|---|---:|---:|---:|---:|---:|---:|---:|");
    if (r->opt.volume > 0)
        buf_puts(b, "---:|");
    buf_puts(b, "\n");
    speed_rows(b, r, &md_row, "%.0f");
    return 0;
}
