/* fuzz_provider.c — libFuzzer target: every provider's stream decoder and
 * error-body parser on arbitrary bytes. The first byte picks the provider and
 * the chunk size; events are folded into a Reply exactly as a run does. */
#include <stdint.h>
#include <string.h>

#include "core/reply.h"
#include "providers/provider.h"

static void on_event(void *user, const StreamEvent *ev)
{
    reply_apply_event(user, ev, 1.0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ProviderOps *const *all = provider_all();
    size_t n_prov = 0;
    while (all[n_prov])
        n_prov++;
    const ProviderOps *ops = all[data[0] % n_prov];
    size_t step = (size_t)(data[0] / n_prov) % 9 + 1;
    data++;
    size--;
    Reply *r = reply_new("fuzz", ops->name, "m");
    void *dec = ops->decoder_new();
    StreamSink sink = { .emit = on_event, .user = r };
    for (size_t off = 0; off < size; off += step) {
        size_t n = size - off < step ? size - off : step;
        if (ops->decoder_feed(dec, (const char *)data + off, n, &sink) < 0)
            break;
    }
    ops->decoder_end(dec, &sink);
    ops->decoder_free(dec);
    reply_finish(r, 2.0);
    ProviderError pe;
    memset(&pe, 0, sizeof pe);
    ops->parse_error(429, (const char *)data, size, &pe);
    reply_free(r);
    return 0;
}
