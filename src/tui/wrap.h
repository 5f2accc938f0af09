/* wrap.h — width-aware word wrapping of UTF-8 text, and the exact bytes a
 * line is drawn with (pure: no I/O, no curses).
 *
 * Decodes UTF-8 (invalid bytes become U+FFFD, one column each), measures
 * characters with wcwidth() — the function the terminal (tmux, xterm) uses —
 * and breaks text into visual lines of at most `width` columns at spaces,
 * before/after wide characters, or — for a word longer than the line —
 * inside the word at a character boundary.
 *
 * What is drawn is what was measured (wrap_render), so that the terminal
 * and the wrapper never disagree on a column: tabs become spaces to the next
 * stop; controls and unprintables one U+FFFD ('?' outside a UTF-8 locale);
 * combining marks join the character before them (at most WRAP_MAX_MARKS,
 * the most a terminal cell holds), or a U+25CC base when a line starts with
 * one; invisible format characters (joiners ZWJ/ZWNJ, zero-width space,
 * variation selectors, bidi controls, tags) are not sent at all — terminals
 * disagree on how they join characters (tmux draws a ZWJ family in 2
 * columns where wcwidth counts 8, and drops its last member), so a ZWJ
 * sequence is drawn as its members side by side. Needs a UTF-8 LC_CTYPE
 * (setlocale) for wcwidth to know wide characters. */
#ifndef VERSUS_WRAP_H
#define VERSUS_WRAP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define WRAP_REPLACEMENT 0xFFFDu /* what invalid bytes decode to */
#define WRAP_TABSTOP 8           /* tab stops every 8 columns, from the line start */
#define WRAP_MAX_MARKS 4         /* combining marks drawn on one character (ncurses holds 4) */
#define WRAP_MARK_BASE 0x25CCu   /* DOTTED CIRCLE: the base of a mark that opens a line */

/* How a character is measured and drawn. */
typedef enum WrapClass {
    WRAP_CLASS_NARROW,   /* one column */
    WRAP_CLASS_WIDE,     /* two columns (CJK, emoji, fullwidth) */
    WRAP_CLASS_MARK,     /* zero columns, joins the character before it */
    WRAP_CLASS_FORMAT,   /* invisible format character: zero columns, not drawn */
    WRAP_CLASS_TAB,      /* to the next tab stop, drawn as spaces */
    WRAP_CLASS_NEWLINE,  /* ends the line */
    WRAP_CLASS_REPLACED, /* control or unprintable: one column, drawn as U+FFFD */
} WrapClass;

/* Decodes the character at s[pos] (pos < len) into *cp; returns the bytes it
 * takes (>= 1). An invalid or truncated sequence yields WRAP_REPLACEMENT and
 * consumes one byte. */
size_t wrap_decode(const char *s, size_t len, size_t pos, uint32_t *cp);

/* True when the locale's character set is UTF-8; else wrap_render writes
 * ASCII only (the UI's own glyphs as their ASCII look-alikes, everything
 * else not ASCII as '?'). */
int wrap_utf8(void);
/* The class of cp (see WrapClass). */
WrapClass wrap_cp_class(uint32_t cp);

/* Columns cp occupies when drawn at column col: 0 for marks (1 at column 0,
 * where it is drawn on WRAP_MARK_BASE) and format characters, 2 for wide
 * characters, up to the next tab stop for '\t', 1 for everything else
 * (controls and unprintables are drawn as one U+FFFD). */
int wrap_cp_width(uint32_t cp, int col);

/* True when cp is drawn as U+FFFD (control characters other than tab and
 * newline, unprintables); the renderer and the measurer agree on this. */
int wrap_cp_is_replaced(uint32_t cp);

/* Length of the longest prefix of s[0..len) that does not end inside an
 * incomplete (but so far valid) UTF-8 sequence: what a streaming text can be
 * wrapped up to before the rest of the character arrives. */
size_t wrap_complete_prefix(const char *s, size_t len);

/* Lays out the visual line that starts at pos (< len) in at most width (>= 1)
 * columns: *line_len gets the bytes to draw from pos (a break space or the
 * newline excluded), *cols their columns. Returns where the next line starts
 * (after the newline or the break space); len when the text ends. A line
 * always takes at least one character, so wrapping always progresses. */
size_t wrap_next_line(const char *s, size_t len, size_t pos, int width, size_t *line_len, int *cols);

/* Number of visual lines s takes at width (0 for empty text; a trailing
 * newline opens one more, empty, line). */
size_t wrap_count_lines(const char *s, size_t len, int width);

/* Display columns of s[0..len) on one line (tabs from column 0). */
int wrap_str_cols(const char *s, size_t len);

/* Appends to out the bytes that draw s[0..len) (no newline inside) when it
 * starts at column col of its line; returns the columns they take, always
 * what wrap_cp_width adds up to. -1 when memory runs out. */
int wrap_render(const char *s, size_t len, int col, Buf *out);

#endif
