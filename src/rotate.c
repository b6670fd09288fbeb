/*
 * Rotation proper: the crash-safe renames of the logs due (due.c says
 * which), journaled through run.c, and their replay for recover.c. A log is
 * rotated by shifting its numbered generations up (never over an existing
 * name), moving a prepared empty file (final mode and owner already) into
 * the new generation's slot, and exchanging it with the live log in one
 * renameat2(RENAME_EXCHANGE): the live name never disappears. Every rename
 * is first written to the journal with the inode it moves, so a replay after
 * a crash can tell, step by step, done from not done.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "due.h"
#include "esc.h"
#include "fsx.h"
#include "gen.h"
#include "journal.h"
#include "pool.h"
#include "report.h"
#include "rotate.h"
#include "run.h"
#include "tree.h"
#include "xmalloc.h"

#define ROT_PARALLEL_MIN 64	/* fewer logs: one thread, one order of calls */

struct rot_plan {
	struct log	*log;
	struct jr_log	*jl;
	char		*prep;		/* temporary name of the empty file */
	char		*slot;		/* the new generation's name */
	int		 prep_fd;
	int64_t		 size;
	const char	*why;
};

static void	rot_plan_free(struct rot_plan *, bool);
static int	rot_step(int, const struct journal *, const struct jr_log *,
		    size_t, bool);

static bool
rot_holds(int dirfd, const char *name, dev_t dev, ino_t ino)
{
	struct stat st;

	return fsx_fstatat(dirfd, name, &st) == 0 && st.st_ino == ino &&
	    st.st_dev == dev;
}

/*
 * Whether step k shows itself done: its target holds the inode it moves;
 * or, for a rename, the source no longer holds it and the target is now
 * the .gz of that name (compressed after the rename: a plain generation
 * with delaycompress); or the inode is gone and the journal lists it in
 * the archive it went to (an expired generation, removed once archived).
 */
static bool
rot_step_shows(int dirfd, const struct journal *j, const struct jr_log *jl,
    size_t k)
{
	const struct jr_step	*s = &jl->steps[k];
	struct stat		 st;
	char			*gz;
	bool			 compressed;
	size_t			 m;

	if (rot_holds(dirfd, s->b, s->dev, s->ino))
		return true;
	if (rot_holds(dirfd, s->a, s->dev, s->ino))
		return false;
	for (m = 0; j != NULL && m < j->nmembers; m++)
		if (j->members[m].ino == s->ino && j->members[m].dev == s->dev)
			return true;
	if (s->kind != JR_RENAME ||
	    (fsx_fstatat(dirfd, s->b, &st) == 0 || errno != ENOENT))
		return false;
	xasprintf(&gz, "%s.gz", s->b);
	compressed = fsx_fstatat(dirfd, gz, &st) == 0;
	free(gz);
	return compressed;
}

/*
 * Whether step i is done. A log's steps run in order, none after one that
 * failed: so step i is done when it, or any later step of the log, shows
 * itself done (the prepared file renamed into the slot and then exchanged
 * on to the live name; or a shifted generation compressed, even archived,
 * since: the live name still holds the prepared file).
 */
static bool
rot_step_done(int dirfd, const struct journal *j, const struct jr_log *jl,
    size_t i)
{
	size_t k;

	for (k = jl->nsteps; k-- > i;)
		if (rot_step_shows(dirfd, j, jl, k))
			return true;
	return false;
}

/*
 * Whether the inodes the journal gave a log's steps account for every one
 * of them: each shows itself done (or a later one does), or its source
 * still holds its inode. So it is after any crash of the tree the journal
 * was written for; not in a tree restored from a backup, whose files have
 * new inodes (some numbers, freed, may come back under other names).
 */
bool
rot_inodes_explain(int dirfd, const struct journal *j,
    const struct jr_log *jl)
{
	size_t i;

	for (i = 0; i < jl->nsteps; i++)
		if (!rot_holds(dirfd, jl->steps[i].a, jl->steps[i].dev,
		    jl->steps[i].ino) && !rot_step_done(dirfd, j, jl, i))
			return false;
	return true;
}

/*
 * One journal step. 1: done (now or before), 0: neither name holds the
 * inode any more (the step cannot be finished), -1: the rename failed.
 */
