/*
 * Generations beyond `rotate` leave the tree only through a verified
 * archive: one nightly archive per run holds every generation that expired
 * in it, under a name that says which log and which day it was rotated
 * (deploy/deploy.log-20261118.gz), whatever the tree's naming. Sources are
 * removed only after the archive is published, and only if they are still
 * exactly what was archived. Also: archive retention (archive_keep_days).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "esc.h"
#include "expire.h"
#include "fsx.h"
#include "gen.h"
#include "hash.h"
#include "pool.h"
#include "report.h"
#include "run.h"
#include "tree.h"
#include "xmalloc.h"

struct ex_item {
	struct log	*log;
	struct gen	*gen;
	char		*name;		/* member name */
	bool		 mtime_day;	/* its tag from its mtime (ex_tag) */
	bool		 clash;		/* its name is in an earlier archive */
};

/*
 * The date tag a generation was rotated under: the name's own for a dated
 * one; the state's record for a numbered one evmaint rotated; else (taken
 * over from logrotate) the day of its mtime (evmaint(8), ARCHIVES). True
 * when that day is its mtime's, now or when it was adopted, rather than a
 * rotation's: then an earlier night may have archived another under it.
 */
static bool
ex_tag(struct rot_run *r, const struct log *l, const struct gen *g,
    bool with_time, char *tag, size_t len)
{
	const struct state_gen *t;

	if (g->gn.form == GEN_DATE) {
		snprintf(tag, len, "%s", g->gn.tag);
		return false;
	}
	t = state_gen_find(state_get(&r->state, l->rel, false), g->gn.num);
	if (t != NULL) {
		snprintf(tag, len, "%s", t->tag);
		return t->adopted;
	}
	clock_tag(g->st.st_mtime, !with_time, tag, len);
	return true;
}

static char *
ex_member_name(struct rot_run *r, const struct log *l, const struct gen *g,
    const char *tag)
{
	char *base, *name;

	base = gen_name_date(l->name, tag, g->gn.gz);
	name = tree_join(l->dirrel, base);
	free(base);
	return name;
}

static bool
ex_name_used(const struct ex_item *items, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(items[i].name, name) == 0)
			return true;
	return false;
}

/* Member names of some logs in archive_dir's nightly archives, sorted. */
struct ex_archived {
	char	**names;
	size_t	  n;
};

static int
ex_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
ex_archived_has(const struct ex_archived *a, const char *name)
{
	return a != NULL && a->n > 0 && bsearch(&name, a->names, a->n,
	    sizeof *a->names, ex_str_cmp) != NULL;
}

/*
 * A generation's member name being made unique among its log's, and, for
 * one whose day is only its mtime's, among the names already archived.
 */
struct ex_naming {
	struct rot_run			*r;
	const struct log		*l;
	const struct gen		*g;
	const struct ex_item		*items;	/* the log's */
	size_t				 n;
	const struct ex_archived	*archived;
};

static bool
ex_tag_used(void *arg, const char *tag)
{
	const struct ex_naming	*x = arg;
	char			*name;
	bool			 used;

	name = ex_member_name(x->r, x->l, x->g, tag);
	used = ex_name_used(x->items, x->n, name) ||
	    ex_archived_has(x->archived, name);
	free(name);
	return used;
}

/*
 * A generation some process still has open for writing is not archived
 * yet: what it appends after the copy would make a later archive hold
 * different data under the same member name. Warned; a later run takes it.
 */
static bool
ex_in_use(struct rot_run *r, const struct log *l, const struct gen *g)
{
	struct stat	st;
	char		*rel;
	int		fd, writers;

	if ((fd = fsx_open_read(l->dir->fd, g->name, &st)) == -1)
		return false;	/* archiving it reports the error */
	writers = fsx_writers_absent(fd);
	close(fd);
	if (writers != 0)
		return false;
	rel = tree_join(l->dirrel, g->name);
	report_warn(r->ctx->rep, rel, "expired but still open for writing: "
	    "not archived this run");
	free(rel);
	return true;
}

