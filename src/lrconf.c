/*
 * Finds the logrotate stanzas that would rotate files of the tree too, by
 * reading logrotate's configuration as logrotate 3.21 reads it. Its config.c
 * is a character-level state machine whose quirks decide what really gets
 * rotated (a keyword eats the character after it, a stanza with an error is
 * dropped only at the next '}' in column one, a file that ends inside one
 * keeps it, ...), so this is the same machine, checked against the 3.21
 * binary, rather than a tidier grammar that would disagree with it.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <grp.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "lrconf.h"
#include "xmalloc.h"

#define LR_MAX_BYTES	0xffffff	/* logrotate refuses bigger files */
#define LR_MAX_NESTING	16U		/* logrotate's include depth */
#define LR_MAX_HITS	10000		/* a hostile config cannot eat memory */
#define LR_MAX_NOTES	200
#define LR_MAX_WALK	5000		/* stanzas a corrupted list is walked for */
#define LR_MAX_READS	1024		/* files read, loops included */
#define LR_TOP		SIZE_MAX	/* the settings outside any stanza */

/* States as logrotate's; the SKIP_LINE, SCRIPT and SKIP_CONFIG bits combine. */
#define ST_DEFAULT	0x02
#define ST_SKIP_LINE	0x04
#define ST_DEF_END	0x08
#define ST_SKIP_CONFIG	0x10
#define ST_SCRIPT	0x20
#define ST_ERROR	0x40

/* The settings that decide whether a stanza survives or claims a file. */
#define LS_MISSINGOK	0x001
#define LS_IGNOREDUPS	0x002
#define LS_COPYTRUNCATE	0x004
#define LS_COPY		0x008
#define LS_RENAMECOPY	0x010
#define LS_CREATEOLDDIR	0x020
#define LS_SU_USER	0x040
#define LS_SU_GROUP	0x080

enum lr_act {
	ACT_NEXT,	/* go on with the next character */
	ACT_RAISE,	/* error: the stanza is skipped, at top level the file */
	ACT_ABORT	/* error: the file ends here, an open stanza is dropped */
};

enum lr_err {
	E_NONE,
	E_BRACE,
	E_NOBRACE,
	E_NAMES,
	E_START,
	E_SEP,
	E_VALUE,
	E_NAME_IN,
	E_TABOO_IN,
	E_SCRIPT,
	E_GLOB,
	E_OLDDIR
};

static const char *const lr_errmsg[] = {
	[E_NONE] = "an error",
	[E_BRACE] = "an unexpected '}'",
	[E_NOBRACE] = "log file names without a '{'",
	[E_NAMES] = "log file names that cannot be split",
	[E_START] = "a line that starts with neither a keyword nor a file name",
	[E_SEP] = "a keyword followed by neither a blank nor '='",
	[E_VALUE] = "a missing or invalid value",
	[E_NAME_IN] = "a log file name inside a stanza",
	[E_TABOO_IN] = "tabooext or taboopat inside a stanza",
	[E_SCRIPT] = "a script without endscript",
	[E_GLOB] = "a pattern that cannot be expanded",
	[E_OLDDIR] = "an olddir that cannot be used",
};

/* What logrotate does with one result of a pattern's glob. */
enum lr_fate {
	F_DIR,		/* a directory: left out */
	F_TAKEN,	/* the stanza rotates it */
	F_IGNORED,	/* an earlier stanza has it and says ignoreduplicates */
	F_DUP,		/* an earlier stanza has it: an error */
	F_AFTER_DUP	/* after a duplicate logrotate drops the rest */
};

struct lr_set {
	unsigned	 flags;
	char		*olddir;
};

struct lr_stanza {
	char		*file;
	int		 line;
	struct lr_set	 set;
	long		 next;		/* logrotate's TAILQ links: next */
	long		 prev;		/* and where the link to it is */
	bool		 removed;
	bool		 emptied;	/* has no files left, though listed */
	bool		 globerr;
	size_t		 hit0, hit1;	/* its hits in the result */
};

/* A file name logrotate has taken for a stanza, for its duplicate check. */
struct lr_claim {
	char	*name;
	size_t	 stanza;
};

struct lr_fid {
	dev_t	dev;
	ino_t	ino;
};

struct lr_tree {
	const char	*path;
	bool		 have_id;
	struct lr_fid	 id;
};

struct lr_ctx {
	struct lr_result	*res;
	struct lr_tree		*tree;
	size_t			 ntree;
	bool			 as_root;
	struct lr_set		 top;
	char			**taboo;
	size_t			 ntaboo;
	struct lr_stanza	*st;
	size_t			 nst;
	struct lr_claim		*claims;
	size_t			 nclaims;
	size_t			*ctab;		/* hash of claims, SIZE_MAX free */
	size_t			 ctabsz;
	size_t			 nreads;
	struct lr_fid		*stack;
	size_t			 nstack;
	unsigned		 depth;
	char			*cwd;		/* logrotate chdirs into dirs */
	char			*home;		/* root's, for '~' */
	const char		*mainconf;
	bool			 main_failed;
	bool			 hits_full;
	long			 first;		/* logrotate's list of stanzas */
	long			 tail;
	bool			 corrupt;	/* the list is, see lr_restore */
	bool			*reach;
	unsigned long		 gen, reach_gen;
};

struct lr_parse {
	struct lr_ctx	*ctx;
	const char	*file;
	const char	*buf;		/* buf[len] is NUL, as logrotate's map */
	size_t		 len;
	size_t		 pos;
	size_t		 lpos;		/* lines counted up to here */
	int		 lline;
	int		 state;
	size_t		 def;		/* logrotate's defConfig */
	size_t		 cur;		/* its newlog: the open stanza, or def */
	bool		 script;
	int		 script_line;
	bool		 logerror;
	enum lr_err	 err;
	int		 err_line;
};

struct lr_arg {
	char	*s;
	int	 line;
};

/* logrotate's copy of its defConfig before reading a file. */
struct lr_backup {
	struct lr_set	 set;
	long		 next, prev;
};

struct lr_kw {
	const char	*name;
	enum lr_act	(*fn)(struct lr_parse *);
	unsigned	 set;
	unsigned	 clear;
};

