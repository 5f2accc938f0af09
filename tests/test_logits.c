/* test_logits.c — `versus logits`: the real binary on ../shared's
 * stories260K prints, for every input position, the top-K ids and logits the
 * engine computes in-process for the same tokens (model_forward_all), highest
 * first, each position teacher-forced; --text tokenizes like the engine does;
 * bad input (ids outside the vocabulary, both or neither input, a missing
 * file) is a clear error with a non-zero exit and nothing on stdout. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/model.h"
#include "harden/vchild.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

static char bin[1024], model[1024];

static void setup(void)
{
    if (!vchild_binary(bin, sizeof bin))
        cr_skip_test("no versus binary (VERSUS_BUILDDIR not set or not built)");
    if (!testenv_shared("models/stories260K.gguf", model, sizeof model))
        cr_skip_test("VERSUS_SHARED not set");
    if (access(model, R_OK) != 0)
        cr_skip_test("no model at %s", model);
}

static void run(const char *const *args, bool json, VResult *r)
{
    char home[] = "/tmp/versus-logits-XXXXXX";
    cr_assert_not_null(mkdtemp(home));
    char **env = vchild_env_new(home, NULL);
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, json, r), 0);
    cr_assert(!r->timed_out, "versus logits did not finish");
    vchild_env_free(env);
    vchild_rm_tree(home);
}

static void expect_usage_error(const char *const *args, const char *needle, int code);

/* The engine's own logits for ids with a KV cache of kv_type (NULL = the
 * default), (n, n_vocab); *nv gets n_vocab. */
static float *engine_logits_kv(const int *ids, int n, int *nv, const char *kv_type)
{
    char err[512];
    EngineOptions eo = { .n_threads = 1, .backend = ENGINE_BACKEND_CPU, .kv_type = kv_type };
    Engine *e = engine_load(model, &eo, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    *nv = model_config(engine_model(e))->n_vocab;
    float *all = malloc((size_t)n * *nv * sizeof *all);
    cr_assert_eq(model_forward_all(engine_model(e), ids, n, 0, all, err, sizeof err), 0, "%s", err);
    engine_free(e);
    return all;
}

static float *engine_logits(const int *ids, int n, int *nv)
{
    return engine_logits_kv(ids, n, nv, NULL);
}

/* Every position of the printed JSON holds the k best of the engine's logits. */
static void check_positions(const cJSON *j, const int *ids, int n, int k)
{
    const cJSON *toks = cJSON_GetObjectItem(j, "tokens"), *pos = cJSON_GetObjectItem(j, "positions");
    cr_assert(cJSON_IsArray(toks) && cJSON_GetArraySize(toks) == n);
    cr_assert(cJSON_IsArray(pos) && cJSON_GetArraySize(pos) == n);
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "arch")), "llama");
    cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "backend")), "cpu");
    int nv;
    float *all = engine_logits(ids, n, &nv);
    for (int i = 0; i < n; i++) {
        cr_assert_eq(cJSON_GetArrayItem(toks, i)->valueint, ids[i]);
        const cJSON *p = cJSON_GetArrayItem(pos, i);
        cr_assert_eq(cJSON_GetObjectItem(p, "pos")->valueint, i);
        const cJSON *top = cJSON_GetObjectItem(p, "top");
        cr_assert_eq(cJSON_GetArraySize(top), k);
        const float *row = all + (size_t)i * nv;
        double prev = INFINITY;
        for (int r = 0; r < k; r++) {
            const cJSON *pair = cJSON_GetArrayItem(top, r);
            int id = cJSON_GetArrayItem(pair, 0)->valueint;
            double lg = cJSON_GetArrayItem(pair, 1)->valuedouble;
            cr_assert(id >= 0 && id < nv);
            cr_assert_eq((float)lg, row[id], "pos %d rank %d: printed %.9g, engine %.9g", i, r, lg, (double)row[id]);
            cr_assert_leq(lg, prev, "pos %d: not sorted", i);
            prev = lg;
            int above = 0; /* exactly r logits beat the r-th (ties aside) */
            for (int v = 0; v < nv; v++)
                above += row[v] > row[id];
            cr_assert_leq(above, r, "pos %d rank %d: id %d is not the %d-th best", i, r, id, r + 1);
        }
    }
    free(all);
}

