/*
 * The intent journal (see journal.h). Text, one record per line, names
 * percent-encoded, "." for the root directory; the last line is "end", so a
 * file cut short is recognised even if it was not written atomically:
 *	evmaint-journal 1
 *	time 1764032401
 *	root /srv/service/event 2049 131073
 *	log deploy/deploy.log 1764032401 1:20261125,2:20261124
 *	ren deploy.log.1.gz deploy.log.2.gz 2049 393222
 *	ren .evmaint-tmp.deploy.log deploy.log.1 2049 393230
 *	xchg deploy.log.1 deploy.log 2049 393230
 *	archive event-20261125T020001.tar
 *	member deploy deploy.log.8.gz deploy/deploy.log-20261117.gz 2049 393199
 *	    4123456 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *	end
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "fsx.h"
#include "gen.h"
#include "journal.h"
#include "xmalloc.h"

#define JOURNAL_MAX_BYTES	(256 * 1024 * 1024)
#define JOURNAL_MAX_TOK		8
#define JOURNAL_CHUNK		(64 * 1024)

void
journal_free(struct journal *j)
{
	size_t i, k;

	for (i = 0; i < j->nlogs; i++) {
		struct jr_log *l = &j->logs[i];

		for (k = 0; k < l->nsteps && !l->packed; k++) {
			free(l->steps[k].a);
			free(l->steps[k].b);
		}
		free(l->steps);
		free(l->rel);
		state_log_clear(&l->after);
	}
	free(j->logs);
	journal_clear_members(j);
	free(j->root);
	memset(j, 0, sizeof *j);
}

void
journal_clear_members(struct journal *j)
{
	size_t i;

	for (i = 0; i < j->nmembers; i++) {
		free(j->members[i].dirrel);
		free(j->members[i].file);
		free(j->members[i].name);
	}
	free(j->members);
	j->members = NULL;
	j->nmembers = 0;
	free(j->archive);
	j->archive = NULL;
}

struct jr_log *
journal_add_log(struct journal *j, const char *rel)
{
	struct jr_log *l;

	j->logs = xgrowarray(j->logs, j->nlogs + 1, sizeof *j->logs);
	l = &j->logs[j->nlogs++];
	memset(l, 0, sizeof *l);
	l->rel = xstrdup(rel);
	l->after.rel = xstrdup(rel);
	return l;
}

void
journal_add_step(struct jr_log *l, enum jr_kind kind, const char *a,
    const char *b, dev_t dev, ino_t ino)
{
	struct jr_step	*s, *packed;
	size_t		 k;

	if (l->packed) {
		/* the block's spare room is names: the steps move out */
		packed = l->steps;
		l->steps = xreallocarray(NULL, l->nsteps, sizeof *l->steps);
		for (k = 0; k < l->nsteps; k++) {
			l->steps[k] = packed[k];
			l->steps[k].a = xstrdup(packed[k].a);
			l->steps[k].b = xstrdup(packed[k].b);
		}
		free(packed);
		l->packed = false;
	}
	l->steps = xgrowarray(l->steps, l->nsteps + 1, sizeof *l->steps);
	s = &l->steps[l->nsteps++];
	s->kind = kind;
	s->a = xstrdup(a);
	s->b = xstrdup(b);
	s->dev = dev;
	s->ino = ino;
}

/*
 * One block for a log's steps and their names, once planned: the steps
 * of 10,000 logs were 180,000 small strings and arrays at twice their
 * length. The names are the same bytes; journal_add_step unpacks.
 */
void
journal_pack(struct jr_log *l)
{
	struct jr_step	*steps;
	char		*p;
	size_t		 k, len = l->nsteps * sizeof *l->steps;

	if (l->packed || l->nsteps == 0)
		return;
	for (k = 0; k < l->nsteps; k++)
		len += strlen(l->steps[k].a) + strlen(l->steps[k].b) + 2;
	steps = xmalloc(len);
	p = (char *)(steps + l->nsteps);
	for (k = 0; k < l->nsteps; k++) {
		steps[k] = l->steps[k];
		steps[k].a = p;
		p = stpcpy(p, l->steps[k].a) + 1;
		steps[k].b = p;
		p = stpcpy(p, l->steps[k].b) + 1;
		free(l->steps[k].a);
		free(l->steps[k].b);
	}
	free(l->steps);
	l->steps = steps;
	l->packed = true;
}

