/* testenv.c — paths into the shared test material (see testenv.h). */
#include "testenv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool testenv_shared(const char *rel, char *out, size_t outlen)
{
    const char *sh = getenv("VERSUS_SHARED");
    if (outlen)
        out[0] = '\0';
    if (!sh || !*sh || !outlen)
        return false;
    int n = snprintf(out, outlen, "%s/%s", sh, rel);
    if (n < 0 || (size_t)n >= outlen) {
        out[0] = '\0';
        return false;
    }
    return true;
}

char *testenv_shared_path(const char *rel)
{
    const char *sh = getenv("VERSUS_SHARED");
    if (!sh || !*sh)
        return NULL;
    size_t n = strlen(sh) + strlen(rel) + 2;
    char *p = malloc(n);
    if (p && !testenv_shared(rel, p, n)) {
        free(p);
        return NULL;
    }
    return p;
}
