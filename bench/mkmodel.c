/* mkmodel.c — versus-mkmodel: writes a Llama-shaped GGUF model of a chosen
 * size and weight type, filled with deterministic pseudo-random weights and a
 * synthetic SentencePiece vocabulary (control tokens, 256 byte tokens, ASCII
 * characters, common English words with their prefixes, then letter
 * combinations), so that the engine can load and run it for benchmarks and
 * tests without downloading anything. The output is nonsense text, at the
 * speed a real model of that shape would run.
 *
 * usage: versus-mkmodel [--params tiny|125M|1B|3B|7B] [--type q8_0|q4_k|f16|...]
 *                       [--dim N --layers N --heads N --kv-heads N --ff N --vocab N]
 *                       [--ctx N] [--seed N] [--tied] [--threads N] -o FILE
 * Weights: matrices uniform with standard deviation 1/sqrt(fan_in) (so
 * activations keep their scale), embeddings uniform with std 0.02, norms 1;
 * each row comes from a generator seeded by (seed, tensor, row), so the file
 * is the same for any --threads. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/gguf_write.h"
#include "engine/quant.h"
#include "engine/threadpool.h"

typedef struct Shape {
    const char *name;
    int dim, layers, heads, kv_heads, ff, vocab, ctx;
} Shape;

/* Shapes of well-known models of each size (ff and dim multiples of 256 so
 * every block type fits). */
static const Shape PRESETS[] = {
    { "tiny", 256, 2, 4, 2, 768, 1024, 512 },
    { "125M", 768, 12, 12, 12, 2048, 32000, 2048 },
    { "1B", 2048, 22, 32, 4, 5632, 32000, 2048 },     /* TinyLlama-1.1B */
    { "3B", 3072, 28, 24, 8, 8192, 32000, 4096 },
    { "7B", 4096, 32, 32, 32, 11008, 32000, 4096 },   /* Llama-2-7B */
};

