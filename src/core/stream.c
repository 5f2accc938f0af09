/* stream.c — helpers to build and emit StreamEvents (see stream.h). */
#include "core/stream.h"

Usage usage_unknown(void)
{
    return (Usage){ .input_tokens = -1, .output_tokens = -1, .reasoning_tokens = -1,
                    .cached_input_tokens = -1, .cache_write_tokens = -1, .cache_write_1h_tokens = -1,
                    .reported_cost_usd = -1.0 };
}

void usage_merge(Usage *u, const Usage *v)
{
    if (v->input_tokens >= 0) u->input_tokens = v->input_tokens;
    if (v->output_tokens >= 0) u->output_tokens = v->output_tokens;
    if (v->reasoning_tokens >= 0) u->reasoning_tokens = v->reasoning_tokens;
    if (v->cached_input_tokens >= 0) u->cached_input_tokens = v->cached_input_tokens;
    if (v->cache_write_tokens >= 0) u->cache_write_tokens = v->cache_write_tokens;
    if (v->cache_write_1h_tokens >= 0) u->cache_write_1h_tokens = v->cache_write_1h_tokens;
    if (v->reported_cost_usd >= 0) u->reported_cost_usd = v->reported_cost_usd;
}

StreamEvent stream_event_init(StreamEventKind kind)
{
    return (StreamEvent){ .kind = kind, .token_id = -1, .usage = usage_unknown(),
                          .server_prompt_tokens_per_s = -1.0, .server_output_tokens_per_s = -1.0,
                          .server_prompt_tokens = -1, .server_output_tokens = -1, .total = -1 };
}

void stream_emit(const StreamSink *sink, const StreamEvent *ev)
{
    if (sink && sink->emit)
        sink->emit(sink->user, ev);
}

void stream_emit_text(const StreamSink *sink, StreamEventKind kind, const char *text, size_t len)
{
    if (len == 0)
        return;
    StreamEvent ev = stream_event_init(kind);
    ev.text = text;
    ev.len = len;
    stream_emit(sink, &ev);
}

void stream_emit_usage(const StreamSink *sink, Usage usage)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_USAGE);
    ev.usage = usage;
    stream_emit(sink, &ev);
}

void stream_emit_finish(const StreamSink *sink, const char *finish_reason)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_FINISH);
    ev.finish_reason = finish_reason;
    stream_emit(sink, &ev);
}

void stream_emit_error(const StreamSink *sink, int http_status, const char *type, const char *message)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_ERROR);
    ev.http_status = http_status;
    ev.error_type = type;
    ev.error_message = message;
    stream_emit(sink, &ev);
}

void stream_emit_done(const StreamSink *sink)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_DONE);
    stream_emit(sink, &ev);
}

void stream_emit_tool_call(const StreamSink *sink, const char *id, const char *name, const char *arguments)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_TOOL_CALL);
    ev.tool.id = id;
    ev.tool.name = name ? name : "";
    ev.tool.arguments = arguments && arguments[0] ? arguments : "{}";
    stream_emit(sink, &ev);
}

void stream_emit_refusal(const StreamSink *sink, const char *reason, const char *text, size_t len)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_REFUSAL);
    ev.reason = reason;
    ev.text = text;
    ev.len = text ? len : 0;
    stream_emit(sink, &ev);
}

void stream_emit_blocked(const StreamSink *sink, const char *reason)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_BLOCKED);
    ev.reason = reason;
    stream_emit(sink, &ev);
}

void stream_emit_redacted(const StreamSink *sink)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_REDACTED);
    stream_emit(sink, &ev);
}

void stream_emit_progress(const StreamSink *sink, const char *phase, const char *label, int64_t done,
                          int64_t total)
{
    StreamEvent ev = stream_event_init(STREAM_EVENT_PROGRESS);
    ev.phase = phase;
    ev.label = label;
    ev.done = done;
    ev.total = total;
    stream_emit(sink, &ev);
}
