/* test_engine.c — the sampler's rules and statistics, the engine's generate
 * loop on the real stories260K model (greedy ids against the oracle, stop
 * reasons, cancel, memory), and the worker protocol as local.c sees it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/sampler.h"

/* ---- sampler ------------------------------------------------------------------- */

static SamplerParams plain(float temp)
{
    SamplerParams p = { .temperature = temp, .top_k = 0, .top_p = 1.0f, .min_p = 0.0f,
                        .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 42 };
    return p;
}

Test(sampler, greedy_picks_the_max_and_the_lowest_id_on_ties)
{
    float l[6] = { 0.5f, 2.0f, -1.0f, 2.0f, NAN, 1.0f };
    cr_assert_eq(sampler_argmax(l, 6), 1);
    float n[3] = { NAN, -3.0f, -2.0f };
    cr_assert_eq(sampler_argmax(n, 3), 2);
    SamplerParams p = sampler_params_default();
    p.temperature = 0.0f; /* greedy whatever the other knobs say */
    Sampler *s = sampler_new(&p, 6);
    for (int i = 0; i < 10; i++) {
        float c[6] = { 0.5f, 2.0f, -1.0f, 2.0f, 0.0f, 1.0f };
        cr_assert_eq(sampler_sample(s, c, NULL, 0), 1);
    }
    sampler_free(s);
    cr_assert_null(sampler_new(&p, 0));
}

static void counts(SamplerParams p, const float *logits, int n, int draws, int *out)
{
    Sampler *s = sampler_new(&p, n);
    cr_assert_not_null(s);
    memset(out, 0, (size_t)n * sizeof *out);
    float *tmp = malloc((size_t)n * sizeof *tmp);
    for (int i = 0; i < draws; i++) {
        memcpy(tmp, logits, (size_t)n * sizeof *tmp);
        int t = sampler_sample(s, tmp, NULL, 0);
        cr_assert(t >= 0 && t < n);
        out[t]++;
    }
    free(tmp);
    sampler_free(s);
}

Test(sampler, temperature_one_follows_the_softmax)
{
    float l[3] = { logf(0.5f), logf(0.3f), logf(0.2f) };
    int c[3];
    counts(plain(1.0f), l, 3, 40000, c);
    cr_assert(fabs(c[0] / 40000.0 - 0.5) < 0.015, "%d", c[0]);
    cr_assert(fabs(c[1] / 40000.0 - 0.3) < 0.015, "%d", c[1]);
    cr_assert(fabs(c[2] / 40000.0 - 0.2) < 0.015, "%d", c[2]);
    /* temperature 0.5 squares the odds: 25:9:4 */
    counts(plain(0.5f), l, 3, 40000, c);
    cr_assert(fabs(c[0] / 40000.0 - 25.0 / 38) < 0.015, "%d", c[0]);
    cr_assert(fabs(c[2] / 40000.0 - 4.0 / 38) < 0.015, "%d", c[2]);
}

Test(sampler, top_k_top_p_and_min_p_cut_the_tail)
{
    float l[4] = { logf(0.4f), logf(0.3f), logf(0.2f), logf(0.1f) };
    int c[4];
    SamplerParams p = plain(1.0f);
    p.top_k = 2;
    counts(p, l, 4, 20000, c);
    cr_assert(c[2] == 0 && c[3] == 0);
    cr_assert(fabs(c[0] / 20000.0 - 4.0 / 7) < 0.02, "%d", c[0]);
    p = plain(1.0f);
    p.top_p = 0.75f; /* 0.4 + 0.3 = 0.7 < 0.75: the third one is needed too */
    counts(p, l, 4, 20000, c);
    cr_assert(c[3] == 0 && c[2] > 0);
    cr_assert(fabs(c[2] / 20000.0 - 2.0 / 9) < 0.02, "%d", c[2]);
    p.top_p = 0.7f;
    counts(p, l, 4, 20000, c);
    cr_assert(c[2] == 0 && c[3] == 0);
    p = plain(1.0f);
    p.min_p = 0.45f; /* keep p >= 0.18 */
    counts(p, l, 4, 20000, c);
    cr_assert(c[3] == 0 && c[2] > 0);
    p.min_p = 0.9f; /* only the most likely */
    counts(p, l, 4, 2000, c);
    cr_assert_eq(c[0], 2000);
    p = plain(1.0f);
    p.top_k = 1;
    counts(p, l, 4, 2000, c);
    cr_assert_eq(c[0], 2000);
    p.top_p = 0.01f;
    p.top_k = 0;
    counts(p, l, 4, 2000, c);
    cr_assert_eq(c[0], 2000);
}

