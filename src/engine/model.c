/* model.c — hyperparameters, tensor views, KV cache and the CPU forward pass
 * of llama-family decoders (see model.h). In the spirit of llama2.c's run.c:
 * one straight function per step (rmsnorm, rope, attention, swiglu), batched
 * over the tokens of a prefill chunk. Weight products go through
 * weights_matmul(); the weights stay in the mapped file. */
#include "engine/model.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "engine/matmul.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

#define MODEL_MAX_DIM (1 << 16)      /* embedding / ffn / head sizes */
#define MODEL_MAX_LAYERS 1024
#define MODEL_MAX_HEADS 1024
#define MODEL_MAX_VOCAB (1 << 22)
#define MODEL_MAX_CTX (1 << 20)
#define MODEL_DEFAULT_CTX 4096
#define MODEL_DEFAULT_BATCH 64

struct Model {
    const GgufFile *g;
    ModelConfig c;
    ThreadPool *pool;                 /* borrowed */
    int batch;                        /* prefill chunk, tokens */
    int n_threads;
    const GgufTensor *token_embd;     /* [dim, n_vocab] */
    const GgufTensor *output_norm;    /* [dim] */
    const GgufTensor *output;         /* [dim, n_vocab] (token_embd when tied) */
    const float *rope_freqs;          /* (rope_dim/2) divisors, or NULL */
    ModelLayer *layers;               /* (n_layers) */
    MatmulWeights **prep;             /* (gguf tensor count) matrices prepared for matmul, by tensor index */
    bool repack;                      /* prepare by repacking (there is memory for a copy of the weights) */
    float *inv_freq;                  /* (rope_dim/2) theta per position for each pair */
    float *key_cache;                 /* (n_layers, n_ctx, kv_dim) */
    float *value_cache;               /* (n_layers, n_ctx, kv_dim) */
    /* scratch, sized for one chunk of `batch` tokens */
    float *x;                         /* (batch, dim) residual stream */
    float *xb;                        /* (batch, max(dim, q_dim)) normed input / attention output */
    float *q;                         /* (batch, q_dim) */
    float *k;                         /* (batch, kv_dim) */
    float *v;                         /* (batch, kv_dim) */
    float *hb;                        /* (batch, hidden) */
    float *hb2;                       /* (batch, hidden) */
    float *att;                       /* (n_threads, n_ctx) attention scores per thread */
    float *logits;                    /* (n_vocab) */
    char errbuf[256];                 /* what failed inside the forward pass */
};

/* ---- weight products (the only place that touches matrix bytes) ------------- */

/* Weight types the forward pass can multiply. */
static bool matrix_type_ok(GgmlType t)
{
    return quant_type_supported(t);
}

/* Prepares matrix t for matmul (repacking it where the CPU has panel
 * kernels and memory allows) and, once repacked, lets the mapped original
 * pages go. Returns the prepared matrix, or NULL with err. */
static const MatmulWeights *prepare_matrix(Model *m, const GgufTensor *t, char *err, size_t errlen)
{
    int64_t i = t - gguf_tensor(m->g, 0);
    if (m->prep[i])
        return m->prep[i];
    if (m->repack)
        m->prep[i] = matmul_weights_new(m->pool, t->type, t->data, (int64_t)t->ne[1], (int64_t)t->ne[0], err,
                                        errlen);
    else
        m->prep[i] = matmul_weights_view(t->type, t->data, (int64_t)t->ne[1], (int64_t)t->ne[0], err, errlen);
    if (m->prep[i] && matmul_weights_bytes(m->prep[i]))
        gguf_release_tensor(m->g, t);
    return m->prep[i];
}

/* out_i[t][r] = sum_c w_i[r][c] * x[t][c] for the n matrices w_i (same
 * input width): every weight product of the model, as one job. */
