/* fuzz_fixture.c — libFuzzer target: fixture files (store/fixture.h) from
 * arbitrary bytes in each of the four formats (the first byte picks it), then
 * everything a later command does with what was accepted: offline replay of
 * each case (the recorded bytes, base64 in the file, through the providers'
 * real decoders, then the case's assertions: regexes, JSON schemas), the JUnit
 * report, and writing the set in every format. A set written in the versus
 * format must read back with the same number of cases. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "store/fixture.h"
#include "eval/replay.h"

static void check_err(const char *err, size_t errlen)
{
    if (!memchr(err, '\0', errlen) || !err[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const FixtureFormat formats[] = { FIXTURE_VERSUS, FIXTURE_PROMPTFOO, FIXTURE_OPENAI_EVALS, FIXTURE_CSV };
    FixtureFormat f = formats[data[0] % 4];
    FixtureSet set = { 0 };
    char err[512];
    memset(err, 'x', sizeof err);
    if (fixture_read((const char *)data + 1, size - 1, f, &set, err, sizeof err) < 0)
        check_err(err, sizeof err);
    if (set.n > 64) { /* keep each run short; the reader itself has been exercised */
        fixture_set_free(&set);
        return 0;
    }

    ReplayCaseResult *res = calloc(set.n ? set.n : 1, sizeof *res);
    if (!res)
        abort();
    for (size_t i = 0; i < set.n; i++) {
        const FixtureCase *c = &set.cases[i];
        (void)fixture_winner(c);
        if (replay_case_offline(c, false, &res[i], err, sizeof err) < 0)
            check_err(err, sizeof err);
    }
    Buf junit = { 0 };
    replay_junit(&set, res, 1.0, &junit);
    buf_free(&junit);
    for (size_t i = 0; i < set.n; i++)
        replay_case_result_free(&res[i]);
    free(res);

    for (size_t k = 0; k < 4; k++) {
        Buf out = { 0 };
        if (fixture_write(&set, formats[k], &out, err, sizeof err) == 0 && formats[k] == FIXTURE_VERSUS) {
            FixtureSet back = { 0 };
            if (fixture_read(out.data ? out.data : "", out.len, FIXTURE_VERSUS, &back, err, sizeof err) < 0) {
                fprintf(stderr, "fuzz_fixture: what fixture_write wrote does not read back: %s\n", err);
                abort();
            }
            if (back.n != set.n) {
                fprintf(stderr, "fuzz_fixture: %zu cases written, %zu read back\n", set.n, back.n);
                abort();
            }
            fixture_set_free(&back);
        }
        buf_free(&out);
    }
    fixture_set_free(&set);
    return 0;
}