void
journal_add_member(struct journal *j, const char *dirrel, const char *file,
    const char *name, dev_t dev, ino_t ino, uint64_t size,
    const uint8_t *sha256)
{
	struct jr_member *m;

	j->members = xgrowarray(j->members, j->nmembers + 1,
	    sizeof *j->members);
	m = &j->members[j->nmembers++];
	m->dirrel = xstrdup(dirrel);
	m->file = xstrdup(file);
	m->name = xstrdup(name);
	m->dev = dev;
	m->ino = ino;
	m->size = size;
	memcpy(m->sha256, sha256, HASH_LEN);
}

static void
journal_tok(struct sbuf *b, const char *s)
{
	sbuf_adds(b, " ");
	if (*s == '\0')
		sbuf_adds(b, ".");
	else
		esc_pct(b, s);
}

/*
 * With fd >= 0, what is formatted goes out to fd every JOURNAL_CHUNK
 * bytes: the journal of 10,000 logs is megabytes of text, not to be held
 * whole beside the structures it describes. -1 (errno set) on a write
 * error, after which the rest is not written.
 */
static int
journal_flush(struct sbuf *b, int fd, bool all)
{
	int rc;

	if (fd < 0 || b->len == 0 || (!all && b->len < JOURNAL_CHUNK))
		return 0;
	rc = fsx_write_all(fd, b->s, b->len);
	b->len = 0;
	b->s[0] = '\0';
	return rc;
}

static int
journal_format_out(const struct journal *j, struct sbuf *b, int fd)
{
	size_t i, k;

	sbuf_addf(b, "evmaint-journal 1\ntime %lld\nroot", (long long)j->time);
	journal_tok(b, j->root);
	sbuf_addf(b, " %ju %ju\n", (uintmax_t)j->root_dev,
	    (uintmax_t)j->root_ino);
	for (i = 0; i < j->nlogs; i++) {
		const struct jr_log *l = &j->logs[i];

		sbuf_adds(b, "log");
		journal_tok(b, l->rel);
		sbuf_addf(b, " %lld ", (long long)l->after.last);
		state_format_gens(&l->after, b);
		sbuf_adds(b, "\n");
		for (k = 0; k < l->nsteps; k++) {
			sbuf_adds(b, l->steps[k].kind == JR_RENAME ? "ren" :
			    "xchg");
			journal_tok(b, l->steps[k].a);
			journal_tok(b, l->steps[k].b);
			sbuf_addf(b, " %ju %ju\n", (uintmax_t)l->steps[k].dev,
			    (uintmax_t)l->steps[k].ino);
		}
		if (journal_flush(b, fd, false) == -1)
			return -1;
	}
	if (j->archive != NULL) {
		sbuf_adds(b, "archive");
		journal_tok(b, j->archive);
		sbuf_adds(b, "\n");
		for (i = 0; i < j->nmembers; i++) {
			char hex[HASH_HEX_LEN];

			sbuf_adds(b, "member");
			journal_tok(b, j->members[i].dirrel);
			journal_tok(b, j->members[i].file);
			journal_tok(b, j->members[i].name);
			hash_hex(j->members[i].sha256, hex);
			sbuf_addf(b, " %ju %ju %ju %s\n",
			    (uintmax_t)j->members[i].dev,
			    (uintmax_t)j->members[i].ino,
			    (uintmax_t)j->members[i].size, hex);
			if (journal_flush(b, fd, false) == -1)
				return -1;
		}
	}
	sbuf_adds(b, "end\n");
	return journal_flush(b, fd, true);
}

void
journal_format(const struct journal *j, struct sbuf *b)
{
	(void)journal_format_out(j, b, -1);
}

static char *
journal_untok(const char *t)
{
	return strcmp(t, ".") == 0 ? xstrdup("") : esc_unpct(t);
}

