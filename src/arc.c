/*
 * Archives (see arc.h): written with libarchive as pax tar, compressed by
 * our own gz writer, and believed only after a re-read from disk that
 * checks what libarchive does not (gzip CRC and length, member hashes).
 * Also the naming, listing and clean-up of archive_dir.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "evmaint.h"
#include "arc.h"
#include "esc.h"
#include "fsx.h"
#include "gz.h"
#include "hash.h"
#include "pool.h"
#include "report.h"
#include "xmalloc.h"

#define ARC_PREFIX	"event-"
#define ARC_SIDECAR	".sha256"
#define ARC_SEQ_MAX	999
#define ARC_STAMP_LEN	15		/* 20261125T020001 */
#define ARC_PROGRESS_NS	100000000LL	/* 100 ms between progress calls */
#define ARC_SIDECAR_MAX	4096

/* uid or gid to name, looked up once per archive. */
struct arc_ids {
	struct {
		unsigned long	 id;
		char		*name;	/* NULL: no such user or group */
	}		*v;
	size_t		 n;
};

/* Where libarchive's output goes: straight to the fd, or through gz. */
struct arc_out {
	int			 fd;
	struct gz_writer	*gz;
	unsigned char		*buf;	/* plain tar, written GZ_BUFSIZE at once */
	size_t			 len;
	uint64_t		 unsynced;	/* for gz_writebehind */
	bool			 writebehind;
};

/*
 * A .gz member inflated ahead of the re-read (see arc_precheck_fn): the
 * SHA-256 and length of the exact bytes whose gzip CRCs and lengths were
 * found right. Written by one checker thread, read after pool_bg_wait.
 */
struct arc_pre {
	bool			 ok;
	uint64_t		 size;
	uint8_t			 sha256[HASH_LEN];
};

struct arc_wr {
	int			 dirfd;
	struct arc_member	*m;
	size_t			 n;
	const struct arc_opts	*o;
	struct report		*rep;
	const char		*display;	/* the archive, in messages */
	bool			*in;		/* members in this attempt */
	unsigned char		*buf;
	char			*fatal;		/* why this archive failed */
	struct arc_ids		 users;
	struct arc_ids		 groups;
	uint64_t		 done;
	uint64_t		 total;
	size_t			 files_done;
	struct timespec		 last;
	/* the .gz checks running beside the tar (arc_precheck_fn) */
	struct arc_pre		*pre;		/* per member */
	size_t			*pre_idx;	/* the members they check */
	unsigned char		**pre_buf;	/* per checker thread */
	struct pool_bg		*pre_bg;
	atomic_bool		 pre_stop;	/* the archive failed: give up */
};

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
static locale_t		 arc_locale_enter(void);
static void		 arc_locale_leave(locale_t);
static const char	*arc_id_name(struct arc_ids *, unsigned long, bool);
static void		 arc_ids_free(struct arc_ids *);
static char		*arc_name(time_t, int, bool);
static bool		 arc_name_taken(int, const char *);
static la_ssize_t	 arc_out_write(struct archive *, void *, const void *,
			    size_t);
static int		 arc_out_flush(struct arc_out *);
static void		 arc_progress(struct arc_wr *, bool);
static void		 arc_member_fail(struct arc_member *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static int		 arc_la_check(struct arc_wr *, struct archive *, int,
			    const char *);
static int		 arc_write_member(struct arc_wr *, struct archive *,
			    size_t);
static int		 arc_write_tar(struct arc_wr *, int, const char *);
static int		 arc_verify_tmp(struct arc_wr *, int, uint8_t *);
static void		 arc_precheck_fn(void *, size_t, int);
static void		 arc_precheck_start(struct arc_wr *);
static void		 arc_precheck_wait(struct arc_wr *, bool);
static int		 arc_create_tmp(struct arc_wr *, int *, char **,
			    char **);
static int		 arc_put_sidecar(struct arc_wr *, const char *,
			    const char *, const char *, const char *);
static int		 arc_publish(struct arc_wr *, const char *, int *,
			    const uint8_t *, char **);
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
static const char	*arc_open_why(int, const struct stat *);
static bool		 arc_has_suffix(const char *, const char *);
static int		 arc_entry_cmp(const void *, const void *);

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

static locale_t
arc_locale_enter(void)
{
	pthread_once(&arc_locale_once, arc_locale_init);
	return arc_utf8 != (locale_t)0 ? uselocale(arc_utf8) : (locale_t)0;
}

static void
arc_locale_leave(locale_t old)
{
	if (old != (locale_t)0)
		uselocale(old);
}

bool
arc_member_name_safe(const char *name)
{
	const char	*p, *slash;
	size_t		 len;

	if (name == NULL || *name == '\0' || *name == '/')
		return false;
	for (p = name; ; p = slash + 1) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (slash == NULL)
			return true;
	}
}

