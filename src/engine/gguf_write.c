/* gguf_write.c — GGUF v3 writer (see gguf_write.h). Metadata is serialized as
 * it is added; tensor infos are kept until the write, when offsets are laid out
 * at the alignment and each tensor's bytes are copied or generated in turn, so
 * a multi-gigabyte model never has to sit in memory at once.
 *
 * File layout: "GGUF", u32 version 3, u64 tensor count, u64 kv count, the kvs
 * (key string, u32 type, value), the tensor infos (name, u32 n_dims, u64
 * ne[n_dims], u32 type, u64 offset), zero padding to the alignment, then the
 * data section with each tensor starting at a multiple of the alignment.
 * Strings are u64 length + bytes; everything little-endian. */
#include "engine/gguf_write.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/errmsg.h"
#include "engine/quant.h"

#define GGUF_MAGIC "GGUF"
#define GGUF_VERSION 3
#define DEFAULT_ALIGNMENT 32

typedef struct Bytes {
    uint8_t *p;
    size_t len, cap;
} Bytes;

typedef struct WTensor {
    char *name;
    GgmlType type;
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS];
    uint64_t nbytes;
    const void *data;      /* borrowed, or NULL when fill is set */
    GgufTensorFill fill;
    void *ctx;
} WTensor;

struct GgufWriter {
    Bytes kv;              /* serialized key/values */
    uint64_t n_kv;
    char **keys;           /* (n_kv) for duplicate checks */
    WTensor *tensors;      /* (n_tensors) */
    int64_t n_tensors, cap_tensors;
    uint32_t alignment;
    bool failed;
    char first_err[256];
};

/* ---- byte buffer ---- */

static int bytes_put(Bytes *b, const void *p, size_t n)
{
    if (n > SIZE_MAX - b->len)
        return -1;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
        uint8_t *q = realloc(b->p, cap);
        if (!q)
            return -1;
        b->p = q;
        b->cap = cap;
    }
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    return 0;
}

static int put_u32(Bytes *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return bytes_put(b, x, 4);
}

static int put_u64(Bytes *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++)
        x[i] = (uint8_t)(v >> (8 * i));
    return bytes_put(b, x, 8);
}

static int put_str(Bytes *b, const char *s, uint64_t len)
{
    if (put_u64(b, len) < 0)
        return -1;
    return bytes_put(b, s, (size_t)len);
}

/* ---- errors ---- */

static int wfail(GgufWriter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int wfail(GgufWriter *w, const char *fmt, ...)
{
    if (!w->failed) {
        va_list ap;
        va_start(ap, fmt);
        errmsg_vset(w->first_err, sizeof w->first_err, fmt, ap);
        va_end(ap);
        w->failed = true;
    }
    return -1;
}

/* ---- construction ---- */

GgufWriter *gguf_writer_new(void)
{
    GgufWriter *w = calloc(1, sizeof *w);
    if (w)
        w->alignment = DEFAULT_ALIGNMENT;
    return w;
}

void gguf_writer_free(GgufWriter *w)
{
    if (!w)
        return;
    for (uint64_t i = 0; i < w->n_kv; i++)
        free(w->keys[i]);
    free(w->keys);
    for (int64_t i = 0; i < w->n_tensors; i++)
        free(w->tensors[i].name);
    free(w->tensors);
    free(w->kv.p);
    free(w);
}

/* Starts a key/value: checks the key is new and writes key + type. */
static int begin_kv(GgufWriter *w, const char *key, GgufValueType type)
{
    if (!w)
        return -1;
    if (!key || !*key)
        return wfail(w, "gguf_write: empty metadata key");
    for (uint64_t i = 0; i < w->n_kv; i++)
        if (strcmp(w->keys[i], key) == 0)
            return wfail(w, "gguf_write: duplicate metadata key '%s'", key);
    char **keys = realloc(w->keys, (size_t)(w->n_kv + 1) * sizeof *keys);
    if (!keys)
        return wfail(w, "gguf_write: out of memory");
    w->keys = keys;
    char *k = strdup(key);
    if (!k || put_str(&w->kv, key, strlen(key)) < 0 || put_u32(&w->kv, (uint32_t)type) < 0) {
        free(k);
        return wfail(w, "gguf_write: out of memory");
    }
    w->keys[w->n_kv++] = k;
    return 0;
}

/* Appends one scalar given as host bytes of its size, little-endian. */
static int put_scalar(Bytes *b, GgufValueType t, const void *v)
{
    size_t n = gguf_scalar_size(t);
    uint8_t tmp[8];
    if (t == GGUF_TYPE_BOOL) {
        tmp[0] = *(const bool *)v ? 1 : 0;
        return bytes_put(b, tmp, 1);
    }
    memcpy(tmp, v, n);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t c = tmp[i];
        tmp[i] = tmp[n - 1 - i];
        tmp[n - 1 - i] = c;
    }
#endif
    return bytes_put(b, tmp, n);
}

