/* osc52.c — OSC 52 clipboard sequences (osc52.h). */
#include "tui/osc52.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/base64.h"

int osc52_encode(const char *data, size_t n, bool tmux, Buf *out, char *err, size_t errlen)
{
    if (n > OSC52_MAX_BYTES) {
        snprintf(err, errlen, "reply too large to copy (%zu bytes; at most %u)", n, OSC52_MAX_BYTES);
        return -1;
    }
    char *b64 = base64_encode(data, n);
    if (!b64) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc;
    if (tmux) /* DCS passthrough: every ESC inside is doubled */
        rc = buf_printf(out, "\033Ptmux;\033\033]52;c;%s\a\033\\", b64);
    else
        rc = buf_printf(out, "\033]52;c;%s\a", b64);
    free(b64);
    if (rc < 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}
