/* export.c — `versus export`: labelled rounds of saved sessions as test
 * cases in the versus, promptfoo, OpenAI evals or CSV format (formats in
 * store/fixture.c, documented in versus-fixtures(5)). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"
#include "store/fixture.h"
#include "store/outfile.h"

static void export_usage(FILE *out)
{
    fprintf(out,
            "usage: versus export [SESSION|CASES.jsonl]... [--format versus|promptfoo|openai-evals|csv]\n"
            "                     [-o FILE] [--all] [--include-restricted]\n\n"
            "Writes one test case per labelled round (every round with --all) of the named\n"
            "sessions (all saved sessions when none is named). A versus-format .jsonl file\n"
            "may be given instead of a session, to convert it to another format.\n"
            "  -f, --format F   versus (default; JSON Lines), promptfoo (YAML), openai-evals\n"
            "                   (JSONL samples), csv (one row per case and candidate)\n"
            "  -o, --output F   write to F (default: standard output); created 0600\n"
            "      --all        include unlabelled rounds\n"
            "      --include-restricted\n"
            "                   promptfoo, openai-evals, csv: keep restricted rounds (left out\n"
            "                   by default); promptfoo limits each to its local models,\n"
            "                   openai-evals refuses them. The versus format always keeps them.\n"
            "See versus-fixtures(5) for the formats.\n");
}

/* How an included restricted round is marked in a file of this format. */
static const char *restricted_marking(FixtureFormat f)
{
    switch (f) {
    case FIXTURE_PROMPTFOO: return "marked local-only (each runs only on the local models that answered it)";
    case FIXTURE_CSV: return "marked restricted in the sensitivity column";
    default: return "marked restricted";
    }
}

int cli_export(int argc, char **argv)
{
    enum { OPT_INCLUDE_RESTRICTED = 256 };
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' }, { "output", required_argument, NULL, 'o' },
        { "all", no_argument, NULL, 'A' }, { "include-restricted", no_argument, NULL, OPT_INCLUDE_RESTRICTED },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    FixtureFormat format = FIXTURE_VERSUS;
    FixtureExportOptions opt = { 0 };
    const char *output = NULL;
    bool all = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (fixture_format_parse(optarg, &format) < 0) {
                cli_printf(stderr, "versus export: --format must be versus, promptfoo, openai-evals or csv (got '%s')\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'o': output = optarg; break;
        case 'A': all = true; break;
        case OPT_INCLUDE_RESTRICTED: opt.include_restricted = true; break;
        case 'h': export_usage(stdout); return CLI_EXIT_OK;
        default: return cli_option_error("export", c, argv, longopts);
        }
    }
    FixtureSet set = { 0 };
    char err[2048];
    Buf warn = { 0 };
    int lrc = fixture_add_sources(&set, argc - optind, argv + optind, all, &warn, err, sizeof err);
    if (warn.len)
        cli_printf(stderr, "versus export: %s", buf_str(&warn));
    buf_free(&warn);
    if (lrc < 0) {
        cli_printf(stderr, "versus export: %s\n", err);
        fixture_set_free(&set);
        return CLI_EXIT_USAGE;
    }
    int rc = 0;
    Buf out = { 0 };
    FixtureExportReport rep = { 0 };
    bool exported = fixture_export(&set, format, &opt, &out, &rep, err, sizeof err) == 0;
    if (!exported) {
        cli_printf(stderr, "versus export: %s\n", err);
        rc = -1;
    } else if (rep.written > 0 && outfile_write(output, buf_str(&out), out.len, err, sizeof err) < 0) {
        cli_printf(stderr, "versus export: %s\n", err);
        rc = -1;
    }
    if (rc == 0) {
        for (const char *p = buf_str(&rep.notes), *e; *p; p = e + 1) {
            e = strchr(p, '\n');
            cli_printf(stderr, "versus export: %.*s\n", (int)(e ? e - p : (long)strlen(p)), p);
            if (!e)
                break;
        }
        if (rep.written > 0 && output && strcmp(output, "-") != 0)
            cli_printf(stderr, "versus export: %zu case%s written to %s (%s)\n", rep.written, rep.written == 1 ? "" : "s",
                    output, fixture_format_name(format));
        if (rep.restricted_left_out) {
            size_t n = rep.restricted_left_out;
            const char *it = n == 1 ? "it" : "them";
            char how[200];
            /* only what works for this format (versus-fixtures(5), RESTRICTED ROUNDS) */
            if (format == FIXTURE_OPENAI_EVALS)
                snprintf(how, sizeof how, "OpenAI evals can not keep a sample away from a closed API; --format "
                         "versus keeps %s", it);
            else
                snprintf(how, sizeof how, "--include-restricted keeps %s, %s", it, restricted_marking(format));
            cli_printf(stderr, "versus export: %zu restricted round%s left out of the %s file, which is meant for "
                               "another tool (%s)\n", n, n == 1 ? "" : "s", fixture_format_name(format), how);
        }
        if (rep.restricted_included)
            cli_printf(stderr, "versus export: %zu restricted round%s included, %s\n", rep.restricted_included,
                       rep.restricted_included == 1 ? "" : "s", restricted_marking(format));
        if (rep.not_carried)
            cli_printf(stderr, "versus export: %zu round%s with no winner or tie left out: %s needs an ideal answer\n",
                    rep.not_carried, rep.not_carried == 1 ? "" : "s", fixture_format_name(format));
        /* Nothing to write is an error now (exit 2, no file), as replaying
         * an empty file would be: a CI pipeline stops at this step. */
        if (rep.written == 0) {
            cli_printf(stderr, "versus export: nothing written: %s\n",
                       set.n == 0 ? "no labelled rounds found (label them with 'versus sessions label', or use --all)"
                                  : "every round was left out (see above)");
            rc = -1;
        }
    }
    fixture_export_report_free(&rep);
    fixture_set_free(&set);
    buf_free(&out);
    return rc < 0 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}
