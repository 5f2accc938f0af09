/* local.c — the built-in engine as a stream source (see local.h): turns a
 * Request into an engine job on a worker thread (which also resolves the
 * model reference, downloading a first-use hf:// file), and the worker's
 * messages into StreamEvents (PROGRESS while the model is fetched and loaded;
 * the model's thinking as REASONING, apart from its answer) and the Reply's
 * local extras (prompt ids, which chat template formatted the prompt,
 * backend, load time, resident memory, GPU memory while the model was on the
 * GPU). Not for model resolution (engine/model_ref.c) or anything numeric
 * (engine/). */
#include "providers/local.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "engine/engine.h"

struct LocalStream {
    EngineWorker *w;
    Reply *reply;   /* borrowed: the run owns it and outlives the stream */
    bool ended;
    bool loading;   /* the worker has resolved the model and started loading it */
    bool raw;       /* --raw: the prompt went without a chat template */
    char label[128];        /* the model file's name, from PROGRESS */
    int64_t load_total;     /* bytes of the model file, or -1 */
    long n_prompt, n_output; /* from the USAGE message, repeated in TIMINGS */
};

bool local_engine_available(void) { return true; }

/* A seed for unseeded requests: the kernel's randomness, or the clock. */
static uint64_t fresh_seed(void)
{
    uint64_t s;
    if (getrandom(&s, sizeof s, GRND_NONBLOCK) == (ssize_t)sizeof s)
        return s;
    return (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(clock_now_ms() * 1000.0);
}

/* Request parameters over the engine's defaults (unset = default). */
static EngineGenParams gen_params(const Params *p)
{
    EngineGenParams g = { .sampler = sampler_params_default(), .max_tokens = 0 };
    if (!isnan(p->temperature))
        g.sampler.temperature = (float)p->temperature;
    if (!isnan(p->top_p))
        g.sampler.top_p = (float)p->top_p;
    if (p->top_k != PARAM_UNSET_INT)
        g.sampler.top_k = (int)(p->top_k > 1000000 ? 1000000 : p->top_k);
    if (!isnan(p->min_p))
        g.sampler.min_p = (float)p->min_p;
    if (!isnan(p->repeat_penalty))
        g.sampler.repeat_penalty = (float)p->repeat_penalty;
    g.sampler.seed = p->seed_set && p->seed >= 0 ? (uint64_t)p->seed : fresh_seed();
    if (p->max_tokens != PARAM_UNSET_INT && p->max_tokens > 0)
        g.max_tokens = (int)(p->max_tokens > 1 << 24 ? 1 << 24 : p->max_tokens);
    return g;
}

/* --reasoning as chat template flags: enable_thinking (Qwen 3, DeepSeek, ...)
 * and reasoning_effort (gpt-oss, whose least is "low"); a budget picks the
 * level it stands for (reasoning_level). Unset: the template's defaults. */
static void local_reasoning(const Reasoning *r, ChatThinking *thinking, const char **effort)
{
    *thinking = CHAT_THINKING_DEFAULT;
    *effort = NULL;
    if (r->effort == REASONING_UNSET)
        return;
    bool off = r->effort == REASONING_OFF || (r->effort == REASONING_BUDGET && r->budget_tokens <= 0);
    *thinking = off ? CHAT_THINKING_OFF : CHAT_THINKING_ON;
    ReasoningEffort level = off ? REASONING_LOW : reasoning_level(r);
    *effort = level == REASONING_HIGH ? "high" : level == REASONING_MEDIUM ? "medium" : "low";
}

LocalStream *local_stream_start(const char *model_ref, const Request *rq, const LocalOptions *opt,
                                Reply *reply, char *err, size_t errlen)
{
    if (!model_ref) {
        snprintf(err, errlen, "no model given");
        return NULL;
    }
    EngineBackend backend = ENGINE_BACKEND_AUTO;
    if (opt && engine_backend_parse(opt->backend, &backend) < 0) {
        snprintf(err, errlen, "unknown backend '%s' (auto, cpu or cuda)", opt->backend);
        return NULL;
    }
    int gpu_layers = opt ? opt->gpu_layers : -1; /* -1 = all that fit */
    if (gpu_layers == 0) { /* no layer on the GPU: that is the CPU backend */
        if (backend == ENGINE_BACKEND_CUDA) {
            snprintf(err, errlen, "--gpu-layers 0 leaves nothing for the GPU: use --backend cpu, or give "
                                  "a layer count");
            return NULL;
        }
        backend = ENGINE_BACKEND_CPU;
    }
    LocalStream *ls = calloc(1, sizeof *ls);
    if (!ls) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ls->reply = reply;
    ls->raw = rq->params.raw;
    ls->n_prompt = ls->n_output = -1;
    ls->load_total = -1;
    /* a conversation goes to the model's own chat template as messages
     * (the worker copies them) */
    ChatMessage *msgs = NULL;
    size_t n_msgs = 0;
    if (rq->n_history > 0) {
        msgs = calloc(rq->n_history + 2, sizeof *msgs);
        if (!msgs) {
            free(ls);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        if (rq->system && rq->system[0])
            msgs[n_msgs++] = (ChatMessage){ "system", rq->system, NULL };
        for (size_t i = 0; i < rq->n_history; i++)
            msgs[n_msgs++] = (ChatMessage){ rq->history[i].role, rq->history[i].content, NULL };
        msgs[n_msgs++] = (ChatMessage){ "user", rq->prompt ? rq->prompt : "", NULL };
    }
    EngineJob job = {
        .model_ref = model_ref,
        .messages = msgs,
        .n_messages = n_msgs,
        .opt = { .n_threads = opt ? opt->threads : 0, .backend = backend,
                 .gpu_layers = gpu_layers > 0 ? gpu_layers : 0, .kv_type = opt ? opt->kv_type : NULL },
        .system = rq->system,
        .prompt = rq->prompt ? rq->prompt : "",
        .raw = rq->params.raw,
        .gen = gen_params(&rq->params),
    };
    if (rq->params.context_length != PARAM_UNSET_INT && rq->params.context_length > 0)
        job.opt.n_ctx = (int)(rq->params.context_length > 1 << 20 ? 1 << 20 : rq->params.context_length);
    local_reasoning(&rq->params.reasoning, &job.thinking, &job.reasoning_effort);
    ls->w = engine_worker_start(&job, err, errlen);
    free(msgs);
    if (!ls->w) {
        free(ls);
        return NULL;
    }
    if (reply) /* auto: known once the worker has loaded the model */
        snprintf(reply->backend, sizeof reply->backend, "%s",
                 backend == ENGINE_BACKEND_CPU ? "cpu" : backend == ENGINE_BACKEND_CUDA ? "cuda" : "");
    return ls;
}

int local_stream_fd(const LocalStream *ls) { return ls ? engine_worker_fd(ls->w) : -1; }

static void set_prompt_ids(Reply *r, const int *ids, size_t n)
{
    free(r->prompt_token_ids);
    r->prompt_token_ids = NULL;
    r->n_prompt_token_ids = 0;
    if (n == 0)
        return;
    r->prompt_token_ids = malloc(n * sizeof *ids);
    if (!r->prompt_token_ids)
        return;
    memcpy(r->prompt_token_ids, ids, n * sizeof *ids);
    r->n_prompt_token_ids = n;
}

int local_stream_pump(LocalStream *ls, const StreamSink *sink)
{
    if (!ls || ls->ended)
        return 1;
    EngineMsg m;
    int rc;
    while ((rc = engine_worker_read(ls->w, &m)) == 1) {
        switch (m.kind) {
        case ENGINE_MSG_PROGRESS:
            if (strcmp(m.phase, "load") == 0) {
                ls->loading = true;
                ls->load_total = m.total;
            }
            snprintf(ls->label, sizeof ls->label, "%s", m.text);
            stream_emit_progress(sink, m.phase, ls->label, m.done, m.total);
            break;
        case ENGINE_MSG_LOADED:
            if (ls->reply) {
                ls->reply->metrics.load_ms = m.load_ms;
                snprintf(ls->reply->backend, sizeof ls->reply->backend, "%s", m.backend);
            }
            /* the load phase is over (its size, or 1 of 1 when the size was not known) */
            stream_emit_progress(sink, "load", ls->label, ls->load_total >= 0 ? ls->load_total : 1,
                                 ls->load_total >= 0 ? ls->load_total : 1);
            break;
        case ENGINE_MSG_PROMPT:
            if (ls->reply) {
                set_prompt_ids(ls->reply, m.ids, m.n_ids);
                snprintf(ls->reply->chat_template, sizeof ls->reply->chat_template, "%s", m.text);
                ls->reply->chat_template_fallback = m.fallback;
                ls->reply->chat_template_raw = ls->raw;
            }
            break;
        case ENGINE_MSG_TOKEN: {
            StreamEvent ev = stream_event_init(m.thinking ? STREAM_EVENT_REASONING : STREAM_EVENT_DELTA);
            ev.text = m.text;
            ev.len = m.len;
            ev.token_id = m.token;
            if (sink && sink->emit)
                sink->emit(sink->user, &ev);
            break;
        }
        case ENGINE_MSG_USAGE: {
            Usage u = usage_unknown();
            ls->n_prompt = m.n_prompt;
            ls->n_output = m.n_output;
            u.input_tokens = m.n_prompt;
            u.output_tokens = m.n_output;
            u.reasoning_tokens = m.n_reasoning; /* -1 (not reported) when the model does not think */
            stream_emit_usage(sink, u);
            break;
        }
        case ENGINE_MSG_TIMINGS: {
            if (ls->reply) {
                ls->reply->metrics.rss_mib = m.rss_mib;
                if (m.vram_known) { /* read with the model still on the GPU */
                    ls->reply->vram_known = true;
                    ls->reply->gpu_present = m.gpu_present;
                    ls->reply->vram_total_mib = m.vram_total_mib;
                    ls->reply->vram_used_mib = m.vram_used_mib;
                    ls->reply->vram_process_mib = m.vram_process_mib;
                }
            }
            StreamEvent ev = stream_event_init(STREAM_EVENT_TIMINGS);
            ev.server_prompt_tokens_per_s = m.prompt_tokens_per_s;
            ev.server_output_tokens_per_s = m.output_tokens_per_s;
            ev.server_prompt_tokens = ls->n_prompt;
            ev.server_output_tokens = ls->n_output;
            if (sink && sink->emit)
                sink->emit(sink->user, &ev);
            break;
        }
        case ENGINE_MSG_FINISH:
            if (strcmp(m.text, "cancelled") != 0) /* a cancel is the caller's own doing */
                stream_emit_finish(sink, m.text);
            break;
        case ENGINE_MSG_ERROR:
            /* before loading began, the model could not be found or downloaded */
            stream_emit_error(sink, 0, ls->loading ? "engine" : "model", m.text);
            ls->ended = true;
            return 1;
        case ENGINE_MSG_DONE:
            stream_emit_done(sink);
            ls->ended = true;
            return 1;
        }
    }
    if (rc < 0) {
        stream_emit_error(sink, 0, "engine", "the engine worker stopped without finishing its reply");
        ls->ended = true;
        return 1;
    }
    return 0;
}

void local_stream_cancel(LocalStream *ls)
{
    if (ls)
        engine_worker_cancel(ls->w);
}

void local_stream_free(LocalStream *ls)
{
    if (!ls)
        return;
    engine_worker_free(ls->w);
    free(ls);
}
