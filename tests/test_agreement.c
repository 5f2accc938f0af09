/* test_agreement.c — the engine computes what llama.cpp computes: for every
 * fixture in tests/reference/ (made by tests/tools/make-reference.sh, see
 * tests/README.md) the engine's teacher-forced logits at every position are
 * compared with llama.cpp's:
 *   - top-1 agrees at every position where llama.cpp's top-1/top-2 margin
 *     exceeds 0.1, the rule as written (the engine computes with an
 *     F32 cache in llama.cpp's own order, so this holds even where the margin
 *     is inside llama.cpp's own F16-vs-F32 KV-cache noise: on SmolLM2
 *     llama.cpp's F16 run changes its top-1 at 4 of the 378 such positions;
 *     those figures are logged too);
 *   - each of llama.cpp's 10 best logits is within the tolerance derived from
 *     the fixture itself: the largest difference llama.cpp's own logits show
 *     between an F16 and an F32 KV cache over all positions of that model
 *     (both recorded in the fixture), i.e. versus may differ from llama.cpp no
 *     more than llama.cpp differs from itself when its cache is rounded.
 * Random-weight models of every architecture, in Q8_0, Q4_0, Q4_K and Q6_K,
 * are rebuilt byte for byte by tests/archgen.c and must hash to the sha256
 * the fixture recorded; the real models (SmolLM2-135M-Instruct Q4_1 via
 * VERSUS_DEFAULT_MODEL_FILE, Gemma 3 270M Q4_K_M via VERSUS_GEMMA_MODEL_FILE,
 * stories260K via VERSUS_SHARED) must be the files the fixtures were made
 * from, and their tests skip visibly when absent. For those, greedy generation
 * through the engine (its prompt tokenized from the fixture's text, as `versus
 * run --raw` does) must give llama.cpp's greedy tokens up to the first one
 * llama.cpp was not confident about. The engine runs with an F32
 * KV cache, as llama.cpp did for the compared logits. Each test logs its
 * figures. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archgen.h"
#include "engine/engine.h"
#include "engine/gguf.h"
#include "engine/kvcache.h"
#include "engine/model.h"
#include "engine/quant.h"
#include "engine/sha256.h"
#include "engine/threadpool.h"
#include "util/buf.h"
#include "util/file.h"
#include "testenv.h"

#define MARGIN 0.1  /* the "confident" top-1/top-2 margin */
#define TOP 10

static cJSON *load_fixture(const char *name)
{
    const char *src = getenv("VERSUS_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/reference/%s.json", src ? src : ".", name);
    Buf b = { 0 };
    char err[256];
    cr_assert_eq(util_read_file(path, 16u << 20, &b, err, sizeof err), 0, "%s", err);
    cJSON *j = cJSON_Parse(buf_str(&b));
    buf_free(&b);
    cr_assert_not_null(j, "%s is not JSON", path);
    return j;
}

static int *json_ints(const cJSON *arr, int *n)
{
    *n = cJSON_GetArraySize(arr);
    int *v = malloc((size_t)(*n ? *n : 1) * sizeof *v);
    cr_assert_not_null(v);
    for (int i = 0; i < *n; i++)
        v[i] = cJSON_GetArrayItem(arr, i)->valueint;
    return v;
}

/* What one comparison found. */
typedef struct Agreement {
    double worst;      /* max |versus - llama.cpp| over llama.cpp's top-10, all positions */
    double tolerance;  /* max |llama.cpp F16 KV - F32 KV| over the same */
    int over_margin;   /* positions with a margin > MARGIN */
    int agree_over;    /* of those, where versus's top-1 is llama.cpp's */
    int ref_agree_over; /* of those, where llama.cpp's F16-KV top-1 is its F32 one */
    int outside_noise; /* of those, where the margin also exceeds llama.cpp's own F16-vs-F32 change */
    int agree_outside; /* of those, where versus's top-1 is llama.cpp's */
    int positions;
    char first_bad[200]; /* the first position over the margin whose top-1 differs */
} Agreement;

