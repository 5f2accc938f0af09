/* test_sessions_safe.c — saved rounds are never lost and hostile files in the
 * sessions folder never hang versus, through the real binary:
 *   - four `versus run --session ID` at once, three times: every round kept,
 *     each process told its own round number;
 *   - a rewrite (appending a round, labelling) keeps keys this version does
 *     not know, at every level of the document;
 *   - temporary files left by a killed save are removed at the next start;
 *   - a FIFO named like a session is refused with a message by sessions
 *     list/show, export and report instead of hanging them;
 *   - re-exporting over a good file when the write fails (file size limit, a
 *     full disk) leaves the good file whole and says why, and the size limit
 *     (SIGXFSZ) is a message, not a silent death.
 * Not for: the session format itself (test_session.c). */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

static FakeProv *fp;
static char home[256];
static char sessions[512];
static char bin[1024];
static char **env;

static void setup(void)
{
    vsuite_home("sessafe", bin, sizeof bin, home, sizeof home);
    snprintf(sessions, sizeof sessions, "%s/data/versus/sessions", home);
    fp = vsuite_fake(NULL);
    env = vchild_env_new(home, fakeprov_url(fp));
}

static void teardown(void)
{
    vsuite_end(&fp, &env, home);
}

TestSuite(sessions_safe, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

static void run_versus(const char *const *args, VResult *r)
{
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, r), 0, "spawn: %s", strerror(errno));
    cr_assert(!r->timed_out, "versus %s did not finish within %d ms; stderr: %s", args[0], DEADLINE_MS,
              buf_str(&r->err));
    cr_assert_eq(r->term_signal, 0, "versus %s died of signal %d; stderr: %s", args[0], r->term_signal,
                 buf_str(&r->err));
}

/* "saved round N of session ID (PATH)" → N, and ID into id. */
static long saved_round(const VResult *r, char *id, size_t idlen)
{
    const char *p = strstr(buf_str(&r->err), "saved round ");
    cr_assert(p, "no 'saved round' in stderr: %s", buf_str(&r->err));
    long n = strtol(p + 12, NULL, 10);
    const char *s = strstr(p, "of session ");
    cr_assert(s);
    s += 11;
    size_t k = strcspn(s, " ");
    if (id)
        snprintf(id, idlen, "%.*s", (int)k, s);
    return n;
}

static cJSON *load_json(const char *path)
{
    char *text = testenv_slurp(path, NULL);
    cr_assert(text, "%s: cannot read it", path);
    cJSON *doc = cJSON_Parse(text);
    cr_assert(doc, "%s is not JSON: %.300s", path, text);
    free(text);
    return doc;
}

static void save_json(const char *path, const cJSON *doc)
{
    char *txt = cJSON_Print(doc);
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fputs(txt, f);
    fclose(f);
    chmod(path, 0600);
    free(txt);
}

static int session_rounds(const char *path)
{
    cJSON *doc = load_json(path);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "rounds"));
    cJSON_Delete(doc);
    return n;
}

/* A new session with one round; its ID into id and its path into path. */
static void first_round(char *id, size_t idlen, char *path, size_t pathlen)
{
    const char *args[] = { "run", "--no-progress", "--save", "-m", "openai:happy", "round zero", NULL };
    VResult r;
    run_versus(args, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_eq(saved_round(&r, id, idlen), 1);
    snprintf(path, pathlen, "%s/%s.json", sessions, id);
    vchild_result_free(&r);
}

Test(sessions_safe, four_processes_appending_at_once_three_times_lose_no_round)
{
    char id[128], path[1024];
    first_round(id, sizeof id, path, sizeof path);
    char prompts[12][32];
    for (int wave = 0; wave < 3; wave++) {
        VChild c[4];
        for (int i = 0; i < 4; i++) {
            snprintf(prompts[wave * 4 + i], sizeof prompts[0], "wave %d process %d", wave, i);
            const char *args[] = { "run", "--no-progress", "--session", id, "-m", "openai:happy",
                                   prompts[wave * 4 + i], NULL };
            cr_assert_eq(vchild_start(bin, args, env, NULL, &c[i]), 0);
        }
        bool told[16] = { false };
        for (int i = 0; i < 4; i++) {
            VResult r;
            vchild_finish(&c[i], DEADLINE_MS, false, &r);
            cr_assert(!r.timed_out && r.exit_code == 0, "process %d: exit %d, stderr %s", i, r.exit_code,
                      buf_str(&r.err));
            long n = saved_round(&r, NULL, 0);
            cr_assert(n >= 2 + wave * 4 && n <= 5 + wave * 4, "process %d was told round %ld in wave %d", i, n,
                      wave);
            cr_assert(!told[n], "two processes were both told they saved round %ld", n);
            told[n] = true;
            vchild_result_free(&r);
        }
        cr_assert_eq(session_rounds(path), 1 + 4 * (wave + 1), "after wave %d the session has %d rounds, not %d",
                     wave, session_rounds(path), 1 + 4 * (wave + 1));
    }
    /* every prompt exactly once */
    cJSON *doc = load_json(path);
    for (int k = 0; k < 12; k++) {
        int seen = 0;
        const cJSON *ro;
        cJSON_ArrayForEach(ro, cJSON_GetObjectItem(doc, "rounds"))
            seen += strcmp(cJSON_GetObjectItem(ro, "prompt")->valuestring, prompts[k]) == 0;
        cr_assert_eq(seen, 1, "prompt '%s' is in the session %d times", prompts[k], seen);
    }
    cJSON_Delete(doc);
}

/* Adds "future_KEY": "kept" to obj. */
static void plant(cJSON *obj, const char *where)
{
    char key[64];
    snprintf(key, sizeof key, "future_%s", where);
    cJSON_AddStringToObject(obj, key, "kept");
    cJSON *nested = cJSON_AddObjectToObject(obj, "future_nested");
    cJSON_AddNumberToObject(nested, where, 42);
}

static void assert_planted(const cJSON *obj, const char *where)
{
    char key[64];
    snprintf(key, sizeof key, "future_%s", where);
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    cr_assert(cJSON_IsString(v) && strcmp(v->valuestring, "kept") == 0, "\"%s\" was dropped", key);
    const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "future_nested"), where);
    cr_assert(cJSON_IsNumber(n) && n->valueint == 42, "future_nested.%s was dropped", where);
}

