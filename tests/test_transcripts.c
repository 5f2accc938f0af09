/* test_transcripts.c — every wire transcript in tests/transcripts/, decoded
 * by its provider's decoder and checked against the expected result that
 * lives beside it as data (NAME.expect.json; tests/transcripts/README.md
 * gives the format). One generic test: each transcript is decoded whole,
 * byte by byte, split at every offset and in random pieces, and must give
 * the same events every time; then the text, reasoning, finish reason,
 * usage, timings, end marker and error are compared with the expectation.
 * Also here: hostile and odd streams that are not worth a file, and the
 * transcripts mangled at random (the decoder contract must hold). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testenv.h"
#include "util/buf.h"
#include "providers/provider.h"

/* ---- recording sink ---------------------------------------------------------- */

typedef struct Rec {
    Buf log; /* every event, canonical, for comparing chunkings */
    Buf text, reasoning, refusal;
    char refusal_reason[64], blocked_reason[64];
    int n_refusal, n_blocked, n_redacted;
    cJSON *tools; /* [{"id","name","arguments"(text)}] as they came */
    char finish[64];
    bool saw_finish;
    Usage usage; /* merged like Reply does */
    int n_usage, n_done, n_error, n_timings, n_after_final;
    char err_type[64], err_msg[512];
    bool err_type_null;
    int err_status;
    double prompt_tps, output_tps;
    long server_prompt_n, server_output_n;
} Rec;

static void rec_init(Rec *r)
{
    memset(r, 0, sizeof *r);
    r->tools = cJSON_CreateArray();
    r->usage = usage_unknown();
    r->prompt_tps = r->output_tps = -1;
    r->server_prompt_n = r->server_output_n = -1;
}

static void rec_free(Rec *r)
{
    buf_free(&r->log);
    buf_free(&r->text);
    buf_free(&r->reasoning);
    buf_free(&r->refusal);
    cJSON_Delete(r->tools);
}

