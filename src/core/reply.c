/* reply.c — folding StreamEvents into a Reply (see reply.h). */
#include "core/reply.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/keyfilter.h"
#include "util/grow.h"

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Error texts quote the provider, which may quote the key it was sent. */
static char *dup_masked(const char *s)
{
    char *c = dup_or_null(s);
    if (c)
        keyfilter_mask(c, strlen(c));
    return c;
}

static void clear_tool_calls(Reply *r)
{
    for (size_t i = 0; i < r->n_tool_calls; i++) {
        free(r->tool_calls[i].id);
        free(r->tool_calls[i].name);
        free(r->tool_calls[i].arguments);
    }
    r->n_tool_calls = 0;
}

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

int reply_set_alias_of(Reply *r, const char *alias_of)
{
    char *c = alias_of && *alias_of ? strdup(alias_of) : NULL;
    if (alias_of && *alias_of && !c)
        return -1;
    free(r->alias_of);
    r->alias_of = c;
    return 0;
}

const char *reply_kind(const Reply *r)
{
    return r->kind[0] ? r->kind : r->provider;
}

void reply_free(Reply *r)
{
    if (!r)
        return;
    free(r->spec);
    free(r->alias_of);
    free(r->provider);
    free(r->model);
    buf_free(&r->text);
    buf_free(&r->reasoning);
    buf_free(&r->refusal);
    free(r->status_reason);
    clear_tool_calls(r);
    free(r->tool_calls);
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
    buf_reset(&r->refusal);
    free(r->status_reason);
    r->status_reason = NULL;
    r->end_status = REPLY_OK;
    clear_tool_calls(r);
    r->redacted_reasoning = 0;
    r->truncated_by_reasoning = false;
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
                                 .t_first_answer_ms = -1, .t_last_answer_ms = -1,
                                 .t_end_ms = -1, .ttft_ms = -1, .ttfa_ms = -1, .total_ms = -1,
                                 .output_tokens_per_s = -1, .cost_usd = NAN,
                                 .prompt_tokens_per_s = -1, .server_output_tokens_per_s = -1,
                                 .load_ms = -1, .rss_mib = -1, .input_usd_per_mtok = NAN,
                                 .output_usd_per_mtok = NAN };
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
           r->status == REPLY_NOT_SENT || r->status == REPLY_REFUSED || r->status == REPLY_BLOCKED;
}

bool reply_was_sent(const Reply *r)
{
    return r->status != REPLY_NOT_SENT;
}

bool reply_took_part(const Reply *r)
{
    if (!reply_was_sent(r))
        return false;
    return r->status == REPLY_OK || r->status == REPLY_REFUSED || r->status == REPLY_BLOCKED || r->text.len > 0;
}

void reply_not_sent(Reply *r, const char *type, const char *message)
{
    if (reply_is_final(r))
        return;
    reply_start(r, -1); /* clears text, usage and every metric */
    r->metrics.t_start_ms = -1;
    r->attempts = 0;
    r->status = REPLY_NOT_SENT;
    r->error_type = dup_masked(type);
    r->error_message = dup_masked(message);
}

int reply_add_tool_call(Reply *r, const char *id, const char *name, const char *arguments)
{
    ReplyToolCall *p = grow_array(r->tool_calls, &r->cap_tool_calls, r->n_tool_calls, sizeof *p, 4);
    if (!p)
        return -1;
    r->tool_calls = p;
    ReplyToolCall c = { .id = dup_or_null(id), .name = strdup(name ? name : ""),
                        .arguments = strdup(arguments && arguments[0] ? arguments : "{}") };
    if ((id && !c.id) || !c.name || !c.arguments) {
        free(c.id);
        free(c.name);
        free(c.arguments);
        return -1;
    }
    r->tool_calls[r->n_tool_calls++] = c;
    return 0;
}

/* A refusal or a block: the reply will end as that, with the provider's reason. */
static void set_outcome(Reply *r, ReplyStatus outcome, const char *reason)
{
    if (r->end_status == REPLY_BLOCKED && outcome == REPLY_REFUSED)
        return; /* a block says more than a refusal */
    if (outcome != r->end_status || !r->status_reason) {
        free(r->status_reason);
        r->status_reason = dup_or_null(reason);
    }
    r->end_status = outcome;
}