static int
journal_num(const char *t, uintmax_t *out)
{
	char *end;

	errno = 0;
	if (*t < '0' || *t > '9')
		return -1;
	*out = strtoumax(t, &end, 10);
	return *end != '\0' || errno != 0 ? -1 : 0;
}

/* A time: what journal_format writes back (%lld) must parse again. */
static int
journal_time(const char *t, time_t *out)
{
	uintmax_t v;

	if (journal_num(t, &v) == -1 || v > (uintmax_t)INT64_MAX)
		return -1;
	*out = (time_t)v;
	return 0;
}

/* One record; returns 1 at "end", 0 to go on, -1 on a bad record. */
static int
journal_record(struct journal *j, char **tok, size_t n)
{
	struct jr_log	*l;
	uintmax_t	 a, b, c;
	time_t		 t;
	uint8_t		 sha[HASH_LEN];
	char		*s1 = NULL, *s2 = NULL, *s3 = NULL;
	int		 rc = -1;

	if (n == 1 && strcmp(tok[0], "end") == 0)
		return 1;
	if (n == 2 && strcmp(tok[0], "time") == 0 &&
	    journal_time(tok[1], &t) == 0) {
		j->time = t;
		return 0;
	}
	if (n == 4 && strcmp(tok[0], "root") == 0 &&
	    (s1 = journal_untok(tok[1])) != NULL &&
	    journal_num(tok[2], &a) == 0 && journal_num(tok[3], &b) == 0) {
		free(j->root);
		j->root = s1;
		j->root_dev = (dev_t)a;
		j->root_ino = (ino_t)b;
		return 0;
	}
	if (n == 4 && strcmp(tok[0], "log") == 0 &&
	    (s1 = journal_untok(tok[1])) != NULL && *s1 != '\0' &&
	    journal_time(tok[2], &t) == 0) {
		l = journal_add_log(j, s1);
		l->after.last = t;
		rc = state_parse_gens(&l->after, tok[3]);
		goto out;
	}
	if (n == 5 && (strcmp(tok[0], "ren") == 0 ||
	    strcmp(tok[0], "xchg") == 0) && j->nlogs > 0 &&
	    (s1 = journal_untok(tok[1])) != NULL && *s1 != '\0' &&
	    (s2 = journal_untok(tok[2])) != NULL && *s2 != '\0' &&
	    strchr(s1, '/') == NULL && strchr(s2, '/') == NULL &&
	    journal_num(tok[3], &a) == 0 && journal_num(tok[4], &b) == 0) {
		journal_add_step(&j->logs[j->nlogs - 1], tok[0][0] == 'r' ?
		    JR_RENAME : JR_EXCHANGE, s1, s2, (dev_t)a, (ino_t)b);
		rc = 0;
		goto out;
	}
	if (n == 2 && strcmp(tok[0], "archive") == 0 && j->archive == NULL &&
	    (s1 = journal_untok(tok[1])) != NULL && *s1 != '\0' &&
	    strchr(s1, '/') == NULL) {
		j->archive = s1;
		return 0;
	}
	if (n == 8 && strcmp(tok[0], "member") == 0 && j->archive != NULL &&
	    (s1 = journal_untok(tok[1])) != NULL &&
	    (s2 = journal_untok(tok[2])) != NULL && *s2 != '\0' &&
	    strchr(s2, '/') == NULL &&
	    (s3 = journal_untok(tok[3])) != NULL && *s3 != '\0' &&
	    journal_num(tok[4], &a) == 0 && journal_num(tok[5], &b) == 0 &&
	    journal_num(tok[6], &c) == 0 && hash_from_hex(tok[7], sha) == 0) {
		journal_add_member(j, s1, s2, s3, (dev_t)a, (ino_t)b, c, sha);
		rc = 0;
	}
out:
	free(s1);
	free(s2);
	free(s3);
	return rc;
}

