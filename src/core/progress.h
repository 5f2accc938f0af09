/* progress.h — what a local model is doing before its first token: being
 * downloaded into the cache, or loaded.
 *
 * A Progress is folded from STREAM_EVENT_PROGRESS events (progress_apply)
 * and said as one line of text (progress_line) that the TUI draws in the
 * model's pane and `versus run` prints on standard error, so both say the
 * same thing. Pure: no I/O, no clock of its own. Not for the download
 * itself (engine/download.c) or for deciding where a model lives
 * (engine/model_ref.c). */
#ifndef VERSUS_PROGRESS_H
#define VERSUS_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/stream.h"

typedef struct Progress {
    char phase[16];        /* "download" | "load"; "" before any event */
    char label[128];       /* what is fetched or loaded (a file name), or "" */
    int64_t done;          /* bytes so far */
    int64_t total;         /* bytes in all, or < 0 when not known */
    int64_t done_at_start; /* bytes already there when this phase began (a resumed download) */
    double t_start_ms;     /* when this phase's first event came */
} Progress;

/* An empty Progress (no phase). */
Progress progress_none(void);
/* Folds one PROGRESS event in at now_ms (other kinds are ignored). */
void progress_apply(Progress *p, const StreamEvent *ev, double now_ms);
/* True while a phase is under way: one was reported and it is not complete. */
bool progress_active(const Progress *p);
/* Whole percent done (0..100), or -1 when the total is not known. */
int progress_percent(const Progress *p);
/* One line for a person: "downloading m.gguf [####----]  50% 49.2/98.4 MB
 * 10.0 MB/s  5s left", "loading m.gguf (98.4 MB)", or "" when no phase is
 * under way. The rate is measured from the phase's first event to now_ms. */
void progress_line(const Progress *p, double now_ms, char *out, size_t outlen);
/* The byte part of a line: label, a bar and percent when total > 0, sizes in
 * MB, rate (bytes/s, shown when > 0) and time left. */
void progress_format_bytes(char *out, size_t outlen, const char *label, int64_t got, int64_t total, double rate);

#endif
