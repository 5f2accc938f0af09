/* test_fakeprov.c — the fake provider's own behaviour over real HTTP
 * (libcurl easy/multi): each route's exact wire format, pacing and chunking,
 * faults, port-0 allocation, request capture and counting, concurrency and a
 * clean stop while streams are still running. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/clock.h"
#include "fake/fake_scenario.h"
#include "fake/fakeprov.h"

/* The clients' own timeout: only a hang reaches it (a loaded CI box under
 * ASan is many times slower than a quiet one; no test here relies on it). */
#define HANG_MS 120000
#define DOT "{\"content\":\".\"}" /* one never-ends delta */

typedef struct Resp {
    CURLcode rc;
    long status;
    Buf body;
    Buf head;
    int n_writes;
    double t_start, t_first, t_last; /* ms */
} Resp;

/* Guards every Resp body while a transfer runs on another thread. */
static pthread_mutex_t body_mu = PTHREAD_MUTEX_INITIALIZER;

static size_t on_body(char *p, size_t sz, size_t n, void *user)
{
    Resp *r = user;
    double now = clock_now_ms();
    pthread_mutex_lock(&body_mu);
    if (r->n_writes == 0)
        r->t_first = now;
    r->t_last = now;
    r->n_writes++;
    buf_append(&r->body, p, sz * n);
    pthread_mutex_unlock(&body_mu);
    return sz * n;
}

/* How many times needle occurs in r's body so far (r may be filling on
 * another thread). */
static int body_count(Resp *r, const char *needle)
{
    int k = 0;
    pthread_mutex_lock(&body_mu);
    for (const char *p = buf_str(&r->body); (p = strstr(p, needle)); p++)
        k++;
    pthread_mutex_unlock(&body_mu);
    return k;
}

static size_t on_head(char *p, size_t sz, size_t n, void *user)
{
    buf_append(&((Resp *)user)->head, p, sz * n);
    return sz * n;
}

static CURL *make_easy(const char *url, const char *body, struct curl_slist *hdrs, long timeout_ms, Resp *r)
{
    CURL *c = curl_easy_init();
    cr_assert(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_head);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_PRIVATE, r);
    r->t_start = clock_now_ms();
    return c;
}

/* POSTs body to base+path; extra headers NULL-terminated. */
static void post(FakeProv *fp, const char *path, const char *body, const char *const *headers,
                 long timeout_ms, Resp *r)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", fakeprov_url(fp), path);
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    for (size_t i = 0; headers && headers[i]; i++)
        h = curl_slist_append(h, headers[i]);
    memset(r, 0, sizeof *r);
    CURL *c = make_easy(url, body, h, timeout_ms, r);
    r->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
}

static void resp_free(Resp *r)
{
    buf_free(&r->body);
    buf_free(&r->head);
}

static FakeProv *start(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char err[256];
    FakeProv *fp = fakeprov_start(NULL, err, sizeof err);
    cr_assert(fp, "fakeprov_start: %s", err);
    return fp;
}

/* Splits an SSE body on blank lines (LF or CRLF) and returns the data values
 * of each event, in order, as a cJSON array of strings. */
static cJSON *sse_data(const char *body)
{
    cJSON *arr = cJSON_CreateArray();
    Buf data = { 0 };
    bool have = false;
    const char *p = body;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        size_t l = len;
        if (l && p[l - 1] == '\r')
            l--;
        if (l == 0) {
            if (have)
                cJSON_AddItemToArray(arr, cJSON_CreateString(buf_str(&data)));
            buf_reset(&data);
            have = false;
        } else if (l >= 5 && strncmp(p, "data:", 5) == 0) {
            const char *v = p + 5;
            size_t vl = l - 5;
            if (vl && *v == ' ') {
                v++;
                vl--;
            }
            if (have)
                buf_puts(&data, "\n");
            buf_append(&data, v, vl);
            have = true;
        }
        p += len + (e ? 1 : 0);
    }
    buf_free(&data);
    return arr;
}

static const char *jstr(const cJSON *o, const char *path0, const char *path1)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, path0);
    if (path1)
        x = cJSON_GetObjectItemCaseSensitive(x, path1);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

static long jnum(const cJSON *o, const char *path0, const char *path1)
{
    const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, path0);
    if (path1)
        x = cJSON_GetObjectItemCaseSensitive(x, path1);
    return cJSON_IsNumber(x) ? (long)x->valuedouble : -1;
}

/* The text of an OpenAI chat stream; *usage_out gets the usage chunk (or
 * NULL); *done whether [DONE] ended it. */