static int
rot_step(int dirfd, const struct journal *j, const struct jr_log *jl,
    size_t i, bool recovering)
{
	const struct jr_step *s = &jl->steps[i];

	/*
	 * Only a replay can meet a step already done: in the run that wrote
	 * the journal, every step is still to do, and asking each one of the
	 * steps after it cost a log of n generations n^2 stats.
	 */
	if (recovering && rot_step_done(dirfd, j, jl, i))
		return 1;
	if (!rot_holds(dirfd, s->a, s->dev, s->ino))
		return 0;
	if (s->kind == JR_RENAME)
		return fsx_rename_noreplace(dirfd, s->a, dirfd, s->b) == 0 ?
		    1 : -1;
	if (fsx_exchange(dirfd, s->a, dirfd, s->b) == 0)
		return 1;
	/* The live log vanished: the prepared file takes its name. */
	if (errno == ENOENT)
		return fsx_rename_noreplace(dirfd, s->a, dirfd, s->b) == 0 ?
		    1 : -1;
	return -1;
}

/* What running a log's steps came to: rc 1 done, 0 abandoned, -1 failed. */
struct rot_outcome {
	int	rc;
	size_t	step;		/* the one that stopped it */
	int	err;
};

/* Runs a log's steps in order, reporting nothing: safe on a worker thread. */
static void
rot_run_steps(int dirfd, const struct journal *j, const struct jr_log *jl,
    bool recovering, struct rot_outcome *o)
{
	size_t i;

	for (i = 0; i < jl->nsteps; i++) {
		o->rc = rot_step(dirfd, j, jl, i, recovering);
		if (o->rc != 1) {
			o->step = i;
			o->err = errno;
			return;
		}
	}
	o->rc = 1;
}

static int
rot_report_outcome(struct rot_run *r, const struct jr_log *jl,
    const struct rot_outcome *o, bool recovering)
{
	const struct jr_step *s;

	if (o->rc == 1)
		return 1;
	s = &jl->steps[o->step];
	if (o->rc == 0)
		report_error(r->ctx->rep, jl->rel, "%s %s -> %s: the file moved "
		    "meanwhile; %s", s->kind == JR_RENAME ? "rename" :
		    "exchange", s->a, s->b, recovering ? "leaving the rest of "
		    "the interrupted rotation undone" : "rotation stopped");
	/*
	 * A replay never renames over a name: one taken since (a tree
	 * restored from a backup) stays taken, and retrying every night
	 * would leave the journal, and every rotation, stuck behind it.
	 */
	else if (recovering && o->err == EEXIST) {
		report_error(r->ctx->rep, jl->rel, "%s %s -> %s: %s exists; "
		    "leaving the rest of the interrupted rotation undone",
		    s->kind == JR_RENAME ? "rename" : "exchange", s->a, s->b,
		    s->b);
		return 0;
	} else
		report_error(r->ctx->rep, jl->rel, "%s %s -> %s: %s",
		    s->kind == JR_RENAME ? "rename" : "exchange", s->a, s->b,
		    strerror(o->err));
	return o->rc;
}

/*
 * Runs a journal's log's steps in order, for the run that wrote it or for a
 * replay (recovering: steps already done are skipped); 1 done, 0
 * abandoned, -1 failed (retry).
 */
int
rot_replay(struct rot_run *r, struct tree_dir *dir,
    const struct journal *j, const struct jr_log *jl, bool recovering)
{
	struct rot_outcome o;

	if (dir == NULL) {
		report_error(r->ctx->rep, jl->rel, "directory gone: cannot "
		    "finish its interrupted rotation; nothing was deleted");
		return 0;
	}
	rot_run_steps(dir->fd, j, jl, recovering, &o);
	dir->touched = true;
	return rot_report_outcome(r, jl, &o, recovering);
}

/*
 * The renames of this run's rotations, on every core when there are many:
 * consecutive logs of one directory go to one thread (renames in one
 * directory take its lock in turn), such runs are shared out. A directory
 * split in two runs (its subdirectories' logs sort between) is still
 * correct: no two logs share a name.
 */
struct rot_par {
	struct rot_plan		**plans;
	struct rot_outcome	 *out;
	size_t			 *first;	/* per directory: its first plan */
};

static void
rot_par_fn(void *arg, size_t d)
{
	struct rot_par	*rp = arg;
	size_t		 i;

	for (i = rp->first[d]; i < rp->first[d + 1]; i++)
		rot_run_steps(rp->plans[i]->log->dir->fd, NULL,
		    rp->plans[i]->jl, false, &rp->out[i]);
}

