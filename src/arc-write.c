/*
 * Writing an archive (see arc.h): pax tar by libarchive, compressed by our
 * own gz writer, fsynced and re-read from disk (arc-read.c) before it and
 * its sidecar are renamed into archive_dir.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <locale.h>
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

#include "arc.h"
#include "arc-dl.h"
#include "arc-int.h"
#include "esc.h"
#include "fsx.h"
#include "gz.h"
#include "gzb.h"
#include "hash.h"
#include "pool.h"
#include "report.h"
#include "xmalloc.h"

#define ARC_PROGRESS_NS	100000000LL	/* 100 ms between progress calls */

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
	struct gzb		*engine;	/* a .tar.gz's blocks, every core */
	struct gzb_stream	*gz;
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
	char			*bad;		/* read whole, and it does not
						   inflate: why (malloc'd) */
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

static const char	*arc_id_name(struct arc_ids *, unsigned long, bool);
static void		 arc_ids_free(struct arc_ids *);
static la_ssize_t	 arc_out_write(struct archive *, void *, const void *,
			    size_t);
static int		 arc_out_flush(struct arc_out *);
static void		 arc_progress(struct arc_wr *, bool);
static void		 arc_member_fail(struct arc_member *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static int		 arc_la_check(struct arc_wr *, struct archive *, int,
			    const char *);
static int		 arc_member_header(struct arc_wr *, struct archive *,
			    struct arc_member *, const char *);
static int		 arc_member_data(struct arc_wr *, struct archive *,
			    struct arc_member *, int, const char *, hash_ctx *,
			    uint64_t *);
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
static void		 arc_members_reset(struct arc_member *, size_t);
static void		 arc_wr_init(struct arc_wr *, int, struct arc_member *,
			    size_t, const struct arc_opts *, struct report *);
static void		 arc_wr_free(struct arc_wr *);
static int		 arc_write_tar_new(struct arc_wr *, int *, const char *);
static int		 arc_write_tar_retry(struct arc_wr *, int *,
			    const char *, const char *);
static bool		 arc_precheck_reject(struct arc_wr *);
static int		 arc_write_attempts(struct arc_wr *, int *,
			    const char *, const char *);
static void		 arc_write_failed(struct arc_wr *, int, const char *,
			    const char *);

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
	msg = arc_vmsg("failed", fmt, ap);
	va_end(ap);
	free(m->error);
	m->error = msg;
	m->ok = false;
}

/*
 * Calls the caller's progress callback, at most every ARC_PROGRESS_NS (and
 * with force). The line itself is the caller's: `evmaint archive` passes
 * report_progress_set, which paces its own drawing, but the nightly run's
 * callback draws on every call, so the pace is kept here.
 */
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
		if (gzb_feed(out->gz, buf, len) == -1) {
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
 * The header of member m, from the fstat of its open source. Returns 0, 1
 * when libarchive refused the entry (nothing of it was written), -1 when
 * the archive failed.
 */
static int
arc_member_header(struct arc_wr *w, struct archive *a, struct arc_member *m,
    const char *ename)
{
	struct archive_entry	*e;
	const char		*who;
	int			 rc;

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
		return 1;
	}
	return arc_la_check(w, a, rc, ename);
}

/*
 * The data of member m from fd, the size its header gave, hashed into ctx
 * as it goes, counted in *got. Returns 0, 1 when the source failed part-way (the header
 * committed the tar to its size), -1 when the archive failed.
 */
