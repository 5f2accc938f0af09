/* model.c — loading a model (see model.h): the hyperparameters from the
 * {arch}.* metadata, every tensor the architecture's table entry (arch.h)
 * asks for, checked for presence, shape and type, the KV cache and the
 * scratch the forward pass needs. The forward pass itself is in forward.c
 * (attention, logits) and forward_ffn.c (dense and mixture-of-experts
 * feed-forward); the weights stay in the mapped file. */
#include "engine/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/model_impl.h"
#include "util/errmsg.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

#define MODEL_MAX_DIM (1 << 16)      /* embedding / ffn / head sizes */
#define MODEL_MAX_LAYERS 1024
#define MODEL_MAX_HEADS 1024
#define MODEL_MAX_EXPERTS 512
#define MODEL_MAX_VOCAB (1 << 22)
#define MODEL_MAX_CTX (1 << 20)
#define MODEL_DEFAULT_CTX 4096
#define MODEL_DEFAULT_BATCH 64

/* ---- metadata -------------------------------------------------------------------- */

static int meta_int(const GgufFile *g, const char *arch, const char *suffix, int64_t def, int64_t lo,
                    int64_t hi, int *out, char *err, size_t errlen)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    int64_t v = gguf_get_int(g, key, INT64_MIN);
    if (v == INT64_MIN) {
        if (gguf_find_key(g, key) >= 0) {
            errmsg_set(err, errlen, "metadata %s is not an integer", key);
            return -1;
        }
        if (def == INT64_MIN) {
            errmsg_set(err, errlen, "metadata %s is missing", key);
            return -1;
        }
        v = def;
    }
    if (v < lo || v > hi) {
        errmsg_set(err, errlen, "metadata %s = %lld is out of range (%lld to %lld)", key, (long long)v,
                (long long)lo, (long long)hi);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int meta_float(const GgufFile *g, const char *arch, const char *suffix, double def, double lo,
                      double hi, float *out, char *err, size_t errlen)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    double v = gguf_get_float(g, key, NAN);
    if (isnan(v)) {
        if (gguf_find_key(g, key) >= 0) {
            errmsg_set(err, errlen, "metadata %s is not a number", key);
            return -1;
        }
        v = def;
    }
    if (!(v >= lo && v <= hi)) {
        errmsg_set(err, errlen, "metadata %s = %g is out of range (%g to %g)", key, v, lo, hi);
        return -1;
    }
    *out = (float)v;
    return 0;
}

static bool meta_has(const GgufFile *g, const char *arch, const char *suffix)
{
    char key[128];
    snprintf(key, sizeof key, "%s.%s", arch, suffix);
    return gguf_find_key(g, key) >= 0;
}

static const char *shape_str(const GgufTensor *t, char *buf, size_t n)
{
    int k = snprintf(buf, n, "[%llu", (unsigned long long)t->ne[0]);
    for (uint32_t d = 1; d < t->n_dims && k > 0 && (size_t)k < n; d++)
        k += snprintf(buf + k, n - (size_t)k, ", %llu", (unsigned long long)t->ne[d]);
    if (k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "]");
    return buf;
}

/* Reads the attention block's sizes: heads, KV heads, head size, rotated dims. */
static int read_attention(const GgufFile *g, const char *arch, ModelConfig *c, char *err, size_t errlen)
{
    if (meta_int(g, arch, "attention.head_count", INT64_MIN, 1, MODEL_MAX_HEADS, &c->n_heads, err, errlen) < 0 ||
        meta_int(g, arch, "attention.head_count_kv", c->n_heads, 1, c->n_heads, &c->n_kv_heads, err, errlen) < 0)
        return -1;
    if (c->n_heads % c->n_kv_heads) {
        errmsg_set(err, errlen, "%s.attention.head_count %d is not a multiple of head_count_kv %d", arch,
                c->n_heads, c->n_kv_heads);
        return -1;
    }
    /* without key_length the head size is dim / n_heads, which must then divide */
    int64_t def_hd = c->dim % c->n_heads == 0 ? c->dim / c->n_heads : INT64_MIN;
    if (def_hd == INT64_MIN && !meta_has(g, arch, "attention.key_length")) {
        errmsg_set(err, errlen, "%s.embedding_length %d is not a multiple of head_count %d and "
                "%s.attention.key_length is missing", arch, c->dim, c->n_heads, arch);
        return -1;
    }
    int head_v;
    if (meta_int(g, arch, "attention.key_length", def_hd, 2, MODEL_MAX_DIM, &c->head_dim, err, errlen) < 0 ||
        meta_int(g, arch, "attention.value_length", c->head_dim, 1, MODEL_MAX_DIM, &head_v, err, errlen) < 0)
        return -1;
    if (head_v != c->head_dim) {
        errmsg_set(err, errlen, "key length %d differs from value length %d: not supported", c->head_dim, head_v);
        return -1;
    }
    if (c->head_dim % 2) {
        errmsg_set(err, errlen, "head size %d is odd: RoPE needs pairs", c->head_dim);
        return -1;
    }
    int max_rot = c->head_dim < OPS_ROPE_MAX_DIMS ? c->head_dim : OPS_ROPE_MAX_DIMS;
    if (meta_int(g, arch, "rope.dimension_count", c->head_dim, 2, max_rot, &c->rope_dim, err, errlen) < 0)
        return -1;
    if (c->rope_dim % 2) {
        errmsg_set(err, errlen, "%s.rope.dimension_count %d is odd", arch, c->rope_dim);
        return -1;
    }
    return 0;
}