/* A log's state record as its rotation left it. */
void
rot_apply_state(struct rot_run *r, const struct jr_log *jl)
{
	state_log_copy(state_get(&r->state, jl->rel, true), &jl->after);
}

/* Reports, once per run, everything in the tree that is refused. */
static void
rot_report_refusals(struct rot_run *r)
{
	const struct gen	*g;
	size_t			 i, k;

	for (i = 0; i < r->scan.nlogs; i++) {
		struct log *l = &r->scan.logs[i];

		if (l->refused != NULL)
			report_error(r->ctx->rep, l->rel, "%s", l->refused);
		else if (!l->exists && l->configured)
			report_warn(r->ctx->rep, l->rel, "%s; 'evmaint init' "
			    "creates it", l->dir == NULL ? "its directory is "
			    "missing" : "missing");
		for (k = 0; (g = log_next_refused(l, &k)) != NULL;) {
			char *rel = tree_join(l->dirrel, g->name);

			report_error(r->ctx->rep, rel, "%s", g->refused);
			free(rel);
		}
	}
}

/* The names a plan's shift has moved so far: from, and onto. */
struct rot_names {
	char	**gone;		/* the gens' names, borrowed */
	size_t	  ngone;
	char	**taken;	/* their new names, owned */
	size_t	  ntaken;
};

/* Whether a name is free in the directory, given the plan's moves so far. */
static bool
rot_free(const struct tree_dir *d, const struct rot_names *nm,
    const char *name)
{
	size_t i;

	for (i = 0; i < nm->ntaken; i++)
		if (strcmp(nm->taken[i], name) == 0)
			return false;
	for (i = 0; i < nm->ngone; i++)
		if (strcmp(nm->gone[i], name) == 0)
			return true;
	return tree_dir_find(d, name) == NULL;
}

static void
rot_names_free(struct rot_names *nm)
{
	size_t i;

	for (i = 0; i < nm->ntaken; i++)
		free(nm->taken[i]);
	free(nm->taken);
	free(nm->gone);
}

/*
 * Whether a generation of the log already goes by this date tag: recorded
 * in the state, or, for one without a record, the day of its mtime (what
 * its archive member would be called). Then a new rotation is not the
 * day's first as far as names go, and takes the _HHMMSS form.
 */
static bool
rot_tag_used(const struct state_log *sl, const struct log *l, const char *tag)
{
	char	mt[EVM_TAG_MAX];
	size_t	i;

	for (i = 0; sl != NULL && i < sl->ngens; i++)
		if (strcmp(sl->gens[i].tag, tag) == 0)
			return true;
	for (i = 0; i < l->ngens; i++) {
		if (l->gens[i].gn.form != GEN_NUM ||
		    state_tag(sl, l->gens[i].gn.num) != NULL)
			continue;
		clock_tag(l->gens[i].st.st_mtime, true, mt, sizeof mt);
		if (strcmp(mt, tag) == 0)
			return true;
	}
	return false;
}

/*
 * A later rotation's tag (YYYYMMDD_HHMMSS) must sort after every tag the log
 * already has that day, or names stop sorting in time order, or collide:
 * when DST ends the hour from 02:00 to 03:00 comes twice, and 02:00 CET's
 * _020000 would sort before (and 02:30 CET's _023000 be) the tags taken an
 * hour earlier in CEST. Then the tag is the day's newest with a sequence
 * number after it (_023000_01, _023000_02, ...). -1 when all 99 are used.
 */
static int
rot_tag_order(const struct state_log *sl, const struct log *l, char *tag)
{
	const char	*newest = NULL, *t;
	size_t		 i;
	int		 seq;

	if (strlen(tag) == 8)
		return 0;		/* the day's first sorts first */
	for (i = 0; sl != NULL && i < sl->ngens; i++) {
		t = sl->gens[i].tag;
		if (strncmp(t, tag, 8) == 0 && strcmp(t, tag) >= 0 &&
		    (newest == NULL || strcmp(t, newest) > 0))
			newest = t;
	}
	for (i = 0; i < l->ngens; i++) {
		t = l->gens[i].gn.tag;
		if (l->gens[i].gn.form == GEN_DATE && strncmp(t, tag, 8) == 0 &&
		    strcmp(t, tag) >= 0 && (newest == NULL ||
		    strcmp(t, newest) > 0))
			newest = t;
	}
	if (newest == NULL)
		return 0;
	if (strlen(newest) == 8)
		return 0;		/* cannot happen: tag > "YYYYMMDD" */
	seq = strlen(newest) == GEN_TAG_SEQ_LEN ? atoi(newest + 16) + 1 : 1;
	if (seq > 99)
		return -1;
	snprintf(tag, EVM_TAG_MAX, "%.15s_%c%c", newest, '0' + seq / 10,
	    '0' + seq % 10);
	return 0;
}

