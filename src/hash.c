/*
 * SHA-256 (see hash.h): thin wrappers over nettle, so that the rest of
 * evmaint names one hash and one hex form, the one sha256sum(1) prints and
 * reads back from a sidecar.
 */
#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "fsx.h"
#include "hash.h"
#include "xmalloc.h"

#define CODEC_DL_REDIRECT	/* the libraries' calls, through codec-dl.c */
#include "codec-dl.h"

/* A read's size: what gz.c reads at a time too. */
#define HASH_BUFSIZE	(256 * 1024)


void
hash_init(hash_ctx *ctx)
{
	sha256_init(ctx);
}

void
hash_update(hash_ctx *ctx, const void *buf, size_t len)
{
	sha256_update(ctx, len, buf);
}

/* nettle resets the context after a digest; callers may not rely on it. */
void
hash_final(hash_ctx *ctx, uint8_t out[HASH_LEN])
{
	sha256_digest(ctx, HASH_LEN, out);
}

void
hash_hex(const uint8_t h[HASH_LEN], char out[HASH_HEX_LEN])
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < HASH_LEN; i++) {
		out[2 * i] = digits[h[i] >> 4];
		out[2 * i + 1] = digits[h[i] & 0x0f];
	}
	out[2 * HASH_LEN] = '\0';
}

/*
 * Exactly 64 hex digits (either case, as sha256sum -c accepts) and nothing
 * after them: a sidecar line is split by the caller.
 */
int
hash_from_hex(const char *s, uint8_t out[HASH_LEN])
{
	uint8_t	h[HASH_LEN];
	size_t	i;
	int	hi, lo;

	for (i = 0; i < HASH_LEN; i++) {
		if ((hi = esc_hexval(s[2 * i])) == -1 ||
		    (lo = esc_hexval(s[2 * i + 1])) == -1)
			return -1;
		h[i] = (uint8_t)(hi << 4 | lo);
	}
	if (s[2 * HASH_LEN] != '\0')
		return -1;
	for (i = 0; i < HASH_LEN; i++)
		out[i] = h[i];
	return 0;
}

/*
 * SHA-256 of a file read from its current offset, and of its first
 * `prefix` bytes (zeroes when the file is shorter; UINT64_MAX: not wanted).
 */
int
hash_fd(int fd, uint64_t prefix, uint64_t *size, uint8_t *all,
    uint8_t *head)
{
	hash_ctx	 c, h;
	char		*buf = xmalloc(HASH_BUFSIZE);
	uint64_t	 done = 0;
	ssize_t		 n;
	bool		 head_done = false;

	hash_init(&c);
	for (;;) {
		if (!head_done && done == prefix && head != NULL) {
			h = c;
			hash_final(&h, head);
			head_done = true;
		}
		n = fsx_read(fd, buf, !head_done &&
		    prefix - done < HASH_BUFSIZE ? (size_t)(prefix - done) :
		    HASH_BUFSIZE);
		if (n <= 0)
			break;
		hash_update(&c, buf, (size_t)n);
		done += (uint64_t)n;
	}
	free(buf);
	if (n < 0)
		return -1;
	hash_final(&c, all);
	*size = done;
	if (!head_done && head != NULL)
		memset(head, 0, HASH_LEN);
	return 0;
}
