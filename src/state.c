/*
 * State file (see state.h). Format, one record per line, names
 * percent-encoded:
 *	evmaint-state 1
 *	run 1764032401
 *	log deploy/deploy.log 1764032401 1:20261125,2:20261124_101500
 * Written with fsx_publish_file: temp, fsync, rename, fsync of the directory.
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
#include "gen.h"
#include "state.h"
#include "xmalloc.h"

#define STATE_MAX_BYTES	(64 * 1024 * 1024)

void
state_log_clear(struct state_log *l)
{
	free(l->rel);
	free(l->gens);
	memset(l, 0, sizeof *l);
}

void
state_free(struct state *s)
{
	size_t i;

	for (i = 0; i < s->nlogs; i++)
		state_log_clear(&s->logs[i]);
	free(s->logs);
	free(s->ix);
	memset(s, 0, sizeof *s);
}

/* FNV-1a: the names are short, and nothing here is adversarial enough to
 * need more than a spread that does not degrade on common prefixes. */
static size_t
state_hash(const char *rel)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *rel != '\0'; rel++)
		h = (h ^ (unsigned char)*rel) * 1099511628211ULL;
	return (size_t)h;
}

/* The slot of rel in the index: where it is, or the empty slot it goes. */
static size_t *
state_slot(const struct state *s, const char *rel)
{
	size_t mask = s->ixcap - 1, k = state_hash(rel) & mask;

	while (s->ix[k] != 0 && strcmp(s->logs[s->ix[k] - 1].rel, rel) != 0)
		k = (k + 1) & mask;
	return &s->ix[k];
}

/* Keeps the index at most half full, for n logs. */
static void
state_index(struct state *s, size_t n)
{
	size_t i, cap = s->ixcap ? s->ixcap : 64;

	/* n > cap / 2, not n * 2 > cap: no product to overflow */
	if (s->ix != NULL && n <= s->ixcap / 2)
		return;
	while (n > cap / 2)
		cap *= 2;
	free(s->ix);
	s->ix = xreallocarray(NULL, cap, sizeof *s->ix);
	memset(s->ix, 0, cap * sizeof *s->ix);
	s->ixcap = cap;
	for (i = 0; i < s->nlogs; i++)
		*state_slot(s, s->logs[i].rel) = i + 1;
}

struct state_log *
state_get(struct state *s, const char *rel, bool create)
{
	size_t *slot;

	if (s->nlogs == 0 && !create)
		return NULL;
	state_index(s, s->nlogs + 1);
	slot = state_slot(s, rel);
	if (*slot != 0)
		return &s->logs[*slot - 1];
	if (!create)
		return NULL;
	if (s->nlogs == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->logs = xreallocarray(s->logs, s->cap, sizeof *s->logs);
	}
	memset(&s->logs[s->nlogs], 0, sizeof s->logs[0]);
	s->logs[s->nlogs].rel = xstrdup(rel);
	*slot = ++s->nlogs;
	return &s->logs[s->nlogs - 1];
}

const struct state_gen *
state_gen_find(const struct state_log *l, int num)
{
	size_t i;

	if (l == NULL)
		return NULL;
	for (i = 0; i < l->ngens; i++)
		if (l->gens[i].num == num)
			return &l->gens[i];
	return NULL;
}

const char *
state_tag(const struct state_log *l, int num)
{
	const struct state_gen *g = state_gen_find(l, num);

	return g != NULL ? g->tag : NULL;
}

/*
 * The first date tag, from t on and a second at a time, that `used` does
 * not know: t's plain day first when `day` is set, else (and after it)
 * the time of day. The tag of a generation evmaint did not rotate itself,
 * made from its mtime, must not name another generation's file.
 */
void
state_tag_pick(time_t t, bool day, bool (*used)(void *, const char *),
    void *arg, char *tag, size_t len)
{
	(void)state_tag_pick_from(t, day, 0, used, arg, tag, len);
}

