/*
 * Recovery: what an interrupted run left in the journal is finished before
 * anything else, through the public entry points of the parts below
 * (rotate.c replays a log's renames, expire.c removes the sources of a
 * published archive). First it asks: is every step one rotation wrote for
 * a log of this tree (else the journal is set aside, unreplayed), and, for
 * a tree copied or restored to its path (new inodes, same names), which of
 * the steps the copy shows done, so that the replay's inode checks hold
 * against the files now there.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "esc.h"
#include "fsx.h"
#include "journal.h"
#include "report.h"
#include "expire.h"
#include "recover.h"
#include "rotate.h"
#include "run.h"
#include "tree.h"
#include "xmalloc.h"

/* Beyond this many shift steps a copy's progress is not worked out. */
#define REC_SHIFT_MAX	4096

static bool	rec_is_log(void *, const char *, bool *);
static struct tree_dir *rec_dir(struct rot_run *, const char *);
static bool	rec_stat(int, const char *, struct stat *);
static int	rec_progress(int, const struct jr_log *, size_t *, char **);
static int	rec_rebase_log(struct rot_run *, struct jr_log *, char **);
static int	rec_validate(struct rot_run *, const struct journal *, int *,
		    char **);
static int	rec_rebase(struct rot_run *, struct journal *, char **);
static bool	rec_reused(int, const struct jr_log *, const struct timespec *);
static int	rec_rebase_restored(struct rot_run *, struct journal *,
		    char **);
static int	rec_reject(struct rot_run *, const char *);
static bool	rec_root_elsewhere(struct rot_run *, const struct journal *);

static bool
rec_is_log(void *arg, const char *rel, bool *dateext)
{
	struct rot_run	*r = arg;
	struct log	*l = scan_find(&r->scan, rel);

	if (l == NULL)
		return false;
	*dateext = l->opts->dateext;
	return true;
}

/*
 * 0 when the journal may be replayed, with *published saying whether its
 * archive was published whole (its sources may go); -1 and *why if not;
 * -2 and *why when its archive cannot be checked now (the journal is
 * kept for a run that can).
 */
static int
rec_validate(struct rot_run *r, const struct journal *j, int *published,
    char **why)
{
	struct jr_tree jt = { rec_is_log, r };

	*published = 0;
	if (journal_check(j, &jt, why) == -1)
		return -1;
	if ((*published = ex_recover_check(r, j, why)) < 0)
		return *published;
	return 0;
}

/*
 * A journal that is not replayed: moved aside (a dry run only says so),
 * reported with the reason and the name it now has. Always -1: this run
 * stops; the next one starts clean.
 */
static int
rec_reject(struct rot_run *r, const char *why)
{
	const char	*sf = r->ctx->cfg->state_file;
	char		*ewhy, *aside = NULL;

	ewhy = esc_human_dup(why);
	if (r->ctx->dry_run)
		report_error(r->ctx->rep, NULL, "%s.journal is not one rotation "
		    "wrote (%s): a real run sets it aside and replays none of "
		    "it", sf, ewhy);
	else if (journal_set_aside(r->statedir, r->journal_name, r->ctx->now,
	    &aside) == -1)
		report_error(r->ctx->rep, NULL, "%s.journal is not one rotation "
		    "wrote (%s), and cannot be set aside: %s; nothing is "
		    "rotated while it is there", sf, ewhy, strerror(errno));
	else
		report_error(r->ctx->rep, NULL, "%s.journal rejected, none of "
		    "it replayed: %s; set aside as %s%s", sf, ewhy, sf,
		    aside + strlen(r->state_name));
	free(aside);
	free(ewhy);
	return -1;
}

/*
 * Whether the journal's tree is still at the path it names, and that is
 * not this run's root (a --root or a config that moved): then running on
 * that path finishes it.
 */
