/* redact.h — keeping secrets out of every file the store writes.
 *
 * versus never stores request headers, so auth headers can not reach a file;
 * but a provider may echo a key in an error message, or a user may paste one.
 * Before anything is written, every value of an environment variable that
 * looks like a secret (name containing API_KEY, TOKEN, SECRET, PASSWORD or
 * ending in _KEY, value of 8+ bytes) is masked with '*' of the same length,
 * so byte offsets (recording chunks) stay valid. */
#ifndef VERSUS_REDACT_H
#define VERSUS_REDACT_H

#include <stddef.h>

/* Masks every secret value found in buf[0..n) in place; returns how many. */
size_t redact_secrets(char *buf, size_t n);
/* True when an environment variable of this name is treated as a secret. */
int redact_is_secret_name(const char *name);

#endif
