/* sha256.h — SHA-256 (FIPS 180-4), streaming and whole-file.
 *
 * For verifying downloaded model files; not a general crypto library (no
 * HMAC, no constant-time promises). */
#ifndef VERSUS_SHA256_H
#define VERSUS_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_LEN 32 /* bytes */
#define SHA256_HEX_LEN 64    /* characters, without the NUL */

typedef struct Sha256 {
    uint32_t state[8];
    uint64_t total;          /* bytes hashed so far */
    unsigned char block[64]; /* pending partial block */
    size_t block_len;        /* bytes pending in block */
} Sha256;

/* Starts a new hash. */
void sha256_init(Sha256 *h);
/* Hashes n more bytes. */
void sha256_update(Sha256 *h, const void *data, size_t n);
/* Finishes the hash into out; h must be re-initialised before reuse. */
void sha256_final(Sha256 *h, unsigned char out[SHA256_DIGEST_LEN]);
/* Writes the digest as 64 lowercase hex characters plus a NUL. */
void sha256_to_hex(const unsigned char digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN + 1]);
/* One-shot hash of a memory block, as lowercase hex. */
void sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_LEN + 1]);
/* Hashes a whole file as lowercase hex; 0, or -1 with err (cannot open/read). */
int sha256_file_hex(const char *path, char hex[SHA256_HEX_LEN + 1], char *err, size_t errlen);

#endif
