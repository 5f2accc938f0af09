/* ops.c — CPU reference operations of the forward pass (see ops.h). */
#include "engine/ops.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "engine/exp_ref.h"
#include "engine/ops_impl.h"
#include "engine/quant.h"

void ops_rmsnorm(float *out, const float *x, const float *w, int n, float eps)
{
    /* llama.cpp's rounding: float squares summed in double, float mean and scale */
    double ss = 0.0;
    for (int i = 0; i < n; i++)
        ss += (double)(x[i] * x[i]);
    float mean = (float)(ss / n);
    float scale = 1.0f / sqrtf(mean + eps);
    if (w)
        for (int i = 0; i < n; i++)
            out[i] = x[i] * scale * w[i];
    else
        for (int i = 0; i < n; i++)
            out[i] = x[i] * scale;
}

/* ---- rotary embedding ----------------------------------------------------------- */

/* The dimension pair at which YaRN's ramp starts/ends for a rotation count
 * (llama.cpp's ggml_rope_yarn_corr_dim). */
static float yarn_corr_dim(int n_dims, int n_ctx_orig, float n_rot, float base)
{
    return n_dims * logf((float)n_ctx_orig / (n_rot * 2.0f * (float)M_PI)) / (2.0f * logf(base));
}

int ops_rope_init(OpsRope *r, int n_dims, bool neox, float base, float freq_scale, const float *factors,
                  float ext_factor, float attn_factor, int n_ctx_orig, float beta_fast, float beta_slow)
{
    if (n_dims < 2 || n_dims % 2 || n_dims > OPS_ROPE_MAX_DIMS || !(base > 0))
        return -1;
    memset(r, 0, sizeof *r);
    r->n_dims = n_dims;
    r->neox = neox;
    r->freq_scale = freq_scale;
    r->ext_factor = ext_factor;
    r->attn_factor = attn_factor;
    if (ext_factor != 0.0f && n_ctx_orig > 0) {
        float lo = floorf(yarn_corr_dim(n_dims, n_ctx_orig, beta_fast, base));
        float hi = ceilf(yarn_corr_dim(n_dims, n_ctx_orig, beta_slow, base));
        r->corr_lo = lo > 0 ? lo : 0;
        r->corr_hi = hi < n_dims - 1 ? hi : (float)(n_dims - 1);
    }
    r->theta_scale = powf(base, -2.0f / (float)n_dims);
    r->factors = factors;
    for (int i = 0; i < n_dims / 2; i++) {
        double t = pow((double)base, -2.0 * i / n_dims);
        if (factors)
            t /= factors[i];
        r->theta_base[i] = (float)t;
    }
    return 0;
}

void ops_rope_inv_freq(const OpsRope *r, float *inv_freq)
{
    for (int i = 0; i < r->n_dims / 2; i++)
        inv_freq[i] = r->theta_base[i] * r->freq_scale;
}

/* cos/sin of pair i for the unscaled angle `extrap` (position times the
 * pair's frequency), with YaRN's mix of interpolated and extrapolated angles
 * and its magnitude correction (llama.cpp's rope_yarn). */
static void rope_angle(const OpsRope *r, int i, float extrap, float *cs, float *sn)
{
    float theta = r->freq_scale * extrap;
    float mscale = r->attn_factor;
    if (r->ext_factor != 0.0f) {
        float den = r->corr_hi - r->corr_lo;
        float y = ((float)i - r->corr_lo) / (den > 0.001f ? den : 0.001f);
        float ramp = 1.0f - (y < 0 ? 0 : y > 1 ? 1 : y);
        float mix = ramp * r->ext_factor;
        theta = theta * (1 - mix) + extrap * mix;
        mscale *= 1.0f + 0.1f * logf(1.0f / r->freq_scale);
    }
    *cs = cosf(theta) * mscale;
    *sn = sinf(theta) * mscale;
}

