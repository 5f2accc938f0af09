/* preflight.h — can a model be asked at all, before any round: the spec
 * resolves, its key is there (or none is needed) and may go to its URL, a
 * local model's file exists (or will be downloaded) and its architecture is
 * one the engine runs. What is wrong comes with what to do about it, so that a UI can show
 * it in the model's pane at start instead of after a round fails.
 *
 * Nothing is sent and nothing is downloaded; a local file's header is read.
 * Not for the perimeter decision of a round (run.c): that depends on the
 * round's sensitivity. */
#ifndef VERSUS_PREFLIGHT_H
#define VERSUS_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"

typedef struct PreflightResult {
    bool usable;
    char problem[600]; /* when not usable: what is wrong ("ANTHROPIC_API_KEY is not set") */
    char fix[600];     /* when not usable: what to do; when usable, a note or "" ("downloads ... on first use") */
} PreflightResult;

/* Checks spec against cfg and fills out; key_urls (n_key_urls) are the
 * --send-key-to URLs a key may go to besides its own. Always fills out;
 * returns out->usable. */
bool preflight_check(const Config *cfg, const char *spec, const char *const *key_urls, size_t n_key_urls,
                     PreflightResult *out);

#endif
