/* arch.c — the architecture table (see arch.h). Each entry follows what
 * llama.cpp (the reference engine) builds for that `general.architecture`,
 * so that a file means the same thing to both engines. */
#include "engine/arch.h"

#include <stdio.h>
#include <string.h>

static const ArchInfo arch_table[] = {
    {
        .name = "llama", .family = "Llama 2/3.x, Mistral, SmolLM, TinyLlama (Mixtral MoE)",
        .pre_norms = true, .ffn_norm = "ffn_norm", .act = ARCH_ACT_SILU,
        .gating = ARCH_GATING_SOFTMAX, .moe_norm_weights = true, .cuda = true,
    },
    {
        .name = "qwen2", .family = "Qwen 2/2.5, DeepSeek-R1 distills (Qwen)",
        .neox = true, .pre_norms = true, .ffn_norm = "ffn_norm", .act = ARCH_ACT_SILU, .cuda = true,
    },
    {
        .name = "qwen3", .family = "Qwen 3 (dense)",
        .neox = true, .pre_norms = true, .ffn_norm = "ffn_norm", .qk_norm = ARCH_QK_NORM_HEAD,
        .act = ARCH_ACT_SILU,
    },
    {
        .name = "qwen3moe", .family = "Qwen 3 MoE",
        .neox = true, .pre_norms = true, .ffn_norm = "ffn_norm", .qk_norm = ARCH_QK_NORM_HEAD,
        .act = ARCH_ACT_SILU, .moe = true, .gating = ARCH_GATING_SOFTMAX, .moe_norm_weights = true,
    },
    {
        .name = "gemma2", .family = "Gemma 2",
        .neox = true, .pre_norms = true, .post_norms = true, .ffn_norm = "ffn_norm",
        .embed_scale = true, .act = ARCH_ACT_GELU, .honours_swa = true, .swa_period = 2,
        .swa_default_window = 4096, .swa_rope_global = true, .attn_softcap = true, .attn_scale_by_dim = true,
        .attn_scale_layers = 46,
    },
    {
        .name = "gemma3", .family = "Gemma 3",
        .neox = true, .pre_norms = true, .post_norms = true, .ffn_norm = "ffn_norm",
        .qk_norm = ARCH_QK_NORM_HEAD, .embed_scale = true, .act = ARCH_ACT_GELU, .honours_swa = true,
        .swa_period = 6, .attn_scale_by_dim = true, .attn_scale_layers = 62,
    },
    {
        .name = "phi3", .family = "Phi-3, Phi-4",
        .neox = true, .pre_norms = true, .ffn_norm = "ffn_norm", .act = ARCH_ACT_SILU,
    },
    {
        .name = "olmo2", .family = "OLMo 2, OLMo 3",
        .neox = true, .post_norms = true, .qk_norm = ARCH_QK_NORM_FULL, .act = ARCH_ACT_SILU,
        .output_required = true, .honours_swa = true, .swa_period = 4, .swa_rope_global = true,
        .swa_plain_rope = true,
    },
    {
        .name = "gpt-oss", .family = "gpt-oss",
        .neox = true, .pre_norms = true, .ffn_norm = "post_attention_norm", .act = ARCH_ACT_SWIGLU_OAI,
        .moe = true, .gating = ARCH_GATING_SOFTMAX_WEIGHT, .sinks = true, .out_bias = true,
        .output_required = true, .honours_swa = true, .swa_period = 2, .swa_rope_global = true,
    },
};

#define ARCH_COUNT (sizeof arch_table / sizeof arch_table[0])

const ArchInfo *arch_find(const char *name, size_t len)
{
    for (size_t i = 0; i < ARCH_COUNT; i++)
        if (strlen(arch_table[i].name) == len && memcmp(arch_table[i].name, name, len) == 0)
            return &arch_table[i];
    return NULL;
}

const ArchInfo *arch_at(int i)
{
    return i >= 0 && (size_t)i < ARCH_COUNT ? &arch_table[i] : NULL;
}

void arch_names(char *buf, size_t n)
{
    size_t k = 0;
    if (n)
        buf[0] = '\0';
    for (size_t i = 0; i < ARCH_COUNT && k < n; i++) {
        int w = snprintf(buf + k, n - k, "%s%s", i ? ", " : "", arch_table[i].name);
        if (w < 0)
            break;
        k += (size_t)w;
    }
}
