/* tokenizer.c — loading a Tokenizer from GGUF metadata, the special-token
 * partition, BOS/EOS, and token pieces (see tokenizer.h). The merge algorithms
 * live in tokenizer_spm.c and tokenizer_bpe.c; the BPE pre-tokenizer regexes in
 * pretokenize.c.
 *
 * Where llama.cpp decides something from metadata (default special ids, which
 * tokens end generation, Phi-3's white-space stripping after special tokens),
 * this file follows llama.cpp so that token ids match its tokenizer tests. */
#include "engine/tokenizer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tokenizer_impl.h"
#include "engine/unicode_ranges.h"
#include "util/hex.h"

#define KEY_MODEL "tokenizer.ggml.model"
#define KEY_PRE "tokenizer.ggml.pre"
#define KEY_TOKENS "tokenizer.ggml.tokens"
#define KEY_SCORES "tokenizer.ggml.scores"
#define KEY_TYPES "tokenizer.ggml.token_type"
#define KEY_MERGES "tokenizer.ggml.merges"

/* Texts that end a turn or the generation (llama.cpp's list); such tokens are
 * treated as CONTROL whatever the file says. */
static const char *const eog_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>",
    "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>",
    "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
    "<|return|>", "<|call|>", /* gpt-oss (harmony) */
};
/* Texts that name the end-of-turn token when tokenizer.ggml.eot_token_id is absent. */
static const char *const eot_texts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "<\xef\xbd\x9c" "end\xe2\x96\x81" "of\xe2\x96\x81" "sentence\xef\xbd\x9c>",
    "<end_of_utterance>",
};

int idvec_push(IdVec *iv, int id)
{
    if (iv->n == iv->cap) {
        size_t cap = iv->cap ? iv->cap * 2 : 64;
        int *v = realloc(iv->v, cap * sizeof(*v));
        if (!v)
            return -1;
        iv->v = v;
        iv->cap = cap;
    }
    iv->v[iv->n++] = id;
    return 0;
}

/* ---- hashing ----------------------------------------------------------- */

