/* download.c — resumable, checked download of one file (see download.h).
 *
 * One attempt is one libcurl easy transfer. The header callback tracks the
 * status and the size headers of the last response (redirect hops reset
 * them); the first body byte decides what the response means for DEST.part
 * (append on 206, restart on 200, error body otherwise). The loop around the
 * attempts retries cuts, then the checks run on the finished part. */
#include "engine/download.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "util/clock.h"
#include "engine/sha256.h"

#define DOWNLOAD_ERRBODY_MAX 120 /* bytes of an error response kept for the message */

/* One request/response and what it did to the part file. */
typedef struct Attempt {
    int fd;                  /* DEST.part, positioned at its end */
    int64_t have;            /* bytes in the part before this response's body */
    int64_t written;         /* body bytes written by this response */
    long status;             /* HTTP status of the last response, 0 before one */
    int64_t content_length;  /* -1 when not sent */
    int64_t range_start;     /* Content-Range first byte, -1 when not sent */
    int64_t range_end;       /* Content-Range last byte, -1 when not sent or "*" */
    int64_t range_total;     /* Content-Range total, -1 when not sent or "*" */
    bool decided;            /* the first body byte has been seen */
    int64_t total;           /* full file size this response implies, -1 unknown */
    int64_t expect_size;     /* from the options, -1 unknown */
    char errbody[DOWNLOAD_ERRBODY_MAX + 1];
    size_t errbody_len;
    int fail;                /* DownloadStatus set by a callback that aborted */
    bool restart;            /* the part must be emptied before the next attempt */
    char failmsg[384];
    /* progress */
    const DownloadOptions *opt;
    double last_report_ms;
} Attempt;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init_once(void) { curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Parses a decimal int64 from s (leading blanks allowed) up to a non-digit;
 * returns the end, or NULL when there are no digits or it overflows. */
static const char *parse_i64(const char *s, int64_t *out)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if (*s < '0' || *s > '9')
        return NULL;
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (INT64_MAX - (*s - '0')) / 10)
            return NULL;
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return s;
}

/* Content-Range: "bytes START-END/TOTAL", "bytes (star)/TOTAL" or "bytes START-END/(star)". */
static void parse_content_range(Attempt *a, const char *v)
{
    int64_t x;
    a->range_start = a->range_end = a->range_total = -1;
    while (*v == ' ')
        v++;
    if (strncasecmp(v, "bytes", 5) != 0)
        return;
    v += 5;
    while (*v == ' ')
        v++;
    if (*v == '*') {
        v++;
    } else {
        int64_t s, e;
        const char *p = parse_i64(v, &s);
        if (!p || *p != '-')
            return;
        p = parse_i64(p + 1, &e);
        if (!p || e < s)
            return;
        a->range_start = s;
        a->range_end = e;
        v = p;
    }
    if (*v != '/')
        return;
    if (parse_i64(v + 1, &x))
        a->range_total = x;
}

static size_t on_header(char *data, size_t size, size_t n, void *ud)
{
    Attempt *a = ud;
    size_t len = size * n;
    char line[512];
    size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
    memcpy(line, data, l);
    line[l] = '\0';
    while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
        line[--l] = '\0';
    if (strncmp(line, "HTTP/", 5) == 0) { /* a new response (after a redirect or a 100) */
        const char *sp = strchr(line, ' ');
        int64_t code = 0;
        a->status = (sp && parse_i64(sp, &code) && code < 1000) ? (long)code : 0;
        a->content_length = -1;
        a->range_start = a->range_end = a->range_total = -1;
    } else if (strncasecmp(line, "content-length:", 15) == 0) {
        int64_t v;
        const char *end = parse_i64(line + 15, &v);
        a->content_length = (end && (*end == '\0' || *end == ' ')) ? v : -1;
    } else if (strncasecmp(line, "content-range:", 14) == 0) {
        parse_content_range(a, line + 14);
    }
    return len;
}

static int abort_with(Attempt *a, int code, const char *msg)
{
    a->fail = code;
    snprintf(a->failmsg, sizeof a->failmsg, "%s", msg);
    return 0;
}

/* Called at the first body byte of the final response: what the response
 * means for the part file. Returns false (with a->fail) to abort. */
