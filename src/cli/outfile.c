/* outfile.c — private output files for -o (see outfile.h). */
#include "cli/outfile.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>

FILE *cli_open_output(const char *path)
{
    if (!path || strcmp(path, "-") == 0)
        return stdout;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f)
        close(fd);
    return f;
}

int cli_close_output(FILE *f)
{
    if (f == stdout)
        return fflush(stdout);
    return fclose(f);
}
