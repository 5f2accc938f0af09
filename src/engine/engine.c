/* engine.c — the built-in engine (see engine.h): load (GGUF + model + thread
 * pool + tokenizer + chat template), the generate loop with its timings, the
 * bench entry points, and the worker thread with its framed socket protocol.
 *
 * The backend choice lives here too: every forward pass goes through
 * engine_forward()/engine_logits(), which run model.c on the CPU or
 * backend_cuda.h on the GPU.
 *
 * Not here: the network of the model (model.c), its GPU version
 * (backend_cuda.c), token selection (sampler.c), text <-> ids (tokenizer.c,
 * chat_template.c), StreamEvents (local.c). */
#include "engine/engine.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "util/errmsg.h"
#include "util/buf.h"
#include "util/clock.h"
#include "gpu/gpuinfo.h"
#include "engine/backend_cuda.h"
#include "engine/chat_template.h"
#include "engine/kvcache.h"
#include "engine/model_ref.h"
#include "engine/threadpool.h"
#include "engine/token_decoder.h"
#include "engine/tokenizer.h"

struct Engine {
    GgufFile *g;
    Model *m;
    ThreadPool *pool;
    Tokenizer *tok;
    ChatTemplate tmpl;    /* the model's chat template, or the fallback family (chat_template.h) */
    int stop_ids[16];     /* tokens that end the assistant's turn in it */
    size_t n_stop;
    double load_ms;
    int n_threads;
    int batch;            /* prefill chunk, tokens: also the cancel granularity */
    CudaModel *cm;        /* the GPU copy of the model, or NULL on the CPU backend */
    float *cuda_logits;   /* (n_vocab) the last forward's logits, copied back from the GPU */
    int gpu_layers;       /* layers resident in device memory (cuda) */
    char note[320];       /* why auto settled on the CPU, or "" */
};

/* ---- load ------------------------------------------------------------------------ */

int engine_backend_parse(const char *name, EngineBackend *b)
{
    if (!name || strcmp(name, "auto") == 0)
        *b = ENGINE_BACKEND_AUTO;
    else if (strcmp(name, "cpu") == 0)
        *b = ENGINE_BACKEND_CPU;
    else if (strcmp(name, "cuda") == 0)
        *b = ENGINE_BACKEND_CUDA;
    else
        return -1;
    return 0;
}

/* Device memory left free beyond the plan: allocation rounding, kernel launch
 * state, and room for whatever else shares the GPU. */
#define CUDA_HEADROOM (256ull << 20)
#define MIB(b) ((double)(b) / 1048576.0)
#define ENGINE_JOIN_WAIT_S 5 /* how long freeing a cancelled worker waits for it to end */

/* Moves the model onto the GPU when opt asks for it and it can run there.
 * Returns 0 (e->cm set, or left NULL with e->note saying why for auto), or
 * -1 with err when CUDA was asked for explicitly and cannot run. */
static int engine_try_cuda(Engine *e, const char *path, const EngineOptions *opt, char *err, size_t errlen)
{
    if (!opt || opt->backend == ENGINE_BACKEND_CPU)
        return 0;
    bool must = opt->backend == ENGINE_BACKEND_CUDA;
    const ModelConfig *c = model_config(e->m);
    bool all = opt->gpu_layers <= 0 || opt->gpu_layers >= c->n_layers;
    CudaOptions co = { .gpu_layers = all ? c->n_layers : opt->gpu_layers, .batch = opt->batch };
    CudaPlan plan;
    uint64_t fr = 0, tot = 0;
    char why[256] = "";
    if (cuda_model_plan(e->g, e->m, &co, &plan, why, sizeof why) < 0 ||
        cuda_device_memory(co.device, &fr, &tot, why, sizeof why) < 0)
        goto unavailable;
    uint64_t room = fr > CUDA_HEADROOM ? fr - CUDA_HEADROOM : 0;
    if (plan.total_device > room) {
        /* explicit cuda without a layer count: as many layers as fit, the rest over PCIe */
        int fit = must && opt->gpu_layers <= 0 ? cuda_model_layers_that_fit(e->g, e->m, &co, room) : -1;
        if (fit < 1) {
            snprintf(why, sizeof why, "the model needs %.0f MiB on the GPU (%d of %d layers), %.0f MiB free of %.0f MiB",
                     MIB(plan.total_device + CUDA_HEADROOM), co.gpu_layers, c->n_layers, MIB(fr), MIB(tot));
            goto unavailable;
        }
        co.gpu_layers = fit;
    }
    e->cuda_logits = malloc((size_t)c->n_vocab * sizeof *e->cuda_logits);
    if (!e->cuda_logits) {
        snprintf(why, sizeof why, "out of memory");
        goto unavailable;
    }
    e->cm = cuda_model_new(e->g, e->m, &co, why, sizeof why);
    if (!e->cm)
        goto unavailable;
    CudaModelInfo info;
    cuda_model_info(e->cm, &info);
    e->gpu_layers = info.gpu_layers;
    if (!(opt->batch > 0))
        e->batch = 512; /* the GPU's prefill chunk (CudaOptions' default) */
    return 0;
unavailable:
    free(e->cuda_logits);
    e->cuda_logits = NULL;
    if (must) {
        errmsg_set(err, errlen, "%s: the CUDA backend cannot run this model: %s", path, why);
        return -1;
    }
    snprintf(e->note, sizeof e->note, "CUDA not used: %s", why);
    return 0;
}

