/* candidate.c — stored replies and Params to and from JSON (see candidate.h). */
#include "store/candidate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "core/keyfilter.h"
#include "core/reply_json.h"
#include "store/jsonio.h"

static int add_long_or_null(cJSON *o, const char *key, long v)
{
    return jsonio_add_num(o, key, v >= 0 ? (double)v : NAN);
}

/* ms-valued metrics are unknown when negative */
static int add_ms(cJSON *o, const char *key, double v)
{
    return jsonio_add_num(o, key, v >= 0 ? v : NAN);
}

static cJSON *usage_encode(const Usage *u)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = add_long_or_null(o, "input_tokens", u->input_tokens);
    bad |= add_long_or_null(o, "output_tokens", u->output_tokens);
    bad |= add_long_or_null(o, "reasoning_tokens", u->reasoning_tokens);
    bad |= add_long_or_null(o, "cached_input_tokens", u->cached_input_tokens);
    bad |= add_long_or_null(o, "cache_write_tokens", u->cache_write_tokens);
    bad |= add_long_or_null(o, "cache_write_1h_tokens", u->cache_write_1h_tokens);
    bad |= jsonio_add_num(o, "reported_cost_usd", u->reported_cost_usd >= 0 ? u->reported_cost_usd : NAN);
    return jsonio_finish(o, bad);
}

static Usage usage_decode(const cJSON *o)
{
    Usage u = usage_unknown();
    if (!cJSON_IsObject(o))
        return u;
    u.input_tokens = jsonio_long(o, "input_tokens", -1);
    u.output_tokens = jsonio_long(o, "output_tokens", -1);
    u.reasoning_tokens = jsonio_long(o, "reasoning_tokens", -1);
    u.cached_input_tokens = jsonio_long(o, "cached_input_tokens", -1);
    u.cache_write_tokens = jsonio_long(o, "cache_write_tokens", -1);
    u.cache_write_1h_tokens = jsonio_long(o, "cache_write_1h_tokens", -1);
    u.reported_cost_usd = jsonio_num(o, "reported_cost_usd", -1);
    return u;
}

static cJSON *metrics_encode(const ReplyMetrics *m)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = add_ms(o, "ttft_ms", m->ttft_ms);
    bad |= add_ms(o, "ttfa_ms", m->ttfa_ms);
    bad |= add_ms(o, "total_ms", m->total_ms);
    bad |= add_ms(o, "output_tokens_per_s", m->output_tokens_per_s);
    bad |= jsonio_add_num(o, "cost_usd", m->cost_usd);
    bad |= jsonio_add_num(o, "delta_count", (double)m->delta_count);
    bad |= add_ms(o, "prompt_tokens_per_s", m->prompt_tokens_per_s);
    bad |= add_ms(o, "server_output_tokens_per_s", m->server_output_tokens_per_s);
    bad |= add_ms(o, "load_ms", m->load_ms);
    if (m->load_ms >= 0) /* the times above start after the load (versus 0.2 on) */
        bad |= !cJSON_AddBoolToObject(o, "times_after_load", true);
    bad |= add_ms(o, "rss_mib", m->rss_mib);
    if (m->cost_basis[0]) {
        bad |= jsonio_add_str(o, "cost_basis", m->cost_basis);
        bad |= jsonio_add_num(o, "input_usd_per_mtok", m->input_usd_per_mtok);
        bad |= jsonio_add_num(o, "output_usd_per_mtok", m->output_usd_per_mtok);
    }
    return jsonio_finish(o, bad);
}

