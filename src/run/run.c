/* run.c — fan one Request out to every model and drive all streams (see run.h).
 *
 * Each model gets a RunStream: its resolved target, its Reply, and either an
 * HTTP transfer with a provider decoder or a local engine stream. Everything
 * happens on the caller's thread inside run_poll(): libcurl callbacks feed
 * decoders, decoders emit StreamEvents into the Reply, failures stay inside
 * their own stream. Retries (408/409/429/5xx/529, before any token) are
 * scheduled here, honouring retry-after. */
#include "run/run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/buf.h"
#include "util/clock.h"
#include "core/keyfilter.h"
#include "core/keys.h"
#include "core/prices.h"
#include "gpu/gpuinfo.h"
#include "net/http.h"
#include "engine/gguf.h"
#include "engine/model_ref.h"
#include "providers/provider.h"

#define RUN_ERROR_BODY_MAX (256u * 1024u)
#define RUN_IDLE_TIMEOUT_S 300.0

typedef struct RunStream {
    Run *run;
    size_t index;
    Reply *reply;
    ModelTarget target;
    const ProviderOps *ops; /* NULL for local */
    char *api_key;
    HttpRequestSpec spec;
    void *decoder;
    HttpTransfer *transfer;
    LocalStream *local;
    bool local_ended;
    bool fetching;        /* local: the model is being downloaded (no timeout, not in the metrics) */
    bool loading;         /* local: the model file is there and being loaded or run */
    bool load_ended;      /* local: loaded; the reply's times count from then */
    KeySink *keys;        /* every event passes through it: echoed keys are masked */
    Price price;
    bool price_known;
    bool startable;       /* resolved fine: run_start sends it */
    /* per attempt */
    int status;
    double retry_after_s; /* from retry-after / retry-after-ms headers, or < 0 */
    bool should_retry_false;
    Buf error_body;
    double retry_at_ms;   /* > 0 while a retry is scheduled */
    double vram_at_ms;    /* local: when the GPU memory was last read */
    double first_start_ms;
    bool stamp_at_send;
    bool reached;         /* some attempt got an answer (headers) from the provider */
    bool undelivered;     /* it failed before any attempt reached the provider: nothing was spent */   /* the first attempt waits for run_poll to go out: its clock starts then */
    Request rq;           /* the round's request as this model gets it: its own history,
                             its own reasoning setting */
    Message *history;     /* (n_history) owned copies of its conversation so far */
    size_t n_history;
} RunStream;

struct Run {
    const Config *cfg;
    char *prompt;
    char *system;
    Request rq;
    RunOptions opt;
    Http *http;
    PriceTable *prices;
    RunStream *streams; /* (n) */
    size_t n;
    RunObserverFn observer;
    void *observer_user;
    double last_network_ms; /* when run_poll last did network work */
};

RunOptions run_options_default(void)
{
    return (RunOptions){ .max_retries = 3, .backoff_base_s = 0.5, .max_retry_wait_s = 60.0,
                         .record = false,
                         .local = { .threads = 0, .backend = "auto", .gpu_layers = -1 } };
}

static void notify(RunStream *s, const StreamEvent *ev)
{
    if (s->run->observer)
        s->run->observer(s->run->observer_user, s->index, s->reply, ev);
}

static void update_cost(RunStream *s)
{
    Reply *r = s->reply;
    if (!reply_was_sent(r))
        return; /* nothing was sent: no cost, not even $0 */
    ReplyMetrics *m = &r->metrics;
    if (s->undelivered) {
        m->cost_usd = 0; /* could not connect: no provider saw it, none bills it */
        snprintf(m->cost_basis, sizeof m->cost_basis, "%s", PRICES_BASIS_UNDELIVERED);
        m->input_usd_per_mtok = m->output_usd_per_mtok = NAN;
        return;
    }
    Price p = s->price;
    const char *basis = "";
    if (s->price_known && p.local && !p.free_local) {
        /* the user's hardware: its hourly rate over the speed measured now */
        if (prices_local_rate(&p, reply_prompt_tokens_per_s(r), reply_decode_tokens_per_s(r)))
            basis = PRICES_BASIS_ESTIMATED;
    } else if (s->price_known) {
        basis = p.free_local ? PRICES_BASIS_FREE : PRICES_BASIS_TABLE;
    }
    if (s->price_known)
        m->cost_usd = prices_cost(&p, s->target.kind, &r->usage);
    else if (r->usage.reported_cost_usd >= 0)
        m->cost_usd = r->usage.reported_cost_usd;
    if (r->usage.reported_cost_usd >= 0)
        basis = PRICES_BASIS_REPORTED;
    if (isnan(m->cost_usd))
        basis = p.local && !s->price_known ? PRICES_BASIS_LOCAL_UNPRICED : "";
    snprintf(m->cost_basis, sizeof m->cost_basis, "%s", basis);
    bool rated = !isnan(m->cost_usd) && strcmp(basis, PRICES_BASIS_REPORTED) != 0;
    m->input_usd_per_mtok = rated ? p.input : NAN;
    m->output_usd_per_mtok = rated ? p.output : NAN;
}

