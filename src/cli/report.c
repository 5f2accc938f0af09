/* report.c — `versus report`: the evidence for a routing decision over saved
 * sessions (or fixture files), as self-contained HTML or Markdown. Built by
 * eval/report.c; this file parses arguments, prices local replies from the
 * config and writes the file. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"
#include "eval/costs.h"
#include "eval/policy.h"
#include "eval/report.h"
#include "store/outfile.h"

static void report_usage(FILE *out)
{
    fprintf(out,
            "usage: versus report [SESSION|CASES.jsonl]... [-o FILE] [--format html|md]\n"
            "                     [--policy POLICY.json] [--volume N] [--frontier SPEC] [--local SPEC]\n"
            "                     [--bench BENCH.json]... [--config FILE]\n"
            "                     [--losers none|tie] [--prior N] [--seed N] [--bootstrap N]\n\n"
            "First the answer: per task category which model wins how often (95%% intervals),\n"
            "what each costs per 1,000 requests (local models estimated from measured speed),\n"
            "and what a routing policy would cost a month against everything to the frontier\n"
            "model and everything local, with the quality it keeps. Then the detail: ratings as\n"
            "LMArena computes them, raw and style-controlled, with bootstrap intervals; pairwise\n"
            "win rates with intervals; counts; speed. With no SESSION, every saved session is\n"
            "used. The HTML page is self-contained (no script, no network) and prints on A4.\n"
            "  -o, --output FILE  default: report.html (report.md with --format md); - = stdout\n"
            "  -f, --format F     html (default) or md\n"
            "  --policy FILE      a routing policy (versus-policy(5)) to cost on the first page\n"
            "  --volume N         requests a month for the monthly figures\n"
            "  --frontier SPEC    the frontier model (default: the closed API costing most per reply)\n"
            "  --local SPEC       the local model (default: the local model in most rounds)\n"
            "  --bench FILE       versus bench --format json results to price that model file's\n"
            "                     replies at (default: the medians measured in its replies)\n"
            "  --config FILE      the config (local_cost, providers for the perimeter decision)\n"
            "  --losers M         losers of a won round: none (no battle, default) or tie\n"
            "  --prior N          virtual ties per pair that met (default: none, unless the data\n"
            "                     have no finite rating, then 1)\n"
            "  --seed N           bootstrap seed (default 1: the same input gives the same report)\n"
            "  --bootstrap N      bootstrap resamples (default 200)\n");
}

typedef struct ReportArgs {
    ReportOptions opt;
    const char *output, *policy, *config;
    bool md;
    BenchSpeed bench[16];
    size_t n_bench;
} ReportArgs;

/* -1 to go on, else the exit status. */
static int parse(int argc, char **argv, ReportArgs *a)
{
    enum { OPT_VOLUME = 256, OPT_SEED, OPT_BOOT, OPT_POLICY, OPT_FRONTIER, OPT_LOCAL, OPT_BENCH, OPT_CONFIG,
           OPT_LOSERS, OPT_PRIOR };
    static const struct option longopts[] = {
        { "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'f' },
        { "volume", required_argument, NULL, OPT_VOLUME }, { "seed", required_argument, NULL, OPT_SEED },
        { "bootstrap", required_argument, NULL, OPT_BOOT }, { "policy", required_argument, NULL, OPT_POLICY },
        { "frontier", required_argument, NULL, OPT_FRONTIER }, { "local", required_argument, NULL, OPT_LOCAL },
        { "bench", required_argument, NULL, OPT_BENCH }, { "config", required_argument, NULL, OPT_CONFIG },
        { "losers", required_argument, NULL, OPT_LOSERS }, { "prior", required_argument, NULL, OPT_PRIOR },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    memset(a, 0, sizeof *a);
    a->opt = report_options_default();
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:f:h", longopts, NULL)) != -1) {
        char *end, err[700];
        switch (c) {
        case 'o': a->output = optarg; break;
        case 'f':
            if (strcmp(optarg, "md") == 0 || strcmp(optarg, "markdown") == 0) {
                a->md = true;
            } else if (strcmp(optarg, "html") != 0) {
                cli_printf(stderr, "versus report: --format must be html or md (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_VOLUME:
            a->opt.volume = strtod(optarg, &end);
            if (!*optarg || *end || !(a->opt.volume > 0) || a->opt.volume > 1e15) {
                cli_printf(stderr, "versus report: --volume must be a number of requests > 0\n");
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_PRIOR:
            a->opt.prior = strtod(optarg, &end);
            if (!*optarg || *end || !(a->opt.prior >= 0) || a->opt.prior > 1000) {
                cli_printf(stderr, "versus report: --prior must be a number of virtual ties from 0 to 1000\n");
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
            a->opt.seed = s;
            break;
        }
        case OPT_BOOT: {
            long v;
            if (cli_parse_long(optarg, 1, 100000, &v, "--bootstrap", err, sizeof err) < 0) {
                cli_printf(stderr, "versus report: %s\n", err);
                return CLI_EXIT_USAGE;
            }
            a->opt.bootstrap_rounds = (int)v;
            break;
        }
        case OPT_LOSERS:
            if (battles_losers_parse(optarg, &a->opt.losers) < 0) {
                cli_printf(stderr, "versus report: --losers must be none or tie (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_POLICY: a->policy = optarg; break;
        case OPT_FRONTIER: a->opt.frontier = optarg; break;
        case OPT_LOCAL: a->opt.local = optarg; break;
        case OPT_CONFIG: a->config = optarg; break;
        case OPT_BENCH:
            if (a->n_bench == sizeof a->bench / sizeof *a->bench) {
                cli_printf(stderr, "versus report: at most 16 --bench files\n");
                return CLI_EXIT_USAGE;
            }
            if (cli_load_bench(optarg, &a->bench[a->n_bench], err, sizeof err) < 0) {
                cli_printf(stderr, "versus report: %s\n", err);
                return CLI_EXIT_USAGE;
            }
            a->n_bench++;
            break;
        case 'h': report_usage(stdout); return CLI_EXIT_OK;
        default: return cli_option_error("report", c, argv, longopts);
        }
    }
    if (!a->output)
        a->output = a->md ? "report.md" : "report.html";
    return -1;
}

int cli_report(int argc, char **argv)
{
    ReportArgs a;
    int prc = parse(argc, argv, &a);
    if (prc >= 0)
        return prc;
    FixtureSet set = { 0 };
    Buf warn = { 0 }, out = { 0 };
    Report rep = { 0 };
    CostsSummary costs = { 0 };
    Policy *policy = NULL;
    char err[2048];
    int rc = CLI_EXIT_USAGE;
    LocalCost lc;
    Config *cfg = config_load(a.config, err, sizeof err);
    if (!cfg) {
        cli_printf(stderr, "versus report: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (a.policy && !(policy = policy_load(a.policy, err, sizeof err))) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    if (policy && policy_resolve_routes(policy, cfg, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s: %s\n", a.policy, err);
        goto out;
    }
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
    if (config_local_cost(cfg, &lc, err, sizeof err) < 0 ||
        costs_price(&set, &lc, a.bench, a.n_bench, &costs, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    a.opt.costs = &costs;
    a.opt.cfg = cfg;
    a.opt.policy = policy;
    a.opt.policy_name = a.policy;
    if (report_build(&set, &a.opt, &rep, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    if ((a.md ? report_markdown(&rep, "versus report", &out) : report_html(&rep, "versus report", &out)) < 0) {
        cli_printf(stderr, "versus report: out of memory\n");
        goto out;
    }
    if (outfile_write(a.output, buf_str(&out), out.len, err, sizeof err) < 0) {
        cli_printf(stderr, "versus report: %s\n", err);
        goto out;
    }
    if (strcmp(a.output, "-") != 0)
        cli_printf(stderr, "versus report: %zu rounds (%zu labelled), %zu models → %s\n", rep.n_rounds,
                   rep.n_labelled, rep.n_models, a.output);
    for (size_t m = 0; m < costs.n; m++)
        if (costs.models[m].local && !lc.set)
            cli_printf(stderr, "versus report: cost of %s is unknown: state what the machine costs in the config "
                               "(\"local_cost\": {\"gpu_hour_usd\": N}, versus(1))\n", costs.models[m].spec);
    rc = CLI_EXIT_OK;
out:
    report_free(&rep);
    costs_summary_free(&costs);
    policy_free(policy);
    fixture_set_free(&set);
    config_free(cfg);
    buf_free(&warn);
    buf_free(&out);
    return rc;
}
