/* engine.h — the built-in inference engine: one loaded model (GGUF mapping,
 * weights, KV cache, thread pool, tokenizer, chat template) and the generate
 * loop, plus a worker thread that runs a whole job (load, template, tokenize,
 * generate) and reports to the event loop through a socket of small framed
 * messages; the worker also resolves a model reference first, so that a
 * first-use download never runs on the event loop.
 *
 * Synchronous use (tests, `versus bench`): engine_load + engine_generate.
 * Asynchronous use (providers/local.c): engine_worker_start, poll
 * engine_worker_fd, drain with engine_worker_read. Nothing here prints, and a
 * failure is always a returned error, never an exit. */
#ifndef VERSUS_ENGINE_H
#define VERSUS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/chat_template.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/think_split.h"
#include "engine/sampler.h"

typedef struct Engine Engine;

/* Where the forward passes run. */
typedef enum EngineBackend {
    ENGINE_BACKEND_CPU,  /* the zero value: model.c on the thread pool */
    ENGINE_BACKEND_AUTO, /* CUDA when a device is usable and the model fits its free memory
                            (with gpu_layers 0: the whole model), else CPU with a note saying why */
    ENGINE_BACKEND_CUDA, /* backend_cuda.h, or a load error saying why it cannot run */
} EngineBackend;

typedef struct EngineOptions {
    int n_ctx;     /* KV cache tokens; <= 0 = min(model context, 4096) */
    int n_threads; /* <= 0 = one per online CPU (1 for toy models under 8 MiB) */
    int batch;     /* prefill chunk, tokens; <= 0 = default (64 on the CPU, 512 on CUDA) */
    EngineBackend backend;
    int gpu_layers; /* CUDA: the first N layers live in device memory, the rest are read from
                       pinned host memory; <= 0 = all (CUDA: as many as fit when not all do) */
    const char *kv_type; /* CPU KV cache: "f32" | "f16" | "q8_0"; NULL = f16 (kvcache.h) */
} EngineOptions;

/* "auto" | "cpu" | "cuda" (NULL = "auto") to *b; 0, or -1 for another name. */
int engine_backend_parse(const char *name, EngineBackend *b);

/* Maps, validates and prepares path, on the backend opt asks for. NULL with
 * err (naming the file and the problem) on failure, including CUDA asked for
 * explicitly where it cannot run ("no CUDA device", "this build has no CUDA
 * backend", "needs 5000 MiB on the GPU, 3900 MiB free"). */
Engine *engine_load(const char *path, const EngineOptions *opt, char *err, size_t errlen);
void engine_free(Engine *e);

Model *engine_model(Engine *e);
const GgufFile *engine_gguf(const Engine *e);
/* Wall time engine_load took, ms. */
double engine_load_ms(const Engine *e);
/* Threads the engine computes with (the caller's included). */
int engine_threads(const Engine *e);
/* The backend the forward passes run on: "cpu" | "cuda". */
const char *engine_backend(const Engine *e);
/* Why ENGINE_BACKEND_AUTO settled on the CPU ("no CUDA device: ..."), or "". */
const char *engine_backend_note(const Engine *e);
/* CUDA: layers whose weights are in device memory; 0 on the CPU backend. */
int engine_gpu_layers(const Engine *e);
/* True for end-of-generation tokens (EOS, EOT, <|im_end|>, ...). */
bool engine_is_eog(const Engine *e, int token);
/* Beginning-of-sequence token, or -1 when the model has none. */
int engine_bos(const Engine *e);
/* The model's chat template: its own (Jinja) or the fallback family, and why
 * (chat_template.h). */
const ChatTemplate *engine_chat_template(const Engine *e);

/* What building a prompt decided besides its ids. */
typedef struct EnginePromptInfo {
    char template_note[400];   /* what formatted the prompt and why: "the model's own chat
                                  template ...", "fallback gemma format: ...", "raw: ..." */
    bool fallback;             /* a hand-written family formatted it */
    ThinkFormat reasoning; /* how the reply marks its thinking (THINK_NONE for raw) */
    char think_open[16], think_close[16];
    bool thinking_open;        /* the prompt already opened the thinking part */
} EnginePromptInfo;

