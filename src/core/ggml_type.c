/* ggml_type.c — the table of tensor element types (see ggml_type.h). Sizes
 * are ggml's block layouts; a type the engine gains is one flag here. */
#include "core/ggml_type.h"

#include <stddef.h>

static const GgmlTypeInfo TYPES[] = {
    [GGML_TYPE_F32] = { "F32", 1, 4, true, true },
    [GGML_TYPE_F16] = { "F16", 1, 2, true, true },
    [GGML_TYPE_Q4_0] = { "Q4_0", 32, 18, true, true },
    [GGML_TYPE_Q4_1] = { "Q4_1", 32, 20, true, true },
    [4] = { "Q4_2 (removed)", 0, 0, false, false },
    [5] = { "Q4_3 (removed)", 0, 0, false, false },
    [GGML_TYPE_Q5_0] = { "Q5_0", 32, 22, true, true },
    [GGML_TYPE_Q5_1] = { "Q5_1", 32, 24, true, true },
    [GGML_TYPE_Q8_0] = { "Q8_0", 32, 34, true, true },
    [GGML_TYPE_Q8_1] = { "Q8_1", 32, 36, false, false },
    [GGML_TYPE_Q2_K] = { "Q2_K", 256, 84, false, false },
    [GGML_TYPE_Q3_K] = { "Q3_K", 256, 110, false, false },
    [GGML_TYPE_Q4_K] = { "Q4_K", 256, 144, true, true },
    [GGML_TYPE_Q5_K] = { "Q5_K", 256, 176, true, true },
    [GGML_TYPE_Q6_K] = { "Q6_K", 256, 210, true, true },
    [GGML_TYPE_Q8_K] = { "Q8_K", 256, 292, false, false },
    [16] = { "IQ2_XXS", 0, 0, false, false },
    [17] = { "IQ2_XS", 0, 0, false, false },
    [18] = { "IQ3_XXS", 0, 0, false, false },
    [19] = { "IQ1_S", 0, 0, false, false },
    [20] = { "IQ4_NL", 0, 0, false, false },
    [21] = { "IQ3_S", 0, 0, false, false },
    [22] = { "IQ2_S", 0, 0, false, false },
    [23] = { "IQ4_XS", 0, 0, false, false },
    [24] = { "I8", 0, 0, false, false },
    [25] = { "I16", 0, 0, false, false },
    [26] = { "I32", 0, 0, false, false },
    [27] = { "I64", 0, 0, false, false },
    [28] = { "F64", 0, 0, false, false },
    [29] = { "IQ1_M", 0, 0, false, false },
    [GGML_TYPE_BF16] = { "BF16", 1, 2, true, true },
    [34] = { "TQ1_0", 0, 0, false, false },
    [35] = { "TQ2_0", 0, 0, false, false },
    [GGML_TYPE_MXFP4] = { "MXFP4", 32, 17, true, false },
};

const GgmlTypeInfo *ggml_type_info(int t)
{
    if (t < 0 || (size_t)t >= sizeof TYPES / sizeof TYPES[0] || !TYPES[t].name)
        return NULL;
    return &TYPES[t];
}
