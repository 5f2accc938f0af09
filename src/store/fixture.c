/* fixture.c — exporting labelled rounds as test cases in four formats and
 * reading them back (see fixture.h). Not for checking cases (assertions.c,
 * policy.c) or replaying them (replay.c). */
#include "store/fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/file.h"
#include "store/candidate.h"
#include "store/jsonio.h"
#include "store/yaml_lite.h"

#define FIXTURE_MAX_FILE (1024u << 20)

static const char *const format_names[] = {
    [FIXTURE_VERSUS] = "versus",
    [FIXTURE_PROMPTFOO] = "promptfoo",
    [FIXTURE_OPENAI_EVALS] = "openai-evals",
    [FIXTURE_CSV] = "csv",
};

int fixture_format_parse(const char *name, FixtureFormat *out)
{
    for (int i = 0; i <= FIXTURE_CSV; i++)
        if (name && strcmp(name, format_names[i]) == 0) {
            *out = (FixtureFormat)i;
            return 0;
        }
    return -1;
}

const char *fixture_format_name(FixtureFormat f)
{
    return (unsigned)f <= FIXTURE_CSV ? format_names[f] : "?";
}

const Reply *fixture_winner(const FixtureCase *c)
{
    if (c->r.outcome != SESSION_WIN || c->r.winner < 0 || (size_t)c->r.winner >= c->r.n_replies)
        return NULL;
    return c->r.replies[c->r.winner];
}

static void case_clear(FixtureCase *c)
{
    free(c->id);
    free(c->session);
    session_round_clear(&c->r);
    memset(c, 0, sizeof *c);
}

void fixture_set_free(FixtureSet *set)
{
    for (size_t i = 0; i < set->n; i++)
        case_clear(&set->cases[i]);
    free(set->cases);
    memset(set, 0, sizeof *set);
}

static FixtureCase *push_case(FixtureSet *set)
{
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        FixtureCase *p = realloc(set->cases, cap * sizeof *p);
        if (!p)
            return NULL;
        set->cases = p;
        set->cap = cap;
    }
    FixtureCase *c = &set->cases[set->n];
    memset(c, 0, sizeof *c);
    c->r.winner = -1;
    return c;
}

/* ---- the versus format ---------------------------------------------------------- */

cJSON *fixture_case_to_json(const FixtureCase *c)
{
    const SessionRound *r = &c->r;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
    bad |= jsonio_add_str(o, "id", c->id);
    bad |= jsonio_add_str(o, "session", c->session);
    bad |= jsonio_add_num(o, "round", c->round > 0 ? (double)c->round : NAN);
    bad |= jsonio_add_str(o, "prompt", r->prompt);
    bad |= jsonio_add_str(o, "system", r->system);
    bad |= jsonio_add_str(o, "category", r->category);
    bad |= jsonio_add_str(o, "sensitivity", sensitivity_name(r->sensitivity));
    bad |= jsonio_add_item(o, "params", candidate_params_encode(&r->params));
    bad |= jsonio_add_str(o, "outcome", session_outcome_name(r->outcome));
    const Reply *w = fixture_winner(c);
    bad |= jsonio_add_str(o, "winner", w ? w->spec : NULL);
    bad |= jsonio_add_num(o, "winner_index", w ? (double)r->winner : NAN);
    bad |= jsonio_add_str(o, "note", r->note);
    bad |= jsonio_add_item(o, "candidates",
                           candidate_encode_list(r->replies, r->vram_mib, r->n_replies, true));
    bad |= jsonio_add_item(o, "assertions", assertions_to_json(r->assertions, r->n_assertions));
    return jsonio_finish(o, bad);
}

/* Builds the session-round JSON shape from a fixture object so that one
 * reader (session_round_from_json) validates both. */
