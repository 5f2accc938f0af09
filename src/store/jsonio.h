/* jsonio.h — small helpers over cJSON for the store's files.
 *
 * Typed getters that never crash on hostile documents (missing keys, wrong
 * types), setters that write NaN as null and replace invalid UTF-8 with
 * U+FFFD so every file versus writes is valid JSON, and parsing a whole
 * document. Not a JSON parser (cJSON does that), not file reading
 * (util/file.h). */
#ifndef VERSUS_JSONIO_H
#define VERSUS_JSONIO_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

struct Buf;

/* Adds key: string (n bytes, invalid UTF-8 replaced), or null when s is NULL.
 * Returns 0, or -1 when memory runs out. */
int jsonio_add_strn(cJSON *obj, const char *key, const char *s, size_t n);
int jsonio_add_str(cJSON *obj, const char *key, const char *s);
/* Adds key: number, or null when v is NaN or infinite. */
int jsonio_add_num(cJSON *obj, const char *key, double v);
/* Adds key: item, where a NULL item means memory ran out. Returns 0, or -1
 * when item is NULL. */
int jsonio_add_item(cJSON *obj, const char *key, cJSON *item);
/* Appends item to the array arr the same way. */
int jsonio_push(cJSON *arr, cJSON *item);
/* The end of an encoder: o, or NULL (o deleted) when bad is set. */
cJSON *jsonio_finish(cJSON *o, int bad);
/* Appends j on one line ("\n"-terminated) to b and deletes j; NULL j means
 * memory ran out. Returns 0 or -1. */
int jsonio_put_line(struct Buf *b, cJSON *j);
/* A cJSON string item holding s with invalid UTF-8 replaced; NULL on OOM. */
cJSON *jsonio_make_str(const char *s, size_t n);

/* The string at key, or NULL when it is missing or not a string. */
const char *jsonio_str(const cJSON *obj, const char *key);
/* A malloc'ed copy of the string at key, or NULL when missing. */
char *jsonio_dup(const cJSON *obj, const char *key);
/* The number at key, or dflt when missing, null or not a number. */
double jsonio_num(const cJSON *obj, const char *key, double dflt);
/* The number at key as a long (must be integral and in range), or dflt. */
long jsonio_long(const cJSON *obj, const char *key, long dflt);
bool jsonio_bool(const cJSON *obj, const char *key, bool dflt);

/* Parses a whole JSON document; NULL with err (including the byte offset). */
cJSON *jsonio_parse(const char *text, size_t len, char *err, size_t errlen);

/* Appends s to b as a JSON string literal (quotes included). 0 or -1. */
int jsonio_quote(struct Buf *b, const char *s);

#endif