/* A log whose taken-over generations are being given tags. */
struct rot_adopting {
	const struct state_log	*sl;
	const struct log	*l;
};

/* Whether a tag is already a generation's: recorded, or a dated name's. */
static bool
rot_adopt_used(void *arg, const char *tag)
{
	const struct rot_adopting	*a = arg;
	size_t				 i;

	for (i = 0; a->sl != NULL && i < a->sl->ngens; i++)
		if (strcmp(a->sl->gens[i].tag, tag) == 0)
			return true;
	for (i = 0; i < a->l->ngens; i++)
		if (a->l->gens[i].gn.form == GEN_DATE &&
		    strcmp(a->l->gens[i].gn.tag, tag) == 0)
			return true;
	return false;
}

/*
 * Gives each numbered generation evmaint did not rotate itself (taken over
 * from logrotate) a date tag at first sight, kept in the state from then on:
 * the day of its mtime, or that day with the time of day (bumped a second at
 * a time) when the day's tag is already another generation's. Computed once
 * and recorded, a member name then never names two different files, however
 * many nights later the generation expires and whatever its neighbours' dates.
 */
static void
rot_adopt(struct rot_run *r, struct log *l)
{
	struct rot_adopting	 a = { NULL, l };
	struct state_log	*sl;
	char			 tag[EVM_TAG_MAX];
	size_t			 k;
	time_t			 last_t = (time_t)-1, bump = 0;

	if (l->dir == NULL || l->refused != NULL)
		return;
	/* oldest first, so the oldest takes the day's plain tag */
	for (k = l->ngens; k-- > 0;) {
		const struct gen *g = &l->gens[k];

		if (g->gn.form != GEN_NUM || g->refused != NULL)
			continue;
		a.sl = state_get(&r->state, l->rel, false);
		if (state_tag(a.sl, g->gn.num) != NULL)
			continue;
		/* the tags up to the last one given for this mtime are taken */
		bump = state_tag_pick_from(g->st.st_mtime, true,
		    g->st.st_mtime == last_t ? bump + 1 : 0, rot_adopt_used,
		    &a, tag, sizeof tag);
		last_t = g->st.st_mtime;
		sl = state_get(&r->state, l->rel, true);
		sl->gens = xgrowarray(sl->gens, sl->ngens + 1,
		    sizeof *sl->gens);
		sl->gens[sl->ngens].num = g->gn.num;
		sl->gens[sl->ngens].adopted = true;
		snprintf(sl->gens[sl->ngens].tag, EVM_TAG_MAX, "%s", tag);
		sl->ngens++;
	}
}

/*
 * Whether a generation's name fits in a file name (NAME_MAX bytes). A log
 * whose name is too long for its generations is not rotated at all, and
 * said so, rather than rotated into a name that cannot be created.
 */
static bool
rot_name_fits(struct rot_run *r, const struct log *l, const char *name)
{
	if (strlen(name) <= NAME_MAX)
		return true;
	report_error(r->ctx->rep, l->rel, "not rotated: its name is %zu bytes "
	    "long, too long for its generation %s (%zu bytes; a file name "
	    "holds at most %d): rename the log", strlen(l->name), name,
	    strlen(name), NAME_MAX);
	return false;
}

/* -1, said: the day's sequence numbers for this time are all used. */
static int
rot_exhausted(struct rot_run *r, const struct log *l, const char *tag)
{
	report_error(r->ctx->rep, l->rel, "not rotated: 99 rotations already "
	    "share the time %s (the clock went backwards?)", tag);
	return -1;
}

/*
 * The shift: numbered generations up by one (gens are sorted
 * numbered-first, ascending: so highest first), each onto a free name.
 * -1 (reported) when one cannot move.
 */
static int
rot_plan_shift(struct rot_run *r, struct log *l, struct jr_log *jl,
    struct rot_names *nm)
{
	char	*dst;
	size_t	 k;

