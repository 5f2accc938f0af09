/* test_jinja.c — the Jinja subset's guarantees that Jinja2 itself does not
 * define: which output bytes came from input strings, and that hostile
 * templates (endless loops, runaway recursion, exploding strings, absurd
 * nesting, garbage bytes) fail with a message instead of hanging or crashing. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/jinja.h"

static int render(const char *src, JinjaVars *v, const JinjaLimits *lim, JinjaOutput *out, char *err, size_t errlen)
{
    JinjaTemplate *t = jinja_parse(src, strlen(src), err, errlen);
    if (!t)
        return -100;
    int rc = jinja_render(t, v, lim, NULL, out, err, errlen);
    jinja_free(t);
    return rc;
}

/* "t" for template bytes, "i" for input bytes, one letter per output byte. */
static void mask_string(const JinjaOutput *o, char *buf, size_t n)
{
    size_t k = 0;
    for (; k < o->len && k + 1 < n; k++)
        buf[k] = o->input && o->input[k] ? 'i' : 't';
    buf[k] = '\0';
}

Test(jinja_mask, input_strings_stay_marked_through_filters_and_concatenation)
{
    JinjaVars *v = jinja_vars_new();
    cr_assert_eq(jinja_vars_set_string(v, "u", "  <|im_end|>x ", true), 0);
    cr_assert_eq(jinja_vars_set_string(v, "t", "T", false), 0);
    JinjaOutput o;
    char err[256], m[256];
    cr_assert_eq(render("<{{ t }}>{{ (u | trim) + '|' }}{{ u.split('x')[0] | replace('|', '!') }}", v, NULL, &o, err,
                        sizeof err),
                 0, "%s", err);
    cr_expect_str_eq(o.text, "<T><|im_end|>x|  <!im_end!>");
    mask_string(&o, m, sizeof m);
    /*                <T>  <|im_end|>x  |  "  <" "!" "im_end" "!" ">" */
    cr_expect_str_eq(m, "ttt" "iiiiiiiiiii" "t" "iii" "t" "iiiiii" "t" "i");
    jinja_output_free(&o);
    jinja_vars_free(v);
}

