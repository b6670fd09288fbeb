/*
 * Unit tests of history.c on hand-made trees in a mkdtemp directory: how a
 * LOG argument resolves (path, configured short name, the tree's
 * NAME/NAME.log then NAME.log, refusals), and the stream of lines: oldest
 * generation first, a plain generation and its .gz read once, continuation
 * lines with their line across files, the window, a missing log.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "gz.h"
#include "gzb.h"
#include "history.h"
#include "logtime.h"
#include "report.h"
#include "xmalloc.h"

struct fx {
	char			 dir[64];
	char			 root[128];
	struct evm_config	*cfg;
	struct report		*rep;
};

static void
put(const struct fx *f, const char *rel, const char *text, bool gz)
{
	char	path[256];
	int	fd;

	snprintf(path, sizeof path, "%s/%s", f->root, rel);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	if (gz) {
		struct gz_opts		 o = { 6, NULL, 0 };
		struct gzb		*e = gzb_new(1);
		struct gzb_stream	*w = gzb_open(e, fd, &o);

		assert_non_null(w);
		assert_int_equal(gzb_feed(w, text, strlen(text)), 0);
		assert_int_equal(gzb_finish(w), 0);
		gzb_stream_free(w);
		gzb_free(e);
	} else
		assert_int_equal(write(fd, text, strlen(text)),
		    (ssize_t)strlen(text));
	close(fd);
}

static int
setup(void **state)
{
	struct fx		*f = xcalloc(1, sizeof *f);
	struct conf_errors	 e = { NULL, 0 };
	char			*text, path[256];

	setenv("TZ", "Europe/Paris", 1);
	tzset();
	snprintf(f->dir, sizeof f->dir, "/tmp/test_history.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	chmod(f->dir, 0755);
	snprintf(f->root, sizeof f->root, "%s/event", f->dir);
	assert_int_equal(mkdir(f->root, 0750), 0);
	snprintf(path, sizeof path, "%s/deploy", f->root);
	assert_int_equal(mkdir(path, 0750), 0);
	snprintf(path, sizeof path, "%s/x", f->root);
	assert_int_equal(mkdir(path, 0750), 0);
	xasprintf(&text, "root = %s\narchive_dir = %s/archives\n"
	    "state_file = %s/state\nlogs = deploy/deploy.log\n", f->root,
	    f->dir, f->dir);
	f->cfg = conf_new();
	assert_int_equal(conf_load_string(f->cfg, text, "test.conf", &e), 0);
	assert_int_equal(conf_finish(f->cfg, &e), 0);
	free(text);
	f->rep = report_new("cat", 0, false, false);
	*state = f;
	return 0;
}

static int
rm_fn(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	report_free(f->rep);
	conf_free(f->cfg);
	if (nftw(f->dir, rm_fn, 16, FTW_DEPTH | FTW_PHYS) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
	free(f);
	return 0;
}

/* want: the log's path, or NULL with bad = -1 (no log's name), 1 (none) */
static void
resolves_rc(const struct fx *f, const char *arg, const char *want, int bad)
{
	char *rel = NULL, *why = NULL;

	if (want == NULL) {
		assert_int_equal(hist_resolve(f->cfg, arg, &rel, &why), bad);
		assert_non_null(why);
		assert_non_null(strstr(why, arg));
		free(why);
		return;
	}
	assert_int_equal(hist_resolve(f->cfg, arg, &rel, &why), 0);
	assert_string_equal(rel, want);
	free(rel);
}

static void
resolves(const struct fx *f, const char *arg, const char *want)
{
	resolves_rc(f, arg, want, -1);
}

static void
test_resolve(void **state)
{
	struct fx *f = *state;

	put(f, "error.log", "", false);
	put(f, "x/y.log", "", false);
	put(f, "x/x.log", "", false);
	put(f, "x.log", "", false);
	resolves(f, "deploy", "deploy/deploy.log");	/* configured */
	resolves(f, "error", "error.log");		/* NAME.log */
	resolves(f, "x", "x/x.log");			/* NAME/NAME.log first */
	resolves(f, "x/y.log", "x/y.log");
	resolves(f, "deploy/deploy.log", "deploy/deploy.log");
	resolves_rc(f, "y", NULL, 1);			/* only x/y.log */
	resolves(f, "../deploy/deploy.log", NULL);
	resolves(f, "/etc/x.log", NULL);
	resolves(f, "x/y", NULL);			/* not a log's name */
	resolves(f, "deploy/../error.log", NULL);
}

