/* request.c — defaults and names for Request fields (see request.h). */
#include "core/request.h"

#include <math.h>
#include <string.h>

Params params_default(void)
{
    return (Params){ .max_tokens = PARAM_UNSET_INT, .temperature = NAN, .top_p = NAN,
                     .top_k = PARAM_UNSET_INT, .min_p = NAN, .repeat_penalty = NAN,
                     .seed = PARAM_UNSET_INT, .seed_set = false, .timeout_s = 0,
                     .context_length = PARAM_UNSET_INT, .raw = false };
}

static const char *const sensitivity_names[] = {
    [SENSITIVITY_PUBLIC] = "public",
    [SENSITIVITY_INTERNAL] = "internal",
    [SENSITIVITY_RESTRICTED] = "restricted",
};

int sensitivity_parse(const char *name, Sensitivity *out)
{
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, sensitivity_names[i]) == 0) {
            *out = (Sensitivity)i;
            return 0;
        }
    return -1;
}

const char *sensitivity_name(Sensitivity s)
{
    return (unsigned)s < 3 ? sensitivity_names[s] : "public";
}
