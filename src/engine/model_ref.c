/* model_ref.c — turns a local model reference into a file path
 * (local_resolve_model, declared in providers/local.h).
 *
 * A reference is "PATH.gguf" (absolute, relative or ~/...), or "" for the
 * default model. Not for loading the file: that is the engine's business. */
#include "providers/local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/xdg.h"

#define MODEL_REF_DEFAULT_FILE "SmolLM2-135M-Instruct.Q4_1.gguf"

/* Expands a leading "~/" with $HOME; 0 or -1 with err. */
static int expand_home(const char *ref, char *out, size_t outlen, char *err, size_t errlen)
{
    int n;
    if (ref[0] == '~' && (ref[1] == '/' || ref[1] == '\0')) {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            snprintf(err, errlen, "cannot expand %s: HOME is not set", ref);
            return -1;
        }
        n = snprintf(out, outlen, "%s%s", home, ref + 1);
    } else {
        n = snprintf(out, outlen, "%s", ref);
    }
    if (n < 0 || (size_t)n >= outlen) {
        snprintf(err, errlen, "model path %.200s... is too long", ref);
        return -1;
    }
    return 0;
}

/* Checks that path names a readable regular file; 0 or -1 with err. */
static int check_file(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(err, errlen, "model file %s not found", path);
        else
            snprintf(err, errlen, "model file %s: %s", path, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "model file %s is a directory, not a GGUF file", path);
        return -1;
    }
    if (access(path, R_OK) < 0) {
        snprintf(err, errlen, "model file %s is not readable: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int resolve_path(const char *ref, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (expand_home(ref, path, pathlen, err, errlen) < 0)
        return -1;
    return check_file(path, err, errlen);
}

int local_resolve_model(const char *ref, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (!ref)
        ref = "";
    if (strncmp(ref, "local:", 6) == 0)
        ref += 6;
    if (*ref)
        return resolve_path(ref, path, pathlen, err, errlen);

    const char *env = getenv("VERSUS_MODEL");
    if (env && *env)
        return resolve_path(env, path, pathlen, err, errlen);
    if (xdg_path(XDG_CACHE, "models/" MODEL_REF_DEFAULT_FILE, path, pathlen) < 0) {
        snprintf(err, errlen, "cannot locate the model cache: neither XDG_CACHE_HOME nor HOME is set");
        return -1;
    }
    if (access(path, R_OK) == 0)
        return 0;
    snprintf(err, errlen, "the default model is not downloaded yet: place %s by hand, or give a local path",
             path);
    return -1;
}
