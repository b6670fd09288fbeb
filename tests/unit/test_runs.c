/*
 * Unit tests of runs.c: records survive a format/parse round trip, a later
 * version's counters are skipped, bad lines are refused by line number,
 * and runs_append keeps the newest RUNS_KEEP plus each command's last
 * success however old.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esc.h"
#include "runs.h"

static void
test_roundtrip(void **unused)
{
	struct runs	 rs, back;
	struct run_rec	 r[2];
	struct sbuf	 b;
	char		*err = NULL;

	(void)unused;
	memset(r, 0, sizeof r);
	strcpy(r[0].command, "rotate");
	r[0].start = 1795568400;
	r[0].duration_ms = 162;
	r[0].rotated = 3;
	r[0].bytes_in = 154214;
	r[0].bytes_out = 18534;
	strcpy(r[1].command, "archive");
	r[1].start = 1795572000;
	r[1].exit_status = 1;
	r[1].errors = 2;
	rs.v = r;
	rs.n = 2;
	sbuf_init(&b);
	runs_format(&rs, &b);
	assert_int_equal(runs_parse(&back, b.s, b.len, &err), 0);
	assert_int_equal(back.n, 2);
	assert_memory_equal(back.v, r, sizeof r);
	assert_ptr_equal(runs_last(&back, "rotate", true), &back.v[0]);
	assert_null(runs_last(&back, "archive", true));
	assert_ptr_equal(runs_last(&back, NULL, false), &back.v[1]);
	runs_free(&back);
	sbuf_free(&b);
}

static void
test_parse(void **unused)
{
	static const char later[] = "evmaint-runs 1\n"
	    "run rotate 100 5 0 rotated=1 future_counter=9\n";
	static const char bad[] = "evmaint-runs 1\n"
	    "run rotate 100 5 0\n"
	    "run rotate 100 five 0\n";
	static const char other[] = "evmaint-state 1\n";
	struct runs	 rs;
	char		*err = NULL;

	(void)unused;
	assert_int_equal(runs_parse(&rs, later, sizeof later - 1, &err), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].rotated, 1);
	runs_free(&rs);
	assert_int_not_equal(runs_parse(&rs, bad, sizeof bad - 1, &err), 0);
	assert_non_null(strstr(err, "line 3"));
	free(err);
	assert_int_not_equal(runs_parse(&rs, other, sizeof other - 1, &err), 0);
	assert_non_null(strstr(err, "line 1"));
	free(err);
}

/* A fresh directory (its fd) for a run record file, and a rotate record. */
static int
scratch(char *dir, struct run_rec *r, time_t start)
{
	int dfd;

	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	memset(r, 0, sizeof *r);
	strcpy(r->command, "rotate");
	r->start = start;
	return dfd;
}

static void
test_keep(void **unused)
{
	struct run_rec	 r;
	struct runs	 rs;
	char		 dir[] = "/tmp/test_runs.XXXXXX", *err = NULL;
	int		 dfd, i;

	(void)unused;
	dfd = scratch(dir, &r, 1);
	assert_int_equal(runs_append(dfd, "state.runs", &r, 0640, getegid(),
	    &err), 0);
	assert_null(err);
	r.exit_status = 75;
	for (i = 0; i < 40; i++) {
		r.start = 100 + i;
		assert_int_equal(runs_append(dfd, "state.runs", &r, 0640,
		    getegid(), &err), 0);
		assert_null(err);
	}
	assert_int_equal(runs_load(dfd, "state.runs", &rs, &err), 0);
	assert_int_equal(rs.n, RUNS_KEEP + 1);
	assert_int_equal(rs.v[0].start, 1);		/* the last success */
	assert_int_equal(rs.v[1].start, 110);		/* then the newest 30 */
	assert_int_equal(rs.v[RUNS_KEEP].start, 139);
	runs_free(&rs);
	unlinkat(dfd, "state.runs", 0);
	close(dfd);
	rmdir(dir);
}

/*
 * A corrupt file is replaced, and the caller told what was wrong with it;
 * one writable by others is refused and left as it is, with the reason.
 */
static void
test_append_bad(void **unused)
{
	struct run_rec	 r;
	struct runs	 rs;
	struct stat	 st;
	char		 dir[] = "/tmp/test_runs.XXXXXX", *err = NULL;
	int		 dfd, fd;

	(void)unused;
	dfd = scratch(dir, &r, 7);

	fd = openat(dfd, "state.runs", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage\n", 8), 8);
	close(fd);
	assert_int_equal(runs_append(dfd, "state.runs", &r, 0640, getegid(),
	    &err), 1);
	assert_non_null(err);
	assert_non_null(strstr(err, "line 1"));
	free(err);
	err = NULL;
	assert_int_equal(runs_load(dfd, "state.runs", &rs, &err), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.v[0].start, 7);
	runs_free(&rs);

	assert_int_equal(fchmodat(dfd, "state.runs", 0666, 0), 0);
	assert_int_equal(runs_append(dfd, "state.runs", &r, 0640, getegid(),
	    &err), -1);
	assert_non_null(err);
	assert_non_null(strstr(err, "writable by others"));
	free(err);
	assert_int_equal(fstatat(dfd, "state.runs", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0666);	/* left as it was */
	unlinkat(dfd, "state.runs", 0);
	close(dfd);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_append_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
