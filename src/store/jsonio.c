/* jsonio.c — typed cJSON getters/setters and file reading (see jsonio.h). */
#include "store/jsonio.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/utf8.h"

/* A NUL-terminated copy of s with invalid UTF-8 (and NUL bytes) replaced,
 * by the same rule as everything versus prints (util/utf8.h), so a session
 * keeps exactly the text the user was shown. */
static char *utf8_clean(const char *s, size_t n)
{
    Buf b = { 0 };
    if (buf_append(&b, "", 0) < 0 || utf8_sanitize(&b, s, n, UTF8_KEEP_CONTROLS) < 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

cJSON *jsonio_make_str(const char *s, size_t n)
{
    char *clean = utf8_clean(s, n);
    if (!clean)
        return NULL;
    cJSON *item = cJSON_CreateString(clean);
    free(clean);
    return item;
}

int jsonio_add_strn(cJSON *obj, const char *key, const char *s, size_t n)
{
    cJSON *item = s ? jsonio_make_str(s, n) : cJSON_CreateNull();
    if (!item)
        return -1;
    cJSON_AddItemToObject(obj, key, item);
    return 0;
}

int jsonio_add_str(cJSON *obj, const char *key, const char *s)
{
    return jsonio_add_strn(obj, key, s, s ? strlen(s) : 0);
}

int jsonio_add_num(cJSON *obj, const char *key, double v)
{
    cJSON *item = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
    if (!item)
        return -1;
    cJSON_AddItemToObject(obj, key, item);
    return 0;
}

int jsonio_add_item(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return -1;
    cJSON_AddItemToObject(obj, key, item);
    return 0;
}

int jsonio_push(cJSON *arr, cJSON *item)
{
    if (!item)
        return -1;
    cJSON_AddItemToArray(arr, item);
    return 0;
}

cJSON *jsonio_finish(cJSON *o, int bad)
{
    if (bad) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int jsonio_put_line(Buf *b, cJSON *j)
{
    char *line = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    int rc = !line || buf_puts(b, line) < 0 || buf_puts(b, "\n") < 0 ? -1 : 0;
    free(line);
    return rc;
}

const char *jsonio_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

char *jsonio_dup(const cJSON *obj, const char *key)
{
    const char *s = jsonio_str(obj, key);
    return s ? strdup(s) : NULL;
}

double jsonio_num(const cJSON *obj, const char *key, double dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(it) ? it->valuedouble : dflt;
}

long jsonio_long(const cJSON *obj, const char *key, long dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it))
        return dflt;
    double v = it->valuedouble;
    if (!isfinite(v) || v != floor(v) || v < (double)LONG_MIN || v > (double)LONG_MAX)
        return dflt;
    return (long)v;
}

bool jsonio_bool(const cJSON *obj, const char *key, bool dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(it) ? cJSON_IsTrue(it) : dflt;
}

cJSON *jsonio_parse(const char *text, size_t len, char *err, size_t errlen)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t off = end && end >= text ? (size_t)(end - text) : 0;
        snprintf(err, errlen, "not valid JSON (near byte %zu)", off);
        return NULL;
    }
    /* Only whitespace may follow the document. */
    while (end && (size_t)(end - text) < len && strchr(" \t\r\n", *end) && *end)
        end++;
    if (end && (size_t)(end - text) < len) {
        snprintf(err, errlen, "trailing data after the JSON document (byte %zu)", (size_t)(end - text));
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int jsonio_quote(Buf *b, const char *s)
{
    cJSON *item = jsonio_make_str(s ? s : "", s ? strlen(s) : 0);
    if (!item)
        return -1;
    char *txt = cJSON_PrintUnformatted(item);
    cJSON_Delete(item);
    if (!txt)
        return -1;
    int rc = buf_puts(b, txt);
    free(txt);
    return rc;
}
