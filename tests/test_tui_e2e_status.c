/* test_tui_e2e_status.c — the figures the tool exists for, and honest
 * status: every pane keeps a fixed metrics row (TTFT, tokens/s, output
 * tokens, cost or "unpriced") at 80 columns with up to 4 panes; panes have
 * short unique names; models that can not be asked (no key, no file, an
 * architecture the engine does not run) say so in their pane at start with
 * what to do; a model never sent shows "not sent", never a time or a cost;
 * plain `versus` writes nothing behind the full-screen UI. The real binary
 * in tmux against the loopback fake provider. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf_write.h"
#include "tui/layout.h"
#include "tui/rig_test.h"
#include "tui/tmux_driver.h"

static TmuxRig rig;
static char arch_file[256];

static void start_opts(const char *args, const RigOptions *o, const char *ready)
{
    setlocale(LC_CTYPE, "C.UTF-8");
    RIG_OPEN(&rig, args, o, ready);
}

static void stop(void)
{
    rig_stop(&rig);
    if (arch_file[0])
        unlink(arch_file);
}

TestSuite(tui_status, .fini = stop, .timeout = 900);

/* Columns [x, x+w) of screen line y (bytes, by display columns). */
static void cut(int y, int x, int w, char *out, size_t outlen)
{
    char line[4096];
    rig_line(&rig, y, line, sizeof line);
    /* walk characters, counting columns (wide = 2) */
    size_t i = 0, o = 0;
    int col = 0;
    while (line[i] && col < x + w && o + 8 < outlen) {
        unsigned char c = (unsigned char)line[i];
        size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
        int cw = (c >= 0xE3 && c < 0xF0) || c >= 0xF0 ? 2 : 1; /* CJK and emoji: enough for these rows */
        if (c == 0xE2)
            cw = 1; /* box drawing, ellipsis */
        if (col >= x)
            for (size_t k = 0; k < n && line[i + k]; k++)
                out[o++] = line[i + k];
        col += cw;
        i += n;
    }
    out[o] = '\0';
}

static void assert_metrics_rows(int cols, int rows, int n, const char *when)
{
    LayoutInput in = { .term_h = rows, .term_w = cols, .n_panes = n, .mode = LAYOUT_AUTO, .zoom = -1,
                       .focus = 0, .prompt_rows = 1 };
    Layout l;
    layout_compute(&in, &l);
    cr_assert_eq(l.n_visible, n, "%d panes all visible at %dx%d", n, cols, rows);
    for (int k = 0; k < l.n_visible; k++) {
        char row[1024];
        LayoutRect r = l.pane[k];
        cut(r.y + 1, r.x, r.w, row, sizeof row);
        bool ttft = strstr(row, "TTFT") != NULL;
        bool rate = strstr(row, "tok/s") || strstr(row, "t/s");
        bool toks = strstr(row, " tok ") || strstr(row, "t $") || strstr(row, "t unpriced");
        bool cost = strstr(row, "$") || strstr(row, "unpriced");
        cr_assert(ttft && rate && toks && cost, "%s: pane %d (%d wide) metrics row has TTFT, rate, tokens, cost: '%s'\n%s",
                  when, k + 1, r.w, row, rig.screen);
    }
}

/* Pane 2 (the long reply) still streams and its metrics row has a figure
 * for tokens/s. */
static bool live_rate(TmuxRig *r, const void *arg)
{
    (void)arg;
    char row[1024];
    (void)r;
    cut(0, 41, 39, row, sizeof row);
    if (!strstr(row, "streaming"))
        return false;
    cut(1, 41, 39, row, sizeof row);
    const char *t = strstr(row, " tok/s");
    return t && t > row && t[-1] >= '0' && t[-1] <= '9';
}

/* Observation 5: with 3+ panes each status bar kept a different subset. */
Test(tui_status, every_pane_keeps_a_metrics_row_at_80_columns_with_up_to_4_panes)
{
    static const char *const models[] = { "openai:gpt-4o-mini", "openai:long.tps40.deltas200",
                                          "openai:happy.ms30", "openai:claude-look-alike.ms20" };
    for (int n = 1; n <= 4; n++) {
        char args[512] = "";
        size_t pos = 0;
        for (int k = 0; k < n; k++)
            pos += (size_t)snprintf(args + pos, sizeof args - pos, "-m %s ", models[k]);
        RigOptions o = { .cols = 80, .rows = 24 };
        start_opts(args, &o, "\n>");
        rig_keys(&rig, "'Say hello' Enter");
        if (n >= 2) { /* while the long one streams, its rate is live */
            cr_assert(rig_wait_for(&rig, live_rate, NULL, 0), "a live rate while streaming:\n%s", rig.screen);
            assert_metrics_rows(80, 24, n, "streaming");
        }
        cr_assert(rig_wait(&rig, "  done", n, 0), "%s", rig.screen);
        assert_metrics_rows(80, 24, n, "done");
        /* the priced model shows dollars, the unpriced one says so */
        if (n >= 3)
            cr_assert(strstr(rig.screen, "unpriced") && strstr(rig.screen, "$0.0"), "%s", rig.screen);
        rig_stop(&rig);
    }
}