static bool
rec_root_elsewhere(struct rot_run *r, const struct journal *j)
{
	struct stat	 st;
	char		*why;
	int		 fd;
	bool		 there;

	if (strcmp(j->root, r->scan.tree.root) == 0)
		return false;
	if ((fd = tree_open_trusted(j->root, NULL, r->ctx->cfg->uid, NULL,
	    &why)) == -1) {
		free(why);
		return false;
	}
	there = fsx_fstat(fd, &st) == 0 && st.st_dev == j->root_dev &&
	    st.st_ino == j->root_ino;
	close(fd);
	return there;
}

static struct tree_dir *
rec_dir(struct rot_run *r, const char *rel)
{
	struct tree_dir	*d;
	char		*dirrel = xstrdup(rel), *slash;

	slash = strrchr(dirrel, '/');
	d = tree_dir_get(&r->scan.tree, slash != NULL ? (*slash = '\0',
	    dirrel) : "");
	free(dirrel);
	return d;
}

static bool
rec_stat(int dirfd, const char *name, struct stat *st)
{
	return fsx_fstatat(dirfd, name, st) == 0;
}

/*
 * How many of a log's steps the copy shows done, from names alone (its
 * inodes are new). While the new empty file still has its temporary name,
 * the shift is under way: the last shift step whose source is gone and
 * whose target is there is the last one done, and every name of the shift
 * must then be where that says (a plain NAME.1, under delaycompress or
 * compress = no, is the shift's first source and then the new log's slot). Once it has left its temporary name, its
 * slot holding it still empty beside a live log that is not means the
 * exchange is still to do (and the whole shift done); anything else is a
 * finished rotation (generations compressed or archived since). -1 when
 * the names fit no point of the rotation.
 */
static int
rec_progress(int dirfd, const struct jr_log *jl, size_t *done, char **why)
{
	const struct jr_step	*s = jl->steps;
	struct stat		 pst, sst, lst;
	size_t			 m = jl->nsteps, ns = m - 2, k, i, l;
	bool			 want, slotted = false;

	if (!rec_stat(dirfd, s[m - 1].b, &lst)) {
		xasprintf(why, "log %s: missing", jl->rel);
		return -1;
	}
	if (!rec_stat(dirfd, s[m - 2].a, &pst)) {
		*done = rec_stat(dirfd, s[m - 2].b, &sst) && sst.st_size == 0 &&
		    lst.st_size > 0 ? m - 1 : m;
		if (*done == m)
			return 0;
		k = ns;		/* the shift is over, the exchange to do */
		slotted = true;	/* the new empty log has its slot's name */
	} else {
		for (k = ns; k > 0; k--)
			if (!rec_stat(dirfd, s[k - 1].a, &sst) &&
			    rec_stat(dirfd, s[k - 1].b, &sst))
				break;
		*done = k;
		/*
		 * The new empty log's slot may still hold the generation a
		 * step of the shift still to do moves on: a plain NAME.1
		 * (delaycompress, compress = no) before its move to NAME.2.
		 */
		for (i = k; i < ns && strcmp(s[i].a, s[m - 2].b) != 0; i++)
			;
		if (i == ns && rec_stat(dirfd, s[m - 2].b, &sst)) {
			xasprintf(why, "log %s: the new empty log and %s both "
			    "exist", jl->rel, s[m - 2].b);
			return -1;
		}
	}
	if (ns > REC_SHIFT_MAX) {
		xasprintf(why, "log %s: a shift of %zu generations", jl->rel, ns);
		return -1;
	}
	/* after k steps: A_i there for i >= k or refilled, B_i for i < k */
	for (i = 0; i < ns; i++) {
		want = i >= k || (slotted && strcmp(s[m - 2].b, s[i].a) == 0);
		for (l = 0; l < k && !want; l++)
			want = strcmp(s[l].b, s[i].a) == 0;
		if (rec_stat(dirfd, s[i].a, &sst) != want)
			goto nofit;
		want = i < k;
		for (l = k; l < ns && !want; l++)
			want = l != i && strcmp(s[l].a, s[i].b) == 0;
		if (rec_stat(dirfd, s[i].b, &sst) != want)
			goto nofit;
	}
	return 0;
nofit:
	xasprintf(why, "log %s: its generations are not where any point of "
	    "the interrupted rotation leaves them", jl->rel);
	return -1;
}

