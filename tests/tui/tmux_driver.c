/* tmux_driver.c — see tmux_driver.h. Uses fork/exec for the fake provider
 * and tmux's own command line for everything on screen. */
#include "tui/tmux_driver.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *builddir(void)
{
    const char *b = getenv("VERSUS_BUILDDIR");
    return b ? b : ".";
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void pause_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

const char *rig_unavailable(void)
{
    static char why[512];
    if (system("command -v tmux >/dev/null 2>&1") != 0)
        return "tmux is not installed";
    snprintf(why, sizeof why, "%s/versus", builddir());
    if (access(why, X_OK) != 0) {
        snprintf(why, sizeof why, "%s/versus not built", builddir());
        return why;
    }
    snprintf(why, sizeof why, "%s/tests/fake/versus-fakeprov", builddir());
    if (access(why, X_OK) != 0) {
        snprintf(why, sizeof why, "%s/tests/fake/versus-fakeprov not built", builddir());
        return why;
    }
    return NULL;
}

static int tmux(TmuxRig *r, const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "tmux -S '%s' %s >/dev/null 2>&1", r->sock, args);
    return system(cmd) == 0 ? 0 : -1;
}

int rig_start(TmuxRig *r, const char *versus_args)
{
    memset(r, 0, sizeof *r);
    r->fake_pid = -1;
    snprintf(r->dir, sizeof r->dir, "/tmp/versus-e2e-XXXXXX");
    if (!mkdtemp(r->dir))
        return -1;
    snprintf(r->sock, sizeof r->sock, "%s/tmux.sock", r->dir);
    char portfile[400], fake[1024];
    snprintf(portfile, sizeof portfile, "%s/port", r->dir);
    snprintf(fake, sizeof fake, "%s/tests/fake/versus-fakeprov", builddir());
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(fake, fake, "--port-file", portfile, (char *)NULL);
        _exit(127);
    }
    r->fake_pid = pid;
    double deadline = now_ms() + 10000;
    while (now_ms() < deadline) {
        FILE *f = fopen(portfile, "r");
        if (f) {
            char buf[32] = "";
            if (fgets(buf, sizeof buf, f)) {
                char *end;
                long p = strtol(buf, &end, 10);
                if (p > 0 && p < 65536 && (*end == '\n' || *end == '\0'))
                    r->port = (int)p;
            }
            fclose(f);
            if (r->port)
                break;
        }
        pause_ms(20);
    }
    if (!r->port)
        return -1;
    char args[4096];
    snprintf(args, sizeof args,
             "-f /dev/null new-session -d -x 160 -y 48 "
             "\"env -u NO_COLOR -u TMUX HOME=%s XDG_CONFIG_HOME=%s/config XDG_DATA_HOME=%s/data "
             "XDG_STATE_HOME=%s/state XDG_CACHE_HOME=%s/cache "
             "OPENAI_BASE_URL=http://127.0.0.1:%d/v1 OPENAI_API_KEY=sk-test-e2e TERM=xterm-256color "
             "%s/versus %s 2>%s/stderr; echo VERSUS-EXITED-\\$?; sleep 60\"",
             r->dir, r->dir, r->dir, r->dir, r->dir, r->port, builddir(), versus_args, r->dir);
    if (tmux(r, args) < 0)
        return -1;
    tmux(r, "set-option -g set-clipboard on");
    return 0;
}

void rig_stop(TmuxRig *r)
{
    tmux(r, "kill-server");
    if (r->fake_pid > 0) {
        kill(r->fake_pid, SIGTERM);
        waitpid(r->fake_pid, NULL, 0);
        r->fake_pid = -1;
    }
    if (r->dir[0]) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
        if (system(cmd) != 0) {
        }
    }
}

int rig_keys(TmuxRig *r, const char *keys)
{
    char args[2048];
    snprintf(args, sizeof args, "send-keys %s", keys);
    return tmux(r, args);
}

int rig_capture(TmuxRig *r)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -p 2>/dev/null", r->sock);
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    size_t n = fread(r->screen, 1, sizeof r->screen - 1, p);
    r->screen[n] = '\0';
    pclose(p);
    return 0;
}

int rig_count(const TmuxRig *r, const char *needle)
{
    int c = 0;
    size_t nl = strlen(needle);
    for (const char *p = r->screen; (p = strstr(p, needle)); p += nl)
        c++;
    return c;
}

bool rig_wait(TmuxRig *r, const char *needle, int times, int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;
    for (;;) {
        if (rig_capture(r) == 0 && rig_count(r, needle) >= times)
            return true;
        if (strstr(r->screen, "VERSUS-EXITED-") && !strstr(needle, "VERSUS-EXITED-"))
            return false; /* it is gone: waiting longer will not help */
        if (now_ms() > deadline)
            return false;
        pause_ms(30);
    }
}

void rig_line(const TmuxRig *r, int n, char *out, size_t outlen)
{
    const char *p = r->screen;
    for (int i = 0; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    out[0] = '\0';
    if (!p)
        return;
    const char *e = strchr(p, '\n');
    size_t l = e ? (size_t)(e - p) : strlen(p);
    if (l >= outlen)
        l = outlen - 1;
    memcpy(out, p, l);
    out[l] = '\0';
}

int rig_resize(TmuxRig *r, int cols, int rows)
{
    char args[128];
    snprintf(args, sizeof args, "resize-window -x %d -y %d", cols, rows);
    return tmux(r, args);
}
