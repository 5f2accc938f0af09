/* run_placeholder.c — temporary: keeps the tree linking until the provider table lands. */
#include <stdio.h>

#include "cli/cli.h"

int cli_run(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "versus run: not built yet\n"); return CLI_EXIT_USAGE; }
int cli_models(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "versus models: not built yet\n"); return CLI_EXIT_USAGE; }
