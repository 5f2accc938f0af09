/* keyfilter.c — finding and masking known secrets in any form, whole or
 * streamed (see keyfilter.h).
 *
 * Each secret is matched byte by byte where every byte may be written
 * plainly or escaped (%HH, \u00HH, \/, or such an escape escaped again
 * inside JSON text: \\u00HH), plus its base64 "cores": the
 * characters of the encoding that depend on the secret's bytes alone, for
 * each of the three alignments and both alphabets. A match is masked over
 * its whole span. The set of secrets is the one piece of process-wide state
 * here (like the environment it partly comes from): secrets join it when
 * read (keys, the environment's when first seen) and never leave it, so a
 * snapshot is a list of pointers taken under a lock. */
#include "core/keyfilter.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/hex.h"

extern char **environ;

#define B64_FORMS 6 /* 3 alignments x 2 alphabets */

typedef struct Secret {
    unsigned char *raw;
    size_t len;
    char *b64[B64_FORMS]; /* NULL where too short or a duplicate */
    size_t b64_len[B64_FORMS];
} Secret;

/* The secrets known to the process: added, never removed, never freed (so a
 * snapshot is just pointers). Guarded by registry_lock. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static Secret **registry;
static size_t registry_n, registry_cap;

/* What a filter or a mask looks for: the secrets known when it was taken. */
typedef struct SecretSet {
    Secret **v; /* (n) borrowed from the registry */
    size_t n;
} SecretSet;

/* ---- secrets ------------------------------------------------------------- */

static void trim(const char **s, size_t *n)
{
    while (*n && strchr(" \t\r\n", (*s)[*n - 1]))
        (*n)--;
    while (*n && strchr(" \t\r\n", **s)) {
        (*s)++;
        (*n)--;
    }
}

/* The base64 characters that only the secret's bytes decide, when it starts
 * `align` bytes into a 3-byte group. */
static void b64_core(Secret *s, int align, int slot)
{
    size_t n = (size_t)align + s->len + 2;
    unsigned char *tmp = calloc(1, n);
    if (!tmp)
        return;
    memcpy(tmp + align, s->raw, s->len);
    char *enc = base64_encode(tmp, n);
    memset(tmp, 0, n);
    free(tmp);
    if (!enc)
        return;
    size_t from = ((size_t)align * 8 + 5) / 6, to = ((size_t)align + s->len) * 8 / 6;
    if (to > from && to - from >= KEYFILTER_MIN_SECRET) {
        size_t len = to - from;
        char *core = malloc(len);
        if (core) {
            memcpy(core, enc + from, len);
            s->b64[slot] = core;
            s->b64_len[slot] = len;
            /* the URL-safe alphabet, when it differs */
            if (memchr(core, '+', len) || memchr(core, '/', len)) {
                char *url = malloc(len);
                if (url) {
                    for (size_t i = 0; i < len; i++)
                        url[i] = core[i] == '+' ? '-' : core[i] == '/' ? '_' : core[i];
                    s->b64[slot + 3] = url;
                    s->b64_len[slot + 3] = len;
                }
            }
        }
    }
    memset(enc, 0, strlen(enc));
    free(enc);
}

/* Adds a (trimmed) secret to the registry unless it is there; the caller
 * holds registry_lock. 0, or -1 when memory runs out. */
static int registry_add(const char *p, size_t n)
{
    trim(&p, &n);
    if (n < KEYFILTER_MIN_SECRET)
        return 0;
    for (size_t i = 0; i < registry_n; i++)
        if (registry[i]->len == n && memcmp(registry[i]->raw, p, n) == 0)
            return 0;
    if (registry_n == registry_cap) {
        size_t cap = registry_cap ? registry_cap * 2 : 8;
        Secret **v = realloc(registry, cap * sizeof *v);
        if (!v)
            return -1;
        registry = v;
        registry_cap = cap;
    }
    Secret *s = calloc(1, sizeof *s);
    if (!s || !(s->raw = malloc(n))) {
        free(s);
        return -1;
    }
    memcpy(s->raw, p, n);
    s->len = n;
    for (int a = 0; a < 3; a++)
        b64_core(s, a, a);
    registry[registry_n++] = s;
    return 0;
}

