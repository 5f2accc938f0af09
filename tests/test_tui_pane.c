/* test_tui_pane.c — the pane's incremental line index and scrolling, the word
 * diff, OSC 52 encoding, `:` command parsing, and the prompt library files. */
#include <criterion/criterion.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "tui/commands.h"
#include "tui/diff.h"
#include "tui/keymap.h"
#include "tui/library.h"
#include "tui/osc52.h"
#include "tui/pane.h"
#include "tui/wrap.h"

static void utf8_locale(void)
{
    if (!setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "C.utf8"))
        cr_skip_test("no UTF-8 locale available");
}

TestSuite(pane, .init = utf8_locale);

/* The line index built by streaming must equal wrapping the whole text. */
static void expect_same_as_whole(const Pane *p, int width)
{
    size_t len;
    const char *text = pane_text(p, &len);
    size_t complete = wrap_complete_prefix(text, len);
    size_t pos = 0, i = 0;
    while (pos < complete) {
        size_t ll;
        int cols;
        size_t next = wrap_next_line(text, complete, pos, width, &ll, &cols);
        const char *s;
        size_t plen, off;
        int pcols;
        cr_assert(pane_line(p, i, &s, &plen, &off, &pcols), "line %zu missing", i);
        cr_assert_eq(off, pos, "line %zu starts at %zu, expected %zu", i, off, pos);
        cr_assert_eq(plen, ll);
        cr_assert_eq(pcols, cols);
        pos = next;
        i++;
    }
    cr_assert_eq(pane_line_count(p), wrap_count_lines(text, complete, width));
}

Test(pane, streaming_in_random_chunks_matches_wrapping_at_once)
{
    const char *text = "Hello wide 日本語の世界 and emoji \xF0\x9F\x98\x80 with combining e\xCC\x81 marks.\n"
                       "A second paragraph that is long enough to wrap several times at narrow widths.\n\n"
                       "Thirdverylongwordwithoutanyspacesthatmustbecut and end";
    size_t len = strlen(text);
    srand(7);
    for (int width = 3; width < 40; width += 4) {
        for (int trial = 0; trial < 20; trial++) {
            Pane *p = pane_new(width);
            size_t pos = 0;
            while (pos < len) {
                size_t n = 1 + (size_t)(rand() % 9);
                if (pos + n > len)
                    n = len - pos;
                cr_assert_eq(pane_append(p, text + pos, n, 0), 0);
                pos += n;
                expect_same_as_whole(p, width);
            }
            pane_free(p);
        }
    }
}

Test(pane, a_scrolled_pane_keeps_its_place_while_text_arrives)
{
    Pane *p = pane_new(20);
    for (int i = 0; i < 100; i++) {
        char line[32];
        snprintf(line, sizeof line, "line %d\n", i);
        pane_append(p, line, strlen(line), 0);
    }
    cr_assert(pane_following(p));
    cr_assert_eq(pane_top(p, 10), pane_line_count(p) - 10);
    pane_scroll(p, -30, 10);
    cr_assert(!pane_following(p));
    size_t top = pane_top(p, 10);
    pane_append(p, "more text\nand more\n", 19, 0);
    cr_assert_eq(pane_top(p, 10), top, "new text does not move a scrolled view");
    pane_scroll(p, 1000, 10);
    cr_assert(pane_following(p), "scrolling to the end follows again");
    pane_scroll_home(p);
    cr_assert_eq(pane_top(p, 10), 0);
    pane_free(p);
}

Test(pane, resize_rewraps_and_keeps_the_top_line_in_view)
{
    Pane *p = pane_new(60);
    for (int i = 0; i < 50; i++) {
        char line[64];
        snprintf(line, sizeof line, "paragraph %d has a handful of words in it\n", i);
        pane_append(p, line, strlen(line), 0);
    }
    pane_scroll_home(p);
    pane_scroll(p, 20, 5);
    const char *s;
    size_t len, off;
    int cols;
    pane_line(p, pane_top(p, 5), &s, &len, &off, &cols);
    cr_assert(strncmp(s, "paragraph 20 ", 13) == 0);
    pane_set_width(p, 12);
    expect_same_as_whole(p, 12);
    pane_line(p, pane_top(p, 5), &s, &len, &off, &cols);
    cr_assert(strncmp(s, "paragraph 20", 12) == 0, "top line after resize: '%.*s'", (int)len, s);
    pane_free(p);
}

