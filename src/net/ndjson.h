/* ndjson.h — an incremental newline-delimited JSON line splitter.
 *
 * Bytes go in with any chunking; complete lines come out through a callback,
 * NUL-terminated, without their "\n" or "\r\n". Lines made only of blanks
 * (space, tab, CR) are skipped; a BOM at the very start is stripped; the last
 * line may lack its newline and is delivered by ndjson_parser_end(). One line
 * may not exceed a sanity cap (default NDJSON_DEFAULT_MAX_LINE). It splits
 * lines only: parsing the JSON is the caller's business. No I/O. */
#ifndef VERSUS_NDJSON_H
#define VERSUS_NDJSON_H

#include <stddef.h>

#define NDJSON_DEFAULT_MAX_LINE ((size_t)64 << 20) /* bytes */

/* Return codes of ndjson_parser_feed()/ndjson_parser_end(). */
#define NDJSON_OK 0
#define NDJSON_STOPPED 1        /* the callback asked to stop */
#define NDJSON_ERR_TOO_BIG (-1) /* one line passed the cap */
#define NDJSON_ERR_NOMEM (-2)   /* memory ran out */

/* Gets one line (borrowed for the call); returns 0 to go on, anything else
 * stops parsing (the rest of the chunk is dropped) and makes the feed return
 * NDJSON_STOPPED. */
typedef int (*NdjsonLineFn)(void *user, const char *line, size_t len);

typedef struct NdjsonParser NdjsonParser;

/* A parser at the start of a stream; NULL when out of memory. */
NdjsonParser *ndjson_parser_new(void);
void ndjson_parser_free(NdjsonParser *p);
/* Sets the cap on one line, in bytes; 0 restores the default. */
void ndjson_parser_set_max_line(NdjsonParser *p, size_t max_bytes);
/* Splits n more bytes. Returns NDJSON_OK, NDJSON_STOPPED or a negative
 * NDJSON_ERR_*; after an error every later call returns the same error. */
int ndjson_parser_feed(NdjsonParser *p, const char *bytes, size_t n, NdjsonLineFn cb, void *user);
/* The stream ended: delivers a last line that had no newline, then readies
 * the parser for a new stream. Returns as feed. */
int ndjson_parser_end(NdjsonParser *p, NdjsonLineFn cb, void *user);
/* A sentence for a negative return code. */
const char *ndjson_strerror(int rc);

#endif
