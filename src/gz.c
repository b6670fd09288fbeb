/*
 * gzip's reading side with zlib (see gz.h); the writer is gzb.c's. Memory
 * stays flat whatever the file size: one input and one output buffer of
 * GZ_BUFSIZE. The reader never trusts a stream it has not seen end: a
 * member counts only once zlib has reached Z_STREAM_END, which is where it
 * has checked the CRC-32 and ISIZE trailer.
 *
 * With libdeflate, the reader first tries whole members with it: the .gz
 * evmaint writes is a run of members of at most GZ_BLOCK bytes of data
 * each (but for a stretch that repeats itself, see gzb_seq_start), which
 * libdeflate inflates (CRC-32 and ISIZE checked) much faster than zlib.
 * The first member it cannot do within those bounds (a gzip(1) file, such
 * a stretch, damage) goes to zlib from its first byte, and so does the
 * rest of the file: zlib judges bad data and says what is wrong. That path
 * holds up to GZ_BLOCK_IN of input and GZ_BLOCK of output, allocated on the
 * first read and no bigger than a small file needs (10,000 small generations
 * read on every core must not each touch 4 MiB). The input buffer starts at
 * GZ_FAST_IN and grows only for a member that does not fit: a log's 2 MiB
 * member deflates to a few hundred KiB, and every checker on every core
 * holds one beside the tar writer.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZLIB_CONST
#include <zlib.h>

#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "fsx.h"
#include "gz.h"
#include "xmalloc.h"

#define CODEC_DL_REDIRECT	/* the libraries' calls, through codec-dl.c */
#include "codec-dl.h"

#define GZ_CHUNK_MAX	(1U << 30)	/* zlib counts in uInt */
#define GZ_SCRATCH	(64 * 1024)
/*
 * Output is handed to the disk every this many bytes while compression
 * goes on, so that the fsync before publication finds little left to write
 * instead of the whole .gz.
 */
#define GZ_WRITEBEHIND	(8 << 20)
#ifdef HAVE_LIBDEFLATE
/*
 * The most uncompressed data in one member that evmaint writes (gzb.c's
 * blocks), and room for such a member compressed whatever the data:
 * incompressible data deflates to a little more than itself (stored
 * blocks, 5 bytes in 64 KiB).
 */
#define GZ_BLOCK	GZ_MEMBER_MAX
#define GZ_BLOCK_IN	(GZ_BLOCK + GZ_BLOCK / 8)
#define GZ_FAST_IN	(GZ_BLOCK_IN / 4)
#define GZ_SMALL	4096		/* slack past a small file's size */
#define GZ_SMALL_OUT	(64 * 1024)	/* the least output buffer */
#define GZ_FHCRC	0x02		/* FLG: the header has a CRC-16 */
#define GZ_SLOW		(-2)		/* from gz_reader_fast: zlib's turn */
#endif

/*
 * The decompressing core shared by the reader (pulls from an fd) and the
 * checker (fed in pieces): a gzip member starts only with the magic bytes,
 * held here when a piece ends between them, so that what follows the last
 * member is named as trailing garbage rather than a bad header.
 */
struct gz_inf {
	z_stream	 zs;
	bool		 inmember;	/* header seen, Z_STREAM_END not yet */
	unsigned	 members;	/* complete ones */
	unsigned char	 magic[2];
	size_t		 nmagic;
	uint64_t	 in;		/* compressed bytes consumed */
	uint64_t	 out;
	uint64_t	 member_end;	/* offset after the last complete member */
	bool		 failed;
	char		 err[192];
};

/*
 * buf holds compressed input, p and avail what is not consumed yet, for
 * both paths: when libdeflate gives up on a member, zlib starts at p.
 */
