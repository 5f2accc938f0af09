/* base64.h — RFC 4648 base64 (standard alphabet, padded) for recorded bytes.
 * Binary-safe storage of raw response bodies inside JSON files. */
#ifndef VERSUS_BASE64_H
#define VERSUS_BASE64_H

#include <stddef.h>

/* A malloc'ed NUL-terminated encoding of n bytes; NULL when memory runs out. */
char *base64_encode(const void *data, size_t n);
/* Decodes s (whitespace ignored, padding optional); returns a malloc'ed buffer
 * of *n bytes (NUL-terminated for convenience), or NULL on invalid input/OOM. */
char *base64_decode(const char *s, size_t *n);

#endif
