/* test_gguf.c — the GGUF reader: real files open and read back right, and
 * every kind of broken or hostile file is refused with a message saying what
 * is wrong (never a crash or a read outside the buffer: run under
 * --enable-sanitizers to prove the latter). Malformed files are built here from
 * the real stories260K.gguf bytes. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "testenv.h"

/* ---- fixtures ---------------------------------------------------------------- */

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n);
    cr_assert_eq(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return p;
}

static unsigned char *g_file;  /* stories260K.gguf bytes */
static size_t g_size;

static void load_stories(void)
{
    char *p = testenv_shared_path("models/stories260K.gguf");
    if (!p)
        cr_skip_test("VERSUS_SHARED not set");
    g_file = read_all(p, &g_size);
    free(p);
}

static void free_stories(void)
{
    free(g_file);
    g_file = NULL;
}

/* Section boundaries found by a walker independent of gguf.c. */
typedef struct Layout {
    size_t kv_start[64];     /* offset of each key/value entry */
    size_t kv_value[64];     /* offset of each entry's value type field */
    size_t n_kv;
    size_t ti_start[128];    /* offset of each tensor info */
    size_t ti_type[128];     /* offset of each tensor info's type field */
    size_t n_tensors;
    size_t infos_end;
} Layout;

static uint64_t get64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static uint32_t get32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

