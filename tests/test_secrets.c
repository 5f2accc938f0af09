/* test_secrets.c — API keys never leave the environment or their key file:
 * every command that reads or writes user data (run in each format, --save,
 * sessions list/show/label, export in every format, report, replay, models)
 * is run with recognisable fake keys set, against the loopback fake provider,
 * and then every byte the commands printed and every file under the private
 * HOME/XDG tree is searched for the keys — as they are, and base64-encoded at
 * each alignment (recordings are stored as base64). Keys a provider echoes
 * back or a user pastes into a prompt must be masked in every file.
 *
 * Also: a key file or config readable by others is refused with the chmod
 * fix; insecure_tls is not honoured for closed providers or remote URLs
 * (through config_resolve, the one place that decides). */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "core/config.h"
#include "providers/target.h"
#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

static FakeProv *fp;
static char home[256];
static char bin[1024];
static char **env;

static const char *const all_keys[] = { VCHILD_KEY_OPENAI, VCHILD_KEY_ANTHROPIC, VCHILD_KEY_GEMINI };

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    cr_assert_eq(fchmod(fd, mode), 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void mkdirs(const char *sub)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", home, sub);
    for (char *p = path + strlen(home) + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(path, 0700);
            *p = '/';
        }
    mkdir(path, 0700);
}

/* A transcript the fake replays as replay-NAME, its text echoing the keys. */
static void write_echo_transcripts(void)
{
    char path[512];
    mkdirs("transcripts");
    Buf b = { 0 };
    buf_printf(&b,
               "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Your key is %s, \"},\"finish_reason\":null}]}\n\n"
               "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"and theirs %s.\"},\"finish_reason\":null}]}\n\n"
               "data: {\"error\":{\"message\":\"Incorrect API key provided: %s\",\"type\":\"invalid_request_error\"}}\n\n",
               VCHILD_KEY_OPENAI, VCHILD_KEY_ANTHROPIC, VCHILD_KEY_GEMINI);
    snprintf(path, sizeof path, "%s/transcripts/echo.sse", home);
    write_file(path, buf_str(&b), 0600);
    buf_free(&b);
}

static void setup(void)
{
    vsuite_home("secrets", bin, sizeof bin, home, sizeof home);
    write_echo_transcripts();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/transcripts", home);
    FakeProvOptions opt = { .transcript_dir = dir };
    fp = vsuite_fake(&opt);
    env = vchild_env_new(home, fakeprov_url(fp));
    /* a generic secret too: redaction covers any *_TOKEN / *_API_KEY variable */
    vchild_env_set(&env, "MY_SERVICE_TOKEN", "tok-SECRETKEY-generic-0123456789");
}

static void teardown(void)
{
    vsuite_end(&fp, &env, home);
}

TestSuite(secrets, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* ---- finding keys ---------------------------------------------------------------------- */

static void b64(const unsigned char *s, size_t n, Buf *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
        char q[4] = { tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63] };
        buf_append(out, q, 4);
    }
}

/* Where a key (or the generic marker) shows up in data[0..n): NULL when
 * nowhere, else a description. Checks the raw text and the base64 form at
 * each of the three alignments (full groups inside the key only). */
static const char *find_secret(const char *data, size_t n, char *why, size_t whylen)
{
    if (!data || !n)
        return NULL;
    if (memmem(data, n, VCHILD_KEY_MARK, strlen(VCHILD_KEY_MARK))) {
        snprintf(why, whylen, "the text '%s'", VCHILD_KEY_MARK);
        return why;
    }
    for (size_t k = 0; k < sizeof all_keys / sizeof all_keys[0]; k++) {
        const char *key = all_keys[k];
        size_t kl = strlen(key);
        for (size_t skip = 0; skip < 3; skip++) {
            Buf enc = { 0 };
            b64((const unsigned char *)key + skip, (kl - skip) / 3 * 3, &enc);
            bool hit = enc.len >= 16 && memmem(data, n, enc.data, enc.len);
            if (hit)
                snprintf(why, whylen, "%s base64-encoded (%s)", key, buf_str(&enc));
            buf_free(&enc);
            if (hit)
                return why;
        }
    }
    return NULL;
}

