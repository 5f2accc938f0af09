/* reply_json.c — Reply and Params to JSON (see reply_json.h). */
#include "core/reply_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

static void add_num_or_null(cJSON *o, const char *k, double v, bool known)
{
    if (known && isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

/* Provider text is untrusted: invalid UTF-8 and NULs become U+FFFD. */
static void add_text(cJSON *o, const char *k, const Buf *b)
{
    Buf clean = { 0 };
    utf8_sanitize(&clean, buf_str(b), b->len, UTF8_KEEP_CONTROLS);
    cJSON_AddStringToObject(o, k, buf_str(&clean));
    buf_free(&clean);
}

static void add_count(cJSON *o, const char *k, long v) { add_num_or_null(o, k, (double)v, v >= 0); }

static cJSON *int_array(const int *ids, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber(ids[i]));
    return a;
}

cJSON *reply_tool_calls_to_json(const Reply *r)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < r->n_tool_calls; i++) {
        const ReplyToolCall *c = &r->tool_calls[i];
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddItemToArray(a, o);
        if (c->id)
            cJSON_AddStringToObject(o, "id", c->id);
        else
            cJSON_AddNullToObject(o, "id");
        Buf clean = { 0 };
        utf8_sanitize(&clean, c->name, strlen(c->name), UTF8_KEEP_CONTROLS);
        cJSON_AddStringToObject(o, "name", buf_str(&clean));
        buf_free(&clean);
        cJSON *args = cJSON_Parse(c->arguments);
        if (args) {
            cJSON_AddItemToObject(o, "arguments", args);
        } else {
            /* what the model wrote is not JSON: kept as text, exactly */
            cJSON_AddNullToObject(o, "arguments");
            utf8_sanitize(&clean, c->arguments, strlen(c->arguments), UTF8_KEEP_CONTROLS);
            cJSON_AddStringToObject(o, "arguments_text", buf_str(&clean));
            buf_free(&clean);
        }
    }
    return a;
}

int reply_tool_call_format(const ReplyToolCall *c, Buf *out)
{
    int rc = buf_printf(out, "[tool call: %s%s%s%s]\n", c->name, c->id ? " (" : "", c->id ? c->id : "",
                        c->id ? ")" : "");
    cJSON *j = cJSON_Parse(c->arguments);
    char *pretty = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!pretty)
        return rc | buf_printf(out, "%s\n(not valid JSON)\n", c->arguments);
    /* cJSON indents with tabs and puts one after each colon */
    for (const char *q = pretty; *q; q++) {
        if (*q == '\t')
            rc |= buf_puts(out, q > pretty && q[-1] == ':' ? " " : "  ");
        else
            rc |= buf_append(out, q, 1);
    }
    free(pretty);
    return rc | buf_puts(out, "\n");
}

int reply_outcome_format(const Reply *r, Buf *b)
{
    int rc = 0;
    for (size_t i = 0; i < r->n_tool_calls; i++)
        rc |= reply_tool_call_format(&r->tool_calls[i], b);
    if (r->status == REPLY_REFUSED) {
        rc |= buf_printf(b, "[refused: %s]", r->status_reason ? r->status_reason : "refusal");
        if (r->refusal.len) {
            rc |= buf_puts(b, " ");
            rc |= buf_append(b, r->refusal.data, r->refusal.len);
        }
        rc |= buf_puts(b, "\n");
    } else if (r->status == REPLY_BLOCKED) {
        rc |= buf_printf(b, "[blocked: %s]\n", r->status_reason ? r->status_reason : "blocked");
    }
    if (r->redacted_reasoning > 0)
        rc |= buf_printf(b, "[%ld reasoning block%s encrypted by the provider: counted, not shown]\n",
                         r->redacted_reasoning, r->redacted_reasoning == 1 ? "" : "s");
    if (r->truncated_by_reasoning) {
        if (r->usage.reasoning_tokens >= 0 && r->usage.output_tokens > 0)
            rc |= buf_printf(b, "[truncated by reasoning: %ld of %ld output tokens went to reasoning]\n",
                             r->usage.reasoning_tokens, r->usage.output_tokens);
        else
            rc |= buf_puts(b, "[truncated by reasoning: the output budget went to reasoning]\n");
    } else if (strcmp(r->finish_reason, "length") == 0) {
        rc |= buf_puts(b, REPLY_LENGTH_LINE "\n");
    }
    return rc;
}

