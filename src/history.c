/*
 * One log's history in time order (see history.h): the sources are planned
 * and opened at once, against a state of the log's directory and of
 * archive_dir that did not move meanwhile, then read one after the other
 * and cut into lines, each line's time taken from its leading timestamp.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "fsx.h"
#include "gen.h"
#include "gz.h"
#include "history.h"
#include "journal.h"
#include "logtime.h"
#include "report.h"
#include "scan.h"
#include "tree.h"
#include "xmalloc.h"

/*
 * Lines from writers running at once reach a file a moment out of their
 * timestamps' order: reading stops this far past --until.
 */
#define HIST_SLACK	120
/*
 * And only once this many timed lines in a row are: a line whose clock was
 * wrong (a year ahead) must not end the history before lines that follow
 * it inside the window.
 */
#define HIST_PAST_RUN	4
/* Attempts at a state that holds still while every source is opened. */
#define HIST_TRIES	200

enum hist_kind {
	HS_MEMBER,	/* a generation inside a nightly archive */
	HS_GEN,		/* a generation in the tree */
	HS_LIVE		/* the live log */
};

struct hist_src {
	enum hist_kind	 kind;
	char		*name;		/* member name, or file name in dir */
	char		*display;	/* for messages and hist_line.source */
	bool		 gz;
	size_t		 arc;		/* HS_MEMBER: index in h->arcs */
	size_t		 ord;		/* HS_MEMBER: its place in the archive */
	int64_t		 size;		/* HS_MEMBER: from its header */
	struct timespec	 mtime;
	char		 tag[EVM_TAG_MAX];/* HS_MEMBER: its day */
	int		 fd;		/* HS_GEN, HS_LIVE: opened, or -1 */
	struct gen_name	 gn;		/* HS_GEN */
	time_t		 hi;		/* no line after this; -1 unknown */
};

struct hist_arc {
	char		*name;
	int		 fd;
	bool		 gz;
	dev_t		 dev;
	ino_t		 ino;
};

/* What must hold still: this log's names and inodes, and the archives'. */
struct hist_ent {
	char		*name;
	dev_t		 dev;
	ino_t		 ino;
};

struct hist_state {
	struct hist_ent	*v;
	size_t		 n;
	struct timespec	 dirm, arcm;
};

struct hist {
	const struct evm_config	*cfg;
	struct report		*rep;
	struct lt_window	 win;
	char			*rel;
	char			*dirrel;
	const char		*base;		/* the log's name, in rel */
	int			 rootfd;
	int			 dirfd;		/* -1: no such directory */
	int			 arcdirfd;	/* -1: none readable */
	int			 statedirfd;	/* -1: no journal to read */
	char			*jname;		/* STATE.journal */
	struct hist_arc		*arcs;
	size_t			 narcs;
	struct hist_src		*src;
	size_t			 nsrc;
	unsigned		 errors;
	/* an attempt's problems, reported once it is the one that holds */
	bool			 planning;
	char			**held;		/* path, message, path, ... */
	size_t			 nheld;

	/* reading */
	size_t			 cur;		/* source being read */
	bool			 open;		/* cur is open */
	struct arc_reader	*ar;		/* for members */
	size_t			 ar_arc;
	size_t			 ar_ord;	/* members ar has passed */
	struct gz_reader	*gz;
	unsigned char		*ibuf;
	size_t			 ipos, ilen;
	bool			 ieof;
	char			*line;
	size_t			 linecap;
	bool			 split;		/* the last piece was cut */
	bool			 failed;	/* cur ended in an error */
	time_t			 rec_time;
	bool			 rec_timed;
	bool			 rec_in;	/* the current record is wanted */
	unsigned		 past;		/* timed lines in a row past the
						   window's end + HIST_SLACK */
};

static void	hist_state_free(struct hist_state *);
static void	hist_sources_free(struct hist *);
static void	hist_say(struct hist *, const char *, char *);
static void	hist_held_flush(struct hist *, bool);
static void	hist_error(struct hist *, const struct hist_src *,
		    const char *, ...) __attribute__((format(printf, 3, 4)));

static void
hist_say(struct hist *h, const char *path, char *msg)
{
	if (!h->planning) {
		report_error(h->rep, path, "%s", msg);
		free(msg);
		return;
	}
	h->held = xreallocarray(h->held, h->nheld + 2, sizeof *h->held);
	h->held[h->nheld++] = xstrdup(path);
	h->held[h->nheld++] = msg;
}

/* The held problems: reported (the attempt held) or dropped. */
static void
hist_held_flush(struct hist *h, bool report)
{
	size_t i;

	for (i = 0; i + 1 < h->nheld; i += 2) {
		if (report)
			report_error(h->rep, h->held[i], "%s", h->held[i + 1]);
		free(h->held[i]);
		free(h->held[i + 1]);
	}
	free(h->held);
	h->held = NULL;
	h->nheld = 0;
}

