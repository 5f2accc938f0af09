/* file.c — whole-file reading with a bound (see file.h). */
#include "util/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/errmsg.h"

/* "4 MiB", "512 KiB" or "1000 bytes": the limit as a person reads it. */
static void size_words(char *out, size_t outlen, size_t n)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0)
        snprintf(out, outlen, "%zu MiB", n >> 20);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(out, outlen, "%zu KiB", n >> 10);
    else
        snprintf(out, outlen, "%zu bytes", n);
}

static const char *type_words(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISCHR(m) || S_ISBLK(m))
        return "a device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a plain file";
}

static int too_large(const char *name, size_t max_bytes, Buf *out, char *err, size_t errlen)
{
    char lim[32];
    size_words(lim, sizeof lim, max_bytes);
    buf_free(out);
    errmsg_set(err, errlen, "%s: larger than %s", name, lim);
    return UTIL_FILE_TOO_LARGE;
}

int util_read_fd(int fd, const char *name, size_t max_bytes, Buf *out, char *err, size_t errlen)
{
    buf_free(out);
    if (buf_append(out, "", 0) < 0) { /* "" rather than NULL data, even when empty */
        errmsg_set(err, errlen, "%s: out of memory", name);
        return UTIL_FILE_UNREADABLE;
    }
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n == 0)
            return UTIL_FILE_OK;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            buf_free(out);
            errmsg_set(err, errlen, "%s: read error: %s", name, strerror(e));
            return UTIL_FILE_UNREADABLE;
        }
        if ((size_t)n > max_bytes - out->len)
            return too_large(name, max_bytes, out, err, errlen);
        if (buf_append(out, chunk, (size_t)n) < 0) {
            buf_free(out);
            errmsg_set(err, errlen, "%s: out of memory", name);
            return UTIL_FILE_UNREADABLE;
        }
    }
}

int util_read_file(const char *path, size_t max_bytes, Buf *out, char *err, size_t errlen)
{
    buf_free(out);
    /* O_NONBLOCK: opening a FIFO with no writer must not hang; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        errmsg_set(err, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT || e == ENOTDIR ? UTIL_FILE_MISSING : UTIL_FILE_UNREADABLE;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        errmsg_set(err, errlen, "%s: %s", path, strerror(e));
        return UTIL_FILE_UNREADABLE;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errmsg_set(err, errlen, "%s: %s, not a regular file (only regular files are read)", path,
                   type_words(st.st_mode));
        return UTIL_FILE_NOT_REGULAR;
    }
    if (st.st_size > 0 && (unsigned long long)st.st_size > max_bytes) {
        close(fd);
        return too_large(path, max_bytes, out, err, errlen);
    }
    int rc = util_read_fd(fd, path, max_bytes, out, err, errlen);
    close(fd);
    return rc;
}
