/* forward_ffn.c — the feed-forward branch of a block (see model_impl.h): a
 * dense gated FFN (separate or fused gate/up), or a mixture of experts whose
 * router picks experts per token (softmax then top-k, or top-k then softmax)
 * and whose chosen experts run batched over the tokens routed to each, summed
 * per token in the router's order as llama.cpp sums them. */
#include <math.h>
#include <string.h>

#include "engine/model_impl.h"

/* g = act(g, u) over n floats, the architecture's gated activation. */
static void activate(const Model *m, float *g, const float *u, size_t n)
{
    switch (m->c.arch->act) {
    case ARCH_ACT_SILU: ops_swiglu(g, u, n); break;
    case ARCH_ACT_GELU: ops_geglu(g, u, n); break;
    case ARCH_ACT_SWIGLU_OAI: ops_swiglu_oai(g, u, n, 1.702f, 7.0f); break;
    }
}

/* Dense: down(act(gate x, up x)); a fused up holds [gate | up] per row. */
static int ffn_dense(Model *m, const ModelLayer *L, int T)
{
    int hid = m->c.hidden_dim;
    if (L->w_gate) {
        const GgufTensor *w2[2] = { L->w_gate, L->w_up };
        float *o2[2] = { m->hb, m->hb2 };
        if (model_matmul_many(m, w2, o2, 2, m->xb, T) < 0)
            return -1;
        activate(m, m->hb, m->hb2, (size_t)T * hid);
    } else {
        if (model_matmul(m, L->w_up, m->xb, T, m->hb) < 0)
            return -1;
        for (int t = 0; t < T; t++) { /* act each row in place, then pack the rows to width hid */
            float *g = m->hb + (size_t)t * 2 * hid;
            activate(m, g, g + hid, (size_t)hid);
            memmove(m->hb + (size_t)t * hid, g, (size_t)hid * sizeof(float));
        }
    }
    return model_matmul(m, L->w_down, m->hb, T, m->xb2);
}

/* Indices of the k largest of x[0..n) into sel, largest first (ties: lower index). */
static void top_k(const float *x, int n, int k, int *sel)
{
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int i = 0; i < n; i++) {
            bool taken = false;
            for (int q = 0; q < j && !taken; q++)
                taken = sel[q] == i;
            if (!taken && (best < 0 || x[i] > x[best]))
                best = i;
        }
        sel[j] = best;
    }
}

/* The router: for each token the chosen experts and their weights. */
static int route(Model *m, const ModelLayer *L, int T)
{
    const ModelConfig *c = &m->c;
    int ne = c->n_expert, k = c->n_expert_used;
    if (model_matmul(m, L->router, m->xb, T, m->moe_logits) < 0)
        return -1;
    for (int t = 0; t < T; t++) {
        float *lg = m->moe_logits + (size_t)t * ne;
        int *sel = m->moe_sel + (size_t)t * k;
        float *w = m->moe_w + (size_t)t * k;
        if (L->router_b)
            for (int e = 0; e < ne; e++)
                lg[e] += ((const float *)L->router_b->data)[e];
        if (c->arch->gating == ARCH_GATING_SOFTMAX) {
            ops_softmax(lg, ne, -INFINITY);
            top_k(lg, ne, k, sel);
            for (int j = 0; j < k; j++)
                w[j] = lg[sel[j]];
        } else { /* top-k of the raw scores, softmax over those */
            top_k(lg, ne, k, sel);
            for (int j = 0; j < k; j++)
                w[j] = lg[sel[j]];
            ops_softmax(w, k, -INFINITY);
        }
        if (c->arch->moe_norm_weights) {
            float sum = 0.0f;
            for (int j = 0; j < k; j++)
                sum += w[j];
            if (sum < 6.103515625e-5f) /* llama.cpp's clamp: the smallest normal fp16 */
                sum = 6.103515625e-5f;
            for (int j = 0; j < k; j++)
                w[j] /= sum;
        }
    }
    return 0;
}

static void add_expert_bias(float *rows, const GgufTensor *b, int e, int cnt, int n)
{
    if (!b)
        return;
    const float *bias = (const float *)b->data + (size_t)e * n;
    for (int r = 0; r < cnt; r++)
        for (int i = 0; i < n; i++)
            rows[(size_t)r * n + i] += bias[i];
}

/* Mixture of experts: each expert runs once over the rows routed to it; the
 * weighted outputs land in moe_out by (token, slot) and are summed in slot order. */
static int ffn_experts(Model *m, const ModelLayer *L, int T)
{
    const ModelConfig *c = &m->c;
    int k = c->n_expert_used, dim = c->dim, eff = c->expert_ff;
    if (route(m, L, T) < 0)
        return -1;
    for (int e = 0; e < c->n_expert; e++) {
        int cnt = 0;
        for (int t = 0; t < T; t++)
            for (int j = 0; j < k; j++)
                if (m->moe_sel[(size_t)t * k + j] == e) {
                    memcpy(m->moe_in + (size_t)cnt * dim, m->xb + (size_t)t * dim, (size_t)dim * sizeof(float));
                    m->moe_rows[cnt++] = t * k + j;
                }
        if (cnt == 0)
            continue;
        if (model_matmul_expert(m, L->exp_gate, e, m->moe_in, cnt, m->hb) < 0 ||
            model_matmul_expert(m, L->exp_up, e, m->moe_in, cnt, m->hb2) < 0)
            return -1;
        add_expert_bias(m->hb, L->exp_gate_b, e, cnt, eff);
        add_expert_bias(m->hb2, L->exp_up_b, e, cnt, eff);
        activate(m, m->hb, m->hb2, (size_t)cnt * eff);
        if (model_matmul_expert(m, L->exp_down, e, m->hb, cnt, m->xb2) < 0)
            return -1;
        add_expert_bias(m->xb2, L->exp_down_b, e, cnt, dim);
        for (int r = 0; r < cnt; r++) {
            int slot = m->moe_rows[r];
            float w = m->moe_w[slot];
            float *dst = m->moe_out + (size_t)slot * dim;
            const float *src = m->xb2 + (size_t)r * dim;
            for (int i = 0; i < dim; i++)
                dst[i] = src[i] * w;
        }
    }
    for (int t = 0; t < T; t++) {
        float *out = m->xb2 + (size_t)t * dim;
        memcpy(out, m->moe_out + (size_t)t * k * dim, (size_t)dim * sizeof(float));
        for (int j = 1; j < k; j++)
            ops_axpy(out, 1.0f, m->moe_out + ((size_t)t * k + j) * dim, dim);
    }
    return 0;
}

int model_ffn(Model *m, const ModelLayer *L, int T)
{
    return L->router ? ffn_experts(m, L, T) : ffn_dense(m, L, T);
}
