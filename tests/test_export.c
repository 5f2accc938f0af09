/* test_export.c — exports keep their meaning and keep restricted data in:
 * restricted rounds stay out of every file meant for another tool unless
 * asked for, and then carry the marking the tool understands (or the export
 * is refused); a promptfoo regex means in JavaScript what the POSIX pattern
 * means to versus (a table of patterns and strings, checked in C and, when
 * node is installed, in JavaScript); an OpenAI-evals tie has one ideal
 * string; CSV writes an empty list as []; `replay --strict` fails on drift. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/file.h"
#include "util/regexp.h"
#include "store/fixture.h"
#include "store/regex_js.h"
#include "store/yaml_lite.h"
#include "testenv.h"

static char tmpdir[256];

static void setup(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/versus-test-export-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void teardown(void)
{
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

/* ---- the regex table ---------------------------------------------------------------- */

static cJSON *load_table(void)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/tests/export/regex_posix_js.json", testenv_srcdir());
    Buf b = { 0 };
    cr_assert_eq(util_read_file(path, 1 << 20, &b, err, sizeof err), 0, "%s", err);
    cJSON *doc = cJSON_Parse(buf_str(&b));
    buf_free(&b);
    cr_assert_not_null(doc, "%s is not JSON", path);
    return doc;
}

/* What versus's own engine (the one assertions use) decides. */
static bool posix_matches(const char *pattern, const char *s)
{
    char err[300];
    Regexp *re = regexp_compile(pattern, 0, err, sizeof err);
    cr_assert_not_null(re, "%s: %s", pattern, err);
    int m = regexp_search(re, s, strlen(s));
    regexp_free(re);
    cr_assert_geq(m, 0);
    return m == 1;
}

Test(export, posix_regex_translates_to_the_javascript_in_the_table)
{
    cJSON *doc = load_table();
    const cJSON *c;
    int n = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "cases")) {
        const char *posix = cJSON_GetObjectItem(c, "posix")->valuestring;
        const cJSON *js = cJSON_GetObjectItem(c, "js"), *refused = cJSON_GetObjectItem(c, "refused");
        Buf out = { 0 };
        char why[256] = "";
        int rc = regex_posix_to_js(posix, &out, why, sizeof why);
        if (refused) {
            cr_assert_eq(rc, -1, "/%s/ must be refused, got /%s/", posix, buf_str(&out));
            cr_assert(strstr(why, refused->valuestring), "/%s/: reason '%s' lacks '%s'", posix, why,
                      refused->valuestring);
        } else {
            cr_assert_eq(rc, 0, "/%s/: %s", posix, why);
            cr_assert_str_eq(buf_str(&out), js->valuestring, "/%s/", posix);
            /* the strings in the table are what the POSIX pattern (versus) decides */
            const cJSON *s;
            cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "match"))
                cr_assert(posix_matches(posix, s->valuestring), "/%s/ must match \"%s\"", posix, s->valuestring);
            cJSON_ArrayForEach(s, cJSON_GetObjectItem(c, "nomatch"))
                cr_assert_not(posix_matches(posix, s->valuestring), "/%s/ must not match \"%s\"", posix,
                              s->valuestring);
        }
        buf_free(&out);
        n++;
    }
    cr_assert_geq(n, 30);
    cJSON_Delete(doc);
}

Test(export, translated_regexes_match_the_same_strings_in_javascript, .init = setup, .fini = teardown)
{
    if (system("node -e 0 >/dev/null 2>&1") != 0)
        cr_skip_test("node is not installed: the JavaScript side of the regex table was not run");
    /* node reads the table and applies each translated pattern the way
     * promptfoo does (new RegExp(value).test(output)) */
    char script[600], cmd[1600], path[1024];
    snprintf(path, sizeof path, "%s/tests/export/regex_posix_js.json", testenv_srcdir());
    snprintf(script, sizeof script, "%s/check.js", tmpdir);
    FILE *f = fopen(script, "w");
    cr_assert_not_null(f);
    fputs("const t = require(process.argv[2]); let bad = 0, n = 0;\n"
          "for (const c of t.cases) { if (!c.js) continue; const re = new RegExp(c.js);\n"
          "  for (const s of c.match) { n++; if (!re.test(s)) { bad++; console.log('no match', c.js, JSON.stringify(s)); } }\n"
          "  for (const s of c.nomatch) { n++; if (re.test(s)) { bad++; console.log('match', c.js, JSON.stringify(s)); } } }\n"
          "console.log(n + ' strings checked'); process.exit(bad ? 1 : 0);\n",
          f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "node '%s' '%s' > '%s/node.txt' 2>&1", script, path, tmpdir);
    int st = system(cmd);
    char out_path[400], err[300];
    snprintf(out_path, sizeof out_path, "%s/node.txt", tmpdir);
    Buf out = { 0 };
    util_read_file(out_path, 1 << 20, &out, err, sizeof err);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "JavaScript disagrees with POSIX:\n%s", buf_str(&out));
    cr_assert(strstr(buf_str(&out), "strings checked"), "%s", buf_str(&out));
    buf_free(&out);
}

