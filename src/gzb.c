/*
 * The block engine (see gzb.h). Threads that feed streams fill blocks and
 * queue them; the engine's threads compress them; each feeding thread
 * writes its own stream's blocks, in order, as they come back done. The
 * blocks are the engine's, n + 2 of them, so memory stays flat whatever
 * the number and size of the streams: a feeder that finds none free writes
 * out its own finished ones or waits for a compressor to finish one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif
#define ZLIB_CONST
#include <zlib.h>

#include "fsx.h"
#include "gz.h"
#include "gzb.h"
#include "xmalloc.h"

#define CODEC_DL_REDIRECT	/* the libraries' calls, through codec-dl.c */
#include "codec-dl.h"

#define GZB_DICT	32768		/* deflate's window */
#define GZB_HDRMAX	(10 + NAME_MAX + 1)
/* Incompressible data grows by 5 bytes a stored block: far below this. */
#define GZB_OUTCAP	(GZB_HDRMAX + GZB_BLOCK + (GZB_BLOCK >> 4) + 1024)
#define GZB_LEVELS	10		/* 1..9; 0 unused */
#define GZB_PROBE	32768		/* see gzb_probe_loses */
#define GZB_TINY	256		/* see gzb_tiny */
#define GZB_OS_UNIX	3

enum gzb_state {
	GZB_FREE,
	GZB_FILL,	/* a feeder copies data in */
	GZB_QUEUED,
	GZB_WORK,
	GZB_DONE,	/* compressed, not yet written */
};

struct gzb_blk {
	unsigned char	*in;		/* GZB_BLOCK, on first use */
	unsigned char	*out;		/* GZB_OUTCAP, on first use */
	unsigned char	*dict;		/* zlib: the 32 KiB before in */
	size_t		 inlen;
	size_t		 outlen;
	size_t		 dictlen;
	uint32_t	 crc;		/* of in */
	int		 level;
	bool		 first;		/* carries the gzip header's name */
	bool		 last;		/* zlib: ends the deflate stream */
	const char	*name;
	time_t		 mtime;
	int		 error;
	enum gzb_state	 state;
	struct gzb_blk	*next;		/* in the queue or the free list */
};

/* What one compressing thread keeps from block to block. */
struct gzb_worker {
#ifdef HAVE_LIBDEFLATE
	struct libdeflate_compressor *c[GZB_LEVELS];
#else
	z_stream	 zs;
	bool		 zinit;
	int		 level;
#endif
};

struct gzb_thr {
	struct gzb	*e;
	int		 id;
};

struct gzb {
	pthread_mutex_t	 mu;
	pthread_cond_t	 work;		/* a block queued, or stop */
	pthread_cond_t	 done;		/* a block done, or one freed */
	struct gzb_blk	*blks;
	size_t		 nblk;
	struct gzb_blk	*free;
	struct gzb_blk	*qhead;
	struct gzb_blk	*qtail;
	pthread_t	*t;
	struct gzb_thr	*thr;
	int		 nt;		/* threads started; 0: inline */
	struct gzb_worker *w;		/* one a thread; w[0] also inline */
	pthread_mutex_t	 inline_mu;	/* for the inline worker */
	bool		 stop;
#ifdef HAVE_LIBDEFLATE
	pthread_mutex_t	 probe_mu;	/* the feeders' probe compressor */
	struct libdeflate_compressor *probe_c;
	int		 probe_level;
#endif
};

struct gzb_stream {
	struct gzb	 *e;
	int		  fd;
	int		  level;
	char		 *name;
	time_t		  mtime;
	struct gzb_blk	 *fill;
	struct gzb_blk	**q;		/* submitted, oldest first: a ring */
	size_t		  qhead;
	size_t		  qlen;
	unsigned char	 *dict;		/* zlib: the last 32 KiB submitted */
	size_t		  dictlen;
	uint64_t	  in;
	uint64_t	  out;
	uint64_t	  nblocks;
	uint32_t	  crc;		/* zlib: of everything written */
	uint64_t	  unsynced;
	bool		  writebehind;
	int		  error;	/* sticky */
	bool		  finished;
	bool		  ending;	/* gzb_finish submits the last block */
};