/* The GPU memory picture for a local model's reply (live while it runs). */
static void update_vram(RunStream *s)
{
    if (s->ops)
        return;
    GpuInfo g = gpuinfo_query();
    s->vram_at_ms = clock_now_ms();
    Reply *r = s->reply;
    r->vram_known = true;
    r->gpu_present = g.present;
    r->vram_total_mib = g.total_mib;
    r->vram_used_mib = g.used_mib;
    r->vram_process_mib = g.process_mib;
    if (g.present)
        snprintf(r->gpu_name, sizeof r->gpu_name, "%s", g.name);
}

/* Releases text the key filter held back (it could have been the start of
 * a key) into the reply, before the reply becomes final some way other
 * than an event. */
static void release_held(RunStream *s)
{
    if (s->keys && !reply_is_final(s->reply))
        keysink_end(s->keys);
}

/* Every ending goes through here so the observer hears about it once. */
static void stream_finalise(RunStream *s)
{
    /* A recording in which a key was found decoded (split across events,
     * escaped) can not be masked byte for byte: it is not kept. */
    if (s->keys && keysink_masked(s->keys) && s->reply->recording.bytes.len) {
        ReplyRecording *rec = &s->reply->recording;
        memset(rec->bytes.data, 0, rec->bytes.len);
        buf_free(&rec->bytes);
        free(rec->chunks);
        rec->chunks = NULL;
        rec->n_chunks = rec->cap_chunks = 0;
        rec->enabled = false;
    }
    update_cost(s);
    /* A CUDA engine sends its own sample while the model is still on the
     * device; reading now (after it freed the GPU) would understate it. */
    if (reply_was_sent(s->reply) && !(s->reply->vram_known && strcmp(s->reply->backend, "cuda") == 0))
        update_vram(s);
    notify(s, NULL);
}

static void fail(RunStream *s, int http_status, const char *type, const char *message, const char *hint)
{
    if (reply_is_final(s->reply))
        return;
    release_held(s);
    reply_fail(s->reply, http_status, type, message, clock_now_ms());
    if (hint)
        reply_set_hint(s->reply, hint);
    stream_finalise(s);
}

/* Nothing was (or will be) sent: REPLY_NOT_SENT with the reason. */
static void refuse(RunStream *s, const char *type, const char *message, const char *hint)
{
    if (reply_is_final(s->reply))
        return;
    reply_not_sent(s->reply, type, message);
    if (hint)
        reply_set_hint(s->reply, hint);
}

/* The weights' type, for naming the model in results and reports: the
 * file's own quantization type (general.file_type: "Q4_K_M", as the file
 * and llama.cpp call it), else the type most of its tensor bytes are in
 * ("Q4_K"); "" when the file can not be read. */
static void main_weight_type(const char *path, char *out, size_t n)
{
    char err[256];
    out[0] = '\0';
    GgufFile *g = gguf_open(path, err, sizeof err);
    if (!g)
        return;
    const char *ftype = gguf_file_type_name(gguf_get_int(g, "general.file_type", -1));
    if (ftype) {
        snprintf(out, n, "%s", ftype);
        gguf_close(g);
        return;
    }
    uint64_t bytes[64] = { 0 };
    for (int64_t i = 0; i < gguf_tensor_count(g); i++) {
        const GgufTensor *t = gguf_tensor(g, i);
        if (t && (unsigned)t->type < 64)
            bytes[t->type] += t->nbytes;
    }
    unsigned best = 0;
    for (unsigned k = 1; k < 64; k++)
        if (bytes[k] > bytes[best])
            best = k;
    if (bytes[best])
        snprintf(out, n, "%s", gguf_type_name((GgmlType)best));
    gguf_close(g);
}

/* A local model's PROGRESS and ERROR events before it runs: the download is
 * kept out of the reply's times (and out of --timeout), and a model that can
 * not be found or fetched was never sent. Returns true when ev was consumed. */
