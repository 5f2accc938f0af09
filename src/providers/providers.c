/* providers.c — the registry of HTTP providers (provider_find/provider_all).
 * Knows nothing about any wire format; each format lives in its own file
 * (see builtin.h). */
#include "providers/provider.h"

#include <stdlib.h>
#include <string.h>

#include "providers/builtin.h"

/* Display order. */
static const ProviderOps *const all_providers[] = {
    &openai_provider, &anthropic_provider, &gemini_provider,
    &ollama_provider, &openai_compat_provider, NULL,
};

const ProviderOps *provider_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; all_providers[i]; i++)
        if (strcmp(all_providers[i]->name, name) == 0)
            return all_providers[i];
    return NULL;
}

const ProviderOps *const *provider_all(void) { return all_providers; }
