/*
 * Times as people and log lines write them: the TIME of --since/--until
 * (cat, report) and the leading ISO 8601 timestamp of a log line.
 */
#ifndef LOGTIME_H
#define LOGTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* A window of time; a bound that was not given is open. */
struct lt_window {
	bool	has_since;
	bool	has_until;
	time_t	since;		/* lines at or after */
	time_t	until;		/* lines at or before (the last second kept) */
};

int	lt_parse_time(const char *, time_t, bool, time_t *);
int	lt_window_set(struct lt_window *, const char *, const char *, time_t,
	    const char **);
bool	lt_window_has(const struct lt_window *, time_t);
bool	lt_window_overlaps(const struct lt_window *, time_t, time_t);
int	lt_line_time(const char *, size_t, time_t *);
int	lt_day_bounds(int, time_t *, time_t *);

#endif
