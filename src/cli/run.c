/* run.c — `versus run`: one prompt to several models at once, headless.
 *
 * Parses options, builds the Request and a Run, drives it to completion
 * (Ctrl-C cancels every stream cleanly) and prints the replies as text, one
 * JSON document, or JSON Lines events. Not for `versus models` (models.c) or
 * the option parsing other subcommands share (options.c). */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/options.h"
#include "cli/print.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/file.h"
#include "core/config.h"
#include "core/keys.h"
#include "core/prices.h"
#include "core/progress.h"
#include "core/reply_json.h"
#include "run/run.h"
#include "util/utf8.h"
#include "providers/local.h"
#include "providers/provider.h"
#include "providers/target.h"
#include "core/keyfilter.h"
#include "core/termsafe.h"
#include "store/session.h"

typedef enum OutputFormat { FORMAT_TEXT, FORMAT_JSON, FORMAT_JSONL } OutputFormat;

/* The signal handler's only window into the run: the one global this
 * command owns. */
static volatile int run_interrupted;
static Run *volatile run_for_signal;

static void on_sigint(int sig)
{
    (void)sig;
    run_interrupted = 1;
    if (run_for_signal)
        run_wakeup(run_for_signal);
}

static void run_usage(FILE *out)
{
    fprintf(out,
            "usage: versus run [OPTIONS] PROMPT      (PROMPT '-' reads standard input)\n\n"
            "Sends PROMPT to every model at once and prints the replies.\n\n"
            "  -m, --model SPEC        a model (repeatable): openai:MODEL, anthropic:MODEL,\n"
            "                          gemini:MODEL, ollama:MODEL, openai-compat:MODEL@URL,\n"
            "                          PROVIDER:MODEL@URL (another endpoint; a key goes there\n"
            "                          only with --send-key-to), local:PATH.gguf,\n"
            "                          local:hf://OWNER/REPO/FILE.gguf, or a\n"
            "                          provider/alias from the config. Default: the config's\n"
            "                          defaults.models (else the local model and each closed\n"
            "                          provider's), those with a key set or needing none.\n"
            "  -s, --system TEXT       system prompt\n"
            "  -n, --max-tokens N      cap on output tokens\n"
            "  -t, --temperature T     sampling temperature (0 = greedy)\n"
            "      --top-p P           nucleus sampling\n"
            "      --top-k K           top-k sampling (local, Gemini, Ollama)\n"
            "      --min-p P           min-p sampling (local)\n"
            "      --repeat-penalty R  repetition penalty (local)\n"
            "      --seed N            random seed\n"
            "      --reasoning R       how much to reason: off, low, medium, high, or a budget\n"
            "                          in tokens; per model: -m SPEC#R (e.g. openai:o4-mini#high)\n"
            "      --timeout S         give up on a model after S seconds\n"
            "  -f, --format FMT        text (default), json (one document), jsonl (events)\n"
            "      --raw               local models: no chat template, prompt as is\n"
            "  -c, --ctx N             local models: context length (default min(model, 4096))\n"
            "      --threads N         local models: CPU threads (default: all cores)\n"
            "      --backend B         local models: auto, cpu or cuda\n"
            "      --gpu-layers N      local models: layers on the GPU (default: all that fit;\n"
            "                          0 = CPU only)\n"
            "      --kv-type T         local models on the CPU: KV cache f16 (default), f32 or\n"
            "                          q8_0 (config: \"local\": {\"kv_type\": T})\n"
            "      --sensitivity C     public, internal or restricted (restricted never\n"
            "                          leaves the machine: closed APIs are refused)\n"
            "      --save              save the round in a new session (sessions list|show|label)\n"
            "      --session NAME      append the round to an existing session (implies --save)\n"
            "      --continue SESSION  a follow-up: the prompt is the next turn of SESSION's last\n"
            "                          conversation, each model sent its own earlier replies;\n"
            "                          the round is saved there (default models: that round's)\n"
            "      --record            keep each reply's raw bytes with arrival times (default\n"
            "                          when saving; --no-record turns it off)\n"
            "      --config PATH       config file (default $XDG_CONFIG_HOME/versus/config.json)\n"
            "      --no-progress       nothing on standard error while it runs (the live status\n"
            "                          line, a local model's download and load)\n"
            "      --send-key-to URL   let a provider's key go to URL written inline after its\n"
            "                          name (PROVIDER:MODEL@URL); by default a key goes only to\n"
            "                          the URL the config names for it\n"
            "  -h, --help              this help\n\n"
            "Exit status: 0 all models answered, 1 some model failed, refused or was\n"
            "blocked, 2 usage or config error, 130 interrupted. Keys come from\n"
            "OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY (or GOOGLE_API_KEY), or\n"
            "0600 key files; see versus(1).\n");
}

#define RUN_MAX_STDIN_PROMPT (64u << 20)