/* RoPE base, scaling type and factor, as llama.cpp reads them: the type
 * defaults to linear, and a factor applies whenever it is present. */
static int read_rope(const GgufFile *g, const char *arch, ModelConfig *c, char *err, size_t errlen)
{
    if (meta_float(g, arch, "rope.freq_base", 10000.0, 1.0, 1e12, &c->rope_freq_base, err, errlen) < 0)
        return -1;
    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    GgufString st = gguf_get_string(g, key);
    static const struct { const char *name; ModelRopeScaling s; } kinds[] = {
        { "none", MODEL_ROPE_SCALING_NONE }, { "linear", MODEL_ROPE_SCALING_LINEAR },
        { "yarn", MODEL_ROPE_SCALING_YARN }, { "longrope", MODEL_ROPE_SCALING_LONGROPE },
    };
    c->rope_scaling = MODEL_ROPE_SCALING_LINEAR;
    if (st.ptr) {
        size_t i = 0;
        while (i < sizeof kinds / sizeof kinds[0] && !gguf_string_eq(st, kinds[i].name))
            i++;
        if (i == sizeof kinds / sizeof kinds[0]) {
            int n = st.len > 40 ? 40 : (int)st.len;
            errmsg_set(err, errlen, "RoPE scaling '%.*s' is not supported (none, linear, yarn, longrope)", n, st.ptr);
            return -1;
        }
        c->rope_scaling = kinds[i].s;
    }
    float factor = 0.0f;
    if (meta_float(g, arch, "rope.scaling.factor", 0.0, 0.0, 1e6, &factor, err, errlen) < 0)
        return -1;
    if (factor == 0.0f && meta_float(g, arch, "rope.scale_linear", 0.0, 0.0, 1e6, &factor, err, errlen) < 0)
        return -1;
    c->rope_freq_scale = factor == 0.0f || c->rope_scaling == MODEL_ROPE_SCALING_NONE ? 1.0f : 1.0f / factor;
    if (meta_int(g, arch, "rope.scaling.original_context_length", c->n_ctx_train, 1, MODEL_MAX_CTX,
                 &c->rope_ctx_orig, err, errlen) < 0)
        return -1;
    c->rope_freq_base_swa = 10000.0f; /* llama.cpp's default for sliding layers */
    c->rope_freq_scale_swa = 1.0f;
    if (c->arch->swa_rope_global) {
        c->rope_freq_base_swa = c->rope_freq_base;
        c->rope_freq_scale_swa = c->arch->swa_plain_rope ? 1.0f : c->rope_freq_scale;
    }
    return meta_float(g, arch, "rope.freq_base_swa", c->rope_freq_base_swa, 1.0, 1e12, &c->rope_freq_base_swa,
                      err, errlen);
}

/* Mixture of experts: counts and the expert width. */
static int read_experts(const GgufFile *g, const char *arch, ModelConfig *c, char *err, size_t errlen)
{
    if (meta_int(g, arch, "expert_count", 0, 0, MODEL_MAX_EXPERTS, &c->n_expert, err, errlen) < 0 ||
        meta_int(g, arch, "expert_used_count", 0, 0, c->n_expert, &c->n_expert_used, err, errlen) < 0)
        return -1;
    if (c->arch->moe && c->n_expert == 0) {
        errmsg_set(err, errlen, "metadata %s.expert_count is missing (%s is a mixture of experts)", arch, arch);
        return -1;
    }
    if (c->n_expert == 0)
        return 0;
    if (c->n_expert_used == 0) {
        errmsg_set(err, errlen, "metadata %s.expert_used_count is missing or 0", arch);
        return -1;
    }
    int def = c->hidden_dim / c->n_expert_used;
    return meta_int(g, arch, "expert_feed_forward_length", def > 0 ? def : 1, 1, MODEL_MAX_DIM, &c->expert_ff,
                    err, errlen);
}