Test(pane, styles_are_kept_per_run)
{
    Pane *p = pane_new(80);
    pane_append(p, "plain ", 6, 0);
    pane_append(p, "error", 5, 2);
    pane_append(p, "!", 1, 2);
    size_t end;
    cr_assert_eq(pane_style_at(p, 0, &end), 0);
    cr_assert_eq(end, 6);
    cr_assert_eq(pane_style_at(p, 8, &end), 2);
    cr_assert_eq(end, SIZE_MAX);
    pane_free(p);
}

Test(pane, a_split_utf8_character_is_held_until_complete)
{
    Pane *p = pane_new(10);
    pane_append(p, "ab\xE6\x97", 4, 0);
    const char *s;
    size_t len, off;
    int cols;
    cr_assert(pane_line(p, 0, &s, &len, &off, &cols));
    cr_assert_eq(len, 2, "the partial character is not shown as garbage");
    pane_append(p, "\xA5", 1, 0);
    cr_assert(pane_line(p, 0, &s, &len, &off, &cols));
    cr_assert_eq(len, 5);
    cr_assert_eq(cols, 4);
    pane_free(p);
}

Test(pane, ten_thousand_lines_cost_little_beyond_the_text)
{
    Pane *p = pane_new(80);
    size_t text = 0;
    for (int i = 0; i < 10000; i++) {
        char line[96];
        int n = snprintf(line, sizeof line, "%05d the quick brown fox jumps over the lazy dog again\n", i);
        pane_append(p, line, (size_t)n, 0);
        text += (size_t)n;
    }
    cr_assert_eq(pane_line_count(p), 10001);
    /* text + a 24-byte entry per line, with doubling slack */
    cr_assert_lt(pane_memory(p), 2 * text + 10001 * 24 * 2 + 4096, "memory %zu", pane_memory(p));
    pane_free(p);
}

/* Rebuilds a and b from a diff to prove it is a correct edit script. */
static void check_diff(const char *a, const char *b)
{
    Diff d;
    cr_assert_eq(diff_words(a, strlen(a), b, strlen(b), &d), 0);
    Buf ra = { 0 }, rb = { 0 };
    for (size_t i = 0; i < d.n_ops; i++) {
        const DiffOp *op = &d.ops[i];
        if (op->kind != DIFF_ADD)
            buf_append(&ra, a + op->start, op->len);
        if (op->kind == DIFF_EQUAL)
            buf_append(&rb, a + op->start, op->len);
        if (op->kind == DIFF_ADD)
            buf_append(&rb, b + op->start, op->len);
    }
    cr_assert_str_eq(buf_str(&ra), a);
    cr_assert_str_eq(buf_str(&rb), b);
    buf_free(&ra);
    buf_free(&rb);
    diff_free(&d);
}

Test(diff, word_changes_are_minimal_and_rebuild_both_texts)
{
    const char *a = "the quick brown fox jumps over the lazy dog";
    const char *b = "the quick red fox leaps over the lazy dog today";
    Diff d;
    cr_assert_eq(diff_words(a, strlen(a), b, strlen(b), &d), 0);
    cr_assert_eq(d.n_del_tokens, 2, "brown, jumps");
    cr_assert_eq(d.n_add_tokens, 4, "red, leaps, ' ', today");
    cr_assert(!d.truncated);
    diff_free(&d);
    check_diff(a, b);
    check_diff("", "new text");
    check_diff("old text", "");
    check_diff("same", "same");
    check_diff("a b c d e f", "f e d c b a");
    check_diff("日本語 の テキスト", "日本語 が テキスト です");
}

Test(diff, random_edits_always_rebuild_both_texts)
{
    static const char *const words[] = { "alpha", "beta", "gamma", "delta", " ", "\n", "x", "y" };
    srand(99);
    for (int it = 0; it < 200; it++) {
        char a[400] = "", b[400] = "";
        size_t al = 0, bl = 0;
        for (int k = 0; k < 30; k++) {
            const char *w = words[rand() % 8];
            size_t wl = strlen(w);
            if (al + wl + 1 < sizeof a && rand() % 4) {
                memcpy(a + al, w, wl);
                al += wl;
            }
            if (bl + wl + 1 < sizeof b && rand() % 4) {
                memcpy(b + bl, w, wl);
                bl += wl;
            }
        }
        a[al] = b[bl] = '\0';
        check_diff(a, b);
    }
}

Test(diff, hugely_different_texts_fall_back_without_blowing_up)
{
    Buf a = { 0 }, b = { 0 };
    for (int i = 0; i < 3000; i++) {
        buf_printf(&a, "a%d ", i);
        buf_printf(&b, "b%d ", i);
    }
    Diff d;
    cr_assert_eq(diff_words(a.data, a.len, b.data, b.len, &d), 0);
    cr_assert(d.truncated);
    diff_free(&d);
    check_diff(a.data, b.data);
    buf_free(&a);
    buf_free(&b);
}