/* The prompt from standard input; NULL with err. */
static char *read_stdin(char *err, size_t errlen)
{
    Buf b = { 0 };
    if (util_read_fd(STDIN_FILENO, "standard input", RUN_MAX_STDIN_PROMPT, &b, err, errlen) < 0)
        return NULL;
    /* a prompt is text: a NUL byte would cut it short without a word */
    const char *nul = b.len ? memchr(b.data, '\0', b.len) : NULL;
    if (nul) {
        snprintf(err, errlen, "standard input holds a NUL byte (at byte %zu of %zu): a prompt must be text; "
                 "nothing was sent", (size_t)(nul - b.data), b.len);
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

/* ---- printing ------------------------------------------------------------ */

typedef struct Printer {
    OutputFormat format;
    Run *run;
    bool live_single;    /* one model, text: stream its text straight to stdout */
    bool progress;       /* live progress line on stderr */
    bool *printed;       /* (n) text format: reply already printed */
    bool *final;         /* (n) text format: reply i has ended (printed once all before it are) */
    size_t next_print;   /* text format: the first reply not yet printed, in -m order */
    bool live_reasoning; /* live_single: the reasoning block is open */
    bool live_answer;    /* live_single: the answer header is printed (after reasoning) */
    double last_progress_ms;
    bool progress_shown;
    bool fetch_line;     /* one model, stderr a terminal: its download/load on one updating line */
    bool fetch_plain;    /* stderr not a terminal: a plain line as each tenth of a download arrives */
    int *fetch_tenth;    /* (n) fetch_plain: the last tenth printed, -1 before the first line */
} Printer;

/* Writes reply text to stdout: keys masked, and made safe when stdout is a
 * terminal (a hostile server must not drive the user's terminal). */
static void print_text(const char *text, size_t len) { cli_write(stdout, text, len); }

static void clear_progress(Printer *p)
{
    if (p->progress_shown) {
        fputs("\r\033[K", stderr);
        p->progress_shown = false;
    }
}

static void draw_progress(Printer *p, bool force)
{
    double now = clock_now_ms();
    if (!p->progress || (!force && now - p->last_progress_ms < 250))
        return;
    p->last_progress_ms = now;
    Buf line = { 0 };
    size_t n = run_count(p->run);
    for (size_t i = 0; i < n; i++) {
        const Reply *r = run_reply(p->run, i);
        double tps = reply_live_tokens_per_s(r);
        buf_puts(&line, i ? " | " : "");
        termsafe_append(&line, r->spec, strlen(r->spec));
        buf_printf(&line, " %s", reply_status_name(r->status));
        if (r->status == REPLY_WAITING && progress_active(&r->progress)) {
            int pct = progress_percent(&r->progress);
            buf_printf(&line, " (%s", strcmp(r->progress.phase, "download") == 0 ? "downloading" : "loading");
            buf_printf(&line, pct >= 0 ? " %d%%)" : ")", pct);
        }
        if (r->status == REPLY_STREAMING || r->status == REPLY_OK)
            buf_printf(&line, " %ld tok", reply_output_tokens(r));
        if (tps > 0)
            buf_printf(&line, " %.0f/s", tps);
    }
    /* Keep it to one terminal line. */
    if (line.len > 150)
        line.data[150] = '\0';
    fprintf(stderr, "\r\033[K%s", buf_str(&line));
    fflush(stderr);
    p->progress_shown = true;
    buf_free(&line);
}

/* A local model's download or load, as it happens (never under --no-progress
 * or with jsonl, which carries it as events): on a terminal one updating line
 * (the status line when several models run), elsewhere a plain line at the
 * start of a download, at each further tenth of it, and at its end. */
static void show_fetch(Printer *p, size_t i, const Reply *r)
{
    if (p->progress) {
        draw_progress(p, false);
        return;
    }
    double now = clock_now_ms();
    char line[320];
    if (p->fetch_line) {
        if (!progress_active(&r->progress)) {
            clear_progress(p);
        } else if (now - p->last_progress_ms >= 100) {
            p->last_progress_ms = now;
            progress_line(&r->progress, now, line, sizeof line);
            Buf b = { 0 };
            buf_puts(&b, "\r\033[Kversus: "); /* our own escapes; the line (a file name) made safe */
            termsafe_append(&b, line, strlen(line));
            fputs(buf_str(&b), stderr);
            buf_free(&b);
            fflush(stderr);
            p->progress_shown = true;
        }
        return;
    }
    if (!p->fetch_plain || strcmp(r->progress.phase, "download") != 0)
        return;
    int pct = progress_percent(&r->progress);
    int tenth = pct < 0 ? 0 : pct / 10;
    if (tenth <= p->fetch_tenth[i])
        return;
    p->fetch_tenth[i] = tenth;
    if (progress_active(&r->progress)) {
        progress_line(&r->progress, now, line, sizeof line);
        cli_printf(stderr, "versus: %s: %s\n", r->spec, line);
    } else {
        cli_printf(stderr, "versus: %s: downloaded %s (%.1f MB)\n", r->spec, r->progress.label,
                   (double)r->progress.done / 1e6);
    }
    fflush(stderr);
}

static void print_reply_status(const Reply *r)
{
    /* Error messages and hints quote the provider: printed like reply text. */
    Buf b = { 0 };
    reply_outcome_format(r, &b);
    if (r->status == REPLY_NOT_SENT) {
        buf_printf(&b, "[not sent: %s: %s]\n", r->error_type ? r->error_type : "",
                   r->error_message ? r->error_message : "");
        if (r->error_hint)
            buf_printf(&b, "[hint: %s]\n", r->error_hint);
    } else if (r->status == REPLY_ERROR) {
        if (r->http_status > 0)
            buf_printf(&b, "[error: HTTP %d %s: %s]\n", r->http_status, r->error_type ? r->error_type : "",
                       r->error_message ? r->error_message : "");
        else
            buf_printf(&b, "[error: %s: %s]\n", r->error_type ? r->error_type : "",
                       r->error_message ? r->error_message : "");
        if (r->error_hint)
            buf_printf(&b, "[hint: %s]\n", r->error_hint);
    } else if (r->status == REPLY_CANCELLED) {
        buf_puts(&b, "[cancelled]\n");
    }
    if (r->incomplete && r->text.len)
        buf_puts(&b, "[incomplete: the reply above was cut short]\n");
    if (r->chat_template[0])
        buf_printf(&b, "[chat template: %s]\n", r->chat_template);
    buf_puts(&b, "\n");
    print_text(buf_str(&b), b.len);
    buf_free(&b);
    fflush(stdout);
}

/* "--- reasoning (N tokens) ---": the header of the reasoning block. */
static void print_reasoning_header(const Reply *r)
{
    long n = reply_reasoning_tokens(r);
    if (n >= 0 && reply_is_final(r))
        printf("--- reasoning (%ld tokens) ---\n", n);
    else
        printf("--- reasoning ---\n");
}

static bool has_reasoning(const Reply *r) { return r->reasoning.len > 0 || r->usage.reasoning_tokens > 0; }

static void print_reply_text(Printer *p, const Reply *r)
{
    clear_progress(p);
    cli_printf(stdout, "=== %s ===\n", r->spec);
    if (has_reasoning(r)) {
        /* the reasoning apart from the answer, never mixed into it */
        print_reasoning_header(r);
        print_text(buf_str(&r->reasoning), r->reasoning.len);
        if (r->reasoning.len == 0)
            printf("(not shown by the provider)");
        printf("\n--- answer ---\n");
    }
    print_text(buf_str(&r->text), r->text.len);
    if (r->text.len && r->text.data[r->text.len - 1] != '\n')
        putchar('\n');
    print_reply_status(r);
}

/* Prints o as one JSON line on stdout (keys a provider echoed redacted) and
 * frees it. */
static void print_json_line(cJSON *o)
{
    char *s = o ? cJSON_PrintUnformatted(o) : NULL;
    if (s)
        cli_write_json_line(stdout, s);
    fflush(stdout);
    free(s);
    cJSON_Delete(o);
}

static void jsonl_event(size_t i, const Reply *r, const char *type, const char *text, size_t len)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    cJSON_AddNumberToObject(o, "index", (double)i);
    cJSON_AddStringToObject(o, "model", r->spec);
    if (text) {
        Buf clean = { 0 };
        utf8_sanitize(&clean, text, len, UTF8_KEEP_CONTROLS);
        cJSON_AddStringToObject(o, "text", buf_str(&clean));
        buf_free(&clean);
    }
    print_json_line(o);
}

/* {"type":"progress","index":I,"model":SPEC,"phase":..,"file":..,"done":N,"total":N|null} */
static void jsonl_progress(size_t i, const Reply *r, const StreamEvent *ev)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "progress");
    cJSON_AddNumberToObject(o, "index", (double)i);
    cJSON_AddStringToObject(o, "model", r->spec);
    cJSON_AddStringToObject(o, "phase", ev->phase ? ev->phase : "");
    Buf clean = { 0 };
    utf8_sanitize(&clean, ev->label ? ev->label : "", ev->label ? strlen(ev->label) : 0, UTF8_KEEP_CONTROLS);
    cJSON_AddStringToObject(o, "file", buf_str(&clean));
    buf_free(&clean);
    cJSON_AddNumberToObject(o, "done", (double)ev->done);
    if (ev->total >= 0)
        cJSON_AddNumberToObject(o, "total", (double)ev->total);
    else
        cJSON_AddNullToObject(o, "total");
    print_json_line(o);
}

