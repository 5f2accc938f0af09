/* test_jinja_templates.c — versus's Jinja renderer against Python's Jinja2:
 * every real chat template in tests/data/chat_templates/templates.json
 * rendered with every conversation in cases.json, and every language
 * feature in features.json, must equal expected.json (made by
 * tests/tools/chat_template_reference.py with Jinja2 under transformers'
 * settings) byte for byte, raise_exception messages included. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "engine/jinja.h"
#include "testenv.h"
#include "util/buf.h"
#include "util/file.h"

static cJSON *load_json(const char *name)
{
    const char *src = testenv_srcdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/chat_templates/%s", src, name);
    cJSON *j = testenv_json_file(path);
    cr_assert(j, "cannot read %s, or it is not JSON", path);
    return j;
}

static struct tm case_now(const cJSON *cases)
{
    const cJSON *n = cJSON_GetObjectItem(cases, "now");
    struct tm tm = { 0 };
    tm.tm_year = cJSON_GetObjectItem(n, "year")->valueint - 1900;
    tm.tm_mon = cJSON_GetObjectItem(n, "month")->valueint - 1;
    tm.tm_mday = cJSON_GetObjectItem(n, "day")->valueint;
    tm.tm_hour = cJSON_GetObjectItem(n, "hour")->valueint;
    tm.tm_min = cJSON_GetObjectItem(n, "minute")->valueint;
    tm.tm_sec = cJSON_GetObjectItem(n, "second")->valueint;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm); /* fills tm_wday / tm_yday */
    return tm;
}

/* Where two strings first differ, for the failure message. */
static size_t first_diff(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0;
    while (i < an && i < bn && a[i] == b[i])
        i++;
    return i;
}

static void set_vars(JinjaVars *v, const cJSON *vars)
{
    for (const cJSON *x = vars ? vars->child : NULL; x; x = x->next) {
        if (cJSON_IsBool(x))
            cr_assert_eq(jinja_vars_set_bool(v, x->string, cJSON_IsTrue(x)), 0);
        else if (cJSON_IsString(x))
            cr_assert_eq(jinja_vars_set_string(v, x->string, x->valuestring, true), 0);
        else
            cr_assert_eq(jinja_vars_set_json(v, x->string, x, true), 0);
    }
}

/* Renders and compares; returns 1 when it matched. */
static int check(const char *what, const JinjaTemplate *t, JinjaVars *v, const struct tm *now,
                 const cJSON *expect)
{
    JinjaOutput out;
    char err[512];
    int rc = jinja_render(t, v, NULL, now, &out, err, sizeof err);
    const cJSON *text = cJSON_GetObjectItem(expect, "text");
    const cJSON *raised = cJSON_GetObjectItem(expect, "raised");
    const cJSON *error = cJSON_GetObjectItem(expect, "error");
    int ok = 0;
    if (text) {
        size_t wn = strlen(text->valuestring);
        if (rc != 0) {
            cr_expect(0, "%s: failed (%s), Jinja2 rendered it", what, err);
        } else if (out.len != wn || memcmp(out.text, text->valuestring, wn) != 0) {
            size_t d = first_diff(out.text, out.len, text->valuestring, wn);
            cr_expect(0, "%s: differs at byte %zu:\n  versus: %.80s\n  jinja2: %.80s", what, d,
                      out.text + d, text->valuestring + (d < wn ? d : wn));
        } else {
            ok = 1;
        }
    } else if (raised) {
        cr_expect_eq(rc, JINJA_RAISED, "%s: want raise_exception(%s), got rc %d (%s)", what, raised->valuestring,
                     rc, rc ? err : "rendered");
        if (rc == JINJA_RAISED)
            cr_expect_str_eq(err, raised->valuestring, "%s", what);
        ok = rc == JINJA_RAISED && strcmp(err, raised->valuestring) == 0;
    } else if (error) {
        cr_expect_eq(rc, JINJA_ERR, "%s: Jinja2 failed (%s), versus gave rc %d", what, error->valuestring, rc);
        ok = rc == JINJA_ERR;
    }
    jinja_output_free(&out);
    return ok;
}

