/* think_split.c — the thinking/answer splitter (see think_split.h): a small
 * state machine over bytes that holds back what may be the start of a marker
 * until it knows, and hands out runs of text. */
#include "engine/think_split.h"

#include <string.h>

enum {
    ST_CONTENT, /* answer, to the end */
    ST_MAYBE,   /* tags: at the start, an opening tag may come */
    ST_THINK,   /* tags: inside the thinking part */
    ST_AFTER,   /* tags: just closed; white space before the answer is dropped */
    ST_HEADER,  /* harmony: reading a message header up to <|message|> */
    ST_BODY,    /* harmony: a message's text, up to <|end|> */
};

static const char *const harmony_markers[] = { "<|end|>", "<|start|>", "<|channel|>", "<|return|>", "<|call|>" };
static const char *const harmony_specials[] = { "<|end|>",    "<|start|>", "<|channel|>", "<|return|>",
                                                "<|call|>",   "<|message|>", "<|constrain|>" };
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *think_format_name(ThinkFormat f)
{
    switch (f) {
    case THINK_TAGS: return "tags";
    case THINK_HARMONY: return "harmony";
    default: return "none";
    }
}

void think_split_init(ThinkSplitter *s, ThinkFormat format, const char *open_tag, const char *close_tag,
                    bool starts_open)
{
    memset(s, 0, sizeof *s);
    s->format = format;
    const char *o = open_tag && *open_tag ? open_tag : "<think>";
    const char *c = close_tag && *close_tag ? close_tag : "</think>";
    size_t on = strlen(o), cn = strlen(c);
    if (on >= sizeof s->open_tag || cn >= sizeof s->close_tag) { /* not a tag pair we can hold */
        o = "<think>";
        c = "</think>";
        on = 7;
        cn = 8;
    }
    memcpy(s->open_tag, o, on + 1);
    memcpy(s->close_tag, c, cn + 1);
    switch (format) {
    case THINK_TAGS: s->state = starts_open ? ST_THINK : ST_MAYBE; break;
    case THINK_HARMONY: s->state = ST_HEADER; break;
    default: s->state = ST_CONTENT;
    }
}

bool think_split_thinking(const ThinkSplitter *s)
{
    return s->state == ST_THINK || (s->state == ST_BODY && s->channel_thinking);
}

/* ---- output runs ---------------------------------------------------------------- */

static void flush_run(ThinkSplitter *s, ThinkEmitFn emit, void *user)
{
    if (s->nrun && emit)
        emit(user, s->run_thinking, s->run, s->nrun);
    s->nrun = 0;
}

