/* maxrss.c — versus-maxrss OUTFILE PROGRAM [ARGS...]: runs PROGRAM and writes
 * its peak resident set (KiB, from wait4) to OUTFILE, exiting with its exit
 * status (128 + signal when killed).
 *
 * Why a separate process: a child's ru_maxrss also counts the memory of the
 * process it was spawned from (the address space it shared until exec), so a
 * large test process would hide the peak of a small versus run. This helper
 * is small, so what it reports is versus's own peak. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: versus-maxrss OUTFILE PROGRAM [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("versus-maxrss: fork");
        return 2;
    }
    if (pid == 0) {
        execv(argv[2], argv + 2);
        fprintf(stderr, "versus-maxrss: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0)
        if (errno != EINTR) {
            perror("versus-maxrss: wait4");
            return 2;
        }
    FILE *f = fopen(argv[1], "w");
    if (f) {
        fprintf(f, "%ld\n", ru.ru_maxrss);
        fclose(f);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
