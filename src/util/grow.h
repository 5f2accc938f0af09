/* grow.h — room for one more element at the end of a growable array.
 *
 * The one doubling realloc behind versus's growable arrays (report blocks,
 * tool calls, fixture cases, session rounds, a reply's tool calls): the
 * caller keeps items, n and cap in its own struct and asks for room before
 * appending. Not for byte buffers (util/buf.h grows those). */
#ifndef VERSUS_GROW_H
#define VERSUS_GROW_H

#include <stddef.h>

/* items holds n elements of elem bytes in room for *cap. When n < *cap,
 * returns items as it is; otherwise reallocates it to twice *cap (first_cap
 * when *cap is 0), sets *cap and returns the new array. NULL when memory
 * runs out or the size would overflow: items and *cap are then unchanged
 * and still the caller's. */
void *grow_array(void *items, size_t *cap, size_t n, size_t elem, size_t first_cap);

#endif