static size_t files_scanned;
static char scan_fail[2048];

static int scan_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag != FTW_F || !S_ISREG(st->st_mode))
        return 0;
    if (strstr(path, "/transcripts/")) /* the fake's own input, not written by versus */
        return 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    Buf b = { 0 };
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, got);
    fclose(f);
    files_scanned++;
    char why[256];
    if (find_secret(b.data, b.len, why, sizeof why) && !scan_fail[0])
        snprintf(scan_fail, sizeof scan_fail, "%s holds %s", path, why);
    buf_free(&b);
    return 0;
}

static char mode_fail[1024];

static int mode_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)flag;
    if (ftw->level > 0 && (st->st_mode & 077) && !mode_fail[0])
        snprintf(mode_fail, sizeof mode_fail, "%s has mode %03o: group/others can reach it", path,
                 (unsigned)(st->st_mode & 0777));
    return 0;
}

/* Everything versus created in its own XDG data and state directories (sessions
 * and whatever else it keeps) is private to the user. */
static void assert_private_tree(const char *sub)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/%s/versus", home, sub);
    mode_fail[0] = '\0';
    nftw(dir, mode_entry, 16, FTW_PHYS);
    cr_assert(!mode_fail[0], "%s", mode_fail);
}

/* Every file versus wrote under home; fails naming the first file with a key. */
static size_t assert_no_key_in_files(void)
{
    files_scanned = 0;
    scan_fail[0] = '\0';
    nftw(home, scan_entry, 16, FTW_PHYS);
    cr_assert(!scan_fail[0], "%s", scan_fail);
    return files_scanned;
}

/* Runs versus with args; asserts it finished, did not crash, printed no key,
 * and (exit >= 0) exited with want_exit. Returns stdout (caller frees). */
static char *run_ok(const char *const *args, int want_exit)
{
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    cr_assert(!r.timed_out, "versus %s %s did not finish", args[0], args[1] ? args[1] : "");
    cr_assert_eq(r.term_signal, 0, "versus %s died of signal %d", args[0], r.term_signal);
    char why[256];
    cr_assert(!find_secret(r.out.data, r.out.len, why, sizeof why), "versus %s %s printed %s on stdout", args[0],
              args[1] ? args[1] : "", why);
    cr_assert(!find_secret(r.err.data, r.err.len, why, sizeof why), "versus %s %s printed %s on stderr", args[0],
              args[1] ? args[1] : "", why);
    if (want_exit >= 0)
        cr_assert_eq(r.exit_code, want_exit, "versus %s %s: exit %d, stderr: %s", args[0], args[1] ? args[1] : "",
                     r.exit_code, buf_str(&r.err));
    char *out = buf_steal(&r.out);
    vchild_result_free(&r);
    return out ? out : strdup("");
}

/* The ID of the only saved session. */
static void only_session_id(char *id, size_t idlen)
{
    const char *args[] = { "sessions", "list", NULL };
    char *out = run_ok(args, 0);
    /* the first word of the first line that looks like an ID (YYYYMMDD-...) */
    id[0] = '\0';
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        if (line[0] >= '0' && line[0] <= '9' && strchr(line, '-')) {
            size_t n = strcspn(line, " \t\n");
            snprintf(id, idlen, "%.*s", (int)n, line);
            break;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(out);
    cr_assert(id[0], "no session in 'versus sessions list'");
}

/* ---- every command, no key anywhere ----------------------------------------------------- */

/* A file a -o option wrote: created private whatever the umask. */
static void assert_private_output(const char *path)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "%s: %s", path, strerror(errno));
    cr_assert_eq(st.st_mode & 077, 0, "%s has mode %03o under umask 022: -o files must be 0600", path,
                 (unsigned)(st.st_mode & 0777));
}