static size_t scalar_bytes(uint32_t t)
{
    static const size_t sz[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
    return sz[t];
}

static Layout walk(const unsigned char *d)
{
    Layout L = { 0 };
    L.n_tensors = get64(d + 8);
    L.n_kv = get64(d + 16);
    size_t off = 24;
    for (size_t i = 0; i < L.n_kv; i++) {
        L.kv_start[i] = off;
        off += 8 + get64(d + off);
        L.kv_value[i] = off;
        uint32_t t = get32(d + off);
        off += 4;
        if (t == 8) {
            off += 8 + get64(d + off);
        } else if (t == 9) {
            uint32_t et = get32(d + off);
            uint64_t n = get64(d + off + 4);
            off += 12;
            for (uint64_t j = 0; j < n; j++)
                off += et == 8 ? 8 + get64(d + off) : scalar_bytes(et);
        } else {
            off += scalar_bytes(t);
        }
    }
    for (size_t i = 0; i < L.n_tensors; i++) {
        L.ti_start[i] = off;
        off += 8 + get64(d + off);
        uint32_t nd = get32(d + off);
        off += 4 + 8 * nd;
        L.ti_type[i] = off;
        off += 12;
    }
    L.infos_end = off;
    return L;
}

/* Opens a private copy of the first n bytes (exactly n allocated, so a read
 * past the end is caught by AddressSanitizer). Returns the error text in err. */
static GgufFile *open_copy(const unsigned char *src, size_t n, char *err, size_t errlen)
{
    unsigned char *copy = malloc(n ? n : 1);
    memcpy(copy, src, n);
    err[0] = '\0';
    GgufFile *g = gguf_open_memory(copy, n, err, errlen);
    if (g) {
        /* exercise every accessor over the whole file while the copy lives */
        for (int64_t i = 0; i < gguf_tensor_count(g); i++) {
            const GgufTensor *t = gguf_tensor(g, i);
            const unsigned char *p = t->data;
            volatile unsigned char sink = 0;
            if (t->nbytes)
                sink ^= p[0] ^ p[t->nbytes - 1];
            (void)sink;
        }
        gguf_close(g);
        g = (GgufFile *)1; /* caller only tests for success */
    }
    free(copy);
    return g;
}

static void expect_reject(const unsigned char *d, size_t n, const char *needle)
{
    char err[512];
    GgufFile *g = open_copy(d, n, err, sizeof err);
    cr_assert_null(g, "a malformed file was accepted (expected an error containing '%s')", needle);
    cr_assert(err[0] != '\0', "no error message");
    cr_assert(strstr(err, needle) != NULL, "error '%s' does not mention '%s'", err, needle);
}

static unsigned char *mutable_copy(void)
{
    unsigned char *m = malloc(g_size);
    memcpy(m, g_file, g_size);
    return m;
}

/* ---- real files ---------------------------------------------------------------- */

Test(gguf, stories260k_metadata_and_tensors_read_back, .init = load_stories, .fini = free_stories)
{
    char *p = testenv_shared_path("models/stories260K.gguf");
    char err[512];
    GgufFile *g = gguf_open(p, err, sizeof err);
    free(p);
    cr_assert_not_null(g, "%s", err);
    cr_assert_eq(gguf_version(g), 3);
    cr_assert_eq(gguf_file_size(g), g_size);
    cr_assert_eq(gguf_tensor_count(g), 48);
    cr_assert_eq(gguf_key_count(g), 19);
    cr_assert(gguf_string_eq(gguf_get_string(g, "general.architecture"), "llama"));
    cr_assert_eq(gguf_get_int(g, "llama.context_length", -1), 2048);
    cr_assert_eq(gguf_get_int(g, "llama.attention.head_count_kv", -1), 4);
    cr_assert_eq(gguf_get_int(g, "tokenizer.ggml.seperator_token_id", -1), 4294967295LL);
    cr_assert_float_eq(gguf_get_float(g, "llama.attention.layer_norm_rms_epsilon", 0), 1e-5, 1e-9);
    /* wrong-typed or missing keys give the default */
    cr_assert_eq(gguf_get_int(g, "general.architecture", -7), -7);
    cr_assert_eq(gguf_get_int(g, "no.such.key", 42), 42);
    cr_assert_eq(gguf_get_bool(g, "llama.context_length", true), true);
    cr_assert_null(gguf_get_string(g, "llama.context_length").ptr);
    GgufValueType et;
    cr_assert_eq(gguf_array_len(g, "tokenizer.ggml.tokens", &et), 512);
    cr_assert_eq(et, GGUF_TYPE_STRING);
    cr_assert(gguf_string_eq(gguf_array_string(g, "tokenizer.ggml.tokens", 1), "<s>"));
    cr_assert_null(gguf_array_string(g, "tokenizer.ggml.tokens", 512).ptr);
    cr_assert_null(gguf_array_string(g, "tokenizer.ggml.tokens", -1).ptr);
    cr_assert_null(gguf_array_data(g, "tokenizer.ggml.tokens"));
    cr_assert_eq(gguf_array_len(g, "tokenizer.ggml.scores", &et), 512);
    cr_assert_eq(et, GGUF_TYPE_FLOAT32);
    cr_assert_not_null(gguf_array_data(g, "tokenizer.ggml.scores"));
    cr_assert_eq(gguf_array_len(g, "llama.block_count", NULL), -1);

    const GgufTensor *t = gguf_find_tensor(g, "blk.3.ffn_down.weight");
    cr_assert_not_null(t);
    cr_assert_eq(t->n_dims, 2);
    cr_assert_eq(t->ne[0], 172);
    cr_assert_eq(t->ne[1], 64);
    cr_assert_eq(t->ne[2], 1);
    cr_assert_eq(t->type, GGML_TYPE_F32);
    cr_assert_eq(t->nbytes, 172 * 64 * 4);
    /* the data pointer is the file's bytes at data section + offset */
    size_t data_start = (walk(g_file).infos_end + 31) / 32 * 32;
    cr_assert_eq(memcmp(t->data, g_file + data_start + t->offset, t->nbytes), 0);
    cr_assert_null(gguf_find_tensor(g, "blk.3.ffn_down"));
    cr_assert_str_eq(gguf_type_name(GGML_TYPE_Q4_K), "Q4_K");
    cr_assert_str_eq(gguf_type_name((GgmlType)99), "unknown");
    gguf_close(g);
}

Test(gguf, every_vocab_only_file_opens)
{
    static const char *names[] = { "baichuan", "bert-bge", "deepseek-coder", "deepseek-llm", "falcon",
                                   "gpt-2", "gpt-neox", "llama-spm", "mpt", "phi-3", "refact",
                                   "starcoder" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "models/vocab/ggml-vocab-%s.gguf", names[i]);
        char *p = testenv_shared_path(rel);
        if (!p)
            cr_skip_test("VERSUS_SHARED not set");
        char err[512];
        GgufFile *g = gguf_open(p, err, sizeof err);
        cr_assert_not_null(g, "%s: %s", names[i], err);
        cr_assert_gt(gguf_array_len(g, "tokenizer.ggml.tokens", NULL), 1000, "%s", names[i]);
        gguf_close(g);
        free(p);
    }
}