int reply_tool_calls_from_json(Reply *r, const cJSON *arr, char *err, size_t errlen)
{
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr)) {
        snprintf(err, errlen, "\"tool_calls\" must be an array");
        return -1;
    }
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(c, "arguments");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(c, "arguments_text");
        if (!cJSON_IsObject(c) || !cJSON_IsString(name)) {
            snprintf(err, errlen, "a tool call needs a \"name\" string");
            return -1;
        }
        char *printed = NULL;
        const char *a = "{}";
        if (cJSON_IsString(text))
            a = text->valuestring;
        else if (args && !cJSON_IsNull(args))
            a = printed = cJSON_PrintUnformatted(args);
        int rc = a ? reply_add_tool_call(r, cJSON_IsString(id) ? id->valuestring : NULL, name->valuestring, a)
                   : -1;
        free(printed);
        if (rc < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    return 0;
}

cJSON *reply_to_json(const Reply *r)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "model", r->model);
    cJSON_AddStringToObject(o, "spec", r->spec);
    cJSON_AddStringToObject(o, "provider", r->provider);
    if (r->kind[0])
        cJSON_AddStringToObject(o, "kind", r->kind);
    if (r->alias_of)
        cJSON_AddStringToObject(o, "alias_of", r->alias_of);
    cJSON_AddStringToObject(o, "status", reply_status_name(r->status));
    add_text(o, "text", &r->text);
    if (r->reasoning.len)
        add_text(o, "reasoning", &r->reasoning);
    if (r->redacted_reasoning > 0)
        cJSON_AddNumberToObject(o, "redacted_reasoning_blocks", (double)r->redacted_reasoning);
    if (r->reasoning_request[0])
        cJSON_AddStringToObject(o, "reasoning_request", r->reasoning_request);
    if (r->refusal.len)
        add_text(o, "refusal", &r->refusal);
    if (r->status_reason)
        cJSON_AddStringToObject(o, "status_reason", r->status_reason);
    else
        cJSON_AddNullToObject(o, "status_reason");
    cJSON_AddItemToObject(o, "tool_calls", reply_tool_calls_to_json(r));
    if (r->finish_reason[0])
        cJSON_AddStringToObject(o, "finish_reason", r->finish_reason);
    else
        cJSON_AddNullToObject(o, "finish_reason");
    cJSON_AddBoolToObject(o, "incomplete", r->incomplete);
    cJSON_AddBoolToObject(o, "truncated_by_reasoning", r->truncated_by_reasoning);
    if (r->status == REPLY_ERROR || r->status == REPLY_NOT_SENT) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        add_num_or_null(e, "http_status", r->http_status, r->http_status > 0);
        cJSON_AddStringToObject(e, "type", r->error_type ? r->error_type : "error");
        cJSON_AddStringToObject(e, "message", r->error_message ? r->error_message : "");
        if (r->error_hint)
            cJSON_AddStringToObject(e, "hint", r->error_hint);
    } else {
        cJSON_AddNullToObject(o, "error");
    }
    cJSON *u = cJSON_AddObjectToObject(o, "usage");
    add_count(u, "input_tokens", r->usage.input_tokens);
    add_count(u, "output_tokens", r->usage.output_tokens);
    add_count(u, "reasoning_tokens", r->usage.reasoning_tokens);
    add_count(u, "cached_input_tokens", r->usage.cached_input_tokens);
    add_count(u, "cache_write_tokens", r->usage.cache_write_tokens);
    add_count(u, "cache_write_1h_tokens", r->usage.cache_write_1h_tokens);
    const ReplyMetrics *m = &r->metrics;
    cJSON *mo = cJSON_AddObjectToObject(o, "metrics");
    add_num_or_null(mo, "ttft_ms", m->ttft_ms, m->ttft_ms >= 0);
    add_num_or_null(mo, "ttfa_ms", m->ttfa_ms, m->ttfa_ms >= 0);
    add_num_or_null(mo, "total_ms", m->total_ms, m->total_ms >= 0);
    add_num_or_null(mo, "output_tokens_per_s", m->output_tokens_per_s, m->output_tokens_per_s >= 0);
    add_num_or_null(mo, "cost_usd", m->cost_usd, !isnan(m->cost_usd));
    add_num_or_null(mo, "prompt_tokens_per_s", m->prompt_tokens_per_s, m->prompt_tokens_per_s >= 0);
    if (m->server_output_tokens_per_s >= 0)
        cJSON_AddNumberToObject(mo, "server_output_tokens_per_s", m->server_output_tokens_per_s);
    if (m->load_ms >= 0)
        cJSON_AddNumberToObject(mo, "load_ms", m->load_ms);
    if (m->rss_mib >= 0)
        cJSON_AddNumberToObject(mo, "rss_mib", m->rss_mib);
    if (m->cost_basis[0]) {
        cJSON_AddStringToObject(mo, "cost_basis", m->cost_basis);
        add_num_or_null(mo, "input_usd_per_mtok", m->input_usd_per_mtok, isfinite(m->input_usd_per_mtok));
        add_num_or_null(mo, "output_usd_per_mtok", m->output_usd_per_mtok, isfinite(m->output_usd_per_mtok));
    }
    cJSON_AddNumberToObject(mo, "attempts", r->attempts);
    if (r->vram_known) {
        if (!r->gpu_present) {
            cJSON_AddStringToObject(o, "vram", "no GPU");
        } else {
            cJSON *v = cJSON_AddObjectToObject(o, "vram");
            add_num_or_null(v, "device_total_mib", r->vram_total_mib, r->vram_total_mib >= 0);
            add_num_or_null(v, "device_used_mib", r->vram_used_mib, r->vram_used_mib >= 0);
            add_num_or_null(v, "process_mib", r->vram_process_mib, r->vram_process_mib >= 0);
        }
    }
    if (r->backend[0] || r->n_token_ids || r->n_prompt_token_ids) {
        cJSON_AddStringToObject(o, "backend", r->backend);
        if (r->chat_template[0]) {
            cJSON *ct = cJSON_AddObjectToObject(o, "chat_template");
            cJSON_AddStringToObject(ct, "source", r->chat_template_raw        ? "raw"
                                                  : r->chat_template_fallback ? "fallback"
                                                                              : "model");
            cJSON_AddStringToObject(ct, "note", r->chat_template);
        }
        if (r->quant[0])
            cJSON_AddStringToObject(o, "quant", r->quant);
        if (r->gpu_name[0])
            cJSON_AddStringToObject(o, "gpu", r->gpu_name);
        cJSON_AddItemToObject(o, "token_ids", int_array(r->token_ids, r->n_token_ids));
        cJSON_AddItemToObject(o, "prompt_token_ids", int_array(r->prompt_token_ids, r->n_prompt_token_ids));
    }
    return o;
}

