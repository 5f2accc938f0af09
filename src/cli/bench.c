/* bench.c — `versus bench MODEL.gguf`: the built-in engine's speed on this
 * machine, in llama-bench's terms. Loads the model, times prompt processing
 * (one batched forward of p tokens) separately from token generation (n
 * one-token forwards), both starting at position d (-d: the cache first holds
 * d tokens, untimed, like llama-bench's "@ dN"), repeats both r times, and
 * reports median [min, max] tokens/s.
 * Then sets decode against the machine's measured memory read bandwidth
 * (membw.h) and resident memory against the mapping + KV cache + 64 MiB.
 * --backend cuda runs the same tests through backend_cuda.h (no bandwidth
 * ratio then: membw measures host memory, not the GPU's).
 * Not for correctness (tests/ and ../shared/oracle do that) nor for sampling
 * or tokenizing: token ids are fixed pseudo-random ids, which cost the same. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "cli/options.h"
#include "util/clock.h"
#include "engine/backend_cuda.h"
#include "engine/gguf.h"
#include "engine/kvcache.h"
#include "engine/membw.h"
#include "engine/model_ref.h"
#include "engine/model.h"
#include "engine/threadpool.h"
#include "util/stats.h"

#define BENCH_MEM_SLACK ((uint64_t)64 << 20) /* the allowance over mapping + KV */
#define BENCH_BW_TARGET 0.90                  /* the decode target, fraction of the bound */
#define BENCH_MAX_TOKENS 65536
#define BENCH_BW_PASSES 3                     /* membw passes after each repetition */
#define BENCH_CUDA_NA "cuda backend: not available (no GPU / not built)"

typedef enum BenchFormat { BENCH_TEXT, BENCH_JSON } BenchFormat;

typedef struct BenchOptions {
    const char *path;
    int n_prompt;     /* tokens of the pp test; 0 = skip it */
    int n_gen;        /* tokens of the tg test; 0 = skip it */
    int depth;        /* tokens already in the cache when each test starts */
    int threads;      /* including the caller */
    int reps;
    int batch;        /* prefill chunk, tokens; 0 = the model's default */
    const char *backend_asked; /* "cpu" | "cuda" | "auto" */
    BenchFormat format;
    bool membw;       /* measure the memory bandwidth bound */
    int kv_type;      /* KvType of the CPU KV cache */
} BenchOptions;

/* Median and range of a set of samples. */
typedef struct Stats {
    double median, min, max;
} Stats;

/* One test (pp or tg): per-repetition wall times and the derived rates. */
typedef struct BenchTest {
    char name[24];    /* "pp512", "tg128" */
    int n_tokens;
    double *ms;       /* (reps) wall time of each repetition */
    double *tps;      /* (reps) tokens/s of each repetition */
    Stats rate;       /* over tps, tokens/s */
    double cpu_ms, wall_ms; /* process CPU time and wall time over all repetitions */
} BenchTest;

typedef struct BenchMem {
    uint64_t rss, hwm;   /* VmRSS, VmHWM, bytes (0 = unknown) */
    uint64_t file, kv;   /* mapped file, KV cache, bytes */
    uint64_t limit;      /* file + kv + 64 MiB */
} BenchMem;

static void bench_usage(FILE *out)
{
    fprintf(out,
            "usage: versus bench MODEL.gguf [-p N] [-n N] [-d N] [-t THREADS] [-r REPS] [-b BATCH]\n"
            "                    [--kv-type f16|f32|q8_0]\n"
            "                    [--backend cpu|cuda|auto] [--format text|json] [--no-membw]\n\n"
            "Measures the built-in engine on this machine: load time, prompt processing\n"
            "(ppN: one batched forward of N tokens) and token generation (tgN: N\n"
            "one-token forwards), each from the same cache depth (-d, like llama-bench);\n"
            "reports median [min, max] tokens/s. Then compares decode with this machine's\n"
            "memory read bandwidth (weights read per token x tg t/s) and resident memory\n"
            "with the mapped file + KV cache + 64 MiB. MODEL is found as for local:MODEL\n"
            "(a bare name is also looked for in the model cache).\n"
            "  -p N            prompt tokens (default 512; 0 skips pp)\n"
            "  -n N            generated tokens (default 128; 0 skips tg)\n"
            "  -d N            tokens in the cache before each test (default 0; filled once, untimed)\n"
            "  -t THREADS      threads (default: one per online CPU)\n"
            "  -r REPS         repetitions (default 5)\n"
            "  -b BATCH        prefill chunk in tokens (default: the engine's, 64)\n"
            "  --backend B     cpu, cuda or auto (default auto: cuda when available)\n"
            "  --format F      text (a table, default) or json\n"
            "  --no-membw      skip the memory bandwidth measurement\n"
            "  --kv-type T     CPU KV cache: f16 (default), f32 or q8_0\n");
}