Test(gguf, missing_and_non_regular_files_are_refused)
{
    char err[512];
    cr_assert_null(gguf_open("/nonexistent/model.gguf", err, sizeof err));
    cr_assert(strstr(err, "/nonexistent/model.gguf") && strstr(err, "No such file"), "%s", err);
    cr_assert_null(gguf_open("/tmp", err, sizeof err));
    cr_assert(strstr(err, "not a regular file"), "%s", err);
    cr_assert_null(gguf_open("/dev/null", err, sizeof err));
    cr_assert_null(gguf_open_memory("", 0, err, sizeof err));
    cr_assert(strstr(err, "not a GGUF file"), "%s", err);
}

/* ---- truncation ---------------------------------------------------------------- */

Test(gguf, truncated_at_every_header_byte_is_rejected, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    char err[512];
    for (size_t n = 0; n < L.infos_end; n++) {
        GgufFile *g = open_copy(g_file, n, err, sizeof err);
        cr_assert_null(g, "truncated at %zu bytes was accepted", n);
        cr_assert(strstr(err, "truncated") || strstr(err, "not a GGUF") || strstr(err, "impossible") ||
                      strstr(err, "needs at least"),
                  "at %zu: unexpected message '%s'", n, err);
    }
}

Test(gguf, truncated_in_the_data_section_names_the_tensor, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    size_t data_start = (L.infos_end + 31) / 32 * 32;
    char err[512];
    /* every section boundary of the data (each tensor's end) and a spread of offsets */
    for (size_t n = L.infos_end; n < g_size; n += (n < data_start + 64 ? 1 : 4099)) {
        cr_assert_null(open_copy(g_file, n, err, sizeof err), "truncated at %zu accepted", n);
        cr_assert(strstr(err, "exceeds the file") || strstr(err, "data section"), "at %zu: %s", n, err);
    }
    cr_assert_null(open_copy(g_file, g_size - 1, err, sizeof err));
    cr_assert(strstr(err, "tensor 'blk.4.ffn_norm.weight'") && strstr(err, "exceeds the file"), "%s", err);
    cr_assert_not_null(open_copy(g_file, g_size, err, sizeof err), "%s", err);
}

/* ---- header fields ---------------------------------------------------------------- */

Test(gguf, bad_magic_and_versions_are_rejected, .init = load_stories, .fini = free_stories)
{
    unsigned char *m = mutable_copy();
    memcpy(m, "GGML", 4);
    expect_reject(m, g_size, "not a GGUF file");
    memcpy(m, "GGUF", 4);
    put32(m + 4, 1);
    expect_reject(m, g_size, "version 1 is not supported");
    put32(m + 4, 4);
    expect_reject(m, g_size, "unsupported GGUF version 4");
    put32(m + 4, 0x03000000u);
    expect_reject(m, g_size, "big-endian");
    put32(m + 4, 2); /* v2 has the same layout as v3 */
    char err[512];
    cr_assert_not_null(open_copy(m, g_size, err, sizeof err), "%s", err);
    free(m);
}

Test(gguf, absurd_counts_are_rejected_before_allocating, .init = load_stories, .fini = free_stories)
{
    unsigned char *m = mutable_copy();
    const uint64_t absurd[] = { UINT64_MAX, 1ull << 62, 1ull << 40, 100000000 };
    for (size_t i = 0; i < 4; i++) {
        memcpy(m, g_file, g_size);
        put64(m + 8, absurd[i]);
        expect_reject(m, g_size, "tensor count");
        memcpy(m, g_file, g_size);
        put64(m + 16, absurd[i]);
        expect_reject(m, g_size, "metadata count");
    }
    /* a plausible but wrong count runs off the end of the header */
    memcpy(m, g_file, g_size);
    put64(m + 8, 49);
    char err[512];
    cr_assert_null(open_copy(m, g_size, err, sizeof err));
    free(m);
}

