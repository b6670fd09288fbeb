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
#define GZB_PROBE	32768		/* see gzb_probe */
#define GZB_TINY	256		/* see gzb_zlib_shorter */
/*
 * zlib's memLevel 9: deflate blocks of 32 Ki symbols, as gzip's. At 8,
 * zlib's default, they are half that, and their code tables cost more on
 * data that repeats itself: 20 MB of one line deflate to 71,301 B against
 * gzip -6's 71,274, at 9 to the same bytes as gzip's. The zlib-only build's
 * parallel blocks keep 8: there 9 is 0.06 % smaller on the bench's logs
 * but 0.3 % larger on lines of random words (6 MB of them, 24 words).
 */
#define GZB_MEMLEVEL	9
#define GZB_MEMLEVEL_PAR 8
/*
 * A block that deflates more than GZB_SEQ_IN to 1 makes the blocks after it
 * go through one deflate stream (see gzb_seq_start), and so does a stream
 * whose first GZB_PROBE bytes deflate more than GZB_SEQ_PROBE to 1 (with no
 * window before them they deflate less than a block: 1.3 times less on the
 * logs below), until a block deflates less than GZB_SEQ_OUT to 1. On 12 MB
 * logs of lines repeated at random, libdeflate-6 in 2 MiB members is 0.2 %
 * under gzip -6 at 27 to 1, 0.06 % over at 36, 2.3 % over at 47 and 2.8 %
 * at a thousand (one line over and over): the members' headers and code
 * tables, which gzip's one stream pays once. One zlib stream is 0.1 % over
 * at 36 (zlib's deflate is gzip's but for small choices), 0.08 % at 47 and
 * none at a thousand; it runs at 80 MB/s and more on one core there.
 */
#define GZB_SEQ_IN	40
#define GZB_SEQ_PROBE	30
#define GZB_SEQ_OUT	20
/*
 * With libdeflate, no sequential stretch below level 4: zlib's levels 1-3
 * (its deflate_fast, no lazy matching) make 1.6 to 3.7 times libdeflate's
 * bytes of such data (8 MiB of zero bytes at level 1: 36,621 B against
 * 9,825), where the level asked means speed, not gzip's size.
 */