/* Why fsx_open_read failed, in the words fsx_refusal uses. */
static const char *
arc_open_why(int error, const struct stat *st)
{
	const char *why;

	if (error == EMLINK && (why = fsx_refusal(st)) != NULL)
		return why;
	if (error == ELOOP)
		return "is a symlink";
	return strerror(error);
}

static bool
arc_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* event-STAMP[.N].tar[.gz]; the stamp in local time, as the day counts. */
static char *
arc_name(time_t stamp, int seq, bool gz)
{
	char	 buf[32], *s;

	clock_stamp(stamp, buf, sizeof buf);
	if (seq > 0)
		xasprintf(&s, ARC_PREFIX "%s.%d.tar%s", buf, seq,
		    gz ? ".gz" : "");
	else
		xasprintf(&s, ARC_PREFIX "%s.tar%s", buf, gz ? ".gz" : "");
	return s;
}

/* The name, or its sidecar, exists (or cannot be told not to). */
static bool
arc_name_taken(int dirfd, const char *name)
{
	struct stat	 st;
	char		*side;
	bool		 taken;

	if (fsx_fstatat(dirfd, name, &st) == 0 || errno != ENOENT)
		return true;
	xasprintf(&side, "%s" ARC_SIDECAR, name);
	taken = fsx_fstatat(dirfd, side, &st) == 0 || errno != ENOENT;
	free(side);
	return taken;
}

bool
arc_parse_name(const char *name, time_t *stamp, int *seq, bool *gz)
{
	const char	*p = name, *q;
	char		 buf[ARC_STAMP_LEN + 1];
	time_t		 t;
	int		 i, n = 0, day;

	if (strncmp(p, ARC_PREFIX, sizeof ARC_PREFIX - 1) != 0)
		return false;
	p += sizeof ARC_PREFIX - 1;
	for (i = 0; i < ARC_STAMP_LEN; i++) {
		if (i == 8 ? p[i] != 'T' : (p[i] < '0' || p[i] > '9'))
			return false;
		buf[i] = p[i];
	}
	buf[ARC_STAMP_LEN] = '\0';
	p += ARC_STAMP_LEN;
	if (p[0] == '.' && p[1] >= '1' && p[1] <= '9') {
		for (q = p + 1; *q >= '0' && *q <= '9' && q - p <= 3; q++)
			n = n * 10 + (*q - '0');
		if (*q >= '0' && *q <= '9')
			return false;	/* 1000 and more */
		p = q;
	}
	if (strcmp(p, ".tar") != 0 && strcmp(p, ".tar.gz") != 0)
		return false;
	if (clock_parse_stamp(buf, &t) == -1)
		return false;
	/*
	 * mktime takes 20260230 for March 2nd; an hour either way is a
	 * time in a DST gap, moved on by mktime.
	 */
	day = atoi(buf);
	if (day != clock_day(t) && day != clock_day(t - 3600) &&
	    day != clock_day(t + 3600))
		return false;
	if (stamp != NULL)
		*stamp = t;
	if (seq != NULL)
		*seq = n;
	if (gz != NULL)
		*gz = p[4] == '.';
	return true;
}

static const char *
arc_id_name(struct arc_ids *ids, unsigned long id, bool group)
{
	struct passwd	 pw, *pwp = NULL;
	struct group	 gr, *grp = NULL;
	char		 buf[4096];
	size_t		 i;

	for (i = 0; i < ids->n; i++)
		if (ids->v[i].id == id)
			return ids->v[i].name;
	ids->v = xgrowarray(ids->v, ids->n + 1, sizeof ids->v[0]);
	ids->v[ids->n].id = id;
	ids->v[ids->n].name = NULL;
	if (group) {
		if (getgrgid_r((gid_t)id, &gr, buf, sizeof buf, &grp) == 0 &&
		    grp != NULL)
			ids->v[ids->n].name = xstrdup(grp->gr_name);
	} else {
		if (getpwuid_r((uid_t)id, &pw, buf, sizeof buf, &pwp) == 0 &&
		    pwp != NULL)
			ids->v[ids->n].name = xstrdup(pwp->pw_name);
	}
	return ids->v[ids->n++].name;
}

static void
arc_ids_free(struct arc_ids *ids)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		free(ids->v[i].name);
	free(ids->v);
	ids->v = NULL;
	ids->n = 0;
}

static void
arc_member_fail(struct arc_member *m, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	free(m->error);
	m->error = esc_human_dup(msg != NULL ? msg : "failed");
	free(msg);
	m->ok = false;
}

