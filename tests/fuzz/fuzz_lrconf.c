/*
 * The logrotate config reader on hostile text (bonus: `status` reads
 * /etc/logrotate.d, which a package may fill with anything). Its include
 * and glob keywords reach the file system, so the target is linked with
 * --wrap for those calls and confined to a fixture directory with a fixed
 * name (seeds can name it): anything else does not exist. That keeps a
 * fuzzer from globbing /proc or reading the machine's own configs, and
 * every run the same on every machine.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "lrconf.h"

#define FIX	"/tmp/evmaint-fuzz-lrconf"

static bool	fuzz_ready;
static bool	fuzz_confined;	/* only while lr_scan_text runs: libFuzzer's
				   own reads of its corpus pass through */

int	__real_open(const char *, int, ...);
int	__wrap_open(const char *, int, ...);
DIR	*__real_opendir(const char *);
DIR	*__wrap_opendir(const char *);
int	__real_stat(const char *, struct stat *);
int	__wrap_stat(const char *, struct stat *);
int	__real_lstat(const char *, struct stat *);
int	__wrap_lstat(const char *, struct stat *);
int	__real_glob(const char *, int, int (*)(const char *, int), glob_t *);
int	__wrap_glob(const char *, int, int (*)(const char *, int), glob_t *);

static const char *const fuzz_tree[] = {
	FIX "/event/error.log",
	FIX "/event/deploy/deploy.log",
	FIX "/event/new/new.log",		/* not written yet */
};

/* Inside the fixture, with no ".." that could climb out of it. */
static bool
fuzz_inside(const char *p)
{
	const char *c;

	if (!fuzz_confined)
		return true;
	if (strncmp(p, FIX, sizeof FIX - 1) != 0 ||
	    (p[sizeof FIX - 1] != '/' && p[sizeof FIX - 1] != '\0'))
		return false;
	for (c = p; (c = strstr(c, "/..")) != NULL; c += 3)
		if (c[3] == '/' || c[3] == '\0')
			return false;
	return true;
}

int
__wrap_open(const char *path, int flags, ...)
{
	va_list	ap;
	mode_t	mode = 0;

	if (flags & O_CREAT) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (!fuzz_inside(path) || (fuzz_confined &&
	    (flags & O_ACCMODE) != O_RDONLY)) {
		errno = ENOENT;
		return -1;
	}
	return __real_open(path, flags, mode);
}

DIR *
__wrap_opendir(const char *path)
{
	if (!fuzz_inside(path)) {
		errno = ENOENT;
		return NULL;
	}
	return __real_opendir(path);
}

int
__wrap_stat(const char *path, struct stat *sb)
{
	if (!fuzz_inside(path)) {
		errno = ENOENT;
		return -1;
	}
	return __real_stat(path, sb);
}

int
__wrap_lstat(const char *path, struct stat *sb)
{
	if (!fuzz_inside(path)) {
		errno = ENOENT;
		return -1;
	}
	return __real_lstat(path, sb);
}

/* Outside: GLOB_NOCHECK's answer for a pattern that matches nothing. */
int
__wrap_glob(const char *pat, int flags, int (*errfn)(const char *, int),
    glob_t *g)
{
	if (fuzz_inside(pat) && (!fuzz_confined || strchr(pat, '~') == NULL))
		return __real_glob(pat, flags, errfn, g);
	memset(g, 0, sizeof *g);
	if (!(flags & GLOB_NOCHECK))
		return GLOB_NOMATCH;
	g->gl_pathv = calloc(2, sizeof *g->gl_pathv);
	FUZZ_ASSERT(g->gl_pathv != NULL);
	g->gl_pathv[0] = strdup(pat);
	FUZZ_ASSERT(g->gl_pathv[0] != NULL);
	g->gl_pathc = 1;
	return 0;
}

/* Written whole under a temporary name: parallel fuzzers share it. */
static void
fuzz_fixture_file(const char *rel, const char *text)
{
	char	path[256], tmp[300];
	int	fd;

	snprintf(path, sizeof path, "%s/%s", FIX, rel);
	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	fd = __real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	FUZZ_ASSERT(fd != -1);
	FUZZ_ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	FUZZ_ASSERT(fchmod(fd, 0644) == 0);
	FUZZ_ASSERT(close(fd) == 0);
	FUZZ_ASSERT(rename(tmp, path) == 0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const dirs[] = { "", "/event", "/event/deploy",
	    "/event/new", "/conf.d", "/empty" };
	char path[256];

	(void)argc;
	(void)argv;
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		snprintf(path, sizeof path, "%s%s", FIX, dirs[i]);
		FUZZ_ASSERT(mkdir(path, 0755) == 0 || errno == EEXIST);
		FUZZ_ASSERT(chmod(path, 0755) == 0);
	}
	fuzz_fixture_file("event/error.log", "");
	fuzz_fixture_file("event/deploy/deploy.log", "x\n");
	fuzz_fixture_file("conf.d/tree", FIX "/event/*.log {\n"
	    "\tdaily\n\trotate 7\n\tcompress\n}\n");
	fuzz_fixture_file("conf.d/again", "include " FIX "/conf.d/tree\n");
	fuzz_fixture_file("conf.d/skip.dpkg-old", FIX "/event/deploy/*.log "
	    "{\n\tweekly\n}\n");
	fuzz_ready = true;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lr_result	r;
	size_t			i;

	if (!fuzz_ready)
		LLVMFuzzerInitialize(NULL, NULL);
	fuzz_confined = true;
	FUZZ_ASSERT(lr_scan_text("fuzz.conf", (const char *)data, size,
	    fuzz_tree, sizeof fuzz_tree / sizeof fuzz_tree[0], &r) == 0);
	fuzz_confined = false;
	FUZZ_ASSERT(lr_active(&r) <= r.nhits);
	for (i = 0; i < r.nhits; i++) {
		FUZZ_ASSERT(r.hits[i].file != NULL && r.hits[i].path != NULL);
		FUZZ_ASSERT(r.hits[i].pattern != NULL);
	}
	for (i = 0; i < r.nnotes; i++)
		FUZZ_ASSERT(r.notes[i].file != NULL && r.notes[i].msg != NULL);
	lr_result_free(&r);
	return 0;
}
