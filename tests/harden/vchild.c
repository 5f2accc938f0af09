/* vchild.c — see vchild.h: the real versus binary in a private environment,
 * with a deadline and captured output. */
#include "harden/vchild.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"

static size_t env_count(char **env)
{
    size_t n = 0;
    while (env && env[n])
        n++;
    return n;
}

void vchild_env_set(char ***env, const char *name, const char *value)
{
    size_t n = env_count(*env), nl = strlen(name);
    for (size_t i = 0; i < n; i++) {
        if (strncmp((*env)[i], name, nl) == 0 && (*env)[i][nl] == '=') {
            free((*env)[i]);
            if (value) {
                Buf b = { 0 };
                buf_printf(&b, "%s=%s", name, value);
                (*env)[i] = buf_steal(&b);
            } else {
                memmove(&(*env)[i], &(*env)[i + 1], (n - i) * sizeof **env);
            }
            return;
        }
    }
    if (!value)
        return;
    char **grown = realloc(*env, (n + 2) * sizeof *grown);
    if (!grown)
        abort();
    Buf b = { 0 };
    buf_printf(&b, "%s=%s", name, value);
    grown[n] = buf_steal(&b);
    grown[n + 1] = NULL;
    *env = grown;
}

char **vchild_env_new(const char *home, const char *fake_url)
{
    char **env = calloc(1, sizeof *env);
    if (!env)
        abort();
    char path[1024];
    vchild_env_set(&env, "PATH", "/usr/bin:/bin");
    vchild_env_set(&env, "HOME", home);
    static const char *const xdg[][2] = { { "XDG_CONFIG_HOME", "config" }, { "XDG_DATA_HOME", "data" },
                                          { "XDG_CACHE_HOME", "cache" }, { "XDG_STATE_HOME", "state" } };
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", home, xdg[i][1]);
        vchild_env_set(&env, xdg[i][0], path);
    }
    vchild_env_set(&env, "LANG", "C.UTF-8");
    vchild_env_set(&env, "TERM", "dumb");
    if (fake_url) {
        snprintf(path, sizeof path, "%s/v1", fake_url);
        vchild_env_set(&env, "OPENAI_BASE_URL", path);
        vchild_env_set(&env, "ANTHROPIC_BASE_URL", fake_url);
        vchild_env_set(&env, "GEMINI_BASE_URL", fake_url);
        vchild_env_set(&env, "OLLAMA_HOST", fake_url);
    }
    /* sanitizer settings of a sanitized build (bootstrap's build-san) carry over */
    static const char *const keep[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS" };
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        if (getenv(keep[i]))
            vchild_env_set(&env, keep[i], getenv(keep[i]));
    vchild_env_set(&env, "OPENAI_API_KEY", VCHILD_KEY_OPENAI);
    vchild_env_set(&env, "ANTHROPIC_API_KEY", VCHILD_KEY_ANTHROPIC);
    vchild_env_set(&env, "GEMINI_API_KEY", VCHILD_KEY_GEMINI);
    return env;
}

void vchild_env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++)
        free(env[i]);
    free(env);
}

bool vchild_binary(char *out, size_t outlen)
{
    const char *bd = getenv("VERSUS_BUILDDIR");
    if (!bd)
        return false;
    snprintf(out, outlen, "%s/versus", bd);
    return access(out, X_OK) == 0;
}

/* argv for bin: bin, then args (NULL-terminated; at most 126 of them). */
static void make_argv(const char *argv[128], const char *bin, const char *const *args)
{
    size_t na = 0;
    argv[na++] = bin;
    for (size_t i = 0; args[i] && na < 126; i++)
        argv[na++] = args[i];
    argv[na] = NULL;
}

static int start_with(const char *bin, const char *const *args, char *const *env, const char *stdin_data,
                      size_t stdin_len, VChild *c);

int vchild_start(const char *bin, const char *const *args, char *const *env, const char *stdin_text, VChild *c)
{
    return start_with(bin, args, env, stdin_text, stdin_text ? strlen(stdin_text) : 0, c);
}

int vchild_run_bytes(const char *bin, const char *const *args, char *const *env, const char *stdin_data,
                     size_t stdin_len, int deadline_ms, bool json, VResult *r)
{
    VChild c;
    if (start_with(bin, args, env, stdin_data, stdin_len, &c) < 0) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    vchild_finish(&c, deadline_ms, json, r);
    return 0;
}