Test(secrets, no_command_prints_or_writes_a_key)
{
    umask(022); /* the usual one: -o files must not follow it */
    const char *run1[] = { "run", "--no-progress", "-f", "json", "--save", "-m", "openai:happy", "-m",
                           "anthropic:happy", "-m", "gemini:happy", "-m", "ollama:happy", "-m", "openai:status-401",
                           "-m", "gemini:bad-key", "Say hello.", NULL };
    free(run_ok(run1, 1));
    const char *run2[] = { "run", "--no-progress", "-f", "jsonl", "-m", "anthropic:error-event", "-m",
                           "gemini:happy", "hi", NULL };
    free(run_ok(run2, 1));
    const char *run3[] = { "run", "--no-progress", "-m", "openai:happy", "-m", "anthropic:status-401", "hi", NULL };
    free(run_ok(run3, 1));

    char id[256];
    only_session_id(id, sizeof id);
    const char *show[] = { "sessions", "show", id, NULL };
    free(run_ok(show, 0));
    const char *showj[] = { "sessions", "show", id, "--json", NULL };
    free(run_ok(showj, 0));
    const char *label[] = { "sessions", "label", id, "1", "--winner", "1", "--note", "fine", "--assert",
                            "contains:Hello", NULL };
    free(run_ok(label, 0));

    char path[512];
    const char *formats[] = { "versus", "promptfoo", "openai-evals", "csv" };
    for (size_t i = 0; i < 4; i++) {
        const char *ex[] = { "export", "--format", formats[i], NULL };
        free(run_ok(ex, 0));
        snprintf(path, sizeof path, "%s/cases-%s.out", home, formats[i]);
        const char *exo[] = { "export", "--all", "--format", formats[i], "-o", path, NULL };
        free(run_ok(exo, 0));
        assert_private_output(path);
    }
    snprintf(path, sizeof path, "%s/cases-versus.out", home);
    const char *rep1[] = { "replay", "--offline", path, NULL };
    free(run_ok(rep1, -1));
    const char *rep2[] = { "replay", "--offline", path, "--format", "junit", NULL };
    free(run_ok(rep2, -1));
    char rpath[512];
    snprintf(rpath, sizeof rpath, "%s/report.html", home);
    const char *report[] = { "report", "-o", rpath, NULL };
    free(run_ok(report, 0));
    assert_private_output(rpath);
    const char *reportmd[] = { "report", "--format", "md", "-o", "-", NULL };
    free(run_ok(reportmd, 0));
    const char *models[] = { "models", NULL };
    free(run_ok(models, -1));

    size_t n = assert_no_key_in_files();
    cr_assert_geq(n, 6, "only %zu files scanned: the commands wrote less than expected", n);
    assert_private_tree("data");
    assert_private_tree("state");
}

/* The user pastes a key into the prompt; the provider echoes keys in its
 * text and in an error message. record: keep the raw bytes (--record). */
static void echo_round(bool record, bool check_stdout)
{
    Buf prompt = { 0 };
    buf_printf(&prompt, "Why does %s not work? Also $MY_SERVICE_TOKEN is tok-SECRETKEY-generic-0123456789",
               VCHILD_KEY_OPENAI);
    const char *args[] = { "run", "--no-progress", "-f", "json", "--save", record ? "--record" : "--no-record",
                           "-m", "openai:replay-echo", "-m", "ollama:happy", buf_str(&prompt), NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, true, &r), 0);
    cr_assert(!r.timed_out && r.term_signal == 0);
    cr_assert(r.json, "stdout: %s", buf_str(&r.out));
    /* the echo really happened (else this test proves nothing) */
    const cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(r.json, "results"), 0);
    const cJSON *text = cJSON_GetObjectItem(res, "text");
    cr_assert(cJSON_IsString(text) && strstr(text->valuestring, "Your key is"), "echo transcript not replayed: %s",
              buf_str(&r.out));
    char why[256];
    if (check_stdout)
        cr_assert(!find_secret(r.out.data, r.out.len, why, sizeof why), "stdout shows %s", why);
    vchild_result_free(&r);
    buf_free(&prompt);

    char id[256];
    only_session_id(id, sizeof id);
    char path[512];
    snprintf(path, sizeof path, "%s/echo-cases.jsonl", home);
    const char *ex[] = { "export", "--all", "-o", path, NULL };
    free(run_ok(ex, 0));
    snprintf(path, sizeof path, "%s/echo-cases.csv", home);
    const char *exc[] = { "export", "--all", "--format", "csv", "-o", path, NULL };
    free(run_ok(exc, 0));
    assert_no_key_in_files();
}

