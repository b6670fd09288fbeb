/*
 * logrotate 3.21's config language, read as its config.c reads it: a
 * character-level state machine whose quirks decide what really gets
 * rotated (a keyword eats the character after it, a stanza with an error
 * is dropped only at the next '}' in column one, a file that ends inside
 * one keeps it, ...), so this is the same machine, checked against the
 * 3.21 binary, rather than a tidier grammar that would disagree with it.
 * Each stanza's file names go to lrconf-match.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "lrconf-int.h"
#include "xmalloc.h"

/* States as logrotate's; the SKIP_LINE, SCRIPT and SKIP_CONFIG bits combine. */
#define ST_DEFAULT	0x02
#define ST_SKIP_LINE	0x04
#define ST_DEF_END	0x08
#define ST_SKIP_CONFIG	0x10
#define ST_SCRIPT	0x20
#define ST_ERROR	0x40

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
 * A line starting a stanza: the file names up to '{' (comments only where a
 * line starts, no quoting of braces: a '{' inside a pattern ends it, as
 * "{a,b}" shows, since logrotate globs without GLOB_BRACE), split as popt.
 */
static enum lr_act
lr_names(struct lr_parse *p)
{
	struct sbuf		 str;
	struct lr_arg		*args;
	int			*lines = NULL;
	size_t			 nlines = 0, nargs, i;
	enum { INIT, DATA, COMMENT } pgs = INIT;
	int			 ch, line = lr_lineno(p, p->pos);

	if (p->cur != p->def)
		return lr_fail(p, ACT_RAISE, E_NAME_IN);
	p->cur = lr_stanza_new(p->ctx, p->file, line, p->def);

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
		if (lr_pattern(p->ctx, p->cur, p->file, args[i].s,
		    args[i].line))
			p->logerror = true;
		free(args[i].s);
	}
	free(args);
	sbuf_free(&str);
	free(lines);
	return ACT_NEXT;
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
		lr_drop_last(p->ctx, lr_errmsg[p->err], p->err_line);
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
		lr_drop_last(p->ctx, lr_errmsg[p->err], p->err_line);
}

/* logrotate's readConfigFile on a buffer; 1 when it would report an error. */
int
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
