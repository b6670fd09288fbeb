/*
 * The block engine: gzip output of any number of streams, each cut into
 * GZB_BLOCK pieces compressed on every core, and written in order by the
 * thread that feeds the stream. With libdeflate each block is a gzip member
 * of its own (the first carries the name and mtime, as bgzip does); with
 * zlib alone the blocks, each primed with the 32 KiB before it, make one
 * member (pigz's way). Either is a standard .gz: gzip -t and zcat read it.
 * A stretch that repeats itself at length (deflating more than 40 to 1) is
 * deflated in sequence, as gzip would, by the feeding thread: members per
 * block would make it up to 5 % larger than gzip -6 makes it.
 */
#ifndef GZB_H
#define GZB_H

#include <stdint.h>

#include "gz.h"

/*
 * 2 MiB: libdeflate-6 output of script logs in members of 1 MiB is 0.2 %
 * larger than gzip -6's, in 2 MiB 0.3 % smaller (bench/blocks.sh).
 */
#define GZB_BLOCK	GZ_MEMBER_MAX

struct gzb;
struct gzb_stream;

/*
 * An engine with nthreads compressing threads. With one, or when no
 * thread can be started, each block is compressed by the thread that fills
 * it, before the next one is read: one thread, one order of system calls.
 * Any number of threads may feed streams of one engine at once; a stream
 * is fed by one thread at a time, and a thread feeds one unfinished stream
 * at a time: a stream keeps the block it fills until it is finished or
 * freed, and the engine holds n + 2 blocks.
 */
struct gzb		*gzb_new(int);
void			 gzb_free(struct gzb *);
const char		*gzb_engine(void);	/* "libdeflate" or "zlib" */

/*
 * A stream to out_fd, as gz.h's writer: gzb_finish returns once every byte
 * is written. All functions return 0 or -1 with errno set (EIO: the
 * compressor failed; the first write error is kept). gzb_stream_free
 * abandons an unfinished stream (its blocks are dropped).
 */
struct gzb_stream	*gzb_open(struct gzb *, int, const struct gz_opts *);
int			 gzb_feed(struct gzb_stream *, const void *, size_t);
int			 gzb_copy(struct gzb_stream *, int, uint64_t *);
int			 gzb_finish(struct gzb_stream *);
uint64_t		 gzb_in(const struct gzb_stream *);
uint64_t		 gzb_out(const struct gzb_stream *);
void			 gzb_stream_free(struct gzb_stream *);

#endif
