/* utf8.h — making untrusted text safe to print or serialise.
 *
 * Bytes from providers and models are arbitrary: invalid UTF-8 must become
 * U+FFFD before it reaches JSON or a terminal, and terminal control sequences
 * from a hostile server must never reach the user's terminal. */
#ifndef VERSUS_UTF8_H
#define VERSUS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

enum {
    UTF8_KEEP_CONTROLS = 0,
    UTF8_NO_CONTROLS = 1, /* C0/C1 controls and DEL (but \n and \t) become U+FFFD */
};

/* Appends s[0..n) to out with every invalid or overlong sequence, surrogate
 * and NUL replaced by U+FFFD (one per maximal invalid subpart, as WHATWG
 * decoding does). Returns 0, or -1 when memory runs out. */
int utf8_sanitize(Buf *out, const char *s, size_t n, int flags);
/* The code point of the valid sequence at s[0..n) into *cp and its length
 * (1..4); 0 when the sequence is invalid, overlong, a surrogate or past
 * U+10FFFF (NUL decodes as 1 byte, U+0000). */
size_t utf8_decode(const char *s, size_t n, uint32_t *cp);
/* True when s[0..n) is valid UTF-8 without NULs. */
bool utf8_valid(const char *s, size_t n);
/* Length of the longest prefix of s[0..n) that does not end inside a
 * multi-byte sequence (so a stream can hold the rest back). */
size_t utf8_complete_prefix(const char *s, size_t n);

#endif
