/*
 * Times as people and log lines write them. A TIME argument is a local date
 * (YYYY-MM-DD), a local minute or second (YYYY-MM-DDTHH:MM[:SS]), or an
 * offset back from now (-30m, -12h, -7d); as an upper bound it stands for
 * the last second of what it names, so "--until 2026-11-04" keeps the whole
 * day. Days are calendar days (mktime), never 86400 seconds, for DST.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logtime.h"

static int	lt_digits(const char *, int, int *);
static int	lt_relative(const char *, time_t, time_t *);
static void	lt_tm(struct tm *, int, int, int, int, int, int);
static time_t	lt_local(int, int, int, int, int, int);
static bool	lt_real_date(int, int, int);
static time_t	lt_bound(int, int, int, int, int, int, bool);

/* N decimal digits at s, or -1. */
static int
lt_digits(const char *s, int n, int *out)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* A struct tm from the fields as written (1-based month, full year). */
static void
lt_tm(struct tm *tm, int y, int mo, int d, int h, int mi, int s)
{
	memset(tm, 0, sizeof *tm);
	tm->tm_year = y - 1900;
	tm->tm_mon = mo - 1;
	tm->tm_mday = d;
	tm->tm_hour = h;
	tm->tm_min = mi;
	tm->tm_sec = s;
}

/* A local time from its fields, normalised by mktime; -1 if it has none. */
static time_t
lt_local(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	lt_tm(&tm, y, mo, d, h, mi, s);
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* A local wall clock as a number that orders as the clock does. */
static time_t
lt_wall_key(const struct tm *tm)
{
	struct tm c = *tm;

	return timegm(&c);
}

/*
 * The instant a bound written as a local time stands for, where daylight
 * saving time makes it more or fewer than one: as a lower bound the first
 * instant whose wall clock is at or after it, as an upper bound the last
 * at or before it. So a time that comes twice (the hour repeated in
 * autumn) keeps both of its hours inside the window, and one that never
 * comes (the hour skipped in spring) is the moment the clock jumped.
 * mktime's normalisation would instead move either an hour away.
 */
static time_t
lt_bound(int y, int mo, int d, int h, int mi, int s, bool upper)
{
	struct tm	 want, tm;
	time_t		 c[2], lo, hi, mid, key, best = (time_t)-1;
	int		 i;

	lt_tm(&want, y, mo, d, h, mi, s);
	key = lt_wall_key(&want);
	for (i = 0; i < 2; i++) {
		lt_tm(&tm, y, mo, d, h, mi, s);
		tm.tm_isdst = i;
		c[i] = mktime(&tm);
		if (c[i] == (time_t)-1 || localtime_r(&c[i], &tm) == NULL)
			return (time_t)-1;
		if (lt_wall_key(&tm) == key && (best == (time_t)-1 ||
		    (upper ? c[i] > best : c[i] < best)))
			best = c[i];
	}
	if (best != (time_t)-1)
		return best;
	/* skipped: the first instant past it, between the two readings */
	lo = c[0] < c[1] ? c[0] : c[1];
	hi = c[0] < c[1] ? c[1] : c[0];
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (localtime_r(&mid, &tm) == NULL)
			return (time_t)-1;
		if (lt_wall_key(&tm) >= key)
			hi = mid;
		else
			lo = mid + 1;
	}
	return upper ? lo - 1 : lo;
}

/* Whether the date exists: mktime would move 2026-02-31 to March 3rd. */
static bool
lt_real_date(int y, int mo, int d)
{
	struct tm	tm;
	time_t		noon = lt_local(y, mo, d, 12, 0, 0);

	if (noon == (time_t)-1)
		return false;
	localtime_r(&noon, &tm);
	return tm.tm_mday == d && tm.tm_mon == mo - 1;
}

/* "-30m", "-12h", "-7d" (also "s" and "w"): back from now. */
static int
lt_relative(const char *s, time_t now, time_t *out)
{
	struct tm	 tm;
	char		*end;
	long		 n;

	errno = 0;
	n = strtol(s + 1, &end, 10);
	if (end == s + 1 || errno != 0 || n < 0 || n > 100000 ||
	    end[0] == '\0' || end[1] != '\0')
		return -1;
	switch (*end) {
	case 's':
		*out = now - n;
		return 0;
	case 'm':
		*out = now - n * 60;
		return 0;
	case 'h':
		*out = now - n * 3600;
		return 0;
	case 'w':
		n *= 7;
		/* FALLTHROUGH */
	case 'd':
		/* calendar days: the same wall-clock time n days back */
		localtime_r(&now, &tm);
		tm.tm_mday -= (int)n;
		tm.tm_isdst = -1;
		*out = mktime(&tm);
		return *out == (time_t)-1 ? -1 : 0;
	}
	return -1;
}

/*
 * Parses TIME relative to now. With end set, the result is the last second
 * of the period the text names (a day, a minute, a second). 0 or -1.
 */