cJSON *params_to_json(const Params *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    if (p->max_tokens != PARAM_UNSET_INT)
        cJSON_AddNumberToObject(o, "max_tokens", (double)p->max_tokens);
    if (!isnan(p->temperature))
        cJSON_AddNumberToObject(o, "temperature", p->temperature);
    if (!isnan(p->top_p))
        cJSON_AddNumberToObject(o, "top_p", p->top_p);
    if (p->top_k != PARAM_UNSET_INT)
        cJSON_AddNumberToObject(o, "top_k", (double)p->top_k);
    if (!isnan(p->min_p))
        cJSON_AddNumberToObject(o, "min_p", p->min_p);
    if (!isnan(p->repeat_penalty))
        cJSON_AddNumberToObject(o, "repeat_penalty", p->repeat_penalty);
    if (p->seed_set)
        cJSON_AddNumberToObject(o, "seed", (double)p->seed);
    if (p->timeout_s > 0)
        cJSON_AddNumberToObject(o, "timeout_s", p->timeout_s);
    if (p->context_length != PARAM_UNSET_INT)
        cJSON_AddNumberToObject(o, "context_length", (double)p->context_length);
    if (p->raw)
        cJSON_AddBoolToObject(o, "raw", true);
    if (p->reasoning.effort != REASONING_UNSET) {
        char rs[32];
        reasoning_format(&p->reasoning, rs, sizeof rs);
        cJSON_AddStringToObject(o, "reasoning", rs);
    }
    return o;
}