static void	*gzb_thread(void *);
static void	 gzb_compress(struct gzb_worker *, struct gzb_blk *);
static int	 gzb_take(struct gzb_stream *);
static void	 gzb_submit(struct gzb_stream *);
static void	 gzb_flush(struct gzb_stream *, bool);
static void	 gzb_release(struct gzb *, struct gzb_blk *);

const char *
gzb_engine(void)
{
#ifdef HAVE_LIBDEFLATE
	return "libdeflate";
#else
	return "zlib";
#endif
}

static void
gzb_put32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* A gzip member header, as gzip and zlib write it. Returns its length. */
static size_t
gzb_header(unsigned char *p, const char *name, time_t mtime, int level)
{
	size_t	n = 10, len;

	p[0] = 0x1f;
	p[1] = 0x8b;
	p[2] = 8;			/* deflate */
	p[3] = name != NULL ? 0x08 : 0;	/* FNAME */
	/* gzip stores 0, "no time", for what does not fit 32 bits. */
	gzb_put32(p + 4, mtime > 0 && (uintmax_t)mtime <= UINT32_MAX ?
	    (uint32_t)mtime : 0);
	p[8] = level == 9 ? 2 : level == 1 ? 4 : 0;
	p[9] = GZB_OS_UNIX;
	if (name != NULL) {
		len = strnlen(name, NAME_MAX);
		memcpy(p + n, name, len);
		n += len;
		p[n++] = '\0';
	}
	return n;
}

struct gzb *
gzb_new(int nthreads)
{
	struct gzb	*e = xcalloc(1, sizeof *e);
	size_t		 i;
	int		 n = nthreads > 1 ? nthreads : 0;

	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->inline_mu, NULL);
#ifdef HAVE_LIBDEFLATE
	pthread_mutex_init(&e->probe_mu, NULL);
#endif
	pthread_cond_init(&e->work, NULL);
	pthread_cond_init(&e->done, NULL);
	/*
	 * One block filling per feeding thread, one in each compressor, one
	 * more done or queued: n + 2 keep every core busy.
	 */
	e->nblk = (size_t)(nthreads > 1 ? nthreads : 1) + 2;
	e->blks = xcalloc(e->nblk, sizeof *e->blks);
	for (i = 0; i < e->nblk; i++) {
		e->blks[i].next = e->free;
		e->free = &e->blks[i];
	}
	e->w = xcalloc((size_t)n + 1, sizeof *e->w);
	e->t = xcalloc((size_t)n + 1, sizeof *e->t);
	e->thr = xcalloc((size_t)n + 1, sizeof *e->thr);
	/* A thread that cannot be started only means fewer of them. */
	for (e->nt = 0; e->nt < n; e->nt++) {
		e->thr[e->nt].e = e;
		e->thr[e->nt].id = e->nt;
		if (pthread_create(&e->t[e->nt], NULL, gzb_thread,
		    &e->thr[e->nt]) != 0)
			break;
	}
	return e;
}

static void
gzb_worker_free(struct gzb_worker *w)
{
#ifdef HAVE_LIBDEFLATE
	int	 i;

	/* a level never used need not load libdeflate to say so */
	for (i = 0; i < GZB_LEVELS; i++)
		if (w->c[i] != NULL)
			libdeflate_free_compressor(w->c[i]);
#else
	if (w->zinit)
		deflateEnd(&w->zs);
#endif
}

void
gzb_free(struct gzb *e)
{
	size_t	i;
	int	k;

	if (e == NULL)
		return;
	pthread_mutex_lock(&e->mu);
	e->stop = true;
	pthread_cond_broadcast(&e->work);
	pthread_mutex_unlock(&e->mu);
	for (k = 0; k < e->nt; k++)
		pthread_join(e->t[k], NULL);
	for (k = 0; k <= e->nt; k++)
		gzb_worker_free(&e->w[k]);
	for (i = 0; i < e->nblk; i++) {
		free(e->blks[i].in);
		free(e->blks[i].out);
		free(e->blks[i].dict);
	}
	pthread_cond_destroy(&e->work);
	pthread_cond_destroy(&e->done);
	pthread_mutex_destroy(&e->inline_mu);
#ifdef HAVE_LIBDEFLATE
	if (e->probe_c != NULL)
		libdeflate_free_compressor(e->probe_c);
	pthread_mutex_destroy(&e->probe_mu);
#endif
	pthread_mutex_destroy(&e->mu);
	free(e->blks);
	free(e->w);
	free(e->t);
	free(e->thr);
	free(e);
}