static uint64_t fnv_step(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FNV_SEED 0xcbf29ce484222325ULL

static size_t pow2_at_least(size_t n)
{
    size_t c = 16;
    while (c < n)
        c *= 2;
    return c;
}

int tok_lookup(const Tokenizer *t, const char *s, size_t n)
{
    size_t i = (size_t)fnv_step(FNV_SEED, s, n) & t->vmap_mask;
    for (;;) {
        int32_t id = t->vmap[i];
        if (id < 0)
            return -1;
        if (t->tok_len[id] == n && memcmp(t->text + t->tok_off[id], s, n) == 0)
            return id;
        i = (i + 1) & t->vmap_mask;
    }
}

static uint64_t merge_hash(const char *l, size_t ln, const char *r, size_t rn)
{
    return fnv_step(fnv_step(fnv_step(FNV_SEED, l, ln), " ", 1), r, rn);
}

int tok_merge_rank(const Tokenizer *t, const char *l, size_t ln, const char *r, size_t rn)
{
    if (!t->mmap)
        return -1;
    size_t i = (size_t)merge_hash(l, ln, r, rn) & t->mmap_mask;
    for (;;) {
        int32_t m = t->mmap[i];
        if (m < 0)
            return -1;
        const char *s = t->mtext + t->m_off[m];
        if (t->m_split[m] == ln && t->m_len[m] == ln + 1 + rn && memcmp(s, l, ln) == 0 &&
            memcmp(s + ln + 1, r, rn) == 0)
            return m;
        i = (i + 1) & t->mmap_mask;
    }
}

/* ---- loading ----------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *msg, const char *arg)
{
    if (err && errlen)
        snprintf(err, errlen, msg, arg);
    return -1;
}

static int load_vocab(Tokenizer *t, const GgufFile *g, char *err, size_t errlen)
{
    GgufValueType et;
    int64_t n = gguf_array_len(g, KEY_TOKENS, &et);
    if (n < 0)
        return fail(err, errlen, "%s is missing", KEY_TOKENS);
    if (et != GGUF_TYPE_STRING || n == 0 || n > (1 << 30))
        return fail(err, errlen, "%s is not a non-empty array of strings", KEY_TOKENS);
    t->n_vocab = (size_t)n;

    uint64_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        GgufString s = gguf_array_string(g, KEY_TOKENS, i);
        total += (s.len ? s.len : 24) + 1;
    }
    if (total > UINT32_MAX)
        return fail(err, errlen, "%s is too large", KEY_TOKENS);
    t->text = malloc((size_t)total);
    t->tok_off = malloc(t->n_vocab * sizeof(uint32_t));
    t->tok_len = malloc(t->n_vocab * sizeof(uint32_t));
    t->score = calloc(t->n_vocab, sizeof(float));
    t->attr = malloc(t->n_vocab * sizeof(uint16_t));
    t->eog = calloc(t->n_vocab, 1);
    t->vmap_mask = pow2_at_least(2 * t->n_vocab) - 1;
    t->vmap = malloc((t->vmap_mask + 1) * sizeof(int32_t));
    if (!t->text || !t->tok_off || !t->tok_len || !t->score || !t->attr || !t->eog || !t->vmap)
        return fail(err, errlen, "%s", "out of memory loading the vocabulary");
    memset(t->vmap, 0xff, (t->vmap_mask + 1) * sizeof(int32_t));

    size_t at = 0;
    for (size_t i = 0; i < t->n_vocab; i++) {
        GgufString s = gguf_array_string(g, KEY_TOKENS, (int64_t)i);
        size_t len = (size_t)s.len;
        t->tok_off[i] = (uint32_t)at;
        if (len) {
            memcpy(t->text + at, s.ptr, len);
        } else { /* llama.cpp's stand-in for an empty token */
            int k = snprintf(t->text + at, 24, "[EMPTY_%zu]", i);
            len = k > 0 ? (size_t)k : 0;
        }
        t->text[at + len] = '\0';
        t->tok_len[i] = (uint32_t)len;
        at += len + 1;
        /* first id wins for a duplicated text */
        size_t h = (size_t)fnv_step(FNV_SEED, t->text + t->tok_off[i], len) & t->vmap_mask;
        for (;;) {
            int32_t id = t->vmap[h];
            if (id < 0) {
                t->vmap[h] = (int32_t)i;
                break;
            }
            if (t->tok_len[id] == len && memcmp(t->text + t->tok_off[id], t->text + t->tok_off[i], len) == 0)
                break;
            h = (h + 1) & t->vmap_mask;
        }
    }

    int64_t ns = gguf_array_len(g, KEY_SCORES, &et);
    if (ns >= 0) {
        const void *d = gguf_array_data(g, KEY_SCORES);
        if ((et != GGUF_TYPE_FLOAT32 && et != GGUF_TYPE_INT32) || ns < n || !d)
            return fail(err, errlen, "%s is not an array of float32 or int32, one per token", KEY_SCORES);
        for (size_t i = 0; i < t->n_vocab; i++) {
            if (et == GGUF_TYPE_FLOAT32) {
                memcpy(&t->score[i], (const char *)d + 4 * i, 4);
            } else {
                int32_t v;
                memcpy(&v, (const char *)d + 4 * i, 4);
                t->score[i] = (float)v;
            }
        }
    }

    int64_t nt = gguf_array_len(g, KEY_TYPES, &et);
    const void *types = NULL;
    if (nt >= 0) {
        types = gguf_array_data(g, KEY_TYPES);
        if (et != GGUF_TYPE_INT32 || nt < n || !types)
            return fail(err, errlen, "%s is not an array of int32, one per token", KEY_TYPES);
    }
    for (size_t i = 0; i < t->n_vocab; i++) {
        int32_t ty = 1;
        if (types)
            memcpy(&ty, (const char *)types + 4 * i, 4);
        static const uint16_t by_type[] = {
            0, TOKEN_ATTR_NORMAL, TOKEN_ATTR_UNKNOWN, TOKEN_ATTR_CONTROL,
            TOKEN_ATTR_USER_DEFINED, TOKEN_ATTR_UNUSED, TOKEN_ATTR_BYTE,
        };
        t->attr[i] = ty >= 0 && ty < 7 ? by_type[ty] : 0;
    }
    return 0;
}