struct gz_reader {
	struct gz_inf	 gi;
	int		 fd;
	gz_source_fn	*fn;		/* or NULL: read from fd */
	void		*fnarg;
	hash_ctx	*raw;
	unsigned char	*buf;		/* on first use */
	size_t		 bufsize;
	const unsigned char *p;
	size_t		 avail;
	uint64_t	 nread;		/* bytes read from fd */
	bool		 eof;
	bool		 done;
#ifdef HAVE_LIBDEFLATE
	struct libdeflate_decompressor *ld;
	bool		 slow;		/* zlib for the rest of the file */
	size_t		 want;		/* have this much buffered to try */
	unsigned char	*obuf;		/* a member's data */
	size_t		 obufsize;	/* up to GZ_BLOCK, grown on demand */
	const unsigned char *op;
	size_t		 olen;		/* not handed out yet */
#endif
};

struct gz_check {
	struct gz_inf	 gi;
	unsigned char	*scratch;
};

static voidpf	gz_zalloc(voidpf, uInt, uInt);
static void	gz_zfree(voidpf, voidpf);
static void	gz_inf_init(struct gz_inf *);
static void	gz_inf_end(struct gz_inf *);
static int	gz_inf_fail(struct gz_inf *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static int	gz_inf_start(struct gz_inf *, const unsigned char **,
		    size_t *);
static int	gz_inf_run(struct gz_inf *, const unsigned char **, size_t *,
		    unsigned char *, size_t, size_t *);
static int	gz_inf_finish(struct gz_inf *);
static ssize_t	gz_reader_get(struct gz_reader *, unsigned char *, size_t);
#ifdef HAVE_LIBDEFLATE
static int	gz_reader_topup(struct gz_reader *);
static void	gz_reader_slow(struct gz_reader *);
static ssize_t	gz_reader_fast(struct gz_reader *, unsigned char *, size_t);
#endif

/*
 * zlib allocates through xmalloc, so Z_MEM_ERROR cannot happen and every
 * zlib error left is about the data.
 */
static voidpf
gz_zalloc(voidpf opaque, uInt items, uInt size)
{
	return xreallocarray(NULL, items, size);
}

static void
gz_zfree(voidpf opaque, voidpf p)
{
	free(p);
}

/*
 * Starts writeback of what was written so far without waiting for it. Only
 * a hint: a pipe, or a file system without it, turns it off for the stream.
 */
void
gz_writebehind(int fd, uint64_t *unsynced, size_t len, bool *on)
{
	*unsynced += len;
	if (!*on || *unsynced < GZ_WRITEBEHIND)
		return;
	*unsynced = 0;
	if (sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == -1)
		*on = false;
}

static void
gz_inf_init(struct gz_inf *gi)
{
	int rc;

	memset(gi, 0, sizeof *gi);
	gi->zs.zalloc = gz_zalloc;
	gi->zs.zfree = gz_zfree;
	if ((rc = inflateInit2(&gi->zs, 15 + 16)) != Z_OK) {
		/* Only a zlib built differently from its header gets here. */
		fprintf(stderr, "evmaint: inflateInit2: %s\n", zError(rc));
		abort();
	}
}

static void
gz_inf_end(struct gz_inf *gi)
{
	inflateEnd(&gi->zs);
}

static int
gz_inf_fail(struct gz_inf *gi, const char *fmt, ...)
{
	va_list ap;

	if (!gi->failed) {
		va_start(ap, fmt);
		vsnprintf(gi->err, sizeof gi->err, fmt, ap);
		va_end(ap);
		gi->failed = true;
	}
	return -1;
}

/*
 * Between members: collects the two magic bytes and, when they are there,
 * hands them to a fresh inflate state. Returns -1 on anything else.
 */
static int
gz_inf_start(struct gz_inf *gi, const unsigned char **inp, size_t *inlen)
{
	unsigned char	 dummy;
	int		 rc;

	while (gi->nmagic < 2 && *inlen > 0) {
		gi->magic[gi->nmagic++] = **inp;
		(*inp)++;
		(*inlen)--;
	}
	if (gi->nmagic < 2)
		return 0;
	if (gi->magic[0] != 0x1f || gi->magic[1] != 0x8b) {
		if (gi->members == 0)
			return gz_inf_fail(gi, "not in gzip format");
		return gz_inf_fail(gi,
		    "trailing garbage after gzip data at offset %ju",
		    (uintmax_t)gi->member_end);
	}
	if (gi->members > 0 && inflateReset(&gi->zs) != Z_OK)
		return gz_inf_fail(gi, "zlib: inflateReset failed");
	/* The header needs no output space; zlib only wants a pointer. */
	gi->zs.next_in = gi->magic;
	gi->zs.avail_in = 2;
	gi->zs.next_out = &dummy;
	gi->zs.avail_out = 0;
	rc = inflate(&gi->zs, Z_NO_FLUSH);
	if (rc != Z_OK || gi->zs.avail_in != 0)
		return gz_inf_fail(gi, "zlib: cannot start member: %s",
		    gi->zs.msg != NULL ? gi->zs.msg : zError(rc));
	gi->in += 2;
	gi->nmagic = 0;
	gi->inmember = true;
	return 0;
}

/*
 * Decompresses from *inp into out until the input is used up or out is
 * full; *nout is what was produced. When it returns 0 with *nout < outlen,
 * all input was consumed.
 */
static int
gz_inf_run(struct gz_inf *gi, const unsigned char **inp, size_t *inlen,
    unsigned char *out, size_t outlen, size_t *nout)
{
	size_t	in_before, out_before, used, made;
	int	rc;

	*nout = 0;
	if (gi->failed)
		return -1;
	while (*nout < outlen) {
		if (!gi->inmember) {
			if (*inlen == 0)
				break;
			if (gz_inf_start(gi, inp, inlen) == -1)
				return -1;
			if (!gi->inmember)
				break;
		}
		in_before = *inlen < GZ_CHUNK_MAX ? *inlen : GZ_CHUNK_MAX;
		out_before = outlen - *nout < GZ_CHUNK_MAX ?
		    outlen - *nout : GZ_CHUNK_MAX;
		gi->zs.next_in = *inp;
		gi->zs.avail_in = (uInt)in_before;
		gi->zs.next_out = out + *nout;
		gi->zs.avail_out = (uInt)out_before;
		rc = inflate(&gi->zs, Z_NO_FLUSH);
		used = in_before - gi->zs.avail_in;
		made = out_before - gi->zs.avail_out;
		*inp += used;
		*inlen -= used;
		*nout += made;
		gi->in += used;
		gi->out += made;
		switch (rc) {
		case Z_STREAM_END:
			gi->inmember = false;
			gi->members++;
			gi->member_end = gi->in;
			continue;
		case Z_OK:
			if (used == 0 && made == 0)
				return 0;
			continue;
		case Z_BUF_ERROR:
			return 0;	/* wants more input */
		case Z_DATA_ERROR:
		case Z_NEED_DICT:
			return gz_inf_fail(gi,
			    "CRC mismatch or corrupt data: %s",
			    gi->zs.msg != NULL ? gi->zs.msg : zError(rc));
		default:
			return gz_inf_fail(gi, "zlib: %s",
			    gi->zs.msg != NULL ? gi->zs.msg : zError(rc));
		}
	}
	return 0;
}

/* At the end of the input: was it whole members and nothing else? */
static int
gz_inf_finish(struct gz_inf *gi)
{
	if (gi->failed)
		return -1;
	if (gi->inmember || (gi->members == 0 && gi->nmagic > 0))
		return gz_inf_fail(gi,
		    "unexpected end of file after %ju bytes",
		    (uintmax_t)(gi->in + gi->nmagic));
	if (gi->nmagic > 0)
		return gz_inf_fail(gi,
		    "trailing garbage after gzip data at offset %ju",
		    (uintmax_t)gi->member_end);
	if (gi->members == 0)
		return gz_inf_fail(gi, "not a gzip file: empty");
	return 0;
}

struct gz_reader *
gz_reader_new(int fd)
{
	struct gz_reader *r = xcalloc(1, sizeof *r);

	gz_inf_init(&r->gi);
	r->fd = fd;
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return r;
}

/* A reader whose compressed bytes come from fn (a member in an archive). */
struct gz_reader *
gz_reader_new_fn(gz_source_fn *fn, void *arg)
{
	struct gz_reader *r = xcalloc(1, sizeof *r);

	gz_inf_init(&r->gi);
	r->fd = -1;
	r->fn = fn;
	r->fnarg = arg;
	return r;
}

/*
 * Reads from the source into dst: the raw hash and nread see every byte
 * once, here, whichever path consumes it later.
 */
static ssize_t
gz_reader_get(struct gz_reader *r, unsigned char *dst, size_t len)
{
	ssize_t got;

	got = r->fn != NULL ? r->fn(r->fnarg, dst, len) :
	    fsx_read(r->fd, dst, len);
	if (got == -1)
		return gz_inf_fail(&r->gi, "read error after %ju bytes: %s",
		    (uintmax_t)r->nread, strerror(errno));
	if (got == 0)
		r->eof = true;
	else if (r->raw != NULL)
		hash_update(r->raw, dst, (size_t)got);
	r->nread += (uint64_t)got;
	return got;
}

#ifdef HAVE_LIBDEFLATE
/* Moves the unread bytes to the buffer's start. */
static void
gz_reader_compact(struct gz_reader *r)
{
	if (r->avail > 0 && r->p != r->buf)
		memmove(r->buf, r->p, r->avail);
	r->p = r->buf;
}

/*
 * Moves what is left to the start of the buffer and fills the rest, so
 * that a member that began near the end is there whole.
 */
static int
gz_reader_topup(struct gz_reader *r)
{
	ssize_t got;

	gz_reader_compact(r);
	while (r->avail < r->bufsize && !r->eof) {
		got = gz_reader_get(r, r->buf + r->avail,
		    r->bufsize - r->avail);
		if (got == -1)
			return -1;
		r->avail += (size_t)got;
	}
	return 0;
}

/*
 * Hands the rest of the file to zlib, starting at p: the first byte of a
 * member libdeflate did not take, or what follows the last one it did.
 */
static void
gz_reader_slow(struct gz_reader *r)
{
	r->slow = true;
	if (r->ld != NULL)
		libdeflate_free_decompressor(r->ld);
	r->ld = NULL;
	free(r->obuf);
	r->obuf = NULL;
}

/*
 * The fast path's first input buffer: GZ_FAST_IN, or a whole small file and
 * a byte (to see its end) when the fd is a regular file that size.
 */
static size_t
gz_reader_insize(const struct gz_reader *r)
{
	struct stat	st;

	if (r->fn != NULL || fstat(r->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < 0 || (uint64_t)st.st_size >= GZ_FAST_IN - GZ_SMALL)
		return GZ_FAST_IN;
	return (size_t)st.st_size + GZ_SMALL;
}

/*
 * A full buffer that does not hold the member: doubles it, up to
 * GZ_BLOCK_IN, keeping what is buffered. False when it is that big already.
 */
static bool
gz_reader_grow(struct gz_reader *r)
{
	if (r->bufsize >= GZ_BLOCK_IN)
		return false;
	gz_reader_compact(r);
	r->bufsize = r->bufsize > GZ_BLOCK_IN / 2 ? GZ_BLOCK_IN :
	    2 * r->bufsize;
	r->buf = xreallocarray(r->buf, r->bufsize, 1);
	r->p = r->buf;
	r->want = r->bufsize;
	return true;
}

/*
 * A first guess at a member's data from the input buffer's size: logs
 * shrink about tenfold; a member that inflates more grows the buffer.
 */
static size_t
gz_reader_outsize(size_t insize)
{
	return insize >= GZ_BLOCK / 16 ? GZ_BLOCK : insize * 16 > GZ_SMALL_OUT ?
	    insize * 16 : GZ_SMALL_OUT;
}

/*
 * Whole members through libdeflate while it can: returns bytes, 0 at the
 * verified end, -1, or GZ_SLOW when zlib is to go on from p. A member is
 * tried once twice what the last one took is buffered (members of one
 * file are much alike, and moving a few bytes is cheaper than inflating a
 * member that turns out cut short). One that fails before the buffer is
 * full or the input ended may only go on past what is buffered, and is
 * tried again after a top-up. Failing then, it is zlib's: too much data
 * for GZ_BLOCK, too long for the buffer, or bad, which zlib will explain.
 */
static ssize_t
gz_reader_fast(struct gz_reader *r, unsigned char *buf, size_t len)
{
	enum libdeflate_result	 rc;
	unsigned char		*out;
	size_t			 n, inlen, outlen;

	if (r->ld == NULL) {
		if ((r->ld = libdeflate_alloc_decompressor()) == NULL) {
			r->slow = true;
			return GZ_SLOW;
		}
		r->bufsize = gz_reader_insize(r);
		r->buf = xmalloc(r->bufsize);
		r->p = r->buf;
		r->want = r->bufsize;
	}
	for (;;) {
		if (r->olen > 0) {
			n = r->olen < len ? r->olen : len;
			memcpy(buf, r->op, n);
			r->op += n;
			r->olen -= n;
			r->gi.out += n;
			return (ssize_t)n;
		}
		if (r->avail < r->want && !r->eof &&
		    gz_reader_topup(r) == -1)
			return -1;
		if (r->avail == 0 && r->eof) {
			if (gz_inf_finish(&r->gi) == -1)
				return -1;
			r->done = true;
			return 0;
		}
		/* libdeflate skips a header CRC where zlib checks it. */
		if (r->avail >= 4 && (r->p[3] & GZ_FHCRC)) {
			gz_reader_slow(r);
			return GZ_SLOW;
		}
		/* A caller's buffer that takes a whole member saves a copy. */
		if (len >= GZ_READ_WHOLE)
			out = buf;
		else {
			if (r->obuf == NULL) {
				r->obufsize = gz_reader_outsize(r->bufsize);
				r->obuf = xmalloc(r->obufsize);
			}
			out = r->obuf;
		}
		rc = libdeflate_gzip_decompress_ex(r->ld, r->p, r->avail, out,
		    out == buf ? GZ_READ_WHOLE : r->obufsize, &inlen, &outlen);
		if (rc == LIBDEFLATE_SUCCESS) {
			r->p += inlen;
			r->avail -= inlen;
			r->gi.in += inlen;
			r->gi.members++;
			r->gi.member_end = r->gi.in;
			r->want = inlen < r->bufsize / 2 ?
			    2 * inlen : r->bufsize;
			if (out != buf) {
				r->op = out;
				r->olen = outlen;
			} else if (outlen > 0) {
				r->gi.out += outlen;
				return (ssize_t)outlen;
			}
			continue;
		}
		if (rc == LIBDEFLATE_INSUFFICIENT_SPACE && out == r->obuf &&
		    r->obufsize < GZ_BLOCK) {
			/* a member that inflates more than guessed */
			free(r->obuf);
			r->obufsize = r->obufsize > GZ_BLOCK / 4 ? GZ_BLOCK :
			    r->obufsize * 4;
			r->obuf = xmalloc(r->obufsize);
			continue;
		}
		if (rc != LIBDEFLATE_INSUFFICIENT_SPACE && !r->eof) {
			if (r->avail < r->bufsize) {
				r->want = r->bufsize;
				continue;
			}
			if (gz_reader_grow(r))
				continue;
		}
		gz_reader_slow(r);
		return GZ_SLOW;
	}
}
#endif

ssize_t
gz_reader_read(struct gz_reader *r, void *buf, size_t len)
{
	size_t	n;
	ssize_t	got;

	if (r->gi.failed)
		return -1;
	if (r->done || len == 0)
		return 0;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
#ifdef HAVE_LIBDEFLATE
	if (!r->slow && (got = gz_reader_fast(r, buf, len)) != GZ_SLOW)
		return got;
#endif
	if (r->buf == NULL) {
		r->buf = xmalloc(GZ_BUFSIZE);
		r->bufsize = GZ_BUFSIZE;
	}
	for (;;) {
		if (r->avail == 0 && !r->eof) {
			if ((got = gz_reader_get(r, r->buf, r->bufsize)) == -1)
				return -1;
			r->p = r->buf;
			r->avail = (size_t)got;
		}
		if (gz_inf_run(&r->gi, &r->p, &r->avail, buf, len, &n) == -1)
			return -1;
		if (n > 0)
			return (ssize_t)n;
		if (r->eof && r->avail == 0) {
			if (gz_inf_finish(&r->gi) == -1)
				return -1;
			r->done = true;
			return 0;
		}
	}
}

const char *
gz_reader_error(const struct gz_reader *r)
{
	return r->gi.failed ? r->gi.err : "no error";
}

uint64_t
gz_reader_in(const struct gz_reader *r)
{
	return r->gi.in;
}

uint64_t
gz_reader_out(const struct gz_reader *r)
{
	return r->gi.out;
}

/*
 * Also hashes every byte read from the fd: read to the end, that is the
 * SHA-256 of the file as it is on disk, for a sidecar.
 */
void
gz_reader_hash_raw(struct gz_reader *r, hash_ctx *ctx)
{
	r->raw = ctx;
}

void
gz_reader_free(struct gz_reader *r)
{
	if (r == NULL)
		return;
	gz_inf_end(&r->gi);
#ifdef HAVE_LIBDEFLATE
	/* a reader that never inflated need not load libdeflate to say so */
	if (r->ld != NULL)
		libdeflate_free_decompressor(r->ld);
	free(r->obuf);
#endif
	free(r->buf);
	free(r);
}

struct gz_check *
gz_check_new(void)
{
	struct gz_check *c = xcalloc(1, sizeof *c);

	gz_inf_init(&c->gi);
	c->scratch = xmalloc(GZ_SCRATCH);
	return c;
}

int
gz_check_feed(struct gz_check *c, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 n;

	do {
		if (gz_inf_run(&c->gi, &p, &len, c->scratch, GZ_SCRATCH,
		    &n) == -1)
			return -1;
	} while (n == GZ_SCRATCH);
	return 0;
}

int
gz_check_end(struct gz_check *c)
{
	const unsigned char	*p = NULL;
	size_t			 len = 0, n;

	/* Output zlib still holds for want of space comes out first. */
	do {
		if (gz_inf_run(&c->gi, &p, &len, c->scratch, GZ_SCRATCH,
		    &n) == -1)
			return -1;
	} while (n == GZ_SCRATCH);
	return gz_inf_finish(&c->gi);
}

const char *
gz_check_error(const struct gz_check *c)
{
	return c->gi.failed ? c->gi.err : "no error";
}

uint64_t
gz_check_out(const struct gz_check *c)
{
	return c->gi.out;
}

void
gz_check_free(struct gz_check *c)
{
	if (c == NULL)
		return;
	gz_inf_end(&c->gi);
	free(c->scratch);
	free(c);
}

int
gz_verify_fd(int fd, uint64_t *size, uint8_t *hash, char *err, size_t errlen)
{
	struct gz_reader	*r = gz_reader_new(fd);
	unsigned char		*buf = xmalloc(GZ_READ_WHOLE);
	hash_ctx		 ctx;
	uint64_t		 total = 0;
	ssize_t			 n;
	int			 rc = 0;

	hash_init(&ctx);
	while ((n = gz_reader_read(r, buf, GZ_READ_WHOLE)) > 0) {
		if (hash != NULL)
			hash_update(&ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (n == -1) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s", gz_reader_error(r));
		rc = -1;
	} else {
		if (size != NULL)
			*size = total;
		if (hash != NULL)
			hash_final(&ctx, hash);
	}
	gz_reader_free(r);
	free(buf);
	return rc;
}