/* Every generation beyond its log's `rotate`, with its member name. */
static struct ex_item *
ex_collect(struct rot_run *r, size_t *np)
{
	struct ex_item	*items = NULL;
	char		 tag[EVM_TAG_MAX];
	size_t		 n = 0, i, k;

	for (i = 0; i < r->scan.nlogs; i++) {
		struct log *l = &r->scan.logs[i];
		size_t slot = 0, first = n;

		if (l->refused != NULL || l->dir == NULL)
			continue;
		for (k = 0; k < l->ngens; k++) {
			struct gen *g = &l->gens[k];
			char *name;
			bool mtime_day;

			/*
			 * A generation is a slot, not a file: a plain copy and
			 * its .gz count once. This run settled such a pair
			 * first (cz_resolve_dups) where one copy held all the
			 * data; one still here holds two different sets of
			 * lines, and both are archived (as NAME-DAY and
			 * NAME-DAY.gz), or it would stay beyond rotate for ever.
			 */
			if (k > 0 && !run_same_slot(g, &l->gens[k - 1]))
				slot++;
			if (slot < (size_t)l->opts->rotate ||
			    g->refused != NULL || ex_in_use(r, l, g))
				continue;
			mtime_day = ex_tag(r, l, g, false, tag, sizeof tag);
			name = ex_member_name(r, l, g, tag);
			/*
			 * Taken-over ones from one day: the later ones with
			 * their time, made unique by the second if need be.
			 * A member's name begins with its log's path, so only
			 * this log's own can collide with it.
			 */
			if (ex_name_used(items + first, n - first, name)) {
				struct ex_naming nmg = { r, l, g, items + first,
				    n - first, NULL };

				free(name);
				state_tag_pick(g->st.st_mtime, false,
				    ex_tag_used, &nmg, tag, sizeof tag);
				name = ex_member_name(r, l, g, tag);
			}
			items = xgrowarray(items, n + 1, sizeof *items);
			items[n].log = l;
			items[n].gen = g;
			items[n].name = name;
			items[n].mtime_day = mtime_day;
			items[n].clash = false;
			n++;
		}
	}
	*np = n;
	return items;
}

/*
 * Each member of archive_dir's nightly archives stamped on DAY or later
 * (only those can hold a generation rotated on DAY) to fn. A snapshot (its
 * first member not a nightly name) is read no further. -1 with *bad naming
 * the archive that cannot be listed.
 */
static int
ex_archived_scan(struct rot_run *r, int arcfd, const char *day,
    void (*fn)(void *, const char *, const struct gen_name *), void *arg,
    char **bad)
{
	const char	*dir = r->ctx->cfg->archive_dir;
	struct arc_entry *ents;
	size_t		 ne, i;
	int		 rc = 0;

	if (arc_list(arcfd, &ents, &ne) == -1) {
		xasprintf(bad, "%s: %s", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < ne && rc == 0; i++) {
		struct arc_reader	*rd;
		struct arc_reader_entry	 e;
		struct gen_name		 gn;
		struct stat		 st;
		char			 d[EVM_TAG_MAX];
		int			 fd, got;

		clock_tag(ents[i].stamp, true, d, sizeof d);
		if (strcmp(d, day) < 0)
			continue;
		/*
		 * Its headers only, read: a second hard link (a backup made
		 * with cp -al) does no harm here, unlike where it is written.
		 */
		if ((fd = openat(arcfd, ents[i].name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1 ||
		    !S_ISREG(st.st_mode)) {
			xasprintf(bad, "%s/%s: %s", dir, ents[i].name, fd == -1 ||
			    S_ISREG(st.st_mode) ? strerror(errno) :
			    "not a regular file");
			if (fd != -1)
				close(fd);
			rc = -1;
			break;
		}
		rd = arc_reader_open(fd, ents[i].gzip);
		while ((got = arc_reader_next(rd, &e)) == 1) {
			if (!gen_parse(e.name, &gn) || gn.form != GEN_DATE)
				break;		/* a snapshot */
			fn(arg, e.name, &gn);
		}
		if (got == -1) {
			xasprintf(bad, "%s/%s: %s", dir, ents[i].name,
			    arc_reader_error(rd));
			rc = -1;
		}
		arc_reader_close(rd);
	}
	arc_list_free(ents, ne);
	return rc;
}

/* The items by member name, to look archived members up in. */
struct ex_byname {
	struct ex_item	**v;
	size_t		  n;
	size_t		  clashes;
};

static int
ex_item_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct ex_item *const *)a)->name,
	    (*(struct ex_item *const *)b)->name);
}

