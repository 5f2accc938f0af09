/* sampling.cu — reductions over one logit vector for token selection on the
 * device: argmax (greedy decoding without copying the logits back; ties go
 * to the lowest id, as the CPU samplers do, and NaN never wins) and an
 * in-place softmax with temperature. One block of 1024 threads each.
 *
 * Bound: memory, 4 * n bytes read (argmax); 3 passes over n floats (softmax). */
#include "kernels.h"
#include "dequant.cuh"

#define SAMPLE_THREADS 1024

__global__ void __launch_bounds__(SAMPLE_THREADS) argmax_kernel(const float *__restrict__ x, int n, int *out)
{
    __shared__ float sv[32];
    __shared__ int si[32];
    float best = -INFINITY;
    int bi = -1;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = x[i];
        if (bi < 0 ? !isnan(v) : v > best) { /* strictly greater: lower index kept */
            best = v;
            bi = i;
        }
    }
    /* (value, index) reduction: larger value wins, lower index on ties, -1 loses */
    auto better = [](float va, int ia, float vb, int ib) {
        if (ib < 0)
            return false;
        if (ia < 0)
            return true;
        return vb > va || (vb == va && ib < ia);
    };
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, best, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (better(best, bi, ov, oi)) {
            best = ov;
            bi = oi;
        }
    }
    const int lane = threadIdx.x % 32, w = threadIdx.x / 32;
    if (lane == 0) {
        sv[w] = best;
        si[w] = bi;
    }
    __syncthreads();
    if (w == 0) {
        best = lane < (int)(blockDim.x / 32) ? sv[lane] : -INFINITY;
        bi = lane < (int)(blockDim.x / 32) ? si[lane] : -1;
        for (int o = 16; o > 0; o >>= 1) {
            const float ov = __shfl_xor_sync(0xffffffffu, best, o);
            const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
            if (better(best, bi, ov, oi)) {
                best = ov;
                bi = oi;
            }
        }
        if (lane == 0)
            *out = bi < 0 ? 0 : bi; /* all NaN: token 0, like the CPU argmax */
    }
}

__global__ void __launch_bounds__(SAMPLE_THREADS) softmax_kernel(float *x, int n, float inv_temp)
{
    __shared__ float sh[33];
    float m = -INFINITY;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        m = fmaxf(m, x[i] * inv_temp);
    m = block_max(m, sh);
    float sum = 0.0f;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float e = expf(x[i] * inv_temp - m);
        x[i] = e;
        sum += e;
    }
    sum = block_sum(sum, sh);
    const float inv = 1.0f / sum;
    for (int i = threadIdx.x; i < n; i += blockDim.x)
        x[i] *= inv;
}

extern "C" cudaError_t kern_argmax(const float *x, int n, int *out, cudaStream_t s)
{
    if (n <= 0)
        return cudaErrorInvalidValue;
    argmax_kernel<<<1, SAMPLE_THREADS, 0, s>>>(x, n, out);
    return cudaGetLastError();
}

extern "C" cudaError_t kern_softmax(float *x, int n, float temperature, cudaStream_t s)
{
    if (n <= 0 || !(temperature > 0.0f))
        return cudaErrorInvalidValue;
    softmax_kernel<<<1, SAMPLE_THREADS, 0, s>>>(x, n, 1.0f / temperature);
    return cudaGetLastError();
}
