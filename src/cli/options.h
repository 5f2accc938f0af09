/* options.h — small helpers shared by the subcommands' argument parsing. */
#ifndef VERSUS_CLI_OPTIONS_H
#define VERSUS_CLI_OPTIONS_H

#include <getopt.h>
#include <stdio.h>

#include "core/config.h"
#include "eval/costs.h"

/* Reads a `versus bench --format json` file (--bench). 0, or -1 with err
 * naming the file. */
int cli_load_bench(const char *path, BenchSpeed *out, char *err, size_t errlen);

/* After getopt_long (with opterr = 0 and an optstring starting with ':')
 * returned '?' or ':' (c): prints "versus CMD: unknown option '--x' (did
 * you mean --y?)" or "versus CMD: option '--x' needs a value", then where to
 * find the options, on stderr. cmd is "run", "sessions label", or NULL for
 * the workbench. Returns CLI_EXIT_USAGE. */
int cli_option_error(const char *cmd, int c, char **argv, const struct option *longopts);

/* After getopt: the one MODEL argument a model command (bench, logits)
 * takes, argv[optind]. NULL with err filled when there is none ("expected
 * MODEL.gguf") or more than one. */
const char *cli_one_model(int argc, char **argv, char *err, size_t errlen);

/* Parses a whole number in [min, max]; 0, or -1 with err naming the option. */
int cli_parse_long(const char *s, long min, long max, long *out, const char *what, char *err, size_t errlen);
/* Checks a --kv-type value (f32, f16 or q8_0); 0, or -1 with err saying what is allowed. */
int cli_check_kv_type(const char *s, char *err, size_t errlen);
/* The default model specs that can run now: the local default model, each
 * closed provider whose key is available, and each other provider (a local
 * server needs no key). Each provider left out is named on note (with the
 * variable to set) rather than dropped silently. */
size_t cli_usable_default_specs(const Config *cfg, char ***specs, FILE *note);

#endif
