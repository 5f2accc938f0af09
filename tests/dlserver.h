/* dlserver.h — a loopback HTTP file server with fault modes, for the
 * download tests.
 *
 * Serves one file (held in memory) at every path on 127.0.0.1:<random
 * port>, one connection at a time, "Connection: close" always. It honours
 * "Range: bytes=N-" unless the mode says otherwise, and records how many
 * requests came and the last path and Range header. Test code only. */
#ifndef VERSUS_DLSERVER_H
#define VERSUS_DLSERVER_H

#include <stddef.h>

typedef enum DlServerMode {
    DLSERVER_NORMAL,     /* 200, or 206 for a range, 416 past the end */
    DLSERVER_CUT_ONCE,   /* the first response stops half way through the body */
    DLSERVER_LIE_LENGTH, /* announces 1000 bytes more than it has, sends what it has */
    DLSERVER_TRUNCATE,   /* ignores ranges, announces all, always stops half way */
    DLSERVER_NO_RANGE,   /* ignores ranges: always 200 with the whole file */
    DLSERVER_NOT_FOUND,  /* 404 with the body "Entry not found" */
    DLSERVER_REDIRECT,   /* 302 to /cdn<path>, which is served as NORMAL */
    DLSERVER_HOLD,       /* NORMAL, but the body stops half way until dlserver_release()
                            (or the client leaves, or the server stops) */
} DlServerMode;

typedef struct DlServer DlServer;

/* Starts serving data (copied) in a thread; NULL when the socket fails. */
DlServer *dlserver_start(const void *data, size_t len, DlServerMode mode);
/* The port it listens on. */
int dlserver_port(const DlServer *s);
/* Requests received so far. */
int dlserver_requests(DlServer *s);
/* Copies the last request's path and Range value ("" when none). */
void dlserver_last(DlServer *s, char *path, size_t pathlen, char *range, size_t rangelen);
/* True while a HOLD response has sent half its body and waits. */
int dlserver_holding(DlServer *s);
/* Lets every HOLD response, now and later, send the rest of its body. */
void dlserver_release(DlServer *s);
/* Stops the thread and frees everything. */
void dlserver_stop(DlServer *s);

#endif
