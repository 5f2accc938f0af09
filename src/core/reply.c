/* reply.c — folding StreamEvents into a Reply (see reply.h). */
#include "core/reply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

Reply *reply_new(const char *spec, const char *provider, const char *model)
{
    Reply *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->spec = dup_or_null(spec ? spec : "");
    r->provider = dup_or_null(provider ? provider : "");
    r->model = dup_or_null(model ? model : "");
    if (!r->spec || !r->provider || !r->model) {
        reply_free(r);
        return NULL;
    }
    r->usage = usage_unknown();
    reply_start(r, 0);
    r->attempts = 0;
    return r;
}

void reply_free(Reply *r)
{
    if (!r)
        return;
    free(r->spec);
    free(r->provider);
    free(r->model);
    buf_free(&r->text);
    buf_free(&r->reasoning);
    free(r->error_type);
    free(r->error_message);
    free(r->error_hint);
    free(r->token_ids);
    free(r->prompt_token_ids);
    buf_free(&r->recording.bytes);
    free(r->recording.chunks);
    free(r);
}

void reply_start(Reply *r, double now_ms)
{
    r->status = REPLY_WAITING;
    buf_reset(&r->text);
    buf_reset(&r->reasoning);
    r->finish_reason[0] = '\0';
    r->incomplete = false;
    r->saw_done = false;
    r->http_status = 0;
    free(r->error_type);
    free(r->error_message);
    free(r->error_hint);
    r->error_type = r->error_message = r->error_hint = NULL;
    r->usage = usage_unknown();
    r->metrics = (ReplyMetrics){ .t_start_ms = now_ms, .t_first_ms = -1, .t_last_ms = -1,
                                 .t_end_ms = -1, .ttft_ms = -1, .total_ms = -1,
                                 .output_tokens_per_s = -1, .cost_usd = NAN,
                                 .prompt_tokens_per_s = -1, .server_output_tokens_per_s = -1,
                                 .load_ms = -1, .rss_mib = -1 };
    r->n_token_ids = 0;
    r->progress = progress_none();
    r->recording.bytes.len = 0;
    if (r->recording.bytes.data)
        r->recording.bytes.data[0] = '\0';
    r->recording.n_chunks = 0;
    r->recording.http_status = 0;
    r->attempts++;
}

bool reply_is_final(const Reply *r)
{
    return r->status == REPLY_OK || r->status == REPLY_ERROR || r->status == REPLY_CANCELLED ||
           r->status == REPLY_NOT_SENT;
}

bool reply_was_sent(const Reply *r)
{
    return r->status != REPLY_NOT_SENT;
}

void reply_not_sent(Reply *r, const char *type, const char *message)
{
    if (reply_is_final(r))
        return;
    reply_start(r, -1); /* clears text, usage and every metric */
    r->metrics.t_start_ms = -1;
    r->attempts = 0;
    r->status = REPLY_NOT_SENT;
    r->error_type = dup_or_null(type);
    r->error_message = dup_or_null(message);
}

static void merge_usage(Usage *u, const Usage *v)
{
    if (v->input_tokens >= 0) u->input_tokens = v->input_tokens;
    if (v->output_tokens >= 0) u->output_tokens = v->output_tokens;
    if (v->reasoning_tokens >= 0) u->reasoning_tokens = v->reasoning_tokens;
    if (v->cached_input_tokens >= 0) u->cached_input_tokens = v->cached_input_tokens;
    if (v->cache_write_tokens >= 0) u->cache_write_tokens = v->cache_write_tokens;
    if (v->reported_cost_usd >= 0) u->reported_cost_usd = v->reported_cost_usd;
}

static void push_token(Reply *r, int id)
{
    if (r->n_token_ids == r->cap_token_ids) {
        size_t cap = r->cap_token_ids ? r->cap_token_ids * 2 : 64;
        int *p = realloc(r->token_ids, cap * sizeof *p);
        if (!p)
            return;
        r->token_ids = p;
        r->cap_token_ids = cap;
    }
    r->token_ids[r->n_token_ids++] = id;
}

