/* archgen.c — reproducible random-weight models of each architecture (see
 * archgen.h). */
#include "archgen.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf_write.h"
#include "engine/quant.h"

const ArchGenSpec archgen_specs[] = {
    { .name = "llama", .arch = "llama", .n_layers = 2, .freq_base = 500000.0f, .rope_freqs = true },
    { .name = "llama-moe", .arch = "llama", .n_layers = 2, .n_expert = 4, .n_expert_used = 2,
      .freq_base = 10000.0f, .rope_linear = 4.0f, .tied = true },
    { .name = "qwen2", .arch = "qwen2", .n_layers = 2, .freq_base = 1000000.0f, .tied = true, .qkv_bias = true },
    { .name = "qwen3", .arch = "qwen3", .n_layers = 2, .freq_base = 1000000.0f, .qk_norm_head = true },
    { .name = "qwen3moe", .arch = "qwen3moe", .n_layers = 2, .n_expert = 4, .n_expert_used = 2,
      .freq_base = 1000000.0f, .qk_norm_head = true },
    { .name = "gemma2", .arch = "gemma2", .n_layers = 4, .swa = 8, .freq_base = 10000.0f, .attn_softcap = 50.0f,
      .final_softcap = 30.0f, .tied = true, .post_norms = true },
    { .name = "gemma3", .arch = "gemma3", .n_layers = 6, .swa = 8, .freq_base = 1000000.0f, .tied = true,
      .qk_norm_head = true, .post_norms = true },
    { .name = "phi3", .arch = "phi3", .n_layers = 2, .freq_base = 10000.0f, .fused_qkv = true, .fused_up = true,
      .rope_factors = true },
    { .name = "olmo2", .arch = "olmo2", .n_layers = 2, .freq_base = 500000.0f, .qk_norm_full = true,
      .no_pre_norms = true, .post_norms = true },
    { .name = "olmo2-swa", .arch = "olmo2", .n_layers = 4, .swa = 8, .freq_base = 500000.0f, .qk_norm_full = true,
      .no_pre_norms = true, .post_norms = true },
    { .name = "olmo2-swa-every-layer", .arch = "olmo2", .n_layers = 2, .swa = 6, .swa_pattern = -1,
      .freq_base = 10000.0f, .qk_norm_full = true, .no_pre_norms = true, .post_norms = true },
    { .name = "gpt-oss", .arch = "gpt-oss", .n_layers = 2, .n_expert = 4, .n_expert_used = 2, .swa = 8,
      .freq_base = 150000.0f, .qkv_bias = true, .out_bias = true, .ffn_norm_as_post_attention = true,
      .sinks = true, .expert_biases = true, .yarn = true },
    { .name = "gpt-oss-mxfp4", .arch = "gpt-oss", .n_layers = 2, .n_expert = 4, .n_expert_used = 2, .swa = 8,
      .freq_base = 150000.0f, .qkv_bias = true, .out_bias = true, .ffn_norm_as_post_attention = true,
      .sinks = true, .expert_biases = true, .yarn = true, .experts_mxfp4 = true },
    { .name = NULL },
};