static void rec_emit(void *user, const StreamEvent *ev)
{
    Rec *r = user;
    if (r->n_done || r->n_error)
        r->n_after_final++;
    switch (ev->kind) {
    case STREAM_EVENT_DELTA:
    case STREAM_EVENT_REASONING:
        cr_assert_gt(ev->len, 0, "no empty text events");
        buf_printf(&r->log, "%c%zu:", ev->kind == STREAM_EVENT_DELTA ? 'D' : 'R', ev->len);
        buf_append(&r->log, ev->text, ev->len);
        buf_append(ev->kind == STREAM_EVENT_DELTA ? &r->text : &r->reasoning, ev->text, ev->len);
        break;
    case STREAM_EVENT_USAGE:
        buf_printf(&r->log, "U:%ld,%ld,%ld,%ld,%ld,%ld,%.9g", ev->usage.input_tokens, ev->usage.output_tokens,
                   ev->usage.reasoning_tokens, ev->usage.cached_input_tokens,
                   ev->usage.cache_write_tokens, ev->usage.cache_write_1h_tokens, ev->usage.reported_cost_usd);
        usage_merge(&r->usage, &ev->usage);
        r->n_usage++;
        break;
    case STREAM_EVENT_TIMINGS:
        buf_printf(&r->log, "T:%.6g,%.6g,%ld,%ld", ev->server_prompt_tokens_per_s,
                   ev->server_output_tokens_per_s, ev->server_prompt_tokens, ev->server_output_tokens);
        r->prompt_tps = ev->server_prompt_tokens_per_s;
        r->output_tps = ev->server_output_tokens_per_s;
        r->server_prompt_n = ev->server_prompt_tokens;
        r->server_output_n = ev->server_output_tokens;
        r->n_timings++;
        break;
    case STREAM_EVENT_FINISH:
        cr_assert_not_null(ev->finish_reason);
        buf_printf(&r->log, "F:%s", ev->finish_reason);
        snprintf(r->finish, sizeof r->finish, "%s", ev->finish_reason);
        r->saw_finish = true;
        break;
    case STREAM_EVENT_ERROR:
        buf_printf(&r->log, "E:%d,%s,%s", ev->http_status, ev->error_type ? ev->error_type : "(null)",
                   ev->error_message ? ev->error_message : "(null)");
        snprintf(r->err_type, sizeof r->err_type, "%s", ev->error_type ? ev->error_type : "");
        r->err_type_null = !ev->error_type;
        snprintf(r->err_msg, sizeof r->err_msg, "%s", ev->error_message ? ev->error_message : "");
        r->err_status = ev->http_status;
        r->n_error++;
        break;
    case STREAM_EVENT_DONE:
        buf_puts(&r->log, "X");
        r->n_done++;
        break;
    case STREAM_EVENT_TOOL_CALL: {
        cr_assert_not_null(ev->tool.name);
        cr_assert_not_null(ev->tool.arguments);
        buf_printf(&r->log, "C:%s,%s,%s", ev->tool.id ? ev->tool.id : "(null)", ev->tool.name, ev->tool.arguments);
        cJSON *c = cJSON_CreateObject();
        if (ev->tool.id)
            cJSON_AddStringToObject(c, "id", ev->tool.id);
        else
            cJSON_AddNullToObject(c, "id");
        cJSON_AddStringToObject(c, "name", ev->tool.name);
        cJSON_AddStringToObject(c, "arguments", ev->tool.arguments);
        cJSON_AddItemToArray(r->tools, c);
        break;
    }
    case STREAM_EVENT_REFUSAL:
        buf_printf(&r->log, "Z:%s,%zu:", ev->reason ? ev->reason : "(null)", ev->len);
        buf_append(&r->log, ev->text ? ev->text : "", ev->len);
        buf_append(&r->refusal, ev->text ? ev->text : "", ev->len);
        snprintf(r->refusal_reason, sizeof r->refusal_reason, "%s", ev->reason ? ev->reason : "");
        r->n_refusal++;
        break;
    case STREAM_EVENT_BLOCKED:
        buf_printf(&r->log, "B:%s", ev->reason ? ev->reason : "(null)");
        snprintf(r->blocked_reason, sizeof r->blocked_reason, "%s", ev->reason ? ev->reason : "");
        r->n_blocked++;
        break;
    case STREAM_EVENT_REDACTED:
        buf_puts(&r->log, "H");
        r->n_redacted++;
        break;
    case STREAM_EVENT_PROGRESS: /* local models only: an HTTP decoder never emits it */
        buf_puts(&r->log, "P");
        break;
    }
    buf_puts(&r->log, "\n");
}

/* Feeds bytes in pieces ending at cuts[], stopping at the first -1 as the
 * HTTP layer would, then ends the body. Returns the first failing feed's
 * result (-1) or 0. */
static int decode(const ProviderOps *ops, const char *s, size_t n, const size_t *cuts, size_t ncuts,
                  Rec *r)
{
    void *dec = ops->decoder_new();
    cr_assert_not_null(dec);
    StreamSink sink = { rec_emit, r };
    int rc = 0;
    size_t at = 0;
    for (size_t i = 0; i <= ncuts && rc == 0; i++) {
        size_t end = i < ncuts ? cuts[i] : n;
        rc = ops->decoder_feed(dec, s + at, end - at, &sink);
        at = end;
    }
    if (rc == 0)
        ops->decoder_end(dec, &sink);
    else
        cr_assert_eq(ops->decoder_feed(dec, "data: {}\n\n{}\n", 13, &sink), -1,
                     "a failed decoder stays failed");
    ops->decoder_free(dec);
    return rc;
}

/* Decodes in every chunking, asserts the events never change, and leaves
 * the whole-input decoding in *out. Returns the feed result. */
