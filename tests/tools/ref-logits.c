/* ref-logits.c — the reference side of the agreement fixtures: a small
 * program written against llama.cpp's public C API (libllama) that decodes a
 * token sequence in one teacher-forced batch and writes the raw logits of
 * every position, exactly as llama.cpp computed them (llama_get_logits_ith:
 * the float32 output of the model head, before any softmax or sampling).
 *
 * Built and run only by tests/tools/make-reference.sh, against a llama.cpp
 * built in a cache folder outside the repository; never part of the versus
 * build, never run in CI.
 *
 * usage: ref-logits MODEL.gguf --kv f32|f16 [--threads N]
 *                   (--tokens ID,ID,... | --text STRING [--no-bos])
 *                   [--generate N] --out-tokens FILE --out-logits FILE
 *   --text        tokenized by llama.cpp (special tokens parsed, BOS added
 *                 when the model wants one unless --no-bos)
 *   --ubatch N    llama.cpp's physical batch (default: all tokens at once)
 *   --generate N  first extends the sequence with N greedy tokens (argmax of
 *                 llama.cpp's own logits, same KV type), stopping early at an
 *                 end-of-generation token
 *   --out-tokens  the final ids, one line, comma-separated
 *   --out-logits  n_tokens * n_vocab little-endian float32, row i = the
 *                 logits for the token after position i
 * Flash attention is off: with it on, llama.cpp casts an F32 KV cache to
 * F16 inside the attention, so "F32 KV" would not be F32. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

static void die(const char *msg)
{
    fprintf(stderr, "ref-logits: %s\n", msg);
    exit(1);
}

static int parse_ids(const char *s, llama_token *out, int cap)
{
    int n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || n >= cap)
            die("bad --tokens list");
        out[n++] = (llama_token)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            die("bad --tokens list");
    }
    return n;
}

static struct llama_context *new_ctx(struct llama_model *model, int n, bool f16, int threads, int ubatch)
{
    struct llama_context_params cp = llama_context_default_params();
    cp.n_ctx = (uint32_t)(n + 16);
    cp.n_batch = (uint32_t)n;
    cp.n_ubatch = (uint32_t)(ubatch > 0 && ubatch < n ? ubatch : n);
    cp.n_seq_max = 1;
    cp.n_threads = threads;
    cp.n_threads_batch = threads;
    cp.type_k = f16 ? GGML_TYPE_F16 : GGML_TYPE_F32;
    cp.type_v = f16 ? GGML_TYPE_F16 : GGML_TYPE_F32;
    cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED;
    cp.no_perf = true;
    struct llama_context *ctx = llama_init_from_model(model, cp);
    if (!ctx)
        die("cannot create a context");
    return ctx;
}

static int argmax(const float *x, int n)
{
    int b = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[b])
            b = i;
    return b;
}

int main(int argc, char **argv)
{
    const char *path = NULL, *tokens = NULL, *text = NULL, *out_tokens = NULL, *out_logits = NULL;
    bool f16 = false, bos = true;
    int threads = 2, generate = 0, ubatch = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--kv") == 0 && v) {
            f16 = strcmp(v, "f16") == 0;
            if (!f16 && strcmp(v, "f32") != 0)
                die("--kv takes f32 or f16");
            i++;
        } else if (strcmp(a, "--tokens") == 0 && v) {
            tokens = v;
            i++;
        } else if (strcmp(a, "--text") == 0 && v) {
            text = v;
            i++;
        } else if (strcmp(a, "--no-bos") == 0) {
            bos = false;
        } else if (strcmp(a, "--threads") == 0 && v) {
            threads = (int)strtol(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--ubatch") == 0 && v) {
            ubatch = (int)strtol(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--generate") == 0 && v) {
            generate = (int)strtol(v, NULL, 10);
            i++;
        } else if (strcmp(a, "--out-tokens") == 0 && v) {
            out_tokens = v;
            i++;
        } else if (strcmp(a, "--out-logits") == 0 && v) {
            out_logits = v;
            i++;
        } else if (a[0] != '-' && !path) {
            path = a;
        } else {
            die("usage: ref-logits MODEL.gguf --kv f32|f16 (--tokens IDS | --text S) [--generate N] "
                "--out-tokens F --out-logits F");
        }
    }
    if (!path || (!tokens && !text) || !out_tokens || !out_logits)
        die("missing arguments (see the header of ref-logits.c)");

    llama_backend_init();
    struct llama_model_params mp = llama_model_default_params();
    mp.n_gpu_layers = 0;
    struct llama_model *model = llama_model_load_from_file(path, mp);
    if (!model)
        die("cannot load the model");
    const struct llama_vocab *vocab = llama_model_get_vocab(model);
    int n_vocab = llama_vocab_n_tokens(vocab);

    enum { CAP = 8192 };
    static llama_token ids[CAP];
    int n;
    if (tokens) {
        n = parse_ids(tokens, ids, CAP);
    } else {
        n = llama_tokenize(vocab, text, (int32_t)strlen(text), ids, CAP, bos, true);
        if (n < 0)
            die("cannot tokenize the text");
    }
    if (n < 1)
        die("no tokens");

    if (generate > 0) {
        struct llama_context *ctx = new_ctx(model, n + generate, f16, threads, 0);
        struct llama_batch b = llama_batch_get_one(ids, n);
        if (llama_decode(ctx, b) != 0)
            die("llama_decode failed");
        for (int g = 0; g < generate && n < CAP; g++) {
            llama_token t = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
            if (llama_vocab_is_eog(vocab, t))
                break;
            ids[n++] = t;
            b = llama_batch_get_one(&ids[n - 1], 1);
            if (llama_decode(ctx, b) != 0)
                die("llama_decode failed");
        }
        llama_free(ctx);
    }

    struct llama_context *ctx = new_ctx(model, n, f16, threads, ubatch);
    struct llama_batch batch = llama_batch_init(n, 0, 1);
    for (int i = 0; i < n; i++) {
        batch.token[i] = ids[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = 1;
    }
    batch.n_tokens = n;
    if (llama_decode(ctx, batch) != 0)
        die("llama_decode failed");

    FILE *ft = fopen(out_tokens, "w");
    FILE *fl = fopen(out_logits, "wb");
    if (!ft || !fl)
        die("cannot write the output files");
    for (int i = 0; i < n; i++)
        fprintf(ft, "%s%d", i ? "," : "", ids[i]);
    fprintf(ft, "\n");
    for (int i = 0; i < n; i++) {
        const float *l = llama_get_logits_ith(ctx, i);
        if (!l || fwrite(l, sizeof(float), (size_t)n_vocab, fl) != (size_t)n_vocab)
            die("cannot read or write the logits");
    }
    if (fclose(ft) != 0 || fclose(fl) != 0)
        die("cannot write the output files");
    llama_batch_free(batch);
    llama_free(ctx);
    llama_model_free(model);
    llama_backend_free();
    return 0;
}
