/*
 * Unit tests of gen.c (generation names, numbered and dated, as logrotate
 * and evmaint write them) and clock.c (the run's clock in local time, with
 * TZ=Europe/Paris across both 2026 DST changes: a day is a date, not 86400 s).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "evmaint.h"
#include "gen.h"

/* Instants in Europe/Paris, from date(1). */
#define T_NOV25_020001		1795568401	/* 2026-11-25 02:00:01 CET */
#define T_JUL01_120000		1782900000	/* 2026-07-01 12:00:00 CEST */
#define T_MAR29_000000		1774738800	/* 23-hour day starts */
#define T_MAR29_015959		1774745999	/* last second of CET */
#define T_MAR30_000000		1774821600
#define T_OCT25_000000		1792879200	/* 25-hour day starts */
#define T_OCT25_025959_CEST	1792889999	/* last second of CEST */
#define T_OCT26_000000		1792969200

static void	 set_tz(const char *);
static void	 set_now(const char *);
static char	*iso(time_t);

static void
set_tz(const char *tz)
{
	assert_int_equal(setenv("TZ", tz, 1), 0);
	tzset();
}

static void
set_now(const char *v)
{
	if (v == NULL)
		assert_int_equal(unsetenv("EVMAINT_NOW"), 0);
	else
		assert_int_equal(setenv("EVMAINT_NOW", v, 1), 0);
}

/* clock_iso8601 into a static buffer. */
static char *
iso(time_t t)
{
	static char buf[64];

	memset(buf, 'X', sizeof buf);
	clock_iso8601(t, buf, sizeof buf);
	return buf;
}

static int
setup(void **state)
{
	set_tz("Europe/Paris");
	set_now(NULL);
	return 0;
}

static int
teardown(void **state)
{
	set_now(NULL);
	set_tz("Europe/Paris");
	return 0;
}

/* ------------------------------------------------------------ gen.c */

static void
test_gen_parse_numbered(void **state)
{
	static const struct {
		const char	*name;
		size_t		 baselen;
		int		 num;
		bool		 gz;
	} ok[] = {
		{ "deploy.log.1", 10, 1, false },
		{ "deploy.log.1.gz", 10, 1, true },
		{ "deploy.log.7.gz", 10, 7, true },
		{ "deploy.log.10", 10, 10, false },
		{ "deploy.log.99999.gz", 10, 99999, true },
		{ "error.log.3", 9, 3, false },
		{ "x.3", 1, 3, false },
		{ "a.log.2026.gz", 5, 2026, true },
	};
	static const char *bad[] = {
		"deploy.log", "deploy.log.gz", "deploy.log.0", "deploy.log.0.gz",
		"deploy.log.01", "deploy.log.007.gz", "deploy.log.100000",
		"deploy.log.123456.gz", "deploy.log.", "deploy.log..gz", ".3",
		".3.gz", "3", "deploy.log.1.gz.gz", "deploy.log.1a",
		"deploy.log.-1", "deploy.log.+1", "deploy.log.1.bz2",
		"deploy.log.1.GZ", "deploy.log.1 ", "", ".gz", "deploy.log_1",
	};
	struct gen_name	g;
	size_t		i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (!gen_parse(ok[i].name, &g))
			fail_msg("\"%s\" not parsed", ok[i].name);
		assert_int_equal(g.form, GEN_NUM);
		assert_int_equal(g.baselen, ok[i].baselen);
		assert_int_equal(g.num, ok[i].num);
		assert_int_equal(g.gz, ok[i].gz);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&g, 0x55, sizeof g);
		if (gen_parse(bad[i], &g))
			fail_msg("\"%s\" parsed as a generation (form %d, num "
			    "%d, base %zu)", bad[i], g.form, g.num, g.baselen);
		/* and g is left clean */
		assert_int_equal(g.baselen, 0);
		assert_int_equal(g.num, 0);
		assert_false(g.gz);
	}
}

