/* embed.cu — token embedding: x[t] = row tokens[t] of the embedding matrix,
 * dequantized to F32 from any supported type (dequant.cuh). One block per
 * token; each thread dequantizes groups of 8 elements. Token ids come from
 * device memory (so a CUDA graph can replay the step) and are range-checked
 * by the host before they are uploaded.
 *
 * Bound: memory, ntok * (row_bytes read + 4 * cols written). */
#include "kernels.h"
#include "dequant.cuh"

template <int T>
__global__ void embed_kernel(const uint8_t *__restrict__ E, size_t row_bytes, int cols,
                             const int *__restrict__ tokens, float *x)
{
    const uint8_t *row = E + (size_t)tokens[blockIdx.x] * row_bytes;
    float *out = x + (size_t)blockIdx.x * cols;
    const int full = cols & ~7;
    for (int j = threadIdx.x * 8; j < full; j += blockDim.x * 8) {
        float v[8];
        dq8<T>(row, j, v);
#pragma unroll
        for (int e = 0; e < 8; e++)
            out[j + e] = v[e];
    }
    if constexpr (IsFloatType<T>::value)
        for (int j = full + threadIdx.x; j < cols; j += blockDim.x)
            out[j] = dq1<T>(row, j);
}

extern "C" cudaError_t kern_embed(const KernMat *e, const int *tokens, int ntok, float *x,
                                  cudaStream_t s)
{
    if (ntok <= 0 || e->cols <= 0 || ntok > 0x7fffffff)
        return cudaErrorInvalidValue;
    const uint8_t *E = static_cast<const uint8_t *>(e->data);
#define LAUNCH(T) embed_kernel<T><<<ntok, 128, 0, s>>>(E, e->row_bytes, e->cols, tokens, x)
    KERN_DISPATCH(e->type, LAUNCH)
#undef LAUNCH
    return cudaGetLastError();
}
