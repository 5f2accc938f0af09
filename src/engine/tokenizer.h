/* tokenizer.h — text <-> token ids for the built-in engine, read entirely from
 * a GGUF file's tokenizer.* metadata, behaving like llama.cpp:
 *
 *   - "llama" (SentencePiece-style): merges by score over UTF-8 characters,
 *     ▁ for spaces, a leading space (add_space_prefix), <0xNN> byte fallback;
 *   - "gpt2" (byte-level BPE): regex pre-tokenizer chosen by tokenizer.ggml.pre,
 *     bytes mapped to printable code points, merges ranked by order;
 *   - special tokens (CONTROL / USER_DEFINED) found as whole strings in the text
 *     when asked to (USER_DEFINED ones always), BOS/EOS added as the file says.
 *
 * Pure: no I/O, nothing printed; a loaded Tokenizer is read-only and safe to
 * share between threads. Not for: chat templates (chat_template.h) or
 * incremental decoding (token_decoder.h). */
#ifndef VERSUS_TOKENIZER_H
#define VERSUS_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "engine/gguf.h"

typedef struct Tokenizer Tokenizer;

typedef enum TokenizerKind {
    TOKENIZER_SPM, /* tokenizer.ggml.model = "llama" */
    TOKENIZER_BPE, /* tokenizer.ggml.model = "gpt2" */
} TokenizerKind;

/* Token attributes (llama.cpp's numbering), from tokenizer.ggml.token_type. */
enum {
    TOKEN_ATTR_UNKNOWN = 1 << 0,
    TOKEN_ATTR_UNUSED = 1 << 1,
    TOKEN_ATTR_NORMAL = 1 << 2,
    TOKEN_ATTR_CONTROL = 1 << 3,
    TOKEN_ATTR_USER_DEFINED = 1 << 4,
    TOKEN_ATTR_BYTE = 1 << 5,
    TOKEN_ATTR_LSTRIP = 1 << 7, /* eats white space before it when matched */
    TOKEN_ATTR_RSTRIP = 1 << 8, /* eats white space after it when matched */
};

/* Builds the tokenizer from g's metadata; g may be closed afterwards (the
 * vocabulary is copied). NULL with a message in err when the metadata is
 * missing, malformed, or of a kind versus does not support. */
Tokenizer *tokenizer_load(const GgufFile *g, char *err, size_t errlen);
void tokenizer_free(Tokenizer *t);

/* Tokenizes len bytes of text (any bytes: malformed UTF-8 round-trips through
 * byte tokens). add_special: prepend BOS / append EOS where the model asks for
 * them (tokenizer.ggml.add_bos_token / add_eos_token). parse_special: CONTROL
 * tokens written in the text ("<|im_start|>") become those tokens. *ids is
 * malloc'd (caller frees; may be NULL when *n is 0). Returns 0, or -1 when
 * memory runs out. */
int tokenizer_encode(const Tokenizer *t, const char *text, size_t len, bool add_special,
                     bool parse_special, int **ids, size_t *n);

/* tokenizer_encode with special tokens parsed only where input[i] == 0:
 * CONTROL tokens written in bytes marked 1 (text a user typed into a chat
 * template) stay text; USER_DEFINED tokens are found everywhere, as with
 * parse_special false. input NULL parses everywhere. */
int tokenizer_encode_masked(const Tokenizer *t, const char *text, size_t len, const unsigned char *input,
                            bool add_special, int **ids, size_t *n);

/* The bytes token id stands for: spaces restored, byte tokens as raw bytes,
 * byte-level BPE mapped back to bytes. CONTROL and UNKNOWN tokens give their
 * text only when render_special, else nothing (len 0); USER_DEFINED tokens
 * always give their text. Points into t (not NUL-terminated); an id out of
 * range gives len 0. */
const char *tokenizer_piece(const Tokenizer *t, int id, bool render_special, size_t *len);
/* Appends the pieces of ids to out; 0, or -1 when memory runs out. */
int tokenizer_decode(const Tokenizer *t, const int *ids, size_t n, bool render_special, Buf *out);

/* The vocabulary's raw text for id (as stored in the file, ▁/Ġ and all), or
 * NULL when out of range. */
const char *tokenizer_token_text(const Tokenizer *t, int id, size_t *len);
/* The id whose raw text is exactly text[0..len), or -1. */
int tokenizer_find_token(const Tokenizer *t, const char *text, size_t len);
/* TOKEN_ATTR_* bits of id (0 when out of range). */
unsigned tokenizer_token_attr(const Tokenizer *t, int id);

size_t tokenizer_vocab_size(const Tokenizer *t);
TokenizerKind tokenizer_kind(const Tokenizer *t);
/* "spm", or the BPE pre-tokenizer in use ("llama3", "smollm"'s "starcoder", ...). */
const char *tokenizer_pre_name(const Tokenizer *t);
/* Special ids, -1 when the model has none. */
int tokenizer_bos(const Tokenizer *t);
int tokenizer_eos(const Tokenizer *t);
int tokenizer_eot(const Tokenizer *t); /* end of turn: <|eot_id|>, <|im_end|>, ... */
/* Whether encoding with add_special prepends BOS / appends EOS. */
bool tokenizer_adds_bos(const Tokenizer *t);
bool tokenizer_adds_eos(const Tokenizer *t);
/* True for every id that ends generation: EOS, EOT, EOM and the usual
 * end-of-turn tokens (<|im_end|>, <|eot_id|>, <end_of_turn>, <|end|>, ...). */
bool tokenizer_is_eog(const Tokenizer *t, int id);

#endif
