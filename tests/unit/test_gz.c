/*
 * Unit tests of gz.c, and of gzb.c's output as gz.c reads it: what the
 * block engine produces must be a standard .gz that gzip(1) accepts and
 * restores by name, and the reader must refuse every damaged file (flipped
 * bytes, truncation, trailing garbage) that libarchive's own gzip filter
 * would let through.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "gz.h"
#include "gzb.h"
#include "hash.h"
#include "codec-dl.h"

struct fixture {
	char		 dir[64];
	int		 dirfd;
	struct gzb	*e1;		/* compresses inline */
	struct gzb	*e2;		/* two compressing threads */
};

#define BLOCK		GZ_MEMBER_MAX	/* data in one member of evmaint's */
#define MAX_MEMBERS	16

/* A .gz made of members, and where each starts. */
struct members {
	unsigned char	*gz;
	size_t		 len;
	size_t		 off[MAX_MEMBERS + 1];	/* off[n] == len */
	size_t		 n;
};

/* A source for gz_reader_new_fn: a buffer, in pieces, failing at fail. */
struct src {
	const unsigned char	*p;
	size_t			 len;
	size_t			 off;
	size_t			 calls;
	size_t			 fail;		/* SIZE_MAX: never */
};

static const char	*tool(const char *);
static int		 run(const char *, const char *, const char *,
			    const char *, ...);
static unsigned char	*make_text(size_t, unsigned);
static void		 put_file(int, const char *, const void *, size_t);
static unsigned char	*get_file(int, const char *, size_t *);
static void		 compress_to(struct gzb *, int, const char *,
			    const void *, size_t,
			    int, const char *, time_t);
static size_t		 header_len(const unsigned char *, size_t);
static int		 verify_bytes(struct fixture *, const void *, size_t,
			    char *, size_t, uint64_t *, uint8_t *);
static void		 sha(const void *, size_t, uint8_t *);
static unsigned char	*make_random(size_t, unsigned);
static unsigned char	*gz_member(const void *, size_t, size_t *);
static void		 make_members(struct members *,
			    const unsigned char *, size_t, const char *,
			    uint32_t);
static unsigned char	*cat3(const void *, size_t, const void *, size_t,
			    const void *, size_t);
static ssize_t		 src_read(void *, void *, size_t);
static ssize_t		 read_all(struct gz_reader *, unsigned char *,
			    size_t, size_t *);
static void		 check_read(struct fixture *, const unsigned char *,
			    size_t, const unsigned char *, size_t);
static void		 check_bad(struct fixture *, const unsigned char *,
			    size_t, const char *);

