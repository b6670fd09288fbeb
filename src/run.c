/*
 * The run of the rotation engine, for `evmaint rotate` (cmd-rotate.c, the
 * command), not the `evmaint run` command (cmd-run.c), nor the records of
 * past runs (runs.c, runlog.c). It owns the state the engine's parts share,
 * struct rot_run: opens the tree, the state file and its directory; saves
 * the journal; syncs the directories whose names changed; removes an
 * interrupted run's temporary files; records the state and removes the
 * journal at the end; closes it all. rotate.c, compress.c and expire.c call
 * into it and never into one another; recover.c drives them from above.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "esc.h"
#include "fsx.h"
#include "journal.h"
#include "pool.h"
#include "report.h"
#include "run.h"
#include "scan.h"
#include "state.h"
#include "tree.h"
#include "xmalloc.h"

static void	run_heal_future(struct rot_run *);
static void	run_reaper_free(struct run_reaper *);

/* Remembers what is on disk now, to skip rewriting an unchanged state. */
void
run_saved(struct rot_run *r)
{
	state_free(&r->loaded);
	memset(&r->loaded, 0, sizeof r->loaded);
	r->loaded.run = r->state.run;
	for (size_t i = 0; i < r->state.nlogs; i++)
		state_log_copy(state_get(&r->loaded, r->state.logs[i].rel,
		    true), &r->state.logs[i]);
	r->loaded_bad = false;
}

int
run_open(struct rot_run *r, struct evm_ctx *ctx)
{
	const struct evm_config	*cfg = ctx->cfg;
	char			*why, *err;
	int			 rc;

	memset(r, 0, sizeof *r);
	r->ctx = ctx;
	r->statedir = -1;
	r->nthreads = pool_threads();
	r->statedir = tree_open_parent_trusted(cfg->state_file, NULL,
	    ctx->rep, &r->state_name, &why);
	if (r->statedir == -1 && !(ctx->dry_run && errno == ENOENT)) {
		report_error(ctx->rep, NULL, "state directory: %s", why);
		free(why);
		return EVM_EXIT_FAIL;
	}
	free(why);
	xasprintf(&r->journal_name, "%s.journal", r->state_name ?
	    r->state_name : "state");
	if (scan_tree(&r->scan, cfg, ctx->rep) != 0)
		return EVM_EXIT_FAIL;
	report_errlog(ctx->rep, scan_errlog_fd(&r->scan), cfg->mode, cfg->uid,
	    cfg->gid);
	if (r->statedir != -1 &&
	    (rc = state_load(r->statedir, r->state_name, &r->state, &err)) !=
	    0) {
		if (rc == -2) {
			/* Without it, "due" and the archive names are guesses. */
			report_error(ctx->rep, cfg->state_file, "cannot read the "
			    "state file (%s): nothing rotated this run", err);
			free(err);
			return EVM_EXIT_FAIL;
		}
		report_error(ctx->rep, cfg->state_file, "state file unusable "
		    "(%s): every log counts as never rotated; it is rewritten "
		    "at the end of this run", err);
		free(err);
		r->loaded_bad = true;
	}
	if (!r->loaded_bad)
		run_saved(r);
	r->prev_run = r->state.run;
	run_heal_future(r);
	return 0;
}

/*
 * Records later than now: the clock went backwards, or an earlier run's
 * clock was ahead (years, once). Either way nothing is rotated daily this
 * run (maxsize still applies), and those records are set to now, so that
 * daily rotation resumes on the next calendar day instead of waiting for
 * the recorded date to come round. Said on stderr, once for all logs.
 */
