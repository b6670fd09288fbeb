/*
 * Unit tests of conf.c, mostly through conf_load_string: every key with good
 * and bad values, sections, the error messages (file:line, all of them in one
 * run), conf_finish's cross checks, conf_print parsing back, and the file
 * loader's refusals (missing, world-writable, not a regular file, NUL byte).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pwd.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "xmalloc.h"

#define NAME	"t.conf"

/* An expected error: its line (0: none) and a piece of its message. */
struct want {
	int		 line;
	const char	*sub;
};

/* One value for one key: accepted (shown back as shown) or refused (why). */
struct kv_case {
	const char	*key;
	const char	*value;
	bool		 ok;
	const char	*expect;	/* ok: conf_value_str; else: message */
};

static char	tmpdir[64];

static struct evm_config *parse(const char *, struct conf_errors *, int *);
static struct evm_config *parse_ok(const char *);
static void	 dump_errors(const struct conf_errors *);
static bool	 errors_match(const struct conf_errors *, const struct want *,
		    size_t);
static void	 errors_text(const struct conf_errors *, char *, size_t);
static void	 check_errors(const struct conf_errors *, const struct want *,
		    size_t);
static void	 expect_one_error(const char *, int, const char *);
static char	*value(const struct evm_config *, enum conf_id);
static char	*svalue(const struct evm_config *, const char *, enum conf_id);
static enum conf_id key_id(const char *);
static char	*print_conf(const struct evm_config *);
static char	*write_conf(const char *, const void *, size_t, mode_t);
static void	 run_kv_cases(const struct kv_case *, size_t);

/* ---------------------------------------------------------------- helpers */

/* Parses text as file NAME into a fresh config; rc gets the result. */
static struct evm_config *
parse(const char *text, struct conf_errors *e, int *rc)
{
	struct evm_config *cfg = conf_new();

	e->msg = NULL;
	e->n = 0;
	*rc = conf_load_string(cfg, text, NAME, e);
	return cfg;
}

/* Parses and finishes text that must be fine. */
static struct evm_config *
parse_ok(const char *text)
{
	struct conf_errors	 e;
	struct evm_config	*cfg;
	int			 rc;

	cfg = parse(text, &e, &rc);
	if (rc == 0)
		rc = conf_finish(cfg, &e);
	if (rc != 0 || e.n != 0) {
		print_error("config that should parse:\n%s\n", text);
		dump_errors(&e);
		fail_msg("conf_load_string/conf_finish refused a good config");
	}
	conf_errors_free(&e);
	return cfg;
}

static void
dump_errors(const struct conf_errors *e)
{
	size_t i;

	print_error("%zu error(s):\n", e->n);
	for (i = 0; i < e->n; i++)
		print_error("  [%zu] %s\n", i, e->msg[i]);
}

/*
 * Whether the errors are exactly w, in order: each one "NAME:LINE: ..." (or
 * "NAME: ..." for line 0) containing w[i].sub.
 */
static bool
errors_match(const struct conf_errors *e, const struct want *w, size_t n)
{
	char	prefix[64];
	size_t	i;

	if (e->n != n)
		return false;
	for (i = 0; i < n; i++) {
		if (w[i].line > 0)
			snprintf(prefix, sizeof prefix, NAME ":%d: ", w[i].line);
		else
			snprintf(prefix, sizeof prefix, NAME ": ");
		if (strncmp(e->msg[i], prefix, strlen(prefix)) != 0 ||
		    strstr(e->msg[i] + strlen(prefix), w[i].sub) == NULL)
			return false;
	}
	return true;
}

/* The messages, one a line, for a failure message. */
static void
errors_text(const struct conf_errors *e, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < e->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "  [%zu] %s\n",
		    i, e->msg[i]);
}

static void
check_errors(const struct conf_errors *e, const struct want *w, size_t n)
{
	size_t i;

	if (errors_match(e, w, n))
		return;
	dump_errors(e);
	print_error("expected:\n");
	for (i = 0; i < n; i++)
		print_error("  [%zu] " NAME ":%d: ...%s...\n", i, w[i].line,
		    w[i].sub);
	fail_msg("the errors are not the expected ones");
}

/* text must give exactly one error, at line, containing sub. */
static void
expect_one_error(const char *text, int line, const char *sub)
{
	struct conf_errors	 e;
	struct evm_config	*cfg;
	struct want		 w = { line, sub };
	int			 rc;

	cfg = parse(text, &e, &rc);
	if (rc != -1)
		print_error("input:\n%s\n", text);
	assert_int_equal(rc, -1);
	check_errors(&e, &w, 1);
	conf_errors_free(&e);
	conf_free(cfg);
}

static char *
value(const struct evm_config *cfg, enum conf_id id)
{
	return conf_value_str(cfg, &cfg->defaults, id, false);
}

/* The value of a per-log key for one log, as resolved by conf_finish. */
static char *
svalue(const struct evm_config *cfg, const char *rel, enum conf_id id)
{
	return conf_value_str(cfg, conf_logopts(cfg, rel), id, false);
}

static enum conf_id
key_id(const char *name)
{
	const struct conf_key	*keys;
	size_t			 n, i;

	keys = conf_keys(&n);
	for (i = 0; i < n; i++)
		if (strcmp(keys[i].name, name) == 0)
			return keys[i].id;
	fail_msg("no key %s in the table", name);
	return K_COUNT;
}

static char *
print_conf(const struct evm_config *cfg)
{
	char	*buf = NULL;
	size_t	 len = 0;
	FILE	*fp;

	fp = open_memstream(&buf, &len);
	assert_non_null(fp);
	conf_print(cfg, fp);
	assert_int_equal(fclose(fp), 0);
	return buf;
}

/* Writes a file in tmpdir at exactly mode; returns its path. */
static char *
write_conf(const char *name, const void *data, size_t len, mode_t mode)
{
	char	*path;
	int	 fd;

	xasprintf(&path, "%s/%s", tmpdir, name);
	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return path;
}

/*
 * Each case as "key = value" alone in the global part: accepted with the
 * shown value, or refused at line 1 naming the key, the default kept.
 */
static void
run_kv_cases(const struct kv_case *c, size_t n)
{
	struct evm_config	*def = conf_new(), *cfg;
	struct conf_errors	 e;
	char			*text, *got, *was, sub[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < n; i++) {
		enum conf_id id = key_id(c[i].key);

		xasprintf(&text, "%s = %s\n", c[i].key, c[i].value);
		cfg = parse(text, &e, &rc);
		if (c[i].ok) {
			if (rc != 0) {
				dump_errors(&e);
				fail_msg("refused: %s", text);
			}
			got = value(cfg, id);
			if (strcmp(got, c[i].expect) != 0)
				fail_msg("%s -> \"%s\", expected \"%s\"", text,
				    got, c[i].expect);
			free(got);
		} else {
			snprintf(sub, sizeof sub, NAME ":1: %s: ", c[i].key);
			if (rc != -1)
				fail_msg("accepted: %s", text);
			if (e.n != 1 || strncmp(e.msg[0], sub,
			    strlen(sub)) != 0 || strstr(e.msg[0],
			    c[i].expect) == NULL) {
				dump_errors(&e);
				fail_msg("%s: expected one error \"%s...%s...\"",
				    text, sub, c[i].expect);
			}
			got = value(cfg, id);
			was = value(def, id);
			if (strcmp(got, was) != 0)
				fail_msg("%s refused but changed the value to "
				    "\"%s\"", text, got);
			free(got);
			free(was);
		}
		conf_errors_free(&e);
		conf_free(cfg);
		free(text);
	}
	conf_free(def);
}

