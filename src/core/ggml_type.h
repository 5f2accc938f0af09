/* ggml_type.h — the ids GGUF files use for tensor element types.
 *
 * A file-format fact shared by the CPU engine (engine/gguf.h, quant.h) and the
 * CUDA kernels (kernels/kernels.h), so it sits below both. Which types each of
 * them can compute with is their own business (quant.h, kernels.h). */
#ifndef VERSUS_GGML_TYPE_H
#define VERSUS_GGML_TYPE_H

/* Tensor element types (ggml numbering). */
typedef enum GgmlType {
    GGML_TYPE_F32 = 0, GGML_TYPE_F16 = 1, GGML_TYPE_Q4_0 = 2, GGML_TYPE_Q4_1 = 3,
    GGML_TYPE_Q5_0 = 6, GGML_TYPE_Q5_1 = 7, GGML_TYPE_Q8_0 = 8, GGML_TYPE_Q8_1 = 9,
    GGML_TYPE_Q2_K = 10, GGML_TYPE_Q3_K = 11, GGML_TYPE_Q4_K = 12, GGML_TYPE_Q5_K = 13,
    GGML_TYPE_Q6_K = 14, GGML_TYPE_Q8_K = 15, GGML_TYPE_BF16 = 30,
} GgmlType;

#endif