static int
ex_name_item_cmp(const void *key, const void *b)
{
	return strcmp(key, (*(struct ex_item *const *)b)->name);
}

static void
ex_clash_fn(void *arg, const char *name, const struct gen_name *gn)
{
	struct ex_byname	 *x = arg;
	struct ex_item		**hit;

	(void)gn;
	hit = bsearch(name, x->v, x->n, sizeof *x->v, ex_name_item_cmp);
	if (hit != NULL && !(*hit)->clash) {
		(*hit)->clash = true;
		x->clashes++;
	}
}

/* The archived names of the logs that have a clash, for picking new ones. */
struct ex_clashing {
	const char		**rels;	/* those logs, sorted */
	size_t			  nrels;
	struct ex_archived	  a;
};

static void
ex_keep_fn(void *arg, const char *name, const struct gen_name *gn)
{
	struct ex_clashing	*x = arg;
	char			*rel = xstrndup(name, gn->baselen);
	bool			 keep;

	keep = bsearch(&rel, x->rels, x->nrels, sizeof *x->rels,
	    ex_str_cmp) != NULL;
	free(rel);
	if (!keep)
		return;
	x->a.names = xgrowarray(x->a.names, x->a.n + 1, sizeof *x->a.names);
	x->a.names[x->a.n++] = xstrdup(name);
}

static void
ex_archived_free(struct ex_archived *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->names[i]);
	free(a->names);
}

/*
 * A member name an earlier night's archive already holds: a generation
 * whose day came from its mtime (taken over; or its record lost with the
 * state file, or restored into the tree) can bear the name of another,
 * rotated that day and archived since. The clashing one gets its mtime's
 * time as well, as a later same-day one does, so that no two nightly
 * archives hold different data under one name. Only the archives stamped
 * on or after the oldest such tag's (or mtime's) day are read, their
 * headers only. When one cannot be, those generations stay in the tree
 * this run; the others are archived. Returns the items left.
 */