static bool local_before_start(RunStream *s, const StreamEvent *ev, double now)
{
    if (s->ops || s->loading)
        return false;
    if (ev->kind == STREAM_EVENT_PROGRESS && ev->phase && strcmp(ev->phase, "download") == 0) {
        s->fetching = true;
    } else if (ev->kind == STREAM_EVENT_PROGRESS) {
        s->loading = true;
        char path[4096], err[256];
        if (!s->reply->quant[0] && model_ref_locate(s->target.model, path, sizeof path, err, sizeof err) == 1)
            main_weight_type(path, s->reply->quant, sizeof s->reply->quant); /* downloaded: now it can be read */
        if (s->fetching) { /* downloaded: the request starts now */
            s->fetching = false;
            s->first_start_ms = now;
            s->reply->metrics.t_start_ms = now;
        }
    } else if (ev->kind == STREAM_EVENT_ERROR && ev->error_type && strcmp(ev->error_type, "model") == 0) {
        refuse(s, "model", ev->error_message ? ev->error_message : "the model could not be resolved", NULL);
        stream_finalise(s);
        return true;
    }
    return false;
}

/* The end of a local model's load: its times start now (versus(1)
 * METRICS), like an API's, whose model is already loaded; the load is given
 * apart as load_ms. --timeout still counts from the request (first_start_ms). */
static void local_loaded(RunStream *s, const StreamEvent *ev, double now)
{
    if (s->ops || s->load_ended || ev->kind != STREAM_EVENT_PROGRESS || !ev->phase ||
        strcmp(ev->phase, "load") != 0 || ev->total <= 0 || ev->done < ev->total)
        return;
    s->load_ended = true;
    if (s->reply->metrics.t_first_ms < 0)
        s->reply->metrics.t_start_ms = now;
}

static void on_event(void *user, const StreamEvent *ev)
{
    RunStream *s = user;
    if (reply_is_final(s->reply))
        return;
    double now = clock_now_ms();
    if (local_before_start(s, ev, now))
        return;
    local_loaded(s, ev, now);
    reply_apply_event(s->reply, ev, now);
    if (ev->kind == STREAM_EVENT_USAGE)
        update_cost(s);
    if (!s->ops && now - s->vram_at_ms > 1000.0)
        update_vram(s); /* live, about once a second */
    notify(s, ev);
    if (reply_is_final(s->reply))
        stream_finalise(s);
}

/* Decoders and the engine emit into the key filter, which feeds on_event. */
static StreamSink stream_sink(RunStream *s) { return keysink_sink(s->keys); }

/* ---- building ---------------------------------------------------------- */

static const char *kind_hint_env(const RunStream *s)
{
    return s->target.key_env[0] ? s->target.key_env : "the key variable";
}

/* True when the user named url (same scheme, host and port) with --send-key-to. */
static bool key_url_named(const Run *run, const char *url)
{
    for (size_t i = 0; i < run->opt.n_key_urls; i++)
        if (target_same_endpoint(run->opt.key_urls[i], url))
            return true;
    return false;
}

