/* schema_lite.c — validating a JSON document against a JSON Schema subset
 * (see schema_lite.h). Recursion depth is bounded by the schema's depth. */
#include "store/schema_lite.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SCHEMA_MAX_DEPTH 64

static int type_matches(const char *type, const cJSON *doc)
{
    if (strcmp(type, "object") == 0) return cJSON_IsObject(doc);
    if (strcmp(type, "array") == 0) return cJSON_IsArray(doc);
    if (strcmp(type, "string") == 0) return cJSON_IsString(doc);
    if (strcmp(type, "number") == 0) return cJSON_IsNumber(doc);
    if (strcmp(type, "integer") == 0)
        return cJSON_IsNumber(doc) && isfinite(doc->valuedouble) && doc->valuedouble == floor(doc->valuedouble);
    if (strcmp(type, "boolean") == 0) return cJSON_IsBool(doc);
    if (strcmp(type, "null") == 0) return cJSON_IsNull(doc);
    return -1;
}

static int validate(const cJSON *schema, const cJSON *doc, const char *ptr, int depth, char *why, size_t whylen)
{
    if (depth > SCHEMA_MAX_DEPTH) {
        snprintf(why, whylen, "schema nested deeper than %d levels", SCHEMA_MAX_DEPTH);
        return -1;
    }
    if (cJSON_IsBool(schema)) { /* true accepts everything, false nothing */
        if (cJSON_IsTrue(schema))
            return 1;
        snprintf(why, whylen, "%s: the schema allows nothing here", *ptr ? ptr : "/");
        return 0;
    }
    if (!cJSON_IsObject(schema)) {
        snprintf(why, whylen, "schema at %s is not an object", *ptr ? ptr : "/");
        return -1;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (type) {
        int ok = 0;
        if (cJSON_IsString(type)) {
            ok = type_matches(type->valuestring, doc);
        } else if (cJSON_IsArray(type)) {
            const cJSON *t;
            cJSON_ArrayForEach(t, type) {
                if (!cJSON_IsString(t)) { ok = -1; break; }
                int m = type_matches(t->valuestring, doc);
                if (m < 0) { ok = -1; break; }
                ok |= m;
            }
        } else {
            ok = -1;
        }
        if (ok < 0) {
            snprintf(why, whylen, "schema at %s has an unknown \"type\"", *ptr ? ptr : "/");
            return -1;
        }
        if (!ok) {
            char *want = cJSON_PrintUnformatted(type);
            snprintf(why, whylen, "%s: expected type %s", *ptr ? ptr : "/", want ? want : "?");
            cJSON_free(want);
            return 0;
        }
    }
    const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
    if (en) {
        if (!cJSON_IsArray(en)) {
            snprintf(why, whylen, "schema at %s: \"enum\" is not an array", *ptr ? ptr : "/");
            return -1;
        }
        int found = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, en) {
            if (cJSON_Compare(v, doc, 1)) { found = 1; break; }
        }
        if (!found) {
            snprintf(why, whylen, "%s: value not in the schema's enum", *ptr ? ptr : "/");
            return 0;
        }
    }
    const cJSON *req = cJSON_GetObjectItemCaseSensitive(schema, "required");
    if (req && cJSON_IsObject(doc)) {
        if (!cJSON_IsArray(req)) {
            snprintf(why, whylen, "schema at %s: \"required\" is not an array", *ptr ? ptr : "/");
            return -1;
        }
        const cJSON *k;
        cJSON_ArrayForEach(k, req) {
            if (!cJSON_IsString(k)) {
                snprintf(why, whylen, "schema at %s: \"required\" holds a non-string", *ptr ? ptr : "/");
                return -1;
            }
            if (!cJSON_GetObjectItemCaseSensitive(doc, k->valuestring)) {
                snprintf(why, whylen, "%s: required property \"%s\" is missing", *ptr ? ptr : "/", k->valuestring);
                return 0;
            }
        }
    }
    char sub[1024];
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    if (props && cJSON_IsObject(doc)) {
        if (!cJSON_IsObject(props)) {
            snprintf(why, whylen, "schema at %s: \"properties\" is not an object", *ptr ? ptr : "/");
            return -1;
        }
        const cJSON *p;
        cJSON_ArrayForEach(p, props) {
            const cJSON *child = cJSON_GetObjectItemCaseSensitive(doc, p->string);
            if (!child)
                continue;
            snprintf(sub, sizeof sub, "%s/%s", ptr, p->string);
            int rc = validate(p, child, sub, depth + 1, why, whylen);
            if (rc != 1)
                return rc;
        }
    }
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(schema, "items");
    if (items && cJSON_IsArray(doc)) {
        int i = 0;
        const cJSON *el;
        cJSON_ArrayForEach(el, doc) {
            snprintf(sub, sizeof sub, "%s/%d", ptr, i++);
            int rc = validate(items, el, sub, depth + 1, why, whylen);
            if (rc != 1)
                return rc;
        }
    }
    return 1;
}

int schema_lite_validate(const cJSON *schema, const cJSON *doc, char *why, size_t whylen)
{
    if (whylen)
        why[0] = '\0';
    return validate(schema, doc, "", 0, why, whylen);
}
