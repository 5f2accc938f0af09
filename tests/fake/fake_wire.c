/* fake_wire.c — each provider's exact response bytes, built as a FakeScript.
 *
 * Formats follow ../shared/wire/formats.md: OpenAI chat chunks (+ usage chunk
 * when stream_options.include_usage, + [DONE]), the llama-server flavour with
 * `timings`, Anthropic message_start..message_stop with ping, Gemini data-only
 * SSE with CRLF and running usageMetadata ending at connection close, Ollama
 * NDJSON with done:true stats, the Responses API's named events ending in
 * response.completed; reasoning in each API's shape when the request asks
 * for it (fakeprov.h); and each one's error bodies and mid-stream error
 * events. No I/O here: fakeprov.c plays the script. */
#include "fake/fake_wire.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

static const char *const HAPPY[FAKEPROV_HAPPY_DELTAS] = {
    "Hello", " from", " the", " fake", " provider", ":", " naïve", " café", " ✓", ".",
};
/* Invalid UTF-8 inside JSON strings: a lone 0xff/0xfe, a lead byte followed by
 * ASCII, a sequence cut short at the end of a delta. */
static const char *const BAD_UTF8[] = {
    "Hello", " \xff\xfe", " broken", " \xc3(", " cut", " \xe2\x82", "!",
};

/* The reasoning sent when the request asks for it (FAKEPROV_REASONING_TEXT). */
static const char *const REASONING[FAKEPROV_REASONING_DELTAS] = {
    "The user says hello;", " a short, friendly", " greeting", " will do.",
};

enum { IN_OPENAI = 11, IN_ANTHROPIC = 12, IN_GEMINI = 13, IN_OLLAMA = 14, IN_LLAMA = 15, IN_RESPONSES = 16 };

typedef struct Gen {
    FakeScript *s;
    const FakeWireRequest *rq;
    const FakeScenario *sc;
    Buf out;         /* the event(s) being built */
    const char *eol; /* SSE line end */
    int n_out;       /* deltas emitted so far */
    int n_events;    /* events emitted (varies obfuscation/timestamps) */
    int seq;         /* Responses API sequence_number */
    int text_index;  /* Anthropic: the content block index of the answer text */
    Buf sent;        /* the answer text sent so far (Responses *.done events repeat it) */
    bool length;     /* finish because of the token limit */
    bool oom;
} Gen;

/* ---- script building ---------------------------------------------------- */

static void step_add(Gen *g, FakeStepKind kind, const char *bytes, size_t len, int delay_ms)
{
    FakeScript *s = g->s;
    if (g->oom)
        return;
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        FakeStep *p = realloc(s->steps, cap * sizeof *p);
        if (!p) {
            g->oom = true;
            return;
        }
        s->steps = p;
        s->cap = cap;
    }
    FakeStep st = { .kind = kind, .len = len, .delay_ms = delay_ms };
    if (bytes) {
        st.bytes = malloc(len + 1);
        if (!st.bytes) {
            g->oom = true;
            return;
        }
        memcpy(st.bytes, bytes, len);
        st.bytes[len] = '\0';
    }
    s->steps[s->n++] = st;
}

/* Moves what was built in g->out into a REPEAT step sent count times. */
static void repeat_out(Gen *g, long count, int interval_us)
{
    step_add(g, FAKE_STEP_REPEAT, g->out.data, g->out.len, 0);
    if (!g->oom) {
        g->s->steps[g->s->n - 1].count = count;
        g->s->steps[g->s->n - 1].interval_us = interval_us;
    }
    buf_reset(&g->out);
}

/* Moves what was built in g->out into a DATA step. */
static void flush(Gen *g, int delay_ms)
{
    if (g->out.len)
        step_add(g, FAKE_STEP_DATA, g->out.data, g->out.len, delay_ms);
    buf_reset(&g->out);
}

static void put(Gen *g, const char *s)
{
    if (buf_puts(&g->out, s) < 0)
        g->oom = true;
}

static void putf(Gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(Gen *g, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (buf_vprintf(&g->out, fmt, ap) < 0)
        g->oom = true;
    va_end(ap);
}

/* A JSON string literal; bytes >= 0x80 go through untouched (even invalid UTF-8). */
static void json_str(Buf *b, const char *s, size_t n)
{
    buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        buf_append(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            char e[2] = { '\\', (char)c };
            buf_append(b, e, 2);
        } else if (c == '\n') {
            buf_append(b, "\\n", 2);
        } else {
            buf_printf(b, "\\u%04x", c);
        }
    }
    buf_append(b, s + run, n - run);
    buf_append(b, "\"", 1);
}

static void put_str(Gen *g, const char *s, size_t n) { json_str(&g->out, s, n); }

/* Reasoning tokens reported: FAKEPROV_REASONING_TOKENS when it was asked for. */
static int reasoning_tokens(const Gen *g) { return g->rq->reasoning ? FAKEPROV_REASONING_TOKENS : 0; }

/* An SSE event: optional event name, one data line, blank line. */
static void sse_begin(Gen *g, const char *event)
{
    if (event)
        putf(g, "event: %s%s", event, g->eol);
    put(g, "data: ");
}
static void sse_end(Gen *g) { putf(g, "%s%s", g->eol, g->eol); }

static void sse_comment(Gen *g, const char *text) { putf(g, ":%s%s%s", text, g->eol, g->eol); }

/* ---- OpenAI chat completions (and the llama-server flavour) ------------- */

static const char *const OBFUSCATION[] = { "WuQNX", "fjE24R0", "qAlxZ", "Kpm8omvXB", "IPio8PDe", "t9" };

static void oa_chunk_open(Gen *g)
{
    if (g->sc->llama)
        return; /* llama-server puts "choices" first */
    put(g, "{\"id\":\"chatcmpl-fake0001\",\"object\":\"chat.completion.chunk\",\"created\":1755137921,\"model\":");
    put_str(g, g->rq->model, strlen(g->rq->model));
    put(g, ",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_fake0001\",");
}

static void llama_timings(Gen *g)
{
    putf(g, ",\"timings\":{\"cache_n\":0,\"prompt_n\":%d,\"prompt_ms\":41.2,\"prompt_per_token_ms\":2.747,"
            "\"prompt_per_second\":364.08,\"predicted_n\":%d,\"predicted_ms\":%.1f,"
            "\"predicted_per_token_ms\":15.0,\"predicted_per_second\":66.67}",
         IN_LLAMA, g->n_out, g->n_out * 15.0);
}