static size_t
ex_unique_archived(struct rot_run *r, int arcfd, struct ex_item *items,
    size_t n)
{
	struct ex_byname	 bn = { NULL, 0, 0 };
	struct ex_clashing	 kc;
	char			 day[EVM_TAG_MAX], tag[EVM_TAG_MAX], *bad = NULL;
	size_t			 i, first, end;
	int			 rc;

	/*
	 * Only a tag from an mtime can be an earlier archive's: evmaint's
	 * own rotations never give one day's tag twice. So a steady night
	 * reads no archive.
	 */
	for (i = 0; i < n; i++) {
		/* the name is REL-TAG[.gz]; a new one is from the mtime */
		const char *t = items[i].name + strlen(items[i].log->rel) + 1;

		if (!items[i].mtime_day)
			continue;
		clock_tag(items[i].gen->st.st_mtime, true, tag, sizeof tag);
		if (strncmp(t, tag, 8) < 0)
			snprintf(tag, sizeof tag, "%.8s", t);
		if (bn.n++ == 0 || strcmp(tag, day) < 0)
			memcpy(day, tag, sizeof day);
	}
	if (bn.n == 0)
		return n;
	bn.v = xreallocarray(NULL, bn.n, sizeof *bn.v);
	for (i = bn.n = 0; i < n; i++)
		if (items[i].mtime_day)
			bn.v[bn.n++] = &items[i];
	qsort(bn.v, bn.n, sizeof *bn.v, ex_item_name_cmp);
	rc = ex_archived_scan(r, arcfd, day, ex_clash_fn, &bn, &bad);
	free(bn.v);
	memset(&kc, 0, sizeof kc);
	if (rc == 0 && bn.clashes > 0) {
		/* items come log by log, the logs sorted by rel */
		kc.rels = xreallocarray(NULL, bn.clashes, sizeof *kc.rels);
		for (i = 0; i < n; i++)
			if (items[i].clash && (kc.nrels == 0 ||
			    strcmp(kc.rels[kc.nrels - 1], items[i].log->rel) != 0))
				kc.rels[kc.nrels++] = items[i].log->rel;
		rc = ex_archived_scan(r, arcfd, day, ex_keep_fn, &kc, &bad);
		free(kc.rels);
		if (kc.a.n > 1)
			qsort(kc.a.names, kc.a.n, sizeof *kc.a.names,
			    ex_str_cmp);
	}
	if (rc == -1) {
		char *ebad = esc_human_dup(bad);
		size_t kept;

		report_error(r->ctx->rep, NULL, "cannot read the archive %s: "
		    "generations whose day is their mtime's stay in the tree "
		    "this run, since their names may be in it", ebad);
		free(ebad);
		free(bad);
		ex_archived_free(&kc.a);
		for (i = kept = 0; i < n; i++)
			if (items[i].mtime_day)
				free(items[i].name);
			else
				items[kept++] = items[i];
		return kept;
	}
	for (i = 0; i < n; i++) {
		struct ex_naming nmg;

		if (!items[i].clash)
			continue;
		for (first = i; first > 0 && items[first - 1].log ==
		    items[i].log; first--)
			;
		for (end = i; end < n && items[end].log == items[i].log; end++)
			;
		nmg = (struct ex_naming){ r, items[i].log, items[i].gen,
		    items + first, end - first, &kc.a };
		state_tag_pick(items[i].gen->st.st_mtime, false, ex_tag_used,
		    &nmg, tag, sizeof tag);
		free(items[i].name);
		items[i].name = ex_member_name(r, items[i].log, items[i].gen,
		    tag);
	}
	ex_archived_free(&kc.a);
	return n;
}

/*
 * Removal of an archived source: only if it is the same file, unchanged
 * since it was read, and nobody has it open for writing. The checks and
 * the unlink run on every core (a night with thousands of expired
 * generations spends its time here, in the file system); what each found
 * is reported afterwards, in order, by ex_remove_report.
 */
enum ex_rm_result {
	EX_RM_REMOVED,
	EX_RM_CHANGED,		/* kept on purpose: a later run archives it */
	EX_RM_WRITING,		/* kept on purpose: still open for writing */
	EX_RM_NOCHECK,		/* error: cannot open it to check */
	EX_RM_NOUNLINK		/* error: the unlink failed */
};

struct ex_rm {
	int			 dirfd;
	const char		*file;
	const struct stat	*was;
	off_t			 size;
	enum ex_rm_result	 result;
	int			 err;
};

#define EX_RM_PARALLEL_MIN	64	/* fewer: one thread, one order */

