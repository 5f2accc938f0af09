/* fuzz_ndjson.c — libFuzzer target: the NDJSON line splitter on arbitrary
 * bytes, whole and chunked, must agree and never misbehave. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "net/ndjson.h"

static int collect(void *user, const char *line, size_t len)
{
    Buf *b = user;
    buf_append(b, line, len);
    buf_puts(b, "\n");
    return 0;
}

static void parse(const uint8_t *data, size_t size, size_t step, Buf *out)
{
    NdjsonParser *p = ndjson_parser_new();
    if (!p)
        return;
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (ndjson_parser_feed(p, (const char *)data + off, n, collect, out) < 0)
            break;
    }
    ndjson_parser_end(p, collect, out);
    ndjson_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 5 + 1;
    Buf whole = { 0 }, split = { 0 };
    parse(data + 1, size - 1, size, &whole);
    parse(data + 1, size - 1, step, &split);
    if (whole.len != split.len || (whole.len && memcmp(whole.data, split.data, whole.len) != 0))
        abort();
    buf_free(&whole);
    buf_free(&split);
    return 0;
}