Test(jinja_templates, real_chat_templates_render_as_jinja2_does)
{
    cJSON *tj = load_json("templates.json"), *cases = load_json("cases.json"), *exp = load_json("expected.json");
    const cJSON *expected = cJSON_GetObjectItem(exp, "expected");
    struct tm now = case_now(cases);
    const char *src = testenv_srcdir();
    int total = 0, good = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(tj, "templates"))
    {
        const char *name = cJSON_GetObjectItem(t, "name")->valuestring;
        char path[4096];
        snprintf(path, sizeof path, "%s/tests/data/chat_templates/templates/%s", src,
                 cJSON_GetObjectItem(t, "file")->valuestring);
        size_t len = 0;
        char *text = testenv_slurp(path, &len);
        cr_assert(text, "cannot read %s", path);
        char err[256];
        JinjaTemplate *jt = jinja_parse(text, len, err, sizeof err);
        free(text);
        cr_expect(jt, "%s: %s", name, err);
        if (!jt)
            continue;
        const cJSON *c;
        cJSON_ArrayForEach(c, cJSON_GetObjectItem(cases, "cases"))
        {
            const char *cname = cJSON_GetObjectItem(c, "name")->valuestring;
            JinjaVars *v = jinja_vars_new();
            cr_assert(v);
            cr_assert_eq(jinja_vars_set_json(v, "messages", cJSON_GetObjectItem(c, "messages"), true), 0);
            const cJSON *tools = cJSON_GetObjectItem(c, "tools");
            if (tools)
                cr_assert_eq(jinja_vars_set_json(v, "tools", tools, true), 0);
            else
                cr_assert_eq(jinja_vars_set_none(v, "tools"), 0);
            cr_assert_eq(jinja_vars_set_none(v, "documents"), 0);
            cr_assert_eq(jinja_vars_set_bool(v, "add_generation_prompt",
                                             cJSON_IsTrue(cJSON_GetObjectItem(c, "add_generation_prompt"))),
                         0);
            cr_assert_eq(jinja_vars_set_string(v, "bos_token", cJSON_GetObjectItem(t, "bos")->valuestring, false), 0);
            cr_assert_eq(jinja_vars_set_string(v, "eos_token", cJSON_GetObjectItem(t, "eos")->valuestring, false), 0);
            set_vars(v, cJSON_GetObjectItem(c, "vars"));
            char what[256];
            snprintf(what, sizeof what, "%s / %s", name, cname);
            const cJSON *e = cJSON_GetObjectItem(cJSON_GetObjectItem(expected, name), cname);
            cr_assert(e, "%s: no expected output (rerun tests/tools/chat_template_reference.py)", what);
            good += check(what, jt, v, &now, e);
            total++;
            jinja_vars_free(v);
        }
        jinja_free(jt);
    }
    cr_log_info("%d of %d template renders equal Jinja2's", good, total);
    cr_expect_eq(good, total, "%d of %d template renders equal Jinja2's", good, total);
    cJSON_Delete(tj);
    cJSON_Delete(cases);
    cJSON_Delete(exp);
}

Test(jinja_templates, language_features_render_as_jinja2_does)
{
    cJSON *feat = load_json("features.json"), *exp = load_json("expected.json"), *cases = load_json("cases.json");
    struct tm now = case_now(cases);
    const cJSON *expected = cJSON_GetObjectItem(exp, "features");
    int total = 0, good = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(feat, "features"))
    {
        const char *name = cJSON_GetObjectItem(f, "name")->valuestring;
        const char *src = cJSON_GetObjectItem(f, "template")->valuestring;
        const cJSON *e = cJSON_GetObjectItem(expected, name);
        cr_assert(e, "%s: no expected output (rerun tests/tools/chat_template_reference.py)", name);
        char err[256];
        JinjaTemplate *jt = jinja_parse(src, strlen(src), err, sizeof err);
        total++;
        if (!jt) {
            cr_expect(cJSON_GetObjectItem(e, "error"), "%s: does not parse (%s), Jinja2 renders it", name, err);
            good += cJSON_GetObjectItem(e, "error") != NULL;
            continue;
        }
        JinjaVars *v = jinja_vars_new();
        set_vars(v, cJSON_GetObjectItem(f, "vars"));
        good += check(name, jt, v, &now, e);
        jinja_vars_free(v);
        jinja_free(jt);
    }
    cr_log_info("%d of %d features equal Jinja2's", good, total);
    cr_expect_eq(good, total, "%d of %d features equal Jinja2's", good, total);
    cJSON_Delete(feat);
    cJSON_Delete(exp);
    cJSON_Delete(cases);
}
