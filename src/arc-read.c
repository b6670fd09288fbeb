/*
 * Reading archives back (see arc.h): the re-read that believes an archive
 * only once the gzip CRC and length, each member's size and SHA-256 and
 * every .gz member check out (arc_check, arc_verify, and arc_write before
 * it publishes), and the member-by-member reader of evmaint cat.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "arc.h"
#include "arc-dl.h"
#include "arc-int.h"
#include "esc.h"
#include "fsx.h"
#include "gz.h"
#include "hash.h"
#include "xmalloc.h"

#define ARC_SIDECAR_MAX	4096

/* One re-read of an archive: arc_check, arc_verify and arc_write's own. */
struct arc_scan {
	int			 fd;
	struct gz_reader	*gz;
	hash_ctx		 raw;		/* the file's bytes */
	unsigned char		*buf;		/* what libarchive reads from */
	unsigned char		*data;		/* member data */
	char			*ioerr;
	const struct arc_member	*const *exp;	/* NULL: no expectation */
	const bool		*prechecked;	/* or NULL: per exp, its .gz
						   was inflated already */
	size_t			 nexp;
	char			**problems;
	size_t			 nproblems;
};

static void		 arc_locale_init(void);
static void		 arc_scan_init(struct arc_scan *, int, bool);
static void		 arc_scan_free(struct arc_scan *);
static void		 arc_problem(struct arc_scan *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static la_ssize_t	 arc_scan_read(struct archive *, void *,
			    const void **);
static void		 arc_scan_run(struct arc_scan *, uint8_t *);
static bool		 arc_scan_entry(struct arc_scan *, struct archive *,
			    struct archive_entry *, size_t);
static void		 arc_scan_drain(struct arc_scan *);
static void		 arc_check_sidecar(struct arc_scan *, int, const char *,
			    const uint8_t *);

/*
 * libarchive converts names between the locale's charset and the UTF-8 of
 * pax headers. evmaint runs in the C locale (cron sets no LANG), where
 * every non-ASCII name would be stored as hdrcharset=BINARY, which GNU tar
 * warns about on each such member. Under C.UTF-8, set for this thread only
 * while libarchive works, a UTF-8 name is stored as standard pax UTF-8 and
 * only a name that is not UTF-8 falls back to BINARY (bytes kept as is).
 */
static pthread_once_t	arc_locale_once = PTHREAD_ONCE_INIT;
static locale_t		arc_utf8;	/* set once, then only read */

static void
arc_locale_init(void)
{
	arc_utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

locale_t
arc_locale_enter(void)
{
	pthread_once(&arc_locale_once, arc_locale_init);
	return arc_utf8 != (locale_t)0 ? uselocale(arc_utf8) : (locale_t)0;
}

void
arc_locale_leave(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

static void
arc_scan_init(struct arc_scan *s, int fd, bool gz)
{
	memset(s, 0, sizeof *s);
	s->fd = fd;
	hash_init(&s->raw);
	s->buf = xmalloc(GZ_BUFSIZE);
	s->data = xmalloc(GZ_BUFSIZE);
	if (gz) {
		s->gz = gz_reader_new(fd);
		gz_reader_hash_raw(s->gz, &s->raw);
	} else
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
}

static void
arc_scan_free(struct arc_scan *s)
{
	size_t i;

	gz_reader_free(s->gz);
	free(s->buf);
	free(s->data);
	free(s->ioerr);
	for (i = 0; i < s->nproblems; i++)
		free(s->problems[i]);
	free(s->problems);
}

/*
 * A message for people, escaped: the names in it (and inside libarchive's
 * messages) are bytes. fallback when it cannot be formatted.
 */
char *
arc_vmsg(const char *fallback, const char *fmt, va_list ap)
{
	char	*msg, *s;

	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	s = esc_human_dup(msg != NULL ? msg : fallback);
	free(msg);
	return s;
}

static void
arc_problem(struct arc_scan *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	msg = arc_vmsg("(message lost: out of memory)", fmt, ap);
	va_end(ap);
	s->problems = xgrowarray(s->problems, s->nproblems + 1,
	    sizeof *s->problems);
	s->problems[s->nproblems++] = msg;
}

/* libarchive reads the tar from here: the file, or its decompression. */
static la_ssize_t
arc_scan_read(struct archive *a, void *arg, const void **bufp)
{
	struct arc_scan	*s = arg;
	ssize_t		 n;

	*bufp = s->buf;
	if (s->gz != NULL) {
		if ((n = gz_reader_read(s->gz, s->buf, GZ_BUFSIZE)) == -1) {
			free(s->ioerr);
			xasprintf(&s->ioerr, "gzip: %s",
			    gz_reader_error(s->gz));
			archive_set_error(a, EIO, "%s", s->ioerr);
		}
		return n;
	}
	if ((n = fsx_read(s->fd, s->buf, GZ_BUFSIZE)) == -1) {
		free(s->ioerr);
		xasprintf(&s->ioerr, "read: %s", strerror(errno));
		archive_set_error(a, errno, "%s", s->ioerr);
		return -1;
	}
	hash_update(&s->raw, s->buf, (size_t)n);
	return n;
}

/*
 * One member: its name, its data read to the end (hashed, and inflated if
 * it is a .gz), compared with the expectation. Returns false when the
 * archive cannot be read further.
 */
static bool
arc_scan_entry(struct arc_scan *s, struct archive *a, struct archive_entry *e,
    size_t idx)
{
	const struct arc_member	*x = NULL;
	const char		*name;
	char			*ename, *xname;
	struct gz_check		*gzc = NULL;
	hash_ctx		 ctx;
	uint8_t			 h[HASH_LEN];
	uint64_t		 size = 0;
	la_ssize_t		 n;
	bool			 more = true;

	if ((name = archive_entry_pathname(e)) == NULL &&
	    (name = archive_entry_pathname_utf8(e)) == NULL)
		name = "";
	ename = esc_human_dup(name);
	if (!arc_member_name_safe(name))
		arc_problem(s, "member %s: unsafe name", ename);
	if (archive_entry_filetype(e) != AE_IFREG)
		arc_problem(s, "member %s: not a regular file", ename);
	if (s->exp != NULL) {
		if (idx >= s->nexp)
			arc_problem(s, "member %s: not expected", ename);
		else if (strcmp(name, s->exp[idx]->name) != 0) {
			xname = esc_human_dup(s->exp[idx]->name);
			arc_problem(s, "member %zu is %s, expected %s",
			    idx + 1, ename, xname);
			free(xname);
		} else
			x = s->exp[idx];
	}
	if (arc_has_suffix(name, ".gz") && (x == NULL ||
	    s->prechecked == NULL || !s->prechecked[idx]))
		gzc = gz_check_new();
	hash_init(&ctx);
	while ((n = archive_read_data(a, s->data, GZ_BUFSIZE)) > 0) {
		hash_update(&ctx, s->data, (size_t)n);
		size += (uint64_t)n;
		/* a failure is sticky and reported below */
		if (gzc != NULL)
			(void)gz_check_feed(gzc, s->data, (size_t)n);
	}
	if (n < 0) {
		arc_problem(s, "member %s: %s", ename,
		    archive_error_string(a) != NULL ?
		    archive_error_string(a) : "read error");
		more = n != ARCHIVE_FATAL;
	} else if (archive_entry_size_is_set(e) &&
	    (uint64_t)archive_entry_size(e) != size)
		arc_problem(s, "member %s: %ju bytes of data, header says %jd",
		    ename, (uintmax_t)size, (intmax_t)archive_entry_size(e));
	else {
		hash_final(&ctx, h);
		if (x != NULL && x->size != size)
			arc_problem(s, "member %s: size %ju, expected %ju",
			    ename, (uintmax_t)size, (uintmax_t)x->size);
		else if (x != NULL && memcmp(h, x->sha256, HASH_LEN) != 0)
			arc_problem(s, "member %s: SHA-256 mismatch", ename);
		if (gzc != NULL && gz_check_end(gzc) == -1)
			arc_problem(s, "member %s: %s", ename,
			    gz_check_error(gzc));
	}
	gz_check_free(gzc);
	free(ename);
	return more;
}

/*
 * Reads the whole archive through libarchive (tar format only: any
 * compression is ours to undo) and then the file to its end, so that hash
 * (if not NULL) is the SHA-256 of every byte of it.
 */
static void
arc_scan_run(struct arc_scan *s, uint8_t *hash)
{
	struct archive		*a;
	struct archive_entry	*e;
	size_t			 idx = 0;
	char			*xname, *why;
	locale_t		 loc;
	int			 rc;

	if (arc_dl_load(&why) == -1) {
		arc_problem(s, "%s", why);
		free(why);
		goto drain;	/* the hash is still the whole file's */
	}
	loc = arc_locale_enter();
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open(a, s, NULL, arc_scan_read, NULL) !=
	    ARCHIVE_OK) {
		arc_problem(s, "%s", archive_error_string(a) != NULL ?
		    archive_error_string(a) : "not a tar archive");
		goto out;
	}
	for (;;) {
		rc = archive_read_next_header(a, &e);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN) {
			arc_problem(s, "%s", archive_error_string(a) != NULL ?
			    archive_error_string(a) : "bad tar header");
			goto out;
		}
		if (rc == ARCHIVE_WARN)
			arc_problem(s, "%s", archive_error_string(a));
		if (!arc_scan_entry(s, a, e, idx++))
			goto out;
	}
	for (; s->exp != NULL && idx < s->nexp; idx++) {
		xname = esc_human_dup(s->exp[idx]->name);
		arc_problem(s, "member %s: missing", xname);
		free(xname);
	}
out:
	archive_read_free(a);
	arc_locale_leave(loc);
drain:
	arc_scan_drain(s);
	if (hash != NULL)
		hash_final(&s->raw, hash);
}

/*
 * libarchive stops at the end-of-archive blocks; the rest (padding, and
 * for a .tar.gz the gzip trailer whose CRC and length matter) is read
 * here. After a failure the raw bytes are still read, for the hash.
 */
static void
arc_scan_drain(struct arc_scan *s)
{
	ssize_t n;

	if (s->gz != NULL && s->ioerr == NULL) {
		while ((n = gz_reader_read(s->gz, s->buf, GZ_BUFSIZE)) > 0)
			;
		if (n == -1) {
			xasprintf(&s->ioerr, "gzip: %s",
			    gz_reader_error(s->gz));
			arc_problem(s, "%s", s->ioerr);
		}
	}
	while ((n = fsx_read(s->fd, s->buf, GZ_BUFSIZE)) > 0)
		hash_update(&s->raw, s->buf, (size_t)n);
	if (n == -1)
		arc_problem(s, "read: %s", strerror(errno));
}

/*
 * Re-reads the archive in fd against the n members in exp (prechecked:
 * per member, its .gz was inflated already; or NULL). Returns the first
 * problem found (malloc'd), or NULL; hash as arc_scan_run.
 */
char *
arc_reread(int fd, bool gz, const struct arc_member *const *exp,
    const bool *prechecked, size_t n, uint8_t *hash)
{
	struct arc_scan	 s;
	char		*first = NULL;

	arc_scan_init(&s, fd, gz);
	s.exp = exp;
	s.prechecked = prechecked;
	s.nexp = n;
	arc_scan_run(&s, hash);
	if (s.nproblems > 0) {
		first = s.problems[0];
		s.problems[0] = NULL;
	}
	arc_scan_free(&s);
	return first;
}

int
arc_check(int dirfd, const char *name, const struct arc_member *expected,
    size_t n, char **err)
{
	const struct arc_member	**exp;
	struct stat		  st;
	size_t			  i;
	int			  fd;

	*err = NULL;
	/*
	 * A libarchive that cannot be loaded says nothing of the archive:
	 * -2, so that no caller takes it for one that fails the check.
	 */
	if (arc_dl_load(err) == -1)
		return -2;
	if ((fd = fsx_open_read(dirfd, name, &st)) == -1) {
		xasprintf(err, "cannot open: %s", arc_open_why(errno, &st));
		return -1;
	}
	exp = xreallocarray(NULL, n, sizeof *exp);
	for (i = 0; i < n; i++)
		exp[i] = &expected[i];
	*err = arc_reread(fd, arc_has_suffix(name, ".gz"), exp, NULL, n, NULL);
	free(exp);
	fsx_close(fd);
	return *err != NULL ? -1 : 0;
}

/* NAME.sha256 must say "<hex>  NAME" with the hash of what was read. */
static void
arc_check_sidecar(struct arc_scan *s, int dirfd, const char *name,
    const uint8_t *hash)
{
	char		 buf[ARC_SIDECAR_MAX + 1], *side, *ename, *p;
	uint8_t		 want[HASH_LEN];
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd;

	xasprintf(&side, "%s" ARC_SIDECAR, name);
	ename = esc_human_dup(side);
	if ((fd = fsx_open_read(dirfd, side, &st)) == -1) {
		arc_problem(s, "%s: %s", ename, errno == ENOENT ? "missing" :
		    arc_open_why(errno, &st));
		goto out;
	}
	while (len < ARC_SIDECAR_MAX &&
	    (n = fsx_read(fd, buf + len, ARC_SIDECAR_MAX - len)) > 0)
		len += (size_t)n;
	fsx_close(fd);
	buf[len] = '\0';
	/* one line: 64 hex digits, two spaces (or " *"), the name */
	if (len == 0 || buf[len - 1] != '\n' || strlen(buf) != len ||
	    (p = strchr(buf, '\n')) != buf + len - 1 || len < 68 ||
	    buf[64] != ' ' || (buf[65] != ' ' && buf[65] != '*')) {
		arc_problem(s, "%s: not a sha256sum line", ename);
		goto out;
	}
	*p = '\0';
	buf[64] = '\0';
	if (hash_from_hex(buf, want) == -1)
		arc_problem(s, "%s: not a sha256sum line", ename);
	else if (strcmp(buf + 66, name) != 0)
		arc_problem(s, "%s: names another file", ename);
	else if (memcmp(want, hash, HASH_LEN) != 0)
		arc_problem(s, "SHA-256 does not match %s", ename);
out:
	free(ename);
	free(side);
}

int
arc_verify(int dirfd, const char *name, char ***problems, size_t *nproblems)
{
	struct arc_scan	 s;
	struct stat	 st;
	uint8_t		 hash[HASH_LEN];
	int		 fd;

	*problems = NULL;
	*nproblems = 0;
	if ((fd = fsx_open_read(dirfd, name, &st)) == -1) {
		*problems = xmalloc(sizeof **problems);
		xasprintf(&(*problems)[0], "cannot open: %s",
		    arc_open_why(errno, &st));
		*nproblems = 1;
		return -1;
	}
	arc_scan_init(&s, fd, arc_has_suffix(name, ".gz"));
	arc_scan_run(&s, hash);
	fsx_close(fd);
	arc_check_sidecar(&s, dirfd, name, hash);
	*problems = s.problems;
	*nproblems = s.nproblems;
	s.problems = NULL;
	s.nproblems = 0;
	arc_scan_free(&s);
	return *nproblems > 0 ? -1 : 0;
}

/*
 * The reader (see arc.h). Header reads ask the file for a few KiB only,
 * data reads for GZ_BUFSIZE: listing an archive of large members then
 * reads little more than its headers.
 */
#define ARC_READER_HDR	4096

struct arc_reader {
	struct archive		*a;
	int			 fd;
	struct gz_reader	*gz;
	unsigned char		*buf;
	size_t			 want;
	char			*err;
	struct archive_entry	*e;
	bool			 failed;
};

static la_ssize_t
arc_reader_read(struct archive *a, void *arg, const void **bufp)
{
	struct arc_reader	*r = arg;
	ssize_t			 n;

	*bufp = r->buf;
	if (r->gz != NULL) {
		if ((n = gz_reader_read(r->gz, r->buf, GZ_BUFSIZE)) == -1)
			archive_set_error(a, EIO, "gzip: %s",
			    gz_reader_error(r->gz));
		return n;
	}
	if ((n = fsx_read(r->fd, r->buf, r->want)) == -1)
		archive_set_error(a, errno, "read: %s", strerror(errno));
	return n;
}

static la_int64_t
arc_reader_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct arc_reader *r = arg;

	(void)a;
	if (r->gz != NULL)
		return 0;	/* libarchive reads through instead */
	if (lseek(r->fd, (off_t)request, SEEK_CUR) == (off_t)-1)
		return 0;
	return request;
}

