/* attention.cu — the KV cache and causal attention of llama-family models.
 *
 * kern_kv_store appends a batch's keys and values to the F32 caches at rows
 * *d_pos ... kern_attention computes, for every query token t (position
 * *d_pos + t) and head h, softmax(q . k_p / sqrt(head_dim)) . v_p over cache
 * rows p <= *d_pos + t, with grouped-query heads reading kv head
 * h / (n_heads / n_kv_heads).
 *
 * One kernel serves decode and prefill. A block owns one kv head and a set of
 * warps; each warp is one (query head, token) pair of that kv head, so the
 * K/V tiles a block stages in shared memory (32 positions at a time) are
 * shared by every query head of the group (and, in prefill, by up to 8
 * consecutive tokens). Inside a warp, lane j scores key j of the tile, the
 * warp keeps a running max and sum (online softmax) and each lane
 * accumulates head_dim / 32 output dims. For decode over long contexts the
 * keys are also split into `splits` ranges (grid z): every split writes its
 * partial (max, sum, unnormalised output) and attn_combine_kernel merges them
 * — the split count is fixed, the ranges follow *d_pos, so a captured graph
 * stays valid at every position.
 *
 * Bound: memory for decode — every cached K and V row up to the position is
 * read once per kv head: n_kv_heads * len * head_dim * 8 bytes; prefill is
 * 4 * n_heads * ntok * len * head_dim FLOPs (half of it masked away). */
#include "kernels.h"
#include "dequant.cuh"

#define ATT_TILE 32      /* keys per shared-memory tile */
#define ATT_MAX_WARPS 8  /* (head, token) pairs per block */
#define ATT_MAX_HD 256

__global__ void kv_store_kernel(float *kc, float *vc, const float *__restrict__ k,
                                const float *__restrict__ v, size_t n, int kv_dim, const int *d_pos)
{
    const size_t base = (size_t)(*d_pos) * kv_dim;
    for (size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x; i < n;
         i += (size_t)gridDim.x * blockDim.x) {
        kc[base + i] = k[i];
        vc[base + i] = v[i];
    }
}

extern "C" cudaError_t kern_kv_store(float *k_cache, float *v_cache, const float *k, const float *v,
                                     int ntok, int kv_dim, const int *d_pos, cudaStream_t s)
{
    if (ntok <= 0 || kv_dim <= 0)
        return cudaErrorInvalidValue;
    const size_t n = (size_t)ntok * kv_dim;
    size_t grid = (n + 255) / 256;
    if (grid > 65535u)
        grid = 65535u;
    kv_store_kernel<<<(unsigned)grid, 256, 0, s>>>(k_cache, v_cache, k, v, n, kv_dim, d_pos);
    return cudaGetLastError();
}

