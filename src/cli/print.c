/* print.c — masked, terminal-safe output for the subcommands (see print.h). */
#include "cli/print.h"

#include <stdarg.h>
#include <string.h>
#include <unistd.h>

#include "util/buf.h"
#include "core/keyfilter.h"
#include "core/termsafe.h"

bool cli_is_tty(FILE *f) { return isatty(fileno(f)) == 1; }

int cli_write(FILE *f, const char *s, size_t n)
{
    Buf masked = { 0 }, safe = { 0 };
    if (buf_append(&masked, s, n) < 0)
        return -1;
    keyfilter_mask(masked.data, masked.len);
    const Buf *out = &masked;
    int rc = 0;
    if (cli_is_tty(f)) {
        rc = termsafe_append(&safe, masked.data, masked.len);
        out = &safe;
    }
    if (rc == 0 && out->len && fwrite(out->data, 1, out->len, f) != out->len)
        rc = -1;
    if (masked.data)
        memset(masked.data, 0, masked.len);
    buf_free(&masked);
    buf_free(&safe);
    return rc;
}

int cli_printf(FILE *f, const char *fmt, ...)
{
    Buf b = { 0 };
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc == 0)
        rc = cli_write(f, b.data ? b.data : "", b.len);
    buf_free(&b);
    return rc;
}

int cli_write_json_line(FILE *f, const char *json)
{
    Buf b = { 0 };
    int rc = termsafe_json(&b, json, strlen(json));
    if (rc == 0)
        rc = buf_puts(&b, "\n");
    if (rc == 0) {
        keyfilter_mask(b.data, b.len);
        rc = fwrite(b.data, 1, b.len, f) == b.len ? 0 : -1;
    }
    buf_free(&b);
    return rc;
}
