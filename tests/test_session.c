/* test_session.c — sessions: JSON round trip, labels, secrets kept out of the
 * file, hostile files refused, and the atomic-save guarantee under SIGKILL. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/candidate.h"
#include "store/fixture.h"
#include "store/jsonio.h"
#include "store/session.h"
#include "util/file.h"
#include "testenv.h"

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-test-session-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void rm_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *de;
    char p[512];
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' || strlen(de->d_name) > 2) {
            snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
            unlink(p);
        }
    closedir(d);
    rmdir(tmpdir);
}

/* A finished reply with text, usage, metrics and a two-chunk recording. */
static Reply *sample_reply(const char *spec, const char *provider, const char *model, const char *text,
                           bool fail)
{
    Reply *r = reply_new(spec, provider, model);
    r->recording.enabled = true;
    reply_start(r, 100.0);
    r->recording.http_status = 200;
    reply_record(r, "data: {\"x\":1}\n\n", 15, 150.0);
    reply_record(r, "data: [DONE]\n\n\xff", 15, 180.5);
    StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
    ev.text = text;
    ev.len = strlen(text);
    reply_apply_event(r, &ev, 160.0);
    reply_apply_event(r, &ev, 170.0);
    Usage u = usage_unknown();
    u.input_tokens = 12;
    u.output_tokens = 7;
    StreamEvent ue = stream_event_init(STREAM_EVENT_USAGE);
    ue.usage = u;
    reply_apply_event(r, &ue, 175.0);
    StreamEvent fe = stream_event_init(STREAM_EVENT_FINISH);
    fe.finish_reason = "stop";
    reply_apply_event(r, &fe, 176.0);
    if (fail)
        reply_fail(r, 429, "rate_limit", "slow down", 300.0);
    if (fail)
        reply_set_hint(r, "wait a minute");
    else
        reply_finish(r, 200.0);
    r->metrics.cost_usd = 0.00125;
    return r;
}

static Session *sample_session(void)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *a = sample_reply("openai:gpt-4o-mini", "openai", "gpt-4o-mini", "Paris ", false);
    Reply *b = sample_reply("local:smol.gguf", "local", "smol.gguf", "Lyon\xc3", true);
    Reply *reps[2] = { a, b };
    Request rq = { .system = "Be brief.", .prompt = "Capital of France?", .params = params_default(),
                   .sensitivity = SENSITIVITY_INTERNAL };
    rq.params.temperature = 0.25;
    rq.params.max_tokens = 64;
    double vram[2] = { -1, 812.5 };
    cr_assert_eq(session_add_round(s, &rq, reps, 2, vram, err, sizeof err), 0, "%s", err);
    rq.prompt = "second";
    rq.system = NULL;
    cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), 1, "%s", err);
    reply_free(a);
    reply_free(b);
    return s;
}