static void openai_text(const char *body, Buf *text, long *completion_tokens, bool *done)
{
    cJSON *events = sse_data(body);
    *completion_tokens = -1;
    *done = false;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        cr_assert(!*done, "events after [DONE]");
        if (strcmp(ev->valuestring, "[DONE]") == 0) {
            *done = true;
            continue;
        }
        cJSON *j = cJSON_Parse(ev->valuestring);
        cr_assert(j, "not JSON: %s", ev->valuestring);
        const cJSON *choices = cJSON_GetObjectItemCaseSensitive(j, "choices");
        const cJSON *c0 = cJSON_GetArrayItem(choices, 0);
        const char *content = jstr(cJSON_GetObjectItemCaseSensitive(c0, "delta"), "content", NULL);
        if (content)
            buf_puts(text, content);
        const cJSON *usage = cJSON_GetObjectItemCaseSensitive(j, "usage");
        if (cJSON_IsObject(usage)) {
            cr_assert_eq(cJSON_GetArraySize(choices), 0, "usage chunk has empty choices");
            *completion_tokens = jnum(usage, "completion_tokens", NULL);
        }
        cJSON_Delete(j);
    }
    cJSON_Delete(events);
}

/* ---- scenario names ------------------------------------------------------- */

Test(fake_scenario, names_and_modifiers_parse)
{
    FakeScenario sc;
    cr_assert_eq(fake_scenario_parse("happy", &sc), 0);
    cr_assert_eq(sc.kind, FAKE_HAPPY);
    cr_assert_eq(fake_scenario_parse("fail-2-status-429-retry-after-1.ms40.odd.crlf", &sc), 0);
    cr_assert_eq(sc.kind, FAKE_STATUS);
    cr_assert_eq(sc.status, 429);
    cr_assert_eq(sc.retry_after_s, 1);
    cr_assert_eq(sc.retry_after_ms, -1);
    cr_assert_eq(sc.fail_times, 2);
    cr_assert_eq(sc.delta_ms, 40);
    cr_assert(sc.odd);
    cr_assert_eq(sc.eol, FAKE_EOL_CRLF);
    cr_assert_eq(fake_scenario_for_attempt(&sc, 2).kind, FAKE_STATUS);
    cr_assert_eq(fake_scenario_for_attempt(&sc, 3).kind, FAKE_HAPPY);
    cr_assert_eq(fake_scenario_for_attempt(&sc, 3).delta_ms, 40);
    cr_assert_eq(fake_scenario_parse("status-429-retry-after-ms-250", &sc), 0);
    cr_assert_eq(sc.retry_after_ms, 250);
    cr_assert_eq(fake_scenario_parse("slow-drip", &sc), 0);
    cr_assert_eq(sc.chunk, 1);
    cr_assert_eq(fake_scenario_parse("happy.tps20", &sc), 0);
    cr_assert_eq(sc.delta_ms, 50);
}

