/* run.h — one round: a Request fanned out to every selected model at once.
 *
 * A Run resolves each model spec against the configuration, refuses what the
 * data-sensitivity class forbids, starts every HTTP stream on one libcurl
 * multi handle (no thread per request) and every local model on its engine
 * worker, and folds what arrives into one Reply per model. It never prints
 * and never touches the terminal: callers (versus run, the TUI, replay) drive
 * it with run_poll() from their own loop and read the Replies. One model's
 * failure is recorded in its Reply and never stops the others. */
#ifndef VERSUS_RUN_H
#define VERSUS_RUN_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "providers/target.h"
#include "core/reply.h"
#include "core/request.h"
#include "providers/local.h"

typedef struct Run Run;

/* One model's side of a conversation before this round: the earlier user
 * prompts and that model's own replies. */
typedef struct RunHistory {
    const Message *messages; /* (n) oldest first */
    size_t n;
} RunHistory;

typedef struct RunOptions {
    int max_retries;     /* retries on 408/429/5xx/529 before the first token (default 3) */
    double backoff_base_s; /* first backoff when no retry-after is given (default 0.5 s, doubling) */
    double max_retry_wait_s; /* retry-after longer than this fails instead (default 60 s) */
    bool record;         /* keep each reply's raw bytes with arrival times */
    double min_poll_gap_ms; /* network work is batched at most this often (0 = on every
                               arrival); the extra fds still wake run_poll at once. An
                               interactive UI uses a few ms to avoid waking per token. */
    LocalOptions local;  /* for local: models */
    const RunHistory *histories; /* (n_specs, in spec order) each model's own conversation so far,
                                    copied by run_new; NULL: the Request's history for every model */
    const char *const *key_urls; /* (n_key_urls) URLs the user allows keys to go to even though
                                    they were written inline after a provider's name */
    size_t n_key_urls;
} RunOptions;

/* Defaults as documented above. */
RunOptions run_options_default(void);

/* Called on the loop's thread after each event is folded into reply i, and
 * once more with ev == NULL when reply i becomes final. */
typedef void (*RunObserverFn)(void *user, size_t i, const Reply *reply, const StreamEvent *ev);

/* Builds the run; specs are copied. Per-model problems (unknown provider,
 * missing key, restricted data to a closed API) become REPLY_ERROR replies
 * that never send a byte. NULL only when memory runs out (err says so). */
Run *run_new(const Config *cfg, const Request *rq, const char *const *specs, size_t n_specs,
             const RunOptions *opt, char *err, size_t errlen);
void run_set_observer(Run *run, RunObserverFn fn, void *user);
/* Sends every request. Returns 0, or -1 when the HTTP layer can not start at all. */
int run_start(Run *run);
size_t run_count(const Run *run);
Reply *run_reply(Run *run, size_t i);
/* Waits up to timeout_ms for any stream (or any of extra[], whose revents are
 * filled) to have something, then processes everything that arrived, retries
 * that are due and timeouts. Returns the number of extra fds ready, or -1. */
int run_poll(Run *run, struct pollfd *extra, size_t n_extra, int timeout_ms);
/* Wakes a run_poll() blocked in another thread or signal handler context. */
void run_wakeup(Run *run);
/* True once every reply is final. */
bool run_done(const Run *run);
/* Cancels every stream still running (their replies become REPLY_CANCELLED). */
void run_cancel(Run *run);
/* Cancels stream i only, when it is still running; the others go on. */
void run_cancel_one(Run *run, size_t i);
/* Runs to completion; *cancel becoming non-zero (e.g. from a SIGINT handler,
 * which should also call run_wakeup) cancels all streams. */
void run_wait(Run *run, volatile int *cancel);
void run_free(Run *run);

#endif
