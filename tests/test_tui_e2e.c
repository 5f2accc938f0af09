/* test_tui_e2e.c — the real workbench in a private tmux server against the
 * loopback fake provider: replies and status bars in every pane, re-layout
 * on resize, a winner key stored in the session file, blind mode hiding the
 * names until the label, Esc (confirmed) cancelling streams. Skips without tmux. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testenv.h"
#include "tui/tmux_driver.h"

#define WAIT_MS 0 /* rig_wait's own quiet limit: wait for events, not a budget */
#define HAPPY "Hello from the fake provider"

static TmuxRig rig;

static void start_with(const char *args, const RigOptions *o)
{
    const char *why = rig_unavailable();
    if (why)
        cr_skip_test("%s", why);
    cr_assert_eq(rig_start_opts(&rig, args, o), 0, "could not start tmux and the fake provider");
    if (!rig_wait(&rig, "F1 help", 1, WAIT_MS)) {
        char path[400], err[2048] = "";
        snprintf(path, sizeof path, "%s/stderr", rig.dir);
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(err, 1, sizeof err - 1, f);
            err[n] = '\0';
            fclose(f);
        }
        cr_assert_fail("the workbench did not start:\n%s\nstderr: %s", rig.screen, err);
    }
}

static void start(const char *args)
{
    start_with(args, NULL);
}

static void stop(void)
{
    rig_stop(&rig);
}

/* the timeout only guards against a hang: waits end on events (tmux_driver.h) */
TestSuite(tui_e2e, .fini = stop, .timeout = 900);

Test(tui_e2e, every_pane_streams_its_reply_with_a_status_bar)
{
    start("-m openai:happy -m openai:happy.ms20");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, HAPPY, 2, WAIT_MS), "both replies shown:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "  done", 2, WAIT_MS), "both status bars say done:\n%s", rig.screen);
    char line[1024];
    rig_line(&rig, 0, line, sizeof line);
    cr_assert(strstr(line, "1 happy ") && strstr(line, "2 happy.ms20 "),
              "side by side status bars on the first row, short names: '%s'", line);
    rig_line(&rig, 1, line, sizeof line);
    cr_assert(strstr(line, "TTFT") && strstr(line, "10 tok") && strstr(line, "unpriced"),
              "the metrics row shows TTFT, tokens, unknown cost: '%s'", line);
}

Test(tui_e2e, a_resize_relays_out_without_losing_text)
{
    start("-m openai:happy -m openai:happy.ms5");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 2, WAIT_MS), "%s", rig.screen);
    rig_resize(&rig, 60, 40);
    /* narrow: the panes stack, so pane 2's status bar starts a row of its own */
    bool stacked = false;
    for (int tries = 0; tries < 300 && !stacked; tries++) {
        rig_wait(&rig, "2 happy.ms5", 1, WAIT_MS);
        char line[1024];
        for (int y = 1; y < 40; y++) {
            rig_line(&rig, y, line, sizeof line);
            if (strncmp(line, "2 happy.ms5", 11) == 0)
                stacked = true;
        }
    }
    cr_assert(stacked, "pane 2 moved below pane 1:\n%s", rig.screen);
    cr_assert_eq(rig_count(&rig, HAPPY), 2, "both replies still shown after the resize:\n%s", rig.screen);
    rig_resize(&rig, 160, 48);
    cr_assert(rig_wait(&rig, "\xe2\x94\x82" "2 happy.ms5", 1, WAIT_MS), "side by side again:\n%s",
              rig.screen);
}

/* Reads the only session file under the rig's XDG data directory. */
static void read_session(char *out, size_t outlen)
{
    char path[1024];
    cr_assert(testenv_session_file(rig.dir, path, sizeof path), "no session file under %s", rig.dir);
    FILE *f = fopen(path, "r");
    cr_assert(f, "%s", path);
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
}

Test(tui_e2e, a_winner_key_stores_the_label_with_note_and_category)
{
    start("-m openai:happy -m openai:happy.ms10");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "label turn", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "2 Enter"); /* from the prompt a label is a line: "2" and Enter */
    cr_assert(rig_wait(&rig, "note (Enter to skip)", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "'friendlier tone' Enter");
    cr_assert(rig_wait(&rig, "category [", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "summarisation Enter");
    cr_assert(rig_wait(&rig, "labelled winner", 1, WAIT_MS), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "[winner]", 1, WAIT_MS), "%s", rig.screen);
    static char doc[1 << 16];
    read_session(doc, sizeof doc);
    cr_assert(strstr(doc, "\"win\""), "outcome stored:\n%s", doc);
    cr_assert(strstr(doc, "openai:happy.ms10"), "winner stored");
    cr_assert(strstr(doc, "friendlier tone"), "note stored");
    cr_assert(strstr(doc, "summarisation"), "category stored");
}