Test(fake_scenario, non_scenarios_are_rejected)
{
    FakeScenario sc;
    const char *bad[] = { "gpt-4o-mini", "", "status-200", "status-42", "status-429-retry", "happy.", "happy.bogus3",
                          "fail-0-status-500", "fail-1", "happy.ms", "status-4290", "happy.ms-5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(fake_scenario_parse(bad[i], &sc), -1, "%s should not parse", bad[i]);
}

/* ---- server basics --------------------------------------------------------- */

Test(fakeprov, port_zero_gives_distinct_free_ports_and_a_url)
{
    FakeProv *a = start(), *b = start();
    cr_assert_gt(fakeprov_port(a), 0);
    cr_assert_neq(fakeprov_port(a), fakeprov_port(b));
    char want[64];
    snprintf(want, sizeof want, "http://127.0.0.1:%d", fakeprov_port(a));
    cr_assert_str_eq(fakeprov_url(a), want);
    fakeprov_stop(a);
    fakeprov_stop(b);
}

Test(fakeprov, openai_happy_streams_exact_chunks_usage_and_done)
{
    FakeProv *fp = start();
    Resp r;
    const char *h[] = { "Authorization: Bearer sk-test-FAKE", NULL };
    post(fp, "/v1/chat/completions",
         "{\"model\":\"happy\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
         "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
         h, 5000, &r);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(buf_str(&r.head), "Content-Type: text/event-stream; charset=utf-8"));
    cr_assert(strstr(buf_str(&r.head), "Transfer-Encoding: chunked"));
    Buf text = { 0 };
    long out = 0;
    bool done = false;
    openai_text(buf_str(&r.body), &text, &out, &done);
    cr_assert_str_eq(buf_str(&text), FAKEPROV_HAPPY_TEXT);
    cr_assert_eq(out, FAKEPROV_HAPPY_DELTAS);
    cr_assert(done);
    cr_assert(strstr(buf_str(&r.body), "\"prompt_tokens\":11"));
    cr_assert(strstr(buf_str(&r.body), "\"finish_reason\":\"stop\""));
    buf_free(&text);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, openai_without_include_usage_sends_no_usage)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/chat/completions", "{\"model\":\"happy\",\"stream\":true}", NULL, HANG_MS, &r);
    Buf text = { 0 };
    long out = 0;
    bool done = false;
    openai_text(buf_str(&r.body), &text, &out, &done);
    cr_assert_str_eq(buf_str(&text), FAKEPROV_HAPPY_TEXT);
    cr_assert_eq(out, -1);
    cr_assert(done);
    cr_assert_null(strstr(buf_str(&r.body), "\"usage\""));
    buf_free(&text);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, llama_flavour_puts_choices_first_and_timings_last)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/chat/completions",
         "{\"model\":\"happy.llama\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", NULL, 5000, &r);
    cr_assert_eq(r.status, 200);
    cJSON *ev = sse_data(buf_str(&r.body));
    int n = cJSON_GetArraySize(ev);
    cr_assert_str_eq(cJSON_GetArrayItem(ev, n - 1)->valuestring, "[DONE]");
    const char *usage_chunk = cJSON_GetArrayItem(ev, n - 2)->valuestring;
    cr_assert(strncmp(usage_chunk, "{\"choices\":[]", 13) == 0);
    cJSON *j = cJSON_Parse(usage_chunk);
    cr_assert_eq(jnum(j, "usage", "prompt_tokens"), 15);
    cr_assert_eq(jnum(j, "timings", "predicted_n"), FAKEPROV_HAPPY_DELTAS);
    cr_assert(strstr(cJSON_GetArrayItem(ev, 0)->valuestring, "\"content\":null"));
    cJSON_Delete(j);
    cJSON_Delete(ev);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, anthropic_happy_has_event_names_ping_usage_and_stop)
{
    FakeProv *fp = start();
    Resp r;
    const char *h[] = { "x-api-key: sk-ant-FAKE", "anthropic-version: 2023-06-01", NULL };
    post(fp, "/v1/messages", "{\"model\":\"happy\",\"max_tokens\":64,\"stream\":true}", h, HANG_MS, &r);
    cr_assert_eq(r.status, 200);
    const char *b = buf_str(&r.body);
    cr_assert(strncmp(b, "event: message_start\ndata: {\"type\":\"message_start\"", 50) == 0);
    cr_assert(strstr(b, "event: ping\ndata: {\"type\": \"ping\"}\n\n"));
    cr_assert(strstr(b, "\"stop_reason\":\"end_turn\""));
    cr_assert(strstr(b, "\"output_tokens\":10}"));
    const char *stop = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    cr_assert_str_eq(b + strlen(b) - strlen(stop), stop);
    Buf text = { 0 };
    cJSON *ev = sse_data(b);
    const cJSON *e;
    cJSON_ArrayForEach(e, ev)
    {
        cJSON *j = cJSON_Parse(e->valuestring);
        cr_assert(j);
        if (strcmp(jstr(j, "type", NULL), "content_block_delta") == 0)
            buf_puts(&text, jstr(cJSON_GetObjectItemCaseSensitive(j, "delta"), "text", NULL));
        cJSON_Delete(j);
    }
    cr_assert_str_eq(buf_str(&text), FAKEPROV_HAPPY_TEXT);
    cJSON_Delete(ev);
    buf_free(&text);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, gemini_happy_uses_crlf_running_usage_and_closes)
{
    FakeProv *fp = start();
    Resp r;
    const char *h[] = { "x-goog-api-key: AIza-FAKE", NULL };
    post(fp, "/v1beta/models/happy:streamGenerateContent?alt=sse", "{\"contents\":[]}", h, HANG_MS, &r);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(buf_str(&r.head), "Connection: close"));
    cr_assert_null(strstr(buf_str(&r.head), "Transfer-Encoding"));
    const char *b = buf_str(&r.body);
    cr_assert(strstr(b, "}\r\n\r\ndata: "));
    cr_assert_null(strstr(b, "}\n\n"));
    cr_assert_str_eq(b + strlen(b) - 4, "\r\n\r\n");
    cJSON *ev = sse_data(b);
    cr_assert_eq(cJSON_GetArraySize(ev), FAKEPROV_HAPPY_DELTAS);
    Buf text = { 0 };
    const cJSON *e;
    long cand = 0;
    cJSON_ArrayForEach(e, ev)
    {
        cJSON *j = cJSON_Parse(e->valuestring);
        const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "candidates"), 0);
        const cJSON *p0 = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(c0, "content"), "parts"), 0);
        buf_puts(&text, jstr(p0, "text", NULL));
        long c = jnum(j, "usageMetadata", "candidatesTokenCount");
        cr_assert_gt(c, cand, "running totals grow");
        cand = c;
        cr_assert_eq(jnum(j, "usageMetadata", "promptTokenCount"), 13);
        if (cJSON_GetObjectItemCaseSensitive(c0, "finishReason"))
            cr_assert_eq(e->next, NULL, "finishReason only on the last chunk");
        cJSON_Delete(j);
    }
    cr_assert_eq(cand, FAKEPROV_HAPPY_DELTAS);
    cr_assert_str_eq(buf_str(&text), FAKEPROV_HAPPY_TEXT);
    cJSON_Delete(ev);
    buf_free(&text);
    resp_free(&r);
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_GEMINI, &rq), 0);
    cr_assert_str_eq(rq.model, "happy");
    cr_assert_str_eq(rq.query, "alt=sse");
    cr_assert_str_eq(fakeprov_request_header(&rq, "X-Goog-Api-Key"), "AIza-FAKE");
    fakeprov_request_free(&rq);
    fakeprov_stop(fp);
}