static int
group_setup(void **state)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_conf.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int
group_teardown(void **state)
{
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ------------------------------------------------------------ the tests */

/* The built-in defaults, as evmaint.conf(5) gives them. */
static void
test_defaults(void **state)
{
	static const struct { const char *key, *val; } def[] = {
		{ "root", "/srv/service/event" },
		{ "archive_dir", "/srv/service/backups/logs_archives" },
		{ "state_file", "/var/lib/evmaint/state" },
		{ "logs", "deploy/deploy.log backup/backup.log "
		    "config_update/config_update.log error.log" },
		{ "rotate", "7" },
		{ "compress", "yes" },
		{ "compress_level", "6" },
		{ "delaycompress", "no" },
		{ "dateext", "no" },
		{ "notifempty", "yes" },
		{ "maxsize", "0" },
		{ "mode", "0640" },
		{ "owner", "root" },
		{ "group", "root" },
		{ "dir_mode", "0750" },
		{ "archive_keep_days", "0" },
	};
	struct evm_config	*cfg = conf_new();
	struct conf_errors	 e = { NULL, 0 };
	char			*v, *out, line[256];
	size_t			 i;

	assert_null(cfg->file);
	for (i = 0; i < sizeof def / sizeof def[0]; i++) {
		v = value(cfg, key_id(def[i].key));
		assert_string_equal(v, def[i].val);
		free(v);
	}
	assert_int_equal(cfg->nlogs, 4);
	assert_int_equal(cfg->defaults.rotate, 7);
	assert_true(cfg->defaults.compress);
	assert_int_equal(cfg->defaults.compress_level, 6);
	assert_false(cfg->defaults.delaycompress);
	assert_false(cfg->defaults.dateext);
	assert_true(cfg->defaults.notifempty);
	assert_int_equal(cfg->defaults.maxsize, 0);
	assert_int_equal(cfg->mode, 0640);
	assert_int_equal(cfg->dir_mode, 0750);
	assert_int_equal(cfg->uid, 0);
	assert_int_equal(cfg->gid, 0);
	assert_int_equal(cfg->archive_keep_days, 0);
	for (i = 0; i < K_COUNT; i++)
		assert_int_equal(cfg->line[i], 0);

	/* The defaults pass conf_finish, named as such in check-config. */
	assert_int_equal(conf_finish(cfg, &e), 0);
	assert_int_equal(e.n, 0);
	out = print_conf(cfg);
	assert_non_null(strstr(out, "the built-in defaults"));
	for (i = 0; i < sizeof def / sizeof def[0]; i++) {
		snprintf(line, sizeof line, "\n%s = %s\n", def[i].key,
		    def[i].val);
		if (strstr(out, line) == NULL)
			fail_msg("conf_print of the defaults lacks \"%s\":\n%s",
			    line + 1, out);
	}
	free(out);
	conf_free(cfg);
}

/* The key table: unique names, per-log exactly where evmaint.conf(5) says. */
static void
test_key_table(void **state)
{
	static const char *per_log[] = { "rotate", "compress",
	    "compress_level", "delaycompress", "dateext", "notifempty",
	    "maxsize" };
	const struct conf_key	*k;
	size_t			 n, i, j;
	bool			 want;

	k = conf_keys(&n);
	assert_int_equal(n, K_COUNT);
	for (i = 0; i < n; i++) {
		assert_int_equal(k[i].id, (enum conf_id)i);
		assert_non_null(k[i].help);
		assert_true(k[i].help[0] != '\0');
		for (j = 0; j < i; j++)
			assert_string_not_equal(k[i].name, k[j].name);
		want = false;
		for (j = 0; j < sizeof per_log / sizeof per_log[0]; j++)
			if (strcmp(k[i].name, per_log[j]) == 0)
				want = true;
		if (k[i].per_log != want)
			fail_msg("key %s: per_log %d, evmaint.conf(5) says %d",
			    k[i].name, k[i].per_log, want);
	}
}

/*
 * Each key's value is where its type reads and writes it: the size at off
 * is the type's, inside its struct; per-log keys are numbers, booleans or
 * sizes (conf_free frees only global keys, and sections copy per-log
 * values byte for byte).
 */
static void
test_key_storage(void **state)
{
	const struct conf_key	*k;
	size_t			 n, i, want, in;

	k = conf_keys(&n);
	for (i = 0; i < n; i++) {
		switch (k[i].type) {
		case CT_PATH:
		case CT_OPTPATH:
		case CT_OWNER:
		case CT_GROUP:
			want = sizeof(char *);
			break;
		case CT_LOGLIST:
			want = sizeof(char **);
			break;
		case CT_INT:
			want = sizeof(int);
			break;
		case CT_BOOL:
			want = sizeof(bool);
			break;
		case CT_SIZE:
			want = sizeof(uint64_t);
			break;
		case CT_MODE:
			want = sizeof(mode_t);
			break;
		case CT_DURATION:
			want = sizeof(long long);
			break;
		default:
			fail_msg("key %s: unknown type %d", k[i].name,
			    (int)k[i].type);
			return;
		}
		if (k[i].size != want)
			fail_msg("key %s: %zu bytes at off, its type has %zu",
			    k[i].name, k[i].size, want);
		in = k[i].per_log ? sizeof(struct evm_logopts) :
		    sizeof(struct evm_config);
		assert_true(k[i].off + k[i].size <= in);
		if (k[i].per_log && k[i].type != CT_INT &&
		    k[i].type != CT_BOOL && k[i].type != CT_SIZE)
			fail_msg("per-log key %s is not a number, boolean or "
			    "size", k[i].name);
		assert_non_null(conf_type_name(k[i].type));
	}
}

/* The text of one ".It Cm KEY" entry of evmaint.conf(5)'s KEYS list. */
struct man_entry {
	char	*head;		/* the .It line */
	char	*body;		/* the lines after it, up to the next item */
};

/*
 * The KEYS section of evmaint.conf(5): its top-level items, in order.
 * Returns how many, at most max.
 */
static size_t
man_keys(const char *path, struct man_entry *ent, size_t max)
{
	FILE	*fp;
	char	 line[1024];
	bool	 in = false;
	int	 depth = 0;
	size_t	 n = 0, len;

	if ((fp = fopen(path, "r")) == NULL) {
		fail_msg("%s: %s", path, strerror(errno));
		return 0;	/* not reached: fail_msg jumps out */
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, ".Sh ", 4) == 0) {
			in = strcmp(line, ".Sh KEYS\n") == 0;
			continue;
		}
		if (!in)
			continue;
		if (strncmp(line, ".Bl ", 4) == 0)
			depth++;
		if (strncmp(line, ".El", 3) == 0)
			depth--;
		if (depth == 1 && strncmp(line, ".It ", 4) == 0) {
			if (n == max)
				fail_msg("%s: more than %zu keys", path, max);
			line[strcspn(line, "\n")] = '\0';
			ent[n].head = xstrdup(line);
			ent[n++].body = xstrdup("");
			continue;
		}
		if (n > 0 && depth >= 1) {
			len = strlen(ent[n - 1].body);
			ent[n - 1].body = xrealloc(ent[n - 1].body,
			    len + strlen(line) + 1);
			strcpy(ent[n - 1].body + len, line);
		}
	}
	fclose(fp);
	return n;
}

/* Whether s has word w, not followed by more of a number or a name. */
static bool
has_word(const char *s, const char *w)
{
	const char	*p;
	size_t		 n = strlen(w);

	for (p = s; (p = strstr(p, w)) != NULL; p++)
		if (p[n] == '\0' || !(isalnum((unsigned char)p[n]) ||
		    p[n] == '_'))
			return true;
	return false;
}

/* Key k set to v, as check-config prints it. */
static char *
printed_as(const struct conf_key *k, long long v)
{
	struct evm_config	*cfg;
	char			*text, *s;

	xasprintf(&text, "%s = %lld\n", k->name, v);
	cfg = parse_ok(text);
	s = value(cfg, k->id);
	conf_free(cfg);
	free(text);
	return s;
}

/*
 * evmaint.conf(5) against the table, both ways: its KEYS list names the
 * table's keys and no others, in the table's order (check-config's), each
 * as ".It Cm KEY Ar TYPE"; a per-log key's entry starts "Per log." and no
 * other does; every entry gives the key's default after "The default is",
 * and a number's or duration's entry its bounds, "from MIN ... to MAX", in
 * the form check-config prints.
 */
static void
test_man_page(void **state)
{
	struct man_entry	 ent[K_COUNT + 8];
	const struct conf_key	*k;
	const char		*srcdir = getenv("srcdir"), *def;
	char			*path, *copy, *w, *save, *lo, *hi, want[160];
	size_t			 n, nent, i;

	if (srcdir == NULL)
		skip();		/* run by hand, not by make check */
	xasprintf(&path, "%s/man/evmaint.conf.5", srcdir);
	k = conf_keys(&n);
	nent = man_keys(path, ent, sizeof ent / sizeof ent[0]);
	for (i = 0; i < nent || i < n; i++) {
		if (i >= n)
			fail_msg("evmaint.conf(5) documents a key the table does "
			    "not have: '%s'", ent[i].head);
		snprintf(want, sizeof want, ".It Cm %s Ar %s", k[i].name,
		    conf_type_name(k[i].type));
		if (i >= nent || strcmp(ent[i].head, want) != 0)
			fail_msg("evmaint.conf(5) KEYS item %zu: '%s', the table "
			    "says '%s'", i + 1, i < nent ? ent[i].head :
			    "(none)", want);
		if ((strncmp(ent[i].body, "Per log.\n", 9) == 0) !=
		    k[i].per_log)
			fail_msg("evmaint.conf(5): '%s' is %sper log, the table "
			    "says %s", k[i].name, k[i].per_log ? "not " : "",
			    k[i].per_log ? "per log" : "global");

		if ((def = strstr(ent[i].body, "The default is")) == NULL)
			fail_msg("evmaint.conf(5): '%s' gives no default",
			    k[i].name);
		if (*k[i].def == '\0' && strstr(def, "empty") == NULL)
			fail_msg("evmaint.conf(5): '%s' does not say its default "
			    "is empty", k[i].name);
		copy = xstrdup(k[i].def);
		for (w = strtok_r(copy, " ", &save); w != NULL;
		    w = strtok_r(NULL, " ", &save))
			if (!has_word(def, w))
				fail_msg("evmaint.conf(5): '%s' does not give its "
				    "default '%s' ('%s' missing)", k[i].name,
				    k[i].def, w);
		free(copy);

		if (k[i].type != CT_INT && k[i].type != CT_DURATION)
			continue;
		lo = printed_as(&k[i], k[i].min);
		hi = printed_as(&k[i], k[i].max);
		snprintf(want, sizeof want, "from %s", lo);
		if (!has_word(ent[i].body, want))
			fail_msg("evmaint.conf(5): '%s' does not give its lower "
			    "bound ('%s')", k[i].name, want);
		snprintf(want, sizeof want, "to %s", hi);
		if (!has_word(ent[i].body, want))
			fail_msg("evmaint.conf(5): '%s' does not give its upper "
			    "bound ('%s')", k[i].name, want);
		free(lo);
		free(hi);
	}
	for (i = 0; i < nent; i++) {
		free(ent[i].head);
		free(ent[i].body);
	}
	free(path);
}