/* tryout1 #3 in the workbench: in a restricted round the closed API is not
 * sent, and its pane number is refused as the winner with the reason; the
 * pane that answered can still win. */
Test(tui_e2e, a_pane_that_was_not_sent_can_not_be_labelled_the_winner)
{
    char model[1024], args[1200];
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    snprintf(args, sizeof args, "-m local:%s -m openai:happy", model);
    start(args);
    rig_keys(&rig, "':sensitivity restricted' Enter");
    cr_assert(rig_wait(&rig, "sensitivity: restricted", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "'Once upon a time' Enter");
    cr_assert(rig_wait(&rig, "label turn", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "2 Enter");
    cr_assert(rig_wait(&rig, "pane 2 was not sent", 1, WAIT_MS), "refused, saying why:\n%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "note (Enter to skip)"), "no label was begun:\n%s", rig.screen);
    rig_keys(&rig, "1 Enter");
    cr_assert(rig_wait(&rig, "note (Enter to skip)", 1, WAIT_MS), "the pane that answered can win:\n%s", rig.screen);
    rig_keys(&rig, "Enter Enter");
    cr_assert(rig_wait(&rig, "labelled winner", 1, WAIT_MS), "%s", rig.screen);
}

Test(tui_e2e, blind_mode_hides_names_until_the_label_then_reveals)
{
    start("--blind -m openai:happy -m openai:happy.ms10");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "label turn", 1, WAIT_MS), "%s", rig.screen);
    char line[1024];
    rig_line(&rig, 0, line, sizeof line);
    cr_assert(strstr(line, "Model A") && strstr(line, "Model B"), "anonymous names: '%s'", line);
    cr_assert(!strstr(line, "happy"), "no model name before the label: '%s'", line);
    rig_line(&rig, 1, line, sizeof line);
    cr_assert(!strstr(line, "$") && strstr(line, "cost hidden"), "no cost (it would give the model away): '%s'",
              line);
    rig_keys(&rig, "t Enter");
    cr_assert(rig_wait(&rig, "names revealed", 1, WAIT_MS), "%s", rig.screen);
    rig_line(&rig, 0, line, sizeof line);
    cr_assert(strstr(line, "happy ") && strstr(line, "happy.ms10") && !strstr(line, "Model A"),
              "names revealed after the label: '%s'", line);
    rig_keys(&rig, "Enter Enter");
    cr_assert(rig_wait(&rig, "labelled tie", 1, WAIT_MS), "%s", rig.screen);
    /* tryout 3 #9: the session says the label was given blind */
    static char text[1 << 16];
    read_session(text, sizeof text);
    cJSON *doc = cJSON_Parse(text);
    cJSON *label = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rounds"), 0), "label");
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(label, "blind")), "the label is recorded as blind:\n%.3000s", text);
    cJSON_Delete(doc);
}

/* Tryout 2 #29: a pane that was not sent printed its spec in a blind round. */
Test(tui_e2e, blind_mode_keeps_a_not_sent_panes_spec_until_the_label)
{
    start("--blind -m openai:happy -m openai:happy@http://localhost:1/v1");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "label turn", 1, WAIT_MS), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "[not sent]", 1, WAIT_MS), "%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "localhost:1"), "the spec stays hidden:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "shows once the round is labelled"), "and says when it shows:\n%s", rig.screen);
    /* tryout 3 #2: :export before the label wrote every model's name */
    char cmd[600];
    snprintf(cmd, sizeof cmd, ":export %s/blind.md", rig.dir);
    rig_type(&rig, cmd);
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "nothing exported: the export names the models", 1, WAIT_MS), "%s", rig.screen);
    char text[256];
    cr_assert_neq(rig_read(&rig, "blind.md", text, sizeof text), 0, "nothing written");
    rig_keys(&rig, "t Enter"); /* a tie: either pane can be the one not sent */
    cr_assert(rig_wait(&rig, "names revealed", 1, WAIT_MS), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "localhost:1/v1 would send the key", 1, WAIT_MS), "then the reason is shown:\n%s",
              rig.screen);
    rig_keys(&rig, "Enter Enter"); /* no note, no category */
    cr_assert(rig_wait(&rig, "labelled tie", 1, WAIT_MS), "%s", rig.screen);
    rig_type(&rig, cmd); /* labelled: now it exports, saying the label was blind */
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "exported the round to", 1, WAIT_MS), "%s", rig.screen);
    static char md[1 << 14];
    cr_assert_eq(rig_read(&rig, "blind.md", md, sizeof md), 0);
    cr_assert(strstr(md, "**Label:** tie (given blind)"), "%s", md);
    cr_assert(strstr(md, "not_sent \u00b7 cost none"), "a model never asked has no tokens or cost:\n%s", md);
}

