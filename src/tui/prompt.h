/* prompt.h — the prompt line: GNU readline's callback interface inside the
 * curses loop (the recipe in design.md).
 *
 * readline never touches the terminal here: the loop reads keys with curses
 * and hands them over (prompt_feed / prompt_feed_key); readline edits its
 * line buffer, keeps history (in a file, multi-line entries kept whole) and
 * calls the line callback on Enter; prompt_draw paints rl_display_prompt and
 * the line with the cursor in the prompt rows. Emacs and vi keys, Ctrl-R
 * search, ~/.inputrc and `:` command completion all work as in readline.
 * Alt-Enter inserts a newline. Only the UI thread may call these. */
#ifndef VERSUS_PROMPT_H
#define VERSUS_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

/* Called with each accepted line (malloc'ed: the callee frees it), or NULL on
 * Ctrl-D at an empty line. */
typedef void (*PromptLineFn)(void *user, char *line);
/* Called with a one-line message to show (completion candidates, etc.). */
typedef void (*PromptMessageFn)(void *user, const char *msg);

/* Sets readline up; history_path may be NULL (no history file). 0, or -1
 * with err. */
int prompt_init(const char *label, PromptLineFn on_line, PromptMessageFn on_msg, void *user,
                const char *history_path, char *err, size_t errlen);
/* Saves history and removes the handler. */
void prompt_shutdown(void);
/* Feeds one byte of input (a UTF-8 byte, a control character, ESC). */
void prompt_feed(int byte);
/* Feeds a curses key code (KEY_LEFT, KEY_BACKSPACE, ...). */
void prompt_feed_key(int key);
/* Changes the prompt string shown before the line. */
void prompt_set_label(const char *label);
/* The line being edited ("" when empty). */
const char *prompt_line(void);
bool prompt_line_empty(void);
/* Replaces the line being edited (cursor at the end); from inside the line
 * callback it takes effect when the callback returns. */
void prompt_set_line(const char *text);
/* Inserts n bytes at the cursor as text (a paste: newlines and tabs kept,
 * nothing bound to a key runs). */
void prompt_insert(const char *text, size_t n);
/* Adds an entry to the history (and appends it to the history file). */
void prompt_add_history(const char *line);
/* True when readline is in vi mode (Esc then belongs to readline). */
bool prompt_vi_mode(void);
/* Rows the prompt needs at width (1..max_rows). */
int prompt_rows(int width, int max_rows);
/* Draws the prompt in rows [y, y+h) x [x, x+w) with attr, and leaves the
 * curses cursor where readline's point is. */
void prompt_draw(int y, int x, int h, int w, unsigned long attr);
/* True (once) when readline changed the line or prompt since the last call. */
bool prompt_take_dirty(void);

#endif
