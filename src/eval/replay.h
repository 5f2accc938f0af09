/* replay.h — re-living recorded replies offline and checking a case's assertions.
 *
 * Offline replay feeds a candidate's recorded body bytes, chunk by chunk,
 * through its provider's real decoder (provider_find(provider)->decoder_*)
 * into a fresh Reply, with the recorded arrival times as the clock (so TTFT
 * and total time come out as recorded), optionally sleeping to reproduce the
 * original pacing. The cost is carried over from the recording (replaying
 * does not re-price). Checking applies each assertion to the candidates it
 * concerns: those naming a model to that candidate; the others to the
 * winner (outcome win), to every candidate (tie), to none (both_bad,
 * unlabelled: there is no reference answer). No printing. */
#ifndef VERSUS_REPLAY_H
#define VERSUS_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "store/fixture.h"

/* Decodes rec's recording into a new final Reply. NULL with err when it has
 * no recording or its provider has no decoder (e.g. local). */
Reply *replay_decode(const Reply *rec, bool pace, char *err, size_t errlen);

typedef struct ReplayCheck {
    size_t candidate;     /* index into the case's candidates */
    size_t assertion;     /* index into the case's assertions */
    int result;           /* 1 holds, 0 fails, -1 could not be evaluated (counts as failing) */
    char why[256];
} ReplayCheck;

typedef struct ReplayCandidate {
    Reply *reply;         /* what the assertions were checked on (decoded, live, or the stored copy) */
    bool decoded;         /* came from replaying the recording */
    bool text_drift;      /* the text differs from the recorded text */
    bool unsent_fails;    /* live: versus did not send it though it ran in the recording (or was
                           * asked for with -m): the case can not be checked as recorded */
    bool unsent_as_recorded; /* live: not sent, and not sent in the recording either: no failure */
    bool status_drift;    /* ok vs error differs from the recording */
    double cost_change;   /* relative cost change vs the recording, NAN when unknown */
    double latency_change;/* relative total-time change vs the recording, NAN when unknown */
    char note[256];       /* why it was not decoded, or "" */
} ReplayCandidate;

typedef struct ReplayCaseResult {
    ReplayCandidate *cands; /* (n_cands) */
    size_t n_cands;
    ReplayCheck *checks;    /* (n_checks) */
    size_t n_checks;
    size_t passed, failed;  /* checks that held / did not */
    size_t unsent;          /* candidates with unsent_fails */
    bool drift;             /* any candidate drifted */
    bool strict_failed;     /* replay_case_strict found a difference from the recording */
    size_t n_strict;        /* candidates that differ */
    char strict_why[2048];  /* one line per candidate that differs ("SPEC: why"), '\n' between */
    double elapsed_ms;
} ReplayCaseResult;

/* Replays every candidate of c offline (those without a usable recording
 * are checked on their stored copy) and checks the assertions. 0, or -1
 * with err (out of memory). */
int replay_case_offline(const FixtureCase *c, bool pace, ReplayCaseResult *out, char *err, size_t errlen);
/* Checks the assertions of c against replies (live results, one per name in
 * the same order as the case's candidates when reference is true; when
 * false every reply is checked against every model-less assertion). The
 * replies are adopted (freed with the result). A reply versus did not send
 * fails the case when that candidate ran in the recording or is not among
 * the recorded ones (unsent_fails); one not sent in the recording either is
 * what was recorded (unsent_as_recorded). */
int replay_case_check(const FixtureCase *c, Reply **replies, size_t n, bool reference, double drift_threshold,
                      ReplayCaseResult *out, char *err, size_t errlen);
void replay_case_result_free(ReplayCaseResult *r);
/* True when the case fails: an assertion does not hold, a candidate that ran
 * in the recording was not sent (live), or --strict found a difference. */
bool replay_case_failed(const ReplayCaseResult *r);
/* Why it fails, in a few words for a one-line verdict ("1 of 2 assertions
 * failed; openai:x was not sent"); "" when it does not. */
void replay_case_fail_summary(const ReplayCaseResult *r, char *out, size_t outlen);
/* `--strict`: any drift from the recorded reply fails the case — text or
 * status changed, any cost change, or (offline) an API reply that has no
 * recording to compare with — checked on every candidate, the losers too.
 * Latency is not compared (live timing never repeats). Sets
 * r->strict_failed, r->n_strict and r->strict_why. */
void replay_case_strict(ReplayCaseResult *r, bool offline);
/* True when the assertion (index a) applies to candidate k of c in reference mode. */
bool replay_assertion_applies(const FixtureCase *c, size_t a, size_t k);

/* JUnit XML for a whole run: one <testcase> per case. */
int replay_junit(const FixtureSet *set, const ReplayCaseResult *results, double total_ms, Buf *out);

#endif
