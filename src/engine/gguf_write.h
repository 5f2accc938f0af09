/* gguf_write.h — builds GGUF v3 files: metadata of every value type (arrays
 * included), then tensors laid out at the file's alignment. Used by the tests
 * and by bench/versus-mkmodel; the engine itself only reads (gguf.h).
 *
 * Usage: gguf_writer_new(), add metadata and tensors in the order they should
 * appear, then gguf_writer_write_file() (or _write_memory()). Adders return 0,
 * or -1 with the reason kept for the write call to report (a duplicate key or
 * tensor name, a shape the type can not hold, out of memory). */
#ifndef VERSUS_GGUF_WRITE_H
#define VERSUS_GGUF_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/gguf.h"

typedef struct GgufWriter GgufWriter;

/* Fills buf (nbytes, the tensor's exact size) with tensor `index`'s data at
 * write time; returns 0, or -1 with a message in err. */
typedef int (*GgufTensorFill)(void *ctx, int64_t index, void *buf, size_t nbytes, char *err,
                              size_t errlen);

GgufWriter *gguf_writer_new(void);
void gguf_writer_free(GgufWriter *w);

/* Data alignment (a power of two, default 32). A value other than 32 is also
 * recorded as general.alignment. Call before adding tensors. */
int gguf_writer_set_alignment(GgufWriter *w, uint32_t alignment);

int gguf_writer_add_u8(GgufWriter *w, const char *key, uint8_t v);
int gguf_writer_add_i8(GgufWriter *w, const char *key, int8_t v);
int gguf_writer_add_u16(GgufWriter *w, const char *key, uint16_t v);
int gguf_writer_add_i16(GgufWriter *w, const char *key, int16_t v);
int gguf_writer_add_u32(GgufWriter *w, const char *key, uint32_t v);
int gguf_writer_add_i32(GgufWriter *w, const char *key, int32_t v);
int gguf_writer_add_u64(GgufWriter *w, const char *key, uint64_t v);
int gguf_writer_add_i64(GgufWriter *w, const char *key, int64_t v);
int gguf_writer_add_f32(GgufWriter *w, const char *key, float v);
int gguf_writer_add_f64(GgufWriter *w, const char *key, double v);
int gguf_writer_add_bool(GgufWriter *w, const char *key, bool v);
/* NUL-terminated string; _len for arbitrary bytes. */
int gguf_writer_add_string(GgufWriter *w, const char *key, const char *s);
int gguf_writer_add_string_len(GgufWriter *w, const char *key, const char *s, uint64_t len);
/* Array of n numeric or bool elements of elem_type, given as the host's
 * native values of that type (uint8_t, int32_t, float, bool, ...). */
int gguf_writer_add_array(GgufWriter *w, const char *key, GgufValueType elem_type,
                          const void *data, uint64_t n);
/* Array of n NUL-terminated strings. */
int gguf_writer_add_string_array(GgufWriter *w, const char *key, const char *const *strs,
                                 uint64_t n);

/* Tensor with dims ne[0..n_dims-1] (ne[0] contiguous, a multiple of the type's
 * block size). data (exactly the tensor's byte size) is borrowed: it must stay
 * valid until the write. */
int gguf_writer_add_tensor(GgufWriter *w, const char *name, GgmlType type, uint32_t n_dims,
                           const uint64_t *ne, const void *data);
/* Same, with the data produced by fill(ctx, index, ...) at write time, so
 * that large tensors are generated one at a time. */
int gguf_writer_add_tensor_fill(GgufWriter *w, const char *name, GgmlType type, uint32_t n_dims,
                                const uint64_t *ne, GgufTensorFill fill, void *ctx);
/* Number of tensors added so far. */
int64_t gguf_writer_tensor_count(const GgufWriter *w);

/* Writes the file atomically (path.tmp, then rename). Returns 0, or -1 with a
 * message in err (including the first error an adder hit). */
int gguf_writer_write_file(GgufWriter *w, const char *path, char *err, size_t errlen);
/* Writes into a malloc'd buffer handed to the caller (*data, *size). */
int gguf_writer_write_memory(GgufWriter *w, void **data, size_t *size, char *err, size_t errlen);

#endif