static void
test_path_keys(void **state)
{
	static char longpath[PATH_MAX + 8];
	const struct kv_case c[] = {
		{ "root", "/srv/x", true, "/srv/x" },
		{ "root", "/srv/x/", true, "/srv/x" },
		{ "root", "/srv/x///", true, "/srv/x" },
		{ "root", "\"/srv/my logs\"", true, "/srv/my logs" },
		{ "root", "/srv/a#b", true, "/srv/a#b" },
		{ "root", "\"/srv/a #b\"", true, "/srv/a #b" },
		{ "root", "\"/srv/q\\\"x\\\\y\"", true, "/srv/q\"x\\y" },
		{ "root", "/srv/..x/y..", true, "/srv/..x/y.." },
		{ "archive_dir", "/backup/logs", true, "/backup/logs" },
		{ "state_file", "/var/lib/e/state", true, "/var/lib/e/state" },
		{ "root", "srv/x", false, "must be an absolute path" },
		{ "root", "./srv", false, "must be an absolute path" },
		{ "root", "~/logs", false, "must be an absolute path" },
		{ "root", "/", false, "must not be '/'" },
		{ "root", "///", false, "must not be '/'" },
		{ "archive_dir", "/", false, "must not be '/'" },
		{ "root", "/srv/../etc", false, "must not contain '..'" },
		{ "root", "/srv/..", false, "must not contain '..'" },
		{ "root", "/..", false, "must not contain '..'" },
		{ "archive_dir", "backups", false, "must be an absolute path" },
		{ "state_file", "state", false, "must be an absolute path" },
		{ "state_file", "/var/../state", false,
		    "must not contain '..'" },
		{ "root", "\"/srv", false, "unterminated quoted value" },
		{ "root", "\"/srv\" x", false, "text after the closing quote" },
		{ "root", "", false, "missing value" },
		{ "root", "\"\"", false, "missing value" },
		{ "root", longpath, false, "longer than PATH_MAX" },
	};

	longpath[0] = '/';
	memset(longpath + 1, 'a', PATH_MAX);
	longpath[PATH_MAX + 1] = '\0';
	run_kv_cases(c, sizeof c / sizeof c[0]);
}

static void
test_loglist(void **state)
{
	char name_max[NAME_MAX + 1 + 4], too_long[NAME_MAX + 2 + 4];
	const struct kv_case c[] = {
		{ "logs", "a.log", true, "a.log" },
		{ "logs", "a.log b/b.log", true, "a.log b/b.log" },
		{ "logs", "\ta.log \t b/b.log\t", true, "a.log b/b.log" },
		{ "logs", "", true, "" },
		{ "logs", "a.log # and a comment", true, "a.log" },
		{ "logs", "1/2/3/4/5/6/7/8/deep.log", true,
		    "1/2/3/4/5/6/7/8/deep.log" },
		{ "logs", name_max, true, name_max },
		{ "logs", "/abs.log", false, "'/abs.log' must be relative" },
		{ "logs", "a.log /abs.log", false,
		    "'/abs.log' must be relative" },
		{ "logs", "a/../b.log", false, "'.' or '..' component" },
		{ "logs", "../b.log", false, "'.' or '..' component" },
		{ "logs", "./b.log", false, "'.' or '..' component" },
		{ "logs", "a//b.log", false, "empty component" },
		{ "logs", "a/", false, "empty component" },
		{ "logs", "a.log b.log a.log", false,
		    "'a.log' is listed twice" },
		{ "logs", "a.log a.log.1", false,
		    "'a.log.1' is named like a generation of 'a.log'" },
		{ "logs", "d/a.log.2.gz", false,
		    "'d/a.log.2.gz' is named like a generation of 'd/a.log'" },
		{ "logs", "d/a.log-20261118", false,
		    "'d/a.log-20261118' is named like a generation of 'd/a.log'" },
		{ "logs", ".evmaint-tmp.x.log", false,
		    "temporary-file prefix" },
		{ "logs", "d/.evmaint-tmp.x/y.log", false,
		    "temporary-file prefix" },
		{ "logs", "1/2/3/4/5/6/7/8/9/deep.log", false,
		    "more than 8 directories deep" },
		{ "logs", too_long, false, "longer than NAME_MAX" },
	};

	memset(name_max, 'n', NAME_MAX - 4);
	strcpy(name_max + NAME_MAX - 4, ".log");
	memset(too_long, 'n', NAME_MAX - 3);
	strcpy(too_long + NAME_MAX - 3, ".log");
	run_kv_cases(c, sizeof c / sizeof c[0]);

	{
		struct evm_config *cfg = parse_ok("logs = x/a.log b.log\n");

		assert_int_equal(cfg->nlogs, 2);
		assert_string_equal(cfg->logs[0], "x/a.log");
		assert_string_equal(cfg->logs[1], "b.log");
		conf_free(cfg);
		cfg = parse_ok("logs =\n");
		assert_int_equal(cfg->nlogs, 0);
		conf_free(cfg);
	}
}

static void
test_int_keys(void **state)
{
	const struct kv_case c[] = {
		{ "rotate", "0", true, "0" },
		{ "rotate", "7", true, "7" },
		{ "rotate", "007", true, "7" },
		{ "rotate", "10000", true, "10000" },
		{ "rotate", "5 # five", true, "5" },
		{ "rotate", "5 ; five", true, "5" },
		{ "rotate", "5\t# five", true, "5" },
		{ "rotate", "\"5\"", true, "5" },
		{ "rotate", "10001", false, "out of range (0..10000)" },
		{ "rotate", "99999999999999999999", false, "out of range" },
		{ "rotate", "-1", false, "'-1' is not a number" },
		{ "rotate", "+5", false, "not a number" },
		{ "rotate", "five", false, "'five' is not a number" },
		{ "rotate", "5five", false, "not a number" },
		{ "rotate", "5#five", false, "not a number" },
		{ "rotate", "0x5", false, "not a number" },
		{ "rotate", "5.0", false, "not a number" },
		{ "rotate", "5 6", false, "not a number" },
		{ "rotate", "", false, "missing value" },
		{ "compress_level", "1", true, "1" },
		{ "compress_level", "9", true, "9" },
		{ "compress_level", "0", false, "out of range (1..9)" },
		{ "compress_level", "10", false, "out of range (1..9)" },
		{ "archive_keep_days", "0", true, "0" },
		{ "archive_keep_days", "36500", true, "36500" },
		{ "archive_keep_days", "36501", false,
		    "out of range (0..36500)" },
		{ "archive_keep_days", "-1", false, "not a number" },
	};

	run_kv_cases(c, sizeof c / sizeof c[0]);
}

static void
test_bool_keys(void **state)
{
	static const char *keys[] = { "compress", "delaycompress", "dateext",
	    "notifempty" };
	static const char *yes[] = { "yes", "YES", "Yes", "true", "True",
	    "on", "ON", "1", "yes # comment" };
	static const char *no[] = { "no", "NO", "false", "FALSE", "off",
	    "Off", "0", "\"no\"" };
	static const char *bad[] = { "y", "n", "2", "maybe", "yes please",
	    "enabled", "-1", "yes#x" };
	struct kv_case	c[4 * (9 + 8 + 8)];
	size_t		n = 0, i, j;

	for (i = 0; i < 4; i++) {
		for (j = 0; j < sizeof yes / sizeof yes[0]; j++)
			c[n++] = (struct kv_case){ keys[i], yes[j], true,
			    "yes" };
		for (j = 0; j < sizeof no / sizeof no[0]; j++)
			c[n++] = (struct kv_case){ keys[i], no[j], true,
			    "no" };
		for (j = 0; j < sizeof bad / sizeof bad[0]; j++)
			c[n++] = (struct kv_case){ keys[i], bad[j], false,
			    "is not yes or no" };
	}
	run_kv_cases(c, n);

	/* Each key lands in its own field. */
	{
		struct evm_config *cfg = parse_ok("compress = no\n"
		    "delaycompress = yes\ndateext = yes\nnotifempty = no\n");

		assert_false(cfg->defaults.compress);
		assert_true(cfg->defaults.delaycompress);
		assert_true(cfg->defaults.dateext);
		assert_false(cfg->defaults.notifempty);
		conf_free(cfg);
	}
}