static void *
gzb_thread(void *arg)
{
	struct gzb_thr	*t = arg;
	struct gzb	*e = t->e;
	struct gzb_blk	*b;

	pthread_mutex_lock(&e->mu);
	for (;;) {
		while (e->qhead == NULL && !e->stop)
			pthread_cond_wait(&e->work, &e->mu);
		if ((b = e->qhead) == NULL)
			break;		/* stopped, nothing left */
		if ((e->qhead = b->next) == NULL)
			e->qtail = NULL;
		b->state = GZB_WORK;
		pthread_mutex_unlock(&e->mu);
		gzb_compress(&e->w[t->id], b);
		pthread_mutex_lock(&e->mu);
		b->state = GZB_DONE;
		pthread_cond_broadcast(&e->done);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

#ifdef HAVE_LIBDEFLATE
/* A whole gzip member: header, raw deflate, CRC-32 and length. */
/*
 * in as one raw deflate stream by zlib at level, what gzip writes in a
 * member; 0 when it does not fit in cap (or zlib fails).
 */
static size_t
gzb_zlib_raw(int level, const unsigned char *in, size_t inlen,
    unsigned char *out, size_t cap)
{
	z_stream	zs;
	size_t		zl = 0;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, level, Z_DEFLATED, -15, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) == Z_STREAM_END)
		zl = zs.total_out;
	deflateEnd(&zs);
	return zl;
}

/*
 * libdeflate stores a very short input as it is (its "passthrough", up to
 * 55 bytes), where gzip codes it a few bytes shorter: a log of one line
 * would come out larger than gzip -6 makes it. For such a block zlib (what
 * gzip is) codes it too, and the shorter of the two is kept. Returns the
 * length of the raw deflate now at out (z, libdeflate's, or zlib's).
 */
static size_t
gzb_tiny(const struct gzb_blk *b, unsigned char *out, size_t z)
{
	unsigned char	buf[GZB_TINY + 64];
	size_t		zl;

	zl = gzb_zlib_raw(b->level, b->in, b->inlen, buf, sizeof buf);
	if (zl == 0 || zl >= z)
		return z;
	memcpy(out, buf, zl);
	return zl;
}

static void
gzb_compress(struct gzb_worker *w, struct gzb_blk *b)
{
	struct libdeflate_compressor	*c = w->c[b->level];
	size_t				 n, z;

	if (c == NULL && (c = w->c[b->level] =
	    libdeflate_alloc_compressor(b->level)) == NULL) {
		b->error = ENOMEM;
		return;
	}
	n = gzb_header(b->out, b->first ? b->name : NULL,
	    b->first ? b->mtime : 0, b->level);
	z = libdeflate_deflate_compress(c, b->in, b->inlen, b->out + n,
	    GZB_OUTCAP - n - 8);
	if (z == 0) {
		b->error = EIO;
		return;
	}
	if (b->inlen <= GZB_TINY)
		z = gzb_tiny(b, b->out + n, z);
	n += z;
	gzb_put32(b->out + n, libdeflate_crc32(0, b->in, b->inlen));
	gzb_put32(b->out + n + 4, (uint32_t)b->inlen);
	b->outlen = n + 8;
	b->error = 0;
}
#else
/*
 * Raw deflate of the block, primed with the 32 KiB before it and ended by
 * a sync flush (byte-aligned, not final): the blocks of a stream, written
 * one after the other, are one deflate stream.
 */
