/* tokenizer_impl.h — the Tokenizer's insides, shared by tokenizer.c (loading,
 * special tokens, pieces) and the two algorithms, tokenizer_spm.c and
 * tokenizer_bpe.c. Private to those files: nothing else includes it. */
#ifndef VERSUS_TOKENIZER_IMPL_H
#define VERSUS_TOKENIZER_IMPL_H

#include <stddef.h>
#include <stdint.h>

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

/* Tokenizes one raw-text fragment (already space-escaped for SPM) and appends. */
int tok_spm_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out);
int tok_bpe_encode(const Tokenizer *t, const char *text, size_t len, IdVec *out);

#endif
