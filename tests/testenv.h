/* testenv.h — where the tests find the material they share with the other
 * projects on this machine: $VERSUS_SHARED (models/stories260K.gguf,
 * models/vocab/, oracle/...), which the test command passes in and which is
 * never copied into the repository.
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

#endif