Test(fakeprov, ollama_happy_is_ndjson_with_done_stats)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/api/chat", "{\"model\":\"happy\",\"messages\":[]}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(buf_str(&r.head), "application/x-ndjson"));
    Buf text = { 0 };
    int lines = 0;
    bool done = false;
    const char *p = buf_str(&r.body);
    while (*p) {
        const char *e = strchr(p, '\n');
        cr_assert(e, "every line ends with LF");
        char *line = strndup(p, (size_t)(e - p));
        cJSON *j = cJSON_Parse(line);
        cr_assert(j, "line is JSON: %s", line);
        cr_assert(!done);
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done"))) {
            done = true;
            cr_assert_eq(jnum(j, "eval_count", NULL), FAKEPROV_HAPPY_DELTAS);
            cr_assert_eq(jnum(j, "prompt_eval_count", NULL), 14);
            cr_assert_str_eq(jstr(j, "done_reason", NULL), "stop");
        } else {
            buf_puts(&text, jstr(cJSON_GetObjectItemCaseSensitive(j, "message"), "content", NULL));
        }
        cJSON_Delete(j);
        free(line);
        lines++;
        p = e + 1;
    }
    cr_assert(done);
    cr_assert_eq(lines, FAKEPROV_HAPPY_DELTAS + 1);
    cr_assert_str_eq(buf_str(&text), FAKEPROV_HAPPY_TEXT);
    buf_free(&text);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, captures_request_and_counts_per_route_and_model)
{
    FakeProv *fp = start();
    Resp r;
    const char *h[] = { "Authorization: Bearer sk-test-FAKEKEY", NULL };
    const char *body = "{\"model\":\"happy\",\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    post(fp, "/v1/chat/completions", body, h, HANG_MS, &r);
    resp_free(&r);
    post(fp, "/v1/chat/completions", "{\"model\":\"comments\",\"stream\":true}", h, HANG_MS, &r);
    resp_free(&r);
    post(fp, "/api/chat", "{\"model\":\"happy\"}", NULL, HANG_MS, &r);
    resp_free(&r);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_OPENAI), 2);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_OLLAMA), 1);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_ANTHROPIC), 0);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_COUNT), 3);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_COUNT, "happy"), 2);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_OPENAI, "comments"), 1);
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_OPENAI, &rq), 0);
    cr_assert_str_eq(rq.method, "POST");
    cr_assert_str_eq(rq.path, "/v1/chat/completions");
    cr_assert_str_eq(rq.model, "comments");
    cr_assert_str_eq(fakeprov_request_header(&rq, "authorization"), "Bearer sk-test-FAKEKEY");
    cr_assert_str_eq(rq.body, "{\"model\":\"comments\",\"stream\":true}");
    fakeprov_request_free(&rq);
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_COUNT, &rq), 0);
    cr_assert_eq(rq.route, FAKE_ROUTE_OLLAMA);
    fakeprov_request_free(&rq);
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_GEMINI, &rq), -1);
    fakeprov_reset(fp);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_COUNT), 0);
    fakeprov_stop(fp);
}

Test(fakeprov, percent_encoded_gemini_model_is_decoded)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1beta/models/happy%2Ems1:streamGenerateContent?alt=sse", "{}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(fakeprov_count_model(fp, FAKE_ROUTE_GEMINI, "happy.ms1"), 1);
    resp_free(&r);
    fakeprov_stop(fp);
}

/* ---- errors ------------------------------------------------------------------ */