/* 0; 1 for --help; -1 with err; -2 when an unknown option was already reported. */
static int bench_parse(int argc, char **argv, BenchOptions *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {
        { "backend", required_argument, NULL, 'B' }, { "format", required_argument, NULL, 'F' },
        { "no-membw", no_argument, NULL, 'M' },      { "help", no_argument, NULL, 'h' },
        { "kv-type", required_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    *o = (BenchOptions){ .n_prompt = 512, .n_gen = 128, .threads = ncpu > 0 ? (int)ncpu : 1,
                         .reps = 5, .backend_asked = "auto", .format = BENCH_TEXT, .membw = true,
                         .kv_type = KV_TYPE_DEFAULT };
    long v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":p:n:d:t:r:b:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (cli_parse_long(optarg, 0, BENCH_MAX_TOKENS, &v, "-p (prompt tokens)", err, errlen) < 0)
                return -1;
            o->n_prompt = (int)v;
            break;
        case 'n':
            if (cli_parse_long(optarg, 0, BENCH_MAX_TOKENS, &v, "-n (generated tokens)", err, errlen) < 0)
                return -1;
            o->n_gen = (int)v;
            break;
        case 'd':
            if (cli_parse_long(optarg, 0, BENCH_MAX_TOKENS, &v, "-d (depth)", err, errlen) < 0)
                return -1;
            o->depth = (int)v;
            break;
        case 't':
            if (cli_parse_long(optarg, 1, 256, &v, "-t (threads)", err, errlen) < 0)
                return -1;
            o->threads = (int)v;
            break;
        case 'r':
            if (cli_parse_long(optarg, 1, 1000, &v, "-r (repetitions)", err, errlen) < 0)
                return -1;
            o->reps = (int)v;
            break;
        case 'b':
            if (cli_parse_long(optarg, 1, BENCH_MAX_TOKENS, &v, "-b (batch)", err, errlen) < 0)
                return -1;
            o->batch = (int)v;
            break;
        case 'B':
            if (strcmp(optarg, "cpu") && strcmp(optarg, "cuda") && strcmp(optarg, "auto")) {
                snprintf(err, errlen, "--backend must be cpu, cuda or auto (got '%s')", optarg);
                return -1;
            }
            o->backend_asked = optarg;
            break;
        case 'F':
            if (strcmp(optarg, "text") == 0)
                o->format = BENCH_TEXT;
            else if (strcmp(optarg, "json") == 0)
                o->format = BENCH_JSON;
            else {
                snprintf(err, errlen, "--format must be text or json (got '%s')", optarg);
                return -1;
            }
            break;
        case 'M': o->membw = false; break;
        case 'K': {
            KvType kt;
            if (kv_type_parse(optarg, &kt) < 0) {
                snprintf(err, errlen, "--kv-type must be f32, f16 or q8_0 (got '%s')", optarg);
                return -1;
            }
            o->kv_type = (int)kt;
            break;
        }
        case 'h': return 1;
        default: /* reported on stderr, with did-you-mean, as every command does */
            cli_option_error("bench", c, argv, longopts);
            return -2;
        }
    }
    if (!(o->path = cli_one_model(argc, argv, err, errlen)))
        return -1;
    if (o->n_prompt == 0 && o->n_gen == 0) {
        snprintf(err, errlen, "-p and -n are both 0: nothing to measure");
        return -1;
    }
    return 0;
}

/* ---- measurements --------------------------------------------------------- */

