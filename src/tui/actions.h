/* actions.h — what keys and the mouse do in the workbench: dispatch
 * through the keymap table and the actions themselves (focus, scroll,
 * cancel, rerun, zoom, layout, copy, labels).
 *
 * Not for entered lines (execute.c), drawing (draw.c), rounds (round.c) or
 * the terminal (term.c). */
#ifndef VERSUS_ACTIONS_H
#define VERSUS_ACTIONS_H

#include "tui/app_state.h"

/* Asks the user before kind's action (the footer shows question; y, Enter
 * or the same key again say yes, n or Esc say no). For ASK_SEND, prompt is
 * what to send (copied), else NULL. */
void actions_ask(App *a, AskKind kind, int key, const char *prompt, const char *question);
/* Quits now, or asks first while a round streams. */
void actions_quit(App *a, int key);
/* Handles one key from curses (a byte, a KEY_* code, KEY_RESIZE, KEY_MOUSE);
 * a lone Esc reads the next key to tell Meta from Esc. */
void actions_key(App *a, int ch);

#endif
