/* regexp.h — POSIX extended regular expressions with bounded cost, for every
 * pattern a user or a shared file supplies (policy rules, fixture and
 * session assertions).
 *
 * The C library's regcomp/regexec can be made to crash (20,000 nested
 * parentheses overflow its stack), to allocate gigabytes ("(((a{1,100})
 * {1,100}){1,100}){1,100}" expands to 10^8 copies) or to take minutes on a
 * long text. This engine bounds all three: a pattern is at most
 * REGEXP_MAX_PATTERN bytes, nested at most REGEXP_MAX_DEPTH levels, and
 * compiles to at most REGEXP_MAX_PROGRAM instructions after expanding
 * {m,n}; matching simulates the automaton (no backtracking, so time is at
 * most text length x program size, memory a few bytes per instruction) and
 * stops with -1 after REGEXP_MAX_STEPS steps. Each limit has its own error
 * message saying what to change.
 *
 * Syntax: POSIX ERE as regcomp(REG_EXTENDED) reads it in the C locale
 * (bytes): . [] [^] [:class:] ranges ^ $ () | * + ? {m} {m,} {m,n} {,n},
 * and the GNU escapes \w \W \s \S \b \B \< \> \` \'; any other escaped
 * character is itself. Not supported, with a message: back-references
 * (\1..\9: they make matching exponential) and collating elements ([. .],
 * [= =]). Matching answers only "does some part of the text match". */
#ifndef VERSUS_REGEXP_H
#define VERSUS_REGEXP_H

#include <stdbool.h>
#include <stddef.h>

#define REGEXP_MAX_PATTERN 2048       /* bytes */
#define REGEXP_MAX_DEPTH 32           /* nested groups and repetitions */
#define REGEXP_MAX_PROGRAM 10000      /* instructions after expanding {m,n} */
#define REGEXP_MAX_STEPS 100000000L   /* automaton steps per search (a second or two) */

enum { REGEXP_ICASE = 1 };

typedef struct Regexp Regexp;

/* Compiles pattern (NUL-terminated); flags REGEXP_ICASE. NULL with err
 * saying what is wrong and where. */
Regexp *regexp_compile(const char *pattern, int flags, char *err, size_t errlen);
void regexp_free(Regexp *re);
/* Searches text[0..n): 1 when some part matches, 0 when none does, -1 when
 * the step limit ran out first (the text is too long for this pattern). */
int regexp_search(const Regexp *re, const char *text, size_t n);

#endif