/* The fixture's own tolerance: llama.cpp's F16-vs-F32 difference. */
static void add_tolerance(Agreement *a, const cJSON *positions)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, positions)
    {
        const cJSON *top = cJSON_GetObjectItem(p, "top"), *f16 = cJSON_GetObjectItem(p, "f16");
        cr_assert_eq(cJSON_GetArraySize(top), TOP);
        cr_assert_eq(cJSON_GetArraySize(f16), TOP);
        for (int r = 0; r < TOP; r++) {
            double d = fabs(cJSON_GetArrayItem(f16, r)->valuedouble -
                            cJSON_GetArrayItem(cJSON_GetArrayItem(top, r), 1)->valuedouble);
            if (d > a->tolerance)
                a->tolerance = d;
        }
    }
}

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

/* Scores tokens on m from position 0 and compares with the fixture's positions. */
static void compare(Model *m, const int *tokens, int n, const cJSON *positions, Agreement *a)
{
    const ModelConfig *c = model_config(m);
    cr_assert_eq(cJSON_GetArraySize(positions), n);
    float *all = malloc((size_t)n * c->n_vocab * sizeof *all);
    cr_assert_not_null(all);
    char err[512];
    cr_assert_eq(model_forward_all(m, tokens, n, 0, all, err, sizeof err), 0, "%s", err);
    for (int i = 0; i < n; i++) {
        const float *row = all + (size_t)i * c->n_vocab;
        const cJSON *top = cJSON_GetObjectItem(cJSON_GetArrayItem(positions, i), "top");
        for (int r = 0; r < TOP; r++) {
            const cJSON *pair = cJSON_GetArrayItem(top, r);
            int id = cJSON_GetArrayItem(pair, 0)->valueint;
            cr_assert(id >= 0 && id < c->n_vocab);
            double d = fabs(row[id] - cJSON_GetArrayItem(pair, 1)->valuedouble);
            if (d > a->worst)
                a->worst = d;
        }
        double l1 = cJSON_GetArrayItem(cJSON_GetArrayItem(top, 0), 1)->valuedouble;
        double l2 = cJSON_GetArrayItem(cJSON_GetArrayItem(top, 1), 1)->valuedouble;
        int ref_top = cJSON_GetArrayItem(cJSON_GetArrayItem(top, 0), 0)->valueint;
        const cJSON *f16 = cJSON_GetObjectItem(cJSON_GetArrayItem(positions, i), "f16");
        double noise = 0, best16 = -INFINITY;
        int top16 = 0;
        for (int r = 0; r < TOP; r++) {
            double v16 = cJSON_GetArrayItem(f16, r)->valuedouble;
            noise = fmax(noise, fabs(v16 - cJSON_GetArrayItem(cJSON_GetArrayItem(top, r), 1)->valuedouble));
            if (v16 > best16) {
                best16 = v16;
                top16 = r;
            }
        }
        int mine = argmax(row, c->n_vocab);
        if (l1 - l2 > MARGIN) {
            a->over_margin++;
            a->agree_over += mine == ref_top;
            a->ref_agree_over += top16 == 0;
            if (l1 - l2 > noise) {
                a->outside_noise++;
                a->agree_outside += mine == ref_top;
            }
            if (mine != ref_top && !a->first_bad[0])
                snprintf(a->first_bad, sizeof a->first_bad,
                         "position %d: llama.cpp's top-1 is %d (margin %.3f, its own F16-vs-F32 change there "
                         "%.3f), versus's is %d", i, ref_top, l1 - l2, noise, mine);
        }
        a->positions++;
    }
    free(all);
}

