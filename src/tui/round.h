/* round.h — the workbench's rounds: starting one (one Run, one pane per
 * reply), copying streamed text into the panes, sampling the live rate,
 * noticing the end, totals, labels and the session they are saved in.
 *
 * Not for keys (actions.c), drawing (draw.c) or the terminal (term.c).
 * Works on the App of app_state.h. */
#ifndef VERSUS_ROUND_H
#define VERSUS_ROUND_H

#include <stdbool.h>
#include <stddef.h>

#include "tui/app_state.h"

/* Starts a round with prompt for the configured models (a running round is
 * stopped and recorded first: callers ask the user before). Problems are
 * shown as messages. */
void round_start(App *a, const char *prompt);
/* Runs the last round again as the same turn of the conversation, with the
 * context it had (a re-roll): a streaming one is stopped and recorded first. */
void round_rerun(App *a);
/* Cancels and frees the current round and its panes. */
void round_free(App *a);
/* True while the current round has replies still streaming. */
bool round_streaming(const App *a);
/* The reply shown at display position k, or NULL. */
Reply *round_reply(App *a, int k);
/* Copies text (and errors) that arrived since the last call into the panes. */
void round_sync_panes(App *a);
/* Takes a sample of every pane's live tokens/s for the sparklines. */
void round_sample(App *a);
#define ROUND_CHECKPOINT_MS 2000.0 /* a streaming round is saved this often */

/* Records the round in the session once every reply is final. A round is
 * also saved when it starts and every ROUND_CHECKPOINT_MS while it streams
 * (round_checkpoint), partial replies with their status. */
void round_check_finished(App *a);
void round_checkpoint(App *a, double now_ms);
/* Cancels every stream of the round and records it (partial replies kept,
 * marked incomplete); nothing when it is not streaming. */
void round_stop(App *a);
/* True when the round is over and waits for a label. */
bool round_label_pending(const App *a);
/* Starts labelling: outcome, and the winner's display position (or -1);
 * the prompt then asks for a note and a category. */
void round_label_begin(App *a, SessionOutcome outcome, int winner_pos);
/* Stores the label (with whatever note/category was typed) and saves. */
void round_label_finish(App *a);
/* Saves the session now; what, when not NULL, is said in the message. */
void round_save(App *a, const char *what);
/* F6 / :new: starts a new conversation and says so, and which finished
 * turn is left unlabelled and how to label it later. */
void round_new_conversation(App *a);
/* The line to print once the screen is restored: where the session was
 * saved, its rounds and labelled rounds, and how to export it. 1 with out
 * filled, or 0 (out "") when nothing was saved. */
int round_farewell(const App *a, char *out, size_t outlen);
/* Writes the current round as Markdown to path_arg (NULL: a timestamped
 * name); the path used goes to path. 0, or -1 with err. */
int round_export(App *a, const char *path_arg, char *path, size_t pathlen, char *err, size_t errlen);

#endif
