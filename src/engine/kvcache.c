/* kvcache.c — the KV cache and CPU attention (see kvcache.h): layouts,
 * storing rows, the work split of attention and the merge of its partial
 * results, plus the portable versions of the inner kernels (the AVX2 ones are
 * in kvcache_avx2.c and are used when quant_simd_active()).
 *
 * Layout, per layer and KV head: keys in tiles of KV_TILE positions; a tile
 * holds element (d, j) (head dimension d, position 16 * tile + j) at
 * d * KV_TILE + j, in F32 or F16, or for Q8_0 as int8 followed by the fp16
 * scales of each position's 32-dimension blocks (block b of position j at
 * b * KV_TILE + j). Values: one row per position, hd floats or halves, or
 * hd / 32 ggml Q8_0 blocks. */
#include "engine/kvcache.h"

#include <assert.h>

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine/kvcache_impl.h"
#include "engine/quant.h"
#include "engine/threadpool.h"
#include "util/errmsg.h"

#define KV_CHUNK 128   /* positions per softmax chunk (a multiple of KV_TILE) */
#define KV_MIN_SPLIT 64 /* positions per item at least, when a token's range is split */
#define KV_MIN_ITEMS 8  /* work items wanted per call (ranges are split to get there) */
static_assert(sizeof(float *) <= 2 * sizeof(float), "a query pointer fits in two floats of scratch");

struct KvCache {
    KvType type;
    int n_layers, n_ctx, n_kv, hd;
    int n_tiles;           /* ceil(n_ctx / KV_TILE) */
    size_t k_tile_bytes;   /* one key tile of one head */
    size_t v_row_bytes;    /* one value row of one head */
    size_t k_head_bytes;   /* n_tiles * k_tile_bytes */
    size_t v_head_bytes;   /* n_ctx * v_row_bytes */
    uint8_t *k, *v;        /* (n_layers, n_kv, head bytes) */
    float *part;           /* attend: partial results, (items, rows, hd + 2) */
    size_t part_cap;       /* floats */
    float *scratch;        /* attend: per-thread scratch */
    size_t scratch_cap;    /* floats */
};

static const char *const KV_NAMES[] = { "f32", "f16", "q8_0" };

const char *kv_type_name(KvType t)
{
    return (unsigned)t < 3 ? KV_NAMES[t] : "unknown";
}

int kv_type_parse(const char *s, KvType *t)
{
    for (int i = 0; i < 3; i++)
        if (s && strcasecmp(s, KV_NAMES[i]) == 0) {
            *t = (KvType)i;
            return 0;
        }
    return -1;
}

static size_t k_tile_bytes(KvType t, int hd)
{
    switch (t) {
    case KV_TYPE_F32: return (size_t)hd * KV_TILE * 4;
    case KV_TYPE_F16: return (size_t)hd * KV_TILE * 2;
    default: return (size_t)hd * KV_TILE + (size_t)(hd / 32) * KV_TILE * 2;
    }
}

static size_t v_row_bytes(KvType t, int hd)
{
    switch (t) {
    case KV_TYPE_F32: return (size_t)hd * 4;
    case KV_TYPE_F16: return (size_t)hd * 2;
    default: return (size_t)(hd / 32) * sizeof(BlockQ8_0);
    }
}

uint64_t kv_cache_bytes_for(KvType t, int n_layers, int n_ctx, int n_kv_heads, int head_dim)
{
    uint64_t tiles = ((uint64_t)n_ctx + KV_TILE - 1) / KV_TILE;
    return (uint64_t)n_layers * n_kv_heads *
           (tiles * k_tile_bytes(t, head_dim) + (uint64_t)n_ctx * v_row_bytes(t, head_dim));
}

