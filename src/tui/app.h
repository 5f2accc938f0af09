/* app.h — the workbench: `versus` with no subcommand.
 *
 * Wires the terminal (term.c), the prompt (readline, prompt.c), one pane
 * per model and the current Run (round.c) into one poll() loop (run_poll
 * with the terminal and term.c's self-pipe as extra fds) that drives
 * streams, keys (actions.c), entered lines (execute.c) and redraws.
 * Labelled rounds are saved through the session store after every round and
 * every label. Nothing here talks to a provider: everything goes through
 * run/run.h, exactly as `versus run` does. */
#ifndef VERSUS_APP_H
#define VERSUS_APP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct AppOptions {
    const char *config_path;      /* NULL: VERSUS_CONFIG or the XDG default */
    const char *theme;            /* NULL: "default" */
    const char *system;           /* initial system prompt, or NULL */
    bool blind;                   /* start in blind mode */
    const char *const *specs;     /* models; n_specs == 0: the configured defaults */
    size_t n_specs;
    const char *const *key_urls;  /* --send-key-to: URLs a provider's key may go to although
                                   * written inline after its name (kept while the app runs) */
    size_t n_key_urls;
} AppOptions;

/* Runs the workbench until the user quits. Returns a process exit code
 * (0, or 2 with err filled when it can not start: no terminal, bad config,
 * no models, bad theme). */
int app_run(const AppOptions *opt, char *err, size_t errlen);

#endif
