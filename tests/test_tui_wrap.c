/* test_tui_wrap.c — word wrapping of UTF-8 text: spaces, long words, wide CJK
 * and emoji, combining marks, invalid bytes, and properties over random text. */
#include <criterion/criterion.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

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
