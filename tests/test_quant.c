/* test_quant.c — ggml block formats: half-precision conversion, hand-built
 * blocks decoded to known values (the bit layouts), quantize->dequantize
 * error bounds per type, and the dot kernels (SIMD vs portable). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static float rnd_uniform(void) /* [-1, 1) */
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((double)(rng_state >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static const GgmlType ALL_TYPES[] = {
    GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
    GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K,
    GGML_TYPE_Q6_K, GGML_TYPE_MXFP4,
};
#define N_ALL ((int)(sizeof ALL_TYPES / sizeof ALL_TYPES[0]))

/* ---- half precision ---- */

Test(fp16, every_finite_half_round_trips_through_float)
{
    for (uint32_t h = 0; h < 65536; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) /* NaN payloads may change */
            continue;
        float f = quant_fp16_to_fp32((uint16_t)h);
        cr_assert_eq(quant_fp32_to_fp16(f), h, "half 0x%04x -> %g -> 0x%04x", h, f,
                     quant_fp32_to_fp16(f));
    }
}

Test(fp16, known_values_and_round_to_nearest_even)
{
    cr_assert_eq(quant_fp32_to_fp16(1.0f), 0x3c00);
    cr_assert_eq(quant_fp32_to_fp16(-2.0f), 0xc000);
    cr_assert_eq(quant_fp32_to_fp16(65504.0f), 0x7bff);
    cr_assert_eq(quant_fp32_to_fp16(65520.0f), 0x7c00);   /* halfway to inf: rounds up */
    cr_assert_eq(quant_fp32_to_fp16(1.0f + 0x1p-11f), 0x3c00); /* tie to even */
    cr_assert_eq(quant_fp32_to_fp16(1.0f + 0x1p-10f + 0x1p-11f), 0x3c02);
    cr_assert_eq(quant_fp32_to_fp16(0x1p-24f), 0x0001);   /* smallest subnormal */
    cr_assert_eq(quant_fp32_to_fp16(0x1p-26f), 0x0000);   /* underflows */
    cr_assert_eq(quant_fp32_to_fp16(INFINITY), 0x7c00);
    cr_assert(isnan(quant_fp16_to_fp32(quant_fp32_to_fp16(NAN))));
    cr_assert_float_eq(quant_fp16_to_fp32(0x3555), 0.333251953125f, 0.0f);
}

Test(bf16, conversion_rounds_to_nearest_even_and_keeps_nan)
{
    cr_assert_eq(quant_fp32_to_bf16(1.0f), 0x3f80);
    cr_assert_eq(quant_fp32_to_bf16(1.0f + 0x1p-8f), 0x3f80);              /* tie to even */
    cr_assert_eq(quant_fp32_to_bf16(1.0f + 0x1p-7f + 0x1p-8f), 0x3f82);
    cr_assert_float_eq(quant_bf16_to_fp32(0xc040), -3.0f, 0.0f);
    cr_assert(isnan(quant_bf16_to_fp32(quant_fp32_to_bf16(NAN))));
}

/* ---- layouts: hand-built blocks decode to the values ggml defines ---- */

Test(layout, q4_0_low_nibbles_first_half_high_nibbles_second)
{
    BlockQ4_0 b = { .d = 0x3c00 }; /* d = 1 */
    memset(b.qs, 0x88, sizeof b.qs); /* all 8 -> 0 */
    b.qs[0] = 0x1F; /* element 0: 15-8 = 7, element 16: 1-8 = -7 */
    b.qs[15] = 0x80; /* element 15: -8, element 31: 0 */
    float y[32];
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q4_0, &b, y, 32), 0);
    cr_assert_float_eq(y[0], 7.0f, 0.0f);
    cr_assert_float_eq(y[16], -7.0f, 0.0f);
    cr_assert_float_eq(y[15], -8.0f, 0.0f);
    cr_assert_float_eq(y[31], 0.0f, 0.0f);
}