/* Median, min and max of v (n >= 1); v is left as it was. */
static Stats stats_of(const double *v, int n)
{
    Stats st = { 0 };
    double *c = malloc((size_t)n * sizeof *c);
    if (!c || n < 1) {
        free(c);
        return st;
    }
    memcpy(c, v, (size_t)n * sizeof *c);
    st.median = stats_median(c, (size_t)n); /* sorts c */
    st.min = c[0];
    st.max = c[n - 1];
    free(c);
    return st;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* CPU time of the whole process (all threads), ms. */
static double process_cpu_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* BOS (when the model names a valid one) then fixed pseudo-random valid ids. */
static void bench_tokens(const GgufFile *g, int n_vocab, int *ids, int n)
{
    uint64_t seed = 0x76657273757362ull; /* "versusb" */
    for (int i = 0; i < n; i++)
        ids[i] = (int)(splitmix64(&seed) % (uint64_t)n_vocab);
    int64_t bos = gguf_get_int(g, "tokenizer.ggml.bos_token_id", -1);
    if (n > 0 && bos >= 0 && bos < n_vocab)
        ids[0] = (int)bos;
}

/* Reads "Key:   N kB" from /proc/self/status, in bytes; 0 when absent. */
static uint64_t proc_status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return 0;
    char line[256];
    size_t kl = strlen(key);
    uint64_t v = 0;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
            char *end;
            unsigned long long kb = strtoull(line + kl + 1, &end, 10);
            v = (uint64_t)kb * 1024;
            break;
        }
    }
    fclose(f);
    return v;
}

/* The three load averages from /proc/loadavg, or "n/a". */
static void loadavg_read(char *out, size_t outlen)
{
    snprintf(out, outlen, "n/a");
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f)
        return;
    double a, b, c;
    if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(out, outlen, "%.2f %.2f %.2f", a, b, c);
    fclose(f);
}

/* general.name when it is printable, else the file's base name; '|' and
 * control bytes become '_' so the table stays a table. */
static void model_label(const GgufFile *g, const char *path, char *out, size_t outlen)
{
    GgufString s = gguf_get_string(g, "general.name");
    const char *src = s.ptr;
    size_t len = s.len;
    if (!src || len == 0) {
        const char *slash = strrchr(path, '/');
        src = slash ? slash + 1 : path;
        len = strlen(src);
    }
    if (len > 40)
        len = 40;
    if (len >= outlen)
        len = outlen - 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)src[i];
        out[i] = (ch < 0x20 || ch == 0x7f || ch == '|') ? '_' : (char)ch;
    }
    out[len] = '\0';
}

static uint64_t count_params(const GgufFile *g)
{
    uint64_t n = 0;
    for (int64_t i = 0; i < gguf_tensor_count(g); i++) {
        const GgufTensor *t = gguf_tensor(g, i);
        uint64_t e = 1;
        for (uint32_t d = 0; d < t->n_dims; d++)
            e *= t->ne[d];
        n += e;
    }
    return n;
}

static void fmt_bytes(char *out, size_t outlen, uint64_t b)
{
    if (b >= (1ull << 30))
        snprintf(out, outlen, "%.2f GiB", (double)b / (1ull << 30));
    else
        snprintf(out, outlen, "%.2f MiB", (double)b / (1ull << 20));
}

static void fmt_params(char *out, size_t outlen, uint64_t n)
{
    if (n >= 1000000000ull)
        snprintf(out, outlen, "%.2f B", (double)n / 1e9);
    else if (n >= 1000000ull)
        snprintf(out, outlen, "%.2f M", (double)n / 1e6);
    else
        snprintf(out, outlen, "%.2f K", (double)n / 1e3);
}

/* ---- output ------------------------------------------------------------------ */

typedef struct BenchReport {
    const BenchOptions *o;
    char label[48];
    uint64_t file_bytes, params, weight_bytes;
    const char *type;
    const char *backend;   /* the one that ran */
    int threads;
    int n_ctx;
    double load_ms, warmup_ms;
    bool repacked;         /* the CPU weights were repacked while loading */
    BenchTest tests[2];
    int n_tests;
    const BenchTest *tg;   /* NULL when -n 0 */
    BenchMem mem;
    /* Bandwidth, measured after each repetition so that decode and the bound
     * see the same machine load; ratio[i] = weights x tg rate[i] / bw[i]. */
    bool have_bw;
    double *bw_gbs;        /* (reps) median GB/s of the passes after each repetition */
    double *ratio;         /* (reps) decode traffic / bandwidth */
    Stats bw, ratio_st;
    MembwResult bw_info;   /* the last measurement: buffer, threads, passes */
    char bw_err[256];
    size_t llc;            /* last-level cache, bytes (0 = unknown) */
    CudaModelInfo cuda;    /* filled when backend is "cuda" */
    char load_start[32], load_end[32];
} BenchReport;

/* True when a token's weights are not much larger than the last-level cache. */
static bool bench_fits_cache(const BenchReport *r)
{
    return r->llc && r->weight_bytes < 4 * (uint64_t)r->llc;
}

