/*
 * Unit tests of logtime.c: TIME arguments of cat and report (a day as a
 * calendar date across DST, the last second of what --until names, offsets
 * back from now) and the leading timestamp of a log line, with and without
 * a zone, in TZ=Europe/Paris.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logtime.h"

/* Instants in Europe/Paris, from date(1). */
#define T_NOV04_000000	1793746800	/* 2026-11-04 00:00:00 CET */
#define T_NOV05_000000	1793833200
#define T_OCT25_000000	1792879200	/* the 25-hour day starts */
#define T_OCT26_000000	1792969200
#define T_NOV25_020001	1795568401	/* 2026-11-25 02:00:01 CET */
#define T_MAR29_030000	1774746000	/* 2026-03-29 03:00 CEST: 02:00-02:59
					   never came */
#define T_OCT25_020000	1792886400	/* 2026-10-25 02:00 CEST, the first */
#define T_OCT25_023059	1792891859	/* 2026-10-25 02:30:59 CET, the second */

static int
setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	return 0;
}

static void
test_day_bounds(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(lt_parse_time("2026-11-04", 0, false, &t), 0);
	assert_int_equal(t, T_NOV04_000000);
	assert_int_equal(lt_parse_time("2026-11-04", 0, true, &t), 0);
	assert_int_equal(t, T_NOV05_000000 - 1);
	/* the DST day has 25 hours, and --until covers all of them */
	assert_int_equal(lt_parse_time("2026-10-25", 0, true, &t), 0);
	assert_int_equal(t, T_OCT26_000000 - 1);
	assert_int_equal(lt_parse_time("2026-10-25", 0, false, &t), 0);
	assert_int_equal(t, T_OCT25_000000);
}

static void
test_minute_second(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(lt_parse_time("2026-11-25T02:00", 0, false, &t), 0);
	assert_int_equal(t, T_NOV25_020001 - 1);
	assert_int_equal(lt_parse_time("2026-11-25T02:00", 0, true, &t), 0);
	assert_int_equal(t, T_NOV25_020001 + 58);
	assert_int_equal(lt_parse_time("2026-11-25T02:00:01", 0, true, &t), 0);
	assert_int_equal(t, T_NOV25_020001);
	assert_int_equal(lt_parse_time("2026-11-25 02:00:01", 0, false, &t), 0);
	assert_int_equal(t, T_NOV25_020001);
}

/*
 * A bound in the hour DST skips is the moment the clock jumped; one in the
 * hour it repeats takes both of its hours in (the first for --since, the
 * second for --until), where mktime alone moves either an hour away.
 */
static void
test_dst_bounds(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(lt_parse_time("2026-03-29T02:30", 0, false, &t), 0);
	assert_int_equal(t, T_MAR29_030000);
	assert_int_equal(lt_parse_time("2026-03-29T02:30", 0, true, &t), 0);
	assert_int_equal(t, T_MAR29_030000 - 1);
	assert_int_equal(lt_parse_time("2026-03-29T02:00:00", 0, false, &t), 0);
	assert_int_equal(t, T_MAR29_030000);
	assert_int_equal(lt_parse_time("2026-03-29T03:00", 0, false, &t), 0);
	assert_int_equal(t, T_MAR29_030000);
	assert_int_equal(lt_parse_time("2026-10-25T02:00", 0, false, &t), 0);
	assert_int_equal(t, T_OCT25_020000);
	assert_int_equal(lt_parse_time("2026-10-25T02:30", 0, true, &t), 0);
	assert_int_equal(t, T_OCT25_023059);
	assert_int_equal(lt_parse_time("2026-10-25T02:30:59", 0, true, &t), 0);
	assert_int_equal(t, T_OCT25_023059);
}

