/* draw.c — rendering the workbench: panes with their status bars, the
 * separators, the overlays (help, diff), the footer and the prompt. Reads
 * App state and Replies, changes nothing but the panes' copied text. curses
 * compares with what is on screen and sends only the cells that changed. */
#include "tui/draw.h"

#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/clock.h"
#include "core/progress.h"
#include "core/prices.h"
#include "tui/commands.h"
#include "tui/overlay.h"
#include "tui/prompt.h"
#include "tui/round.h"
#include "tui/wrap.h"

static unsigned long style_attr(int style)
{
    return theme_attr((ThemeElement)style);
}

void draw_pane_name(const App *a, int k, char *out, size_t outlen)
{
    if (!a->run) { /* before any round: the models' own names */
        snprintf(out, outlen, "%s", k >= 0 && (size_t)k < a->n_specs ? a->names[k] : "?");
        return;
    }
    if (a->round_blind && a->label.outcome == SESSION_UNLABELLED) {
        snprintf(out, outlen, "Model %c", 'A' + k);
        return;
    }
    snprintf(out, outlen, "%s", k >= 0 && (size_t)k < a->n ? a->round_names[a->order[k]] : "?");
}

void draw_relayout(App *a)
{
    int pw = a->cols > 0 ? a->cols : 1;
    LayoutInput in = { .term_h = a->rows, .term_w = a->cols, .n_panes = (int)app_panes(a), .mode = a->mode,
                       .zoom = a->zoom, .focus = a->focus >= 0 ? a->focus : 0,
                       .prompt_rows = prompt_rows(pw, LAYOUT_MAX_PROMPT_ROWS) };
    layout_compute(&in, &a->layout);
    for (int k = 0; k < a->layout.n_visible; k++) {
        Slot *s = &a->slots[a->layout.visible[k]];
        if (s->pane)
            pane_set_width(s->pane, a->layout.pane[k].w);
    }
    overlay_relayout(a);
    a->full_redraw = true;
}

static void fill(int y, int x, int w, unsigned long attr)
{
    attrset((attr_t)attr);
    move(y, x);
    for (int c = 0; c < w; c++)
        addch(' ');
}

/* Draws a UTF-8 string clipped to w columns at (y, x). */
static void put_clipped(int y, int x, int w, const char *s, unsigned long attr)
{
    char buf[1024];
    statusbar_truncate(s, w, buf, sizeof buf);
    attrset((attr_t)attr);
    /* drawn exactly as measured, in ASCII outside a UTF-8 locale (wrap.h) */
    Buf r = { 0 };
    if (wrap_render(buf, strlen(buf), 0, &r) >= 0 && r.len)
        mvaddnstr(y, x, r.data, (int)r.len);
    buf_free(&r);
}

static const char *state_name(const Reply *r)
{
    switch (r->status) {
    case REPLY_WAITING: return "waiting";
    case REPLY_STREAMING: return "streaming";
    case REPLY_OK: return "done";
    case REPLY_ERROR: return "error";
    case REPLY_CANCELLED: return "cancelled";
    case REPLY_NOT_SENT: return "not sent";
    case REPLY_REFUSED: return "refused";
    case REPLY_BLOCKED: return "blocked";
    }
    return "?";
}