static void
run_heal_future(struct rot_run *r)
{
	struct sbuf	 b;
	time_t		 now = r->ctx->now, latest = 0;
	size_t		 i, n = 0;
	char		 when[40];

	for (i = 0; i < r->state.nlogs; i++) {
		struct state_log *sl = &r->state.logs[i];

		if (sl->last <= now)
			continue;
		if (sl->last > latest)
			latest = sl->last;
		sl->last = now;
		n++;
	}
	if (n == 0 && r->prev_run <= now)
		return;
	sbuf_init(&b);
	if (r->prev_run > now) {
		clock_iso8601(r->prev_run, when, sizeof when);
		sbuf_addf(&b, "the previous run was at %s", when);
	}
	if (n > 0) {
		clock_iso8601(latest, when, sizeof when);
		sbuf_addf(&b, "%s%zu log%s last rotated later than now (as "
		    "late as %s)", b.len ? "; " : "", n, n == 1 ? " was" :
		    "s were", when);
	}
	clock_iso8601(now, when, sizeof when);
	report_warn(r->ctx->rep, NULL, "the clock went backwards: it says %s, "
	    "but %s%s", when, b.s, n == 0 ? "" : ". Those logs are not "
	    "rotated daily today (maxsize still applies); their records are "
	    "set to now, and daily rotation resumes tomorrow");
	sbuf_free(&b);
}

void
run_close(struct rot_run *r)
{
	run_reaper_free(r->reaper);
	r->reaper = NULL;
	report_errlog(r->ctx->rep, -1, 0, 0, 0);
	scan_free(&r->scan);
	state_free(&r->state);
	state_free(&r->loaded);
	journal_free(&r->jr);
	if (r->statedir >= 0)
		close(r->statedir);
	free(r->journal_name);
}

/* fsync of every directory whose names changed. */
void
run_sync_dirs(struct rot_run *r)
{
	struct tree_dir	*d;
	size_t		 i;

	for (i = 0; i < r->scan.tree.ndirs; i++) {
		d = r->scan.tree.dirs[i];
		if (!d->touched)
			continue;
		if (fsx_fsync(d->fd) == -1)
			report_error(r->ctx->rep, *d->rel ? d->rel :
			    r->scan.tree.root, "fsync of the directory: %s",
			    strerror(errno));
		d->touched = false;
	}
}

/*
 * Makes the data of n new files durable: an fsync each of the given fds
 * when they are few, else one syncfs() of the tree's filesystem, which
 * costs about what one fsync does (then the caller has closed them: pass
 * -1s). Negative fds are skipped.
 */
int
run_barrier(struct rot_run *r, int *fds, size_t n)
{
	size_t	i;
	int	rc = 0;

	if (n > RUN_FSYNC_MAX)
		return fsx_syncfs(r->scan.tree.rootfd);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0 && fsx_fsync(fds[i]) == -1)
			rc = -1;
	return rc;
}

int
run_journal_save(struct rot_run *r)
{
	struct stat st;

	if (fsx_fstat(r->scan.tree.rootfd, &st) == -1)
		return -1;
	r->jr.time = r->ctx->now;
	free(r->jr.root);
	r->jr.root = xstrdup(r->scan.tree.root);
	r->jr.root_dev = st.st_dev;
	r->jr.root_ino = st.st_ino;
	if (journal_save(r->statedir, r->journal_name, &r->jr,
	    EVM_META_MODE(r->ctx->cfg->mode), r->ctx->cfg->gid) == -1)
		return -1;
	r->jr_saved = true;
	return 0;
}

/* Whether the process a temporary's trailing .PID names is gone. */
static bool
run_pid_gone(const char *dot)
{
	char	*end;
	long	 pid;

	errno = 0;
	pid = strtol(dot + 1, &end, 10);
	if (*end != '\0' || end == dot + 1 || pid <= 0 || errno != 0)
		return true;
	return kill((pid_t)pid, 0) == -1 && errno == ESRCH;
}

/*
 * Whether NAME, in the state directory, is the temporary file of a script
 * record (STATE.run.TAG, written by `run`, which takes no lock, under a
 * name of its process's: .evmaint-tmp.[K.]STATE.run.TAG.PID) whose process
 * is gone. Every other temporary file there is rewritten under the lock and
 * replaces a leftover of its own name; these never would.
 */