static void stream_init(Run *run, RunStream *s, const char *spec)
{
    char err[512];
    s->run = run;
    s->retry_after_s = -1;
    ModelTarget *t = &s->target;
    if (target_resolve(run->cfg, spec, t, err, sizeof err) < 0) {
        s->reply = reply_new(spec, "", "");
        if (s->reply)
            reply_not_sent(s->reply, "config", err);
        return;
    }
    s->reply = reply_new(spec, t->provider, t->model);
    if (!s->reply)
        return;
    if (strcmp(t->kind, t->provider) != 0)
        snprintf(s->reply->kind, sizeof s->reply->kind, "%s", t->kind);
    if (t->alias_of[0] && reply_set_alias_of(s->reply, t->alias_of) < 0) {
        refuse(s, "internal", "out of memory", NULL);
        return;
    }
    s->keys = keysink_new((StreamSink){ .emit = on_event, .user = s });
    if (!s->keys) {
        refuse(s, "internal", "out of memory", NULL);
        return;
    }
    s->reply->recording.enabled = run->opt.record;
    bool is_local = strcmp(t->kind, "local") == 0;
    s->price_known = prices_lookup(run->prices, run->cfg, t->kind, t->provider, t->model,
                                   is_local || t->inside_perimeter ||
                                       (t->local_host && !provider_find(t->kind)->closed),
                                   &s->price);
    /* The data perimeter (decided in target_resolve): restricted rounds
     * never leave the machine. */
    if (run->rq.sensitivity == SENSITIVITY_RESTRICTED && !t->inside_perimeter) {
        char msg[1400];
        snprintf(msg, sizeof msg,
                 "refused: this round is marked restricted and %s is outside the data perimeter (%s); nothing was sent",
                 spec, t->perimeter_why);
        refuse(s, "sensitivity", msg,
               "use a local: model, or the exact base_url of a loopback/private server marked "
               "\"inside_perimeter\": true in the config");
        return;
    }
    if (is_local) {
        s->startable = true;
        return;
    }
    s->ops = provider_find(t->kind);
    if (t->key_env[0] || t->key_file[0]) {
        int missing = 0;
        s->api_key = keys_read(t->key_env, t->key_file, &missing, err, sizeof err);
        if (!s->api_key && !(missing && !s->ops->closed)) {
            refuse(s, "missing_key", err, NULL);
            return;
        }
    }
    /* A key goes only to the URL configured for it, or one the user named
     * with --send-key-to: a spec from a shared fixture can not redirect it. */
    if (s->api_key && !t->key_allowed && !key_url_named(run, t->base_url)) {
        char msg[1400], hint[700];
        char home[800] = "";
        if (t->key_home[0])
            snprintf(home, sizeof home, " (%s, from %s)", t->key_home, t->key_home_from);
        snprintf(msg, sizeof msg,
                 "refused: %s would send the key of provider '%s' to %s, which is not the URL that key belongs "
                 "to%s; nothing was sent", spec, t->provider, t->base_url, home);
        snprintf(hint, sizeof hint, "if you trust that server with the key, pass --send-key-to %s "
                 "(the workbench, run and replay take it), or make it the provider's base_url in the config", t->base_url);
        keys_free(s->api_key);
        s->api_key = NULL;
        refuse(s, "key_url", msg, hint);
        return;
    }
    /* "#EFFORT" on the spec (or the config's map) overrides the round's --reasoning */
    if (t->reasoning.effort != REASONING_UNSET)
        s->rq.params.reasoning = t->reasoning;
    reasoning_format(&s->rq.params.reasoning, s->reply->reasoning_request, sizeof s->reply->reasoning_request);
    ProviderTarget pt = { .ops = s->ops, .name = t->provider, .model = t->model,
                          .base_url = t->base_url, .api_key = s->api_key, .api = t->api[0] ? t->api : NULL };
    if (s->ops->build_request(&pt, &s->rq, &s->spec, err, sizeof err) < 0) {
        refuse(s, "request", err, NULL);
        return;
    }
    s->startable = true;
}

/* Copies one model's conversation into its stream and points its request
 * at it. 0 or -1 (out of memory). */
static int copy_history(RunStream *s, const RunHistory *h)
{
    if (!h || h->n == 0)
        return 0;
    s->history = calloc(h->n, sizeof *s->history);
    if (!s->history)
        return -1;
    for (size_t i = 0; i < h->n; i++) {
        const Message *m = &h->messages[i];
        char *c = strdup(m->content ? m->content : "");
        if (!c)
            return -1;
        s->history[s->n_history++] = (Message){
            .role = m->role && strcmp(m->role, "assistant") == 0 ? "assistant" : "user", .content = c };
    }
    s->rq.history = s->history;
    s->rq.n_history = s->n_history;
    return 0;
}

Run *run_new(const Config *cfg, const Request *rq, const char *const *specs, size_t n_specs,
             const RunOptions *opt, char *err, size_t errlen)
{
    Run *run = calloc(1, sizeof *run);
    if (!run) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    run->cfg = cfg;
    run->opt = opt ? *opt : run_options_default();
    run->opt.histories = NULL; /* copied into each stream below; the caller's may go */
    if (!run->opt.local.kv_type && cfg) /* the command line wins over the config */
        run->opt.local.kv_type = config_local_kv_type(cfg);
    run->rq = *rq;
    run->prompt = strdup(rq->prompt ? rq->prompt : "");
    run->system = rq->system ? strdup(rq->system) : NULL;
    run->rq.prompt = run->prompt;
    run->rq.system = run->system;
    run->rq.history = NULL; /* each stream holds its own copy */
    run->rq.n_history = 0;
    char perr[512] = "";
    run->prices = prices_load(perr, sizeof perr);
    /* A broken price table must not stop a run: costs just become unknown. */
    run->n = n_specs;
    run->streams = calloc(n_specs ? n_specs : 1, sizeof *run->streams);
    if (!run->prompt || !run->streams) {
        snprintf(err, errlen, "out of memory");
        run_free(run);
        return NULL;
    }
    for (size_t i = 0; i < n_specs; i++) {
        RunStream *s = &run->streams[i];
        s->index = i;
        s->rq = run->rq;
        /* each model's own conversation, or the one the request carries for all */
        RunHistory shared = { rq->history, rq->n_history };
        if (copy_history(s, opt && opt->histories ? &opt->histories[i] : &shared) < 0) {
            snprintf(err, errlen, "out of memory");
            run_free(run);
            return NULL;
        }
        stream_init(run, s, specs[i]);
        if (!run->streams[i].reply) {
            snprintf(err, errlen, "out of memory");
            run_free(run);
            return NULL;
        }
    }
    return run;
}