Test(fakeprov, status_429_carries_retry_after_and_each_providers_body)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/chat/completions", "{\"model\":\"status-429-retry-after-1\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 429);
    cr_assert(strstr(buf_str(&r.head), "retry-after: 1\r\n"));
    cJSON *j = cJSON_Parse(buf_str(&r.body));
    cr_assert_str_eq(jstr(j, "error", "code"), "rate_limit_exceeded");
    cJSON_Delete(j);
    resp_free(&r);

    post(fp, "/v1/messages", "{\"model\":\"status-429-retry-after-ms-250\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 429);
    cr_assert(strstr(buf_str(&r.head), "retry-after-ms: 250\r\n"));
    j = cJSON_Parse(buf_str(&r.body));
    cr_assert_str_eq(jstr(j, "type", NULL), "error");
    cr_assert_str_eq(jstr(j, "error", "type"), "rate_limit_error");
    cJSON_Delete(j);
    resp_free(&r);

    post(fp, "/v1beta/models/status-429-retry-after-ms-250:streamGenerateContent?alt=sse", "{}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 429);
    j = cJSON_Parse(buf_str(&r.body));
    cr_assert_str_eq(jstr(j, "error", "status"), "RESOURCE_EXHAUSTED");
    cr_assert(strstr(buf_str(&r.body), "\"retryDelay\": \"0.250s\""));
    cJSON_Delete(j);
    resp_free(&r);

    post(fp, "/api/chat", "{\"model\":\"status-404\"}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 404);
    cr_assert_str_eq(buf_str(&r.body), "{\"error\":\"model \\\"status-404\\\" not found, try pulling it first\"}");
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, anthropic_529_and_gemini_bad_key_are_real_shapes)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/messages", "{\"model\":\"status-529\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 529);
    cr_assert(strstr(buf_str(&r.body), "\"overloaded_error\""));
    resp_free(&r);
    post(fp, "/v1beta/models/bad-key:streamGenerateContent?alt=sse", "{}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(buf_str(&r.body), "API_KEY_INVALID"));
    resp_free(&r);
    post(fp, "/v1/chat/completions", "{\"model\":\"status-502\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 502);
    cr_assert(strstr(buf_str(&r.head), "text/html"));
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, fail_n_times_then_succeed_counts_attempts_per_model)
{
    FakeProv *fp = start();
    Resp r;
    const char *body = "{\"model\":\"fail-2-status-503\",\"stream\":true}";
    post(fp, "/v1/chat/completions", body, NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 503);
    resp_free(&r);
    post(fp, "/v1/chat/completions", body, NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 503);
    resp_free(&r);
    post(fp, "/v1/messages", body, NULL, HANG_MS, &r); /* another route counts apart */
    cr_assert_eq(r.status, 503);
    resp_free(&r);
    post(fp, "/v1/chat/completions", body, NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(buf_str(&r.body), "data: [DONE]"));
    resp_free(&r);
    FakeRequest rq;
    fakeprov_last_request(fp, FAKE_ROUTE_OPENAI, &rq);
    cr_assert_eq(rq.attempt, 3);
    fakeprov_request_free(&rq);
    fakeprov_stop(fp);
}

Test(fakeprov, refuses_bad_json_non_streaming_and_unknown_paths)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/chat/completions", "{not json", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(buf_str(&r.body), "not a JSON object"));
    resp_free(&r);
    post(fp, "/v1/messages", "{\"model\":\"happy\"}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(buf_str(&r.body), "only streaming"));
    resp_free(&r);
    post(fp, "/v1beta/models/happy:streamGenerateContent", "{}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 400);
    cr_assert(strstr(buf_str(&r.body), "alt=sse"));
    resp_free(&r);
    post(fp, "/v1/embeddings", "{}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_OTHER), 1);
    fakeprov_stop(fp);
}

/* ---- faults --------------------------------------------------------------------- */

Test(fakeprov, resets_and_truncation_are_transport_errors_with_partial_bodies)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/chat/completions", "{\"model\":\"reset-before-headers\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert(r.rc == CURLE_RECV_ERROR || r.rc == CURLE_GOT_NOTHING, "rc %d", r.rc);
    cr_assert_eq(r.body.len, 0);
    resp_free(&r);
    post(fp, "/v1/chat/completions", "{\"model\":\"reset-mid-stream\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.rc, CURLE_RECV_ERROR);
    cr_assert_eq(r.status, 200);
    cr_assert(strstr(buf_str(&r.body), "\" from\""));
    cr_assert_null(strstr(buf_str(&r.body), "\" the\""));
    resp_free(&r);
    post(fp, "/v1/messages", "{\"model\":\"truncated\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.rc, CURLE_PARTIAL_FILE);
    cr_assert(strstr(buf_str(&r.body), "\" from\""));
    cr_assert_null(strstr(buf_str(&r.body), "message_stop"));
    resp_free(&r);
    /* Gemini's close-delimited body: truncation is a clean EOF, no finishReason */
    post(fp, "/v1beta/models/truncated:streamGenerateContent?alt=sse", "{}", NULL, HANG_MS, &r);
    cr_assert_eq(r.rc, CURLE_OK);
    cr_assert_null(strstr(buf_str(&r.body), "finishReason"));
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, error_event_follows_two_deltas_in_each_format)
{
    FakeProv *fp = start();
    Resp r;
    const struct {
        const char *path, *body, *marker;
    } cases[] = {
        { "/v1/chat/completions", "{\"model\":\"error-event\",\"stream\":true}", "data: {\"error\": {\"message\": \"The server had an error" },
        { "/v1/messages", "{\"model\":\"error-event\",\"stream\":true}", "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\"" },
        { "/v1beta/models/error-event:streamGenerateContent?alt=sse", "{}", "data: {\"error\": {\"code\": 503" },
        { "/api/chat", "{\"model\":\"error-event\"}", "{\"error\":\"an error was encountered while running the model\"}\n" },
    };
    for (size_t i = 0; i < 4; i++) {
        post(fp, cases[i].path, cases[i].body, NULL, HANG_MS, &r);
        cr_assert_eq(r.rc, CURLE_OK);
        cr_assert_eq(r.status, 200);
        const char *b = buf_str(&r.body);
        const char *m = strstr(b, cases[i].marker);
        cr_assert(m, "%s: no error event in %s", cases[i].path, b);
        const char *from = strstr(b, "\" from\"");
        cr_assert(from && from < m, "two deltas come first");
        cr_assert_null(strstr(b, "\" the\""));
        resp_free(&r);
    }
    fakeprov_stop(fp);
}

Test(fakeprov, bad_json_and_bad_utf8_are_delivered_as_is)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/chat/completions", "{\"model\":\"bad-json\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert(strstr(buf_str(&r.body), "\"content\":\"oops\"\n\n"));
    cr_assert(strstr(buf_str(&r.body), "data: [DONE]\n\n"));
    resp_free(&r);
    post(fp, "/api/chat", "{\"model\":\"bad-utf8\"}", NULL, HANG_MS, &r);
    cr_assert(memmem(r.body.data, r.body.len, "\xff\xfe", 2));
    cr_assert(strstr(buf_str(&r.body), "\"done\":true"));
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, big_event_delivers_one_ten_mib_data_line)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/chat/completions", "{\"model\":\"big-event\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.rc, CURLE_OK);
    cJSON *ev = sse_data(buf_str(&r.body));
    size_t longest = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, ev)
    {
        size_t n = strlen(e->valuestring);
        if (n > longest)
            longest = n;
    }
    cr_assert_gt(longest, 10u * 1024 * 1024);
    cJSON_Delete(ev);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, accept_no_answer_holds_the_request_until_the_client_gives_up)
{
    FakeProv *fp = start();
    Resp r;
    double t0 = clock_now_ms();
    post(fp, "/v1/chat/completions", "{\"model\":\"accept-no-answer\",\"stream\":true}", NULL, 300, &r);
    cr_assert_eq(r.rc, CURLE_OPERATION_TIMEDOUT);
    cr_assert_eq(r.status, 0);
    cr_assert_geq(clock_now_ms() - t0, 290);
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_OPENAI), 1);
    resp_free(&r);
    fakeprov_stop(fp);
}

/* ---- pacing and chunking ------------------------------------------------------ */

Test(fakeprov, pacing_spreads_deltas_over_time)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/api/chat", "{\"model\":\"happy.ms40.ttft150\"}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 200);
    double ttft = r.t_first - r.t_start;
    double span = r.t_last - r.t_first;
    cr_assert_geq(ttft, 140, "ttft %.0f", ttft);
    cr_assert_geq(span, (FAKEPROV_HAPPY_DELTAS - 1) * 40 - 20, "span %.0f", span);
    cr_assert_geq(r.n_writes, FAKEPROV_HAPPY_DELTAS);
    resp_free(&r);
    fakeprov_stop(fp);
}

Test(fakeprov, chunking_splits_bytes_but_not_content)
{
    FakeProv *fp = start();
    Resp whole, one, odd;
    const char *paths[] = { "/v1/messages", "/v1beta/models/%s:streamGenerateContent?alt=sse" };
    for (size_t i = 0; i < 2; i++) {
        char p1[128], p2[128], p3[128];
        const char *body = "{\"model\":\"%s\",\"stream\":true}";
        char b1[128], b2[128], b3[128];
        snprintf(p1, sizeof p1, paths[i], "happy");
        snprintf(p2, sizeof p2, paths[i], "happy.chunk1.gap1");
        snprintf(p3, sizeof p3, paths[i], "happy.odd.gap1");
        snprintf(b1, sizeof b1, body, "happy");
        snprintf(b2, sizeof b2, body, "happy.chunk1.gap1");
        snprintf(b3, sizeof b3, body, "happy.odd.gap1");
        post(fp, p1, b1, NULL, HANG_MS, &whole);
        post(fp, p2, b2, NULL, HANG_MS, &one);
        post(fp, p3, b3, NULL, HANG_MS, &odd);
        cr_assert_eq(one.rc, CURLE_OK);
        cr_assert_eq(odd.rc, CURLE_OK);
        /* the model name is echoed in the body: compare with it normalised */
        Buf a = { 0 }, b = { 0 }, c = { 0 };
        const char *src[3] = { buf_str(&whole.body), buf_str(&one.body), buf_str(&odd.body) };
        Buf *dst[3] = { &a, &b, &c };
        for (int k = 0; k < 3; k++) {
            const char *s = src[k];
            while (*s) {
                if (strncmp(s, "happy.chunk1.gap1", 17) == 0) {
                    buf_puts(dst[k], "happy");
                    s += 17;
                } else if (strncmp(s, "happy.odd.gap1", 14) == 0) {
                    buf_puts(dst[k], "happy");
                    s += 14;
                } else {
                    buf_append(dst[k], s, 1);
                    s++;
                }
            }
        }
        cr_assert_str_eq(buf_str(&b), buf_str(&a));
        cr_assert_str_eq(buf_str(&c), buf_str(&a));
        cr_assert_gt(one.n_writes, (int)(whole.body.len / 2), "1-byte pieces arrive apart (%d writes)", one.n_writes);
        cr_assert_gt(odd.n_writes, whole.n_writes * 3);
        buf_free(&a);
        buf_free(&b);
        buf_free(&c);
        resp_free(&whole);
        resp_free(&one);
        resp_free(&odd);
    }
    fakeprov_stop(fp);
}

/* Side by side, proven by an event rather than a wall-clock budget: N
 * endless streams are all open in the fake at once (a server that served
 * them one after another would never get past the first), each keeps
 * keeps receiving deltas, and a further stream is served to its end
 * meanwhile; stopping the fake then ends all N. */
Test(fakeprov, twenty_concurrent_streams_run_side_by_side)
{
    FakeProv *fp = start();
    enum { N = 20 };
    CURLM *m = curl_multi_init();
    Resp r[N + 1];
    CURL *e[N + 1];
    char body[N][128];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    char url[256];
    snprintf(url, sizeof url, "%s/v1/chat/completions", fakeprov_url(fp));
    for (int i = 0; i < N; i++) {
        memset(&r[i], 0, sizeof r[i]);
        snprintf(body[i], sizeof body[i], "{\"model\":\"never-ends.ms30\",\"stream\":true,\"n\":%d}", i);
        e[i] = make_easy(url, body[i], h, 0, &r[i]);
        curl_multi_add_handle(m, e[i]);
    }
    memset(&r[N], 0, sizeof r[N]);
    e[N] = NULL;
    bool happy_done = false, stopped = false;
    CURLcode happy_rc = CURLE_OK;
    int running = 1, most = 0;
    double t0 = clock_now_ms();
    while (running || !happy_done) {
        cr_assert_lt(clock_now_ms() - t0, HANG_MS, "hung: at most %d of %d streams were open at once", most, N);
        curl_multi_perform(m, &running);
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == e[N]) {
                happy_done = true;
                happy_rc = msg->data.result;
            } else if (msg->msg == CURLMSG_DONE) {
                cr_assert(stopped, "an endless stream ended before the stop: %s", curl_easy_strerror(msg->data.result));
            }
        if (!stopped)
            most = fakeprov_max_active(fp);
        if (!e[N] && most >= N) {
            /* all N open at once: now one more, served to its end beside them */
            e[N] = make_easy(url, "{\"model\":\"happy\",\"stream\":true}", h, HANG_MS, &r[N]);
            curl_multi_add_handle(m, e[N]);
            running = 1;
        }
        bool all_dots = true;
        for (int i = 0; i < N && all_dots; i++)
            all_dots = body_count(&r[i], DOT) > 0;
        if (happy_done && all_dots && !stopped) {
            fakeprov_stop(fp); /* ends the endless streams */
            fp = NULL;
            stopped = true;
        }
        if (running)
            curl_multi_poll(m, NULL, 0, 100, NULL);
    }
    cr_assert_eq(happy_rc, CURLE_OK, "%s", curl_easy_strerror(happy_rc));
    cr_assert(strstr(buf_str(&r[N].body), "data: [DONE]"), "%s", buf_str(&r[N].body));
    for (int i = 0; i <= N; i++) {
        if (i < N)
            cr_assert(strstr(buf_str(&r[i].body), DOT), "stream %d got no endless deltas: %s", i,
                      buf_str(&r[i].body));
        curl_multi_remove_handle(m, e[i]);
        curl_easy_cleanup(e[i]);
        resp_free(&r[i]);
    }
    curl_multi_cleanup(m);
    curl_slist_free_all(h);
}

Test(fakeprov, keep_alive_serves_two_requests_on_one_connection)
{
    FakeProv *fp = start();
    char url[256];
    snprintf(url, sizeof url, "%s/v1/messages", fakeprov_url(fp));
    Resp r1, r2;
    memset(&r1, 0, sizeof r1);
    memset(&r2, 0, sizeof r2);
    CURL *c = make_easy(url, "{\"model\":\"happy\",\"stream\":true}", NULL, HANG_MS, &r1);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r2);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &r2);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    cr_assert(strstr(buf_str(&r2.body), "message_stop"));
    cr_assert_eq(fakeprov_count(fp, FAKE_ROUTE_ANTHROPIC), 2);
    cr_assert_eq(fakeprov_connections(fp), 1);
    resp_free(&r1);
    resp_free(&r2);
    fakeprov_stop(fp);
}

static size_t read_cb(char *buf, size_t sz, size_t n, void *user)
{
    const char **p = user;
    size_t len = strlen(*p);
    if (len > sz * n)
        len = sz * n;
    if (len > 7)
        len = 7; /* several request chunks */
    memcpy(buf, *p, len);
    *p += len;
    return len;
}

Test(fakeprov, chunked_request_bodies_are_read_whole)
{
    FakeProv *fp = start();
    char url[256];
    snprintf(url, sizeof url, "%s/api/chat", fakeprov_url(fp));
    const char *body = "{\"model\":\"happy\",\"messages\":[{\"role\":\"user\",\"content\":\"chunked\"}]}";
    const char *cursor = body;
    Resp r;
    memset(&r, 0, sizeof r);
    struct curl_slist *h = curl_slist_append(NULL, "Transfer-Encoding: chunked");
    CURL *c = make_easy(url, NULL, h, HANG_MS, &r);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &cursor);
    cr_assert_eq(curl_easy_perform(c), CURLE_OK);
    curl_easy_cleanup(c);
    curl_slist_free_all(h);
    FakeRequest rq;
    cr_assert_eq(fakeprov_last_request(fp, FAKE_ROUTE_OLLAMA, &rq), 0);
    cr_assert_str_eq(rq.body, body);
    fakeprov_request_free(&rq);
    cr_assert(strstr(buf_str(&r.body), "\"done\":true"));
    resp_free(&r);
    fakeprov_stop(fp);
}

/* ---- stopping ---------------------------------------------------------------- */

typedef struct Bg {
    FakeProv *fp;
    const char *model;
    Resp r;
} Bg;

static void *bg_post(void *arg)
{
    Bg *bg = arg;
    char body[128];
    snprintf(body, sizeof body, "{\"model\":\"%s\",\"stream\":true}", bg->model);
    post(bg->fp, "/v1/chat/completions", body, NULL, 0, &bg->r); /* no client timeout */
    return NULL;
}

Test(fakeprov, stop_ends_endless_and_hung_streams)
{
    FakeProv *fp = start();
    Bg bg[2] = { { .fp = fp, .model = "never-ends.ms20" }, { .fp = fp, .model = "accept-no-answer" } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, bg_post, &bg[i]);
    cr_assert(fakeprov_wait_count(fp, FAKE_ROUTE_OPENAI, 2, HANG_MS));
    /* the endless stream keeps sending "." deltas: wait for five of them */
    double t0 = clock_now_ms();
    while (body_count(&bg[0].r, DOT) < 5) {
        cr_assert_lt(clock_now_ms() - t0, HANG_MS, "the endless stream stopped sending");
        nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
    }
    /* The clients never give up (no timeout), so nothing but the stop can
     * end these two streams: stop returning, and the clients seeing the
     * connection end rather than a timeout, is the proof. */
    fakeprov_stop(fp);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        cr_assert_neq(bg[i].r.rc, CURLE_OK);
        cr_assert_neq(bg[i].r.rc, CURLE_OPERATION_TIMEDOUT, "%s: the client timed out, the stop did not end it",
                      bg[i].model);
    }
    cr_assert_geq(body_count(&bg[0].r, DOT), 5);
    resp_free(&bg[0].r);
    resp_free(&bg[1].r);
}

