/* fake_wire.h — the bytes the fake provider sends back, as a FakeScript.
 *
 * Pure: given the route, the request's facts and the scenario, builds the
 * whole response (status line, headers, events in the provider's exact wire
 * format, faults) as a list of steps with pauses. fakeprov.c plays the
 * script on the socket; it decides nothing about formats. */
#ifndef VERSUS_FAKE_WIRE_H
#define VERSUS_FAKE_WIRE_H

#include <stdbool.h>
#include <stddef.h>

#include "fake/fake_scenario.h"
#include "fake/fakeprov.h"

typedef enum FakeStepKind {
    FAKE_STEP_HEAD,   /* status line + headers: written whole, never split */
    FAKE_STEP_DATA,   /* body bytes: split per the script, framed per the framing */
    FAKE_STEP_REPEAT, /* body bytes sent every delay_ms (or interval_us) until the peer or the
                         server goes, or `count` times when count > 0 */
    FAKE_STEP_RESET,  /* abort the connection with a TCP RST */
    FAKE_STEP_CLOSE,  /* close cleanly (FIN) without ending the body properly */
    FAKE_STEP_HANG,   /* send nothing more until the peer or the server goes */
    FAKE_STEP_END,    /* end the body properly (0-chunk, or close for EOF framing) */
} FakeStepKind;

typedef struct FakeStep {
    FakeStepKind kind;
    char *bytes; /* (len) HEAD, DATA, REPEAT */
    size_t len;
    int delay_ms; /* pause before the step */
    long count;      /* REPEAT: times to send, 0 = until the peer goes */
    int interval_us; /* REPEAT with count: microseconds between sends, on a fixed schedule */
} FakeStep;

typedef enum FakeFraming {
    FAKE_FRAMING_LENGTH,  /* Content-Length in the head; body in one DATA step */
    FAKE_FRAMING_CHUNKED, /* Transfer-Encoding: chunked, one HTTP chunk per piece */
    FAKE_FRAMING_EOF,     /* the body ends when the connection closes */
} FakeFraming;

typedef struct FakeScript {
    FakeStep *steps; /* (n) */
    size_t n, cap;
    FakeFraming framing;
    int chunk;   /* DATA piece size, 0 = whole */
    bool odd;    /* pseudo-random piece sizes */
    int gap_us;  /* between pieces */
} FakeScript;

/* What the response depends on in the request. */
typedef struct FakeWireRequest {
    FakeRoute route;
    const char *model;  /* as received */
    bool include_usage; /* openai: stream_options.include_usage was true */
    bool reasoning;     /* the request asked for reasoning (see fakeprov.h) */
    const char *replay; /* FAKE_REPLAY: the transcript's bytes (replay_len) */
    size_t replay_len;
    const char *text;   /* FAKE_ECHO / FAKE_FILE / FAKE_HISTORY: the reply's text (text_len) */
    size_t text_len;
} FakeWireRequest;

/* Builds the response to one request playing sc. 0, or -1 when out of memory. */
int fake_wire_build(const FakeWireRequest *rq, const FakeScenario *sc, FakeScript *out);
/* Builds the provider's error answer with this status and message (for
 * requests the server refuses: bad JSON, not streaming, unknown path). */
int fake_wire_build_error(const FakeWireRequest *rq, int status, const char *message,
                          FakeScript *out);
void fake_script_free(FakeScript *s);

#endif
