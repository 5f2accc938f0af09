/* rawserver.c — see rawserver.h: a recording endpoint with canned answers.
 * One thread accepts and serves connections one at a time (the tests send a
 * handful of requests); every wait also watches a wake pipe so stopping is
 * immediate. */
#include "harden/rawserver.h"

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
#include <unistd.h>

#include "util/clock.h"

struct RawServer {
    int fd;
    int wake[2];
    int port;
    char url[128];
    pthread_t thread;
    pthread_mutex_t mu;
    Buf response;   /* guarded by mu */
    Buf log;        /* guarded by mu */
    long connections, requests;
};

/* Waits for fd to be readable or the wake pipe; false when stopping or after 10 s. */
static bool wait_readable(RawServer *s, int fd)
{
    struct pollfd p[2] = { { .fd = fd, .events = POLLIN }, { .fd = s->wake[0], .events = POLLIN } };
    int r;
    while ((r = poll(p, 2, 10000)) < 0 && errno == EINTR)
        ;
    return r > 0 && !p[1].revents && p[0].revents;
}

/* The Content-Length of a request head, 0 when absent. */
static size_t content_length(const char *head, size_t n)
{
    const char *p = head, *end = head + n;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            break;
        if ((size_t)(eol - p) > 15 && strncasecmp(p, "content-length:", 15) == 0)
            return (size_t)strtoul(p + 15, NULL, 10);
        p = eol + 1;
    }
    return 0;
}

static void serve(RawServer *s, int c)
{
    Buf in = { 0 };
    char chunk[8192];
    size_t head_len = 0, want = 0;
    for (;;) {
        if (!wait_readable(s, c))
            break;
        ssize_t got = read(c, chunk, sizeof chunk);
        if (got <= 0)
            break;
        buf_append(&in, chunk, (size_t)got);
        if (!head_len) {
            const char *e = in.len ? memmem(in.data, in.len, "\r\n\r\n", 4) : NULL;
            if (e) {
                head_len = (size_t)(e - in.data) + 4;
                want = head_len + content_length(in.data, head_len);
            }
        }
        if (head_len && in.len >= want)
            break;
    }
    pthread_mutex_lock(&s->mu);
    buf_append(&s->log, in.data ? in.data : "", in.len);
    if (head_len && in.len >= want)
        s->requests++;
    Buf out = { 0 };
    buf_append(&out, s->response.data ? s->response.data : "", s->response.len);
    pthread_mutex_unlock(&s->mu);
    if (head_len) {
        size_t off = 0;
        while (off < out.len) {
            ssize_t w = write(c, out.data + off, out.len - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
    }
    buf_free(&out);
    buf_free(&in);
    shutdown(c, SHUT_WR);
    /* let the client read everything before the close */
    while (wait_readable(s, c) && read(c, chunk, sizeof chunk) > 0)
        ;
    close(c);
}

static void *accept_loop(void *arg)
{
    RawServer *s = arg;
    for (;;) {
        if (!wait_readable(s, s->fd)) {
            char b;
            if (read(s->wake[0], &b, 1) == 1 || errno != EAGAIN)
                return NULL;
            continue;
        }
        int c = accept4(s->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        s->connections++;
        pthread_mutex_unlock(&s->mu);
        serve(s, c);
    }
}

RawServer *rawserver_start(const char *host, const char *response, size_t len, char *err, size_t errlen)
{
    RawServer *s = calloc(1, sizeof *s);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sl;
    bool v6 = strchr(host, ':') != NULL;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        sl = sizeof *a;
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            goto bad_addr;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        sl = sizeof *a;
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            goto bad_addr;
    }
    s->fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&ss, sl) < 0 || listen(s->fd, 64) < 0) {
        snprintf(err, errlen, "can not listen on %s: %s", host, strerror(errno));
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return NULL;
    }
    getsockname(s->fd, (struct sockaddr *)&ss, &sl);
    s->port = ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    snprintf(s->url, sizeof s->url, v6 ? "http://[%s]:%d" : "http://%s:%d", host, s->port);
    if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        close(s->fd);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    buf_append(&s->response, response ? response : "", len);
    pthread_create(&s->thread, NULL, accept_loop, s);
    return s;
bad_addr:
    snprintf(err, errlen, "not an address: %s", host);
    free(s);
    return NULL;
}

void rawserver_stop(RawServer *s)
{
    if (!s)
        return;
    ssize_t w = write(s->wake[1], "x", 1); /* a full pipe is already a wake-up */
    (void)w;
    pthread_join(s->thread, NULL);
    close(s->fd);
    close(s->wake[0]);
    close(s->wake[1]);
    buf_free(&s->response);
    buf_free(&s->log);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

void rawserver_set_response(RawServer *s, const char *response, size_t len)
{
    pthread_mutex_lock(&s->mu);
    buf_reset(&s->response);
    buf_append(&s->response, response, len);
    pthread_mutex_unlock(&s->mu);
}

int rawserver_port(const RawServer *s) { return s->port; }
const char *rawserver_url(const RawServer *s) { return s->url; }

long rawserver_connections(RawServer *s)
{
    pthread_mutex_lock(&s->mu);
    long n = s->connections;
    pthread_mutex_unlock(&s->mu);
    return n;
}

long rawserver_requests(RawServer *s)
{
    pthread_mutex_lock(&s->mu);
    long n = s->requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

bool rawserver_wait_requests(RawServer *s, long n, int timeout_ms)
{
    double until = clock_now_ms() + timeout_ms;
    while (rawserver_requests(s) < n) {
        if (clock_now_ms() > until)
            return false;
        usleep(10000);
    }
    return true;
}

void rawserver_log(RawServer *s, Buf *out)
{
    buf_reset(out);
    pthread_mutex_lock(&s->mu);
    buf_append(out, s->log.data ? s->log.data : "", s->log.len);
    pthread_mutex_unlock(&s->mu);
}

void rawserver_json_escape(Buf *out, const char *s)
{
    cJSON *str = cJSON_CreateString(s);
    char *txt = cJSON_PrintUnformatted(str);
    size_t n = strlen(txt);
    buf_append(out, txt + 1, n - 2); /* without the quotes */
    free(txt);
    cJSON_Delete(str);
}

void rawserver_openai_stream(Buf *out, const char *const *json_texts, size_t n)
{
    Buf body = { 0 };
    for (size_t i = 0; i < n; i++)
        buf_printf(&body,
                   "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":"
                   "[{\"index\":0,\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}\n\n",
                   json_texts[i]);
    buf_puts(&body, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":"
                    "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
    buf_printf(&body, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[],"
                      "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":%zu,\"total_tokens\":%zu}}\n\n",
               n, n + 5);
    buf_puts(&body, "data: [DONE]\n\n");
    buf_printf(out, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n", body.len);
    buf_append(out, body.data, body.len);
    buf_free(&body);
}

void rawserver_json_response(Buf *out, int status, const char *json_body)
{
    buf_printf(out, "HTTP/1.1 %d Error\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                    "Connection: close\r\n\r\n%s", status, strlen(json_body), json_body);
}