/* NPL = output dims per lane = ceil(head_dim / 32). */
template <int NPL>
__global__ void attention_kernel(const float *__restrict__ q, const float *__restrict__ kc,
                                 const float *__restrict__ vc, float *out, float *work, int ntok,
                                 int n_heads, int n_kv_heads, int hd, int hpb, int tpb,
                                 const int *d_pos, float scale)
{
    extern __shared__ float sm[];
    const int stride = hd + 1; /* padded rows: lane j reading row j hits bank (j*stride + d) */
    float *Ks = sm, *Vs = Ks + ATT_TILE * stride, *Qs = Vs + ATT_TILE * stride;
    const int kvd = n_kv_heads * hd, qd = n_heads * hd;
    const int group = n_heads / n_kv_heads, chunks = group / hpb;
    const int kvh = blockIdx.x / chunks, hc = blockIdx.x % chunks;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const int h = kvh * group + hc * hpb + warp % hpb;
    const int t = blockIdx.y * tpb + warp / hpb;
    const bool active = t < ntok;
    const int pos0 = *d_pos;
    const int limit = pos0 + (active ? t : ntok - 1); /* last key this query sees */
    const int t_last = min((int)blockIdx.y * tpb + tpb, ntok) - 1;
    const int total = pos0 + ntok; /* keys in the cache after this batch */
    const int splits = gridDim.z;
    const int chunk = ((total + splits - 1) / splits + ATT_TILE - 1) / ATT_TILE * ATT_TILE;
    const int kstart = blockIdx.z * chunk;
    const int kend = min(kstart + chunk, pos0 + t_last + 1);

    for (int d = lane; d < hd; d += 32)
        Qs[warp * hd + d] = active ? q[(size_t)t * qd + (size_t)h * hd + d] * scale : 0.0f;

    float m = -INFINITY, l = 0.0f, acc[NPL];
#pragma unroll
    for (int i = 0; i < NPL; i++)
        acc[i] = 0.0f;

    for (int k0 = kstart; k0 < kend; k0 += ATT_TILE) {
        __syncthreads(); /* the previous tile is consumed (and Qs written, first time) */
        const int n = min(ATT_TILE, kend - k0);
        for (int idx = threadIdx.x; idx < ATT_TILE * hd; idx += blockDim.x) {
            const int j = idx / hd, d = idx % hd;
            const size_t off = (size_t)(k0 + j) * kvd + (size_t)kvh * hd + d;
            Ks[j * stride + d] = j < n ? kc[off] : 0.0f;
            Vs[j * stride + d] = j < n ? vc[off] : 0.0f;
        }
        __syncthreads();
        const int kp = k0 + lane;
        float sc = -INFINITY;
        if (active && lane < n && kp <= limit) {
            float a = 0.0f;
            const float *qr = Qs + warp * hd, *kr = Ks + lane * stride;
            for (int d = 0; d < hd; d++)
                a += qr[d] * kr[d];
            sc = a;
        }
        const float tmax = warp_max(sc);
        if (tmax == -INFINITY)
            continue; /* nothing visible to this warp in this tile (warp-uniform) */
        const float mn = fmaxf(m, tmax);
        const float corr = expf(m - mn); /* 0 while m is -inf */
        const float p = sc == -INFINITY ? 0.0f : expf(sc - mn);
        l = l * corr + warp_sum(p);
#pragma unroll
        for (int i = 0; i < NPL; i++)
            acc[i] *= corr;
        for (int j = 0; j < n; j++) {
            const float pj = __shfl_sync(0xffffffffu, p, j);
            const float *vr = Vs + j * stride;
#pragma unroll
            for (int i = 0; i < NPL; i++) {
                const int d = lane + 32 * i;
                if (d < hd)
                    acc[i] += pj * vr[d];
            }
        }
        m = mn;
    }
    if (!active)
        return;
    if (splits == 1) {
        const float inv = 1.0f / l; /* key 0 is always visible: l > 0 */
        float *o = out + (size_t)t * qd + (size_t)h * hd;
#pragma unroll
        for (int i = 0; i < NPL; i++) {
            const int d = lane + 32 * i;
            if (d < hd)
                o[d] = acc[i] * inv;
        }
    } else {
        float *w = work + ((size_t)(t * n_heads + h) * splits + blockIdx.z) * (hd + 2);
        if (lane == 0) {
            w[0] = m;
            w[1] = l;
        }
#pragma unroll
        for (int i = 0; i < NPL; i++) {
            const int d = lane + 32 * i;
            if (d < hd)
                w[2 + d] = acc[i];
        }
    }
}