void reply_apply_event(Reply *r, const StreamEvent *ev, double now_ms)
{
    if (reply_is_final(r))
        return;
    switch (ev->kind) {
    case STREAM_EVENT_DELTA:
    case STREAM_EVENT_REASONING:
        if (r->metrics.t_first_ms < 0) {
            r->metrics.t_first_ms = now_ms;
            r->metrics.ttft_ms = now_ms - r->metrics.t_start_ms;
        }
        r->metrics.t_last_ms = now_ms;
        r->metrics.delta_count++;
        r->status = REPLY_STREAMING;
        buf_append(ev->kind == STREAM_EVENT_DELTA ? &r->text : &r->reasoning, ev->text, ev->len);
        if (ev->token_id >= 0)
            push_token(r, ev->token_id);
        break;
    case STREAM_EVENT_USAGE:
        merge_usage(&r->usage, &ev->usage);
        break;
    case STREAM_EVENT_TIMINGS:
        if (ev->server_prompt_tokens_per_s >= 0)
            r->metrics.prompt_tokens_per_s = ev->server_prompt_tokens_per_s;
        if (ev->server_output_tokens_per_s >= 0)
            r->metrics.server_output_tokens_per_s = ev->server_output_tokens_per_s;
        if (ev->server_prompt_tokens >= 0 && r->usage.input_tokens < 0)
            r->usage.input_tokens = ev->server_prompt_tokens;
        if (ev->server_output_tokens >= 0 && r->usage.output_tokens < 0)
            r->usage.output_tokens = ev->server_output_tokens;
        break;
    case STREAM_EVENT_FINISH:
        if (ev->finish_reason)
            snprintf(r->finish_reason, sizeof r->finish_reason, "%s", ev->finish_reason);
        break;
    case STREAM_EVENT_ERROR:
        reply_fail(r, ev->http_status, ev->error_type ? ev->error_type : "stream_error",
                   ev->error_message ? ev->error_message : "the provider reported an error inside the stream",
                   now_ms);
        break;
    case STREAM_EVENT_DONE:
        r->saw_done = true;
        break;
    case STREAM_EVENT_PROGRESS:
        progress_apply(&r->progress, ev, now_ms);
        break;
    }
}

long reply_output_tokens(const Reply *r)
{
    if (r->usage.output_tokens >= 0)
        return r->usage.output_tokens;
    if (r->n_token_ids > 0)
        return (long)r->n_token_ids;
    return r->metrics.delta_count;
}

static double tokens_per_s(const Reply *r, double t_last)
{
    long n = reply_output_tokens(r);
    double dt = t_last - r->metrics.t_first_ms;
    if (r->metrics.t_first_ms < 0 || n < 2 || dt <= 0)
        return -1;
    return (double)(n - 1) * 1000.0 / dt;
}

double reply_live_tokens_per_s(const Reply *r, double now_ms)
{
    if (reply_is_final(r))
        return r->metrics.output_tokens_per_s;
    (void)now_ms;
    return tokens_per_s(r, r->metrics.t_last_ms);
}

static void finish_metrics(Reply *r, double now_ms)
{
    if (r->metrics.t_end_ms < 0)
        r->metrics.t_end_ms = now_ms;
    r->metrics.total_ms = r->metrics.t_end_ms - r->metrics.t_start_ms;
    r->metrics.output_tokens_per_s = tokens_per_s(r, r->metrics.t_last_ms);
}

void reply_finish(Reply *r, double now_ms)
{
    if (reply_is_final(r))
        return;
    r->status = REPLY_OK;
    finish_metrics(r, now_ms);
}

void reply_fail(Reply *r, int http_status, const char *type, const char *message, double now_ms)
{
    if (reply_is_final(r))
        return;
    r->status = REPLY_ERROR;
    r->http_status = http_status;
    free(r->error_type);
    free(r->error_message);
    r->error_type = dup_or_null(type);
    r->error_message = dup_or_null(message);
    if (r->text.len > 0 || r->reasoning.len > 0)
        r->incomplete = true;
    finish_metrics(r, now_ms);
}

void reply_set_hint(Reply *r, const char *hint)
{
    free(r->error_hint);
    r->error_hint = dup_or_null(hint);
}

void reply_cancel(Reply *r, double now_ms)
{
    if (reply_is_final(r))
        return;
    r->status = REPLY_CANCELLED;
    r->incomplete = true;
    finish_metrics(r, now_ms);
}

void reply_record(Reply *r, const char *bytes, size_t n, double now_ms)
{
    ReplyRecording *rec = &r->recording;
    if (!rec->enabled || n == 0)
        return;
    if (rec->n_chunks == rec->cap_chunks) {
        size_t cap = rec->cap_chunks ? rec->cap_chunks * 2 : 32;
        ReplyChunk *p = realloc(rec->chunks, cap * sizeof *p);
        if (!p)
            return;
        rec->chunks = p;
        rec->cap_chunks = cap;
    }
    size_t off = rec->bytes.len;
    if (buf_append(&rec->bytes, bytes, n) < 0)
        return;
    rec->chunks[rec->n_chunks++] = (ReplyChunk){ .t_ms = now_ms - r->metrics.t_start_ms,
                                                 .offset = off, .len = n };
}

const char *reply_status_name(ReplyStatus s)
{
    static const char *const names[] = {
        [REPLY_WAITING] = "waiting", [REPLY_STREAMING] = "streaming", [REPLY_OK] = "ok",
        [REPLY_ERROR] = "error", [REPLY_CANCELLED] = "cancelled", [REPLY_NOT_SENT] = "not_sent",
    };
    return (unsigned)s <= REPLY_NOT_SENT ? names[s] : "?";
}
