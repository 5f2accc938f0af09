/* osc52.h — copying text to the terminal's clipboard with OSC 52.
 *
 * The sequence ESC ] 52 ; c ; BASE64 BEL asks the terminal (xterm, kitty,
 * iTerm2, WezTerm, foot, tmux with set-clipboard) to set the clipboard; the
 * tmux form wraps it in a DCS passthrough for the outer terminal (which tmux
 * drops unless allow-passthrough is on: clipboard.c decides). Nothing is
 * read back: terminals that ignore OSC 52 stay silent. */
#ifndef VERSUS_OSC52_H
#define VERSUS_OSC52_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define OSC52_MAX_BYTES (1u << 20) /* larger texts are refused: terminals cap them */

/* Appends the escape sequence for data to out; tmux wraps it for tmux's
 * passthrough. 0, or -1 when data is too large or memory runs out (err). */
int osc52_encode(const char *data, size_t n, bool tmux, Buf *out, char *err, size_t errlen);

#endif
