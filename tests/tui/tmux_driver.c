/* tmux_driver.c — see tmux_driver.h. Uses fork/exec for the fake provider
 * and tmux's own command line for everything on screen. */
#include "tui/tmux_driver.h"

#include <dirent.h>
#include <stdbool.h>
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

int rig_tmux(TmuxRig *r, const char *args, char *out, size_t outlen)
{
    char cmd[16384];
    if (snprintf(cmd, sizeof cmd, "tmux -S '%s' %s 2>/dev/null", r->sock, args) >= (int)sizeof cmd)
        return -1;
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char sink[4096];
    size_t n = 0;
    if (out && outlen) {
        n = fread(out, 1, outlen - 1, p);
        out[n] = '\0';
    }
    while (fread(sink, 1, sizeof sink, p) > 0) {
    }
    int st = pclose(p);
    return st == 0 ? 0 : -1;
}

static int tmux(TmuxRig *r, const char *args)
{
    return rig_tmux(r, args, NULL, 0);
}

int rig_write(const TmuxRig *r, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    for (char *s = path + strlen(r->dir) + 1; (s = strchr(s, '/')); s++) {
        *s = '\0';
        if (mkdir(path, 0700) < 0 && errno != EEXIST)
            return -1;
        *s = '/';
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = strlen(text);
    int ok = fwrite(text, 1, n, f) == n;
    ok &= fchmod(fileno(f), 0600) == 0; /* versus refuses a config others can read */
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

int rig_read(const TmuxRig *r, const char *name, char *out, size_t outlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(out, 1, outlen - 1, f);
    out[n] = '\0';
    fclose(f);
    return 0;
}

/* Starts the fake provider; waits for its port file (an event: no budget
 * but the quiet limit, since nothing else can show progress). */
static int start_fake(TmuxRig *r)
{
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
    double deadline = now_ms() + RIG_QUIET_MS;
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
                return 0;
        }
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            r->fake_pid = -1;
            return -1;
        }
        pause_ms(20);
    }
    return -1;
}

/* Copies s into out with every "{port}" replaced by the fake's port and
 * every "{dir}" by the rig's directory. */
static void with_port(const TmuxRig *r, const char *s, char *out, size_t outlen)
{
    size_t o = 0;
    out[0] = '\0';
    while (*s && o + 1 < outlen) {
        if (strncmp(s, "{port}", 6) == 0 || strncmp(s, "{dir}", 5) == 0) {
            bool port = s[1] == 'p';
            int k = port ? snprintf(out + o, outlen - o, "%d", r->port) : snprintf(out + o, outlen - o, "%s", r->dir);
            if (k < 0 || (size_t)k >= outlen - o)
                break;
            o += (size_t)k;
            s += port ? 6 : 5;
        } else {
            out[o++] = *s++;
            out[o] = '\0';
        }
    }
}

