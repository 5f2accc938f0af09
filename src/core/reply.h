/* reply.h — one model's answer to one round, as it accumulates.
 *
 * A Reply is fed StreamEvents (reply_apply_event) and owns everything the
 * headless printer, the TUI panes and the session store read: text, usage,
 * status, error, metrics, local-engine extras and the optional raw recording
 * of the bytes received. It does no I/O. */
#ifndef VERSUS_REPLY_H
#define VERSUS_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "core/progress.h"
#include "core/stream.h"

typedef enum ReplyStatus {
    REPLY_WAITING,   /* request sent (or queued), nothing received yet */
    REPLY_STREAMING, /* first text arrived, more may come */
    REPLY_OK,        /* finished normally */
    REPLY_ERROR,     /* failed; error_* says why, text keeps what arrived */
    REPLY_CANCELLED, /* stopped by the user (Esc, Ctrl-C) */
    REPLY_NOT_SENT,  /* versus refused or could not start it before anything was sent
                      * (restricted data, no key, bad spec, model file missing):
                      * error_* says why; no times, no cost, no attempt */
    REPLY_REFUSED,   /* finished, but the model declined (OpenAI refusal, Anthropic
                      * stop_reason refusal): status_reason and refusal say how */
    REPLY_BLOCKED,   /* finished, but the provider blocked the prompt or the answer
                      * (Gemini promptFeedback.blockReason, finishReason SAFETY ...):
                      * status_reason is the provider's reason */
} ReplyStatus;

/* Decode speed needs a window at least this long (first to latest token)
 * before it means anything; shorter replies have no rate (see
 * reply_live_tokens_per_s). */
#define REPLY_RATE_MIN_WINDOW_MS 250.0

/* A reply asking for more tool calls than this is failed (a hostile or
 * broken stream), not grown without bound. */
#define REPLY_MAX_TOOL_CALLS 4096

/* One tool call the model asked for; versus shows and stores it, never runs it. */
typedef struct ReplyToolCall {
    char *id;        /* the provider's call id, or NULL */
    char *name;      /* tool / function name */
    char *arguments; /* JSON text as the model wrote it (possibly invalid JSON) */
} ReplyToolCall;

typedef struct ReplyMetrics {
    double t_start_ms;          /* clock_now_ms() when the request was started */
    double t_first_ms;          /* first DELTA/REASONING, or < 0 */
    double t_last_ms;           /* latest DELTA/REASONING, or < 0 */
    double t_first_answer_ms;   /* first DELTA (the answer, not the reasoning), or < 0 */
    double t_last_answer_ms;    /* latest DELTA, or < 0 */
    double t_end_ms;            /* when the reply ended, or < 0 */
    double ttft_ms;             /* time to first token (reasoning or answer), or < 0 when none came;
                                 * a local model's times count from the end of its load */
    double ttfa_ms;             /* time to first answer token, or < 0 when no answer came */
    double total_ms;            /* request start to end, or < 0 while running */
    double output_tokens_per_s; /* decode speed as reply_live_tokens_per_s defines it, or < 0 */
    double cost_usd;            /* from usage and the price table; NAN = unknown */
    long delta_count;           /* DELTA+REASONING events seen (a token estimate) */
    long answer_delta_count;    /* DELTA events seen */
    /* server-reported speed (llama-server timings, Ollama stats; local engine) */
    double prompt_tokens_per_s; /* or < 0 */
    double server_output_tokens_per_s; /* or < 0 */
    /* local engine */
    double load_ms;             /* model load time, or < 0; not part of ttft/ttfa/total */
    double rss_mib;             /* resident memory after generation, or < 0 */
    /* how cost_usd was reached (prices.h PRICES_BASIS_*), "" while unknown,
     * and the price per 1M tokens it used (NAN when not known) */
    char cost_basis[40];
    double input_usd_per_mtok, output_usd_per_mtok;
} ReplyMetrics;

/* One piece of raw bytes as it arrived from the network. */
typedef struct ReplyChunk {
    double t_ms;   /* ms after t_start_ms */
    size_t offset; /* into ReplyRecording.bytes */
    size_t len;
} ReplyChunk;

