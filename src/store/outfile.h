/* outfile.h — the one writer of whole files: sessions, and every file handed
 * to people or other tools (exports, reports, JUnit XML, the TUI's :export).
 *
 * A file is replaced whole or not at all: the bytes go to a temporary file
 * beside the target (created 0600 whatever the umask), are fsync'ed, renamed
 * over the target, and the directory entry is synced. Files meant for people
 * and tools may hold prompts and replies of any data class, so they are
 * private too, and every secret-looking environment value in them is masked
 * (core/keyfilter.h: every key versus holds, in any encoding). Not for reading (util/file.h) or streaming output. */
#ifndef VERSUS_OUTFILE_H
#define VERSUS_OUTFILE_H

#include <stddef.h>

/* Writes data[0..len) to path with secrets masked (on a copy): atomically as
 * above for a new or regular file; written in place for an existing device
 * or FIFO (-o /dev/null, /dev/stdout); standard output for NULL or "-".
 * 0, or -1 with err ("PATH: what went wrong"). */
int outfile_write(const char *path, const char *data, size_t len, char *err, size_t errlen);

/* The atomic replace alone (no masking, path must be given): temporary file
 * 0600 beside path, fsync, rename, fsync of the directory. 0, or -1 with err. */
int outfile_replace(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