static void set_free(SecretSet *set)
{
    free(set->v);
    memset(set, 0, sizeof *set);
}

bool keyfilter_is_secret_name(const char *name)
{
    static const char *const needles[] = { "API_KEY", "APIKEY", "TOKEN", "SECRET", "PASSWORD" };
    for (size_t i = 0; i < sizeof needles / sizeof *needles; i++)
        if (strstr(name, needles[i]))
            return true;
    size_t n = strlen(name);
    return n >= 4 && strcmp(name + n - 4, "_KEY") == 0;
}

void keyfilter_add_secret(const char *secret, size_t n)
{
    if (!secret)
        return;
    pthread_mutex_lock(&registry_lock);
    registry_add(secret, n);
    pthread_mutex_unlock(&registry_lock);
}

/* Every secret known now: the registered ones and the environment's (which
 * join the registry when first seen). 0, or -1 when memory runs out. */
static int snapshot(SecretSet *out)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    pthread_mutex_lock(&registry_lock);
    for (char **e = environ; rc == 0 && e && *e; e++) {
        const char *eq = strchr(*e, '=');
        char name[256];
        size_t nl = eq ? (size_t)(eq - *e) : 0;
        if (!nl || nl >= sizeof name)
            continue;
        memcpy(name, *e, nl);
        name[nl] = '\0';
        if (keyfilter_is_secret_name(name))
            rc = registry_add(eq + 1, strlen(eq + 1));
    }
    if (rc == 0 && registry_n) {
        out->v = malloc(registry_n * sizeof *out->v);
        if (out->v) {
            memcpy(out->v, registry, registry_n * sizeof *out->v);
            out->n = registry_n;
        } else {
            rc = -1;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return rc;
}

/* ---- matching ------------------------------------------------------------ */

typedef enum Match { MATCH_NONE, MATCH_PARTIAL, MATCH_FULL } Match;

/* Does p[0..avail) hold the hex digits of byte b (width digits, leading
 * zeros for \u00HH)? FULL, PARTIAL (consistent so far, cut short) or NONE. */
static Match hex_digits(const unsigned char *p, size_t avail, unsigned b, int width)
{
    for (int i = 0; i < width; i++) {
        if ((size_t)i >= avail)
            return MATCH_PARTIAL;
        int shift = 4 * (width - 1 - i);
        if (hex_value(p[i]) != (int)((b >> shift) & 15))
            return MATCH_NONE;
    }
    return MATCH_FULL;
}

/* One secret, each byte plain or escaped, at p. */
static Match match_escaped(const Secret *s, const unsigned char *p, size_t avail, size_t *span)
{
    size_t j = 0;
    for (size_t k = 0; k < s->len; k++) {
        unsigned c = s->raw[k];
        if (j >= avail)
            return MATCH_PARTIAL;
        if (p[j] == c) {
            j++;
            continue;
        }
        Match m = MATCH_NONE;
        if (p[j] == '%') {
            m = hex_digits(p + j + 1, avail - j - 1, c, 2);
            if (m == MATCH_FULL)
                j += 3;
        } else if (p[j] == '\\') {
            /* \u0073, or \\u0073 (that escape inside JSON text), or \/ */
            size_t e = j + 1;
            if (e < avail && p[e] == '\\')
                e++;
            if (e >= avail)
                return MATCH_PARTIAL;
            if (p[e] == '/' && c == '/') {
                j = e + 1;
                m = MATCH_FULL;
            } else if (p[e] == 'u') {
                m = hex_digits(p + e + 1, avail - e - 1, c, 4);
                if (m == MATCH_FULL)
                    j = e + 5;
            }
        }
        if (m != MATCH_FULL)
            return m;
    }
    *span = j;
    return MATCH_FULL;
}

static Match match_plain(const char *pat, size_t n, const unsigned char *p, size_t avail)
{
    size_t k = n < avail ? n : avail;
    if (memcmp(pat, p, k) != 0)
        return MATCH_NONE;
    return k == n ? MATCH_FULL : MATCH_PARTIAL;
}

/* The longest full match of any secret at p (*span, 0 when none), and
 * whether a match (possibly a longer one) may still come with more bytes. */
static void match_any(const SecretSet *set, const unsigned char *p, size_t avail, size_t *span, bool *partial)
{
    *span = 0;
    *partial = false;
    for (size_t i = 0; i < set->n; i++) {
        const Secret *s = set->v[i];
        if (p[0] == s->raw[0] || p[0] == '%' || p[0] == '\\') {
            size_t sp = 0;
            Match m = match_escaped(s, p, avail, &sp);
            if (m == MATCH_FULL && sp > *span)
                *span = sp;
            *partial |= m == MATCH_PARTIAL;
        }
        for (int f = 0; f < B64_FORMS; f++) {
            if (!s->b64[f] || p[0] != (unsigned char)s->b64[f][0])
                continue;
            Match m = match_plain(s->b64[f], s->b64_len[f], p, avail);
            if (m == MATCH_FULL && s->b64_len[f] > *span)
                *span = s->b64_len[f];
            *partial |= m == MATCH_PARTIAL;
        }
    }
}

/* Scans buf[0..n): masks full matches (in place when mask is set; the
 * longest one at each position) and returns how many; *stop is where a
 * match that more bytes could still make (or make longer) begins: n when
 * none, or when final (the end: what is there is all there is). Fed the
 * same bytes, streaming and whole scans mask the same spans. */
static size_t scan(const SecretSet *set, char *buf, size_t n, bool mask, bool final, size_t *stop)
{
    size_t hits = 0, i = 0;
    *stop = n;
    while (i < n && set->n) {
        size_t span;
        bool partial;
        match_any(set, (const unsigned char *)buf + i, n - i, &span, &partial);
        if (partial && !final) {
            *stop = i;
            break;
        }
        if (span) {
            /* an escape whose backslash is itself escaped (JSON "\\u0073"):
             * mask that backslash too, so JSON text stays valid */
            size_t back = 0;
            while (buf[i] == '\\' && back < i && buf[i - back - 1] == '\\')
                back++;
            size_t from = back % 2 ? i - 1 : i;
            if (mask)
                memset(buf + from, '*', span + (i - from));
            hits++;
            i += span;
            continue;
        }
        i++;
    }
    return hits;
}

size_t keyfilter_mask(char *buf, size_t n)
{
    SecretSet set;
    if (!buf || !n || snapshot(&set) < 0)
        return 0;
    size_t stop;
    size_t hits = scan(&set, buf, n, true, true, &stop);
    set_free(&set);
    return hits;
}

bool keyfilter_contains(const char *s, size_t n)
{
    SecretSet set;
    if (!s || !n || snapshot(&set) < 0)
        return false;
    size_t stop;
    size_t hits = scan(&set, (char *)(uintptr_t)s, n, false, true, &stop);
    set_free(&set);
    return hits > 0;
}

/* ---- streaming ----------------------------------------------------------- */

struct KeyFilter {
    SecretSet set;
    Buf hold;    /* bytes not yet released: the start of a possible match */
    size_t hits;
};

KeyFilter *keyfilter_new(void)
{
    KeyFilter *f = calloc(1, sizeof *f);
    if (!f || snapshot(&f->set) < 0) {
        free(f);
        return NULL;
    }
    return f;
}

void keyfilter_free(KeyFilter *f)
{
    if (!f)
        return;
    set_free(&f->set);
    if (f->hold.data)
        memset(f->hold.data, 0, f->hold.len);
    buf_free(&f->hold);
    free(f);
}

static int release(KeyFilter *f, bool final, Buf *out)
{
    if (!f->hold.len)
        return 0;
    size_t stop;
    f->hits += scan(&f->set, f->hold.data, f->hold.len, true, final, &stop);
    if (stop && buf_append(out, f->hold.data, stop) < 0)
        return -1;
    memmove(f->hold.data, f->hold.data + stop, f->hold.len - stop);
    f->hold.len -= stop;
    f->hold.data[f->hold.len] = '\0';
    return 0;
}

int keyfilter_feed(KeyFilter *f, const char *s, size_t n, Buf *out)
{
    if (n && buf_append(&f->hold, s, n) < 0)
        return -1;
    if (!f->set.n) /* nothing to look for: pass everything through */
        return release(f, true, out);
    return release(f, false, out);
}

int keyfilter_flush(KeyFilter *f, Buf *out) { return release(f, true, out); }

size_t keyfilter_hits(const KeyFilter *f) { return f->hits; }

/* ---- the sink -------------------------------------------------------------- */

#define KEYSINK_KINDS 16

struct KeySink {
    StreamSink next;
    KeyFilter *text[KEYSINK_KINDS]; /* one per event kind that carries text, made on first use */
    bool failed;                    /* out of memory: text is masked whole instead */
    size_t hits;
};

KeySink *keysink_new(StreamSink downstream)
{
    KeySink *k = calloc(1, sizeof *k);
    if (k)
        k->next = downstream;
    return k;
}

void keysink_free(KeySink *k)
{
    if (!k)
        return;
    for (int i = 0; i < KEYSINK_KINDS; i++)
        keyfilter_free(k->text[i]);
    free(k);
}

static void release_kind(KeySink *k, int kind)
{
    KeyFilter *f = k->text[kind];
    if (!f || !f->hold.len)
        return;
    Buf out = { 0 };
    if (keyfilter_flush(f, &out) == 0 && out.len) {
        StreamEvent ev = stream_event_init((StreamEventKind)kind);
        ev.text = out.data;
        ev.len = out.len;
        ev.token_id = STREAM_TOKEN_HELD_BACK;
        k->next.emit(k->next.user, &ev);
    }
    buf_free(&out);
}

void keysink_end(KeySink *k)
{
    for (int i = 0; i < KEYSINK_KINDS; i++)
        release_kind(k, i);
}

bool keysink_masked(const KeySink *k)
{
    size_t hits = k->hits;
    for (int i = 0; i < KEYSINK_KINDS; i++)
        hits += k->text[i] ? k->text[i]->hits : 0;
    return hits > 0;
}

static void keysink_emit(void *user, const StreamEvent *ev)
{
    KeySink *k = user;
    StreamEvent copy = *ev;
    Buf out = { 0 }, msg = { 0 };
    if (ev->kind == STREAM_EVENT_DONE || ev->kind == STREAM_EVENT_ERROR)
        keysink_end(k);
    int kind = (int)ev->kind;
    bool streamed = ev->kind == STREAM_EVENT_DELTA || ev->kind == STREAM_EVENT_REASONING ||
                    ev->kind == STREAM_EVENT_REFUSAL;
    if (ev->text && !streamed) { /* any other text is masked whole */
        if (buf_append(&out, ev->text, ev->len) == 0)
            k->hits += keyfilter_mask(out.data, out.len);
        copy.text = out.data ? out.data : "";
        copy.len = out.len;
    } else if (ev->text && kind >= 0 && kind < KEYSINK_KINDS) {
        if (!k->text[kind] && !k->failed && !(k->text[kind] = keyfilter_new()))
            k->failed = true;
        if (k->text[kind] && keyfilter_feed(k->text[kind], ev->text, ev->len, &out) == 0) {
            copy.text = out.data ? out.data : "";
            copy.len = out.len;
        } else if (buf_append(&out, ev->text, ev->len) == 0) {
            k->hits += keyfilter_mask(out.data, out.len); /* no memory to stream: whole */
            copy.text = out.data ? out.data : "";
            copy.len = out.len;
        } else {
            copy.text = "";
            copy.len = 0;
        }
    }
    if (ev->error_message && buf_puts(&msg, ev->error_message) == 0) {
        k->hits += keyfilter_mask(msg.data, msg.len);
        copy.error_message = msg.data;
    }
    /* the short texts some events carry: masked whole */
    const char **fields[] = { &copy.reason, &copy.tool.id, &copy.tool.name, &copy.tool.arguments,
                              &copy.error_type, &copy.finish_reason, &copy.label };
    char *owned[sizeof fields / sizeof *fields] = { 0 };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        if (!*fields[i] || !(owned[i] = strdup(*fields[i])))
            continue;
        k->hits += keyfilter_mask(owned[i], strlen(owned[i]));
        *fields[i] = owned[i];
    }
    k->next.emit(k->next.user, &copy);
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        free(owned[i]);
    if (out.data)
        memset(out.data, 0, out.len);
    buf_free(&out);
    buf_free(&msg);
}

StreamSink keysink_sink(KeySink *k) { return (StreamSink){ .emit = keysink_emit, .user = k }; }
