/* fuzz_sse.c — libFuzzer target: the SSE parser on arbitrary bytes in
 * arbitrary chunkings must never crash, leak or read out of bounds, and must
 * give the same events whatever the chunking. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "net/sse.h"

static int collect(void *user, const SseEvent *ev)
{
    Buf *b = user;
    buf_printf(b, "%d|%s|%s|", (int)ev->kind, ev->type, ev->id);
    buf_append(b, ev->data, ev->data_len);
    buf_puts(b, "\n");
    return 0;
}

static void parse(const uint8_t *data, size_t size, size_t step, Buf *out)
{
    SseParser *p = sse_parser_new();
    if (!p)
        return;
    sse_parser_set_max_event(p, 1 << 20);
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (sse_parser_feed(p, (const char *)data + off, n, collect, out) < 0)
            break;
    }
    sse_parser_end(p, true, collect, out);
    sse_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = (size_t)data[0] % 7 + 1;
    Buf whole = { 0 }, split = { 0 };
    parse(data + 1, size - 1, size, &whole);
    parse(data + 1, size - 1, step, &split);
    if (whole.len != split.len || (whole.len && memcmp(whole.data, split.data, whole.len) != 0))
        abort(); /* chunking changed the events */
    buf_free(&whole);
    buf_free(&split);
    return 0;
}
