/*
 * Unit tests of journal_check, the validator between a loaded journal and
 * its replay: every shape rotation writes passes (numbered with a shift,
 * plain and .gz pairs, dateext, the second temporary name, an archive with
 * its sources); each forged shape fails with a reason naming what is wrong.
 * The tree is a fixed list of logs.
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
#include <unistd.h>

#include "esc.h"
#include "fsx.h"
#include "journal.h"

#define HEAD	"evmaint-journal 1\ntime 1793840400\nroot /srv/event 1 2\n"
#define SHA	"070aec3183adff2823e53fe68d3fbb2e18252381ec9353c00567aa91ca611db4"
#define DEPLOY	"log deploy/deploy.log 1793840400 1:20261105,2:20261104\n"
#define DTAIL	"ren .evmaint-tmp.deploy.log deploy.log.1 1 50\n" \
		"xchg deploy.log.1 deploy.log 1 50\n"

static bool
test_is_log(void *arg, const char *rel, bool *dateext)
{
	static const char *logs[] = { "deploy/deploy.log", "backup/backup.log",
	    "error.log", "a/b/c.log" };
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof logs / sizeof logs[0]; i++)
		if (strcmp(rel, logs[i]) == 0) {
			*dateext = strcmp(rel, "backup/backup.log") == 0;
			return true;
		}
	return false;
}

/* The verdict on a journal's text; *why (or NULL) the reason. */
static int
check(const char *text, char **why)
{
	struct journal	 j;
	struct jr_tree	 jt = { test_is_log, NULL };
	char		*err;
	int		 rc;

	*why = NULL;
	if (journal_parse(&j, text, strlen(text), &err) != 0) {
		print_error("does not parse: %s\n", err);
		free(err);
		fail();
	}
	rc = journal_check(&j, &jt, why);
	journal_free(&j);
	return rc;
}

static const char *genuine[] = {
	HEAD DEPLOY DTAIL "end\n",
	HEAD DEPLOY
	    "ren deploy.log.2.gz deploy.log.3.gz 1 10\n"
	    "ren deploy.log.2 deploy.log.3 1 11\n"
	    "ren deploy.log.1.gz deploy.log.2.gz 1 12\n"
	    "ren .evmaint-tmp.3.deploy.log deploy.log.1 1 50\n"
	    "xchg deploy.log.1 deploy.log 1 50\n" "end\n",
	HEAD "log backup/backup.log 1793840400 -\n"
	    "ren .evmaint-tmp.backup.log backup.log-20261105_020000 1 51\n"
	    "xchg backup.log-20261105_020000 backup.log 1 51\n"
	    "log error.log 1793840400 1:20261105\n"
	    "ren .evmaint-tmp.error.log error.log.1 1 52\n"
	    "xchg error.log.1 error.log 1 52\n" "end\n",
	HEAD "archive event-20261105T020000.tar\n"
	    "member deploy deploy.log.3.gz deploy/deploy.log-20261103.gz 1 10 "
	    "137 " SHA "\n"
	    "member backup backup.log-20261103 backup/backup.log-20261103 1 11 "
	    "137 " SHA "\n"
	    "member . error.log.4.gz error.log-20261101_020000.gz 1 12 1 "
	    SHA "\n" "end\n",
	HEAD "archive event-20261105T020000.1.tar.gz\n" "end\n",
};

static void
test_genuine(void **unused)
{
	char	*why;
	size_t	 i;

	(void)unused;
	for (i = 0; i < sizeof genuine / sizeof genuine[0]; i++) {
		if (check(genuine[i], &why) != 0) {
			print_error("genuine journal %zu rejected: %s\n", i, why);
			fail();
		}
		assert_null(why);
	}
}

