/*
 * Discovery (see scan.h). One pass over each directory's sorted entries:
 * *.log names become logs; names shaped like a generation are attached to
 * the log of that base in the same directory by binary search, so the cost
 * stays O(n log n) for 10,000 logs.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "evmaint.h"
#include "fsx.h"
#include "report.h"
#include "scan.h"
#include "xmalloc.h"

static int
scan_log_cmp(const void *a, const void *b)
{
	return strcmp(((const struct log *)a)->rel,
	    ((const struct log *)b)->rel);
}

struct log *
scan_find(struct scan *s, const char *rel)
{
	struct log key = { .rel = (char *)rel };

	if (s->nlogs == 0)
		return NULL;
	return bsearch(&key, s->logs, s->nlogs, sizeof *s->logs, scan_log_cmp);
}

static struct log *
scan_add(struct scan *s, size_t *cap, const char *rel)
{
	struct log	*l;
	const char	*slash;

	if (s->nlogs == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		s->logs = xreallocarray(s->logs, *cap, sizeof *s->logs);
	}
	l = &s->logs[s->nlogs++];
	memset(l, 0, sizeof *l);
	l->rel = xstrdup(rel);
	slash = strrchr(l->rel, '/');
	l->name = slash ? slash + 1 : l->rel;
	l->dirrel = xstrndup(l->rel, slash ? (size_t)(slash - l->rel) : 0);
	return l;
}

static void
scan_log_untrusted(struct log *l)
{
	xasprintf(&l->refused, "its directory is %s: not touching it (%s)",
	    l->dir->untrusted, strstr(l->dir->untrusted, "owned by") == NULL ?
	    "evmaint init repairs the mode" :
	    "evmaint takes over no directory someone else owns");
}

/* Fills in what the directory entry says about the log itself. */
/*
 * A log whose directory the walk did not enter: missing (init creates
 * it), or something else at its name or at a directory's above it (a
 * symlink, a file). Then the log is refused, as a symlink in its own
 * place is: said every night and CRITICAL, not "missing" for an init that
 * must refuse it in turn.
 */