static void check(const char *what, const Agreement *a)
{
    cr_log_info("%s: %d positions, worst |versus - llama.cpp| over llama.cpp's top-10 %.6f, tolerance "
                "(llama.cpp F16-vs-F32 KV) %.6f; top-1 agrees at %d of %d with a margin over 0.1 (llama.cpp's "
                "F16 run itself: %d of %d; of the %d whose margin also exceeds llama.cpp's own F16-vs-F32 "
                "change, versus agrees at %d)", what, a->positions, a->worst, a->tolerance, a->agree_over,
                a->over_margin, a->ref_agree_over, a->over_margin, a->outside_noise, a->agree_outside);
    cr_expect_eq(a->agree_over, a->over_margin, "%s: top-1 differs at %s", what, a->first_bad);
    cr_expect_leq(a->worst, a->tolerance, "%s: logits differ by %.6f, more than llama.cpp's own F16-vs-F32 KV "
                  "difference %.6f", what, a->worst, a->tolerance);
}

/* ---- random-weight models of every architecture ------------------------------------ */

static GgmlType type_named(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (quant_type_supported((GgmlType)i) && strcmp(quant_type_name((GgmlType)i), s) == 0)
            return (GgmlType)i;
    cr_assert_fail("unknown type %s", s);
    return GGML_TYPE_F32;
}

static void check_random(const char *spec_name)
{
    char name[96];
    snprintf(name, sizeof name, "random-%s", spec_name);
    cJSON *j = load_fixture(name);
    const ArchGenSpec *spec = archgen_find(spec_name);
    cr_assert_not_null(spec, "no generator spec '%s'", spec_name);
    int n;
    int *tokens = json_ints(cJSON_GetObjectItem(j, "tokens"), &n);
    uint64_t seed = (uint64_t)cJSON_GetObjectItem(j, "seed")->valuedouble;
    ThreadPool *pool = threadpool_new(2);
    const cJSON *mj;
    int n_models = 0;
    cJSON_ArrayForEach(mj, cJSON_GetObjectItem(j, "models"))
    {
        const char *tname = cJSON_GetStringValue(cJSON_GetObjectItem(mj, "type"));
        void *data;
        size_t size;
        char err[512], hex[SHA256_HEX_LEN + 1];
        cr_assert_eq(archgen_build(spec, type_named(tname), seed, &data, &size, err, sizeof err), 0, "%s", err);
        sha256_hex(data, size, hex);
        cr_assert_str_eq(hex, cJSON_GetStringValue(cJSON_GetObjectItem(mj, "sha256")),
                         "%s %s: the rebuilt model is not the file llama.cpp scored; the generator or the "
                         "quantizers changed: run tests/tools/make-reference.sh", spec_name, tname);
        GgufFile *g = gguf_open_memory(data, size, err, sizeof err);
        cr_assert_not_null(g, "%s", err);
        ModelOptions mo = { .n_ctx = 64, .batch = 5, .pool = pool, .kv_type = KV_TYPE_F32, .kv_type_set = true };
        Model *m = model_new(g, &mo, err, sizeof err);
        cr_assert_not_null(m, "%s %s: %s", spec_name, tname, err);
        const cJSON *pos = cJSON_GetObjectItem(mj, "positions");
        Agreement a = { 0 };
        add_tolerance(&a, pos);
        compare(m, tokens, n, pos, &a);
        char what[128];
        snprintf(what, sizeof what, "%s %s", spec_name, tname);
        check(what, &a);
        model_free(m);
        gguf_close(g);
        free(data);
        n_models++;
    }
    cr_assert_eq(n_models, 4, "%s: expected Q8_0, Q4_0, Q4_K and Q6_K", name);
    threadpool_free(pool);
    free(tokens);
    cJSON_Delete(j);
}

