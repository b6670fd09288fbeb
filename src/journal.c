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
#include "fsx.h"
#include "journal.h"
#include "xmalloc.h"

#define JOURNAL_MAX_BYTES	(256 * 1024 * 1024)
#define JOURNAL_MAX_TOK		8

void
journal_free(struct journal *j)
{
	size_t i, k;

	for (i = 0; i < j->nlogs; i++) {
		struct jr_log *l = &j->logs[i];

		for (k = 0; k < l->nsteps; k++) {
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

	j->logs = xreallocarray(j->logs, j->nlogs + 1, sizeof *j->logs);
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
	struct jr_step *s;

	l->steps = xreallocarray(l->steps, l->nsteps + 1, sizeof *l->steps);
	s = &l->steps[l->nsteps++];
	s->kind = kind;
	s->a = xstrdup(a);
	s->b = xstrdup(b);
	s->dev = dev;
	s->ino = ino;
}

void
journal_add_member(struct journal *j, const char *dirrel, const char *file,
    const char *name, dev_t dev, ino_t ino, uint64_t size,
    const uint8_t *sha256)
{
	struct jr_member *m;

	j->members = xreallocarray(j->members, j->nmembers + 1,
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

void
journal_format(const struct journal *j, struct sbuf *b)
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
		}
	}
	sbuf_adds(b, "end\n");
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
	struct stat	 st;
	struct sbuf	 b;
	char		 buf[65536];
	ssize_t		 n;
	int		 fd, rc;

	memset(j, 0, sizeof *j);
	*err = NULL;
	if ((fd = fsx_open_own(dirfd, name, O_RDONLY, &st)) == -1) {
		if (errno == ENOENT)
			return 0;
		/* Someone else's file here is refused, never replaced. */
		if (errno == EPERM) {
			xasprintf(err, "%s: refusing it", fsx_own_refusal(&st));
			return -2;
		}
		xasprintf(err, "%s", errno == EMLINK ? "not a regular file "
		    "with one link" : strerror(errno));
		return errno == EMLINK || errno == ELOOP ? -1 : -2;
	}
	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	while ((n = fsx_read(fd, buf, sizeof buf)) > 0) {
		if (b.len + (size_t)n > JOURNAL_MAX_BYTES) {
			n = -1;
			errno = EFBIG;
			break;
		}
		sbuf_add(&b, buf, (size_t)n);
	}
	close(fd);
	if (n < 0) {
		xasprintf(err, "%s", strerror(errno));
		sbuf_free(&b);
		return errno == EFBIG ? -1 : -2;
	}
	rc = journal_parse(j, b.s, b.len, err);
	sbuf_free(&b);
	return rc == 0 ? 1 : -1;
}

int
journal_save(int dirfd, const char *name, const struct journal *j,
    mode_t mode, gid_t gid)
{
	struct sbuf	b;
	int		rc;

	sbuf_init(&b);
	journal_format(j, &b);
	rc = fsx_publish_file(dirfd, name, b.s, b.len, mode, geteuid(), gid,
	    true);
	sbuf_free(&b);
	return rc;
}

/* Removes the journal durably; its absence means "nothing to finish". */
int
journal_remove(int dirfd, const char *name)
{
	if (fsx_unlink(dirfd, name) == -1 && errno != ENOENT)
		return -1;
	return fsx_fsync(dirfd);
}