static void metrics_decode(const cJSON *o, ReplyMetrics *m)
{
    /* Times are stored relative to the request start (t_start_ms = 0). */
    m->t_start_ms = 0;
    m->ttft_ms = jsonio_num(o, "ttft_ms", -1);
    m->ttfa_ms = jsonio_num(o, "ttfa_ms", -1);
    m->t_first_answer_ms = m->ttfa_ms;
    m->total_ms = jsonio_num(o, "total_ms", -1);
    m->output_tokens_per_s = jsonio_num(o, "output_tokens_per_s", -1);
    m->cost_usd = jsonio_num(o, "cost_usd", NAN);
    m->delta_count = jsonio_long(o, "delta_count", 0);
    m->prompt_tokens_per_s = jsonio_num(o, "prompt_tokens_per_s", -1);
    m->server_output_tokens_per_s = jsonio_num(o, "server_output_tokens_per_s", -1);
    m->load_ms = jsonio_num(o, "load_ms", -1);
    m->rss_mib = jsonio_num(o, "rss_mib", -1);
    const char *basis = jsonio_str(o, "cost_basis");
    snprintf(m->cost_basis, sizeof m->cost_basis, "%s", basis ? basis : "");
    m->input_usd_per_mtok = jsonio_num(o, "input_usd_per_mtok", NAN);
    m->output_usd_per_mtok = jsonio_num(o, "output_usd_per_mtok", NAN);
    /* Recorded before local times started after the load: they held it. */
    const cJSON *after = cJSON_GetObjectItemCaseSensitive(o, "times_after_load");
    if (m->load_ms > 0 && !cJSON_IsTrue(after)) {
        double *t[] = { &m->ttft_ms, &m->ttfa_ms, &m->total_ms };
        for (size_t i = 0; i < 3; i++)
            if (*t[i] >= m->load_ms)
                *t[i] -= m->load_ms;
        m->t_first_answer_ms = m->ttfa_ms;
    }
    m->t_first_ms = m->ttft_ms;
    m->t_end_ms = m->total_ms;
    m->t_last_ms = -1;
}

static cJSON *recording_encode(const ReplyRecording *rec)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *chunks = cJSON_CreateArray();
    /* Mask echoed secrets in the raw bytes before they are encoded: the
     * same-length mask keeps every chunk offset valid. */
    char *raw = malloc(rec->bytes.len + 1);
    char *b64 = NULL;
    if (raw) {
        if (rec->bytes.len)
            memcpy(raw, rec->bytes.data, rec->bytes.len);
        keyfilter_mask(raw, rec->bytes.len);
        b64 = base64_encode(raw, rec->bytes.len);
        free(raw);
    }
    if (!o || !chunks || !b64)
        goto oom;
    cJSON_AddItemToObject(o, "chunks", chunks);
    if (jsonio_add_num(o, "http_status", rec->http_status) || jsonio_add_str(o, "encoding", "base64") ||
        jsonio_add_str(o, "bytes", b64))
        goto oom;
    for (size_t i = 0; i < rec->n_chunks; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON *t = cJSON_CreateNumber(rec->chunks[i].t_ms);
        cJSON *l = cJSON_CreateNumber((double)rec->chunks[i].len);
        if (!pair || !t || !l) {
            cJSON_Delete(pair);
            cJSON_Delete(t);
            cJSON_Delete(l);
            goto oom;
        }
        cJSON_AddItemToArray(pair, t);
        cJSON_AddItemToArray(pair, l);
        cJSON_AddItemToArray(chunks, pair);
    }
    free(b64);
    return o;
oom:
    free(b64);
    if (!o)
        cJSON_Delete(chunks);
    cJSON_Delete(o);
    return NULL;
}

