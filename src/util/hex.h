/* hex.h — the value of one hexadecimal digit.
 *
 * The one place versus reads a hex digit: \u and \x escapes (the Jinja
 * lexer, the key filter's JSON-escaped keys), <0xNN> byte tokens (the
 * tokenizer). Not for parsing whole numbers (strtoul does that). */
#ifndef VERSUS_HEX_H
#define VERSUS_HEX_H

/* 0-15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other c (a negative
 * char included). */
int hex_value(int c);

#endif