int
journal_parse(struct journal *j, const char *text, size_t len, char **err)
{
	char	*copy, *line, *next = NULL, *tok[JOURNAL_MAX_TOK + 1], *save, *t;
	size_t	 n;
	int	 lineno = 0, rc = 0;

	memset(j, 0, sizeof *j);
	*err = NULL;
	if (memchr(text, '\0', len) != NULL) {
		*err = xstrdup("contains a NUL byte");
		return -1;
	}
	copy = xstrndup(text, len);
	for (line = copy; line != NULL && rc == 0; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else if (*line == '\0')
			break;
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "evmaint-journal 1") != 0)
				break;
			continue;
		}
		n = 0;
		for (t = strtok_r(line, " ", &save); t != NULL &&
		    n <= JOURNAL_MAX_TOK; t = strtok_r(NULL, " ", &save))
			tok[n++] = t;
		rc = n == 0 || n > JOURNAL_MAX_TOK ? -1 :
		    journal_record(j, tok, n);
	}
	if (rc == 1 && next != NULL && *next != '\0')
		xasprintf(err, "line %d: text after 'end'", lineno + 1);
	else if (rc == 1 && j->root == NULL)
		*err = xstrdup("no 'root' record");
	else if (rc == 1) {
		free(copy);
		return 0;
	} else if (lineno <= 1)
		*err = xstrdup("line 1: not an evmaint journal of version 1");
	else if (rc == -1)
		xasprintf(err, "line %d: bad record", lineno);
	else
		*err = xstrdup("cut short: no 'end' record");
	free(copy);
	journal_free(j);
	return -1;
}

/*
 * 1 when a journal was loaded, 0 when there is none, -1 when it is not a
 * journal evmaint can use, -2 when it could not be read (try again later).
 */
int
journal_load(int dirfd, const char *name, struct journal *j, char **err)
{
	struct sbuf	 b;
	int		 rc;

	memset(j, 0, sizeof *j);
	*err = NULL;
	if ((rc = fsx_slurp_own(dirfd, name, JOURNAL_MAX_BYTES, &b, err)) != 1)
		return rc;
	rc = journal_parse(j, b.s, b.len, err);
	sbuf_free(&b);
	return rc == 0 ? 1 : -1;
}

int
journal_save(int dirfd, const char *name, const struct journal *j,
    mode_t mode, gid_t gid)
{
	struct sbuf	 b;
	char		*tmp;
	int		 fd, rc, saved;

	if ((fd = fsx_create_tmp(dirfd, name, mode, geteuid(), gid, &tmp)) ==
	    -1)
		return -1;
	sbuf_init(&b);
	rc = journal_format_out(j, &b, fd);
	saved = errno;	/* what the failed write said, past free(3) */
	sbuf_free(&b);
	errno = saved;
	return fsx_publish_done(dirfd, name, fd, tmp, rc, true);
}

/* Removes the journal durably; its absence means "nothing to finish". */
int
journal_remove(int dirfd, const char *name)
{
	if (fsx_unlink(dirfd, name) == -1 && errno != ENOENT)
		return -1;
	return fsx_fsync(dirfd);
}

/*
 * Validation of a loaded journal before its replay (man evmaint.8,
 * SECURITY): replaying a journal is executing its input, so every step
 * must be one rotation itself writes, for a log of the tree, on names
 * rotation would produce for that log, in the order it writes them. The
 * checks need no file system: what the tree holds comes from jt.
 */

/* A relative path: no empty, "." or ".." component, no leading '/'. */
static bool
journal_rel_ok(const char *rel)
{
	const char	*p = rel, *e;
	size_t		 n;

	if (*rel == '\0')
		return true;	/* the root directory */
	for (;;) {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (e == NULL)
			return true;
		p = e + 1;
	}
}

