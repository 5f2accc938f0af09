/* replay.c — `versus replay`: run a file of test cases again and check their
 * assertions — offline through the recorded bytes and the real decoders, or
 * live through the run layer — reporting pass/fail/drift, optionally as
 * JUnit XML. The logic is in store/replay.c; this file drives and prints. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "cli/print.h"
#include "util/clock.h"
#include "core/config.h"
#include "run/run.h"
#include "store/candidate.h"
#include "eval/replay.h"
#include "store/outfile.h"

static volatile sig_atomic_t replay_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    replay_interrupted = 1;
}

static void replay_usage(FILE *out)
{
    fprintf(out,
            "usage: versus replay --offline CASES.jsonl... [--pace]\n"
            "       versus replay CASES.jsonl... [-m SPEC]... [--jobs N] [--drift-threshold X]\n"
            "common: [--format text|junit] [-o FILE] [--fail-on-drift] [--strict] [--config FILE]\n\n"
            "Checks every case's assertions (see versus-fixtures(5)).\n"
            "  --offline          feed each candidate's recorded bytes through the real\n"
            "                     decoders instead of calling any API\n"
            "  --pace             offline: keep the recorded timing between chunks\n"
            "  -m, --model SPEC   live: ask these models (default: each case's candidates)\n"
            "  -j, --jobs N       live: cases in flight at once (default 4)\n"
            "  --drift-threshold X  live: relative cost or latency change that counts as\n"
            "                     drift (default 0.5 = 50%%)\n"
            "  --fail-on-drift    exit 1 on drift too (changed text, status, cost, latency)\n"
            "  --strict           any difference from the recorded reply fails the case: text,\n"
            "                     status, any cost change, an API reply with no recording\n"
            "  --send-key-to URL  live: let a provider's key go to URL although a case wrote\n"
            "                     it inline after the provider's name (by default a key goes\n"
            "                     only to the URL the config names for it; such a case is\n"
            "                     refused with a message)\n"
            "  -f, --format F     text (default) or junit (JUnit XML)\n"
            "  -o, --output FILE  write the report there (default: standard output)\n"
            "Exit status: 0 when every assertion holds, 1 when one fails, 2 on bad input.\n");
}

typedef struct ReplayArgs {
    bool offline, pace, junit, fail_on_drift, strict;
    const char **specs;
    size_t n_specs;
    const char **key_urls; /* --send-key-to */
    size_t n_key_urls;
    long jobs;
    double threshold;
    const char *output, *config;
} ReplayArgs;

static void print_case(Buf *b, const FixtureCase *c, const ReplayCaseResult *r, size_t i)
{
    char fallback[32];
    snprintf(fallback, sizeof fallback, "case %zu", i + 1);
    const char *id = c->id ? c->id : fallback;
    bool failed = replay_case_failed(r);
    const char *verdict = failed ? "FAIL" : r->drift ? "DRIFT" : "PASS";
    buf_printf(b, "%-5s %s  (%zu/%zu assertion%s hold%s)", verdict, id, r->passed, r->n_checks,
               r->n_checks == 1 ? "" : "s", r->n_checks == 1 ? "s" : "");
    if (failed) {
        char why[1024];
        replay_case_fail_summary(r, why, sizeof why);
        buf_printf(b, " \u2014 %s", why);
    }
    buf_puts(b, "\n");
    for (size_t k = 0; k < r->n_checks; k++) {
        const ReplayCheck *ch = &r->checks[k];
        if (ch->result == 1)
            continue;
        buf_printf(b, "      %s %s: %s%s\n", r->cands[ch->candidate].reply->spec,
                   assertion_kind_name(c->r.assertions[ch->assertion].kind), ch->result < 0 ? "cannot check: " : "",
                   ch->why);
    }
    for (size_t k = 0; k < r->n_cands; k++) {
        const ReplayCandidate *rc = &r->cands[k];
        if (rc->text_drift || rc->status_drift)
            buf_printf(b, "      drift %s:%s%s\n", rc->reply->spec, rc->text_drift ? " text changed" : "",
                       rc->status_drift ? " status changed" : "");
        if (isfinite(rc->cost_change) && fabs(rc->cost_change) >= 0.005)
            buf_printf(b, "      %s cost %+.0f%%\n", rc->reply->spec, 100 * rc->cost_change);
        if (isfinite(rc->latency_change) && fabs(rc->latency_change) >= 0.005)
            buf_printf(b, "      %s total time %+.0f%%\n", rc->reply->spec, 100 * rc->latency_change);
        const char *msg = rc->reply->error_message ? rc->reply->error_message : "?";
        if (rc->reply->status == REPLY_ERROR)
            buf_printf(b, "      %s error: %s\n", rc->reply->spec, msg);
        else if (rc->unsent_fails)
            buf_printf(b, "      %s not sent: %s (it ran in the recording: the case can not be checked as "
                          "recorded)\n", rc->reply->spec, msg);
        else if (rc->unsent_as_recorded)
            buf_printf(b, "      %s not sent, as recorded: %s\n", rc->reply->spec, msg);
        else if (rc->reply->status == REPLY_NOT_SENT)
            buf_printf(b, "      %s not sent: %s\n", rc->reply->spec, msg);
        if (rc->reply->status == REPLY_NOT_SENT && rc->reply->error_hint && !rc->unsent_as_recorded)
            buf_printf(b, "      %s hint: %s\n", rc->reply->spec, rc->reply->error_hint);
    }
    for (const char *p = r->strict_why, *e; r->strict_failed && *p; p = e + 1) {
        e = strchr(p, '\n');
        buf_printf(b, "      strict: %.*s\n", e ? (int)(e - p) : (int)strlen(p), p);
        if (!e)
            break;
    }
}

