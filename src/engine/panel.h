/* panel.h — weight matrices repacked for the SIMD matrix kernels: rows taken
 * eight at a time ("a panel") and interleaved so that one vector load holds
 * the same few columns of all eight rows. A kernel then keeps one accumulator
 * lane per weight row and needs no horizontal sums; the unpacked weights of
 * a panel are shared by up to four activation rows (prefill), and decode
 * streams each panel once with few instructions per byte.
 *
 * Repacking is lossless (panel_unpack gives back the original blocks byte
 * for byte) and the same size as the original rows, plus zero rows that pad
 * the last panel to eight. Types without a panel layout, or CPUs without the
 * kernels, keep the row-major kernels of quant.h. Not for file I/O: panels
 * only ever live in memory. */
#ifndef VERSUS_PANEL_H
#define VERSUS_PANEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"
#include "engine/quant.h"

#define PANEL_ROWS 8   /* weight rows per panel */
#define PANEL_MAX_NX 4 /* activation rows per kernel call */

/* out[j * out_stride + r] = dot(panel row r, activation row j) for r < 8 and
 * j < nx (1..PANEL_MAX_NX); activation row j starts x_stride bytes after row
 * j-1 and is in the quant_act_type() format of the weight type; n columns. */
typedef void (*PanelDotFn)(int64_t n, const void *panel, const void *x, size_t x_stride, int nx,
                           float *out, size_t out_stride);

/* True when t has a panel layout and this CPU runs its kernel now (SIMD on,
 * see quant_set_simd). */
bool panel_supported(GgmlType t);
/* The kernel for t, or NULL when !panel_supported(t). */
PanelDotFn panel_dot_fn(GgmlType t);
/* Bytes of one panel (8 rows) of n columns, or 0 when t has no panel layout
 * or n is not a multiple of its block size. */
size_t panel_bytes(GgmlType t, int64_t n);
/* Packs panels p0 .. p1-1 of the row-major matrix W (rows x cols in type t,
 * as GGUF stores it) into dst, which holds every panel (panel p at
 * p * panel_bytes); rows beyond `rows` in the last panel are zero. Returns 0,
 * or -1 when t has no panel layout or cols does not fit it. Ranges may be
 * packed by different threads at once. */
int panel_pack(GgmlType t, const void *W, int64_t rows, int64_t cols, void *dst, int64_t p0, int64_t p1);
/* Writes row r (< 8) of one panel back in the row-major block format
 * (quant_row_size(t, cols) bytes): the inverse of panel_pack. Returns 0 or -1. */
int panel_unpack_row(GgmlType t, const void *panel, int64_t cols, int r, void *row);

#endif