static int add_scalar(GgufWriter *w, const char *key, GgufValueType t, const void *v)
{
    if (begin_kv(w, key, t) < 0)
        return -1;
    if (put_scalar(&w->kv, t, v) < 0)
        return wfail(w, "gguf_write: out of memory");
    return 0;
}

int gguf_writer_add_u8(GgufWriter *w, const char *k, uint8_t v) { return add_scalar(w, k, GGUF_TYPE_UINT8, &v); }
int gguf_writer_add_i8(GgufWriter *w, const char *k, int8_t v) { return add_scalar(w, k, GGUF_TYPE_INT8, &v); }
int gguf_writer_add_u16(GgufWriter *w, const char *k, uint16_t v) { return add_scalar(w, k, GGUF_TYPE_UINT16, &v); }
int gguf_writer_add_i16(GgufWriter *w, const char *k, int16_t v) { return add_scalar(w, k, GGUF_TYPE_INT16, &v); }
int gguf_writer_add_u32(GgufWriter *w, const char *k, uint32_t v) { return add_scalar(w, k, GGUF_TYPE_UINT32, &v); }
int gguf_writer_add_i32(GgufWriter *w, const char *k, int32_t v) { return add_scalar(w, k, GGUF_TYPE_INT32, &v); }
int gguf_writer_add_u64(GgufWriter *w, const char *k, uint64_t v) { return add_scalar(w, k, GGUF_TYPE_UINT64, &v); }
int gguf_writer_add_i64(GgufWriter *w, const char *k, int64_t v) { return add_scalar(w, k, GGUF_TYPE_INT64, &v); }
int gguf_writer_add_f32(GgufWriter *w, const char *k, float v) { return add_scalar(w, k, GGUF_TYPE_FLOAT32, &v); }
int gguf_writer_add_f64(GgufWriter *w, const char *k, double v) { return add_scalar(w, k, GGUF_TYPE_FLOAT64, &v); }
int gguf_writer_add_bool(GgufWriter *w, const char *k, bool v) { return add_scalar(w, k, GGUF_TYPE_BOOL, &v); }

int gguf_writer_add_string_len(GgufWriter *w, const char *key, const char *s, uint64_t len)
{
    if (begin_kv(w, key, GGUF_TYPE_STRING) < 0)
        return -1;
    if (put_str(&w->kv, s ? s : "", s ? len : 0) < 0)
        return wfail(w, "gguf_write: out of memory");
    return 0;
}

int gguf_writer_add_string(GgufWriter *w, const char *key, const char *s)
{
    return gguf_writer_add_string_len(w, key, s, s ? strlen(s) : 0);
}

int gguf_writer_add_array(GgufWriter *w, const char *key, GgufValueType elem_type,
                          const void *data, uint64_t n)
{
    size_t es = gguf_scalar_size(elem_type);
    if (!w)
        return -1;
    if (es == 0)
        return wfail(w, "gguf_write: '%s': array elements must be numbers or bools (type %d)",
                     key ? key : "", (int)elem_type);
    if (begin_kv(w, key, GGUF_TYPE_ARRAY) < 0)
        return -1;
    if (put_u32(&w->kv, (uint32_t)elem_type) < 0 || put_u64(&w->kv, n) < 0)
        return wfail(w, "gguf_write: out of memory");
    size_t host = elem_type == GGUF_TYPE_BOOL ? sizeof(bool) : es;
    for (uint64_t i = 0; i < n; i++)
        if (put_scalar(&w->kv, elem_type, (const uint8_t *)data + i * host) < 0)
            return wfail(w, "gguf_write: out of memory");
    return 0;
}

int gguf_writer_add_string_array(GgufWriter *w, const char *key, const char *const *strs,
                                 uint64_t n)
{
    if (begin_kv(w, key, GGUF_TYPE_ARRAY) < 0)
        return -1;
    if (put_u32(&w->kv, GGUF_TYPE_STRING) < 0 || put_u64(&w->kv, n) < 0)
        return wfail(w, "gguf_write: out of memory");
    for (uint64_t i = 0; i < n; i++) {
        const char *s = strs[i] ? strs[i] : "";
        if (put_str(&w->kv, s, strlen(s)) < 0)
            return wfail(w, "gguf_write: out of memory");
    }
    return 0;
}

