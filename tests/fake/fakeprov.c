/* fakeprov.c — the fake provider's HTTP/1.1 server (see fakeprov.h).
 *
 * An accept thread plus one thread per connection, all on 127.0.0.1. Each
 * connection reads whole requests (Content-Length or chunked, answering
 * Expect: 100-continue), records them, picks the scenario from the model
 * name and plays the FakeScript that fake_wire.c built. Every wait (pauses,
 * socket readiness) also watches a wake pipe, so fakeprov_stop() interrupts
 * everything at once. This file knows HTTP and sockets, not API formats. */
#include "fake/fakeprov.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "fake/fake_scenario.h"
#include "fake/fake_wire.h"
#include "util/hex.h"

#define MAX_HEAD_BYTES (64 * 1024)
#define MAX_BODY_BYTES (64u * 1024 * 1024)
#define MAX_HEADERS 100

typedef struct Conn {
    pthread_t th;
    int fd;          /* -1 once closed (under FakeProv.mu) */
    bool done;       /* the thread finished; join it */
    struct Conn *next;
    struct FakeProv *fp;
} Conn;

typedef struct Attempt {
    FakeRoute route;
    char *model;
    long count;
    struct Attempt *next;
} Attempt;

struct FakeProv {
    int listen_fd;
    int port;
    int wake[2];       /* readable once stopping */
    char url[64];
    char *scenario;    /* default for model names that are no scenario */
    char *transcripts; /* directory of replay-NAME files */
    pthread_t accept_th;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* signalled on every recorded request */
    Conn *conns;
    Attempt *attempts;
    long counts[FAKE_ROUTE_COUNT];
    long connections;
    int active, max_active;
    FakeRequest last[FAKE_ROUTE_COUNT + 1]; /* [FAKE_ROUTE_COUNT]: any route */
    bool have_last[FAKE_ROUTE_COUNT + 1];
};

const char *fakeprov_route_name(FakeRoute route)
{
    static const char *const names[] = { "openai", "responses", "anthropic", "gemini", "ollama", "other" };
    return route < FAKE_ROUTE_COUNT ? names[route] : "any";
}

/* ---- waiting ------------------------------------------------------------ */

static bool stopping(FakeProv *fp)
{
    struct pollfd p = { .fd = fp->wake[0], .events = POLLIN };
    return poll(&p, 1, 0) > 0;
}

/* Sleeps ms; false when the server is stopping. */
static bool nap(FakeProv *fp, int ms)
{
    if (ms <= 0)
        return !stopping(fp);
    struct pollfd p = { .fd = fp->wake[0], .events = POLLIN };
    return poll(&p, 1, ms) == 0;
}

static bool nap_us(FakeProv *fp, int us)
{
    if (us <= 0)
        return true;
    if (us >= 1000)
        return nap(fp, us / 1000);
    struct timespec ts = { 0, (long)us * 1000 };
    nanosleep(&ts, NULL);
    return !stopping(fp);
}

/* Waits for fd to be ready for events; 1 ready, 0 stopping, -1 error. */
static int wait_fd(FakeProv *fp, int fd, short events)
{
    for (;;) {
        struct pollfd p[2] = { { .fd = fd, .events = events }, { .fd = fp->wake[0], .events = POLLIN } };
        int r = poll(p, 2, -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (p[1].revents)
            return 0;
        if (p[0].revents)
            return 1;
    }
}

static int send_all(FakeProv *fp, int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
            continue;
        }
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (wait_fd(fp, fd, POLLOUT) != 1)
                return -1;
            continue;
        }
        return -1;
    }
    return 0;
}

/* ---- reading a request -------------------------------------------------- */

typedef struct InBuf {
    Buf b;      /* bytes received, not yet consumed */
    size_t pos; /* consumed prefix */
} InBuf;

/* Reads more bytes; 1 got some, 0 peer closed / stopping, -1 error. */
static int read_more(FakeProv *fp, int fd, InBuf *in)
{
    char tmp[16384];
    for (;;) {
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r > 0)
            return buf_append(&in->b, tmp, (size_t)r) == 0 ? 1 : -1;
        if (r == 0)
            return 0;
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
            int w = wait_fd(fp, fd, POLLIN);
            if (w != 1)
                return w;
            continue;
        }
        return -1;
    }
}

static void request_clear(FakeRequest *rq)
{
    free(rq->target);
    free(rq->path);
    free(rq->query);
    for (size_t i = 0; i < rq->n_headers; i++) {
        free(rq->headers[i].name);
        free(rq->headers[i].value);
    }
    free(rq->headers);
    free(rq->body);
    free(rq->model);
    memset(rq, 0, sizeof *rq);
}