/*
 * state_tag_pick from the bump `from` on (0: from t itself), for a caller
 * that knows every tag before it taken; the bump it took. Generations that
 * share one mtime (a tree copied without keeping times) then cost one look
 * each, not one for every one before them.
 */
time_t
state_tag_pick_from(time_t t, bool day, time_t from,
    bool (*used)(void *, const char *), void *arg, char *tag, size_t len)
{
	time_t bump;

	for (bump = from;; bump++) {
		clock_tag(t + bump, day && bump == 0, tag, len);
		if (!used(arg, tag))
			return bump;
	}
}

void
state_log_copy(struct state_log *dst, const struct state_log *src)
{
	char *rel = dst->rel;

	free(dst->gens);
	dst->rel = rel;
	dst->last = src->last;
	dst->ngens = src->ngens;
	dst->gens = src->ngens ? xreallocarray(NULL, src->ngens,
	    sizeof *src->gens) : NULL;
	if (src->ngens)
		memcpy(dst->gens, src->gens, src->ngens * sizeof *src->gens);
}

/* "1:20261125,2:20261124_101500,3:20261120~" or "-" (~: adopted). */
int
state_parse_gens(struct state_log *l, const char *s)
{
	const char	*p = s, *colon, *comma;
	char		*end;
	long		 num;
	size_t		 n;

	free(l->gens);
	l->gens = NULL;
	l->ngens = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	while (*p != '\0') {
		num = strtol(p, &end, 10);
		colon = end;
		if (end == p || *colon != ':' || num < 1 || num > GEN_NUM_MAX)
			return -1;
		comma = strchr(colon + 1, ',');
		n = comma ? (size_t)(comma - colon - 1) : strlen(colon + 1);
		l->gens = xgrowarray(l->gens, l->ngens + 1, sizeof *l->gens);
		l->gens[l->ngens].num = (int)num;
		l->gens[l->ngens].adopted = n > 0 && colon[n] == '~';
		if (n - l->gens[l->ngens].adopted == 0 ||
		    n - l->gens[l->ngens].adopted >= EVM_TAG_MAX)
			return -1;
		memcpy(l->gens[l->ngens].tag, colon + 1,
		    n - l->gens[l->ngens].adopted);
		l->gens[l->ngens].tag[n - l->gens[l->ngens].adopted] = '\0';
		if (!gen_tag_valid(l->gens[l->ngens].tag))
			return -1;
		l->ngens++;
		p = comma ? comma + 1 : colon + 1 + n;
	}
	return 0;
}

static int
state_gen_cmp(const void *a, const void *b)
{
	return ((const struct state_gen *)a)->num -
	    ((const struct state_gen *)b)->num;
}

/* In generation order, so that the file reads like the tree. */
void
state_format_gens(const struct state_log *l, struct sbuf *b)
{
	struct state_gen	*g;
	size_t			 i;

	if (l->ngens == 0) {
		sbuf_adds(b, "-");
		return;
	}
	g = xreallocarray(NULL, l->ngens, sizeof *g);
	memcpy(g, l->gens, l->ngens * sizeof *g);
	qsort(g, l->ngens, sizeof *g, state_gen_cmp);
	for (i = 0; i < l->ngens; i++)
		sbuf_addf(b, "%s%d:%s%s", i ? "," : "", g[i].num, g[i].tag,
		    g[i].adopted ? "~" : "");
	free(g);
}

