/* main.c — argv, subcommand dispatch, startup and shutdown order; nothing else. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
