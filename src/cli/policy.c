/* policy.c — `versus policy check POLICY CASES...`: judges a routing policy
 * against labelled cases without calling any API (store/policy.c does the
 * work; this file parses arguments and prints). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"
#include "core/config.h"
#include "eval/costs.h"
#include "eval/policy.h"
#include "providers/target.h"

static void policy_usage(FILE *out)
{
    fprintf(out,
            "usage: versus policy check POLICY [CASES.jsonl|SESSION]... [--volume N] [--all]\n"
            "                           [--frontier SPEC] [--local SPEC] [--bench BENCH.json]...\n"
            "       versus policy route POLICY [--category CAT] [--sensitivity S] PROMPT\n"
            "       (both take --config PATH)\n\n"
            "check: routes every labelled case with the policy (no API calls) and reports\n"
            "winner/tie picks, loser picks, restricted data routed outside the perimeter\n"
            "(decided as versus run decides it, with the config's providers and aliases), quality\n"
            "retained against the best single model, cost against the priciest one and,\n"
            "for a threshold rule, the quality/cost curve with APGR and CPT(50%%/80%%).\n"
            "Exits 1 on any loser pick or sensitivity violation. With no CASES, every\n"
            "saved session is used.\n"
            "  --volume N   the monthly cost of the policy and of each baseline at N requests\n"
            "  --all        include unlabelled rounds of sessions (reported as unjudged)\n"
            "  --frontier SPEC  the \"everything to the frontier model\" baseline (default: the\n"
            "               closed API with the highest cost per reply)\n"
            "  --local SPEC the \"everything local\" baseline (default: the local model in most cases)\n"
            "  --bench F    versus bench --format json results: price that model file's local\n"
            "               replies at these speeds (default: the medians measured in its replies)\n"
            "Local models are priced from the config's local_cost (versus(1), LOCAL COST).\n"
            "route: prints where the policy sends one prompt, and by which rule.\n"
            "The policy format is described in versus-policy(5).\n");
}

static int policy_check_cmd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "volume", required_argument, NULL, 'v' }, { "all", no_argument, NULL, 'A' },
        { "config", required_argument, NULL, 'C' }, { "frontier", required_argument, NULL, 'F' },
        { "local", required_argument, NULL, 'L' }, { "bench", required_argument, NULL, 'B' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *config_file = NULL;
    double volume = 0;
    bool all = false;
    PolicyCheckOptions po = { 0 };
    BenchSpeed bench[16];
    size_t n_bench = 0;
    char berr[600];
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'v': {
            char *end;
            volume = strtod(optarg, &end);
            if (!*optarg || *end || !(volume > 0) || volume > 1e15) {
                cli_printf(stderr, "versus policy check: --volume must be a number of requests > 0 (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        }
        case 'A': all = true; break;
        case 'C': config_file = optarg; break;
        case 'F': po.frontier = optarg; break;
        case 'L': po.local = optarg; break;
        case 'B':
            if (n_bench == sizeof bench / sizeof *bench || cli_load_bench(optarg, &bench[n_bench], berr, sizeof berr) < 0) {
                cli_printf(stderr, "versus policy check: %s\n", n_bench == 16 ? "at most 16 --bench files" : berr);
                return CLI_EXIT_USAGE;
            }
            n_bench++;
            break;
        case 'h': policy_usage(stdout); return CLI_EXIT_OK;
        default: return cli_option_error("policy check", c, argv, longopts);
        }
    }
    if (optind >= argc) {
        cli_printf(stderr, "versus policy check: expected POLICY [CASES...]\n");
        return CLI_EXIT_USAGE;
    }
    char err[2048];
    Config *cfg = config_load(config_file, err, sizeof err);
    if (!cfg) {
        cli_printf(stderr, "versus policy check: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    Policy *p = policy_load(argv[optind], err, sizeof err);
    if (!p || policy_resolve_routes(p, cfg, err, sizeof err) < 0) {
        cli_printf(stderr, "versus policy check: %s%s%s\n", p ? argv[optind] : "", p ? ": " : "", err);
        policy_free(p);
        config_free(cfg);
        return CLI_EXIT_USAGE;
    }
    FixtureSet set = { 0 };
    Buf warn = { 0 }, out = { 0 };
    int rc = CLI_EXIT_USAGE;
    PolicyReport rep = { 0 };
    if (fixture_add_sources(&set, argc - optind - 1, argv + optind + 1, all, &warn, err, sizeof err) < 0) {
        cli_printf(stderr, "versus policy check: %s\n", err);
        goto out;
    }
    if (warn.len)
        cli_printf(stderr, "versus policy check: %s", buf_str(&warn));
    if (set.n == 0) {
        cli_printf(stderr, "versus policy check: no labelled cases to check\n");
        goto out;
    }
    LocalCost lc;
    CostsSummary costs = { 0 };
    if (config_local_cost(cfg, &lc, err, sizeof err) < 0 ||
        costs_price(&set, &lc, bench, n_bench, &costs, err, sizeof err) < 0) {
        cli_printf(stderr, "versus policy check: %s\n", err);
        goto out;
    }
    costs_summary_free(&costs);
    po.cfg = cfg;
    if (policy_check_with(p, &set, &po, &rep, err, sizeof err) < 0) {
        cli_printf(stderr, "versus policy check: %s\n", err);
        goto out;
    }
    policy_report_format(p, &rep, volume, &out);
    cli_write(stdout, buf_str(&out), out.len);
    rc = policy_report_failed(&rep) ? CLI_EXIT_MODEL_FAILED : CLI_EXIT_OK;
out:
    policy_report_free(&rep);
    buf_free(&out);
    buf_free(&warn);
    fixture_set_free(&set);
    policy_free(p);
    config_free(cfg);
    return rc;
}

static int policy_route_cmd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "category", required_argument, NULL, 'c' }, { "sensitivity", required_argument, NULL, 's' },
        { "config", required_argument, NULL, 'C' }, { NULL, 0, NULL, 0 },
    };
    const char *category = NULL, *config_file = NULL;
    Sensitivity sens = SENSITIVITY_PUBLIC;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:", longopts, NULL)) != -1) {
        if (c == 'c') {
            category = optarg;
        } else if (c == 'C') {
            config_file = optarg;
        } else if (c == 's' && sensitivity_parse(optarg, &sens) == 0) {
            continue;
        } else {
            cli_printf(stderr, "versus policy route: --sensitivity must be public, internal or restricted\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        cli_printf(stderr, "versus policy route: expected POLICY PROMPT\n");
        return CLI_EXIT_USAGE;
    }
    char err[2048];
    Config *cfg = config_load(config_file, err, sizeof err);
    if (!cfg) {
        cli_printf(stderr, "versus policy route: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    Policy *p = policy_load(argv[optind], err, sizeof err);
    if (!p || policy_resolve_routes(p, cfg, err, sizeof err) < 0) {
        cli_printf(stderr, "versus policy route: %s%s%s\n", p ? argv[optind] : "", p ? ": " : "", err);
        policy_free(p);
        config_free(cfg);
        return CLI_EXIT_USAGE;
    }
    int rule;
    const char *route = policy_route(p, argv[optind + 1], category, sens, &rule);
    cli_printf(stdout, "%s\t(%s; ~%ld tokens)\n", route, policy_rule_name(p, rule), policy_estimate_tokens(argv[optind + 1]));
    int rc = CLI_EXIT_OK;
    char why[1024];
    if (!target_sensitivity_allows(cfg, route, sens, why, sizeof why)) {
        cli_printf(stderr, "versus policy route: restricted data would leave the perimeter: %s\n", why);
        rc = CLI_EXIT_MODEL_FAILED;
    }
    policy_free(p);
    config_free(cfg);
    return rc;
}

int cli_policy(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        policy_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0)
        return policy_check_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "route") == 0)
        return policy_route_cmd(argc - 1, argv + 1);
    cli_printf(stderr, "versus policy: unknown action '%s' (check, route)\n", argv[1]);
    return CLI_EXIT_USAGE;
}
