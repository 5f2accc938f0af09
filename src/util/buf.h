/* buf.h — a growable byte buffer, always NUL-terminated.
 *
 * The one string-building tool in versus (no sprintf/strcat anywhere): append
 * bytes or formatted text, read ->data/->len. Not for binary-safe containers of
 * structures; use plain arrays for those. */
#ifndef VERSUS_BUF_H
#define VERSUS_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct Buf {
    char *data; /* NUL-terminated, NULL until the first append */
    size_t len; /* bytes, not counting the NUL */
    size_t cap; /* bytes allocated */
} Buf;

/* Appends n bytes; returns 0, or -1 when memory runs out (buf unchanged). */
int buf_append(Buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string. */
int buf_puts(Buf *b, const char *s);
/* Appends printf-style formatted text. */
int buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(Buf *b, const char *fmt, va_list ap);
/* Shortens the buffer to len bytes (no-op when it is already shorter). */
void buf_truncate(Buf *b, size_t len);
/* Empties the buffer, keeping its memory. */
void buf_reset(Buf *b);
/* Returns the data, or "" when nothing was appended; never NULL. */
const char *buf_str(const Buf *b);
/* Hands the data to the caller (free() it) and empties the buffer; never NULL
 * unless memory runs out. */
char *buf_steal(Buf *b);
/* Frees the memory; the buffer is empty and reusable afterwards. */
void buf_free(Buf *b);

#endif