const ArchGenSpec *archgen_find(const char *name)
{
    for (const ArchGenSpec *s = archgen_specs; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

/* ---- values --------------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* [-1, 1), exactly representable: 24 random bits, one exact scaling. */
static float uniform(uint64_t *s)
{
    return (float)(int32_t)(splitmix(s) >> 40) / 8388608.0f - 1.0f;
}

typedef struct Gen {
    GgufWriter *w;
    uint64_t seed;
    int index;          /* tensors added so far: each gets its own stream */
    GgmlType mtype;     /* matrices' type */
    void **bufs;        /* every tensor's bytes, kept until the write */
    int n_bufs, cap;
    char err[256];
    int rc;
} Gen;

static void gen_fail(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gen_fail(Gen *g, const char *fmt, ...)
{
    if (g->rc)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g->err, sizeof g->err, fmt, ap);
    va_end(ap);
    g->rc = -1;
}

static void *gen_keep(Gen *g, size_t n)
{
    if (g->n_bufs == g->cap) {
        int cap = g->cap ? 2 * g->cap : 64;
        void **b = realloc(g->bufs, (size_t)cap * sizeof *b);
        if (!b)
            return NULL;
        g->bufs = b;
        g->cap = cap;
    }
    void *p = malloc(n ? n : 1);
    if (p)
        g->bufs[g->n_bufs++] = p;
    return p;
}

/* A tensor [ne0, ne1, ne2] of type t (F32 or a matrix type) with values
 * offset + scale * uniform, quantized row by row. */
static void gen_tensor(Gen *g, const char *name, GgmlType t, uint64_t ne0, uint64_t ne1, uint64_t ne2,
                       float scale, float offset)
{
    if (g->rc)
        return;
    uint64_t rows = (ne1 ? ne1 : 1) * (ne2 ? ne2 : 1);
    size_t row_bytes = quant_row_size(t, (int64_t)ne0);
    float *f = malloc(ne0 * sizeof *f);
    void *data = gen_keep(g, row_bytes * rows);
    if (!f || !data || row_bytes == 0) {
        free(f);
        gen_fail(g, "%s: out of memory or %llu elements do not fit %s", name, (unsigned long long)ne0,
                 quant_type_name(t));
        return;
    }
    uint64_t s = g->seed * 0x100000001B3ull + (uint64_t)g->index++ * 0x9E3779B97F4A7C15ull;
    for (uint64_t r = 0; r < rows && g->rc == 0; r++) {
        for (uint64_t i = 0; i < ne0; i++)
            f[i] = offset + scale * uniform(&s);
        if (quant_quantize_row(t, f, (char *)data + r * row_bytes, (int64_t)ne0) < 0)
            gen_fail(g, "%s: cannot quantize to %s", name, quant_type_name(t));
    }
    free(f);
    uint64_t ne[3] = { ne0, ne1 ? ne1 : 1, ne2 ? ne2 : 1 };
    uint32_t nd = ne2 ? 3 : ne1 ? 2 : 1;
    if (g->rc == 0 && gguf_writer_add_tensor(g->w, name, t, nd, ne, data) < 0)
        gen_fail(g, "%s: cannot add the tensor", name);
}

static void vec(Gen *g, const char *name, uint64_t n, float scale, float offset)
{
    gen_tensor(g, name, GGML_TYPE_F32, n, 0, 0, scale, offset);
}

static void mat(Gen *g, const char *name, uint64_t n_in, uint64_t n_out)
{
    gen_tensor(g, name, g->mtype, n_in, n_out, 0, 1.0f / sqrtf((float)n_in), 0.0f);
}

/* ---- metadata ------------------------------------------------------------------- */

static void meta_u32(Gen *g, const char *arch, const char *suffix, uint32_t v)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (g->rc == 0 && gguf_writer_add_u32(g->w, key, v) < 0)
        gen_fail(g, "metadata %s", key);
}

static void meta_f32(Gen *g, const char *arch, const char *suffix, float v)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    if (g->rc == 0 && gguf_writer_add_f32(g->w, key, v) < 0)
        gen_fail(g, "metadata %s", key);
}

static void meta_str(Gen *g, const char *key, const char *v)
{
    if (g->rc == 0 && gguf_writer_add_string(g->w, key, v) < 0)
        gen_fail(g, "metadata %s", key);
}

/* A SentencePiece vocabulary both engines load: <unk> <s> </s>, the 256 byte
 * tokens, then plain pieces. */
static void tokenizer(Gen *g)
{
    enum { N = ARCHGEN_VOCAB };
    static char text[N][16];
    const char *toks[N];
    float scores[N];
    int32_t types[N];
    for (int i = 0; i < N; i++) {
        if (i < 3)
            snprintf(text[i], sizeof text[i], "%s", i == 0 ? "<unk>" : i == 1 ? "<s>" : "</s>");
        else if (i < 259)
            snprintf(text[i], sizeof text[i], "<0x%02X>", i - 3);
        else
            snprintf(text[i], sizeof text[i], "\xe2\x96\x81w%d", i - 259);
        toks[i] = text[i];
        scores[i] = i < 259 ? 0.0f : -(float)(i - 259);
        types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1;
    }
    meta_str(g, "tokenizer.ggml.model", "llama");
    if (g->rc == 0 && (gguf_writer_add_string_array(g->w, "tokenizer.ggml.tokens", toks, N) < 0 ||
                       gguf_writer_add_array(g->w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, N) < 0 ||
                       gguf_writer_add_array(g->w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, N) < 0 ||
                       gguf_writer_add_u32(g->w, "tokenizer.ggml.bos_token_id", 1) < 0 ||
                       gguf_writer_add_u32(g->w, "tokenizer.ggml.eos_token_id", 2) < 0 ||
                       gguf_writer_add_u32(g->w, "tokenizer.ggml.unknown_token_id", 0) < 0))
        gen_fail(g, "tokenizer metadata");
}

