/* backend_cuda.c — host side of the CUDA backend (see backend_cuda.h): the
 * memory plan, weight upload, device KV cache and scratch, the forward pass as
 * a sequence of kernel launches (kernels/kernels.h), and the decode step
 * captured once as a CUDA graph. Every CUDA call is checked and turned into a
 * message. Compiled in every build: without VERSUS_HAVE_CUDA only the plan is
 * real and the rest answers "this build has no CUDA backend". Not for kernels
 * (kernels/, one .cu per family) or for choosing a backend (the engine decides). */
#include "engine/backend_cuda.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/errmsg.h"
#include "engine/quant.h"

#define CUDA_DEFAULT_BATCH 512
#define CUDA_MAX_BATCH 4096
#define CUDA_ALIGN 256u
#define CUDA_ASSUMED_SMS 132  /* for plans made without a device (H100 SXM) */
#define CUDA_MAX_SPLITS 64
#define CUDA_MAX_HEAD_DIM 256
#define MIB (1024.0 * 1024.0)

static uint64_t align_up(uint64_t v)
{
    return (v + CUDA_ALIGN - 1) / CUDA_ALIGN * CUDA_ALIGN;
}

/* ---- the plan (pure arithmetic, every build) ------------------------------------ */

/* Weight types the kernels read (the one list: core/ggml_type.h). */
static bool gpu_type_ok(GgmlType t)
{
    const GgmlTypeInfo *ti = ggml_type_info((int)t);
    return ti && ti->cuda;
}

#define LAYER_TENSORS 13

/* The tensors of one layer, in upload order; absent biases are NULL. */
static void layer_tensors(const ModelLayer *L, const GgufTensor *out[LAYER_TENSORS])
{
    const GgufTensor *all[LAYER_TENSORS] = { L->attn_norm, L->wq, L->wk, L->wv, L->wo,
                                             L->bq, L->bk, L->bv, L->bo, L->ffn_norm,
                                             L->w_gate, L->w_up, L->w_down };
    memcpy(out, all, sizeof all);
}

/* Query heads per attention block: the largest divisor of the group <= 8
 * (kern_attention makes the same choice). */
static int heads_per_block(const ModelConfig *c)
{
    int group = c->n_heads / c->n_kv_heads;
    for (int k = 8; k > 1; k--)
        if (group % k == 0)
            return k;
    return 1;
}

/* Decode attention splits: about two blocks per SM, never more splits than
 * 32-key tiles in the context. */
static int plan_splits(const ModelConfig *c, int sms)
{
    int blocks = c->n_kv_heads * (c->n_heads / c->n_kv_heads / heads_per_block(c));
    int want = (2 * sms + blocks - 1) / blocks;
    int tiles = (c->n_ctx + 31) / 32;
    if (want > tiles)
        want = tiles;
    if (want > CUDA_MAX_SPLITS)
        want = CUDA_MAX_SPLITS;
    return want < 1 ? 1 : want;
}

static int resolve_batch(const CudaOptions *opt)
{
    int b = opt && opt->batch > 0 ? opt->batch : CUDA_DEFAULT_BATCH;
    return b > CUDA_MAX_BATCH ? CUDA_MAX_BATCH : b;
}

static int resolve_layers(const CudaOptions *opt, int n_layers)
{
    if (!opt || opt->gpu_layers <= 0 || opt->gpu_layers > n_layers)
        return n_layers;
    return opt->gpu_layers;
}

/* Scratch floats/ints for a chunk of B tokens (the layout cuda_model_new uses). */
static uint64_t scratch_bytes(const ModelConfig *c, int B, int splits)
{
    uint64_t qd = (uint64_t)c->n_heads * c->head_dim, kvd = (uint64_t)c->n_kv_heads * c->head_dim;
    uint64_t xbw = qd > (uint64_t)c->dim ? qd : (uint64_t)c->dim;
    uint64_t work = splits > 1 ? (uint64_t)c->n_heads * splits * (c->head_dim + 2) : 0;
    uint64_t f[] = { (uint64_t)B * c->dim, (uint64_t)B * xbw, (uint64_t)B * qd, (uint64_t)B * kvd,
                     (uint64_t)B * kvd, (uint64_t)B * c->hidden_dim, (uint64_t)B * c->hidden_dim,
                     (uint64_t)c->n_vocab, work, (uint64_t)c->rope_dim / 2,
                     (uint64_t)B + 1 /* pos + tokens */, 1 /* argmax */ };
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        total += align_up(f[i] * 4);
    return total;
}