static int recording_decode(const cJSON *o, ReplyRecording *rec, char *err, size_t errlen)
{
    const char *enc = jsonio_str(o, "encoding");
    const char *bytes = jsonio_str(o, "bytes");
    const cJSON *chunks = cJSON_GetObjectItemCaseSensitive(o, "chunks");
    if (!bytes || !cJSON_IsArray(chunks)) {
        snprintf(err, errlen, "recording needs \"bytes\" and \"chunks\"");
        return -1;
    }
    size_t n = 0;
    char *raw;
    if (!enc || strcmp(enc, "base64") == 0) {
        raw = base64_decode(bytes, &n);
        if (!raw) {
            snprintf(err, errlen, "recording bytes are not valid base64");
            return -1;
        }
    } else if (strcmp(enc, "text") == 0) {
        n = strlen(bytes);
        raw = strdup(bytes);
        if (!raw) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    } else {
        snprintf(err, errlen, "recording encoding \"%s\" is not base64 or text", enc);
        return -1;
    }
    rec->enabled = true;
    rec->http_status = (int)jsonio_long(o, "http_status", 0);
    int rc = buf_append(&rec->bytes, raw, n);
    free(raw);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t count = (size_t)cJSON_GetArraySize(chunks), off = 0;
    rec->chunks = count ? calloc(count, sizeof *rec->chunks) : NULL;
    if (count && !rec->chunks) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    rec->cap_chunks = count;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, chunks) {
        const cJSON *t = cJSON_GetArrayItem(pair, 0), *l = cJSON_GetArrayItem(pair, 1);
        if (!cJSON_IsArray(pair) || !cJSON_IsNumber(t) || !cJSON_IsNumber(l) || l->valuedouble < 0 ||
            l->valuedouble != floor(l->valuedouble) || l->valuedouble > (double)(n - off) ||
            !isfinite(t->valuedouble)) {
            snprintf(err, errlen, "recording chunk %zu is not [t_ms, len] within the bytes", rec->n_chunks);
            return -1;
        }
        size_t len = (size_t)l->valuedouble;
        rec->chunks[rec->n_chunks++] = (ReplyChunk){ .t_ms = t->valuedouble, .offset = off, .len = len };
        off += len;
    }
    if (off != n) {
        snprintf(err, errlen, "recording chunks cover %zu of %zu bytes", off, n);
        return -1;
    }
    return 0;
}

cJSON *candidate_encode(const Reply *r, double vram_mib, bool with_recording)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = jsonio_add_str(o, "spec", r->spec);
    bad |= jsonio_add_str(o, "provider", r->provider);
    if (r->kind[0])
        bad |= jsonio_add_str(o, "kind", r->kind);
    if (r->alias_of)
        bad |= jsonio_add_str(o, "alias_of", r->alias_of);
    bad |= jsonio_add_str(o, "model", r->model);
    bad |= jsonio_add_str(o, "status", reply_status_name(r->status));
    bad |= jsonio_add_strn(o, "text", buf_str(&r->text), r->text.len);
    if (r->reasoning.len)
        bad |= jsonio_add_strn(o, "reasoning", buf_str(&r->reasoning), r->reasoning.len);
    if (r->redacted_reasoning > 0)
        bad |= jsonio_add_num(o, "redacted_reasoning_blocks", (double)r->redacted_reasoning);
    if (r->reasoning_request[0])
        bad |= jsonio_add_str(o, "reasoning_request", r->reasoning_request);
    if (r->refusal.len)
        bad |= jsonio_add_strn(o, "refusal", buf_str(&r->refusal), r->refusal.len);
    if (r->status_reason)
        bad |= jsonio_add_str(o, "status_reason", r->status_reason);
    if (r->n_tool_calls)
        bad |= jsonio_add_item(o, "tool_calls", reply_tool_calls_to_json(r));
    if (r->truncated_by_reasoning)
        bad |= !cJSON_AddTrueToObject(o, "truncated_by_reasoning");
    bad |= jsonio_add_str(o, "finish_reason", r->finish_reason[0] ? r->finish_reason : NULL);
    bad |= !cJSON_AddBoolToObject(o, "incomplete", r->incomplete);
    bad |= !cJSON_AddBoolToObject(o, "saw_done", r->saw_done);
    bad |= jsonio_add_num(o, "attempts", r->attempts);
    if (r->backend[0])
        bad |= jsonio_add_str(o, "backend", r->backend);
    if (r->quant[0])
        bad |= jsonio_add_str(o, "quant", r->quant);
    if (r->gpu_name[0])
        bad |= jsonio_add_str(o, "gpu", r->gpu_name);
    if (r->status == REPLY_ERROR || r->error_type || r->error_message) {
        cJSON *e = cJSON_AddObjectToObject(o, "error");
        bad |= !e;
        if (e) {
            bad |= jsonio_add_num(e, "http_status", r->http_status);
            bad |= jsonio_add_str(e, "type", r->error_type);
            bad |= jsonio_add_str(e, "message", r->error_message);
            bad |= jsonio_add_str(e, "hint", r->error_hint);
        }
    } else {
        bad |= !cJSON_AddNullToObject(o, "error");
    }
    cJSON *u = usage_encode(&r->usage), *m = metrics_encode(&r->metrics);
    if (u)
        cJSON_AddItemToObject(o, "usage", u);
    if (m)
        cJSON_AddItemToObject(o, "metrics", m);
    bad |= !u || !m;
    bad |= jsonio_add_num(o, "vram_mib", vram_mib >= 0 ? vram_mib : NAN);
    if (with_recording && r->recording.enabled) {
        bad |= jsonio_add_item(o, "recording", recording_encode(&r->recording));
    }
    return jsonio_finish(o, bad);
}

