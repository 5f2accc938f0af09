/* names.c — short unique pane names (names.h). Pure string work. */
#include "tui/names.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void names_split(const char *arg, char *name, size_t namelen, char *spec, size_t speclen)
{
    const char *eq = strchr(arg, '=');
    size_t nl = eq ? (size_t)(eq - arg) : 0;
    bool ok = eq && nl > 0 && nl < namelen && eq[1];
    for (size_t i = 0; ok && i < nl; i++) {
        char c = arg[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
             c == '.';
    }
    if (ok) {
        snprintf(name, namelen, "%.*s", (int)nl, arg);
        snprintf(spec, speclen, "%s", eq + 1);
    } else {
        name[0] = '\0';
        snprintf(spec, speclen, "%s", arg);
    }
}

enum { FORM_MODEL, FORM_PROVIDER_MODEL, FORM_MODEL_HOST, FORM_SPEC, FORM_COUNT };

/* Form `level` of spec into out. */
static void form(const char *spec, int level, char *out, size_t outlen)
{
    const char *colon = strchr(spec, ':');
    if (!colon || level >= FORM_SPEC) {
        snprintf(out, outlen, "%s", spec);
        return;
    }
    size_t plen = (size_t)(colon - spec);
    const char *model = colon + 1;
    const char *at = strchr(model, '@');
    size_t mlen = at ? (size_t)(at - model) : strlen(model);
    bool local = plen == 5 && strncmp(spec, "local", 5) == 0;
    if (local) { /* a file's name without folders and ".gguf"; local: alone is "local" */
        const char *slash = strrchr(model, '/');
        const char *base = slash ? slash + 1 : model;
        size_t bl = strlen(base);
        if (bl > 5 && strcmp(base + bl - 5, ".gguf") == 0)
            bl -= 5;
        if (bl == 0) {
            snprintf(out, outlen, "local");
            return;
        }
        if (level == FORM_MODEL)
            snprintf(out, outlen, "%.*s", (int)bl, base);
        else if (level == FORM_PROVIDER_MODEL)
            snprintf(out, outlen, "local:%.*s", (int)bl, base);
        else
            snprintf(out, outlen, "%s", spec);
        return;
    }
    if (mlen == 0) {
        snprintf(out, outlen, "%s", spec);
    } else if (level == FORM_MODEL) {
        snprintf(out, outlen, "%.*s", (int)mlen, model);
    } else if (level == FORM_PROVIDER_MODEL || !at) {
        snprintf(out, outlen, "%.*s:%.*s", (int)plen, spec, (int)mlen, model);
    } else { /* MODEL@HOST:PORT */
        const char *host = strstr(at, "://");
        host = host ? host + 3 : at + 1;
        size_t hl = strcspn(host, "/");
        snprintf(out, outlen, "%.*s@%.*s", (int)mlen, model, (int)hl, host);
    }
}

void names_choose(const char *const *specs, const char *const *given, size_t n, char (*out)[NAMES_MAX])
{
    int level[64] = { 0 };
    if (n > 64)
        n = 64;
    for (int round = 0; round < FORM_COUNT; round++) {
        for (size_t i = 0; i < n; i++) {
            if (given && given[i] && given[i][0])
                snprintf(out[i], NAMES_MAX, "%s", given[i]);
            else
                form(specs[i], level[i], out[i], NAMES_MAX);
        }
        bool clash = false;
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < n; j++)
                if (i != j && strcmp(out[i], out[j]) == 0 && !(given && given[i] && given[i][0]) &&
                    level[i] < FORM_COUNT - 1) {
                    level[i]++;
                    clash = true;
                    break;
                }
        if (!clash)
            break;
    }
    /* still the same (identical specs, or a given name repeated): number them */
    for (size_t i = 0; i < n; i++) {
        int seen = 1;
        for (size_t j = 0; j < i; j++)
            if (strncmp(out[i], out[j], strlen(out[i])) == 0 && strlen(out[j]) >= strlen(out[i]) &&
                (out[j][strlen(out[i])] == '\0' || out[j][strlen(out[i])] == ' '))
                seen++;
        if (seen > 1) {
            char base[NAMES_MAX];
            snprintf(base, sizeof base, "%s", out[i]);
            snprintf(out[i], NAMES_MAX, "%.*s #%d", NAMES_MAX - 8, base, seen);
        }
    }
}
