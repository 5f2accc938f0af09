/* pane.c — text, line index, scrolling and drawing of one pane (pane.h).
 * The line index is rebuilt incrementally: appending re-wraps from the start
 * of the second-to-last visual line, which greedy wrapping makes exact (a
 * line's extent depends only on where it starts and the text after it). */
#include "tui/pane.h"

#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "tui/wrap.h"

typedef struct PaneLine {
    size_t start; /* byte offset of the line in text */
    size_t len;   /* bytes drawn */
    int cols;     /* display columns */
} PaneLine;

typedef struct PaneSpan {
    size_t start; /* style applies from here to the next span's start */
    int style;
} PaneSpan;

struct Pane {
    Buf text;
    size_t complete;  /* bytes of text that end on a whole character */
    PaneLine *lines;  /* (n_lines) visual lines covering text[0..complete) */
    size_t n_lines, cap_lines;
    PaneSpan *spans;  /* (n_spans) sorted by start */
    size_t n_spans, cap_spans;
    int width;        /* columns */
    size_t top;       /* first line shown when not following */
    bool follow;      /* the view sticks to the end */
};

Pane *pane_new(int width)
{
    Pane *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->width = width < 1 ? 1 : width;
    p->follow = true;
    return p;
}

void pane_free(Pane *p)
{
    if (!p)
        return;
    buf_free(&p->text);
    free(p->lines);
    free(p->spans);
    free(p);
}

void pane_clear(Pane *p)
{
    buf_reset(&p->text);
    p->complete = 0;
    p->n_lines = 0;
    p->n_spans = 0;
    p->top = 0;
    p->follow = true;
}

static int push_line(Pane *p, PaneLine l)
{
    if (p->n_lines == p->cap_lines) {
        size_t cap = p->cap_lines ? p->cap_lines * 2 : 64;
        PaneLine *nl = realloc(p->lines, cap * sizeof *nl);
        if (!nl)
            return -1;
        p->lines = nl;
        p->cap_lines = cap;
    }
    p->lines[p->n_lines++] = l;
    return 0;
}

/* Wraps text[from..complete) onto the index (from is a line start). */
static int wrap_from(Pane *p, size_t from)
{
    const char *s = buf_str(&p->text);
    size_t pos = from;
    while (pos < p->complete) {
        size_t ll;
        int cols;
        size_t next = wrap_next_line(s, p->complete, pos, p->width, &ll, &cols);
        if (push_line(p, (PaneLine){ pos, ll, cols }) < 0)
            return -1;
        pos = next;
    }
    return 0;
}

static void rewrap_tail(Pane *p)
{
    size_t from = 0;
    if (p->n_lines >= 2) {
        from = p->lines[p->n_lines - 2].start;
        p->n_lines -= 2;
    } else {
        p->n_lines = 0;
    }
    wrap_from(p, from);
}

int pane_append(Pane *p, const char *s, size_t n, int style)
{
    if (n == 0)
        return 0;
    if (p->n_spans == 0 || p->spans[p->n_spans - 1].style != style) {
        if (p->n_spans == p->cap_spans) {
            size_t cap = p->cap_spans ? p->cap_spans * 2 : 8;
            PaneSpan *ns = realloc(p->spans, cap * sizeof *ns);
            if (!ns)
                return -1;
            p->spans = ns;
            p->cap_spans = cap;
        }
        p->spans[p->n_spans++] = (PaneSpan){ p->text.len, style };
    }
    if (buf_append(&p->text, s, n) < 0)
        return -1;
    p->complete = wrap_complete_prefix(p->text.data, p->text.len);
    rewrap_tail(p);
    return 0;
}

/* The line containing byte offset off (binary search over starts). */
static size_t line_of(const Pane *p, size_t off)
{
    size_t lo = 0, hi = p->n_lines;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->lines[mid].start <= off)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

void pane_set_width(Pane *p, int width)
{
    if (width < 1)
        width = 1;
    if (width == p->width)
        return;
    size_t anchor = (!p->follow && p->top < p->n_lines) ? p->lines[p->top].start : 0;
    p->width = width;
    p->n_lines = 0;
    wrap_from(p, 0);
    if (!p->follow)
        p->top = p->n_lines ? line_of(p, anchor) : 0;
}

int pane_width(const Pane *p)
{
    return p->width;
}

const char *pane_text(const Pane *p, size_t *len)
{
    if (len)
        *len = p->text.len;
    return buf_str(&p->text);
}

