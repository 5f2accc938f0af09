/* test_regexp.c — the bounded regex engine (util/regexp.h):
 *   - it agrees with the C library's regcomp/regexec (REG_EXTENDED, C locale)
 *     on a table of patterns and texts, case-folded too, and refuses what
 *     regcomp refuses;
 *   - the attacks regcomp falls to are refused or bounded: 20,000 nested
 *     parentheses (regcomp overflows its stack), (((a{1,100}){1,100}){1,100})
 *     {1,100} (gigabytes in regcomp), back-references, a 1 MiB pattern;
 *   - a pattern regexec needs minutes for on a 1 MB text is answered in
 *     bounded time (the automaton has no backtracking).
 * policy and assertion parsing use it: test_policy.c, test_fixture.c. */
#include <criterion/criterion.h>
#include <locale.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/regexp.h"
#include "testenv.h"

static const char *const patterns[] = {
    "abc", "a|b", "^abc$", "a.c", "a*", "a+b", "ab?c", "a{2}", "a{2,}", "a{1,3}b", "a{,2}b", "(ab)+", "(a|b)*c",
    "[abc]+", "[^abc]", "[]a]", "[a-]", "[a-z]+[0-9]", "[[:digit:]]{3}", "[[:alpha:][:space:]]+$", "[[:upper:]]",
    "[[:punct:]]", "^$", "x$|^y", "\\.", "a\\+", "\\bword\\b", "\\Bor\\B", "\\<wo", "rd\\>", "\\w+", "\\W", "\\s\\S",
    "()", "a|", "|a", "a)", "(|a)b", "a**", "a+?", "a{1}{2}", "(a*)*b", "(a|ab)(c|bcd)(d*)", "\\`a", "z\\'", "^(.*)$",
    "[[:xdigit:]]+", "[[:cntrl:]]", "é", "caf.", "((((a))))", "a{0}", "(a{0,0}b)", "[a-c-e]", "[--/]", "x{1,2}y{0,1}",
};
static const char *const texts[] = {
    "", "abc", "xabcx", "aac", "aaab", "abbc", "ac", "ababc", "cab", "]", "-", "zz9", "123", "hello world",
    "HELLO", "a.c", "a+", "a word here", "sword swords", "wordy", "x", "y", "\t a", "a|b", "café", "(a)", "ab)",
    "abcd", "xyz\n", "\x01", "deadBEEF", "a-", "--", "aaaaaaaaaaaaaaaaaaab",
};

static void differential(int flags)
{
    setlocale(LC_ALL, "C");
    for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++) {
        regex_t libc;
        int lrc = regcomp(&libc, patterns[i], REG_EXTENDED | REG_NOSUB | (flags ? REG_ICASE : 0));
        char err[256];
        Regexp *re = regexp_compile(patterns[i], flags ? REGEXP_ICASE : 0, err, sizeof err);
        cr_assert_eq(re != NULL, lrc == 0, "/%s/: regcomp says %d, regexp %s", patterns[i], lrc, re ? "ok" : err);
        if (!re)
            continue;
        for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
            int want = regexec(&libc, texts[t], 0, NULL, 0) == 0;
            int got = regexp_search(re, texts[t], strlen(texts[t]));
            cr_assert_eq(got, want, "/%s/%s on \"%s\": regexec %d, regexp %d", patterns[i], flags ? "i" : "",
                         texts[t], want, got);
        }
        regexp_free(re);
        regfree(&libc);
    }
}

Test(regexp, agrees_with_regexec_on_every_pattern_and_text) { differential(0); }
Test(regexp, agrees_with_regexec_when_case_is_ignored) { differential(1); }

Test(regexp, refuses_what_regcomp_refuses_with_a_message)
{
    static const char *const bad[] = { "*a", "+a", "?a", "{a", "a{", "a{1", "a{x}", "a{2,1}", "[z-a]", "^*",
                                       "x$*", "(*a)", "a|*b", "[a", "a\\", "[[:foo:]]", "(a", "a{1,2" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char err[256] = "";
        Regexp *re = regexp_compile(bad[i], 0, err, sizeof err);
        cr_assert_null(re, "/%s/ was accepted", bad[i]);
        cr_assert(strstr(err, "byte") || strstr(err, "pattern"), "/%s/: no position in \"%s\"", bad[i], err);
    }
}

Test(regexp, the_attacks_on_regcomp_are_refused_with_the_limit_named)
{
    static const struct { const char *what; size_t parens; const char *pattern; const char *says; } attacks[] = {
        { "20,000 nested groups", 20000, NULL, "longer than" },
        { "nested bounded repetitions", 0, "(((a{1,100}){1,100}){1,100}){1,100}", "too large" },
        { "one huge repetition", 0, "(ab){9000}c{9000}", "too large" },
        { "a back-reference", 0, "(a)\\1", "back-references" },
        { "collating elements", 0, "[[.a.]]", "collating" },
        { "33 nested groups", 33, NULL, "nested more than 32" },
        { "33 stacked repetitions", 0, "a*************************************", "repetitions nested" },
    };
    for (size_t i = 0; i < sizeof attacks / sizeof *attacks; i++) {
        char *p = NULL;
        if (attacks[i].parens) {
            size_t k = attacks[i].parens;
            p = malloc(2 * k + 2);
            memset(p, '(', k);
            p[k] = 'a';
            memset(p + k + 1, ')', k);
            p[2 * k + 1] = '\0';
        }
        const char *pat = p ? p : attacks[i].pattern;
        char err[256] = "";
        /* the message naming the limit proves the refusal came from the
         * bound, before any expansion (no wall-clock budget) */
        Regexp *re = regexp_compile(pat, 0, err, sizeof err);
        cr_assert_null(re, "%s was accepted", attacks[i].what);
        cr_assert(strstr(err, attacks[i].says), "%s: \"%s\"", attacks[i].what, err);
        free(p);
    }
    /* the length limit */
    char *big = malloc(REGEXP_MAX_PATTERN + 2);
    memset(big, 'a', REGEXP_MAX_PATTERN + 1);
    big[REGEXP_MAX_PATTERN + 1] = '\0';
    char err[256];
    cr_assert_null(regexp_compile(big, 0, err, sizeof err));
    cr_assert(strstr(err, "longer than"), "%s", err);
    free(big);
    /* 32 levels are fine */
    Regexp *deep = regexp_compile("((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))", 0, err, sizeof err);
    cr_assert(deep, "%s", err);
    regexp_free(deep);
}

Test(regexp, a_pattern_regexec_needs_minutes_for_is_answered_in_bounded_steps, .timeout = TESTENV_HANG_S)
{
    /* regexec takes over a minute for this on 1 MB; the automaton walks the
     * text once */
    size_t n = 1u << 20;
    char *text = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        text[i] = "ab c"[i % 4];
    text[n] = '\0';
    char err[256];
    Regexp *re = regexp_compile("(.*a.*b.*c.*){1,10}Z", 0, err, sizeof err);
    cr_assert(re, "%s", err);
    int rc = regexp_search(re, text, n);
    cr_assert(rc == 0 || rc == -1, "no Z in the text, got %d", rc);
    regexp_free(re);
    /* a long text with a small pattern is just a scan */
    re = regexp_compile("[0-9]{4}-[0-9]{2}", 0, err, sizeof err);
    cr_assert_eq(regexp_search(re, text, n), 0);
    text[n - 3] = '1';
    memcpy(text + n - 10, "2026-12", 7);
    cr_assert_eq(regexp_search(re, text, n), 1);
    regexp_free(re);
    free(text);
}
