/* test_tui_wrap.c — word wrapping of UTF-8 text: spaces, long words, wide CJK
 * and emoji, combining marks, invalid bytes, and properties over random text. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <stdio.h>

#include "tui/wrap.h"

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
        cr_skip_test("no UTF-8 locale available");
}

TestSuite(wrap, .init = utf8_locale);

/* Wraps s and writes the lines as "a|b|c" for easy comparison. */
static void wrap_join(const char *s, int width, char *out, size_t outlen)
{
    size_t len = strlen(s), pos = 0, o = 0;
    out[0] = '\0';
    while (pos < len) {
        size_t ll;
        int cols;
        size_t next = wrap_next_line(s, len, pos, width, &ll, &cols);
        cr_assert_gt(next, pos, "wrapping must progress");
        cr_assert(o + ll + 2 < outlen);
        if (o)
            out[o++] = '|';
        memcpy(out + o, s + pos, ll);
        o += ll;
        out[o] = '\0';
        pos = next;
    }
}

Test(wrap, ascii_breaks_at_spaces_and_swallows_the_break_space)
{
    char out[256];
    wrap_join("the quick brown fox jumps", 10, out, sizeof out);
    cr_assert_str_eq(out, "the quick|brown fox|jumps");
}

Test(wrap, a_word_longer_than_the_line_is_cut_at_a_character)
{
    char out[256];
    wrap_join("abcdefghijkl", 5, out, sizeof out);
    cr_assert_str_eq(out, "abcde|fghij|kl");
}

Test(wrap, newlines_end_lines_and_keep_indentation)
{
    char out[256];
    wrap_join("one\n  two\n\nthree", 20, out, sizeof out);
    cr_assert_str_eq(out, "one|  two||three");
    cr_assert_eq(wrap_count_lines("a\n", 2, 10), 2);
    cr_assert_eq(wrap_count_lines("", 0, 10), 0);
}

Test(wrap, wrap_exactly_at_the_end_of_a_line_leaves_no_empty_line)
{
    char out[256];
    wrap_join("abcd \nefgh", 4, out, sizeof out);
    cr_assert_str_eq(out, "abcd|efgh");
}

Test(wrap, cjk_characters_take_two_columns_and_break_between_them)
{
    const char *s = "日本語のテキスト"; /* 8 wide characters, 16 columns */
    cr_assert_eq(wrap_str_cols(s, strlen(s)), 16);
    char out[256];
    wrap_join(s, 5, out, sizeof out);
    cr_assert_str_eq(out, "日本|語の|テキ|スト");
    wrap_join("ab日本", 3, out, sizeof out);
    cr_assert_str_eq(out, "ab|日|本");
}

Test(wrap, emoji_are_wide)
{
    const char *s = "ok \xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80"; /* ok 😀😀😀 */
    cr_assert_eq(wrap_str_cols(s, strlen(s)), 9);
    char out[256];
    wrap_join(s, 4, out, sizeof out);
    cr_assert_str_eq(out, "ok|\xF0\x9F\x98\x80\xF0\x9F\x98\x80|\xF0\x9F\x98\x80");
}

Test(wrap, combining_marks_stay_with_their_base_character)
{
    /* six times e + COMBINING ACUTE ACCENT: 6 columns */
    const char *s = "e\xCC\x81""e\xCC\x81""e\xCC\x81""e\xCC\x81""e\xCC\x81""e\xCC\x81";
    cr_assert_eq(wrap_str_cols(s, strlen(s)), 6);
    char out[256];
    wrap_join(s, 3, out, sizeof out);
    cr_assert_str_eq(out, "e\xCC\x81""e\xCC\x81""e\xCC\x81|e\xCC\x81""e\xCC\x81""e\xCC\x81");
    /* a wide character with a combining mark at a break keeps the mark */
    const char *w = "日\xE3\x82\x99本"; /* 日 + COMBINING KATAKANA VOICED MARK + 本 */
    wrap_join(w, 2, out, sizeof out);
    cr_assert_str_eq(out, "日\xE3\x82\x99|本");
}

