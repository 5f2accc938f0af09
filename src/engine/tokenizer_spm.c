/* tokenizer_spm.c — SentencePiece-style BPE as llama.cpp does it for
 * tokenizer.ggml.model = "llama": start from UTF-8 characters, repeatedly merge
 * the adjacent pair whose concatenation is the vocabulary token with the best
 * score (ties: leftmost), then emit each symbol's token, or its bytes as <0xNN>
 * tokens when the symbol is not in the vocabulary.
 *
 * A binary heap of candidate pairs and a linked list of symbols keep it
 * O(n log n). Not for: the leading space and ▁ escaping (tokenizer.c).
 *
 * One deliberate difference from llama.cpp: a malformed UTF-8 sequence is split
 * into single-byte symbols (llama.cpp trusts the lead byte's length and can
 * swallow the next character, ▁ included, into byte tokens), so that any bytes
 * round-trip. Well-formed text is split identically. */
#include <stdlib.h>

#include "engine/tokenizer_impl.h"
#include "engine/unicode_ranges.h"

static int try_pair(const Tokenizer *t, const char *text, const TokSym *sym, long l, long r,
                    TokPairHeap *h)
{
    if (l < 0 || r < 0)
        return 0;
    size_t size = sym[l].n + sym[r].n;
    int id = tok_lookup(t, text + sym[l].off, size);
    if (id < 0)
        return 0;
    /* the best score comes out first */
    return tok_heap_push(h, (TokPair){ -(double)t->score[id], l, r, size });
}

int tok_spm_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out)
{
    if (len == 0)
        return 0;
    TokSym *sym = malloc(len * sizeof(*sym));
    TokPairHeap h = { 0 };
    int rc = -1;
    if (!sym)
        return -1;
    long nsym = 0;
    for (size_t off = 0; off < len;) {
        uint32_t cp;
        size_t n = unicode_decode_utf8((const unsigned char *)text + off, len - off, &cp, NULL);
        sym[nsym] = (TokSym){ off, n, nsym - 1, off + n == len ? -1 : nsym + 1 };
        nsym++;
        off += n;
    }
    for (long i = 1; i < nsym; i++)
        if (try_pair(t, text, sym, i - 1, i, &h) < 0)
            goto out;
    while (h.n) {
        TokPair p = tok_heap_pop(&h);
        if (!tok_sym_merge(sym, &p))
            continue;
        const TokSym *l = &sym[p.left];
        if (try_pair(t, text, sym, l->prev, p.left, &h) < 0 ||
            try_pair(t, text, sym, p.left, l->next, &h) < 0)
            goto out;
    }
    for (long i = 0; i != -1; i = sym[i].next) {
        int id = tok_lookup(t, text + sym[i].off, sym[i].n);
        if (id >= 0) {
            if (idvec_push(out, id) < 0)
                goto out;
            continue;
        }
        for (size_t j = 0; j < sym[i].n; j++) {
            int b = t->byte_tok[(unsigned char)text[sym[i].off + j]];
            if (b < 0)
                b = t->unk;
            if (b >= 0 && idvec_push(out, b) < 0)
                goto out;
        }
    }
    rc = 0;
out:
    free(sym);
    free(h.v);
    return rc;
}