/* Builds the prompt token ids for a conversation. Chat: the model's chat
 * template rendered with in (chat_template.h) and tokenized so that special
 * tokens are parsed in the template's text only, never in message text (a
 * user typing "<|im_end|>" gets text tokens). Raw: the messages' texts
 * (system messages left out) concatenated and tokenized with special-token
 * text parsed, as llama.cpp's completion does. BOS is added when the model
 * wants one (a template that writes it itself does not get a second). *ids
 * is malloc'ed (free it); info may be NULL. Returns 0, or -1 with err (the
 * template's own message when it refuses the conversation). */
int engine_build_chat_prompt(Engine *e, const ChatInput *in, bool raw, int **ids, size_t *n, EnginePromptInfo *info,
                             char *err, size_t errlen);
/* engine_build_chat_prompt for an optional system prompt and one user message. */
int engine_build_prompt(Engine *e, const char *system, const char *user, bool raw, int **ids,
                        size_t *n, char *err, size_t errlen);

/* Called for every generated token with its text: complete UTF-8 only (a
 * token ending inside a multi-byte character gives len 0, the next one
 * carries the bytes; see token_decoder.h). Bytes still held back when
 * generation ends come in one last call with token -1. Return non-zero to
 * stop (finish "cancelled"). */
typedef int (*EngineTokenFn)(void *user, int token, const char *text, size_t len);

typedef struct EngineGenParams {
    SamplerParams sampler;
    int max_tokens;     /* <= 0: until the context is full */
    bool ignore_eos;    /* keep going past end-of-generation tokens */
} EngineGenParams;

/* What one engine_generate measured. */
typedef struct EngineStats {
    int n_prompt;               /* tokens */
    int n_output;               /* tokens generated (an EOS that stopped it excluded) */
    int n_reasoning;            /* worker: the part of n_output spent thinking; -1 when the
                                   model has no thinking format (engine_generate leaves it -1) */
    double prefill_ms;          /* prompt forward pass */
    double ttft_ms;             /* start of engine_generate to the first token's callback */
    double decode_ms;           /* single-token forward passes + sampling after the first token */
    double prompt_tokens_per_s; /* n_prompt / prefill time, or -1 */
    double output_tokens_per_s; /* decode steps / decode time, or -1 */
    char finish_reason[16];     /* "stop" | "length" | "cancelled" */
} EngineStats;

/* Generates from prompt (n >= 1 tokens; the KV cache restarts at position
 * 0): prefill in chunks, then sample/decode until an end-of-generation token
 * ("stop"), max_tokens or a full context ("length"), or *cancel becoming
 * non-zero or cb returning non-zero ("cancelled"; cancel is checked between
 * prefill chunks and before every token). Returns 0 with stats filled, or -1
 * with err (a prompt that does not fit, a bad token id). */
int engine_generate(Engine *e, const int *prompt, size_t n, const EngineGenParams *gp,
                    EngineTokenFn cb, void *user, volatile int *cancel, EngineStats *stats,
                    char *err, size_t errlen);

/* Teacher-forced logits on the engine's backend: forwards ids[i] at position
 * pos + i one token at a time (positions before pos must be in the cache) and
 * copies the logits after each into all + i * n_vocab, caller-owned (n,
 * n_vocab). One token at a time so
 * that every backend (the CUDA one keeps only the last logits) gives every
 * position: for comparing backends. 0, or -1 with err. */
int engine_logits_stepwise(Engine *e, const int *ids, size_t n, int pos, float *all, char *err, size_t errlen);

/* ---- timing entry points for `versus bench` ---- */

/* Forwards n_tokens (a fixed pseudo-random sequence) from position 0 as one
 * prefill; *ms gets the wall time. 0, or -1 with err. */
int engine_bench_prefill(Engine *e, int n_tokens, double *ms, char *err, size_t errlen);
/* Prefills n_past tokens, then times n_tokens single-token forward passes
 * (greedy feedback, no sampling cost); *ms gets the decode wall time. */
int engine_bench_decode(Engine *e, int n_past, int n_tokens, double *ms, char *err, size_t errlen);

