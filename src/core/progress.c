/* progress.c — a local model's download/load progress as state and as one
 * line of text (see progress.h). */
#include "core/progress.h"

#include <stdio.h>
#include <string.h>

Progress progress_none(void)
{
    return (Progress){ .total = -1, .t_start_ms = -1 };
}

void progress_apply(Progress *p, const StreamEvent *ev, double now_ms)
{
    if (ev->kind != STREAM_EVENT_PROGRESS || !ev->phase)
        return;
    if (strcmp(p->phase, ev->phase) != 0) { /* a new phase starts */
        snprintf(p->phase, sizeof p->phase, "%s", ev->phase);
        p->done_at_start = ev->done > 0 ? ev->done : 0;
        p->t_start_ms = now_ms;
    }
    snprintf(p->label, sizeof p->label, "%s", ev->label ? ev->label : "");
    p->done = ev->done > 0 ? ev->done : 0;
    p->total = ev->total;
}

bool progress_active(const Progress *p)
{
    return p->phase[0] && !(p->total >= 0 && p->done >= p->total);
}

int progress_percent(const Progress *p)
{
    if (p->total <= 0)
        return p->total == 0 ? 100 : -1;
    int64_t d = p->done < p->total ? p->done : p->total;
    return (int)(d * 100 / p->total);
}

void progress_format_bytes(char *out, size_t outlen, const char *label, int64_t got, int64_t total, double rate)
{
    const double mb = 1e6;
    if (total > 0) {
        int64_t g = got < total ? got : total;
        int pct = (int)(g * 100 / total);
        int fill = (int)(g * 24 / total);
        char bar[25];
        for (int i = 0; i < 24; i++)
            bar[i] = i < fill ? '#' : '-';
        bar[24] = '\0';
        char eta[32] = "";
        if (rate > 0 && got < total) {
            double s = (double)(total - got) / rate;
            if (s < 60)
                snprintf(eta, sizeof eta, "  %.0fs left", s);
            else
                snprintf(eta, sizeof eta, "  %dm%02ds left", (int)(s / 60), (int)s % 60);
        }
        char speed[32] = "";
        if (rate > 0)
            snprintf(speed, sizeof speed, "  %.1f MB/s", rate / mb);
        snprintf(out, outlen, "%s [%s] %3d%% %.1f/%.1f MB%s%s", label, bar, pct, (double)got / mb,
                 (double)total / mb, speed, eta);
    } else if (rate > 0) {
        snprintf(out, outlen, "%s %.1f MB  %.1f MB/s", label, (double)got / mb, rate / mb);
    } else {
        snprintf(out, outlen, "%s %.1f MB", label, (double)got / mb);
    }
}

void progress_line(const Progress *p, double now_ms, char *out, size_t outlen)
{
    if (outlen)
        out[0] = '\0';
    if (!progress_active(p))
        return;
    const char *label = p->label[0] ? p->label : "the model";
    if (strcmp(p->phase, "download") == 0) {
        double secs = (now_ms - p->t_start_ms) / 1000.0;
        double rate = secs > 0.2 ? (double)(p->done - p->done_at_start) / secs : 0;
        char bytes[256];
        progress_format_bytes(bytes, sizeof bytes, label, p->done, p->total, rate);
        snprintf(out, outlen, "downloading %s", bytes);
    } else if (strcmp(p->phase, "load") == 0) {
        if (p->total > 0)
            snprintf(out, outlen, "loading %s (%.1f MB)", label, (double)p->total / 1e6);
        else
            snprintf(out, outlen, "loading %s", label);
    } else {
        snprintf(out, outlen, "%s %s", p->phase, label);
    }
}