void fakeprov_request_free(FakeRequest *rq)
{
    if (rq)
        request_clear(rq);
}

const char *fakeprov_request_header(const FakeRequest *rq, const char *name)
{
    for (size_t i = 0; i < rq->n_headers; i++)
        if (strcasecmp(rq->headers[i].name, name) == 0)
            return rq->headers[i].value;
    return NULL;
}

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

static char *percent_decode(const char *s, size_t n)
{
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int h, l;
        if (s[i] == '%' && i + 2 < n && (h = hex_value(s[i + 1])) >= 0 && (l = hex_value(s[i + 2])) >= 0) {
            out[o++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* Parses the head (request line + headers, without the blank line) into rq. 0 or -1. */
static int parse_head(const char *h, size_t n, FakeRequest *rq)
{
    const char *end = h + n;
    const char *eol = memmem(h, n, "\r\n", 2);
    if (!eol)
        eol = end;
    const char *sp1 = memchr(h, ' ', (size_t)(eol - h));
    if (!sp1 || (size_t)(sp1 - h) >= sizeof rq->method)
        return -1;
    const char *sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
    if (!sp2)
        return -1;
    memcpy(rq->method, h, (size_t)(sp1 - h));
    rq->method[sp1 - h] = '\0';
    rq->target = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
    if (!rq->target)
        return -1;
    const char *q = strchr(rq->target, '?');
    size_t plen = q ? (size_t)(q - rq->target) : strlen(rq->target);
    rq->path = percent_decode(rq->target, plen);
    rq->query = strdup(q ? q + 1 : "");
    rq->headers = calloc(MAX_HEADERS, sizeof *rq->headers);
    if (!rq->path || !rq->query || !rq->headers)
        return -1;
    const char *line = eol + 2;
    while (line < end) {
        const char *le = memmem(line, (size_t)(end - line), "\r\n", 2);
        if (!le)
            le = end;
        const char *colon = memchr(line, ':', (size_t)(le - line));
        if (!colon || rq->n_headers == MAX_HEADERS)
            return -1;
        const char *v = colon + 1;
        while (v < le && (*v == ' ' || *v == '\t'))
            v++;
        const char *ve = le;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        FakeHeader *fh = &rq->headers[rq->n_headers];
        fh->name = dup_n(line, (size_t)(colon - line));
        fh->value = dup_n(v, (size_t)(ve - v));
        if (!fh->name || !fh->value)
            return -1;
        rq->n_headers++;
        line = le + 2;
    }
    return 0;
}

/* Decodes a chunked body starting at p; 1 complete (*used = bytes consumed),
 * 0 needs more bytes, -1 malformed. */
static int dechunk(const char *p, size_t n, Buf *body, size_t *used)
{
    size_t i = 0;
    buf_reset(body);
    for (;;) {
        const char *le = memmem(p + i, n - i, "\r\n", 2);
        if (!le)
            return 0;
        char *e = NULL;
        errno = 0;
        unsigned long sz = strtoul(p + i, &e, 16);
        if (errno || e == p + i || sz > MAX_BODY_BYTES)
            return -1;
        size_t data = (size_t)(le - p) + 2;
        if (sz == 0) { /* trailers until a blank line */
            size_t j = data;
            for (;;) {
                const char *te = memmem(p + j, n - j, "\r\n", 2);
                if (!te)
                    return 0;
                if (te == p + j) {
                    *used = j + 2;
                    return 1;
                }
                j = (size_t)(te - p) + 2;
            }
        }
        if (n - data < sz + 2)
            return 0;
        if (buf_append(body, p + data, sz) < 0)
            return -1;
        i = data + sz + 2;
    }
}

/* Reads one request; 1 got it, 0 the peer closed first, -1 error or malformed. */
static int read_request(FakeProv *fp, int fd, InBuf *in, FakeRequest *rq)
{
    size_t head_len = 0;
    for (;;) {
        const char *start = in->b.data ? in->b.data + in->pos : "";
        size_t avail = in->b.len - in->pos;
        const char *e = avail ? memmem(start, avail, "\r\n\r\n", 4) : NULL;
        if (e) {
            head_len = (size_t)(e - start);
            break;
        }
        if (avail > MAX_HEAD_BYTES)
            return -1;
        int r = read_more(fp, fd, in);
        if (r <= 0)
            return avail ? -1 : r;
    }
    if (parse_head(in->b.data + in->pos, head_len, rq) < 0)
        return -1;
    in->pos += head_len + 4;
    const char *te = fakeprov_request_header(rq, "transfer-encoding");
    const char *cl = fakeprov_request_header(rq, "content-length");
    const char *expect = fakeprov_request_header(rq, "expect");
    if (expect && strcasecmp(expect, "100-continue") == 0) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        if (send_all(fp, fd, cont, sizeof cont - 1) < 0)
            return -1;
    }
    Buf body = { 0 };
    if (te && strcasestr(te, "chunked")) {
        for (;;) {
            size_t used = 0;
            int r = dechunk(in->b.data + in->pos, in->b.len - in->pos, &body, &used);
            if (r < 0) {
                buf_free(&body);
                return -1;
            }
            if (r == 1) {
                in->pos += used;
                break;
            }
            if (read_more(fp, fd, in) <= 0) {
                buf_free(&body);
                return -1;
            }
        }
    } else if (cl) {
        char *e = NULL;
        errno = 0;
        unsigned long len = strtoul(cl, &e, 10);
        if (errno || e == cl || *e || len > MAX_BODY_BYTES)
            return -1;
        while (in->b.len - in->pos < len)
            if (read_more(fp, fd, in) <= 0)
                return -1;
        buf_append(&body, in->b.data + in->pos, len);
        in->pos += len;
    }
    rq->body_len = body.len;
    rq->body = buf_steal(&body);
    if (!rq->body)
        return -1;
    /* drop consumed bytes, keep any pipelined rest */
    size_t rest = in->b.len - in->pos;
    memmove(in->b.data, in->b.data + in->pos, rest);
    in->b.len = rest;
    in->b.data[rest] = '\0';
    in->pos = 0;
    return 1;
}

/* ---- routing and recording ---------------------------------------------- */

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Route from the path; for Gemini *gemini_model gets the model from the path. */
static FakeRoute route_of(const char *path, char **gemini_model)
{
    if (ends_with(path, "/chat/completions"))
        return FAKE_ROUTE_OPENAI;
    if (ends_with(path, "/responses"))
        return FAKE_ROUTE_RESPONSES;
    if (ends_with(path, "/messages"))
        return FAKE_ROUTE_ANTHROPIC;
    if (ends_with(path, "/api/chat"))
        return FAKE_ROUTE_OLLAMA;
    const char *m = strstr(path, "/models/");
    const char *colon = m ? strrchr(path, ':') : NULL;
    if (m && colon && colon > m + 8 &&
        (strcmp(colon, ":streamGenerateContent") == 0 || strcmp(colon, ":generateContent") == 0)) {
        *gemini_model = dup_n(m + 8, (size_t)(colon - m - 8));
        return FAKE_ROUTE_GEMINI;
    }
    return FAKE_ROUTE_OTHER;
}

static int request_copy(const FakeRequest *src, FakeRequest *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->route = src->route;
    memcpy(dst->method, src->method, sizeof dst->method);
    dst->target = strdup(src->target ? src->target : "");
    dst->path = strdup(src->path ? src->path : "");
    dst->query = strdup(src->query ? src->query : "");
    dst->model = strdup(src->model ? src->model : "");
    dst->body = dup_n(src->body ? src->body : "", src->body_len);
    dst->body_len = src->body_len;
    dst->attempt = src->attempt;
    dst->headers = calloc(src->n_headers ? src->n_headers : 1, sizeof *dst->headers);
    if (!dst->target || !dst->path || !dst->query || !dst->model || !dst->body || !dst->headers) {
        request_clear(dst);
        return -1;
    }
    for (size_t i = 0; i < src->n_headers; i++) {
        dst->headers[i].name = strdup(src->headers[i].name);
        dst->headers[i].value = strdup(src->headers[i].value);
        dst->n_headers = i + 1;
        if (!dst->headers[i].name || !dst->headers[i].value) {
            request_clear(dst);
            return -1;
        }
    }
    return 0;
}

/* Counts the request, remembers a copy, and sets rq->attempt (takes the lock). */
static void record(FakeProv *fp, FakeRequest *rq)
{
    pthread_mutex_lock(&fp->mu);
    Attempt *a = fp->attempts;
    while (a && !(a->route == rq->route && strcmp(a->model, rq->model) == 0))
        a = a->next;
    if (!a) {
        a = calloc(1, sizeof *a);
        if (a) {
            a->route = rq->route;
            a->model = strdup(rq->model);
            if (!a->model) {
                free(a);
                a = NULL;
            } else {
                a->next = fp->attempts;
                fp->attempts = a;
            }
        }
    }
    rq->attempt = a ? (int)++a->count : 1;
    fp->counts[rq->route]++;
    FakeRoute slots[2] = { rq->route, FAKE_ROUTE_COUNT };
    for (int i = 0; i < 2; i++) {
        FakeRequest copy;
        if (request_copy(rq, &copy) == 0) {
            if (fp->have_last[slots[i]])
                request_clear(&fp->last[slots[i]]);
            fp->last[slots[i]] = copy;
            fp->have_last[slots[i]] = true;
        }
    }
    pthread_cond_broadcast(&fp->cv);
    pthread_mutex_unlock(&fp->mu);
}

/* The text of one message's content: a string, or the text parts of an
 * array ({"type":"text","text":...} or Gemini's {"text":...}). */
static void content_text(const cJSON *content, Buf *out)
{
    if (cJSON_IsString(content)) {
        buf_append(out, content->valuestring, strlen(content->valuestring));
        return;
    }
    const cJSON *part;
    cJSON_ArrayForEach(part, content)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(t))
            buf_append(out, t->valuestring, strlen(t->valuestring));
    }
}