void run_set_observer(Run *run, RunObserverFn fn, void *user)
{
    run->observer = fn;
    run->observer_user = user;
}

size_t run_count(const Run *run) { return run->n; }
Reply *run_reply(Run *run, size_t i) { return i < run->n ? run->streams[i].reply : NULL; }

/* ---- HTTP callbacks ---------------------------------------------------- */

static double parse_retry_after(const char *v)
{
    char *end;
    double s = strtod(v, &end);
    if (end != v && (*end == '\0' || *end == ' '))
        return s >= 0 ? s : -1;
    /* HTTP-date form */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm)) {
        double when = (double)timegm(&tm);
        double d = when - clock_wall_s();
        return d > 0 ? d : 0;
    }
    return -1;
}

static void on_header(void *user, const char *name, const char *value)
{
    RunStream *s = user;
    s->reached = true;
    if (strcmp(name, "retry-after-ms") == 0) {
        char *end;
        double ms = strtod(value, &end);
        if (end != value && ms >= 0)
            s->retry_after_s = ms / 1000.0;
    } else if (strcmp(name, "retry-after") == 0 && s->retry_after_s < 0) {
        s->retry_after_s = parse_retry_after(value);
    } else if (strcmp(name, "x-should-retry") == 0) {
        s->should_retry_false = strcasecmp(value, "false") == 0;
    }
}

static bool on_body(void *user, int status, const char *bytes, size_t n)
{
    RunStream *s = user;
    s->status = status;
    if (status < 200 || status >= 300) {
        if (s->error_body.len < RUN_ERROR_BODY_MAX)
            buf_append(&s->error_body, bytes, n);
        return true;
    }
    if (reply_is_final(s->reply))
        return false;
    double now = clock_now_ms();
    s->reply->recording.http_status = status;
    reply_record(s->reply, bytes, n, now);
    StreamSink sink = stream_sink(s);
    s->ops->decoder_feed(s->decoder, bytes, n, &sink);
    /* A decoder that reported an error has made the reply final: stop reading. */
    return !reply_is_final(s->reply);
}

static bool status_retryable(int status)
{
    return status == 408 || status == 409 || status == 429 || status == 500 || status == 502 ||
           status == 503 || status == 504 || status == 529;
}

static const char *status_hint(const RunStream *s, int status, const ProviderError *pe)
{
    static char hint[256];
    if (status == 401 || status == 403 || pe->auth) {
        snprintf(hint, sizeof hint, "check the API key in %s (it was sent, but the provider refused it)",
                 kind_hint_env(s));
        return hint;
    }
    if (status == 404) {
        snprintf(hint, sizeof hint, "check the model name '%s' and the base URL %s",
                 s->target.model, s->target.base_url);
        return hint;
    }
    if (status == 429)
        return "rate limited: wait, lower the request rate, or check the account's quota";
    if (status == 529 || status == 503)
        return "the provider is overloaded; try again shortly";
    if (status >= 500)
        return "the provider had a server error; try again";
    return NULL;
}

static void start_transfer(RunStream *s);

