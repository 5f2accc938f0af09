/* fuzz_theme.c — libFuzzer target: theme files (tui/theme.h) from arbitrary
 * bytes, parsed from memory and loaded from a file by path (a memfd, so no
 * disk is touched). Whatever is accepted must hold only valid colours (-1 or
 * 0..255) and known attribute bits, and reduce to the terminal's palette;
 * whatever is refused must come with a NUL-terminated message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tui/theme.h"

#define KNOWN_ATTRS                                                                                         \
    (THEME_ATTR_BOLD | THEME_ATTR_DIM | THEME_ATTR_UNDERLINE | THEME_ATTR_REVERSE | THEME_ATTR_STANDOUT |   \
     THEME_ATTR_ITALIC | THEME_ATTR_BLINK)

static void check_theme(const Theme *t)
{
    if (!memchr(t->name, '\0', sizeof t->name))
        abort();
    for (int e = 0; e < THEME_N_ELEMENTS; e++) {
        const ThemeStyle *s = &t->style[e];
        if (s->fg < THEME_COLOR_DEFAULT || s->fg > 255 || s->bg < THEME_COLOR_DEFAULT || s->bg > 255)
            abort();
        if (s->attrs & ~(unsigned)KNOWN_ATTRS)
            abort();
        const int depth[] = { 8, 16 };
        for (int k = 0; k < 2; k++) {
            if (s->fg >= 0) {
                int r = theme_reduce_color(s->fg, depth[k]);
                if (r < 0 || r >= depth[k])
                    abort();
            }
            if (s->bg >= 0) {
                int r = theme_reduce_color(s->bg, depth[k]);
                if (r < 0 || r >= depth[k])
                    abort();
            }
        }
        if (!theme_element_name((ThemeElement)e))
            abort();
    }
}

static void check_err(const char *err, size_t errlen)
{
    if (!memchr(err, '\0', errlen) || !err[0])
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Theme t;
    char err[256];
    memset(err, 'x', sizeof err);
    if (theme_parse((const char *)data, size, "fuzz/theme", &t, err, sizeof err) == 0)
        check_theme(&t);
    else
        check_err(err, sizeof err);

    /* the same bytes through the file loader (size limit, path handling) */
    int fd = memfd_create("versus-fuzz-theme", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        memset(err, 'x', sizeof err);
        if (theme_load(path, &t, err, sizeof err) == 0)
            check_theme(&t);
        else
            check_err(err, sizeof err);
    }
    close(fd);
    return 0;
}