static int plan_with(const GgufFile *g, const Model *m, const CudaOptions *opt, int sms,
                     CudaPlan *plan, char *err, size_t errlen)
{
    const ModelConfig *c = model_config(m);
    memset(plan, 0, sizeof *plan);
    const GgufTensor *embd = gguf_find_tensor(g, "token_embd.weight");
    const GgufTensor *onorm = gguf_find_tensor(g, "output_norm.weight");
    const GgufTensor *out = c->tied_output ? NULL : gguf_find_tensor(g, "output.weight");
    if (!embd || !onorm || (!c->tied_output && !out)) {
        errmsg_set(err, errlen, "the GGUF file does not hold the tensors of this model");
        return -1;
    }
    if (!c->arch->cuda || c->n_swa > 0 || c->n_expert > 0 || !model_rope_inv_freq(m)) {
        errmsg_set(err, errlen, "the CUDA backend does not run the %s architecture%s yet", c->arch_name,
                c->n_expert ? " with experts" : "");
        return -1;
    }
    for (int l = 0; l < c->n_layers; l++)
        if (model_layer(m, l)->wqkv || !model_layer(m, l)->w_gate) {
            errmsg_set(err, errlen, "the CUDA backend does not read fused QKV or gate/up matrices yet");
            return -1;
        }
    if (c->head_dim > CUDA_MAX_HEAD_DIM) {
        errmsg_set(err, errlen, "head size %d is larger than the CUDA attention kernel handles (%d)",
                c->head_dim, CUDA_MAX_HEAD_DIM);
        return -1;
    }
    const GgufTensor *top[] = { embd, onorm, out };
    for (size_t i = 0; i < 3; i++)
        if (top[i]) {
            if (!gpu_type_ok(top[i]->type)) {
                errmsg_set(err, errlen, "tensor '%.*s' has type %s, which the CUDA kernels do not read",
                        (int)top[i]->name.len, top[i]->name.ptr, gguf_type_name(top[i]->type));
                return -1;
            }
            plan->weights_device += align_up(top[i]->nbytes);
        }
    plan->gpu_layers = resolve_layers(opt, c->n_layers);
    for (int l = 0; l < c->n_layers; l++) {
        const GgufTensor *ts[LAYER_TENSORS];
        layer_tensors(model_layer(m, l), ts);
        for (int i = 0; i < LAYER_TENSORS; i++) {
            if (!ts[i])
                continue;
            if (!gpu_type_ok(ts[i]->type)) {
                errmsg_set(err, errlen, "tensor '%.*s' has type %s, which the CUDA kernels do not read",
                        (int)ts[i]->name.len, ts[i]->name.ptr, gguf_type_name(ts[i]->type));
                return -1;
            }
            if (l < plan->gpu_layers)
                plan->weights_device += align_up(ts[i]->nbytes);
            else
                plan->weights_host += align_up(ts[i]->nbytes);
        }
    }
    plan->kv = 2 * align_up((uint64_t)c->n_layers * c->n_ctx * c->n_kv_heads * c->head_dim * 4);
    plan->splits = plan_splits(c, sms);
    plan->scratch = scratch_bytes(c, resolve_batch(opt), plan->splits);
    plan->total_device = plan->weights_device + plan->kv + plan->scratch;
    return 0;
}

int cuda_model_plan(const GgufFile *g, const Model *m, const CudaOptions *opt, CudaPlan *plan,
                    char *err, size_t errlen)
{
    return plan_with(g, m, opt, CUDA_ASSUMED_SMS, plan, err, errlen);
}

int cuda_model_layers_that_fit(const GgufFile *g, const Model *m, const CudaOptions *opt,
                               uint64_t free_bytes)
{
    CudaOptions o = opt ? *opt : (CudaOptions){ 0 };
    int n = model_config(m)->n_layers;
    for (int k = n; k >= 1; k--) {
        CudaPlan p;
        o.gpu_layers = k;
        if (plan_with(g, m, &o, CUDA_ASSUMED_SMS, &p, NULL, 0) < 0)
            return -1;
        if (p.total_device <= free_bytes)
            return k;
    }
    return -1;
}