Test(layout, q5_0_and_q5_1_take_fifth_bit_from_qh)
{
    BlockQ5_0 b = { .d = 0x4000 }; /* d = 2 */
    b.qh[0] = 0x01; /* element 0 high bit */
    b.qh[2] = 0x02; /* element 17 high bit */
    b.qs[0] = 0x01;
    b.qs[1] = 0x30;
    float y[32];
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q5_0, &b, y, 32), 0);
    cr_assert_float_eq(y[0], 2.0f * ((1 | 16) - 16), 0.0f);
    cr_assert_float_eq(y[16], 2.0f * (0 - 16), 0.0f);
    cr_assert_float_eq(y[17], 2.0f * ((3 | 16) - 16), 0.0f);
    BlockQ5_1 c = { .d = 0x3c00, .m = 0xbc00 }; /* d = 1, m = -1 */
    c.qh[3] = 0x80; /* element 31 */
    c.qs[15] = 0x20;
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q5_1, &c, y, 32), 0);
    cr_assert_float_eq(y[31], (2 | 16) - 1.0f, 0.0f);
    cr_assert_float_eq(y[15], -1.0f, 0.0f);
}

Test(layout, q4_k_six_bit_scales_and_mins_unpack_like_ggml)
{
    BlockQ4_K b = { .d = 0x3c00, .dmin = 0x3c00 };
    b.scales[0] = 0x41; /* sc0 = 1, top bits 01 feed sc4 */
    b.scales[4] = 0x05; /* m0 = 5, top bits 00 feed m4 */
    b.scales[8] = 0x23; /* sc4 = 3 | 1<<4 = 19, m4 = 2 */
    b.qs[0] = 0x0A;     /* element 0 (sub-block 0) = 10, element 32 (sub-block 1) = 0 */
    b.qs[64] = 0x03;    /* element 128 (sub-block 4) = 3 */
    float y[256];
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q4_K, &b, y, 256), 0);
    cr_assert_float_eq(y[0], 1.0f * 10 - 5.0f, 0.0f);
    cr_assert_float_eq(y[1], -5.0f, 0.0f);
    cr_assert_float_eq(y[32], 0.0f, 0.0f);
    cr_assert_float_eq(y[128], 19.0f * 3 - 2.0f, 0.0f);
}

Test(layout, q5_k_high_bits_pair_per_chunk)
{
    BlockQ5_K b = { .d = 0x3c00, .dmin = 0 };
    memset(b.scales, 0, sizeof b.scales);
    b.scales[1] = 1; /* sub-block 1: scale 1 */
    b.scales[2] = 2; /* sub-block 2: scale 2 */
    b.qh[3] = 0x06;  /* bit 1: element 32+3 (chunk 0 high half), bit 2: element 64+3 */
    b.qs[3] = 0x40;  /* element 3 = 0, element 35 = 4 */
    b.qs[35] = 0x01; /* element 67 = 1 */
    float y[256];
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q5_K, &b, y, 256), 0);
    cr_assert_float_eq(y[35], 1.0f * (4 + 16), 0.0f);
    cr_assert_float_eq(y[67], 2.0f * (1 + 16), 0.0f);
    cr_assert_float_eq(y[3], 0.0f, 0.0f);
}

Test(layout, q6_k_low_and_high_bits_with_signed_scales)
{
    BlockQ6_K b = { .d = 0x3c00 };
    memset(b.ql, 0, sizeof b.ql);
    memset(b.qh, 0, sizeof b.qh);
    b.scales[0] = 2;
    b.scales[4] = -1;
    b.ql[0] = 0x05; /* element 0 low 4 bits = 5; element 64 low bits = 0 */
    b.qh[0] = 0x02; /* element 0 high 2 bits = 2 -> q = 37 - 32 = 5 */
    float y[256];
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q6_K, &b, y, 256), 0);
    cr_assert_float_eq(y[0], 2.0f * 5, 0.0f);
    cr_assert_float_eq(y[64], -1.0f * -32, 0.0f);
}