Test(tui_e2e, esc_from_the_prompt_asks_then_cancels_every_stream)
{
    start("-m openai:never-ends.ms50 -m openai:never-ends.ms70");
    rig_keys(&rig, "'Go on forever' Enter");
    cr_assert(rig_wait(&rig, "  streaming  ", 2, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "Escape");
    cr_assert(rig_wait(&rig, "stop every stream?", 1, WAIT_MS), "Esc asks first:\n%s", rig.screen);
    rig_keys(&rig, "y");
    cr_assert(rig_wait(&rig, "cancelled", 2, WAIT_MS), "both panes cancelled:\n%s", rig.screen);
    rig_keys(&rig, "':q' Enter");
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, WAIT_MS), ":q exits cleanly:\n%s", rig.screen);
}

/* Tryout 2 #22: after quitting nothing said where the session went. */
Test(tui_e2e, quitting_says_where_the_session_was_saved_and_how_to_export_it)
{
    start("-m openai:happy -m openai:happy.ms10");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "label turn", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "t Enter");
    cr_assert(rig_wait(&rig, "note (Enter to skip)", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "Enter Enter");
    cr_assert(rig_wait(&rig, "labelled tie", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "'Say it again' Enter");
    cr_assert(rig_wait(&rig, "label turn 2", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "':q' Enter");
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, WAIT_MS), "%s", rig.screen);
    cr_assert(strstr(rig.screen, "versus: session "), "the session is named after the screen is restored:\n%s",
              rig.screen);
    cr_assert(strstr(rig.screen, "(2 rounds, 1 labelled)"), "its counts:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "export it with: ") && strstr(rig.screen, "--format versus -o cases.jsonl"),
              "how to export it:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "/sessions/"), "where it is:\n%s", rig.screen);
}

Test(tui_e2e, quitting_with_nothing_saved_prints_nothing)
{
    start("-m openai:happy");
    rig_keys(&rig, "':q' Enter");
    cr_assert(rig_wait(&rig, "VERSUS-EXITED-0", 1, WAIT_MS), "%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "versus: session"), "no session line:\n%s", rig.screen);
}

/* The whole story in one run: a local model next to a closed API,
 * both streaming with live tokens/s, the cost of each, the local pane's VRAM
 * ("no GPU" on a machine without one, never 0) and backend, then one key
 * picks the winner. */
Test(tui_e2e, local_and_api_stream_side_by_side_with_live_rate_cost_and_vram_then_one_key_labels)
{
    char model[1024], args[1200];
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    snprintf(args, sizeof args, "-m local:%s -m openai:long.tps100.deltas400", model);
    /* the machine's cost is stated once: the local pane's cost is estimated from its measured speed */
    RigOptions o = { .config = "{\"local_cost\": {\"gpu_hour_usd\": 2.49}}" };
    start_with(args, &o);
    rig_keys(&rig, "'Once upon a time' Enter");
    /* while the API pane is still streaming (4 s at 100 tokens/s) its rate is live */
    cr_assert(rig_wait(&rig, "streaming", 1, WAIT_MS), "a pane streams:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "tok/s", 1, WAIT_MS), "a live tokens/s figure:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "  done", 2, WAIT_MS), "both finish:\n%s", rig.screen);
    /* wide enough for every status field of two panes */
    rig_resize(&rig, 260, 48);
    cr_assert(rig_wait(&rig, "no GPU", 1, WAIT_MS), "the VRAM field:\n%s", rig.screen);
    char line[1024];
    rig_line(&rig, 0, line, sizeof line);
    cr_assert(strstr(line, "1 stories260K"), "the local pane's status bar: '%s'", line);
    cr_assert(strstr(line, "2 long.tps100"), "the API pane beside it: '%s'", line);
    rig_line(&rig, 1, line, sizeof line); /* the metrics rows */
    cr_assert(strstr(line, "no GPU"), "the local pane says no GPU, not 0: '%s'", line);
    cr_assert(strstr(line, "~$0.0") || strstr(line, "~<$0.0001"),
              "the local model's cost, marked estimated, not $0: '%s'", line);
    cr_assert_null(strstr(line, "$0.00 "), "never a free local model unless the config says so: '%s'", line);
    rig_keys(&rig, "1 Enter");
    cr_assert(rig_wait(&rig, "winner", 1, WAIT_MS), "one key marks the winner:\n%s", rig.screen);
    /* the footer's session totals mark the estimate too, and the total it enters */
    rig_keys(&rig, "Enter Enter");
    cr_assert(rig_wait(&rig, "labelled winner", 1, WAIT_MS), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "total ~", 1, WAIT_MS), "the session total is marked estimated:\n%s", rig.screen);
    const char *foot = strstr(rig.screen, " session: ");
    cr_assert(foot && (strstr(foot, "stories260K.gguf ~$") || strstr(foot, "stories260K.gguf ~<$")),
              "the local model's total is marked estimated:\n%s", rig.screen);
}

