/* fixture_promptfoo.c — cases as a YAML list of promptfoo test cases and
 * back (see fixture.h, versus-fixtures(5)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/candidate.h"
#include "store/fixture_formats.h"
#include "store/jsonio.h"
#include "store/yaml_lite.h"

static int yaml_kv(Buf *b, int indent, const char *key, const char *value)
{
    int rc = buf_printf(b, "%*s%s: ", indent, "", key);
    rc |= jsonio_quote(b, value);
    rc |= buf_puts(b, "\n");
    return rc;
}

/* promptfoo's own assertion for a, or NULL when it has none. */
static const char *promptfoo_type(const Assertion *a)
{
    if (a->model)
        return NULL; /* promptfoo has no per-provider assertions */
    switch (a->kind) {
    case ASSERT_CONTAINS: return "contains";
    case ASSERT_NOT_CONTAINS: return "not-contains";
    case ASSERT_REGEX: return "regex";
    case ASSERT_EQUALS: return "equals";
    case ASSERT_IS_JSON: return "is-json";
    case ASSERT_MAX_COST: return "cost";
    case ASSERT_MAX_TOTAL_MS: return "latency";
    default: return NULL;
    }
}

static int write_promptfoo_case(const FixtureCase *c, Buf *b)
{
    const SessionRound *r = &c->r;
    int rc = buf_puts(b, "- ");
    rc |= yaml_kv(b, 0, "description", c->id ? c->id : r->prompt);
    rc |= buf_puts(b, "  vars:\n");
    rc |= yaml_kv(b, 4, "prompt", r->prompt);
    if (r->system)
        rc |= yaml_kv(b, 4, "system", r->system);
    size_t native = 0;
    for (size_t i = 0; i < r->n_assertions; i++)
        native += promptfoo_type(&r->assertions[i]) != NULL;
    if (native)
        rc |= buf_puts(b, "  assert:\n");
    for (size_t i = 0; i < r->n_assertions; i++) {
        const Assertion *a = &r->assertions[i];
        const char *t = promptfoo_type(a);
        if (!t)
            continue;
        rc |= buf_printf(b, "    - type: %s\n", t);
        if (a->kind == ASSERT_MAX_COST || a->kind == ASSERT_MAX_TOTAL_MS)
            rc |= buf_printf(b, "      threshold: %.17g\n", a->limit);
        else if (a->kind == ASSERT_IS_JSON && a->value)
            rc |= buf_printf(b, "      value: %s\n", a->value);
        else if (a->value)
            rc |= yaml_kv(b, 6, "value", a->value);
    }
    rc |= buf_puts(b, "  metadata:\n");
    if (c->id)
        rc |= yaml_kv(b, 4, "versus_id", c->id);
    if (c->session)
        rc |= yaml_kv(b, 4, "session", c->session);
    if (c->round > 0)
        rc |= buf_printf(b, "    round: %ld\n", c->round);
    if (r->category)
        rc |= yaml_kv(b, 4, "category", r->category);
    rc |= yaml_kv(b, 4, "sensitivity", sensitivity_name(r->sensitivity));
    rc |= yaml_kv(b, 4, "outcome", session_outcome_name(r->outcome));
    const Reply *w = fixture_winner(c);
    if (w)
        rc |= yaml_kv(b, 4, "winner", w->spec);
    if (r->note)
        rc |= yaml_kv(b, 4, "note", r->note);
    if (r->n_replies) {
        rc |= buf_puts(b, "    candidates:\n");
        for (size_t i = 0; i < r->n_replies; i++) {
            rc |= buf_puts(b, "      - ");
            rc |= jsonio_quote(b, r->replies[i]->spec);
            rc |= buf_puts(b, "\n");
        }
    }
    if (native < r->n_assertions) {
        rc |= buf_puts(b, "    versus_assertions:\n");
        for (size_t i = 0; i < r->n_assertions; i++) {
            if (promptfoo_type(&r->assertions[i]))
                continue;
            cJSON *j = assertion_to_json(&r->assertions[i]);
            char *txt = j ? cJSON_PrintUnformatted(j) : NULL;
            cJSON_Delete(j);
            rc |= !txt || buf_printf(b, "      - %s\n", txt);
            free(txt);
        }
    }
    return rc ? -1 : 0;
}