static void
hist_error(struct hist *h, const struct hist_src *s, const char *fmt, ...)
{
	va_list	 ap;
	struct tm tm;
	char	*msg, *full, day[16];

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	h->errors++;
	if (s != NULL && s->kind == HS_MEMBER) {
		snprintf(day, sizeof day, "%.4s-%.2s-%.2s", s->tag, s->tag + 4,
		    s->tag + 6);
		xasprintf(&full, "the generation rotated on %s (%s): %s; the "
		    "rest is still read", day, s->display,
		    msg ? msg : "out of memory");
	} else if (s != NULL && s->kind == HS_GEN && s->mtime.tv_sec > 0 &&
	    localtime_r(&s->mtime.tv_sec, &tm) != NULL &&
	    strftime(day, sizeof day, "%Y-%m-%d", &tm) > 0) {
		/* its number changes every night: the day says which one */
		xasprintf(&full, "%s (the generation last written on %s); the "
		    "rest is still read", msg ? msg : "out of memory", day);
	} else if (s != NULL)
		xasprintf(&full, "%s; the rest is still read",
		    msg ? msg : "out of memory");
	else
		full = xstrdup(msg ? msg : "out of memory");
	hist_say(h, s != NULL && s->kind != HS_MEMBER ? s->display : h->rel,
	    full);
	free(msg);
}

/* ---- naming ---- */

static bool
hist_short_match(const char *rel, const char *name)
{
	const char	*b = strrchr(rel, '/');
	size_t		 n;

	b = b ? b + 1 : rel;
	n = strlen(b);
	return n == strlen(name) + 4 && strncmp(b, name, n - 4) == 0;
}

static bool
hist_exists(int rootfd, const char *rel)
{
	struct stat st;

	return rootfd >= 0 && fstatat(rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) ==
	    0;
}

int
hist_resolve(const struct evm_config *cfg, const char *arg, char **rel,
    char **why)
{
	const char	*bad, *b;
	char		*cand[2], *w = NULL;
	size_t		 i;
	int		 rootfd;

	*rel = *why = NULL;
	if ((bad = conf_check_relpath(arg)) != NULL) {
		xasprintf(why, "log '%s' %s", arg, bad);
		return -1;
	}
	b = strrchr(arg, '/');
	if (b != NULL || gen_is_log_name(arg)) {
		if (!gen_is_log_name(b ? b + 1 : arg)) {
			xasprintf(why, "'%s' is not a log: a log's name ends in "
			    "'.log'", arg);
			return -1;
		}
		*rel = xstrdup(arg);
		return 0;
	}
	/* a short name: a configured log first, then the tree's */
	for (i = 0; i < cfg->nlogs; i++)
		if (hist_short_match(cfg->logs[i], arg)) {
			*rel = xstrdup(cfg->logs[i]);
			return 0;
		}
	xasprintf(&cand[0], "%s/%s.log", arg, arg);
	xasprintf(&cand[1], "%s.log", arg);
	rootfd = tree_open_abs(cfg->root, NULL, NULL, &w);
	free(w);
	for (i = 0; i < 2 && *rel == NULL; i++)
		if (hist_exists(rootfd, cand[i]))
			*rel = xstrdup(cand[i]);
	if (*rel == NULL)
		xasprintf(why, "no log named '%s': neither %s nor %s under %s",
		    arg, cand[0], cand[1], cfg->root);
	free(cand[0]);
	free(cand[1]);
	if (rootfd >= 0)
		close(rootfd);
	return *rel != NULL ? 0 : 1;
}

/* ---- the state that must hold still ---- */

static int
hist_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hist_ent *)a)->name,
	    ((const struct hist_ent *)b)->name);
}

/* Whether NAME in the log's directory is the log or one of its slots. */
static bool
hist_is_ours(const struct hist *h, const char *name, struct gen_name *gn)
{
	size_t n = strlen(h->base);

	if (strcmp(name, h->base) == 0) {
		memset(gn, 0, sizeof *gn);
		return true;
	}
	return !fsx_is_tmp_name(name) && gen_parse(name, gn) &&
	    gn->baselen == n && strncmp(name, h->base, n) == 0;
}

static void
hist_state_add(struct hist_state *s, const char *name, const struct stat *st)
{
	s->v = xgrowarray(s->v, s->n + 1, sizeof *s->v);
	s->v[s->n].name = xstrdup(name);
	s->v[s->n].dev = st->st_dev;
	s->v[s->n].ino = st->st_ino;
	s->n++;
}

struct hist_lister {
	struct hist		*h;
	struct hist_state	*s;
};