/* A log's steps given the inodes the copy's files have. */
static int
rec_rebase_log(struct rot_run *r, struct jr_log *jl, char **why)
{
	struct tree_dir	*d = rec_dir(r, jl->rel);
	struct jr_step	*s = jl->steps;
	struct stat	 st;
	const char	*prep;
	size_t		 m = jl->nsteps, k, i;

	if (d == NULL)
		return 0;	/* the replay reports it */
	if (rec_progress(d->fd, jl, &k, why) == -1)
		return -1;
	for (i = 0; i + 2 < m; i++)
		if (rec_stat(d->fd, i < k ? s[i].b : s[i].a, &st)) {
			s[i].dev = st.st_dev;
			s[i].ino = st.st_ino;
		}
	prep = k + 2 <= m ? s[m - 2].a : k + 1 == m ? s[m - 2].b : s[m - 1].b;
	if (!rec_stat(d->fd, prep, &st)) {
		xasprintf(why, "log %s: %s vanished", jl->rel, prep);
		return -1;
	}
	s[m - 2].dev = s[m - 1].dev = st.st_dev;
	s[m - 2].ino = s[m - 1].ino = st.st_ino;
	return 0;
}

/*
 * Each archived source gets the inode of the file now by its name: its
 * content is checked against the archive before it is removed anyway.
 */
static void
rec_rebase_members(struct rot_run *r, struct journal *j)
{
	struct tree_dir	*d;
	struct stat	 st;
	size_t		 i;

	for (i = 0; i < j->nmembers; i++) {
		struct jr_member *jm = &j->members[i];

		if ((d = tree_dir_get(&r->scan.tree, jm->dirrel)) != NULL &&
		    rec_stat(d->fd, jm->file, &st)) {
			jm->dev = st.st_dev;
			jm->ino = st.st_ino;
		}
	}
}

/*
 * The tree was copied or restored to its path: the journal's names fit it
 * but its inodes do not. Each step gets the inode of the file that now
 * stands where the copy shows that step to be (done or to do), and each
 * archived source that of the file by its name, whose content is checked
 * against the archive before removal anyway. -1 and *why when the copy
 * fits no point of the rotation: then nothing is replayed.
 */
static int
rec_rebase(struct rot_run *r, struct journal *j, char **why)
{
	struct stat	 st;
	size_t		 i;

	*why = NULL;
	for (i = 0; i < j->nlogs; i++)
		if (rec_rebase_log(r, &j->logs[i], why) == -1)
			return -1;
	rec_rebase_members(r, j);
	if (fsx_fstat(r->scan.tree.rootfd, &st) == -1) {
		xasprintf(why, "%s: %s", r->scan.tree.root, strerror(errno));
		return -1;
	}
	j->root_dev = st.st_dev;
	j->root_ino = st.st_ino;
	return 0;
}

/*
 * Whether one of a log's names holds an inode number the journal gives its
 * steps, but in a file born after the journal was written (all the files
 * the journal names existed before it): the number was freed and reused,
 * as restoring a tree from a backup into its root does, in an order that
 * may hand it to another of the log's names. Without birth times (a file
 * system that keeps none) nothing is seen here.
 */
static bool
rec_reused(int dirfd, const struct jr_log *jl, const struct timespec *jt)
{
	struct statx	 stx;
	const char	*names[2];
	size_t		 i, k;

	for (i = 0; i < jl->nsteps; i++) {
		const struct jr_step *s = &jl->steps[i];

		names[0] = s->a;
		names[1] = s->b;
		for (k = 0; k < 2; k++) {
			if (statx(dirfd, names[k], AT_SYMLINK_NOFOLLOW,
			    STATX_INO | STATX_BTIME, &stx) == -1 ||
			    !(stx.stx_mask & STATX_BTIME) ||
			    stx.stx_ino != s->ino ||
			    makedev(stx.stx_dev_major, stx.stx_dev_minor) !=
			    s->dev)
				continue;
			if (stx.stx_btime.tv_sec > jt->tv_sec ||
			    (stx.stx_btime.tv_sec == jt->tv_sec &&
			    stx.stx_btime.tv_nsec > (uint32_t)jt->tv_nsec))
				return true;
		}
	}
	return false;
}