static void draw_status(App *a, int k, LayoutRect r, double now)
{
    const Reply *rep = round_reply(a, k);
    Slot *s = &a->slots[k];
    StatusInfo si = statusbar_info_init();
    char name[300];
    draw_pane_name(a, k, name, sizeof name);
    si.name = name;
    char zoom[32];
    if (a->layout.zoomed && a->layout.n_visible == 1) {
        snprintf(zoom, sizeof zoom, "zoomed %d/%zu", k + 1, a->n);
        si.zoom = zoom;
    }
    bool blind_now = a->round_blind && a->label.outcome == SESSION_UNLABELLED;
    ThemeElement el = a->focus == k ? THEME_STATUS_FOCUS : THEME_STATUS;
    if (rep) {
        si.state = state_name(rep);
        const ReplyMetrics *m = &rep->metrics;
        si.ttft_ms = m->ttft_ms;
        si.ttfa_ms = m->ttfa_ms;
        si.reasoning_tokens = reply_reasoning_tokens(rep);
        si.out_tokens = rep->status == REPLY_WAITING ? -1 : reply_output_tokens(rep);
        /* tokens/s has one definition, the core's (reply.h) */
        si.tps = reply_live_tokens_per_s(rep);
        /* where the view is: only when the reply is longer than the pane */
        int th = r.h - LAYOUT_PANE_HEAD_ROWS;
        size_t lines = s->pane ? pane_line_count(s->pane) : 0;
        if (th > 0 && lines > (size_t)th) {
            size_t top = pane_top(s->pane, th);
            si.view_first = (long)top + 1;
            si.view_last = (long)(top + (size_t)th);
            si.view_lines = (long)lines;
            si.view_scrolled = !pane_following(s->pane);
        }
        si.not_sent = rep->status == REPLY_NOT_SENT;
        if (rep->status == REPLY_STREAMING) {
            si.elapsed_ms = now - m->t_start_ms;
        } else if (reply_is_final(rep)) {
            si.elapsed_ms = m->total_ms;
        } else {
            si.elapsed_ms = now - m->t_start_ms;
        }
        si.cost_usd = m->cost_usd;
        si.cost_estimated = strcmp(m->cost_basis, PRICES_BASIS_ESTIMATED) == 0;
        si.hide_cost = blind_now;
        if (!blind_now && rep->provider && strcmp(rep->provider, "local") == 0) {
            si.local = true;
            /* the run layer fills the GPU picture for local models; before
             * it has, a CUDA backend still means a GPU ("VRAM n/a") */
            si.has_gpu = rep->vram_known ? rep->gpu_present : strcmp(rep->backend, "cuda") == 0;
            if (rep->vram_known && rep->gpu_present) {
                si.vram_used_mib = rep->vram_process_mib >= 0 ? rep->vram_process_mib : rep->vram_used_mib;
                si.vram_total_mib = rep->vram_total_mib;
            }
            si.backend = rep->backend;
            si.spark = s->spark;
            si.n_spark = s->n_spark;
        }
        /* a pane that gave no answer was not judged: no [tie] or [bad] on it */
        if (a->label.outcome != SESSION_UNLABELLED && reply_took_part(rep)) {
            if (a->label.outcome == SESSION_WIN && a->label.winner == (int)s->reply) {
                si.badge = "winner";
                el = THEME_WINNER;
            } else if (a->label.outcome == SESSION_TIE) {
                si.badge = "tie";
            } else if (a->label.outcome == SESSION_BOTH_BAD) {
                si.badge = "bad";
            }
        }
    }
    char line[1024];
    char num[16];
    snprintf(num, sizeof num, "%d", k + 1);
    /* "1" before the status tells which digit labels this pane */
    fill(r.y, r.x, r.w, theme_attr(el));
    put_clipped(r.y, r.x, r.w, num, theme_attr(el));
    statusbar_format(&si, r.w - 1, line, sizeof line);
    put_clipped(r.y, r.x + 1, r.w - 1, line, theme_attr(el));
    /* the metrics row: always TTFT, tokens/s, tokens and cost */
    fill(r.y + 1, r.x, r.w, theme_attr(el));
    statusbar_format_metrics(&si, r.w, line, sizeof line);
    put_clipped(r.y + 1, r.x, r.w, line, theme_attr(el));
}

/* Draws text wrapped in the rectangle's rows (a throwaway pane). */
static void put_wrapped(int y, int x, int h, int w, const char *const *texts, const int *styles, size_t n)
{
    Pane *p = pane_new(w);
    if (!p)
        return;
    for (size_t i = 0; i < n; i++)
        pane_append(p, texts[i], strlen(texts[i]), styles[i]);
    pane_scroll_home(p);
    pane_draw(p, y, x, h, w, style_attr);
    pane_free(p);
}

/* Before any round: each model's pane says whether it can be asked, and
 * what to do when it can not. */
