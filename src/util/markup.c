/* markup.c — HTML/XML text escaping (see markup.h). */
#include "util/markup.h"

#include <string.h>

int markup_escape(Buf *b, const char *s)
{
    if (!s)
        return 0;
    while (*s) {
        size_t run = strcspn(s, "&<>\"'\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f"
                                "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f");
        if (run && buf_append(b, s, run) < 0)
            return -1;
        s += run;
        if (!*s)
            break;
        const char *ent;
        switch (*s) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default: ent = "?"; break; /* a control character XML 1.0 does not allow */
        }
        if (buf_puts(b, ent) < 0)
            return -1;
        s++;
    }
    return 0;
}
