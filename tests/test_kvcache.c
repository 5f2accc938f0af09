/* test_kvcache.c — the KV cache (kvcache.h): what is stored reads back as
 * the cache's type rounds it (F32 exact, F16 round-to-nearest-even, Q8_0 as
 * ggml's blocks), and attention over it equals a plain double-precision
 * softmax attention over the values read back — for every cache type,
 * grouped heads (1, 3 and 8 per KV head), decode (one token, long context:
 * the positions split across items) and prefill (several tokens, causal),
 * sliding windows, soft-capping and sinks; the same for any thread count
 * and with or without SIMD. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/kvcache.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

static uint64_t rng_state = 0xA0761D6478BD642Full;

static float rnd(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static const KvType TYPES[] = { KV_TYPE_F32, KV_TYPE_F16, KV_TYPE_Q8_0 };

Test(kvcache, names_parse_and_print)
{
    KvType t;
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(kv_type_parse(kv_type_name(TYPES[i]), &t), 0);
        cr_assert_eq(t, TYPES[i]);
    }
    cr_assert_eq(kv_type_parse("Q8_0", &t), 0);
    cr_assert_eq(t, KV_TYPE_Q8_0);
    cr_assert_eq(kv_type_parse("q4_0", &t), -1);
    cr_assert_eq(kv_type_parse(NULL, &t), -1);
    cr_assert_eq(KV_TYPE_DEFAULT, KV_TYPE_F16);
}

Test(kvcache, sizes_halve_for_f16_and_match_ggml_for_q8_0)
{
    uint64_t f32 = kv_cache_bytes_for(KV_TYPE_F32, 22, 4096, 4, 64);
    cr_assert_eq(f32, 2ull * 22 * 4096 * 4 * 64 * 4);
    cr_assert_eq(kv_cache_bytes_for(KV_TYPE_F16, 22, 4096, 4, 64), f32 / 2);
    cr_assert_eq(kv_cache_bytes_for(KV_TYPE_Q8_0, 22, 4096, 4, 64), 2ull * 22 * 4096 * 4 * 68);
    char err[256] = "";
    KvCache *c = kv_cache_new(KV_TYPE_Q8_0, 1, 16, 1, 80, err, sizeof err);
    cr_assert_null(c);
    cr_assert(strstr(err, "multiple of 32") && strstr(err, "f16"), "q8_0 with head size 80: %s", err);
    c = kv_cache_new(KV_TYPE_F16, 2, 33, 3, 64, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    cr_assert_eq(kv_cache_bytes(c), kv_cache_bytes_for(KV_TYPE_F16, 2, 33, 3, 64));
    kv_cache_free(c);
}

Test(kvcache, stored_rows_read_back_as_the_type_rounds_them)
{
    const int hd = 64, nkv = 2, n = 21;
    float k[2 * 64], v[2 * 64], rk[64], rv[64];
    for (int ti = 0; ti < 3; ti++) {
        char err[256];
        KvCache *c = kv_cache_new(TYPES[ti], 2, n, nkv, hd, err, sizeof err);
        cr_assert_not_null(c, "%s", err);
        for (int p = 0; p < n; p++) {
            for (int i = 0; i < nkv * hd; i++) {
                k[i] = rnd() * 3.0f;
                v[i] = rnd() * 3.0f;
            }
            kv_cache_store(c, 1, p, 1, k, v);
            for (int h = 0; h < nkv; h++) {
                kv_cache_read(c, 1, p, h, rk, rv);
                float want_k[64], want_v[64];
                if (TYPES[ti] == KV_TYPE_Q8_0) {
                    BlockQ8_0 b[2];
                    quant_quantize_row(GGML_TYPE_Q8_0, k + h * hd, b, hd);
                    quant_dequantize_row(GGML_TYPE_Q8_0, b, want_k, hd);
                    quant_quantize_row(GGML_TYPE_Q8_0, v + h * hd, b, hd);
                    quant_dequantize_row(GGML_TYPE_Q8_0, b, want_v, hd);
                }
                for (int d = 0; d < hd; d++) {
                    float wk = k[h * hd + d], wv = v[h * hd + d];
                    if (TYPES[ti] == KV_TYPE_F16) {
                        wk = quant_fp16_to_fp32(quant_fp32_to_fp16(wk));
                        wv = quant_fp16_to_fp32(quant_fp32_to_fp16(wv));
                    } else if (TYPES[ti] == KV_TYPE_Q8_0) {
                        wk = want_k[d];
                        wv = want_v[d];
                    }
                    /* Q8_0: the reference quantizer may round a tie the other way: one step apart at most */
                    float tol = TYPES[ti] == KV_TYPE_Q8_0 ? 3.0f / 127.0f * 1.0001f : 0.0f;
                    cr_expect(fabsf(rk[d] - wk) <= tol, "%s key p=%d h=%d d=%d: %g vs %g", kv_type_name(TYPES[ti]),
                              p, h, d, rk[d], wk);
                    cr_expect(fabsf(rv[d] - wv) <= tol, "%s value p=%d h=%d d=%d: %g vs %g",
                              kv_type_name(TYPES[ti]), p, h, d, rv[d], wv);
                }
            }
        }
        kv_cache_free(c);
    }
}

