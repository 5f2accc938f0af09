/* membw.h — measures this machine's memory read bandwidth: several threads
 * stream-read disjoint slices of one buffer much larger than the last-level
 * cache, repeatedly, and the median pass gives GB/s. This is the bound that
 * one-token decode runs against (every weight byte is read once per token).
 * Not a general micro-benchmark suite: reads only, no copy or write figures. */
#ifndef VERSUS_MEMBW_H
#define VERSUS_MEMBW_H

#include <stddef.h>

typedef struct MembwResult {
    double median_gbs;   /* GB/s (1e9 bytes per second), median over reps */
    double min_gbs;      /* slowest pass, GB/s */
    double max_gbs;      /* fastest pass, GB/s */
    size_t buffer_bytes; /* bytes read per pass */
    size_t llc_bytes;    /* last-level cache size the buffer was sized against; 0 = unknown */
    int threads;         /* threads that read */
    int reps;            /* timed passes */
} MembwResult;

/* Reads a buffer of buffer_bytes (0 = 16 x the last-level cache, at least
 * 256 MiB, at most 1 GiB) with n_threads threads (<= 0 = one per online CPU), once untimed
 * and then reps times (<= 0 = 7), and fills r. Returns 0, or -1 with err
 * (out of memory, thread creation failed, bad argument). */
int membw_measure(int n_threads, size_t buffer_bytes, int reps, MembwResult *r, char *err,
                  size_t errlen);

/* Size in bytes of the last-level data cache (sysfs, else sysconf), or 0. */
size_t membw_llc_bytes(void);

#endif