int gguf_writer_set_alignment(GgufWriter *w, uint32_t alignment)
{
    if (!w)
        return -1;
    if (alignment == 0 || (alignment & (alignment - 1)))
        return wfail(w, "gguf_write: alignment %u is not a power of two", alignment);
    if (w->n_tensors)
        return wfail(w, "gguf_write: set the alignment before adding tensors");
    w->alignment = alignment;
    if (alignment != DEFAULT_ALIGNMENT)
        return gguf_writer_add_u32(w, "general.alignment", alignment);
    return 0;
}

/* Block geometry, including ggml types this engine can not compute with (so
 * tests can write files that exercise the loader's errors). */
static bool type_geometry(GgmlType t, uint64_t *block, uint64_t *bytes)
{
    if (quant_type_supported(t)) {
        *block = (uint64_t)quant_block_size(t);
        *bytes = quant_block_bytes(t);
        return true;
    }
    switch (t) {
    case GGML_TYPE_Q8_1: *block = 32; *bytes = 36; return true;
    case GGML_TYPE_Q2_K: *block = 256; *bytes = 84; return true;
    case GGML_TYPE_Q3_K: *block = 256; *bytes = 110; return true;
    case GGML_TYPE_Q8_K: *block = 256; *bytes = 292; return true;
    default: return false;
    }
}

static int add_tensor(GgufWriter *w, const char *name, GgmlType type, uint32_t n_dims,
                      const uint64_t *ne, const void *data, GgufTensorFill fill, void *ctx)
{
    if (!w)
        return -1;
    if (!name || !*name)
        return wfail(w, "gguf_write: empty tensor name");
    for (int64_t i = 0; i < w->n_tensors; i++)
        if (strcmp(w->tensors[i].name, name) == 0)
            return wfail(w, "gguf_write: duplicate tensor '%s'", name);
    if (n_dims < 1 || n_dims > GGUF_MAX_DIMS)
        return wfail(w, "gguf_write: tensor '%s' has %u dims (1..%d)", name, n_dims, GGUF_MAX_DIMS);
    uint64_t block, bbytes;
    if (!type_geometry(type, &block, &bbytes))
        return wfail(w, "gguf_write: tensor '%s': unknown type %d", name, (int)type);
    WTensor t = { .type = type, .n_dims = n_dims, .data = data, .fill = fill, .ctx = ctx };
    uint64_t count = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t.ne[d] = d < n_dims ? ne[d] : 1;
        if (t.ne[d] == 0 || count > UINT64_MAX / t.ne[d])
            return wfail(w, "gguf_write: tensor '%s': bad dimension %u", name, d);
        count *= t.ne[d];
    }
    if (t.ne[0] % block)
        return wfail(w, "gguf_write: tensor '%s': ne[0]=%llu is not a multiple of %s's block "
                     "size %llu", name, (unsigned long long)t.ne[0], quant_type_name(type),
                     (unsigned long long)block);
    t.nbytes = count / block * bbytes;
    if (w->n_tensors == w->cap_tensors) {
        int64_t cap = w->cap_tensors ? 2 * w->cap_tensors : 16;
        WTensor *nt = realloc(w->tensors, (size_t)cap * sizeof *nt);
        if (!nt)
            return wfail(w, "gguf_write: out of memory");
        w->tensors = nt;
        w->cap_tensors = cap;
    }
    t.name = strdup(name);
    if (!t.name)
        return wfail(w, "gguf_write: out of memory");
    w->tensors[w->n_tensors++] = t;
    return 0;
}

int gguf_writer_add_tensor(GgufWriter *w, const char *name, GgmlType type, uint32_t n_dims,
                           const uint64_t *ne, const void *data)
{
    if (w && !data)
        return wfail(w, "gguf_write: tensor '%s' has no data", name ? name : "");
    return add_tensor(w, name, type, n_dims, ne, data, NULL, NULL);
}

int gguf_writer_add_tensor_fill(GgufWriter *w, const char *name, GgmlType type, uint32_t n_dims,
                                const uint64_t *ne, GgufTensorFill fill, void *ctx)
{
    if (w && !fill)
        return wfail(w, "gguf_write: tensor '%s' has no fill function", name ? name : "");
    return add_tensor(w, name, type, n_dims, ne, NULL, fill, ctx);
}

int64_t gguf_writer_tensor_count(const GgufWriter *w)
{
    return w ? w->n_tensors : 0;
}

/* ---- output ---- */

typedef struct Sink {
    int (*write)(struct Sink *s, const void *p, size_t n);
    FILE *f;
    Bytes mem;
} Sink;

static int sink_file(Sink *s, const void *p, size_t n)
{
    return fwrite(p, 1, n, s->f) == n ? 0 : -1;
}

