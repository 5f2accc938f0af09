/* diff.h — word-level difference of two replies (pure).
 *
 * Texts are cut into tokens (runs of non-space and runs of whitespace) and
 * compared with Myers' O(ND) algorithm after trimming the common start and
 * end. Past DIFF_MAX_EDITS differing tokens the middle is reported as one
 * deletion and one insertion (diff.truncated) rather than spending unbounded
 * time and memory. */
#ifndef VERSUS_DIFF_H
#define VERSUS_DIFF_H

#include <stdbool.h>
#include <stddef.h>

#define DIFF_MAX_EDITS 1000

typedef enum DiffKind {
    DIFF_EQUAL, /* in both: a's bytes [start, start+len) */
    DIFF_DEL,   /* only in a: a's bytes */
    DIFF_ADD,   /* only in b: b's bytes */
} DiffKind;

typedef struct DiffOp {
    DiffKind kind;
    size_t start, len; /* bytes in a (EQUAL, DEL) or b (ADD) */
} DiffOp;

typedef struct Diff {
    DiffOp *ops; /* (n_ops) in reading order, adjacent ops of one kind merged */
    size_t n_ops;
    bool truncated; /* too many differences: the middle is one DEL + one ADD */
    size_t n_equal_tokens, n_del_tokens, n_add_tokens;
} Diff;

/* Diffs a[0..alen) against b[0..blen). 0, or -1 when memory runs out. */
int diff_words(const char *a, size_t alen, const char *b, size_t blen, Diff *out);
void diff_free(Diff *d);

#endif
