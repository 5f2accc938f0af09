/* panel.c — the panel layouts (see panel.h): packing row-major GGUF blocks
 * into panels of eight interleaved rows and back, in plain C. The kernels that
 * read them are in panel_avx2.c; this file only moves bytes, so packing is
 * exact and the same on every CPU.
 *
 * Layouts, per block of columns, for rows r = 0..7 of the panel ("4-byte
 * interleave": vector k of a block holds bytes 4k..4k+3 of every row's quants,
 * row r at bytes 4r..4r+3):
 *   Q4_0 (32 cols, 144 B): d[8] fp16 | qs[128]: qs[32k+4r+i] = row r qs[4k+i], k < 4
 *   Q4_1 (32 cols, 160 B): d[8] | m[8] | qs[128] as Q4_0
 *   Q5_0 (32 cols, 176 B): d[8] | qh[32]: qh[4r+i] = row r qh[i] | qs[128] as Q4_0
 *   Q8_0 (32 cols, 272 B): d[8] | qs[256]: qs[32k+4r+i] = row r qs[4k+i], k < 8
 *   Q4_K (256 cols, 1152 B): d[8] | dmin[8] | sm[96] | qs[1024]:
 *       sm[8s+r]    = (scale[s] & 15) | (min[s] & 15) << 4                 s < 8
 *       sm[64+8s+r] = scale[s] >> 4 | (min[s] >> 4) << 2
 *                     | (scale[s+4] >> 4) << 4 | (min[s+4] >> 4) << 6     s < 4
 *       qs[256c+32k+4r+i] = row r qs[32c+4k+i]                           c < 4, k < 8
 *   Q6_K (256 cols, 1680 B): d[8] | sc[128] | ql[1024] | qh[512]:
 *       sc[8g+r] = row r scales[g]                                         g < 16
 *       ql[512h+64k+4r+i] = row r ql[64h+4k+i], ql[512h+64k+32+4r+i] = row r ql[64h+32+4k+i]
 *       qh[256h+32k+4r+i] = row r qh[32h+4k+i]                            h < 2, k < 8
 *   F16 (8 cols, 128 B): w[8c+r] = row r element c
 * The fp16 scale arrays hold row r's value at index r. */
#include "engine/panel.h"

#include <string.h>

#include "engine/quant_impl.h"

typedef struct PanelLayout {
    int cols;        /* columns per block */
    size_t bytes;    /* bytes per block of 8 rows */
} PanelLayout;

static const PanelLayout *layout(GgmlType t)
{
    static const PanelLayout q4_0 = { 32, 144 }, q4_1 = { 32, 160 }, q5_0 = { 32, 176 }, q8_0 = { 32, 272 },
                             q4_k = { 256, 1152 }, q6_k = { 256, 1680 }, f16 = { 8, 128 };
    switch (t) {
    case GGML_TYPE_Q4_0: return &q4_0;
    case GGML_TYPE_Q4_1: return &q4_1;
    case GGML_TYPE_Q5_0: return &q5_0;
    case GGML_TYPE_Q8_0: return &q8_0;
    case GGML_TYPE_Q4_K: return &q4_k;
    case GGML_TYPE_Q6_K: return &q6_k;
    case GGML_TYPE_F16: return &f16;
    default: return NULL;
    }
}

size_t panel_bytes(GgmlType t, int64_t n)
{
    const PanelLayout *l = layout(t);
    if (!l || n <= 0 || n % l->cols)
        return 0;
    return (size_t)(n / l->cols) * l->bytes;
}

/* Interleaves `len` bytes (a multiple of 4) of row r into dst in 4-byte
 * groups: group k of row r goes to dst[32k + 4r]. */
static void interleave4(uint8_t *dst, const uint8_t *src, int len, int r)
{
    for (int k = 0; k < len / 4; k++)
        memcpy(dst + 32 * k + 4 * r, src + 4 * k, 4);
}

static void deinterleave4(uint8_t *dst, const uint8_t *src, int len, int r)
{
    for (int k = 0; k < len / 4; k++)
        memcpy(dst + 4 * k, src + 32 * k + 4 * r, 4);
}

static void put16(uint8_t *p, int idx, uint16_t v)
{
    memcpy(p + 2 * idx, &v, 2);
}

static uint16_t get16(const uint8_t *p, int idx)
{
    uint16_t v;
    memcpy(&v, p + 2 * idx, 2);
    return v;
}