/* The test binary is run from anywhere; gzip is looked up at fixed places. */
static const char *
tool(const char *name)
{
	static char	path[64];
	const char	*dirs[] = { "/usr/bin", "/bin" };
	size_t		i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof path, "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

/*
 * fork/exec with optional cwd, stdin and stdout files; returns the exit
 * status. Arguments end with NULL. No shell is involved.
 */
static int
run(const char *cwd, const char *in, const char *out, const char *prog, ...)
{
	char	*argv[16];
	va_list	 ap;
	int	 argc = 0, status, fd;
	pid_t	 pid;

	argv[argc++] = (char *)prog;
	va_start(ap, prog);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (cwd != NULL && chdir(cwd) == -1)
			_exit(126);
		if (in != NULL) {
			if ((fd = open(in, O_RDONLY)) == -1)
				_exit(126);
			dup2(fd, 0);
		}
		fd = out != NULL ? open(out, O_WRONLY | O_CREAT | O_TRUNC,
		    0600) : open("/dev/null", O_WRONLY);
		if (fd == -1)
			_exit(126);
		dup2(fd, 1);
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 2);
		execv(prog, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Log-like lines with varying numbers, so deflate has real work to do. */
static unsigned char *
make_text(size_t len, unsigned seed)
{
	unsigned char	*buf = malloc(len + 1);
	size_t		 off = 0;
	unsigned	 x = seed * 2654435761u + 1;
	int		 n;

	assert_non_null(buf);
	while (off < len) {
		char line[128];

		x = x * 1103515245u + 12345u;
		n = snprintf(line, sizeof line,
		    "2026-11-%02u %02u:%02u:%02u deploy[%u]: step %u of %u "
		    "%s\n", 1 + x % 28, x >> 8 & 15, x >> 12 & 31,
		    x >> 16 & 63, x >> 20, x % 97, x % 1000,
		    (x & 4) ? "ok" : "retrying after a transient error");
		if ((size_t)n > len - off)
			n = (int)(len - off);
		memcpy(buf + off, line, (size_t)n);
		off += (size_t)n;
	}
	return buf;
}

static void
put_file(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static unsigned char *
get_file(int dirfd, const char *name, size_t *len)
{
	struct stat	 st;
	unsigned char	*buf;
	int		 fd = openat(dirfd, name, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size),
	    (ssize_t)st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* Writes data to a plain file, then compresses it with gzb_copy. */
static void
compress_to(struct gzb *e, int dirfd, const char *gzname, const void *data,
    size_t len, int level, const char *fname, time_t mtime)
{
	struct gz_opts		 o = { level, fname, mtime };
	struct gzb_stream	*w;
	uint64_t		 nread;
	int			 in, out;

	put_file(dirfd, "src.tmp", data, len);
	in = openat(dirfd, "src.tmp", O_RDONLY);
	out = openat(dirfd, gzname, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(in >= 0 && out >= 0);
	w = gzb_open(e, out, &o);
	assert_non_null(w);
	assert_int_equal(gzb_copy(w, in, &nread), 0);
	assert_int_equal(nread, len);
	assert_int_equal(gzb_finish(w), 0);
	assert_int_equal(gzb_in(w), len);
	assert_int_equal(gzb_out(w), lseek(out, 0, SEEK_CUR));
	gzb_stream_free(w);
	close(in);
	close(out);
	unlinkat(dirfd, "src.tmp", 0);
}

/* Length of a gzip header with at most FNAME set, as this writer makes. */
static size_t
header_len(const unsigned char *p, size_t len)
{
	size_t off = 10;

	assert_true(len >= 10);
	if (p[3] & 0x08) {
		while (off < len && p[off] != '\0')
			off++;
		off++;
	}
	return off;
}

static int
verify_bytes(struct fixture *f, const void *buf, size_t len, char *err,
    size_t errlen, uint64_t *size, uint8_t *hash)
{
	int fd, rc;

	put_file(f->dirfd, "v.gz", buf, len);
	fd = openat(f->dirfd, "v.gz", O_RDONLY);
	assert_true(fd >= 0);
	err[0] = '\0';
	rc = gz_verify_fd(fd, size, hash, err, errlen);
	close(fd);
	return rc;
}

static void
sha(const void *buf, size_t len, uint8_t *out)
{
	hash_ctx ctx;

	hash_init(&ctx);
	hash_update(&ctx, buf, len);
	hash_final(&ctx, out);
}

/* Bytes no compressor can shrink: members of it are the longest there are. */
static unsigned char *
make_random(size_t len, unsigned seed)
{
	unsigned char	*buf = malloc(len + 1);
	uint64_t	 x = 0x9e3779b97f4a7c15ULL * (seed + 1);
	size_t		 i;

	assert_non_null(buf);
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
	return buf;
}

/*
 * One gzip member with a plain 10-byte header, made as evmaint's writer
 * makes its blocks: by libdeflate where there is one, else by zlib.
 */
static unsigned char *
gz_member(const void *data, size_t len, size_t *outlen)
{
	unsigned char	*out;
	size_t		 bound;
#ifdef HAVE_LIBDEFLATE
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);

	assert_non_null(c);
	bound = libdeflate_gzip_compress_bound(c, len);
	assert_non_null(out = malloc(bound));
	*outlen = libdeflate_gzip_compress(c, data, len, out, bound);
	assert_true(*outlen > 0);
	libdeflate_free_compressor(c);
#else
	z_stream zs;

	memset(&zs, 0, sizeof zs);
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY), Z_OK);
	bound = deflateBound(&zs, len) + 32;
	assert_non_null(out = malloc(bound));
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)bound;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*outlen = zs.total_out;
	deflateEnd(&zs);
#endif
	return out;
}

/*
 * data as evmaint writes it: members of at most BLOCK bytes, the first with
 * FNAME and MTIME spliced into its header, the others plain.
 */
static void
make_members(struct members *m, const unsigned char *data, size_t len,
    const char *name, uint32_t mtime)
{
	unsigned char	*one;
	size_t		 off = 0, n, olen, nl = strlen(name) + 1, cap;

	memset(m, 0, sizeof *m);
	cap = len + len / 4 + 1024 + nl;
	assert_non_null(m->gz = malloc(cap));
	do {
		n = len - off < BLOCK ? len - off : BLOCK;
		one = gz_member(data + off, n, &olen);
		assert_true(m->n < MAX_MEMBERS);
		assert_true(m->len + olen + nl <= cap);
		m->off[m->n++] = m->len;
		if (off == 0) {
			one[3] |= 0x08;
			one[4] = mtime & 0xff;
			one[5] = mtime >> 8 & 0xff;
			one[6] = mtime >> 16 & 0xff;
			one[7] = mtime >> 24 & 0xff;
			memcpy(m->gz, one, 10);
			memcpy(m->gz + 10, name, nl);
			memcpy(m->gz + 10 + nl, one + 10, olen - 10);
			m->len += olen + nl;
		} else {
			memcpy(m->gz + m->len, one, olen);
			m->len += olen;
		}
		free(one);
		off += n;
	} while (off < len);
	m->off[m->n] = m->len;
}

static unsigned char *
cat3(const void *a, size_t la, const void *b, size_t lb, const void *c,
    size_t lc)
{
	unsigned char *p = malloc(la + lb + lc + 1);

	assert_non_null(p);
	memcpy(p, a, la);
	memcpy(p + la, b, lb);
	memcpy(p + la + lb, c, lc);
	return p;
}

/* Pieces of 1, 7, 4093, ... bytes: short reads as from a pipe. */
static ssize_t
src_read(void *arg, void *buf, size_t len)
{
	static const size_t	 sizes[] = { 1, 7, 4093, 65536, 300001 };
	struct src		*s = arg;
	size_t			 n = sizes[s->calls++ % 5];

	if (s->off >= s->fail) {
		errno = EIO;
		return -1;
	}
	if (n > len)
		n = len;
	if (n > s->len - s->off)
		n = s->len - s->off;
	if (n > s->fail - s->off)
		n = s->fail - s->off;
	memcpy(buf, s->p + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

/*
 * Reads to the end in reads of mixed sizes, a whole block's among them;
 * returns the last gz_reader_read.
 */
static ssize_t
read_all(struct gz_reader *r, unsigned char *out, size_t cap, size_t *got)
{
	static const size_t	 steps[] = { BLOCK, 4096, 1, 65537, 3 * BLOCK };
	size_t			 k = 0, step;
	ssize_t			 n;

	*got = 0;
	for (;;) {
		step = steps[k++ % 5];
		if (step > cap - *got)
			step = cap - *got;
		if ((n = gz_reader_read(r, out + *got, step)) <= 0)
			return n;
		*got += (size_t)n;
	}
}

/*
 * gz bytes must read back as data: gz_verify_fd, a reader on the file (its
 * counts and raw hash) and a reader on a source that gives short pieces.
 */
static void
check_read(struct fixture *f, const unsigned char *gz, size_t gzlen,
    const unsigned char *data, size_t len)
{
	struct gz_reader	*r;
	struct src		 s = { gz, gzlen, 0, 0, SIZE_MAX };
	unsigned char		*back = malloc(len + 3 * BLOCK);
	uint8_t			 want[HASH_LEN], got[HASH_LEN];
	hash_ctx		 ctx;
	uint64_t		 size;
	size_t			 n;
	char			 err[256];
	int			 fd;

	assert_non_null(back);
	sha(data, len, want);
	assert_int_equal(verify_bytes(f, gz, gzlen, err, sizeof err, &size,
	    got), 0);
	assert_int_equal(size, len);
	assert_memory_equal(got, want, HASH_LEN);

	fd = openat(f->dirfd, "v.gz", O_RDONLY);
	assert_true(fd >= 0);
	r = gz_reader_new(fd);
	hash_init(&ctx);
	gz_reader_hash_raw(r, &ctx);
	assert_int_equal(read_all(r, back, len + 3 * BLOCK, &n), 0);
	assert_int_equal(n, len);
	if (len > 0)
		assert_memory_equal(back, data, len);
	assert_int_equal(gz_reader_in(r), gzlen);
	assert_int_equal(gz_reader_out(r), len);
	assert_int_equal(gz_reader_read(r, back, 10), 0);
	hash_final(&ctx, got);
	sha(gz, gzlen, want);
	assert_memory_equal(got, want, HASH_LEN);
	gz_reader_free(r);
	close(fd);

	r = gz_reader_new_fn(src_read, &s);
	assert_int_equal(read_all(r, back, len + 3 * BLOCK, &n), 0);
	assert_int_equal(n, len);
	if (len > 0)
		assert_memory_equal(back, data, len);
	assert_int_equal(gz_reader_in(r), gzlen);
	gz_reader_free(r);
	free(back);
}

/*
 * gz bytes must be refused with want in the message, and in the very words
 * of zlib alone (the checker never takes the fast path).
 */
static void
check_bad(struct fixture *f, const unsigned char *gz, size_t gzlen,
    const char *want)
{
	struct gz_check	*c = gz_check_new();
	char		 err[256];

	assert_int_equal(verify_bytes(f, gz, gzlen, err, sizeof err, NULL,
	    NULL), -1);
	if (strstr(err, want) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", err, want);
	if (gz_check_feed(c, gz, gzlen) == 0)
		assert_int_equal(gz_check_end(c), -1);
	assert_string_equal(err, gz_check_error(c));
	gz_check_free(c);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof f->dir, "/tmp/test_gz.XXXXXX");
	if (mkdtemp(f->dir) == NULL ||
	    (f->dirfd = open(f->dir, O_RDONLY | O_DIRECTORY)) == -1) {
		free(f);
		return -1;
	}
	/* EPIPE, not death, from a pipe whose reader is gone */
	signal(SIGPIPE, SIG_IGN);
	f->e1 = gzb_new(1);
	f->e2 = gzb_new(2);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	const char	*rm = "/bin/rm";

	gzb_free(f->e1);
	gzb_free(f->e2);
	close(f->dirfd);
	if (access(rm, X_OK) == 0)
		run(NULL, NULL, NULL, rm, "-rf", f->dir, NULL);
	free(f);
	return 0;
}

/*
 * Empty, one byte and 3 MiB of text: back through our reader (size and
 * hash) and, when installed, through gzip -t, zcat and gunzip -N.
 */
static void
test_roundtrip(void **state)
{
	struct fixture	*f = *state;
	size_t		 sizes[] = { 0, 1, 3 * 1024 * 1024 }, i, len, outlen;
	const char	*gzip = tool("gzip");
	char		 path[128], out[128], err[256];
	unsigned char	*data, *back;
	uint8_t		 want[HASH_LEN], got[HASH_LEN];
	uint64_t	 size;
	struct stat	 st;
	int		 fd;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		len = sizes[i];
		data = make_text(len, (unsigned)i);
		sha(data, len, want);
		compress_to(f->e2, f->dirfd, "r.gz", data, len, 6,
		    "deploy.log.1", 1764032401);
		fd = openat(f->dirfd, "r.gz", O_RDONLY);
		assert_true(fd >= 0);
		assert_int_equal(gz_verify_fd(fd, &size, got, err, sizeof err),
		    0);
		close(fd);
		assert_int_equal(size, len);
		assert_memory_equal(got, want, HASH_LEN);
		if (gzip == NULL) {
			free(data);
			continue;
		}
		snprintf(path, sizeof path, "%s/r.gz", f->dir);
		snprintf(out, sizeof out, "%s/r.out", f->dir);
		assert_int_equal(run(NULL, NULL, NULL, gzip, "-t", path, NULL),
		    0);
		assert_int_equal(run(NULL, path, out, gzip, "-dc", NULL), 0);
		back = get_file(f->dirfd, "r.out", &outlen);
		assert_int_equal(outlen, len);
		if (len > 0)
			assert_memory_equal(back, data, len);
		free(back);
		/* gunzip -N restores the name and mtime from the header. */
		assert_int_equal(run(f->dir, NULL, NULL, gzip, "-d", "-N",
		    "r.gz", NULL), 0);
		assert_int_equal(fstatat(f->dirfd, "deploy.log.1", &st, 0), 0);
		assert_int_equal(st.st_size, (off_t)len);
		assert_int_equal(st.st_mtime, 1764032401);
		assert_int_equal(unlinkat(f->dirfd, "deploy.log.1", 0), 0);
		free(data);
	}
}

/* The header as gzip(1) writes it: deflate, FNAME, MTIME, Unix. */
static void
test_header(void **state)
{
	struct fixture	*f = *state;
	unsigned char	*gz, *data = make_text(1000, 7);
	size_t		 len;
	uint32_t	 mtime;

	compress_to(f->e1, f->dirfd, "h.gz", data, 1000, 9, "backup.log.2",
	    1764032401);
	gz = get_file(f->dirfd, "h.gz", &len);
	assert_true(len > 30);
	assert_int_equal(gz[0], 0x1f);
	assert_int_equal(gz[1], 0x8b);
	assert_int_equal(gz[2], 8);		/* deflate */
	assert_int_equal(gz[3], 0x08);		/* FNAME only */
	mtime = (uint32_t)gz[4] | (uint32_t)gz[5] << 8 |
	    (uint32_t)gz[6] << 16 | (uint32_t)gz[7] << 24;
	assert_int_equal(mtime, 1764032401);
	assert_int_equal(gz[8], 2);		/* XFL: level 9 */
	assert_int_equal(gz[9], 3);		/* OS: Unix */
	assert_string_equal((char *)gz + 10, "backup.log.2");
	/* ISIZE, little-endian, at the very end. */
	assert_int_equal(gz[len - 4] | gz[len - 3] << 8, 1000);
	free(gz);

	/* No name, no time: FLG 0 and MTIME 0, as gzip -n. */
	compress_to(f->e1, f->dirfd, "h.gz", data, 1000, 6, NULL, 0);
	gz = get_file(f->dirfd, "h.gz", &len);
	assert_int_equal(gz[3], 0);
	assert_int_equal(gz[4] | gz[5] | gz[6] | gz[7], 0);
	assert_int_equal(gz[8], 0);		/* XFL: level 6 */
	free(gz);
	/* Level 1: XFL 4, as gzip -1. */
	compress_to(f->e2, f->dirfd, "h.gz", data, 1000, 1, "x", 5);
	gz = get_file(f->dirfd, "h.gz", &len);
	assert_int_equal(gz[3], 0x08);
	assert_int_equal(gz[8], 4);
	assert_string_equal((char *)gz + 10, "x");
	free(gz);
	free(data);
}

/*
 * What gzb writes, built here straight from the compressors: with
 * libdeflate a member per BLOCK of data, name and mtime in the first
 * header only; with zlib alone one member whose deflate data is each block
 * primed with the 32 KiB of data before it and sync-flushed, then an empty
 * final block, the CRC-32 and ISIZE of it all.
 */
static size_t
ref_header(unsigned char *p, const char *name, uint32_t mtime, int level)
{
	size_t	n = 10;

	p[0] = 0x1f;
	p[1] = 0x8b;
	p[2] = 8;
	p[3] = name != NULL ? 0x08 : 0;
	p[4] = mtime & 0xff;
	p[5] = mtime >> 8 & 0xff;
	p[6] = mtime >> 16 & 0xff;
	p[7] = mtime >> 24 & 0xff;
	p[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	p[9] = 3;
	if (name != NULL) {
		memcpy(p + n, name, strlen(name) + 1);
		n += strlen(name) + 1;
	}
	return n;
}

static void
ref_put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8 & 0xff;
	p[2] = v >> 16 & 0xff;
	p[3] = v >> 24 & 0xff;
}

static unsigned char *
ref_gz(const unsigned char *data, size_t len, int level, const char *name,
    uint32_t mtime, size_t *outlen)
{
	size_t		 cap, off = 0, n, o = 0;
	unsigned char	*out;
#ifdef HAVE_LIBDEFLATE
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
	size_t		 z;

	assert_non_null(c);
#else
	z_stream	 zs;
	size_t		 d;
	bool		 last = false;
#endif

	cap = len + len / 8 + 4096 * (len / BLOCK + 1) + 1024;
	assert_non_null(out = malloc(cap));
	do {
		n = len - off < BLOCK ? len - off : BLOCK;
#ifdef HAVE_LIBDEFLATE
		o += ref_header(out + o, off == 0 ? name : NULL,
		    off == 0 ? mtime : 0, level);
		z = libdeflate_deflate_compress(c, data + off, n, out + o,
		    cap - o - 8);
		assert_true(z > 0);
		if (n <= 256) {
			/* a short block: zlib's coding when it is shorter */
			unsigned char	zb[256 + 64] = { 0 };
			z_stream	zs;

			memset(&zs, 0, sizeof zs);
			assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED,
			    -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
			zs.next_in = (unsigned char *)data + off;
			zs.avail_in = (uInt)n;
			zs.next_out = zb;
			zs.avail_out = sizeof zb;
			assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
			if (zs.total_out < z) {
				z = zs.total_out;
				memcpy(out + o, zb, z);
			}
			deflateEnd(&zs);
		}
		o += z;
		ref_put32(out + o, libdeflate_crc32(0, data + off, n));
		ref_put32(out + o + 4, (uint32_t)n);
		o += 8;
#else
		if (off == 0)
			o += ref_header(out, name, mtime, level);
		memset(&zs, 0, sizeof zs);
		assert_int_equal(deflateInit2(&zs, level, Z_DEFLATED, -15, 8,
		    Z_DEFAULT_STRATEGY), Z_OK);
		d = off < 32768 ? off : 32768;
		if (d > 0)
			assert_int_equal(deflateSetDictionary(&zs,
			    data + off - d, (uInt)d), Z_OK);
		zs.next_in = (unsigned char *)data + off;
		zs.avail_in = (uInt)n;
		zs.next_out = out + o;
		zs.avail_out = (uInt)(cap - o);
		/*
		 * The last block ends the stream, unless it was a full one
		 * (sent before the end was known: an empty final block then
		 * follows).
		 */
		last = off + n == len && (len % BLOCK != 0 || len == 0);
		if (last)
			assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
		else {
			assert_int_equal(deflate(&zs, Z_SYNC_FLUSH), Z_OK);
			/* a sync flush ends on an empty stored block */
			assert_memory_equal(out + o + zs.total_out - 4,
			    "\x00\x00\xff\xff", 4);
		}
		assert_int_equal(zs.avail_in, 0);
		o += zs.total_out;
		deflateEnd(&zs);
#endif
		off += n;
	} while (off < len);
#ifdef HAVE_LIBDEFLATE
	libdeflate_free_compressor(c);
#else
	if (!last) {
		out[o++] = 0x03;	/* the final block, empty */
		out[o++] = 0x00;
	}
	ref_put32(out + o, (uint32_t)crc32(0, data, (uInt)len));
	ref_put32(out + o + 4, (uint32_t)len);
	o += 8;
#endif
	*outlen = o;
	return out;
}

/*
 * The file is, byte for byte, what ref_gz builds from the compressors
 * themselves: within a block and across blocks, whatever the engine's
 * threads, for text and incompressible data, at levels 1, 6 and 9.
 */
static void
test_payload_layout(void **state)
{
	struct fixture	*f = *state;
	size_t		 sizes[] = { 0, 512 * 1024, BLOCK, 2 * BLOCK,
	    2 * BLOCK + 12345 };
	int		 levels[] = { 1, 6, 9 };
	size_t		 i, k, gzlen, reflen;
	unsigned char	*data, *gz, *ref;
	struct gzb	*e;

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		for (k = 0; k < 4; k++) {
			/* k == 3: incompressible, level 1 */
			data = k == 3 ? make_random(sizes[i], 3) :
			    make_text(sizes[i], 3);
			e = k % 2 == 0 ? f->e1 : f->e2;
			compress_to(e, f->dirfd, "z.gz", data, sizes[i],
			    levels[k % 3], "a.log.1", 7);
			gz = get_file(f->dirfd, "z.gz", &gzlen);
			ref = ref_gz(data, sizes[i], levels[k % 3], "a.log.1",
			    7, &reflen);
			assert_int_equal(gzlen, reflen);
			assert_memory_equal(gz, ref, reflen);
			free(ref);
			free(gz);
			free(data);
		}
	}
}

/*
 * A writer appends between two copies (the late writer's tail): the stream
 * continues and holds both parts, as gz_verify_fd's hash says.
 */
static void
test_copy_twice(void **state)
{
	struct fixture		*f = *state;
	struct gz_opts		 o = { 6, "deploy.log.1", 0 };
	struct gzb_stream	*w;
	unsigned char		*a = make_text(300000, 1), *b = make_text(777, 2);
	unsigned char		*all = malloc(300777);
	uint8_t			 want[HASH_LEN], got[HASH_LEN];
	uint64_t		 nread, size;
	char			 err[256];
	int			 in, app, out;

	memcpy(all, a, 300000);
	memcpy(all + 300000, b, 777);
	sha(all, 300777, want);
	put_file(f->dirfd, "live.log", a, 300000);
	in = openat(f->dirfd, "live.log", O_RDONLY);
	out = openat(f->dirfd, "c.gz", O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(in >= 0 && out >= 0);
	w = gzb_open(f->e2, out, &o);
	assert_non_null(w);
	assert_int_equal(gzb_copy(w, in, &nread), 0);
	assert_int_equal(nread, 300000);

	app = openat(f->dirfd, "live.log", O_WRONLY | O_APPEND);
	assert_int_equal(write(app, b, 777), 777);
	close(app);

	assert_int_equal(gzb_copy(w, in, &nread), 0);
	assert_int_equal(nread, 777);
	assert_int_equal(gzb_in(w), 300777);
	assert_int_equal(gzb_finish(w), 0);
	assert_true(gzb_out(w) > 20);
	assert_int_equal(gzb_out(w), lseek(out, 0, SEEK_CUR));
	/* A finished stream takes no more data, nor a second finish. */
	errno = 0;
	assert_int_equal(gzb_feed(w, "x", 1), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(gzb_copy(w, in, &nread), -1);
	assert_int_equal(gzb_finish(w), -1);
	assert_int_equal(gzb_in(w), 300777);
	gzb_stream_free(w);

	assert_int_equal(lseek(out, 0, SEEK_SET), 0);
	assert_int_equal(gz_verify_fd(out, &size, got, err, sizeof err), 0);
	assert_int_equal(size, 300777);
	assert_memory_equal(got, want, HASH_LEN);
	close(in);
	close(out);
	free(a);
	free(b);
	free(all);
}

/*
 * One byte changed anywhere the format protects (magic, method, deflate
 * data, CRC-32, ISIZE) is found. The header's MTIME, XFL, OS and FNAME
 * carry no check in gzip and are left out.
 */
static void
test_flipped_bytes(void **state)
{
	struct fixture	*f = *state;
	size_t		 len = 200 * 1024, gzlen, hl, off[48], n = 0, i;
	unsigned char	*data = make_text(len, 5), *gz, *bad;
	char		 err[256];
	uint64_t	 size;

	compress_to(f->e2, f->dirfd, "f.gz", data, len, 6, "error.log.1", 1);
	gz = get_file(f->dirfd, "f.gz", &gzlen);
	hl = header_len(gz, gzlen);
	off[n++] = 0;
	off[n++] = 1;
	off[n++] = 2;
	for (i = 0; i < 36; i++)
		off[n++] = hl + i * (gzlen - 8 - hl) / 36;
	for (i = 0; i < 8; i++)
		off[n++] = gzlen - 8 + i;
	bad = malloc(gzlen);
	for (i = 0; i < n; i++) {
		memcpy(bad, gz, gzlen);
		bad[off[i]] ^= (unsigned char)(0x01 << (i % 8)) | 0x10;
		assert_int_equal(verify_bytes(f, bad, gzlen, err, sizeof err,
		    &size, NULL), -1);
		assert_true(err[0] != '\0');
	}
	/* and the original passes, so the failures were the flips */
	assert_int_equal(verify_bytes(f, gz, gzlen, err, sizeof err, &size,
	    NULL), 0);
	assert_int_equal(size, len);
	free(bad);
	free(gz);
	free(data);
}

static void
test_truncated(void **state)
{
	struct fixture	*f = *state;
	size_t		 len = 100 * 1024, gzlen, cuts[8], i;
	unsigned char	*data = make_text(len, 9), *gz;
	char		 err[256];

	compress_to(f->e1, f->dirfd, "t.gz", data, len, 6, "deploy.log.1", 1);
	gz = get_file(f->dirfd, "t.gz", &gzlen);
	cuts[0] = 1;
	cuts[1] = 2;
	cuts[2] = 10;
	cuts[3] = header_len(gz, gzlen);
	cuts[4] = gzlen / 2;
	cuts[5] = gzlen - 8;
	cuts[6] = gzlen - 4;
	cuts[7] = gzlen - 1;
	for (i = 0; i < 8; i++) {
		assert_int_equal(verify_bytes(f, gz, cuts[i], err, sizeof err,
		    NULL, NULL), -1);
		assert_non_null(strstr(err, "unexpected end of file"));
	}
	free(gz);
	free(data);
}

static void
test_garbage_and_empty(void **state)
{
	struct fixture	*f = *state;
	unsigned char	*data = make_text(5000, 11), *gz, *bad;
	size_t		 gzlen;
	char		 err[256];

	compress_to(f->e1, f->dirfd, "g.gz", data, 5000, 6, "x.log.1", 1);
	gz = get_file(f->dirfd, "g.gz", &gzlen);
	bad = malloc(gzlen + 16);
	memcpy(bad, gz, gzlen);

	memcpy(bad + gzlen, "garbage", 7);
	assert_int_equal(verify_bytes(f, bad, gzlen + 7, err, sizeof err,
	    NULL, NULL), -1);
	assert_non_null(strstr(err, "trailing garbage"));
	assert_non_null(strstr(err, "offset"));

	/* half a magic is garbage too, and so are zeros */
	bad[gzlen] = 0x1f;
	assert_int_equal(verify_bytes(f, bad, gzlen + 1, err, sizeof err,
	    NULL, NULL), -1);
	assert_non_null(strstr(err, "trailing garbage"));
	memset(bad + gzlen, 0, 16);
	assert_int_equal(verify_bytes(f, bad, gzlen + 16, err, sizeof err,
	    NULL, NULL), -1);
	assert_non_null(strstr(err, "trailing garbage"));

	/* the magic of a second member that never comes */
	bad[gzlen] = 0x1f;
	bad[gzlen + 1] = 0x8b;
	assert_int_equal(verify_bytes(f, bad, gzlen + 2, err, sizeof err,
	    NULL, NULL), -1);
	assert_non_null(strstr(err, "unexpected end of file"));

	assert_int_equal(verify_bytes(f, "", 0, err, sizeof err, NULL, NULL),
	    -1);
	assert_string_equal(err, "not a gzip file: empty");
	assert_int_equal(verify_bytes(f, "hello world\n", 12, err, sizeof err,
	    NULL, NULL), -1);
	assert_string_equal(err, "not in gzip format");
	free(bad);
	free(gz);
	free(data);
}

/* cat a.gz b.gz is a valid .gz of both contents (gzip -d agrees). */
static void
test_multi_member(void **state)
{
	struct fixture	*f = *state;
	unsigned char	*a = make_text(70000, 21), *b = make_text(123, 22);
	unsigned char	*ga, *gb, *cat, *all;
	size_t		 la, lb;
	uint8_t		 want[HASH_LEN], got[HASH_LEN];
	uint64_t	 size;
	char		 err[256], path[128];
	const char	*gzip = tool("gzip");

	compress_to(f->e1, f->dirfd, "a.gz", a, 70000, 1, "a", 1);
	compress_to(f->e2, f->dirfd, "b.gz", b, 123, 9, "b", 2);
	ga = get_file(f->dirfd, "a.gz", &la);
	gb = get_file(f->dirfd, "b.gz", &lb);
	cat = malloc(la + lb);
	memcpy(cat, ga, la);
	memcpy(cat + la, gb, lb);
	all = malloc(70123);
	memcpy(all, a, 70000);
	memcpy(all + 70000, b, 123);
	sha(all, 70123, want);
	assert_int_equal(verify_bytes(f, cat, la + lb, err, sizeof err, &size,
	    got), 0);
	assert_int_equal(size, 70123);
	assert_memory_equal(got, want, HASH_LEN);
	if (gzip != NULL) {
		snprintf(path, sizeof path, "%s/v.gz", f->dir);
		assert_int_equal(run(NULL, NULL, NULL, gzip, "-t", path, NULL),
		    0);
	}
	/* a corrupt second member is still caught */
	cat[la + lb - 6] ^= 0x40;
	assert_int_equal(verify_bytes(f, cat, la + lb, err, sizeof err, NULL,
	    NULL), -1);
	free(a);
	free(b);
	free(ga);
	free(gb);
	free(cat);
	free(all);
}

/* The reader in tiny reads, and its hash of the raw bytes read. */
static void
test_reader_small_reads(void **state)
{
	struct fixture		*f = *state;
	size_t			 len = 40000, gzlen, got = 0;
	unsigned char		*data = make_text(len, 31), *gz, *back;
	struct gz_reader	*r;
	uint8_t			 want[HASH_LEN], raw[HASH_LEN];
	hash_ctx		 ctx;
	ssize_t			 n;
	int			 fd;

	compress_to(f->e1, f->dirfd, "s.gz", data, len, 6, "s", 1);
	gz = get_file(f->dirfd, "s.gz", &gzlen);
	sha(gz, gzlen, want);
	back = malloc(len + 10);
	fd = openat(f->dirfd, "s.gz", O_RDONLY);
	r = gz_reader_new(fd);
	hash_init(&ctx);
	gz_reader_hash_raw(r, &ctx);
	while ((n = gz_reader_read(r, back + got, got % 3 + 1)) > 0)
		got += (size_t)n;
	assert_int_equal(n, 0);
	assert_int_equal(got, len);
	assert_memory_equal(back, data, len);
	assert_int_equal(gz_reader_in(r), gzlen);
	assert_int_equal(gz_reader_out(r), len);
	/* the end is sticky */
	assert_int_equal(gz_reader_read(r, back, 10), 0);
	hash_final(&ctx, raw);
	assert_memory_equal(raw, want, HASH_LEN);
	gz_reader_free(r);
	close(fd);
	free(back);
	free(gz);
	free(data);
}

/* The push checker, fed in pieces of every size, agrees with the reader. */
static void
test_checker(void **state)
{
	struct fixture		*f = *state;
	size_t			 len = 60000, gzlen, off, step, i;
	unsigned char		*data = make_text(len, 41), *gz, *two;
	struct gz_check		*c;
	size_t			 steps[] = { 1, 2, 7, 4096, 1 << 20 };

	compress_to(f->e2, f->dirfd, "k.gz", data, len, 6, "k", 1);
	gz = get_file(f->dirfd, "k.gz", &gzlen);
	two = malloc(2 * gzlen + 1);
	memcpy(two, gz, gzlen);
	memcpy(two + gzlen, gz, gzlen);
	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		step = steps[i];
		c = gz_check_new();
		for (off = 0; off < 2 * gzlen; off += step)
			assert_int_equal(gz_check_feed(c, two + off,
			    off + step > 2 * gzlen ? 2 * gzlen - off : step),
			    0);
		assert_int_equal(gz_check_end(c), 0);
		assert_int_equal(gz_check_out(c), 2 * len);
		gz_check_free(c);
	}

	/* trailing garbage split across pieces */
	two[gzlen] = 0x1f;
	two[gzlen + 1] = 0x00;
	c = gz_check_new();
	assert_int_equal(gz_check_feed(c, two, gzlen + 1), 0);
	assert_int_equal(gz_check_feed(c, two + gzlen + 1, 1), -1);
	assert_non_null(strstr(gz_check_error(c), "trailing garbage"));
	gz_check_free(c);

	/* truncated: fine while fed, caught at the end */
	c = gz_check_new();
	assert_int_equal(gz_check_feed(c, gz, gzlen - 3), 0);
	assert_int_equal(gz_check_end(c), -1);
	assert_non_null(strstr(gz_check_error(c), "unexpected end of file"));
	gz_check_free(c);

	/* corrupt CRC */
	memcpy(two, gz, gzlen);
	two[gzlen - 7] ^= 1;
	c = gz_check_new();
	if (gz_check_feed(c, two, gzlen) == 0)
		assert_int_equal(gz_check_end(c), -1);
	assert_non_null(strstr(gz_check_error(c), "CRC mismatch"));
	gz_check_free(c);

	/* nothing at all is not a .gz */
	c = gz_check_new();
	assert_int_equal(gz_check_end(c), -1);
	assert_string_equal(gz_check_error(c), "not a gzip file: empty");
	gz_check_free(c);
	free(two);
	free(gz);
	free(data);
}

/*
 * evmaint's own .gz: members of at most a block each (none, one, a full
 * block, four with a short last, incompressible ones that fill the read
 * buffer, text then incompressible ones). gzip -t takes them too.
 */
static void
test_members(void **state)
{
	struct fixture		*f = *state;
	size_t			 sizes[] = { 0, 1, BLOCK, 3 * BLOCK + 12345,
				    5 * BLOCK / 2, 9 * BLOCK / 2 };
	size_t			 i, len;
	unsigned char		*data, *rnd;
	struct members		 m;
	const char		*gzip = tool("gzip");
	char			 path[128];
#ifdef HAVE_LIBDEFLATE
	struct gz_reader	*r;
	unsigned char		*back = malloc(BLOCK);
	size_t			 upto, got;
	ssize_t			 n = 0;
	int			 fd;
#endif

	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		len = sizes[i];
		if (i < 4)
			data = make_text(len, 60 + (unsigned)i);
		else if (i == 4)
			data = make_random(len, 1);
		else {
			/*
			 * Blocks of text, then incompressible ones: a member
			 * many times the one before, that starts far into
			 * the buffer, which a read past it brings in whole.
			 */
			data = make_text(len, 65);
			rnd = make_random(len - 3 * BLOCK, 3);
			memcpy(data + 3 * BLOCK, rnd, len - 3 * BLOCK);
			free(rnd);
		}
		make_members(&m, data, len, "deploy.log.1", 1764032401);
		assert_int_equal(m.n, len == 0 ? 1 : (len + BLOCK - 1) / BLOCK);
		check_read(f, m.gz, m.len, data, len);
		if (gzip != NULL) {
			snprintf(path, sizeof path, "%s/v.gz", f->dir);
			assert_int_equal(run(NULL, NULL, NULL, gzip, "-t",
			    path, NULL), 0);
		}
#ifdef HAVE_LIBDEFLATE
		/*
		 * The fast path took every member: one byte out of the last,
		 * and all of it is in (zlib would have taken a few bytes).
		 */
		if (len > 0) {
			fd = openat(f->dirfd, "v.gz", O_RDONLY);
			r = gz_reader_new(fd);
			upto = (m.n - 1) * BLOCK + 1;
			for (got = 0; got < upto; got += (size_t)n) {
				n = gz_reader_read(r, back, upto - got < BLOCK ?
				    upto - got : BLOCK);
				assert_true(n > 0);
			}
			assert_int_equal(back[n - 1], data[upto - 1]);
			assert_int_equal(gz_reader_in(r), m.len);
			assert_int_equal(gz_reader_out(r), upto);
			gz_reader_free(r);
			close(fd);
		}
#endif
		free(m.gz);
		free(data);
	}
#ifdef HAVE_LIBDEFLATE
	free(back);
#endif
}

/*
 * zlib's inflate, counted, so that a test can tell whether the reader fell
 * back to zlib, which gives the same bytes: gz.c's calls reach it through
 * -Wl,--wrap=inflate (Makefile.am) when zlib is linked, through the table
 * of codec-dl.h when it is loaded on first use (count_inflate).
 */
static size_t	inflate_calls;
int		__real_inflate(z_streamp, int);
int		__wrap_inflate(z_streamp, int);

int
__wrap_inflate(z_streamp zs, int flush)
{
	inflate_calls++;
	return __real_inflate(zs, flush);
}

static void
count_inflate(void)
{
#ifdef EVM_DLOPEN
	codec_dl_zlib()->p_inflate = __wrap_inflate;
#endif
}

/*
 * Incompressible members (each a little more than a block once deflated)
 * do not fit the reader's first input buffer: with libdeflate it grows to
 * take them, and zlib is never called; whether the caller reads a whole
 * block at a time or 4 KiB. Without libdeflate the counter must move, and
 * with it for a member bigger than a block (gzip(1)'s), or the test would
 * prove nothing.
 */
static void
test_fast_grow(void **state)
{
	struct fixture		*f = *state;
	size_t			 len = 3 * BLOCK + 12345, sizes[] = {
				    GZ_READ_WHOLE, 4096 }, i, n;
	unsigned char		*data = make_random(len, 11);
	unsigned char		*back = malloc(len + GZ_READ_WHOLE);
	struct members		 m;
	struct gz_reader	*r;
	ssize_t			 got;
	int			 fd;

	assert_non_null(back);
	count_inflate();
	make_members(&m, data, len, "deploy.log.2", 1764032401);
	assert_true(m.off[1] > BLOCK);
	put_file(f->dirfd, "grow.gz", m.gz, m.len);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		fd = openat(f->dirfd, "grow.gz", O_RDONLY);
		assert_true(fd >= 0);
		r = gz_reader_new(fd);
		inflate_calls = 0;
		for (n = 0; (got = gz_reader_read(r, back + n, sizes[i])) > 0;
		    n += (size_t)got)
			assert_true(n + (size_t)got <= len);
		assert_int_equal(got, 0);
		assert_int_equal(n, len);
		assert_memory_equal(back, data, len);
		assert_int_equal(gz_reader_in(r), m.len);
#ifdef HAVE_LIBDEFLATE
		assert_int_equal(inflate_calls, 0);
#else
		assert_true(inflate_calls > 0);
#endif
		gz_reader_free(r);
		close(fd);
	}
	free(m.gz);
#ifdef HAVE_LIBDEFLATE
	/* the counter's own check: one member bigger than a block is zlib's */
	m.gz = gz_member(data, len, &m.len);
	put_file(f->dirfd, "grow.gz", m.gz, m.len);
	fd = openat(f->dirfd, "grow.gz", O_RDONLY);
	assert_true(fd >= 0);
	r = gz_reader_new(fd);
	inflate_calls = 0;
	for (n = 0; (got = gz_reader_read(r, back + n, GZ_READ_WHOLE)) > 0;
	    n += (size_t)got)
		assert_true(n + (size_t)got <= len);
	assert_int_equal(n, len);
	assert_memory_equal(back, data, len);
	assert_true(inflate_calls > 0);
	gz_reader_free(r);
	close(fd);
	free(m.gz);
#endif
	free(back);
	free(data);
}