Test(sampler, top_k_keeps_the_lowest_ids_among_equal_logits)
{
    float l[8] = { 1, 3, 3, 3, 0, 3, 2, 3 };
    int c[8];
    SamplerParams p = plain(1.0f);
    p.top_k = 3; /* five 3s: ids 1, 2, 3 kept */
    counts(p, l, 8, 3000, c);
    cr_assert(c[1] > 0 && c[2] > 0 && c[3] > 0);
    cr_assert(c[5] == 0 && c[7] == 0 && c[0] == 0 && c[6] == 0);
}

Test(sampler, same_seed_same_tokens_other_seed_other_tokens)
{
    float l[50];
    for (int i = 0; i < 50; i++)
        l[i] = (float)((i * 37) % 11) * 0.3f;
    int a[200], b[200], c[200];
    SamplerParams p = sampler_params_default();
    p.top_k = 0;
    p.min_p = 0.0f;
    p.seed = 7;
    Sampler *s1 = sampler_new(&p, 50), *s2 = sampler_new(&p, 50);
    p.seed = 8;
    Sampler *s3 = sampler_new(&p, 50);
    float t[50];
    int differ = 0;
    for (int i = 0; i < 200; i++) {
        memcpy(t, l, sizeof t);
        a[i] = sampler_sample(s1, t, NULL, 0);
        memcpy(t, l, sizeof t);
        b[i] = sampler_sample(s2, t, NULL, 0);
        memcpy(t, l, sizeof t);
        c[i] = sampler_sample(s3, t, NULL, 0);
        cr_assert_eq(a[i], b[i], "draw %d", i);
        differ += a[i] != c[i];
    }
    cr_assert_gt(differ, 50);
    sampler_free(s1);
    sampler_free(s2);
    sampler_free(s3);
}

Test(sampler, repetition_penalty_divides_positive_and_multiplies_negative_logits_once)
{
    SamplerParams p = plain(0.0f);
    p.repeat_penalty = 1.25f;
    p.repeat_last_n = 3;
    Sampler *s = sampler_new(&p, 4);
    float l[4] = { 2.0f, 1.9f, -1.0f, -1.1f };
    int hist[5] = { 0, 0, 0, 2, 0 }; /* token 0 counted once, 2 once */
    cr_assert_eq(sampler_sample(s, l, hist, 5), 1);
    cr_assert_float_eq(l[0], 1.6f, 1e-6);
    cr_assert_float_eq(l[2], -1.25f, 1e-6);
    cr_assert_float_eq(l[3], -1.1f, 1e-6);
    /* outside the window: token 1 at the start is not penalised */
    float m[4] = { 2.0f, 1.9f, -1.0f, -1.1f };
    int h2[4] = { 1, 3, 3, 3 };
    cr_assert_eq(sampler_sample(s, m, h2, 4), 0);
    cr_assert_float_eq(m[1], 1.9f, 1e-6);
    sampler_free(s);
}

/* ---- engine on stories260K ------------------------------------------------------- */

#include <cjson/cJSON.h>
#include <poll.h>
#include <unistd.h>

#include "util/clock.h"
#include "core/reply.h"
#include "engine/backend_cuda.h"
#include "engine/engine.h"
#include "providers/local.h"
#include "testenv.h"

/* The oracle's first greedy case: prompt text, prompt ids, generated ids and text. */
typedef struct Oracle {
    char prompt[256];
    int prompt_ids[64], n_prompt;
    int ids[128], n_ids;
    char text[2048];
} Oracle;

static void load_oracle(int which, Oracle *o)
{
    char *p = testenv_shared_path("oracle/stories260K_greedy.json");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    free(p);
    cJSON *root = cJSON_Parse(buf);
    cr_assert_not_null(root);
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "greedy"), which);
    cr_assert_not_null(c);
    memset(o, 0, sizeof *o);
    snprintf(o->prompt, sizeof o->prompt, "%s", cJSON_GetObjectItem(c, "prompt")->valuestring);
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(c, "prompt_ids")) o->prompt_ids[o->n_prompt++] = it->valueint;
    const cJSON *gen = cJSON_GetObjectItem(c, "gen64");
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(gen, "ids")) o->ids[o->n_ids++] = it->valueint;
    snprintf(o->text, sizeof o->text, "%s", cJSON_GetObjectItem(gen, "text")->valuestring);
    cJSON_Delete(root);
}