static void metadata(Gen *g, const ArchGenSpec *s)
{
    const char *a = s->arch;
    meta_str(g, "general.architecture", a);
    meta_str(g, "general.name", "versus random model"); /* not the arch: llama.cpp keys quirks on names */
    meta_u32(g, a, "context_length", ARCHGEN_CTX);
    meta_u32(g, a, "embedding_length", ARCHGEN_DIM);
    meta_u32(g, a, "block_count", (uint32_t)s->n_layers);
    meta_u32(g, a, "feed_forward_length", ARCHGEN_FF);
    meta_u32(g, a, "attention.head_count", ARCHGEN_HEADS);
    meta_u32(g, a, "attention.head_count_kv", ARCHGEN_KV_HEADS);
    meta_u32(g, a, "attention.key_length", ARCHGEN_HEAD_DIM);
    meta_u32(g, a, "attention.value_length", ARCHGEN_HEAD_DIM);
    meta_f32(g, a, "attention.layer_norm_rms_epsilon", 1e-6f);
    meta_f32(g, a, "rope.freq_base", s->freq_base);
    if (s->n_expert) {
        meta_u32(g, a, "expert_count", (uint32_t)s->n_expert);
        meta_u32(g, a, "expert_used_count", (uint32_t)s->n_expert_used);
        meta_u32(g, a, "expert_feed_forward_length", ARCHGEN_FF);
    }
    if (s->swa)
        meta_u32(g, a, "attention.sliding_window", (uint32_t)s->swa);
    if (s->swa_pattern > 0)
        meta_u32(g, a, "attention.sliding_window_pattern", (uint32_t)s->swa_pattern);
    if (s->swa_pattern < 0) {
        bool every[64];
        for (int l = 0; l < s->n_layers && l < 64; l++)
            every[l] = true;
        char key[128];
        snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", a);
        if (g->rc == 0 && gguf_writer_add_array(g->w, key, GGUF_TYPE_BOOL, every, (uint64_t)s->n_layers) < 0)
            gen_fail(g, "metadata %s", key);
    }
    if (s->attn_softcap)
        meta_f32(g, a, "attn_logit_softcapping", s->attn_softcap);
    if (s->final_softcap)
        meta_f32(g, a, "final_logit_softcapping", s->final_softcap);
    char key[128];
    if (s->rope_linear) {
        snprintf(key, sizeof key, "%s.rope.scaling.type", a);
        meta_str(g, key, "linear");
        meta_f32(g, a, "rope.scaling.factor", s->rope_linear);
    }
    if (s->rope_factors) {
        meta_u32(g, a, "rope.scaling.original_context_length", ARCHGEN_CTX);
        meta_f32(g, a, "rope.scaling.attn_factor", 1.1902381f);
    }
    if (s->yarn) {
        snprintf(key, sizeof key, "%s.rope.scaling.type", a);
        meta_str(g, key, "yarn");
        meta_f32(g, a, "rope.scaling.factor", 4.0f);
        meta_u32(g, a, "rope.scaling.original_context_length", 1024);
    }
    tokenizer(g);
}

/* ---- tensors -------------------------------------------------------------------- */