Test(secrets, keys_echoed_by_a_provider_or_pasted_in_a_prompt_are_masked_in_saved_text)
{
    echo_round(false, false);
}

/* The same with the raw recording kept (--record, the default with --save):
 * the recorded body is masked before it is base64-encoded, so an echoed key
 * is in no session file and no exported fixture; and `versus run` masks keys
 * in what it prints. */
Test(secrets, keys_echoed_by_a_provider_are_masked_in_recordings_and_output)
{
    echo_round(true, true);
}

/* ---- key files and config permissions ----------------------------------------------------- */

static void write_config(const char *json, mode_t mode)
{
    char path[512];
    mkdirs("config/versus/keys");
    snprintf(path, sizeof path, "%s/config/versus/config.json", home);
    write_file(path, json, mode);
}

Test(secrets, key_file_readable_by_others_is_refused_with_chmod_600)
{
    char path[512];
    mkdirs("config/versus/keys");
    snprintf(path, sizeof path, "%s/config/versus/keys/openai.key", home);
    write_file(path, VCHILD_KEY_OPENAI "\n", 0644);
    vchild_env_set(&env, "OPENAI_API_KEY", NULL);
    const char *args[] = { "run", "--no-progress", "-f", "json", "-m", "openai:happy", "-m", "ollama:happy", "hi", NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    cr_assert(!r.timed_out && r.term_signal == 0);
    cr_assert_neq(r.exit_code, 0, "an insecure key file must not be used");
    cr_assert(strstr(buf_str(&r.out), "chmod 600") || strstr(buf_str(&r.err), "chmod 600"),
              "the message says how to fix it: %s %s", buf_str(&r.out), buf_str(&r.err));
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_OPENAI), 0, "the key was sent anyway");
    char why[256];
    cr_assert(!find_secret(r.out.data, r.out.len, why, sizeof why) && !find_secret(r.err.data, r.err.len, why, sizeof why),
              "the key file's content was printed");
    vchild_result_free(&r);
}

Test(secrets, key_file_with_mode_0600_is_used_and_its_key_never_printed)
{
    char path[512];
    mkdirs("config/versus/keys");
    snprintf(path, sizeof path, "%s/config/versus/keys/openai.key", home);
    write_file(path, VCHILD_KEY_OPENAI "\n", 0600);
    vchild_env_set(&env, "OPENAI_API_KEY", NULL);
    const char *args[] = { "run", "--no-progress", "-f", "json", "--save", "-m", "openai:happy", "hi", NULL };
    free(run_ok(args, 0));
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_OPENAI, &rq), 0);
    cr_assert_str_eq(fakeprov_request_header(&rq, "authorization"), "Bearer " VCHILD_KEY_OPENAI);
    fakeprov_request_free(&rq);
    /* the key file itself is the one file allowed to hold it */
    cr_assert_eq(unlink(path), 0);
    assert_no_key_in_files();
}

Test(secrets, config_readable_by_others_is_refused_with_chmod_600)
{
    write_config("{\"defaults\":{\"temperature\":0.2}}", 0644);
    const char *args[] = { "run", "--no-progress", "-m", "ollama:happy", "hi", NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    cr_assert(!r.timed_out && r.term_signal == 0);
    cr_assert_eq(r.exit_code, 2, "exit %d: an insecure config is a config error", r.exit_code);
    cr_assert(strstr(buf_str(&r.err), "chmod 600"), "stderr: %s", buf_str(&r.err));
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_COUNT), 0, "nothing was sent");
    vchild_result_free(&r);
}

/* ---- TLS verification --------------------------------------------------------------------- */

static Config *load_config_text(const char *json)
{
    write_config(json, 0600);
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/config/versus/config.json", home);
    Config *cfg = config_load(path, err, sizeof err);
    cr_assert(cfg, "%s", err);
    return cfg;
}

