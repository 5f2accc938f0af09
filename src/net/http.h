/* http.h — many HTTP transfers on one libcurl multi handle, no threads.
 *
 * The run layer starts transfers and learns about them through callbacks
 * called from http_poll() on the caller's thread: the status line, each
 * header, body bytes as they arrive, and the end of the transfer. It knows
 * nothing of providers or JSON. Secrets travel in headers built by the
 * provider; this module never logs or prints them. */
#ifndef VERSUS_HTTP_H
#define VERSUS_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

struct curl_slist;

/* One request to send: all owned by the caller, freed with http_spec_free().
 * Providers build it; this layer sends it. */
typedef struct HttpRequestSpec {
    char *url;
    struct curl_slist *headers; /* includes the auth header: never log these */
    char *body;                 /* JSON */
} HttpRequestSpec;

/* Frees the three fields (NULL-safe) and zeroes them. */
void http_spec_free(HttpRequestSpec *spec);

typedef struct Http Http;
typedef struct HttpTransfer HttpTransfer;

typedef enum HttpFailure {
    HTTP_OK = 0,          /* transfer completed (any status) */
    HTTP_FAIL_CONNECT,    /* could not connect (refused, unreachable, DNS) */
    HTTP_FAIL_TIMEOUT,    /* total timeout or idle timeout hit */
    HTTP_FAIL_RESET,      /* connection broke after it was established */
    HTTP_FAIL_TLS,        /* TLS handshake or certificate problem */
    HTTP_FAIL_CANCELLED,  /* http_cancel() */
    HTTP_FAIL_OTHER,
} HttpFailure;

typedef struct HttpCallbacks {
    /* A header line of the final response (name lower-cased, value trimmed). */
    void (*on_header)(void *user, const char *name, const char *value);
    /* Body bytes; status is the final response's HTTP status. Returning false
     * stops the transfer (on_done then reports HTTP_FAIL_CANCELLED). */
    bool (*on_body)(void *user, int status, const char *bytes, size_t n);
    /* The transfer is over; message explains failures in plain words. The
     * transfer is freed right after this returns. */
    void (*on_done)(void *user, int status, HttpFailure failure, const char *message);
} HttpCallbacks;

typedef struct HttpOptions {
    double timeout_s;      /* whole transfer, <= 0 for none */
    double connect_timeout_s; /* default 10 */
    double idle_timeout_s; /* no byte for this long ends it; <= 0 for none */
    bool insecure_tls;     /* only for explicitly local endpoints (the caller checks) */
    bool no_proxy;         /* connect directly: proxy settings (http_proxy, ALL_PROXY, ...) ignored */
} HttpOptions;

Http *http_new(char *err, size_t errlen);
void http_free(Http *h);
/* Starts a POST of spec->body to spec->url. NULL with err on failure. */
HttpTransfer *http_start(Http *h, const HttpRequestSpec *spec, const HttpOptions *opt,
                         const HttpCallbacks *cb, void *user, char *err, size_t errlen);
/* Stops a transfer; on_done is called with HTTP_FAIL_CANCELLED before this returns. */
void http_cancel(Http *h, HttpTransfer *t);
/* Waits up to timeout_ms for network activity or one of extra[] (revents
 * filled), then performs transfers and dispatches callbacks. Returns the number
 * of extra fds ready, or -1. */
int http_poll(Http *h, struct pollfd *extra, size_t n_extra, int timeout_ms);
/* Makes a blocked http_poll() return early (async-signal-safe). */
void http_wakeup(Http *h);
/* Transfers still running. */
int http_active(const Http *h);

#endif
