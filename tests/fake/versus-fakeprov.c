/* versus-fakeprov.c — the fake provider as a standalone server, for manual
 * use and for the TUI tests in tmux.
 *
 *   versus-fakeprov --port-file FILE [--port N] [--scenario NAME] [--transcripts DIR]
 *
 * Binds 127.0.0.1 (port 0 = any free one), writes the port number and a
 * newline to FILE (atomically: FILE.tmp then rename), and serves until
 * SIGTERM, SIGINT or SIGHUP, then shuts down cleanly and exits 0. --scenario
 * is what model names that are no scenario get (default happy); see
 * fakeprov.h for the scenario names. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake/fakeprov.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: versus-fakeprov --port-file FILE [--port N] [--scenario NAME] [--transcripts DIR]\n"
               "Serves the fake OpenAI/Anthropic/Gemini/Ollama APIs on 127.0.0.1 until killed.\n");
}

static int write_port_file(const char *path, int port)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%d\n", port) > 0;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        remove(tmp);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *port_file = NULL;
    FakeProvOptions opt = { .port = 0 };
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (i + 1 >= argc) {
            usage(stderr);
            return 2;
        }
        if (strcmp(argv[i], "--port-file") == 0) {
            port_file = argv[++i];
        } else if (strcmp(argv[i], "--scenario") == 0) {
            opt.scenario = argv[++i];
        } else if (strcmp(argv[i], "--transcripts") == 0) {
            opt.transcript_dir = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0) {
            char *end = NULL;
            errno = 0;
            long p = strtol(argv[++i], &end, 10);
            if (errno || *end || p < 0 || p > 65535) {
                fprintf(stderr, "versus-fakeprov: bad port '%s'\n", argv[i]);
                return 2;
            }
            opt.port = (int)p;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!port_file) {
        usage(stderr);
        return 2;
    }
    /* Block the stop signals in every thread; the main thread waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[256];
    FakeProv *fp = fakeprov_start(&opt, err, sizeof err);
    if (!fp) {
        fprintf(stderr, "versus-fakeprov: %s\n", err);
        return 1;
    }
    if (write_port_file(port_file, fakeprov_port(fp)) < 0) {
        fprintf(stderr, "versus-fakeprov: cannot write %s: %s\n", port_file, strerror(errno));
        fakeprov_stop(fp);
        return 1;
    }
    int sig = 0;
    sigwait(&set, &sig);
    fakeprov_stop(fp);
    return 0;
}
