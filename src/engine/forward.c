/* forward.c — the CPU forward pass of a loaded model (see model.h): embedding,
 * then per layer an attention branch and a feed-forward branch (forward_ffn.c),
 * each with the norms its architecture's table entry (arch.h) names, then the
 * output norm and classifier. In the spirit of llama2.c's run.c: one straight
 * function per step, batched over the tokens of a prefill chunk; elementwise
 * steps are ops.h, weight products matmul.h on the matrices model.c prepared
 * (repacked for the SIMD kernels, or the mapped bytes). */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "engine/matmul.h"
#include "engine/model_impl.h"
#include "engine/quant.h"
#include "engine/threadpool.h"
#include "util/errmsg.h"

/* ---- weight products (the only place that touches matrix bytes) ------------------ */

int model_matmul_many(Model *m, const GgufTensor *const *w, float *const *out, int n, const float *x, int T)
{
    const MatmulWeights *pw[MATMUL_MAX_MANY];
    for (int i = 0; i < n; i++)
        if (!(pw[i] = model_prepared(m, w[i], m->errbuf, sizeof m->errbuf)))
            return -1;
    return matmul_many(m->pool, pw, out, n, x, T, m->errbuf, sizeof m->errbuf);
}

int model_matmul(Model *m, const GgufTensor *w, const float *x, int T, float *out)
{
    return model_matmul_many(m, &w, &out, 1, x, T);
}

