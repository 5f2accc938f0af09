/* keymap.h — the workbench's key bindings: one table that both dispatch and
 * the `?` help (and the man page section) are generated from.
 *
 * Focus decides what a key means. With the PROMPT focused, typing goes to
 * readline; only the GLOBAL keys act (Tab, PgUp/PgDn, Esc, Ctrl-C, F-keys,
 * mouse), plus `?` while the line is still empty (a label from the prompt
 * is a line: "2", "t" or "b" and Enter). With a PANE focused, single-letter
 * keys act too, the label keys 1-9, t, b among them; any other printable
 * key returns focus to the prompt and is typed there. */
#ifndef VERSUS_KEYMAP_H
#define VERSUS_KEYMAP_H

#include <stddef.h>

typedef enum KeyAction {
    KEYMAP_NONE,
    KEYMAP_FOCUS_NEXT, KEYMAP_FOCUS_PREV, KEYMAP_FOCUS_PROMPT,
    KEYMAP_LINE_UP, KEYMAP_LINE_DOWN, KEYMAP_PAGE_UP, KEYMAP_PAGE_DOWN, KEYMAP_TOP, KEYMAP_BOTTOM,
    KEYMAP_CANCEL,   /* Esc: cancel streams, else leave the pane / close the overlay */
    KEYMAP_INTERRUPT,/* Ctrl-C: cancel streams, else clear the line */
    KEYMAP_RERUN, KEYMAP_QUIT, KEYMAP_HELP, KEYMAP_ZOOM, KEYMAP_LAYOUT, KEYMAP_DIFF, KEYMAP_COPY, KEYMAP_REDRAW,
    KEYMAP_SUSPEND,  /* Ctrl-Z: back to the shell (fg returns) */
    KEYMAP_STOP,     /* s on a pane: stop that stream only */
    KEYMAP_NEW,      /* F6: a new conversation */
    KEYMAP_DIGIT,    /* 1..9 on a pane: label the winner when a round awaits a label, else focus pane N */
    KEYMAP_TIE, KEYMAP_BAD,
} KeyAction;

typedef enum KeyScope {
    KEYMAP_SCOPE_GLOBAL, /* whatever has focus */
    KEYMAP_SCOPE_EMPTY,  /* prompt focused with an empty line, or a pane focused */
    KEYMAP_SCOPE_PANE,   /* only with a pane focused */
} KeyScope;

typedef struct KeyBinding {
    int key;          /* curses key code or character */
    KeyAction action;
    KeyScope scope;
    const char *keyname; /* as shown in help, NULL for a hidden alias */
    const char *help;
} KeyBinding;

/* The action for key in the current situation; *digit gets 1..9 for KEYMAP_DIGIT. */
KeyAction keymap_lookup(int key, int pane_focused, int line_empty, int *digit);
/* The binding table (ends with key == 0). */
const KeyBinding *keymap_table(void);
/* The help text: key bindings, then `:` commands, as lines of plain text. */
const char *const *keymap_help_lines(size_t *n);

#endif
