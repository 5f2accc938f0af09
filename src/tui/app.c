/* app.c — the workbench's event loop, input handling, rounds, labels and
 * `:` commands (app.h). Rendering lives in draw.c, geometry in layout.c,
 * text in pane.c, the prompt in prompt.c; this file decides what happens. */
#include "tui/app.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/xdg.h"
#include "tui/app_state.h"
#include "tui/commands.h"
#include "tui/diff.h"
#include "tui/keymap.h"
#include "tui/library.h"
#include "tui/osc52.h"
#include "tui/prompt.h"

#define FRAME_MS 33.0      /* at most ~30 redraws a second: smooth for text, and it halves
                              the cost of four panes streaming flat out */
#define SAMPLE_MS 250.0    /* status bars and sparklines refresh 4 times a second */
#define MESSAGE_MS 6000.0
#define CATEGORY_HINT "extraction classification summarisation code reasoning sensitive other"

static volatile sig_atomic_t winch_fd = -1;

static void on_winch(int sig)
{
    (void)sig;
    int saved = errno;
    if (winch_fd >= 0) {
        char c = 1;
        if (write(winch_fd, &c, 1) < 0) { /* a full pipe already says "resize" */
        }
    }
    errno = saved;
}

Reply *app_reply(App *a, int k)
{
    if (!a->run || k < 0 || (size_t)k >= a->n)
        return NULL;
    return run_reply(a->run, (size_t)a->order[k]);
}

void app_message(App *a, bool alert, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    /* messages are one line */
    for (char *p = a->message; *p; p++)
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
    a->message_alert = alert;
    a->message_until_ms = clock_now_ms() + MESSAGE_MS;
    a->dirty = true;
}

static void on_prompt_message(void *user, const char *msg)
{
    app_message(user, false, "%s", msg);
}

bool app_label_pending(const App *a)
{
    return a->run && a->round_done && a->label.outcome == SESSION_UNLABELLED && a->n > 0;
}

static bool streaming(const App *a)
{
    return a->run && !run_done(a->run);
}

/* ---- totals and the session ------------------------------------------------ */

