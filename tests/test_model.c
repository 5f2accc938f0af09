/* test_model.c — the forward pass: greedy tokens of the real stories260K model
 * against the llama.cpp oracle, and logits of small generated models (qwen2
 * biases, NeoX RoPE, GQA, tied/untied output, quantized weights, rope_freqs)
 * against a plain reference forward pass written here in double precision. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

/* ---- helpers ----------------------------------------------------------------- */

static char *shared_path(const char *rel)
{
    const char *sh = getenv("VERSUS_SHARED");
    if (!sh || !*sh)
        return NULL;
    size_t n = strlen(sh) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", sh, rel);
    return p;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    p[n] = '\0';
    fclose(f);
    return p;
}

static int argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best])
            best = i;
    return best;
}

static int json_ints(const cJSON *arr, int *out, int cap)
{
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        cr_assert(n < cap);
        out[n++] = it->valueint;
    }
    return n;
}

/* ---- the oracle --------------------------------------------------------------- */

static void run_oracle(ThreadPool *pool, int batch)
{
    char *mp = shared_path("models/stories260K.gguf");
    char *op = shared_path("oracle/stories260K_greedy.json");
    if (!mp)
        cr_skip_test("VERSUS_SHARED not set");
    char err[512];
    GgufFile *g = gguf_open(mp, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ModelOptions mo = { .n_ctx = 0, .batch = batch, .pool = pool };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    const ModelConfig *c = model_config(m);
    cr_assert_eq(c->n_vocab, 512);
    cr_assert_eq(c->n_ctx, 2048); /* min(context_length 2048, 4096) */
    cr_assert_eq(c->n_kv_heads, 4);
    cr_assert(!c->tied_output);
    char *text = read_text(op);
    cJSON *root = cJSON_Parse(text);
    cr_assert_not_null(root);
    const cJSON *cases = cJSON_GetObjectItem(root, "greedy");
    int n_cases = 0;
    const cJSON *cs;
    cJSON_ArrayForEach(cs, cases)
    {
        int prompt[64], want[256], got[256];
        int np = json_ints(cJSON_GetObjectItem(cs, "prompt_ids"), prompt, 64);
        int nw = json_ints(cJSON_GetObjectItem(cJSON_GetObjectItem(cs, "gen64"), "ids"), want, 256);
        cr_assert_gt(np, 0);
        cr_assert_gt(nw, 0);
        cr_assert_eq(model_forward(m, prompt, np, 0, err, sizeof err), 0, "%s", err);
        int pos = np;
        for (int i = 0; i < nw; i++) {
            got[i] = argmax(model_logits(m), c->n_vocab);
            cr_assert_eq(got[i], want[i], "case '%s': token %d is %d, oracle says %d",
                         cJSON_GetObjectItem(cs, "prompt")->valuestring, i, got[i], want[i]);
            cr_assert_eq(model_forward(m, &got[i], 1, pos++, err, sizeof err), 0, "%s", err);
        }
        n_cases++;
    }
    cr_assert_gt(n_cases, 0);
    cJSON_Delete(root);
    free(text);
    model_free(m);
    gguf_close(g);
    free(mp);
    free(op);
}

Test(model, stories260k_greedy_matches_llama_cpp_oracle)
{
    run_oracle(NULL, 0);
}

Test(model, stories260k_oracle_holds_with_threads_and_tiny_chunks)
{
    ThreadPool *pool = threadpool_new(2);
    run_oracle(pool, 2);
    threadpool_free(pool);
}

Test(model, stories260k_refuses_context_overflow_and_bad_tokens)
{
    char *mp = shared_path("models/stories260K.gguf");
    if (!mp)
        cr_skip_test("VERSUS_SHARED not set");
    char err[512];
    GgufFile *g = gguf_open(mp, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ModelOptions mo = { .n_ctx = 8 };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    cr_assert_eq(model_config(m)->n_ctx, 8);
    int toks[9] = { 1, 403, 407, 261, 378, 432, 383, 286, 261 };
    cr_assert_eq(model_forward(m, toks, 9, 0, err, sizeof err), -1);
    cr_assert(strstr(err, "context"), "%s", err);
    cr_assert_eq(model_forward(m, toks, 8, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_forward(m, toks, 1, 8, err, sizeof err), -1);
    int bad = 512;
    cr_assert_eq(model_forward(m, &bad, 1, 0, err, sizeof err), -1);
    cr_assert(strstr(err, "outside the vocabulary"), "%s", err);
    bad = -1;
    cr_assert_eq(model_forward(m, &bad, 1, 0, err, sizeof err), -1);
    cr_assert_gt(model_weight_bytes(m), 1000000);
    cr_assert_lt(model_weight_bytes(m), 1185376);
    cr_assert_eq(model_kv_bytes(m), 2ull * 5 * 8 * 32 * 4);
    cr_assert_str_eq(model_weight_type(m), "F32");
    model_free(m);
    gguf_close(g);
    free(mp);
}

/* ---- a tiny GGUF writer ---------------------------------------------------------- */

typedef struct Wr {
    unsigned char *p;
    size_t len, cap;
} Wr;

static void w_bytes(Wr *w, const void *b, size_t n)
{
    if (w->len + n > w->cap) {
        w->cap = (w->len + n) * 2 + 1024;
        w->p = realloc(w->p, w->cap);
    }
    memcpy(w->p + w->len, b, n);
    w->len += n;
}
static void w_u32(Wr *w, uint32_t v) { w_bytes(w, &v, 4); }
static void w_u64(Wr *w, uint64_t v) { w_bytes(w, &v, 8); }
static void w_str(Wr *w, const char *s) { w_u64(w, strlen(s)); w_bytes(w, s, strlen(s)); }
static void kv_u32(Wr *w, const char *k, uint32_t v) { w_str(w, k); w_u32(w, GGUF_TYPE_UINT32); w_u32(w, v); }
static void kv_f32(Wr *w, const char *k, float v) { w_str(w, k); w_u32(w, GGUF_TYPE_FLOAT32); w_bytes(w, &v, 4); }
static void kv_str(Wr *w, const char *k, const char *v) { w_str(w, k); w_u32(w, GGUF_TYPE_STRING); w_str(w, v); }

/* A synthetic model: shapes, types, and the weights as F32 (after a quantize/
 * dequantize round trip, so the reference sees exactly what the file holds). */
typedef struct Spec {
    const char *arch;
    int dim, hidden, n_layers, n_heads, n_kv, vocab, ctx;
    bool tied, biases, rope_freqs;
    GgmlType wtype;   /* layer matrices and output */
    GgmlType etype;   /* token_embd */
    GgmlType ntype;   /* norms (F32 in every real file) */
    int meta_hidden;  /* feed_forward_length written in the metadata, 0 = hidden */
    int batch;        /* prefill chunk the engine uses, 0 = 3 */
    float freq_base, eps;
} Spec;

typedef struct Tensor {
    char name[64];
    int ne0, ne1;     /* ne1 = 1 for vectors */
    GgmlType type;
    float *f;         /* (ne1, ne0) values as stored (dequantized) */
    void *q;          /* stored bytes */
    size_t nbytes;
} Tensor;

typedef struct Synth {
    Spec s;
    Tensor t[256];
    int n;
    unsigned char *file; /* aligned */
    size_t size;
} Synth;

static uint64_t rng_state;
static float frand(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static Tensor *add_tensor(Synth *y, const char *name, int ne0, int ne1, GgmlType type, float scale, float bias)
{
    Tensor *t = &y->t[y->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ne0 = ne0;
    t->ne1 = ne1;
    t->type = type;
    size_t n = (size_t)ne0 * ne1;
    t->f = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        t->f[i] = bias + scale * frand();
    size_t row = quant_row_size(type, ne0);
    cr_assert_gt(row, 0);
    t->nbytes = row * ne1;
    t->q = malloc(t->nbytes);
    for (int r = 0; r < ne1; r++) {
        cr_assert_eq(quant_quantize_row(type, t->f + (size_t)r * ne0, (char *)t->q + r * row, ne0), 0);
        cr_assert_eq(quant_dequantize_row(type, (char *)t->q + r * row, t->f + (size_t)r * ne0, ne0), 0);
    }
    return t;
}

static const Tensor *find(const Synth *y, const char *name)
{
    for (int i = 0; i < y->n; i++)
        if (strcmp(y->t[i].name, name) == 0)
            return &y->t[i];
    return NULL;
}

static void synth_build(Synth *y, const Spec *s, uint64_t seed)
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
#define ADD(suffix, a, b, type, scale, bias)                 \
    snprintf(nm, sizeof nm, "blk.%d.%s", l, suffix);          \
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
    Wr w = { 0 };
    w_u32(&w, 0x46554747u);
    w_u32(&w, 3);
    w_u64(&w, (uint64_t)y->n);
    w_u64(&w, 9);
    char key[96];
    kv_str(&w, "general.architecture", s->arch);
#define KU(suffix, v) snprintf(key, sizeof key, "%s.%s", s->arch, suffix), kv_u32(&w, key, (uint32_t)(v))
#define KF(suffix, v) snprintf(key, sizeof key, "%s.%s", s->arch, suffix), kv_f32(&w, key, v)
    KU("context_length", s->ctx);
    KU("embedding_length", s->dim);
    KU("block_count", s->n_layers);
    KU("feed_forward_length", s->meta_hidden ? s->meta_hidden : s->hidden);
    KU("attention.head_count", s->n_heads);
    KU("attention.head_count_kv", s->n_kv);
    KF("rope.freq_base", s->freq_base);
    KF("attention.layer_norm_rms_epsilon", s->eps);
#undef KU
#undef KF
    uint64_t off = 0;
    for (int i = 0; i < y->n; i++) {
        Tensor *t = &y->t[i];
        w_str(&w, t->name);
        w_u32(&w, t->ne1 == 1 ? 1 : 2);
        w_u64(&w, (uint64_t)t->ne0);
        if (t->ne1 != 1)
            w_u64(&w, (uint64_t)t->ne1);
        w_u32(&w, t->type);
        w_u64(&w, off);
        off += (t->nbytes + 31) / 32 * 32;
    }
    while (w.len % 32)
        w_bytes(&w, "", 1);
    for (int i = 0; i < y->n; i++) {
        Tensor *t = &y->t[i];
        w_bytes(&w, t->q, t->nbytes);
        while (w.len % 32)
            w_bytes(&w, "", 1);
    }
    y->size = w.len;
    y->file = aligned_alloc(64, (w.len + 63) / 64 * 64);
    memcpy(y->file, w.p, w.len);
    free(w.p);
}

static void synth_free(Synth *y)
{
    for (int i = 0; i < y->n; i++) {
        free(y->t[i].f);
        free(y->t[i].q);
    }
    free(y->file);
}

/* ---- the reference forward pass (double precision, whole sequence) ---------- */

static void ref_rmsnorm(double *out, const double *x, const float *w, int n, double eps)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += x[i] * x[i];
    double sc = 1.0 / sqrt(ss / n + eps);
    for (int i = 0; i < n; i++)
        out[i] = x[i] * sc * w[i];
}

/* y[r] = W[r] . x (+ b[r]) */
static void ref_matvec(double *y, const Tensor *W, const double *x, const Tensor *b)
{
    for (int r = 0; r < W->ne1; r++) {
        double s = b ? b->f[r] : 0.0;
        for (int i = 0; i < W->ne0; i++)
            s += (double)W->f[(size_t)r * W->ne0 + i] * x[i];
        y[r] = s;
    }
}

static void ref_rope(double *v, int n_heads, int hd, int pos, bool neox, double base, const Tensor *freqs)
{
    for (int h = 0; h < n_heads; h++) {
        double *x = v + h * hd;
        for (int i = 0; i < hd / 2; i++) {
            double theta = pos * pow(base, -2.0 * i / hd);
            if (freqs)
                theta /= freqs->f[i];
            int a = neox ? i : 2 * i, b = neox ? i + hd / 2 : 2 * i + 1;
            double x0 = x[a], x1 = x[b];
            x[a] = x0 * cos(theta) - x1 * sin(theta);
            x[b] = x0 * sin(theta) + x1 * cos(theta);
        }
    }
}

/* Logits (vocab) of the last of n tokens. */
static void ref_forward(const Synth *y, const int *tok, int n, double *logits)
{
    const Spec *s = &y->s;
    int D = s->dim, H = s->hidden, hd = D / s->n_heads, kvd = s->n_kv * hd;
    bool neox = strcmp(s->arch, "qwen2") == 0;
    double *x = calloc((size_t)n * D, sizeof(double)), *xb = malloc(D * sizeof(double));
    double *K = malloc((size_t)n * kvd * sizeof(double)), *V = malloc((size_t)n * kvd * sizeof(double));
    double *Q = malloc((size_t)n * D * sizeof(double)), *att = malloc((size_t)n * D * sizeof(double));
    double *g = malloc(H * sizeof(double)), *u = malloc(H * sizeof(double)), *o = malloc(D * sizeof(double));
    double *sc = malloc(n * sizeof(double));
    const Tensor *emb = find(y, "token_embd.weight");
    const Tensor *freqs = find(y, "rope_freqs.weight");
    for (int t = 0; t < n; t++)
        for (int i = 0; i < D; i++)
            x[t * D + i] = emb->f[(size_t)tok[t] * D + i];
    char nm[64];
#define L(suffix) (snprintf(nm, sizeof nm, "blk.%d.%s", l, suffix), find(y, nm))
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
    ref_rmsnorm(xb, x + (n - 1) * D, find(y, "output_norm.weight")->f, D, s->eps);
    const Tensor *out = s->tied ? emb : find(y, "output.weight");
    ref_matvec(logits, out, xb, NULL);
    free(x); free(xb); free(K); free(V); free(Q); free(att); free(g); free(u); free(o); free(sc);
}

/* Engine vs reference after a prefill of 7 tokens (in chunks of 3) and after
 * each of 4 single-token decode steps; tol is relative to the logit range. */
static void check_against_reference(const Spec *s, double tol, ThreadPool *pool)
{
    Synth y;
    synth_build(&y, s, 0x1234567ull + (uint64_t)s->dim * 31 + (uint64_t)s->n_kv);
    char err[512];
    GgufFile *g = gguf_open_memory(y.file, y.size, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    ModelOptions mo = { .n_ctx = 32, .batch = s->batch ? s->batch : 3, .pool = pool };
    Model *m = model_new(g, &mo, err, sizeof err);
    cr_assert_not_null(m, "%s", err);
    const ModelConfig *c = model_config(m);
    cr_assert_eq(c->tied_output, s->tied);
    cr_assert_eq(c->rope_type, strcmp(s->arch, "qwen2") == 0 ? MODEL_ROPE_NEOX : MODEL_ROPE_NORM);
    int tok[11] = { 1, 5, 9, 2, 17, 3, 30, 7, 11, 0, 25 };
    double *ref = malloc((size_t)s->vocab * sizeof(double));
    for (int step = 0; step < 5; step++) {
        int n = 7 + step;
        if (step == 0)
            cr_assert_eq(model_forward(m, tok, 7, 0, err, sizeof err), 0, "%s", err);
        else
            cr_assert_eq(model_forward(m, &tok[n - 1], 1, n - 1, err, sizeof err), 0, "%s", err);
        ref_forward(&y, tok, n, ref);
        const float *lg = model_logits(m);
        double lo = 1e300, hi = -1e300, worst = 0;
        for (int i = 0; i < s->vocab; i++) {
            lo = fmin(lo, ref[i]);
            hi = fmax(hi, ref[i]);
            worst = fmax(worst, fabs(lg[i] - ref[i]));
        }
        cr_assert_gt(hi - lo, 0.1, "degenerate logits");
        cr_assert_leq(worst, tol * (hi - lo), "%s/%s step %d: logits differ by %g (range %g)", s->arch,
                      gguf_type_name(s->wtype), step, worst, hi - lo);
    }
    free(ref);
    model_free(m);
    gguf_close(g);
    synth_free(&y);
}

static Spec base_spec(const char *arch)
{
    return (Spec){ .arch = arch, .dim = 64, .hidden = 96, .n_layers = 2, .n_heads = 4, .n_kv = 4,
                   .vocab = 40, .ctx = 128, .wtype = GGML_TYPE_F32, .etype = GGML_TYPE_F32,
                   .freq_base = 10000.0f, .eps = 1e-5f };
}

Test(model, llama_f32_untied_mha_matches_reference)
{
    Spec s = base_spec("llama");
    check_against_reference(&s, 1e-5, NULL);
}

Test(model, llama_f32_tied_gqa_4_to_1_matches_reference)
{
    Spec s = base_spec("llama");
    s.tied = true;
    s.n_heads = 8;
    s.n_kv = 2;
    ThreadPool *pool = threadpool_new(2);
    check_against_reference(&s, 1e-5, pool);
    threadpool_free(pool);
}

Test(model, qwen2_biases_neox_rope_gqa_matches_reference)
{
    Spec s = base_spec("qwen2");
    s.biases = true;
    s.n_kv = 2;
    s.freq_base = 1000000.0f;
    s.eps = 1e-6f;
    check_against_reference(&s, 1e-5, NULL);
}

Test(model, llama3_rope_freqs_divide_the_angles)
{
    Spec s = base_spec("llama");
    s.rope_freqs = true;
    s.freq_base = 500000.0f;
    check_against_reference(&s, 1e-5, NULL);
}

Test(model, quantized_weights_match_reference_within_activation_rounding)
{
    static const GgmlType types[] = { GGML_TYPE_Q8_0, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q5_0,
                                      GGML_TYPE_Q5_1, GGML_TYPE_F16, GGML_TYPE_BF16 };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        Spec s = base_spec(i % 2 ? "qwen2" : "llama");
        s.biases = i % 2;
        s.n_kv = 2;
        s.wtype = types[i];
        s.etype = types[i];
        s.tied = i % 3 == 0;
        s.batch = 5; /* chunks of 5 then 2: four activation rows per weight load, then the rest */
        check_against_reference(&s, 0.03, NULL);
    }
}

Test(model, k_quant_weights_match_reference_within_activation_rounding)
{
    static const GgmlType types[] = { GGML_TYPE_Q4_K, GGML_TYPE_Q5_K, GGML_TYPE_Q6_K };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        Spec s = base_spec("llama");
        s.dim = 256;
        s.hidden = 256;
        s.n_layers = 1;
        s.n_kv = 2;
        s.wtype = types[i];
        s.etype = GGML_TYPE_Q8_0;
        s.batch = 7;
        check_against_reference(&s, 0.03, NULL);
    }
}

/* ---- refusals ----------------------------------------------------------------- */

static void expect_model_error(Synth *y, const char *needle)
{
    char err[512];
    GgufFile *g = gguf_open_memory(y->file, y->size, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    Model *m = model_new(g, NULL, err, sizeof err);
    cr_assert_null(m, "model accepted, expected an error with '%s'", needle);
    cr_assert(strstr(err, needle), "error '%s' does not mention '%s'", err, needle);
    gguf_close(g);
}

/* Overwrites the first occurrence of `from` in the file with `to` (same length). */
static void patch(Synth *y, const char *from, const char *to)
{
    size_t n = strlen(from);
    cr_assert_eq(strlen(to), n);
    for (size_t i = 0; i + n <= y->size; i++)
        if (memcmp(y->file + i, from, n) == 0) {
            memcpy(y->file + i, to, n);
            return;
        }
    cr_assert_fail("'%s' not in file", from);
}

Test(model, unsupported_arch_missing_tensor_and_bad_shapes_are_refused)
{
    Spec s = base_spec("llama");
    Synth y;
    synth_build(&y, &s, 7);
    patch(&y, "llama", "gpt2x");
    expect_model_error(&y, "unsupported architecture 'gpt2x'");
    synth_free(&y);

    synth_build(&y, &s, 7);
    patch(&y, "blk.1.ffn_up.weight", "blk.1.ffn_xx.weight");
    expect_model_error(&y, "tensor 'blk.1.ffn_up.weight' is missing");
    synth_free(&y);

    s.n_kv = 3; /* 4 heads do not split into 3 groups */
    synth_build(&y, &s, 7);
    expect_model_error(&y, "not a multiple of head_count_kv");
    synth_free(&y);

    s = base_spec("llama");
    synth_build(&y, &s, 7);
    patch(&y, "llama.embedding_length", "llama.embedding_lengtx");
    expect_model_error(&y, "llama.embedding_length is missing");
    synth_free(&y);

    /* a norm stored quantized is refused by type */
    s.ntype = GGML_TYPE_Q8_0;
    synth_build(&y, &s, 7);
    expect_model_error(&y, "tensor 'output_norm.weight' has type Q8_0, which is not supported");
    synth_free(&y);

    /* a count stored as a float (same size, so the file itself stays valid) */
    s = base_spec("llama");
    synth_build(&y, &s, 7);
    {
        const char *key = "llama.block_count";
        unsigned char *at = memmem(y.file, y.size, key, strlen(key));
        cr_assert_not_null(at);
        uint32_t f32 = GGUF_TYPE_FLOAT32;
        memcpy(at + strlen(key), &f32, 4);
    }
    expect_model_error(&y, "llama.block_count is not an integer");
    synth_free(&y);

    /* metadata that disagrees with the tensors */
    s = base_spec("llama");
    s.meta_hidden = 128;
    synth_build(&y, &s, 7);
    expect_model_error(&y, "tensor 'blk.0.ffn_gate.weight' has shape [64, 96], expected [64, 128]");
    synth_free(&y);
}
