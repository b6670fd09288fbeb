/*
 * Compression of plain generations, in-process, on every core: one job per
 * file, largest first so the longest one starts at once, each job's file
 * cut into blocks that the block engine (gzb.c) compresses on every core,
 * so that one big log does not leave the other cores idle. A
 * generation still open for writing (a script holding the old log's fd) is
 * left plain and compressed by a later run: its bytes would otherwise go to
 * an unlinked file. Each .gz is written under a temporary name, made durable
 * (fsync, or one syncfs for many files), renamed into place, and only then
 * is the plain file removed. With few files, a worker publishes its own as
 * soon as it is done, so that the fsyncs and removals of the first ones
 * overlap the compression of the others.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "compress.h"
#include "conf.h"
#include "fsx.h"
#include "gz.h"
#include "gzb.h"
#include "hash.h"
#include "pool.h"
#include "report.h"
#include "run.h"
#include "xmalloc.h"

#define CZ_WRITER_WAIT_MS	2000	/* for a ">>" writer to finish its line */
#define CZ_POLL_MS		20
#define CZ_MAX_ROUNDS		64	/* tails read before giving up */
/*
 * Freeing a big file's blocks takes its unlink a while (half a second a
 * GiB on ext4 with discard), all of it waiting on the disk: from this size
 * on, the name is removed at once and the last close, which frees the
 * blocks, is left to a thread of its own.
 */
#define CZ_REAP_MIN		(16 << 20)

enum cz_status {
	CZ_OK,
	CZ_BUSY,	/* a writer still has it open */
	CZ_FAIL,
};

struct cz_job {
	struct log	*log;
	char		*src;		/* the plain generation */
	char		*dst;		/* its .gz name */
	char		*tmp;		/* where the .gz is written */
	int		 dirfd;
	int		 level;
	mode_t		 mode;
	uid_t		 uid;
	gid_t		 gid;
	bool		 keep_fd;	/* fsync it later, else syncfs */

	enum cz_status	 status;
	const char	*what;		/* the step that failed */
	int		 err;
	uint64_t	 in;
	uint64_t	 out;
	struct stat	 src_st;	/* the source, as compressed */
	int		 out_fd;
	bool		 published;
	const char	*kept;		/* published, but the plain file stays:
					   the step that failed */
	int		 kept_err;
};

/* One pass of the workers: the jobs, and the engine they feed. */
struct cz_pass {
	struct cz_job		 *jobs;
	struct gzb		 *engine;
	struct run_reaper	 *reaper;	/* or NULL: close at once */
	struct report_progress	  progress;
};

static void	 cz_job_run(struct cz_job *, struct gzb *,
		    struct run_reaper *);
static void	 cz_publish_one(struct cz_job *, int, struct run_reaper *);

static void
cz_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Waits a little for writers to close the file; false when one stays. */
static bool
cz_wait_writers(int fd)
{
	int waited, rc;

	for (waited = 0;; waited += CZ_POLL_MS) {
		rc = fsx_writers_absent(fd);
		if (rc != 0)
			return true;	/* none, or no way to tell */
		if (waited >= CZ_WRITER_WAIT_MS)
			return false;
		cz_sleep_ms(CZ_POLL_MS);
	}
}

static void
cz_fail(struct cz_job *j, const char *what)
{
	j->status = CZ_FAIL;
	j->what = what;
	j->err = errno ? errno : EIO;
}

/*
 * Compresses the source, and again whatever a late writer appends, until
 * its size is stable with no writer left. 0 with *st the source as
 * compressed; -1 with j->status set (a writer stays: CZ_BUSY).
 */
static int
cz_copy_stable(struct cz_job *j, struct gzb_stream *w, int fd,
    struct stat *st)
{
	uint64_t	n;
	int		round;

