/* clipboard.h — copying a reply so that it really lands somewhere, and
 * saying where.
 *
 * Outside tmux: OSC 52 to the terminal (nothing can be read back, so the
 * text is also saved to a file). Inside tmux it asks tmux first: with
 * set-clipboard on a plain OSC 52, which tmux takes ("external", tmux's
 * default, ignores an application's OSC 52, so it counts as off); else,
 * with allow-passthrough on, OSC 52 wrapped for passthrough to the outer
 * terminal; with neither tmux would drop the sequence, so the text goes to
 * $XDG_STATE_HOME/versus/clipboard.txt (0600) and the message says what to
 * set. The message always names the path used. Not for sanitising: the
 * caller passes the text to copy. */
#ifndef VERSUS_CLIPBOARD_H
#define VERSUS_CLIPBOARD_H

#include <stdbool.h>
#include <stddef.h>

typedef enum ClipRoute {
    CLIP_OSC52,             /* a terminal, not tmux: plain OSC 52 (and the file) */
    CLIP_TMUX_OSC52,        /* tmux with set-clipboard on: plain OSC 52 */
    CLIP_TMUX_PASSTHROUGH,  /* tmux with allow-passthrough on: wrapped OSC 52 */
    CLIP_FILE,              /* tmux would drop it: the file only */
} ClipRoute;

/* The route for tmux's settings (pure): set_clipboard is tmux's value
 * ("on", "external", "off", NULL when unknown). */
ClipRoute clipboard_route(bool in_tmux, const char *set_clipboard, bool allow_passthrough);
/* Copies text[0..n) by the route this terminal allows and fills msg with
 * how, to follow "copied pane 2 (557 bytes) ": "with OSC 52 to tmux
 * (set-clipboard on)", "to FILE (tmux ignores OSC 52 here; to copy: tmux set -s set-clipboard on)".
 * 0, or -1 when nothing worked (msg says why). */
int clipboard_copy(const char *text, size_t n, char *msg, size_t msglen);

#endif
