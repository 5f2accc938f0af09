/* dequant.cuh — device-side reading of ggml weight rows, shared by the matrix
 * and embedding kernels: dq8<T>(row, j, v) dequantizes the 8 consecutive
 * elements j .. j+7 (j a multiple of 8) of one row of type T into v, bit for
 * bit the values engine/quant.c's quant_dequantize_row() produces, and
 * dq1<T>(row, j) reads one element of the float types (whose rows may end in a
 * partial group of 8). Every field of every block sits at an even offset, so
 * all loads are 16-bit or wider (a row is only guaranteed 2-byte alignment).
 * Also the type dispatch (KERN_DISPATCH) the launchers use. Not for host code. */
#ifndef VERSUS_DEQUANT_CUH
#define VERSUS_DEQUANT_CUH

#include <cuda_fp16.h>
#include <stdint.h>

#include "core/ggml_type.h"

template <int T> struct TypeTraits;
template <> struct TypeTraits<GGML_TYPE_F32> { static constexpr int BLK = 1, BYTES = 4; };
template <> struct TypeTraits<GGML_TYPE_F16> { static constexpr int BLK = 1, BYTES = 2; };
template <> struct TypeTraits<GGML_TYPE_BF16> { static constexpr int BLK = 1, BYTES = 2; };
template <> struct TypeTraits<GGML_TYPE_Q4_0> { static constexpr int BLK = 32, BYTES = 18; };
template <> struct TypeTraits<GGML_TYPE_Q4_1> { static constexpr int BLK = 32, BYTES = 20; };
template <> struct TypeTraits<GGML_TYPE_Q5_0> { static constexpr int BLK = 32, BYTES = 22; };
template <> struct TypeTraits<GGML_TYPE_Q5_1> { static constexpr int BLK = 32, BYTES = 24; };
template <> struct TypeTraits<GGML_TYPE_Q8_0> { static constexpr int BLK = 32, BYTES = 34; };
template <> struct TypeTraits<GGML_TYPE_Q4_K> { static constexpr int BLK = 256, BYTES = 144; };
template <> struct TypeTraits<GGML_TYPE_Q5_K> { static constexpr int BLK = 256, BYTES = 176; };
template <> struct TypeTraits<GGML_TYPE_Q6_K> { static constexpr int BLK = 256, BYTES = 210; };

/* True for the float types, whose rows can have any length. */
template <int T> struct IsFloatType { static constexpr bool value = TypeTraits<T>::BLK == 1; };

static __device__ __forceinline__ uint32_t ld_u16(const uint8_t *p)
{
    return __ldg(reinterpret_cast<const unsigned short *>(p));
}

static __device__ __forceinline__ float ld_f16(const uint8_t *p)
{
    return __half2float(__ushort_as_half((unsigned short)ld_u16(p)));
}

static __device__ __forceinline__ float bf16_bits_to_f32(uint32_t h)
{
    return __uint_as_float(h << 16);
}

/* 8 bytes from a 2-byte-aligned address, little-endian, as one 64-bit word. */
static __device__ __forceinline__ uint64_t ld_8bytes(const uint8_t *p)
{
    return (uint64_t)ld_u16(p) | (uint64_t)ld_u16(p + 2) << 16 | (uint64_t)ld_u16(p + 4) << 32 |
           (uint64_t)ld_u16(p + 6) << 48;
}

static __device__ __forceinline__ int byte_of(uint64_t w, int k)
{
    return (int)((w >> (8 * k)) & 0xFF);
}

/* 6-bit scale and min of sub-block s (0..7) of a Q4_K/Q5_K block's 12 packed bytes. */
static __device__ __forceinline__ void k4_scale_min(const uint8_t *q, int s, float *sc, float *m)
{
    /* bytes s, s+4 and s-4 / s+4 of the 12; read as 16-bit words at even offsets */
    auto byte = [q](int i) { return (int)((ld_u16(q + (i & ~1)) >> (8 * (i & 1))) & 0xFF); };
    if (s < 4) {
        *sc = (float)(byte(s) & 63);
        *m = (float)(byte(s + 4) & 63);
    } else {
        *sc = (float)((byte(s + 4) & 0xF) | ((byte(s - 4) >> 6) << 4));
        *m = (float)((byte(s + 4) >> 4) | ((byte(s) >> 6) << 4));
    }
}

