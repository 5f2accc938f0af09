/* unicode_ranges.h — the few Unicode facts the tokenizers need, without ICU or
 * the C library's locale: general category of a code point (\p{L}, \p{N}, \p{P}
 * in the pre-tokenizer regexes), the White_Space property (\s), and a lenient
 * UTF-8 decoder that behaves like llama.cpp's on malformed input.
 *
 * Not for: normalisation, case mapping, grapheme clusters. The category table
 * is generated (unicode_ranges_gen.py, Unicode 15.1). */
#ifndef VERSUS_UNICODE_RANGES_H
#define VERSUS_UNICODE_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum UnicodeCat {
    UNICODE_CAT_UNDEFINED = 0, /* Cn: unassigned, and anything past U+10FFFF */
    UNICODE_CAT_LETTER = 1,    /* Lu Ll Lt Lm Lo */
    UNICODE_CAT_NUMBER = 2,    /* Nd Nl No */
    UNICODE_CAT_PUNCT = 3,     /* Pc Pd Ps Pe Pi Pf Po */
    UNICODE_CAT_MARK = 4,      /* Mn Mc Me */
    UNICODE_CAT_SYMBOL = 5,    /* Sm Sc Sk So */
    UNICODE_CAT_SEPARATOR = 6, /* Zs Zl Zp */
    UNICODE_CAT_CONTROL = 7,   /* Cc Cf Cs Co */
} UnicodeCat;

/* The generated table (unicode_ranges_data.c): sorted (first_cp << 4 | cat). */
extern const uint32_t unicode_ranges_table[];
extern const size_t unicode_ranges_count;

/* General category of cp. */
UnicodeCat unicode_category(uint32_t cp);
/* The White_Space property: U+0009..000D, 0020, 0085, 00A0, 1680, 2000..200A,
 * 2028, 2029, 202F, 205F, 3000. */
bool unicode_is_whitespace(uint32_t cp);

/* Decodes one code point from s (n > 0 bytes available) into *cp and returns
 * the bytes consumed (1..4). Like llama.cpp: only the lead byte's pattern and
 * the continuation bytes' top bits are checked (overlong forms and surrogates
 * pass); a malformed sequence consumes one byte and yields U+FFFD, with
 * *valid set false. valid may be NULL. */
size_t unicode_decode_utf8(const unsigned char *s, size_t n, uint32_t *cp, bool *valid);
/* Encodes cp (<= 0x10FFFF) as UTF-8 into out (4 bytes room); returns length. */
size_t unicode_encode_utf8(uint32_t cp, unsigned char *out);
/* Length of the UTF-8 sequence a lead byte announces, the way llama.cpp's
 * unicode_len_utf8 reads it: 1 for ASCII and stray continuation bytes, 2, 3 or 4. */
size_t unicode_len_utf8(unsigned char lead);

#endif