int fixture_write_promptfoo(const FixtureSet *set, Buf *out, char *err, size_t errlen)
{
    int rc = buf_printf(out, "# promptfoo test cases exported by versus (fixture schema %d).\n"
                             "# Use with: tests: file://THIS.yaml, and a prompt such as \"{{prompt}}\".\n",
                        FIXTURE_FORMAT_VERSION);
    for (size_t i = 0; !rc && i < set->n; i++)
        rc = write_promptfoo_case(&set->cases[i], out);
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int promptfoo_assertion(const cJSON *pa, cJSON *out_list, char *err, size_t errlen)
{
    const char *t = jsonio_str(pa, "type");
    cJSON *a = cJSON_CreateObject();
    if (!t || !a) {
        cJSON_Delete(a);
        snprintf(err, errlen, "an assert entry needs a \"type\"");
        return -1;
    }
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(pa, "value");
    if (strcmp(t, "cost") == 0 || strcmp(t, "latency") == 0) {
        jsonio_add_str(a, "type", t[0] == 'c' ? "max-cost" : "max-total-ms");
        jsonio_add_num(a, "value", jsonio_num(pa, "threshold", NAN));
    } else if (strcmp(t, "is-json") == 0) {
        jsonio_add_str(a, "type", t);
        if (value)
            cJSON_AddItemToObject(a, "schema", cJSON_Duplicate(value, 1));
    } else {
        jsonio_add_str(a, "type", t);
        if (value)
            cJSON_AddItemToObject(a, "value", cJSON_Duplicate(value, 1));
    }
    cJSON_AddItemToArray(out_list, a);
    return 0;
}

static int promptfoo_case(const cJSON *t, FixtureSet *set, char *err, size_t errlen)
{
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(t, "vars");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(t, "metadata");
    if (!cJSON_IsObject(t) || !cJSON_IsObject(vars) || !jsonio_str(vars, "prompt")) {
        snprintf(err, errlen, "a test case needs vars.prompt");
        return -1;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
    const char *id = jsonio_str(meta, "versus_id");
    jsonio_add_str(o, "id", id ? id : jsonio_str(t, "description"));
    jsonio_add_str(o, "session", jsonio_str(meta, "session"));
    jsonio_add_num(o, "round", jsonio_num(meta, "round", NAN));
    jsonio_add_str(o, "prompt", jsonio_str(vars, "prompt"));
    jsonio_add_str(o, "system", jsonio_str(vars, "system"));
    static const char *const keys[] = { "category", "sensitivity", "outcome", "winner", "note" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (jsonio_str(meta, keys[i]))
            jsonio_add_str(o, keys[i], jsonio_str(meta, keys[i]));
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(meta, "candidates"), *n;
    cJSON_ArrayForEach(n, names) {
        if (cJSON_IsString(n))
            fixture_add_bare_candidate(cands, n->valuestring, NULL);
    }
    cJSON *as = cJSON_AddArrayToObject(o, "assertions");
    const cJSON *pa;
    int rc = 0;
    cJSON_ArrayForEach(pa, cJSON_GetObjectItemCaseSensitive(t, "assert")) {
        if ((rc = promptfoo_assertion(pa, as, err, errlen)) < 0)
            break;
    }
    cJSON_ArrayForEach(pa, cJSON_GetObjectItemCaseSensitive(meta, "versus_assertions")) {
        cJSON_AddItemToArray(as, cJSON_Duplicate(pa, 1));
    }
    if (rc == 0)
        rc = fixture_versus_line(o, set, err, errlen);
    cJSON_Delete(o);
    return rc;
}

int fixture_read_promptfoo(const char *text, size_t len, FixtureSet *set, char *err, size_t errlen)
{
    cJSON *doc = yaml_lite_parse(text, len, err, errlen);
    if (!doc)
        return -1;
    int rc = 0;
    if (!cJSON_IsArray(doc)) {
        snprintf(err, errlen, "expected a YAML list of test cases");
        rc = -1;
    }
    int i = 0;
    const cJSON *t;
    char e2[400];
    const cJSON *list = rc == 0 ? doc : NULL;
    cJSON_ArrayForEach(t, list) {
        i++;
        if (promptfoo_case(t, set, e2, sizeof e2) < 0) {
            snprintf(err, errlen, "test case %d: %s", i, e2);
            rc = -1;
            break;
        }
    }
    cJSON_Delete(doc);
    return rc;
}