Test(sessions_safe, appending_and_labelling_keep_keys_this_version_does_not_know)
{
    char id[128], path[1024];
    first_round(id, sizeof id, path, sizeof path);
    cJSON *doc = load_json(path);
    cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rounds"), 0);
    plant(doc, "top");
    plant(r0, "round");
    cJSON *rep = cJSON_GetArrayItem(cJSON_GetObjectItem(r0, "replies"), 0);
    plant(rep, "reply");
    cJSON *metrics = cJSON_GetObjectItem(rep, "metrics");
    if (cJSON_IsObject(metrics))
        plant(metrics, "metrics");
    save_json(path, doc);
    cJSON_Delete(doc);

    /* a later round appended, then round 1 labelled: both rewrite the file */
    const char *append[] = { "run", "--no-progress", "--session", id, "-m", "openai:happy", "round one", NULL };
    VResult r;
    run_versus(append, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    vchild_result_free(&r);
    const char *label[] = { "sessions", "label", id, "1", "--winner", "1", "--note", "fine", NULL };
    run_versus(label, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    vchild_result_free(&r);

    doc = load_json(path);
    r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rounds"), 0);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "rounds")), 2);
    assert_planted(doc, "top");
    assert_planted(r0, "round");
    rep = cJSON_GetArrayItem(cJSON_GetObjectItem(r0, "replies"), 0);
    assert_planted(rep, "reply");
    if (cJSON_IsObject(cJSON_GetObjectItem(rep, "metrics")))
        assert_planted(cJSON_GetObjectItem(rep, "metrics"), "metrics");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r0, "label"), "note")->valuestring, "fine");
    cJSON_Delete(doc);
}

