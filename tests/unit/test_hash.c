/*
 * Unit tests of hash.c: the FIPS 180-2 vectors, hashing in pieces, and the
 * hex form that has to match what sha256sum prints and reads.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "hash.h"

static void	hex_of(const void *, size_t, char *);

static void
hex_of(const void *buf, size_t len, char *hex)
{
	hash_ctx	ctx;
	uint8_t		h[HASH_LEN];

	hash_init(&ctx);
	hash_update(&ctx, buf, len);
	hash_final(&ctx, h);
	hash_hex(h, hex);
}

static void
test_vectors(void **state)
{
	char hex[HASH_HEX_LEN];

	(void)state;
	hex_of("", 0, hex);
	assert_string_equal(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56,
	    hex);
	assert_string_equal(hex,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A million 'a' fed in uneven pieces: the streaming use of the hash. */
static void
test_pieces(void **state)
{
	hash_ctx	 ctx;
	uint8_t		 h[HASH_LEN];
	char		 hex[HASH_HEX_LEN];
	char		*buf = malloc(1000000);
	size_t		 off = 0, step = 1;

	(void)state;
	memset(buf, 'a', 1000000);
	hash_init(&ctx);
	while (off < 1000000) {
		if (step > 1000000 - off)
			step = 1000000 - off;
		hash_update(&ctx, buf + off, step);
		off += step;
		step = step * 7 % 65521 + 1;
	}
	hash_final(&ctx, h);
	hash_hex(h, hex);
	assert_string_equal(hex,
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(buf);
}

static void
test_hex(void **state)
{
	uint8_t	h[HASH_LEN], back[HASH_LEN];
	char	hex[HASH_HEX_LEN], upper[HASH_HEX_LEN + 1];
	size_t	i;

	(void)state;
	for (i = 0; i < HASH_LEN; i++)
		h[i] = (uint8_t)(i * 37 + 0xa5);
	hash_hex(h, hex);
	assert_int_equal(strlen(hex), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", hex[i]));
	assert_int_equal(hash_from_hex(hex, back), 0);
	assert_memory_equal(back, h, HASH_LEN);

	/* sha256sum -c accepts upper case too */
	for (i = 0; i <= 64; i++)
		upper[i] = (char)(hex[i] >= 'a' ? hex[i] - 32 : hex[i]);
	memset(back, 0, sizeof back);
	assert_int_equal(hash_from_hex(upper, back), 0);
	assert_memory_equal(back, h, HASH_LEN);

	/* wrong length, wrong digit: refused, output untouched */
	memset(back, 0x5a, sizeof back);
	upper[63] = '\0';
	assert_int_equal(hash_from_hex(upper, back), -1);
	assert_int_equal(hash_from_hex("", back), -1);
	memcpy(upper, hex, sizeof hex);
	upper[64] = '0';
	upper[65] = '\0';
	assert_int_equal(hash_from_hex(upper, back), -1);
	memcpy(upper, hex, sizeof hex);
	upper[10] = 'g';
	assert_int_equal(hash_from_hex(upper, back), -1);
	upper[10] = ' ';
	assert_int_equal(hash_from_hex(upper, back), -1);
	for (i = 0; i < HASH_LEN; i++)
		assert_int_equal(back[i], 0x5a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_pieces),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
