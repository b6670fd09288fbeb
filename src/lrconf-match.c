/*
 * Which tree files logrotate's stanzas take: each pattern globbed as
 * logrotate globs it (plus the tree files that do not exist yet), its
 * duplicate check, the list of stanzas as logrotate links it (a failed
 * include can cut it), and the hits status reports. lrconf-parse.c calls
 * in here as it reads each stanza.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <libgen.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lrconf-int.h"
#include "tree.h"
#include "xmalloc.h"

/* What logrotate does with one result of a pattern's glob. */
enum lr_fate {
	F_DIR,		/* a directory: left out */
	F_TAKEN,	/* the stanza rotates it */
	F_IGNORED,	/* an earlier stanza has it and says ignoreduplicates */
	F_DUP,		/* an earlier stanza has it: an error */
	F_AFTER_DUP	/* after a duplicate logrotate drops the rest */
};

struct lr_set *
lr_set(struct lr_ctx *c, size_t i)
{
	return i == LR_TOP ? &c->top : &c->st[i].set;
}

static struct lr_set
lr_set_copy(const struct lr_set *s)
{
	struct lr_set	d = *s;

	d.olddir = s->olddir != NULL ? xstrdup(s->olddir) : NULL;
	return d;
}

static void
lr_inactive(struct lr_ctx *c, size_t si, const char *why)
{
	struct lr_hit	*h;
	size_t		 k;

	for (k = c->st[si].hit0; k < c->st[si].hit1; k++) {
		h = &c->res->hits[k];
		if (h->inactive == NULL)
			h->inactive = xstrdup(why);
	}
}

/*
 * logrotate keeps its stanzas in a BSD TAILQ; a link is an element index or
 * -1, a place holding one is the head (-1) or an element's next field.
 */
static long *
lr_link(struct lr_ctx *c, long place)
{
	return place < 0 ? &c->first : &c->st[place].next;
}

static void
lr_list_add(struct lr_ctx *c, long e)
{
	c->st[e].next = -1;
	c->st[e].prev = c->tail;
	*lr_link(c, c->tail) = e;
	c->tail = e;
	c->gen++;
}

/* TAILQ_LAST: what the link before the tail's place holds. */
static long
lr_list_last(struct lr_ctx *c)
{
	return c->tail < 0 ? c->first : *lr_link(c, c->st[c->tail].prev);
}

static void
lr_list_remove(struct lr_ctx *c, long e)
{
	if (c->st[e].next >= 0)
		c->st[c->st[e].next].prev = c->st[e].prev;
	else
		c->tail = c->st[e].prev;
	*lr_link(c, c->st[e].prev) = c->st[e].next;
	c->st[e].removed = true;
	c->gen++;
}

/*
 * Whether logrotate's walk of its list reaches stanza si. Only a corrupted
 * list needs the walk; past LR_MAX_WALK stanzas (hostile input) the cost of
 * walking it again after each change is not paid and all count as reached.
 */
static bool
lr_reachable(struct lr_ctx *c, size_t si)
{
	size_t	n;
	long	e;

	if (c->st[si].removed)
		return false;
	if (!c->corrupt || c->nst > LR_MAX_WALK)
		return true;
	if (c->reach_gen != c->gen || c->reach == NULL) {
		c->reach = xreallocarray(c->reach, c->nst, sizeof *c->reach);
		memset(c->reach, 0, c->nst * sizeof *c->reach);
		for (e = c->first, n = 0; e >= 0 && n < c->nst &&
		    !c->st[e].removed && !c->reach[e]; e = c->st[e].next, n++)
			c->reach[e] = true;
		c->reach_gen = c->gen;
	}
	return c->reach[si];
}

/*
 * A stanza opening at file:line, starting from the settings of def (the
 * top or, for an include inside a stanza, that stanza), appended to
 * logrotate's list. Returns its index.
 */