static void
scan_log_nodir(struct scan *s, struct log *l)
{
	struct tree_dir	*d, *sub;
	struct stat	 st;
	char		*rel, *comp, *next, *save;

	if ((d = tree_dir_get(&s->tree, "")) == NULL)
		return;
	rel = xstrdup(l->dirrel);
	for (comp = strtok_r(rel, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		next = tree_join(d->rel, comp);
		if ((sub = tree_dir_get(&s->tree, next)) != NULL) {
			d = sub;
			free(next);
			continue;
		}
		if (fsx_fstatat(d->fd, comp, &st) == 0 && !S_ISDIR(st.st_mode))
			xasprintf(&l->refused, "its directory %s is %s where a "
			    "directory should be: left alone", next,
			    fsx_type_name(st.st_mode));
		free(next);
		break;
	}
	free(rel);
}

static void
scan_log_stat(struct scan *s, struct log *l)
{
	free(l->refused);
	l->refused = NULL;
	l->exists = false;
	if (l->dir == NULL) {
		if (l->configured)
			scan_log_nodir(s, l);
		return;
	}
	if (fsx_fstatat(l->dir->fd, l->name, &l->st) == -1) {
		if (errno != ENOENT)
			xasprintf(&l->refused, "cannot stat: %s",
			    strerror(errno));
		/*
		 * Its generations in a directory others may write or own are
		 * theirs to plant, the live file theirs to delete: left alone
		 * as a log there is, listed or not.
		 */
		else if (l->dir->untrusted != NULL)
			scan_log_untrusted(l);
		return;
	}
	l->exists = true;
	if (fsx_refusal(&l->st) != NULL)
		xasprintf(&l->refused, "%s where a log should be: left alone",
		    fsx_refusal(&l->st));
	else if (l->dir->untrusted != NULL)
		scan_log_untrusted(l);
}

void
gen_stat_set(struct gen_stat *g, const struct stat *st)
{
	g->st_dev = st->st_dev;
	g->st_ino = st->st_ino;
	g->st_size = st->st_size;
	g->st_mtim = st->st_mtim;
	g->st_mode = st->st_mode;
	g->st_uid = st->st_uid;
	g->st_gid = st->st_gid;
}

void
gen_free(struct gen *g)
{
	free(g->name);
	free(g->refused);
}

/*
 * Age order, newest first: generations in the log's current naming form
 * before those in the other form (left by logrotate or an earlier config);
 * numbered ones by number, dated ones by tag, newest tag first.
 */
static int
scan_gen_cmp(const void *pa, const void *pb, void *dateext)
{
	const struct gen	*a = pa, *b = pb;
	enum gen_form		 cur = *(bool *)dateext ? GEN_DATE : GEN_NUM;
	int			 c;

	if (a->gn.form != b->gn.form)
		return a->gn.form == cur ? -1 : 1;
	if (a->gn.form == GEN_NUM)
		c = a->gn.num - b->gn.num;
	else
		c = -strcmp(a->gn.tag, b->gn.tag);
	if (c == 0)
		c = (int)a->gn.gz - (int)b->gn.gz;
	return c;
}

void
scan_gens_sort(struct log *l)
{
	bool dateext = l->opts->dateext;

	if (l->ngens > 1)
		qsort_r(l->gens, l->ngens, sizeof *l->gens, scan_gen_cmp,
		    &dateext);
}

static void
scan_gen_add(struct log *l, const char *name, const struct gen_name *gn)
{
	struct gen	*g;
	struct stat	 st;

	l->gens = xgrowarray(l->gens, l->ngens + 1, sizeof *l->gens);
	g = &l->gens[l->ngens++];
	memset(g, 0, sizeof *g);
	g->name = xstrdup(name);
	g->gn = *gn;
	if (fsx_fstatat(l->dir->fd, name, &st) == -1) {
		xasprintf(&g->refused, "cannot stat: %s", strerror(errno));
		return;
	}
	gen_stat_set(&g->st, &st);
	if (fsx_refusal(&st) != NULL)
		xasprintf(&g->refused, "%s where a generation should be: left "
		    "alone", fsx_refusal(&st));
}

/*
 * The log entry k of d is a generation of (its rel, malloc'd), or NULL when
 * it is none; *base, if asked for, gets the log's own name (malloc'd).
 */
static char *
scan_gen_rel(const struct tree_dir *d, size_t k, struct gen_name *gn,
    char **base)
{
	const char	*name = d->ents[k].name;
	char		*b, *rel;

	if (d->ents[k].type == DT_DIR || fsx_is_tmp_name(name) ||
	    !gen_parse(name, gn))
		return NULL;
	b = xstrndup(name, gn->baselen);
	rel = tree_join(d->rel, b);
	if (base != NULL)
		*base = b;
	else
		free(b);
	return rel;
}

/* Attaches the generations found in one directory to their logs. */
static void
scan_dir_gens(struct scan *s, struct tree_dir *d, struct log *only)
{
	struct gen_name	 gn;
	struct log	*l;
	char		*rel;
	size_t		 i;

	for (i = 0; i < d->nents; i++) {
		const char *name = d->ents[i].name;

		if ((rel = scan_gen_rel(d, i, &gn, NULL)) == NULL)
			continue;
		if (only != NULL)
			l = strcmp(only->rel, rel) == 0 ? only : NULL;
		else
			l = scan_find(s, rel);
		free(rel);
		if (l != NULL)
			scan_gen_add(l, name, &gn);
	}
}

/*
 * After renames: re-reads each directory that holds a touched log once,
 * then the entries and generations of every log in those directories.
 */
void
scan_refresh(struct scan *s, struct report *rep)
{
	struct tree_dir	*d;
	size_t		 i, k;

	for (i = 0; i < s->tree.ndirs; i++) {
		d = s->tree.dirs[i];
		for (k = 0; k < s->nlogs; k++)
			if (s->logs[k].touched && s->logs[k].dir == d)
				break;
		if (k == s->nlogs)
			continue;
		if (tree_dir_reread(d) == -1)
			report_error(rep, *d->rel ? d->rel : s->tree.root,
			    "cannot read the directory again: %s; nothing more "
			    "is done in it this run", strerror(errno));
		for (k = 0; k < s->nlogs; k++) {
			struct log *l = &s->logs[k];
			size_t g;

			if (l->dir != d)
				continue;
			for (g = 0; g < l->ngens; g++)
				gen_free(&l->gens[g]);
			free(l->gens);
			l->gens = NULL;
			l->ngens = 0;
			scan_log_stat(s, l);
			l->touched = false;
		}
		scan_dir_gens(s, d, NULL);
		for (k = 0; k < s->nlogs; k++)
			if (s->logs[k].dir == d)
				scan_gens_sort(&s->logs[k]);
	}
}

/*
 * Root's fd for error.log, or -1 when root is not trusted: a file in a
 * directory someone else owns may be theirs (a link to anything).
 */
int
scan_errlog_fd(const struct scan *s)
{
	if (s->tree.ndirs == 0 || s->tree.dirs[0]->untrusted != NULL)
		return -1;
	return s->tree.rootfd;
}

/*
 * Symlinks are never followed; those that are not refused as a log or a
 * generation (a symlinked directory, say) are still mentioned, so that
 * nothing in the tree is passed over in silence.
 */
static void
scan_mention_links(struct scan *s, struct report *rep)
{
	struct gen_name	 gn;
	char		*rel;
	size_t		 i, k;

	for (i = 0; i < s->tree.ndirs; i++) {
		struct tree_dir *d = s->tree.dirs[i];

		for (k = 0; k < d->nents; k++) {
			const char *name = d->ents[k].name;

			if (d->ents[k].type != DT_LNK || gen_is_log_name(name) ||
			    gen_parse(name, &gn) || fsx_is_tmp_name(name))
				continue;
			rel = tree_join(d->rel, name);
			report_warn(rep, rel, "a symlink: not followed");
			free(rel);
		}
	}
}

/*
 * Generations whose live log is gone (a script retired, its log deleted by
 * hand) make a log of their own, without its file, as a configured log not
 * created yet: so they are kept to `rotate` and archived beyond it, listed
 * by status and held by snapshots, not passed over in silence for ever.
 * Nothing creates the live file again (init creates configured logs only).
 */
static void
scan_orphans(struct scan *s, size_t *cap)
{
	struct gen_name	 gn;
	size_t		 i, k, known = s->nlogs, n;
	char		*base, *rel;

	for (i = 0; i < s->tree.ndirs; i++) {
		struct tree_dir *d = s->tree.dirs[i];

		for (k = 0; k < d->nents; k++) {
			if ((rel = scan_gen_rel(d, k, &gn, &base)) == NULL)
				continue;
			/* the lookup sees the sorted logs only */
			n = s->nlogs;
			s->nlogs = known;
			if (gen_is_log_name(base) && scan_find(s, rel) == NULL) {
				s->nlogs = n;
				scan_add(s, cap, rel)->dir = d;
			} else
				s->nlogs = n;
			free(base);
			free(rel);
		}
	}
	if (s->nlogs == known)
		return;
	qsort(s->logs, s->nlogs, sizeof *s->logs, scan_log_cmp);
	/* one log for all the generations of one */
	for (i = k = 0; i < s->nlogs; i++) {
		if (k > 0 && strcmp(s->logs[k - 1].rel, s->logs[i].rel) == 0) {
			free(s->logs[i].rel);
			free(s->logs[i].dirrel);
			continue;
		}
		s->logs[k++] = s->logs[i];
	}
	s->nlogs = k;
}

int
scan_tree(struct scan *s, const struct evm_config *cfg, struct report *rep)
{
	struct tree_ent	*e;
	struct log	*l;
	char		*rel;
	size_t		 i, j, cap = 0, found, nlogs;

	memset(s, 0, sizeof *s);
	if (tree_scan(&s->tree, cfg->root, cfg->uid, cfg->dir_mode, rep) != 0)
		return -1;
	for (i = 0; i < s->tree.ndirs; i++) {
		struct tree_dir *d = s->tree.dirs[i];

		for (j = 0; j < d->nents; j++) {
			e = &d->ents[j];
			if (e->type == DT_DIR || !gen_is_log_name(e->name) ||
			    fsx_is_tmp_name(e->name))
				continue;
			rel = tree_join(d->rel, e->name);
			scan_add(s, &cap, rel)->dir = d;
			free(rel);
		}
	}
	if (s->nlogs > 1)
		qsort(s->logs, s->nlogs, sizeof *s->logs, scan_log_cmp);
	nlogs = s->nlogs;
	/*
	 * Configured logs not found are appended, then sorted in once: a
	 * sort per addition made 60,000 `logs` entries take minutes. The
	 * lookups see only the found ones, which stay sorted in front (the
	 * config has no duplicates).
	 */
	found = s->nlogs;
	for (i = 0; i < cfg->nlogs; i++) {
		s->nlogs = found;
		l = scan_find(s, cfg->logs[i]);
		s->nlogs = nlogs;
		if (l != NULL) {
			l->configured = true;
			continue;
		}
		l = scan_add(s, &cap, cfg->logs[i]);
		nlogs = s->nlogs;
		l->dir = tree_dir_get(&s->tree, l->dirrel);
		l->configured = true;
	}
	if (s->nlogs > found)
		qsort(s->logs, s->nlogs, sizeof *s->logs, scan_log_cmp);
	scan_orphans(s, &cap);
	/* no room left spare: 10,000 logs grow the array to 16,384 */
	if (s->nlogs > 0)
		s->logs = xreallocarray(s->logs, s->nlogs, sizeof *s->logs);
	for (i = 0; i < s->nlogs; i++) {
		l = &s->logs[i];
		l->opts = conf_logopts(cfg, l->rel);
		scan_log_stat(s, l);
	}
	for (i = 0; i < s->tree.ndirs; i++)
		scan_dir_gens(s, s->tree.dirs[i], NULL);
	scan_mention_links(s, rep);
	for (i = 0; i < s->nlogs; i++)
		scan_gens_sort(&s->logs[i]);
	return 0;
}

void
scan_free(struct scan *s)
{
	size_t i, j;

	for (i = 0; i < s->nlogs; i++) {
		struct log *l = &s->logs[i];

		for (j = 0; j < l->ngens; j++)
			gen_free(&l->gens[j]);
		free(l->gens);
		free(l->rel);
		free(l->dirrel);
		free(l->refused);
	}
	free(s->logs);
	tree_free(&s->tree);
	memset(s, 0, sizeof *s);
}

/* The log's first generation from *k on that the scan refused, or NULL. */
const struct gen *
log_next_refused(const struct log *l, size_t *k)
{
	for (; *k < l->ngens; (*k)++)
		if (l->gens[*k].refused != NULL)
			return &l->gens[(*k)++];
	return NULL;
}
