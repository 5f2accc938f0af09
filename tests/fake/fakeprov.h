/* fakeprov.h — a loopback fake LLM provider for tests: real HTTP/1.1 on
 * 127.0.0.1 speaking each API's exact streaming wire format, with faults.
 *
 * One server answers every API at once; the route comes from the path:
 *   POST .../chat/completions                         openai, openai-compat, llama-server
 *   POST .../responses                                openai Responses API (reasoning models)
 *   POST .../messages                                 anthropic
 *   POST .../models/{model}:streamGenerateContent     gemini (needs ?alt=sse)
 *   POST .../api/chat                                 ollama (NDJSON)
 * (only the end of the path counts, so any base-URL convention works).
 * Unknown paths get 404. A body that is not JSON, or a request that does not
 * ask to stream, gets the provider's own 400 error.
 *
 * The MODEL NAME picks the scenario, so one server serves many models with
 * different behaviour in one `versus run`:  [fail-N-]BASE[.MOD]...
 *
 *   happy                 the fixed text FAKEPROV_HAPPY_TEXT in FAKEPROV_HAPPY_DELTAS
 *                         deltas, usage and the provider's end marker
 *   comments              happy with SSE comments / pings before and between events
 *   no-usage              happy without the usage chunk / usageMetadata (openai, gemini)
 *   length                happy ending with finish reason length / max_tokens / MAX_TOKENS
 *   slow-drip             happy written one byte at a time, 300 us apart (= happy.chunk1.gap300)
 *   status-NNN            HTTP NNN with the provider's real error body (401 403 404 408
 *                         413 429 500 502(Cloudflare HTML) 503 504 529 ..., any 400..599)
 *   status-NNN-retry-after-S      ... plus `retry-after: S` (Gemini: RetryInfo too)
 *   status-NNN-retry-after-ms-M   ... plus `retry-after-ms: M`
 *   bad-key               each provider's real bad-key answer (Gemini: 400 API_KEY_INVALID)
 *   fail-N-BASE           the first N requests for this model (per route) behave as
 *                         BASE, later ones as happy: fail-1-status-429-retry-after-1
 *   reset-before-headers  read the request, then RST the connection
 *   reset-after-headers   200 + headers, then RST
 *   reset-mid-stream      2 deltas, half of the third event, then RST
 *   truncated             2 deltas, then a clean close without the end marker
 *                         (chunked: no final 0-chunk; Gemini: plain EOF)
 *   error-event           2 deltas, then the provider's mid-stream error event, then end
 *   error-only            200 whose first and only event is an error
 *   bad-json              2 deltas, a data line of invalid JSON, then the rest of happy
 *   bad-utf8              deltas carrying invalid UTF-8 bytes inside JSON strings
 *   big-event             one delta whose single data line is 10 MiB (.sizeN to change)
 *   never-ends            2 deltas, then a "." delta every 100 ms (.msN) until the
 *                         client goes away or the server stops
 *   accept-no-answer      read the request and never answer
 *   long                  a long reply for load tests: "Tok", then " tok" x (N-2), then ".",
 *                         N = .deltasN (default 1000), paced by .tpsN on a fixed schedule
 *                         (microsecond resolution), usage and the end marker as happy
 *   replay-NAME           200 whose body is tests/transcripts/NAME.sse (or .ndjson)
 *                         byte for byte, framed like the route (404 when missing)
 *   echo                  the last user message's text, in deltas of at most 6 bytes
 *                         (cut between characters), then usage and the end marker
 *   file                  the contents of the file whose path is the last user message
 *                         (PATH.MODEL instead when it exists: one text per model; for
 *                         the TUI's rendering tests), in the same deltas
 *   history               every message received, one per line as "[ROLE] TEXT" after
 *                         a first line "messages=N" (the system prompt counts), same deltas
 *
 * Modifiers (after the base, each starting with '.'):
 *   .msN     N ms before each delta (pacing)     .tpsN   N deltas per second
 *   .ttftN   N ms before the first delta           .waitN  N ms before the headers
 *   .chunkN  write in pieces of N bytes            .odd    pieces of pseudo-random 1..13 bytes
 *   .gapN    N microseconds between pieces         .crlf / .cr  SSE line ends (Gemini: CRLF)
 *   .eof     close-delimited body instead of chunked  .llama  llama-server style (openai route)
 *   .sizeN   big-event data size in bytes          .deltasN  long: number of deltas
 * A model name that is no scenario gets the server's default scenario
 * (FakeProvOptions.scenario, "happy" when NULL).
 *
 * Usage reported by happy: input tokens 11 (openai), 15 (llama), 12 (anthropic),
 * 13 (gemini), 14 (ollama), 16 (responses); output tokens = number of deltas
 * sent; no reasoning.
 *
 * Reasoning is answered when the request asks for it, in each API's own
 * shape: Responses `reasoning` (a reasoning item whose summary streams as
 * reasoning_summary_text.delta), Anthropic `thinking` (a thinking block with
 * a signature, then one redacted_thinking block), Gemini thinkingConfig
 * includeThoughts (`"thought": true` parts), Ollama `think` (message.thinking
 * lines), llama-server style chat `reasoning_effort` (reasoning_content);
 * official chat only counts it. The reasoning text is FAKEPROV_REASONING_TEXT
 * in FAKEPROV_REASONING_DELTAS pieces, and FAKEPROV_REASONING_TOKENS more
 * output tokens are reported as reasoning tokens (Ollama: in eval_count).
 *
 * Threads: one accept thread plus one thread per connection; every wait also
 * watches a wake pipe, so fakeprov_stop() ends hung and endless streams at
 * once, joins every thread and frees everything. */
