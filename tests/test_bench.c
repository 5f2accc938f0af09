/* test_bench.c — `versus bench` and the memory bandwidth probe: the real
 * binary on ../shared's stories260K with tiny -p/-n/-r prints the llama-bench
 * table and the bandwidth and memory lines (text and JSON); bad arguments and
 * unusable models give a clear message and a non-zero exit; membw_measure
 * returns plausible, positive figures. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "engine/membw.h"
#include "testenv.h"
#include "harden/vchild.h"

#define DEADLINE_S (TESTENV_HANG_MS / 1000) /* only a hang reaches it */

extern char **environ;


static char versus_bin[1024];
static char model_path[1024];

static void find_binary(void)
{
    if (!vchild_binary(versus_bin, sizeof versus_bin))
        cr_skip_test("no versus binary (VERSUS_BUILDDIR not set, or nothing built there)");
}

static void find_model(void)
{
    if (!testenv_shared("models/stories260K.gguf", model_path, sizeof model_path))
        cr_skip_test("VERSUS_SHARED not set");
    if (access(model_path, R_OK) != 0)
        cr_skip_test("no model at %s", model_path);
}

/* Runs versus with args (NULL-terminated, after argv[0]) in this process's
 * environment and collects its output; a run past the deadline is killed
 * and fails the test. */
static VResult run_versus(const char *const *args)
{
    VResult r;
    cr_assert_eq(vchild_run(versus_bin, args, environ, NULL, DEADLINE_S * 1000, false, &r), 0, "spawn %s",
                 versus_bin);
    cr_assert(!r.timed_out, "versus bench ran past %d s", DEADLINE_S);
    return r;
}

TestSuite(bench_cli, .init = find_binary, .timeout = TESTENV_HANG_S);

