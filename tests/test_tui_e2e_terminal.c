/* test_tui_e2e_terminal.c — the workbench and the terminal it runs in:
 * copy tells the truth (plain OSC 52 only when tmux's set-clipboard is on,
 * passthrough only when allow-passthrough is on, a file named in the
 * message when tmux takes neither), and it degrades gracefully (ASCII
 * glyphs when the locale is not UTF-8, one line pointing to `versus run`
 * on TERM=dumb or an unknown TERM, 8-colour themes that show on dark and
 * light backgrounds). The real binary in tmux against the loopback fake. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/rig_test.h"
#include "tui/tmux_driver.h"
#include "util/clock.h"

#define HAPPY "Hello from the fake provider"

static TmuxRig rig;

static void start(const char *args, const RigOptions *o, const char *ready)
{
    RIG_OPEN(&rig, args, o, ready);
}

static void stop(void)
{
    rig_stop(&rig);
}

TestSuite(tui_terminal, .fini = stop, .timeout = 900);

/* ---- copy (observation 7) ------------------------------------------------------- */

/* Starts a round, records what versus writes to the terminal, copies pane 1. */
static void copy_pane_one(char *out, size_t outlen)
{
    char args[600];
    snprintf(args, sizeof args, "pipe-pane 'cat >> %s/output'", rig.dir);
    cr_assert_eq(rig_tmux(&rig, args, NULL, 0), 0);
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "Tab c");
    cr_assert(rig_wait(&rig, "copied pane 1 (", 1, 0), "a message says what the copy did:\n%s", rig.screen);
    /* pipe-pane's cat writes the file after tmux has drawn the screen: wait
     * until it holds the message too (versus writes the copy before it) */
    size_t last = 0;
    double still_since = clock_now_ms();
    for (;;) {
        out[0] = '\0';
        rig_read(&rig, "output", out, outlen);
        if (strstr(out, "copied pane 1 ("))
            break;
        size_t len = strlen(out);
        if (len != last) {
            last = len;
            still_since = clock_now_ms();
        }
        cr_assert(clock_now_ms() - still_since < RIG_QUIET_MS, "the output file never got the message:\n%s", out);
        rig_nap(30);
    }
}

static const char *const TMUX_ON = "set-option -g set-clipboard on\nset-option -gw allow-passthrough off\n";
static const char *const TMUX_PASS = "set-option -g set-clipboard off\nset-option -gw allow-passthrough on\n";
static const char *const TMUX_OFF = "set-option -g set-clipboard off\nset-option -gw allow-passthrough off\n";
/* tmux's default: tmux(1) says external ignores an application's attempts to set its buffers */
static const char *const TMUX_EXTERNAL =
    "set-option -g set-clipboard external\nset-option -gw allow-passthrough off\n";

static char output[1 << 18];

Test(tui_terminal, copy_is_plain_osc52_that_tmux_takes_when_set_clipboard_is_on)
{
    RigOptions o = { .keep_tmux_env = true, .tmux_conf = TMUX_ON };
    start("-m openai:happy", &o, "\n>");
    copy_pane_one(output, sizeof output);
    cr_assert(strstr(rig.screen, "set-clipboard on"), "the message names the path:\n%s", rig.screen);
    cr_assert(strstr(output, "\033]52;c;"), "an OSC 52 was written");
    cr_assert_null(strstr(output, "\033Ptmux;"), "not wrapped for passthrough, which tmux would drop");
    char buf[4096] = "";
    rig_tmux(&rig, "show-buffer", buf, sizeof buf);
    cr_assert(strstr(buf, HAPPY), "tmux took it: its buffer holds the reply: '%s'", buf);
}

Test(tui_terminal, copy_uses_passthrough_only_when_tmux_allows_it)
{
    RigOptions o = { .keep_tmux_env = true, .tmux_conf = TMUX_PASS };
    start("-m openai:happy", &o, "\n>");
    copy_pane_one(output, sizeof output);
    cr_assert(strstr(rig.screen, "passthrough"), "the message names the path:\n%s", rig.screen);
    cr_assert(strstr(output, "\033Ptmux;\033\033]52;c;"), "wrapped for the outer terminal");
}

Test(tui_terminal, copy_names_a_file_and_what_to_set_when_tmux_takes_neither)
{
    RigOptions o = { .keep_tmux_env = true, .tmux_conf = TMUX_OFF };
    start("-m openai:happy", &o, "\n>");
    copy_pane_one(output, sizeof output);
    cr_assert(strstr(rig.screen, "set-clipboard on"), "what to set:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "clipboard.txt"), "the file is named:\n%s", rig.screen);
    cr_assert_null(strstr(output, "]52;"), "no sequence tmux would only drop");
    char text[4096] = "";
    cr_assert_eq(rig_read(&rig, "state/versus/clipboard.txt", text, sizeof text), 0, "the file exists");
    cr_assert(strstr(text, HAPPY), "it holds the reply: '%s'", text);
}

/* Tryout 2 #7: under tmux's default set-clipboard external an application's
 * OSC 52 is ignored, yet the copy said "tmux's buffer has it too". */
Test(tui_terminal, copy_under_tmux_default_external_goes_to_the_file_and_says_to_set_clipboard_on)
{
    RigOptions o = { .keep_tmux_env = true, .tmux_conf = TMUX_EXTERNAL };
    start("-m openai:happy", &o, "\n>");
    copy_pane_one(output, sizeof output);
    cr_assert_null(strstr(rig.screen, "buffer has it"), "no claim that tmux took it:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "set -s set-clipboard on"), "how to enable it:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "clipboard.txt"), "the file is named:\n%s", rig.screen);
    cr_assert_null(strstr(output, "]52;"), "no sequence tmux would only drop");
    char text[4096] = "";
    cr_assert_eq(rig_read(&rig, "state/versus/clipboard.txt", text, sizeof text), 0, "the file exists");
    cr_assert(strstr(text, HAPPY), "it holds the reply: '%s'", text);
}