Test(session, save_load_round_trip_keeps_every_field, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256];
    Session *s = sample_session();
    SessionLabel lab = { .outcome = SESSION_WIN, .winner = 0, .note = "terse and right", .category = "geo" };
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), 0, "%s", err);
    Assertion a;
    cr_assert_eq(assertion_from_arg("contains:Paris", &a, err, sizeof err), 0);
    cr_assert_eq(session_add_assertion(s, 0, &a, err, sizeof err), 0);
    assertion_free(&a);
    cr_assert_eq(session_save(s, err, sizeof err), 0, "%s", err);
    struct stat st;
    cr_assert_eq(stat(s->path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "session files are private");

    Session *t = session_load(s->path, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    cr_assert_str_eq(t->id, s->id);
    cr_assert_eq(t->n_rounds, 2);
    SessionRound *r = &t->rounds[0];
    cr_assert_str_eq(r->prompt, "Capital of France?");
    cr_assert_str_eq(r->system, "Be brief.");
    cr_assert_null(t->rounds[1].system);
    cr_assert_eq(r->sensitivity, SENSITIVITY_INTERNAL);
    cr_assert_float_eq(r->params.temperature, 0.25, 1e-12);
    cr_assert_eq(r->params.max_tokens, 64);
    cr_assert(isnan(r->params.top_p));
    cr_assert_eq(r->n_replies, 2);
    cr_assert_eq(r->outcome, SESSION_WIN);
    cr_assert_eq(r->winner, 0);
    cr_assert_str_eq(r->note, "terse and right");
    cr_assert_str_eq(r->category, "geo");
    cr_assert_eq(r->n_assertions, 1);
    cr_assert_eq(r->assertions[0].kind, ASSERT_CONTAINS);
    cr_assert_eq(t->rounds[1].outcome, SESSION_UNLABELLED);

    Reply *ra = r->replies[0], *rb = r->replies[1];
    cr_assert_str_eq(ra->spec, "openai:gpt-4o-mini");
    cr_assert_str_eq(buf_str(&ra->text), "Paris Paris ");
    cr_assert_eq(ra->status, REPLY_OK);
    cr_assert_str_eq(ra->finish_reason, "stop");
    cr_assert_eq(ra->usage.input_tokens, 12);
    cr_assert_eq(ra->usage.output_tokens, 7);
    cr_assert_eq(ra->usage.reasoning_tokens, -1);
    cr_assert_float_eq(ra->metrics.ttft_ms, 60.0, 1e-9);
    cr_assert_float_eq(ra->metrics.total_ms, 100.0, 1e-9);
    cr_assert_float_eq(ra->metrics.cost_usd, 0.00125, 1e-12);
    /* recording: raw bytes (an invalid UTF-8 byte included) and arrival times */
    cr_assert(ra->recording.enabled);
    cr_assert_eq(ra->recording.n_chunks, 2);
    cr_assert_eq(ra->recording.bytes.len, 30);
    cr_assert(memcmp(ra->recording.bytes.data + 15, "data: [DONE]\n\n\xff", 15) == 0);
    cr_assert_float_eq(ra->recording.chunks[1].t_ms, 80.5, 1e-9);
    cr_assert_eq(ra->recording.chunks[1].offset, 15);
    cr_assert_eq(r->vram_mib[0], -1);
    cr_assert_float_eq(r->vram_mib[1], 812.5, 1e-9);
    /* the error and the incomplete flag; invalid UTF-8 text became U+FFFD */
    cr_assert_eq(rb->status, REPLY_ERROR);
    cr_assert_eq(rb->http_status, 429);
    cr_assert_str_eq(rb->error_type, "rate_limit");
    cr_assert_str_eq(rb->error_message, "slow down");
    cr_assert_str_eq(rb->error_hint, "wait a minute");
    cr_assert(rb->incomplete);
    cr_assert_str_eq(buf_str(&rb->text), "Lyon\xef\xbf\xbdLyon\xef\xbf\xbd");
    session_free(t);
    session_free(s);
}

Test(session, label_rejects_bad_round_and_winner, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256];
    Session *s = sample_session();
    SessionLabel lab = { .outcome = SESSION_WIN, .winner = 2 };
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), -1);
    cr_assert(strstr(err, "winner"));
    lab.winner = 1;
    cr_assert_eq(session_label_round(s, 5, &lab, err, sizeof err), -1);
    cr_assert(strstr(err, "no round 6"));
    lab = (SessionLabel){ .outcome = SESSION_TIE, .winner = 1 };
    cr_assert_eq(session_label_round(s, 1, &lab, err, sizeof err), 0);
    cr_assert_eq(s->rounds[1].winner, -1, "a tie has no winner");
    cr_assert_eq(session_round_find(&s->rounds[0], "gpt-4o-mini"), 0);
    cr_assert_eq(session_round_find(&s->rounds[0], "local:smol.gguf"), 1);
    cr_assert_eq(session_round_find(&s->rounds[0], "nobody"), -1);
    session_free(s);
}

/* tryout1 #3: a candidate versus never sent (restricted data, no key) or
 * that ended without a word has no answer to judge: it can not be the
 * winner, and the refusal says which pane and why. */
