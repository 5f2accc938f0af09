/* archgen.h — small random-weight GGUF models of every architecture the
 * engine runs, byte-for-byte reproducible from (spec, weight type, seed): the
 * inputs of the llama.cpp agreement fixtures. tests/tools/make-reference.sh
 * writes each model to a file with the versus-archgen tool and has llama.cpp
 * score it; the agreement test rebuilds the same bytes in memory and checks
 * their sha256 against the fixture before comparing logits, so both engines
 * provably read the same file.
 *
 * The specs describe the files as llama.cpp's loader expects them (tensor
 * names, shapes, metadata keys), written independently of the engine's own
 * architecture table so that a misreading on either side shows. Weights are
 * uniform values from a splitmix64 stream per tensor, quantized with the
 * engine's reference quantizers (plain C, deterministic). Not for benchmarks
 * (bench/mkmodel.c makes large ones) or for real tokenizers (the vocabulary is
 * a synthetic SentencePiece one that both engines load). */
#ifndef VERSUS_TESTS_ARCHGEN_H
#define VERSUS_TESTS_ARCHGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"

/* One random model shape: an architecture and the features it exercises. */
typedef struct ArchGenSpec {
    const char *name;        /* fixture name, e.g. "gemma3" */
    const char *arch;        /* general.architecture */
    int n_layers;
    int n_expert, n_expert_used; /* 0: dense */
    int swa;                 /* {arch}.attention.sliding_window, 0 = absent */
    int swa_pattern;         /* 0: key absent; > 0: uint32 period; -1: a bool array, every layer slides */
    float freq_base;
    float attn_softcap, final_softcap; /* 0 = key absent */
    float rope_linear;       /* rope.scaling.type linear with this factor; 0 = none */
    bool tied;               /* no output.weight */
    bool qkv_bias;           /* attn_q/k/v.bias */
    bool out_bias;           /* attn_output.bias */
    bool qk_norm_head;       /* attn_q_norm/attn_k_norm [head_dim] */
    bool qk_norm_full;       /* attn_q_norm [q_dim], attn_k_norm [kv_dim] (OLMo 2) */
    bool no_pre_norms;       /* no attn_norm / ffn_norm (OLMo 2) */
    bool post_norms;         /* post_attention_norm, post_ffw_norm */
    bool ffn_norm_as_post_attention; /* the FFN's norm is named post_attention_norm (gpt-oss) */
    bool fused_qkv;          /* attn_qkv instead of q/k/v */
    bool fused_up;           /* ffn_up [dim, 2*ff], no ffn_gate (Phi-3) */
    bool rope_freqs;         /* rope_freqs.weight (Llama 3.1) */
    bool rope_factors;       /* rope_factors_long/short + original context + attn_factor (Phi-3) */
    bool sinks;              /* attn_sinks (gpt-oss) */
    bool expert_biases;      /* router and expert biases (gpt-oss) */
    bool yarn;               /* rope.scaling.type yarn, factor 4, original context 1024 (gpt-oss) */
    bool experts_mxfp4;      /* expert matrices in MXFP4 whatever the type asked (gpt-oss's files) */
} ArchGenSpec;

/* The table of specs (NULL-name terminated) and lookup by name. */
extern const ArchGenSpec archgen_specs[];
const ArchGenSpec *archgen_find(const char *name);

/* Builds the GGUF image of spec with matrices (and the embedding) in type t,
 * values from seed: *data malloc'ed (free it), *size bytes. 0, or -1 with err. */
int archgen_build(const ArchGenSpec *spec, GgmlType t, uint64_t seed, void **data, size_t *size, char *err,
                  size_t errlen);

/* Model sizes shared by every spec (and the fixture maker). */
#define ARCHGEN_DIM 256
#define ARCHGEN_HEADS 4
#define ARCHGEN_KV_HEADS 2
#define ARCHGEN_HEAD_DIM 64
#define ARCHGEN_FF 256
#define ARCHGEN_VOCAB 512
#define ARCHGEN_CTX 4096

#endif
