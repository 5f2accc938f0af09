/* test_tokenizer.c — the tokenizers against llama.cpp's own tokenizer test
 * files (../shared/models/vocab), the stories260K oracle, the default chat
 * model; plus round trips, the streaming decoder, special tokens, hostile
 * metadata and how the cost grows with the text. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/buf.h"
#include "engine/gguf.h"
#include "engine/pretokenize.h"
#include "engine/token_decoder.h"
#include "engine/tokenizer.h"
#include "testenv.h"

/* ---- helpers ----------------------------------------------------------- */

typedef struct Loaded {
    GgufFile *g;
    Tokenizer *t;
} Loaded;

/* Opens a GGUF and its tokenizer; fails the test when either does not load. */
static Loaded load_path(const char *path)
{
    char err[256];
    Loaded l = { 0 };
    l.g = gguf_open(path, err, sizeof(err));
    cr_assert(l.g, "gguf_open(%s): %s", path, err);
    l.t = tokenizer_load(l.g, err, sizeof(err));
    cr_assert(l.t, "tokenizer_load(%s): %s", path, err);
    return l;
}

static void unload(Loaded *l)
{
    tokenizer_free(l->t);
    gguf_close(l->g);
}

#define NEED_SHARED()                                   \
    do {                                                \
        const char *s_ = getenv("VERSUS_SHARED");       \
        if (!s_ || !*s_) {                              \
            cr_skip_test("VERSUS_SHARED not set");      \
            return;                                     \
        }                                               \
    } while (0)

static int *encode(const Tokenizer *t, const char *s, size_t len, bool add_special, bool parse_special, size_t *n)
{
    int *ids = NULL;
    cr_assert_eq(tokenizer_encode(t, s, len, add_special, parse_special, &ids, n), 0);
    return ids;
}

static char *ids_to_string(const int *ids, size_t n)
{
    Buf b = { 0 };
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, " %d", ids[i]);
    return buf_steal(&b);
}

/* ---- llama.cpp's test-tokenizer-0 files -------------------------------- */

/* NAME.gguf.inp holds texts separated by "\n__ggml_vocab_test__\n"; line i of
 * NAME.gguf.out holds the ids llama.cpp gives text i (no BOS: the files were
 * made with add_special off), each written as " <id>"; an empty text has an
 * empty line. */
static void check_vocab(const char *name)
{
    char gpath[1024], ipath[1100], opath[1100];
    char rel[256];
    snprintf(rel, sizeof(rel), "models/vocab/ggml-vocab-%s.gguf", name);
    testenv_shared(rel, gpath, sizeof(gpath));
    snprintf(ipath, sizeof(ipath), "%s.inp", gpath);
    snprintf(opath, sizeof(opath), "%s.out", gpath);
    size_t ilen, olen;
    char *in = testenv_slurp(ipath, &ilen), *out = testenv_slurp(opath, &olen);
    cr_assert(in && out, "cannot read %s / %s", ipath, opath);
    Loaded l = load_path(gpath);

    static const char sep[] = "\n__ggml_vocab_test__\n";
    const char *p = in, *o = out;
    int cases = 0, bad = 0;
    for (;;) {
        const char *e = memmem(p, ilen - (size_t)(p - in), sep, sizeof(sep) - 1);
        if (!e)
            break;
        const char *oe = memchr(o, '\n', olen - (size_t)(o - out));
        cr_assert(oe, "%s: .out has fewer lines than .inp has texts", name);
        size_t n;
        int *ids = encode(l.t, p, (size_t)(e - p), false, false, &n);
        char *got = ids_to_string(ids, n);
        size_t explen = (size_t)(oe - o);
        if (strlen(got) != explen || memcmp(got, o, explen) != 0) {
            bad++;
            cr_log_error("%s case %d %.*s\n  expected:%.*s\n  got:     %s", name, cases, (int)(e - p), p,
                         (int)explen, o, got);
        }
        free(ids);
        free(got);
        p = e + sizeof(sep) - 1;
        o = oe + 1;
        cases++;
    }
    cr_assert_gt(cases, 40, "%s: only %d cases found", name, cases);
    cr_expect_eq(bad, 0, "%s: %d of %d cases differ from llama.cpp", name, bad, cases);
    unload(&l);
    free(in);
    free(out);
}

Test(vocab, llama_spm_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("llama-spm"); }
Test(vocab, phi_3_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("phi-3"); }
Test(vocab, gpt_2_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("gpt-2"); }
Test(vocab, deepseek_llm_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("deepseek-llm"); }
Test(vocab, deepseek_coder_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("deepseek-coder"); }
Test(vocab, falcon_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("falcon"); }
Test(vocab, starcoder_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("starcoder"); }
Test(vocab, refact_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("refact"); }
Test(vocab, mpt_ids_match_llama_cpp) { NEED_SHARED(); check_vocab("mpt"); }

Test(vocab, unsupported_models_are_refused_with_their_name)
{
    NEED_SHARED();
    char path[1024], err[256];
    testenv_shared("models/vocab/ggml-vocab-bert-bge.gguf", path, sizeof(path));
    GgufFile *g = gguf_open(path, err, sizeof(err));
    cr_assert(g, "%s", err);
    cr_assert_null(tokenizer_load(g, err, sizeof(err)));
    cr_assert(strstr(err, "bert"), "message: %s", err);
    gguf_close(g);
}

/* ---- stories260K oracle ------------------------------------------------ */

static cJSON *load_oracle(void)
{
    char path[1024];
    testenv_shared("oracle/stories260K_greedy.json", path, sizeof(path));
    size_t len;
    char *s = testenv_slurp(path, &len);
    cr_assert(s, "cannot read %s", path);
    cJSON *j = cJSON_ParseWithLength(s, len);
    free(s);
    cr_assert(j, "oracle JSON does not parse");
    return j;
}

