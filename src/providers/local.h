/* local.h — the built-in engine as a stream source.
 *
 * local_stream_start() loads the GGUF model and generates on a worker thread;
 * the thread talks to the event loop only through a pipe, whose read end the
 * loop polls. local_stream_pump() (called on the loop's thread when the fd is
 * readable) turns what arrived into StreamEvents (DELTA with token_id, USAGE,
 * TIMINGS, FINISH, ERROR, DONE) and fills the Reply's local extras. */
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

/* Starts generating; reply->prompt_token_ids and reply->backend are filled
 * as soon as known. NULL with err filled when it can not start. */
LocalStream *local_stream_start(const char *model_path, const Request *rq, const LocalOptions *opt,
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