size_t
lr_stanza_new(struct lr_ctx *c, const char *file, int line, size_t def)
{
	struct lr_stanza *s;

	c->st = lr_grow(c->st, c->nst, sizeof *c->st);
	s = &c->st[c->nst];
	memset(s, 0, sizeof *s);
	s->file = xstrdup(file);
	s->line = line;
	s->set = lr_set_copy(lr_set(c, def));
	s->hit0 = s->hit1 = c->res->nhits;
	lr_list_add(c, (long)c->nst);
	return c->nst++;
}

struct lr_backup
lr_backup(struct lr_ctx *c, size_t i)
{
	struct lr_backup b;

	memset(&b, 0, sizeof b);
	b.set = lr_set_copy(lr_set(c, i));
	if (i != LR_TOP) {
		b.next = c->st[i].next;
		b.prev = c->st[i].prev;
	}
	return b;
}

/*
 * What logrotate does when a file fails: its defConfig as it was before the
 * file. When that is a stanza (the include was inside one), copyLogInfo
 * leaves its file names out and copies its list links back: the stanza
 * rotates nothing, and whatever was linked after it since is cut off.
 */
void
lr_restore(struct lr_ctx *c, size_t i, struct lr_backup *b)
{
	struct lr_set *s = lr_set(c, i);

	free(s->olddir);
	*s = b->set;
	b->set.olddir = NULL;
	if (i == LR_TOP)
		return;
	c->st[i].emptied = true;
	lr_inactive(c, i, "an include inside the stanza failed, which "
	    "empties it in logrotate");
	if (c->st[i].next != b->next || c->st[i].prev != b->prev) {
		c->st[i].next = b->next;
		c->st[i].prev = b->prev;
		c->corrupt = true;
		c->gen++;
	}
}

static int
lr_hit_cmp(const void *a, const void *b)
{
	const struct lr_hit	*x = *(struct lr_hit *const *)a;
	const struct lr_hit	*y = *(struct lr_hit *const *)b;
	int			 d;

	if ((d = strcmp(x->file, y->file)) != 0 ||
	    (d = (x->line > y->line) - (x->line < y->line)) != 0 ||
	    (d = strcmp(x->pattern, y->pattern)) != 0 ||
	    (d = strcmp(x->path, y->path)) != 0)
		return d;
	return (x > y) - (x < y);
}

void
lr_hit_free(struct lr_hit *h)
{
	free(h->file);
	free(h->pattern);
	free(h->path);
	free(h->inactive);
	h->file = NULL;
}

/*
 * A file read twice (included again, or from itself) gives its hits twice:
 * one is kept, active if any copy is, in the order they came.
 */
static void
lr_merge_hits(struct lr_result *r)
{
	struct lr_hit	**v, *keep;
	size_t		  i, j, k;

	if (r->nhits < 2)
		return;
	v = xreallocarray(NULL, r->nhits, sizeof *v);
	for (i = 0; i < r->nhits; i++)
		v[i] = &r->hits[i];
	qsort(v, r->nhits, sizeof *v, lr_hit_cmp);
	for (i = 0; i < r->nhits; i = j) {
		keep = v[i];
		for (j = i + 1; j < r->nhits && v[j]->line == keep->line &&
		    strcmp(v[j]->file, keep->file) == 0 &&
		    strcmp(v[j]->pattern, keep->pattern) == 0 &&
		    strcmp(v[j]->path, keep->path) == 0; j++) {
			if (keep->inactive != NULL && v[j]->inactive == NULL) {
				free(keep->inactive);
				keep->inactive = NULL;
			}
			lr_hit_free(v[j]);
		}
	}
	free(v);
	for (i = k = 0; i < r->nhits; i++)
		if (r->hits[i].file != NULL)
			r->hits[k++] = r->hits[i];
	r->nhits = k;
}

/*
 * After the last file: stanzas logrotate cannot reach rotate nothing, and
 * copies of a hit are merged.
 */
void
lr_finish(struct lr_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nst; i++)
		if (!c->st[i].removed && !lr_reachable(c, i))
			lr_inactive(c, i, "a failed include inside an earlier "
			    "stanza cuts this one out of logrotate's list");
	lr_merge_hits(c->res);
}