/* Threads kept busy during a test, on average (CPU time includes spinning). */
static double bench_busy(const BenchTest *t)
{
    return t->wall_ms > 0 ? t->cpu_ms / t->wall_ms : 0.0;
}

/* True when some test got much less CPU than the threads it asked for. */
static bool bench_starved(const BenchReport *r)
{
    if (strcmp(r->backend, "cpu") != 0)
        return false;
    for (int i = 0; i < r->n_tests; i++)
        if (bench_busy(&r->tests[i]) < 0.85 * r->threads)
            return true;
    return false;
}

static double achieved_gbs(const BenchReport *r)
{
    return r->tg ? (double)r->weight_bytes * r->tg->rate.median / 1e9 : 0.0;
}

static void print_text(const BenchReport *r)
{
    char size[32], params[32], buf[64];
    fmt_bytes(size, sizeof size, r->file_bytes);
    fmt_params(params, sizeof params, r->params);
    cli_printf(stdout, "model: %s\n", r->o->path);
    printf("load: %.1f ms (map + validate + %s KV cache for %d tokens%s); warm-up forward of 1 token: %.1f ms\n",
           r->load_ms, kv_type_name((KvType)r->o->kv_type), r->n_ctx,
           r->repacked ? " + repack for the SIMD kernels" : "", r->warmup_ms);
    if (strcmp(r->backend, "cuda") == 0)
        printf("device: %s (%d/%d layers on the GPU, %s decode, %.0f MiB on the device)\n",
               r->cuda.device_name, r->cuda.gpu_layers, r->cuda.n_layers,
               r->cuda.graph ? "graph" : "stream", (double)r->cuda.device_bytes / 1048576.0);
    printf("repetitions: %d; t/s = median [min, max]; each test starts with %d tokens in the cache\n\n",
           r->o->reps, r->o->depth);
    printf("| model | size | params | type | backend | threads | test | t/s |\n");
    printf("| --- | ---: | ---: | --- | --- | ---: | --- | ---: |\n");
    for (int i = 0; i < r->n_tests; i++) {
        const BenchTest *t = &r->tests[i];
        snprintf(buf, sizeof buf, "%.2f [%.2f, %.2f]", t->rate.median, t->rate.min, t->rate.max);
        cli_printf(stdout, "| %s | %s | %s | %s | %s | %d | %s | %s |\n", r->label, size, params, r->type,
               r->backend, r->threads, t->name, buf);
    }
    printf("\n");
    printf("busy threads (process CPU time / wall time):");
    for (int i = 0; i < r->n_tests; i++)
        printf(" %s %.2f%s", r->tests[i].name, bench_busy(&r->tests[i]), i + 1 < r->n_tests ? "," : "");
    printf(" of %d%s\n", r->threads,
           bench_starved(r) ? "\nwarning: fewer busy threads than asked for: the threads were waiting (other\n"
                              "         load on the CPUs?), so these figures are likely low and noisy" : "");
    double wb = (double)r->weight_bytes / 1e9;
    if (r->tg) {
        double ach = achieved_gbs(r);
        printf("decode traffic: %.3f GB of weights per token x %.2f t/s = %.2f GB/s\n", wb,
               r->tg->rate.median, ach);
        if (r->have_bw)
            printf("memory bandwidth: %.2f GB/s [%.2f, %.2f] (after each repetition: %d thread(s) reading %.0f MiB,\n"
                   "                  median of %d passes; LLC %.0f MiB)\n"
                   "decode vs bound: %.1f%% [%.1f%%, %.1f%%] of measured bandwidth, per repetition (target %.0f%%);\n"
                   "                 bound at the median bandwidth = %.2f t/s\n",
                   r->bw.median, r->bw.min, r->bw.max, r->bw_info.threads,
                   (double)r->bw_info.buffer_bytes / 1048576.0, r->bw_info.reps,
                   (double)r->bw_info.llc_bytes / 1048576.0, 100.0 * r->ratio_st.median,
                   100.0 * r->ratio_st.min, 100.0 * r->ratio_st.max, 100.0 * BENCH_BW_TARGET,
                   r->bw.median / wb);
        else if (r->bw_err[0])
            printf("memory bandwidth: not measured (%s)\n", r->bw_err);
        else if (strcmp(r->backend, "cuda") == 0)
            printf("memory bandwidth: not compared (the weights are read from device memory; membw\n"
                   "                  measures this host's memory)\n");
        else
            printf("memory bandwidth: not measured (--no-membw)\n");
        if (bench_fits_cache(r) && strcmp(r->backend, "cpu") == 0)
            printf("note: %.1f MiB of weights per token against a %.0f MiB last-level cache: they stay\n"
                   "      (partly) cached, so the DRAM bound does not apply to this model\n",
                   (double)r->weight_bytes / 1048576.0, (double)r->llc / 1048576.0);
    }
    char rss[32], hwm[32], lim[32], fb[32], kv[32];
    fmt_bytes(rss, sizeof rss, r->mem.rss);
    fmt_bytes(hwm, sizeof hwm, r->mem.hwm);
    fmt_bytes(lim, sizeof lim, r->mem.limit);
    fmt_bytes(fb, sizeof fb, r->mem.file);
    fmt_bytes(kv, sizeof kv, r->mem.kv);
    if (r->mem.hwm)
        printf("memory: VmRSS %s, VmHWM %s; limit %s = file %s + KV %s + 64 MiB: %s\n", rss, hwm, lim,
               fb, kv, r->mem.hwm <= r->mem.limit ? "within" : "OVER");
    else
        printf("memory: VmRSS/VmHWM not available (no /proc/self/status)\n");
    printf("load average: %s (start), %s (end)\n", r->load_start, r->load_end);
}

