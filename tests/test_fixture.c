/* test_fixture.c — export formats: every format round-trips what it carries
 * (session save → load → export → import), versus lines satisfy the shipped
 * JSON Schema, readers refuse hostile input, assertions check replies. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/fixture.h"
#include "store/jsonio.h"
#include "store/schema_lite.h"
#include "store/yaml_lite.h"

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-test-fixture-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

static Reply *reply_with(const char *spec, const char *provider, const char *model, const char *text, double cost)
{
    Reply *r = reply_new(spec, provider, model);
    r->recording.enabled = true;
    reply_start(r, 0);
    reply_record(r, "data: x\n\n", 9, 40);
    StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
    ev.text = text;
    ev.len = strlen(text);
    reply_apply_event(r, &ev, 50);
    Usage u = usage_unknown();
    u.input_tokens = 20;
    u.output_tokens = 9;
    StreamEvent ue = stream_event_init(STREAM_EVENT_USAGE);
    ue.usage = u;
    reply_apply_event(r, &ue, 60);
    reply_finish(r, 250);
    r->metrics.cost_usd = cost;
    return r;
}

/* A saved and reloaded session with three labelled rounds (win, tie,
 * both_bad) and one unlabelled, with awkward text (quotes, commas, newlines,
 * colons, unicode). */
static Session *saved_session(void)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *a = reply_with("openai:gpt-4o-mini", "openai", "gpt-4o-mini", "He said \"yes\", then: no.\nNew line — ok", 0.0004);
    Reply *b = reply_with("local:smol.gguf", "local", "smol.gguf", "{\"name\": \"x\"}", 0);
    Reply *reps[2] = { a, b };
    Request rq = { .prompt = "Quote, then \"explain\":\n- item # not a comment", .system = "sys: prompt",
                   .params = params_default(), .sensitivity = SENSITIVITY_RESTRICTED };
    rq.params.seed = 7;
    rq.params.seed_set = true;
    for (int i = 0; i < 4; i++)
        cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), i);
    SessionLabel w = { .outcome = SESSION_WIN, .winner = 1, .note = "json, valid", .category = "code" };
    SessionLabel t = { .outcome = SESSION_TIE, .category = "chat" };
    SessionLabel bb = { .outcome = SESSION_BOTH_BAD, .note = "both wrong" };
    cr_assert_eq(session_label_round(s, 0, &w, err, sizeof err), 0);
    cr_assert_eq(session_label_round(s, 1, &t, err, sizeof err), 0);
    cr_assert_eq(session_label_round(s, 3, &bb, err, sizeof err), 0);
    static const char *const args[] = { "contains:name", "not-contains:error", "regex:^\\{.*\\}$",
                                        "is-json:{\"type\":\"object\",\"required\":[\"name\"]}",
                                        "max-cost:0.01", "max-total-ms:5000", "max-output-tokens:100",
                                        "max-ttft-ms:900" };
    for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
        Assertion as;
        cr_assert_eq(assertion_from_arg(args[i], &as, err, sizeof err), 0, "%s: %s", args[i], err);
        cr_assert_eq(session_add_assertion(s, 0, &as, err, sizeof err), 0);
        assertion_free(&as);
    }
    cr_assert_eq(session_save(s, err, sizeof err), 0, "%s", err);
    Session *l = session_load(s->path, err, sizeof err);
    cr_assert_not_null(l, "%s", err);
    session_free(s);
    reply_free(a);
    reply_free(b);
    return l;
}

static void export_import(const Session *s, FixtureFormat f, FixtureSet *back)
{
    char err[400];
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0, "%s", err);
    cr_assert_eq(set.n, 3, "only labelled rounds become cases");
    Buf out = { 0 };
    cr_assert_eq(fixture_write(&set, f, &out, err, sizeof err), 0, "%s", err);
    cr_assert_eq(fixture_read(buf_str(&out), out.len, f, back, err, sizeof err), 0, "%s: %s\n%s",
                 fixture_format_name(f), err, buf_str(&out));
    buf_free(&out);
    fixture_set_free(&set);
}

