/* test_keyfilter.c — the key filter and the terminal sanitiser as pure
 * functions (core/keyfilter.h, core/termsafe.h):
 *   - a key is masked written plainly, JSON-escaped (any mix, either hex
 *     case), percent-encoded, base64 (both alphabets, all three alignments);
 *   - the streaming filter masks a key split at every point and into single
 *     bytes, holds back no more than a possible key start, and gives the
 *     same bytes as masking the whole text;
 *   - keys are trimmed the way they are sent (a CR/LF tail), registered keys
 *     and secret-looking environment values both count, short values do not;
 *   - masking JSON text keeps it valid JSON;
 *   - the sanitiser shows C0 (but LF, TAB), DEL, C1, lone CR, ESC sequences and
 *     bidi controls visibly, keeps ordinary text, and turns CR LF into LF;
 *     JSON text keeps its meaning with C1/bidi escaped.
 * The real binary's sinks are test_leaks.c and test_terminal.c. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/buf.h"
#include "core/keyfilter.h"
#include "core/termsafe.h"

#define KEY "sk-test-KF-0123456789abcdefXYZ/+q"

static void setup(void)
{
    keyfilter_add_secret(KEY "\r\n", strlen(KEY) + 2); /* as a key file holds it */
}

TestSuite(keyfilter, .init = setup);
TestSuite(termsafe);

/* Masks text whole; returns a malloc'ed copy. */
static char *masked(const char *text)
{
    char *c = strdup(text);
    keyfilter_mask(c, strlen(c));
    return c;
}

static void assert_all_masked(const char *text, const char *form)
{
    char *m = masked(text);
    cr_assert(strchr(m, '*'), "%s: nothing masked in %s", form, text);
    cr_assert_null(strstr(m, "KF-0123"), "%s: key left in %s", form, m);
    cr_assert_not(keyfilter_contains(m, strlen(m)), "%s: still holds a key: %s", form, m);
    free(m);
}

Test(keyfilter, plain_trimmed_key_is_masked_over_its_length_only)
{
    char *m = masked("before " KEY " after");
    char want[128];
    snprintf(want, sizeof want, "before %.*s after", (int)strlen(KEY), "****************************************");
    cr_assert_str_eq(m, want);
    free(m);
    cr_assert(keyfilter_contains("x" KEY, strlen(KEY) + 1));
    cr_assert_not(keyfilter_contains("sk-test-KF-0123456789", 21), "a prefix is not the key");
}

/* KEY with the bytes whose index is set in mask written as escape (a %XX
 * or a \u00XX for JSON), hex in upper case when upper. */
static void escaped(Buf *out, const char *key, unsigned long mask, bool json, bool upper)
{
    for (size_t i = 0; key[i]; i++) {
        if (mask >> (i % 64) & 1)
            buf_printf(out, json ? (upper ? "\\u%04X" : "\\u%04x") : (upper ? "%%%02X" : "%%%02x"),
                       (unsigned char)key[i]);
        else
            buf_append(out, key + i, 1);
    }
}

Test(keyfilter, escaped_and_percent_encoded_keys_in_any_mix_are_masked)
{
    unsigned long masks[] = { ~0ul, 0x5555555555555555ul, 1ul, 1ul << 20, 0xF0F0F0F0ul };
    for (size_t m = 0; m < sizeof masks / sizeof *masks; m++)
        for (int json = 0; json < 2; json++)
            for (int upper = 0; upper < 2; upper++) {
                Buf b = { 0 };
                buf_puts(&b, "{\"echo\":\"");
                escaped(&b, KEY, masks[m], json, upper);
                buf_puts(&b, "\"}");
                assert_all_masked(buf_str(&b), json ? "json" : "percent");
                buf_free(&b);
            }
    /* JSON's \/ for the slash */
    assert_all_masked("x sk-test-KF-0123456789abcdefXYZ\\/+q y", "\\/");
}

