/* test_perimeter.c — the data perimeter and where keys may go, attacked
 * through the real binary. Tests that need addresses other than 127.0.0.1
 * run in a private network namespace (tests/harden/netns.h) where 10.9.9.9
 * and 203.0.113.7 sit on loopback and stand in for the outside world; they
 * are skipped, saying why, where namespaces are unavailable.
 *   - restricted requests ignore http_proxy, HTTPS_PROXY, ALL_PROXY, all_proxy;
 *   - a URL written after a trusted provider's name, or in an alias, is
 *     judged by its own destination (refused, not one connection made);
 *   - an unknown sensitivity in the config is an error, never "public";
 *   - policy check and policy route flag every route that leaves, aliases
 *     and provider kinds resolved;
 *   - a fixture (or a spec) can not send a configured key to a URL the
 *     config does not name for it, unless --send-key-to names that URL.
 * Not for: the unit rules of target_resolve (test_config.c, test_secrets.c). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "harden/netns.h"
#include "harden/rawserver.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */
#define OR_KEY "sk-or-v1-SECRETKEY-openrouter-0123456789abcdef"

static char home[256];
static char bin[1024];
static char cfg_path[512];
static char **env;

static void setup(void)
{
    vsuite_home("perimeter", bin, sizeof bin, home, sizeof home);
    env = vchild_env_new(home, NULL);
    vchild_env_set(&env, "OPENROUTER_API_KEY", OR_KEY);
    vsuite_config_dir(home);
    snprintf(cfg_path, sizeof cfg_path, "%s/config/versus/config.json", home);
}

static void teardown(void)
{
    vsuite_end(NULL, &env, home);
}

TestSuite(perimeter, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

static void enter_netns(void)
{
    static const char *const addrs[] = { "10.9.9.9", "203.0.113.7", NULL };
    char why[256];
    if (netns_enter(addrs, why, sizeof why) < 0)
        cr_skip_test("%s", why);
}

static void write_config(const char *text)
{
    FILE *f = fopen(cfg_path, "wb");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
    chmod(cfg_path, 0600);
}

/* A server answering every request with a one-delta OpenAI stream. */
static RawServer *stream_server(const char *host)
{
    Buf resp = { 0 };
    const char *texts[] = { "inside" };
    rawserver_openai_stream(&resp, texts, 1);
    char err[256];
    RawServer *s = rawserver_start(host, resp.data, resp.len, err, sizeof err);
    cr_assert(s, "%s", err);
    buf_free(&resp);
    return s;
}

static void run_versus(const char *const *args, VResult *r)
{
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, r), 0, "spawn: %s", strerror(errno));
    cr_assert(!r->timed_out, "versus did not finish within %d ms; stderr: %s", DEADLINE_MS, buf_str(&r->err));
    cr_assert_eq(r->term_signal, 0, "versus died of signal %d", r->term_signal);
}

Test(perimeter, restricted_requests_ignore_every_proxy_variable)
{
    enter_netns();
    RawServer *lab = stream_server("127.0.0.1");
    char err[256];
    RawServer *far_proxy = rawserver_start("10.9.9.9", "HTTP/1.1 502 Bad\r\nContent-Length: 0\r\n\r\n", 39, err,
                                           sizeof err);
    cr_assert(far_proxy, "%s", err);
    RawServer *near_proxy = rawserver_start("127.0.0.3", "HTTP/1.1 502 Bad\r\nContent-Length: 0\r\n\r\n", 39, err,
                                            sizeof err);
    cr_assert(near_proxy, "%s", err);
    Buf cfg = { 0 };
    buf_printf(&cfg, "{\"providers\":{\"lab\":{\"kind\":\"openai-compat\",\"base_url\":\"%s/v1\","
                     "\"inside_perimeter\":true,\"default_model\":\"m\"}}}", rawserver_url(lab));
    write_config(buf_str(&cfg));
    buf_free(&cfg);
    static const char *const vars[] = { "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy" };
    long served = 0;
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        for (int which = 0; which < 2; which++) {
            RawServer *proxy = which ? near_proxy : far_proxy;
            vchild_env_set(&env, vars[i], rawserver_url(proxy));
            const char *args[] = { "run", "--no-progress", "--sensitivity", "restricted", "-m", "lab:m",
                                   "the restricted prompt", NULL };
            VResult r;
            run_versus(args, &r);
            cr_assert_eq(r.exit_code, 0, "%s=%s: exit %d: %s%s", vars[i], rawserver_url(proxy), r.exit_code,
                         buf_str(&r.out), buf_str(&r.err));
            cr_assert_eq(rawserver_connections(proxy), 0, "with %s=%s the restricted prompt went to the proxy",
                         vars[i], rawserver_url(proxy));
            cr_assert_eq(rawserver_requests(lab), ++served, "the in-perimeter server did not get the request");
            vchild_env_set(&env, vars[i], NULL);
            vchild_result_free(&r);
        }
    }
    Buf log = { 0 };
    rawserver_log(far_proxy, &log);
    cr_assert_eq(log.len, 0u);
    buf_free(&log);
    rawserver_stop(far_proxy);
    rawserver_stop(near_proxy);
    rawserver_stop(lab);
}

