/* token_decoder.c — incremental, UTF-8-safe detokenization (see
 * token_decoder.h). */
#include "engine/token_decoder.h"

#include <string.h>

void tokdec_init(TokenDecoder *d, const Tokenizer *tok, bool render_special)
{
    memset(d, 0, sizeof(*d));
    d->tok = tok;
    d->render_special = render_special;
}

/* Length of a character announced by lead byte c, or 0 when c cannot start a
 * well-formed one (continuation byte, C0, C1, F5..FF). */
static size_t seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return 2;
    if (c >= 0xE0 && c <= 0xEF)
        return 3;
    if (c >= 0xF0 && c <= 0xF4)
        return 4;
    return 0;
}

/* Whether b may follow lead at position pos (1-based) of a well-formed
 * character (the tight second-byte ranges of RFC 3629 included). */
static int cont_ok(unsigned char lead, size_t pos, unsigned char b)
{
    if ((b & 0xC0) != 0x80)
        return 0;
    if (pos != 1)
        return 1;
    switch (lead) {
    case 0xE0: return b >= 0xA0;
    case 0xED: return b <= 0x9F;
    case 0xF0: return b >= 0x90;
    case 0xF4: return b <= 0x8F;
    default: return 1;
    }
}

/* How many bytes at the end of s[0..n) are the unfinished start of a
 * well-formed character (0..3). */
static size_t incomplete_tail(const unsigned char *s, size_t n)
{
    for (size_t back = 1; back <= 3 && back <= n; back++) {
        unsigned char lead = s[n - back];
        if ((lead & 0xC0) == 0x80)
            continue; /* a continuation byte: look further back */
        size_t need = seq_len(lead);
        if (need <= back)
            return 0; /* complete, or not a lead byte at all */
        for (size_t k = 1; k < back; k++)
            if (!cont_ok(lead, k, s[n - back + k]))
                return 0;
        return back;
    }
    return 0;
}

int tokdec_push(TokenDecoder *d, int id, Buf *out)
{
    size_t len;
    const char *p = tokenizer_piece(d->tok, id, d->render_special, &len);
    if (len == 0)
        return 0;
    size_t start = out->len;
    if ((d->npending && buf_append(out, d->pending, d->npending) < 0) || buf_append(out, p, len) < 0) {
        buf_truncate(out, start); /* leave out as it was */
        return -1;
    }
    size_t keep = incomplete_tail((const unsigned char *)out->data + start, out->len - start);
    memcpy(d->pending, out->data + out->len - keep, keep);
    d->npending = keep;
    buf_truncate(out, out->len - keep);
    return 0;
}

int tokdec_flush(TokenDecoder *d, Buf *out)
{
    if (d->npending && buf_append(out, d->pending, d->npending) < 0)
        return -1;
    d->npending = 0;
    return 0;
}

size_t tokdec_pending(const TokenDecoder *d) { return d->npending; }