/* Sliding-window attention: the window and which layers slide. */
static int read_swa(const GgufFile *g, const char *arch, ModelConfig *c, bool *layer_swa, char *err,
                    size_t errlen)
{
    const ArchInfo *a = c->arch;
    c->n_swa = 0;
    if (!a->honours_swa)
        return 0;
    if (meta_int(g, arch, "attention.sliding_window", a->swa_default_window, 0, INT32_MAX, &c->n_swa, err,
                 errlen) < 0)
        return -1;
    if (c->n_swa <= 0) {
        c->n_swa = 0;
        return 0;
    }
    char key[128];
    snprintf(key, sizeof key, "%s.attention.sliding_window_pattern", arch);
    GgufValueType et;
    int64_t n = gguf_array_len(g, key, &et);
    if (n >= 0) { /* one flag per layer: bool, or 32-bit integers as llama.cpp also accepts */
        bool narrow = et == GGUF_TYPE_BOOL || et == GGUF_TYPE_INT8 || et == GGUF_TYPE_UINT8;
        bool wide = et == GGUF_TYPE_INT32 || et == GGUF_TYPE_UINT32;
        if (n != c->n_layers || (!narrow && !wide)) {
            errmsg_set(err, errlen, "metadata %s must hold %d booleans", key, c->n_layers);
            return -1;
        }
        const unsigned char *f = gguf_array_data(g, key);
        for (int l = 0; l < c->n_layers; l++) {
            uint32_t v = 0;
            if (wide)
                memcpy(&v, f + 4 * (size_t)l, 4);
            else
                v = f[l];
            layer_swa[l] = v != 0;
        }
        return 0;
    }
    int period;
    if (meta_int(g, arch, "attention.sliding_window_pattern", a->swa_period, 0, MODEL_MAX_LAYERS, &period, err,
                 errlen) < 0)
        return -1;
    for (int l = 0; l < c->n_layers; l++)
        layer_swa[l] = period == 0 || l % period < period - 1;
    return 0;
}

static int read_config(const GgufFile *g, const ModelOptions *opt, ModelConfig *c, bool **layer_swa, char *err,
                       size_t errlen)
{
    GgufString a = gguf_get_string(g, "general.architecture");
    if (!a.ptr) {
        errmsg_set(err, errlen, "metadata general.architecture is missing");
        return -1;
    }
    c->arch = arch_find(a.ptr, a.len);
    if (!c->arch) {
        char names[256];
        arch_names(names, sizeof names);
        int n = a.len > 40 ? 40 : (int)a.len;
        errmsg_set(err, errlen, "unsupported architecture '%.*s' (supported: %s)", n, a.ptr, names);
        return -1;
    }
    c->rope_type = c->arch->neox ? MODEL_ROPE_NEOX : MODEL_ROPE_NORM;
    snprintf(c->arch_name, sizeof c->arch_name, "%s", c->arch->name);
    const char *arch = c->arch_name;
    if (meta_int(g, arch, "embedding_length", INT64_MIN, 1, MODEL_MAX_DIM, &c->dim, err, errlen) < 0 ||
        meta_int(g, arch, "block_count", INT64_MIN, 1, MODEL_MAX_LAYERS, &c->n_layers, err, errlen) < 0 ||
        meta_int(g, arch, "feed_forward_length", c->arch->moe ? 0 : INT64_MIN, c->arch->moe ? 0 : 1,
                 MODEL_MAX_DIM, &c->hidden_dim, err, errlen) < 0 ||
        meta_int(g, arch, "context_length", MODEL_DEFAULT_CTX, 1, MODEL_MAX_CTX, &c->n_ctx_train, err, errlen) < 0 ||
        read_attention(g, arch, c, err, errlen) < 0 || read_rope(g, arch, c, err, errlen) < 0 ||
        read_experts(g, arch, c, err, errlen) < 0)
        return -1;
    if (meta_float(g, arch, "attention.layer_norm_rms_epsilon", c->arch->neox ? 1e-6 : 1e-5, 0.0, 1.0,
                   &c->rms_eps, err, errlen) < 0 ||
        meta_float(g, arch, "attn_logit_softcapping", 0.0, 0.0, 1e6, &c->attn_softcap, err, errlen) < 0 ||
        meta_float(g, arch, "final_logit_softcapping", 0.0, 0.0, 1e6, &c->final_softcap, err, errlen) < 0)
        return -1;
    if (!c->arch->attn_softcap)
        c->attn_softcap = 0.0f;
    c->embed_scale = c->arch->embed_scale ? sqrtf((float)c->dim) : 1.0f;
    bool by_dim = c->arch->attn_scale_by_dim && c->n_layers == c->arch->attn_scale_layers;
    c->attn_scale = 1.0f / sqrtf((float)(by_dim ? c->dim / c->n_heads : c->head_dim));
    *layer_swa = calloc((size_t)c->n_layers, sizeof **layer_swa);
    if (!*layer_swa) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    if (read_swa(g, arch, c, *layer_swa, err, errlen) < 0)
        return -1;
    const GgufTensor *te = gguf_find_tensor(g, "token_embd.weight");
    if (!te) {
        errmsg_set(err, errlen, "tensor 'token_embd.weight' is missing");
        return -1;
    }
    if (te->n_dims != 2 || te->ne[0] != (uint64_t)c->dim || te->ne[1] < 1 || te->ne[1] > MODEL_MAX_VOCAB) {
        char have[96];
        errmsg_set(err, errlen, "tensor 'token_embd.weight' has shape %s, expected [%d, n_vocab]",
                shape_str(te, have, sizeof have), c->dim);
        return -1;
    }
    c->n_vocab = (int)te->ne[1];
    c->tied_output = gguf_find_tensor(g, "output.weight") == NULL;
    if (c->tied_output && c->arch->output_required) {
        errmsg_set(err, errlen, "tensor 'output.weight' is missing (%s does not tie it to the embeddings)", arch);
        return -1;
    }
    int n_ctx = opt && opt->n_ctx > 0 ? opt->n_ctx : MODEL_DEFAULT_CTX;
    c->n_ctx = n_ctx < c->n_ctx_train ? n_ctx : c->n_ctx_train;
    return 0;
}

