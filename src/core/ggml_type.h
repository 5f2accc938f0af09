/* ggml_type.h — the tensor element types GGUF files use: their ids, names and
 * block layouts, and which of them each compute path reads. The one list of
 * types in versus: the GGUF reader (engine/gguf.c) validates sizes with it,
 * the CPU engine (engine/quant.c) and the CUDA kernels (kernels/) and their
 * planner (engine/backend_cuda.c) answer "supported?" from it. It sits below
 * all of them. Not for the block formats' contents (engine/quant.h). */
#ifndef VERSUS_GGML_TYPE_H
#define VERSUS_GGML_TYPE_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Tensor element types (ggml numbering). */
typedef enum GgmlType {
    GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1, GGML_TYPE_Q4_0 = 2, GGML_TYPE_Q4_1 = 3,
    GGML_TYPE_Q5_0 = 6, GGML_TYPE_Q5_1 = 7, GGML_TYPE_Q8_0 = 8, GGML_TYPE_Q8_1 = 9,
    GGML_TYPE_Q2_K = 10, GGML_TYPE_Q3_K = 11, GGML_TYPE_Q4_K = 12, GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14, GGML_TYPE_Q8_K = 15, GGML_TYPE_BF16 = 30, GGML_TYPE_MXFP4 = 39,
} GgmlType;

typedef struct GgmlTypeInfo {
    const char *name;  /* "Q4_K" */
    unsigned block;    /* elements per block; 0 when the layout is not known here */
    unsigned bytes;    /* bytes per block */
    bool cpu;          /* the CPU engine dequantizes and multiplies it (engine/quant.c) */
    bool cuda;         /* the CUDA kernels read it (kernels/) */
} GgmlTypeInfo;

/* What versus knows about type id t, or NULL for an id ggml does not define. */
const GgmlTypeInfo *ggml_type_info(int t);

#ifdef __cplusplus
}
#endif

#endif