static int sink_mem(Sink *s, const void *p, size_t n)
{
    return bytes_put(&s->mem, p, n);
}

static int write_zeros(Sink *s, size_t n)
{
    static const uint8_t zeros[64];
    while (n) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        if (s->write(s, zeros, k) < 0)
            return -1;
        n -= k;
    }
    return 0;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static int write_all(GgufWriter *w, Sink *s, char *err, size_t errlen)
{
    if (w->failed) {
        snprintf(err, errlen, "%s", w->first_err);
        return -1;
    }
    Bytes h = { 0 };
    int rc = -1;
    uint8_t *buf = NULL;
    size_t buf_cap = 0;
    bool ok = bytes_put(&h, GGUF_MAGIC, 4) == 0 && put_u32(&h, GGUF_VERSION) == 0 &&
              put_u64(&h, (uint64_t)w->n_tensors) == 0 && put_u64(&h, w->n_kv) == 0 &&
              bytes_put(&h, w->kv.p, w->kv.len) == 0;
    uint64_t off = 0;
    for (int64_t i = 0; ok && i < w->n_tensors; i++) {
        const WTensor *t = &w->tensors[i];
        ok = put_str(&h, t->name, strlen(t->name)) == 0 && put_u32(&h, t->n_dims) == 0;
        for (uint32_t d = 0; ok && d < t->n_dims; d++)
            ok = put_u64(&h, t->ne[d]) == 0;
        ok = ok && put_u32(&h, (uint32_t)t->type) == 0 && put_u64(&h, off) == 0;
        off = align_up(off + t->nbytes, w->alignment);
    }
    if (!ok) {
        snprintf(err, errlen, "gguf_write: out of memory");
        goto out;
    }
    size_t pad = (size_t)(align_up(h.len, w->alignment) - h.len);
    if (s->write(s, h.p, h.len) < 0 || write_zeros(s, pad) < 0) {
        snprintf(err, errlen, "gguf_write: write failed: %s", strerror(errno));
        goto out;
    }
    for (int64_t i = 0; i < w->n_tensors; i++) {
        const WTensor *t = &w->tensors[i];
        const void *p = t->data;
        if (!p) {
            if (t->nbytes > SIZE_MAX) {
                snprintf(err, errlen, "gguf_write: tensor '%s' too large", t->name);
                goto out;
            }
            if ((size_t)t->nbytes > buf_cap) {
                free(buf);
                buf_cap = (size_t)t->nbytes;
                buf = malloc(buf_cap);
                if (!buf) {
                    snprintf(err, errlen, "gguf_write: out of memory for tensor '%s' (%llu bytes)",
                             t->name, (unsigned long long)t->nbytes);
                    goto out;
                }
            }
            if (t->fill(t->ctx, i, buf, (size_t)t->nbytes, err, errlen) < 0)
                goto out;
            p = buf;
        }
        size_t tpad = (size_t)(align_up(t->nbytes, w->alignment) - t->nbytes);
        if (s->write(s, p, (size_t)t->nbytes) < 0 || write_zeros(s, tpad) < 0) {
            snprintf(err, errlen, "gguf_write: write failed: %s", strerror(errno));
            goto out;
        }
    }
    rc = 0;
out:
    free(buf);
    free(h.p);
    return rc;
}

int gguf_writer_write_file(GgufWriter *w, const char *path, char *err, size_t errlen)
{
    if (!w || !path) {
        snprintf(err, errlen, "gguf_write: no writer or path");
        return -1;
    }
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "gguf_write: path too long");
        return -1;
    }
    Sink s = { .write = sink_file, .f = fopen(tmp, "wb") };
    if (!s.f) {
        snprintf(err, errlen, "gguf_write: cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    int rc = write_all(w, &s, err, errlen);
    if (fclose(s.f) != 0 && rc == 0) {
        snprintf(err, errlen, "gguf_write: cannot write %s: %s", tmp, strerror(errno));
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) != 0) {
        snprintf(err, errlen, "gguf_write: cannot rename %s to %s: %s", tmp, path, strerror(errno));
        rc = -1;
    }
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int gguf_writer_write_memory(GgufWriter *w, void **data, size_t *size, char *err, size_t errlen)
{
    if (!w || !data || !size) {
        snprintf(err, errlen, "gguf_write: no writer or output");
        return -1;
    }
    Sink s = { .write = sink_mem };
    if (write_all(w, &s, err, errlen) < 0) {
        free(s.mem.p);
        return -1;
    }
    *data = s.mem.p;
    *size = s.mem.len;
    return 0;
}
