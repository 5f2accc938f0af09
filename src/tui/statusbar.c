/* statusbar.c — formatting of the per-pane status line and the footer.
 * Pure string work measured in display columns (wrap.h); see statusbar.h. */
#include "tui/statusbar.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui/wrap.h"

StatusInfo statusbar_info_init(void)
{
    return (StatusInfo){
        .name = "", .state = "", .badge = NULL, .ttft_ms = -1, .ttfa_ms = -1, .reasoning_tokens = -1,
        .out_tokens = -1, .tps = -1, .elapsed_ms = -1, .cost_usd = NAN, .view_lines = -1,
        .vram_used_mib = -1, .vram_total_mib = -1, .backend = "",
    };
}

void statusbar_fmt_duration(double ms, char *out, size_t outlen)
{
    if (!(ms >= 0)) {
        snprintf(out, outlen, "-");
    } else if (ms < 1000) {
        snprintf(out, outlen, "%.0fms", ms);
    } else if (ms < 60000) {
        snprintf(out, outlen, "%.1fs", ms / 1000.0);
    } else {
        long s = (long)(ms / 1000.0);
        snprintf(out, outlen, "%ldm%02lds", s / 60, s % 60);
    }
}

void statusbar_fmt_cost(double usd, char *out, size_t outlen)
{
    if (isnan(usd) || usd < 0)
        snprintf(out, outlen, "$?");
    else if (usd == 0)
        snprintf(out, outlen, "$0.00");
    else if (usd < 0.00005) /* known and not zero: never shown as $0.0000 */
        snprintf(out, outlen, "<$0.0001");
    else if (usd < 0.01)
        snprintf(out, outlen, "$%.4f", usd);
    else if (usd < 1)
        snprintf(out, outlen, "$%.3f", usd);
    else
        snprintf(out, outlen, "$%.2f", usd);
}

void statusbar_fmt_rate(double tps, char *out, size_t outlen)
{
    if (!(tps >= 0))
        snprintf(out, outlen, "-");
    else if (tps < 100)
        snprintf(out, outlen, "%.1f", tps);
    else
        snprintf(out, outlen, "%.0f", tps);
}

void statusbar_fmt_vram(bool has_gpu, double used_mib, double total_mib, char *out, size_t outlen)
{
    if (!has_gpu)
        snprintf(out, outlen, "no GPU");
    else if (!(used_mib >= 0) || !(total_mib > 0))
        snprintf(out, outlen, "VRAM n/a");
    else
        snprintf(out, outlen, "VRAM %.1f/%.1f GiB", used_mib / 1024.0, total_mib / 1024.0);
}

void statusbar_sparkline(const double *v, size_t n, int cols, char *out, size_t outlen)
{
    static const char *const blocks[8] = { "\u2581", "\u2582", "\u2583", "\u2584",
                                           "\u2585", "\u2586", "\u2587", "\u2588" };
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (!v || n == 0 || cols <= 0)
        return;
    size_t from = n > (size_t)cols ? n - (size_t)cols : 0;
    double max = 0;
    for (size_t i = from; i < n; i++)
        if (v[i] > max)
            max = v[i];
    size_t used = 0;
    for (size_t i = from; i < n; i++) {
        int level = 0;
        if (max > 0 && v[i] > 0) {
            level = (int)lround(v[i] / max * 7.0);
            if (level < 0)
                level = 0;
            if (level > 7)
                level = 7;
        }
        size_t bl = strlen(blocks[level]);
        if (used + bl + 1 > outlen)
            break;
        memcpy(out + used, blocks[level], bl);
        used += bl;
        out[used] = '\0';
    }
}

void statusbar_truncate(const char *s, int cols, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    out[0] = '\0';
    if (!s || cols <= 0)
        return;
    size_t len = strlen(s);
    if (wrap_str_cols(s, len) <= cols) {
        snprintf(out, outlen, "%s", s);
        return;
    }
    /* keep characters while they and the ellipsis fit */
    int col = 0;
    size_t i = 0, keep = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = wrap_decode(s, len, i, &cp);
        int w = wrap_cp_width(cp, col);
        if (col + w > cols - 1)
            break;
        col += w;
        i += n;
        keep = i;
    }
    if (keep + 4 > outlen)
        keep = outlen > 4 ? outlen - 4 : 0;
    while (keep > 0 && keep < len && ((unsigned char)s[keep] & 0xC0) == 0x80)
        keep--;
    memcpy(out, s, keep);
    snprintf(out + keep, outlen - keep, "\u2026");
}