	for (round = 0;; round++) {
		if (gzb_copy(w, fd, &n) == -1) {
			cz_fail(j, "compress");
			return -1;
		}
		j->in = gzb_in(w);
		if (fsx_fstat(fd, st) == -1) {
			cz_fail(j, "fstat");
			return -1;
		}
		if ((uint64_t)st->st_size > j->in && round < CZ_MAX_ROUNDS)
			continue;	/* a late writer's tail */
		if (!cz_wait_writers(fd) || round >= CZ_MAX_ROUNDS) {
			j->status = CZ_BUSY;
			return -1;
		}
		if (fsx_fstat(fd, st) == -1) {
			cz_fail(j, "fstat");
			return -1;
		}
		if ((uint64_t)st->st_size == j->in)
			return 0;
	}
}

/*
 * One generation: wait until no one writes to it, compress to the temporary
 * name, and read again whatever was appended meanwhile until the size is
 * stable with no writer left.
 */
static void
cz_job_run(struct cz_job *j, struct gzb *e, struct run_reaper *rp)
{
	struct gzb_stream	*w;
	struct gz_opts		 o;
	struct timespec		 ts[2];
	struct stat		 st;
	int			 fd;

	j->out_fd = -1;
	if ((fd = fsx_open_read(j->dirfd, j->src, &st)) == -1) {
		cz_fail(j, "open");
		return;
	}
	if (!cz_wait_writers(fd)) {
		j->status = CZ_BUSY;
		close(fd);
		return;
	}
	free(j->tmp);
	if ((j->out_fd = fsx_create_tmp(j->dirfd, j->dst, j->mode, j->uid,
	    j->gid, &j->tmp)) == -1) {
		cz_fail(j, "create");
		close(fd);
		return;
	}
	o.level = j->level;
	o.name = j->src;
	o.mtime = st.st_mtime;
	if ((w = gzb_open(e, j->out_fd, &o)) == NULL) {
		cz_fail(j, "compressor");
		goto fail;
	}
	if (cz_copy_stable(j, w, fd, &st) == -1) {
		gzb_stream_free(w);
		goto fail;
	}
	if (gzb_finish(w) == -1) {
		cz_fail(j, "compress");
		gzb_stream_free(w);
		goto fail;
	}
	j->out = gzb_out(w);
	gzb_stream_free(w);
	/* As gzip does: the .gz keeps the plain file's times. */
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	(void)fsx_futimens(j->out_fd, ts);
	j->src_st = st;
	j->status = CZ_OK;
	if (j->keep_fd) {
		cz_publish_one(j, fd, rp);
		return;
	}
	close(fd);
	if (close(j->out_fd) == -1) {
		j->out_fd = -1;
		cz_fail(j, "close");
		(void)fsx_unlink(j->dirfd, j->tmp);
		return;
	}
	j->out_fd = -1;
	return;
fail:
	close(fd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	j->out_fd = -1;
	if (j->tmp != NULL)
		(void)fsx_unlink(j->dirfd, j->tmp);
}

/*
 * Whether the plain file is still the very file, at the very size, that was
 * compressed: only then may the .gz take its place.
 */
static bool
cz_src_unchanged(const struct cz_job *j)
{
	struct stat st;

	return fsx_fstatat(j->dirfd, j->src, &st) == 0 &&
	    st.st_ino == j->src_st.st_ino && st.st_dev == j->src_st.st_dev &&
	    st.st_size == j->src_st.st_size;
}

/*
 * A worker's own publication of its .gz (few files): data durable, renamed
 * into place only if the source is still exactly what was compressed, the
 * name durable, and only then the plain file removed. fd is the source,
 * still open: a big one's name goes at once and its blocks with the close,
 * in the background. The directory is synced again after the pool.
 */
static void
cz_publish_one(struct cz_job *j, int fd, struct run_reaper *rp)
{
	int		rc;

	if (fsx_fsync(j->out_fd) == -1) {
		cz_fail(j, "sync");
		(void)close(j->out_fd);
		j->out_fd = -1;
		goto drop;
	}
	rc = close(j->out_fd);
	j->out_fd = -1;
	if (rc == -1) {
		cz_fail(j, "close");
		goto drop;
	}
	if (!cz_src_unchanged(j)) {
		j->status = CZ_BUSY;	/* changed: try again later */
		goto drop;
	}
	if (fsx_rename_noreplace(j->dirfd, j->tmp, j->dirfd, j->dst) == -1) {
		cz_fail(j, "rename");
		goto drop;
	}
	j->published = true;
	if (fsx_fsync(j->dirfd) == -1) {
		/* the .gz may not survive a crash yet: the plain copy stays */
		j->kept = "fsync of the directory";
		j->kept_err = errno;
		close(fd);
		return;
	}
	if (fsx_unlink(j->dirfd, j->src) == -1) {
		j->kept = "unlink";
		j->kept_err = errno;
		close(fd);
		return;
	}
	if (rp != NULL && j->src_st.st_size >= CZ_REAP_MIN)
		run_close_later(rp, fd);
	else
		close(fd);
	return;
drop:
	close(fd);
	(void)fsx_unlink(j->dirfd, j->tmp);
}

static void
cz_job_fn(void *arg, size_t i, int worker)
{
	struct cz_pass *p = arg;

	cz_job_run(&p->jobs[i], p->engine, p->reaper);
	report_progress_add(&p->progress, p->jobs[i].in, 1);
}

/* Largest first: the longest job starts at once, the small ones fill in. */
static int
cz_size_cmp(const void *a, const void *b)
{
	const struct cz_job *x = a, *y = b;

	return x->in < y->in ? 1 : x->in > y->in ? -1 : 0;
}

/* The plain generations that should be gzipped now. */
static struct cz_job *
cz_collect(struct rot_run *r, size_t *np)
{
	const struct evm_config	*cfg = r->ctx->cfg;
	struct cz_job		*jobs = NULL, *j;
	size_t			 n = 0, i, k;

	for (i = 0; i < r->scan.nlogs; i++) {
		struct log *l = &r->scan.logs[i];
		enum gen_form cur = l->opts->dateext ? GEN_DATE : GEN_NUM;

		if (!l->opts->compress || l->refused != NULL || l->dir == NULL)
			continue;
		for (k = 0; k < l->ngens; k++) {
			struct gen *g = &l->gens[k];

			if (g->gn.gz || g->refused != NULL)
				continue;
			if (k == 0 && l->opts->delaycompress &&
			    g->gn.form == cur)
				continue;
			if (k + 1 < l->ngens && l->gens[k + 1].gn.gz &&
			    run_same_slot(&l->gens[k + 1], g))
				continue;	/* an unresolved pair */
			jobs = xgrowarray(jobs, n + 1, sizeof *jobs);
			j = &jobs[n++];
			memset(j, 0, sizeof *j);
			j->log = l;
			j->src = xstrdup(g->name);
			xasprintf(&j->dst, "%s.gz", g->name);
			j->tmp = NULL;	/* chosen when created */
			j->dirfd = l->dir->fd;
			j->level = l->opts->compress_level;
			j->mode = cfg->mode;
			j->uid = cfg->uid;
			j->gid = cfg->gid;
			j->in = (uint64_t)g->st.st_size;	/* for sorting */
			j->out_fd = -1;
		}
	}
	if (n > 1)
		qsort(jobs, n, sizeof *jobs, cz_size_cmp);
	/* no spare room: 10,000 jobs grow the array to 16,384 */
	if (n > 0)
		jobs = xreallocarray(jobs, n, sizeof *jobs);
	for (i = 0; i < n; i++) {
		jobs[i].keep_fd = n <= RUN_FSYNC_MAX;
		jobs[i].in = 0;
	}
	*np = n;
	return jobs;
}

static void
cz_report(struct rot_run *r, struct cz_job *j)
{
	char	*rel = tree_join(j->log->dirrel, j->src), a[32], b[32];

	switch (j->status) {
	case CZ_OK:
		if (!j->published)
			break;
		report_size(a, sizeof a, (int64_t)j->in);
		report_size(b, sizeof b, (int64_t)j->out);
		report_action(r->ctx->rep, "compress", rel, (int64_t)j->in,
		    (int64_t)j->out, "%s -> %s (%s)", a, b, j->dst);
		break;
	case CZ_BUSY:
		report_warn(r->ctx->rep, rel, "still open for writing by "
		    "another process: left uncompressed, a later run "
		    "compresses it");
		break;
	case CZ_FAIL:
		report_error(r->ctx->rep, rel, "not compressed (%s: %s); it "
		    "stays whole and uncompressed, the next run tries again",
		    j->what, strerror(j->err));
		break;
	}
	free(rel);
}

/* The plain copies that stay beside their published .gz, reported. */
static void
cz_report_kept(struct rot_run *r, struct cz_job *jobs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct cz_job *j = &jobs[i];
		char *rel;

		if (!j->published || j->kept == NULL)
			continue;
		rel = tree_join(j->log->dirrel, j->src);
		report_error(r->ctx->rep, rel, "compressed, but the plain copy "
		    "cannot be removed (%s: %s); the next run removes it once "
		    "it checks the .gz", j->kept, strerror(j->kept_err));
		free(rel);
	}
}

