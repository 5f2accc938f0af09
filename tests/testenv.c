/* testenv.c — paths into the shared test material and the source tree, whole
 * files, strict UTF-8 (see testenv.h). */
#include "testenv.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"

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

const char *testenv_srcdir(void)
{
    const char *s = getenv("VERSUS_SRCDIR");
    return s && *s ? s : VERSUS_SRCDIR;
}

char *testenv_slurp(const char *path, size_t *len)
{
    Buf b = { 0 };
    char err[256];
    if (util_read_file(path, 64u << 20, &b, err, sizeof err) != UTIL_FILE_OK)
        return NULL;
    if (len)
        *len = b.len;
    char *s = buf_steal(&b);
    return s ? s : calloc(1, 1);
}

cJSON *testenv_json_file(const char *path)
{
    char *s = testenv_slurp(path, NULL);
    cJSON *j = s ? cJSON_Parse(s) : NULL;
    free(s);
    return j;
}

bool testenv_session_file(const char *home, char *out, size_t outlen)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/versus/sessions", home);
    if (outlen)
        out[0] = '\0';
    DIR *d = opendir(dir);
    if (!d)
        return false;
    struct dirent *de;
    bool found = false;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l > 5 && strcmp(de->d_name + l - 5, ".json") == 0) {
            int n = snprintf(out, outlen, "%s/%s", dir, de->d_name);
            found = n > 0 && (size_t)n < outlen;
        }
    }
    closedir(d);
    if (!found && outlen)
        out[0] = '\0';
    return found;
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