int rig_start_opts(TmuxRig *r, const char *versus_args, const RigOptions *o)
{
    static const RigOptions defaults = { 0 };
    if (!o)
        o = &defaults;
    memset(r, 0, sizeof *r);
    r->fake_pid = -1;
    r->cols = o->cols > 0 ? o->cols : 160;
    r->rows = o->rows > 0 ? o->rows : 48;
    snprintf(r->dir, sizeof r->dir, "/tmp/versus-e2e-XXXXXX");
    if (!mkdtemp(r->dir))
        return -1;
    snprintf(r->sock, sizeof r->sock, "%s/tmux.sock", r->dir);
    if (start_fake(r) < 0)
        return -1;
    if (rig_write(r, "tmux.conf", o->tmux_conf ? o->tmux_conf : "") < 0)
        return -1;
    static char cfg[16384], argv_s[4096];
    if (o->config) {
        with_port(r, o->config, cfg, sizeof cfg);
        if (rig_write(r, "config/versus/config.json", cfg) < 0)
            return -1;
    }
    with_port(r, versus_args, argv_s, sizeof argv_s);
    versus_args = argv_s;
    char errto[400];
    if (o->stderr_on_screen)
        errto[0] = '\0';
    else
        snprintf(errto, sizeof errto, "2>%s/stderr", r->dir);
    char unset[512] = "";
    if (o->unset) {
        size_t u = 0;
        for (const char *w = o->unset; *w && u < sizeof unset;) {
            size_t l = strcspn(w, " ");
            if (l)
                u += (size_t)snprintf(unset + u, sizeof unset - u, "-u %.*s ", (int)l, w);
            w += l;
            w += strspn(w, " ");
        }
    }
    static char args[8192];
    snprintf(args, sizeof args,
             "-f '%s/tmux.conf' new-session -d -x %d -y %d "
             "\"env -u NO_COLOR %s %s HOME=%s XDG_CONFIG_HOME=%s/config XDG_DATA_HOME=%s/data "
             "XDG_STATE_HOME=%s/state XDG_CACHE_HOME=%s/cache "
             "OPENAI_BASE_URL=http://127.0.0.1:%d/v1 OPENAI_API_KEY=sk-test-e2e TERM=%s %s "
             "%s/versus %s %s; echo VERSUS-EXITED-\\$?; exec cat -v\"",
             r->dir, r->cols, r->rows, o->keep_tmux_env ? "" : "-u TMUX", unset, r->dir, r->dir, r->dir, r->dir,
             r->dir, r->port, o->term ? o->term : "xterm-256color", o->env ? o->env : "", builddir(),
             versus_args, errto);
    if (tmux(r, args) < 0)
        return -1;
    return 0;
}

int rig_start(TmuxRig *r, const char *versus_args)
{
    static const RigOptions o = { .tmux_conf = "set-option -g set-clipboard on\n" };
    return rig_start_opts(r, versus_args, &o);
}

void rig_stop(TmuxRig *r)
{
    if (r->sock[0])
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
    static char args[8192];
    snprintf(args, sizeof args, "send-keys %s", keys);
    return tmux(r, args);
}

/* Writes text to a file in the rig directory and returns its path. */
static int text_file(TmuxRig *r, const char *text, char *path, size_t pathlen)
{
    static unsigned seq;
    char name[64];
    snprintf(name, sizeof name, "text-%u", ++seq);
    snprintf(path, pathlen, "%s/%s", r->dir, name);
    return rig_write(r, name, text);
}

int rig_type(TmuxRig *r, const char *text)
{
    /* through a paste buffer without -p: the bytes arrive as typed */
    char path[512], args[1024];
    if (text_file(r, text, path, sizeof path) < 0)
        return -1;
    snprintf(args, sizeof args, "load-buffer -b typed '%s' \\; paste-buffer -d -r -b typed", path);
    return tmux(r, args);
}

int rig_paste(TmuxRig *r, const char *text)
{
    char path[512], args[1024];
    if (text_file(r, text, path, sizeof path) < 0)
        return -1;
    snprintf(args, sizeof args, "load-buffer -b pasted '%s' \\; paste-buffer -p -d -b pasted", path);
    return tmux(r, args);
}

static int capture(TmuxRig *r, const char *flags)
{
    char args[64];
    snprintf(args, sizeof args, "capture-pane -p %s", flags);
    return rig_tmux(r, args, r->screen, sizeof r->screen);
}

int rig_capture(TmuxRig *r)
{
    return capture(r, "");
}

int rig_capture_escapes(TmuxRig *r)
{
    return capture(r, "-e");
}

int rig_count(const TmuxRig *r, const char *needle)
{
    int c = 0;
    size_t nl = strlen(needle);
    for (const char *p = r->screen; (p = strstr(p, needle)); p += nl)
        c++;
    return c;
}

/* Polls until done(r) says yes; gives up after quiet_ms of a still screen,
 * when versus exits during the wait (unless the caller waits for that), or
 * at the guard. */
