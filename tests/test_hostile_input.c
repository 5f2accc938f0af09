/* test_hostile_input.c — hostile input gets a clear error, never a crash, a
 * hang or a silent wrong answer, through the real binary:
 *   - a FIFO given as a model file is refused at once (run --timeout used to
 *     print every result and then never exit), and SIGINT ends a run whose
 *     other stream never ends;
 *   - a 20 MiB prompt to a local model is the context-length error, not "the
 *     engine worker stopped";
 *   - a NUL byte in a prompt on standard input is an error, not a cut;
 *   - NaN weights stop generation with a message instead of emitting tokens;
 *   - regexes from a policy, a fixture assertion and `sessions label
 *     --assert` are bounded: 20,000 nested parentheses and
 *     (((a{1,100}){1,100}){1,100}){1,100} are refused quickly, in little
 *     memory, with the limit named.
 * (A file size limit and a full disk: test_sessions_safe.c.) */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "engine/gguf.h"
#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

static FakeProv *fp;
static char home[256];
static char bin[1024];
static char **env;

static void setup(void)
{
    vsuite_home("hostile", bin, sizeof bin, home, sizeof home);
    fp = vsuite_fake(NULL);
    env = vchild_env_new(home, fakeprov_url(fp));
}

static void teardown(void)
{
    vsuite_end(&fp, &env, home);
}

TestSuite(hostile, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

static void finished(const VResult *r, const char *what)
{
    cr_assert(!r->timed_out, "%s did not finish; stdout %.500s stderr %.500s", what, buf_str(&r->out),
              buf_str(&r->err));
    cr_assert_eq(r->term_signal, 0, "%s died of signal %d", what, r->term_signal);
}

Test(hostile, a_fifo_given_as_a_model_is_refused_and_sigint_ends_a_run_that_never_would)
{
    char fifo[512];
    snprintf(fifo, sizeof fifo, "%s/model.gguf", home);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    char spec[600];
    snprintf(spec, sizeof spec, "local:%s", fifo);
    const char *args[] = { "run", "--no-progress", "--timeout", "3", "-m", spec, "-m", "openai:happy", "hi", NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    finished(&r, "run with a FIFO model");
    cr_assert_eq(r.exit_code, 1);
    cr_assert(strstr(buf_str(&r.out), "not a regular file (a FIFO)"), "%s", buf_str(&r.out));
    cr_assert(strstr(buf_str(&r.out), FAKEPROV_HAPPY_TEXT), "the healthy model's reply is lost");
    vchild_result_free(&r);

    /* SIGINT while a stream never ends (and the FIFO model is there too) */
    const char *forever[] = { "run", "--no-progress", "-m", spec, "-m", "openai:never-ends", "hi", NULL };
    VChild c;
    fakeprov_reset(fp);
    cr_assert_eq(vchild_start(bin, forever, env, NULL, &c), 0);
    cr_assert(fakeprov_wait_count(fp, FAKE_ROUTE_OPENAI, 1, DEADLINE_MS), "the stream did not start");
    kill(c.pid, SIGINT);
    /* the stream never ends and the FIFO is never written: only the SIGINT
     * can end this run, so its ending (before the hang guard) with 130 is
     * the proof */
    vchild_finish(&c, DEADLINE_MS, false, &r);
    finished(&r, "run after SIGINT");
    cr_assert_eq(r.exit_code, 130, "exit %d", r.exit_code);
    vchild_result_free(&r);
}

Test(hostile, a_20_mib_prompt_to_a_local_model_is_the_context_length_error)
{
    char model[1024];
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    /* 20 MiB that tokenizes to more ids than one engine message holds */
    size_t n = 20u << 20;
    char *prompt = malloc(n + 1);
    unsigned x = 12345;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        prompt[i] = "abcdefghijklmnopqrstuvwxyz0123456789!#%&*()"[(x >> 16) % 43];
    }
    prompt[n] = '\0';
    char spec[1100];
    snprintf(spec, sizeof spec, "local:%s", model);
    const char *args[] = { "run", "--no-progress", "--raw", "-m", spec, "-", NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, prompt, DEADLINE_MS, false, &r), 0);
    finished(&r, "run with a 20 MiB prompt");
    cr_assert(strstr(buf_str(&r.out), "does not fit in the context"), "%s", buf_str(&r.out));
    cr_assert_null(strstr(buf_str(&r.out), "worker stopped"));
    vchild_result_free(&r);
    free(prompt);
}

Test(hostile, a_nul_byte_in_a_stdin_prompt_is_an_error_not_a_cut)
{
    static const char prompt[] = "first half\0second half";
    const char *args[] = { "run", "--no-progress", "-m", "openai:happy", "-", NULL };
    VResult r;
    cr_assert_eq(vchild_run_bytes(bin, args, env, prompt, sizeof prompt - 1, DEADLINE_MS, false, &r), 0);
    finished(&r, "run with a NUL in its prompt");
    cr_assert_eq(r.exit_code, 2);
    cr_assert(strstr(buf_str(&r.err), "NUL byte (at byte 10"), "%s", buf_str(&r.err));
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_COUNT), 0, "half a prompt was sent");
    vchild_result_free(&r);
}

