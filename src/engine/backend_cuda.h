/* backend_cuda.h — the built-in engine's forward pass on an NVIDIA GPU: a
 * Model's weights uploaded to the device as they are stored (no
 * requantization), a device KV cache and scratch, prefill in batched matrix
 * products and decode as one CUDA graph per step, logits back to the host.
 * Same numbers as model_forward() up to float rounding (tests/gpu/).
 *
 * Every build has this API. A build without CUDA (configure --without-cuda,
 * or no nvcc) answers every call with "this build has no CUDA backend"; a
 * CUDA build on a machine without a usable device says why (no driver, no
 * device, out of memory) — never a crash and never an exit.
 *
 * Typical use (engine.c's engine_try_cuda is the real caller; it also reads
 * the free device memory and fits a layer count when not all layers fit):
 *   CudaPlan plan;
 *   cuda_model_plan(g, m, &opt, &plan, err, n);           // pure arithmetic
 *   if (cuda_backend_available(&plan, why, n))             // device + fits
 *       cm = cuda_model_new(g, m, &opt, err, n);
 *   cuda_model_forward(cm, tokens, n_tok, pos, logits, err, n);
 * Not for tokenization, sampling policy or threads: the caller keeps those. */
#ifndef VERSUS_BACKEND_CUDA_H
#define VERSUS_BACKEND_CUDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"
#include "engine/model.h"

typedef struct CudaModel CudaModel;

typedef struct CudaOptions {
    int gpu_layers;  /* layers whose weights live in device memory (the first ones); the
                        rest stay in pinned host memory the GPU reads over PCIe (slow, but
                        runs models larger than VRAM). <= 0 or >= n_layers = all. Embeddings,
                        output norm and output matrix are always on the device. (For "no
                        layers on the GPU" use the CPU backend.) */
    int batch;       /* prefill chunk, tokens; <= 0 = 512 */
    int device;      /* CUDA device ordinal; 0 = the first visible one */
    bool no_graph;   /* run decode without CUDA graphs (debugging, comparisons) */
} CudaOptions;

/* Device memory a model needs, bytes. */
typedef struct CudaPlan {
    uint64_t weights_device;  /* resident weights (all tensors, 256-byte aligned) */
    uint64_t weights_host;    /* pinned host memory for layers past gpu_layers */
    uint64_t kv;              /* K and V caches: 2 * n_layers * n_ctx * kv_dim * 4 */
    uint64_t scratch;         /* activations for one prefill chunk, logits, attention work */
    uint64_t total_device;    /* weights_device + kv + scratch (the CUDA context's own
                                 few hundred MiB are not included) */
    int gpu_layers;           /* layers resident after clamping */
    int splits;               /* decode attention splits planned for this model */
} CudaPlan;

/* Computes the memory plan for m (from g) under opt (NULL = defaults, all
 * layers); no CUDA calls, works in every build. 0, or -1 with err for a
 * weight type the kernels cannot read. */
int cuda_model_plan(const GgufFile *g, const Model *m, const CudaOptions *opt, CudaPlan *plan,
                    char *err, size_t errlen);

/* Largest gpu_layers whose plan fits in free_bytes (n_layers when everything
 * fits, -1 when not even one layer does). For --gpu-layers auto. */
int cuda_model_layers_that_fit(const GgufFile *g, const Model *m, const CudaOptions *opt,
                               uint64_t free_bytes);

/* True when this build has CUDA and a device is usable; when plan is given,
 * also that plan->total_device fits in the device's free memory. Otherwise
 * false with the reason in why ("this build has no CUDA backend", "no CUDA
 * device: ...", "model needs 5012 MiB on the GPU, 3900 MiB free"). */
bool cuda_backend_available(const CudaPlan *plan, char *why, size_t whylen);

/* Free and total memory of device `device`, bytes. 0, or -1 with err. */
int cuda_device_memory(int device, uint64_t *free_bytes, uint64_t *total_bytes, char *err,
                       size_t errlen);

/* Uploads m's weights (g must be the file m was made from; both are only read
 * during this call) and allocates the KV cache (model_config(m)->n_ctx
 * tokens) and scratch. NULL with err on failure (e.g. "CUDA out of memory:
 * asked for 1234 MiB for the KV cache, 567 MiB free of 8192 MiB"). */
CudaModel *cuda_model_new(const GgufFile *g, const Model *m, const CudaOptions *opt, char *err,
                          size_t errlen);
void cuda_model_free(CudaModel *cm);

/* Runs n tokens at positions pos .. pos+n-1 (earlier positions must already
 * be in the device cache), like model_forward(); copies the last token's
 * logits (n_vocab floats) to logits_out unless it is NULL. Single tokens run
 * as a CUDA graph, captured on the first call. 0, or -1 with err (context
 * full, bad token id, a CUDA error). */
int cuda_model_forward(CudaModel *cm, const int *tokens, int n, int pos, float *logits_out,
                       char *err, size_t errlen);

/* Greedy choice over the logits of the last forward, computed on the device
 * (lowest id on ties): *token gets it. 0, or -1 with err. */
int cuda_model_argmax(CudaModel *cm, int *token, char *err, size_t errlen);

/* What the backend is running on, for status lines and `versus bench`. */
typedef struct CudaModelInfo {
    char device_name[96];     /* "NVIDIA H100 80GB HBM3" */
    int gpu_layers;           /* layers resident in device memory */
    int n_layers;
    bool graph;               /* decode runs as a CUDA graph */
    uint64_t device_bytes;    /* allocated by this model on the device */
} CudaModelInfo;
void cuda_model_info(const CudaModel *cm, CudaModelInfo *info);

#endif