Test(logits, token_ids_give_the_engines_top_k_at_every_position)
{
    setup();
    static const int ids[] = { 1, 403, 407, 261, 378, 425, 409, 263, 9, 300 };
    const char *args[] = { "logits", model, "--tokens", "1,403,407, 261,378,425,409,263,9,300", "--top", "4", NULL };
    VResult r;
    run(args, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_not_null(r.json, "stdout is not JSON: %s", buf_str(&r.out));
    check_positions(r.json, ids, 10, 4);
    vchild_result_free(&r);
}

Test(logits, each_kv_type_prints_what_the_engine_computes_with_it)
{
    setup();
    static const int ids[] = { 1, 403, 407, 261, 378, 425, 409, 263, 9, 300 };
    const char *types[] = { "f32", "f16" }; /* q8_0 needs heads of 32 or more: below */
    int nv;
    float *f32 = engine_logits_kv(ids, 10, &nv, "f32");
    for (int k = 0; k < 2; k++) {
        const char *args[] = { "logits", model, "--tokens", "1,403,407,261,378,425,409,263,9,300", "--top", "1",
                               "--kv-type", types[k], NULL };
        VResult r;
        run(args, true, &r);
        cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
        cr_assert_not_null(r.json);
        float *mine = engine_logits_kv(ids, 10, &nv, types[k]);
        const cJSON *pos = cJSON_GetObjectItem(r.json, "positions");
        for (int i = 0; i < 10; i++) {
            const cJSON *pair = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(pos, i), "top"), 0);
            int id = cJSON_GetArrayItem(pair, 0)->valueint;
            double lg = cJSON_GetArrayItem(pair, 1)->valuedouble;
            cr_assert_eq((float)lg, mine[(size_t)i * nv + id], "%s pos %d", types[k], i);
            /* the cache's rounding moves a logit by a small fraction of it */
            cr_assert(fabs(lg - f32[(size_t)i * nv + id]) <= 0.02 * (1.0 + fabs(lg)), "%s pos %d: %g vs f32 %g",
                      types[k], i, lg, (double)f32[(size_t)i * nv + id]);
        }
        free(mine);
        vchild_result_free(&r);
    }
    free(f32);
    const char *bad[] = { "logits", model, "--tokens", "1", "--kv-type", "q4_0", NULL };
    expect_usage_error(bad, "--kv-type must be f32, f16 or q8_0", 2);
    const char *q8[] = { "logits", model, "--tokens", "1", "--kv-type", "q8_0", NULL }; /* heads of 8 */
    expect_usage_error(q8, "multiple of 32", 1);
}