int
lt_parse_time(const char *s, time_t now, bool end, time_t *out)
{
	int	y, mo, d, h = 0, mi = 0, sec = 0, prec;
	size_t	len = strlen(s);
	time_t	t;

	if (s[0] == '-')
		return lt_relative(s, now, out);
	if (len < 10 || lt_digits(s, 4, &y) != 0 || s[4] != '-' ||
	    lt_digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    lt_digits(s + 8, 2, &d) != 0)
		return -1;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	prec = 0;			/* 0 day, 1 minute, 2 second */
	if (len == 16 || len == 19) {
		if ((s[10] != 'T' && s[10] != ' ') ||
		    lt_digits(s + 11, 2, &h) != 0 || s[13] != ':' ||
		    lt_digits(s + 14, 2, &mi) != 0 || h > 23 || mi > 59)
			return -1;
		prec = 1;
		if (len == 19) {
			if (s[16] != ':' || lt_digits(s + 17, 2, &sec) != 0 ||
			    sec > 60)
				return -1;
			prec = 2;
		}
	} else if (len != 10)
		return -1;

	if (end && prec == 0) {
		h = 23;
		mi = 59;
	}
	if (end && prec < 2)
		sec = 59;
	if ((t = lt_bound(y, mo, d, h, mi, sec, end)) == (time_t)-1)
		return -1;
	*out = t;
	return lt_real_date(y, mo, d) ? 0 : -1;
}

/*
 * The window of --since and --until (either may be NULL). 0, or -1 with
 * *bad pointing at the argument at fault.
 */
int
lt_window_set(struct lt_window *w, const char *since, const char *until,
    time_t now, const char **bad)
{
	memset(w, 0, sizeof *w);
	if (since != NULL) {
		if (lt_parse_time(since, now, false, &w->since) != 0) {
			*bad = since;
			return -1;
		}
		w->has_since = true;
	}
	if (until != NULL) {
		if (lt_parse_time(until, now, true, &w->until) != 0) {
			*bad = until;
			return -1;
		}
		w->has_until = true;
	}
	return 0;
}

bool
lt_window_has(const struct lt_window *w, time_t t)
{
	return (!w->has_since || t >= w->since) &&
	    (!w->has_until || t <= w->until);
}

/* Whether [from, to] meets the window (either end may be unknown: -1). */
bool
lt_window_overlaps(const struct lt_window *w, time_t from, time_t to)
{
	if (w->has_since && to != (time_t)-1 && to < w->since)
		return false;
	if (w->has_until && from != (time_t)-1 && from > w->until)
		return false;
	return true;
}

/*
 * The time of a log line's leading "YYYY-MM-DDTHH:MM:SS" with optional
 * fraction and zone ("Z", "+01:00", "+0100"); without a zone, local time.
 * 0, or -1 when the line does not start with one.
 */
int
lt_line_time(const char *p, size_t len, time_t *out)
{
	int		 y, mo, d, h, mi, s, zh, zm, sign;
	size_t		 i = 19;
	struct tm	 tm;
	time_t		 t;

	if (len < 19 || lt_digits(p, 4, &y) != 0 || p[4] != '-' ||
	    lt_digits(p + 5, 2, &mo) != 0 || p[7] != '-' ||
	    lt_digits(p + 8, 2, &d) != 0 || (p[10] != 'T' && p[10] != ' ') ||
	    lt_digits(p + 11, 2, &h) != 0 || p[13] != ':' ||
	    lt_digits(p + 14, 2, &mi) != 0 || p[16] != ':' ||
	    lt_digits(p + 17, 2, &s) != 0)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    s > 60)
		return -1;
	if (i < len && (p[i] == '.' || p[i] == ','))
		for (i++; i < len && isdigit((unsigned char)p[i]); i++)
			;
	zh = zm = 0;
	if (i < len && p[i] == 'Z')
		sign = 1;
	else if (i + 3 <= len && (p[i] == '+' || p[i] == '-') &&
	    lt_digits(p + i + 1, 2, &zh) == 0) {
		sign = p[i] == '-' ? -1 : 1;
		if (i + 6 <= len && p[i + 3] == ':')
			(void)lt_digits(p + i + 4, 2, &zm);
		else if (i + 5 <= len)
			(void)lt_digits(p + i + 3, 2, &zm);
	} else {
		/* no zone: the writer's local time, which is ours */
		t = lt_local(y, mo, d, h, mi, s);
		if (t == (time_t)-1)
			return -1;
		*out = t;
		return 0;
	}
	lt_tm(&tm, y, mo, d, h, mi, s);
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	t -= sign * (zh * 3600 + zm * 60);
	*out = t;
	return 0;
}

/*
 * The first and last second of local day YYYYMMDD (a generation's or an
 * archive member's day), for skipping what a window cannot use. 0 or -1.
 */
int
lt_day_bounds(int day, time_t *first, time_t *last)
{
	int	y = day / 10000, mo = day / 100 % 100, d = day % 100;
	time_t	a, b;

	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	a = lt_local(y, mo, d, 0, 0, 0);
	b = lt_local(y, mo, d + 1, 0, 0, 0);
	if (a == (time_t)-1 || b == (time_t)-1)
		return -1;
	*first = a;
	*last = b - 1;
	return 0;
}
