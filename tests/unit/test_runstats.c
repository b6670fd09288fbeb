/*
 * Unit tests of runlog.c and runstats.c: the lines `run` writes read back
 * (and the script's own lines that only look like them refused), the log
 * and tag a --log argument or a command names, and the sums report prints:
 * pairing of START and END, the median and nearest-rank 95th percentile,
 * the window by START time.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "runlog.h"
#include "runstats.h"

#define T_NOV25_020001	1795568401	/* 2026-11-25 02:00:01 CET */

static int
setup_tz(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	return 0;
}

static int
parse(const char *s, struct runlog_line *l)
{
	return runlog_parse(s, strlen(s), l);
}

static void
test_parse(void **state)
{
	struct runlog_line l;

	(void)state;
	assert_int_equal(parse("2026-11-25T02:00:01+01:00 deploy[4242]: "
	    "START deploy.sh --prod\n", &l), 0);
	assert_int_equal(l.kind, RL_START);
	assert_int_equal(l.t, T_NOV25_020001);
	assert_int_equal(l.taglen, 6);
	assert_memory_equal(l.tag, "deploy", 6);
	assert_int_equal(l.pid, 4242);

	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242]: "
	    "END exit=3 duration=2.013s", &l), 0);
	assert_int_equal(l.kind, RL_END);
	assert_int_equal(l.exit, 3);
	assert_int_equal(l.sig, 0);
	assert_true(l.duration > 2.0125 && l.duration < 2.0135);

	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242]: "
	    "END signal=TERM duration=0.500s\n", &l), 0);
	assert_int_equal(l.kind, RL_END);
	assert_int_equal(l.sig, SIGTERM);
	assert_int_equal(l.exit, 128 + SIGTERM);

	/* the script's output, and lines run did not write */
	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242]: "
	    "END exit=0 duration=1.000s and then some", &l), 0);
	assert_int_equal(l.kind, RL_OTHER);
	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242]: "
	    "END signal=NOPE duration=1.000s", &l), 0);
	assert_int_equal(l.kind, RL_OTHER);
	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242]: "
	    "END exit=300 duration=1.000s", &l), 0);
	assert_int_equal(l.kind, RL_OTHER);
	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242]: "
	    "stderr: END exit=0 duration=1.000s", &l), 0);
	assert_int_equal(l.kind, RL_OTHER);
	assert_int_equal(parse("deploy[4242]: END exit=0 duration=1.000s",
	    &l), -1);
	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy 4242: x", &l),
	    -1);
	assert_int_equal(parse("2026-11-25T02:00:03+01:00 deploy[4242] x", &l),
	    -1);
}

static void
test_resolve(void **state)
{
	struct evm_config	*cfg = conf_new();
	struct conf_errors	 errs = { NULL, 0 };
	char			*rel, *tag, *why;

	(void)state;
	assert_int_equal(conf_load_string(cfg,
	    "logs = ops/deploy-prod.log error.log\n", "t.conf", &errs), 0);
	assert_int_equal(conf_finish(cfg, &errs), 0);

	assert_int_equal(runlog_resolve(cfg, NULL, "/opt/scripts/backup.sh",
	    &rel, &tag, &why), 0);
	assert_string_equal(rel, "backup/backup.log");
	assert_string_equal(tag, "backup");
	free(rel);
	free(tag);
	/* a short name finds the configured log of that base name */
	assert_int_equal(runlog_resolve(cfg, "deploy-prod", "x", &rel, &tag,
	    &why), 0);
	assert_string_equal(rel, "ops/deploy-prod.log");
	assert_string_equal(tag, "deploy-prod");
	free(rel);
	free(tag);
	assert_int_equal(runlog_resolve(cfg, "error.log", "x", &rel, &tag,
	    &why), 0);
	assert_string_equal(rel, "error.log");
	assert_string_equal(tag, "error");
	free(rel);
	free(tag);
	/* ".hidden" would be a hidden directory and log: --log is asked for */
	assert_int_equal(runlog_resolve(cfg, NULL, "./.hidden", &rel, &tag,
	    &why), -1);
	assert_non_null(strstr(why, "--log"));
	free(why);

	assert_int_equal(runlog_resolve(cfg, "../x.log", "x", &rel, &tag,
	    &why), -1);
	free(why);
	assert_int_equal(runlog_resolve(cfg, "/abs/x.log", "x", &rel, &tag,
	    &why), -1);
	free(why);
	assert_int_equal(runlog_resolve(cfg, "a/x.txt", "x", &rel, &tag,
	    &why), -1);
	free(why);
	assert_int_equal(runlog_resolve(cfg, "a/[x].log", "x", &rel, &tag,
	    &why), -1);
	free(why);
	assert_int_equal(runlog_resolve(cfg, NULL, "/bin/we ird", &rel, &tag,
	    &why), -1);
	assert_non_null(strstr(why, "--log"));
	free(why);
	conf_errors_free(&errs);
	conf_free(cfg);
}

/* A run of TAG with PID at 02:MM:00 on 2026-11-25, ending with END. */
static void
feed_run(struct runstats *rs, const char *tag, int pid, int mm,
    const char *end)
{
	char buf[256];

	snprintf(buf, sizeof buf, "2026-11-25T02:%02d:00+01:00 %s[%d]: START "
	    "x.sh\n", mm, tag, pid);
	rs_line(rs, buf, strlen(buf));
	snprintf(buf, sizeof buf, "2026-11-25T02:%02d:00+01:00 %s[%d]: "
	    "working\n", mm, tag, pid);
	rs_line(rs, buf, strlen(buf));
	snprintf(buf, sizeof buf, "2026-11-25T02:%02d:59+01:00 %s[%d]: %s\n",
	    mm, tag, pid, end);
	rs_line(rs, buf, strlen(buf));
}

