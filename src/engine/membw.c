/* membw.c — multi-threaded streaming-read bandwidth (see membw.h). Each thread
 * folds its slice into four independent vector accumulators (16-byte loads,
 * one cache line per iteration), enough to saturate DRAM from one core on any
 * x86-64 or AArch64 part; the sums are stored so the reads cannot be elided. */
#include "engine/membw.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/clock.h"
#include "engine/threadpool.h"
#include "util/stats.h"

#define MEMBW_MIN_BYTES ((size_t)256 << 20)
#define MEMBW_LLC_FACTOR 16
#define MEMBW_MAX_DEFAULT_BYTES ((size_t)1 << 30)
#define MEMBW_ALIGN ((size_t)2 << 20) /* huge-page aligned, a multiple of every line size */
#define MEMBW_DEFAULT_REPS 7

typedef uint64_t MembwVec __attribute__((vector_size(16)));

typedef struct MembwJob {
    const MembwVec *buf; /* (n_vec) */
    size_t n_vec;        /* 16-byte vectors in the buffer, a multiple of 4 * threads */
    uint64_t sink[256];  /* one per thread: defeats dead-code elimination */
} MembwJob;

static void membw_read_slice(void *arg, int ith, int nth)
{
    MembwJob *j = arg;
    size_t per = j->n_vec / (size_t)nth;
    const MembwVec *p = j->buf + per * (size_t)ith;
    MembwVec a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
    for (size_t i = 0; i < per; i += 4) {
        a0 += p[i];
        a1 += p[i + 1];
        a2 += p[i + 2];
        a3 += p[i + 3];
    }
    MembwVec s = a0 ^ a1 ^ a2 ^ a3;
    j->sink[ith & 255] = s[0] ^ s[1];
}

/* Largest data or unified cache in sysfs (what this CPU, or this VM, really
 * has); sysconf's figure comes from CPUID and, under some hypervisors, names
 * the whole host package's L3. */
static size_t llc_from_sysfs(void)
{
    size_t best = 0;
    int best_level = 0;
    for (int i = 0; i < 16; i++) {
        char path[128], type[32] = "", size[32] = "";
        int level = 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
        FILE *f = fopen(path, "r");
        if (!f)
            break;
        if (fscanf(f, "%d", &level) != 1)
            level = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%31s", type) != 1)
                type[0] = '\0';
            fclose(f);
        }
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
        if ((f = fopen(path, "r"))) {
            if (fscanf(f, "%31s", size) != 1)
                size[0] = '\0';
            fclose(f);
        }
        if (strcmp(type, "Instruction") == 0 || level < best_level)
            continue;
        char *end;
        unsigned long long v = strtoull(size, &end, 10);
        if (end == size)
            continue;
        if (*end == 'K')
            v <<= 10;
        else if (*end == 'M')
            v <<= 20;
        else if (*end == 'G')
            v <<= 30;
        best_level = level;
        best = (size_t)v;
    }
    return best;
}

size_t membw_llc_bytes(void)
{
    size_t s = llc_from_sysfs();
    if (s)
        return s;
    static const int names[] = { _SC_LEVEL4_CACHE_SIZE, _SC_LEVEL3_CACHE_SIZE,
                                 _SC_LEVEL2_CACHE_SIZE, _SC_LEVEL1_DCACHE_SIZE };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        long v = sysconf(names[i]);
        if (v > 0)
            return (size_t)v;
    }
    return 0;
}

int membw_measure(int n_threads, size_t buffer_bytes, int reps, MembwResult *r, char *err,
                  size_t errlen)
{
    memset(r, 0, sizeof *r);
    if (reps <= 0)
        reps = MEMBW_DEFAULT_REPS;
    if (reps > 1000) {
        snprintf(err, errlen, "membw: at most 1000 repetitions (asked for %d)", reps);
        return -1;
    }
    if (n_threads > 256) {
        snprintf(err, errlen, "membw: at most 256 threads (asked for %d)", n_threads);
        return -1;
    }
    size_t llc = membw_llc_bytes();
    if (buffer_bytes == 0) {
        buffer_bytes = llc > MEMBW_MIN_BYTES / MEMBW_LLC_FACTOR ? llc * MEMBW_LLC_FACTOR : MEMBW_MIN_BYTES;
        if (buffer_bytes > MEMBW_MAX_DEFAULT_BYTES)
            buffer_bytes = MEMBW_MAX_DEFAULT_BYTES;
    }
    if (buffer_bytes > ((size_t)1 << 40)) {
        snprintf(err, errlen, "membw: buffer of %zu bytes is unreasonably large", buffer_bytes);
        return -1;
    }
    ThreadPool *pool = threadpool_new(n_threads);
    if (!pool) {
        snprintf(err, errlen, "membw: could not start %d threads", n_threads);
        return -1;
    }
    int nth = threadpool_size(pool);
    /* Round down to whole groups of 4 vectors per thread; round the allocation up to MEMBW_ALIGN. */
    size_t unit = (size_t)nth * 4 * sizeof(MembwVec);
    size_t bytes = buffer_bytes / unit * unit;
    if (bytes == 0)
        bytes = unit;
    size_t alloc = (bytes + MEMBW_ALIGN - 1) / MEMBW_ALIGN * MEMBW_ALIGN;
    MembwVec *buf = aligned_alloc(MEMBW_ALIGN, alloc);
    double *gbs = malloc((size_t)reps * sizeof *gbs);
    if (!buf || !gbs) {
        snprintf(err, errlen, "membw: out of memory for a %.0f MiB buffer", (double)alloc / 1048576.0);
        free(buf);
        free(gbs);
        threadpool_free(pool);
        return -1;
    }
#ifdef MADV_HUGEPAGE
    madvise(buf, alloc, MADV_HUGEPAGE); /* fewer TLB misses; advisory, failure is harmless */
#endif
    memset(buf, 0x5a, alloc); /* real pages, not the shared zero page */
    MembwJob *job = calloc(1, sizeof *job);
    if (!job) {
        snprintf(err, errlen, "membw: out of memory");
        free(buf);
        free(gbs);
        threadpool_free(pool);
        return -1;
    }
    job->buf = buf;
    job->n_vec = bytes / sizeof(MembwVec);
    threadpool_run(pool, membw_read_slice, job); /* warm-up pass: faults, TLB, frequency */
    for (int i = 0; i < reps; i++) {
        double t0 = clock_now_ms();
        threadpool_run(pool, membw_read_slice, job);
        double ms = clock_now_ms() - t0;
        gbs[i] = ms > 0 ? (double)bytes / (ms * 1e6) : 0.0;
    }
    r->median_gbs = stats_median(gbs, (size_t)reps); /* sorts gbs */
    r->min_gbs = gbs[0];
    r->max_gbs = gbs[reps - 1];
    r->buffer_bytes = bytes;
    r->llc_bytes = llc;
    r->threads = nth;
    r->reps = reps;
    free(job);
    free(buf);
    free(gbs);
    threadpool_free(pool);
    return 0;
}