Test(gguf, absurd_string_and_array_lengths_are_rejected, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    unsigned char *m = mutable_copy();
    /* key length */
    put64(m + L.kv_start[3], UINT64_MAX);
    expect_reject(m, g_size, "metadata entry 3: key needs");
    memcpy(m, g_file, g_size);
    put64(m + L.kv_start[3], 1u << 20);
    expect_reject(m, g_size, "key length");
    /* string value length (tokenizer.ggml.model is entry 3, a string) */
    memcpy(m, g_file, g_size);
    put64(m + L.kv_value[3] + 4, UINT64_MAX - 3);
    expect_reject(m, g_size, "'tokenizer.ggml.model'");
    /* array length (entry 0 is the string array of tokens) */
    memcpy(m, g_file, g_size);
    put64(m + L.kv_value[0] + 8, 1ull << 61);
    expect_reject(m, g_size, "array length");
    memcpy(m, g_file, g_size);
    put64(m + L.kv_value[1] + 8, 1000000); /* scores: float32 */
    expect_reject(m, g_size, "only");
    /* one string element inside the array */
    memcpy(m, g_file, g_size);
    put64(m + L.kv_value[0] + 16, UINT64_MAX);
    expect_reject(m, g_size, "string element 0");
    /* tensor name */
    memcpy(m, g_file, g_size);
    put64(m + L.ti_start[5], 1ull << 33);
    expect_reject(m, g_size, "tensor info 5: name needs");
    free(m);
}

Test(gguf, wrong_value_types_are_rejected, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    unsigned char *m = mutable_copy();
    put32(m + L.kv_value[5], 99);
    expect_reject(m, g_size, "unknown value type 99");
    memcpy(m, g_file, g_size);
    put32(m + L.kv_value[0] + 4, 9); /* array of arrays */
    expect_reject(m, g_size, "arrays of arrays");
    memcpy(m, g_file, g_size);
    put32(m + L.kv_value[1] + 4, 13);
    expect_reject(m, g_size, "unknown array element type 13");
    /* llama.context_length (u32 2048) retyped as bool: value byte 0 is 0 -> ok,
     * but as bool the following bytes no longer line up: must not be accepted */
    memcpy(m, g_file, g_size);
    size_t ctx = L.kv_value[11];
    put32(m + ctx, 7);
    m[ctx + 4] = 2;
    expect_reject(m, g_size, "bool value 2");
    /* retyping a u32 as u64 shifts everything after it: rejected somewhere */
    memcpy(m, g_file, g_size);
    put32(m + ctx, 10);
    char err[512];
    cr_assert_null(open_copy(m, g_size, err, sizeof err));
    free(m);
}

Test(gguf, duplicate_keys_and_bad_alignment_are_rejected, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    unsigned char *m = mutable_copy();
    /* entry 3 is "tokenizer.ggml.model" (20 bytes): rename it to another 20-byte key present */
    cr_assert_eq(get64(m + L.kv_start[3]), 20);
    memcpy(m + L.kv_start[3] + 8, "llama.context_length", 20);
    expect_reject(m, g_size, "duplicate metadata key 'llama.context_length'");
    /* entry 16 is "llama.block_count" (17 bytes, u32): make it general.alignment */
    memcpy(m, g_file, g_size);
    cr_assert_eq(get64(m + L.kv_start[16]), 17);
    memcpy(m + L.kv_start[16] + 8, "general.alignment", 17);
    put32(m + L.kv_value[16] + 4, 48);
    expect_reject(m, g_size, "power of two");
    put32(m + L.kv_value[16] + 4, 0);
    expect_reject(m, g_size, "power of two");
    /* alignment 8: tensor offsets (multiples of 32) still align, data start moves */
    put32(m + L.kv_value[16] + 4, 8);
    char err[512];
    GgufFile *g = open_copy(m, g_size, err, sizeof err);
    (void)g; /* data start is then infos_end rounded to 8: accepted or refused, never a crash */
    free(m);
}

/* ---- tensor table ---------------------------------------------------------------- */

