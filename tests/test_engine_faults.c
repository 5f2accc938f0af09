/* test_engine_faults.c — the built-in engine under faults, through the real
 * `versus run -m local:FILE` on a private copy of stories260K (from
 * $VERSUS_SHARED) in a temporary directory:
 *
 *   - a model file truncated before the run starts is a clear error naming it;
 *   - a model file replaced on disk (rename) while generating: the run
 *     completes from the file it opened;
 *   - a model file truncated in place while generating (the engine maps the
 *     file, so pages past the new end would raise SIGBUS): a clear error;
 *   - a model whose KV cache can not fit in memory (a crafted sparse GGUF of
 *     7B shape claiming a 1M-token context) is a clear error before any
 *     compute, without the memory being touched;
 *   - a context overflow (--ctx small, --max-tokens large) stops with
 *     finish_reason "length" and clean text; a prompt longer than the
 *     context is a clear error. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/clock.h"
#include "engine/gguf.h"
#include "harden/vchild.h"
#include "harden/vsuite.h"
#include "testenv.h"

#define DEADLINE_MS TESTENV_HANG_MS /* only a hang reaches it */

static char home[256];
static char bin[1024];
static char model[512]; /* the private copy */
static char **env;

static void shared_model(char *out, size_t outlen)
{
    if (!testenv_shared("models/stories260K.gguf", out, outlen))
        cr_skip_test("VERSUS_SHARED not set");
    if (access(out, R_OK) != 0)
        cr_skip_test("no %s", out);
}

static void copy_file(const char *src, const char *dst, size_t limit)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    cr_assert(in >= 0, "%s: %s", src, strerror(errno));
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(out >= 0, "%s: %s", dst, strerror(errno));
    char buf[65536];
    size_t done = 0;
    ssize_t n;
    while (done < limit && (n = read(in, buf, sizeof buf)) > 0) {
        size_t w = (size_t)n < limit - done ? (size_t)n : limit - done;
        cr_assert_eq(write(out, buf, w), (ssize_t)w);
        done += w;
    }
    close(in);
    close(out);
}

static void setup(void)
{
    char src[1024];
    shared_model(src, sizeof src);
    vsuite_home("engfault", bin, sizeof bin, home, sizeof home);
    snprintf(model, sizeof model, "%s/model.gguf", home);
    copy_file(src, model, SIZE_MAX);
    env = vchild_env_new(home, NULL);
}

static void teardown(void)
{
    vsuite_end(NULL, &env, home);
}

TestSuite(engine_faults, .init = setup, .fini = teardown, .timeout = TESTENV_HANG_S);

static const cJSON *obj(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *sget(const cJSON *o, const char *k)
{
    const cJSON *x = obj(o, k);
    return cJSON_IsString(x) ? x->valuestring : NULL;
}

/* `versus run --no-progress -f json -m local:PATH EXTRA... PROMPT`; asserts it
 * ended by itself (no signal, no deadline) with one JSON document. */
static const cJSON *run_local(const char *path, const char *const *extra, const char *prompt, VResult *r)
{
    char spec[600];
    snprintf(spec, sizeof spec, "local:%s", path);
    const char *args[32] = { "run", "--no-progress", "-f", "json", "-m", spec };
    size_t n = 6;
    for (size_t i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n++] = prompt;
    args[n] = NULL;
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, true, r), 0);
    cr_assert(!r->timed_out, "versus did not finish; stderr: %s", buf_str(&r->err));
    cr_assert_eq(r->term_signal, 0, "versus was killed by signal %d; stderr: %s", r->term_signal, buf_str(&r->err));
    cr_assert(r->json, "stdout is not JSON (exit %d): %.500s / %.500s", r->exit_code, buf_str(&r->out),
              buf_str(&r->err));
    const cJSON *res = cJSON_GetArrayItem(obj(r->json, "results"), 0);
    cr_assert(res, "no result");
    return res;
}