/* Expands '~' and '~user' as glob(3)'s GLOB_TILDE would for root. */
static char *
lr_tilde(struct lr_ctx *c, const char *pat)
{
	const char	*slash, *home = NULL;
	struct passwd	*pw;
	char		*user, *s;

	if (pat[0] != '~')
		return xstrdup(pat);
	slash = strchr(pat, '/');
	user = slash != NULL ? xstrndup(pat + 1, (size_t)(slash - pat - 1)) :
	    xstrdup(pat + 1);
	if (user[0] == '\0')
		home = c->home;
	else if ((pw = getpwnam(user)) != NULL)
		home = pw->pw_dir;
	free(user);
	if (home == NULL)
		return xstrdup(pat);
	xasprintf(&s, "%s%s", home, slash != NULL ? slash : "");
	return s;
}

static uint64_t
lr_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void
lr_claim_index(struct lr_ctx *c, size_t i)
{
	size_t m = c->ctabsz - 1, h = (size_t)lr_hash(c->claims[i].name) & m;

	while (c->ctab[h] != SIZE_MAX)
		h = (h + 1) & m;
	c->ctab[h] = i;
}

static void
lr_claim_add(struct lr_ctx *c, const char *name, size_t stanza)
{
	size_t i;

	if ((c->nclaims + 1) * 2 > c->ctabsz) {
		free(c->ctab);
		c->ctabsz = c->ctabsz ? c->ctabsz * 2 : 64;
		c->ctab = xreallocarray(NULL, c->ctabsz, sizeof *c->ctab);
		for (i = 0; i < c->ctabsz; i++)
			c->ctab[i] = SIZE_MAX;
		for (i = 0; i < c->nclaims; i++)
			lr_claim_index(c, i);
	}
	c->claims = lr_grow(c->claims, c->nclaims, sizeof *c->claims);
	c->claims[c->nclaims].name = xstrdup(name);
	c->claims[c->nclaims].stanza = stanza;
	lr_claim_index(c, c->nclaims++);
}

/* The stanza that has name now, or LR_TOP; dropped stanzas have nothing. */
static size_t
lr_claim_find(struct lr_ctx *c, const char *name)
{
	size_t m, h, i;

	if (c->ctabsz == 0)
		return LR_TOP;
	m = c->ctabsz - 1;
	for (h = (size_t)lr_hash(name) & m; c->ctab[h] != SIZE_MAX;
	    h = (h + 1) & m) {
		i = c->ctab[h];
		if (!c->st[c->claims[i].stanza].emptied &&
		    strcmp(c->claims[i].name, name) == 0 &&
		    lr_reachable(c, c->claims[i].stanza))
			return c->claims[i].stanza;
	}
	return LR_TOP;
}

static void
lr_hit(struct lr_ctx *c, size_t cur, const char *file, const char *pat,
    int line, const char *path, char *inactive)
{
	struct lr_result	*r = c->res;
	struct lr_hit		*h;

	if (r->nhits >= LR_MAX_HITS) {
		if (!c->hits_full)
			lr_note(c, file, line,
			    "more than %d matches; the rest are left out",
			    LR_MAX_HITS);
		c->hits_full = true;
		free(inactive);
		return;
	}
	r->hits = lr_grow(r->hits, r->nhits, sizeof *r->hits);
	h = &r->hits[r->nhits++];
	h->file = xstrdup(file);
	h->line = line;
	h->pattern = xstrdup(pat);
	h->path = xstrdup(path);
	h->inactive = inactive;
	c->st[cur].hit1 = r->nhits;
}

/*
 * logrotate's freeTailLogs(1): it removes TAILQ_LAST, which is not always
 * the stanza in error (an include inside a stanza appends more).
 */
void
lr_drop_last(struct lr_ctx *c, const char *why, int line)
{
	struct lr_hit	*h;
	long		 e = lr_list_last(c);
	size_t		 k;

	if (e < 0 || c->st[e].removed)
		return;
	lr_list_remove(c, e);
	for (k = c->st[e].hit0; k < c->st[e].hit1; k++) {
		h = &c->res->hits[k];
		if (h->inactive == NULL)
			xasprintf(&h->inactive, "logrotate drops the stanza: "
			    "%s at line %d", why, line);
	}
}