static bool
run_record_tmp_left(const char *name, const char *state_name,
    const struct stat *st, time_t now)
{
	const char	*p = name + sizeof EVM_TMP_PREFIX - 1, *dot;
	size_t		 n = strlen(state_name);

	if (!fsx_is_tmp_name(name))
		return false;
	while (*p >= '0' && *p <= '9')		/* fsx_create_tmp's K. */
		p++;
	if (p == name + sizeof EVM_TMP_PREFIX - 1 || *p != '.')
		p = name + sizeof EVM_TMP_PREFIX - 1;
	else
		p++;
	/*
	 * A name too long for its prefix is hashed (a long or non-ASCII
	 * tag): long-HASH.PID now, long-HASH from an older version. Only
	 * run writes there without the lock, so one of an older version is
	 * a leftover once it is older than any record's write takes (by the
	 * real clock, the one its mtime was set by).
	 */
	if (strncmp(p, "long-", 5) == 0 && strlen(p) >= 21 &&
	    strspn(p + 5, "0123456789abcdef") == 16) {
		if (p[21] == '.')
			return run_pid_gone(p + 21);
		return p[21] == '\0' && st->st_mtime < now - 3600;
	}
	if (strncmp(p, state_name, n) != 0 || strncmp(p + n, ".run.", 5) != 0)
		return false;
	if ((dot = strrchr(p + n + 5, '.')) == NULL)
		return true;		/* no process's: an older version's */
	return run_pid_gone(dot);
}

struct run_tmp_sweep {
	struct rot_run	*r;
	const char	*sf;		/* the state file's path */
	const char	*sl;		/* its name, inside sf */
};

static int
run_cleanup_state_tmp_one(void *arg, const char *name)
{
	struct run_tmp_sweep	*w = arg;
	struct rot_run		*r = w->r;
	struct stat		 st;
	char			*show;

	if (!fsx_is_tmp_name(name) ||
	    fsx_fstatat(r->statedir, name, &st) == -1 ||
	    !run_record_tmp_left(name, r->state_name, &st, time(NULL)))
		return 0;
	xasprintf(&show, "%.*s%s", (int)(w->sl - w->sf), w->sf, name);
	if (fsx_refusal(&st) != NULL || st.st_uid != geteuid())
		report_error(r->ctx->rep, show, "has evmaint's temporary-file "
		    "prefix but is not a regular file of evmaint's: left "
		    "alone");
	else if (r->ctx->dry_run || fsx_unlink(r->statedir, name) == 0)
		report_action(r->ctx->rep, "remove", show, (int64_t)st.st_size,
		    -1, "leftover of an interrupted run");
	else
		report_error(r->ctx->rep, show, "cannot remove leftover: %s",
		    strerror(errno));
	free(show);
	return 0;
}

/* The script records' temporary files that `run`s killed meanwhile left. */
static void
run_cleanup_state_tmp(struct rot_run *r)
{
	struct run_tmp_sweep	 w = { r, r->ctx->cfg->state_file, NULL };
	char			*dir;
	int			 err;

	w.sl = strrchr(w.sf, '/') != NULL ? strrchr(w.sf, '/') + 1 : w.sf;
	if (r->statedir < 0 ||
	    fsx_dir_each(r->statedir, run_cleanup_state_tmp_one, &w) == 0)
		return;
	err = errno;
	dir = w.sl == w.sf ? xstrdup(".") : xstrndup(w.sf,
	    w.sl - w.sf > 1 ? (size_t)(w.sl - w.sf) - 1 : 1);
	report_error(r->ctx->rep, dir, "cannot list: %s", strerror(err));
	free(dir);
}

/*
 * Removes temporary files an interrupted run left in the tree. Only after
 * the journal was replayed: a prepared file it names is still needed then.
 */