Test(perimeter, an_inline_url_or_an_alias_is_judged_by_its_own_destination)
{
    enter_netns();
    RawServer *lab = stream_server("127.0.0.1");
    RawServer *other = stream_server("127.0.0.2");
    RawServer *far = stream_server("10.9.9.9");
    Buf cfg = { 0 };
    buf_printf(&cfg,
               "{\"providers\":{\"lab\":{\"kind\":\"openai-compat\",\"base_url\":\"%s/v1\",\"inside_perimeter\":true}},"
               "\"models\":{\"safe\":\"lab:m@%s/v1\",\"labm\":\"lab:m\"}}",
               rawserver_url(lab), rawserver_url(far));
    write_config(buf_str(&cfg));
    buf_free(&cfg);
    Buf inline_spec = { 0 };
    buf_printf(&inline_spec, "lab:m@%s/v1", rawserver_url(other));
    const char *outside[] = { buf_str(&inline_spec), "safe" };
    for (size_t i = 0; i < 2; i++) {
        const char *args[] = { "run", "--no-progress", "--sensitivity", "restricted", "-m", outside[i],
                               "the restricted prompt", NULL };
        VResult r;
        run_versus(args, &r);
        cr_assert_eq(r.exit_code, 1, "%s: exit %d", outside[i], r.exit_code);
        cr_assert(strstr(buf_str(&r.out), "outside the data perimeter"), "%s: no refusal: %s", outside[i],
                  buf_str(&r.out));
        vchild_result_free(&r);
    }
    cr_assert_eq(rawserver_connections(other), 0, "lab:m@%s reached it", rawserver_url(other));
    cr_assert_eq(rawserver_connections(far), 0, "the alias reached 10.9.9.9");
    /* the configured endpoint itself, by any name, is inside */
    Buf same = { 0 };
    buf_printf(&same, "openai-compat:m@%s/v1", rawserver_url(lab));
    const char *inside[] = { "lab:m", "labm", buf_str(&same) };
    for (size_t i = 0; i < 3; i++) {
        const char *args[] = { "run", "--no-progress", "--sensitivity", "restricted", "-m", inside[i], "p", NULL };
        VResult r;
        run_versus(args, &r);
        cr_assert_eq(r.exit_code, 0, "%s: exit %d: %s", inside[i], r.exit_code, buf_str(&r.out));
        vchild_result_free(&r);
    }
    cr_assert_eq(rawserver_requests(lab), 3);
    buf_free(&same);
    buf_free(&inline_spec);
    rawserver_stop(lab);
    rawserver_stop(other);
    rawserver_stop(far);
}