/* Splits a line into at most max space-separated tokens, in place. */
static size_t
state_split(char *line, char **tok, size_t max)
{
	size_t	 n = 0;
	char	*save, *t;

	for (t = strtok_r(line, " ", &save); t != NULL && n < max;
	    t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	return t == NULL ? n : max + 1;
}

int
state_parse(struct state *s, const char *text, size_t len, char **err)
{
	struct state_log	*l;
	char			*copy, *line, *next, *tok[5], *rel, *end;
	long long		 last;
	int			 lineno = 0;

	memset(s, 0, sizeof *s);
	*err = NULL;
	if (memchr(text, '\0', len) != NULL) {
		*err = xstrdup("contains a NUL byte");
		return -1;
	}
	copy = xstrndup(text, len);
	for (line = copy; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "evmaint-state 1") != 0) {
				xasprintf(err, "line 1: not an evmaint state "
				    "file of version %d", STATE_VERSION);
				goto fail;
			}
			continue;
		}
		if (*line == '\0' || *line == '#')
			continue;
		if (strncmp(line, "run ", 4) == 0) {
			errno = 0;
			last = strtoll(line + 4, &end, 10);
			if (*end != '\0' || end == line + 4 || errno != 0 ||
			    last < 0 || s->run != 0) {
				xasprintf(err, "line %d: bad or repeated run "
				    "record", lineno);
				goto fail;
			}
			s->run = (time_t)last;
			continue;
		}
		if (state_split(line, tok, 4) != 4 ||
		    strcmp(tok[0], "log") != 0) {
			xasprintf(err, "line %d: expected 'log PATH TIME GENS'",
			    lineno);
			goto fail;
		}
		errno = 0;
		last = strtoll(tok[2], &end, 10);
		rel = esc_unpct(tok[1]);
		if (rel == NULL || *end != '\0' || errno != 0 || last < 0 ||
		    state_get(s, rel, false) != NULL) {
			xasprintf(err, "line %d: bad or repeated record",
			    lineno);
			free(rel);
			goto fail;
		}
		l = state_get(s, rel, true);
		free(rel);
		l->last = (time_t)last;
		if (state_parse_gens(l, tok[3]) != 0) {
			xasprintf(err, "line %d: bad generation list", lineno);
			goto fail;
		}
	}
	if (lineno == 0) {
		*err = xstrdup("empty");
		goto fail;
	}
	free(copy);
	return 0;
fail:
	free(copy);
	state_free(s);
	return -1;
}

void
state_format(const struct state *s, struct sbuf *b)
{
	size_t i;

	sbuf_addf(b, "evmaint-state %d\n", STATE_VERSION);
	if (s->run != 0)
		sbuf_addf(b, "run %lld\n", (long long)s->run);
	for (i = 0; i < s->nlogs; i++) {
		sbuf_adds(b, "log ");
		esc_pct(b, s->logs[i].rel);
		sbuf_addf(b, " %lld ", (long long)s->logs[i].last);
		state_format_gens(&s->logs[i], b);
		sbuf_adds(b, "\n");
	}
}

/*
 * Loads the state. A missing file is an empty state (0). A corrupt one is
 * an empty state too, with the reason in err (-1): the caller warns. One
 * that cannot be read (EIO) is -2: nothing is known, so nothing is done.
 */
int
state_load(int dirfd, const char *name, struct state *s, char **err)
{
	struct sbuf	 b;
	int		 rc;

	memset(s, 0, sizeof *s);
	*err = NULL;
	if ((rc = fsx_slurp_own(dirfd, name, STATE_MAX_BYTES, &b, err)) != 1)
		return rc;
	rc = state_parse(s, b.s, b.len, err);
	sbuf_free(&b);
	return rc;
}

int
state_save(int dirfd, const char *name, const struct state *s, mode_t mode,
    gid_t gid)
{
	struct sbuf	b;
	int		rc;

	sbuf_init(&b);
	state_format(s, &b);
	rc = fsx_publish_file(dirfd, name, b.s, b.len, mode, geteuid(), gid,
	    true);
	sbuf_free(&b);
	return rc;
}

/* Whether two states would be written the same. */
bool
state_equal(const struct state *a, const struct state *b)
{
	struct sbuf	x, y;
	bool		eq;

	sbuf_init(&x);
	sbuf_init(&y);
	state_format(a, &x);
	state_format(b, &y);
	eq = x.len == y.len && memcmp(x.s, y.s, x.len) == 0;
	sbuf_free(&x);
	sbuf_free(&y);
	return eq;
}