static int load_merges(Tokenizer *t, const GgufFile *g, char *err, size_t errlen)
{
    GgufValueType et;
    int64_t n = gguf_array_len(g, KEY_MERGES, &et);
    if (n < 0)
        return fail(err, errlen, "%s is missing (a gpt2 tokenizer needs it)", KEY_MERGES);
    if (et != GGUF_TYPE_STRING || n > (1 << 30))
        return fail(err, errlen, "%s is not an array of strings", KEY_MERGES);
    t->n_merges = (size_t)n;
    uint64_t total = 0;
    for (int64_t i = 0; i < n; i++)
        total += gguf_array_string(g, KEY_MERGES, i).len + 1;
    if (total > UINT32_MAX)
        return fail(err, errlen, "%s is too large", KEY_MERGES);
    t->mtext = malloc((size_t)total + 1);
    t->m_off = malloc((t->n_merges + 1) * sizeof(uint32_t));
    t->m_len = malloc((t->n_merges + 1) * sizeof(uint32_t));
    t->m_split = malloc((t->n_merges + 1) * sizeof(uint32_t));
    t->mmap_mask = pow2_at_least(2 * t->n_merges) - 1;
    t->mmap = malloc((t->mmap_mask + 1) * sizeof(int32_t));
    if (!t->mtext || !t->m_off || !t->m_len || !t->m_split || !t->mmap)
        return fail(err, errlen, "%s", "out of memory loading the merges");
    memset(t->mmap, 0xff, (t->mmap_mask + 1) * sizeof(int32_t));
    size_t at = 0;
    for (size_t i = 0; i < t->n_merges; i++) {
        GgufString s = gguf_array_string(g, KEY_MERGES, (int64_t)i);
        size_t len = (size_t)s.len;
        memcpy(t->mtext + at, s.ptr, len);
        t->mtext[at + len] = '\0';
        t->m_off[i] = (uint32_t)at;
        t->m_len[i] = (uint32_t)len;
        at += len + 1;
        const char *sp = len > 1 ? memchr(t->mtext + t->m_off[i] + 1, ' ', len - 1) : NULL;
        if (!sp)
            continue; /* not "left right": can never apply */
        size_t split = (size_t)(sp - (t->mtext + t->m_off[i]));
        t->m_split[i] = (uint32_t)split;
        const char *l = t->mtext + t->m_off[i];
        if (tok_merge_rank(t, l, split, l + split + 1, len - split - 1) >= 0)
            continue; /* the first rank of a repeated pair wins */
        size_t h = (size_t)merge_hash(l, split, l + split + 1, len - split - 1) & t->mmap_mask;
        while (t->mmap[h] >= 0)
            h = (h + 1) & t->mmap_mask;
        t->mmap[h] = (int32_t)i;
    }
    return 0;
}

/* An id from key, or def; ids outside the vocabulary are ignored. */
static int special_id(const Tokenizer *t, const GgufFile *g, const char *key, int def)
{
    if (def >= 0 && (size_t)def >= t->n_vocab)
        def = -1;
    int64_t v = gguf_get_int(g, key, -1);
    if (v >= 0 && (uint64_t)v < t->n_vocab)
        return (int)v;
    return def;
}

static int find_text(const Tokenizer *t, const char *s) { return tok_lookup(t, s, strlen(s)); }