static void
ex_remove_fn(void *arg, size_t i)
{
	struct ex_rm	*x = (struct ex_rm *)arg + i;
	struct stat	 st;
	int		 fd, writers;

	if ((fd = fsx_open_read(x->dirfd, x->file, &st)) == -1) {
		x->result = EX_RM_NOCHECK;
		x->err = errno;
		return;
	}
	writers = fsx_writers_absent(fd);
	close(fd);
	x->size = st.st_size;
	if (st.st_ino != x->was->st_ino || st.st_dev != x->was->st_dev ||
	    st.st_size != x->was->st_size ||
	    st.st_mtim.tv_sec != x->was->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != x->was->st_mtim.tv_nsec)
		x->result = EX_RM_CHANGED;
	else if (writers == 0)
		x->result = EX_RM_WRITING;
	else if (fsx_unlink(x->dirfd, x->file) == -1) {
		x->result = EX_RM_NOUNLINK;
		x->err = errno;
	} else
		x->result = EX_RM_REMOVED;
}

/* 1: removed, 0: kept on purpose, -1: an error kept it. */
static int
ex_remove_report(struct rot_run *r, const struct ex_rm *x, const char *rel,
    const char *archive)
{
	switch (x->result) {
	case EX_RM_REMOVED:
		report_action(r->ctx->rep, "remove", rel, (int64_t)x->size, -1,
		    "archived in %s", archive);
		return 1;
	case EX_RM_CHANGED:
		report_warn(r->ctx->rep, rel, "changed since it was archived: "
		    "kept, archived again by a later run");
		return 0;
	case EX_RM_WRITING:
		report_warn(r->ctx->rep, rel, "still open for writing: kept, "
		    "archived again by a later run");
		return 0;
	case EX_RM_NOCHECK:
		report_error(r->ctx->rep, rel, "archived, but cannot check it "
		    "before removal: %s; kept", strerror(x->err));
		return -1;
	case EX_RM_NOUNLINK:
		report_error(r->ctx->rep, rel, "archived, but cannot remove: %s",
		    strerror(x->err));
		return -1;
	}
	return -1;
}

/* One source, checked and removed at once (recovery after a crash). */
static int
ex_remove_source(struct rot_run *r, int dirfd, const char *rel,
    const char *file, const struct stat *was, const char *archive)
{
	struct ex_rm x = { .dirfd = dirfd, .file = file, .was = was };

	ex_remove_fn(&x, 0);
	return ex_remove_report(r, &x, rel, archive);
}

/* archive_dir; -1 if it cannot be opened, said unless SAY is false. */
static int
ex_open_archive_dir(struct rot_run *r, size_t pending, bool say)
{
	return arcdir_open(r->ctx->cfg, r->ctx->rep, say, pending ?
	    ": generations beyond 'rotate' stay in the tree until it is back" :
	    "");
}

struct ex_pub {
	struct rot_run	*r;
	struct ex_item	*items;
};

/*
 * arc_write's before_publish hook: the archive is recorded in the journal
 * with every member's size and SHA-256 before it gets its name, so that a
 * crash anywhere from here on is finished by the next run, not repeated.
 */
static int
ex_journal(void *arg, const char *archive, const struct arc_member *m,
    size_t n)
{
	struct ex_pub	*p = arg;
	struct rot_run	*r = p->r;
	size_t		 i;

	journal_clear_members(&r->jr);
	r->jr.archive = xstrdup(archive);
	for (i = 0; i < n; i++)
		if (m[i].ok)
			journal_add_member(&r->jr, p->items[i].log->dirrel,
			    m[i].file, m[i].name, m[i].st.st_dev,
			    m[i].st.st_ino, m[i].size, m[i].sha256);
	if (run_journal_save(r) == -1) {
		report_error(r->ctx->rep, r->ctx->cfg->state_file, "cannot write "
		    "the journal (%s): the archive is not published, its "
		    "generations stay in the tree", strerror(errno));
		return -1;
	}
	return 0;
}