static bool decide(Attempt *a)
{
    char msg[384];
    a->decided = true;
    if (a->status == 200) {
        if (a->have > 0) { /* the server ignored the range: start over */
            if (ftruncate(a->fd, 0) < 0 || lseek(a->fd, 0, SEEK_SET) < 0) {
                snprintf(msg, sizeof msg, "cannot truncate the partial download: %s", strerror(errno));
                return abort_with(a, DOWNLOAD_ERR_IO, msg), false;
            }
            a->have = 0;
        }
        a->total = a->content_length;
    } else if (a->status == 206) {
        if (a->range_start != a->have) {
            snprintf(msg, sizeof msg, "the server resumed at byte %" PRId64 " instead of %" PRId64,
                     a->range_start, a->have);
            a->restart = true;
            return abort_with(a, DOWNLOAD_ERR_TRANSFER, msg), false;
        }
        if (a->content_length >= 0 && a->range_end >= 0 &&
            a->content_length != a->range_end - a->range_start + 1) {
            snprintf(msg, sizeof msg, "the server's Content-Length (%" PRId64 ") disagrees with its Content-Range (%" PRId64 "-%" PRId64 ")",
                     a->content_length, a->range_start, a->range_end);
            a->restart = true;
            return abort_with(a, DOWNLOAD_ERR_SIZE, msg), false;
        }
        a->total = a->range_total;
    } else {
        return true; /* an error body: kept for the message, not written */
    }
    if (a->total >= 0 && a->expect_size >= 0 && a->total != a->expect_size) {
        snprintf(msg, sizeof msg, "size mismatch: the server has %" PRId64 " bytes, expected %" PRId64,
                 a->total, a->expect_size);
        a->restart = true;
        return abort_with(a, DOWNLOAD_ERR_SIZE, msg), false;
    }
    return true;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    Attempt *a = ud;
    size_t len = size * n;
    if (!a->decided && !decide(a))
        return 0;
    if (a->status != 200 && a->status != 206) {
        size_t room = DOWNLOAD_ERRBODY_MAX - a->errbody_len;
        size_t take = len < room ? len : room;
        memcpy(a->errbody + a->errbody_len, data, take);
        a->errbody_len += take;
        a->errbody[a->errbody_len] = '\0';
        return len;
    }
    int64_t limit = a->total >= 0 ? a->total : a->expect_size;
    if (limit >= 0 && a->have + a->written + (int64_t)len > limit) {
        char msg[256];
        snprintf(msg, sizeof msg, "size mismatch: the server sent more than the %" PRId64 " bytes %s", limit,
                 a->total >= 0 ? "it announced" : "expected");
        a->restart = true;
        return (size_t)abort_with(a, DOWNLOAD_ERR_SIZE, msg);
    }
    for (size_t off = 0; off < len;) {
        ssize_t w = write(a->fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "cannot write the download: %s", strerror(errno));
            return (size_t)abort_with(a, DOWNLOAD_ERR_IO, msg);
        }
        off += (size_t)w;
    }
    a->written += (int64_t)len;
    return len;
}

static bool cancelled(const DownloadOptions *opt)
{
    return opt->cancel && *opt->cancel;
}

static void report(Attempt *a, double now)
{
    a->last_report_ms = now;
    if (a->opt->on_progress)
        a->opt->on_progress(a->opt->progress_user, a->have + a->written, a->total >= 0 ? a->total : a->expect_size);
}

/* libcurl's transfer callback: about once a second even when no byte
 * comes, so it is also where a cancel is noticed. */
static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    Attempt *a = ud;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    if (cancelled(a->opt)) {
        abort_with(a, DOWNLOAD_ERR_CANCELLED, "the download was cancelled");
        return 1;
    }
    double now = clock_now_ms();
    if (a->decided && (a->status == 200 || a->status == 206) && now - a->last_report_ms >= 100)
        report(a, now);
    return 0;
}

/* The host part of a URL, for the offline message. */
static void url_host(const char *url, char *host, size_t hostlen)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    const char *at = p;
    size_t n = strcspn(p, "/?#");
    const char *amp = memchr(p, '@', n); /* skip user:pass@ */
    if (amp) {
        n -= (size_t)(amp + 1 - p);
        at = amp + 1;
    }
    snprintf(host, hostlen, "%.*s", (int)n, at);
}

/* Makes the error body printable on one line. */
static void clean_errbody(char *s)
{
    for (char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    size_t l = strlen(s);
    while (l && s[l - 1] == ' ')
        s[--l] = '\0';
}

static bool transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
        return true;
    default:
        return false;
    }
}

/* Runs one request for the part's remaining bytes. Returns the curl code;
 * the attempt holds what happened. */