/* ---- a session with a public and a restricted round ---------------------------------- */

static Reply *answered(const char *spec, const char *provider, const char *text)
{
    Reply *r = reply_new(spec, provider, strchr(spec, ':') + 1);
    reply_start(r, 0);
    StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
    ev.text = text;
    ev.len = strlen(text);
    reply_apply_event(r, &ev, 10);
    reply_finish(r, 20);
    r->metrics.cost_usd = 0.001;
    return r;
}

#define PATIENT "Jane Roe, born 1961-04-12"

/* Round 1: public, openai wins, regex assertion with a POSIX class.
 * Round 2: restricted (a patient's name and date of birth): openai was
 * refused (not sent), the local model answered and won.
 * Round 3: public tie between two different texts, no assertions. */
static FixtureSet *cases(bool restricted_without_local)
{
    char err[256];
    Session *s = session_new(tmpdir, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    Reply *a = answered("openai:gpt-4o", "openai", "Invoice 2024-118 is due"), *b = answered("local:smol.gguf", "local", "due soon");
    Reply *reps[2] = { a, b };
    Request rq = { .prompt = "When is invoice 118 due?", .params = params_default() };
    cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), 0);
    Reply *refused = reply_new("openai:gpt-4o", "openai", "gpt-4o");
    reply_not_sent(refused, "sensitivity", "refused: restricted");
    Reply *local;
    if (restricted_without_local) {
        local = reply_new("local:smol.gguf", "local", "smol.gguf");
        reply_not_sent(local, "model", "no such model file");
    } else {
        local = answered("local:smol.gguf", "local", "Summary for " PATIENT);
    }
    Reply *reps2[2] = { refused, local };
    Request rq2 = { .prompt = "Summarise the chart of " PATIENT, .params = params_default(),
                    .sensitivity = SENSITIVITY_RESTRICTED };
    cr_assert_eq(session_add_round(s, &rq2, reps2, 2, NULL, err, sizeof err), 1);
    Reply *t1 = answered("openai:gpt-4o", "openai", "billing"), *t2 = answered("local:smol.gguf", "local", "Billing.");
    Reply *reps3[2] = { t1, t2 };
    Request rq3 = { .prompt = "Which team?", .params = params_default() };
    cr_assert_eq(session_add_round(s, &rq3, reps3, 2, NULL, err, sizeof err), 2);
    SessionLabel w0 = { .outcome = SESSION_WIN, .winner = 0, .category = "billing" };
    /* a candidate that was not sent can not win: with no local answer the round is both bad */
    SessionLabel w1 = { .outcome = restricted_without_local ? SESSION_BOTH_BAD : SESSION_WIN,
                        .winner = restricted_without_local ? -1 : 1, .category = "clinical" };
    SessionLabel tie = { .outcome = SESSION_TIE, .category = "routing" };
    cr_assert_eq(session_label_round(s, 0, &w0, err, sizeof err), 0);
    cr_assert_eq(session_label_round(s, 1, &w1, err, sizeof err), 0);
    cr_assert_eq(session_label_round(s, 2, &tie, err, sizeof err), 0);
    static const char *const asserts[] = { "regex:[[:digit:]]{4}-[[:digit:]]+", "regex:caf\xc3\xa9+" };
    for (size_t i = 0; i < 2; i++) {
        Assertion as;
        cr_assert_eq(assertion_from_arg(asserts[i], &as, err, sizeof err), 0, "%s", err);
        cr_assert_eq(session_add_assertion(s, 0, &as, err, sizeof err), 0);
        assertion_free(&as);
    }
    FixtureSet *set = calloc(1, sizeof *set);
    cr_assert_eq(fixture_add_session(set, s, false, err, sizeof err), 0, "%s", err);
    cr_assert_eq(set->n, 3);
    for (Reply **r = (Reply *[]){ a, b, refused, local, t1, t2, NULL }; *r; r++)
        reply_free(*r);
    session_free(s);
    return set;
}