/* --dry-run: what expiry would archive, and under which archive name. */
static void
ex_dry_run(struct rot_run *r, const struct ex_item *items, size_t n)
{
	const struct evm_config	*cfg = r->ctx->cfg;
	char			 stamp[32];
	size_t			 i;
	bool			 gz = false;

	/* named as the real run would: .tar.gz if a member is plain */
	for (i = 0; i < n; i++)
		gz |= !items[i].gen->gn.gz;
	clock_stamp(r->ctx->now, stamp, sizeof stamp);
	for (i = 0; i < n; i++) {
		char *rel = tree_join(items[i].log->dirrel, items[i].gen->name);

		report_action(r->ctx->rep, "archive", rel, -1, -1, "as %s into "
		    "%s/event-%s.tar%s", items[i].name, cfg->archive_dir, stamp,
		    gz ? ".gz" : "");
		report_action(r->ctx->rep, "remove", rel, -1, -1, "once "
		    "archived");
		free(rel);
	}
}

/*
 * After the archive is published: its members' sources checked and removed
 * (on every core when there are many), each reported in order, then the
 * archive itself.
 */
static void
ex_remove_archived(struct rot_run *r, const struct ex_item *items,
    const struct arc_member *m, size_t n, const char *final)
{
	struct ex_rm	*rm;
	uint64_t	 bytes = 0;
	char		 size[32];
	size_t		 i, ok, nrm;
	int		 rc;

	rm = xcalloc(n, sizeof *rm);
	for (i = nrm = 0; i < n; i++)
		if (m[i].ok) {
			rm[nrm].dirfd = m[i].dirfd;
			rm[nrm].file = m[i].file;
			rm[nrm].was = &m[i].st;
			bytes += m[i].size;
			nrm++;
		}
	/* the archive published, then the removals it allows, in that order */
	report_archived(r->ctx->rep, nrm);
	report_size(size, sizeof size, (int64_t)bytes);
	report_action(r->ctx->rep, "write", final, (int64_t)bytes, -1,
	    "archive of %zu generation%s, %s, verified", nrm, nrm == 1 ? "" :
	    "s", size);
	pool_run(nrm, nrm >= EX_RM_PARALLEL_MIN ? r->nthreads : 1,
	    ex_remove_fn, rm);
	for (i = ok = 0; i < n; i++) {
		char *rel = tree_join(items[i].log->dirrel, m[i].file);

		if (m[i].ok) {
			rc = ex_remove_report(r, &rm[ok], rel, final);
			ok++;
			if (rc == 1) {
				items[i].log->dir->touched = true;
				items[i].log->touched = true;
			}
			/*
			 * The journal stays: the next run removes it as after
			 * a crash, not archives it again.
			 */
			if (rc == -1)
				r->ex_unremoved = true;
		}
		free(rel);
	}
	free(rm);
	run_sync_dirs(r);
	scan_refresh(&r->scan, r->ctx->rep);
}

/*
 * Writes the night's archive of the expired generations (journaled before
 * it is published, see ex_journal), then removes what it holds. The
 * progress line is report.c's, as compression's.
 */
static void
ex_archive(struct rot_run *r, int arcfd, struct ex_item *items, size_t n)
{
	const struct evm_config	*cfg = r->ctx->cfg;
	struct report_progress	 progress;
	struct arc_member	*m;
	struct arc_opts		 o;
	struct ex_pub		 pub;
	char			*final = NULL;
	size_t			 i;
	int			 got;

	m = xcalloc(n, sizeof *m);
	memset(&o, 0, sizeof o);
	o.gzip = false;
	for (i = 0; i < n; i++) {
		m[i].name = items[i].name;
		m[i].dirfd = items[i].log->dir->fd;
		m[i].file = items[i].gen->name;
		/* plain generations compress well: then the archive is gzipped */
		if (!items[i].gen->gn.gz)
			o.gzip = true;
	}
	o.level = 6;
	o.stamp = r->jr.time != 0 ? r->jr.time : r->ctx->now;
	o.mode = cfg->mode;
	o.dir = cfg->archive_dir;
	o.uid = cfg->uid;
	o.gid = cfg->gid;
	report_progress_start(&progress, r->ctx->rep, "archiving", 0, n);
	if (progress.on) {
		o.progress = report_progress_set;
		o.progress_arg = &progress;
	}
	pub.r = r;
	pub.items = items;
	o.before_publish = ex_journal;
	o.publish_arg = &pub;
	got = arc_write(arcfd, m, n, &o, r->ctx->rep, &final);
	report_progress_end(&progress);
	/* before the removals, whose rescan frees the generations' names */
	for (i = 0; i < n; i++) {
		if (!m[i].ok && m[i].error != NULL) {
			char *rel = tree_join(items[i].log->dirrel, m[i].file);

			report_error(r->ctx->rep, rel, "not archived: %s; it stays "
			    "in the tree", m[i].error);
			free(rel);
		}
		free(m[i].error);
	}
	if (got > 0)
		ex_remove_archived(r, items, m, n, final);
	free(m);
	free(final);
}

