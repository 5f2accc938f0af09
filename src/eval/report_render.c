/* report_render.c — the report's blocks (report_doc.h) as a self-contained
 * HTML page or as Markdown (see report.h). The page has no script and no
 * network reference, prints on A4 with the answer on the first page, and
 * never clips a name: table cells wrap, and a chart's labels are wrapped to
 * the drawing's width with a generous estimate of the glyphs' width. */
#include "eval/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/markup.h"
#include "eval/report_doc.h"

/* ---- HTML --------------------------------------------------------------------------- */

#define CHART_W 640.0       /* drawing width (px) */
#define CHART_FONT 12.0     /* label font size (px) */
#define CHART_CHAR_W 9.0    /* an upper estimate of a label character's width at that size */
#define CHART_LINE 15.0     /* label line height */
#define CHART_BAR 12.0      /* bar height */
#define CHART_GAP 8.0       /* space after each bar */

static const char page_css[] =
    "body{font:14px/1.45 'DejaVu Sans',system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em;color:#222}\n"
    "h1{font-size:1.6em}h2{font-size:1.3em;border-bottom:1px solid #999;margin-top:1.6em}h3{font-size:1.1em}\n"
    "table{border-collapse:collapse;margin:.4em 0 1.2em;width:100%}\n"
    "td,th{border:1px solid #bbb;padding:.25em .5em;text-align:left;vertical-align:top;overflow-wrap:break-word}\n"
    "th{background:#eee}\n"
    ".note{color:#555;font-size:12px}.warn{border-left:4px solid #c60;background:#fff4e5;padding:.3em .6em}\n"
    "figure{margin:.6em 0 1.4em}figcaption{font-weight:600;margin-bottom:.3em}\n"
    "svg{width:100%;max-width:640px;height:auto}\n"
    "svg text{font:12px 'DejaVu Sans',system-ui,sans-serif;fill:#222}\n"
    ".bar{fill:#4a7fb5}.ci{stroke:#111;stroke-width:2}.axis{stroke:#888;stroke-width:1}\n"
    "@page{size:A4;margin:14mm}\n"
    "@media print{body{max-width:none;margin:0;padding:0;font-size:11px}h2#detail{break-before:page}"
    "table,figure{break-inside:avoid}}\n";

/* Display width of a UTF-8 string in characters, wide ones counted twice. */
static size_t cols_of(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) == 0x80)
            continue;
        c += b >= 0xE1 && b <= 0xEF && !(b == 0xE2) ? 2 : 1; /* CJK and other wide scripts */
    }
    return c;
}

/* Splits label into lines that fit the drawing; returns the count and
 * fills starts/lens (at most max). */
static size_t wrap_label(const char *s, size_t *starts, size_t *lens, size_t max)
{
    size_t fit = (size_t)((CHART_W - 4) / CHART_CHAR_W), n = 0, len = strlen(s), pos = 0;
    while (pos < len && n < max) {
        size_t end = pos, last_break = 0, cols = 0;
        while (end < len) {
            size_t step = 1;
            while (end + step < len && ((unsigned char)s[end + step] & 0xC0) == 0x80)
                step++;
            size_t w = cols_of(s + end, step);
            if (cols + w > fit)
                break;
            cols += w;
            end += step;
            if (strchr(" /-_:@.,", s[end - 1]))
                last_break = end;
        }
        if (end < len && last_break > pos)
            end = last_break;
        if (end == pos) { /* one character wider than the line: take it anyway */
            end++;
            while (end < len && ((unsigned char)s[end] & 0xC0) == 0x80)
                end++;
        }
        starts[n] = pos;
        lens[n++] = end - pos;
        pos = end;
        while (pos < len && s[pos] == ' ')
            pos++;
    }
    return n;
}

static void escape_n(Buf *b, const char *s, size_t n)
{
    char *tmp = strndup(s, n);
    if (tmp)
        markup_escape(b, tmp);
    free(tmp);
}