static void setup_specials(Tokenizer *t, const GgufFile *g)
{
    bool spm = t->kind == TOKENIZER_SPM;
    t->bos = special_id(t, g, "tokenizer.ggml.bos_token_id", spm ? 1 : 11);
    t->eos = special_id(t, g, "tokenizer.ggml.eos_token_id", spm ? 2 : 11);
    t->unk = special_id(t, g, "tokenizer.ggml.unknown_token_id", spm ? 0 : -1);
    t->eot = special_id(t, g, "tokenizer.ggml.eot_token_id", -1);
    t->eom = special_id(t, g, "tokenizer.ggml.eom_token_id", -1);

    for (size_t i = 0; t->eot < 0 && i < sizeof(eot_texts) / sizeof(eot_texts[0]); i++)
        t->eot = find_text(t, eot_texts[i]);
    if (t->eot >= 0)
        t->attr[t->eot] |= TOKEN_ATTR_CONTROL;
    if (t->eom < 0)
        t->eom = find_text(t, "<|eom_id|>");
    if (t->eom >= 0)
        t->attr[t->eom] |= TOKEN_ATTR_CONTROL;
    for (size_t i = 0; i < sizeof(eog_texts) / sizeof(eog_texts[0]); i++) {
        int id = find_text(t, eog_texts[i]);
        if (id >= 0) {
            t->eog[id] = 1;
            t->attr[id] |= TOKEN_ATTR_CONTROL;
        }
    }
    if (t->eos >= 0)
        t->eog[t->eos] = 1;
    if (t->eot >= 0)
        t->eog[t->eot] = 1;
    if (t->eom >= 0)
        t->eog[t->eom] = 1;
    /* gpt-oss's harmony format: <|end|> closes one message (the analysis) and
     * the answer follows; generation ends at <|return|> or <|call|> (llama.cpp
     * makes the same exception) */
    int ret = find_text(t, "<|return|>"), call = find_text(t, "<|call|>"), end = find_text(t, "<|end|>");
    if (ret >= 0 && call >= 0 && end >= 0 && t->eog[ret] && t->eog[call] && end != t->eos)
        t->eog[end] = 0;

    t->add_bos = gguf_get_bool(g, "tokenizer.ggml.add_bos_token", spm ? true : t->pre.add_bos);
    t->add_eos = gguf_get_bool(g, "tokenizer.ggml.add_eos_token", false);
    if (t->bos < 0)
        t->add_bos = false;
    if (t->eos < 0)
        t->add_eos = false;
    t->add_space_prefix = spm && gguf_get_bool(g, "tokenizer.ggml.add_space_prefix", true);
}

typedef struct LenId {
    uint32_t len;
    int id;
} LenId;

static int by_length_desc(const void *a, const void *b)
{
    const LenId *x = a, *y = b;
    if (x->len != y->len)
        return x->len > y->len ? -1 : 1;
    return x->id < y->id ? -1 : (x->id > y->id);
}

static int setup_partition(Tokenizer *t, const GgufFile *g)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n_vocab; i++)
        if (t->attr[i] & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED | TOKEN_ATTR_UNKNOWN))
            n++;
    t->special = malloc((n ? n : 1) * sizeof(int));
    LenId *tmp = malloc((n ? n : 1) * sizeof(LenId));
    if (!t->special || !tmp) {
        free(tmp);
        return -1;
    }
    t->n_special = 0;
    for (size_t i = 0; i < t->n_vocab; i++)
        if (t->attr[i] & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED | TOKEN_ATTR_UNKNOWN))
            tmp[t->n_special++] = (LenId){ t->tok_len[i], (int)i };
    qsort(tmp, t->n_special, sizeof(LenId), by_length_desc);
    for (size_t i = 0; i < t->n_special; i++)
        t->special[i] = tmp[i].id;
    free(tmp);

    /* Phi-3: white space after its special tokens belongs to them. */
    GgufString name = gguf_get_string(g, "general.name");
    char lower[256];
    size_t ln = name.ptr ? (name.len < sizeof(lower) - 1 ? (size_t)name.len : sizeof(lower) - 1) : 0;
    for (size_t i = 0; i < ln; i++)
        lower[i] = (char)tolower((unsigned char)name.ptr[i]);
    lower[ln] = '\0';
    if (strstr(lower, "phi-3") || strstr(lower, "phi3")) {
        for (size_t i = 0; i < t->n_special; i++)
            t->attr[t->special[i]] |= TOKEN_ATTR_RSTRIP;
        int id = find_text(t, "</s>");
        if (id >= 0)
            t->attr[id] |= TOKEN_ATTR_RSTRIP;
        static const char *const keep[] = { "<unk>", "<s>", "<|endoftext|>" };
        for (size_t i = 0; i < 3; i++)
            if ((id = find_text(t, keep[i])) >= 0)
                t->attr[id] &= (uint16_t)~TOKEN_ATTR_RSTRIP;
    }
    return 0;
}