	for (k = l->ngens; k-- > 0;) {
		struct gen *g = &l->gens[k];

		if (g->gn.form != GEN_NUM)
			continue;
		if (g->gn.num >= GEN_NUM_MAX) {
			report_error(r->ctx->rep, l->rel, "not rotated: %s "
			    "cannot shift past %d", g->name, GEN_NUM_MAX);
			return -1;
		}
		dst = gen_name_num(l->name, g->gn.num + 1, g->gn.gz);
		if (!rot_name_fits(r, l, dst)) {
			free(dst);
			return -1;
		}
		if (!rot_free(l->dir, nm, dst)) {
			report_error(r->ctx->rep, l->rel, "not rotated: %s "
			    "would move onto the existing %s", g->name, dst);
			free(dst);
			return -1;
		}
		journal_add_step(jl, JR_RENAME, g->name, dst, g->st.st_dev,
		    g->st.st_ino);
		nm->gone = xgrowarray(nm->gone, nm->ngone + 1,
		    sizeof *nm->gone);
		nm->gone[nm->ngone++] = g->name;
		nm->taken = xgrowarray(nm->taken, nm->ntaken + 1,
		    sizeof *nm->taken);
		nm->taken[nm->ntaken++] = dst;
	}
	return 0;
}

/*
 * The new generation's name, p->slot, and its date tag: .1 (the tag goes
 * in the state) or, with dateext, the name of the tag, the day's first
 * rotation with the plain day, a later one with the time of day. -1
 * (reported) when there is none free.
 */
static int
rot_plan_slot(struct rot_run *r, struct log *l, const struct state_log *sl,
    struct rot_plan *p, const struct rot_names *nm, char *tag, bool first)
{
	char *gz;

	if (!l->opts->dateext) {
		if (first && rot_tag_used(sl, l, tag))
			clock_tag(r->ctx->now, false, tag, EVM_TAG_MAX);
		if (rot_tag_order(sl, l, tag) == -1)
			return rot_exhausted(r, l, tag);
		p->slot = gen_name_num(l->name, 1, false);
		return 0;
	}
	for (;;) {
		if (rot_tag_order(sl, l, tag) == -1)
			return rot_exhausted(r, l, tag);
		p->slot = gen_name_date(l->name, tag, false);
		gz = gen_name_date(l->name, tag, true);
		if (rot_free(l->dir, nm, p->slot) && rot_free(l->dir, nm, gz)) {
			free(gz);
			return 0;
		}
		free(gz);
		if (!first) {
			report_error(r->ctx->rep, l->rel, "not rotated: %s "
			    "already exists (rotated twice in one second?)",
			    p->slot);
			return -1;
		}
		free(p->slot);
		p->slot = NULL;
		first = false;
		clock_tag(r->ctx->now, false, tag, EVM_TAG_MAX);
	}
}

/* Whether the slot and its .gz both fit and are free; -1 reported. */
static int
rot_plan_slot_free(struct rot_run *r, struct log *l, struct rot_plan *p,
    const struct rot_names *nm)
{
	char	*gz;
	int	 rc = 0;

	gz = xstrdup(p->slot);
	gz = xrealloc(gz, strlen(gz) + 4);
	strcat(gz, ".gz");
	if (!rot_name_fits(r, l, gz))
		rc = -1;
	else if (!rot_free(l->dir, nm, p->slot) || !rot_free(l->dir, nm, gz)) {
		report_error(r->ctx->rep, l->rel, "not rotated: %s is in the "
		    "way", p->slot);
		rc = -1;
	}
	free(gz);
	return rc;
}

static void
rot_after_add(struct jr_log *jl, int num, const char *tag, bool adopted)
{
	jl->after.gens = xreallocarray(jl->after.gens, jl->after.ngens + 1,
	    sizeof *jl->after.gens);
	jl->after.gens[jl->after.ngens].num = num;
	jl->after.gens[jl->after.ngens].adopted = adopted;
	snprintf(jl->after.gens[jl->after.ngens].tag, EVM_TAG_MAX, "%s", tag);
	jl->after.ngens++;
}

