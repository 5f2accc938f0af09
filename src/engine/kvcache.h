/* kvcache.h — the attention keys and values of every layer, in F32, F16 or
 * Q8_0, and causal attention of new tokens over them on the CPU.
 *
 * Keys are stored per KV head in tiles of 16 positions with the 16 values of
 * each head dimension side by side ("transposed"), so that a score kernel
 * multiplies one query element against 16 positions per vector without a
 * horizontal sum; values are stored per position (one row per KV head). Q8_0
 * rounds each position's 32-dimension blocks as ggml's Q8_0 does (fp16 scale,
 * amax / 127), F16 rounds to nearest even as llama.cpp's F16 cache does.
 *
 * Attention runs as flash attention (online softmax over chunks of
 * positions), all query heads of a KV head (grouped-query attention) at once;
 * the work is split over the thread pool by KV head, query-token block and,
 * for a single token (decode), by range of positions, the ranges merged
 * afterwards. Results do not depend on the thread count. Not for the weights
 * (matmul.h) or the GPU (backend_cuda.h, which keeps its own cache). */
#ifndef VERSUS_KVCACHE_H
#define VERSUS_KVCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ThreadPool ThreadPool;

typedef enum KvType { KV_TYPE_F32, KV_TYPE_F16, KV_TYPE_Q8_0 } KvType;
#define KV_TYPE_DEFAULT KV_TYPE_F16

/* "f32", "f16", "q8_0". */
const char *kv_type_name(KvType t);
/* Parses a name as kv_type_name prints it (case-insensitive); 0, or -1. */
int kv_type_parse(const char *s, KvType *t);

typedef struct KvCache KvCache;

/* A cache for n_layers x n_ctx positions of n_kv_heads heads of head_dim
 * values each (Q8_0 needs head_dim a multiple of 32). NULL with err on a bad
 * shape or out of memory (err gives the size that failed). */
KvCache *kv_cache_new(KvType t, int n_layers, int n_ctx, int n_kv_heads, int head_dim, char *err,
                      size_t errlen);
void kv_cache_free(KvCache *c);
/* Bytes the cache holds (keys and values, every layer). */
uint64_t kv_cache_bytes(const KvCache *c);
/* Bytes a cache of this shape would hold, without allocating it. */
uint64_t kv_cache_bytes_for(KvType t, int n_layers, int n_ctx, int n_kv_heads, int head_dim);
KvType kv_cache_type(const KvCache *c);

/* Stores the keys and values of T tokens at positions pos..pos+T-1 of layer
 * l: k and v are (T, n_kv_heads * head_dim) floats, rounded to the cache's
 * type. The positions must be inside the cache. */
void kv_cache_store(KvCache *c, int layer, int pos, int T, const float *k, const float *v);
/* Reads back key and value of one position and KV head as floats
 * (head_dim each), as attention sees them. */
void kv_cache_read(const KvCache *c, int layer, int pos, int kv_head, float *k, float *v);

/* How one layer attends. */
typedef struct KvAttn {
    int n_heads;          /* query heads, a multiple of the cache's KV heads */
    float scale;          /* scores are (q . k) * scale */
    float softcap;        /* scores become cap * tanh(score / cap); 0 = none */
    const float *sinks;   /* (n_heads) extra logits in each softmax that take no value, or NULL */
    int window;           /* a query at position i sees keys i-window+1..i; 0 = all */
} KvAttn;

/* out (T, n_heads * head_dim) = causal attention of the queries q (T,
 * n_heads * head_dim) of tokens at positions pos..pos+T-1 over the keys and
 * values of layer l at positions 0..pos+t (which must be stored). Uses the
 * pool (NULL = the caller alone). Returns 0, or -1 with err when out of
 * memory for the scratch. */
int kv_cache_attend(KvCache *c, ThreadPool *pool, int layer, const KvAttn *a, const float *q, int T, int pos,
                    float *out, char *err, size_t errlen);

#endif