static void print_json(const BenchReport *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", r->label);
    cJSON_AddStringToObject(root, "path", r->o->path);
    cJSON_AddNumberToObject(root, "size_bytes", (double)r->file_bytes);
    cJSON_AddNumberToObject(root, "params", (double)r->params);
    cJSON_AddStringToObject(root, "type", r->type);
    cJSON_AddStringToObject(root, "backend", r->backend);
    cJSON_AddNumberToObject(root, "threads", r->threads);
    if (strcmp(r->backend, "cuda") == 0) {
        cJSON *cu = cJSON_AddObjectToObject(root, "cuda");
        cJSON_AddStringToObject(cu, "device", r->cuda.device_name);
        cJSON_AddNumberToObject(cu, "gpu_layers", r->cuda.gpu_layers);
        cJSON_AddNumberToObject(cu, "n_layers", r->cuda.n_layers);
        cJSON_AddBoolToObject(cu, "graph", r->cuda.graph);
        cJSON_AddNumberToObject(cu, "device_bytes", (double)r->cuda.device_bytes);
    }
    cJSON_AddNumberToObject(root, "n_prompt", r->o->n_prompt);
    cJSON_AddNumberToObject(root, "n_gen", r->o->n_gen);
    cJSON_AddNumberToObject(root, "n_depth", r->o->depth);
    cJSON_AddStringToObject(root, "kv_type", kv_type_name((KvType)r->o->kv_type));
    cJSON_AddNumberToObject(root, "reps", r->o->reps);
    cJSON_AddNumberToObject(root, "n_ctx", r->n_ctx);
    cJSON_AddNumberToObject(root, "load_ms", r->load_ms);
    cJSON_AddBoolToObject(root, "repacked", r->repacked);
    cJSON_AddNumberToObject(root, "warmup_ms", r->warmup_ms);
    cJSON *tests = cJSON_AddArrayToObject(root, "tests");
    for (int i = 0; i < r->n_tests; i++) {
        const BenchTest *t = &r->tests[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "test", t->name);
        cJSON_AddNumberToObject(o, "n_tokens", t->n_tokens);
        cJSON_AddNumberToObject(o, "tps_median", t->rate.median);
        cJSON_AddNumberToObject(o, "tps_min", t->rate.min);
        cJSON_AddNumberToObject(o, "tps_max", t->rate.max);
        cJSON_AddNumberToObject(o, "busy_threads", bench_busy(t));
        cJSON *ms = cJSON_AddArrayToObject(o, "ms");
        for (int k = 0; k < r->o->reps; k++)
            cJSON_AddItemToArray(ms, cJSON_CreateNumber(t->ms[k]));
        cJSON_AddItemToArray(tests, o);
    }
    cJSON *bw = cJSON_AddObjectToObject(root, "bandwidth");
    cJSON_AddNumberToObject(bw, "weight_bytes_per_token", (double)r->weight_bytes);
    if (r->tg)
        cJSON_AddNumberToObject(bw, "achieved_gbs", achieved_gbs(r));
    if (r->have_bw) {
        cJSON_AddNumberToObject(bw, "measured_gbs", r->bw.median);
        cJSON_AddNumberToObject(bw, "measured_min_gbs", r->bw.min);
        cJSON_AddNumberToObject(bw, "measured_max_gbs", r->bw.max);
        cJSON_AddNumberToObject(bw, "ratio_median", r->ratio_st.median);
        cJSON_AddNumberToObject(bw, "ratio_min", r->ratio_st.min);
        cJSON_AddNumberToObject(bw, "ratio_max", r->ratio_st.max);
        cJSON *per = cJSON_AddArrayToObject(bw, "per_rep");
        for (int k = 0; k < r->o->reps; k++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "tg_tps", r->tg->tps[k]);
            cJSON_AddNumberToObject(e, "measured_gbs", r->bw_gbs[k]);
            cJSON_AddNumberToObject(e, "ratio", r->ratio[k]);
            cJSON_AddItemToArray(per, e);
        }
        cJSON_AddNumberToObject(bw, "buffer_bytes", (double)r->bw_info.buffer_bytes);
        cJSON_AddNumberToObject(bw, "bw_threads", r->bw_info.threads);
        cJSON_AddNumberToObject(bw, "bw_passes", r->bw_info.reps);
    } else if (r->bw_err[0]) {
        cJSON_AddStringToObject(bw, "error", r->bw_err);
    }
    cJSON_AddNumberToObject(bw, "target_ratio", BENCH_BW_TARGET);
    cJSON_AddNumberToObject(bw, "llc_bytes", (double)r->llc);
    cJSON_AddBoolToObject(bw, "weights_fit_cache", bench_fits_cache(r));
    cJSON *mem = cJSON_AddObjectToObject(root, "memory");
    cJSON_AddNumberToObject(mem, "vmrss_bytes", (double)r->mem.rss);
    cJSON_AddNumberToObject(mem, "vmhwm_bytes", (double)r->mem.hwm);
    cJSON_AddNumberToObject(mem, "file_bytes", (double)r->mem.file);
    cJSON_AddNumberToObject(mem, "kv_bytes", (double)r->mem.kv);
    cJSON_AddNumberToObject(mem, "limit_bytes", (double)r->mem.limit);
    if (r->mem.hwm)
        cJSON_AddBoolToObject(mem, "within", r->mem.hwm <= r->mem.limit);
    cJSON_AddBoolToObject(root, "starved", bench_starved(r));
    cJSON_AddStringToObject(root, "loadavg_start", r->load_start);
    cJSON_AddStringToObject(root, "loadavg_end", r->load_end);
    char *s = cJSON_Print(root);
    if (s)
        printf("%s\n", s);
    free(s);
    cJSON_Delete(root);
}

