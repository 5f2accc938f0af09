/* soak_run.h — load and endurance runs of the real versus binary against the
 * in-process fake provider, shared by the quick form in `make check`
 * (tests/test_soak.c) and the full one (`make check-soak`, versus-soak).
 *
 *   soak_streams: N models streaming at once, each at R tokens/s for S
 *   seconds (a replayed transcript of R*S one-character deltas, paced by the
 *   fake's .chunk/.gap modifiers), while the versus process's resident memory
 *   and open descriptors are sampled every 250 ms from /proc.
 *
 *   soak_rounds: K sequential `versus run --save` rounds, each into a new
 *   session, then K/10 more appended to one session with --session; every
 *   run's peak RSS is recorded, and every saved round is looked for.
 *
 * Results are measured, never judged here: callers compare them with their
 * limits. Not for: fault cases (test_faults.c). */
#ifndef VERSUS_TESTS_SOAK_RUN_H
#define VERSUS_TESTS_SOAK_RUN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct SoakStreamsOpt {
    int models;       /* streams at once */
    int tps;          /* tokens (deltas) per second per stream */
    int seconds;      /* nominal duration */
    const char *bin;  /* the versus binary */
} SoakStreamsOpt;

typedef struct SoakStreams {
    bool ran;                 /* versus ran to the end by itself */
    int exit_code;
    int models_ok;            /* results with status ok */
    int models_whole;         /* results whose text has every delta */
    long deltas_expected;     /* per model */
    long deltas_min;          /* fewest received by one model */
    double elapsed_s;
    double rate_per_model;    /* deltas_min / streaming time */
    int max_active;           /* streams the fake served at once */
    long rss_kb_start;        /* VmRSS once every stream was under way in the fake (and 25% of the run passed) */
    long rss_kb_end;          /* VmRSS at the last sample */
    long rss_kb_peak;         /* highest sample */
    int fds_start, fds_max;   /* open descriptors at 25% of the run / highest sample */
    int samples;
    double cpu_s;             /* versus's user + system CPU time */
    char error[512];          /* why it could not run, or "" */
} SoakStreams;

typedef struct SoakRoundsOpt {
    int rounds;       /* sessions of one round each */
    int appended;     /* rounds appended to one session afterwards */
    const char *bin;
    const char *maxrss; /* the versus-maxrss helper (maxrss.c), for each run's own peak */
} SoakRoundsOpt;

typedef struct SoakRounds {
    int runs_ok;              /* runs that exited 0 */
    int sessions_found;       /* session files of one round, loadable, with the right prompt */
    int appended_found;       /* rounds in the appended session with the right prompts */
    long hwm_kb_first;        /* median peak RSS of the first 10% of the runs */
    long hwm_kb_last;         /* median peak RSS of the last 10% */
    long hwm_kb_max;
    double ms_per_round;
    char error[512];
} SoakRounds;

/* Runs the streaming soak; 0, or -1 with out->error when it could not start. */
int soak_streams(const SoakStreamsOpt *opt, SoakStreams *out);
/* Runs the rounds soak; 0, or -1 with out->error. */
int soak_rounds(const SoakRoundsOpt *opt, SoakRounds *out);

#endif
