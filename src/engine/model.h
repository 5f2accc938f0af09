/* model.h — a decoder-only transformer over a validated GGUF file: its
 * hyperparameters, its weights as typed views into the mapping, its KV cache,
 * and the CPU forward pass (batched prefill and one-token decode).
 *
 * What each architecture's blocks are made of comes from the table in
 * arch.h (llama, qwen2, qwen3, qwen3moe, gemma2, gemma3, phi3, olmo2,
 * gpt-oss): grouped-query attention, RoPE in llama.cpp's "normal" or NeoX
 * layout with linear, YaRN, Llama 3.1 rope_freqs and Phi-3 long/short
 * scaling, QK norms, post-norms, sliding-window layers, soft-capping,
 * attention sinks, dense or mixture-of-experts feed-forward. Every weight
 * product goes through matmul.h: on CPUs with panel kernels the matrices are
 * repacked once (a copy the size of the weights; the mapped pages are let
 * go), otherwise the row kernels read the mapped bytes. Not for tokenization,
 * sampling or threads of control (see engine.h). */
#ifndef VERSUS_MODEL_H
#define VERSUS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/arch.h"
#include "engine/gguf.h"

typedef struct ThreadPool ThreadPool;

typedef enum ModelRope { MODEL_ROPE_NORM, MODEL_ROPE_NEOX } ModelRope;
typedef enum ModelRopeScaling {
    MODEL_ROPE_SCALING_NONE, MODEL_ROPE_SCALING_LINEAR, MODEL_ROPE_SCALING_YARN, MODEL_ROPE_SCALING_LONGROPE,
} ModelRopeScaling;

/* Hyperparameters, read from {arch}.* metadata and the tensor shapes. */
typedef struct ModelConfig {
    const ArchInfo *arch;   /* what the blocks are made of (arch.h) */
    char arch_name[16];     /* general.architecture: "llama", "gemma3", ... */
    int n_vocab;            /* rows of token_embd */
    int n_ctx_train;        /* {arch}.context_length, tokens */
    int n_ctx;              /* KV cache size actually allocated, tokens */
    int dim;                /* {arch}.embedding_length */
    int n_layers;           /* {arch}.block_count */
    int n_heads;            /* {arch}.attention.head_count */
    int n_kv_heads;         /* {arch}.attention.head_count_kv (GQA), divides n_heads */
    int head_dim;           /* {arch}.attention.key_length, default dim / n_heads */
    int hidden_dim;         /* {arch}.feed_forward_length */
    int rope_dim;           /* {arch}.rope.dimension_count, rotated dims per head */
    ModelRope rope_type;
    ModelRopeScaling rope_scaling; /* {arch}.rope.scaling.type (default linear, as llama.cpp) */
    float rope_freq_base;   /* {arch}.rope.freq_base (default 10000) */
    float rope_freq_scale;  /* 1 / {arch}.rope.scaling.factor (linear or YaRN), else 1 */
    int rope_ctx_orig;      /* {arch}.rope.scaling.original_context_length, else context_length */
    float rope_freq_base_swa;  /* sliding-window layers' base ({arch}.rope.freq_base_swa) */
    float rope_freq_scale_swa; /* sliding-window layers' scale */
    float rms_eps;          /* {arch}.attention.layer_norm_rms_epsilon */
    bool tied_output;       /* no output.weight: logits use token_embd.weight */
    int n_swa;              /* sliding window, tokens (a key within it sees the n_swa latest); 0 = none */
    float attn_scale;       /* attention scores are (q . k) * attn_scale */
    float attn_softcap;     /* {arch}.attn_logit_softcapping, 0 = none */
    float final_softcap;    /* {arch}.final_logit_softcapping, 0 = none */
    float embed_scale;      /* input embeddings are multiplied by this (sqrt(dim) for Gemma, else 1) */
    int n_expert;           /* {arch}.expert_count; 0 = dense feed-forward */
    int n_expert_used;      /* {arch}.expert_used_count: experts per token */
    int expert_ff;          /* {arch}.expert_feed_forward_length: hidden size of one expert */
} ModelConfig;

/* One transformer block's tensors (views into the GGUF mapping). Biases are
 * NULL when absent. Matrices are ggml [n_in, n_out]: n_out rows of n_in. */