Test(session, a_candidate_that_was_not_sent_or_said_nothing_can_not_win, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[512];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *local = sample_reply("local:smol.gguf", "local", "smol.gguf", "It stays here.", false);
    Reply *api = reply_new("openai:gpt-4o-mini", "openai", "gpt-4o-mini");
    reply_not_sent(api, "restricted", "restricted data never goes to openai (a closed API)");
    Reply *silent = reply_new("anthropic:claude", "anthropic", "claude");
    reply_start(silent, 0);
    reply_fail(silent, 500, "server_error", "upstream failed", 10);
    Reply *reps[3] = { local, api, silent };
    Request rq = { .prompt = "my diagnosis", .params = params_default(), .sensitivity = SENSITIVITY_RESTRICTED };
    cr_assert_eq(session_add_round(s, &rq, reps, 3, NULL, err, sizeof err), 0, "%s", err);
    SessionLabel lab = { .outcome = SESSION_WIN, .winner = 1 };
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), -1, "a not-sent candidate won");
    cr_assert(strstr(err, "pane 2 (openai:gpt-4o-mini) was not sent"), "%s", err);
    cr_assert(strstr(err, "restricted data never goes to openai"), "says why: %s", err);
    cr_assert_eq(s->rounds[0].outcome, SESSION_UNLABELLED, "the refused label is not stored");
    lab.winner = 2;
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), -1, "a silent failure won");
    cr_assert(strstr(err, "pane 3 (anthropic:claude) gave no answer"), "%s", err);
    lab.winner = 0;
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s->rounds[0].winner, 0);
    lab = (SessionLabel){ .outcome = SESSION_BOTH_BAD, .winner = -1 };
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), 0, "%s", err);
    reply_free(local);
    reply_free(api);
    reply_free(silent);
    session_free(s);
}

Test(session, secrets_from_environment_never_reach_the_file, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256];
    setenv("TEST_VERSUS_API_KEY", "sk-test-0123456789abcdef", 1);
    Session *s = sample_session();
    SessionLabel lab = { .outcome = SESSION_BOTH_BAD, .note = "key was sk-test-0123456789abcdef oops" };
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), 0);
    free(s->rounds[0].replies[1]->error_message);
    s->rounds[0].replies[1]->error_message = strdup("Incorrect API key provided: sk-test-0123456789abcdef");
    cr_assert_eq(session_save(s, err, sizeof err), 0, "%s", err);
    Buf b = { 0 };
    cr_assert_eq(util_read_file(s->path, 1 << 20, &b, err, sizeof err), 0, "%s", err);
    const char *text = b.data;
    cr_assert_null(strstr(text, "sk-test-0123456789abcdef"));
    cr_assert_not_null(strstr(text, "************************"));
    cr_assert_null(strstr(text, "Authorization"));
    buf_free(&b);
    unsetenv("TEST_VERSUS_API_KEY");
    session_free(s);
}

Test(session, hostile_files_give_errors_not_crashes, .init = make_tmpdir, .fini = rm_tmpdir)
{
    static const char *const docs[] = {
        "", "{", "[]", "{\"versus_session\":1}", "{\"versus_session\":99,\"id\":\"x\",\"rounds\":[]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[{}]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[{\"prompt\":\"p\",\"replies\":[{\"spec\":\"a\","
        "\"recording\":{\"bytes\":\"!!\",\"chunks\":[]}}]}]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[{\"prompt\":\"p\",\"replies\":[{\"spec\":\"a\","
        "\"recording\":{\"bytes\":\"YWJj\",\"chunks\":[[0,5]]}}]}]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[{\"prompt\":\"p\",\"replies\":[],"
        "\"label\":{\"outcome\":\"win\",\"winner_index\":3}}]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[{\"prompt\":\"p\",\"label\":{\"outcome\":\"tie\","
        "\"assertions\":[{\"type\":\"regex\",\"value\":\"(\"}]}}]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[{\"prompt\":\"p\",\"sensitivity\":\"secret\"}]}",
        "{\"versus_session\":1,\"id\":\"x\",\"rounds\":[]} trailing",
    };
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/bad.json", tmpdir);
    for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
        FILE *f = fopen(path, "w");
        fputs(docs[i], f);
        fclose(f);
        err[0] = '\0';
        Session *s = session_load(path, err, sizeof err);
        cr_assert_null(s, "document %zu should be refused", i);
        cr_assert(err[0], "document %zu: an error message", i);
    }
    cr_assert_null(session_load("/nonexistent/x.json", err, sizeof err));
}