static void svg_chart(Buf *b, const DocBlock *blk)
{
    const DocChart *c = &blk->chart;
    double vmin = c->base, vmax = c->base;
    for (size_t i = 0; i < c->n; i++) {
        double x[3] = { c->v[i], c->lo[i], c->hi[i] };
        for (int k = 0; k < 3; k++)
            if (isfinite(x[k])) {
                vmin = fmin(vmin, x[k]);
                vmax = fmax(vmax, x[k]);
            }
    }
    double span = vmax - vmin > 0 ? vmax - vmin : 1;
    size_t starts[64], lens[64], lines_total = 0;
    for (size_t i = 0; i < c->n; i++)
        lines_total += wrap_label(c->label[i], starts, lens, 64);
    double h = 4 + (double)lines_total * CHART_LINE + (double)c->n * (CHART_BAR + CHART_GAP);
    double left = 2, width = CHART_W - 4;
#define XOF(v) (left + ((v) - vmin) / span * width)
    buf_puts(b, "<figure><figcaption>");
    markup_escape(b, blk->text);
    buf_printf(b, "</figcaption>\n<svg role=\"img\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\">\n",
               CHART_W, h, CHART_W, h);
    double y = 2;
    for (size_t i = 0; i < c->n; i++) {
        size_t nl = wrap_label(c->label[i], starts, lens, 64);
        for (size_t l = 0; l < nl; l++) {
            y += CHART_LINE;
            buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\">", left, y - 3);
            escape_n(b, c->label[i] + starts[l], lens[l]);
            buf_puts(b, "</text>\n");
        }
        double x0 = XOF(c->base);
        if (isfinite(c->v[i])) {
            double x1 = XOF(c->v[i]), xa = fmin(x0, x1), w = fabs(x1 - x0);
            buf_printf(b, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", xa, y,
                       w < 1 ? 1 : w, CHART_BAR);
        }
        if (!isnan(c->lo[i]) && !isnan(c->hi[i])) {
            double a = isinf(c->lo[i]) ? left : XOF(c->lo[i]), z = isinf(c->hi[i]) ? left + width : XOF(c->hi[i]);
            buf_printf(b, "<line class=\"ci\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", a,
                       y + CHART_BAR / 2, z, y + CHART_BAR / 2);
        }
        y += CHART_BAR + CHART_GAP;
    }
    buf_printf(b, "<line class=\"axis\" x1=\"%.1f\" y1=\"2\" x2=\"%.1f\" y2=\"%.1f\"/>\n", XOF(c->base), XOF(c->base),
               h - 2);
#undef XOF
    buf_puts(b, "</svg></figure>\n");
}

/* Cell text escaped, with a line-break opportunity (<wbr>) after the
 * characters that separate the parts of a model spec or a path, so a long
 * name wraps at a sensible place instead of widening the page. */
static void cell_text(Buf *b, const char *s)
{
    const char *p = s;
    for (const char *q = s; *q; q++)
        if (q[1] && (strchr(":/@_-", *q) || (*q == '.' && !(q[1] >= '0' && q[1] <= '9')))) {
            escape_n(b, p, (size_t)(q + 1 - p));
            buf_puts(b, "<wbr>");
            p = q + 1;
        }
    markup_escape(b, p);
}

static void html_table(Buf *b, const DocTable *t)
{
    buf_puts(b, "<table>\n");
    for (size_t r = 0; r < t->rows; r++) {
        buf_puts(b, "<tr>");
        for (size_t c = 0; c < t->cols; c++) {
            const char *s = t->cell[r * t->cols + c];
            buf_puts(b, r ? "<td>" : "<th>");
            cell_text(b, s ? s : "");
            buf_puts(b, r ? "</td>" : "</th>");
        }
        buf_puts(b, "</tr>\n");
    }
    buf_puts(b, "</table>\n");
}