static void add_total(App *a, const char *name, double cost)
{
    Total *t = NULL;
    for (size_t i = 0; i < a->n_totals; i++)
        if (strcmp(a->totals[i].name, name) == 0)
            t = &a->totals[i];
    if (!t) {
        if (a->n_totals >= APP_MAX_TOTALS)
            return;
        t = &a->totals[a->n_totals++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", name);
    }
    if (isnan(cost) || cost < 0)
        t->unknown_rounds++;
    else
        t->known_usd += cost;
}

static bool ensure_session(App *a)
{
    if (a->session)
        return true;
    if (a->session_note[0])
        return false;
    char err[512];
    a->session = session_new(NULL, err, sizeof err);
    if (!a->session) {
        snprintf(a->session_note, sizeof a->session_note, "sessions are not saved: %s", err);
        app_message(a, true, "%s", a->session_note);
        return false;
    }
    return true;
}

static void save_session(App *a, const char *what)
{
    if (!a->session)
        return;
    char err[512];
    if (session_save(a->session, err, sizeof err) < 0)
        app_message(a, true, "saving the session failed: %s", err);
    else if (what)
        app_message(a, false, "%s \u00b7 saved %s", what, a->session->path);
}

/* Called once when every reply of the round is final. */
static void round_finished(App *a)
{
    a->round_done = true;
    Reply *replies[LAYOUT_MAX_PANES];
    for (size_t i = 0; i < a->n; i++) {
        replies[i] = run_reply(a->run, i);
        add_total(a, replies[i]->spec, replies[i]->metrics.cost_usd);
    }
    if (ensure_session(a)) {
        Request rq = { .system = a->system, .prompt = a->prompt, .params = a->params,
                       .sensitivity = a->sensitivity };
        char err[512];
        a->session_round = session_add_round(a->session, &rq, replies, a->n, NULL, err, sizeof err);
        if (a->session_round < 0)
            app_message(a, true, "the round was not recorded: %s", err);
        else
            save_session(a, NULL);
    }
    a->dirty = true;
}

/* ---- rounds ---------------------------------------------------------------------- */

static void observer(void *user, size_t i, const Reply *reply, const StreamEvent *ev)
{
    (void)i;
    (void)reply;
    (void)ev;
    App *a = user;
    a->dirty = true;
}

static void free_round(App *a)
{
    if (a->run) {
        run_cancel(a->run);
        run_free(a->run);
        a->run = NULL;
    }
    for (size_t k = 0; k < LAYOUT_MAX_PANES; k++) {
        pane_free(a->slots[k].pane);
        memset(&a->slots[k], 0, sizeof a->slots[k]);
    }
    a->n = 0;
}

static void shuffle(int *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(random() % (long)i);
        int t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

static void start_round(App *a, const char *prompt)
{
    if (a->n_specs == 0) {
        app_message(a, true, "no models: use :models SPEC... (e.g. :models openai:gpt-4o-mini local:)");
        return;
    }
    if (streaming(a))
        run_cancel(a->run);
    free_round(a);
    char *p = strdup(prompt);
    if (!p)
        return;
    free(a->prompt);
    a->prompt = p;
    Request rq = { .system = a->system, .prompt = a->prompt, .params = a->params,
                   .sensitivity = a->sensitivity };
    RunOptions opt = run_options_default();
    /* Batch network work every few ms instead of waking for each token:
     * four fast streams otherwise cost a core in poll() alone. */
    opt.min_poll_gap_ms = 8.0;
    char err[512];
    a->run = run_new(a->cfg, &rq, (const char *const *)a->specs, a->n_specs, &opt, err, sizeof err);
    if (!a->run) {
        app_message(a, true, "%s", err);
        return;
    }
    run_set_observer(a->run, observer, a);
    a->n = run_count(a->run);
    if (a->n > LAYOUT_MAX_PANES)
        a->n = LAYOUT_MAX_PANES;
    for (size_t k = 0; k < a->n; k++)
        a->order[k] = (int)k;
    a->round_blind = a->blind;
    if (a->round_blind)
        shuffle(a->order, a->n);
    a->round_done = false;
    a->session_round = -1;
    a->label = (RoundLabel){ .outcome = SESSION_UNLABELLED, .winner = -1 };
    a->label_stage = LABEL_NONE;
    double now = clock_now_ms();
    for (size_t k = 0; k < a->n; k++) {
        a->slots[k].pane = pane_new(10);
        a->slots[k].reply = (size_t)a->order[k];
        a->slots[k].tps_now = -1;
        a->slots[k].sample_ms = now;
    }
    if (a->focus >= (int)a->n)
        a->focus = -1;
    if (a->zoom >= (int)a->n)
        a->zoom = -1;
    a->overlay = OVERLAY_NONE;
    draw_relayout(a);
    if (run_start(a->run) < 0)
        app_message(a, true, "the HTTP layer could not start");
    a->dirty = true;
}

/* Copies what arrived since the last frame into the panes. */
static void sync_panes(App *a)
{
    for (size_t k = 0; k < a->n; k++) {
        Slot *s = &a->slots[k];
        Reply *r = app_reply(a, (int)k);
        if (!r || !s->pane)
            continue;
        if (r->text.len > s->copied) {
            pane_append(s->pane, r->text.data + s->copied, r->text.len - s->copied, THEME_TEXT);
            s->copied = r->text.len;
        }
        if ((r->status == REPLY_ERROR || r->status == REPLY_NOT_SENT) && !s->error_shown) {
            char line[1024];
            if (r->http_status) {
                snprintf(line, sizeof line, "%s[error: HTTP %d %s] %s", r->text.len ? "\n\n" : "", r->http_status,
                         r->error_type ? r->error_type : "", r->error_message ? r->error_message : "failed");
            } else {
                snprintf(line, sizeof line, "%s[error: %s] %s", r->text.len ? "\n\n" : "",
                         r->error_type ? r->error_type : "failed", r->error_message ? r->error_message : "");
            }
            pane_append(s->pane, line, strlen(line), THEME_ERROR);
            s->error_shown = true;
        }
    }
}

static void sample_rates(App *a, double now)
{
    for (size_t k = 0; k < a->n; k++) {
        Slot *s = &a->slots[k];
        Reply *r = app_reply(a, (int)k);
        if (!r)
            continue;
        long tok = reply_output_tokens(r);
        double dt = now - s->sample_ms;
        if (r->status == REPLY_STREAMING && dt > 0) {
            s->tps_now = (double)(tok - s->sample_tokens) * 1000.0 / dt;
            if (s->n_spark == STATUSBAR_SPARK_MAX) {
                memmove(s->spark, s->spark + 1, (STATUSBAR_SPARK_MAX - 1) * sizeof s->spark[0]);
                s->n_spark--;
            }
            s->spark[s->n_spark++] = s->tps_now;
        } else if (reply_is_final(r)) {
            s->tps_now = -1;
        }
        s->sample_tokens = tok;
        s->sample_ms = now;
    }
}

/* ---- labels ------------------------------------------------------------------------ */

static void begin_label(App *a, SessionOutcome outcome, int winner_pos)
{
    a->label.outcome = outcome;
    a->label.winner = winner_pos >= 0 ? a->order[winner_pos] : -1;
    a->label.note[0] = '\0';
    a->label.category[0] = '\0';
    a->label_stage = LABEL_NOTE;
    a->focus = -1;
    prompt_set_line("");
    prompt_set_label("note (Enter to skip)> ");
    if (outcome == SESSION_WIN) {
        Reply *r = run_reply(a->run, (size_t)a->label.winner);
        app_message(a, false, "winner: pane %d = %s%s", winner_pos + 1, r->spec,
                    a->round_blind ? " (names revealed)" : "");
    } else {
        app_message(a, false, "%s%s", outcome == SESSION_TIE ? "tie" : "both bad",
                    a->round_blind ? " (names revealed)" : "");
    }
    a->dirty = true;
}

static void finish_label(App *a)
{
    a->label_stage = LABEL_NONE;
    prompt_set_label("> ");
    prompt_set_line("");
    const char *what = a->label.outcome == SESSION_WIN ? "winner" : a->label.outcome == SESSION_TIE ? "tie" : "both bad";
    if (a->session && a->session_round >= 0) {
        SessionLabel l = { .outcome = a->label.outcome, .winner = a->label.winner,
                           .note = a->label.note[0] ? a->label.note : NULL,
                           .category = a->label.category[0] ? a->label.category : NULL };
        char err[512];
        if (session_label_round(a->session, (size_t)a->session_round, &l, err, sizeof err) < 0) {
            app_message(a, true, "label not stored: %s", err);
            return;
        }
        char m[128];
        snprintf(m, sizeof m, "labelled %s", what);
        save_session(a, m);
    } else {
        app_message(a, true, "labelled %s (kept in memory only: %s)", what,
                    a->session_note[0] ? a->session_note : "the round was not recorded");
    }
}

/* ---- commands ------------------------------------------------------------------------ */

static void open_help(App *a)
{
    size_t n;
    const char *const *lines = keymap_help_lines(&n);
    pane_free(a->overlay_pane);
    a->overlay_pane = pane_new(a->cols > 2 ? a->cols - 2 : 1);
    if (!a->overlay_pane)
        return;
    for (size_t i = 0; i < n; i++) {
        pane_append(a->overlay_pane, lines[i], strlen(lines[i]), THEME_HELP);
        pane_append(a->overlay_pane, "\n", 1, THEME_HELP);
    }
    pane_scroll_home(a->overlay_pane);
    snprintf(a->overlay_title, sizeof a->overlay_title, "help \u2014 Esc or q closes, PgUp/PgDn scroll");
    a->overlay = OVERLAY_HELP;
    a->full_redraw = true;
    a->dirty = true;
}

static void open_diff(App *a)
{
    if (a->n < 2) {
        app_message(a, true, "a diff needs two panes");
        return;
    }
    int ka = a->focus >= 0 ? a->focus : 0;
    int kb = (ka + 1) % (int)a->n;
    Reply *ra = app_reply(a, ka), *rb = app_reply(a, kb);
    Diff d;
    if (diff_words(buf_str(&ra->text), ra->text.len, buf_str(&rb->text), rb->text.len, &d) < 0) {
        app_message(a, true, "out of memory for the diff");
        return;
    }
    pane_free(a->overlay_pane);
    a->overlay_pane = pane_new(a->cols > 2 ? a->cols - 2 : 1);
    if (!a->overlay_pane) {
        diff_free(&d);
        return;
    }
    for (size_t i = 0; i < d.n_ops; i++) {
        const DiffOp *op = &d.ops[i];
        const char *src = op->kind == DIFF_ADD ? buf_str(&rb->text) : buf_str(&ra->text);
        int style = op->kind == DIFF_EQUAL ? THEME_TEXT : op->kind == DIFF_DEL ? THEME_DIFF_DEL : THEME_DIFF_ADD;
        pane_append(a->overlay_pane, src + op->start, op->len, style);
    }
    pane_scroll_home(a->overlay_pane);
    char na[128], nb[128];
    draw_pane_name(a, ka, na, sizeof na);
    draw_pane_name(a, kb, nb, sizeof nb);
    snprintf(a->overlay_title, sizeof a->overlay_title,
             "word diff: [-] %d %s  [+] %d %s \u2014 %zu words only in %d, %zu only in %d%s \u2014 Esc closes", ka + 1,
             na, kb + 1, nb, d.n_del_tokens, ka + 1, d.n_add_tokens, kb + 1,
             d.truncated ? " (too different: middle shown whole)" : "");
    diff_free(&d);
    a->overlay = OVERLAY_DIFF;
    a->full_redraw = true;
    a->dirty = true;
}

static void copy_focused(App *a)
{
    int k = a->focus >= 0 ? a->focus : 0;
    Reply *r = app_reply(a, k);
    if (!r) {
        app_message(a, true, "nothing to copy");
        return;
    }
    char err[256];
    if (osc52_copy(STDOUT_FILENO, buf_str(&r->text), r->text.len, err, sizeof err) < 0)
        app_message(a, true, "copy failed: %s", err);
    else
        app_message(a, false, "copied pane %d (%zu bytes) with OSC 52", k + 1, r->text.len);
}

static int export_round(App *a, const char *path_arg, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (!a->run) {
        snprintf(err, errlen, "no round to export yet");
        return -1;
    }
    if (path_arg) {
        snprintf(path, pathlen, "%s", path_arg);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(path, pathlen, "versus-round-%s.md", stamp);
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char params[256];
    commands_describe_params(&a->params, params, sizeof params);
    fprintf(f, "# versus round\n\n");
    if (a->system)
        fprintf(f, "**System:**\n\n%s\n\n", a->system);
    fprintf(f, "**Prompt:**\n\n%s\n\n**Parameters:** %s\n\n", a->prompt ? a->prompt : "", params);
    for (size_t i = 0; i < a->n; i++) {
        Reply *r = run_reply(a->run, i);
        char cost[32], ttft[32], total[32];
        statusbar_fmt_cost(r->metrics.cost_usd, cost, sizeof cost);
        statusbar_fmt_duration(r->metrics.ttft_ms, ttft, sizeof ttft);
        statusbar_fmt_duration(r->metrics.total_ms, total, sizeof total);
        bool won = a->label.outcome == SESSION_WIN && a->label.winner == (int)i;
        fprintf(f, "## %s%s\n\n", r->spec, won ? " (winner)" : "");
        fprintf(f, "%s \u00b7 TTFT %s \u00b7 %ld tokens \u00b7 %s \u00b7 %s\n\n", reply_status_name(r->status), ttft,
                reply_output_tokens(r), total, cost);
        fprintf(f, "%s\n\n", buf_str(&r->text));
        if (r->status == REPLY_ERROR)
            fprintf(f, "> error: %s\n\n", r->error_message ? r->error_message : "");
    }
    if (a->label.outcome != SESSION_UNLABELLED)
        fprintf(f, "**Label:** %s%s%s%s%s\n", session_outcome_name(a->label.outcome),
                a->label.note[0] ? " \u2014 " : "", a->label.note, a->label.category[0] ? " \u2014 category " : "",
                a->label.category);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void set_models(App *a, const Command *c)
{
    char **specs = calloc((size_t)c->argc, sizeof *specs);
    if (!specs)
        return;
    for (int i = 0; i < c->argc; i++) {
        ModelTarget t;
        char err[512];
        if (target_resolve(a->cfg, c->argv[i], &t, err, sizeof err) < 0) {
            app_message(a, true, "%s: %s", c->argv[i], err);
            for (int k = 0; k < i; k++)
                free(specs[k]);
            free(specs);
            return;
        }
        specs[i] = strdup(c->argv[i]);
    }
    for (size_t i = 0; i < a->n_specs; i++)
        free(a->specs[i]);
    free(a->specs);
    a->specs = specs;
    a->n_specs = (size_t)c->argc;
    app_message(a, false, "models for the next round: %s", c->rest);
}

static void run_command(App *a, const char *line)
{
    Command c;
    char err[512];
    if (commands_parse(line, &c, err, sizeof err) < 0) {
        app_message(a, true, "%s", err);
        return;
    }
    switch (c.kind) {
    case CMD_MODELS:
        set_models(a, &c);
        break;
    case CMD_SYSTEM:
        free(a->system);
        a->system = c.rest[0] ? strdup(c.rest) : NULL;
        app_message(a, false, a->system ? "system prompt set" : "system prompt cleared");
        break;
    case CMD_SET:
        if (commands_set_param(&a->params, c.argv[0], c.argv[1], err, sizeof err) < 0) {
            app_message(a, true, "%s", err);
        } else {
            char d[256];
            commands_describe_params(&a->params, d, sizeof d);
            app_message(a, false, "parameters: %s", d);
        }
        break;
    case CMD_SENSITIVITY:
        if (sensitivity_parse(c.argv[0], &a->sensitivity) < 0)
            app_message(a, true, "sensitivity is public, internal or restricted");
        else
            app_message(a, false, "sensitivity: %s", sensitivity_name(a->sensitivity));
        break;
    case CMD_PROMPT: {
        LibraryPrompt lp;
        if (library_load(c.argv[0], &lp, err, sizeof err) < 0) {
            app_message(a, true, "%s", err);
            break;
        }
        prompt_set_line(lp.body);
        app_message(a, false, "%s [%s, %s] loaded: edit it or press Enter", lp.title, lp.category,
                    lp.difficulty[0] ? lp.difficulty : "?");
        library_prompt_free(&lp);
        draw_relayout(a);
        return; /* the loaded text stays on the line */
    }
    case CMD_PROMPTS: {
        char **names;
        size_t n = library_list(&names);
        Buf b = { 0 };
        for (size_t i = 0; i < n; i++)
            buf_printf(&b, "%s%s", i ? " " : "", names[i]);
        app_message(a, false, "%zu prompts: %s", n, n ? buf_str(&b) : "(none found)");
        buf_free(&b);
        library_free_names(names, n);
        break;
    }
    case CMD_THEME: {
        Theme t;
        if (theme_load(c.argv[0], &t, err, sizeof err) < 0) {
            app_message(a, true, "%s", err);
            break;
        }
        a->theme = t;
        theme_apply(&a->theme, a->use_color);
        a->full_redraw = true;
        app_message(a, false, "theme %s", t.name);
        break;
    }
    case CMD_LAYOUT:
        if (strcmp(c.argv[0], "auto") == 0)
            a->mode = LAYOUT_AUTO;
        else if (strcmp(c.argv[0], "columns") == 0)
            a->mode = LAYOUT_COLUMNS;
        else if (strcmp(c.argv[0], "rows") == 0)
            a->mode = LAYOUT_ROWS;
        else {
            app_message(a, true, "layout is auto, columns or rows");
            break;
        }
        draw_relayout(a);
        break;
    case CMD_BLIND:
        a->blind = !a->blind;
        app_message(a, false, "blind mode %s (from the next round)", a->blind ? "on" : "off");
        break;
    case CMD_SAVE:
        if (!a->session)
            app_message(a, true, "%s", a->session_note[0] ? a->session_note : "nothing to save yet");
        else
            save_session(a, "session");
        break;
    case CMD_EXPORT: {
        char path[1024];
        if (export_round(a, c.argc ? c.argv[0] : NULL, path, sizeof path, err, sizeof err) < 0)
            app_message(a, true, "export failed: %s", err);
        else
            app_message(a, false, "exported the round to %s", path);
        break;
    }
    case CMD_HELP:
        open_help(a);
        break;
    case CMD_QUIT:
        a->quit = true;
        break;
    }
    prompt_set_line("");
}

/* ---- input --------------------------------------------------------------------------- */

static void on_line(void *user, char *line)
{
    App *a = user;
    if (!line) { /* Ctrl-D on an empty line */
        if (a->label_stage != LABEL_NONE)
            finish_label(a);
        else
            a->quit = true;
        return;
    }
    if (a->label_stage == LABEL_NOTE) {
        snprintf(a->label.note, sizeof a->label.note, "%s", line);
        a->label_stage = LABEL_CATEGORY;
        prompt_set_label("category [" CATEGORY_HINT "] (Enter to skip)> ");
        free(line);
        return;
    }
    if (a->label_stage == LABEL_CATEGORY) {
        snprintf(a->label.category, sizeof a->label.category, "%s", line);
        free(line);
        finish_label(a);
        return;
    }
    const char *p = line;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    if (*p) {
        prompt_add_history(line);
        if (*p == ':')
            run_command(a, p);
        else
            start_round(a, line);
    }
    free(line);
    a->dirty = true;
}

static void scroll_panes(App *a, long lines, int page)
{
    if (a->overlay != OVERLAY_NONE && a->overlay_pane) {
        int h = a->layout.footer.y - 1;
        pane_scroll(a->overlay_pane, page ? lines * (h > 2 ? h - 1 : 1) : lines, h);
        a->dirty = true;
        return;
    }
    for (int k = 0; k < a->layout.n_visible; k++) {
        int idx = a->layout.visible[k];
        if (a->focus >= 0 && idx != a->focus)
            continue;
        int h = a->layout.pane[k].h - 1;
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
    Pane *p = a->overlay != OVERLAY_NONE ? a->overlay_pane : (a->focus >= 0 ? a->slots[a->focus].pane : NULL);
    if (!p)
        return;
    if (top)
        pane_scroll_home(p);
    else
        pane_scroll_end(p);
    a->dirty = true;
}

static void handle_resize(App *a)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        if (ws.ws_row != a->rows || ws.ws_col != a->cols)
            resizeterm(ws.ws_row, ws.ws_col);
    }
    getmaxyx(stdscr, a->rows, a->cols);
    draw_relayout(a);
    a->dirty = true;
}

static void do_action(App *a, KeyAction act, int digit)
{
    switch (act) {
    case KEYMAP_NONE: break;
    case KEYMAP_FOCUS_NEXT:
        a->focus = a->focus + 1 >= (int)a->n ? -1 : a->focus + 1;
        if (a->zoom >= 0 && a->focus >= 0)
            a->zoom = a->focus;
        draw_relayout(a);
        break;
    case KEYMAP_FOCUS_PREV:
        a->focus = a->focus < 0 ? (int)a->n - 1 : a->focus - 1;
        if (a->zoom >= 0 && a->focus >= 0)
            a->zoom = a->focus;
        draw_relayout(a);
        break;
    case KEYMAP_FOCUS_PROMPT: a->focus = -1; break;
    case KEYMAP_LINE_UP: scroll_panes(a, -1, 0); break;
    case KEYMAP_LINE_DOWN: scroll_panes(a, 1, 0); break;
    case KEYMAP_PAGE_UP: scroll_panes(a, -1, 1); break;
    case KEYMAP_PAGE_DOWN: scroll_panes(a, 1, 1); break;
    case KEYMAP_TOP: scroll_edge(a, true); break;
    case KEYMAP_BOTTOM: scroll_edge(a, false); break;
    case KEYMAP_CANCEL:
        if (streaming(a)) {
            run_cancel(a->run);
            app_message(a, false, "cancelled");
        } else if (a->label_stage != LABEL_NONE) {
            finish_label(a);
        } else if (a->focus >= 0) {
            a->focus = -1;
        }
        break;
    case KEYMAP_INTERRUPT:
        if (streaming(a)) {
            run_cancel(a->run);
            app_message(a, false, "cancelled");
        } else if (a->label_stage != LABEL_NONE) {
            finish_label(a);
        } else {
            prompt_set_line("");
        }
        break;
    case KEYMAP_RERUN:
        if (!a->prompt) {
            app_message(a, true, "nothing to rerun yet");
        } else {
            char *p = strdup(a->prompt);
            if (p) {
                start_round(a, p);
                free(p);
            }
        }
        break;
    case KEYMAP_QUIT: a->quit = true; break;
    case KEYMAP_HELP: open_help(a); break;
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
    case KEYMAP_DIFF: open_diff(a); break;
    case KEYMAP_COPY: copy_focused(a); break;
    case KEYMAP_REDRAW:
        clearok(curscr, TRUE);
        a->full_redraw = true;
        break;
    case KEYMAP_DIGIT:
        if (app_label_pending(a)) {
            if (digit > (int)a->n)
                app_message(a, true, "there is no pane %d", digit);
            else
                begin_label(a, SESSION_WIN, digit - 1);
        } else if (digit <= (int)a->n) {
            a->focus = digit - 1;
            if (a->zoom >= 0)
                a->zoom = a->focus;
            draw_relayout(a);
        }
        break;
    case KEYMAP_TIE: begin_label(a, SESSION_TIE, -1); break;
    case KEYMAP_BAD: begin_label(a, SESSION_BOTH_BAD, -1); break;
    }
    a->dirty = true;
}

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
        scroll_panes(a, dir, 0);
        return;
    }
    for (int k = 0; k < a->layout.n_visible; k++) {
        LayoutRect r = a->layout.pane[k];
        if (ev.y >= r.y && ev.y < r.y + r.h && ev.x >= r.x && ev.x < r.x + r.w) {
            Pane *p = a->slots[a->layout.visible[k]].pane;
            if (p)
                pane_scroll(p, dir, r.h - 1);
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

static void handle_key_inner(App *a, int ch);

static void handle_key(App *a, int ch)
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
            handle_key_inner(a, 27);
            handle_key(a, next);
            return;
        }
    }
    handle_key_inner(a, ch);
}

static void handle_key_inner(App *a, int ch)
{
    if (ch == KEY_RESIZE) {
        handle_resize(a);
        return;
    }
    if (ch == KEY_MOUSE) {
        handle_mouse(a);
        return;
    }
    /* overlays take their own few keys */
    if (a->overlay != OVERLAY_NONE) {
        if (ch == 27 || ch == 'q' || ch == '?' || ch == KEY_F(1)) {
            a->overlay = OVERLAY_NONE;
            a->full_redraw = true;
            a->dirty = true;
        } else if (ch == KEY_PPAGE || ch == KEY_NPAGE || ch == ' ') {
            scroll_panes(a, ch == KEY_PPAGE ? -1 : 1, 1);
        } else if (ch == KEY_UP || ch == 'k' || ch == KEY_DOWN || ch == 'j') {
            scroll_panes(a, (ch == KEY_UP || ch == 'k') ? -1 : 1, 0);
        } else if (ch == 'g' || ch == KEY_HOME || ch == 'G' || ch == KEY_END) {
            scroll_edge(a, ch == 'g' || ch == KEY_HOME);
        }
        return;
    }
    bool pane_focus = a->focus >= 0;
    bool empty = prompt_line_empty();
    /* while a note or category is typed, only Esc/Ctrl-C/PgUp/PgDn are keys */
    if (a->label_stage != LABEL_NONE) {
        if (ch == 27 || ch == 3)
            do_action(a, ch == 27 ? KEYMAP_CANCEL : KEYMAP_INTERRUPT, 0);
        else if (ch == KEY_PPAGE || ch == KEY_NPAGE)
            scroll_panes(a, ch == KEY_PPAGE ? -1 : 1, 1);
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
    if (ch == 27 && !pane_focus && !streaming(a) && prompt_vi_mode()) {
        feed_prompt(a, ch);
        return;
    }
    int digit = 0;
    KeyAction act = keymap_lookup(ch, pane_focus, empty, &digit);
    /* from the prompt, label keys act only when a round awaits a label, so
     * that prompts may start with a digit, "t" or "b" */
    if (!pane_focus && (act == KEYMAP_DIGIT || act == KEYMAP_TIE || act == KEYMAP_BAD) && !app_label_pending(a))
        act = KEYMAP_NONE;
    if ((act == KEYMAP_TIE || act == KEYMAP_BAD) && !app_label_pending(a)) {
        app_message(a, true, "%s", streaming(a) ? "wait for the round to finish (Esc cancels it)" : "no round to label");
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

/* ---- setup and the loop --------------------------------------------------------- */

static int setup(App *a, const AppOptions *opt, char *err, size_t errlen)
{
    a->cfg = config_load(opt->config_path, err, errlen);
    if (!a->cfg)
        return -1;
    a->params = config_default_params(a->cfg);
    a->sensitivity = config_default_sensitivity(a->cfg);
    if (opt->n_specs > 0) {
        a->specs = calloc(opt->n_specs, sizeof *a->specs);
        if (!a->specs) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < opt->n_specs && i < LAYOUT_MAX_PANES; i++) {
            ModelTarget t;
            if (target_resolve(a->cfg, opt->specs[i], &t, err, errlen) < 0) {
                char e2[512];
                snprintf(e2, sizeof e2, "%s", err);
                snprintf(err, errlen, "%s: %s", opt->specs[i], e2);
                return -1;
            }
            a->specs[a->n_specs++] = strdup(opt->specs[i]);
        }
        if (opt->n_specs > LAYOUT_MAX_PANES) {
            snprintf(err, errlen, "at most %d models side by side (got %zu)", LAYOUT_MAX_PANES, opt->n_specs);
            return -1;
        }
    }
    if (opt->system && opt->system[0])
        a->system = strdup(opt->system);
    a->blind = opt->blind;
    if (theme_load(opt->theme, &a->theme, err, errlen) < 0)
        return -1;
    a->focus = -1;
    a->zoom = -1;
    a->mode = LAYOUT_AUTO;
    a->session_round = -1;
    a->label = (RoundLabel){ .outcome = SESSION_UNLABELLED, .winner = -1 };
    return 0;
}

static void teardown(App *a)
{
    free_round(a);
    pane_free(a->overlay_pane);
    for (size_t i = 0; i < a->n_specs; i++)
        free(a->specs[i]);
    free(a->specs);
    free(a->system);
    free(a->prompt);
    if (a->session)
        session_free(a->session);
    config_free(a->cfg);
}

static void term_start(App *a)
{
    const char *nc = getenv("NO_COLOR");
    set_escdelay(25);
    initscr();
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
    a->use_color = has_colors() && !(nc && nc[0]);
    if (a->use_color) {
        start_color();
        use_default_colors();
    }
    theme_apply(&a->theme, a->use_color);
    getmaxyx(stdscr, a->rows, a->cols);
}

static void term_stop(void)
{
    if (!isendwin())
        endwin();
}

static void drain_winch(App *a)
{
    char buf[64];
    while (read(a->winch_pipe[0], buf, sizeof buf) > 0) {
    }
    handle_resize(a);
}

static void loop(App *a)
{
    while (!a->quit) {
        double now = clock_now_ms();
        bool live = streaming(a);
        int timeout = -1;
        if (live)
            timeout = (int)(SAMPLE_MS - (now - a->last_sample_ms));
        if (a->dirty) {
            int t = (int)(FRAME_MS - (now - a->last_draw_ms));
            if (t < 0)
                t = 0;
            if (timeout < 0 || t < timeout)
                timeout = t;
        }
        if (a->message[0] && a->message_until_ms > now) {
            int t = (int)(a->message_until_ms - now) + 1;
            if (timeout < 0 || t < timeout)
                timeout = t;
        }
        if (timeout < 0 || timeout > 1000)
            timeout = 1000;
        if (timeout < 0)
            timeout = 0;
        struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                                 { .fd = a->winch_pipe[0], .events = POLLIN } };
        if (live) {
            if (run_poll(a->run, fds, 2, timeout) < 0)
                poll(fds, 2, timeout);
        } else {
            if (poll(fds, 2, timeout) < 0 && errno != EINTR)
                break;
        }
        if (fds[1].revents & POLLIN)
            drain_winch(a);
        int ch;
        int budget = 4096; /* a big paste is handled over several turns */
        while (budget-- > 0 && !a->quit && (ch = getch()) != ERR)
            handle_key(a, ch);
        if (a->run && !a->round_done && run_done(a->run))
            round_finished(a);
        now = clock_now_ms();
        if (a->run && now - a->last_sample_ms >= SAMPLE_MS) {
            sample_rates(a, now);
            a->last_sample_ms = now;
            if (live)
                a->dirty = true;
        }
        if (a->message[0] && now >= a->message_until_ms) {
            a->message[0] = '\0';
            a->dirty = true;
        }
        if (prompt_take_dirty()) {
            int want = prompt_rows(a->cols, LAYOUT_MAX_PROMPT_ROWS);
            if (want != a->layout.prompt.h)
                draw_relayout(a);
            a->dirty = true;
        }
        if (a->dirty && now - a->last_draw_ms >= FRAME_MS) {
            sync_panes(a);
            draw_frame(a);
            a->dirty = false;
        }
    }
}

int app_run(const AppOptions *opt, char *err, size_t errlen)
{
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "the workbench needs a terminal; use 'versus run -m SPEC PROMPT' in scripts");
        return 2;
    }
    setlocale(LC_ALL, "");
    App *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    a->winch_pipe[0] = a->winch_pipe[1] = -1;
    if (setup(a, opt, err, errlen) < 0) {
        teardown(a);
        free(a);
        return 2;
    }
    if (pipe2(a->winch_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        teardown(a);
        free(a);
        return 2;
    }
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());
    winch_fd = a->winch_pipe[1];
    struct sigaction sa = { 0 };
    sa.sa_handler = on_winch;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGWINCH, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char hist[4096];
    const char *hist_path = NULL;
    char state_dir[4096];
    if (xdg_path(XDG_STATE, NULL, state_dir, sizeof state_dir) == 0 && xdg_mkdirs(state_dir) == 0 &&
        xdg_path(XDG_STATE, "history", hist, sizeof hist) == 0)
        hist_path = hist;

    term_start(a);
    if (prompt_init("> ", on_line, on_prompt_message, a, hist_path, err, errlen) < 0) {
        term_stop();
        teardown(a);
        free(a);
        return 2;
    }
    if (a->n_specs == 0)
        app_message(a, true, "no usable models configured: :models SPEC... (openai:MODEL, local:, ...)");
    else {
        Buf b = { 0 };
        for (size_t i = 0; i < a->n_specs; i++)
            buf_printf(&b, "%s%s", i ? ", " : "", a->specs[i]);
        app_message(a, false, "models: %s%s \u00b7 F1 help", buf_str(&b), a->blind ? " \u00b7 blind" : "");
        buf_free(&b);
    }
    draw_relayout(a);
    a->dirty = true;
    loop(a);
    prompt_shutdown();
    term_stop();
    winch_fd = -1;
    signal(SIGWINCH, SIG_DFL);
    close(a->winch_pipe[0]);
    close(a->winch_pipe[1]);
    teardown(a);
    free(a);
    return 0;
}