static bool
journal_name_ok(const char *name)
{
	return *name != '\0' && strchr(name, '/') == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

/* Whether `name` is a generation of the log called `base`. */
static bool
journal_gen_of(const char *name, const char *base, struct gen_name *gn)
{
	return gen_parse(name, gn) && gn->baselen == strlen(base) &&
	    strncmp(name, base, gn->baselen) == 0;
}

/*
 * A log's last two steps: the prepared file, by a temporary name of the
 * log's, into the new generation's name, then exchanged with the log.
 */
static int
journal_check_tail(const struct jr_log *l, const char *base, bool dateext,
    char **why)
{
	const struct jr_step	*prep, *xchg;
	struct gen_name		 gn;
	char			*want;
	bool			 bad;

	prep = &l->steps[l->nsteps - 2];
	xchg = &l->steps[l->nsteps - 1];
	if (prep->kind != JR_RENAME || xchg->kind != JR_EXCHANGE) {
		xasprintf(why, "log %s: does not end with the move of the new "
		    "empty log into its slot and the exchange", l->rel);
		return -1;
	}
	if (!fsx_is_tmp_name_of(prep->a, base)) {
		xasprintf(why, "log %s: step %zu moves %s, not a temporary "
		    "name of %s", l->rel, l->nsteps - 1, prep->a, base);
		return -1;
	}
	if (dateext)
		bad = !journal_gen_of(prep->b, base, &gn) ||
		    gn.form != GEN_DATE || gn.gz;
	else {
		want = gen_name_num(base, 1, false);
		bad = strcmp(prep->b, want) != 0;
		free(want);
	}
	if (bad) {
		xasprintf(why, "log %s: step %zu moves the new log to %s, not "
		    "a new generation's name", l->rel, l->nsteps - 1, prep->b);
		return -1;
	}
	if (strcmp(xchg->a, prep->b) != 0 || strcmp(xchg->b, base) != 0 ||
	    xchg->dev != prep->dev || xchg->ino != prep->ino) {
		xasprintf(why, "log %s: step %zu is not the exchange of %s with "
		    "%s", l->rel, l->nsteps, prep->b, base);
		return -1;
	}
	return 0;
}

/* The shift: numbered generations up by one, highest first. */
static int
journal_check_shift(const struct jr_log *l, const char *base, char **why)
{
	const struct jr_step	*prep = &l->steps[l->nsteps - 2], *s;
	struct gen_name		 gn;
	char			*want;
	size_t			 i;
	int			 prev = GEN_NUM_MAX + 1, seen = 0;
	bool			 bad;

	for (i = 0; i + 2 < l->nsteps; i++) {
		s = &l->steps[i];
		if (s->kind != JR_RENAME || !journal_gen_of(s->a, base, &gn) ||
		    gn.form != GEN_NUM || gn.num >= GEN_NUM_MAX) {
			xasprintf(why, "log %s: step %zu (%s) is not the shift "
			    "of a numbered generation", l->rel, i + 1, s->a);
			return -1;
		}
		want = gen_name_num(base, gn.num + 1, gn.gz);
		bad = strcmp(s->b, want) != 0;
		free(want);
		/* a plain and a .gz of one number may both shift, once each */
		if (gn.num < prev)
			seen = 0;
		if (bad || gn.num > prev || (seen & (1 << gn.gz))) {
			xasprintf(why, "log %s: step %zu (%s -> %s) is not the "
			    "next move of its shift", l->rel, i + 1, s->a, s->b);
			return -1;
		}
		seen |= 1 << gn.gz;
		prev = gn.num;
		if (s->ino == prep->ino && s->dev == prep->dev) {
			xasprintf(why, "log %s: step %zu moves the new empty "
			    "log's inode", l->rel, i + 1);
			return -1;
		}
	}
	return 0;
}

/* A log's steps: [shift renames, highest first], prepared -> slot, xchg. */
static int
journal_check_steps(const struct journal *j, const struct jr_log *l,
    const char *base, bool dateext, char **why)
{
	size_t i;

	if (l->after.last != j->time) {
		xasprintf(why, "log %s: its state record is not of the run "
		    "that wrote the journal", l->rel);
		return -1;
	}
	if (l->nsteps < 2 || (dateext && l->nsteps != 2)) {
		xasprintf(why, "log %s: %zu steps, not the shape of a rotation "
		    "(%s)", l->rel, l->nsteps, dateext ? "dateext: exactly 2" :
		    "at least 2");
		return -1;
	}
	for (i = 0; i < l->nsteps; i++)
		if (!journal_name_ok(l->steps[i].a) ||
		    !journal_name_ok(l->steps[i].b)) {
			xasprintf(why, "log %s: step %zu names something "
			    "outside its directory", l->rel, i + 1);
			return -1;
		}
	if (journal_check_tail(l, base, dateext, why) == -1 ||
	    journal_check_shift(l, base, why) == -1)
		return -1;
	return 0;
}

static int
journal_member_cmp(const void *pa, const void *pb)
{
	const struct jr_member *a = *(const struct jr_member *const *)pa;
	const struct jr_member *b = *(const struct jr_member *const *)pb;
	int c;

	if ((c = strcmp(a->dirrel, b->dirrel)) != 0)
		return c;
	return strcmp(a->file, b->file);
}

static int
journal_member_name_cmp(const void *pa, const void *pb)
{
	return strcmp((*(const struct jr_member *const *)pa)->name,
	    (*(const struct jr_member *const *)pb)->name);
}

/*
 * An archived source: a generation (never a live log, never another file)
 * of a log of the tree, under the member name expiry gives it:
 * DIR/LOG-TAG[.gz], compressed as the file is.
 */
static int
journal_check_member(const struct jr_member *m, const struct jr_tree *jt,
    char **why)
{
	struct gen_name	 gn, mn;
	const char	*mbase;
	char		*base, *rel;
	size_t		 dl = strlen(m->dirrel);
	bool		 dateext, ok;

	if (!journal_rel_ok(m->dirrel) || !journal_name_ok(m->file)) {
		xasprintf(why, "archived source %s/%s: outside the tree",
		    m->dirrel, m->file);
		return -1;
	}
	if (!gen_parse(m->file, &gn)) {
		xasprintf(why, "archived source %s%s%s: not a generation of a "
		    "log", m->dirrel, dl ? "/" : "", m->file);
		return -1;
	}
	base = xstrndup(m->file, gn.baselen);
	if (dl > 0)
		xasprintf(&rel, "%s/%s", m->dirrel, base);
	else
		rel = xstrdup(base);
	ok = jt->log(jt->arg, rel, &dateext);
	if (!ok)
		xasprintf(why, "archived source %s%s%s: %s is not a log of the "
		    "tree", m->dirrel, dl ? "/" : "", m->file, rel);
	mbase = m->name + dl + (dl > 0);
	if (ok && (strncmp(m->name, m->dirrel, dl) != 0 ||
	    (dl > 0 && m->name[dl] != '/') || !journal_name_ok(mbase) ||
	    !journal_gen_of(mbase, base, &mn) || mn.form != GEN_DATE ||
	    mn.gz != gn.gz)) {
		xasprintf(why, "archived source %s/%s: member name %s is not "
		    "one expiry gives it", m->dirrel, m->file, m->name);
		ok = false;
	}
	free(base);
	free(rel);
	return ok ? 0 : -1;
}

static int
journal_check_members(const struct journal *j, const struct jr_tree *jt,
    char **why)
{
	const struct jr_member	**v;
	time_t			  t;
	size_t			  i;
	int			  seq, rc = 0;
	bool			  gz;

	if (j->archive == NULL)
		return 0;
	if (!arc_parse_name(j->archive, &t, &seq, &gz)) {
		xasprintf(why, "archive %s: not a name of an evmaint archive",
		    j->archive);
		return -1;
	}
	for (i = 0; i < j->nmembers; i++)
		if (journal_check_member(&j->members[i], jt, why) == -1)
			return -1;
	if (j->nmembers < 2)
		return 0;
	v = xreallocarray(NULL, j->nmembers, sizeof *v);
	for (i = 0; i < j->nmembers; i++)
		v[i] = &j->members[i];
	qsort(v, j->nmembers, sizeof *v, journal_member_cmp);
	for (i = 1; i < j->nmembers && rc == 0; i++)
		if (journal_member_cmp(&v[i - 1], &v[i]) == 0) {
			xasprintf(why, "archived source %s/%s: listed twice",
			    v[i]->dirrel, v[i]->file);
			rc = -1;
		}
	qsort(v, j->nmembers, sizeof *v, journal_member_name_cmp);
	for (i = 1; i < j->nmembers && rc == 0; i++)
		if (journal_member_name_cmp(&v[i - 1], &v[i]) == 0) {
			xasprintf(why, "member %s: listed twice", v[i]->name);
			rc = -1;
		}
	free(v);
	return rc;
}

/*
 * 0 when every record is one rotation writes, else -1 with *why saying
 * which is not. Logs come in the order rotation plans them (by path), each
 * once; jt says which paths are logs of the tree, and how they are named.
 */
int
journal_check(const struct journal *j, const struct jr_tree *jt, char **why)
{
	const struct jr_log	*l;
	const char		*base;
	size_t			 i;
	bool			 dateext;

	*why = NULL;
	if (j->time <= 0) {
		*why = xstrdup("no time of the run that wrote it");
		return -1;
	}
	for (i = 0; i < j->nlogs; i++) {
		l = &j->logs[i];
		base = strrchr(l->rel, '/');
		base = base != NULL ? base + 1 : l->rel;
		if (!journal_rel_ok(l->rel)) {
			xasprintf(why, "log %s: not a path inside the tree",
			    l->rel);
			return -1;
		}
		if (i > 0 && strcmp(j->logs[i - 1].rel, l->rel) >= 0) {
			xasprintf(why, "log %s: out of order or listed twice",
			    l->rel);
			return -1;
		}
		if (!jt->log(jt->arg, l->rel, &dateext)) {
			xasprintf(why, "log %s: not a log of the tree", l->rel);
			return -1;
		}
		if (journal_check_steps(j, l, base, dateext, why) == -1)
			return -1;
	}
	return journal_check_members(j, jt, why);
}

/*
 * Moves a journal that must not be replayed out of the way, durably, to
 * NAME.rejected-STAMP (or NAME.rejected-STAMP.N when that is taken), so
 * that the next run starts clean and the journal stays for a look.
 */
int
journal_set_aside(int dirfd, const char *name, time_t now, char **aside)
{
	char	stamp[32];
	int	k;

	clock_stamp(now, stamp, sizeof stamp);
	for (k = 0; k < 100; k++) {
		if (k == 0)
			xasprintf(aside, "%s.rejected-%s", name, stamp);
		else
			xasprintf(aside, "%s.rejected-%s.%d", name, stamp, k);
		if (fsx_rename_noreplace(dirfd, name, dirfd, *aside) == 0)
			return fsx_fsync(dirfd);
		free(*aside);
		*aside = NULL;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/*
 * Whether the archive the journal names, in archive_dir ARCFD (ARCDIR for
 * messages), holds every generation it lists with that size and SHA-256:
 * 1 yes, 0 nothing to remove (it was never published), -1 it does not
 * (*why says how), -2 it cannot be told now (libarchive cannot be
 * loaded; *why says why). Rotate asks before a replay removes any source;
 * status --check asks the same question.
 */
int
journal_check_archive(const struct journal *j, int arcfd, const char *arcdir,
    char **why)
{
	struct arc_member	*m;
	struct stat		 st;
	char			*err = NULL;
	size_t			 i;
	int			 rc = 1;

	*why = NULL;
	if (j->archive == NULL ||
	    (fsx_fstatat(arcfd, j->archive, &st) == -1 && errno == ENOENT))
		return 0;
	m = xcalloc(j->nmembers ? j->nmembers : 1, sizeof *m);
	for (i = 0; i < j->nmembers; i++) {
		m[i].name = j->members[i].name;
		m[i].size = j->members[i].size;
		memcpy(m[i].sha256, j->members[i].sha256, HASH_LEN);
	}
	switch (arc_check(arcfd, j->archive, m, j->nmembers, &err)) {
	case 0:
		break;
	case -2:
		xasprintf(why, "cannot check %s/%s (%s)", arcdir, j->archive,
		    err);
		free(err);
		rc = -2;
		break;
	default:
		xasprintf(why, "%s/%s does not hold the generations it lists "
		    "(%s)", arcdir, j->archive, err);
		free(err);
		rc = -1;
		break;
	}
	free(m);
	return rc;
}