static void on_done(void *user, int status, HttpFailure failure, const char *message)
{
    RunStream *s = user;
    Run *run = s->run;
    s->transfer = NULL;
    double now = clock_now_ms();
    if (failure == HTTP_FAIL_CANCELLED) {
        if (!reply_is_final(s->reply)) {
            release_held(s);
            reply_cancel(s->reply, now);
            stream_finalise(s);
        }
        return;
    }
    if (reply_is_final(s->reply))
        return;
    if (failure != HTTP_OK) {
        char msg[768];
        const char *type = failure == HTTP_FAIL_CONNECT ? "connection"
                         : failure == HTTP_FAIL_TIMEOUT ? "timeout"
                         : failure == HTTP_FAIL_TLS ? "tls"
                         : failure == HTTP_FAIL_RESET ? "reset" : "transfer";
        snprintf(msg, sizeof msg, "%s: %s", s->target.base_url, message);
        const char *hint = failure == HTTP_FAIL_CONNECT ? "is the server running and the URL right?"
                         : failure == HTTP_FAIL_TIMEOUT ? "raise --timeout, or check the server"
                         : NULL;
        /* no connection (or no TLS session): the request was never delivered */
        s->undelivered = !s->reached && (failure == HTTP_FAIL_CONNECT || failure == HTTP_FAIL_TLS);
        fail(s, status >= 200 ? status : 0, type, msg, hint);
        return;
    }
    if (status >= 200 && status < 300) {
        StreamSink sink = stream_sink(s);
        s->ops->decoder_end(s->decoder, &sink);
        if (reply_is_final(s->reply))
            return;
        if (s->reply->saw_done) {
            release_held(s);
            reply_finish(s->reply, now);
            stream_finalise(s);
        } else {
            fail(s, status, "truncated",
                 "the stream ended before the provider's end-of-stream marker; the text so far is kept",
                 "the connection was closed early (network, proxy or server); run it again");
        }
        return;
    }
    /* A non-2xx answer: the body is one JSON error document. */
    ProviderError pe;
    memset(&pe, 0, sizeof pe);
    pe.retry_after_s = -1;
    s->ops->parse_error(status, buf_str(&s->error_body), s->error_body.len, &pe);
    double wait = s->retry_after_s >= 0 ? s->retry_after_s : pe.retry_after_s;
    bool can_retry = status_retryable(status) && !pe.no_retry && !s->should_retry_false &&
                     s->reply->attempts <= run->opt.max_retries && s->reply->text.len == 0;
    if (can_retry) {
        if (wait < 0)
            wait = run->opt.backoff_base_s * (double)(1 << (s->reply->attempts - 1));
        if (wait <= run->opt.max_retry_wait_s) {
            s->retry_at_ms = now + wait * 1000.0;
            return;
        }
    }
    char msg[768];
    if (pe.message[0])
        snprintf(msg, sizeof msg, "%s", pe.message);
    else
        snprintf(msg, sizeof msg, "HTTP %d from %s with no error message", status, s->target.base_url);
    char type[64];
    snprintf(type, sizeof type, "%s", pe.type[0] ? pe.type : "http_error");
    const char *hint = status_hint(s, status, &pe);
    char hbuf[320];
    if (status_retryable(status) && s->reply->attempts > 1) {
        snprintf(hbuf, sizeof hbuf, "gave up after %d attempts; %s", s->reply->attempts,
                 hint ? hint : "try again later");
        hint = hbuf;
    } else if (can_retry && wait > run->opt.max_retry_wait_s) {
        snprintf(hbuf, sizeof hbuf, "the provider asked to retry after %.0f s, longer than versus waits (%.0f s)",
                 wait, run->opt.max_retry_wait_s);
        hint = hbuf;
    }
    fail(s, status, type, msg, hint);
}

static void start_transfer(RunStream *s)
{
    Run *run = s->run;
    char err[256];
    if (s->decoder)
        s->ops->decoder_free(s->decoder);
    s->decoder = s->ops->decoder_new();
    buf_reset(&s->error_body);
    s->status = 0;
    s->retry_after_s = -1;
    s->should_retry_false = false;
    double now = clock_now_ms();
    if (s->reply->attempts == 0) {
        s->first_start_ms = now;
        s->stamp_at_send = true; /* restamped when run_poll sends it */
    }
    reply_start(s->reply, now);
    /* TTFT and total time count from the first attempt, waits included. */
    s->reply->metrics.t_start_ms = s->first_start_ms;
    update_cost(s); /* free endpoints show $0 from the start, not "unknown" */
    if (!s->decoder) {
        fail(s, 0, "internal", "out of memory", NULL);
        return;
    }
    /* Restricted data never goes through a proxy: such requests connect
     * directly (to an endpoint inside the perimeter) whatever http_proxy,
     * https_proxy or ALL_PROXY say. */
    HttpOptions ho = { .timeout_s = run->rq.params.timeout_s, .connect_timeout_s = 10,
                       .idle_timeout_s = RUN_IDLE_TIMEOUT_S, .insecure_tls = s->target.insecure_tls,
                       .no_proxy = run->rq.sensitivity == SENSITIVITY_RESTRICTED || s->target.inside_perimeter };
    if (run->rq.params.timeout_s > 0 && run->rq.params.timeout_s < RUN_IDLE_TIMEOUT_S) {
        /* the whole-request timeout counts from the first attempt */
        double left = run->rq.params.timeout_s - (now - s->first_start_ms) / 1000.0;
        ho.timeout_s = left > 0.05 ? left : 0.05;
    }
    HttpCallbacks cb = { .on_header = on_header, .on_body = on_body, .on_done = on_done };
    s->transfer = http_start(run->http, &s->spec, &ho, &cb, s, err, sizeof err);
    if (!s->transfer && s->reply->attempts == 1) {
        refuse(s, "transfer", err, NULL); /* the first attempt never left */
        stream_finalise(s);
    } else if (!s->transfer) {
        fail(s, 0, "transfer", err, NULL);
    }
}

