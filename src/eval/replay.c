/* replay.c — offline replay through the real decoders, assertion checking,
 * drift and JUnit output (see replay.h). */
#include "eval/replay.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/markup.h"
#include "core/keyfilter.h"
#include "providers/provider.h"
#include "store/candidate.h"

typedef struct DecodeCtx {
    Reply *r;
    double now_ms; /* the recorded arrival time of the chunk being fed */
} DecodeCtx;

static void on_event(void *user, const StreamEvent *ev)
{
    DecodeCtx *ctx = user;
    reply_apply_event(ctx->r, ev, ctx->now_ms);
}

static void sleep_until(double t_ms)
{
    double now = clock_now_ms();
    if (t_ms <= now)
        return;
    double d = (t_ms - now) / 1000.0;
    struct timespec ts = { .tv_sec = (time_t)d, .tv_nsec = (long)((d - floor(d)) * 1e9) };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

Reply *replay_decode(const Reply *rec, bool pace, char *err, size_t errlen)
{
    const ReplyRecording *rr = &rec->recording;
    if (!rr->enabled || !rr->n_chunks) {
        snprintf(err, errlen, "no recording");
        return NULL;
    }
    const ProviderOps *ops = provider_find(reply_kind(rec));
    if (!ops || !ops->decoder_new) {
        snprintf(err, errlen, "no decoder for provider \"%s\"", reply_kind(rec));
        return NULL;
    }
    Reply *r = reply_new(rec->spec, rec->provider, rec->model);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    reply_start(r, 0);
    memcpy(r->reasoning_request, rec->reasoning_request, sizeof r->reasoning_request);
    const char *bytes = buf_str(&rr->bytes);
    double last = 0, t0 = clock_now_ms();
    if (rr->http_status >= 300) {
        /* an HTTP error: the body is one JSON document, parsed whole */
        ProviderError pe = { .retry_after_s = -1 };
        if (ops->parse_error)
            ops->parse_error(rr->http_status, bytes, rr->bytes.len, &pe);
        last = rr->chunks[rr->n_chunks - 1].t_ms;
        if (pace)
            sleep_until(t0 + last);
        char fallback[64];
        snprintf(fallback, sizeof fallback, "HTTP %d", rr->http_status);
        reply_fail(r, rr->http_status, pe.type[0] ? pe.type : "http_error", pe.message[0] ? pe.message : fallback,
                   last);
    } else {
        void *dec = ops->decoder_new();
        if (!dec) {
            reply_free(r);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        DecodeCtx ctx = { .r = r };
        /* the decoded text goes through the key filter like a live run's */
        KeySink *keys = keysink_new((StreamSink){ .emit = on_event, .user = &ctx });
        if (!keys) {
            ops->decoder_free(dec);
            reply_free(r);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        StreamSink sink = keysink_sink(keys);
        int frc = 0;
        for (size_t i = 0; i < rr->n_chunks && frc == 0; i++) {
            const ReplyChunk *ch = &rr->chunks[i];
            if (pace)
                sleep_until(t0 + ch->t_ms);
            ctx.now_ms = last = ch->t_ms;
            frc = ops->decoder_feed(dec, bytes + ch->offset, ch->len, &sink);
        }
        if (frc == 0)
            ops->decoder_end(dec, &sink);
        keysink_end(keys);
        keysink_free(keys);
        ops->decoder_free(dec);
        if (!r->saw_done && r->status != REPLY_ERROR)
            r->incomplete = true;
    }
    /* the recorded end may be later than the last byte (the connection close) */
    double end = rec->metrics.total_ms >= last ? rec->metrics.total_ms : last;
    reply_finish(r, end);
    r->metrics.cost_usd = rec->metrics.cost_usd;
    return r;
}

void replay_case_result_free(ReplayCaseResult *r)
{
    for (size_t i = 0; i < r->n_cands; i++)
        reply_free(r->cands[i].reply);
    free(r->cands);
    free(r->checks);
    memset(r, 0, sizeof *r);
}

bool replay_assertion_applies(const FixtureCase *c, size_t a, size_t k)
{
    const Assertion *as = &c->r.assertions[a];
    const Reply *cand = c->r.replies[k];
    if (as->model)
        return assertion_applies_to(as, cand);
    switch (c->r.outcome) {
    case SESSION_WIN: return (int)k == c->r.winner;
    case SESSION_TIE: return true;
    default: return false;
    }
}

bool replay_case_failed(const ReplayCaseResult *r)
{
    return r->failed > 0 || r->unsent > 0 || r->strict_failed;
}

void replay_case_fail_summary(const ReplayCaseResult *r, char *out, size_t outlen)
{
    Buf b = { 0 };
    if (r->failed)
        buf_printf(&b, "%zu of %zu assertion%s failed", r->failed, r->n_checks, r->n_checks == 1 ? "" : "s");
    for (size_t k = 0; k < r->n_cands; k++)
        if (r->cands[k].unsent_fails)
            buf_printf(&b, "%s%s was not sent", b.len ? "; " : "", r->cands[k].reply->spec);
    if (r->strict_failed)
        buf_printf(&b, "%s%zu differ%s from the recording (--strict)", b.len ? "; " : "", r->n_strict,
                   r->n_strict == 1 ? "s" : "");
    snprintf(out, outlen, "%s", buf_str(&b));
    buf_free(&b);
}

void replay_case_strict(ReplayCaseResult *r, bool offline)
{
    r->strict_failed = false;
    r->n_strict = 0;
    r->strict_why[0] = '\0';
    size_t used = 0;
    /* every candidate, the losers too: one line for each that differs */
    for (size_t k = 0; k < r->n_cands; k++) {
        const ReplayCandidate *rc = &r->cands[k];
        const Reply *p = rc->reply;
        const ProviderOps *ops = provider_find(reply_kind(p));
        bool api = strcmp(reply_kind(p), "local") != 0;
        char line[400];
        if (rc->text_drift || rc->status_drift)
            snprintf(line, sizeof line, "%s:%s%s differs from the recording", p->spec, rc->text_drift ? " text" : "",
                     rc->status_drift ? " status" : "");
        else if (isinf(rc->cost_change) || (isfinite(rc->cost_change) && rc->cost_change != 0))
            snprintf(line, sizeof line, "%s: cost changed by %+.1f%%", p->spec, 100 * rc->cost_change);
        else if (offline && !rc->decoded && reply_was_sent(p) && ops && ops->decoder_new)
            snprintf(line, sizeof line, "%s: no recording to compare with (%s)", p->spec, rc->note);
        else if (offline && !rc->decoded && reply_was_sent(p) && api)
            snprintf(line, sizeof line, "%s: its recording could not be decoded (%s)", p->spec, rc->note);
        else
            continue;
        r->strict_failed = true;
        r->n_strict++;
        int w = snprintf(r->strict_why + used, sizeof r->strict_why - used, "%s%s", used ? "\n" : "", line);
        if (w > 0 && (size_t)w < sizeof r->strict_why - used)
            used += (size_t)w;
        else
            r->strict_why[used] = '\0'; /* no room: the count still says how many */
    }
}

static double rel_change(double now, double then)
{
    if (!isfinite(now) || !isfinite(then) || now < 0 || then < 0)
        return NAN;
    if (then == 0)
        return now == 0 ? 0 : INFINITY;
    return (now - then) / then;
}

/* ok, refused and blocked are outcomes of their own; every failure
 * (error, not sent, cancelled) is one. */
static int outcome_class(ReplyStatus s)
{
    return s == REPLY_OK || s == REPLY_REFUSED || s == REPLY_BLOCKED ? (int)s : -1;
}

static void compare(ReplayCandidate *rc, const Reply *rec, double threshold)
{
    const Reply *r = rc->reply;
    rc->text_drift = r->text.len != rec->text.len || memcmp(buf_str(&r->text), buf_str(&rec->text), r->text.len) != 0;
    rc->status_drift = outcome_class(r->status) != outcome_class(rec->status);
    rc->cost_change = rel_change(r->metrics.cost_usd, rec->metrics.cost_usd);
    rc->latency_change = rel_change(r->metrics.total_ms, rec->metrics.total_ms);
    (void)threshold;
}

static bool drifted(const ReplayCandidate *rc, double threshold)
{
    return rc->text_drift || rc->status_drift || (isfinite(rc->cost_change) && fabs(rc->cost_change) > threshold) ||
           (isinf(rc->cost_change)) || (isfinite(rc->latency_change) && fabs(rc->latency_change) > threshold);
}

static int run_checks(const FixtureCase *c, ReplayCaseResult *out, bool reference, char *err, size_t errlen)
{
    size_t max = c->r.n_assertions * out->n_cands;
    out->checks = max ? calloc(max, sizeof *out->checks) : NULL;
    if (max && !out->checks) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t a = 0; a < c->r.n_assertions; a++)
        for (size_t k = 0; k < out->n_cands; k++) {
            const Reply *r = out->cands[k].reply;
            bool applies = reference ? replay_assertion_applies(c, a, k) : assertion_applies_to(&c->r.assertions[a], r);
            if (!applies)
                continue;
            ReplayCheck *ch = &out->checks[out->n_checks++];
            ch->candidate = k;
            ch->assertion = a;
            ch->result = assertion_check(&c->r.assertions[a], r, ch->why, sizeof ch->why);
            if (ch->result == 1)
                out->passed++;
            else
                out->failed++;
        }
    return 0;
}

int replay_case_offline(const FixtureCase *c, bool pace, ReplayCaseResult *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    double t0 = clock_now_ms();
    size_t n = c->r.n_replies;
    out->cands = n ? calloc(n, sizeof *out->cands) : NULL;
    if (n && !out->cands)
        goto oom;
    out->n_cands = n;
    for (size_t k = 0; k < n; k++) {
        const Reply *rec = c->r.replies[k];
        ReplayCandidate *rc = &out->cands[k];
        rc->cost_change = rc->latency_change = NAN;
        char why[200];
        rc->reply = replay_decode(rec, pace, why, sizeof why);
        if (rc->reply) {
            rc->decoded = true;
            compare(rc, rec, 0);
            out->drift |= rc->text_drift || rc->status_drift;
        } else {
            snprintf(rc->note, sizeof rc->note, "%s: checked on the stored reply", why);
            rc->reply = candidate_clone(rec);
            if (!rc->reply)
                goto oom;
        }
    }
    if (run_checks(c, out, true, err, errlen) < 0) {
        replay_case_result_free(out);
        return -1;
    }
    out->elapsed_ms = clock_now_ms() - t0;
    return 0;
oom:
    replay_case_result_free(out);
    snprintf(err, errlen, "out of memory");
    return -1;
}

int replay_case_check(const FixtureCase *c, Reply **replies, size_t n, bool reference, double threshold,
                      ReplayCaseResult *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->cands = n ? calloc(n, sizeof *out->cands) : NULL;
    if (n && !out->cands) {
        for (size_t k = 0; k < n; k++)
            reply_free(replies[k]);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->n_cands = n;
    for (size_t k = 0; k < n; k++) {
        ReplayCandidate *rc = &out->cands[k];
        rc->reply = replies[k];
        rc->cost_change = rc->latency_change = NAN;
        int j = session_round_find(&c->r, replies[k]->spec);
        if (j >= 0) {
            compare(rc, c->r.replies[j], threshold);
            out->drift |= drifted(rc, threshold);
        } else {
            snprintf(rc->note, sizeof rc->note, "not among the recorded candidates: no drift check");
        }
        if (!reply_was_sent(replies[k])) {
            /* not sent now: a failure unless the recording was not sent either */
            rc->unsent_as_recorded = j >= 0 && !reply_was_sent(c->r.replies[j]);
            rc->unsent_fails = !rc->unsent_as_recorded;
            out->unsent += rc->unsent_fails;
            if (rc->unsent_as_recorded) /* the same outcome as recorded is no drift */
                rc->status_drift = false;
        }
    }
    if (run_checks(c, out, reference, err, errlen) < 0) {
        replay_case_result_free(out);
        return -1;
    }
    return 0;
}

int replay_junit(const FixtureSet *set, const ReplayCaseResult *res, double total_ms, Buf *b)
{
    size_t failures = 0;
    for (size_t i = 0; i < set->n; i++)
        failures += replay_case_failed(&res[i]);
    buf_printf(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                  "<testsuites name=\"versus replay\" tests=\"%zu\" failures=\"%zu\" time=\"%.3f\">\n"
                  "  <testsuite name=\"versus replay\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" time=\"%.3f\">\n",
               set->n, failures, total_ms / 1000, set->n, failures, total_ms / 1000);
    for (size_t i = 0; i < set->n; i++) {
        const FixtureCase *c = &set->cases[i];
        const ReplayCaseResult *r = &res[i];
        char fallback[32];
        snprintf(fallback, sizeof fallback, "case %zu", i + 1);
        buf_puts(b, "    <testcase classname=\"");
        markup_escape(b, c->r.category ? c->r.category : "versus");
        buf_puts(b, "\" name=\"");
        markup_escape(b, c->id ? c->id : fallback);
        buf_printf(b, "\" time=\"%.3f\"", r->elapsed_ms / 1000);
        if (!replay_case_failed(r) && !r->drift && !r->n_checks) {
            buf_puts(b, ">\n      <system-out>no assertion applies</system-out>\n    </testcase>\n");
            continue;
        }
        buf_puts(b, ">\n");
        if (replay_case_failed(r)) {
            /* the message is the one-line summary; the body has every reason */
            char sum[1024];
            replay_case_fail_summary(r, sum, sizeof sum);
            buf_puts(b, "      <failure message=\"");
            markup_escape(b, sum);
            buf_printf(b, "\" type=\"%s\">", r->failed ? "assertion" : r->unsent ? "not_sent" : "drift");
            for (size_t k = 0; k < r->n_checks; k++) {
                const ReplayCheck *ch = &r->checks[k];
                if (ch->result == 1)
                    continue;
                const Assertion *a = &c->r.assertions[ch->assertion];
                Buf line = { 0 };
                buf_printf(&line, "%s: %s: %s\n", r->cands[ch->candidate].reply->spec, assertion_kind_name(a->kind),
                           ch->why);
                markup_escape(b, buf_str(&line));
                buf_free(&line);
            }
            for (size_t k = 0; k < r->n_cands; k++) {
                const Reply *p = r->cands[k].reply;
                if (!r->cands[k].unsent_fails)
                    continue;
                Buf line = { 0 };
                buf_printf(&line, "%s: not sent: %s (it ran in the recording)\n", p->spec,
                           p->error_message ? p->error_message : "?");
                markup_escape(b, buf_str(&line));
                buf_free(&line);
            }
            if (r->strict_failed) {
                markup_escape(b, r->strict_why);
                buf_puts(b, "\n");
            }
            buf_puts(b, "</failure>\n");
        }
        if (r->drift) {
            buf_puts(b, "      <system-out>");
            for (size_t k = 0; k < r->n_cands; k++) {
                const ReplayCandidate *rc = &r->cands[k];
                if (rc->text_drift || rc->status_drift) {
                    Buf line = { 0 };
                    buf_printf(&line, "drift: %s%s%s\n", rc->reply->spec, rc->text_drift ? " text changed" : "",
                               rc->status_drift ? " status changed" : "");
                    markup_escape(b, buf_str(&line));
                    buf_free(&line);
                }
            }
            buf_puts(b, "</system-out>\n");
        }
        buf_puts(b, "    </testcase>\n");
    }
    buf_puts(b, "  </testsuite>\n</testsuites>\n");
    return 0;
}
