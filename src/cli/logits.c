/* logits.c — `versus logits MODEL --tokens ID,... [--top K]`: the built-in
 * engine's logits at every position of a token sequence, teacher-forced
 * (each position sees the given tokens before it, never sampled ones), as
 * JSON, so that two engines can be compared position by position:
 *   {"model": PATH, "arch": NAME, "backend": "cpu"|"cuda", "tokens": [ids],
 *    "positions": [{"pos": i, "top": [[id, logit], ...]}, ...]}
 * where positions[i].top lists the K highest-scoring candidates for the
 * token after position i, highest first. The input is ids (--tokens) or text
 * (--text, tokenized as is, or with --chat through the model's chat
 * template). Runs on the CPU backend (the one the agreement tests check), or
 * with --backend cuda on the GPU one token at a time, to compare the two.
 * Not for generation (`versus run`) or speed (`versus bench`). */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "cli/options.h"
#include "cli/print.h"
#include "engine/engine.h"
#include "engine/model.h"
#include "engine/model_ref.h"

#define LOGITS_MAX_TOKENS 65536
#define LOGITS_MAX_TOP 1000
#define LOGITS_CHUNK 16 /* positions whose logits are held at once */

typedef struct LogitsOptions {
    const char *model;
    const char *tokens; /* "1,2,3" */
    const char *text;
    const char *system;
    bool chat;
    int top;
    int threads;
    int batch;
    const char *kv_type; /* NULL = the engine's default */
    EngineBackend backend; /* CPU (batched) or CUDA (one token at a time) */
} LogitsOptions;

static void logits_usage(FILE *out)
{
    fprintf(out,
            "usage: versus logits MODEL.gguf (--tokens ID,ID,... | --text TEXT [--chat [--system S]])\n"
            "                     [--top K] [-t THREADS] [-b BATCH] [--kv-type f16|f32|q8_0]\n"
            "                     [--backend cpu|cuda]\n\n"
            "Prints, as JSON, the built-in engine's top-K next-token candidates and their\n"
            "logits at every position of the input, teacher-forced (on the CPU unless\n"
            "--backend cuda):\n"
            "  {\"tokens\": [...], \"positions\": [{\"pos\": i, \"top\": [[id, logit], ...]}, ...]}\n"
            "for comparing the engine with another one (llama.cpp) position by position.\n"
            "  --tokens IDS    comma-separated token ids, used as they are (no BOS added)\n"
            "  --text TEXT     text tokenized by the model's tokenizer (BOS added when the\n"
            "                  model wants one; special-token text is parsed)\n"
            "  --chat          render TEXT as one user turn of the model's chat template\n"
            "  --system S      the system message for --chat\n"
            "  --top K         candidates per position (default 10)\n"
            "  -t THREADS      threads (default: one per online CPU)\n"
            "  -b BATCH        prefill chunk in tokens (default: the engine's)\n"
            "  --kv-type T     KV cache type: f16 (default), f32 or q8_0\n"
            "  --backend B     cpu (default: batched prefill) or cuda (the GPU backend, one\n"
            "                  token at a time; an error when it cannot run)\n"
            "MODEL is a path or an hf://OWNER/REPO/FILE.gguf reference (cached first).\n");
}

