/* test_tui_e2e_conversation.c — conversations (issue 11, observation 9): a
 * follow-up reaches each model with its own history (the earlier prompts and
 * that model's own replies), the screen shows the turn, :new and F6 start
 * afresh, the session records each round's turn and labels per turn,
 * `versus run --continue SESSION` does the same from the command line, and
 * exports keep the whole conversation (versus, promptfoo messages, OpenAI
 * evals input). The fake provider's "history" model answers with every
 * message it received, so what each model saw is on screen. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "store/fixture.h"
#include "store/session.h"
#include "tui/rig_test.h"
#include "testenv.h"
#include "tui/tmux_driver.h"
#include "util/clock.h"

static TmuxRig rig;
static FakeProv *fake;
static char home[256];

static void start(const char *args)
{
    RigOptions o = { .cols = 160, .rows = 45 };
    RIG_OPEN(&rig, args, &o, "\n>");
}

static void stop(void)
{
    rig_stop(&rig);
    if (fake)
        fakeprov_stop(fake);
    fake = NULL;
    vchild_rm_tree(home);
    home[0] = '\0';
}

TestSuite(tui_conversation, .fini = stop, .timeout = 900);

/* The session in dir (the only one). NULL when there is none. */
static Session *only_session(const char *data_dir)
{
    char dir[600], path[1200], err[256];
    snprintf(dir, sizeof dir, "%s/versus/sessions", data_dir);
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    struct dirent *de;
    path[0] = '\0';
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0)
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    return path[0] ? session_load(path, err, sizeof err) : NULL;
}

/* The session in data_dir once ok() holds for it, or NULL when it did not
 * come while versus kept writing: the wait ends only when the session file
 * has not changed for RIG_QUIET_MS (an event that will not come). */
static Session *wait_session(const char *data_dir, bool (*ok)(const Session *s))
{
    char last[64] = "", now[64];
    double still_since = clock_now_ms();
    for (;;) {
        Session *s = only_session(data_dir);
        if (s && ok(s))
            return s;
        snprintf(now, sizeof now, "%zu/%d", s ? s->n_rounds : 0,
                 s && s->n_rounds ? (int)s->rounds[s->n_rounds - 1].replies[0]->status : -1);
        session_free(s);
        if (strcmp(now, last) != 0) {
            snprintf(last, sizeof last, "%s", now);
            still_since = clock_now_ms();
        } else if (clock_now_ms() - still_since > RIG_QUIET_MS) {
            return NULL;
        }
        rig_nap(50);
    }
}

static bool round_done(const Session *s, size_t i)
{
    return s->n_rounds > i && s->rounds[i].replies[0]->status != REPLY_STREAMING &&
           s->rounds[i].replies[0]->status != REPLY_WAITING;
}

static bool three_rounds_done(const Session *s)
{
    return s->n_rounds == 3 && round_done(s, 2);
}

static bool four_rounds_done(const Session *s)
{
    return s->n_rounds == 4 && round_done(s, 3);
}

static void send(const char *prompt)
{
    char keys[512];
    snprintf(keys, sizeof keys, "'%s' Enter", prompt);
    rig_keys(&rig, keys);
}

/* The follow-up: "and which one compiles faster?" reached each model
 * with no context. Pane 1 (echo) answers with the prompt, pane 2 (history)
 * with every message it got: its history must hold its own earlier reply,
 * not pane 1's. */
Test(tui_conversation, a_follow_up_carries_each_panes_own_history_and_the_turn_shows)
{
    start("-m openai:echo -m openai:history");
    send("Explain the difference between Rust and Go in three sentences.");
    cr_assert(rig_wait(&rig, "  done", 2, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "turn 2>", 1, 0), "the prompt says the next prompt is turn 2:\n%s", rig.screen);
    send("and which one compiles faster?");
    cr_assert(rig_wait(&rig, "messages=3", 1, 0), "the follow-up came with the conversation:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "  done", 2, 0), "%s", rig.screen);
    cr_assert(strstr(rig.screen, "[user] Explain the difference between Rust and Go"), "the first prompt:\n%s",
              rig.screen);
    cr_assert(strstr(rig.screen, "[assistant] messages=1"), "its own earlier reply:\n%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "[assistant] Explain the difference"), "never the other pane's:\n%s",
                   rig.screen);
    cr_assert(strstr(rig.screen, "[user] and which one compiles faster?"), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "turn 3>", 1, 0), "%s", rig.screen);
}