Test(keyfilter, base64_at_every_alignment_and_both_alphabets_is_masked)
{
    for (int pre = 0; pre < 6; pre++) {
        char plain[128];
        snprintf(plain, sizeof plain, "%.*sAuthorization: Bearer %s!", pre, "xxxxx", KEY);
        char *b64 = base64_encode(plain, strlen(plain));
        assert_all_masked(b64, "base64");
        for (char *p = b64; *p; p++)
            *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
        assert_all_masked(b64, "base64url");
        /* decoding what was masked gives no key */
        char *m = masked(b64);
        cr_assert_null(strstr(m, "KF-0123"));
        free(m);
        free(b64);
    }
}

Test(keyfilter, masking_json_keeps_it_valid_json)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "plain", "a " KEY " b");
    cJSON_AddStringToObject(o, "literal_escape", "\\u0073\\u006b-test-KF-0123456789abcdefXYZ/+q");
    char *s = cJSON_PrintUnformatted(o);
    keyfilter_mask(s, strlen(s));
    cJSON *back = cJSON_Parse(s);
    cr_assert(back, "masked JSON does not parse: %s", s);
    cr_assert_null(strstr(s, "KF-0123"), "%s", s);
    cJSON_Delete(back);
    free(s);
    cJSON_Delete(o);
}

/* Feeds text to a streaming filter in pieces cut at the given points. */
static void stream_in_pieces(const char *text, const size_t *cuts, size_t n_cuts, Buf *out)
{
    KeyFilter *f = keyfilter_new();
    cr_assert(f);
    size_t at = 0, len = strlen(text);
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t to = i < n_cuts ? cuts[i] : len;
        cr_assert_eq(keyfilter_feed(f, text + at, to - at, out), 0);
        at = to;
    }
    cr_assert_eq(keyfilter_flush(f, out), 0);
    keyfilter_free(f);
}

Test(keyfilter, a_key_split_at_every_point_or_byte_by_byte_is_masked_like_the_whole)
{
    const char *texts[] = { "Your key is " KEY ", keep it safe.",
                            "escaped: \\u0073\\u006B-test-KF-0123456789abcdefXYZ\\/+q done",
                            "url: sk%2Dtest%2DKF%2D0123456789abcdefXYZ%2F%2Bq done",
                            KEY, "no key here at all, just sk- and s and %2 and \\u00" };
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
        char *whole = masked(texts[t]);
        size_t len = strlen(texts[t]);
        for (size_t cut = 0; cut <= len; cut++) {
            Buf out = { 0 };
            stream_in_pieces(texts[t], &cut, 1, &out);
            cr_assert_str_eq(buf_str(&out), whole, "text %zu cut at %zu", t, cut);
            buf_free(&out);
        }
        size_t *every = malloc(len * sizeof *every);
        for (size_t i = 0; i < len; i++)
            every[i] = i;
        Buf out = { 0 };
        stream_in_pieces(texts[t], every, len, &out);
        cr_assert_str_eq(buf_str(&out), whole, "text %zu byte by byte", t);
        buf_free(&out);
        free(every);
        free(whole);
    }
}

Test(keyfilter, only_a_possible_key_start_is_held_back)
{
    KeyFilter *f = keyfilter_new();
    Buf out = { 0 };
    keyfilter_feed(f, "hello world", 11, &out);
    cr_assert_str_eq(buf_str(&out), "hello world", "text that can not start a key is released at once");
    keyfilter_feed(f, " and sk-te", 10, &out);
    cr_assert_str_eq(buf_str(&out), "hello world and ", "'sk-te' may be a key: held");
    keyfilter_feed(f, "a time", 6, &out);
    cr_assert_str_eq(buf_str(&out), "hello world and sk-tea time", "released once it can not be");
    keyfilter_feed(f, " s", 2, &out);
    keyfilter_flush(f, &out);
    cr_assert_str_eq(buf_str(&out), "hello world and sk-tea time s", "the end releases the rest");
    cr_assert_eq(keyfilter_hits(f), 0);
    buf_free(&out);
    keyfilter_free(f);
}