Test(session, list_and_resolve_find_sessions_by_id_prefix, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256], path[4096];
    Session *s = sample_session();
    cr_assert_eq(session_save(s, err, sizeof err), 0, "%s", err);
    char junk[512];
    snprintf(junk, sizeof junk, "%s/junk.json", tmpdir);
    FILE *f = fopen(junk, "w");
    fputs("not json", f);
    fclose(f);
    snprintf(junk, sizeof junk, "%s/.half.json.tmp.abc", tmpdir);
    f = fopen(junk, "w");
    fputs("{", f);
    fclose(f);
    SessionInfo *info;
    size_t n;
    cr_assert_eq(session_list(tmpdir, &info, &n, err, sizeof err), 0);
    cr_assert_eq(n, 2, "temporary files are not sessions");
    size_t good = info[0].ok ? 0 : 1;
    cr_assert(info[good].ok);
    cr_assert_not(info[1 - good].ok);
    cr_assert_eq(info[good].n_rounds, 2);
    cr_assert_str_eq(info[good].first_prompt, "Capital of France?");
    free(info);
    char prefix[16];
    snprintf(prefix, sizeof prefix, "%.10s", s->id);
    cr_assert_eq(session_resolve(tmpdir, s->id, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(path, s->path);
    cr_assert_eq(session_resolve(tmpdir, prefix, path, sizeof path, err, sizeof err), 0, "%s", err);
    cr_assert_eq(session_resolve(tmpdir, "zzz", path, sizeof path, err, sizeof err), -1);
    session_free(s);
}

/* Every file ending in .json in tmpdir must load. */
static void assert_all_files_load(int iteration)
{
    DIR *d = opendir(tmpdir);
    struct dirent *de;
    char p[512], err[256];
    int seen = 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (de->d_name[0] == '.' || n < 5 || strcmp(de->d_name + n - 5, ".json"))
            continue;
        snprintf(p, sizeof p, "%s/%s", tmpdir, de->d_name);
        Session *s = session_load(p, err, sizeof err);
        cr_assert_not_null(s, "kill %d left a broken file: %s", iteration, err);
        seen += s->n_rounds > 0;
        session_free(s);
    }
    closedir(d);
    (void)seen;
}

Test(session, sigkill_during_saves_never_leaves_a_torn_file, .init = make_tmpdir, .fini = rm_tmpdir,
     .timeout = TESTENV_HANG_S)
{
    char err[256];
    Session *s = sample_session();
    cr_assert_eq(session_save(s, err, sizeof err), 0, "%s", err);
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    for (int it = 0; it < 40; it++) {
        pid_t pid = fork();
        cr_assert_neq(pid, -1);
        if (pid == 0) {
            /* the writer: grow the session and save it again and again */
            Session *w = session_load(s->path, err, sizeof err);
            if (!w)
                _exit(3);
            Reply *big = reply_new("openai:x", "openai", "x");
            reply_start(big, 0);
            StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
            char chunk[4096];
            memset(chunk, 'a' + it % 26, sizeof chunk);
            ev.text = chunk;
            ev.len = sizeof chunk;
            for (int k = 0; k < 16; k++)
                reply_apply_event(big, &ev, k);
            reply_finish(big, 20);
            Request rq = { .prompt = "again", .params = params_default() };
            for (;;) {
                if (w->n_rounds < 12)
                    session_add_round(w, &rq, &big, 1, NULL, err, sizeof err);
                if (session_save(w, err, sizeof err) < 0)
                    _exit(4);
            }
        }
        usleep((useconds_t)(rand() % 30000));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        cr_assert(WIFSIGNALED(status), "writer %d failed on its own (status %d, seed %u)", it, status, seed);
        assert_all_files_load(it);
    }
    session_free(s);
}

