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
} DownloadStatus;

typedef struct DownloadOptions {
    const char *sha256;     /* expected digest, 64 hex chars; NULL or "" = no check */
    int64_t size;           /* expected size in bytes; <= 0 = unknown */
    bool progress;          /* draw a progress bar on stderr (the caller decides: tty only) */
    const char *label;      /* name shown on the progress bar; NULL = DEST's basename */
    int max_attempts;       /* requests to try when transfers break off; <= 0 = 5 */
    long connect_timeout_s; /* <= 0 = 20 */
    long stall_timeout_s;   /* abort an attempt when no byte arrives this long; <= 0 = 60 */
} DownloadOptions;

/* Downloads url into dest (through dest.part, see above); the directory of
 * dest must exist. Returns DOWNLOAD_OK, or a negative DownloadStatus with a
 * one-line reason in err (no trailing period; names the URL where useful). */
int download_file(const char *url, const char *dest, const DownloadOptions *opt, char *err, size_t errlen);

/* Writes one progress line for got of total bytes (total <= 0: unknown) at
 * rate bytes per second into out, without a newline. Pure, for the bar. */
void download_format_progress(char *out, size_t outlen, const char *label, int64_t got, int64_t total,
                              double rate);

#endif