/*
 * Generations beyond `rotate` into the night's archive, then out of the
 * tree; archive_dir's leftovers cleaned up first.
 */
void
ex_expire(struct rot_run *r)
{
	struct ex_item	*items;
	size_t		 n, i;
	int		 arcfd;

	items = ex_collect(r, &n);
	if ((arcfd = ex_open_archive_dir(r, n, true)) == -1)
		goto out;
	arc_cleanup(arcfd, r->ctx->cfg->archive_dir, r->ctx->dry_run,
	    r->ctx->rep);
	n = ex_unique_archived(r, arcfd, items, n);
	if (n == 0)
		goto out;
	if (r->ctx->dry_run)
		ex_dry_run(r, items, n);
	else
		ex_archive(r, arcfd, items, n);
out:
	for (i = 0; i < n; i++)
		free(items[i].name);
	free(items);
	if (arcfd >= 0)
		close(arcfd);
}

/*
 * Before a replay: whether the journal's archive was published and holds
 * every source it lists, by name, size and SHA-256 (man evmaint.8,
 * SECURITY: no source is removed for an archive that does not hold it).
 * 1 yes, 0 nothing to remove (never published, or archive_dir away),
 * -1 it does not hold them (*why says how), -2 it cannot be told now.
 */
int
ex_recover_check(struct rot_run *r, const struct journal *j, char **why)
{
	int	arcfd, rc;

	*why = NULL;
	if (j->archive == NULL || (arcfd = ex_open_archive_dir(r, 1, true)) == -1)
		return 0;
	rc = journal_check_archive(j, arcfd, r->ctx->cfg->archive_dir, why);
	close(arcfd);
	return rc;
}

/*
 * After a crash, once ex_recover_check found the journal's archive
 * published and whole: the sources that are still there, unchanged, are
 * removed as the interrupted run would have.
 */
int
ex_recover(struct rot_run *r, const struct journal *j)
{
	struct tree_dir		*d;
	struct stat		 st;
	uint8_t			 sha[HASH_LEN];
	uint64_t		 size;
	char			*rel;
	size_t			 i;
	int			 fd;

	for (i = 0; i < j->nmembers; i++) {
		const struct jr_member *jm = &j->members[i];

		if ((d = tree_dir_get(&r->scan.tree, jm->dirrel)) == NULL ||
		    fsx_fstatat(d->fd, jm->file, &st) == -1 ||
		    st.st_ino != jm->ino || st.st_dev != jm->dev)
			continue;	/* removed before the crash */
		if ((fd = fsx_open_read(d->fd, jm->file, &st)) == -1)
			continue;
		rel = tree_join(jm->dirrel, jm->file);
		if (hash_fd(fd, UINT64_MAX, &size, sha, NULL) == 0 &&
		    size == jm->size && memcmp(sha, jm->sha256, HASH_LEN) == 0) {
			close(fd);
			if (ex_remove_source(r, d->fd, rel, jm->file, &st,
			    j->archive) == 1)
				d->touched = true;
		} else {
			close(fd);
			report_warn(r->ctx->rep, rel, "differs from its copy in "
			    "%s: kept", j->archive);
		}
		free(rel);
	}
	run_sync_dirs(r);
	return 0;
}

