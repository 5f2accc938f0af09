/* style.h — the style of a reply as LMArena's style control counts it:
 * length, markdown headers, bold spans and list items, after fenced code
 * blocks are removed.
 *
 *   tokens   UTF-8 characters / 4 (the same estimate for every model, so no
 *            provider's tokenizer tilts it; only ratios of it are used)
 *   headers  lines starting with 1 to 6 '#' and then a whitespace character
 *   lists    lines that are optional whitespace, then digits and '.', or one
 *            of - * +, then a whitespace character
 *   bold     **text** and __text__ spans (no newline, no * or _ inside),
 *            counted left to right without overlap
 * A fenced block is ``` up to the next ``` with no backtick between. Pure. */
#ifndef VERSUS_STYLE_H
#define VERSUS_STYLE_H

#include <stddef.h>

#include "eval/bradley_terry.h"

/* Counts the style of text[0..len) into f (indexed by BT_STYLE_*). */
void style_count(const char *text, size_t len, double f[BT_STYLE_N]);

/* The style features of a battle: (a − b)/(a + b) per feature, 0 when both are 0. */
void style_diff(const double a[BT_STYLE_N], const double b[BT_STYLE_N], double out[BT_STYLE_N]);

#endif
