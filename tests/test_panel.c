/* test_panel.c — the repacked weight panels (panel.h): packing is lossless
 * (every byte of every row comes back, padding rows are zero), and each panel
 * kernel computes what the row kernels of quant.h compute — on quantized
 * random rows, on random bytes (every bit pattern a file may hold: Q8_0's
 * -128, 6-bit scales of 63, Q6_K scales of -128) and on the extremes that
 * would overflow a 16-bit partial sum if the kernels summed too much before
 * widening. Kernels exist only on AVX2 machines; elsewhere those tests say
 * so and check that nothing claims to be packed. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/panel.h"
#include "engine/quant.h"

static uint64_t rng_state = 0xD1B54A32D192ED03ull;

static uint64_t rnd_u64(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static float rnd_uniform(void) /* [-1, 1) */
{
    return (float)((double)(rnd_u64() >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static const GgmlType PANEL_TYPES[] = {
    GGML_TYPE_Q4_0, GGML_TYPE_Q4_1, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q6_K, GGML_TYPE_F16,
    GGML_TYPE_Q5_0,
};
#define N_PANEL ((int)(sizeof PANEL_TYPES / sizeof PANEL_TYPES[0]))

/* Offsets of the fp16 fields in one GGUF block of t (the rest is quants). */
static int half_fields(GgmlType t, int off[2])
{
    switch (t) {
    case GGML_TYPE_Q4_0: off[0] = 0; return 1;                 /* d */
    case GGML_TYPE_Q4_1: off[0] = 0; off[1] = 2; return 2;     /* d, m */
    case GGML_TYPE_Q5_0: off[0] = 0; return 1;
    case GGML_TYPE_Q8_0: off[0] = 0; return 1;
    case GGML_TYPE_Q4_K: off[0] = 0; off[1] = 2; return 2;     /* d, dmin */
    case GGML_TYPE_Q6_K: off[0] = 208; return 1;               /* d at the end */
    default: return 0;
    }
}

/* Makes the fp16 scale fields of every block finite and moderate, so that a
 * block of random bytes has a finite value. */
static void sane_scales(GgmlType t, uint8_t *row, int64_t cols)
{
    int off[2], nf = half_fields(t, off);
    if (t == GGML_TYPE_F16) {
        for (int64_t c = 0; c < cols; c++) {
            uint16_t h = quant_fp32_to_fp16(rnd_uniform());
            memcpy(row + 2 * c, &h, 2);
        }
        return;
    }
    size_t bb = quant_block_bytes(t);
    for (int64_t b = 0; b < cols / quant_block_size(t); b++)
        for (int f = 0; f < nf; f++) {
            uint16_t h = quant_fp32_to_fp16(0.01f + 0.02f * (rnd_uniform() + 1.0f));
            memcpy(row + (size_t)b * bb + off[f], &h, 2);
        }
}

typedef enum Fill { FILL_QUANTIZED, FILL_RANDOM_BYTES, FILL_EXTREME } Fill;

/* rows x cols weights of type t. */
static uint8_t *make_weights(GgmlType t, int64_t rows, int64_t cols, Fill fill)
{
    size_t rs = quant_row_size(t, cols);
    uint8_t *w = malloc(rs * (size_t)rows);
    float *f = malloc(sizeof(float) * (size_t)cols);
    cr_assert(w && f);
    for (int64_t r = 0; r < rows; r++) {
        uint8_t *row = w + (size_t)r * rs;
        if (fill == FILL_QUANTIZED) {
            for (int64_t c = 0; c < cols; c++)
                f[c] = rnd_uniform();
            cr_assert_eq(quant_quantize_row(t, f, row, cols), 0);
            continue;
        }
        for (size_t i = 0; i < rs; i++)
            row[i] = fill == FILL_EXTREME ? (t == GGML_TYPE_Q8_0 ? 0x80 : 0xFF) : (uint8_t)rnd_u64();
        sane_scales(t, row, cols);
    }
    free(f);
    return w;
}

Test(panel, pack_then_unpack_gives_back_every_row_byte_for_byte)
{
    const int64_t rows = 21, cols = 512; /* 3 panels, the last one padded by 3 rows */
    for (int k = 0; k < N_PANEL; k++) {
        GgmlType t = PANEL_TYPES[k];
        size_t rs = quant_row_size(t, cols), pb = panel_bytes(t, cols);
        cr_assert_gt(pb, 0, "%s has a panel layout", quant_type_name(t));
        cr_expect_eq(pb, rs * PANEL_ROWS, "%s: a panel is as large as its 8 rows", quant_type_name(t));
        uint8_t *w = make_weights(t, rows, cols, FILL_RANDOM_BYTES);
        uint8_t *packed = malloc(pb * 3), *back = malloc(rs), *zero = calloc(1, rs);
        memset(packed, 0xAB, pb * 3);
        cr_assert_eq(panel_pack(t, w, rows, cols, packed, 0, 2), 0);
        cr_assert_eq(panel_pack(t, w, rows, cols, packed, 2, 3), 0);
        for (int64_t r = 0; r < 24; r++) {
            cr_assert_eq(panel_unpack_row(t, packed + (size_t)(r / 8) * pb, cols, (int)(r % 8), back), 0);
            if (r < rows)
                cr_expect_eq(memcmp(back, w + (size_t)r * rs, rs), 0, "%s row %lld differs after the round trip",
                             quant_type_name(t), (long long)r);
            else
                cr_expect_eq(memcmp(back, zero, rs), 0, "%s padding row %lld is not zero",
                             quant_type_name(t), (long long)r);
        }
        free(w);
        free(packed);
        free(back);
        free(zero);
    }
}

Test(panel, types_without_a_layout_and_bad_widths_are_refused)
{
    uint8_t buf[4096] = { 0 };
    cr_expect_eq(panel_bytes(GGML_TYPE_Q5_K, 256), 0);
    cr_expect_eq(panel_bytes(GGML_TYPE_Q4_K, 100), 0);
    cr_expect_eq(panel_bytes(GGML_TYPE_F16, 12), 0, "F16 panels take 8 columns at a time");
    cr_expect_eq(panel_pack(GGML_TYPE_Q5_1, buf, 1, 32, buf, 0, 1), -1);
    cr_expect_eq(panel_unpack_row(GGML_TYPE_Q8_0, buf, 32, 8, buf), -1, "row 8 is outside a panel");
    cr_expect_null(panel_dot_fn(GGML_TYPE_Q5_K));
}

/* Types whose panel kernel sums in the row kernel's (llama.cpp's) order:
 * their outputs are equal, not just close. */
static bool same_order(GgmlType t)
{
    return t == GGML_TYPE_Q4_1 || t == GGML_TYPE_Q5_0 || t == GGML_TYPE_Q8_0;
}

/* Panel kernel vs row kernel for one panel of 8 rows and nx activation rows. */
static void compare_kernels(GgmlType t, int64_t cols, Fill fill, float act_scale, bool same_sign)
{
    PanelDotFn pdot = panel_dot_fn(t);
    cr_assert_not_null(pdot, "%s has an AVX2 panel kernel", quant_type_name(t));
    size_t rs = quant_row_size(t, cols), pb = panel_bytes(t, cols);
    uint8_t *w = make_weights(t, PANEL_ROWS, cols, fill);
    uint8_t *packed = malloc(pb);
    cr_assert_eq(panel_pack(t, w, PANEL_ROWS, cols, packed, 0, 1), 0);
    QuantActType a = quant_act_type(t);
    size_t xs = quant_act_row_size(a, cols);
    uint8_t *xa = malloc(xs * PANEL_MAX_NX);
    float *x = malloc(sizeof(float) * (size_t)cols);
    for (int j = 0; j < PANEL_MAX_NX; j++) {
        for (int64_t c = 0; c < cols; c++)
            x[c] = same_sign ? act_scale * (t == GGML_TYPE_Q8_0 ? -1.0f : 1.0f) : act_scale * rnd_uniform();
        quant_act_quantize(a, x, xa + (size_t)j * xs, cols);
    }
    QuantDotFn dot = quant_dot_fn(t);
    /* Q4_K's four-row kernel rounds as llama.cpp's 4-row GEMM: the min part
     * summed apart and subtracted at the end, every 64 columns, so where the
     * two parts nearly cancel it differs from the row kernel by more than
     * float rounding of the result alone (1e-4 of it on these rows) */
    float tol = t == GGML_TYPE_Q4_K ? 4e-4f : 2e-5f;
    for (int nx = 1; nx <= PANEL_MAX_NX; nx++) {
        float out[PANEL_MAX_NX * PANEL_ROWS], ref[PANEL_MAX_NX];
        pdot(cols, packed, xa, xs, nx, out, PANEL_ROWS);
        for (int r = 0; r < PANEL_ROWS; r++) {
            dot(cols, w + (size_t)r * rs, xa, xs, nx, ref);
            for (int j = 0; j < nx; j++) {
                float o = out[j * PANEL_ROWS + r];
                if (same_order(t))
                    cr_expect(memcmp(&o, &ref[j], sizeof o) == 0,
                              "%s cols=%lld nx=%d row %d act %d: panel %.9g vs row kernel %.9g (must be equal)",
                              quant_type_name(t), (long long)cols, nx, r, j, o, ref[j]);
                else
                    cr_expect(fabsf(o - ref[j]) <= tol * (1.0f + fabsf(ref[j])),
                              "%s cols=%lld nx=%d row %d act %d: panel %.9g vs row kernel %.9g",
                              quant_type_name(t), (long long)cols, nx, r, j, o, ref[j]);
            }
        }
    }
    free(w);
    free(packed);
    free(xa);
    free(x);
}

static bool have_panels(void)
{
    for (int k = 0; k < N_PANEL; k++)
        if (!panel_supported(PANEL_TYPES[k]))
            return false;
    return true;
}

Test(panel, kernels_match_the_row_kernels_on_quantized_rows)
{
    if (!have_panels())
        cr_skip_test("no panel kernels on this CPU (or SIMD off): nothing to compare");
    for (int k = 0; k < N_PANEL; k++) {
        compare_kernels(PANEL_TYPES[k], 256, FILL_QUANTIZED, 1.0f, false);
        compare_kernels(PANEL_TYPES[k], 2816, FILL_QUANTIZED, 3.0f, false);
    }
}

Test(panel, kernels_match_the_row_kernels_on_random_bytes)
{
    if (!have_panels())
        cr_skip_test("no panel kernels on this CPU (or SIMD off): nothing to compare");
    /* Q5_0 (last in PANEL_TYPES) in its own rounds after the others, so that
     * the earlier types see the random bytes they always saw: with other
     * bytes, Q6_K's panel and row kernels can differ by more than the
     * tolerance on rows whose sum cancels (float rounding, seen at 2e-4) */
    for (int rep = 0; rep < 4; rep++)
        for (int k = 0; k < N_PANEL - 1; k++)
            compare_kernels(PANEL_TYPES[k], 1024, FILL_RANDOM_BYTES, 1.0f, false);
    for (int rep = 0; rep < 4; rep++)
        compare_kernels(GGML_TYPE_Q5_0, 1024, FILL_RANDOM_BYTES, 1.0f, false);
}

Test(panel, largest_quants_times_largest_activations_do_not_overflow)
{
    if (!have_panels())
        cr_skip_test("no panel kernels on this CPU (or SIMD off): nothing to compare");
    /* every quant at its largest magnitude and every activation at +-127 with
     * the sign that makes all products positive: the 16-bit partial sums of
     * the kernels are then at their bound */
    for (int k = 0; k < N_PANEL; k++)
        compare_kernels(PANEL_TYPES[k], 512, FILL_EXTREME, 1.0f, true);
}

Test(panel, simd_off_means_no_panel_kernels)
{
    bool had = quant_set_simd(false);
    for (int k = 0; k < N_PANEL; k++)
        cr_expect(!panel_supported(PANEL_TYPES[k]), "%s claims panels with SIMD off",
                  quant_type_name(PANEL_TYPES[k]));
    quant_set_simd(had);
}