/* The first token of any kind sets TTFT; the first answer token TTFA. */
static void note_token(Reply *r, bool answer, double now_ms)
{
    ReplyMetrics *m = &r->metrics;
    if (m->t_first_ms < 0) {
        m->t_first_ms = now_ms;
        m->ttft_ms = now_ms - m->t_start_ms;
    }
    m->t_last_ms = now_ms;
    m->delta_count++;
    if (answer) {
        if (m->t_first_answer_ms < 0) {
            m->t_first_answer_ms = now_ms;
            m->ttfa_ms = now_ms - m->t_start_ms;
        }
        m->t_last_answer_ms = now_ms;
        m->answer_delta_count++;
    }
    r->status = REPLY_STREAMING;
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
        if (ev->token_id == STREAM_TOKEN_HELD_BACK) { /* text of deltas counted already */
            buf_append(ev->kind == STREAM_EVENT_DELTA ? &r->text : &r->reasoning, ev->text, ev->len);
            break;
        }
        note_token(r, ev->kind == STREAM_EVENT_DELTA, now_ms);
        buf_append(ev->kind == STREAM_EVENT_DELTA ? &r->text : &r->reasoning, ev->text, ev->len);
        if (ev->token_id >= 0)
            push_token(r, ev->token_id);
        break;
    case STREAM_EVENT_TOOL_CALL:
        /* a tool call is the answer's first token as much as text is */
        note_token(r, true, now_ms);
        if (r->n_tool_calls >= REPLY_MAX_TOOL_CALLS)
            reply_fail(r, 0, "too_many_tool_calls", "the stream asked for more than 4096 tool calls", now_ms);
        else if (reply_add_tool_call(r, ev->tool.id, ev->tool.name, ev->tool.arguments) < 0)
            reply_fail(r, 0, "out_of_memory", "out of memory keeping a tool call", now_ms);
        break;
    case STREAM_EVENT_REFUSAL:
        if (ev->token_id == STREAM_TOKEN_HELD_BACK) { /* the rest of a refusal already counted */
            buf_append(&r->refusal, ev->text, ev->len);
            break;
        }
        if (ev->len > 0) {
            note_token(r, true, now_ms);
            buf_append(&r->refusal, ev->text, ev->len);
        }
        set_outcome(r, REPLY_REFUSED, ev->reason ? ev->reason : "refusal");
        break;
    case STREAM_EVENT_BLOCKED:
        set_outcome(r, REPLY_BLOCKED, ev->reason ? ev->reason : "blocked");
        break;
    case STREAM_EVENT_REDACTED:
        r->redacted_reasoning++;
        break;
    case STREAM_EVENT_USAGE:
        usage_merge(&r->usage, &ev->usage);
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

double reply_prompt_tokens_per_s(const Reply *r)
{
    const ReplyMetrics *m = &r->metrics;
    if (m->prompt_tokens_per_s > 0)
        return m->prompt_tokens_per_s;
    /* a local model's times start once it is loaded: TTFT is the prefill */
    if (r->usage.input_tokens > 0 && m->ttft_ms > 0)
        return (double)r->usage.input_tokens * 1000.0 / m->ttft_ms;
    return -1;
}

double reply_decode_tokens_per_s(const Reply *r)
{
    if (r->metrics.server_output_tokens_per_s > 0)
        return r->metrics.server_output_tokens_per_s;
    return r->metrics.output_tokens_per_s > 0 ? r->metrics.output_tokens_per_s : -1;
}

long reply_output_tokens(const Reply *r)
{
    if (r->usage.output_tokens >= 0)
        return r->usage.output_tokens;
    if (r->n_token_ids > 0)
        return (long)r->n_token_ids;
    return r->metrics.delta_count;
}

long reply_reasoning_tokens(const Reply *r) { return r->usage.reasoning_tokens; }

/* (n - 1) tokens over the window from t0 to t1, or -1 when it is too short. */
static double rate_over(long n, double t0, double t1)
{
    if (t0 < 0 || t1 < 0 || n < 2 || t1 - t0 < REPLY_RATE_MIN_WINDOW_MS)
        return -1;
    return (double)(n - 1) * 1000.0 / (t1 - t0);
}

static double decode_rate(const Reply *r)
{
    const ReplyMetrics *m = &r->metrics;
    if (m->server_output_tokens_per_s >= 0)
        return m->server_output_tokens_per_s;
    long out = r->usage.output_tokens, reasoning = r->usage.reasoning_tokens;
    if (out >= 0 && reasoning >= 0) {
        /* the provider counts reasoning apart: the answer over its own window */
        long answer = out - reasoning;
        if (answer < 0)
            answer = 0;
        return rate_over(answer, m->t_first_answer_ms, m->t_last_answer_ms);
    }
    return rate_over(reply_output_tokens(r), m->t_first_ms, m->t_last_ms);
}

double reply_live_tokens_per_s(const Reply *r)
{
    /* the rate runs to the latest token, not to now: no clock argument */
    if (reply_is_final(r))
        return r->metrics.output_tokens_per_s;
    return decode_rate(r);
}

/* Finish "length" with the budget gone to reasoning: at least 80% of the
 * output tokens, or no answer at all after some reasoning. */
static bool spent_on_reasoning(const Reply *r)
{
    if (strcmp(r->finish_reason, "length") != 0)
        return false;
    long out = r->usage.output_tokens, rt = r->usage.reasoning_tokens;
    if (out > 0 && rt > 0 && rt * 10 >= out * 8)
        return true;
    return r->text.len == 0 && r->n_tool_calls == 0 &&
           (rt > 0 || r->reasoning.len > 0 || r->redacted_reasoning > 0);
}

static void finish_metrics(Reply *r, double now_ms)
{
    if (r->metrics.t_end_ms < 0)
        r->metrics.t_end_ms = now_ms;
    r->metrics.total_ms = r->metrics.t_end_ms - r->metrics.t_start_ms;
    r->metrics.output_tokens_per_s = decode_rate(r);
    r->truncated_by_reasoning = spent_on_reasoning(r);
}

void reply_finish(Reply *r, double now_ms)
{
    if (reply_is_final(r))
        return;
    r->status = r->end_status;
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
    r->error_type = dup_masked(type);
    r->error_message = dup_masked(message);
    snprintf(r->finish_reason, sizeof r->finish_reason, "error");
    if (r->text.len > 0 || r->reasoning.len > 0 || r->n_tool_calls > 0)
        r->incomplete = true;
    finish_metrics(r, now_ms);
}

void reply_set_hint(Reply *r, const char *hint)
{
    free(r->error_hint);
    r->error_hint = dup_masked(hint);
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
        [REPLY_REFUSED] = "refused", [REPLY_BLOCKED] = "blocked",
    };
    return (unsigned)s <= REPLY_BLOCKED ? names[s] : "?";
}

int reply_status_parse(const char *name, ReplyStatus *out)
{
    for (int i = REPLY_WAITING; i <= REPLY_BLOCKED; i++)
        if (name && strcmp(name, reply_status_name((ReplyStatus)i)) == 0) {
            *out = (ReplyStatus)i;
            return 0;
        }
    return -1;
}