#ifdef VERSUS_HAVE_CUDA
/* ==== the CUDA build ============================================================== */

#include <cuda_runtime_api.h>

#include "kernels.h"

typedef struct CudaLayer {
    const float *attn_norm, *ffn_norm;   /* (dim) */
    const float *bq, *bk, *bv, *bo;      /* (n_out) or NULL */
    KernMat wq, wk, wv, wo, w_gate, w_up, w_down;
} CudaLayer;

struct CudaModel {
    ModelConfig c;
    int device;
    int batch;                /* tokens per prefill chunk */
    int splits;               /* decode attention splits */
    int gpu_layers;
    bool use_graph;
    char name[96];
    cudaStream_t stream;
    uint8_t *wdev;            /* resident weights */
    uint8_t *whost;           /* pinned, mapped weights of layers >= gpu_layers */
    uint8_t *whost_dev;       /* the same memory as the device sees it */
    uint64_t device_bytes;
    KernMat token_embd, output;
    const float *output_norm;
    CudaLayer *layers;        /* (n_layers) */
    float *kc, *vc;           /* (n_layers, n_ctx, kv_dim) */
    uint8_t *scratch;         /* one allocation for everything below */
    float *x;                 /* (batch, dim) residual stream */
    float *xb;                /* (batch, max(dim, q_dim)) */
    float *q;                 /* (batch, q_dim) */
    float *k, *v;             /* (batch, kv_dim) */
    float *hb, *hb2;          /* (batch, hidden) */
    float *logits;            /* (n_vocab) */
    float *work;              /* attention split partials, or NULL */
    float *inv_freq;          /* (rope_dim / 2) */
    int *d_io;                /* [pos, tokens (batch)] */
    int *d_argmax;
    int *h_io;                /* pinned staging of d_io */
    float *h_logits;          /* pinned (n_vocab) */
    cudaGraphExec_t graph;
    bool graph_ready;
    bool graph_failed;        /* capture did not work: decode launches directly */
    bool has_logits;
};

/* "CUDA error in WHAT: message (cudaErrorName)"; 0 when e is cudaSuccess. */
static int ck(cudaError_t e, const char *what, char *err, size_t errlen)
{
    if (e == cudaSuccess)
        return 0;
    errmsg_set(err, errlen, "CUDA error in %s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
    return -1;
}

static int dev_alloc(void **p, uint64_t bytes, const char *what, char *err, size_t errlen)
{
    *p = NULL;
    if (bytes == 0)
        return 0;
    cudaError_t e = cudaMalloc(p, bytes);
    if (e == cudaSuccess)
        return 0;
    *p = NULL;
    (void)cudaGetLastError(); /* an allocation failure is not sticky; clear it */
    if (e == cudaErrorMemoryAllocation) {
        size_t fr = 0, tot = 0;
        if (cudaMemGetInfo(&fr, &tot) == cudaSuccess)
            errmsg_set(err, errlen, "CUDA out of memory: asked for %.0f MiB for %s, %.0f MiB free of %.0f MiB",
                    bytes / MIB, what, fr / MIB, tot / MIB);
        else
            errmsg_set(err, errlen, "CUDA out of memory: asked for %.0f MiB for %s", bytes / MIB, what);
        return -1;
    }
    return ck(e, what, err, errlen);
}

int cuda_device_memory(int device, uint64_t *free_bytes, uint64_t *total_bytes, char *err, size_t errlen)
{
    int n = 0; /* left untouched by cudaGetDeviceCount when there is no driver */
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void)cudaGetLastError();
        errmsg_set(err, errlen, "no CUDA device: %s", cudaGetErrorString(e));
        return -1;
    }
    if (device < 0 || device >= n) {
        if (n)
            errmsg_set(err, errlen, "no CUDA device %d (%d visible)", device, n);
        else
            errmsg_set(err, errlen, "no CUDA device found");
        return -1;
    }
    size_t fr = 0, tot = 0;
    if (ck(cudaSetDevice(device), "cudaSetDevice", err, errlen) < 0 ||
        ck(cudaMemGetInfo(&fr, &tot), "cudaMemGetInfo", err, errlen) < 0)
        return -1;
    *free_bytes = fr;
    *total_bytes = tot;
    return 0;
}

