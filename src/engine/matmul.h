/* matmul.h — the CPU matrix product behind every weight multiplication of the
 * built-in engine: a weight matrix in any supported ggml type times a batch of
 * F32 activation rows, threaded over a ThreadPool.
 *
 * A matrix used more than once is prepared first (matmul_weights_new): where
 * this CPU has panel kernels for its type (panel.h) the rows are repacked,
 * eight interleaved rows per panel, and every product then runs on the
 * panels; otherwise products use the row kernels of quant.h on the original
 * bytes. Decode (batch 1) streams the weights once; prefill reuses each panel
 * for the whole batch while it is in cache. Several matrices that multiply the
 * same activations (attention q/k/v, feed-forward gate/up) run as one job
 * (matmul_many): one activation quantization and one fork-join. */
#ifndef VERSUS_MATMUL_H
#define VERSUS_MATMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"
#include "engine/threadpool.h"

/* Y[b*rows + r] = sum_c W[r][c] * X[b*cols + c] for b < batch, r < rows.
 * W is `rows` rows of `cols` elements in ggml type t, row-major as GGUF stores
 * it (ne[0] = cols contiguous). X and Y are F32 and must not overlap. Uses the
 * pool (NULL = single-threaded); results do not depend on the thread count.
 * Returns 0, or -1 for an unsupported type, a bad shape or cols not a multiple
 * of the type's block size, or out of memory (err says which). Uses the row
 * kernels (no repacking): for one-off products and as the tests' reference. */
int matmul(ThreadPool *pool, GgmlType t, const void *W, int64_t rows, int64_t cols,
           const float *X, int64_t batch, float *Y, char *err, size_t errlen);

/* A weight matrix prepared for repeated products on this CPU. */
typedef struct MatmulWeights MatmulWeights;

/* Checks type and shape as matmul() does and, when this CPU has panel kernels
 * for t, repacks W into panels (using the pool). W is borrowed and must
 * outlive the result (the row kernels read it when SIMD is turned off later).
 * NULL with err on a bad type or shape or when out of memory. */
MatmulWeights *matmul_weights_new(ThreadPool *pool, GgmlType t, const void *W, int64_t rows,
                                  int64_t cols, char *err, size_t errlen);
/* The same, calling done(ctx, p, n) for each run of W's bytes as soon as
 * it is packed (from the pool's threads, several at once): the caller can
 * let go of them (a mapped file's pages) while the rest is packed, so the
 * whole original and the whole packed copy are never resident together.
 * done is not called when nothing is repacked. */
MatmulWeights *matmul_weights_new_releasing(ThreadPool *pool, GgmlType t, const void *W, int64_t rows,
                                            int64_t cols, void (*done)(void *ctx, const void *p, size_t n),
                                            void *ctx, char *err, size_t errlen);
/* The same without repacking: products always use the row kernels on W. */
MatmulWeights *matmul_weights_view(GgmlType t, const void *W, int64_t rows, int64_t cols, char *err,
                                   size_t errlen);
void matmul_weights_free(MatmulWeights *w);
/* Bytes this preparation allocated (0 when the rows are used as they are). */
size_t matmul_weights_bytes(const MatmulWeights *w);
/* True when products of w run on panels now. */
bool matmul_weights_packed(const MatmulWeights *w);
int64_t matmul_weights_rows(const MatmulWeights *w);
int64_t matmul_weights_cols(const MatmulWeights *w);

/* Y[i] = W[i] X for i < n (n <= MATMUL_MAX_MANY), every W[i] with the same
 * number of columns; Y[i] holds batch x rows(W[i]) floats and overlaps
 * nothing. Same results as n separate products, whatever the thread count.
 * Returns 0, or -1 with err on a shape mismatch or out of memory. */
#define MATMUL_MAX_MANY 4
int matmul_many(ThreadPool *pool, const MatmulWeights *const *W, float *const *Y, int n,
                const float *X, int64_t batch, char *err, size_t errlen);

#endif