static void
test_gen_parse_dated(void **state)
{
	static const struct {
		const char	*name;
		size_t		 baselen;
		const char	*tag;
		bool		 gz;
	} ok[] = {
		{ "deploy.log-20261118", 10, "20261118", false },
		{ "deploy.log-20261118.gz", 10, "20261118", true },
		{ "deploy.log-20261118_143000", 10, "20261118_143000", false },
		{ "deploy.log-20261118_143000.gz", 10, "20261118_143000", true },
		{ "deploy.log-20261231_235960.gz", 10, "20261231_235960", true },
		{ "a-b.log-20260101", 7, "20260101", false },
		{ "x-20260229", 1, "20260229", false },	/* by shape only */
	};
	static const char *bad[] = {
		"deploy.log-2026111", "deploy.log-202611180", "deploy.log-20261318",
		"deploy.log-20260018", "deploy.log-20261100", "deploy.log-20261132",
		"deploy.log-20261118_243000", "deploy.log-20261118_146000",
		"deploy.log-20261118_143062", "deploy.log-20261118_1430",
		"deploy.log-20261118-143000", "deploy.log_20261118",
		"deploy.log.20261118", "deploy.log-2026111a", "-20261118",
		"deploy.log-20261118_14300a.gz", "deploy.log-20261118.bz2",
	};
	struct gen_name	g;
	size_t		i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (!gen_parse(ok[i].name, &g))
			fail_msg("\"%s\" not parsed", ok[i].name);
		assert_int_equal(g.form, GEN_DATE);
		assert_int_equal(g.baselen, ok[i].baselen);
		assert_string_equal(g.tag, ok[i].tag);
		assert_int_equal(g.gz, ok[i].gz);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (gen_parse(bad[i], &g))
			fail_msg("\"%s\" parsed as a generation (form %d, tag "
			    "%s)", bad[i], g.form, g.tag);
}

static void
test_gen_names(void **state)
{
	struct gen_name	 g;
	char		*s;
	int		 n;

	s = gen_name_num("deploy.log", 3, true);
	assert_string_equal(s, "deploy.log.3.gz");
	free(s);
	s = gen_name_num("deploy.log", 1, false);
	assert_string_equal(s, "deploy.log.1");
	free(s);
	s = gen_name_date("deploy.log", "20261118", true);
	assert_string_equal(s, "deploy.log-20261118.gz");
	free(s);
	s = gen_name_date("deploy.log", "20261118_143000", false);
	assert_string_equal(s, "deploy.log-20261118_143000");
	free(s);

	/* What is written parses back to the same thing. */
	for (n = 1; n <= GEN_NUM_MAX; n = n * 3 + 1) {
		s = gen_name_num("error.log", n, n % 2);
		assert_true(gen_parse(s, &g));
		assert_int_equal(g.form, GEN_NUM);
		assert_int_equal(g.num, n);
		assert_int_equal(g.gz, n % 2);
		assert_int_equal(g.baselen, strlen("error.log"));
		free(s);
	}
	s = gen_name_num("error.log", GEN_NUM_MAX, true);
	assert_true(gen_parse(s, &g));
	assert_int_equal(g.num, GEN_NUM_MAX);
	free(s);
	s = gen_name_date("a.log", "20261125_020001", true);
	assert_true(gen_parse(s, &g));
	assert_int_equal(g.form, GEN_DATE);
	assert_string_equal(g.tag, "20261125_020001");
	assert_int_equal(g.baselen, 5);
	free(s);
}

/*
 * The contract: a later same-day generation sorts after the day's first
 * ('.' < '_'), so names sort in time order, compressed or not.
 */
static void
test_gen_date_order(void **state)
{
	static const char *tags[] = { "20261117", "20261117_235959",
	    "20261118", "20261118_000001", "20261118_143000", "20261118_143001",
	    "20261119" };
	char	*a, *b;
	size_t	 i;
	int	 gz;

	for (gz = 0; gz < 2; gz++)
		for (i = 0; i + 1 < sizeof tags / sizeof tags[0]; i++) {
			a = gen_name_date("deploy.log", tags[i], gz);
			b = gen_name_date("deploy.log", tags[i + 1], gz);
			if (strcmp(a, b) >= 0)
				fail_msg("\"%s\" does not sort before \"%s\"",
				    a, b);
			free(a);
			free(b);
		}
}

