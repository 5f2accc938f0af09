/* app_state.h — the workbench's state, shared by app.c (the loop),
 * round.c (rounds, labels, session), actions.c (keys, commands), overlay.c
 * and draw.c (rendering). Private to src/tui: not a public API. */
#ifndef VERSUS_APP_STATE_H
#define VERSUS_APP_STATE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/config.h"
#include "core/request.h"
#include "run/preflight.h"
#include "run/run.h"
#include "store/session.h"
#include "tui/layout.h"
#include "tui/names.h"
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

/* A question the footer asks before something that would lose a round. */
typedef enum AskKind {
    ASK_NONE,
    ASK_QUIT,     /* quit while streaming */
    ASK_STOP_ALL, /* stop every stream (Esc / Ctrl-C from the prompt) */
    ASK_SEND,     /* send a new prompt while the round streams */
    ASK_RERUN,    /* rerun the round while it streams */
} AskKind;

typedef enum Overlay { OVERLAY_NONE, OVERLAY_HELP, OVERLAY_DIFF, OVERLAY_LIBRARY } Overlay;

/* One line of the prompt library list. */
typedef struct LibraryEntry {
    char name[128];   /* CATEGORY/NAME */
    char category[48];
    char title[160];  /* the one-line summary */
} LibraryEntry;

typedef struct Total {
    char name[256];
    double known_usd;
    int unknown_rounds;
    bool estimated;   /* some of known_usd was estimated from measured speed */
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
    char given[LAYOUT_MAX_PANES][NAMES_MAX];  /* the user's names for them (-m NAME=SPEC), "" */
    char names[LAYOUT_MAX_PANES][NAMES_MAX];  /* what their panes are called (names.h) */
    PreflightResult checks[LAYOUT_MAX_PANES]; /* whether each can be asked, and what to do */
    Params params;
    Sensitivity sensitivity;
    char *system;          /* or NULL */
    bool blind;            /* blind mode for the next rounds */
    bool hide_reasoning;   /* panes fold each reply's reasoning into one line (:reasoning) */
    const char *const *key_urls; /* (n_key_urls) --send-key-to, as run.h's RunOptions */
    size_t n_key_urls;
    Theme theme;
    bool use_color;

    /* the current round */
    Run *run;
    char *prompt;          /* the round's prompt (also what r reruns) */
    size_t n;              /* replies / panes */
    int order[LAYOUT_MAX_PANES]; /* display position -> reply index */
    char round_names[LAYOUT_MAX_PANES][NAMES_MAX]; /* by reply index, fixed when the round started */
    bool round_blind;      /* names hidden in this round until labelled */
    bool round_done;       /* every reply final and the round recorded */
    long session_round;    /* index in the session, -1 when not saved */
    double checkpoint_ms;  /* when the streaming round was last saved */
    bool save_failed;      /* a save of this round failed (said once) */
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
    LibraryEntry *lib;     /* (n_lib) the library list while it is open */
    size_t n_lib;
    size_t lib_sel;        /* selected line */
    char message[512];
    bool message_alert;
    double message_until_ms;

    /* the conversation (conversation.c), by spec index */
    Message *conv[LAYOUT_MAX_PANES]; /* (n_conv[i]) model i's side: prompts and its replies */
    size_t n_conv[LAYOUT_MAX_PANES];
    int turn;              /* the turn the next prompt makes (1: a fresh conversation) */
    bool turn_added;       /* the current round became the last turn: a rerun takes it back */
    bool turn_pushed[LAYOUT_MAX_PANES]; /* ... and which models' sides it added to */
    int round_turn;        /* the turn the current round is */
    char conv_id[48];      /* the id its rounds share in the session, "" before its first */

    /* session */
    Session *session;
    char session_note[256]; /* why saving is off, when it is */
    Total totals[APP_MAX_TOTALS];
    size_t n_totals;

    /* input */
    AskKind ask;           /* the question waiting for y/n, or ASK_NONE */
    char ask_text[256];
    int ask_key;           /* the key that asked: pressing it again says yes */
    char *ask_prompt;      /* ASK_SEND: the prompt waiting to be sent */
    bool ask_restore_line; /* ASK_SEND answered no: put ask_prompt back on the line */
    bool pasting;          /* inside a bracketed paste: bytes go to the line as text */
    Buf paste;             /* the paste so far */

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
/* Sets the models for the next rounds: args are SPEC or NAME=SPEC; checks
 * each (preflight) and names the panes. 0, or -1 with err for a spec that
 * does not resolve at all (nothing changes then). */
int app_set_models(App *a, const char *const *args, size_t n, char *err, size_t errlen);
/* Panes on screen: the round's replies, or before any round the models. */
size_t app_panes(const App *a);

#endif
