/* keys.h — API keys: read from the environment or a 0600 key file, never
 * written anywhere. */
#ifndef VERSUS_KEYS_H
#define VERSUS_KEYS_H

#include <stddef.h>

/* Reads the key: env_var first (when non-empty and set), else key_file (must
 * be a regular file of mode 0600 or stricter, owned by the user). Returns a
 * malloc'ed key (free with keys_free, which wipes it), or NULL with err saying
 * what to do; *missing is set when no source had a key at all (as opposed to a
 * source being insecure or unreadable). */
char *keys_read(const char *env_var, const char *key_file, int *missing, char *err, size_t errlen);
/* Wipes and frees a key. */
void keys_free(char *key);
/* Checks that a file holding secrets or settings is not readable or writable
 * by group/others; 0, or -1 with err saying how to fix it. */
int keys_check_private_file(const char *path, char *err, size_t errlen);

#endif