Test(osc52, plain_and_tmux_forms)
{
    Buf b = { 0 };
    char err[128];
    cr_assert_eq(osc52_encode("hi", 2, false, &b, err, sizeof err), 0);
    cr_assert_str_eq(buf_str(&b), "\033]52;c;aGk=\a");
    buf_reset(&b);
    cr_assert_eq(osc52_encode("hi", 2, true, &b, err, sizeof err), 0);
    cr_assert_str_eq(buf_str(&b), "\033Ptmux;\033\033]52;c;aGk=\a\033\\");
    buf_free(&b);
}

Test(commands, parse_known_commands_and_reject_bad_ones)
{
    Command c;
    char err[256];
    cr_assert_eq(commands_parse(":models openai:gpt-4o-mini local:", &c, err, sizeof err), 0);
    cr_assert_eq(c.kind, CMD_MODELS);
    cr_assert_eq(c.argc, 2);
    cr_assert_str_eq(c.argv[1], "local:");
    cr_assert_eq(commands_parse(":system You are terse.", &c, err, sizeof err), 0);
    cr_assert_str_eq(c.rest, "You are terse.");
    cr_assert_eq(commands_parse(":q", &c, err, sizeof err), 0);
    cr_assert_eq(c.kind, CMD_QUIT);
    cr_assert_eq(commands_parse(":frobnicate", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown command ':frobnicate'"));
    cr_assert_eq(commands_parse(":set temperature", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "usage: :set"));
    cr_assert_eq(commands_parse(":models", &c, err, sizeof err), -1);
}

Test(commands, set_checks_ranges_and_unsets)
{
    Params p = params_default();
    char err[256], d[256];
    cr_assert_eq(commands_set_param(&p, "temperature", "0.2", err, sizeof err), 0);
    cr_assert_float_eq(p.temperature, 0.2, 1e-12);
    cr_assert_eq(commands_set_param(&p, "max_tokens", "256", err, sizeof err), 0);
    cr_assert_eq(commands_set_param(&p, "seed", "42", err, sizeof err), 0);
    cr_assert(p.seed_set);
    cr_assert_eq(commands_set_param(&p, "top_p", "0.9", err, sizeof err), 0);
    commands_describe_params(&p, d, sizeof d);
    cr_assert_str_eq(d, "temperature=0.2 max_tokens=256 top_p=0.9 seed=42");
    cr_assert_eq(commands_set_param(&p, "temperature", "3", err, sizeof err), -1);
    cr_assert_eq(commands_set_param(&p, "temperature", "abc", err, sizeof err), -1);
    cr_assert_eq(commands_set_param(&p, "max_tokens", "0", err, sizeof err), -1);
    cr_assert_eq(commands_set_param(&p, "top_p", "0", err, sizeof err), -1);
    cr_assert_eq(commands_set_param(&p, "nonsense", "1", err, sizeof err), -1);
    cr_assert_eq(commands_set_param(&p, "temperature", "unset", err, sizeof err), 0);
    cr_assert(isnan(p.temperature));
    cr_assert_eq(commands_set_param(&p, "seed", "default", err, sizeof err), 0);
    cr_assert(!p.seed_set);
}

/* Tryout 2 #11 and #28: a typo'd command or parameter names the one meant;
 * :set takes min_p and repeat_penalty as versus run does. */
Test(commands, a_mistyped_command_or_parameter_suggests_the_nearest)
{
    Command c;
    char err[256];
    cr_assert_eq(commands_parse(":modles openai:gpt-4o", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "unknown command ':modles' (did you mean :models?)"), "%s", err);
    cr_assert_eq(commands_parse(":sett temperature 0", &c, err, sizeof err), -1);
    cr_assert(strstr(err, "(did you mean :set?)"), "%s", err);
    cr_assert_eq(commands_parse(":zzzzzzzz", &c, err, sizeof err), -1);
    cr_assert_null(strstr(err, "did you mean"), "nothing near: %s", err);
    Params p = params_default();
    cr_assert_eq(commands_set_param(&p, "temprature", "1", err, sizeof err), -1);
    cr_assert(strstr(err, "unknown parameter 'temprature' (did you mean temperature?)"), "%s", err);
    cr_assert_eq(commands_set_param(&p, "min_p", "0.05", err, sizeof err), 0);
    cr_assert_eq(commands_set_param(&p, "repeat_penalty", "1.1", err, sizeof err), 0);
    char d[256];
    commands_describe_params(&p, d, sizeof d);
    cr_assert_str_eq(d, "min_p=0.05 repeat_penalty=1.1");
    cr_assert_eq(commands_set_param(&p, "min_p", "unset", err, sizeof err), 0);
    cr_assert(isnan(p.min_p));
    cr_assert_eq(commands_set_param(&p, "repeat_penalty", "-3", err, sizeof err), -1);
}

Test(keys, prompt_typing_is_never_taken_by_letter_keys)
{
    int digit = 0;
    cr_assert_eq(keymap_lookup('q', 0, 1, &digit), KEYMAP_NONE, "q on the prompt types a q");
    cr_assert_eq(keymap_lookup('q', 1, 0, &digit), KEYMAP_QUIT);
    cr_assert_eq(keymap_lookup('3', 0, 0, &digit), KEYMAP_NONE, "digits inside a line are text");
    cr_assert_eq(keymap_lookup('3', 0, 1, &digit), KEYMAP_NONE, "a follow-up may start with a digit");
    cr_assert_eq(keymap_lookup('3', 1, 0, &digit), KEYMAP_DIGIT, "on a pane a digit labels");
    cr_assert_eq(digit, 3);
    cr_assert_eq(keymap_lookup('t', 0, 0, &digit), KEYMAP_NONE);
    cr_assert_eq(keymap_lookup('t', 0, 1, &digit), KEYMAP_NONE, "a follow-up may start with t");
    cr_assert_eq(keymap_lookup('t', 1, 0, &digit), KEYMAP_TIE);
    cr_assert_eq(keymap_lookup('?', 0, 1, &digit), KEYMAP_HELP);
    cr_assert_eq(keymap_lookup(27, 0, 0, &digit), KEYMAP_CANCEL);
    cr_assert_eq(keymap_lookup('\t', 0, 0, &digit), KEYMAP_FOCUS_NEXT);
}

Test(library, every_shipped_prompt_parses_with_a_known_category)
{
    const char *src = getenv("VERSUS_SRCDIR");
    if (!src)
        cr_skip_test("VERSUS_SRCDIR not set");
    char **names;
    size_t n = library_list(&names);
    cr_assert_geq(n, 18, "the library has at least 3 prompts in each of 6 categories");
    static const char *const cats[] = { "extraction", "classification", "summarisation", "code", "reasoning",
                                        "sensitive" };
    int per_cat[6] = { 0 };
    for (size_t i = 0; i < n; i++) {
        LibraryPrompt lp;
        char err[256];
        cr_assert_eq(library_load(names[i], &lp, err, sizeof err), 0, "%s", err);
        int found = -1;
        for (int c = 0; c < 6; c++)
            if (strcmp(lp.category, cats[c]) == 0)
                found = c;
        cr_assert_geq(found, 0, "%s: unknown category '%s'", names[i], lp.category);
        cr_assert(strncmp(names[i], cats[found], strlen(cats[found])) == 0, "%s is filed under its category",
                  names[i]);
        per_cat[found]++;
        cr_assert(lp.difficulty[0], "%s has a difficulty", names[i]);
        cr_assert_gt(strlen(lp.body), 100, "%s has a real prompt", names[i]);
        library_prompt_free(&lp);
    }
    for (int c = 0; c < 6; c++)
        cr_assert_geq(per_cat[c], 3, "category %s has 3 prompts", cats[c]);
    library_free_names(names, n);
}

Test(library, bad_prompt_files_are_errors_with_the_line)
{
    LibraryPrompt lp;
    char err[256];
    cr_assert_eq(library_parse("title: x\ncategory: code\nbody without separator\n", 43, "t", &lp, err, sizeof err),
                 -1);
    cr_assert(strstr(err, "t:3:"), "%s", err);
    const char *nosep = "title: x\ncategory: code\n";
    cr_assert_eq(library_parse(nosep, strlen(nosep), "t", &lp, err, sizeof err), -1);
    cr_assert(strstr(err, "no '---'"), "%s", err);
    const char *bad = "title: x\nauthor: me\n---\nbody\n";
    cr_assert_eq(library_parse(bad, strlen(bad), "t", &lp, err, sizeof err), -1);
    cr_assert(strstr(err, "t:2: unknown header 'author'"), "%s", err);
    const char *empty = "title: x\ncategory: code\n---\n\n  \n";
    cr_assert_eq(library_parse(empty, strlen(empty), "t", &lp, err, sizeof err), -1);
    cr_assert(strstr(err, "empty"), "%s", err);
    const char *good = "title: T\ncategory: code\ndifficulty: easy\n---\n\nWrite it.\n";
    cr_assert_eq(library_parse(good, strlen(good), "t", &lp, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(lp.body, "Write it.");
    library_prompt_free(&lp);
    cr_assert_eq(library_load("../../etc/passwd", &lp, err, sizeof err), -1);
}
