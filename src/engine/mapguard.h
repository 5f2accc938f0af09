/* mapguard.h — surviving a model file that shrinks under its mapping.
 *
 * The engine reads weights straight from the GGUF file's mmap. If the file is
 * truncated on disk while a model runs (a download restarted, a user copying
 * over it), touching a page past the new end raises SIGBUS, which would kill
 * the whole process and every other model's reply with it. A guarded region
 * instead gets zero pages mapped over the lost part, and is marked damaged so
 * the engine stops with an error at its next check. This is the one piece of
 * process-global state in the engine: a signal handler has no other way in. */
#ifndef VERSUS_MAPGUARD_H
#define VERSUS_MAPGUARD_H

#include <stdbool.h>
#include <stddef.h>

typedef struct MapGuard MapGuard;

/* Starts guarding [base, base+len) (a read-only file mapping); NULL when the
 * table is full (the region is then simply unguarded). Installs the SIGBUS
 * handler on first use. */
MapGuard *mapguard_add(const void *base, size_t len);
/* True once a fault in the region was absorbed (the file shrank). */
bool mapguard_damaged(const MapGuard *g);
/* Stops guarding (before munmap). NULL is fine. */
void mapguard_remove(MapGuard *g);

#endif