cJSON *candidate_encode_list(Reply *const *replies, const double *vram_mib, size_t n,
                             bool with_recording)
{
    cJSON *arr = cJSON_CreateArray();
    int bad = !arr;
    for (size_t i = 0; arr && i < n; i++)
        bad |= jsonio_push(arr, candidate_encode(replies[i], vram_mib ? vram_mib[i] : -1,
                                                 with_recording));
    return jsonio_finish(arr, bad);
}

Reply *candidate_decode(const cJSON *o, double *vram_mib, char *err, size_t errlen)
{
    if (!cJSON_IsObject(o)) {
        snprintf(err, errlen, "a candidate must be a JSON object");
        return NULL;
    }
    const char *spec = jsonio_str(o, "spec"), *provider = jsonio_str(o, "provider");
    const char *model = jsonio_str(o, "model");
    if (!spec && !model) {
        snprintf(err, errlen, "a candidate needs \"spec\" or \"model\"");
        return NULL;
    }
    Reply *r = reply_new(spec ? spec : model, provider ? provider : "", model ? model : spec);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    const char *kind = jsonio_str(o, "kind");
    if (kind)
        snprintf(r->kind, sizeof r->kind, "%s", kind);
    if (reply_set_alias_of(r, jsonio_str(o, "alias_of")) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    r->attempts = (int)jsonio_long(o, "attempts", 1);
    const char *status = jsonio_str(o, "status");
    r->status = REPLY_OK;
    if (status && reply_status_parse(status, &r->status) < 0) {
        snprintf(err, errlen, "unknown reply status \"%s\"", status);
        goto fail;
    }
    const char *text = jsonio_str(o, "text"), *reasoning = jsonio_str(o, "reasoning");
    if ((text && buf_puts(&r->text, text) < 0) || (reasoning && buf_puts(&r->reasoning, reasoning) < 0)) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    const char *refusal = jsonio_str(o, "refusal");
    if (refusal && buf_puts(&r->refusal, refusal) < 0) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    r->status_reason = jsonio_dup(o, "status_reason");
    r->redacted_reasoning = jsonio_long(o, "redacted_reasoning_blocks", 0);
    r->truncated_by_reasoning = jsonio_bool(o, "truncated_by_reasoning", false);
    const char *rreq = jsonio_str(o, "reasoning_request");
    snprintf(r->reasoning_request, sizeof r->reasoning_request, "%s", rreq ? rreq : "");
    if (reply_tool_calls_from_json(r, cJSON_GetObjectItemCaseSensitive(o, "tool_calls"), err, errlen) < 0)
        goto fail;
    const char *fr = jsonio_str(o, "finish_reason");
    snprintf(r->finish_reason, sizeof r->finish_reason, "%s", fr ? fr : "");
    r->incomplete = jsonio_bool(o, "incomplete", false);
    r->saw_done = jsonio_bool(o, "saw_done", false);
    const char *backend = jsonio_str(o, "backend");
    snprintf(r->backend, sizeof r->backend, "%s", backend ? backend : "");
    const char *quant = jsonio_str(o, "quant"), *gpu = jsonio_str(o, "gpu");
    snprintf(r->quant, sizeof r->quant, "%s", quant ? quant : "");
    snprintf(r->gpu_name, sizeof r->gpu_name, "%s", gpu ? gpu : "");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
    if (cJSON_IsObject(e)) {
        r->http_status = (int)jsonio_long(e, "http_status", 0);
        r->error_type = jsonio_dup(e, "type");
        r->error_message = jsonio_dup(e, "message");
        r->error_hint = jsonio_dup(e, "hint");
    }
    r->usage = usage_decode(cJSON_GetObjectItemCaseSensitive(o, "usage"));
    metrics_decode(cJSON_GetObjectItemCaseSensitive(o, "metrics"), &r->metrics);
    /* Files written before the not_sent state stored a refused candidate as
     * an error with no attempt (and the time since boot as its total). */
    if (r->status == REPLY_NOT_SENT || (r->status == REPLY_ERROR && r->attempts == 0 && r->text.len == 0)) {
        char *type = r->error_type, *message = r->error_message, *hint = r->error_hint;
        r->error_type = r->error_message = r->error_hint = NULL;
        r->status = REPLY_WAITING;
        reply_not_sent(r, type, message);
        r->error_hint = hint;
        free(type);
        free(message);
    }
    if (vram_mib)
        *vram_mib = jsonio_num(o, "vram_mib", -1);
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(o, "recording");
    if (rec && !cJSON_IsNull(rec)) {
        if (!cJSON_IsObject(rec)) {
            snprintf(err, errlen, "\"recording\" must be an object");
            goto fail;
        }
        if (recording_decode(rec, &r->recording, err, errlen) < 0)
            goto fail;
    }
    return r;
fail:
    reply_free(r);
    return NULL;
}

const char *candidate_key(const Reply *r, char *out, size_t n)
{
    const char *spec = r->alias_of ? r->alias_of : r->spec ? r->spec : "";
    if (!r->provider || strcmp(r->provider, "local") != 0 || !r->model || !r->model[0]) {
        snprintf(out, n, "%s", spec);
        return out;
    }
    const char *slash = strrchr(r->model, '/');
    const char *file = slash ? slash + 1 : r->model;
    const char *hash = strrchr(spec, '#');
    size_t base = hash ? (size_t)(hash - spec) : strlen(spec);
    /* the file the spec names, if any: "local:DIR/FILE#EFFORT" */
    const char *named = strncmp(spec, "local:", 6) == 0 ? spec + 6 : "";
    size_t named_len = base > 6 && named[0] ? base - 6 : 0;
    const char *nslash = named_len ? memrchr(named, '/', named_len) : NULL;
    if (nslash) {
        named_len -= (size_t)(nslash + 1 - named);
        named = nslash + 1;
    }
    if (named_len && named_len == strlen(file) && memcmp(named, file, named_len) == 0)
        snprintf(out, n, "%s", spec);
    else
        snprintf(out, n, "local:%s%s", file, hash ? hash : "");
    return out;
}

Reply *candidate_clone(const Reply *r)
{
    Reply *c = reply_new(r->spec, r->provider, r->model);
    if (!c)
        return NULL;
    c->status = r->status;
    c->attempts = r->attempts;
    memcpy(c->finish_reason, r->finish_reason, sizeof c->finish_reason);
    memcpy(c->backend, r->backend, sizeof c->backend);
    memcpy(c->kind, r->kind, sizeof c->kind);
    if (reply_set_alias_of(c, r->alias_of) < 0) {
        reply_free(c);
        return NULL;
    }
    memcpy(c->quant, r->quant, sizeof c->quant);
    memcpy(c->gpu_name, r->gpu_name, sizeof c->gpu_name);
    c->incomplete = r->incomplete;
    c->saw_done = r->saw_done;
    c->http_status = r->http_status;
    c->usage = r->usage;
    c->metrics = r->metrics;
    int bad = buf_append(&c->text, buf_str(&r->text), r->text.len);
    bad |= buf_append(&c->reasoning, buf_str(&r->reasoning), r->reasoning.len);
    bad |= buf_append(&c->refusal, buf_str(&r->refusal), r->refusal.len);
    c->end_status = r->end_status;
    c->redacted_reasoning = r->redacted_reasoning;
    c->truncated_by_reasoning = r->truncated_by_reasoning;
    memcpy(c->reasoning_request, r->reasoning_request, sizeof c->reasoning_request);
    c->status_reason = r->status_reason ? strdup(r->status_reason) : NULL;
    bad |= r->status_reason && !c->status_reason;
    for (size_t i = 0; i < r->n_tool_calls; i++)
        bad |= reply_add_tool_call(c, r->tool_calls[i].id, r->tool_calls[i].name, r->tool_calls[i].arguments);
    c->error_type = r->error_type ? strdup(r->error_type) : NULL;
    c->error_message = r->error_message ? strdup(r->error_message) : NULL;
    c->error_hint = r->error_hint ? strdup(r->error_hint) : NULL;
    bad |= (r->error_type && !c->error_type) || (r->error_message && !c->error_message) ||
           (r->error_hint && !c->error_hint);
    if (r->n_token_ids) {
        c->token_ids = malloc(r->n_token_ids * sizeof *c->token_ids);
        bad |= !c->token_ids;
        if (c->token_ids) {
            memcpy(c->token_ids, r->token_ids, r->n_token_ids * sizeof *c->token_ids);
            c->n_token_ids = c->cap_token_ids = r->n_token_ids;
        }
    }
    const ReplyRecording *rec = &r->recording;
    c->recording.enabled = rec->enabled;
    c->recording.http_status = rec->http_status;
    if (rec->enabled) {
        bad |= buf_append(&c->recording.bytes, buf_str(&rec->bytes), rec->bytes.len);
        if (rec->n_chunks) {
            c->recording.chunks = malloc(rec->n_chunks * sizeof *rec->chunks);
            bad |= !c->recording.chunks;
            if (c->recording.chunks) {
                memcpy(c->recording.chunks, rec->chunks, rec->n_chunks * sizeof *rec->chunks);
                c->recording.n_chunks = c->recording.cap_chunks = rec->n_chunks;
            }
        }
    }
    if (bad) {
        reply_free(c);
        return NULL;
    }
    return c;
}

cJSON *candidate_params_encode(const Params *p)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int bad = 0;
    if (p->max_tokens != PARAM_UNSET_INT) bad |= jsonio_add_num(o, "max_tokens", (double)p->max_tokens);
    if (!isnan(p->temperature)) bad |= jsonio_add_num(o, "temperature", p->temperature);
    if (!isnan(p->top_p)) bad |= jsonio_add_num(o, "top_p", p->top_p);
    if (p->top_k != PARAM_UNSET_INT) bad |= jsonio_add_num(o, "top_k", (double)p->top_k);
    if (!isnan(p->min_p)) bad |= jsonio_add_num(o, "min_p", p->min_p);
    if (!isnan(p->repeat_penalty)) bad |= jsonio_add_num(o, "repeat_penalty", p->repeat_penalty);
    if (p->seed_set) bad |= jsonio_add_num(o, "seed", (double)p->seed);
    if (p->timeout_s > 0) bad |= jsonio_add_num(o, "timeout_s", p->timeout_s);
    if (p->context_length != PARAM_UNSET_INT) bad |= jsonio_add_num(o, "context_length", (double)p->context_length);
    if (p->raw) bad |= !cJSON_AddTrueToObject(o, "raw");
    if (p->reasoning.effort != REASONING_UNSET) {
        char rs[32];
        reasoning_format(&p->reasoning, rs, sizeof rs);
        bad |= jsonio_add_str(o, "reasoning", rs);
    }
    return jsonio_finish(o, bad);
}

Params candidate_params_decode(const cJSON *o)
{
    Params p = params_default();
    if (!cJSON_IsObject(o))
        return p;
    p.max_tokens = jsonio_long(o, "max_tokens", PARAM_UNSET_INT);
    p.temperature = jsonio_num(o, "temperature", NAN);
    p.top_p = jsonio_num(o, "top_p", NAN);
    p.top_k = jsonio_long(o, "top_k", PARAM_UNSET_INT);
    p.min_p = jsonio_num(o, "min_p", NAN);
    p.repeat_penalty = jsonio_num(o, "repeat_penalty", NAN);
    long seed = jsonio_long(o, "seed", -1);
    if (seed >= 0) {
        p.seed = seed;
        p.seed_set = true;
    }
    p.timeout_s = jsonio_num(o, "timeout_s", 0);
    p.context_length = jsonio_long(o, "context_length", PARAM_UNSET_INT);
    p.raw = jsonio_bool(o, "raw", false);
    const char *rs = jsonio_str(o, "reasoning");
    char err[256];
    if (rs)
        reasoning_parse(rs, &p.reasoning, err, sizeof err); /* a bad value stays unset */
    return p;
}