/* One element of a float-type row. */
template <int T> static __device__ __forceinline__ float dq1(const uint8_t *row, int j)
{
    if constexpr (T == GGML_TYPE_F32)
        return __ldg(reinterpret_cast<const float *>(row) + j);
    else if constexpr (T == GGML_TYPE_F16)
        return ld_f16(row + 2 * j);
    else if constexpr (T == GGML_TYPE_BF16)
        return bf16_bits_to_f32(ld_u16(row + 2 * j));
    else
        return 0.0f; /* block types are always read 8 at a time */
}

/* Elements j .. j+7 of a row (j % 8 == 0, j + 8 <= cols). */
template <int T> static __device__ __forceinline__ void dq8(const uint8_t *row, int j, float v[8])
{
    constexpr int BLK = TypeTraits<T>::BLK, BYTES = TypeTraits<T>::BYTES;
    if constexpr (BLK == 1) {
#pragma unroll
        for (int k = 0; k < 8; k++)
            v[k] = dq1<T>(row, j + k);
    } else {
        const uint8_t *b = row + (size_t)(j / BLK) * BYTES;
        const int e = j % BLK; /* first element inside the block */
        if constexpr (T == GGML_TYPE_Q4_0 || T == GGML_TYPE_Q4_1) {
            constexpr int QS = T == GGML_TYPE_Q4_0 ? 2 : 4;
            const float d = ld_f16(b);
            const float m = T == GGML_TYPE_Q4_1 ? ld_f16(b + 2) : 0.0f;
            const uint64_t q = ld_8bytes(b + QS + (e & 15));
            const int sh = e >= 16 ? 4 : 0;
#pragma unroll
            for (int k = 0; k < 8; k++) {
                int n = (byte_of(q, k) >> sh) & 0xF;
                v[k] = T == GGML_TYPE_Q4_0 ? (float)(n - 8) * d : (float)n * d + m;
            }
        } else if constexpr (T == GGML_TYPE_Q5_0 || T == GGML_TYPE_Q5_1) {
            constexpr int QH = T == GGML_TYPE_Q5_0 ? 2 : 4, QS = QH + 4;
            const float d = ld_f16(b);
            const float m = T == GGML_TYPE_Q5_1 ? ld_f16(b + 2) : 0.0f;
            const uint32_t qh = ld_u16(b + QH) | ld_u16(b + QH + 2) << 16;
            const uint64_t q = ld_8bytes(b + QS + (e & 15));
            const int sh = e >= 16 ? 4 : 0;
#pragma unroll
            for (int k = 0; k < 8; k++) {
                int n = ((byte_of(q, k) >> sh) & 0xF) | (int)((qh >> (e + k)) & 1) << 4;
                v[k] = T == GGML_TYPE_Q5_0 ? (float)(n - 16) * d : (float)n * d + m;
            }
        } else if constexpr (T == GGML_TYPE_Q8_0) {
            const float d = ld_f16(b);
            const uint64_t q = ld_8bytes(b + 2 + e);
#pragma unroll
            for (int k = 0; k < 8; k++)
                v[k] = (float)(int8_t)byte_of(q, k) * d;
        } else if constexpr (T == GGML_TYPE_Q4_K || T == GGML_TYPE_Q5_K) {
            /* sub-block s of 32: nibbles of qs[32*(e/64) + e%32], low for even s */
            constexpr int QS = T == GGML_TYPE_Q4_K ? 16 : 48;
            const int s = e / 32, l = e % 32;
            float sc, mn;
            k4_scale_min(b + 4, s, &sc, &mn);
            const float d = ld_f16(b) * sc, o = ld_f16(b + 2) * mn;
            const uint64_t q = ld_8bytes(b + QS + 32 * (e / 64) + l);
            const int sh = (s & 1) * 4;
            uint64_t h = 0;
            if constexpr (T == GGML_TYPE_Q5_K)
                h = ld_8bytes(b + 16 + l); /* bit s of qh[l] is the 5th bit */
#pragma unroll
            for (int k = 0; k < 8; k++) {
                int n = (byte_of(q, k) >> sh) & 0xF;
                if constexpr (T == GGML_TYPE_Q5_K)
                    n += ((byte_of(h, k) >> s) & 1) << 4;
                v[k] = d * (float)n - o;
            }
        } else if constexpr (T == GGML_TYPE_Q6_K) {
            /* half h of 128; group g of 32 in it; l within the group */
            const int hf = e / 128, g = (e % 128) / 32, l = e % 32;
            const uint64_t ql = ld_8bytes(b + 64 * hf + l + 32 * (g & 1));
            const uint64_t qh = ld_8bytes(b + 128 + 32 * hf + l);
            const int si = 192 + 8 * hf + l / 16 + 2 * g;
            const int sc = (int8_t)((ld_u16(b + (si & ~1)) >> (8 * (si & 1))) & 0xFF);
            const float d = ld_f16(b + 208) * (float)sc;
            const int shl = (g >> 1) * 4, shh = 2 * g;
#pragma unroll
            for (int k = 0; k < 8; k++) {
                int n = ((byte_of(ql, k) >> shl) & 0xF) | ((byte_of(qh, k) >> shh) & 3) << 4;
                v[k] = d * (float)(n - 32);
            }
        }
    }
}