/* 0; 1 for --help; -1 with err; -2 when an unknown option was already reported. */
static int logits_parse(int argc, char **argv, LogitsOptions *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "tokens", required_argument, NULL, 'T' }, { "text", required_argument, NULL, 'X' },
        { "chat", no_argument, NULL, 'C' },         { "system", required_argument, NULL, 'S' },
        { "top", required_argument, NULL, 'k' },    { "help", no_argument, NULL, 'h' },
        { "kv-type", required_argument, NULL, 'K' }, { "backend", required_argument, NULL, 'B' },
        { NULL, 0, NULL, 0 },
    };
    *o = (LogitsOptions){ .top = 10 };
    long v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":t:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'T': o->tokens = optarg; break;
        case 'X': o->text = optarg; break;
        case 'C': o->chat = true; break;
        case 'K':
            if (cli_check_kv_type(optarg, err, errlen) < 0)
                return -1;
            o->kv_type = optarg;
            break;
        case 'B':
            if (strcmp(optarg, "cpu") == 0)
                o->backend = ENGINE_BACKEND_CPU;
            else if (strcmp(optarg, "cuda") == 0)
                o->backend = ENGINE_BACKEND_CUDA;
            else {
                snprintf(err, errlen, "--backend must be cpu or cuda (got '%s')", optarg);
                return -1;
            }
            break;
        case 'S': o->system = optarg; break;
        case 'k':
            if (cli_parse_long(optarg, 1, LOGITS_MAX_TOP, &v, "--top", err, errlen) < 0)
                return -1;
            o->top = (int)v;
            break;
        case 't':
            if (cli_parse_long(optarg, 1, 256, &v, "-t (threads)", err, errlen) < 0)
                return -1;
            o->threads = (int)v;
            break;
        case 'b':
            if (cli_parse_long(optarg, 1, LOGITS_MAX_TOKENS, &v, "-b (batch)", err, errlen) < 0)
                return -1;
            o->batch = (int)v;
            break;
        case 'h': return 1;
        default: /* reported on stderr, with did-you-mean, as every command does */
            cli_option_error("logits", c, argv, longopts);
            return -2;
        }
    }
    if (!(o->model = cli_one_model(argc, argv, err, errlen)))
        return -1;
    if (!o->tokens == !o->text) {
        snprintf(err, errlen, "give the input as either --tokens or --text");
        return -1;
    }
    if ((o->chat || o->system) && !o->text) {
        snprintf(err, errlen, "--chat and --system apply to --text");
        return -1;
    }
    return 0;
}

/* "1, 2,3" to ids; -1 with err on anything but whole numbers and commas. */
static int parse_ids(const char *s, int **ids, size_t *n, char *err, size_t errlen)
{
    size_t cap = 16;
    *n = 0;
    *ids = malloc(cap * sizeof **ids);
    if (!*ids) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (const char *p = s;;) {
        while (*p == ' ')
            p++;
        char *end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > 0x7fffffff) {
            snprintf(err, errlen, "--tokens must be comma-separated token ids (stopped at '%.20s')", p);
            return -1;
        }
        if (*n == LOGITS_MAX_TOKENS) {
            snprintf(err, errlen, "--tokens: more than %d ids", LOGITS_MAX_TOKENS);
            return -1;
        }
        if (*n == cap) {
            int *g = realloc(*ids, 2 * cap * sizeof **ids);
            if (!g) {
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            *ids = g;
            cap *= 2;
        }
        (*ids)[(*n)++] = (int)v;
        for (p = end; *p == ' '; p++)
            ;
        if (*p == '\0')
            return 0;
        if (*p != ',') {
            snprintf(err, errlen, "--tokens must be comma-separated token ids (stopped at '%.20s')", p);
            return -1;
        }
        p++;
    }
}

/* Indices of the k largest logits, highest first (ties: the lower id first). */
static void top_k(const float *x, int n, int k, int *out)
{
    int have = 0;
    for (int i = 0; i < n; i++) {
        if (have == k && !(x[i] > x[out[k - 1]]))
            continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && x[i] > x[out[j - 1]]) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = i;
    }
}

static void put_json_string(Buf *b, const char *s)
{
    buf_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            buf_printf(b, "\\%c", *p);
        else if (*p < 0x20)
            buf_printf(b, "\\u%04x", *p);
        else
            buf_append(b, p, 1);
    }
    buf_puts(b, "\"");
}

/* Forwards ids in chunks of LOGITS_CHUNK positions (on CUDA one token at a
 * time) and keeps each position's k best ids (best, (n, k)) and logits (val,
 * (n, k)). */
static int score_positions(Engine *e, const int *ids, size_t n, int k, int *best, float *val, char *err,
                           size_t errlen)
{
    Model *m = engine_model(e);
    bool cuda = strcmp(engine_backend(e), "cuda") == 0;
    const ModelConfig *c = model_config(m);
    float *all = malloc((size_t)LOGITS_CHUNK * c->n_vocab * sizeof *all);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t done = 0; done < n; done += LOGITS_CHUNK) {
        int T = n - done < LOGITS_CHUNK ? (int)(n - done) : LOGITS_CHUNK;
        if ((cuda ? engine_logits_stepwise(e, ids + done, (size_t)T, (int)done, all, err, errlen)
                  : model_forward_all(m, ids + done, T, (int)done, all, err, errlen)) < 0) {
            free(all);
            return -1;
        }
        for (int t = 0; t < T; t++) {
            const float *row = all + (size_t)t * c->n_vocab;
            int *b = best + (done + t) * k;
            top_k(row, c->n_vocab, k, b);
            for (int j = 0; j < k; j++)
                val[(done + t) * k + j] = row[b[j]];
        }
    }
    free(all);
    return 0;
}

