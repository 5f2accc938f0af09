/* print.h — how every subcommand writes text that may hold outside bytes
 * (provider replies and errors, session and fixture contents, config
 * values) to standard output or standard error.
 *
 * Every known key is masked (core/keyfilter.h) and, when the stream is a
 * terminal, the text is made safe for it (core/termsafe.h: controls,
 * escape sequences and bidi characters shown, not obeyed). Redirected to a
 * file or a pipe, the bytes are written as they are (keys still masked).
 * JSON output is always written with C1 and bidi characters escaped, which
 * keeps its meaning. Not for the live progress line, whose own escape
 * sequences are meant. */
#ifndef VERSUS_CLI_PRINT_H
#define VERSUS_CLI_PRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Writes s[0..n) to f as above. 0, or -1 on a write error. */
int cli_write(FILE *f, const char *s, size_t n);
/* printf to f as above. */
int cli_printf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes JSON text and a newline to f: keys masked, C1 and bidi characters
 * written as \uXXXX escapes. 0 or -1. */
int cli_write_json_line(FILE *f, const char *json);
/* True when f is a terminal. */
bool cli_is_tty(FILE *f);

#endif
