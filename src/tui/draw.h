/* draw.h — rendering the workbench from its state (draw.c): panes with
 * their status bars, separators, overlays, the footer and the prompt. */
#ifndef VERSUS_DRAW_H
#define VERSUS_DRAW_H

#include <stddef.h>

#include "tui/app_state.h"

/* Draws everything that changed (everything after a relayout). */
void draw_frame(App *a);
/* Recomputes the layout for the terminal size, pane count, zoom and
 * prompt height, and re-wraps the visible panes. */
void draw_relayout(App *a);
/* The name pane k shows ("Model A" while blind). */
void draw_pane_name(const App *a, int k, char *out, size_t outlen);

#endif