static void assert_common(const FixtureCase *c, const Session *s, size_t round)
{
    const SessionRound *r = &s->rounds[round];
    char id[300];
    snprintf(id, sizeof id, "%s#%zu", s->id, round + 1);
    cr_assert_str_eq(c->id, id);
    cr_assert_str_eq(c->r.prompt, r->prompt);
    cr_assert_str_eq(c->r.system, r->system);
    cr_assert_eq(c->r.outcome, r->outcome);
    cr_assert_eq(c->r.sensitivity, SENSITIVITY_RESTRICTED);
    if (r->category)
        cr_assert_str_eq(c->r.category, r->category);
    else
        cr_assert_null(c->r.category);
}

Test(fixture, versus_format_round_trips_everything, .init = setup, .fini = teardown)
{
    Session *s = saved_session();
    FixtureSet back = { 0 };
    export_import(s, FIXTURE_VERSUS, &back);
    cr_assert_eq(back.n, 3);
    size_t rounds[3] = { 0, 1, 3 };
    for (size_t i = 0; i < 3; i++) {
        const FixtureCase *c = &back.cases[i];
        const SessionRound *r = &s->rounds[rounds[i]];
        assert_common(c, s, rounds[i]);
        cr_assert_str_eq(c->session, s->id);
        cr_assert_eq(c->round, (long)rounds[i] + 1);
        cr_assert_eq(c->r.params.seed, 7);
        cr_assert_eq(c->r.n_replies, 2);
        for (size_t k = 0; k < 2; k++) {
            const Reply *x = c->r.replies[k], *y = r->replies[k];
            cr_assert_str_eq(x->spec, y->spec);
            cr_assert_str_eq(buf_str(&x->text), buf_str(&y->text));
            cr_assert_eq(x->usage.output_tokens, y->usage.output_tokens);
            cr_assert_float_eq(x->metrics.cost_usd, y->metrics.cost_usd, 1e-15);
            cr_assert_float_eq(x->metrics.total_ms, y->metrics.total_ms, 1e-9);
            cr_assert_eq(x->recording.bytes.len, 9);
            cr_assert_eq(x->recording.n_chunks, 1);
        }
    }
    cr_assert_eq(back.cases[0].r.winner, 1);
    cr_assert_str_eq(fixture_winner(&back.cases[0])->spec, "local:smol.gguf");
    cr_assert_str_eq(back.cases[0].r.note, "json, valid");
    cr_assert_eq(back.cases[0].r.n_assertions, 8);
    cr_assert_eq(back.cases[0].r.assertions[3].kind, ASSERT_IS_JSON);
    cr_assert_str_eq(back.cases[0].r.assertions[3].value, "{\"type\":\"object\",\"required\":[\"name\"]}");
    cr_assert_null(fixture_winner(&back.cases[1]));
    fixture_set_free(&back);
    session_free(s);
}

Test(fixture, versus_lines_satisfy_the_shipped_json_schema, .init = setup, .fini = teardown)
{
    const char *src = getenv("VERSUS_SRCDIR");
    char path[1024], err[400];
    snprintf(path, sizeof path, "%s/data/versus-fixture.schema.json", src ? src : VERSUS_SRCDIR);
    size_t len;
    char *text = jsonio_read_file(path, 1 << 20, &len, err, sizeof err);
    cr_assert_not_null(text, "%s", err);
    cJSON *schema = jsonio_parse(text, len, err, sizeof err);
    free(text);
    cr_assert_not_null(schema, "%s", err);
    Session *s = saved_session();
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, true, err, sizeof err), 0);
    for (size_t i = 0; i < set.n; i++) {
        cJSON *line = fixture_case_to_json(&set.cases[i]);
        char why[300];
        cr_assert_eq(schema_lite_validate(schema, line, why, sizeof why), 1, "case %zu: %s", i, why);
        /* and the schema does catch a broken line */
        cJSON_ReplaceItemInObject(line, "outcome", cJSON_CreateString("winner"));
        cr_assert_eq(schema_lite_validate(schema, line, why, sizeof why), 0);
        cJSON_Delete(line);
    }
    fixture_set_free(&set);
    session_free(s);
    cJSON_Delete(schema);
}

