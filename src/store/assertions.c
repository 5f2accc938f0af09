/* assertions.c — parsing and checking case assertions (see assertions.h). */
#include "store/assertions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/regexp.h"
#include "store/jsonio.h"
#include "store/schema_lite.h"

static const char *const assert_names[ASSERT_KIND_COUNT] = {
    [ASSERT_CONTAINS] = "contains",
    [ASSERT_NOT_CONTAINS] = "not-contains",
    [ASSERT_REGEX] = "regex",
    [ASSERT_EQUALS] = "equals",
    [ASSERT_IS_JSON] = "is-json",
    [ASSERT_MAX_OUTPUT_TOKENS] = "max-output-tokens",
    [ASSERT_MAX_COST] = "max-cost",
    [ASSERT_MAX_TTFT_MS] = "max-ttft-ms",
    [ASSERT_MAX_TOTAL_MS] = "max-total-ms",
    [ASSERT_TOOL_CALL] = "tool-call",
};

static bool kind_is_text(AssertKind k) { return k <= ASSERT_EQUALS; }
static bool kind_is_limit(AssertKind k) { return k >= ASSERT_MAX_OUTPUT_TOKENS && k <= ASSERT_MAX_TOTAL_MS; }

const char *assertion_kind_name(AssertKind k)
{
    return (unsigned)k < ASSERT_KIND_COUNT ? assert_names[k] : "?";
}

int assertion_kind_parse(const char *name, AssertKind *out)
{
    for (int i = 0; i < ASSERT_KIND_COUNT; i++)
        if (name && strcmp(name, assert_names[i]) == 0) {
            *out = (AssertKind)i;
            return 0;
        }
    return -1;
}

void assertion_free(Assertion *a)
{
    if (!a)
        return;
    free(a->value);
    free(a->model);
    free(a->args);
    a->value = a->model = a->args = NULL;
}

int assertion_copy(Assertion *dst, const Assertion *src)
{
    *dst = *src;
    dst->value = src->value ? strdup(src->value) : NULL;
    dst->model = src->model ? strdup(src->model) : NULL;
    dst->args = src->args ? strdup(src->args) : NULL;
    if ((src->value && !dst->value) || (src->model && !dst->model) || (src->args && !dst->args)) {
        assertion_free(dst);
        return -1;
    }
    return 0;
}

/* Checks what a complete assertion must hold; 0 or -1 with err. */
static int validate(const Assertion *a, char *err, size_t errlen)
{
    if ((kind_is_text(a->kind) || a->kind == ASSERT_TOOL_CALL) && (!a->value || !a->value[0])) {
        snprintf(err, errlen, "assertion %s needs a value%s", assertion_kind_name(a->kind),
                 a->kind == ASSERT_TOOL_CALL ? " (the tool's name)" : "");
        return -1;
    }
    if (a->kind == ASSERT_TOOL_CALL && a->args) {
        cJSON *j = cJSON_Parse(a->args);
        bool ok = j && (!a->args_schema || cJSON_IsObject(j));
        cJSON_Delete(j);
        if (!ok) {
            snprintf(err, errlen, "tool-call %s must be %s", a->args_schema ? "schema" : "arguments",
                     a->args_schema ? "a JSON object" : "valid JSON");
            return -1;
        }
    }
    if (a->kind == ASSERT_REGEX) {
        char msg[256];
        Regexp *re = regexp_compile(a->value, 0, msg, sizeof msg);
        if (!re) {
            snprintf(err, errlen, "regex \"%.200s\" does not compile: %s", a->value, msg);
            return -1;
        }
        regexp_free(re);
    }
    if (a->kind == ASSERT_IS_JSON && a->value) {
        cJSON *s = cJSON_Parse(a->value);
        bool ok = s && (cJSON_IsObject(s) || cJSON_IsBool(s));
        cJSON_Delete(s);
        if (!ok) {
            snprintf(err, errlen, "is-json schema must be a JSON object");
            return -1;
        }
    }
    if (kind_is_limit(a->kind) && (!isfinite(a->limit) || a->limit < 0)) {
        snprintf(err, errlen, "assertion %s needs a number >= 0", assertion_kind_name(a->kind));
        return -1;
    }
    return 0;
}