/* Every message of the request as "[ROLE] TEXT" lines after "messages=N"
 * (history), and the last user message's text (last_user). */
static void messages_of(const cJSON *j, FakeRoute route, Buf *history, Buf *last_user)
{
    Buf lines = { 0 };
    int n = 0;
    const char *sys_key = route == FAKE_ROUTE_GEMINI ? "systemInstruction"
                        : route == FAKE_ROUTE_RESPONSES ? "instructions" : "system";
    const char *msgs_key = route == FAKE_ROUTE_GEMINI ? "contents" : route == FAKE_ROUTE_RESPONSES ? "input" : "messages";
    const cJSON *sys = cJSON_GetObjectItemCaseSensitive(j, sys_key);
    if (sys) {
        buf_printf(&lines, "\n[system] ");
        content_text(route == FAKE_ROUTE_GEMINI ? cJSON_GetObjectItemCaseSensitive(sys, "parts") : sys, &lines);
        n++;
    }
    const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(j, msgs_key);
    const cJSON *m;
    cJSON_ArrayForEach(m, msgs)
    {
        const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const char *r = cJSON_IsString(role) ? role->valuestring : "?";
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, route == FAKE_ROUTE_GEMINI ? "parts" : "content");
        buf_printf(&lines, "\n[%s] ", r);
        content_text(c, &lines);
        n++;
        if (strcmp(r, "user") == 0) {
            buf_reset(last_user);
            content_text(c, last_user);
        }
    }
    buf_printf(history, "messages=%d", n);
    if (lines.len)
        buf_append(history, lines.data, lines.len);
    buf_free(&lines);
}

