/* app_state.h — the workbench's state, shared by app.c (the loop),
 * round.c (rounds, labels, session), actions.c (keys, commands), overlay.c
 * and draw.c (rendering). Private to src/tui: not a public API. */
#ifndef VERSUS_APP_STATE_H
#define VERSUS_APP_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/request.h"
#include "run/run.h"
#include "store/session.h"
#include "tui/layout.h"
#include "tui/pane.h"
#include "tui/replyview.h"
#include "tui/statusbar.h"
#include "tui/theme.h"

#define APP_MAX_TOTALS 64

typedef struct Slot {
    Pane *pane;
    size_t reply;          /* index into the run's replies */
    ReplyView view;        /* what of the reply is already in the pane */
    double spark[STATUSBAR_SPARK_MAX]; /* live tokens/s samples (reply_live_tokens_per_s), oldest first */
    size_t n_spark;
} Slot;

typedef enum LabelStage { LABEL_NONE, LABEL_NOTE, LABEL_CATEGORY } LabelStage;

typedef enum Overlay { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_DIFF } Overlay;

typedef struct Total {
    char name[256];
    double known_usd;
    int unknown_rounds;
} Total;

/* The label given to a round, kept in memory (and saved through session.h). */
typedef struct RoundLabel {
    SessionOutcome outcome; /* SESSION_UNLABELLED until given */
    int winner;             /* reply index (run order), or -1 */
    char note[512];
    char category[64];
} RoundLabel;

typedef struct App {
    /* configuration for the next round */
    Config *cfg;
    char **specs;          /* (n_specs) model specs */
    size_t n_specs;
    Params params;
    Sensitivity sensitivity;
    char *system;          /* or NULL */
    bool blind;            /* blind mode for the next rounds */
    bool hide_reasoning;   /* panes fold each reply's reasoning into one line (:reasoning) */
    Theme theme;
    bool use_color;

    /* the current round */
    Run *run;
    char *prompt;          /* the round's prompt (also what r reruns) */
    size_t n;              /* replies / panes */
    int order[LAYOUT_MAX_PANES]; /* display position -> reply index */
    bool round_blind;      /* names hidden in this round until labelled */
    bool round_done;       /* every reply final and the round recorded */
    long session_round;    /* index in the session, -1 when not saved */
    RoundLabel label;
    LabelStage label_stage;
    Slot slots[LAYOUT_MAX_PANES]; /* by display position */

    /* view */
    int focus;             /* display position of the focused pane, -1 = prompt */
    int zoom;              /* display position shown alone, -1 */
    LayoutMode mode;
    Layout layout;
    int rows, cols;        /* terminal size */
    Overlay overlay;
    Pane *overlay_pane;
    char overlay_title[256];
    char message[512];
    bool message_alert;
    double message_until_ms;

    /* session */
    Session *session;
    char session_note[256]; /* why saving is off, when it is */
    Total totals[APP_MAX_TOTALS];
    size_t n_totals;

    /* loop */
    bool quit;
    bool dirty;            /* something to draw */
    bool full_redraw;      /* clear and draw everything */
    double last_draw_ms, last_sample_ms;
} App;

/* Shows a one-line message in the footer for a few seconds (alert: in the
 * alert colour). Newlines and tabs become spaces. */
void app_message(App *a, bool alert, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Follows a new terminal size: curses, the layout, a full redraw. */
void app_resize(App *a);

#endif