static Engine *load_stories(const EngineOptions *opt)
{
    EngineOptions one = { .n_threads = 1 }; /* a 260K model: threads only add overhead */
    if (!opt)
        opt = &one;
    char *p = testenv_shared_path("models/stories260K.gguf");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    char err[512];
    Engine *e = engine_load(p, opt, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    free(p);
    return e;
}

typedef struct Collect {
    int ids[4096];
    int n;
    Buf text;
    int stop_after; /* return non-zero after this many tokens; 0 = never */
} Collect;

static int collect(void *user, int token, const char *text, size_t len)
{
    Collect *c = user;
    if (token >= 0)
        c->ids[c->n++] = token;
    buf_append(&c->text, text, len);
    return c->stop_after && c->n >= c->stop_after;
}

static EngineGenParams greedy(int max_tokens)
{
    EngineGenParams g = { .sampler = sampler_params_default(), .max_tokens = max_tokens, .ignore_eos = true };
    g.sampler.temperature = 0.0f;
    return g;
}

Test(engine, raw_prompt_greedy_ids_and_text_match_the_oracle)
{
    Engine *e = load_stories(NULL);
    for (int which = 0; which < 2; which++) {
        Oracle o;
        load_oracle(which, &o);
        int *ids;
        size_t n;
        char err[512];
        cr_assert_eq(engine_build_prompt(e, NULL, o.prompt, true, &ids, &n, err, sizeof err), 0, "%s", err);
        cr_assert_eq((int)n, o.n_prompt, "prompt '%s': %zu ids, oracle has %d", o.prompt, n, o.n_prompt);
        cr_assert_eq(memcmp(ids, o.prompt_ids, n * sizeof *ids), 0);
        Collect c = { 0 };
        EngineGenParams g = greedy(o.n_ids);
        EngineStats st;
        cr_assert_eq(engine_generate(e, ids, n, &g, collect, &c, NULL, &st, err, sizeof err), 0, "%s", err);
        cr_assert_eq(c.n, o.n_ids);
        cr_assert_eq(memcmp(c.ids, o.ids, (size_t)c.n * sizeof(int)), 0, "generated ids differ");
        cr_assert_str_eq(buf_str(&c.text), o.text);
        cr_assert_str_eq(st.finish_reason, "length");
        cr_assert_eq(st.n_prompt, o.n_prompt);
        cr_assert_eq(st.n_output, o.n_ids);
        cr_assert_geq(st.ttft_ms, 0);
        cr_assert_gt(st.output_tokens_per_s, 0);
        buf_free(&c.text);
        free(ids);
    }
    cr_assert(engine_is_eog(e, 2));
    cr_assert_eq(engine_bos(e), 1);
    engine_free(e);
}

Test(engine, context_overflow_finishes_with_length)
{
    EngineOptions opt = { .n_ctx = 16 };
    Engine *e = load_stories(&opt);
    cr_assert_eq(model_config(engine_model(e))->n_ctx, 16);
    Oracle o;
    load_oracle(0, &o);
    Collect c = { 0 };
    EngineGenParams g = greedy(0); /* no cap: only the context stops it */
    EngineStats st;
    char err[512];
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &c, NULL, &st, err, sizeof err),
                 0, "%s", err);
    cr_assert_str_eq(st.finish_reason, "length");
    /* positions 0..15 hold 5 prompt + 11 generated; the 12th comes from the last logits */
    cr_assert_eq(c.n, 16 - o.n_prompt + 1);
    cr_assert_eq(memcmp(c.ids, o.ids, (size_t)c.n * sizeof(int)), 0);
    /* a prompt longer than the context is an error */
    int big[17] = { 1 };
    cr_assert_eq(engine_generate(e, big, 17, &g, NULL, NULL, NULL, &st, err, sizeof err), -1);
    cr_assert(strstr(err, "does not fit"), "%s", err);
    cr_assert_eq(engine_generate(e, big, 0, &g, NULL, NULL, NULL, &st, err, sizeof err), -1);
    buf_free(&c.text);
    engine_free(e);
}