enum { F_NAME, F_STATE, F_BADGE, F_ZOOM, F_POS, F_ELAPSED, F_SPARK, F_COUNT };

/* Fields in the order they are given up when space runs out (last first). */
static const int keep_order[F_COUNT] = { F_NAME, F_STATE, F_BADGE, F_ZOOM, F_POS, F_ELAPSED, F_SPARK };

#define FIELD_MAX 192
#define SEP "  "
#define SEP_COLS 2
#define NAME_MIN_COLS 6 /* the name keeps at least this, or a third of the width */

int statusbar_format(const StatusInfo *si, int width, char *out, size_t outlen)
{
    char f[F_COUNT][FIELD_MAX];
    int cols[F_COUNT];
    memset(f, 0, sizeof f);
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;

    snprintf(f[F_NAME], FIELD_MAX, "%s", si->name ? si->name : "");
    snprintf(f[F_STATE], FIELD_MAX, "%s", si->state ? si->state : "");
    if (si->badge && si->badge[0])
        snprintf(f[F_BADGE], FIELD_MAX, "[%s]", si->badge);
    if (si->zoom && si->zoom[0])
        snprintf(f[F_ZOOM], FIELD_MAX, "%s", si->zoom);
    if (si->view_lines > 0)
        snprintf(f[F_POS], FIELD_MAX, "lines %ld-%ld/%ld%s", si->view_first, si->view_last, si->view_lines,
                 si->view_scrolled ? " \u2191" : "");
    if (si->elapsed_ms >= 0 && !si->not_sent)
        statusbar_fmt_duration(si->elapsed_ms, f[F_ELAPSED], FIELD_MAX);
    if (si->local)
        statusbar_sparkline(si->spark, si->n_spark, 12, f[F_SPARK], FIELD_MAX);
    for (int k = 0; k < F_COUNT; k++)
        cols[k] = wrap_str_cols(f[k], strlen(f[k]));

    /* choose fields by importance; the name is counted at its minimum */
    bool on[F_COUNT] = { false };
    int name_want = width / 3 > NAME_MIN_COLS ? width / 3 : NAME_MIN_COLS;
    int name_min = cols[F_NAME] < name_want ? cols[F_NAME] : name_want;
    int used = 1 + name_min; /* leading space */
    on[F_NAME] = true;
    for (int k = 1; k < F_COUNT; k++) {
        int id = keep_order[k];
        if (cols[id] == 0)
            continue;
        if (used + SEP_COLS + cols[id] > width)
            break; /* fields go in order of importance: none jumps the queue */
        on[id] = true;
        used += SEP_COLS + cols[id];
    }
    /* the name takes whatever is left, up to its full length */
    int name_cols = cols[F_NAME];
    if (used - name_min + name_cols > width)
        name_cols = width - (used - name_min);
    if (name_cols < 1)
        name_cols = 1;
    char name[FIELD_MAX];
    statusbar_truncate(f[F_NAME], name_cols, name, sizeof name);

    size_t pos = 0;
    int total = 0;
    pos += (size_t)snprintf(out, outlen, " ");
    total = 1;
    for (int id = 0; id < F_COUNT && pos < outlen; id++) {
        if (!on[id])
            continue;
        const char *s = id == F_NAME ? name : f[id];
        int c = wrap_str_cols(s, strlen(s));
        if (total + (id == F_NAME ? 0 : SEP_COLS) + c > width)
            continue;
        int n = snprintf(out + pos, outlen - pos, "%s%s", id == F_NAME ? "" : SEP, s);
        if (n < 0 || (size_t)n >= outlen - pos) {
            out[pos] = '\0';
            break;
        }
        pos += (size_t)n;
        total += (id == F_NAME ? 0 : SEP_COLS) + c;
    }
    return total;
}

