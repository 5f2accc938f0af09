/* SIMT emulation: every CUDA thread of a block is a ucontext fiber; __syncthreads
 * and warp shuffles are barriers the scheduler releases when every live thread
 * of the scope has arrived; a deadlock (divergent barrier) aborts. */
#pragma once
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <functional>
extern "C" float quant_fp16_to_fp32(uint16_t h);
#define __device__
#define __host__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __restrict__
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static
struct dim3 { unsigned x, y, z; dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {} };
struct uint3e { unsigned x, y, z; };
extern thread_local uint3e threadIdx, blockIdx, blockDim, gridDim;
extern uint3e threadIdx_cur;
struct float4 { float x, y, z, w; };
struct fake_half { unsigned short x; };
static inline fake_half __ushort_as_half(unsigned short x) { return fake_half{x}; }
static inline float __half2float(fake_half h) { return quant_fp16_to_fp32(h.x); }
template <class T> static inline T __ldg(const T *p) { return *p; }
static inline float __uint_as_float(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
void __syncthreads();
float emu_shfl_f(float v, int src_lane, int mode); /* mode 0: from lane, 1: xor */
int emu_shfl_i(int v, int src_lane, int mode);
static inline float __shfl_xor_sync(unsigned, float v, int o) { return emu_shfl_f(v, o, 1); }
static inline int __shfl_xor_sync(unsigned, int v, int o) { return emu_shfl_i(v, o, 1); }
static inline float __shfl_sync(unsigned, float v, int l) { return emu_shfl_f(v, l, 0); }
using std::min; using std::max;
static inline void emu_sincos(double x, double *s, double *c) { *s = sin(x); *c = cos(x); }
#define sincos emu_sincos
extern unsigned char *emu_dyn_smem;
#define EXTERN_SHARED_FLOAT(name) float *name = (float *)emu_dyn_smem
void emu_launch(dim3 grid, dim3 block, size_t smem, std::function<void()> body);
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
