/*
 * The run's clock. "Daily" means the local calendar day, so everything here
 * goes through localtime_r and mktime, never arithmetic on 86400 seconds.
 * EVMAINT_NOW overrides the clock for tests ("@EPOCH" or "YYYY-MM-DD HH:MM:SS").
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evmaint.h"

static int clock_parse_local(const char *, time_t *);

time_t
clock_now(void)
{
	const char	*s = getenv("EVMAINT_NOW");
	time_t		 t;

	if (s != NULL && *s != '\0') {
		if (s[0] == '@') {
			char *end;
			long long v = strtoll(s + 1, &end, 10);
			if (*end == '\0' && end != s + 1)
				return (time_t)v;
		} else if (clock_parse_local(s, &t) == 0)
			return t;
	}
	return time(NULL);
}

static int
clock_parse_local(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}

int
clock_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}

void
clock_iso8601(time_t t, char *buf, size_t len)
{
	struct tm	tm;
	char		zone[8];
	size_t		n;

	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);	/* +0100 -> +01:00 */
	if (strlen(zone) == 5)
		snprintf(buf + n, len - n, "%.3s:%s", zone, zone + 3);
}

void
clock_stamp(time_t t, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%dT%H%M%S", &tm);
}

void
clock_tag(time_t t, bool first_of_day, char *buf, size_t len)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, first_of_day ? "%Y%m%d" : "%Y%m%d_%H%M%S", &tm);
}

/* Parses "20261125T020001" (an archive name's stamp) as local time. */
int
clock_parse_stamp(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y%m%dT%H%M%S", &tm);
	if (end == NULL || end - s != 15)
		return -1;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return *out == (time_t)-1 ? -1 : 0;
}
