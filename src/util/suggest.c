/* suggest.c — the nearest known name to a mistyped one (see suggest.h). */
#include "util/suggest.h"

#include <string.h>

#define SUGGEST_MAX 64

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

int suggest_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    if (na > SUGGEST_MAX || nb > SUGGEST_MAX)
        return 1000;
    /* the optimal string alignment form: three rows of the table suffice */
    int rows[3][SUGGEST_MAX + 1];
    int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= nb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= na; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= nb; j++) {
            int cost = lower(a[i - 1]) != lower(b[j - 1]);
            int d = prev[j] + 1;
            if (cur[j - 1] + 1 < d)
                d = cur[j - 1] + 1;
            if (prev[j - 1] + cost < d)
                d = prev[j - 1] + cost;
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) && lower(a[i - 2]) == lower(b[j - 1]) &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
        }
        int *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[nb];
}

const char *suggest_nearest(const char *word, const char *const *known, size_t n)
{
    if (!word || !*word)
        return NULL;
    size_t len = strlen(word);
    int limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    const char *best = NULL;
    int best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        if (!known[i])
            continue;
        int d = suggest_distance(word, known[i]);
        if (len >= 3 && strlen(known[i]) > len && strncmp(known[i], word, len) == 0 && d > limit)
            d = limit; /* a prefix of the name: close enough to offer */
        if (d < best_d) {
            best_d = d;
            best = known[i];
        }
    }
    return best;
}
