/* actions.c — keys and mouse (actions.h).
 * Looks keys up in keymap.c's table, changes App state and calls round.c
 * and overlay.c; draws nothing itself. */
#include "tui/actions.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/osc52.h"
#include "tui/overlay.h"
#include "tui/prompt.h"
#include "tui/round.h"
#include "tui/term.h"
#include "core/termsafe.h"

/* ---- scrolling and copy ---------------------------------------------------------- */

static void scroll_panes(App *a, long lines, bool page)
{
    if (a->overlay != OVERLAY_NONE) {
        overlay_scroll(a, lines, page);
        return;
    }
    for (int k = 0; k < a->layout.n_visible; k++) {
        int idx = a->layout.visible[k];
        if (a->focus >= 0 && idx != a->focus)
            continue;
        int h = a->layout.pane[k].h - LAYOUT_PANE_HEAD_ROWS;
        if (h < 1)
            h = 1;
        long step = page ? lines * (h > 2 ? h - 1 : 1) : lines;
        if (a->slots[idx].pane)
            pane_scroll(a->slots[idx].pane, step, h);
    }
    a->dirty = true;
}

static void scroll_edge(App *a, bool top)
{
    Pane *p = a->focus >= 0 ? a->slots[a->focus].pane : NULL;
    if (!p)
        return;
    if (top)
        pane_scroll_home(p);
    else
        pane_scroll_end(p);
    a->dirty = true;
}

static void copy_focused(App *a)
{
    int k = a->focus >= 0 ? a->focus : 0;
    Reply *r = round_reply(a, k);
    if (!r) {
        app_message(a, true, "nothing to copy");
        return;
    }
    /* the clipboard gets what the pane shows: controls, escape sequences and
     * bidi characters written out, never raw (a pasted ESC[201~ and CR would
     * end a shell's bracketed paste and run a line) */
    char err[256];
    Buf safe = { 0 };
    if (termsafe_append(&safe, buf_str(&r->text), r->text.len) < 0)
        app_message(a, true, "copy failed: out of memory");
    else if (osc52_copy(STDOUT_FILENO, buf_str(&safe), safe.len, err, sizeof err) < 0)
        app_message(a, true, "copy failed: %s", err);
    else
        app_message(a, false, "copied pane %d (%zu bytes) with OSC 52", k + 1, safe.len);
    buf_free(&safe);
}

/* ---- actions ------------------------------------------------------------------------- */

static void focus_to(App *a, int k)
{
    a->focus = k;
    if (a->zoom >= 0 && a->focus >= 0)
        a->zoom = a->focus;
    draw_relayout(a);
}

/* Esc and Ctrl-C: cancel streams, else end a label, else their own thing. */
static void cancel(App *a, KeyAction act)
{
    if (round_streaming(a)) {
        run_cancel(a->run);
        app_message(a, false, "cancelled");
    } else if (a->label_stage != LABEL_NONE) {
        round_label_finish(a);
    } else if (act == KEYMAP_INTERRUPT) {
        prompt_set_line("");
    } else if (a->focus >= 0) {
        a->focus = -1;
    }
}

static void rerun(App *a)
{
    if (!a->prompt) {
        app_message(a, true, "nothing to rerun yet");
        return;
    }
    char *p = strdup(a->prompt);
    if (p) {
        round_start(a, p);
        free(p);
    }
}

static void digit_key(App *a, int digit)
{
    if (round_label_pending(a)) {
        if (digit > (int)a->n)
            app_message(a, true, "there is no pane %d", digit);
        else
            round_label_begin(a, SESSION_WIN, digit - 1);
    } else if (digit <= (int)a->n) {
        focus_to(a, digit - 1);
    }
}

static void do_action(App *a, KeyAction act, int digit)
{
    switch (act) {
    case KEYMAP_NONE: break;
    case KEYMAP_FOCUS_NEXT: focus_to(a, a->focus + 1 >= (int)a->n ? -1 : a->focus + 1); break;
    case KEYMAP_FOCUS_PREV: focus_to(a, a->focus < 0 ? (int)a->n - 1 : a->focus - 1); break;
    case KEYMAP_FOCUS_PROMPT: a->focus = -1; break;
    case KEYMAP_LINE_UP: scroll_panes(a, -1, false); break;
    case KEYMAP_LINE_DOWN: scroll_panes(a, 1, false); break;
    case KEYMAP_PAGE_UP: scroll_panes(a, -1, true); break;
    case KEYMAP_PAGE_DOWN: scroll_panes(a, 1, true); break;
    case KEYMAP_TOP: scroll_edge(a, true); break;
    case KEYMAP_BOTTOM: scroll_edge(a, false); break;
    case KEYMAP_CANCEL:
    case KEYMAP_INTERRUPT: cancel(a, act); break;
    case KEYMAP_RERUN: rerun(a); break;
    case KEYMAP_QUIT: a->quit = true; break;
    case KEYMAP_HELP: overlay_help(a); break;
    case KEYMAP_ZOOM:
        if (a->zoom >= 0)
            a->zoom = -1;
        else if (a->n > 0)
            a->zoom = a->focus >= 0 ? a->focus : 0;
        draw_relayout(a);
        break;
    case KEYMAP_LAYOUT:
        a->mode = a->mode == LAYOUT_AUTO ? LAYOUT_COLUMNS : a->mode == LAYOUT_COLUMNS ? LAYOUT_ROWS : LAYOUT_AUTO;
        app_message(a, false, "layout: %s",
                    a->mode == LAYOUT_AUTO ? "auto" : a->mode == LAYOUT_COLUMNS ? "columns" : "rows");
        draw_relayout(a);
        break;
    case KEYMAP_DIFF: overlay_diff(a); break;
    case KEYMAP_COPY: copy_focused(a); break;
    case KEYMAP_REDRAW:
        clearok(curscr, TRUE);
        a->full_redraw = true;
        break;
    case KEYMAP_SUSPEND:
        term_suspend();
        app_resize(a);
        break;
    case KEYMAP_DIGIT: digit_key(a, digit); break;
    case KEYMAP_TIE: round_label_begin(a, SESSION_TIE, -1); break;
    case KEYMAP_BAD: round_label_begin(a, SESSION_BOTH_BAD, -1); break;
    }
    a->dirty = true;
}