typedef struct ReplyRecording {
    bool enabled;
    int http_status;
    Buf bytes;          /* every body byte received, in order */
    ReplyChunk *chunks; /* (n_chunks) */
    size_t n_chunks, cap_chunks;
} ReplyRecording;

typedef struct Reply {
    char *spec;     /* as the user gave it, e.g. "openai:gpt-4o-mini" */
    char *provider; /* the provider's name: "openai", "anthropic", "gemini", "ollama", "openai-compat",
                     * "local", or one the configuration defines ("router") */
    char *alias_of; /* when spec is a config alias ("fast"): what it stood for
                     * ("openai:gpt-4o-mini"), counted as that model in reports; else NULL */
    char kind[32];  /* its wire protocol when provider is a configured name that is none of the
                     * above ("openai-compat" for "router"); "" when provider names it: see reply_kind() */
    char *model;    /* the model name sent to the provider */
    ReplyStatus status;
    Buf text;      /* visible reply so far */
    Buf reasoning; /* thinking text, when the provider streams it */
    Buf refusal;   /* the model's refusal message, when it sent one (never in text) */
    char *status_reason; /* refused/blocked: the provider's reason ("refusal", "SAFETY"), or NULL */
    ReplyStatus end_status; /* what reply_finish turns a healthy stream into: REPLY_OK,
                             * REPLY_REFUSED or REPLY_BLOCKED */
    ReplyToolCall *tool_calls; /* (n_tool_calls) in the order they came */
    size_t n_tool_calls, cap_tool_calls;
    long redacted_reasoning;    /* reasoning blocks sent encrypted: counted, never shown */
    bool truncated_by_reasoning; /* finish "length" with the output budget spent on
                                  * reasoning and little or no answer (set when final) */
    char reasoning_request[24]; /* what --reasoning asked of this model ("high", "8000"),
                                 * "" when nothing was asked */
    char finish_reason[32]; /* "" when none was reported; "error" once the reply failed */
    bool incomplete;        /* ended without the provider's end marker */
    bool saw_done;          /* the provider's end marker was seen */
    /* error (status == REPLY_ERROR) */
    int http_status;     /* 0 when no HTTP status applies */
    char *error_type;    /* provider's type/code, or our own ("connection", "timeout", ...) */
    char *error_message; /* the provider's own message, or ours for local failures */
    char *error_hint;    /* what the user can do about it, or NULL */
    Usage usage;
    ReplyMetrics metrics;
    int attempts; /* HTTP attempts made (retries + 1) */
    /* local engine extras (n_* == 0 otherwise) */
    int *token_ids;        /* (n_token_ids) generated ids */
    size_t n_token_ids, cap_token_ids;
    int *prompt_token_ids; /* (n_prompt_token_ids) */
    size_t n_prompt_token_ids;
    char backend[16];      /* "cpu" | "cuda" | "" */
    char chat_template[400]; /* what formatted the local prompt and why ("the model's own chat
                                template ...", "fallback gemma format: ...", "raw: ..."), or "" */
    bool chat_template_fallback; /* a hand-written format, not the model's own template */
    bool chat_template_raw;      /* --raw: no template at all, the prompt as given */
    char quant[24];        /* local: the file's quantization type ("Q4_K_M", from general.file_type),
                            * else the weights' main type ("Q4_K", "F16"); "" when unknown */
    char gpu_name[96];     /* local: the GPU it ran beside ("NVIDIA H100 80GB HBM3"), "" when none */
    /* GPU memory seen when a local model ran (vram_known false: not a local model) */
    bool vram_known;
    bool gpu_present;          /* false: "no GPU" */
    double vram_total_mib;     /* device memory, or -1 when unknown */
    double vram_used_mib;      /* used by every process, or -1 */
    double vram_process_mib;   /* used by versus, or -1 */
    Progress progress;         /* local: the model being downloaded or loaded before its first token */
    ReplyRecording recording;
} Reply;