Test(fixture, promptfoo_yaml_round_trips_prompt_label_and_assertions, .init = setup, .fini = teardown)
{
    Session *s = saved_session();
    FixtureSet back = { 0 };
    export_import(s, FIXTURE_PROMPTFOO, &back);
    cr_assert_eq(back.n, 3);
    size_t rounds[3] = { 0, 1, 3 };
    for (size_t i = 0; i < 3; i++)
        assert_common(&back.cases[i], s, rounds[i]);
    const FixtureCase *c = &back.cases[0];
    cr_assert_eq(c->r.n_replies, 2, "candidates are named");
    cr_assert_str_eq(fixture_winner(c)->spec, "local:smol.gguf");
    cr_assert_str_eq(c->r.note, "json, valid");
    cr_assert_eq(c->r.n_assertions, 8, "native and versus-only assertions both come back");
    int seen[ASSERT_KIND_COUNT] = { 0 };
    for (size_t i = 0; i < c->r.n_assertions; i++)
        seen[c->r.assertions[i].kind]++;
    for (int k = 0; k < ASSERT_KIND_COUNT; k++)
        cr_assert_eq(seen[k], k == ASSERT_EQUALS ? 0 : 1, "assertion %s", assertion_kind_name((AssertKind)k));
    fixture_set_free(&back);
    session_free(s);
}

Test(fixture, promptfoo_output_is_yaml_that_python_reads, .init = setup, .fini = teardown)
{
    if (system("python3 -c 'import yaml' 2>/dev/null") != 0)
        cr_skip_test("python3 with PyYAML not installed");
    Session *s = saved_session();
    char err[400], path[400], cmd[1200];
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0);
    Buf out = { 0 };
    cr_assert_eq(fixture_write(&set, FIXTURE_PROMPTFOO, &out, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/cases.yaml", tmpdir);
    FILE *f = fopen(path, "w");
    fwrite(out.data, 1, out.len, f);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import yaml,sys; d=yaml.safe_load(open(sys.argv[1])); "
             "assert len(d)==3 and d[0][\"vars\"][\"prompt\"].startswith(\"Quote, then\") "
             "and d[0][\"assert\"][0][\"type\"]==\"contains\" and d[0][\"metadata\"][\"winner\"]==\"local:smol.gguf\"' '%s'",
             path);
    cr_assert_eq(system(cmd), 0, "PyYAML disagrees with the YAML:\n%s", buf_str(&out));
    buf_free(&out);
    fixture_set_free(&set);
    session_free(s);
}

Test(fixture, openai_evals_round_trips_prompt_and_ideal, .init = setup, .fini = teardown)
{
    Session *s = saved_session();
    FixtureSet back = { 0 };
    char err[400];
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0);
    Buf out = { 0 };
    cr_assert_eq(fixture_write(&set, FIXTURE_OPENAI_EVALS, &out, err, sizeof err), 0);
    cr_assert_eq(fixture_read(buf_str(&out), out.len, FIXTURE_OPENAI_EVALS, &back, err, sizeof err), 0, "%s", err);
    cr_assert_eq(back.n, 2, "both-bad rounds have no ideal answer and are left out");
    assert_common(&back.cases[0], s, 0);
    assert_common(&back.cases[1], s, 1);
    const Reply *w = fixture_winner(&back.cases[0]);
    cr_assert_str_eq(w->spec, "local:smol.gguf");
    cr_assert_str_eq(buf_str(&w->text), "{\"name\": \"x\"}");
    cr_assert_eq(back.cases[1].r.n_replies, 2);
    cr_assert_str_eq(buf_str(&back.cases[1].r.replies[0]->text), buf_str(&s->rounds[1].replies[0]->text));
    cr_assert(strstr(buf_str(&out), "\"input\":[{\"role\":\"system\""));
    buf_free(&out);
    fixture_set_free(&set);
    fixture_set_free(&back);
    session_free(s);
}

Test(fixture, csv_round_trips_rows_per_candidate, .init = setup, .fini = teardown)
{
    Session *s = saved_session();
    FixtureSet back = { 0 };
    export_import(s, FIXTURE_CSV, &back);
    cr_assert_eq(back.n, 3);
    size_t rounds[3] = { 0, 1, 3 };
    for (size_t i = 0; i < 3; i++) {
        const FixtureCase *c = &back.cases[i];
        assert_common(c, s, rounds[i]);
        cr_assert_eq(c->r.n_replies, 2);
        for (size_t k = 0; k < 2; k++) {
            const Reply *x = c->r.replies[k], *y = s->rounds[rounds[i]].replies[k];
            cr_assert_str_eq(x->spec, y->spec);
            cr_assert_str_eq(buf_str(&x->text), buf_str(&y->text));
            cr_assert_eq(x->usage.input_tokens, 20);
            cr_assert_float_eq(x->metrics.cost_usd, y->metrics.cost_usd, 0);
            cr_assert_float_eq(x->metrics.ttft_ms, 50, 1e-9);
        }
    }
    cr_assert_eq(back.cases[0].r.winner, 1);
    cr_assert_eq(back.cases[0].r.n_assertions, 8);
    fixture_set_free(&back);
    session_free(s);
}