Test(tui_status, pane_names_are_short_and_unique)
{
    RigOptions o = { .cols = 160, .rows = 45 };
    start_opts("-m fast=openai:happy.ms10 -m openai-compat:model-a@http://127.0.0.1:{port}/v1 "
               "-m openai-compat:model-b@http://127.0.0.1:{port}/v1 -m openai:gpt-4o-mini "
               "-m openai-compat:gpt-4o-mini@http://127.0.0.1:{port}/v1",
               &o, "\n>");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 5, 0), "%s", rig.screen);
    static const char *const want[] = { "1 fast ", "2 model-a ", "3 model-b ", "4 openai:gpt-4o-mini ",
                                        "5 openai-compat:gpt-4o-mini " };
    for (size_t i = 0; i < 5; i++)
        cr_assert(strstr(rig.screen, want[i]), "'%s' on screen:\n%s", want[i], rig.screen);
    cr_assert(!strstr(rig.screen, "openai-compa\xe2\x80\xa6"), "no two panes read the same:\n%s", rig.screen);
}

/* A GGUF file whose architecture the engine does not run. */
static void write_unknown_arch(void)
{
    snprintf(arch_file, sizeof arch_file, "/tmp/versus-e2e-arch-%d.gguf", (int)getpid());
    GgufWriter *w = gguf_writer_new();
    cr_assert(w);
    cr_assert_eq(gguf_writer_add_string(w, "general.architecture", "mamba9000"), 0);
    char err[256];
    cr_assert_eq(gguf_writer_write_file(w, arch_file, err, sizeof err), 0, "%s", err);
    gguf_writer_free(w);
}

/* Observation 6: no key, no file, unsupported architecture: said at start,
 * in the model's own pane, with what to do. */
Test(tui_status, unusable_models_say_why_in_their_pane_at_start_with_what_to_do)
{
    write_unknown_arch();
    char args[1024];
    snprintf(args, sizeof args, "-m anthropic:claude-haiku-4-5 -m local:{dir}/missing.gguf -m local:%s -m openai:happy",
             arch_file);
    RigOptions o = { .cols = 200, .rows = 45, .unset = "ANTHROPIC_API_KEY" };
    start_opts(args, &o, "\n>");
    cr_assert(rig_wait(&rig, "unsupported architecture 'mamba9000'", 1, 0), "%s", rig.screen);
    cr_assert(strstr(rig.screen, "ANTHROPIC_API_KEY"), "the missing key is named:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "missing.gguf"), "the missing file is named:\n%s", rig.screen);
    cr_assert_geq(rig_count(&rig, "what to do:"), 3, "each says what to do:\n%s", rig.screen);
    cr_assert_geq(rig_count(&rig, "not usable"), 3 * 2, "three panes say so on both header rows:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "4 happy  ready"), "the usable one is ready:\n%s", rig.screen);
    char err[4096] = "";
    rig_read(&rig, "stderr", err, sizeof err);
    cr_assert_str_eq(err, "", "nothing written behind the screen");
}

Test(tui_status, a_model_never_sent_shows_not_sent_and_no_time_or_cost)
{
    RigOptions o = { .cols = 120, .rows = 30, .unset = "ANTHROPIC_API_KEY" };
    start_opts("-m anthropic:claude-haiku-4-5 -m openai:happy.ms10", &o, "\n>");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "not sent", 2, 0), "%s", rig.screen);
    char l0[1024], l1[1024];
    cut(0, 0, 59, l0, sizeof l0);
    cut(1, 0, 59, l1, sizeof l1);
    cr_assert(strstr(l0, "not sent"), "the state: '%s'", l0);
    cr_assert(!strstr(l0, "ms") && !strstr(l0, "s ") && !strstr(l0, "$"), "no time or cost: '%s'", l0);
    cr_assert(strstr(l1, "not sent") && !strstr(l1, "$") && !strstr(l1, "TTFT") && !strstr(l1, "unpriced"),
              "the metrics row has no figure: '%s'", l1);
    cr_assert(strstr(rig.screen, "[not sent]") && strstr(rig.screen, "what to do:"), "%s", rig.screen);
}

