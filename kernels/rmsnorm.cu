/* rmsnorm.cu — RMSNorm of token rows: out[t] = x[t] / sqrt(mean(x[t]^2) + eps)
 * * w, one block of 256 threads per token (sum of squares in float, a block
 * reduction, then the scaled product). x and out may be the same buffer.
 *
 * Bound: memory, 12 * n bytes per token (x and w read, out written). */
#include "kernels.h"
#include "dequant.cuh"

__global__ void __launch_bounds__(256)
rmsnorm_kernel(const float *x, const float *__restrict__ w, float *out, int n, float eps)
{
    __shared__ float sh[33];
    const float *xr = x + (size_t)blockIdx.x * n;
    float *orow = out + (size_t)blockIdx.x * n;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        ss += xr[i] * xr[i];
    ss = block_sum(ss, sh);
    const float scale = rsqrtf(ss / (float)n + eps);
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        orow[i] = xr[i] * scale * w[i];
}

extern "C" cudaError_t kern_rmsnorm(const float *x, const float *w, float *out, int ntok, int n,
                                    float eps, cudaStream_t s)
{
    if (ntok <= 0 || n <= 0)
        return cudaErrorInvalidValue;
    rmsnorm_kernel<<<ntok, 256, 0, s>>>(x, w, out, n, eps);
    return cudaGetLastError();
}