static void jsonl_tool_call(size_t i, const Reply *r)
{
    if (r->n_tool_calls == 0)
        return;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "tool_call");
    cJSON_AddNumberToObject(o, "index", (double)i);
    cJSON_AddStringToObject(o, "model", r->spec);
    /* the last one added: the call this event announced */
    cJSON *all = reply_tool_calls_to_json(r);
    cJSON *last = all ? cJSON_DetachItemFromArray(all, cJSON_GetArraySize(all) - 1) : NULL;
    cJSON_Delete(all);
    if (last)
        cJSON_AddItemToObject(o, "tool_call", last);
    print_json_line(o);
}

static void on_observe(void *user, size_t i, const Reply *r, const StreamEvent *ev)
{
    Printer *p = user;
    if (ev && ev->kind == STREAM_EVENT_PROGRESS) {
        if (p->format == FORMAT_JSONL)
            jsonl_progress(i, r, ev);
        else
            show_fetch(p, i, r);
        return;
    }
    if (p->format == FORMAT_JSONL) {
        if (ev && (ev->kind == STREAM_EVENT_DELTA || ev->kind == STREAM_EVENT_REASONING))
            jsonl_event(i, r, ev->kind == STREAM_EVENT_DELTA ? "delta" : "reasoning", ev->text, ev->len);
        if (ev && ev->kind == STREAM_EVENT_REFUSAL && ev->len)
            jsonl_event(i, r, "refusal", ev->text, ev->len);
        if (ev && ev->kind == STREAM_EVENT_TOOL_CALL)
            jsonl_tool_call(i, r);
        if (!ev) {
            cJSON *o = reply_to_json(r);
            cJSON_AddStringToObject(o, "type", "result");
            cJSON_AddNumberToObject(o, "index", (double)i);
            print_json_line(o);
        }
        return;
    }
    if (p->format != FORMAT_TEXT)
        return;
    if (p->live_single) {
        if (ev && (ev->kind == STREAM_EVENT_DELTA || ev->kind == STREAM_EVENT_REASONING)) {
            clear_progress(p);
            if (!p->printed[i]) {
                cli_printf(stdout, "=== %s ===\n", r->spec);
                p->printed[i] = true;
            }
            if (ev->kind == STREAM_EVENT_REASONING && !p->live_answer && !p->live_reasoning) {
                print_reasoning_header(r);
                p->live_reasoning = true;
            }
            if (ev->kind == STREAM_EVENT_DELTA && p->live_reasoning && !p->live_answer) {
                printf("\n--- answer ---\n");
                p->live_answer = true;
            }
            print_text(ev->text, ev->len);
            fflush(stdout);
        }
        return;
    }
    /* Replies print in -m order (runs diff cleanly): each as soon as it and
     * every one before it have ended; the status line shows the rest. */
    if (!ev && p->final) {
        p->final[i] = true;
        size_t n = run_count(p->run);
        while (p->next_print < n && p->final[p->next_print]) {
            if (!p->printed[p->next_print]) {
                p->printed[p->next_print] = true;
                print_reply_text(p, run_reply(p->run, p->next_print));
            }
            p->next_print++;
        }
    } else if (!ev && !p->printed[i]) {
        p->printed[i] = true;
        print_reply_text(p, r);
    }
}