Test(keyfilter, environment_secrets_count_and_short_or_ordinary_values_do_not)
{
    setenv("VFTEST_SERVICE_TOKEN", "tok-env-9876543210", 1);
    setenv("VFTEST_SHORT_API_KEY", "abc", 1);
    setenv("VFTEST_PLAIN", "ordinary-value-12345", 1);
    char *m = masked("tok-env-9876543210 abc ordinary-value-12345");
    cr_assert_str_eq(m, "****************** abc ordinary-value-12345");
    free(m);
    cr_assert(keyfilter_is_secret_name("OPENROUTER_API_KEY"));
    cr_assert(keyfilter_is_secret_name("GH_TOKEN"));
    cr_assert(keyfilter_is_secret_name("MY_KEY"));
    cr_assert_not(keyfilter_is_secret_name("KEYBOARD"));
}

typedef struct Got {
    Buf text, err;
    int deltas, held;
    bool done_after_text;
} Got;

static void got_emit(void *user, const StreamEvent *ev)
{
    Got *g = user;
    if (ev->kind == STREAM_EVENT_DELTA) {
        buf_append(&g->text, ev->text, ev->len);
        if (ev->token_id == STREAM_TOKEN_HELD_BACK)
            g->held++;
        else
            g->deltas++;
    } else if (ev->kind == STREAM_EVENT_ERROR) {
        buf_puts(&g->err, ev->error_message ? ev->error_message : "");
    } else if (ev->kind == STREAM_EVENT_DONE) {
        g->done_after_text = strstr(buf_str(&g->text), "bye s") != NULL;
    }
}

Test(keyfilter, the_sink_masks_split_deltas_and_errors_and_releases_held_text_before_done)
{
    Got g = { 0 };
    KeySink *k = keysink_new((StreamSink){ .emit = got_emit, .user = &g });
    StreamSink sink = keysink_sink(k);
    const char *text = "key: " KEY " bye s";
    for (size_t i = 0; text[i]; i++) /* one byte per delta, as a model may echo it */
        stream_emit_text(&sink, STREAM_EVENT_DELTA, text + i, 1);
    stream_emit_error(&sink, 401, "invalid_api_key", "Incorrect API key provided: " KEY);
    stream_emit_done(&sink);
    cr_assert_null(strstr(buf_str(&g.text), "KF-0123"), "%s", buf_str(&g.text));
    cr_assert(strstr(buf_str(&g.text), "key: ****"));
    cr_assert_eq((size_t)g.deltas, strlen(text), "every delta still arrives (for timing), some empty");
    cr_assert_eq(g.held, 1, "the trailing 's' (a possible key start) came once, before the error");
    cr_assert(g.done_after_text);
    cr_assert_null(strstr(buf_str(&g.err), "KF-0123"), "%s", buf_str(&g.err));
    cr_assert(keysink_masked(k));
    keysink_free(k);
    buf_free(&g.text);
    buf_free(&g.err);
}

static char *safe(const char *s, size_t n)
{
    Buf b = { 0 };
    cr_assert_eq(termsafe_append(&b, s, n), 0);
    buf_puts(&b, "");
    return buf_steal(&b);
}

static void assert_no_hidden(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        cr_assert(*p >= 0x20 || *p == '\n' || *p == '\t', "control byte 0x%02x left in %s", *p, s);
        cr_assert(*p != 0x7f);
        if (p[0] == 0xC2)
            cr_assert(p[1] < 0x80 || p[1] > 0x9F, "a C1 control left in %s", s);
        if (p[0] == 0xE2 && p[1] == 0x80)
            cr_assert(!(p[2] >= 0xAA && p[2] <= 0xAE) && p[2] != 0x8E && p[2] != 0x8F, "bidi left in %s", s);
        if (p[0] == 0xE2 && p[1] == 0x81)
            cr_assert(!(p[2] >= 0xA6 && p[2] <= 0xA9), "bidi isolate left in %s", s);
        if (p[0] == 0xD8)
            cr_assert(p[1] != 0x9C, "U+061C left in %s", s);
    }
}