Engine *engine_load(const char *path, const EngineOptions *opt, char *err, size_t errlen)
{
    double t0 = clock_now_ms();
    Engine *e = calloc(1, sizeof *e);
    if (!e) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    char inner[512];
    e->g = gguf_open(path, err, errlen);
    if (!e->g)
        goto fail;
    /* The weights are read from the mapping at every token: a file larger
     * than the machine's memory would page from disk forever. Say so before
     * anything is allocated (a GPU run streams it to the device instead). */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double ram = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    if (ram > 0 && (double)gguf_file_size(e->g) > ram && !(opt && opt->backend == ENGINE_BACKEND_CUDA)) {
        errmsg_set(err, errlen, "%s: the model is %.1f GiB but this machine has %.1f GiB of memory; use a smaller "
                "or more quantized file", path, (double)gguf_file_size(e->g) / 1073741824.0, ram / 1073741824.0);
        goto fail;
    }
    /* Below a few MiB of weights a matrix product is shorter than a thread
     * hand-off: such toy models run on the caller's thread unless told otherwise. */
    int threads = opt && opt->n_threads > 0 ? opt->n_threads : gguf_file_size(e->g) < (8u << 20) ? 1 : 0;
    e->pool = threadpool_new(threads);
    if (!e->pool) {
        errmsg_set(err, errlen, "cannot start the engine's threads");
        goto fail;
    }
    e->n_threads = threadpool_size(e->pool);
    e->batch = opt && opt->batch > 0 ? opt->batch : 64;
    ModelOptions mo = { .n_ctx = opt ? opt->n_ctx : 0, .batch = e->batch, .pool = e->pool };
    if (opt && opt->kv_type) {
        KvType kt;
        if (kv_type_parse(opt->kv_type, &kt) < 0) {
            errmsg_set(err, errlen, "unknown KV cache type '%s' (f32, f16 or q8_0)", opt->kv_type);
            goto fail;
        }
        mo.kv_type = (int)kt;
        mo.kv_type_set = true;
    }
    e->m = model_new(e->g, &mo, inner, sizeof inner);
    if (!e->m) {
        errmsg_set(err, errlen, "%s: %s", path, inner);
        goto fail;
    }
    e->tok = tokenizer_load(e->g, inner, sizeof inner);
    if (!e->tok) {
        errmsg_set(err, errlen, "%s: tokenizer: %s", path, inner);
        goto fail;
    }
    if (tokenizer_vocab_size(e->tok) > (size_t)model_config(e->m)->n_vocab) {
        errmsg_set(err, errlen, "%s: the vocabulary (%zu tokens) is larger than the embedding (%d rows)", path,
                tokenizer_vocab_size(e->tok), model_config(e->m)->n_vocab);
        goto fail;
    }
    chat_template_from_gguf(&e->tmpl, e->g, e->tok);
    e->n_stop = chat_template_stop_ids(&e->tmpl, e->tok, e->stop_ids, sizeof e->stop_ids / sizeof e->stop_ids[0]);
    if (engine_try_cuda(e, path, opt, err, errlen) < 0)
        goto fail;
    if (!e->cm && model_prepare(e->m, inner, sizeof inner) < 0) { /* the CPU runs it: repack now */
        errmsg_set(err, errlen, "%s: %s", path, inner);
        goto fail;
    }
    e->load_ms = clock_now_ms() - t0;
    return e;
fail:
    engine_free(e);
    return NULL;
}

void engine_free(Engine *e)
{
    if (!e)
        return;
    cuda_model_free(e->cm);
    free(e->cuda_logits);
    chat_template_free(&e->tmpl);
    tokenizer_free(e->tok);
    model_free(e->m);
    threadpool_free(e->pool);
    gguf_close(e->g);
    free(e);
}

Model *engine_model(Engine *e) { return e->m; }
const GgufFile *engine_gguf(const Engine *e) { return e->g; }
double engine_load_ms(const Engine *e) { return e->load_ms; }
int engine_threads(const Engine *e) { return e->n_threads; }
const char *engine_backend(const Engine *e) { return e->cm ? "cuda" : "cpu"; }
const char *engine_backend_note(const Engine *e) { return e->note; }
int engine_gpu_layers(const Engine *e) { return e->cm ? e->gpu_layers : 0; }
bool engine_is_eog(const Engine *e, int token)
{
    if (tokenizer_is_eog(e->tok, token))
        return true;
    for (size_t i = 0; i < e->n_stop; i++)
        if (e->stop_ids[i] == token)
            return true;
    return false;
}

const ChatTemplate *engine_chat_template(const Engine *e) { return &e->tmpl; }
int engine_bos(const Engine *e) { return tokenizer_bos(e->tok); }

/* The prompt text for in: the model's template (or its fallback), or the raw texts. */
static int render_prompt(Engine *e, const ChatInput *in, bool raw, ChatPrompt *p, EnginePromptInfo *info, char *err,
                         size_t errlen)
{
    ChatTemplate raw_tmpl;
    chat_template_init(&raw_tmpl, CHAT_RAW);
    const ChatTemplate *ct = raw ? &raw_tmpl : &e->tmpl;
    char why[512];
    int rc = chat_template_render(ct, in, true, p, why, sizeof why);
    if (rc == CHAT_TEMPLATE_REFUSED)
        return errmsg_set(err, errlen, "the model's chat template refuses this conversation: %s", why);
    if (rc < 0)
        return errmsg_set(err, errlen, "cannot build the prompt: %s", why);
    if (info) {
        memset(info, 0, sizeof *info);
        if (raw) {
            snprintf(info->template_note, sizeof info->template_note,
                     "raw: no chat template, the text as given (special-token text in it is parsed)");
        } else {
            snprintf(info->template_note, sizeof info->template_note, "%s", p->note);
            info->fallback = p->fallback;
            info->reasoning = ct->reasoning;
            snprintf(info->think_open, sizeof info->think_open, "%s", ct->think_open);
            snprintf(info->think_close, sizeof info->think_close, "%s", ct->think_close);
            info->thinking_open = p->thinking_open;
        }
    }
    return 0;
}

