/* fixture_promptfoo.c — cases as a YAML list of promptfoo test cases and
 * back (see fixture.h, versus-fixtures(5)). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/candidate.h"
#include "store/fixture_formats.h"
#include "store/jsonio.h"
#include "store/regex_js.h"
#include "store/yaml_lite.h"

static int yaml_kv(Buf *b, int indent, const char *key, const char *value)
{
    int rc = buf_printf(b, "%*s%s: ", indent, "", key);
    rc |= jsonio_quote(b, value);
    rc |= buf_puts(b, "\n");
    return rc;
}

/* promptfoo's own assertion type for a, or NULL when it has none. */
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

/* How each assertion of a case goes to promptfoo: natively (with the
 * JavaScript form of a regex) or kept aside in metadata.versus_assertions. */
typedef struct PfAssert {
    const char *type; /* promptfoo type, or NULL: kept aside */
    Buf js;           /* a regex's JavaScript pattern */
} PfAssert;

static void plan_assertions(const FixtureCase *c, PfAssert *plan, FixtureExportReport *rep)
{
    for (size_t i = 0; i < c->r.n_assertions; i++) {
        const Assertion *a = &c->r.assertions[i];
        plan[i].type = promptfoo_type(a);
        if (!plan[i].type || a->kind != ASSERT_REGEX)
            continue;
        char why[200];
        if (regex_posix_to_js(a->value, &plan[i].js, why, sizeof why) < 0) {
            plan[i].type = NULL;
            buf_printf(&rep->notes, "%s: regex /%s/ kept in metadata.versus_assertions, promptfoo will not check it: %s\n",
                       c->id ? c->id : "a case", a->value, why);
        }
    }
}

/* The providers a restricted case may run on in promptfoo: the local
 * candidates that answered it (as provider labels). 0, or -1 when none. */
static int local_providers(const FixtureCase *c, Buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < c->r.n_replies; i++)
        if (fixture_candidate_is_local(c->r.replies[i]))
            n++;
    if (!n)
        return -1;
    buf_puts(b, "  providers:\n");
    for (size_t i = 0; i < c->r.n_replies; i++)
        if (fixture_candidate_is_local(c->r.replies[i])) {
            buf_puts(b, "    - ");
            jsonio_quote(b, c->r.replies[i]->spec);
            buf_puts(b, "\n");
        }
    return 0;
}

