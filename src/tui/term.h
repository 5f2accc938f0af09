/* term.h — the one owner of the terminal (htop's CRT.c): curses start and
 * stop, resize, suspend (Ctrl-Z) and resume, and the restore that runs on
 * every way out — a normal quit, SIGTERM/SIGHUP/SIGINT (turned into a quit
 * request the loop sees), a crash signal (the saved tty modes and the
 * terminal's own reset strings are written, then the signal goes on).
 * Errors are returned to the caller, which stops the terminal before
 * saying what went wrong: nothing here exits.
 *
 * Not for drawing (draw.c) or keys (actions.c). Only the UI thread calls
 * these; the state is the terminal's and lives here alone. */
#ifndef VERSUS_TERM_H
#define VERSUS_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include <curses.h>

/* Key codes getch returns for the bracketed-paste markers (ESC [ 200 ~ and
 * ESC [ 201 ~): everything between them was pasted, not typed. */
#define TERM_KEY_PASTE_BEGIN (KEY_MAX + 1)
#define TERM_KEY_PASTE_END (KEY_MAX + 2)

/* Whether stdin/stdout are a terminal curses can drive full-screen (known
 * to terminfo, cursor addressing). 0, or -1 with err saying what to use
 * instead. Touches nothing. */
int term_check(char *err, size_t errlen);
/* Takes the terminal: checks it can host a full-screen UI, starts curses,
 * switches bracketed paste on, installs the signal handlers and the
 * SIGWINCH self-pipe. *use_color gets
 * whether colours may be used (NO_COLOR off and the terminal has them).
 * 0, or -1 with err (not a terminal, TERM unknown or too dumb) and the
 * terminal untouched. */
int term_start(bool *use_color, char *err, size_t errlen);
/* Gives the terminal back as it was found (bracketed paste off, the screen
 * and modes restored). Safe to call twice, and before term_start. */
void term_stop(void);
/* The read end of the self-pipe that wakes the loop on SIGWINCH and on the
 * quit signals (poll it with the terminal), or -1 before term_start. */
int term_wake_fd(void);
/* Drains the self-pipe; true when a resize is pending. */
bool term_take_wake(void);
/* Follows the terminal's new size: resizes curses and returns it. */
void term_resize(int *rows, int *cols);
/* True once SIGTERM, SIGHUP or SIGINT asked the program to end. */
bool term_quit_requested(void);
/* Ctrl-Z: gives the terminal back, stops the process, and takes the
 * terminal again when the shell resumes it (the caller then redraws). */
void term_suspend(void);
/* Writes bytes straight to the terminal (escape sequences curses does not
 * know, like OSC 52). 0, or -1 with err. */
int term_write(const char *s, size_t n, char *err, size_t errlen);

#endif