/*
 * After the workers. Few files: each worker has published its own, only
 * the directories' fsync for the removals is left. Many: data made durable
 * by one syncfs, then each .gz renamed into place (only if its source is
 * still exactly what was compressed), directories synced, and only then
 * the plain files removed.
 */
static void
cz_publish(struct rot_run *r, struct cz_job *jobs, size_t n)
{
	size_t		 i, nok = 0;
	int		 rc;

	for (i = 0; i < n && jobs[0].keep_fd; i++)
		if (jobs[i].published) {
			jobs[i].log->dir->touched = true;
			jobs[i].log->touched = true;
		}
	if (n > 0 && jobs[0].keep_fd) {
		run_sync_dirs(r);
		cz_report_kept(r, jobs, n);
		return;
	}
	for (i = 0; i < n; i++)
		nok += jobs[i].status == CZ_OK;
	errno = 0;
	rc = nok > 0 ? fsx_syncfs(r->scan.tree.rootfd) : 0;
	for (i = 0; i < n; i++) {
		struct cz_job *j = &jobs[i];

		if (j->status != CZ_OK)
			continue;
		if (rc == -1) {
			j->status = CZ_FAIL;
			j->what = "sync";
			j->err = errno;
		} else if (!cz_src_unchanged(j)) {
			j->status = CZ_BUSY;	/* changed: try again later */
		} else if (fsx_rename_noreplace(j->dirfd, j->tmp, j->dirfd,
		    j->dst) == -1) {
			j->status = CZ_FAIL;
			j->what = "rename";
			j->err = errno;
		} else {
			j->published = true;
			j->log->dir->touched = true;
			j->log->touched = true;
			continue;
		}
		(void)fsx_unlink(j->dirfd, j->tmp);
	}
	run_sync_dirs(r);
	for (i = 0; i < n; i++) {
		struct cz_job *j = &jobs[i];

		if (j->published && fsx_unlink(j->dirfd, j->src) == -1) {
			j->kept = "unlink";
			j->kept_err = errno;
		}
	}
	run_sync_dirs(r);
	cz_report_kept(r, jobs, n);
}