static void expect_ids(const cJSON *arr, const int *ids, size_t n, const char *what, const char *text)
{
    cr_assert(cJSON_IsArray(arr), "%s: not an array", what);
    size_t m = (size_t)cJSON_GetArraySize(arr);
    char *got = ids_to_string(ids, n);
    cr_expect_eq(n, m, "%s for \"%s\": %zu ids, oracle has %zu (got%s)", what, text, n, m, got);
    for (size_t i = 0; i < n && i < m; i++)
        cr_expect_eq(ids[i], cJSON_GetArrayItem(arr, (int)i)->valueint, "%s for \"%s\": id %zu differs (got%s)",
                     what, text, i, got);
    free(got);
}

static Loaded load_stories(void)
{
    char path[1024];
    testenv_shared("models/stories260K.gguf", path, sizeof(path));
    return load_path(path);
}

Test(stories, tokenize_cases_match_oracle)
{
    NEED_SHARED();
    cJSON *j = load_oracle();
    Loaded l = load_stories();
    const cJSON *c;
    int count = 0;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "tokenize"))
    {
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        size_t n;
        int *ids = encode(l.t, text, strlen(text), true, true, &n);
        expect_ids(cJSON_GetObjectItem(c, "ids_default"), ids, n, "ids_default", text);
        free(ids);
        ids = encode(l.t, text, strlen(text), false, true, &n);
        expect_ids(cJSON_GetObjectItem(c, "ids_no_bos"), ids, n, "ids_no_bos", text);
        free(ids);
        ids = encode(l.t, text, strlen(text), true, false, &n);
        expect_ids(cJSON_GetObjectItem(c, "ids_no_parse_special"), ids, n, "ids_no_parse_special", text);
        free(ids);
        count++;
    }
    cr_assert_gt(count, 0);
    unload(&l);
    cJSON_Delete(j);
}

Test(stories, greedy_prompts_tokenize_to_oracle_prompt_ids)
{
    NEED_SHARED();
    cJSON *j = load_oracle();
    Loaded l = load_stories();
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "greedy"))
    {
        const char *text = cJSON_GetObjectItem(c, "prompt")->valuestring;
        size_t n;
        int *ids = encode(l.t, text, strlen(text), true, true, &n);
        expect_ids(cJSON_GetObjectItem(c, "prompt_ids"), ids, n, "prompt_ids", text);
        free(ids);
    }
    unload(&l);
    cJSON_Delete(j);
}

Test(stories, greedy_ids_detokenize_to_oracle_text_whole_and_streamed)
{
    NEED_SHARED();
    cJSON *j = load_oracle();
    Loaded l = load_stories();
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItem(j, "greedy"))
    {
        const cJSON *gen = cJSON_GetObjectItem(c, "gen64");
        const cJSON *arr = cJSON_GetObjectItem(gen, "ids");
        const char *want = cJSON_GetObjectItem(gen, "text")->valuestring;
        size_t n = (size_t)cJSON_GetArraySize(arr);
        int *ids = malloc(n * sizeof(int));
        for (size_t i = 0; i < n; i++)
            ids[i] = cJSON_GetArrayItem(arr, (int)i)->valueint;
        Buf whole = { 0 }, streamed = { 0 };
        cr_assert_eq(tokenizer_decode(l.t, ids, n, false, &whole), 0);
        cr_expect_str_eq(buf_str(&whole), want);
        TokenDecoder d;
        tokdec_init(&d, l.t, false);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(tokdec_push(&d, ids[i], &streamed), 0);
        cr_assert_eq(tokdec_flush(&d, &streamed), 0);
        cr_expect_str_eq(buf_str(&streamed), want);
        buf_free(&whole);
        buf_free(&streamed);
        free(ids);
    }
    unload(&l);
    cJSON_Delete(j);
}

Test(stories, special_ids_and_flags_come_from_metadata)
{
    NEED_SHARED();
    Loaded l = load_stories();
    cr_expect_eq(tokenizer_kind(l.t), TOKENIZER_SPM);
    cr_expect_eq(tokenizer_vocab_size(l.t), 512);
    cr_expect_eq(tokenizer_bos(l.t), 1);
    cr_expect_eq(tokenizer_eos(l.t), 2);
    cr_expect(tokenizer_adds_bos(l.t));
    cr_expect_not(tokenizer_adds_eos(l.t));
    cr_expect(tokenizer_is_eog(l.t, 2));
    cr_expect_not(tokenizer_is_eog(l.t, 1));
    /* <s> is CONTROL: its text only when asked, and matched only with parse_special */
    size_t len;
    tokenizer_piece(l.t, 1, false, &len);
    cr_expect_eq(len, 0);
    const char *p = tokenizer_piece(l.t, 1, true, &len);
    cr_expect(len == 3 && memcmp(p, "<s>", 3) == 0);
    size_t n;
    int *ids = encode(l.t, "<s>", 3, false, true, &n);
    cr_expect(n == 1 && ids[0] == 1, "parse_special: <s> is one token");
    free(ids);
    ids = encode(l.t, "<s>", 3, false, false, &n);
    cr_expect(n > 1, "without parse_special <s> is plain text");
    free(ids);
    unload(&l);
}

/* ---- the default chat model (SmolLM2-135M-Instruct) ------------------- */

#define NEED_DEFAULT_MODEL(path)                                        \
    const char *path = getenv("VERSUS_DEFAULT_MODEL_FILE");             \
    do {                                                                \
        if (!path || !*path) {                                          \
            cr_skip_test("VERSUS_DEFAULT_MODEL_FILE not set");          \
            return;                                                     \
        }                                                               \
    } while (0)