static void
test_size_key(void **state)
{
	static const struct { const char *v; uint64_t n; } exact[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "1000", 1000 },
		{ "1k", 1024 },
		{ "1K", 1024 },
		{ "10M", 10ULL << 20 },
		{ "10m", 10ULL << 20 },
		{ "2G", 2ULL << 30 },
		{ "2g", 2ULL << 30 },
		{ "1048576G", 1ULL << 50 },
		{ "1125899906842624", 1ULL << 50 },
	};
	const struct kv_case c[] = {
		{ "maxsize", "0", true, "0" },
		{ "maxsize", "1536", true, "1536" },
		{ "maxsize", "1024", true, "1k" },
		{ "maxsize", "1536k", true, "1536k" },
		{ "maxsize", "2048k", true, "2M" },
		{ "maxsize", "1024M", true, "1G" },
		{ "maxsize", "100M # rotate big logs", true, "100M" },
		{ "maxsize", "1048576G", true, "1048576G" },
		{ "maxsize", "1048577G", false, "'1048577G' is too large" },
		{ "maxsize", "1125899906842625", false, "is too large" },
		{ "maxsize", "1073741825M", false, "is too large" },
		/* 2^34 G = 2^64: wraps to 0 if the product is not checked */
		{ "maxsize", "17179869184G", false, "is too large" },
		{ "maxsize", "18446744073709551616", false, "is too large" },
		{ "maxsize", "99999999999999999999999k", false, "too large" },
		{ "maxsize", "1.5M", false, "is not a size" },
		{ "maxsize", "1KB", false, "is not a size" },
		{ "maxsize", "1kk", false, "is not a size" },
		{ "maxsize", "1 M", false, "is not a size" },
		{ "maxsize", "1T", false, "is not a size" },
		{ "maxsize", "k", false, "is not a size" },
		{ "maxsize", "M10", false, "is not a size" },
		{ "maxsize", "-1", false, "is not a size" },
		{ "maxsize", "+1k", false, "is not a size" },
		{ "maxsize", "", false, "missing value" },
	};
	struct evm_config	*cfg;
	char			*text;
	size_t			 i;

	run_kv_cases(c, sizeof c / sizeof c[0]);
	for (i = 0; i < sizeof exact / sizeof exact[0]; i++) {
		xasprintf(&text, "maxsize = %s\n", exact[i].v);
		cfg = parse_ok(text);
		if (cfg->defaults.maxsize != exact[i].n)
			fail_msg("%s -> %llu, expected %llu", text,
			    (unsigned long long)cfg->defaults.maxsize,
			    (unsigned long long)exact[i].n);
		conf_free(cfg);
		free(text);
	}
}

static void
test_mode_keys(void **state)
{
	const struct kv_case c[] = {
		{ "mode", "0640", true, "0640" },
		{ "mode", "640", true, "0640" },
		{ "mode", "0600", true, "0600" },
		{ "mode", "0", true, "0000" },
		{ "mode", "0644 # world readable", true, "0644" },
		{ "mode", "0888", false, "not an octal mode" },
		{ "mode", "06400", false, "not an octal mode" },
		{ "mode", "rw-r-----", false, "not an octal mode" },
		{ "mode", "0o640", false, "not an octal mode" },
		{ "mode", "-640", false, "not an octal mode" },
		{ "mode", "0x1a0", false, "not an octal mode" },
		{ "mode", "4755", false, "setuid, setgid or sticky" },
		{ "mode", "2640", false, "setuid, setgid or sticky" },
		{ "mode", "1640", false, "setuid, setgid or sticky" },
		{ "mode", "", false, "missing value" },
		{ "dir_mode", "0700", true, "0700" },
		{ "dir_mode", "0750", true, "0750" },
		{ "dir_mode", "0755", true, "0755" },
		{ "dir_mode", "711", true, "0711" },
		{ "dir_mode", "0650", false, "must give the owner rwx" },
		{ "dir_mode", "0600", false, "must give the owner rwx" },
		{ "dir_mode", "0500", false, "must give the owner rwx" },
		{ "dir_mode", "0770", false, "lets group or others write" },
		{ "dir_mode", "0757", false, "lets group or others write" },
		{ "dir_mode", "0777", false, "lets group or others write" },
		{ "dir_mode", "1777", false, "setuid, setgid or sticky" },
		{ "dir_mode", "2750", false, "setuid, setgid or sticky" },
		{ "dir_mode", "07500", false, "not an octal mode" },
		{ "dir_mode", "drwxr-x---", false, "not an octal mode" },
	};
	struct evm_config *cfg;

	run_kv_cases(c, sizeof c / sizeof c[0]);
	cfg = parse_ok("mode = 0604\ndir_mode = 0711\n");
	assert_int_equal(cfg->mode, 0604);
	assert_int_equal(cfg->dir_mode, 0711);
	conf_free(cfg);
}

static void
test_owner_group(void **state)
{
	const struct kv_case c[] = {
		{ "owner", "root", true, "root" },
		{ "owner", "0", true, "0" },
		{ "owner", "4294967294", true, "4294967294" },
		{ "group", "root", true, "root" },
		{ "group", "0", true, "0" },
		{ "owner", "nosuchuser-evm", false,
		    "unknown user 'nosuchuser-evm'" },
		{ "owner", "\"no such user\"", false,
		    "unknown user 'no such user'" },
		/* (uid_t)-1 means "leave alone" to chown: never an owner */
		{ "owner", "4294967295", false, "unknown user '4294967295'" },
		{ "owner", "-1", false, "unknown user '-1'" },
		{ "owner", "99999999999", false, "unknown user" },
		{ "group", "nosuchgroup-evm", false,
		    "unknown group 'nosuchgroup-evm'" },
		{ "group", "4294967295", false, "unknown group" },
		{ "group", "-1", false, "unknown group" },
		{ "owner", "", false, "missing value" },
	};
	struct evm_config	*cfg;
	struct passwd		*pw;
	struct group		*gr;
	char			*text;

	run_kv_cases(c, sizeof c / sizeof c[0]);

	cfg = parse_ok("owner = 1234\ngroup = 4321\n");
	assert_int_equal(cfg->uid, 1234);
	assert_int_equal(cfg->gid, 4321);
	assert_string_equal(cfg->owner, "1234");
	assert_string_equal(cfg->group, "4321");
	conf_free(cfg);

	/* By name: the uid/gid of the account database. */
	pw = getpwnam("nobody");
	gr = getgrnam("nogroup");
	if (gr == NULL)
		gr = getgrnam("nobody");
	if (pw == NULL || gr == NULL)
		skip();
	xasprintf(&text, "owner = nobody\ngroup = %s\n", gr->gr_name);
	{
		uid_t uid = pw->pw_uid;
		gid_t gid = gr->gr_gid;

		cfg = parse_ok(text);
		assert_int_equal(cfg->uid, uid);
		assert_int_equal(cfg->gid, gid);
		assert_string_equal(cfg->owner, "nobody");
	}
	free(text);
	conf_free(cfg);
}