/* Drops the BOS text a template wrote at the start when the tokenizer adds
 * BOS itself, and the EOS text at the end when it adds EOS (llama.cpp does
 * the same with rendered templates). */
static void strip_bos_eos_text(const Engine *e, ChatPrompt *p)
{
    size_t n;
    const char *t;
    if (tokenizer_adds_bos(e->tok) && (t = tokenizer_token_text(e->tok, tokenizer_bos(e->tok), &n)) && n &&
        p->len >= n && memcmp(p->text, t, n) == 0 && (!p->input || !p->input[0])) {
        memmove(p->text, p->text + n, p->len - n + 1);
        if (p->input)
            memmove(p->input, p->input + n, p->len - n);
        p->len -= n;
    }
    if (tokenizer_adds_eos(e->tok) && (t = tokenizer_token_text(e->tok, tokenizer_eos(e->tok), &n)) && n &&
        p->len >= n && memcmp(p->text + p->len - n, t, n) == 0 && (!p->input || !p->input[p->len - 1])) {
        p->len -= n;
        p->text[p->len] = '\0';
    }
}

int engine_build_chat_prompt(Engine *e, const ChatInput *in, bool raw, int **ids, size_t *n, EnginePromptInfo *info,
                             char *err, size_t errlen)
{
    *ids = NULL;
    *n = 0;
    ChatPrompt p;
    if (render_prompt(e, in, raw, &p, info, err, errlen) < 0)
        return -1;
    int rc;
    if (raw) {
        rc = tokenizer_encode(e->tok, p.text, p.len, true, true, ids, n);
    } else {
        strip_bos_eos_text(e, &p);
        rc = tokenizer_encode_masked(e->tok, p.text, p.len, p.input, true, ids, n);
    }
    chat_prompt_free(&p);
    if (rc < 0)
        return errmsg_set(err, errlen, "out of memory while building the prompt");
    /* a template that writes the BOS text itself plus the tokenizer's BOS: keep one */
    int bos = tokenizer_bos(e->tok);
    if (*n >= 2 && bos >= 0 && (*ids)[0] == bos && (*ids)[1] == bos) {
        memmove(*ids, *ids + 1, (*n - 1) * sizeof **ids);
        (*n)--;
    }
    if (*n == 0) {
        errmsg_set(err, errlen, "the prompt is empty and the model adds no BOS token: nothing to generate from");
        free(*ids);
        *ids = NULL;
        return -1;
    }
    return 0;
}

int engine_build_prompt(Engine *e, const char *system, const char *user, bool raw, int **ids, size_t *n,
                        char *err, size_t errlen)
{
    ChatMessage m[2];
    size_t k = 0;
    if (system && *system)
        m[k++] = (ChatMessage){ "system", system, NULL };
    m[k++] = (ChatMessage){ "user", user ? user : "", NULL };
    ChatInput in = { .messages = m, .n_messages = k };
    return engine_build_chat_prompt(e, &in, raw, ids, n, NULL, err, errlen);
}

/* ---- the backend: every forward pass of the engine goes through these two ---- */

static int engine_forward(Engine *e, const int *tokens, int n, int pos, char *err, size_t errlen);

int engine_logits_stepwise(Engine *e, const int *ids, size_t n, int pos, float *all, char *err, size_t errlen)
{
    int nv = model_config(e->m)->n_vocab;
    for (size_t i = 0; i < n; i++) {
        if (engine_forward(e, ids + i, 1, pos + (int)i, err, errlen) < 0)
            return -1;
        memcpy(all + i * (size_t)nv, e->cm ? e->cuda_logits : model_logits(e->m), (size_t)nv * sizeof(float));
    }
    return 0;
}

/* n tokens at positions pos.. into the KV cache; the last one's logits after. */
static int engine_forward(Engine *e, const int *tokens, int n, int pos, char *err, size_t errlen)
{
    int rc = e->cm ? cuda_model_forward(e->cm, tokens, n, pos, e->cuda_logits, err, errlen)
                   : model_forward(e->m, tokens, n, pos, err, errlen);
    /* A file truncated under its mapping reads as zeros (mapguard): the
     * logits are garbage from here on, so stop rather than emit them. */
    if (rc == 0 && gguf_file_damaged(e->g)) {
        errmsg_set(err, errlen, "the model file changed on disk while generating (it was truncated or "
                             "overwritten); the reply so far is kept");
        return -1;
    }
    /* NaN or infinite logits (damaged weights, an overflow) would still
     * "sample" a token: stop and say so instead of emitting noise. */
    if (rc == 0) {
        const float *l = e->cm ? e->cuda_logits : model_logits(e->m);
        int nv = model_config(e->m)->n_vocab;
        for (int i = 0; i < nv; i++)
            if (!isfinite(l[i])) {
                errmsg_set(err, errlen, "the model computed %s logits (token %d): its weights are damaged or the "
                                     "computation overflowed; generation stopped, the reply so far is kept",
                           isnan(l[i]) ? "NaN" : "infinite", i);
                return -1;
            }
    }
    return rc;
}

static float *engine_logits(Engine *e)
{
    return e->cm ? e->cuda_logits : model_logits(e->m);
}

/* ---- generate ---------------------------------------------------------------------- */

