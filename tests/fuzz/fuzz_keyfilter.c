/* fuzz_keyfilter.c — libFuzzer target for the key filter and the terminal
 * sanitiser (core/keyfilter.h, core/termsafe.h). The input is arbitrary text
 * with a known key planted in it in an encoding the input picks (plain, JSON
 * \u escapes, percent-encoding, base64 at an alignment, or a mix), then fed
 * to the streaming filter at split points the input picks. It aborts when:
 *   - a planted key survives masking (whole or streamed), in any form;
 *   - masking changes the length, or streaming masks other bytes than
 *     masking the whole (except the escaping backslash the whole-text form
 *     also masks so JSON stays valid);
 *   - the sanitiser lets a control, C1 or bidi character through, or its JSON
 *     form stops meaning the same string. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"
#include "util/buf.h"
#include "core/keyfilter.h"
#include "core/termsafe.h"

static const char *const keys[] = {
    "sk-fuzz-SECRET-0123456789abcdef",
    "AIza/fuzz+SECRET_9876543210zz",
    "tok-%fuzz\\SECRET-00",
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        keyfilter_add_secret(keys[i], strlen(keys[i]));
    return 0;
}

/* key in the encoding picked by how (low bits) with per-byte choices from mix. */
static void encode(Buf *out, const char *key, unsigned how, unsigned mix)
{
    size_t n = strlen(key);
    switch (how % 5) {
    case 0: buf_puts(out, key); break;
    case 1: case 2: /* \u00HH or %HH for the bytes mix picks */
        for (size_t i = 0; i < n; i++) {
            if (mix >> (i % 16) & 1)
                buf_printf(out, how % 5 == 1 ? ((mix >> 20) & 1 ? "\\u%04X" : "\\u%04x") : "%%%02x",
                           (unsigned char)key[i]);
            else
                buf_append(out, key + i, 1);
        }
        break;
    case 3: { /* base64 of the key behind 0..2 bytes */
        char tmp[64] = "xyz";
        size_t a = mix % 3;
        memcpy(tmp + a, key, n);
        char *b = base64_encode(tmp, a + n);
        if (b) {
            if ((mix >> 4) & 1)
                for (char *p = b; *p; p++)
                    *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
            buf_puts(out, b);
        }
        free(b);
        break;
    }
    default: /* JSON-escaped twice, as in a JSON string holding the escape */
        for (size_t i = 0; i < n; i++)
            buf_printf(out, "\\\\u%04x", (unsigned char)key[i]);
        break;
    }
}

static bool hidden(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') || p[i] == 0x7f)
            return true;
        if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            return true;
        if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x80 &&
            ((p[i + 2] >= 0xAA && p[i + 2] <= 0xAE) || p[i + 2] == 0x8E || p[i + 2] == 0x8F))
            return true;
        if (p[i] == 0xE2 && i + 2 < n && p[i + 1] == 0x81 && p[i + 2] >= 0xA6 && p[i + 2] <= 0xA9)
            return true;
        if (p[i] == 0xD8 && i + 1 < n && p[i + 1] == 0x9C)
            return true;
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    unsigned which = data[0], how = data[1], mix = (unsigned)data[2] | (unsigned)data[3] << 8 | (unsigned)data[1] << 16;
    data += 4;
    size -= 4;
    /* the text, with the key planted at a point the input picks */
    size_t at = size ? (which * 7u) % (size + 1) : 0;
    Buf text = { 0 };
    buf_append(&text, data, at);
    const char *key = keys[which % 3];
    if (!(how & 0x80))
        encode(&text, key, how, mix);
    buf_append(&text, data + at, size - at);
    buf_puts(&text, "");

    /* whole */
    Buf whole = { 0 };
    buf_append(&whole, text.data, text.len);
    keyfilter_mask(whole.data, whole.len);
    if (keyfilter_contains(whole.data, whole.len))
        abort(); /* a key survived masking */
    /* streamed at split points from the input */
    KeyFilter *f = keyfilter_new();
    if (!f)
        return 0;
    Buf streamed = { 0 };
    size_t off = 0, k = 0;
    while (off < text.len) {
        size_t step = size ? (size_t)data[k++ % size] % 9 + 1 : text.len;
        if (step > text.len - off)
            step = text.len - off;
        keyfilter_feed(f, text.data + off, step, &streamed);
        off += step;
    }
    keyfilter_flush(f, &streamed);
    keyfilter_free(f);
    if (streamed.len != text.len || whole.len != text.len)
        abort(); /* masking changed a length */
    for (size_t i = 0; i < text.len; i++)
        if (streamed.data[i] != whole.data[i] && !(whole.data[i] == '*' && streamed.data[i] == '\\'))
            abort(); /* streaming masked differently */
    if (keyfilter_contains(streamed.data, streamed.len))
        abort();

    /* the terminal sanitiser */
    Buf safe = { 0 };
    if (termsafe_append(&safe, text.data, text.len) == 0 && hidden((const unsigned char *)safe.data, safe.len))
        abort(); /* a hidden character got through */
    cJSON *s = cJSON_CreateString(buf_str(&text));
    char *json = s ? cJSON_PrintUnformatted(s) : NULL;
    if (json) {
        Buf esc = { 0 };
        if (termsafe_json(&esc, json, strlen(json)) == 0) {
            if (hidden((const unsigned char *)esc.data, esc.len))
                abort();
            cJSON *back = cJSON_Parse(buf_str(&esc));
            cJSON *orig = cJSON_Parse(json);
            if (!back || !orig || strcmp(back->valuestring, orig->valuestring) != 0)
                abort(); /* the escaped JSON means something else */
            cJSON_Delete(back);
            cJSON_Delete(orig);
        }
        buf_free(&esc);
    }
    free(json);
    cJSON_Delete(s);
    buf_free(&safe);
    buf_free(&streamed);
    buf_free(&whole);
    buf_free(&text);
    return 0;
}