/* Sections override per-log keys; what they leave unset is the global value. */
static void
test_sections_inherit(void **state)
{
	struct evm_config *cfg;
	const struct evm_logopts *o;
	char *v;

	cfg = parse_ok(
	    "rotate = 3\n"
	    "compress = no\n"
	    "maxsize = 1M\n"
	    "delaycompress = yes\n"
	    "\n"
	    "[deploy/deploy.log]\n"
	    "rotate = 10\n"
	    "dateext = yes\n"
	    "\n"
	    "[backup/backup.log]\n"
	    "compress = yes\n"
	    "compress_level = 9\n"
	    "notifempty = no\n"
	    "maxsize = 0\n");
	assert_int_equal(cfg->nsections, 2);
	assert_string_equal(cfg->sections[0].path, "deploy/deploy.log");
	assert_int_equal(cfg->sections[0].line, 6);
	assert_int_equal(cfg->sections[1].line, 10);

	o = conf_logopts(cfg, "deploy/deploy.log");
	assert_ptr_not_equal(o, &cfg->defaults);
	assert_int_equal(o->rotate, 10);		/* overridden */
	assert_true(o->dateext);
	assert_false(o->compress);			/* inherited */
	assert_int_equal(o->compress_level, 6);	/* built-in default */
	assert_true(o->delaycompress);
	assert_true(o->notifempty);
	assert_int_equal(o->maxsize, 1 << 20);

	o = conf_logopts(cfg, "backup/backup.log");
	assert_int_equal(o->rotate, 3);
	assert_true(o->compress);
	assert_int_equal(o->compress_level, 9);
	assert_false(o->notifempty);
	assert_int_equal(o->maxsize, 0);		/* 0 overrides 1M */
	assert_false(o->dateext);

	/* Logs without a section get the global part. */
	o = conf_logopts(cfg, "error.log");
	assert_ptr_equal(o, &cfg->defaults);
	assert_int_equal(o->rotate, 3);
	assert_false(o->compress);
	/* Exact path only: no prefix or basename matching. */
	assert_ptr_equal(conf_logopts(cfg, "deploy.log"), &cfg->defaults);
	assert_ptr_equal(conf_logopts(cfg, "deploy/deploy.log.1"),
	    &cfg->defaults);
	assert_ptr_equal(conf_logopts(cfg, "x/deploy/deploy.log"),
	    &cfg->defaults);

	v = svalue(cfg, "deploy/deploy.log", K_MAXSIZE);
	assert_string_equal(v, "1M");
	free(v);
	v = svalue(cfg, "deploy/deploy.log", K_COMPRESS);
	assert_string_equal(v, "no");
	free(v);
	conf_free(cfg);

	/* No global part: sections inherit the built-in defaults. */
	cfg = parse_ok("[error.log]\nrotate = 30\n");
	o = conf_logopts(cfg, "error.log");
	assert_int_equal(o->rotate, 30);
	assert_true(o->compress);
	assert_int_equal(o->compress_level, 6);
	assert_true(o->notifempty);
	assert_int_equal(cfg->defaults.rotate, 7);
	conf_free(cfg);

	/* Blanks around the path are not part of it. */
	cfg = parse_ok("[  a/b.log\t]  # comment\nrotate = 1\n");
	assert_int_equal(conf_logopts(cfg, "a/b.log")->rotate, 1);
	conf_free(cfg);
}

/*
 * Inheritance happens in conf_finish, after everything is known: a global
 * value set after the section was read (a command-line override, or a second
 * source) still reaches it. In the file itself the global part comes first.
 */
static void
test_sections_inherit_late(void **state)
{
	struct evm_config	*cfg;
	struct conf_errors	 e = { NULL, 0 };
	int			 rc;

	cfg = parse("[a.log]\ncompress = no\n", &e, &rc);
	assert_int_equal(rc, 0);
	cfg->defaults.rotate = 42;
	cfg->defaults.dateext = true;
	assert_int_equal(conf_finish(cfg, &e), 0);
	assert_int_equal(conf_logopts(cfg, "a.log")->rotate, 42);
	assert_true(conf_logopts(cfg, "a.log")->dateext);
	assert_false(conf_logopts(cfg, "a.log")->compress);

	/* A second conf_finish resolves again and keeps the overrides. */
	cfg->defaults.rotate = 5;
	cfg->defaults.compress = true;
	assert_int_equal(conf_finish(cfg, &e), 0);
	assert_int_equal(conf_logopts(cfg, "a.log")->rotate, 5);
	assert_false(conf_logopts(cfg, "a.log")->compress);
	conf_errors_free(&e);
	conf_free(cfg);

	/* A key after a section header belongs to the section, not global. */
	cfg = parse_ok("rotate = 2\n[a.log]\nrotate = 9\n");
	assert_int_equal(cfg->defaults.rotate, 2);
	assert_int_equal(conf_logopts(cfg, "a.log")->rotate, 9);
	conf_free(cfg);
}

/* Every per-log key works in a section; every other key is refused there. */
static void
test_section_keys(void **state)
{
	const struct conf_key	*k;
	struct evm_config	*cfg;
	size_t			 n, i;
	char			*text, sub[128];

	cfg = parse_ok("[a.log]\nrotate = 1\ncompress = no\n"
	    "compress_level = 2\ndelaycompress = yes\ndateext = yes\n"
	    "notifempty = no\nmaxsize = 5k\n");
	{
		const struct evm_logopts *o = conf_logopts(cfg, "a.log");

		assert_int_equal(o->rotate, 1);
		assert_false(o->compress);
		assert_int_equal(o->compress_level, 2);
		assert_true(o->delaycompress);
		assert_true(o->dateext);
		assert_false(o->notifempty);
		assert_int_equal(o->maxsize, 5120);
	}
	/* ...and the global part is untouched. */
	assert_int_equal(cfg->defaults.rotate, 7);
	assert_true(cfg->defaults.compress);
	assert_int_equal(cfg->defaults.maxsize, 0);
	conf_free(cfg);

	k = conf_keys(&n);
	for (i = 0; i < n; i++) {
		if (k[i].per_log)
			continue;
		xasprintf(&text, "# a comment\n[a.log]\n%s = %s\n", k[i].name,
		    k[i].def);
		snprintf(sub, sizeof sub, "'%s' cannot be set per log",
		    k[i].name);
		expect_one_error(text, 3, sub);
		free(text);
	}

	/* A bad value in a section: the error, and the global value stays. */
	expect_one_error("[a.log]\nrotate = many\n", 2,
	    "rotate: 'many' is not a number");
}

static void
test_duplicates(void **state)
{
	struct evm_config	*cfg;
	struct conf_errors	 e;
	int			 rc;
	const struct want	 w1[] = { { 3, "'rotate' is set twice" } };
	const struct want	 w2[] = {
		{ 4, "'compress' is set twice in this section" } };
	const struct want	 w3[] = {
		{ 5, "section [a.log] is already defined at line 2" } };

	cfg = parse("rotate = 3\ncompress = no\nrotate = 4\n", &e, &rc);
	assert_int_equal(rc, -1);
	check_errors(&e, w1, 1);
	assert_int_equal(cfg->defaults.rotate, 3);	/* the first stands */
	assert_int_equal(cfg->line[K_ROTATE], 1);
	conf_errors_free(&e);
	conf_free(cfg);

	/* Duplicate root is also refused (not last-one-wins). */
	expect_one_error("root = /a\nroot = /b\n", 2, "'root' is set twice");

	cfg = parse("[a.log]\ncompress = no\nrotate = 1\ncompress = yes\n",
	    &e, &rc);
	assert_int_equal(rc, -1);
	check_errors(&e, w2, 1);
	conf_errors_free(&e);
	conf_free(cfg);

	cfg = parse("[b.log]\n[a.log]\nrotate = 1\n\n[a.log]\n", &e, &rc);
	assert_int_equal(rc, -1);
	check_errors(&e, w3, 1);
	assert_int_equal(cfg->nsections, 2);
	conf_errors_free(&e);
	conf_free(cfg);

	/* Same key globally and in a section, or in two sections: fine. */
	cfg = parse_ok("rotate = 3\n[a.log]\nrotate = 4\n[b.log]\nrotate = 5\n");
	assert_int_equal(cfg->defaults.rotate, 3);
	assert_int_equal(conf_logopts(cfg, "a.log")->rotate, 4);
	assert_int_equal(conf_logopts(cfg, "b.log")->rotate, 5);
	conf_free(cfg);

	/* A refused first value does not count as set. */
	cfg = parse("rotate = x\nrotate = 4\n", &e, &rc);
	assert_int_equal(e.n, 1);
	assert_int_equal(cfg->defaults.rotate, 4);
	conf_errors_free(&e);
	conf_free(cfg);
}

static void
test_syntax_errors(void **state)
{
	expect_one_error("rotat = 5\n", 1, "unknown key 'rotat'");
	expect_one_error("Rotate = 5\n", 1, "unknown key 'Rotate'");
	expect_one_error("logrotate_compat = yes\n", 1,
	    "unknown key 'logrotate_compat'");
	expect_one_error("[a.log]\nsize = 5\n", 2, "unknown key 'size'");
	expect_one_error("\nrotate 5\n", 2, "expected 'key = value'");
	expect_one_error("compress\n", 1, "expected 'key = value'");
	expect_one_error("= 5\n", 1, "unknown key ''");
	expect_one_error("[deploy/deploy.log\nrotate = 1\n", 1,
	    "missing ']'");
	expect_one_error("[a.log] rotate = 1\n", 1, "text after ']'");
	expect_one_error("root = \"/srv/event\n", 1,
	    "root: unterminated quoted value");
	expect_one_error("root = \"/srv/event\\\"\n", 1,
	    "root: unterminated quoted value");
	expect_one_error("root = \"/srv/event\" extra\n", 1,
	    "root: text after the closing quote");
	expect_one_error("rotate =\n", 1, "rotate: missing value");
	expect_one_error("rotate = # nothing\n", 1, "rotate: missing value");
}

