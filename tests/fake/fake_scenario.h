/* fake_scenario.h — turns a model name into what the fake provider should do.
 *
 * Pure parsing, no I/O: "fail-1-status-429-retry-after-1.ms50" becomes a
 * FakeScenario. The names are documented in fakeprov.h. */
#ifndef VERSUS_FAKE_SCENARIO_H
#define VERSUS_FAKE_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

typedef enum FakeKind {
    FAKE_HAPPY,
    FAKE_COMMENTS,
    FAKE_NO_USAGE,
    FAKE_LENGTH,
    FAKE_STATUS,
    FAKE_BAD_KEY,
    FAKE_RESET_BEFORE_HEADERS,
    FAKE_RESET_AFTER_HEADERS,
    FAKE_RESET_MID_STREAM,
    FAKE_TRUNCATED,
    FAKE_ERROR_EVENT,
    FAKE_ERROR_ONLY,
    FAKE_BAD_JSON,
    FAKE_BAD_UTF8,
    FAKE_BIG_EVENT,
    FAKE_NEVER_ENDS,
    FAKE_ACCEPT_NO_ANSWER,
    FAKE_REPLAY, /* a transcript file's bytes, verbatim */
    FAKE_LONG,   /* n_deltas deltas at delta_us apart, then the normal end */
    FAKE_ECHO,   /* the last user message, sent back in small deltas */
    FAKE_FILE,   /* the file whose path is the last user message, in small deltas */
    FAKE_HISTORY,/* every message received (role and text), in small deltas */
} FakeKind;

typedef enum FakeEol { FAKE_EOL_DEFAULT, FAKE_EOL_LF, FAKE_EOL_CRLF, FAKE_EOL_CR } FakeEol;

typedef struct FakeScenario {
    FakeKind kind;
    int status;            /* FAKE_STATUS: the HTTP status */
    long retry_after_s;    /* header retry-after, or -1 */
    long retry_after_ms;   /* header retry-after-ms, or -1 */
    int fail_times;        /* behave as kind for this many attempts, then as happy; 0 = always */
    int delta_ms;          /* pause before each delta */
    int delta_us;          /* FAKE_LONG: microseconds between deltas (0 = as fast as possible) */
    long n_deltas;         /* FAKE_LONG: deltas to send (default 1000) */
    int ttft_ms;           /* pause before the first delta, or -1 (then delta_ms) */
    int wait_ms;           /* pause before the response headers */
    int chunk;             /* write pieces of this many bytes; 0 = whole events */
    bool odd;              /* pieces of pseudo-random 1..13 bytes */
    int gap_us;            /* pause between pieces */
    FakeEol eol;           /* SSE line ends */
    bool eof;              /* close-delimited body instead of chunked */
    bool llama;            /* llama-server flavour of the OpenAI format */
    size_t big_size;       /* big-event data size, bytes */
    char replay[96];       /* FAKE_REPLAY: transcript name, [a-z0-9-] only, no extension */
} FakeScenario;

/* Parses name; 0, or -1 when name is no scenario (out is then untouched). */
int fake_scenario_parse(const char *name, FakeScenario *out);
/* The scenario an attempt actually plays: after fail_times attempts the
 * failing kind turns into happy (keeping pacing and framing modifiers). */
FakeScenario fake_scenario_for_attempt(const FakeScenario *sc, int attempt);

#endif