static int weights_matmul_many(Model *m, const GgufTensor *const *w, float *const *out, int n,
                               const float *x, int T)
{
    const MatmulWeights *pw[MATMUL_MAX_MANY];
    for (int i = 0; i < n; i++)
        if (!(pw[i] = prepare_matrix(m, w[i], m->errbuf, sizeof m->errbuf)))
            return -1;
    return matmul_many(m->pool, pw, out, n, x, T, m->errbuf, sizeof m->errbuf);
}

static int weights_matmul(Model *m, const GgufTensor *w, const float *x, int T, float *out)
{
    return weights_matmul_many(m, &w, &out, 1, x, T);
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

int model_prepare(Model *m, char *err, size_t errlen)
{
    if (!prepare_matrix(m, m->output, err, errlen))
        return -1;
    for (int l = 0; l < m->c.n_layers; l++) {
        const ModelLayer *L = &m->layers[l];
        const GgufTensor *all[] = { L->wq, L->wk, L->wv, L->wo, L->w_gate, L->w_up, L->w_down };
        for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
            if (!prepare_matrix(m, all[k], err, errlen))
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

/* Row `row` of the embedding matrix into dst (dim), dequantized. */
static int embedding_row(Model *m, int row, float *dst)
{
    const GgufTensor *e = m->token_embd;
    if (quant_get_row(e->type, e->data, row, (int64_t)e->ne[0], dst) < 0) {
        errmsg_set(m->errbuf, sizeof m->errbuf, "cannot read row %d of token_embd.weight (%s)", row,
                gguf_type_name(e->type));
        return -1;
    }
    return 0;
}

/* ---- loading ------------------------------------------------------------------ */

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

static const char *shape_str(const GgufTensor *t, char *buf, size_t n)
{
    int k = snprintf(buf, n, "[%llu", (unsigned long long)t->ne[0]);
    for (uint32_t d = 1; d < t->n_dims && k > 0 && (size_t)k < n; d++)
        k += snprintf(buf + k, n - (size_t)k, ", %llu", (unsigned long long)t->ne[d]);
    if (k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "]");
    return buf;
}

/* Finds name, checks shape [ne0, ne1] (ne1 = 0 for a vector) and type class.
 * kind: 'v' = F32 vector, 'm' = matrix of a supported weight type. */
static const GgufTensor *need_tensor(const GgufFile *g, const char *name, uint64_t ne0, uint64_t ne1,
                                     char kind, bool optional, char *err, size_t errlen, int *rc)
{
    const GgufTensor *t = gguf_find_tensor(g, name);
    if (!t) {
        if (!optional) {
            errmsg_set(err, errlen, "tensor '%s' is missing", name);
            *rc = -1;
        }
        return NULL;
    }
    bool ok = ne1 == 0 ? (t->ne[0] == ne0 && t->ne[1] == 1 && t->ne[2] == 1 && t->ne[3] == 1)
                       : (t->ne[0] == ne0 && t->ne[1] == ne1 && t->ne[2] == 1 && t->ne[3] == 1);
    if (!ok) {
        char have[96];
        if (ne1)
            errmsg_set(err, errlen, "tensor '%s' has shape %s, expected [%llu, %llu]", name,
                    shape_str(t, have, sizeof have), (unsigned long long)ne0, (unsigned long long)ne1);
        else
            errmsg_set(err, errlen, "tensor '%s' has shape %s, expected [%llu]", name,
                    shape_str(t, have, sizeof have), (unsigned long long)ne0);
        *rc = -1;
        return NULL;
    }
    if (kind == 'v' ? t->type != GGML_TYPE_F32 : !matrix_type_ok(t->type)) {
        errmsg_set(err, errlen, "tensor '%s' has type %s, which is not supported%s", name,
                gguf_type_name(t->type), kind == 'v' ? " (norms and biases must be F32)" : "");
        *rc = -1;
        return NULL;
    }
    return t;
}

static int read_config(const GgufFile *g, const ModelOptions *opt, ModelConfig *c, char *err, size_t errlen)
{
    GgufString a = gguf_get_string(g, "general.architecture");
    if (!a.ptr) {
        errmsg_set(err, errlen, "metadata general.architecture is missing");
        return -1;
    }
    if (gguf_string_eq(a, "llama")) {
        c->arch = MODEL_ARCH_LLAMA;
        c->rope_type = MODEL_ROPE_NORM;
    } else if (gguf_string_eq(a, "qwen2")) {
        c->arch = MODEL_ARCH_QWEN2;
        c->rope_type = MODEL_ROPE_NEOX;
    } else {
        int n = a.len > 40 ? 40 : (int)a.len;
        errmsg_set(err, errlen, "unsupported architecture '%.*s' (supported: llama, qwen2)", n, a.ptr);
        return -1;
    }
    const char *arch = c->arch == MODEL_ARCH_LLAMA ? "llama" : "qwen2";
    snprintf(c->arch_name, sizeof c->arch_name, "%s", arch);
    if (meta_int(g, arch, "embedding_length", INT64_MIN, 1, MODEL_MAX_DIM, &c->dim, err, errlen) < 0 ||
        meta_int(g, arch, "block_count", INT64_MIN, 1, MODEL_MAX_LAYERS, &c->n_layers, err, errlen) < 0 ||
        meta_int(g, arch, "feed_forward_length", INT64_MIN, 1, MODEL_MAX_DIM, &c->hidden_dim, err, errlen) < 0 ||
        meta_int(g, arch, "attention.head_count", INT64_MIN, 1, MODEL_MAX_HEADS, &c->n_heads, err, errlen) < 0 ||
        meta_int(g, arch, "attention.head_count_kv", c->n_heads, 1, c->n_heads, &c->n_kv_heads, err, errlen) < 0 ||
        meta_int(g, arch, "context_length", MODEL_DEFAULT_CTX, 1, MODEL_MAX_CTX, &c->n_ctx_train, err, errlen) < 0)
        return -1;
    if (c->n_heads % c->n_kv_heads) {
        errmsg_set(err, errlen, "%s.attention.head_count %d is not a multiple of head_count_kv %d", arch,
                c->n_heads, c->n_kv_heads);
        return -1;
    }
    /* without key_length the head size is dim / n_heads, which must then divide */
    int64_t def_hd = c->dim % c->n_heads == 0 ? c->dim / c->n_heads : INT64_MIN;
    char kl[128];
    snprintf(kl, sizeof kl, "%s.attention.key_length", arch);
    if (def_hd == INT64_MIN && gguf_find_key(g, kl) < 0) {
        errmsg_set(err, errlen, "%s.embedding_length %d is not a multiple of head_count %d and %s is missing",
                arch, c->dim, c->n_heads, kl);
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
    if (meta_int(g, arch, "rope.dimension_count", c->head_dim, 2, c->head_dim, &c->rope_dim, err, errlen) < 0)
        return -1;
    if (c->rope_dim % 2) {
        errmsg_set(err, errlen, "%s.rope.dimension_count %d is odd", arch, c->rope_dim);
        return -1;
    }
    if (meta_float(g, arch, "rope.freq_base", 10000.0, 1.0, 1e12, &c->rope_freq_base, err, errlen) < 0 ||
        meta_float(g, arch, "attention.layer_norm_rms_epsilon", c->arch == MODEL_ARCH_QWEN2 ? 1e-6 : 1e-5,
                   0.0, 1.0, &c->rms_eps, err, errlen) < 0)
        return -1;
    c->rope_freq_scale = 1.0f;
    char key[128];
    snprintf(key, sizeof key, "%s.rope.scaling.type", arch);
    GgufString st = gguf_get_string(g, key);
    if (st.ptr && !gguf_string_eq(st, "none")) {
        if (!gguf_string_eq(st, "linear")) {
            int n = st.len > 40 ? 40 : (int)st.len;
            errmsg_set(err, errlen, "RoPE scaling '%.*s' is not supported (only linear)", n, st.ptr);
            return -1;
        }
        float factor;
        if (meta_float(g, arch, "rope.scaling.factor", 1.0, 1e-3, 1e6, &factor, err, errlen) < 0)
            return -1;
        c->rope_freq_scale = 1.0f / factor;
    }
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
    int n_ctx = opt && opt->n_ctx > 0 ? opt->n_ctx : MODEL_DEFAULT_CTX;
    c->n_ctx = n_ctx < c->n_ctx_train ? n_ctx : c->n_ctx_train;
    return 0;
}

static int load_tensors(Model *m, char *err, size_t errlen)
{
    const GgufFile *g = m->g;
    const ModelConfig *c = &m->c;
    int rc = 0;
    uint64_t dim = (uint64_t)c->dim, qd = (uint64_t)c->n_heads * c->head_dim;
    uint64_t kvd = (uint64_t)c->n_kv_heads * c->head_dim, hid = (uint64_t)c->hidden_dim;
    m->token_embd = gguf_find_tensor(g, "token_embd.weight");
    if (!matrix_type_ok(m->token_embd->type)) {
        errmsg_set(err, errlen, "tensor 'token_embd.weight' has type %s, which is not supported",
                gguf_type_name(m->token_embd->type));
        return -1;
    }
    m->output_norm = need_tensor(g, "output_norm.weight", dim, 0, 'v', false, err, errlen, &rc);
    if (rc)
        return -1;
    m->output = c->tied_output ? m->token_embd
                               : need_tensor(g, "output.weight", dim, (uint64_t)c->n_vocab, 'm', false,
                                             err, errlen, &rc);
    if (rc)
        return -1;
    const GgufTensor *rf = gguf_find_tensor(g, "rope_freqs.weight");
    if (rf) {
        rf = need_tensor(g, "rope_freqs.weight", (uint64_t)c->rope_dim / 2, 0, 'v', false, err, errlen, &rc);
        if (rc)
            return -1;
        m->rope_freqs = rf->data;
    }
    for (int l = 0; l < c->n_layers && rc == 0; l++) {
        ModelLayer *L = &m->layers[l];
        char name[96];
#define T(field, suffix, ne0, ne1, kind, opt)                                                       \
    do {                                                                                             \
        snprintf(name, sizeof name, "blk.%d.%s", l, suffix);                                         \
        if (rc == 0)                                                                                 \
            L->field = need_tensor(g, name, ne0, ne1, kind, opt, err, errlen, &rc);                  \
    } while (0)
        T(attn_norm, "attn_norm.weight", dim, 0, 'v', false);
        T(wq, "attn_q.weight", dim, qd, 'm', false);
        T(wk, "attn_k.weight", dim, kvd, 'm', false);
        T(wv, "attn_v.weight", dim, kvd, 'm', false);
        T(wo, "attn_output.weight", qd, dim, 'm', false);
        T(bq, "attn_q.bias", qd, 0, 'v', true);
        T(bk, "attn_k.bias", kvd, 0, 'v', true);
        T(bv, "attn_v.bias", kvd, 0, 'v', true);
        T(bo, "attn_output.bias", dim, 0, 'v', true);
        T(ffn_norm, "ffn_norm.weight", dim, 0, 'v', false);
        T(w_gate, "ffn_gate.weight", dim, hid, 'm', false);
        T(w_up, "ffn_up.weight", dim, hid, 'm', false);
        T(w_down, "ffn_down.weight", hid, dim, 'm', false);
#undef T
    }
    return rc;
}

Model *model_new(const GgufFile *g, const ModelOptions *opt, char *err, size_t errlen)
{
    Model *m = calloc(1, sizeof *m);
    if (!m) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    m->g = g;
    m->pool = opt ? opt->pool : NULL;
    m->n_threads = threadpool_size(m->pool);
    if (read_config(g, opt, &m->c, err, errlen) < 0)
        goto fail;
    const ModelConfig *c = &m->c;
    m->layers = calloc((size_t)c->n_layers, sizeof *m->layers);
    if (!m->layers) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    if (load_tensors(m, err, errlen) < 0)
        goto fail;
    m->batch = opt && opt->batch > 0 ? opt->batch : MODEL_DEFAULT_BATCH;
    size_t B = (size_t)m->batch, qd = (size_t)c->n_heads * c->head_dim;
    size_t kvd = (size_t)c->n_kv_heads * c->head_dim;
    size_t cache = (size_t)c->n_layers * c->n_ctx * kvd;
    size_t xbw = qd > (size_t)c->dim ? qd : (size_t)c->dim;
    m->inv_freq = malloc((size_t)c->rope_dim / 2 * sizeof *m->inv_freq);
    m->key_cache = calloc(cache, sizeof(float));
    m->value_cache = calloc(cache, sizeof(float));
    m->x = malloc(B * c->dim * sizeof(float));
    m->xb = malloc(B * xbw * sizeof(float));
    m->q = malloc(B * qd * sizeof(float));
    m->k = malloc(B * kvd * sizeof(float));
    m->v = malloc(B * kvd * sizeof(float));
    m->hb = malloc(B * c->hidden_dim * sizeof(float));
    m->hb2 = malloc(B * c->hidden_dim * sizeof(float));
    m->att = malloc((size_t)m->n_threads * c->n_ctx * sizeof(float));
    m->logits = calloc((size_t)c->n_vocab, sizeof(float));
    if (!m->inv_freq || !m->key_cache || !m->value_cache || !m->x || !m->xb || !m->q || !m->k || !m->v ||
        !m->hb || !m->hb2 || !m->att || !m->logits) {
        errmsg_set(err, errlen, "out of memory for a KV cache of %d tokens (%.1f MiB)", c->n_ctx,
                2.0 * cache * sizeof(float) / (1024.0 * 1024.0));
        goto fail;
    }
    /* theta(pos, i) = pos * freq_scale * base^(-2i/rope_dim) / rope_freqs[i] */
    for (int i = 0; i < c->rope_dim / 2; i++) {
        double f = pow((double)c->rope_freq_base, -2.0 * i / c->rope_dim) * c->rope_freq_scale;
        if (m->rope_freqs)
            f /= m->rope_freqs[i];
        m->inv_freq[i] = (float)f;
    }
    /* Repacked weights are a copy in anonymous memory (the mapped pages are
     * let go as each matrix is done): only where that copy fits with room
     * to spare; otherwise the row kernels read the mapping. */
    m->prep = calloc((size_t)gguf_tensor_count(g) + 1, sizeof *m->prep);
    if (!m->prep) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    uint64_t avail = mem_available();
    m->repack = avail == 0 || model_weight_bytes(m) < avail / 10 * 8;
    return m;
fail:
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
    free(m->inv_freq);
    free(m->key_cache);
    free(m->value_cache);
    free(m->x);
    free(m->xb);
    free(m->q);
    free(m->k);
    free(m->v);
    free(m->hb);
    free(m->hb2);
    free(m->att);
    free(m->logits);
    free(m);
}

const ModelConfig *model_config(const Model *m) { return &m->c; }

const ModelLayer *model_layer(const Model *m, int layer)
{
    return layer >= 0 && layer < m->c.n_layers ? &m->layers[layer] : NULL;
}

float *model_logits(Model *m) { return m->logits; }

uint64_t model_kv_bytes(const Model *m)
{
    return 2ull * m->c.n_layers * m->c.n_ctx * m->c.n_kv_heads * m->c.head_dim * sizeof(float);
}

uint64_t model_weight_bytes(const Model *m)
{
    uint64_t b = m->output_norm->nbytes + m->output->nbytes + m->token_embd->nbytes / m->c.n_vocab;
    for (int l = 0; l < m->c.n_layers; l++) {
        const ModelLayer *L = &m->layers[l];
        const GgufTensor *all[] = { L->attn_norm, L->wq, L->wk, L->wv, L->wo, L->bq, L->bk,
                                    L->bv, L->bo, L->ffn_norm, L->w_gate, L->w_up, L->w_down };
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
            if (all[i])
                b += all[i]->nbytes;
    }
    return b;
}

const char *model_weight_type(const Model *m)
{
    return gguf_type_name(m->c.n_layers ? m->layers[0].w_gate->type : m->output->type);
}

/* ---- the forward pass ------------------------------------------------------------ */

static void rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float scale = (float)(1.0 / sqrt(ss / n + eps));
    for (int i = 0; i < n; i++)
        out[i] = x[i] * scale * w[i];
}

static void add_bias(float *x, const GgufTensor *b, int T, int n)
{
    if (!b)
        return;
    const float *bias = b->data;
    for (int t = 0; t < T; t++)
        for (int i = 0; i < n; i++)
            x[(size_t)t * n + i] += bias[i];
}

/* Rotates n_h heads of one token at position pos in place. */
static void rope(const Model *m, float *vec, int n_h, int pos)
{
    const ModelConfig *c = &m->c;
    int half = c->rope_dim / 2;
    for (int i = 0; i < half; i++) {
        float theta = (float)pos * m->inv_freq[i];
        float cs = cosf(theta), sn = sinf(theta);
        for (int h = 0; h < n_h; h++) {
            float *hv = vec + (size_t)h * c->head_dim;
            /* normal: pairs (2i, 2i+1); NeoX: pairs (i, i + rope_dim/2) */
            int a = c->rope_type == MODEL_ROPE_NORM ? 2 * i : i;
            int b = c->rope_type == MODEL_ROPE_NORM ? 2 * i + 1 : i + half;
            float x0 = hv[a], x1 = hv[b];
            hv[a] = x0 * cs - x1 * sn;
            hv[b] = x0 * sn + x1 * cs;
        }
    }
}

/* a . b over n floats; eight independent sums so the adds pipeline (the
 * compiler may not reorder a single float reduction). */
static float dot_f32(const float *a, const float *b, int n)
{
    float s[8] = { 0 };
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            s[k] += a[i + k] * b[i + k];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++)
        r += a[i] * b[i];
    return r;
}

/* y += a * x over n floats. */
static void axpy_f32(float *y, float a, const float *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

typedef struct AttnJob {
    Model *m;
    int layer, T, pos;
    atomic_int next;    /* next (token, head) item to take */
} AttnJob;

/* Causal attention of every (token, head) of the chunk over the cache; the
 * items are taken from a shared counter (threadpool_run_dynamic), each done
 * the same way whoever takes it. */
static void attention_part(void *arg, int ith, int nth)
{
    (void)nth;
    AttnJob *j = arg;
    Model *m = j->m;
    const ModelConfig *c = &m->c;
    int hd = c->head_dim, kvd = c->n_kv_heads * hd, qd = c->n_heads * hd;
    int group = c->n_heads / c->n_kv_heads;
    const float *kc = m->key_cache + (size_t)j->layer * c->n_ctx * kvd;
    const float *vc = m->value_cache + (size_t)j->layer * c->n_ctx * kvd;
    float *att = m->att + (size_t)ith * c->n_ctx;
    float scale = 1.0f / sqrtf((float)hd);
    int total = j->T * c->n_heads;
    for (int w; (w = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < total;) {
        int t = w / c->n_heads, h = w % c->n_heads;
        int kvh = h / group, last = j->pos + t;
        const float *q = m->q + (size_t)t * qd + (size_t)h * hd;
        float maxv = -INFINITY;
        for (int p = 0; p <= last; p++) {
            float s = dot_f32(q, kc + (size_t)p * kvd + (size_t)kvh * hd, hd) * scale;
            att[p] = s;
            if (s > maxv)
                maxv = s;
        }
        float sum = 0.0f;
        for (int p = 0; p <= last; p++) {
            att[p] = expf(att[p] - maxv);
            sum += att[p];
        }
        float *out = m->xb + (size_t)t * qd + (size_t)h * hd;
        memset(out, 0, (size_t)hd * sizeof *out);
        float inv = 1.0f / sum;
        for (int p = 0; p <= last; p++)
            axpy_f32(out, att[p] * inv, vc + (size_t)p * kvd + (size_t)kvh * hd, hd);
    }
}

static void silu_mul(float *g, const float *u, size_t n)
{
    for (size_t i = 0; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

/* One chunk of T tokens at positions pos..pos+T-1. */
static int forward_chunk(Model *m, const int *tokens, int T, int pos)
{
    const ModelConfig *c = &m->c;
    int dim = c->dim, hd = c->head_dim, qd = c->n_heads * hd, kvd = c->n_kv_heads * hd;
    for (int t = 0; t < T; t++)
        if (embedding_row(m, tokens[t], m->x + (size_t)t * dim) < 0)
            return -1;
    for (int l = 0; l < c->n_layers; l++) {
        const ModelLayer *L = &m->layers[l];
        for (int t = 0; t < T; t++)
            rmsnorm(m->xb + (size_t)t * dim, m->x + (size_t)t * dim, L->attn_norm->data, dim, c->rms_eps);
        const GgufTensor *qkv[3] = { L->wq, L->wk, L->wv };
        float *qkv_out[3] = { m->q, m->k, m->v };
        if (weights_matmul_many(m, qkv, qkv_out, 3, m->xb, T) < 0)
            return -1;
        add_bias(m->q, L->bq, T, qd);
        add_bias(m->k, L->bk, T, kvd);
        add_bias(m->v, L->bv, T, kvd);
        float *kc = m->key_cache + ((size_t)l * c->n_ctx + pos) * kvd;
        float *vc = m->value_cache + ((size_t)l * c->n_ctx + pos) * kvd;
        for (int t = 0; t < T; t++) {
            rope(m, m->q + (size_t)t * qd, c->n_heads, pos + t);
            rope(m, m->k + (size_t)t * kvd, c->n_kv_heads, pos + t);
        }
        memcpy(kc, m->k, (size_t)T * kvd * sizeof(float));
        memcpy(vc, m->v, (size_t)T * kvd * sizeof(float));
        AttnJob aj = { m, l, T, pos, 0 };
        threadpool_run_dynamic(m->pool, attention_part, &aj);
        /* attention output (in xb) through wo, into hb as scratch, then residual */
        if (weights_matmul(m, L->wo, m->xb, T, m->hb) < 0)
            return -1;
        add_bias(m->hb, L->bo, T, dim);
        for (size_t i = 0; i < (size_t)T * dim; i++)
            m->x[i] += m->hb[i];
        for (int t = 0; t < T; t++)
            rmsnorm(m->xb + (size_t)t * dim, m->x + (size_t)t * dim, L->ffn_norm->data, dim, c->rms_eps);
        const GgufTensor *gu[2] = { L->w_gate, L->w_up };
        float *gu_out[2] = { m->hb, m->hb2 };
        if (weights_matmul_many(m, gu, gu_out, 2, m->xb, T) < 0)
            return -1;
        silu_mul(m->hb, m->hb2, (size_t)T * c->hidden_dim);
        if (weights_matmul(m, L->w_down, m->hb, T, m->xb) < 0)
            return -1;
        for (size_t i = 0; i < (size_t)T * dim; i++)
            m->x[i] += m->xb[i];
    }
    return 0;
}

int model_forward(Model *m, const int *tokens, int n, int pos, char *err, size_t errlen)
{
    const ModelConfig *c = &m->c;
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
    int T = 0;
    for (int done = 0; done < n; done += T) {
        T = n - done < m->batch ? n - done : m->batch;
        if (forward_chunk(m, tokens + done, T, pos + done) < 0) {
            errmsg_set(err, errlen, "%s", m->errbuf);
            return -1;
        }
    }
    /* final norm and classifier for the last token only */
    float *last = m->x + (size_t)(T - 1) * c->dim;
    rmsnorm(m->xb, last, m->output_norm->data, c->dim, c->rms_eps);
    if (weights_matmul(m, m->output, m->xb, 1, m->logits) < 0) {
        errmsg_set(err, errlen, "%s", m->errbuf);
        return -1;
    }
    return 0;
}