/* Starts a local model's job on the engine's worker, which resolves the
 * reference itself: a first-use download never blocks this loop. A reference
 * that is malformed or names a missing file is refused here, without the
 * network (model_ref_locate). */
static void start_local(RunStream *s)
{
    char path[4096], err[512];
    if (model_ref_locate(s->target.model, path, sizeof path, err, sizeof err) < 0) {
        refuse(s, "model", err, NULL); /* never started: no time, no cost */
        stream_finalise(s);
        return;
    }
    main_weight_type(path, s->reply->quant, sizeof s->reply->quant);
    double now = clock_now_ms();
    s->first_start_ms = now;
    reply_start(s->reply, now);
    update_cost(s);
    update_vram(s);
    s->local = local_stream_start(s->target.model, &s->rq, &s->run->opt.local, s->reply, err, sizeof err);
    if (!s->local)
        fail(s, 0, "engine", err, NULL);
}

int run_start(Run *run)
{
    char err[256];
    run->http = http_new(err, sizeof err);
    if (!run->http) {
        for (size_t i = 0; i < run->n; i++) {
            RunStream *s = &run->streams[i];
            refuse(s, "transfer", err, NULL); /* those refused in run_new keep their reason */
            stream_finalise(s);
        }
        return -1;
    }
    for (size_t i = 0; i < run->n; i++) {
        RunStream *s = &run->streams[i];
        if (reply_is_final(s->reply)) {
            stream_finalise(s); /* refused or misconfigured: report it */
            continue;
        }
        if (!s->startable)
            continue;
        if (s->ops)
            start_transfer(s);
        else
            start_local(s);
    }
    return 0;
}

bool run_done(const Run *run)
{
    for (size_t i = 0; i < run->n; i++)
        if (!reply_is_final(run->streams[i].reply))
            return false;
    return true;
}

static void check_local_timeouts(Run *run, double now)
{
    double limit = run->rq.params.timeout_s;
    if (limit <= 0)
        return;
    for (size_t i = 0; i < run->n; i++) {
        RunStream *s = &run->streams[i];
        if (s->local && !s->fetching && !reply_is_final(s->reply) && now - s->first_start_ms > limit * 1000.0) {
            local_stream_cancel(s->local);
            char msg[128];
            snprintf(msg, sizeof msg, "timed out after %.1f s", limit);
            fail(s, 0, "timeout", msg, "raise --timeout");
        }
    }
}

/* Waits on the caller's fds alone until the batching gap has passed; returns
 * how many are ready (0 when the gap ran out), or -1. */
static int wait_gap(Run *run, struct pollfd *extra, size_t n_extra, int *timeout_ms)
{
    double gap = run->opt.min_poll_gap_ms - (clock_now_ms() - run->last_network_ms);
    if (gap <= 0)
        return 0;
    int wait = (int)gap + 1;
    if (*timeout_ms >= 0 && *timeout_ms < wait)
        wait = *timeout_ms;
    int r = poll(extra, n_extra, wait);
    if (r != 0)
        return r;
    if (*timeout_ms >= 0)
        *timeout_ms = *timeout_ms > wait ? *timeout_ms - wait : 0;
    return 0;
}

