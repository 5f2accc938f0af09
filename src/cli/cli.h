/* cli.h — the subcommands of versus. Each cli_* function takes the argv that
 * follows the subcommand name (argv[0] is the subcommand) and returns the
 * process exit code. */
#ifndef VERSUS_CLI_H
#define VERSUS_CLI_H

#include <stdbool.h>
#include <stdio.h>

/* Exit codes shared by every subcommand. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_MODEL_FAILED = 1, /* the command ran, but some model (or assertion, or case) failed */
    CLI_EXIT_USAGE = 2,        /* bad arguments, bad config: nothing was sent */
    CLI_EXIT_CANCELLED = 130,  /* interrupted by the user */
};

int cli_main(int argc, char **argv);
/* True when name is one of the subcommands (run, models, sessions, ...). */
bool cli_is_command(const char *name);
int cli_run(int argc, char **argv);
int cli_models(int argc, char **argv);
int cli_tui(int argc, char **argv);
/* The workbench's options, one per line, as its --help and versus --help list them. */
void cli_tui_options(FILE *out);

int cli_sessions(int argc, char **argv);
int cli_export(int argc, char **argv);
int cli_policy(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_logits(int argc, char **argv);
int cli_replay(int argc, char **argv);
int cli_report(int argc, char **argv);

#endif
