/* test_model.c — the forward pass: greedy tokens of the real stories260K model
 * against the llama.cpp oracle, and logits of small generated models (qwen2
 * biases, NeoX RoPE, GQA, tied/untied output, quantized weights, rope_freqs)
 * against the plain double-precision reference forward pass of tests/engine_ref.c. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/kvcache.h"
#define KV_F16_TOL 5e-4 /* fp16: 2^-11 relative rounding */
#define KV_Q8_0_TOL 1e-2 /* Q8_0: half of amax / 127 per value */
#include "engine/model.h"
#include "engine/quant.h"
#include "engine/threadpool.h"
#include "engine_ref.h"
#include "testenv.h"

/* ---- helpers ----------------------------------------------------------------- */

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    return p;
}

static int argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

static int json_ints(const cJSON *arr, int *out, int cap)
{
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        cr_assert(n < cap);
        out[n++] = it->valueint;
    }
    return n;
}

/* ---- the oracle --------------------------------------------------------------- */

static void run_oracle(ThreadPool *pool, int batch)
{
    char *mp = testenv_shared_path("models/stories260K.gguf");
    char *op = testenv_shared_path("oracle/stories260K_greedy.json");
    if (!mp)
        cr_skip_test("VERSUS_SHARED not set");
    char err[512];
    GgufFile *g = gguf_open(mp, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ModelOptions mo = { .n_ctx = 0, .batch = batch, .pool = pool };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    const ModelConfig *c = model_config(m);
    cr_assert_eq(c->n_vocab, 512);
    cr_assert_eq(c->n_ctx, 2048); /* min(context_length 2048, 4096) */
    cr_assert_eq(c->n_kv_heads, 4);
    cr_assert(!c->tied_output);
    char *text = read_text(op);
    cJSON *root = cJSON_Parse(text);
    cr_assert_not_null(root);
    const cJSON *cases = cJSON_GetObjectItem(root, "greedy");
    int n_cases = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, cases)
    {
        int prompt[64], want[256], got[256];
        int np = json_ints(cJSON_GetObjectItem(cs, "prompt_ids"), prompt, 64);
        int nw = json_ints(cJSON_GetObjectItem(cJSON_GetObjectItem(cs, "gen64"), "ids"), want, 256);
        cr_assert_gt(np, 0);
        cr_assert_gt(nw, 0);
        cr_assert_eq(model_forward(m, prompt, np, 0, err, sizeof err), 0, "%s", err);
        int pos = np;
        for (int i = 0; i < nw; i++) {
            got[i] = argmax(model_logits(m), c->n_vocab);
            cr_assert_eq(got[i], want[i], "case '%s': token %d is %d, oracle says %d",
                         cJSON_GetObjectItem(cs, "prompt")->valuestring, i, got[i], want[i]);
            cr_assert_eq(model_forward(m, &got[i], 1, pos++, err, sizeof err), 0, "%s", err);
        }
        n_cases++;
    }
    cr_assert_gt(n_cases, 0);
    cJSON_Delete(root);
    free(text);
    model_free(m);
    gguf_close(g);
    free(mp);
    free(op);
}

Test(model, stories260k_greedy_matches_llama_cpp_oracle)
{
    run_oracle(NULL, 0);
}

Test(model, stories260k_oracle_holds_with_threads_and_tiny_chunks)
{
    ThreadPool *pool = threadpool_new(2);
    run_oracle(pool, 2);
    threadpool_free(pool);
}