static void draw_preview(App *a, int k, LayoutRect r)
{
    const PreflightResult *c = &a->checks[k];
    ThemeElement el = THEME_STATUS;
    char name[NAMES_MAX], line[1024];
    draw_pane_name(a, k, name, sizeof name);
    StatusInfo si = statusbar_info_init();
    si.name = name;
    si.state = c->usable ? "ready" : "not usable";
    fill(r.y, r.x, r.w, theme_attr(el));
    snprintf(line, sizeof line, "%d", k + 1);
    put_clipped(r.y, r.x, r.w, line, theme_attr(el));
    statusbar_format(&si, r.w - 1, line, sizeof line);
    put_clipped(r.y, r.x + 1, r.w - 1, line, theme_attr(el));
    fill(r.y + 1, r.x, r.w, theme_attr(el));
    put_clipped(r.y + 1, r.x, r.w, c->usable ? " nothing sent yet" : " not usable: nothing will be sent",
                theme_attr(el));
    int th = r.h - LAYOUT_PANE_HEAD_ROWS;
    if (th <= 0)
        return;
    char problem[700], fix[700];
    const char *texts[4];
    int styles[4];
    size_t n = 0;
    if (!c->usable) {
        snprintf(problem, sizeof problem, "not usable: %s\n", c->problem);
        snprintf(fix, sizeof fix, "what to do: %s\n", c->fix);
        texts[n] = problem, styles[n++] = THEME_ERROR;
        texts[n] = fix, styles[n++] = THEME_TEXT;
    } else {
        if (k == 0) {
            texts[n] = "Type a prompt and press Enter; every model answers side by side.\n"
                       "F1 or ? for keys and :commands, :prompts for the library, :q to quit.\n";
            styles[n++] = THEME_DIM;
        }
        if (c->fix[0]) {
            snprintf(fix, sizeof fix, "%s\n", c->fix);
            texts[n] = fix, styles[n++] = THEME_DIM;
        }
    }
    put_wrapped(r.y + LAYOUT_PANE_HEAD_ROWS, r.x, th, r.w, texts, styles, n);
}

static void draw_pane(App *a, int k, LayoutRect r, double now)
{
    if (!a->run) {
        draw_preview(a, k, r);
        return;
    }
    draw_status(a, k, r, now);
    Slot *s = &a->slots[k];
    int th = r.h - LAYOUT_PANE_HEAD_ROWS;
    if (th <= 0 || !s->pane)
        return;
    const Reply *rep = round_reply(a, k);
    size_t len;
    pane_text(s->pane, &len);
    if (len == 0 && rep) {
        for (int row = 0; row < th; row++)
            fill(r.y + LAYOUT_PANE_HEAD_ROWS + row, r.x, r.w, theme_attr(THEME_TEXT));
        char fetch[320]; /* a local model being downloaded or loaded says so */
        progress_line(&rep->progress, now, fetch, sizeof fetch);
        const char *ph = rep->status == REPLY_WAITING && fetch[0] ? fetch
                         : rep->status == REPLY_WAITING ? "waiting for the first token..."
                         : rep->reasoning.len ? "thinking..."
                         : rep->status == REPLY_OK ? "(empty reply)"
                         : rep->status == REPLY_CANCELLED ? "(cancelled before any text)" : "";
        put_clipped(r.y + LAYOUT_PANE_HEAD_ROWS, r.x, r.w, ph, theme_attr(THEME_DIM));
        return;
    }
    pane_draw(s->pane, r.y + LAYOUT_PANE_HEAD_ROWS, r.x, th, r.w, style_attr);
}

static void draw_overlay(App *a, double now)
{
    (void)now;
    int h = a->layout.footer.y;
    if (h <= 1 || !a->overlay_pane)
        return;
    fill(0, 0, a->cols, theme_attr(THEME_STATUS_FOCUS));
    put_clipped(0, 1, a->cols - 1, a->overlay_title, theme_attr(THEME_STATUS_FOCUS));
    for (int row = 1; row < h; row++)
        fill(row, 0, 1, theme_attr(THEME_HELP));
    pane_draw(a->overlay_pane, 1, 1, h - 1, a->cols - 1, style_attr);
}

