/* outfile.c — -o files: private and atomic (see outfile.h). */
#include "cli/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/atomicfile.h"

int cli_write_output(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    if (!path || strcmp(path, "-") == 0) {
        if ((len && fwrite(data, 1, len, stdout) != len) || fflush(stdout) != 0) {
            snprintf(err, errlen, "writing to standard output failed: %s", strerror(errno));
            return -1;
        }
        return 0;
    }
    return atomicfile_write(path, data, len, 0600, err, errlen);
}
