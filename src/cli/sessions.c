/* sessions.c — `versus sessions list|show|label|rm`: browse saved sessions and
 * label their rounds from the command line. The store logic lives in
 * store/session.c; this file only parses arguments and prints. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"
#include "core/prices.h"
#include "store/session.h"

static void sessions_usage(FILE *out)
{
    fprintf(out,
            "usage: versus sessions list\n"
            "       versus sessions show SESSION [ROUND] [--json]\n"
            "       versus sessions label SESSION ROUND --winner N|MODEL|tie|both-bad\n"
            "                             [--note TEXT] [--category CAT] [--assert TYPE:VALUE]...\n"
            "       versus sessions rm [--force] SESSION...\n\n"
            "SESSION is a session ID (or a unique prefix of one) from 'versus sessions list',\n"
            "or a path to a session file; rm wants the full ID (a prefix: a yes on the\n"
            "terminal, or --force). ROUND and N count from 1; N is the pane number.\n"
            "Sessions live in $XDG_DATA_HOME/versus/sessions (~/.local/share/versus/sessions).\n"
            "Assertion types: contains, not-contains, regex, equals, is-json[:SCHEMA],\n"
            "max-output-tokens, max-cost, max-ttft-ms, max-total-ms, tool-call:NAME[={ARGS}|~{SCHEMA}]\n"
            "(see versus-fixtures(5)).\n");
}

static void fmt_time(double wall_s, char *out, size_t n)
{
    time_t t = (time_t)wall_s;
    struct tm tm;
    if (wall_s <= 0 || !localtime_r(&t, &tm) || !strftime(out, n, "%Y-%m-%d %H:%M", &tm))
        snprintf(out, n, "-");
}

static int sessions_list(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        cli_printf(stderr, "versus sessions list: takes no arguments\n");
        return CLI_EXIT_USAGE;
    }
    SessionInfo *info;
    size_t n;
    char err[512];
    if (session_list(NULL, &info, &n, err, sizeof err) < 0) {
        cli_printf(stderr, "versus sessions: %s\n", err);
        return CLI_EXIT_USAGE;
    }
    if (n == 0) {
        char dir[4096];
        if (session_dir(dir, sizeof dir) < 0)
            snprintf(dir, sizeof dir, "(unknown)");
        cli_printf(stdout, "no sessions yet in %s\n", dir);
    } else {
        cli_printf(stdout, "%-22s %-16s %6s %8s  %s\n", "ID", "UPDATED", "ROUNDS", "LABELLED", "FIRST PROMPT");
    }
    for (size_t i = 0; i < n; i++) {
        char when[32];
        fmt_time(info[i].updated_s, when, sizeof when);
        if (info[i].ok)
            cli_printf(stdout, "%-22s %-16s %6zu %8zu  %s\n", info[i].id, when, info[i].n_rounds, info[i].n_labelled,
                   info[i].first_prompt);
        else
            cli_printf(stdout, "%-22s %-16s %6s %8s  (unreadable: %s)\n", info[i].id, when, "?", "?", info[i].error);
    }
    free(info);
    return CLI_EXIT_OK;
}

static Session *load_arg(const char *name, const char *cmd)
{
    char path[4096], err[1024];
    if (session_resolve(NULL, name, path, sizeof path, err, sizeof err) < 0) {
        cli_printf(stderr, "versus sessions %s: %s\n", cmd, err);
        return NULL;
    }
    Session *s = session_load(path, err, sizeof err);
    if (!s)
        cli_printf(stderr, "versus sessions %s: %s\n", cmd, err);
    return s;
}

static int parse_round(const char *arg, const Session *s, size_t *out, const char *cmd)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (!*arg || *end || v < 1 || (size_t)v > s->n_rounds) {
        cli_printf(stderr, "versus sessions %s: ROUND must be 1 to %zu (got '%s')\n", cmd, s->n_rounds, arg);
        return -1;
    }
    *out = (size_t)v - 1;
    return 0;
}

static void print_num(const char *label, double v, const char *unit, int prec)
{
    if (isfinite(v) && v >= 0)
        cli_printf(stdout, "  %s %.*f%s", label, prec, v, unit);
}

static void show_round(const SessionRound *r, size_t idx)
{
    char when[32];
    fmt_time(r->time_s, when, sizeof when);
    cli_printf(stdout, "── round %zu  (%s, %s)\n", idx + 1, when, sensitivity_name(r->sensitivity));
    if (r->system)
        cli_printf(stdout, "system: %s\n", r->system);
    cli_printf(stdout, "prompt: %s\n", r->prompt);
    for (size_t i = 0; i < r->n_replies; i++) {
        const Reply *p = r->replies[i];
        cli_printf(stdout, "\n[%zu] %s%s — %s", i + 1, p->spec, (int)i == r->winner ? "  ★ winner" : "",
               reply_status_name(p->status));
        if (p->finish_reason[0])
            cli_printf(stdout, " (%s)", p->finish_reason);
        if (p->incomplete)
            cli_printf(stdout, " incomplete");
        print_num("ttft", p->metrics.ttft_ms, " ms", 0);
        print_num("total", p->metrics.total_ms, " ms", 0);
        print_num("", p->metrics.output_tokens_per_s, " tok/s", 1);
        if (p->usage.input_tokens >= 0 || p->usage.output_tokens >= 0)
            cli_printf(stdout, "  tokens %ld→%ld", p->usage.input_tokens, p->usage.output_tokens);
        if (isfinite(p->metrics.cost_usd))
            cli_printf(stdout, "  %s$%.6f%s", strcmp(p->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0 ? "~" : "",
                       p->metrics.cost_usd,
                       strcmp(p->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0 ? " (estimated from measured speed)"
                                                                                   : "");
        if (r->vram_mib && r->vram_mib[i] >= 0)
            cli_printf(stdout, "  VRAM %.0f MiB", r->vram_mib[i]);
        cli_printf(stdout, "\n");
        if (p->status == REPLY_ERROR || p->status == REPLY_NOT_SENT)
            cli_printf(stdout, "error: %s%s%s\n", p->error_type ? p->error_type : "", p->error_type ? ": " : "",
                   p->error_message ? p->error_message : "");
        if ((p->status == REPLY_REFUSED || p->status == REPLY_BLOCKED) && p->status_reason)
            cli_printf(stdout, "%s: %s%s%s\n", reply_status_name(p->status), p->status_reason,
                       p->refusal.len ? " — " : "", buf_str(&p->refusal));
        if (p->reasoning.len || p->usage.reasoning_tokens > 0) {
            cli_printf(stdout, "reasoning");
            if (p->usage.reasoning_tokens >= 0)
                cli_printf(stdout, " (%ld tokens)", p->usage.reasoning_tokens);
            cli_printf(stdout, ": %s\n", p->reasoning.len ? buf_str(&p->reasoning) : "(not shown by the provider)");
        }
        if (p->truncated_by_reasoning)
            cli_printf(stdout, "truncated by reasoning: the output budget went to reasoning\n");
        if (p->text.len)
            cli_printf(stdout, "%s\n", buf_str(&p->text));
        for (size_t k = 0; k < p->n_tool_calls; k++)
            cli_printf(stdout, "tool call: %s %s\n", p->tool_calls[k].name, p->tool_calls[k].arguments);
    }
    cli_printf(stdout, "\nlabel: %s%s", session_outcome_name(r->outcome),
               r->blind && r->outcome != SESSION_UNLABELLED ? " (given blind)" : "");
    if (r->category)
        cli_printf(stdout, "  category: %s", r->category);
    if (r->note)
        cli_printf(stdout, "  note: %s", r->note);
    cli_printf(stdout, "\n");
    for (size_t i = 0; i < r->n_assertions; i++) {
        const Assertion *a = &r->assertions[i];
        cli_printf(stdout, "assert: %s", assertion_kind_name(a->kind));
        if (a->value)
            cli_printf(stdout, " %s", a->value);
        else if (isfinite(a->limit))
            cli_printf(stdout, " %g", a->limit);
        if (a->model)
            cli_printf(stdout, " (only %s)", a->model);
        cli_printf(stdout, "\n");
    }
    cli_printf(stdout, "\n");
}

static int sessions_show(int argc, char **argv)
{
    static const struct option longopts[] = { { "json", no_argument, NULL, 'j' }, { NULL, 0, NULL, 0 } };
    bool json = false;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j", longopts, NULL)) != -1) {
        if (c != 'j')
            return cli_option_error("sessions show", c, argv, longopts);
        json = true;
    }
    if (optind >= argc || argc - optind > 2) {
        cli_printf(stderr, "versus sessions show: expected SESSION [ROUND]\n");
        return CLI_EXIT_USAGE;
    }
    Session *s = load_arg(argv[optind], "show");
    if (!s)
        return CLI_EXIT_USAGE;
    size_t first = 0, last = s->n_rounds;
    if (argc - optind == 2) {
        if (parse_round(argv[optind + 1], s, &first, "show") < 0) {
            session_free(s);
            return CLI_EXIT_USAGE;
        }
        last = first + 1;
    }
    if (json) {
        cJSON *doc = argc - optind == 2 ? session_round_to_json(&s->rounds[first]) : session_to_json(s);
        char *text = doc ? cJSON_Print(doc) : NULL;
        if (text)
            cli_printf(stdout, "%s\n", text);
        free(text);
        cJSON_Delete(doc);
    } else {
        cli_printf(stdout, "session %s  (%zu rounds)\n%s\n\n", s->id, s->n_rounds, s->path);
        for (size_t i = first; i < last; i++)
            show_round(&s->rounds[i], i);
    }
    session_free(s);
    return CLI_EXIT_OK;
}

/* --winner: a pane number, a model name, tie or both-bad. */
static int parse_winner(const char *arg, const SessionRound *r, SessionLabel *lab)
{
    if (strcmp(arg, "tie") == 0) {
        lab->outcome = SESSION_TIE;
        return 0;
    }
    if (strcmp(arg, "both-bad") == 0 || strcmp(arg, "both_bad") == 0) {
        lab->outcome = SESSION_BOTH_BAD;
        return 0;
    }
    char *end;
    long v = strtol(arg, &end, 10);
    if (*arg && !*end) {
        if (v < 1 || (size_t)v > r->n_replies) {
            cli_printf(stderr, "versus sessions label: --winner %s: the round has panes 1 to %zu\n", arg, r->n_replies);
            return -1;
        }
        lab->outcome = SESSION_WIN;
        lab->winner = (int)v - 1;
        return 0;
    }
    int i = session_round_find(r, arg);
    if (i < 0) {
        cli_printf(stderr, "versus sessions label: --winner %s: no such model in this round; it has:", arg);
        for (size_t k = 0; k < r->n_replies; k++)
            cli_printf(stderr, " %s", r->replies[k]->spec);
        cli_printf(stderr, "\n");
        return -1;
    }
    lab->outcome = SESSION_WIN;
    lab->winner = i;
    return 0;
}

