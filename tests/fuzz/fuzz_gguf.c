/* fuzz_gguf.c — libFuzzer target: the GGUF loader (header, metadata, tensor
 * table) on arbitrary bytes; whatever it accepts must be safe to walk with
 * every accessor. */
#include <stdint.h>
#include <stdio.h>

#include "engine/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    GgufFile *g = gguf_open_memory(data, size, err, sizeof err);
    if (!g)
        return 0;
    volatile uint64_t sink = 0;
    for (int64_t i = 0; i < gguf_key_count(g); i++) {
        GgufString k = gguf_key_name(g, i);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)(k.len < 255 ? k.len : 255), k.ptr);
        sink += (uint64_t)gguf_value_type(g, i);
        sink += (uint64_t)gguf_get_int(g, key, 0);
        double f = gguf_get_float(g, key, 0);
        sink += f == f && f > 0 && f < 1e18 ? (uint64_t)f : 0; /* the harness must not overflow a cast */
        GgufString s = gguf_get_string(g, key);
        if (s.ptr && s.len)
            sink += (uint8_t)s.ptr[s.len - 1];
        GgufValueType et;
        int64_t n = gguf_array_len(g, key, &et);
        for (int64_t j = 0; j < n && j < 64; j++) {
            GgufString e = gguf_array_string(g, key, j);
            if (e.ptr && e.len)
                sink += (uint8_t)e.ptr[0];
        }
        if (n > 0 && gguf_array_data(g, key))
            sink++;
    }
    for (int64_t i = 0; i < gguf_tensor_count(g); i++) {
        const GgufTensor *t = gguf_tensor(g, i);
        if (t->nbytes)
            sink += ((const uint8_t *)t->data)[t->nbytes - 1];
    }
    (void)sink;
    gguf_close(g);
    return 0;
}