Test(secrets, insecure_tls_is_never_honoured_for_closed_providers_or_remote_urls)
{
    Config *cfg = load_config_text(
        "{\"providers\":{"
        "\"openai\":{\"insecure_tls\":true,\"inside_perimeter\":true,\"base_url\":\"https://127.0.0.1:8443/v1\"},"
        "\"anthropic\":{\"insecure_tls\":true,\"inside_perimeter\":true,\"base_url\":\"https://localhost:8443\"},"
        "\"gemini\":{\"insecure_tls\":true,\"inside_perimeter\":true,\"base_url\":\"https://10.0.0.5\"},"
        "\"ollama\":{\"insecure_tls\":true,\"base_url\":\"https://192.168.1.9:11434\"},"
        "\"remote\":{\"kind\":\"openai-compat\",\"insecure_tls\":true,\"inside_perimeter\":true,"
        "\"base_url\":\"https://api.example.com/v1\"},"
        "\"lan\":{\"kind\":\"openai-compat\",\"insecure_tls\":true,\"inside_perimeter\":true,"
        "\"base_url\":\"https://192.168.1.20:8443/v1\"},"
        "\"quiet\":{\"kind\":\"openai-compat\",\"base_url\":\"https://127.0.0.1:8443/v1\"}}}");
    static const struct { const char *spec; bool insecure, perimeter; } want[] = {
        { "openai:gpt-4o", false, false },           /* closed: always verified, even on loopback */
        { "anthropic:claude", false, false },
        { "gemini:gemini-2.0-flash", false, false },
        { "ollama:llama3", false, false },           /* only openai-compat may skip verification */
        { "remote:m", false, false },                /* a public host never skips it */
        { "lan:m", true, true },                     /* the one allowed case: explicit and local */
        { "quiet:m", false, false },                 /* local but not asked: verified */
        { "openai-compat:m@https://127.0.0.1:9/v1", false, false }, /* inline URL: nothing configured */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ModelTarget t;
        char err[512];
        cr_assert_eq(target_resolve(cfg, want[i].spec, &t, err, sizeof err), 0, "%s: %s", want[i].spec, err);
        cr_assert_eq(t.insecure_tls, want[i].insecure, "%s: insecure_tls %d", want[i].spec, t.insecure_tls);
        cr_assert_eq(t.inside_perimeter, want[i].perimeter, "%s: inside_perimeter %d", want[i].spec,
                     t.inside_perimeter);
    }
    config_free(cfg);
}

/* Hosts that only look local. Each is written as a configured openai-compat
 * provider asking for insecure_tls and the perimeter. */
static void check_lookalike_urls(const char *const *urls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        Buf json = { 0 };
        buf_printf(&json,
                   "{\"providers\":{\"p\":{\"kind\":\"openai-compat\",\"insecure_tls\":true,"
                   "\"inside_perimeter\":true,\"base_url\":\"%s\"}}}", urls[i]);
        Config *cfg = load_config_text(buf_str(&json));
        buf_free(&json);
        ModelTarget t;
        char err[512];
        if (target_resolve(cfg, "p:m", &t, err, sizeof err) == 0) {
            cr_expect(!t.insecure_tls, "%s is not a local host, yet TLS checks are off", urls[i]);
            cr_expect(!t.inside_perimeter, "%s is not a local host, yet it is inside the perimeter", urls[i]);
        }
        config_free(cfg);
    }
}

Test(secrets, hosts_that_only_look_local_get_no_tls_or_perimeter_exception)
{
    static const char *const urls[] = {
        "https://127.0.0.1.example.com/v1", "https://localhost.example.com/v1", "https://10.0.0.1.nip.io/v1",
        "https://127.0.0.1:443@api.example.com/v1", "https://[::ffff:8.8.8.8]/v1", "https://0x7f000001/v1",
        "https://2130706433/v1", "https://api.example.com/127.0.0.1/v1",
    };
    check_lookalike_urls(urls, sizeof urls / sizeof urls[0]);
}

/* An '@' inside the query or fragment is not userinfo: curl connects to
 * api.example.com for these URLs, so they must not count as loopback (no TLS
 * exception, not inside the perimeter). */
Test(secrets, an_at_sign_in_the_query_or_fragment_does_not_make_a_host_local)
{
    static const char *const urls[] = {
        "https://api.example.com?@127.0.0.1/v1",
        "https://api.example.com#@127.0.0.1/v1",
    };
    check_lookalike_urls(urls, sizeof urls / sizeof urls[0]);
}