/* GPT-2's byte encoder: printable bytes map to themselves, the rest to 256+k. */
static void setup_byte_maps(Tokenizer *t)
{
    static const char hex[] = "0123456789ABCDEF";
    int next = 256;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
        uint32_t cp = printable ? (uint32_t)b : (uint32_t)next++;
        t->bpe_byte_len[b] = (uint8_t)unicode_encode_utf8(cp, (unsigned char *)t->bpe_byte_utf8[b]);
        char name[7] = { '<', '0', 'x', hex[b >> 4], hex[b & 15], '>', 0 };
        int id = find_text(t, name);
        if (id < 0) {
            char one = (char)b;
            id = tok_lookup(t, &one, 1);
        }
        t->byte_tok[b] = id;
    }
}

/* Appends the piece of token i, rendered as with render_special. unbyte maps
 * GPT-2's byte code points (below 324) back to bytes, -1 elsewhere. */
static int render_piece(const Tokenizer *t, size_t i, const int16_t *unbyte, Buf *b)
{
    const char *s = t->text + t->tok_off[i];
    size_t n = t->tok_len[i];
    unsigned a = t->attr[i];
    if (a & (TOKEN_ATTR_UNKNOWN | TOKEN_ATTR_CONTROL | TOKEN_ATTR_USER_DEFINED))
        return buf_append(b, s, n);
    if (a & TOKEN_ATTR_NORMAL) {
        if (t->kind == TOKENIZER_SPM) {
            for (size_t j = 0; j < n; j++) {
                if (j + 2 < n && memcmp(s + j, "\xe2\x96\x81", 3) == 0) {
                    if (buf_append(b, " ", 1) < 0)
                        return -1;
                    j += 2;
                } else if (buf_append(b, s + j, 1) < 0) {
                    return -1;
                }
            }
            return 0;
        }
        for (size_t j = 0; j < n;) {
            uint32_t cp;
            bool valid;
            size_t k = unicode_decode_utf8((const unsigned char *)s + j, n - j, &cp, &valid);
            int byte = valid && cp < 324 ? unbyte[cp] : -1;
            if (byte >= 0) {
                char c = (char)byte;
                if (buf_append(b, &c, 1) < 0)
                    return -1;
            } else if (buf_append(b, s + j, k) < 0) { /* not a byte code point: keep it */
                return -1;
            }
            j += k;
        }
        return 0;
    }
    if ((a & TOKEN_ATTR_BYTE) && n == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>') {
        int hi = hex_value(s[3]), lo = hex_value(s[4]);
        if (hi >= 0 && lo >= 0) {
            char c = (char)(hi * 16 + lo);
            return buf_append(b, &c, 1);
        }
    }
    return 0; /* UNUSED, UNDEFINED: nothing */
}