int fixture_case_from_json(const cJSON *o, FixtureCase *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->r.winner = -1;
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "a case must be a JSON object");
        return -1;
    }
    long version = jsonio_long(o, "versus_fixture", -1);
    if (version < 1) {
        snprintf(err, errlen, "not a versus fixture (no \"versus_fixture\" version)");
        return -1;
    }
    if (version > FIXTURE_FORMAT_VERSION) {
        snprintf(err, errlen, "fixture format %ld is newer than this versus understands (%d)", version,
                 FIXTURE_FORMAT_VERSION);
        return -1;
    }
    const cJSON *cands = cJSON_GetObjectItemCaseSensitive(o, "candidates");
    if (cands && !cJSON_IsArray(cands)) {
        snprintf(err, errlen, "\"candidates\" must be an array");
        return -1;
    }
    cJSON *round = cJSON_CreateObject();
    cJSON *label = cJSON_CreateObject();
    if (!round || !label) {
        cJSON_Delete(round);
        cJSON_Delete(label);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    static const char *const round_keys[] = { "prompt", "system", "sensitivity", "params" };
    for (size_t i = 0; i < sizeof round_keys / sizeof *round_keys; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, round_keys[i]);
        if (v)
            cJSON_AddItemToObject(round, round_keys[i], cJSON_Duplicate(v, 1));
    }
    if (cands)
        cJSON_AddItemToObject(round, "replies", cJSON_Duplicate(cands, 1));
    static const char *const label_keys[] = { "outcome", "winner", "winner_index", "note", "category",
                                              "assertions" };
    for (size_t i = 0; i < sizeof label_keys / sizeof *label_keys; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, label_keys[i]);
        if (v)
            cJSON_AddItemToObject(label, label_keys[i], cJSON_Duplicate(v, 1));
    }
    cJSON_AddItemToObject(round, "label", label);
    int rc = session_round_from_json(round, &c->r, err, errlen);
    cJSON_Delete(round);
    if (rc < 0)
        return -1;
    c->id = jsonio_dup(o, "id");
    c->session = jsonio_dup(o, "session");
    c->round = jsonio_long(o, "round", 0);
    return 0;
}

static int copy_case(FixtureCase *dst, const FixtureCase *src, char *err, size_t errlen)
{
    cJSON *j = fixture_case_to_json(src);
    if (!j) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = fixture_case_from_json(j, dst, err, errlen);
    cJSON_Delete(j);
    return rc;
}

int fixture_add_case(FixtureSet *set, const FixtureCase *c, char *err, size_t errlen)
{
    FixtureCase *d = push_case(set);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (copy_case(d, c, err, errlen) < 0)
        return -1;
    set->n++;
    return 0;
}

int fixture_add_session(FixtureSet *set, const Session *s, bool all, char *err, size_t errlen)
{
    for (size_t i = 0; i < s->n_rounds; i++) {
        if (!all && s->rounds[i].outcome == SESSION_UNLABELLED)
            continue;
        char id[300];
        snprintf(id, sizeof id, "%s#%zu", s->id, i + 1);
        /* a shallow view of the round, deep-copied by fixture_add_case */
        FixtureCase view = { .id = id, .session = s->id, .round = (long)i + 1, .r = s->rounds[i] };
        if (fixture_add_case(set, &view, err, errlen) < 0)
            return -1;
    }
    return 0;
}

static int write_versus(const FixtureSet *set, Buf *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++)
        if (jsonio_put_line(out, fixture_case_to_json(&set->cases[i])) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    return 0;
}

/* Calls fn on each non-blank line parsed as JSON. */
typedef int (*JsonLineFn)(const cJSON *o, FixtureSet *set, char *err, size_t errlen);

static int read_json_lines(const char *text, size_t len, JsonLineFn fn, FixtureSet *set, char *err, size_t errlen)
{
    size_t pos = 0;
    int lineno = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - (text + pos)) : len - pos;
        lineno++;
        const char *line = text + pos;
        pos += ll + (nl ? 1 : 0);
        size_t k = 0;
        while (k < ll && strchr(" \t\r", line[k]))
            k++;
        if (k == ll)
            continue;
        char e2[400];
        cJSON *o = jsonio_parse(line, ll, e2, sizeof e2);
        if (!o) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -1;
        }
        int rc = fn(o, set, e2, sizeof e2);
        cJSON_Delete(o);
        if (rc < 0) {
            snprintf(err, errlen, "line %d: %s", lineno, e2);
            return -1;
        }
    }
    return 0;
}