int report_html(const Report *r, const char *title, Buf *b)
{
    Doc d;
    if (report_doc_build(r, title, &d) < 0)
        return -1;
    buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                "<meta name=\"viewport\" content=\"width=device-width\"><title>");
    markup_escape(b, title);
    buf_printf(b, "</title>\n<style>\n%s</style></head><body>\n", page_css);
    for (size_t i = 0; i < d.n; i++) {
        const DocBlock *blk = &d.b[i];
        static const char *const tag[] = { [DOC_H1] = "h1", [DOC_H2] = "h2", [DOC_H3] = "h3", [DOC_P] = "p" };
        switch (blk->kind) {
        case DOC_H1: case DOC_H2: case DOC_H3: case DOC_P:
            buf_printf(b, "<%s", tag[blk->kind]);
            if (blk->id)
                buf_printf(b, " id=\"%s\"", blk->id);
            buf_puts(b, ">");
            markup_escape(b, blk->text);
            buf_printf(b, "</%s>\n", tag[blk->kind]);
            break;
        case DOC_NOTE:
        case DOC_WARN:
            buf_printf(b, "<p class=\"%s\">", blk->kind == DOC_NOTE ? "note" : "warn");
            markup_escape(b, blk->text);
            buf_puts(b, "</p>\n");
            break;
        case DOC_TABLE: html_table(b, &blk->table); break;
        case DOC_CHART: svg_chart(b, blk); break;
        }
    }
    buf_puts(b, "</body></html>\n");
    report_doc_free(&d);
    return 0;
}

/* ---- Markdown ------------------------------------------------------------------------- */

/* Markdown text: pipes, angle brackets and newlines would break a table row. */
static void md_text(Buf *b, const char *s)
{
    for (; s && *s; s++) {
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
}

int report_markdown(const Report *r, const char *title, Buf *b)
{
    Doc d;
    if (report_doc_build(r, title, &d) < 0)
        return -1;
    for (size_t i = 0; i < d.n; i++) {
        const DocBlock *blk = &d.b[i];
        switch (blk->kind) {
        case DOC_H1: buf_puts(b, "# "); md_text(b, blk->text); buf_puts(b, "\n\n"); break;
        case DOC_H2: buf_puts(b, "## "); md_text(b, blk->text); buf_puts(b, "\n\n"); break;
        case DOC_H3: buf_puts(b, "### "); md_text(b, blk->text); buf_puts(b, "\n\n"); break;
        case DOC_P: md_text(b, blk->text); buf_puts(b, "\n\n"); break;
        case DOC_NOTE: buf_puts(b, "_"); md_text(b, blk->text); buf_puts(b, "_\n\n"); break;
        case DOC_WARN: buf_puts(b, "> **Warning:** "); md_text(b, blk->text); buf_puts(b, "\n\n"); break;
        case DOC_TABLE: {
            const DocTable *t = &blk->table;
            for (size_t row = 0; row < t->rows; row++) {
                buf_puts(b, "|");
                for (size_t c = 0; c < t->cols; c++) {
                    buf_puts(b, " ");
                    md_text(b, t->cell[row * t->cols + c]);
                    buf_puts(b, " |");
                }
                buf_puts(b, "\n");
                if (row == 0) {
                    buf_puts(b, "|");
                    for (size_t c = 0; c < t->cols; c++)
                        buf_puts(b, "---|");
                    buf_puts(b, "\n");
                }
            }
            buf_puts(b, "\n");
            break;
        }
        case DOC_CHART:
            buf_puts(b, "**");
            md_text(b, blk->text);
            buf_puts(b, "**\n\n");
            for (size_t k = 0; k < blk->chart.n; k++) {
                buf_puts(b, "- ");
                md_text(b, blk->chart.label[k]);
                buf_puts(b, "\n");
            }
            buf_puts(b, "\n");
            break;
        }
    }
    report_doc_free(&d);
    return 0;
}