Test(agreement, random_llama_with_rope_freqs_agrees_with_llama_cpp) { check_random("llama"); }
Test(agreement, random_llama_mixture_of_experts_linear_rope_agrees_with_llama_cpp) { check_random("llama-moe"); }
Test(agreement, random_qwen2_with_biases_agrees_with_llama_cpp) { check_random("qwen2"); }
Test(agreement, random_qwen3_qk_norms_agrees_with_llama_cpp) { check_random("qwen3"); }
Test(agreement, random_qwen3moe_agrees_with_llama_cpp) { check_random("qwen3moe"); }
Test(agreement, random_gemma2_softcaps_sliding_window_agrees_with_llama_cpp) { check_random("gemma2"); }
Test(agreement, random_gemma3_sliding_window_qk_norms_agrees_with_llama_cpp) { check_random("gemma3"); }
Test(agreement, random_phi3_fused_qkv_longrope_agrees_with_llama_cpp) { check_random("phi3"); }
Test(agreement, random_olmo2_agrees_with_llama_cpp) { check_random("olmo2"); }
Test(agreement, random_olmo3_sliding_window_pattern_agrees_with_llama_cpp) { check_random("olmo2-swa"); }
Test(agreement, random_mistral_style_every_layer_sliding_agrees_with_llama_cpp) { check_random("olmo2-swa-every-layer"); }
Test(agreement, random_gpt_oss_sinks_yarn_experts_agrees_with_llama_cpp) { check_random("gpt-oss"); }
Test(agreement, random_gpt_oss_mxfp4_experts_agrees_with_llama_cpp) { check_random("gpt-oss-mxfp4"); }

/* ---- real models ------------------------------------------------------------------ */

