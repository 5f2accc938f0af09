/* regex_js.h — a versus regex assertion (POSIX extended, as util/regexp.h
 * and regcomp read it in the C locale) rewritten for JavaScript's RegExp (no flags), so that a
 * promptfoo `regex` assertion passes exactly when versus's does.
 *
 * The translation keeps which strings match (assertions only ask whether a
 * match exists, so greedy/lazy and leftmost-longest/leftmost-first do not
 * matter): POSIX classes become ASCII ranges ([[:digit:]] → [0-9]), `.`
 * matches newlines too ([\s\S]), a backslash inside brackets is a literal, a
 * backslash before a letter that is not a GNU operator is that letter (\d is
 * "d" to regcomp), {,m} becomes {0,m}, stacked quantifiers (a**, a{2}{3}) are
 * grouped, \< and \> become lookarounds. It is exact for ASCII text; on other
 * text regcomp counts bytes where JavaScript counts UTF-16 units. Patterns
 * whose meaning can not be kept (a quantifier on a multi-byte character,
 * non-ASCII or multi-character collating elements in brackets, a quantified
 * anchor) are refused with the reason. Pure. */
#ifndef VERSUS_REGEX_JS_H
#define VERSUS_REGEX_JS_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the JavaScript pattern for posix to out. 0, or -1 with why filled
 * (the pattern does not compile, or has no exact JavaScript equivalent);
 * out is left as it was on failure. */
int regex_posix_to_js(const char *posix, Buf *out, char *why, size_t whylen);

#endif