Test(perimeter, an_unknown_sensitivity_in_the_config_is_an_error_never_public)
{
    RawServer *api = stream_server("127.0.0.1");
    Buf url = { 0 };
    buf_printf(&url, "%s/v1", rawserver_url(api));
    vchild_env_set(&env, "OPENAI_BASE_URL", buf_str(&url));
    static const char *const typos[] = { "\"Restricted\"", "\"RESTRICTED\"", "\"restricted \"", "\"secret\"", "1",
                                         "null", "\"\"" };
    for (size_t i = 0; i < sizeof typos / sizeof *typos; i++) {
        Buf cfg = { 0 };
        buf_printf(&cfg, "{\"defaults\":{\"sensitivity\":%s}}", typos[i]);
        write_config(buf_str(&cfg));
        buf_free(&cfg);
        const char *args[] = { "run", "--no-progress", "-m", "openai:gpt-4o-mini", "the prompt", NULL };
        VResult r;
        run_versus(args, &r);
        cr_assert_eq(r.exit_code, 2, "sensitivity %s: exit %d, stdout %s", typos[i], r.exit_code, buf_str(&r.out));
        cr_assert(strstr(buf_str(&r.err), "defaults.sensitivity"), "sensitivity %s: %s", typos[i], buf_str(&r.err));
        vchild_result_free(&r);
    }
    cr_assert_eq(rawserver_connections(api), 0, "a prompt went to the API");
    buf_free(&url);
    rawserver_stop(api);
}

/* A session holding one restricted round answered by lab (inside). */
static void restricted_session(char *id, size_t idlen)
{
    const char *args[] = { "run", "--no-progress", "--save", "--sensitivity", "restricted", "-m", "lab:m", "secret",
                           NULL };
    VResult r;
    run_versus(args, &r);
    cr_assert_eq(r.exit_code, 0, "%s%s", buf_str(&r.out), buf_str(&r.err));
    const char *p = strstr(buf_str(&r.err), "of session ");
    cr_assert(p);
    snprintf(id, idlen, "%.*s", (int)strcspn(p + 11, " "), p + 11);
    vchild_result_free(&r);
}

Test(perimeter, policy_check_and_route_flag_every_route_that_leaves)
{
    RawServer *lab = stream_server("127.0.0.1");
    Buf cfg = { 0 };
    buf_printf(&cfg,
               "{\"providers\":{\"lab\":{\"kind\":\"openai-compat\",\"base_url\":\"%s/v1\",\"inside_perimeter\":true},"
               "\"corp\":{\"kind\":\"openai\"},"
               "\"openrouter\":{\"kind\":\"openai-compat\",\"base_url\":\"https://openrouter.ai/api/v1\","
               "\"key_env\":\"OPENROUTER_API_KEY\"}},"
               "\"models\":{\"gpt\":\"openai:gpt-4o\",\"home\":\"lab:m\"}}",
               rawserver_url(lab));
    write_config(buf_str(&cfg));
    buf_free(&cfg);
    char id[128];
    restricted_session(id, sizeof id);
    static const char *const leaving[] = { "openai-compat:gpt-4o@https://api.openai.com/v1", "gpt", "corp:gpt-4o",
                                           "openrouter:meta-llama/llama-3.3-70b", "ollama:llama3" };
    char policy[600];
    snprintf(policy, sizeof policy, "%s/policy.json", home);
    const size_t n_leaving = sizeof leaving / sizeof *leaving;
    for (size_t i = 0; i < n_leaving + 2; i++) {
        const char *route = i < n_leaving ? leaving[i] : i == n_leaving ? "home" : "local:model.gguf";
        bool leaves = i < n_leaving;
        FILE *f = fopen(policy, "wb");
        fprintf(f, "{\"versus_policy\":1,\"default\":\"%s\"}", route);
        fclose(f);
        const char *check[] = { "policy", "check", policy, id, "--all", NULL };
        VResult r;
        run_versus(check, &r);
        cr_assert(strstr(buf_str(&r.out), leaves ? "sensitivity violations 1" : "sensitivity violations 0"),
                  "route %s: %s%s", route, buf_str(&r.out), buf_str(&r.err));
        cr_assert_eq(r.exit_code, leaves ? 1 : 0, "route %s: policy check exit %d", route, r.exit_code);
        vchild_result_free(&r);
        const char *rt[] = { "policy", "route", policy, "--sensitivity", "restricted", "a prompt", NULL };
        run_versus(rt, &r);
        cr_assert_eq(r.exit_code, leaves ? 1 : 0, "route %s: policy route exit %d: %s", route, r.exit_code,
                     buf_str(&r.err));
        if (leaves)
            cr_assert(strstr(buf_str(&r.err), "leave the perimeter"), "%s", buf_str(&r.err));
        vchild_result_free(&r);
    }
    /* a route that resolves to nothing is bad input (tryout1 #2), never judged */
    FILE *f = fopen(policy, "wb");
    fputs("{\"versus_policy\":1,\"default\":\"no-such-alias\"}", f);
    fclose(f);
    const char *check[] = { "policy", "check", policy, id, "--all", NULL };
    const char *rt[] = { "policy", "route", policy, "--sensitivity", "restricted", "a prompt", NULL };
    for (int k = 0; k < 2; k++) {
        VResult r;
        run_versus(k ? rt : check, &r);
        cr_assert_eq(r.exit_code, 2, "no-such-alias: %s%s", buf_str(&r.out), buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.err), "default route \"no-such-alias\" does not resolve"), "%s", buf_str(&r.err));
        vchild_result_free(&r);
    }
    rawserver_stop(lab);
}