static int decode_all_ways(const char *name, const ProviderOps *ops, const char *s, size_t n, Rec *out)
{
    rec_init(out);
    int rc = decode(ops, s, n, NULL, 0, out);
    size_t *cuts = malloc((n + 1) * sizeof *cuts);
    cr_assert_not_null(cuts);
    for (size_t i = 0; i + 1 < n; i++)
        cuts[i] = i + 1;
    Rec r;
    rec_init(&r);
    cr_assert_eq(decode(ops, s, n, cuts, n > 0 ? n - 1 : 0, &r), rc, "%s: byte by byte: same result", name);
    cr_assert_str_eq(buf_str(&r.log), buf_str(&out->log), "%s: byte by byte: same events", name);
    rec_free(&r);
    for (size_t k = 1; k < n; k++) {
        rec_init(&r);
        cr_assert_eq(decode(ops, s, n, &k, 1, &r), rc, "%s: split at %zu: same result", name, k);
        cr_assert_str_eq(buf_str(&r.log), buf_str(&out->log), "%s: split at %zu: same events", name, k);
        rec_free(&r);
    }
    unsigned seed = 2024;
    for (int round = 0; round < 40; round++) {
        size_t nc = 0, at = 0;
        for (;;) {
            seed = seed * 1103515245u + 12345u;
            at += 1 + (seed >> 16) % 23;
            if (at >= n)
                break;
            cuts[nc++] = at;
        }
        rec_init(&r);
        cr_assert_eq(decode(ops, s, n, cuts, nc, &r), rc, "%s: random chunking %d: same result", name, round);
        cr_assert_str_eq(buf_str(&r.log), buf_str(&out->log), "%s: random chunking %d: same events", name,
                         round);
        rec_free(&r);
    }
    free(cuts);
    cr_assert_eq(out->n_after_final, 0, "%s: nothing is emitted after DONE or ERROR", name);
    return rc;
}

/* ---- files ------------------------------------------------------------------- */

static const char *transcript_dir(char *out, size_t n)
{
    const char *src = testenv_srcdir();
    snprintf(out, n, "%s/tests/transcripts", src);
    return out;
}

static const char *const TRANSCRIPT_EXTS[] = { ".sse", ".ndjson" };
#define EXPECT_EXT ".expect.json"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* NAME.sse or NAME.ndjson read whole; fails the test when neither exists. */
static char *read_transcript(const char *name, size_t *n)
{
    char dir[1024], path[1200];
    transcript_dir(dir, sizeof dir);
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s%s", dir, name, TRANSCRIPT_EXTS[i]);
        char *s = testenv_slurp(path, n);
        if (s)
            return s;
    }
    cr_assert_fail("no transcript %s/%s.sse or .ndjson", dir, name);
    return NULL;
}

/* ---- expectations ------------------------------------------------------------ */

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* Fails on any key of o not in allowed (a misspelt expectation must not pass silently). */
static void only_keys(const char *name, const char *what, const cJSON *o, const char *const *allowed)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, o)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++)
            ok |= strcmp(it->string, allowed[i]) == 0;
        cr_assert(ok, "%s: unknown key \"%s\" in %s", name, it->string, what);
    }
}

static const char *expect_str(const char *name, const cJSON *o, const char *key, const char *dflt)
{
    const cJSON *v = get(o, key);
    if (!v)
        return dflt;
    cr_assert(cJSON_IsString(v), "%s: \"%s\" must be a string", name, key);
    return v->valuestring;
}

/* A count: absent or null means "not reported" (-1). */
static long expect_count(const char *name, const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!v || cJSON_IsNull(v))
        return -1;
    cr_assert(cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble == floor(v->valuedouble),
              "%s: \"%s\" must be a whole number or null", name, key);
    return (long)v->valuedouble;
}

static double expect_num(const char *name, const cJSON *o, const char *key)
{
    const cJSON *v = get(o, key);
    if (!v || cJSON_IsNull(v))
        return -1;
    cr_assert(cJSON_IsNumber(v), "%s: \"%s\" must be a number or null", name, key);
    return v->valuedouble;
}