/* ---- the run ------------------------------------------------------------------ */

/* The forward pass being timed: the CPU model, or the CUDA one when cm is set. */
typedef struct BenchEngine {
    Model *m;        /* always loaded: config, weights accounting, CPU forward */
    CudaModel *cm;   /* NULL = cpu backend */
    float *logits;   /* (n_vocab) host copy of the last logits for cuda, as a sampler needs */
} BenchEngine;

static int bench_forward(BenchEngine *e, const int *tokens, int n, int pos, char *err, size_t errlen)
{
    if (e->cm)
        return cuda_model_forward(e->cm, tokens, n, pos, e->logits, err, errlen);
    return model_forward(e->m, tokens, n, pos, err, errlen);
}

/* Chooses the backend for --backend asked and, for cuda, uploads the model:
 * returns "cpu" or "cuda", or NULL with err when cuda was asked for and cannot
 * run. For auto, a CUDA backend that cannot run leaves a note and cpu. */
static const char *bench_backend(const char *asked, const GgufFile *g, BenchEngine *e, int batch,
                                 char *note, size_t notelen, char *err, size_t errlen)
{
    note[0] = '\0';
    if (strcmp(asked, "cpu") == 0)
        return "cpu";
    const ModelConfig *c = model_config(e->m);
    CudaOptions co = { .gpu_layers = c->n_layers, .batch = batch };
    CudaPlan plan;
    char why[512] = "";
    bool ok = cuda_model_plan(g, e->m, &co, &plan, why, sizeof why) == 0 &&
              cuda_backend_available(&plan, why, sizeof why);
    if (ok) {
        e->logits = malloc((size_t)c->n_vocab * sizeof *e->logits);
        if (!e->logits)
            snprintf(why, sizeof why, "out of memory");
        else
            e->cm = cuda_model_new(g, e->m, &co, why, sizeof why);
        ok = e->cm != NULL;
    }
    if (ok)
        return "cuda";
    if (strcmp(asked, "cuda") == 0) {
        snprintf(err, errlen, "%s: %s", BENCH_CUDA_NA, why);
        return NULL;
    }
    snprintf(note, notelen, "%s: %s; using cpu", BENCH_CUDA_NA, why);
    return "cpu";
}