/*
 * What others write (gzip(1), logrotate): one member of any size, here
 * 3 MiB, and one just over a block; libdeflate hands them to zlib.
 */
static void
test_big_member(void **state)
{
	struct fixture	*f = *state;
	size_t		 len = 3 * BLOCK, gzlen;
	unsigned char	*data = make_text(len, 70), *gz;

	gz = gz_member(data, len, &gzlen);
	check_read(f, gz, gzlen, data, len);
	free(gz);

	gz = gz_member(data, BLOCK + 1, &gzlen);
	check_read(f, gz, gzlen, data, BLOCK + 1);
	free(gz);
	free(data);
}

/*
 * Members, then a big member, then members again (cat of an evmaint .gz,
 * a gzip(1) one and another): zlib goes on from the big one to the end.
 */
static void
test_mixed(void **state)
{
	struct fixture	*f = *state;
	size_t		 la = 5 * BLOCK / 2, lb = 3 * BLOCK, lc = 3 * BLOCK / 2;
	size_t		 gblen;
	unsigned char	*a = make_text(la, 71), *b = make_text(lb, 72);
	unsigned char	*c = make_text(lc, 73), *gb, *gz, *all;
	struct members	 ma, mc;

	make_members(&ma, a, la, "a.log.1", 1);
	gb = gz_member(b, lb, &gblen);
	make_members(&mc, c, lc, "c.log.1", 3);
	gz = cat3(ma.gz, ma.len, gb, gblen, mc.gz, mc.len);
	all = cat3(a, la, b, lb, c, lc);
	check_read(f, gz, ma.len + gblen + mc.len, all, la + lb + lc);
	free(gz);
	free(all);
	free(ma.gz);
	free(mc.gz);
	free(gb);
	free(a);
	free(b);
	free(c);
}

