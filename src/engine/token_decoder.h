/* token_decoder.h — turns a stream of generated token ids into text without
 * ever cutting a UTF-8 character in two: bytes of a character split across
 * tokens (byte-fallback <0xE2><0x82><0xAC>, or a byte-level BPE token ending
 * mid-character) are held back until the character is complete.
 *
 * Bytes that can never form a character (malformed UTF-8 the model produced)
 * are passed through as they are, so the concatenated output is exactly the
 * concatenation of the token pieces. Not for: whole-buffer decoding
 * (tokenizer_decode). */
#ifndef VERSUS_TOKEN_DECODER_H
#define VERSUS_TOKEN_DECODER_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "engine/tokenizer.h"

typedef struct TokenDecoder {
    const Tokenizer *tok;
    bool render_special;        /* CONTROL tokens give their text */
    unsigned char pending[4];   /* start of an incomplete character */
    size_t npending;            /* bytes in pending, 0..3 */
} TokenDecoder;

/* Starts a decoder over tok (which must outlive it). */
void tokdec_init(TokenDecoder *d, const Tokenizer *tok, bool render_special);
/* Appends to out the complete UTF-8 that id finishes, holding back an
 * incomplete trailing character. Returns 0, or -1 when memory runs out. */
int tokdec_push(TokenDecoder *d, int id, Buf *out);
/* Appends whatever is held back (an unfinished character, as raw bytes) and
 * resets the decoder. Returns 0, or -1 when memory runs out. */
int tokdec_flush(TokenDecoder *d, Buf *out);
/* Bytes currently held back. */
size_t tokdec_pending(const TokenDecoder *d);

#endif