static void
arc_reader_fail(struct arc_reader *r, const char *what)
{
	const char *msg = archive_error_string(r->a);

	free(r->err);
	r->err = esc_human_dup(msg != NULL ? msg : what);
	r->failed = true;
}

struct arc_reader *
arc_reader_open(int fd, bool gz)
{
	struct arc_reader	*r = xcalloc(1, sizeof *r);
	locale_t		 loc;

	r->fd = fd;
	r->buf = xmalloc(GZ_BUFSIZE);
	r->want = ARC_READER_HDR;
	if (gz)
		r->gz = gz_reader_new(fd);
	if (arc_dl_load(&r->err) == -1) {
		r->failed = true;	/* r->a stays NULL */
		return r;
	}
	loc = arc_locale_enter();
	r->a = archive_read_new();
	archive_read_support_format_tar(r->a);
	if (archive_read_set_read_callback(r->a, arc_reader_read) !=
	    ARCHIVE_OK ||
	    archive_read_set_skip_callback(r->a, arc_reader_skip) !=
	    ARCHIVE_OK ||
	    archive_read_set_callback_data(r->a, r) != ARCHIVE_OK ||
	    archive_read_open1(r->a) != ARCHIVE_OK)
		arc_reader_fail(r, "not a tar archive");
	arc_locale_leave(loc);
	return r;
}