bool cuda_backend_available(const CudaPlan *plan, char *why, size_t whylen)
{
    uint64_t fr = 0, tot = 0;
    if (cuda_device_memory(0, &fr, &tot, why, whylen) < 0)
        return false;
    if (plan && plan->total_device > fr) {
        errmsg_set(why, whylen, "model needs %.0f MiB on the GPU, %.0f MiB free of %.0f MiB",
                plan->total_device / MIB, fr / MIB, tot / MIB);
        return false;
    }
    return true;
}

/* Places tensor t at *off in dev (device) or host (pinned) memory and copies
 * its bytes there; returns the pointer the kernels use. */
typedef struct Placer {
    uint8_t *dev, *host, *host_dev;
    uint64_t dev_off, host_off;
    int rc;
    char *err;
    size_t errlen;
} Placer;

static const void *place(Placer *p, const GgufTensor *t, bool on_device)
{
    if (!t || p->rc)
        return NULL;
    uint64_t *off = on_device ? &p->dev_off : &p->host_off;
    uint64_t at = *off;
    *off = align_up(at + t->nbytes);
    if (on_device) {
        if (ck(cudaMemcpy(p->dev + at, t->data, t->nbytes, cudaMemcpyHostToDevice), "weight upload",
               p->err, p->errlen) < 0) {
            p->rc = -1;
            return NULL;
        }
        return p->dev + at;
    }
    memcpy(p->host + at, t->data, t->nbytes);
    return p->host_dev + at;
}

static KernMat place_mat(Placer *p, const GgufTensor *t, bool on_device)
{
    KernMat k = { t->type, (int)t->ne[1], (int)t->ne[0], quant_row_size(t->type, (int64_t)t->ne[0]), NULL };
    k.data = place(p, t, on_device);
    return k;
}

static int upload(CudaModel *cm, const GgufFile *g, const Model *m, const CudaPlan *plan,
                  char *err, size_t errlen)
{
    const ModelConfig *c = &cm->c;
    if (dev_alloc((void **)&cm->wdev, plan->weights_device, "the weights", err, errlen) < 0)
        return -1;
    cm->device_bytes += plan->weights_device;
    if (plan->weights_host) {
        cudaError_t e = cudaHostAlloc((void **)&cm->whost, plan->weights_host, cudaHostAllocMapped);
        if (e != cudaSuccess) {
            (void)cudaGetLastError();
            cm->whost = NULL;
            errmsg_set(err, errlen, "cannot pin %.0f MiB of host memory for the %d layers kept off the GPU: %s",
                    plan->weights_host / MIB, c->n_layers - cm->gpu_layers, cudaGetErrorString(e));
            return -1;
        }
        if (ck(cudaHostGetDevicePointer((void **)&cm->whost_dev, cm->whost, 0), "mapping host weights",
               err, errlen) < 0)
            return -1;
    }
    Placer p = { cm->wdev, cm->whost, cm->whost_dev, 0, 0, 0, err, errlen };
    cm->token_embd = place_mat(&p, gguf_find_tensor(g, "token_embd.weight"), true);
    cm->output_norm = place(&p, gguf_find_tensor(g, "output_norm.weight"), true);
    cm->output = c->tied_output ? cm->token_embd : place_mat(&p, gguf_find_tensor(g, "output.weight"), true);
    for (int l = 0; l < c->n_layers && p.rc == 0; l++) {
        const ModelLayer *L = model_layer(m, l);
        CudaLayer *D = &cm->layers[l];
        bool dev = l < cm->gpu_layers;
        D->attn_norm = place(&p, L->attn_norm, dev);
        D->wq = place_mat(&p, L->wq, dev);
        D->wk = place_mat(&p, L->wk, dev);
        D->wv = place_mat(&p, L->wv, dev);
        D->wo = place_mat(&p, L->wo, dev);
        D->bq = place(&p, L->bq, dev);
        D->bk = place(&p, L->bk, dev);
        D->bv = place(&p, L->bv, dev);
        D->bo = place(&p, L->bo, dev);
        D->ffn_norm = place(&p, L->ffn_norm, dev);
        D->w_gate = place_mat(&p, L->w_gate, dev);
        D->w_up = place_mat(&p, L->w_up, dev);
        D->w_down = place_mat(&p, L->w_down, dev);
    }
    if (p.rc)
        return -1;
    if (p.dev_off != plan->weights_device || p.host_off != plan->weights_host) {
        errmsg_set(err, errlen, "internal error: weight layout %llu+%llu bytes differs from the plan %llu+%llu",
                (unsigned long long)p.dev_off, (unsigned long long)p.host_off,
                (unsigned long long)plan->weights_device, (unsigned long long)plan->weights_host);
        return -1;
    }
    return 0;
}

