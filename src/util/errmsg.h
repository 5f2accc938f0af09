/* errmsg.h — filling the caller's error buffer.
 *
 * Errors are values in versus: a function returns -1 (or NULL) and writes a
 * one-line reason into a buffer its caller owns. errmsg_set is the one
 * formatter for that buffer, so a NULL or zero-sized buffer is always safe
 * and a long message is always cut, never overflowed. Not for logging or
 * printing: nothing here writes anywhere but the buffer. */
#ifndef VERSUS_ERRMSG_H
#define VERSUS_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>

/* printf-style into err (errlen bytes, cut to fit, NUL-terminated); does
 * nothing when err is NULL or errlen is 0. Returns -1, so that a failing
 * function can end with `return errmsg_set(err, errlen, ...);`. */
int errmsg_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int errmsg_vset(char *err, size_t errlen, const char *fmt, va_list ap);

#endif