int model_matmul_expert(Model *m, const GgufTensor *w, int e, const float *x, int T, float *out)
{
    size_t slice = quant_row_size(w->type, (int64_t)w->ne[0]) * (size_t)w->ne[1];
    return matmul(m->pool, w->type, (const char *)w->data + (size_t)e * slice, (int64_t)w->ne[1],
                  (int64_t)w->ne[0], x, T, out, m->errbuf, sizeof m->errbuf);
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

/* T rows of n floats: out = rmsnorm(in) * w, or a copy when there is no norm. */
static void norm_rows(const Model *m, float *out, const float *in, const GgufTensor *w, int T, int n)
{
    for (int t = 0; t < T; t++) {
        if (w)
            ops_rmsnorm(out + (size_t)t * n, in + (size_t)t * n, w->data, n, m->c.rms_eps);
        else
            memcpy(out + (size_t)t * n, in + (size_t)t * n, (size_t)n * sizeof(float));
    }
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

/* ---- attention ----------------------------------------------------------------------- */

/* q, k, v of T rows of m->xb: one fused product split three ways, or three. */
static int project_qkv(Model *m, const ModelLayer *L, int T)
{
    const ModelConfig *c = &m->c;
    int qd = c->n_heads * c->head_dim, kvd = c->n_kv_heads * c->head_dim, w = qd + 2 * kvd;
    if (L->wqkv) {
        if (model_matmul(m, L->wqkv, m->xb, T, m->qkv) < 0)
            return -1;
        add_bias(m->qkv, L->bqkv, T, w);
        for (int t = 0; t < T; t++) {
            const float *r = m->qkv + (size_t)t * w;
            memcpy(m->q + (size_t)t * qd, r, (size_t)qd * sizeof(float));
            memcpy(m->k + (size_t)t * kvd, r + qd, (size_t)kvd * sizeof(float));
            memcpy(m->v + (size_t)t * kvd, r + qd + kvd, (size_t)kvd * sizeof(float));
        }
    } else {
        const GgufTensor *w3[3] = { L->wq, L->wk, L->wv };
        float *o3[3] = { m->q, m->k, m->v };
        if (model_matmul_many(m, w3, o3, 3, m->xb, T) < 0)
            return -1;
    }
    add_bias(m->q, L->bq, T, qd);
    add_bias(m->k, L->bk, T, kvd);
    add_bias(m->v, L->bv, T, kvd);
    return 0;
}

/* QK norms: per head over head_dim (Qwen 3, Gemma 3) or over the whole
 * projection (OLMo 2), weighted, in place. */
static void qk_norm(const Model *m, const ModelLayer *L, int T)
{
    const ModelConfig *c = &m->c;
    if (!L->q_norm)
        return;
    int hd = c->head_dim, qd = c->n_heads * hd, kvd = c->n_kv_heads * hd;
    bool per_head = c->arch->qk_norm == ARCH_QK_NORM_HEAD;
    int qn = per_head ? hd : qd, kn = per_head ? hd : kvd;
    norm_rows(m, m->q, m->q, L->q_norm, T * (qd / qn), qn);
    norm_rows(m, m->k, m->k, L->k_norm, T * (kvd / kn), kn);
}

/* The attention branch of layer l for T tokens at pos..: from the residual
 * stream m->x, result (after the output projection and any post-norm) in m->xb2. */
static int attention(Model *m, int l, int T, int pos)
{
    const ModelConfig *c = &m->c;
    const ModelLayer *L = &m->layers[l];
    int dim = c->dim, hd = c->head_dim, qd = c->n_heads * hd, kvd = c->n_kv_heads * hd;
    norm_rows(m, m->xb, m->x, L->attn_norm, T, dim);
    if (project_qkv(m, L, T) < 0)
        return -1;
    qk_norm(m, L, T);
    const OpsRope *rope = L->swa ? &m->rope_swa : &m->rope;
    for (int t = 0; t < T; t++) {
        ops_rope(rope, m->q + (size_t)t * qd, c->n_heads, hd, pos + t);
        ops_rope(rope, m->k + (size_t)t * kvd, c->n_kv_heads, hd, pos + t);
    }
    kv_cache_store(m->kv, l, pos, T, m->k, m->v);
    KvAttn ka = { .n_heads = c->n_heads, .scale = c->attn_scale, .softcap = c->attn_softcap,
                  .sinks = L->sinks ? L->sinks->data : NULL, .window = L->swa ? c->n_swa : 0 };
    if (kv_cache_attend(m->kv, m->pool, l, &ka, m->q, T, pos, m->xb, m->errbuf, sizeof m->errbuf) < 0)
        return -1;
    if (model_matmul(m, L->wo, m->xb, T, m->xb2) < 0)
        return -1;
    add_bias(m->xb2, L->bo, T, dim);
    if (L->attn_post_norm)
        norm_rows(m, m->xb2, m->xb2, L->attn_post_norm, T, dim);
    return 0;
}

/* The feed-forward branch: norm, FFN (dense or experts), post-norm, into m->xb2. */
static int feed_forward(Model *m, int l, int T)
{
    const ModelLayer *L = &m->layers[l];
    int dim = m->c.dim;
    norm_rows(m, m->xb, m->x, L->ffn_norm, T, dim);
    if (model_ffn(m, L, T) < 0)
        return -1;
    if (L->ffn_post_norm)
        norm_rows(m, m->xb2, m->xb2, L->ffn_post_norm, T, dim);
    return 0;
}

static void residual_add(Model *m, int T)
{
    for (size_t i = 0; i < (size_t)T * m->c.dim; i++)
        m->x[i] += m->xb2[i];
}

/* One chunk of T tokens at positions pos..pos+T-1. */
static int forward_chunk(Model *m, const int *tokens, int T, int pos)
{
    const ModelConfig *c = &m->c;
    int dim = c->dim;
    for (int t = 0; t < T; t++) {
        float *row = m->x + (size_t)t * dim;
        if (embedding_row(m, tokens[t], row) < 0)
            return -1;
        if (c->embed_scale != 1.0f)
            for (int i = 0; i < dim; i++)
                row[i] *= c->embed_scale;
    }
    for (int l = 0; l < c->n_layers; l++) {
        if (attention(m, l, T, pos) < 0)
            return -1;
        residual_add(m, T);
        if (feed_forward(m, l, T) < 0)
            return -1;
        residual_add(m, T);
    }
    return 0;
}

/* Final norm and classifier for T rows of the residual stream starting at
 * row `from`, logits into out (T, n_vocab). */
static int classify(Model *m, int from, int T, float *out)
{
    const ModelConfig *c = &m->c;
    norm_rows(m, m->xb, m->x + (size_t)from * c->dim, m->output_norm, T, c->dim);
    if (model_matmul(m, m->output, m->xb, T, out) < 0)
        return -1;
    if (c->final_softcap > 0)
        ops_softcap(out, (size_t)T * c->n_vocab, c->final_softcap);
    return 0;
}

static int forward(Model *m, const int *tokens, int n, int pos, float *all, char *err, size_t errlen)
{
    const ModelConfig *c = &m->c;
    if (model_check_input(c, tokens, n, pos, err, errlen) < 0)
        return -1;
    int T = 0;
    for (int done = 0; done < n; done += T) {
        T = n - done < m->batch ? n - done : m->batch;
        if (forward_chunk(m, tokens + done, T, pos + done) < 0 ||
            (all && classify(m, 0, T, all + (size_t)done * c->n_vocab) < 0)) {
            errmsg_set(err, errlen, "%s", m->errbuf);
            return -1;
        }
    }
    if (all) {
        memcpy(m->logits, all + (size_t)(n - 1) * c->n_vocab, (size_t)c->n_vocab * sizeof(float));
        return 0;
    }
    if (classify(m, T - 1, 1, m->logits) < 0) {
        errmsg_set(err, errlen, "%s", m->errbuf);
        return -1;
    }
    return 0;
}

int model_forward(Model *m, const int *tokens, int n, int pos, char *err, size_t errlen)
{
    return forward(m, tokens, n, pos, NULL, err, errlen);
}

int model_forward_all(Model *m, const int *tokens, int n, int pos, float *all, char *err, size_t errlen)
{
    return forward(m, tokens, n, pos, all, err, errlen);
}
