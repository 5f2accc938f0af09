/* tmux_driver.h — drives the real versus binary inside a private tmux server
 * for the end-to-end TUI tests: a fake provider on loopback, a temporary
 * HOME, fixed geometry, send-keys and paste-buffer, and polling capture-pane
 * until the expected text appears.
 *
 * Waiting is for events, never for a wall-clock budget: rig_wait keeps
 * waiting while anything on the screen still changes (a reply streaming, a
 * model loading under a sanitizer on a loaded machine) and gives up only
 * when the screen has been still for RIG_QUIET_MS (or the program exited),
 * with RIG_MAX_WAIT_MS as the last guard against a screen that changes
 * forever. */
#ifndef VERSUS_TMUX_DRIVER_H
#define VERSUS_TMUX_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RIG_QUIET_MS 60000     /* a still screen for this long: the event will not come */
#define RIG_MAX_WAIT_MS 600000 /* the last guard for a screen that never stops changing */

typedef struct RigOptions {
    int cols, rows;         /* tmux window size; 0: 160x48 */
    const char *env;        /* extra NAME=VALUE words for versus's environment (shell-quoted), or NULL */
    const char *unset;      /* names to remove from versus's environment, space-separated, or NULL */
    const char *term;       /* TERM for versus; NULL: xterm-256color */
    bool keep_tmux_env;     /* leave $TMUX set so versus knows it runs inside tmux */
    bool stderr_on_screen;  /* versus's stderr goes to the pane, not to DIR/stderr */
    const char *tmux_conf;  /* lines for the private server's configuration, or NULL */
    const char *config;     /* versus's config.json ($XDG_CONFIG_HOME/versus/config.json), or NULL;
                             * "{port}" here and in versus's arguments becomes the fake's port,
                             * "{dir}" the rig's directory */
} RigOptions;

typedef struct TmuxRig {
    char dir[256];      /* temporary directory: HOME, XDG dirs, socket, port file */
    char sock[320];     /* tmux -S socket */
    pid_t fake_pid;     /* versus-fakeprov */
    int port;
    int cols, rows;
    char screen[262144]; /* last capture */
} TmuxRig;

/* Why the rig can not run here (no tmux, binaries not built), or NULL. */
const char *rig_unavailable(void);
/* Starts the fake provider and a 160x48 tmux session running
 * `versus ARGS` with OPENAI_BASE_URL pointing at the fake. 0 or -1. */
int rig_start(TmuxRig *r, const char *versus_args);
/* rig_start with options (NULL: the defaults). After versus exits the pane
 * prints VERSUS-EXITED-<status> and runs `cat -v`, so that what the
 * terminal is left with (bracketed paste, keypad modes) shows on screen. */
int rig_start_opts(TmuxRig *r, const char *versus_args, const RigOptions *o);
/* Stops tmux and the fake provider and removes the directory. */
void rig_stop(TmuxRig *r);
/* tmux send-keys with the given (shell-quoted) key arguments. */
int rig_keys(TmuxRig *r, const char *keys);
/* Types text literally (send-keys -l), whatever bytes it holds. */
int rig_type(TmuxRig *r, const char *text);
/* Pastes text the way a terminal does (load-buffer + paste-buffer -p: the
 * bracketed-paste markers only when the program asked for them; newlines
 * arrive as CR as from a keyboard). */
int rig_paste(TmuxRig *r, const char *text);
/* Runs a tmux command (shell-quoted arguments); its stdout goes to out. */
int rig_tmux(TmuxRig *r, const char *args, char *out, size_t outlen);
/* Captures the pane into r->screen (with escapes: colours and attributes). */
int rig_capture(TmuxRig *r);
int rig_capture_escapes(TmuxRig *r);
/* Polls until needle appears `times` times on the screen; false when the
 * screen stayed still for quiet_ms (RIG_QUIET_MS when 0), versus exited,
 * or RIG_MAX_WAIT_MS passed. */
bool rig_wait(TmuxRig *r, const char *needle, int times, int quiet_ms);
/* Polls until done(r, arg) holds for the latest capture; same limits. */
bool rig_wait_for(TmuxRig *r, bool (*done)(TmuxRig *r, const void *arg), const void *arg, int quiet_ms);
/* Sleeps ms (between polls of something that is not the screen). */
void rig_nap(int ms);
/* Polls until needle is no longer on the screen; same limits. */
bool rig_wait_gone(TmuxRig *r, const char *needle, int quiet_ms);
/* Waits until the screen has not changed for still_ms (a frame is done);
 * while something streams that is at the end of the stream. */
void rig_settle(TmuxRig *r, int still_ms);
/* The n-th (0-based) line of the last capture, copied into out. */
void rig_line(const TmuxRig *r, int n, char *out, size_t outlen);
/* Resizes the tmux window. */
int rig_resize(TmuxRig *r, int cols, int rows);
/* Counts the occurrences of needle in the last capture. */
int rig_count(const TmuxRig *r, const char *needle);
/* The process id of versus in the pane, or -1. */
pid_t rig_versus_pid(TmuxRig *r);
/* Reads DIR/NAME (relative to the rig directory) into out; 0 or -1. */
int rig_read(const TmuxRig *r, const char *name, char *out, size_t outlen);
/* Writes text to DIR/NAME (creating folders); 0 or -1. */
int rig_write(const TmuxRig *r, const char *name, const char *text);

#endif