static const struct {
	const char *text;
	const char *why;	/* a part of the reason */
} forged[] = {
	/* README.md moved onto a generation name */
	{ HEAD "log error.log 1793840400 -\n"
	    "ren README.md error.log.3 1 9\n"
	    "ren .evmaint-tmp.error.log error.log.1 1 9\n"
	    "xchg error.log.1 error.log 1 9\n" "end\n", "(README.md)" },
	/* a live log renamed away */
	{ HEAD DEPLOY "ren deploy.log other.log 1 9\n" DTAIL "end\n",
	    "(deploy.log)" },
	/* a live log swapped with a generation */
	{ HEAD DEPLOY "xchg deploy.log.1.gz deploy.log 1 9\n" "end\n",
	    "1 steps" },
	{ HEAD DEPLOY "ren .evmaint-tmp.deploy.log deploy.log.1.gz 1 50\n"
	    "xchg deploy.log.1.gz deploy.log 1 50\n" "end\n",
	    "deploy.log.1.gz, not a new generation" },
	/* the exchange not with the log named */
	{ HEAD DEPLOY "ren .evmaint-tmp.deploy.log deploy.log.1 1 50\n"
	    "xchg deploy.log.1 other.log 1 50\n" "end\n", "exchange" },
	{ HEAD DEPLOY "ren .evmaint-tmp.deploy.log deploy.log.1 1 50\n"
	    "xchg deploy.log.1 deploy.log 1 51\n" "end\n", "exchange" },
	/* a prepared file that is not the log's temporary name */
	{ HEAD DEPLOY "ren .evmaint-tmp.error.log deploy.log.1 1 50\n"
	    "xchg deploy.log.1 deploy.log 1 50\n" "end\n",
	    "not a temporary name" },
	{ HEAD DEPLOY "ren .evmaint-tmp.12.deploy.log deploy.log.1 1 50\n"
	    "xchg deploy.log.1 deploy.log 1 50\n" "end\n",
	    "not a temporary name" },
	/* shifts: out of order, by two, of another log, twice */
	{ HEAD DEPLOY "ren deploy.log.1.gz deploy.log.2.gz 1 10\n"
	    "ren deploy.log.2.gz deploy.log.3.gz 1 11\n" DTAIL "end\n",
	    "next move" },
	{ HEAD DEPLOY "ren deploy.log.1.gz deploy.log.3.gz 1 10\n" DTAIL
	    "end\n", "next move" },
	{ HEAD DEPLOY "ren error.log.1.gz error.log.2.gz 1 10\n" DTAIL
	    "end\n", "(error.log.1.gz)" },
	{ HEAD DEPLOY "ren deploy.log.1.gz deploy.log.2.gz 1 10\n"
	    "ren deploy.log.1.gz deploy.log.2.gz 1 10\n" DTAIL "end\n",
	    "next move" },
	{ HEAD DEPLOY "ren deploy.log.1.gz deploy.log.2.gz 1 50\n" DTAIL
	    "end\n", "new empty log's inode" },
	/* a dateext log shifts nothing; its slot is dated */
	{ HEAD "log backup/backup.log 1793840400 -\n"
	    "ren backup.log-20261104 backup.log-20261105 1 10\n"
	    "ren .evmaint-tmp.backup.log backup.log-20261106 1 51\n"
	    "xchg backup.log-20261106 backup.log 1 51\n" "end\n", "dateext" },
	{ HEAD "log backup/backup.log 1793840400 -\n"
	    "ren .evmaint-tmp.backup.log backup.log.1 1 51\n"
	    "xchg backup.log.1 backup.log 1 51\n" "end\n",
	    "not a new generation" },
	/* logs that are not the tree's, or outside it */
	{ HEAD "log README.md 1793840400 -\n"
	    "ren .evmaint-tmp.README.md README.md.1 1 51\n"
	    "xchg README.md.1 README.md 1 51\n" "end\n", "not a log of the tree" },
	{ HEAD "log a/../error.log 1793840400 -\n"
	    "ren .evmaint-tmp.error.log error.log.1 1 51\n"
	    "xchg error.log.1 error.log 1 51\n" "end\n", "not a path inside" },
	{ HEAD DEPLOY "ren .. deploy.log.1 1 51\n" DTAIL "end\n",
	    "outside its directory" },
	/* the same log twice, a state record of another run */
	{ HEAD DEPLOY DTAIL DEPLOY DTAIL "end\n", "listed twice" },
	{ HEAD "log deploy/deploy.log 1793754000 -\n" DTAIL "end\n",
	    "state record" },
	/* archived sources that are not generations, or misnamed */
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member deploy deploy.log deploy/deploy.log 1 10 1 " SHA "\n"
	    "end\n", "not a generation" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member . README.md README.md 1 10 1 " SHA "\n" "end\n",
	    "not a generation" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member deploy deploy.log.1.gz deploy/deploy.log.1.gz 1 10 1 " SHA
	    "\n" "end\n", "member name" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member deploy deploy.log.1.gz deploy/deploy.log-20261101 1 10 1 "
	    SHA "\n" "end\n", "member name" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member deploy deploy.log.1.gz error.log-20261101.gz 1 10 1 " SHA
	    "\n" "end\n", "member name" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member other README.md.1 other/README.md-20261101 1 10 1 " SHA
	    "\n" "end\n", "not a log of the tree" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member .. deploy.log.1 ../deploy.log-20261101 1 10 1 " SHA "\n"
	    "end\n", "outside the tree" },
	{ HEAD "archive event-20261104T130000.tar.gz\n"
	    "member deploy deploy.log.1.gz deploy/deploy.log-20261101.gz 1 10 "
	    "1 " SHA "\n"
	    "member deploy deploy.log.1.gz deploy/deploy.log-20261102.gz 1 10 "
	    "1 " SHA "\n" "end\n", "listed twice" },
	{ HEAD "archive state\n" "end\n", "not a name of an evmaint archive" },
};

