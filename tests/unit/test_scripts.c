/*
 * Unit tests of scripts.c: the last run of each script, from the records
 * run leaves beside the state file and, with none there, rebuilt from the
 * END lines of the live logs; a failed run keeps the last success; a
 * corrupt record is skipped.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "report.h"
#include "scripts.h"

#define T_NOV25_020001	1795568401	/* 2026-11-25 02:00:01 CET */

struct fx {
	char			 dir[64];
	char			 path[256];
	struct evm_config	*cfg;
	struct report		*rep;
};

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static int
setup(void **state)
{
	struct fx		*fx = calloc(1, sizeof *fx);
	struct conf_errors	 errs = { NULL, 0 };
	char			 text[1024];

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	strcpy(fx->dir, "/tmp/test_scripts.XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	chmod(fx->dir, 0755);
	snprintf(fx->path, sizeof fx->path, "%s/root", fx->dir);
	mkdir(fx->path, 0750);
	snprintf(fx->path, sizeof fx->path, "%s/root/deploy", fx->dir);
	mkdir(fx->path, 0750);
	snprintf(fx->path, sizeof fx->path, "%s/state", fx->dir);
	mkdir(fx->path, 0750);
	snprintf(text, sizeof text, "root = %s/root\narchive_dir = %s/arch\n"
	    "state_file = %s/state/state\nowner = %s\ngroup = %s\n", fx->dir,
	    fx->dir, fx->dir, getpwuid(geteuid())->pw_name,
	    getgrgid(getegid())->gr_name);
	fx->cfg = conf_new();
	assert_int_equal(conf_load_string(fx->cfg, text, "t.conf", &errs), 0);
	assert_int_equal(conf_finish(fx->cfg, &errs), 0);
	fx->rep = report_new("test", -1, true, false);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;
	char		*argv[] = { "rm", "-rf", fx->dir, NULL };
	pid_t		 pid;

	if ((pid = fork()) == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	conf_free(fx->cfg);
	report_free(fx->rep);
	free(fx);
	return 0;
}

static void
test_rebuild_from_logs(void **state)
{
	struct fx		*fx = *state;
	struct script_runs	 sr;

	snprintf(fx->path, sizeof fx->path, "%s/root/deploy/deploy.log",
	    fx->dir);
	put(fx->path,
	    "2026-11-25T02:00:01+01:00 deploy[10]: START deploy.sh\n"
	    "2026-11-25T02:00:02+01:00 deploy[10]: END exit=0 duration=1.000s\n"
	    "2026-11-25T02:10:01+01:00 deploy[11]: START deploy.sh\n"
	    "2026-11-25T02:10:01+01:00 deploy[11]: hello\n"
	    "2026-11-25T02:10:04+01:00 deploy[11]: END signal=TERM "
	    "duration=3.500s\n"
	    "2026-11-25T02:20:00+01:00 other[3]: plain line\n");
	assert_int_equal(scripts_load(fx->cfg, &sr, fx->rep), 0);
	assert_int_equal(sr.n, 1);
	assert_string_equal(sr.v[0].tag, "deploy");
	assert_int_equal(sr.v[0].last_start, T_NOV25_020001 + 600);
	assert_true(sr.v[0].last_duration == 3.5);
	assert_int_equal(sr.v[0].last_exit, 128 + 15);
	assert_int_equal(sr.v[0].last_success, T_NOV25_020001);
	scripts_free(&sr);
}

static void
test_records(void **state)
{
	struct fx		*fx = *state;
	struct script_runs	 sr;
	struct stat		 st;

	scripts_record(fx->cfg, "deploy", "deploy/deploy.log", T_NOV25_020001,
	    2.013, 0, fx->rep);
	scripts_record(fx->cfg, "backup", "backup/backup.log",
	    T_NOV25_020001 + 60, 1.5, 0, fx->rep);
	scripts_record(fx->cfg, "deploy", "deploy/deploy.log",
	    T_NOV25_020001 + 86400, 4.25, 3, fx->rep);
	snprintf(fx->path, sizeof fx->path, "%s/state/state.run.deploy",
	    fx->dir);
	assert_int_equal(lstat(fx->path, &st), 0);
	assert_int_equal(st.st_mode & 022, 0);	/* evmaint's own data */
	assert_int_equal(st.st_uid, geteuid());
	/* a record that is not one is skipped */
	snprintf(fx->path, sizeof fx->path, "%s/state/state.run.junk", fx->dir);
	put(fx->path, "garbage\n");

	assert_int_equal(scripts_load(fx->cfg, &sr, fx->rep), 0);
	assert_int_equal(sr.n, 2);
	assert_string_equal(sr.v[0].tag, "backup");
	assert_string_equal(sr.v[1].tag, "deploy");
	assert_int_equal(sr.v[1].last_start, T_NOV25_020001 + 86400);
	assert_int_equal(sr.v[1].last_exit, 3);
	assert_true(sr.v[1].last_duration == 4.25);
	/* the failure kept the last success */
	assert_int_equal(sr.v[1].last_success, T_NOV25_020001);
	assert_int_equal(sr.v[0].last_success, T_NOV25_020001 + 60);
	scripts_free(&sr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rebuild_from_logs, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_records, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
