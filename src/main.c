/* main.c — the program's entry: hands argv to cli_main (cli/cli.c), which
 * dispatches to one subcommand. Nothing else lives here. */

#include "cli/cli.h"

int main(int argc, char **argv)
{
    return cli_main(argc, argv);
}