/*
 * Damage in evmaint's members is reported as zlib alone reports it: bad
 * data, CRC-32 or ISIZE of a middle member, truncation in one, garbage
 * after the last or between two.
 */
static void
test_members_corrupt(void **state)
{
	struct fixture	*f = *state;
	size_t		 len = 7 * BLOCK / 2, cuts[4], i;
	unsigned char	*data = make_text(len, 80), *bad;
	struct members	 m;
	char		 want[128];

	make_members(&m, data, len, "deploy.log.1", 1);
	assert_int_equal(m.n, 4);
	bad = malloc(m.len + 64);

	memcpy(bad, m.gz, m.len);
	bad[(m.off[1] + m.off[2]) / 2] ^= 0x55;
	check_bad(f, bad, m.len, "CRC mismatch or corrupt data");

	memcpy(bad, m.gz, m.len);
	bad[m.off[2] - 7] ^= 0x01;
	check_bad(f, bad, m.len, "CRC mismatch or corrupt data: "
	    "incorrect data check");

	memcpy(bad, m.gz, m.len);
	bad[m.off[2] - 3] ^= 0x01;
	check_bad(f, bad, m.len, "CRC mismatch or corrupt data: "
	    "incorrect length check");

	/* the last member's trailer too */
	memcpy(bad, m.gz, m.len);
	bad[m.len - 1] ^= 0x80;
	check_bad(f, bad, m.len, "incorrect length check");

	memcpy(bad, m.gz, m.len);
	cuts[0] = m.off[1] + 2;
	cuts[1] = m.off[1] + 10;
	cuts[2] = (m.off[1] + m.off[2]) / 2;
	cuts[3] = m.off[2] - 1;
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof want,
		    "unexpected end of file after %zu bytes", cuts[i]);
		check_bad(f, bad, cuts[i], want);
	}
	snprintf(want, sizeof want,
	    "unexpected end of file after %zu bytes", m.len + 2);
	bad[m.len] = 0x1f;
	bad[m.len + 1] = 0x8b;
	check_bad(f, bad, m.len + 2, want);

	snprintf(want, sizeof want,
	    "trailing garbage after gzip data at offset %zu", m.len);
	memcpy(bad + m.len, "garbage", 7);
	check_bad(f, bad, m.len + 7, want);
	bad[m.len] = 0x1f;
	check_bad(f, bad, m.len + 1, want);

	snprintf(want, sizeof want,
	    "trailing garbage after gzip data at offset %zu", m.off[2]);
	memcpy(bad, m.gz, m.off[2]);
	memcpy(bad + m.off[2], "garbage", 7);
	memcpy(bad + m.off[2] + 7, m.gz + m.off[2], m.len - m.off[2]);
	check_bad(f, bad, m.len + 7, want);

	/* and the intact file passes, so all of the above were the damage */
	check_read(f, m.gz, m.len, data, len);
	free(bad);
	free(m.gz);
	free(data);
}

