/* local.c — the built-in engine as a stream source (see local.h).
 *
 * PLACEHOLDER written by the lead so the run layer links before the engine
 * lands: every entry point reports that the engine is not built yet. The
 * engine engineer owns this file and replaces it whole. */
#include "providers/local.h"

#include <stdio.h>

bool local_engine_available(void) { return false; }

LocalStream *local_stream_start(const char *model_path, const Request *rq, const LocalOptions *opt,
                                Reply *reply, char *err, size_t errlen)
{
    (void)model_path;
    (void)rq;
    (void)opt;
    (void)reply;
    snprintf(err, errlen, "the built-in local engine is not built yet (local: models are not available in this build)");
    return NULL;
}

int local_stream_fd(const LocalStream *ls) { (void)ls; return -1; }
int local_stream_pump(LocalStream *ls, const StreamSink *sink) { (void)ls; (void)sink; return 1; }
void local_stream_cancel(LocalStream *ls) { (void)ls; }
void local_stream_free(LocalStream *ls) { (void)ls; }
