/* round.c — rounds, their panes, labels, totals and the session (round.h).
 * Decides nothing about keys and draws nothing. */
#include "tui/round.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/clock.h"
#include "core/prices.h"
#include "core/reply_json.h"
#include "store/outfile.h"
#include "tui/commands.h"
#include "tui/conversation.h"
#include "tui/draw.h"
#include "tui/overlay.h"
#include "tui/prompt.h"

Reply *round_reply(App *a, int k)
{
    if (!a->run || k < 0 || (size_t)k >= a->n)
        return NULL;
    return run_reply(a->run, (size_t)a->order[k]);
}

bool round_streaming(const App *a)
{
    return a->run && !run_done(a->run);
}

bool round_label_pending(const App *a)
{
    return a->run && a->round_done && a->label.outcome == SESSION_UNLABELLED && a->n > 0;
}

/* ---- totals and the session ------------------------------------------------ */

static void add_total(App *a, const Reply *r)
{
    const char *name = r->spec;
    double cost = r->metrics.cost_usd;
    if (!reply_was_sent(r))
        return; /* nothing ran, so nothing was spent: not an unknown cost */
    Total *t = NULL;
    for (size_t i = 0; i < a->n_totals; i++)
        if (strcmp(a->totals[i].name, name) == 0)
            t = &a->totals[i];
    if (!t) {
        if (a->n_totals >= APP_MAX_TOTALS)
            return;
        t = &a->totals[a->n_totals++];
        memset(t, 0, sizeof *t);
        snprintf(t->name, sizeof t->name, "%s", name);
    }
    if (isnan(cost) || cost < 0)
        t->unknown_rounds++;
    else
        t->known_usd += cost;
    t->estimated |= cost > 0 && strcmp(r->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0;
}

static bool ensure_session(App *a)
{
    if (a->session)
        return true;
    if (a->session_note[0])
        return false;
    char err[512];
    a->session = session_new(NULL, err, sizeof err);
    if (!a->session) {
        snprintf(a->session_note, sizeof a->session_note, "sessions are not saved: %s", err);
        app_message(a, true, "%s", a->session_note);
        return false;
    }
    return true;
}

/* After a save: the current round may have moved behind rounds another
 * process appended to the same session meanwhile. */
static void follow_round(App *a)
{
    if (a->session_round >= 0)
        a->session_round = (long)session_round_after_save(a->session, (size_t)a->session_round);
}

void round_save(App *a, const char *what)
{
    if (!a->session)
        return;
    char err[512];
    int rc = session_save(a->session, err, sizeof err);
    if (rc == 0)
        follow_round(a);
    if (rc < 0)
        app_message(a, true, "saving the session failed: %s", err);
    else if (what)
        app_message(a, false, "%s \u00b7 saved %s", what, a->session->path);
}

/* Saves the session quietly; a failure is said once per round. */
static void save_quietly(App *a)
{
    char err[512];
    int rc = session_save(a->session, err, sizeof err);
    if (rc == 0)
        follow_round(a);
    if (rc < 0 && !a->save_failed) {
        a->save_failed = true;
        app_message(a, true, "saving the session failed: %s", err);
    }
}

/* Records the round in the session (added at its start, its replies
 * replaced as they stream and when they end) and saves. */
static void record(App *a)
{
    if (!a->run || !ensure_session(a))
        return;
    Reply *replies[LAYOUT_MAX_PANES];
    for (size_t i = 0; i < a->n; i++)
        replies[i] = run_reply(a->run, i);
    char err[512];
    if (a->session_round < 0) {
        Request rq = { .system = a->system, .prompt = a->prompt, .params = a->params,
                       .sensitivity = a->sensitivity };
        a->session_round = session_add_round(a->session, &rq, replies, a->n, NULL, err, sizeof err);
        if (a->session_round < 0) {
            app_message(a, true, "the round was not recorded: %s", err);
            return;
        }
        /* its turn in the conversation: the session can rebuild what each model saw */
        if (session_set_turn(a->session, (size_t)a->session_round, conversation_id(a), a->round_turn, err,
                             sizeof err) < 0)
            app_message(a, true, "the round's turn was not recorded: %s", err);
    } else if (session_update_replies(a->session, (size_t)a->session_round, replies, a->n, err, sizeof err) < 0) {
        app_message(a, true, "the round was not updated: %s", err);
        return;
    }
    save_quietly(a);
    a->checkpoint_ms = clock_now_ms();
}

/* Called once when every reply of the round is final. */
static void round_finished(App *a)
{
    a->round_done = true;
    for (size_t i = 0; i < a->n; i++) {
        Reply *r = run_reply(a->run, i);
        add_total(a, r);
    }
    record(a);
    if (conversation_add_turn(a) < 0)
        app_message(a, true, "out of memory: the conversation starts afresh");
    a->dirty = true;
}

void round_checkpoint(App *a, double now_ms)
{
    if (round_streaming(a) && a->session_round >= 0 && now_ms - a->checkpoint_ms >= ROUND_CHECKPOINT_MS)
        record(a);
}

void round_stop(App *a)
{
    if (!round_streaming(a))
        return;
    run_cancel(a->run);
    round_check_finished(a);
}

void round_check_finished(App *a)
{
    if (a->run && !a->round_done && run_done(a->run))
        round_finished(a);
}

/* ---- rounds ---------------------------------------------------------------------- */

static void observer(void *user, size_t i, const Reply *reply, const StreamEvent *ev)
{
    (void)i;
    (void)reply;
    (void)ev;
    App *a = user;
    a->dirty = true;
}

void round_free(App *a)
{
    if (a->run) {
        run_cancel(a->run);
        run_free(a->run);
        a->run = NULL;
    }
    for (size_t k = 0; k < LAYOUT_MAX_PANES; k++) {
        pane_free(a->slots[k].pane);
        memset(&a->slots[k], 0, sizeof a->slots[k]);
    }
    a->n = 0;
}

static void shuffle(int *v, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(random() % (long)i);
        int t = v[i - 1];
        v[i - 1] = v[j];
        v[j] = t;
    }
}

