/* suggest.h — "did you mean ...?": the known name nearest to a mistyped one.
 *
 * Used where a name the user wrote is not one versus knows (a config key, a
 * command-line option), so the message can offer the likely intended one.
 * Pure: no I/O, no allocation. Not for fuzzy search over large lists. */
#ifndef VERSUS_SUGGEST_H
#define VERSUS_SUGGEST_H

#include <stddef.h>

/* The Damerau-Levenshtein distance (insertions, deletions, substitutions
 * and swaps of two adjacent characters each cost 1) between a and b,
 * compared as bytes, ASCII case-insensitive; strings longer than 64 bytes
 * count as far from everything (returns 1000). */
int suggest_distance(const char *a, const char *b);
/* The name in known[0..n) nearest to word, or NULL when none is close:
 * within 1 edit for words up to 4 bytes, 2 up to 8, else 3. A known name
 * that starts with word (at least 3 bytes of it) counts as close. Ties
 * go to the first in known. */
const char *suggest_nearest(const char *word, const char *const *known, size_t n);

#endif
