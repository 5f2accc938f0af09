/* model_ref.h — local model references: a path, an hf:// file (downloaded
 * once into the model cache) or "" for the default model, turned into a file
 * path. local_resolve_model() may download; model_ref_locate() lets a caller
 * ask first, without any network traffic (e.g. `versus models`, or a UI that
 * wants to warn before a 100 MB download). */
#ifndef VERSUS_MODEL_REF_H
#define VERSUS_MODEL_REF_H

#include <stddef.h>

/* Resolves a local model reference ("PATH.gguf", "hf://OWNER/REPO/FILE.gguf",
 * "" for the default model) to a file path, downloading an hf:// file that is
 * not cached yet; returns 0 or -1 with err. */
int local_resolve_model(const char *ref, char *path, size_t pathlen, char *err, size_t errlen);

/* Where ref's file is or would be, without downloading. Returns 1 when the
 * file is there (path filled), 0 when an hf:// file is not cached yet (path
 * is where the download would put it), -1 when the reference is unusable
 * (err filled: malformed, missing local file, no cache directory). ref ""
 * means the default model, as for local_resolve_model(). */
int model_ref_locate(const char *ref, char *path, size_t pathlen, char *err, size_t errlen);
/* The hf:// reference of the built-in default model (when $VERSUS_MODEL is unset). */
const char *model_ref_default(void);

#endif