typedef struct ModelLayer {
    const GgufTensor *attn_norm;              /* [dim] F32, NULL without pre-norms (OLMo 2) */
    const GgufTensor *wqkv, *bqkv;            /* fused [dim, q_dim + 2 kv_dim] (Phi-3) or NULL */
    const GgufTensor *wq, *wk, *wv, *wo;      /* [dim, q_dim], [dim, kv_dim] x2, [q_dim, dim]; q/k/v NULL when fused */
    const GgufTensor *bq, *bk, *bv, *bo;      /* [n_out] F32 or NULL */
    const GgufTensor *q_norm, *k_norm;        /* [head_dim] or [q_dim]/[kv_dim] F32, or NULL */
    const GgufTensor *attn_post_norm;         /* [dim] F32 or NULL */
    const GgufTensor *sinks;                  /* [n_heads] F32 or NULL */
    const GgufTensor *ffn_norm;               /* [dim] F32, NULL without pre-norms */
    const GgufTensor *ffn_post_norm;          /* [dim] F32 or NULL */
    const GgufTensor *w_gate, *w_up, *w_down; /* [dim, hidden] x2, [hidden, dim]; w_gate NULL:
                                                 w_up is [dim, 2*hidden], gate half first (Phi-3) */
    const GgufTensor *router, *router_b;      /* MoE: [dim, n_expert], [n_expert] or NULL */
    const GgufTensor *exp_gate, *exp_up, *exp_down;       /* [dim, expert_ff, n_expert] x2, [expert_ff, dim, n_expert] */
    const GgufTensor *exp_gate_b, *exp_up_b, *exp_down_b; /* [expert_ff, n_expert] x2, [dim, n_expert] or NULL */
    bool swa;                                 /* attends only to the last n_swa positions */
} ModelLayer;

typedef struct Model Model;

typedef struct ModelOptions {
    int n_ctx;          /* KV cache tokens; <= 0 = min(context_length, 4096); clamped to context_length */
    int batch;          /* prefill chunk, tokens; <= 0 = 64 */
    ThreadPool *pool;   /* borrowed, may be NULL (single-threaded); must outlive the model */
    int kv_type;        /* KvType of the KV cache (kvcache.h); 0 = the default (F16) */
    bool kv_type_set;   /* kv_type was chosen (else the default) */
} ModelOptions;

/* Reads the hyperparameters and checks every tensor's presence, shape and
 * type; allocates the KV cache and scratch. g is borrowed and must outlive the
 * model. NULL with a message naming the problem in err. */
Model *model_new(const GgufFile *g, const ModelOptions *opt, char *err, size_t errlen);
void model_free(Model *m);

const ModelConfig *model_config(const Model *m);
/* What every backend checks before a forward pass: n >= 1 tokens at pos fit
 * the context and each id is in the vocabulary. 0, or -1 with err saying
 * which. */
int model_check_input(const ModelConfig *c, const int *tokens, int n, int pos, char *err, size_t errlen);
const ModelLayer *model_layer(const Model *m, int layer);

/* Runs n tokens at positions pos .. pos+n-1 through the network (in chunks of
 * the batch size, each chunk as matrix-matrix products), appends their keys and
 * values to the cache and leaves the logits of the last token in
 * model_logits(). Earlier positions must already be in the cache. Returns 0;
 * -1 with err when pos + n exceeds the cache, n < 1, or a token id is out of
 * range (nothing is computed then). */
int model_forward(Model *m, const int *tokens, int n, int pos, char *err, size_t errlen);
/* Like model_forward, and also writes the logits of every one of the n
 * tokens (the scores of the token that follows each) into all, (n, n_vocab),
 * caller-owned. Used to compare engines position by position. */
int model_forward_all(Model *m, const int *tokens, int n, int pos, float *all, char *err, size_t errlen);
/* Prepares every weight matrix for the CPU kernels now (repacking them when
 * the CPU has panel kernels and memory allows; see matmul.h) instead of at
 * its first use in model_forward. Call it when the CPU will run the model, so
 * that loading, not the first token, pays for it. Returns 0, or -1 with err
 * (out of memory). */
int model_prepare(Model *m, char *err, size_t errlen);
/* True when some weight matrix has been repacked (rather than read in place). */
bool model_repacked(const Model *m);
/* Logits of the last token forwarded: (n_vocab), owned by the model; also
 * writable (samplers may modify them in place). */
float *model_logits(Model *m);
/* RoPE angle per position of each rotated pair of the full-attention layers,
 * (rope_dim / 2): what a kernel computing theta = pos * f[i] needs. NULL
 * when the rotation is not that simple (YaRN). */
const float *model_rope_inv_freq(const Model *m);

/* Bytes of weights read to produce one token in decode (every matrix of every
 * layer, norms, output matrix, one embedding row): the memory-traffic bound. */
uint64_t model_weight_bytes(const Model *m);
/* Bytes allocated for the KV cache (both K and V, all layers). */
uint64_t model_kv_bytes(const Model *m);
/* The KV cache's element type: "f32", "f16" or "q8_0". */
const char *model_kv_type(const Model *m);
/* Dominant weight type of the layer matrices ("Q4_1", "F32", ...). */
const char *model_weight_type(const Model *m);

#endif