Test(layout, mxfp4_codes_are_twice_e2m1_at_a_power_of_two_scale)
{
    BlockMXFP4 b = { .e = 128 }; /* scale 2^(128-128) = 1 */
    for (int j = 0; j < 16; j++)
        b.qs[j] = (uint8_t)(j | (15 - j) << 4);
    static const float want[16] = { 0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12 };
    float y[32];
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_MXFP4, &b, y, 32), 0);
    for (int j = 0; j < 16; j++) {
        cr_assert_float_eq(y[j], want[j], 0.0f, "low nibble %d", j);
        cr_assert_float_eq(y[j + 16], want[15 - j], 0.0f, "high nibble %d", j);
    }
    cr_assert_float_eq(quant_e8m0_half(127), 0.5f, 0.0f);
    cr_assert_float_eq(quant_e8m0_half(130), 4.0f, 0.0f);
    cr_assert_float_eq(quant_e8m0_half(0), ldexpf(1.0f, -128), 0.0f, "denormal 2^-128");
    cr_assert_eq(quant_row_size(GGML_TYPE_MXFP4, 64), 34);
}

Test(layout, block_sizes_match_ggml)
{
    cr_assert_eq(quant_row_size(GGML_TYPE_Q4_0, 64), 36);
    cr_assert_eq(quant_row_size(GGML_TYPE_Q8_0, 4096), 4096 / 32 * 34);
    cr_assert_eq(quant_row_size(GGML_TYPE_Q4_K, 512), 288);
    cr_assert_eq(quant_row_size(GGML_TYPE_Q6_K, 256), 210);
    cr_assert_eq(quant_row_size(GGML_TYPE_BF16, 3), 6);
    cr_assert_eq(quant_row_size(GGML_TYPE_Q4_K, 100), 0, "not a multiple of 256");
    cr_assert_eq(quant_block_size(GGML_TYPE_Q5_1), 32);
}

/* ---- round trips ---- */

/* Bounds for uniform data in [-1, 1): relative RMS error and max abs error.
 * Where they come from: the quantization step of each format (F16 11-bit and
 * BF16 8-bit mantissas; Q8_0 step amax/127; Q4_0 amax/8 with one clamped end;
 * Q4_1 range/15; Q5_0 amax/16; Q5_1 range/31; k-quants the same per 32/16
 * sub-block plus the 6/8-bit quantization of the sub-block scales), with
 * ~20% headroom over what the reference quantizer measures. */
typedef struct Tol {
    GgmlType t;
    double rel_rmse, max_err;
} Tol;

static const Tol TOLS[] = {
    { GGML_TYPE_F32, 0.0, 0.0 },
    { GGML_TYPE_F16, 3e-4, 4.9e-4 },   /* half ulp of [0.5,1) = 2^-12 */
    { GGML_TYPE_BF16, 2.5e-3, 3.91e-3 }, /* half ulp = 2^-9 */
    { GGML_TYPE_Q4_0, 0.078, 0.126 },
    { GGML_TYPE_Q4_1, 0.073, 0.070 },
    { GGML_TYPE_Q5_0, 0.038, 0.064 },
    { GGML_TYPE_Q5_1, 0.036, 0.035 },
    { GGML_TYPE_Q8_0, 0.0046, 0.0045 },
    { GGML_TYPE_Q4_K, 0.068, 0.080 },
    { GGML_TYPE_Q5_K, 0.034, 0.040 },
    { GGML_TYPE_Q6_K, 0.018, 0.041 },
    /* MXFP4: 2 x E2M1 codes (0..12) at scale 2^(floor(log2 amax) - 3), as ggml
     * quantizes: the top of a binade clips at 0.75 of the next power of two,
     * so the largest error approaches amax / 4 (measured 0.145 / 0.250) */
    { GGML_TYPE_MXFP4, 0.17, 0.26 },
};