void round_start(App *a, const char *prompt)
{
    if (a->n_specs == 0) {
        app_message(a, true, "no models: use :models SPEC... (e.g. :models openai:gpt-4o-mini local:)");
        return;
    }
    /* a passing note ("3 models ready") would read as the state of this round */
    if (!a->message_alert)
        a->message[0] = '\0';
    round_stop(a); /* the user agreed: what streamed is recorded, marked incomplete */
    round_free(a);
    a->turn_added = false; /* the last round's turn is the conversation's now */
    char *p = strdup(prompt);
    if (!p)
        return;
    free(a->prompt);
    a->prompt = p;
    Request rq = { .system = a->system, .prompt = a->prompt, .params = a->params,
                   .sensitivity = a->sensitivity };
    RunOptions opt = run_options_default();
    /* a follow-up: each model gets its own side of the conversation */
    RunHistory hist[LAYOUT_MAX_PANES];
    conversation_histories(a, hist);
    opt.histories = hist;
    opt.key_urls = a->key_urls;
    opt.n_key_urls = a->n_key_urls;
    a->round_turn = a->turn;
    /* Batch network work every few ms instead of waking for each token:
     * four fast streams otherwise cost a core in poll() alone. */
    opt.min_poll_gap_ms = 8.0;
    char err[512];
    a->run = run_new(a->cfg, &rq, (const char *const *)a->specs, a->n_specs, &opt, err, sizeof err);
    if (!a->run) {
        app_message(a, true, "%s", err);
        return;
    }
    run_set_observer(a->run, observer, a);
    a->n = run_count(a->run);
    if (a->n > LAYOUT_MAX_PANES)
        a->n = LAYOUT_MAX_PANES;
    for (size_t k = 0; k < a->n; k++) {
        a->order[k] = (int)k;
        snprintf(a->round_names[k], sizeof a->round_names[k], "%s", k < a->n_specs ? a->names[k] : "?");
    }
    a->round_blind = a->blind;
    if (a->round_blind)
        shuffle(a->order, a->n);
    a->round_done = false;
    a->session_round = -1;
    a->save_failed = false;
    a->label = (RoundLabel){ .outcome = SESSION_UNLABELLED, .winner = -1 };
    a->label_stage = LABEL_NONE;
    for (size_t k = 0; k < a->n; k++) {
        a->slots[k].pane = pane_new(10);
        a->slots[k].reply = (size_t)a->order[k];
    }
    if (a->focus >= (int)a->n)
        a->focus = -1;
    if (a->zoom >= (int)a->n)
        a->zoom = -1;
    overlay_close(a);
    draw_relayout(a);
    if (run_start(a->run) < 0)
        app_message(a, true, "the HTTP layer could not start");
    record(a); /* saved as soon as it starts */
    a->dirty = true;
}

void round_rerun(App *a)
{
    char *p = a->prompt ? strdup(a->prompt) : NULL;
    if (!p)
        return;
    round_stop(a);                  /* a streaming round ends, recorded, and becomes a turn */
    conversation_take_back_turn(a); /* ... which the rerun is again, with the same context */
    round_start(a, p);
    free(p);
}

