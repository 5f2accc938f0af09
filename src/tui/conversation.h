/* conversation.h — the workbench's conversation: each model's own side of
 * it (the prompts sent so far and that model's replies), the turn number,
 * and the id its rounds share in the session. A follow-up prompt is sent to
 * each model with its own history; `:new` (F6) starts afresh.
 *
 * Not for rounds themselves (round.c) or drawing. */
#ifndef VERSUS_CONVERSATION_H
#define VERSUS_CONVERSATION_H

#include "run/run.h"
#include "tui/app_state.h"

/* Forgets everything said: the next prompt is turn 1 of a new conversation. */
void conversation_new(App *a);
/* Each model's history for the round about to start, in spec order, into
 * out[0..a->n_specs) (pointing into the conversation: valid until it
 * changes). */
void conversation_histories(const App *a, RunHistory *out);
/* Adds the finished round as the next turn: its prompt, and each model's
 * reply text (a model with no text leaves the turn out of its own history).
 * Returns 0, or -1 when out of memory (the conversation then starts afresh). */
int conversation_add_turn(App *a);
/* Takes back the turn the current round added (its prompt and each model's
 * reply), so a rerun of that round is the same turn with the same context;
 * nothing when the round added none. */
void conversation_take_back_turn(App *a);
/* The id for the session ("" makes one on the first turn). */
const char *conversation_id(App *a);
/* Frees what the conversation holds. */
void conversation_free(App *a);
/* Puts "> " (turn 1) or "turn N> " on the prompt line. */
void conversation_show_turn(App *a);

#endif
