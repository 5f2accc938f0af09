/* gguf.c — GGUF v2/v3 reader: maps a file, validates every byte it will ever
 * hand out, and answers metadata and tensor queries from the mapping.
 *
 * Everything a later accessor can touch is checked here, once, at open time:
 * header, each key/value (strings and arrays bounded by the file), the tensor
 * table (name, dims, type, byte size, alignment, offset inside the data
 * section, no overlaps, no duplicates). Counts read from the file are compared
 * with the bytes that remain before anything is allocated for them, so a
 * hostile header can not make us allocate more than the file could describe.
 * What the tensors mean (architectures, shapes) is model.c's business. */
#include "engine/gguf.h"
#include "engine/mapguard.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"

#define GGUF_MAGIC 0x46554747u   /* "GGUF" read little-endian */
#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_KEY_LEN 65535u  /* keys are short dotted names */
#define GGUF_MAX_NAME_LEN 1024u  /* tensor names (ggml itself allows 63) */
#define GGUF_MAX_COUNT (1ull << 32) /* n_kv, n_tensors, array lengths: far above any real file */

typedef struct GgufKv {
    GgufString key;
    GgufValueType type;
    const uint8_t *val;     /* scalar: its bytes; array: first element */
    GgufString str;         /* type STRING */
    GgufValueType elem;     /* type ARRAY: element type */
    uint64_t count;         /* type ARRAY: elements */
    GgufString *strs;       /* ARRAY of STRING: (count) */
} GgufKv;

struct GgufFile {
    const uint8_t *base;    /* mapping or caller buffer */
    size_t size;            /* bytes */
    bool mapped;            /* base came from mmap (unmap on close) */
    MapGuard *guard;        /* SIGBUS guard over the mapping, or NULL */
    uint32_t version;
    GgufKv *kv;             /* (n_kv) */
    int64_t n_kv;
    GgufTensor *tensors;    /* (n_tensors) */
    int64_t n_tensors;
    uint64_t alignment;     /* bytes */
    uint64_t data_offset;   /* start of the data section in the file */
};

/* ---- types: the one table is core/ggml_type.h ---------------------------------- */

/* A type whose block layout is known (so sizes can be checked), or NULL. */
static const GgmlTypeInfo *type_info(uint32_t t)
{
    const GgmlTypeInfo *ti = t <= 1024 ? ggml_type_info((int)t) : NULL;
    return ti && ti->block ? ti : NULL;
}

const char *gguf_type_name(GgmlType t)
{
    const GgmlTypeInfo *ti = ggml_type_info((int)t);
    return ti ? ti->name : "unknown";
}

const char *gguf_file_type_name(int64_t file_type)
{
    /* general.file_type, as llama.cpp's llama_ftype numbers them (gaps are
     * values that were removed from the format) */
    static const char *const names[] = {
        [0] = "F32",      [1] = "F16",      [2] = "Q4_0",     [3] = "Q4_1",     [7] = "Q8_0",
        [8] = "Q5_0",     [9] = "Q5_1",     [10] = "Q2_K",    [11] = "Q3_K_S",  [12] = "Q3_K_M",
        [13] = "Q3_K_L",  [14] = "Q4_K_S",  [15] = "Q4_K_M",  [16] = "Q5_K_S",  [17] = "Q5_K_M",
        [18] = "Q6_K",    [19] = "IQ2_XXS", [20] = "IQ2_XS",  [21] = "Q2_K_S",  [22] = "IQ3_XS",
        [23] = "IQ3_XXS", [24] = "IQ1_S",   [25] = "IQ4_NL",  [26] = "IQ3_S",   [27] = "IQ3_M",
        [28] = "IQ2_S",   [29] = "IQ2_M",   [30] = "IQ4_XS",  [31] = "IQ1_M",   [32] = "BF16",
        [36] = "TQ1_0",   [37] = "TQ2_0",   [38] = "MXFP4_MOE",
    };
    if (file_type < 0 || file_type >= (int64_t)(sizeof names / sizeof *names))
        return NULL;
    return names[file_type];
}

static const char *value_type_name(uint32_t t)
{
    static const char *const names[] = { "uint8", "int8", "uint16", "int16", "uint32", "int32",
                                         "float32", "bool", "string", "array", "uint64",
                                         "int64", "float64" };
    return t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}