static void
gzb_compress(struct gzb_worker *w, struct gzb_blk *b)
{
	size_t	n = 0;
	int	rc;

	if (!w->zinit) {
		if (deflateInit2(&w->zs, b->level, Z_DEFLATED, -15, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK) {
			b->error = EINVAL;
			return;
		}
		w->zinit = true;
		w->level = b->level;
	} else if (deflateReset(&w->zs) != Z_OK) {
		b->error = EIO;
		return;
	}
	if (b->first)
		n = gzb_header(b->out, b->name, b->mtime, b->level);
	w->zs.next_out = b->out + n;
	w->zs.avail_out = (uInt)(GZB_OUTCAP - n);
	if (w->level != b->level) {
		/* nothing is pending after a reset: this only sets tables */
		if (deflateParams(&w->zs, b->level, Z_DEFAULT_STRATEGY) !=
		    Z_OK) {
			b->error = EIO;
			return;
		}
		w->level = b->level;
	}
	if (b->dictlen > 0 && deflateSetDictionary(&w->zs, b->dict,
	    (uInt)b->dictlen) != Z_OK) {
		b->error = EIO;
		return;
	}
	w->zs.next_in = b->in;
	w->zs.avail_in = (uInt)b->inlen;
	/*
	 * The last block ends the stream itself, as gzip's does: a sync
	 * flush and an empty final block after it would cost 7 bytes, which
	 * make a log of one line larger than gzip -6 makes it.
	 */
	rc = deflate(&w->zs, b->last ? Z_FINISH : Z_SYNC_FLUSH);
	if (rc != (b->last ? Z_STREAM_END : Z_OK) || w->zs.avail_in != 0 ||
	    w->zs.avail_out == 0) {
		b->error = EIO;
		return;
	}
	b->outlen = GZB_OUTCAP - w->zs.avail_out;
	b->crc = (uint32_t)crc32(0, b->in, (uInt)b->inlen);
	b->error = 0;
}
#endif

struct gzb_stream *
gzb_open(struct gzb *e, int fd, const struct gz_opts *o)
{
	struct gzb_stream *s;

	if (o->level < 1 || o->level > 9) {
		errno = EINVAL;
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->e = e;
	s->fd = fd;
	s->level = o->level;
	s->name = o->name != NULL ? xstrdup(o->name) : NULL;
	s->mtime = o->mtime;
	s->q = xcalloc(e->nblk, sizeof *s->q);
	s->writebehind = true;
	return s;
}

static int
gzb_fail(struct gzb_stream *s)
{
	errno = s->error != 0 ? s->error : EINVAL;
	return -1;
}

/*
 * A free block for s to fill. None free: s's own oldest block, if done, is
 * written out (which frees it), else a compressor's next one is awaited.
 */
static int
gzb_take(struct gzb_stream *s)
{
	struct gzb	*e = s->e;
	struct gzb_blk	*b;

	pthread_mutex_lock(&e->mu);
	while ((b = e->free) == NULL) {
		if (s->qlen > 0 && s->q[s->qhead]->state == GZB_DONE) {
			pthread_mutex_unlock(&e->mu);
			gzb_flush(s, false);
			pthread_mutex_lock(&e->mu);
			continue;
		}
		pthread_cond_wait(&e->done, &e->mu);
	}
	e->free = b->next;
	b->next = NULL;
	b->state = GZB_FILL;
	pthread_mutex_unlock(&e->mu);
	if (b->in == NULL)
		b->in = xmalloc(GZB_BLOCK);
	if (b->out == NULL)
		b->out = xmalloc(GZB_OUTCAP);
	b->inlen = 0;
	s->fill = b;
	return 0;
}

static void
gzb_release(struct gzb *e, struct gzb_blk *b)
{
	pthread_mutex_lock(&e->mu);
	b->state = GZB_FREE;
	b->next = e->free;
	e->free = b;
	pthread_cond_broadcast(&e->done);
	pthread_mutex_unlock(&e->mu);
}

#ifndef HAVE_LIBDEFLATE
/* The next block's dictionary: the 32 KiB this one ends with. */
static void
gzb_dict(struct gzb_stream *s, struct gzb_blk *b)
{
	size_t	n = b->inlen < GZB_DICT ? b->inlen : GZB_DICT;

	if (b->dict == NULL)
		b->dict = xmalloc(GZB_DICT);
	memcpy(b->dict, s->dict, s->dictlen);
	b->dictlen = s->dictlen;
	if (n == 0)
		return;
	if (n < GZB_DICT && s->dictlen + n > GZB_DICT) {
		memmove(s->dict, s->dict + s->dictlen + n - GZB_DICT,
		    GZB_DICT - n);
		s->dictlen = GZB_DICT - n;
	} else if (n == GZB_DICT)
		s->dictlen = 0;
	memcpy(s->dict + s->dictlen, b->in + b->inlen - n, n);
	s->dictlen += n;
}
#endif

#ifdef HAVE_LIBDEFLATE
/*
 * Whether libdeflate at level makes more of in's first GZB_PROBE bytes than
 * zlib at the same level, which is gzip's: the contract wants no .gz
 * larger than gzip -6 makes. On script logs libdeflate-6 is the smaller
 * (0.9956 of gzip -6 on the bench's); on text of many distinct words it is
 * not (1.06 on 2.7 MB of lines of random words), and level 7 is back under
 * gzip -6 there (0.996), at 1.3-1.5x level 6's time. A probe of 32 KiB told
 * the two apart on every 2 MiB block of both; it costs about 1 ms a stream.
 */
static bool
gzb_probe_loses(struct gzb *e, int level, const unsigned char *in)
{
	unsigned char	*out;
	size_t		 cap = 2 * GZB_PROBE + 1024, ld = 0, zl = 0;

	out = xmalloc(cap);
	pthread_mutex_lock(&e->probe_mu);
	if (e->probe_c != NULL && e->probe_level != level) {
		libdeflate_free_compressor(e->probe_c);
		e->probe_c = NULL;
	}
	if (e->probe_c == NULL) {
		e->probe_c = libdeflate_alloc_compressor(level);
		e->probe_level = level;
	}
	if (e->probe_c != NULL)
		ld = libdeflate_deflate_compress(e->probe_c, in, GZB_PROBE,
		    out, cap);
	pthread_mutex_unlock(&e->probe_mu);
	/* raw deflate, as gzip's member holds it; no probe, no change */
	if (ld != 0)
		zl = gzb_zlib_raw(level, in, GZB_PROBE, out, cap);
	free(out);
	return zl != 0 && ld > zl;
}
#endif

/* Hands the filled block to the compressors (or compresses it here). */
static void
gzb_submit(struct gzb_stream *s)
{
	struct gzb	*e = s->e;
	struct gzb_blk	*b = s->fill;

	s->fill = NULL;
	b->first = s->nblocks == 0;
	b->last = s->ending;
	b->name = s->name;
	b->mtime = s->mtime;
#ifdef HAVE_LIBDEFLATE
	/*
	 * A stream whose start libdeflate compresses worse than zlib takes
	 * the next level for all of it (2-7 only: the header's XFL stays
	 * what gzip writes for the level asked).
	 */
	if (b->first && b->inlen >= GZB_PROBE && s->level >= 2 &&
	    s->level <= 7 && gzb_probe_loses(e, s->level, b->in))
		s->level++;
#endif
	b->level = s->level;
#ifndef HAVE_LIBDEFLATE
	if (s->dict == NULL)
		s->dict = xmalloc(GZB_DICT);
	gzb_dict(s, b);
#endif
	s->nblocks++;
	s->q[(s->qhead + s->qlen) % e->nblk] = b;
	s->qlen++;
	if (e->nt == 0) {
		pthread_mutex_lock(&e->inline_mu);
		gzb_compress(&e->w[0], b);
		pthread_mutex_unlock(&e->inline_mu);
		pthread_mutex_lock(&e->mu);
		b->state = GZB_DONE;
		pthread_mutex_unlock(&e->mu);
	} else {
		pthread_mutex_lock(&e->mu);
		b->state = GZB_QUEUED;
		if (e->qtail != NULL)
			e->qtail->next = b;
		else
			e->qhead = b;
		e->qtail = b;
		pthread_cond_signal(&e->work);
		pthread_mutex_unlock(&e->mu);
	}
	gzb_flush(s, false);
}

/* Writes one done block out (unless the stream already failed). */
static void
gzb_write(struct gzb_stream *s, struct gzb_blk *b)
{
	if (s->error != 0)
		return;
	if (b->error != 0) {
		s->error = b->error;
		return;
	}
	if (fsx_write_all(s->fd, b->out, b->outlen) == -1) {
		s->error = errno != 0 ? errno : EIO;
		return;
	}
	s->out += b->outlen;
#ifndef HAVE_LIBDEFLATE
	s->crc = (uint32_t)crc32_combine(s->crc, b->crc, (z_off_t)b->inlen);
#endif
	gz_writebehind(s->fd, &s->unsynced, b->outlen, &s->writebehind);
}

/*
 * Writes out, in order, the oldest of s's blocks that are done; with wait,
 * all of them, waiting for each.
 */
static void
gzb_flush(struct gzb_stream *s, bool wait)
{
	struct gzb	*e = s->e;
	struct gzb_blk	*b;
	bool		 done;

	while (s->qlen > 0) {
		b = s->q[s->qhead];
		pthread_mutex_lock(&e->mu);
		while (wait && b->state != GZB_DONE)
			pthread_cond_wait(&e->done, &e->mu);
		done = b->state == GZB_DONE;
		pthread_mutex_unlock(&e->mu);
		if (!done)
			return;
		gzb_write(s, b);
		s->qhead = (s->qhead + 1) % e->nblk;
		s->qlen--;
		gzb_release(e, b);
	}
}

int
gzb_feed(struct gzb_stream *s, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	size_t			 n;

	if (s->error != 0 || s->finished)
		return gzb_fail(s);
	while (len > 0) {
		if (s->fill == NULL && gzb_take(s) == -1)
			return -1;
		n = GZB_BLOCK - s->fill->inlen;
		if (n > len)
			n = len;
		memcpy(s->fill->in + s->fill->inlen, p, n);
		s->fill->inlen += n;
		s->in += n;
		p += n;
		len -= n;
		if (s->fill->inlen == GZB_BLOCK)
			gzb_submit(s);
		if (s->error != 0)
			return gzb_fail(s);
	}
	return 0;
}

/*
 * Compresses in_fd from its offset to EOF, read straight into the blocks.
 * The stream stays open: a caller that finds a writer appended a tail
 * meanwhile calls this again, and the tail continues the same block.
 */
int
gzb_copy(struct gzb_stream *s, int in_fd, uint64_t *nread)
{
	ssize_t	n;

	if (nread != NULL)
		*nread = 0;
	(void)posix_fadvise(in_fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (;;) {
		if (s->error != 0 || s->finished)
			return gzb_fail(s);
		if (s->fill == NULL && gzb_take(s) == -1)
			return -1;
		n = fsx_read(in_fd, s->fill->in + s->fill->inlen,
		    GZB_BLOCK - s->fill->inlen);
		if (n == -1)
			return -1;
		if (n == 0)
			return 0;
		s->fill->inlen += (size_t)n;
		s->in += (uint64_t)n;
		if (nread != NULL)
			*nread += (uint64_t)n;
		if (s->fill->inlen == GZB_BLOCK)
			gzb_submit(s);
	}
}

int
gzb_finish(struct gzb_stream *s)
{
#ifndef HAVE_LIBDEFLATE
	unsigned char	 t[10];
#endif

	if (s->error != 0 || s->finished)
		return gzb_fail(s);
	/* An empty stream is still one member: header and trailer. */
	if (s->fill == NULL && s->nblocks == 0 && gzb_take(s) == -1)
		return -1;
	if (s->fill != NULL && (s->fill->inlen > 0 || s->nblocks == 0)) {
		s->ending = true;
		gzb_submit(s);
	} else if (s->fill != NULL) {
		gzb_release(s->e, s->fill);
		s->fill = NULL;
	}
	gzb_flush(s, true);
#ifndef HAVE_LIBDEFLATE
	/*
	 * The one member's CRC and length, after a final empty block when
	 * the last block was a full one, written before the end was known.
	 */
	t[0] = 0x03;
	t[1] = 0x00;
	gzb_put32(t + 2, s->crc);
	gzb_put32(t + 6, (uint32_t)s->in);
	if (s->error == 0 && fsx_write_all(s->fd, s->ending ? t + 2 : t,
	    s->ending ? 8 : sizeof t) == -1)
		s->error = errno != 0 ? errno : EIO;
	if (s->error == 0)
		s->out += s->ending ? 8 : sizeof t;
#endif
	if (s->error != 0)
		return gzb_fail(s);
	s->finished = true;
	return 0;
}

uint64_t
gzb_in(const struct gzb_stream *s)
{
	return s->in;
}

uint64_t
gzb_out(const struct gzb_stream *s)
{
	return s->out;
}

void
gzb_stream_free(struct gzb_stream *s)
{
	if (s == NULL)
		return;
	if (s->fill != NULL)
		gzb_release(s->e, s->fill);
	/* The compressors may still hold its blocks: dropped once done. */
	if (s->error == 0)
		s->error = ECANCELED;
	gzb_flush(s, true);
	free(s->q);
	free(s->dict);
	free(s->name);
	free(s);
}
