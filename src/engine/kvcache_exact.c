/* kvcache_exact.c — attention over an F32 KV cache in the order llama.cpp's
 * x86 build computes it (flash attention off), so that versus's logits with
 * an F32 cache are llama.cpp's to the bit, not merely close (issue 12):
 *   - score j = (q . k_j) * scale, the dot product summed as ggml's F32 dot
 *     does: four 8-lane FMA accumulators over 32 dimensions at a time, folded
 *     (a0 + a2) + (a1 + a3), then the 8 lanes as ((l0+l4) + (l1+l5)) +
 *     ((l2+l6) + (l3+l7)); dimensions past the last 32 added one by one;
 *   - softmax over the whole row at once (no running maximum): e_j =
 *     exp(s_j - max) by ggml's vector exp (exp_ref.h), summed 8 positions
 *     at a time (each group folded as ((e0+e4) + (e2+e6)) + ((e1+e5) + (e3+e7))) into a double,
 *     plus exp(sink - max); p_j = e_j * (float)(1 / sum);
 *   - out_d = sum_j p_j v_jd: for a batch of tokens as ggml's tiled F32 GEMM
 *     (one 8-lane FMA accumulator, position j in lane j % 8, lanes folded as
 *     ((l0+l4) + (l2+l6)) + ((l1+l5) + (l3+l7))), for a single token as the
 *     F32 dot product above (llama.cpp uses the GEMM only for two or more).
 * Soft-capped scores (Gemma 2) are tanh(score * (1 / cap)) * cap, as
 * llama.cpp scales, takes tanh and scales back; it applies the attention
 * scale to the queries before the product, which is the same rounding when
 * the scale is a power of two (Gemma 2 2B and 9B: 1/16), not otherwise.
 * Positions outside the visible range contribute exact zeros in llama.cpp
 * (its cache is padded to 256 and masked), so they are skipped here.
 * The same C is compiled twice, plain and with AVX2+FMA (where fmaf is one
 * instruction): both give the same bits; the F16 and Q8_0 caches keep the
 * tiled online softmax of kvcache.c. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/exp_ref.h"
#include "engine/kvcache_impl.h"
#include "engine/quant.h"

#define INLINE static inline __attribute__((always_inline))

/* ggml's 8-lane F32 dot product of n floats (see above). */
INLINE float dot_ref(const float *x, const float *y, int n)
{
    float a[4][8] = { { 0 } };
    int i = 0;
    for (; i + 32 <= n; i += 32)
        for (int b = 0; b < 4; b++)
            for (int l = 0; l < 8; l++)
                a[b][l] = fmaf(x[i + 8 * b + l], y[i + 8 * b + l], a[b][l]);
    float s[8];
    for (int l = 0; l < 8; l++)
        s[l] = (a[0][l] + a[2][l]) + (a[1][l] + a[3][l]);
    float r = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
    for (; i < n; i++)
        r = fmaf(x[i], y[i], r);
    return r;
}

/* The row's attention; s has room for kv_exact_scratch(r) floats. */
INLINE void row_ref(const KvExactRow *r, const float *q, float *s, float *out)
{
    int hd = r->hd, lo = r->lo, hi = r->hi;
    int n8 = (hi / 8 + 1) * 8;
    float *kr = s + n8; /* one key gathered from its tile */
    float max = -INFINITY;
    for (int j = 0; j < n8; j++) {
        if (j < lo || j > hi) {
            s[j] = -INFINITY;
            continue;
        }
        const float *tile = r->k + (size_t)(j / KV_TILE) * hd * KV_TILE;
        for (int d = 0; d < hd; d++)
            kr[d] = tile[d * KV_TILE + j % KV_TILE];
        s[j] = dot_ref(kr, q, hd) * r->scale;
        if (r->softcap > 0)
            s[j] = tanhf(s[j] * (1.0f / r->softcap)) * r->softcap;
        max = s[j] > max ? s[j] : max;
    }
    if (r->sink > max)
        max = r->sink;
    double sum = 0.0;
    for (int g = 0; g < n8; g += 8) {
        float e[8];
        for (int l = 0; l < 8; l++)
            e[l] = s[g + l] == -INFINITY ? 0.0f : exp_ref(s[g + l] - max);
        memcpy(s + g, e, sizeof e);
        sum += (double)(((e[0] + e[4]) + (e[2] + e[6])) + ((e[1] + e[5]) + (e[3] + e[7])));
    }
    if (isfinite(r->sink))
        sum += (double)expf(r->sink - max);
    float inv = (float)(1.0 / sum);
    for (int j = lo; j <= hi; j++)
        s[j] *= inv;
    for (int d = 0; d < hd; d++) {
        if (r->one_token) {
            float a[32] = { 0 };
            for (int j = lo; j <= hi; j++)
                a[j % 32] = fmaf(r->v[(size_t)j * hd + d], s[j], a[j % 32]);
            float t[8];
            for (int l = 0; l < 8; l++)
                t[l] = (a[l] + a[16 + l]) + (a[8 + l] + a[24 + l]);
            out[d] = ((t[0] + t[4]) + (t[1] + t[5])) + ((t[2] + t[6]) + (t[3] + t[7]));
        } else {
            float a[8] = { 0 };
            for (int j = lo; j <= hi; j++)
                a[j % 8] = fmaf(r->v[(size_t)j * hd + d], s[j], a[j % 8]);
            out[d] = ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
        }
    }
}

size_t kv_exact_scratch(int hi, int hd)
{
    return (size_t)(hi / 8 + 1) * 8 + (size_t)hd;
}

static void row_plain(const KvExactRow *r, const float *q, float *s, float *out)
{
    row_ref(r, q, s, out);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma"))) static void row_fma(const KvExactRow *r, const float *q, float *s, float *out)
{
    row_ref(r, q, s, out);
}
#endif

void kv_exact_row(const KvExactRow *r, const float *q, float *s, float *out)
{
#if defined(__x86_64__) || defined(__i386__)
    if (quant_simd_active()) {
        row_fma(r, q, s, out);
        return;
    }
#endif
    row_plain(r, q, s, out);
}