KvCache *kv_cache_new(KvType t, int n_layers, int n_ctx, int n_kv_heads, int head_dim, char *err,
                      size_t errlen)
{
    if ((unsigned)t > KV_TYPE_Q8_0 || n_layers < 1 || n_ctx < 1 || n_kv_heads < 1 || head_dim < 1) {
        errmsg_set(err, errlen, "KV cache: bad shape (%d layers, %d positions, %d heads of %d)", n_layers, n_ctx,
                   n_kv_heads, head_dim);
        return NULL;
    }
    if (t == KV_TYPE_Q8_0 && head_dim % 32) {
        errmsg_set(err, errlen, "a q8_0 KV cache needs a head size that is a multiple of 32 (this model's is %d); "
                   "use --kv-type f16", head_dim);
        return NULL;
    }
    KvCache *c = calloc(1, sizeof *c);
    if (!c) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    *c = (KvCache){ .type = t, .n_layers = n_layers, .n_ctx = n_ctx, .n_kv = n_kv_heads, .hd = head_dim,
                    .n_tiles = (n_ctx + KV_TILE - 1) / KV_TILE };
    c->k_tile_bytes = k_tile_bytes(t, head_dim);
    c->v_row_bytes = v_row_bytes(t, head_dim);
    c->k_head_bytes = (size_t)c->n_tiles * c->k_tile_bytes;
    c->v_head_bytes = (size_t)n_ctx * c->v_row_bytes;
    size_t heads = (size_t)n_layers * n_kv_heads;
    c->k = calloc(heads, c->k_head_bytes);
    c->v = calloc(heads, c->v_head_bytes);
    if (!c->k || !c->v) {
        errmsg_set(err, errlen, "out of memory for a %s KV cache of %d tokens (%.1f MiB)", kv_type_name(t), n_ctx,
                   (double)kv_cache_bytes(c) / 1048576.0);
        kv_cache_free(c);
        return NULL;
    }
    return c;
}

void kv_cache_free(KvCache *c)
{
    if (!c)
        return;
    free(c->k);
    free(c->v);
    free(c->part);
    free(c->scratch);
    free(c);
}

uint64_t kv_cache_bytes(const KvCache *c)
{
    return (uint64_t)c->n_layers * c->n_kv * (c->k_head_bytes + c->v_head_bytes);
}

KvType kv_cache_type(const KvCache *c)
{
    return c->type;
}

static uint8_t *k_head(const KvCache *c, int layer, int h)
{
    return c->k + ((size_t)layer * c->n_kv + h) * c->k_head_bytes;
}

static uint8_t *v_head(const KvCache *c, int layer, int h)
{
    return c->v + ((size_t)layer * c->n_kv + h) * c->v_head_bytes;
}

/* ---- storing ------------------------------------------------------------------------ */

