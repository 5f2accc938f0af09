/* atomicfile.h — replacing a file whole or not at all.
 *
 * The data goes to a temporary file beside the target (".NAME.tmp.XXXXXX",
 * same directory so the rename is atomic), is flushed to disk, and renamed
 * over the target; the directory is synced too. A failure at any point (a
 * full disk, a file size limit, a kill) leaves the previous file whole; a
 * killed writer leaves only the temporary file, which the next writer of
 * that directory may remove (atomicfile_is_temp tells them apart). Not for
 * appending or for streams. */
#ifndef VERSUS_ATOMICFILE_H
#define VERSUS_ATOMICFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Writes data[0..len) to path atomically with the given mode (e.g. 0600,
 * whatever the umask). 0, or -1 with err ("can not write PATH: reason; the
 * previous file is unchanged"). */
int atomicfile_write(const char *path, const char *data, size_t len, mode_t mode, char *err, size_t errlen);
/* True for a name atomicfile_write uses for its temporary files. */
bool atomicfile_is_temp(const char *name);

#endif