Test(tui_conversation, new_and_f6_start_a_fresh_conversation)
{
    start("-m openai:history");
    send("first");
    cr_assert(rig_wait(&rig, "turn 2>", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "':new' Enter");
    cr_assert(rig_wait(&rig, "new conversation", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait_gone(&rig, "turn 2>", 0), "back to turn 1:\n%s", rig.screen);
    send("second");
    cr_assert(rig_wait(&rig, "[user] second", 1, 0), "%s", rig.screen);
    cr_assert(strstr(rig.screen, "messages=1"), "sent alone:\n%s", rig.screen);
    cr_assert(rig_wait(&rig, "turn 2>", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "F6");
    cr_assert(rig_wait_gone(&rig, "turn 2>", 0), "F6 starts afresh too:\n%s", rig.screen);
    send("third");
    cr_assert(rig_wait(&rig, "[user] third", 1, 0), "%s", rig.screen);
    cr_assert(strstr(rig.screen, "messages=1"), "sent alone:\n%s", rig.screen);
}

static bool two_labelled_turns(const Session *s)
{
    return s->n_rounds == 2 && s->rounds[0].conversation && s->rounds[1].conversation &&
           strcmp(s->rounds[0].conversation, s->rounds[1].conversation) == 0 && s->rounds[0].turn == 1 &&
           s->rounds[1].turn == 2 && s->rounds[0].outcome == SESSION_WIN && s->rounds[0].winner == 0 &&
           s->rounds[1].outcome == SESSION_WIN && s->rounds[1].winner == 1;
}

Test(tui_conversation, sessions_record_turns_and_labels_are_given_per_turn)
{
    start("-m openai:echo -m openai:history");
    send("first question");
    cr_assert(rig_wait(&rig, "label turn", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "1 Enter Enter Enter");
    cr_assert(rig_wait(&rig, "labelled winner", 1, 0), "%s", rig.screen);
    send("second question");
    cr_assert(rig_wait(&rig, "messages=3", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "label turn", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "2 Enter Enter Enter");
    cr_assert(rig_wait(&rig, "labelled winner", 1, 0), "%s", rig.screen);
    char data[400];
    snprintf(data, sizeof data, "%s/data", rig.dir);
    Session *s = wait_session(data, two_labelled_turns); /* saved right after the message */
    cr_assert(s, "two turns of one conversation, each labelled");
    session_free(s);
}

/* tryout2 #19: F5 / r rerun the last round: the same turn again, with the
 * same context (a re-roll to see the variance), not the prompt once more as
 * the next turn with each model's first answer in its context. */
Test(tui_conversation, rerun_is_the_same_turn_again_with_the_same_context)
{
    start("-m openai:history");
    send("first");
    cr_assert(rig_wait(&rig, "turn 2>", 1, 0), "%s", rig.screen);
    send("second");
    cr_assert(rig_wait(&rig, "messages=3", 1, 0), "%s", rig.screen);
    cr_assert(rig_wait(&rig, "turn 3>", 1, 0), "%s", rig.screen);
    char data[400];
    snprintf(data, sizeof data, "%s/data", rig.dir);
    rig_keys(&rig, "F5");
    /* the fake answers in milliseconds, so the rerun's own screen (turn 2
     * again) can come and go between two captures on a loaded machine: wait
     * for the event that stays, the rerun saved as a third round */
    Session *s = wait_session(data, three_rounds_done);
    cr_assert(s, "the rerun is saved:\n%s", rig.screen);
    cr_assert_eq(s->rounds[2].turn, 2, "the rerun is turn 2 again");
    session_free(s);
    cr_assert(rig_wait(&rig, "turn 3>", 1, 0), "and the next prompt turn 3 once it ends:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, "messages=3"), "the same context as the round it reruns:\n%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "messages=5"), "not the prompt again as a new turn:\n%s", rig.screen);
    send("third");
    cr_assert(rig_wait(&rig, "messages=5", 1, 0), "the next turn carries turn 1 and the rerun of turn 2:\n%s",
              rig.screen);
    s = wait_session(data, four_rounds_done);
    cr_assert(s, "four rounds saved");
    cr_assert_eq(s->rounds[1].turn, 2);
    cr_assert_eq(s->rounds[2].turn, 2, "the rerun is saved as turn 2 too");
    cr_assert_eq(s->rounds[3].turn, 3);
    session_free(s);
}

/* ---- the command line: versus run --continue, and exports -------------------------- */

static void cli_setup(char ***env)
{
    char err[256];
    fake = fakeprov_start(NULL, err, sizeof err);
    cr_assert(fake, "%s", err);
    snprintf(home, sizeof home, "/tmp/versus-conv-XXXXXX");
    cr_assert(mkdtemp(home));
    char url[300];
    snprintf(url, sizeof url, "%s/v1", fakeprov_url(fake));
    *env = vchild_env_new(home, url);
}

static void versus(char **env, const char *const *args, VResult *r)
{
    char bin[1024];
    if (!vchild_binary(bin, sizeof bin))
        cr_skip_test("versus not built");
    /* the deadline only guards against a hang */
    cr_assert_eq(vchild_run(bin, args, env, NULL, 600000, false, r), 0);
}

Test(tui_conversation, run_continue_sends_each_model_its_own_history_and_saves_the_turn)
{
    char **env;
    cli_setup(&env);
    VResult r;
    const char *first[] = { "run", "--save", "-m", "openai:history", "-m", "openai:echo", "first question", NULL };
    versus(env, first, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.out), "messages=1"), "%s", buf_str(&r.out));
    vchild_result_free(&r);
    char data[400];
    snprintf(data, sizeof data, "%s/data", home);
    Session *s = only_session(data);
    cr_assert(s);
    char id[256];
    snprintf(id, sizeof id, "%s", s->id);
    session_free(s);
    const char *next[] = { "run", "--continue", id, "and a follow-up", NULL };
    versus(env, next, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    const char *out = buf_str(&r.out);
    cr_assert(strstr(out, "messages=3\n[user] first question\n[assistant] messages=1\n[user] first question\n"
                          "[user] and a follow-up"),
              "its own reply came back as the assistant's turn:\n%s", out);
    vchild_result_free(&r);
    s = only_session(data);
    cr_assert(s && s->n_rounds == 2, "the follow-up is saved in the same session");
    cr_assert(s->rounds[1].conversation && s->rounds[0].conversation &&
              strcmp(s->rounds[0].conversation, s->rounds[1].conversation) == 0 && s->rounds[1].turn == 2,
              "as turn 2 of the first round's conversation");
    session_free(s);

    /* exports keep the whole conversation */
    const char *label[] = { "sessions", "label", id, "2", "--winner", "openai:history", NULL };
    versus(env, label, &r);
    cr_assert_eq(r.exit_code, 0, "%s%s", buf_str(&r.out), buf_str(&r.err));
    vchild_result_free(&r);
    const char *evals[] = { "export", "--format", "openai-evals", id, NULL };
    versus(env, evals, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    out = buf_str(&r.out);
    const char *a = strstr(out, "\"content\":\"first question\""), *b = strstr(out, "\"role\":\"assistant\""),
               *c = strstr(out, "\"content\":\"and a follow-up\"");
    cr_assert(a && b && c && a < b && b < c, "evals input: the first prompt, the winner's reply, the follow-up:\n%s",
              out);
    vchild_result_free(&r);
    const char *pf[] = { "export", "--format", "promptfoo", id, NULL };
    versus(env, pf, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    out = buf_str(&r.out);
    cr_assert(strstr(out, "messages:"), "promptfoo vars.messages:\n%s", out);
    a = strstr(out, "first question");
    b = strstr(out, "role: \"assistant\"");
    c = b ? strstr(b, "and a follow-up") : NULL; /* vars.prompt holds it too, before the messages */
    cr_assert(a && b && c && a < b && b < c, "the whole conversation in order:\n%s", out);
    vchild_result_free(&r);
    const char *vs[] = { "export", "--format", "versus", id, NULL };
    versus(env, vs, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.out), "\"conversation\":{") && strstr(buf_str(&r.out), "\"turn\":2"), "%s",
              buf_str(&r.out));
    vchild_result_free(&r);
    vchild_env_free(env);
}

/* Every export format carries the conversation and reads it back. */
Test(tui_conversation, exports_keep_the_conversation_and_read_it_back)
{
    char err[512];
    Session *s = session_new("/tmp", err, sizeof err);
    cr_assert(s, "%s", err);
    static const char *const prompts[] = { "first question", "and a follow-up" };
    static const char *const answers[2][2] = { { "A1 from history", "B1 from echo" }, { "A2", "B2" } };
    for (int t = 0; t < 2; t++) {
        Reply *rs[2];
        for (int k = 0; k < 2; k++) {
            rs[k] = reply_new(k ? "openai:echo" : "openai:history", "openai", k ? "echo" : "history");
            buf_append(&rs[k]->text, answers[t][k], strlen(answers[t][k]));
            rs[k]->status = REPLY_OK;
        }
        Request rq = { .prompt = prompts[t], .system = "be brief" };
        long r = session_add_round(s, &rq, rs, 2, NULL, err, sizeof err);
        cr_assert_geq(r, 0, "%s", err);
        cr_assert_eq(session_set_turn(s, (size_t)r, "conv-1", t + 1, err, sizeof err), 0, "%s", err);
        SessionLabel l = { .outcome = SESSION_WIN, .winner = 1 };
        cr_assert_eq(session_label_round(s, (size_t)r, &l, err, sizeof err), 0, "%s", err);
        for (int k = 0; k < 2; k++)
            reply_free(rs[k]);
    }
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0, "%s", err);
    cr_assert_eq(set.n, 2);
    /* the follow-up carries the winner's (echo's) side */
    cr_assert_eq(set.cases[1].n_history, 2);
    cr_assert_str_eq(set.cases[1].history[0].content, "first question");
    cr_assert_str_eq(set.cases[1].history[1].role, "assistant");
    cr_assert_str_eq(set.cases[1].history[1].content, "B1 from echo");
    static const FixtureFormat formats[] = { FIXTURE_VERSUS, FIXTURE_PROMPTFOO, FIXTURE_OPENAI_EVALS };
    for (size_t f = 0; f < 3; f++) {
        Buf out = { 0 };
        cr_assert_eq(fixture_write(&set, formats[f], &out, err, sizeof err), 0, "%s", err);
        FixtureSet back = { 0 };
        cr_assert_eq(fixture_read(buf_str(&out), out.len, formats[f], &back, err, sizeof err), 0, "%s: %s\n%s",
                     fixture_format_name(formats[f]), err, buf_str(&out));
        cr_assert_eq(back.n, 2, "%s", fixture_format_name(formats[f]));
        const FixtureCase *c = &back.cases[1];
        cr_assert_eq(c->n_history, 2, "%s keeps the history:\n%s", fixture_format_name(formats[f]), buf_str(&out));
        cr_assert_str_eq(c->history[0].role, "user");
        cr_assert_str_eq(c->history[0].content, "first question");
        cr_assert_str_eq(c->history[1].content, "B1 from echo");
        cr_assert_str_eq(c->r.prompt, "and a follow-up");
        cr_assert_eq(c->r.turn, 2, "%s", fixture_format_name(formats[f]));
        cr_assert_eq(back.cases[0].n_history, 0, "the first turn has none");
        fixture_set_free(&back);
        buf_free(&out);
    }
    fixture_set_free(&set);
    session_free(s);
}

/* The local engine gets the conversation too (its chat template's message
 * array): a follow-up's prompt holds the first turn, so it is longer than
 * the first prompt and its reply together. */
static long input_tokens(const char *json_text)
{
    cJSON *j = cJSON_Parse(json_text);
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "results"), 0);
    const cJSON *in = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "usage"), "input_tokens");
    long v = cJSON_IsNumber(in) ? (long)in->valuedouble : -1;
    cJSON_Delete(j);
    return v;
}