Test(smollm, byte_level_bpe_with_smollm_pre_and_known_pieces)
{
    NEED_DEFAULT_MODEL(path);
    Loaded l = load_path(path);
    cr_expect_eq(tokenizer_kind(l.t), TOKENIZER_BPE);
    cr_expect_str_eq(tokenizer_pre_name(l.t), "starcoder"); /* smollm shares StarCoder's regexes */
    cr_expect_not(tokenizer_adds_bos(l.t));
    int hello = tokenizer_find_token(l.t, "Hello", 5);
    int world = tokenizer_find_token(l.t, "\xc4\xa0world", 7); /* "Ġworld" */
    cr_assert(hello >= 0 && world >= 0);
    size_t n;
    int *ids = encode(l.t, "Hello world", 11, true, true, &n);
    cr_expect(n == 2 && ids[0] == hello && ids[1] == world, "Hello world ->%s", ids_to_string(ids, n));
    free(ids);
    /* digits are split one by one by the smollm pre-tokenizer */
    ids = encode(l.t, "2024", 4, false, false, &n);
    cr_expect_eq(n, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        cr_expect_eq(ids[i], tokenizer_find_token(l.t, &"2024"[i], 1));
    free(ids);
    /* ChatML markers are single CONTROL tokens with parse_special, and end turns */
    static const char chat[] = "<|im_start|>user\nHi there<|im_end|>\n";
    ids = encode(l.t, chat, sizeof(chat) - 1, true, true, &n);
    cr_assert_gt(n, 3);
    cr_expect_eq(ids[0], tokenizer_find_token(l.t, "<|im_start|>", 12));
    int im_end = tokenizer_find_token(l.t, "<|im_end|>", 10);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        seen |= ids[i] == im_end;
    cr_expect(seen);
    cr_expect(tokenizer_is_eog(l.t, im_end));
    Buf b = { 0 };
    tokenizer_decode(l.t, ids, n, true, &b);
    cr_expect_str_eq(buf_str(&b), chat);
    buf_reset(&b);
    tokenizer_decode(l.t, ids, n, false, &b);
    cr_expect_str_eq(buf_str(&b), "user\nHi there\n");
    buf_free(&b);
    free(ids);
    unload(&l);
}

/* ---- round trips ------------------------------------------------------- */

static const char *const tricky[] = {
    "Hello, world!",
    "  leading and trailing  ",
    "tabs\tand\nnewlines\r\n\n",
    "emoji \xf0\x9f\xa6\x99\xf0\x9f\x98\x81 and ZWJ \xf0\x9f\x98\xb6\xe2\x80\x8d\xf0\x9f\x8c\xab\xef\xb8\x8f",
    "CJK \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x80\x82\xe6\x88\x91\xe6\x83\xb3",
    "combining e\xcc\x81 a\xcc\x8a\xcc\x81 Z\xcd\x91\xcd\x97",
    "Khmer \xe1\x9e\x80\xe1\x9e\xb6\xe1\x9e\x93\xe1\x9f\x8b",
    "invalid \xff\xfe bytes \xc3 alone \xe2\x82 cut \x80\x80 stray",
    "nul-free control \x01\x02\x1f\x7f",
    "specials as text <s></s><|endoftext|><|im_start|>",
    "'s 'RE 'll contractions 12345678 3.14",
};


/* with_invalid: include the malformed-UTF-8 case (needs a token for every byte). */
static void check_round_trip(const char *vocab, bool spm_prefix, bool with_invalid)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof(rel), "models/vocab/ggml-vocab-%s.gguf", vocab);
    testenv_shared(rel, path, sizeof(path));
    Loaded l = load_path(path);
    for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
        size_t n, len = strlen(tricky[i]);
        if (!with_invalid && !testenv_utf8_strict((const unsigned char *)tricky[i], len))
            continue;
        int *ids = encode(l.t, tricky[i], len, false, false, &n);
        Buf b = { 0 };
        cr_assert_eq(tokenizer_decode(l.t, ids, n, false, &b), 0);
        const char *got = buf_str(&b);
        if (spm_prefix) { /* SentencePiece adds the leading space it decodes back */
            cr_expect(b.len == len + 1 && got[0] == ' ' && memcmp(got + 1, tricky[i], len) == 0,
                      "%s: case %zu does not round-trip: \"%s\"", vocab, i, got);
        } else {
            cr_expect(b.len == len && memcmp(got, tricky[i], len) == 0,
                      "%s: case %zu does not round-trip: \"%s\"", vocab, i, got);
        }
        buf_free(&b);
        free(ids);
    }
    unload(&l);
}

Test(roundtrip, spm_bytes_survive_encode_decode) { NEED_SHARED(); check_round_trip("llama-spm", true, true); }
Test(roundtrip, gpt2_bytes_survive_encode_decode) { NEED_SHARED(); check_round_trip("gpt-2", false, true); }
/* StarCoder's vocabulary lacks tokens for 14 of the 256 bytes (0xFF among
 * them), so malformed UTF-8 cannot survive it; well-formed text must. (The
 * deepseek vocabularies have every byte, but as USER_DEFINED tokens that render
 * as their text, "ÿ", as they do in llama.cpp.) */
Test(roundtrip, starcoder_utf8_survives_encode_decode) { NEED_SHARED(); check_round_trip("starcoder", false, false); }

