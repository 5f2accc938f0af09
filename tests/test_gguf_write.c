/* test_gguf_write.c — the GGUF writer: what it writes is read back by the
 * engine's reader (gguf.h) with every metadata type, arrays, tensors and
 * alignment intact; a real ggml-written model rewritten key by key and tensor
 * by tensor comes out byte-identical; misuse is reported, not written. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/quant.h"
#include "testenv.h"

static GgufFile *reopen(GgufWriter *w, void **mem)
{
    size_t size;
    char err[256] = "";
    cr_assert_eq(gguf_writer_write_memory(w, mem, &size, err, sizeof err), 0, "%s", err);
    GgufFile *g = gguf_open_memory(*mem, size, err, sizeof err);
    cr_assert_not_null(g, "reader refused the writer's output: %s", err);
    return g;
}

static int fill_ramp(void *ctx, int64_t index, void *buf, size_t nbytes, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    int *calls = ctx;
    (*calls)++;
    for (size_t i = 0; i < nbytes; i++)
        ((uint8_t *)buf)[i] = (uint8_t)(i * 7 + (size_t)index);
    return 0;
}

Test(gguf_write, metadata_of_every_type_reads_back)
{
    GgufWriter *w = gguf_writer_new();
    cr_assert_eq(gguf_writer_add_u8(w, "t.u8", 200), 0);
    cr_assert_eq(gguf_writer_add_i8(w, "t.i8", -5), 0);
    cr_assert_eq(gguf_writer_add_u16(w, "t.u16", 60000), 0);
    cr_assert_eq(gguf_writer_add_i16(w, "t.i16", -30000), 0);
    cr_assert_eq(gguf_writer_add_u32(w, "t.u32", 4000000000u), 0);
    cr_assert_eq(gguf_writer_add_i32(w, "t.i32", -2000000000), 0);
    cr_assert_eq(gguf_writer_add_u64(w, "t.u64", 1ull << 40), 0);
    cr_assert_eq(gguf_writer_add_i64(w, "t.i64", -(1ll << 40)), 0);
    cr_assert_eq(gguf_writer_add_f32(w, "t.f32", 0.125f), 0);
    cr_assert_eq(gguf_writer_add_f64(w, "t.f64", -2.5), 0);
    cr_assert_eq(gguf_writer_add_bool(w, "t.bool", true), 0);
    cr_assert_eq(gguf_writer_add_string(w, "t.str", "héllo"), 0);
    int32_t ints[5] = { 1, -2, 3, -4, 5 };
    cr_assert_eq(gguf_writer_add_array(w, "t.ints", GGUF_TYPE_INT32, ints, 5), 0);
    float fl[3] = { 0.5f, -1.0f, 3.25f };
    cr_assert_eq(gguf_writer_add_array(w, "t.floats", GGUF_TYPE_FLOAT32, fl, 3), 0);
    const char *strs[3] = { "a", "", "<0x0A>" };
    cr_assert_eq(gguf_writer_add_string_array(w, "t.strs", strs, 3), 0);
    cr_assert_eq(gguf_writer_add_array(w, "t.empty", GGUF_TYPE_UINT8, NULL, 0), 0);

    void *mem;
    GgufFile *g = reopen(w, &mem);
    cr_assert_eq(gguf_version(g), 3);
    cr_assert_eq(gguf_key_count(g), 16);
    cr_assert_eq(gguf_get_int(g, "t.u8", 0), 200);
    cr_assert_eq(gguf_get_int(g, "t.i8", 0), -5);
    cr_assert_eq(gguf_get_int(g, "t.u16", 0), 60000);
    cr_assert_eq(gguf_get_int(g, "t.i16", 0), -30000);
    cr_assert_eq(gguf_get_int(g, "t.u32", 0), 4000000000ll);
    cr_assert_eq(gguf_get_int(g, "t.i32", 0), -2000000000);
    cr_assert_eq(gguf_get_int(g, "t.u64", 0), 1ll << 40);
    cr_assert_eq(gguf_get_int(g, "t.i64", 0), -(1ll << 40));
    cr_assert_float_eq(gguf_get_float(g, "t.f32", 0), 0.125, 0);
    cr_assert_float_eq(gguf_get_float(g, "t.f64", 0), -2.5, 0);
    cr_assert(gguf_get_bool(g, "t.bool", false));
    cr_assert(gguf_string_eq(gguf_get_string(g, "t.str"), "héllo"));
    cr_assert_eq(gguf_value_type(g, gguf_find_key(g, "t.u16")), GGUF_TYPE_UINT16);
    GgufValueType et;
    cr_assert_eq(gguf_array_len(g, "t.ints", &et), 5);
    cr_assert_eq(et, GGUF_TYPE_INT32);
    cr_assert_eq(memcmp(gguf_array_data(g, "t.ints"), ints, sizeof ints), 0);
    cr_assert_eq(memcmp(gguf_array_data(g, "t.floats"), fl, sizeof fl), 0);
    cr_assert_eq(gguf_array_len(g, "t.strs", &et), 3);
    cr_assert_eq(et, GGUF_TYPE_STRING);
    cr_assert(gguf_string_eq(gguf_array_string(g, "t.strs", 2), "<0x0A>"));
    cr_assert(gguf_string_eq(gguf_array_string(g, "t.strs", 1), ""));
    cr_assert_eq(gguf_array_len(g, "t.empty", NULL), 0);
    gguf_close(g);
    free(mem);
    gguf_writer_free(w);
}

Test(gguf_write, tensors_keep_shape_type_data_and_alignment)
{
    const int rows = 3, cols = 256;
    float src[3 * 256];
    for (int i = 0; i < rows * cols; i++)
        src[i] = (float)(i % 17) - 8.0f;
    uint8_t q4k[3 * 144];
    for (int r = 0; r < rows; r++)
        cr_assert_eq(quant_quantize_row(GGML_TYPE_Q4_K, src + r * cols, q4k + r * 144, cols), 0);
    float norm[5] = { 1, 2, 3, 4, 5 }; /* 20 bytes: forces padding before the next */
    for (int a = 0; a < 2; a++) {
        GgufWriter *w = gguf_writer_new();
        if (a)
            cr_assert_eq(gguf_writer_set_alignment(w, 64), 0);
        cr_assert_eq(gguf_writer_add_string(w, "general.architecture", "llama"), 0);
        cr_assert_eq(gguf_writer_add_tensor(w, "norm", GGML_TYPE_F32, 1, (uint64_t[]){ 5 }, norm), 0);
        cr_assert_eq(gguf_writer_add_tensor(w, "w", GGML_TYPE_Q4_K, 2,
                                            (uint64_t[]){ (uint64_t)cols, (uint64_t)rows }, q4k), 0);
        int calls = 0;
        cr_assert_eq(gguf_writer_add_tensor_fill(w, "gen", GGML_TYPE_Q8_0, 3,
                                                 (uint64_t[]){ 64, 2, 3 }, fill_ramp, &calls), 0);
        cr_assert_eq(gguf_writer_tensor_count(w), 3);
        void *mem;
        GgufFile *g = reopen(w, &mem);
        cr_assert_eq(calls, 1);
        cr_assert_eq(gguf_tensor_count(g), 3);
        const GgufTensor *t = gguf_find_tensor(g, "w");
        cr_assert_not_null(t);
        cr_assert_eq(t->type, GGML_TYPE_Q4_K);
        cr_assert_eq(t->n_dims, 2);
        cr_assert_eq(t->ne[0], (uint64_t)cols);
        cr_assert_eq(t->ne[1], (uint64_t)rows);
        cr_assert_eq(t->nbytes, sizeof q4k);
        cr_assert_eq(memcmp(t->data, q4k, sizeof q4k), 0);
        uint64_t align = a ? 64 : 32;
        cr_assert_eq(t->offset % align, 0);
        cr_assert_eq(((uintptr_t)t->data - (uintptr_t)mem) % align, 0, "file offset aligned");
        const GgufTensor *n = gguf_find_tensor(g, "norm");
        cr_assert_eq(memcmp(n->data, norm, sizeof norm), 0);
        const GgufTensor *gt = gguf_find_tensor(g, "gen");
        cr_assert_eq(gt->ne[2], 3);
        cr_assert_eq(gt->nbytes, 64 / 32 * 34 * 2 * 3);
        cr_assert_eq(((const uint8_t *)gt->data)[5], (uint8_t)(5 * 7 + 2));
        float row[256];
        cr_assert_eq(quant_get_row(t->type, t->data, 2, cols, row), 0);
        cr_assert_float_eq(row[0], src[2 * cols], 0.6f);
        if (a)
            cr_assert_eq(gguf_get_int(g, "general.alignment", 0), 64);
        gguf_close(g);
        free(mem);
        gguf_writer_free(w);
    }
}

