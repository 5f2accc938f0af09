/* engine_ref.c — synthetic models and the double-precision reference forward
 * pass shared by the engine's tests (see engine_ref.h). */
#include "engine_ref.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ops.h"
#include "engine/quant.h"

/* ---- building ---------------------------------------------------------------------- */

static uint64_t rng_state;

static float frand(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

/* Quantizes t->f into t->q row by row and replaces t->f by the round trip. */
static void store_rows(RefTensor *t, int from, int to)
{
    size_t row = quant_row_size(t->type, t->ne0);
    for (int r = from; r < to; r++) {
        float *f = t->f + (size_t)r * t->ne0;
        char *q = (char *)t->q + (size_t)r * row;
        cr_assert_eq(quant_quantize_row(t->type, f, q, t->ne0), 0, "%s: cannot quantize", t->name);
        cr_assert_eq(quant_dequantize_row(t->type, q, f, t->ne0), 0, "%s: cannot dequantize", t->name);
    }
}

static int layer_of(const char *name)
{
    int l;
    return sscanf(name, "blk.%d.", &l) == 1 ? l : -1;
}

static void add_tensor(RefModel *y, const char *name, int ne0, int ne1, GgmlType type, float scale, float bias)
{
    cr_assert_lt(y->n, (int)(sizeof y->t / sizeof y->t[0]));
    RefTensor *t = &y->t[y->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    if (y->s.type_of)
        type = y->s.type_of(name, layer_of(name), y->s.n_layers, type);
    t->ne0 = ne0;
    t->ne1 = ne1;
    t->type = type;
    size_t n = (size_t)ne0 * ne1;
    t->f = malloc(n * sizeof(float));
    cr_assert_not_null(t->f);
    for (size_t i = 0; i < n; i++)
        t->f[i] = bias + scale * frand();
    size_t row = quant_row_size(type, ne0);
    cr_assert_gt(row, 0, "%s: %d elements do not fit %s blocks", name, ne0, quant_type_name(type));
    t->nbytes = row * ne1;
    t->q = malloc(t->nbytes);
    cr_assert_not_null(t->q);
    store_rows(t, 0, ne1);
}

void ref_model_build(RefModel *y, const RefSpec *s, uint64_t seed)
{
    memset(y, 0, sizeof *y);
    y->s = *s;
    rng_state = seed;
    int hd = s->dim / s->n_heads, kvd = s->n_kv * hd;
    float ws = 1.0f / sqrtf((float)s->dim);
    add_tensor(y, "token_embd.weight", s->dim, s->vocab, s->etype, 1.0f, 0.0f);
    add_tensor(y, "output_norm.weight", s->dim, 1, s->ntype, 0.2f, 1.0f);
    if (!s->tied)
        add_tensor(y, "output.weight", s->dim, s->vocab, s->wtype, ws, 0.0f);
    if (s->rope_freqs)
        add_tensor(y, "rope_freqs.weight", hd / 2, 1, GGML_TYPE_F32, 0.5f, 2.0f);
    char nm[64];
    for (int l = 0; l < s->n_layers; l++) {
#define ADD(suffix, a, b, type, scale, bias)        \
    snprintf(nm, sizeof nm, "blk.%d.%s", l, suffix); \
    add_tensor(y, nm, a, b, type, scale, bias)
        ADD("attn_norm.weight", s->dim, 1, GGML_TYPE_F32, 0.2f, 1.0f);
        ADD("attn_q.weight", s->dim, s->dim, s->wtype, 2 * ws, 0.0f);
        ADD("attn_k.weight", s->dim, kvd, s->wtype, 2 * ws, 0.0f);
        ADD("attn_v.weight", s->dim, kvd, s->wtype, ws, 0.0f);
        if (s->biases) {
            ADD("attn_q.bias", s->dim, 1, GGML_TYPE_F32, 0.5f, 0.0f);
            ADD("attn_k.bias", kvd, 1, GGML_TYPE_F32, 0.5f, 0.0f);
            ADD("attn_v.bias", kvd, 1, GGML_TYPE_F32, 0.5f, 0.0f);
        }
        ADD("attn_output.weight", s->dim, s->dim, s->wtype, ws, 0.0f);
        ADD("ffn_norm.weight", s->dim, 1, GGML_TYPE_F32, 0.2f, 1.0f);
        ADD("ffn_gate.weight", s->dim, s->hidden, s->wtype, ws, 0.0f);
        ADD("ffn_up.weight", s->dim, s->hidden, s->wtype, ws, 0.0f);
        ADD("ffn_down.weight", s->hidden, s->dim, s->wtype, 1.0f / sqrtf((float)s->hidden), 0.0f);
#undef ADD
    }
}

void ref_model_free(RefModel *y)
{
    for (int i = 0; i < y->n; i++) {
        free(y->t[i].f);
        free(y->t[i].q);
    }
    free(y->file);
    memset(y, 0, sizeof *y);
}

RefTensor *ref_model_find(const RefModel *y, const char *name)
{
    for (int i = 0; i < y->n; i++)
        if (strcmp(y->t[i].name, name) == 0)
            return (RefTensor *)&y->t[i];
    return NULL;
}

void ref_model_set_row(RefModel *y, const char *name, int row, const double *vals)
{
    RefTensor *t = ref_model_find(y, name);
    cr_assert_not_null(t, "no tensor %s", name);
    cr_assert(row >= 0 && row < t->ne1);
    for (int i = 0; i < t->ne0; i++)
        t->f[(size_t)row * t->ne0 + i] = (float)vals[i];
    store_rows(t, row, row + 1);
}

/* ---- writing ----------------------------------------------------------------------- */

void ref_model_add_to_writer(const RefModel *y, GgufWriter *w)
{
    const RefSpec *s = &y->s;
    char key[96];
    int rc = gguf_writer_add_string(w, "general.architecture", s->arch);
#define KU(suffix, v) (snprintf(key, sizeof key, "%s.%s", s->arch, suffix), gguf_writer_add_u32(w, key, (uint32_t)(v)))
#define KF(suffix, v) (snprintf(key, sizeof key, "%s.%s", s->arch, suffix), gguf_writer_add_f32(w, key, v))
    rc |= KU("context_length", s->ctx);
    rc |= KU("embedding_length", s->dim);
    rc |= KU("block_count", s->n_layers);
    rc |= KU("feed_forward_length", s->meta_hidden ? s->meta_hidden : s->hidden);
    rc |= KU("attention.head_count", s->n_heads);
    rc |= KU("attention.head_count_kv", s->n_kv);
    rc |= KF("rope.freq_base", s->freq_base);
    rc |= KF("attention.layer_norm_rms_epsilon", s->eps);
#undef KU
#undef KF
    for (int i = 0; i < y->n; i++) {
        const RefTensor *t = &y->t[i];
        uint64_t ne[2] = { (uint64_t)t->ne0, (uint64_t)t->ne1 };
        rc |= gguf_writer_add_tensor(w, t->name, t->type, t->ne1 == 1 ? 1 : 2, ne, t->q);
    }
    cr_assert_eq(rc, 0, "the GGUF writer refused the model (see the write call's error)");
}

void ref_model_to_memory(RefModel *y)
{
    GgufWriter *w = gguf_writer_new();
    cr_assert_not_null(w);
    ref_model_add_to_writer(y, w);
    void *data;
    size_t size;
    char err[512];
    cr_assert_eq(gguf_writer_write_memory(w, &data, &size, err, sizeof err), 0, "%s", err);
    gguf_writer_free(w);
    free(y->file);
    y->size = size;
    y->file = aligned_alloc(64, (size + 63) / 64 * 64);
    cr_assert_not_null(y->file);
    memcpy(y->file, data, size);
    free(data);
}

/* ---- the reference forward pass (double precision, whole sequence) ----------------- */

/* The engine's own rmsnorm (ops.h), the one CPU implementation, on doubles. */
static void ref_rmsnorm(double *out, const double *x, const float *w, int n, double eps)
{
    float *f = malloc((size_t)n * sizeof *f);
    cr_assert_not_null(f);
    for (int i = 0; i < n; i++)
        f[i] = (float)x[i];
    ops_rmsnorm(f, f, w, n, (float)eps);
    for (int i = 0; i < n; i++)
        out[i] = f[i];
    free(f);
}

/* y[r] = W[r] . x (+ b[r]) */
static void ref_matvec(double *out, const RefTensor *W, const double *x, const RefTensor *b)
{
    for (int r = 0; r < W->ne1; r++) {
        double s = b ? b->f[r] : 0.0;
        for (int i = 0; i < W->ne0; i++)
            s += (double)W->f[(size_t)r * W->ne0 + i] * x[i];
        out[r] = s;
    }
}

/* The engine's own rotary embedding (ops.h), the one CPU implementation. */
static void ref_rope(double *v, int n_heads, int hd, int pos, bool neox, double base, const RefTensor *freqs)
{
    OpsRope r;
    cr_assert_eq(ops_rope_init(&r, hd, neox, (float)base, 1.0f, freqs ? freqs->f : NULL, 0.0f, 1.0f, 0, 32.0f, 1.0f), 0);
    float *f = malloc((size_t)n_heads * hd * sizeof *f);
    cr_assert_not_null(f);
    for (int i = 0; i < n_heads * hd; i++)
        f[i] = (float)v[i];
    ops_rope(&r, f, n_heads, hd, pos);
    for (int i = 0; i < n_heads * hd; i++)
        v[i] = f[i];
    free(f);
}

void ref_model_forward(const RefModel *y, const int *tok, int n, double *logits, double *hidden)
{
    const RefSpec *s = &y->s;
    int D = s->dim, H = s->hidden, hd = D / s->n_heads, kvd = s->n_kv * hd;
    bool neox = strcmp(s->arch, "qwen2") == 0;
    double *x = calloc((size_t)n * D, sizeof(double)), *xb = malloc(D * sizeof(double));
    double *K = malloc((size_t)n * kvd * sizeof(double)), *V = malloc((size_t)n * kvd * sizeof(double));
    double *Q = malloc((size_t)n * D * sizeof(double)), *att = malloc((size_t)n * D * sizeof(double));
    double *g = malloc(H * sizeof(double)), *u = malloc(H * sizeof(double)), *o = malloc(D * sizeof(double));
    double *sc = malloc(n * sizeof(double));
    cr_assert(x && xb && K && V && Q && att && g && u && o && sc);
    const RefTensor *emb = ref_model_find(y, "token_embd.weight");
    const RefTensor *freqs = ref_model_find(y, "rope_freqs.weight");
    for (int t = 0; t < n; t++) {
        cr_assert(tok[t] >= 0 && tok[t] < s->vocab, "token %d out of range", tok[t]);
        for (int i = 0; i < D; i++)
            x[t * D + i] = emb->f[(size_t)tok[t] * D + i];
    }
    char nm[64];
#define L(suffix) (snprintf(nm, sizeof nm, "blk.%d.%s", l, suffix), ref_model_find(y, nm))
    for (int l = 0; l < s->n_layers; l++) {
        for (int t = 0; t < n; t++) {
            ref_rmsnorm(xb, x + t * D, L("attn_norm.weight")->f, D, s->eps);
            ref_matvec(Q + t * D, L("attn_q.weight"), xb, L("attn_q.bias"));
            ref_matvec(K + t * kvd, L("attn_k.weight"), xb, L("attn_k.bias"));
            ref_matvec(V + t * kvd, L("attn_v.weight"), xb, L("attn_v.bias"));
            ref_rope(Q + t * D, s->n_heads, hd, t, neox, s->freq_base, freqs);
            ref_rope(K + t * kvd, s->n_kv, hd, t, neox, s->freq_base, freqs);
        }
        for (int t = 0; t < n; t++) {
            for (int h = 0; h < s->n_heads; h++) {
                int kh = h / (s->n_heads / s->n_kv);
                double mx = -1e300, sum = 0;
                for (int p = 0; p <= t; p++) {
                    double d = 0;
                    for (int i = 0; i < hd; i++)
                        d += Q[t * D + h * hd + i] * K[p * kvd + kh * hd + i];
                    sc[p] = d / sqrt((double)hd);
                    mx = fmax(mx, sc[p]);
                }
                for (int p = 0; p <= t; p++)
                    sum += (sc[p] = exp(sc[p] - mx));
                for (int i = 0; i < hd; i++) {
                    double a = 0;
                    for (int p = 0; p <= t; p++)
                        a += sc[p] / sum * V[p * kvd + kh * hd + i];
                    att[t * D + h * hd + i] = a;
                }
            }
        }
        for (int t = 0; t < n; t++) {
            ref_matvec(o, L("attn_output.weight"), att + t * D, NULL);
            for (int i = 0; i < D; i++)
                x[t * D + i] += o[i];
            ref_rmsnorm(xb, x + t * D, L("ffn_norm.weight")->f, D, s->eps);
            ref_matvec(g, L("ffn_gate.weight"), xb, NULL);
            ref_matvec(u, L("ffn_up.weight"), xb, NULL);
            for (int i = 0; i < H; i++)
                g[i] = g[i] / (1 + exp(-g[i])) * u[i];
            ref_matvec(o, L("ffn_down.weight"), g, NULL);
            for (int i = 0; i < D; i++)
                x[t * D + i] += o[i];
        }
    }
#undef L
    ref_rmsnorm(xb, x + (size_t)(n - 1) * D, ref_model_find(y, "output_norm.weight")->f, D, s->eps);
    if (hidden)
        memcpy(hidden, xb, D * sizeof(double));
    const RefTensor *out = s->tied ? emb : ref_model_find(y, "output.weight");
    ref_matvec(logits, out, xb, NULL);
    free(x); free(xb); free(K); free(V); free(Q); free(att); free(g); free(u); free(o); free(sc);
}

double ref_logits_worst(const float *got, const double *ref, int n, double *range)
{
    double lo = 1e300, hi = -1e300, worst = 0;
    for (int i = 0; i < n; i++) {
        lo = fmin(lo, ref[i]);
        hi = fmax(hi, ref[i]);
        worst = fmax(worst, fabs(got[i] - ref[i]));
    }
    if (range)
        *range = hi - lo;
    return worst;
}
