/*
 * Unit tests of the logrotate config reader (lrconf*.c), each in a fresh
 * mkdtemp directory holding the
 * logrotate configs: which stanzas cover which tree files, with the quirks
 * of logrotate 3.21's parser that decide it (each case was checked against
 * the 3.21 binary), and hostile input that must give notes, not crashes.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lrconf.h"

#define EV	"/srv/service/event"

struct fixture {
	char	base[64];
};

/* The tree of the contract; none of it exists here, which must not matter. */
static const char *const tree[] = {
	EV "/error.log",
	EV "/deploy/deploy.log",
	EV "/backup/backup.log",
	EV "/config_update/config_update.log",
	EV "/.secret.log",
};
#define NTREE	(sizeof tree / sizeof tree[0])

static char		*path_of(struct fixture *, const char *);
static void		 put(struct fixture *, const char *, mode_t,
			    const char *, ...)
			    __attribute__((format(printf, 4, 5)));
static void		 scan(struct fixture *, const char *, int,
			    struct lr_result *);
static const struct lr_hit *hit_for(const struct lr_result *, const char *,
			    size_t *);
static bool		 has_note(const struct lr_result *, const char *);
static void		 rm_rf(const char *);

static char *
path_of(struct fixture *f, const char *name)
{
	char *p;

	assert_true(asprintf(&p, "%s/%s", f->base, name) > 0);
	return p;
}

/* Writes name (relative to the fixture) with mode, from a format. */
static void
put(struct fixture *f, const char *name, mode_t mode, const char *fmt, ...)
{
	va_list	 ap;
	char	*p = path_of(f, name), *text;
	int	 fd, n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, (size_t)n), n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(text);
	free(p);
}

/* lr_scan (as_root -1), or lr_scan_as as logrotate run by root or not. */
static void
scan(struct fixture *f, const char *main, int as_root, struct lr_result *r)
{
	char *p = path_of(f, main);

	if (as_root == -1)
		assert_int_equal(lr_scan(p, tree, NTREE, r), 0);
	else
		assert_int_equal(lr_scan_as(p, tree, NTREE, as_root, r), 0);
	free(p);
}

/* The only hit for path (NULL if none); *n counts them all. */
static const struct lr_hit *
hit_for(const struct lr_result *r, const char *path, size_t *n)
{
	const struct lr_hit	*h = NULL;
	size_t			 i;

	*n = 0;
	for (i = 0; i < r->nhits; i++)
		if (strcmp(r->hits[i].path, path) == 0) {
			h = &r->hits[i];
			(*n)++;
		}
	return h;
}

static bool
has_note(const struct lr_result *r, const char *part)
{
	size_t i;

	for (i = 0; i < r->nnotes; i++)
		if (strstr(r->notes[i].msg, part) != NULL)
			return true;
	return false;
}