Test(logits, one_token_at_a_time_gives_what_the_batched_pass_gives)
{
    /* engine_logits_stepwise is how the GPU backend's logits are read for
     * every position: on the CPU it must agree with the batched pass */
    setup();
    static const int ids[] = { 1, 403, 407, 261, 378, 425, 409, 263, 9, 300, 1, 17 };
    int nv;
    float *batched = engine_logits(ids, 12, &nv);
    char err[512];
    EngineOptions eo = { .n_threads = 2, .backend = ENGINE_BACKEND_CPU };
    Engine *e = engine_load(model, &eo, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    float *step = malloc(sizeof(float) * 12 * (size_t)nv);
    cr_assert_eq(engine_logits_stepwise(e, ids, 5, 0, step, err, sizeof err), 0, "%s", err);
    cr_assert_eq(engine_logits_stepwise(e, ids + 5, 7, 5, step + 5 * (size_t)nv, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < 12 * (size_t)nv; i++)
        cr_assert(fabsf(step[i] - batched[i]) <= 1e-3f * (1.0f + fabsf(batched[i])), "logit %zu: %g vs %g", i,
                  step[i], batched[i]);
    free(step);
    free(batched);
    engine_free(e);
    const char *tpu[] = { "logits", model, "--tokens", "1", "--backend", "tpu", NULL };
    expect_usage_error(tpu, "--backend must be cpu or cuda", 2);
}

Test(logits, text_is_tokenized_with_bos_and_scored_like_ids)
{
    setup();
    const char *args[] = { "logits", model, "--text", "Once upon a time", "--top", "3", NULL };
    VResult r;
    run(args, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_not_null(r.json);
    const cJSON *toks = cJSON_GetObjectItem(r.json, "tokens");
    int n = cJSON_GetArraySize(toks), ids[64];
    cr_assert(n >= 3 && n < 64);
    for (int i = 0; i < n; i++)
        ids[i] = cJSON_GetArrayItem(toks, i)->valueint;
    cr_assert_eq(ids[0], 1, "BOS first");
    check_positions(r.json, ids, n, 3);
    vchild_result_free(&r);
}

static void expect_usage_error(const char *const *args, const char *needle, int code)
{
    VResult r;
    run(args, false, &r);
    cr_assert_eq(r.exit_code, code, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), needle), "stderr '%s' does not say '%s'", buf_str(&r.err), needle);
    cr_assert_eq(r.out.len, 0, "stdout: %s", buf_str(&r.out));
    vchild_result_free(&r);
}

Test(logits, bad_input_is_refused_with_a_reason_and_no_output)
{
    setup();
    const char *a1[] = { "logits", model, "--tokens", "1,2,999999", NULL };
    expect_usage_error(a1, "outside the vocabulary", 2);
    const char *a2[] = { "logits", model, "--tokens", "1,x", NULL };
    expect_usage_error(a2, "comma-separated token ids", 2);
    const char *a3[] = { "logits", model, "--tokens", "1", "--text", "hi", NULL };
    expect_usage_error(a3, "either --tokens or --text", 2);
    const char *a4[] = { "logits", model, NULL };
    expect_usage_error(a4, "either --tokens or --text", 2);
    const char *a5[] = { "logits", "/nonexistent/model.gguf", "--tokens", "1", NULL };
    expect_usage_error(a5, "not found", 2);
    const char *a6[] = { "logits", model, "--tokens", "1", "--top", "0", NULL };
    expect_usage_error(a6, "--top", 2);
}

/* The model path is printed back: a file name holding a bidi override and a
 * C1 control reaches the output as JSON escapes (same meaning, nothing for
 * a terminal to obey), as every other command's JSON does. */
Test(logits, hidden_characters_in_the_model_path_are_escaped_in_the_json)
{
    setup();
    char dir[] = "/tmp/versus-logits-name-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char link[1200];
    snprintf(link, sizeof link, "%s/evil\xe2\x80\xae" "fgg\xc2\x9b.gguf", dir);
    cr_assert_eq(symlink(model, link), 0);
    const char *args[] = { "logits", link, "--tokens", "1,403", "--top", "2", NULL };
    VResult r;
    run(args, true, &r);
    cr_assert_eq(r.exit_code, 0, "stderr: %s", buf_str(&r.err));
    cr_assert_null(strstr(buf_str(&r.out), "\xe2\x80\xae"), "raw U+202E reached stdout");
    cr_assert_null(strstr(buf_str(&r.out), "\xc2\x9b"), "raw U+009B reached stdout");
    cr_assert_not_null(strstr(buf_str(&r.out), "\\u202e"), "%s", buf_str(&r.out));
    cr_assert_not_null(r.json);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r.json, "model");
    cr_assert(cJSON_IsString(m) && strcmp(m->valuestring, link) == 0, "the escaped path must decode to the path");
    vchild_result_free(&r);
    unlink(link);
    rmdir(dir);
}
