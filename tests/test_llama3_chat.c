/* test_llama3_chat.c — "a Q4_K_M Llama-3-style file loads and chats with its
 * own template", without downloading one: the test writes a small model that
 * is Llama-3.1-shaped in every way the engine sees (architecture "llama",
 * 8 query / 2 KV heads, RoPE base 500000 with a rope_freqs tensor computed the
 * way llama.cpp's converter computes it for rope_scaling "llama3", untied
 * output, llama.cpp's Q4_K_M type mix, a byte-level BPE vocabulary with
 * tokenizer.ggml.pre "llama-bpe", Llama 3's special tokens as CONTROL tokens,
 * and Llama 3's own Jinja chat template), then checks it through the engine
 * (template detection, prompt ids, logits against the double-precision
 * reference of tests/engine_ref.c, greedy generation ending at <|eot_id|>) and
 * through the real binary (`versus run -f json -m local:FILE`). */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "engine/backend_cuda.h"
#include "engine/chat_template.h"
#include "engine/engine.h"
#include "engine/gguf_write.h"
#include "engine/tokenizer.h"
#include "engine_ref.h"
#include "harden/vchild.h"
#include "testenv.h"

extern char **environ;

/* ---- the vocabulary: GPT-2 byte tokens, a few merged words, Llama 3 specials ---- */

#define N_VOCAB 512
#define HEAD_DIM 32

/* The chat template of Meta-Llama-3-8B-Instruct, as its tokenizer_config.json
 * has it (the \n inside the Jinja string literals are backslash-n). */
static const char LLAMA3_TEMPLATE[] =
    "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = "
    "'<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | "
    "trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}"
    "{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ "
    "'<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";

/* Llama 3.1's first special tokens, in their order from id 128000 on. */
static const char *const SPECIALS[] = {
    "<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
    "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
    "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>",
};

/* Words built by merges, as raw bytes (the vocabulary holds them mapped). */
static const char *const WORDS[] = {
    "user", "assistant", "system", "\n\n", "Hi", "Hello", " world", " the", " is", " a",
    " caf\xc3\xa9", ".\n",
};

typedef struct Vocab {
    char *tok[N_VOCAB];
    int32_t type[N_VOCAB];
    int n;
    char *merges[256];
    int n_merges;
    int byte_id[256];   /* token of each byte */
    char sym[256][3];   /* each byte's printable stand-in, UTF-8 */
    int bos, eos_text, start_header, end_header, eot, eom;
} Vocab;

/* GPT-2's byte stand-ins: printable Latin-1 bytes stand for themselves, the
 * other 68 take U+0100 onwards in byte order; token i is the i-th byte of
 * that order (printable ones first), as in GPT-2's and Llama 3's vocabularies. */
static void byte_symbols(Vocab *v)
{
    int order[256], n = 0, n_other = 0;
    unsigned cp[256];
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable)
            order[n++] = b;
        cp[b] = printable ? (unsigned)b : 256u + (unsigned)n_other++;
    }
    for (int b = 0; b < 256; b++)
        if (cp[b] >= 256)
            order[n++] = b;
    for (int b = 0; b < 256; b++) {
        if (cp[b] < 0x80) {
            v->sym[b][0] = (char)cp[b];
            v->sym[b][1] = 0;
        } else {
            v->sym[b][0] = (char)(0xC0 | (cp[b] >> 6));
            v->sym[b][1] = (char)(0x80 | (cp[b] & 0x3F));
            v->sym[b][2] = 0;
        }
    }
    for (int i = 0; i < 256; i++) {
        v->byte_id[order[i]] = v->n;
        v->type[v->n] = 1; /* NORMAL, as llama.cpp's converter marks BPE byte tokens */
        v->tok[v->n++] = strdup(v->sym[order[i]]);
    }
}

static int vocab_find(const Vocab *v, const char *s)
{
    for (int i = 0; i < v->n; i++)
        if (strcmp(v->tok[i], s) == 0)
            return i;
    return -1;
}

/* Merges that build each word left to right: "u s", "us e", "use r". */
static void add_word(Vocab *v, const char *word)
{
    char cur[64], next[64], merge[160];
    snprintf(cur, sizeof cur, "%s", v->sym[(unsigned char)word[0]]);
    for (const char *p = word + 1; *p; p++) {
        const char *s = v->sym[(unsigned char)*p];
        snprintf(merge, sizeof merge, "%s %s", cur, s);
        snprintf(next, sizeof next, "%s%s", cur, s);
        bool have = false;
        for (int m = 0; m < v->n_merges; m++)
            have |= strcmp(v->merges[m], merge) == 0;
        if (!have) {
            cr_assert_lt(v->n_merges, 256);
            v->merges[v->n_merges++] = strdup(merge);
        }
        if (vocab_find(v, next) < 0) {
            v->type[v->n] = 1;
            v->tok[v->n++] = strdup(next);
        }
        snprintf(cur, sizeof cur, "%s", next);
    }
}

