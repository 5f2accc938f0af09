/* pretokenize.h — the regex pre-tokenizers of byte-level BPE vocabularies
 * (GPT-2, Llama 3, Qwen 2, SmolLM/StarCoder, Falcon, DeepSeek, ...), written as
 * hand-made matchers that match exactly what llama.cpp's regexes match:
 * ECMAScript leftmost-first alternation, each regex of a chain applied to the
 * pieces the previous one left, unmatched stretches kept as pieces of their own.
 *
 * Not for: the BPE merges (tokenizer_bpe.c) or special tokens (tokenizer.c). */
#ifndef VERSUS_PRETOKENIZE_H
#define VERSUS_PRETOKENIZE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum PretokKind {
    PRETOK_DEFAULT,        /* "default" and a missing tokenizer.ggml.pre */
    PRETOK_GPT2,           /* gpt-2, mpt, olmo, jais, phi-2, ... */
    PRETOK_LLAMA3,         /* llama-bpe, llama3, dbrx, smaug-bpe, ... */
    PRETOK_QWEN2,          /* qwen2, stablelm2, megrez, ... */
    PRETOK_STARCODER,      /* starcoder, smollm, refact, command-r, ... */
    PRETOK_FALCON,
    PRETOK_DEEPSEEK_LLM,
    PRETOK_DEEPSEEK_CODER,
} PretokKind;

/* What a tokenizer.ggml.pre name selects (the defaults llama.cpp gives it). */
typedef struct PretokSpec {
    PretokKind kind;
    bool ignore_merges;    /* a word that is a whole token skips the merges */
    bool add_bos;          /* default for add_bos_token when the file says nothing */
} PretokSpec;

/* Looks up a pre-tokenizer name (name NULL or len 0 means missing = default).
 * Returns 0, or -1 when versus does not know the name. */
int pretok_lookup(const char *name, size_t len, PretokSpec *spec);
const char *pretok_kind_name(PretokKind kind);

typedef struct PretokSpan {
    size_t off; /* bytes from the start of the text */
    size_t len; /* bytes, > 0 */
} PretokSpan;

/* Splits text (any bytes; malformed UTF-8 is classified like U+FFFD and kept
 * byte for byte) into words, in order, covering the whole text. *spans is
 * malloc'd (caller frees; NULL when n is 0). Returns 0, or -1 when memory runs
 * out. */
int pretok_split(PretokKind kind, const char *text, size_t len, PretokSpan **spans, size_t *n);

#endif