/*
 * glob(3)'s error callback as logrotate's: a dangling symlink or a file in
 * the middle of the path does not stop the expansion, anything else does.
 */
static int
lr_globerr(const char *path, int e)
{
	(void)path;
	return e != ENOTDIR && e != ENOENT;
}

static char *
lr_fate_why(struct lr_ctx *c, enum lr_fate f, size_t owner)
{
	char *s = NULL;

	switch (f) {
	case F_DUP:
		xasprintf(&s, "logrotate rejects it as a duplicate of %s:%d",
		    c->st[owner].file, c->st[owner].line);
		break;
	case F_IGNORED:
		xasprintf(&s, "ignoreduplicates: %s:%d has it already",
		    c->st[owner].file, c->st[owner].line);
		break;
	case F_AFTER_DUP:
		s = xstrdup("logrotate stops expanding the pattern at an "
		    "earlier duplicate");
		break;
	default:
		break;
	}
	return s;
}

/* One name logrotate gets from a pattern, and what it does with it. */
struct lr_res {
	const char	*name;
	enum lr_fate	 fate;
	size_t		 owner;
	bool		 have_id;
	struct lr_fid	 id;
};

static int
lr_res_cmp(const void *a, const void *b)
{
	return strcmp(((const struct lr_res *)a)->name,
	    ((const struct lr_res *)b)->name);
}

/*
 * The names a pattern gives: glob(3) as logrotate calls it (GLOB_NOCHECK, so
 * a pattern matching nothing stands for itself), plus the tree files it
 * matches that do not exist yet, as if they did: whether logrotate would
 * take a log must not depend on the log having been written to.
 */
static size_t
lr_expand(struct lr_ctx *c, size_t cur, const char *pat, const char *exp,
    glob_t *g, struct lr_res **out)
{
	struct lr_res	*v = NULL;
	struct stat	 sb;
	size_t		 n = 0, i, j, nglob = 0;
	int		 rc;

	rc = glob(exp, GLOB_NOCHECK, lr_globerr, g);
	if (rc == GLOB_ABORTED &&
	    !(lr_set(c, cur)->flags & LS_MISSINGOK))
		c->st[cur].globerr = true;
	if (rc == 0)
		nglob = g->gl_pathc;
	v = xreallocarray(NULL, nglob + c->ntree + 1, sizeof *v);
	for (i = 0; i < nglob; i++) {
		memset(&v[n], 0, sizeof v[n]);
		v[n].name = g->gl_pathv[i];
		v[n].owner = LR_TOP;
		v[n].fate = F_TAKEN;
		if (lstat(v[n].name, &sb) == 0 && !S_ISLNK(sb.st_mode)) {
			v[n].have_id = true;
			v[n].id.dev = sb.st_dev;
			v[n].id.ino = sb.st_ino;
			v[n].fate = S_ISDIR(sb.st_mode) ? F_DIR : F_TAKEN;
		}
		/* GLOB_TILDE's GLOB_NOCHECK gives the pattern unexpanded */
		if (nglob == 1 && !v[n].have_id && strcmp(v[n].name, exp) == 0)
			v[n].name = pat;
		n++;
	}
	for (j = 0; j < c->ntree; j++) {
		if (c->tree[j].have_id ||
		    fnmatch(exp, c->tree[j].path, FNM_PATHNAME | FNM_PERIOD))
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(v[i].name, c->tree[j].path) == 0)
				break;
		if (i < n)
			continue;
		/* the pattern itself, from GLOB_NOCHECK, gives way to them */
		if (n == 1 && nglob == 1 && !v[0].have_id &&
		    (v[0].name == pat || strcmp(v[0].name, exp) == 0))
			n = 0;
		memset(&v[n], 0, sizeof v[n]);
		v[n].name = c->tree[j].path;
		v[n].fate = F_TAKEN;
		v[n++].owner = LR_TOP;
	}
	if (n > 1)
		qsort(v, n, sizeof *v, lr_res_cmp);
	*out = v;
	return n;
}