static void assert_clear_error(const cJSON *res, const VResult *r, const char *const *any_of)
{
    cr_assert_str_eq(sget(res, "status"), "error", "status %s", sget(res, "status"));
    cr_assert_eq(r->exit_code, 1, "exit %d", r->exit_code);
    const char *m = sget(obj(res, "error"), "message");
    cr_assert(m && *m, "no error message");
    bool hit = false;
    for (size_t i = 0; any_of[i] && !hit; i++)
        hit = strstr(m, any_of[i]) != NULL;
    cr_assert(hit, "the message does not say what is wrong: %s", m);
}

/* A refusal before any compute, without a wall-clock budget: the run ended
 * by itself with the memory error, not at its own --timeout (a forward pass
 * over gigabytes of weights would still be running then), and the weights
 * (all holes on disk) were never paged in: a pass over them would fault in
 * every page of the mapping. */
static void assert_refused_before_compute(const cJSON *res, const VResult *r)
{
    const char *t = sget(obj(res, "error"), "type");
    cr_assert(!t || !strstr(t, "timeout"), "the run ended at its --timeout, not with the error (%.0f ms)",
              r->elapsed_ms);
    cr_assert_lt(r->max_rss_kb, 1024L * 1024, "peak RSS %ld KiB: memory was touched before the error",
                 r->max_rss_kb);
}

/* ---- the file on disk ------------------------------------------------------------------ */

Test(engine_faults, a_truncated_model_file_is_a_clear_error_naming_it)
{
    char src[1024], cut[600];
    shared_model(src, sizeof src);
    struct stat st;
    cr_assert_eq(stat(src, &st), 0);
    const size_t sizes[] = { 0, 3, 100, 4096, (size_t)st.st_size / 2, (size_t)st.st_size - 1 };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        snprintf(cut, sizeof cut, "%s/cut-%zu.gguf", home, sizes[i]);
        copy_file(src, cut, sizes[i]);
        VResult r;
        const cJSON *res = run_local(cut, NULL, "Once upon a time", &r);
        const char *words[] = { "cut-", NULL };
        assert_clear_error(res, &r, words);
        vchild_result_free(&r);
    }
}

/* Starts a long generation, waits for the third streamed token, runs act on
 * the model file, then collects the run. */
static void act_while_generating(void (*act)(void), VResult *r)
{
    char spec[600];
    snprintf(spec, sizeof spec, "local:%s", model);
    const char *args[] = { "run", "--no-progress", "-f", "jsonl", "-m", spec, "--max-tokens", "400", "--temperature",
                           "1", "--seed", "3", "Once upon a time", NULL };
    VChild c;
    cr_assert_eq(vchild_start(bin, args, env, NULL, &c), 0);
    /* read events until the third delta, keeping what was read */
    Buf head = { 0 };
    int deltas = 0;
    double t0 = clock_now_ms();
    while (deltas < 3 && clock_now_ms() - t0 < DEADLINE_MS) {
        struct pollfd pf = { .fd = c.out, .events = POLLIN };
        if (poll(&pf, 1, 1000) <= 0)
            continue;
        char tmp[4096];
        ssize_t n = read(c.out, tmp, sizeof tmp);
        if (n <= 0)
            break;
        buf_append(&head, tmp, (size_t)n);
        deltas = 0;
        for (const char *p = buf_str(&head); (p = strstr(p, "\"type\":\"delta\"")); p++)
            deltas++;
    }
    cr_assert_geq(deltas, 3, "generation did not start: %s", buf_str(&head));
    act();
    vchild_finish(&c, DEADLINE_MS, false, r);
    Buf all = { 0 };
    buf_append(&all, head.data, head.len);
    buf_append(&all, r->out.data ? r->out.data : "", r->out.len);
    buf_free(&r->out);
    r->out = all;
    buf_free(&head);
}

static void replace_model(void)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s/replacement.gguf", home);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "not a model", 11), 11);
    close(fd);
    cr_assert_eq(rename(tmp, model), 0);
}

