/* tokenizer_bpe.c — byte-level BPE as llama.cpp does it for
 * tokenizer.ggml.model = "gpt2": split the text into words with the
 * pre-tokenizer, map each word's bytes to the printable code points of GPT-2's
 * byte encoder, then repeatedly merge the adjacent pair with the lowest merge
 * rank (ties: leftmost) and emit each resulting symbol's token.
 *
 * Per word: a binary heap of candidate pairs, a linked list of symbols.
 * Not for: special tokens (tokenizer.c). */
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer_impl.h"
#include "engine/unicode_ranges.h"

typedef struct Work {
    char *word;     /* the mapped word */
    size_t cap;
    TokSym *sym;
    size_t sym_cap;
    TokPairHeap heap;
} Work;

static int try_pair(const Tokenizer *t, Work *w, long l, long r)
{
    if (l < 0 || r < 0)
        return 0;
    const TokSym *sl = &w->sym[l], *sr = &w->sym[r];
    int rank = tok_merge_rank(t, w->word + sl->off, sl->n, w->word + sr->off, sr->n);
    if (rank < 0)
        return 0;
    return tok_heap_push(&w->heap, (TokPair){ rank, l, r, sl->n + sr->n });
}

static int emit_symbol(const Tokenizer *t, const char *s, size_t n, IdVec *out)
{
    int id = tok_lookup(t, s, n);
    if (id >= 0)
        return idvec_push(out, id);
    /* llama.cpp's last resort: single bytes that happen to be tokens. */
    for (size_t j = 0; j < n; j++) {
        id = tok_lookup(t, s + j, 1);
        if (id >= 0 && idvec_push(out, id) < 0)
            return -1;
    }
    return 0;
}

static int bpe_word(const Tokenizer *t, Work *w, const unsigned char *src, size_t len, IdVec *out)
{
    size_t need = 2 * len; /* each byte maps to one or two UTF-8 bytes */
    if (need > w->cap) {
        char *p = realloc(w->word, need);
        if (!p)
            return -1;
        w->word = p;
        w->cap = need;
    }
    size_t wl = 0;
    for (size_t i = 0; i < len; i++) {
        memcpy(w->word + wl, t->bpe_byte_utf8[src[i]], t->bpe_byte_len[src[i]]);
        wl += t->bpe_byte_len[src[i]];
    }
    if (t->pre.ignore_merges) {
        int id = tok_lookup(t, w->word, wl);
        if (id >= 0)
            return idvec_push(out, id);
    }
    if (wl > w->sym_cap) {
        TokSym *s = realloc(w->sym, wl * sizeof(*s));
        if (!s)
            return -1;
        w->sym = s;
        w->sym_cap = wl;
    }
    long nsym = 0;
    for (size_t off = 0; off < wl;) {
        size_t n = unicode_len_utf8((unsigned char)w->word[off]);
        if (n > wl - off)
            n = wl - off;
        w->sym[nsym] = (TokSym){ off, n, nsym - 1, off + n == wl ? -1 : nsym + 1 };
        nsym++;
        off += n;
    }
    w->heap.n = 0;
    for (long i = 1; i < nsym; i++)
        if (try_pair(t, w, i - 1, i) < 0)
            return -1;
    while (w->heap.n) {
        TokPair p = tok_heap_pop(&w->heap);
        if (!tok_sym_merge(w->sym, &p))
            continue;
        const TokSym *l = &w->sym[p.left];
        if (try_pair(t, w, l->prev, p.left) < 0 || try_pair(t, w, p.left, l->next) < 0)
            return -1;
    }
    for (long i = 0; i != -1; i = w->sym[i].next)
        if (w->sym[i].n && emit_symbol(t, w->word + w->sym[i].off, w->sym[i].n, out) < 0)
            return -1;
    return 0;
}

int tok_bpe_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out)
{
    PretokSpan *spans;
    size_t nspans;
    if (pretok_split(t->pre.kind, text, len, &spans, &nspans) < 0)
        return -1;
    Work w = { 0 };
    int rc = 0;
    for (size_t i = 0; i < nspans && rc == 0; i++)
        rc = bpe_word(t, &w, (const unsigned char *)text + spans[i].off, spans[i].len, out);
    free(spans);
    free(w.word);
    free(w.sym);
    free(w.heap.v);
    return rc;
}
