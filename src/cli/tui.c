/* tui.c — `versus` with no subcommand: parses the workbench's options and
 * starts the app (src/tui/app.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"
#include "util/buf.h"
#include "core/config.h"
#include "tui/app.h"
#include "tui/layout.h"

void cli_tui_options(FILE *out)
{
    fprintf(out,
            "  -m, --model SPEC   a model to compare (repeat, up to %d); NAME=SPEC names its pane;\n"
            "                     default: the configured ones\n"
            "      --blind        hide model names and shuffle panes until you label the round\n"
            "      --system TEXT  system prompt for every round (:system changes it)\n"
            "      --theme NAME   default, light, solarized-dark, high-contrast, mono, or a file\n"
            "      --config FILE  configuration file (default $XDG_CONFIG_HOME/versus/config.json)\n"
            "      --send-key-to URL  let a provider's key go to URL written inline after its\n"
            "                     name (PROVIDER:MODEL@URL); without it a key goes only to\n"
            "                     the URL it belongs to (as versus run)\n",
            LAYOUT_MAX_PANES);
}

static void tui_usage(FILE *out)
{
    fprintf(out, "usage: versus [-m SPEC]... [--blind] [--system TEXT] [--theme NAME] [--config FILE]\n"
                 "              [--send-key-to URL]...\n\n"
                 "Opens the workbench: every model answers the same prompt side by side.\n\n");
    cli_tui_options(out);
    fprintf(out, "  -h, --help         this help\n\n"
                 "Inside: type a prompt and press Enter; F1 or ? lists keys and :commands.\n");
}

int cli_tui(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "model", required_argument, NULL, 'm' }, { "blind", no_argument, NULL, 'B' },
        { "system", required_argument, NULL, 'S' }, { "theme", required_argument, NULL, 'T' },
        { "config", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
        { "send-key-to", required_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    const char *specs[64], *key_urls[64];
    size_t n_specs = 0, n_key_urls = 0;
    AppOptions opt = { 0 };
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":m:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            if (n_specs >= sizeof specs / sizeof specs[0]) {
                fprintf(stderr, "versus: too many -m options\n");
                return CLI_EXIT_USAGE;
            }
            specs[n_specs++] = optarg;
            break;
        case 'B': opt.blind = true; break;
        case 'S': opt.system = optarg; break;
        case 'T': opt.theme = optarg; break;
        case 'C': opt.config_path = optarg; break;
        case 'K':
            if (n_key_urls >= sizeof key_urls / sizeof key_urls[0]) {
                fprintf(stderr, "versus: too many --send-key-to options\n");
                return CLI_EXIT_USAGE;
            }
            key_urls[n_key_urls++] = optarg;
            break;
        case 'h': tui_usage(stdout); return CLI_EXIT_OK;
        default:
            return cli_option_error(NULL, c, argv, longopts);
        }
    }
    if (optind < argc && cli_is_command(argv[optind])) {
        /* "versus --config F models": a command's options go after it */
        Buf b = { 0 };
        buf_printf(&b, "versus %s", argv[optind]);
        for (int i = 1; i < argc; i++)
            if (i != optind)
                buf_printf(&b, " %s", argv[i]);
        cli_printf(stderr, "versus: '%s' is a command: its options go after it (%s)\n", argv[optind], buf_str(&b));
        buf_free(&b);
        return CLI_EXIT_USAGE;
    }
    if (optind < argc) {
        cli_printf(stderr, "versus: unexpected argument '%s'; the workbench takes no prompt on the command line "
                           "(versus run PROMPT sends one; see 'versus --help')\n", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    char **defaults = NULL;
    size_t n_defaults = 0;
    if (n_specs == 0) {
        char err[512];
        Config *cfg = config_load(opt.config_path, err, sizeof err);
        if (!cfg) {
            fprintf(stderr, "versus: %s\n", err);
            return CLI_EXIT_USAGE;
        }
        /* every configured model, usable or not: the workbench shows in its
         * pane why one can not be asked (nothing is printed behind it) */
        n_defaults = config_default_specs(cfg, &defaults);
        config_free(cfg);
        opt.specs = (const char *const *)defaults;
        opt.n_specs = n_defaults > LAYOUT_MAX_PANES ? LAYOUT_MAX_PANES : n_defaults;
    } else {
        opt.specs = specs;
        opt.n_specs = n_specs;
    }
    opt.key_urls = key_urls;
    opt.n_key_urls = n_key_urls;
    char err[1024] = "";
    int rc = app_run(&opt, err, sizeof err);
    if (defaults)
        config_free_specs(defaults, n_defaults);
    if (rc != 0) {
        fprintf(stderr, "versus: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}