static int start_with(const char *bin, const char *const *args, char *const *env, const char *stdin_text,
                      size_t stdin_len, VChild *c)
{
    const char *argv[128];
    make_argv(argv, bin, args);
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(out, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    if (pipe2(err, O_CLOEXEC) < 0) {
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    c->t0 = clock_now_ms();
    int rc = posix_spawn(&c->pid, bin, &fa, &attr, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (rc != 0) {
        close(in[1]);
        close(out[0]);
        close(err[0]);
        errno = rc;
        return -1;
    }
    if (stdin_text) {
        size_t len = stdin_len, off = 0;
        signal(SIGPIPE, SIG_IGN); /* a child that exits early must not kill the test */
        while (off < len) {
            ssize_t w = write(in[1], stdin_text + off, len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    close(in[1]);
    c->out = out[0];
    c->err = err[0];
    return 0;
}

void vchild_finish_watched(VChild *c, int deadline_ms, bool json, int tick_ms, VChildTickFn tick, void *user,
                           VResult *r)
{
    memset(r, 0, sizeof *r);
    struct pollfd pf[2] = { { .fd = c->out, .events = POLLIN }, { .fd = c->err, .events = POLLIN } };
    Buf *dst[2] = { &r->out, &r->err };
    int open_fds = 2;
    double next_tick = c->t0;
    while (open_fds) {
        double now = clock_now_ms();
        int left = (int)(c->t0 + deadline_ms - now);
        if (left <= 0) {
            r->timed_out = true;
            kill(c->pid, SIGKILL);
            break;
        }
        if (tick && now >= next_tick) {
            tick(user, c->pid, r, now);
            next_tick = now + tick_ms;
        }
        if (tick && next_tick - now < left)
            left = next_tick - now > 0 ? (int)(next_tick - now) : 0;
        int n = poll(pf, 2, left);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (pf[i].fd < 0 || !pf[i].revents)
                continue;
            char tmp[65536];
            ssize_t got = read(pf[i].fd, tmp, sizeof tmp);
            if (got > 0) {
                buf_append(dst[i], tmp, (size_t)got);
            } else if (got == 0 || errno != EINTR) {
                close(pf[i].fd);
                pf[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (pf[i].fd >= 0)
            close(pf[i].fd);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(c->pid, &status, 0, &ru) < 0 && errno == EINTR)
        ;
    r->elapsed_ms = clock_now_ms() - c->t0;
    r->max_rss_kb = ru.ru_maxrss;
    r->cpu_s = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
               ru.ru_stime.tv_usec / 1e6;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    if (json)
        r->json = cJSON_Parse(buf_str(&r->out));
}

void vchild_finish(VChild *c, int deadline_ms, bool json, VResult *r)
{
    vchild_finish_watched(c, deadline_ms, json, 0, NULL, NULL, r);
}

int vchild_run(const char *bin, const char *const *args, char *const *env, const char *stdin_text, int deadline_ms,
               bool json, VResult *r)
{
    VChild c;
    if (vchild_start(bin, args, env, stdin_text, &c) < 0) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    vchild_finish(&c, deadline_ms, json, r);
    return 0;
}

void vchild_result_free(VResult *r)
{
    buf_free(&r->out);
    buf_free(&r->err);
    cJSON_Delete(r->json);
    r->json = NULL;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void vchild_rm_tree(const char *dir)
{
    if (dir && dir[0])
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

void vchild_env_add_asan(char ***env, const char *options)
{
    Buf b = { 0 };
    const char *cur = getenv("ASAN_OPTIONS");
    buf_printf(&b, "%s%s%s", cur && *cur ? cur : "", cur && *cur ? ":" : "", options);
    vchild_env_set(env, "ASAN_OPTIONS", buf_str(&b));
    buf_free(&b);
}

int vchild_run_tty(const char *bin, const char *const *args, char *const *env, int deadline_ms, VResult *r)
{
    memset(r, 0, sizeof *r);
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) < 0)
        return -1;
    fcntl(master, F_SETFD, FD_CLOEXEC);
    const char *argv[128];
    make_argv(argv, bin, args);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, slave, 1);
    posix_spawn_file_actions_adddup2(&fa, slave, 2);
    posix_spawn_file_actions_addclose(&fa, slave);
    pid_t pid;
    double t0 = clock_now_ms();
    int rc = posix_spawn(&pid, bin, &fa, NULL, (char *const *)argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(slave);
    if (rc != 0) {
        close(master);
        errno = rc;
        return -1;
    }
    for (;;) {
        int left = (int)(t0 + deadline_ms - clock_now_ms());
        if (left <= 0) {
            r->timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        struct pollfd pf = { .fd = master, .events = POLLIN };
        if (poll(&pf, 1, left) <= 0)
            continue;
        char tmp[4096];
        ssize_t got = read(master, tmp, sizeof tmp);
        if (got <= 0)
            break; /* EIO once the last slave descriptor is closed */
        buf_append(&r->out, tmp, (size_t)got);
    }
    close(master);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->elapsed_ms = clock_now_ms() - t0;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return 0;
}