/* The result as JSON on stdout, through the printer every command uses
 * (keys masked; C1 and bidi characters from the file escaped). */
static int print_result(const char *path, const char *arch, const char *backend, const int *ids, size_t n, int k,
                        const int *best, const float *val)
{
    Buf b = { 0 };
    buf_puts(&b, "{\n  \"model\": ");
    put_json_string(&b, path);
    buf_puts(&b, ",\n  \"arch\": ");
    put_json_string(&b, arch);
    buf_puts(&b, ",\n  \"backend\": ");
    put_json_string(&b, backend);
    buf_puts(&b, ",\n  \"tokens\": [");
    for (size_t i = 0; i < n; i++)
        buf_printf(&b, "%s%d", i ? ", " : "", ids[i]);
    buf_puts(&b, "],\n  \"positions\": [");
    for (size_t i = 0; i < n; i++) {
        buf_printf(&b, "%s\n    {\"pos\": %zu, \"top\": [", i ? "," : "", i);
        for (int j = 0; j < k; j++)
            buf_printf(&b, "%s[%d, %.9g]", j ? ", " : "", best[i * k + j], (double)val[i * k + j]);
        buf_puts(&b, "]}");
    }
    int rc = buf_puts(&b, "\n  ]\n}");
    if (rc == 0)
        rc = cli_write_json_line(stdout, buf_str(&b));
    buf_free(&b);
    return rc;
}

int cli_logits(int argc, char **argv)
{
    LogitsOptions o;
    char err[1024];
    int prc = logits_parse(argc, argv, &o, err, sizeof err);
    if (prc > 0) {
        logits_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (prc == -2)
        return CLI_EXIT_USAGE;
    if (prc < 0) {
        cli_printf(stderr, "versus logits: %s\n", err);
        logits_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    char path[4096];
    if (model_ref_resolve(o.model, path, sizeof path, err, sizeof err) < 0) {
        cli_printf(stderr, "versus logits: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    int *ids = NULL;
    size_t n = 0;
    if (o.tokens && parse_ids(o.tokens, &ids, &n, err, sizeof err) < 0) {
        free(ids);
        cli_printf(stderr, "versus logits: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    EngineOptions eo = { .n_threads = o.threads, .batch = o.batch, .backend = o.backend, .kv_type = o.kv_type };
    Engine *e = engine_load(path, &eo, err, sizeof err);
    if (!e) {
        free(ids);
        cli_printf(stderr, "versus logits: %s\n", err);
        return CLI_EXIT_MODEL_FAILED;
    }
    if (o.text && engine_build_prompt(e, o.system, o.text, !o.chat, &ids, &n, err, sizeof err) < 0) {
        engine_free(e);
        cli_printf(stderr, "versus logits: %s\n", err);
        return CLI_EXIT_MODEL_FAILED;
    }
    Model *m = engine_model(e);
    const ModelConfig *c = model_config(m);
    int rc = CLI_EXIT_OK, k = o.top < c->n_vocab ? o.top : c->n_vocab;
    int *best = NULL;
    float *val = NULL;
    size_t bad = 0;
    while (bad < n && ids[bad] < c->n_vocab)
        bad++;
    if (bad < n) {
        cli_printf(stderr, "versus logits: token id %d (at index %zu) is outside the vocabulary (%d ids)\n", ids[bad],
                bad, c->n_vocab);
        rc = CLI_EXIT_USAGE;
    } else if (n > (size_t)c->n_ctx) {
        cli_printf(stderr, "versus logits: %zu tokens do not fit in the %d-token context\n", n, c->n_ctx);
        rc = CLI_EXIT_USAGE;
    } else if (!(best = malloc(n * k * sizeof *best)) || !(val = malloc(n * k * sizeof *val))) {
        cli_printf(stderr, "versus logits: out of memory\n");
        rc = CLI_EXIT_MODEL_FAILED;
    } else if (score_positions(e, ids, n, k, best, val, err, sizeof err) < 0) {
        cli_printf(stderr, "versus logits: %s\n", err);
        rc = CLI_EXIT_MODEL_FAILED;
    } else {
        if (print_result(path, c->arch_name, engine_backend(e), ids, n, k, best, val) < 0)
            rc = CLI_EXIT_MODEL_FAILED;
    }
    free(best);
    free(val);
    free(ids);
    engine_free(e);
    return rc;
}
