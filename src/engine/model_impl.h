/* model_impl.h — the inside of a Model, shared by the files that load it
 * (model.c) and run it (forward.c, forward_ffn.c); nothing outside the engine's
 * model files includes this. */
#ifndef VERSUS_MODEL_IMPL_H
#define VERSUS_MODEL_IMPL_H

#include "engine/kvcache.h"
#include "engine/matmul.h"
#include "engine/model.h"
#include "engine/ops.h"

struct Model {
    const GgufFile *g;
    ModelConfig c;
    ThreadPool *pool;                 /* borrowed */
    int batch;                        /* prefill chunk, tokens */
    int n_threads;
    const GgufTensor *token_embd;     /* [dim, n_vocab] */
    const GgufTensor *output_norm;    /* [dim] */
    const GgufTensor *output;         /* [dim, n_vocab] (token_embd when tied) */
    ModelLayer *layers;               /* (n_layers) */
    MatmulWeights **prep;             /* (gguf tensor count) matrices prepared for matmul, by tensor index */
    bool repack;                      /* prepare by repacking (there is memory for a copy of the weights) */
    OpsRope rope;                     /* full-attention layers */
    OpsRope rope_swa;                 /* sliding-window layers */
    float inv_freq[OPS_ROPE_MAX_DIMS / 2]; /* rope's angle per position, for the CUDA kernels */
    bool inv_freq_ok;                 /* false when YaRN makes the angle not linear in pos */
    KvCache *kv;                      /* keys and values of every layer (kvcache.h) */
    /* scratch, sized for one chunk of `batch` tokens */
    float *x;                         /* (batch, dim) residual stream */
    float *xb;                        /* (batch, max(dim, q_dim)) normed input / attention output */
    float *xb2;                       /* (batch, dim) a branch's output before the residual add */
    float *q;                         /* (batch, q_dim) */
    float *k;                         /* (batch, kv_dim) */
    float *v;                         /* (batch, kv_dim) */
    float *qkv;                       /* (batch, q_dim + 2 kv_dim) fused projection, or NULL */
    float *hb;                        /* (batch, ffn width) gate (and fused up) */
    float *hb2;                       /* (batch, ffn width) up */
    float *moe_logits;                /* (batch, n_expert) router scores, or NULL when dense */
    int *moe_sel;                     /* (batch, n_expert_used) chosen experts, best first */
    float *moe_w;                     /* (batch, n_expert_used) their weights */
    float *moe_in;                    /* (batch, dim) rows routed to one expert */
    float *moe_out;                   /* (batch, n_expert_used, dim) each chosen expert's output */
    int *moe_rows;                    /* (batch) which (token, slot) each gathered row is */
    float *logits;                    /* (n_vocab) */
    char errbuf[256];                 /* what failed inside the forward pass */
};

/* out[t][r] = sum_i w[r][i] * x[t][i] for T rows of x; -1 with m->errbuf. */
int model_matmul(Model *m, const GgufTensor *w, const float *x, int T, float *out);
/* The same for n (<= MATMUL_MAX_MANY) matrices of one input width, as one job. */
int model_matmul_many(Model *m, const GgufTensor *const *w, float *const *out, int n, const float *x, int T);
/* Matrix w prepared for matmul (model.c: repacked on first use unless
 * model_prepare did it), or NULL with err. */
const MatmulWeights *model_prepared(Model *m, const GgufTensor *w, char *err, size_t errlen);
/* Expert e's slice of a 3-D expert tensor times T rows of x. */
int model_matmul_expert(Model *m, const GgufTensor *w, int e, const float *x, int T, float *out);
/* The feed-forward branch of layer l on T rows of m->xb (normed input), result in m->xb2. */
int model_ffn(Model *m, const ModelLayer *L, int T);

#endif