typedef struct Shape {
    int n_heads, n_kv, hd, T, pos, window;
    float softcap;
    bool sinks;
} Shape;

/* Attention of q over what the cache returns, in double. */
static void reference(KvCache *c, const Shape *s, const KvAttn *a, const float *q, float *out)
{
    int hd = s->hd, G = s->n_heads / s->n_kv, span = s->pos + s->T;
    float *K = malloc(sizeof(float) * (size_t)span * s->n_kv * hd), *V = malloc(sizeof(float) * (size_t)span * s->n_kv * hd);
    double *sc = malloc(sizeof(double) * (size_t)span);
    for (int p = 0; p < span; p++)
        for (int h = 0; h < s->n_kv; h++)
            kv_cache_read(c, 0, p, h, K + ((size_t)p * s->n_kv + h) * hd, V + ((size_t)p * s->n_kv + h) * hd);
    for (int t = 0; t < s->T; t++)
        for (int h = 0; h < s->n_heads; h++) {
            int last = s->pos + t, first = s->window && last - s->window + 1 > 0 ? last - s->window + 1 : 0;
            const float *qr = q + ((size_t)t * s->n_heads + h) * hd;
            double mx = a->sinks ? a->sinks[h] : -INFINITY;
            for (int p = first; p <= last; p++) {
                const float *kr = K + ((size_t)p * s->n_kv + h / G) * hd;
                double d = 0;
                for (int i = 0; i < hd; i++)
                    d += (double)qr[i] * kr[i];
                d *= a->scale;
                if (a->softcap > 0)
                    d = a->softcap * tanh(d / a->softcap);
                sc[p] = d;
                mx = d > mx ? d : mx;
            }
            double sum = a->sinks ? exp(a->sinks[h] - mx) : 0.0;
            for (int p = first; p <= last; p++)
                sum += (sc[p] = exp(sc[p] - mx));
            float *o = out + ((size_t)t * s->n_heads + h) * hd;
            for (int i = 0; i < hd; i++) {
                double acc = 0;
                for (int p = first; p <= last; p++)
                    acc += sc[p] * V[((size_t)p * s->n_kv + h / G) * hd + i];
                o[i] = (float)(acc / sum);
            }
        }
    free(K);
    free(V);
    free(sc);
}

/* Fills layer 0 with pos + T random rows, attends with `pool`, returns the output. */
static float *attend(KvType t, const Shape *s, ThreadPool *pool, float **ref_out)
{
    rng_state = 0xA0761D6478BD642Full; /* the same data every call */
    char err[256];
    int span = s->pos + s->T, kvd = s->n_kv * s->hd, qd = s->n_heads * s->hd;
    KvCache *c = kv_cache_new(t, 1, span + 7, s->n_kv, s->hd, err, sizeof err);
    cr_assert_not_null(c, "%s", err);
    float *k = malloc(sizeof(float) * (size_t)span * kvd), *v = malloc(sizeof(float) * (size_t)span * kvd);
    for (int i = 0; i < span * kvd; i++) {
        k[i] = rnd();
        v[i] = rnd();
    }
    kv_cache_store(c, 0, 0, s->pos, k, v);
    kv_cache_store(c, 0, s->pos, s->T, k + (size_t)s->pos * kvd, v + (size_t)s->pos * kvd);
    float *q = malloc(sizeof(float) * (size_t)s->T * qd), *out = malloc(sizeof(float) * (size_t)s->T * qd);
    for (int i = 0; i < s->T * qd; i++)
        q[i] = rnd() * 2.0f;
    float sinks[64];
    for (int h = 0; h < 64; h++)
        sinks[h] = rnd();
    KvAttn a = { .n_heads = s->n_heads, .scale = 1.0f / sqrtf((float)s->hd), .softcap = s->softcap,
                 .sinks = s->sinks ? sinks : NULL, .window = s->window };
    cr_assert_eq(kv_cache_attend(c, pool, 0, &a, q, s->T, s->pos, out, err, sizeof err), 0, "%s", err);
    if (ref_out) {
        *ref_out = malloc(sizeof(float) * (size_t)s->T * qd);
        reference(c, s, &a, q, *ref_out);
    }
    free(k);
    free(v);
    free(q);
    kv_cache_free(c);
    return out;
}