static void truncate_model(void) { cr_assert_eq(truncate(model, 4096), 0, "%s", strerror(errno)); }

/* The last line of jsonl output: the result object. */
static cJSON *last_result(const VResult *r)
{
    const char *s = buf_str(&r->out);
    const char *last = NULL;
    for (const char *p = s; (p = strstr(p, "\"type\":\"result\"")); p++)
        last = p;
    cr_assert(last, "no result event; stderr: %s", buf_str(&r->err));
    while (last > s && last[-1] != '\n')
        last--;
    return cJSON_Parse(last);
}

Test(engine_faults, a_model_file_replaced_on_disk_while_generating_completes)
{
    VResult r;
    act_while_generating(replace_model, &r);
    cr_assert(!r.timed_out);
    cr_assert_eq(r.term_signal, 0, "killed by signal %d", r.term_signal);
    cJSON *res = last_result(&r);
    cr_assert_str_eq(sget(res, "status"), "ok", "the run used the file it opened: %s",
                     sget(obj(res, "error"), "message"));
    cr_assert_eq(r.exit_code, 0);
    cJSON_Delete(res);
    vchild_result_free(&r);
}

/* The engine reads the weights through the file's mapping; a file truncated
 * under it must end the reply with a clear error (the other models' replies
 * and the session survive), never kill the process with SIGBUS. */
Test(engine_faults, a_model_file_truncated_while_generating_is_an_error_not_a_crash)
{
    VResult r;
    act_while_generating(truncate_model, &r);
    cr_assert(!r.timed_out);
    cr_assert_eq(r.term_signal, 0, "versus was killed by signal %d (7 = SIGBUS)", r.term_signal);
    cJSON *res = last_result(&r);
    cr_assert_str_eq(sget(res, "status"), "error", "generation went on past the truncation: %s", sget(res, "status"));
    const char *m = sget(cJSON_GetObjectItemCaseSensitive(res, "error"), "message");
    cr_assert(m && strstr(m, "changed on disk"), "the message says what happened: %s", m ? m : "(none)");
    cr_assert(strncmp(sget(res, "text"), "", 1) != 0, "the text before the truncation is kept");
    cr_assert_eq(r.exit_code, 1);
    cJSON_Delete(res);
    vchild_result_free(&r);
}

/* ---- memory ------------------------------------------------------------------------------ */

/* A GGUF writer just big enough for a sparse model file: metadata written,
 * tensor data left as a hole (ftruncate), so a "7B" file costs no disk. */
typedef struct Gw {
    Buf b;
    uint64_t n_kv;
} Gw;

static void gw_u32(Buf *b, uint32_t v) { buf_append(b, &v, 4); }
static void gw_u64(Buf *b, uint64_t v) { buf_append(b, &v, 8); }
static void gw_str(Buf *b, const char *s, size_t n)
{
    gw_u64(b, n);
    buf_append(b, s, n);
}
static void gw_key(Gw *w, const char *k, uint32_t type)
{
    gw_str(&w->b, k, strlen(k));
    gw_u32(&w->b, type);
    w->n_kv++;
}
static void kv_u32(Gw *w, const char *k, uint32_t v)
{
    gw_key(w, k, GGUF_TYPE_UINT32);
    gw_u32(&w->b, v);
}
static void kv_str(Gw *w, const char *k, const char *v)
{
    gw_key(w, k, GGUF_TYPE_STRING);
    gw_str(&w->b, v, strlen(v));
}

typedef struct SparseShape {
    uint32_t dim, layers, heads, kv_heads, ff, ctx;
} SparseShape;

/* Writes a llama-shaped model of shape s with Q4_0 matrices and F32 norms,
 * the tokenizer copied from stories260K, and no tensor data (a hole). */
