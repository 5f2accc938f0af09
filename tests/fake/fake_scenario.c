/* fake_scenario.c — model name → FakeScenario (see fake_scenario.h). Pure. */
#include "fake/fake_scenario.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    FakeKind kind;
} BASES[] = {
    { "happy", FAKE_HAPPY },
    { "comments", FAKE_COMMENTS },
    { "no-usage", FAKE_NO_USAGE },
    { "length", FAKE_LENGTH },
    { "slow-drip", FAKE_HAPPY }, /* plus chunk1.gap300, set below */
    { "bad-key", FAKE_BAD_KEY },
    { "reset-before-headers", FAKE_RESET_BEFORE_HEADERS },
    { "reset-after-headers", FAKE_RESET_AFTER_HEADERS },
    { "reset-mid-stream", FAKE_RESET_MID_STREAM },
    { "truncated", FAKE_TRUNCATED },
    { "error-event", FAKE_ERROR_EVENT },
    { "error-only", FAKE_ERROR_ONLY },
    { "bad-json", FAKE_BAD_JSON },
    { "bad-utf8", FAKE_BAD_UTF8 },
    { "big-event", FAKE_BIG_EVENT },
    { "never-ends", FAKE_NEVER_ENDS },
    { "accept-no-answer", FAKE_ACCEPT_NO_ANSWER },
    { "long", FAKE_LONG },
    { "echo", FAKE_ECHO },
    { "file", FAKE_FILE },
    { "history", FAKE_HISTORY },
};

/* Reads a decimal number in [lo, hi] at *p (advancing it); 0 or -1. */
static int read_num(const char **p, long lo, long hi, long *out)
{
    if (**p < '0' || **p > '9')
        return -1;
    char *end = NULL;
    errno = 0;
    long v = strtol(*p, &end, 10);
    if (errno || v < lo || v > hi)
        return -1;
    *p = end;
    *out = v;
    return 0;
}

/* "status-NNN[-retry-after-S|-retry-after-ms-M]" with p after "status-". */
static int parse_status(const char *p, FakeScenario *sc)
{
    long v = 0;
    if (read_num(&p, 400, 599, &v) < 0)
        return -1;
    sc->kind = FAKE_STATUS;
    sc->status = (int)v;
    if (*p == '\0')
        return 0;
    if (strncmp(p, "-retry-after-ms-", 16) == 0) {
        p += 16;
        if (read_num(&p, 0, 3600000, &sc->retry_after_ms) < 0)
            return -1;
    } else if (strncmp(p, "-retry-after-", 13) == 0) {
        p += 13;
        if (read_num(&p, 0, 3600, &sc->retry_after_s) < 0)
            return -1;
    } else {
        return -1;
    }
    return *p == '\0' ? 0 : -1;
}

static int parse_base(const char *p, FakeScenario *sc)
{
    if (strncmp(p, "fail-", 5) == 0) {
        p += 5;
        long n = 0;
        if (read_num(&p, 1, 1000, &n) < 0 || *p != '-')
            return -1;
        sc->fail_times = (int)n;
        p++;
    }
    if (strncmp(p, "status-", 7) == 0)
        return parse_status(p + 7, sc);
    if (strncmp(p, "replay-", 7) == 0) {
        const char *name = p + 7;
        size_t n = strlen(name);
        if (n == 0 || n >= sizeof sc->replay || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != n)
            return -1;
        memcpy(sc->replay, name, n + 1);
        sc->kind = FAKE_REPLAY;
        return 0;
    }
    for (size_t i = 0; i < sizeof BASES / sizeof BASES[0]; i++) {
        if (strcmp(p, BASES[i].name) == 0) {
            sc->kind = BASES[i].kind;
            if (strcmp(p, "slow-drip") == 0) {
                sc->chunk = 1;
                sc->gap_us = 300;
            }
            return 0;
        }
    }
    return -1;
}

/* One ".MOD" token (without the dot). */
static int parse_mod(const char *tok, size_t len, FakeScenario *sc)
{
    char word[16];
    size_t w = 0;
    while (w < len && tok[w] >= 'a' && tok[w] <= 'z')
        w++;
    if (w == 0 || w >= sizeof word)
        return -1;
    memcpy(word, tok, w);
    word[w] = '\0';
    if (w == len) { /* flags */
        if (strcmp(word, "odd") == 0)
            sc->odd = true;
        else if (strcmp(word, "crlf") == 0)
            sc->eol = FAKE_EOL_CRLF;
        else if (strcmp(word, "cr") == 0)
            sc->eol = FAKE_EOL_CR;
        else if (strcmp(word, "lf") == 0)
            sc->eol = FAKE_EOL_LF;
        else if (strcmp(word, "eof") == 0)
            sc->eof = true;
        else if (strcmp(word, "llama") == 0)
            sc->llama = true;
        else
            return -1;
        return 0;
    }
    char num[24];
    if (len - w >= sizeof num)
        return -1;
    memcpy(num, tok + w, len - w);
    num[len - w] = '\0';
    const char *p = num;
    long v = 0;
    if (read_num(&p, 0, INT_MAX, &v) < 0 || *p != '\0')
        return -1;
    if (strcmp(word, "ms") == 0 && v <= 600000)
        sc->delta_ms = (int)v;
    else if (strcmp(word, "tps") == 0 && v >= 1 && v <= 1000000) {
        sc->delta_ms = (int)(1000 / v);
        sc->delta_us = (int)(1000000 / v);
    } else if (strcmp(word, "deltas") == 0 && v >= 2 && v <= 100000000)
        sc->n_deltas = v;
    else if (strcmp(word, "ttft") == 0 && v <= 600000)
        sc->ttft_ms = (int)v;
    else if (strcmp(word, "wait") == 0 && v <= 600000)
        sc->wait_ms = (int)v;
    else if (strcmp(word, "chunk") == 0 && v >= 1)
        sc->chunk = (int)v;
    else if (strcmp(word, "gap") == 0 && v <= 1000000)
        sc->gap_us = (int)v;
    else if (strcmp(word, "size") == 0 && v >= 1 && v <= 256L * 1024 * 1024)
        sc->big_size = (size_t)v;
    else
        return -1;
    return 0;
}

int fake_scenario_parse(const char *name, FakeScenario *out)
{
    if (!name)
        return -1;
    FakeScenario sc = {
        .kind = FAKE_HAPPY,
        .retry_after_s = -1,
        .retry_after_ms = -1,
        .ttft_ms = -1,
        .eol = FAKE_EOL_DEFAULT,
        .big_size = 10u * 1024 * 1024,
        .n_deltas = 1000,
    };
    const char *dot = strchr(name, '.');
    size_t blen = dot ? (size_t)(dot - name) : strlen(name);
    char base[128];
    if (blen == 0 || blen >= sizeof base)
        return -1;
    memcpy(base, name, blen);
    base[blen] = '\0';
    if (parse_base(base, &sc) < 0)
        return -1;
    while (dot) {
        const char *tok = dot + 1;
        dot = strchr(tok, '.');
        size_t len = dot ? (size_t)(dot - tok) : strlen(tok);
        if (parse_mod(tok, len, &sc) < 0)
            return -1;
    }
    *out = sc;
    return 0;
}

FakeScenario fake_scenario_for_attempt(const FakeScenario *sc, int attempt)
{
    FakeScenario r = *sc;
    if (sc->fail_times > 0 && attempt > sc->fail_times) {
        r.kind = FAKE_HAPPY;
        r.status = 0;
        r.retry_after_s = -1;
        r.retry_after_ms = -1;
    }
    return r;
}
