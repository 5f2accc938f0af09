/* clipboard.c — where a copy goes and the message that says so
 * (clipboard.h). Asks tmux through its own command line; writes the
 * sequence to the terminal and the fallback file. */
#include "tui/clipboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/xdg.h"
#include "store/outfile.h"
#include "tui/osc52.h"
#include "tui/term.h"

ClipRoute clipboard_route(bool in_tmux, const char *set_clipboard, bool allow_passthrough)
{
    if (!in_tmux)
        return CLIP_OSC52;
    /* only "on" takes an application's OSC 52: "external" (tmux's default)
     * ignores it, as tmux(1) says, so it is treated like "off" */
    if (set_clipboard && strcmp(set_clipboard, "on") == 0)
        return CLIP_TMUX_OSC52;
    if (allow_passthrough)
        return CLIP_TMUX_PASSTHROUGH;
    return CLIP_FILE;
}

/* tmux's set-clipboard and allow-passthrough for this pane; false when tmux
 * does not answer. */
static bool ask_tmux(char *set_clipboard, size_t len, bool *passthrough)
{
    const char *pane = getenv("TMUX_PANE");
    char cmd[128];
    bool pane_ok = pane && pane[0] == '%' && strspn(pane + 1, "0123456789") == strlen(pane + 1) && strlen(pane) < 16;
    snprintf(cmd, sizeof cmd, "tmux display-message -p %s%s '#{set-clipboard} #{allow-passthrough}' 2>/dev/null",
             pane_ok ? "-t " : "", pane_ok ? pane : "");
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    char out[128] = "";
    bool ok = fgets(out, sizeof out, p) != NULL;
    ok = pclose(p) == 0 && ok;
    char sc[32] = "";
    int pt = 0;
    if (!ok || sscanf(out, "%31s %d", sc, &pt) < 1)
        return false;
    snprintf(set_clipboard, len, "%s", sc);
    *passthrough = pt == 1;
    return true;
}

/* Saves the text to the fallback file; its path goes to path. */
static int save_file(const char *text, size_t n, char *path, size_t pathlen, char *err, size_t errlen)
{
    char dir[4096];
    if (xdg_path(XDG_STATE, NULL, dir, sizeof dir) < 0 || xdg_mkdirs(dir) < 0 ||
        xdg_path(XDG_STATE, "clipboard.txt", path, pathlen) < 0) {
        snprintf(err, errlen, "no state directory ($XDG_STATE_HOME or ~/.local/state)");
        return -1;
    }
    return outfile_write(path, text, n, err, errlen);
}

static int emit(const char *text, size_t n, bool passthrough, char *err, size_t errlen)
{
    Buf seq = { 0 };
    int rc = osc52_encode(text, n, passthrough, &seq, err, errlen);
    if (rc == 0)
        rc = term_write(seq.data, seq.len, err, errlen);
    buf_free(&seq);
    return rc;
}

int clipboard_copy(const char *text, size_t n, char *msg, size_t msglen)
{
    const char *tm = getenv("TMUX");
    bool in_tmux = tm && tm[0];
    char sc[32] = "";
    bool pt = false;
    bool asked = in_tmux && ask_tmux(sc, sizeof sc, &pt);
    ClipRoute route = clipboard_route(in_tmux, asked ? sc : NULL, pt);
    if (in_tmux && !asked)
        route = CLIP_TMUX_PASSTHROUGH; /* tmux did not answer: the form that works when it is allowed */
    char err[512] = "", path[4096] = "";
    switch (route) {
    case CLIP_TMUX_OSC52:
        if (emit(text, n, false, err, sizeof err) < 0)
            break;
        snprintf(msg, msglen, "with OSC 52 to tmux (set-clipboard on; tmux's buffer has it too)");
        return 0;
    case CLIP_TMUX_PASSTHROUGH:
        if (emit(text, n, true, err, sizeof err) < 0)
            break;
        snprintf(msg, msglen, "with OSC 52 through tmux passthrough (%s); the outer terminal must accept OSC 52 "
                              "(or set tmux's set-clipboard on)",
                 asked ? "allow-passthrough on" : "tmux did not say its settings");
        return 0;
    case CLIP_OSC52:
        if (emit(text, n, false, err, sizeof err) < 0)
            break;
        if (save_file(text, n, path, sizeof path, err, sizeof err) == 0)
            snprintf(msg, msglen, "with OSC 52 (if this terminal ignores it, the text is in %s)", path);
        else
            snprintf(msg, msglen, "with OSC 52 (the terminal must allow it)");
        return 0;
    case CLIP_FILE:
        if (save_file(text, n, path, sizeof path, err, sizeof err) < 0)
            break;
        snprintf(msg, msglen, "to %s (tmux ignores OSC 52 here; to copy: tmux set -s set-clipboard on)", path);
        return 0;
    }
    snprintf(msg, msglen, "failed: %s", err);
    return -1;
}