static void check_close(const char *name, const char *what, double got, double want)
{
    if (want < 0) {
        cr_assert_lt(got, 0, "%s: %s: none expected, got %.17g", name, what, got);
        return;
    }
    cr_assert(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)), "%s: %s: got %.17g, want %.17g", name, what,
              got, want);
}

static void check_usage(const char *name, const cJSON *exp, const Usage *u)
{
    static const char *const keys[] = { "input_tokens", "output_tokens", "reasoning_tokens",
                                        "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens",
                                        "reported_cost_usd", NULL };
    cr_assert(!exp || cJSON_IsObject(exp), "%s: \"usage\" must be an object", name);
    only_keys(name, "usage", exp, keys);
    const long got[] = { u->input_tokens, u->output_tokens, u->reasoning_tokens, u->cached_input_tokens,
                         u->cache_write_tokens, u->cache_write_1h_tokens };
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(got[i], expect_count(name, exp, keys[i]), "%s: usage.%s: got %ld", name, keys[i], got[i]);
    check_close(name, "usage.reported_cost_usd", u->reported_cost_usd, expect_num(name, exp, keys[6]));
}

static void check_timings(const char *name, const cJSON *exp, const Rec *r)
{
    static const char *const keys[] = { "prompt_tokens_per_s", "output_tokens_per_s", "prompt_tokens",
                                        "output_tokens", NULL };
    if (!exp) {
        cr_assert_eq(r->n_timings, 0, "%s: no TIMINGS expected", name);
        return;
    }
    cr_assert(cJSON_IsObject(exp), "%s: \"timings\" must be an object", name);
    only_keys(name, "timings", exp, keys);
    cr_assert_gt(r->n_timings, 0, "%s: TIMINGS expected", name);
    check_close(name, "timings.prompt_tokens_per_s", r->prompt_tps, expect_num(name, exp, keys[0]));
    check_close(name, "timings.output_tokens_per_s", r->output_tps, expect_num(name, exp, keys[1]));
    cr_assert_eq(r->server_prompt_n, expect_count(name, exp, keys[2]), "%s: timings.prompt_tokens", name);
    cr_assert_eq(r->server_output_n, expect_count(name, exp, keys[3]), "%s: timings.output_tokens", name);
}

static void check_error(const char *name, const cJSON *exp, int rc, const Rec *r)
{
    if (!exp || cJSON_IsNull(exp)) {
        cr_assert_eq(rc, 0, "%s: the feed succeeds", name);
        cr_assert_eq(r->n_error, 0, "%s: no ERROR expected (got %s: %s)", name, r->err_type, r->err_msg);
        return;
    }
    static const char *const keys[] = { "type", "message_contains", NULL };
    cr_assert(cJSON_IsObject(exp), "%s: \"error\" must be an object or null", name);
    only_keys(name, "error", exp, keys);
    cr_assert_eq(rc, -1, "%s: the feed fails on the error", name);
    cr_assert_eq(r->n_error, 1, "%s: one ERROR", name);
    const char *type = expect_str(name, exp, "type", NULL);
    cr_assert_not_null(type, "%s: error.type is required (\"\" for an error without one)", name);
    cr_assert_str_eq(r->err_type, type, "%s: error type", name);
    cr_assert_eq(r->err_type_null, type[0] == '\0', "%s: an error without a type has a NULL type", name);
    const char *msg = expect_str(name, exp, "message_contains", "");
    cr_assert(strstr(r->err_msg, msg), "%s: error message '%s' lacks '%s'", name, r->err_msg, msg);
    cr_assert_eq(r->err_status, 0, "%s: in-stream errors carry no HTTP status", name);
}

/* Each expected call: "id" (string or null), "name", and "arguments" as a
 * JSON value compared with what the model wrote parsed, or "arguments_text"
 * compared byte for byte (for arguments that are not valid JSON). */
