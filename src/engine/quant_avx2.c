/* quant_avx2.c — AVX2+FMA dot kernels. Compiled for every x86-64 build with
 * per-function target attributes and chosen at run time (quant_dot.c), so the
 * binary still runs on CPUs without AVX2. Entries left NULL fall back to the
 * portable kernels. */
#include "engine/quant.h"
#include "engine/quant_impl.h"

#ifdef QUANT_HAVE_AVX2_FILE
const QuantKernels quant_kernels_avx2 = { .dot = { 0 } };
#endif