Test(bench_cli, prints_table_with_pp_and_tg_rows_and_the_bound)
{
    find_model();
    const char *args[] = { "bench", model_path, "-p", "16", "-n", "8", "-r", "2", "-t", "1", NULL };
    VResult r = run_versus(args);
    cr_assert_eq(r.exit_code, 0, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
    const char *out = buf_str(&r.out);
    cr_assert(strstr(out, "| model | size | params | type | backend | threads | test | t/s |"),
              "no table header in:\n%s", out);
    /* The pp row: cpu backend, 1 thread, a positive rate. */
    const char *pp = strstr(out, "| cpu | 1 | pp16 | ");
    cr_assert(pp, "no pp16 row in:\n%s", out);
    double tps = strtod(pp + strlen("| cpu | 1 | pp16 | "), NULL);
    cr_assert_gt(tps, 0.0, "pp16 rate not positive:\n%s", out);
    const char *tg = strstr(out, "| cpu | 1 | tg8 | ");
    cr_assert(tg, "no tg8 row in:\n%s", out);
    tps = strtod(tg + strlen("| cpu | 1 | tg8 | "), NULL);
    cr_assert_gt(tps, 0.0, "tg8 rate not positive:\n%s", out);
    cr_assert(strstr(out, "load: "), "no load time in:\n%s", out);
    cr_assert(strstr(out, "decode traffic: "), "no weights-per-token line in:\n%s", out);
    cr_assert(strstr(out, "memory bandwidth: "), "no bandwidth line in:\n%s", out);
    cr_assert(strstr(out, "] of measured bandwidth"), "no ratio to the bound in:\n%s", out);
    cr_assert(strstr(out, "memory: VmRSS "), "no memory line in:\n%s", out);
    cr_assert(strstr(out, "load average: "), "no load average in:\n%s", out);
    const char *busy = strstr(out, "busy threads (process CPU time / wall time): pp16 ");
    cr_assert(busy, "no busy-threads line in:\n%s", out);
    cr_assert_gt(strtod(busy + strlen("busy threads (process CPU time / wall time): pp16 "), NULL), 0.0);
    vchild_result_free(&r);
}

Test(bench_cli, json_has_both_tests_and_consistent_figures)
{
    find_model();
    const char *args[] = { "bench", model_path, "-p", "8", "-n", "4", "-r", "3", "-t", "2",
                           "--format", "json", "--backend", "cpu", NULL };
    VResult r = run_versus(args);
    cr_assert_eq(r.exit_code, 0, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
    cJSON *j = cJSON_Parse(buf_str(&r.out));
    cr_assert(j, "not JSON:\n%s", buf_str(&r.out));
    cr_assert_str_eq(cJSON_GetObjectItem(j, "backend")->valuestring, "cpu");
    cr_assert_eq(cJSON_GetObjectItem(j, "threads")->valueint, 2);
    cJSON *tests = cJSON_GetObjectItem(j, "tests");
    cr_assert_eq(cJSON_GetArraySize(tests), 2);
    const char *names[] = { "pp8", "tg4" };
    for (int i = 0; i < 2; i++) {
        cJSON *t = cJSON_GetArrayItem(tests, i);
        cr_assert_str_eq(cJSON_GetObjectItem(t, "test")->valuestring, names[i]);
        double med = cJSON_GetObjectItem(t, "tps_median")->valuedouble;
        double lo = cJSON_GetObjectItem(t, "tps_min")->valuedouble;
        double hi = cJSON_GetObjectItem(t, "tps_max")->valuedouble;
        cr_assert(lo > 0 && lo <= med && med <= hi, "%s: min %g median %g max %g", names[i], lo, med, hi);
        cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(t, "ms")), 3);
        double busy = cJSON_GetObjectItem(t, "busy_threads")->valuedouble;
        cr_assert(busy > 0 && busy < 2.5, "%s: busy threads %g (2 asked for)", names[i], busy);
    }
    cJSON *bw = cJSON_GetObjectItem(j, "bandwidth");
    double wb = cJSON_GetObjectItem(bw, "weight_bytes_per_token")->valuedouble;
    double ach = cJSON_GetObjectItem(bw, "achieved_gbs")->valuedouble;
    double tg = cJSON_GetObjectItem(cJSON_GetArrayItem(tests, 1), "tps_median")->valuedouble;
    cr_assert_gt(wb, 0.0);
    cr_assert_float_eq(ach, wb * tg / 1e9, 1e-9 + 1e-9 * ach);
    cr_assert_gt(cJSON_GetObjectItem(bw, "measured_gbs")->valuedouble, 0.0);
    double rmed = cJSON_GetObjectItem(bw, "ratio_median")->valuedouble;
    double rlo = cJSON_GetObjectItem(bw, "ratio_min")->valuedouble;
    double rhi = cJSON_GetObjectItem(bw, "ratio_max")->valuedouble;
    cr_assert(rlo > 0 && rlo <= rmed && rmed <= rhi, "ratio min %g median %g max %g", rlo, rmed, rhi);
    /* Each repetition's ratio is its own decode traffic over its own bandwidth. */
    cJSON *per = cJSON_GetObjectItem(bw, "per_rep");
    cr_assert_eq(cJSON_GetArraySize(per), 3);
    for (int i = 0; i < 3; i++) {
        cJSON *e = cJSON_GetArrayItem(per, i);
        double want = wb * cJSON_GetObjectItem(e, "tg_tps")->valuedouble / 1e9 /
                      cJSON_GetObjectItem(e, "measured_gbs")->valuedouble;
        cr_assert_float_eq(cJSON_GetObjectItem(e, "ratio")->valuedouble, want, 1e-9 * want);
    }
    cJSON *mem = cJSON_GetObjectItem(j, "memory");
    double file = cJSON_GetObjectItem(mem, "file_bytes")->valuedouble;
    double kv = cJSON_GetObjectItem(mem, "kv_bytes")->valuedouble;
    cr_assert_gt(file, 0.0);
    cr_assert_gt(kv, 0.0);
    cr_assert_float_eq(cJSON_GetObjectItem(mem, "limit_bytes")->valuedouble, file + kv + 64.0 * 1048576, 0.5);
    cr_assert_gt(cJSON_GetObjectItem(mem, "vmhwm_bytes")->valuedouble, 0.0);
    cJSON_Delete(j);
    vchild_result_free(&r);
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BENCH_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define BENCH_UNDER_ASAN 1
#endif

/* Gemma 3 270M ties its 168 MB Q8_0 output matrix to the embeddings: while
 * it was repacked, the mapped original and the panels were both resident and
 * the peak (357 MiB) passed the file + KV + 64 MiB the bench holds it to. */
Test(bench_cli, repacking_lets_go_of_the_mapped_rows_so_the_peak_stays_within_file_kv_and_64_mib)
{
#ifdef BENCH_UNDER_ASAN
    cr_skip_test("resident memory under AddressSanitizer includes its shadow");
#endif
    const char *gemma = getenv("VERSUS_GEMMA_MODEL_FILE");
    if (!gemma || !*gemma || access(gemma, R_OK) != 0)
        cr_skip_test("VERSUS_GEMMA_MODEL_FILE not set");
    const char *args[] = { "bench", gemma, "-p", "0", "-n", "1", "-r", "1", "-t", "2", "--no-membw",
                           "--backend", "cpu", "--format", "json", NULL };
    VResult r = run_versus(args);
    cr_assert_eq(r.exit_code, 0, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
    cJSON *j = cJSON_Parse(buf_str(&r.out));
    cr_assert(j, "%s", buf_str(&r.out));
    cJSON *mem = cJSON_GetObjectItem(j, "memory");
    double hwm = cJSON_GetObjectItem(mem, "vmhwm_bytes")->valuedouble;
    double lim = cJSON_GetObjectItem(mem, "limit_bytes")->valuedouble;
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(mem, "within")), "peak %.1f MiB over %.1f MiB", hwm / 1048576,
              lim / 1048576);
    cJSON_Delete(j);
    vchild_result_free(&r);
}

