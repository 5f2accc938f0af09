/* test_tui_e2e_rounds.c — nothing typed loses a round: a round is saved as
 * soon as it starts and updated while it streams (partial replies kept and
 * marked), a prompt sent mid-stream asks before stopping anything, Esc from
 * a pane never stops a stream and from the prompt asks first, `s` stops
 * only the focused pane, and quitting while streaming asks and saves.
 * The real binary in tmux against the loopback fake provider. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/session.h"
#include "tui/rig_test.h"
#include "testenv.h"
#include "tui/tmux_driver.h"

static TmuxRig rig;

static void start(const char *args)
{
    RIG_OPEN(&rig, args, NULL, "Type a prompt");
}

static void stop(void)
{
    rig_stop(&rig);
}

TestSuite(tui_rounds, .fini = stop, .timeout = 900);

/* The only session file's path ("" when there is none yet). */
static void session_path(char *out, size_t outlen) { testenv_session_file(rig.dir, out, outlen); }

/* The session as the store reads it, or NULL when there is none yet. */
static Session *load_session(void)
{
    char path[1024], err[256];
    session_path(path, sizeof path);
    return path[0] ? session_load(path, err, sizeof err) : NULL;
}

typedef bool (*SessionCheck)(const Session *s);

/* Polls the session file until check(s) holds. The file is rewritten as
 * the round streams, so this waits for an event; it gives up when the file
 * stayed the same for RIG_QUIET_MS, or at the driver's last guard. */
static bool wait_session(SessionCheck check)
{
    char last[1024] = "";
    double changed = 0, waited = 0;
    for (;;) {
        Session *s = load_session();
        bool ok = s && check(s);
        char stamp[1024] = "";
        if (s)
            snprintf(stamp, sizeof stamp, "%zu:%.6f", s->n_rounds, s->updated_s);
        session_free(s);
        if (ok)
            return true;
        if (strcmp(stamp, last) != 0) {
            snprintf(last, sizeof last, "%s", stamp);
            changed = waited;
        }
        if (waited - changed > RIG_QUIET_MS || waited > RIG_MAX_WAIT_MS)
            return false;
        rig_nap(100); /* the screen streams: waiting for it to settle would wait for the end */
        waited += 100;
    }
}

static const Reply *reply_of(const Session *s, size_t round, size_t i)
{
    return round < s->n_rounds && i < s->rounds[round].n_replies ? s->rounds[round].replies[i] : NULL;
}

static bool started_round(const Session *s)
{
    const Reply *r = reply_of(s, 0, 0);
    return r && strcmp(s->rounds[0].prompt, "Go on forever") == 0;
}

static bool streaming_partial(const Session *s)
{
    const Reply *r = reply_of(s, 0, 0);
    return r && r->status == REPLY_STREAMING && strncmp(buf_str(&r->text), "Hello from..", 12) == 0;
}

static bool grew(const Session *s)
{
    const Reply *r = reply_of(s, 0, 0);
    return r && r->status == REPLY_STREAMING && r->text.len >= 20;
}

static bool two_rounds_first_stopped(const Session *s)
{
    const Reply *a = reply_of(s, 0, 0), *b = reply_of(s, 0, 1);
    return s->n_rounds == 2 && strcmp(s->rounds[1].prompt, "second prompt") == 0 && a && b &&
           a->status == REPLY_CANCELLED && b->status == REPLY_CANCELLED && a->incomplete && b->incomplete &&
           strncmp(buf_str(&a->text), "Hello from", 10) == 0;
}

static bool partial_cancelled(const Session *s)
{
    const Reply *r = reply_of(s, 0, 0);
    return r && r->status == REPLY_CANCELLED && r->incomplete && strncmp(buf_str(&r->text), "Hello from", 10) == 0;
}

/* Waits until every key sent so far was handled: types a marker and waits
 * for it on the prompt line, then erases it. */
static void sync_keys(void)
{
    rig_keys(&rig, "'zz9sync'");
    cr_assert(rig_wait(&rig, "zz9sync", 1, 0), "the keys were handled:\n%s", rig.screen);
    rig_keys(&rig, "C-u");
    cr_assert(rig_wait_gone(&rig, "zz9sync", 0), "%s", rig.screen);
}

Test(tui_rounds, a_round_is_saved_as_it_starts_and_updated_while_it_streams)
{
    start("-m openai:never-ends.ms50");
    rig_keys(&rig, "'Go on forever' Enter");
    cr_assert(rig_wait(&rig, "streaming", 1, 0), "%s", rig.screen);
    /* the round is in the session file while it streams, with what came so far */
    cr_assert(wait_session(started_round), "saved as it started");
    cr_assert(wait_session(streaming_partial), "a partial reply, marked streaming");
    cr_assert(wait_session(grew), "updated as it streams");
}