/*
 * A header with FHCRC: libdeflate would skip its CRC, so the member goes
 * to zlib, which checks it.
 */
static void
test_header_crc(void **state)
{
	struct fixture	*f = *state;
	size_t		 len = 100000, olen;
	unsigned char	*data = make_text(len, 90), *one, *gz;
	uint32_t	 hcrc;

	one = gz_member(data, len, &olen);
	assert_non_null(gz = malloc(olen + 2));
	memcpy(gz, one, 10);
	gz[3] |= 0x02;
	hcrc = (uint32_t)crc32(0, gz, 10);
	gz[10] = hcrc & 0xff;
	gz[11] = hcrc >> 8 & 0xff;
	memcpy(gz + 12, one + 10, olen - 10);
	check_read(f, gz, olen + 2, data, len);
	gz[11] ^= 0x01;
	check_bad(f, gz, olen + 2, "header crc mismatch");
	free(gz);
	free(one);
	free(data);
}

/* A source that fails half-way: the error names the bytes read so far. */
static void
test_source_error(void **state)
{
	size_t			 len = 5 * BLOCK / 2, n;
	unsigned char		*data = make_random(len, 2), *back;
	struct members		 m;
	struct src		 s;
	struct gz_reader	*r;
	char			 want[128];

	(void)state;
	make_members(&m, data, len, "x", 1);
	back = malloc(len + 3 * BLOCK);
	memset(&s, 0, sizeof s);
	s.p = m.gz;
	s.len = m.len;
	s.fail = m.off[1] + 1000;
	r = gz_reader_new_fn(src_read, &s);
	assert_int_equal(read_all(r, back, len + 3 * BLOCK, &n), -1);
	snprintf(want, sizeof want, "read error after %zu bytes: %s", s.fail,
	    strerror(EIO));
	assert_string_equal(gz_reader_error(r), want);
	/* what came out before was right */
	assert_true(n <= len);
	assert_memory_equal(back, data, n);
	/* and the failure sticks */
	assert_int_equal(gz_reader_read(r, back, 10), -1);
	gz_reader_free(r);
	free(back);
	free(m.gz);
	free(data);
}