/* Random bytes (malformed UTF-8 galore) must come back byte for byte. */
static void check_random_bytes(const char *vocab, bool spm_prefix)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof(rel), "models/vocab/ggml-vocab-%s.gguf", vocab);
    testenv_shared(rel, path, sizeof(path));
    Loaded l = load_path(path);
    srand(42);
    int bad = 0;
    for (int iter = 0; iter < 500; iter++) {
        char text[64];
        size_t len = 1 + (size_t)(rand() % 63);
        for (size_t i = 0; i < len; i++)
            text[i] = (char)(rand() % 4 ? rand() % 256 : " \n<a"[rand() % 5]);
        if (spm_prefix && memmem(text, len, "\xe2\x96\x81", 3))
            continue; /* a literal ▁ decodes as a space in SentencePiece */
        size_t n;
        int *ids = encode(l.t, text, len, false, false, &n);
        Buf b = { 0 };
        tokenizer_decode(l.t, ids, n, false, &b);
        size_t off = spm_prefix ? 1 : 0;
        if (b.len != len + off || memcmp(buf_str(&b) + off, text, len) != 0)
            bad++;
        buf_free(&b);
        free(ids);
    }
    cr_expect_eq(bad, 0, "%s: %d random byte strings did not round-trip", vocab, bad);
    unload(&l);
}

Test(roundtrip, spm_random_bytes_survive) { NEED_SHARED(); check_random_bytes("llama-spm", true); }
Test(roundtrip, gpt2_random_bytes_survive) { NEED_SHARED(); check_random_bytes("gpt-2", false); }

static void check_streaming(const char *vocab)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof(rel), "models/vocab/ggml-vocab-%s.gguf", vocab);
    testenv_shared(rel, path, sizeof(path));
    Loaded l = load_path(path);
    for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
        size_t len = strlen(tricky[i]);
        bool text_valid = testenv_utf8_strict((const unsigned char *)tricky[i], len);
        size_t n;
        int *ids = encode(l.t, tricky[i], len, false, false, &n);
        Buf whole = { 0 }, all = { 0 }, chunk = { 0 };
        tokenizer_decode(l.t, ids, n, false, &whole);
        TokenDecoder d;
        tokdec_init(&d, l.t, false);
        for (size_t k = 0; k < n; k++) {
            buf_reset(&chunk);
            cr_assert_eq(tokdec_push(&d, ids[k], &chunk), 0);
            if (text_valid)
                cr_expect(testenv_utf8_strict((const unsigned char *)chunk.data, chunk.len),
                          "%s case %zu: token %zu emitted a partial character", vocab, i, k);
            buf_append(&all, buf_str(&chunk), chunk.len);
        }
        buf_reset(&chunk);
        tokdec_flush(&d, &chunk);
        buf_append(&all, buf_str(&chunk), chunk.len);
        cr_expect(all.len == whole.len && memcmp(buf_str(&all), buf_str(&whole), whole.len) == 0,
                  "%s case %zu: streamed text differs from the whole decode", vocab, i);
        buf_free(&whole);
        buf_free(&all);
        buf_free(&chunk);
        free(ids);
    }
    unload(&l);
}

Test(tokdec, never_emits_a_partial_character_spm) { NEED_SHARED(); check_streaming("llama-spm"); }
Test(tokdec, never_emits_a_partial_character_byte_level_bpe) { NEED_SHARED(); check_streaming("gpt-2"); }

Test(tokdec, byte_fallback_character_is_held_until_its_last_byte)
{
    NEED_SHARED();
    char path[1024];
    testenv_shared("models/vocab/ggml-vocab-llama-spm.gguf", path, sizeof(path));
    Loaded l = load_path(path);
    /* 🦙 is not in the Llama vocabulary: four <0xNN> tokens */
    int ids[4];
    static const unsigned char llama[4] = { 0xF0, 0x9F, 0xA6, 0x99 };
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof(name), "<0x%02X>", llama[i]);
        ids[i] = tokenizer_find_token(l.t, name, 6);
        cr_assert_geq(ids[i], 0);
    }
    TokenDecoder d;
    tokdec_init(&d, l.t, false);
    Buf out = { 0 };
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(tokdec_push(&d, ids[i], &out), 0);
        cr_expect_eq(out.len, 0, "byte %d leaked out early", i);
        cr_expect_eq(tokdec_pending(&d), (size_t)i + 1);
    }
    cr_assert_eq(tokdec_push(&d, ids[3], &out), 0);
    cr_expect(out.len == 4 && memcmp(out.data, llama, 4) == 0);
    /* an unfinished character comes out raw at the flush */
    buf_reset(&out);
    tokdec_push(&d, ids[0], &out);
    tokdec_push(&d, ids[1], &out);
    cr_expect_eq(out.len, 0);
    tokdec_flush(&d, &out);
    cr_expect(out.len == 2 && memcmp(out.data, llama, 2) == 0);
    cr_expect_eq(tokdec_pending(&d), 0);
    buf_free(&out);
    unload(&l);
}

/* ---- special tokens ----------------------------------------------------- */

Test(special, control_tokens_need_parse_special_user_defined_do_not)
{
    NEED_SHARED();
    char path[1024];
    testenv_shared("models/vocab/ggml-vocab-mpt.gguf", path, sizeof(path));
    Loaded l = load_path(path);
    size_t n;
    /* <|endoftext|> is CONTROL: one token only with parse_special */
    int *ids = encode(l.t, "a<|endoftext|>b", 15, false, true, &n);
    cr_expect(n == 3 && ids[1] == 0, "got%s", ids_to_string(ids, n));
    free(ids);
    ids = encode(l.t, "a<|endoftext|>b", 15, false, false, &n);
    cr_expect(n > 3, "without parse_special it is text");
    free(ids);
    /* runs of spaces are USER_DEFINED tokens: matched even without parse_special */
    int spaces = tokenizer_find_token(l.t, "        ", 8);
    cr_assert_geq(spaces, 0);
    cr_expect(tokenizer_token_attr(l.t, spaces) & TOKEN_ATTR_USER_DEFINED);
    ids = encode(l.t, "x        y", 10, false, false, &n);
    bool seen = false;
    for (size_t i = 0; i < n; i++)
        seen |= ids[i] == spaces;
    cr_expect(seen, "got%s", ids_to_string(ids, n));
    free(ids);
    unload(&l);
}