/* ---- graceful degradation (observation 8) --------------------------------------- */

Test(tui_terminal, a_locale_that_is_not_utf8_gets_ascii_glyphs_and_nothing_overflows)
{
    RigOptions o = { .cols = 100, .rows = 24, .env = "LANG=C LC_ALL=C" };
    start("-m openai:happy -m openai:happy.ms5", &o, "\n>");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 2, 0), "%s", rig.screen);
    /* the reply's non-ASCII letters are '?', the UI's glyphs ASCII */
    cr_assert(rig_wait(&rig, HAPPY ": na?ve caf? ?.", 2, 0), "%s", rig.screen);
    for (const unsigned char *p = (const unsigned char *)rig.screen; *p; p++)
        cr_assert(*p < 0x80, "only ASCII on screen (byte 0x%02x at %ld):\n%s", *p,
                  (long)(p - (const unsigned char *)rig.screen), rig.screen);
    /* the separator is on every pane row, at the same column */
    char line[1024];
    rig_line(&rig, 0, line, sizeof line);
    const char *bar = strchr(line, '|');
    cr_assert(bar, "a separator on the status row: '%s'", line);
    long col = bar - line;
    for (int y = 0; y < 22; y++) {
        rig_line(&rig, y, line, sizeof line);
        cr_assert((long)strlen(line) > col && line[col] == '|', "row %d keeps its separator at %ld: '%s'", y, col,
                  line);
    }
}

static void assert_one_line_pointing_to_run(const char *term, const char *why)
{
    RigOptions o = { .cols = 200, .rows = 10, .term = term, .stderr_on_screen = true };
    start("-m openai:happy", &o, "VERSUS-EXITED-");
    cr_assert(strstr(rig.screen, "VERSUS-EXITED-2"), "exit status 2:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, why), "says why:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "versus run"), "points to versus run:\n%s", rig.screen);
    /* one line of text, then the exit marker */
    char line[1024];
    rig_line(&rig, 0, line, sizeof line);
    cr_assert(strstr(line, "versus run"), "the message is the first line: '%s'", line);
    rig_line(&rig, 1, line, sizeof line);
    cr_assert(strstr(line, "VERSUS-EXITED-2"), "and the only one: '%s'\n%s", line, rig.screen);
    for (const unsigned char *p = (const unsigned char *)rig.screen; *p; p++)
        cr_assert(*p >= 0x20 || *p == '\n', "nothing garbled:\n%s", rig.screen);
}

Test(tui_terminal, term_dumb_gets_one_line_pointing_to_versus_run)
{
    assert_one_line_pointing_to_run("dumb", "can not move the cursor");
}

Test(tui_terminal, an_unknown_term_gets_one_line_pointing_to_versus_run)
{
    assert_one_line_pointing_to_run("no-such-terminal-xyz", "terminfo");
}

/* 8 colours: the status band and the separators used greys that the
 * terminal can only show as black (invisible on a dark background) or white
 * (invisible on a light one). Now: reverse video and the default colours. */
Test(tui_terminal, eight_colour_themes_use_colours_that_show_on_dark_and_light)
{
    RigOptions o = { .cols = 120, .rows = 24, .term = "xterm" };
    start("-m openai:happy -m openai:happy.ms5", &o, "\n>");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 2, 0), "%s", rig.screen);
    rig_settle(&rig, 300);
    rig_capture_escapes(&rig);
    /* walk the SGR sequences: no visible character may be black or white on
     * the default background (it vanishes on a dark or a light one), and
     * nothing may sit on a black or white background */
    int fg = -1, bg = -1, bad = 0;
    bool reverse_seen = false;
    for (const char *p = rig.screen; *p; p++) {
        if (p[0] == '\033' && p[1] == '[') {
            const char *q = p + 2;
            if (*q == 'm')
                fg = bg = -1;
            while (*q && *q != 'm') {
                long v = strtol(q, (char **)&q, 10);
                if (v == 0)
                    fg = bg = -1;
                else if ((v >= 30 && v <= 37) || (v >= 90 && v <= 97))
                    fg = (int)(v % 10);
                else if (v == 39)
                    fg = -1;
                else if ((v >= 40 && v <= 47) || (v >= 100 && v <= 107))
                    bg = (int)(v % 10);
                else if (v == 49)
                    bg = -1;
                else if (v == 7)
                    reverse_seen = true;
                if (*q == ';')
                    q++;
                else if (*q != 'm')
                    break;
            }
            p = *q ? q : q - 1;
            continue;
        }
        if ((unsigned char)*p <= ' ')
            continue;
        if (bg == 0 || bg == 7 || (bg < 0 && (fg == 0 || fg == 7)))
            bad++;
    }
    cr_assert_eq(bad, 0, "%d characters would vanish on a dark or a light terminal:\n%s", bad, rig.screen);
    cr_assert(reverse_seen, "the status band is still a band (reverse video):\n%s", rig.screen);
}
