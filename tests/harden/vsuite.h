/* vsuite.h — the start and the end of a Criterion suite that runs the real
 * versus binary (test_faults, test_secrets, test_leaks, test_terminal, ...):
 * the binary found or the test skipped, a fresh home under /tmp, the fake
 * provider started, and all of it stopped and removed again. Each suite keeps
 * its own variables (bin, home, env, fp); these write the steps once.
 *
 * Asserts (Criterion): link it only into Criterion suites. Not for running the
 * child itself (harden/vchild.h) or the fake (fake/fakeprov.h). */
#ifndef VERSUS_TESTS_VSUITE_H
#define VERSUS_TESTS_VSUITE_H

#include <stddef.h>

#include "fake/fakeprov.h"

/* Writes the versus binary's path into bin (skips the test when it is not
 * built) and makes a fresh private directory /tmp/versus-NAME-XXXXXX into
 * home (asserts). */
void vsuite_home(const char *name, char *bin, size_t binlen, char *home, size_t homelen);
/* Starts the loopback fake provider with opt (NULL: defaults); asserts it
 * started. */
FakeProv *vsuite_fake(const FakeProvOptions *opt);
/* Makes home/config/versus (0700), where versus reads config.json. */
void vsuite_config_dir(const char *home);
/* The id of the one session saved under home (its file's name without
 * .json); asserts there is one. */
void vsuite_session_id(const char *home, char *id, size_t n);
/* Stops *fp, frees *env (either may be NULL, and both are set to NULL) and
 * removes home with everything in it. */
void vsuite_end(FakeProv **fp, char ***env, const char *home);

#endif