static void free_cases(FixtureSet *set)
{
    fixture_set_free(set);
    free(set);
}

Test(export, restricted_rounds_stay_out_of_third_party_files_by_default, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    static const FixtureFormat third[] = { FIXTURE_PROMPTFOO, FIXTURE_OPENAI_EVALS, FIXTURE_CSV };
    for (size_t i = 0; i < 3; i++) {
        Buf out = { 0 };
        FixtureExportReport rep = { 0 };
        char err[400];
        cr_assert_eq(fixture_export(set, third[i], NULL, &out, &rep, err, sizeof err), 0, "%s", err);
        cr_assert_null(strstr(buf_str(&out), "Jane Roe"), "%s carries the restricted prompt:\n%s",
                       fixture_format_name(third[i]), buf_str(&out));
        cr_assert_null(strstr(buf_str(&out), "1961"), "%s", fixture_format_name(third[i]));
        cr_assert_eq(rep.restricted_left_out, 1, "%s says how many were left out", fixture_format_name(third[i]));
        cr_assert_eq(rep.written, 2);
        fixture_export_report_free(&rep);
        buf_free(&out);
    }
    /* versus's own format keeps them */
    Buf out = { 0 };
    FixtureExportReport rep = { 0 };
    char err[400];
    cr_assert_eq(fixture_export(set, FIXTURE_VERSUS, NULL, &out, &rep, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(buf_str(&out), "Jane Roe"));
    cr_assert_eq(rep.restricted_left_out, 0);
    cr_assert_eq(rep.written, 3);
    fixture_export_report_free(&rep);
    buf_free(&out);
    free_cases(set);
}

Test(export, included_restricted_rounds_carry_each_tools_marking_or_are_refused, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    FixtureExportOptions opt = { .include_restricted = true };
    char err[400];
    /* promptfoo: the case may run only on the local model that answered it,
     * and a metadata key lets promptfoo filter restricted cases out */
    Buf out = { 0 };
    FixtureExportReport rep = { 0 };
    cr_assert_eq(fixture_export(set, FIXTURE_PROMPTFOO, &opt, &out, &rep, err, sizeof err), 0, "%s", err);
    cJSON *doc = yaml_lite_parse(buf_str(&out), out.len, err, sizeof err);
    cr_assert_not_null(doc, "%s\n%s", err, buf_str(&out));
    cr_assert_eq(cJSON_GetArraySize(doc), 3);
    const cJSON *restricted = cJSON_GetArrayItem(doc, 1), *public = cJSON_GetArrayItem(doc, 0);
    cr_assert(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(restricted, "vars"), "prompt")->valuestring, "Jane Roe"));
    const cJSON *prov = cJSON_GetObjectItem(restricted, "providers");
    cr_assert(cJSON_IsArray(prov) && cJSON_GetArraySize(prov) == 1, "providers limited:\n%s", buf_str(&out));
    cr_assert_str_eq(cJSON_GetArrayItem(prov, 0)->valuestring, "local:smol.gguf");
    const cJSON *meta = cJSON_GetObjectItem(restricted, "metadata");
    cr_assert_str_eq(cJSON_GetObjectItem(meta, "data_perimeter")->valuestring, "local-only");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(public, "metadata"), "data_perimeter")->valuestring, "any");
    cr_assert_null(cJSON_GetObjectItem(public, "providers"), "public cases run everywhere");
    cr_assert(strstr(buf_str(&out), "--filter-metadata data_perimeter=any"), "the header says how to filter");
    cr_assert_eq(rep.restricted_left_out, 0);
    cJSON_Delete(doc);
    fixture_export_report_free(&rep);
    buf_free(&out);
    /* OpenAI evals has no way to keep a sample away from a closed API */
    memset(&rep, 0, sizeof rep);
    cr_assert_eq(fixture_export(set, FIXTURE_OPENAI_EVALS, &opt, &out, &rep, err, sizeof err), -1);
    cr_assert(strstr(err, "restricted"), "%s", err);
    cr_assert_eq(out.len, 0, "nothing written");
    fixture_export_report_free(&rep);
    /* CSV: included, with the sensitivity column saying so */
    memset(&rep, 0, sizeof rep);
    cr_assert_eq(fixture_export(set, FIXTURE_CSV, &opt, &out, &rep, err, sizeof err), 0, "%s", err);
    cr_assert(strstr(buf_str(&out), ",restricted,"));
    fixture_export_report_free(&rep);
    buf_free(&out);
    free_cases(set);
    /* a restricted case with no local model that answered: promptfoo refuses */
    set = cases(true);
    memset(&rep, 0, sizeof rep);
    cr_assert_eq(fixture_export(set, FIXTURE_PROMPTFOO, &opt, &out, &rep, err, sizeof err), -1);
    cr_assert(strstr(err, "#2") && strstr(err, "local"), "%s", err);
    fixture_export_report_free(&rep);
    buf_free(&out);
    free_cases(set);
}

