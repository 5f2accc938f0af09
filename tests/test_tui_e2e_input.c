/* test_tui_e2e_input.c — what the user types reaches the models as typed:
 * a pasted block is one prompt (bracketed paste, on while the workbench
 * runs and off after it, even after a crash), and the prompt library loads
 * onto the line from `:prompt NAME` (Tab completes) and from a browsable
 * list. The real binary in tmux against the loopback fake provider. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tui/rig_test.h"
#include "tui/tmux_driver.h"

static TmuxRig rig;

static void start(const char *args)
{
    static const RigOptions o = { .tmux_conf = "set-option -g set-clipboard on\n" };
    RIG_OPEN(&rig, args, &o, "Type a prompt");
}

static void stop(void)
{
    rig_stop(&rig);
}

TestSuite(tui_input, .fini = stop, .timeout = 900);

static void document(char *out, size_t outlen, int lines)
{
    size_t pos = 0;
    for (int i = 1; i <= lines; i++)
        pos += (size_t)snprintf(out + pos, outlen - pos, "line %02d of the pasted document%s", i,
                                i < lines ? "\n" : "");
}

/* Observation 2: a 31-line paste sent a round per line, each cancelling the
 * one before. Now it lands on the prompt line whole and waits for Enter. */
Test(tui_input, a_pasted_block_is_one_prompt_with_its_newlines_sent_only_on_enter)
{
    start("-m openai:history");
    char doc[4096];
    document(doc, sizeof doc, 31);
    rig_paste(&rig, doc);
    /* the last pasted line shows on the (grown) prompt ... */
    cr_assert(rig_wait(&rig, "line 31 of the pasted document", 1, 0), "the paste is on the line:\n%s", rig.screen);
    /* ... and nothing was sent: the panes still invite a prompt */
    cr_assert(strstr(rig.screen, "Type a prompt"), "no round started before Enter:\n%s", rig.screen);
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "one round:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "line 31 of the pasted document", 1, 0), "%s", rig.screen);
    /* the fake saw one user message holding every line, newlines kept */
    cr_assert(strstr(rig.screen, "messages=1"), "one message:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "[user] line 01 of the pasted document"), "from the first line:\n%s", rig.screen);
    for (int i = 2; i <= 31; i++) {
        char l[64];
        snprintf(l, sizeof l, "\nline %02d of the pasted document", i);
        cr_assert(strstr(rig.screen, l), "line %d on a line of its own in the reply:\n%s", i, rig.screen);
    }
    /* one history entry, not 31 */
    char hist[8192];
    cr_assert_eq(rig_read(&rig, "state/versus/history", hist, sizeof hist), 0);
    int entries = 0;
    for (const char *p = hist; (p = strstr(p, "line 01 of")); p++)
        entries++;
    cr_assert_eq(entries, 1, "history:\n%s", hist);
    cr_assert(!strstr(hist, "\nline 02 of the pasted document\n#"), "not split:\n%s", hist);
}

/* A paste after versus is gone reaches the shell without bracket markers:
 * the terminal's bracketed-paste mode was switched off on the way out. */
static void assert_paste_mode_off(const char *when)
{
    rig_paste(&rig, "after-exit");
    cr_assert(rig_wait(&rig, "after-exit", 1, 0), "%s: the paste arrives:\n%s", when, rig.screen);
    cr_assert(!strstr(rig.screen, "[200~"), "%s: bracketed paste left on:\n%s", when, rig.screen);
}

Test(tui_input, bracketed_paste_is_switched_off_on_quit)
{
    start("-m openai:happy");
    rig_keys(&rig, "':q' Enter");
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, 0), "%s", rig.screen);
    assert_paste_mode_off("after :q");
}

Test(tui_input, bracketed_paste_is_switched_off_after_a_crash)
{
    start("-m openai:happy");
    pid_t pid = rig_versus_pid(&rig);
    cr_assert_gt(pid, 0, "versus runs in the pane");
    kill(pid, SIGSEGV);
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-", 1, 0), "%s", rig.screen);
    assert_paste_mode_off("after SIGSEGV");
}

Test(tui_input, bracketed_paste_is_switched_off_after_sigterm_and_the_exit_is_clean)
{
    start("-m openai:happy");
    pid_t pid = rig_versus_pid(&rig);
    cr_assert_gt(pid, 0, "versus runs in the pane");
    kill(pid, SIGTERM);
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, 0), "SIGTERM quits cleanly:\n%s", rig.screen);
    assert_paste_mode_off("after SIGTERM");
}

