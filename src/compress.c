/*
 * Compression of plain generations, in-process with zlib, on every core:
 * one job per file, largest first so the longest one starts at once. A
 * generation still open for writing (a script holding the old log's fd) is
 * left plain and compressed by a later run: its bytes would otherwise go to
 * an unlinked file. Each .gz is written under a temporary name, made durable
 * (fsync, or one syncfs for many files), renamed into place, and only then
 * is the plain file removed.
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
#include "conf.h"
#include "fsx.h"
#include "gz.h"
#include "hash.h"
#include "pool.h"
#include "report.h"
#include "rotate.h"
#include "xmalloc.h"

#define CZ_WRITER_WAIT_MS	2000	/* for a ">>" writer to finish its line */
#define CZ_POLL_MS		20
#define CZ_MAX_ROUNDS		64	/* tails read before giving up */
#define CZ_FSYNC_MAX		32

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
};

static void	 cz_job_run(struct cz_job *);

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
 * One generation: wait until no one writes to it, compress to the temporary
 * name, and read again whatever was appended meanwhile until the size is
 * stable with no writer left.
 */
static void
cz_job_run(struct cz_job *j)
{
	struct gz_writer	*w = NULL;
	struct gz_opts		 o;
	struct timespec		 ts[2];
	struct stat		 st;
	uint64_t		 n;
	int			 fd, round;

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
	if ((w = gz_writer_new(j->out_fd, &o)) == NULL) {
		cz_fail(j, "zlib init");
		goto fail;
	}
	for (round = 0;; round++) {
		if (gz_writer_copy(w, fd, &n) == -1) {
			cz_fail(j, "compress");
			goto fail;
		}
		j->in = gz_writer_in(w);
		if (fsx_fstat(fd, &st) == -1) {
			cz_fail(j, "fstat");
			goto fail;
		}
		if ((uint64_t)st.st_size > j->in && round < CZ_MAX_ROUNDS)
			continue;	/* a late writer's tail */
		if (!cz_wait_writers(fd) || round >= CZ_MAX_ROUNDS) {
			j->status = CZ_BUSY;
			goto fail;
		}
		if (fsx_fstat(fd, &st) == -1) {
			cz_fail(j, "fstat");
			goto fail;
		}
		if ((uint64_t)st.st_size == j->in)
			break;
	}
	if (gz_writer_finish(w) == -1) {
		cz_fail(j, "compress");
		goto fail;
	}
	j->out = gz_writer_out(w);
	gz_writer_free(w);
	w = NULL;
	/* As gzip does: the .gz keeps the plain file's times. */
	ts[0] = st.st_atim;
	ts[1] = st.st_mtim;
	(void)fsx_futimens(j->out_fd, ts);
	j->src_st = st;
	close(fd);
	if (!j->keep_fd) {
		if (close(j->out_fd) == -1) {
			j->out_fd = -1;
			cz_fail(j, "close");
			(void)fsx_unlink(j->dirfd, j->tmp);
			return;
		}
		j->out_fd = -1;
	}
	j->status = CZ_OK;
	return;
fail:
	gz_writer_free(w);
	close(fd);
	if (j->out_fd >= 0)
		close(j->out_fd);
	j->out_fd = -1;
	if (j->tmp != NULL)
		(void)fsx_unlink(j->dirfd, j->tmp);
}