static void
test_gen_tags(void **state)
{
	static const char *valid[] = { "20261118", "20261118_143000",
	    "20260101_000000", "20261231_235960", "19700101",
	    "20261025_023000_01", "20261025_023000_99" };
	static const char *invalid[] = { "", "2026111", "202611180",
	    "20261318", "20260018", "20261100", "20261132", "2026111a",
	    "20261118_", "20261118_14300", "20261118_1430000", "20261118-143000",
	    "20261118_240000", "20261118_236000", "20261118_235962",
	    "20261118_14300a", "2026-11-18", "20261025_023000_00",
	    "20261025_023000_1", "20261025_023000_001", "20261025_023000-01",
	    "20261025_023000_0a", "20261025__01" };
	size_t i;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		if (!gen_tag_valid(valid[i]))
			fail_msg("\"%s\" refused", valid[i]);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		if (gen_tag_valid(invalid[i]))
			fail_msg("\"%s\" accepted", invalid[i]);
	assert_int_equal(gen_tag_day("20261118"), 20261118);
	assert_int_equal(gen_tag_day("20261118_143000"), 20261118);
	assert_int_equal(gen_tag_day("20260101_000000"), 20260101);
}

static void
test_gen_is_log_name(void **state)
{
	assert_true(gen_is_log_name("deploy.log"));
	assert_true(gen_is_log_name("a.log"));
	assert_true(gen_is_log_name("..log"));
	assert_true(gen_is_log_name("x.log.log"));
	assert_false(gen_is_log_name(".log"));
	assert_false(gen_is_log_name("log"));
	assert_false(gen_is_log_name(""));
	assert_false(gen_is_log_name("deploy.log.1"));
	assert_false(gen_is_log_name("deploy.log.gz"));
	assert_false(gen_is_log_name("deploy.log-20261118"));
	assert_false(gen_is_log_name("deploy.LOG"));
	assert_false(gen_is_log_name("deploylog"));
}

/* ------------------------------------------------------------ clock.c */

static void
test_clock_now(void **state)
{
	time_t t0, t;

	set_now("@1795568401");
	assert_int_equal(clock_now(), T_NOV25_020001);
	set_now("@0");
	assert_int_equal(clock_now(), 0);
	set_now("2026-11-25 02:00:01");
	assert_int_equal(clock_now(), T_NOV25_020001);
	set_now("2026-07-01 12:00:00");		/* summer time */
	assert_int_equal(clock_now(), T_JUL01_120000);
	set_now("2026-03-29 01:59:59");
	assert_int_equal(clock_now(), T_MAR29_015959);

	/* Unset, empty or unreadable: the real clock. */
	{
		static const char *junk[] = { NULL, "", "@", "@12x", "@5 ",
		    "garbage", "2026-11-25", "2026-11-25 02:00:01 extra",
		    "25/11/2026 02:00:01" };
		size_t i;

		for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
			set_now(junk[i]);
			t0 = time(NULL);
			t = clock_now();
			if (t < t0 || t > time(NULL))
				fail_msg("EVMAINT_NOW=\"%s\": %lld is not the "
				    "real clock", junk[i] ? junk[i] : "(unset)",
				    (long long)t);
		}
	}

	/* TZ decides what a local time means. */
	set_tz("UTC");
	set_now("2026-11-25 02:00:01");
	assert_int_equal(clock_now(), T_NOV25_020001 + 3600);
	set_tz("Europe/Paris");

	/* An hour that happens twice: one of the two instants. */
	set_now("2026-10-25 02:30:00");
	t = clock_now();
	assert_true(t == T_OCT25_025959_CEST - 1799 ||	/* 02:30 CEST */
	    t == T_OCT25_025959_CEST + 1 + 1800);	/* 02:30 CET */
	/* An hour that does not exist: a time next to it, never -1. */
	set_now("2026-03-29 02:30:00");
	t = clock_now();
	assert_true(t == T_MAR29_015959 + 1 + 1800 ||	/* 03:30 CEST */
	    t == T_MAR29_015959 + 1 - 1800);		/* 01:30 CET */
}