/* Resident memory of this process, MiB (from /proc/self/statm), or -1. */
double engine_rss_mib(void);

/* ---- the worker: one job on its own thread, reporting through a socket ---- */

typedef struct EngineJob {
    const char *model_path; /* the GGUF file, or NULL to resolve model_ref instead */
    const char *model_ref;  /* when model_path is NULL: a reference (model_ref.h) resolved on the
                               worker, downloading a first-use hf:// file with PROGRESS messages */
    EngineOptions opt;
    const ChatMessage *messages; /* the conversation; when NULL: system + prompt */
    size_t n_messages;
    const char *tools_json;       /* ChatInput's */
    ChatThinking thinking;
    const char *reasoning_effort;
    const char *system;  /* or NULL */
    const char *prompt;  /* user text */
    bool raw;            /* no chat template */
    const int *prompt_ids; /* when non-NULL: these ids are the prompt (system/prompt/raw unused) */
    size_t n_prompt_ids;
    EngineGenParams gen;
} EngineJob;

typedef enum EngineMsgKind {
    ENGINE_MSG_LOADED,  /* load_ms, backend */
    ENGINE_MSG_PROMPT,  /* ids, n_ids: the prompt as tokenized; text: the template note, fallback */
    ENGINE_MSG_TOKEN,   /* token (-1 on a second piece of one token), thinking, text/len */
    ENGINE_MSG_USAGE,   /* n_prompt, n_output, n_reasoning */
    ENGINE_MSG_TIMINGS, /* prompt_tokens_per_s, output_tokens_per_s, ttft_ms, rss_mib, vram */
    ENGINE_MSG_FINISH,  /* text: "stop" | "length" | "cancelled" */
    ENGINE_MSG_ERROR,   /* text: what went wrong */
    ENGINE_MSG_PROGRESS,/* phase "download" | "load", text: the file name, done/total bytes
                           (total < 0: unknown); "load" always comes before engine_load, so
                           an ERROR before it means the model could not be resolved */
    ENGINE_MSG_DONE,    /* the worker is finished; nothing follows (keep it last) */
} EngineMsgKind;

/* One decoded message; pointers are valid until the next engine_worker_read. */
typedef struct EngineMsg {
    EngineMsgKind kind;
    int token;
    bool thinking;      /* TOKEN: the text is the model's thinking, not its answer */
    bool fallback;      /* PROMPT: a hand-written family formatted the prompt */
    const char *text;   /* TOKEN bytes, PROMPT template note, FINISH reason, ERROR message (NUL-terminated) */
    size_t len;
    const int *ids;     /* PROMPT */
    size_t n_ids;
    long n_prompt, n_output, n_reasoning; /* USAGE; n_reasoning -1: no thinking format */
    double load_ms, prompt_tokens_per_s, output_tokens_per_s, ttft_ms, rss_mib;
    const char *backend; /* LOADED: "cpu" | "cuda" */
    const char *phase;   /* PROGRESS: "download" | "load" */
    int64_t done, total; /* PROGRESS: bytes */
    /* TIMINGS, cuda backend only: the GPU's memory read on the worker right after
     * generating, while the model is still resident (vram_known false otherwise) */
    bool vram_known, gpu_present;
    double vram_total_mib, vram_used_mib, vram_process_mib; /* -1 = unknown */
} EngineMsg;

typedef struct EngineWorker EngineWorker;

/* Copies the job and starts its thread. NULL with err when no thread or
 * socket can be made (every later failure arrives as an ERROR message). */
EngineWorker *engine_worker_start(const EngineJob *job, char *err, size_t errlen);
/* Non-blocking read end to poll for POLLIN. */
int engine_worker_fd(const EngineWorker *w);
/* Next complete message: 1 with *msg filled, 0 when none is available yet,
 * -1 when the worker closed its end without DONE (a crash of the protocol). */
int engine_worker_read(EngineWorker *w, EngineMsg *msg);
/* Asks the worker to stop at the next token (or prefill chunk). */
void engine_worker_cancel(EngineWorker *w);
/* Cancels, joins the thread and frees everything; never blocks on a reader. */
void engine_worker_free(EngineWorker *w);

#endif