static void check_tool_calls(const char *name, const cJSON *exp, const Rec *r)
{
    static const char *const keys[] = { "id", "name", "arguments", "arguments_text", NULL };
    int want = exp ? cJSON_GetArraySize(exp) : 0;
    cr_assert(!exp || cJSON_IsArray(exp), "%s: \"tool_calls\" must be an array", name);
    cr_assert_eq(cJSON_GetArraySize(r->tools), want, "%s: %d tool calls, want %d", name,
                 cJSON_GetArraySize(r->tools), want);
    for (int i = 0; i < want; i++) {
        const cJSON *e = cJSON_GetArrayItem(exp, i), *g = cJSON_GetArrayItem(r->tools, i);
        only_keys(name, "a tool call", e, keys);
        cr_assert_str_eq(get(g, "name")->valuestring, expect_str(name, e, "name", ""), "%s: call %d name", name, i);
        const cJSON *id = get(e, "id");
        if (cJSON_IsString(id))
            cr_assert(cJSON_IsString(get(g, "id")) && strcmp(get(g, "id")->valuestring, id->valuestring) == 0,
                      "%s: call %d id", name, i);
        else
            cr_assert(cJSON_IsNull(get(g, "id")), "%s: call %d: no id expected", name, i);
        const char *args = get(g, "arguments")->valuestring;
        if (get(e, "arguments_text")) {
            cr_assert_str_eq(args, expect_str(name, e, "arguments_text", ""), "%s: call %d arguments", name, i);
        } else {
            cJSON *parsed = cJSON_Parse(args);
            cr_assert_not_null(parsed, "%s: call %d arguments are not JSON: %s", name, i, args);
            cr_assert(cJSON_Compare(parsed, get(e, "arguments"), true), "%s: call %d arguments %s", name, i, args);
            cJSON_Delete(parsed);
        }
    }
}

static void check_outcome(const char *name, const cJSON *exp, const Rec *r)
{
    const cJSON *ref = get(exp, "refused");
    if (ref) {
        static const char *const keys[] = { "reason", "text", NULL };
        cr_assert(cJSON_IsObject(ref), "%s: \"refused\" must be an object", name);
        only_keys(name, "refused", ref, keys);
        cr_assert_gt(r->n_refusal, 0, "%s: a REFUSAL expected", name);
        cr_assert_str_eq(r->refusal_reason, expect_str(name, ref, "reason", ""), "%s: refusal reason", name);
        cr_assert_str_eq(buf_str(&r->refusal), expect_str(name, ref, "text", ""), "%s: refusal text", name);
    } else {
        cr_assert_eq(r->n_refusal, 0, "%s: no REFUSAL expected (%s)", name, r->refusal_reason);
    }
    const char *blocked = expect_str(name, exp, "blocked", NULL);
    if (blocked) {
        cr_assert_gt(r->n_blocked, 0, "%s: a BLOCKED expected", name);
        cr_assert_str_eq(r->blocked_reason, blocked, "%s: block reason", name);
    } else {
        cr_assert_eq(r->n_blocked, 0, "%s: no BLOCKED expected (%s)", name, r->blocked_reason);
    }
    cr_assert_eq(r->n_redacted, (int)expect_count(name, exp, "redacted_reasoning") < 0 ? 0
                                    : (int)expect_count(name, exp, "redacted_reasoning"),
                 "%s: redacted reasoning blocks", name);
}

