/* builtin.h — the HTTP provider tables defined in this directory, one per
 * file, for the registry in providers.c. Everyone else looks providers up by
 * name through provider_find()/provider_all() in provider.h. */
#ifndef VERSUS_BUILTIN_H
#define VERSUS_BUILTIN_H

#include "providers/provider.h"

extern const ProviderOps openai_provider;        /* openai.c */
extern const ProviderOps openai_compat_provider; /* openai_compat.c */
extern const ProviderOps anthropic_provider;     /* anthropic.c */
extern const ProviderOps gemini_provider;        /* gemini.c */
extern const ProviderOps ollama_provider;        /* ollama.c */

#endif