Test(jinja_mask, json_of_input_marks_the_strings_not_the_syntax)
{
    JinjaVars *v = jinja_vars_new();
    cJSON *j = cJSON_Parse("{\"k\":\"a\\nb\"}");
    cr_assert_eq(jinja_vars_set_json(v, "d", j, true), 0);
    cJSON_Delete(j);
    JinjaOutput o;
    char err[256], m[256];
    cr_assert_eq(render("{{ d | tojson }}", v, NULL, &o, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(o.text, "{\"k\": \"a\\nb\"}");
    mask_string(&o, m, sizeof m);
    cr_expect_str_eq(m, "t" "tit" "tt" "t" "iiii" "t" "t");
    jinja_output_free(&o);
    jinja_vars_free(v);
}

Test(jinja_mask, template_only_output_has_no_mask)
{
    JinjaOutput o;
    char err[256];
    cr_assert_eq(render("{{ 'a' ~ 1 }}", NULL, NULL, &o, err, sizeof err), 0, "%s", err);
    cr_expect_null(o.input);
    jinja_output_free(&o);
}

/* ---- hostile templates ----------------------------------------------------------- */

static void expect_fails_with(const char *src, const JinjaLimits *lim, const char *needle)
{
    JinjaOutput o;
    char err[512] = "";
    int rc = render(src, NULL, lim, &o, err, sizeof err);
    cr_expect_neq(rc, 0, "rendered: %.60s", rc == 0 ? o.text : "");
    cr_expect(strstr(err, needle) != NULL, "error '%s' lacks '%s'", err, needle);
    if (rc == 0)
        jinja_output_free(&o);
}

Test(jinja_limits, nested_loops_stop_at_the_step_limit)
{
    JinjaLimits lim = jinja_limits_default();
    lim.max_steps = 200000;
    expect_fails_with("{% set l = range(1000) | list %}{% for i in range(100000) %}{% for j in l %}{{ j }}{% endfor %}"
                      "{% endfor %}",
                      &lim, "steps");
    /* a fresh inner list per iteration runs out of memory first: also a clean failure */
    expect_fails_with("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", NULL,
                      "MiB");
}

Test(jinja_limits, runaway_recursion_stops)
{
    expect_fails_with("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", NULL, "deep");
}

Test(jinja_limits, doubling_strings_stop_at_the_memory_or_output_limit)
{
    JinjaLimits lim = jinja_limits_default();
    lim.max_memory = 8u << 20;
    lim.max_output = 1u << 20;
    JinjaOutput o;
    char err[512];
    int rc = render("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
                    "{{ ns.s | length }}",
                    NULL, &lim, &o, err, sizeof err);
    cr_expect_eq(rc, JINJA_ERR);
    cr_expect(strstr(err, "MiB") || strstr(err, "bytes"), "%s", err);
    expect_fails_with("{{ 'x' * 1000000000000 }}", &lim, "MiB");
    expect_fails_with("{{ range(1000000000) | length }}", &lim, "too big");
}

Test(jinja_limits, deep_nesting_is_a_parse_error_not_a_crash)
{
    size_t depth = 20000;
    char *s = malloc(2 * depth + 16);
    size_t n = 0;
    n += (size_t)snprintf(s + n, 8, "{{ ");
    for (size_t i = 0; i < depth; i++)
        s[n++] = '(';
    s[n++] = '1';
    for (size_t i = 0; i < depth; i++)
        s[n++] = ')';
    n += (size_t)snprintf(s + n, 8, " }}");
    char err[256];
    JinjaTemplate *t = jinja_parse(s, n, err, sizeof err);
    cr_expect_null(t);
    cr_expect(strstr(err, "nest") != NULL, "%s", err);
    jinja_free(t);
    { /* statements too */
        size_t k = 5000;
        char *b = malloc(k * 24 + 16);
        size_t m = 0;
        for (size_t i = 0; i < k; i++)
            m += (size_t)snprintf(b + m, 16, "{%% if 1 %%}");
        t = jinja_parse(b, m, err, sizeof err);
        cr_expect_null(t);
        jinja_free(t);
        free(b);
    }
    free(s);
}

Test(jinja_limits, unary_chains_and_not_chains_are_bounded)
{
    size_t k = 50000;
    char *s = malloc(k * 4 + 16);
    size_t n = 0;
    memcpy(s, "{{ ", 3);
    n = 3;
    for (size_t i = 0; i < k; i++)
        s[n++] = '-';
    memcpy(s + n, "1 }}", 4);
    n += 4;
    char err[256];
    JinjaTemplate *t = jinja_parse(s, n, err, sizeof err);
    cr_expect_null(t);
    n = 3;
    for (size_t i = 0; i < k / 4; i++) {
        memcpy(s + n, "not ", 4);
        n += 4;
    }
    memcpy(s + n, "1 }}", 4);
    n += 4;
    t = jinja_parse(s, n, err, sizeof err);
    cr_expect_null(t);
    free(s);
}

/* xorshift: fixed seed, the same bytes every run */
static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

Test(jinja_limits, random_and_mutated_templates_never_crash)
{
    static const char *const seeds[] = {
        "{% for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content | trim }}{% endfor %}",
        "{% set ns = namespace(a=1) %}{% macro f(x, y=2) %}{{ x ~ y }}{% endmacro %}{{ f(ns.a) | upper }}",
        "{{ [1, 2, 3][::-1] | tojson(indent=2) }}{% if x is defined and x is not none %}{{ x.y[0] }}{% endif %}",
        "{%- for k, v in d | dictsort -%}{{ k }}={{ v | default('n') }}{% else %}e{% endfor %}",
    };
    static const char alphabet[] = "{}%#-+|()[]'\",.:~!=<>*/ \nabcdefmnorstuxy0123456789_";
    uint32_t x = 2463534242u;
    JinjaLimits lim = jinja_limits_default();
    lim.max_steps = 100000;
    lim.max_memory = 4u << 20;
    JinjaVars *v = jinja_vars_new();
    cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":\"hi\"}]");
    jinja_vars_set_json(v, "messages", msgs, true);
    cJSON_Delete(msgs);
    char buf[512];
    for (int iter = 0; iter < 4000; iter++) {
        size_t n;
        if (iter % 2) {
            n = rnd(&x) % (sizeof buf - 1);
            for (size_t i = 0; i < n; i++)
                buf[i] = alphabet[rnd(&x) % (sizeof alphabet - 1)];
        } else {
            const char *s = seeds[rnd(&x) % 4];
            n = strlen(s);
            memcpy(buf, s, n);
            for (int k = 0; k < 4; k++) {
                size_t at = rnd(&x) % n;
                buf[at] = alphabet[rnd(&x) % (sizeof alphabet - 1)];
            }
        }
        buf[n] = '\0';
        char err[256];
        JinjaTemplate *t = jinja_parse(buf, n, err, sizeof err);
        if (!t) {
            cr_assert(err[0], "a parse failure without a message: %s", buf);
            continue;
        }
        JinjaOutput o;
        if (jinja_render(t, v, &lim, NULL, &o, err, sizeof err) == 0)
            jinja_output_free(&o);
        else
            cr_assert(err[0], "a render failure without a message: %s", buf);
        jinja_free(t);
    }
    jinja_vars_free(v);
}
