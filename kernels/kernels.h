/* kernels.h — the CUDA kernels of the built-in engine, as plain C launchers
 * (extern "C"), one family per .cu file:
 *
 *   matvec_q.cu   y = W x            (decode: one token, weights read once)
 *   matmul_q.cu   Y = X W^T          (prefill: dequantized tiles x token tiles)
 *   rmsnorm.cu    RMSNorm of token rows
 *   rope.cu       rotary embedding, llama ("normal") and NeoX pair layouts
 *   attention.cu  KV-cache append; causal attention for decode (split along
 *                 the sequence, then combined) and prefill
 *   swiglu.cu     g = silu(g) * u
 *   embed.cu      token-embedding rows gathered and dequantized
 *   sampling.cu   argmax and softmax over a logit vector
 *
 * Every launcher enqueues on the given stream and returns the launch status
 * (cudaSuccess or the error cudaGetLastError() reports); nothing here
 * allocates, synchronises or prints. Positions are read on the device from
 * *d_pos (the position of the first token of the batch), so a decode step can
 * be captured once in a CUDA graph and replayed for every position.
 *
 * Weights keep their GGUF/ggml layout byte for byte (engine/quant.h): a
 * KernMat is `rows` rows of `cols` elements, row r at data + r * row_bytes.
 * Activations are F32, token-major: X[t * n + i]. Residual adds and biases
 * are fused into the matrix products (see kern_matvec). Not for host code
 * beyond launching: see engine/backend_cuda.h for the model on the GPU. */
#ifndef VERSUS_KERNELS_H
#define VERSUS_KERNELS_H

#include <cuda_runtime_api.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/ggml_type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A weight matrix in device-accessible memory. */
typedef struct KernMat {
    GgmlType type;
    int rows;            /* output features */
    int cols;            /* input features (ne[0]), a multiple of the type's block */
    size_t row_bytes;    /* bytes per row: cols / block * block_bytes */
    const void *data;    /* device (or mapped host) pointer, 2-byte aligned rows */
} KernMat;

/* True for the weight types the matrix and embedding kernels read (the
 * `cuda` column of core/ggml_type.h's table). */
bool kern_type_supported(GgmlType t);

/* Once per process and device, before any launch: raises the dynamic shared
 * memory limit of the attention kernel for head sizes up to 256. */
cudaError_t kern_init(void);

/* y[r] = (accumulate ? y[r] : 0) + sum_c W[r][c] x[c] + (bias ? bias[r] : 0).
 * x (cols) and y (rows) must not overlap. When accumulate is false y is never
 * read. Bound: reads W once (rows * row_bytes) plus x per warp from cache. */
cudaError_t kern_matvec(const KernMat *w, const float *x, float *y, const float *bias,
                        bool accumulate, cudaStream_t s);

/* Y[t][r] = (accumulate ? Y[t][r] : 0) + sum_c W[r][c] X[t][c] + bias[r] for
 * t < ntok: X is (ntok, cols), Y is (ntok, rows). 2 * rows * cols * ntok FLOPs. */
cudaError_t kern_matmul(const KernMat *w, const float *X, int ntok, float *Y, const float *bias,
                        bool accumulate, cudaStream_t s);

/* out[t][i] = x[t][i] / sqrt(mean_i(x[t]^2) + eps) * w[i] for t < ntok rows of n. */
cudaError_t kern_rmsnorm(const float *x, const float *w, float *out, int ntok, int n, float eps,
                         cudaStream_t s);

/* Rotates, in place, q (ntok, n_heads * head_dim) and k (ntok, n_kv_heads *
 * head_dim) for positions *d_pos + t: pair i of the first rope_dim dims of each
 * head by angle pos * inv_freq[i] (i < rope_dim / 2); pairs (2i, 2i+1) when
 * !neox, (i, i + rope_dim/2) when neox. k may be NULL. */
cudaError_t kern_rope(float *q, int n_heads, float *k, int n_kv_heads, int ntok, int head_dim,
                      int rope_dim, bool neox, const float *inv_freq, const int *d_pos,
                      cudaStream_t s);

/* Copies k and v (ntok, kv_dim) into the caches (n_ctx, kv_dim) at rows
 * *d_pos .. *d_pos + ntok - 1. */
cudaError_t kern_kv_store(float *k_cache, float *v_cache, const float *k, const float *v, int ntok,
                          int kv_dim, const int *d_pos, cudaStream_t s);

/* Floats of workspace kern_attention needs for ntok queries with `splits`
 * sequence splits (0 when splits == 1). */
size_t kern_attention_workspace(int ntok, int n_heads, int head_dim, int splits);

/* Causal attention of ntok queries at positions *d_pos + t over the cache rows
 * 0 .. *d_pos + t (keys must already be stored): q (ntok, n_heads * head_dim),
 * caches (n_ctx, n_kv_heads * head_dim), out (ntok, n_heads * head_dim); query
 * head h reads kv head h / (n_heads / n_kv_heads). With splits > 1 the keys
 * are cut into `splits` ranges handled by separate blocks and combined (use for
 * decode over long contexts); work holds kern_attention_workspace() floats.
 * head_dim <= 256. Bound: reads each cached key/value once per block
 * (n_kv_heads * len * head_dim * 8 bytes for decode). */
cudaError_t kern_attention(const float *q, const float *k_cache, const float *v_cache, float *out,
                           float *work, int ntok, int n_heads, int n_kv_heads, int head_dim,
                           int splits, const int *d_pos, cudaStream_t s);

/* g[i] = g[i] / (1 + exp(-g[i])) * u[i] for i < n. */
cudaError_t kern_swiglu(float *g, const float *u, size_t n, cudaStream_t s);

/* x[t] = row tokens[t] of e, dequantized (e->cols floats) for t < ntok;
 * tokens is a device array, each id in 0 .. e->rows - 1 (checked by the caller). */
cudaError_t kern_embed(const KernMat *e, const int *tokens, int ntok, float *x, cudaStream_t s);

/* *out = index of the largest of x[0..n) (the lowest index on ties; NaN never
 * wins). out is a device int. */
cudaError_t kern_argmax(const float *x, int n, int *out, cudaStream_t s);

/* x = softmax(x / temperature) in place over n elements (temperature > 0). */
cudaError_t kern_softmax(float *x, int n, float temperature, cudaStream_t s);

#ifdef __cplusplus
}
#endif

#endif