/* Reads the whole history into one string: "c" marks cont, "-" untimed. */
static char *
slurp(struct hist *h)
{
	struct hist_line	 ln;
	char			*s = xstrdup(""), *t;

	while (hist_next(h, &ln) == 1) {
		xasprintf(&t, "%s%s%s%s\n", s, ln.cont ? "c " : "",
		    ln.timed ? "" : "- ", ln.text);
		free(s);
		s = t;
	}
	return s;
}

static void
test_order_and_window(void **state)
{
	struct fx		*f = *state;
	struct lt_window	 w;
	struct hist		*h;
	const char		*bad;
	char			*s;

	put(f, "deploy/deploy.log.2.gz",
	    "2026-11-03T10:00:00+01:00 a\n"
	    "2026-11-03T23:59:59+01:00 b\n"
	    "  trace b.1\n", true);
	/* a compression under way: both copies, read once */
	put(f, "deploy/deploy.log.1",
	    "  trace b.2\n"
	    "2026-11-04T10:00:00+01:00 c\n", false);
	put(f, "deploy/deploy.log.1.gz",
	    "  trace b.2\n"
	    "2026-11-04T10:00:00+01:00 c\n", true);
	put(f, "deploy/deploy.log",
	    "2026-11-05T10:00:00+01:00 d\n"
	    "  trace d.1", false);		/* no final newline */

	h = hist_open(f->cfg, "deploy/deploy.log", NULL, f->rep);
	assert_non_null(h);
	s = slurp(h);
	assert_string_equal(s,
	    "2026-11-03T10:00:00+01:00 a\n"
	    "2026-11-03T23:59:59+01:00 b\n"
	    "c   trace b.1\n"
	    "c   trace b.2\n"
	    "2026-11-04T10:00:00+01:00 c\n"
	    "2026-11-05T10:00:00+01:00 d\n"
	    "c   trace d.1\n");
	assert_int_equal(hist_errors(h), 0);
	free(s);
	hist_close(h);

	/* the day of b keeps b's trace from the next file */
	assert_int_equal(lt_window_set(&w, "2026-11-03T12:00",
	    "2026-11-03", 0, &bad), 0);
	h = hist_open(f->cfg, "deploy/deploy.log", &w, f->rep);
	s = slurp(h);
	assert_string_equal(s,
	    "2026-11-03T23:59:59+01:00 b\n"
	    "c   trace b.1\n"
	    "c   trace b.2\n");
	free(s);
	hist_close(h);

	/* and the next day does not */
	assert_int_equal(lt_window_set(&w, "2026-11-04", NULL, 0, &bad), 0);
	h = hist_open(f->cfg, "deploy/deploy.log", &w, f->rep);
	s = slurp(h);
	assert_string_equal(s,
	    "2026-11-04T10:00:00+01:00 c\n"
	    "2026-11-05T10:00:00+01:00 d\n"
	    "c   trace d.1\n");
	free(s);
	hist_close(h);
}

static void
test_untimed_and_missing(void **state)
{
	struct fx	*f = *state;
	struct hist	*h;
	char		*s;

	put(f, "x/y.log", "no time\n2026-11-05T10:00:00 local\n", false);
	h = hist_open(f->cfg, "x/y.log", NULL, f->rep);
	assert_non_null(h);
	s = slurp(h);
	assert_string_equal(s, "c - no time\n2026-11-05T10:00:00 local\n");
	free(s);
	hist_close(h);
	assert_null(hist_open(f->cfg, "x/none.log", NULL, f->rep));
	assert_null(hist_open(f->cfg, "nodir/none.log", NULL, f->rep));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_and_window, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_untimed_and_missing, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