Test(gguf, bad_tensor_infos_are_rejected, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    unsigned char *m = mutable_copy();
    size_t t3 = L.ti_type[12]; /* blk.1.attn_q.weight */
    put64(m + t3 + 4, 1ull << 40);
    expect_reject(m, g_size, "tensor 'blk.1.attn_q.weight': data offset");
    expect_reject(m, g_size, "exceeds the file");
    memcpy(m, g_file, g_size);
    put64(m + t3 + 4, UINT64_MAX - 31);
    expect_reject(m, g_size, "exceeds the file");
    memcpy(m, g_file, g_size);
    put64(m + t3 + 4, get64(g_file + t3 + 4) + 4);
    expect_reject(m, g_size, "not a multiple of the alignment");
    memcpy(m, g_file, g_size);
    put64(m + t3 + 4, get64(g_file + L.ti_type[11] + 4)); /* same offset as the previous tensor */
    expect_reject(m, g_size, "overlaps");
    memcpy(m, g_file, g_size);
    put32(m + t3, 16);
    expect_reject(m, g_size, "unsupported tensor type 16 (IQ2_XXS)");
    memcpy(m, g_file, g_size);
    put32(m + t3, 1000);
    expect_reject(m, g_size, "unsupported tensor type 1000");
    /* Q4_0 needs rows that are a multiple of 32: ffn_down rows are 172 */
    memcpy(m, g_file, g_size);
    put32(m + L.ti_type[9], GGML_TYPE_Q4_0);
    expect_reject(m, g_size, "not a multiple of the Q4_0 block size");
    /* dimension count and dimensions */
    memcpy(m, g_file, g_size);
    size_t nd = L.ti_start[12] + 8 + get64(g_file + L.ti_start[12]);
    put32(m + nd, 0);
    expect_reject(m, g_size, "0 dimensions");
    put32(m + nd, 5);
    expect_reject(m, g_size, "5 dimensions");
    memcpy(m, g_file, g_size);
    put64(m + nd + 4, 0);
    expect_reject(m, g_size, "dimension 0 is 0");
    memcpy(m, g_file, g_size);
    put64(m + nd + 4, 1ull << 62);
    put64(m + nd + 12, 1ull << 62);
    expect_reject(m, g_size, "dimension 1");
    /* duplicate names: blk.0.attn_q.weight -> blk.1.attn_q.weight */
    memcpy(m, g_file, g_size);
    memcpy(m + L.ti_start[3] + 8, "blk.1", 5);
    expect_reject(m, g_size, "duplicate tensor name 'blk.1.attn_q.weight'");
    free(m);
}

/* ---- random damage ---------------------------------------------------------------- */

Test(gguf, random_byte_damage_never_crashes, .init = load_stories, .fini = free_stories)
{
    Layout L = walk(g_file);
    unsigned char *m = mutable_copy();
    uint64_t s = 0x9e3779b97f4a7c15ull;
    int accepted = 0;
    for (int iter = 0; iter < 3000; iter++) {
        memcpy(m, g_file, L.infos_end);
        int flips = 1 + iter % 4;
        for (int k = 0; k < flips; k++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            size_t at = (size_t)(s % L.infos_end);
            m[at] = (unsigned char)(s >> 32);
        }
        char err[512];
        GgufFile *g = open_copy(m, g_size, err, sizeof err);
        if (g)
            accepted++;
        else
            cr_assert(err[0], "rejected without a message");
    }
    cr_log_info("random damage: %d of 3000 variants still valid", accepted);
    free(m);
}

Test(gguf, file_type_numbers_name_the_quantization_mix)
{
    cr_assert_str_eq(gguf_file_type_name(3), "Q4_1");
    cr_assert_str_eq(gguf_file_type_name(15), "Q4_K_M");
    cr_assert_str_eq(gguf_file_type_name(7), "Q8_0");
    cr_assert_str_eq(gguf_file_type_name(32), "BF16");
    cr_assert_null(gguf_file_type_name(4), "a value removed from the format has no name");
    cr_assert_null(gguf_file_type_name(-1));
    cr_assert_null(gguf_file_type_name(1024), "LLAMA_FTYPE_GUESSED is not in files");
}