static void
test_comments_and_quotes(void **state)
{
	struct evm_config	*cfg;

	cfg = parse_ok(
	    "# a comment\n"
	    "; another\n"
	    "   # indented\n"
	    "\t; indented with a tab\n"
	    "\n"
	    "rotate = 5 # five\n"
	    "root = \"/srv/a #b;c\" # quoted: # and ; are data\n"
	    "archive_dir = /arch/x#y\n"		/* '#' not after a blank */
	    "state_file =   \"/var/q\\\"s\\\\t\"\n"
	    "\tdateext\t=\tyes\t\n"
	    "[deploy/deploy.log] ; comment after a section\n"
	    "rotate = 2 ; two\n");
	assert_int_equal(cfg->defaults.rotate, 5);
	assert_string_equal(cfg->root, "/srv/a #b;c");
	assert_string_equal(cfg->archive_dir, "/arch/x#y");
	assert_string_equal(cfg->state_file, "/var/q\"s\\t");
	assert_true(cfg->defaults.dateext);
	assert_int_equal(conf_logopts(cfg, "deploy/deploy.log")->rotate, 2);
	conf_free(cfg);
	/* "3;three": the ';' is not preceded by a blank, so no comment. */
	expect_one_error("compress_level=3;three\n", 1, "not a number");

	/* CRLF line ends and a last line without a newline. */
	cfg = parse_ok("rotate = 4\r\n\r\n[a.log]\r\nrotate = 6\r\ndateext = yes");
	assert_int_equal(cfg->defaults.rotate, 4);
	assert_int_equal(conf_logopts(cfg, "a.log")->rotate, 6);
	assert_true(conf_logopts(cfg, "a.log")->dateext);
	conf_free(cfg);

	/* An empty input is the defaults. */
	cfg = parse_ok("");
	assert_int_equal(cfg->defaults.rotate, 7);
	assert_string_equal(cfg->file, NAME);
	conf_free(cfg);

	/* A long line is not cut (libinih cuts at 200 bytes). */
	{
		char *text, pad[1024];

		memset(pad, 'p', sizeof pad - 1);
		pad[sizeof pad - 1] = '\0';
		xasprintf(&text, "root = /srv/%s\nrotate = 1\n", pad);
		cfg = parse_ok(text);
		assert_int_equal(strlen(cfg->root), 5 + sizeof pad - 1);
		assert_int_equal(cfg->defaults.rotate, 1);
		conf_free(cfg);
		free(text);
	}
}

static void
test_bad_sections(void **state)
{
	static const struct { const char *hdr, *sub; } bad[] = {
		{ "[/srv/service/event/deploy/deploy.log]",
		    "must be relative to root" },
		{ "[/deploy.log]", "must be relative to root" },
		{ "[../x.log]", "'.' or '..' component" },
		{ "[deploy/../x.log]", "'.' or '..' component" },
		{ "[deploy/./x.log]", "'.' or '..' component" },
		{ "[deploy/..]", "'.' or '..' component" },
		{ "[deploy//x.log]", "empty component" },
		{ "[deploy/]", "empty component" },
		{ "[]", "is empty" },
		{ "[   ]", "is empty" },
		{ "[.evmaint-tmp.x.log]", "temporary-file prefix" },
		{ "[1/2/3/4/5/6/7/8/9/x.log]", "more than 8 directories deep" },
	};
	struct evm_config	*cfg;
	char			*text;
	size_t			 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		xasprintf(&text, "rotate = 1\n%s\n", bad[i].hdr);
		expect_one_error(text, 2, bad[i].sub);
		free(text);
	}
	expect_one_error("[/x.log]\n", 1, "like [deploy/deploy.log]");

	/* 8 directories deep is the limit the scanner also uses. */
	cfg = parse_ok("[1/2/3/4/5/6/7/8/x.log]\nrotate = 1\n");
	assert_int_equal(cfg->nsections, 1);
	conf_free(cfg);
}

/*
 * BUG (conf.c, conf_parse_section): after a refused section header the
 * parser goes back to the global part (p->section = NULL; for "missing ']'",
 * "text after ']'" and a duplicate header it stays in the previous section),
 * so the keys that follow are applied and checked as global ones: a per-log
 * key also set globally gets a spurious "'rotate' is set twice", and a
 * global-only key under the bad header ("root") is accepted silently
 * instead of "cannot be set per log". Expected: the keys of a refused
 * section are checked as section keys and applied nowhere.
 */
static void
test_bad_section_then_keys(void **state)
{
	struct evm_config	*cfg;
	struct conf_errors	 e;
	char			 got[2048];
	int			 rc, rotate;
	bool			 root_kept, match;
	const struct want	 w[] = {
		{ 2, "section [/abs.log] must be relative" },
		{ 4, "'root' cannot be set per log" },
	};

	cfg = parse("rotate = 5\n[/abs.log]\nrotate = 3\nroot = /x\n", &e,
	    &rc);
	rotate = cfg->defaults.rotate;
	root_kept = strcmp(cfg->root, "/srv/service/event") == 0;
	match = errors_match(&e, w, 2);
	errors_text(&e, got, sizeof got);
	conf_errors_free(&e);
	conf_free(cfg);
	assert_int_equal(rc, -1);
	assert_int_equal(rotate, 5);
	if (!root_kept || !match)
		fail_msg("keys after the refused [/abs.log] were taken as "
		    "global ones (root %s); errors:\n%sexpected: line 2 "
		    "\"%s\", line 4 \"%s\"", root_kept ? "kept" :
		    "changed to /x", got, w[0].sub, w[1].sub);
}

/* Line numbers count every line: blank, comment, CRLF, section. */
static void
test_line_numbers(void **state)
{
	struct evm_config	*cfg;
	struct conf_errors	 e;
	int			 rc;
	const struct want	 w[] = {
		{ 3, "rotate: 'x' is not a number" },
		{ 6, "unknown key 'bogus'" },
		{ 9, "missing ']'" },
		{ 12, "compress: 'perhaps' is not yes or no" },
		{ 13, "'mode' cannot be set per log" },
	};

	cfg = parse(
	    "# line 1\n"
	    "\r\n"
	    "rotate = x\n"			/* 3 */
	    "; line 4\n"
	    "compress_level = 2\n"
	    "bogus = 1\n"			/* 6 */
	    "\n"
	    "[a.log]\n"
	    "[b.log\n"				/* 9 */
	    "# line 10\n"
	    "[c.log]\n"
	    "compress = perhaps\r\n"		/* 12 */
	    "mode = 0600\n"			/* 13 */
	    "rotate = 1", &e, &rc);
	assert_int_equal(rc, -1);
	check_errors(&e, w, sizeof w / sizeof w[0]);
	/* Parsing went on: the good lines between the errors were applied. */
	assert_int_equal(cfg->defaults.compress_level, 2);
	assert_int_equal(cfg->line[K_COMPRESS_LEVEL], 5);
	assert_int_equal(cfg->nsections, 2);
	conf_errors_free(&e);
	conf_free(cfg);
}

/* A config file name that is not UTF-8 is escaped in the messages. */
static void
test_error_name_escaped(void **state)
{
	struct evm_config	*cfg = conf_new();
	struct conf_errors	 e = { NULL, 0 };

	assert_int_equal(conf_load_string(cfg, "\nx = 1\n", "bad\xff\x01.conf",
	    &e), -1);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0],
	    "bad\\xff\\x01.conf:2: unknown key 'x'");
	conf_errors_free(&e);
	conf_free(cfg);
}

static void
test_finish_cross_checks(void **state)
{
	static const struct {
		const char	*text;
		int		 line;
		const char	*sub;
	} bad[] = {
		{ "root = /srv/event\narchive_dir = /srv/event/archives\n", 2,
		    "must not contain each other" },
		{ "root = /srv/event\narchive_dir = /srv/event\n", 2,
		    "must not contain each other" },
		{ "root = /srv/event\narchive_dir = /srv/event/\n", 2,
		    "must not contain each other" },
		{ "archive_dir = /srv\nroot = /srv/event\n", 1,
		    "must not contain each other" },
		/* archive_dir left at its default: the line of root */
		{ "rotate = 1\nroot = /srv/service/backups\n", 2,
		    "must not contain each other" },
		{ "root = /srv/event\n\nstate_file = /srv/event/.state\n", 3,
		    "state_file /srv/event/.state must not be inside root" },
		{ "root = /srv/event\nstate_file = /srv/event/a/b/state\n", 2,
		    "must not be inside root" },
		{ "root = /srv/event\nstate_file = /srv/event\n", 2,
		    "must not be inside root" },
	};
	static const char *good[] = {
		/* a common prefix is not containment */
		"root = /srv/event\narchive_dir = /srv/event2\n",
		"root = /srv/event2\narchive_dir = /srv/event\n",
		"root = /srv/event\nstate_file = /srv/event.state\n",
		("root = /srv/event\narchive_dir = /srv/arch\n"
		    "state_file = /srv/arch/state\n"),
	};
	struct evm_config	*cfg;
	struct conf_errors	 e;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct want w = { bad[i].line, bad[i].sub };

		cfg = parse(bad[i].text, &e, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(conf_finish(cfg, &e), -1);
		check_errors(&e, &w, 1);
		conf_errors_free(&e);
		conf_free(cfg);
	}
	/* "/" as the state file is refused while parsing, with its line */
	{
		struct want w = { 1, "state_file: must name a file" };

		cfg = parse("state_file = /\n", &e, &rc);
		assert_int_equal(rc, -1);
		check_errors(&e, &w, 1);
		conf_errors_free(&e);
		conf_free(cfg);
	}
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		conf_free(parse_ok(good[i]));

	/* Both checks fail: both reported. */
	cfg = parse("root = /a\narchive_dir = /a/b\nstate_file = /a/s\n", &e,
	    &rc);
	assert_int_equal(conf_finish(cfg, &e), -1);
	{
		const struct want w[] = { { 2, "must not contain each other" },
		    { 3, "must not be inside root" } };

		check_errors(&e, w, 2);
	}
	conf_errors_free(&e);
	conf_free(cfg);

	/* Command-line overrides (no file): named "built-in defaults". */
	cfg = conf_new();
	{
		char *why = NULL;

		assert_int_equal(conf_set_path(cfg, K_ARCHIVE_DIR,
		    "/srv/service/event/arch", &why), 0);
		assert_null(why);
		assert_int_equal(conf_finish(cfg, &e), -1);
		assert_int_equal(e.n, 1);
		assert_non_null(strstr(e.msg[0], "built-in defaults"));
		assert_non_null(strstr(e.msg[0], "must not contain each other"));
		assert_int_equal(conf_set_path(cfg, K_ROOT, "relative", &why),
		    -1);
		assert_non_null(why);
		free(why);
	}
	conf_errors_free(&e);
	conf_free(cfg);
}