/*
 * One stream to fd through e: feeds len bytes of data and finishes, and
 * says how it failed (0 if it did not), errno kept from the first failing
 * call; every call after that fails again with the same errno.
 */
static int
write_fails(struct gzb *e, int fd, const unsigned char *data, size_t len)
{
	struct gz_opts		 o = { 6, "x", 0 };
	struct gzb_stream	*w;
	int			 error = 0;

	assert_non_null(w = gzb_open(e, fd, &o));
	errno = 0;
	if (gzb_feed(w, data, len) == -1 || gzb_finish(w) == -1) {
		error = errno;
		assert_true(error != 0);
		/* the first error sticks */
		errno = 0;
		assert_int_equal(gzb_feed(w, "x", 1), -1);
		assert_int_equal(errno, error);
		errno = 0;
		assert_int_equal(gzb_finish(w), -1);
		assert_int_equal(errno, error);
	}
	gzb_stream_free(w);
	return error;
}

/*
 * ENOSPC, EBADF and EPIPE from the output fd come back as they are, and
 * stay; a read error in gzb_copy comes back too.
 */
static void
test_write_errors(void **state)
{
	struct fixture		*f = *state;
	struct gz_opts		 o = { 6, "x", 0 };
	struct gzb_stream	*w;
	struct gzb		*e;
	unsigned char		*data = make_text(3 * BLOCK, 51);
	int			 fd, p[2], i;

	for (i = 0; i < 2; i++) {
		e = i == 0 ? f->e1 : f->e2;
		fd = open("/dev/full", O_WRONLY);
		if (fd != -1) {
			/* small: everything is written at finish */
			assert_int_equal(write_fails(e, fd, data, 100),
			    ENOSPC);
			/* big: blocks are written while feeding */
			assert_int_equal(write_fails(e, fd, data, 3 * BLOCK),
			    ENOSPC);
			close(fd);
		}

		/* a closed fd */
		assert_true((fd = dup(2)) >= 0);
		close(fd);
		assert_int_equal(write_fails(e, fd, data, 100), EBADF);
		assert_int_equal(write_fails(e, fd, data, 3 * BLOCK), EBADF);

		/*
		 * The fd number taken again by a file that can be written:
		 * the stream that failed on it still fails as it did.
		 */
		assert_non_null(w = gzb_open(e, fd, &o));
		assert_int_equal(gzb_feed(w, data, 1000), 0);
		errno = 0;
		assert_int_equal(gzb_finish(w), -1);
		assert_int_equal(errno, EBADF);
		assert_int_equal(open("/dev/null", O_WRONLY), fd);
		errno = 0;
		assert_int_equal(gzb_feed(w, data, 2 * BLOCK), -1);
		assert_int_equal(errno, EBADF);
		errno = 0;
		assert_int_equal(gzb_finish(w), -1);
		assert_int_equal(errno, EBADF);
		gzb_stream_free(w);
		close(fd);

		/* a pipe whose reader is gone: EPIPE (SIGPIPE is ignored) */
		assert_int_equal(pipe(p), 0);
		close(p[0]);
		assert_int_equal(write_fails(e, p[1], data, 100), EPIPE);
		assert_int_equal(write_fails(e, p[1], data, 3 * BLOCK), EPIPE);
		close(p[1]);

		/* a read error in copy: a directory fd gives EISDIR */
		fd = open("/tmp", O_RDONLY | O_DIRECTORY);
		assert_true(fd >= 0);
		assert_true((p[0] = open("/dev/null", O_WRONLY)) >= 0);
		assert_non_null(w = gzb_open(e, p[0], &o));
		assert_int_equal(gzb_feed(w, data, 1000), 0);
		errno = 0;
		assert_int_equal(gzb_copy(w, fd, NULL), -1);
		assert_int_equal(errno, EISDIR);
		gzb_stream_free(w);
		close(p[0]);
		close(fd);
	}

	/* levels out of 1..9 */
	o.level = 0;
	errno = 0;
	assert_null(gzb_open(f->e1, 1, &o));
	assert_int_equal(errno, EINVAL);
	o.level = 12;
	errno = 0;
	assert_null(gzb_open(f->e2, 1, &o));
	assert_int_equal(errno, EINVAL);
	free(data);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_header),
		cmocka_unit_test(test_payload_layout),
		cmocka_unit_test(test_copy_twice),
		cmocka_unit_test(test_flipped_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage_and_empty),
		cmocka_unit_test(test_multi_member),
		cmocka_unit_test(test_reader_small_reads),
		cmocka_unit_test(test_checker),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_fast_grow),
		cmocka_unit_test(test_big_member),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_members_corrupt),
		cmocka_unit_test(test_header_crc),
		cmocka_unit_test(test_source_error),
		cmocka_unit_test(test_write_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