int
arc_reader_next(struct arc_reader *r, struct arc_reader_entry *out)
{
	locale_t	loc;
	int		rc;

	if (r->failed)
		return -1;
	r->want = ARC_READER_HDR;
	loc = arc_locale_enter();
	rc = archive_read_next_header(r->a, &r->e);
	arc_locale_leave(loc);
	if (rc == ARCHIVE_EOF)
		return 0;
	if (rc < ARCHIVE_WARN) {
		arc_reader_fail(r, "bad tar header");
		return -1;
	}
	if ((out->name = archive_entry_pathname(r->e)) == NULL &&
	    (out->name = archive_entry_pathname_utf8(r->e)) == NULL)
		out->name = "";
	out->size = archive_entry_size_is_set(r->e) ?
	    archive_entry_size(r->e) : -1;
	out->mtime.tv_sec = archive_entry_mtime(r->e);
	out->mtime.tv_nsec = archive_entry_mtime_nsec(r->e);
	return 1;
}

ssize_t
arc_reader_data(struct arc_reader *r, void *buf, size_t len)
{
	la_ssize_t n;

	if (r->failed)
		return -1;
	r->want = GZ_BUFSIZE;
	if ((n = archive_read_data(r->a, buf, len)) < 0) {
		arc_reader_fail(r, "read error");
		return -1;
	}
	return (ssize_t)n;
}

const char *
arc_reader_error(const struct arc_reader *r)
{
	return r->err != NULL ? r->err : "no error";
}

void
arc_reader_close(struct arc_reader *r)
{
	if (r == NULL)
		return;
	if (r->a != NULL)
		archive_read_free(r->a);
	gz_reader_free(r->gz);
	fsx_close(r->fd);
	free(r->buf);
	free(r->err);
	free(r);
}