/*
 * BUG (conf.c, conf_finish / conf_path_inside): the containment checks
 * compare path strings without normalising them, and conf_check_abspath
 * lets "//" and "." components through, so archive_dir = /srv//event/arch
 * (or root = /srv/./event) passes although archive_dir is inside root.
 * Expected: the same "must not contain each other" / "must not be inside
 * root" errors as for the plain spelling (or "//" and "." refused at parse).
 */
static void
test_finish_unnormalised_paths(void **state)
{
	static const char *bad[] = {
		"root = /srv/event\narchive_dir = /srv//event/arch\n",
		"root = /srv/./event\narchive_dir = /srv/event/arch\n",
		"root = /srv/event/.\narchive_dir = /srv/event/arch\n",
		"root = /srv/event\nstate_file = /srv/event/./state\n",
		"root = //srv/event\nstate_file = /srv/event/state\n",
	};
	struct evm_config	*cfg;
	struct conf_errors	 e;
	size_t			 i, nbad = 0;
	int			 rc;
	char			 accepted[1024] = "";

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cfg = parse(bad[i], &e, &rc);
		if (rc == 0)
			rc = conf_finish(cfg, &e);
		if (rc != -1) {
			nbad++;
			strncat(accepted, bad[i], sizeof accepted -
			    strlen(accepted) - 1);
			strncat(accepted, "--\n", sizeof accepted -
			    strlen(accepted) - 1);
		}
		conf_errors_free(&e);
		conf_free(cfg);
	}
	if (nbad > 0)
		fail_msg("%zu config(s) whose archive_dir or state_file is "
		    "inside root were accepted:\n%s", nbad, accepted);
}

/* Several errors in one run, in file order, and the return value. */
static void
test_several_errors(void **state)
{
	struct evm_config	*cfg;
	struct conf_errors	 e;
	int			 rc;
	const struct want	 w[] = {
		{ 1, "unknown key 'rotation'" },
		{ 2, "compress_level: 12 is out of range" },
		{ 4, "owner: unknown user 'nosuchuser-evm'" },
		{ 5, "dir_mode: 0770 lets group or others write" },
	};

	cfg = parse("rotation = 5\ncompress_level = 12\nrotate = 9\n"
	    "owner = nosuchuser-evm\ndir_mode = 0770\n", &e, &rc);
	assert_int_equal(rc, -1);
	check_errors(&e, w, 4);
	assert_int_equal(cfg->defaults.rotate, 9);
	assert_int_equal(cfg->defaults.compress_level, 6);
	assert_string_equal(cfg->owner, "root");
	assert_int_equal(cfg->dir_mode, 0750);

	/* Errors accumulate across calls; the return is about this call. */
	assert_int_equal(conf_load_string(cfg, "rotate = 1\n", "u.conf", &e),
	    -1);
	assert_int_equal(e.n, 5);
	assert_string_equal(e.msg[4], "u.conf:1: 'rotate' is set twice");
	conf_errors_free(&e);
	assert_null(e.msg);
	assert_int_equal(e.n, 0);
	conf_free(cfg);
}

/* check-config output parses back to the same configuration. */
static void
test_print_roundtrip(void **state)
{
	static const char *texts[] = {
		"",
		"root = \"/srv/my logs\"\n"
		"archive_dir = \"/backup/a #b;c\"\n"
		"state_file = \"/var/lib/q\\\"uote\\\\d/state\"\n"
		"logs = a.log b/b.log c/d/e.log\n"
		"rotate = 30\ncompress = no\ncompress_level = 1\n"
		"delaycompress = yes\ndateext = yes\nnotifempty = no\n"
		"maxsize = 1536k\nmode = 0600\nowner = 0\ngroup = 0\n"
		"dir_mode = 0700\narchive_keep_days = 365\n"
		"[b/b.log]\nrotate = 2\nmaxsize = 1025\n"
		"[c/d/e.log]\ncompress = yes\n"
		"[x y/with space.log]\ndateext = no\n",
		"logs =\nmaxsize = 3G\n[a.log]\n",
	};
	struct evm_config	*cfg, *cfg2;
	struct conf_errors	 e = { NULL, 0 };
	char			*out1, *out2;
	size_t			 i;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		cfg = parse_ok(texts[i]);
		out1 = print_conf(cfg);
		cfg2 = parse_ok(out1);
		out2 = print_conf(cfg2);
		if (strcmp(out1, out2) != 0)
			fail_msg("conf_print does not parse back the same:\n"
			    "--- first\n%s--- second\n%s", out1, out2);
		/* the resolved sections survive */
		assert_int_equal(cfg2->nsections, cfg->nsections);
		free(out1);
		free(out2);
		conf_free(cfg);
		conf_free(cfg2);
	}

	/* What it looks like. */
	cfg = parse_ok(texts[1]);
	out1 = print_conf(cfg);
	assert_non_null(strstr(out1, "from " NAME "\n"));
	assert_non_null(strstr(out1, "\nroot = \"/srv/my logs\"\n"));
	assert_non_null(strstr(out1, "\narchive_dir = \"/backup/a #b;c\"\n"));
	assert_non_null(strstr(out1,
	    "\nstate_file = \"/var/lib/q\\\"uote\\\\d/state\"\n"));
	assert_non_null(strstr(out1, "\nmaxsize = 1536k\n"));
	assert_non_null(strstr(out1, "\nmode = 0600\n"));
	assert_non_null(strstr(out1, "\n[b/b.log]\nrotate = 2\ncompress = no\n"));
	assert_non_null(strstr(out1, "\n[x y/with space.log]\n"));
	/* only per-log keys in a section */
	assert_null(strstr(strstr(out1, "[b/b.log]"), "root ="));
	free(out1);
	conf_free(cfg);
	conf_errors_free(&e);
}

/*
 * BUG (conf.c, conf_value_str case K_LOGS): the log list is printed without
 * quoting, so a log whose name starts with '#' or ';' (a legal relative path,
 * accepted from a quoted value) is printed after a blank and read back as a
 * comment: check-config's output does not parse back to the same logs.
 * Input: logs = "a.log #b.log"; printed: logs = a.log #b.log; reparsed:
 * logs = a.log. Expected: the printed list parses back to both logs.
 */
static void
test_print_roundtrip_logs(void **state)
{
	struct evm_config	*cfg, *cfg2;
	char			*out1, *out2;

	static char		 msg[4096];
	size_t			 n2;
	bool			 same;

	cfg = parse_ok("logs = \"a.log #b.log ;c.log\"\n");
	assert_int_equal(cfg->nlogs, 3);
	assert_string_equal(cfg->logs[1], "#b.log");
	out1 = print_conf(cfg);
	cfg2 = parse_ok(out1);
	out2 = print_conf(cfg2);
	n2 = cfg2->nlogs;
	same = strcmp(out1, out2) == 0;
	snprintf(msg, sizeof msg, "--- first\n%s--- second\n%s", out1, out2);
	free(out1);
	free(out2);
	conf_free(cfg);
	conf_free(cfg2);
	if (n2 != 3 || !same)
		fail_msg("logs = \"a.log #b.log ;c.log\" printed and parsed "
		    "back gives %zu log(s):\n%s", n2, msg);
}

