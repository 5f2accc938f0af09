/* tokenizer_impl.h — the Tokenizer's insides, shared by tokenizer.c (loading,
 * special tokens, pieces) and the two algorithms, tokenizer_spm.c and
 * tokenizer_bpe.c, with the pair heap and merge step those two share.
 * Private to those files: nothing else includes it. */
#ifndef VERSUS_TOKENIZER_IMPL_H
#define VERSUS_TOKENIZER_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "engine/pretokenize.h"
#include "engine/tokenizer.h"

/* A growable list of ids. */
typedef struct IdVec {
    int *v;
    size_t n, cap;
} IdVec;

int idvec_push(IdVec *iv, int id);

struct Tokenizer {
    TokenizerKind kind;
    PretokSpec pre;               /* BPE only */
    size_t n_vocab;

    char *text;                   /* every token's text, each NUL-terminated */
    uint32_t *tok_off;            /* (n_vocab) offset into text */
    uint32_t *tok_len;            /* (n_vocab) bytes */
    float *score;                 /* (n_vocab) SPM merge priority */
    uint16_t *attr;               /* (n_vocab) TOKEN_ATTR_* */
    uint8_t *eog;                 /* (n_vocab) 1 when the id ends generation */

    int32_t *vmap;                /* open addressing: token text -> id, -1 empty */
    size_t vmap_mask;             /* capacity - 1 */

    char *mtext;                  /* BPE merges "left right", each NUL-terminated */
    uint32_t *m_off, *m_len, *m_split; /* (n_merges) offset, bytes, index of the space */
    int32_t *mmap;                /* open addressing: (left, right) -> rank, -1 empty */
    size_t mmap_mask;
    size_t n_merges;

    char *ptext;                  /* rendered pieces (as with render_special) */
    uint32_t *p_off, *p_len;      /* (n_vocab) */

    int *special;                 /* CONTROL | USER_DEFINED | UNKNOWN ids, longest text first */
    size_t n_special;

    int byte_tok[256];            /* SPM byte fallback: id for each byte, -1 none */
    char bpe_byte_utf8[256][3];   /* BPE: UTF-8 of the code point each byte maps to */
    uint8_t bpe_byte_len[256];

    int bos, eos, eot, eom, unk;  /* -1 when none */
    bool add_bos, add_eos, add_space_prefix;
};

/* Vocabulary lookup: id of the token whose text is s[0..n), or -1. */
int tok_lookup(const Tokenizer *t, const char *s, size_t n);
/* BPE merge rank of (left, right), or -1. */
int tok_merge_rank(const Tokenizer *t, const char *l, size_t ln, const char *r, size_t rn);

/* ---- the merge loop both algorithms share ----------------------------------
 * Symbols form a linked list over the text; candidate merges of two adjacent
 * symbols wait in a binary heap, cheapest first, ties to the leftmost. A pair
 * whose symbols changed since it was queued is stale and skipped. */

typedef struct TokSym {
    size_t off; /* bytes into the text */
    size_t n;   /* bytes; 0 once merged into its left neighbour */
    long prev, next;
} TokSym;

typedef struct TokPair {
    double cost;      /* BPE: the merge rank; SPM: minus the merged token's score */
    long left, right; /* symbol indices */
    size_t size;      /* bytes of the merged text when queued */
} TokPair;

typedef struct TokPairHeap {
    TokPair *v;
    size_t n, cap;
} TokPairHeap;

/* a comes out before b. */
static inline bool tok_pair_before(const TokPair *a, const TokPair *b)
{
    return a->cost < b->cost || (a->cost == b->cost && a->left < b->left);
}

/* Queues p. Returns 0, or -1 when out of memory. */
static inline int tok_heap_push(TokPairHeap *h, TokPair p)
{
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        TokPair *v = realloc(h->v, cap * sizeof(*v));
        if (!v)
            return -1;
        h->v = v;
        h->cap = cap;
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!tok_pair_before(&p, &h->v[parent]))
            break;
        h->v[i] = h->v[parent];
        i = parent;
    }
    h->v[i] = p;
    return 0;
}

/* Takes the first pair out; h->n must be above 0. */
static inline TokPair tok_heap_pop(TokPairHeap *h)
{
    TokPair top = h->v[0];
    TokPair last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && tok_pair_before(&h->v[c + 1], &h->v[c]))
            c++;
        if (!tok_pair_before(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n)
        h->v[i] = last;
    return top;
}

/* Merges p's right symbol into its left one; false (nothing done) when the
 * pair is stale. */
static inline bool tok_sym_merge(TokSym *sym, const TokPair *p)
{
    TokSym *l = &sym[p->left], *r = &sym[p->right];
    if (l->n == 0 || r->n == 0 || l->n + r->n != p->size)
        return false;
    l->n += r->n;
    r->n = 0;
    l->next = r->next;
    if (r->next >= 0)
        sym[r->next].prev = p->left;
    return true;
}

/* Tokenizes one raw-text fragment (already space-escaped for SPM) and appends. */
int tok_spm_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out);
int tok_bpe_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out);

#endif