int run_poll(Run *run, struct pollfd *extra, size_t n_extra, int timeout_ms)
{
    if (!run->http)
        return -1;
    if (run->opt.min_poll_gap_ms > 0) {
        int r = wait_gap(run, extra, n_extra, &timeout_ms);
        if (r != 0)
            return r; /* a key or a signal pipe: let the caller react first */
    }
    struct pollfd fds[64];
    size_t nf = 0;
    for (size_t i = 0; i < n_extra && nf < 48; i++)
        fds[nf++] = extra[i];
    size_t local_base = nf;
    size_t local_idx[16];
    size_t nl = 0;
    double now = clock_now_ms();
    for (size_t i = 0; i < run->n && nl < 16; i++) {
        RunStream *s = &run->streams[i];
        if (s->local && !s->local_ended) {
            fds[nf++] = (struct pollfd){ .fd = local_stream_fd(s->local), .events = POLLIN };
            local_idx[nl++] = i;
        }
        if (s->retry_at_ms > 0) {
            int until = (int)(s->retry_at_ms - now);
            if (until < 0)
                until = 0;
            if (timeout_ms < 0 || until < timeout_ms)
                timeout_ms = until;
        }
    }
    if (nl > 0 && (timeout_ms < 0 || timeout_ms > 100))
        timeout_ms = 100; /* local timeouts are checked on this beat */
    /* A request goes out in this poll: what its caller did between run_start
     * and now (the workbench saves the round and draws) is not the API's
     * latency, so its clock starts here. */
    now = clock_now_ms();
    for (size_t i = 0; i < run->n; i++) {
        RunStream *s = &run->streams[i];
        if (s->stamp_at_send) {
            s->stamp_at_send = false;
            if (s->reply->metrics.t_first_ms < 0 && !reply_is_final(s->reply)) {
                s->first_start_ms = now;
                s->reply->metrics.t_start_ms = now;
            }
        }
    }
    int ready = http_poll(run->http, fds, nf, timeout_ms);
    if (ready < 0)
        return -1;
    run->last_network_ms = clock_now_ms();
    int extra_ready = 0;
    for (size_t i = 0; i < n_extra && i < local_base; i++) {
        extra[i].revents = fds[i].revents;
        if (fds[i].revents)
            extra_ready++;
    }
    for (size_t k = 0; k < nl; k++) {
        RunStream *s = &run->streams[local_idx[k]];
        if (!fds[local_base + k].revents)
            continue;
        StreamSink sink = stream_sink(s);
        if (local_stream_pump(s->local, &sink) == 1) {
            s->local_ended = true;
            if (!reply_is_final(s->reply)) {
                release_held(s);
                reply_finish(s->reply, clock_now_ms());
                stream_finalise(s);
            }
        }
    }
    now = clock_now_ms();
    for (size_t i = 0; i < run->n; i++) {
        RunStream *s = &run->streams[i];
        if (s->retry_at_ms > 0 && now >= s->retry_at_ms) {
            s->retry_at_ms = 0;
            if (!reply_is_final(s->reply))
                start_transfer(s);
        }
    }
    check_local_timeouts(run, now);
    return extra_ready;
}

void run_wakeup(Run *run)
{
    if (run->http)
        http_wakeup(run->http);
}

void run_cancel_one(Run *run, size_t i)
{
    if (i >= run->n)
        return;
    RunStream *s = &run->streams[i];
    if (s->transfer) {
        http_cancel(run->http, s->transfer); /* on_done marks it cancelled */
        return;
    }
    if (s->local)
        local_stream_cancel(s->local);
    s->retry_at_ms = 0;
    if (!reply_is_final(s->reply)) {
        release_held(s);
        reply_cancel(s->reply, clock_now_ms());
        stream_finalise(s);
    }
}

void run_cancel(Run *run)
{
    for (size_t i = 0; i < run->n; i++)
        run_cancel_one(run, i);
}

void run_wait(Run *run, volatile int *cancel)
{
    while (!run_done(run)) {
        if (cancel && *cancel) {
            run_cancel(run);
            break;
        }
        if (run_poll(run, NULL, 0, 1000) < 0)
            break;
    }
}

void run_free(Run *run)
{
    if (!run)
        return;
    for (size_t i = 0; i < run->n; i++) {
        RunStream *s = &run->streams[i];
        if (s->transfer)
            http_cancel(run->http, s->transfer);
        if (s->local) {
            local_stream_cancel(s->local);
            local_stream_free(s->local);
        }
        if (s->decoder)
            s->ops->decoder_free(s->decoder);
        http_spec_free(&s->spec);
        keysink_free(s->keys);
        keys_free(s->api_key);
        buf_free(&s->error_body);
        reply_free(s->reply);
        for (size_t k = 0; k < s->n_history; k++)
            free((char *)s->history[k].content);
        free(s->history);
    }
    http_free(run->http);
    prices_free(run->prices);
    free(run->streams);
    free(run->prompt);
    free(run->system);
    free(run);
}