static enum lr_act	 lr_kw_script(struct lr_parse *);
static enum lr_act	 lr_kw_noolddir(struct lr_parse *);
static enum lr_act	 lr_kw_dateformat(struct lr_parse *);
static enum lr_act	 lr_kw_su(struct lr_parse *);
static enum lr_act	 lr_kw_create(struct lr_parse *);
static enum lr_act	 lr_kw_createolddir(struct lr_parse *);
static enum lr_act	 lr_kw_size(struct lr_parse *);
static enum lr_act	 lr_kw_uint(struct lr_parse *);
static enum lr_act	 lr_kw_weekly(struct lr_parse *);
static enum lr_act	 lr_kw_rotate(struct lr_parse *);
static enum lr_act	 lr_kw_mail(struct lr_parse *);
static enum lr_act	 lr_kw_tabooext(struct lr_parse *);
static enum lr_act	 lr_kw_taboopat(struct lr_parse *);
static enum lr_act	 lr_kw_include(struct lr_parse *);
static enum lr_act	 lr_kw_olddir(struct lr_parse *);
static enum lr_act	 lr_kw_path(struct lr_parse *);
static enum lr_act	 lr_kw_name(struct lr_parse *);
static enum lr_act	 lr_kw_compressoptions(struct lr_parse *);

static void	 lr_note(struct lr_ctx *, const char *, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
static int	 lr_read_path(struct lr_ctx *, const char *, size_t);
static int	 lr_parse_buf(struct lr_ctx *, const char *, const char *,
		    size_t, size_t);

/*
 * The 3.21 directives. Flags only set or clear settings; the rest read their
 * value and check it as logrotate does, since a bad one drops the stanza.
 */
static const struct lr_kw lr_kws[] = {
	{ "compress", NULL, 0, 0 },
	{ "nocompress", NULL, 0, 0 },
	{ "delaycompress", NULL, 0, 0 },
	{ "nodelaycompress", NULL, 0, 0 },
	{ "shred", NULL, 0, 0 },
	{ "noshred", NULL, 0, 0 },
	{ "allowhardlink", NULL, 0, 0 },
	{ "noallowhardlink", NULL, 0, 0 },
	{ "sharedscripts", NULL, 0, 0 },
	{ "nosharedscripts", NULL, 0, 0 },
	{ "copytruncate", NULL, LS_COPYTRUNCATE, LS_RENAMECOPY },
	{ "nocopytruncate", NULL, 0, LS_COPYTRUNCATE },
	{ "renamecopy", NULL, LS_RENAMECOPY, LS_COPYTRUNCATE },
	{ "norenamecopy", NULL, 0, LS_RENAMECOPY },
	{ "copy", NULL, LS_COPY, 0 },
	{ "nocopy", NULL, 0, LS_COPY },
	{ "ifempty", NULL, 0, 0 },
	{ "notifempty", NULL, 0, 0 },
	{ "dateext", NULL, 0, 0 },
	{ "nodateext", NULL, 0, 0 },
	{ "dateyesterday", NULL, 0, 0 },
	{ "datehourago", NULL, 0, 0 },
	{ "dateformat", lr_kw_dateformat, 0, 0 },
	{ "noolddir", lr_kw_noolddir, 0, 0 },
	{ "mailfirst", NULL, 0, 0 },
	{ "maillast", NULL, 0, 0 },
	{ "su", lr_kw_su, 0, 0 },
	{ "create", lr_kw_create, 0, 0 },
	{ "createolddir", lr_kw_createolddir, 0, 0 },
	{ "nocreateolddir", NULL, 0, LS_CREATEOLDDIR },
	{ "nocreate", NULL, 0, 0 },
	{ "size", lr_kw_size, 0, 0 },
	{ "minsize", lr_kw_size, 0, 0 },
	{ "maxsize", lr_kw_size, 0, 0 },
	{ "shredcycles", lr_kw_uint, 0, 0 },
	{ "hourly", NULL, 0, 0 },
	{ "daily", NULL, 0, 0 },
	{ "weekly", lr_kw_weekly, 0, 0 },
	{ "monthly", NULL, 0, 0 },
	{ "yearly", NULL, 0, 0 },
	{ "rotate", lr_kw_rotate, 0, 0 },
	{ "start", lr_kw_uint, 0, 0 },
	{ "minage", lr_kw_uint, 0, 0 },
	{ "maxage", lr_kw_uint, 0, 0 },
	{ "errors", NULL, 0, 0 },	/* deprecated, takes no value */
	{ "mail", lr_kw_mail, 0, 0 },
	{ "nomail", NULL, 0, 0 },
	{ "missingok", NULL, LS_MISSINGOK, 0 },
	{ "nomissingok", NULL, 0, LS_MISSINGOK },
	{ "ignoreduplicates", NULL, LS_IGNOREDUPS, 0 },
	{ "prerotate", lr_kw_script, 0, 0 },
	{ "firstaction", lr_kw_script, 0, 0 },
	{ "postrotate", lr_kw_script, 0, 0 },
	{ "lastaction", lr_kw_script, 0, 0 },
	{ "preremove", lr_kw_script, 0, 0 },
	{ "tabooext", lr_kw_tabooext, 0, 0 },
	{ "taboopat", lr_kw_taboopat, 0, 0 },
	{ "include", lr_kw_include, 0, 0 },
	{ "olddir", lr_kw_olddir, 0, 0 },
	{ "extension", lr_kw_name, 0, 0 },
	{ "addextension", lr_kw_name, 0, 0 },
	{ "compresscmd", lr_kw_path, 0, 0 },
	{ "uncompresscmd", lr_kw_path, 0, 0 },
	{ "compressoptions", lr_kw_compressoptions, 0, 0 },
	{ "compressext", lr_kw_path, 0, 0 },
};

/* Names that end like these are skipped in an included directory. */
static const char *const lr_taboo_default[] = {
	",v", ".bak", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del",
	".dpkg-dist", ".dpkg-new", ".dpkg-old", ".dpkg-tmp", ".rhn-cfg-tmp-*",
	".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new",
	".ucf-old", "~",
};

/* The words that open a script, also while a stanza is being skipped. */
static const char *const lr_script_kws[] = {
	"prerotate", "firstaction", "postrotate", "lastaction", "preremove",
};

/*
 * Character classes as logrotate sees them under cron's C locale; bytes
 * above 0x7f are never letters or blanks there.
 */
static int
lr_blank(int c)
{
	return c == ' ' || c == '\t';
}

static int
lr_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

static int
lr_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
lr_at(const struct lr_parse *p, size_t i)
{
	return (unsigned char)p->buf[i];
}

static int
lr_lineno(struct lr_parse *p, size_t pos)
{
	if (pos < p->lpos) {
		p->lpos = 0;
		p->lline = 1;
	}
	for (; p->lpos < pos && p->lpos < p->len; p->lpos++)
		if (p->buf[p->lpos] == '\n')
			p->lline++;
	return p->lline;
}

static char *
lr_join(const char *dir, const char *name)
{
	char	*s;
	size_t	 n = strlen(dir);

	if (name[0] == '/')
		return xstrdup(name);
	xasprintf(&s, "%s%s%s", dir, n > 0 && dir[n - 1] == '/' ? "" : "/",
	    name);
	return s;
}

/*
 * Room for element n of an array of n: capacity doubles, so long inputs
 * (a megabyte of file names) cost no more than their length.
 */
static void *
lr_grow(void *v, size_t n, size_t size)
{
	if (n == 0)
		return xreallocarray(v, 8, size);
	if (n >= 8 && (n & (n - 1)) == 0)
		return xreallocarray(v, n * 2, size);
	return v;
}

static struct lr_set *
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

static struct lr_backup
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
static void
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

static void
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
static void
lr_finish(struct lr_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nst; i++)
		if (!c->st[i].removed && !lr_reachable(c, i))
			lr_inactive(c, i, "a failed include inside an earlier "
			    "stanza cuts this one out of logrotate's list");
	lr_merge_hits(c->res);
}

