/* statusbar.h — the text of each pane's two header rows and of the footer
 * (pure).
 *
 * Row 1, the status line: the pane's name, its state, the label badge,
 * elapsed time and (local models) a tokens/s sparkline, fitted to the width
 * by dropping the least important fields first and shortening the name
 * last. Row 2, the metrics row: TTFT, tokens/s, output tokens and cost
 * (or "unpriced"), always all four, in the same order at every width
 * (shorter forms when narrow), then when there is room the time to the
 * first answer token (when reasoning came first), reasoning tokens, VRAM
 * and backend;
 * "not sent" and nothing else for a model that was never asked. Numbers are
 * formatted the way the workbench shows them; never "$0" for an unknown
 * cost. No curses, no clocks: the app gathers a StatusInfo from the Reply
 * and draws the strings. */
#ifndef VERSUS_STATUSBAR_H
#define VERSUS_STATUSBAR_H

#include <stdbool.h>
#include <stddef.h>

#define STATUSBAR_SPARK_MAX 32 /* samples a sparkline shows at most */

typedef struct StatusInfo {
    const char *name;     /* what the pane is called: model spec, or "Model A" when blind */
    const char *state;    /* "waiting" "streaming" "done" "error" "cancelled" */
    const char *badge;    /* label mark after judging ("winner", "tie", "bad"), or NULL */
    const char *zoom;     /* "zoomed 1/3" while one pane is shown alone, or NULL */
    long view_first, view_last, view_lines; /* 1-based lines in view of view_lines; view_lines <= 0:
                                               all of it fits (nothing shown) */
    bool view_scrolled;   /* the view no longer follows the end: an arrow says so */
    double ttft_ms;       /* time to first token (reasoning included); < 0 unknown */
    double ttfa_ms;       /* time to first answer token; < 0 unknown (shown when it differs from TTFT) */
    long reasoning_tokens;/* tokens spent reasoning; <= 0: not shown */
    long out_tokens;      /* output tokens so far; < 0 unknown */
    double tps;           /* tokens/s (reply_live_tokens_per_s); < 0 unknown */
    double elapsed_ms;    /* since the request started; < 0 unknown */
    double cost_usd;      /* NAN when unknown (shown "unpriced", "$?" in the footer) */
    bool hide_cost;       /* blind rounds, before the reveal: "cost hidden" (it would name the model) */
    bool not_sent;        /* never asked: the metrics row says "not sent", no figure at all */
    bool cost_estimated;  /* estimated from measured speed (a local model): shown "~$0.0012" */
    bool local;           /* the local engine: show VRAM, backend and sparkline */
    bool has_gpu;         /* local: a GPU was found */
    double vram_used_mib; /* local with GPU: < 0 unknown ("n/a") */
    double vram_total_mib;
    const char *backend;  /* local: "cpu" / "cuda" / "" */
    const double *spark;  /* local: tokens/s samples, oldest first */
    size_t n_spark;
} StatusInfo;

/* A StatusInfo with every number unknown and no strings. */
StatusInfo statusbar_info_init(void);

/* "412ms", "3.2s", "2m05s"; "-" when ms < 0. */
void statusbar_fmt_duration(double ms, char *out, size_t outlen);
/* "$?" for NAN (unknown), "$0.00" for a known zero, "<$0.0001" for a known
 * cost too small to show, "$0.0012", "$0.123", "$12.34". */
void statusbar_fmt_cost(double usd, char *out, size_t outlen);
/* "45.2" / "123" tokens per second; "-" when < 0. */
void statusbar_fmt_rate(double tps, char *out, size_t outlen);
/* "VRAM 1.2/24.0 GiB", "VRAM n/a" (unknown), "no GPU". */
void statusbar_fmt_vram(bool has_gpu, double used_mib, double total_mib, char *out, size_t outlen);
/* At most `cols` block characters (U+2581..U+2588) scaled to the largest of
 * the last samples; "" when there are none. */
void statusbar_sparkline(const double *v, size_t n, int cols, char *out, size_t outlen);
/* Copies s cut to at most cols display columns, ending in "…" when cut. */
void statusbar_truncate(const char *s, int cols, char *out, size_t outlen);

/* Formats the status line (row 1) into out, at most width columns (fields
 * are dropped from the least important: sparkline, elapsed, position
 * ("lines 12-40/80", "↑" when scrolled up), zoom, badge, state; the name is
 * shortened last). Returns the display columns used. */
int statusbar_format(const StatusInfo *si, int width, char *out, size_t outlen);
/* Formats the metrics row (row 2): "TTFT 412ms  45.2 tok/s  123 tok
 * $0.0012" with "-" for what is not known yet, shorter forms as the width
 * shrinks ("412ms 45.2t/s 123t $0.0012"), then "TTFA 1.2s", "320 think",
 * VRAM and backend while they fit. Returns the display columns used
 * (<= width). */
int statusbar_format_metrics(const StatusInfo *si, int width, char *out, size_t outlen);

/* One model's session total for the footer. */
typedef struct FooterEntry {
    const char *name;   /* model as shown */
    double known_usd;   /* sum of the costs that were known */
    int unknown_rounds; /* rounds whose cost was unknown */
    bool estimated;     /* some of known_usd was estimated from measured speed (a local model) */
} FooterEntry;

/* "$0.0123", "$0.0123+?" when some rounds were unknown, "$?" when none was known. */
void statusbar_fmt_total(double known_usd, int unknown_rounds, char *out, size_t outlen);
/* "session  gpt-4o $0.0123 · local ~$0.0004 · total ~$0.0127" fitted to width
 * (entries are shortened, then dropped, but the total always stays); "~"
 * marks an estimated entry and a total that includes one. Returns the
 * display columns used. */
int statusbar_format_footer(const FooterEntry *e, size_t n, int width, char *out, size_t outlen);
/* The round settings that persist, as one phrase for the footer:
 * "restricted · system · max_tokens=60 · blind" (sensitivity NULL when
 * public, system whether a system prompt is set, params NULL or "" when
 * none is set); "" when everything is the default. */
void statusbar_format_settings(const char *sensitivity, bool system, const char *params, bool blind, char *out,
                               size_t outlen);
/* The footer between messages: " STATE · session: ... total ..." with STATE
 * (what is going on, the settings; "" for none) kept whole while the
 * totals fit after it (as statusbar_format_footer), else shortened with
 * "…". Returns the display columns used (<= width). */
int statusbar_format_idle(const char *state, const FooterEntry *e, size_t n, int width, char *out, size_t outlen);

#endif