static void fmt_ms(char *out, size_t n, double ms)
{
    if (ms < 0)
        snprintf(out, n, "-");
    else if (ms < 10000)
        snprintf(out, n, "%.0f ms", ms);
    else
        snprintf(out, n, "%.1f s", ms / 1000.0);
}

static void fmt_count(char *out, size_t n, long v)
{
    if (v < 0)
        snprintf(out, n, "-");
    else
        snprintf(out, n, "%ld", v);
}

static void print_table(Run *run)
{
    size_t n = run_count(run);
    int w = 5;
    for (size_t i = 0; i < n; i++) {
        int l = (int)strlen(run_reply(run, i)->spec);
        if (l > w)
            w = l;
    }
    /* never cut: two candidates may differ only at the end of their URL */
    printf("%-*s  %-9s %9s %9s %9s %9s %8s %7s %7s %7s %11s\n", w, "model", "status", "load", "ttft", "ttfa",
           "total", "tok/s", "in", "out", "reason", "cost");
    double total_cost = 0;
    bool cost_unknown = false, cost_known = false;
    for (size_t i = 0; i < n; i++) {
        const Reply *r = run_reply(run, i);
        char load[16], ttft[16], ttfa[16], total[16], tps[16], in[16], out[16], reason[16], cost[24];
        fmt_ms(load, sizeof load, r->metrics.load_ms);
        fmt_ms(ttft, sizeof ttft, r->metrics.ttft_ms);
        fmt_ms(ttfa, sizeof ttfa, r->metrics.ttfa_ms);
        fmt_ms(total, sizeof total, r->metrics.total_ms);
        fmt_count(reason, sizeof reason, reply_reasoning_tokens(r));
        if (r->metrics.output_tokens_per_s >= 0)
            snprintf(tps, sizeof tps, "%.1f", r->metrics.output_tokens_per_s);
        else
            snprintf(tps, sizeof tps, "-");
        fmt_count(in, sizeof in, r->usage.input_tokens);
        fmt_count(out, sizeof out, reply_output_tokens(r));
        if (!reply_was_sent(r)) {
            /* never sent: nothing ran, so nothing was spent (its JSON cost is null) */
            snprintf(out, sizeof out, "-");
            snprintf(cost, sizeof cost, "none");
        } else if (isnan(r->metrics.cost_usd)) {
            snprintf(cost, sizeof cost, "unknown");
            cost_unknown = true;
        } else {
            bool est = strcmp(r->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0;
            snprintf(cost, sizeof cost, "%s$%.6f", est ? "~" : "", r->metrics.cost_usd);
            total_cost += r->metrics.cost_usd;
            cost_known = true;
        }
        cli_printf(stdout, "%-*.*s  %-9s %9s %9s %9s %9s %8s %7s %7s %7s %11s\n", w, w, r->spec,
                   reply_status_name(r->status), load, ttft, ttfa, total, tps, in, out, reason, cost);
    }
    if (n > 1) {
        /* the sum of the costs known; "unknown" when none is, "none" when nothing was sent */
        char cost[24];
        if (cost_known)
            snprintf(cost, sizeof cost, "$%.6f", total_cost);
        else
            snprintf(cost, sizeof cost, "%s", cost_unknown ? "unknown" : "none");
        printf("%-*s  %-9s %9s %9s %9s %9s %8s %7s %7s %7s %11s%s\n", w, "total", "", "", "", "", "", "", "", "", "",
               cost, cost_known && cost_unknown ? "  (+ unknown costs)" : "");
    }
    for (size_t i = 0; i < n; i++) {
        const Reply *r = run_reply(run, i);
        if (strcmp(r->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0)
            cli_printf(stdout, "~ cost of %s estimated from measured speed: $%.4g per 1M input, $%.4g per 1M output "
                   "tokens (local_cost's hourly rate over %.0f prompt and %.1f decode tokens/s)\n",
                   r->spec, r->metrics.input_usd_per_mtok, r->metrics.output_usd_per_mtok,
                   reply_prompt_tokens_per_s(r), reply_decode_tokens_per_s(r));
        else if (r->status == REPLY_OK && isnan(r->metrics.cost_usd) && strcmp(r->provider, "local") == 0)
            cli_printf(stdout, "cost of %s is unknown: state what the machine costs in the config (\"local_cost\": "
                   "{\"gpu_hour_usd\": N}, see versus(1))\n", r->spec);
    }
}

static void print_json(Run *run, const Request *rq)
{
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "prompt", rq->prompt);
    if (rq->system)
        cJSON_AddStringToObject(doc, "system", rq->system);
    else
        cJSON_AddNullToObject(doc, "system");
    cJSON_AddItemToObject(doc, "params", params_to_json(&rq->params));
    cJSON_AddStringToObject(doc, "sensitivity", sensitivity_name(rq->sensitivity));
    cJSON *results = cJSON_AddArrayToObject(doc, "results");
    for (size_t i = 0; i < run_count(run); i++)
        cJSON_AddItemToArray(results, reply_to_json(run_reply(run, i)));
    char *s = cJSON_Print(doc);
    if (s)
        cli_write_json_line(stdout, s);
    free(s);
    cJSON_Delete(doc);
}

/* ---- the command ----------------------------------------------------------- */

/* --continue: the last conversation of session, and each model's side of it
 * as the history of the next turn. With no -m, the models of its last
 * round (their specs then point into session). Fills *hist (n_specs) and
 * the arrays behind it, conv (the id; one is given to a round that stood
 * alone) and *turn. 0, or -1 with err. */
static int continue_conversation(Session *session, const char ***specs, size_t *n_specs, RunHistory **hist,
                                 Message ***msgs, char *conv, size_t convlen, int *turn, char *err, size_t errlen)
{
    size_t last;
    const char *id;
    if (!session_last_turn(session, &last, &id, turn)) {
        snprintf(err, errlen, "the session has no round to continue");
        return -1;
    }
    if (id) {
        snprintf(conv, convlen, "%s", id);
    } else { /* the last round stood alone: it becomes turn 1 */
        snprintf(conv, convlen, "c%.0f-%d", clock_wall_s(), (int)getpid());
        if (session_set_turn(session, last, conv, 1, err, errlen) < 0)
            return -1;
        *turn = 2;
    }
    if (*n_specs == 0) {
        const SessionRound *r = &session->rounds[last];
        *specs = calloc(r->n_replies ? r->n_replies : 1, sizeof **specs);
        if (!*specs) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        for (size_t i = 0; i < r->n_replies; i++)
            (*specs)[(*n_specs)++] = r->replies[i]->spec;
    }
    *hist = calloc(*n_specs ? *n_specs : 1, sizeof **hist);
    *msgs = calloc(*n_specs ? *n_specs : 1, sizeof **msgs);
    if (!*hist || !*msgs) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < *n_specs; i++) {
        size_t n = 0;
        if (session_history(session, conv, *turn, (*specs)[i], &(*msgs)[i], &n) < 0) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        (*hist)[i] = (RunHistory){ (*msgs)[i], n };
    }
    return 0;
}

