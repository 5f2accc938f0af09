/* dlserver.c — loopback HTTP file server with fault modes (see dlserver.h). */
#include "dlserver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct DlServer {
    unsigned char *data;
    size_t len;
    DlServerMode mode;
    int listen_fd;
    int stop_pipe[2];
    int release_pipe[2]; /* HOLD: readable once released */
    int holding;         /* under lock */
    int port;
    pthread_t thread;
    pthread_mutex_t lock;
    int requests;
    char last_path[512];
    char last_range[128];
};

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the client went away: fine */
        c += w;
        n -= (size_t)w;
    }
}

/* Reads the request head; returns its length or -1. */
static int read_head(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    while (got + 1 < cap) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 5000) <= 0)
            return -1;
        ssize_t r = recv(fd, buf + got, cap - 1 - got, 0);
        if (r <= 0)
            return -1;
        got += (size_t)r;
        buf[got] = '\0';
        if (strstr(buf, "\r\n\r\n"))
            return (int)got;
    }
    return -1;
}

static void serve(DlServer *s, int fd)
{
    char head[8192], path[512] = "", range[128] = "";
    if (read_head(fd, head, sizeof head) < 0)
        return;
    sscanf(head, "GET %511s", path);
    for (char *line = strstr(head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        if (strncasecmp(line + 2, "Range:", 6) == 0) {
            char *v = line + 8;
            while (*v == ' ')
                v++;
            size_t n = strcspn(v, "\r\n");
            snprintf(range, sizeof range, "%.*s", (int)n, v);
        }
    }
    pthread_mutex_lock(&s->lock);
    int nth = ++s->requests;
    snprintf(s->last_path, sizeof s->last_path, "%s", path);
    snprintf(s->last_range, sizeof s->last_range, "%s", range);
    pthread_mutex_unlock(&s->lock);

    DlServerMode mode = s->mode;
    char hdr[512];
    if (mode == DLSERVER_NOT_FOUND) {
        const char *body = "Entry not found";
        int n = snprintf(hdr, sizeof hdr, "HTTP/1.1 404 Not Found\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         strlen(body), body);
        send_all(fd, hdr, (size_t)n);
        return;
    }
    if (mode == DLSERVER_REDIRECT) {
        if (strncmp(path, "/cdn/", 5) != 0) {
            int n = snprintf(hdr, sizeof hdr,
                             "HTTP/1.1 302 Found\r\nLocation: /cdn%s\r\nContent-Length: 5\r\nConnection: close\r\n\r\nmoved",
                             path);
            send_all(fd, hdr, (size_t)n);
            return;
        }
        mode = DLSERVER_NORMAL;
    }
    if (mode == DLSERVER_CUT_ONCE && nth > 1)
        mode = DLSERVER_NORMAL;

    bool honour_range = mode != DLSERVER_TRUNCATE && mode != DLSERVER_NO_RANGE;
    size_t start = 0;
    bool ranged = false;
    if (honour_range && range[0]) {
        char *end;
        errno = 0;
        unsigned long long v = strncmp(range, "bytes=", 6) == 0 ? strtoull(range + 6, &end, 10) : 0;
        if (errno == 0 && strncmp(range, "bytes=", 6) == 0 && end != range + 6 && *end == '-') {
            if (v >= s->len) {
                int n = snprintf(hdr, sizeof hdr,
                                 "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */%zu\r\n"
                                 "Content-Length: 0\r\nConnection: close\r\n\r\n",
                                 s->len);
                send_all(fd, hdr, (size_t)n);
                return;
            }
            start = (size_t)v;
            ranged = true;
        }
    }
    size_t body = s->len - start;
    size_t claim_total = s->len + (mode == DLSERVER_LIE_LENGTH ? 1000 : 0);
    size_t claim_body = claim_total - start;
    int n;
    if (ranged)
        n = snprintf(hdr, sizeof hdr,
                     "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes %zu-%zu/%zu\r\nContent-Length: %zu\r\n"
                     "Accept-Ranges: bytes\r\nConnection: close\r\n\r\n",
                     start, claim_total - 1, claim_total, claim_body);
    else
        n = snprintf(hdr, sizeof hdr, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", claim_body);
    send_all(fd, hdr, (size_t)n);
    if (mode == DLSERVER_CUT_ONCE || mode == DLSERVER_TRUNCATE)
        body /= 2;
    if (mode == DLSERVER_HOLD) {
        size_t half = body / 2;
        send_all(fd, s->data + start, half);
        pthread_mutex_lock(&s->lock);
        s->holding = 1;
        pthread_mutex_unlock(&s->lock);
        struct pollfd pfd[3] = { { .fd = s->release_pipe[0], .events = POLLIN },
                                 { .fd = s->stop_pipe[0], .events = POLLIN },
                                 { .fd = fd, .events = POLLIN } };
        while (poll(pfd, 3, -1) < 0 && errno == EINTR)
            ;
        pthread_mutex_lock(&s->lock);
        s->holding = 0;
        pthread_mutex_unlock(&s->lock);
        if (pfd[0].revents & POLLIN)
            send_all(fd, s->data + start + half, body - half);
        return;
    }
    send_all(fd, s->data + start, body);
}

static void *server_main(void *ud)
{
    DlServer *s = ud;
    for (;;) {
        struct pollfd pfd[2] = { { .fd = s->listen_fd, .events = POLLIN }, { .fd = s->stop_pipe[0], .events = POLLIN } };
        if (poll(pfd, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (pfd[1].revents)
            break;
        int fd = accept(s->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        serve(s, fd);
        shutdown(fd, SHUT_WR);
        close(fd);
    }
    return NULL;
}

DlServer *dlserver_start(const void *data, size_t len, DlServerMode mode)
{
    DlServer *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->data = malloc(len ? len : 1);
    if (!s->data) {
        free(s);
        return NULL;
    }
    memcpy(s->data, data, len);
    s->len = len;
    s->mode = mode;
    pthread_mutex_init(&s->lock, NULL);
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t al = sizeof a;
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(s->listen_fd, 8) < 0 ||
        getsockname(s->listen_fd, (struct sockaddr *)&a, &al) < 0 || pipe(s->stop_pipe) < 0) {
        if (s->listen_fd >= 0)
            close(s->listen_fd);
        free(s->data);
        free(s);
        return NULL;
    }
    if (pipe(s->release_pipe) < 0) {
        close(s->listen_fd);
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        free(s->data);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->thread, NULL, server_main, s) != 0) {
        close(s->listen_fd);
        close(s->stop_pipe[0]);
        close(s->stop_pipe[1]);
        close(s->release_pipe[0]);
        close(s->release_pipe[1]);
        free(s->data);
        free(s);
        return NULL;
    }
    return s;
}

int dlserver_port(const DlServer *s) { return s->port; }

int dlserver_requests(DlServer *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->requests;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void dlserver_last(DlServer *s, char *path, size_t pathlen, char *range, size_t rangelen)
{
    pthread_mutex_lock(&s->lock);
    snprintf(path, pathlen, "%s", s->last_path);
    snprintf(range, rangelen, "%s", s->last_range);
    pthread_mutex_unlock(&s->lock);
}

int dlserver_holding(DlServer *s)
{
    pthread_mutex_lock(&s->lock);
    int h = s->holding;
    pthread_mutex_unlock(&s->lock);
    return h;
}

void dlserver_release(DlServer *s)
{
    if (write(s->release_pipe[1], "r", 1) < 0) {
        /* a full pipe is already released */
    }
}

void dlserver_stop(DlServer *s)
{
    if (!s)
        return;
    if (write(s->stop_pipe[1], "x", 1) < 0) {
        /* the thread still exits when the pipe closes below */
    }
    pthread_join(s->thread, NULL);
    close(s->stop_pipe[0]);
    close(s->stop_pipe[1]);
    close(s->release_pipe[0]);
    close(s->release_pipe[1]);
    close(s->listen_fd);
    pthread_mutex_destroy(&s->lock);
    free(s->data);
    free(s);
}
