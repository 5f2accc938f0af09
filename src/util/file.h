/* file.h — reading a whole file (or a whole stream) into memory, bounded.
 *
 * The one place versus reads a file whole: config, prices, themes, prompt
 * files, sessions, fixtures, policies. Only regular files are read: a
 * directory, FIFO, device or socket is refused with a message, never waited
 * on (the open is non-blocking, the type comes from fstat on the open
 * descriptor). A size bound is always given, and the error names the file
 * and what is wrong. Not for model files (engine/gguf.c maps those) or for
 * writing (store/ writes atomically). */
#ifndef VERSUS_FILE_H
#define VERSUS_FILE_H

#include <stddef.h>

#include "util/buf.h"

/* What went wrong, as util_read_file returns it. */
typedef enum UtilFileStatus {
    UTIL_FILE_OK = 0,
    UTIL_FILE_MISSING = -1,     /* no such file (ENOENT, ENOTDIR) */
    UTIL_FILE_NOT_REGULAR = -2, /* a directory, FIFO, device or socket */
    UTIL_FILE_TOO_LARGE = -3,   /* more than max_bytes */
    UTIL_FILE_UNREADABLE = -4,  /* permission, I/O error, out of memory */
} UtilFileStatus;

/* Reads the regular file at path, at most max_bytes, into out (emptied first;
 * NUL-terminated, out->len bytes). Returns UTIL_FILE_OK, or a negative
 * UtilFileStatus with out empty and err filled ("PATH: what is wrong"). */
int util_read_file(const char *path, size_t max_bytes, Buf *out, char *err, size_t errlen);
/* Reads fd to its end (a pipe, a terminal, standard input), at most
 * max_bytes, into out (emptied first). name labels the errors ("standard
 * input"). UTIL_FILE_OK, or UTIL_FILE_TOO_LARGE / UTIL_FILE_UNREADABLE with
 * out empty and err filled. Does not close fd. */
int util_read_fd(int fd, const char *name, size_t max_bytes, Buf *out, char *err, size_t errlen);

#endif