/* ---- tensors --------------------------------------------------------------------- */

/* What a tensor must be: shape (unused dims 0) and kind. */
typedef enum TensorKind { TK_VEC, TK_MAT } TensorKind;

typedef struct Loader {
    const GgufFile *g;
    char *err;
    size_t errlen;
    int rc;
} Loader;

/* Finds name and checks shape [ne0, ne1, ne2] (trailing 0s = absent dims) and
 * type: TK_VEC must be F32 (norms, biases, sinks), TK_MAT any weight type the
 * matrix products read. NULL when absent (an error unless optional). */
static const GgufTensor *need(Loader *ld, const char *name, uint64_t ne0, uint64_t ne1, uint64_t ne2,
                              TensorKind kind, bool optional)
{
    if (ld->rc)
        return NULL;
    const GgufTensor *t = gguf_find_tensor(ld->g, name);
    if (!t) {
        if (!optional) {
            errmsg_set(ld->err, ld->errlen, "tensor '%s' is missing", name);
            ld->rc = -1;
        }
        return NULL;
    }
    uint64_t want[4] = { ne0, ne1 ? ne1 : 1, ne2 ? ne2 : 1, 1 };
    if (t->ne[0] != want[0] || t->ne[1] != want[1] || t->ne[2] != want[2] || t->ne[3] != want[3]) {
        char have[96], exp[96];
        if (ne2)
            snprintf(exp, sizeof exp, "[%llu, %llu, %llu]", (unsigned long long)ne0, (unsigned long long)ne1,
                     (unsigned long long)ne2);
        else if (ne1)
            snprintf(exp, sizeof exp, "[%llu, %llu]", (unsigned long long)ne0, (unsigned long long)ne1);
        else
            snprintf(exp, sizeof exp, "[%llu]", (unsigned long long)ne0);
        errmsg_set(ld->err, ld->errlen, "tensor '%s' has shape %s, expected %s", name, shape_str(t, have, sizeof have),
                exp);
        ld->rc = -1;
        return NULL;
    }
    if (kind == TK_VEC ? t->type != GGML_TYPE_F32 : !quant_type_supported(t->type)) {
        errmsg_set(ld->err, ld->errlen, "tensor '%s' has type %s, which is not supported%s", name,
                gguf_type_name(t->type), kind == TK_VEC ? " (norms and biases must be F32)" : "");
        ld->rc = -1;
        return NULL;
    }
    return t;
}

/* A tensor the architecture does not use must not be silently ignored when it
 * changes the result: refuse files that carry one. */
static void refuse_extra(Loader *ld, const char *name, const char *what)
{
    if (ld->rc == 0 && gguf_find_tensor(ld->g, name)) {
        errmsg_set(ld->err, ld->errlen, "tensor '%s' (%s) is not supported for this architecture", name, what);
        ld->rc = -1;
    }
}