Test(special, add_special_follows_the_file)
{
    NEED_SHARED();
    char path[1024];
    testenv_shared("models/vocab/ggml-vocab-llama-spm.gguf", path, sizeof(path));
    Loaded spm = load_path(path);
    size_t n;
    int *ids = encode(spm.t, "Hi", 2, true, false, &n);
    cr_expect(n >= 2 && ids[0] == 1, "Llama adds BOS");
    free(ids);
    ids = encode(spm.t, "", 0, true, false, &n);
    cr_expect(n == 1 && ids[0] == 1, "an empty prompt is BOS alone");
    free(ids);
    ids = encode(spm.t, "", 0, false, false, &n);
    cr_expect_eq(n, 0);
    free(ids);
    unload(&spm);
    testenv_shared("models/vocab/ggml-vocab-gpt-2.gguf", path, sizeof(path));
    Loaded bpe = load_path(path);
    ids = encode(bpe.t, "Hi", 2, true, false, &n);
    cr_expect(n == 1 && ids[0] != tokenizer_bos(bpe.t), "GPT-2 adds nothing");
    free(ids);
    unload(&bpe);
}

Test(special, phi3_special_tokens_eat_the_white_space_after_them)
{
    NEED_SHARED();
    char path[1024];
    testenv_shared("models/vocab/ggml-vocab-phi-3.gguf", path, sizeof(path));
    Loaded l = load_path(path);
    size_t n1, n2;
    int *a = encode(l.t, "<|user|>\nHi<|end|>", 18, false, true, &n1);
    int *b = encode(l.t, "<|user|>Hi<|end|>", 17, false, true, &n2);
    cr_expect_eq(n1, n2);
    for (size_t i = 0; i < n1 && i < n2; i++)
        cr_expect_eq(a[i], b[i]);
    cr_expect(tokenizer_is_eog(l.t, tokenizer_find_token(l.t, "<|end|>", 7)));
    free(a);
    free(b);
    unload(&l);
}

/* ---- scaling ----------------------------------------------------------
 * No wall-clock budget (a loaded CI box, ASan and valgrind make any budget
 * meaningless): what these guard against is work that grows faster than the
 * input, e.g. a quadratic merge loop or a special-token scan that restarts at
 * every byte. Encoding 8x the text must cost about 8x the thread's own CPU
 * time (n log n: ~9.5x; seen: 6-16x), not ~64x; the least of a few runs of
 * each size keeps a preempted or cache-cold run from deciding. Timing the
 * thread's CPU, not the wall clock, keeps other processes out of it. */

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

#define SCALE_RUNS 5
#define SCALE_FACTOR 8
#define SCALE_MAX_RATIO 24.0 /* linear: 8, n log n: ~9.5, quadratic: 64 */

/* The least thread CPU time over SCALE_RUNS encodings of text; *n gets the
 * token count. */
static double encode_cpu_s(const Tokenizer *t, const Buf *text, bool special, size_t *n)
{
    double best = -1;
    for (int i = 0; i < SCALE_RUNS; i++) {
        double t0 = thread_cpu_s();
        int *ids = encode(t, text->data, text->len, special, special, n);
        double dt = thread_cpu_s() - t0;
        free(ids);
        if (best < 0 || dt < best)
            best = dt;
    }
    return best;
}

/* Fills small with about `bytes` of text from gen and big with
 * SCALE_FACTOR times as much, then checks that encoding big costs at most
 * SCALE_MAX_RATIO times encoding small. */
static void check_scaling(const Tokenizer *t, const char *what, size_t bytes, bool special,
                          const char *(*gen)(unsigned *seed), size_t min_tokens)
{
    Buf small = { 0 }, big = { 0 };
    unsigned seed = 7;
    while (small.len < bytes)
        buf_puts(&small, gen(&seed));
    seed = 7;
    while (big.len < SCALE_FACTOR * bytes)
        buf_puts(&big, gen(&seed));
    size_t n_small, n_big;
    double t_small = encode_cpu_s(t, &small, special, &n_small);
    double t_big = encode_cpu_s(t, &big, special, &n_big);
    cr_expect_geq(n_big, min_tokens, "%s: %zu bytes gave only %zu tokens", what, big.len, n_big);
    /* below ~1 ms of CPU a clock tick is a large share; the floor keeps a
     * very fast small run from inflating the ratio */
    double ratio = t_big / (t_small > 1e-3 ? t_small : 1e-3);
    cr_log_info("%s: %zu B -> %zu tokens in %.4f s CPU, %zu B -> %zu tokens in %.4f s CPU (x%.1f)", what,
                small.len, n_small, t_small, big.len, n_big, t_big, ratio);
    cr_expect_leq(ratio, SCALE_MAX_RATIO,
                  "%s: %dx the text cost %.1fx the CPU (%.4f s vs %.4f s): the tokenizer grows faster than "
                  "its input",
                  what, SCALE_FACTOR, ratio, t_big, t_small);
    buf_free(&small);
    buf_free(&big);
}

static const char *mixed_words(unsigned *seed)
{
    static const char *const words[] = { "the", " quick", " brown", " fox", ",", " jumps", "\n\n", " 12345",
                                         " \xe6\x97\xa5\xe6\x9c\xac", " caf\xc3\xa9", " \xf0\x9f\xa6\x99", "    ",
                                         "supercalifragilistic", " don't", "!!" };
    return words[rand_r(seed) % (int)(sizeof(words) / sizeof(words[0]))];
}

