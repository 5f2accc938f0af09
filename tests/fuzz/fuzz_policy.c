/* fuzz_policy.c — libFuzzer target: routing policies (store/policy.h) from
 * arbitrary bytes, parsed from memory and loaded from a file (a memfd); an
 * accepted policy then routes a handful of prompts (its regexes run on them),
 * sweeps its threshold, and is checked against a small labelled case set with
 * the full report (curve, projection) formatted. Every route must be a
 * non-empty string, every rule name a string. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/buf.h"
#include "store/fixture.h"
#include "eval/policy.h"

static FixtureSet cases;

/* Four labelled cases in the versus fixture format (see versus-fixtures(5)). */
static const char cases_jsonl[] =
    "{\"versus_fixture\":1,\"id\":\"s#1\",\"prompt\":\"write a sql query\",\"category\":\"sql\","
    "\"sensitivity\":\"public\",\"outcome\":\"win\",\"winner\":\"openai:big\",\"winner_index\":0,"
    "\"candidates\":[{\"spec\":\"openai:big\",\"provider\":\"openai\",\"model\":\"big\",\"status\":\"ok\","
    "\"text\":\"SELECT 1\",\"metrics\":{\"cost_usd\":0.01}},"
    "{\"spec\":\"local:small\",\"provider\":\"local\",\"model\":\"small\",\"status\":\"ok\",\"text\":\"no\","
    "\"metrics\":{\"cost_usd\":0}}]}\n"
    "{\"versus_fixture\":1,\"id\":\"s#2\",\"prompt\":\"secret plans\",\"sensitivity\":\"restricted\","
    "\"outcome\":\"win\",\"winner\":\"local:small\",\"winner_index\":1,"
    "\"candidates\":[{\"spec\":\"openai:big\",\"provider\":\"openai\",\"model\":\"big\",\"status\":\"ok\","
    "\"text\":\"x\"},{\"spec\":\"local:small\",\"provider\":\"local\",\"model\":\"small\",\"status\":\"ok\","
    "\"text\":\"y\"}]}\n"
    "{\"versus_fixture\":1,\"id\":\"s#3\",\"prompt\":\"Prove the integral converges, in great detail please, "
    "with every step written out and justified\",\"outcome\":\"tie\",\"candidates\":[{\"spec\":\"openai:big\","
    "\"provider\":\"openai\",\"model\":\"big\",\"status\":\"ok\",\"text\":\"a\"},{\"spec\":\"local:small\","
    "\"provider\":\"local\",\"model\":\"small\",\"status\":\"ok\",\"text\":\"b\"}]}\n"
    "{\"versus_fixture\":1,\"id\":\"s#4\",\"prompt\":\"hi\",\"outcome\":\"both_bad\",\"candidates\":[{\"spec\":"
    "\"openai:big\",\"provider\":\"openai\",\"model\":\"big\",\"status\":\"ok\",\"text\":\"a\"}]}\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[512];
    if (fixture_read(cases_jsonl, sizeof cases_jsonl - 1, FIXTURE_VERSUS, &cases, err, sizeof err) < 0) {
        fprintf(stderr, "fuzz_policy: built-in cases: %s\n", err);
        abort();
    }
    return 0;
}

static void check_route(const char *route)
{
    if (!route || !route[0])
        abort();
}

static void exercise(const Policy *p)
{
    static const char *const prompts[] = { "", "hi", "write a sql query", "Prove the integral", "secret plans",
                                           "\xff\xfe broken \xc3", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" };
    static const char *const cats[] = { NULL, "code", "sql", "" };
    for (size_t i = 0; i < sizeof prompts / sizeof prompts[0]; i++)
        for (size_t c = 0; c < sizeof cats / sizeof cats[0]; c++)
            for (int s = SENSITIVITY_PUBLIC; s <= SENSITIVITY_RESTRICTED; s++) {
                int rule = -2;
                const char *r = policy_route(p, prompts[i], cats[c], (Sensitivity)s, &rule);
                check_route(r);
                if (rule < -1)
                    abort();
                if (!policy_rule_name(p, rule)) /* may be "" when the file names a rule "" */
                    abort();
                check_route(policy_route_at(p, prompts[i], cats[c], (Sensitivity)s, 1e9, &rule));
                check_route(policy_route_at(p, prompts[i], cats[c], (Sensitivity)s, -1.0, &rule));
            }
    (void)policy_has_threshold(p);
    PolicyReport rep;
    char err[512];
    if (policy_check(p, &cases, &rep, err, sizeof err) == 0) {
        Buf out = { 0 };
        policy_report_format(p, &rep, 10000, &out);
        (void)policy_report_failed(&rep);
        buf_free(&out);
        policy_report_free(&rep);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[600];
    memset(err, 'x', sizeof err);
    Policy *p = policy_parse((const char *)data, size, err, sizeof err);
    if (p) {
        exercise(p);
        policy_free(p);
    } else if (!memchr(err, '\0', sizeof err) || !err[0]) {
        abort();
    }

    int fd = memfd_create("versus-fuzz-policy", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        p = policy_load(path, err, sizeof err);
        policy_free(p);
    }
    close(fd);
    return 0;
}