static void load_attention(Loader *ld, const ModelConfig *c, int l, ModelLayer *L)
{
    const ArchInfo *a = c->arch;
    uint64_t dim = (uint64_t)c->dim, qd = (uint64_t)c->n_heads * c->head_dim;
    uint64_t kvd = (uint64_t)c->n_kv_heads * c->head_dim, hd = (uint64_t)c->head_dim;
    char n[96];
#define NAME(suffix) (snprintf(n, sizeof n, "blk.%d.%s", l, suffix), n)
    if (a->pre_norms)
        L->attn_norm = need(ld, NAME("attn_norm.weight"), dim, 0, 0, TK_VEC, false);
    else
        refuse_extra(ld, NAME("attn_norm.weight"), "a norm before attention");
    L->wqkv = need(ld, NAME("attn_qkv.weight"), dim, qd + 2 * kvd, 0, TK_MAT, true);
    if (L->wqkv) {
        L->bqkv = need(ld, NAME("attn_qkv.bias"), qd + 2 * kvd, 0, 0, TK_VEC, true);
    } else {
        L->wq = need(ld, NAME("attn_q.weight"), dim, qd, 0, TK_MAT, false);
        L->wk = need(ld, NAME("attn_k.weight"), dim, kvd, 0, TK_MAT, false);
        L->wv = need(ld, NAME("attn_v.weight"), dim, kvd, 0, TK_MAT, false);
    }
    if (!L->bqkv) {
        L->bq = need(ld, NAME("attn_q.bias"), qd, 0, 0, TK_VEC, true);
        L->bk = need(ld, NAME("attn_k.bias"), kvd, 0, 0, TK_VEC, true);
        L->bv = need(ld, NAME("attn_v.bias"), kvd, 0, 0, TK_VEC, true);
    }
    L->wo = need(ld, NAME("attn_output.weight"), qd, dim, 0, TK_MAT, false);
    L->bo = need(ld, NAME("attn_output.bias"), dim, 0, 0, TK_VEC, !a->out_bias);
    if (a->qk_norm == ARCH_QK_NORM_HEAD) {
        L->q_norm = need(ld, NAME("attn_q_norm.weight"), hd, 0, 0, TK_VEC, false);
        L->k_norm = need(ld, NAME("attn_k_norm.weight"), hd, 0, 0, TK_VEC, false);
    } else if (a->qk_norm == ARCH_QK_NORM_FULL) {
        L->q_norm = need(ld, NAME("attn_q_norm.weight"), qd, 0, 0, TK_VEC, false);
        L->k_norm = need(ld, NAME("attn_k_norm.weight"), kvd, 0, 0, TK_VEC, false);
    } else {
        refuse_extra(ld, NAME("attn_q_norm.weight"), "a query norm");
    }
    if (a->post_norms)
        L->attn_post_norm = need(ld, NAME("post_attention_norm.weight"), dim, 0, 0, TK_VEC, false);
    if (a->sinks)
        L->sinks = need(ld, NAME("attn_sinks.weight"), (uint64_t)c->n_heads, 0, 0, TK_VEC, false);
#undef NAME
}

static void load_ffn(Loader *ld, const ModelConfig *c, int l, ModelLayer *L)
{
    const ArchInfo *a = c->arch;
    uint64_t dim = (uint64_t)c->dim, hid = (uint64_t)c->hidden_dim;
    char n[96];
#define NAME(suffix) (snprintf(n, sizeof n, "blk.%d.%s", l, suffix), n)
    if (a->pre_norms) {
        char suffix[64];
        snprintf(suffix, sizeof suffix, "%s.weight", a->ffn_norm);
        L->ffn_norm = need(ld, NAME(suffix), dim, 0, 0, TK_VEC, false);
    }
    if (a->post_norms)
        L->ffn_post_norm = need(ld, NAME("post_ffw_norm.weight"), dim, 0, 0, TK_VEC, false);
    if (c->n_expert == 0) {
        L->w_gate = need(ld, NAME("ffn_gate.weight"), dim, hid, 0, TK_MAT, true);
        L->w_up = need(ld, NAME("ffn_up.weight"), dim, L->w_gate ? hid : 2 * hid, 0, TK_MAT, false);
        L->w_down = need(ld, NAME("ffn_down.weight"), hid, dim, 0, TK_MAT, false);
        return;
    }
    uint64_t ne = (uint64_t)c->n_expert, eff = (uint64_t)c->expert_ff;
    L->router = need(ld, NAME("ffn_gate_inp.weight"), dim, ne, 0, TK_MAT, false);
    L->router_b = need(ld, NAME("ffn_gate_inp.bias"), ne, 0, 0, TK_VEC, true);
    L->exp_gate = need(ld, NAME("ffn_gate_exps.weight"), dim, eff, ne, TK_MAT, false);
    L->exp_up = need(ld, NAME("ffn_up_exps.weight"), dim, eff, ne, TK_MAT, false);
    L->exp_down = need(ld, NAME("ffn_down_exps.weight"), eff, dim, ne, TK_MAT, false);
    L->exp_gate_b = need(ld, NAME("ffn_gate_exps.bias"), eff, ne, 0, TK_VEC, true);
    L->exp_up_b = need(ld, NAME("ffn_up_exps.bias"), eff, ne, 0, TK_VEC, true);
    L->exp_down_b = need(ld, NAME("ffn_down_exps.bias"), dim, ne, 0, TK_VEC, true);
    refuse_extra(ld, NAME("ffn_gate_shexp.weight"), "a shared expert");
#undef NAME
}