static const char *one_word(unsigned *seed)
{
    (void)seed;
    return "abcdefghij";
}

static void check_speed(const char *vocab)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof(rel), "models/vocab/ggml-vocab-%s.gguf", vocab);
    testenv_shared(rel, path, sizeof(path));
    Loaded l = load_path(path);
    char what[128];
    snprintf(what, sizeof what, "%s: mixed text", vocab);
    check_scaling(l.t, what, 100 * 1024 / SCALE_FACTOR, true, mixed_words, 10000);
    /* and one long word: a single SentencePiece fragment, a single BPE word */
    snprintf(what, sizeof what, "%s: one long word", vocab);
    check_scaling(l.t, what, 100 * 1024 / SCALE_FACTOR, false, one_word, 1);
    unload(&l);
}

Test(scaling, spm_tokenizer_cost_grows_linearly_with_the_text) { NEED_SHARED(); check_speed("llama-spm"); }
Test(scaling, bpe_tokenizer_cost_grows_linearly_with_the_text) { NEED_SHARED(); check_speed("gpt-2"); }
/* 2,400 USER_DEFINED tokens to look for in the text before any BPE */
Test(scaling, many_special_tokens_keep_the_cost_linear) { NEED_SHARED(); check_speed("deepseek-llm"); }

/* ---- hand-made vocabularies (no shared files needed) ------------------- */

typedef struct Gguf {
    Buf b;
    uint64_t n_kv;
} Gguf;

static void put_u32(Buf *b, uint32_t v) { buf_append(b, &v, 4); }
static void put_u64(Buf *b, uint64_t v) { buf_append(b, &v, 8); }
static void put_str(Buf *b, const char *s)
{
    put_u64(b, strlen(s));
    buf_append(b, s, strlen(s));
}
static void kv_str(Gguf *g, const char *k, const char *v)
{
    put_str(&g->b, k);
    put_u32(&g->b, GGUF_TYPE_STRING);
    put_str(&g->b, v);
    g->n_kv++;
}
static void kv_u32(Gguf *g, const char *k, uint32_t v)
{
    put_str(&g->b, k);
    put_u32(&g->b, GGUF_TYPE_UINT32);
    put_u32(&g->b, v);
    g->n_kv++;
}
static void kv_strs(Gguf *g, const char *k, const char *const *v, size_t n)
{
    put_str(&g->b, k);
    put_u32(&g->b, GGUF_TYPE_ARRAY);
    put_u32(&g->b, GGUF_TYPE_STRING);
    put_u64(&g->b, n);
    for (size_t i = 0; i < n; i++)
        put_str(&g->b, v[i]);
    g->n_kv++;
}
static void kv_arr32(Gguf *g, const char *k, GgufValueType t, const void *v, size_t n)
{
    put_str(&g->b, k);
    put_u32(&g->b, GGUF_TYPE_ARRAY);
    put_u32(&g->b, t);
    put_u64(&g->b, n);
    buf_append(&g->b, v, 4 * n);
    g->n_kv++;
}
/* The whole file: header then the key/values appended so far. */
static Buf gguf_finish(Gguf *g)
{
    Buf f = { 0 };
    buf_append(&f, "GGUF", 4);
    put_u32(&f, 3);
    put_u64(&f, 0);
    put_u64(&f, g->n_kv);
    buf_append(&f, g->b.data, g->b.len);
    buf_free(&g->b);
    return f;
}

static Tokenizer *load_mem(Buf *file, GgufFile **g, char *err, size_t errlen)
{
    *g = gguf_open_memory(file->data, file->len, err, errlen);
    cr_assert(*g, "gguf_open_memory: %s", err);
    return tokenizer_load(*g, err, errlen);
}

Test(handmade, spm_merges_by_score_and_falls_back_to_bytes)
{
    /* ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then pieces */
    const char *tok[270];
    static char bytes[256][7];
    tok[0] = "<unk>", tok[1] = "<s>", tok[2] = "</s>";
    for (int i = 0; i < 256; i++) {
        snprintf(bytes[i], sizeof(bytes[i]), "<0x%02X>", i);
        tok[3 + i] = bytes[i];
    }
    const char *pieces[] = { "\xe2\x96\x81", "a", "b", "c", "ab", "bc", "\xe2\x96\x81" "a", "\xe2\x96\x81" "abc" };
    float scores[270] = { 0 };
    int32_t types[270];
    size_t n = 259;
    for (size_t i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++)
        tok[n++] = pieces[i];
    for (size_t i = 0; i < n; i++)
        types[i] = i == 0 ? 2 : i < 3 ? 3 : i < 259 ? 6 : 1;
    /* "bc" (-1) beats "ab" (-2); "▁a" (-3) then "▁abc" would need "▁a"+"bc" */
    scores[259 + 4] = -2, scores[259 + 5] = -1, scores[259 + 6] = -3, scores[259 + 7] = -4;
    Gguf g = { 0 };
    kv_str(&g, "tokenizer.ggml.model", "llama");
    kv_strs(&g, "tokenizer.ggml.tokens", tok, n);
    kv_arr32(&g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, scores, n);
    kv_arr32(&g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, n);
    Buf f = gguf_finish(&g);
    GgufFile *gf;
    char err[256];
    Tokenizer *t = load_mem(&f, &gf, err, sizeof(err));
    cr_assert(t, "%s", err);
    size_t m;
    int *ids = encode(t, "abc", 3, true, false, &m);
    /* "▁abc": ▁a (-3) vs ab (-2) vs bc (-1): bc first, then ▁+a -> ▁a, then ▁a+bc -> ▁abc */
    cr_expect(m == 2 && ids[0] == 1 && ids[1] == 259 + 7, "got%s", ids_to_string(ids, m));
    free(ids);
    ids = encode(t, "ad", 2, false, false, &m); /* "d" is not a piece: <0x64> */
    cr_expect(m == 2 && ids[0] == 259 + 6 && ids[1] == 3 + 'd', "got%s", ids_to_string(ids, m));
    free(ids);
    tokenizer_free(t);
    gguf_close(gf);
    buf_free(&f);
}