Test(candidate, refused_candidates_are_not_sent_with_null_times_old_files_included)
{
    /* Written by versus before the not_sent state: a refused candidate was an
     * error with no attempt and the time since boot as its total. */
    const char *old = "{\"spec\":\"openai:gpt-4o\",\"provider\":\"openai\",\"model\":\"gpt-4o\","
                      "\"status\":\"error\",\"text\":\"\",\"attempts\":0,"
                      "\"error\":{\"http_status\":0,\"type\":\"sensitivity\",\"message\":\"refused\"},"
                      "\"metrics\":{\"ttft_ms\":null,\"total_ms\":1278581.2,\"cost_usd\":0}}";
    cJSON *j = cJSON_Parse(old);
    char err[200];
    Reply *r = candidate_decode(j, NULL, err, sizeof err);
    cJSON_Delete(j);
    cr_assert_not_null(r, "%s", err);
    cr_assert_eq(r->status, REPLY_NOT_SENT);
    cr_assert_lt(r->metrics.total_ms, 0);
    cr_assert(isnan(r->metrics.cost_usd));
    cr_assert_str_eq(r->error_message, "refused");
    /* and it is written back as not_sent with nulls */
    cJSON *o = candidate_encode(r, -1, false);
    cr_assert_str_eq(cJSON_GetObjectItem(o, "status")->valuestring, "not_sent");
    const cJSON *m = cJSON_GetObjectItem(o, "metrics");
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "total_ms")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(m, "cost_usd")));
    cr_assert(cJSON_IsObject(cJSON_GetObjectItem(o, "error")), "the reason is kept");
    cJSON_Delete(o);
    reply_free(r);
    /* an error after sending stays an error */
    j = cJSON_Parse("{\"spec\":\"a:b\",\"status\":\"error\",\"attempts\":1,\"metrics\":{\"total_ms\":12}}");
    r = candidate_decode(j, NULL, err, sizeof err);
    cJSON_Delete(j);
    cr_assert_eq(r->status, REPLY_ERROR);
    cr_assert_float_eq(r->metrics.total_ms, 12, 1e-9);
    reply_free(r);
}

/* A workbench keeps the index of the round it is streaming; when another
 * process appended a round to the same session before the workbench's first
 * save, that save puts the workbench's round after it. The index the
 * workbench keeps must follow, or its later updates and its label land on
 * the other process's round. */