/*
 * logrotate's duplicate check on each name, in glob's order: a name an
 * earlier stanza has is an error that also loses the rest of the pattern,
 * unless that stanza says ignoreduplicates. Directories are left out.
 * Returns true after such an error.
 */
static bool
lr_take(struct lr_ctx *c, size_t cur, struct lr_res *v, size_t n)
{
	size_t		 i, o;
	bool		 stop = false;

	for (i = 0; i < n; i++) {
		if (v[i].fate == F_DIR)
			continue;
		if (stop) {
			v[i].fate = F_AFTER_DUP;
			continue;
		}
		if ((o = lr_claim_find(c, v[i].name)) != LR_TOP) {
			v[i].owner = o;
			if (c->st[o].set.flags & LS_IGNOREDUPS)
				v[i].fate = F_IGNORED;
			else {
				v[i].fate = F_DUP;
				stop = true;
			}
			continue;
		}
		lr_claim_add(c, v[i].name, cur);
		v[i].fate = F_TAKEN;
	}
	return stop;
}

/*
 * One pattern of the open stanza. A tree file is covered when logrotate
 * gets its name from the pattern (glob matches as fnmatch with FNM_PATHNAME
 * and FNM_PERIOD: '*' crosses no '/', a hidden name needs its dot), or gets
 * another name for that very file (a symlinked directory, "..", "//"). A
 * relative pattern names files relative to wherever logrotate runs: never
 * the tree. Returns true when logrotate reports an error for it (a
 * duplicate).
 */
bool
lr_pattern(struct lr_ctx *c, size_t cur, const char *file, const char *pat,
    int line)
{
	const struct lr_tree	*t;
	struct lr_res		*v;
	glob_t			 g;
	char			*exp;
	size_t			 i, j, n;
	bool			 dup;

	exp = lr_tilde(c, pat);
	if (exp[0] != '/') {
		free(exp);
		return false;
	}
	memset(&g, 0, sizeof g);
	n = lr_expand(c, cur, pat, exp, &g, &v);
	dup = lr_take(c, cur, v, n);
	for (j = 0; j < c->ntree; j++) {
		t = &c->tree[j];
		for (i = 0; i < n; i++) {
			if (v[i].fate == F_DIR)
				continue;
			if (strcmp(v[i].name, t->path) == 0)
				break;
			if (t->have_id && v[i].have_id &&
			    v[i].id.dev == t->id.dev &&
			    v[i].id.ino == t->id.ino)
				break;
		}
		if (i < n)
			lr_hit(c, cur, file, pat, line, t->path,
			    lr_fate_why(c, v[i].fate, v[i].owner));
	}
	free(v);
	globfree(&g);
	free(exp);
	return dup;
}

/*
 * The olddir checks logrotate makes at '}': each file's directory must
 * exist (unless missingok), the olddir too (or createolddir would make it:
 * we never create anything), on the same device unless the log is copied.
 */
bool
lr_olddir_bad(struct lr_ctx *c, size_t si)
{
	struct lr_set	*set = &c->st[si].set;
	struct stat	 sd, so;
	char		*copy, *dir, *od;
	size_t		 i;
	bool		 bad = false;

	if (set->olddir == NULL || c->st[si].emptied)
		return false;
	for (i = 0; i < c->nclaims && !bad; i++) {
		if (c->claims[i].stanza != si)
			continue;
		copy = xstrdup(c->claims[i].name);
		dir = dirname(copy);
		if (stat(dir, &sd) == -1) {
			bad = !(set->flags & LS_MISSINGOK);
			free(copy);
			continue;
		}
		od = tree_join(dir, set->olddir);
		if (stat(od, &so) == -1)
			bad = !(errno == ENOENT &&
			    (set->flags & LS_CREATEOLDDIR));
		else if (so.st_dev != sd.st_dev && !(set->flags &
		    (LS_COPYTRUNCATE | LS_COPY | LS_RENAMECOPY)))
			bad = true;
		free(od);
		free(copy);
	}
	return bad;
}
