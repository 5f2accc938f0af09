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

typedef struct Sym {
    size_t off; /* bytes into the text */
    size_t n;   /* bytes; 0 once merged into its left neighbour */
    long prev, next;
} Sym;

typedef struct Pair {
    float score;
    long left, right;
    size_t size; /* bytes of the merged text when queued */
} Pair;

typedef struct Heap {
    Pair *v;
    size_t n, cap;
} Heap;

/* a comes out before b: higher score first, then the leftmost. */
static int pair_before(const Pair *a, const Pair *b)
{
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static int heap_push(Heap *h, Pair p)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        Pair *v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!pair_before(&p, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = p;
    return 0;
}

static Pair heap_pop(Heap *h)
{
    Pair top = h->v[0];
    Pair last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && pair_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!pair_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

static int try_pair(const Tokenizer *t, const char *text, const Sym *sym, long l, long r, Heap *h)
{
    if (l < 0 || r < 0)
        return 0;
    size_t size = sym[l].n + sym[r].n;
    int id = tok_lookup(t, text + sym[l].off, size);
    if (id < 0)
        return 0;
    return heap_push(h, (Pair){ t->score[id], l, r, size });
}

int tok_spm_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out)
{
    if (len == 0)
        return 0;
    Sym *sym = malloc(len * sizeof(*sym));
    Heap h = { 0 };
    int rc = -1;
    if (!sym)
        return -1;
    long nsym = 0;
    for (size_t off = 0; off < len;) {
        uint32_t cp;
        size_t n = unicode_decode_utf8((const unsigned char *)text + off, len - off, &cp, NULL);
        sym[nsym] = (Sym){ off, n, nsym - 1, off + n == len ? -1 : nsym + 1 };
        nsym++;
        off += n;
    }
    for (long i = 1; i < nsym; i++)
        if (try_pair(t, text, sym, i - 1, i, &h) < 0)
            goto out;
    while (h.n) {
        Pair p = heap_pop(&h);
        Sym *l = &sym[p.left], *r = &sym[p.right];
        if (l->n == 0 || r->n == 0 || l->n + r->n != p.size)
            continue;
        l->n += r->n;
        r->n = 0;
        l->next = r->next;
        if (r->next >= 0)
            sym[r->next].prev = p.left;
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