/* quote=false gives the bare value (for JSON), quote=true config syntax. */
static void
test_value_str(void **state)
{
	struct evm_config	*cfg;
	char			*v;

	cfg = parse_ok("root = \"/srv/a b\"\n[x.log]\nrotate = 3\n");
	v = conf_value_str(cfg, &cfg->defaults, K_ROOT, false);
	assert_string_equal(v, "/srv/a b");
	free(v);
	v = conf_value_str(cfg, &cfg->defaults, K_ROOT, true);
	assert_string_equal(v, "\"/srv/a b\"");
	free(v);
	v = conf_value_str(cfg, &cfg->defaults, K_ARCHIVE_DIR, true);
	assert_string_equal(v, "/srv/service/backups/logs_archives");
	free(v);
	v = conf_value_str(cfg, conf_logopts(cfg, "x.log"), K_ROTATE, true);
	assert_string_equal(v, "3");
	free(v);
	v = conf_value_str(cfg, &cfg->defaults, K_ROTATE, true);
	assert_string_equal(v, "7");
	free(v);
	conf_free(cfg);

	v = conf_mode_str(0640);
	assert_string_equal(v, "0640");
	free(v);
	v = conf_mode_str(S_IFREG | 04755);
	assert_string_equal(v, "4755");
	free(v);
}

static void
test_check_relpath(void **state)
{
	static const char *good[] = { "a", "a.log", "deploy/deploy.log",
	    "..a", "a..", ".a/.b", "a b/c d.log", ".evmaint-tmp", "x/.evmaint-tm",
	    "1/2/3/4/5/6/7/8/x.log" };
	static const struct { const char *p, *sub; } bad[] = {
		{ "", "empty" },
		{ "/a", "relative to root" },
		{ "a//b", "empty component" },
		{ "a/", "empty component" },
		{ ".", "'.' or '..'" },
		{ "..", "'.' or '..'" },
		{ "a/./b", "'.' or '..'" },
		{ "a/..", "'.' or '..'" },
		{ ".evmaint-tmp.x", "temporary-file prefix" },
		{ "a/.evmaint-tmp.", "temporary-file prefix" },
		{ "1/2/3/4/5/6/7/8/9/x.log", "more than 8 directories deep" },
	};
	char		 big[NAME_MAX + 2];
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if ((why = conf_check_relpath(good[i])) != NULL)
			fail_msg("\"%s\" refused: %s", good[i], why);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		why = conf_check_relpath(bad[i].p);
		if (why == NULL || strstr(why, bad[i].sub) == NULL)
			fail_msg("\"%s\": got \"%s\", expected \"...%s...\"",
			    bad[i].p, why ? why : "(accepted)", bad[i].sub);
	}
	memset(big, 'x', NAME_MAX);
	big[NAME_MAX] = '\0';
	assert_null(conf_check_relpath(big));
	big[NAME_MAX] = 'x';
	big[NAME_MAX + 1] = '\0';
	assert_non_null(conf_check_relpath(big));
}

static void
test_load_file(void **state)
{
	static const char text[] = "# test\nrotate = 4\n[a/b.log]\n"
	    "dateext = yes\n";
	struct evm_config	*cfg;
	struct conf_errors	 e = { NULL, 0 };
	char			*path, *want;

	path = write_conf("good.conf", text, sizeof text - 1, 0644);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), 0);
	assert_int_equal(e.n, 0);
	assert_string_equal(cfg->file, path);
	assert_int_equal(cfg->defaults.rotate, 4);
	assert_int_equal(conf_finish(cfg, &e), 0);
	assert_true(conf_logopts(cfg, "a/b.log")->dateext);
	assert_int_equal(conf_logopts(cfg, "a/b.log")->rotate, 4);
	conf_free(cfg);
	free(path);

	/* The messages name the file and line. */
	path = write_conf("bad.conf", "rotate = 4\n\ncompress = nah\n", 27,
	    0600);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, false, &e), -1);
	assert_int_equal(e.n, 1);
	xasprintf(&want, "%s:3: compress: 'nah' is not yes or no", path);
	assert_string_equal(e.msg[0], want);
	free(want);
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);

	/* An empty file is the defaults. */
	path = write_conf("empty.conf", "", 0, 0644);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), 0);
	assert_int_equal(cfg->defaults.rotate, 7);
	conf_free(cfg);
	free(path);
}

static void
test_load_missing(void **state)
{
	struct evm_config	*cfg;
	struct conf_errors	 e = { NULL, 0 };
	char			*path;

	xasprintf(&path, "%s/does-not-exist.conf", tmpdir);

	/* The default path: missing means built-in defaults. */
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, false, &e), 0);
	assert_int_equal(e.n, 0);
	assert_null(cfg->file);
	assert_int_equal(conf_finish(cfg, &e), 0);
	conf_free(cfg);

	/* Given with --config: an error naming the file. */
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), -1);
	assert_int_equal(e.n, 1);
	assert_true(strncmp(e.msg[0], path, strlen(path)) == 0);
	assert_non_null(strstr(e.msg[0], strerror(ENOENT)));
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);

	/* Missing for another reason than ENOENT is an error either way. */
	xasprintf(&path, "%s/good.conf/x", tmpdir);
	free(write_conf("good.conf", "", 0, 0644));
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, false, &e), -1);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], strerror(ENOTDIR)));
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);
}

static void
test_load_refused(void **state)
{
	static const char text[] = "rotate = 99\n";
	struct evm_config	*cfg;
	struct conf_errors	 e = { NULL, 0 };
	char			*path, *big;
	size_t			 bigsz = 1024 * 1024 + 100, i;

	/* World-writable: refused, and nothing of it applied. */
	path = write_conf("ww.conf", text, sizeof text - 1, 0666);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), -1);
	assert_int_equal(e.n, 1);
	assert_true(strncmp(e.msg[0], path, strlen(path)) == 0);
	assert_non_null(strstr(e.msg[0], "writable by others"));
	assert_int_equal(cfg->defaults.rotate, 7);
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);
	path = write_conf("ww2.conf", text, sizeof text - 1, 0602);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, false, &e), -1);
	assert_non_null(strstr(e.msg[0], "writable by others"));
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);

	/* A directory. */
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, tmpdir, true, &e), -1);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "not a regular file"));
	conf_errors_free(&e);
	conf_free(cfg);

	/* A fifo: refused at once, without waiting for a writer. */
	xasprintf(&path, "%s/fifo.conf", tmpdir);
	assert_int_equal(mkfifo(path, 0600), 0);
	cfg = conf_new();
	alarm(10);	/* a blocking open would end the test program */
	assert_int_equal(conf_load_file(cfg, path, true, &e), -1);
	alarm(0);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "not a regular file"));
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);

	/* A NUL byte: not a text file. */
	path = write_conf("nul.conf", "rotate = 3\n\0\nrotate = 4\n", 24, 0644);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), -1);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "NUL byte"));
	assert_true(strncmp(e.msg[0], path, strlen(path)) == 0);
	assert_int_equal(cfg->defaults.rotate, 7);	/* nothing applied */
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);

	/* More than 1 MiB of comments. */
	big = xmalloc(bigsz);
	for (i = 0; i < bigsz; i++)
		big[i] = i % 64 == 63 ? '\n' : (i % 64 == 0 ? '#' : 'c');
	path = write_conf("big.conf", big, bigsz, 0644);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), -1);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "larger than 1 MiB"));
	conf_errors_free(&e);
	conf_free(cfg);
	free(path);
	/* ...while a file just under the limit loads. */
	path = write_conf("big2.conf", big, 1024 * 1024 - 64, 0644);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), 0);
	conf_free(cfg);
	free(path);
	free(big);

	/* Group-writable is allowed (the group is root's choice). */
	path = write_conf("gw.conf", text, sizeof text - 1, 0664);
	cfg = conf_new();
	assert_int_equal(conf_load_file(cfg, path, true, &e), 0);
	assert_int_equal(cfg->defaults.rotate, 99);
	conf_free(cfg);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_key_storage),
		cmocka_unit_test(test_man_page),
		cmocka_unit_test(test_path_keys),
		cmocka_unit_test(test_loglist),
		cmocka_unit_test(test_int_keys),
		cmocka_unit_test(test_bool_keys),
		cmocka_unit_test(test_size_key),
		cmocka_unit_test(test_mode_keys),
		cmocka_unit_test(test_owner_group),
		cmocka_unit_test(test_sections_inherit),
		cmocka_unit_test(test_sections_inherit_late),
		cmocka_unit_test(test_section_keys),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_comments_and_quotes),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_bad_section_then_keys),
		cmocka_unit_test(test_line_numbers),
		cmocka_unit_test(test_error_name_escaped),
		cmocka_unit_test(test_finish_cross_checks),
		cmocka_unit_test(test_finish_unnormalised_paths),
		cmocka_unit_test(test_several_errors),
		cmocka_unit_test(test_print_roundtrip),
		cmocka_unit_test(test_print_roundtrip_logs),
		cmocka_unit_test(test_value_str),
		cmocka_unit_test(test_check_relpath),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_refused),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
