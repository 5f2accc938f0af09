/* grow.c — room for one more element of a growable array (see grow.h). */
#include "util/grow.h"

#include <stdint.h>
#include <stdlib.h>

void *grow_array(void *items, size_t *cap, size_t n, size_t elem, size_t first_cap)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? *cap * 2 : first_cap ? first_cap : 1;
    if (!elem || c <= *cap || c > SIZE_MAX / elem)
        return NULL;
    void *p = realloc(items, c * elem);
    if (p)
        *cap = c;
    return p;
}
