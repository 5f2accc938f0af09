/* testenv.h — small things every kind of test needs: where the shared
 * material is ($VERSUS_SHARED: models/stories260K.gguf, models/vocab/,
 * oracle/...; the test command passes it in and it is never copied into the
 * repository), and a strict UTF-8 check written independently of
 * util/utf8.c, for judging what versus outputs.
 *
 * Nothing here asserts or skips: a caller that gets false/NULL decides
 * (usually cr_skip_test("VERSUS_SHARED not set")). */
#ifndef VERSUS_TESTS_TESTENV_H
#define VERSUS_TESTS_TESTENV_H

#include <stdbool.h>
#include <stddef.h>

/* Writes "$VERSUS_SHARED/rel" into out. false (out "") when VERSUS_SHARED is
 * unset or empty, or when the path does not fit. */
bool testenv_shared(const char *rel, char *out, size_t outlen);
/* The same path, malloc'ed (free it); NULL when VERSUS_SHARED is unset or
 * empty. */
char *testenv_shared_path(const char *rel);
/* True when s[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF); NUL bytes are allowed. */
bool testenv_utf8_strict(const unsigned char *s, size_t n);

#endif