Test(handmade, bpe_merges_by_rank_over_mapped_bytes)
{
    /* GPT-2 byte encoder: ' ' -> U+0120 "Ġ" */
    const char *tok[] = { "a", "b", "\xc4\xa0", "ab", "\xc4\xa0" "a", "\xc4\xa0" "ab", "<|endoftext|>" };
    const char *merges[] = { "a b", "\xc4\xa0 a", ("\xc4\xa0" "a b") };
    int32_t types[] = { 1, 1, 1, 1, 1, 1, 3 };
    Gguf g = { 0 };
    kv_str(&g, "tokenizer.ggml.model", "gpt2");
    kv_str(&g, "tokenizer.ggml.pre", "gpt-2");
    kv_strs(&g, "tokenizer.ggml.tokens", tok, 7);
    kv_arr32(&g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, 7);
    kv_strs(&g, "tokenizer.ggml.merges", merges, 3);
    kv_u32(&g, "tokenizer.ggml.eos_token_id", 6);
    Buf f = gguf_finish(&g);
    GgufFile *gf;
    char err[256];
    Tokenizer *t = load_mem(&f, &gf, err, sizeof(err));
    cr_assert(t, "%s", err);
    size_t m;
    /* " ab": "a b" (rank 0) first gives Ġ + ab, and no merge "Ġ ab" exists */
    int *ids = encode(t, " ab ab<|endoftext|>", 19, false, true, &m);
    cr_expect(m == 5 && ids[0] == 2 && ids[1] == 3 && ids[2] == 2 && ids[3] == 3 && ids[4] == 6,
              "got%s", ids_to_string(ids, m));
    cr_expect(tokenizer_is_eog(t, 6));
    Buf b = { 0 };
    tokenizer_decode(t, ids, m, false, &b);
    cr_expect_str_eq(buf_str(&b), " ab ab");
    buf_free(&b);
    free(ids);
    tokenizer_free(t);
    gguf_close(gf);
    buf_free(&f);
}

/* gpt-oss's harmony tokens: <|return|> and <|call|> end a turn, <|end|> only
 * a message inside it (so the analysis channel does not stop generation);
 * without <|return|>/<|call|>, <|end|> keeps ending it (Phi-3). */
static Tokenizer *harmony_vocab(bool harmony, GgufFile **gf, Buf *f)
{
    const char *tok[] = { "a", "b", "<|endoftext|>", "<|end|>", "<|return|>", "<|call|>", "<|start|>" };
    int32_t types[] = { 1, 1, 3, 3, 3, 3, 3 };
    size_t n = harmony ? 7 : 4;
    Gguf g = { 0 };
    kv_str(&g, "tokenizer.ggml.model", "gpt2");
    kv_str(&g, "tokenizer.ggml.pre", "gpt-2");
    kv_strs(&g, "tokenizer.ggml.tokens", tok, n);
    kv_arr32(&g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, types, n);
    kv_strs(&g, "tokenizer.ggml.merges", (const char *[]){ "a b" }, 1);
    kv_u32(&g, "tokenizer.ggml.eos_token_id", 2);
    *f = gguf_finish(&g);
    char err[256];
    Tokenizer *t = load_mem(f, gf, err, sizeof(err));
    cr_assert(t, "%s", err);
    return t;
}

Test(handmade, gpt_oss_turn_ends_at_return_or_call_not_at_end)
{
    GgufFile *gf;
    Buf f;
    Tokenizer *t = harmony_vocab(true, &gf, &f);
    cr_expect(tokenizer_is_eog(t, 4), "<|return|>");
    cr_expect(tokenizer_is_eog(t, 5), "<|call|>");
    cr_expect_not(tokenizer_is_eog(t, 3), "<|end|> only closes a message");
    cr_expect(tokenizer_is_eog(t, 2));
    tokenizer_free(t);
    gguf_close(gf);
    buf_free(&f);
    t = harmony_vocab(false, &gf, &f);
    cr_expect(tokenizer_is_eog(t, 3), "<|end|> ends a Phi-3 turn");
    tokenizer_free(t);
    gguf_close(gf);
    buf_free(&f);
}

static void expect_refused(void (*build)(Gguf *), const char *needle)
{
    Gguf g = { 0 };
    build(&g);
    Buf f = gguf_finish(&g);
    GgufFile *gf;
    char err[256];
    Tokenizer *t = load_mem(&f, &gf, err, sizeof(err));
    cr_expect_null(t);
    cr_expect(strstr(err, needle), "message \"%s\" lacks \"%s\"", err, needle);
    tokenizer_free(t);
    gguf_close(gf);
    buf_free(&f);
}

