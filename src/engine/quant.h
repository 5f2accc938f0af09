/* quant.h — ggml tensor block formats: sizes, dequantization, reference
 * quantization, fp16/bf16 conversion, and the quantized dot products that
 * matmul.c builds on.
 *
 * The block layouts below are ggml's, bit for bit: a GGUF file downloaded from
 * anywhere stores its weights in exactly these structs. The activation formats
 * (QuantQ8A, BlockQ8_K) are internal: they only ever live in memory, for the
 * integer dot products. Not for matrix products (matmul.h) or file I/O. */
#ifndef VERSUS_QUANT_H
#define VERSUS_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"

#define QK4_0 32
#define QK4_1 32
#define QK5_0 32
#define QK5_1 32
#define QK8_0 32
#define QK_K 256
#define QK_MXFP4 32
#define K_SCALE_SIZE 12

typedef struct BlockQ4_0 {
    uint16_t d;           /* fp16 scale */
    uint8_t qs[QK4_0 / 2]; /* element j: low nibble of qs[j], j+16: high nibble */
} BlockQ4_0;              /* value = (q - 8) * d */

typedef struct BlockQ4_1 {
    uint16_t d, m;        /* fp16 scale and minimum */
    uint8_t qs[QK4_1 / 2];
} BlockQ4_1;              /* value = q * d + m */

typedef struct BlockQ5_0 {
    uint16_t d;
    uint8_t qh[4];        /* bit j of the little-endian u32 = 5th bit of element j */
    uint8_t qs[QK5_0 / 2];
} BlockQ5_0;              /* value = (q - 16) * d */

typedef struct BlockQ5_1 {
    uint16_t d, m;
    uint8_t qh[4];
    uint8_t qs[QK5_1 / 2];
} BlockQ5_1;              /* value = q * d + m */

typedef struct BlockQ8_0 {
    uint16_t d;
    int8_t qs[QK8_0];
} BlockQ8_0;              /* value = q * d */

typedef struct BlockQ4_K {
    uint16_t d;                    /* fp16 super-block scale for the scales */
    uint16_t dmin;                 /* fp16 super-block scale for the mins */
    uint8_t scales[K_SCALE_SIZE];  /* 8 x (6-bit scale, 6-bit min), packed */
    uint8_t qs[QK_K / 2];          /* 4 chunks of 64: 32 bytes, low nibbles first */
} BlockQ4_K;  /* value = d*sc[s]*q - dmin*m[s], s = sub-block of 32 */

typedef struct BlockQ5_K {
    uint16_t d, dmin;
    uint8_t scales[K_SCALE_SIZE];
    uint8_t qh[QK_K / 8];          /* 5th bits: bit (2c) / (2c+1) of qh[l] for chunk c */
    uint8_t qs[QK_K / 2];
} BlockQ5_K;

typedef struct BlockQ6_K {
    uint8_t ql[QK_K / 2];          /* low 4 bits */
    uint8_t qh[QK_K / 4];          /* high 2 bits */
    int8_t scales[QK_K / 16];      /* one per 16 elements */
    uint16_t d;
} BlockQ6_K;  /* value = d * scales[s] * (q - 32) */

typedef struct BlockMXFP4 {
    uint8_t e;                     /* E8M0 shared exponent: scale = 2^(e-128) */
    uint8_t qs[QK_MXFP4 / 2];      /* element j: low nibble of qs[j], j+16: high nibble */
} BlockMXFP4; /* value = kvalues[q] * scale, kvalues = 2 x the E2M1 values (gpt-oss) */

/* Activation formats (in memory only). */
typedef struct QuantQ8A {
    float d;        /* scale */
    float s;        /* d * sum(qs): lets Q4_1/Q5_1 fold their minimum in */
    int8_t qs[32];
    int32_t sum;    /* sum(qs), exact: lets kernels apply Q4_0's offset of 8 in integers */
} QuantQ8A;

typedef struct BlockQ8_K {
    float d;
    int8_t qs[QK_K];
    int16_t bsums[QK_K / 16]; /* sums of each 16 qs */
} BlockQ8_K;