/* Carves the scratch allocation in the order scratch_bytes() counts it. */
static int alloc_scratch(CudaModel *cm, const CudaPlan *plan, const Model *m, char *err, size_t errlen)
{
    const ModelConfig *c = &cm->c;
    if (dev_alloc((void **)&cm->scratch, plan->scratch, "activations", err, errlen) < 0)
        return -1;
    cm->device_bytes += plan->scratch;
    uint64_t B = (uint64_t)cm->batch, qd = (uint64_t)c->n_heads * c->head_dim;
    uint64_t kvd = (uint64_t)c->n_kv_heads * c->head_dim, xbw = qd > (uint64_t)c->dim ? qd : (uint64_t)c->dim;
    uint8_t *p = cm->scratch;
#define CARVE(ptr, n)                                  \
    do {                                               \
        ptr = (void *)p;                               \
        p += align_up((uint64_t)(n) * 4);              \
    } while (0)
    CARVE(cm->x, B * c->dim);
    CARVE(cm->xb, B * xbw);
    CARVE(cm->q, B * qd);
    CARVE(cm->k, B * kvd);
    CARVE(cm->v, B * kvd);
    CARVE(cm->hb, B * c->hidden_dim);
    CARVE(cm->hb2, B * c->hidden_dim);
    CARVE(cm->logits, c->n_vocab);
    CARVE(cm->work, kern_attention_workspace(1, c->n_heads, c->head_dim, cm->splits));
    CARVE(cm->inv_freq, c->rope_dim / 2);
    CARVE(cm->d_io, B + 1);
    CARVE(cm->d_argmax, 1);
#undef CARVE
    if (cm->splits <= 1)
        cm->work = NULL;
    if ((uint64_t)(p - cm->scratch) != plan->scratch) {
        errmsg_set(err, errlen, "internal error: scratch layout differs from the plan");
        return -1;
    }
    if (dev_alloc((void **)&cm->kc, plan->kv / 2, "the KV cache (keys)", err, errlen) < 0 ||
        dev_alloc((void **)&cm->vc, plan->kv / 2, "the KV cache (values)", err, errlen) < 0)
        return -1;
    cm->device_bytes += plan->kv;
    /* the angle per position of each rotated pair, exactly as the CPU engine has it */
    const float *inv = model_rope_inv_freq(m);
    if (ck(cudaMemcpy(cm->inv_freq, inv, (size_t)(c->rope_dim / 2) * sizeof *inv, cudaMemcpyHostToDevice),
           "uploading RoPE frequencies", err, errlen) < 0)
        return -1;
    if (ck(cudaHostAlloc((void **)&cm->h_io, (size_t)(B + 1) * sizeof(int), cudaHostAllocDefault),
           "pinned token buffer", err, errlen) < 0 ||
        ck(cudaHostAlloc((void **)&cm->h_logits, (size_t)c->n_vocab * sizeof(float), cudaHostAllocDefault),
           "pinned logits buffer", err, errlen) < 0)
        return -1;
    return 0;
}