static const char *const two[] = { "a", "b" };
static void no_model(Gguf *g) { kv_strs(g, "tokenizer.ggml.tokens", two, 2); }
static void odd_model(Gguf *g) { kv_str(g, "tokenizer.ggml.model", "t5"); kv_strs(g, "tokenizer.ggml.tokens", two, 2); }
static void odd_pre(Gguf *g)
{
    kv_str(g, "tokenizer.ggml.model", "gpt2");
    kv_str(g, "tokenizer.ggml.pre", "klingon");
    kv_strs(g, "tokenizer.ggml.tokens", two, 2);
}
static void no_merges(Gguf *g)
{
    kv_str(g, "tokenizer.ggml.model", "gpt2");
    kv_strs(g, "tokenizer.ggml.tokens", two, 2);
}
static void tokens_not_strings(Gguf *g)
{
    int32_t v[2] = { 1, 2 };
    kv_str(g, "tokenizer.ggml.model", "llama");
    kv_arr32(g, "tokenizer.ggml.tokens", GGUF_TYPE_INT32, v, 2);
}
static void short_scores(Gguf *g)
{
    float s[1] = { 0 };
    kv_str(g, "tokenizer.ggml.model", "llama");
    kv_strs(g, "tokenizer.ggml.tokens", two, 2);
    kv_arr32(g, "tokenizer.ggml.scores", GGUF_TYPE_FLOAT32, s, 1);
}
static void short_types(Gguf *g)
{
    int32_t s[1] = { 1 };
    kv_str(g, "tokenizer.ggml.model", "llama");
    kv_strs(g, "tokenizer.ggml.tokens", two, 2);
    kv_arr32(g, "tokenizer.ggml.token_type", GGUF_TYPE_INT32, s, 1);
}

Test(handmade, broken_metadata_is_refused_with_a_clear_message)
{
    expect_refused(no_model, "tokenizer.ggml.model");
    expect_refused(odd_model, "t5");
    expect_refused(odd_pre, "klingon");
    expect_refused(no_merges, "merges");
    expect_refused(tokens_not_strings, "tokenizer.ggml.tokens");
    expect_refused(short_scores, "scores");
    expect_refused(short_types, "token_type");
}

Test(handmade, out_of_range_ids_are_harmless)
{
    Gguf g = { 0 };
    kv_str(&g, "tokenizer.ggml.model", "llama");
    kv_strs(&g, "tokenizer.ggml.tokens", two, 2);
    kv_u32(&g, "tokenizer.ggml.bos_token_id", 4294967295u);
    Buf f = gguf_finish(&g);
    GgufFile *gf;
    char err[256];
    Tokenizer *t = load_mem(&f, &gf, err, sizeof(err));
    cr_assert(t, "%s", err);
    cr_expect_eq(tokenizer_bos(t), 1); /* the default, still in range */
    cr_expect_eq(tokenizer_eos(t), -1); /* default 2 is past the vocabulary */
    size_t len;
    tokenizer_piece(t, 99, true, &len);
    cr_expect_eq(len, 0);
    tokenizer_piece(t, -5, true, &len);
    cr_expect_eq(len, 0);
    cr_expect_null(tokenizer_token_text(t, 2, NULL));
    cr_expect_not(tokenizer_is_eog(t, 77));
    size_t m;
    int *ids = encode(t, "zz", 2, true, false, &m); /* no byte tokens, no pieces: <unk> */
    cr_expect(m >= 1);
    free(ids);
    tokenizer_free(t);
    gguf_close(gf);
    buf_free(&f);
}

/* ---- pre-tokenizer edge cases that no vocab file here exercises -------- */

static void expect_split(PretokKind k, const char *text, const char *const *want, size_t nwant)
{
    PretokSpan *sp;
    size_t n;
    cr_assert_eq(pretok_split(k, text, strlen(text), &sp, &n), 0);
    cr_expect_eq(n, nwant, "%s: \"%s\" gave %zu pieces", pretok_kind_name(k), text, n);
    for (size_t i = 0; i < n && i < nwant; i++)
        cr_expect(sp[i].len == strlen(want[i]) && memcmp(text + sp[i].off, want[i], sp[i].len) == 0,
                  "%s: piece %zu is \"%.*s\", want \"%s\"", pretok_kind_name(k), i, (int)sp[i].len,
                  text + sp[i].off, want[i]);
    free(sp);
}

Test(pretok, llama3_and_qwen2_follow_their_regexes)
{
    static const char text[] = "I'M here\t\tnow 12345!!\n\n  x  ";
    static const char *const l3[] = { "I", "'M", " here", "\t", "\tnow", " ", "123", "45", "!!\n\n", " ", " x", "  " };
    static const char *const q2[] = { "I", "'M", " here", "\t", "\tnow", " ", "1", "2", "3", "4", "5", "!!\n\n", " ", " x", "  " };
    expect_split(PRETOK_LLAMA3, text, l3, sizeof(l3) / sizeof(l3[0]));
    expect_split(PRETOK_QWEN2, text, q2, sizeof(q2) / sizeof(q2[0]));
    static const char ws[] = "a \n \r\n  b";
    static const char *const l3ws[] = { "a", " \n \r\n", " ", " b" };
    expect_split(PRETOK_LLAMA3, ws, l3ws, 4);
}

Test(pretok, names_map_to_kinds_and_unknown_names_fail)
{
    PretokSpec s;
    cr_assert_eq(pretok_lookup("smollm", 6, &s), 0);
    cr_expect_eq(s.kind, PRETOK_STARCODER);
    cr_assert_eq(pretok_lookup("llama-bpe", 9, &s), 0);
    cr_expect(s.kind == PRETOK_LLAMA3 && s.ignore_merges && s.add_bos);
    cr_assert_eq(pretok_lookup("qwen2", 5, &s), 0);
    cr_expect_eq(s.kind, PRETOK_QWEN2);
    cr_assert_eq(pretok_lookup(NULL, 0, &s), 0);
    cr_expect_eq(s.kind, PRETOK_DEFAULT);
    cr_expect_eq(pretok_lookup("nonesuch", 8, &s), -1);
}
