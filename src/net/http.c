/* http.c — libcurl multi driver (see http.h).
 *
 * One CURLM for every transfer of a run. Body bytes are delivered as they
 * arrive (no buffering here), so streams are as live as the network allows.
 * The wakeup uses a self-pipe rather than curl_multi_wakeup() so that a signal
 * handler can call it. */
#include "net/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util/clock.h"

struct HttpTransfer {
    Http *http;
    CURL *easy;
    HttpCallbacks cb;
    void *user;
    long status;          /* status of the response being received */
    bool headers_final;   /* the final (non-1xx) response's headers are done */
    double idle_timeout_ms;
    double last_byte_ms;
    bool stopped;         /* on_body asked to stop */
    char errbuf[CURL_ERROR_SIZE];
    HttpTransfer *next;
};

struct Http {
    CURLM *multi;
    HttpTransfer *transfers;
    int active;
    int wake_pipe[2];
};

static bool curl_initialised;

Http *http_new(char *err, size_t errlen)
{
    if (!curl_initialised) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            snprintf(err, errlen, "libcurl could not be initialised");
            return NULL;
        }
        curl_initialised = true;
    }
    Http *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    h->multi = curl_multi_init();
    if (!h->multi || pipe(h->wake_pipe) < 0) {
        snprintf(err, errlen, "could not set up the HTTP layer: %s", strerror(errno));
        if (h->multi)
            curl_multi_cleanup(h->multi);
        free(h);
        return NULL;
    }
    for (int i = 0; i < 2; i++) {
        fcntl(h->wake_pipe[i], F_SETFL, fcntl(h->wake_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(h->wake_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
    return h;
}

static void transfer_unlink(Http *h, HttpTransfer *t)
{
    for (HttpTransfer **p = &h->transfers; *p; p = &(*p)->next)
        if (*p == t) {
            *p = t->next;
            break;
        }
}

static void transfer_end(Http *h, HttpTransfer *t, HttpFailure failure, const char *message)
{
    curl_multi_remove_handle(h->multi, t->easy);
    transfer_unlink(h, t);
    h->active--;
    if (t->cb.on_done)
        t->cb.on_done(t->user, (int)t->status, failure, message);
    curl_easy_cleanup(t->easy);
    free(t);
}

void http_free(Http *h)
{
    if (!h)
        return;
    while (h->transfers)
        transfer_end(h, h->transfers, HTTP_FAIL_CANCELLED, "cancelled");
    curl_multi_cleanup(h->multi);
    close(h->wake_pipe[0]);
    close(h->wake_pipe[1]);
    free(h);
}

static size_t on_curl_header(char *data, size_t size, size_t nitems, void *userp)
{
    HttpTransfer *t = userp;
    size_t n = size * nitems;
    t->last_byte_ms = clock_now_ms();
    if (n >= 5 && strncmp(data, "HTTP/", 5) == 0) {
        /* A new response begins (there may be 1xx ones before the final). */
        const char *sp = memchr(data, ' ', n);
        t->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        t->headers_final = false;
        return n;
    }
    if (n <= 2) { /* blank line: end of this response's headers */
        if (t->status >= 200)
            t->headers_final = true;
        return n;
    }
    if (t->status < 200 || !t->cb.on_header)
        return n;
    const char *colon = memchr(data, ':', n);
    if (!colon)
        return n;
    char name[128], value[1024];
    size_t nl = (size_t)(colon - data);
    if (nl >= sizeof name)
        return n;
    for (size_t i = 0; i < nl; i++)
        name[i] = (char)tolower((unsigned char)data[i]);
    name[nl] = '\0';
    const char *v = colon + 1, *end = data + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
        end--;
    size_t vl = (size_t)(end - v);
    if (vl >= sizeof value)
        vl = sizeof value - 1;
    memcpy(value, v, vl);
    value[vl] = '\0';
    t->cb.on_header(t->user, name, value);
    return n;
}

static size_t on_curl_body(char *data, size_t size, size_t nmemb, void *userp)
{
    HttpTransfer *t = userp;
    size_t n = size * nmemb;
    t->last_byte_ms = clock_now_ms();
    if (t->cb.on_body && n && !t->cb.on_body(t->user, (int)t->status, data, n)) {
        t->stopped = true;
        return 0; /* makes libcurl end the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

HttpTransfer *http_start(Http *h, const HttpRequestSpec *spec, const HttpOptions *opt,
                         const HttpCallbacks *cb, void *user, char *err, size_t errlen)
{
    HttpTransfer *t = calloc(1, sizeof *t);
    if (!t || !(t->easy = curl_easy_init())) {
        free(t);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->http = h;
    t->cb = *cb;
    t->user = user;
    t->idle_timeout_ms = opt->idle_timeout_s > 0 ? opt->idle_timeout_s * 1000.0 : 0;
    t->last_byte_ms = clock_now_ms();
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, spec->url);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, spec->body ? spec->body : "");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, spec->headers);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_curl_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_curl_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "versus/" PACKAGE_VERSION);
    /* Never follow redirects: a redirect could carry the auth header elsewhere. */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)((opt->connect_timeout_s > 0 ? opt->connect_timeout_s : 10.0) * 1000));
    if (opt->timeout_s > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(opt->timeout_s * 1000));
    if (opt->no_proxy) {
        /* "" disables every proxy, environment variables included */
        curl_easy_setopt(e, CURLOPT_PROXY, "");
        curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    }
    if (opt->insecure_tls) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        free(t);
        snprintf(err, errlen, "could not start the HTTP transfer");
        return NULL;
    }
    t->next = h->transfers;
    h->transfers = t;
    h->active++;
    return t;
}

void http_cancel(Http *h, HttpTransfer *t)
{
    transfer_end(h, t, HTTP_FAIL_CANCELLED, "cancelled");
}

static HttpFailure classify(CURLcode rc, long status)
{
    switch (rc) {
    case CURLE_OK:
        return HTTP_OK;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return HTTP_FAIL_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return HTTP_FAIL_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
        return HTTP_FAIL_TLS;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return HTTP_FAIL_RESET;
    default:
        return status ? HTTP_FAIL_RESET : HTTP_FAIL_OTHER;
    }
}

static const char *failure_words(HttpFailure f, bool got_headers)
{
    switch (f) {
    case HTTP_FAIL_CONNECT: return "could not connect";
    case HTTP_FAIL_TIMEOUT: return "timed out";
    case HTTP_FAIL_TLS: return "TLS failed";
    case HTTP_FAIL_RESET: return got_headers ? "connection reset mid-stream" : "connection closed before any response";
    case HTTP_FAIL_CANCELLED: return "cancelled";
    default: return "transfer failed";
    }
}

static void check_idle(Http *h)
{
    double now = clock_now_ms();
    HttpTransfer *t = h->transfers;
    while (t) {
        HttpTransfer *next = t->next;
        if (t->idle_timeout_ms > 0 && now - t->last_byte_ms > t->idle_timeout_ms) {
            char msg[160];
            snprintf(msg, sizeof msg, "timed out: nothing received for %.0f s", t->idle_timeout_ms / 1000.0);
            transfer_end(h, t, HTTP_FAIL_TIMEOUT, msg);
        }
        t = next;
    }
}

int http_poll(Http *h, struct pollfd *extra, size_t n_extra, int timeout_ms)
{
    struct curl_waitfd wfd[1 + 64];
    size_t nw = 0;
    if (n_extra > 64)
        n_extra = 64;
    wfd[nw++] = (struct curl_waitfd){ .fd = h->wake_pipe[0], .events = CURL_WAIT_POLLIN };
    for (size_t i = 0; i < n_extra; i++) {
        short ev = 0;
        if (extra[i].events & POLLIN) ev |= CURL_WAIT_POLLIN;
        if (extra[i].events & POLLPRI) ev |= CURL_WAIT_POLLPRI;
        if (extra[i].events & POLLOUT) ev |= CURL_WAIT_POLLOUT;
        wfd[nw++] = (struct curl_waitfd){ .fd = extra[i].fd, .events = ev };
    }
    int numfds = 0;
    if (h->active > 0) {
        /* Idle timeouts need a wake-up even when the network is silent. */
        if (timeout_ms < 0 || timeout_ms > 250)
            timeout_ms = 250;
    }
    if (curl_multi_poll(h->multi, wfd, (unsigned)nw, timeout_ms, &numfds) != CURLM_OK)
        return -1;
    int ready = 0;
    for (size_t i = 0; i < n_extra; i++) {
        short re = wfd[1 + i].revents;
        extra[i].revents = (short)(((re & CURL_WAIT_POLLIN) ? POLLIN : 0) |
                                   ((re & CURL_WAIT_POLLPRI) ? POLLPRI : 0) |
                                   ((re & CURL_WAIT_POLLOUT) ? POLLOUT : 0));
        if (extra[i].revents)
            ready++;
    }
    if (wfd[0].revents) {
        char drain[64];
        while (read(h->wake_pipe[0], drain, sizeof drain) > 0) {
        }
    }
    int running = 0;
    curl_multi_perform(h->multi, &running);
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(h->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        HttpTransfer *t = NULL;
        for (HttpTransfer *p = h->transfers; p; p = p->next)
            if (p->easy == msg->easy_handle)
                t = p;
        if (!t)
            continue;
        CURLcode rc = msg->data.result;
        HttpFailure f = t->stopped ? HTTP_FAIL_CANCELLED : classify(rc, t->status);
        char text[CURL_ERROR_SIZE + 96];
        if (f == HTTP_OK)
            snprintf(text, sizeof text, "ok");
        else if (rc == CURLE_PARTIAL_FILE)
            snprintf(text, sizeof text, "connection closed mid-stream (the body ended before its declared end)");
        else
            snprintf(text, sizeof text, "%s (%s)", failure_words(f, t->status > 0),
                     t->errbuf[0] ? t->errbuf : curl_easy_strerror(rc));
        transfer_end(h, t, f, text);
    }
    check_idle(h);
    return ready;
}

void http_wakeup(Http *h)
{
    ssize_t rc = write(h->wake_pipe[1], "w", 1);
    (void)rc;
}

int http_active(const Http *h) { return h->active; }

void http_spec_free(HttpRequestSpec *spec)
{
    if (!spec)
        return;
    free(spec->url);
    free(spec->body);
    curl_slist_free_all(spec->headers);
    spec->url = NULL;
    spec->body = NULL;
    spec->headers = NULL;
}