/* out[t][h] = sum_s e^(m_s - M) acc_s / sum_s e^(m_s - M) l_s; one block per (h, t). */
__global__ void attn_combine_kernel(const float *__restrict__ work, float *out, int n_heads, int hd,
                                    int splits)
{
    const int h = blockIdx.x, t = blockIdx.y;
    const float *w = work + (size_t)(t * n_heads + h) * splits * (hd + 2);
    float M = -INFINITY;
    for (int s = 0; s < splits; s++)
        M = fmaxf(M, w[(size_t)s * (hd + 2)]);
    float L = 0.0f;
    for (int s = 0; s < splits; s++) {
        const float ms = w[(size_t)s * (hd + 2)];
        L += ms == -INFINITY ? 0.0f : expf(ms - M) * w[(size_t)s * (hd + 2) + 1];
    }
    const float inv = 1.0f / L;
    for (int d = threadIdx.x; d < hd; d += blockDim.x) {
        float a = 0.0f;
        for (int s = 0; s < splits; s++) {
            const float ms = w[(size_t)s * (hd + 2)];
            if (ms != -INFINITY)
                a += expf(ms - M) * w[(size_t)s * (hd + 2) + 2 + d];
        }
        out[(size_t)t * n_heads * hd + (size_t)h * hd + d] = a * inv;
    }
}

static size_t att_smem(int hd, int warps)
{
    return (size_t)(2 * ATT_TILE * (hd + 1) + warps * hd) * sizeof(float);
}

extern "C" cudaError_t kern_init(void)
{
    const int bytes = (int)att_smem(ATT_MAX_HD, ATT_MAX_WARPS);
    cudaError_t e;
    if ((e = cudaFuncSetAttribute(attention_kernel<1>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)) ||
        (e = cudaFuncSetAttribute(attention_kernel<2>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)) ||
        (e = cudaFuncSetAttribute(attention_kernel<4>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)) ||
        (e = cudaFuncSetAttribute(attention_kernel<8>, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes)))
        return e;
    return cudaSuccess;
}

extern "C" size_t kern_attention_workspace(int ntok, int n_heads, int head_dim, int splits)
{
    if (splits <= 1)
        return 0;
    return (size_t)ntok * n_heads * splits * (head_dim + 2);
}

extern "C" cudaError_t kern_attention(const float *q, const float *k_cache, const float *v_cache,
                                      float *out, float *work, int ntok, int n_heads, int n_kv_heads,
                                      int head_dim, int splits, const int *d_pos, cudaStream_t s)
{
    if (ntok <= 0 || n_heads <= 0 || n_kv_heads <= 0 || n_heads % n_kv_heads || head_dim <= 0 ||
        head_dim > ATT_MAX_HD || splits < 1 || splits > 65535 || (splits > 1 && !work))
        return cudaErrorInvalidValue;
    const int group = n_heads / n_kv_heads;
    int hpb = 1; /* query heads per block: the largest divisor of group <= 8 */
    for (int c = ATT_MAX_WARPS; c >= 1; c--)
        if (group % c == 0) {
            hpb = c;
            break;
        }
    const int tpb = ntok == 1 ? 1 : ATT_MAX_WARPS / hpb; /* tokens per block */
    const int warps = hpb * tpb;
    const dim3 grid((unsigned)(n_kv_heads * (group / hpb)), (unsigned)((ntok + tpb - 1) / tpb),
                    (unsigned)splits);
    if (grid.y > 65535u)
        return cudaErrorInvalidValue;
    const size_t smem = att_smem(head_dim, warps);
    const float scale = 1.0f / sqrtf((float)head_dim);
    const int npl = (head_dim + 31) / 32;
#define LAUNCH(N)                                                                                 \
    attention_kernel<N><<<grid, warps * 32, smem, s>>>(q, k_cache, v_cache, out, work, ntok,    \
                                                       n_heads, n_kv_heads, head_dim, hpb, tpb, \
                                                       d_pos, scale)
    if (npl <= 1)
        LAUNCH(1);
    else if (npl <= 2)
        LAUNCH(2);
    else if (npl <= 4)
        LAUNCH(4);
    else
        LAUNCH(8);
#undef LAUNCH
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess || splits == 1)
        return e;
    attn_combine_kernel<<<dim3((unsigned)n_heads, (unsigned)ntok), 128, 0, s>>>(work, out, n_heads,
                                                                              head_dim, splits);
    return cudaGetLastError();
}