/* ggml's Q8_0 rounding of 32 floats: d = amax / 127, q = round(x / d). */
static void q8_0_block(const float *x, uint16_t *d_out, int8_t *q)
{
    float amax = 0.0f;
    for (int i = 0; i < 32; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
    for (int i = 0; i < 32; i++)
        q[i] = (int8_t)roundf(x[i] * id);
    *d_out = quant_fp32_to_fp16(d);
}

static void store_key(KvCache *c, uint8_t *head, int p, const float *k)
{
    uint8_t *tile = head + (size_t)(p / KV_TILE) * c->k_tile_bytes;
    int j = p % KV_TILE, hd = c->hd;
    switch (c->type) {
    case KV_TYPE_F32:
        for (int d = 0; d < hd; d++)
            ((float *)tile)[d * KV_TILE + j] = k[d];
        break;
    case KV_TYPE_F16:
        for (int d = 0; d < hd; d++)
            ((uint16_t *)tile)[d * KV_TILE + j] = quant_fp32_to_fp16(k[d]);
        break;
    default: {
        uint16_t *scales = (uint16_t *)(tile + (size_t)hd * KV_TILE);
        for (int b = 0; b < hd / 32; b++) {
            int8_t q[32];
            q8_0_block(k + 32 * b, &scales[b * KV_TILE + j], q);
            for (int i = 0; i < 32; i++)
                ((int8_t *)tile)[(32 * b + i) * KV_TILE + j] = q[i];
        }
        break;
    }
    }
}

static void store_value(KvCache *c, uint8_t *head, int p, const float *v)
{
    uint8_t *row = head + (size_t)p * c->v_row_bytes;
    switch (c->type) {
    case KV_TYPE_F32:
        memcpy(row, v, (size_t)c->hd * sizeof(float));
        break;
    case KV_TYPE_F16:
        for (int d = 0; d < c->hd; d++)
            ((uint16_t *)row)[d] = quant_fp32_to_fp16(v[d]);
        break;
    default:
        for (int b = 0; b < c->hd / 32; b++) {
            BlockQ8_0 *blk = (BlockQ8_0 *)row + b;
            q8_0_block(v + 32 * b, &blk->d, blk->qs);
        }
        break;
    }
}

void kv_cache_store(KvCache *c, int layer, int pos, int T, const float *k, const float *v)
{
    size_t kvd = (size_t)c->n_kv * c->hd;
    for (int h = 0; h < c->n_kv; h++) {
        uint8_t *kh = k_head(c, layer, h), *vh = v_head(c, layer, h);
        for (int t = 0; t < T; t++) {
            store_key(c, kh, pos + t, k + t * kvd + (size_t)h * c->hd);
            store_value(c, vh, pos + t, v + t * kvd + (size_t)h * c->hd);
        }
    }
}

/* ---- portable kernels ------------------------------------------------------------------ */

static void ref_k_tile(KvType t, int hd, const uint8_t *tile, float *kt)
{
    int n = hd * KV_TILE;
    if (t == KV_TYPE_F32) {
        memcpy(kt, tile, (size_t)n * sizeof(float));
    } else if (t == KV_TYPE_F16) {
        for (int i = 0; i < n; i++)
            kt[i] = quant_fp16_to_fp32(((const uint16_t *)tile)[i]);
    } else {
        const uint16_t *scales = (const uint16_t *)(tile + n);
        for (int d = 0; d < hd; d++)
            for (int j = 0; j < KV_TILE; j++)
                kt[d * KV_TILE + j] = (float)((const int8_t *)tile)[d * KV_TILE + j] *
                                      quant_fp16_to_fp32(scales[(d / 32) * KV_TILE + j]);
    }
}

static void ref_v_rows(KvType t, int hd, const uint8_t *rows, size_t row_bytes, int n, float *out)
{
    for (int p = 0; p < n; p++) {
        const uint8_t *row = rows + (size_t)p * row_bytes;
        float *o = out + (size_t)p * hd;
        if (t == KV_TYPE_F32)
            memcpy(o, row, (size_t)hd * sizeof(float));
        else if (t == KV_TYPE_F16)
            for (int d = 0; d < hd; d++)
                o[d] = quant_fp16_to_fp32(((const uint16_t *)row)[d]);
        else
            quant_dequantize_row(GGML_TYPE_Q8_0, row, o, hd);
    }
}

static void ref_scores(int hd, const float *kt, const float *const *q, int R, float scale, float *s)
{
    for (int r = 0; r < R; r++)
        for (int j = 0; j < KV_TILE; j++) {
            float acc = 0.0f;
            for (int d = 0; d < hd; d++)
                acc += q[r][d] * kt[d * KV_TILE + j];
            s[r * KV_TILE + j] = acc * scale;
        }
}

static float ref_exp_sum(const float *s, float *p, int n, float m)
{
    double sum = 0.0;
    for (int j = 0; j < n; j++) {
        p[j] = s[j] == -INFINITY ? 0.0f : expf(s[j] - m);
        sum += p[j];
    }
    return (float)sum;
}

static void ref_pv(int hd, const float *p, const float *v, int n, float keep, float *o)
{
    for (int d = 0; d < hd; d++) {
        float acc = o[d] * keep;
        for (int j = 0; j < n; j++)
            acc += p[j] * v[(size_t)j * hd + d];
        o[d] = acc;
    }
}

const KvKernels kv_kernels_ref = {
    .k_tile = ref_k_tile, .v_rows = ref_v_rows, .scores = ref_scores, .exp_sum = ref_exp_sum, .pv = ref_pv,
};

static const KvKernels *kernels(void)
{
#ifdef KV_HAVE_AVX2_FILE
    if (quant_simd_active())
        return &kv_kernels_avx2;
#endif
    return &kv_kernels_ref;
}

void kv_cache_read(const KvCache *c, int layer, int pos, int kv_head, float *k, float *v)
{
    float *kt = malloc((size_t)c->hd * KV_TILE * sizeof *kt);
    if (!kt)
        return;
    const uint8_t *tile = k_head(c, layer, kv_head) + (size_t)(pos / KV_TILE) * c->k_tile_bytes;
    ref_k_tile(c->type, c->hd, tile, kt);
    for (int d = 0; d < c->hd; d++)
        k[d] = kt[d * KV_TILE + pos % KV_TILE];
    free(kt);
    ref_v_rows(c->type, c->hd, v_head(c, layer, kv_head) + (size_t)pos * c->v_row_bytes, c->v_row_bytes, 1, v);
}

/* ---- attention ----------------------------------------------------------------------- */

typedef struct AttnJob {
    KvCache *c;
    const KvKernels *kk;
    int layer, T, pos;
    const KvAttn *a;
    const float *q;
    float *out;
    int G;               /* query heads per KV head */
    int TQ;              /* query tokens per item */
    int n_tb;            /* token blocks */
    int n_split;         /* position ranges per (head, token block) */
    int n_items;
    size_t part_stride;  /* floats per item in c->part */
    size_t scratch_stride; /* floats of scratch per thread */
    atomic_int next;
} AttnJob;

/* Positions token t (0-based in the batch) may see: [lo, hi]. */
static void visible(const AttnJob *j, int t, int *lo, int *hi)
{
    *hi = j->pos + t;
    *lo = j->a->window > 0 && *hi - j->a->window + 1 > 0 ? *hi - j->a->window + 1 : 0;
}

/* Scratch of one thread: kt (hd x KV_TILE), v (KV_CHUNK x hd), s (rows x
 * KV_CHUNK), tile scores (rows x KV_TILE), p (KV_CHUNK), q pointers (rows). */
static size_t scratch_floats(int hd, int rows)
{
    return (size_t)hd * KV_TILE + (size_t)KV_CHUNK * hd + (size_t)rows * KV_CHUNK + (size_t)rows * KV_TILE +
           KV_CHUNK + (size_t)rows * 2 + 64; /* q pointers: 2 floats each */
}

/* One item: KV head hk, tokens [t0, t1), the s-th of n_split ranges of their
 * positions. Writes per row (token, query head in the group) m, l and the
 * unnormalized output O into part, or with a single range the final output. */
static void attend_item(AttnJob *j, int item, float *scr)
{
    KvCache *c = j->c;
    const KvKernels *kk = j->kk;
    int hd = c->hd, G = j->G, qd = j->a->n_heads * hd;
    int split = item % j->n_split, tb = (item / j->n_split) % j->n_tb, hk = item / j->n_split / j->n_tb;
    int t0 = tb * j->TQ, t1 = t0 + j->TQ < j->T ? t0 + j->TQ : j->T;
    int R = (t1 - t0) * G;
    /* the union of the rows' visible ranges, then this item's share of it, tile-aligned */
    int lo = 0, hi = 0, l0, h0;
    for (int t = t0; t < t1; t++) {
        visible(j, t, &l0, &h0);
        lo = t == t0 || l0 < lo ? l0 : lo;
        hi = t == t0 || h0 > hi ? h0 : hi;
    }
    int first_tile = lo / KV_TILE, n_tiles = hi / KV_TILE - first_tile + 1;
    int per = (n_tiles + j->n_split - 1) / j->n_split;
    int p_lo = (first_tile + split * per) * KV_TILE, p_hi = (first_tile + (split + 1) * per) * KV_TILE;
    if (p_lo < lo)
        p_lo = lo;
    if (p_hi > hi + 1)
        p_hi = hi + 1;

    float *kt = scr, *vb = kt + (size_t)hd * KV_TILE, *S = vb + (size_t)KV_CHUNK * hd;
    float *ts = S + (size_t)R * KV_CHUNK, *P = ts + (size_t)R * KV_TILE;
    const float **qr = (const float **)(void *)(((uintptr_t)(P + KV_CHUNK) + 15) & ~(uintptr_t)15);
    float *part = c->part + (size_t)item * j->part_stride;
    for (int r = 0; r < R; r++) {
        int t = t0 + r / G, h = hk * G + r % G;
        qr[r] = j->q + (size_t)t * qd + (size_t)h * hd;
        float *row = part + (size_t)r * (hd + 2);
        row[0] = -INFINITY; /* m */
        row[1] = 0.0f;      /* l */
        memset(row + 2, 0, (size_t)hd * sizeof(float));
    }
    const uint8_t *khead = k_head(c, j->layer, hk), *vhead = v_head(c, j->layer, hk);
    for (int cs = p_lo; cs < p_hi; cs = (cs / KV_CHUNK + 1) * KV_CHUNK) {
        int ce = (cs / KV_CHUNK + 1) * KV_CHUNK < p_hi ? (cs / KV_CHUNK + 1) * KV_CHUNK : p_hi, n = ce - cs;
        /* scores of the chunk: whole tiles, keeping the columns in [cs, ce) */
        for (int tile = cs / KV_TILE; tile * KV_TILE < ce; tile++) {
            const uint8_t *kp = khead + (size_t)tile * c->k_tile_bytes;
            const float *ktf = (const float *)(const void *)kp;
            if (c->type != KV_TYPE_F32) {
                kk->k_tile(c->type, hd, kp, kt);
                ktf = kt;
            }
            kk->scores(hd, ktf, qr, R, j->a->scale, ts);
            int a = tile * KV_TILE > cs ? tile * KV_TILE : cs;
            int b = (tile + 1) * KV_TILE < ce ? (tile + 1) * KV_TILE : ce;
            for (int r = 0; r < R; r++)
                memcpy(S + (size_t)r * KV_CHUNK + (a - cs), ts + (size_t)r * KV_TILE + (a - tile * KV_TILE),
                       (size_t)(b - a) * sizeof(float));
        }
        kk->v_rows(c->type, hd, vhead + (size_t)cs * c->v_row_bytes, c->v_row_bytes, n, vb);
        for (int r = 0; r < R; r++) {
            float *s = S + (size_t)r * KV_CHUNK, *row = part + (size_t)r * (hd + 2);
            int rl, rh;
            visible(j, t0 + r / G, &rl, &rh);
            float cmax = -INFINITY;
            for (int i = 0; i < n; i++) {
                int p = cs + i;
                if (p < rl || p > rh) {
                    s[i] = -INFINITY;
                    continue;
                }
                if (j->a->softcap > 0)
                    s[i] = j->a->softcap * tanhf(s[i] / j->a->softcap);
                if (s[i] > cmax)
                    cmax = s[i];
            }
            if (cmax == -INFINITY)
                continue;
            float m = row[0] > cmax ? row[0] : cmax;
            float keep = row[0] == -INFINITY ? 0.0f : expf(row[0] - m);
            row[1] = row[1] * keep + kk->exp_sum(s, P, n, m);
            kk->pv(hd, P, vb, n, keep, row + 2);
            row[0] = m;
        }
    }
    if (j->n_split > 1)
        return;
    for (int r = 0; r < R; r++) { /* one range: normalize straight into out */
        int t = t0 + r / G, h = hk * G + r % G;
        const float *row = part + (size_t)r * (hd + 2);
        float l = row[1];
        if (j->a->sinks && isfinite(j->a->sinks[h]))
            l += expf(j->a->sinks[h] - row[0]);
        float inv = l > 0 ? 1.0f / l : 0.0f, *o = j->out + (size_t)t * qd + (size_t)h * hd;
        for (int d = 0; d < hd; d++)
            o[d] = row[2 + d] * inv;
    }
}

static void attend_job(void *arg, int ith, int nth)
{
    (void)nth;
    AttnJob *j = arg;
    float *scr = j->c->scratch + (size_t)ith * j->scratch_stride;
    for (int it; (it = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->n_items;)
        attend_item(j, it, scr);
}

/* Several ranges of one (head, token block): out = sum_i O_i e^(m_i - M) /
 * (sum_i l_i e^(m_i - M) + sink). */
static void merge(AttnJob *j)
{
    int hd = j->c->hd, G = j->G, qd = j->a->n_heads * hd;
    for (int hk = 0; hk < j->c->n_kv; hk++)
        for (int tb = 0; tb < j->n_tb; tb++) {
            int t0 = tb * j->TQ, t1 = t0 + j->TQ < j->T ? t0 + j->TQ : j->T;
            int base = (hk * j->n_tb + tb) * j->n_split;
            for (int r = 0; r < (t1 - t0) * G; r++) {
                int t = t0 + r / G, h = hk * G + r % G;
                float M = -INFINITY;
                for (int s = 0; s < j->n_split; s++) {
                    float m = j->c->part[(size_t)(base + s) * j->part_stride + (size_t)r * (hd + 2)];
                    M = m > M ? m : M;
                }
                float *o = j->out + (size_t)t * qd + (size_t)h * hd, l = 0.0f;
                memset(o, 0, (size_t)hd * sizeof *o);
                for (int s = 0; s < j->n_split; s++) {
                    const float *row = j->c->part + (size_t)(base + s) * j->part_stride + (size_t)r * (hd + 2);
                    if (row[0] == -INFINITY)
                        continue;
                    float w = expf(row[0] - M);
                    l += row[1] * w;
                    for (int d = 0; d < hd; d++)
                        o[d] += row[2 + d] * w;
                }
                if (j->a->sinks && isfinite(j->a->sinks[h]))
                    l += expf(j->a->sinks[h] - M);
                float inv = l > 0 ? 1.0f / l : 0.0f;
                for (int d = 0; d < hd; d++)
                    o[d] *= inv;
            }
        }
}

/* ---- F32 caches: llama.cpp's order (kvcache_exact.c), one row per item ------------- */

typedef struct ExactJob {
    const KvCache *c;
    const KvAttn *a;
    int layer, T, pos;
    const float *q;
    float *out;
    size_t stride; /* scratch floats per thread */
    atomic_int next;
} ExactJob;

static void exact_job(void *arg, int ith, int nth)
{
    (void)nth;
    ExactJob *j = arg;
    const KvCache *c = j->c;
    int hd = c->hd, H = j->a->n_heads, G = H / c->n_kv, n = j->T * H;
    float *scr = c->scratch + (size_t)ith * j->stride;
    for (int it; (it = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < n;) {
        int t = it / H, h = it % H, hk = h / G, hi = j->pos + t, w = j->a->window;
        KvExactRow r = { .hd = hd, .k = (const float *)(const void *)k_head(c, j->layer, hk),
                         .v = (const float *)(const void *)v_head(c, j->layer, hk),
                         .lo = w > 0 && hi - w + 1 > 0 ? hi - w + 1 : 0, .hi = hi, .scale = j->a->scale,
                         .softcap = j->a->softcap,
                         .sink = j->a->sinks ? j->a->sinks[h] : -INFINITY, .one_token = j->T == 1 };
        size_t off = ((size_t)t * H + h) * hd;
        kv_exact_row(&r, j->q + off, scr, j->out + off);
    }
}

static int attend_exact(KvCache *c, ThreadPool *pool, int layer, const KvAttn *a, const float *q, int T, int pos,
                        float *out, char *err, size_t errlen)
{
    ExactJob j = { .c = c, .a = a, .layer = layer, .T = T, .pos = pos, .q = q, .out = out };
    j.stride = (kv_exact_scratch(pos + T - 1, c->hd) + 15) / 16 * 16;
    size_t need = j.stride * (size_t)threadpool_size(pool);
    if (need > c->scratch_cap) {
        free(c->scratch);
        c->scratch = aligned_alloc(64, need * sizeof(float));
        c->scratch_cap = c->scratch ? need : 0;
    }
    if (!c->scratch) {
        errmsg_set(err, errlen, "out of memory for attention scratch");
        return -1;
    }
    atomic_init(&j.next, 0);
    threadpool_run_dynamic(pool, exact_job, &j);
    return 0;
}

int kv_cache_attend(KvCache *c, ThreadPool *pool, int layer, const KvAttn *a, const float *q, int T, int pos,
                    float *out, char *err, size_t errlen)
{
    if (c->type == KV_TYPE_F32)
        return attend_exact(c, pool, layer, a, q, T, pos, out, err, errlen);
    int nt = threadpool_size(pool), G = a->n_heads / c->n_kv;
    AttnJob j = { .c = c, .kk = kernels(), .layer = layer, .T = T, .pos = pos, .a = a, .q = q, .out = out,
                  .G = G };
    /* about 32 query rows per item; split positions when there are too few
     * items to keep several threads busy (decode), each range >= KV_MIN_SPLIT */
    j.TQ = 32 / G > 0 ? 32 / G : 1;
    if (j.TQ > T)
        j.TQ = T;
    j.n_tb = (T + j.TQ - 1) / j.TQ;
    int items = c->n_kv * j.n_tb, span = pos + T;
    j.n_split = 1;
    if (items < KV_MIN_ITEMS) { /* a fixed count, not the thread count: same results for any */
        j.n_split = (KV_MIN_ITEMS + items - 1) / items;
        int most = span / KV_MIN_SPLIT > 1 ? span / KV_MIN_SPLIT : 1;
        if (j.n_split > most)
            j.n_split = most;
    }
    j.n_items = items * j.n_split;
    int R = j.TQ * G;
    j.part_stride = (size_t)R * (c->hd + 2);
    j.scratch_stride = (scratch_floats(c->hd, R) + 15) / 16 * 16;
    size_t need_part = j.part_stride * (size_t)j.n_items, need_scr = j.scratch_stride * (size_t)nt;
    if (need_part > c->part_cap) {
        free(c->part);
        c->part = malloc(need_part * sizeof(float));
        c->part_cap = c->part ? need_part : 0;
    }
    if (need_scr > c->scratch_cap) {
        free(c->scratch);
        c->scratch = aligned_alloc(64, need_scr * sizeof(float));
        c->scratch_cap = c->scratch ? need_scr : 0;
    }
    if (!c->part || !c->scratch) {
        errmsg_set(err, errlen, "out of memory for attention scratch");
        return -1;
    }
    atomic_init(&j.next, 0);
    threadpool_run_dynamic(pool, attend_job, &j);
    if (j.n_split > 1)
        merge(&j);
    return 0;
}