void
cz_compress(struct rot_run *r)
{
	struct cz_pass	 pass;
	struct cz_job	*jobs;
	struct stat	 st;
	uint64_t	 total = 0;
	size_t		 n, i;

	jobs = cz_collect(r, &n);
	if (n == 0) {
		free(jobs);
		return;
	}
	if (r->ctx->dry_run) {
		for (i = 0; i < n; i++) {
			char *rel = tree_join(jobs[i].log->dirrel, jobs[i].src);

			report_action(r->ctx->rep, "compress", rel, -1, -1, "-> %s",
			    jobs[i].dst);
			free(rel);
		}
	} else {
		/* A broken lease must not kill us: leases only probe here. */
		signal(SIGIO, SIG_IGN);
		pass.jobs = jobs;
		pass.engine = gzb_new(r->nthreads);
		/* one thread asked for: one thread, one order of calls */
		pass.reaper = r->nthreads > 1 ? run_reaper(r) : NULL;
		for (i = 0; i < n; i++)
			if (fsx_fstatat(jobs[i].dirfd, jobs[i].src, &st) == 0)
				total += (uint64_t)st.st_size;
		report_progress_start(&pass.progress, r->ctx->rep,
		    "compressing", total, n);
		(void)pool_run_w(n, r->nthreads, cz_job_fn, &pass);
		report_progress_end(&pass.progress);
		gzb_free(pass.engine);
		cz_publish(r, jobs, n);
		for (i = 0; i < n; i++)
			cz_report(r, &jobs[i]);
		scan_refresh(&r->scan, r->ctx->rep);
	}
	for (i = 0; i < n; i++) {
		free(jobs[i].src);
		free(jobs[i].dst);
		free(jobs[i].tmp);
	}
	free(jobs);
}