static void
lr_note(struct lr_ctx *c, const char *file, int line, const char *fmt, ...)
{
	struct lr_result	*r = c->res;
	struct lr_note		*n;
	va_list			 ap;
	char			*msg;
	size_t			 i;

	if (r->nnotes > LR_MAX_NOTES)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	for (i = 0; msg != NULL && i < r->nnotes; i++)
		if (r->notes[i].line == line && strcmp(r->notes[i].file,
		    file) == 0 && strcmp(r->notes[i].msg, msg) == 0) {
			free(msg);
			return;
		}
	r->notes = lr_grow(r->notes, r->nnotes, sizeof *r->notes);
	n = &r->notes[r->nnotes++];
	n->file = xstrdup(file);
	n->line = line;
	if (r->nnotes > LR_MAX_NOTES) {
		free(msg);
		msg = xstrdup("more notes left out");
	}
	n->msg = msg != NULL ? msg : xstrdup("(no memory for the message)");
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

/* logrotate's own "~/" for include and olddir values. */
static char *
lr_home_path(struct lr_ctx *c, char *v)
{
	char *s;

	if (v[0] != '~' || v[1] != '/' || c->home == NULL)
		return v;
	xasprintf(&s, "%s/%s", c->home, v + 2);
	free(v);
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
lr_hit(struct lr_parse *p, const char *pat, int line, const char *path,
    char *inactive)
{
	struct lr_result	*r = p->ctx->res;
	struct lr_hit		*h;

	if (r->nhits >= LR_MAX_HITS) {
		if (!p->ctx->hits_full)
			lr_note(p->ctx, p->file, line,
			    "more than %d matches; the rest are left out",
			    LR_MAX_HITS);
		p->ctx->hits_full = true;
		free(inactive);
		return;
	}
	r->hits = lr_grow(r->hits, r->nhits, sizeof *r->hits);
	h = &r->hits[r->nhits++];
	h->file = xstrdup(p->file);
	h->line = line;
	h->pattern = xstrdup(pat);
	h->path = xstrdup(path);
	h->inactive = inactive;
	p->ctx->st[p->cur].hit1 = r->nhits;
}

/*
 * logrotate's freeTailLogs(1): it removes TAILQ_LAST, which is not always
 * the stanza in error (an include inside a stanza appends more).
 */
static void
lr_drop_last(struct lr_parse *p, enum lr_err why, int line)
{
	struct lr_ctx	*c = p->ctx;
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
			    "%s at line %d", lr_errmsg[why], line);
	}
}

static enum lr_act
lr_fail(struct lr_parse *p, enum lr_act act, enum lr_err why)
{
	p->err = why;
	p->err_line = lr_lineno(p, p->pos);
	return act;
}

/* logrotate's isolateWord: blanks, then letters; pos ends after them. */
static size_t
lr_word(struct lr_parse *p, const char **w)
{
	size_t s = p->pos, e;

	while (s < p->len && lr_blank(lr_at(p, s)))
		s++;
	for (e = s; e < p->len && lr_alpha(lr_at(p, e)); e++)
		continue;
	p->pos = e;
	*w = p->buf + s;
	return e - s;
}

static bool
lr_word_is(const char *w, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(w, name, n) == 0;
}

/*
 * logrotate's isolateLine: the rest of the line less trailing white space
 * (kept at the very end of the file, where it looks at the NUL after it),
 * cut at a NUL byte as strndup cuts it. pos ends just before the newline, so
 * the state machine still sees it.
 */
static char *
lr_rest(struct lr_parse *p)
{
	size_t		s = p->pos, nl = s;
	long long	e;

	while (nl < p->len && p->buf[nl] != '\n')
		nl++;
	e = (long long)nl;
	if (nl < p->len)
		while (e >= 0 && lr_space(lr_at(p, (size_t)e)))
			e--;
	else
		e--;
	p->pos = nl - 1;
	if (e < (long long)s)
		return xstrdup("");
	return xstrndup(p->buf + s, (size_t)(e - (long long)s + 1));
}

/*
 * logrotate's isolateValue: blanks, an optional '=', blanks, then the rest of
 * the line. NULL when the line ends first ("argument expected"); pos is then
 * left where it was, which decides what the error state swallows next.
 */
static char *
lr_value(struct lr_parse *p)
{
	size_t i = p->pos;

	while (i < p->len && lr_blank(lr_at(p, i)))
		i++;
	if (i < p->len && p->buf[i] == '=') {
		i++;
		while (i < p->len && lr_blank(lr_at(p, i)))
			i++;
	}
	if (i < p->len && p->buf[i] == '\n')
		return NULL;
	p->pos = i;
	return lr_rest(p);
}

/*
 * Splits as popt's poptParseArgvString, which logrotate uses for the file
 * names of a stanza: blanks separate, quotes group, a backslash escapes
 * (inside quotes only the quote character). -1 for a trailing backslash or
 * nothing at all, both errors for popt. lines[] gives each byte's line.
 */
