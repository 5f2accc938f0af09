/* schema_lite.h — a small JSON Schema subset for the is-json assertion.
 *
 * Understands "type" (a name or an array of names: object, array, string,
 * number, integer, boolean, null), "required", "properties", "items" (one
 * schema for every element) and "enum" (deep equality). Every other keyword
 * is ignored, as JSON Schema ignores unknown keywords. Pure: no I/O. */
#ifndef VERSUS_SCHEMA_LITE_H
#define VERSUS_SCHEMA_LITE_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* 1 when doc satisfies schema, 0 when not (why says where and why: a JSON
 * pointer and the rule), -1 when the schema itself is malformed (why says so). */
int schema_lite_validate(const cJSON *schema, const cJSON *doc, char *why, size_t whylen);

#endif
