/* sha256.c — SHA-256 as FIPS 180-4 specifies it (see sha256.h).
 *
 * Plain portable C: one 64-round compression over big-endian words. Fast
 * enough to verify a 100 MB model in well under a second. */
#include "engine/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha256_compress(uint32_t state[8], const unsigned char *p)
{
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
               (uint32_t)p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
        uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

void sha256_init(Sha256 *h)
{
    static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
    memcpy(h->state, iv, sizeof iv);
    h->total = 0;
    h->block_len = 0;
}

void sha256_update(Sha256 *h, const void *data, size_t n)
{
    const unsigned char *p = data;
    h->total += n;
    if (h->block_len) {
        size_t take = 64 - h->block_len < n ? 64 - h->block_len : n;
        memcpy(h->block + h->block_len, p, take);
        h->block_len += take;
        p += take;
        n -= take;
        if (h->block_len < 64)
            return;
        sha256_compress(h->state, h->block);
        h->block_len = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        sha256_compress(h->state, p);
    memcpy(h->block, p, n);
    h->block_len = n;
}

void sha256_final(Sha256 *h, unsigned char out[SHA256_DIGEST_LEN])
{
    uint64_t bits = h->total * 8;
    h->block[h->block_len++] = 0x80;
    if (h->block_len > 56) {
        memset(h->block + h->block_len, 0, 64 - h->block_len);
        sha256_compress(h->state, h->block);
        h->block_len = 0;
    }
    memset(h->block + h->block_len, 0, 56 - h->block_len);
    for (int i = 0; i < 8; i++)
        h->block[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_compress(h->state, h->block);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = (unsigned char)(h->state[i] >> 24);
        out[4 * i + 1] = (unsigned char)(h->state[i] >> 16);
        out[4 * i + 2] = (unsigned char)(h->state[i] >> 8);
        out[4 * i + 3] = (unsigned char)h->state[i];
    }
}

void sha256_to_hex(const unsigned char digest[SHA256_DIGEST_LEN], char hex[SHA256_HEX_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < SHA256_DIGEST_LEN; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[SHA256_HEX_LEN] = '\0';
}

void sha256_hex(const void *data, size_t n, char hex[SHA256_HEX_LEN + 1])
{
    Sha256 h;
    unsigned char d[SHA256_DIGEST_LEN];
    sha256_init(&h);
    sha256_update(&h, data, n);
    sha256_final(&h, d);
    sha256_to_hex(d, hex);
}

int sha256_file_hex(const char *path, char hex[SHA256_HEX_LEN + 1], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "cannot open %s: %s", path, fd < 0 ? strerror(errno) : "not a regular file");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    unsigned char buf[1 << 15];
    Sha256 h;
    sha256_init(&h);
    for (;;) {
        ssize_t got = read(fd, buf, sizeof buf);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (got == 0)
            break;
        sha256_update(&h, buf, (size_t)got);
    }
    close(fd);
    unsigned char d[SHA256_DIGEST_LEN];
    sha256_final(&h, d);
    sha256_to_hex(d, hex);
    return 0;
}