/* The four figures of the metrics row in one of three forms (0 widest). */
static void metrics_line(const StatusInfo *si, int form, char *out, size_t outlen)
{
    char ttft[32], rate[32], cost[48];
    statusbar_fmt_duration(si->ttft_ms, ttft, sizeof ttft);
    statusbar_fmt_rate(si->tps, rate, sizeof rate);
    if (si->hide_cost) {
        snprintf(cost, sizeof cost, form < 3 ? "cost hidden" : "$hidden");
    } else if (isnan(si->cost_usd) || si->cost_usd < 0) {
        snprintf(cost, sizeof cost, "unpriced");
    } else {
        char c[32];
        statusbar_fmt_cost(si->cost_usd, c, sizeof c);
        snprintf(cost, sizeof cost, "%s%s", si->cost_estimated ? "~" : "", c);
    }
    char tok[32];
    if (si->out_tokens >= 0)
        snprintf(tok, sizeof tok, "%ld", si->out_tokens);
    else
        snprintf(tok, sizeof tok, "-");
    if (form == 0)
        snprintf(out, outlen, " TTFT %s  %s tok/s  %s tok  %s", ttft, rate, tok, cost);
    else if (form == 1)
        snprintf(out, outlen, " TTFT %s %s tok/s %s tok %s", ttft, rate, tok, cost);
    else if (form == 2)
        snprintf(out, outlen, "TTFT %s %st/s %st %s", ttft, rate, tok, cost);
    else
        snprintf(out, outlen, "%s %st/s %st %s", ttft, rate, tok, cost);
}

int statusbar_format_metrics(const StatusInfo *si, int width, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;
    char line[256];
    if (si->not_sent) {
        snprintf(line, sizeof line, " not sent");
    } else {
        int form = 0;
        for (; form < 3; form++) {
            metrics_line(si, form, line, sizeof line);
            if (wrap_str_cols(line, strlen(line)) <= width)
                break;
        }
        if (form == 3)
            metrics_line(si, form, line, sizeof line);
        /* then, in order, while they fit: the time to the first answer
         * token (when reasoning came first), reasoning tokens, VRAM, backend */
        char extra[4][64];
        int n_extra = 0;
        if (si->ttfa_ms >= 0 && si->ttft_ms >= 0 && si->ttfa_ms - si->ttft_ms >= 1.0) {
            char d[32];
            statusbar_fmt_duration(si->ttfa_ms, d, sizeof d);
            snprintf(extra[n_extra++], sizeof extra[0], "TTFA %s", d);
        }
        if (si->reasoning_tokens > 0)
            snprintf(extra[n_extra++], sizeof extra[0], "%ld think", si->reasoning_tokens);
        if (si->local) {
            statusbar_fmt_vram(si->has_gpu, si->vram_used_mib, si->vram_total_mib, extra[n_extra++], sizeof extra[0]);
            if (si->backend && si->backend[0])
                snprintf(extra[n_extra++], sizeof extra[0], "%s", si->backend);
        }
        for (int e = 0; e < n_extra; e++) {
            char more[400];
            snprintf(more, sizeof more, "%s  %s", line, extra[e]);
            if (wrap_str_cols(more, strlen(more)) > width)
                break;
            snprintf(line, sizeof line, "%s", more);
        }
    }
    statusbar_truncate(line, width, out, outlen);
    return wrap_str_cols(out, strlen(out));
}

void statusbar_fmt_total(double known_usd, int unknown_rounds, char *out, size_t outlen)
{
    char c[48];
    if (unknown_rounds > 0 && !(known_usd > 0)) {
        snprintf(out, outlen, "$?");
        return;
    }
    statusbar_fmt_cost(known_usd, c, sizeof c);
    snprintf(out, outlen, "%s%s", c, unknown_rounds > 0 ? "+?" : "");
}