Test(wrap, invalid_bytes_decode_to_replacement_one_column_each)
{
    uint32_t cp;
    cr_assert_eq(wrap_decode("\xFF", 1, 0, &cp), 1);
    cr_assert_eq(cp, WRAP_REPLACEMENT);
    cr_assert_eq(wrap_decode("\xC0\xAF", 2, 0, &cp), 1); /* overlong */
    cr_assert_eq(cp, WRAP_REPLACEMENT);
    cr_assert_eq(wrap_decode("\xED\xA0\x80", 3, 0, &cp), 1); /* surrogate */
    cr_assert_eq(cp, WRAP_REPLACEMENT);
    cr_assert_eq(wrap_decode("\xE6\x97", 2, 0, &cp), 1); /* truncated */
    cr_assert_eq(wrap_str_cols("a\xFF\xFE" "b", 4), 4);
    cr_assert_eq(wrap_str_cols("\x01\x1b", 2), 2); /* controls are drawn as one cell */
}

Test(wrap, tabs_advance_to_the_next_stop)
{
    cr_assert_eq(wrap_str_cols("a\tb", 3), 9);
    cr_assert_eq(wrap_cp_width('\t', 3), 5);
}

Test(wrap, complete_prefix_holds_back_a_character_still_arriving)
{
    cr_assert_eq(wrap_complete_prefix("a\xE6\x97", 3), 1);
    cr_assert_eq(wrap_complete_prefix("a\xE6\x97\xA5", 4), 4);
    cr_assert_eq(wrap_complete_prefix("a\xF0\x9F\x98", 4), 1);
    cr_assert_eq(wrap_complete_prefix("ab", 2), 2);
    cr_assert_eq(wrap_complete_prefix("a\x80", 2), 2); /* a stray continuation is not "arriving" */
}

static const char *const pieces[] = { "a", "b", "word", " ", " ", "\n", "日", "本", "\xF0\x9F\x98\x80",
                                      "e\xCC\x81", "\xCC\x81", "\t", "\xFF", "longerword", "Ω", "ﾃ" };

Test(wrap, random_text_lines_fit_cover_the_text_and_never_start_with_a_mark)
{
    srand(1234);
    for (int iter = 0; iter < 400; iter++) {
        char s[512];
        size_t len = 0;
        int np = rand() % 40;
        for (int k = 0; k < np; k++) {
            const char *p = pieces[rand() % (int)(sizeof pieces / sizeof pieces[0])];
            size_t pl = strlen(p);
            if (len + pl >= sizeof s)
                break;
            memcpy(s + len, p, pl);
            len += pl;
        }
        s[len] = '\0';
        int width = 1 + rand() % 30;
        size_t pos = 0;
        while (pos < len) {
            size_t ll;
            int cols;
            size_t next = wrap_next_line(s, len, pos, width, &ll, &cols);
            cr_assert_gt(next, pos);
            cr_assert_leq(pos + ll, next);
            /* what a wrap skips is only spaces and newlines */
            for (size_t k = pos + ll; k < next; k++)
                cr_assert(s[k] == ' ' || s[k] == '\t' || s[k] == '\n', "skipped a visible byte");
            cr_assert_eq(cols, wrap_str_cols(s + pos, ll));
            uint32_t cp;
            size_t n = 0;
            for (size_t k = pos; k < pos + ll; k += n)
                n = wrap_decode(s, len, k, &cp);
            if (ll > 0) {
                wrap_decode(s, len, pos, &cp);
                /* only a mark with nothing before it may open a line */
                if (cp == 0x301 && pos > 0 && s[pos - 1] != '\n' && s[pos - 1] != ' ' && s[pos - 1] != '\t')
                    cr_assert_fail("line starts with a combining mark at byte %zu of '%s' width %d", pos, s, width);
                /* over-wide only when one character (plus marks) is alone */
                if (cols > width) {
                    size_t first = wrap_decode(s, len, pos, &cp);
                    cr_assert(cols <= 8, "overwide line of %d cols at width %d", cols, width);
                    cr_assert(first <= ll);
                }
            }
            pos = next;
        }
    }
}