/* Fills the facts fake_wire needs from the JSON body; a refusal message
 * (static) when the request can not be served, else NULL. */
/* True when the body asks for reasoning in its API's own way. */
static bool asks_reasoning(const cJSON *j, FakeRoute route)
{
    const cJSON *v;
    switch (route) {
    case FAKE_ROUTE_RESPONSES:
        return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "reasoning"),
                                                               "effort"));
    case FAKE_ROUTE_ANTHROPIC:
        v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "thinking"), "type");
        return cJSON_IsString(v) && strcmp(v->valuestring, "enabled") == 0;
    case FAKE_ROUTE_GEMINI:
        v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "generationConfig"), "thinkingConfig");
        return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "includeThoughts"));
    case FAKE_ROUTE_OLLAMA:
        v = cJSON_GetObjectItemCaseSensitive(j, "think");
        return cJSON_IsTrue(v) || cJSON_IsString(v);
    case FAKE_ROUTE_OPENAI:
        v = cJSON_GetObjectItemCaseSensitive(j, "reasoning_effort");
        return cJSON_IsString(v) && strcmp(v->valuestring, "none") != 0;
    default:
        return false;
    }
}

static const char *inspect_body(FakeRequest *rq, bool *include_usage, bool *reasoning, Buf *history,
                                Buf *last_user)
{
    *include_usage = false;
    *reasoning = false;
    if (rq->route == FAKE_ROUTE_OTHER)
        return NULL;
    if (strcmp(rq->method, "POST") != 0)
        return "fake provider: only POST is served here";
    cJSON *j = cJSON_ParseWithLength(rq->body, rq->body_len);
    if (!j || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return "fake provider: the request body is not a JSON object";
    }
    const char *refuse = NULL;
    if (rq->route != FAKE_ROUTE_GEMINI) {
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(j, "model");
        if (cJSON_IsString(model)) {
            char *m = strdup(model->valuestring);
            if (m) {
                free(rq->model);
                rq->model = m;
            }
        }
        const cJSON *stream = cJSON_GetObjectItemCaseSensitive(j, "stream");
        bool streams = rq->route == FAKE_ROUTE_OLLAMA ? !cJSON_IsFalse(stream) : cJSON_IsTrue(stream);
        if (!streams)
            refuse = "fake provider: only streaming requests are served (\"stream\": true)";
        const cJSON *so = cJSON_GetObjectItemCaseSensitive(j, "stream_options");
        *include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(so, "include_usage"));
    } else if (!strstr(rq->path, ":streamGenerateContent")) {
        refuse = "fake provider: only :streamGenerateContent is served";
    } else if (strcmp(rq->query, "alt=sse") != 0 && !strstr(rq->query, "alt=sse&") &&
               !ends_with(rq->query, "&alt=sse")) {
        refuse = "fake provider: only ?alt=sse streams are served";
    }
    messages_of(j, rq->route, history, last_user);
    *reasoning = asks_reasoning(j, rq->route);
    cJSON_Delete(j);
    return refuse;
}