static void round_trip(GgmlType t, float scale, double *rel_rmse, double *max_err)
{
    const int n = 256 * 32;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    void *q = malloc(quant_row_size(t, n));
    for (int i = 0; i < n; i++)
        x[i] = rnd_uniform() * scale;
    cr_assert_eq(quant_quantize_row(t, x, q, n), 0);
    cr_assert_eq(quant_dequantize_row(t, q, y, n), 0);
    double se = 0, ss = 0, me = 0;
    for (int i = 0; i < n; i++) {
        double e = (double)y[i] - x[i];
        se += e * e;
        ss += (double)x[i] * x[i];
        if (fabs(e) > me)
            me = fabs(e);
    }
    *rel_rmse = sqrt(se / ss);
    *max_err = me / scale;
    free(x);
    free(y);
    free(q);
}

Test(roundtrip, every_type_within_its_stated_tolerance)
{
    for (size_t k = 0; k < sizeof TOLS / sizeof TOLS[0]; k++) {
        double rr, me;
        round_trip(TOLS[k].t, 1.0f, &rr, &me);
        cr_expect(rr <= TOLS[k].rel_rmse, "%s: relative RMS error %g > %g",
                  quant_type_name(TOLS[k].t), rr, TOLS[k].rel_rmse);
        cr_expect(me <= TOLS[k].max_err, "%s: max error %g > %g", quant_type_name(TOLS[k].t),
                  me, TOLS[k].max_err);
    }
}

Test(roundtrip, error_scales_with_the_data_for_tiny_and_large_values)
{
    for (size_t k = 3; k < sizeof TOLS / sizeof TOLS[0]; k++) { /* block formats */
        for (int s = 0; s < 2; s++) {
            float scale = s ? 1000.0f : 1e-3f;
            double rr, me;
            round_trip(TOLS[k].t, scale, &rr, &me);
            /* fp16 block scales add up to 2^-11 relative error on top */
            cr_expect(rr <= TOLS[k].rel_rmse * 1.01 + 1e-3, "%s at scale %g: %g",
                      quant_type_name(TOLS[k].t), scale, rr);
        }
    }
}

Test(roundtrip, integers_on_the_grid_are_exact)
{
    float x[32], y[32];
    BlockQ8_0 b8;
    for (int i = 0; i < 32; i++)
        x[i] = (float)(i * 8 - 127 + (i == 31 ? 6 : 0)); /* includes -127 and 127 */
    x[0] = -127.0f;
    cr_assert_eq(quant_quantize_row(GGML_TYPE_Q8_0, x, &b8, 32), 0);
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q8_0, &b8, y, 32), 0);
    cr_assert_eq(memcmp(x, y, sizeof x), 0);
    BlockQ4_0 b4;
    for (int i = 0; i < 32; i++)
        x[i] = (float)((i % 16) - 8); /* -8..7: d = 1 */
    cr_assert_eq(quant_quantize_row(GGML_TYPE_Q4_0, x, &b4, 32), 0);
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q4_0, &b4, y, 32), 0);
    cr_assert_eq(memcmp(x, y, sizeof x), 0);
}

Test(roundtrip, zero_rows_stay_zero_without_nan)
{
    float x[512] = { 0 }, y[512];
    uint8_t q[2048];
    for (int k = 0; k < N_ALL; k++) {
        cr_assert_eq(quant_quantize_row(ALL_TYPES[k], x, q, 512), 0);
        cr_assert_eq(quant_dequantize_row(ALL_TYPES[k], q, y, 512), 0);
        for (int i = 0; i < 512; i++)
            cr_assert_float_eq(y[i], 0.0f, 0.0f, "%s element %d", quant_type_name(ALL_TYPES[k]), i);
    }
}