static int
lr_split(const char *s, const int *lines, struct lr_arg **out, size_t *nout)
{
	struct sbuf	 cur;
	size_t		 i, n = 0;
	char		 quote = '\0';
	int		 line = 0;

	*out = NULL;
	sbuf_init(&cur);
	for (i = 0; s[i] != '\0'; i++) {
		if (quote != '\0' && s[i] == quote) {
			quote = '\0';
			continue;
		}
		if (quote == '\0' && lr_space((unsigned char)s[i])) {
			if (cur.len > 0) {
				*out = lr_grow(*out, n, sizeof **out);
				(*out)[n].line = line;
				(*out)[n++].s = sbuf_steal(&cur);
			}
			line = 0;
			continue;
		}
		if (line == 0)
			line = lines[i];
		if (quote == '\0' && (s[i] == '"' || s[i] == '\'')) {
			quote = s[i];
			continue;
		}
		if (s[i] == '\\') {
			if (s[i + 1] == '\0')
				goto bad;
			i++;
			if (quote != '\0' && s[i] != quote)
				sbuf_add(&cur, "\\", 1);
		}
		sbuf_add(&cur, &s[i], 1);
	}
	if (cur.len > 0) {
		*out = lr_grow(*out, n, sizeof **out);
		(*out)[n].line = line;
		(*out)[n++].s = sbuf_steal(&cur);
	}
	*nout = n;
	if (n > 0)
		return 0;
bad:
	sbuf_free(&cur);
	while (n > 0)
		free((*out)[--n].s);
	free(*out);
	*out = NULL;
	*nout = 0;
	return -1;
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
lr_expand(struct lr_parse *p, const char *pat, const char *exp, glob_t *g,
    struct lr_res **out)
{
	struct lr_ctx	*c = p->ctx;
	struct lr_res	*v = NULL;
	struct stat	 sb;
	size_t		 n = 0, i, j, nglob = 0;
	int		 rc;

	rc = glob(exp, GLOB_NOCHECK, lr_globerr, g);
	if (rc == GLOB_ABORTED &&
	    !(lr_set(c, p->cur)->flags & LS_MISSINGOK))
		c->st[p->cur].globerr = true;
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
 */
static void
lr_take(struct lr_parse *p, struct lr_res *v, size_t n)
{
	struct lr_ctx	*c = p->ctx;
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
				p->logerror = true;
				stop = true;
			}
			continue;
		}
		lr_claim_add(c, v[i].name, p->cur);
		v[i].fate = F_TAKEN;
	}
}

/*
 * One pattern of the open stanza. A tree file is covered when logrotate
 * gets its name from the pattern (glob matches as fnmatch with FNM_PATHNAME
 * and FNM_PERIOD: '*' crosses no '/', a hidden name needs its dot), or gets
 * another name for that very file (a symlinked directory, "..", "//"). A
 * relative pattern names files relative to wherever logrotate runs: never
 * the tree.
 */
static void
lr_pattern(struct lr_parse *p, const char *pat, int line)
{
	struct lr_ctx		*c = p->ctx;
	const struct lr_tree	*t;
	struct lr_res		*v;
	glob_t			 g;
	char			*exp;
	size_t			 i, j, n;

	exp = lr_tilde(c, pat);
	if (exp[0] != '/') {
		free(exp);
		return;
	}
	memset(&g, 0, sizeof g);
	n = lr_expand(p, pat, exp, &g, &v);
	lr_take(p, v, n);
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
			lr_hit(p, pat, line, t->path,
			    lr_fate_why(c, v[i].fate, v[i].owner));
	}
	free(v);
	globfree(&g);
	free(exp);
}

/*
 * A line starting a stanza: the file names up to '{' (comments only where a
 * line starts, no quoting of braces: a '{' inside a pattern ends it, as
 * "{a,b}" shows, since logrotate globs without GLOB_BRACE), split as popt.
 */
static enum lr_act
lr_names(struct lr_parse *p)
{
	struct lr_ctx		*c = p->ctx;
	struct lr_stanza	*s;
	struct sbuf		 str;
	struct lr_arg		*args;
	int			*lines = NULL;
	size_t			 nlines = 0, nargs, i;
	enum { INIT, DATA, COMMENT } pgs = INIT;
	int			 ch, line = lr_lineno(p, p->pos);

	if (p->cur != p->def)
		return lr_fail(p, ACT_RAISE, E_NAME_IN);
	c->st = lr_grow(c->st, c->nst, sizeof *c->st);
	s = &c->st[c->nst];
	memset(s, 0, sizeof *s);
	s->file = xstrdup(p->file);
	s->line = line;
	s->set = lr_set_copy(lr_set(c, p->def));
	s->hit0 = s->hit1 = c->res->nhits;
	p->cur = c->nst++;
	lr_list_add(c, (long)p->cur);

	sbuf_init(&str);
	for (; p->pos < p->len && p->buf[p->pos] != '\0'; p->pos++) {
		ch = lr_at(p, p->pos);
		if (pgs == INIT) {
			if (ch == '#')
				pgs = COMMENT;
			else if (!lr_space(ch))
				pgs = DATA;
		} else if (ch == '\n')
			pgs = INIT;
		if (pgs == COMMENT)
			continue;
		if (ch == '}' || ch == '{')
			break;
		sbuf_add(&str, &p->buf[p->pos], 1);
		lines = lr_grow(lines, nlines, sizeof *lines);
		lines[nlines++] = lr_lineno(p, p->pos);
	}
	if (p->pos >= p->len || p->buf[p->pos] != '{') {
		sbuf_free(&str);
		free(lines);
		p->err_line = line;
		p->err = p->pos < p->len && p->buf[p->pos] == '}' ? E_BRACE :
		    E_NOBRACE;
		return ACT_ABORT;
	}
	if (nlines == 0 || lr_split(str.s, lines, &args, &nargs) == -1) {
		sbuf_free(&str);
		free(lines);
		p->err_line = line;
		p->err = E_NAMES;
		return ACT_ABORT;
	}
	for (i = 0; i < nargs; i++) {
		lr_pattern(p, args[i].s, args[i].line);
		free(args[i].s);
	}
	free(args);
	sbuf_free(&str);
	free(lines);
	return ACT_NEXT;
}

/*
 * The olddir checks logrotate makes at '}': each file's directory must
 * exist (unless missingok), the olddir too (or createolddir would make it:
 * we never create anything), on the same device unless the log is copied.
 */
static bool
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
		od = lr_join(dir, set->olddir);
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

