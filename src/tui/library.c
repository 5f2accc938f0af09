/* library.c — reading the prompt library (library.h). */
#include "tui/library.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/xdg.h"

#define LIBRARY_MAX_FILE (256 * 1024)

static int library_dirs(char dirs[3][1024])
{
    int n = 0;
    if (xdg_path(XDG_CONFIG, "prompts", dirs[n], sizeof dirs[n]) == 0)
        n++;
    snprintf(dirs[n++], sizeof dirs[0], "%s/prompts", VERSUS_PKGDATADIR);
    snprintf(dirs[n++], sizeof dirs[0], "%s/prompts", VERSUS_SRCDIR);
    return n;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    size_t k = 0;
    while (s[k] && isspace((unsigned char)s[k]))
        k++;
    memmove(s, s + k, n - k + 1);
}

int library_parse(const char *text, size_t len, const char *name, LibraryPrompt *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    size_t pos = 0;
    int lineno = 0;
    bool sep = false;
    while (pos < len) {
        lineno++;
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        char line[512];
        size_t ll = end - pos;
        if (ll >= sizeof line) {
            snprintf(err, errlen, "%s:%d: header line too long", name, lineno);
            return -1;
        }
        memcpy(line, text + pos, ll);
        line[ll] = '\0';
        pos = nl ? end + 1 : len;
        trim(line);
        if (strcmp(line, "---") == 0) {
            sep = true;
            break;
        }
        if (!line[0] || line[0] == '#')
            continue;
        char *colon = strchr(line, ':');
        if (!colon) {
            snprintf(err, errlen, "%s:%d: expected 'key: value' or '---'", name, lineno);
            return -1;
        }
        *colon = '\0';
        char *val = colon + 1;
        trim(line);
        trim(val);
        char *dst;
        size_t dlen;
        if (strcmp(line, "title") == 0) {
            dst = out->title;
            dlen = sizeof out->title;
        } else if (strcmp(line, "category") == 0) {
            dst = out->category;
            dlen = sizeof out->category;
        } else if (strcmp(line, "difficulty") == 0) {
            dst = out->difficulty;
            dlen = sizeof out->difficulty;
        } else {
            snprintf(err, errlen, "%s:%d: unknown header '%s' (title, category, difficulty)", name, lineno, line);
            return -1;
        }
        snprintf(dst, dlen, "%s", val);
    }
    if (!sep) {
        snprintf(err, errlen, "%s: no '---' line between the header and the prompt", name);
        return -1;
    }
    if (!out->title[0] || !out->category[0]) {
        snprintf(err, errlen, "%s: the header needs a title and a category", name);
        return -1;
    }
    /* body: the rest, without leading blank lines and trailing whitespace */
    while (pos < len && (text[pos] == '\n' || text[pos] == '\r'))
        pos++;
    size_t end = len;
    while (end > pos && isspace((unsigned char)text[end - 1]))
        end--;
    if (end == pos) {
        snprintf(err, errlen, "%s: the prompt is empty", name);
        return -1;
    }
    out->body = strndup(text + pos, end - pos);
    if (!out->body) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static bool valid_name(const char *name)
{
    if (!name[0] || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '/' && *p != '.')
            return false;
    return true;
}

int library_load(const char *name, LibraryPrompt *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    if (!valid_name(name)) {
        snprintf(err, errlen, "bad prompt name '%s'", name);
        return -1;
    }
    char dirs[3][1024];
    int nd = library_dirs(dirs);
    for (int i = 0; i < nd; i++) {
        char path[1300];
        snprintf(path, sizeof path, "%s/%s.txt", dirs[i], name);
        Buf b = { 0 };
        int rc = util_read_file(path, LIBRARY_MAX_FILE, &b, err, errlen);
        if (rc == UTIL_FILE_MISSING)
            continue;
        if (rc < 0)
            return -1;
        rc = library_parse(buf_str(&b), b.len, name, out, err, errlen);
        buf_free(&b);
        return rc;
    }
    snprintf(err, errlen, "no prompt named '%s' (:prompts lists them)", name);
    return -1;
}

void library_prompt_free(LibraryPrompt *p)
{
    free(p->body);
    p->body = NULL;
}

static int add_name(char ***names, size_t *n, size_t *cap, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*names)[i], name) == 0)
            return 0;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        char **nn = realloc(*names, nc * sizeof *nn);
        if (!nn)
            return -1;
        *names = nn;
        *cap = nc;
    }
    char *s = strdup(name);
    if (!s)
        return -1;
    (*names)[(*n)++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t library_list(char ***names)
{
    *names = NULL;
    size_t n = 0, cap = 0;
    char dirs[3][1024];
    int nd = library_dirs(dirs);
    for (int i = 0; i < nd; i++) {
        DIR *d = opendir(dirs[i]);
        if (!d)
            continue;
        struct dirent *cat;
        while ((cat = readdir(d))) {
            if (cat->d_name[0] == '.')
                continue;
            char sub[1300];
            snprintf(sub, sizeof sub, "%s/%s", dirs[i], cat->d_name);
            DIR *sd = opendir(sub);
            if (!sd)
                continue;
            struct dirent *f;
            while ((f = readdir(sd))) {
                size_t l = strlen(f->d_name);
                if (f->d_name[0] == '.' || l < 5 || strcmp(f->d_name + l - 4, ".txt") != 0)
                    continue;
                char name[600];
                snprintf(name, sizeof name, "%s/%.*s", cat->d_name, (int)(l - 4), f->d_name);
                if (valid_name(name))
                    add_name(names, &n, &cap, name);
            }
            closedir(sd);
        }
        closedir(d);
    }
    if (n)
        qsort(*names, n, sizeof **names, cmp_str);
    return n;
}

void library_free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}
