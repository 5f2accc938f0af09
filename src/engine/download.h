/* download.h — fetch one large file over HTTP(S) into place, checked.
 *
 * A one-off blocking download (libcurl easy interface) for model files:
 * bytes land in DEST.part, a partial DEST.part from an earlier attempt is
 * resumed with an HTTP Range request (206 appends; a server that ignores the
 * range and answers 200 restarts from zero; 416 means the part is already
 * whole or is stale), transient cuts are retried from where they stopped, the
 * byte count is checked against what the server announced (Content-Length or
 * the Content-Range total) and against an expected size, the SHA-256 against
 * an expected digest, and only then is DEST.part renamed to DEST. A part that
 * fails a check is deleted, never renamed into place.
 *
 * Progress goes to a callback, never to the terminal: the caller decides how
 * to show it (core/progress.h says it as a line).
 *
 * Not for streaming API calls (that is net/http.c) and not for deciding
 * where a model lives (that is model_ref.c). */
#ifndef VERSUS_DOWNLOAD_H
#define VERSUS_DOWNLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum DownloadStatus {
    DOWNLOAD_OK = 0,
    DOWNLOAD_ERR_IO = -1,      /* local file trouble: cannot create, write, rename */
    DOWNLOAD_ERR_OFFLINE = -2, /* could not resolve or connect: no network */
    DOWNLOAD_ERR_HTTP = -3,    /* the server answered with an error status */
    DOWNLOAD_ERR_TRANSFER = -4,/* the transfer broke off and retries did not finish it */
    DOWNLOAD_ERR_SIZE = -5,    /* byte count differs from what was announced/expected */
    DOWNLOAD_ERR_CHECKSUM = -6,/* SHA-256 differs from the expected digest */
    DOWNLOAD_ERR_ARGS = -7,    /* bad options (malformed digest, path too long) */
    DOWNLOAD_ERR_CANCELLED = -8,/* *cancel became non-zero; the part is kept for a later resume */
} DownloadStatus;

/* Bytes of the file in place so far (a resumed part included) and the whole
 * size (< 0 while not known). */
typedef void (*DownloadProgressFn)(void *user, int64_t done, int64_t total);

typedef struct DownloadOptions {
    const char *sha256;     /* expected digest, 64 hex chars; NULL or "" = no check */
    int64_t size;           /* expected size in bytes; <= 0 = unknown */
    DownloadProgressFn on_progress; /* NULL, or called once before the first request, at most
                                       every 100 ms while bytes arrive, and once when the file
                                       is whole; never prints anything itself */
    void *progress_user;
    volatile int *cancel;   /* NULL, or a flag that stops the download (checked at least once a
                               second, and while waiting for another process's download) */
    int max_attempts;       /* requests to try when transfers break off; <= 0 = 5 */
    long connect_timeout_s; /* <= 0 = 20 */
    long stall_timeout_s;   /* abort an attempt when no byte arrives this long; <= 0 = 60 */
} DownloadOptions;

/* Downloads url into dest (through dest.part, see above); the directory of
 * dest must exist. Returns DOWNLOAD_OK, or a negative DownloadStatus with a
 * one-line reason in err (no trailing period; names the URL where useful). */
int download_file(const char *url, const char *dest, const DownloadOptions *opt, char *err, size_t errlen);

#endif
