/* matmul_q.cu — Y = X W^T for a batch of tokens (prefill): W is a ggml weight
 * matrix of any supported type, X (ntok, cols) and Y (ntok, rows) are F32.
 * Classic shared-memory tiling: a block of 256 threads owns a 64-row x
 * 64-token tile of Y; for every 32-wide slice of the inner dimension it
 * dequantizes the 64 x 32 weight tile (one dq8 per thread, dequant.cuh) and
 * loads the 64 x 32 activation tile into shared memory, then each thread
 * accumulates a 4 x 4 sub-tile in registers. Bias and residual are fused into
 * the epilogue like kern_matvec. FP32 FMA throughout (no tensor cores yet),
 * so results agree with the CPU reference to float rounding.
 *
 * Bound: 2 * rows * cols * ntok FLOPs; weights are read ceil(ntok / 64) times
 * (rows * row_bytes each), activations ceil(rows / 64) times. */
#include "kernels.h"
#include "dequant.cuh"

#define MM_BM 64  /* weight rows per tile */
#define MM_BN 64  /* tokens per tile */
#define MM_BK 32  /* inner slice */
#define MM_PAD 4  /* keeps rows of the shared tiles 16-byte aligned and spreads banks */

template <int T>
__global__ void __launch_bounds__(256)
matmul_kernel(const uint8_t *__restrict__ W, size_t row_bytes, int rows, int cols,
              const float *__restrict__ X, int ntok, float *Y, const float *__restrict__ bias,
              int accumulate)
{
    __shared__ __align__(16) float Ws[MM_BK][MM_BM + MM_PAD]; /* Ws[k][row] */
    __shared__ __align__(16) float Xs[MM_BK][MM_BN + MM_PAD]; /* Xs[k][token] */
    const int tid = threadIdx.x;
    const int r0 = blockIdx.x * MM_BM, t0 = blockIdx.y * MM_BN;
    const int tr = tid / 16, tt = tid % 16; /* this thread: rows tr*4.., tokens tt*4.. */
    const int lr = tid / 4, lk = (tid % 4) * 8; /* loader: tile row/token lr, k offset lk */
    float acc[4][4] = {};

    for (int k0 = 0; k0 < cols; k0 += MM_BK) {
        /* weights: row r0+lr, elements k0+lk .. +7 */
        float v[8];
        const int gr = r0 + lr, gk = k0 + lk;
        if (gr < rows && gk + 8 <= cols) {
            dq8<T>(W + (size_t)gr * row_bytes, gk, v);
        } else {
#pragma unroll
            for (int e = 0; e < 8; e++)
                v[e] = 0.0f;
            if constexpr (IsFloatType<T>::value)
                if (gr < rows)
                    for (int e = 0; e < 8 && gk + e < cols; e++)
                        v[e] = dq1<T>(W + (size_t)gr * row_bytes, gk + e);
        }
#pragma unroll
        for (int e = 0; e < 8; e++)
            Ws[lk + e][lr] = v[e];
        /* activations: token t0+lr, elements k0+lk .. +7 */
        const int gt = t0 + lr;
#pragma unroll
        for (int e = 0; e < 8; e++)
            Xs[lk + e][lr] = gt < ntok && gk + e < cols ? __ldg(X + (size_t)gt * cols + gk + e) : 0.0f;
        __syncthreads();
#pragma unroll 8
        for (int k = 0; k < MM_BK; k++) {
            const float4 a = *reinterpret_cast<const float4 *>(&Ws[k][tr * 4]);
            const float4 b = *reinterpret_cast<const float4 *>(&Xs[k][tt * 4]);
            const float av[4] = { a.x, a.y, a.z, a.w }, bv[4] = { b.x, b.y, b.z, b.w };
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 4; j++)
                    acc[i][j] += av[i] * bv[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int j = 0; j < 4; j++) {
        const int t = t0 + tt * 4 + j;
        if (t >= ntok)
            break;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            const int r = r0 + tr * 4 + i;
            if (r < rows) {
                float out = acc[i][j] + (bias ? bias[r] : 0.0f);
                float *dst = Y + (size_t)t * rows + r;
                *dst = accumulate ? *dst + out : out;
            }
        }
    }
}

extern "C" cudaError_t kern_matmul(const KernMat *w, const float *X, int ntok, float *Y,
                                   const float *bias, bool accumulate, cudaStream_t s)
{
    if (w->rows <= 0 || w->cols <= 0 || ntok <= 0 || ntok > 65535 * MM_BN)
        return cudaErrorInvalidValue;
    const dim3 grid((unsigned)((w->rows + MM_BM - 1) / MM_BM), (unsigned)((ntok + MM_BN - 1) / MM_BN));
    const dim3 block(256);
    const uint8_t *W = static_cast<const uint8_t *>(w->data);
#define LAUNCH(T)                                                                                \
    matmul_kernel<T><<<grid, block, 0, s>>>(W, w->row_bytes, w->rows, w->cols, X, ntok, Y, bias, \
                                            accumulate ? 1 : 0)
    KERN_DISPATCH(w->type, LAUNCH)
#undef LAUNCH
    return cudaGetLastError();
}
