/* test_leaks.c — keys echoed back never show up, through the real binary and
 * a server that echoes them the way real models and APIs do:
 *   - split across deltas (one byte each), in `run` text, -f jsonl and -f json,
 *     the saved session (text and recording), exports and reports;
 *   - keys from a 0600 key file (with a trailing CR/LF, sent trimmed) and from
 *     a config key_env whose name does not look secret;
 *   - in a provider's error text shown by `replay` (live);
 *   - JSON-escaped on the wire (\u0073\u006b...): neither the saved text nor
 *     the recording keeps it, and `replay --offline` prints none;
 *   - pasted into the prompt: masked in the session and the export.
 * Every output and file is checked by an independent scanner: the key raw,
 * after undoing \uXXXX and %XX escapes, and base64 at every alignment. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/base64.h"
#include "util/buf.h"
#include "harden/rawserver.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */
#define FILE_KEY "sk-file-SECRETKEY-from-a-key-file-424242"
#define ENV_KEY "cred-SECRETKEY-under-an-ordinary-name-777"

static char home[256];
static char bin[1024];
static char **env;
static RawServer *srv;

static void setup(void)
{
    vsuite_home("leaks", bin, sizeof bin, home, sizeof home);
    env = vchild_env_new(home, NULL);
    vsuite_config_dir(home);
}

static void teardown(void)
{
    rawserver_stop(srv);
    srv = NULL;
    vsuite_end(NULL, &env, home);
}

TestSuite(leaks, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* ---- the independent scanner ------------------------------------------------ */

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* s with \uXXXX (ASCII only), \\, \/ and %XX undone, repeatedly. */
static void unescape(const char *s, Buf *out)
{
    Buf cur = { 0 };
    buf_puts(&cur, s);
    for (int round = 0; round < 3; round++) {
        Buf next = { 0 };
        for (size_t i = 0; i < cur.len; i++) {
            const char *p = cur.data + i;
            if (p[0] == '\\' && p[1] == 'u' && i + 5 < cur.len && hexv(p[2]) == 0 && hexv(p[3]) == 0 && hexv(p[4]) >= 0 &&
                hexv(p[5]) >= 0) {
                char c = (char)(hexv(p[4]) * 16 + hexv(p[5]));
                buf_append(&next, &c, 1);
                i += 5;
            } else if (p[0] == '\\' && (p[1] == '\\' || p[1] == '/') && i + 1 < cur.len) {
                buf_append(&next, p + 1, 1);
                i++;
            } else if (p[0] == '%' && i + 2 < cur.len && hexv(p[1]) >= 0 && hexv(p[2]) >= 0) {
                char c = (char)(hexv(p[1]) * 16 + hexv(p[2]));
                buf_append(&next, &c, 1);
                i += 2;
            } else {
                buf_append(&next, p, 1);
            }
        }
        buf_free(&cur);
        cur = next;
    }
    *out = cur;
}

/* Fails when text holds key in any form; what names the place. */
static void assert_no_key(const char *what, const char *text, const char *key)
{
    cr_assert_null(strstr(text, key), "%s holds the key in clear", what);
    Buf u = { 0 };
    unescape(text, &u);
    cr_assert_null(strstr(buf_str(&u), key), "%s holds the key escaped", what);
    buf_free(&u);
    size_t kl = strlen(key);
    for (int a = 0; a < 3; a++) {
        char tmp[256] = { 0 };
        memcpy(tmp + a, key, kl);
        char *enc = base64_encode(tmp, (size_t)a + kl + 2);
        size_t from = ((size_t)a * 8 + 5) / 6, to = ((size_t)a + kl) * 8 / 6;
        char core[256];
        snprintf(core, sizeof core, "%.*s", (int)(to - from), enc + from);
        cr_assert_null(strstr(text, core), "%s holds the key base64-encoded (alignment %d)", what, a);
        free(enc);
    }
}

static void read_file(const char *path, Buf *out)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s: %s", path, strerror(errno));
    char tmp[65536];
    size_t n;
    while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(out, tmp, n);
    fclose(f);
    buf_puts(out, "");
}

/* Every file under dir, recursively. */
static void assert_no_key_in_tree(const char *dir, const char *key)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || !strcmp(de->d_name, "keys"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        struct stat st;
        if (lstat(path, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            assert_no_key_in_tree(path, key);
        } else if (S_ISREG(st.st_mode)) {
            Buf b = { 0 };
            read_file(path, &b);
            assert_no_key(path, buf_str(&b), key);
            buf_free(&b);
        }
    }
    closedir(d);
}

/* ---- running ------------------------------------------------------------------ */