_Static_assert(sizeof(BlockQ4_0) == 18, "Q4_0 layout");
_Static_assert(sizeof(BlockQ4_1) == 20, "Q4_1 layout");
_Static_assert(sizeof(BlockQ5_0) == 22, "Q5_0 layout");
_Static_assert(sizeof(BlockQ5_1) == 24, "Q5_1 layout");
_Static_assert(sizeof(BlockQ8_0) == 34, "Q8_0 layout");
_Static_assert(sizeof(BlockQ4_K) == 144, "Q4_K layout");
_Static_assert(sizeof(BlockQ5_K) == 176, "Q5_K layout");
_Static_assert(sizeof(BlockQ6_K) == 210, "Q6_K layout");
_Static_assert(sizeof(BlockQ8_K) == 292, "Q8_K layout");
_Static_assert(sizeof(BlockMXFP4) == 17, "MXFP4 layout");

/* E8M0 exponent of an MXFP4 block times one half (the block's scale for
 * values stored as twice their E2M1 value), as ggml computes it. */
float quant_e8m0_half(uint8_t e);

/* Half-precision conversions (IEEE fp16 and bfloat16). fp32->fp16/bf16 round
 * to nearest even; NaN stays NaN. */
float quant_fp16_to_fp32(uint16_t h);
uint16_t quant_fp32_to_fp16(float f);
float quant_bf16_to_fp32(uint16_t h);
uint16_t quant_fp32_to_bf16(float f);

/* True for the types this module can dequantize, quantize and multiply. */
bool quant_type_supported(GgmlType t);
/* Elements per block (1 for F32/F16/BF16), or 0 for an unknown type. */
int quant_block_size(GgmlType t);
/* Bytes of one block, or 0 for an unknown type. */
size_t quant_block_bytes(GgmlType t);
/* Bytes of a row of n elements, or 0 when the type is unknown or n is not a
 * multiple of its block size. */
size_t quant_row_size(GgmlType t, int64_t n);
/* Short name ("Q4_K"), or "unknown". */
const char *quant_type_name(GgmlType t);

/* Row of n elements (a multiple of the block size) to/from F32. Return 0, or
 * -1 for an unsupported type or a bad n. quantize_row is the reference (plain
 * C, deterministic) quantizer used by the GGUF writer and the tests. */
int quant_dequantize_row(GgmlType t, const void *src, float *dst, int64_t n);
int quant_quantize_row(GgmlType t, const float *src, void *dst, int64_t n);

/* Row `row` of a 2-D tensor of `cols` elements per row (e.g. token_embd) into
 * dst[cols]. Returns 0 or -1 like quant_dequantize_row. */
int quant_get_row(GgmlType t, const void *data, int64_t row, int64_t cols, float *dst);

/* SIMD kernels are used when the CPU has them (AVX2+FMA on x86-64) unless
 * turned off here or by VERSUS_NO_SIMD=1 in the environment. Returns the
 * previous setting. Not thread-safe against a running matmul. */
bool quant_set_simd(bool on);
/* True when the SIMD kernels are in use now. */
bool quant_simd_active(void);

/* ---- Used by matmul.c (and the tests) ----
 * The activation type a weight type multiplies against: F32 for F32/F16/BF16,
 * Q8A (QuantQ8A blocks) for the 32-element formats, Q8_K for the k-quants. */
typedef enum QuantActType { QUANT_ACT_F32, QUANT_ACT_Q8A, QUANT_ACT_Q8K } QuantActType;
QuantActType quant_act_type(GgmlType t);
/* Bytes of an activation row of n elements in that activation type. */
size_t quant_act_row_size(QuantActType a, int64_t n);
/* Converts an F32 activation row into the activation type (a copy for F32). */
void quant_act_quantize(QuantActType a, const float *src, void *dst, int64_t n);

/* out[j] = dot(weight row w, activation row x + j*x_stride bytes) for j < nx
 * (1..4), n elements. Weight type t must be supported. */
typedef void (*QuantDotFn)(int64_t n, const void *w, const void *x, size_t x_stride, int nx,
                           float *out);
QuantDotFn quant_dot_fn(GgmlType t);

#endif