/* Renders s from column col and returns the bytes (static buffer). */
static const char *rendered(const char *s, int col, int *cols)
{
    static char out[512];
    Buf b = { 0 };
    *cols = wrap_render(s, strlen(s), col, &b);
    snprintf(out, sizeof out, "%s", buf_str(&b));
    buf_free(&b);
    return out;
}

Test(wrap, render_draws_exactly_what_was_measured)
{
    int cols;
    /* tabs to the stop from the given column */
    cr_assert_str_eq(rendered("a\tb", 0, &cols), "a       b");
    cr_assert_eq(cols, 9);
    cr_assert_str_eq(rendered("\t", 5, &cols), "   ");
    /* controls and invalid bytes: one U+FFFD each, never the byte itself */
    cr_assert_str_eq(rendered("a\x1b[31m\xff", 0, &cols), "a\xEF\xBF\xBD[31m\xEF\xBF\xBD");
    cr_assert_eq(cols, 7);
    /* a ZWJ sequence: its members side by side, the joiners not sent */
    cr_assert_str_eq(rendered("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9", 0, &cols),
                     "\xf0\x9f\x91\xa8\xf0\x9f\x91\xa9");
    cr_assert_eq(cols, 4);
    /* variation selectors, zero-width space, bidi override: not sent */
    cr_assert_str_eq(rendered("\xe2\x9d\xa4\xef\xb8\x8f" "a\xe2\x80\x8b" "b\xe2\x80\xae" "c", 0, &cols),
                     "\xe2\x9d\xa4" "abc");
    cr_assert_eq(cols, 4);
    /* a mark opening a line sits on a dotted circle; later marks join */
    cr_assert_str_eq(rendered("\xcc\x81" "e\xcc\x81", 0, &cols), "\xe2\x97\x8c\xcc\x81" "e\xcc\x81");
    cr_assert_eq(cols, 2);
    cr_assert_str_eq(rendered("\xcc\x81", 3, &cols), "\xcc\x81");
    cr_assert_eq(cols, 0);
    /* at most WRAP_MAX_MARKS marks on one character */
    cr_assert_str_eq(rendered("a\xcc\x81\xcc\x82\xcc\x83\xcc\x84\xcc\x85" "b", 0, &cols),
                     "a\xcc\x81\xcc\x82\xcc\x83\xcc\x84" "b");
    cr_assert_eq(cols, 2);
}

Test(wrap, classes_follow_wcwidth)
{
    static const struct {
        uint32_t cp;
        WrapClass want;
    } t[] = {
        { 'a', WRAP_CLASS_NARROW }, { 0xE9, WRAP_CLASS_NARROW }, { 0x4E2D, WRAP_CLASS_WIDE },
        { 0xFF21, WRAP_CLASS_WIDE }, { 0x1F600, WRAP_CLASS_WIDE }, { 0x1F3FD, WRAP_CLASS_WIDE },
        { 0x301, WRAP_CLASS_MARK }, { 0x1161, WRAP_CLASS_MARK }, { 0x20E3, WRAP_CLASS_MARK },
        { 0x200D, WRAP_CLASS_FORMAT }, { 0x200B, WRAP_CLASS_FORMAT }, { 0xFE0F, WRAP_CLASS_FORMAT },
        { 0x202E, WRAP_CLASS_FORMAT }, { 0xE0067, WRAP_CLASS_FORMAT }, { 0xFEFF, WRAP_CLASS_FORMAT },
        { '\t', WRAP_CLASS_TAB }, { '\n', WRAP_CLASS_NEWLINE }, { 0x07, WRAP_CLASS_REPLACED },
        { 0x9B, WRAP_CLASS_REPLACED }, { 0x7F, WRAP_CLASS_REPLACED },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        cr_assert_eq(wrap_cp_class(t[i].cp), t[i].want, "U+%04X", t[i].cp);
        int w = wcwidth((wchar_t)t[i].cp);
        if (t[i].want == WRAP_CLASS_NARROW || t[i].want == WRAP_CLASS_WIDE || t[i].want == WRAP_CLASS_MARK)
            cr_assert_eq(wrap_cp_width(t[i].cp, 4), w, "U+%04X against wcwidth", t[i].cp);
    }
}