static void check_real(const char *fixture, const char *path)
{
    cJSON *j = load_fixture(fixture);
    char hex[SHA256_HEX_LEN + 1], err[512];
    cr_assert_eq(sha256_file_hex(path, hex, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(hex, cJSON_GetStringValue(cJSON_GetObjectItem(j, "sha256")),
                     "%s is not the file the %s fixture was made from", path, fixture);
    GgufFile *g = gguf_open(path, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ThreadPool *pool = threadpool_new(2);
    ModelOptions mo = { .n_ctx = 512, .pool = pool, .kv_type = KV_TYPE_F32, .kv_type_set = true };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    Agreement a = { 0 };
    const cJSON *seq;
    cJSON_ArrayForEach(seq, cJSON_GetObjectItem(j, "sequences"))
        add_tolerance(&a, cJSON_GetObjectItem(seq, "positions"));
    cJSON_ArrayForEach(seq, cJSON_GetObjectItem(j, "sequences"))
    {
        int n;
        int *tokens = json_ints(cJSON_GetObjectItem(seq, "tokens"), &n);
        compare(m, tokens, n, cJSON_GetObjectItem(seq, "positions"), &a);
        free(tokens);
    }
    check(fixture, &a);
    model_free(m);
    threadpool_free(pool);
    gguf_close(g);
    cJSON_Delete(j);
}

/* Greedy generation from each sequence's text: the engine's prompt ids are
 * llama.cpp's, and its tokens are llama.cpp's until llama.cpp's first
 * position whose margin is not over max(0.1, its own F16-vs-F32 change). */
typedef struct Greedy {
    int *ids;
    size_t n, cap;
} Greedy;

static int on_greedy(void *user, int token, const char *text, size_t len)
{
    (void)text;
    (void)len;
    Greedy *g = user;
    if (token >= 0 && g->n < g->cap)
        g->ids[g->n++] = token;
    return 0;
}

static void check_greedy(const char *fixture, const char *path)
{
    cJSON *j = load_fixture(fixture);
    char err[512];
    EngineOptions eo = { .n_ctx = 512, .n_threads = 2, .backend = ENGINE_BACKEND_CPU }; /* as versus run */
    Engine *e = engine_load(path, &eo, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    int compared = 0, sequences = 0;
    const cJSON *seq;
    cJSON_ArrayForEach(seq, cJSON_GetObjectItem(j, "sequences"))
    {
        int n;
        int *want = json_ints(cJSON_GetObjectItem(seq, "tokens"), &n);
        int *prompt;
        size_t np;
        cr_assert_eq(engine_build_prompt(e, NULL, cJSON_GetStringValue(cJSON_GetObjectItem(seq, "text")), true, &prompt,
                                         &np, err, sizeof err), 0, "%s", err);
        cr_assert(np <= (size_t)n, "%s: the prompt is longer than the fixture's sequence", fixture);
        for (size_t i = 0; i < np; i++)
            cr_assert_eq(prompt[i], want[i], "%s: prompt token %zu is %d, llama.cpp's is %d", fixture, i, prompt[i],
                         want[i]);
        /* how far llama.cpp was sure: positions np-1 .. n-2 predict tokens np .. n-1 */
        const cJSON *positions = cJSON_GetObjectItem(seq, "positions");
        int sure = 0;
        for (int i = (int)np - 1; i < n - 1; i++, sure++) {
            const cJSON *p = cJSON_GetArrayItem(positions, i);
            const cJSON *top = cJSON_GetObjectItem(p, "top"), *f16 = cJSON_GetObjectItem(p, "f16");
            double m = cJSON_GetArrayItem(cJSON_GetArrayItem(top, 0), 1)->valuedouble -
                       cJSON_GetArrayItem(cJSON_GetArrayItem(top, 1), 1)->valuedouble, noise = 0;
            for (int r = 0; r < TOP; r++)
                noise = fmax(noise, fabs(cJSON_GetArrayItem(f16, r)->valuedouble -
                                         cJSON_GetArrayItem(cJSON_GetArrayItem(top, r), 1)->valuedouble));
            if (!(m > MARGIN && m > noise))
                break;
        }
        Greedy g = { .ids = calloc((size_t)n, sizeof(int)), .cap = (size_t)n };
        EngineGenParams gp = { .sampler = sampler_params_default(), .max_tokens = n - (int)np, .ignore_eos = true };
        gp.sampler.temperature = 0;
        cr_assert_eq(engine_generate(e, prompt, np, &gp, on_greedy, &g, NULL, NULL, err, sizeof err), 0, "%s", err);
        for (int k = 0; k < sure; k++)
            cr_expect_eq(g.ids[k], want[np + (size_t)k], "%s sequence %d: greedy token %d is %d, llama.cpp's %d",
                         fixture, sequences, k, g.ids[k], want[np + (size_t)k]);
        compared += sure;
        sequences++;
        free(g.ids);
        free(prompt);
        free(want);
    }
    cr_log_info("%s: greedy generation equals llama.cpp's for the %d tokens of %d prompts up to llama.cpp's "
                "first unsure position", fixture, compared, sequences);
    engine_free(e);
    cJSON_Delete(j);
}

static const char *env_file(const char *var)
{
    const char *p = getenv(var);
    if (!p || !*p)
        cr_skip_test("%s not set (./bootstrap check sets it)", var);
    if (access(p, R_OK) != 0)
        cr_skip_test("%s=%s is not readable", var, p);
    return p;
}

Test(agreement, smollm2_135m_instruct_q4_1_agrees_with_llama_cpp, .timeout = TESTENV_HANG_S)
{
    check_real("smollm2-135m-instruct-q4_1", env_file("VERSUS_DEFAULT_MODEL_FILE"));
}

Test(agreement, gemma3_270m_q4_k_m_agrees_with_llama_cpp, .timeout = TESTENV_HANG_S)
{
    check_real("gemma-3-270m-q4_k_m", env_file("VERSUS_GEMMA_MODEL_FILE"));
}

Test(agreement, smollm2_greedy_generation_follows_llama_cpp_while_it_is_sure, .timeout = TESTENV_HANG_S)
{
    check_greedy("smollm2-135m-instruct-q4_1", env_file("VERSUS_DEFAULT_MODEL_FILE"));
}

Test(agreement, gemma3_270m_raw_continuation_follows_llama_cpp_while_it_is_sure, .timeout = TESTENV_HANG_S)
{
    check_greedy("gemma-3-270m-q4_k_m", env_file("VERSUS_GEMMA_MODEL_FILE"));
}

Test(agreement, stories260k_agrees_with_llama_cpp)
{
    const char *sh = getenv("VERSUS_SHARED");
    if (!sh || !*sh)
        cr_skip_test("VERSUS_SHARED not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/models/stories260K.gguf", sh);
    if (access(path, R_OK) != 0)
        cr_skip_test("no model at %s", path);
    check_real("stories260k", path);
}
