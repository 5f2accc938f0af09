/* redact.c — masking secret environment values in outgoing bytes (see redact.h). */
#include "store/redact.h"

#include <string.h>

extern char **environ;

#define REDACT_MIN_LEN 8

int redact_is_secret_name(const char *name)
{
    static const char *const needles[] = { "API_KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD" };
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (strstr(name, needles[i]))
            return 1;
    size_t n = strlen(name);
    return n >= 4 && strcmp(name + n - 4, "_KEY") == 0;
}

static size_t mask_all(char *buf, size_t n, const char *secret, size_t slen)
{
    size_t count = 0;
    char *p = buf, *end = buf + n;
    while ((size_t)(end - p) >= slen) {
        char *hit = memmem(p, (size_t)(end - p), secret, slen);
        if (!hit)
            break;
        memset(hit, '*', slen);
        p = hit + slen;
        count++;
    }
    return count;
}

size_t redact_secrets(char *buf, size_t n)
{
    size_t count = 0;
    if (!buf || !environ)
        return 0;
    for (char **e = environ; *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e)
            continue;
        char name[256];
        size_t nl = (size_t)(eq - *e);
        if (nl >= sizeof name)
            continue;
        memcpy(name, *e, nl);
        name[nl] = '\0';
        const char *val = eq + 1;
        size_t vl = strlen(val);
        if (vl < REDACT_MIN_LEN || !redact_is_secret_name(name))
            continue;
        count += mask_all(buf, n, val, vl);
    }
    return count;
}
