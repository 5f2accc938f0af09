/* model_ref.h — local model references: "PATH.gguf", "~/PATH.gguf",
 * "hf://OWNER/REPO/FILE.gguf[#sha256=HEX]", or "" for the default model.
 *
 * model_ref_resolve() turns a reference into a file path, downloading hf://
 * files that are not cached yet; model_ref_locate() asks first, without any
 * network traffic (e.g. `versus models`, or a UI that wants to warn before a
 * 100 MB download). */
#ifndef VERSUS_MODEL_REF_H
#define VERSUS_MODEL_REF_H

#include <stddef.h>

#include "engine/download.h"

/* Where ref's file is or would be, without downloading. Returns 1 when the
 * file is there (path filled), 0 when an hf:// file is not cached yet (path
 * is where the download would put it), -1 when the reference is unusable
 * (err filled: malformed, missing local file, no cache directory). ref ""
 * means the default model, as for model_ref_resolve(). */
int model_ref_locate(const char *ref, char *path, size_t pathlen, char *err, size_t errlen);
/* Resolves ref to a file path, downloading an hf:// file that is not cached
 * yet (blocking: call it from a worker thread, never an event loop). Returns
 * 0, or -1 with err filled. Prints nothing. */
int model_ref_resolve(const char *ref, char *path, size_t pathlen, char *err, size_t errlen);

/* How a download is reported and stopped (see DownloadOptions). */
typedef struct ModelFetch {
    DownloadProgressFn on_progress; /* NULL, or bytes so far / total while downloading */
    void *progress_user;
    volatile int *cancel;           /* NULL, or a flag that stops the download */
} ModelFetch;
/* model_ref_resolve with a download reported through fetch (NULL: silent).
 * A file already there is resolved without any callback. */
int model_ref_fetch(const char *ref, const ModelFetch *fetch, char *path, size_t pathlen, char *err,
                    size_t errlen);
/* The hf:// reference of the built-in default model (when $VERSUS_MODEL is unset). */
const char *model_ref_default(void);

#endif