/* The state record once rotated: existing numbered gens' tags, shifted. */
static void
rot_plan_after(struct rot_run *r, const struct log *l,
    const struct state_log *sl, struct jr_log *jl, const char *tag)
{
	size_t k;

	jl->after.last = r->ctx->now;
	for (k = 0; k < l->ngens; k++) {
		const struct gen	*g = &l->gens[k];
		const struct state_gen	*t;

		if (g->gn.form != GEN_NUM || (t = state_gen_find(sl,
		    g->gn.num)) == NULL || (k > 0 &&
		    l->gens[k - 1].gn.form == GEN_NUM &&
		    l->gens[k - 1].gn.num == g->gn.num))
			continue;
		rot_after_add(jl, g->gn.num + !l->opts->dateext, t->tag,
		    t->adopted);
	}
	if (!l->opts->dateext)
		rot_after_add(jl, 1, tag, false);
}

/*
 * Builds a log's plan: the shift (numbered generations, highest first, each
 * onto a free name), the move of the prepared file into the new slot, the
 * exchange, and the state record after. NULL (reported) when it cannot be
 * done safely.
 */
static struct rot_plan *
rot_plan(struct rot_run *r, struct log *l, const char *why)
{
	const struct state_log	*sl = state_get(&r->state, l->rel, false);
	const struct gen	*g;
	struct rot_names	 nm = { NULL, 0, NULL, 0 };
	struct rot_plan		*p;
	char			 tag[EVM_TAG_MAX];
	size_t			 k = 0;
	bool			 first;

	if ((g = log_next_refused(l, &k)) != NULL) {
		report_error(r->ctx->rep, l->rel, "not rotated: %s is in the "
		    "way (%s)", g->name, g->refused);
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->log = l;
	p->prep_fd = -1;
	p->size = (int64_t)l->st.st_size;
	p->why = why;
	p->prep = fsx_tmp_name(l->name);
	p->jl = xcalloc(1, sizeof *p->jl);
	p->jl->rel = xstrdup(l->rel);
	p->jl->after.rel = xstrdup(l->rel);

	first = sl == NULL || sl->last == 0 ||
	    clock_day(sl->last) != clock_day(r->ctx->now);
	clock_tag(r->ctx->now, first, tag, sizeof tag);
	if ((!l->opts->dateext && rot_plan_shift(r, l, p->jl, &nm) == -1) ||
	    rot_plan_slot(r, l, sl, p, &nm, tag, first) == -1 ||
	    rot_plan_slot_free(r, l, p, &nm) == -1) {
		rot_names_free(&nm);
		rot_plan_free(p, true);
		return NULL;
	}
	rot_plan_after(r, l, sl, p->jl, tag);
	rot_names_free(&nm);
	journal_pack(p->jl);
	return p;
}

/* Frees a plan; its jr_log too unless the run's journal has taken it. */
static void
rot_plan_free(struct rot_plan *p, bool jl_owned)
{
	if (p == NULL)
		return;
	if (p->prep_fd >= 0)
		close(p->prep_fd);
	if (jl_owned && p->jl != NULL)
		journal_free(&(struct journal){ .logs = p->jl, .nlogs = 1 });
	free(p->prep);
	free(p->slot);
	free(p);
}

/* Creates the empty file that will become the live log. */
static int
rot_prepare(struct rot_run *r, struct rot_plan *p, bool keep_fd)
{
	const struct evm_config	*cfg = r->ctx->cfg;
	struct log		*l = p->log;
	struct stat		 st;

	free(p->prep);
	p->prep_fd = fsx_create_tmp(l->dir->fd, l->name, cfg->mode, cfg->uid,
	    cfg->gid, &p->prep);
	if (p->prep_fd == -1 || fsx_fstat(p->prep_fd, &st) == -1) {
		report_error(r->ctx->rep, l->rel, "not rotated: cannot create "
		    "the new empty log: %s", strerror(errno));
		return -1;
	}
	journal_add_step(p->jl, JR_RENAME, p->prep, p->slot, st.st_dev,
	    st.st_ino);
	journal_add_step(p->jl, JR_EXCHANGE, p->slot, l->name, st.st_dev,
	    st.st_ino);
	journal_pack(p->jl);
	l->dir->touched = true;
	if (!keep_fd) {
		close(p->prep_fd);	/* syncfs will cover it */
		p->prep_fd = -1;
	}
	return 0;
}

/*
 * Moves the plans' jr_logs into the run's journal; pointers into the array
 * are taken only once it has stopped growing.
 */
static void
rot_journal_take(struct rot_run *r, struct rot_plan **plans, size_t n)
{
	size_t i, base = r->jr.nlogs;

	r->jr.logs = xreallocarray(r->jr.logs, base + n, sizeof *r->jr.logs);
	for (i = 0; i < n; i++) {
		journal_pack(plans[i]->jl);
		r->jr.logs[base + i] = *plans[i]->jl;
		free(plans[i]->jl);
	}
	r->jr.nlogs = base + n;
	for (i = 0; i < n; i++)
		plans[i]->jl = &r->jr.logs[base + i];
}

/*
 * For --dry-run: the log's generations as the plan would leave them, so
 * that compression and expiry can say what they would do.
 */
static void
rot_simulate(struct rot_plan *p)
{
	struct log	*l = p->log;
	struct gen	*g;
	size_t		 i;

	for (i = 0; i < l->ngens && !l->opts->dateext; i++) {
		g = &l->gens[i];
		if (g->gn.form != GEN_NUM)
			continue;
		free(g->name);
		g->name = gen_name_num(l->name, ++g->gn.num, g->gn.gz);
	}
	l->gens = xgrowarray(l->gens, l->ngens + 1, sizeof *l->gens);
	g = &l->gens[l->ngens++];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(p->slot);
	(void)gen_parse(g->name, &g->gn);
	gen_stat_set(&g->st, &l->st);
	l->st.st_size = 0;
	scan_gens_sort(l);
}

static void
rot_report_plan(struct rot_run *r, struct rot_plan *p)
{
	char size[32];

	report_size(size, sizeof size, p->size);
	report_action(r->ctx->rep, "rotate", p->log->rel, p->size, -1,
	    "%s -> %s", size, p->slot);
	if (p->why != NULL)
		report_info(r->ctx->rep, "  (%s)", p->why);
}

/* The plans of every due log, refusals said and taken-over tags given. */
static struct rot_plan **
rot_plan_all(struct rot_run *r, size_t *np)
{
	struct rot_plan	**plans = NULL;
	const char	 *why;
	size_t		  n = 0, i;

	rot_report_refusals(r);
	for (i = 0; i < r->scan.nlogs; i++)
		rot_adopt(r, &r->scan.logs[i]);
	for (i = 0; i < r->scan.nlogs; i++) {
		struct log *l = &r->scan.logs[i];
		struct rot_plan *p;

		if (!due_log(&r->state, l, r->ctx->now, r->force,
		    &why)) {
			if (why != NULL && l->exists)
				report_info(r->ctx->rep, "%s: not due (%s)",
				    l->rel, why);
			continue;
		}
		if ((p = rot_plan(r, l, why)) == NULL)
			continue;
		plans = xgrowarray(plans, n + 1, sizeof *plans);
		plans[n++] = p;
	}
	*np = n;
	return plans;
}

/*
 * The prepared files, made durable before anything refers to them (and
 * their directories synced). Returns how many plans are left, those whose
 * file could be made; the others are freed.
 */
static size_t
rot_prepare_all(struct rot_run *r, struct rot_plan **plans, size_t n)
{
	size_t	 i, np;
	int	*fds, rc;

	for (i = np = 0; i < n; i++) {
		if (rot_prepare(r, plans[i], n <= RUN_FSYNC_MAX) == 0) {
			plans[np++] = plans[i];
			continue;
		}
		if (plans[i]->prep_fd >= 0 && plans[i]->prep != NULL)
			(void)fsx_unlink(plans[i]->log->dir->fd, plans[i]->prep);
		rot_plan_free(plans[i], true);
	}
	n = np;
	fds = xreallocarray(NULL, n ? n : 1, sizeof *fds);
	for (i = 0; i < n; i++)
		fds[i] = plans[i]->prep_fd;
	rc = run_barrier(r, fds, n);
	free(fds);
	if (rc == -1)
		report_error(r->ctx->rep, NULL, "syncing the new empty logs: %s",
		    strerror(errno));
	run_sync_dirs(r);
	for (i = 0; i < n; i++)
		if (plans[i]->prep_fd >= 0) {
			close(plans[i]->prep_fd);
			plans[i]->prep_fd = -1;
		}
	return n;
}

/*
 * The journal: from here on a crash is rolled forward. 0 when saved; -1
 * when not, with nothing rotated: the plans are freed, and the prepared
 * files removed unless the journal that names them could not be.
 */
static int
rot_journal_write(struct rot_run *r, struct rot_plan **plans, size_t n)
{
	size_t	i;
	int	saved;

	rot_journal_take(r, plans, n);
	if (n == 0 || run_journal_save(r) == 0)
		return 0;
	/*
	 * A save that failed at the directory's fsync has put the journal in
	 * place already: while it is there, the prepared files it names must
	 * stay, for the next run to roll forward.
	 */
	saved = errno;
	if (fsx_unlink(r->statedir, r->journal_name) == -1 && errno != ENOENT) {
		report_error(r->ctx->rep, r->ctx->cfg->state_file, "cannot "
		    "write the journal (%s), nor remove what was written of it "
		    "(%s): nothing rotated now, the next run finishes the "
		    "rotation", strerror(saved), strerror(errno));
		for (i = 0; i < n; i++)
			rot_plan_free(plans[i], false);
		journal_free(&r->jr);
		r->jr_saved = false;
		return -1;
	}
	(void)fsx_fsync(r->statedir);
	report_error(r->ctx->rep, r->ctx->cfg->state_file, "cannot write the "
	    "journal (%s): nothing rotated", strerror(saved));
	for (i = 0; i < n; i++) {
		(void)fsx_unlink(plans[i]->log->dir->fd, plans[i]->prep);
		plans[i]->log->dir->touched = true;
		rot_plan_free(plans[i], false);
	}
	journal_free(&r->jr);
	run_sync_dirs(r);
	return -1;
}

/*
 * The renames, then one fsync per directory. Each log's steps run in order
 * on one thread; logs are independent of one another (their names differ,
 * the journal already holds them all), so many of them are spread over the
 * cores and reported afterwards, in order. Returns how many were rotated.
 */
static int
rot_rename_all(struct rot_run *r, struct rot_plan **plans, size_t n)
{
	struct rot_par	par;
	struct stat	st;
	size_t		i, nd;
	int		rotated = 0;

	par.plans = plans;
	par.out = xcalloc(n ? n : 1, sizeof *par.out);
	par.first = xcalloc(n + 1, sizeof *par.first);
	for (i = nd = 0; i < n; i++)
		if (i == 0 || plans[i]->log->dir != plans[i - 1]->log->dir)
			par.first[nd++] = i;
	par.first[nd] = n;
	pool_run(nd, n >= ROT_PARALLEL_MIN ? r->nthreads : 1, rot_par_fn, &par);
	free(par.first);
	for (i = 0; i < n; i++) {
		struct rot_plan *p = plans[i];

		p->log->dir->touched = true;
		if (rot_report_outcome(r, p->jl, &par.out[i], false) == 1) {
			rot_apply_state(r, p->jl);
			p->log->rotated = true;
			p->log->touched = true;
			/*
			 * The size it was rotated at, not the scan's: evmaint's
			 * own errors of this run may have been appended to
			 * error.log since.
			 */
			if (fsx_fstatat(p->log->dir->fd, p->slot, &st) == 0 &&
			    S_ISREG(st.st_mode))
				p->size = (int64_t)st.st_size;
			rot_report_plan(r, p);
			rotated++;
		}
	}
	free(par.out);
	run_sync_dirs(r);
	scan_refresh(&r->scan, r->ctx->rep);
	return rotated;
}

/*
 * Plans every due log, creates the prepared files, writes the journal, then
 * performs the renames. Returns the number of logs rotated.
 */
int
rot_rotate(struct rot_run *r)
{
	struct rot_plan	**plans;
	size_t		  n, i;
	int		  rotated;

	plans = rot_plan_all(r, &n);
	if (n == 0 || r->ctx->dry_run) {
		for (i = 0; i < n; i++) {
			rot_report_plan(r, plans[i]);
			plans[i]->log->rotated = true;
			/* the tags move with the generations, as in a real run
			 * (the state is not saved in a dry run) */
			rot_apply_state(r, plans[i]->jl);
			rot_simulate(plans[i]);
			rot_plan_free(plans[i], true);
		}
		free(plans);
		return (int)n;
	}
	n = rot_prepare_all(r, plans, n);
	if (rot_journal_write(r, plans, n) == -1) {
		free(plans);
		return 0;
	}
	rotated = rot_rename_all(r, plans, n);
	for (i = 0; i < n; i++)
		rot_plan_free(plans[i], false);
	free(plans);
	return rotated;
}
