/* cli.c — subcommand dispatch, top-level --help and --version. */
#include "cli/cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "util/suggest.h"

typedef struct CliCommand {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} CliCommand;

/* One line per subcommand; each lives in its own src/cli/NAME.c. */
static const CliCommand cli_commands[] = {
    { "run", cli_run, "send one prompt to several models at once, print the replies" },
    { "models", cli_models, "list configured models, which are usable now, and why not" },
    { "sessions", cli_sessions, "list, show, label and remove saved sessions" },
    { "export", cli_export, "write labelled rounds as test cases (versus, promptfoo, openai-evals, csv)" },
    { "policy", cli_policy, "check a routing policy against labelled cases (no API calls)" },
    { "bench", cli_bench, "measure the built-in engine: load, prompt and generation t/s, memory bound" },
    { "logits", cli_logits, "the built-in engine's top next-token logits at every position, as JSON" },
    { "replay", cli_replay, "re-run test cases (offline from recordings, or live) and check assertions" },
    { "report", cli_report, "per-model wins, ratings, speed and cost as HTML or Markdown" },
    { NULL, NULL, NULL },
};

bool cli_is_command(const char *name)
{
    for (const CliCommand *c = cli_commands; c->name; c++)
        if (strcmp(name, c->name) == 0)
            return true;
    return false;
}

static void cli_usage(FILE *out)
{
    fprintf(out,
            "usage: versus [-m SPEC]...            open the workbench (split-pane TUI)\n"
            "       versus COMMAND [OPTIONS] ...\n\n"
            "Compare a local model and closed APIs side by side on the same prompt.\n\n"
            "Workbench options:\n");
    cli_tui_options(out);
    fprintf(out, "\nCommands:\n");
    for (const CliCommand *c = cli_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out,
            "\nModel specs: openai:MODEL  anthropic:MODEL  gemini:MODEL  ollama:MODEL\n"
            "             openai-compat:MODEL@URL  local:PATH.gguf  local:hf://OWNER/REPO/FILE.gguf\n\n"
            "Run 'versus COMMAND --help' for a command's options, 'man versus' for everything.\n");
}

int cli_main(int argc, char **argv)
{
    /* A file size limit (ulimit -f) makes writes fail with EFBIG, reported
     * like any other write error, instead of killing versus silently. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
                      strcmp(argv[1], "help") == 0)) {
        cli_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc >= 2 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)) {
        printf("versus %s\n", PACKAGE_VERSION);
        return CLI_EXIT_OK;
    }
    if (argc >= 2 && argv[1][0] != '-') {
        for (const CliCommand *c = cli_commands; c->name; c++)
            if (strcmp(argv[1], c->name) == 0)
                return c->fn(argc - 1, argv + 1);
        const char *names[32];
        size_t n = 0;
        for (const CliCommand *c = cli_commands; c->name && n < sizeof names / sizeof *names; c++)
            names[n++] = c->name;
        const char *near = suggest_nearest(argv[1], names, n);
        if (near)
            fprintf(stderr, "versus: unknown command '%s' (did you mean %s?); run 'versus --help' for the list\n",
                    argv[1], near);
        else
            fprintf(stderr, "versus: unknown command '%s'; run 'versus --help' for the list\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    return cli_tui(argc, argv);
}