/* Appends the file at path (trailing newlines of path ignored); 0 or -1. */
static int read_whole(const char *path, Buf *out)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", path);
    size_t n = strlen(p);
    while (n && (p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == ' '))
        p[--n] = '\0';
    FILE *f = fopen(p, "rb");
    if (!f)
        return -1;
    char tmp[8192];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
        buf_append(out, tmp, got);
    fclose(f);
    return 0;
}

/* FAKE_FILE: PATH.MODEL when it exists (one text per model), else PATH. */
static int read_model_file(const char *path, const char *model, Buf *out)
{
    Buf p = { 0 };
    buf_printf(&p, "%s", path);
    while (p.len && (p.data[p.len - 1] == '\n' || p.data[p.len - 1] == ' '))
        p.data[--p.len] = '\0';
    buf_printf(&p, ".%s", model);
    int rc = read_whole(buf_str(&p), out);
    buf_free(&p);
    return rc == 0 ? 0 : read_whole(path, out);
}

/* Reads transcripts/NAME.sse or NAME.ndjson whole; 0, or -1 when neither exists. */
static int load_transcript(const FakeProv *fp, const char *name, Buf *out)
{
    static const char *const ext[] = { ".sse", ".ndjson" };
    for (size_t i = 0; i < 2; i++) {
        Buf path = { 0 };
        buf_printf(&path, "%s/%s%s", fp->transcripts, name, ext[i]);
        FILE *f = fopen(buf_str(&path), "rb");
        buf_free(&path);
        if (!f)
            continue;
        char tmp[8192];
        size_t got;
        while ((got = fread(tmp, 1, sizeof tmp, f)) > 0)
            buf_append(out, tmp, got);
        fclose(f);
        return 0;
    }
    return -1;
}

/* ---- playing a script ------------------------------------------------------ */

typedef enum Outcome { OUT_KEEP, OUT_CLOSE, OUT_CLOSED } Outcome;

