/* tmux_driver.h — drives the real versus binary inside a private tmux server
 * for the end-to-end TUI tests: a fake provider on loopback, a temporary
 * HOME, fixed geometry, send-keys, and polling capture-pane until expected
 * text appears or a deadline passes (never fixed sleeps). */
#ifndef VERSUS_TMUX_DRIVER_H
#define VERSUS_TMUX_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct TmuxRig {
    char dir[256];      /* temporary directory: HOME, XDG dirs, socket, port file */
    char sock[320];     /* tmux -S socket */
    pid_t fake_pid;     /* versus-fakeprov */
    int port;
    char screen[65536]; /* last capture */
} TmuxRig;

/* Why the rig can not run here (no tmux, binaries not built), or NULL. */
const char *rig_unavailable(void);
/* Starts the fake provider and a 160x48 tmux session running
 * `versus ARGS` with OPENAI_BASE_URL pointing at the fake. 0 or -1. */
int rig_start(TmuxRig *r, const char *versus_args);
/* Stops tmux and the fake provider and removes the directory. */
void rig_stop(TmuxRig *r);
/* tmux send-keys with the given (shell-quoted) key arguments. */
int rig_keys(TmuxRig *r, const char *keys);
/* Captures the pane into r->screen. */
int rig_capture(TmuxRig *r);
/* Polls until needle appears `times` times in the screen (or a whole line,
 * when line >= 0, contains it); false after timeout_ms. */
bool rig_wait(TmuxRig *r, const char *needle, int times, int timeout_ms);
/* The n-th (0-based) line of the last capture, copied into out. */
void rig_line(const TmuxRig *r, int n, char *out, size_t outlen);
/* Resizes the tmux window. */
int rig_resize(TmuxRig *r, int cols, int rows);
/* Counts the occurrences of needle in the last capture. */
int rig_count(const TmuxRig *r, const char *needle);

#endif
