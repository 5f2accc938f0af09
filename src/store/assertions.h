/* assertions.h — what a routing test case may demand of a reply.
 *
 * Text checks (contains, not-contains, POSIX extended regex, equals, is-json
 * with an optional JSON-Schema subset), budget checks (max output tokens,
 * max cost, max time to first token, max total time) and tool-call checks (a
 * call by name, its arguments equal to a JSON value or valid against a
 * schema; versus never runs the tool). Assertions travel in session labels
 * and fixture files as JSON objects
 *   {"type": "contains", "value": "Paris"}
 *   {"type": "max-cost", "value": 0.002}
 *   {"type": "is-json", "schema": {"type": "object", "required": ["name"]}}
 *   {"type": "tool-call", "value": "get_weather", "arguments": {"city": "Paris"}}
 *   {"type": "tool-call", "value": "get_weather", "schema": {"required": ["city"]}}
 * with an optional "model" naming the only candidate it applies to.
 * Checking is pure: no I/O. */
#ifndef VERSUS_ASSERTIONS_H
#define VERSUS_ASSERTIONS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/reply.h"

typedef enum AssertKind {
    ASSERT_CONTAINS,
    ASSERT_NOT_CONTAINS,
    ASSERT_REGEX,       /* POSIX extended (regcomp REG_EXTENDED) over the reply text */
    ASSERT_EQUALS,      /* whole text, exactly */
    ASSERT_IS_JSON,     /* text parses as JSON (and satisfies schema when given) */
    ASSERT_MAX_OUTPUT_TOKENS,
    ASSERT_MAX_COST,    /* USD */
    ASSERT_MAX_TTFT_MS,
    ASSERT_MAX_TOTAL_MS,
    ASSERT_TOOL_CALL,   /* a tool call named value (arguments: equal to, or valid against, args) */
    ASSERT_KIND_COUNT,
} AssertKind;

typedef struct Assertion {
    AssertKind kind;
    char *value;  /* text kinds: the string or pattern; is-json: the schema as JSON text, or NULL */
    double limit; /* max-* kinds: tokens, USD or ms */
    char *model;  /* applies only to this candidate (spec or model name), or NULL */
    char *args;   /* tool-call: JSON text the arguments must equal, or with args_schema
                   * the schema they must satisfy; NULL: any arguments */
    bool args_schema;
} Assertion;

/* "contains", "not-contains", "regex", "equals", "is-json", "max-output-tokens",
 * "max-cost", "max-ttft-ms", "max-total-ms", "tool-call". */
const char *assertion_kind_name(AssertKind k);
/* Parses a name above; 0 or -1. */
int assertion_kind_parse(const char *name, AssertKind *out);

/* Reads one assertion object; 0, or -1 with err (unknown type, missing value,
 * regex that does not compile, schema that is not an object). */
int assertion_from_json(const cJSON *obj, Assertion *out, char *err, size_t errlen);
/* The JSON object for a; NULL when memory runs out. */
cJSON *assertion_to_json(const Assertion *a);
/* A JSON array of a[0..n); NULL when memory runs out. */
cJSON *assertions_to_json(const Assertion *a, size_t n);
/* Parses the command-line form TYPE:VALUE ("contains:Paris", "max-cost:0.01",
 * "is-json", "is-json:{schema}", "tool-call:NAME", "tool-call:NAME={arguments}",
 * "tool-call:NAME~{schema}"); 0 or -1 with err. */
int assertion_from_arg(const char *arg, Assertion *out, char *err, size_t errlen);
/* A deep copy; 0 or -1 on OOM. */
int assertion_copy(Assertion *dst, const Assertion *src);
void assertion_free(Assertion *a);

/* Checks a against a finished reply: 1 holds, 0 fails (why says how), -1 the
 * assertion can not be evaluated (why says why, e.g. cost unknown). */
int assertion_check(const Assertion *a, const Reply *r, char *why, size_t whylen);
/* True when a applies to the candidate (spec/provider/model as in Reply). */
bool assertion_applies_to(const Assertion *a, const Reply *r);

#endif