Test(bench_cli, pp_only_run_skips_tg_and_bandwidth_ratio)
{
    find_model();
    const char *args[] = { "bench", model_path, "-p", "4", "-n", "0", "-r", "1", "-t", "1", NULL };
    VResult r = run_versus(args);
    cr_assert_eq(r.exit_code, 0, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.out), "| pp4 | "));
    cr_assert_null(strstr(buf_str(&r.out), "| tg"));
    cr_assert_null(strstr(buf_str(&r.out), "decode traffic"));
    vchild_result_free(&r);
}

Test(bench_cli, kv_type_is_used_and_reported)
{
    find_model();
    const char *types[] = { "f32", "f16", "q8_0" }; /* stories260K's heads of 8 are too small for q8_0 */
    for (int i = 0; i < 3; i++) {
        const char *args[] = { "bench", model_path, "-p", "4", "-n", "2", "-r", "1", "-t", "1", "--no-membw",
                               "--kv-type", types[i], "--format", "json", NULL };
        VResult r = run_versus(args);
        if (i == 2) {
            cr_assert_neq(r.exit_code, 0);
            cr_assert(strstr(buf_str(&r.err), "multiple of 32"), "%s", buf_str(&r.err));
            vchild_result_free(&r);
            continue;
        }
        cr_assert_eq(r.exit_code, 0, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
        cJSON *j = cJSON_Parse(buf_str(&r.out));
        cr_assert_not_null(j, "not JSON: %s", buf_str(&r.out));
        cr_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(j, "kv_type")), types[i]);
        cJSON_Delete(j);
        vchild_result_free(&r);
    }
}