static int versus_line(const cJSON *o, FixtureSet *set, char *err, size_t errlen)
{
    FixtureCase *c = push_case(set);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (fixture_case_from_json(o, c, err, errlen) < 0)
        return -1;
    set->n++;
    return 0;
}

/* ---- promptfoo (YAML) ------------------------------------------------------------ */

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

static int write_promptfoo(const FixtureSet *set, Buf *out, char *err, size_t errlen)
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

/* Adds a bare candidate (spec only, or with text) to a round JSON. */
static void add_bare_candidate(cJSON *replies, const char *spec, const char *text)
{
    cJSON *c = cJSON_CreateObject();
    if (!c)
        return;
    jsonio_add_str(c, "spec", spec);
    if (text)
        jsonio_add_str(c, "text", text);
    cJSON_AddItemToArray(replies, c);
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
            add_bare_candidate(cands, n->valuestring, NULL);
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
        rc = versus_line(o, set, err, errlen);
    cJSON_Delete(o);
    return rc;
}

static int read_promptfoo(const char *text, size_t len, FixtureSet *set, char *err, size_t errlen)
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

/* ---- OpenAI evals (JSONL samples) --------------------------------------------------- */

static cJSON *message(const char *role, const char *content)
{
    cJSON *m = cJSON_CreateObject();
    if (m) {
        jsonio_add_str(m, "role", role);
        jsonio_add_str(m, "content", content);
    }
    return m;
}

