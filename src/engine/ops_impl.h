/* ops_impl.h — private to ops*.c: the SIMD versions ops.c dispatches to.
 * Not part of any public interface. */
#ifndef VERSUS_OPS_IMPL_H
#define VERSUS_OPS_IMPL_H

#include <stddef.h>

#if defined(__x86_64__) || defined(__i386__)
#define OPS_HAVE_AVX2_FILE 1
/* ops_swiglu for CPUs with AVX2+FMA (quant_simd_active()). */
void ops_swiglu_avx2(float *g, const float *u, size_t n);
#endif

#endif