static int setup_pieces(Tokenizer *t)
{
    Buf b = { 0 };
    int16_t unbyte[324];
    for (int c = 0; c < 324; c++)
        unbyte[c] = -1;
    for (int c = 0; c < 256; c++) {
        uint32_t cp;
        unicode_decode_utf8((const unsigned char *)t->bpe_byte_utf8[c], t->bpe_byte_len[c], &cp, NULL);
        if (cp < 324)
            unbyte[cp] = (int16_t)c;
    }
    t->p_off = malloc(t->n_vocab * sizeof(uint32_t));
    t->p_len = malloc(t->n_vocab * sizeof(uint32_t));
    if (!t->p_off || !t->p_len)
        return -1;
    for (size_t i = 0; i < t->n_vocab; i++) {
        size_t start = b.len;
        if (render_piece(t, i, unbyte, &b) < 0 || b.len > UINT32_MAX) {
            buf_free(&b);
            return -1;
        }
        t->p_off[i] = (uint32_t)start;
        t->p_len[i] = (uint32_t)(b.len - start);
    }
    t->ptext = buf_steal(&b);
    return t->ptext ? 0 : -1;
}

Tokenizer *tokenizer_load(const GgufFile *g, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    GgufString model = gguf_get_string(g, KEY_MODEL);
    if (!model.ptr) {
        fail(err, errlen, "%s is missing: the file has no tokenizer", KEY_MODEL);
        return NULL;
    }
    Tokenizer *t = calloc(1, sizeof(*t));
    if (!t) {
        fail(err, errlen, "%s", "out of memory");
        return NULL;
    }
    if (gguf_string_eq(model, "llama")) {
        t->kind = TOKENIZER_SPM;
    } else if (gguf_string_eq(model, "gpt2")) {
        t->kind = TOKENIZER_BPE;
        GgufString pre = gguf_get_string(g, KEY_PRE);
        if (pretok_lookup(pre.ptr, (size_t)pre.len, &t->pre) < 0) {
            char name[64];
            snprintf(name, sizeof(name), "%.*s", (int)(pre.len < 60 ? pre.len : 60), pre.ptr);
            fail(err, errlen, "unsupported BPE pre-tokenizer '%s' (tokenizer.ggml.pre)", name);
            goto bad;
        }
    } else {
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(model.len < 60 ? model.len : 60), model.ptr);
        fail(err, errlen, "unsupported tokenizer model '%s' (versus knows llama and gpt2)", name);
        goto bad;
    }
    if (load_vocab(t, g, err, errlen) < 0)
        goto bad;
    if (t->kind == TOKENIZER_BPE && load_merges(t, g, err, errlen) < 0)
        goto bad;
    setup_specials(t, g);
    setup_byte_maps(t);
    if (setup_partition(t, g) < 0 || setup_pieces(t) < 0) {
        fail(err, errlen, "%s", "out of memory building the tokenizer");
        goto bad;
    }
    return t;
bad:
    tokenizer_free(t);
    return NULL;
}

void tokenizer_free(Tokenizer *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->tok_off);
    free(t->tok_len);
    free(t->score);
    free(t->attr);
    free(t->eog);
    free(t->vmap);
    free(t->mtext);
    free(t->m_off);
    free(t->m_len);
    free(t->m_split);
    free(t->mmap);
    free(t->ptext);
    free(t->p_off);
    free(t->p_len);
    free(t->special);
    free(t);
}

/* ---- encoding ---------------------------------------------------------- */

typedef struct Frag {
    int tok;         /* a special token, or -1 for raw text */
    size_t off, len; /* raw text: bytes into the input */
} Frag;

typedef struct FragVec {
    Frag *v;
    size_t n, cap;
} FragVec;

static int frag_push(FragVec *f, Frag x)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        Frag *v = realloc(f->v, cap * sizeof(*v));
        if (!v)
            return -1;
        f->v = v;
        f->cap = cap;
    }
    f->v[f->n++] = x;
    return 0;
}

static int is_c_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* True when no byte of text[at..at+n) is marked in the input mask. */
static bool all_template(const unsigned char *input, size_t at, size_t n)
{
    if (!input)
        return true;
    for (size_t i = 0; i < n; i++)
        if (input[at + i])
            return false;
    return true;
}

