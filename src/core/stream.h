/* stream.h — the StreamEvent: the one vocabulary every model speaks.
 *
 * Each provider (HTTP APIs through their decoders, the local engine through its
 * token pipe) turns what it receives into StreamEvents and hands them to a
 * StreamSink. Everything downstream — metrics, the TUI panes, the headless
 * printer, sessions — sees only these events and never knows which provider
 * produced them. Events carry borrowed pointers valid only during the call. */
#ifndef VERSUS_STREAM_H
#define VERSUS_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* Token counts as the provider reports them; -1 means "not reported". */
typedef struct Usage {
    long input_tokens;        /* prompt tokens, cached ones included */
    long output_tokens;       /* completion tokens, reasoning included */
    long reasoning_tokens;    /* part of output_tokens spent thinking */
    long cached_input_tokens; /* part of input_tokens read from a cache */
    long cache_write_tokens;  /* part of input_tokens written to a cache (Anthropic), all lifetimes */
    long cache_write_1h_tokens; /* part of cache_write_tokens written for one hour (Anthropic
                                 * cache_creation.ephemeral_1h_input_tokens; priced higher) */
    double reported_cost_usd; /* cost the provider states itself (OpenRouter), or < 0 */
} Usage;

/* A Usage with every field "not reported". */
Usage usage_unknown(void);
/* What a STREAM_EVENT_USAGE means: each field of v that is reported (>= 0)
 * replaces the one in u; the others stay. */
void usage_merge(Usage *u, const Usage *v);

typedef enum StreamEventKind {
    STREAM_EVENT_DELTA,     /* text: the next piece of the visible reply */
    STREAM_EVENT_REASONING, /* text: the next piece of thinking, kept apart */
    STREAM_EVENT_USAGE,     /* usage: fields >= 0 replace what was known */
    STREAM_EVENT_TIMINGS,   /* server-side speed (llama-server timings, Ollama stats) */
    STREAM_EVENT_FINISH,    /* finish_reason: "stop", "length", ... as the provider says */
    STREAM_EVENT_ERROR,     /* error inside an otherwise healthy stream */
    STREAM_EVENT_DONE,      /* the provider's own end-of-stream marker was seen */
    STREAM_EVENT_TOOL_CALL, /* tool: one complete call the model asks for (versus never runs it) */
    STREAM_EVENT_REFUSAL,   /* the model declined: text (may be empty) is its refusal message,
                             * reason the provider's reason ("refusal", "content_filter") */
    STREAM_EVENT_BLOCKED,   /* the provider blocked the prompt or the answer: reason is its
                             * own code ("SAFETY", "PROHIBITED_CONTENT", "RECITATION", ...) */
    STREAM_EVENT_REDACTED,  /* one block of reasoning sent encrypted (Anthropic
                             * redacted_thinking): counted, never shown; the bytes stay in
                             * the recording */
    STREAM_EVENT_PROGRESS,  /* phase, label, done/total: a local model being downloaded or
                               loaded before its first token (core/progress.h reads it) */
} StreamEventKind;

/* token_id of text a filter held back and released later (core/keyfilter.h):
 * it belongs to deltas already counted, so it is not a new token. */
#define STREAM_TOKEN_HELD_BACK (-2)

/* One tool call, complete (arguments as the model wrote them: JSON text,
 * possibly invalid). Borrowed pointers, valid during the emit call. */
typedef struct StreamToolCall {
    const char *id;        /* provider's call id, or NULL */
    const char *name;      /* function / tool name */
    const char *arguments; /* JSON text ("{}" when the model gave none) */
} StreamToolCall;

typedef struct StreamEvent {
    StreamEventKind kind;
    const char *text; /* DELTA, REASONING, REFUSAL: UTF-8 bytes, not NUL-terminated */
    size_t len;       /* bytes of text */
    const char *reason; /* REFUSAL, BLOCKED: the provider's reason, or NULL */
    StreamToolCall tool; /* TOOL_CALL */
    int token_id;     /* DELTA from the local engine: the token's id; else -1 */
    Usage usage;      /* USAGE */
    const char *finish_reason; /* FINISH */
    /* ERROR: */
    int http_status;           /* status the error came with (0 inside a 200 stream) */
    const char *error_type;    /* provider's type/code string, or NULL */
    const char *error_message; /* provider's own message, or NULL */
    /* TIMINGS (each < 0 when not reported): */
    double server_prompt_tokens_per_s;
    double server_output_tokens_per_s;
    long server_prompt_tokens;
    long server_output_tokens;
    /* PROGRESS: */
    const char *phase; /* "download" | "load" */
    const char *label; /* what is fetched or loaded (a file name), or NULL */
    int64_t done;      /* bytes so far */
    int64_t total;     /* bytes in all, or < 0 when not known */
} StreamEvent;

typedef void (*StreamEmitFn)(void *user, const StreamEvent *ev);

/* Where decoders deliver their events. */
typedef struct StreamSink {
    StreamEmitFn emit;
    void *user;
} StreamSink;

/* Convenience constructors for emitting; they fill the rest with "unset". */
void stream_emit_text(const StreamSink *sink, StreamEventKind kind, const char *text, size_t len);
void stream_emit_usage(const StreamSink *sink, Usage usage);
void stream_emit_finish(const StreamSink *sink, const char *finish_reason);
void stream_emit_error(const StreamSink *sink, int http_status, const char *type, const char *message);
void stream_emit_done(const StreamSink *sink);
/* A TOOL_CALL; arguments NULL or "" become "{}". */
void stream_emit_tool_call(const StreamSink *sink, const char *id, const char *name, const char *arguments);
/* A REFUSAL (text may be NULL/empty) or BLOCKED with the provider's reason. */
void stream_emit_refusal(const StreamSink *sink, const char *reason, const char *text, size_t len);
void stream_emit_blocked(const StreamSink *sink, const char *reason);
/* A REDACTED (one encrypted reasoning block). */
void stream_emit_redacted(const StreamSink *sink);
/* Delivers an event built with stream_event_init. */
void stream_emit(const StreamSink *sink, const StreamEvent *ev);
void stream_emit_progress(const StreamSink *sink, const char *phase, const char *label, int64_t done,
                          int64_t total);
/* An event of the given kind with every field "unset". */
StreamEvent stream_event_init(StreamEventKind kind);

#endif
