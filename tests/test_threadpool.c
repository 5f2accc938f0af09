/* test_threadpool.c — the thread pool's two kinds of job under stress:
 * dynamic jobs (threadpool_run_dynamic: work claimed from a shared counter,
 * late workers skipped) interleaved with static ones (threadpool_run: every
 * slice exactly once), on more threads than this machine has cores so that
 * workers are often late. Each item is done exactly once, thread indices are
 * unique among concurrent calls, and a job returns only after every call that
 * started has returned. (Slice semantics of threadpool_run alone: test_matmul.) */
#include <criterion/criterion.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "engine/threadpool.h"

#define MAX_ITEMS 64
#define N_THREADS 4

typedef struct Job {
    int n_items;
    atomic_int next;               /* next item to claim */
    atomic_int hits[MAX_ITEMS];    /* times each item was done */
    atomic_int busy[N_THREADS];    /* thread index currently inside fn */
    atomic_int in_flight;          /* calls of fn not yet returned */
    atomic_int calls;              /* calls of fn */
    atomic_int bad_idx;            /* an index out of range or used twice at once */
    int slow_worker;               /* a worker dawdles inside fn */
} Job;

static void enter(Job *j, int ti, int nt)
{
    atomic_fetch_add(&j->in_flight, 1);
    atomic_fetch_add(&j->calls, 1);
    if (ti < 0 || ti >= nt || nt > N_THREADS || atomic_exchange(&j->busy[ti], 1) != 0)
        atomic_store(&j->bad_idx, 1);
}

static void leave(Job *j, int ti)
{
    if (ti >= 0 && ti < N_THREADS)
        atomic_store(&j->busy[ti], 0);
    atomic_fetch_sub(&j->in_flight, 1);
}

static void dynamic_fn(void *arg, int ti, int nt)
{
    Job *j = arg;
    enter(j, ti, nt);
    for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->n_items;) {
        atomic_fetch_add(&j->hits[i], 1);
        if (j->slow_worker && ti != 0)
            usleep(2000); /* holds its item: the caller must wait for it */
    }
    leave(j, ti);
}

static void static_fn(void *arg, int ti, int nt)
{
    Job *j = arg;
    enter(j, ti, nt);
    atomic_fetch_add(&j->hits[ti], 1);
    leave(j, ti);
}

static void reset(Job *j, int n_items)
{
    memset(j, 0, sizeof *j);
    j->n_items = n_items;
}

Test(threadpool, dynamic_and_static_jobs_interleaved_do_every_item_once)
{
    ThreadPool *p = threadpool_new(N_THREADS);
    cr_assert_eq(threadpool_size(p), N_THREADS);
    uint32_t x = 12345;
    long partial = 0, total_calls = 0, n_dynamic = 0;
    Job j;
    for (int round = 0; round < 20000; round++) {
        x = x * 1103515245u + 12345u;
        bool dynamic = (x >> 16) % 3 != 0;
        int n_items = 1 + (int)((x >> 8) % MAX_ITEMS);
        reset(&j, n_items);
        j.slow_worker = round % 2000 == 1999;
        if (dynamic)
            threadpool_run_dynamic(p, dynamic_fn, &j);
        else
            threadpool_run(p, static_fn, &j);
        cr_assert_eq(atomic_load(&j.in_flight), 0, "round %d returned with a call still running", round);
        cr_assert_eq(atomic_load(&j.bad_idx), 0, "round %d: a thread index out of range or shared", round);
        int calls = atomic_load(&j.calls);
        if (dynamic) {
            for (int i = 0; i < n_items; i++)
                cr_assert_eq(atomic_load(&j.hits[i]), 1, "round %d: item %d done %d times", round, i,
                             atomic_load(&j.hits[i]));
            cr_assert(calls >= 1 && calls <= N_THREADS, "round %d: %d calls", round, calls);
            partial += calls < N_THREADS;
            n_dynamic++;
            total_calls += calls;
        } else {
            cr_assert_eq(calls, N_THREADS);
            for (int i = 0; i < N_THREADS; i++)
                cr_assert_eq(atomic_load(&j.hits[i]), 1, "round %d: slice %d ran %d times", round, i,
                             atomic_load(&j.hits[i]));
        }
    }
    /* tiny jobs: the caller often finishes before a worker can join, and is not
     * held up by the ones that come later */
    cr_assert_gt(partial, 0, "every worker joined every dynamic job");
    cr_log_info("dynamic jobs with a worker skipped: %ld; calls per dynamic job %.2f", partial,
                (double)total_calls / (double)n_dynamic);
    threadpool_free(p);
}

Test(threadpool, without_workers_the_caller_does_everything)
{
    Job j;
    reset(&j, 10);
    threadpool_run_dynamic(NULL, dynamic_fn, &j);
    cr_assert_eq(atomic_load(&j.calls), 1);
    for (int i = 0; i < 10; i++)
        cr_assert_eq(atomic_load(&j.hits[i]), 1);
    ThreadPool *one = threadpool_new(1);
    reset(&j, 10);
    threadpool_run_dynamic(one, dynamic_fn, &j);
    cr_assert_eq(atomic_load(&j.calls), 1);
    cr_assert_eq(atomic_load(&j.hits[9]), 1);
    threadpool_free(one);
}