/* Closes a chunk: usage_json is the usage object, "null", or NULL for none. */
static void oa_chunk_close(Gen *g, const char *usage_json, bool timings)
{
    if (g->sc->llama) {
        put(g, ",\"created\":1758541572,\"id\":\"chatcmpl-fakellama\",\"model\":");
        put_str(g, g->rq->model, strlen(g->rq->model));
        put(g, ",\"system_fingerprint\":\"b6000-fake0001\",\"object\":\"chat.completion.chunk\"");
        if (usage_json && strcmp(usage_json, "null") != 0)
            putf(g, ",\"usage\":%s", usage_json);
        if (timings)
            llama_timings(g);
        put(g, "}");
    } else {
        if (usage_json)
            putf(g, ",\"usage\":%s", usage_json);
        putf(g, ",\"obfuscation\":\"%s\"}",
             OBFUSCATION[g->n_events % (int)(sizeof OBFUSCATION / sizeof OBFUSCATION[0])]);
    }
    g->n_events++;
}

static void oa_choice(Gen *g, const char *delta_json, const char *finish)
{
    char fin[32];
    if (finish)
        snprintf(fin, sizeof fin, "\"%s\"", finish);
    else
        snprintf(fin, sizeof fin, "null");
    if (g->sc->llama)
        putf(g, "{\"choices\":[{\"finish_reason\":%s,\"index\":0,\"delta\":%s}]", fin, delta_json);
    else
        putf(g, "\"choices\":[{\"index\":0,\"delta\":%s,\"logprobs\":null,\"finish_reason\":%s}]",
             delta_json, fin);
}

static const char *oa_null_usage(Gen *g) { return g->rq->include_usage ? "null" : NULL; }

static void oa_start(Gen *g)
{
    sse_begin(g, NULL);
    oa_chunk_open(g);
    oa_choice(g, g->sc->llama ? "{\"role\":\"assistant\",\"content\":null}"
                              : "{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null}",
              NULL);
    oa_chunk_close(g, oa_null_usage(g), false);
    sse_end(g);
    /* llama-server streams reasoning as reasoning_content; OpenAI's chat API
     * streams none (it only counts it) */
    for (int i = 0; g->rq->reasoning && g->sc->llama && i < FAKEPROV_REASONING_DELTAS; i++) {
        Buf d = { 0 };
        buf_puts(&d, "{\"reasoning_content\":");
        json_str(&d, REASONING[i], strlen(REASONING[i]));
        buf_puts(&d, "}");
        sse_begin(g, NULL);
        oa_chunk_open(g);
        oa_choice(g, buf_str(&d), NULL);
        oa_chunk_close(g, oa_null_usage(g), false);
        sse_end(g);
        buf_free(&d);
    }
}

static void oa_delta(Gen *g, const char *text, size_t len, bool last)
{
    (void)last;
    Buf d = { 0 };
    buf_puts(&d, "{\"content\":");
    json_str(&d, text, len);
    buf_puts(&d, "}");
    sse_begin(g, NULL);
    oa_chunk_open(g);
    oa_choice(g, buf_str(&d), NULL);
    oa_chunk_close(g, oa_null_usage(g), false);
    sse_end(g);
    buf_free(&d);
}

static void oa_finish(Gen *g)
{
    bool usage = g->rq->include_usage && g->sc->kind != FAKE_NO_USAGE;
    sse_begin(g, NULL);
    oa_chunk_open(g);
    oa_choice(g, "{}", g->length ? "length" : "stop");
    oa_chunk_close(g, oa_null_usage(g), g->sc->llama && !usage);
    sse_end(g);
    if (usage) {
        char u[512];
        int in = g->sc->llama ? IN_LLAMA : IN_OPENAI;
        int out = g->n_out + reasoning_tokens(g);
        if (g->sc->llama)
            snprintf(u, sizeof u, "{\"completion_tokens\":%d,\"prompt_tokens\":%d,\"total_tokens\":%d}",
                     out, in, in + out);
        else
            snprintf(u, sizeof u,
                     "{\"prompt_tokens\":%d,\"completion_tokens\":%d,\"total_tokens\":%d,"
                     "\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
                     "\"completion_tokens_details\":{\"reasoning_tokens\":%d,\"audio_tokens\":0,"
                     "\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}",
                     in, out, in + out, reasoning_tokens(g));
        sse_begin(g, NULL);
        if (g->sc->llama) {
            put(g, "{\"choices\":[]");
        } else {
            oa_chunk_open(g);
            put(g, "\"choices\":[]");
        }
        oa_chunk_close(g, u, g->sc->llama);
        sse_end(g);
    }
    sse_begin(g, NULL);
    put(g, "[DONE]");
    sse_end(g);
}

static void oa_error_event(Gen *g)
{
    sse_begin(g, NULL);
    if (g->sc->llama)
        put(g, "{\"error\":{\"code\":500,\"message\":\"llama_decode failed: the KV cache is full\","
               "\"type\":\"server_error\"}}");
    else
        put(g, "{\"error\": {\"message\": \"The server had an error while processing your request. "
               "Sorry about that!\", \"type\": \"server_error\"}}");
    sse_end(g);
    if (g->sc->llama) { /* llama-server follows the error with [DONE] */
        sse_begin(g, NULL);
        put(g, "[DONE]");
        sse_end(g);
    }
}

static void oa_bad_json(Gen *g)
{
    sse_begin(g, NULL);
    put(g, "{\"id\":\"chatcmpl-fake0001\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
           "\"delta\":{\"content\":\"oops\"");
    sse_end(g);
}

static void oa_comment(Gen *g)
{
    sse_comment(g, g->n_events % 2 ? " keep-alive" : " OPENROUTER PROCESSING");
    g->n_events++;
}

/* ---- Anthropic messages -------------------------------------------------- */

static void an_event(Gen *g, const char *name, const char *data)
{
    sse_begin(g, name);
    put(g, data);
    sse_end(g);
}