Test(types, unsupported_and_unknown_types_are_refused)
{
    float x[256] = { 0 };
    uint8_t q[1024];
    cr_assert_not(quant_type_supported(GGML_TYPE_Q2_K));
    cr_assert_eq(quant_row_size(GGML_TYPE_Q3_K, 256), 0);
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q2_K, q, x, 256), -1);
    cr_assert_eq(quant_quantize_row((GgmlType)99, x, q, 256), -1);
    cr_assert_eq(quant_dequantize_row(GGML_TYPE_Q8_0, q, x, 33), -1, "33 is not a block multiple");
    cr_assert_str_eq(quant_type_name(GGML_TYPE_Q2_K), "Q2_K");
    cr_assert_str_eq(quant_type_name((GgmlType)99), "unknown");
}

Test(types, get_row_reads_the_requested_embedding_row)
{
    const int cols = 64, rows = 5;
    float w[5 * 64], y[64];
    for (int i = 0; i < rows * cols; i++)
        w[i] = (float)i;
    uint16_t h[5 * 64];
    cr_assert_eq(quant_quantize_row(GGML_TYPE_F16, w, h, rows * cols), 0);
    cr_assert_eq(quant_get_row(GGML_TYPE_F16, h, 3, cols, y), 0);
    for (int c = 0; c < cols; c++)
        cr_assert_float_eq(y[c], (float)(3 * cols + c), 0.0f);
    cr_assert_eq(quant_get_row(GGML_TYPE_Q4_K, h, 0, 64, y), -1, "64 cols is not a Q4_K row");
}

/* ---- dot kernels: SIMD and portable agree ---- */

Test(dot, simd_and_portable_kernels_agree_for_every_type)
{
    const int n = 1024, nx = 4;
    float *w = malloc(n * sizeof *w), *x = malloc(nx * n * sizeof *x);
    for (int i = 0; i < n; i++)
        w[i] = rnd_uniform();
    for (int i = 0; i < nx * n; i++)
        x[i] = rnd_uniform();
    for (int k = 0; k < N_ALL; k++) {
        GgmlType t = ALL_TYPES[k];
        void *wq = malloc(quant_row_size(t, n));
        cr_assert_eq(quant_quantize_row(t, w, wq, n), 0);
        QuantActType a = quant_act_type(t);
        size_t xs = quant_act_row_size(a, n);
        float out[2][4], one[4];
        bool had = quant_set_simd(true);
        for (int pass = 0; pass < 2; pass++) {
            quant_set_simd(pass == 0);
            uint8_t *xa = malloc(nx * xs);
            for (int j = 0; j < nx; j++)
                quant_act_quantize(a, x + j * n, xa + j * xs, n);
            quant_dot_fn(t)(n, wq, xa, xs, nx, out[pass]);
            for (int j = 0; j < nx; j++) { /* one at a time gives the same */
                quant_dot_fn(t)(n, wq, xa + j * xs, xs, 1, one);
                cr_expect_float_eq(one[0], out[pass][j], 1e-4f * (1 + fabsf(one[0])),
                                   "%s nx=1 vs nx=4", quant_type_name(t));
            }
            free(xa);
        }
        quant_set_simd(had);
        for (int j = 0; j < nx; j++)
            cr_expect_float_eq(out[0][j], out[1][j], 1e-4f * (1 + fabsf(out[1][j])),
                               "%s: simd %g vs portable %g", quant_type_name(t), out[0][j],
                               out[1][j]);
        free(wq);
    }
    free(w);
    free(x);
}

Test(dot, activation_quantization_is_identical_with_and_without_simd)
{
    const int n = 512;
    float x[512];
    for (int i = 0; i < n; i++)
        x[i] = rnd_uniform() * 3.0f;
    for (int a = QUANT_ACT_Q8A; a <= QUANT_ACT_Q8K; a++) {
        size_t sz = quant_act_row_size((QuantActType)a, n);
        uint8_t *p = malloc(sz), *q = malloc(sz);
        bool had = quant_set_simd(true);
        quant_act_quantize((QuantActType)a, x, p, n);
        quant_set_simd(false);
        quant_act_quantize((QuantActType)a, x, q, n);
        quant_set_simd(had);
        cr_expect_eq(memcmp(p, q, sz), 0, "activation type %d differs", a);
        free(p);
        free(q);
    }
}
