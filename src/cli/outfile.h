/* outfile.h — opening the file a subcommand's -o names.
 *
 * Exports, reports and JUnit files can hold prompts and replies of any data
 * class, so they are created private (0600) whatever the umask, like sessions. */
#ifndef VERSUS_CLI_OUTFILE_H
#define VERSUS_CLI_OUTFILE_H

#include <stdio.h>

/* stdout for NULL or "-"; else the file, created 0600 (an existing file is
 * truncated and keeps its mode). NULL with errno on failure. */
FILE *cli_open_output(const char *path);
/* Closes what cli_open_output returned (not stdout); 0 or EOF on a write error. */
int cli_close_output(FILE *f);

#endif