/* ---- live --------------------------------------------------------------------- */

typedef struct LiveSlot {
    Run *run;
    size_t case_index;
} LiveSlot;

static Run *start_live(const Config *cfg, const FixtureCase *c, const ReplayArgs *a, char *err, size_t errlen)
{
    Request rq = { .system = c->r.system, .prompt = c->r.prompt, .params = c->r.params,
                   .sensitivity = c->r.sensitivity };
    const char **specs = a->specs;
    size_t n = a->n_specs;
    const char **own = NULL;
    if (!n) {
        own = calloc(c->r.n_replies ? c->r.n_replies : 1, sizeof *own);
        if (!own) {
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        for (size_t k = 0; k < c->r.n_replies; k++)
            own[k] = c->r.replies[k]->spec;
        specs = own;
        n = c->r.n_replies;
    }
    if (!n) {
        free(own);
        snprintf(err, errlen, "the case has no candidates; name models with -m");
        return NULL;
    }
    RunOptions opt = run_options_default();
    opt.record = true;
    opt.key_urls = a->key_urls;
    opt.n_key_urls = a->n_key_urls;
    Run *run = run_new(cfg, &rq, specs, n, &opt, err, errlen);
    free(own);
    if (run && run_start(run) < 0) {
        snprintf(err, errlen, "the HTTP layer could not start");
        run_free(run);
        return NULL;
    }
    return run;
}

static int finish_live(LiveSlot *s, const FixtureSet *set, const ReplayArgs *a, ReplayCaseResult *res, double t0,
                       char *err, size_t errlen)
{
    const FixtureCase *c = &set->cases[s->case_index];
    size_t n = run_count(s->run);
    Reply **replies = calloc(n ? n : 1, sizeof *replies);
    if (!replies) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < n; k++)
        if (!(replies[k] = candidate_clone(run_reply(s->run, k)))) {
            for (size_t j = 0; j < k; j++)
                reply_free(replies[j]);
            free(replies);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    run_free(s->run);
    s->run = NULL;
    int rc = replay_case_check(c, replies, n, a->n_specs == 0, a->threshold, &res[s->case_index], err, errlen);
    free(replies);
    if (rc == 0 && a->strict) /* before the progress line, so that it says what the verdict will */
        replay_case_strict(&res[s->case_index], false);
    res[s->case_index].elapsed_ms = clock_now_ms() - t0;
    return rc;
}

static int replay_live(const FixtureSet *set, const ReplayArgs *a, ReplayCaseResult *res)
{
    char err[1024];
    Config *cfg = config_load(a->config, err, sizeof err);
    if (!cfg) {
        cli_printf(stderr, "versus replay: %s\n", err);
        return -1;
    }
    LiveSlot *slots = calloc((size_t)a->jobs, sizeof *slots);
    double *t0 = calloc(set->n ? set->n : 1, sizeof *t0);
    int rc = slots && t0 ? 0 : -1;
    size_t next = 0, done = 0;
    while (rc == 0 && done < set->n) {
        for (long j = 0; j < a->jobs && next < set->n && !replay_interrupted; j++) {
            if (slots[j].run)
                continue;
            t0[next] = clock_now_ms();
            slots[j].run = start_live(cfg, &set->cases[next], a, err, sizeof err);
            slots[j].case_index = next;
            if (!slots[j].run) {
                cli_printf(stderr, "versus replay: %s: %s\n", set->cases[next].id ? set->cases[next].id : "case", err);
                rc = -1;
                break;
            }
            next++;
        }
        bool any = false;
        for (long j = 0; rc == 0 && j < a->jobs; j++) {
            if (!slots[j].run)
                continue;
            any = true;
            if (replay_interrupted)
                run_cancel(slots[j].run);
            run_poll(slots[j].run, NULL, 0, 20);
            if (!run_done(slots[j].run))
                continue;
            if (finish_live(&slots[j], set, a, res, t0[slots[j].case_index], err, sizeof err) < 0) {
                cli_printf(stderr, "versus replay: %s\n", err);
                rc = -1;
                break;
            }
            done++;
            const ReplayCaseResult *r = &res[slots[j].case_index];
            cli_printf(stderr, "[%zu/%zu] %s %s\n", done, set->n,
                    set->cases[slots[j].case_index].id ? set->cases[slots[j].case_index].id : "case",
                    replay_case_failed(r) ? "FAIL" : r->drift ? "DRIFT" : "PASS");
        }
        if (!any && (replay_interrupted || next >= set->n))
            break;
    }
    for (long j = 0; slots && j < a->jobs; j++)
        run_free(slots[j].run);
    free(slots);
    free(t0);
    config_free(cfg);
    if (rc == 0 && replay_interrupted)
        rc = -2;
    return rc;
}

/* ---- the command -------------------------------------------------------------- */

static int parse_args(int argc, char **argv, ReplayArgs *a)
{
    enum { OPT_OFFLINE = 256, OPT_PACE, OPT_DRIFT, OPT_FAIL_DRIFT, OPT_CONFIG, OPT_KEY_URL, OPT_STRICT };
    static const struct option longopts[] = {
        { "offline", no_argument, NULL, OPT_OFFLINE }, { "pace", no_argument, NULL, OPT_PACE },
        { "model", required_argument, NULL, 'm' }, { "jobs", required_argument, NULL, 'j' },
        { "drift-threshold", required_argument, NULL, OPT_DRIFT },
        { "fail-on-drift", no_argument, NULL, OPT_FAIL_DRIFT }, { "strict", no_argument, NULL, OPT_STRICT },
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' }, { "config", required_argument, NULL, OPT_CONFIG },
        { "send-key-to", required_argument, NULL, OPT_KEY_URL },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    *a = (ReplayArgs){ .jobs = 4, .threshold = 0.5 };
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":m:j:f:o:h", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case OPT_OFFLINE: a->offline = true; break;
        case OPT_PACE: a->pace = true; break;
        case OPT_FAIL_DRIFT: a->fail_on_drift = true; break;
        case OPT_STRICT: a->strict = true; break;
        case OPT_CONFIG: a->config = optarg; break;
        case OPT_KEY_URL: {
            const char **p = realloc(a->key_urls, (a->n_key_urls + 1) * sizeof *p);
            if (!p)
                return CLI_EXIT_USAGE;
            a->key_urls = p;
            a->key_urls[a->n_key_urls++] = optarg;
            break;
        }
        case 'o': a->output = optarg; break;
        case 'm': {
            const char **p = realloc(a->specs, (a->n_specs + 1) * sizeof *p);
            if (!p)
                return CLI_EXIT_USAGE;
            a->specs = p;
            a->specs[a->n_specs++] = optarg;
            break;
        }
        case 'j':
            errno = 0;
            a->jobs = strtol(optarg, &end, 10);
            if (!*optarg || *end || errno || a->jobs < 1 || a->jobs > 256) {
                cli_printf(stderr, "versus replay: --jobs must be 1 to 256 (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_DRIFT:
            a->threshold = strtod(optarg, &end);
            if (!*optarg || *end || !(a->threshold >= 0)) {
                cli_printf(stderr, "versus replay: --drift-threshold must be a number >= 0 (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'f':
            if (strcmp(optarg, "junit") == 0) {
                a->junit = true;
            } else if (strcmp(optarg, "text") != 0) {
                cli_printf(stderr, "versus replay: --format must be text or junit (got '%s')\n", optarg);
                return CLI_EXIT_USAGE;
            }
            break;
        case 'h': replay_usage(stdout); return CLI_EXIT_OK;
        default: return cli_option_error("replay", c, argv, longopts);
        }
    }
    if (optind >= argc) {
        cli_printf(stderr, "versus replay: expected CASES.jsonl (from 'versus export')\n");
        return CLI_EXIT_USAGE;
    }
    if (a->offline && a->n_specs) {
        cli_printf(stderr, "versus replay: --offline replays the recordings; -m applies to live replay only\n");
        return CLI_EXIT_USAGE;
    }
    return -1; /* go on */
}

int cli_replay(int argc, char **argv)
{
    ReplayArgs a;
    int prc = parse_args(argc, argv, &a);
    if (prc >= 0) {
        free(a.specs);
        free(a.key_urls);
        return prc;
    }
    FixtureSet set = { 0 };
    ReplayCaseResult *res = NULL;
    Buf out = { 0 };
    int rc = CLI_EXIT_USAGE;
    char err[2048];
    for (int i = optind; i < argc; i++)
        if (fixture_load_file(argv[i], &set, err, sizeof err) < 0) {
            cli_printf(stderr, "versus replay: %s\n", err);
            goto out;
        }
    if (set.n == 0) {
        cli_printf(stderr, "versus replay: no cases in the file%s\n", argc - optind > 1 ? "s" : "");
        goto out;
    }
    res = calloc(set.n, sizeof *res);
    if (!res)
        goto out;
    double t0 = clock_now_ms();
    void (*old)(int) = signal(SIGINT, on_sigint);
    if (a.offline) {
        for (size_t i = 0; i < set.n && !replay_interrupted; i++) {
            if (replay_case_offline(&set.cases[i], a.pace, &res[i], err, sizeof err) < 0) {
                cli_printf(stderr, "versus replay: %s\n", err);
                signal(SIGINT, old);
                goto out;
            }
            if (set.n >= 20 || a.pace)
                fprintf(stderr, "\r[%zu/%zu]", i + 1, set.n);
        }
        if (set.n >= 20 || a.pace)
            cli_printf(stderr, "\n");
    } else {
        int lrc = replay_live(&set, &a, res);
        if (lrc == -1) {
            signal(SIGINT, old);
            goto out;
        }
    }
    signal(SIGINT, old);
    double total = clock_now_ms() - t0;
    size_t failed = 0, drift = 0, checks = 0;
    for (size_t i = 0; i < set.n; i++) {
        /* live, a candidate versus refused to send (restricted data, a key's
         * URL) that ran in the recording fails its case (replay_case_check;
         * strict was applied as each case ended). Offline, a stored not_sent
         * candidate is what was recorded: there is nothing to replay */
        if (a.strict && a.offline)
            replay_case_strict(&res[i], true);
        failed += replay_case_failed(&res[i]);
        drift += res[i].drift;
        checks += res[i].n_checks;
    }
    if (a.junit) {
        replay_junit(&set, res, total, &out);
    } else {
        for (size_t i = 0; i < set.n; i++)
            print_case(&out, &set.cases[i], &res[i], i);
        buf_printf(&out, "\n%zu cases, %zu assertions checked: %zu failing case%s, %zu with drift (%s, %.0f ms)\n",
                   set.n, checks, failed, failed == 1 ? "" : "s", drift, a.offline ? "offline" : "live", total);
    }
    char werr[4400];
    if (outfile_write(a.output, buf_str(&out), out.len, werr, sizeof werr) < 0) {
        cli_printf(stderr, "versus replay: %s\n", werr);
        goto out;
    }
    if (a.junit && a.output)
        cli_printf(stderr, "versus replay: %zu cases, %zu failing, %zu with drift; JUnit XML in %s\n", set.n, failed,
                drift, a.output);
    if (replay_interrupted)
        rc = CLI_EXIT_CANCELLED;
    else
        rc = failed || (a.fail_on_drift && drift) ? CLI_EXIT_MODEL_FAILED : CLI_EXIT_OK;
out:
    for (size_t i = 0; res && i < set.n; i++)
        replay_case_result_free(&res[i]);
    free(res);
    buf_free(&out);
    fixture_set_free(&set);
    free(a.specs);
    free(a.key_urls);
    return rc;
}