int statusbar_format_footer(const FooterEntry *e, size_t n, int width, char *out, size_t outlen)
{
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;
    double total = 0;
    int unknown = 0;
    bool estimated = false;
    for (size_t i = 0; i < n; i++) {
        total += e[i].known_usd;
        unknown += e[i].unknown_rounds;
        estimated |= e[i].estimated && e[i].known_usd > 0;
    }
    char tot[64], totfield[80];
    statusbar_fmt_total(total, unknown, tot, sizeof tot);
    snprintf(totfield, sizeof totfield, "total %s%s", estimated ? "~" : "", tot);
    int tot_cols = wrap_str_cols(totfield, strlen(totfield));
    const char *head = " session: ";
    int head_cols = 10;

    /* try entries at full length, then at shorter name lengths, then fewer entries */
    static const int name_caps[] = { 1000, 24, 14, 8 };
    for (size_t shown = n;; shown--) {
        for (size_t cap_i = 0; cap_i < sizeof name_caps / sizeof name_caps[0]; cap_i++) {
            char line[1024];
            size_t pos = (size_t)snprintf(line, sizeof line, "%s", head);
            int cols = head_cols;
            for (size_t i = 0; i < shown && pos < sizeof line; i++) {
                char nm[128], cost[64], amount[64];
                statusbar_truncate(e[i].name, name_caps[cap_i], nm, sizeof nm);
                statusbar_fmt_total(e[i].known_usd, e[i].unknown_rounds, amount, sizeof amount);
                snprintf(cost, sizeof cost, "%s%s", e[i].estimated && e[i].known_usd > 0 ? "~" : "", amount);
                int k = snprintf(line + pos, sizeof line - pos, "%s %s \u00b7 ", nm, cost);
                if (k < 0 || (size_t)k >= sizeof line - pos)
                    break;
                pos += (size_t)k;
                cols += wrap_str_cols(nm, strlen(nm)) + 1 + (int)strlen(cost) + 3;
            }
            if (shown < n && pos < sizeof line) {
                int k = snprintf(line + pos, sizeof line - pos, "(+%zu) \u00b7 ", n - shown);
                if (k > 0 && (size_t)k < sizeof line - pos) {
                    pos += (size_t)k;
                    cols += wrap_str_cols(line + pos - (size_t)k, (size_t)k);
                }
            }
            if (cols + tot_cols <= width) {
                snprintf(line + pos, sizeof line - pos, "%s", totfield);
                cols += tot_cols;
                if (cols > width) { /* not even the total fits: cut the line */
                    statusbar_truncate(line, width, out, outlen);
                    return wrap_str_cols(out, strlen(out));
                }
                snprintf(out, outlen, "%s", line);
                return cols;
            }
            if (shown == 0)
                break;
        }
        if (shown == 0) {
            statusbar_truncate(totfield, width, out, outlen);
            return wrap_str_cols(out, strlen(out));
        }
    }
}

void statusbar_format_settings(const char *sensitivity, bool system, const char *params, bool blind, char *out,
                               size_t outlen)
{
    const char *part[4];
    size_t n = 0;
    if (sensitivity && sensitivity[0])
        part[n++] = sensitivity;
    if (system)
        part[n++] = "system";
    if (params && params[0])
        part[n++] = params;
    if (blind)
        part[n++] = "blind";
    size_t pos = 0;
    if (outlen)
        out[0] = '\0';
    for (size_t i = 0; i < n && pos < outlen; i++) {
        int k = snprintf(out + pos, outlen - pos, "%s%s", i ? " \u00b7 " : "", part[i]);
        if (k < 0)
            break;
        pos += (size_t)k;
    }
}

int statusbar_format_idle(const char *state, const FooterEntry *e, size_t n, int width, char *out, size_t outlen)
{
    if (!state || !state[0])
        return statusbar_format_footer(e, n, width, out, outlen);
    if (outlen == 0)
        return 0;
    out[0] = '\0';
    if (width <= 0)
        return 0;
    /* the state keeps at most what leaves 30 columns to the totals */
    char st[512];
    int room = width - 30 - 3;
    if (room < 8)
        room = width - 3;
    if (room < 1)
        room = 1;
    statusbar_truncate(state, room, st, sizeof st);
    int st_cols = 1 + wrap_str_cols(st, strlen(st)) + 2; /* " STATE ·" */
    char foot[1024] = "";
    int foot_cols = width > st_cols ? statusbar_format_footer(e, n, width - st_cols, foot, sizeof foot) : 0;
    char line[1600];
    snprintf(line, sizeof line, " %s \u00b7%s", st, foot);
    if (st_cols + foot_cols > width || foot_cols == 0) {
        statusbar_truncate(line, width, out, outlen);
        return wrap_str_cols(out, strlen(out));
    }
    snprintf(out, outlen, "%s", line);
    return st_cols + foot_cols;
}