/* Per-pair rope divisors: Llama 3.1 rope_freqs, or Phi-3's long/short factors
 * (long when the context exceeds the original one, as llama.cpp chooses). */
static const float *rope_factors(Loader *ld, const ModelConfig *c)
{
    uint64_t half = (uint64_t)c->rope_dim / 2;
    const GgufTensor *rf = need(ld, "rope_freqs.weight", half, 0, 0, TK_VEC, true);
    if (rf)
        return rf->data;
    const GgufTensor *lo = need(ld, "rope_factors_long.weight", half, 0, 0, TK_VEC, true);
    const GgufTensor *sh = need(ld, "rope_factors_short.weight", half, 0, 0, TK_VEC, true);
    const GgufTensor *f = c->n_ctx > c->rope_ctx_orig ? lo : sh;
    return f ? f->data : NULL;
}

static int load_tensors(Model *m, const bool *layer_swa, char *err, size_t errlen)
{
    const ModelConfig *c = &m->c;
    Loader ld = { m->g, err, errlen, 0 };
    uint64_t dim = (uint64_t)c->dim;
    m->token_embd = need(&ld, "token_embd.weight", dim, (uint64_t)c->n_vocab, 0, TK_MAT, false);
    m->output_norm = need(&ld, "output_norm.weight", dim, 0, 0, TK_VEC, false);
    m->output = c->tied_output ? m->token_embd
                               : need(&ld, "output.weight", dim, (uint64_t)c->n_vocab, 0, TK_MAT, false);
    const float *factors = rope_factors(&ld, c);
    for (int l = 0; l < c->n_layers && ld.rc == 0; l++) {
        ModelLayer *L = &m->layers[l];
        L->swa = layer_swa[l];
        load_attention(&ld, c, l, L);
        load_ffn(&ld, c, l, L);
    }
    if (ld.rc)
        return -1;
    /* YaRN: extrapolation mix 1 and its magnitude correction, llama.cpp's way */
    float ext = 0.0f, attn_factor = 1.0f;
    if (c->rope_scaling == MODEL_ROPE_SCALING_YARN) {
        float factor = 1.0f / c->rope_freq_scale;
        ext = 1.0f;
        attn_factor = factor <= 1.0f ? 1.0f : 0.1f * logf(factor) + 1.0f;
        attn_factor *= 1.0f / (1.0f + 0.1f * logf(factor));
    }
    float rattn;
    if (meta_float(m->g, c->arch_name, "rope.scaling.attn_factor", 1.0, 1e-6, 1e6, &rattn, err, errlen) < 0)
        return -1;
    attn_factor *= rattn;
    bool neox = c->rope_type == MODEL_ROPE_NEOX;
    float sscale = c->arch->swa_plain_rope ? 1.0f : c->rope_freq_scale_swa;
    float sext = c->arch->swa_plain_rope ? 0.0f : ext, sattn = c->arch->swa_plain_rope ? 1.0f : attn_factor;
    if (ops_rope_init(&m->rope, c->rope_dim, neox, c->rope_freq_base, c->rope_freq_scale, factors, ext,
                      attn_factor, c->rope_ctx_orig, 32.0f, 1.0f) < 0 ||
        ops_rope_init(&m->rope_swa, c->rope_dim, neox, c->rope_freq_base_swa, sscale,
                      c->arch->swa_plain_rope ? NULL : factors, sext, sattn, c->rope_ctx_orig, 32.0f, 1.0f) < 0) {
        errmsg_set(err, errlen, "bad RoPE parameters (%d rotated dimensions)", c->rope_dim);
        return -1;
    }
    ops_rope_inv_freq(&m->rope, m->inv_freq);
    m->inv_freq_ok = ext == 0.0f && attn_factor == 1.0f;
    return 0;
}