Test(tui_e2e, export_writes_the_round_privately_with_secrets_masked)
{
    start("-m openai:happy");
    rig_keys(&rig, "'my key is sk-test-e2e' Enter");
    cr_assert(rig_wait(&rig, "  done", 1, WAIT_MS), "%s", rig.screen);
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s/round.md", rig.dir);
    snprintf(cmd, sizeof cmd, "':export %s' Enter", path);
    rig_keys(&rig, cmd);
    cr_assert(rig_wait(&rig, "exported the round", 1, WAIT_MS), "%s", rig.screen);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s", path);
    cr_assert_eq(st.st_mode & 0777, 0600, "private like every export: %03o", (unsigned)(st.st_mode & 0777));
    static char doc[1 << 16];
    FILE *f = fopen(path, "r");
    cr_assert(f);
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    doc[n] = '\0';
    fclose(f);
    cr_assert(strstr(doc, HAPPY), "the reply is in the file:\n%s", doc);
    cr_assert_null(strstr(doc, "sk-test-e2e"), "the key in the prompt is masked:\n%s", doc);
    cr_assert(strstr(doc, "my key is ***********"), "%s", doc);
}

/* Tryout 2 #24: :export with no FILE named a relative file. */
Test(tui_e2e, export_with_no_file_names_the_absolute_path_written)
{
    start("-m openai:happy");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 1, WAIT_MS), "%s", rig.screen);
    rig_keys(&rig, "':export' Enter");
    cr_assert(rig_wait(&rig, "exported the round to /", 1, WAIT_MS), "an absolute path:\n%s", rig.screen);
    const char *p = strstr(rig.screen, "exported the round to ") + strlen("exported the round to ");
    char path[1024];
    size_t n = strcspn(p, " \n");
    snprintf(path, sizeof path, "%.*s", (int)n, p);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "the file named is there: %s", path);
    unlink(path);
}

/* Tryout 2 #20: a reply cut at the token limit looked finished, in its pane
 * and in the :export. */
Test(tui_e2e, a_reply_cut_at_the_token_limit_says_so_in_its_pane_and_the_export)
{
    start("-m openai:length");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 1, WAIT_MS), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "[stopped at the token limit", 1, WAIT_MS), "the pane says it was cut:\n%s",
              rig.screen);
    char path[512], cmd[600];
    snprintf(path, sizeof path, "%s/round.md", rig.dir);
    snprintf(cmd, sizeof cmd, "':export %s' Enter", path);
    rig_keys(&rig, cmd);
    cr_assert(rig_wait(&rig, "exported the round", 1, WAIT_MS), "%s", rig.screen);
    static char doc[1 << 16];
    cr_assert_eq(rig_read(&rig, "round.md", doc, sizeof doc), 0);
    cr_assert(strstr(doc, "[stopped at the token limit"), "the export says it was cut:\n%s", doc);
}

/* Issue 14 in the workbench: :set reasoning asks for it, each pane shows the
 * reasoning apart from the answer with its own token count, the status bar
 * counts the reasoning tokens, and :reasoning hide folds it to one line. */
Test(tui_e2e, reasoning_is_shown_apart_with_its_token_count_and_folds_on_request)
{
    start("-m openai:o4-mini -m openai:gpt-4o-mini");
    rig_keys(&rig, "':set reasoning high' Enter");
    cr_assert(rig_wait(&rig, "reasoning=high", 1, WAIT_MS), "the parameter is set:\n%s", rig.screen);
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "  done", 2, WAIT_MS), "both replies end:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "\u25be reasoning \u00b7 24 tokens", 1, WAIT_MS),
              "the reasoning model's pane opens with its reasoning and token count:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "The user says hello", 1, WAIT_MS), "the reasoning text:\n%s", rig.screen);
    cr_assert_eq(rig_count(&rig, HAPPY), 2, "both answers:\n%s", rig.screen);
    char line[1024];
    rig_line(&rig, 1, line, sizeof line);
    cr_assert(strstr(line, "24 think"), "the metrics row counts the reasoning tokens: '%s'", line);
    rig_keys(&rig, "':reasoning hide' Enter");
    cr_assert(rig_wait(&rig, "\u25b8 reasoning \u00b7 24 tokens \u00b7 hidden", 1, WAIT_MS), "folded:\n%s",
              rig.screen);
    cr_assert(rig_wait_gone(&rig, "The user says hello", WAIT_MS), "its text is gone:\n%s", rig.screen);
    cr_assert_eq(rig_count(&rig, HAPPY), 2, "the answers stay:\n%s", rig.screen);
}
