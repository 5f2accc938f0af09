/* actions.c — keys and mouse (actions.h).
 * Looks keys up in keymap.c's table, changes App state and calls round.c
 * and overlay.c; draws nothing itself. */
#include "tui/actions.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/conversation.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/clipboard.h"
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
    char msg[700];
    Buf safe = { 0 };
    if (termsafe_append(&safe, buf_str(&r->text), r->text.len) < 0) {
        app_message(a, true, "copy failed: out of memory");
    } else {
        int rc = clipboard_copy(buf_str(&safe), safe.len, msg, sizeof msg);
        if (rc < 0)
            app_message(a, true, "copy of pane %d %s", k + 1, msg);
        else
            app_message(a, strstr(msg, "drops") != NULL, "copied pane %d (%zu bytes) %s", k + 1, safe.len, msg);
    }
    buf_free(&safe);
}

/* ---- questions before losing anything ----------------------------------------------- */

void actions_ask(App *a, AskKind kind, int key, const char *prompt, const char *question)
{
    free(a->ask_prompt);
    a->ask_prompt = prompt ? strdup(prompt) : NULL;
    a->ask = kind;
    a->ask_key = key;
    a->ask_restore_line = true;
    snprintf(a->ask_text, sizeof a->ask_text, "%s", question);
    a->dirty = true;
}

void actions_quit(App *a, int key)
{
    if (round_streaming(a))
        actions_ask(a, ASK_QUIT, key, NULL,
                    "still streaming: quit? (what came is saved)  y / n");
    else
        a->quit = true;
}

static void answer(App *a, bool yes)
{
    AskKind kind = a->ask;
    char *prompt = a->ask_prompt;
    a->ask = ASK_NONE;
    a->ask_prompt = NULL;
    a->dirty = true;
    switch (kind) {
    case ASK_NONE: break;
    case ASK_QUIT:
        if (yes) {
            round_stop(a);
            a->quit = true;
        }
        break;
    case ASK_STOP_ALL:
        if (yes) {
            round_stop(a);
            app_message(a, false, "stopped every stream; the partial replies are saved");
        }
        break;
    case ASK_RERUN:
        if (yes)
            round_rerun(a);
        break;
    case ASK_SEND:
        if (yes && prompt) {
            round_start(a, prompt); /* stops and records the running round first */
        } else if (prompt && a->ask_restore_line) {
            prompt_set_line(prompt);
            app_message(a, false, "the round goes on; your prompt is back on the line");
        }
        break;
    }
    free(prompt);
}

/* While a question waits, keys answer it (resizes still happen). */
static bool ask_key(App *a, int ch)
{
    if (a->ask == ASK_NONE)
        return false;
    if (ch == KEY_RESIZE)
        app_resize(a);
    else if (ch == 'y' || ch == 'Y' || ch == '\r' || ch == '\n' || ch == KEY_ENTER || ch == a->ask_key)
        answer(a, true);
    else if (ch == 'n' || ch == 'N' || ch == 27)
        answer(a, false);
    return true;
}

/* ---- actions ------------------------------------------------------------------------- */

static void focus_to(App *a, int k)
{
    a->focus = k;
    if (a->zoom >= 0 && a->focus >= 0)
        a->zoom = a->focus;
    draw_relayout(a);
}

/* Esc and Ctrl-C. From a focused pane Esc only leaves it; from the prompt,
 * while streaming, both ask before stopping every stream. Else they end a
 * label, or clear the line (Ctrl-C). */
static void cancel(App *a, KeyAction act, int key)
{
    if (act == KEYMAP_CANCEL && a->focus >= 0) {
        a->focus = -1;
    } else if (round_streaming(a)) {
        actions_ask(a, ASK_STOP_ALL, key, NULL,
                    "stop every stream? (what came is saved)  y / n  (s on a pane stops one)");
    } else if (a->label_stage != LABEL_NONE) {
        round_label_finish(a);
    } else if (act == KEYMAP_INTERRUPT) {
        prompt_set_line("");
    }
}

/* s on a focused pane: stops that stream only. */
static void stop_focused(App *a)
{
    Reply *r = round_reply(a, a->focus);
    if (!r || reply_is_final(r)) {
        app_message(a, true, "pane %d is not streaming", a->focus + 1);
        return;
    }
    run_cancel_one(a->run, (size_t)a->order[a->focus]);
    app_message(a, false, "stopped pane %d; the others go on", a->focus + 1);
}

static void rerun(App *a, int key)
{
    if (!a->prompt) {
        app_message(a, true, "nothing to rerun yet");
        return;
    }
    if (round_streaming(a)) {
        actions_ask(a, ASK_RERUN, key, NULL,
                    "still streaming: stop (what came is saved) and rerun?  y / n");
        a->ask_restore_line = false;
        return;
    }
    round_rerun(a);
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

static void do_action(App *a, KeyAction act, int digit, int key)
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
    case KEYMAP_INTERRUPT: cancel(a, act, key); break;
    case KEYMAP_STOP: stop_focused(a); break;
    case KEYMAP_NEW:
        round_new_conversation(a);
        break;
    case KEYMAP_RERUN: rerun(a, key); break;
    case KEYMAP_QUIT: actions_quit(a, key); break;
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
            do_action(a, ch == 27 ? KEYMAP_CANCEL : KEYMAP_INTERRUPT, 0, ch);
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
    /* from the prompt the label keys are typed like any text: a follow-up
     * may start with a digit, "t" or "b"; a line that is just "2", "t" or
     * "b" labels the round when Enter sends it (execute.c) */
    if (!pane_focus && (act == KEYMAP_DIGIT || act == KEYMAP_TIE || act == KEYMAP_BAD))
        act = KEYMAP_NONE;
    if ((act == KEYMAP_TIE || act == KEYMAP_BAD) && !round_label_pending(a)) {
        app_message(a, true, "%s",
                    round_streaming(a) ? "wait for the round to finish (Esc cancels it)" : "no round to label");
        return;
    }
    if (act != KEYMAP_NONE) {
        do_action(a, act, digit, ch);
        return;
    }
    if (pane_focus) {
        if (ch >= KEY_MIN || ch < 32 || ch == 127)
            return; /* an unbound special key on a pane */
        a->focus = -1; /* typing returns to the prompt */
    }
    feed_prompt(a, ch);
}

/* A bracketed paste: every byte up to the end marker is text for the
 * prompt line, CR and CRLF become newlines; nothing is sent until Enter. */
static bool paste_key(App *a, int ch)
{
    if (ch == TERM_KEY_PASTE_BEGIN) {
        a->pasting = true;
        buf_reset(&a->paste);
        return true;
    }
    if (!a->pasting)
        return false;
    if (ch == TERM_KEY_PASTE_END) {
        a->pasting = false;
        Buf t = { 0 };
        for (size_t i = 0; i < a->paste.len; i++) {
            char c = a->paste.data[i];
            if (c == '\r') {
                if (i + 1 < a->paste.len && a->paste.data[i + 1] == '\n')
                    i++;
                c = '\n';
            }
            buf_append(&t, &c, 1);
        }
        overlay_close(a);
        a->focus = -1;
        prompt_insert(buf_str(&t), t.len);
        buf_free(&t);
        buf_reset(&a->paste);
        a->dirty = true;
    } else if (ch >= 0 && ch < 256) {
        char c = (char)ch;
        buf_append(&a->paste, &c, 1);
    } /* a key code inside a paste (a sequence curses recognised) is dropped */
    return true;
}

void actions_key(App *a, int ch)
{
    if (paste_key(a, ch) || ask_key(a, ch))
        return;
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