Test(engine, callback_and_cancel_flag_stop_with_cancelled)
{
    Engine *e = load_stories(NULL);
    Oracle o;
    load_oracle(0, &o);
    Collect c = { .stop_after = 3 };
    EngineGenParams g = greedy(50);
    EngineStats st;
    char err[512];
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &c, NULL, &st, err, sizeof err), 0);
    cr_assert_eq(c.n, 3);
    cr_assert_str_eq(st.finish_reason, "cancelled");
    volatile int cancel = 1;
    Collect d = { 0 };
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &d, &cancel, &st, err, sizeof err), 0);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(st.finish_reason, "cancelled");
    buf_free(&c.text);
    buf_free(&d.text);
    engine_free(e);
}

/* stories260K never ends a story with EOS (llama2.c separates stories with
 * BOS), so a copy of the file names the oracle's 11th token as EOS instead. */
Test(engine, stops_before_an_end_of_generation_token)
{
    Oracle o;
    load_oracle(0, &o);
    char *p = testenv_shared_path("models/stories260K.gguf");
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f);
    static unsigned char file[2 << 20];
    size_t n = fread(file, 1, sizeof file, f);
    fclose(f);
    const char *key = "tokenizer.ggml.eos_token_id";
    unsigned char *at = memmem(file, n, key, strlen(key));
    cr_assert_not_null(at);
    uint32_t type, eos = (uint32_t)o.ids[10];
    memcpy(&type, at + strlen(key), 4);
    cr_assert_eq(type, 4); /* uint32 */
    memcpy(at + strlen(key) + 4, &eos, 4);
    char tmp[] = "/tmp/versus-test-eos-XXXXXX";
    int fd = mkstemp(tmp);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, file, n), (ssize_t)n);
    close(fd);
    EngineOptions opt = { .n_threads = 1 };
    char err[512];
    Engine *e = engine_load(tmp, &opt, err, sizeof err);
    unlink(tmp);
    cr_assert_not_null(e, "%s", err);
    cr_assert(engine_is_eog(e, o.ids[10]));
    Collect c = { 0 };
    EngineGenParams g = greedy(64);
    g.ignore_eos = false;
    EngineStats st;
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &c, NULL, &st, err, sizeof err), 0);
    cr_assert_str_eq(st.finish_reason, "stop");
    int first = 0;
    while (first < o.n_ids && o.ids[first] != o.ids[10])
        first++; /* the token may occur before index 10 too */
    cr_assert_eq(c.n, first, "stopped after %d tokens, expected %d", c.n, first);
    cr_assert_eq(st.n_output, first);
    cr_assert_eq(memcmp(c.ids, o.ids, sizeof(int) * (size_t)first), 0);
    buf_free(&c.text);
    engine_free(e);
    free(p);
}

Test(engine, same_seed_gives_the_same_tokens)
{
    Engine *e = load_stories(NULL);
    Oracle o;
    load_oracle(0, &o);
    EngineGenParams g = { .sampler = sampler_params_default(), .max_tokens = 40, .ignore_eos = true };
    g.sampler.seed = 1234;
    g.sampler.temperature = 1.0f;
    Collect a = { 0 }, b = { 0 }, c = { 0 };
    char err[512];
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &a, NULL, NULL, err, sizeof err), 0);
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &b, NULL, NULL, err, sizeof err), 0);
    g.sampler.seed = 99;
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &c, NULL, NULL, err, sizeof err), 0);
    cr_assert_eq(a.n, 40);
    cr_assert_eq(memcmp(a.ids, b.ids, sizeof(int) * 40), 0);
    cr_assert_neq(memcmp(a.ids, c.ids, sizeof(int) * 40), 0);
    buf_free(&a.text);
    buf_free(&b.text);
    buf_free(&c.text);
    engine_free(e);
}

Test(engine, memory_stays_within_file_plus_kv_plus_64_mib)
{
    double before = engine_rss_mib();
    cr_assert_gt(before, 0);
    Engine *e = load_stories(NULL);
    Oracle o;
    load_oracle(0, &o);
    EngineGenParams g = greedy(200);
    char err[512];
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, NULL, NULL, NULL, NULL, err, sizeof err), 0);
    double after = engine_rss_mib();
    double bound = (gguf_file_size(engine_gguf(e)) + model_kv_bytes(engine_model(e))) / 1048576.0 + 64.0;
    cr_assert_lt(after - before, bound, "RSS grew by %.1f MiB, bound %.1f MiB", after - before, bound);
    cr_assert_gt(model_weight_bytes(engine_model(e)), 0);
    double ms;
    cr_assert_eq(engine_bench_prefill(e, 32, &ms, err, sizeof err), 0, "%s", err);
    cr_assert_geq(ms, 0);
    cr_assert_eq(engine_bench_decode(e, 8, 16, &ms, err, sizeof err), 0, "%s", err);
    cr_assert_eq(engine_bench_decode(e, 4000, 16, &ms, err, sizeof err), -1);
    engine_free(e);
}

