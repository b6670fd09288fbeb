/*
 * gzip, streaming, in-process: a reader that checks what libarchive does
 * not (every member's CRC-32 and length, and that nothing follows the last
 * member), the same checks on bytes pushed in pieces, and what writers
 * share. The writer is gzb.h's block engine.
 */
#ifndef GZ_H
#define GZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "hash.h"

#define GZ_BUFSIZE	(256 * 1024)
/*
 * The most data in one gzip member evmaint writes on every core (see
 * gzb.h); a stretch of a log that repeats itself is one of any length.
 */
#define GZ_MEMBER_MAX	(2 << 20)
/*
 * The read size for a caller that only checks: with libdeflate a member
 * inflates straight into a buffer this big, where a smaller one costs the
 * reader a second buffer of GZ_MEMBER_MAX and a copy.
 */
#ifdef HAVE_LIBDEFLATE
#define GZ_READ_WHOLE	GZ_MEMBER_MAX
#else
#define GZ_READ_WHOLE	GZ_BUFSIZE
#endif

struct gz_reader;
struct gz_check;

/* A stream's gzip header and level: see gzb_open. */
struct gz_opts {
	int		 level;		/* 1..9 */
	const char	*name;		/* FNAME in the header, or NULL */
	time_t		 mtime;		/* MTIME in the header */
};

/*
 * Write-behind for any sequential writer: counts len more bytes written to
 * fd and, every few megabytes, starts their writeback without waiting, so
 * that a later fsync is short. *on is cleared where the fd cannot do it.
 */
void		  gz_writebehind(int, uint64_t *, size_t, bool *);

/*
 * Reader: decompresses a gzip stream read from fd (all members, as gzip -d
 * does). gz_reader_read returns the number of bytes, 0 at the verified end,
 * -1 on a read error or corruption, with gz_reader_error saying what.
 */
struct gz_reader *gz_reader_new(int);
/* The same over another source: fn returns bytes, 0 at the end, or -1. */
typedef ssize_t	  gz_source_fn(void *, void *, size_t);
struct gz_reader *gz_reader_new_fn(gz_source_fn *, void *);
ssize_t		  gz_reader_read(struct gz_reader *, void *, size_t);
const char	 *gz_reader_error(const struct gz_reader *);
uint64_t	  gz_reader_in(const struct gz_reader *);
uint64_t	  gz_reader_out(const struct gz_reader *);
void		  gz_reader_hash_raw(struct gz_reader *, hash_ctx *);
void		  gz_reader_free(struct gz_reader *);

/*
 * Checker: the reader's checks on bytes pushed in pieces (a .gz member as
 * it streams out of an archive), decompressed output thrown away.
 * gz_check_feed returns 0 or -1; gz_check_end says whether the bytes fed
 * so far were one or more complete members. gz_check_error says what.
 */
struct gz_check	 *gz_check_new(void);
int		  gz_check_feed(struct gz_check *, const void *, size_t);
int		  gz_check_end(struct gz_check *);
const char	 *gz_check_error(const struct gz_check *);
uint64_t	  gz_check_out(const struct gz_check *);
void		  gz_check_free(struct gz_check *);

/*
 * Checks a whole .gz file from its current offset: decompresses it fully,
 * CRC-32 and length of every member, no trailing garbage. Returns 0, or -1
 * with a message in err. size and hash (if not NULL) receive the length and
 * SHA-256 of the uncompressed data.
 */
int		  gz_verify_fd(int, uint64_t *, uint8_t *, char *, size_t);

#endif