void
run_cleanup_tmp(struct rot_run *r)
{
	struct tree_dir	*d;
	struct stat	 st;
	char		*rel;
	size_t		 i, k;
	bool		 removed;

	for (i = 0; i < r->scan.tree.ndirs; i++) {
		d = r->scan.tree.dirs[i];
		/*
		 * A directory others may write is left alone, as its logs
		 * are (reported by the scan): what is in it with our prefix
		 * may be theirs, and not ours to remove.
		 */
		if (d->untrusted != NULL)
			continue;
		removed = false;
		for (k = 0; k < d->nents; k++) {
			if (!fsx_is_tmp_name(d->ents[k].name))
				continue;
			rel = tree_join(d->rel, d->ents[k].name);
			if (fsx_fstatat(d->fd, d->ents[k].name, &st) == -1 ||
			    fsx_refusal(&st) != NULL)
				report_error(r->ctx->rep, rel, "has evmaint's "
				    "temporary-file prefix but is not a regular "
				    "file of evmaint's: left alone");
			else if (r->ctx->dry_run ||
			    fsx_unlink(d->fd, d->ents[k].name) == 0) {
				report_action(r->ctx->rep, "remove", rel,
				    (int64_t)st.st_size, -1, "leftover of an "
				    "interrupted run");
				removed = true;
			} else
				report_error(r->ctx->rep, rel, "cannot remove "
				    "leftover: %s", strerror(errno));
			free(rel);
		}
		if (removed && !r->ctx->dry_run) {
			d->touched = true;
			if (tree_dir_reread(d) == -1)
				report_error(r->ctx->rep, *d->rel ? d->rel :
				    r->scan.tree.root, "cannot read the directory "
				    "again: %s; nothing more is done in it this run",
				    strerror(errno));
		}
	}
	run_sync_dirs(r);
	run_cleanup_state_tmp(r);
}

/*
 * The state file, then the journal's removal: in that order, so that a
 * crash between them replays renames that are all done, harmlessly. Only
 * numbered generations still in the tree keep their tags; a log this run
 * did not see (a directory it could not read) keeps its record as it was.
 */
int
run_finish(struct rot_run *r)
{
	struct state		 out;
	struct state_log	*sl, *ol;
	size_t			 i, k, g;
	bool			 failed = false;

	if (r->ctx->dry_run || r->statedir < 0)
		return 0;
	memset(&out, 0, sizeof out);
	/* the day's first run only: a second run the same day costs no fsync */
	out.run = r->prev_run != 0 && r->prev_run <= r->ctx->now &&
	    clock_day(r->prev_run) == clock_day(r->ctx->now) ? r->prev_run :
	    r->ctx->now;
	for (i = 0; i < r->state.nlogs; i++)
		if (scan_find(&r->scan, r->state.logs[i].rel) == NULL)
			state_log_copy(state_get(&out, r->state.logs[i].rel,
			    true), &r->state.logs[i]);
	for (i = 0; i < r->scan.nlogs; i++) {
		struct log *l = &r->scan.logs[i];

		if ((sl = state_get(&r->state, l->rel, false)) == NULL)
			continue;
		ol = state_get(&out, l->rel, true);
		if (l->dir == NULL || !l->exists || l->refused != NULL) {
			state_log_copy(ol, sl);	/* not seen: kept as it was */
			continue;
		}
		ol->last = sl->last;
		for (k = 0; k < sl->ngens; k++)
			for (g = 0; g < l->ngens; g++)
				if (l->gens[g].gn.form == GEN_NUM &&
				    l->gens[g].gn.num == sl->gens[k].num) {
					ol->gens = xreallocarray(ol->gens,
					    ol->ngens + 1, sizeof *ol->gens);
					ol->gens[ol->ngens++] = sl->gens[k];
					break;
				}
	}
	/* A run that changed nothing costs no fsync: most nights, most logs. */
	if ((r->loaded_bad || !state_equal(&out, &r->loaded)) &&
	    state_save(r->statedir, r->state_name, &out,
	    EVM_META_MODE(r->ctx->cfg->mode), r->ctx->cfg->gid) == -1) {
		report_error(r->ctx->rep, r->ctx->cfg->state_file, "cannot save "
		    "the state: %s", strerror(errno));
		failed = true;
	}
	state_free(&out);
	for (i = 0; i < r->jr.nlogs && !failed; i++) {
		struct log *l = scan_find(&r->scan, r->jr.logs[i].rel);

		if (l == NULL || !l->rotated)
			failed = true;	/* its renames are still to finish */
	}
	/*
	 * An archived generation that could not be removed keeps the journal
	 * too: the next run removes it as after a crash, instead of putting
	 * it into a second archive.
	 */
	if (r->jr_saved && !failed && !r->ex_unremoved &&
	    journal_remove(r->statedir, r->journal_name) == -1) {
		report_error(r->ctx->rep, r->ctx->cfg->state_file, "cannot "
		    "remove the journal: %s", strerror(errno));
		failed = true;
	}
	return failed ? -1 : 0;
}