/*
 * A tree restored into its own root is replayed by the names it shows, as
 * a copy is: each log whose steps its journaled inodes no longer account
 * for (rot_inodes_explain), or account for only through numbers reused
 * since (rec_reused), and whose names fit a point of the rotation, gets
 * the inodes now there. After a crash of this tree itself the inodes
 * account for every step, and the replay stays theirs alone: names can
 * read like another point (an empty generation beside a live log written
 * since). Each archived source gets the inode of the file by its name,
 * whose content is checked against the archive before removal anyway.
 * -1 and *why when a restored log's names fit no point: set aside.
 */
static int
rec_rebase_restored(struct rot_run *r, struct journal *j, char **why)
{
	struct tree_dir	*d;
	struct stat	 jst;
	size_t		 i, k;
	bool		 reused;

	*why = NULL;
	/* the journal's last write: after every file it names was made */
	if (fsx_fstatat(r->statedir, r->journal_name, &jst) == -1)
		jst.st_mtim = (struct timespec){ INT64_MAX, 0 };
	for (i = 0; i < j->nlogs; i++) {
		struct jr_log *jl = &j->logs[i];

		if (jl->nsteps < 2 || (d = rec_dir(r, jl->rel)) == NULL)
			continue;
		reused = rec_reused(d->fd, jl, &jst.st_mtim);
		if (!reused && rot_inodes_explain(d->fd, j, jl))
			continue;
		if (rec_progress(d->fd, jl, &k, why) == 0) {
			if (rec_rebase_log(r, jl, why) == -1)
				return -1;
			continue;
		}
		/*
		 * Restored, and its names fit no point: replayed by inode
		 * numbers that others now hold it could move the wrong
		 * files. Set aside, as such a copy is. (Without reuse, a
		 * log whose file moved after a crash is the replay's to
		 * leave undone, alone.)
		 */
		if (reused)
			return -1;
		free(*why);
		*why = NULL;
	}
	rec_rebase_members(r, j);
	return 0;
}

static void
rec_rescan(struct rot_run *r)
{
	char	**recovered = NULL;
	size_t	  n = 0, i;
	struct log *l;

	for (i = 0; i < r->scan.nlogs; i++)
		if (r->scan.logs[i].recovered) {
			recovered = xgrowarray(recovered, n + 1,
			    sizeof *recovered);
			recovered[n++] = xstrdup(r->scan.logs[i].rel);
		}
	report_errlog(r->ctx->rep, -1, 0, 0, 0);
	scan_free(&r->scan);
	if (scan_tree(&r->scan, r->ctx->cfg, r->ctx->rep) == 0)
		report_errlog(r->ctx->rep, scan_errlog_fd(&r->scan),
		    r->ctx->cfg->mode, r->ctx->cfg->uid, r->ctx->cfg->gid);
	for (i = 0; i < n; i++) {
		if ((l = scan_find(&r->scan, recovered[i])) != NULL)
			l->recovered = true;
		free(recovered[i]);
	}
	free(recovered);
}

/*
 * The journal, if any, loaded and judged: 1 with *j and *published to
 * replay it, 0 when there is none, -1 (reported, *j freed) when this run
 * stops here.
 */