static bool poll_until(TmuxRig *r, bool (*done)(TmuxRig *, const void *), const void *arg, int quiet_ms,
                       bool exit_ends)
{
    static char last[sizeof r->screen];
    if (quiet_ms <= 0)
        quiet_ms = RIG_QUIET_MS;
    double start = now_ms(), changed = start;
    last[0] = '\0';
    /* versus already gone when the wait began: the caller waits for what
     * comes after it (the shell's `cat -v` echoing a paste), so its exit
     * line is no reason to stop */
    bool gone_before = rig_capture(r) == 0 && strstr(r->screen, "VERSUS-EXITED-");
    for (;;) {
        if (rig_capture(r) == 0 && done(r, arg))
            return true;
        double t = now_ms();
        if (strcmp(last, r->screen) != 0) {
            snprintf(last, sizeof last, "%s", r->screen);
            changed = t;
        }
        if (exit_ends && !gone_before && strstr(r->screen, "VERSUS-EXITED-"))
            return false; /* it is gone: waiting longer will not help */
        if (t - changed > quiet_ms || t - start > RIG_MAX_WAIT_MS)
            return false;
        pause_ms(30);
    }
}

typedef struct Needle {
    const char *s;
    int times;
} Needle;

static bool seen(TmuxRig *r, const void *arg)
{
    const Needle *n = arg;
    return rig_count(r, n->s) >= n->times;
}

static bool gone(TmuxRig *r, const void *arg)
{
    return !strstr(r->screen, (const char *)arg);
}

bool rig_wait(TmuxRig *r, const char *needle, int times, int quiet_ms)
{
    Needle n = { needle, times };
    return poll_until(r, seen, &n, quiet_ms, !strstr(needle, "VERSUS-EXITED-"));
}

bool rig_wait_for(TmuxRig *r, bool (*done)(TmuxRig *, const void *), const void *arg, int quiet_ms)
{
    return poll_until(r, done, arg, quiet_ms, true);
}

void rig_nap(int ms)
{
    pause_ms(ms);
}

bool rig_wait_gone(TmuxRig *r, const char *needle, int quiet_ms)
{
    return poll_until(r, gone, needle, quiet_ms, true);
}

void rig_settle(TmuxRig *r, int still_ms)
{
    static char last[sizeof r->screen];
    double changed = now_ms(), start = changed;
    last[0] = '\0';
    while (now_ms() - changed < still_ms && now_ms() - start < RIG_MAX_WAIT_MS) {
        if (rig_capture(r) == 0 && strcmp(last, r->screen) != 0) {
            snprintf(last, sizeof last, "%s", r->screen);
            changed = now_ms();
        }
        pause_ms(20);
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
    r->cols = cols;
    r->rows = rows;
    return tmux(r, args);
}

/* The child of pid named versus, from /proc. */
static pid_t child_named(pid_t parent, const char *name)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -1;
    pid_t found = -1;
    struct dirent *de;
    while (found < 0 && (de = readdir(d))) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char path[64], stat[512] = "";
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(stat, 1, sizeof stat - 1, f);
        stat[n] = '\0';
        fclose(f);
        /* pid (comm) state ppid ... */
        char *lp = strchr(stat, '('), *rp = strrchr(stat, ')');
        if (!lp || !rp || rp < lp)
            continue;
        long ppid = strtol(rp + 3, NULL, 10);
        if (ppid == parent && (size_t)(rp - lp - 1) == strlen(name) && strncmp(lp + 1, name, strlen(name)) == 0)
            found = (pid_t)pid;
    }
    closedir(d);
    return found;
}

pid_t rig_versus_pid(TmuxRig *r)
{
    char out[64];
    if (rig_tmux(r, "display-message -p '#{pane_pid}'", out, sizeof out) < 0)
        return -1;
    long shell = strtol(out, NULL, 10);
    if (shell <= 0)
        return -1;
    pid_t p = child_named((pid_t)shell, "versus");
    return p > 0 ? p : child_named((pid_t)shell, "lt-versus");
}