/*
 * Whether two generations fill one slot: a plain copy and its .gz of the
 * same generation (an interrupted compression). Compression leaves such a
 * pair to be settled; expiry counts it once and waits for that.
 */
bool
run_same_slot(const struct gen *a, const struct gen *b)
{
	return a->gn.form == b->gn.form && a->gn.num == b->gn.num &&
	    strcmp(a->gn.tag, b->gn.tag) == 0;
}

/*
 * Closes fds in the background, for compression's own publication of a big
 * file: its blocks are freed with the last close, which takes its unlink a
 * while. Made before the workers start, its thread started with the first
 * fd, and joined when the run closes, so that the blocks of the last files
 * are freed while the rest of the run (the archive) goes on.
 */
#define RUN_REAP_MAX	64	/* fds it may hold; more wait */

struct run_reaper {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 thread;
	int		 fds[RUN_REAP_MAX];
	size_t		 nfds;
	bool		 started;
	bool		 stop;
};

/* The run's reaper, made on first use; called before any worker starts. */
struct run_reaper *
run_reaper(struct rot_run *r)
{
	struct run_reaper *rp = r->reaper;

	if (rp != NULL)
		return rp;
	rp = xcalloc(1, sizeof *rp);
	pthread_mutex_init(&rp->mu, NULL);
	pthread_cond_init(&rp->cv, NULL);
	return r->reaper = rp;
}

static void *
run_reaper_main(void *arg)
{
	struct run_reaper	*rp = arg;
	int			 fd;

	pthread_mutex_lock(&rp->mu);
	for (;;) {
		while (rp->nfds == 0 && !rp->stop)
			pthread_cond_wait(&rp->cv, &rp->mu);
		if (rp->nfds == 0)
			break;
		fd = rp->fds[--rp->nfds];
		pthread_cond_broadcast(&rp->cv);	/* room for one more */
		pthread_mutex_unlock(&rp->mu);
		close(fd);
		pthread_mutex_lock(&rp->mu);
	}
	pthread_mutex_unlock(&rp->mu);
	return NULL;
}

/* Every fd handed over is closed before the run ends. */
static void
run_reaper_free(struct run_reaper *rp)
{
	if (rp == NULL)
		return;
	if (rp->started) {
		pthread_mutex_lock(&rp->mu);
		rp->stop = true;
		pthread_cond_broadcast(&rp->cv);
		pthread_mutex_unlock(&rp->mu);
		pthread_join(rp->thread, NULL);
	}
	pthread_cond_destroy(&rp->cv);
	pthread_mutex_destroy(&rp->mu);
	free(rp);
}

/* Safe on any thread; closes fd at once if no thread can be had. */
void
run_close_later(struct run_reaper *rp, int fd)
{
	pthread_mutex_lock(&rp->mu);
	if (!rp->started) {
		if (pthread_create(&rp->thread, NULL, run_reaper_main, rp) !=
		    0) {
			pthread_mutex_unlock(&rp->mu);
			close(fd);
			return;
		}
		rp->started = true;
	}
	while (rp->nfds == RUN_REAP_MAX)
		pthread_cond_wait(&rp->cv, &rp->mu);
	rp->fds[rp->nfds++] = fd;
	pthread_cond_broadcast(&rp->cv);
	pthread_mutex_unlock(&rp->mu);
}
