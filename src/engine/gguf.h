/* gguf.h — read-only view of a GGUF v2/v3 file, mapped with mmap.
 *
 * gguf_open() validates everything before returning: header, every metadata
 * key/value (strings and arrays bounds-checked against the file), the tensor
 * table (dims, type, offset and size inside the data section, alignment). After
 * a successful open every accessor below is safe on the returned object.
 * It does not interpret the model: see model.h for that. */
#ifndef VERSUS_GGUF_H
#define VERSUS_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ggml_type.h"

/* GGUF metadata value types (numbering from the GGUF spec). */
typedef enum GgufValueType {
    GGUF_TYPE_UINT8 = 0, GGUF_TYPE_INT8 = 1, GGUF_TYPE_UINT16 = 2, GGUF_TYPE_INT16 = 3,
    GGUF_TYPE_UINT32 = 4, GGUF_TYPE_INT32 = 5, GGUF_TYPE_FLOAT32 = 6, GGUF_TYPE_BOOL = 7,
    GGUF_TYPE_STRING = 8, GGUF_TYPE_ARRAY = 9, GGUF_TYPE_UINT64 = 10, GGUF_TYPE_INT64 = 11,
    GGUF_TYPE_FLOAT64 = 12,
} GgufValueType;

/* Bytes of one scalar of value type t; 0 for string, array and unknown types. */
size_t gguf_scalar_size(uint32_t t);


#define GGUF_MAX_DIMS 4

typedef struct GgufString {
    const char *ptr; /* into the mapping, NOT NUL-terminated */
    uint64_t len;
} GgufString;

typedef struct GgufTensor {
    GgufString name;
    uint32_t n_dims;
    uint64_t ne[GGUF_MAX_DIMS]; /* elements per dim, ne[0] is the contiguous one; unused = 1 */
    GgmlType type;
    uint64_t offset;            /* from the start of the data section */
    uint64_t nbytes;            /* validated: offset + nbytes <= data section size */
    const void *data;           /* into the mapping */
} GgufTensor;

typedef struct GgufFile GgufFile;

/* Maps and validates path. NULL on failure with a message naming what is
 * wrong (and where) in err. */
GgufFile *gguf_open(const char *path, char *err, size_t errlen);
/* Same, over a caller-owned buffer that must outlive the GgufFile (tests, fuzzing). */
GgufFile *gguf_open_memory(const void *data, size_t size, char *err, size_t errlen);
void gguf_close(GgufFile *g);

uint32_t gguf_version(const GgufFile *g);
size_t gguf_file_size(const GgufFile *g);

/* Metadata lookup by key; returns the index or -1. */
int64_t gguf_find_key(const GgufFile *g, const char *key);
int64_t gguf_key_count(const GgufFile *g);
GgufString gguf_key_name(const GgufFile *g, int64_t i);
GgufValueType gguf_value_type(const GgufFile *g, int64_t i);

/* Typed getters with defaults: return def when the key is missing or has an
 * incompatible type (integers of any width convert when the value fits). */
int64_t gguf_get_int(const GgufFile *g, const char *key, int64_t def);
double gguf_get_float(const GgufFile *g, const char *key, double def);
bool gguf_get_bool(const GgufFile *g, const char *key, bool def);
/* A string value; .ptr NULL when missing or not a string. */
GgufString gguf_get_string(const GgufFile *g, const char *key);

/* Arrays: element type and count; -1 count when missing or not an array. */
int64_t gguf_array_len(const GgufFile *g, const char *key, GgufValueType *elem_type);
/* i-th string of a string array (bounds-checked; .ptr NULL on misuse). */
GgufString gguf_array_string(const GgufFile *g, const char *key, int64_t i);
/* Pointer to the raw elements of a numeric array (little-endian, packed), or NULL. */
const void *gguf_array_data(const GgufFile *g, const char *key);

int64_t gguf_tensor_count(const GgufFile *g);
const GgufTensor *gguf_tensor(const GgufFile *g, int64_t i);
/* Tensor by name, or NULL. */
const GgufTensor *gguf_find_tensor(const GgufFile *g, const char *name);

/* True when the file shrank on disk under the mapping and a read past its
 * new end was absorbed (it read zeros): results computed since are garbage
 * and the caller must stop with an error. */
bool gguf_file_damaged(const GgufFile *g);

/* Lets the kernel drop this process's copy of the whole pages inside
 * t's data (e.g. once the weights were repacked elsewhere): resident memory
 * shrinks, the bytes stay readable (a later read brings them back from the
 * file). A no-op for files not mapped from disk. */
void gguf_release_tensor(const GgufFile *g, const GgufTensor *t);
/* The same for the whole pages inside p .. p + n (bytes of g's mapping). */
void gguf_release_bytes(const GgufFile *g, const void *p, size_t n);

/* Name of a ggml type ("Q4_K"), or "unknown". */
const char *gguf_type_name(GgmlType t);
/* The name of a general.file_type value, the file's quantization mix as
 * llama.cpp's quantizer names it ("Q4_K_M" for 15: most matrices Q4_K, some
 * Q6_K), or NULL for a value not known here. */
const char *gguf_file_type_name(int64_t file_type);
/* True when s equals the NUL-terminated str. */
bool gguf_string_eq(GgufString s, const char *str);

#endif