/* ---- the model ------------------------------------------------------------------- */

/* ---- matrices prepared for the CPU kernels ---------------------------------------- */

/* Rows already in panels: their mapped pages can go while the rest is packed
 * (Gemma 3 270M's 168 MB output matrix was resident twice at its peak). */
static void release_packed(void *g, const void *p, size_t n)
{
    gguf_release_bytes(g, p, n);
}

const MatmulWeights *model_prepared(Model *m, const GgufTensor *t, char *err, size_t errlen)
{
    int64_t i = t - gguf_tensor(m->g, 0);
    if (m->prep[i])
        return m->prep[i];
    if (m->repack)
        m->prep[i] = matmul_weights_new_releasing(m->pool, t->type, t->data, (int64_t)t->ne[1], (int64_t)t->ne[0],
                                                  release_packed, (void *)m->g, err, errlen);
    else
        m->prep[i] = matmul_weights_view(t->type, t->data, (int64_t)t->ne[1], (int64_t)t->ne[0], err, errlen);
    if (m->prep[i] && matmul_weights_bytes(m->prep[i]))
        gguf_release_tensor(m->g, t); /* repacked: the mapped original pages can go */
    return m->prep[i];
}

int model_prepare(Model *m, char *err, size_t errlen)
{
    if (!model_prepared(m, m->output, err, errlen))
        return -1;
    for (int l = 0; l < m->c.n_layers; l++) {
        const ModelLayer *L = &m->layers[l];
        const GgufTensor *all[] = { L->wqkv, L->wq, L->wk, L->wv, L->wo, L->w_gate, L->w_up, L->w_down, L->router };
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            if (all[k] && !model_prepared(m, all[k], err, errlen))
                return -1;
    }
    return 0;
}

bool model_repacked(const Model *m)
{
    for (int64_t i = 0; m->prep && i < gguf_tensor_count(m->g); i++)
        if (matmul_weights_bytes(m->prep[i]))
            return true;
    return false;
}

/* Available memory from /proc/meminfo, bytes; 0 when unknown. */
static uint64_t mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[128];
    unsigned long long kb = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
            break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

Model *model_new(const GgufFile *g, const ModelOptions *opt, char *err, size_t errlen)
{
    Model *m = calloc(1, sizeof *m);
    bool *layer_swa = NULL;
    if (!m) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    m->g = g;
    m->pool = opt ? opt->pool : NULL;
    m->n_threads = threadpool_size(m->pool);
    if (read_config(g, opt, &m->c, &layer_swa, err, errlen) < 0)
        goto fail;
    const ModelConfig *c = &m->c;
    m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
    if (!m->layers) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    if (load_tensors(m, layer_swa, err, errlen) < 0)
        goto fail;
    free(layer_swa);
    layer_swa = NULL;
    m->batch = opt && opt->batch > 0 ? opt->batch : MODEL_DEFAULT_BATCH;
    size_t B = (size_t)m->batch, qd = (size_t)c->n_heads * c->head_dim;
    size_t kvd = (size_t)c->n_kv_heads * c->head_dim;
    size_t xbw = qd > (size_t)c->dim ? qd : (size_t)c->dim;
    size_t ffw = 2 * (size_t)(c->hidden_dim > c->expert_ff ? c->hidden_dim : c->expert_ff);
    KvType kvt = opt && opt->kv_type_set ? (KvType)opt->kv_type : KV_TYPE_DEFAULT;
    m->kv = kv_cache_new(kvt, c->n_layers, c->n_ctx, c->n_kv_heads, c->head_dim, err, errlen);
    if (!m->kv)
        goto fail;
    m->x = malloc(B * c->dim * sizeof(float));
    m->xb = malloc(B * xbw * sizeof(float));
    m->xb2 = malloc(B * c->dim * sizeof(float));
    m->q = malloc(B * qd * sizeof(float));
    m->k = malloc(B * kvd * sizeof(float));
    m->v = malloc(B * kvd * sizeof(float));
    m->hb = malloc(B * ffw * sizeof(float));
    m->hb2 = malloc(B * ffw * sizeof(float));
    m->logits = calloc((size_t)c->n_vocab, sizeof(float));
    bool fused = false;
    for (int l = 0; l < c->n_layers; l++)
        fused |= m->layers[l].wqkv != NULL;
    if (fused)
        m->qkv = malloc(B * (qd + 2 * kvd) * sizeof(float));
    if (c->n_expert) {
        size_t k = (size_t)c->n_expert_used;
        m->moe_logits = malloc(B * (size_t)c->n_expert * sizeof(float));
        m->moe_sel = malloc(B * k * sizeof(int));
        m->moe_w = malloc(B * k * sizeof(float));
        m->moe_in = malloc(B * c->dim * sizeof(float));
        m->moe_out = malloc(B * k * c->dim * sizeof(float));
        m->moe_rows = malloc(B * sizeof(int));
    }
    if (!m->x || !m->xb || !m->xb2 || !m->q || !m->k || !m->v || !m->hb ||
        !m->hb2 || !m->logits || (fused && !m->qkv) ||
        (c->n_expert && (!m->moe_logits || !m->moe_sel || !m->moe_w || !m->moe_in || !m->moe_out || !m->moe_rows))) {
        errmsg_set(err, errlen, "out of memory for the scratch of a %d-token batch", m->batch);
        goto fail;
    }
    /* Repacked weights are a copy in anonymous memory (the mapped pages are
     * let go as each matrix is done): only where that copy fits with room to
     * spare; otherwise the row kernels read the mapping. */
    m->prep = calloc((size_t)gguf_tensor_count(g) + 1, sizeof *m->prep);
    if (!m->prep) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    uint64_t avail = mem_available();
    m->repack = avail == 0 || model_weight_bytes(m) < avail / 10 * 8;
    return m;
fail:
    free(layer_swa);
    model_free(m);
    return NULL;
}