Test(tui_status, plain_versus_writes_nothing_behind_the_screen_and_shows_every_default_model)
{
    RigOptions o = { .cols = 200, .rows = 45, .unset = "ANTHROPIC_API_KEY GEMINI_API_KEY GOOGLE_API_KEY" };
    start_opts("", &o, "\n>");
    cr_assert(rig_wait(&rig, "GEMINI_API_KEY", 1, 0), "the gemini pane says what is missing:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "ANTHROPIC_API_KEY"), "%s", rig.screen);
    char err[4096] = "";
    rig_read(&rig, "stderr", err, sizeof err);
    cr_assert_str_eq(err, "", "nothing written behind the full-screen UI");
}

/* Scroll and zoom say where you are: a pane that holds more than it shows
 * gives the lines in view, an arrow when it no longer follows the end, and
 * a zoomed pane says "zoomed" and which of how many it is. */
Test(tui_status, scroll_and_zoom_say_where_you_are)
{
    RigOptions o = { .cols = 120, .rows = 24 };
    start_opts("-m openai:long.deltas3000 -m openai:happy", &o, "\n>");
    rig_keys(&rig, "'Say a lot' Enter");
    cr_assert(rig_wait(&rig, "  done", 2, 0), "%s", rig.screen);
    char l0[1024];
    /* following the end: the last lines are in view */
    cr_assert(rig_wait(&rig, "/", 1, 0), "%s", rig.screen);
    rig_line(&rig, 0, l0, sizeof l0);
    cr_assert(strstr(l0, "lines ") && !strstr(l0, "\xe2\x86\x91"), "the position, at the end: '%s'", l0);
    rig_keys(&rig, "Tab PPage");
    cr_assert(rig_wait(&rig, "\xe2\x86\x91", 1, 0), "scrolled up, the arrow says so:\n%s", rig.screen);
    rig_line(&rig, 0, l0, sizeof l0);
    cr_assert(strstr(l0, "lines "), "'%s'", l0);
    rig_keys(&rig, "z");
    cr_assert(rig_wait(&rig, "zoomed 1/2", 1, 0), "zoom says so:\n%s", rig.screen);
    rig_keys(&rig, "G");
    cr_assert(rig_wait_gone(&rig, "\xe2\x86\x91", 0), "back at the end:\n%s", rig.screen);
}

/* The footer's last row (the line above the prompt). */
static void footer_line(char *out, size_t outlen)
{
    rig_capture(&rig);
    int last = -1;
    for (int y = 0; y < rig.rows; y++) {
        char line[4096];
        rig_line(&rig, y, line, sizeof line);
        if (strncmp(line, ">", 1) == 0 || strstr(line, "turn "))
            break;
        last = y;
    }
    rig_line(&rig, last < 0 ? 0 : last, out, outlen);
}

/* Tryout 2 #28: the settings that stay for the next rounds (sensitivity,
 * system prompt, parameters, blind) flashed once and were gone; :set had no
 * way to list them, nor min_p and repeat_penalty. */
Test(tui_status, the_footer_keeps_the_round_settings_and_set_alone_lists_the_parameters)
{
    RigOptions o = { .cols = 160, .rows = 30 };
    start_opts("-m openai:happy -m openai:happy.ms10", &o, "\n>");
    rig_keys(&rig, "':sensitivity restricted' Enter");
    rig_keys(&rig, "':system Be terse.' Enter");
    rig_keys(&rig, "':set max_tokens 60' Enter");
    rig_keys(&rig, "':set min_p 0.05' Enter");
    cr_assert(rig_wait(&rig, "parameters: max_tokens=60 min_p=0.05", 1, 0), "min_p is a parameter:\n%s", rig.screen);
    rig_keys(&rig, "':blind' Enter");
    /* once the messages are gone, the footer still says it */
    cr_assert(rig_wait(&rig, " restricted \u00b7 system \u00b7 max_tokens=60 min_p=0.05 \u00b7 blind \u00b7 session:", 1, 0),
              "the footer holds the settings:\n%s", rig.screen);
    rig_keys(&rig, "':set' Enter");
    cr_assert(rig_wait(&rig, "parameters: max_tokens=60 min_p=0.05 \u00b7", 1, 0), ":set alone lists them:\n%s",
              rig.screen);
    rig_keys(&rig, "':set repeat_penalty 1.1' Enter");
    cr_assert(rig_wait(&rig, "repeat_penalty=1.1", 1, 0), "repeat_penalty is a parameter:\n%s", rig.screen);
}

/* Tryout 2 #4 and #15: while the first round streams the footer said "2
 * models ready" and "total $0.00", though costs were not known yet. */
Test(tui_status, while_a_round_streams_the_footer_says_so_and_its_cost_is_unknown)
{
    RigOptions o = { .cols = 160, .rows = 30 };
    start_opts("-m openai:happy -m openai:long.tps20.deltas400", &o, "\n>");
    cr_assert(rig_wait(&rig, "models ready", 1, 0), "the greeting:\n%s", rig.screen);
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "streaming: Esc stops all", 1, 0), "the footer says it streams:\n%s", rig.screen);
    char foot[4096];
    footer_line(foot, sizeof foot);
    cr_assert(strstr(rig.screen, "streaming"), "%s", rig.screen);
    cr_assert(strstr(foot, "streaming: Esc stops all"), "still streaming: '%s'\n%s", foot, rig.screen);
    cr_assert_null(strstr(rig.screen, "models ready"), "no stale greeting:\n%s", rig.screen);
    cr_assert(strstr(foot, "total $?"), "the cost is not known yet: '%s'", foot);
    cr_assert_null(strstr(foot, "$0.00"), "never $0 while unknown: '%s'", foot);
    rig_keys(&rig, "Escape y");
    cr_assert(rig_wait_gone(&rig, "streaming: Esc", 0), "the round ends:\n%s", rig.screen);
}