int assertion_from_json(const cJSON *obj, Assertion *out, char *err, size_t errlen)
{
    *out = (Assertion){ .limit = NAN };
    if (!cJSON_IsObject(obj)) {
        snprintf(err, errlen, "an assertion must be a JSON object");
        return -1;
    }
    const char *type = jsonio_str(obj, "type");
    if (!type || assertion_kind_parse(type, &out->kind) < 0) {
        snprintf(err, errlen, "unknown assertion type \"%s\"", type ? type : "(none)");
        return -1;
    }
    if (kind_is_text(out->kind)) {
        out->value = jsonio_dup(obj, "value");
    } else if (out->kind == ASSERT_TOOL_CALL) {
        out->value = jsonio_dup(obj, "value");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(obj, "arguments");
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(obj, "schema");
        if (args && schema) {
            snprintf(err, errlen, "a tool-call assertion takes \"arguments\" or \"schema\", not both");
            assertion_free(out);
            return -1;
        }
        const cJSON *m = args ? args : schema;
        out->args_schema = schema != NULL;
        if (m && !(out->args = cJSON_PrintUnformatted(m))) {
            snprintf(err, errlen, "out of memory");
            assertion_free(out);
            return -1;
        }
    } else if (out->kind == ASSERT_IS_JSON) {
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(obj, "schema");
        if (schema && !cJSON_IsNull(schema)) {
            out->value = cJSON_PrintUnformatted(schema);
            if (!out->value) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
        }
    } else {
        out->limit = jsonio_num(obj, "value", NAN);
    }
    out->model = jsonio_dup(obj, "model");
    if (validate(out, err, errlen) < 0) {
        assertion_free(out);
        return -1;
    }
    return 0;
}

cJSON *assertion_to_json(const Assertion *a)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_str(o, "type", assertion_kind_name(a->kind));
    if (kind_is_text(a->kind)) {
        bad |= jsonio_add_str(o, "value", a->value);
    } else if (a->kind == ASSERT_TOOL_CALL) {
        bad |= jsonio_add_str(o, "value", a->value);
        if (a->args)
            bad |= jsonio_add_item(o, a->args_schema ? "schema" : "arguments", cJSON_Parse(a->args));
    } else if (a->kind == ASSERT_IS_JSON) {
        if (a->value)
            bad |= jsonio_add_item(o, "schema", cJSON_Parse(a->value));
    } else {
        bad |= jsonio_add_num(o, "value", a->limit);
    }
    if (a->model)
        bad |= jsonio_add_str(o, "model", a->model);
    return jsonio_finish(o, bad);
}

cJSON *assertions_to_json(const Assertion *a, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    int bad = !arr;
    for (size_t i = 0; arr && i < n; i++)
        bad |= jsonio_push(arr, assertion_to_json(&a[i]));
    return jsonio_finish(arr, bad);
}

