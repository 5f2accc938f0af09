/* test_tui_e2e_security.c — the workbench in tmux against hostile replies and
 * a pasted key:
 *   - a reply carrying OSC 0 titles, OSC 52 clipboard writes, screen clears,
 *     C1 controls, a bare CR and bidi controls changes neither tmux's pane
 *     title nor its clipboard, and no bidi control reaches the screen;
 *   - the copy key puts the sanitised text on the clipboard: the controls
 *     written out (\x1b...), never an ESC[201~ + CR that would end a shell's
 *     bracketed paste and run a line;
 *   - a key echoed back split across deltas is masked in the pane, and the
 *     prompt line holding it is never written to the history file, while an
 *     ordinary one is.
 * Skips without tmux (tests/tui/tmux_driver.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tmux_driver.h"

static TmuxRig rig;

static void stop(void) { rig_stop(&rig); }

TestSuite(tui_security, .fini = stop, .timeout = 900);

static void start(const char *args)
{
    const char *why = rig_unavailable();
    if (why)
        cr_skip_test("%s", why);
    cr_assert_eq(rig_start(&rig, args), 0, "could not start tmux and the fake provider");
    cr_assert(rig_wait(&rig, "F1 help", 1, 0), "the workbench did not start:\n%s", rig.screen);
}

static const char hostile[] =
    "title \x1b]0;pwned\x07 osc52 \x1b]52;c;ZWNobyBwd25lZA==\x07 clear \x1b[2J "
    "paste-end \x1b[201~\rrm -rf ~\r c1 \xc2\x9d" "0;pwned2\xc2\x9c bidi \xe2\x80\xae" "txt.exe END";

static bool has_hidden(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
            return true;
        if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            return true;
        if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 && p[i + 2] >= 0xAA && p[i + 2] <= 0xAE)
            return true;
    }
    return false;
}

Test(tui_security, a_hostile_reply_moves_neither_title_nor_clipboard_and_copy_is_sanitised)
{
    start("-m openai:file");
    cr_assert_eq(rig_write(&rig, "hostile.txt", hostile), 0);
    char keys[600];
    snprintf(keys, sizeof keys, "'%s/hostile.txt' Enter", rig.dir);
    rig_keys(&rig, keys);
    cr_assert(rig_wait(&rig, " done ", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "END", 1, 0), "the reply is shown:\n%s", rig.screen);
    char out[65536] = "";
    rig_tmux(&rig, "display-message -p '#{pane_title}'", out, sizeof out);
    cr_assert_null(strstr(out, "pwned"), "the reply set the pane title: %s", out);
    rig_tmux(&rig, "list-buffers", out, sizeof out);
    cr_assert_null(strstr(out, "pwned"), "the reply wrote the clipboard: %s", out);
    cr_assert_null(strstr(rig.screen, "\xe2\x80\xae"), "a bidi override reached the screen:\n%s", rig.screen);
    /* copy the pane: the clipboard gets the text with its controls shown */
    rig_keys(&rig, "Tab c"); /* focus the pane, copy */
    cr_assert(rig_wait(&rig, "copied pane", 1, 0), "%s", rig.screen);
    out[0] = '\0';
    rig_tmux(&rig, "show-buffer", out, sizeof out);
    cr_assert(strstr(out, "END"), "the clipboard does not hold the reply: '%s'", out);
    cr_assert_not(has_hidden(out, strlen(out) - (strlen(out) && out[strlen(out) - 1] == '\n')),
                  "a control or bidi character went to the clipboard: '%s'", out);
    cr_assert(strstr(out, "\\x1b[201~\\x0drm -rf"), "the paste-ending sequence is written out: '%s'", out);
    cr_assert(strstr(out, "\\u202e"), "the bidi override is written out: '%s'", out);
}

Test(tui_security, a_key_echoed_in_pieces_is_masked_in_the_pane_and_kept_out_of_the_history)
{
    start("-m openai:echo");
    /* the rig's OPENAI_API_KEY; the fake echoes the prompt back in deltas of
     * at most 6 bytes, so the key arrives split */
    rig_keys(&rig, "'my key is sk-test-e2e, keep it' Enter");
    cr_assert(rig_wait(&rig, " done ", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "keep it", 1, 0), "the echo is shown:\n%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "sk-test-e2e"), "the echoed key is on the screen:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "my key is ***********, keep it"), "masked in the pane:\n%s", rig.screen);
    rig_keys(&rig, "'an ordinary prompt' Enter");
    char path[512];
    snprintf(path, sizeof path, "%s/state/versus/history", rig.dir);
    char text[65536] = "";
    for (int tries = 0; tries < 600 && !strstr(text, "an ordinary prompt"); tries++) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(text, 1, sizeof text - 1, f);
            text[n] = '\0';
            fclose(f);
        }
        if (!strstr(text, "an ordinary prompt"))
            rig_settle(&rig, 100);
    }
    cr_assert(strstr(text, "an ordinary prompt"), "the history file lacks the ordinary prompt: %s", text);
    cr_assert_null(strstr(text, "sk-test-e2e"), "the key went to the history file:\n%s", text);
    cr_assert_null(strstr(text, "my key is"), "the line holding the key was kept:\n%s", text);
}

/* Tryout 2 #12: the refusal told the user to pass --send-key-to, which the
 * workbench rejected, and blamed a config when the key's URL came from
 * OPENAI_BASE_URL. */
Test(tui_security, a_key_refused_for_an_inline_url_says_where_its_url_came_from_and_send_key_to_lets_it_go)
{
    start("-m openai:happy@http://localhost:{port}/v1");
    /* tryout 3 #4: said "ready" before the round, then "not sent" */
    cr_assert(rig_wait(&rig, "not usable", 1, 0), "refused before any round:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "start versus with --send-key-to http://localhost:", 1, 0), "what to do:\n%s",
              rig.screen);
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "not sent", 1, 0), "refused:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "from OPENAI_BASE_URL", 1, 0), "where the key's URL came from:\n%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "the config names"), "no config was involved:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "--send-key-to http://localhost:"), "what to pass:\n%s", rig.screen);
    rig_stop(&rig);
    /* the advice is an option the workbench takes */
    start("--send-key-to http://localhost:{port}/v1 -m openai:happy@http://localhost:{port}/v1");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "the key went where the user said:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "Hello from the fake provider"), "%s", rig.screen);
}