static void
test_clock_day(void **state)
{
	assert_int_equal(clock_day(T_NOV25_020001), 20261125);
	assert_int_equal(clock_day(T_JUL01_120000), 20260701);
	/* local midnight, not UTC midnight */
	assert_int_equal(clock_day(T_NOV25_020001 - 2 * 3600), 20261125);
	assert_int_equal(clock_day(T_NOV25_020001 - 2 * 3600 - 2), 20261124);

	/* 29 March 2026 has 23 hours. */
	assert_int_equal(clock_day(T_MAR29_000000 - 1), 20260328);
	assert_int_equal(clock_day(T_MAR29_000000), 20260329);
	assert_int_equal(clock_day(T_MAR30_000000 - 1), 20260329);
	assert_int_equal(clock_day(T_MAR30_000000), 20260330);
	assert_int_equal(T_MAR30_000000 - T_MAR29_000000, 23 * 3600);
	assert_int_equal(clock_day(T_MAR29_000000 + 86400 - 1), 20260330);

	/* 25 October 2026 has 25 hours. */
	assert_int_equal(clock_day(T_OCT25_000000 - 1), 20261024);
	assert_int_equal(clock_day(T_OCT25_000000), 20261025);
	assert_int_equal(clock_day(T_OCT25_000000 + 86400), 20261025);
	assert_int_equal(clock_day(T_OCT26_000000 - 1), 20261025);
	assert_int_equal(clock_day(T_OCT26_000000), 20261026);
	assert_int_equal(T_OCT26_000000 - T_OCT25_000000, 25 * 3600);

	set_tz("UTC");
	assert_int_equal(clock_day(T_OCT25_000000), 20261024);
	set_tz("Europe/Paris");
}

static void
test_clock_iso8601(void **state)
{
	char buf[64];

	assert_string_equal(iso(T_NOV25_020001), "2026-11-25T02:00:01+01:00");
	assert_string_equal(iso(T_JUL01_120000), "2026-07-01T12:00:00+02:00");
	/* spring forward: 01:59:59+01:00 then 03:00:00+02:00 */
	assert_string_equal(iso(T_MAR29_015959), "2026-03-29T01:59:59+01:00");
	assert_string_equal(iso(T_MAR29_015959 + 1),
	    "2026-03-29T03:00:00+02:00");
	/* fall back: 02:59:59+02:00 then 02:00:00+01:00 */
	assert_string_equal(iso(T_OCT25_025959_CEST),
	    "2026-10-25T02:59:59+02:00");
	assert_string_equal(iso(T_OCT25_025959_CEST + 1),
	    "2026-10-25T02:00:00+01:00");
	assert_string_equal(iso(T_OCT25_025959_CEST - 3600 + 1),
	    "2026-10-25T02:00:00+02:00");

	set_tz("UTC");
	assert_string_equal(iso(T_NOV25_020001), "2026-11-25T01:00:01+00:00");
	set_tz("Asia/Kolkata");
	assert_string_equal(iso(T_NOV25_020001), "2026-11-25T06:30:01+05:30");
	set_tz("America/New_York");
	assert_string_equal(iso(T_NOV25_020001), "2026-11-24T20:00:01-05:00");
	set_tz("America/St_Johns");
	assert_string_equal(iso(T_NOV25_020001), "2026-11-24T21:30:01-03:30");
	set_tz("Europe/Paris");

	/* Exactly the room it needs: 25 characters and a NUL. */
	memset(buf, 'X', sizeof buf);
	clock_iso8601(T_NOV25_020001, buf, 26);
	assert_string_equal(buf, "2026-11-25T02:00:01+01:00");
	assert_int_equal(buf[26], 'X');
}

