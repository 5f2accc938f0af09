/* layout.c — pane geometry: choosing a grid and cutting the screen into
 * non-overlapping rectangles. Pure arithmetic, tested exhaustively over
 * terminal sizes in tests/test_tui_layout.c. */
#include "tui/layout.h"

#include <string.h>

/* Width of each of c columns sharing w cells with c-1 separators. */
static int col_width(int w, int c)
{
    return (w - (c - 1)) / c;
}

static bool grid_fits(int w, int h, int n, int c)
{
    int r = (n + c - 1) / c;
    return col_width(w, c) >= LAYOUT_MIN_PANE_W && h / r >= LAYOUT_MIN_PANE_H;
}

/* Columns for the auto mode, or 0 when no grid fits. */
static int choose_auto(int w, int h, int n)
{
    for (int c = n; c >= 1; c--)
        if (grid_fits(w, h, n, c) && col_width(w, c) >= LAYOUT_COMFORT_W)
            return c;
    if (grid_fits(w, h, n, 1))
        return 1;
    for (int c = 2; c <= n; c++)
        if (grid_fits(w, h, n, c))
            return c;
    return 0;
}

/* Splits [0, total) into k parts separated by sep cells; part i starts at
 * *start and is *len long. Earlier parts take the remainder. */
static void split(int total, int k, int sep, int i, int *start, int *len)
{
    int avail = total - (k - 1) * sep;
    int base = avail / k, extra = avail % k;
    *start = i * (base + sep) + (i < extra ? i : extra);
    *len = base + (i < extra ? 1 : 0);
}

int layout_find(const Layout *l, int pane)
{
    for (int k = 0; k < l->n_visible; k++)
        if (l->visible[k] == pane)
            return k;
    return -1;
}

int layout_compute(const LayoutInput *in, Layout *out)
{
    memset(out, 0, sizeof *out);
    int W = in->term_w > 0 ? in->term_w : 0;
    int H = in->term_h > 0 ? in->term_h : 0;
    int n = in->n_panes;
    if (n < 0)
        n = 0;
    if (n > LAYOUT_MAX_PANES)
        n = LAYOUT_MAX_PANES;
    int pr = in->prompt_rows;
    if (pr < 1)
        pr = 1;
    if (pr > LAYOUT_MAX_PROMPT_ROWS)
        pr = LAYOUT_MAX_PROMPT_ROWS;
    /* the prompt gives rows back before a pane loses its minimum */
    while (pr > 1 && H - pr - 1 < LAYOUT_MIN_PANE_H)
        pr--;
    int area_h = H - pr - 1;

    if (W >= 1 && H >= pr + 1) {
        out->prompt = (LayoutRect){ .y = H - pr, .x = 0, .h = pr, .w = W };
        out->footer = (LayoutRect){ .y = H - pr - 1, .x = 0, .h = 1, .w = W };
    } else if (W >= 1 && H >= 1) {
        out->prompt = (LayoutRect){ .y = H - 1, .x = 0, .h = 1, .w = W };
    }
    if (W < LAYOUT_MIN_PANE_W || area_h < LAYOUT_MIN_PANE_H) {
        out->too_small = true;
        return -1;
    }
    if (n == 0)
        return 0;

    int zoom = in->zoom;
    int c = 0;
    if (zoom < 0 || zoom >= n) {
        zoom = -1;
        if (in->mode == LAYOUT_COLUMNS && grid_fits(W, area_h, n, n))
            c = n;
        else if (in->mode == LAYOUT_ROWS && grid_fits(W, area_h, n, 1))
            c = 1;
        else
            c = choose_auto(W, area_h, n);
        if (c == 0) {
            zoom = in->focus;
            if (zoom < 0)
                zoom = 0;
            if (zoom >= n)
                zoom = n - 1;
            out->auto_zoomed = true;
        }
    }
    if (zoom >= 0) {
        out->zoomed = true;
        out->n_visible = 1;
        out->visible[0] = zoom;
        out->pane[0] = (LayoutRect){ .y = 0, .x = 0, .h = area_h, .w = W };
        out->grid_rows = out->grid_cols = 1;
        return 0;
    }
    int r = (n + c - 1) / c;
    out->grid_rows = r;
    out->grid_cols = c;
    out->n_visible = n;
    for (int i = 0; i < n; i++) {
        int row = i / c, col = i % c;
        int in_row = (row == r - 1) ? n - row * c : c; /* the last row may be short */
        int y, h, x, w;
        split(area_h, r, 0, row, &y, &h);
        split(W, in_row, 1, col, &x, &w);
        out->visible[i] = i;
        out->pane[i] = (LayoutRect){ .y = y, .x = x, .h = h, .w = w };
        out->sep_right[i] = col < in_row - 1;
    }
    return 0;
}
