/* soak_run.c — see soak_run.h: the streaming and the rounds soak. */
#include "soak/soak_run.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "fake/fakeprov.h"
#include "harden/vchild.h"
#include "store/session.h"
#include "testenv.h"

#define SOAK_HANG_MS TESTENV_HANG_MS /* one round's run: only a hang reaches it */

/* One streamed delta, always the same size so the fake's fixed-size pieces
 * hold a whole number of them. */
#define SOAK_EVENT "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n"

static int write_all(const char *path, const Buf *b)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < b->len) {
        ssize_t w = write(fd, b->data + off, b->len - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    return close(fd);
}

/* VmRSS of pid in KiB, or -1. */
static long proc_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            char *end;
            kb = strtol(line + 6, &end, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* Open descriptors of pid, or -1. */
static int proc_fds(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* What soak_streams samples while versus runs: its resident memory and open
 * descriptors, every 250 ms, from /proc. */
typedef struct Sampler {
    SoakStreams *out;
    double t0;      /* the child's start, ms */
    double warm_ms; /* the baseline sample is no earlier than this... */
    FakeProv *fp;   /* ...and no earlier than every stream is under way in the fake */
    int models;
    bool started;
} Sampler;

static void sample(void *user, pid_t pid, const VResult *sofar, double now_ms)
{
    (void)sofar;
    Sampler *sm = user;
    SoakStreams *out = sm->out;
    long rss = proc_rss_kb(pid);
    int fds = proc_fds(pid);
    if (rss <= 0 || fds <= 0)
        return;
    out->samples++;
    if (!sm->started && now_ms - sm->t0 >= sm->warm_ms && fakeprov_max_active(sm->fp) >= sm->models) {
        sm->started = true;
        out->rss_kb_start = rss;
        out->fds_start = fds;
    }
    out->rss_kb_end = rss;
    if (rss > out->rss_kb_peak)
        out->rss_kb_peak = rss;
    if (fds > out->fds_max)
        out->fds_max = fds;
}

static int make_home(char *home, size_t len, const char *tag)
{
    snprintf(home, len, "/tmp/versus-soak-%s-XXXXXX", tag);
    return mkdtemp(home) ? 0 : -1;
}

int soak_streams(const SoakStreamsOpt *opt, SoakStreams *out)
{
    memset(out, 0, sizeof *out);
    char home[256], path[512], err[256];
    if (make_home(home, sizeof home, "streams") < 0) {
        snprintf(out->error, sizeof out->error, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    /* the transcript: tps * seconds deltas, then the end of an OpenAI stream */
    long n = (long)opt->tps * opt->seconds;
    out->deltas_expected = n;
    Buf t = { 0 };
    for (long i = 0; i < n; i++)
        buf_puts(&t, SOAK_EVENT);
    buf_printf(&t,
               "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
               "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":%ld,\"total_tokens\":%ld}}\n\n"
               "data: [DONE]\n\n", n, n + 3);
    snprintf(path, sizeof path, "%s/transcripts", home);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/transcripts/soak.sse", home);
    int rc = write_all(path, &t);
    buf_free(&t);
    if (rc < 0) {
        snprintf(out->error, sizeof out->error, "%s: %s", path, strerror(errno));
        vchild_rm_tree(home);
        return -1;
    }
    /* pacing: a piece of k events every gap microseconds = tps events/s */
    long gap_us = 10000, per_piece = (long)opt->tps * gap_us / 1000000;
    if (per_piece < 1) {
        per_piece = 1;
        gap_us = 1000000 / opt->tps;
    }
    long chunk = per_piece * (long)strlen(SOAK_EVENT);

    snprintf(path, sizeof path, "%s/transcripts", home);
    FakeProvOptions fo = { .transcript_dir = path };
    FakeProv *fp = fakeprov_start(&fo, err, sizeof err);
    if (!fp) {
        snprintf(out->error, sizeof out->error, "fakeprov: %s", err);
        vchild_rm_tree(home);
        return -1;
    }
    char **env = vchild_env_new(home, fakeprov_url(fp));
    /* in a sanitized build, freed memory sits in ASan's quarantine (up to
     * 256 MiB) and would read as growth */
    vchild_env_add_asan(&env, "quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
    char timeout[32];
    /* versus's own --timeout and the harness's deadline only guard against
     * a hang: a loaded machine under ASan may take many times the natural
     * length, and losing nothing is the property, not keeping pace */
    int timeout_s = opt->seconds * 4 + 300;
    snprintf(timeout, sizeof timeout, "%d", timeout_s);
    const char *args[8 + 2 * 64] = { "run", "--no-progress", "-f", "json", "--timeout", timeout };
    size_t na = 6;
    char specs[64][96];
    int models = opt->models > 64 ? 64 : opt->models;
    for (int i = 0; i < models; i++) {
        /* distinct names for the same stream: .waitN only delays the headers by N ms */
        snprintf(specs[i], sizeof specs[i], "openai:replay-soak.chunk%ld.gap%ld.wait%d", chunk, gap_us, i + 1);
        args[na++] = "-m";
        args[na++] = specs[i];
    }
    args[na++] = "go";
    args[na] = NULL;

    VChild c;
    if (vchild_start(opt->bin, args, env, NULL, &c) < 0) {
        snprintf(out->error, sizeof out->error, "spawn %s: %s", opt->bin, strerror(errno));
        vchild_env_free(env);
        fakeprov_stop(fp);
        vchild_rm_tree(home);
        return -1;
    }
    Sampler sm = { .out = out, .t0 = c.t0, .warm_ms = opt->seconds * 250.0, .fp = fp, .models = models };
    VResult r;
    vchild_finish_watched(&c, (timeout_s + 60) * 1000, true, 250, sample, &sm, &r);
    out->cpu_s = r.cpu_s;
    out->elapsed_s = r.elapsed_ms / 1000.0;
    out->ran = !r.timed_out && r.term_signal == 0;
    out->exit_code = r.exit_code;
    out->max_active = fakeprov_max_active(fp);

    const cJSON *doc = r.json;
    const cJSON *res;
    double longest_ms = 0;
    out->deltas_min = -1;
    cJSON_ArrayForEach(res, cJSON_GetObjectItem(doc, "results")) {
        const cJSON *st = cJSON_GetObjectItem(res, "status"), *tx = cJSON_GetObjectItem(res, "text");
        if (cJSON_IsString(st) && strcmp(st->valuestring, "ok") == 0)
            out->models_ok++;
        long got = 0;
        if (cJSON_IsString(tx))
            for (const char *p = tx->valuestring; *p; p++)
                got += *p == 'x';
        if (got == n && cJSON_IsString(tx) && (long)strlen(tx->valuestring) == n)
            out->models_whole++;
        if (out->deltas_min < 0 || got < out->deltas_min)
            out->deltas_min = got;
        const cJSON *tm = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "metrics"), "total_ms");
        if (cJSON_IsNumber(tm) && tm->valuedouble > longest_ms)
            longest_ms = tm->valuedouble;
    }
    if (!doc && !out->error[0])
        snprintf(out->error, sizeof out->error, "stdout is not JSON; stderr: %.300s", buf_str(&r.err));
    if (longest_ms > 0 && out->deltas_min > 0)
        out->rate_per_model = out->deltas_min / (longest_ms / 1000.0);
    vchild_result_free(&r);
    vchild_env_free(env);
    fakeprov_stop(fp);
    vchild_rm_tree(home);
    return 0;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static long median(long *v, size_t n)
{
    if (!n)
        return 0;
    qsort(v, n, sizeof *v, cmp_long);
    return v[n / 2];
}

/* The session ID from "versus: saved round R of session ID (PATH)". */
static bool saved_session_id(const char *err, char *id, size_t idlen)
{
    const char *p = strstr(err, " of session ");
    if (!p)
        return false;
    p += strlen(" of session ");
    size_t n = strcspn(p, " \n");
    snprintf(id, idlen, "%.*s", (int)n, p);
    return n > 0;
}

int soak_rounds(const SoakRoundsOpt *opt, SoakRounds *out)
{
    memset(out, 0, sizeof *out);
    char home[256], err[256];
    if (make_home(home, sizeof home, "rounds") < 0) {
        snprintf(out->error, sizeof out->error, "mkdtemp: %s", strerror(errno));
        return -1;
    }
    FakeProv *fp = fakeprov_start(NULL, err, sizeof err);
    if (!fp) {
        snprintf(out->error, sizeof out->error, "fakeprov: %s", err);
        vchild_rm_tree(home);
        return -1;
    }
    char **env = vchild_env_new(home, fakeprov_url(fp));
    vchild_env_add_asan(&env, "quarantine_size_mb=0:thread_local_quarantine_size_kb=0");
    long *hwm = calloc((size_t)opt->rounds + 1, sizeof *hwm);
    bool *seen = calloc((size_t)opt->rounds + 1, sizeof *seen);
    if (!hwm || !seen)
        abort();
    char rss_file[300];
    snprintf(rss_file, sizeof rss_file, "%s/maxrss", home);
    double t0 = clock_now_ms();
    for (int i = 1; i <= opt->rounds; i++) {
        char prompt[64];
        snprintf(prompt, sizeof prompt, "soak round %d", i);
        const char *args[] = { rss_file, opt->bin, "run", "--no-progress", "-f", "json", "--save", "-m",
                               "openai:happy", "-m", "ollama:happy", prompt, NULL };
        VResult r;
        if (vchild_run(opt->maxrss, args, env, NULL, SOAK_HANG_MS, false, &r) == 0) {
            if (r.exit_code == 0 && !r.timed_out)
                out->runs_ok++;
            vchild_result_free(&r);
        }
        FILE *f = fopen(rss_file, "r");
        if (f) {
            if (fscanf(f, "%ld", &hwm[i - 1]) != 1)
                hwm[i - 1] = 0;
            fclose(f);
            unlink(rss_file);
        }
        if (hwm[i - 1] > out->hwm_kb_max)
            out->hwm_kb_max = hwm[i - 1];
    }
    out->ms_per_round = opt->rounds ? (clock_now_ms() - t0) / opt->rounds : 0;
    size_t tenth = (size_t)(opt->rounds >= 10 ? opt->rounds / 10 : 1);
    long *copy = malloc(tenth * sizeof *copy);
    memcpy(copy, hwm, tenth * sizeof *copy);
    out->hwm_kb_first = median(copy, tenth);
    memcpy(copy, hwm + opt->rounds - tenth, tenth * sizeof *copy);
    out->hwm_kb_last = median(copy, tenth);
    free(copy);

    /* every round in its own loadable session file */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/data/versus/sessions", home);
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l < 6 || strcmp(de->d_name + l - 5, ".json") != 0)
            continue;
        char path[1024], e2[256];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        Session *s = session_load(path, e2, sizeof e2);
        if (s && s->n_rounds == 1 && s->rounds[0].n_replies == 2) {
            char *end;
            const char *p = s->rounds[0].prompt;
            if (strncmp(p, "soak round ", 11) == 0) {
                long k = strtol(p + 11, &end, 10);
                if (*end == '\0' && k >= 1 && k <= opt->rounds && !seen[k]) {
                    seen[k] = true;
                    out->sessions_found++;
                }
            }
        }
        session_free(s);
    }
    if (d)
        closedir(d);

    /* rounds appended to one session */
    char id[256] = "";
    for (int j = 1; j <= opt->appended; j++) {
        char prompt[64];
        snprintf(prompt, sizeof prompt, "append round %d", j);
        const char *first[] = { "run", "--no-progress", "-f", "json", "--save", "-m", "openai:happy", prompt, NULL };
        const char *next[] = { "run", "--no-progress", "-f", "json", "--session", id, "-m", "openai:happy", prompt,
                               NULL };
        const char *const *args = id[0] ? next : first;
        VResult r;
        if (vchild_run(opt->bin, args, env, NULL, SOAK_HANG_MS, false, &r) == 0) {
            if (!id[0] && !saved_session_id(buf_str(&r.err), id, sizeof id))
                snprintf(out->error, sizeof out->error, "no session ID in: %.200s", buf_str(&r.err));
            vchild_result_free(&r);
        }
        if (!id[0])
            break;
    }
    if (id[0]) {
        char path[1024], e2[256];
        if (session_resolve(dir, id, path, sizeof path, e2, sizeof e2) == 0) {
            Session *s = session_load(path, e2, sizeof e2);
            for (size_t k = 0; s && k < s->n_rounds; k++) {
                char want[64];
                snprintf(want, sizeof want, "append round %zu", k + 1);
                if (strcmp(s->rounds[k].prompt, want) == 0)
                    out->appended_found++;
            }
            session_free(s);
        }
    }
    free(hwm);
    free(seen);
    vchild_env_free(env);
    fakeprov_stop(fp);
    vchild_rm_tree(home);
    return 0;
}