static int write_evals(const FixtureSet *set, Buf *out, char *err, size_t errlen)
{
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        const SessionRound *r = &c->r;
        if (r->outcome != SESSION_WIN && r->outcome != SESSION_TIE)
            continue; /* no ideal answer to give */
        cJSON *o = cJSON_CreateObject();
        cJSON *input = cJSON_AddArrayToObject(o, "input");
        if (r->system)
            cJSON_AddItemToArray(input, message("system", r->system));
        cJSON_AddItemToArray(input, message("user", r->prompt));
        const Reply *w = fixture_winner(c);
        if (w) {
            jsonio_add_strn(o, "ideal", buf_str(&w->text), w->text.len);
        } else {
            cJSON *ideal = cJSON_AddArrayToObject(o, "ideal");
            for (size_t k = 0; ideal && k < r->n_replies; k++)
                cJSON_AddItemToArray(ideal, jsonio_make_str(buf_str(&r->replies[k]->text), r->replies[k]->text.len));
        }
        cJSON *meta = cJSON_AddObjectToObject(o, "metadata");
        jsonio_add_str(meta, "versus_id", c->id);
        jsonio_add_str(meta, "session", c->session);
        jsonio_add_num(meta, "round", c->round > 0 ? (double)c->round : NAN);
        jsonio_add_str(meta, "category", r->category);
        jsonio_add_str(meta, "sensitivity", sensitivity_name(r->sensitivity));
        jsonio_add_str(meta, "outcome", session_outcome_name(r->outcome));
        jsonio_add_str(meta, "winner", w ? w->spec : NULL);
        jsonio_add_str(meta, "note", r->note);
        cJSON *models = cJSON_AddArrayToObject(meta, "models");
        for (size_t k = 0; models && k < r->n_replies; k++)
            cJSON_AddItemToArray(models, cJSON_CreateString(r->replies[k]->spec));
        if (jsonio_put_line(out, o) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

static int evals_line(const cJSON *s, FixtureSet *set, char *err, size_t errlen)
{
    const cJSON *input = cJSON_GetObjectItemCaseSensitive(s, "input");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(s, "metadata");
    const cJSON *ideal = cJSON_GetObjectItemCaseSensitive(s, "ideal");
    const char *prompt = NULL, *system = NULL;
    const cJSON *m;
    if (cJSON_IsString(input)) {
        prompt = input->valuestring;
    } else {
        cJSON_ArrayForEach(m, input) {
            const char *role = jsonio_str(m, "role"), *content = jsonio_str(m, "content");
            if (role && content && strcmp(role, "system") == 0 && !system)
                system = content;
            else if (role && content && strcmp(role, "user") == 0)
                prompt = content;
        }
    }
    if (!prompt) {
        snprintf(err, errlen, "a sample needs \"input\" with a user message");
        return -1;
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
    jsonio_add_str(o, "id", jsonio_str(meta, "versus_id"));
    jsonio_add_str(o, "session", jsonio_str(meta, "session"));
    jsonio_add_num(o, "round", jsonio_num(meta, "round", NAN));
    jsonio_add_str(o, "prompt", prompt);
    jsonio_add_str(o, "system", system);
    static const char *const keys[] = { "category", "sensitivity", "note" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (jsonio_str(meta, keys[i]))
            jsonio_add_str(o, keys[i], jsonio_str(meta, keys[i]));
    const char *winner = jsonio_str(meta, "winner");
    const cJSON *models = cJSON_GetObjectItemCaseSensitive(meta, "models");
    cJSON *cands = cJSON_AddArrayToObject(o, "candidates");
    if (cJSON_IsString(ideal)) {
        /* the winner's text; the other candidates are known only by name */
        const char *wname = winner ? winner : "ideal";
        jsonio_add_str(o, "outcome", "win");
        jsonio_add_str(o, "winner", wname);
        add_bare_candidate(cands, wname, ideal->valuestring);
        cJSON_ArrayForEach(m, models) {
            if (cJSON_IsString(m) && strcmp(m->valuestring, wname) != 0)
                add_bare_candidate(cands, m->valuestring, NULL);
        }
    } else if (cJSON_IsArray(ideal)) {
        jsonio_add_str(o, "outcome", "tie");
        int k = 0;
        cJSON_ArrayForEach(m, ideal) {
            const cJSON *name = cJSON_GetArrayItem(models, k);
            char fallback[32];
            snprintf(fallback, sizeof fallback, "ideal-%d", k + 1);
            add_bare_candidate(cands, cJSON_IsString(name) ? name->valuestring : fallback,
                               cJSON_IsString(m) ? m->valuestring : "");
            k++;
        }
    } else {
        cJSON_Delete(o);
        snprintf(err, errlen, "a sample needs \"ideal\" (a string or a list of strings)");
        return -1;
    }
    int rc = versus_line(o, set, err, errlen);
    cJSON_Delete(o);
    return rc;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------------------ */

static const char *const csv_columns[] = {
    "case_id", "session", "round", "category", "sensitivity", "outcome", "winner", "note",
    "prompt", "system", "spec", "provider", "model", "status", "is_winner", "input_tokens",
    "output_tokens", "cost_usd", "ttft_ms", "total_ms", "output_tokens_per_s", "finish_reason",
    "text", "assertions",
};
enum { CSV_NCOLS = sizeof csv_columns / sizeof *csv_columns };

static int csv_field(Buf *b, const char *s, bool last)
{
    int rc = 0;
    if (s && strpbrk(s, ",\"\r\n")) {
        rc |= buf_puts(b, "\"");
        for (const char *p = s; *p; p++)
            rc |= *p == '"' ? buf_puts(b, "\"\"") : buf_append(b, p, 1);
        rc |= buf_puts(b, "\"");
    } else if (s) {
        rc |= buf_puts(b, s);
    }
    rc |= buf_puts(b, last ? "\r\n" : ",");
    return rc;
}

/* Shortest text that reads back as the same double; "" when unknown. */
static void num_text(char *out, size_t n, double v, bool known)
{
    if (!known || !isfinite(v)) {
        out[0] = '\0';
        return;
    }
    snprintf(out, n, "%.15g", v);
    if (strtod(out, NULL) != v)
        snprintf(out, n, "%.17g", v);
}

static int write_csv(const FixtureSet *set, Buf *out, char *err, size_t errlen)
{
    int rc = 0;
    for (int i = 0; i < CSV_NCOLS; i++)
        rc |= csv_field(out, csv_columns[i], i == CSV_NCOLS - 1);
    for (size_t ci = 0; ci < set->n; ci++) {
        const FixtureCase *c = &set->cases[ci];
        const SessionRound *r = &c->r;
        const Reply *w = fixture_winner(c);
        cJSON *as = cJSON_CreateArray();
        for (size_t i = 0; as && i < r->n_assertions; i++)
            cJSON_AddItemToArray(as, assertion_to_json(&r->assertions[i]));
        char *as_text = r->n_assertions && as ? cJSON_PrintUnformatted(as) : NULL;
        cJSON_Delete(as);
        size_t rows = r->n_replies ? r->n_replies : 1;
        for (size_t k = 0; k < rows; k++) {
            const Reply *p = r->n_replies ? r->replies[k] : NULL;
            char round[32], in[32], outt[32], cost[40], ttft[40], total[40], tps[40];
            num_text(round, sizeof round, (double)c->round, c->round > 0);
            num_text(in, sizeof in, p ? (double)p->usage.input_tokens : 0, p && p->usage.input_tokens >= 0);
            num_text(outt, sizeof outt, p ? (double)p->usage.output_tokens : 0, p && p->usage.output_tokens >= 0);
            num_text(cost, sizeof cost, p ? p->metrics.cost_usd : 0, p != NULL);
            num_text(ttft, sizeof ttft, p ? p->metrics.ttft_ms : 0, p && p->metrics.ttft_ms >= 0);
            num_text(total, sizeof total, p ? p->metrics.total_ms : 0, p && p->metrics.total_ms >= 0);
            num_text(tps, sizeof tps, p ? p->metrics.output_tokens_per_s : 0, p && p->metrics.output_tokens_per_s >= 0);
            const char *fields[CSV_NCOLS] = {
                c->id, c->session, round, r->category, sensitivity_name(r->sensitivity),
                session_outcome_name(r->outcome), w ? w->spec : NULL, r->note, r->prompt, r->system,
                p ? p->spec : NULL, p ? p->provider : NULL, p ? p->model : NULL,
                p ? reply_status_name(p->status) : NULL, p ? (w == p ? "1" : "0") : NULL, in, outt, cost,
                ttft, total, tps, p && p->finish_reason[0] ? p->finish_reason : NULL,
                p ? buf_str(&p->text) : NULL, as_text,
            };
            for (int i = 0; i < CSV_NCOLS; i++)
                rc |= csv_field(out, fields[i], i == CSV_NCOLS - 1);
        }
        free(as_text);
    }
    if (rc) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Reads one CSV record into fields (malloc'ed strings); returns the field
 * count, 0 at the end of input, -1 on malformed quoting. */
static int csv_record(const char *text, size_t len, size_t *pos, char **fields, int max, int *lineno)
{
    if (*pos >= len)
        return 0;
    int n = 0;
    Buf f = { 0 };
    bool quoted = false, was_quoted = false;
    for (;;) {
        char ch = *pos < len ? text[*pos] : '\0';
        bool end = *pos >= len;
        if (quoted) {
            if (end)
                goto bad;
            (*pos)++;
            if (ch == '"') {
                if (*pos < len && text[*pos] == '"') {
                    buf_append(&f, "\"", 1);
                    (*pos)++;
                } else {
                    quoted = false;
                }
            } else {
                if (ch == '\n')
                    (*lineno)++;
                buf_append(&f, &ch, 1);
            }
            continue;
        }
        if (end || ch == ',' || ch == '\n' || ch == '\r') {
            if (n < max)
                fields[n++] = was_quoted || f.len ? buf_steal(&f) : NULL;
            else
                buf_free(&f);
            was_quoted = false;
            if (!end)
                (*pos)++;
            if (ch == '\r' && *pos < len && text[*pos] == '\n')
                (*pos)++;
            if (end || ch != ',') {
                (*lineno)++;
                return n;
            }
            continue;
        }
        (*pos)++;
        if (ch == '"' && f.len == 0 && !was_quoted) {
            quoted = was_quoted = true;
            continue;
        }
        if (was_quoted)
            goto bad; /* text after a closing quote */
        buf_append(&f, &ch, 1);
    }
bad:
    buf_free(&f);
    for (int i = 0; i < n; i++)
        free(fields[i]);
    return -1;
}

static int col_index(char **header, int nh, const char *name)
{
    for (int i = 0; i < nh; i++)
        if (header[i] && strcmp(header[i], name) == 0)
            return i;
    return -1;
}

static int read_csv(const char *text, size_t len, FixtureSet *set, char *err, size_t errlen)
{
    size_t pos = 0;
    int lineno = 1, rc = 0;
    char *header[64] = { 0 }, *row[64];
    int nh = csv_record(text, len, &pos, header, 64, &lineno);
    int col[CSV_NCOLS];
    for (int i = 0; i < CSV_NCOLS; i++)
        col[i] = nh > 0 ? col_index(header, nh, csv_columns[i]) : -1;
    if (nh <= 0 || col[0] < 0 || col[8] < 0) {
        snprintf(err, errlen, "line 1: expected a header with at least case_id and prompt");
        rc = -1;
    }
    cJSON *o = NULL; /* the case being assembled */
    char *cur_id = NULL;
    while (rc == 0) {
        int start = lineno;
        int n = csv_record(text, len, &pos, row, 64, &lineno);
        if (n < 0) {
            snprintf(err, errlen, "line %d: unterminated quoted field", start);
            rc = -1;
            break;
        }
        const char *v[CSV_NCOLS];
        for (int i = 0; i < CSV_NCOLS; i++)
            v[i] = n > 0 && col[i] >= 0 && col[i] < n ? row[col[i]] : NULL;
        bool blank = n == 1 && !row[0];
        bool flush = o && (n == 0 || (!blank && (!v[0] || !cur_id || strcmp(v[0], cur_id) != 0)));
        if (flush) {
            char e2[400];
            if (versus_line(o, set, e2, sizeof e2) < 0) {
                snprintf(err, errlen, "case ending before line %d: %s", start, e2);
                rc = -1;
            }
            cJSON_Delete(o);
            o = NULL;
            free(cur_id);
            cur_id = NULL;
        }
        if (n == 0 || rc < 0 || blank) {
            for (int i = 0; i < n; i++)
                free(row[i]);
            if (n == 0 || rc < 0)
                break;
            continue;
        }
        if (!o) {
            o = cJSON_CreateObject();
            cur_id = strdup(v[0] ? v[0] : "");
            jsonio_add_num(o, "versus_fixture", FIXTURE_FORMAT_VERSION);
            jsonio_add_str(o, "id", v[0]);
            jsonio_add_str(o, "session", v[1]);
            if (v[2])
                jsonio_add_num(o, "round", strtod(v[2], NULL));
            jsonio_add_str(o, "category", v[3]);
            if (v[4])
                jsonio_add_str(o, "sensitivity", v[4]);
            if (v[5])
                jsonio_add_str(o, "outcome", v[5]);
            jsonio_add_str(o, "winner", v[6]);
            jsonio_add_str(o, "note", v[7]);
            jsonio_add_str(o, "prompt", v[8] ? v[8] : "");
            jsonio_add_str(o, "system", v[9]);
            cJSON_AddArrayToObject(o, "candidates");
            cJSON *as = v[23] ? cJSON_Parse(v[23]) : NULL;
            if (v[23] && !cJSON_IsArray(as)) {
                snprintf(err, errlen, "line %d: the assertions column is not a JSON array", start);
                rc = -1;
            }
            if (as)
                cJSON_AddItemToObject(o, "assertions", as);
        }
        if (rc == 0 && v[10]) {
            cJSON *cj = cJSON_CreateObject();
            jsonio_add_str(cj, "spec", v[10]);
            jsonio_add_str(cj, "provider", v[11]);
            jsonio_add_str(cj, "model", v[12]);
            jsonio_add_str(cj, "status", v[13]);
            jsonio_add_str(cj, "finish_reason", v[21]);
            jsonio_add_str(cj, "text", v[22] ? v[22] : "");
            cJSON *u = cJSON_AddObjectToObject(cj, "usage");
            jsonio_add_num(u, "input_tokens", v[15] ? strtod(v[15], NULL) : NAN);
            jsonio_add_num(u, "output_tokens", v[16] ? strtod(v[16], NULL) : NAN);
            cJSON *m = cJSON_AddObjectToObject(cj, "metrics");
            jsonio_add_num(m, "cost_usd", v[17] ? strtod(v[17], NULL) : NAN);
            jsonio_add_num(m, "ttft_ms", v[18] ? strtod(v[18], NULL) : NAN);
            jsonio_add_num(m, "total_ms", v[19] ? strtod(v[19], NULL) : NAN);
            jsonio_add_num(m, "output_tokens_per_s", v[20] ? strtod(v[20], NULL) : NAN);
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(o, "candidates"), cj);
        }
        for (int i = 0; i < n; i++)
            free(row[i]);
    }
    cJSON_Delete(o);
    free(cur_id);
    for (int i = 0; i < nh; i++)
        free(header[i]);
    return rc;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

int fixture_write(const FixtureSet *set, FixtureFormat f, Buf *out, char *err, size_t errlen)
{
    switch (f) {
    case FIXTURE_VERSUS: return write_versus(set, out, err, errlen);
    case FIXTURE_PROMPTFOO: return write_promptfoo(set, out, err, errlen);
    case FIXTURE_OPENAI_EVALS: return write_evals(set, out, err, errlen);
    case FIXTURE_CSV: return write_csv(set, out, err, errlen);
    }
    snprintf(err, errlen, "unknown format");
    return -1;
}

int fixture_read(const char *text, size_t len, FixtureFormat f, FixtureSet *set, char *err, size_t errlen)
{
    switch (f) {
    case FIXTURE_VERSUS: return read_json_lines(text, len, versus_line, set, err, errlen);
    case FIXTURE_PROMPTFOO: return read_promptfoo(text, len, set, err, errlen);
    case FIXTURE_OPENAI_EVALS: return read_json_lines(text, len, evals_line, set, err, errlen);
    case FIXTURE_CSV: return read_csv(text, len, set, err, errlen);
    }
    snprintf(err, errlen, "unknown format");
    return -1;
}

int fixture_load_file(const char *path, FixtureSet *set, char *err, size_t errlen)
{
    Buf text = { 0 };
    char e2[400];
    if (util_read_file(path, FIXTURE_MAX_FILE, &text, err, errlen) < 0)
        return -1;
    int rc = fixture_read(text.data, text.len, FIXTURE_VERSUS, set, e2, sizeof e2);
    buf_free(&text);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", path, e2);
    return rc;
}

int fixture_add_source(FixtureSet *set, const char *name, bool all, char *err, size_t errlen)
{
    char path[4096], e1[1024], e2[1024];
    if (session_resolve(NULL, name, path, sizeof path, e1, sizeof e1) < 0) {
        snprintf(err, errlen, "%s", e1);
        return -1;
    }
    Session *s = session_load(path, e1, sizeof e1);
    if (s) {
        int rc = fixture_add_session(set, s, all, e2, sizeof e2);
        session_free(s);
        if (rc < 0)
            snprintf(err, errlen, "%s: %s", path, e2);
        return rc;
    }
    size_t before = set->n;
    if (fixture_load_file(path, set, e2, sizeof e2) == 0)
        return 0;
    /* a file that is neither: say both reasons, drop any half-read cases */
    while (set->n > before)
        case_clear(&set->cases[--set->n]);
    snprintf(err, errlen, "%s is neither a session (%s) nor a fixture file (%s)", name, e1, e2);
    return -1;
}

int fixture_add_all_sessions(FixtureSet *set, bool all, Buf *warnings, char *err, size_t errlen)
{
    SessionInfo *info;
    size_t n;
    if (session_list(NULL, &info, &n, err, errlen) < 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!info[i].ok) {
            if (warnings)
                buf_printf(warnings, "skipping %s: %s\n", info[i].path, info[i].error);
            continue;
        }
        rc = fixture_add_source(set, info[i].path, all, err, errlen);
    }
    free(info);
    return rc;
}

int fixture_add_sources(FixtureSet *set, int n, char *const *names, bool all, Buf *warnings, char *err,
                        size_t errlen)
{
    if (n == 0)
        return fixture_add_all_sessions(set, all, warnings, err, errlen);
    for (int i = 0; i < n; i++)
        if (fixture_add_source(set, names[i], all, err, errlen) < 0)
            return -1;
    return 0;
}