void round_sync_panes(App *a)
{
    for (size_t k = 0; k < a->n; k++) {
        Slot *s = &a->slots[k];
        Reply *r = round_reply(a, (int)k);
        if (!r || !s->pane)
            continue;
        if (r->status == REPLY_NOT_SENT && !r->error_hint) {
            /* never asked: the pane says what to do (the preflight knows) */
            size_t i = (size_t)a->order[k];
            if (i < a->n_specs && strcmp(a->specs[i], r->spec) == 0 && a->checks[i].fix[0])
                reply_set_hint(r, a->checks[i].fix);
        }
        replyview_sync(&s->view, s->pane, r, a->hide_reasoning,
                       a->round_blind && a->label.outcome == SESSION_UNLABELLED);
    }
}

/* The sparkline plots the core's live rate (reply_live_tokens_per_s, the
 * one definition of tokens/s) as it evolves; the TUI computes no rate. */
void round_sample(App *a)
{
    for (size_t k = 0; k < a->n; k++) {
        Slot *s = &a->slots[k];
        Reply *r = round_reply(a, (int)k);
        if (!r || r->status != REPLY_STREAMING)
            continue;
        double tps = reply_live_tokens_per_s(r);
        if (tps < 0)
            continue;
        if (s->n_spark == STATUSBAR_SPARK_MAX) {
            memmove(s->spark, s->spark + 1, (STATUSBAR_SPARK_MAX - 1) * sizeof s->spark[0]);
            s->n_spark--;
        }
        s->spark[s->n_spark++] = tps;
    }
}

/* ---- labels ------------------------------------------------------------------------ */

void round_label_begin(App *a, SessionOutcome outcome, int winner_pos)
{
    const Reply *w = outcome == SESSION_WIN ? run_reply(a->run, (size_t)a->order[winner_pos]) : NULL;
    if (w && !reply_took_part(w)) { /* the same rule session_label_round applies */
        app_message(a, true, "pane %d %s: it has no answer to judge; pick another pane, t (tie) or b (both bad)",
                    winner_pos + 1, reply_was_sent(w) ? "gave no answer" : "was not sent");
        return;
    }
    a->label.outcome = outcome;
    a->label.winner = winner_pos >= 0 ? a->order[winner_pos] : -1;
    a->label.note[0] = '\0';
    a->label.category[0] = '\0';
    a->label_stage = LABEL_NOTE;
    a->focus = -1;
    prompt_set_line("");
    prompt_set_label("note (Enter to skip)> ");
    if (outcome == SESSION_WIN) {
        Reply *r = run_reply(a->run, (size_t)a->label.winner);
        app_message(a, false, "winner: pane %d = %s%s", winner_pos + 1, r->spec,
                    a->round_blind ? " (names revealed)" : "");
    } else {
        app_message(a, false, "%s%s", outcome == SESSION_TIE ? "tie" : "both bad",
                    a->round_blind ? " (names revealed)" : "");
    }
    a->dirty = true;
}

void round_label_finish(App *a)
{
    a->label_stage = LABEL_NONE;
    conversation_show_turn(a);
    prompt_set_line("");
    const char *what = a->label.outcome == SESSION_WIN ? "winner" : a->label.outcome == SESSION_TIE ? "tie" : "both bad";
    if (a->session && a->session_round >= 0) {
        SessionLabel l = { .outcome = a->label.outcome, .winner = a->label.winner,
                           .note = a->label.note[0] ? a->label.note : NULL,
                           .category = a->label.category[0] ? a->label.category : NULL,
                           .blind = a->round_blind };
        char err[512];
        if (session_label_round(a->session, (size_t)a->session_round, &l, err, sizeof err) < 0) {
            app_message(a, true, "label not stored: %s", err);
            return;
        }
        char m[128];
        snprintf(m, sizeof m, "labelled %s", what);
        round_save(a, m);
    } else {
        app_message(a, true, "labelled %s (kept in memory only: %s)", what,
                    a->session_note[0] ? a->session_note : "the round was not recorded");
    }
}

/* ---- a new conversation -------------------------------------------------------------- */

void round_new_conversation(App *a)
{
    if (round_label_pending(a)) {
        char later[256] = "it was not saved";
        if (a->session && a->session_round >= 0)
            snprintf(later, sizeof later, "versus sessions label %s %ld --winner N|tie|both-bad labels it later",
                     a->session->id, a->session_round + 1);
        conversation_new(a);
        app_message(a, false, "a new conversation (turn 1 next) \u00b7 turn %d left unlabelled (%s)", a->round_turn,
                    later);
        return;
    }
    conversation_new(a);
    app_message(a, false, "a new conversation: the next prompt goes to every model alone (turn 1)");
}

/* ---- quitting ---------------------------------------------------------------------- */