Test(export, promptfoo_regexes_are_translated_or_kept_aside_with_a_note, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    Buf out = { 0 };
    FixtureExportReport rep = { 0 };
    char err[400];
    cr_assert_eq(fixture_export(set, FIXTURE_PROMPTFOO, NULL, &out, &rep, err, sizeof err), 0, "%s", err);
    cJSON *doc = yaml_lite_parse(buf_str(&out), out.len, err, sizeof err);
    cr_assert_not_null(doc, "%s", err);
    const cJSON *c0 = cJSON_GetArrayItem(doc, 0);
    const cJSON *as = cJSON_GetObjectItem(c0, "assert");
    cr_assert_eq(cJSON_GetArraySize(as), 1, "%s", buf_str(&out));
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(as, 0), "value")->valuestring, "[0-9]{4}-[0-9]+");
    /* the one with no JavaScript equivalent goes to versus_assertions, said aloud */
    const cJSON *kept = cJSON_GetObjectItem(cJSON_GetObjectItem(c0, "metadata"), "versus_assertions");
    cr_assert_eq(cJSON_GetArraySize(kept), 1);
    cr_assert(strstr(buf_str(&rep.notes), "multi-byte"), "notes: %s", buf_str(&rep.notes));
    cJSON_Delete(doc);
    /* and reading the file back gives versus's POSIX patterns again */
    FixtureSet back = { 0 };
    cr_assert_eq(fixture_read(buf_str(&out), out.len, FIXTURE_PROMPTFOO, &back, err, sizeof err), 0, "%s", err);
    cr_assert_eq(back.cases[0].r.n_assertions, 2);
    cr_assert_str_eq(back.cases[0].r.assertions[0].value, "[[:digit:]]{4}-[[:digit:]]+");
    fixture_set_free(&back);
    fixture_export_report_free(&rep);
    buf_free(&out);
    free_cases(set);
}

Test(export, openai_evals_tie_has_one_ideal_string, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    Buf out = { 0 };
    char err[400];
    cr_assert_eq(fixture_write(set, FIXTURE_OPENAI_EVALS, &out, err, sizeof err), 0, "%s", err);
    const char *tie = strstr(buf_str(&out), "Which team?");
    cr_assert_not_null(tie);
    const char *line = tie;
    while (line > buf_str(&out) && line[-1] != '\n')
        line--;
    const char *end = strchr(line, '\n');
    cJSON *o = cJSON_ParseWithLength(line, (size_t)(end - line));
    cr_assert_not_null(o);
    const cJSON *ideal = cJSON_GetObjectItem(o, "ideal");
    cr_assert(cJSON_IsString(ideal), "ModelBasedClassify prints a list as a Python list: the ideal is one string");
    cr_assert_str_eq(ideal->valuestring, "billing", "the first tied answer");
    const cJSON *others = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "tied_answers");
    cr_assert_eq(cJSON_GetArraySize(others), 2, "every tied answer is kept in the metadata");
    cJSON_Delete(o);
    /* and it reads back as a tie */
    FixtureSet back = { 0 };
    cr_assert_eq(fixture_read(buf_str(&out), out.len, FIXTURE_OPENAI_EVALS, &back, err, sizeof err), 0, "%s", err);
    cr_assert_eq(back.n, 2);
    cr_assert_eq(back.cases[1].r.outcome, SESSION_TIE);
    cr_assert_eq(back.cases[1].r.n_replies, 2);
    cr_assert_str_eq(buf_str(&back.cases[1].r.replies[1]->text), "Billing.");
    fixture_set_free(&back);
    buf_free(&out);
    free_cases(set);
}