static void
test_relative(void **state)
{
	time_t t;

	(void)state;
	assert_int_equal(lt_parse_time("-30m", T_NOV25_020001, false, &t), 0);
	assert_int_equal(t, T_NOV25_020001 - 1800);
	assert_int_equal(lt_parse_time("-12h", T_NOV25_020001, false, &t), 0);
	assert_int_equal(t, T_NOV25_020001 - 43200);
	/* seven calendar days back crosses no DST change here ... */
	assert_int_equal(lt_parse_time("-7d", T_NOV25_020001, false, &t), 0);
	assert_int_equal(t, T_NOV25_020001 - 7 * 86400);
	/* ... and one day back from Oct 26 00:00 is Oct 25 00:00, 25 h ago */
	assert_int_equal(lt_parse_time("-1d", T_OCT26_000000, false, &t), 0);
	assert_int_equal(t, T_OCT25_000000);
}

static void
test_bad_times(void **state)
{
	static const char *bad[] = {
		"", "yesterday", "2026-13-01", "2026-02-31", "2026-11-4",
		"2026-11-04T25:00", "2026-11-04T10", "2026-11-04T10:00:00Z",
		"-", "-5", "-5x", "-m", "--5d", "2026-11-04 junk",
	};
	size_t	i;
	time_t	t;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (lt_parse_time(bad[i], 0, false, &t) != -1)
			fail_msg("'%s' was accepted as a time", bad[i]);
}

static void
test_window(void **state)
{
	struct lt_window	 w;
	const char		*bad = NULL;

	(void)state;
	assert_int_equal(lt_window_set(&w, "2026-11-04", "2026-11-04", 0,
	    &bad), 0);
	assert_false(lt_window_has(&w, T_NOV04_000000 - 1));
	assert_true(lt_window_has(&w, T_NOV04_000000));
	assert_true(lt_window_has(&w, T_NOV05_000000 - 1));
	assert_false(lt_window_has(&w, T_NOV05_000000));
	assert_true(lt_window_overlaps(&w, 0, T_NOV04_000000));
	assert_false(lt_window_overlaps(&w, 0, T_NOV04_000000 - 1));
	assert_false(lt_window_overlaps(&w, T_NOV05_000000, -1));
	assert_true(lt_window_overlaps(&w, -1, -1));
	assert_int_equal(lt_window_set(&w, NULL, "nope", 0, &bad), -1);
	assert_string_equal(bad, "nope");
}

static void
test_line_time(void **state)
{
	static const char *same[] = {
		"2026-11-25T02:00:01+01:00 deploy[4242]: START deploy.sh",
		"2026-11-25T02:00:01.250+01:00 x",
		"2026-11-25T01:00:01Z x",
		"2026-11-25T02:00:01+0100 x",
		"2026-11-25T02:00:01 x",	/* local */
		"2026-11-25 02:00:01 x",
		"2026-11-24T20:00:01-05:00",
	};
	size_t	i;
	time_t	t;

	(void)state;
	for (i = 0; i < sizeof same / sizeof same[0]; i++) {
		t = 0;
		if (lt_line_time(same[i], strlen(same[i]), &t) != 0)
			fail_msg("no time found in '%s'", same[i]);
		if (t != T_NOV25_020001)
			fail_msg("'%s' read as %lld", same[i], (long long)t);
	}
	assert_int_equal(lt_line_time("  continued", 11, &t), -1);
	assert_int_equal(lt_line_time("2026-11-25T02:00", 16, &t), -1);
	assert_int_equal(lt_line_time("2026-11-25T02:0x:01 y", 21, &t), -1);
	/* the length bounds the read: a timestamp cut short is none */
	assert_int_equal(lt_line_time("2026-11-25T02:00:01", 18, &t), -1);
}

static void
test_lt_day_bounds(void **state)
{
	time_t a, b;

	(void)state;
	assert_int_equal(lt_day_bounds(20261025, &a, &b), 0);
	assert_int_equal(a, T_OCT25_000000);
	assert_int_equal(b, T_OCT26_000000 - 1);
	assert_int_equal(lt_day_bounds(20261399, &a, &b), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_day_bounds),
		cmocka_unit_test(test_minute_second),
		cmocka_unit_test(test_dst_bounds),
		cmocka_unit_test(test_relative),
		cmocka_unit_test(test_bad_times),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_line_time),
		cmocka_unit_test(test_lt_day_bounds),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