int round_farewell(const App *a, char *out, size_t outlen)
{
    out[0] = '\0';
    const Session *s = a->session;
    if (!s || s->n_rounds == 0 || !s->path || access(s->path, F_OK) != 0)
        return 0; /* nothing was saved: nothing to say */
    size_t labelled = 0;
    for (size_t i = 0; i < s->n_rounds; i++)
        labelled += s->rounds[i].outcome != SESSION_UNLABELLED;
    snprintf(out, outlen,
             "versus: session %s saved in %s (%zu round%s, %zu labelled); export it with: "
             "versus export %s --format versus -o cases.jsonl",
             s->id, s->path, s->n_rounds, s->n_rounds == 1 ? "" : "s", labelled, s->id);
    return 1;
}

/* ---- export ------------------------------------------------------------------------ */

int round_export(App *a, const char *path_arg, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (!a->run) {
        snprintf(err, errlen, "no round to export yet");
        return -1;
    }
    if (path_arg) {
        snprintf(path, pathlen, "%s", path_arg);
    } else {
        time_t t = time(NULL);
        struct tm tm;
        localtime_r(&t, &tm);
        char stamp[32];
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
        snprintf(path, pathlen, "versus-round-%s.md", stamp);
    }
    /* the message names the file wherever the workbench was started */
    char cwd[4096];
    if (path[0] != '/' && getcwd(cwd, sizeof cwd)) {
        char rel[4096];
        snprintf(rel, sizeof rel, "%s", path);
        if ((size_t)snprintf(path, pathlen, "%s/%s", cwd, rel) >= pathlen) {
            snprintf(err, errlen, "the path %s/%s is too long", cwd, rel);
            return -1;
        }
    }
    /* the same writer as `versus export`: 0600, secrets masked, temp + rename */
    Buf f = { 0 };
    char params[256];
    commands_describe_params(&a->params, params, sizeof params);
    buf_printf(&f, "# versus round\n\n");
    if (a->system)
        buf_printf(&f, "**System:**\n\n%s\n\n", a->system);
    buf_printf(&f, "**Prompt:**\n\n%s\n\n**Parameters:** %s\n\n", a->prompt ? a->prompt : "", params);
    for (size_t i = 0; i < a->n; i++) {
        Reply *r = run_reply(a->run, i);
        char cost[32], ttft[32], total[32];
        statusbar_fmt_cost(r->metrics.cost_usd, cost, sizeof cost);
        if (strcmp(r->metrics.cost_basis, PRICES_BASIS_ESTIMATED) == 0)
            snprintf(cost + strlen(cost), sizeof cost - strlen(cost), " (estimated)");
        statusbar_fmt_duration(r->metrics.ttft_ms, ttft, sizeof ttft);
        statusbar_fmt_duration(r->metrics.total_ms, total, sizeof total);
        bool won = a->label.outcome == SESSION_WIN && a->label.winner == (int)i;
        buf_printf(&f, "## %s%s\n\n", r->spec, won ? " (winner)" : "");
        if (r->status == REPLY_NOT_SENT) /* never asked: no time, no tokens, no cost */
            buf_printf(&f, "%s \u00b7 cost none\n\n", reply_status_name(r->status));
        else
            buf_printf(&f, "%s \u00b7 TTFT %s \u00b7 %ld tokens \u00b7 %s \u00b7 %s\n\n", reply_status_name(r->status),
                       ttft, reply_output_tokens(r), total, cost);
        buf_printf(&f, "%s\n\n", buf_str(&r->text));
        /* what the pane closes with (tool calls, refusal, cut at the token
         * limit ...), quoted line by line */
        Buf end = { 0 };
        reply_outcome_format(r, &end);
        for (const char *l = buf_str(&end); *l;) {
            const char *nl = strchr(l, '\n');
            size_t len = nl ? (size_t)(nl - l) : strlen(l);
            buf_printf(&f, "> %.*s\n", (int)len, l);
            l += len + (nl ? 1 : 0);
        }
        if (end.len)
            buf_puts(&f, "\n");
        buf_free(&end);
        if (r->status == REPLY_ERROR || r->status == REPLY_NOT_SENT)
            buf_printf(&f, "> %s: %s\n\n", r->status == REPLY_ERROR ? "error" : "not sent",
                       r->error_message ? r->error_message : "");
    }
    if (a->label.outcome != SESSION_UNLABELLED)
        buf_printf(&f, "**Label:** %s%s%s%s%s%s\n", session_outcome_name(a->label.outcome),
                   a->round_blind ? " (given blind)" : "", a->label.note[0] ? " \u2014 " : "", a->label.note,
                   a->label.category[0] ? " \u2014 category " : "", a->label.category);
    int rc = outfile_write(path, buf_str(&f), f.len, err, errlen);
    buf_free(&f);
    return rc;
}
