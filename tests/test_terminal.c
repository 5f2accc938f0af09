/* test_terminal.c — bytes from outside never drive the user's terminal: the
 * real binary on a pseudo-terminal, fed a reply (and a prompt, an error body,
 * a policy) carrying OSC 52 clipboard writes, OSC 0 titles, OSC 8 links, DCS,
 * DSR queries, screen clears, a bare CR, C1 controls (U+009B CSI, U+009D OSC)
 * and bidi controls (U+202E, U+2066, U+200F, U+061C), through every command
 * that shows them: run (text live and at the end, -f json, -f jsonl), sessions
 * list and show, export to the terminal, replay offline and live (its error
 * text), policy check. What reaches the terminal holds none of them (they
 * are shown as \x1b, \u009b, \u202e...), while the saved session keeps the
 * raw bytes. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "harden/rawserver.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

/* Every kind of hostile sequence, as reply text. */
static const char *const hostile[] = {
    "osc52 \x1b]52;c;ZXZpbA==\x07 ",
    "title \x1b]0;pwned\x07 ",
    "link \x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\ ",
    "dcs \x1bP1$r\x1b\\ dsr \x1b[6n clear \x1b[2J\x1b[H ",
    "bare-cr line\rOVERWRITTEN ",
    "c1 \xc2\x9b\x32J \xc2\x9d\x30;title\xc2\x9c ",
    "bidi \xe2\x80\xaegnp.exe\xe2\x80\xac \xe2\x81\xa6iso\xe2\x81\xa9 \xe2\x80\x8fx\xd8\x9c end",
};

static char home[256];
static char bin[1024];
static char **env;
static RawServer *srv;

static void setup(void)
{
    vsuite_home("terminal", bin, sizeof bin, home, sizeof home);
    env = vchild_env_new(home, NULL);
    vchild_env_set(&env, "TERM", "xterm");
    const char *texts[sizeof hostile / sizeof *hostile];
    Buf esc[sizeof hostile / sizeof *hostile];
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        memset(&esc[i], 0, sizeof esc[i]);
        rawserver_json_escape(&esc[i], hostile[i]);
        texts[i] = buf_str(&esc[i]);
    }
    Buf resp = { 0 };
    rawserver_openai_stream(&resp, texts, sizeof hostile / sizeof *hostile);
    char err[256];
    srv = rawserver_start("127.0.0.1", resp.data, resp.len, err, sizeof err);
    cr_assert(srv, "%s", err);
    buf_free(&resp);
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
        buf_free(&esc[i]);
    char url[300];
    snprintf(url, sizeof url, "%s/v1", rawserver_url(srv));
    vchild_env_set(&env, "OPENAI_BASE_URL", url);
}

static void teardown(void)
{
    rawserver_stop(srv);
    srv = NULL;
    vsuite_end(NULL, &env, home);
}

