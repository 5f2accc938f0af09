/* fuzz_tokenizer.c — libFuzzer target: the tokenizers (SentencePiece and
 * byte-level BPE with its pre-tokenizer regexes) and the streaming decoder on
 * arbitrary bytes, over real vocabularies loaded once from
 * $VERSUS_SHARED/models/vocab (gpt-2 and llama-spm, plus the other BPE
 * pre-tokenizers found there).
 *
 * The first input byte picks the vocabulary and the flags; the rest is text
 * (or, in id mode, little-endian int32 token ids, any value). Besides memory
 * safety it checks the tokenizer's contract: without special handling, any
 * bytes round-trip through encode/decode on gpt-2 and llama-spm (SentencePiece
 * adds its leading space), and the streaming decoder's output is exactly the
 * concatenation of the pieces. Set VERSUS_FUZZ_NO_ROUNDTRIP=1 to check memory
 * safety only. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "engine/gguf.h"
#include "engine/token_decoder.h"
#include "engine/tokenizer.h"

typedef struct Vocab {
    const char *name;
    bool check_roundtrip; /* every byte string must come back (proven vocabularies) */
    bool spm_prefix;      /* decoding gives the leading space SentencePiece adds */
    Tokenizer *t;
} Vocab;

static Vocab vocabs[] = {
    { "gpt-2", true, false, NULL },     { "llama-spm", true, true, NULL }, { "starcoder", false, false, NULL },
    { "deepseek-coder", false, false, NULL }, { "falcon", false, false, NULL }, { "phi-3", false, false, NULL },
};
#define N_VOCABS (sizeof vocabs / sizeof vocabs[0])
static size_t n_loaded;
static Vocab *loaded[N_VOCABS];
static bool check_roundtrip = true;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *shared = getenv("VERSUS_SHARED");
    if (!shared) {
        fprintf(stderr, "fuzz_tokenizer: VERSUS_SHARED is not set (needs models/vocab/*.gguf)\n");
        abort();
    }
    const char *nr = getenv("VERSUS_FUZZ_NO_ROUNDTRIP");
    check_roundtrip = !(nr && *nr && *nr != '0');
    for (size_t i = 0; i < N_VOCABS; i++) {
        char path[2048], err[512];
        snprintf(path, sizeof path, "%s/models/vocab/ggml-vocab-%s.gguf", shared, vocabs[i].name);
        GgufFile *g = gguf_open(path, err, sizeof err);
        if (!g) {
            if (vocabs[i].check_roundtrip) { /* the two the brief names must be there */
                fprintf(stderr, "fuzz_tokenizer: %s\n", err);
                abort();
            }
            continue;
        }
        vocabs[i].t = tokenizer_load(g, err, sizeof err);
        gguf_close(g);
        if (!vocabs[i].t) {
            fprintf(stderr, "fuzz_tokenizer: %s: %s\n", path, err);
            abort();
        }
        loaded[n_loaded++] = &vocabs[i];
    }
    return 0;
}

/* Decodes ids through the streaming decoder and checks that the output is
 * exactly tokenizer_decode's. */
static void check_stream_decode(const Tokenizer *t, const int *ids, size_t n, bool render_special)
{
    Buf whole = { 0 }, streamed = { 0 };
    if (tokenizer_decode(t, ids, n, render_special, &whole) < 0)
        abort();
    TokenDecoder d;
    tokdec_init(&d, t, render_special);
    for (size_t i = 0; i < n; i++) {
        if (tokdec_push(&d, ids[i], &streamed) < 0)
            abort();
        if (tokdec_pending(&d) > 3)
            abort();
    }
    if (tokdec_flush(&d, &streamed) < 0)
        abort();
    if (whole.len != streamed.len || (whole.len && memcmp(whole.data, streamed.data, whole.len) != 0)) {
        fprintf(stderr, "fuzz_tokenizer: streaming decode (%zu bytes) differs from whole decode (%zu bytes)\n",
                streamed.len, whole.len);
        abort();
    }
    buf_free(&whole);
    buf_free(&streamed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || n_loaded == 0)
        return 0;
    uint8_t mode = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    Vocab *v = loaded[(mode & 0x07) % n_loaded];
    bool add_special = mode & 0x08;
    bool parse_special = mode & 0x10;
    bool render_special = mode & 0x20;
    bool id_mode = (mode & 0xC0) == 0xC0;

    if (id_mode) { /* arbitrary ids: negative, huge, specials, byte tokens */
        size_t n = len / 4;
        int *ids = malloc((n ? n : 1) * sizeof *ids);
        if (!ids)
            return 0;
        for (size_t i = 0; i < n; i++) {
            uint32_t u;
            memcpy(&u, text + 4 * i, 4);
            /* mostly in range, sometimes wild */
            ids[i] = (u & 0x80000000u) ? (int32_t)u : (int)(u % (tokenizer_vocab_size(v->t) + 16));
        }
        check_stream_decode(v->t, ids, n, render_special);
        for (size_t i = 0; i < n; i++) {
            size_t pl;
            const char *p = tokenizer_piece(v->t, ids[i], render_special, &pl);
            if (pl && !p)
                abort();
            (void)tokenizer_token_text(v->t, ids[i], &pl);
            (void)tokenizer_token_attr(v->t, ids[i]);
            (void)tokenizer_is_eog(v->t, ids[i]);
        }
        free(ids);
        return 0;
    }

    int *ids = NULL;
    size_t n = 0;
    if (tokenizer_encode(v->t, text, len, add_special, parse_special, &ids, &n) < 0)
        return 0; /* out of memory is an allowed answer */
    size_t vs = tokenizer_vocab_size(v->t);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= vs) {
            fprintf(stderr, "fuzz_tokenizer: %s: encode produced id %d outside the vocabulary (%zu)\n", v->name,
                    ids[i], vs);
            abort();
        }
    check_stream_decode(v->t, ids, n, render_special);
    if (check_roundtrip && v->check_roundtrip && !add_special && !parse_special && !render_special &&
        !(v->spm_prefix && memmem(text, len, "\xe2\x96\x81", 3))) { /* a literal ▁ decodes as a space */
        Buf b = { 0 };
        if (tokenizer_decode(v->t, ids, n, false, &b) < 0)
            abort();
        size_t off = v->spm_prefix && len ? 1 : 0;
        if (b.len != len + off || (len && memcmp(b.data + off, text, len) != 0)) {
            fprintf(stderr, "fuzz_tokenizer: %s: %zu input bytes came back as %zu bytes\n", v->name, len, b.len);
            abort();
        }
        buf_free(&b);
    }
    free(ids);
    return 0;
}