static const Shape SHAPES[] = {
    { 8, 1, 64, 1, 300, 0, 0, false },     /* decode, one KV head: the positions split */
    { 32, 4, 64, 1, 1000, 0, 0, false },   /* TinyLlama-like decode */
    { 9, 3, 64, 1, 77, 0, 0, false },      /* SmolLM2-like, three heads per KV head */
    { 4, 4, 32, 5, 0, 0, 0, false },       /* prefill from position 0 */
    { 8, 2, 64, 13, 37, 0, 0, false },     /* prefill after a prompt */
    { 8, 2, 64, 40, 0, 16, 0, false },     /* sliding window inside the batch */
    { 4, 1, 64, 3, 200, 50, 30.0f, true }, /* window, soft-capping and sinks */
    { 2, 1, 128, 2, 20, 0, 0, true },
    { 8, 4, 8, 300, 0, 0, 0, false },      /* stories260K-like heads of 8, a long prefill over chunk edges */
    { 8, 2, 64, 64, 200, 0, 0, false },    /* a prefill chunk deep in the cache */
};

Test(kvcache, attention_matches_a_double_precision_softmax_for_every_type)
{
    ThreadPool *pool = threadpool_new(2);
    for (int ti = 0; ti < 3; ti++)
        for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++) {
            const Shape *s = &SHAPES[si];
            if (TYPES[ti] == KV_TYPE_Q8_0 && s->hd % 32)
                continue; /* q8_0 needs heads of a multiple of 32 */
            float *ref, *out = attend(TYPES[ti], s, pool, &ref);
            for (int i = 0; i < s->T * s->n_heads * s->hd; i++)
                cr_expect(fabsf(out[i] - ref[i]) <= 2e-5f, "%s shape %zu output %d: %.8g vs %.8g",
                          kv_type_name(TYPES[ti]), si, i, out[i], ref[i]);
            free(out);
            free(ref);
        }
    threadpool_free(pool);
}

Test(kvcache, results_do_not_depend_on_the_thread_count)
{
    ThreadPool *p3 = threadpool_new(3);
    for (int ti = 0; ti < 3; ti++)
        for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++) {
            const Shape *s = &SHAPES[si];
            if (TYPES[ti] == KV_TYPE_Q8_0 && s->hd % 32)
                continue; /* q8_0 needs heads of a multiple of 32 */
            float *a = attend(TYPES[ti], s, NULL, NULL), *b = attend(TYPES[ti], s, p3, NULL);
            cr_expect_eq(memcmp(a, b, sizeof(float) * (size_t)s->T * s->n_heads * s->hd), 0,
                         "%s shape %zu differs between 1 and 3 threads", kv_type_name(TYPES[ti]), si);
            free(a);
            free(b);
        }
    threadpool_free(p3);
}

Test(kvcache, simd_and_portable_kernels_agree)
{
    for (int ti = 0; ti < 3; ti++)
        for (size_t si = 0; si < sizeof SHAPES / sizeof SHAPES[0]; si++) {
            const Shape *s = &SHAPES[si];
            if (TYPES[ti] == KV_TYPE_Q8_0 && s->hd % 32)
                continue; /* q8_0 needs heads of a multiple of 32 */
            bool had = quant_set_simd(true);
            float *a = attend(TYPES[ti], s, NULL, NULL);
            quant_set_simd(false);
            float *b = attend(TYPES[ti], s, NULL, NULL);
            quant_set_simd(had);
            for (int i = 0; i < s->T * s->n_heads * s->hd; i++)
                cr_expect(fabsf(a[i] - b[i]) <= 1e-5f, "%s shape %zu output %d: simd %.8g vs portable %.8g",
                          kv_type_name(TYPES[ti]), si, i, a[i], b[i]);
            free(a);
            free(b);
        }
}
