/*
 * The scripts' runs summed up (see runstats.h). A run is a START line and
 * the END line of the same tag and pid; it belongs to the window by its
 * START time.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runlog.h"
#include "runstats.h"
#include "xmalloc.h"

/*
 * Runs of a tag held open for their last END: the oldest of more is over
 * (final if it has an END, else it never ended).
 */
#define RS_OPEN_MAX	64

static int	rs_cmp_tag(const void *, const void *);
static int	rs_cmp_dbl(const void *, const void *);

void
rs_init(struct runstats *rs, const struct lt_window *w, char **only,
    size_t nonly)
{
	memset(rs, 0, sizeof *rs);
	if (w != NULL)
		rs->w = *w;
	rs->only = only;
	rs->nonly = nonly;
}

static bool
rs_wanted(const struct runstats *rs, const char *tag, size_t len)
{
	size_t i;

	if (rs->nonly == 0)
		return true;
	for (i = 0; i < rs->nonly; i++)
		if (strlen(rs->only[i]) == len &&
		    memcmp(rs->only[i], tag, len) == 0)
			return true;
	return false;
}

static struct rs_script *
rs_lookup(struct runstats *rs, const char *tag, size_t len)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strlen(rs->v[i].tag) == len &&
		    memcmp(rs->v[i].tag, tag, len) == 0)
			return &rs->v[i];
	return NULL;
}

static struct rs_script *
rs_get(struct runstats *rs, const char *tag, size_t len)
{
	struct rs_script *s;

	if ((s = rs_lookup(rs, tag, len)) != NULL)
		return s;
	rs->v = xgrowarray(rs->v, rs->n + 1, sizeof *rs->v);
	s = &rs->v[rs->n++];
	memset(s, 0, sizeof *s);
	s->tag = xstrndup(tag, len);
	s->last_start = s->fail_start = -1;
	return s;
}

static void
rs_commit(struct runstats *rs, struct rs_script *s, const struct rs_open *o)
{
	if (!lt_window_has(&rs->w, o->t))
		return;
	if (s->ndur == s->capdur) {
		s->capdur = s->capdur ? s->capdur * 2 : 16;
		s->dur = xreallocarray(s->dur, s->capdur, sizeof *s->dur);
	}
	s->dur[s->ndur++] = o->duration;
	s->runs++;
	s->total += o->duration;
	if (o->t >= s->last_start) {
		s->last_start = o->t;
		s->last_exit = o->exit;
		s->last_sig = o->sig;
	}
	if (o->exit != 0) {
		s->failures++;
		if (o->t >= s->fail_start) {
			s->fail_start = o->t;
			s->fail_exit = o->exit;
			s->fail_sig = o->sig;
		}
	}
}

/* The runs of s that have their END: final at the end of the input. */
static void
rs_commit_ended(struct runstats *rs, struct rs_script *s)
{
	size_t i, k = 0;

	for (i = 0; i < s->nopen; i++)
		if (s->open[i].has_end)
			rs_commit(rs, s, &s->open[i]);
		else
			s->open[k++] = s->open[i];
	s->nopen = k;
}

static struct rs_open *
rs_find(struct rs_script *s, long pid)
{
	size_t i;

	for (i = s->nopen; i-- > 0;)
		if (s->open[i].pid == pid)
			return &s->open[i];
	return NULL;
}

/* FNV-1a: which START lines name one command. */
static uint64_t
rs_hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ULL;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
	return h;
}