Test(hostile, nan_weights_stop_generation_with_a_message)
{
    char model[1024];
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    /* a copy whose output norm weights are NaN */
    char copy[600], err[256];
    snprintf(copy, sizeof copy, "%s/nan.gguf", home);
    FILE *in = fopen(model, "rb");
    cr_assert(in);
    Buf file = { 0 };
    char tmp[65536];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, in)) > 0)
        buf_append(&file, tmp, got);
    fclose(in);
    GgufFile *g = gguf_open_memory(file.data, file.len, err, sizeof err);
    cr_assert(g, "%s", err);
    const GgufTensor *t = gguf_find_tensor(g, "output_norm.weight");
    cr_assert(t && t->type == GGML_TYPE_F32, "no F32 output_norm.weight");
    size_t off = (size_t)((const char *)t->data - file.data), count = t->nbytes / sizeof(float);
    gguf_close(g);
    float nan = __builtin_nanf("");
    for (size_t i = 0; i < count; i++)
        memcpy(file.data + off + i * sizeof nan, &nan, sizeof nan);
    FILE *out = fopen(copy, "wb");
    cr_assert(out);
    cr_assert_eq(fwrite(file.data, 1, file.len, out), file.len);
    fclose(out);
    buf_free(&file);
    char spec[700];
    snprintf(spec, sizeof spec, "local:%s", copy);
    const char *args[] = { "run", "--no-progress", "--raw", "-n", "8", "-m", spec, "Once upon a time", NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    finished(&r, "run on NaN weights");
    cr_assert_eq(r.exit_code, 1, "exit %d: %s", r.exit_code, buf_str(&r.out));
    cr_assert(strstr(buf_str(&r.out), "NaN logits"), "%s", buf_str(&r.out));
    vchild_result_free(&r);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

/* A regex pattern of 20,000 nested groups, JSON-escaped as a string body. */
static char *nested(size_t k)
{
    char *p = malloc(2 * k + 2);
    memset(p, '(', k);
    p[k] = 'a';
    memset(p + k + 1, ')', k);
    p[2 * k + 1] = '\0';
    return p;
}

/* Refused by the pattern limits (the message names the limit), not by
 * running out of time or memory: no wall-clock budget, the message is the
 * proof that the bound fired before any blow-up. */
static void refused_by_a_limit(const char *const *args, const char *says)
{
    VResult r;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    finished(&r, args[0]);
    cr_assert_eq(r.exit_code, 2, "versus %s %s: exit %d: %s", args[0], args[1], r.exit_code, buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), says), "versus %s %s: %s", args[0], args[1], buf_str(&r.err));
    cr_assert_lt(r.max_rss_kb, 256 * 1024, "versus %s used %ld KiB", args[0], r.max_rss_kb);
    vchild_result_free(&r);
}

Test(hostile, regexes_in_policies_fixture_assertions_and_labels_are_bounded)
{
    char *deep = nested(20000);
    const char *blowup = "(((a{1,100}){1,100}){1,100}){1,100}";
    const char *const patterns[] = { deep, blowup };
    const char *const says[] = { "longer than", "too large" };
    char policy[600], fixture[600];
    snprintf(policy, sizeof policy, "%s/policy.json", home);
    snprintf(fixture, sizeof fixture, "%s/cases.jsonl", home);
    for (int i = 0; i < 2; i++) {
        Buf b = { 0 };
        buf_printf(&b, "{\"versus_policy\":1,\"rules\":[{\"when\":{\"regex\":\"%s\"},\"route\":\"local:a\"}],"
                       "\"default\":\"local:b\"}", patterns[i]);
        write_text(policy, buf_str(&b));
        buf_free(&b);
        const char *route[] = { "policy", "route", policy, "a prompt", NULL };
        refused_by_a_limit(route, says[i]);
        buf_printf(&b, "{\"versus_fixture\":1,\"id\":\"c#1\",\"prompt\":\"hi\",\"system\":null,\"sensitivity\":"
                       "\"public\",\"params\":{},\"outcome\":\"unlabelled\",\"candidates\":[{\"spec\":\"openai:happy\","
                       "\"provider\":\"openai\",\"model\":\"happy\",\"status\":\"ok\",\"text\":\"aaaa\"}],"
                       "\"assertions\":[{\"type\":\"regex\",\"value\":\"%s\"}]}\n", patterns[i]);
        write_text(fixture, buf_str(&b));
        buf_free(&b);
        const char *replay[] = { "replay", "--offline", fixture, NULL };
        refused_by_a_limit(replay, says[i]);
    }
    /* sessions label --assert */
    const char *save[] = { "run", "--no-progress", "--save", "-m", "openai:happy", "hi", NULL };
    VResult r;
    cr_assert_eq(vchild_run(bin, save, env, NULL, DEADLINE_MS, false, &r), 0);
    const char *p = strstr(buf_str(&r.err), "of session ");
    cr_assert(p, "%s", buf_str(&r.err));
    char id[128];
    snprintf(id, sizeof id, "%.*s", (int)strcspn(p + 11, " "), p + 11);
    vchild_result_free(&r);
    for (int i = 0; i < 2; i++) {
        Buf a = { 0 };
        buf_printf(&a, "regex:%s", patterns[i]);
        const char *label[] = { "sessions", "label", id, "1", "--winner", "1", "--assert", buf_str(&a), NULL };
        refused_by_a_limit(label, says[i]);
        buf_free(&a);
    }
    free(deep);
}