static void
test_forged(void **unused)
{
	char	*why;
	size_t	 i;

	(void)unused;
	for (i = 0; i < sizeof forged / sizeof forged[0]; i++) {
		if (check(forged[i].text, &why) != -1) {
			print_error("forged journal %zu accepted\n", i);
			fail();
		}
		assert_non_null(why);
		if (strstr(why, forged[i].why) == NULL) {
			print_error("forged journal %zu: reason '%s' lacks '%s'\n",
			    i, why, forged[i].why);
			fail();
		}
		free(why);
	}
}

/*
 * The names the validator accepts for a prepared file are those
 * fsx_create_tmp makes: the first, and the next one when something foreign
 * (here a symbolic link) holds the first.
 */
static void
test_tmp_names(void **unused)
{
	char	 dir[] = "/tmp/test_journal.XXXXXX", *used;
	int	 dfd, fd, k;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	for (k = 0; k < 3; k++) {
		fd = fsx_create_tmp(dfd, "deploy.log", 0600, geteuid(),
		    getegid(), &used);
		assert_true(fd >= 0);
		close(fd);
		assert_true(fsx_is_tmp_name_of(used, "deploy.log"));
		assert_false(fsx_is_tmp_name_of(used, "deploy.lo"));
		assert_false(fsx_is_tmp_name_of(used, "error.log"));
		/* the next create finds a foreign file there */
		assert_int_equal(unlinkat(dfd, used, 0), 0);
		assert_int_equal(symlinkat("/etc/passwd", dfd, used), 0);
		free(used);
	}
	assert_false(fsx_is_tmp_name_of(".evmaint-tmp.deploy.log.1",
	    "deploy.log"));
	assert_false(fsx_is_tmp_name_of("deploy.log", "deploy.log"));
	assert_false(fsx_is_tmp_name_of(".evmaint-tmp.", ""));
	for (k = 0; k < 3; k++) {
		char name[64];

		if (k == 0)
			snprintf(name, sizeof name, ".evmaint-tmp.deploy.log");
		else
			snprintf(name, sizeof name, ".evmaint-tmp.%d.deploy.log",
			    k);
		assert_int_equal(unlinkat(dfd, name, 0), 0);
	}
	close(dfd);
	assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_genuine),
		cmocka_unit_test(test_forged),
		cmocka_unit_test(test_tmp_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