Test(fixture, readers_refuse_hostile_input_with_line_numbers)
{
    static const struct { FixtureFormat f; const char *text; const char *want; } cases[] = {
        { FIXTURE_VERSUS, "\n{\"versus_fixture\":1,\"prompt\":\"p\",\"outcome\":\"tie\",\"candidates\":[]}\n", "" },
        { FIXTURE_VERSUS, "\n{\"versus_fixture\":1,\"prompt\":\"p\",\"outcome\":\"win\",\"candidates\":[]}\n", "line 2: label names a winner" },
        { FIXTURE_VERSUS, "{\"prompt\":\"p\"}", "versus_fixture" },
        { FIXTURE_VERSUS, "{\"versus_fixture\":1,\"prompt\":\"p\",\"candidates\":{}}", "array" },
        { FIXTURE_VERSUS, "{\"versus_fixture\":1,\"prompt\":\"p\"}\n{oops", "line 2" },
        { FIXTURE_VERSUS, "{\"versus_fixture\":1,\"prompt\":\"p\",\"assertions\":[{\"type\":\"max-cost\"}]}", "number" },
        { FIXTURE_PROMPTFOO, "- vars:\n    prompt: 'single'\n", "not supported" },
        { FIXTURE_PROMPTFOO, "- vars:\n    prompt: \"unterminated\n", "line 2" },
        { FIXTURE_PROMPTFOO, "key: value\n", "list" },
        { FIXTURE_PROMPTFOO, "- description: x\n", "vars.prompt" },
        { FIXTURE_OPENAI_EVALS, "{\"input\":[],\"ideal\":\"x\"}", "user message" },
        { FIXTURE_OPENAI_EVALS, "{\"input\":\"hi\"}", "ideal" },
        { FIXTURE_CSV, "a,b\r\n1,2\r\n", "header" },
        { FIXTURE_CSV, "case_id,prompt\r\nx,\"open\r\n", "unterminated" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        FixtureSet set = { 0 };
        char err[400] = "";
        int rc = fixture_read(cases[i].text, strlen(cases[i].text), cases[i].f, &set, err, sizeof err);
        if (i == 0) { /* the first one is valid: blank lines are skipped */
            cr_assert_eq(rc, 0, "%s", err);
            cr_assert_eq(set.n, 1);
        } else {
            cr_assert_eq(rc, -1, "input %zu accepted", i);
            cr_assert(strstr(err, cases[i].want), "input %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
        }
        fixture_set_free(&set);
    }
}

Test(yaml_lite, nested_blocks_scalars_and_comments)
{
    const char *y = "# c\n- a: 1\n  b:\n    - x\n    - \"y: z\"\n  c: {\"k\": [1, 2]}\n-\n  d: true\n- plain words\n";
    char err[200];
    cJSON *doc = yaml_lite_parse(y, strlen(y), err, sizeof err);
    cr_assert_not_null(doc, "%s", err);
    char *s = cJSON_PrintUnformatted(doc);
    cr_assert_str_eq(s, "[{\"a\":1,\"b\":[\"x\",\"y: z\"],\"c\":{\"k\":[1,2]}},{\"d\":true},\"plain words\"]");
    free(s);
    cJSON_Delete(doc);
    cr_assert_null(yaml_lite_parse("a: 1\na: 2\n", 10, err, sizeof err));
    cr_assert(strstr(err, "duplicate"));
    cr_assert_null(yaml_lite_parse("a:\n\tb: 1\n", 9, err, sizeof err));
}

/* ---- assertions ------------------------------------------------------------------------ */

static Reply *finished(const char *text, long out_tokens, double cost, double ttft, double total)
{
    Reply *r = reply_new("openai:m", "openai", "m");
    buf_puts(&r->text, text);
    r->usage.output_tokens = out_tokens;
    r->metrics.cost_usd = cost;
    r->metrics.ttft_ms = ttft;
    r->metrics.total_ms = total;
    r->status = REPLY_OK;
    return r;
}

static int check(const char *arg, const Reply *r)
{
    Assertion a;
    char err[200], why[200];
    cr_assert_eq(assertion_from_arg(arg, &a, err, sizeof err), 0, "%s: %s", arg, err);
    int rc = assertion_check(&a, r, why, sizeof why);
    if (rc == 0)
        cr_assert(why[0], "%s: a failure says why", arg);
    assertion_free(&a);
    return rc;
}

Test(assertions, every_kind_passes_and_fails)
{
    Reply *r = finished("{\"name\": \"Ada\", \"tags\": [\"x\", 2]}", 12, 0.003, 420, 1800);
    cr_assert_eq(check("contains:Ada", r), 1);
    cr_assert_eq(check("contains:Bob", r), 0);
    cr_assert_eq(check("not-contains:Bob", r), 1);
    cr_assert_eq(check("not-contains:Ada", r), 0);
    cr_assert_eq(check("regex:\"name\": \"[A-Z][a-z]+\"", r), 1);
    cr_assert_eq(check("regex:^Ada", r), 0);
    cr_assert_eq(check("equals:{\"name\": \"Ada\", \"tags\": [\"x\", 2]}", r), 1);
    cr_assert_eq(check("equals:Ada", r), 0);
    cr_assert_eq(check("is-json", r), 1);
    cr_assert_eq(check("is-json:{\"type\":\"object\",\"required\":[\"name\"],\"properties\":{\"name\":{\"enum\":[\"Ada\"]}}}", r), 1);
    cr_assert_eq(check("is-json:{\"properties\":{\"tags\":{\"items\":{\"type\":\"string\"}}}}", r), 0);
    cr_assert_eq(check("is-json:{\"required\":[\"age\"]}", r), 0);
    cr_assert_eq(check("max-output-tokens:12", r), 1);
    cr_assert_eq(check("max-output-tokens:11", r), 0);
    cr_assert_eq(check("max-cost:0.003", r), 1);
    cr_assert_eq(check("max-cost:0.001", r), 0);
    cr_assert_eq(check("max-ttft-ms:500", r), 1);
    cr_assert_eq(check("max-ttft-ms:400", r), 0);
    cr_assert_eq(check("max-total-ms:2000", r), 1);
    cr_assert_eq(check("max-total-ms:1000", r), 0);
    reply_free(r);
    Reply *plain = finished("not json", 3, NAN, -1, -1);
    cr_assert_eq(check("is-json", plain), 0);
    cr_assert_eq(check("max-cost:1", plain), -1, "unknown cost can not pass");
    cr_assert_eq(check("max-ttft-ms:1", plain), -1);
    reply_free(plain);
}

Test(assertions, bad_arguments_are_refused)
{
    Assertion a;
    char err[200];
    cr_assert_eq(assertion_from_arg("regex:(", &a, err, sizeof err), -1);
    cr_assert(strstr(err, "compile"));
    cr_assert_eq(assertion_from_arg("max-cost:cheap", &a, err, sizeof err), -1);
    cr_assert_eq(assertion_from_arg("max-cost:-1", &a, err, sizeof err), -1);
    cr_assert_eq(assertion_from_arg("contains", &a, err, sizeof err), -1);
    cr_assert_eq(assertion_from_arg("is-json:[1]", &a, err, sizeof err), -1);
    cr_assert_eq(assertion_from_arg("smells-nice:yes", &a, err, sizeof err), -1);
    cJSON *o = cJSON_Parse("{\"type\":\"contains\",\"value\":\"x\",\"model\":\"openai:m\"}");
    cr_assert_eq(assertion_from_json(o, &a, err, sizeof err), 0);
    Reply *r = finished("x", 1, 0, 1, 1);
    cr_assert(assertion_applies_to(&a, r));
    free(r->spec);
    r->spec = strdup("local:other");
    free(r->model);
    r->model = strdup("other");
    cr_assert_not(assertion_applies_to(&a, r));
    reply_free(r);
    assertion_free(&a);
    cJSON_Delete(o);
}
