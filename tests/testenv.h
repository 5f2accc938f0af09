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

#include <cjson/cJSON.h>

/* Hang guards. Tests wait for events (a child exits, a line appears, the
 * fake sees a request, a stream that would never end is ended), never for a
 * wall-clock budget; these bound only a wait that would otherwise never
 * end, so they sit far beyond any scenario's natural length (seconds), with
 * valgrind (20-50x), ASan (2-3x) and a load of 15+ on 2 cores included.
 * Criterion 2.4 times out only tests that declare a .timeout (run-test.sh's
 * --timeout caps those): every suite that waits on a child, a thread or a
 * socket declares .timeout = TESTENV_HANG_S. */
#define TESTENV_HANG_MS 300000 /* one wait: a child's run, an event to come */
#define TESTENV_HANG_S 900     /* one whole test, several waits included */

/* Writes "$VERSUS_SHARED/rel" into out. false (out "") when VERSUS_SHARED is
 * unset or empty, or when the path does not fit. */
bool testenv_shared(const char *rel, char *out, size_t outlen);
/* The same path, malloc'ed (free it); NULL when VERSUS_SHARED is unset or
 * empty. */
char *testenv_shared_path(const char *rel);
/* The source tree: $VERSUS_SRCDIR (make check sets it), else the one the
 * tests were built from. Test data (tests/data, tests/transcripts, data/)
 * is read from there. */
const char *testenv_srcdir(void);
/* The file at path, whole and NUL-terminated (free it; "" for an empty
 * file), its length in *len when len is not NULL; NULL when it cannot be
 * read (missing, not a regular file, over 64 MiB). */
char *testenv_slurp(const char *path, size_t *len);
/* The JSON document in the file at path (cJSON_Delete it); NULL when the
 * file cannot be read or is not JSON. */
cJSON *testenv_json_file(const char *path);
/* The path of a session file (NAME.json) that versus saved under the
 * private home dir (dir/data/versus/sessions/); false (out "") when there is
 * none yet. With several, any one of them: for a suite that saves one. */
bool testenv_session_file(const char *home, char *out, size_t outlen);
/* True when s[0..n) is well-formed UTF-8 (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF); NUL bytes are allowed. */
bool testenv_utf8_strict(const unsigned char *s, size_t n);

#endif