static void
arc_progress(struct arc_wr *w, bool force)
{
	struct timespec	now;
	long long	ns;

	if (w->o->progress == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (long long)(now.tv_sec - w->last.tv_sec) * 1000000000LL +
	    (now.tv_nsec - w->last.tv_nsec);
	if (!force && ns < ARC_PROGRESS_NS)
		return;
	w->last = now;
	w->o->progress(w->o->progress_arg, w->done, w->total, w->files_done,
	    w->n);
}

/*
 * Written out with write-behind, as gz does for the .gz generations: the
 * fsync before the re-read then finds the archive mostly on disk already.
 */
static int
arc_out_put(struct arc_out *out, const void *buf, size_t len)
{
	if (fsx_write_all(out->fd, buf, len) == -1)
		return -1;
	gz_writebehind(out->fd, &out->unsynced, len, &out->writebehind);
	return 0;
}

static int
arc_out_flush(struct arc_out *out)
{
	if (out->len == 0)
		return 0;
	if (arc_out_put(out, out->buf, out->len) == -1)
		return -1;
	out->len = 0;
	return 0;
}

static la_ssize_t
arc_out_write(struct archive *a, void *arg, const void *buf, size_t len)
{
	struct arc_out	*out = arg;

	if (out->gz != NULL) {
		if (gz_writer_feed(out->gz, buf, len) == -1) {
			archive_set_error(a, errno, "write: %s",
			    strerror(errno));
			return -1;
		}
		return (la_ssize_t)len;
	}
	if ((out->len + len > GZ_BUFSIZE && arc_out_flush(out) == -1) ||
	    (len >= GZ_BUFSIZE && arc_out_put(out, buf, len) == -1)) {
		archive_set_error(a, errno, "write: %s", strerror(errno));
		return -1;
	}
	if (len < GZ_BUFSIZE) {
		memcpy(out->buf + out->len, buf, len);
		out->len += len;
	}
	return (la_ssize_t)len;
}

/*
 * A libarchive return: WARN is reported and passes, anything worse is
 * the end of this archive (the message is kept for the caller).
 */
static int
arc_la_check(struct arc_wr *w, struct archive *a, int rc, const char *what)
{
	const char	*msg = archive_error_string(a);
	char		*emsg;

	if (rc == ARCHIVE_OK)
		return 0;
	/* libarchive quotes names as they are: bytes for a terminal */
	emsg = esc_human_dup(msg != NULL ? msg : "unknown libarchive error");
	if (rc == ARCHIVE_WARN)
		report_warn(w->rep, w->display, "%s: %s", what, emsg);
	else if (w->fatal == NULL)
		xasprintf(&w->fatal, "%s: %s", what, emsg);
	free(emsg);
	return rc == ARCHIVE_WARN ? 0 : -1;
}

/*
 * Archives member i. Returns 0 when it is in (or was left out before a
 * byte of it was written), 1 when it failed after its header committed the
 * tar to its size, so this attempt must be thrown away, -1 when the
 * archive itself failed (w->fatal says why).
 */
static int
arc_write_member(struct arc_wr *w, struct archive *a, size_t i)
{
	struct arc_member	*m = &w->m[i];
	struct archive_entry	*e;
	struct stat		 st;
	const char		*who;
	char			*ename;
	hash_ctx		 ctx;
	uint64_t		 left, got = 0;
	ssize_t			 n;
	la_ssize_t		 wn;
	int			 fd, rc;

	if ((fd = fsx_open_read(m->dirfd, m->file, &m->st)) == -1) {
		arc_member_fail(m, "%s", arc_open_why(errno, &m->st));
		return 0;
	}
	ename = esc_human_dup(m->name);
	e = archive_entry_new();
	archive_entry_copy_pathname(e, m->name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, m->st.st_mode & 0777);
	archive_entry_set_size(e, m->st.st_size);
	archive_entry_set_uid(e, m->st.st_uid);
	archive_entry_set_gid(e, m->st.st_gid);
	if ((who = arc_id_name(&w->users, m->st.st_uid, false)) != NULL)
		archive_entry_copy_uname(e, who);
	if ((who = arc_id_name(&w->groups, m->st.st_gid, true)) != NULL)
		archive_entry_copy_gname(e, who);
	archive_entry_set_mtime(e, m->st.st_mtim.tv_sec, m->st.st_mtim.tv_nsec);
	rc = archive_write_header(a, e);
	archive_entry_free(e);
	if (rc == ARCHIVE_FAILED) {
		/* libarchive refused this entry: nothing of it was written */
		arc_member_fail(m, "%s", archive_error_string(a) != NULL ?
		    archive_error_string(a) : "refused by libarchive");
		rc = 1;
		goto out;
	}
	if (arc_la_check(w, a, rc, ename) == -1) {
		rc = -1;
		goto out;
	}

	hash_init(&ctx);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	rc = 0;
	for (left = (uint64_t)m->st.st_size; left > 0; left -= (uint64_t)n) {
		n = fsx_read(fd, w->buf, left < GZ_BUFSIZE ? left : GZ_BUFSIZE);
		if (n <= 0) {
			if (n == -1)
				arc_member_fail(m, "read error after %ju "
				    "bytes: %s", (uintmax_t)got,
				    strerror(errno));
			else
				arc_member_fail(m, "shrank from %jd to %ju "
				    "bytes while being archived",
				    (intmax_t)m->st.st_size, (uintmax_t)got);
			rc = 1;
			goto out;
		}
		hash_update(&ctx, w->buf, (size_t)n);
		wn = archive_write_data(a, w->buf, (size_t)n);
		if (wn != n) {
			arc_la_check(w, a, wn < 0 ? (int)wn : ARCHIVE_FATAL,
			    ename);
			rc = -1;
			goto out;
		}
		got += (uint64_t)n;
		w->done += (uint64_t)n;
		arc_progress(w, false);
	}
	/*
	 * A generation is not written to: one that changed while it was read
	 * (a writer still holding it open) is left in the tree, whole.
	 */
	if (!m->live && (fsx_fstat(fd, &st) == -1 ||
	    st.st_size != m->st.st_size ||
	    st.st_mtim.tv_sec != m->st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != m->st.st_mtim.tv_nsec)) {
		arc_member_fail(m, "changed while being archived");
		rc = 1;
		goto out;
	}
	if (arc_la_check(w, a, archive_write_finish_entry(a), ename) == -1) {
		rc = -1;
		goto out;
	}
	hash_final(&ctx, m->sha256);
	m->size = got;
	w->in[i] = true;
	w->files_done++;
out:
	free(ename);
	fsx_close(fd);
	return rc;
}

/*
 * One attempt at the tar in fd. Returns 0 (written, w->in says with
 * what), 1 (a member failed part-way: start again without it), -1 (the
 * archive failed, w->fatal says why).
 */
static int
arc_write_tar(struct arc_wr *w, int fd, const char *tarname)
{
	struct archive	*a;
	struct arc_out	 out;
	struct gz_opts	 go;
	locale_t	 loc;
	size_t		 i;
	int		 rc = 0;

	memset(&out, 0, sizeof out);
	out.fd = fd;
	out.writebehind = true;
	if (w->o->gzip) {
		go.level = w->o->level;
		go.name = tarname;
		go.mtime = w->o->stamp;
		if ((out.gz = gz_writer_new(fd, &go)) == NULL) {
			xasprintf(&w->fatal, "gzip level %d: %s", w->o->level,
			    strerror(errno));
			return -1;
		}
	} else
		out.buf = xmalloc(GZ_BUFSIZE);
	for (i = 0; i < w->n; i++)
		w->in[i] = false;
	w->done = 0;
	w->files_done = 0;

	loc = arc_locale_enter();
	a = archive_write_new();
	if (arc_la_check(w, a, archive_write_set_format_pax_restricted(a),
	    "pax format") == -1 ||
	    arc_la_check(w, a, archive_write_open2(a, &out, NULL,
	    arc_out_write, NULL, NULL), "open") == -1) {
		rc = -1;
		goto out;
	}
	for (i = 0; i < w->n && rc == 0; i++) {
		if (w->m[i].error != NULL)
			continue;	/* failed in an earlier attempt */
		rc = arc_write_member(w, a, i);
	}
	if (rc == 0 && arc_la_check(w, a, archive_write_close(a),
	    "close") == -1)
		rc = -1;
	/*
	 * The end of the output is ours to write, not a close callback's:
	 * libarchive 3.6 ignores what that returns.
	 */
	if (rc == 0 && (out.gz != NULL ? gz_writer_finish(out.gz) :
	    arc_out_flush(&out)) == -1) {
		xasprintf(&w->fatal, "write: %s", strerror(errno));
		rc = -1;
	}
	arc_progress(w, true);
out:
	archive_write_free(a);
	arc_locale_leave(loc);
	gz_writer_free(out.gz);
	free(out.buf);
	return rc;
}

/*
 * Inflating every .gz member (its CRC-32 and length) is the costliest part
 * of the verification: a nightly archive holds as many bytes, once
 * inflated, as the run compresses. Done in the re-read it runs on one
 * core after the compression; here it runs on every core while the tar is
 * written, over the sources, and the re-read skips it for a member whose
 * bytes in the archive have the SHA-256 and length of the bytes checked
 * here. The check is the same: the archived bytes are the inflated ones.
 * A member that fails here, or changed in between, is inflated by the
 * re-read as before, which reports it in its own words.
 */
static void
arc_precheck_fn(void *arg, size_t k, int worker)
{
	struct arc_wr		*w = arg;
	size_t			 i = w->pre_idx[k];
	const struct arc_member	*m = &w->m[i];
	struct gz_reader	*r;
	struct stat		 st;
	hash_ctx		 raw;
	ssize_t			 n;
	int			 fd;

	if (atomic_load(&w->pre_stop))
		return;
	if ((fd = fsx_open_read(m->dirfd, m->file, &st)) == -1)
		return;
	if (w->pre_buf[worker] == NULL)
		w->pre_buf[worker] = xmalloc(GZ_BUFSIZE);
	hash_init(&raw);
	r = gz_reader_new(fd);
	gz_reader_hash_raw(r, &raw);
	while ((n = gz_reader_read(r, w->pre_buf[worker], GZ_BUFSIZE)) > 0)
		if (atomic_load(&w->pre_stop))
			break;
	if (n == 0) {
		/* 0 is the verified end: every byte of the file was read */
		w->pre[i].size = gz_reader_in(r);
		hash_final(&raw, w->pre[i].sha256);
		w->pre[i].ok = true;
	}
	gz_reader_free(r);
	fsx_close(fd);
}

static void
arc_precheck_start(struct arc_wr *w)
{
	size_t	i, n = 0;
	int	nt = pool_threads();

	w->pre = xcalloc(w->n, sizeof *w->pre);
	w->pre_idx = xreallocarray(NULL, w->n, sizeof *w->pre_idx);
	for (i = 0; i < w->n; i++)
		if (w->m[i].error == NULL && arc_has_suffix(w->m[i].name, ".gz"))
			w->pre_idx[n++] = i;
	w->pre_buf = xcalloc((size_t)nt + 1, sizeof *w->pre_buf);
	atomic_init(&w->pre_stop, false);
	/*
	 * The tar writer mostly waits on reads and writes: a checker per
	 * core. One thread asked for (EVMAINT_JOBS=1): none in the
	 * background, the writer checks them all once the tar is written, so
	 * that the calls keep one order.
	 */
	w->pre_bg = n > 0 ? pool_bg_start(n, nt > 1 ? nt : 0, arc_precheck_fn,
	    w) : NULL;
}

/* Joins the checkers; with stop, they give up what they have not done. */
static void
arc_precheck_wait(struct arc_wr *w, bool stop)
{
	int i, nt = pool_threads();

	if (w->pre == NULL)
		return;
	if (stop)
		atomic_store(&w->pre_stop, true);
	pool_bg_wait(w->pre_bg);
	w->pre_bg = NULL;
	for (i = 0; i <= nt; i++)
		free(w->pre_buf[i]);
	free(w->pre_buf);
	w->pre_buf = NULL;
	free(w->pre_idx);
	w->pre_idx = NULL;
}

/*
 * Re-reads the temporary archive from disk and compares it with what was
 * read from the sources; hash receives the SHA-256 of the file itself.
 */
static int
arc_verify_tmp(struct arc_wr *w, int fd, uint8_t *hash)
{
	const struct arc_member	**exp;
	struct arc_scan		  s;
	bool			 *pre;
	size_t			  i, n = 0;
	int			  rc = 0;

	if (fsx_fsync(fd) == -1) {
		xasprintf(&w->fatal, "fsync: %s", strerror(errno));
		return -1;
	}
	/* Clean pages can go now: what is read back is what the disk has. */
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (lseek(fd, 0, SEEK_SET) == -1) {
		xasprintf(&w->fatal, "lseek: %s", strerror(errno));
		return -1;
	}
	exp = xreallocarray(NULL, w->n, sizeof *exp);
	pre = xcalloc(w->n, sizeof *pre);
	for (i = 0; i < w->n; i++)
		if (w->in[i]) {
			pre[n] = w->pre != NULL && w->pre[i].ok &&
			    w->pre[i].size == w->m[i].size &&
			    memcmp(w->pre[i].sha256, w->m[i].sha256,
			    HASH_LEN) == 0;
			exp[n++] = &w->m[i];
		}
	arc_scan_init(&s, fd, w->o->gzip);
	s.exp = exp;
	s.prechecked = pre;
	s.nexp = n;
	arc_scan_run(&s, hash);
	if (s.nproblems > 0) {
		xasprintf(&w->fatal, "verification failed: %s",
		    s.problems[0]);
		rc = -1;
	}
	arc_scan_free(&s);
	free(exp);
	free(pre);
	return rc;
}

/*
 * A free name, and a temporary nobody else is writing (EEXIST: another
 * arc_write in this process has it), created at its final owner and mode.
 * Returns the fd, or -1 with w->fatal set; *name is set either way.
 */
static int
arc_create_tmp(struct arc_wr *w, int *seq, char **name, char **tmp)
{
	const struct arc_opts	*o = w->o;
	int			 fd = -1;

	for (*seq = 0; *seq <= ARC_SEQ_MAX; (*seq)++) {
		*name = arc_name(o->stamp, *seq, o->gzip);
		*tmp = fsx_tmp_name(*name);
		if (!arc_name_taken(w->dirfd, *name) &&
		    ((fd = fsx_create(w->dirfd, *tmp, o->mode, o->uid,
		    o->gid)) != -1 || errno != EEXIST))
			break;
		free(*name);
		free(*tmp);
	}
	if (*seq > ARC_SEQ_MAX) {
		*name = arc_name(o->stamp, 0, o->gzip);
		*tmp = NULL;
		xasprintf(&w->fatal, "no free name: .1 to .%d all exist",
		    ARC_SEQ_MAX);
	} else if (fd == -1)
		xasprintf(&w->fatal, "cannot create %s in %s (archive_dir): %s",
		    *tmp, o->dir != NULL ? o->dir : ".", strerror(errno));
	return fd;
}

/*
 * Writes "<hex>  NAME" to a temporary and renames it to NAME.sha256 without
 * replacing anything. Returns 0, 1 when that name exists, -1 on error.
 */
static int
arc_put_sidecar(struct arc_wr *w, const char *stmp, const char *side,
    const char *hex, const char *name)
{
	char	*line;
	int	 fd, rc, saved;

	if ((fd = fsx_create(w->dirfd, stmp, w->o->mode, w->o->uid,
	    w->o->gid)) == -1) {
		xasprintf(&w->fatal, "cannot create %s: %s", stmp,
		    strerror(errno));
		return -1;
	}
	xasprintf(&line, "%s  %s\n", hex, name);
	rc = fsx_write_all(fd, line, strlen(line));
	if (rc == 0)
		rc = fsx_fsync(fd);
	saved = errno;
	if (fsx_close(fd) == -1 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	free(line);
	if (rc == 0 && fsx_rename_noreplace(w->dirfd, stmp, w->dirfd,
	    side) == -1) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0)
		return 0;
	(void)fsx_unlink(w->dirfd, stmp);
	if (saved == EEXIST)
		return 1;
	xasprintf(&w->fatal, "sidecar %s: %s", side, strerror(saved));
	return -1;
}

/*
 * Gives the verified temporary its name: the sidecar first, so that an
 * archive never exists without one (a crash in between leaves an orphan
 * sidecar, which arc_cleanup removes), then the archive, never replacing
 * anything; a name taken meanwhile moves on to the next .N.
 */
static int
arc_publish(struct arc_wr *w, const char *tmp, int *seq, const uint8_t *hash,
    char **final)
{
	char	 hex[HASH_HEX_LEN], *name = NULL, *side = NULL, *stmp;
	int	 rc = -1, saved;

	hash_hex(hash, hex);
	xasprintf(&stmp, "%s" ARC_SIDECAR, tmp);
	for (; *seq <= ARC_SEQ_MAX; (*seq)++) {
		free(name);
		free(side);
		name = arc_name(w->o->stamp, *seq, w->o->gzip);
		xasprintf(&side, "%s" ARC_SIDECAR, name);
		if (arc_name_taken(w->dirfd, name))
			continue;
		if (w->o->before_publish != NULL &&
		    w->o->before_publish(w->o->publish_arg, name, w->m,
		    w->n) == -1) {
			xasprintf(&w->fatal, "not published: %s",
			    strerror(errno));
			rc = -1;
			break;
		}
		if ((rc = arc_put_sidecar(w, stmp, side, hex, name)) == 1)
			continue;
		if (rc == -1)
			break;
		if (fsx_rename_noreplace(w->dirfd, tmp, w->dirfd, name) == -1) {
			saved = errno;
			(void)fsx_unlink(w->dirfd, side);
			if (saved == EEXIST)
				continue;
			xasprintf(&w->fatal, "rename to %s: %s", name,
			    strerror(saved));
			rc = -1;
			break;
		}
		if (fsx_fsync(w->dirfd) == -1) {
			/* Not known to be durable: take it back. */
			saved = errno;
			(void)fsx_unlink(w->dirfd, name);
			(void)fsx_unlink(w->dirfd, side);
			xasprintf(&w->fatal, "fsync of the directory: %s",
			    strerror(saved));
			rc = -1;
			break;
		}
		*final = name;
		name = NULL;
		rc = 0;
		break;
	}
	if (*seq > ARC_SEQ_MAX) {
		xasprintf(&w->fatal, "no free name: .1 to .%d all exist",
		    ARC_SEQ_MAX);
		rc = -1;
	}
	free(name);
	free(side);
	free(stmp);
	return rc;
}

/*
 * The whole life of one archive, as steps (see arc.h for the contract);
 * long, but each step is a call and all share one clean-up path.
 */
int
arc_write(int dirfd, struct arc_member *m, size_t n,
    const struct arc_opts *o, struct report *rep, char **final_name)
{
	struct arc_wr	 w;
	struct stat	 st;
	char		*name = NULL, *tmp = NULL, *tarname, *path = NULL;
	uint8_t		 hash[HASH_LEN];
	size_t		 i, count = 0;
	int		 fd = -1, seq, rc;

	*final_name = NULL;
	for (i = 0; i < n; i++) {
		m[i].ok = false;
		m[i].size = 0;
		free(m[i].error);
		m[i].error = NULL;
		if (!arc_member_name_safe(m[i].name))
			arc_member_fail(&m[i], "unsafe member name");
	}
	if (n == 0)
		return 0;

	memset(&w, 0, sizeof w);
	w.dirfd = dirfd;
	w.m = m;
	w.n = n;
	w.o = o;
	w.rep = rep;
	w.in = xcalloc(n, sizeof *w.in);
	w.buf = xmalloc(GZ_BUFSIZE);
	for (i = 0; i < n; i++)
		if (m[i].error == NULL &&
		    fsx_fstatat(m[i].dirfd, m[i].file, &st) == 0)
			w.total += (uint64_t)st.st_size;
	clock_gettime(CLOCK_MONOTONIC, &w.last);
	arc_progress(&w, true);

	/* Step 1: a free name and its temporary. */
	fd = arc_create_tmp(&w, &seq, &name, &tmp);
	w.display = name;
	if (fd == -1)
		goto fail;
	tarname = xstrdup(name);
	if (o->gzip)
		tarname[strlen(tarname) - 3] = '\0';	/* gunzip -N gives it */
	arc_precheck_start(&w);

	/*
	 * Step 2: the tar. Each member failing part-way costs one attempt; a
	 * member that failed once is never tried again, so this ends.
	 */
	while ((rc = arc_write_tar(&w, fd, tarname)) == 1) {
		fsx_close(fd);
		(void)fsx_unlink(dirfd, tmp);
		if ((fd = fsx_create(dirfd, tmp, o->mode, o->uid,
		    o->gid)) == -1) {
			xasprintf(&w.fatal, "cannot create %s: %s", tmp,
			    strerror(errno));
			break;
		}
	}
	free(tarname);
	arc_precheck_wait(&w, rc != 0);
	if (rc == 1 || rc == -1)
		goto fail;
	for (i = 0; i < n; i++)
		count += w.in[i];
	if (count == 0) {
		fsx_close(fd);
		(void)fsx_unlink(dirfd, tmp);
		rc = 0;
		goto out;
	}
	/* Step 3: fsynced, re-read from disk, compared with the sources. */
	if (arc_verify_tmp(&w, fd, hash) == -1)
		goto fail;
	rc = fsx_close(fd);
	fd = -1;
	if (rc == -1) {
		xasprintf(&w.fatal, "close: %s", strerror(errno));
		goto fail;
	}
	/* Step 4: sidecar, archive, directory fsync. */
	for (i = 0; i < n; i++)
		m[i].ok = w.in[i];
	if (arc_publish(&w, tmp, &seq, hash, final_name) == -1) {
		for (i = 0; i < n; i++)
			m[i].ok = false;
		goto fail;
	}
	rc = (int)count;
	goto out;

fail:
	/* Reported once, here: the members' errors are their own only. */
	if (fd != -1)
		fsx_close(fd);
	if (tmp != NULL)
		(void)fsx_unlink(dirfd, tmp);
	/* named by its path: archive_dir is what an operator must fix */
	if (o->dir != NULL && name != NULL)
		xasprintf(&path, "%s/%s", o->dir, name);
	report_error(rep, path != NULL ? path : name, "archive not written: %s",
	    w.fatal != NULL ? w.fatal : "unknown error");
	free(path);
	rc = -1;
out:
	arc_ids_free(&w.users);
	arc_ids_free(&w.groups);
	free(w.pre);
	free(w.fatal);
	free(w.in);
	free(w.buf);
	free(name);
	free(tmp);
	return rc;
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

static void
arc_problem(struct arc_scan *s, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	s->problems = xgrowarray(s->problems, s->nproblems + 1,
	    sizeof *s->problems);
	/* names inside libarchive's messages are bytes too */
	s->problems[s->nproblems++] = esc_human_dup(msg != NULL ? msg :
	    "(message lost: out of memory)");
	free(msg);
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
	char			*xname;
	locale_t		 loc;
	int			 rc;

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

int
arc_check(int dirfd, const char *name, const struct arc_member *expected,
    size_t n, char **err)
{
	const struct arc_member	**exp;
	struct arc_scan		  s;
	struct stat		  st;
	size_t			  i;
	int			  fd, rc = 0;

	*err = NULL;
	if ((fd = fsx_open_read(dirfd, name, &st)) == -1) {
		xasprintf(err, "cannot open: %s", arc_open_why(errno, &st));
		return -1;
	}
	exp = xreallocarray(NULL, n, sizeof *exp);
	for (i = 0; i < n; i++)
		exp[i] = &expected[i];
	arc_scan_init(&s, fd, arc_has_suffix(name, ".gz"));
	s.exp = exp;
	s.nexp = n;
	arc_scan_run(&s, NULL);
	if (s.nproblems > 0) {
		*err = s.problems[0];
		s.problems[0] = NULL;
		rc = -1;
	}
	arc_scan_free(&s);
	free(exp);
	fsx_close(fd);
	return rc;
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

static int
arc_entry_cmp(const void *pa, const void *pb)
{
	const struct arc_entry *a = pa, *b = pb;

	if (a->stamp != b->stamp)
		return a->stamp < b->stamp ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return strcmp(a->name, b->name);
}

int
arc_list(int dirfd, struct arc_entry **entries, size_t *nentries)
{
	struct arc_entry	*v = NULL, *x;
	struct dirent		*de;
	struct stat		 st;
	DIR			*d;
	char			*side;
	size_t			 n = 0;
	int			 fd;

	*entries = NULL;
	*nentries = 0;
	if ((fd = fsx_open_dir(dirfd, ".")) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		fsx_close(fd);
		return -1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		time_t	t;
		int	seq;
		bool	gz;

		if (!arc_parse_name(de->d_name, &t, &seq, &gz) ||
		    fsx_fstatat(dirfd, de->d_name, &st) == -1 ||
		    !S_ISREG(st.st_mode))
			continue;
		v = xgrowarray(v, n + 1, sizeof *v);
		x = &v[n++];
		x->name = xstrdup(de->d_name);
		x->stamp = t;
		x->seq = seq;
		x->gzip = gz;
		x->st = st;
		xasprintf(&side, "%s" ARC_SIDECAR, de->d_name);
		x->has_sidecar = fsx_fstatat(dirfd, side, &st) == 0 &&
		    S_ISREG(st.st_mode);
		free(side);
	}
	if (errno != 0) {
		int saved = errno;

		closedir(d);
		arc_list_free(v, n);
		errno = saved;
		return -1;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof *v, arc_entry_cmp);
	*entries = v;
	*nentries = n;
	return 0;
}

void
arc_list_free(struct arc_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/*
 * What an interrupted run leaves in archive_dir: temporaries, and a
 * sidecar published just before a crash kept its archive from following.
 * Only to be called while no arc_write runs on this directory.
 */
void
arc_cleanup(int dirfd, const char *dirpath, bool dry_run, struct report *rep)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*d;
	char		*arc, *path;
	bool		 orphan, removed = false;
	int		 fd;

	if ((fd = fsx_open_dir(dirfd, ".")) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		report_error(rep, dirpath, "cannot list: %s", strerror(errno));
		fsx_close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!fsx_is_tmp_name(de->d_name)) {
			if (strncmp(de->d_name, ARC_PREFIX,
			    sizeof ARC_PREFIX - 1) != 0 ||
			    !arc_has_suffix(de->d_name, ARC_SIDECAR))
				continue;
			arc = xstrndup(de->d_name, strlen(de->d_name) -
			    (sizeof ARC_SIDECAR - 1));
			orphan = fsx_fstatat(dirfd, arc, &st) == -1 &&
			    errno == ENOENT;
			free(arc);
			if (!orphan)
				continue;
		}
		if (fsx_fstatat(dirfd, de->d_name, &st) == -1)
			continue;
		xasprintf(&path, "%s/%s", dirpath, de->d_name);
		if (fsx_refusal(&st) != NULL)
			report_error(rep, path, "has evmaint's name for a "
			    "leftover but %s: left alone", fsx_refusal(&st));
		else if (!dry_run && fsx_unlink(dirfd, de->d_name) == -1)
			report_error(rep, path, "cannot remove: %s",
			    strerror(errno));
		else {
			report_action(rep, "remove", path, -1, -1,
			    "leftover of an interrupted run");
			removed = true;
		}
		free(path);
	}
	closedir(d);
	if (removed && !dry_run)
		(void)fsx_fsync(dirfd);
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
	archive_read_free(r->a);
	gz_reader_free(r->gz);
	fsx_close(r->fd);
	free(r->buf);
	free(r->err);
	free(r);
}