#ifndef VERSUS_FAKEPROV_H
#define VERSUS_FAKEPROV_H

#include <stdbool.h>
#include <stddef.h>

#define FAKEPROV_HAPPY_TEXT "Hello from the fake provider: naïve café ✓."
#define FAKEPROV_HAPPY_DELTAS 10
#define FAKEPROV_REASONING_TEXT "The user says hello; a short, friendly greeting will do."
#define FAKEPROV_REASONING_DELTAS 4
#define FAKEPROV_REASONING_TOKENS 24

typedef enum FakeRoute {
    FAKE_ROUTE_OPENAI,    /* .../chat/completions */
    FAKE_ROUTE_RESPONSES, /* .../responses */
    FAKE_ROUTE_ANTHROPIC, /* .../messages */
    FAKE_ROUTE_GEMINI,    /* .../models/M:streamGenerateContent */
    FAKE_ROUTE_OLLAMA,    /* .../api/chat */
    FAKE_ROUTE_OTHER,     /* anything else (answered 404) */
    FAKE_ROUTE_COUNT,
} FakeRoute;

typedef struct FakeHeader {
    char *name;
    char *value;
} FakeHeader;

/* One request as received (a deep copy the caller owns). */
typedef struct FakeRequest {
    FakeRoute route;
    char method[16];
    char *target;        /* request target as sent: path and query */
    char *path;          /* percent-decoded path, no query */
    char *query;         /* raw query without '?', "" when none */
    FakeHeader *headers; /* (n_headers), in the order sent */
    size_t n_headers;
    char *body;          /* NUL-terminated (bodies holding NULs are cut there for str use) */
    size_t body_len;     /* bytes */
    char *model;         /* from the JSON body or the Gemini path; "" when none */
    int attempt;         /* 1 for the first request with this route+model, 2 for the next... */
} FakeRequest;

typedef struct FakeProvOptions {
    int port;             /* 0: the kernel picks a free port */
    const char *scenario; /* for model names that are no scenario; NULL = "happy" */
    const char *transcript_dir; /* for replay-NAME; NULL = $VERSUS_SRCDIR/tests/transcripts
                                 * (the source tree's when VERSUS_SRCDIR is unset) */
} FakeProvOptions;

typedef struct FakeProv FakeProv;

/* Binds 127.0.0.1 and starts serving in background threads. NULL with err on
 * failure. opt may be NULL (port 0, default scenario happy). */
FakeProv *fakeprov_start(const FakeProvOptions *opt, char *err, size_t errlen);
/* Ends every connection at once, joins every thread, frees everything. NULL is fine. */
void fakeprov_stop(FakeProv *fp);
/* The bound port. */
int fakeprov_port(const FakeProv *fp);
/* "http://127.0.0.1:PORT" (no trailing slash); valid until fakeprov_stop(). */
const char *fakeprov_url(const FakeProv *fp);

/* Complete requests received on route (FAKE_ROUTE_COUNT: on every route). */
long fakeprov_count(FakeProv *fp, FakeRoute route);
/* Complete requests on route (FAKE_ROUTE_COUNT: any) naming this model. */
long fakeprov_count_model(FakeProv *fp, FakeRoute route, const char *model);
/* TCP connections accepted, including ones that never sent a full request. */
long fakeprov_connections(FakeProv *fp);
/* The most responses that were being written at the same time. */
int fakeprov_max_active(FakeProv *fp);
/* Waits until at least n requests arrived on route (FAKE_ROUTE_COUNT: any);
 * true when they did, false after timeout_ms. */
bool fakeprov_wait_count(FakeProv *fp, FakeRoute route, long n, int timeout_ms);
/* Copies the latest request on route (FAKE_ROUTE_COUNT: any route) into out;
 * 0, or -1 when none arrived. Free with fakeprov_request_free(). */
int fakeprov_last_request(FakeProv *fp, FakeRoute route, FakeRequest *out);
void fakeprov_request_free(FakeRequest *rq);
/* The first header with this name (case-insensitive), or NULL. */
const char *fakeprov_request_header(const FakeRequest *rq, const char *name);
/* Forgets counts, attempts and captured requests (not the connections). */
void fakeprov_reset(FakeProv *fp);
/* "openai", "responses", "anthropic", "gemini", "ollama", "other". */
const char *fakeprov_route_name(FakeRoute route);

#endif