int assertion_from_arg(const char *arg, Assertion *out, char *err, size_t errlen)
{
    *out = (Assertion){ .limit = NAN };
    const char *colon = strchr(arg, ':');
    size_t nl = colon ? (size_t)(colon - arg) : strlen(arg);
    char name[32];
    if (nl >= sizeof name) {
        snprintf(err, errlen, "unknown assertion \"%s\" (expected TYPE:VALUE)", arg);
        return -1;
    }
    memcpy(name, arg, nl);
    name[nl] = '\0';
    if (assertion_kind_parse(name, &out->kind) < 0) {
        snprintf(err, errlen, "unknown assertion type \"%s\"", name);
        return -1;
    }
    const char *val = colon ? colon + 1 : NULL;
    if (kind_is_limit(out->kind)) {
        char *end;
        out->limit = val ? strtod(val, &end) : NAN;
        if (!val || end == val || *end) {
            snprintf(err, errlen, "assertion %s needs a number, as in %s:100", name, name);
            return -1;
        }
    } else if (out->kind == ASSERT_TOOL_CALL && val) {
        /* NAME, NAME={arguments} or NAME~{schema}: tool names never hold '=' or '~' */
        size_t n = strcspn(val, "=~");
        out->value = strndup(val, n);
        if (val[n]) {
            out->args_schema = val[n] == '~';
            out->args = strdup(val + n + 1);
        }
        if (!out->value || (val[n] && !out->args)) {
            assertion_free(out);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    } else if (val && *val) {
        out->value = strdup(val);
        if (!out->value) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    } else if (out->kind != ASSERT_IS_JSON) {
        snprintf(err, errlen, "assertion %s needs a value, as in %s:TEXT", name, name);
        return -1;
    }
    if (validate(out, err, errlen) < 0) {
        assertion_free(out);
        return -1;
    }
    return 0;
}

static bool name_matches(const char *want, const Reply *r)
{
    if (strcmp(want, r->spec) == 0 || strcmp(want, r->model) == 0)
        return true;
    size_t pl = strlen(r->provider);
    return strncmp(want, r->provider, pl) == 0 && want[pl] == ':' && strcmp(want + pl + 1, r->model) == 0;
}

bool assertion_applies_to(const Assertion *a, const Reply *r)
{
    return !a->model || name_matches(a->model, r);
}

static int check_limit(const char *what, double got, double limit, const char *unit, char *why, size_t whylen)
{
    if (!isfinite(got) || got < 0) {
        snprintf(why, whylen, "%s is unknown", what);
        return -1;
    }
    if (got <= limit)
        return 1;
    snprintf(why, whylen, "%s %.6g%s exceeds %.6g%s", what, got, unit, limit, unit);
    return 0;
}

/* Some call named a->value whose arguments match (or any arguments when
 * the assertion names none). */
static int check_tool_call(const Assertion *a, const Reply *r, char *why, size_t whylen)
{
    cJSON *want = a->args ? cJSON_Parse(a->args) : NULL;
    if (a->args && !want) {
        snprintf(why, whylen, "the assertion's %s is not valid JSON", a->args_schema ? "schema" : "arguments");
        return -1;
    }
    int named = 0, rc = 0;
    char last[160] = "";
    for (size_t i = 0; i < r->n_tool_calls && rc != 1; i++) {
        const ReplyToolCall *c = &r->tool_calls[i];
        if (strcmp(c->name, a->value) != 0)
            continue;
        named++;
        if (!want) {
            rc = 1;
            break;
        }
        cJSON *got = cJSON_Parse(c->arguments);
        if (!got) {
            snprintf(last, sizeof last, "its arguments are not valid JSON: %.80s", c->arguments);
        } else if (a->args_schema) {
            char w[128];
            if (schema_lite_validate(want, got, w, sizeof w) == 1)
                rc = 1;
            else
                snprintf(last, sizeof last, "its arguments do not fit the schema: %s", w);
        } else if (cJSON_Compare(got, want, true)) {
            rc = 1;
        } else {
            snprintf(last, sizeof last, "its arguments are %.100s", c->arguments);
        }
        cJSON_Delete(got);
    }
    cJSON_Delete(want);
    if (rc == 1)
        return 1;
    if (!named)
        snprintf(why, whylen, "no tool call named \"%.60s\" (%zu call%s)", a->value, r->n_tool_calls,
                 r->n_tool_calls == 1 ? "" : "s");
    else
        snprintf(why, whylen, "tool call \"%.60s\": %s", a->value, last);
    return 0;
}

int assertion_check(const Assertion *a, const Reply *r, char *why, size_t whylen)
{
    const char *text = buf_str(&r->text);
    if (whylen)
        why[0] = '\0';
    switch (a->kind) {
    case ASSERT_CONTAINS:
        if (strstr(text, a->value))
            return 1;
        snprintf(why, whylen, "text does not contain \"%.80s\"", a->value);
        return 0;
    case ASSERT_NOT_CONTAINS:
        if (!strstr(text, a->value))
            return 1;
        snprintf(why, whylen, "text contains \"%.80s\"", a->value);
        return 0;
    case ASSERT_EQUALS:
        if (strcmp(text, a->value) == 0)
            return 1;
        snprintf(why, whylen, "text differs from the expected %zu bytes", strlen(a->value));
        return 0;
    case ASSERT_REGEX: {
        char msg[256];
        Regexp *re = regexp_compile(a->value, 0, msg, sizeof msg);
        if (!re) {
            snprintf(why, whylen, "regex \"%.80s\" does not compile: %s", a->value, msg);
            return -1;
        }
        int rc = regexp_search(re, text, r->text.len);
        regexp_free(re);
        if (rc == 1)
            return 1;
        if (rc < 0) {
            snprintf(why, whylen, "/%.80s/ needs more than %ld steps on this %zu-byte text; simplify it", a->value,
                     (long)REGEXP_MAX_STEPS, r->text.len);
            return -1;
        }
        snprintf(why, whylen, "text does not match /%.80s/", a->value);
        return 0;
    }
    case ASSERT_IS_JSON: {
        cJSON *doc = cJSON_ParseWithLength(text, r->text.len);
        if (!doc) {
            snprintf(why, whylen, "text is not valid JSON");
            return 0;
        }
        int rc = 1;
        if (a->value) {
            cJSON *schema = cJSON_Parse(a->value);
            rc = schema ? schema_lite_validate(schema, doc, why, whylen) : -1;
            if (!schema)
                snprintf(why, whylen, "the assertion's schema is not valid JSON");
            cJSON_Delete(schema);
        }
        cJSON_Delete(doc);
        return rc;
    }
    case ASSERT_MAX_OUTPUT_TOKENS: {
        long n = reply_output_tokens(r);
        return check_limit("output tokens", n >= 0 ? (double)n : NAN, a->limit, "", why, whylen);
    }
    case ASSERT_MAX_COST:
        return check_limit("cost", r->metrics.cost_usd, a->limit, " USD", why, whylen);
    case ASSERT_MAX_TTFT_MS:
        return check_limit("time to first token", r->metrics.ttft_ms, a->limit, " ms", why, whylen);
    case ASSERT_MAX_TOTAL_MS:
        return check_limit("total time", r->metrics.total_ms, a->limit, " ms", why, whylen);
    case ASSERT_TOOL_CALL:
        return check_tool_call(a, r, why, whylen);
    case ASSERT_KIND_COUNT:
        break;
    }
    snprintf(why, whylen, "unknown assertion");
    return -1;
}