static int count_temps(void)
{
    DIR *d = opendir(sessions);
    cr_assert(d, "%s: %s", sessions, strerror(errno));
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += strstr(de->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

Test(sessions_safe, temporary_files_of_killed_saves_are_removed_at_the_next_start)
{
    char id[128], path[1024];
    first_round(id, sizeof id, path, sizeof path);
    /* what `kill -9` during a save leaves: the temporary file it was writing */
    for (int i = 0; i < 5; i++) {
        char tmp[1200];
        snprintf(tmp, sizeof tmp, "%s/.%s.json.tmp.k%05d", sessions, id, i);
        FILE *f = fopen(tmp, "wb");
        cr_assert(f);
        for (int k = 0; k < 1000; k++)
            fputs("{\"versus_session\": 1, \"half written\": ", f);
        fclose(f);
    }
    cr_assert_eq(count_temps(), 5);
    const char *list[] = { "sessions", "list", NULL };
    VResult r;
    run_versus(list, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_eq(count_temps(), 0, "sessions list left %d temporary files", count_temps());
    cr_assert_not_null(strstr(buf_str(&r.out), id));
    vchild_result_free(&r);
    /* and a save does the same */
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s/.%s.json.tmp.k99999", sessions, id);
    fclose(fopen(tmp, "wb"));
    const char *append[] = { "run", "--no-progress", "--session", id, "-m", "openai:happy", "again", NULL };
    run_versus(append, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_eq(count_temps(), 0);
    vchild_result_free(&r);
}

Test(sessions_safe, a_fifo_named_like_a_session_is_refused_not_waited_on)
{
    char id[128], path[1024];
    first_round(id, sizeof id, path, sizeof path);
    char fifo[1200];
    snprintf(fifo, sizeof fifo, "%s/20990101-000000-ffff.json", sessions);
    cr_assert_eq(mkfifo(fifo, 0600), 0, "mkfifo: %s", strerror(errno));
    char out[1200];
    snprintf(out, sizeof out, "%s/out.html", home);
    const char *const cmds[][8] = {
        { "sessions", "list", NULL },
        { "sessions", "show", "20990101-000000-ffff", NULL },
        { "sessions", "show", fifo, NULL },
        { "export", "--all", NULL },
        { "report", "-o", out, NULL },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        VResult r;
        run_versus(cmds[i], &r); /* fails the test when it hangs */
        Buf all = { 0 };
        buf_printf(&all, "%s%s", buf_str(&r.out), buf_str(&r.err));
        cr_assert(strstr(buf_str(&all), "not a regular file") || strstr(buf_str(&all), "no such session"),
                  "versus %s %s said nothing about the FIFO: %s", cmds[i][0], cmds[i][1], buf_str(&all));
        buf_free(&all);
        vchild_result_free(&r);
    }
}

/* A labelled session exported to file, for the rewrite tests. */
static void good_export(char *out, size_t outlen, Buf *good)
{
    char id[128], path[1024];
    first_round(id, sizeof id, path, sizeof path);
    const char *label[] = { "sessions", "label", id, "1", "--winner", "1", NULL };
    VResult r;
    run_versus(label, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    vchild_result_free(&r);
    snprintf(out, outlen, "%s/cases.jsonl", home);
    const char *exp[] = { "export", "-o", out, NULL };
    run_versus(exp, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    vchild_result_free(&r);
    FILE *f = fopen(out, "rb");
    cr_assert(f);
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(good, tmp, n);
    fclose(f);
    cr_assert_gt(good->len, 1000u);
}

static void assert_file_is(const char *path, const Buf *want)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s is gone", path);
    Buf got = { 0 };
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&got, tmp, n);
    fclose(f);
    cr_assert(got.len == want->len && memcmp(got.data, want->data, got.len) == 0,
              "%s was torn: %zu bytes where %zu were", path, got.len, want->len);
    buf_free(&got);
}

Test(sessions_safe, a_file_size_limit_during_a_reexport_leaves_the_old_file_whole_and_says_so)
{
    char out[1200];
    Buf good = { 0 };
    good_export(out, sizeof out, &good);
    /* `ulimit -f 1`: 1 KiB, less than the export; the child inherits it */
    struct rlimit old, lim = { 1024, 1024 };
    getrlimit(RLIMIT_FSIZE, &old);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    const char *exp[] = { "export", "--all", "-o", out, NULL };
    VResult r;
    int rc = vchild_run(bin, exp, env, NULL, DEADLINE_MS, false, &r);
    lim.rlim_cur = old.rlim_cur;
    setrlimit(RLIMIT_FSIZE, &lim);
    cr_assert_eq(rc, 0);
    cr_assert_eq(r.term_signal, 0, "versus was killed by signal %d (SIGXFSZ is %d) with no message", r.term_signal,
                 SIGXFSZ);
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(buf_str(&r.err), "File too large") && strstr(buf_str(&r.err), "unchanged"),
              "no clear message: %s", buf_str(&r.err));
    assert_file_is(out, &good);
    cr_assert_eq(count_temps(), 0);
    vchild_result_free(&r);
    buf_free(&good);
}

Test(sessions_safe, a_full_disk_during_a_reexport_leaves_the_old_file_whole)
{
    char out[1200];
    Buf good = { 0 };
    good_export(out, sizeof out, &good);
    /* a private mount namespace with a small tmpfs holding the good file
     * (unshare needs a process without other threads: stop the fake first) */
    fakeprov_stop(fp);
    fp = NULL;
    if (unshare(CLONE_NEWNS) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
        cr_skip_test("mount namespaces are unavailable here (unshare: %s)", strerror(errno));
    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
    char disk[1200];
    snprintf(disk, sizeof disk, "%s/disk", home);
    mkdir(disk, 0700);
    if (mount("tmpfs", disk, "tmpfs", 0, "size=16k") < 0)
        cr_skip_test("can not mount a small tmpfs: %s", strerror(errno));
    char target[1300];
    snprintf(target, sizeof target, "%s/cases.jsonl", disk);
    FILE *f = fopen(target, "wb");
    cr_assert(f);
    cr_assert_eq(fwrite(good.data, 1, good.len, f), good.len);
    fclose(f);
    /* fill the rest of the disk */
    char filler[1300];
    snprintf(filler, sizeof filler, "%s/filler", disk);
    f = fopen(filler, "wb");
    char zero[512] = { 0 };
    while (fwrite(zero, 1, sizeof zero, f) == sizeof zero && fflush(f) == 0)
        ;
    fclose(f);
    const char *exp[] = { "export", "--all", "-o", target, NULL };
    VResult r;
    run_versus(exp, &r);
    cr_assert_neq(r.exit_code, 0, "a write to a full disk reported success");
    cr_assert(strstr(buf_str(&r.err), "No space left") && strstr(buf_str(&r.err), "unchanged"),
              "no clear message: %s", buf_str(&r.err));
    assert_file_is(target, &good);
    umount(disk);
    vchild_result_free(&r);
    buf_free(&good);
}