/* 0 when a prompt of n tokens fits the context, else -1 with err saying what
 * to do. conversation: the prompt holds earlier turns (a new conversation
 * would fit where this one does not); older turns are never dropped here,
 * which would compare a local model that forgot with APIs that did not. */
static int prompt_fits(const Engine *e, size_t n, bool conversation, char *err, size_t errlen)
{
    const ModelConfig *c = model_config(e->m);
    if (n <= (size_t)c->n_ctx)
        return 0;
    char more[96] = "";
    if (c->n_ctx < c->n_ctx_train)
        snprintf(more, sizeof more, "raise --ctx (this model takes up to %d tokens)", c->n_ctx_train);
    if (conversation)
        errmsg_set(err, errlen,
                   "the conversation so far (%zu tokens) does not fit in the context (%d tokens): start a new "
                   "conversation (:new in the workbench; versus run without --continue)%s%s",
                   n, c->n_ctx, more[0] ? ", or " : "", more);
    else
        errmsg_set(err, errlen, "the prompt (%zu tokens) does not fit in the context (%d tokens): %s%s",
                   n, c->n_ctx, more[0] ? more : "shorten the prompt", more[0] ? " or shorten the prompt" : "");
    return -1;
}

/* The job's messages hold an earlier reply: it is a conversation. */
static bool has_earlier_turns(const EngineJob *job)
{
    for (size_t i = 0; job->messages && i < job->n_messages; i++)
        if (job->messages[i].role && strcmp(job->messages[i].role, "assistant") == 0)
            return true;
    return false;
}

int engine_generate(Engine *e, const int *prompt, size_t n, const EngineGenParams *gp, EngineTokenFn cb,
                    void *user, volatile int *cancel, EngineStats *st, char *err, size_t errlen)
{
    EngineStats dummy;
    if (!st)
        st = &dummy;
    memset(st, 0, sizeof *st);
    st->n_reasoning = -1;
    st->prompt_tokens_per_s = -1;
    st->output_tokens_per_s = -1;
    st->ttft_ms = -1;
    snprintf(st->finish_reason, sizeof st->finish_reason, "stop");
    const ModelConfig *c = model_config(e->m);
    if (n < 1) {
        errmsg_set(err, errlen, "empty prompt: at least one token is needed");
        return -1;
    }
    if (prompt_fits(e, n, false, err, errlen) < 0)
        return -1;
    st->n_prompt = (int)n;
    EngineGenParams defaults = { .sampler = sampler_params_default() };
    if (!gp)
        gp = &defaults;
    Sampler *s = sampler_new(&gp->sampler, c->n_vocab);
    int *hist = malloc(((size_t)c->n_ctx + 1) * sizeof *hist);
    Buf text = { 0 };
    TokenDecoder dec;
    tokdec_init(&dec, e->tok, false);
    int rc = -1;
    if (!s || !hist) {
        errmsg_set(err, errlen, "out of memory");
        goto out;
    }
    memcpy(hist, prompt, n * sizeof *hist);
    size_t nh = n;
    double t0 = clock_now_ms();
    int batch = e->batch; /* one model chunk per call, so cancel is seen between chunks */
    for (size_t done = 0; done < n; done += (size_t)batch) {
        if (cancel && *cancel) {
            snprintf(st->finish_reason, sizeof st->finish_reason, "cancelled");
            rc = 0;
            goto out;
        }
        int T = n - done < (size_t)batch ? (int)(n - done) : batch;
        if (engine_forward(e, prompt + done, T, (int)done, err, errlen) < 0)
            goto out;
    }
    double t1 = clock_now_ms();
    st->prefill_ms = t1 - t0;
    if (st->prefill_ms > 0)
        st->prompt_tokens_per_s = n / (st->prefill_ms / 1000.0);
    int pos = (int)n;
    double t_first = -1, t_last = -1;
    for (;;) {
        if (cancel && *cancel) {
            snprintf(st->finish_reason, sizeof st->finish_reason, "cancelled");
            break;
        }
        int tok = sampler_sample(s, engine_logits(e), hist, nh);
        if (!gp->ignore_eos && engine_is_eog(e, tok))
            break; /* "stop" */
        hist[nh++] = tok;
        st->n_output++;
        buf_reset(&text);
        if (tokdec_push(&dec, tok, &text) < 0) {
            errmsg_set(err, errlen, "out of memory");
            goto out;
        }
        double now = clock_now_ms();
        if (t_first < 0) {
            t_first = now;
            st->ttft_ms = now - t0;
        }
        t_last = now;
        int stop = cb ? cb(user, tok, buf_str(&text), text.len) : 0;
        if (stop) {
            snprintf(st->finish_reason, sizeof st->finish_reason, "cancelled");
            break;
        }
        if ((gp->max_tokens > 0 && st->n_output >= gp->max_tokens) || pos >= c->n_ctx) {
            snprintf(st->finish_reason, sizeof st->finish_reason, "length");
            break;
        }
        if (engine_forward(e, &tok, 1, pos++, err, errlen) < 0)
            goto out;
    }
    buf_reset(&text);
    if (tokdec_flush(&dec, &text) == 0 && text.len && cb) /* a character cut off at the end */
        cb(user, -1, buf_str(&text), text.len);
    if (st->n_output >= 2 && t_last > t_first) {
        st->decode_ms = t_last - t_first;
        st->output_tokens_per_s = (st->n_output - 1) / (st->decode_ms / 1000.0);
    }
    rc = 0;
out:
    buf_free(&text);
    free(hist);
    sampler_free(s);
    return rc;
}

/* ---- bench ------------------------------------------------------------------------ */

