/* threadpool.h — a fixed set of worker threads that run one parallel job at a
 * time (fork-join), for the engine's matrix products. The caller's thread takes
 * part as thread 0. Workers spin briefly between jobs (a decode step issues
 * hundreds of small jobs) and then sleep. Not for long-lived or queued tasks. */
#ifndef VERSUS_THREADPOOL_H
#define VERSUS_THREADPOOL_H

typedef struct ThreadPool ThreadPool;

/* n_threads counts the caller too; 0 = one per online CPU. NULL on failure. */
ThreadPool *threadpool_new(int n_threads);
/* Runs fn(arg, i, n) for i in 0..n-1 in parallel (a static partition: every
 * i runs, each exactly once) and returns when all are done. Only one thread
 * may run jobs on a pool at a time (this or threadpool_run_dynamic). A NULL
 * pool runs fn(arg, 0, 1). */
void threadpool_run(ThreadPool *p, void (*fn)(void *arg, int thread_idx, int n_threads), void *arg);
/* For jobs whose work is claimed dynamically (a shared counter), so that any
 * subset of the calls does all of it: runs fn(arg, 0, n) on the caller and
 * fn(arg, i, n) on each worker i that is ready to start before the caller's
 * call returns; workers that come later skip the job instead of being waited
 * for (on a busy machine a descheduled worker would otherwise stall every
 * product). i is unique among the concurrent calls and < n, so it may index
 * per-thread scratch. Returns when every call that started has returned. A
 * NULL pool runs fn(arg, 0, 1). */
void threadpool_run_dynamic(ThreadPool *p, void (*fn)(void *arg, int thread_idx, int n_threads), void *arg);
/* Number of threads (callers included); 1 for NULL. */
int threadpool_size(const ThreadPool *p);
/* Stops and joins the workers; NULL is a no-op. */
void threadpool_free(ThreadPool *p);

#endif