CudaModel *cuda_model_new(const GgufFile *g, const Model *m, const CudaOptions *opt, char *err, size_t errlen)
{
    CudaOptions o = opt ? *opt : (CudaOptions){ .gpu_layers = -1 };
    uint64_t fr, tot;
    if (cuda_device_memory(o.device, &fr, &tot, err, errlen) < 0)
        return NULL;
    int sms = 0;
    if (ck(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, o.device), "device query", err,
           errlen) < 0)
        return NULL;
    CudaPlan plan;
    if (plan_with(g, m, &o, sms > 0 ? sms : CUDA_ASSUMED_SMS, &plan, err, errlen) < 0)
        return NULL;
    CudaModel *cm = calloc(1, sizeof *cm);
    if (!cm) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    cm->c = *model_config(m);
    cm->device = o.device;
    cm->batch = resolve_batch(&o);
    cm->splits = plan.splits;
    cm->gpu_layers = plan.gpu_layers;
    cm->use_graph = !o.no_graph;
    struct cudaDeviceProp prop;
    if (cudaGetDeviceProperties(&prop, o.device) == cudaSuccess)
        snprintf(cm->name, sizeof cm->name, "%s", prop.name);
    else
        snprintf(cm->name, sizeof cm->name, "CUDA device %d", o.device);
    cm->layers = calloc((size_t)cm->c.n_layers, sizeof *cm->layers);
    if (!cm->layers) {
        errmsg_set(err, errlen, "out of memory");
        goto fail;
    }
    if (ck(kern_init(), "kernel setup", err, errlen) < 0 ||
        ck(cudaStreamCreateWithFlags(&cm->stream, cudaStreamNonBlocking), "stream creation", err, errlen) < 0)
        goto fail;
    if (upload(cm, g, m, &plan, err, errlen) < 0 || alloc_scratch(cm, &plan, m, err, errlen) < 0)
        goto fail;
    if (ck(cudaMemsetAsync(cm->kc, 0, plan.kv / 2, cm->stream), "clearing the KV cache", err, errlen) < 0 ||
        ck(cudaMemsetAsync(cm->vc, 0, plan.kv / 2, cm->stream), "clearing the KV cache", err, errlen) < 0 ||
        ck(cudaStreamSynchronize(cm->stream), "model setup", err, errlen) < 0)
        goto fail;
    return cm;
fail:
    cuda_model_free(cm);
    return NULL;
}

void cuda_model_free(CudaModel *cm)
{
    if (!cm)
        return;
    cudaSetDevice(cm->device);
    if (cm->stream)
        cudaStreamSynchronize(cm->stream);
    if (cm->graph_ready)
        cudaGraphExecDestroy(cm->graph);
    cudaFree(cm->wdev);
    cudaFree(cm->scratch);
    cudaFree(cm->kc);
    cudaFree(cm->vc);
    if (cm->whost)
        cudaFreeHost(cm->whost);
    if (cm->h_io)
        cudaFreeHost(cm->h_io);
    if (cm->h_logits)
        cudaFreeHost(cm->h_logits);
    if (cm->stream)
        cudaStreamDestroy(cm->stream);
    (void)cudaGetLastError();
    free(cm->layers);
    free(cm);
}

/* ---- the forward pass -------------------------------------------------------------- */

#define LAUNCH(call, what, layer)                                                                   \
    do {                                                                                            \
        cudaError_t e_ = (call);                                                                    \
        if (e_ != cudaSuccess) {                                                                    \
            errmsg_set(err, errlen, "CUDA error in %s (layer %d): %s (%s)", what, layer,              \
                    cudaGetErrorString(e_), cudaGetErrorName(e_));                                  \
            return -1;                                                                              \
        }                                                                                           \
    } while (0)

static cudaError_t weights_product(const KernMat *w, const float *x, int T, float *y, const float *bias,
                                   bool accumulate, cudaStream_t s)
{
    return T == 1 ? kern_matvec(w, x, y, bias, accumulate, s) : kern_matmul(w, x, T, y, bias, accumulate, s);
}

/* Enqueues one chunk of T tokens whose position and ids are already in d_io,
 * and the last token's logits. No synchronisation: capturable as a graph. */