static void run_versus(const char *const *args, VResult *r, const char *key)
{
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, r), 0);
    cr_assert(!r->timed_out, "versus %s did not finish; stderr: %s", args[0], buf_str(&r->err));
    cr_assert_eq(r->term_signal, 0, "versus died of signal %d", r->term_signal);
    char what[128];
    snprintf(what, sizeof what, "stdout of versus %s %s", args[0], args[1] ? args[1] : "");
    assert_no_key(what, buf_str(&r->out), key);
    snprintf(what, sizeof what, "stderr of versus %s %s", args[0], args[1] ? args[1] : "");
    assert_no_key(what, buf_str(&r->err), key);
}

/* The server streams key, each byte its own delta (as a model emits it). */
static void serve_echo(const char *prefix, const char *key, bool json_escaped)
{
    size_t kl = strlen(key);
    char **texts = calloc(kl + 2, sizeof *texts);
    Buf esc = { 0 };
    rawserver_json_escape(&esc, prefix);
    texts[0] = buf_steal(&esc);
    for (size_t i = 0; i < kl; i++) {
        Buf b = { 0 };
        if (json_escaped)
            buf_printf(&b, "\\u%04x", (unsigned char)key[i]);
        else {
            char one[2] = { key[i], 0 };
            rawserver_json_escape(&b, one);
        }
        texts[i + 1] = buf_steal(&b);
    }
    texts[kl + 1] = strdup(" - end.");
    Buf resp = { 0 };
    rawserver_openai_stream(&resp, (const char *const *)texts, kl + 2);
    char err[256];
    if (!srv) {
        srv = rawserver_start("127.0.0.1", resp.data, resp.len, err, sizeof err);
        cr_assert(srv, "%s", err);
    } else {
        rawserver_set_response(srv, resp.data, resp.len);
    }
    buf_free(&resp);
    for (size_t i = 0; i < kl + 2; i++)
        free(texts[i]);
    free(texts);
    char url[300];
    snprintf(url, sizeof url, "%s/v1", rawserver_url(srv));
    vchild_env_set(&env, "OPENAI_BASE_URL", url);
}

static void write_config(const char *text)
{
    char path[600];
    snprintf(path, sizeof path, "%s/config/versus/config.json", home);
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    chmod(path, 0600);
}

/* run in every format, then --save, export and report; the tree is clean. */
static void every_sink(const char *spec, const char *key)
{
    static const char *const formats[] = { "text", "jsonl", "json" };
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = { "run", "--no-progress", "-f", formats[i], "-m", spec, "Repeat my key.", NULL };
        VResult r;
        run_versus(args, &r, key);
        cr_assert_eq(r.exit_code, 0, "-f %s: %s", formats[i], buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.out), "****"), "-f %s shows no mask: %s", formats[i], buf_str(&r.out));
        vchild_result_free(&r);
    }
    const char *save[] = { "run", "--no-progress", "--save", "-m", spec, "Repeat my key.", NULL };
    VResult r;
    run_versus(save, &r, key);
    cr_assert_eq(r.exit_code, 0);
    vchild_result_free(&r);
    char out[600];
    snprintf(out, sizeof out, "%s/export.jsonl", home);
    const char *exp[] = { "export", "--all", "-o", out, NULL };
    run_versus(exp, &r, key);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    vchild_result_free(&r);
    snprintf(out, sizeof out, "%s/report.html", home);
    const char *rep[] = { "report", "-o", out, NULL };
    run_versus(rep, &r, key);
    vchild_result_free(&r);
    const char *show[] = { "sessions", "list", NULL };
    run_versus(show, &r, key);
    vchild_result_free(&r);
    assert_no_key_in_tree(home, key);
}

Test(leaks, a_key_echoed_one_byte_per_delta_reaches_no_output_and_no_file)
{
    serve_echo("Your key is ", VCHILD_KEY_OPENAI, false);
    every_sink("openai:gpt-4o-mini", VCHILD_KEY_OPENAI);
}

Test(leaks, a_key_file_key_with_a_crlf_tail_and_a_key_env_key_are_masked_too)
{
    /* the key file holds the key with CR LF; it is sent trimmed */
    char keys[600], path[700];
    snprintf(keys, sizeof keys, "%s/config/versus/keys", home);
    mkdir(keys, 0700);
    snprintf(path, sizeof path, "%s/openai.key", keys);
    FILE *f = fopen(path, "wb");
    fputs(FILE_KEY "\r\n", f);
    fclose(f);
    chmod(path, 0600);
    vchild_env_set(&env, "OPENAI_API_KEY", NULL);
    serve_echo("Your key is ", FILE_KEY, false);
    every_sink("openai:gpt-4o-mini", FILE_KEY);
    Buf log = { 0 };
    rawserver_log(srv, &log);
    cr_assert(strstr(buf_str(&log), "Bearer " FILE_KEY "\r\n"), "the key was not sent trimmed");
    buf_free(&log);

    /* a provider whose key_env does not look like a secret */
    vchild_env_set(&env, "OR_CRED", ENV_KEY);
    char cfg[600];
    serve_echo("Your key is ", ENV_KEY, false);
    snprintf(cfg, sizeof cfg,
             "{\"providers\":{\"lab\":{\"kind\":\"openai-compat\",\"base_url\":\"%s/v1\",\"key_env\":\"OR_CRED\"}}}",
             rawserver_url(srv));
    write_config(cfg);
    every_sink("lab:m", ENV_KEY);
}

