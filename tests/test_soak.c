/* test_soak.c — the quick form of the soak (tests/soak/soak_run.h) run by
 * `make check`: 16 models streaming at once at 2,000 tokens/s each for 10 s,
 * and 50 sequential `versus run --save` rounds plus 10 appended to one
 * session. The full form (a minute, 1,000 rounds) is `make check-soak`. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "harden/vchild.h"
#include "soak/soak_run.h"
#include "testenv.h"

static char bin[1024];

static void setup(void)
{
    if (!vchild_binary(bin, sizeof bin))
        cr_skip_test("no versus binary (VERSUS_BUILDDIR not set or not built)");
}

TestSuite(soak, .init = setup, .timeout = TESTENV_HANG_S);

Test(soak, sixteen_streams_at_2000_tokens_per_second_lose_nothing_and_leak_nothing)
{
    SoakStreamsOpt o = { .models = 16, .tps = 2000, .seconds = 10, .bin = bin };
    SoakStreams s;
    cr_assert_eq(soak_streams(&o, &s), 0, "%s", s.error);
    cr_assert(s.ran, "versus did not finish by itself");
    cr_assert_eq(s.exit_code, 0);
    cr_assert_eq(s.models_ok, 16, "%d of 16 streams ok", s.models_ok);
    cr_assert_eq(s.models_whole, 16, "%d of 16 streams whole (fewest deltas %ld of %ld)", s.models_whole,
                 s.deltas_min, s.deltas_expected);
    cr_assert_geq(s.max_active, 16, "the fake served %d streams at once", s.max_active);
    cr_assert_geq(s.samples, 8, "only %d samples", s.samples);
    cr_assert_gt(s.rss_kb_start, 0, "no baseline sample: the 16 streams were never all under way at once");
    long text_kb = 16 * s.deltas_expected / 1024;
    cr_assert_leq(s.rss_kb_end, s.rss_kb_start + 2 * text_kb + 16 * 1024, "RSS grew from %ld to %ld KiB",
                  s.rss_kb_start, s.rss_kb_end);
    cr_assert_leq(s.fds_max, s.fds_start + 2, "descriptors grew from %d to %d", s.fds_start, s.fds_max);
    fprintf(stderr, "soak: %.0f tokens/s per stream, versus %.2f s CPU in %.1f s, RSS %ld -> %ld KiB, fds %d\n",
            s.rate_per_model, s.cpu_s, s.elapsed_s, s.rss_kb_start, s.rss_kb_end, s.fds_max);
}

Test(soak, fifty_rounds_are_all_saved_and_memory_per_run_stays_flat)
{
    char helper[1100];
    snprintf(helper, sizeof helper, "%s/tests/soak/versus-maxrss", getenv("VERSUS_BUILDDIR"));
    if (access(helper, X_OK) != 0)
        cr_skip_test("no %s (make check builds it)", helper);
    SoakRoundsOpt o = { .rounds = 50, .appended = 10, .bin = bin, .maxrss = helper };
    SoakRounds r;
    cr_assert_eq(soak_rounds(&o, &r), 0, "%s", r.error);
    cr_assert_eq(r.runs_ok, 50, "%d of 50 runs exited 0", r.runs_ok);
    cr_assert_eq(r.sessions_found, 50, "%d of 50 rounds found in their sessions", r.sessions_found);
    cr_assert_eq(r.appended_found, 10, "%d of 10 appended rounds found in order (%s)", r.appended_found, r.error);
    cr_assert_gt(r.hwm_kb_first, 0, "no peak RSS measured");
    cr_assert_leq(r.hwm_kb_last, r.hwm_kb_first + r.hwm_kb_first / 10 + 1024, "peak RSS per run grew from %ld to %ld KiB",
                  r.hwm_kb_first, r.hwm_kb_last);
}