static CURLcode run_attempt(const char *url, const DownloadOptions *opt, Attempt *a, char *curlerr)
{
    CURL *e = curl_easy_init();
    if (!e)
        return CURLE_OUT_OF_MEMORY;
    char range[48];
    curlerr[0] = '\0';
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curlerr);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(e, CURLOPT_USERAGENT, "versus/" PACKAGE_VERSION);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, opt->connect_timeout_s > 0 ? opt->connect_timeout_s : 20L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, opt->stall_timeout_s > 0 ? opt->stall_timeout_s : 60L);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(e, CURLOPT_XFERINFODATA, a);
    curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
    if (a->have > 0) {
        snprintf(range, sizeof range, "%" PRId64 "-", a->have);
        curl_easy_setopt(e, CURLOPT_RANGE, range);
    }
    CURLcode rc = curl_easy_perform(e);
    if (a->status == 0) {
        long code = 0;
        if (curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code) == CURLE_OK)
            a->status = code;
    }
    if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_CONNECT) {
        char *eff = NULL;
        if (curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff)
            snprintf(a->failmsg, sizeof a->failmsg, "%s", eff); /* the URL that failed, for its host */
    }
    curl_easy_cleanup(e);
    return rc;
}

static int64_t fd_size(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 ? (int64_t)st.st_size : -1;
}

static int64_t fd_size_path(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

static int empty_part(int fd)
{
    return (ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0) ? 0 : -1;
}

/* Locks dest's directory against a second versus downloading into it;
 * returns the directory fd (close to unlock) or -1 with err. */
static int lock_dir(const char *dest, const DownloadOptions *opt, char *err, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(dest, '/');
    int n = slash ? snprintf(dir, sizeof dir, "%.*s", (int)(slash - dest), dest) : snprintf(dir, sizeof dir, ".");
    if (n < 0 || (size_t)n >= sizeof dir) {
        snprintf(err, errlen, "download path too long");
        return -1;
    }
    if (!dir[0])
        snprintf(dir, sizeof dir, "/");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return -1;
    }
    /* another versus downloading into the same directory: wait for it, but
     * stay cancellable */
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "cannot lock %s: %s", dir, strerror(errno));
            close(fd);
            return -1;
        }
        if (cancelled(opt)) {
            snprintf(err, errlen, "the download was cancelled");
            close(fd);
            return -2;
        }
        struct timespec ts = { 0, 100000000L };
        nanosleep(&ts, NULL);
    }
    return fd;
}