#define GZB_SEQ_MINLEVEL 4
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
	int		 zlevel;	/* the level asked: zlib's */
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
	int		  zlevel;	/* the level asked (level may be raised) */
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
	bool		  ended;	/* the deflate stream's final block is out */
	/* sequential: blocks deflated here, one stream (gzb_seq_start) */
	z_stream	 *sz;
	bool		  seq_next;	/* the last block written deflated well */
	bool		  reprobe;	/* a stretch ended: probe the next block */
	uint32_t	  seqcrc;	/* libdeflate: the sequential member's */
	uint64_t	  seqin;
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
	if (deflateInit2(&zs, level, Z_DEFLATED, -15, GZB_MEMLEVEL,
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

#ifdef HAVE_LIBDEFLATE
/*
 * A block that gzip may code shorter than libdeflate: zlib (what gzip is)
 * codes it too, and the shorter of the two is kept.
 * libdeflate stores a very short input as it is (its "passthrough", up to
 * 55 bytes), where gzip codes it a few bytes shorter: a log of one line
 * would come out larger than gzip -6 makes it; and on data that repeats
 * itself at length (GZB_SEQ_IN) its blocks' code tables cost more than
 * gzip's (4 % on 2 MiB of zero bytes). Returns the length of the raw
 * deflate now at out (z, libdeflate's, or zlib's).
 */
static size_t
gzb_zlib_shorter(const struct gzb_blk *b, unsigned char *out, size_t z)
{
	unsigned char	*buf;
	size_t		 zl;

	buf = xmalloc(z);
	/* no room for more than z: zlib's longer output is no output */
	zl = gzb_zlib_raw(b->zlevel, b->in, b->inlen, buf, z);
	if (zl != 0 && zl < z) {
		memcpy(out, buf, zl);
		z = zl;
	}
	free(buf);
	return z;
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
	if (b->inlen <= GZB_TINY || z * GZB_SEQ_IN <= b->inlen)
		z = gzb_zlib_shorter(b, b->out + n, z);
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
		if (deflateInit2(&w->zs, b->level, Z_DEFLATED, -15,
		    GZB_MEMLEVEL_PAR, Z_DEFAULT_STRATEGY) != Z_OK) {
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
	s->zlevel = o->level;
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

/*
 * A look at a stream's first GZB_PROBE bytes, with zlib at level (gzip):
 * *zl is what they deflate to (0: no look). With libdeflate, returns
 * whether it makes more of them than zlib: the contract wants no .gz
 * larger than gzip -6 makes. On script logs libdeflate-6 is the smaller
 * (0.9956 of gzip -6 on the bench's); on text of many distinct words it is
 * not (1.06 on 2.7 MB of lines of random words), and level 7 is back under
 * gzip -6 there (0.996), at 1.3-1.5x level 6's time. A probe of 32 KiB told
 * the two apart on every 2 MiB block of both; it costs about 1 ms a stream.
 */
static bool
gzb_probe(struct gzb *e, int level, const unsigned char *in, size_t *zl)
{
	unsigned char	*out;
	size_t		 cap = 2 * GZB_PROBE + 1024, ld = 0;

	out = xmalloc(cap);
	*zl = gzb_zlib_raw(level, in, GZB_PROBE, out, cap);
#ifdef HAVE_LIBDEFLATE
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
#else
	(void)e;
#endif
	free(out);
	/* raw deflate, as gzip's member holds it; no probe, no change */
	return ld != 0 && *zl != 0 && ld > *zl;
}

/* Writes buf to s's file, unless s already failed. */
static int
gzb_put(struct gzb_stream *s, const void *buf, size_t n)
{
	if (s->error != 0)
		return -1;
	if (n == 0)
		return 0;
	if (fsx_write_all(s->fd, buf, n) == -1) {
		s->error = errno != 0 ? errno : EIO;
		return -1;
	}
	s->out += n;
	gz_writebehind(s->fd, &s->unsynced, n, &s->writebehind);
	return 0;
}

/*
 * Sequential: data that repeats itself at length (a script printing one
 * line over and over, a run of zero bytes) deflates a thousand to one, and
 * there every 2 MiB block's own member (libdeflate) or flush (zlib alone)
 * costs more than the parallel engine saves: gzip's one stream is up to
 * 5 % smaller. Such a stretch is deflated here, by the feeding thread, as
 * one zlib stream with gzip's buffers, so that it comes out as gzip -6
 * would make it; zlib is fast on it. With libdeflate the stretch is a
 * member of its own; with zlib alone it goes on in the one member, primed
 * with the 32 KiB before, and the blocks after it take it up the same way.
 * What s queued before goes out first.
 */
static int
gzb_seq_start(struct gzb_stream *s, const struct gzb_blk *b)
{
	unsigned char	 h[GZB_HDRMAX];
	z_stream	*zs;

	gzb_flush(s, true);
	if (s->error != 0)
		return -1;
	zs = xcalloc(1, sizeof *zs);
	if (deflateInit2(zs, s->zlevel, Z_DEFLATED, -15, GZB_MEMLEVEL,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(zs);
		s->error = ENOMEM;
		return -1;
	}
	s->sz = zs;
	s->seq_next = false;
#ifdef HAVE_LIBDEFLATE
	s->seqcrc = 0;
	s->seqin = 0;
	return gzb_put(s, h, gzb_header(h, b->first ? s->name : NULL,
	    b->first ? s->mtime : 0, s->zlevel));
#else
	if (b->dictlen > 0 && deflateSetDictionary(zs, b->dict,
	    (uInt)b->dictlen) != Z_OK) {
		s->error = EIO;
		return -1;
	}
	return b->first ? gzb_put(s, h, gzb_header(h, s->name, s->mtime,
	    s->zlevel)) : 0;
#endif
}

/* Runs s's sequential deflate with flush, writing what it makes. */
static int
gzb_seq_deflate(struct gzb_stream *s, unsigned char *buf, size_t cap,
    int flush)
{
	z_stream	*zs = s->sz;
	int		 rc;

	for (;;) {
		zs->next_out = buf;
		zs->avail_out = (uInt)cap;
		rc = deflate(zs, flush);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			s->error = EIO;
			return -1;
		}
		if (gzb_put(s, buf, cap - zs->avail_out) == -1)
			return -1;
		if (flush == Z_FINISH ? rc == Z_STREAM_END :
		    zs->avail_out != 0)
			return 0;
	}
}

/*
 * Ends the sequential stretch: with libdeflate its member; with zlib alone
 * the stream itself when final, else a sync flush, after which the
 * parallel blocks go on.
 */
static void
gzb_seq_end(struct gzb_stream *s, bool final)
{
	unsigned char	buf[4096];
#ifdef HAVE_LIBDEFLATE
	unsigned char	t[8];

	(void)final;
	if (gzb_seq_deflate(s, buf, sizeof buf, Z_FINISH) == 0) {
		gzb_put32(t, s->seqcrc);
		gzb_put32(t + 4, (uint32_t)s->seqin);
		(void)gzb_put(s, t, sizeof t);
	}
#else
	if (gzb_seq_deflate(s, buf, sizeof buf, final ? Z_FINISH :
	    Z_SYNC_FLUSH) == 0 && final)
		s->ended = true;
#endif
	deflateEnd(s->sz);
	free(s->sz);
	s->sz = NULL;
	/* the probe that chose the level saw the stretch, not what follows */
	s->reprobe = !final;
}

/*
 * One block of the sequential stretch. A block that deflates less than
 * GZB_SEQ_OUT to one ends it: such data is every core's again. zlib may
 * hold back up to a deflate block of symbols, so that judgement can come
 * a block late.
 */
static void
gzb_seq_block(struct gzb_stream *s, struct gzb_blk *b)
{
	z_stream	*zs = s->sz;
	uLong		 before = zs->total_out;

	zs->next_in = b->in;
	zs->avail_in = (uInt)b->inlen;
	if (gzb_seq_deflate(s, b->out, GZB_OUTCAP, Z_NO_FLUSH) == 0) {
#ifdef HAVE_LIBDEFLATE
		s->seqcrc = libdeflate_crc32(s->seqcrc, b->in, b->inlen);
		s->seqin += b->inlen;
#else
		s->crc = (uint32_t)crc32(s->crc, b->in, (uInt)b->inlen);
#endif
		if (b->last ||
		    (zs->total_out - before) * GZB_SEQ_OUT > b->inlen)
			gzb_seq_end(s, b->last);
	}
	gzb_release(s->e, b);
}

/* Hands the filled block to the compressors (or compresses it here). */
static void
gzb_submit(struct gzb_stream *s)
{
	struct gzb	*e = s->e;
	struct gzb_blk	*b = s->fill;
	bool		 seq = s->seq_next;
	size_t		 zl;

	s->fill = NULL;
	b->first = s->nblocks == 0;
	b->last = s->ending;
	b->name = s->name;
	b->mtime = s->mtime;
	/*
	 * With libdeflate, a stream whose start it compresses worse than
	 * zlib takes the next level for all of it (2-7 only: the header's
	 * XFL stays what gzip writes for the level asked), and so does what
	 * follows a sequential stretch. With either, a stream of more than a
	 * block that starts deflating a lot is sequential from the start.
	 */
#ifdef HAVE_LIBDEFLATE
	if ((b->first || s->reprobe) && b->inlen >= GZB_PROBE) {
#else
	if ((b->first || s->reprobe) && b->inlen >= GZB_PROBE && !b->last) {
#endif
		s->level = s->zlevel;
		if (gzb_probe(e, s->level, b->in, &zl) && s->level >= 2 &&
		    s->level <= 7)
			s->level++;
		seq = !b->last && zl != 0 && zl * GZB_SEQ_PROBE <= GZB_PROBE;
	}
	s->reprobe = false;
#ifdef HAVE_LIBDEFLATE
	if (s->zlevel < GZB_SEQ_MINLEVEL)
		seq = false;
#endif
	b->level = s->level;
	b->zlevel = s->zlevel;
#ifndef HAVE_LIBDEFLATE
	if (s->dict == NULL)
		s->dict = xmalloc(GZB_DICT);
	gzb_dict(s, b);
#endif
	s->nblocks++;
	if (s->sz == NULL && seq && gzb_seq_start(s, b) == -1) {
		gzb_release(e, b);
		return;
	}
	if (s->sz != NULL) {
		gzb_seq_block(s, b);
		return;
	}
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
	if (gzb_put(s, b->out, b->outlen) == -1)
		return;
#ifndef HAVE_LIBDEFLATE
	s->crc = (uint32_t)crc32_combine(s->crc, b->crc, (z_off_t)b->inlen);
#endif
	/* a whole block that deflated a lot: the next are sequential */
	s->seq_next = b->inlen == GZB_BLOCK &&
	    b->outlen * GZB_SEQ_IN <= b->inlen;
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
	if (s->sz != NULL && s->error == 0)
		gzb_seq_end(s, true);
#ifndef HAVE_LIBDEFLATE
	/*
	 * The one member's CRC and length, after a final empty block when
	 * the last block was a full one, written before the end was known.
	 */
	t[0] = 0x03;
	t[1] = 0x00;
	gzb_put32(t + 2, s->crc);
	gzb_put32(t + 6, (uint32_t)s->in);
	if (s->ending || s->ended)
		(void)gzb_put(s, t + 2, 8);
	else
		(void)gzb_put(s, t, sizeof t);
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
	if (s->sz != NULL) {
		deflateEnd(s->sz);
		free(s->sz);
	}
	free(s->q);
	free(s->dict);
	free(s->name);
	free(s);
}
