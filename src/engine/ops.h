/* ops.h — the CPU reference of every elementwise and per-row operation of the
 * forward pass (normalization, rotary embedding, softmax, gated activations,
 * soft-capping): the one implementation the CPU engine runs and the GPU tests
 * compare their kernels against. Pure functions over float arrays; no
 * threads, no allocation, no knowledge of GGUF or of any architecture.
 *
 * Where llama.cpp's CPU backend (the reference engine) rounds in a particular
 * way that changes results measurably, the function says so and does the
 * same. Not for weight products (matmul.h) or quantized formats (quant.h). */
#ifndef VERSUS_OPS_H
#define VERSUS_OPS_H

#include <stdbool.h>
#include <stddef.h>

/* out[i] = x[i] / sqrt(mean(x^2) + eps) * w[i] (w NULL: no weight), over n
 * floats; float squares summed in double, mean and scale in float, as
 * llama.cpp rounds them. out may equal x. */
void ops_rmsnorm(float *out, const float *x, const float *w, int n, float eps);

/* Rotary position embedding of one kind, prepared once per model (or per
 * layer kind: sliding-window layers may use another base). */
typedef struct OpsRope {
    int n_dims;          /* rotated dimensions per head (even, <= head size) */
    bool neox;           /* pairs (i, i + n_dims/2) ("NeoX"); else (2i, 2i+1) ("normal") */
    float freq_scale;    /* 1 / linear or YaRN scaling factor; 1 = none */
    float ext_factor;    /* YaRN extrapolation mix; 0 = plain (linear) scaling */
    float attn_factor;   /* multiplies cos and sin (YaRN magnitude correction); usually 1 */
    float corr_lo, corr_hi; /* YaRN ramp between these dimension pairs */
    float theta_scale;   /* base^(-2/n_dims), in float */
    bool angle_product;  /* angle = pos * theta_base[i] in one product (the CUDA kernels' way);
                            false (ops_rope_init's choice): llama.cpp's recurrence, pair by pair
                            theta *= theta_scale in float, whose rounding grows with position */
    const float *factors; /* (n_dims/2) per-pair divisors or NULL; borrowed */
    float theta_base[256]; /* (n_dims/2) base^(-2i/n_dims) / factor[i]: the angle per position */
} OpsRope;

#define OPS_ROPE_MAX_DIMS 512

/* Fills r for n_dims rotated dimensions (even, <= OPS_ROPE_MAX_DIMS), base
 * frequency `base`, frequency scale, optional per-pair divisors `factors`
 * (Llama 3.1 rope_freqs, Phi-3 long/short factors; NULL = none) and YaRN
 * parameters (ext_factor 0 = none; n_ctx_orig, beta_fast, beta_slow as
 * llama.cpp reads them). factors is borrowed and must outlive r. Returns 0,
 * or -1 for bad sizes. */
int ops_rope_init(OpsRope *r, int n_dims, bool neox, float base, float freq_scale, const float *factors,
                  float ext_factor, float attn_factor, int n_ctx_orig, float beta_fast, float beta_slow);
/* The angle multipliers a kernel applies as theta = pos * inv_freq[i] when
 * ext_factor is 0 and attn_factor 1: theta_base[i] * freq_scale. */
void ops_rope_inv_freq(const OpsRope *r, float *inv_freq);
/* Rotates n_heads heads of head_dim floats (the first n_dims of each) of one
 * token at position pos, in place. */
void ops_rope(const OpsRope *r, float *vec, int n_heads, int head_dim, int pos);

/* Softmax of x[0..n) in place; when sink is finite it joins the denominator
 * as one more logit that receives no value (gpt-oss attention sinks; pass
 * -INFINITY for none). The sum is accumulated in double. */
void ops_softmax(float *x, int n, float sink);

/* x[i] = cap * tanh(x[i] / cap) (Gemma 2 logit soft-capping). */
void ops_softcap(float *x, size_t n, float cap);

/* g[i] = silu(g[i]) * u[i] (SwiGLU). */
void ops_swiglu(float *g, const float *u, size_t n);
/* g[i] = gelu(g[i]) * u[i] (GeGLU, tanh approximation). Like llama.cpp's CPU
 * backend, the GELU is read from a half-precision table: the input is
 * rounded to fp16 and so is the GELU of it (inputs beyond +-10 are exact). */
void ops_geglu(float *g, const float *u, size_t n);
/* gpt-oss's clamped SwiGLU: g = min(g, limit), u = clamp(u, -limit, limit),
 * g[i] = g * sigmoid(alpha * g) * (u + 1). */
void ops_swiglu_oai(float *g, const float *u, size_t n, float alpha, float limit);

/* a . b over n floats (eight partial sums, pairwise combined). */
float ops_dot(const float *a, const float *b, int n);
/* y += a * x over n floats. */
void ops_axpy(float *y, float a, const float *x, int n);

#endif