/* Deterministic in-vocabulary token ids (no special meaning needed for timing). */
static void bench_tokens(const Engine *e, int *ids, int n)
{
    uint32_t x = 2463534242u;
    int nv = model_config(e->m)->n_vocab;
    for (int i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        ids[i] = (int)(x % (uint32_t)nv);
    }
}

int engine_bench_prefill(Engine *e, int n_tokens, double *ms, char *err, size_t errlen)
{
    if (n_tokens < 1 || n_tokens > model_config(e->m)->n_ctx) {
        errmsg_set(err, errlen, "%d prompt tokens do not fit in the context (%d)", n_tokens,
                model_config(e->m)->n_ctx);
        return -1;
    }
    int *ids = malloc((size_t)n_tokens * sizeof *ids);
    if (!ids) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    bench_tokens(e, ids, n_tokens);
    double t0 = clock_now_ms();
    int rc = engine_forward(e, ids, n_tokens, 0, err, errlen);
    *ms = clock_now_ms() - t0;
    free(ids);
    return rc;
}

int engine_bench_decode(Engine *e, int n_past, int n_tokens, double *ms, char *err, size_t errlen)
{
    const ModelConfig *c = model_config(e->m);
    if (n_past < 1 || n_tokens < 1 || n_past > c->n_ctx - n_tokens) {
        errmsg_set(err, errlen, "%d + %d tokens do not fit in the context (%d)", n_past, n_tokens, c->n_ctx);
        return -1;
    }
    int *ids = malloc((size_t)n_past * sizeof *ids);
    if (!ids) {
        errmsg_set(err, errlen, "out of memory");
        return -1;
    }
    bench_tokens(e, ids, n_past);
    int rc = engine_forward(e, ids, n_past, 0, err, errlen);
    free(ids);
    if (rc < 0)
        return -1;
    double t0 = clock_now_ms();
    for (int i = 0; i < n_tokens; i++) {
        int tok = sampler_argmax(engine_logits(e), c->n_vocab);
        if (engine_forward(e, &tok, 1, n_past + i, err, errlen) < 0)
            return -1;
    }
    *ms = clock_now_ms() - t0;
    return 0;
}

double engine_rss_mib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return -1;
    unsigned long size, resident;
    int ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return ok && page > 0 ? (double)resident * (double)page / (1024.0 * 1024.0) : -1;
}

/* ---- the worker ---------------------------------------------------------------------- */

#define MSG_MAX_PAYLOAD (64u << 20) /* a prompt of 16M token ids: far beyond any context */

struct EngineWorker {
    pthread_t thread;
    bool started;
    int rfd, wfd;          /* read end (loop), write end (worker) */
    volatile int cancel;
    bool write_failed;     /* worker: the reader is gone */
    /* the job, copied */
    char *model_path, *model_ref, *system, *prompt, *kv_type, *tools_json, *reasoning_effort;
    char label[128];       /* worker: the model file's name, for PROGRESS */
    int *prompt_ids;
    ChatMessage *messages; /* (job.n_messages) with their strings in msg_text */
    char **msg_text;
    size_t n_msg_text;
    EngineJob job;
    /* worker side while generating */
    const Tokenizer *tok;
    ThinkSplitter split;
    int cur_token;         /* the token being reported, -1 once a frame carried it */
    /* reader state */
    unsigned char *in;     /* received bytes not yet consumed */
    size_t in_len, in_cap;
    bool eof;
    char *msg;             /* the payload of the message last returned, NUL-terminated */
    size_t msg_cap;
};

typedef struct FrameHeader {
    uint32_t kind;
    uint32_t len;
} FrameHeader;

static void send_frame(EngineWorker *w, EngineMsgKind kind, const void *a, size_t alen, const void *b,
                       size_t blen)
{
    if (w->write_failed)
        return;
    FrameHeader h = { (uint32_t)kind, (uint32_t)(alen + blen) };
    struct iovec iov[3] = { { &h, sizeof h }, { (void *)a, alen }, { (void *)b, blen } };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
    size_t left = sizeof h + alen + blen;
    while (left > 0) {
        ssize_t k = sendmsg(w->wfd, &mh, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            w->write_failed = true; /* the loop went away: stop working */
            w->cancel = 1;
            return;
        }
        left -= (size_t)k;
        /* advance the iovecs past what was sent */
        size_t adv = (size_t)k;
        while (adv > 0 && mh.msg_iovlen > 0) {
            if (adv >= mh.msg_iov[0].iov_len) {
                adv -= mh.msg_iov[0].iov_len;
                mh.msg_iov++;
                mh.msg_iovlen--;
            } else {
                mh.msg_iov[0].iov_base = (char *)mh.msg_iov[0].iov_base + adv;
                mh.msg_iov[0].iov_len -= adv;
                adv = 0;
            }
        }
    }
}

static void send_text(EngineWorker *w, EngineMsgKind kind, const char *s)
{
    send_frame(w, kind, s, strlen(s), NULL, 0);
}

/* TOKEN frame: int32 token, one byte "thinking", then the text. */
static void send_token(EngineWorker *w, int token, bool thinking, const char *text, size_t len)
{
    unsigned char head[5];
    int32_t t = token;
    memcpy(head, &t, 4);
    head[4] = thinking;
    send_frame(w, ENGINE_MSG_TOKEN, head, sizeof head, text, len);
}

/* A run of text from the reasoning splitter; the first run of a token carries its id. */
static void on_run(void *user, bool thinking, const char *text, size_t len)
{
    EngineWorker *w = user;
    send_token(w, w->cur_token, thinking, text, len);
    w->cur_token = -1;
}

