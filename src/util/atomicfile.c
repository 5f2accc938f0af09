/* atomicfile.c — temporary file, fsync, rename, fsync of the directory
 * (see atomicfile.h). */
#include "util/atomicfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

bool atomicfile_is_temp(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    return name[0] == '.' && t && t > name + 1 && strlen(t + 5) == 6;
}

int atomicfile_write(const char *path, const char *data, size_t len, mode_t mode, char *err, size_t errlen)
{
    char tmp[4200];
    const char *slash = strrchr(path, '/');
    int dl = slash ? (int)(slash - path + 1) : 0;
    if ((size_t)snprintf(tmp, sizeof tmp, "%.*s.%s.tmp.XXXXXX", dl, path, slash ? slash + 1 : path) >= sizeof tmp) {
        snprintf(err, errlen, "%s: path too long", path);
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "can not create a temporary file beside %s: %s", path, strerror(errno));
        return -1;
    }
    int rc = write_all(fd, data, len);
    if (rc == 0)
        rc = fchmod(fd, mode);
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
        snprintf(err, errlen, "can not write %s: %s; the previous file (if any) is unchanged", path,
                 strerror(saved));
        return -1;
    }
    if (fsync_parent(path) < 0) {
        snprintf(err, errlen, "%s written, but syncing its directory failed: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}