static int sessions_label(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "winner", required_argument, NULL, 'w' }, { "note", required_argument, NULL, 'n' },
        { "category", required_argument, NULL, 'c' }, { "assert", required_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 },
    };
    const char *winner = NULL, *note = NULL, *category = NULL;
    const char **asserts = NULL;
    size_t n_asserts = 0;
    int rc = CLI_EXIT_USAGE, c;
    Session *s = NULL;
    char err[1024];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:n:c:a:", longopts, NULL)) != -1) {
        switch (c) {
        case 'w': winner = optarg; break;
        case 'n': note = optarg; break;
        case 'c': category = optarg; break;
        case 'a': {
            const char **p = realloc(asserts, (n_asserts + 1) * sizeof *p);
            if (!p)
                goto out;
            asserts = p;
            asserts[n_asserts++] = optarg;
            break;
        }
        default:
            rc = cli_option_error("sessions label", c, argv, longopts);
            goto out;
        }
    }
    if (argc - optind != 2 || !winner) {
        cli_printf(stderr, "versus sessions label: expected SESSION ROUND --winner N|MODEL|tie|both-bad\n");
        goto out;
    }
    s = load_arg(argv[optind], "label");
    size_t round;
    if (!s || parse_round(argv[optind + 1], s, &round, "label") < 0)
        goto out;
    SessionRound *r = &s->rounds[round];
    SessionLabel lab = { .winner = -1, .note = note ? note : r->note, .category = category ? category : r->category };
    if (parse_winner(winner, r, &lab) < 0)
        goto out;
    if (session_label_round(s, round, &lab, err, sizeof err) < 0) {
        cli_printf(stderr, "versus sessions label: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < n_asserts; i++) {
        Assertion a;
        int arc = assertion_from_arg(asserts[i], &a, err, sizeof err);
        if (arc == 0) {
            arc = session_add_assertion(s, round, &a, err, sizeof err);
            assertion_free(&a);
        }
        if (arc < 0) {
            cli_printf(stderr, "versus sessions label: --assert %s: %s\n", asserts[i], err);
            goto out;
        }
    }
    if (session_save(s, err, sizeof err) < 0) {
        cli_printf(stderr, "versus sessions label: %s\n", err);
        goto out;
    }
    r = &s->rounds[round];
    cli_printf(stdout, "%s round %zu: %s", s->id, round + 1, session_outcome_name(r->outcome));
    if (r->outcome == SESSION_WIN)
        cli_printf(stdout, " (%s)", r->replies[r->winner]->spec);
    cli_printf(stdout, "\n");
    rc = CLI_EXIT_OK;
out:
    free(asserts);
    session_free(s);
    return rc;
}