static void vocab_build(Vocab *v)
{
    memset(v, 0, sizeof *v);
    byte_symbols(v);
    for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++)
        add_word(v, WORDS[w]);
    int first = v->n;
    for (size_t i = 0; i < sizeof SPECIALS / sizeof SPECIALS[0]; i++) {
        v->type[v->n] = 3; /* CONTROL */
        v->tok[v->n++] = strdup(SPECIALS[i]);
    }
    for (int r = 3; v->n < N_VOCAB; r++) { /* Llama 3 pads with reserved specials too */
        char b[64];
        snprintf(b, sizeof b, "<|reserved_special_token_%d|>", r);
        v->type[v->n] = 3;
        v->tok[v->n++] = strdup(b);
    }
    v->bos = first;
    v->eos_text = first + 1;
    v->start_header = first + 6;
    v->end_header = first + 7;
    v->eom = first + 8;
    v->eot = first + 9;
}

static void vocab_free(Vocab *v)
{
    for (int i = 0; i < v->n; i++)
        free(v->tok[i]);
    for (int i = 0; i < v->n_merges; i++)
        free(v->merges[i]);
}

/* ---- the model: Llama 3.1 shape, Q4_K_M types ---- */

/* llama.cpp's use_more_bits(): which layers Q4_K_M gives Q6_K attn_v / ffn_down. */
static bool more_bits(int layer, int n_layers)
{
    return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

static GgmlType q4_k_m_type(const char *name, int layer, int n_layers, GgmlType dflt)
{
    if (strstr(name, "norm") || strstr(name, "rope_freqs"))
        return GGML_TYPE_F32;
    if (strcmp(name, "output.weight") == 0)
        return GGML_TYPE_Q6_K;
    if (strstr(name, "attn_v.weight") || strstr(name, "ffn_down.weight"))
        return more_bits(layer, n_layers) ? GGML_TYPE_Q6_K : GGML_TYPE_Q4_K;
    (void)dflt;
    return GGML_TYPE_Q4_K;
}

/* rope_freqs as llama.cpp's converter writes them for rope_scaling
 * {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1,
 * "high_freq_factor": 4, "original_max_position_embeddings": 8192}. */
static void llama31_rope_factors(double base, double *out, int n)
{
    const double factor = 8, lo = 1, hi = 4, old_ctx = 8192;
    for (int i = 0; i < n; i++) {
        double freq = pow(base, -2.0 * i / (2.0 * n));
        double wavelen = 2 * M_PI / freq;
        if (wavelen < old_ctx / hi)
            out[i] = 1;
        else if (wavelen > old_ctx / lo)
            out[i] = factor;
        else {
            double smooth = (old_ctx / wavelen - lo) / (hi - lo);
            out[i] = 1 / ((1 - smooth) / factor + smooth);
        }
    }
}

/* Llama 3's turns with a thinking model's habits (DeepSeek-R1-distill and
 * Qwen 3 style): the generation prompt opens <think> (and closes it at once
 * when enable_thinking is false), earlier answers lose their thinking. */
static const char THINK_TEMPLATE[] =
    "{{ bos_token }}{% for message in messages %}{% set content = message['content'] %}"
    "{% if message['role'] == 'assistant' and '</think>' in content %}"
    "{% set content = content.split('</think>')[-1] %}{% endif %}"
    "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + content | trim + '<|eot_id|>' }}"
    "{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n<think>\\n' }}"
    "{% if enable_thinking is defined and enable_thinking is false %}{{ '</think>\\n\\n' }}{% endif %}"
    "{% endif %}";

typedef struct Fixture {
    const char *tmpl; /* the chat template the file carries (NULL: LLAMA3_TEMPLATE) */
    Vocab v;
    RefModel y;
    char dir[64];
    char path[128];
} Fixture;

static char made_dir[64]; /* the fixture directory of this test, for the suite's fini */

static void fixture_build(Fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    vocab_build(&fx->v);
    RefSpec s = { .arch = "llama", .dim = 256, .hidden = 512, .n_layers = 2, .n_heads = 8, .n_kv = 2,
                  .vocab = N_VOCAB, .ctx = 131072, .rope_freqs = true, .wtype = GGML_TYPE_Q4_K,
                  .etype = GGML_TYPE_Q4_K, .ntype = GGML_TYPE_F32, .type_of = q4_k_m_type,
                  .freq_base = 500000.0f, .eps = 1e-5f };
    cr_assert_eq(s.dim / s.n_heads, HEAD_DIM);
    ref_model_build(&fx->y, &s, 0x11a3a3ull);
    double f[HEAD_DIM / 2];
    llama31_rope_factors(s.freq_base, f, HEAD_DIM / 2);
    ref_model_set_row(&fx->y, "rope_freqs.weight", 0, f);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/versus-llama3-XXXXXX");
    cr_assert_not_null(mkdtemp(fx->dir));
    snprintf(made_dir, sizeof made_dir, "%s", fx->dir);
    snprintf(fx->path, sizeof fx->path, "%s/Llama-3.1-tiny-Instruct-Q4_K_M.gguf", fx->dir);
}

/* (Re)writes the model file from fx->y and the vocabulary. */
static void fixture_write(Fixture *fx)
{
    const Vocab *v = &fx->v;
    GgufWriter *w = gguf_writer_new();
    cr_assert_not_null(w);
    ref_model_add_to_writer(&fx->y, w);
    int rc = gguf_writer_add_string(w, "general.name", "Llama 3.1 tiny Instruct (versus test)");
    rc |= gguf_writer_add_u32(w, "general.file_type", 15); /* LLAMA_FTYPE_MOSTLY_Q4_K_M */
    rc |= gguf_writer_add_u32(w, "general.quantization_version", 2);
    rc |= gguf_writer_add_u32(w, "llama.rope.dimension_count", HEAD_DIM);
    rc |= gguf_writer_add_u32(w, "llama.vocab_size", N_VOCAB);
    rc |= gguf_writer_add_string(w, "tokenizer.ggml.model", "gpt2");
    rc |= gguf_writer_add_string(w, "tokenizer.ggml.pre", "llama-bpe");
    rc |= gguf_writer_add_string_array(w, "tokenizer.ggml.tokens", (const char *const *)v->tok, (uint64_t)v->n);
    rc |= gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, v->type, (uint64_t)v->n);
    rc |= gguf_writer_add_string_array(w, "tokenizer.ggml.merges", (const char *const *)v->merges,
                                       (uint64_t)v->n_merges);
    rc |= gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", (uint32_t)v->bos);
    rc |= gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", (uint32_t)v->eot);
    rc |= gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
    rc |= gguf_writer_add_string(w, "tokenizer.chat_template", fx->tmpl ? fx->tmpl : LLAMA3_TEMPLATE);
    cr_assert_eq(rc, 0);
    char err[512];
    cr_assert_eq(gguf_writer_write_file(w, fx->path, err, sizeof err), 0, "%s", err);
    gguf_writer_free(w);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes the fixture's directory: the model and whatever the binary wrote
 * under the HOME it was given. */
static void fixture_free(Fixture *fx)
{
    cr_assert_eq(nftw(fx->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0, "cannot remove %s", fx->dir);
    made_dir[0] = '\0';
    ref_model_free(&fx->y);
    vocab_free(&fx->v);
}

/* A test that failed half-way still leaves no directory behind. */
static void remove_leftovers(void)
{
    if (made_dir[0])
        nftw(made_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(llama3_chat, .fini = remove_leftovers, .timeout = TESTENV_HANG_S);

static Engine *load(const Fixture *fx)
{
    EngineOptions opt = { .n_threads = 1, .n_ctx = 256 };
    char err[512];
    Engine *e = engine_load(fx->path, &opt, err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    return e;
}

/* The ids Llama 3's template gives for one user turn of a single merged word. */
static size_t expected_prompt(const Vocab *v, const char *word, int *ids)
{
    size_t n = 0;
    ids[n++] = v->bos;
    ids[n++] = v->start_header;
    ids[n++] = vocab_find(v, "user");
    ids[n++] = v->end_header;
    ids[n++] = vocab_find(v, "\xc4\x8a\xc4\x8a"); /* "\n\n" as ĊĊ */
    ids[n++] = vocab_find(v, word);
    ids[n++] = v->eot;
    ids[n++] = v->start_header;
    ids[n++] = vocab_find(v, "assistant");
    ids[n++] = v->end_header;
    ids[n++] = vocab_find(v, "\xc4\x8a\xc4\x8a");
    for (size_t i = 0; i < n; i++)
        cr_assert_geq(ids[i], 0, "word %zu of the expected prompt is not in the vocabulary", i);
    return n;
}

/* ---- the engine ---- */

Test(llama3_chat, q4_k_m_file_loads_as_llama3_with_gqa_and_its_template)
{
    Fixture fx;
    fixture_build(&fx);
    fixture_write(&fx);
    Engine *e = load(&fx);
    const ModelConfig *c = model_config(engine_model(e));
    cr_assert_str_eq(c->arch_name, "llama");
    cr_assert_eq(c->n_heads, 8);
    cr_assert_eq(c->n_kv_heads, 2);
    cr_assert_eq(c->head_dim, HEAD_DIM);
    cr_assert_eq(c->rope_type, MODEL_ROPE_NORM);
    cr_assert_float_eq(c->rope_freq_base, 500000.0f, 1e-3);
    cr_assert(!c->tied_output);
    cr_assert_eq(c->n_ctx_train, 131072);
    cr_assert_eq(c->n_ctx, 256);
    cr_assert_str_eq(model_weight_type(engine_model(e)), "Q4_K");
    /* the file really is the Q4_K_M mix */
    const GgufFile *g = engine_gguf(e);
    static const struct { const char *name; GgmlType type; } types[] = {
        { "token_embd.weight", GGML_TYPE_Q4_K },   { "output.weight", GGML_TYPE_Q6_K },
        { "output_norm.weight", GGML_TYPE_F32 },   { "rope_freqs.weight", GGML_TYPE_F32 },
        { "blk.0.attn_q.weight", GGML_TYPE_Q4_K }, { "blk.0.attn_v.weight", GGML_TYPE_Q4_K },
        { "blk.1.attn_v.weight", GGML_TYPE_Q6_K }, { "blk.0.ffn_down.weight", GGML_TYPE_Q4_K },
        { "blk.1.ffn_down.weight", GGML_TYPE_Q6_K }, { "blk.1.ffn_gate.weight", GGML_TYPE_Q4_K },
        { "blk.1.attn_norm.weight", GGML_TYPE_F32 },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        const GgufTensor *t = gguf_find_tensor(g, types[i].name);
        cr_assert_not_null(t, "%s", types[i].name);
        cr_assert_eq(t->type, types[i].type, "%s is %s", types[i].name, gguf_type_name(t->type));
    }
    /* template, tokenizer, special tokens */
    const ChatTemplate *ct = engine_chat_template(e);
    cr_assert_eq(ct->family, CHAT_LLAMA3, "detected %s", chat_family_name(ct->family));
    cr_assert(!ct->fallback);
    cr_assert_eq(engine_bos(e), fx.v.bos);
    cr_assert(engine_is_eog(e, fx.v.eot));
    cr_assert(engine_is_eog(e, fx.v.eom));
    cr_assert(engine_is_eog(e, fx.v.eos_text));
    cr_assert(!engine_is_eog(e, fx.v.start_header));
    char err[512];
    Tokenizer *tok = tokenizer_load(g, err, sizeof err);
    cr_assert_not_null(tok, "%s", err);
    cr_assert_eq(tokenizer_kind(tok), TOKENIZER_BPE);
    cr_assert_str_eq(tokenizer_pre_name(tok), "llama3");
    cr_assert_eq(tokenizer_eot(tok), fx.v.eot);
    cr_assert(tokenizer_token_attr(tok, fx.v.eot) & TOKEN_ATTR_CONTROL);
    /* byte-level BPE round trip, multi-byte characters included */
    static const char text[] = "Hello world, the caf\xc3\xa9 is \xe2\x9c\x93 open.\n\nHi";
    int *ids;
    size_t n;
    cr_assert_eq(tokenizer_encode(tok, text, strlen(text), false, false, &ids, &n), 0);
    cr_assert_lt(n, strlen(text), "no merge applied");
    Buf back = { 0 };
    cr_assert_eq(tokenizer_decode(tok, ids, n, false, &back), 0);
    cr_assert_str_eq(buf_str(&back), text);
    cr_assert_eq(ids[0], vocab_find(&fx.v, "Hello"));
    cr_assert_eq(ids[1], vocab_find(&fx.v, "\xc4\xa0world"));
    buf_free(&back);
    free(ids);
    tokenizer_free(tok);
    engine_free(e);
    fixture_free(&fx);
}

Test(llama3_chat, prompt_is_the_llama3_turn_with_single_special_ids)
{
    Fixture fx;
    fixture_build(&fx);
    fixture_write(&fx);
    Engine *e = load(&fx);
    int want[16];
    size_t nw = expected_prompt(&fx.v, "Hi", want);
    int *ids;
    size_t n;
    char err[512];
    cr_assert_eq(engine_build_prompt(e, NULL, "Hi", false, &ids, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, nw, "%zu prompt ids, expected %zu", n, nw);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(ids[i], want[i], "prompt id %zu is %d, expected %d", i, ids[i], want[i]);
    free(ids);
    /* with a system prompt: its own header turn first, one BOS only */
    cr_assert_eq(engine_build_prompt(e, "Be brief.", "Hi", false, &ids, &n, err, sizeof err), 0, "%s", err);
    cr_assert_gt(n, nw + 5);
    cr_assert_eq(ids[0], fx.v.bos);
    cr_assert_eq(ids[1], fx.v.start_header);
    cr_assert_eq(ids[2], vocab_find(&fx.v, "system"));
    cr_assert_eq(ids[3], fx.v.end_header);
    size_t bos = 0, eot = 0;
    for (size_t i = 0; i < n; i++) {
        bos += ids[i] == fx.v.bos;
        eot += ids[i] == fx.v.eot;
    }
    cr_assert_eq(bos, 1);
    cr_assert_eq(eot, 2);
    cr_assert_eq(memcmp(ids + n - (nw - 1), want + 1, (nw - 1) * sizeof *ids), 0, "the user turn differs");
    free(ids);
    /* raw: no template, BOS still added, special-token text parsed as llama.cpp does */
    cr_assert_eq(engine_build_prompt(e, NULL, "Hi<|eot_id|>", true, &ids, &n, err, sizeof err), 0, "%s", err);
    cr_assert_eq(n, 3);
    cr_assert_eq(ids[0], fx.v.bos);
    cr_assert_eq(ids[1], vocab_find(&fx.v, "Hi"));
    cr_assert_eq(ids[2], fx.v.eot);
    free(ids);
    engine_free(e);
    fixture_free(&fx);
}

static int argmax_d(const double *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

Test(llama3_chat, logits_match_the_double_precision_reference)
{
    Fixture fx;
    fixture_build(&fx);
    fixture_write(&fx);
    Engine *e = load(&fx);
    Model *m = engine_model(e);
    int *ids;
    size_t n;
    char err[512];
    cr_assert_eq(engine_build_prompt(e, NULL, "Hi", false, &ids, &n, err, sizeof err), 0, "%s", err);
    int seq[32];
    memcpy(seq, ids, n * sizeof *ids);
    free(ids);
    double ref[N_VOCAB];
    cr_assert_eq(model_forward(m, seq, (int)n, 0, err, sizeof err), 0, "%s", err);
    for (int step = 0; step < 5; step++) {
        ref_model_forward(&fx.y, seq, (int)n, ref, NULL);
        double range, worst = ref_logits_worst(model_logits(m), ref, N_VOCAB, &range);
        cr_assert_gt(range, 0.5, "degenerate logits");
        cr_assert_leq(worst, 0.03 * range, "step %d: logits differ by %g (range %g)", step, worst, range);
        seq[n] = argmax_d(ref, N_VOCAB); /* follow the reference's greedy path */
        cr_assert_eq(model_forward(m, &seq[n], 1, (int)n, err, sizeof err), 0, "%s", err);
        n++;
    }
    engine_free(e);
    fixture_free(&fx);
}

typedef struct Collect {
    int ids[64];
    int n;
    Buf text;
} Collect;

static int collect(void *user, int token, const char *text, size_t len)
{
    Collect *c = user;
    if (token >= 0 && c->n < 64)
        c->ids[c->n++] = token;
    buf_append(&c->text, text, len);
    return 0;
}

static EngineGenParams greedy(int max_tokens)
{
    EngineGenParams g = { .sampler = sampler_params_default(), .max_tokens = max_tokens };
    g.sampler.temperature = 0.0f;
    return g;
}

#define STOP_AFTER 3

/* Generates greedily from "Hi" (up to max_tokens) and returns what came. */
static void generate(const Fixture *fx, int max_tokens, Collect *c, EngineStats *st)
{
    Engine *e = load(fx);
    int *ids;
    size_t n;
    char err[512];
    cr_assert_eq(engine_build_prompt(e, NULL, "Hi", false, &ids, &n, err, sizeof err), 0, "%s", err);
    EngineGenParams g = greedy(max_tokens);
    memset(c, 0, sizeof *c);
    cr_assert_eq(engine_generate(e, ids, n, &g, collect, c, NULL, st, err, sizeof err), 0, "%s", err);
    free(ids);
    engine_free(e);
}

/* Turns fx's model into one whose greedy reply to "Hi" is the first
 * STOP_AFTER tokens it gives now, then <|eot_id|>: the output row of
 * <|eot_id|> becomes the part of the hidden state at step STOP_AFTER that is
 * orthogonal to the states of the earlier steps, so its logit is ~0 before
 * and dominant then. Returns those first tokens in first[]. */
static void make_eot_follow(Fixture *fx, int *first)
{
    Collect c;
    EngineStats st;
    generate(fx, STOP_AFTER, &c, &st);
    cr_assert_str_eq(st.finish_reason, "length", "the plain model stops after %d tokens", c.n);
    cr_assert_eq(c.n, STOP_AFTER);
    buf_free(&c.text);
    int want[16];
    size_t np = expected_prompt(&fx->v, "Hi", want);
    int seq[32];
    memcpy(seq, want, np * sizeof *want);
    memcpy(seq + np, c.ids, STOP_AFTER * sizeof *seq);
    const int D = fx->y.s.dim;
    double h[STOP_AFTER + 1][256], logits[N_VOCAB], maxlog = 0;
    for (int k = 0; k <= STOP_AFTER; k++) {
        ref_model_forward(&fx->y, seq, (int)np + k, logits, h[k]);
        if (k < STOP_AFTER) {
            cr_assert_eq(argmax_d(logits, N_VOCAB), c.ids[k], "the reference disagrees at step %d", k);
            maxlog = fmax(maxlog, logits[c.ids[k]]);
        }
    }
    /* Gram-Schmidt: u = h[STOP_AFTER] minus its projection on the earlier states */
    double basis[STOP_AFTER][256], u[256];
    memcpy(u, h[STOP_AFTER], sizeof u);
    for (int k = 0; k < STOP_AFTER; k++) {
        memcpy(basis[k], h[k], sizeof basis[k]);
        for (int j = 0; j < k; j++) {
            double d = 0;
            for (int i = 0; i < D; i++)
                d += basis[k][i] * basis[j][i];
            for (int i = 0; i < D; i++)
                basis[k][i] -= d * basis[j][i];
        }
        double nn = 0;
        for (int i = 0; i < D; i++)
            nn += basis[k][i] * basis[k][i];
        for (int i = 0; i < D; i++)
            basis[k][i] /= sqrt(nn);
        double d = 0;
        for (int i = 0; i < D; i++)
            d += u[i] * basis[k][i];
        for (int i = 0; i < D; i++)
            u[i] -= d * basis[k][i];
    }
    double uu = 0;
    for (int i = 0; i < D; i++)
        uu += u[i] * u[i];
    cr_assert_gt(uu, 1e-6, "the states of the steps are linearly dependent");
    double target = maxlog + 20, row[256];
    for (int i = 0; i < D; i++)
        row[i] = u[i] * target / uu; /* row . h[STOP_AFTER] = u . u * target / uu */
    ref_model_set_row(&fx->y, "output.weight", fx->v.eot, row);
    fixture_write(fx);
    /* the reference agrees: same tokens, then <|eot_id|> */
    ref_model_forward(&fx->y, seq, (int)np + STOP_AFTER, logits, NULL);
    cr_assert_eq(argmax_d(logits, N_VOCAB), fx->v.eot);
    for (int k = 0; k < STOP_AFTER; k++)
        first[k] = c.ids[k];
}

Test(llama3_chat, greedy_generation_runs_to_max_tokens_or_stops_at_eot_id)
{
    Fixture fx;
    fixture_build(&fx);
    fixture_write(&fx);
    /* the plain model: max_tokens ends it, or one of its end-of-turn tokens */
    Collect c;
    EngineStats st;
    generate(&fx, 8, &c, &st);
    cr_assert_gt(c.n, 0);
    cr_assert((c.n == 8 && !strcmp(st.finish_reason, "length")) || (c.n < 8 && !strcmp(st.finish_reason, "stop")),
              "%d tokens, finish %s", c.n, st.finish_reason);
    buf_free(&c.text);
    /* the same model taught to end its turn after STOP_AFTER tokens */
    int first[STOP_AFTER];
    make_eot_follow(&fx, first); /* checks max_tokens STOP_AFTER ends with "length" */
    generate(&fx, 8, &c, &st);
    cr_assert_str_eq(st.finish_reason, "stop");
    cr_assert_eq(c.n, STOP_AFTER);
    cr_assert_eq(st.n_output, STOP_AFTER);
    cr_assert_eq(memcmp(c.ids, first, sizeof first), 0);
    cr_assert_eq(st.n_prompt, 11);
    buf_free(&c.text);
    fixture_free(&fx);
}

/* ---- the binary ---- */

typedef struct RunOut {
    int exit_code;
    Buf out;
    cJSON *json;   /* the document, or NULL */
    const cJSON *r; /* results[0] */
} RunOut;

/* Runs `versus run -f json -m local:PATH ARGS... Hi` through the shared
 * child harness, with HOME and the XDG directories inside the fixture's
 * directory and no API keys. */
static RunOut run_versus(const Fixture *fx, const char *const *args)
{
    char bin[1024], spec[256];
    if (!vchild_binary(bin, sizeof bin))
        cr_skip_test("no versus binary (VERSUS_BUILDDIR not set, or nothing built there)");
    snprintf(spec, sizeof spec, "local:%s", fx->path);
    const char *argv[32] = { "run", "-f", "json", "--no-progress", "-m", spec };
    int an = 6;
    for (; *args && an < 30; args++)
        argv[an++] = *args;
    argv[an++] = "Hi";
    argv[an] = NULL;
    char **env = vchild_env_new(fx->dir, NULL);
    static const char *const keys[] = { "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        vchild_env_set(&env, keys[i], NULL);
    VResult vr;
    int rc = vchild_run(bin, argv, env, NULL, TESTENV_HANG_MS, true, &vr); /* only a hang reaches it */
    vchild_env_free(env);
    cr_assert_eq(rc, 0, "spawn %s", bin);
    cr_assert(!vr.timed_out, "versus ran past %d s (hung)", TESTENV_HANG_MS / 1000);
    RunOut o = { .exit_code = vr.exit_code, .out = vr.out, .json = vr.json };
    buf_free(&vr.err);
    if (o.json)
        o.r = cJSON_GetArrayItem(cJSON_GetObjectItem(o.json, "results"), 0);
    return o;
}

static int json_ints(const cJSON *a, int *out, int cap)
{
    int n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, a)
    {
        cr_assert(n < cap && cJSON_IsNumber(it));
        out[n++] = it->valueint;
    }
    return n;
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(o, key);
    return cJSON_IsString(v) ? v->valuestring : "(not a string)";
}

Test(llama3_chat, versus_run_chats_with_the_file_through_its_template)
{
    Fixture fx;
    fixture_build(&fx);
    fixture_write(&fx);
    int first[STOP_AFTER];
    make_eot_follow(&fx, first);
    int want[16];
    size_t nw = expected_prompt(&fx.v, "Hi", want);

    /* the command line, sampling as configured by default */
    const char *const plain[] = { "--max-tokens", "8", NULL };
    RunOut o = run_versus(&fx, plain);
    cr_assert_not_null(o.r, "no JSON result; output:\n%s", buf_str(&o.out));
    cr_assert_eq(o.exit_code, 0, "%s", buf_str(&o.out));
    cr_assert_str_eq(jstr(o.r, "status"), "ok");
    cr_assert_str_eq(jstr(o.r, "backend"), "cpu");
    int ids[64];
    int n = json_ints(cJSON_GetObjectItem(o.r, "prompt_token_ids"), ids, 64);
    cr_assert_eq((size_t)n, nw);
    cr_assert_eq(memcmp(ids, want, nw * sizeof *ids), 0, "prompt_token_ids differ from the Llama 3 turn");
    n = json_ints(cJSON_GetObjectItem(o.r, "token_ids"), ids, 64);
    const char *fin = jstr(o.r, "finish_reason");
    cr_assert(n >= 1 && n <= 8, "%d tokens", n);
    cr_assert((n == 8 && !strcmp(fin, "length")) || (n < 8 && !strcmp(fin, "stop")), "%d tokens, finish %s", n, fin);
    for (int i = 0; i < n; i++)
        cr_assert_neq(ids[i], fx.v.eot, "<|eot_id|> was emitted instead of ending the reply");
    cJSON_Delete(o.json);
    buf_free(&o.out);

    /* greedy: exactly the engine's first tokens, then the end of the turn */
    const char *const greedy_args[] = { "--max-tokens", "8", "-t", "0", NULL };
    o = run_versus(&fx, greedy_args);
    cr_assert_not_null(o.r, "no JSON result; output:\n%s", buf_str(&o.out));
    cr_assert_eq(o.exit_code, 0);
    cr_assert_str_eq(jstr(o.r, "status"), "ok");
    cr_assert_str_eq(jstr(o.r, "finish_reason"), "stop");
    n = json_ints(cJSON_GetObjectItem(o.r, "token_ids"), ids, 64);
    cr_assert_eq(n, STOP_AFTER);
    cr_assert_eq(memcmp(ids, first, sizeof first), 0);
    const cJSON *u = cJSON_GetObjectItem(o.r, "usage");
    cr_assert_eq(cJSON_GetObjectItem(u, "input_tokens")->valueint, (int)nw);
    cr_assert_eq(cJSON_GetObjectItem(u, "output_tokens")->valueint, STOP_AFTER);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItem(u, "reasoning_tokens")), "a model without a thinking format");
    const cJSON *ct = cJSON_GetObjectItem(o.r, "chat_template");
    cr_assert_str_eq(jstr(ct, "source"), "model");
    cr_assert(strstr(jstr(ct, "note"), "own chat template"), "%s", jstr(ct, "note"));
    cJSON_Delete(o.json);
    buf_free(&o.out);
    fixture_free(&fx);
}

Test(llama3_chat, a_thinking_templates_reply_is_reported_as_reasoning_with_its_token_count)
{
    Fixture fx;
    fixture_build(&fx);
    fx.tmpl = THINK_TEMPLATE;
    fixture_write(&fx);
    const char *const args[] = { "--max-tokens", "6", "-t", "0", NULL };
    RunOut o = run_versus(&fx, args);
    cr_assert_not_null(o.r, "no JSON result; output:\n%s", buf_str(&o.out));
    cr_assert_eq(o.exit_code, 0, "%s", buf_str(&o.out));
    int ids[64];
    int np = json_ints(cJSON_GetObjectItem(o.r, "prompt_token_ids"), ids, 64);
    cr_assert_gt(np, 4);
    int n = json_ints(cJSON_GetObjectItem(o.r, "token_ids"), ids, 64);
    cr_assert_gt(n, 0, "the model said nothing");
    /* the prompt opened <think> and the model never closed it: all of it is thinking */
    const cJSON *u = cJSON_GetObjectItem(o.r, "usage");
    cr_assert_eq(cJSON_GetObjectItem(u, "output_tokens")->valueint, n);
    cr_assert_eq(cJSON_GetObjectItem(u, "reasoning_tokens")->valueint, n);
    cr_assert_str_eq(jstr(o.r, "text"), "");
    cr_assert_gt(strlen(jstr(o.r, "reasoning")), 0);
    char err[512];
    GgufFile *g = gguf_open(fx.path, err, sizeof err);
    Tokenizer *tok = tokenizer_load(g, err, sizeof err);
    Buf want = { 0 };
    tokenizer_decode(tok, ids, (size_t)n, false, &want);
    cr_assert_str_eq(jstr(o.r, "reasoning"), buf_str(&want), "the reasoning is the generated text");
    buf_free(&want);
    cJSON_Delete(o.json);
    buf_free(&o.out);
    /* --reasoning off: enable_thinking=false closes <think> in the prompt, and the reply is all answer */
    const char *const off[] = { "--max-tokens", "6", "-t", "0", "--reasoning", "off", NULL };
    o = run_versus(&fx, off);
    cr_assert_not_null(o.r, "no JSON result; output:\n%s", buf_str(&o.out));
    cr_assert_eq(o.exit_code, 0, "%s", buf_str(&o.out));
    int np_off = json_ints(cJSON_GetObjectItem(o.r, "prompt_token_ids"), ids, 64);
    cr_assert_gt(np_off, np, "the prompt gains the closing </think>");
    n = json_ints(cJSON_GetObjectItem(o.r, "token_ids"), ids, 64);
    u = cJSON_GetObjectItem(o.r, "usage");
    cr_assert_gt(n, 0);
    cr_assert_eq(cJSON_GetObjectItem(u, "reasoning_tokens")->valueint, 0);
    cr_assert_gt(strlen(jstr(o.r, "text")), 0);
    cr_assert(cJSON_GetObjectItem(o.r, "reasoning") == NULL || strlen(jstr(o.r, "reasoning")) == 0);
    tokenizer_free(tok);
    gguf_close(g);
    cJSON_Delete(o.json);
    buf_free(&o.out);
    fixture_free(&fx);
}

Test(llama3_chat, versus_run_backend_cuda_runs_on_the_gpu_or_fails_that_result_saying_why)
{
    Fixture fx;
    fixture_build(&fx);
    fixture_write(&fx);
    char why[256];
    bool gpu = cuda_backend_available(NULL, why, sizeof why);
    const char *const args[] = { "--max-tokens", "4", "-t", "0", "--backend", "cuda", NULL };
    RunOut o = run_versus(&fx, args);
    cr_assert_not_null(o.r, "no JSON result; output:\n%s", buf_str(&o.out));
    cr_assert_str_eq(jstr(o.r, "backend"), "cuda");
    if (gpu) {
        cr_assert_eq(o.exit_code, 0);
        cr_assert_str_eq(jstr(o.r, "status"), "ok");
        cr_assert(cJSON_IsObject(cJSON_GetObjectItem(o.r, "vram")), "no VRAM figures from a GPU run");
    } else {
        cr_assert_eq(o.exit_code, 1);
        cr_assert_str_eq(jstr(o.r, "status"), "error");
        const char *msg = jstr(cJSON_GetObjectItem(o.r, "error"), "message");
        cr_assert(strstr(msg, "CUDA backend cannot run") && strstr(msg, why), "%s", msg);
    }
    cJSON_Delete(o.json);
    buf_free(&o.out);
    fixture_free(&fx);
}
