/* yaml_lite.c — a block-YAML subset reader (see yaml_lite.h). Recursive
 * descent over pre-split lines; depth is bounded by indentation. */
#include "store/yaml_lite.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct YLine {
    int indent;
    char *text; /* content after the indentation, NUL-terminated, no trailing space */
    int lineno;
} YLine;

typedef struct YParser {
    YLine *lines;
    size_t n, pos;
    char *err;
    size_t errlen;
} YParser;

static cJSON *parse_node(YParser *p, int indent, int depth);

/* A scalar: JSON when it parses as JSON, else the plain text as a string. */
static cJSON *parse_scalar(YParser *p, const char *s, int lineno)
{
    if (*s == '"' || *s == '[' || *s == '{' || *s == '-' || (*s >= '0' && *s <= '9') ||
        strcmp(s, "true") == 0 || strcmp(s, "false") == 0 || strcmp(s, "null") == 0) {
        cJSON *v = cJSON_Parse(s);
        if (v)
            return v;
        if (*s == '"' || *s == '[' || *s == '{') {
            snprintf(p->err, p->errlen, "line %d: value is not a valid quoted/flow scalar", lineno);
            return NULL;
        }
    }
    if (strcmp(s, "~") == 0)
        return cJSON_CreateNull();
    if (*s == '\'' || *s == '|' || *s == '>' || *s == '&' || *s == '*' || *s == '!') {
        snprintf(p->err, p->errlen, "line %d: this YAML feature is not supported (use double quotes)", lineno);
        return NULL;
    }
    return cJSON_CreateString(s);
}

/* Splits "key: value" at the first ": " (or trailing ':') outside quotes. Returns
 * the value start ("" when the value is on the following lines), or NULL when
 * the line is not a mapping entry. Terminates the key in place. */
static char *split_key(char *s)
{
    bool quoted = false;
    if (*s == '"' || *s == '[' || *s == '{')
        return NULL;
    for (char *c = s; *c; c++) {
        if (*c == '"')
            quoted = !quoted;
        if (!quoted && *c == ':' && (c[1] == ' ' || c[1] == '\0')) {
            *c = '\0';
            char *v = c + 1;
            while (*v == ' ')
                v++;
            return v;
        }
    }
    return NULL;
}

static cJSON *parse_mapping(YParser *p, int indent, int depth)
{
    cJSON *obj = cJSON_CreateObject();
    while (obj && p->pos < p->n && p->lines[p->pos].indent == indent) {
        YLine *l = &p->lines[p->pos];
        if (l->text[0] == '-' && (l->text[1] == ' ' || l->text[1] == '\0'))
            break;
        char *val = split_key(l->text);
        if (!val) {
            snprintf(p->err, p->errlen, "line %d: expected \"key: value\"", l->lineno);
            goto fail;
        }
        char *key = l->text;
        size_t kl = strlen(key);
        if (kl >= 2 && key[0] == '"' && key[kl - 1] == '"') { /* a quoted key */
            key[kl - 1] = '\0';
            key++;
        }
        p->pos++;
        cJSON *child;
        if (*val) {
            child = parse_scalar(p, val, l->lineno);
        } else if (p->pos < p->n && (p->lines[p->pos].indent > indent ||
                                       (p->lines[p->pos].indent == indent && p->lines[p->pos].text[0] == '-'))) {
            child = parse_node(p, p->lines[p->pos].indent, depth + 1);
        } else {
            child = cJSON_CreateNull();
        }
        if (!child)
            goto fail;
        if (cJSON_GetObjectItemCaseSensitive(obj, key)) {
            cJSON_Delete(child);
            snprintf(p->err, p->errlen, "line %d: duplicate key \"%s\"", l->lineno, key);
            goto fail;
        }
        cJSON_AddItemToObject(obj, key, child);
    }
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

static cJSON *parse_sequence(YParser *p, int indent, int depth)
{
    cJSON *arr = cJSON_CreateArray();
    while (arr && p->pos < p->n && p->lines[p->pos].indent == indent) {
        YLine *l = &p->lines[p->pos];
        if (!(l->text[0] == '-' && (l->text[1] == ' ' || l->text[1] == '\0')))
            break;
        cJSON *child;
        if (l->text[1] == '\0') { /* "-" alone: the item follows, indented */
            p->pos++;
            if (p->pos < p->n && p->lines[p->pos].indent > indent)
                child = parse_node(p, p->lines[p->pos].indent, depth + 1);
            else
                child = cJSON_CreateNull();
        } else {
            /* "- rest": rest is the first line of the item, at indent + 2 + spaces */
            int off = 1;
            while (l->text[off] == ' ')
                off++;
            l->indent += off;
            memmove(l->text, l->text + off, strlen(l->text + off) + 1);
            child = parse_node(p, l->indent, depth + 1);
        }
        if (!child) {
            cJSON_Delete(arr);
            return NULL;
        }
        cJSON_AddItemToArray(arr, child);
    }
    return arr;
}

static cJSON *parse_node(YParser *p, int indent, int depth)
{
    if (depth > 64) {
        snprintf(p->err, p->errlen, "nested too deeply");
        return NULL;
    }
    YLine *l = &p->lines[p->pos];
    if (l->text[0] == '-' && (l->text[1] == ' ' || l->text[1] == '\0'))
        return parse_sequence(p, indent, depth);
    char probe[4096];
    snprintf(probe, sizeof probe, "%s", l->text);
    if (split_key(probe))
        return parse_mapping(p, indent, depth);
    p->pos++;
    return parse_scalar(p, l->text, l->lineno);
}

cJSON *yaml_lite_parse(const char *text, size_t len, char *err, size_t errlen)
{
    YParser p = { .err = err, .errlen = errlen };
    char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    size_t cap = 0;
    int lineno = 0;
    cJSON *root = NULL;
    char *save = NULL;
    for (char *line = copy; line; line = save) {
        save = strchr(line, '\n');
        if (save)
            *save++ = '\0';
        lineno++;
        size_t ll = strlen(line);
        while (ll && (line[ll - 1] == '\r' || line[ll - 1] == ' '))
            line[--ll] = '\0';
        int ind = 0;
        while (line[ind] == ' ')
            ind++;
        if (line[ind] == '\t') {
            snprintf(err, errlen, "line %d: tabs are not allowed for indentation", lineno);
            goto out;
        }
        if (line[ind] == '\0' || line[ind] == '#' || strcmp(line + ind, "---") == 0)
            continue;
        if (p.n == cap) {
            cap = cap ? cap * 2 : 64;
            YLine *nl = realloc(p.lines, cap * sizeof *nl);
            if (!nl) {
                snprintf(err, errlen, "out of memory");
                goto out;
            }
            p.lines = nl;
        }
        p.lines[p.n++] = (YLine){ .indent = ind, .text = line + ind, .lineno = lineno };
    }
    if (p.n == 0) {
        root = cJSON_CreateNull();
        goto out;
    }
    root = parse_node(&p, p.lines[0].indent, 0);
    if (root && p.pos < p.n) {
        snprintf(err, errlen, "line %d: unexpected indentation", p.lines[p.pos].lineno);
        cJSON_Delete(root);
        root = NULL;
    }
out:
    free(p.lines);
    free(copy);
    return root;
}