static void
rs_start(struct runstats *rs, struct rs_script *s, const struct runlog_line *l)
{
	struct rs_open	*o;
	uint64_t	 what = rs_hash(l->what, l->whatlen);

	/*
	 * The script's own "START" line, inside its run: not a new run. But
	 * a START of the same command by a pid whose run has its END is the
	 * next run by a pid used again, as a container's may be every time:
	 * the run before it is over.
	 */
	if ((o = rs_find(s, l->pid)) != NULL) {
		if (!o->has_end || o->what != what)
			return;
		rs_commit(rs, s, o);
		memmove(o, o + 1, (size_t)(s->open + s->nopen - (o + 1)) *
		    sizeof *o);
		s->nopen--;
	}
	/*
	 * Another run's START does not make the runs that have an END final:
	 * runs of one tag overlap, and the END seen may be the script's own,
	 * with run's still to come. The oldest is taken as over only once
	 * RS_OPEN_MAX later runs have started.
	 */
	if (s->nopen == RS_OPEN_MAX) {
		if (s->open[0].has_end)
			rs_commit(rs, s, &s->open[0]);
		memmove(s->open, s->open + 1, (RS_OPEN_MAX - 1) *
		    sizeof *s->open);
		s->nopen--;
	}
	s->open = xgrowarray(s->open, s->nopen + 1, sizeof *s->open);
	s->open[s->nopen++] = (struct rs_open){ l->pid, l->t, false, 0, 0, 0,
	    what };
}

/*
 * One line of a log, in time order; lines run did not write are ignored.
 * A script may print a line that looks like an END itself; run writes its
 * END last, so the last END of a pid counts (rs_start says until when).
 * An END without its START (a script that does not use run, or a START
 * that left the tree) is not a run.
 */
void
rs_line(struct runstats *rs, const char *p, size_t len)
{
	struct runlog_line	 l;
	struct rs_script	*s;
	struct rs_open		*o;

	if (runlog_parse(p, len, &l) != 0 || l.kind == RL_OTHER ||
	    !rs_wanted(rs, l.tag, l.taglen))
		return;
	rs->lines++;
	if (l.kind == RL_START)
		rs_start(rs, rs_get(rs, l.tag, l.taglen), &l);
	else if ((s = rs_lookup(rs, l.tag, l.taglen)) != NULL &&
	    (o = rs_find(s, l.pid)) != NULL) {
		o->has_end = true;
		o->exit = l.exit;
		o->sig = l.sig;
		o->duration = l.duration;
	}
}

static int
rs_cmp_tag(const void *a, const void *b)
{
	return strcmp(((const struct rs_script *)a)->tag,
	    ((const struct rs_script *)b)->tag);
}

static int
rs_cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts scripts by tag and each one's durations; adds asked-for tags. */
void
rs_finish(struct runstats *rs)
{
	size_t i, k;

	for (i = 0, k = 0; i < rs->n; i++) {
		rs_commit_ended(rs, &rs->v[i]);
		/* only STARTs (running now, or never ended), and not asked for */
		if (rs->v[i].runs == 0 && rs->nonly == 0) {
			free(rs->v[i].tag);
			free(rs->v[i].dur);
			free(rs->v[i].open);
			continue;
		}
		/* sorted before it moves; the asked-for added below have none */
		if (rs->v[i].ndur > 1)
			qsort(rs->v[i].dur, rs->v[i].ndur, sizeof *rs->v[i].dur,
			    rs_cmp_dbl);
		rs->v[k++] = rs->v[i];
	}
	rs->n = k;
	for (i = 0; i < rs->nonly; i++)
		(void)rs_get(rs, rs->only[i], strlen(rs->only[i]));
	if (rs->n > 1)
		qsort(rs->v, rs->n, sizeof *rs->v, rs_cmp_tag);
}

/* The middle duration; the mean of the two middle ones for an even count. */
double
rs_median(const struct rs_script *s)
{
	size_t n = s->ndur;

	if (n == 0)
		return 0;
	return n % 2 ? s->dur[n / 2] : (s->dur[n / 2 - 1] + s->dur[n / 2]) / 2;
}

/*
 * The nearest-rank percentile: the smallest duration with at least p
 * percent of the runs at or below it (p95 of 20 runs is the 19th).
 */
double
rs_percentile(const struct rs_script *s, unsigned p)
{
	size_t k;

	if (s->ndur == 0)
		return 0;
	k = (p * s->ndur + 99) / 100;
	if (k < 1)
		k = 1;
	if (k > s->ndur)
		k = s->ndur;
	return s->dur[k - 1];
}

void
rs_free(struct runstats *rs)
{
	size_t i;

	for (i = 0; i < rs->n; i++) {
		free(rs->v[i].tag);
		free(rs->v[i].dur);
		free(rs->v[i].open);
	}
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}