/* The first match of tok in text[cur..end) that may become the special token:
 * anywhere when parse_special is for everything, else only where no byte is
 * input (a CONTROL token typed by the user stays text). */
static const char *find_special(const char *text, size_t cur, size_t end, const char *tok, size_t tl,
                                const unsigned char *input, bool check_input)
{
    while (cur < end) {
        const char *m = memmem(text + cur, end - cur, tok, tl);
        if (!m || !check_input || all_template(input, (size_t)(m - text), tl))
            return m;
        cur = (size_t)(m - text) + 1;
    }
    return NULL;
}

/* Splits raw fragments around every occurrence of each special token, longest
 * tokens first (llama.cpp's tokenizer_st_partition). With an input mask,
 * CONTROL and UNKNOWN tokens are parsed only in bytes the mask leaves 0. */
static int partition(const Tokenizer *t, const char *text, size_t len, bool parse_special,
                     const unsigned char *input, FragVec *out)
{
    FragVec a = { 0 }, b = { 0 };
    if (frag_push(&a, (Frag){ -1, 0, len }) < 0)
        return -1;
    for (size_t s = 0; s < t->n_special; s++) {
        int id = t->special[s];
        unsigned attr = t->attr[id];
        bool controlish = (attr & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_UNKNOWN)) != 0;
        if (!parse_special && controlish)
            continue;
        bool check_input = controlish && input;
        const char *tok = t->text + t->tok_off[id];
        size_t tl = t->tok_len[id];
        bool found = false;
        for (size_t i = 0; i < a.n && !found; i++)
            found = a.v[i].tok < 0 &&
                    find_special(text, a.v[i].off, a.v[i].off + a.v[i].len, tok, tl, input, check_input) != NULL;
        if (!found)
            continue;
        b.n = 0;
        for (size_t i = 0; i < a.n; i++) {
            Frag f = a.v[i];
            if (f.tok >= 0) {
                if (frag_push(&b, f) < 0)
                    goto oom;
                continue;
            }
            size_t cur = f.off, end = f.off + f.len;
            for (;;) {
                const char *m = find_special(text, cur, end, tok, tl, input, check_input);
                if (!m) {
                    if (end > cur && frag_push(&b, (Frag){ -1, cur, end - cur }) < 0)
                        goto oom;
                    break;
                }
                size_t at = (size_t)(m - text), left_end = at;
                if (attr & TOKEN_ATTR_LSTRIP)
                    while (left_end > cur && is_c_space(text[left_end - 1]))
                        left_end--;
                if (left_end > cur && frag_push(&b, (Frag){ -1, cur, left_end - cur }) < 0)
                    goto oom;
                if (frag_push(&b, (Frag){ id, 0, 0 }) < 0)
                    goto oom;
                cur = at + tl;
                if (attr & TOKEN_ATTR_RSTRIP)
                    while (cur < end && is_c_space(text[cur]))
                        cur++;
            }
        }
        FragVec tmp = a;
        a = b;
        b = tmp;
    }
    free(b.v);
    *out = a;
    return 0;
oom:
    free(a.v);
    free(b.v);
    return -1;
}

static int spm_fragment(const Tokenizer *t, const char *text, size_t len, bool prefix, IdVec *out)
{
    size_t cap = 3 * len + 3;
    char *esc = malloc(cap);
    if (!esc)
        return -1;
    size_t n = 0;
    if (prefix) {
        memcpy(esc, "\xe2\x96\x81", 3);
        n = 3;
    }
    for (size_t i = 0; i < len; i++) {
        if (text[i] == ' ') {
            memcpy(esc + n, "\xe2\x96\x81", 3);
            n += 3;
        } else {
            esc[n++] = text[i];
        }
    }
    int rc = tok_spm_encode(t, esc, n, out);
    free(esc);
    return rc;
}

