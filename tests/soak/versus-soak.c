/* versus-soak.c — the full soak (`make check-soak`): 16 models streaming at
 * 2,000 tokens/s each for a minute, then 1,000 sequential `versus run --save`
 * rounds (plus 100 appended to one session). Prints what it measured and
 * exits 1 when a limit is broken: a stream lost or short of deltas, versus
 * needing more than half a core for the load (it would not keep up with
 * twice as much), resident memory or descriptors growing during the long run,
 * a round lost, or peak memory per run growing over the rounds.
 *
 *   versus-soak [--models N] [--tps N] [--seconds N] [--rounds N] [--appended N] BINARY
 * (versus-maxrss, from maxrss.c, must sit next to it). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soak/soak_run.h"

static int num(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0 || v > INT_MAX)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    long models = 16, tps = 2000, seconds = 60, rounds = 1000, appended = 100;
    const char *bin = NULL;
    for (int i = 1; i < argc; i++) {
        long *dst = strcmp(argv[i], "--models") == 0     ? &models
                    : strcmp(argv[i], "--tps") == 0      ? &tps
                    : strcmp(argv[i], "--seconds") == 0  ? &seconds
                    : strcmp(argv[i], "--rounds") == 0   ? &rounds
                    : strcmp(argv[i], "--appended") == 0 ? &appended
                                                         : NULL;
        if (dst) {
            if (i + 1 >= argc || num(argv[++i], dst) < 0) {
                fprintf(stderr, "versus-soak: %s needs a whole number\n", argv[i - 1]);
                return 2;
            }
        } else if (argv[i][0] != '-' && !bin) {
            bin = argv[i];
        } else {
            fprintf(stderr, "usage: versus-soak [--models N] [--tps N] [--seconds N] [--rounds N] [--appended N] "
                            "BINARY\n");
            return 2;
        }
    }
    if (!bin || models < 1 || tps < 1 || seconds < 1) {
        fprintf(stderr, "usage: versus-soak [--models N] [--tps N] [--seconds N] [--rounds N] [--appended N] BINARY\n");
        return 2;
    }
    int fail = 0;
    if (seconds > 0 && models > 0) {
        SoakStreams s;
        SoakStreamsOpt o = { .models = (int)models, .tps = (int)tps, .seconds = (int)seconds, .bin = bin };
        if (soak_streams(&o, &s) < 0) {
            fprintf(stderr, "versus-soak: streams: %s\n", s.error);
            return 1;
        }
        printf("streams: %ld models x %ld tokens/s x %ld s: exit %d in %.1f s; %d ok, %d whole (%ld deltas each, "
               "fewest %ld); %.0f tokens/s per model; %d served at once\n",
               models, tps, seconds, s.exit_code, s.elapsed_s, s.models_ok, s.models_whole, s.deltas_expected,
               s.deltas_min, s.rate_per_model, s.max_active);
        printf("streams: versus used %.2f s of CPU in %.1f s (%.0f%% of one core; %.1f us per delta)\n", s.cpu_s,
               s.elapsed_s, 100.0 * s.cpu_s / s.elapsed_s, 1e6 * s.cpu_s / ((double)models * s.deltas_expected));
        printf("streams: RSS %ld KiB at 25%%, %ld at the end, peak %ld; descriptors %d at 25%%, at most %d "
               "(%d samples)\n",
               s.rss_kb_start, s.rss_kb_end, s.rss_kb_peak, s.fds_start, s.fds_max, s.samples);
        /* the replies themselves grow (deltas_expected bytes per model) */
        long text_kb = models * s.deltas_expected / 1024;
        if (!s.ran || s.models_ok != models || s.models_whole != models)
            fail = printf("FAIL: a stream was lost or cut short\n");
        /* the rate is the fake's pacing on this machine; whether versus keeps
         * up is what share of a core it needs for it */
        if (s.cpu_s > 0.5 * s.elapsed_s)
            fail = printf("FAIL: versus needs %.0f%% of a core for this load\n", 100.0 * s.cpu_s / s.elapsed_s);
        if (s.rss_kb_end > s.rss_kb_start + 2 * text_kb + 16 * 1024)
            fail = printf("FAIL: resident memory grew by %ld KiB during the run\n", s.rss_kb_end - s.rss_kb_start);
        if (s.fds_max > s.fds_start + 2)
            fail = printf("FAIL: descriptors grew from %d to %d\n", s.fds_start, s.fds_max);
    }
    if (rounds > 0) {
        SoakRounds r;
        char helper[4096];
        const char *slash = strrchr(argv[0], '/');
        snprintf(helper, sizeof helper, "%.*sversus-maxrss", slash ? (int)(slash - argv[0] + 1) : 0, argv[0]);
        SoakRoundsOpt o = { .rounds = (int)rounds, .appended = (int)appended, .bin = bin, .maxrss = helper };
        if (soak_rounds(&o, &r) < 0) {
            fprintf(stderr, "versus-soak: rounds: %s\n", r.error);
            return 1;
        }
        printf("rounds: %ld runs of versus run --save: %d exited 0, %d sessions found whole; %.0f ms per round\n",
               rounds, r.runs_ok, r.sessions_found, r.ms_per_round);
        printf("rounds: peak RSS per run: median %ld KiB over the first 10%%, %ld over the last 10%%, max %ld\n",
               r.hwm_kb_first, r.hwm_kb_last, r.hwm_kb_max);
        printf("rounds: %ld appended to one session: %d found in order%s%s\n", appended, r.appended_found,
               r.error[0] ? "; " : "", r.error);
        if (r.runs_ok != rounds || r.sessions_found != rounds || r.appended_found != appended)
            fail = printf("FAIL: a round was lost\n");
        if (r.hwm_kb_last > r.hwm_kb_first + r.hwm_kb_first / 10 + 1024)
            fail = printf("FAIL: peak memory per run grew from %ld to %ld KiB\n", r.hwm_kb_first, r.hwm_kb_last);
    }
    return fail ? 1 : 0;
}
