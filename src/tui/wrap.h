/* wrap.h — width-aware word wrapping of UTF-8 text (pure: no I/O, no curses).
 *
 * Decodes UTF-8 (invalid bytes become U+FFFD, one column each), measures
 * characters with wcwidth() (wide CJK/emoji take two columns, combining marks
 * none and stay with their base), and breaks text into visual lines of at
 * most `width` columns at spaces, before/after wide characters, or — for a
 * word longer than the line — inside the word at a character boundary. Needs
 * a UTF-8 LC_CTYPE (setlocale) for wcwidth to know wide characters. */
#ifndef VERSUS_WRAP_H
#define VERSUS_WRAP_H

#include <stddef.h>
#include <stdint.h>

#define WRAP_REPLACEMENT 0xFFFDu /* what invalid bytes decode to */
#define WRAP_TABSTOP 8           /* tab stops every 8 columns, from the line start */

/* Decodes the character at s[pos] (pos < len) into *cp; returns the bytes it
 * takes (>= 1). An invalid or truncated sequence yields WRAP_REPLACEMENT and
 * consumes one byte. */
size_t wrap_decode(const char *s, size_t len, size_t pos, uint32_t *cp);

/* Columns cp occupies when drawn at column col: 0 for combining/zero-width
 * marks, 2 for wide characters, up to the next tab stop for '\t', 1 for
 * everything else (controls and unprintables are drawn as one U+FFFD). */
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

#endif