/* One block of row r (source `in`, GGUF format) into the panel block `out`. */
static void pack_block(GgmlType t, const uint8_t *in, uint8_t *out, int r)
{
    switch (t) {
    case GGML_TYPE_Q4_0: {
        const BlockQ4_0 *b = (const BlockQ4_0 *)in;
        put16(out, r, b->d);
        interleave4(out + 16, b->qs, 16, r);
        break;
    }
    case GGML_TYPE_Q4_1: {
        const BlockQ4_1 *b = (const BlockQ4_1 *)in;
        put16(out, r, b->d);
        put16(out + 16, r, b->m);
        interleave4(out + 32, b->qs, 16, r);
        break;
    }
    case GGML_TYPE_Q5_0: {
        const BlockQ5_0 *b = (const BlockQ5_0 *)in;
        put16(out, r, b->d);
        memcpy(out + 16 + 4 * r, b->qh, 4);
        interleave4(out + 48, b->qs, 16, r);
        break;
    }
    case GGML_TYPE_Q8_0: {
        const BlockQ8_0 *b = (const BlockQ8_0 *)in;
        put16(out, r, b->d);
        interleave4(out + 16, (const uint8_t *)b->qs, 32, r);
        break;
    }
    case GGML_TYPE_Q4_K: {
        const BlockQ4_K *b = (const BlockQ4_K *)in;
        put16(out, r, b->d);
        put16(out + 16, r, b->dmin);
        uint8_t sc[8], mn[8];
        for (int s = 0; s < 8; s++)
            quant_k4_scale_min(s, b->scales, &sc[s], &mn[s]);
        uint8_t *sm = out + 32;
        for (int s = 0; s < 8; s++)
            sm[8 * s + r] = (uint8_t)((sc[s] & 15) | (mn[s] & 15) << 4);
        for (int s = 0; s < 4; s++)
            sm[64 + 8 * s + r] = (uint8_t)(sc[s] >> 4 | (mn[s] >> 4) << 2 | (sc[s + 4] >> 4) << 4 |
                                           (mn[s + 4] >> 4) << 6);
        for (int c = 0; c < 4; c++)
            interleave4(out + 128 + 256 * c, b->qs + 32 * c, 32, r);
        break;
    }
    case GGML_TYPE_Q6_K: {
        const BlockQ6_K *b = (const BlockQ6_K *)in;
        put16(out, r, b->d);
        for (int g = 0; g < 16; g++)
            out[16 + 8 * g + r] = (uint8_t)b->scales[g];
        uint8_t *ql = out + 144, *qh = out + 144 + 1024;
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 8; k++) {
                memcpy(ql + 512 * h + 64 * k + 4 * r, b->ql + 64 * h + 4 * k, 4);
                memcpy(ql + 512 * h + 64 * k + 32 + 4 * r, b->ql + 64 * h + 32 + 4 * k, 4);
                memcpy(qh + 256 * h + 32 * k + 4 * r, b->qh + 32 * h + 4 * k, 4);
            }
        break;
    }
    case GGML_TYPE_F16:
        for (int c = 0; c < 8; c++)
            memcpy(out + 16 * c + 2 * r, in + 2 * c, 2);
        break;
    default:
        break;
    }
}