static void check_transcript(const char *name)
{
    char dir[1024], path[1200];
    snprintf(path, sizeof path, "%s/%s" EXPECT_EXT, transcript_dir(dir, sizeof dir), name);
    size_t en;
    char *etext = testenv_slurp(path, &en);
    cr_assert_not_null(etext, "cannot read %s", path);
    cJSON *exp = cJSON_ParseWithLength(etext, en);
    cr_assert(cJSON_IsObject(exp), "%s: not a JSON object", path);
    free(etext);
    static const char *const keys[] = { "provider", "shows", "text", "reasoning", "finish", "done",
                                        "usage", "timings", "error", "tool_calls", "refused", "blocked",
                                        "redacted_reasoning", NULL };
    only_keys(name, "the expectation", exp, keys);
    const char *provider = expect_str(name, exp, "provider", NULL);
    cr_assert_not_null(provider, "%s: \"provider\" is required", name);
    cr_assert_not_null(expect_str(name, exp, "shows", NULL), "%s: say what it shows in \"shows\"", name);
    const ProviderOps *ops = provider_find(provider);
    cr_assert_not_null(ops, "%s: unknown provider %s", name, provider);

    size_t n;
    char *s = read_transcript(name, &n);
    Rec r;
    int rc = decode_all_ways(name, ops, s, n, &r);

    const char *text = expect_str(name, exp, "text", NULL);
    cr_assert_not_null(text, "%s: \"text\" is required", name);
    cr_assert_str_eq(buf_str(&r.text), text, "%s: text", name);
    cr_assert_str_eq(buf_str(&r.reasoning), expect_str(name, exp, "reasoning", ""), "%s: reasoning", name);
    const cJSON *finish = get(exp, "finish");
    cr_assert(cJSON_IsNull(finish) || cJSON_IsString(finish), "%s: \"finish\" is required: a string or null",
              name);
    if (cJSON_IsNull(finish))
        cr_assert(!r.saw_finish, "%s: no finish reason expected, got %s", name, r.finish);
    else
        cr_assert_str_eq(r.finish, finish->valuestring, "%s: finish", name);
    const cJSON *done = get(exp, "done");
    cr_assert(cJSON_IsBool(done), "%s: \"done\" is required: true or false", name);
    cr_assert_eq(r.n_done, cJSON_IsTrue(done) ? 1 : 0, "%s: DONE count", name);
    check_usage(name, get(exp, "usage"), &r.usage);
    check_timings(name, get(exp, "timings"), &r);
    check_error(name, get(exp, "error"), rc, &r);
    check_tool_calls(name, get(exp, "tool_calls"), &r);
    check_outcome(name, exp, &r);
    rec_free(&r);
    free(s);
    cJSON_Delete(exp);
}

/* ---- the generic test: one run per NAME.expect.json -------------------------- */

typedef struct TranscriptParam {
    char name[120]; /* fixed array: Criterion copies parameters between processes */
} TranscriptParam;

ParameterizedTestParameters(transcript, decodes_as_expected)
{
    char dir[1024];
    transcript_dir(dir, sizeof dir);
    size_t n = 0, cap = 0;
    TranscriptParam *list = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!ends_with(e->d_name, EXPECT_EXT))
            continue;
        size_t len = strlen(e->d_name) - strlen(EXPECT_EXT);
        if (len == 0 || len >= sizeof list->name)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            TranscriptParam *p = realloc(list, cap * sizeof *p);
            if (!p)
                break;
            list = p;
        }
        memset(&list[n], 0, sizeof list[n]);
        memcpy(list[n].name, e->d_name, len);
        n++;
    }
    if (d)
        closedir(d);
    TranscriptParam *shared = cr_malloc((n ? n : 1) * sizeof *shared);
    if (n)
        memcpy(shared, list, n * sizeof *shared);
    free(list);
    return cr_make_param_array(TranscriptParam, shared, n);
}

ParameterizedTest(TranscriptParam *p, transcript, decodes_as_expected)
{
    check_transcript(p->name);
}

