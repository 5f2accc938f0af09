/* testenv.c — paths into the shared test material, strict UTF-8 (see testenv.h). */
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

bool testenv_utf8_strict(const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (!k || i + k > n)
            return false;
        for (size_t j = 1; j < k; j++)
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
        if ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] > 0x9F) || (c == 0xF0 && s[i + 1] < 0x90) ||
            (c == 0xF4 && s[i + 1] > 0x8F))
            return false;
        i += k;
    }
    return true;
}
