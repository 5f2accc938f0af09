/* outfile.h — writing what a subcommand's -o names (exports, reports, JUnit).
 *
 * Such files can hold prompts and replies of any data class, so they are
 * created private (0600) whatever the umask, like sessions, and replaced
 * atomically: a failed write (a full disk, a file size limit) leaves the
 * previous file whole. */
#ifndef VERSUS_CLI_OUTFILE_H
#define VERSUS_CLI_OUTFILE_H

#include <stddef.h>

/* Writes data[0..len) to path (standard output for NULL or "-"): a file is
 * written to a temporary file beside it and renamed over it, mode 0600. 0,
 * or -1 with err saying what failed and that the previous file is unchanged. */
int cli_write_output(const char *path, const char *data, size_t len, char *err, size_t errlen);

#endif
