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
