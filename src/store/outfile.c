/* outfile.c — whole files replaced atomically, private and with secrets
 * masked (see outfile.h). */
#include "store/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "core/keyfilter.h"
#include "core/termsafe.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Flushes the directory entry of path (the rename) to disk. */
static int fsync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int outfile_replace(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.XXXXXX", dl, path, slash ? slash + 1 : path) >= sizeof tmp) {
        snprintf(err, errlen, "%s: the path is too long", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: can not create a temporary file beside it: %s", path, strerror(errno));
        return -1;
    }
    int rc = write_all(fd, data, len);
    if (rc == 0)
        rc = fchmod(fd, 0600);
    if (rc == 0)
        rc = fsync(fd);
    int saved = errno;
    if (close(fd) < 0 && rc == 0) {
        rc = -1;
        saved = errno;
    }
    if (rc == 0 && rename(tmp, path) < 0) {
        rc = -1;
        saved = errno;
    }
    if (rc < 0) {
        unlink(tmp);
        snprintf(err, errlen, "%s: can not write it: %s; the previous file (if any) is unchanged", path,
                 strerror(saved));
        return -1;
    }
    if (fsync_parent(path) < 0) {
        snprintf(err, errlen, "%s: written, but syncing its directory failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* An existing device or FIFO is written in place (there is nothing to
 * rename over); 1 when path is one, 0 when it is not, -1 on a write error. */
static int write_special(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0 || S_ISREG(st.st_mode))
        return 0;
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory; give a file name", path);
        return -1;
    }
    if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode))
        return 0;
    int fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (fd < 0 || write_all(fd, data, len) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 1;
}

int outfile_write(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
    char *copy = malloc(len + 1);
    if (!copy) {
        snprintf(err, errlen, "%s: out of memory", path ? path : "standard output");
        return -1;
    }
    if (len)
        memcpy(copy, data, len);
    keyfilter_mask(copy, len);
    int rc;
    if (!path || strcmp(path, "-") == 0) {
        /* on a terminal, what came from outside is shown, not obeyed */
        Buf safe = { 0 };
        const char *p = copy;
        size_t n = len;
        if (isatty(STDOUT_FILENO) && termsafe_append(&safe, copy, len) == 0) {
            p = safe.data ? safe.data : "";
            n = safe.len;
        }
        rc = (n && fwrite(p, 1, n, stdout) != n) || fflush(stdout) != 0 ? -1 : 0;
        buf_free(&safe);
        if (rc < 0)
            snprintf(err, errlen, "standard output: %s", strerror(errno));
    } else {
        rc = write_special(path, copy, len, err, errlen);
        if (rc == 0)
            rc = outfile_replace(path, copy, len, err, errlen);
        else if (rc == 1)
            rc = 0;
    }
    free(copy);
    return rc;
}