/* ---- deterministic generator ---- */

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static float uniform(uint64_t *s) /* [-1, 1) */
{
    return (float)((double)(splitmix(s) >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

/* ---- tensors ---- */

typedef enum Kind { KIND_MATRIX, KIND_NORM, KIND_EMBED } Kind;

typedef struct Spec {
    char name[64];
    GgmlType type;
    uint64_t ne0, ne1; /* ne1 = 1 for vectors */
    Kind kind;
} Spec;

typedef struct Gen {
    Spec *specs;
    int n_specs;
    uint64_t seed;
    ThreadPool *pool;
    /* per fill call */
    const Spec *cur;
    int64_t cur_index;
    uint8_t *buf;
    int failed;
} Gen;

static void fill_rows(void *arg, int ti, int nt)
{
    Gen *g = arg;
    const Spec *s = g->cur;
    size_t rs = quant_row_size(s->type, (int64_t)s->ne0);
    float *row = malloc(sizeof(float) * s->ne0);
    if (!row) {
        g->failed = 1;
        return;
    }
    float a = s->kind == KIND_MATRIX ? sqrtf(3.0f / (float)s->ne0) : sqrtf(3.0f) * 0.02f;
    for (uint64_t r = (uint64_t)ti; r < s->ne1; r += (uint64_t)nt) {
        uint64_t st = g->seed ^ ((uint64_t)g->cur_index << 40) ^ (r * 0xD1B54A32D192ED03ull);
        for (uint64_t c = 0; c < s->ne0; c++)
            row[c] = s->kind == KIND_NORM ? 1.0f : a * uniform(&st);
        if (quant_quantize_row(s->type, row, g->buf + r * rs, (int64_t)s->ne0) != 0)
            g->failed = 1;
    }
    free(row);
}

static int fill_tensor(void *ctx, int64_t index, void *buf, size_t nbytes, char *err, size_t errlen)
{
    Gen *g = ctx;
    g->cur = &g->specs[index];
    g->cur_index = index;
    g->buf = buf;
    g->failed = 0;
    (void)nbytes;
    threadpool_run(g->pool, fill_rows, g);
    if (g->failed) {
        snprintf(err, errlen, "cannot generate tensor %s", g->cur->name);
        return -1;
    }
    if (isatty(2))
        fprintf(stderr, "\r  %3d/%d %-28s", (int)index + 1, g->n_specs, g->cur->name);
    return 0;
}

/* ---- vocabulary ---- */

typedef struct Vocab {
    char **tok;
    float *score;
    int32_t *type;
    int n, cap;
    /* open-addressing set of the strings, for uniqueness */
    int *slots;
    int n_slots;
} Vocab;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

/* Adds s unless present or full; returns 0, -1 on out of memory. */
static int vocab_add(Vocab *v, const char *s, int32_t type)
{
    if (v->n >= v->cap)
        return 0;
    uint64_t h = hash_str(s);
    int i = (int)(h % (uint64_t)v->n_slots);
    while (v->slots[i] >= 0) {
        if (strcmp(v->tok[v->slots[i]], s) == 0)
            return 0;
        i = (i + 1) % v->n_slots;
    }
    char *c = strdup(s);
    if (!c)
        return -1;
    v->slots[i] = v->n;
    v->tok[v->n] = c;
    v->type[v->n] = type;
    v->score[v->n] = type == 1 ? -(float)v->n : 0.0f;
    v->n++;
    return 0;
}

#define SP "\xe2\x96\x81" /* U+2581, SentencePiece's space */

static const char *const WORDS[] = {
    "the", "of", "and", "to", "in", "is", "that", "it", "for", "was", "on", "are", "as", "with",
    "be", "at", "this", "have", "from", "or", "by", "not", "but", "what", "all", "were", "we",
    "when", "your", "can", "said", "there", "an", "each", "which", "she", "he", "do", "how",
    "their", "if", "will", "up", "other", "about", "out", "many", "then", "them", "these", "so",
    "some", "her", "would", "make", "like", "him", "into", "time", "has", "look", "two", "more",
    "write", "go", "see", "number", "no", "way", "could", "people", "my", "than", "first",
    "water", "been", "call", "who", "its", "now", "find", "long", "down", "day", "did", "get",
    "come", "made", "may", "part", "hello", "world", "once", "upon", "story", "little", "girl",
    "boy", "happy", "one", "you", "I", "They", "The", "She", "He", "Once",
};

static int vocab_build(Vocab *v, int n)
{
    v->cap = n;
    v->n_slots = 2 * n + 1;
    v->tok = calloc((size_t)n, sizeof *v->tok);
    v->score = calloc((size_t)n, sizeof *v->score);
    v->type = calloc((size_t)n, sizeof *v->type);
    v->slots = malloc(sizeof(int) * (size_t)v->n_slots);
    if (!v->tok || !v->score || !v->type || !v->slots)
        return -1;
    for (int i = 0; i < v->n_slots; i++)
        v->slots[i] = -1;
    char b[64];
    int rc = vocab_add(v, "<unk>", 2) | vocab_add(v, "<s>", 3) | vocab_add(v, "</s>", 3);
    for (int i = 0; i < 256; i++) {
        snprintf(b, sizeof b, "<0x%02X>", i);
        rc |= vocab_add(v, b, 6);
    }
    rc |= vocab_add(v, SP, 1);
    for (int c = 33; c < 127; c++) {
        b[0] = (char)c;
        b[1] = 0;
        rc |= vocab_add(v, b, 1);
    }
    for (int c = 'a'; c <= 'z'; c++) {
        snprintf(b, sizeof b, SP "%c", c);
        rc |= vocab_add(v, b, 1);
    }
    for (size_t w = 0; w < sizeof WORDS / sizeof WORDS[0]; w++) {
        size_t len = strlen(WORDS[w]);
        for (size_t k = 1; k <= len; k++) { /* every prefix, so merges can reach the word */
            snprintf(b, sizeof b, SP "%.*s", (int)k, WORDS[w]);
            rc |= vocab_add(v, b, 1);
            snprintf(b, sizeof b, "%.*s", (int)k, WORDS[w]);
            rc |= vocab_add(v, b, 1);
        }
    }
    for (int pass = 0; pass < 4 && v->n < n; pass++) { /* xy, ▁xy, xyz, ▁xyz */
        int len = pass < 2 ? 2 : 3;
        int total = len == 2 ? 26 * 26 : 26 * 26 * 26;
        for (int i = 0; i < total && v->n < n; i++) {
            char s[4] = { 0 };
            int x = i;
            for (int k = len - 1; k >= 0; k--, x /= 26)
                s[k] = (char)('a' + x % 26);
            snprintf(b, sizeof b, "%s%s", pass % 2 ? SP : "", s);
            rc |= vocab_add(v, b, 1);
        }
    }
    for (int i = 0; v->n < n; i++) { /* filler, never produced by merges */
        snprintf(b, sizeof b, "<extra_%d>", i);
        rc |= vocab_add(v, b, 1);
    }
    return rc;
}

static void vocab_free(Vocab *v)
{
    for (int i = 0; i < v->n; i++)
        free(v->tok[i]);
    free(v->tok);
    free(v->score);
    free(v->type);
    free(v->slots);
}

/* ---- command line ---- */

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end != 0 || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int parse_type(const char *s, GgmlType *t)
{
    static const GgmlType all[] = {
        GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_BF16, GGML_TYPE_Q4_0, GGML_TYPE_Q4_1,
        GGML_TYPE_Q5_0, GGML_TYPE_Q5_1, GGML_TYPE_Q8_0, GGML_TYPE_Q4_K, GGML_TYPE_Q5_K,
        GGML_TYPE_Q6_K,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (strcasecmp(s, quant_type_name(all[i])) == 0) {
            *t = all[i];
            return 0;
        }
    return -1;
}

/* llama.cpp's general.file_type for an all-one-type model. */
static uint32_t file_type(GgmlType t)
{
    switch (t) {
    case GGML_TYPE_F32: return 0;
    case GGML_TYPE_F16: return 1;
    case GGML_TYPE_Q4_0: return 2;
    case GGML_TYPE_Q4_1: return 3;
    case GGML_TYPE_Q8_0: return 7;
    case GGML_TYPE_Q5_0: return 8;
    case GGML_TYPE_Q5_1: return 9;
    case GGML_TYPE_Q4_K: return 14; /* Q4_K_S */
    case GGML_TYPE_Q5_K: return 16; /* Q5_K_S */
    case GGML_TYPE_Q6_K: return 18;
    case GGML_TYPE_BF16: return 32;
    default: return 0;
    }
}

static void usage(FILE *f, const char *argv0)
{
    fprintf(f,
            "usage: %s [--params tiny|125M|1B|3B|7B] [--type TYPE] [--dim N] [--layers N]\n"
            "          [--heads N] [--kv-heads N] [--ff N] [--vocab N] [--ctx N] [--seed N]\n"
            "          [--tied] [--threads N] -o FILE\n"
            "TYPE: f32 f16 bf16 q4_0 q4_1 q5_0 q5_1 q8_0 q4_k q5_k q6_k (default q8_0)\n",
            argv0);
}

int main(int argc, char **argv)
{
    Shape sh = PRESETS[2];
    GgmlType type = GGML_TYPE_Q8_0;
    const char *out = NULL;
    long seed = 1234, threads = 0;
    bool tied = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        int *field = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout, argv[0]);
            return 0;
        } else if (!strcmp(a, "--tied")) {
            tied = true;
            continue;
        }
        if (!v) {
            usage(stderr, argv[0]);
            return 2;
        }
        i++;
        if (!strcmp(a, "--params")) {
            bool found = false;
            for (size_t p = 0; p < sizeof PRESETS / sizeof PRESETS[0]; p++)
                if (!strcasecmp(v, PRESETS[p].name)) {
                    sh = PRESETS[p];
                    found = true;
                }
            if (!found) {
                fprintf(stderr, "unknown --params %s (tiny, 125M, 1B, 3B, 7B)\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--type")) {
            if (parse_type(v, &type) != 0) {
                fprintf(stderr, "unknown --type %s\n", v);
                return 2;
            }
        } else if (!strcmp(a, "-o")) {
            out = v;
        } else if (!strcmp(a, "--seed")) {
            if (parse_int(v, 0, 0x7fffffffL, &seed) != 0) {
                fprintf(stderr, "bad --seed %s\n", v);
                return 2;
            }
        } else if (!strcmp(a, "--threads")) {
            if (parse_int(v, 0, 256, &threads) != 0) {
                fprintf(stderr, "bad --threads %s\n", v);
                return 2;
            }
        } else {
            if (!strcmp(a, "--dim")) field = &sh.dim;
            else if (!strcmp(a, "--layers")) field = &sh.layers;
            else if (!strcmp(a, "--heads")) field = &sh.heads;
            else if (!strcmp(a, "--kv-heads")) field = &sh.kv_heads;
            else if (!strcmp(a, "--ff")) field = &sh.ff;
            else if (!strcmp(a, "--vocab")) field = &sh.vocab;
            else if (!strcmp(a, "--ctx")) field = &sh.ctx;
            if (!field || parse_int(v, 1, 1 << 22, &n) != 0) {
                fprintf(stderr, "bad option %s %s\n", a, v);
                usage(stderr, argv[0]);
                return 2;
            }
            *field = (int)n;
        }
    }
    if (!out) {
        usage(stderr, argv[0]);
        return 2;
    }
    int bs = quant_block_size(type);
    if (sh.dim % bs || sh.ff % bs) {
        fprintf(stderr, "dim %d and ff %d must be multiples of %s's block size %d\n", sh.dim,
                sh.ff, quant_type_name(type), bs);
        return 2;
    }
    if (sh.dim % sh.heads || sh.heads % sh.kv_heads || (sh.dim / sh.heads) % 2) {
        fprintf(stderr, "heads %d must divide dim %d into even head sizes, kv-heads %d must "
                "divide heads\n", sh.heads, sh.dim, sh.kv_heads);
        return 2;
    }
    if (sh.vocab < 512) {
        fprintf(stderr, "vocab must be at least 512 (control + byte tokens + characters)\n");
        return 2;
    }
    int head_dim = sh.dim / sh.heads, kv_dim = head_dim * sh.kv_heads;

    /* tensor list */
    int n_specs = 3 + 9 * sh.layers;
    Spec *specs = calloc((size_t)n_specs, sizeof *specs);
    if (!specs)
        return 1;
    int k = 0;
    uint64_t n_params = 0;
#define ADD(nm, t, e0, e1, kd)                                                                     \
    do {                                                                                           \
        snprintf(specs[k].name, sizeof specs[k].name, "%s", nm);                                   \
        specs[k].type = t;                                                                         \
        specs[k].ne0 = (uint64_t)(e0);                                                             \
        specs[k].ne1 = (uint64_t)(e1);                                                             \
        specs[k].kind = kd;                                                                        \
        n_params += specs[k].ne0 * specs[k].ne1;                                                   \
        k++;                                                                                       \
    } while (0)
    ADD("token_embd.weight", type, sh.dim, sh.vocab, KIND_EMBED);
    for (int l = 0; l < sh.layers; l++) {
        char nm[64];
#define LAYER(suffix, t, e0, e1, kd)                                                               \
    do {                                                                                           \
        snprintf(nm, sizeof nm, "blk.%d.%s", l, suffix);                                           \
        ADD(nm, t, e0, e1, kd);                                                                    \
    } while (0)
        LAYER("attn_norm.weight", GGML_TYPE_F32, sh.dim, 1, KIND_NORM);
        LAYER("attn_q.weight", type, sh.dim, sh.dim, KIND_MATRIX);
        LAYER("attn_k.weight", type, sh.dim, kv_dim, KIND_MATRIX);
        LAYER("attn_v.weight", type, sh.dim, kv_dim, KIND_MATRIX);
        LAYER("attn_output.weight", type, sh.dim, sh.dim, KIND_MATRIX);
        LAYER("ffn_norm.weight", GGML_TYPE_F32, sh.dim, 1, KIND_NORM);
        LAYER("ffn_gate.weight", type, sh.dim, sh.ff, KIND_MATRIX);
        LAYER("ffn_up.weight", type, sh.dim, sh.ff, KIND_MATRIX);
        LAYER("ffn_down.weight", type, sh.ff, sh.dim, KIND_MATRIX);
#undef LAYER
    }
    ADD("output_norm.weight", GGML_TYPE_F32, sh.dim, 1, KIND_NORM);
    if (!tied)
        ADD("output.weight", type, sh.dim, sh.vocab, KIND_MATRIX);
#undef ADD
    n_specs = k;

    Vocab voc = { 0 };
    if (vocab_build(&voc, sh.vocab) != 0) {
        fprintf(stderr, "out of memory building the vocabulary\n");
        return 1;
    }

    GgufWriter *w = gguf_writer_new();
    char name[96];
    snprintf(name, sizeof name, "versus-mkmodel %s %s", sh.name, quant_type_name(type));
    gguf_writer_add_string(w, "general.architecture", "llama");
    gguf_writer_add_string(w, "general.name", name);
    gguf_writer_add_u32(w, "general.file_type", file_type(type));
    gguf_writer_add_u32(w, "general.quantization_version", 2);
    gguf_writer_add_u32(w, "llama.context_length", (uint32_t)sh.ctx);
    gguf_writer_add_u32(w, "llama.embedding_length", (uint32_t)sh.dim);
    gguf_writer_add_u32(w, "llama.block_count", (uint32_t)sh.layers);
    gguf_writer_add_u32(w, "llama.feed_forward_length", (uint32_t)sh.ff);
    gguf_writer_add_u32(w, "llama.attention.head_count", (uint32_t)sh.heads);
    gguf_writer_add_u32(w, "llama.attention.head_count_kv", (uint32_t)sh.kv_heads);
    gguf_writer_add_u32(w, "llama.rope.dimension_count", (uint32_t)head_dim);
    gguf_writer_add_f32(w, "llama.rope.freq_base", 10000.0f);
    gguf_writer_add_f32(w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    gguf_writer_add_u32(w, "llama.vocab_size", (uint32_t)sh.vocab);
    gguf_writer_add_string(w, "tokenizer.ggml.model", "llama");
    gguf_writer_add_string_array(w, "tokenizer.ggml.tokens", (const char *const *)voc.tok,
                                 (uint64_t)voc.n);
    gguf_writer_add_array(w, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, voc.score, (uint64_t)voc.n);
    gguf_writer_add_array(w, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, voc.type, (uint64_t)voc.n);
    gguf_writer_add_u32(w, "tokenizer.ggml.bos_token_id", 1);
    gguf_writer_add_u32(w, "tokenizer.ggml.eos_token_id", 2);
    gguf_writer_add_u32(w, "tokenizer.ggml.unknown_token_id", 0);
    gguf_writer_add_bool(w, "tokenizer.ggml.add_bos_token", true);
    gguf_writer_add_bool(w, "tokenizer.ggml.add_eos_token", false);

    ThreadPool *pool = threadpool_new((int)threads);
    Gen gen = { .specs = specs, .n_specs = n_specs, .seed = (uint64_t)seed * 0x9E3779B97F4A7C15ull,
                .pool = pool };
    for (int i = 0; i < n_specs; i++) {
        uint64_t ne[2] = { specs[i].ne0, specs[i].ne1 };
        gguf_writer_add_tensor_fill(w, specs[i].name, specs[i].type, specs[i].ne1 > 1 ? 2 : 1,
                                    ne, fill_tensor, &gen);
    }
    fprintf(stderr, "writing %s: %s shape (dim %d, %d layers, %d/%d heads, ff %d, vocab %d), "
            "%.1fM parameters, %s, %d threads\n", out, sh.name, sh.dim, sh.layers, sh.heads,
            sh.kv_heads, sh.ff, sh.vocab, (double)n_params / 1e6, quant_type_name(type),
            threadpool_size(pool));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char err[512] = "";
    int rc = gguf_writer_write_file(w, out, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (isatty(2))
        fprintf(stderr, "\n");
    if (rc != 0) {
        fprintf(stderr, "versus-mkmodel: %s\n", err);
    } else {
        struct stat st;
        double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
        if (stat(out, &st) == 0)
            fprintf(stderr, "wrote %s: %.1f MiB in %.1f s\n", out, (double)st.st_size / 1048576.0,
                    secs);
    }
    threadpool_free(pool);
    gguf_writer_free(w);
    vocab_free(&voc);
    free(specs);
    return rc == 0 ? 0 : 1;
}