static int
hist_state_one(void *arg, const char *name)
{
	struct hist_lister	*hl = arg;
	struct gen_name		 gn;
	struct stat		 st;

	if (hist_is_ours(hl->h, name, &gn) &&
	    fsx_fstatat(hl->h->dirfd, name, &st) == 0)
		hist_state_add(hl->s, name, &st);
	return 0;
}

static int
hist_state_take(struct hist *h, struct hist_state *s)
{
	struct hist_lister	 hl;
	struct arc_entry	*e;
	struct stat		 st;
	size_t			 n, i;
	int			 saved;

	memset(s, 0, sizeof *s);
	hl.h = h;
	hl.s = s;
	if (h->dirfd >= 0) {
		if (fsx_fstat(h->dirfd, &st) == -1)
			return -1;
		s->dirm = st.st_mtim;
		if (fsx_dir_each(h->dirfd, hist_state_one, &hl) == -1)
			goto fail;
	}
	if (h->arcdirfd >= 0) {
		if (fsx_fstat(h->arcdirfd, &st) == -1 ||
		    arc_list(h->arcdirfd, &e, &n) == -1)
			goto fail;
		s->arcm = st.st_mtim;
		for (i = 0; i < n; i++) {
			char *k;

			/* a "/" keeps archives apart from the tree's names */
			xasprintf(&k, "/%s", e[i].name);
			hist_state_add(s, k, &e[i].st);
			free(k);
		}
		arc_list_free(e, n);
	}
	/* a journal rewritten is replaced: a new inode */
	if (h->statedirfd >= 0 && fsx_fstatat(h->statedirfd, h->jname, &st) ==
	    0)
		hist_state_add(s, "//journal", &st);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, hist_ent_cmp);
	return 0;
fail:
	saved = errno;
	hist_state_free(s);
	errno = saved;
	return -1;
}

static bool
hist_state_equal(const struct hist_state *a, const struct hist_state *b)
{
	size_t i;

	if (a->n != b->n || a->dirm.tv_sec != b->dirm.tv_sec ||
	    a->dirm.tv_nsec != b->dirm.tv_nsec ||
	    a->arcm.tv_sec != b->arcm.tv_sec ||
	    a->arcm.tv_nsec != b->arcm.tv_nsec)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
		    a->v[i].dev != b->v[i].dev || a->v[i].ino != b->v[i].ino)
			return false;
	return true;
}

static void
hist_state_free(struct hist_state *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	memset(s, 0, sizeof *s);
}

static const struct hist_ent *
hist_state_find(const struct hist_state *s, const char *name)
{
	struct hist_ent key = { .name = (char *)name };

	if (s->n == 0)
		return NULL;
	return bsearch(&key, s->v, s->n, sizeof *s->v, hist_ent_cmp);
}

/* Whether the fd's file is what the state names NAME. */
static bool
hist_state_has(const struct hist_state *s, const char *name, int fd)
{
	const struct hist_ent	*e = hist_state_find(s, name);
	struct stat		 st;

	return e != NULL && fsx_fstat(fd, &st) == 0 && st.st_dev == e->dev &&
	    st.st_ino == e->ino;
}

/* ---- planning: which sources, in which order, within which bounds ---- */

static time_t
hist_day_end(int day)
{
	time_t a, b;

	/* a line is stamped before it is written, so before the rotation */
	return lt_day_bounds(day, &a, &b) == 0 ? b : (time_t)-1;
}

