/* markup.h — text made safe inside HTML and XML.
 *
 * The one escaper for markup versus writes (the HTML report, the JUnit XML of
 * `versus replay`): & < > " ' become entities, valid in both element text and
 * quoted attribute values, and control characters that XML 1.0 forbids (all
 * below 0x20 but tab, LF, CR) become '?'. Bytes from 0x80 up pass unchanged:
 * callers hand it UTF-8. Not for Markdown or terminals. */
#ifndef VERSUS_MARKUP_H
#define VERSUS_MARKUP_H

#include "util/buf.h"

/* Appends s (NUL-terminated; NULL = "") to b, escaped. 0, or -1 when memory
 * runs out. */
int markup_escape(Buf *b, const char *s);

#endif