static void
cz_job_fn(void *arg, size_t i)
{
	cz_job_run(&((struct cz_job *)arg)[i]);
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
			    l->gens[k + 1].gn.form == g->gn.form &&
			    l->gens[k + 1].gn.num == g->gn.num &&
			    strcmp(l->gens[k + 1].gn.tag, g->gn.tag) == 0)
				continue;	/* an unresolved pair */
			jobs = xreallocarray(jobs, n + 1, sizeof *jobs);
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
	for (i = 0; i < n; i++) {
		jobs[i].keep_fd = n <= CZ_FSYNC_MAX;
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

/*
 * After the workers: data durable, then each .gz renamed into place (only if
 * its source is still exactly what was compressed), directories synced, and
 * only then the plain files removed.
 */
static void
cz_publish(struct rot_run *r, struct cz_job *jobs, size_t n)
{
	struct stat	 st;
	size_t		 i, nok = 0;
	int		*fds, rc;

	fds = xreallocarray(NULL, n ? n : 1, sizeof *fds);
	for (i = 0; i < n; i++) {
		fds[i] = jobs[i].status == CZ_OK ? jobs[i].out_fd : -1;
		nok += jobs[i].status == CZ_OK;
	}
	errno = 0;
	rc = nok > CZ_FSYNC_MAX ? fsx_syncfs(r->scan.tree.rootfd) :
	    rot_barrier(r, fds, n);
	for (i = 0; i < n; i++) {
		struct cz_job *j = &jobs[i];

		if (j->out_fd >= 0 && close(j->out_fd) == -1 && rc == 0 &&
		    j->status == CZ_OK) {
			j->status = CZ_FAIL;
			j->what = "close";
			j->err = errno;
		}
		j->out_fd = -1;
		if (j->status != CZ_OK)
			continue;
		if (rc == -1) {
			j->status = CZ_FAIL;
			j->what = "sync";
			j->err = errno;
		} else if (fsx_fstatat(j->dirfd, j->src, &st) == -1 ||
		    st.st_ino != j->src_st.st_ino ||
		    st.st_size != j->src_st.st_size) {
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
	free(fds);
	rot_sync_dirs(r);
	for (i = 0; i < n; i++) {
		struct cz_job *j = &jobs[i];

		if (j->published && fsx_unlink(j->dirfd, j->src) == -1) {
			char *rel = tree_join(j->log->dirrel, j->src);

			report_error(r->ctx->rep, rel, "compressed, but the "
			    "plain copy cannot be removed: %s (the next run "
			    "removes it once it checks the .gz)",
			    strerror(errno));
			free(rel);
		}
	}
	rot_sync_dirs(r);
}

void
cz_compress(struct rot_run *r)
{
	struct cz_job	*jobs;
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
		pool_run(n, r->nthreads, cz_job_fn, jobs);
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

/*
 * SHA-256 of a file read from its current offset, and of its first
 * `prefix` bytes (zeroes when the file is shorter; UINT64_MAX: not wanted).
 */
int
cz_hash_fd(int fd, uint64_t prefix, uint64_t *size, uint8_t *all,
    uint8_t *head)
{
	hash_ctx	 c, h;
	char		*buf = xmalloc(GZ_BUFSIZE);
	uint64_t	 done = 0;
	ssize_t		 n;
	bool		 head_done = false;

	hash_init(&c);
	for (;;) {
		if (!head_done && done == prefix && head != NULL) {
			h = c;
			hash_final(&h, head);
			head_done = true;
		}
		n = fsx_read(fd, buf, !head_done && prefix - done < GZ_BUFSIZE ?
		    (size_t)(prefix - done) : GZ_BUFSIZE);
		if (n <= 0)
			break;
		hash_update(&c, buf, (size_t)n);
		done += (uint64_t)n;
	}
	free(buf);
	if (n < 0)
		return -1;
	hash_final(&c, all);
	*size = done;
	if (!head_done && head != NULL)
		memset(head, 0, HASH_LEN);
	return 0;
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
	    cz_hash_fd(fd, gok == 0 ? gsize : UINT64_MAX, &psize, psha,
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

			if (a->gn.gz || !b->gn.gz || a->gn.form != b->gn.form ||
			    a->gn.num != b->gn.num ||
			    strcmp(a->gn.tag, b->gn.tag) != 0 ||
			    a->refused != NULL || b->refused != NULL)
				continue;
			cz_resolve(r, l, a, b);
			any = true;
		}
	}
	if (any && !r->ctx->dry_run) {
		rot_sync_dirs(r);
		scan_refresh(&r->scan, r->ctx->rep);
	}
}