/*
 * The time retention counts from: now when the previous run was today or
 * yesterday (the nightly case), else the previous run's. A clock that
 * jumped years ahead for one run then deletes nothing the run before it
 * kept; so does a run after missed nights (a machine off for a month),
 * whose next run catches up.
 */
static time_t
ex_retention_ref(const struct rot_run *r)
{
	struct tm	tm;
	time_t		next;

	if (r->prev_run == 0 || r->prev_run >= r->ctx->now)
		return r->ctx->now;
	localtime_r(&r->prev_run, &tm);
	tm.tm_mday += 1;
	tm.tm_hour = 12;
	tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	next = mktime(&tm);
	if (next == (time_t)-1 || clock_day(r->ctx->now) <= clock_day(next))
		return r->ctx->now;
	return r->prev_run;
}

static int
ex_cutday(time_t ref, int days)
{
	struct tm tm;

	localtime_r(&ref, &tm);
	tm.tm_mday -= days;
	tm.tm_hour = 12;	/* the day's middle: no DST edge to fall off */
	tm.tm_isdst = -1;
	return clock_day(mktime(&tm));
}

/*
 * archive_keep_days: archives whose stamp's day is more than that many
 * calendar days before today go, with their sidecars; never the newest.
 * "Today" is bounded by ex_retention_ref; what that bound spares is said.
 */
void
ex_retention(struct rot_run *r)
{
	const struct evm_config	*cfg = r->ctx->cfg;
	struct arc_entry	*e;
	time_t			 ref;
	char			*side, *path;
	size_t			 n, i, spared = 0;
	int			 fd, cutday, nowcut;

	if (cfg->archive_keep_days <= 0)
		return;
	if ((fd = ex_open_archive_dir(r, 0, false)) == -1)
		return;
	ref = ex_retention_ref(r);
	cutday = ex_cutday(ref, cfg->archive_keep_days);
	nowcut = ex_cutday(r->ctx->now, cfg->archive_keep_days);
	if (arc_list(fd, &e, &n) == -1) {
		report_error(r->ctx->rep, NULL, "archive_dir %s: %s",
		    cfg->archive_dir, strerror(errno));
		close(fd);
		return;
	}
	for (i = 0; i + 1 < n; i++) {		/* never the newest */
		if (clock_day(e[i].stamp) >= cutday) {
			spared += clock_day(e[i].stamp) < nowcut;
			continue;
		}
		xasprintf(&path, "%s/%s", cfg->archive_dir, e[i].name);
		xasprintf(&side, "%s.sha256", e[i].name);
		if (r->ctx->dry_run || fsx_unlink(fd, e[i].name) == 0) {
			if (!r->ctx->dry_run)
				(void)fsx_unlink(fd, side);
			report_action(r->ctx->rep, "remove", path,
			    (int64_t)e[i].st.st_size, -1, "older than "
			    "archive_keep_days (%d)", cfg->archive_keep_days);
		} else
			report_error(r->ctx->rep, path, "cannot remove: %s",
			    strerror(errno));
		free(path);
		free(side);
	}
	if (!r->ctx->dry_run && fsx_fsync(fd) == -1)
		report_error(r->ctx->rep, cfg->archive_dir, "fsync: %s",
		    strerror(errno));
	if (spared > 0) {
		char prev[40];

		clock_iso8601(r->prev_run, prev, sizeof prev);
		report_warn(r->ctx->rep, cfg->archive_dir, "%zu archive%s older "
		    "than archive_keep_days (%d) by today's clock kept: the "
		    "previous run was at %s, more than a day ago, and a clock "
		    "that jumped ahead must not delete them all; retention counts "
		    "from that run this time, from today next time", spared,
		    spared == 1 ? "" : "s", cfg->archive_keep_days, prev);
	}
	arc_list_free(e, n);
	close(fd);
}