/* Observation 3: `:prompt NAME` said "loaded" and left the line empty. */
Test(tui_input, prompt_name_puts_the_library_prompt_on_the_line_and_enter_sends_it)
{
    start("-m openai:echo");
    rig_keys(&rig, "':prompt extraction/invoice-fields' Enter");
    cr_assert(rig_wait(&rig, "loaded", 1, 0), "%s", rig.screen);
    /* the prompt rows show the end of the loaded text, where the cursor is */
    cr_assert(rig_wait(&rig, "Total        EUR 5,910.00", 1, 0), "the text is on the prompt line:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "Type a prompt"), "and not sent yet:\n%s", rig.screen);
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "Extract the following fields", 1, 0), "the whole prompt was sent, from its first line:\n%s",
              rig.screen);
    cr_assert(strstr(rig.screen, "Nordlicht Software GmbH"), "%s", rig.screen);
}

Test(tui_input, tab_completes_prompt_names_from_the_short_name)
{
    start("-m openai:echo");
    rig_keys(&rig, "':prompt invoice' Tab");
    cr_assert(rig_wait(&rig, ":prompt extraction/invoice-fields", 1, 0), "completed:\n%s", rig.screen);
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "Total        EUR 5,910.00", 1, 0), "loaded onto the line:\n%s", rig.screen);
}

/* `:prompts` squeezed 18 names onto one line ending in "…". Now: a list,
 * one prompt a line with its category and title, arrows and Enter. */
/* Library rows on the screen: lines holding CATEGORY/NAME. */
static int library_rows(TmuxRig *r)
{
    int lines = 0;
    char line[1024];
    for (int y = 0; y < 48; y++) {
        rig_line(r, y, line, sizeof line);
        if (strstr(line, "/") && (strstr(line, "extraction") || strstr(line, "code") || strstr(line, "reasoning") ||
                                  strstr(line, "sensitive") || strstr(line, "summarisation") ||
                                  strstr(line, "classification")))
            lines++;
    }
    return lines;
}

static bool whole_library(TmuxRig *r, const void *arg)
{
    (void)arg;
    return library_rows(r) >= 18;
}

Test(tui_input, the_library_is_a_browsable_list_one_prompt_a_line)
{
    start("-m openai:echo");
    rig_keys(&rig, "':prompts' Enter");
    cr_assert(rig_wait(&rig, "prompt library", 1, 0), "%s", rig.screen);
    /* a capture can come while the list is still being drawn: wait for it */
    cr_assert(rig_wait_for(&rig, whole_library, NULL, 0), "18 prompts on lines of their own:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "Pull invoice fields into JSON"), "with their titles:\n%s", rig.screen);
    cr_assert(!strstr(rig.screen, "\xe2\x80\xa6\n"), "nothing cut short:\n%s", rig.screen);
    /* the list is sorted: classification/ comes first; two down is its third */
    rig_keys(&rig, "Down Down Enter");
    cr_assert(rig_wait(&rig, "loaded", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait_gone(&rig, "prompt library", 0), "the list closes:\n%s", rig.screen);
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "Classify each support ticket", 1, 0), "the third prompt was sent:\n%s", rig.screen);
}

/* tryout1 #24: the history holds prompts, restricted ones too: it is the
 * user's alone (0600), like sessions and exports, whatever the umask. */
Test(tui_input, the_prompt_history_file_is_private)
{
    umask(022);
    start("-m openai:happy");
    rig_type(&rig, "a prompt for the history");
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "  done", 1, 0), "one round:\n%s", rig.screen);
    char path[600];
    snprintf(path, sizeof path, "%s/state/versus/history", rig.dir);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "no history file at %s", path);
    cr_assert_eq(st.st_mode & 0777, 0600, "history mode %o", (unsigned)(st.st_mode & 0777));
    /* readline rewrites it on the way out: still private */
    rig_type(&rig, ":q");
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, 0), "quit:\n%s", rig.screen);
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "history mode after quit %o", (unsigned)(st.st_mode & 0777));
}

/* Tryout 2 #11: a typo'd `:` command emptied the line and named nothing; now
 * the line stays to be fixed and the message names the command meant. */
Test(tui_input, a_mistyped_command_keeps_the_line_and_suggests_the_nearest)
{
    start("-m openai:happy");
    rig_type(&rig, ":modles openai:happy.ms10 openai:happy");
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "(did you mean :models?)", 1, 0), "the command meant:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "> :modles openai:happy.ms10 openai:happy", 1, 0), "the line is kept:\n%s", rig.screen);
    /* fix it in place: to the start, past ":modle", swap "le" for "el" */
    rig_keys(&rig, "C-a Right Right Right Right Right Right BSpace BSpace e l Enter");
    cr_assert(rig_wait(&rig, "models for the next round", 1, 0), "the fixed line runs:\n%s", rig.screen);
    rig_type(&rig, ":set temprature 1");
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "(did you mean temperature?)", 1, 0), "the parameter meant:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "> :set temprature 1", 1, 0), "the line is kept:\n%s", rig.screen);
}
