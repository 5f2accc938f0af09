/* termsafe.h — the one terminal sanitiser: text from outside (providers,
 * session and fixture files, the config, model files) made safe to put on
 * a terminal, with every hidden character shown rather than obeyed.
 *
 * Rules (termsafe_append):
 *   - newline and tab are kept; CR LF becomes LF;
 *   - every other C0 control (ESC included, so no escape sequence survives:
 *     OSC 52 clipboard writes, OSC 0 titles, OSC 8 links, CSI screen clears,
 *     DCS, DSR queries), a lone CR, NUL and DEL are shown as \xHH;
 *   - C1 controls (U+0080..U+009F, e.g. the one-byte CSI U+009B and OSC
 *     U+009D) are shown as \u0080..\u009f;
 *   - bidirectional controls (U+202A..U+202E, U+2066..U+2069, U+200E,
 *     U+200F, U+061C) are shown as \u202e and so on;
 *   - invalid UTF-8 becomes U+FFFD (one per maximal invalid subpart).
 * Saved data keeps the raw bytes: this is for display only.
 * termsafe_json does the same for JSON text without changing what it
 * means: those characters are written as \uXXXX escapes.
 * Not for: keys (core/keyfilter.h), or HTML/XML escaping (util/markup.h). */
#ifndef VERSUS_TERMSAFE_H
#define VERSUS_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* Appends s[0..n) to out made safe as above. 0, or -1 when memory runs out. */
int termsafe_append(Buf *out, const char *s, size_t n);
/* Appends JSON text with C1 controls, DEL and bidi controls written as
 * \uXXXX (they can only occur inside strings). 0 or -1. */
int termsafe_json(Buf *out, const char *json, size_t n);
/* True for the code points termsafe shows instead of passing on (C0 but
 * newline and tab, DEL, C1, bidi controls). */
bool termsafe_is_hidden(uint32_t cp);

#endif