Test(tui_conversation, run_continue_gives_a_local_model_its_history)
{
    char model[600] = "local:";
    if (!testenv_shared("models/stories260K.gguf", model + 6, sizeof model - 6))
        cr_skip_test("VERSUS_SHARED not set");
    char **env;
    cli_setup(&env);
    VResult r;
    const char *first[] = { "run", "--save", "-n", "8", "-f", "json", "-m", model, "Once upon a time", NULL };
    versus(env, first, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    long in1 = input_tokens(buf_str(&r.out));
    vchild_result_free(&r);
    char data[400];
    snprintf(data, sizeof data, "%s/data", home);
    Session *s = only_session(data);
    cr_assert(s);
    char id[256];
    snprintf(id, sizeof id, "%s", s->id);
    session_free(s);
    const char *next[] = { "run", "--continue", id, "-n", "8", "-f", "json", "Then what?", NULL };
    versus(env, next, &r);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    long in2 = input_tokens(buf_str(&r.out));
    vchild_result_free(&r);
    cr_assert_gt(in1, 0);
    cr_assert_gt(in2, in1 + 8, "turn 2's prompt (%ld tokens) holds turn 1 (%ld + its 8-token reply)", in2, in1);
    vchild_env_free(env);
}

/* Tryout 2 #35: F6 / :new after a finished round that was not labelled said
 * nothing about it. */
Test(tui_conversation, a_new_conversation_says_which_turn_was_left_unlabelled_and_how_to_label_it)
{
    start("-m openai:happy -m openai:happy.ms10");
    rig_keys(&rig, "'Say hello' Enter");
    cr_assert(rig_wait(&rig, "label turn 1", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "F6");
    cr_assert(rig_wait(&rig, "turn 1 left unlabelled (versus sessions label ", 1, 0), "said on F6:\n%s", rig.screen);
    cr_assert(strstr(rig.screen, " 1 --winner N|tie|both-bad labels it later)"), "the round to label:\n%s",
              rig.screen);
    /* labelled: nothing to say */
    rig_keys(&rig, "t Enter");
    cr_assert(rig_wait(&rig, "note (Enter to skip)", 1, 0), "%s", rig.screen);
    rig_keys(&rig, "Enter Enter");
    cr_assert(rig_wait(&rig, "labelled tie", 1, 0), "%s", rig.screen);
    rig_type(&rig, ":new");
    rig_keys(&rig, "Enter");
    cr_assert(rig_wait(&rig, "a new conversation", 1, 0), "%s", rig.screen);
    cr_assert_null(strstr(rig.screen, "left unlabelled"), "a labelled turn is not 'left':\n%s", rig.screen);
}
