/* keys.h — the workbench's key bindings: one table that both dispatch and
 * the `?` help (and the man page section) are generated from.
 *
 * Focus decides what a key means. With the PROMPT focused, typing goes to
 * readline; only the GLOBAL keys act (Tab, PgUp/PgDn, Esc, Ctrl-C, F-keys,
 * mouse), plus the LABEL keys (1-9, t, b) and `?` while the line is still
 * empty. With a PANE focused, single-letter keys act too; any other
 * printable key returns focus to the prompt and is typed there. */
#ifndef VERSUS_KEYS_H
#define VERSUS_KEYS_H

#include <stddef.h>

typedef enum KeyAction {
    KEYS_NONE,
    KEYS_FOCUS_NEXT, KEYS_FOCUS_PREV, KEYS_FOCUS_PROMPT,
    KEYS_LINE_UP, KEYS_LINE_DOWN, KEYS_PAGE_UP, KEYS_PAGE_DOWN, KEYS_TOP, KEYS_BOTTOM,
    KEYS_CANCEL,   /* Esc: cancel streams, else leave the pane / close the overlay */
    KEYS_INTERRUPT,/* Ctrl-C: cancel streams, else clear the line */
    KEYS_RERUN, KEYS_QUIT, KEYS_HELP, KEYS_ZOOM, KEYS_LAYOUT, KEYS_DIFF, KEYS_COPY, KEYS_REDRAW,
    KEYS_DIGIT,    /* 1..9: label the winner when a round awaits a label, else focus pane N */
    KEYS_TIE, KEYS_BAD,
} KeyAction;

typedef enum KeyScope {
    KEYS_SCOPE_GLOBAL, /* whatever has focus */
    KEYS_SCOPE_EMPTY,  /* prompt focused with an empty line, or a pane focused */
    KEYS_SCOPE_PANE,   /* only with a pane focused */
} KeyScope;

typedef struct KeyBinding {
    int key;          /* curses key code or character */
    KeyAction action;
    KeyScope scope;
    const char *keyname; /* as shown in help, NULL for a hidden alias */
    const char *help;
} KeyBinding;

/* The action for key in the current situation; *digit gets 1..9 for KEYS_DIGIT. */
KeyAction keys_lookup(int key, int pane_focused, int line_empty, int *digit);
/* The binding table (ends with key == 0). */
const KeyBinding *keys_table(void);
/* The help text: key bindings, then `:` commands, as lines of plain text. */
const char *const *keys_help_lines(size_t *n);

#endif
