/* xdg.h — where versus keeps its files (XDG Base Directory spec). */
#ifndef VERSUS_XDG_H
#define VERSUS_XDG_H

#include <stddef.h>

typedef enum XdgKind {
    XDG_CONFIG, /* $XDG_CONFIG_HOME/versus  (~/.config/versus) */
    XDG_DATA,   /* $XDG_DATA_HOME/versus    (~/.local/share/versus): sessions */
    XDG_STATE,  /* $XDG_STATE_HOME/versus   (~/.local/state/versus): history, logs */
    XDG_CACHE,  /* $XDG_CACHE_HOME/versus   (~/.cache/versus): downloaded models */
} XdgKind;

/* Writes "<base>/versus/<rel>" (rel may be NULL or "") into out. Returns 0, or
 * -1 when neither the XDG variable nor HOME is set or out is too small. */
int xdg_path(XdgKind kind, const char *rel, char *out, size_t outlen);
/* mkdir -p with mode 0700 for directories it creates; 0 or -1 (errno set). */
int xdg_mkdirs(const char *dir);

#endif