/* True when name is the whole session ID of path, or a path itself (not
 * a prefix of an ID). */
static bool names_it_fully(const char *name, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(name);
    return strcmp(path, name) == 0 || (strncmp(base, name, n) == 0 && strcmp(base + n, ".json") == 0);
}

/* Asks on the terminal whether to remove id; true for y/yes. */
static bool confirm_rm(const char *given, const char *id)
{
    cli_printf(stderr, "versus sessions rm: \"%s\" is session %s; remove it? [y/N] ", given, id);
    fflush(stderr);
    char line[32];
    if (!fgets(line, sizeof line, stdin))
        return false;
    return strcmp(line, "y\n") == 0 || strcmp(line, "yes\n") == 0 || strcmp(line, "Y\n") == 0;
}

static int sessions_rm(int argc, char **argv)
{
    bool force = false;
    int n_named = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
            force = true;
        else if (argv[i][0] == '-' && argv[i][1]) {
            cli_printf(stderr, "versus sessions rm: unknown option '%s' (only --force)\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else
            n_named++;
    }
    if (n_named == 0) {
        cli_printf(stderr, "versus sessions rm: expected SESSION...\n");
        return CLI_EXIT_USAGE;
    }
    bool ask = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    int rc = CLI_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        char path[4096], err[1024];
        if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0)
            continue;
        if (session_resolve(NULL, argv[i], path, sizeof path, err, sizeof err) < 0) {
            cli_printf(stderr, "versus sessions rm: %s\n", err);
            rc = CLI_EXIT_USAGE;
            continue;
        }
        /* a prefix picks a session the user may not have meant: removing
         * it wants the full ID, a yes on the terminal, or --force */
        if (!force && !names_it_fully(argv[i], path)) {
            const char *base = strrchr(path, '/');
            char id[256];
            snprintf(id, sizeof id, "%.*s", (int)strcspn(base ? base + 1 : path, "."), base ? base + 1 : path);
            if (!ask || !confirm_rm(argv[i], id)) {
                cli_printf(stderr, "versus sessions rm: \"%s\" is only the start of session %s; nothing "
                                   "removed (give the full ID, or --force)\n", argv[i], id);
                rc = CLI_EXIT_USAGE;
                continue;
            }
        }
        /* only delete what really is a session file */
        Session *s = session_load(path, err, sizeof err);
        if (!s) {
            cli_printf(stderr, "versus sessions rm: refusing to delete %s: %s\n", path, err);
            rc = CLI_EXIT_USAGE;
            continue;
        }
        session_free(s);
        if (unlink(path) < 0) {
            perror(path);
            rc = CLI_EXIT_USAGE;
        } else {
            cli_printf(stdout, "removed %s\n", path);
        }
    }
    return rc;
}

int cli_sessions(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int, char **);
    } subs[] = {
        { "list", sessions_list }, { "ls", sessions_list }, { "show", sessions_show },
        { "label", sessions_label }, { "rm", sessions_rm },
    };
    if (argc < 2) {
        return sessions_list(1, argv);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        sessions_usage(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
        if (strcmp(argv[1], subs[i].name) == 0)
            return subs[i].fn(argc - 1, argv + 1);
    cli_printf(stderr, "versus sessions: unknown action '%s'\n", argv[1]);
    sessions_usage(stderr);
    return CLI_EXIT_USAGE;
}
