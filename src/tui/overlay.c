/* overlay.c — the help and word-diff overlays (overlay.h). */
#include "tui/overlay.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "tui/diff.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/round.h"

static Pane *fresh_pane(App *a)
{
    pane_free(a->overlay_pane);
    a->overlay_pane = pane_new(a->cols > 2 ? a->cols - 2 : 1);
    return a->overlay_pane;
}

static void show(App *a, Overlay which)
{
    pane_scroll_home(a->overlay_pane);
    a->overlay = which;
    a->full_redraw = true;
    a->dirty = true;
}

void overlay_help(App *a)
{
    size_t n;
    const char *const *lines = keymap_help_lines(&n);
    if (!fresh_pane(a))
        return;
    for (size_t i = 0; i < n; i++) {
        pane_append(a->overlay_pane, lines[i], strlen(lines[i]), THEME_HELP);
        pane_append(a->overlay_pane, "\n", 1, THEME_HELP);
    }
    snprintf(a->overlay_title, sizeof a->overlay_title, "help \u2014 Esc or q closes, PgUp/PgDn scroll");
    show(a, OVERLAY_HELP);
}

void overlay_diff(App *a)
{
    if (a->n < 2) {
        app_message(a, true, "a diff needs two panes");
        return;
    }
    int ka = a->focus >= 0 ? a->focus : 0;
    int kb = (ka + 1) % (int)a->n;
    Reply *ra = round_reply(a, ka), *rb = round_reply(a, kb);
    Diff d;
    if (diff_words(buf_str(&ra->text), ra->text.len, buf_str(&rb->text), rb->text.len, &d) < 0) {
        app_message(a, true, "out of memory for the diff");
        return;
    }
    if (!fresh_pane(a)) {
        diff_free(&d);
        return;
    }
    for (size_t i = 0; i < d.n_ops; i++) {
        const DiffOp *op = &d.ops[i];
        const char *src = op->kind == DIFF_ADD ? buf_str(&rb->text) : buf_str(&ra->text);
        int style = op->kind == DIFF_EQUAL ? THEME_TEXT : op->kind == DIFF_DEL ? THEME_DIFF_DEL : THEME_DIFF_ADD;
        pane_append(a->overlay_pane, src + op->start, op->len, style);
    }
    char na[128], nb[128];
    draw_pane_name(a, ka, na, sizeof na);
    draw_pane_name(a, kb, nb, sizeof nb);
    snprintf(a->overlay_title, sizeof a->overlay_title,
             "word diff: [-] %d %s  [+] %d %s \u2014 %zu words only in %d, %zu only in %d%s \u2014 Esc closes", ka + 1,
             na, kb + 1, nb, d.n_del_tokens, ka + 1, d.n_add_tokens, kb + 1,
             d.truncated ? " (too different: middle shown whole)" : "");
    diff_free(&d);
    show(a, OVERLAY_DIFF);
}

void overlay_scroll(App *a, long lines, bool page)
{
    if (!a->overlay_pane)
        return;
    int h = a->layout.footer.y - 1;
    pane_scroll(a->overlay_pane, page ? lines * (h > 2 ? h - 1 : 1) : lines, h);
    a->dirty = true;
}

void overlay_key(App *a, int ch)
{
    if (ch == 27 || ch == 'q' || ch == '?' || ch == KEY_F(1)) {
        a->overlay = OVERLAY_NONE;
        a->full_redraw = true;
        a->dirty = true;
    } else if (ch == KEY_PPAGE || ch == KEY_NPAGE || ch == ' ') {
        overlay_scroll(a, ch == KEY_PPAGE ? -1 : 1, true);
    } else if (ch == KEY_UP || ch == 'k' || ch == KEY_DOWN || ch == 'j') {
        overlay_scroll(a, (ch == KEY_UP || ch == 'k') ? -1 : 1, false);
    } else if (ch == 'g' || ch == KEY_HOME || ch == 'G' || ch == KEY_END) {
        if (a->overlay_pane) {
            if (ch == 'g' || ch == KEY_HOME)
                pane_scroll_home(a->overlay_pane);
            else
                pane_scroll_end(a->overlay_pane);
        }
        a->dirty = true;
    }
}
