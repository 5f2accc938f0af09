/* layout.h — where each pane, the footer and the prompt go (pure geometry).
 *
 * Given the terminal size and the number of panes, chooses columns (side by
 * side), rows, or a grid, keeps every pane at least LAYOUT_MIN_PANE_W x
 * LAYOUT_MIN_PANE_H, never overlaps two rectangles and never leaves the
 * screen. When the panes can not all fit, it shows the focused pane alone
 * (auto-zoom). No curses here: the app turns rectangles into windows. */
#ifndef VERSUS_LAYOUT_H
#define VERSUS_LAYOUT_H

#include <stdbool.h>

#define LAYOUT_MAX_PANES 9
#define LAYOUT_MIN_PANE_W 16   /* columns, separator excluded */
#define LAYOUT_MIN_PANE_H 4    /* rows: the status and metrics rows and two lines of text */
#define LAYOUT_COMFORT_W 32    /* auto mode keeps columns at least this wide */
#define LAYOUT_MAX_PROMPT_ROWS 6
#define LAYOUT_PANE_HEAD_ROWS 2 /* rows on top of each pane before its text: status, metrics */

typedef enum LayoutMode {
    LAYOUT_AUTO,    /* columns while they stay comfortable, else a grid, else rows */
    LAYOUT_COLUMNS, /* side by side (falls back to auto when too narrow) */
    LAYOUT_ROWS,    /* stacked (falls back to auto when too short) */
} LayoutMode;

typedef struct LayoutRect {
    int y, x; /* top-left cell, 0-based */
    int h, w; /* rows, columns; 0 x 0 for an absent rectangle */
} LayoutRect;

typedef struct LayoutInput {
    int term_h, term_w; /* terminal rows, columns */
    int n_panes;        /* 0..LAYOUT_MAX_PANES */
    LayoutMode mode;
    int zoom;           /* pane shown alone, or -1 */
    int focus;          /* pane shown when auto-zoom is needed (clamped) */
    int prompt_rows;    /* rows the prompt wants (1..LAYOUT_MAX_PROMPT_ROWS) */
} LayoutInput;

typedef struct Layout {
    int n_visible;                       /* rectangles in pane[] */
    int visible[LAYOUT_MAX_PANES];       /* pane index shown in pane[k] */
    LayoutRect pane[LAYOUT_MAX_PANES];   /* status row on top, text below */
    bool sep_right[LAYOUT_MAX_PANES];    /* a separator column follows pane[k] at x + w */
    int grid_rows, grid_cols;            /* the grid chosen (1 x 1 when zoomed) */
    bool zoomed;                         /* one pane shown alone (asked or forced) */
    bool auto_zoomed;                    /* zoomed because all panes did not fit */
    bool too_small;                      /* not even one pane fits: nothing laid out */
    LayoutRect footer;                   /* one row: costs, messages */
    LayoutRect prompt;                   /* the prompt rows at the bottom */
} Layout;

/* Fills out for in. Returns 0, or -1 when the terminal is too small for even
 * one pane (out->too_small; footer and prompt are still placed when possible). */
int layout_compute(const LayoutInput *in, Layout *out);

/* Index k into out->pane[] of the rectangle showing pane, or -1. */
int layout_find(const Layout *l, int pane);

#endif
