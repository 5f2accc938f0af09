/* matvec_q.cu — y = W x for one token (the decode step): W is a ggml weight
 * matrix in any supported type (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0,
 * Q4_K, Q5_K, Q6_K), x and y are F32. One warp per output row: lane l
 * dequantizes elements 8l .. 8l+7 of every 256-element stretch of the row
 * (dequant.cuh), multiplies with x, and the warp reduces. The epilogue fuses
 * the bias and the residual add: y = (accumulate ? y : 0) + W x + bias.
 *
 * Bound: memory. Bytes read = rows * row_bytes (every weight byte once) +
 * x from L1/L2; e.g. a 2048 x 5632 Q4_K matrix is 6.5 MB, 2 us at 3.3 TB/s.
 * FLOPs = 2 * rows * cols, negligible. */
#include "kernels.h"
#include "dequant.cuh"

#define MV_WARPS 4 /* rows per block */

template <int T>
__global__ void __launch_bounds__(MV_WARPS * 32)
matvec_kernel(const uint8_t *__restrict__ W, size_t row_bytes, int rows, int cols,
              const float *__restrict__ x, float *y, const float *__restrict__ bias, int accumulate)
{
    const int row = blockIdx.x * MV_WARPS + threadIdx.x / 32;
    const int lane = threadIdx.x % 32;
    if (row >= rows)
        return;
    const uint8_t *r = W + (size_t)row * row_bytes;
    const int full = cols & ~7; /* elements in whole groups of 8 */
    float acc = 0.0f;
    for (int j = lane * 8; j < full; j += 256) {
        float v[8];
        dq8<T>(r, j, v);
        const float4 x0 = __ldg(reinterpret_cast<const float4 *>(x + j));
        const float4 x1 = __ldg(reinterpret_cast<const float4 *>(x + j + 4));
        acc += v[0] * x0.x + v[1] * x0.y + v[2] * x0.z + v[3] * x0.w;
        acc += v[4] * x1.x + v[5] * x1.y + v[6] * x1.z + v[7] * x1.w;
    }
    if constexpr (IsFloatType<T>::value)
        for (int j = full + lane; j < cols; j += 32)
            acc += dq1<T>(r, j) * __ldg(x + j);
    acc = warp_sum(acc);
    if (lane == 0) {
        float out = acc + (bias ? bias[row] : 0.0f);
        y[row] = accumulate ? y[row] + out : out;
    }
}

extern "C" bool kern_type_supported(GgmlType t)
{
    const GgmlTypeInfo *ti = ggml_type_info((int)t); /* the one list: core/ggml_type.h */
    return ti && ti->cuda;
}

extern "C" cudaError_t kern_matvec(const KernMat *w, const float *x, float *y, const float *bias,
                                   bool accumulate, cudaStream_t s)
{
    if (w->rows <= 0 || w->cols <= 0)
        return cudaErrorInvalidValue;
    /* x is read with 16-byte loads */
    if (((uintptr_t)x & 15) != 0)
        return cudaErrorMisalignedAddress;
    const dim3 grid((unsigned)((w->rows + MV_WARPS - 1) / MV_WARPS)), block(MV_WARPS * 32);
    const uint8_t *W = static_cast<const uint8_t *>(w->data);
#define LAUNCH(T)                                                                                \
    matvec_kernel<T><<<grid, block, 0, s>>>(W, w->row_bytes, w->rows, w->cols, x, y, bias,     \
                                            accumulate ? 1 : 0)
    KERN_DISPATCH(w->type, LAUNCH)
#undef LAUNCH
    return cudaGetLastError();
}