Test(session, a_round_added_here_is_found_where_the_save_put_it, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256];
    Session *a = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(a, "%s", err);
    Reply *rep = sample_reply("openai:gpt-4o-mini", "openai", "gpt-4o-mini", "Paris", false);
    Reply *reps[1] = { rep };
    Request rq = { .prompt = "a0", .params = params_default() };
    cr_assert_eq(session_add_round(a, &rq, reps, 1, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(session_save(a, err, sizeof err), 0, "%s", err);
    cr_assert_eq(session_round_after_save(a, 0), 0);
    /* another process appends */
    Session *b = session_load(a->path, err, sizeof err);
    cr_assert_not_null(b, "%s", err);
    rq.prompt = "b1";
    cr_assert_eq(session_add_round(b, &rq, reps, 1, NULL, err, sizeof err), 1, "%s", err);
    cr_assert_eq(session_save(b, err, sizeof err), 0, "%s", err);
    /* this one adds its next round, at index 1 here, and saves */
    rq.prompt = "a2";
    long mine = session_add_round(a, &rq, reps, 1, NULL, err, sizeof err);
    cr_assert_eq(mine, 1, "%s", err);
    cr_assert_eq(session_save(a, err, sizeof err), 0, "%s", err);
    size_t now = session_round_after_save(a, (size_t)mine);
    cr_assert_eq(now, 2, "the round moved behind the other process's");
    cr_assert_str_eq(a->rounds[now].prompt, "a2");
    cr_assert_eq(session_round_after_save(a, 0), 0, "a round saved before stays");
    SessionLabel l = { .outcome = SESSION_WIN, .winner = 0 };
    cr_assert_eq(session_label_round(a, now, &l, err, sizeof err), 0, "%s", err);
    cr_assert_eq(session_save(a, err, sizeof err), 0, "%s", err);
    Session *disk = session_load(a->path, err, sizeof err);
    cr_assert_not_null(disk, "%s", err);
    cr_assert_eq(disk->n_rounds, 3);
    cr_assert_str_eq(disk->rounds[1].prompt, "b1");
    cr_assert_eq(disk->rounds[1].outcome, SESSION_UNLABELLED, "the other process's round is not labelled");
    cr_assert_eq(disk->rounds[2].outcome, SESSION_WIN, "this one's is");
    session_free(disk);
    session_free(b);
    session_free(a);
    reply_free(rep);
}

/* A turn that was rerun has two rounds; the conversation went on from the
 * latest, so that is what a follow-up (versus run --continue) sends. */
Test(session, the_history_of_a_rerun_turn_is_its_latest_round, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    const char *texts[] = { "first try", "second try" };
    for (int k = 0; k < 2; k++) {
        Reply *rep = sample_reply("openai:gpt-4o-mini", "openai", "gpt-4o-mini", texts[k], false);
        Reply *reps[1] = { rep };
        Request rq = { .prompt = "q1", .params = params_default() };
        long i = session_add_round(s, &rq, reps, 1, NULL, err, sizeof err);
        cr_assert_geq(i, 0, "%s", err);
        s->rounds[i].time_s = 1000.0 + k; /* the rerun came later */
        cr_assert_eq(session_set_turn(s, (size_t)i, "conv-1", 1, err, sizeof err), 0, "%s", err);
        reply_free(rep);
    }
    Message *m;
    size_t n;
    cr_assert_eq(session_history(s, "conv-1", 2, "openai:gpt-4o-mini", &m, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(m[0].content, "q1");
    cr_assert(strstr(m[1].content, "second try"), "the rerun's reply: %s", m[1].content);
    session_history_free(m);
    session_free(s);
}

/* Tryout 3 #9: nothing recorded that a label was given blind, so a blind
 * judgement and a sighted one were the same evidence. The label says so,
 * through the file and every export that has a place for it; relabelling
 * by hand (sighted) clears it. */
Test(session, a_blind_label_is_recorded_through_the_file_and_the_exports, .init = make_tmpdir, .fini = rm_tmpdir)
{
    char err[256];
    Session *s = sample_session();
    SessionLabel lab = { .outcome = SESSION_TIE, .winner = -1, .blind = true };
    cr_assert_eq(session_label_round(s, 0, &lab, err, sizeof err), 0, "%s", err);
    SessionLabel sighted = { .outcome = SESSION_WIN, .winner = 0 };
    cr_assert_eq(session_label_round(s, 1, &sighted, err, sizeof err), 0, "%s", err);
    cr_assert_eq(session_save(s, err, sizeof err), 0, "%s", err);
    Session *t = session_load(s->path, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    cr_assert(t->rounds[0].blind, "the blind label is read back blind");
    cr_assert(!t->rounds[1].blind, "a sighted label is not");
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, t, false, err, sizeof err), 0, "%s", err);
    cr_assert_eq(set.n, 2);
    const FixtureFormat formats[] = { FIXTURE_VERSUS, FIXTURE_PROMPTFOO, FIXTURE_OPENAI_EVALS };
    const char *says[] = { "\"blind\":true", "blind: true", "\"blind\":true" };
    for (size_t f = 0; f < 3; f++) {
        Buf out = { 0 };
        cr_assert_eq(fixture_write(&set, formats[f], &out, err, sizeof err), 0, "%s", err);
        const char *text = buf_str(&out);
        const char *at = strstr(text, says[f]);
        cr_assert(at, "%s says the label was blind:\n%s", fixture_format_name(formats[f]), text);
        cr_assert_null(strstr(at + 1, says[f]), "%s: only the blind one:\n%s", fixture_format_name(formats[f]),
                       text);
        if (formats[f] == FIXTURE_VERSUS) {
            FixtureSet back = { 0 };
            cr_assert_eq(fixture_read(text, out.len, FIXTURE_VERSUS, &back, err, sizeof err), 0, "%s", err);
            cr_assert(back.cases[0].r.blind && !back.cases[1].r.blind, "read back from the versus format");
            fixture_set_free(&back);
        }
        buf_free(&out);
    }
    fixture_set_free(&set);
    /* labelled again by hand, with the names in view */
    SessionLabel again = { .outcome = SESSION_BOTH_BAD, .winner = -1 };
    cr_assert_eq(session_label_round(t, 0, &again, err, sizeof err), 0, "%s", err);
    cr_assert(!t->rounds[0].blind);
    session_free(t);
    session_free(s);
}
