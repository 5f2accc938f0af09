/* style.c — counting a reply's length and markdown (see style.h). */
#include "eval/style.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The text with fenced code blocks cut out (malloc'ed, NUL-terminated). */
static char *without_code(const char *t, size_t len, size_t *out_len)
{
    char *o = malloc(len + 1);
    if (!o)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (i + 3 <= len && memcmp(t + i, "```", 3) == 0) {
            size_t j = i + 3;
            while (j < len && t[j] != '`')
                j++;
            if (j + 3 <= len && memcmp(t + j, "```", 3) == 0) {
                i = j + 3; /* a whole block: drop it */
                continue;
            }
        }
        o[n++] = t[i++];
    }
    o[n] = '\0';
    *out_len = n;
    return o;
}

/* Counts delim text delim spans (text without newline or the delimiter's char). */
static double spans(const char *t, size_t len, char c)
{
    double count = 0;
    for (size_t i = 0; i + 1 < len;) {
        if (t[i] == c && t[i + 1] == c) {
            size_t j = i + 2;
            while (j < len && t[j] != c && t[j] != '\n')
                j++;
            if (j > i + 2 && j + 1 < len && t[j] == c && t[j + 1] == c) {
                count++;
                i = j + 2;
                continue;
            }
        }
        i++;
    }
    return count;
}

void style_count(const char *text, size_t len, double f[BT_STYLE_N])
{
    memset(f, 0, BT_STYLE_N * sizeof *f);
    size_t chars = 0;
    for (size_t i = 0; i < len; i++)
        chars += ((unsigned char)text[i] & 0xC0) != 0x80;
    f[BT_STYLE_TOKENS] = (double)chars / 4.0;
    size_t n;
    char *t = without_code(text, len, &n);
    if (!t)
        return;
    for (size_t i = 0; i < n;) {
        /* one line: [i, e) */
        size_t e = i;
        while (e < n && t[e] != '\n')
            e++;
        size_t h = i;
        while (h < n && t[h] == '#')
            h++;
        if (h > i && h - i <= 6 && h < n && is_space(t[h]))
            f[BT_STYLE_HEADERS]++;
        size_t s = i;
        while (s < e && is_space(t[s]))
            s++;
        size_t d = s;
        while (d < e && t[d] >= '0' && t[d] <= '9')
            d++;
        if (d > s && d < n && t[d] == '.' && d + 1 < n && is_space(t[d + 1]))
            f[BT_STYLE_LISTS]++;
        else if (s < e && (t[s] == '-' || t[s] == '*' || t[s] == '+') && s + 1 < n && is_space(t[s + 1]))
            f[BT_STYLE_LISTS]++;
        i = e + 1;
    }
    f[BT_STYLE_BOLD] = spans(t, n, '*') + spans(t, n, '_');
    free(t);
}

void style_diff(const double a[BT_STYLE_N], const double b[BT_STYLE_N], double out[BT_STYLE_N])
{
    for (int k = 0; k < BT_STYLE_N; k++) {
        double sum = a[k] + b[k];
        out[k] = sum != 0 ? (a[k] - b[k]) / sum : 0;
    }
}