Test(engine, load_errors_name_the_file_and_the_problem)
{
    char err[512];
    cr_assert_null(engine_load("/nonexistent/x.gguf", NULL, err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/x.gguf"), "%s", err);
    /* a vocab-only file has no weights */
    char *p = testenv_shared_path("models/vocab/ggml-vocab-llama-spm.gguf");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    cr_assert_null(engine_load(p, NULL, err, sizeof err));
    cr_assert(strstr(err, "ggml-vocab-llama-spm.gguf") && strstr(err, "missing"), "%s", err);
    free(p);
}

/* ---- the worker protocol ---------------------------------------------------------- */

static void drain(EngineWorker *w, EngineMsgKind *kinds, int *nk, Collect *c, double *load_ms, long *usage,
                  char *finish, char *error)
{
    for (;;) {
        struct pollfd pfd = { .fd = engine_worker_fd(w), .events = POLLIN };
        cr_assert_geq(poll(&pfd, 1, 10000), 1, "worker silent for 10 s");
        EngineMsg m;
        int rc;
        while ((rc = engine_worker_read(w, &m)) == 1) {
            kinds[(*nk)++] = m.kind;
            switch (m.kind) {
            case ENGINE_MSG_LOADED: *load_ms = m.load_ms; break;
            case ENGINE_MSG_PROMPT: cr_assert_gt(m.n_ids, 0); break;
            case ENGINE_MSG_TOKEN: collect(c, m.token, m.text, m.len); (*nk)--; break;
            case ENGINE_MSG_USAGE: usage[0] = m.n_prompt; usage[1] = m.n_output; break;
            case ENGINE_MSG_TIMINGS: cr_assert_gt(m.rss_mib, 0); break;
            case ENGINE_MSG_FINISH: snprintf(finish, 32, "%s", m.text); break;
            case ENGINE_MSG_ERROR: snprintf(error, 512, "%s", m.text); break;
            case ENGINE_MSG_PROGRESS: /* "load" before loading (test_download covers it) */
                cr_assert_str_eq(m.phase, "load");
                (*nk)--;
                break;
            case ENGINE_MSG_DONE: return;
            }
        }
        cr_assert_eq(rc, 0, "protocol broken");
    }
}

Test(worker, streams_loaded_prompt_tokens_usage_timings_finish_done)
{
    Oracle o;
    load_oracle(0, &o);
    char *p = testenv_shared_path("models/stories260K.gguf");
    EngineJob job = { .model_path = p, .prompt = o.prompt, .raw = true, .gen = greedy(o.n_ids) };
    char err[512];
    EngineWorker *w = engine_worker_start(&job, err, sizeof err);
    cr_assert_not_null(w, "%s", err);
    EngineMsgKind kinds[16];
    int nk = 0;
    Collect c = { 0 };
    double load_ms = -1;
    long usage[2] = { -1, -1 };
    char finish[32] = "", error[512] = "";
    drain(w, kinds, &nk, &c, &load_ms, usage, finish, error);
    cr_assert_str_eq(error, "");
    EngineMsgKind want[] = { ENGINE_MSG_LOADED, ENGINE_MSG_PROMPT, ENGINE_MSG_USAGE, ENGINE_MSG_TIMINGS,
                             ENGINE_MSG_FINISH, ENGINE_MSG_DONE };
    cr_assert_eq(nk, 6);
    cr_assert_eq(memcmp(kinds, want, sizeof want), 0);
    cr_assert_geq(load_ms, 0);
    cr_assert_eq(c.n, o.n_ids);
    cr_assert_eq(memcmp(c.ids, o.ids, sizeof(int) * (size_t)c.n), 0);
    cr_assert_str_eq(buf_str(&c.text), o.text);
    cr_assert_eq(usage[0], o.n_prompt);
    cr_assert_eq(usage[1], o.n_ids);
    cr_assert_str_eq(finish, "length");
    engine_worker_free(w);
    buf_free(&c.text);
    free(p);
}

Test(worker, a_bad_model_is_an_error_message_then_done)
{
    EngineJob job = { .model_path = "/nonexistent/model.gguf", .prompt = "hi", .gen = greedy(4) };
    char err[512];
    EngineWorker *w = engine_worker_start(&job, err, sizeof err);
    cr_assert_not_null(w, "%s", err);
    EngineMsgKind kinds[16];
    int nk = 0;
    Collect c = { 0 };
    double load_ms = -1;
    long usage[2];
    char finish[32] = "", error[512] = "";
    drain(w, kinds, &nk, &c, &load_ms, usage, finish, error);
    cr_assert(strstr(error, "/nonexistent/model.gguf"), "%s", error);
    cr_assert_eq(nk, 2);
    cr_assert_eq(kinds[0], ENGINE_MSG_ERROR);
    engine_worker_free(w);
}

/* A hang in engine_worker_free (joining a thread blocked on a socket nobody
 * reads) is what this catches: each free must return, whatever stage the
 * worker is at. No wall-clock budget (valgrind runs this 50x slower); the
 * test's own timeout is the guard against a hang. */
Test(worker, free_without_reading_does_not_hang, .timeout = TESTENV_HANG_S)
{
    char *p = testenv_shared_path("models/stories260K.gguf");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    EngineJob job = { .model_path = p, .prompt = "Once", .raw = true, .gen = greedy(0) };
    char err[512];
    for (int i = 0; i < 5; i++) {
        EngineWorker *w = engine_worker_start(&job, err, sizeof err);
        cr_assert_not_null(w, "%s", err);
        usleep(20000 * (useconds_t)i); /* free at different stages: loading, generating, blocked on a full socket */
        engine_worker_free(w);
    }
    free(p);
}

/* ---- local.c: the StreamEvents and the Reply ------------------------------------- */

static void to_reply(void *user, const StreamEvent *ev)
{
    reply_apply_event(user, ev, clock_now_ms());
}

Test(local, greedy_request_fills_the_reply_like_any_provider)
{
    Oracle o;
    load_oracle(0, &o);
    char *p = testenv_shared_path("models/stories260K.gguf");
    Request rq = { .prompt = o.prompt, .params = params_default() };
    rq.params.raw = true;
    rq.params.temperature = 0.0;
    rq.params.max_tokens = 20;
    Reply *r = reply_new("local:stories", "local", "stories260K");
    reply_start(r, clock_now_ms());
    LocalOptions lo = { .threads = 1, .backend = "cpu", .gpu_layers = -1 };
    char err[512];
    cr_assert(local_engine_available());
    LocalStream *ls = local_stream_start(p, &rq, &lo, r, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    cr_assert_str_eq(r->backend, "cpu");
    StreamSink sink = { to_reply, r };
    for (;;) {
        struct pollfd pfd = { .fd = local_stream_fd(ls), .events = POLLIN };
        cr_assert_geq(poll(&pfd, 1, 10000), 1);
        if (local_stream_pump(ls, &sink) == 1)
            break;
    }
    reply_finish(r, clock_now_ms());
    cr_assert_eq(r->status, REPLY_OK);
    cr_assert(r->saw_done);
    cr_assert_str_eq(r->finish_reason, "length");
    cr_assert_eq(r->n_token_ids, 20);
    cr_assert_eq(memcmp(r->token_ids, o.ids, 20 * sizeof(int)), 0);
    cr_assert_eq(r->n_prompt_token_ids, (size_t)o.n_prompt);
    cr_assert_eq(memcmp(r->prompt_token_ids, o.prompt_ids, sizeof(int) * (size_t)o.n_prompt), 0);
    cr_assert_eq(strncmp(buf_str(&r->text), o.text, r->text.len), 0);
    cr_assert_eq(r->usage.input_tokens, o.n_prompt);
    cr_assert_eq(r->usage.output_tokens, 20);
    cr_assert_geq(r->metrics.load_ms, 0);
    cr_assert_gt(r->metrics.rss_mib, 0);
    cr_assert_gt(r->metrics.prompt_tokens_per_s, 0);
    cr_assert_geq(r->metrics.ttft_ms, 0);
    local_stream_free(ls);
    reply_free(r);
    free(p);
}

Test(local, engine_failure_is_an_error_event_not_a_crash)
{
    Request rq = { .prompt = "hi", .params = params_default() };
    Reply *r = reply_new("local:x", "local", "x");
    reply_start(r, clock_now_ms());
    char err[512];
    LocalStream *ls = local_stream_start("/nonexistent/m.gguf", &rq, NULL, r, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    StreamSink sink = { to_reply, r };
    for (;;) {
        struct pollfd pfd = { .fd = local_stream_fd(ls), .events = POLLIN };
        cr_assert_geq(poll(&pfd, 1, 10000), 1);
        if (local_stream_pump(ls, &sink) == 1)
            break;
    }
    reply_finish(r, clock_now_ms());
    cr_assert_eq(r->status, REPLY_ERROR);
    cr_assert(strstr(r->error_message, "/nonexistent/m.gguf"), "%s", r->error_message);
    local_stream_free(ls);
    reply_free(r);
    LocalOptions none = { .backend = "cuda", .gpu_layers = 0 }; /* contradicts itself */
    cr_assert_null(local_stream_start("/x.gguf", &rq, &none, NULL, err, sizeof err));
    cr_assert(strstr(err, "--gpu-layers 0"), "%s", err);
    LocalOptions bad = { .backend = "vulkan", .gpu_layers = -1 };
    cr_assert_null(local_stream_start("/x.gguf", &rq, &bad, NULL, err, sizeof err));
    cr_assert(strstr(err, "vulkan"), "%s", err);
    cr_assert_null(local_stream_start(NULL, &rq, NULL, NULL, err, sizeof err));
}

/* ---- backends ------------------------------------------------------------------------ */

static bool gpu_usable(char *why, size_t n)
{
    return cuda_backend_available(NULL, why, n);
}

Test(engine, backend_names_parse_and_the_zero_value_is_cpu)
{
    EngineBackend b = ENGINE_BACKEND_CUDA;
    cr_assert_eq(engine_backend_parse("cpu", &b), 0);
    cr_assert_eq(b, ENGINE_BACKEND_CPU);
    cr_assert_eq(engine_backend_parse("cuda", &b), 0);
    cr_assert_eq(b, ENGINE_BACKEND_CUDA);
    cr_assert_eq(engine_backend_parse(NULL, &b), 0);
    cr_assert_eq(b, ENGINE_BACKEND_AUTO);
    cr_assert_eq(engine_backend_parse("auto", &b), 0);
    cr_assert_eq(b, ENGINE_BACKEND_AUTO);
    cr_assert_eq(engine_backend_parse("CUDA", &b), -1);
    EngineOptions zero = { 0 };
    cr_assert_eq(zero.backend, ENGINE_BACKEND_CPU);
    Engine *e = load_stories(NULL);
    cr_assert_str_eq(engine_backend(e), "cpu");
    cr_assert_str_eq(engine_backend_note(e), "");
    cr_assert_eq(engine_gpu_layers(e), 0);
    engine_free(e);
}

/* Greedy ids of the oracle's first case on e. */
static void expect_oracle_greedy(Engine *e, int n_ids)
{
    Oracle o;
    load_oracle(0, &o);
    Collect c = { 0 };
    EngineGenParams g = greedy(n_ids);
    EngineStats st;
    char err[512];
    cr_assert_eq(engine_generate(e, o.prompt_ids, (size_t)o.n_prompt, &g, collect, &c, NULL, &st, err, sizeof err), 0,
                 "%s", err);
    cr_assert_eq(c.n, n_ids);
    cr_assert_eq(memcmp(c.ids, o.ids, sizeof(int) * (size_t)n_ids), 0, "greedy ids differ from the oracle on %s",
                 engine_backend(e));
    buf_free(&c.text);
}

Test(engine, cuda_asked_without_a_usable_gpu_fails_the_load_with_the_reason)
{
    char why[256];
    if (gpu_usable(why, sizeof why))
        cr_skip_test("a CUDA device is usable here");
    char *p = testenv_shared_path("models/stories260K.gguf");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    EngineOptions opt = { .n_threads = 1, .backend = ENGINE_BACKEND_CUDA };
    char err[512];
    cr_assert_null(engine_load(p, &opt, err, sizeof err));
    cr_assert(strstr(err, "stories260K.gguf") && strstr(err, "CUDA backend cannot run") && strstr(err, why),
              "error '%s' does not say why ('%s')", err, why);
    free(p);
}

Test(engine, auto_without_a_usable_gpu_runs_on_the_cpu_and_says_why)
{
    char why[256];
    if (gpu_usable(why, sizeof why))
        cr_skip_test("a CUDA device is usable here");
    EngineOptions opt = { .n_threads = 1, .backend = ENGINE_BACKEND_AUTO };
    Engine *e = load_stories(&opt);
    cr_assert_str_eq(engine_backend(e), "cpu");
    cr_assert(strstr(engine_backend_note(e), "CUDA not used") && strstr(engine_backend_note(e), why), "%s",
              engine_backend_note(e));
    expect_oracle_greedy(e, 32);
    engine_free(e);
}

Test(engine, cuda_backend_greedy_ids_match_the_oracle)
{
    char why[256];
    if (!gpu_usable(why, sizeof why))
        cr_skip_test("no usable CUDA device: %s", why);
    EngineOptions opt = { .backend = ENGINE_BACKEND_CUDA };
    Engine *e = load_stories(&opt);
    cr_assert_str_eq(engine_backend(e), "cuda");
    cr_assert_eq(engine_gpu_layers(e), model_config(engine_model(e))->n_layers);
    expect_oracle_greedy(e, 32);
    double ms;
    char err[512];
    cr_assert_eq(engine_bench_decode(e, 8, 16, &ms, err, sizeof err), 0, "%s", err);
    engine_free(e);
    opt.backend = ENGINE_BACKEND_AUTO;
    e = load_stories(&opt);
    cr_assert_str_eq(engine_backend(e), "cuda", "auto chose the CPU: %s", engine_backend_note(e));
    engine_free(e);
}

static Reply *run_local(const LocalOptions *lo)
{
    char *p = testenv_shared_path("models/stories260K.gguf");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    Request rq = { .prompt = "Once", .params = params_default() };
    rq.params.raw = true;
    rq.params.max_tokens = 4;
    Reply *r = reply_new("local:stories", "local", "stories260K");
    reply_start(r, clock_now_ms());
    char err[512];
    LocalStream *ls = local_stream_start(p, &rq, lo, r, err, sizeof err);
    cr_assert_not_null(ls, "%s", err);
    StreamSink sink = { to_reply, r };
    for (;;) {
        struct pollfd pfd = { .fd = local_stream_fd(ls), .events = POLLIN };
        cr_assert_geq(poll(&pfd, 1, 20000), 1);
        if (local_stream_pump(ls, &sink) == 1)
            break;
    }
    reply_finish(r, clock_now_ms());
    local_stream_free(ls);
    free(p);
    return r;
}

Test(local, cuda_without_a_usable_gpu_is_an_error_in_that_models_result)
{
    char why[256];
    if (gpu_usable(why, sizeof why))
        cr_skip_test("a CUDA device is usable here");
    LocalOptions lo = { .threads = 1, .backend = "cuda", .gpu_layers = -1 };
    Reply *r = run_local(&lo);
    cr_assert_eq(r->status, REPLY_ERROR);
    cr_assert(strstr(r->error_message, "CUDA backend cannot run") && strstr(r->error_message, why), "%s",
              r->error_message);
    cr_assert_str_eq(r->backend, "cuda"); /* what was asked for; nothing ran */
    cr_assert_eq(r->n_token_ids, 0);
    reply_free(r);
}

Test(local, auto_reports_the_backend_it_ran_on)
{
    char why[256];
    bool gpu = gpu_usable(why, sizeof why);
    LocalOptions lo = { .threads = 1, .backend = "auto", .gpu_layers = -1 };
    Reply *r = run_local(&lo);
    cr_assert_eq(r->status, REPLY_OK, "%s", r->error_message);
    cr_assert_str_eq(r->backend, gpu ? "cuda" : "cpu");
    cr_assert_eq(r->n_token_ids, 4);
    /* the engine's own GPU memory sample comes only with the model on the GPU */
    cr_assert_eq(r->vram_known, gpu);
    if (gpu)
        cr_assert(r->gpu_present && r->vram_total_mib > 0, "total %g", r->vram_total_mib);
    reply_free(r);
    lo.gpu_layers = 0; /* auto with no layer for the GPU: the CPU */
    r = run_local(&lo);
    cr_assert_eq(r->status, REPLY_OK, "%s", r->error_message);
    cr_assert_str_eq(r->backend, "cpu");
    reply_free(r);
}