Test(tui_rounds, a_prompt_sent_mid_stream_asks_and_keeps_the_running_round)
{
    start("-m openai:never-ends.ms50 -m openai:never-ends.ms70");
    rig_keys(&rig, "'first prompt' Enter");
    cr_assert(rig_wait(&rig, "  streaming  ", 2, 0), "%s", rig.screen);
    rig_keys(&rig, "'second prompt' Enter");
    cr_assert(rig_wait(&rig, "still streaming", 1, 0), "it asks:\n%s", rig.screen);
    cr_assert_eq(rig_count(&rig, "cancelled"), 0, "nothing was cancelled:\n%s", rig.screen);
    rig_keys(&rig, "n");
    cr_assert(rig_wait(&rig, "> second prompt", 1, 0), "no: the prompt is back on the line:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "  streaming  ", 2, 0), "the round goes on:\n%s", rig.screen);
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "still streaming", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "y");
    /* yes: the first round is stopped and saved as far as it came (marked
     * cancelled and incomplete), the second one starts */
    cr_assert(wait_session(two_rounds_first_stopped), "both rounds in the session");
}

Test(tui_rounds, esc_never_stops_more_than_the_focused_pane_without_asking)
{
    start("-m openai:never-ends.ms50 -m openai:never-ends.ms70");
    rig_keys(&rig, "'Go on forever' Enter");
    cr_assert(rig_wait(&rig, "  streaming  ", 2, 0), "%s", rig.screen);
    /* Esc from a focused pane only returns to the prompt */
    rig_keys(&rig, "Tab");
    rig_keys(&rig, "Escape");
    sync_keys();
    cr_assert_eq(rig_count(&rig, "cancelled"), 0, "Esc on a pane stopped nothing:\n%s", rig.screen);
    cr_assert_eq(rig_count(&rig, "  streaming  "), 2, "%s", rig.screen);
    /* Esc from the prompt asks; n keeps everything going */
    rig_keys(&rig, "Escape");
    cr_assert(rig_wait(&rig, "stop every stream?", 1, 0), "it asks:\n%s", rig.screen);
    rig_keys(&rig, "n");
    sync_keys();
    cr_assert_eq(rig_count(&rig, "cancelled"), 0, "no: nothing stopped:\n%s", rig.screen);
    /* y stops them all */
    rig_keys(&rig, "Escape");
    cr_assert(rig_wait(&rig, "stop every stream?", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "y");
    cr_assert(rig_wait(&rig, "cancelled", 2, 0), "yes: both stopped:\n%s", rig.screen);
}

Test(tui_rounds, s_stops_just_the_focused_pane)
{
    start("-m openai:never-ends.ms50 -m openai:never-ends.ms70");
    rig_keys(&rig, "'Go on forever' Enter");
    cr_assert(rig_wait(&rig, "  streaming  ", 2, 0), "%s", rig.screen);
    rig_keys(&rig, "Tab s");
    cr_assert(rig_wait(&rig, "cancelled", 1, 0), "pane 1 stopped:\n%s", rig.screen);
    char line[1024];
    rig_line(&rig, 0, line, sizeof line);
    char *sep = strstr(line, "\xe2\x94\x82");
    cr_assert(sep, "two panes side by side: '%s'", line);
    *sep = '\0';
    cr_assert(strstr(line, "cancelled"), "pane 1 says cancelled: '%s'", line);
    cr_assert(strstr(sep + 3, "streaming"), "pane 2 goes on: '%s'", sep + 3);
}

Test(tui_rounds, quitting_while_streaming_asks_and_saves_the_partial_round)
{
    start("-m openai:never-ends.ms50");
    rig_keys(&rig, "'Go on forever' Enter");
    cr_assert(rig_wait(&rig, "streaming", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "C-d");
    cr_assert(rig_wait(&rig, "quit?", 1, 0), "Ctrl-D asks:\n%s", rig.screen);
    rig_keys(&rig, "n");
    sync_keys();
    cr_assert(!strstr(rig.screen, "VERSUS-EXITED"), "still running:\n%s", rig.screen);
    rig_keys(&rig, "':q' Enter");
    cr_assert(rig_wait(&rig, "quit?", 1, 0), ":q asks:\n%s", rig.screen);
    rig_keys(&rig, "y");
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, 0), "yes quits:\n%s", rig.screen);
    cr_assert(wait_session(partial_cancelled), "the round is saved with its partial reply, marked");
}
