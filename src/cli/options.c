/* options.c — argument helpers shared by subcommands (see options.h). */
#include "cli/options.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "util/file.h"
#include "util/suggest.h"
#include "core/keys.h"
#include "providers/provider.h"
#include "providers/target.h"
#include "engine/kvcache.h"

int cli_option_error(const char *cmd, int c, char **argv, const struct option *longopts)
{
    char prefix[64], opt[128];
    snprintf(prefix, sizeof prefix, "versus%s%s", cmd ? " " : "", cmd ? cmd : "");
    /* the option as written: a short one from optopt, a long one from argv */
    if (c == '?' && optopt > 0 && optopt < 128)
        snprintf(opt, sizeof opt, "-%c", optopt);
    else
        snprintf(opt, sizeof opt, "%.*s", (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
    if (c == ':') {
        cli_printf(stderr, "%s: option '%s' needs a value\n", prefix, opt);
    } else {
        const char *names[128];
        size_t n = 0;
        for (const struct option *o = longopts; o && o->name && n < sizeof names / sizeof *names; o++)
            names[n++] = o->name;
        const char *word = opt + strspn(opt, "-");
        const char *near = strncmp(opt, "--", 2) == 0 ? suggest_nearest(word, names, n) : NULL;
        if (near)
            cli_printf(stderr, "%s: unknown option '%s' (did you mean --%s?)\n", prefix, opt, near);
        else
            cli_printf(stderr, "%s: unknown option '%s'\n", prefix, opt);
    }
    /* the command's own --help ("sessions label" is in "versus sessions --help") */
    fprintf(stderr, "run 'versus%s%.*s --help' for the options\n", cmd ? " " : "", cmd ? (int)strcspn(cmd, " ") : 0,
            cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

const char *cli_one_model(int argc, char **argv, char *err, size_t errlen)
{
    if (optind >= argc) {
        snprintf(err, errlen, "expected MODEL.gguf");
        return NULL;
    }
    if (argc - optind > 1) {
        snprintf(err, errlen, "expected one MODEL.gguf (got '%s' as well)", argv[optind + 1]);
        return NULL;
    }
    return argv[optind];
}

int cli_parse_long(const char *s, long min, long max, long *out, const char *what, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || errno || !end || *end || v < min || v > max) {
        snprintf(err, errlen, "%s must be a whole number from %ld to %ld (got '%s')", what, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_check_kv_type(const char *s, char *err, size_t errlen)
{
    KvType t;
    if (kv_type_parse(s, &t) < 0) {
        snprintf(err, errlen, "--kv-type must be f32, f16 or q8_0 (got '%s')", s);
        return -1;
    }
    return 0;
}

size_t cli_usable_default_specs(const Config *cfg, char ***specs, FILE *note)
{
    char **all = NULL;
    size_t n_all = config_default_specs(cfg, &all);
    size_t n = 0;
    *specs = calloc(n_all ? n_all : 1, sizeof **specs);
    for (size_t i = 0; i < n_all; i++) {
        ModelTarget t;
        char err[512];
        bool usable = true;
        if (target_resolve(cfg, all[i], &t, err, sizeof err) < 0) {
            if (note)
                fprintf(note, "versus: skipping %s: %s\n", all[i], err);
            usable = false;
        } else if (strcmp(t.kind, "local") != 0 && (t.key_env[0] || t.key_file[0])) {
            int missing = 0;
            char *key = keys_read(t.key_env, t.key_file, &missing, err, sizeof err);
            /* a server that is not a closed API (a local llama-server, Ollama)
             * runs without a key when none is set, as `versus models` says */
            if (!key && !(missing && !provider_find(t.kind)->closed)) {
                if (note)
                    fprintf(note, "versus: skipping %s: %s\n", all[i], err);
                usable = false;
            }
            keys_free(key);
        }
        if (usable && *specs) {
            (*specs)[n++] = all[i];
            all[i] = NULL;
        }
    }
    config_free_specs(all, n_all);
    return n;
}

int cli_load_bench(const char *path, BenchSpeed *out, char *err, size_t errlen)
{
    Buf b = { 0 };
    char why[600];
    if (util_read_file(path, 1u << 20, &b, why, sizeof why) < 0) {
        snprintf(err, errlen, "--bench %s", why);
        return -1;
    }
    int rc = costs_bench_parse(buf_str(&b), b.len, out, why, sizeof why);
    if (rc < 0)
        snprintf(err, errlen, "--bench %s: %s", path, why);
    buf_free(&b);
    return rc;
}
