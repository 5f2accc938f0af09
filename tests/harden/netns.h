/* netns.h — a private network namespace for the perimeter tests.
 *
 * The calling test process moves into a new network namespace (inside a new
 * user namespace when it is not root) where only loopback exists: lo is
 * brought up and the given IPv4 addresses (10.9.9.9, 203.0.113.7, ...) are
 * added to it, so servers the test starts there stand in for "the outside
 * world" and nothing can leave the machine. Threads and processes started
 * afterwards inherit the namespace. Call it first thing in a test body,
 * before starting any thread. Not for: anything outside tests. */
#ifndef VERSUS_TESTS_NETNS_H
#define VERSUS_TESTS_NETNS_H

#include <stddef.h>

/* Enters the namespace and adds addrs (NULL-terminated IPv4 literals) to lo.
 * 0, or -1 with why saying what is unavailable (the caller skips visibly). */
int netns_enter(const char *const *addrs, char *why, size_t whylen);

#endif
