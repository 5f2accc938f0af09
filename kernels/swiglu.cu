/* swiglu.cu — the SwiGLU gate of the feed-forward block, in place:
 * g[i] = silu(g[i]) * u[i] = g[i] / (1 + exp(-g[i])) * u[i].
 *
 * Bound: memory, 12 bytes per element (g, u read, g written). */
#include "kernels.h"

__global__ void swiglu_kernel(float *g, const float *__restrict__ u, size_t n)
{
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        const float a = g[i];
        g[i] = a / (1.0f + expf(-a)) * u[i];
    }
}

extern "C" cudaError_t kern_swiglu(float *g, const float *u, size_t n, cudaStream_t s)
{
    if (n == 0)
        return cudaSuccess;
    const int block = 256;
    size_t grid = (n + block - 1) / block;
    if (grid > 65535u * 16u)
        grid = 65535u * 16u; /* grid-stride loop covers the rest */
    swiglu_kernel<<<(unsigned)grid, block, 0, s>>>(g, u, n);
    return cudaGetLastError();
}
