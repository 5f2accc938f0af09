/* kvcache_impl.h — private to kvcache*.c: the inner kernels of attention,
 * in a table so that the portable versions (kvcache.c) and the AVX2 ones
 * (kvcache_avx2.c) are interchangeable. Not part of any public interface. */
#ifndef VERSUS_KVCACHE_IMPL_H
#define VERSUS_KVCACHE_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/kvcache.h"

#define KV_TILE 16 /* positions per key tile */

typedef struct KvKernels {
    /* One key tile (KV_TILE positions) of type t to floats kt[d * KV_TILE + j]. */
    void (*k_tile)(KvType t, int hd, const uint8_t *tile, float *kt);
    /* n value rows of type t (row_bytes apart) to floats out[p * hd + d]. */
    void (*v_rows)(KvType t, int hd, const uint8_t *rows, size_t row_bytes, int n, float *out);
    /* s[r * KV_TILE + j] = (q_r . key j) * scale for r < R: q[r] points at
     * row r's hd floats, kt is a tile from k_tile (or an F32 tile). */
    void (*scores)(int hd, const float *kt, const float *const *q, int R, float scale, float *s);
    /* p[j] = exp(s[j] - m) for j < n (0 where s[j] is -INFINITY); returns
     * the sum of the p[j]. */
    float (*exp_sum)(const float *s, float *p, int n, float m);
    /* o[d] = o[d] * keep + sum_{j<n} p[j] * v[j * hd + d] for d < hd. */
    void (*pv)(int hd, const float *p, const float *v, int n, float keep, float *o);
} KvKernels;

extern const KvKernels kv_kernels_ref;

/* One query row of attention over an F32 cache in llama.cpp's order
 * (kvcache_exact.c). */
typedef struct KvExactRow {
    int hd;
    const float *k;  /* the KV head's key tiles (F32) */
    const float *v;  /* the KV head's value rows (F32, hd floats each) */
    int lo, hi;      /* the visible positions */
    float scale;
    float softcap;   /* scores become tanh(score / cap) * cap; 0 = none */
    float sink;      /* an extra logit with no value, or -INFINITY */
    int one_token;   /* the call has one token: llama.cpp's order for a single row */
} KvExactRow;

/* Floats of scratch kv_exact_row needs for a row seeing up to position hi. */
size_t kv_exact_scratch(int hi, int hd);
/* out (hd) = softmax(q . k_j * scale) . v over the row's visible positions. */
void kv_exact_row(const KvExactRow *r, const float *q, float *scratch, float *out);
#if defined(__x86_64__) || defined(__i386__)
#define KV_HAVE_AVX2_FILE 1
extern const KvKernels kv_kernels_avx2;
#endif

#endif