Test(model, stories260k_refuses_context_overflow_and_bad_tokens)
{
    char *mp = testenv_shared_path("models/stories260K.gguf");
    if (!mp)
        cr_skip_test("VERSUS_SHARED not set");
    char err[512];
    GgufFile *g = gguf_open(mp, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ModelOptions mo = { .n_ctx = 8, .kv_type = KV_TYPE_F32, .kv_type_set = true };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    cr_assert_eq(model_config(m)->n_ctx, 8);
    int toks[9] = { 1, 403, 407, 261, 378, 432, 383, 286, 261 };
    cr_assert_eq(model_forward(m, toks, 9, 0, err, sizeof err), -1);
    cr_assert(strstr(err, "context"), "%s", err);
    cr_assert_eq(model_forward(m, toks, 8, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_forward(m, toks, 1, 8, err, sizeof err), -1);
    int bad = 512;
    cr_assert_eq(model_forward(m, &bad, 1, 0, err, sizeof err), -1);
    cr_assert(strstr(err, "outside the vocabulary"), "%s", err);
    bad = -1;
    cr_assert_eq(model_forward(m, &bad, 1, 0, err, sizeof err), -1);
    cr_assert_gt(model_weight_bytes(m), 1000000);
    cr_assert_lt(model_weight_bytes(m), 1185376);
    /* keys in tiles of 16 positions, values per position */
    cr_assert_eq(model_kv_bytes(m), 5ull * 16 * 32 * 4 + 5ull * 8 * 32 * 4);
    cr_assert_str_eq(model_kv_type(m), "f32");
    cr_assert_str_eq(model_weight_type(m), "F32");
    model_free(m);
    gguf_close(g);
    free(mp);
}

/* Engine vs reference after a prefill of 7 tokens (in chunks of 3) and after
 * each of 4 single-token decode steps; tol is relative to the logit range;
 * the engine's KV cache holds kvt. */
static void check_against_reference_kv(const RefSpec *s, double tol, ThreadPool *pool, KvType kvt)
{
    RefModel y;
    ref_model_build(&y, s, 0x1234567ull + (uint64_t)s->dim * 31 + (uint64_t)s->n_kv);
    ref_model_to_memory(&y);
    char err[512];
    GgufFile *g = gguf_open_memory(y.file, y.size, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ModelOptions mo = { .n_ctx = 32, .batch = s->batch ? s->batch : 3, .pool = pool, .kv_type = (int)kvt,
                        .kv_type_set = true };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    const ModelConfig *c = model_config(m);
    cr_assert_eq(c->tied_output, s->tied);
    cr_assert_eq(c->rope_type, strcmp(s->arch, "qwen2") == 0 ? MODEL_ROPE_NEOX : MODEL_ROPE_NORM);
    int tok[11] = { 1, 5, 9, 2, 17, 3, 30, 7, 11, 0, 25 };
    double *ref = malloc((size_t)s->vocab * sizeof(double));
    for (int step = 0; step < 5; step++) {
        int n = 7 + step;
        if (step == 0)
            cr_assert_eq(model_forward(m, tok, 7, 0, err, sizeof err), 0, "%s", err);
        else
            cr_assert_eq(model_forward(m, &tok[n - 1], 1, n - 1, err, sizeof err), 0, "%s", err);
        ref_model_forward(&y, tok, n, ref, NULL);
        double range, worst = ref_logits_worst(model_logits(m), ref, s->vocab, &range);
        cr_assert_gt(range, 0.1, "degenerate logits");
        cr_assert_leq(worst, tol * range, "%s/%s step %d: logits differ by %g (range %g)", s->arch,
                      gguf_type_name(s->wtype), step, worst, range);
    }
    free(ref);
    model_free(m);
    gguf_close(g);
    ref_model_free(&y);
}

/* The same with an F32 cache: the reference keeps keys and values in double. */
static void check_against_reference(const RefSpec *s, double tol, ThreadPool *pool)
{
    check_against_reference_kv(s, tol, pool, KV_TYPE_F32);
}

static RefSpec base_spec(const char *arch)
{
    return (RefSpec){ .arch = arch, .dim = 64, .hidden = 96, .n_layers = 2, .n_heads = 4, .n_kv = 4,
                   .vocab = 40, .ctx = 128, .wtype = GGML_TYPE_F32, .etype = GGML_TYPE_F32,
                   .freq_base = 10000.0f, .eps = 1e-5f };
}

Test(model, llama_f32_untied_mha_matches_reference)
{
    RefSpec s = base_spec("llama");
    check_against_reference(&s, 1e-5, NULL);
}

Test(model, llama_f32_tied_gqa_4_to_1_matches_reference)
{
    RefSpec s = base_spec("llama");
    s.tied = true;
    s.n_heads = 8;
    s.n_kv = 2;
    ThreadPool *pool = threadpool_new(2);
    check_against_reference(&s, 1e-5, pool);
    threadpool_free(pool);
}

Test(model, qwen2_biases_neox_rope_gqa_matches_reference)
{
    RefSpec s = base_spec("qwen2");
    s.biases = true;
    s.n_kv = 2;
    s.freq_base = 1000000.0f;
    s.eps = 1e-6f;
    check_against_reference(&s, 1e-5, NULL);
}

Test(model, llama3_rope_freqs_divide_the_angles)
{
    RefSpec s = base_spec("llama");
    s.rope_freqs = true;
    s.freq_base = 500000.0f;
    check_against_reference(&s, 1e-5, NULL);
}

Test(model, f16_and_q8_0_kv_caches_stay_within_their_rounding)
{
    /* fp16 keeps 11 significant bits (relative step 2^-11), Q8_0 a 127th of
     * each 32-value block's largest magnitude: the logits move by well under
     * that share of their range */
    RefSpec s = base_spec("llama");
    s.n_heads = 8;
    s.n_kv = 2;
    ThreadPool *pool = threadpool_new(2);
    check_against_reference_kv(&s, KV_F16_TOL, pool, KV_TYPE_F16);
    s.n_heads = 2; /* Q8_0 blocks are 32 wide: heads of 32 */
    s.n_kv = 1;
    check_against_reference_kv(&s, KV_F16_TOL, pool, KV_TYPE_F16);
    check_against_reference_kv(&s, KV_Q8_0_TOL, pool, KV_TYPE_Q8_0);
    threadpool_free(pool);
}

Test(model, quantized_weights_match_reference_within_activation_rounding)
{
    static const GgmlType types[] = { GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0,
                                      GGML_TYPE_Q5_1, GGML_TYPE_F16, GGML_TYPE_BF16 };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        RefSpec s = base_spec(i % 2 ? "qwen2" : "llama");
        s.biases = i % 2;
        s.n_kv = 2;
        s.wtype = types[i];
        s.etype = types[i];
        s.tied = i % 3 == 0;
        s.batch = 5; /* chunks of 5 then 2: four activation rows per weight load, then the rest */
        check_against_reference(&s, 0.03, NULL);
    }
}

Test(model, k_quant_weights_match_reference_within_activation_rounding)
{
    static const GgmlType types[] = { GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        RefSpec s = base_spec("llama");
        s.dim = 256;
        s.hidden = 256;
        s.n_layers = 1;
        s.n_kv = 2;
        s.wtype = types[i];
        s.etype = GGML_TYPE_Q8_0;
        s.batch = 7;
        check_against_reference(&s, 0.03, NULL);
    }
}

/* ---- refusals ----------------------------------------------------------------- */

static void expect_model_error(RefModel *y, const char *needle)
{
    char err[512];
    GgufFile *g = gguf_open_memory(y->file, y->size, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    Model *m = model_new(g, NULL, err, sizeof err);
    cr_assert_null(m, "model accepted, expected an error with '%s'", needle);
    cr_assert(strstr(err, needle), "error '%s' does not mention '%s'", err, needle);
    gguf_close(g);
}

static void build(RefModel *y, const RefSpec *s, uint64_t seed)
{
    ref_model_build(y, s, seed);
    ref_model_to_memory(y);
}

/* Overwrites the first occurrence of `from` in the file with `to` (same length). */
static void patch(RefModel *y, const char *from, const char *to)
{
    size_t n = strlen(from);
    cr_assert_eq(strlen(to), n);
    for (size_t i = 0; i + n <= y->size; i++)
        if (memcmp(y->file + i, from, n) == 0) {
            memcpy(y->file + i, to, n);
            return;
        }
    cr_assert_fail("'%s' not in file", from);
}

Test(model, unsupported_arch_missing_tensor_and_bad_shapes_are_refused)
{
    RefSpec s = base_spec("llama");
    RefModel y;
    build(&y, &s, 7);
    patch(&y, "llama", "gpt2x");
    expect_model_error(&y, "unsupported architecture 'gpt2x'");
    ref_model_free(&y);

    build(&y, &s, 7);
    patch(&y, "blk.1.ffn_up.weight", "blk.1.ffn_xx.weight");
    expect_model_error(&y, "tensor 'blk.1.ffn_up.weight' is missing");
    ref_model_free(&y);

    s.n_kv = 3; /* 4 heads do not split into 3 groups */
    build(&y, &s, 7);
    expect_model_error(&y, "not a multiple of head_count_kv");
    ref_model_free(&y);

    s = base_spec("llama");
    build(&y, &s, 7);
    patch(&y, "llama.embedding_length", "llama.embedding_lengtx");
    expect_model_error(&y, "llama.embedding_length is missing");
    ref_model_free(&y);

    /* a norm stored quantized is refused by type */
    s.ntype = GGML_TYPE_Q8_0;
    build(&y, &s, 7);
    expect_model_error(&y, "tensor 'output_norm.weight' has type Q8_0, which is not supported");
    ref_model_free(&y);

    /* a count stored as a float (same size, so the file itself stays valid) */
    s = base_spec("llama");
    build(&y, &s, 7);
    {
        const char *key = "llama.block_count";
        unsigned char *at = memmem(y.file, y.size, key, strlen(key));
        cr_assert_not_null(at);
        uint32_t f32 = GGUF_TYPE_FLOAT32;
        memcpy(at + strlen(key), &f32, 4);
    }
    expect_model_error(&y, "llama.block_count is not an integer");
    ref_model_free(&y);

    /* metadata that disagrees with the tensors */
    s = base_spec("llama");
    s.meta_hidden = 128;
    build(&y, &s, 7);
    expect_model_error(&y, "tensor 'blk.0.ffn_gate.weight' has shape [64, 96], expected [64, 128]");
    ref_model_free(&y);
}