static bool valid_hex_digest(const char *s)
{
    if (strlen(s) != SHA256_HEX_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return false;
    return true;
}

/* The attempts loop: leaves a whole part (as far as the server says) or
 * returns an error. *announced carries the first total a server announced. */
static int fetch_part(const char *url, const DownloadOptions *opt, Attempt *a, int64_t *announced, char *err,
                      size_t errlen)
{
    int max = opt->max_attempts > 0 ? opt->max_attempts : 5;
    char curlerr[CURL_ERROR_SIZE];
    char last[384] = "";
    for (int attempt = 1; attempt <= max; attempt++) {
        a->have = fd_size(a->fd);
        if (a->have < 0 || lseek(a->fd, 0, SEEK_END) < 0) {
            snprintf(err, errlen, "cannot use the partial download: %s", strerror(errno));
            return DOWNLOAD_ERR_IO;
        }
        a->written = 0;
        a->status = 0;
        a->content_length = a->range_start = a->range_end = a->range_total = a->total = -1;
        a->decided = false;
        a->errbody_len = 0;
        a->errbody[0] = '\0';
        a->fail = 0;
        a->restart = false;
        a->failmsg[0] = '\0';
        if (cancelled(opt)) {
            snprintf(err, errlen, "the download was cancelled (%s)", url);
            return DOWNLOAD_ERR_CANCELLED;
        }
        CURLcode rc = run_attempt(url, opt, a, curlerr);
        if (rc == CURLE_OK && !a->decided && (a->status == 200 || a->status == 206))
            decide(a); /* an empty body still says what the response means */

        if (a->fail) { /* a callback aborted */
            if (a->restart && empty_part(a->fd) < 0) {
                snprintf(err, errlen, "cannot truncate the partial download: %s", strerror(errno));
                return DOWNLOAD_ERR_IO;
            }
            if (a->fail == DOWNLOAD_ERR_TRANSFER) { /* a resume gone wrong: retry from zero */
                snprintf(last, sizeof last, "%s", a->failmsg);
                continue;
            }
            snprintf(err, errlen, "%s (%s)", a->failmsg, url);
            return a->fail;
        }
        if (rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_COULDNT_CONNECT) {
            char host[256];
            url_host(a->failmsg[0] ? a->failmsg : url, host, sizeof host);
            if (rc == CURLE_COULDNT_CONNECT)
                snprintf(err, errlen, "no network (could not connect to %s)", host);
            else if (rc == CURLE_COULDNT_RESOLVE_PROXY)
                snprintf(err, errlen, "no network (could not resolve the proxy: %s)", curlerr);
            else
                snprintf(err, errlen, "no network (could not resolve %s)", host);
            return DOWNLOAD_ERR_OFFLINE;
        }
        if (a->total >= 0) {
            if (*announced < 0)
                *announced = a->total;
            else if (*announced != a->total) {
                snprintf(err, errlen, "size mismatch: the server announced %" PRId64 " bytes, then %" PRId64 " (%s)",
                         *announced, a->total, url);
                empty_part(a->fd);
                return DOWNLOAD_ERR_SIZE;
            }
        }
        if (rc == CURLE_OK && (a->status == 200 || a->status == 206)) {
            int64_t got = a->have + a->written;
            int64_t want = a->total >= 0 ? a->total : (*announced >= 0 ? *announced : a->expect_size);
            if (want < 0 || got == want)
                return DOWNLOAD_OK;
            /* the server closed cleanly but short: treat as a cut */
            snprintf(last, sizeof last, "the transfer stopped at %" PRId64 " of %" PRId64 " bytes", got, want);
            continue;
        }
        if (rc == CURLE_OK && a->status == 416) {
            int64_t tot = a->range_total;
            if (a->have > 0 && tot >= 0 && (*announced < 0 || *announced == tot) && tot == a->have) {
                *announced = tot;
                return DOWNLOAD_OK; /* the part was already whole */
            }
            if (a->have > 0 && tot >= 0 && *announced >= 0 && *announced != tot) {
                snprintf(err, errlen, "size mismatch: the server announced %" PRId64 " bytes, then %" PRId64 " (%s)",
                         *announced, tot, url);
                empty_part(a->fd);
                return DOWNLOAD_ERR_SIZE;
            }
            if (a->have > 0) { /* a stale part: start over */
                if (empty_part(a->fd) < 0) {
                    snprintf(err, errlen, "cannot truncate the partial download: %s", strerror(errno));
                    return DOWNLOAD_ERR_IO;
                }
                snprintf(last, sizeof last, "the partial download did not match the file on the server");
                continue;
            }
        }
        if (rc == CURLE_OK) {
            clean_errbody(a->errbody);
            if (a->errbody[0])
                snprintf(err, errlen, "HTTP %ld from %s (%s)", a->status, url, a->errbody);
            else
                snprintf(err, errlen, "HTTP %ld from %s", a->status, url);
            return DOWNLOAD_ERR_HTTP;
        }
        if (rc == CURLE_FAILED_INIT || rc == CURLE_OUT_OF_MEMORY) {
            snprintf(err, errlen, "cannot start the download: %s", curl_easy_strerror(rc));
            return DOWNLOAD_ERR_IO;
        }
        int64_t want = a->total >= 0 ? a->total : *announced;
        if (want >= 0)
            snprintf(last, sizeof last, "the transfer broke off at %" PRId64 " of %" PRId64 " bytes: %s",
                     a->have + a->written, want, curlerr[0] ? curlerr : curl_easy_strerror(rc));
        else
            snprintf(last, sizeof last, "the transfer broke off at %" PRId64 " bytes: %s", a->have + a->written,
                     curlerr[0] ? curlerr : curl_easy_strerror(rc));
        if (!transient(rc)) {
            snprintf(err, errlen, "%s (%s)", last, url);
            return DOWNLOAD_ERR_TRANSFER;
        }
        if (a->written == 0) { /* no progress: give the network a moment */
            struct timespec ts = { 0, 250000000L * attempt };
            nanosleep(&ts, NULL);
        }
    }
    snprintf(err, errlen, "%s, after %d attempts (%s)", last[0] ? last : "the download did not finish", max, url);
    return DOWNLOAD_ERR_TRANSFER;
}

/* Checks the finished part: size, then digest. Deletes it when it fails. */
static int check_part(const char *part, const DownloadOptions *opt, int64_t announced, const char *url,
                      char *err, size_t errlen)
{
    struct stat st;
    if (stat(part, &st) < 0) {
        snprintf(err, errlen, "cannot stat %s: %s", part, strerror(errno));
        return DOWNLOAD_ERR_IO;
    }
    int64_t got = (int64_t)st.st_size;
    int64_t want = announced >= 0 ? announced : (opt->size > 0 ? opt->size : -1);
    if ((want >= 0 && got != want) || (opt->size > 0 && got != opt->size)) {
        snprintf(err, errlen, "size mismatch: got %" PRId64 " bytes, expected %" PRId64 " (%s); the file was discarded",
                 got, opt->size > 0 ? opt->size : want, url);
        unlink(part);
        return DOWNLOAD_ERR_SIZE;
    }
    if (opt->sha256 && *opt->sha256) {
        char hex[SHA256_HEX_LEN + 1], want_hex[SHA256_HEX_LEN + 1];
        if (sha256_file_hex(part, hex, err, errlen) < 0)
            return DOWNLOAD_ERR_IO;
        for (int i = 0; i <= SHA256_HEX_LEN; i++)
            want_hex[i] = (char)((opt->sha256[i] >= 'A' && opt->sha256[i] <= 'F') ? opt->sha256[i] + 32 : opt->sha256[i]);
        if (strcmp(hex, want_hex) != 0) {
            snprintf(err, errlen, "checksum mismatch: sha256 %s, expected %s (%s); the file was discarded", hex,
                     want_hex, url);
            unlink(part);
            return DOWNLOAD_ERR_CHECKSUM;
        }
    }
    return DOWNLOAD_OK;
}

int download_file(const char *url, const char *dest, const DownloadOptions *opt, char *err, size_t errlen)
{
    DownloadOptions none = { 0 };
    if (!opt)
        opt = &none;
    if (opt->sha256 && *opt->sha256 && !valid_hex_digest(opt->sha256)) {
        snprintf(err, errlen, "bad sha256 '%.80s': expected 64 hex digits", opt->sha256);
        return DOWNLOAD_ERR_ARGS;
    }
    char part[4096];
    int n = snprintf(part, sizeof part, "%s.part", dest);
    if (n < 0 || (size_t)n >= sizeof part) {
        snprintf(err, errlen, "download path too long");
        return DOWNLOAD_ERR_ARGS;
    }
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_result != CURLE_OK) {
        snprintf(err, errlen, "libcurl could not be initialised");
        return DOWNLOAD_ERR_IO;
    }
    Attempt a = { .fd = -1, .expect_size = opt->size > 0 ? opt->size : -1, .total = -1, .opt = opt };
    if (opt->on_progress)
        opt->on_progress(opt->progress_user, 0, a.expect_size); /* started (or waiting for the lock) */
    int dirfd = lock_dir(dest, opt, err, errlen);
    if (dirfd < 0)
        return dirfd == -2 ? DOWNLOAD_ERR_CANCELLED : DOWNLOAD_ERR_IO;
    if (access(dest, F_OK) == 0) { /* another process finished it while we waited */
        close(dirfd);
        if (opt->on_progress) {
            int64_t size = fd_size_path(dest);
            opt->on_progress(opt->progress_user, size, size);
        }
        return DOWNLOAD_OK;
    }

    a.fd = open(part, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (a.fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", part, strerror(errno));
        close(dirfd);
        return DOWNLOAD_ERR_IO;
    }
    if (a.expect_size >= 0 && fd_size(a.fd) > a.expect_size)
        empty_part(a.fd); /* longer than the file can be: stale */

    int64_t announced = -1;
    int rc = fetch_part(url, opt, &a, &announced, err, errlen);
    if (rc == DOWNLOAD_OK && fsync(a.fd) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", part, strerror(errno));
        rc = DOWNLOAD_ERR_IO;
    }
    if (close(a.fd) < 0 && rc == DOWNLOAD_OK) {
        snprintf(err, errlen, "cannot write %s: %s", part, strerror(errno));
        rc = DOWNLOAD_ERR_IO;
    }
    if (rc == DOWNLOAD_ERR_SIZE || rc == DOWNLOAD_ERR_CHECKSUM)
        unlink(part); /* a bad file is never kept */
    if (rc == DOWNLOAD_OK)
        rc = check_part(part, opt, announced, url, err, errlen);
    if (rc == DOWNLOAD_OK && rename(part, dest) < 0) {
        snprintf(err, errlen, "cannot move %s into place: %s", part, strerror(errno));
        rc = DOWNLOAD_ERR_IO;
    }
    if (rc == DOWNLOAD_OK) {
        fsync(dirfd);
        if (opt->on_progress) { /* whole, checked and in place */
            int64_t size = fd_size_path(dest);
            opt->on_progress(opt->progress_user, size, size);
        }
    }
    close(dirfd);
    return rc;
}