Test(leaks, replay_live_shows_a_providers_error_without_the_key_it_quotes)
{
    char body[400];
    snprintf(body, sizeof body,
             "{\"error\":{\"message\":\"Incorrect API key provided: %s. You can find your API key at "
             "https://platform.openai.com/account/api-keys.\",\"type\":\"invalid_request_error\","
             "\"code\":\"invalid_api_key\"}}",
             VCHILD_KEY_OPENAI);
    Buf resp = { 0 };
    rawserver_json_response(&resp, 401, body);
    char err[256];
    srv = rawserver_start("127.0.0.1", resp.data, resp.len, err, sizeof err);
    cr_assert(srv, "%s", err);
    buf_free(&resp);
    char url[300], fixture[600];
    snprintf(url, sizeof url, "%s/v1", rawserver_url(srv));
    vchild_env_set(&env, "OPENAI_BASE_URL", url);
    snprintf(fixture, sizeof fixture, "%s/cases.jsonl", home);
    FILE *f = fopen(fixture, "wb");
    fputs("{\"versus_fixture\":1,\"id\":\"c#1\",\"prompt\":\"hi\",\"system\":null,\"sensitivity\":\"public\","
          "\"params\":{},\"outcome\":\"unlabelled\",\"candidates\":[{\"spec\":\"openai:gpt-4o-mini\","
          "\"provider\":\"openai\",\"model\":\"gpt-4o-mini\",\"status\":\"ok\",\"text\":\"Hello\"}]}\n", f);
    fclose(f);
    for (int junit = 0; junit < 2; junit++) {
        const char *args[] = { "replay", fixture, "-f", junit ? "junit" : "text", NULL };
        VResult r;
        run_versus(args, &r, VCHILD_KEY_OPENAI);
        if (!junit)
            cr_assert(strstr(buf_str(&r.out), "Incorrect API key provided: ****"), "the error is not shown: %s",
                      buf_str(&r.out));
        vchild_result_free(&r);
    }
    assert_no_key_in_tree(home, VCHILD_KEY_OPENAI);
}

Test(leaks, a_json_escaped_key_is_kept_neither_in_the_recording_nor_in_offline_replay)
{
    serve_echo("escaped: ", VCHILD_KEY_OPENAI, true);
    const char *save[] = { "run", "--no-progress", "--save", "-m", "openai:gpt-4o-mini", "Repeat my key.", NULL };
    VResult r;
    run_versus(save, &r, VCHILD_KEY_OPENAI);
    cr_assert_eq(r.exit_code, 0);
    vchild_result_free(&r);
    char out[600];
    snprintf(out, sizeof out, "%s/cases.jsonl", home);
    const char *exp[] = { "export", "--all", "-o", out, NULL };
    run_versus(exp, &r, VCHILD_KEY_OPENAI);
    vchild_result_free(&r);
    assert_no_key_in_tree(home, VCHILD_KEY_OPENAI);
    const char *off[] = { "replay", "--offline", out, NULL };
    run_versus(off, &r, VCHILD_KEY_OPENAI);
    cr_assert_lt(r.exit_code, 2, "%s", buf_str(&r.err));
    vchild_result_free(&r);
}

Test(leaks, a_key_pasted_into_the_prompt_is_masked_in_the_session_and_the_export)
{
    serve_echo("ok ", "nothing-secret-here", false);
    const char *save[] = { "run", "--no-progress", "--save", "-m", "openai:gpt-4o-mini",
                           "my key is " VCHILD_KEY_OPENAI " please keep it", NULL };
    VResult r;
    run_versus(save, &r, VCHILD_KEY_OPENAI);
    vchild_result_free(&r);
    char out[600];
    snprintf(out, sizeof out, "%s/cases.yaml", home);
    const char *exp[] = { "export", "--all", "-f", "promptfoo", "-o", out, NULL };
    run_versus(exp, &r, VCHILD_KEY_OPENAI);
    vchild_result_free(&r);
    assert_no_key_in_tree(home, VCHILD_KEY_OPENAI);
    Buf log = { 0 };
    rawserver_log(srv, &log);
    cr_assert(strstr(buf_str(&log), "my key is " VCHILD_KEY_OPENAI), "the prompt itself was sent whole");
    buf_free(&log);
}