static void an_start(Gen *g)
{
    sse_begin(g, "message_start");
    put(g, "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_01FakeProviderMessage01\",\"type\":\"message\","
           "\"role\":\"assistant\",\"model\":");
    put_str(g, g->rq->model, strlen(g->rq->model));
    putf(g, ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":%d,"
            "\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"cache_creation\":"
            "{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":0},\"output_tokens\":1,"
            "\"service_tier\":\"standard\"}}}",
         IN_ANTHROPIC);
    sse_end(g);
    g->text_index = 0;
    if (g->rq->reasoning) {
        /* extended thinking: a thinking block with its signature, then one
         * redacted_thinking block, then the answer in block 2 */
        an_event(g, "content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":"
                                           "{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}");
        for (int i = 0; i < FAKEPROV_REASONING_DELTAS; i++) {
            sse_begin(g, "content_block_delta");
            put(g, "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":");
            put_str(g, REASONING[i], strlen(REASONING[i]));
            put(g, "}}");
            sse_end(g);
        }
        an_event(g, "content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                                           "\"signature_delta\",\"signature\":\"EqQBCgIYAhIMFakeSignature0001\"}}");
        an_event(g, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}");
        an_event(g, "content_block_start", "{\"type\":\"content_block_start\",\"index\":1,\"content_block\":"
                                           "{\"type\":\"redacted_thinking\",\"data\":\"EmwKAhgBEgyFakeRedacted01\"}}");
        an_event(g, "content_block_stop", "{\"type\":\"content_block_stop\",\"index\":1}");
        g->text_index = 2;
    }
    putf(g, "event: content_block_start%sdata: {\"type\":\"content_block_start\",\"index\":%d,"
            "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}%s%s", g->eol, g->text_index, g->eol, g->eol);
    an_event(g, "ping", "{\"type\": \"ping\"}");
}

static void an_delta(Gen *g, const char *text, size_t len, bool last)
{
    (void)last;
    sse_begin(g, "content_block_delta");
    putf(g, "{\"type\":\"content_block_delta\",\"index\":%d,\"delta\":{\"type\":\"text_delta\",\"text\":",
         g->text_index);
    put_str(g, text, len);
    put(g, "}}");
    sse_end(g);
}

static void an_finish(Gen *g)
{
    putf(g, "event: content_block_stop%sdata: {\"type\":\"content_block_stop\",\"index\":%d}%s%s", g->eol,
         g->text_index, g->eol, g->eol);
    sse_begin(g, "message_delta");
    putf(g, "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"%s\",\"stop_sequence\":null},"
            "\"usage\":{\"input_tokens\":%d,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,"
            "\"output_tokens\":%d",
         g->length ? "max_tokens" : "end_turn", IN_ANTHROPIC, g->n_out + reasoning_tokens(g));
    if (g->rq->reasoning)
        putf(g, ",\"output_tokens_details\":{\"thinking_tokens\":%d}", reasoning_tokens(g));
    put(g, "}}");
    sse_end(g);
    an_event(g, "message_stop", "{\"type\":\"message_stop\"}");
}

static void an_error_event(Gen *g)
{
    an_event(g, "error",
             "{\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}");
}

static void an_bad_json(Gen *g)
{
    an_event(g, "content_block_delta",
             "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"oops\"");
}

static void an_comment(Gen *g)
{
    an_event(g, "ping", "{\"type\": \"ping\"}");
    sse_comment(g, " keep-alive");
}

/* ---- Gemini streamGenerateContent?alt=sse -------------------------------- */

static void gm_usage(Gen *g, int candidates, bool with_candidates)
{
    int thoughts = reasoning_tokens(g);
    putf(g, ",\"usageMetadata\": {\"promptTokenCount\": %d,", IN_GEMINI);
    if (with_candidates)
        putf(g, "\"candidatesTokenCount\": %d,", candidates);
    putf(g, "\"totalTokenCount\": %d,\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": %d}]",
         IN_GEMINI + candidates + thoughts, IN_GEMINI);
    if (thoughts)
        putf(g, ",\"thoughtsTokenCount\": %d", thoughts);
    put(g, "}");
}