static void layer(Gen *g, const ArchGenSpec *s, int l)
{
    const uint64_t dim = ARCHGEN_DIM, qd = ARCHGEN_HEADS * ARCHGEN_HEAD_DIM, kvd = ARCHGEN_KV_HEADS * ARCHGEN_HEAD_DIM;
    const uint64_t ff = ARCHGEN_FF, ne = (uint64_t)s->n_expert;
    char n[96];
#define NAME(suffix) (snprintf(n, sizeof n, "blk.%d.%s", l, suffix), n)
    if (!s->no_pre_norms)
        vec(g, NAME("attn_norm.weight"), dim, 0.2f, 1.0f);
    if (s->fused_qkv) {
        mat(g, NAME("attn_qkv.weight"), dim, qd + 2 * kvd);
    } else {
        mat(g, NAME("attn_q.weight"), dim, qd);
        mat(g, NAME("attn_k.weight"), dim, kvd);
        mat(g, NAME("attn_v.weight"), dim, kvd);
    }
    if (s->qkv_bias) {
        vec(g, NAME("attn_q.bias"), qd, 0.1f, 0.0f);
        vec(g, NAME("attn_k.bias"), kvd, 0.1f, 0.0f);
        vec(g, NAME("attn_v.bias"), kvd, 0.1f, 0.0f);
    }
    mat(g, NAME("attn_output.weight"), qd, dim);
    if (s->out_bias)
        vec(g, NAME("attn_output.bias"), dim, 0.1f, 0.0f);
    if (s->qk_norm_head || s->qk_norm_full) {
        vec(g, NAME("attn_q_norm.weight"), s->qk_norm_head ? ARCHGEN_HEAD_DIM : qd, 0.2f, 1.0f);
        vec(g, NAME("attn_k_norm.weight"), s->qk_norm_head ? ARCHGEN_HEAD_DIM : kvd, 0.2f, 1.0f);
    }
    if (s->sinks)
        vec(g, NAME("attn_sinks.weight"), ARCHGEN_HEADS, 1.0f, 0.0f);
    if (s->post_norms)
        vec(g, NAME("post_attention_norm.weight"), dim, 0.2f, 1.0f);
    if (s->ffn_norm_as_post_attention)
        vec(g, NAME("post_attention_norm.weight"), dim, 0.2f, 1.0f);
    else if (!s->no_pre_norms)
        vec(g, NAME("ffn_norm.weight"), dim, 0.2f, 1.0f);
    if (s->n_expert) {
        mat(g, NAME("ffn_gate_inp.weight"), dim, ne);
        if (s->expert_biases)
            vec(g, NAME("ffn_gate_inp.bias"), ne, 0.5f, 0.0f);
        GgmlType et = s->experts_mxfp4 ? GGML_TYPE_MXFP4 : g->mtype;
        gen_tensor(g, NAME("ffn_gate_exps.weight"), et, dim, ff, ne, 1.0f / sqrtf((float)dim), 0.0f);
        gen_tensor(g, NAME("ffn_up_exps.weight"), et, dim, ff, ne, 1.0f / sqrtf((float)dim), 0.0f);
        gen_tensor(g, NAME("ffn_down_exps.weight"), et, ff, dim, ne, 1.0f / sqrtf((float)ff), 0.0f);
        if (s->expert_biases) {
            gen_tensor(g, NAME("ffn_gate_exps.bias"), GGML_TYPE_F32, ff, ne, 0, 0.1f, 0.0f);
            gen_tensor(g, NAME("ffn_up_exps.bias"), GGML_TYPE_F32, ff, ne, 0, 0.1f, 0.0f);
            gen_tensor(g, NAME("ffn_down_exps.bias"), GGML_TYPE_F32, dim, ne, 0, 0.1f, 0.0f);
        }
    } else if (s->fused_up) {
        mat(g, NAME("ffn_up.weight"), dim, 2 * ff);
        mat(g, NAME("ffn_down.weight"), ff, dim);
    } else {
        mat(g, NAME("ffn_gate.weight"), dim, ff);
        mat(g, NAME("ffn_up.weight"), dim, ff);
        mat(g, NAME("ffn_down.weight"), ff, dim);
    }
    if (s->post_norms)
        vec(g, NAME("post_ffw_norm.weight"), dim, 0.2f, 1.0f);
#undef NAME
}

int archgen_build(const ArchGenSpec *s, GgmlType t, uint64_t seed, void **data, size_t *size, char *err,
                  size_t errlen)
{
    Gen g = { .w = gguf_writer_new(), .seed = seed, .mtype = t };
    *data = NULL;
    *size = 0;
    if (!g.w) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    metadata(&g, s);
    gen_tensor(&g, "token_embd.weight", t, ARCHGEN_DIM, ARCHGEN_VOCAB, 0, 1.0f, 0.0f);
    vec(&g, "output_norm.weight", ARCHGEN_DIM, 0.2f, 1.0f);
    if (!s->tied)
        mat(&g, "output.weight", ARCHGEN_DIM, ARCHGEN_VOCAB);
    if (s->rope_freqs)
        vec(&g, "rope_freqs.weight", ARCHGEN_HEAD_DIM / 2, 1.5f, 2.5f);
    if (s->rope_factors) {
        vec(&g, "rope_factors_long.weight", ARCHGEN_HEAD_DIM / 2, 1.5f, 2.5f);
        vec(&g, "rope_factors_short.weight", ARCHGEN_HEAD_DIM / 2, 0.4f, 1.4f);
    }
    for (int l = 0; l < s->n_layers; l++)
        layer(&g, s, l);
    int rc = g.rc;
    if (rc == 0 && gguf_writer_write_memory(g.w, data, size, err, errlen) < 0)
        rc = -1;
    else if (rc)
        snprintf(err, errlen, "%s", g.err);
    gguf_writer_free(g.w);
    for (int i = 0; i < g.n_bufs; i++)
        free(g.bufs[i]);
    free(g.bufs);
    return rc;
}