static int on_token(void *user, int token, const char *text, size_t len)
{
    EngineWorker *w = user;
    bool special = false;
    if (token >= 0 && w->split.format != THINK_NONE &&
        (tokenizer_token_attr(w->tok, token) & TOKEN_ATTR_CONTROL)) {
        text = tokenizer_token_text(w->tok, token, &len); /* markers such as <|channel|> */
        special = true;
    }
    w->cur_token = token;
    bool thinking = think_split_push(&w->split, text ? text : "", text ? len : 0, special, on_run, w);
    if (w->cur_token >= 0) /* nothing to show for this token (a marker, held bytes): still report it */
        send_token(w, token, thinking, "", 0);
    return w->write_failed;
}

/* PROGRESS payload: the phase, bytes done and in all, then the label. */
typedef struct ProgressFrame {
    uint32_t phase; /* 0 download, 1 load */
    uint32_t pad;
    int64_t done, total;
} ProgressFrame;

static void send_progress(EngineWorker *w, uint32_t phase, int64_t done, int64_t total)
{
    ProgressFrame p = { .phase = phase, .done = done, .total = total };
    send_frame(w, ENGINE_MSG_PROGRESS, &p, sizeof p, w->label, strlen(w->label));
}

static void on_download(void *user, int64_t done, int64_t total)
{
    send_progress(user, 0, done, total);
}

static void set_label(EngineWorker *w, const char *path)
{
    const char *slash = strrchr(path, '/');
    snprintf(w->label, sizeof w->label, "%s", slash ? slash + 1 : path);
}

/* The job's model file: model_path, or model_ref resolved here (a first use
 * of an hf:// model downloads it, reported as PROGRESS "download"). 0, or -1
 * with err. */
static int worker_model_path(EngineWorker *w, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (w->job.model_path) {
        snprintf(path, pathlen, "%s", w->job.model_path);
        return 0;
    }
    char where[4096], why[16];
    if (model_ref_locate(w->job.model_ref, where, sizeof where, why, sizeof why) >= 0)
        set_label(w, where); /* where it is, or where the download puts it */
    ModelFetch mf = { .on_progress = on_download, .progress_user = w, .cancel = &w->cancel };
    return model_ref_fetch(w->job.model_ref, &mf, path, pathlen, err, errlen);
}

static void *worker_main(void *arg)
{
    EngineWorker *w = arg;
    char err[1024], path[4096];
    int *ids = NULL;
    size_t n = 0;
    Engine *e = NULL;
    if (worker_model_path(w, path, sizeof path, err, sizeof err) < 0) {
        send_text(w, ENGINE_MSG_ERROR, err);
        goto done;
    }
    set_label(w, path);
    struct stat fst;
    send_progress(w, 1, 0, stat(path, &fst) == 0 ? (int64_t)fst.st_size : -1);
    e = engine_load(path, &w->job.opt, err, sizeof err);
    if (!e) {
        send_text(w, ENGINE_MSG_ERROR, err);
        goto done;
    }
    struct { double load_ms; char backend[8]; } loaded = { e->load_ms, "" };
    snprintf(loaded.backend, sizeof loaded.backend, "%s", engine_backend(e));
    send_frame(w, ENGINE_MSG_LOADED, &loaded, sizeof loaded, NULL, 0);
    EnginePromptInfo info = { .reasoning = THINK_NONE };
    if (w->job.prompt_ids) {
        n = w->job.n_prompt_ids;
        ids = malloc((n ? n : 1) * sizeof *ids);
        if (!ids) {
            send_text(w, ENGINE_MSG_ERROR, "out of memory");
            goto done;
        }
        memcpy(ids, w->job.prompt_ids, n * sizeof *ids);
        snprintf(info.template_note, sizeof info.template_note, "token ids given: no chat template");
    } else {
        ChatMessage two[2];
        ChatInput in = { .messages = w->job.messages, .n_messages = w->job.n_messages,
                         .tools_json = w->job.tools_json, .thinking = w->job.thinking,
                         .reasoning_effort = w->job.reasoning_effort };
        if (!in.messages) {
            in.n_messages = 0;
            if (w->job.system && *w->job.system)
                two[in.n_messages++] = (ChatMessage){ "system", w->job.system, NULL };
            two[in.n_messages++] = (ChatMessage){ "user", w->job.prompt ? w->job.prompt : "", NULL };
            in.messages = two;
        }
        if (engine_build_chat_prompt(e, &in, w->job.raw, &ids, &n, &info, err, sizeof err) < 0) {
            send_text(w, ENGINE_MSG_ERROR, err);
            goto done;
        }
    }
    /* said before the prompt's ids are sent: a huge prompt's ids would not
     * even fit in one message */
    if (prompt_fits(e, n, has_earlier_turns(&w->job), err, sizeof err) < 0) {
        send_text(w, ENGINE_MSG_ERROR, err);
        goto done;
    }
    /* PROMPT: uint32 count, the ids, one byte "fallback", the template note */
    size_t note_len = strlen(info.template_note), plen = 4 + n * sizeof *ids + 1;
    unsigned char *payload = malloc(plen);
    if (!payload) {
        send_text(w, ENGINE_MSG_ERROR, "out of memory");
        goto done;
    }
    uint32_t count = (uint32_t)n;
    memcpy(payload, &count, 4);
    memcpy(payload + 4, ids, n * sizeof *ids);
    payload[plen - 1] = info.fallback;
    send_frame(w, ENGINE_MSG_PROMPT, payload, plen, info.template_note, note_len);
    free(payload);
    w->tok = e->tok;
    think_split_init(&w->split, info.reasoning, info.think_open, info.think_close, info.thinking_open);
    EngineStats st;
    if (engine_generate(e, ids, n, &w->job.gen, on_token, w, &w->cancel, &st, err, sizeof err) < 0) {
        send_text(w, ENGINE_MSG_ERROR, err);
        goto done;
    }
    w->cur_token = -1;
    think_split_flush(&w->split, on_run, w);
    st.n_reasoning = info.reasoning == THINK_NONE ? -1 : (int)w->split.reasoning_tokens;
    int64_t usage[3] = { st.n_prompt, st.n_output, st.n_reasoning };
    send_frame(w, ENGINE_MSG_USAGE, usage, sizeof usage, NULL, 0);
    /* [4]: -1 no GPU sample, 0 no GPU, 1 present; [5..7] its memory, MiB */
    double timings[8] = { st.prompt_tokens_per_s, st.output_tokens_per_s, st.ttft_ms, engine_rss_mib(), -1, -1, -1, -1 };
    if (e->cm) { /* while the model is still on the device */
        GpuInfo gi = gpuinfo_query();
        timings[4] = gi.present ? 1 : 0;
        timings[5] = gi.total_mib;
        timings[6] = gi.used_mib;
        timings[7] = gi.process_mib;
    }
    send_frame(w, ENGINE_MSG_TIMINGS, timings, sizeof timings, NULL, 0);
    send_text(w, ENGINE_MSG_FINISH, st.finish_reason);
done:
    free(ids);
    engine_free(e);
    send_frame(w, ENGINE_MSG_DONE, NULL, 0, NULL, 0);
    return NULL;
}