Test(gguf_write, misuse_is_reported_at_write_time)
{
    char err[256] = "";
    void *mem = NULL;
    size_t size;
    GgufWriter *w = gguf_writer_new();
    cr_assert_eq(gguf_writer_add_u32(w, "k", 1), 0);
    cr_assert_eq(gguf_writer_add_u32(w, "k", 2), -1);
    cr_assert_eq(gguf_writer_write_memory(w, &mem, &size, err, sizeof err), -1);
    cr_assert(strstr(err, "duplicate metadata key 'k'"), "%s", err);
    gguf_writer_free(w);

    w = gguf_writer_new();
    uint8_t data[1024] = { 0 };
    cr_assert_eq(gguf_writer_add_tensor(w, "bad", GGML_TYPE_Q4_K, 1, (uint64_t[]){ 100 }, data), -1);
    cr_assert_eq(gguf_writer_write_memory(w, &mem, &size, err, sizeof err), -1);
    cr_assert(strstr(err, "block size 256"), "%s", err);
    gguf_writer_free(w);

    w = gguf_writer_new();
    cr_assert_eq(gguf_writer_set_alignment(w, 48), -1);
    gguf_writer_free(w);

    w = gguf_writer_new();
    cr_assert_eq(gguf_writer_write_file(w, "/nonexistent-dir/x.gguf", err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent-dir/x.gguf"), "%s", err);
    gguf_writer_free(w);
}

Test(gguf_write, file_output_is_atomic_and_readable)
{
    char path[] = "/tmp/versus-gguf-write-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    GgufWriter *w = gguf_writer_new();
    uint16_t h[32];
    for (int i = 0; i < 32; i++)
        h[i] = quant_fp32_to_fp16((float)i);
    gguf_writer_add_tensor(w, "h", GGML_TYPE_F16, 2, (uint64_t[]){ 8, 4 }, h);
    char err[256] = "";
    cr_assert_eq(gguf_writer_write_file(w, path, err, sizeof err), 0, "%s", err);
    gguf_writer_free(w);
    GgufFile *g = gguf_open(path, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    float row[8];
    const GgufTensor *t = gguf_find_tensor(g, "h");
    cr_assert_eq(quant_get_row(t->type, t->data, 3, 8, row), 0);
    cr_assert_float_eq(row[7], 31.0f, 0.0f);
    gguf_close(g);
    unlink(path);
}

/* ---- a real ggml-written file, rewritten through the writer ---- */

static int copy_kv(GgufWriter *w, const GgufFile *g, int64_t i)
{
    GgufString ks = gguf_key_name(g, i);
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)ks.len, ks.ptr);
    switch (gguf_value_type(g, i)) {
    case GGUF_TYPE_STRING: {
        GgufString s = gguf_get_string(g, key);
        return gguf_writer_add_string_len(w, key, s.ptr, s.len);
    }
    case GGUF_TYPE_ARRAY: {
        GgufValueType et;
        int64_t n = gguf_array_len(g, key, &et);
        if (et != GGUF_TYPE_STRING)
            return gguf_writer_add_array(w, key, et, gguf_array_data(g, key), (uint64_t)n);
        char **strs = calloc((size_t)n + 1, sizeof *strs);
        for (int64_t k = 0; k < n; k++) {
            GgufString s = gguf_array_string(g, key, k);
            strs[k] = strndup(s.ptr, s.len);
        }
        int rc = gguf_writer_add_string_array(w, key, (const char *const *)strs, (uint64_t)n);
        for (int64_t k = 0; k < n; k++)
            free(strs[k]);
        free(strs);
        return rc;
    }
    case GGUF_TYPE_UINT32: return gguf_writer_add_u32(w, key, (uint32_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_INT32: return gguf_writer_add_i32(w, key, (int32_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_UINT64: return gguf_writer_add_u64(w, key, (uint64_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_INT64: return gguf_writer_add_i64(w, key, gguf_get_int(g, key, 0));
    case GGUF_TYPE_UINT8: return gguf_writer_add_u8(w, key, (uint8_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_INT8: return gguf_writer_add_i8(w, key, (int8_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_UINT16: return gguf_writer_add_u16(w, key, (uint16_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_INT16: return gguf_writer_add_i16(w, key, (int16_t)gguf_get_int(g, key, 0));
    case GGUF_TYPE_FLOAT32: return gguf_writer_add_f32(w, key, (float)gguf_get_float(g, key, 0));
    case GGUF_TYPE_FLOAT64: return gguf_writer_add_f64(w, key, gguf_get_float(g, key, 0));
    case GGUF_TYPE_BOOL: return gguf_writer_add_bool(w, key, gguf_get_bool(g, key, false));
    default: return -1;
    }
}

Test(gguf_write, real_model_rewritten_through_the_writer_is_byte_identical)
{
    char path[1024], err[256] = "";
    if (!testenv_shared("models/stories260K.gguf", path, sizeof path))
        cr_skip_test("VERSUS_SHARED not set");
    GgufFile *g = gguf_open(path, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    int64_t align = gguf_get_int(g, "general.alignment", 32);
    cr_assert_eq(align, 32, "this test rewrites files with the default alignment");
    GgufWriter *w = gguf_writer_new();
    for (int64_t i = 0; i < gguf_key_count(g); i++)
        cr_assert_eq(copy_kv(w, g, i), 0, "key %lld", (long long)i);
    for (int64_t i = 0; i < gguf_tensor_count(g); i++) {
        const GgufTensor *t = gguf_tensor(g, i);
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        cr_assert_eq(gguf_writer_add_tensor(w, name, t->type, t->n_dims, t->ne, t->data), 0);
    }
    void *mem;
    size_t size;
    cr_assert_eq(gguf_writer_write_memory(w, &mem, &size, err, sizeof err), 0, "%s", err);
    FILE *f = fopen(path, "rb");
    uint8_t *orig = malloc(size + 1);
    size_t n = fread(orig, 1, size + 1, f);
    fclose(f);
    /* ggml pads the data section's end too; compare what both have */
    cr_assert(n == size || (n < size && size - n < (size_t)align), "sizes %zu vs %zu", n, size);
    size_t same = 0;
    while (same < n && orig[same] == ((uint8_t *)mem)[same])
        same++;
    cr_assert_eq(same, n, "first difference at byte %zu of %zu", same, n);
    free(orig);
    free(mem);
    gguf_writer_free(w);
    gguf_close(g);
}

/* ---- bench/versus-mkmodel output ---- */

Test(mkmodel, tiny_model_loads_with_llama_metadata_and_tensors)
{
    const char *bd = getenv("VERSUS_BUILDDIR");
    if (!bd || !*bd)
        cr_skip_test("VERSUS_BUILDDIR not set");
    char tool[1024], path[] = "/tmp/versus-mkmodel-XXXXXX", cmd[2300], err[256] = "";
    snprintf(tool, sizeof tool, "%s/bench/versus-mkmodel", bd);
    if (access(tool, X_OK) != 0)
        cr_skip_test("bench/versus-mkmodel not built");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    snprintf(cmd, sizeof cmd, "'%s' --params tiny --type q4_k --threads 1 -o '%s' 2>/dev/null", tool,
             path);
    cr_assert_eq(system(cmd), 0, "%s", cmd);
    GgufFile *g = gguf_open(path, err, sizeof err);
    cr_assert_not_null(g, "%s", err);
    cr_assert(gguf_string_eq(gguf_get_string(g, "general.architecture"), "llama"));
    cr_assert(gguf_string_eq(gguf_get_string(g, "tokenizer.ggml.model"), "llama"));
    cr_assert_eq(gguf_get_int(g, "llama.embedding_length", 0), 256);
    cr_assert_eq(gguf_get_int(g, "llama.block_count", 0), 2);
    GgufValueType et;
    cr_assert_eq(gguf_array_len(g, "tokenizer.ggml.tokens", &et), 1024);
    cr_assert_eq(gguf_array_len(g, "tokenizer.ggml.scores", NULL), 1024);
    cr_assert(gguf_string_eq(gguf_array_string(g, "tokenizer.ggml.tokens", 1), "<s>"));
    cr_assert(gguf_string_eq(gguf_array_string(g, "tokenizer.ggml.tokens", 3 + 0x41), "<0x41>"));
    const GgufTensor *t = gguf_find_tensor(g, "blk.1.ffn_down.weight");
    cr_assert_not_null(t);
    cr_assert_eq(t->type, GGML_TYPE_Q4_K);
    cr_assert_eq(t->ne[0], 768);
    cr_assert_eq(t->ne[1], 256);
    const GgufTensor *n = gguf_find_tensor(g, "output_norm.weight");
    cr_assert_eq(n->type, GGML_TYPE_F32);
    cr_assert_float_eq(((const float *)n->data)[0], 1.0f, 0.0f);
    /* weights have the promised spread: std ~ 1/sqrt(fan_in) */
    float row[768];
    double ss = 0;
    for (int r = 0; r < 8; r++) {
        cr_assert_eq(quant_get_row(t->type, t->data, r, 768, row), 0);
        for (int c = 0; c < 768; c++)
            ss += (double)row[c] * row[c];
    }
    double sd = sqrt(ss / (8 * 768));
    cr_assert(sd > 0.8 / sqrt(768.0) && sd < 1.2 / sqrt(768.0), "std %g", sd);
    gguf_close(g);
    unlink(path);
}
