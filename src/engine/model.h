/* model.h — a decoder-only transformer over a validated GGUF file: its
 * hyperparameters, its weights as typed views into the mapping, its KV cache,
 * and the CPU forward pass (batched prefill and one-token decode).
 *
 * Supported: architectures `llama` (Llama 2/3.x, Mistral, TinyLlama, SmolLM,
 * llama2.c stories) and `qwen2` (q/k/v biases), grouped-query attention,
 * RoPE in llama.cpp's "normal" layout (pairs 2i, 2i+1: llama) and NeoX layout
 * (pairs i, i+n/2: qwen2), linear RoPE scaling and Llama 3.1 rope_freqs,
 * RMSNorm, SwiGLU, tied or untied output. Every weight product goes through
 * matmul.h: on CPUs with panel kernels the matrices are repacked once (a copy
 * the size of the weights; the mapped pages are let go), otherwise the row
 * kernels read the mapped bytes. Not for tokenization, sampling or threads of
 * control (see engine.h). */
#ifndef VERSUS_MODEL_H
#define VERSUS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"

typedef struct ThreadPool ThreadPool;

typedef enum ModelArch { MODEL_ARCH_LLAMA, MODEL_ARCH_QWEN2 } ModelArch;
typedef enum ModelRope { MODEL_ROPE_NORM, MODEL_ROPE_NEOX } ModelRope;

/* Hyperparameters, read from {arch}.* metadata and the tensor shapes. */
typedef struct ModelConfig {
    ModelArch arch;
    char arch_name[16];     /* "llama" | "qwen2" */
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
    float rope_freq_base;   /* {arch}.rope.freq_base (default 10000) */
    float rope_freq_scale;  /* 1 / {arch}.rope.scaling.factor for linear scaling, else 1 */
    float rms_eps;          /* {arch}.attention.layer_norm_rms_epsilon */
    bool tied_output;       /* no output.weight: logits use token_embd.weight */
} ModelConfig;

/* One transformer block's tensors (views into the GGUF mapping). Biases are
 * NULL when absent. Matrices are ggml [n_in, n_out]: n_out rows of n_in. */
typedef struct ModelLayer {
    const GgufTensor *attn_norm;              /* [dim] F32 */
    const GgufTensor *wq, *wk, *wv, *wo;      /* [dim, n_heads*head_dim], [dim, kv_dim] x2, [n_heads*head_dim, dim] */
    const GgufTensor *bq, *bk, *bv, *bo;      /* [n_out] F32 or NULL */
    const GgufTensor *ffn_norm;               /* [dim] F32 */
    const GgufTensor *w_gate, *w_up, *w_down; /* [dim, hidden] x2, [hidden, dim] */
} ModelLayer;

typedef struct Model Model;

typedef struct ModelOptions {
    int n_ctx;          /* KV cache tokens; <= 0 = min(context_length, 4096); clamped to context_length */
    int batch;          /* prefill chunk, tokens; <= 0 = 64 */
    ThreadPool *pool;   /* borrowed, may be NULL (single-threaded); must outlive the model */
} ModelOptions;

/* Reads the hyperparameters and checks every tensor's presence, shape and
 * type; allocates the KV cache and scratch. g is borrowed and must outlive the
 * model. NULL with a message naming the problem in err. */
Model *model_new(const GgufFile *g, const ModelOptions *opt, char *err, size_t errlen);
void model_free(Model *m);

const ModelConfig *model_config(const Model *m);
const ModelLayer *model_layer(const Model *m, int layer);

/* Runs n tokens at positions pos .. pos+n-1 through the network (in chunks of
 * the batch size, each chunk as matrix-matrix products), appends their keys and
 * values to the cache and leaves the logits of the last token in
 * model_logits(). Earlier positions must already be in the cache. Returns 0;
 * -1 with err when pos + n exceeds the cache, n < 1, or a token id is out of
 * range (nothing is computed then). */
int model_forward(Model *m, const int *tokens, int n, int pos, char *err, size_t errlen);
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

/* Bytes of weights read to produce one token in decode (every matrix of every
 * layer, norms, output matrix, one embedding row): the memory-traffic bound. */
uint64_t model_weight_bytes(const Model *m);
/* Bytes allocated for the KV cache (both K and V, all layers). */
uint64_t model_kv_bytes(const Model *m);
/* Dominant weight type of the layer matrices ("Q4_1", "F32", ...). */
const char *model_weight_type(const Model *m);

#endif