/* Times every test, reps times; after the first repetition notes resident
 * memory (before any bandwidth buffer exists), and after each one measures the
 * memory bandwidth when asked. Returns 0 or -1 with err from the model. */
static int bench_measure(BenchEngine *e, const BenchOptions *o, const int *ids, BenchReport *r,
                         char *err, size_t errlen)
{
    BenchTest *pp = NULL, *tg = NULL;
    char at[16] = "";
    if (o->depth > 0)
        snprintf(at, sizeof at, " @ d%d", o->depth);
    if (o->n_prompt > 0) {
        pp = &r->tests[r->n_tests++];
        snprintf(pp->name, sizeof pp->name, "pp%d%s", o->n_prompt, at);
        pp->n_tokens = o->n_prompt;
    }
    if (o->n_gen > 0) {
        tg = &r->tests[r->n_tests++];
        snprintf(tg->name, sizeof tg->name, "tg%d%s", o->n_gen, at);
        tg->n_tokens = o->n_gen;
    }
    r->tg = tg;
    bool bw = o->membw && tg && !e->cm; /* membw reads host memory: no bound for a GPU */
    for (int i = 0; i < r->n_tests; i++) {
        r->tests[i].ms = calloc((size_t)o->reps, sizeof(double));
        r->tests[i].tps = calloc((size_t)o->reps, sizeof(double));
    }
    if (bw) {
        r->bw_gbs = calloc((size_t)o->reps, sizeof(double));
        r->ratio = calloc((size_t)o->reps, sizeof(double));
    }
    for (int i = 0; i < r->n_tests; i++)
        if (!r->tests[i].ms || !r->tests[i].tps || (bw && (!r->bw_gbs || !r->ratio))) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    /* The first `depth` positions are filled once; every test then writes at
     * depth.. (overwriting what the previous one left there). */
    if (o->depth > 0 && bench_forward(e, ids, o->depth, 0, err, errlen) < 0)
        return -1;
    const int *tids = ids + o->depth;
    for (int rep = 0; rep < o->reps; rep++) {
        if (pp) {
            double c0 = process_cpu_ms(), t0 = clock_now_ms();
            if (bench_forward(e, tids, o->n_prompt, o->depth, err, errlen) < 0)
                return -1;
            pp->ms[rep] = clock_now_ms() - t0;
            pp->cpu_ms += process_cpu_ms() - c0;
            pp->wall_ms += pp->ms[rep];
        }
        if (tg) {
            double c0 = process_cpu_ms(), t0 = clock_now_ms();
            for (int i = 0; i < o->n_gen; i++)
                if (bench_forward(e, &tids[i], 1, o->depth + i, err, errlen) < 0)
                    return -1;
            tg->ms[rep] = clock_now_ms() - t0;
            tg->cpu_ms += process_cpu_ms() - c0;
            tg->wall_ms += tg->ms[rep];
        }
        if (rep == 0) {
            r->mem = (BenchMem){ .rss = proc_status_kb("VmRSS"), .hwm = proc_status_kb("VmHWM"),
                                 .file = r->file_bytes, .kv = model_kv_bytes(e->m) };
            r->mem.limit = r->mem.file + r->mem.kv + BENCH_MEM_SLACK;
        }
        if (bw && !r->bw_err[0]) {
            if (membw_measure(o->threads, 0, BENCH_BW_PASSES, &r->bw_info, r->bw_err, sizeof r->bw_err) == 0)
                r->bw_gbs[rep] = r->bw_info.median_gbs;
        }
    }
    for (int i = 0; i < r->n_tests; i++) {
        BenchTest *t = &r->tests[i];
        for (int k = 0; k < o->reps; k++)
            t->tps[k] = t->ms[k] > 0 ? t->n_tokens * 1000.0 / t->ms[k] : 0.0;
        t->rate = stats_of(t->tps, o->reps);
    }
    if (bw && !r->bw_err[0]) {
        for (int k = 0; k < o->reps; k++)
            r->ratio[k] = r->bw_gbs[k] > 0 ? (double)r->weight_bytes * tg->tps[k] / 1e9 / r->bw_gbs[k] : 0.0;
        r->bw = stats_of(r->bw_gbs, o->reps);
        r->ratio_st = stats_of(r->ratio, o->reps);
        r->have_bw = true;
    }
    return 0;
}