/* A new Reply in REPLY_WAITING; strings are copied. NULL when out of memory. */
Reply *reply_new(const char *spec, const char *provider, const char *model);
/* The reply's wire protocol: kind when set, else provider. What decodes its
 * recording and says whether it is a closed API, with or without the
 * configuration that named its provider. */
const char *reply_kind(const Reply *r);
/* Sets (a copy of) what r's spec stands for when it is a config alias. 0, or -1 out of memory. */
int reply_set_alias_of(Reply *r, const char *alias_of);
void reply_free(Reply *r);
/* Marks the request as started now (resets metrics and text). */
void reply_start(Reply *r, double now_ms);
/* Folds one event into the reply at time now_ms. */
void reply_apply_event(Reply *r, const StreamEvent *ev, double now_ms);
/* Ends the reply: REPLY_OK unless an error/cancel was recorded; computes the
 * final metrics. Calling it twice is harmless. */
void reply_finish(Reply *r, double now_ms);
/* Marks a reply that was never sent (REPLY_NOT_SENT): the reason goes to
 * error_type/error_message, every time is unknown (< 0), the cost unknown
 * (NAN), attempts 0. Does nothing to a reply that is already final. */
void reply_not_sent(Reply *r, const char *type, const char *message);
/* False for REPLY_NOT_SENT: the request never left versus. */
bool reply_was_sent(const Reply *r);
/* True when the reply has an answer to judge: it was sent and finished ok,
 * refused or blocked (a refusal or a block is the model's answer too), or
 * some text came before it failed or was stopped. A candidate that did not
 * take part can not win a label and takes no part in ratings or policy
 * figures (eval/battles.h). */
bool reply_took_part(const Reply *r);
/* Records a failure (keeps any partial text, marks it incomplete when text
 * came); the finish reason becomes "error" whatever came before. */
void reply_fail(Reply *r, int http_status, const char *type, const char *message, double now_ms);
/* Sets the hint shown with the error (copied). */
void reply_set_hint(Reply *r, const char *hint);
/* Marks the reply cancelled (keeps partial text). */
void reply_cancel(Reply *r, double now_ms);
/* Appends raw bytes to the recording when it is enabled. */
void reply_record(Reply *r, const char *bytes, size_t n, double now_ms);
/* The speeds a cost estimate divides by, as measured for this reply:
 * prompt tokens/s as the engine or server reported it, else input tokens
 * over the time to first token (a local model's starts after its load);
 * decode tokens/s as the server reported it, else versus's own
 * output_tokens_per_s. -1 when unknown. */
double reply_prompt_tokens_per_s(const Reply *r);
double reply_decode_tokens_per_s(const Reply *r);
/* Output tokens: usage when reported, else the number of deltas seen. */
long reply_output_tokens(const Reply *r);
/* Reasoning tokens: usage when reported, else -1 (unknown). */
long reply_reasoning_tokens(const Reply *r);
/* Appends a copy of a tool call. 0, or -1 when out of memory. */
int reply_add_tool_call(Reply *r, const char *id, const char *name, const char *arguments);
/* True once the reply will change no more (ok, error, cancelled, not sent,
 * refused, blocked). */
bool reply_is_final(const Reply *r);
/* "waiting" | "streaming" | "ok" | "error" | "cancelled" | "not_sent" |
 * "refused" | "blocked" */
const char *reply_status_name(ReplyStatus s);
/* The status for its name; 0, or -1 when the name is unknown. */
int reply_status_parse(const char *name, ReplyStatus *out);
/* Decode tokens per second, the one definition every view shows
 * (versus(1), TOKENS PER SECOND): the server's own decode rate when it
 * reports one (llama-server timings, Ollama eval stats, the local engine);
 * otherwise the tokens after the first divided by the time from the first
 * to the latest token: answer tokens over the answer's window when the
 * provider counts reasoning tokens apart (their text, if any, is a summary
 * or arrives before the answer), every output token over the whole stream
 * when not. Unknown (< 0) while that window is shorter than
 * REPLY_RATE_MIN_WINDOW_MS or fewer than two tokens came: never a figure
 * from a burst. Final replies give the value fixed when they ended. */
double reply_live_tokens_per_s(const Reply *r);

#endif
