/*
 * SHA-256 through nettle (already a dependency of libarchive on Debian),
 * plus the hex form that sha256sum(1) prints, and the hash of an open file
 * (hash_fd: the archive's members, a plain copy beside its .gz).
 */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>

#define HASH_LEN	SHA256_DIGEST_SIZE	/* 32 */
#define HASH_HEX_LEN	(2 * HASH_LEN + 1)	/* with the NUL */

typedef struct sha256_ctx hash_ctx;

void	hash_init(hash_ctx *);
void	hash_update(hash_ctx *, const void *, size_t);
void	hash_final(hash_ctx *, uint8_t[HASH_LEN]);
void	hash_hex(const uint8_t[HASH_LEN], char[HASH_HEX_LEN]);
int	hash_from_hex(const char *, uint8_t[HASH_LEN]);
int	hash_fd(int, uint64_t, uint64_t *, uint8_t *, uint8_t *);

#endif