static void put(ThinkSplitter *s, bool thinking, const char *p, size_t n, ThinkEmitFn emit, void *user)
{
    while (n) {
        if (s->nrun && s->run_thinking != thinking)
            flush_run(s, emit, user);
        s->run_thinking = thinking;
        size_t k = sizeof s->run - s->nrun;
        if (k > n)
            k = n;
        memcpy(s->run + s->nrun, p, k);
        s->nrun += k;
        p += k;
        n -= k;
        if (s->nrun == sizeof s->run)
            flush_run(s, emit, user);
    }
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool prefix_of(const char *pend, size_t n, const char *marker)
{
    return n <= strlen(marker) && memcmp(pend, marker, n) == 0;
}

/* ---- tags ------------------------------------------------------------------------- */

static void tags_byte(ThinkSplitter *s, char c, ThinkEmitFn emit, void *user)
{
    switch (s->state) {
    case ST_MAYBE:
        if (s->npend == 0 && is_ws(c) && s->nlead < sizeof s->lead) {
            s->lead[s->nlead++] = c;
            return;
        }
        s->pend[s->npend++] = c;
        if (prefix_of(s->pend, s->npend, s->open_tag)) {
            if (s->npend == strlen(s->open_tag)) { /* the thinking part starts */
                s->state = ST_THINK;
                s->npend = s->nlead = 0;
            }
            return;
        }
        s->state = ST_CONTENT; /* no opening tag: it is all answer */
        put(s, false, s->lead, s->nlead, emit, user);
        put(s, false, s->pend, s->npend, emit, user);
        s->npend = s->nlead = 0;
        return;
    case ST_THINK: {
        s->pend[s->npend++] = c;
        size_t cn = strlen(s->close_tag);
        while (s->npend) {
            if (prefix_of(s->pend, s->npend, s->close_tag)) {
                if (s->npend == cn) {
                    s->state = ST_AFTER;
                    s->npend = 0;
                }
                return;
            }
            put(s, true, s->pend, 1, emit, user);
            memmove(s->pend, s->pend + 1, --s->npend);
        }
        return;
    }
    case ST_AFTER:
        if (is_ws(c))
            return;
        s->state = ST_CONTENT;
        put(s, false, &c, 1, emit, user);
        return;
    default:
        put(s, false, &c, 1, emit, user);
    }
}

/* ---- harmony ------------------------------------------------------------------------ */

/* The header is complete: read its channel. */
static void harmony_header_done(ThinkSplitter *s)
{
    static const char ch[] = "<|channel|>";
    const char *h = s->header;
    size_t n = s->nheader;
    const char *at = memmem(h, n, ch, sizeof ch - 1);
    bool analysis = false;
    if (at) {
        const char *name = at + sizeof ch - 1, *end = h + n;
        size_t k = 0;
        while (name + k < end && name[k] != ' ' && name[k] != '<')
            k++;
        analysis = k == 8 && memcmp(name, "analysis", 8) == 0;
    }
    s->channel_thinking = analysis;
    s->state = ST_BODY;
    s->nheader = 0;
}

static void harmony_byte(ThinkSplitter *s, char c, ThinkEmitFn emit, void *user)
{
    static const char msg[] = "<|message|>";
    if (s->state == ST_HEADER) {
        if (s->nheader == sizeof s->header) { /* no header after all: show it */
            put(s, false, s->header, s->nheader, emit, user);
            s->nheader = 0;
            s->channel_thinking = false;
            s->state = ST_BODY;
            harmony_byte(s, c, emit, user);
            return;
        }
        s->header[s->nheader++] = c;
        if (s->nheader >= sizeof msg - 1 && memcmp(s->header + s->nheader - (sizeof msg - 1), msg, sizeof msg - 1) == 0)
            harmony_header_done(s);
        return;
    }
    /* ST_BODY */
    s->pend[s->npend++] = c;
    while (s->npend) {
        bool maybe = false;
        for (size_t i = 0; i < NELEM(harmony_markers); i++) {
            const char *m = harmony_markers[i];
            if (!prefix_of(s->pend, s->npend, m))
                continue;
            if (s->npend < strlen(m)) {
                maybe = true;
                continue;
            }
            /* a whole marker: the message ends; <|start|> and <|channel|> begin the next header */
            s->state = ST_HEADER;
            s->nheader = 0;
            if (i == 1 || i == 2) {
                memcpy(s->header, m, strlen(m));
                s->nheader = strlen(m);
            }
            s->npend = 0;
            return;
        }
        if (maybe)
            return;
        put(s, s->channel_thinking, s->pend, 1, emit, user);
        memmove(s->pend, s->pend + 1, --s->npend);
    }
}

/* ---- entry points --------------------------------------------------------------------- */

static bool is_marker(const ThinkSplitter *s, const char *text, size_t len)
{
    if (s->format == THINK_TAGS)
        return (len == strlen(s->open_tag) && memcmp(text, s->open_tag, len) == 0) ||
               (len == strlen(s->close_tag) && memcmp(text, s->close_tag, len) == 0);
    for (size_t i = 0; i < NELEM(harmony_specials); i++)
        if (len == strlen(harmony_specials[i]) && memcmp(text, harmony_specials[i], len) == 0)
            return true;
    return false;
}

bool think_split_push(ThinkSplitter *s, const char *text, size_t len, bool special, ThinkEmitFn emit,
                    void *user)
{
    if (special && (s->format == THINK_NONE || !is_marker(s, text, len))) {
        /* a control token that is not one of the markers: dropped, as the detokenizer does */
        bool counted = think_split_thinking(s);
        if (s->state == ST_HEADER)
            s->pending_tokens++;
        else if (counted)
            s->reasoning_tokens++;
        return counted;
    }
    bool think0 = think_split_thinking(s), counted = false;
    bool mine_pending = false; /* this piece is counted in pending_tokens */
    if (s->format == THINK_HARMONY && s->state == ST_HEADER) {
        s->pending_tokens++; /* part of a header: settled when its channel is known */
        mine_pending = true;
    }
    for (size_t i = 0; i < len; i++) {
        int st = s->state;
        bool thinking = think_split_thinking(s);
        if (s->format == THINK_TAGS)
            tags_byte(s, text[i], emit, user);
        else if (s->format == THINK_HARMONY)
            harmony_byte(s, text[i], emit, user);
        else
            put(s, false, text + i, 1, emit, user);
        if (st == ST_HEADER && s->state == ST_BODY) {
            if (s->channel_thinking) {
                s->reasoning_tokens += s->pending_tokens;
                counted = counted || mine_pending;
            }
            s->pending_tokens = 0;
            mine_pending = false;
        } else if (st == ST_BODY && s->state == ST_HEADER) {
            if (thinking && !counted) { /* the piece ended an analysis message */
                s->reasoning_tokens++;
                counted = true;
            }
            s->pending_tokens = counted ? 0 : 1;
            mine_pending = !counted;
        }
    }
    flush_run(s, emit, user);
    if (s->format != THINK_HARMONY) {
        counted = think0 || think_split_thinking(s);
        if (counted)
            s->reasoning_tokens++;
        return counted;
    }
    if (!counted && !mine_pending && (think0 || think_split_thinking(s))) {
        s->reasoning_tokens++;
        counted = true;
    }
    return counted;
}

void think_split_flush(ThinkSplitter *s, ThinkEmitFn emit, void *user)
{
    switch (s->state) {
    case ST_MAYBE:
        put(s, false, s->lead, s->nlead, emit, user);
        put(s, false, s->pend, s->npend, emit, user);
        s->state = ST_CONTENT;
        break;
    case ST_THINK:
        put(s, true, s->pend, s->npend, emit, user);
        break;
    case ST_BODY:
        put(s, s->channel_thinking, s->pend, s->npend, emit, user);
        break;
    case ST_HEADER: /* a header cut short is dropped; text that never had one is shown */
        if (!memmem(s->header, s->nheader, "<|", 2))
            put(s, false, s->header, s->nheader, emit, user);
        s->nheader = 0;
        break;
    default: break;
    }
    s->npend = s->nlead = 0;
    flush_run(s, emit, user);
}
