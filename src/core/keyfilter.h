/* keyfilter.h — keeping every key versus holds out of everything it shows or
 * writes, including when a provider echoes one back piece by piece.
 *
 * The secrets: every key versus reads (keys_read registers it, trimmed the
 * way it is sent), every key the config points at (config_load registers
 * key_env values, key files and every .key file in keys/), and the value of every
 * secret-looking environment variable (name containing API_KEY, APIKEY,
 * TOKEN, SECRET or PASSWORD, or ending in _KEY; 8+ bytes), trimmed the same
 * way. Secrets shorter than 8 bytes are not tracked.
 *
 * A secret is found written plainly, with any of its bytes JSON-escaped
 * (\u0073, \/), percent-encoded (%73, either hex case), or base64-encoded
 * (standard or URL alphabet, at any of the three alignments), and masked
 * with '*' over every byte of the match, so lengths and offsets never
 * change. The streaming form (KeyFilter) catches a secret split across any
 * number of pieces by holding back only a tail that could still become one.
 * Not for: deciding where keys may be sent (providers/target.h). */
#ifndef VERSUS_KEYFILTER_H
#define VERSUS_KEYFILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "core/stream.h"
#include "util/buf.h"

#define KEYFILTER_MIN_SECRET 8

/* Adds a secret to the process-wide set (copied; leading/trailing blanks and
 * CR/LF trimmed, as keys are sent). Ignored when shorter than the minimum. */
void keyfilter_add_secret(const char *secret, size_t n);
/* True for an environment variable name treated as holding a secret. */
bool keyfilter_is_secret_name(const char *name);

/* Masks every known secret in buf[0..n) in place; returns how many matches. */
size_t keyfilter_mask(char *buf, size_t n);
/* True when s[0..n) holds a known secret in any of the forms above. */
bool keyfilter_contains(const char *s, size_t n);

/* The streaming form: text fed piece by piece comes out masked, whatever
 * the split points. */
typedef struct KeyFilter KeyFilter;
/* A filter over the secrets known now (added later ones are not seen). NULL
 * when memory runs out. */
KeyFilter *keyfilter_new(void);
void keyfilter_free(KeyFilter *f);
/* Feeds s[0..n); appends to out what can be released now (masked). 0, or -1
 * when memory runs out. */
int keyfilter_feed(KeyFilter *f, const char *s, size_t n, Buf *out);
/* Releases what is held back (the end of the stream). 0 or -1. */
int keyfilter_flush(KeyFilter *f, Buf *out);
/* Matches masked so far. */
size_t keyfilter_hits(const KeyFilter *f);

/* A StreamSink in front of another that masks keys in every event: the
 * text of DELTA, REASONING and REFUSAL events streamed (a key split across
 * deltas is caught; held-back text comes later with token_id
 * STREAM_TOKEN_HELD_BACK), every other text whole (error messages and
 * types, reasons, tool-call names and arguments). Held-back text is
 * released before ERROR and DONE, and by keysink_end. */
typedef struct KeySink KeySink;
KeySink *keysink_new(StreamSink downstream);
void keysink_free(KeySink *k);
/* The sink to give decoders; valid while k lives. */
StreamSink keysink_sink(KeySink *k);
/* Releases held-back text downstream (call before the stream is ended some
 * other way: a transport failure, a cancel, the engine's last token). */
void keysink_end(KeySink *k);
/* True when a key was masked in what went through. */
bool keysink_masked(const KeySink *k);

#endif
