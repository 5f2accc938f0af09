/* xdg.c — XDG base directories for versus's files (see xdg.h). */
#include "util/xdg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct {
    const char *env;
    const char *fallback; /* under $HOME */
} xdg_bases[] = {
    [XDG_CONFIG] = { "XDG_CONFIG_HOME", ".config" },
    [XDG_DATA] = { "XDG_DATA_HOME", ".local/share" },
    [XDG_STATE] = { "XDG_STATE_HOME", ".local/state" },
    [XDG_CACHE] = { "XDG_CACHE_HOME", ".cache" },
};

int xdg_path(XdgKind kind, const char *rel, char *out, size_t outlen)
{
    const char *base = getenv(xdg_bases[kind].env);
    int n;
    const char *sep = (rel && *rel) ? "/" : "";
    if (!rel)
        rel = "";
    /* The spec says relative paths in these variables are invalid: ignore them. */
    if (base && base[0] == '/') {
        n = snprintf(out, outlen, "%s/versus%s%s", base, sep, rel);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home)
            return -1;
        n = snprintf(out, outlen, "%s/%s/versus%s%s", home, xdg_bases[kind].fallback, sep, rel);
    }
    return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}

int xdg_mkdirs(const char *dir)
{
    char path[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(path, dir, len + 1);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return -1;
    return 0;
}