static void draw_footer(App *a, double now)
{
    LayoutRect f = a->layout.footer;
    if (f.h <= 0)
        return;
    char line[1024];
    if (a->ask != ASK_NONE) { /* a question waits for y/n: nothing hides it */
        fill(f.y, f.x, f.w, theme_attr(THEME_ALERT));
        snprintf(line, sizeof line, " %s", a->ask_text);
        put_clipped(f.y, f.x, f.w, line, theme_attr(THEME_ALERT));
        return;
    }
    if (a->message[0] && now < a->message_until_ms) {
        ThemeElement el = a->message_alert ? THEME_ALERT : THEME_MESSAGE;
        fill(f.y, f.x, f.w, theme_attr(el));
        snprintf(line, sizeof line, " %s", a->message);
        put_clipped(f.y, f.x, f.w, line, theme_attr(el));
        return;
    }
    fill(f.y, f.x, f.w, theme_attr(THEME_FOOTER));
    if (round_label_pending(a) && a->label_stage == LABEL_NONE) {
        snprintf(line, sizeof line, " label turn %d: 1-%zu winner \u00b7 t tie \u00b7 b both bad, then Enter"
                 " \u00b7 or type a follow-up   (F1 help)", a->round_turn, a->n);
        put_clipped(f.y, f.x, f.w, line, theme_attr(THEME_ALERT));
        return;
    }
    FooterEntry e[APP_MAX_TOTALS + 1];
    size_t n = 0;
    for (size_t i = 0; i < a->n_totals; i++)
        e[n++] = (FooterEntry){ a->totals[i].name, a->totals[i].known_usd, a->totals[i].unknown_rounds,
                                a->totals[i].estimated };
    bool streaming = round_streaming(a);
    /* the round in flight is counted when it ends: until then its cost is
     * unknown, never $0 */
    if (streaming)
        e[n++] = (FooterEntry){ "this round", 0, 1, false };
    /* what goes on and the settings the next round is sent with */
    char params[256], settings[512], state[768];
    commands_describe_params(&a->params, params, sizeof params);
    bool any_param = commands_params_set(&a->params);
    statusbar_format_settings(a->sensitivity == SENSITIVITY_PUBLIC ? NULL : sensitivity_name(a->sensitivity),
                              a->system != NULL, any_param ? params : NULL, a->blind, settings, sizeof settings);
    snprintf(state, sizeof state, "%s%s%s", streaming ? "streaming: Esc stops all, s the focused pane" : "",
             streaming && settings[0] ? " \u00b7 " : "", settings);
    statusbar_format_idle(state, e, n, f.w, line, sizeof line);
    put_clipped(f.y, f.x, f.w, line, theme_attr(THEME_FOOTER));
}

void draw_frame(App *a)
{
    double now = clock_now_ms();
    if (a->full_redraw) {
        erase();
        a->full_redraw = false;
    }
    Layout *l = &a->layout;
    if (l->too_small) {
        for (int y = 0; y < l->prompt.y; y++)
            fill(y, 0, a->cols, theme_attr(THEME_TEXT));
        put_clipped(0, 0, a->cols, "terminal too small", theme_attr(THEME_ALERT));
    } else if (a->overlay != OVERLAY_NONE) {
        draw_overlay(a, now);
    } else if (app_panes(a) == 0) {
        for (int y = 0; y < l->footer.y; y++)
            fill(y, 0, a->cols, theme_attr(THEME_TEXT));
        put_clipped(1, 2, a->cols - 2, "Type a prompt and press Enter; every model answers side by side.",
                    theme_attr(THEME_DIM));
        put_clipped(2, 2, a->cols - 2, "F1 or ? for keys and :commands, :prompt NAME for the library, :q to quit.",
                    theme_attr(THEME_DIM));
    } else {
        for (int k = 0; k < l->n_visible; k++) {
            LayoutRect r = l->pane[k];
            draw_pane(a, l->visible[k], r, now);
            if (l->sep_right[k]) {
                attrset((attr_t)theme_attr(THEME_SEPARATOR));
                for (int y = r.y; y < r.y + r.h; y++)
                    mvaddstr(y, r.x + r.w, wrap_utf8() ? "\u2502" : "|");
            }
        }
        /* before a round, auto-zoomed: which model this is (a round's panes
         * say "zoomed k/n" in their status row) */
        if (!a->run && l->auto_zoomed && l->n_visible == 1) {
            char hint[64];
            snprintf(hint, sizeof hint, " [%d/%zu] ", l->visible[0] + 1, app_panes(a));
            int w = (int)strlen(hint);
            if (w < l->pane[0].w)
                put_clipped(l->pane[0].y, l->pane[0].x + l->pane[0].w - w, w, hint,
                            theme_attr(THEME_ALERT));
        }
    }
    draw_footer(a, now);
    LayoutRect p = l->prompt;
    if (p.h > 0) {
        curs_set(a->focus < 0 && a->overlay == OVERLAY_NONE ? 1 : 0);
        prompt_draw(p.y, p.x, p.h, p.w, theme_attr(THEME_PROMPT));
    }
    refresh();
    a->last_draw_ms = now;
}