size_t pane_line_count(const Pane *p)
{
    size_t n = p->n_lines;
    if (p->complete > 0 && p->text.data[p->complete - 1] == '\n')
        n++;
    return n;
}

bool pane_line(const Pane *p, size_t i, const char **s, size_t *len, size_t *offset, int *cols)
{
    const char *t = buf_str(&p->text);
    if (i < p->n_lines) {
        *s = t + p->lines[i].start;
        *len = p->lines[i].len;
        *offset = p->lines[i].start;
        *cols = p->lines[i].cols;
        return true;
    }
    if (i == p->n_lines && i < pane_line_count(p)) {
        *s = t + p->complete;
        *len = 0;
        *offset = p->complete;
        *cols = 0;
        return true;
    }
    return false;
}

int pane_style_at(const Pane *p, size_t offset, size_t *run_end)
{
    if (p->n_spans == 0) {
        *run_end = SIZE_MAX;
        return 0;
    }
    size_t lo = 0, hi = p->n_spans;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (p->spans[mid].start <= offset)
            lo = mid;
        else
            hi = mid;
    }
    *run_end = lo + 1 < p->n_spans ? p->spans[lo + 1].start : SIZE_MAX;
    return p->spans[lo].style;
}

static size_t max_top(const Pane *p, int height)
{
    size_t n = pane_line_count(p);
    size_t h = height > 0 ? (size_t)height : 1;
    return n > h ? n - h : 0;
}

size_t pane_top(const Pane *p, int height)
{
    size_t mt = max_top(p, height);
    if (p->follow)
        return mt;
    return p->top < mt ? p->top : mt;
}

void pane_scroll(Pane *p, long delta, int height)
{
    size_t mt = max_top(p, height);
    size_t cur = pane_top(p, height);
    if (delta < 0) {
        size_t up = (size_t)(-delta);
        p->top = cur > up ? cur - up : 0;
        p->follow = p->top >= mt;
    } else {
        size_t nt = cur + (size_t)delta;
        if (nt >= mt) {
            p->top = mt;
            p->follow = true;
        } else {
            p->top = nt;
        }
    }
}

void pane_scroll_home(Pane *p)
{
    p->top = 0;
    p->follow = false;
}

void pane_scroll_end(Pane *p)
{
    p->follow = true;
}

bool pane_following(const Pane *p)
{
    return p->follow;
}

size_t pane_memory(const Pane *p)
{
    return sizeof *p + p->text.cap + p->cap_lines * sizeof(PaneLine) + p->cap_spans * sizeof(PaneSpan);
}

/* Draws bytes s[0..n) of one line starting at text offset off, clipped at
 * `w` columns, one style run at a time, exactly as wrap_render measures
 * them; returns the columns drawn. */
static int draw_line(const Pane *p, const char *s, size_t n, size_t off, int w, PaneAttrFn attr, Buf *tmp)
{
    int col = 0;
    size_t i = 0;
    while (i < n) {
        size_t run_end;
        int style = pane_style_at(p, off + i, &run_end);
        attrset(attr ? (attr_t)attr(style) : A_NORMAL);
        /* the characters of this run that fit in w columns */
        size_t j = i;
        int c = col;
        while (j < n && (run_end == SIZE_MAX || off + j < run_end)) {
            uint32_t cp;
            size_t k = wrap_decode(s, n, j, &cp);
            int cw = wrap_cp_width(cp, c);
            if (c + cw > w)
                break;
            c += cw;
            j += k;
        }
        if (j == i)
            break; /* the next character does not fit */
        buf_reset(tmp);
        int cols = wrap_render(s + i, j - i, col, tmp);
        if (cols < 0)
            break;
        addnstr(buf_str(tmp), (int)tmp->len);
        col += cols;
        i = j;
    }
    return col;
}

void pane_draw(const Pane *p, int y, int x, int h, int w, PaneAttrFn attr)
{
    size_t top = pane_top(p, h);
    Buf tmp = { 0 };
    for (int row = 0; row < h; row++) {
        const char *s;
        size_t len, off;
        int cols;
        move(y + row, x);
        int drawn = 0;
        if (pane_line(p, top + (size_t)row, &s, &len, &off, &cols))
            drawn = draw_line(p, s, len, off, w, attr, &tmp);
        attrset(attr ? (attr_t)attr(0) : A_NORMAL);
        /* pad to the pane's right edge by count, never from where the
         * cursor is: a line that exactly fills the last screen column leaves
         * the cursor on the next row, and padding from there blanked that
         * row in every other pane */
        for (int c = drawn; c < w; c++)
            addch(' ');
    }
    buf_free(&tmp);
}
