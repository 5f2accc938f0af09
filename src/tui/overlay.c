/* overlay.c — the help, word-diff and prompt library overlays (overlay.h). */
#include "tui/overlay.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/diff.h"
#include "tui/draw.h"
#include "tui/keymap.h"
#include "tui/library.h"
#include "tui/prompt.h"
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

/* ---- the prompt library list ---------------------------------------------------- */

static int list_rows(const App *a)
{
    int h = a->layout.footer.y - 1;
    return h > 0 ? h : 1;
}

/* Writes the list into the overlay pane, the selected line highlighted, and
 * scrolls so that it is in view. Lines are cut to the width: one a row. */
static void library_fill(App *a)
{
    int w = a->cols > 2 ? a->cols - 2 : 1;
    if (!fresh_pane(a))
        return;
    size_t name_w = 0, cat_w = 0;
    for (size_t i = 0; i < a->n_lib; i++) {
        size_t nl = strlen(a->lib[i].name), cl = strlen(a->lib[i].category);
        name_w = nl > name_w ? nl : name_w;
        cat_w = cl > cat_w ? cl : cat_w;
    }
    for (size_t i = 0; i < a->n_lib; i++) {
        char line[512], cut[600];
        snprintf(line, sizeof line, "%s %-*s  %-*s  %s", i == a->lib_sel ? ">" : " ", (int)name_w, a->lib[i].name,
                 (int)cat_w, a->lib[i].category, a->lib[i].title);
        statusbar_truncate(line, w, cut, sizeof cut);
        pane_append(a->overlay_pane, cut, strlen(cut), i == a->lib_sel ? THEME_STATUS_FOCUS : THEME_HELP);
        pane_append(a->overlay_pane, "\n", 1, THEME_HELP);
    }
    int h = list_rows(a);
    pane_scroll_home(a->overlay_pane);
    if (a->lib_sel >= (size_t)h)
        pane_scroll(a->overlay_pane, (long)(a->lib_sel - (size_t)h + 1), h);
    a->dirty = true;
}

void overlay_library(App *a)
{
    char **names;
    size_t n = library_list(&names);
    if (n == 0) {
        library_free_names(names, n);
        app_message(a, true, "the prompt library is empty (prompts/CATEGORY/NAME.txt; see the man page)");
        return;
    }
    overlay_close(a);
    a->lib = calloc(n, sizeof *a->lib);
    if (!a->lib) {
        library_free_names(names, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        LibraryEntry *e = &a->lib[a->n_lib];
        LibraryPrompt lp;
        char err[256];
        snprintf(e->name, sizeof e->name, "%s", names[i]);
        if (library_load(names[i], &lp, err, sizeof err) == 0) {
            snprintf(e->category, sizeof e->category, "%s", lp.category);
            snprintf(e->title, sizeof e->title, "%s", lp.title);
            library_prompt_free(&lp);
        } else {
            snprintf(e->title, sizeof e->title, "(unreadable: %s)", err);
        }
        a->n_lib++;
    }
    library_free_names(names, n);
    a->lib_sel = 0;
    snprintf(a->overlay_title, sizeof a->overlay_title,
             "prompt library (%zu) \u2014 Up/Down choose, Enter loads onto the prompt line, Esc closes", a->n_lib);
    library_fill(a);
    a->overlay = OVERLAY_LIBRARY;
    a->full_redraw = true;
}

static void library_load_selected(App *a)
{
    LibraryPrompt lp;
    char err[512];
    const char *name = a->lib[a->lib_sel].name;
    if (library_load(name, &lp, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return;
    }
    prompt_set_line(lp.body);
    app_message(a, false, "%s [%s, %s] loaded: edit it or press Enter", lp.title, lp.category,
                lp.difficulty[0] ? lp.difficulty : "?");
    library_prompt_free(&lp);
    overlay_close(a);
    a->focus = -1;
    draw_relayout(a);
}

static void library_key(App *a, int ch)
{
    size_t n = a->n_lib, page = (size_t)list_rows(a);
    if (ch == KEY_UP || ch == 'k')
        a->lib_sel = a->lib_sel > 0 ? a->lib_sel - 1 : 0;
    else if (ch == KEY_DOWN || ch == 'j')
        a->lib_sel = a->lib_sel + 1 < n ? a->lib_sel + 1 : n - 1;
    else if (ch == KEY_PPAGE)
        a->lib_sel = a->lib_sel > page ? a->lib_sel - page : 0;
    else if (ch == KEY_NPAGE || ch == ' ')
        a->lib_sel = a->lib_sel + page < n ? a->lib_sel + page : n - 1;
    else if (ch == KEY_HOME || ch == 'g')
        a->lib_sel = 0;
    else if (ch == KEY_END || ch == 'G')
        a->lib_sel = n - 1;
    else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
        library_load_selected(a);
        return;
    } else if (ch == 27 || ch == 'q')
        overlay_close(a);
    else
        return;
    if (a->overlay == OVERLAY_LIBRARY)
        library_fill(a);
}

void overlay_close(App *a)
{
    free(a->lib);
    a->lib = NULL;
    a->n_lib = 0;
    a->lib_sel = 0;
    if (a->overlay != OVERLAY_NONE)
        a->full_redraw = true;
    a->overlay = OVERLAY_NONE;
    a->dirty = true;
}

void overlay_relayout(App *a)
{
    if (a->overlay == OVERLAY_LIBRARY)
        library_fill(a);
    else if (a->overlay_pane)
        pane_set_width(a->overlay_pane, a->cols > 2 ? a->cols - 2 : 1);
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
    if (a->overlay == OVERLAY_LIBRARY) {
        library_key(a, ch);
        return;
    }
    if (ch == 27 || ch == 'q' || ch == '?' || ch == KEY_F(1)) {
        overlay_close(a);
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
