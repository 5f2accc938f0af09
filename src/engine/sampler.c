/* sampler.c — next-token selection (see sampler.h): penalty, temperature,
 * top-k by a bounded heap, softmax, min-p, top-p over the few candidates
 * that can matter, and a PCG32 draw. Candidate work is O(n_vocab) plus
 * O(k log k) — never a sort of the whole vocabulary per token. */
#include "engine/sampler.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct Cand {
    int id;
    float v; /* logit, then probability */
} Cand;

struct Sampler {
    SamplerParams p;
    int n_vocab;
    uint64_t state, inc;  /* PCG32 */
    Cand *cand;           /* (n_vocab) */
    uint32_t *seen;       /* (n_vocab) stamp per token for the penalty */
    uint32_t stamp;
};

SamplerParams sampler_params_default(void)
{
    return (SamplerParams){ .temperature = 0.8f, .top_k = 40, .top_p = 0.95f, .min_p = 0.05f,
                            .repeat_penalty = 1.0f, .repeat_last_n = 64, .seed = 0 };
}

/* PCG32 (O'Neill, pcg-random.org): XSH RR output of a 64-bit LCG. */
static uint32_t pcg32(Sampler *s)
{
    uint64_t old = s->state;
    s->state = old * 6364136223846793005ull + s->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18u) ^ old) >> 27u);
    uint32_t rot = (uint32_t)(old >> 59u);
    return (xorshifted >> rot) | (xorshifted << ((-rot) & 31));
}

/* Uniform in [0, 1) with 32 bits of resolution. */
static double uniform(Sampler *s)
{
    return pcg32(s) * (1.0 / 4294967296.0);
}

Sampler *sampler_new(const SamplerParams *p, int n_vocab)
{
    if (n_vocab < 1)
        return NULL;
    Sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->p = p ? *p : sampler_params_default();
    s->n_vocab = n_vocab;
    s->cand = malloc((size_t)n_vocab * sizeof *s->cand);
    s->seen = calloc((size_t)n_vocab, sizeof *s->seen);
    if (!s->cand || !s->seen) {
        sampler_free(s);
        return NULL;
    }
    /* the reference seeding: inc from a fixed stream id, two steps around the seed */
    s->inc = (0xda3e39cb94b95bdbull << 1u) | 1u;
    pcg32(s);
    s->state += s->p.seed;
    pcg32(s);
    return s;
}

void sampler_free(Sampler *s)
{
    if (!s)
        return;
    free(s->cand);
    free(s->seen);
    free(s);
}

int sampler_argmax(const float *logits, int n)
{
    int best = 0;
    while (best < n - 1 && isnan(logits[best]))
        best++;
    for (int i = best + 1; i < n; i++)
        if (logits[i] > logits[best])
            best = i;
    return best;
}

static void apply_penalty(Sampler *s, float *logits, const int *hist, size_t n_hist)
{
    float pen = s->p.repeat_penalty;
    if (pen == 1.0f || !(pen > 0.0f) || s->p.repeat_last_n <= 0 || !hist || n_hist == 0)
        return;
    if (++s->stamp == 0) { /* wrapped: clear the stamps once every 2^32 calls */
        memset(s->seen, 0, (size_t)s->n_vocab * sizeof *s->seen);
        s->stamp = 1;
    }
    size_t from = n_hist > (size_t)s->p.repeat_last_n ? n_hist - (size_t)s->p.repeat_last_n : 0;
    for (size_t i = from; i < n_hist; i++) {
        int t = hist[i];
        if (t < 0 || t >= s->n_vocab || s->seen[t] == s->stamp)
            continue;
        s->seen[t] = s->stamp;
        logits[t] = logits[t] > 0.0f ? logits[t] / pen : logits[t] * pen;
    }
}

/* "a ranks before b": larger value, then lower id. */
static bool before(const Cand *a, const Cand *b)
{
    return a->v > b->v || (a->v == b->v && a->id < b->id);
}

static int cmp_cand(const void *a, const void *b)
{
    const Cand *x = a, *y = b;
    return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

/* Min-heap on `before` (the root is the worst kept candidate). */
static void heap_down(Cand *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && before(&h[w], &h[l]))
            w = l;
        if (r < n && before(&h[w], &h[r]))
            w = r;
        if (w == i)
            return;
        Cand t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

/* Keeps the k best of the n_vocab logits in s->cand[0..k). */
static int select_top_k(Sampler *s, const float *logits, int k)
{
    Cand *h = s->cand;
    int n = 0;
    for (int i = 0; i < s->n_vocab; i++) {
        Cand c = { i, logits[i] };
        if (isnan(c.v))
            continue;
        if (n < k) {
            h[n++] = c;
            if (n == k)
                for (int j = k / 2 - 1; j >= 0; j--)
                    heap_down(h, k, j);
        } else if (before(&c, &h[0])) {
            h[0] = c;
            heap_down(h, k, 0);
        }
    }
    return n;
}

int sampler_sample(Sampler *s, float *logits, const int *history, size_t n_history)
{
    apply_penalty(s, logits, history, n_history);
    const SamplerParams *p = &s->p;
    if (!(p->temperature > 0.0f))
        return sampler_argmax(logits, s->n_vocab);

    int n;
    if (p->top_k > 0 && p->top_k < s->n_vocab) {
        n = select_top_k(s, logits, p->top_k);
    } else {
        n = 0;
        for (int i = 0; i < s->n_vocab; i++)
            if (!isnan(logits[i]))
                s->cand[n++] = (Cand){ i, logits[i] };
    }
    if (n == 0)
        return sampler_argmax(logits, s->n_vocab);
    Cand *c = s->cand;
    /* softmax at the temperature */
    float maxv = c[0].v;
    for (int i = 1; i < n; i++)
        if (c[i].v > maxv)
            maxv = c[i].v;
    double sum = 0.0;
    float inv_t = 1.0f / p->temperature;
    for (int i = 0; i < n; i++) {
        c[i].v = expf((c[i].v - maxv) * inv_t);
        sum += c[i].v;
    }
    /* min-p and the top-p pre-cut: no token below either threshold can be kept */
    double pmax = 1.0 / sum; /* the max logit has weight exp(0) = 1 */
    double cut = 0.0;
    if (p->min_p > 0.0f)
        cut = p->min_p * pmax;
    if (p->top_p < 1.0f && n > 1) {
        double nucleus_cut = (1.0 - p->top_p) / (n - 1);
        if (nucleus_cut > cut)
            cut = nucleus_cut;
    }
    int best = 0;
    for (int i = 1; i < n; i++)
        if (before(&c[i], &c[best]))
            best = i;
    int m = 0;
    for (int i = 0; i < n; i++) {
        double prob = c[i].v / sum;
        if (prob >= cut || i == best) /* the most likely token always stays */
            c[m++] = (Cand){ c[i].id, (float)prob };
    }
    if (p->top_p < 1.0f) {
        qsort(c, (size_t)m, sizeof *c, cmp_cand);
        double cum = 0.0;
        int keep = m;
        for (int i = 0; i < m; i++) {
            cum += c[i].v;
            if (cum >= p->top_p) {
                keep = i + 1;
                break;
            }
        }
        m = keep;
    }
    double total = 0.0;
    for (int i = 0; i < m; i++)
        total += c[i].v;
    double r = uniform(s) * total, acc = 0.0;
    for (int i = 0; i < m; i++) {
        acc += c[i].v;
        if (r < acc)
            return c[i].id;
    }
    return c[m - 1].id;
}
