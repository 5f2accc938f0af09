/* tui.c — `versus` with no subcommand: the workbench (placeholder until the TUI lands). */
#include <stdio.h>

#include "cli/cli.h"

int cli_tui(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "versus: the workbench (split-pane TUI) is not built yet; use 'versus run -m SPEC PROMPT'\n");
    return CLI_EXIT_USAGE;
}