static int
arc_member_data(struct arc_wr *w, struct archive *a, struct arc_member *m,
    int fd, const char *ename, hash_ctx *ctx, uint64_t *got)
{
	uint64_t	left;
	ssize_t		n;
	la_ssize_t	wn;

	*got = 0;
	hash_init(ctx);
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	for (left = (uint64_t)m->st.st_size; left > 0; left -= (uint64_t)n) {
		n = fsx_read(fd, w->buf, left < GZ_BUFSIZE ? left : GZ_BUFSIZE);
		if (n <= 0) {
			if (n == -1)
				arc_member_fail(m, "read error after %ju "
				    "bytes: %s", (uintmax_t)*got,
				    strerror(errno));
			else
				arc_member_fail(m, "shrank from %jd to %ju "
				    "bytes while being archived",
				    (intmax_t)m->st.st_size, (uintmax_t)*got);
			return 1;
		}
		hash_update(ctx, w->buf, (size_t)n);
		wn = archive_write_data(a, w->buf, (size_t)n);
		if (wn != n) {
			arc_la_check(w, a, wn < 0 ? (int)wn : ARCHIVE_FATAL,
			    ename);
			return -1;
		}
		*got += (uint64_t)n;
		w->done += (uint64_t)n;
		arc_progress(w, false);
	}
	return 0;
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
	struct stat		 st;
	char			*ename;
	hash_ctx		 ctx;
	uint64_t		 got;
	int			 fd, rc;

	if ((fd = fsx_open_read(m->dirfd, m->file, &m->st)) == -1) {
		arc_member_fail(m, "%s", arc_open_why(errno, &m->st));
		return 0;
	}
	ename = esc_human_dup(m->name);
	if ((rc = arc_member_header(w, a, m, ename)) != 0 ||
	    (rc = arc_member_data(w, a, m, fd, ename, &ctx, &got)) != 0)
		goto out;
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
		out.engine = gzb_new(pool_threads());
		if ((out.gz = gzb_open(out.engine, fd, &go)) == NULL) {
			xasprintf(&w->fatal, "gzip level %d: %s", w->o->level,
			    strerror(errno));
			gzb_free(out.engine);
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
	if (rc == 0 && (out.gz != NULL ? gzb_finish(out.gz) :
	    arc_out_flush(&out)) == -1) {
		xasprintf(&w->fatal, "write: %s", strerror(errno));
		rc = -1;
	}
	arc_progress(w, true);
out:
	archive_write_free(a);
	arc_locale_leave(loc);
	gzb_stream_free(out.gz);
	gzb_free(out.engine);
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
		w->pre_buf[worker] = xmalloc(GZ_READ_WHOLE);
	hash_init(&raw);
	r = gz_reader_new(fd);
	gz_reader_hash_raw(r, &raw);
	while ((n = gz_reader_read(r, w->pre_buf[worker], GZ_READ_WHOLE)) > 0)
		if (atomic_load(&w->pre_stop))
			break;
	if (n == 0) {
		/* 0 is the verified end: every byte of the file was read */
		w->pre[i].size = gz_reader_in(r);
		hash_final(&raw, w->pre[i].sha256);
		w->pre[i].ok = true;
	} else if (n < 0)
		xasprintf(&w->pre[i].bad, "cannot be inflated: %s",
		    gz_reader_error(r));
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
	char			 *problem;
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
	if ((problem = arc_reread(fd, w->o->gzip, exp, pre, n,
	    hash)) != NULL) {
		xasprintf(&w->fatal, "verification failed: %s", problem);
		free(problem);
		rc = -1;
	}
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

/* Resets what arc_write fills in; a member with an unsafe name fails here. */
static void
arc_members_reset(struct arc_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		m[i].ok = false;
		m[i].size = 0;
		free(m[i].error);
		m[i].error = NULL;
		if (!arc_member_name_safe(m[i].name))
			arc_member_fail(&m[i], "unsafe member name");
	}
}

static void
arc_wr_init(struct arc_wr *w, int dirfd, struct arc_member *m, size_t n,
    const struct arc_opts *o, struct report *rep)
{
	struct stat	st;
	size_t		i;

	memset(w, 0, sizeof *w);
	w->dirfd = dirfd;
	w->m = m;
	w->n = n;
	w->o = o;
	w->rep = rep;
	w->in = xcalloc(n, sizeof *w->in);
	w->buf = xmalloc(GZ_BUFSIZE);
	for (i = 0; i < n; i++)
		if (m[i].error == NULL &&
		    fsx_fstatat(m[i].dirfd, m[i].file, &st) == 0)
			w->total += (uint64_t)st.st_size;
	clock_gettime(CLOCK_MONOTONIC, &w->last);
	arc_progress(w, true);
}

static void
arc_wr_free(struct arc_wr *w)
{
	size_t i;

	arc_ids_free(&w->users);
	arc_ids_free(&w->groups);
	for (i = 0; w->pre != NULL && i < w->n; i++)
		free(w->pre[i].bad);
	free(w->pre);
	free(w->fatal);
	free(w->in);
	free(w->buf);
}

/* tmp emptied for another attempt: a new file, as the first one was made. */
static int
arc_write_tar_new(struct arc_wr *w, int *fd, const char *tmp)
{
	const struct arc_opts *o = w->o;

	fsx_close(*fd);
	(void)fsx_unlink(w->dirfd, tmp);
	if ((*fd = fsx_create(w->dirfd, tmp, o->mode, o->uid, o->gid)) == -1) {
		xasprintf(&w->fatal, "cannot create %s: %s", tmp,
		    strerror(errno));
		return 1;
	}
	return 0;
}

/* arc_write_tar until no member fails part-way (each fails only once). */
static int
arc_write_tar_retry(struct arc_wr *w, int *fd, const char *tmp,
    const char *tarname)
{
	int rc;

	while ((rc = arc_write_tar(w, *fd, tarname)) == 1)
		if (arc_write_tar_new(w, fd, tmp) != 0)
			break;
	return rc;
}

/* Members whose source the checkers read whole and could not inflate. */
static bool
arc_precheck_reject(struct arc_wr *w)
{
	size_t	i;
	bool	any = false;

	for (i = 0; w->pre != NULL && i < w->n; i++)
		if (w->pre[i].bad != NULL && w->m[i].error == NULL) {
			arc_member_fail(&w->m[i], "%s", w->pre[i].bad);
			any = true;
		}
	return any;
}

/*
 * The tar into the temporary tmp (open as *fd), with the .gz checks beside
 * it. Each member failing part-way costs one attempt, on a new *fd; a
 * member that failed once is never tried again, so this ends. Returns as
 * arc_write_tar, 1 when no new temporary could be made.
 */
static int
arc_write_attempts(struct arc_wr *w, int *fd, const char *tmp,
    const char *name)
{
	const struct arc_opts	*o = w->o;
	char			*tarname = xstrdup(name);
	int			 rc;
	bool			 again;

	if (o->gzip)
		tarname[strlen(tarname) - 3] = '\0';	/* gunzip -N gives it */
	arc_precheck_start(w);
	rc = arc_write_tar_retry(w, fd, tmp, tarname);
	arc_precheck_wait(w, rc != 0);
	/*
	 * A source that does not inflate (a corrupt generation, a foreign
	 * file named .gz) would fail the whole archive's check: it is left
	 * out and stays in the tree, and the tar is written again without
	 * it, so that one bad file holds back no other (and the checks
	 * already made of the rest still count).
	 */
	again = rc == 0 && arc_precheck_reject(w);
	if (again && (rc = arc_write_tar_new(w, fd, tmp)) == 0)
		rc = arc_write_tar_retry(w, fd, tmp, tarname);
	free(tarname);
	return rc;
}

/* Reported once, here: the members' errors are their own only. */
static void
arc_write_failed(struct arc_wr *w, int fd, const char *tmp, const char *name)
{
	char *path = NULL;

	if (fd != -1)
		fsx_close(fd);
	if (tmp != NULL)
		(void)fsx_unlink(w->dirfd, tmp);
	/* named by its path: archive_dir is what an operator must fix */
	if (w->o->dir != NULL && name != NULL)
		xasprintf(&path, "%s/%s", w->o->dir, name);
	report_error(w->rep, path != NULL ? path : name,
	    "archive not written: %s",
	    w->fatal != NULL ? w->fatal : "unknown error");
	free(path);
}

/*
 * The whole life of one archive, as steps (arc.h says what it returns);
 * all share one clean-up path.
 */
int
arc_write(int dirfd, struct arc_member *m, size_t n,
    const struct arc_opts *o, struct report *rep, char **final_name)
{
	struct arc_wr	 w;
	char		*name = NULL, *tmp = NULL;
	uint8_t		 hash[HASH_LEN];
	size_t		 i, count = 0;
	int		 fd = -1, seq, rc;

	*final_name = NULL;
	arc_members_reset(m, n);
	if (n == 0)
		return 0;
	arc_wr_init(&w, dirfd, m, n, o, rep);
	/* Step 0: libarchive, loaded now if this is the first archive. */
	if (arc_dl_load(&w.fatal) == -1)
		goto fail;

	/* Step 1: a free name and its temporary. */
	fd = arc_create_tmp(&w, &seq, &name, &tmp);
	w.display = name;
	if (fd == -1)
		goto fail;
	/* Step 2: the tar. */
	rc = arc_write_attempts(&w, &fd, tmp, name);
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
	arc_write_failed(&w, fd, tmp, name);
	rc = -1;
out:
	arc_wr_free(&w);
	free(name);
	free(tmp);
	return rc;
}
