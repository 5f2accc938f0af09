/* rope.cu — rotary position embedding, in place on the query and key rows of
 * a batch: pair i (i < rope_dim / 2) of every head of token t turns by
 * theta = (*d_pos + t) * inv_freq[i]. The "normal" (llama) layout pairs dims
 * (2i, 2i+1), NeoX (qwen2) pairs (i, i + rope_dim/2); dims past rope_dim are
 * left alone. theta is formed in float as the CPU engine forms it, and its
 * sine and cosine are taken in double precision: with --use_fast_math the
 * float sinf/cosf lose accuracy at the large angles of long contexts.
 *
 * Bound: memory, 8 bytes read + 8 written per rotated pair; one thread per
 * pair. */
#include "kernels.h"

__global__ void rope_kernel(float *q, int n_heads, float *k, int n_kv_heads, int ntok, int head_dim,
                            int half, int neox, const float *__restrict__ inv_freq, const int *d_pos)
{
    const int heads = n_heads + (k ? n_kv_heads : 0);
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long total = (long long)ntok * heads * half;
    if (idx >= total)
        return;
    const int i = (int)(idx % half);
    const int h = (int)(idx / half % heads);
    const int t = (int)(idx / half / heads);
    float *v = h < n_heads ? q + ((size_t)t * n_heads + h) * head_dim
                           : k + ((size_t)t * n_kv_heads + (h - n_heads)) * head_dim;
    const float theta = (float)(*d_pos + t) * inv_freq[i];
    double sd, cd;
    sincos((double)theta, &sd, &cd);
    const float sn = (float)sd, cs = (float)cd;
    const int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    const float x0 = v[a], x1 = v[b];
    v[a] = x0 * cs - x1 * sn;
    v[b] = x0 * sn + x1 * cs;
}

extern "C" cudaError_t kern_rope(float *q, int n_heads, float *k, int n_kv_heads, int ntok,
                                 int head_dim, int rope_dim, bool neox, const float *inv_freq,
                                 const int *d_pos, cudaStream_t s)
{
    if (ntok <= 0 || n_heads <= 0 || rope_dim < 2 || rope_dim > head_dim || rope_dim % 2)
        return cudaErrorInvalidValue;
    const int half = rope_dim / 2;
    const long long total = (long long)ntok * (n_heads + (k ? n_kv_heads : 0)) * half;
    const int block = 256;
    const long long grid = (total + block - 1) / block;
    if (grid > 0x7fffffffLL)
        return cudaErrorInvalidValue;
    rope_kernel<<<(unsigned)grid, block, 0, s>>>(q, n_heads, k, n_kv_heads, ntok, head_dim, half,
                                                 neox ? 1 : 0, inv_freq, d_pos);
    return cudaGetLastError();
}