/* ---- keys and mouse ------------------------------------------------------------------ */

static void handle_mouse(App *a)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return;
    long dir = 0;
    if (ev.bstate & BUTTON4_PRESSED)
        dir = -3;
#ifdef BUTTON5_PRESSED
    else if (ev.bstate & BUTTON5_PRESSED)
        dir = 3;
#endif
    if (!dir)
        return;
    if (a->overlay != OVERLAY_NONE) {
        overlay_scroll(a, dir, false);
        return;
    }
    for (int k = 0; k < a->layout.n_visible; k++) {
        LayoutRect r = a->layout.pane[k];
        if (ev.y >= r.y && ev.y < r.y + r.h && ev.x >= r.x && ev.x < r.x + r.w) {
            Pane *p = a->slots[a->layout.visible[k]].pane;
            if (p)
                pane_scroll(p, dir, r.h - LAYOUT_PANE_HEAD_ROWS);
            a->dirty = true;
        }
    }
}

static void feed_prompt(App *a, int ch)
{
    if (ch >= KEY_MIN)
        prompt_feed_key(ch);
    else
        prompt_feed(ch);
    a->dirty = true;
}

static void key(App *a, int ch)
{
    if (ch == KEY_RESIZE) {
        app_resize(a);
        return;
    }
    if (ch == KEY_MOUSE) {
        handle_mouse(a);
        return;
    }
    if (a->overlay != OVERLAY_NONE) {
        overlay_key(a, ch);
        return;
    }
    bool pane_focus = a->focus >= 0;
    bool empty = prompt_line_empty();
    /* while a note or category is typed, only Esc/Ctrl-C/PgUp/PgDn are keys */
    if (a->label_stage != LABEL_NONE) {
        if (ch == 27 || ch == 3)
            do_action(a, ch == 27 ? KEYMAP_CANCEL : KEYMAP_INTERRUPT, 0);
        else if (ch == KEY_PPAGE || ch == KEY_NPAGE)
            scroll_panes(a, ch == KEY_PPAGE ? -1 : 1, true);
        else
            feed_prompt(a, ch);
        return;
    }
    /* Tab completes `:` commands on the prompt */
    if (ch == '\t' && !pane_focus && prompt_line()[0] == ':') {
        feed_prompt(a, ch);
        return;
    }
    /* vi users need Esc in readline when nothing is streaming */
    if (ch == 27 && !pane_focus && !round_streaming(a) && prompt_vi_mode()) {
        feed_prompt(a, ch);
        return;
    }
    int digit = 0;
    KeyAction act = keymap_lookup(ch, pane_focus, empty, &digit);
    /* from the prompt, label keys act only when a round awaits a label, so
     * that prompts may start with a digit, "t" or "b" */
    if (!pane_focus && (act == KEYMAP_DIGIT || act == KEYMAP_TIE || act == KEYMAP_BAD) && !round_label_pending(a))
        act = KEYMAP_NONE;
    if ((act == KEYMAP_TIE || act == KEYMAP_BAD) && !round_label_pending(a)) {
        app_message(a, true, "%s",
                    round_streaming(a) ? "wait for the round to finish (Esc cancels it)" : "no round to label");
        return;
    }
    if (act != KEYMAP_NONE) {
        do_action(a, act, digit);
        return;
    }
    if (pane_focus) {
        if (ch >= KEY_MIN || ch < 32 || ch == 127)
            return; /* an unbound special key on a pane */
        a->focus = -1; /* typing returns to the prompt */
    }
    feed_prompt(a, ch);
}

void actions_key(App *a, int ch)
{
    if (ch == 27) {
        int next = getch();
        if (next != ERR) {
            /* Esc + key: Meta for readline on the prompt; elsewhere (and Esc
             * Esc) it is a lone Esc followed by the key */
            if (next != 27 && next < KEY_MIN && a->focus < 0 && a->overlay == OVERLAY_NONE) {
                prompt_feed(27);
                feed_prompt(a, next);
                return;
            }
            key(a, 27);
            actions_key(a, next);
            return;
        }
    }
    key(a, ch);
}