static int write_promptfoo_case(const FixtureCase *c, const PfAssert *plan, Buf *b)
{
    const SessionRound *r = &c->r;
    bool restricted = r->sensitivity == SENSITIVITY_RESTRICTED;
    int rc = buf_puts(b, "- ");
    rc |= yaml_kv(b, 0, "description", c->id ? c->id : r->prompt);
    rc |= buf_puts(b, "  vars:\n");
    rc |= yaml_kv(b, 4, "prompt", r->prompt);
    if (r->system)
        rc |= yaml_kv(b, 4, "system", r->system);
    if (r->conversation) {
        /* a follow-up: the whole conversation, messages-style, for a chat
         * prompt such as '{{ messages | dump }}' */
        rc |= buf_puts(b, "    messages:\n");
        if (r->system) {
            rc |= buf_puts(b, "      - ");
            rc |= yaml_kv(b, 0, "role", "system");
            rc |= yaml_kv(b, 8, "content", r->system);
        }
        for (size_t i = 0; i <= c->n_history; i++) {
            rc |= buf_puts(b, "      - ");
            rc |= yaml_kv(b, 0, "role", i < c->n_history ? c->history[i].role : "user");
            rc |= yaml_kv(b, 8, "content", i < c->n_history ? c->history[i].content : r->prompt);
        }
    }
    if (restricted && local_providers(c, b) < 0)
        return -2;
    size_t native = 0;
    for (size_t i = 0; i < r->n_assertions; i++)
        native += plan[i].type != NULL;
    if (native)
        rc |= buf_puts(b, "  assert:\n");
    for (size_t i = 0; i < r->n_assertions; i++) {
        const Assertion *a = &r->assertions[i];
        if (!plan[i].type)
            continue;
        rc |= buf_printf(b, "    - type: %s\n", plan[i].type);
        if (a->kind == ASSERT_MAX_COST || a->kind == ASSERT_MAX_TOTAL_MS)
            rc |= buf_printf(b, "      threshold: %.17g\n", a->limit);
        else if (a->kind == ASSERT_IS_JSON && a->value)
            rc |= buf_printf(b, "      value: %s\n", a->value);
        else if (a->kind == ASSERT_REGEX)
            rc |= yaml_kv(b, 6, "value", buf_str(&plan[i].js));
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
    rc |= yaml_kv(b, 4, "data_perimeter", restricted ? "local-only" : "any");
    rc |= yaml_kv(b, 4, "outcome", session_outcome_name(r->outcome));
    const Reply *w = fixture_winner(c);
    if (w)
        rc |= yaml_kv(b, 4, "winner", w->spec);
    if (r->note)
        rc |= yaml_kv(b, 4, "note", r->note);
    if (r->blind && r->outcome != SESSION_UNLABELLED)
        rc |= buf_puts(b, "    blind: true\n");
    if (r->conversation) {
        rc |= yaml_kv(b, 4, "conversation", r->conversation);
        rc |= buf_printf(b, "    turn: %d\n", r->turn);
    }
    if (r->n_replies) {
        rc |= buf_puts(b, "    candidates:\n");
        for (size_t i = 0; i < r->n_replies; i++) {
            rc |= buf_puts(b, "      - ");
            rc |= jsonio_quote(b, r->replies[i]->spec);
            rc |= buf_puts(b, "\n");
        }
    }
    bool header = false;
    for (size_t i = 0; i < r->n_assertions; i++) {
        const Assertion *a = &r->assertions[i];
        if (!plan[i].type || a->kind != ASSERT_REGEX || strcmp(a->value, buf_str(&plan[i].js)) == 0)
            continue;
        if (!header)
            rc |= buf_puts(b, "    versus_regex:\n");
        header = true;
        rc |= buf_puts(b, "      - posix: ");
        rc |= jsonio_quote(b, a->value);
        rc |= buf_puts(b, "\n        js: ");
        rc |= jsonio_quote(b, buf_str(&plan[i].js));
        rc |= buf_puts(b, "\n");
    }
    if (native < r->n_assertions) {
        rc |= buf_puts(b, "    versus_assertions:\n");
        for (size_t i = 0; i < r->n_assertions; i++) {
            if (plan[i].type)
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

int fixture_write_promptfoo(const FixtureSet *set, FixtureExportReport *rep, Buf *out, char *err, size_t errlen)
{
    int rc = buf_printf(out, "# promptfoo test cases exported by versus (fixture schema %d).\n"
                             "# Use with: tests: file://THIS.yaml, and a prompt such as \"{{prompt}}\"; a\n"
                             "# follow-up also has vars.messages, the whole conversation for a chat prompt\n"
                             "# such as '{{ messages | dump }}'.\n",
                        FIXTURE_FORMAT_VERSION);
    if (rep->restricted_included)
        rc |= buf_printf(out, "# %zu case%s hold%s restricted data (metadata data_perimeter: local-only): each may run\n"
                              "# only on the providers it lists, by label, which are the local models that answered\n"
                              "# it. Give only your local providers those labels, or leave these cases out with\n"
                              "#   promptfoo eval --filter-metadata data_perimeter=any\n",
                         rep->restricted_included, rep->restricted_included == 1 ? "" : "s",
                         rep->restricted_included == 1 ? "s" : "");
    for (size_t i = 0; !rc && i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        PfAssert *plan = calloc(c->r.n_assertions + 1, sizeof *plan);
        if (!plan) {
            rc = -1;
            break;
        }
        plan_assertions(c, plan, rep);
        rc = write_promptfoo_case(c, plan, out);
        for (size_t k = 0; k < c->r.n_assertions; k++)
            buf_free(&plan[k].js);
        free(plan);
        if (rc == -2) {
            snprintf(err, errlen,
                     "%s is restricted and no local model answered it, so promptfoo's providers can not be limited "
                     "to local ones; export it in the versus format, or leave restricted rounds out",
                     c->id ? c->id : "a case");
            return -1;
        }
    }
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* versus's POSIX pattern for a regex this file translated (metadata.versus_regex), or js itself. */
static const char *posix_of(const cJSON *meta, const char *js)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(meta, "versus_regex")) {
        const char *p = jsonio_str(e, "posix"), *j = jsonio_str(e, "js");
        if (p && j && strcmp(j, js) == 0)
            return p;
    }
    return js;
}

static int promptfoo_assertion(const cJSON *pa, const cJSON *meta, cJSON *out_list, char *err, size_t errlen)
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
    } else if (strcmp(t, "regex") == 0 && cJSON_IsString(value)) {
        jsonio_add_str(a, "type", t);
        jsonio_add_str(a, "value", posix_of(meta, value->valuestring));
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
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(vars, "messages");
    if (cJSON_IsArray(msgs)) { /* a follow-up: what came before the last user message */
        cJSON *conv = cJSON_AddObjectToObject(o, "conversation");
        const char *cid = jsonio_str(meta, "conversation");
        jsonio_add_str(conv, "id", cid ? cid : "promptfoo");
        cJSON *h = cJSON_AddArrayToObject(conv, "history");
        int n = cJSON_GetArraySize(msgs), k = 0;
        const cJSON *m;
        cJSON_ArrayForEach(m, msgs) {
            const char *role = jsonio_str(m, "role");
            if (k++ < n - 1 && role && strcmp(role, "system") != 0)
                cJSON_AddItemToArray(h, cJSON_Duplicate(m, 1));
        }
        jsonio_add_num(conv, "turn", jsonio_num(meta, "turn", cJSON_GetArraySize(h) / 2 + 1));
    }
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
        if ((rc = promptfoo_assertion(pa, meta, as, err, errlen)) < 0)
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

