/* replyview.h — how one Reply is laid out in its pane as it streams.
 *
 * The reasoning first, under a "▾ reasoning" header (or folded into one
 * "▸ reasoning · N tokens" line when reasoning is hidden), the answer after
 * it, then each tool call as its name and indented JSON arguments, and at
 * the end the error, refusal, block, encrypted-reasoning and
 * truncated-by-reasoning lines (core's reply_outcome_format). Text is
 * appended to the pane as it arrives; the pane is rebuilt only when what was
 * already drawn must change (reasoning shown or hidden, reasoning arriving
 * after the answer began, the reasoning's token count known at the end).
 * Not for drawing: pane.c draws. */
#ifndef VERSUS_REPLYVIEW_H
#define VERSUS_REPLYVIEW_H

#include <stdbool.h>
#include <stddef.h>

#include "core/reply.h"
#include "tui/pane.h"

/* What of a reply is already in its pane (zeroed: nothing). */
typedef struct ReplyView {
    size_t reasoning_done; /* reasoning bytes in the pane */
    size_t text_done;      /* answer bytes in the pane */
    bool reasoning_open;   /* the reasoning header is written */
    bool answer_open;      /* the answer began (after a reasoning block: a blank line) */
    bool end_done;         /* the reply was final and its closing lines are written */
    bool hidden;           /* the reasoning was folded when the pane was built */
    bool names_hidden;     /* the closing lines were written for a blind round */
} ReplyView;

/* Brings pane up to date with r; hide_reasoning folds the reasoning into its
 * header line; hide_names (a blind round not yet labelled) leaves out of
 * the closing lines what names the model (an error's or refusal's details,
 * a local model's chat template) until it is called without. 0, or -1 when
 * memory runs out. */
int replyview_sync(ReplyView *v, Pane *pane, const Reply *r, bool hide_reasoning, bool hide_names);

#endif
