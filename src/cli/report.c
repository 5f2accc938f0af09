/* report.c — `versus report`: per-model wins, ratings, speed and cost over
 * saved sessions (or fixture files), as self-contained HTML or Markdown.
 * Built by store/report.c; this file parses arguments and writes the file. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/print.h"
#include "eval/report.h"
#include "store/outfile.h"

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: versus report [SESSION|CASES.jsonl]... [-o FILE] [--format html|md]\n"
            "                     [--volume N] [--seed N] [--bootstrap N]\n\n"
            "Per-model wins/ties/losses (overall and per category), pairwise win rates,\n"
            "Bradley-Terry ratings (Elo scale) with bootstrap 95%% intervals, median time\n"
            "to first token and tokens/s, cost per 1,000 requests. With no SESSION, every\n"
            "saved session is used. The HTML page is self-contained (no script, no network).\n"
            "  -o, --output FILE  default: report.html (report.md with --format md); - = stdout\n"
            "  -f, --format F     html (default) or md\n"
            "  --volume N         add a monthly cost projection at N requests\n"
            "  --seed N           bootstrap seed (default 1: the same input gives the same report)\n"
            "  --bootstrap N      bootstrap resamples (default 200)\n");
}

int cli_report(int argc, char **argv)
{
    enum { OPT_VOLUME = 256, OPT_SEED, OPT_BOOT };
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
        { "volume", required_argument, NULL, OPT_VOLUME }, { "seed", required_argument, NULL, OPT_SEED },
        { "bootstrap", required_argument, NULL, OPT_BOOT }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    ReportOptions opt = report_options_default();
    const char *output = NULL;
    bool md = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:f:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'o': output = optarg; break;
        case 'f':
            if (strcmp(optarg, "md") == 0 || strcmp(optarg, "markdown") == 0) {
                md = true;
            } else if (strcmp(optarg, "html") != 0) {
                cli_printf(stderr, "versus report: --format must be html or md (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_VOLUME:
            opt.volume = strtod(optarg, &end);
            if (!*optarg || *end || !(opt.volume > 0) || opt.volume > 1e15) {
                cli_printf(stderr, "versus report: --volume must be a number of requests > 0\n");
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_SEED: {
            errno = 0;
            unsigned long long s = strtoull(optarg, &end, 10);
            if (!*optarg || *end || errno || optarg[0] == '-') {
                cli_printf(stderr, "versus report: --seed must be a whole number >= 0\n");
                return CLI_EXIT_USAGE;
            }
            opt.seed = s;
            break;
        }
        case OPT_BOOT: {
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (!*optarg || *end || errno || v < 1 || v > 100000) {
                cli_printf(stderr, "versus report: --bootstrap must be 1 to 100000\n");
                return CLI_EXIT_USAGE;
            }
            opt.bootstrap_rounds = (int)v;
            break;
        }
        case 'h': report_usage(stdout); return CLI_EXIT_OK;
        default: report_usage(stderr); return CLI_EXIT_USAGE;
        }
    }
    if (!output)
        output = md ? "report.md" : "report.html";
    FixtureSet set = { 0 };
    Buf warn = { 0 }, out = { 0 };
    Report rep = { 0 };
    char err[2048];
    int rc = CLI_EXIT_USAGE;
    if (fixture_add_sources(&set, argc - optind, argv + optind, true, &warn, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    if (warn.len)
        cli_printf(stderr, "versus report: %s", buf_str(&warn));
    if (set.n == 0) {
        cli_printf(stderr, "versus report: no rounds found\n");
        goto out;
    }
    if (report_build(&set, &opt, &rep, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    if ((md ? report_markdown(&rep, "versus report", &out) : report_html(&rep, "versus report", &out)) < 0) {
        cli_printf(stderr, "versus report: out of memory\n");
        goto out;
    }
    if (outfile_write(output, buf_str(&out), out.len, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    if (strcmp(output, "-") != 0)
        cli_printf(stderr, "versus report: %zu rounds (%zu labelled), %zu models → %s\n", rep.n_rounds, rep.n_labelled,
                rep.n_models, output);
    rc = CLI_EXIT_OK;
out:
    report_free(&rep);
    fixture_set_free(&set);
    buf_free(&warn);
    buf_free(&out);
    return rc;
}