static void
test_clock_stamp_tag(void **state)
{
	char buf[EVM_TAG_MAX], a[EVM_TAG_MAX], b[EVM_TAG_MAX];

	clock_stamp(T_NOV25_020001, buf, sizeof buf);
	assert_string_equal(buf, "20261125T020001");
	clock_stamp(T_JUL01_120000, buf, sizeof buf);
	assert_string_equal(buf, "20260701T120000");

	clock_tag(T_NOV25_020001, true, buf, sizeof buf);
	assert_string_equal(buf, "20261125");
	assert_true(gen_tag_valid(buf));
	clock_tag(T_NOV25_020001, false, buf, sizeof buf);
	assert_string_equal(buf, "20261125_020001");
	assert_true(gen_tag_valid(buf));
	assert_int_equal(gen_tag_day(buf), clock_day(T_NOV25_020001));

	/* The tag is the local day, also in the first hours after midnight. */
	clock_tag(T_MAR29_000000, true, buf, sizeof buf);
	assert_string_equal(buf, "20260329");
	clock_tag(T_MAR29_015959 + 1, false, buf, sizeof buf);
	assert_string_equal(buf, "20260329_030000");

	/* A later rotation the same day sorts after the day's first. */
	clock_tag(T_NOV25_020001, true, a, sizeof a);
	clock_tag(T_NOV25_020001 + 12 * 3600, false, b, sizeof b);
	assert_string_equal(b, "20261125_140001");
	assert_true(strcmp(a, b) < 0);
	clock_tag(T_NOV25_020001 + 22 * 3600, true, b, sizeof b);
	assert_string_equal(b, "20261126");
}

static void
test_clock_parse_stamp(void **state)
{
	static const time_t round[] = { T_NOV25_020001, T_JUL01_120000,
	    T_MAR29_000000, T_MAR29_015959, T_MAR29_015959 + 1, T_OCT25_000000,
	    T_OCT26_000000, 0, 86400 * 365 };
	static const char *bad[] = { "", "20261125", "20261125T", "20261125T0200",
	    "2026112T020001", "20261325T020001", "20261100T020001",
	    "20261125T250001", "20261125T026001", "20261125 020001",
	    "20261125t020001", "20261125_020001", "x20261125T020001",
	    "garbage" };
	char	buf[EVM_TAG_MAX];
	time_t	t;
	size_t	i;

	assert_int_equal(clock_parse_stamp("20261125T020001", &t), 0);
	assert_int_equal(t, T_NOV25_020001);
	/* an archive name's stamp is followed by more of the name */
	assert_int_equal(clock_parse_stamp("20261125T020001.1.tar.gz", &t), 0);
	assert_int_equal(t, T_NOV25_020001);

	for (i = 0; i < sizeof round / sizeof round[0]; i++) {
		clock_stamp(round[i], buf, sizeof buf);
		assert_int_equal(clock_parse_stamp(buf, &t), 0);
		if (t != round[i])
			fail_msg("%s parsed as %lld, expected %lld", buf,
			    (long long)t, (long long)round[i]);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (clock_parse_stamp(bad[i], &t) != -1)
			fail_msg("\"%s\" parsed as %lld", bad[i], (long long)t);

	/* Local time: the same stamp is another instant in another zone. */
	set_tz("UTC");
	assert_int_equal(clock_parse_stamp("20261125T020001", &t), 0);
	assert_int_equal(t, T_NOV25_020001 + 3600);
	set_tz("Europe/Paris");

	/* The repeated hour: one of its two instants; the skipped: a neighbour */
	assert_int_equal(clock_parse_stamp("20261025T023000", &t), 0);
	assert_true(t == T_OCT25_025959_CEST - 1799 ||
	    t == T_OCT25_025959_CEST + 1 + 1800);
	assert_int_equal(clock_parse_stamp("20260329T023000", &t), 0);
	assert_true(t == T_MAR29_015959 + 1 + 1800 ||
	    t == T_MAR29_015959 + 1 - 1800);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gen_parse_numbered),
		cmocka_unit_test(test_gen_parse_dated),
		cmocka_unit_test(test_gen_names),
		cmocka_unit_test(test_gen_date_order),
		cmocka_unit_test(test_gen_tags),
		cmocka_unit_test(test_gen_is_log_name),
		cmocka_unit_test_setup_teardown(test_clock_now, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clock_iso8601, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clock_stamp_tag, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_clock_parse_stamp, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