/* A versus fixture with one case whose only candidate is spec. */
static void write_fixture(const char *path, const char *spec)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fprintf(f,
            "{\"versus_fixture\":1,\"id\":\"shared#1\",\"prompt\":\"Say hello\",\"system\":null,"
            "\"sensitivity\":\"public\",\"params\":{},\"outcome\":\"unlabelled\",\"candidates\":["
            "{\"spec\":\"%s\",\"provider\":\"openrouter\",\"model\":\"meta-llama/llama-3.3-70b\",\"status\":\"ok\","
            "\"text\":\"Hello\"}],\"assertions\":[{\"type\":\"contains\",\"value\":\"Hello\"}]}\n",
            spec);
    fclose(f);
}

Test(perimeter, a_shared_fixture_can_not_send_a_configured_key_to_its_own_url)
{
    enter_netns();
    RawServer *evil = stream_server("127.0.0.2");
    RawServer *far = stream_server("203.0.113.7");
    write_config("{\"providers\":{\"openrouter\":{\"kind\":\"openai-compat\","
                 "\"base_url\":\"https://openrouter.ai/api/v1\",\"key_env\":\"OPENROUTER_API_KEY\"}}}");
    char fixture[600], spec[300];
    snprintf(fixture, sizeof fixture, "%s/evil.jsonl", home);
    const RawServer *targets[] = { evil, far };
    for (int t = 0; t < 2; t++) {
        snprintf(spec, sizeof spec, "openrouter:meta-llama/llama-3.3-70b@%s/v1", rawserver_url(targets[t]));
        write_fixture(fixture, spec);
        const char *args[] = { "replay", fixture, NULL };
        VResult r;
        run_versus(args, &r);
        cr_assert_neq(r.exit_code, 0);
        cr_assert(strstr(buf_str(&r.out), "--send-key-to"), "no refusal naming the flag: %s%s", buf_str(&r.out),
                  buf_str(&r.err));
        cr_assert_null(strstr(buf_str(&r.out), VCHILD_KEY_MARK));
        cr_assert_null(strstr(buf_str(&r.err), VCHILD_KEY_MARK));
        vchild_result_free(&r);
        /* a spec typed on the command line is held to the same rule */
        const char *run_args[] = { "run", "--no-progress", "-m", spec, "hi", NULL };
        run_versus(run_args, &r);
        cr_assert_eq(r.exit_code, 1);
        cr_assert(strstr(buf_str(&r.out), "--send-key-to"), "%s", buf_str(&r.out));
        vchild_result_free(&r);
    }
    cr_assert_eq(rawserver_connections(evil), 0, "the fixture's URL was contacted");
    cr_assert_eq(rawserver_connections(far), 0, "203.0.113.7 was contacted");
    /* naming the URL lets the key go there, and only there */
    snprintf(spec, sizeof spec, "openrouter:meta-llama/llama-3.3-70b@%s/v1", rawserver_url(evil));
    write_fixture(fixture, spec);
    char url[300];
    snprintf(url, sizeof url, "%s/v1", rawserver_url(evil));
    const char *args[] = { "replay", fixture, "--send-key-to", url, NULL };
    VResult r;
    run_versus(args, &r);
    cr_assert_eq(rawserver_requests(evil), 1, "%s%s", buf_str(&r.out), buf_str(&r.err));
    Buf log = { 0 };
    rawserver_log(evil, &log);
    cr_assert(strstr(buf_str(&log), "Bearer " OR_KEY), "the named URL did not get the key");
    buf_free(&log);
    vchild_result_free(&r);
    rawserver_stop(evil);
    rawserver_stop(far);
}