static struct hist_src *
hist_src_add(struct hist *h, enum hist_kind kind, const char *name)
{
	struct hist_src *s;

	h->src = xgrowarray(h->src, h->nsrc + 1, sizeof *h->src);
	s = &h->src[h->nsrc++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->name = xstrdup(name);
	s->fd = -1;
	s->hi = (time_t)-1;
	return s;
}

/*
 * Lists one archive's members of this log. A snapshot (`evmaint archive`:
 * the tree under its own names, README.md first) holds nothing a nightly
 * archive or the tree does not: it is passed over at its first member.
 */
static int
hist_list_archive(struct hist *h, size_t ai)
{
	struct hist_arc		*a = &h->arcs[ai];
	struct arc_reader	*r;
	struct arc_reader_entry	 e;
	struct gen_name		 gn;
	struct hist_src		*s;
	size_t			 ord, rl = strlen(h->rel);
	int			 fd, rc;

	if (lseek(a->fd, 0, SEEK_SET) == (off_t)-1 ||
	    (fd = fcntl(a->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	r = arc_reader_open(fd, a->gz);
	for (ord = 0; (rc = arc_reader_next(r, &e)) == 1; ord++) {
		if (!gen_parse(e.name, &gn) || gn.form != GEN_DATE)
			break;		/* a snapshot */
		if (gn.baselen != rl || strncmp(e.name, h->rel, rl) != 0)
			continue;
		s = hist_src_add(h, HS_MEMBER, e.name);
		xasprintf(&s->display, "%s in %s", e.name, a->name);
		s->gz = gn.gz;
		s->arc = ai;
		s->ord = ord;
		s->size = e.size;
		s->mtime = e.mtime;
		memcpy(s->tag, gn.tag, sizeof s->tag);
		s->hi = hist_day_end(gen_tag_day(gn.tag));
	}
	if (rc == -1)
		hist_error(h, NULL, "archive %s: %s: its members that follow "
		    "are not read", a->name, arc_reader_error(r));
	arc_reader_close(r);
	return 0;
}

static int
hist_member_cmp(const void *pa, const void *pb)
{
	const struct hist_src *a = pa, *b = pb;
	int c;

	if ((c = strcmp(a->tag, b->tag)) != 0)
		return c;
	if ((c = strcmp(a->name, b->name)) != 0)
		return c;
	if (a->arc != b->arc)
		return a->arc < b->arc ? -1 : 1;
	return 0;
}

/* Members in time order, each name once (the first archive's copy). */
static void
hist_plan_members(struct hist *h)
{
	size_t i, k;

	if (h->nsrc > 1)
		qsort(h->src, h->nsrc, sizeof *h->src, hist_member_cmp);
	for (i = k = 0; i < h->nsrc; i++) {
		if (k > 0 && strcmp(h->src[k - 1].name, h->src[i].name) == 0) {
			free(h->src[i].name);
			free(h->src[i].display);
			continue;
		}
		h->src[k++] = h->src[i];
	}
	h->nsrc = k;
}

/*
 * Whether a tree generation is already in a published archive whose
 * sources are not removed yet (a rotation under way, or one that stopped
 * there): its run's journal names the archive and each source's inode.
 */
static bool
hist_in_archive(const struct hist *h, const struct journal *j,
    const struct hist_state *st0, const struct stat *st)
{
	char	*key;
	bool	 published;
	size_t	 i;

	if (j->archive == NULL)
		return false;
	xasprintf(&key, "/%s", j->archive);
	published = hist_state_find(st0, key) != NULL;
	free(key);
	for (i = 0; published && i < j->nmembers; i++)
		if (j->members[i].dev == st->st_dev &&
		    j->members[i].ino == st->st_ino &&
		    strcmp(j->members[i].dirrel, h->dirrel) == 0)
			return true;
	return false;
}

/* The journal of a rotation under way or stopped, or an empty one. */
static void
hist_journal(struct hist *h, struct journal *j)
{
	char *err = NULL;

	memset(j, 0, sizeof *j);
	if (h->statedirfd >= 0 && journal_load(h->statedirfd, h->jname, j,
	    &err) < 0) {
		/* unreadable: a generation may then come twice, never not
		   at all */
		journal_free(j);
		memset(j, 0, sizeof *j);
	}
	free(err);
}

/* The log's generations in the state, in the scanner's age order. */
static void
hist_tree_gens(struct hist *h, const struct hist_state *st0, struct log *l)
{
	struct gen_name	 gn;
	struct gen	*g;
	size_t		 i;

	memset(l, 0, sizeof *l);
	l->opts = conf_logopts(h->cfg, h->rel);
	for (i = 0; i < st0->n; i++) {
		const char *name = st0->v[i].name;

		if (name[0] == '/' || strcmp(name, h->base) == 0 ||
		    !hist_is_ours(h, name, &gn))
			continue;
		l->gens = xgrowarray(l->gens, l->ngens + 1, sizeof *l->gens);
		g = &l->gens[l->ngens++];
		memset(g, 0, sizeof *g);
		g->name = xstrdup(name);
		g->gn = gn;
	}
	scan_gens_sort(l);
}

static void
hist_src_drop(struct hist *h, struct hist_src *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->name);
	free(s->display);
	h->nsrc--;
}

/*
 * Opens one tree generation as a source. 0, or 1 when it moved since the
 * state was taken.
 */
static int
hist_plan_gen(struct hist *h, const struct hist_state *st0,
    const struct journal *j, const struct gen *g, bool *found)
{
	struct hist_src	*s;
	struct stat	 st;
	time_t		 tag;

	*found = true;
	s = hist_src_add(h, HS_GEN, g->name);
	s->display = tree_join(h->dirrel, g->name);
	s->gn = g->gn;
	s->gz = g->gn.gz;
	if ((s->fd = fsx_open_read(h->dirfd, g->name, &st)) == -1) {
		if (errno == ENOENT)
			return 1;
		hist_error(h, s, "cannot open: %s", errno == EMLINK ?
		    fsx_refusal(&st) : errno == ELOOP ? "a symlink" :
		    strerror(errno));
		hist_src_drop(h, s);
		return 0;
	}
	if (!hist_state_has(st0, g->name, s->fd))
		return 1;
	s->mtime = st.st_mtim;
	if (hist_in_archive(h, j, st0, &st)) {
		hist_src_drop(h, s);
		return 0;
	}
	/* its last write; a dated one's name may say later */
	s->hi = hist_day_end(clock_day(st.st_mtime));
	if (g->gn.form == GEN_DATE &&
	    (tag = hist_day_end(gen_tag_day(g->gn.tag))) > s->hi)
		s->hi = tag;
	return 0;
}

/*
 * The tree's generations, oldest first (the reverse of the scanner's age
 * order). A plain generation and its .gz (compression under way) are one
 * slot: the plain one is read. One also in an archive (the archive
 * published, the source not removed yet) is read there. 0, or 1 when
 * something moved.
 */
static int
hist_plan_gens(struct hist *h, const struct hist_state *st0, bool *found)
{
	struct journal	 j;
	struct log	 l;
	struct gen	*g;
	size_t		 i;
	int		 rc = 0;

	hist_journal(h, &j);
	hist_tree_gens(h, st0, &l);
	for (i = l.ngens; rc == 0 && i-- > 0;) {
		g = &l.gens[i];
		if (i > 0 && l.gens[i - 1].gn.form == g->gn.form &&
		    l.gens[i - 1].gn.num == g->gn.num &&
		    strcmp(l.gens[i - 1].gn.tag, g->gn.tag) == 0)
			continue;	/* the .gz of a pair */
		rc = hist_plan_gen(h, st0, &j, g, found);
	}
	for (i = 0; i < l.ngens; i++)
		gen_free(&l.gens[i]);
	free(l.gens);
	journal_free(&j);
	return rc;
}

/* The live log, last. 0, or 1 when it moved. */
static int
hist_plan_live(struct hist *h, const struct hist_state *st0, bool *found)
{
	struct hist_src	*s;
	struct stat	 st;

	if (h->dirfd < 0)
		return 0;
	s = hist_src_add(h, HS_LIVE, h->base);
	s->display = xstrdup(h->rel);
	if ((s->fd = fsx_open_read(h->dirfd, h->base, &st)) == -1) {
		int err = errno;

		if (err != ENOENT)
			hist_error(h, s, "cannot open: %s", err == EMLINK ?
			    fsx_refusal(&st) : err == ELOOP ? "a symlink" :
			    strerror(err));
		hist_src_drop(h, s);
		/* gone since the state was taken: a rotation moved it */
		return err == ENOENT && hist_state_find(st0, h->base) != NULL;
	}
	*found = true;
	return hist_state_has(st0, h->base, s->fd) ? 0 : 1;
}

static int
hist_plan_tree(struct hist *h, const struct hist_state *st0, bool *found)
{
	int rc;

	if ((rc = hist_plan_gens(h, st0, found)) != 0)
		return rc;
	return hist_plan_live(h, st0, found);
}

/*
 * The archives that can hold lines in the window: those written at or
 * after its start (an archive holds nothing newer than itself), all of
 * them when the log is not in the tree any more.
 */
static int
hist_plan_archives(struct hist *h, const struct hist_state *st0, bool all)
{
	struct stat	st;
	time_t		stamp;
	size_t		i;
	bool		gz;
	int		fd;

	for (i = 0; i < st0->n; i++) {
		const char *name = st0->v[i].name;
		struct hist_arc *a;

		if (name[0] != '/')
			continue;
		name++;
		if (!arc_parse_name(name, &stamp, NULL, &gz))
			continue;
		if (!all && h->win.has_since && stamp < h->win.since)
			continue;
		if ((fd = fsx_open_read(h->arcdirfd, name, &st)) == -1) {
			if (errno == ENOENT)
				return 1;
			hist_error(h, NULL, "archive %s/%s: cannot open: %s",
			    h->cfg->archive_dir, name, errno == EMLINK ?
			    fsx_refusal(&st) : strerror(errno));
			continue;
		}
		h->arcs = xgrowarray(h->arcs, h->narcs + 1,
		    sizeof *h->arcs);
		a = &h->arcs[h->narcs++];
		a->name = xstrdup(name);
		a->fd = fd;
		a->gz = gz;
		a->dev = st.st_dev;
		a->ino = st.st_ino;
		if (!hist_state_has(st0, st0->v[i].name, fd))
			return 1;
		if (hist_list_archive(h, h->narcs - 1) == -1) {
			hist_error(h, NULL, "archive %s/%s: %s",
			    h->cfg->archive_dir, name, strerror(errno));
		}
	}
	return 0;
}

static void
hist_sources_free(struct hist *h)
{
	size_t i;

	for (i = 0; i < h->nsrc; i++) {
		if (h->src[i].fd >= 0)
			close(h->src[i].fd);
		free(h->src[i].name);
		free(h->src[i].display);
	}
	free(h->src);
	h->src = NULL;
	h->nsrc = 0;
	for (i = 0; i < h->narcs; i++) {
		close(h->arcs[i].fd);
		free(h->arcs[i].name);
	}
	free(h->arcs);
	h->arcs = NULL;
	h->narcs = 0;
}

/*
 * One attempt: plan and open everything from one state, then take the
 * state again. 0: done, 1: something moved (start again), -1: error.
 */
static int
hist_plan(struct hist *h, bool *found)
{
	struct hist_state	st0, st1;
	unsigned		errors = h->errors;
	int			rc;
	bool			tree = false;

	*found = false;
	if (hist_state_take(h, &st0) == -1) {
		hist_error(h, NULL, "cannot list its files: %s",
		    strerror(errno));
		return -1;
	}
	h->planning = true;
	for (size_t i = 0; i < st0.n && !tree; i++)
		tree = st0.v[i].name[0] != '/';
	rc = hist_plan_archives(h, &st0, !tree);
	if (rc == 0) {
		hist_plan_members(h);
		*found = h->nsrc > 0;
		rc = hist_plan_tree(h, &st0, found);
	}
	if (rc == 0) {
		if (hist_state_take(h, &st1) == -1) {
			hist_error(h, NULL, "cannot list its files: %s",
			    strerror(errno));
			rc = -1;
		} else if (!hist_state_equal(&st0, &st1))
			rc = 1;
		hist_state_free(&st1);
	}
	hist_state_free(&st0);
	h->planning = false;
	/* a moved attempt's problems come again, or not, in the next one */
	hist_held_flush(h, rc != 1);
	if (rc != 0) {
		hist_sources_free(h);
		if (rc == 1)
			h->errors = errors;
	}
	return rc;
}

static int
hist_open_dirs(struct hist *h)
{
	struct stat	 st;
	const char	*bad, *base = NULL;
	char		*why = NULL, *p, *comp, *save = NULL, *dir;
	int		 fd;

	/* what every other command refuses is not read either */
	if ((h->rootfd = tree_open_trusted(h->cfg->root, NULL, h->cfg->uid,
	    NULL, &why)) == -1) {
		report_error(h->rep, NULL, "root %s", why ? why : strerror(errno));
		free(why);
		return -1;
	}
	h->dirfd = fcntl(h->rootfd, F_DUPFD_CLOEXEC, 0);
	p = xstrdup(h->dirrel);
	for (comp = strtok_r(p, "/", &save); comp != NULL && h->dirfd >= 0;
	    comp = strtok_r(NULL, "/", &save)) {
		fd = fsx_open_dir(h->dirfd, comp);
		close(h->dirfd);
		h->dirfd = fd;
		if (fd == -1 && errno != ENOENT) {
			report_error(h->rep, h->rel, "directory %s: %s", comp,
			    errno == ELOOP || errno == ENOTDIR ?
			    "not a directory (a symlink is not followed)" :
			    strerror(errno));
			free(p);
			return -1;
		}
		if (fd >= 0 && fsx_fstat(fd, &st) == 0 &&
		    (bad = tree_untrusted(&st, h->cfg->uid, true)) != NULL) {
			report_error(h->rep, h->rel, "directory %s is %s: not "
			    "read", comp, bad);
			free(p);
			return -1;
		}
	}
	free(p);
	h->statedirfd = tree_open_parent(h->cfg->state_file, NULL, NULL,
	    &base, &why);
	free(why);
	why = NULL;
	/*
	 * The journal names what a rotation under way renames: read only
	 * from a directory rotate itself would use (root's or ours, nobody
	 * else's to write), whoever reads.
	 */
	if (h->statedirfd >= 0 && fsx_fstat(h->statedirfd, &st) == 0 &&
	    (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) &&
	    (bad = fsx_own_refusal(&st)) != NULL) {
		dir = xstrndup(h->cfg->state_file, (size_t)(base - 1 -
		    h->cfg->state_file));
		hist_error(h, NULL, "state directory %s is %s: a rotation's "
		    "journal is not read", *dir ? dir : "/", bad);
		free(dir);
		close(h->statedirfd);
		h->statedirfd = -1;
	}
	xasprintf(&h->jname, "%s.journal", base != NULL ? base : "state");
	h->arcdirfd = tree_open_trusted(h->cfg->archive_dir, NULL, h->cfg->uid,
	    NULL, &why);
	if (h->arcdirfd == -1 && errno != ENOENT)
		hist_error(h, NULL, "archive_dir: %s; its days are not read",
		    why ? why : strerror(errno));
	free(why);
	return 0;
}

struct hist *
hist_open(const struct evm_config *cfg, const char *rel,
    const struct lt_window *win, struct report *rep)
{
	struct hist	*h = xcalloc(1, sizeof *h);
	const char	*slash = strrchr(rel, '/');
	struct timespec	 pause = { 0, 2000000 };
	bool		 found = false;
	unsigned	 e0;
	int		 i, rc = 1;

	h->cfg = cfg;
	h->rep = rep;
	if (win != NULL)
		h->win = *win;
	h->rel = xstrdup(rel);
	h->dirrel = xstrndup(rel, slash ? (size_t)(slash - rel) : 0);
	h->base = slash ? slash + 1 : h->rel;
	h->rootfd = h->dirfd = h->arcdirfd = h->statedirfd = -1;
	h->rec_in = !h->win.has_since;
	if (hist_open_dirs(h) == -1) {
		hist_close(h);
		return NULL;
	}
	e0 = h->errors;	/* a directory not read does not make a log found */
	for (i = 0; i < HIST_TRIES && rc == 1; i++) {
		if (i > 0) {
			nanosleep(&pause, NULL);
			if (pause.tv_nsec < 50000000)
				pause.tv_nsec *= 2;
		}
		rc = hist_plan(h, &found);
	}
	if (rc == 1)
		report_error(rep, rel, "the log's files kept changing while "
		    "they were opened (%d attempts): try again", HIST_TRIES);
	if (rc == 0 && !found && h->errors == e0)
		report_error(rep, rel, "no such log: no live file, generation "
		    "or archived day under %s or %s", cfg->root,
		    cfg->archive_dir);
	if (rc != 0 || !found) {
		hist_close(h);
		return NULL;
	}
	h->ibuf = xmalloc(GZ_BUFSIZE);
	h->linecap = 4096;
	h->line = xmalloc(h->linecap);
	return h;
}

/* ---- reading ---- */

/*
 * Whether a source can hold lines in the window, by its day alone. Only
 * the upper bound is used: a file's mtime (copied, restored) may be later
 * than its lines, never earlier, so it cannot bound them from below; the
 * window's end is found in the lines instead (hist_next).
 */
static bool
hist_src_wanted(const struct hist *h, const struct hist_src *s)
{
	return lt_window_overlaps(&h->win, (time_t)-1, s->hi);
}

static ssize_t
hist_member_read(void *arg, void *buf, size_t len)
{
	struct hist *h = arg;
	ssize_t n;

	if ((n = arc_reader_data(h->ar, buf, len)) == -1)
		errno = EIO;
	return n;
}

/* Positions the archive reader at the member; 0 or -1 (reported). */
static int
hist_member_open(struct hist *h, struct hist_src *s)
{
	struct hist_arc		*a = &h->arcs[s->arc];
	struct arc_reader_entry	 e;
	int			 fd, rc;

	if (h->ar != NULL && (h->ar_arc != s->arc || h->ar_ord > s->ord)) {
		arc_reader_close(h->ar);
		h->ar = NULL;
	}
	if (h->ar == NULL) {
		if (lseek(a->fd, 0, SEEK_SET) == (off_t)-1 ||
		    (fd = fcntl(a->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			hist_error(h, s, "%s", strerror(errno));
			return -1;
		}
		h->ar = arc_reader_open(fd, a->gz);
		h->ar_arc = s->arc;
		h->ar_ord = 0;
	}
	while ((rc = arc_reader_next(h->ar, &e)) == 1) {
		if (h->ar_ord++ == s->ord)
			break;
	}
	if (rc != 1 || strcmp(e.name, s->name) != 0) {
		hist_error(h, s, "%s", rc == -1 ? arc_reader_error(h->ar) :
		    "the member is not where it was");
		arc_reader_close(h->ar);
		h->ar = NULL;
		return -1;
	}
	if (s->gz)
		h->gz = gz_reader_new_fn(hist_member_read, h);
	return 0;
}

static int
hist_src_open(struct hist *h, struct hist_src *s)
{
	h->ipos = h->ilen = 0;
	h->ieof = false;
	if (s->kind == HS_MEMBER)
		return hist_member_open(h, s);
	if (s->gz)
		h->gz = gz_reader_new(s->fd);
	else
		(void)posix_fadvise(s->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

static void
hist_src_close(struct hist *h, struct hist_src *s)
{
	gz_reader_free(h->gz);
	h->gz = NULL;
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	h->open = false;
	h->split = false;
	h->failed = false;
}

/* More bytes of the current source: >0, 0 at its end, -1 (reported). */
static ssize_t
hist_fill(struct hist *h, struct hist_src *s)
{
	ssize_t n;

	if (h->gz != NULL)
		n = gz_reader_read(h->gz, h->ibuf, GZ_BUFSIZE);
	else if (s->kind == HS_MEMBER)
		n = arc_reader_data(h->ar, h->ibuf, GZ_BUFSIZE);
	else
		n = fsx_read(s->fd, h->ibuf, GZ_BUFSIZE);
	if (n == -1) {
		h->failed = true;
		if (h->gz != NULL)
			hist_error(h, s, "%s", gz_reader_error(h->gz));
		else if (s->kind == HS_MEMBER)
			hist_error(h, s, "%s", arc_reader_error(h->ar));
		else
			hist_error(h, s, "read error: %s", strerror(errno));
		if (s->kind == HS_MEMBER) {
			arc_reader_close(h->ar);
			h->ar = NULL;
		}
	}
	h->ipos = 0;
	h->ilen = n > 0 ? (size_t)n : 0;
	return n;
}

/*
 * The next whole line of the current source into h->line: its length, or
 * -1 at the source's end (a last line without a newline still counts; one
 * cut by an error does not).
 */
static ssize_t
hist_getline(struct hist *h, struct hist_src *s, bool *cut)
{
	size_t	len = 0, take;
	char	*nl;
	ssize_t	n;

	*cut = false;
	for (;;) {
		if (h->ipos == h->ilen) {
			if (h->ieof)
				return len > 0 ? (ssize_t)len : -1;
			if ((n = hist_fill(h, s)) <= 0) {
				h->ieof = true;
				if (n == -1)
					return -1;
				return len > 0 ? (ssize_t)len : -1;
			}
		}
		nl = memchr(h->ibuf + h->ipos, '\n', h->ilen - h->ipos);
		take = nl ? (size_t)(nl - (char *)h->ibuf) - h->ipos :
		    h->ilen - h->ipos;
		if (len + take > HIST_LINE_MAX) {
			take = HIST_LINE_MAX - len;
			nl = NULL;
			*cut = true;
		}
		if (len + take + 1 > h->linecap) {
			while (len + take + 1 > h->linecap)
				h->linecap *= 2;
			h->line = xrealloc(h->line, h->linecap);
		}
		memcpy(h->line + len, h->ibuf + h->ipos, take);
		len += take;
		h->ipos += take;
		if (nl != NULL) {
			h->ipos++;
			return (ssize_t)len;
		}
		if (*cut)
			return (ssize_t)len;
	}
}

/*
 * Whether the untimed lines that open the next source are wanted, when the
 * record they continue was lost to an error in s: its time is unknown, so
 * they are kept only where any time s can hold would be (s->hi bounds its
 * lines from above; no window at all keeps them all).
 */
static bool
hist_rec_unknown(const struct hist *h, const struct hist_src *s)
{
	if (h->win.has_since)
		return false;
	return !h->win.has_until || (s->hi >= 0 && s->hi <= h->win.until);
}

int
hist_next(struct hist *h, struct hist_line *ln)
{
	struct hist_src	*s;
	ssize_t		 len;
	time_t		 t;
	bool		 cut, head;

	for (;;) {
		if (h->cur >= h->nsrc)
			return 0;
		s = &h->src[h->cur];
		if (!h->open) {
			if (!hist_src_wanted(h, s)) {
				/* its records are outside the window */
				h->rec_in = false;
				hist_src_close(h, s);
				h->cur++;
				continue;
			}
			if (hist_src_open(h, s) == -1) {
				h->rec_in = hist_rec_unknown(h, s);
				hist_src_close(h, s);
				h->cur++;
				continue;
			}
			h->open = true;
		}
		if ((len = hist_getline(h, s, &cut)) == -1) {
			if (h->failed)
				h->rec_in = hist_rec_unknown(h, s);
			hist_src_close(h, s);
			h->cur++;
			continue;
		}
		h->line[len] = '\0';
		head = !h->split && lt_line_time(h->line, (size_t)len, &t) == 0;
		h->split = cut;
		if (head) {
			h->rec_time = t;
			h->rec_timed = true;
			h->rec_in = lt_window_has(&h->win, t);
			if (!h->win.has_until || t <= h->win.until + HIST_SLACK)
				h->past = 0;
			else if (++h->past == HIST_PAST_RUN) {
				/* what follows, here and in later sources, is
				   later still */
				hist_src_close(h, s);
				h->cur = h->nsrc;
				return 0;
			}
		}
		if (!h->rec_in)
			continue;
		ln->text = h->line;
		ln->len = (size_t)len;
		ln->time = h->rec_time;
		ln->timed = h->rec_timed;
		ln->cont = !head;
		ln->more = cut;
		ln->source = s->display;
		return 1;
	}
}

unsigned
hist_errors(const struct hist *h)
{
	return h->errors;
}

const char *
hist_rel(const struct hist *h)
{
	return h->rel;
}

void
hist_close(struct hist *h)
{
	if (h == NULL)
		return;
	gz_reader_free(h->gz);
	arc_reader_close(h->ar);
	hist_sources_free(h);
	if (h->rootfd >= 0)
		close(h->rootfd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	if (h->arcdirfd >= 0)
		close(h->arcdirfd);
	if (h->statedirfd >= 0)
		close(h->statedirfd);
	free(h->jname);
	free(h->ibuf);
	free(h->line);
	free(h->rel);
	free(h->dirrel);
	free(h);
}