int cli_run(int argc, char **argv)
{
    enum { OPT_TOP_P = 256, OPT_TOP_K, OPT_MIN_P, OPT_REPEAT, OPT_SEED, OPT_TIMEOUT, OPT_RAW,
           OPT_THREADS, OPT_BACKEND, OPT_GPU_LAYERS, OPT_SENS, OPT_RECORD, OPT_CONFIG, OPT_NOPROG,
           OPT_SAVE, OPT_SESSION, OPT_NO_RECORD, OPT_REASONING, OPT_KEY_URL, OPT_KV_TYPE, OPT_CONTINUE };
    static const struct option longopts[] = {
        { "model", required_argument, NULL, 'm' },
        { "system", required_argument, NULL, 's' },
        { "max-tokens", required_argument, NULL, 'n' },
        { "temperature", required_argument, NULL, 't' },
        { "top-p", required_argument, NULL, OPT_TOP_P },
        { "top-k", required_argument, NULL, OPT_TOP_K },
        { "min-p", required_argument, NULL, OPT_MIN_P },
        { "repeat-penalty", required_argument, NULL, OPT_REPEAT },
        { "seed", required_argument, NULL, OPT_SEED },
        { "reasoning", required_argument, NULL, OPT_REASONING },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "format", required_argument, NULL, 'f' },
        { "raw", no_argument, NULL, OPT_RAW },
        { "ctx", required_argument, NULL, 'c' },
        { "threads", required_argument, NULL, OPT_THREADS },
        { "backend", required_argument, NULL, OPT_BACKEND },
        { "gpu-layers", required_argument, NULL, OPT_GPU_LAYERS },
        { "kv-type", required_argument, NULL, OPT_KV_TYPE },
        { "sensitivity", required_argument, NULL, OPT_SENS },
        { "record", no_argument, NULL, OPT_RECORD },
        { "no-record", no_argument, NULL, OPT_NO_RECORD },
        { "save", no_argument, NULL, OPT_SAVE },
        { "session", required_argument, NULL, OPT_SESSION },
        { "continue", required_argument, NULL, OPT_CONTINUE },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "no-progress", no_argument, NULL, OPT_NOPROG },
        { "send-key-to", required_argument, NULL, OPT_KEY_URL },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char **specs = NULL, **key_urls = NULL;
    size_t n_specs = 0, n_key_urls = 0;
    const char *system = NULL, *config_file = NULL, *sens_name = NULL;
    OutputFormat format = FORMAT_TEXT;
    RunOptions ropt = run_options_default();
    bool no_progress = false;
    bool save = false;
    int record = -1; /* -1: on when saving, else off */
    const char *session_name = NULL;
    bool continuing = false;   /* --continue: the next turn of the session's last conversation */
    char conv_id[64] = "";
    int turn = 0;
    RunHistory *hist = NULL;
    Message **hist_msgs = NULL;
    Session *session = NULL;
    Params over = params_unset();
    int rc = CLI_EXIT_USAGE;
    char err[512];
    char *prompt_owned = NULL;
    Config *cfg = NULL;
    Run *run = NULL;
    char **default_specs = NULL;
    size_t n_default = 0;

    optind = 1;
    opterr = 0; /* our own messages: "versus run: unknown option ... (did you mean ...?)" */
    int c;
    while ((c = getopt_long(argc, argv, ":m:s:n:t:f:c:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': {
            const char **p = realloc(specs, (n_specs + 1) * sizeof *p);
            if (!p)
                goto out;
            specs = p;
            specs[n_specs++] = optarg;
            break;
        }
        case 's': system = optarg; break;
        case 'f':
            if (strcmp(optarg, "text") == 0) format = FORMAT_TEXT;
            else if (strcmp(optarg, "json") == 0) format = FORMAT_JSON;
            else if (strcmp(optarg, "jsonl") == 0) format = FORMAT_JSONL;
            else {
                fprintf(stderr, "versus run: --format must be text, json or jsonl (got '%s')\n", optarg);
                goto out;
            }
            break;
        case OPT_RAW: over.raw = true; break;
        case OPT_THREADS: {
            long v;
            if (cli_parse_long(optarg, 0, 1024, &v, "--threads", err, sizeof err) < 0)
                goto bad;
            ropt.local.threads = (int)v;
            break;
        }
        case OPT_BACKEND:
            if (strcmp(optarg, "auto") && strcmp(optarg, "cpu") && strcmp(optarg, "cuda")) {
                fprintf(stderr, "versus run: --backend must be auto, cpu or cuda\n");
                goto out;
            }
            ropt.local.backend = optarg;
            break;
        case OPT_GPU_LAYERS: {
            long v;
            if (cli_parse_long(optarg, -1, 100000, &v, "--gpu-layers", err, sizeof err) < 0)
                goto bad;
            ropt.local.gpu_layers = (int)v;
            break;
        }
        case OPT_KV_TYPE:
            if (cli_check_kv_type(optarg, err, sizeof err) < 0)
                goto bad;
            ropt.local.kv_type = optarg;
            break;
        case OPT_SENS: sens_name = optarg; break;
        case OPT_RECORD: record = 1; break;
        case OPT_NO_RECORD: record = 0; break;
        case OPT_SAVE: save = true; break;
        case OPT_SESSION: session_name = optarg; save = true; break;
        case OPT_CONTINUE: session_name = optarg; save = true; continuing = true; break;
        case OPT_CONFIG: config_file = optarg; break;
        case OPT_NOPROG: no_progress = true; break;
        case OPT_KEY_URL: {
            const char **p = realloc(key_urls, (n_key_urls + 1) * sizeof *p);
            if (!p)
                goto out;
            key_urls = p;
            key_urls[n_key_urls++] = optarg;
            break;
        }
        case 'h':
            run_usage(stdout);
            rc = CLI_EXIT_OK;
            goto out;
        case 'n': case 't': case OPT_TOP_P: case OPT_TOP_K: case OPT_MIN_P: case OPT_REPEAT:
        case OPT_SEED: case OPT_TIMEOUT: case 'c': case OPT_REASONING: {
            static const struct { int opt; const char *name; } names[] = {
                { 'n', "max_tokens" }, { 't', "temperature" }, { OPT_TOP_P, "top_p" },
                { OPT_TOP_K, "top_k" }, { OPT_MIN_P, "min_p" }, { OPT_REPEAT, "repeat_penalty" },
                { OPT_SEED, "seed" }, { OPT_TIMEOUT, "timeout" }, { 'c', "context_length" },
                { OPT_REASONING, "reasoning" },
            };
            for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
                if (names[k].opt == c && params_set(&over, names[k].name, optarg, err, sizeof err) < 0)
                    goto bad;
            break;
        }
        default:
            rc = cli_option_error("run", c, argv, longopts);
            goto out;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, optind >= argc ? "versus run: no prompt given\n"
                                       : "versus run: one PROMPT expected (quote it); got %d words\n",
                argc - optind);
        fprintf(stderr, "usage: versus run [OPTIONS] PROMPT   (see 'versus run --help')\n");
        goto out;
    }
    const char *prompt = argv[optind];
    if (strcmp(prompt, "-") == 0) {
        prompt = prompt_owned = read_stdin(err, sizeof err);
        if (!prompt) {
            cli_printf(stderr, "versus run: could not read the prompt: %s\n", err);
            goto out;
        }
    }
    cfg = config_load(config_file, err, sizeof err);
    if (!cfg) {
        cli_printf(stderr, "versus: %s\n", err);
        goto out;
    }
    Request rq = { .system = system, .prompt = prompt };
    rq.params = config_default_params(cfg);
    params_overlay(&rq.params, &over);
    rq.sensitivity = config_default_sensitivity(cfg);
    if (sens_name && sensitivity_parse(sens_name, &rq.sensitivity) < 0) {
        fprintf(stderr, "versus run: --sensitivity must be public, internal or restricted\n");
        goto out;
    }
    if (n_specs == 0 && !continuing) {
        n_default = cli_usable_default_specs(cfg, &default_specs, stderr);
        specs = (const char **)calloc(n_default ? n_default : 1, sizeof *specs);
        for (size_t i = 0; specs && i < n_default; i++)
            specs[n_specs++] = default_specs[i];
        if (n_specs == 0) {
            fprintf(stderr, "versus run: no model is usable; give one with -m (see 'versus models')\n");
            goto out;
        }
    }
    ropt.key_urls = key_urls;
    ropt.n_key_urls = n_key_urls;
    /* Rounds saved as fixtures keep their raw streams unless told not to. */
    ropt.record = record == 1 || (record == -1 && save);
    if (save) {
        if (session_name) {
            char path[4096];
            if (session_resolve(NULL, session_name, path, sizeof path, err, sizeof err) < 0 ||
                !(session = session_load(path, err, sizeof err))) {
                cli_printf(stderr, "versus run: --session: %s\n", err);
                goto out;
            }
        } else if (!(session = session_new(NULL, err, sizeof err))) {
            fprintf(stderr, "versus run: --save: %s\n", err);
            goto out;
        }
    }
    if (continuing && continue_conversation(session, &specs, &n_specs, &hist, &hist_msgs, conv_id, sizeof conv_id,
                                            &turn, err, sizeof err) < 0) {
        cli_printf(stderr, "versus run: --continue: %s\n", err);
        goto out;
    }
    /* A spec that does not resolve (an unknown provider, no provider, no
     * URL) is a usage error like a bad option: nothing goes to any model. */
    for (size_t i = 0; i < n_specs; i++) {
        ModelTarget t;
        if (target_resolve(cfg, specs[i], &t, err, sizeof err) < 0) {
            cli_printf(stderr, "versus run: %s; nothing was sent (see 'versus models')\n", err);
            goto out;
        }
    }
    ropt.histories = hist;
    run = run_new(cfg, &rq, specs, n_specs, &ropt, err, sizeof err);
    if (!run) {
        cli_printf(stderr, "versus: %s\n", err);
        goto out;
    }
    bool show = !no_progress && format != FORMAT_JSONL, tty = isatty(2);
    Printer pr = { .format = format, .run = run, .live_single = format == FORMAT_TEXT && n_specs == 1,
                   .progress = show && tty && n_specs > 1, .fetch_line = show && tty && n_specs == 1,
                   .fetch_plain = show && !tty };
    pr.printed = calloc(n_specs, sizeof *pr.printed);
    pr.final = calloc(n_specs, sizeof *pr.final);
    pr.fetch_tenth = malloc(n_specs * sizeof *pr.fetch_tenth);
    for (size_t i = 0; pr.fetch_tenth && i < n_specs; i++)
        pr.fetch_tenth[i] = -1;
    if (!pr.printed || !pr.fetch_tenth)
        pr.fetch_plain = false;
    run_set_observer(run, on_observe, &pr);

    struct sigaction sa = { .sa_handler = on_sigint }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    run_for_signal = run;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signal(SIGPIPE, SIG_IGN);
    run_start(run);
    while (!run_done(run)) {
        if (run_interrupted) {
            run_cancel(run);
            break;
        }
        run_poll(run, NULL, 0, 250);
        draw_progress(&pr, false);
    }
    run_for_signal = NULL;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    clear_progress(&pr);

    if (format == FORMAT_TEXT) {
        if (pr.live_single) {
            const Reply *r = run_reply(run, 0);
            if (pr.printed[0]) {
                if (r->text.len && r->text.data[r->text.len - 1] != '\n')
                    putchar('\n');
                /* streamed live, the reasoning's header came before its count was known */
                if (pr.live_reasoning && reply_reasoning_tokens(r) >= 0)
                    printf("[reasoning: %ld tokens]\n", reply_reasoning_tokens(r));
                print_reply_status(r);
            } else {
                print_reply_text(&pr, r);
                pr.printed[0] = true;
            }
        }
        for (size_t i = 0; i < n_specs; i++)
            if (!pr.printed[i])
                print_reply_text(&pr, run_reply(run, i));
        print_table(run);
    } else if (format == FORMAT_JSON) {
        print_json(run, &rq);
    }
    free(pr.printed);
    free(pr.final);
    free(pr.fetch_tenth);
    rc = CLI_EXIT_OK;
    if (session) {
        Reply **replies = calloc(n_specs, sizeof *replies);
        for (size_t i = 0; replies && i < n_specs; i++)
            replies[i] = run_reply(run, i);
        long round = replies ? session_add_round(session, &rq, replies, n_specs, NULL, err, sizeof err) : -1;
        free(replies);
        if (round >= 0 && continuing && session_set_turn(session, (size_t)round, conv_id, turn, err, sizeof err) < 0)
            round = -1;
        if (round < 0 || session_save(session, err, sizeof err) < 0) {
            cli_printf(stderr, "versus run: the round was not saved: %s\n", err);
            rc = CLI_EXIT_MODEL_FAILED;
        } else {
            /* others may have appended meanwhile: ours is the last one now */
            cli_printf(stderr, "versus: saved round %zu of session %s (%s)\n", session->n_rounds, session->id,
                    session->path);
        }
    }
    if (rc == CLI_EXIT_OK)
        for (size_t i = 0; i < n_specs; i++)
            if (run_reply(run, i)->status != REPLY_OK)
                rc = CLI_EXIT_MODEL_FAILED;
    if (run_interrupted)
        rc = CLI_EXIT_CANCELLED;
    goto out;
bad:
    cli_printf(stderr, "versus run: %s\n", err);
out:
    fflush(stdout);
    run_free(run);
    for (size_t i = 0; hist_msgs && i < n_specs; i++)
        session_history_free(hist_msgs[i]);
    free(hist_msgs);
    free(hist);
    session_free(session);
    config_free(cfg);
    config_free_specs(default_specs, n_default);
    free(specs);
    free(key_urls);
    free(prompt_owned);
    return rc;
}
