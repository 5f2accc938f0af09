/* local.h — the built-in engine as a stream source.
 *
 * local_stream_start() resolves the model reference (downloading a first-use
 * hf:// file), loads the GGUF model and generates, all on a worker thread;
 * the thread talks to the event loop only through a socket, whose read end
 * the loop polls. local_stream_pump() (called on the loop's thread when the
 * fd is readable) turns what arrived into StreamEvents (PROGRESS "download"
 * and "load", DELTA with token_id, USAGE, TIMINGS, FINISH, ERROR, DONE) and
 * fills the Reply's local extras. An ERROR before the "load" PROGRESS has
 * error_type "model" (the model could not be found or downloaded); later
 * ones "engine". */
#ifndef VERSUS_LOCAL_H
#define VERSUS_LOCAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/reply.h"
#include "core/request.h"
#include "core/stream.h"

typedef struct LocalStream LocalStream;

typedef struct LocalOptions {
    int threads;            /* 0 = all cores */
    const char *backend;    /* "auto" | "cpu" | "cuda" */
    int gpu_layers;         /* -1 = all that fit */
    const char *kv_type;    /* CPU KV cache "f32" | "f16" | "q8_0"; NULL = f16 */
} LocalOptions;

/* Starts the job for model_ref (model_ref.h: a path, hf://..., or "" for the
 * default model); reply->prompt_token_ids and reply->backend are filled as
 * soon as known. Never blocks on the network. NULL with err filled when it
 * can not start (bad options, no thread). */
LocalStream *local_stream_start(const char *model_ref, const Request *rq, const LocalOptions *opt,
                                Reply *reply, char *err, size_t errlen);
/* The fd to poll for readability. */
int local_stream_fd(const LocalStream *ls);
/* Delivers what arrived to sink; returns 1 once the stream has ended (DONE or
 * ERROR delivered), 0 otherwise. Never blocks. */
int local_stream_pump(LocalStream *ls, const StreamSink *sink);
/* Asks the worker to stop at the next token. */
void local_stream_cancel(LocalStream *ls);
/* Joins the worker and frees everything. */
void local_stream_free(LocalStream *ls);
/* True when this build has the built-in engine. */
bool local_engine_available(void);

#endif