static int enqueue_chunk(CudaModel *cm, int T, char *err, size_t errlen)
{
    const ModelConfig *c = &cm->c;
    cudaStream_t s = cm->stream;
    const int *d_pos = cm->d_io, *d_tok = cm->d_io + 1;
    int dim = c->dim, kvd = c->n_kv_heads * c->head_dim;
    bool neox = c->rope_type == MODEL_ROPE_NEOX;
    LAUNCH(kern_embed(&cm->token_embd, d_tok, T, cm->x, s), "embedding", -1);
    for (int l = 0; l < c->n_layers; l++) {
        const CudaLayer *L = &cm->layers[l];
        float *kc = cm->kc + (size_t)l * c->n_ctx * kvd, *vc = cm->vc + (size_t)l * c->n_ctx * kvd;
        LAUNCH(kern_rmsnorm(cm->x, L->attn_norm, cm->xb, T, dim, c->rms_eps, s), "attention norm", l);
        LAUNCH(weights_product(&L->wq, cm->xb, T, cm->q, L->bq, false, s), "query projection", l);
        LAUNCH(weights_product(&L->wk, cm->xb, T, cm->k, L->bk, false, s), "key projection", l);
        LAUNCH(weights_product(&L->wv, cm->xb, T, cm->v, L->bv, false, s), "value projection", l);
        LAUNCH(kern_rope(cm->q, c->n_heads, cm->k, c->n_kv_heads, T, c->head_dim, c->rope_dim, neox,
                         cm->inv_freq, d_pos, s), "rope", l);
        LAUNCH(kern_kv_store(kc, vc, cm->k, cm->v, T, kvd, d_pos, s), "KV store", l);
        LAUNCH(kern_attention(cm->q, kc, vc, cm->xb, cm->work, T, c->n_heads, c->n_kv_heads, c->head_dim,
                              T == 1 ? cm->splits : 1, d_pos, s), "attention", l);
        LAUNCH(weights_product(&L->wo, cm->xb, T, cm->x, L->bo, true, s), "attention output", l);
        LAUNCH(kern_rmsnorm(cm->x, L->ffn_norm, cm->xb, T, dim, c->rms_eps, s), "ffn norm", l);
        LAUNCH(weights_product(&L->w_gate, cm->xb, T, cm->hb, NULL, false, s), "ffn gate", l);
        LAUNCH(weights_product(&L->w_up, cm->xb, T, cm->hb2, NULL, false, s), "ffn up", l);
        LAUNCH(kern_swiglu(cm->hb, cm->hb2, (size_t)T * c->hidden_dim, s), "swiglu", l);
        LAUNCH(weights_product(&L->w_down, cm->hb, T, cm->x, NULL, true, s), "ffn down", l);
    }
    LAUNCH(kern_rmsnorm(cm->x + (size_t)(T - 1) * dim, cm->output_norm, cm->xb, 1, dim, c->rms_eps, s),
           "output norm", c->n_layers);
    LAUNCH(kern_matvec(&cm->output, cm->xb, cm->logits, NULL, false, s), "output", c->n_layers);
    return 0;
}

/* The decode step through its CUDA graph, captured on first use. A capture
 * the driver refuses leaves decode on direct launches (graph_failed). */
static int enqueue_decode(CudaModel *cm, char *err, size_t errlen)
{
    if (!cm->use_graph || cm->graph_failed)
        return enqueue_chunk(cm, 1, err, errlen);
    if (!cm->graph_ready) {
        cudaGraph_t graph = NULL;
        if (ck(cudaStreamBeginCapture(cm->stream, cudaStreamCaptureModeThreadLocal), "graph capture", err,
               errlen) < 0)
            return -1;
        int rc = enqueue_chunk(cm, 1, err, errlen);
        cudaError_t e = cudaStreamEndCapture(cm->stream, &graph);
        if (rc < 0) {
            if (graph)
                cudaGraphDestroy(graph);
            return -1;
        }
        if (e == cudaSuccess)
            e = cudaGraphInstantiate(&cm->graph, graph, 0);
        if (graph)
            cudaGraphDestroy(graph);
        if (e != cudaSuccess) {
            (void)cudaGetLastError();
            cm->graph_failed = true;
            return enqueue_chunk(cm, 1, err, errlen);
        }
        cm->graph_ready = true;
    }
    return ck(cudaGraphLaunch(cm->graph, cm->stream), "graph launch", err, errlen);
}