static enum lr_act
lr_close(struct lr_parse *p)
{
	struct lr_ctx *c = p->ctx;

	if (p->cur == p->def)
		return lr_fail(p, ACT_ABORT, E_BRACE);
	if (c->st[p->cur].globerr &&
	    !(c->st[p->cur].set.flags & LS_MISSINGOK))
		return lr_fail(p, ACT_ABORT, E_GLOB);
	if (lr_olddir_bad(c, p->cur))
		return lr_fail(p, ACT_ABORT, E_OLDDIR);
	p->cur = p->def;
	p->state = ST_DEF_END;
	return ACT_NEXT;
}

static enum lr_act
lr_keyword(struct lr_parse *p)
{
	struct lr_set	*set;
	const char	*w;
	size_t		 n, i;
	int		 next;

	n = lr_word(p, &w);
	next = lr_at(p, p->pos);
	if (!lr_space(next) && next != '=')
		return lr_fail(p, ACT_RAISE, E_SEP);
	for (i = 0; i < sizeof lr_kws / sizeof lr_kws[0]; i++)
		if (lr_word_is(w, n, lr_kws[i].name))
			break;
	if (i == sizeof lr_kws / sizeof lr_kws[0]) {
		/* "unknown option -- ignoring line" */
		if (next != '\n')
			p->state = ST_SKIP_LINE;
		return ACT_NEXT;
	}
	if (lr_kws[i].fn != NULL)
		return lr_kws[i].fn(p);
	set = lr_set(p->ctx, p->cur);
	set->flags = (set->flags & ~lr_kws[i].clear) | lr_kws[i].set;
	return ACT_NEXT;
}

static enum lr_act
lr_st_default(struct lr_parse *p)
{
	int ch = lr_at(p, p->pos);

	if (lr_blank(ch))
		return ACT_NEXT;
	if (ch == '#') {
		p->state = ST_SKIP_LINE;
		return ACT_NEXT;
	}
	if (lr_alpha(ch))
		return lr_keyword(p);
	if (ch == '/' || ch == '"' || ch == '\'' || ch == '~')
		return lr_names(p);
	if (ch == '}')
		return lr_close(p);
	if (ch != '\n')
		return lr_fail(p, ACT_RAISE, E_START);
	return ACT_NEXT;
}

/*
 * A script ends at a line whose first word is endscript; nothing else in
 * it, braces included, means anything.
 */
static void
lr_st_script(struct lr_parse *p)
{
	const char	*w;
	size_t		 n;
	int		 skip = p->state & ST_SKIP_CONFIG;

	n = lr_word(p, &w);
	if (lr_word_is(w, n, "endscript")) {
		if (!skip)
			p->script = false;
		p->state = skip ? ST_SKIP_CONFIG : ST_DEFAULT;
		return;
	}
	p->state = (lr_at(p, p->pos) == '\n' ? 0 : ST_SKIP_LINE) | ST_SCRIPT |
	    skip;
}

/*
 * Skipping a stanza in error: words only, scripts honoured, and the first
 * '}' met as a line's first character ends it (an indented one is passed
 * over with its line).
 */
static void
lr_st_skip_config(struct lr_parse *p)
{
	const char	*w;
	size_t		 n, i;

	if (lr_at(p, p->pos) == '}') {
		p->state = ST_DEFAULT;
		lr_drop_last(p, p->err, p->err_line);
		p->cur = p->def;
		return;
	}
	n = lr_word(p, &w);
	for (i = 0; i < sizeof lr_script_kws / sizeof lr_script_kws[0]; i++)
		if (lr_word_is(w, n, lr_script_kws[i])) {
			p->state = ST_SCRIPT | ST_SKIP_CONFIG;
			return;
		}
	if (lr_at(p, p->pos) != '\n')
		p->state = ST_SKIP_LINE | ST_SKIP_CONFIG;
}

static enum lr_act
lr_step(struct lr_parse *p)
{
	switch (p->state) {
	case ST_DEFAULT:
		return lr_st_default(p);
	case ST_SKIP_LINE:
	case ST_SKIP_LINE | ST_SKIP_CONFIG:
	case ST_SKIP_LINE | ST_SCRIPT:
	case ST_SKIP_LINE | ST_SCRIPT | ST_SKIP_CONFIG:
		if (lr_at(p, p->pos) == '\n') {
			p->state &= ~ST_SKIP_LINE;
			if (p->state == 0)
				p->state = ST_DEFAULT;
		}
		break;
	case ST_DEF_END:
		if (lr_blank(lr_at(p, p->pos)))
			break;
		/* "unexpected text after }" is only a warning */
		p->state = lr_at(p, p->pos) == '\n' ? ST_DEFAULT :
		    ST_SKIP_LINE;
		break;
	case ST_ERROR:
		/* swallows this character unseen, even a '}' */
		p->state = ST_SKIP_CONFIG;
		p->logerror = true;
		break;
	case ST_SCRIPT:
	case ST_SCRIPT | ST_SKIP_CONFIG:
		lr_st_script(p);
		break;
	case ST_SKIP_CONFIG:
		lr_st_skip_config(p);
		break;
	}
	return ACT_NEXT;
}

/* logrotate's `goto error`: the file ends here, an open stanza is dropped. */
static void
lr_abort(struct lr_parse *p)
{
	lr_note(p->ctx, p->file, p->err_line,
	    "logrotate stops reading the file here: %s", lr_errmsg[p->err]);
	if (p->cur != p->def)
		lr_drop_last(p, p->err, p->err_line);
}

/* logrotate's readConfigFile on a buffer; 1 when it would report an error. */
static int
lr_parse_buf(struct lr_ctx *c, const char *file, const char *buf, size_t len,
    size_t def)
{
	struct lr_parse	p;
	enum lr_act	act;

	memset(&p, 0, sizeof p);
	p.ctx = c;
	p.file = file;
	p.buf = buf;
	p.len = len;
	p.lline = 1;
	p.state = ST_DEFAULT;
	p.def = p.cur = def;
	for (p.pos = 0; p.pos < p.len; p.pos++) {
		act = lr_step(&p);
		if (act == ACT_RAISE) {
			if (p.cur != p.def) {
				p.state = ST_ERROR;
				continue;
			}
			act = ACT_ABORT;
		}
		if (act == ACT_ABORT) {
			lr_abort(&p);
			return 1;
		}
	}
	if (p.script) {
		p.err = E_SCRIPT;
		p.err_line = p.script_line;
		lr_abort(&p);
		return 1;
	}
	return p.logerror;
}

static bool
lr_fid_in(const struct lr_fid *v, size_t n, const struct stat *sb)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].dev == sb->st_dev && v[i].ino == sb->st_ino)
			return true;
	return false;
}