static void close_conn(Conn *c, bool reset)
{
    pthread_mutex_lock(&c->fp->mu);
    int fd = c->fd;
    c->fd = -1;
    pthread_mutex_unlock(&c->fp->mu);
    if (fd < 0)
        return;
    if (reset) {
        struct linger l = { .l_onoff = 1, .l_linger = 0 };
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(fd);
}

static int send_piece(FakeProv *fp, int fd, FakeFraming framing, const char *p, size_t n)
{
    if (framing != FAKE_FRAMING_CHUNKED)
        return send_all(fp, fd, p, n);
    Buf b = { 0 };
    buf_printf(&b, "%zx\r\n", n);
    buf_append(&b, p, n);
    buf_puts(&b, "\r\n");
    int r = b.data ? send_all(fp, fd, b.data, b.len) : -1;
    buf_free(&b);
    return r;
}

static int send_data(FakeProv *fp, int fd, const FakeScript *s, const char *p, size_t n, unsigned *rng)
{
    if (s->framing == FAKE_FRAMING_LENGTH || (!s->chunk && !s->odd))
        return send_piece(fp, fd, s->framing, p, n);
    size_t off = 0;
    while (off < n) {
        size_t len = (size_t)s->chunk;
        if (s->odd) {
            *rng = *rng * 1103515245u + 12345u;
            len = 1 + (*rng >> 16) % 13;
        }
        if (len > n - off)
            len = n - off;
        if (send_piece(fp, fd, s->framing, p + off, len) < 0)
            return -1;
        off += len;
        if (off < n && !nap_us(fp, s->gap_us ? s->gap_us : 100))
            return -1;
    }
    return 0;
}

/* Waits until the peer closes (or the server stops), discarding what it sends. */
static void hang(FakeProv *fp, int fd)
{
    char tmp[4096];
    for (;;) {
        if (wait_fd(fp, fd, POLLIN) != 1)
            return;
        ssize_t r = recv(fd, tmp, sizeof tmp, 0);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

static Outcome play(Conn *c, const FakeScript *s, unsigned seed)
{
    FakeProv *fp = c->fp;
    int fd = c->fd;
    unsigned rng = seed;
    for (size_t i = 0; i < s->n; i++) {
        const FakeStep *st = &s->steps[i];
        if (!nap(fp, st->delay_ms))
            return OUT_CLOSE;
        switch (st->kind) {
        case FAKE_STEP_HEAD:
            if (send_all(fp, fd, st->bytes, st->len) < 0)
                return OUT_CLOSE;
            break;
        case FAKE_STEP_DATA:
            if (send_data(fp, fd, s, st->bytes, st->len, &rng) < 0)
                return OUT_CLOSE;
            break;
        case FAKE_STEP_REPEAT:
            if (st->count > 0) {
                /* a fixed schedule, so the rate holds whatever each send costs */
                struct timespec t0, now;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                for (long k = 0; k < st->count; k++) {
                    if (send_data(fp, fd, s, st->bytes, st->len, &rng) < 0)
                        return OUT_CLOSE;
                    clock_gettime(CLOCK_MONOTONIC, &now);
                    long long due_us = (long long)(k + 1) * st->interval_us;
                    long long at_us = (now.tv_sec - t0.tv_sec) * 1000000LL + (now.tv_nsec - t0.tv_nsec) / 1000;
                    if (due_us > at_us && !nap_us(fp, (int)(due_us - at_us)))
                        return OUT_CLOSE;
                    if (stopping(fp))
                        return OUT_CLOSE;
                }
                break;
            }
            for (;;) {
                if (send_data(fp, fd, s, st->bytes, st->len, &rng) < 0 || !nap(fp, st->delay_ms))
                    return OUT_CLOSE;
            }
        case FAKE_STEP_RESET:
            close_conn(c, true);
            return OUT_CLOSED;
        case FAKE_STEP_CLOSE:
            return OUT_CLOSE;
        case FAKE_STEP_HANG:
            hang(fp, fd);
            return OUT_CLOSE;
        case FAKE_STEP_END:
            if (s->framing == FAKE_FRAMING_EOF)
                return OUT_CLOSE;
            if (s->framing == FAKE_FRAMING_CHUNKED && send_all(fp, fd, "0\r\n\r\n", 5) < 0)
                return OUT_CLOSE;
            return OUT_KEEP;
        }
    }
    return OUT_CLOSE;
}

/* ---- one connection -------------------------------------------------------- */

static Outcome serve_one(Conn *c, FakeRequest *rq)
{
    FakeProv *fp = c->fp;
    char *gmodel = NULL;
    rq->route = route_of(rq->path, &gmodel);
    rq->model = gmodel ? gmodel : strdup("");
    if (!rq->model)
        return OUT_CLOSE;
    bool include_usage = false, reasoning = false;
    Buf history = { 0 }, last_user = { 0 }, text = { 0 };
    const char *refuse = inspect_body(rq, &include_usage, &reasoning, &history, &last_user);
    record(fp, rq);

    FakeWireRequest wr = { .route = rq->route, .model = rq->model ? rq->model : "",
                           .include_usage = include_usage, .reasoning = reasoning };
    FakeScript script;
    int rc;
    if (refuse) {
        rc = fake_wire_build_error(&wr, 400, refuse, &script);
    } else {
        FakeScenario sc;
        if (fake_scenario_parse(wr.model, &sc) < 0 &&
            fake_scenario_parse(fp->scenario ? fp->scenario : "happy", &sc) < 0)
            fake_scenario_parse("happy", &sc);
        FakeScenario now = fake_scenario_for_attempt(&sc, rq->attempt);
        Buf replay = { 0 };
        if (now.kind == FAKE_ECHO)
            buf_append(&text, buf_str(&last_user), last_user.len);
        else if (now.kind == FAKE_HISTORY)
            buf_append(&text, buf_str(&history), history.len);
        if (now.kind == FAKE_REPLAY && load_transcript(fp, now.replay, &replay) < 0) {
            rc = fake_wire_build_error(&wr, 404, "fake provider: no such transcript", &script);
        } else if (now.kind == FAKE_FILE && read_model_file(buf_str(&last_user), wr.model, &text) < 0) {
            rc = fake_wire_build_error(&wr, 404, "fake provider: no such file", &script);
        } else {
            wr.replay = replay.data;
            wr.replay_len = replay.len;
            wr.text = buf_str(&text);
            wr.text_len = text.len;
            rc = fake_wire_build(&wr, &now, &script);
        }
        buf_free(&replay);
    }
    buf_free(&history);
    buf_free(&last_user);
    buf_free(&text);
    if (rc < 0)
        return OUT_CLOSE;
    pthread_mutex_lock(&fp->mu);
    if (++fp->active > fp->max_active)
        fp->max_active = fp->active;
    pthread_mutex_unlock(&fp->mu);
    Outcome out = play(c, &script, (unsigned)rq->attempt * 2654435761u + (unsigned)rq->route);
    pthread_mutex_lock(&fp->mu);
    fp->active--;
    pthread_mutex_unlock(&fp->mu);
    fake_script_free(&script);
    const char *conn = fakeprov_request_header(rq, "connection");
    if (out == OUT_KEEP && conn && strcasecmp(conn, "close") == 0)
        out = OUT_CLOSE;
    return out;
}

static void *conn_main(void *arg)
{
    Conn *c = arg;
    InBuf in = { 0 };
    for (;;) {
        FakeRequest rq;
        memset(&rq, 0, sizeof rq);
        int r = read_request(c->fp, c->fd, &in, &rq);
        if (r <= 0) {
            if (r < 0 && !stopping(c->fp)) {
                static const char bad[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                send_all(c->fp, c->fd, bad, sizeof bad - 1);
            }
            request_clear(&rq);
            break;
        }
        Outcome out = serve_one(c, &rq);
        request_clear(&rq);
        if (out != OUT_KEEP)
            break;
    }
    buf_free(&in.b);
    close_conn(c, false);
    pthread_mutex_lock(&c->fp->mu);
    c->done = true;
    pthread_mutex_unlock(&c->fp->mu);
    return NULL;
}

/* Joins finished connection threads (all of them when all is true). */
static void reap(FakeProv *fp, bool all)
{
    for (;;) {
        Conn *victim = NULL;
        pthread_mutex_lock(&fp->mu);
        for (Conn **pp = &fp->conns; *pp; pp = &(*pp)->next) {
            if ((*pp)->done || all) {
                victim = *pp;
                *pp = victim->next;
                break;
            }
        }
        pthread_mutex_unlock(&fp->mu);
        if (!victim)
            return;
        pthread_join(victim->th, NULL);
        free(victim);
    }
}

static void *accept_main(void *arg)
{
    FakeProv *fp = arg;
    for (;;) {
        struct pollfd p[2] = { { .fd = fp->listen_fd, .events = POLLIN }, { .fd = fp->wake[0], .events = POLLIN } };
        int r = poll(p, 2, 200);
        if (r < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        reap(fp, false);
        if (r <= 0 || !p[0].revents)
            continue;
        int fd = accept4(fp->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        Conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->fp = fp;
        pthread_mutex_lock(&fp->mu);
        fp->connections++;
        c->next = fp->conns;
        fp->conns = c;
        if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
            fp->conns = c->next;
            pthread_mutex_unlock(&fp->mu);
            close(fd);
            free(c);
            continue;
        }
        pthread_mutex_unlock(&fp->mu);
    }
    return NULL;
}

/* ---- public ------------------------------------------------------------------ */

FakeProv *fakeprov_start(const FakeProvOptions *opt, char *err, size_t errlen)
{
    FakeProv *fp = calloc(1, sizeof *fp);
    if (!fp) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    fp->listen_fd = -1;
    fp->wake[0] = fp->wake[1] = -1;
    pthread_mutex_init(&fp->mu, NULL);
    pthread_cond_init(&fp->cv, NULL);
    if (opt && opt->scenario) {
        FakeScenario sc;
        if (fake_scenario_parse(opt->scenario, &sc) < 0) {
            snprintf(err, errlen, "unknown scenario '%s'", opt->scenario);
            goto fail;
        }
        fp->scenario = strdup(opt->scenario);
    }
    if (opt && opt->transcript_dir) {
        fp->transcripts = strdup(opt->transcript_dir);
    } else {
        const char *src = getenv("VERSUS_SRCDIR");
        Buf d = { 0 };
        buf_printf(&d, "%s/tests/transcripts", src && *src ? src : VERSUS_SRCDIR);
        fp->transcripts = buf_steal(&d);
    }
    if (!fp->transcripts) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (pipe2(fp->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto fail;
    }
    fp->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fp->listen_fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        goto fail;
    }
    int one = 1;
    setsockopt(fp->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)(opt ? opt->port : 0)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fp->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fp->listen_fd, 128) < 0) {
        snprintf(err, errlen, "bind/listen on 127.0.0.1:%d: %s", opt ? opt->port : 0, strerror(errno));
        goto fail;
    }
    socklen_t sl = sizeof sa;
    if (getsockname(fp->listen_fd, (struct sockaddr *)&sa, &sl) < 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        goto fail;
    }
    fp->port = ntohs(sa.sin_port);
    snprintf(fp->url, sizeof fp->url, "http://127.0.0.1:%d", fp->port);
    if (pthread_create(&fp->accept_th, NULL, accept_main, fp) != 0) {
        snprintf(err, errlen, "cannot start the accept thread");
        goto fail;
    }
    return fp;
fail:
    if (fp->listen_fd >= 0)
        close(fp->listen_fd);
    if (fp->wake[0] >= 0) {
        close(fp->wake[0]);
        close(fp->wake[1]);
    }
    free(fp->scenario);
    free(fp->transcripts);
    pthread_mutex_destroy(&fp->mu);
    pthread_cond_destroy(&fp->cv);
    free(fp);
    return NULL;
}

void fakeprov_stop(FakeProv *fp)
{
    if (!fp)
        return;
    ssize_t w = write(fp->wake[1], "x", 1);
    (void)w;
    pthread_join(fp->accept_th, NULL);
    pthread_mutex_lock(&fp->mu);
    for (Conn *c = fp->conns; c; c = c->next)
        if (c->fd >= 0)
            shutdown(c->fd, SHUT_RDWR);
    pthread_mutex_unlock(&fp->mu);
    reap(fp, true);
    close(fp->listen_fd);
    close(fp->wake[0]);
    close(fp->wake[1]);
    fakeprov_reset(fp);
    pthread_mutex_destroy(&fp->mu);
    pthread_cond_destroy(&fp->cv);
    free(fp->scenario);
    free(fp->transcripts);
    free(fp);
}

int fakeprov_port(const FakeProv *fp) { return fp->port; }
const char *fakeprov_url(const FakeProv *fp) { return fp->url; }

long fakeprov_count(FakeProv *fp, FakeRoute route)
{
    long n = 0;
    pthread_mutex_lock(&fp->mu);
    for (int r = 0; r < FAKE_ROUTE_COUNT; r++)
        if (route == FAKE_ROUTE_COUNT || (FakeRoute)r == route)
            n += fp->counts[r];
    pthread_mutex_unlock(&fp->mu);
    return n;
}

long fakeprov_count_model(FakeProv *fp, FakeRoute route, const char *model)
{
    long n = 0;
    pthread_mutex_lock(&fp->mu);
    for (Attempt *a = fp->attempts; a; a = a->next)
        if ((route == FAKE_ROUTE_COUNT || a->route == route) && strcmp(a->model, model) == 0)
            n += a->count;
    pthread_mutex_unlock(&fp->mu);
    return n;
}

long fakeprov_connections(FakeProv *fp)
{
    pthread_mutex_lock(&fp->mu);
    long n = fp->connections;
    pthread_mutex_unlock(&fp->mu);
    return n;
}

int fakeprov_max_active(FakeProv *fp)
{
    pthread_mutex_lock(&fp->mu);
    int n = fp->max_active;
    pthread_mutex_unlock(&fp->mu);
    return n;
}

bool fakeprov_wait_count(FakeProv *fp, FakeRoute route, long n, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&fp->mu);
    bool ok = false;
    for (;;) {
        long have = 0;
        for (int r = 0; r < FAKE_ROUTE_COUNT; r++)
            if (route == FAKE_ROUTE_COUNT || (FakeRoute)r == route)
                have += fp->counts[r];
        if (have >= n) {
            ok = true;
            break;
        }
        if (pthread_cond_timedwait(&fp->cv, &fp->mu, &until) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&fp->mu);
    return ok;
}

int fakeprov_last_request(FakeProv *fp, FakeRoute route, FakeRequest *out)
{
    memset(out, 0, sizeof *out);
    if (route > FAKE_ROUTE_COUNT)
        return -1;
    pthread_mutex_lock(&fp->mu);
    int rc = fp->have_last[route] ? request_copy(&fp->last[route], out) : -1;
    pthread_mutex_unlock(&fp->mu);
    return rc;
}

void fakeprov_reset(FakeProv *fp)
{
    pthread_mutex_lock(&fp->mu);
    while (fp->attempts) {
        Attempt *a = fp->attempts;
        fp->attempts = a->next;
        free(a->model);
        free(a);
    }
    for (int r = 0; r <= FAKE_ROUTE_COUNT; r++) {
        if (fp->have_last[r])
            request_clear(&fp->last[r]);
        fp->have_last[r] = false;
    }
    memset(fp->counts, 0, sizeof fp->counts);
    fp->max_active = fp->active;
    pthread_mutex_unlock(&fp->mu);
}