void model_free(Model *m)
{
    if (!m)
        return;
    if (m->prep)
        for (int64_t i = 0; i < gguf_tensor_count(m->g); i++)
            matmul_weights_free(m->prep[i]);
    free(m->prep);
    free(m->layers);
    kv_cache_free(m->kv);
    free(m->x);
    free(m->xb);
    free(m->xb2);
    free(m->q);
    free(m->k);
    free(m->v);
    free(m->qkv);
    free(m->hb);
    free(m->hb2);
    free(m->moe_logits);
    free(m->moe_sel);
    free(m->moe_w);
    free(m->moe_in);
    free(m->moe_out);
    free(m->moe_rows);
    free(m->logits);
    free(m);
}

const ModelConfig *model_config(const Model *m) { return &m->c; }

int model_check_input(const ModelConfig *c, const int *tokens, int n, int pos, char *err, size_t errlen)
{
    if (n < 1 || pos < 0 || pos > c->n_ctx - n) {
        errmsg_set(err, errlen, "context full: %d tokens at position %d do not fit in the %d-token context", n,
                pos, c->n_ctx);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (tokens[i] < 0 || tokens[i] >= c->n_vocab) {
            errmsg_set(err, errlen, "token id %d at index %d is outside the vocabulary (%d)", tokens[i], i,
                    c->n_vocab);
            return -1;
        }
    return 0;
}

const ModelLayer *model_layer(const Model *m, int layer)
{
    return layer >= 0 && layer < m->c.n_layers ? &m->layers[layer] : NULL;
}

float *model_logits(Model *m) { return m->logits; }

const float *model_rope_inv_freq(const Model *m) { return m->inv_freq_ok ? m->inv_freq : NULL; }

uint64_t model_kv_bytes(const Model *m)
{
    return kv_cache_bytes(m->kv);
}

const char *model_kv_type(const Model *m)
{
    return kv_type_name(kv_cache_type(m->kv));
}

uint64_t model_weight_bytes(const Model *m)
{
    uint64_t b = m->output_norm->nbytes + m->output->nbytes + m->token_embd->nbytes / m->c.n_vocab;
    for (int l = 0; l < m->c.n_layers; l++) {
        const ModelLayer *L = &m->layers[l];
        const GgufTensor *all[] = { L->attn_norm, L->wqkv, L->bqkv, L->wq, L->wk, L->wv, L->wo, L->bq, L->bk,
                                    L->bv, L->bo, L->q_norm, L->k_norm, L->attn_post_norm, L->sinks,
                                    L->ffn_norm, L->ffn_post_norm, L->w_gate, L->w_up, L->w_down, L->router,
                                    L->router_b };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (all[i])
                b += all[i]->nbytes;
        /* experts: only the ones a token uses are read */
        const GgufTensor *ex[] = { L->exp_gate, L->exp_up, L->exp_down, L->exp_gate_b, L->exp_up_b, L->exp_down_b };
        for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
            if (ex[i])
                b += ex[i]->nbytes / (uint64_t)m->c.n_expert * (uint64_t)m->c.n_expert_used;
    }
    return b;
}

const char *model_weight_type(const Model *m)
{
    if (m->c.n_layers == 0)
        return gguf_type_name(m->output->type);
    const ModelLayer *L = &m->layers[0];
    const GgufTensor *t = L->w_up ? L->w_up : L->exp_up;
    return gguf_type_name(t->type);
}
