/* engine_ref.h — test support shared by the engine's test programs
 * (test_model, test_llama3_chat): synthetic decoder models whose tensors are
 * filled with seeded random values of chosen ggml types, kept both as the
 * stored bytes and as their exact dequantized floats, written as GGUF through
 * engine/gguf_write.h; and a plain reference forward pass over those floats in
 * double precision (one token at a time, whole-sequence attention, no
 * batching, no threads, no quantized activations) to check the engine's
 * logits against. Elementwise steps (rmsnorm, RoPE) are the engine's own
 * (engine/ops.h, the one CPU implementation); the products, attention and
 * activations are computed here in double.
 *
 * Test code: failures are Criterion assertions, not returned errors. Not for
 * tokenizer metadata (each test writes its own) or the engine's own code. */
#ifndef VERSUS_TESTS_ENGINE_REF_H
#define VERSUS_TESTS_ENGINE_REF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"
#include "engine/gguf_write.h"

/* Picks the stored type of one tensor ("blk.1.attn_v.weight" has layer 1,
 * the others layer -1); dflt is what the spec's plain fields say. */
typedef GgmlType (*RefTypeFn)(const char *name, int layer, int n_layers, GgmlType dflt);

/* Shape and types of a synthetic model. */
typedef struct RefSpec {
    const char *arch;   /* "llama" (normal RoPE) | "qwen2" (NeoX RoPE) */
    int dim, hidden, n_layers, n_heads, n_kv, vocab, ctx;
    bool tied;          /* no output.weight: logits from token_embd */
    bool biases;        /* attn_q/k/v biases (qwen2) */
    bool rope_freqs;    /* a rope_freqs.weight tensor (Llama 3.1): angles divided by it */
    GgmlType wtype;     /* layer matrices and output.weight */
    GgmlType etype;     /* token_embd.weight */
    GgmlType ntype;     /* output_norm.weight (F32 in every real file) */
    RefTypeFn type_of;  /* when set, overrides the three above per tensor (mixes like Q4_K_M) */
    int meta_hidden;    /* feed_forward_length written in the metadata, 0 = hidden */
    int batch;          /* for the caller: the engine's prefill chunk (not in the file) */
    float freq_base, eps;
} RefSpec;

typedef struct RefTensor {
    char name[64];
    int ne0, ne1;       /* ne1 = 1 for vectors */
    GgmlType type;
    float *f;           /* (ne1, ne0) values exactly as stored (dequantized) */
    void *q;            /* the stored bytes */
    size_t nbytes;
} RefTensor;

typedef struct RefModel {
    RefSpec s;
    RefTensor t[256];
    int n;
    unsigned char *file; /* after ref_model_to_memory: the GGUF image, 64-byte aligned */
    size_t size;
} RefModel;

/* Fills y with s's tensors (token_embd, output_norm, output, rope_freqs, then
 * each block), values from an xorshift generator seeded with seed. */
void ref_model_build(RefModel *y, const RefSpec *s, uint64_t seed);
void ref_model_free(RefModel *y);
/* The tensor called name, or NULL. */
RefTensor *ref_model_find(const RefModel *y, const char *name);
/* Replaces row `row` of tensor name with vals (ne0 of them), quantized to the
 * tensor's type; the floats become the dequantized values. */
void ref_model_set_row(RefModel *y, const char *name, int row, const double *vals);

/* Adds general.architecture, the {arch}.* hyperparameters (context, sizes,
 * heads, rope.freq_base, rms epsilon) and every tensor (data borrowed from y)
 * to w. Callers add their own further metadata (tokenizer, names) to w. */
void ref_model_add_to_writer(const RefModel *y, GgufWriter *w);
/* Writes y (model metadata and tensors only) into y->file / y->size. */
void ref_model_to_memory(RefModel *y);

/* Logits (vocab) of the last of n tokens at positions 0..n-1; hidden, when
 * not NULL, gets the final normed state (dim) those logits are taken from. */
void ref_model_forward(const RefModel *y, const int *tok, int n, double *logits, double *hidden);

/* Largest |got[i] - ref[i]| over n logits; *range gets max - min of ref. */
double ref_logits_worst(const float *got, const double *ref, int n, double *range);

#endif