static int encode(const Tokenizer *t, const char *text, size_t len, bool add_special, bool parse_special,
                  const unsigned char *input, int **ids, size_t *n)
{
    *ids = NULL;
    *n = 0;
    FragVec frags = { 0 };
    IdVec out = { 0 };
    if (len && partition(t, text, len, parse_special, input, &frags) < 0)
        return -1;
    int rc = 0;
    if (add_special && t->add_bos)
        rc = idvec_push(&out, t->bos);
    bool prev_special = true; /* SPM: a space goes in front of the text and after specials */
    for (size_t i = 0; i < frags.n && rc == 0; i++) {
        const Frag *f = &frags.v[i];
        if (f->tok >= 0) {
            rc = idvec_push(&out, f->tok);
            prev_special = true;
        } else if (t->kind == TOKENIZER_SPM) {
            rc = spm_fragment(t, text + f->off, f->len, t->add_space_prefix && prev_special, &out);
            prev_special = false;
        } else {
            rc = tok_bpe_encode(t, text + f->off, f->len, &out);
        }
    }
    if (rc == 0 && add_special && t->add_eos)
        rc = idvec_push(&out, t->eos);
    free(frags.v);
    if (rc < 0) {
        free(out.v);
        return -1;
    }
    *ids = out.v;
    *n = out.n;
    return 0;
}

int tokenizer_encode(const Tokenizer *t, const char *text, size_t len, bool add_special,
                     bool parse_special, int **ids, size_t *n)
{
    return encode(t, text, len, add_special, parse_special, NULL, ids, n);
}

int tokenizer_encode_masked(const Tokenizer *t, const char *text, size_t len, const unsigned char *input,
                            bool add_special, int **ids, size_t *n)
{
    return encode(t, text, len, add_special, true, input, ids, n);
}

/* ---- pieces and accessors ---------------------------------------------- */

const char *tokenizer_piece(const Tokenizer *t, int id, bool render_special, size_t *len)
{
    *len = 0;
    if (id < 0 || (size_t)id >= t->n_vocab)
        return "";
    if (!render_special && (t->attr[id] & (TOKEN_ATTR_CONTROL | TOKEN_ATTR_UNKNOWN)))
        return "";
    *len = t->p_len[id];
    return t->ptext + t->p_off[id];
}

int tokenizer_decode(const Tokenizer *t, const int *ids, size_t n, bool render_special, Buf *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *p = tokenizer_piece(t, ids[i], render_special, &len);
        if (len && buf_append(out, p, len) < 0)
            return -1;
    }
    return 0;
}

const char *tokenizer_token_text(const Tokenizer *t, int id, size_t *len)
{
    if (id < 0 || (size_t)id >= t->n_vocab) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = t->tok_len[id];
    return t->text + t->tok_off[id];
}

int tokenizer_find_token(const Tokenizer *t, const char *text, size_t len) { return tok_lookup(t, text, len); }

unsigned tokenizer_token_attr(const Tokenizer *t, int id)
{
    return id >= 0 && (size_t)id < t->n_vocab ? t->attr[id] : 0;
}

size_t tokenizer_vocab_size(const Tokenizer *t) { return t->n_vocab; }
TokenizerKind tokenizer_kind(const Tokenizer *t) { return t->kind; }
const char *tokenizer_pre_name(const Tokenizer *t)
{
    return t->kind == TOKENIZER_SPM ? "spm" : pretok_kind_name(t->pre.kind);
}
int tokenizer_bos(const Tokenizer *t) { return t->bos; }
int tokenizer_eos(const Tokenizer *t) { return t->eos; }
int tokenizer_eot(const Tokenizer *t) { return t->eot; }
bool tokenizer_adds_bos(const Tokenizer *t) { return t->add_bos; }
bool tokenizer_adds_eos(const Tokenizer *t) { return t->add_eos; }
bool tokenizer_is_eog(const Tokenizer *t, int id)
{
    return id >= 0 && (size_t)id < t->n_vocab && t->eog[id];
}
