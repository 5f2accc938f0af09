/* model_ref.h — local model references, beyond local_resolve_model().
 *
 * local_resolve_model() (providers/local.h, defined in model_ref.c) resolves
 * a reference and downloads hf:// files that are not cached yet. These let a
 * caller ask first, without any network traffic (e.g. `versus models`, or a
 * UI that wants to warn before a 100 MB download). */
#ifndef VERSUS_MODEL_REF_H
#define VERSUS_MODEL_REF_H

#include <stddef.h>

/* Where ref's file is or would be, without downloading. Returns 1 when the
 * file is there (path filled), 0 when an hf:// file is not cached yet (path
 * is where the download would put it), -1 when the reference is unusable
 * (err filled: malformed, missing local file, no cache directory). ref ""
 * means the default model, as for local_resolve_model(). */
int model_ref_locate(const char *ref, char *path, size_t pathlen, char *err, size_t errlen);
/* The hf:// reference of the built-in default model (when $VERSUS_MODEL is unset). */
const char *model_ref_default(void);

#endif
