/* keys.c — reading API keys from the environment or private key files. */
#include "core/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/keyfilter.h"

int keys_check_private_file(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "%s is accessible by group/others (mode %03o); fix it with: chmod 600 '%s'",
                 path, (unsigned)(st.st_mode & 0777), path);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        snprintf(err, errlen, "%s is owned by another user; it must be yours and mode 0600", path);
        return -1;
    }
    return 0;
}

void keys_free(char *key)
{
    if (!key)
        return;
    volatile char *p = key;
    while (*p)
        *p++ = 0;
    free(key);
}

static char *trimmed_dup(const char *s, size_t n)
{
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    char *k = malloc(n + 1);
    if (!k)
        return NULL;
    memcpy(k, s, n);
    k[n] = '\0';
    /* every key read is masked wherever it shows up, in the form it is sent */
    keyfilter_add_secret(k, n);
    return k;
}

char *keys_read(const char *env_var, const char *key_file, int *missing, char *err, size_t errlen)
{
    *missing = 0;
    if (env_var && *env_var) {
        const char *v = getenv(env_var);
        if (v && *v)
            return trimmed_dup(v, strlen(v));
    }
    if (key_file && *key_file) {
        if (access(key_file, F_OK) == 0) {
            if (keys_check_private_file(key_file, err, errlen) < 0)
                return NULL;
            int fd = open(key_file, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                snprintf(err, errlen, "%s: %s", key_file, strerror(errno));
                return NULL;
            }
            char buf[4096];
            ssize_t n = read(fd, buf, sizeof buf);
            close(fd);
            if (n <= 0) {
                snprintf(err, errlen, "%s is empty; put the API key in it", key_file);
                return NULL;
            }
            char *k = trimmed_dup(buf, (size_t)n);
            memset(buf, 0, sizeof buf);
            if (k && !*k) {
                free(k);
                snprintf(err, errlen, "%s is empty; put the API key in it", key_file);
                return NULL;
            }
            return k;
        }
    }
    *missing = 1;
    if (env_var && *env_var && key_file && *key_file)
        snprintf(err, errlen, "no API key: set %s or put the key in %s (mode 0600)", env_var, key_file);
    else if (env_var && *env_var)
        snprintf(err, errlen, "no API key: set %s", env_var);
    else
        snprintf(err, errlen, "no API key configured for this provider");
    return NULL;
}
