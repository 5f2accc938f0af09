/* pane.h — the wrapped, scrollable UTF-8 text of one pane.
 *
 * A Pane owns a copy of the text it shows (a reply as it streams, an error,
 * a diff), keeps an index of its visual lines at the current width that is
 * updated incrementally as text arrives (only the last lines are re-wrapped),
 * and a scroll position that follows the end of the text until the user
 * scrolls up, then stays put while text keeps arriving. Runs of text may
 * carry a style number (the app uses ThemeElement values). Drawing goes to
 * curses through pane_draw; everything else is pure. */
#ifndef VERSUS_PANE_H
#define VERSUS_PANE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct Pane Pane;

/* Maps a style number to curses attributes for pane_draw. */
typedef unsigned long (*PaneAttrFn)(int style);

/* An empty pane wrapping at width columns (>= 1). NULL when out of memory. */
Pane *pane_new(int width);
void pane_free(Pane *p);
/* Drops all text and scrolls back to following the end. */
void pane_clear(Pane *p);
/* Appends n bytes drawn with style; a UTF-8 character split across appends
 * is held back until it is complete. 0, or -1 when memory runs out. */
int pane_append(Pane *p, const char *s, size_t n, int style);
/* Re-wraps everything at a new width, keeping the top visible line's text in
 * view. */
void pane_set_width(Pane *p, int width);
int pane_width(const Pane *p);

/* The text so far (NUL-terminated) and its length. */
const char *pane_text(const Pane *p, size_t *len);
/* Visual lines at the current width (a trailing newline opens an empty one). */
size_t pane_line_count(const Pane *p);
/* Line i: its bytes (not NUL-terminated) and its display columns; false when
 * i is out of range. *offset gets the line's byte offset in the text. */
bool pane_line(const Pane *p, size_t i, const char **s, size_t *len, size_t *offset, int *cols);
/* Style of the byte at offset and where that style's run ends. */
int pane_style_at(const Pane *p, size_t offset, size_t *run_end);

/* The first line shown in a view of `height` rows. */
size_t pane_top(const Pane *p, int height);
/* Scrolls by delta lines (negative: up) in a view of height rows; scrolling
 * to the end resumes following the text. */
void pane_scroll(Pane *p, long delta, int height);
void pane_scroll_home(Pane *p);
void pane_scroll_end(Pane *p);
/* True while the view follows the end of the text. */
bool pane_following(const Pane *p);
/* Bytes of memory the pane holds (text, line index, styles). */
size_t pane_memory(const Pane *p);

/* Draws the view into the curses screen rectangle (y, x, h, w), padding
 * every row to w columns; characters that would cross the right edge are
 * left out. attr maps style numbers (NULL: plain). */
void pane_draw(const Pane *p, int y, int x, int h, int w, PaneAttrFn attr);

#endif