Test(termsafe, controls_escapes_c1_and_bidi_are_shown_not_obeyed)
{
    static const struct { const char *in; size_t n; const char *want; } cases[] = {
        { "plain text, naïve café ✓\n\tindented", 0, "plain text, naïve café ✓\n\tindented" },
        { "osc52 \x1b]52;c;ZXZpbA==\x07!", 0, "osc52 \\x1b]52;c;ZXZpbA==\\x07!" },
        { "title \x1b]0;pwned\x1b\\", 0, "title \\x1b]0;pwned\\x1b\\" },
        { "clear \x1b[2J\x1b[H dsr \x1b[6n", 0, "clear \\x1b[2J\\x1b[H dsr \\x1b[6n" },
        { "c1 csi \xc2\x9b\x32J osc \xc2\x9d\x30;t\xc2\x9c", 0, "c1 csi \\u009b2J osc \\u009d0;t\\u009c" },
        { "bidi \xe2\x80\xae\x65vil\xe2\x81\xa6x\xe2\x80\x8fy\xd8\x9c", 0, "bidi \\u202eevil\\u2066x\\u200fy\\u061c" },
        { "line one\r\nline two\rOVER", 0, "line one\nline two\\x0dOVER" },
        { "nul\0del\x7f", 8, "nul\\x00del\\x7f" },
        { "bad \xff\xfe utf8", 0, "bad \xef\xbf\xbd\xef\xbf\xbd utf8" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = cases[i].n ? cases[i].n : strlen(cases[i].in);
        char *got = safe(cases[i].in, n);
        cr_assert_str_eq(got, cases[i].want, "case %zu", i);
        assert_no_hidden(got);
        free(got);
    }
}

Test(termsafe, json_keeps_its_meaning_with_c1_and_bidi_escaped)
{
    cJSON *o = cJSON_CreateObject();
    const char *hostile = "a\xc2\x9b" "2J b\xe2\x80\xae" "c d\x7f" "e \x1b[31m";
    cJSON_AddStringToObject(o, "text", hostile);
    char *s = cJSON_PrintUnformatted(o);
    Buf b = { 0 };
    cr_assert_eq(termsafe_json(&b, s, strlen(s)), 0);
    assert_no_hidden(buf_str(&b));
    cJSON *back = cJSON_Parse(buf_str(&b));
    cr_assert(back, "not JSON: %s", buf_str(&b));
    cr_assert_str_eq(cJSON_GetObjectItem(back, "text")->valuestring, hostile, "the data is unchanged");
    cJSON_Delete(back);
    buf_free(&b);
    free(s);
    cJSON_Delete(o);
}

/* Found by fuzz_keyfilter: an overlong sequence (E0 82 82 would be U+0082, a
 * C1 control, if decoded leniently) is invalid UTF-8, not a control: the
 * JSON form keeps its bytes and so its meaning, and escapes no control that
 * was never there. */
Test(termsafe, json_keeps_invalid_utf8_as_it_is_and_decodes_no_overlong_form)
{
    const char *odd = "x\xe0\x82\x82y\xf4\x90\x80\x80z\xed\xa0\x80w";
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", odd);
    char *s = cJSON_PrintUnformatted(o);
    Buf b = { 0 };
    cr_assert_eq(termsafe_json(&b, s, strlen(s)), 0);
    cr_assert_null(strstr(buf_str(&b), "\\u0082"), "an overlong form is no control: %s", buf_str(&b));
    cJSON *back = cJSON_Parse(buf_str(&b));
    cr_assert(back, "not JSON: %s", buf_str(&b));
    cr_assert_str_eq(cJSON_GetObjectItem(back, "text")->valuestring, odd, "the data is unchanged");
    cJSON_Delete(back);
    buf_free(&b);
    free(s);
    cJSON_Delete(o);
}
