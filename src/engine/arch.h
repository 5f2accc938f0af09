/* arch.h — the table of model architectures the engine runs: for each GGUF
 * `general.architecture`, what its blocks are made of (which norms and where,
 * rotary layout, activation, dense or mixture-of-experts feed-forward,
 * sliding-window layers, soft-capping, attention sinks). model.c loads tensors
 * and the forward pass computes from these descriptions; nothing else in the
 * engine asks which architecture it runs. Not for hyperparameters of one
 * file (ModelConfig) or for chat formats (chat_template.h). */
#ifndef VERSUS_ARCH_H
#define VERSUS_ARCH_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ArchAct {
    ARCH_ACT_SILU,       /* silu(gate) * up */
    ARCH_ACT_GELU,       /* gelu_tanh(gate) * up */
    ARCH_ACT_SWIGLU_OAI, /* gpt-oss: clamped, alpha 1.702, limit 7, (up + 1) */
} ArchAct;

typedef enum ArchGating {
    ARCH_GATING_SOFTMAX,        /* softmax over all experts, then top-k (Mixtral, Qwen3-MoE) */
    ARCH_GATING_SOFTMAX_WEIGHT, /* top-k of the raw router logits, softmax over those (gpt-oss) */
} ArchGating;

typedef enum ArchQkNorm {
    ARCH_QK_NORM_NONE,
    ARCH_QK_NORM_HEAD,  /* attn_q_norm/attn_k_norm [head_dim], applied per head (Qwen3, Gemma 3) */
    ARCH_QK_NORM_FULL,  /* [n_heads*head_dim] / [n_kv*head_dim] over the whole projection (OLMo 2) */
} ArchQkNorm;

typedef struct ArchInfo {
    const char *name;          /* general.architecture */
    const char *family;        /* what users know it as, for `versus models` */
    bool neox;                 /* rotary pairs (i, i+d/2); else (2i, 2i+1) */
    bool pre_norms;            /* attn_norm before attention and a norm before the FFN */
    bool post_norms;           /* post_attention_norm / post_ffw_norm on each branch's output (Gemma, OLMo 2) */
    const char *ffn_norm;      /* tensor suffix of the norm before the FFN ("ffn_norm";
                                  gpt-oss stores it as "post_attention_norm") */
    ArchQkNorm qk_norm;
    bool embed_scale;          /* input embeddings times sqrt(dim) (Gemma) */
    ArchAct act;
    bool moe;                  /* feed-forward is a mixture of experts (else dense; llama
                                  also becomes MoE when its file has experts: Mixtral) */
    ArchGating gating;
    bool moe_norm_weights;     /* the chosen experts' weights are renormalized to sum 1 */
    bool sinks;                /* attn_sinks per head (gpt-oss) */
    bool out_bias;             /* attn_output.bias required (gpt-oss) */
    bool output_required;      /* no tying: output.weight must exist */
    bool honours_swa;          /* reads {arch}.attention.sliding_window (else ignored, as llama.cpp does) */
    int swa_period;            /* default layer pattern when sliding: in each run of `period`
                                  layers all but the last slide; 0 = every layer */
    int swa_default_window;    /* window when the key is absent (Gemma 2: 4096), 0 = no SWA */
    bool swa_rope_global;      /* sliding layers default to the global rope base and scale
                                  (else base 10000, scale 1: Gemma 3) */
    bool swa_plain_rope;       /* sliding layers rotate without frequency scaling (OLMo 3) */
    bool attn_softcap;         /* {arch}.attn_logit_softcapping on attention scores (Gemma 2) */
    bool attn_scale_by_dim;    /* query scale 1/sqrt(dim/n_heads) for the largest model (Gemma 27B) */
    int attn_scale_layers;     /* ...identified, as llama.cpp does, by its layer count */
    bool cuda;                 /* the CUDA backend runs it */
} ArchInfo;

/* The description of `name` (length len, not NUL-terminated), or NULL. */
const ArchInfo *arch_find(const char *name, size_t len);
/* Every supported architecture name, comma-separated ("llama, qwen2, ..."),
 * into buf (truncated to n bytes, always NUL-terminated when n > 0). */
void arch_names(char *buf, size_t n);
/* The i-th entry of the table, or NULL past the end (for listings). */
const ArchInfo *arch_at(int i);

#endif