int cli_bench(int argc, char **argv)
{
    BenchOptions o;
    char err[1024];
    int pr = bench_parse(argc, argv, &o, err, sizeof err);
    if (pr > 0) {
        bench_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (pr == -2)
        return CLI_EXIT_USAGE;
    if (pr < 0) {
        cli_printf(stderr, "versus bench: %s\n", err);
        fprintf(stderr, "run 'versus bench --help' for the options\n");
        return CLI_EXIT_USAGE;
    }
    /* the model as run and logits find it: a bare name is also looked for
     * in the model cache; a file that is not there, or not a GGUF, is a
     * usage error (exit 2), like any other bad argument */
    char path[4096];
    if (model_ref_resolve(o.path, path, sizeof path, err, sizeof err) < 0) {
        cli_printf(stderr, "versus bench: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    o.path = path;
    BenchReport r = { .o = &o };
    loadavg_read(r.load_start, sizeof r.load_start);

    int rc = CLI_EXIT_MODEL_FAILED;
    GgufFile *g = NULL;
    ThreadPool *pool = NULL;
    BenchEngine e = { 0 };
    int *ids = NULL;
    double t0 = clock_now_ms();
    g = gguf_open(o.path, err, sizeof err);
    if (!g) {
        rc = CLI_EXIT_USAGE;
        goto fail;
    }
    pool = threadpool_new(o.threads);
    if (!pool) {
        snprintf(err, sizeof err, "could not start %d threads", o.threads);
        goto fail;
    }
    int need = o.depth + (o.n_prompt > o.n_gen ? o.n_prompt : o.n_gen);
    ModelOptions mo = { .n_ctx = need, .batch = o.batch, .pool = pool, .kv_type = o.kv_type, .kv_type_set = true };
    e.m = model_new(g, &mo, err, sizeof err);
    if (!e.m)
        goto fail;
    const ModelConfig *cfg = model_config(e.m);
    if (cfg->n_ctx < need) {
        snprintf(err, sizeof err, "-d %d + max(-p %d, -n %d) = %d tokens exceed the model's context of %d tokens",
                 o.depth, o.n_prompt, o.n_gen, need, cfg->n_ctx);
        goto fail;
    }
    char note[768];
    r.backend = bench_backend(o.backend_asked, g, &e, o.batch, note, sizeof note, err, sizeof err);
    if (!r.backend)
        goto fail;
    if (note[0])
        cli_printf(stderr, "versus bench: %s\n", note);
    if (!e.cm && model_prepare(e.m, err, sizeof err) < 0) /* the CPU runs it: repack as part of loading */
        goto fail;
    r.load_ms = clock_now_ms() - t0;
    r.repacked = !e.cm && model_repacked(e.m);
    if (e.cm)
        cuda_model_info(e.cm, &r.cuda);
    ids = malloc((size_t)need * sizeof *ids);
    if (!ids) {
        snprintf(err, sizeof err, "out of memory");
        goto fail;
    }
    bench_tokens(g, cfg->n_vocab, ids, need);
    r.file_bytes = gguf_file_size(g);
    r.params = count_params(g);
    r.weight_bytes = model_weight_bytes(e.m);
    r.type = model_weight_type(e.m);
    r.threads = threadpool_size(pool);
    r.n_ctx = cfg->n_ctx;
    r.llc = membw_llc_bytes();
    model_label(g, o.path, r.label, sizeof r.label);

    /* Warm-up: one token through every weight faults the mapping in (and
     * captures the CUDA graph). */
    double tw = clock_now_ms();
    if (bench_forward(&e, ids, 1, 0, err, sizeof err) < 0)
        goto fail;
    r.warmup_ms = clock_now_ms() - tw;
    if (bench_measure(&e, &o, ids, &r, err, sizeof err) < 0)
        goto fail;

    loadavg_read(r.load_end, sizeof r.load_end);
    if (o.format == BENCH_JSON)
        print_json(&r);
    else
        print_text(&r);
    fflush(stdout);
    rc = CLI_EXIT_OK;
    goto out;
fail:
    cli_printf(stderr, "versus bench: %s\n", err);
out:
    for (int i = 0; i < r.n_tests; i++) {
        free(r.tests[i].ms);
        free(r.tests[i].tps);
    }
    free(r.bw_gbs);
    free(r.ratio);
    free(ids);
    cuda_model_free(e.cm);
    free(e.logits);
    model_free(e.m);
    threadpool_free(pool);
    gguf_close(g);
    return rc;
}