/* The inverse of pack_block: row r of the panel block back to GGUF format. */
static void unpack_block(GgmlType t, const uint8_t *in, uint8_t *out, int r)
{
    switch (t) {
    case GGML_TYPE_Q4_0: {
        BlockQ4_0 *b = (BlockQ4_0 *)out;
        b->d = get16(in, r);
        deinterleave4(b->qs, in + 16, 16, r);
        break;
    }
    case GGML_TYPE_Q4_1: {
        BlockQ4_1 *b = (BlockQ4_1 *)out;
        b->d = get16(in, r);
        b->m = get16(in + 16, r);
        deinterleave4(b->qs, in + 32, 16, r);
        break;
    }
    case GGML_TYPE_Q5_0: {
        BlockQ5_0 *b = (BlockQ5_0 *)out;
        b->d = get16(in, r);
        memcpy(b->qh, in + 16 + 4 * r, 4);
        deinterleave4(b->qs, in + 48, 16, r);
        break;
    }
    case GGML_TYPE_Q8_0: {
        BlockQ8_0 *b = (BlockQ8_0 *)out;
        b->d = get16(in, r);
        deinterleave4((uint8_t *)b->qs, in + 16, 32, r);
        break;
    }
    case GGML_TYPE_Q4_K: {
        BlockQ4_K *b = (BlockQ4_K *)out;
        b->d = get16(in, r);
        b->dmin = get16(in + 16, r);
        const uint8_t *sm = in + 32;
        uint8_t sc[8], mn[8];
        for (int s = 0; s < 8; s++) {
            uint8_t hb = sm[64 + 8 * (s & 3) + r] >> (s < 4 ? 0 : 4);
            sc[s] = (uint8_t)((sm[8 * s + r] & 15) | (hb & 3) << 4);
            mn[s] = (uint8_t)((sm[8 * s + r] >> 4) | ((hb >> 2) & 3) << 4);
        }
        /* ggml's 12-byte packing of 8 six-bit scales and mins */
        for (int s = 0; s < 4; s++) {
            b->scales[s] = (uint8_t)(sc[s] | (sc[s + 4] >> 4) << 6);
            b->scales[s + 4] = (uint8_t)(mn[s] | (mn[s + 4] >> 4) << 6);
            b->scales[s + 8] = (uint8_t)((sc[s + 4] & 15) | (mn[s + 4] & 15) << 4);
        }
        for (int c = 0; c < 4; c++)
            deinterleave4(b->qs + 32 * c, in + 128 + 256 * c, 32, r);
        break;
    }
    case GGML_TYPE_Q6_K: {
        BlockQ6_K *b = (BlockQ6_K *)out;
        b->d = get16(in, r);
        for (int g = 0; g < 16; g++)
            b->scales[g] = (int8_t)in[16 + 8 * g + r];
        const uint8_t *ql = in + 144, *qh = in + 144 + 1024;
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 8; k++) {
                memcpy(b->ql + 64 * h + 4 * k, ql + 512 * h + 64 * k + 4 * r, 4);
                memcpy(b->ql + 64 * h + 32 + 4 * k, ql + 512 * h + 64 * k + 32 + 4 * r, 4);
                memcpy(b->qh + 32 * h + 4 * k, qh + 256 * h + 32 * k + 4 * r, 4);
            }
        break;
    }
    case GGML_TYPE_F16:
        for (int c = 0; c < 8; c++)
            memcpy(out + 2 * c, in + 16 * c + 2 * r, 2);
        break;
    default:
        break;
    }
}

int panel_pack(GgmlType t, const void *W, int64_t rows, int64_t cols, void *dst, int64_t p0, int64_t p1)
{
    const PanelLayout *l = layout(t);
    size_t pb = panel_bytes(t, cols);
    if (!l || !pb || rows < 0)
        return -1;
    size_t rs = quant_row_size(t, cols), ib = quant_block_bytes(t) * (size_t)(l->cols / quant_block_size(t));
    int64_t nb = cols / l->cols;
    for (int64_t p = p0; p < p1; p++) {
        uint8_t *out = (uint8_t *)dst + (size_t)p * pb;
        if ((p + 1) * PANEL_ROWS > rows)
            memset(out, 0, pb); /* padding rows: zero scales and quants */
        for (int r = 0; r < PANEL_ROWS; r++) {
            int64_t row = p * PANEL_ROWS + r;
            if (row >= rows)
                break;
            const uint8_t *in = (const uint8_t *)W + (size_t)row * rs;
            for (int64_t b = 0; b < nb; b++)
                pack_block(t, in + (size_t)b * ib, out + (size_t)b * l->bytes, r);
        }
    }
    return 0;
}

int panel_unpack_row(GgmlType t, const void *panel, int64_t cols, int r, void *row)
{
    const PanelLayout *l = layout(t);
    if (!l || !panel_bytes(t, cols) || r < 0 || r >= PANEL_ROWS)
        return -1;
    size_t ib = quant_block_bytes(t) * (size_t)(l->cols / quant_block_size(t));
    int64_t nb = cols / l->cols;
    for (int64_t b = 0; b < nb; b++)
        unpack_block(t, (const uint8_t *)panel + (size_t)b * l->bytes, (uint8_t *)row + (size_t)b * ib, r);
    return 0;
}

bool panel_supported(GgmlType t)
{
    return panel_dot_fn(t) != NULL;
}

PanelDotFn panel_dot_fn(GgmlType t)
{
    if (!layout(t) || !quant_simd_active())
        return NULL;
#ifdef QUANT_HAVE_AVX2_FILE
    return panel_kernels_avx2(t);
#else
    return NULL;
#endif
}
