/* quant_impl.h — private to quant*.c: the kernel tables shared between the
 * portable code and the SIMD files. Not part of any public interface. */
#ifndef VERSUS_QUANT_IMPL_H
#define VERSUS_QUANT_IMPL_H

#include "engine/panel.h"
#include "engine/quant.h"

/* 6-bit scale and min of sub-block j of a packed Q4_K/Q5_K scales array. */
void quant_k4_scale_min(int j, const uint8_t *q, uint8_t *sc, uint8_t *m);

/* Activation quantizers: _ref is plain C, the others dispatch to SIMD. Both
 * give bit-identical blocks. nb counts blocks. */
/* f rounded to the nearest fp16 value (as a float). */
float quant_half_round(float f);
void quant_act_q8a_ref(const float *x, QuantQ8A *b, int64_t nb);
void quant_act_q8k_ref(const float *x, BlockQ8_K *b, int64_t nb);
void quant_act_q8a(const float *x, QuantQ8A *b, int64_t nb);
void quant_act_q8k(const float *x, BlockQ8_K *b, int64_t nb);

/* One dot kernel per weight type, indexed by GgmlType (NULL = none). */
#define QUANT_MAX_TYPE 40 /* one past the largest GgmlType */
typedef struct QuantKernels {
    QuantDotFn dot[QUANT_MAX_TYPE];
    void (*act_q8a)(const float *x, QuantQ8A *b, int64_t nb);
    void (*act_q8k)(const float *x, BlockQ8_K *b, int64_t nb);
} QuantKernels;

extern const QuantKernels quant_kernels_ref;
#if defined(__x86_64__) || defined(__i386__)
#define QUANT_HAVE_AVX2_FILE 1
extern const QuantKernels quant_kernels_avx2;
/* The AVX2 panel kernel for weight type t (panel.h), or NULL. */
PanelDotFn panel_kernels_avx2(GgmlType t);
#endif

#endif