/* Calls KERNEL_BODY(T) with T a compile-time ggml type for the runtime type t;
 * evaluates to cudaErrorInvalidValue for any other type. */
#define KERN_DISPATCH(t, KERNEL_BODY)                                                             \
    switch (t) {                                                                                  \
    case GGML_TYPE_F32: KERNEL_BODY(GGML_TYPE_F32); break;                                        \
    case GGML_TYPE_F16: KERNEL_BODY(GGML_TYPE_F16); break;                                        \
    case GGML_TYPE_BF16: KERNEL_BODY(GGML_TYPE_BF16); break;                                      \
    case GGML_TYPE_Q4_0: KERNEL_BODY(GGML_TYPE_Q4_0); break;                                      \
    case GGML_TYPE_Q4_1: KERNEL_BODY(GGML_TYPE_Q4_1); break;                                      \
    case GGML_TYPE_Q5_0: KERNEL_BODY(GGML_TYPE_Q5_0); break;                                      \
    case GGML_TYPE_Q5_1: KERNEL_BODY(GGML_TYPE_Q5_1); break;                                      \
    case GGML_TYPE_Q8_0: KERNEL_BODY(GGML_TYPE_Q8_0); break;                                      \
    case GGML_TYPE_Q4_K: KERNEL_BODY(GGML_TYPE_Q4_K); break;                                      \
    case GGML_TYPE_Q5_K: KERNEL_BODY(GGML_TYPE_Q5_K); break;                                      \
    case GGML_TYPE_Q6_K: KERNEL_BODY(GGML_TYPE_Q6_K); break;                                      \
    default: return cudaErrorInvalidValue;                                                        \
    }

/* Reductions over a warp (all 32 lanes active). */
static __device__ __forceinline__ float warp_sum(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

static __device__ __forceinline__ float warp_max(float v)
{
#pragma unroll
    for (int o = 16; o > 0; o >>= 1)
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

/* Sum over a block of blockDim.x threads (a multiple of 32, <= 1024); every
 * thread gets the total. Uses 33 floats of the given shared scratch. */
static __device__ __forceinline__ float block_sum(float v, float *sh)
{
    const int lane = threadIdx.x % 32, w = threadIdx.x / 32, nw = blockDim.x / 32;
    v = warp_sum(v);
    __syncthreads(); /* sh may still be read by a previous call */
    if (lane == 0)
        sh[w] = v;
    __syncthreads();
    v = lane < nw ? sh[lane] : 0.0f;
    v = warp_sum(v);
    return v;
}

static __device__ __forceinline__ float block_max(float v, float *sh)
{
    const int lane = threadIdx.x % 32, w = threadIdx.x / 32, nw = blockDim.x / 32;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0)
        sh[w] = v;
    __syncthreads();
    v = lane < nw ? sh[lane] : -INFINITY;
    v = warp_max(v);
    return v;
}

#endif