Test(bench_cli, depth_fills_the_cache_first_and_names_tests_like_llama_bench)
{
    find_model();
    const char *args[] = { "bench", model_path, "-p", "4", "-n", "2", "-d", "16", "-r", "2", "-t", "1",
                           "--no-membw", NULL };
    VResult r = run_versus(args);
    cr_assert_eq(r.exit_code, 0, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.out), "| pp4 @ d16 | "), "no pp row at depth 16:\n%s", buf_str(&r.out));
    cr_assert(strstr(buf_str(&r.out), "| tg2 @ d16 | "), "no tg row at depth 16:\n%s", buf_str(&r.out));
    cr_assert(strstr(buf_str(&r.out), "each test starts with 16 tokens in the cache"));
    vchild_result_free(&r);
    const char *too_deep[] = { "bench", model_path, "-p", "4", "-n", "2", "-d", "60000", "-r", "1", NULL };
    r = run_versus(too_deep);
    cr_assert_neq(r.exit_code, 0);
    cr_assert(strstr(buf_str(&r.err), "-d 60000"), "the error names the depth: %s", buf_str(&r.err));
    vchild_result_free(&r);
}

/* Each bad invocation: exit code and a fragment the message must contain. */
typedef struct BadArgs {
    const char *args[10];
    int exit_code;
    char msg[64];
} BadArgs;

Test(bench_cli, bad_arguments_give_clear_errors)
{
    find_model();
    const char *m = model_path;
    BadArgs cases[] = {
        { { "bench", NULL }, 2, "expected MODEL.gguf" },
        { { "bench", m, "-p", "abc", NULL }, 2, "-p (prompt tokens) must be a whole number" },
        { { "bench", m, "-n", "-3", NULL }, 2, "-n (generated tokens) must be a whole number" },
        { { "bench", m, "-t", "0", NULL }, 2, "-t (threads) must be a whole number from 1" },
        { { "bench", m, "-r", "", NULL }, 2, "-r (repetitions)" },
        { { "bench", m, "-p", "0", "-n", "0", NULL }, 2, "nothing to measure" },
        { { "bench", m, "--backend", "tpu", NULL }, 2, "--backend must be cpu, cuda or auto" },
        { { "bench", m, "--format", "xml", NULL }, 2, "--format must be text or json" },
        { { "bench", m, "--kv-type", "q4_0", NULL }, 2, "--kv-type must be f32, f16 or q8_0" },
        { { "bench", m, "--bogus", NULL }, 2, "unknown option '--bogus'" },
        { { "bench", m, "-p", NULL }, 2, "needs a value" },
        { { "bench", m, m, NULL }, 2, "expected one MODEL.gguf" },
        { { "bench", "/nonexistent/model.gguf", "-r", "1", NULL }, 2, "/nonexistent/model.gguf" }, /* a file error */
        /* stories260K's context is 2048 tokens. */
        { { "bench", m, "-p", "2000", "-n", "100", "-d", "100", NULL }, 1, "2100 tokens exceed the model's context of 2048" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        VResult r = run_versus(cases[i].args);
        cr_expect_eq(r.exit_code, cases[i].exit_code, "case %zu: exit %d, stderr: %s", i, r.exit_code,
                     buf_str(&r.err));
        cr_expect(strstr(buf_str(&r.err), cases[i].msg), "case %zu: stderr lacks '%s': %s", i,
                  cases[i].msg, buf_str(&r.err));
        cr_expect_eq(r.out.len, 0, "case %zu printed to stdout: %s", i, buf_str(&r.out));
        vchild_result_free(&r);
    }
}

/* Where CUDA can run, --backend cuda must really run on it; elsewhere it must
 * refuse with the reason, and auto must fall back to cpu saying why. */
Test(bench_cli, cuda_backend_runs_on_a_gpu_or_is_refused_with_the_reason)
{
    find_model();
    const char *args[] = { "bench", model_path, "--backend", "cuda", "-p", "4", "-n", "2", "-r", "1", NULL };
    VResult r = run_versus(args);
    if (r.exit_code == 0) {
        cr_assert(strstr(buf_str(&r.out), "| cuda | "), "exit 0 without a cuda row:\n%s", buf_str(&r.out));
        cr_assert(strstr(buf_str(&r.out), "device: "), "no device line:\n%s", buf_str(&r.out));
    } else {
        cr_assert_eq(r.exit_code, 1, "exit %d, stderr: %s", r.exit_code, buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.err), "cuda backend: not available (no GPU / not built): "),
                  "stderr: %s", buf_str(&r.err));
        cr_assert_eq(r.out.len, 0, "printed a table anyway: %s", buf_str(&r.out));
        vchild_result_free(&r);
        const char *auto_args[] = { "bench", model_path, "--backend", "auto", "-p", "4", "-n", "2", "-r", "1", NULL };
        r = run_versus(auto_args);
        cr_assert_eq(r.exit_code, 0, "auto did not fall back: %s", buf_str(&r.err));
        cr_assert(strstr(buf_str(&r.out), "| cpu | "), "auto fell back to what?\n%s", buf_str(&r.out));
        cr_assert(strstr(buf_str(&r.err), "cuda backend: not available (no GPU / not built): "),
                  "auto fell back silently: %s", buf_str(&r.err));
    }
    vchild_result_free(&r);
}