int cuda_model_forward(CudaModel *cm, const int *tokens, int n, int pos, float *logits_out, char *err,
                       size_t errlen)
{
    const ModelConfig *c = &cm->c;
    if (model_check_input(c, tokens, n, pos, err, errlen) < 0)
        return -1;
    if (ck(cudaSetDevice(cm->device), "cudaSetDevice", err, errlen) < 0)
        return -1;
    cm->has_logits = false;
    for (int done = 0; done < n;) {
        int T = n - done < cm->batch ? n - done : cm->batch;
        /* h_io is read by the previous chunk's copy: wait for it before reuse */
        if (done && ck(cudaStreamSynchronize(cm->stream), "prefill", err, errlen) < 0)
            return -1;
        cm->h_io[0] = pos + done;
        memcpy(cm->h_io + 1, tokens + done, (size_t)T * sizeof(int));
        if (ck(cudaMemcpyAsync(cm->d_io, cm->h_io, (size_t)(T + 1) * sizeof(int), cudaMemcpyHostToDevice,
                               cm->stream), "token upload", err, errlen) < 0)
            return -1;
        int rc = T == 1 ? enqueue_decode(cm, err, errlen) : enqueue_chunk(cm, T, err, errlen);
        if (rc < 0)
            return -1;
        done += T;
    }
    if (logits_out &&
        ck(cudaMemcpyAsync(cm->h_logits, cm->logits, (size_t)c->n_vocab * sizeof(float), cudaMemcpyDeviceToHost,
                           cm->stream), "logits download", err, errlen) < 0)
        return -1;
    if (ck(cudaStreamSynchronize(cm->stream), "forward pass", err, errlen) < 0)
        return -1;
    if (logits_out)
        memcpy(logits_out, cm->h_logits, (size_t)c->n_vocab * sizeof(float));
    cm->has_logits = true;
    return 0;
}

int cuda_model_argmax(CudaModel *cm, int *token, char *err, size_t errlen)
{
    if (!cm->has_logits) {
        errmsg_set(err, errlen, "no logits yet: run cuda_model_forward first");
        return -1;
    }
    if (ck(cudaSetDevice(cm->device), "cudaSetDevice", err, errlen) < 0 ||
        ck(kern_argmax(cm->logits, cm->c.n_vocab, cm->d_argmax, cm->stream), "argmax", err, errlen) < 0 ||
        ck(cudaMemcpyAsync(cm->h_io, cm->d_argmax, sizeof(int), cudaMemcpyDeviceToHost, cm->stream),
           "argmax download", err, errlen) < 0 ||
        ck(cudaStreamSynchronize(cm->stream), "argmax", err, errlen) < 0)
        return -1;
    *token = cm->h_io[0];
    return 0;
}

void cuda_model_info(const CudaModel *cm, CudaModelInfo *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->device_name, sizeof info->device_name, "%s", cm->name);
    info->gpu_layers = cm->gpu_layers;
    info->n_layers = cm->c.n_layers;
    info->graph = cm->use_graph && !cm->graph_failed;
    info->device_bytes = cm->device_bytes;
}

#else
/* ==== a build without CUDA: the same API, every call says so ======================= */

#define NO_CUDA "this build has no CUDA backend (configure found no nvcc; rebuild with --with-cuda)"

struct CudaModel {
    int unused;
};

int cuda_device_memory(int device, uint64_t *free_bytes, uint64_t *total_bytes, char *err, size_t errlen)
{
    (void)device;
    *free_bytes = *total_bytes = 0;
    errmsg_set(err, errlen, NO_CUDA);
    return -1;
}

bool cuda_backend_available(const CudaPlan *plan, char *why, size_t whylen)
{
    (void)plan;
    errmsg_set(why, whylen, NO_CUDA);
    return false;
}

CudaModel *cuda_model_new(const GgufFile *g, const Model *m, const CudaOptions *opt, char *err, size_t errlen)
{
    (void)g, (void)m, (void)opt;
    errmsg_set(err, errlen, NO_CUDA);
    return NULL;
}

void cuda_model_free(CudaModel *cm)
{
    free(cm);
}

int cuda_model_forward(CudaModel *cm, const int *tokens, int n, int pos, float *logits_out, char *err,
                       size_t errlen)
{
    (void)cm, (void)tokens, (void)n, (void)pos, (void)logits_out;
    errmsg_set(err, errlen, NO_CUDA);
    return -1;
}

int cuda_model_argmax(CudaModel *cm, int *token, char *err, size_t errlen)
{
    (void)cm, (void)token;
    errmsg_set(err, errlen, NO_CUDA);
    return -1;
}

void cuda_model_info(const CudaModel *cm, CudaModelInfo *info)
{
    (void)cm;
    memset(info, 0, sizeof *info);
}

#endif
