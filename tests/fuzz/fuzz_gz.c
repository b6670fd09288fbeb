/*
 * The gzip checks on hostile bytes, three ways that must agree: the reader
 * over a file (gz_verify_fd, what `verify` and the archive re-read use),
 * the checker fed the same bytes in uneven pieces (a .gz member streaming
 * out of a tar), and, for any input, the writer's output read back.
 */
#include "config.h"

#include "fuzz.h"
#include "gz.h"
#include "gzb.h"
#include "hash.h"

/* Piece sizes that split headers, magic bytes and trailers. */
static const size_t fuzz_pieces[] = { 1, 2, 3, 7, 10, 64, 4099 };

static void
fuzz_gz_hostile(const uint8_t *data, size_t size)
{
	struct gz_check	*c;
	uint64_t	 out = 0;
	uint8_t		 h[HASH_LEN];
	char		 err[256];
	size_t		 off = 0, k = 0, n;
	int		 fd, rv, rc = 0;

	fd = fuzz_memfd(data, size);
	rv = gz_verify_fd(fd, &out, h, err, sizeof err);
	close(fd);

	c = gz_check_new();
	while (off < size && rc == 0) {
		n = fuzz_pieces[k++ % (sizeof fuzz_pieces /
		    sizeof fuzz_pieces[0])];
		if (n > size - off)
			n = size - off;
		rc = gz_check_feed(c, data + off, n);
		off += n;
	}
	if (rc == 0)
		rc = gz_check_end(c);
	FUZZ_ASSERT((rv == 0) == (rc == 0));
	if (rv == 0)
		FUZZ_ASSERT(gz_check_out(c) == out);
	gz_check_free(c);
}

static void
fuzz_gz_roundtrip(const uint8_t *data, size_t size)
{
	struct gz_opts		 o;
	struct gzb		*e;
	struct gzb_stream	*w;
	hash_ctx		 direct;
	uint8_t			 want[HASH_LEN], got[HASH_LEN];
	uint64_t		 out = 0;
	char			 err[256];
	int			 fd;

	fd = memfd_create("fuzz-gz-out", MFD_CLOEXEC);
	FUZZ_ASSERT(fd != -1);
	o.level = size > 0 ? 1 + data[0] % 9 : 6;
	o.name = size > 1 && data[1] & 1 ? "deploy.log" : NULL;
	o.mtime = 1764032401;
	/* one engine per input: a fuzzer's inputs are small, inline is fast */
	e = gzb_new(1);
	w = gzb_open(e, fd, &o);
	FUZZ_ASSERT(w != NULL);
	FUZZ_ASSERT(gzb_feed(w, data, size) == 0);
	FUZZ_ASSERT(gzb_finish(w) == 0);
	FUZZ_ASSERT(gzb_in(w) == size);
	FUZZ_ASSERT(gzb_out(w) == (uint64_t)lseek(fd, 0, SEEK_CUR));
	gzb_stream_free(w);
	gzb_free(e);
	hash_init(&direct);
	hash_update(&direct, data, size);
	hash_final(&direct, want);
	FUZZ_ASSERT(lseek(fd, 0, SEEK_SET) == 0);
	FUZZ_ASSERT(gz_verify_fd(fd, &out, got, err, sizeof err) == 0);
	FUZZ_ASSERT(out == size);
	FUZZ_ASSERT(memcmp(got, want, HASH_LEN) == 0);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_gz_hostile(data, size);
	fuzz_gz_roundtrip(data, size);
	return 0;
}
