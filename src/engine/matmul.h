/* matmul.h — the CPU matrix product behind every weight multiplication of the
 * built-in engine: a weight matrix in any supported ggml type times a batch of
 * F32 activation rows, threaded over a ThreadPool. Decode (batch 1) streams the
 * weights once; prefill reuses each weight row for up to 4 activation rows. */
#ifndef VERSUS_MATMUL_H
#define VERSUS_MATMUL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"
#include "engine/threadpool.h"

/* Y[b*rows + r] = sum_c W[r][c] * X[b*cols + c] for b < batch, r < rows.
 * W is `rows` rows of `cols` elements in ggml type t, row-major as GGUF stores
 * it (ne[0] = cols contiguous). X and Y are F32 and must not overlap. Uses the
 * pool (NULL = single-threaded); results do not depend on the thread count.
 * Returns 0, or -1 for an unsupported type, a bad shape or cols not a multiple
 * of the type's block size, or out of memory (err says which). */
int matmul(ThreadPool *pool, GgmlType t, const void *W, int64_t rows, int64_t cols,
           const float *X, int64_t batch, float *Y, char *err, size_t errlen);

#endif