Test(fakeprov, replay_sends_a_transcript_byte_for_byte_or_404)
{
    FakeProv *fp = start();
    Resp r;
    post(fp, "/v1/messages", "{\"model\":\"replay-anthropic-happy.chunk5\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 200);
    const char *src = getenv("VERSUS_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/transcripts/anthropic-happy.sse", src && *src ? src : VERSUS_SRCDIR);
    FILE *f = fopen(path, "rb");
    cr_assert(f, "%s", path);
    Buf want = { 0 };
    char tmp[4096];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(&want, tmp, got);
    fclose(f);
    cr_assert_eq(r.body.len, want.len);
    cr_assert(memcmp(r.body.data, want.data, want.len) == 0);
    cr_assert_gt(r.n_writes, (int)(want.len / 5) - 2);
    buf_free(&want);
    resp_free(&r);
    post(fp, "/v1/messages", "{\"model\":\"replay-no-such-file\",\"stream\":true}", NULL, HANG_MS, &r);
    cr_assert_eq(r.status, 404);
    resp_free(&r);
    FakeScenario sc;
    cr_assert_eq(fake_scenario_parse("replay-../etc/passwd", &sc), -1, "no paths in replay names");
    fakeprov_stop(fp);
}

Test(fakeprov, long_reply_sends_n_deltas_at_the_asked_rate_then_ends_normally)
{
    FakeScenario sc;
    cr_assert_eq(fake_scenario_parse("long.tps2000.deltas400", &sc), 0);
    cr_assert_eq(sc.kind, FAKE_LONG);
    cr_assert_eq(sc.delta_us, 500);
    cr_assert_eq(sc.n_deltas, 400);
    FakeProv *fp = start();
    Resp r;
    const char *h[] = { "Authorization: Bearer sk-test-FAKE", NULL };
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    post(fp, "/v1/chat/completions",
         "{\"model\":\"long.tps2000.deltas400\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
         "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
         h, 10000, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
    cr_assert_eq(r.status, 200);
    Buf text = { 0 };
    long out = 0;
    bool done = false;
    openai_text(buf_str(&r.body), &text, &out, &done);
    cr_assert(done);
    cr_assert_eq(out, 400);
    cr_assert_eq(text.len, 3 + 4 * 398 + 1, "Tok + 398 x ' tok' + '.'");
    /* 398 gaps of 500 us on a fixed schedule: at least ~0.2 s (no upper bound: shared machines) */
    cr_assert_geq(ms, 190.0, "the rate was not held back (%.0f ms)", ms);
    buf_free(&text);
    resp_free(&r);
    fakeprov_stop(fp);
}
