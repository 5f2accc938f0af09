/* test_tui_layout.c — pane geometry over many terminal sizes and 0..9 panes:
 * never overlapping, never off-screen, never below the minimum size, and the
 * expected shape (columns, rows, grid, zoom) in the common cases. */
#include <criterion/criterion.h>
#include <stdbool.h>

#include "tui/layout.h"

static bool overlap(LayoutRect a, LayoutRect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static bool on_screen(LayoutRect r, int h, int w)
{
    return r.x >= 0 && r.y >= 0 && r.w >= 0 && r.h >= 0 && r.x + r.w <= w && r.y + r.h <= h;
}

static void check_layout(const LayoutInput *in, const Layout *l)
{
    int H = in->term_h, W = in->term_w;
    cr_assert(on_screen(l->prompt, H, W), "prompt off-screen at %dx%d", W, H);
    cr_assert(on_screen(l->footer, H, W), "footer off-screen at %dx%d", W, H);
    if (l->footer.h)
        cr_assert(!overlap(l->footer, l->prompt));
    if (l->too_small) {
        cr_assert_eq(l->n_visible, 0);
        return;
    }
    int n = in->n_panes > LAYOUT_MAX_PANES ? LAYOUT_MAX_PANES : in->n_panes;
    if (n > 0)
        cr_assert_geq(l->n_visible, 1);
    cr_assert_leq(l->n_visible, n);
    bool shown[LAYOUT_MAX_PANES] = { false };
    for (int k = 0; k < l->n_visible; k++) {
        LayoutRect r = l->pane[k];
        cr_assert(on_screen(r, H, W), "pane %d off-screen at %dx%d n=%d: %d,%d %dx%d", k, W, H, n, r.x, r.y, r.w,
                  r.h);
        cr_assert_geq(r.w, LAYOUT_MIN_PANE_W, "pane too narrow at %dx%d n=%d", W, H, n);
        cr_assert_geq(r.h, LAYOUT_MIN_PANE_H, "pane too short at %dx%d n=%d", W, H, n);
        cr_assert(!overlap(r, l->footer) && !overlap(r, l->prompt));
        cr_assert(l->visible[k] >= 0 && l->visible[k] < n);
        cr_assert(!shown[l->visible[k]], "pane shown twice");
        shown[l->visible[k]] = true;
        if (l->sep_right[k]) {
            LayoutRect sep = { r.y, r.x + r.w, r.h, 1 };
            cr_assert(on_screen(sep, H, W));
            for (int j = 0; j < l->n_visible; j++)
                cr_assert(!overlap(sep, l->pane[j]), "separator overlaps a pane");
        }
        for (int j = 0; j < k; j++)
            cr_assert(!overlap(r, l->pane[j]), "panes %d and %d overlap at %dx%d n=%d", j, k, W, H, n);
    }
    if (!l->zoomed)
        cr_assert_eq(l->n_visible, n, "every pane shown unless zoomed");
    else
        cr_assert_eq(l->n_visible, 1);
}

Test(layout, every_size_and_count_is_disjoint_on_screen_and_above_minimum)
{
    static const LayoutMode modes[] = { LAYOUT_AUTO, LAYOUT_COLUMNS, LAYOUT_ROWS };
    for (int W = 0; W <= 260; W += (W < 40 ? 1 : 7))
        for (int H = 0; H <= 90; H += (H < 20 ? 1 : 5))
            for (int n = 0; n <= 9; n++)
                for (int m = 0; m < 3; m++)
                    for (int pr = 1; pr <= 7; pr += 3) {
                        LayoutInput in = { .term_h = H, .term_w = W, .n_panes = n, .mode = modes[m],
                                           .zoom = (n && W % 3 == 0) ? n - 1 : -1, .focus = n / 2,
                                           .prompt_rows = pr };
                        Layout l;
                        int rc = layout_compute(&in, &l);
                        cr_assert_eq(rc, l.too_small ? -1 : 0);
                        check_layout(&in, &l);
                    }
}

Test(layout, two_panes_on_a_wide_terminal_sit_side_by_side)
{
    LayoutInput in = { .term_h = 48, .term_w = 160, .n_panes = 2, .zoom = -1, .prompt_rows = 1 };
    Layout l;
    cr_assert_eq(layout_compute(&in, &l), 0);
    cr_assert_eq(l.grid_cols, 2);
    cr_assert_eq(l.grid_rows, 1);
    cr_assert_eq(l.pane[0].x, 0);
    cr_assert_eq(l.pane[0].w + 1 + l.pane[1].w, 160, "panes and one separator fill the width");
    cr_assert_eq(l.pane[1].x, l.pane[0].w + 1);
    cr_assert_eq(l.pane[0].h, 46); /* 48 - footer - prompt */
    cr_assert_eq(l.footer.y, 46);
    cr_assert_eq(l.prompt.y, 47);
    cr_assert(l.sep_right[0] && !l.sep_right[1]);
}

Test(layout, four_panes_on_160_columns_stay_columns_and_on_80_become_a_grid)
{
    LayoutInput in = { .term_h = 48, .term_w = 160, .n_panes = 4, .zoom = -1, .prompt_rows = 1 };
    Layout l;
    layout_compute(&in, &l);
    cr_assert_eq(l.grid_cols, 4);
    in.term_w = 80;
    in.term_h = 24;
    layout_compute(&in, &l);
    cr_assert_eq(l.grid_cols, 2);
    cr_assert_eq(l.grid_rows, 2);
    cr_assert_eq(l.pane[2].y, l.pane[0].h);
}

Test(layout, narrow_terminal_stacks_rows_and_rows_mode_is_honoured)
{
    LayoutInput in = { .term_h = 48, .term_w = 50, .n_panes = 3, .zoom = -1, .prompt_rows = 1 };
    Layout l;
    layout_compute(&in, &l);
    cr_assert_eq(l.grid_cols, 1);
    cr_assert_eq(l.grid_rows, 3);
    in.term_w = 200;
    in.mode = LAYOUT_ROWS;
    layout_compute(&in, &l);
    cr_assert_eq(l.grid_cols, 1);
    cr_assert_eq(l.pane[0].w, 200);
}

Test(layout, odd_count_last_row_spreads_over_the_full_width)
{
    LayoutInput in = { .term_h = 40, .term_w = 80, .n_panes = 3, .mode = LAYOUT_AUTO, .zoom = -1,
                       .prompt_rows = 1 };
    Layout l;
    layout_compute(&in, &l);
    cr_assert_eq(l.grid_cols, 2);
    cr_assert_eq(l.pane[2].w, 80);
}

Test(layout, zoom_shows_one_pane_full_size)
{
    LayoutInput in = { .term_h = 30, .term_w = 100, .n_panes = 4, .zoom = 2, .prompt_rows = 2 };
    Layout l;
    layout_compute(&in, &l);
    cr_assert(l.zoomed && !l.auto_zoomed);
    cr_assert_eq(l.n_visible, 1);
    cr_assert_eq(l.visible[0], 2);
    cr_assert_eq(l.pane[0].w, 100);
    cr_assert_eq(l.pane[0].h, 27);
    cr_assert_eq(layout_find(&l, 2), 0);
    cr_assert_eq(layout_find(&l, 1), -1);
}

Test(layout, too_many_panes_for_a_small_terminal_auto_zoom_on_the_focus)
{
    LayoutInput in = { .term_h = 8, .term_w = 20, .n_panes = 9, .zoom = -1, .focus = 5, .prompt_rows = 1 };
    Layout l;
    cr_assert_eq(layout_compute(&in, &l), 0);
    cr_assert(l.auto_zoomed);
    cr_assert_eq(l.visible[0], 5);
}

Test(layout, tiny_terminal_is_too_small_but_keeps_a_prompt)
{
    LayoutInput in = { .term_h = 4, .term_w = 10, .n_panes = 2, .zoom = -1, .prompt_rows = 3 };
    Layout l;
    cr_assert_eq(layout_compute(&in, &l), -1);
    cr_assert(l.too_small);
    cr_assert_eq(l.prompt.h, 1, "the prompt gives back rows first");
    cr_assert_eq(l.prompt.y, 3);
}