static void
rm_rf(const char *path)
{
	char *cmd;

	if (asprintf(&cmd, "rm -rf '%s'", path) > 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", path);
		free(cmd);
	}
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	snprintf(f->base, sizeof f->base, "/tmp/test_lrconf.XXXXXX");
	if (mkdtemp(f->base) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	rm_rf(f->base);
	free(f);
	return 0;
}

/* The stanza the tree had: it rotates error.log, not the subdirectories. */
static void
test_seed(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	char			*conf = path_of(f, "logrotate.conf");
	size_t			 n;

	put(f, "logrotate.conf", 0644,
	    "# see \"man logrotate\" for details\n"
	    "weekly\n"
	    "\n"
	    EV "/*.log {\n"
	    "    daily\n"
	    "    rotate 7\n"
	    "    compress\n"
	    "    missingok\n"
	    "    notifempty\n"
	    "    create 0640 root root\n"
	    "}\n");
	scan(f, "logrotate.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_string_equal(h->file, conf);
	assert_int_equal(h->line, 4);
	assert_string_equal(h->pattern, EV "/*.log");
	assert_null(h->inactive);
	hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 0);
	/* '*' needs the dot of a hidden name, as glob(3) does */
	hit_for(&r, EV "/.secret.log", &n);
	assert_int_equal(n, 0);
	assert_int_equal(r.nhits, 1);
	assert_int_equal(lr_active(&r), 1);
	assert_int_equal(r.nnotes, 0);
	lr_result_free(&r);
	free(conf);
}

/*
 * The seed on one line: rotate's value runs to the end of the line and eats
 * the '}', an error that would drop the stanza at the next '}'; there is
 * none, so logrotate 3.21 keeps it and rotates error.log.
 */
static void
test_seed_one_line(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	size_t			 n;

	put(f, "one.conf", 0644, EV "/*.log { daily rotate 7 compress "
	    "missingok notifempty create 0640 root root }\n");
	scan(f, "one.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_null(h->inactive);
	assert_int_equal(h->line, 1);
	assert_int_equal(r.nhits, 1);
	lr_result_free(&r);

	/* a '}' in column one after it does drop it */
	put(f, "one.conf", 0644, EV "/*.log { daily rotate 7 }\n"
	    "/var/log/other.log {\n"
	    "}\n");
	scan(f, "one.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_non_null(h->inactive);
	assert_non_null(strstr(h->inactive, "drops the stanza"));
	assert_int_equal(lr_active(&r), 0);
	lr_result_free(&r);
}

/*
 * logrotate.d read in name order; a .dpkg-old leftover and an extension
 * added by "tabooext +" are skipped, hidden names are not.
 */
static void
test_include_dir(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	char			*d = path_of(f, "logrotate.d");
	char			*events = path_of(f, "logrotate.d/events");
	size_t			 n;

	assert_int_equal(mkdir(d, 0755), 0);
	put(f, "logrotate.conf", 0644, "weekly\ntabooext + .off\n"
	    "include %s\n", d);
	put(f, "logrotate.d/evmaint.dpkg-old", 0644,
	    EV "/*.log {\n    daily\n}\n");
	put(f, "logrotate.d/error.off", 0644,
	    EV "/error.log {\n    daily\n}\n");
	put(f, "logrotate.d/events", 0644,
	    "# packaged\n" EV "/*/*.log {\n    daily\n    missingok\n}\n");
	put(f, "logrotate.d/.hidden", 0644,
	    EV "/.secret.log {\n    daily\n}\n");
	scan(f, "logrotate.conf", -1, &r);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 0);
	h = hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 1);
	assert_string_equal(h->file, events);
	assert_int_equal(h->line, 2);
	assert_string_equal(h->pattern, EV "/*/*.log");
	assert_null(h->inactive);
	hit_for(&r, EV "/backup/backup.log", &n);
	assert_int_equal(n, 1);
	hit_for(&r, EV "/config_update/config_update.log", &n);
	assert_int_equal(n, 1);
	hit_for(&r, EV "/.secret.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(lr_active(&r), 4);
	lr_result_free(&r);

	/* "tabooext" without '+' replaces the list: the leftover counts */
	put(f, "logrotate.conf", 0644, "tabooext .off\ninclude %s\n", d);
	scan(f, "logrotate.conf", -1, &r);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	lr_result_free(&r);
	free(events);
	free(d);
}

/* Patterns on several lines, quoted, with a comment line among them. */
static void
test_multi_pattern(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	size_t			 n;

	put(f, "multi.conf", 0644,
	    "# several logs, one stanza\n"
	    EV "/error.log\n"
	    "    \"" EV "/deploy/deploy.log\"\n"
	    "# a comment line { with braces }\n"
	    "'" EV "/backup/*.log' /var/log/other.log\n"
	    "{\n"
	    "    daily\n"
	    "}\n");
	scan(f, "multi.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(h->line, 2);
	assert_string_equal(h->pattern, EV "/error.log");
	h = hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(h->line, 3);
	assert_string_equal(h->pattern, EV "/deploy/deploy.log");
	h = hit_for(&r, EV "/backup/backup.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(h->line, 5);
	assert_string_equal(h->pattern, EV "/backup/*.log");
	assert_int_equal(lr_active(&r), 3);
	lr_result_free(&r);
}

/*
 * A script is opaque up to endscript: its '}' closes nothing and the path in
 * it is no pattern; the stanza after it is read as usual.
 */
static void
test_script(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	size_t			 n;

	put(f, "script.conf", 0644,
	    "/var/log/foo.log {\n"
	    "    postrotate\n"
	    "        kill -HUP $(cat /run/foo.pid) || true }\n"
	    "        echo " EV "/error.log {\n"
	    "}\n"
	    "    endscript\n"
	    "    daily\n"
	    "}\n"
	    EV "/deploy/deploy.log {\n"
	    "    prerotate\n"
	    "        test -d / && { echo } ; }\n"
	    "    endscript\n"
	    "}\n");
	scan(f, "script.conf", -1, &r);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 0);
	h = hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(h->line, 9);
	assert_null(h->inactive);
	assert_int_equal(r.nnotes, 0);
	lr_result_free(&r);
}

/*
 * logrotate globs without GLOB_BRACE, and its '{' ends the file names
 * wherever it is: "{deploy,backup}" covers nothing, and the stanza is
 * dropped for the "deploy," that follows. The next one stands.
 */
static void
test_brace_pattern(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	size_t			 n;

	put(f, "brace.conf", 0644,
	    EV "/{deploy,backup}/*.log {\n"
	    "    daily\n"
	    "}\n"
	    EV "/error.log {\n"
	    "    daily\n"
	    "}\n");
	scan(f, "brace.conf", -1, &r);
	hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 0);
	hit_for(&r, EV "/backup/backup.log", &n);
	assert_int_equal(n, 0);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(h->line, 4);
	assert_null(h->inactive);
	lr_result_free(&r);
}

/* Hidden files: '*' skips them, ".*" takes them. */
static void
test_hidden(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	size_t			 n;

	put(f, "hidden.conf", 0644, EV "/* {\n}\n");
	scan(f, "hidden.conf", -1, &r);
	hit_for(&r, EV "/.secret.log", &n);
	assert_int_equal(n, 0);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	lr_result_free(&r);

	put(f, "hidden.conf", 0644, EV "/.*.log {\n}\n");
	scan(f, "hidden.conf", -1, &r);
	h = hit_for(&r, EV "/.secret.log", &n);
	assert_int_equal(n, 1);
	assert_null(h->inactive);
	assert_int_equal(r.nhits, 1);
	lr_result_free(&r);
}

/*
 * A config including itself: logrotate reads it again 16 deep, every copy
 * of the stanza but one is a duplicate. One hit, and a note.
 */
static void
test_include_loop(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	char			*a = path_of(f, "a.conf");
	char			*b = path_of(f, "b.conf");
	char			 name[32], next[128];
	size_t			 n, i;

	put(f, "a.conf", 0644, "include %s\n" EV "/error.log {\n}\n", a);
	scan(f, "a.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_null(h->inactive);
	assert_true(has_note(&r, "include loop"));
	assert_true(has_note(&r, "nested too deep"));
	lr_result_free(&r);

	put(f, "a.conf", 0644, "include %s\n" EV "/error.log {\n}\n", b);
	put(f, "b.conf", 0644, "include %s\n" EV "/deploy/deploy.log {\n}\n",
	    a);
	scan(f, "a.conf", -1, &r);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(lr_active(&r), 2);
	assert_true(has_note(&r, "include loop"));
	lr_result_free(&r);

	/* 16 includes deep is no loop, and logrotate's limit; 17 is not */
	for (i = 0; i < 17; i++) {
		snprintf(name, sizeof name, "c%zu.conf", i);
		snprintf(next, sizeof next, "%s/c%zu.conf", f->base, i + 1);
		put(f, name, 0644, "include %s\n", next);
	}
	put(f, "c16.conf", 0644, EV "/error.log {\n}\n");
	scan(f, "c0.conf", -1, &r);
	assert_int_equal(lr_active(&r), 1);
	assert_int_equal(r.nnotes, 0);
	lr_result_free(&r);
	put(f, "c16.conf", 0644, "include %s/c17.conf\n", f->base);
	put(f, "c17.conf", 0644, EV "/error.log {\n}\n");
	scan(f, "c0.conf", -1, &r);
	assert_int_equal(r.nhits, 0);
	assert_true(has_note(&r, "nested too deep"));
	lr_result_free(&r);
	free(a);
	free(b);
}

/* No logrotate installed: nothing to say, not an error. */
static void
test_missing_main(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	char			*p = path_of(f, "no/such/logrotate.conf");

	assert_int_equal(lr_scan(p, tree, NTREE, &r), 0);
	assert_int_equal(r.nhits, 0);
	assert_int_equal(r.nnotes, 0);
	lr_result_free(&r);
	free(p);

	/* but an include that is not there is worth a note */
	put(f, "main.conf", 0644, "include %s/gone.d\n" EV "/error.log {\n}\n",
	    f->base);
	scan(f, "main.conf", -1, &r);
	assert_int_equal(lr_active(&r), 1);
	assert_true(has_note(&r, "cannot read"));
	lr_result_free(&r);
}

/* Binary junk, long lines, unclosed things: notes, never a crash. */
static void
test_garbage(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	char			 junk[4096], *big, *huge;
	size_t			 i, n;
	unsigned		 seed = 12345;

	for (i = 0; i < sizeof junk; i++) {
		seed = seed * 1103515245 + 12345;
		junk[i] = (char)(seed >> 16);
	}
	assert_int_equal(lr_scan_text("junk", junk, sizeof junk, tree, NTREE,
	    &r), 0);
	assert_true(r.nnotes > 0);
	lr_result_free(&r);

	/* a NUL inside the file names ends them without a '{' */
	assert_int_equal(lr_scan_text("nul", EV "/error.log\0 {\n}\n", 22,
	    tree, NTREE, &r), 0);
	assert_int_equal(r.nhits, 0);
	assert_true(has_note(&r, "without a '{'"));
	lr_result_free(&r);

	/* a megabyte-long pattern, never closed */
	big = malloc(1 << 20);
	assert_non_null(big);
	memset(big, 'a', 1 << 20);
	big[0] = '/';
	assert_int_equal(lr_scan_text("big", big, 1 << 20, tree, NTREE, &r),
	    0);
	assert_int_equal(r.nhits, 0);
	assert_true(has_note(&r, "without a '{'"));
	lr_result_free(&r);
	free(big);

	/* unbalanced braces end the file; what came before stands */
	put(f, "brace.conf", 0644, EV "/error.log {\n}\n}\n{{{\n"
	    EV "/deploy/deploy.log {\n}\n");
	scan(f, "brace.conf", -1, &r);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 0);
	assert_true(has_note(&r, "unexpected '}'"));
	assert_int_equal(r.notes[0].line, 3);
	lr_result_free(&r);

	/* a script never ended: logrotate drops the stanza it is in */
	put(f, "script.conf", 0644, EV "/error.log {\n    postrotate\n"
	    "        echo }\n");
	scan(f, "script.conf", -1, &r);
	hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_int_equal(lr_active(&r), 0);
	assert_true(has_note(&r, "without endscript"));
	lr_result_free(&r);

	/* an unterminated quote takes the rest as one name: no match */
	put(f, "quote.conf", 0644, "\"" EV "/error.log {\n}\n");
	scan(f, "quote.conf", -1, &r);
	assert_int_equal(r.nhits, 0);
	lr_result_free(&r);

	/* logrotate refuses files of 16 MiB; as the main one, it fails */
	put(f, "huge.conf", 0644, EV "/error.log {\n}\n");
	huge = path_of(f, "huge.conf");
	assert_int_equal(truncate(huge, 0x1000000), 0);
	put(f, "main.conf", 0644, "include %s\n", huge);
	scan(f, "main.conf", -1, &r);
	assert_int_equal(r.nhits, 0);
	assert_true(has_note(&r, "too large"));
	lr_result_free(&r);
	assert_int_equal(lr_scan(huge, tree, NTREE, &r), -1);
	assert_true(has_note(&r, "too large"));
	lr_result_free(&r);
	free(huge);
}

/* An error inside a stanza drops it: it rotates nothing. */
static void
test_stanza_error(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	size_t			 n;

	put(f, "err.conf", 0644,
	    EV "/error.log {\n"
	    "    rotate seven\n"
	    "}\n"
	    EV "/deploy/deploy.log {\n"
	    "    compress}\n"
	    "}\n"
	    EV "/backup/backup.log {\n"
	    "    su nosuch-user-here root\n"
	    "}\n"
	    EV "/config_update/config_update.log {\n"
	    "    su root root\n"
	    "    create 0640 root root\n"
	    "}\n"
	    EV "/.secret.log {\n"
	    "    create 0640 root root extra\n"
	    "}\n");
	scan(f, "err.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_non_null(h->inactive);
	assert_non_null(strstr(h->inactive, "line 2"));
	h = hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_non_null(h->inactive);
	h = hit_for(&r, EV "/backup/backup.log", &n);
	assert_non_null(h->inactive);
	h = hit_for(&r, EV "/config_update/config_update.log", &n);
	assert_null(h->inactive);
	h = hit_for(&r, EV "/.secret.log", &n);
	assert_non_null(h->inactive);
	assert_int_equal(lr_active(&r), 1);
	lr_result_free(&r);
}

/*
 * Two quirks that decide whether a stanza survives. A file that fails has
 * its top-level settings rolled back: b's "su root" then lacks the group a
 * gave. And "rotate" without a value errs with the newline, so the error
 * state swallows the '}' after it: no '}' is left to drop the stanza.
 */
static void
test_rollback(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	char			*d = path_of(f, "rb.d");
	size_t			 n;

	assert_int_equal(mkdir(d, 0755), 0);
	put(f, "rb.d/a", 0644, "su root root\nrotate x\n");
	put(f, "rb.d/b", 0644, EV "/error.log {\n    su root\n}\n");
	put(f, "rb.conf", 0644, "include %s\n" EV "/deploy/deploy.log {\n"
	    "    rotate\n}\n", d);
	scan(f, "rb.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_int_equal(n, 1);
	assert_non_null(h->inactive);
	h = hit_for(&r, EV "/deploy/deploy.log", &n);
	assert_int_equal(n, 1);
	assert_null(h->inactive);
	assert_true(has_note(&r, "stops reading"));
	lr_result_free(&r);

	put(f, "rb.d/a", 0644, "su root root\n");
	scan(f, "rb.conf", -1, &r);
	assert_int_equal(lr_active(&r), 2);
	lr_result_free(&r);
	free(d);
}

/*
 * A second stanza with the same log is logrotate's error, unless the first
 * one says ignoreduplicates; either way the first one rotates it.
 */
static void
test_duplicates(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	size_t			 i;

	put(f, "dup.conf", 0644, EV "/error.log {\n}\n" EV "/*.log {\n}\n");
	scan(f, "dup.conf", -1, &r);
	assert_int_equal(r.nhits, 2);
	assert_null(r.hits[0].inactive);
	assert_int_equal(r.hits[0].line, 1);
	assert_non_null(r.hits[1].inactive);
	assert_non_null(strstr(r.hits[1].inactive, "duplicate"));
	lr_result_free(&r);

	put(f, "dup.conf", 0644, EV "/error.log {\n    ignoreduplicates\n}\n"
	    EV "/*.log {\n}\n");
	scan(f, "dup.conf", -1, &r);
	assert_int_equal(r.nhits, 2);
	for (i = 0; i < r.nhits; i++)
		if (r.hits[i].line == 4)
			assert_non_null(strstr(r.hits[i].inactive,
			    "ignoreduplicates"));
	assert_int_equal(lr_active(&r), 1);
	lr_result_free(&r);
}

/* Another name for the same file: a symlinked directory. */
static void
test_symlink(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	char			*real = path_of(f, "real");
	char			*link = path_of(f, "link");
	char			*log = path_of(f, "real/app.log");
	char			*conf = path_of(f, "link.conf");
	const char		*paths[1];

	assert_int_equal(mkdir(real, 0755), 0);
	assert_int_equal(symlink(real, link), 0);
	put(f, "real/app.log", 0640, "line\n");
	put(f, "link.conf", 0644, "%s/*.log {\n}\n", link);
	paths[0] = log;
	assert_int_equal(lr_scan(conf, paths, 1, &r), 0);
	assert_int_equal(r.nhits, 1);
	h = &r.hits[0];
	assert_string_equal(h->path, log);
	assert_null(h->inactive);
	lr_result_free(&r);
	free(real);
	free(link);
	free(log);
	free(conf);
}

/* Run by root, logrotate skips config files others could have written. */
static void
test_as_root(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	char			*d = path_of(f, "d");

	assert_int_equal(mkdir(d, 0755), 0);
	put(f, "main.conf", 0644, "include %s\n", d);
	put(f, "d/open", 0666, EV "/error.log {\n}\n");
	scan(f, "main.conf", 1, &r);
	assert_int_equal(r.nhits, 0);
	/* not root, the main file is already not owned by root */
	assert_true(has_note(&r, geteuid() == 0 ?
	    "writable by group or others" : "not owned by root"));
	lr_result_free(&r);

	scan(f, "main.conf", 0, &r);
	assert_int_equal(lr_active(&r), 1);
	lr_result_free(&r);

	if (geteuid() == 0) {
		put(f, "d/open", 0644, EV "/error.log {\n}\n");
		scan(f, "main.conf", 1, &r);
		assert_int_equal(lr_active(&r), 1);
		assert_int_equal(r.nnotes, 0);
		lr_result_free(&r);
	}
	free(d);
}

/*
 * 3.21 takes an include inside a stanza; a file that then fails empties
 * that stanza (copyLogInfo does not copy its file names back).
 */
static void
test_include_in_stanza(void **state)
{
	struct fixture		*f = *state;
	struct lr_result	 r;
	const struct lr_hit	*h;
	char			*inc = path_of(f, "inc.conf");
	size_t			 n;

	put(f, "main.conf", 0644, EV "/error.log {\n    include %s\n}\n", inc);
	put(f, "inc.conf", 0644, EV "/deploy/deploy.log {\n}\n");
	scan(f, "main.conf", -1, &r);
	assert_int_equal(lr_active(&r), 2);
	lr_result_free(&r);

	put(f, "inc.conf", 0644, EV "/deploy/deploy.log {\n    rotate x\n}\n");
	scan(f, "main.conf", -1, &r);
	h = hit_for(&r, EV "/error.log", &n);
	assert_non_null(h->inactive);
	assert_non_null(strstr(h->inactive, "empties"));
	assert_int_equal(lr_active(&r), 0);
	lr_result_free(&r);
	free(inc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_one_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_include_dir, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_multi_pattern, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_script, setup, teardown),
		cmocka_unit_test_setup_teardown(test_brace_pattern, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_hidden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_loop, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_main, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stanza_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicates, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_as_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_include_in_stanza, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