/* includeThoughts: the thought summary parts come first, "thought": true */
static void gm_start(Gen *g)
{
    for (int i = 0; g->rq->reasoning && i < FAKEPROV_REASONING_DELTAS; i++) {
        sse_begin(g, NULL);
        put(g, "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": ");
        put_str(g, REASONING[i], strlen(REASONING[i]));
        put(g, ",\"thought\": true}],\"role\": \"model\"},\"index\": 0}]");
        if (g->sc->kind != FAKE_NO_USAGE)
            gm_usage(g, 0, false);
        put(g, ",\"modelVersion\": ");
        put_str(g, g->rq->model, strlen(g->rq->model));
        put(g, ",\"responseId\": \"FakeProvResp0001\"}");
        sse_end(g);
    }
}

static void gm_delta(Gen *g, const char *text, size_t len, bool last)
{
    int n = g->n_out + 1; /* candidatesTokenCount is a running total including this one */
    sse_begin(g, NULL);
    put(g, "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": ");
    put_str(g, text, len);
    put(g, "}],\"role\": \"model\"},");
    if (last)
        putf(g, "\"finishReason\": \"%s\",", g->length ? "MAX_TOKENS" : "STOP");
    put(g, "\"index\": 0}]");
    if (g->sc->kind != FAKE_NO_USAGE)
        gm_usage(g, n, true);
    put(g, ",\"modelVersion\": ");
    put_str(g, g->rq->model, strlen(g->rq->model));
    put(g, ",\"responseId\": \"FakeProvResp0001\"}");
    sse_end(g);
}

static void gm_finish(Gen *g) { (void)g; /* finishReason rode on the last delta; then EOF */ }

static void gm_error_event(Gen *g)
{
    sse_begin(g, NULL);
    put(g, "{\"error\": {\"code\": 503, \"message\": \"The model is overloaded. Please try again later.\", "
           "\"status\": \"UNAVAILABLE\"}}");
    sse_end(g);
}

static void gm_bad_json(Gen *g)
{
    sse_begin(g, NULL);
    put(g, "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"oops\"");
    sse_end(g);
}

static void gm_comment(Gen *g) { sse_comment(g, " keep-alive"); }

/* ---- Ollama /api/chat NDJSON --------------------------------------------- */

static void ol_line_open(Gen *g)
{
    put(g, "{\"model\":");
    put_str(g, g->rq->model, strlen(g->rq->model));
    putf(g, ",\"created_at\":\"2026-03-20T18:32:37.%06dZ\",", 255986 + 41000 * g->n_events);
    g->n_events++;
}

/* think: the thinking streams first, one part per line */
static void ol_start(Gen *g)
{
    for (int i = 0; g->rq->reasoning && i < FAKEPROV_REASONING_DELTAS; i++) {
        ol_line_open(g);
        put(g, "\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":");
        put_str(g, REASONING[i], strlen(REASONING[i]));
        put(g, "},\"done\":false}\n");
    }
}

static void ol_delta(Gen *g, const char *text, size_t len, bool last)
{
    (void)last;
    ol_line_open(g);
    put(g, "\"message\":{\"role\":\"assistant\",\"content\":");
    put_str(g, text, len);
    put(g, "},\"done\":false}\n");
}

static void ol_finish(Gen *g)
{
    ol_line_open(g);
    putf(g, "\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"%s\","
            "\"total_duration\":2203237375,\"load_duration\":336223209,\"prompt_eval_count\":%d,"
            "\"prompt_eval_duration\":355000000,\"eval_count\":%d,\"eval_duration\":151100000}\n",
         g->length ? "length" : "stop", IN_OLLAMA, g->n_out + reasoning_tokens(g));
}

static void ol_error_event(Gen *g) { put(g, "{\"error\":\"an error was encountered while running the model\"}\n"); }

static void ol_bad_json(Gen *g)
{
    ol_line_open(g);
    put(g, "\"message\":{\"role\":\"assistant\",\"content\":\"oops\"\n");
}

static void ol_comment(Gen *g) { (void)g; /* NDJSON has no comments */ }

/* ---- OpenAI Responses API ------------------------------------------------ */

/* "event: TYPE" + data {"type":TYPE,"sequence_number":N, then the caller's
 * fields, then rs_close}. */
static void rs_open(Gen *g, const char *type)
{
    sse_begin(g, type);
    putf(g, "{\"type\":\"%s\",\"sequence_number\":%d", type, g->seq++);
}

static void rs_close(Gen *g)
{
    put(g, "}");
    sse_end(g);
}

/* The response object of created/in_progress (usage null) or of the end. */
static void rs_response(Gen *g, const char *status, bool end)
{
    putf(g, ",\"response\":{\"id\":\"resp_fake0001\",\"object\":\"response\",\"created_at\":1761565462,"
            "\"status\":\"%s\",\"error\":null,\"incomplete_details\":",
         status);
    put(g, end && g->length ? "{\"reason\":\"max_output_tokens\"}" : "null");
    put(g, ",\"model\":");
    put_str(g, g->rq->model, strlen(g->rq->model));
    put(g, ",\"output\":[],");
    if (g->rq->reasoning)
        put(g, "\"reasoning\":{\"effort\":\"high\",\"summary\":\"auto\"},");
    if (end) {
        int rt = reasoning_tokens(g), out = g->n_out + rt;
        putf(g, "\"usage\":{\"input_tokens\":%d,\"input_tokens_details\":{\"cached_tokens\":0},"
                "\"output_tokens\":%d,\"output_tokens_details\":{\"reasoning_tokens\":%d},\"total_tokens\":%d}}",
             IN_RESPONSES, out, rt, IN_RESPONSES + out);
    } else {
        put(g, "\"usage\":null}");
    }
}

static int rs_message_index(const Gen *g) { return g->rq->reasoning ? 1 : 0; }

static void rs_text_part(Gen *g, const char *key)
{
    putf(g, ",\"%s\":{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":", key);
    put_str(g, buf_str(&g->sent), g->sent.len);
    put(g, "}");
}

static void rs_start(Gen *g)
{
    rs_open(g, "response.created");
    rs_response(g, "in_progress", false);
    rs_close(g);
    rs_open(g, "response.in_progress");
    rs_response(g, "in_progress", false);
    rs_close(g);
    if (g->rq->reasoning) {
        /* a reasoning item whose summary streams before the message */
        rs_open(g, "response.output_item.added");
        put(g, ",\"output_index\":0,\"item\":{\"id\":\"rs_fake0001\",\"type\":\"reasoning\",\"summary\":[]}");
        rs_close(g);
        rs_open(g, "response.reasoning_summary_part.added");
        put(g, ",\"item_id\":\"rs_fake0001\",\"output_index\":0,\"summary_index\":0,"
               "\"part\":{\"type\":\"summary_text\",\"text\":\"\"}");
        rs_close(g);
        for (int i = 0; i < FAKEPROV_REASONING_DELTAS; i++) {
            rs_open(g, "response.reasoning_summary_text.delta");
            put(g, ",\"item_id\":\"rs_fake0001\",\"output_index\":0,\"summary_index\":0,\"delta\":");
            put_str(g, REASONING[i], strlen(REASONING[i]));
            put(g, ",\"obfuscation\":\"Fk9\"");
            rs_close(g);
        }
        rs_open(g, "response.reasoning_summary_text.done");
        put(g, ",\"item_id\":\"rs_fake0001\",\"output_index\":0,\"summary_index\":0,\"text\":\""
               FAKEPROV_REASONING_TEXT "\"");
        rs_close(g);
        rs_open(g, "response.reasoning_summary_part.done");
        put(g, ",\"item_id\":\"rs_fake0001\",\"output_index\":0,\"summary_index\":0,"
               "\"part\":{\"type\":\"summary_text\",\"text\":\"" FAKEPROV_REASONING_TEXT "\"}");
        rs_close(g);
        rs_open(g, "response.output_item.done");
        put(g, ",\"output_index\":0,\"item\":{\"id\":\"rs_fake0001\",\"type\":\"reasoning\",\"summary\":"
               "[{\"type\":\"summary_text\",\"text\":\"" FAKEPROV_REASONING_TEXT "\"}]}");
        rs_close(g);
    }
    rs_open(g, "response.output_item.added");
    putf(g, ",\"output_index\":%d,\"item\":{\"id\":\"msg_fake0001\",\"type\":\"message\",\"status\":\"in_progress\","
            "\"content\":[],\"role\":\"assistant\"}",
         rs_message_index(g));
    rs_close(g);
    rs_open(g, "response.content_part.added");
    putf(g, ",\"item_id\":\"msg_fake0001\",\"output_index\":%d,\"content_index\":0", rs_message_index(g));
    rs_text_part(g, "part");
    rs_close(g);
}

static void rs_delta(Gen *g, const char *text, size_t len, bool last)
{
    (void)last;
    rs_open(g, "response.output_text.delta");
    putf(g, ",\"item_id\":\"msg_fake0001\",\"output_index\":%d,\"content_index\":0,\"delta\":", rs_message_index(g));
    put_str(g, text, len);
    putf(g, ",\"logprobs\":[],\"obfuscation\":\"%s\"",
         OBFUSCATION[g->seq % (int)(sizeof OBFUSCATION / sizeof OBFUSCATION[0])]);
    rs_close(g);
    if (buf_append(&g->sent, text, len) < 0)
        g->oom = true;
}

static void rs_finish(Gen *g)
{
    int idx = rs_message_index(g);
    rs_open(g, "response.output_text.done");
    putf(g, ",\"item_id\":\"msg_fake0001\",\"output_index\":%d,\"content_index\":0,\"text\":", idx);
    put_str(g, buf_str(&g->sent), g->sent.len);
    put(g, ",\"logprobs\":[]");
    rs_close(g);
    rs_open(g, "response.content_part.done");
    putf(g, ",\"item_id\":\"msg_fake0001\",\"output_index\":%d,\"content_index\":0", idx);
    rs_text_part(g, "part");
    rs_close(g);
    rs_open(g, "response.output_item.done");
    putf(g, ",\"output_index\":%d,\"item\":{\"id\":\"msg_fake0001\",\"type\":\"message\",\"status\":\"%s\","
            "\"content\":[{\"type\":\"output_text\",\"annotations\":[],\"logprobs\":[],\"text\":",
         idx, g->length ? "incomplete" : "completed");
    put_str(g, buf_str(&g->sent), g->sent.len);
    put(g, "}],\"role\":\"assistant\"}");
    rs_close(g);
    rs_open(g, g->length ? "response.incomplete" : "response.completed");
    rs_response(g, g->length ? "incomplete" : "completed", true);
    rs_close(g);
}

static void rs_error_event(Gen *g)
{
    rs_open(g, "error");
    put(g, ",\"error\":{\"type\":\"server_error\",\"code\":\"server_error\",\"message\":\"The server had an error "
           "while processing your request. Sorry about that!\",\"param\":null}");
    rs_close(g);
    rs_open(g, "response.failed");
    put(g, ",\"response\":{\"id\":\"resp_fake0001\",\"object\":\"response\",\"status\":\"failed\",\"error\":"
           "{\"code\":\"server_error\",\"message\":\"The server had an error while processing your request.\"},"
           "\"output\":[],\"usage\":null}");
    rs_close(g);
}

static void rs_bad_json(Gen *g)
{
    sse_begin(g, "response.output_text.delta");
    put(g, "{\"type\":\"response.output_text.delta\",\"sequence_number\":99,\"delta\":\"oops\"");
    sse_end(g);
}

static void rs_comment(Gen *g) { sse_comment(g, " keep-alive"); }

/* ---- the table ------------------------------------------------------------ */

typedef struct WireOps {
    const char *content_type;
    const char *extra_headers; /* CRLF-terminated lines */
    bool sse;
    bool eof;                  /* the body ends at connection close (Gemini) */
    void (*start)(Gen *g);
    void (*delta)(Gen *g, const char *text, size_t len, bool last);
    void (*finish)(Gen *g);
    void (*error_event)(Gen *g);
    void (*bad_json)(Gen *g);
    void (*comment)(Gen *g);
} WireOps;

static const WireOps WIRES[FAKE_ROUTE_COUNT] = {
    [FAKE_ROUTE_OPENAI] = {
        .content_type = "text/event-stream; charset=utf-8",
        .extra_headers = "openai-version: 2020-10-01\r\nopenai-processing-ms: 5\r\nx-request-id: req_fake0001\r\n",
        .sse = true, .start = oa_start, .delta = oa_delta, .finish = oa_finish,
        .error_event = oa_error_event, .bad_json = oa_bad_json, .comment = oa_comment },
    [FAKE_ROUTE_RESPONSES] = {
        .content_type = "text/event-stream; charset=utf-8",
        .extra_headers = "openai-version: 2020-10-01\r\nopenai-processing-ms: 5\r\nx-request-id: req_fake0002\r\n",
        .sse = true, .start = rs_start, .delta = rs_delta, .finish = rs_finish,
        .error_event = rs_error_event, .bad_json = rs_bad_json, .comment = rs_comment },
    [FAKE_ROUTE_ANTHROPIC] = {
        .content_type = "text/event-stream; charset=utf-8",
        .extra_headers = "request-id: req_011CFakeProv0001\r\nanthropic-ratelimit-requests-remaining: 49\r\n",
        .sse = true, .start = an_start, .delta = an_delta, .finish = an_finish,
        .error_event = an_error_event, .bad_json = an_bad_json, .comment = an_comment },
    [FAKE_ROUTE_GEMINI] = {
        .content_type = "text/event-stream",
        .extra_headers = "server: scaffolding on HTTPServer2\r\n",
        .sse = true, .eof = true, .start = gm_start, .delta = gm_delta, .finish = gm_finish,
        .error_event = gm_error_event, .bad_json = gm_bad_json, .comment = gm_comment },
    [FAKE_ROUTE_OLLAMA] = {
        .content_type = "application/x-ndjson",
        .extra_headers = "",
        .sse = false, .start = ol_start, .delta = ol_delta, .finish = ol_finish,
        .error_event = ol_error_event, .bad_json = ol_bad_json, .comment = ol_comment },
};

/* ---- HTTP heads and error bodies ------------------------------------------ */

static const char *reason_phrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 402: return "Payment Required";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 529: return "Site Overloaded";
    default: return status >= 500 ? "Server Error" : "Client Error";
    }
}

static void add_head(Gen *g, int status, const char *ctype, FakeFraming framing, size_t content_length,
                     const FakeScenario *sc, int delay_ms)
{
    Buf h = { 0 };
    const WireOps *w = &WIRES[g->rq->route < FAKE_ROUTE_OTHER ? g->rq->route : FAKE_ROUTE_OPENAI];
    buf_printf(&h, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n", status, reason_phrase(status), ctype);
    if (framing == FAKE_FRAMING_LENGTH)
        buf_printf(&h, "Content-Length: %zu\r\n", content_length);
    else if (framing == FAKE_FRAMING_CHUNKED)
        buf_puts(&h, "Transfer-Encoding: chunked\r\n");
    else
        buf_puts(&h, "Connection: close\r\n");
    if (framing != FAKE_FRAMING_LENGTH)
        buf_puts(&h, "Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n");
    if (sc && sc->retry_after_s >= 0)
        buf_printf(&h, "retry-after: %ld\r\n", sc->retry_after_s);
    if (sc && sc->retry_after_ms >= 0)
        buf_printf(&h, "retry-after-ms: %ld\r\n", sc->retry_after_ms);
    buf_puts(&h, w->extra_headers);
    buf_puts(&h, "\r\n");
    if (!h.data)
        g->oom = true;
    else
        step_add(g, FAKE_STEP_HEAD, h.data, h.len, delay_ms);
    buf_free(&h);
}

static const char CLOUDFLARE_502[] =
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n";

typedef struct ErrText {
    const char *type; /* provider's type / status / code */
    const char *msg;
} ErrText;

static ErrText openai_err(int status, const char **code)
{
    *code = NULL;
    switch (status) {
    case 400: return (ErrText){ "invalid_request_error", "Invalid request." };
    case 401:
        *code = "invalid_api_key";
        return (ErrText){ "invalid_request_error",
                          "Incorrect API key provided: sk-abc***xyz. You can find your API key at "
                          "https://platform.openai.com/account/api-keys." };
    case 403:
        *code = "unsupported_country_region_territory";
        return (ErrText){ "request_forbidden", "Country, region, or territory not supported" };
    case 404:
        *code = "model_not_found";
        return (ErrText){ "invalid_request_error", "The model `%s` does not exist or you do not have access to it." };
    case 408: return (ErrText){ "timeout", "Request timed out." };
    case 413: return (ErrText){ "invalid_request_error", "Request too large." };
    case 429:
        *code = "rate_limit_exceeded";
        return (ErrText){ "tokens", "Rate limit reached for %s in organization org-fake on tokens per min (TPM): "
                                    "Limit 30000, Used 14567, Requested 24754. Please try again in 1s. Visit "
                                    "https://platform.openai.com/account/rate-limits to learn more." };
    case 503: return (ErrText){ "server_error", "The engine is currently overloaded, please try again later" };
    default:
        if (status >= 500)
            return (ErrText){ "server_error", "The server had an error while processing your request. Sorry about that!" };
        return (ErrText){ "invalid_request_error", "The request was rejected." };
    }
}

static ErrText llama_err(int status)
{
    switch (status) {
    case 401: return (ErrText){ "authentication_error", "Invalid API Key" };
    case 403: return (ErrText){ "permission_error", "Forbidden" };
    case 404: return (ErrText){ "not_found_error", "model '%s' not found" };
    case 501: return (ErrText){ "not_supported_error", "This server does not support this feature" };
    case 503: return (ErrText){ "unavailable_error", "Loading model" };
    default:
        if (status >= 500)
            return (ErrText){ "server_error", "llama_decode failed" };
        return (ErrText){ "invalid_request_error", "Invalid request" };
    }
}

static ErrText anthropic_err(int status)
{
    switch (status) {
    case 400: return (ErrText){ "invalid_request_error", "Invalid request." };
    case 401: return (ErrText){ "authentication_error", "invalid x-api-key" };
    case 402: return (ErrText){ "billing_error", "Your credit balance is too low to access the Anthropic API." };
    case 403: return (ErrText){ "permission_error", "Your API key does not have permission to use the specified resource." };
    case 404: return (ErrText){ "not_found_error", "model: %s" };
    case 413: return (ErrText){ "request_too_large", "Request exceeds the maximum allowed number of bytes." };
    case 429: return (ErrText){ "rate_limit_error", "This request would exceed the rate limit for your organization "
                                                     "(fake) of 20,000 input tokens per minute." };
    case 504: return (ErrText){ "timeout_error", "Request timed out." };
    case 408: return (ErrText){ "timeout_error", "Request timed out." };
    case 529: return (ErrText){ "overloaded_error", "Overloaded" };
    default:
        if (status >= 500)
            return (ErrText){ "api_error", "Internal server error" };
        return (ErrText){ "invalid_request_error", "The request was rejected." };
    }
}

static ErrText gemini_err(int status)
{
    switch (status) {
    case 400: return (ErrText){ "INVALID_ARGUMENT", "Request contains an invalid argument." };
    case 401: return (ErrText){ "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 "
                                                    "access token, login cookie or other valid authentication credential." };
    case 403: return (ErrText){ "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without "
                                                      "established identity). Please use API Key or other form of API "
                                                      "consumer identity to call this API." };
    case 404: return (ErrText){ "NOT_FOUND", "models/%s is not found for API version v1beta, or is not supported for "
                                              "generateContent. Call ListModels to see the list of available models and "
                                              "their supported methods." };
    case 408: return (ErrText){ "DEADLINE_EXCEEDED", "Request timed out." };
    case 413: return (ErrText){ "INVALID_ARGUMENT", "Request payload size exceeds the limit: 20971520 bytes." };
    case 429: return (ErrText){ "RESOURCE_EXHAUSTED", "You exceeded your current quota, please check your plan and "
                                                       "billing details. Please retry in %s." };
    case 500: return (ErrText){ "INTERNAL", "An internal error has occurred. Please retry or report in "
                                             "https://developers.generativeai.google/guide/troubleshooting" };
    case 503: return (ErrText){ "UNAVAILABLE", "The model is overloaded. Please try again later." };
    case 504: return (ErrText){ "DEADLINE_EXCEEDED", "Deadline expired before operation could complete." };
    default:
        if (status >= 500)
            return (ErrText){ "INTERNAL", "An internal error has occurred." };
        return (ErrText){ "FAILED_PRECONDITION", "The request was rejected." };
    }
}

static const char *ollama_err(int status)
{
    switch (status) {
    case 400: return "invalid request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "model \"%s\" not found, try pulling it first";
    case 429: return "server busy, please try again.  maximum pending requests exceeded";
    case 503: return "server overloaded, please retry shortly";
    default:
        return status >= 500 ? "llama runner process has terminated: exit status 2" : "the request was rejected";
    }
}

/* The message with at most one %s replaced by arg (the text is ours, never the user's format). */
static void fill_msg(Buf *b, const char *fmt, const char *arg)
{
    const char *p = strstr(fmt, "%s");
    if (!p) {
        buf_puts(b, fmt);
        return;
    }
    buf_append(b, fmt, (size_t)(p - fmt));
    buf_puts(b, arg);
    buf_puts(b, p + 2);
}

/* The provider's error body for status; message (when non-NULL) replaces the stock text. */
static void error_body(Gen *g, int status, const char *message, bool bad_key, Buf *body, const char **ctype)
{
    const char *model = g->rq->model;
    const FakeScenario *sc = g->sc;
    Buf msg = { 0 };
    *ctype = "application/json";
    if (status == 502 && !message) {
        *ctype = "text/html";
        buf_puts(body, CLOUDFLARE_502);
        return;
    }
    switch (g->rq->route) {
    case FAKE_ROUTE_OPENAI:
    case FAKE_ROUTE_RESPONSES:
    case FAKE_ROUTE_OTHER:
        if (sc && sc->llama) {
            ErrText e = llama_err(status);
            fill_msg(&msg, message ? message : e.msg, model);
            buf_printf(body, "{\"error\":{\"code\":%d,\"message\":", status);
            json_str(body, msg.data, msg.len);
            buf_puts(body, ",\"type\":");
            json_str(body, e.type, strlen(e.type));
            buf_puts(body, "}}");
        } else {
            const char *code = NULL;
            ErrText e = openai_err(status, &code);
            if (message)
                code = NULL;
            fill_msg(&msg, message ? message : e.msg, model);
            buf_puts(body, "{\n    \"error\": {\n        \"message\": ");
            json_str(body, msg.data, msg.len);
            buf_puts(body, ",\n        \"type\": ");
            json_str(body, e.type, strlen(e.type));
            buf_puts(body, ",\n        \"param\": null,\n        \"code\": ");
            if (code)
                json_str(body, code, strlen(code));
            else
                buf_puts(body, "null");
            buf_puts(body, "\n    }\n}\n");
        }
        break;
    case FAKE_ROUTE_ANTHROPIC: {
        ErrText e = anthropic_err(status);
        fill_msg(&msg, message ? message : e.msg, model);
        buf_puts(body, "{\"type\":\"error\",\"error\":{\"type\":");
        json_str(body, e.type, strlen(e.type));
        buf_puts(body, ",\"message\":");
        json_str(body, msg.data, msg.len);
        buf_puts(body, "},\"request_id\":\"req_011CFakeProv0001\"}");
        break;
    }
    case FAKE_ROUTE_GEMINI: {
        ErrText e = gemini_err(status);
        char delay[32];
        if (sc && sc->retry_after_ms >= 0)
            snprintf(delay, sizeof delay, "%ld.%03lds", sc->retry_after_ms / 1000, sc->retry_after_ms % 1000);
        else if (sc && sc->retry_after_s >= 0)
            snprintf(delay, sizeof delay, "%lds", sc->retry_after_s);
        else
            snprintf(delay, sizeof delay, "a moment");
        if (bad_key) {
            e.type = "INVALID_ARGUMENT";
            e.msg = "API key not valid. Please pass a valid API key.";
        }
        fill_msg(&msg, message ? message : e.msg, status == 429 ? delay : model);
        buf_printf(body, "{\n  \"error\": {\n    \"code\": %d,\n    \"message\": ", status);
        json_str(body, msg.data, msg.len);
        buf_puts(body, ",\n    \"status\": ");
        json_str(body, e.type, strlen(e.type));
        if (bad_key) {
            buf_puts(body, ",\n    \"details\": [\n      {\n        \"@type\": \"type.googleapis.com/google.rpc.ErrorInfo\",\n"
                           "        \"reason\": \"API_KEY_INVALID\",\n        \"domain\": \"googleapis.com\",\n"
                           "        \"metadata\": {\n          \"service\": \"generativelanguage.googleapis.com\"\n"
                           "        }\n      }\n    ]");
        } else if (status == 429) {
            buf_puts(body, ",\n    \"details\": [\n      {\n        \"@type\": \"type.googleapis.com/google.rpc.QuotaFailure\",\n"
                           "        \"violations\": [\n          {\n            \"quotaMetric\": "
                           "\"generativelanguage.googleapis.com/generate_content_free_tier_requests\",\n"
                           "            \"quotaId\": \"GenerateRequestsPerMinutePerProjectPerModel-FreeTier\",\n"
                           "            \"quotaValue\": \"10\"\n          }\n        ]\n      }");
            if (sc && (sc->retry_after_s >= 0 || sc->retry_after_ms >= 0))
                buf_printf(body, ",\n      {\n        \"@type\": \"type.googleapis.com/google.rpc.RetryInfo\",\n"
                                 "        \"retryDelay\": \"%s\"\n      }", delay);
            buf_puts(body, "\n    ]");
        }
        buf_puts(body, "\n  }\n}\n");
        break;
    }
    case FAKE_ROUTE_OLLAMA:
        fill_msg(&msg, message ? message : ollama_err(status), model);
        buf_puts(body, "{\"error\":");
        json_str(body, msg.data, msg.len);
        buf_puts(body, "}");
        break;
    case FAKE_ROUTE_COUNT:
        break;
    }
    buf_free(&msg);
}

static void build_error_response(Gen *g, int status, const char *message, bool bad_key)
{
    Buf body = { 0 };
    const char *ctype = "application/json";
    error_body(g, status, message, bad_key, &body, &ctype);
    g->s->framing = FAKE_FRAMING_LENGTH;
    add_head(g, status, ctype, FAKE_FRAMING_LENGTH, body.len, g->sc, g->sc ? g->sc->wait_ms : 0);
    step_add(g, FAKE_STEP_DATA, buf_str(&body), body.len, 0);
    step_add(g, FAKE_STEP_END, NULL, 0, 0);
    if (!body.data && body.len)
        g->oom = true;
    buf_free(&body);
}

static int bad_key_status(FakeRoute route) { return route == FAKE_ROUTE_GEMINI ? 400 : 401; }

/* ---- the streaming driver ------------------------------------------------- */

static void build_stream(Gen *g, const WireOps *w)
{
    const FakeScenario *sc = g->sc;
    FakeKind k = sc->kind;
    g->s->framing = (w->eof || sc->eof) ? FAKE_FRAMING_EOF : FAKE_FRAMING_CHUNKED;
    g->s->chunk = sc->chunk;
    g->s->odd = sc->odd;
    g->s->gap_us = sc->gap_us;
    g->length = k == FAKE_LENGTH;

    add_head(g, 200, w->content_type, g->s->framing, 0, NULL, sc->wait_ms);
    if (k == FAKE_RESET_AFTER_HEADERS) {
        step_add(g, FAKE_STEP_RESET, NULL, 0, 0);
        return;
    }
    if (k == FAKE_ERROR_ONLY) {
        w->error_event(g);
        flush(g, sc->ttft_ms >= 0 ? sc->ttft_ms : sc->delta_ms);
        step_add(g, FAKE_STEP_END, NULL, 0, 0);
        return;
    }
    if (k == FAKE_REPLAY) {
        step_add(g, FAKE_STEP_DATA, g->rq->replay ? g->rq->replay : "", g->rq->replay_len,
                 sc->ttft_ms >= 0 ? sc->ttft_ms : sc->delta_ms);
        step_add(g, FAKE_STEP_END, NULL, 0, 0);
        return;
    }
    if (k == FAKE_COMMENTS)
        w->comment(g);
    w->start(g);
    flush(g, 0);

    if (k == FAKE_LONG) {
        /* A long reply at a fixed rate (load tests): one first delta, the
         * middle ones as one repeated event, the last one ending the reply. */
        long n_long = sc->n_deltas;
        w->delta(g, "Tok", 3, false);
        g->n_out++;
        flush(g, sc->ttft_ms >= 0 ? sc->ttft_ms : 0);
        w->delta(g, " tok", 4, false);
        g->n_out += (int)(n_long - 2);
        repeat_out(g, n_long - 2, sc->delta_us);
        w->delta(g, ".", 1, true);
        g->n_out++;
        flush(g, 0);
        w->finish(g);
        flush(g, 0);
        step_add(g, FAKE_STEP_END, NULL, 0, 0);
        return;
    }
    if (k == FAKE_ECHO || k == FAKE_FILE || k == FAKE_HISTORY) {
        /* the given text in deltas of at most 6 bytes, cut between characters */
        const char *t = g->rq->text ? g->rq->text : "";
        size_t len = g->rq->text_len, pos = 0;
        bool first = true;
        while (pos < len && !g->oom) {
            size_t end = pos + 6 < len ? pos + 6 : len;
            while (end < len && end > pos + 1 && ((unsigned char)t[end] & 0xC0) == 0x80)
                end--;
            w->delta(g, t + pos, end - pos, end == len);
            g->n_out++;
            flush(g, (first && sc->ttft_ms >= 0) ? sc->ttft_ms : sc->delta_ms);
            first = false;
            pos = end;
        }
        w->finish(g);
        flush(g, 0);
        step_add(g, FAKE_STEP_END, NULL, 0, 0);
        return;
    }
    const char *const *texts = HAPPY;
    size_t n = FAKEPROV_HAPPY_DELTAS;
    char *big = NULL;
    const char *big_texts[3];
    if (k == FAKE_BAD_UTF8) {
        texts = BAD_UTF8;
        n = sizeof BAD_UTF8 / sizeof BAD_UTF8[0];
    } else if (k == FAKE_BIG_EVENT) {
        big = malloc(sc->big_size + 1);
        if (!big) {
            g->oom = true;
            return;
        }
        for (size_t i = 0; i < sc->big_size; i++)
            big[i] = "0123456789abcdef"[i % 16];
        big[sc->big_size] = '\0';
        big_texts[0] = "Big:";
        big_texts[1] = big;
        big_texts[2] = "!";
        texts = big_texts;
        n = 3;
    }
    bool ends_normally = k == FAKE_HAPPY || k == FAKE_COMMENTS || k == FAKE_NO_USAGE || k == FAKE_LENGTH ||
                         k == FAKE_BAD_JSON || k == FAKE_BAD_UTF8 || k == FAKE_BIG_EVENT;
    for (size_t i = 0; i < n && !g->oom; i++) {
        int delay = (i == 0 && sc->ttft_ms >= 0) ? sc->ttft_ms : sc->delta_ms;
        if (i == 2) {
            if (k == FAKE_TRUNCATED) {
                step_add(g, FAKE_STEP_CLOSE, NULL, 0, delay);
                goto out;
            }
            if (k == FAKE_ERROR_EVENT) {
                w->error_event(g);
                flush(g, delay);
                step_add(g, FAKE_STEP_END, NULL, 0, 0);
                goto out;
            }
            if (k == FAKE_RESET_MID_STREAM) {
                w->delta(g, texts[i], strlen(texts[i]), false);
                size_t half = g->out.len / 2;
                step_add(g, FAKE_STEP_DATA, g->out.data, half, delay);
                buf_reset(&g->out);
                step_add(g, FAKE_STEP_RESET, NULL, 0, 0);
                goto out;
            }
            if (k == FAKE_NEVER_ENDS) {
                w->delta(g, ".", 1, false);
                step_add(g, FAKE_STEP_REPEAT, g->out.data, g->out.len, delay > 0 ? delay : 100);
                buf_reset(&g->out);
                goto out;
            }
            if (k == FAKE_BAD_JSON)
                w->bad_json(g);
        }
        size_t len = (k == FAKE_BIG_EVENT && i == 1) ? sc->big_size : strlen(texts[i]);
        w->delta(g, texts[i], len, ends_normally && i == n - 1);
        g->n_out++;
        if (k == FAKE_COMMENTS)
            w->comment(g);
        flush(g, delay);
    }
    w->finish(g);
    flush(g, 0);
    step_add(g, FAKE_STEP_END, NULL, 0, 0);
out:
    free(big);
}

static void gen_init(Gen *g, const FakeWireRequest *rq, const FakeScenario *sc, FakeScript *out)
{
    memset(out, 0, sizeof *out);
    memset(g, 0, sizeof *g);
    g->s = out;
    g->rq = rq;
    g->sc = sc;
    FakeEol eol = sc ? sc->eol : FAKE_EOL_DEFAULT;
    if (eol == FAKE_EOL_DEFAULT)
        eol = rq->route == FAKE_ROUTE_GEMINI ? FAKE_EOL_CRLF : FAKE_EOL_LF;
    g->eol = eol == FAKE_EOL_CRLF ? "\r\n" : eol == FAKE_EOL_CR ? "\r" : "\n";
}

static int gen_done(Gen *g)
{
    buf_free(&g->out);
    buf_free(&g->sent);
    if (g->oom) {
        fake_script_free(g->s);
        return -1;
    }
    return 0;
}

int fake_wire_build(const FakeWireRequest *rq, const FakeScenario *sc, FakeScript *out)
{
    Gen g;
    gen_init(&g, rq, sc, out);
    if (rq->route >= FAKE_ROUTE_OTHER) {
        build_error_response(&g, 404, "fake provider: no API at this path", false);
        return gen_done(&g);
    }
    switch (sc->kind) {
    case FAKE_STATUS:
        build_error_response(&g, sc->status, NULL, false);
        break;
    case FAKE_BAD_KEY:
        build_error_response(&g, bad_key_status(rq->route), NULL, true);
        break;
    case FAKE_RESET_BEFORE_HEADERS:
        step_add(&g, FAKE_STEP_RESET, NULL, 0, sc->wait_ms);
        break;
    case FAKE_ACCEPT_NO_ANSWER:
        step_add(&g, FAKE_STEP_HANG, NULL, 0, 0);
        break;
    default:
        build_stream(&g, &WIRES[rq->route]);
        break;
    }
    return gen_done(&g);
}

int fake_wire_build_error(const FakeWireRequest *rq, int status, const char *message, FakeScript *out)
{
    Gen g;
    gen_init(&g, rq, NULL, out);
    build_error_response(&g, status, message, false);
    return gen_done(&g);
}

void fake_script_free(FakeScript *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->steps[i].bytes);
    free(s->steps);
    memset(s, 0, sizeof *s);
}
