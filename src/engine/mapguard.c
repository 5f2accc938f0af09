/* mapguard.c — SIGBUS on a truncated model mapping becomes an error (see mapguard.h). */
#include "engine/mapguard.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPGUARD_SLOTS 32

struct MapGuard {
    _Atomic(uintptr_t) base; /* 0 = free slot */
    _Atomic(size_t) len;
    atomic_bool damaged;
};

static struct MapGuard slots[MAPGUARD_SLOTS];
static struct sigaction previous;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
    uintptr_t addr = (uintptr_t)si->si_addr;
    for (int i = 0; i < MAPGUARD_SLOTS; i++) {
        uintptr_t b = atomic_load(&slots[i].base);
        size_t l = atomic_load(&slots[i].len);
        if (!b || addr < b || addr >= b + l)
            continue;
        /* Zero pages over the rest of the region: the faulting read (and every
         * later one) sees zeros instead of killing the process. */
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t from = addr & ~(page - 1);
        size_t n = (size_t)(b + l - from);
        if (mmap((void *)from, n, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != MAP_FAILED) {
            atomic_store(&slots[i].damaged, true);
            return;
        }
        break;
    }
    /* Not ours (or the remap failed): behave as if we were never here. */
    if (previous.sa_flags & SA_SIGINFO && previous.sa_sigaction) {
        previous.sa_sigaction(sig, si, ctx);
        return;
    }
    if (previous.sa_handler != SIG_IGN && previous.sa_handler != SIG_DFL && previous.sa_handler) {
        previous.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL);
    raise(SIGBUS);
}

static void install(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigbus;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &previous);
}

MapGuard *mapguard_add(const void *base, size_t len)
{
    pthread_once(&install_once, install);
    for (int i = 0; i < MAPGUARD_SLOTS; i++) {
        uintptr_t expect = 0;
        if (atomic_compare_exchange_strong(&slots[i].base, &expect, (uintptr_t)1)) {
            atomic_store(&slots[i].len, len);
            atomic_store(&slots[i].damaged, false);
            atomic_store(&slots[i].base, (uintptr_t)base);
            return &slots[i];
        }
    }
    return NULL;
}

bool mapguard_damaged(const MapGuard *g)
{
    return g && atomic_load(&((MapGuard *)g)->damaged);
}

void mapguard_remove(MapGuard *g)
{
    if (!g)
        return;
    atomic_store(&g->len, 0);
    atomic_store(&g->base, (uintptr_t)0);
}