static void
test_percentiles(void **state)
{
	struct runstats	 rs;
	char		 end[64];
	int		 k;

	(void)state;
	rs_init(&rs, NULL, NULL, 0);
	/* 20 runs of 20, 19, ..., 1 seconds: order does not matter */
	for (k = 1; k <= 20; k++) {
		snprintf(end, sizeof end, "END exit=%d duration=%d.000s",
		    k == 5 ? 2 : 0, 21 - k);
		feed_run(&rs, "a", 100 + k, k, end);
	}
	rs_finish(&rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].runs, 20);
	assert_int_equal(rs.v[0].failures, 1);
	assert_true(rs_median(&rs.v[0]) == 10.5);
	assert_true(rs_percentile(&rs.v[0], 95) == 19);	/* the 19th of 20 */
	assert_true(rs_percentile(&rs.v[0], 100) == 20);
	assert_true(rs.v[0].total == 210);
	assert_int_equal(rs.v[0].last_start, T_NOV25_020001 - 1 + 20 * 60);
	assert_int_equal(rs.v[0].fail_start, T_NOV25_020001 - 1 + 5 * 60);
	assert_int_equal(rs.v[0].fail_exit, 2);
	rs_free(&rs);

	rs_init(&rs, NULL, NULL, 0);
	feed_run(&rs, "b", 7, 1, "END exit=0 duration=3.000s");
	rs_finish(&rs);
	assert_true(rs_median(&rs.v[0]) == 3 && rs_percentile(&rs.v[0],
	    95) == 3);
	rs_free(&rs);
}

static void
test_pairing(void **state)
{
	struct runstats	 rs;
	const char	*l;
	char		*only[] = { "b", "none" };

	(void)state;
	rs_init(&rs, NULL, NULL, 0);
	/* an END without START: not a run */
	l = "2026-11-25T02:00:01+01:00 a[1]: END exit=0 duration=1.000s";
	rs_line(&rs, l, strlen(l));
	/* a script's own END-looking line, then run's END: the last counts */
	l = "2026-11-25T02:00:01+01:00 a[2]: START a.sh";
	rs_line(&rs, l, strlen(l));
	l = "2026-11-25T02:00:02+01:00 a[2]: END exit=0 duration=1.000s";
	rs_line(&rs, l, strlen(l));
	l = "2026-11-25T02:00:02+01:00 a[2]: START of phase two";
	rs_line(&rs, l, strlen(l));
	l = "2026-11-25T02:00:09+01:00 a[2]: END exit=4 duration=8.000s";
	rs_line(&rs, l, strlen(l));
	/* a START that never ended */
	l = "2026-11-25T03:00:00+01:00 a[3]: START a.sh";
	rs_line(&rs, l, strlen(l));
	rs_finish(&rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].runs, 1);
	assert_int_equal(rs.v[0].failures, 1);
	assert_int_equal(rs.v[0].last_exit, 4);
	assert_true(rs.v[0].total == 8);
	assert_int_equal(rs.v[0].last_start, T_NOV25_020001);
	rs_free(&rs);

	/*
	 * a pid used again for the same command (a container's, every run):
	 * its START after its END is the next run, not a line inside it
	 */
	rs_init(&rs, NULL, NULL, 0);
	l = "2026-11-25T02:00:01+01:00 c[7]: START c.sh --x";
	rs_line(&rs, l, strlen(l));
	l = "2026-11-25T02:00:03+01:00 c[7]: END exit=0 duration=2.000s";
	rs_line(&rs, l, strlen(l));
	l = "2026-11-25T03:00:00+01:00 c[7]: START c.sh --x";
	rs_line(&rs, l, strlen(l));
	l = "2026-11-25T03:00:05+01:00 c[7]: END exit=2 duration=5.000s";
	rs_line(&rs, l, strlen(l));
	rs_finish(&rs);
	assert_int_equal(rs.v[0].runs, 2);
	assert_int_equal(rs.v[0].failures, 1);
	assert_int_equal(rs.v[0].last_exit, 2);
	assert_true(rs.v[0].total == 7);
	rs_free(&rs);

	/* only the scripts asked for, each one even without runs */
	rs_init(&rs, NULL, only, 2);
	feed_run(&rs, "a", 1, 1, "END exit=0 duration=1.000s");
	feed_run(&rs, "b", 2, 2, "END signal=KILL duration=1.000s");
	rs_finish(&rs);
	assert_int_equal(rs.n, 2);
	assert_string_equal(rs.v[0].tag, "b");
	assert_int_equal(rs.v[0].last_exit, 128 + SIGKILL);
	assert_int_equal(rs.v[0].last_sig, SIGKILL);
	assert_string_equal(rs.v[1].tag, "none");
	assert_int_equal(rs.v[1].runs, 0);
	rs_free(&rs);
}

static void
test_window(void **state)
{
	struct lt_window	 w;
	struct runstats		 rs;
	const char		*bad;

	(void)state;
	/* a run counts by its START: 02:10 begins inside, ends outside */
	assert_int_equal(lt_window_set(&w, "2026-11-25T02:05",
	    "2026-11-25T02:10", 0, &bad), 0);
	rs_init(&rs, &w, NULL, 0);
	feed_run(&rs, "a", 1, 4, "END exit=0 duration=1.000s");
	feed_run(&rs, "a", 2, 5, "END exit=0 duration=2.000s");
	feed_run(&rs, "a", 3, 10, "END exit=0 duration=59.000s");
	feed_run(&rs, "a", 4, 11, "END exit=0 duration=4.000s");
	rs_finish(&rs);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].runs, 2);
	assert_true(rs.v[0].total == 61);
	rs_free(&rs);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_pairing),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, setup_tz, NULL);
}