Test(bench_cli, not_a_gguf_file_is_an_error_not_a_crash)
{
    char path[] = "/tmp/versus-bench-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    const char junk[] = "GGUF\x03\x00\x00\x00 this is not a model";
    cr_assert(write(fd, junk, sizeof junk) == (ssize_t)sizeof junk);
    close(fd);
    const char *args[] = { "bench", path, "-r", "1", NULL };
    VResult r = run_versus(args);
    unlink(path);
    cr_assert_eq(r.exit_code, 2, "a file that is not a model is a usage error: exit %d, stderr: %s", r.exit_code,
                 buf_str(&r.err));
    cr_assert(strstr(buf_str(&r.err), "versus bench: "), "stderr: %s", buf_str(&r.err));
    vchild_result_free(&r);
}

Test(bench_cli, help_lists_the_options)
{
    const char *args[] = { "bench", "--help", NULL };
    VResult r = run_versus(args);
    cr_assert_eq(r.exit_code, 0);
    for (const char *const *o = (const char *const[]){ "-p N", "-n N", "-t THREADS", "-r REPS", "--backend",
                                                        "--format", NULL };
         *o; o++)
        cr_expect(strstr(buf_str(&r.out), *o), "help lacks %s", *o);
    vchild_result_free(&r);
}

Test(membw, measures_a_positive_plausible_bandwidth)
{
    MembwResult r;
    char err[256];
    /* A small buffer keeps the test quick; it still goes through every step. */
    cr_assert_eq(membw_measure(2, (size_t)32 << 20, 3, &r, err, sizeof err), 0, "%s", err);
    cr_assert_gt(r.median_gbs, 0.1, "median %g GB/s", r.median_gbs);
    cr_assert_lt(r.median_gbs, 100000.0, "median %g GB/s", r.median_gbs);
    cr_assert(r.min_gbs <= r.median_gbs && r.median_gbs <= r.max_gbs);
    cr_assert_eq(r.threads, 2);
    cr_assert_eq(r.reps, 3);
    cr_assert_leq(r.buffer_bytes, (size_t)32 << 20);
    cr_assert_gt(r.buffer_bytes, (size_t)31 << 20);
}

Test(membw, default_buffer_is_much_larger_than_the_last_level_cache)
{
    size_t llc = membw_llc_bytes();
    MembwResult r;
    char err[256];
    cr_assert_eq(membw_measure(1, 0, 1, &r, err, sizeof err), 0, "%s", err);
    cr_assert_geq(r.buffer_bytes, (size_t)255 << 20);
    if (llc)
        cr_assert_geq(r.buffer_bytes, 15 * llc, "buffer %zu vs LLC %zu", r.buffer_bytes, llc);
    cr_assert_gt(r.median_gbs, 0.0);
}

Test(membw, rejects_bad_arguments)
{
    MembwResult r;
    char err[256] = "";
    cr_assert_eq(membw_measure(1, 1 << 20, 5000, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "repetitions"), "%s", err);
    cr_assert_eq(membw_measure(1000, 1 << 20, 1, &r, err, sizeof err), -1);
    cr_assert(strstr(err, "threads"), "%s", err);
}