/* Settles one plain/.gz pair of the same generation (an interrupted run). */
static void
cz_resolve(struct rot_run *r, struct log *l, struct gen *plain,
    struct gen *gz)
{
	struct stat	 st;
	uint8_t		 gsha[HASH_LEN], psha[HASH_LEN], hsha[HASH_LEN];
	uint64_t	 gsize = 0, psize;
	char		 err[160], *prel, *grel;
	const char	*victim = NULL, *why = NULL;
	int		 fd, gok;

	prel = tree_join(l->dirrel, plain->name);
	grel = tree_join(l->dirrel, gz->name);
	if ((fd = fsx_open_read(l->dir->fd, gz->name, &st)) == -1) {
		report_error(r->ctx->rep, grel, "%s", strerror(errno));
		goto out;
	}
	gok = gz_verify_fd(fd, &gsize, gsha, err, sizeof err);
	close(fd);
	if ((fd = fsx_open_read(l->dir->fd, plain->name, &st)) == -1 ||
	    hash_fd(fd, gok == 0 ? gsize : UINT64_MAX, &psize, psha,
	    hsha) == -1) {
		report_error(r->ctx->rep, prel, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	close(fd);
	if (gok != 0) {
		victim = gz->name;
		why = "unfinished compression (corrupt); the plain copy is kept "
		    "and compressed again";
	} else if (gsize == psize && memcmp(gsha, psha, HASH_LEN) == 0) {
		victim = plain->name;
		why = "its compressed copy was complete and verified";
	} else if (gsize < psize && memcmp(gsha, hsha, HASH_LEN) == 0) {
		victim = gz->name;
		why = "held only the start of the plain copy; compressed again";
	} else {
		report_error(r->ctx->rep, prel, "and %s hold different data: "
		    "both left alone for a person to sort out", gz->name);
		goto out;
	}
	if (!r->ctx->dry_run && fsx_unlink(l->dir->fd, victim) == -1) {
		report_error(r->ctx->rep, victim == plain->name ? prel : grel,
		    "cannot remove: %s", strerror(errno));
		goto out;
	}
	report_action(r->ctx->rep, "remove", victim == plain->name ? prel :
	    grel, -1, -1, "%s", why);
	l->dir->touched = true;
	l->touched = true;
out:
	free(prel);
	free(grel);
}

void
cz_resolve_dups(struct rot_run *r)
{
	size_t	i, k;
	bool	any = false;

	for (i = 0; i < r->scan.nlogs; i++) {
		struct log *l = &r->scan.logs[i];

		if (l->refused != NULL || l->dir == NULL)
			continue;
		for (k = 0; k + 1 < l->ngens; k++) {
			struct gen *a = &l->gens[k], *b = &l->gens[k + 1];

			if (a->gn.gz || !b->gn.gz || !run_same_slot(a, b) ||
			    a->refused != NULL || b->refused != NULL)
				continue;
			cz_resolve(r, l, a, b);
			any = true;
		}
	}
	if (any && !r->ctx->dry_run) {
		run_sync_dirs(r);
		scan_refresh(&r->scan, r->ctx->rep);
	}
}