static int
lr_read_fd(int fd, size_t size, char **out, size_t *len)
{
	char	*buf = xmalloc(size + 1);
	size_t	 got = 0;
	ssize_t	 n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* The checks logrotate makes before reading a file; 0 to read it. */
static int
lr_file_ok(struct lr_ctx *c, const char *name, const struct stat *sb)
{
	if (c->as_root && (sb->st_mode & 022)) {
		lr_note(c, name, 0, "logrotate ignores it: writable by group "
		    "or others");
		return -1;
	}
	if (c->as_root && sb->st_uid != 0) {
		lr_note(c, name, 0, "logrotate ignores it: not owned by root");
		return -1;
	}
	if (sb->st_size > LR_MAX_BYTES) {
		lr_note(c, name, 0, "logrotate refuses it: too large");
		return 1;
	}
	if (++c->nreads > LR_MAX_READS) {
		lr_note(c, name, 0, "more than %d config files read (include "
		    "loops?): the rest is left out", LR_MAX_READS);
		return 1;
	}
	/* logrotate reads it again, as deep as its include limit allows */
	if (lr_fid_in(c->stack, c->nstack, sb))
		lr_note(c, name, 0, "include loop: logrotate reads the file "
		    "inside itself, %u includes deep", LR_MAX_NESTING);
	return 0;
}

/* logrotate's readConfigFile: a non-regular file is passed over silently. */
static int
lr_read_file(struct lr_ctx *c, const char *name, size_t def)
{
	struct stat	 sb;
	char		*buf;
	size_t		 len;
	int		 fd, rc;

	do
		fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	while (fd == -1 && errno == EINTR);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		lr_note(c, name, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		c->main_failed |= strcmp(name, c->mainconf) == 0;
		if (fd != -1)
			close(fd);
		return 1;
	}
	rc = S_ISREG(sb.st_mode) && sb.st_size > 0 ?
	    lr_file_ok(c, name, &sb) : -1;
	if (rc == 0 && lr_read_fd(fd, (size_t)sb.st_size, &buf, &len) == -1) {
		lr_note(c, name, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		rc = 1;
	}
	close(fd);
	if (rc != 0) {
		c->main_failed |= rc > 0 && strcmp(name, c->mainconf) == 0;
		return rc > 0;
	}
	c->stack = lr_grow(c->stack, c->nstack, sizeof *c->stack);
	c->stack[c->nstack].dev = sb.st_dev;
	c->stack[c->nstack++].ino = sb.st_ino;
	rc = lr_parse_buf(c, name, buf, len, def);
	c->nstack--;
	free(buf);
	return rc;
}

static int
lr_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* logrotate's checkFile: not "." or "..", no taboo ending. */
static bool
lr_taboo_ok(const struct lr_ctx *c, const char *name)
{
	size_t i;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < c->ntaboo; i++)
		if (fnmatch(c->taboo[i], name, FNM_PERIOD) == 0)
			return false;
	return true;
}

/*
 * An included directory: its files in name order (strcoll under cron's C
 * locale), read from inside it, each failing one rolled back alone.
 */
static int
lr_read_dir(struct lr_ctx *c, const char *dir, size_t def)
{
	DIR		*d;
	struct dirent	*de;
	struct lr_backup backup;
	char		**names = NULL, *saved, *full;
	size_t		 n = 0, i;
	int		 result = 0;

	if ((d = opendir(dir)) == NULL) {
		lr_note(c, dir, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		c->main_failed |= strcmp(dir, c->mainconf) == 0;
		return 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (!lr_taboo_ok(c, de->d_name))
			continue;
		names = lr_grow(names, n, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, lr_name_cmp);
	saved = c->cwd;
	c->cwd = xstrdup(dir);
	for (i = 0; i < n; i++) {
		full = lr_join(dir, names[i]);
		backup = lr_backup(c, def);
		if (lr_read_file(c, full, def) != 0) {
			lr_restore(c, def, &backup);
			result = 1;
		}
		free(backup.set.olddir);
		free(full);
		free(names[i]);
	}
	free(names);
	free(c->cwd);
	c->cwd = saved;
	return result;
}

/* logrotate's readConfigPath: a directory or a file, relative to its cwd. */
static int
lr_read_path(struct lr_ctx *c, const char *path, size_t def)
{
	struct stat	 sb;
	struct lr_backup backup;
	char		*abs = lr_join(c->cwd, path);
	int		 rc;

	if (stat(abs, &sb) == -1) {
		lr_note(c, abs, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		free(abs);
		return 1;
	}
	if (S_ISDIR(sb.st_mode))
		rc = lr_read_dir(c, abs, def);
	else {
		backup = lr_backup(c, def);
		if ((rc = lr_read_file(c, abs, def)) != 0)
			lr_restore(c, def, &backup);
		free(backup.set.olddir);
	}
	free(abs);
	return rc;
}

static enum lr_act
lr_kw_script(struct lr_parse *p)
{
	p->state = ST_SCRIPT;
	p->script = true;
	p->script_line = lr_lineno(p, p->pos);
	return ACT_NEXT;
}

static enum lr_act
lr_kw_noolddir(struct lr_parse *p)
{
	struct lr_set *set = lr_set(p->ctx, p->cur);

	free(set->olddir);
	set->olddir = NULL;
	return ACT_NEXT;
}

static enum lr_act
lr_kw_dateformat(struct lr_parse *p)
{
	/* a missing value is reported but is no error */
	free(lr_value(p));
	return ACT_NEXT;
}

static bool
lr_uid_ok(const char *name)
{
	char		*end;
	unsigned long	 n;

	if (getpwnam(name) != NULL)
		return true;
	n = strtoul(name, &end, 10);
	return name[0] != '\0' && *end == '\0' && n < INT_MAX &&
	    getpwuid((uid_t)n) != NULL;
}

static bool
lr_gid_ok(const char *name)
{
	char		*end;
	unsigned long	 n;

	if (getgrnam(name) != NULL)
		return true;
	n = strtoul(name, &end, 10);
	return name[0] != '\0' && *end == '\0' && n < INT_MAX &&
	    getgrgid((gid_t)n) != NULL;
}

/*
 * "[mode] [user [group]]" with logrotate's own sscanf formats, whose
 * oddities ("0999" is mode 0 and user "999") decide what is an error.
 */
static enum lr_act
lr_owner(struct lr_parse *p, bool su)
{
	struct lr_set	*set = lr_set(p->ctx, p->cur);
	char		 u[200], g[200], x, *v = lr_rest(p);
	unsigned short	 m;
	int		 rc = 0;
	bool		 ok = true;

	if (!su)
		rc = sscanf(v, "%ho %199s %199s%c", &m, u, g, &x);
	if (rc == 0 && (rc = sscanf(v, "%199s %199s%c", u, g, &x)) > 0)
		rc++;
	free(v);
	if (rc == 4)
		ok = false;
	if (ok && rc > 1) {
		ok = lr_uid_ok(u);
		if (su)
			set->flags |= LS_SU_USER;
	}
	if (ok && rc > 2) {
		ok = lr_gid_ok(g);
		if (su)
			set->flags |= LS_SU_GROUP;
	}
	if (su && (!(set->flags & LS_SU_USER) || !(set->flags & LS_SU_GROUP)))
		ok = false;
	return ok ? ACT_NEXT : lr_fail(p, ACT_RAISE, E_VALUE);
}

static enum lr_act
lr_kw_su(struct lr_parse *p)
{
	return lr_owner(p, true);
}

static enum lr_act
lr_kw_create(struct lr_parse *p)
{
	return lr_owner(p, false);
}

static enum lr_act
lr_kw_createolddir(struct lr_parse *p)
{
	enum lr_act act = lr_owner(p, false);

	if (act == ACT_NEXT)
		lr_set(p->ctx, p->cur)->flags |= LS_CREATEOLDDIR;
	return act;
}

static enum lr_act
lr_kw_size(struct lr_parse *p)
{
	char			*v = lr_value(p), *end;
	unsigned long long	 mult = 1, n;
	size_t			 l;
	bool			 ok = true;

	if (v == NULL || v[0] == '\0') {
		free(v);
		return ACT_NEXT;
	}
	l = strlen(v) - 1;
	if (v[l] == 'k' || v[l] == 'K')
		mult = 1024;
	else if (v[l] == 'M')
		mult = 1024 * 1024;
	else if (v[l] == 'G')
		mult = 1024 * 1024 * 1024;
	else if (v[l] < '0' || v[l] > '9')
		ok = false;
	if (ok && mult != 1)
		v[l] = '\0';
	if (ok) {
		n = strtoull(v, &end, 0);
		ok = *end == '\0' && mult * n <= (unsigned long long)INT64_MAX;
	}
	free(v);
	return ok ? ACT_NEXT : lr_fail(p, ACT_RAISE, E_VALUE);
}

/* start, minage, maxage, shredcycles: logrotate's (int)strtoul >= 0. */
static enum lr_act
lr_kw_uint(struct lr_parse *p)
{
	char	*v = lr_value(p), *end;
	bool	 ok;

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	ok = (int)strtoul(v, &end, 0) >= 0 && *end == '\0';
	free(v);
	return ok ? ACT_NEXT : lr_fail(p, ACT_RAISE, E_VALUE);
}

static enum lr_act
lr_kw_rotate(struct lr_parse *p)
{
	char	*v = lr_value(p), *end;
	bool	 ok;

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	ok = (int)strtol(v, &end, 0) >= -1 && *end == '\0';
	free(v);
	return ok ? ACT_NEXT : lr_fail(p, ACT_RAISE, E_VALUE);
}

/* A bad weekday is no stanza error for logrotate: it ends the file. */
static enum lr_act
lr_kw_weekly(struct lr_parse *p)
{
	char		*v = lr_rest(p), x;
	unsigned	 day;
	bool		 ok;

	ok = v[0] == '\0' || (sscanf(v, "%u%c", &day, &x) == 1 && day <= 7);
	free(v);
	return ok ? ACT_NEXT : lr_fail(p, ACT_ABORT, E_VALUE);
}

static enum lr_act
lr_kw_mail(struct lr_parse *p)
{
	char	*v = lr_value(p);
	size_t	 i;
	bool	 ok;

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	for (i = 0; v[i] > ' ' && v[i] < 0x7f; i++)
		continue;
	ok = v[i] == '\0';
	free(v);
	return ok ? ACT_NEXT : lr_fail(p, ACT_RAISE, E_VALUE);
}

static enum lr_act
lr_taboo(struct lr_parse *p, bool ext)
{
	struct lr_ctx	*c = p->ctx;
	char		*v, *s, *e, *pat;

	if (p->cur != p->def)
		return lr_fail(p, ACT_RAISE, E_TABOO_IN);
	if ((v = lr_value(p)) == NULL)
		return ACT_NEXT;
	s = v;
	if (*s == '+') {
		for (s++; lr_space((unsigned char)*s); s++)
			continue;
	} else {
		while (c->ntaboo > 0)
			free(c->taboo[--c->ntaboo]);
	}
	while (*s != '\0') {
		for (e = s; *e != '\0' && *e != ',' &&
		    !lr_space((unsigned char)*e); e++)
			continue;
		/* an empty extension would hide every file */
		if (!ext || e > s) {
			xasprintf(&pat, "%s%.*s", ext ? "*" : "",
			    (int)(e - s), s);
			c->taboo = lr_grow(c->taboo, c->ntaboo,
			    sizeof *c->taboo);
			c->taboo[c->ntaboo++] = pat;
		}
		s = *e == ',' ? e + 1 : e;
		while (lr_space((unsigned char)*s))
			s++;
	}
	free(v);
	return ACT_NEXT;
}

static enum lr_act
lr_kw_tabooext(struct lr_parse *p)
{
	return lr_taboo(p, true);
}

static enum lr_act
lr_kw_taboopat(struct lr_parse *p)
{
	return lr_taboo(p, false);
}

/*
 * An include also works inside a stanza in 3.21: the included file's
 * stanzas then start from that stanza's settings. A failing include is an
 * error for the file but does not stop it.
 */
static enum lr_act
lr_kw_include(struct lr_parse *p)
{
	struct lr_ctx	*c = p->ctx;
	char		*v = lr_value(p);

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	v = lr_home_path(c, v);
	if (c->depth >= LR_MAX_NESTING) {
		lr_note(c, p->file, lr_lineno(p, p->pos),
		    "includes nested too deep: logrotate ignores this one");
		p->logerror = true;
	} else {
		c->depth++;
		if (lr_read_path(c, v, p->cur) != 0)
			p->logerror = true;
		c->depth--;
	}
	free(v);
	return ACT_NEXT;
}

/* logrotate's readPath: printable, no blanks (valid UTF-8 passes). */
static char *
lr_path_value(struct lr_parse *p)
{
	char	*v = lr_value(p);
	size_t	 i, n;

	if (v == NULL)
		return NULL;
	for (i = 0; v[i] != '\0'; i += n) {
		n = esc_utf8_len((const unsigned char *)v + i, strlen(v + i));
		if (n == 0 || (n == 1 && (v[i] <= ' ' || v[i] == 0x7f))) {
			free(v);
			return NULL;
		}
	}
	return v;
}

static enum lr_act
lr_kw_olddir(struct lr_parse *p)
{
	struct lr_set	*set;
	char		*v = lr_path_value(p);

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	set = lr_set(p->ctx, p->cur);
	free(set->olddir);
	set->olddir = lr_home_path(p->ctx, v);
	return ACT_NEXT;
}

static enum lr_act
lr_kw_path(struct lr_parse *p)
{
	char *v = lr_path_value(p);

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	free(v);
	return ACT_NEXT;
}

static enum lr_act
lr_kw_name(struct lr_parse *p)
{
	char *v = lr_value(p);

	if (v == NULL)
		return lr_fail(p, ACT_RAISE, E_VALUE);
	free(v);
	return ACT_NEXT;
}

static enum lr_act
lr_kw_compressoptions(struct lr_parse *p)
{
	struct lr_arg	*args;
	char		*v = lr_rest(p);
	int		*lines;
	size_t		 n, i;
	int		 rc;

	lines = xcalloc(strlen(v) + 1, sizeof *lines);
	rc = lr_split(v, lines, &args, &n);
	for (i = 0; i < n; i++)
		free(args[i].s);
	free(args);
	free(lines);
	free(v);
	return rc == 0 ? ACT_NEXT : lr_fail(p, ACT_RAISE, E_VALUE);
}

static void
lr_ctx_init(struct lr_ctx *c, const char *top, const char *const *paths,
    size_t npaths, bool as_root, struct lr_result *res)
{
	struct passwd	*pw;
	struct stat	 sb;
	size_t		 i;

	memset(c, 0, sizeof *c);
	memset(res, 0, sizeof *res);
	c->res = res;
	c->as_root = as_root;
	c->mainconf = top;
	c->cwd = xstrdup("/");
	c->first = c->tail = -1;
	/* cron and systemd run logrotate as root, with root's HOME */
	if ((pw = getpwuid(0)) != NULL)
		c->home = xstrdup(pw->pw_dir);
	c->ntree = npaths;
	c->tree = xcalloc(npaths > 0 ? npaths : 1, sizeof *c->tree);
	for (i = 0; i < npaths; i++) {
		c->tree[i].path = paths[i];
		if (lstat(paths[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			c->tree[i].have_id = true;
			c->tree[i].id.dev = sb.st_dev;
			c->tree[i].id.ino = sb.st_ino;
		}
	}
	for (i = 0; i < sizeof lr_taboo_default / sizeof lr_taboo_default[0];
	    i++) {
		c->taboo = lr_grow(c->taboo, c->ntaboo, sizeof *c->taboo);
		xasprintf(&c->taboo[c->ntaboo++], "*%s", lr_taboo_default[i]);
	}
}

static void
lr_ctx_free(struct lr_ctx *c)
{
	size_t i;

	for (i = 0; i < c->ntaboo; i++)
		free(c->taboo[i]);
	free(c->taboo);
	for (i = 0; i < c->nst; i++) {
		free(c->st[i].file);
		free(c->st[i].set.olddir);
	}
	free(c->st);
	free(c->reach);
	for (i = 0; i < c->nclaims; i++)
		free(c->claims[i].name);
	free(c->claims);
	free(c->ctab);
	free(c->stack);
	free(c->top.olddir);
	free(c->cwd);
	free(c->home);
	free(c->tree);
}

/*
 * Reads main_conf as `logrotate main_conf` would and reports every stanza
 * pattern that covers one of the npaths tree files (absolute paths). A
 * missing main_conf is logrotate not being installed: no hits, no error.
 * Returns -1 (with a note) when main_conf exists but cannot be read, 0
 * otherwise. as_root: skip the config files logrotate skips when run by
 * root, as cron and systemd run it (writable by group or others, or not
 * owned by root).
 */
int
lr_scan_as(const char *main_conf, const char *const *paths, size_t npaths,
    bool as_root, struct lr_result *res)
{
	struct lr_ctx	 c;
	struct stat	 sb;
	char		*top, cwd[PATH_MAX];
	int		 rc = 0;

	if (main_conf[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		top = lr_join(cwd, main_conf);
	else
		top = xstrdup(main_conf);
	lr_ctx_init(&c, top, paths, npaths, as_root, res);
	if (stat(top, &sb) == -1) {
		if (errno != ENOENT) {
			lr_note(&c, top, 0, "logrotate cannot read it: %s",
			    strerror(errno));
			rc = -1;
		}
	} else {
		(void)lr_read_path(&c, top, LR_TOP);
		lr_finish(&c);
		if (c.main_failed)
			rc = -1;
	}
	lr_ctx_free(&c);
	free(top);
	return rc;
}

/* As logrotate run by this user: its root-only checks only for root. */
int
lr_scan(const char *main_conf, const char *const *paths, size_t npaths,
    struct lr_result *res)
{
	return lr_scan_as(main_conf, paths, npaths, getuid() == 0, res);
}

/*
 * The same on text given as the content of a main config named name; its
 * includes are read from the file system. For tests and hostile input.
 */
int
lr_scan_text(const char *name, const char *text, size_t len,
    const char *const *paths, size_t npaths, struct lr_result *res)
{
	struct lr_ctx	 c;
	char		*buf;

	lr_ctx_init(&c, name, paths, npaths, getuid() == 0, res);
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	(void)lr_parse_buf(&c, name, buf, len, LR_TOP);
	lr_finish(&c);
	free(buf);
	lr_ctx_free(&c);
	return 0;
}

size_t
lr_active(const struct lr_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nhits; i++)
		if (r->hits[i].inactive == NULL)
			n++;
	return n;
}

void
lr_result_free(struct lr_result *r)
{
	size_t i;

	for (i = 0; i < r->nhits; i++)
		lr_hit_free(&r->hits[i]);
	free(r->hits);
	for (i = 0; i < r->nnotes; i++) {
		free(r->notes[i].file);
		free(r->notes[i].msg);
	}
	free(r->notes);
	memset(r, 0, sizeof *r);
}