static char *dup_or_null(const char *s, bool *oom)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *oom = true;
    return d;
}

EngineWorker *engine_worker_start(const EngineJob *job, char *err, size_t errlen)
{
    if (!job || (!job->model_path && !job->model_ref)) {
        errmsg_set(err, errlen, "no model path");
        return NULL;
    }
    EngineWorker *w = calloc(1, sizeof *w);
    if (!w) {
        errmsg_set(err, errlen, "out of memory");
        return NULL;
    }
    w->rfd = w->wfd = -1;
    bool oom = false;
    w->job = *job;
    w->job.model_path = w->model_path = dup_or_null(job->model_path, &oom);
    w->job.model_ref = w->model_ref = dup_or_null(job->model_ref, &oom);
    w->job.system = w->system = dup_or_null(job->system, &oom);
    w->job.prompt = w->prompt = dup_or_null(job->prompt, &oom);
    w->job.tools_json = w->tools_json = dup_or_null(job->tools_json, &oom);
    w->job.reasoning_effort = w->reasoning_effort = dup_or_null(job->reasoning_effort, &oom);
    if (job->messages) {
        size_t k = job->n_messages;
        w->messages = calloc(k ? k : 1, sizeof *w->messages);
        w->msg_text = calloc(3 * (k ? k : 1), sizeof *w->msg_text);
        if (!w->messages || !w->msg_text)
            oom = true;
        for (size_t i = 0; !oom && i < k; i++) {
            const ChatMessage *m = &job->messages[i];
            w->messages[i].role = w->msg_text[w->n_msg_text++] = dup_or_null(m->role ? m->role : "user", &oom);
            w->messages[i].content = w->msg_text[w->n_msg_text++] = dup_or_null(m->content ? m->content : "", &oom);
            w->messages[i].reasoning = w->msg_text[w->n_msg_text++] = dup_or_null(m->reasoning, &oom);
        }
        w->job.messages = w->messages;
    }
    w->job.opt.kv_type = w->kv_type = dup_or_null(job->opt.kv_type, &oom);
    if (job->prompt_ids) {
        w->prompt_ids = malloc((job->n_prompt_ids ? job->n_prompt_ids : 1) * sizeof(int));
        if (w->prompt_ids)
            memcpy(w->prompt_ids, job->prompt_ids, job->n_prompt_ids * sizeof(int));
        else
            oom = true;
        w->job.prompt_ids = w->prompt_ids;
    }
    if (oom) {
        errmsg_set(err, errlen, "out of memory");
        engine_worker_free(w);
        return NULL;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        errmsg_set(err, errlen, "socketpair: %s", strerror(errno));
        engine_worker_free(w);
        return NULL;
    }
    w->rfd = sv[0];
    w->wfd = sv[1];
    int fl = fcntl(w->rfd, F_GETFL);
    if (fl < 0 || fcntl(w->rfd, F_SETFL, fl | O_NONBLOCK) < 0) {
        errmsg_set(err, errlen, "fcntl: %s", strerror(errno));
        engine_worker_free(w);
        return NULL;
    }
    int rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc != 0) {
        errmsg_set(err, errlen, "cannot start the engine thread: %s", strerror(rc));
        engine_worker_free(w);
        return NULL;
    }
    w->started = true;
    return w;
}

int engine_worker_fd(const EngineWorker *w) { return w->rfd; }

void engine_worker_cancel(EngineWorker *w)
{
    if (w)
        w->cancel = 1;
}