Test(transcript, every_transcript_has_its_expectation_and_back)
{
    char dir[1024], path[1200];
    transcript_dir(dir, sizeof dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list %s", dir);
    struct dirent *e;
    int transcripts = 0, expectations = 0;
    while ((e = readdir(d))) {
        const char *nm = e->d_name;
        if (ends_with(nm, EXPECT_EXT)) {
            expectations++;
            size_t len = strlen(nm) - strlen(EXPECT_EXT);
            bool found = false;
            for (size_t i = 0; i < 2; i++) {
                snprintf(path, sizeof path, "%s/%.*s%s", dir, (int)len, nm, TRANSCRIPT_EXTS[i]);
                FILE *f = fopen(path, "rb");
                if (f) {
                    found = true;
                    fclose(f);
                }
            }
            cr_assert(found, "%s has no transcript beside it", nm);
            continue;
        }
        for (size_t i = 0; i < 2; i++) {
            if (!ends_with(nm, TRANSCRIPT_EXTS[i]))
                continue;
            transcripts++;
            size_t len = strlen(nm) - strlen(TRANSCRIPT_EXTS[i]);
            snprintf(path, sizeof path, "%s/%.*s" EXPECT_EXT, dir, (int)len, nm);
            FILE *f = fopen(path, "rb");
            cr_assert_not_null(f, "%s has no %.*s" EXPECT_EXT " beside it", nm, (int)len, nm);
            fclose(f);
        }
    }
    closedir(d);
    cr_assert_gt(transcripts, 20, "the transcripts are there (%d)", transcripts);
    cr_assert_eq(transcripts, expectations);
}

/* ---- hostile and odd streams ------------------------------------------------- */

static int decode_str(const char *provider, const char *s, size_t n, Rec *r)
{
    rec_init(r);
    return decode(provider_find(provider), s, n, NULL, 0, r);
}

Test(stream, invalid_json_is_an_error_and_stops_the_decoder)
{
    const char in[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"choices\": [\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(buf_str(&r.text), "a");
    cr_assert_str_eq(r.err_type, "invalid_json");
    cr_assert(strncmp(r.err_msg, "invalid JSON in stream event: {\"choices\": [", 43) == 0, "%s", r.err_msg);
    rec_free(&r);
}

Test(stream, two_json_objects_in_one_event_are_refused)
{
    const char in[] = "data: {\"a\":1}\ndata: {\"b\":2}\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai-compat", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(r.err_type, "invalid_json");
    rec_free(&r);
}

Test(stream, empty_data_event_is_skipped)
{
    const char in[] = "data\n\ndata:\n\ndata: [DONE]\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), 0);
    cr_assert_eq(r.n_error, 0);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, events_after_done_are_ignored)
{
    const char in[] = "data: [DONE]\n\ndata: not json\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), 0);
    cr_assert_eq(r.n_error, 0);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, two_mebibyte_single_event_is_decoded)
{
    Buf in = { 0 };
    buf_puts(&in, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
    for (int i = 0; i < (2 << 20) / 8; i++)
        buf_puts(&in, "abcdefgh");
    buf_puts(&in, "\"}}]}\n\ndata: [DONE]\n\n");
    Rec r;
    cr_assert_eq(decode_str("openai", in.data, in.len, &r), 0);
    cr_assert_eq(r.text.len, (size_t)2 << 20);
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
    buf_free(&in);
}

Test(stream, invalid_utf8_in_text_passes_through_unchanged)
{
    const char in[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\xff\xfe" "b\xe2\x82\"}}]}\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), 0);
    cr_assert_eq(r.text.len, 6);
    cr_assert(memcmp(r.text.data, "a\xff\xfe" "b\xe2\x82", 6) == 0);
    rec_free(&r);
}

Test(stream, non_object_json_is_refused)
{
    const char in[] = "data: 42\n\n";
    Rec r;
    cr_assert_eq(decode_str("anthropic", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(r.err_type, "invalid_json");
    rec_free(&r);
}

Test(stream, gemini_accepts_json_split_over_data_lines)
{
    const char in[] = "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hi\"}]},\r\n"
                      "data:  \"finishReason\": \"STOP\"}]}\r\n\r\n";
    Rec r;
    cr_assert_eq(decode_str("gemini", in, sizeof in - 1, &r), 0);
    cr_assert_str_eq(buf_str(&r.text), "Hi");
    cr_assert_str_eq(r.finish, "stop");
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, anthropic_event_name_missing_uses_json_type)
{
    const char in[] = "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}}\n\n"
                      "event: future_event\ndata: {\"type\":\"future_event\"}\n\n"
                      "data: {\"type\":\"message_stop\"}\n\n";
    Rec r;
    cr_assert_eq(decode_str("anthropic", in, sizeof in - 1, &r), 0);
    cr_assert_str_eq(buf_str(&r.text), "x");
    cr_assert_eq(r.n_done, 1);
    rec_free(&r);
}

Test(stream, ollama_invalid_line_is_an_error)
{
    const char in[] = "{\"message\":{\"content\":\"a\"},\"done\":false}\n<html>\n";
    Rec r;
    cr_assert_eq(decode_str("ollama", in, sizeof in - 1, &r), -1);
    cr_assert_str_eq(r.err_type, "invalid_json");
    cr_assert(strstr(r.err_msg, "<html>"));
    rec_free(&r);
}

Test(stream, control_bytes_in_bad_json_do_not_reach_the_message)
{
    const char in[] = "data: \x1b[31m{oops\x07\n\n";
    Rec r;
    cr_assert_eq(decode_str("openai", in, sizeof in - 1, &r), -1);
    for (const char *p = r.err_msg; *p; p++)
        cr_assert((unsigned char)*p >= 0x20, "printable message: %s", r.err_msg);
    rec_free(&r);
}

Test(stream, mangled_transcripts_keep_the_decoder_contract)
{
    /* Each transcript with random bytes flipped, dropped or duplicated: the
     * decoder must not crash, must report a failed feed with exactly one
     * ERROR, and must emit nothing after ERROR or DONE. */
    static const char *const files[][2] = {
        { "openai-happy", "openai" },         { "compat-llama-happy", "openai-compat" },
        { "anthropic-thinking", "anthropic" }, { "gemini-thinking", "gemini" },
        { "ollama-happy", "ollama" },
    };
    static const char noise[] = "{}[]\":,\\\r\n :data\xff\xc3\0";
    unsigned seed = 77;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        char *orig = read_transcript(files[f][0], &n);
        const ProviderOps *ops = provider_find(files[f][1]);
        for (int round = 0; round < 300; round++) {
            Buf m = { 0 };
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1103515245u + 12345u;
                unsigned r = (seed >> 16) % 200;
                if (r == 0)
                    continue; /* drop */
                if (r == 1)
                    buf_append(&m, &noise[(seed >> 8) % (sizeof noise - 1)], 1); /* insert */
                buf_append(&m, r == 2 ? &noise[(seed >> 4) % (sizeof noise - 1)] : &orig[i], 1);
            }
            Rec r;
            rec_init(&r);
            size_t cut = m.len / 2;
            int rc = decode(ops, m.data ? m.data : "", m.len, &cut, m.len ? 1 : 0, &r);
            cr_assert(r.n_error <= 1, "%s round %d: at most one ERROR", files[f][0], round);
            cr_assert_eq(r.n_after_final, 0, "%s round %d: nothing after the end", files[f][0], round);
            if (rc < 0)
                cr_assert_eq(r.n_error, 1, "%s round %d: a failed feed says why", files[f][0], round);
            rec_free(&r);
            buf_free(&m);
        }
        free(orig);
    }
}

Test(stream, endless_tool_calls_are_refused_not_collected_forever)
{
    /* 5000 calls opened one by one and never finished: the decoder stops at
     * its bound with one clear ERROR */
    Buf in = { 0 };
    for (int i = 0; i < 5000; i++)
        buf_printf(&in, "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":%d,\"id\":\"c%d\","
                        "\"function\":{\"name\":\"f\",\"arguments\":\"{\"}}]}}]}\n\n", i, i);
    Rec r;
    cr_assert_eq(decode_str("openai", in.data, in.len, &r), -1);
    cr_assert_eq(r.n_error, 1);
    cr_assert(strstr(r.err_msg, "too many or too large tool calls"), "%s", r.err_msg);
    rec_free(&r);
    buf_free(&in);
}
