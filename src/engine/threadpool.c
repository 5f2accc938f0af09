/* threadpool.c — fork-join worker pool (see threadpool.h). A job is published
 * by bumping the generation in one atomic state word; workers spin on it for a
 * short while, then sleep on a condition variable. The caller runs slice 0
 * itself, then waits:
 *   - static jobs (threadpool_run): until every worker has run its slice;
 *   - dynamic jobs (threadpool_run_dynamic): only for the workers that joined
 *     before the caller finished its own call. A worker joins by incrementing
 *     the active count in the state word, which the caller closes with one
 *     atomic OR; a worker that comes later (descheduled on a busy machine)
 *     finds the job closed or superseded and skips it, so no product waits
 *     for a thread the scheduler is not running.
 * A worker also stops spinning for a while when the kernel has preempted it
 * (more runnable threads than cores): its spinning would then only take CPU
 * time from the caller (with autogroup scheduling, threads of one session
 * share one slice of the machine). */
#include "engine/threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long a worker spins for the next job before sleeping (iterations of a
 * pause instruction, ~50-200 us): long enough to cover the gap between the
 * matrix products of one decode step. The caller's wait spins as long. */
#define SPIN_ITERS (1 << 13)

/* After a worker was preempted, how long it goes without spinning, ms. */
#define BACKOFF_MS 100.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Times this thread was preempted so far (involuntary context switches), or
 * 0 where the system does not say (the spin then never adapts). */
static long thread_preemptions(void)
{
#ifdef RUSAGE_THREAD
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0)
        return ru.ru_nivcsw;
#endif
    return 0;
}

/* The state word: generation << 32 | DYNAMIC | CLOSED | workers active in a
 * dynamic job. Only the caller changes the generation. */
#define ST_GEN_SHIFT 32
#define ST_DYNAMIC (1ull << 31)
#define ST_CLOSED (1ull << 30)
#define ST_ACTIVE ((1ull << 30) - 1)
#define ST_GEN(s) ((uint32_t)((s) >> ST_GEN_SHIFT))

typedef struct Worker {
    ThreadPool *pool;
    int idx;
} Worker;

struct ThreadPool {
    int n;                 /* threads including the caller */
    pthread_t *threads;    /* n - 1 workers */
    Worker *workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    _Atomic uint64_t state; /* see ST_* */
    uint32_t gen;          /* the caller's copy of the current generation */
    atomic_int pending;    /* static job: worker slices not finished yet */
    atomic_bool stop;
    void (*fn)(void *arg, int thread_idx, int n_threads);
    void *arg;
};

static void *worker_main(void *p)
{
    Worker *w = p;
    ThreadPool *tp = w->pool;
    uint32_t seen = 0;
    long preempted = thread_preemptions();
    double calm_at = 0;         /* ms: no spinning before this */
    for (;;) {
        /* Preempted since the last job: the machine is oversubscribed, and a
         * spinning worker takes CPU the caller needs. Sleep between jobs then
         * (still joining any job it wakes in time for) until BACKOFF_MS pass
         * without a preemption. */
        long now = thread_preemptions();
        double t = now_ms();
        if (now != preempted)
            calm_at = t + BACKOFF_MS;
        preempted = now;
        int spin = t < calm_at ? 0 : SPIN_ITERS;
        uint64_t s = atomic_load_explicit(&tp->state, memory_order_acquire);
        for (int i = 0; ST_GEN(s) == seen && i < spin; i++) {
            CPU_RELAX();
            s = atomic_load_explicit(&tp->state, memory_order_acquire);
        }
        if (ST_GEN(s) == seen) {
            pthread_mutex_lock(&tp->mu);
            while (ST_GEN(s = atomic_load(&tp->state)) == seen && !atomic_load(&tp->stop))
                pthread_cond_wait(&tp->cv, &tp->mu);
            pthread_mutex_unlock(&tp->mu);
        }
        if (atomic_load(&tp->stop))
            return NULL;
        seen = ST_GEN(s);
        if (!(s & ST_DYNAMIC)) { /* static: the caller waits for this slice */
            tp->fn(tp->arg, w->idx, tp->n);
            atomic_fetch_sub_explicit(&tp->pending, 1, memory_order_release);
            continue;
        }
        /* dynamic: join while the job is still this one and open, else skip it */
        bool joined = false;
        while (ST_GEN(s) == seen && !(s & ST_CLOSED) && !joined)
            joined = atomic_compare_exchange_weak_explicit(&tp->state, &s, s + 1, memory_order_acq_rel,
                                                           memory_order_acquire);
        if (!joined)
            continue; /* closed (nothing left to do) or superseded (the loop takes the new one) */
        tp->fn(tp->arg, w->idx, tp->n);
        atomic_fetch_sub_explicit(&tp->state, 1, memory_order_release);
    }
}

ThreadPool *threadpool_new(int n_threads)
{
    if (n_threads <= 0) {
        long c = sysconf(_SC_NPROCESSORS_ONLN);
        n_threads = c > 0 ? (int)c : 1;
    }
    if (n_threads > 256)
        n_threads = 256;
    ThreadPool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->n = n_threads;
    p->threads = calloc((size_t)n_threads, sizeof *p->threads);
    p->workers = calloc((size_t)n_threads, sizeof *p->workers);
    if (!p->threads || !p->workers) {
        free(p->threads);
        free(p->workers);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    atomic_init(&p->state, 0);
    atomic_init(&p->pending, 0);
    atomic_init(&p->stop, false);
    for (int i = 1; i < n_threads; i++) {
        p->workers[i] = (Worker){ p, i };
        if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]) != 0) {
            p->n = i; /* run with the workers that did start */
            break;
        }
    }
    return p;
}

/* Publishes job fn(arg) as the next generation (the previous job is over:
 * every worker that took part in it has finished). */
static void publish(ThreadPool *p, void (*fn)(void *, int, int), void *arg, uint64_t flags)
{
    p->fn = fn;
    p->arg = arg;
    p->gen++;
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->state, (uint64_t)p->gen << ST_GEN_SHIFT | flags, memory_order_release);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

/* Spins, then yields, until done(p) holds. */
static void wait_until(ThreadPool *p, bool (*done)(ThreadPool *))
{
    for (unsigned i = 0; !done(p); i++) {
        if (i < SPIN_ITERS)
            CPU_RELAX();
        else
            sched_yield();
    }
}

static bool static_done(ThreadPool *p)
{
    return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}

static bool dynamic_done(ThreadPool *p)
{
    return (atomic_load_explicit(&p->state, memory_order_acquire) & ST_ACTIVE) == 0;
}

void threadpool_run(ThreadPool *p, void (*fn)(void *arg, int thread_idx, int n_threads), void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    atomic_store(&p->pending, p->n - 1);
    publish(p, fn, arg, 0);
    fn(arg, 0, p->n);
    wait_until(p, static_done);
}

void threadpool_run_dynamic(ThreadPool *p, void (*fn)(void *arg, int thread_idx, int n_threads), void *arg)
{
    if (!p || p->n == 1) {
        fn(arg, 0, 1);
        return;
    }
    publish(p, fn, arg, ST_DYNAMIC);
    fn(arg, 0, p->n);
    atomic_fetch_or_explicit(&p->state, ST_CLOSED, memory_order_acq_rel); /* no one joins from now on */
    wait_until(p, dynamic_done);
}

int threadpool_size(const ThreadPool *p)
{
    return p ? p->n : 1;
}

void threadpool_free(ThreadPool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, true);
    atomic_store(&p->state, (uint64_t)++p->gen << ST_GEN_SHIFT);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
    free(p->threads);
    free(p->workers);
    free(p);
}