static void write_sparse_model(const char *path, SparseShape s)
{
    char src[1024], err[256];
    shared_model(src, sizeof src);
    GgufFile *g = gguf_open(src, err, sizeof err);
    cr_assert(g, "%s", err);
    Gw w = { 0 };
    kv_str(&w, "general.architecture", "llama");
    kv_str(&w, "general.name", "sparse-test");
    kv_u32(&w, "llama.context_length", s.ctx);
    kv_u32(&w, "llama.embedding_length", s.dim);
    kv_u32(&w, "llama.feed_forward_length", s.ff);
    kv_u32(&w, "llama.attention.head_count", s.heads);
    kv_u32(&w, "llama.attention.head_count_kv", s.kv_heads);
    kv_u32(&w, "llama.block_count", s.layers);
    kv_u32(&w, "llama.rope.dimension_count", s.dim / s.heads);
    gw_key(&w, "llama.attention.layer_norm_rms_epsilon", GGUF_TYPE_FLOAT32);
    float eps = 1e-5f;
    buf_append(&w.b, &eps, 4);
    kv_str(&w, "tokenizer.ggml.model", "llama");
    kv_u32(&w, "tokenizer.ggml.bos_token_id", 1);
    kv_u32(&w, "tokenizer.ggml.eos_token_id", 2);
    kv_u32(&w, "tokenizer.ggml.unknown_token_id", 0);
    GgufValueType et;
    int64_t nv = gguf_array_len(g, "tokenizer.ggml.tokens", &et);
    cr_assert_gt(nv, 0);
    gw_key(&w, "tokenizer.ggml.tokens", GGUF_TYPE_ARRAY);
    gw_u32(&w.b, GGUF_TYPE_STRING);
    gw_u64(&w.b, (uint64_t)nv);
    for (int64_t i = 0; i < nv; i++) {
        GgufString t = gguf_array_string(g, "tokenizer.ggml.tokens", i);
        gw_str(&w.b, t.ptr, t.len);
    }
    gw_key(&w, "tokenizer.ggml.scores", GGUF_TYPE_ARRAY);
    gw_u32(&w.b, GGUF_TYPE_FLOAT32);
    gw_u64(&w.b, (uint64_t)nv);
    buf_append(&w.b, gguf_array_data(g, "tokenizer.ggml.scores"), (size_t)nv * 4);
    gw_key(&w, "tokenizer.ggml.token_type", GGUF_TYPE_ARRAY);
    gw_u32(&w.b, GGUF_TYPE_INT32);
    gw_u64(&w.b, (uint64_t)nv);
    buf_append(&w.b, gguf_array_data(g, "tokenizer.ggml.token_type"), (size_t)nv * 4);
    gguf_close(g);

    /* tensor table */
    Buf t = { 0 };
    uint64_t n_tensors = 0, off = 0;
    uint32_t hd = s.dim / s.heads, kvd = s.kv_heads * hd, qd = s.heads * hd;
#define TENSOR(name, type, ne0, ne1)                                                                   \
    do {                                                                                              \
        gw_str(&t, name, strlen(name));                                                               \
        uint64_t e0 = (ne0), e1 = (ne1);                                                              \
        gw_u32(&t, e1 ? 2 : 1);                                                                       \
        gw_u64(&t, e0);                                                                               \
        if (e1)                                                                                       \
            gw_u64(&t, e1);                                                                           \
        gw_u32(&t, type);                                                                             \
        gw_u64(&t, off);                                                                              \
        uint64_t bytes = (type) == GGML_TYPE_Q4_0 ? e0 / 32 * 18 * (e1 ? e1 : 1) : e0 * (e1 ? e1 : 1) * 4; \
        off += (bytes + 31) / 32 * 32;                                                                \
        n_tensors++;                                                                                  \
    } while (0)
    TENSOR("token_embd.weight", GGML_TYPE_Q4_0, s.dim, (uint64_t)nv);
    TENSOR("output_norm.weight", GGML_TYPE_F32, s.dim, 0);
    TENSOR("output.weight", GGML_TYPE_Q4_0, s.dim, (uint64_t)nv);
    for (uint32_t l = 0; l < s.layers; l++) {
        char name[96];
        snprintf(name, sizeof name, "blk.%u.attn_norm.weight", l);
        TENSOR(name, GGML_TYPE_F32, s.dim, 0);
        snprintf(name, sizeof name, "blk.%u.attn_q.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, s.dim, qd);
        snprintf(name, sizeof name, "blk.%u.attn_k.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, s.dim, kvd);
        snprintf(name, sizeof name, "blk.%u.attn_v.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, s.dim, kvd);
        snprintf(name, sizeof name, "blk.%u.attn_output.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, qd, s.dim);
        snprintf(name, sizeof name, "blk.%u.ffn_norm.weight", l);
        TENSOR(name, GGML_TYPE_F32, s.dim, 0);
        snprintf(name, sizeof name, "blk.%u.ffn_gate.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, s.dim, s.ff);
        snprintf(name, sizeof name, "blk.%u.ffn_up.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, s.dim, s.ff);
        snprintf(name, sizeof name, "blk.%u.ffn_down.weight", l);
        TENSOR(name, GGML_TYPE_Q4_0, s.ff, s.dim);
    }
#undef TENSOR
    Buf file = { 0 };
    buf_append(&file, "GGUF", 4);
    gw_u32(&file, 3);
    gw_u64(&file, n_tensors);
    gw_u64(&file, w.n_kv);
    buf_append(&file, w.b.data, w.b.len);
    buf_append(&file, t.data, t.len);
    while (file.len % 32)
        buf_append(&file, "", 1);
    uint64_t total = file.len + off;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, file.data, file.len), (ssize_t)file.len);
    cr_assert_eq(ftruncate(fd, (off_t)total), 0, "ftruncate to %llu: %s", (unsigned long long)total, strerror(errno));
    close(fd);
    buf_free(&file);
    buf_free(&t);
    buf_free(&w.b);
    /* the crafted file is a valid GGUF as far as the loader can tell */
    g = gguf_open(path, err, sizeof err);
    cr_assert(g, "crafted model does not open: %s", err);
    gguf_close(g);
}

Test(engine_faults, a_kv_cache_too_big_for_memory_is_a_clear_error_before_any_compute)
{
    /* 7B shape (3.6 GiB of Q4_0 weights, all a hole) claiming 1M tokens of
     * context: its F32 KV cache would be 2 x 32 x 1048576 x 4096 x 4 bytes
     * = 1 TiB. */
    char path[600];
    snprintf(path, sizeof path, "%s/huge-ctx.gguf", home);
    write_sparse_model(path, (SparseShape){ .dim = 4096, .layers = 32, .heads = 32, .kv_heads = 32, .ff = 11008,
                                           .ctx = 1u << 20 });
    const char *extra[] = { "--ctx", "1048576", "--max-tokens", "1", "--timeout", "20", NULL };
    vchild_env_add_asan(&env, "allocator_may_return_null=1"); /* a sanitized build: fail like malloc does */
    VResult r;
    const cJSON *res = run_local(path, extra, "hi", &r);
    const char *words[] = { "memory", "KV", "too large", "too big", NULL };
    assert_clear_error(res, &r, words);
    assert_refused_before_compute(res, &r);
    vchild_result_free(&r);
}

Test(engine_faults, a_model_bigger_than_memory_is_a_clear_error_before_allocating)
{
    /* 160 layers of a 70B-class shape in Q4_0 (tens of GiB, all a hole on
     * disk): more than this machine's memory, refused before anything else. */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    char path[600];
    snprintf(path, sizeof path, "%s/huge-weights.gguf", home);
    write_sparse_model(path, (SparseShape){ .dim = 8192, .layers = 160, .heads = 64, .kv_heads = 8, .ff = 28672,
                                           .ctx = 4096 });
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    if ((double)st.st_size <= (double)pages * (double)page)
        cr_skip_test("this machine has more memory (%.0f GiB) than the crafted model", (double)pages * page / 1073741824.0);
    const char *extra[] = { "--max-tokens", "1", "--timeout", "20", NULL };
    VResult r;
    const cJSON *res = run_local(path, extra, "hi", &r);
    const char *words[] = { "memory", NULL };
    assert_clear_error(res, &r, words);
    assert_refused_before_compute(res, &r);
    vchild_result_free(&r);
}

/* ---- the context window --------------------------------------------------------------------- */

Test(engine_faults, context_overflow_stops_with_finish_reason_length_and_clean_text)
{
    const char *extra[] = { "--ctx", "64", "--max-tokens", "1000", "--temperature", "0", NULL };
    VResult r;
    const cJSON *res = run_local(model, extra, "Once upon a time", &r);
    cr_assert_str_eq(sget(res, "status"), "ok", "status %s: %s", sget(res, "status"),
                     sget(obj(res, "error"), "message"));
    cr_assert_eq(r.exit_code, 0);
    cr_assert_str_eq(sget(res, "finish_reason"), "length", "a full context ends with length");
    int n_prompt = cJSON_GetArraySize(obj(res, "prompt_token_ids"));
    int n_out = cJSON_GetArraySize(obj(res, "token_ids"));
    cr_assert_gt(n_prompt, 0);
    cr_assert_gt(n_out, 0);
    cr_assert_leq(n_prompt + n_out, 64 + 1, "%d prompt + %d output tokens in a 64-token context", n_prompt, n_out);
    const cJSON *id;
    cJSON_ArrayForEach(id, obj(res, "token_ids"))
        cr_assert(id->valueint >= 0 && id->valueint < 512, "token id %d outside the vocabulary", id->valueint);
    /* stories260K writes plain English: printable ASCII and white space, no U+FFFD */
    const char *text = sget(res, "text");
    cr_assert(text && strlen(text) > 20, "text: %s", text ? text : "(null)");
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        cr_assert((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t', "garbage byte 0x%02x in: %s", *p, text);
    vchild_result_free(&r);
}

Test(engine_faults, a_prompt_longer_than_the_context_is_a_clear_error)
{
    Buf prompt = { 0 };
    for (int i = 0; i < 40; i++)
        buf_puts(&prompt, "Once upon a time there was a cat. ");
    const char *extra[] = { "--ctx", "16", "--max-tokens", "10", NULL };
    VResult r;
    const cJSON *res = run_local(model, extra, buf_str(&prompt), &r);
    const char *words[] = { "context", "prompt", "fit", NULL };
    assert_clear_error(res, &r, words);
    vchild_result_free(&r);
    buf_free(&prompt);
}

Test(engine_faults, a_kv_cache_type_the_model_cannot_use_is_a_clear_error)
{
    /* stories260K's attention heads hold 8 values: too few for q8_0 blocks of 32 */
    const char *extra[] = { "--kv-type", "q8_0", "--max-tokens", "2", NULL };
    VResult r;
    const cJSON *res = run_local(model, extra, "Once", &r);
    const char *words[] = { "multiple of 32", NULL };
    assert_clear_error(res, &r, words);
    vchild_result_free(&r);
    const char *args[] = { "run", "--no-progress", "-m", "local:x.gguf", "--kv-type", "q4_0", "hi", NULL };
    cr_assert_eq(vchild_run(bin, args, env, NULL, DEADLINE_MS, false, &r), 0);
    cr_assert_eq(r.exit_code, 2, "exit %d: %s", r.exit_code, buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "--kv-type must be f32, f16 or q8_0"), "%s", buf_str(&r.err));
    vchild_result_free(&r);
    const char *f32[] = { "--kv-type", "f32", "--max-tokens", "2", "--temperature", "0", NULL };
    res = run_local(model, f32, "Once", &r);
    cr_assert_str_eq(sget(res, "status"), "ok", "f32 cache: %s", buf_str(&r.err));
    vchild_result_free(&r);
}
