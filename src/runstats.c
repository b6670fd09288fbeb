/*
 * The scripts' runs summed up (see runstats.h). A run is its END line; its
 * time is its START line's (paired by tag and pid), or the END's less the
 * duration when the START is not there (in an older generation than the
 * window reaches). A run belongs to the window by that start time.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "runlog.h"
#include "runstats.h"
#include "xmalloc.h"

/* More STARTs than this without an END are runs that never ended. */
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
rs_get(struct runstats *rs, const char *tag, size_t len)
{
	struct rs_script *s;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strlen(rs->v[i].tag) == len &&
		    memcmp(rs->v[i].tag, tag, len) == 0)
			return &rs->v[i];
	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	s = &rs->v[rs->n++];
	memset(s, 0, sizeof *s);
	s->tag = xstrndup(tag, len);
	s->last_start = s->fail_start = -1;
	return s;
}

static void
rs_start(struct rs_script *s, long pid, time_t t)
{
	if (s->nopen == RS_OPEN_MAX) {	/* the oldest never ended */
		memmove(s->open, s->open + 1, (RS_OPEN_MAX - 1) *
		    sizeof *s->open);
		s->nopen--;
	}
	s->open = xreallocarray(s->open, s->nopen + 1, sizeof *s->open);
	s->open[s->nopen++] = (struct rs_open){ pid, t };
}

/* The START time of the run of pid that just ended, or -1. */
static time_t
rs_end_start(struct rs_script *s, long pid)
{
	size_t	i;
	time_t	t;

	for (i = s->nopen; i-- > 0;)
		if (s->open[i].pid == pid) {
			t = s->open[i].t;
			memmove(s->open + i, s->open + i + 1,
			    (s->nopen - i - 1) * sizeof *s->open);
			s->nopen--;
			return t;
		}
	return -1;
}

static void
rs_end(struct rs_script *s, const struct runlog_line *l, time_t start)
{
	if (s->ndur == s->capdur) {
		s->capdur = s->capdur ? s->capdur * 2 : 16;
		s->dur = xreallocarray(s->dur, s->capdur, sizeof *s->dur);
	}
	s->dur[s->ndur++] = l->duration;
	s->runs++;
	s->total += l->duration;
	if (start >= s->last_start) {
		s->last_start = start;
		s->last_exit = l->exit;
		s->last_sig = l->sig;
	}
	if (l->exit != 0) {
		s->failures++;
		if (start >= s->fail_start) {
			s->fail_start = start;
			s->fail_exit = l->exit;
			s->fail_sig = l->sig;
		}
	}
}

/* One line of a log, in time order; lines run did not write are ignored. */
void
rs_line(struct runstats *rs, const char *p, size_t len)
{
	struct runlog_line	 l;
	struct rs_script	*s;
	time_t			 start;

	if (runlog_parse(p, len, &l) != 0 || l.kind == RL_OTHER ||
	    !rs_wanted(rs, l.tag, l.taglen))
		return;
	rs->lines++;
	s = rs_get(rs, l.tag, l.taglen);
	if (l.kind == RL_START) {
		rs_start(s, l.pid, l.t);
		return;
	}
	if ((start = rs_end_start(s, l.pid)) == -1)
		start = l.t - (time_t)(l.duration + 0.5);
	if (lt_window_has(&rs->w, start))
		rs_end(s, &l, start);
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
	size_t i;

	for (i = 0; i < rs->nonly; i++)
		(void)rs_get(rs, rs->only[i], strlen(rs->only[i]));
	for (i = 0; i < rs->n; i++)
		if (rs->v[i].ndur > 1)
			qsort(rs->v[i].dur, rs->v[i].ndur, sizeof *rs->v[i].dur,
			    rs_cmp_dbl);
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
