/* replyview.c — one Reply laid out in its pane (see replyview.h). */
#include "tui/replyview.h"

#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "core/reply_json.h"
#include "tui/theme.h"

static bool has_reasoning(const Reply *r)
{
    return r->reasoning.len > 0 || r->redacted_reasoning > 0 ||
           (reply_is_final(r) && r->usage.reasoning_tokens > 0);
}

/* "▾ reasoning · 320 tokens" (shown) or "▸ reasoning · 320 tokens · hidden". */
static int put_header(Pane *pane, const Reply *r, bool hidden)
{
    Buf b = { 0 };
    buf_puts(&b, hidden ? "\u25b8 reasoning" : "\u25be reasoning");
    if (reply_is_final(r) && r->usage.reasoning_tokens >= 0)
        buf_printf(&b, " \u00b7 %ld tokens", r->usage.reasoning_tokens);
    if (hidden)
        buf_puts(&b, " \u00b7 hidden (:reasoning shows it)");
    else if (r->reasoning.len == 0)
        buf_puts(&b, " \u00b7 not shown by the provider");
    buf_puts(&b, "\n");
    int rc = b.data ? pane_append(pane, b.data, b.len, THEME_DIM) : -1;
    buf_free(&b);
    return rc;
}

/* The closing lines of a final reply: its error, or what it holds besides
 * text (tool calls, refusal, block, encrypted reasoning, truncation), and
 * for a local model the chat template that formatted its prompt. */
static int put_end(Pane *pane, const Reply *r, const char *gap, bool hide_names)
{
    Buf b = { 0 };
    int style = THEME_MESSAGE;
    if (hide_names && (r->status == REPLY_NOT_SENT || r->status == REPLY_ERROR)) {
        /* the reason names the model, its provider or its server: a blind
         * round keeps it until the names are revealed */
        style = THEME_ERROR;
        if (r->status == REPLY_NOT_SENT)
            buf_puts(&b, "[not sent]");
        else if (r->http_status)
            buf_printf(&b, "[error: HTTP %d %s]", r->http_status, r->error_type ? r->error_type : "");
        else
            buf_printf(&b, "[error: %s]", r->error_type ? r->error_type : "failed");
        buf_puts(&b, "\nthe reason names the model, so it shows once the round is labelled");
    } else if (r->status == REPLY_NOT_SENT) {
        /* never asked: why, and what to do; no time, no cost */
        style = THEME_ERROR;
        buf_printf(&b, "[not sent] %s", r->error_message ? r->error_message : "");
        if (r->error_hint)
            buf_printf(&b, "\nwhat to do: %s", r->error_hint);
    } else if (r->status == REPLY_ERROR) {
        style = THEME_ERROR;
        if (r->http_status)
            buf_printf(&b, "[error: HTTP %d %s] %s", r->http_status, r->error_type ? r->error_type : "",
                       r->error_message ? r->error_message : "failed");
        else
            buf_printf(&b, "[error: %s] %s", r->error_type ? r->error_type : "failed",
                       r->error_message ? r->error_message : "");
    } else {
        reply_outcome_format(r, &b);
        while (b.len && b.data[b.len - 1] == '\n')
            b.data[--b.len] = '\0';
        if (r->status == REPLY_REFUSED || r->status == REPLY_BLOCKED)
            style = THEME_ALERT;
    }
    int rc = 0;
    if (b.len) {
        rc |= pane_append(pane, gap, strlen(gap), style);
        rc |= pane_append(pane, b.data, b.len, style);
        gap = "\n";
    }
    buf_free(&b);
    /* a local reply: what formatted its prompt (the model's own template, a
     * hand-written fallback and why, or none with --raw), as run prints it */
    if (r->chat_template[0] && !hide_names) {
        Buf t = { 0 };
        buf_printf(&t, "[chat template: %s]", r->chat_template);
        rc |= pane_append(pane, gap, strlen(gap), THEME_DIM);
        rc |= t.data ? pane_append(pane, t.data, t.len, THEME_DIM) : -1;
        buf_free(&t);
    }
    return rc;
}

int replyview_sync(ReplyView *v, Pane *pane, const Reply *r, bool hide_reasoning, bool hide_names)
{
    bool final = reply_is_final(r);
    bool rebuild = (v->reasoning_open && v->hidden != hide_reasoning) || /* shown or hidden */
                   (v->end_done && v->names_hidden != hide_names) ||       /* names revealed */
                   (v->answer_open && r->reasoning.len > v->reasoning_done &&
                    (!v->reasoning_open || !hide_reasoning)) ||           /* reasoning after the answer */
                   (v->answer_open && !v->reasoning_open && has_reasoning(r)) || /* known only at the end */
                   (final && !v->end_done && v->reasoning_open && r->usage.reasoning_tokens >= 0);
    if (rebuild) {
        pane_clear(pane);
        *v = (ReplyView){ 0 };
    }
    v->hidden = hide_reasoning;
    v->names_hidden = hide_names;
    int rc = 0;
    if (!v->reasoning_open && has_reasoning(r)) {
        rc |= put_header(pane, r, hide_reasoning);
        v->reasoning_open = true;
    }
    if (v->reasoning_open && !v->answer_open && r->reasoning.len > v->reasoning_done) {
        if (!hide_reasoning)
            rc |= pane_append(pane, r->reasoning.data + v->reasoning_done, r->reasoning.len - v->reasoning_done,
                              THEME_DIM);
        v->reasoning_done = r->reasoning.len;
    }
    if (!v->answer_open && (r->text.len > 0 || (final && r->n_tool_calls > 0))) {
        /* a blank line between the reasoning shown and the answer */
        if (v->reasoning_open && !hide_reasoning && v->reasoning_done > 0)
            rc |= pane_append(pane, "\n\n", 2, THEME_TEXT);
        v->answer_open = true;
    }
    if (r->text.len > v->text_done) {
        rc |= pane_append(pane, r->text.data + v->text_done, r->text.len - v->text_done, THEME_TEXT);
        v->text_done = r->text.len;
    }
    if (final && !v->end_done) {
        /* one blank line between what is there and the closing lines */
        size_t len = 0;
        const char *t = pane_text(pane, &len);
        rc |= put_end(pane, r, len == 0 ? "" : t[len - 1] == '\n' ? "\n" : "\n\n", hide_names);
        v->end_done = true;
    }
    return rc < 0 ? -1 : 0;
}