void ops_rope(const OpsRope *r, float *vec, int n_heads, int head_dim, int pos)
{
    int half = r->n_dims / 2;
    /* the angle advances pair by pair in float, theta *= base^(-2/n), as
     * llama.cpp computes it (its rounding shows at long positions) */
    float theta = (float)pos;
    for (int i = 0; i < half; i++, theta *= r->theta_scale) {
        float cs, sn;
        float extrap = r->angle_product ? (float)pos * r->theta_base[i] : r->factors ? theta / r->factors[i] : theta;
        rope_angle(r, i, extrap, &cs, &sn);
        int a = r->neox ? i : 2 * i;
        int b = r->neox ? i + half : 2 * i + 1;
        /* rounded as llama.cpp's x86 build computes them: its compiler
         * contracts x0*c - x1*s and x0*s + x1*c into one rounded product
         * and one fused multiply-add */
        for (int h = 0; h < n_heads; h++) {
            float *hv = vec + (size_t)h * head_dim;
            float x0 = hv[a], x1 = hv[b];
            hv[a] = fmaf(x0, cs, -(x1 * sn));
            hv[b] = fmaf(x0, sn, x1 * cs);
        }
    }
}

/* ---- softmax, activations -------------------------------------------------------- */

void ops_softmax(float *x, int n, float sink)
{
    float maxv = sink;
    for (int i = 0; i < n; i++)
        if (x[i] > maxv)
            maxv = x[i];
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        x[i] = expf(x[i] - maxv);
        sum += x[i];
    }
    if (isfinite(sink))
        sum += expf(sink - maxv);
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++)
        x[i] *= inv;
}

void ops_softcap(float *x, size_t n, float cap)
{
    float inv = 1.0f / cap;
    for (size_t i = 0; i < n; i++)
        x[i] = tanhf(x[i] * inv) * cap;
}

void ops_swiglu(float *g, const float *u, size_t n)
{
#ifdef OPS_HAVE_AVX2_FILE
    if (quant_simd_active()) {
        ops_swiglu_avx2(g, u, n);
        return;
    }
#endif
    /* llama.cpp's rounding: its vector exp for whole groups of 8, expf after */
    size_t i = 0, n8 = n / 8 * 8;
    for (; i < n8; i++)
        g[i] = g[i] / (1.0f + exp_ref(-g[i])) * u[i];
    for (; i < n; i++)
        g[i] = g[i] / (1.0f + expf(-g[i])) * u[i];
}

static float gelu_tanh(float x)
{
    const float a = 0.044715f, s = 0.79788456080286535587989211986876f; /* sqrt(2/pi) */
    /* llama.cpp's build fuses a*x*x + 1 into one FMA */
    return 0.5f * x * (1.0f + tanhf(s * x * fmaf(a * x, x, 1.0f)));
}

/* GELU of every fp16 input, rounded to fp16 and kept as float: built once,
 * read-only after, shared by every model and thread (256 KiB). llama.cpp's
 * CPU backend reads the same values from its fp16 table, so looking them up
 * costs a conversion and a load where computing them cost an expm1f and a
 * tanhf per element (17% of Gemma 3 270M's prefill). */
static float gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void gelu_table_build(void)
{
    for (uint32_t h = 0; h < (1u << 16); h++)
        gelu_table[h] = quant_fp16_to_fp32(quant_fp32_to_fp16(gelu_tanh(quant_fp16_to_fp32((uint16_t)h))));
}

void ops_geglu(float *g, const float *u, size_t n)
{
    pthread_once(&gelu_once, gelu_table_build);
    for (size_t i = 0; i < n; i++) {
        float x = g[i], y;
        if (x <= -10.0f)
            y = 0.0f;
        else if (x >= 10.0f)
            y = x;
        else
            y = gelu_table[quant_fp32_to_fp16(x)];
        g[i] = y * u[i];
    }
}

void ops_swiglu_oai(float *g, const float *u, size_t n, float alpha, float limit)
{
    for (size_t i = 0; i < n; i++) {
        float x = g[i] < limit ? g[i] : limit;
        float y = u[i] < -limit ? -limit : u[i] > limit ? limit : u[i];
        g[i] = x / (1.0f + expf(alpha * -x)) * (y + 1.0f);
    }
}

float ops_dot(const float *a, const float *b, int n)
{
    float s[8] = { 0 };
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int k = 0; k < 8; k++)
            s[k] += a[i + k] * b[i + k];
    float r = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    for (; i < n; i++)
        r += a[i] * b[i];
    return r;
}

void ops_axpy(float *y, float a, const float *x, int n)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}
