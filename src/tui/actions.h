/* actions.h — what keys and the mouse do in the workbench: dispatch
 * through the keymap table and the actions themselves (focus, scroll,
 * cancel, rerun, zoom, layout, copy, labels).
 *
 * Not for entered lines (execute.c), drawing (draw.c), rounds (round.c) or
 * the terminal (term.c). */
#ifndef VERSUS_ACTIONS_H
#define VERSUS_ACTIONS_H

#include "tui/app_state.h"

/* Handles one key from curses (a byte, a KEY_* code, KEY_RESIZE, KEY_MOUSE);
 * a lone Esc reads the next key to tell Meta from Esc. */
void actions_key(App *a, int ch);

#endif