static int
rec_load(struct rot_run *r, struct journal *j, int *published)
{
	struct report	*rep = r->ctx->rep;
	struct stat	 st;
	char		*err;
	int		 rc;
	bool		 moved;

	rc = journal_load(r->statedir, r->journal_name, j, &err);
	if (rc == 0)
		return 0;
	if (rc == -2) {
		report_error(rep, NULL, "cannot read %s.journal (%s): nothing "
		    "rotated this run; the next run tries again",
		    r->ctx->cfg->state_file, err);
		free(err);
		return -1;
	}
	if (rc < 0) {
		rec_reject(r, err);
		free(err);
		return -1;
	}
	if (fsx_fstat(r->scan.tree.rootfd, &st) == -1) {
		report_error(rep, r->scan.tree.root, "%s", strerror(errno));
		journal_free(j);
		return -1;
	}
	moved = st.st_dev != j->root_dev || st.st_ino != j->root_ino;
	if (moved && rec_root_elsewhere(r, j)) {
		report_error(rep, NULL, "%s.journal belongs to the tree %s, not "
		    "this one: run 'evmaint --root %s rotate' to finish it",
		    r->ctx->cfg->state_file, j->root, j->root);
		journal_free(j);
		return -1;
	}
	/*
	 * Nothing is replayed before all of it is known to be rotation's; a
	 * copy of the tree at its path is replayed by the names it shows.
	 */
	if ((rc = rec_validate(r, j, published, &err)) == -2) {
		report_error(rep, NULL, "%s.journal: %s: nothing rotated this "
		    "run; the next run tries again", r->ctx->cfg->state_file,
		    err);
		free(err);
		journal_free(j);
		return -1;
	}
	if (rc == -1 || (moved ? rec_rebase(r, j, &err) :
	    rec_rebase_restored(r, j, &err)) == -1) {
		rec_reject(r, err);
		free(err);
		journal_free(j);
		return -1;
	}
	return 1;
}

/* Each log's renames rolled forward, its state record applied; failures. */
static int
rec_replay_logs(struct rot_run *r, const struct journal *j)
{
	struct report	*rep = r->ctx->rep;
	struct state_log *sl;
	struct log	*l;
	char		 when[40];
	size_t		 i;
	int		 rc, failed = 0;

	clock_iso8601(j->time, when, sizeof when);
	for (i = 0; i < j->nlogs; i++) {
		const struct jr_log *jl = &j->logs[i];

		if (r->ctx->dry_run) {
			report_action(rep, "finish", jl->rel, -1, -1,
			    "the rotation interrupted at %s", when);
			continue;
		}
		rc = rot_replay(r, rec_dir(r, jl->rel), j, jl, true);
		if (rc == -1) {
			failed++;
			continue;
		}
		/*
		 * Left undone part way: the generations that moved no longer
		 * sit where the record's tags say, and a tag names a member
		 * in the nightly archives. Dropped, each is named by its mtime
		 * at next sight, checked against the archives as adopted ones
		 * are.
		 */
		if (rc == 0 && (sl = state_get(&r->state, jl->rel, false)) !=
		    NULL) {
			free(sl->gens);
			sl->gens = NULL;
			sl->ngens = 0;
		}
		if (rc == 1) {
			rot_apply_state(r, jl);
			if ((l = scan_find(&r->scan, jl->rel)) != NULL)
				l->recovered = true;
			report_action(rep, "finish", jl->rel, -1, -1,
			    "the rotation interrupted at %s", when);
		}
	}
	return failed;
}

/*
 * Finishes what an interrupted run left in the journal: each log's renames
 * rolled forward, its state record applied, a half-done archive step
 * completed; then the state saved before the journal goes. Returns 0 to go
 * on with the normal run, -1 to stop here.
 */
int
rec_recover(struct rot_run *r)
{
	struct journal	j;
	int		rc, failed, published;

	if (r->statedir < 0)
		return 0;
	if ((rc = rec_load(r, &j, &published)) <= 0)
		return rc;
	failed = rec_replay_logs(r, &j);
	run_sync_dirs(r);
	if (!r->ctx->dry_run && failed == 0 && published == 1 &&
	    ex_recover(r, &j) != 0)
		failed++;
	if (!r->ctx->dry_run && failed == 0) {
		if (state_save(r->statedir, r->state_name, &r->state,
		    EVM_META_MODE(r->ctx->cfg->mode), r->ctx->cfg->gid) == -1 ||
		    journal_remove(r->statedir, r->journal_name) == -1) {
			report_error(r->ctx->rep, r->ctx->cfg->state_file,
			    "cannot record the finished recovery: %s",
			    strerror(errno));
			failed++;
		} else
			run_saved(r);
	}
	journal_free(&j);
	if (failed > 0)
		return -1;
	if (!r->ctx->dry_run)
		rec_rescan(r);
	return 0;
}
