/* overlay.h — the full-screen overlays drawn over the panes: the key help,
 * the word diff of two replies, and the prompt library list (one prompt a
 * line with its category and title; arrows choose, Enter loads it onto the
 * prompt line). Opening one fills App.overlay_pane; overlay_key takes the
 * few keys an overlay answers to. */
#ifndef VERSUS_OVERLAY_H
#define VERSUS_OVERLAY_H

#include <stdbool.h>

#include "tui/app_state.h"

/* Opens the help (key bindings and `:` commands). */
void overlay_help(App *a);
/* Opens the word diff of the focused pane (or pane 1) against the next. */
void overlay_diff(App *a);
/* Opens the prompt library list. */
void overlay_library(App *a);
/* Frees what an open overlay holds and closes it. */
void overlay_close(App *a);
/* Re-lays the open overlay out for a new width. */
void overlay_relayout(App *a);
/* Scrolls the open overlay by lines, or by pages when page is set. */
void overlay_scroll(App *a, long lines, bool page);
/* Handles a key while an overlay is open: Esc/q/?/F1 close it, PgUp/PgDn,
 * Up/Down, j/k, g/G, Home/End scroll (in the library: move the selection,
 * Enter loads); other keys are ignored. */
void overlay_key(App *a, int ch);

#endif