Test(export, csv_writes_an_empty_assertion_list_as_brackets, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    Buf out = { 0 };
    char err[400];
    cr_assert_eq(fixture_write(set, FIXTURE_CSV, &out, err, sizeof err), 0, "%s", err);
    /* the tie round has no assertions: its assertions cell is [] */
    const char *row = strstr(buf_str(&out), "Which team?");
    cr_assert_not_null(row);
    const char *eol = strstr(row, "\r\n");
    cr_assert(eol && eol - row > 4 && strncmp(eol - 4, ",[],", 4) == 0, "row: %.*s", (int)(eol - row), row);
    /* and the header names how each cost was reached */
    cr_assert(strstr(buf_str(&out), ",assertions,cost_basis\r\n"), "%.300s", buf_str(&out));
    buf_free(&out);
    free_cases(set);
}

/* ---- the command line --------------------------------------------------------------- */

static int run_versus(const char *args, Buf *output)
{
    const char *bd = getenv("VERSUS_BUILDDIR");
    char bin[1024], cmd[4096], path[400], err[300];
    char here[512];
    snprintf(bin, sizeof bin, "%s/versus", bd ? bd : getcwd(here, sizeof here) ? here : ".");
    if (access(bin, X_OK) != 0)
        cr_skip_test("the versus binary is not built");
    snprintf(cmd, sizeof cmd, "cd '%s' && XDG_DATA_HOME='%s/data' '%s' %s >'%s/out.txt' 2>&1", tmpdir, tmpdir, bin,
             args, tmpdir);
    int st = system(cmd);
    snprintf(path, sizeof path, "%s/out.txt", tmpdir);
    util_read_file(path, 1 << 20, output, err, sizeof err);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void save_cases(const FixtureSet *set, const char *name)
{
    Buf out = { 0 };
    char err[300], path[400];
    cr_assert_eq(fixture_write(set, FIXTURE_VERSUS, &out, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    fwrite(out.data, 1, out.len, f);
    fclose(f);
    buf_free(&out);
}

Test(export, versus_export_says_how_many_restricted_rounds_it_left_out, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    save_cases(set, "cases.jsonl");
    Buf o = { 0 };
    cr_assert_eq(run_versus("export cases.jsonl --format promptfoo -o pf.yaml", &o), 0, "%s", buf_str(&o));
    cr_assert(strstr(buf_str(&o), "1 restricted round left out"), "%s", buf_str(&o));
    cr_assert(strstr(buf_str(&o), "--include-restricted"), "%s", buf_str(&o));
    buf_reset(&o);
    cr_assert_eq(run_versus("export cases.jsonl --format openai-evals --include-restricted -o e.jsonl", &o), 2,
                 "%s", buf_str(&o));
    cr_assert(strstr(buf_str(&o), "restricted"), "%s", buf_str(&o));
    char path[400];
    snprintf(path, sizeof path, "%s/e.jsonl", tmpdir);
    cr_assert_neq(access(path, F_OK), 0, "a refused export writes no file");
    buf_reset(&o);
    cr_assert_eq(run_versus("export cases.jsonl --format promptfoo --include-restricted -o pf.yaml", &o), 0, "%s",
                 buf_str(&o));
    cr_assert(strstr(buf_str(&o), "1 restricted round included"), "%s", buf_str(&o));
    buf_free(&o);
    free_cases(set);
}

/* tryout1 #10: the "left out" message suggests only what works for that
 * format (openai-evals refuses --include-restricted; csv marks rows in its
 * sensitivity column, not "local-only"), in English ("an", plurals). */
Test(export, the_left_out_message_suggests_only_what_works_for_each_format, .init = setup, .fini = teardown)
{
    FixtureSet *set = cases(false);
    save_cases(set, "cases.jsonl");
    Buf o = { 0 };
    cr_assert_eq(run_versus("export cases.jsonl --format openai-evals -o e.jsonl", &o), 0, "%s", buf_str(&o));
    const char *m = buf_str(&o);
    cr_assert(strstr(m, "1 restricted round left out of the openai-evals file"), "%s", m);
    cr_assert_null(strstr(m, "--include-restricted"), "openai-evals refuses it: %s", m);
    cr_assert_null(strstr(m, "a openai-evals"), "%s", m);
    cr_assert(strstr(m, "--format versus"), "says what does keep it: %s", m);
    buf_reset(&o);
    cr_assert_eq(run_versus("export cases.jsonl --format csv -o c.csv", &o), 0, "%s", buf_str(&o));
    m = buf_str(&o);
    cr_assert(strstr(m, "--include-restricted keeps it, marked restricted in the sensitivity column"), "%s", m);
    cr_assert_null(strstr(m, "local-only"), "csv has no local-only marking: %s", m);
    buf_reset(&o);
    cr_assert_eq(run_versus("export cases.jsonl --format csv --include-restricted -o c.csv", &o), 0, "%s",
                 buf_str(&o));
    cr_assert(strstr(buf_str(&o), "1 restricted round included, marked restricted in the sensitivity column"), "%s",
              buf_str(&o));
    buf_reset(&o);
    cr_assert_eq(run_versus("export cases.jsonl --format promptfoo -o pf.yaml", &o), 0, "%s", buf_str(&o));
    cr_assert(strstr(buf_str(&o), "--include-restricted keeps it, marked local-only"), "%s", buf_str(&o));
    buf_reset(&o);
    /* two restricted rounds: plurals */
    cr_assert_eq(run_versus("export cases.jsonl cases.jsonl --format promptfoo -o pf.yaml", &o), 0, "%s",
                 buf_str(&o));
    cr_assert(strstr(buf_str(&o), "2 restricted rounds left out of the promptfoo file"), "%s", buf_str(&o));
    cr_assert(strstr(buf_str(&o), "keeps them"), "%s", buf_str(&o));
    buf_free(&o);
    free_cases(set);
}

Test(export, replay_strict_fails_on_any_drift_from_the_recording, .init = setup, .fini = teardown)
{
    /* an OpenAI reply recorded as SSE, whose stored text was then edited by hand */
    static const char sse[] = "data: {\"choices\":[{\"delta\":{\"content\":\"Hello there!\"}}]}\n\n"
                              "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                              "data: [DONE]\n\n";
    Reply *r = reply_new("openai:gpt-4o-mini", "openai", "gpt-4o-mini");
    r->recording.enabled = true;
    reply_start(r, 0);
    reply_record(r, sse, sizeof sse - 1, 30);
    StreamEvent ev = stream_event_init(STREAM_EVENT_DELTA);
    ev.text = "Hello there, edited!";
    ev.len = strlen(ev.text);
    reply_apply_event(r, &ev, 30);
    r->saw_done = true;
    reply_finish(r, 40);
    r->recording.http_status = 200;
    char err[300];
    Session *s = session_new(tmpdir, err, sizeof err);
    /* a second candidate versus did not send: nothing to replay, nothing failed */
    Reply *unsent = reply_new("anthropic:claude", "anthropic", "claude");
    reply_not_sent(unsent, "missing_key", "ANTHROPIC_API_KEY is not set");
    Reply *reps[2] = { r, unsent };
    Request rq = { .prompt = "hi", .params = params_default() };
    cr_assert_eq(session_add_round(s, &rq, reps, 2, NULL, err, sizeof err), 0);
    SessionLabel w = { .outcome = SESSION_WIN, .winner = 0 };
    cr_assert_eq(session_label_round(s, 0, &w, err, sizeof err), 0);
    FixtureSet set = { 0 };
    cr_assert_eq(fixture_add_session(&set, s, false, err, sizeof err), 0);
    save_cases(&set, "edited.jsonl");
    Buf o = { 0 };
    cr_assert_eq(run_versus("replay --offline edited.jsonl", &o), 0, "drift alone passes by default:\n%s",
                 buf_str(&o));
    cr_assert(strstr(buf_str(&o), "text changed"), "%s", buf_str(&o));
    buf_reset(&o);
    cr_assert_eq(run_versus("replay --offline --strict edited.jsonl", &o), 1, "strict fails:\n%s", buf_str(&o));
    cr_assert(strstr(buf_str(&o), "FAIL"), "%s", buf_str(&o));
    buf_free(&o);
    fixture_set_free(&set);
    session_free(s);
    reply_free(r);
    reply_free(unsent);
}
