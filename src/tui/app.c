/* app.c — the workbench's setup, teardown and its one poll() loop (app.h):
 * streams, keys, the self-pipe, sampling and redraws. The terminal is
 * term.c's, rounds round.c's, keys actions.c's, entered lines execute.c's,
 * drawing draw.c's; this file only wires them together in time. */
#include "tui/app.h"

#include <curses.h>
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/xdg.h"
#include "tui/actions.h"
#include "tui/app_state.h"
#include "tui/conversation.h"
#include "tui/draw.h"
#include "tui/execute.h"
#include "tui/overlay.h"
#include "tui/prompt.h"
#include "tui/round.h"
#include "tui/term.h"

#define FRAME_MS 33.0      /* at most ~30 redraws a second: smooth for text, and it halves
                              the cost of four panes streaming flat out */
#define SAMPLE_MS 250.0    /* status bars and sparklines refresh 4 times a second */
#define MESSAGE_MS 6000.0

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

void app_resize(App *a)
{
    term_resize(&a->rows, &a->cols);
    draw_relayout(a);
    a->dirty = true;
}

static void on_prompt_message(void *user, const char *msg)
{
    app_message(user, false, "%s", msg);
}

size_t app_panes(const App *a)
{
    return a->run ? a->n : a->n_specs;
}

int app_set_models(App *a, const char *const *args, size_t n, char *err, size_t errlen)
{
    if (n > LAYOUT_MAX_PANES) {
        snprintf(err, errlen, "at most %d models side by side (got %zu)", LAYOUT_MAX_PANES, n);
        return -1;
    }
    char **specs = calloc(n ? n : 1, sizeof *specs);
    char given[LAYOUT_MAX_PANES][NAMES_MAX];
    if (!specs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char spec[2048];
        names_split(args[i], given[i], sizeof given[i], spec, sizeof spec);
        ModelTarget t;
        char why[512];
        if (target_resolve(a->cfg, spec, &t, why, sizeof why) < 0) {
            snprintf(err, errlen, "%s: %s", spec, why);
            for (size_t k = 0; k < i; k++)
                free(specs[k]);
            free(specs);
            return -1;
        }
        /* a model alias from the config is already a name */
        if (!given[i][0] && config_model_alias(a->cfg, spec))
            snprintf(given[i], sizeof given[i], "%s", spec);
        specs[i] = strdup(spec);
    }
    for (size_t i = 0; i < a->n_specs; i++)
        free(a->specs[i]);
    free(a->specs);
    a->specs = specs;
    a->n_specs = n;
    const char *g[LAYOUT_MAX_PANES];
    for (size_t i = 0; i < n; i++) {
        memcpy(a->given[i], given[i], sizeof a->given[i]);
        g[i] = a->given[i];
        preflight_check(a->cfg, specs[i], a->key_urls, a->n_key_urls, &a->checks[i]);
    }
    names_choose((const char *const *)specs, g, n, a->names);
    if (!a->run)
        draw_relayout(a);
    a->dirty = true;
    return 0;
}

/* ---- setup ------------------------------------------------------------------------- */

static int setup(App *a, const AppOptions *opt, char *err, size_t errlen)
{
    a->cfg = config_load(opt->config_path, err, errlen);
    if (!a->cfg)
        return -1;
    a->params = config_default_params(a->cfg);
    a->sensitivity = config_default_sensitivity(a->cfg);
    a->key_urls = opt->key_urls; /* before the models: their checks read them */
    a->n_key_urls = opt->n_key_urls;
    if (app_set_models(a, opt->specs, opt->n_specs, err, errlen) < 0)
        return -1;
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
    a->turn = 1;
    return 0;
}

static void teardown(App *a)
{
    round_free(a);
    conversation_free(a);
    buf_free(&a->paste);
    free(a->ask_prompt);
    overlay_close(a);
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

static void greet(App *a)
{
    if (a->n_specs == 0) {
        app_message(a, true, "no models: :models SPEC... (openai:MODEL, local:, ...)");
        return;
    }
    size_t bad = 0;
    for (size_t i = 0; i < a->n_specs; i++)
        bad += !a->checks[i].usable;
    if (bad)
        app_message(a, true, "%zu of %zu models can not be asked: their panes say why and what to do%s \u00b7 F1 help",
                    bad, a->n_specs, a->blind ? " \u00b7 blind" : "");
    else
        app_message(a, false, "%zu model%s ready%s \u00b7 F1 help", a->n_specs, a->n_specs == 1 ? "" : "s",
                    a->blind ? " \u00b7 blind" : "");
}

/* ---- the loop ---------------------------------------------------------------------- */

/* How long poll() may sleep: until the next frame, sample or message end. */
static int next_timeout(const App *a, bool live, double now)
{
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
    return timeout;
}

/* Everything that happens after the wait: keys, the round, samples, frames. */
static void after_wait(App *a, bool live)
{
    int ch;
    int budget = 4096; /* a big paste is handled over several turns */
    while (budget-- > 0 && !a->quit && (ch = getch()) != ERR)
        actions_key(a, ch);
    round_check_finished(a);
    double now = clock_now_ms();
    round_checkpoint(a, now);
    if (a->run && now - a->last_sample_ms >= SAMPLE_MS) {
        round_sample(a);
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
        round_sync_panes(a);
        draw_frame(a);
        a->dirty = false;
    }
}

static void loop(App *a)
{
    while (!a->quit) {
        double now = clock_now_ms();
        bool live = round_streaming(a);
        int timeout = next_timeout(a, live, now);
        struct pollfd fds[2] = { { .fd = STDIN_FILENO, .events = POLLIN },
                                 { .fd = term_wake_fd(), .events = POLLIN } };
        if (live) {
            if (run_poll(a->run, fds, 2, timeout) < 0)
                poll(fds, 2, timeout);
        } else {
            if (poll(fds, 2, timeout) < 0 && errno != EINTR)
                break;
        }
        if ((fds[1].revents & POLLIN) && term_take_wake())
            app_resize(a);
        if (term_quit_requested())
            a->quit = true;
        after_wait(a, live);
    }
}

int app_run(const AppOptions *opt, char *err, size_t errlen)
{
    setlocale(LC_ALL, "");
    if (term_check(err, errlen) < 0)
        return 2;
    App *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return 2;
    }
    if (setup(a, opt, err, errlen) < 0) {
        teardown(a);
        free(a);
        return 2;
    }
    srandom((unsigned)time(NULL) ^ (unsigned)getpid());

    char hist[4096];
    const char *hist_path = NULL;
    char state_dir[4096];
    if (xdg_path(XDG_STATE, NULL, state_dir, sizeof state_dir) == 0 && xdg_mkdirs(state_dir) == 0 &&
        xdg_path(XDG_STATE, "history", hist, sizeof hist) == 0)
        hist_path = hist;

    if (term_start(&a->use_color, err, errlen) < 0) {
        teardown(a);
        free(a);
        return 2;
    }
    theme_apply(&a->theme, a->use_color);
    getmaxyx(stdscr, a->rows, a->cols);
    if (prompt_init("> ", execute_line, on_prompt_message, a, hist_path, err, errlen) < 0) {
        term_stop();
        teardown(a);
        free(a);
        return 2;
    }
    greet(a);
    draw_relayout(a);
    a->dirty = true;
    loop(a);
    round_stop(a); /* a quit signal while streaming: keep what came */
    prompt_shutdown();
    term_stop();
    /* the screen is back: say where the session went and how to export it */
    char bye[8192];
    if (round_farewell(a, bye, sizeof bye))
        printf("%s\n", bye);
    teardown(a);
    free(a);
    return 0;
}