size_t gguf_scalar_size(uint32_t t)
{
    switch (t) {
    case GGUF_TYPE_UINT8: case GGUF_TYPE_INT8: case GGUF_TYPE_BOOL: return 1;
    case GGUF_TYPE_UINT16: case GGUF_TYPE_INT16: return 2;
    case GGUF_TYPE_UINT32: case GGUF_TYPE_INT32: case GGUF_TYPE_FLOAT32: return 4;
    case GGUF_TYPE_UINT64: case GGUF_TYPE_INT64: case GGUF_TYPE_FLOAT64: return 8;
    default: return 0;
    }
}

/* ---- bounded reader --------------------------------------------------------- */

typedef struct Reader {
    const uint8_t *p;
    size_t size;
    size_t off;
    char *err;
    size_t errlen;
    char where[160]; /* what is being read, for error messages */
} Reader;

static void fail(Reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(Reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vset(r->err, r->errlen, fmt, ap);
    va_end(ap);
}

static size_t remaining(const Reader *r)
{
    return r->size - r->off;
}

static int need(Reader *r, uint64_t n, const char *what)
{
    if (n > remaining(r)) {
        fail(r, "truncated file: %s%s%s needs %" PRIu64 " bytes at offset %zu, but the file is %zu bytes",
             r->where, r->where[0] ? ": " : "", what, n, r->off, r->size);
        return -1;
    }
    return 0;
}

static int rd_u32(Reader *r, uint32_t *v, const char *what)
{
    if (need(r, 4, what) < 0)
        return -1;
    memcpy(v, r->p + r->off, 4);
    r->off += 4;
    return 0;
}

static int rd_u64(Reader *r, uint64_t *v, const char *what)
{
    if (need(r, 8, what) < 0)
        return -1;
    memcpy(v, r->p + r->off, 8);
    r->off += 8;
    return 0;
}

/* A length-prefixed string; maxlen caps it below what the file could hold. */
static int rd_str(Reader *r, GgufString *s, uint64_t maxlen, const char *what)
{
    uint64_t len;
    if (rd_u64(r, &len, what) < 0)
        return -1;
    if (need(r, len, what) < 0)
        return -1;
    if (len > maxlen) {
        fail(r, "%s%s%s length %" PRIu64 " at offset %zu is larger than the limit (%" PRIu64 ")",
             r->where, r->where[0] ? ": " : "", what, len, r->off - 8, maxlen);
        return -1;
    }
    s->ptr = (const char *)r->p + r->off;
    s->len = len;
    r->off += (size_t)len;
    return 0;
}

/* Copies s into a printable C string for messages (truncated, non-printables as '?'). */
static const char *printable(GgufString s, char *out, size_t outlen)
{
    size_t n = s.len < outlen - 1 ? (size_t)s.len : outlen - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
    return out;
}

bool gguf_string_eq(GgufString s, const char *str)
{
    if (!s.ptr || !str)
        return false;
    size_t n = strlen(str);
    return s.len == n && memcmp(s.ptr, str, n) == 0;
}

/* ---- parsing ---------------------------------------------------------------- */

static int parse_array(Reader *r, GgufKv *kv)
{
    uint32_t elem;
    if (rd_u32(r, &elem, "array element type") < 0)
        return -1;
    if (elem == GGUF_TYPE_ARRAY) {
        fail(r, "%s: arrays of arrays are not supported", r->where);
        return -1;
    }
    if (elem != GGUF_TYPE_STRING && gguf_scalar_size(elem) == 0) {
        fail(r, "%s: unknown array element type %" PRIu32, r->where, elem);
        return -1;
    }
    uint64_t count;
    if (rd_u64(r, &count, "array length") < 0)
        return -1;
    /* Every element takes at least min_size bytes: bound the count by what is left. */
    size_t min_size = elem == GGUF_TYPE_STRING ? 8 : gguf_scalar_size(elem);
    if (count > GGUF_MAX_COUNT || count > remaining(r) / min_size) {
        fail(r, "%s: array length %" PRIu64 " of %s needs at least %" PRIu64
                " bytes but only %zu remain in the file",
             r->where, count, value_type_name(elem),
             count > UINT64_MAX / min_size ? UINT64_MAX : count * min_size, remaining(r));
        return -1;
    }
    kv->elem = (GgufValueType)elem;
    kv->count = count;
    kv->val = r->p + r->off;
    if (elem != GGUF_TYPE_STRING) {
        if (elem == GGUF_TYPE_BOOL) {
            for (uint64_t i = 0; i < count; i++)
                if (r->p[r->off + i] > 1) {
                    fail(r, "%s: bool element %" PRIu64 " has value %u (must be 0 or 1)",
                         r->where, i, r->p[r->off + i]);
                    return -1;
                }
        }
        r->off += (size_t)(count * min_size);
        return 0;
    }
    kv->strs = count ? malloc((size_t)count * sizeof *kv->strs) : NULL;
    if (count && !kv->strs) {
        fail(r, "%s: out of memory for %" PRIu64 " strings", r->where, count);
        return -1;
    }
    for (uint64_t i = 0; i < count; i++) {
        char what[64];
        snprintf(what, sizeof what, "string element %" PRIu64, i);
        if (rd_str(r, &kv->strs[i], remaining(r), what) < 0)
            return -1;
    }
    return 0;
}

static int parse_kv(Reader *r, GgufKv *kv, uint64_t index)
{
    snprintf(r->where, sizeof r->where, "metadata entry %" PRIu64, index);
    if (rd_str(r, &kv->key, GGUF_MAX_KEY_LEN, "key") < 0)
        return -1;
    if (kv->key.len == 0) {
        fail(r, "%s: empty key", r->where);
        return -1;
    }
    char name[96];
    snprintf(r->where, sizeof r->where, "metadata entry %" PRIu64 " ('%s')", index,
             printable(kv->key, name, sizeof name));
    uint32_t type;
    if (rd_u32(r, &type, "value type") < 0)
        return -1;
    kv->type = (GgufValueType)type;
    if (type == GGUF_TYPE_STRING)
        return rd_str(r, &kv->str, remaining(r), "string value");
    if (type == GGUF_TYPE_ARRAY)
        return parse_array(r, kv);
    size_t n = gguf_scalar_size(type);
    if (n == 0) {
        fail(r, "%s: unknown value type %" PRIu32, r->where, type);
        return -1;
    }
    if (need(r, n, "value") < 0)
        return -1;
    kv->val = r->p + r->off;
    if (type == GGUF_TYPE_BOOL && kv->val[0] > 1) {
        fail(r, "%s: bool value %u (must be 0 or 1)", r->where, kv->val[0]);
        return -1;
    }
    r->off += n;
    return 0;
}

static int cmp_string(GgufString a, GgufString b)
{
    size_t n = a.len < b.len ? (size_t)a.len : (size_t)b.len;
    int c = memcmp(a.ptr, b.ptr, n);
    if (c)
        return c;
    return a.len < b.len ? -1 : a.len > b.len;
}

static int cmp_kv_ptr(const void *a, const void *b)
{
    return cmp_string((*(const GgufKv *const *)a)->key, (*(const GgufKv *const *)b)->key);
}

static int cmp_tensor_name(const void *a, const void *b)
{
    return cmp_string((*(const GgufTensor *const *)a)->name, (*(const GgufTensor *const *)b)->name);
}

static int cmp_tensor_offset(const void *a, const void *b)
{
    const GgufTensor *x = *(const GgufTensor *const *)a, *y = *(const GgufTensor *const *)b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static int check_duplicate_keys(Reader *r, GgufFile *g)
{
    if (g->n_kv < 2)
        return 0;
    const GgufKv **v = malloc((size_t)g->n_kv * sizeof *v);
    if (!v) {
        fail(r, "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < g->n_kv; i++)
        v[i] = &g->kv[i];
    qsort(v, (size_t)g->n_kv, sizeof *v, cmp_kv_ptr);
    int rc = 0;
    for (int64_t i = 1; i < g->n_kv; i++)
        if (cmp_string(v[i - 1]->key, v[i]->key) == 0) {
            char name[96];
            fail(r, "duplicate metadata key '%s'", printable(v[i]->key, name, sizeof name));
            rc = -1;
            break;
        }
    free(v);
    return rc;
}

static int parse_tensor_info(Reader *r, GgufTensor *t, uint64_t index)
{
    snprintf(r->where, sizeof r->where, "tensor info %" PRIu64, index);
    if (rd_str(r, &t->name, GGUF_MAX_NAME_LEN, "name") < 0)
        return -1;
    char name[96];
    if (t->name.len == 0) {
        fail(r, "%s: empty tensor name", r->where);
        return -1;
    }
    snprintf(r->where, sizeof r->where, "tensor '%s'", printable(t->name, name, sizeof name));
    if (rd_u32(r, &t->n_dims, "dimension count") < 0)
        return -1;
    if (t->n_dims < 1 || t->n_dims > GGUF_MAX_DIMS) {
        fail(r, "%s: %" PRIu32 " dimensions (1 to %d supported)", r->where, t->n_dims, GGUF_MAX_DIMS);
        return -1;
    }
    uint64_t n_elem = 1;
    for (uint32_t d = 0; d < GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims)
            continue;
        if (rd_u64(r, &t->ne[d], "dimension") < 0)
            return -1;
        if (t->ne[d] == 0 || t->ne[d] > (uint64_t)INT64_MAX / n_elem) {
            fail(r, "%s: dimension %" PRIu32 " is %" PRIu64 " (the element count must be 1 to 2^63)",
                 r->where, d, t->ne[d]);
            return -1;
        }
        n_elem *= t->ne[d];
    }
    uint32_t type;
    if (rd_u32(r, &type, "type") < 0)
        return -1;
    const GgmlTypeInfo *ti = type_info(type);
    if (!ti) {
        const GgmlTypeInfo *other = type <= 1024 ? ggml_type_info((int)type) : NULL;
        const char *known = other ? other->name : NULL;
        fail(r, "%s: unsupported tensor type %" PRIu32 "%s%s%s", r->where, type,
             known ? " (" : "", known ? known : "", known ? ")" : "");
        return -1;
    }
    t->type = (GgmlType)type;
    if (t->ne[0] % ti->block) {
        fail(r, "%s: row length %" PRIu64 " is not a multiple of the %s block size %u",
             r->where, t->ne[0], ti->name, ti->block);
        return -1;
    }
    uint64_t blocks = n_elem / ti->block;
    if (blocks > UINT64_MAX / ti->bytes) {
        fail(r, "%s: byte size overflows", r->where);
        return -1;
    }
    t->nbytes = blocks * ti->bytes;
    if (rd_u64(r, &t->offset, "data offset") < 0)
        return -1;
    return 0;
}

/* Checks the tensors against the data section: alignment, bounds, no overlap, unique names. */
static int check_tensors(Reader *r, GgufFile *g)
{
    char name[96];
    for (int64_t i = 0; i < g->n_tensors; i++) {
        GgufTensor *t = &g->tensors[i];
        printable(t->name, name, sizeof name);
        if (t->offset % g->alignment) {
            fail(r, "tensor '%s': data offset %" PRIu64 " is not a multiple of the alignment %" PRIu64,
                 name, t->offset, g->alignment);
            return -1;
        }
        uint64_t start = g->data_offset + t->offset; /* data_offset <= size, offset checked below */
        if (t->offset > g->size - g->data_offset || t->nbytes > g->size - start) {
            fail(r, "tensor '%s': data offset %" PRIu64 " + size %" PRIu64 " exceeds the file (%zu bytes)",
                 name, t->offset > UINT64_MAX - g->data_offset ? t->offset : start, t->nbytes, g->size);
            return -1;
        }
        t->data = g->base + start;
    }
    if (g->n_tensors < 2)
        return 0;
    const GgufTensor **v = malloc((size_t)g->n_tensors * sizeof *v);
    if (!v) {
        fail(r, "out of memory");
        return -1;
    }
    for (int64_t i = 0; i < g->n_tensors; i++)
        v[i] = &g->tensors[i];
    int rc = 0;
    qsort(v, (size_t)g->n_tensors, sizeof *v, cmp_tensor_name);
    for (int64_t i = 1; i < g->n_tensors && rc == 0; i++)
        if (cmp_string(v[i - 1]->name, v[i]->name) == 0) {
            fail(r, "duplicate tensor name '%s'", printable(v[i]->name, name, sizeof name));
            rc = -1;
        }
    qsort(v, (size_t)g->n_tensors, sizeof *v, cmp_tensor_offset);
    for (int64_t i = 1; i < g->n_tensors && rc == 0; i++)
        if (v[i - 1]->offset + v[i - 1]->nbytes > v[i]->offset) {
            char other[96];
            fail(r, "tensor '%s' (offset %" PRIu64 ", %" PRIu64 " bytes) overlaps tensor '%s' (offset %" PRIu64 ")",
                 printable(v[i - 1]->name, name, sizeof name), v[i - 1]->offset, v[i - 1]->nbytes,
                 printable(v[i]->name, other, sizeof other), v[i]->offset);
            rc = -1;
        }
    free(v);
    return rc;
}

static int parse(GgufFile *g, char *err, size_t errlen)
{
    Reader r = { .p = g->base, .size = g->size, .err = err, .errlen = errlen };
    snprintf(r.where, sizeof r.where, "header");
    uint32_t magic;
    if (rd_u32(&r, &magic, "magic") < 0)
        return -1;
    if (magic != GGUF_MAGIC) {
        fail(&r, "not a GGUF file (magic bytes %02x %02x %02x %02x, expected \"GGUF\")",
             g->base[0], g->base[1], g->base[2], g->base[3]);
        return -1;
    }
    if (rd_u32(&r, &g->version, "version") < 0)
        return -1;
    if (g->version != 2 && g->version != 3) {
        uint32_t v = g->version;
        uint32_t swapped = (v >> 24) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
        if (swapped == 2 || swapped == 3)
            fail(&r, "big-endian GGUF files are not supported");
        else if (v == 1)
            fail(&r, "GGUF version 1 is not supported (only versions 2 and 3)");
        else
            fail(&r, "unsupported GGUF version %" PRIu32 " (only versions 2 and 3)", v);
        return -1;
    }
    uint64_t n_tensors, n_kv;
    if (rd_u64(&r, &n_tensors, "tensor count") < 0 || rd_u64(&r, &n_kv, "metadata count") < 0)
        return -1;
    /* Smallest possible entries: key/value 8+1+4+1 bytes, tensor info 8+1+4+8+4+8. */
    if (n_kv > GGUF_MAX_COUNT || n_kv > remaining(&r) / 14) {
        fail(&r, "header: metadata count %" PRIu64 " is impossible for a file of %zu bytes", n_kv, g->size);
        return -1;
    }
    if (n_tensors > GGUF_MAX_COUNT || n_tensors > remaining(&r) / 33) {
        fail(&r, "header: tensor count %" PRIu64 " is impossible for a file of %zu bytes", n_tensors, g->size);
        return -1;
    }
    g->kv = calloc(n_kv ? (size_t)n_kv : 1, sizeof *g->kv);
    g->tensors = calloc(n_tensors ? (size_t)n_tensors : 1, sizeof *g->tensors);
    if (!g->kv || !g->tensors) {
        fail(&r, "out of memory for %" PRIu64 " metadata entries and %" PRIu64 " tensors", n_kv, n_tensors);
        return -1;
    }
    for (uint64_t i = 0; i < n_kv; i++) {
        g->n_kv = (int64_t)i + 1; /* so close frees what this entry allocated */
        if (parse_kv(&r, &g->kv[i], i) < 0)
            return -1;
    }
    g->n_kv = (int64_t)n_kv;
    r.where[0] = '\0';
    if (check_duplicate_keys(&r, g) < 0)
        return -1;

    g->alignment = GGUF_DEFAULT_ALIGNMENT;
    int64_t ai = gguf_find_key(g, "general.alignment");
    if (ai >= 0) {
        int64_t a = gguf_get_int(g, "general.alignment", -1);
        if (a <= 0 || a > (1 << 30) || (a & (a - 1))) {
            fail(&r, "general.alignment must be a power of two integer (got %s %" PRId64 ")",
                 value_type_name(g->kv[ai].type), a);
            return -1;
        }
        g->alignment = (uint64_t)a;
    }

    for (uint64_t i = 0; i < n_tensors; i++)
        if (parse_tensor_info(&r, &g->tensors[i], i) < 0)
            return -1;
    g->n_tensors = (int64_t)n_tensors;

    uint64_t data = ((uint64_t)r.off + g->alignment - 1) / g->alignment * g->alignment;
    if (n_tensors > 0 && data > g->size) {
        fail(&r, "truncated file: the data section would start at offset %" PRIu64
                 " but the file is %zu bytes",
             data, g->size);
        return -1;
    }
    g->data_offset = data > g->size ? g->size : data;
    return check_tensors(&r, g);
}

static GgufFile *open_over(const void *data, size_t size, bool mapped, char *err, size_t errlen)
{
    GgufFile *g = calloc(1, sizeof *g);
    if (!g) {
        snprintf(err, errlen, "out of memory");
        if (mapped)
            munmap((void *)data, size);
        return NULL;
    }
    g->base = data;
    g->size = size;
    g->mapped = mapped;
    if (size < 4) {
        snprintf(err, errlen, "not a GGUF file: only %zu bytes", size);
        gguf_close(g);
        return NULL;
    }
    if (parse(g, err, errlen) < 0) {
        gguf_close(g);
        return NULL;
    }
    return g;
}

GgufFile *gguf_open_memory(const void *data, size_t size, char *err, size_t errlen)
{
    if (!data && size) {
        snprintf(err, errlen, "no data");
        return NULL;
    }
    return open_over(data ? data : "", size, false, err, errlen);
}

GgufFile *gguf_open(const char *path, char *err, size_t errlen)
{
    /* non-blocking: opening a FIFO named like a model must not wait for a
     * writer (fstat below refuses it) */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file (%s); a model must be a .gguf file", path,
                 S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" : "a device or socket");
        close(fd);
        return NULL;
    }
    if (st.st_size < 4) {
        snprintf(err, errlen, "%s: not a GGUF file: only %lld bytes", path, (long long)st.st_size);
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int saved = errno;
    close(fd);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "%s: mmap: %s", path, strerror(saved));
        return NULL;
    }
    char inner[512];
    GgufFile *g = open_over(p, size, true, inner, sizeof inner);
    if (!g)
        snprintf(err, errlen, "%s: %s", path, inner);
    else
        g->guard = mapguard_add(p, size);
    return g;
}

void gguf_close(GgufFile *g)
{
    if (!g)
        return;
    if (g->kv)
        for (int64_t i = 0; i < g->n_kv; i++)
            free(g->kv[i].strs);
    free(g->kv);
    free(g->tensors);
    mapguard_remove(g->guard);
    if (g->mapped)
        munmap((void *)g->base, g->size);
    free(g);
}

bool gguf_file_damaged(const GgufFile *g) { return mapguard_damaged(g->guard); }

/* ---- accessors -------------------------------------------------------------- */

uint32_t gguf_version(const GgufFile *g) { return g->version; }
size_t gguf_file_size(const GgufFile *g) { return g->size; }
int64_t gguf_key_count(const GgufFile *g) { return g->n_kv; }
int64_t gguf_tensor_count(const GgufFile *g) { return g->n_tensors; }

int64_t gguf_find_key(const GgufFile *g, const char *key)
{
    for (int64_t i = 0; i < g->n_kv; i++)
        if (gguf_string_eq(g->kv[i].key, key))
            return i;
    return -1;
}

GgufString gguf_key_name(const GgufFile *g, int64_t i)
{
    if (i < 0 || i >= g->n_kv)
        return (GgufString){ NULL, 0 };
    return g->kv[i].key;
}

GgufValueType gguf_value_type(const GgufFile *g, int64_t i)
{
    if (i < 0 || i >= g->n_kv)
        return (GgufValueType)-1;
    return g->kv[i].type;
}

static const GgufKv *find(const GgufFile *g, const char *key)
{
    int64_t i = gguf_find_key(g, key);
    return i < 0 ? NULL : &g->kv[i];
}

/* Reads an integer scalar of any width; false when kv is not an integer or
 * does not fit in int64. */
static bool kv_int(const GgufKv *kv, int64_t *out)
{
    const uint8_t *p = kv->val;
    switch (kv->type) {
    case GGUF_TYPE_UINT8: *out = p[0]; return true;
    case GGUF_TYPE_INT8: *out = (int8_t)p[0]; return true;
    case GGUF_TYPE_UINT16: { uint16_t v; memcpy(&v, p, 2); *out = v; return true; }
    case GGUF_TYPE_INT16: { int16_t v; memcpy(&v, p, 2); *out = v; return true; }
    case GGUF_TYPE_UINT32: { uint32_t v; memcpy(&v, p, 4); *out = v; return true; }
    case GGUF_TYPE_INT32: { int32_t v; memcpy(&v, p, 4); *out = v; return true; }
    case GGUF_TYPE_INT64: { int64_t v; memcpy(&v, p, 8); *out = v; return true; }
    case GGUF_TYPE_UINT64: {
        uint64_t v;
        memcpy(&v, p, 8);
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
        return true;
    }
    default: return false;
    }
}

int64_t gguf_get_int(const GgufFile *g, const char *key, int64_t def)
{
    const GgufKv *kv = find(g, key);
    int64_t v;
    return kv && kv_int(kv, &v) ? v : def;
}

double gguf_get_float(const GgufFile *g, const char *key, double def)
{
    const GgufKv *kv = find(g, key);
    if (!kv)
        return def;
    if (kv->type == GGUF_TYPE_FLOAT32) {
        float f;
        memcpy(&f, kv->val, 4);
        return f;
    }
    if (kv->type == GGUF_TYPE_FLOAT64) {
        double d;
        memcpy(&d, kv->val, 8);
        return d;
    }
    int64_t v;
    return kv_int(kv, &v) ? (double)v : def;
}

bool gguf_get_bool(const GgufFile *g, const char *key, bool def)
{
    const GgufKv *kv = find(g, key);
    return kv && kv->type == GGUF_TYPE_BOOL ? kv->val[0] != 0 : def;
}

GgufString gguf_get_string(const GgufFile *g, const char *key)
{
    const GgufKv *kv = find(g, key);
    return kv && kv->type == GGUF_TYPE_STRING ? kv->str : (GgufString){ NULL, 0 };
}

int64_t gguf_array_len(const GgufFile *g, const char *key, GgufValueType *elem_type)
{
    const GgufKv *kv = find(g, key);
    if (!kv || kv->type != GGUF_TYPE_ARRAY)
        return -1;
    if (elem_type)
        *elem_type = kv->elem;
    return (int64_t)kv->count;
}

GgufString gguf_array_string(const GgufFile *g, const char *key, int64_t i)
{
    const GgufKv *kv = find(g, key);
    if (!kv || kv->type != GGUF_TYPE_ARRAY || kv->elem != GGUF_TYPE_STRING || i < 0 ||
        (uint64_t)i >= kv->count)
        return (GgufString){ NULL, 0 };
    return kv->strs[i];
}

const void *gguf_array_data(const GgufFile *g, const char *key)
{
    const GgufKv *kv = find(g, key);
    if (!kv || kv->type != GGUF_TYPE_ARRAY || kv->elem == GGUF_TYPE_STRING)
        return NULL;
    return kv->val;
}

const GgufTensor *gguf_tensor(const GgufFile *g, int64_t i)
{
    if (i < 0 || i >= g->n_tensors)
        return NULL;
    return &g->tensors[i];
}

void gguf_release_bytes(const GgufFile *g, const void *p, size_t n)
{
    if (!g->mapped || !p || !n)
        return;
    long ps = sysconf(_SC_PAGESIZE);
    if (ps <= 0)
        return;
    uintptr_t a = (uintptr_t)p, b = a + n, page = (uintptr_t)ps;
    uintptr_t lo = (a + page - 1) / page * page, hi = b / page * page;
    if (hi > lo)
        madvise((void *)lo, hi - lo, MADV_DONTNEED); /* private read-only file pages: refetched on touch */
}

void gguf_release_tensor(const GgufFile *g, const GgufTensor *t)
{
    if (t)
        gguf_release_bytes(g, t->data, t->nbytes);
}

const GgufTensor *gguf_find_tensor(const GgufFile *g, const char *name)
{
    for (int64_t i = 0; i < g->n_tensors; i++)
        if (gguf_string_eq(g->tensors[i].name, name))
            return &g->tensors[i];
    return NULL;
}