/* Decodes one frame from the front of w->in into msg; 1, 0 (incomplete) or -1 (corrupt). */
static int decode_frame(EngineWorker *w, EngineMsg *msg)
{
    FrameHeader h;
    if (w->in_len < sizeof h)
        return 0;
    memcpy(&h, w->in, sizeof h);
    if (h.len > MSG_MAX_PAYLOAD || h.kind > ENGINE_MSG_DONE)
        return -1;
    if (w->in_len < sizeof h + h.len)
        return 0;
    if (w->msg_cap < (size_t)h.len + 1) {
        char *p = realloc(w->msg, (size_t)h.len + 1);
        if (!p)
            return -1;
        w->msg = p;
        w->msg_cap = (size_t)h.len + 1;
    }
    memcpy(w->msg, w->in + sizeof h, h.len);
    w->msg[h.len] = '\0';
    memmove(w->in, w->in + sizeof h + h.len, w->in_len - sizeof h - h.len);
    w->in_len -= sizeof h + h.len;

    memset(msg, 0, sizeof *msg);
    msg->kind = (EngineMsgKind)h.kind;
    msg->token = -1;
    const char *p = w->msg;
    size_t len = h.len;
    switch (msg->kind) {
    case ENGINE_MSG_LOADED: {
        struct { double load_ms; char backend[8]; } l;
        if (len != sizeof l)
            return -1;
        memcpy(&l, p, sizeof l);
        msg->load_ms = l.load_ms;
        msg->backend = l.backend[0] == 'c' && l.backend[1] == 'u' ? "cuda" : "cpu";
        break;
    }
    case ENGINE_MSG_PROMPT: {
        uint32_t count;
        if (len < 5)
            return -1;
        memcpy(&count, p, 4);
        if (count > (len - 5) / sizeof(int))
            return -1;
        /* the ids move to the front so they are aligned (the buffer is realloc'ed) */
        size_t idb = (size_t)count * sizeof(int);
        msg->fallback = p[4 + idb] != 0;
        memmove(w->msg, p + 4, idb);
        msg->ids = (const int *)(const void *)w->msg;
        msg->n_ids = count;
        msg->text = w->msg + idb + 5; /* the note stays where it was, NUL-terminated */
        msg->len = len - 5 - idb;
        break;
    }
    case ENGINE_MSG_TOKEN: {
        int32_t t;
        if (len < 5)
            return -1;
        memcpy(&t, p, sizeof t);
        msg->token = t;
        msg->thinking = p[4] != 0;
        msg->text = p + 5;
        msg->len = len - 5;
        break;
    }
    case ENGINE_MSG_USAGE: {
        int64_t u[3];
        if (len != sizeof u)
            return -1;
        memcpy(u, p, sizeof u);
        msg->n_prompt = (long)u[0];
        msg->n_output = (long)u[1];
        msg->n_reasoning = (long)u[2];
        break;
    }
    case ENGINE_MSG_TIMINGS: {
        double t[8];
        if (len != sizeof t)
            return -1;
        memcpy(t, p, sizeof t);
        msg->prompt_tokens_per_s = t[0];
        msg->output_tokens_per_s = t[1];
        msg->ttft_ms = t[2];
        msg->rss_mib = t[3];
        msg->vram_known = t[4] >= 0;
        msg->gpu_present = t[4] > 0;
        msg->vram_total_mib = t[5];
        msg->vram_used_mib = t[6];
        msg->vram_process_mib = t[7];
        break;
    }
    case ENGINE_MSG_FINISH:
    case ENGINE_MSG_ERROR:
        msg->text = p;
        msg->len = len;
        break;
    case ENGINE_MSG_PROGRESS: {
        ProgressFrame f;
        if (len < sizeof f)
            return -1;
        memcpy(&f, p, sizeof f);
        if (f.phase > 1)
            return -1;
        msg->phase = f.phase == 0 ? "download" : "load";
        msg->done = f.done;
        msg->total = f.total;
        msg->text = p + sizeof f; /* the label, NUL-terminated by the copy */
        msg->len = len - sizeof f;
        break;
    }
    case ENGINE_MSG_DONE:
        break;
    }
    return 1;
}

int engine_worker_read(EngineWorker *w, EngineMsg *msg)
{
    for (;;) {
        int rc = decode_frame(w, msg);
        if (rc != 0)
            return rc;
        if (w->eof)
            return -1;
        if (w->in_cap - w->in_len < 4096) {
            size_t cap = w->in_cap ? w->in_cap * 2 : 16384;
            unsigned char *p = realloc(w->in, cap);
            if (!p)
                return -1;
            w->in = p;
            w->in_cap = cap;
        }
        ssize_t k = recv(w->rfd, w->in + w->in_len, w->in_cap - w->in_len, 0);
        if (k > 0) {
            w->in_len += (size_t)k;
            continue;
        }
        if (k == 0) {
            w->eof = true;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        w->eof = true;
    }
}

void engine_worker_free(EngineWorker *w)
{
    if (!w)
        return;
    w->cancel = 1;
    if (w->rfd >= 0)
        shutdown(w->rfd, SHUT_RDWR); /* a worker blocked in send gets EPIPE and stops */
    if (w->started) {
        /* A worker stuck in a system call (a file on a hung mount) must not
         * keep versus from exiting: after ENGINE_JOIN_WAIT_S it is left to
         * finish alone, with this structure (it still uses it). */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += ENGINE_JOIN_WAIT_S;
        if (pthread_timedjoin_np(w->thread, NULL, &until) != 0) {
            pthread_detach(w->thread);
            return;
        }
    }
    if (w->rfd >= 0)
        close(w->rfd);
    if (w->wfd >= 0)
        close(w->wfd);
    free(w->model_path);
    free(w->model_ref);
    free(w->system);
    free(w->prompt);
    free(w->tools_json);
    free(w->reasoning_effort);
    for (size_t i = 0; i < w->n_msg_text; i++)
        free(w->msg_text[i]);
    free(w->msg_text);
    free(w->messages);
    free(w->kv_type);
    free(w->prompt_ids);
    free(w->in);
    free(w->msg);
    free(w);
}