TestSuite(terminal, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

/* Fails when what a terminal received holds a control, C1, bidi or bare CR. */
static void assert_terminal_safe(const char *what, const Buf *out)
{
    const unsigned char *p = (const unsigned char *)out->data;
    for (size_t i = 0; i < out->len; i++) {
        unsigned c = p[i];
        bool bad = (c < 0x20 && c != '\n' && c != '\t' && !(c == '\r' && i + 1 < out->len && p[i + 1] == '\n')) ||
                   c == 0x7f;
        if (c == 0xC2 && i + 1 < out->len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            bad = true;
        if (c == 0xE2 && i + 2 < out->len && p[i + 1] == 0x80 &&
            ((p[i + 2] >= 0xAA && p[i + 2] <= 0xAE) || p[i + 2] == 0x8E || p[i + 2] == 0x8F))
            bad = true;
        if (c == 0xE2 && i + 2 < out->len && p[i + 1] == 0x81 && p[i + 2] >= 0xA6 && p[i + 2] <= 0xA9)
            bad = true;
        if (c == 0xD8 && i + 1 < out->len && p[i + 1] == 0x9C)
            bad = true;
        cr_assert_not(bad, "%s: byte 0x%02x at %zu reached the terminal: ...%.80s", what, c, i,
                      (const char *)p + (i > 40 ? i - 40 : 0));
    }
}

static void on_tty(const char *const *args, int want_exit, const char *must_show)
{
    VResult r;
    cr_assert_eq(vchild_run_tty(bin, args, env, DEADLINE_MS, &r), 0, "openpty: %s", strerror(errno));
    cr_assert(!r.timed_out && r.term_signal == 0, "versus %s %s did not end cleanly: %s", args[0], args[1],
              buf_str(&r.out));
    if (want_exit >= 0)
        cr_assert_eq(r.exit_code, want_exit, "versus %s %s: exit %d: %s", args[0], args[1], r.exit_code,
                     buf_str(&r.out));
    char what[256];
    snprintf(what, sizeof what, "versus %s %s %s", args[0], args[1] ? args[1] : "", args[1] && args[2] ? args[2] : "");
    /* versus's own progress line redraws itself with CR + "erase line" */
    Buf own = { 0 };
    for (size_t i = 0; i < r.out.len; i++) {
        if (r.out.len - i >= 4 && memcmp(r.out.data + i, "\r\x1b[K", 4) == 0) {
            i += 3;
            continue;
        }
        buf_append(&own, r.out.data + i, 1);
    }
    assert_terminal_safe(what, &own);
    buf_free(&own);
    if (must_show)
        cr_assert(strstr(buf_str(&r.out), must_show), "%s does not show %s: %s", what, must_show, buf_str(&r.out));
    vchild_result_free(&r);
}

/* The session's ID from `versus run --save` (not on a terminal). */
static void saved_session(char *id, size_t idlen)
{
    Buf prompt = { 0 };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
        buf_puts(&prompt, hostile[i]);
    const char *args[] = { "run", "--no-progress", "--save", "-m", "openai:gpt-4o-mini", buf_str(&prompt), NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    const char *p = strstr(buf_str(&r.err), "of session ");
    cr_assert(p, "%s", buf_str(&r.err));
    snprintf(id, idlen, "%.*s", (int)strcspn(p + 11, " "), p + 11);
    /* the raw bytes are what was saved */
    char path[700];
    snprintf(path, sizeof path, "%s/data/versus/sessions/%s.json", home, id);
    cJSON *doc = testenv_json_file(path);
    cr_assert(doc, "%s: cannot read it, or it is not JSON", path);
    const cJSON *r0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rounds"), 0);
    const cJSON *rep = cJSON_GetArrayItem(cJSON_GetObjectItem(r0, "replies"), 0);
    const char *text = cJSON_GetObjectItem(rep, "text")->valuestring;
    cr_assert(strstr(text, "\x1b]52;c;") && strstr(text, "\xe2\x80\xae") && strstr(text, "\xc2\x9b"),
              "the session does not keep the raw reply");
    cr_assert(strstr(cJSON_GetObjectItem(r0, "prompt")->valuestring, "\x1b]0;pwned"));
    cJSON_Delete(doc);
    buf_free(&prompt);
    vchild_result_free(&r);
}

Test(terminal, run_in_every_format_shows_hostile_reply_text_without_obeying_it)
{
    const char *live[] = { "run", "--no-progress", "-m", "openai:gpt-4o-mini", "hi", NULL };
    on_tty(live, 0, "\\x1b]52;c;");
    const char *two[] = { "run", "--no-progress", "-m", "openai:gpt-4o-mini", "-m", "openai:gpt-4o", "hi", NULL };
    on_tty(two, 0, "\\u202e");
    const char *json[] = { "run", "--no-progress", "-f", "json", "-m", "openai:gpt-4o-mini", "hi", NULL };
    on_tty(json, 0, "\\u009b");
    const char *jsonl[] = { "run", "-f", "jsonl", "-m", "openai:gpt-4o-mini", "hi", NULL };
    on_tty(jsonl, 0, "\\u202e");
    const char *progress[] = { "run", "-m", "openai:gpt-4o-mini", "-m", "openai:x\x1b]0;t\x07", "hi", NULL };
    on_tty(progress, -1, NULL);
}

Test(terminal, sessions_list_show_and_export_show_saved_bytes_safely)
{
    char id[128];
    saved_session(id, sizeof id);
    const char *list[] = { "sessions", "list", NULL };
    on_tty(list, 0, id);
    const char *show[] = { "sessions", "show", id, NULL };
    on_tty(show, 0, "\\u202e");
    const char *showj[] = { "sessions", "show", id, "--json", NULL };
    on_tty(showj, 0, NULL);
    const char *exp[] = { "export", "--all", NULL };
    on_tty(exp, 0, NULL);
    const char *rep[] = { "report", "--format", "md", NULL };
    on_tty(rep, -1, NULL);
}

Test(terminal, replay_offline_and_live_errors_and_policy_check_are_safe)
{
    char id[128];
    saved_session(id, sizeof id);
    char cases[600];
    snprintf(cases, sizeof cases, "%s/cases.jsonl", home);
    const char *exp[] = { "export", "--all", "-o", cases, NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, exp, env, NULL, DEADLINE_MS, false, &r), 0);
    cr_assert_eq(r.exit_code, 0, "%s", buf_str(&r.err));
    vchild_result_free(&r);
    const char *off[] = { "replay", "--offline", cases, NULL };
    on_tty(off, -1, NULL);
    /* live: the provider answers with a hostile error message */
    Buf resp = { 0 };
    Buf msg = { 0 };
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++)
        rawserver_json_escape(&msg, hostile[i]);
    Buf body = { 0 };
    buf_printf(&body, "{\"error\":{\"message\":\"%s\",\"type\":\"invalid_request_error\"}}", buf_str(&msg));
    rawserver_json_response(&resp, 400, buf_str(&body));
    rawserver_set_response(srv, resp.data, resp.len);
    const char *live[] = { "replay", cases, NULL };
    on_tty(live, -1, "\\x1b]52");
    const char *run[] = { "run", "--no-progress", "-m", "openai:gpt-4o-mini", "hi", NULL };
    on_tty(run, 1, "\\x1b]0;pwned");
    /* a policy whose rule name is hostile, routing to a loser */
    char policy[600];
    snprintf(policy, sizeof policy, "%s/policy.json", home);
    FILE *f = fopen(policy, "wb");
    Buf name = { 0 };
    rawserver_json_escape(&name, hostile[0]);
    rawserver_json_escape(&name, hostile[6]);
    fprintf(f, "{\"versus_policy\":1,\"rules\":[{\"name\":\"%s\",\"when\":{\"regex\":\".\"},\"route\":\"openai:zzz\"}],"
               "\"default\":\"openai:zzz\"}", buf_str(&name));
    fclose(f);
    const char *pol[] = { "policy", "check", policy, id, "--all", NULL };
    on_tty(pol, -1, NULL);
    const char *route[] = { "policy", "route", policy, "hi", NULL };
    on_tty(route, -1, "\\u202e");
    buf_free(&name);
    buf_free(&body);
    buf_free(&msg);
    buf_free(&resp);
}
