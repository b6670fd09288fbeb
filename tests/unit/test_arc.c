/*
 * Unit tests of the archive modules (arc-write.c, arc-read.c, arcdir.c),
 * each in a fresh mkdtemp tree: archives must come out
 * readable by GNU tar and bsdtar with a sidecar sha256sum accepts, damage
 * must be found, and a member that could not be read whole must never be
 * in a published archive. Faults are injected by -Wl,--wrap of fsx_read,
 * fsx_write_all and fsx_fsync (see the __wrap_ functions).
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>

#include "evmaint.h"
#include "arc.h"
#include "gz.h"
#include "gzb.h"
#include "hash.h"
#include "report.h"
#include "xmalloc.h"

#define STAMP	"20261125T020001"

struct fixture {
	char		 base[64];
	char		 arcdir[96];
	int		 srcfd;		/* base/src */
	int		 deployfd;	/* base/src/deploy */
	int		 arcfd;		/* base/arc */
	time_t		 stamp;
	struct report	*rep;
};

/* What the __wrap_ functions do; all off (zero) by default. */
static struct {
	ino_t		 read_ino;	/* fail reads of this file ... */
	uint64_t	 read_after;	/* ... once this much was read */
	uint64_t	 read_done;
	ino_t		 grow_ino;	/* append to this file at first read */
	int		 grow_dirfd;
	const char	*grow_name;
	long		 write_calls;
	long		 write_fail_at;	/* 1-based call number, 0: never */
	long		 fsync_calls;
	long		 fsync_fail_at;
} inj;

ssize_t	__real_fsx_read(int, void *, size_t);
ssize_t	__wrap_fsx_read(int, void *, size_t);
int	__real_fsx_write_all(int, const void *, size_t);
int	__wrap_fsx_write_all(int, const void *, size_t);
int	__real_fsx_fsync(int);
int	__wrap_fsx_fsync(int);

static const char	*tool(const char *, char *, size_t);
static int		 run(const char *, const char *, const char *, ...);
static void		 put(int, const char *, const void *, size_t);
static unsigned char	*slurp(int, const char *, size_t *);
static void		 sha(const void *, size_t, uint8_t *);
static int		 count_tmp(int);
static size_t		 count_entries(int);
static void		 make_gz(int, const char *, const char *, const char *);
static void		 make_tree(struct fixture *);
static struct arc_opts	 opts(struct fixture *, bool);
static void		 flip(int, const char *, size_t);
static size_t		 find(int, const char *, const void *, size_t);
static void		 free_members(struct arc_member *, size_t);
static void		 free_problems(char **, size_t);
static bool		 has_problem(char **, size_t, const char *);
static void		 check_extract(struct fixture *, const char *,
			    const char *, bool);
static char		*finish_report(struct fixture *, struct report *);
static void		 resign(struct fixture *, const char *);
static void		*verify_thread(void *);

ssize_t
__wrap_fsx_read(int fd, void *buf, size_t len)
{
	struct stat	st;
	ssize_t		n;
	int		afd;

	if ((inj.read_ino != 0 || inj.grow_ino != 0) && fstat(fd, &st) == 0) {
		if (st.st_ino == inj.grow_ino) {
			afd = openat(inj.grow_dirfd, inj.grow_name,
			    O_WRONLY | O_APPEND);
			if (afd != -1) {
				(void)!write(afd, "late line\n", 10);
				close(afd);
			}
			inj.grow_ino = 0;
		}
		if (st.st_ino == inj.read_ino) {
			if (inj.read_done >= inj.read_after) {
				errno = EIO;
				return -1;
			}
			n = __real_fsx_read(fd, buf, len);
			if (n > 0)
				inj.read_done += (uint64_t)n;
			return n;
		}
	}
	return __real_fsx_read(fd, buf, len);
}

int
__wrap_fsx_write_all(int fd, const void *buf, size_t len)
{
	if (++inj.write_calls == inj.write_fail_at) {
		errno = ENOSPC;
		return -1;
	}
	return __real_fsx_write_all(fd, buf, len);
}

int
__wrap_fsx_fsync(int fd)
{
	if (++inj.fsync_calls == inj.fsync_fail_at) {
		errno = EIO;
		return -1;
	}
	return __real_fsx_fsync(fd);
}

static const char *
tool(const char *name, char *path, size_t len)
{
	snprintf(path, len, "/usr/bin/%s", name);
	if (access(path, X_OK) == 0)
		return path;
	snprintf(path, len, "/bin/%s", name);
	return access(path, X_OK) == 0 ? path : NULL;
}

/* fork/exec in cwd with stdout to out (or /dev/null); the exit status. */
static int
run(const char *cwd, const char *out, const char *prog, ...)
{
	char	*argv[16];
	va_list	 ap;
	int	 argc = 0, status, fd;
	pid_t	 pid;

	argv[argc++] = (char *)prog;
	va_start(ap, prog);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	fflush(stdout);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		if (cwd != NULL && chdir(cwd) == -1)
			_exit(126);
		fd = out != NULL ? open(out, O_WRONLY | O_CREAT | O_TRUNC,
		    0600) : open("/dev/null", O_WRONLY);
		if (fd == -1)
			_exit(126);
		dup2(fd, 1);
		if ((fd = open("/dev/null", O_WRONLY)) != -1)
			dup2(fd, 2);
		execv(prog, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
put(int dirfd, const char *name, const void *buf, size_t len)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0640);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

static unsigned char *
slurp(int dirfd, const char *name, size_t *len)
{
	struct stat	 st;
	unsigned char	*buf;
	int		 fd = openat(dirfd, name, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size),
	    (ssize_t)st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void
sha(const void *buf, size_t len, uint8_t *out)
{
	hash_ctx ctx;

	hash_init(&ctx);
	hash_update(&ctx, buf, len);
	hash_final(&ctx, out);
}

static size_t
count_entries(int dirfd)
{
	int		 fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
	DIR		*d = fdopendir(fd);
	struct dirent	*de;
	size_t		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int
count_tmp(int dirfd)
{
	int		 fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
	DIR		*d = fdopendir(fd);
	struct dirent	*de;
	int		 n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, EVM_TMP_PREFIX,
		    strlen(EVM_TMP_PREFIX)) == 0)
			n++;
	closedir(d);
	return n;
}

/* A generation as evmaint makes it: our block engine, FNAME set. */
static void
make_gz(int dirfd, const char *name, const char *fname, const char *text)
{
	struct gz_opts		 o = { 6, fname, 1763424000 };
	struct gzb		*e = gzb_new(1);
	struct gzb_stream	*w;
	int			 fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	w = gzb_open(e, fd, &o);
	assert_non_null(w);
	assert_int_equal(gzb_feed(w, text, strlen(text)), 0);
	assert_int_equal(gzb_finish(w), 0);
	gzb_stream_free(w);
	gzb_free(e);
	close(fd);
}

static void
make_tree(struct fixture *f)
{
	char	*big = malloc(600 * 1024 + 1);
	size_t	 i;

	for (i = 0; i < 600 * 1024; i++)
		big[i] = (char)('a' + i % 23 + (i % 4099 == 0 ? 1 : 0));
	big[600 * 1024] = '\0';
	make_gz(f->deployfd, "deploy.log-20261118.gz", "deploy.log-20261118",
	    "2026-11-18 deploy started\n2026-11-18 deploy done\n");
	put(f->srcfd, "backup.log", "MARKER-backup line one\nline two\n", 32);
	put(f->srcfd, "x\xff.log", "not UTF-8 named\n", 16);
	put(f->srcfd, "big.log", big, 600 * 1024);
	free(big);
}

static struct arc_opts
opts(struct fixture *f, bool gz)
{
	struct arc_opts o;

	memset(&o, 0, sizeof o);
	o.gzip = gz;
	o.level = 6;
	o.stamp = f->stamp;
	o.mode = 0640;
	o.uid = getuid();
	o.gid = getgid();
	return o;
}

static void
flip(int dirfd, const char *name, size_t off)
{
	unsigned char	c;
	int		fd = openat(dirfd, name, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x21;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

static size_t
find(int dirfd, const char *name, const void *what, size_t len)
{
	size_t		 flen;
	unsigned char	*buf = slurp(dirfd, name, &flen);
	unsigned char	*p = memmem(buf, flen, what, len);
	size_t		 off;

	assert_non_null(p);
	off = (size_t)(p - buf);
	free(buf);
	return off;
}

static void
free_members(struct arc_member *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].error);
		m[i].error = NULL;
	}
}

static void
free_problems(char **p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i]);
	free(p);
}

static bool
has_problem(char **p, size_t n, const char *what)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strstr(p[i], what) != NULL)
			return true;
	return false;
}

/* What report_finish prints (JSON: every action and error). */
static char *
finish_report(struct fixture *f, struct report *r)
{
	char	out[160];
	size_t	len;
	int	saved, fd;

	snprintf(out, sizeof out, "%s/report", f->base);
	fflush(stdout);
	saved = dup(1);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	dup2(fd, 1);
	close(fd);
	report_finish(r, 0);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	return (char *)slurp(AT_FDCWD, out, &len);
}

static int
setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);
	int		 basefd;

	if (f == NULL)
		return -1;
	snprintf(f->base, sizeof f->base, "/tmp/test_arc.XXXXXX");
	if (mkdtemp(f->base) == NULL ||
	    (basefd = open(f->base, O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdirat(basefd, "src", 0755) == -1 ||
	    mkdirat(basefd, "arc", 0750) == -1 ||
	    (f->srcfd = openat(basefd, "src", O_RDONLY | O_DIRECTORY)) == -1 ||
	    (f->arcfd = openat(basefd, "arc", O_RDONLY | O_DIRECTORY)) == -1 ||
	    mkdirat(f->srcfd, "deploy", 0755) == -1 ||
	    (f->deployfd = openat(f->srcfd, "deploy",
	    O_RDONLY | O_DIRECTORY)) == -1) {
		free(f);
		return -1;
	}
	close(basefd);
	snprintf(f->arcdir, sizeof f->arcdir, "%s/arc", f->base);
	if (clock_parse_stamp(STAMP, &f->stamp) == -1) {
		free(f);
		return -1;
	}
	f->rep = report_new("test", -1, true, false);
	memset(&inj, 0, sizeof inj);
	make_tree(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	char		 rm[64];

	memset(&inj, 0, sizeof inj);
	close(f->srcfd);
	close(f->deployfd);
	close(f->arcfd);
	if (tool("rm", rm, sizeof rm) != NULL)
		run(NULL, NULL, rm, "-rf", f->base, NULL);
	report_free(f->rep);
	free(f);
	return 0;
}

/*
 * Extracts name with an external tar into a fresh directory and compares
 * every file with its source, the non-UTF-8 name included.
 */
static void
check_extract(struct fixture *f, const char *prog, const char *name, bool big)
{
	char		 path[160], out[160], ex[160];
	unsigned char	*a, *b;
	size_t		 la, lb;
	int		 exfd, exdeploy;

	snprintf(path, sizeof path, "%s/%s", f->arcdir, name);
	snprintf(ex, sizeof ex, "%s/ex-%s", f->base, strrchr(prog, '/') + 1);
	snprintf(out, sizeof out, "%s/list", f->base);
	assert_int_equal(mkdir(ex, 0700), 0);
	assert_int_equal(run(NULL, out, prog, "-tf", path, NULL), 0);
	a = slurp(AT_FDCWD, out, &la);
	assert_non_null(strstr((char *)a, "backup.log\n"));
	assert_non_null(strstr((char *)a, "deploy/deploy.log-20261118.gz\n"));
	free(a);
	assert_int_equal(run(NULL, NULL, prog, "-xf", path, "-C", ex, NULL),
	    0);
	exfd = open(ex, O_RDONLY | O_DIRECTORY);
	assert_true(exfd >= 0);
	exdeploy = openat(exfd, "deploy", O_RDONLY | O_DIRECTORY);
	assert_true(exdeploy >= 0);
	a = slurp(exfd, "x\xff.log", &la);
	b = slurp(f->srcfd, "x\xff.log", &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	a = slurp(exdeploy, "deploy.log-20261118.gz", &la);
	b = slurp(f->deployfd, "deploy.log-20261118.gz", &lb);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	free(a);
	free(b);
	if (big) {
		a = slurp(exfd, "big.log", &la);
		b = slurp(f->srcfd, "big.log", &lb);
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		free(a);
		free(b);
	}
	close(exdeploy);
	close(exfd);
}

#define MEMBERS(f) {							\
	{ .name = "deploy/deploy.log-20261118.gz", .dirfd = (f)->deployfd, \
	    .file = "deploy.log-20261118.gz" },				\
	{ .name = "backup.log", .dirfd = (f)->srcfd, .file = "backup.log", \
	    .live = true },						\
	{ .name = "x\xff.log", .dirfd = (f)->srcfd, .file = "x\xff.log" }, \
	{ .name = "big.log", .dirfd = (f)->srcfd, .file = "big.log" },	\
}

/*
 * A .tar of four members: the name, the sidecar (its hash computed here,
 * and sha256sum -c), the members' hashes and tar headers, GNU tar and
 * bsdtar listing and extracting, arc_check and arc_verify.
 */
static void
test_write_tar(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	struct archive		*a;
	struct archive_entry	*e;
	struct stat		 st, sst;
	char			*name, *err, **probs, hex[HASH_HEX_LEN];
	char			 want[256], prog[64];
	unsigned char		*buf;
	uint8_t			 h[HASH_LEN];
	size_t			 len, i, np;

	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);
	assert_non_null(name);
	assert_string_equal(name, "event-" STAMP ".tar");
	assert_false(report_failed(f->rep));
	for (i = 0; i < 4; i++) {
		assert_true(m[i].ok);
		assert_null(m[i].error);
		buf = slurp(m[i].dirfd, m[i].file, &len);
		assert_int_equal(m[i].size, len);
		sha(buf, len, h);
		assert_memory_equal(m[i].sha256, h, HASH_LEN);
		free(buf);
	}

	/* exactly the archive and its sidecar, at the configured mode */
	assert_int_equal(count_entries(f->arcfd), 2);
	assert_int_equal(fstatat(f->arcfd, name, &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	buf = slurp(f->arcfd, name, &len);
	sha(buf, len, h);
	free(buf);
	hash_hex(h, hex);
	snprintf(want, sizeof want, "%s  %s\n", hex, name);
	buf = slurp(f->arcfd, "event-" STAMP ".tar.sha256", &len);
	assert_string_equal((char *)buf, want);
	free(buf);
	assert_int_equal(fstatat(f->arcfd, "event-" STAMP ".tar.sha256", &st,
	    0), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	if (tool("sha256sum", prog, sizeof prog) != NULL)
		assert_int_equal(run(f->arcdir, NULL, prog, "-c",
		    "event-" STAMP ".tar.sha256", NULL), 0);

	/* headers: names, sizes, modes, owners and times from the sources */
	a = archive_read_new();
	archive_read_support_format_tar(a);
	snprintf(want, sizeof want, "%s/%s", f->arcdir, name);
	assert_int_equal(archive_read_open_filename(a, want, 10240),
	    ARCHIVE_OK);
	for (i = 0; i < 4; i++) {
		assert_true(archive_read_next_header(a, &e) >= ARCHIVE_WARN);
		assert_string_equal(archive_entry_pathname(e), m[i].name);
		assert_int_equal(fstatat(m[i].dirfd, m[i].file, &sst, 0), 0);
		assert_int_equal(archive_entry_size(e), sst.st_size);
		assert_int_equal(archive_entry_filetype(e), AE_IFREG);
		assert_int_equal(archive_entry_perm(e), sst.st_mode & 0777);
		assert_int_equal(archive_entry_uid(e), sst.st_uid);
		assert_int_equal(archive_entry_gid(e), sst.st_gid);
		assert_int_equal(archive_entry_mtime(e), sst.st_mtime);
		if (sst.st_uid == 0)
			assert_string_equal(archive_entry_uname(e), "root");
	}
	assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_EOF);
	archive_read_free(a);

	if (tool("tar", prog, sizeof prog) != NULL)
		check_extract(f, prog, name, true);
	if (tool("bsdtar", prog, sizeof prog) != NULL)
		check_extract(f, prog, name, true);

	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), 0);
	assert_null(err);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), 0);
	assert_int_equal(np, 0);
	free_problems(probs, np);
	free_members(m, 4);
	free(name);
}

/* One byte changed in a member's data, a header, or a .gz member. */
static void
test_corrupt_tar(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	char			*name, *err, **probs;
	size_t			 np, off;

	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);

	off = find(f->arcfd, name, "MARKER-backup", 13);
	flip(f->arcfd, name, off + 3);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	assert_string_equal(err, "member backup.log: SHA-256 mismatch");
	free(err);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_true(has_problem(probs, np, "SHA-256 does not match"));
	free_problems(probs, np);
	flip(f->arcfd, name, off + 3);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), 0);

	/* inside the .gz member: its own CRC is checked, even by verify */
	off = find(f->arcfd, name, "deploy.log-20261118\0", 20);
	flip(f->arcfd, name, off + 24);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	assert_non_null(strstr(err, "deploy/deploy.log-20261118.gz"));
	free(err);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_true(has_problem(probs,
	    np, "member deploy/deploy.log-20261118.gz: "));
	assert_true(np >= 2);
	free_problems(probs, np);
	flip(f->arcfd, name, off + 24);

	/* the first header's mode field: the header checksum fails */
	flip(f->arcfd, name, 101);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	free(err);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	free_problems(probs, np);
	free_members(m, 4);
	free(name);
}

static void
test_truncated(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	struct stat		 st;
	char			*name, *err, **probs;
	size_t			 np;
	int			 fd;

	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);
	assert_int_equal(fstatat(f->arcfd, name, &st, 0), 0);
	fd = openat(f->arcfd, name, O_WRONLY);
	assert_int_equal(ftruncate(fd, st.st_size / 2), 0);
	close(fd);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	assert_non_null(err);
	free(err);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_true(np >= 2);	/* unreadable and not what the sidecar says */
	free_problems(probs, np);

	/* a member missing at the end is missing, even at a block boundary */
	assert_int_equal(arc_check(f->arcfd, name, m, 1, &err), -1);
	free(err);
	free_members(m, 4);
	free(name);
}

/*
 * .tar.gz: gzip -t passes, the gzip header names the tar, and damage that
 * libarchive itself never sees (the gzip CRC) is caught by check and
 * verify, even with a sidecar that matches the damaged file.
 */
static void
test_write_targz(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, true);
	char			*name, *err, **probs, prog[64], path[160];
	char			 line[256], hex[HASH_HEX_LEN];
	unsigned char		*buf;
	uint8_t			 h[HASH_LEN];
	uint32_t		 mtime;
	size_t			 len, np;
	int			 fd;

	o.level = 9;
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);
	assert_string_equal(name, "event-" STAMP ".tar.gz");
	snprintf(path, sizeof path, "%s/%s", f->arcdir, name);
	if (tool("gzip", prog, sizeof prog) != NULL)
		assert_int_equal(run(NULL, NULL, prog, "-t", path, NULL), 0);
	if (tool("sha256sum", prog, sizeof prog) != NULL)
		assert_int_equal(run(f->arcdir, NULL, prog, "-c",
		    "event-" STAMP ".tar.gz.sha256", NULL), 0);
	buf = slurp(f->arcfd, name, &len);
	assert_int_equal(buf[3], 0x08);
	mtime = (uint32_t)buf[4] | (uint32_t)buf[5] << 8 |
	    (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
	assert_int_equal(mtime, (uint32_t)f->stamp);
	assert_string_equal((char *)buf + 10, "event-" STAMP ".tar");
	free(buf);
	if (tool("tar", prog, sizeof prog) != NULL)
		check_extract(f, prog, name, true);
	if (tool("bsdtar", prog, sizeof prog) != NULL)
		check_extract(f, prog, name, false);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), 0);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), 0);
	free_problems(probs, np);

	/* the stored CRC-32, then a sidecar rewritten to match */
	buf = slurp(f->arcfd, name, &len);
	free(buf);
	flip(f->arcfd, name, len - 6);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	assert_non_null(strstr(err, "CRC"));
	free(err);
	buf = slurp(f->arcfd, name, &len);
	sha(buf, len, h);
	free(buf);
	hash_hex(h, hex);
	snprintf(line, sizeof line, "%s  %s\n", hex, name);
	assert_int_equal(unlinkat(f->arcfd, "event-" STAMP ".tar.gz.sha256",
	    0), 0);
	put(f->arcfd, "event-" STAMP ".tar.gz.sha256", line, strlen(line));
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_int_equal(np, 1);
	assert_non_null(strstr(probs[0], "gzip: CRC mismatch"));
	free_problems(probs, np);
	flip(f->arcfd, name, len - 6);

	/* bytes after the gzip stream, even with a matching sidecar */
	fd = openat(f->arcfd, name, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "junk", 4), 4);
	close(fd);
	buf = slurp(f->arcfd, name, &len);
	sha(buf, len, h);
	free(buf);
	hash_hex(h, hex);
	snprintf(line, sizeof line, "%s  %s\n", hex, name);
	put(f->arcfd, "event-" STAMP ".tar.gz.sha256", line, strlen(line));
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_int_equal(np, 1);
	assert_non_null(strstr(probs[0], "gzip: trailing garbage"));
	free_problems(probs, np);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	free(err);
	fd = openat(f->arcfd, name, O_WRONLY);
	assert_int_equal(ftruncate(fd, (off_t)len - 4), 0);
	close(fd);
	len -= 4;

	/* the compressed stream, in the middle */
	flip(f->arcfd, name, len / 2);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), -1);
	free(err);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	free_problems(probs, np);
	free_members(m, 4);
	free(name);
}

/* Rewrites name's sidecar to match the file as it is now. */
static void
resign(struct fixture *f, const char *name)
{
	char		 line[256], hex[HASH_HEX_LEN], side[128];
	unsigned char	*buf;
	uint8_t		 h[HASH_LEN];
	size_t		 len;

	buf = slurp(f->arcfd, name, &len);
	sha(buf, len, h);
	free(buf);
	hash_hex(h, hex);
	snprintf(line, sizeof line, "%s  %s\n", hex, name);
	snprintf(side, sizeof side, "%s.sha256", name);
	put(f->arcfd, side, line, strlen(line));
}

/*
 * libarchive stops reading at the end-of-archive blocks: when much follows
 * them inside the gzip stream, its CRC is only checked because the rest of
 * the stream is read after libarchive is done.
 */
static void
test_gz_tail(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	struct gz_opts		 go = { 6, "event-" STAMP ".tar", 0 };
	struct gzb		*e = gzb_new(2);
	struct gzb_stream	*w;
	char			*name, *err, **probs;
	unsigned char		*tar, *zeros = calloc(1, 4 << 20);
	size_t			 len, np;
	int			 fd;

	assert_int_equal(arc_write(f->arcfd, m, 2, &o, f->rep, &name), 2);
	tar = slurp(f->arcfd, name, &len);
	fd = openat(f->arcfd, "event-" STAMP ".tar.gz", O_WRONLY | O_CREAT,
	    0640);
	w = gzb_open(e, fd, &go);
	assert_non_null(w);
	assert_int_equal(gzb_feed(w, tar, len), 0);
	assert_int_equal(gzb_feed(w, zeros, 4 << 20), 0);
	assert_int_equal(gzb_finish(w), 0);
	gzb_stream_free(w);
	gzb_free(e);
	close(fd);
	resign(f, "event-" STAMP ".tar.gz");
	assert_int_equal(arc_verify(f->arcfd, "event-" STAMP ".tar.gz", &probs,
	    &np), 0);
	assert_int_equal(arc_check(f->arcfd, "event-" STAMP ".tar.gz", m, 2,
	    &err), 0);

	free(tar);
	tar = slurp(f->arcfd, "event-" STAMP ".tar.gz", &len);
	flip(f->arcfd, "event-" STAMP ".tar.gz", len - 3);	/* ISIZE */
	resign(f, "event-" STAMP ".tar.gz");
	assert_int_equal(arc_verify(f->arcfd, "event-" STAMP ".tar.gz", &probs,
	    &np), -1);
	assert_int_equal(np, 1);
	assert_non_null(strstr(probs[0], "gzip: CRC mismatch"));
	free_problems(probs, np);
	assert_int_equal(arc_check(f->arcfd, "event-" STAMP ".tar.gz", m, 2,
	    &err), -1);
	assert_non_null(strstr(err, "gzip: CRC mismatch"));
	free(err);
	free(tar);

	/* and a plain tar's sidecar hash covers the bytes after the end */
	fd = openat(f->arcfd, name, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, zeros, 4 << 20), 4 << 20);
	close(fd);
	resign(f, name);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), 0);
	free(zeros);
	free_members(m, 4);
	free(name);
}

/* A taken name (archive or orphan sidecar) moves on to .1, .2, ... */
static void
test_collision(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	char			*name, *err;
	int			 i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(arc_write(f->arcfd, m, 2, &o, f->rep, &name),
		    2);
		if (i == 0)
			assert_string_equal(name, "event-" STAMP ".tar");
		else if (i == 1)
			assert_string_equal(name, "event-" STAMP ".1.tar");
		else
			assert_string_equal(name, "event-" STAMP ".2.tar");
		assert_int_equal(arc_check(f->arcfd, name, m, 2, &err), 0);
		free(name);
	}
	put(f->arcfd, "event-" STAMP ".3.tar.sha256", "x", 1);
	assert_int_equal(arc_write(f->arcfd, m, 2, &o, f->rep, &name), 2);
	assert_string_equal(name, "event-" STAMP ".4.tar");
	free(name);
	/* and a .tar.gz of the same stamp is a different name */
	o.gzip = true;
	assert_int_equal(arc_write(f->arcfd, m, 2, &o, f->rep, &name), 2);
	assert_string_equal(name, "event-" STAMP ".tar.gz");
	free(name);
	assert_int_equal(count_tmp(f->arcfd), 0);
	free_members(m, 4);
}

struct progress {
	int		 calls;
	uint64_t	 done, total;
	size_t		 files, nfiles;
	int		 dirfd;
	const char	*unlink;
};

static void
progress_cb(void *arg, uint64_t done, uint64_t total, size_t files,
    size_t nfiles)
{
	struct progress *p = arg;

	if (p->calls++ == 0 && p->unlink != NULL)
		unlinkat(p->dirfd, p->unlink, 0);
	p->done = done;
	p->total = total;
	p->files = files;
	p->nfiles = nfiles;
}

/*
 * A symlink, a hard link, a fifo, a missing file and one that disappears
 * once arc_write has started are left out, with a reason; the rest is
 * archived.
 */
static void
test_refused(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = {
		{ .name = "link.log", .dirfd = f->srcfd, .file = "link.log" },
		{ .name = "hard.log", .dirfd = f->srcfd, .file = "hard.log" },
		{ .name = "backup.log", .dirfd = f->srcfd, .file = "backup.log" },
		{ .name = "fifo.log", .dirfd = f->srcfd, .file = "fifo.log" },
		{ .name = "none.log", .dirfd = f->srcfd, .file = "none.log" },
		{ .name = "gone.log", .dirfd = f->srcfd, .file = "gone.log" },
		{ .name = "../evil.log", .dirfd = f->srcfd, .file = "big.log" },
	};
	struct arc_opts		 o = opts(f, false);
	struct progress		 p = { 0, 0, 0, 0, 0, f->srcfd, "gone.log" };
	char			*name, *err, **probs;
	size_t			 np;

	assert_int_equal(symlinkat("backup.log", f->srcfd, "link.log"), 0);
	assert_int_equal(linkat(f->srcfd, "big.log", f->srcfd, "hard.log", 0),
	    0);
	assert_int_equal(mkfifoat(f->srcfd, "fifo.log", 0600), 0);
	put(f->srcfd, "gone.log", "soon gone\n", 10);
	o.progress = progress_cb;
	o.progress_arg = &p;

	assert_int_equal(arc_write(f->arcfd, m, 7, &o, f->rep, &name), 1);
	assert_non_null(name);
	assert_false(m[0].ok);
	assert_string_equal(m[0].error, "is a symlink");
	assert_false(m[1].ok);
	assert_string_equal(m[1].error, "has 2 hard links");
	assert_true(m[2].ok);
	assert_null(m[2].error);
	assert_false(m[3].ok);
	assert_string_equal(m[3].error, "is a fifo");
	assert_false(m[4].ok);
	assert_string_equal(m[4].error, strerror(ENOENT));
	assert_false(m[5].ok);
	assert_string_equal(m[5].error, strerror(ENOENT));
	assert_false(m[6].ok);
	assert_string_equal(m[6].error, "unsafe member name");
	assert_true(p.calls >= 2);
	assert_int_equal(p.files, 1);
	assert_int_equal(p.nfiles, 7);
	assert_int_equal(p.done, 32);

	assert_int_equal(arc_check(f->arcfd, name, &m[2], 1, &err), 0);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), 0);
	free_problems(probs, np);
	free_members(m, 7);
	free(name);
}

/* Nothing to archive: nothing published, nothing left behind. */
static void
test_nothing(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = {
		{ .name = "a.log", .dirfd = f->srcfd, .file = "a.log" },
		{ .name = "b.log", .dirfd = f->srcfd, .file = "b.log" },
	};
	struct arc_opts		 o = opts(f, true);
	char			*name = (char *)"x";

	assert_int_equal(arc_write(f->arcfd, m, 0, &o, f->rep, &name), 0);
	assert_null(name);
	assert_int_equal(arc_write(f->arcfd, m, 2, &o, f->rep, &name), 0);
	assert_null(name);
	assert_false(m[0].ok || m[1].ok);
	assert_non_null(m[0].error);
	assert_int_equal(count_entries(f->arcfd), 0);
	assert_false(report_failed(f->rep));
	free_members(m, 2);
}

/*
 * EIO part-way through a source, after its header committed the tar to
 * its size: the attempt is thrown away and the archive written again
 * without that member, which is nowhere in what is published.
 */
static void
test_read_error_restart(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	struct stat		 st;
	char			*name, *err, **probs, prog[64], out[160];
	char			 path[160];
	unsigned char		*list;
	size_t			 len, np;

	assert_int_equal(fstatat(f->srcfd, "big.log", &st, 0), 0);
	inj.read_ino = st.st_ino;
	inj.read_after = 300 * 1024;
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 3);
	assert_true(inj.read_done > 0);
	assert_true(m[0].ok && m[1].ok && m[2].ok);
	assert_false(m[3].ok);
	assert_non_null(strstr(m[3].error, "read error"));
	assert_non_null(strstr(m[3].error, strerror(EIO)));
	assert_int_equal(count_tmp(f->arcfd), 0);
	assert_int_equal(count_entries(f->arcfd), 2);
	assert_int_equal(arc_check(f->arcfd, name, m, 3, &err), 0);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), 0);
	free_problems(probs, np);
	if (tool("tar", prog, sizeof prog) != NULL) {
		snprintf(out, sizeof out, "%s/list", f->base);
		snprintf(path, sizeof path, "%s/%s", f->arcdir, name);
		assert_int_equal(run(NULL, out, prog, "-tf", path, NULL), 0);
		list = slurp(AT_FDCWD, out, &len);
		assert_null(strstr((char *)list, "big.log"));
		assert_non_null(strstr((char *)list, "backup.log"));
		free(list);
	}
	free_members(m, 4);
	free(name);
}

/*
 * A live log is archived at the size it had when opened, though it grows;
 * a generation that grows while being read is left in the tree.
 */
static void
test_growing(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	struct stat		 st;
	char			*name, *err;

	assert_int_equal(fstatat(f->srcfd, "backup.log", &st, 0), 0);
	inj.grow_ino = st.st_ino;
	inj.grow_dirfd = f->srcfd;
	inj.grow_name = "backup.log";
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);
	assert_true(m[1].ok);
	assert_int_equal(m[1].size, 32);
	assert_int_equal(fstatat(f->srcfd, "backup.log", &st, 0), 0);
	assert_int_equal(st.st_size, 42);
	assert_int_equal(arc_check(f->arcfd, name, m, 4, &err), 0);
	free(name);

	assert_int_equal(fstatat(f->srcfd, "x\xff.log", &st, 0), 0);
	inj.grow_ino = st.st_ino;
	inj.grow_name = "x\xff.log";
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 3);
	assert_false(m[2].ok);
	assert_string_equal(m[2].error, "changed while being archived");
	assert_true(m[0].ok && m[1].ok && m[3].ok);
	assert_int_equal(count_tmp(f->arcfd), 0);
	free_members(m, 4);
	free(name);
}

/* ENOSPC on the tar or on the sidecar: nothing published, no temporary. */
static void
test_write_error(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	char			*name, *text;
	long			 calls;
	size_t			 i;

	inj.write_calls = 0;	/* the fixture's gz writer counted too */
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);
	free(name);
	calls = inj.write_calls;
	assert_true(calls >= 3);
	assert_int_equal(count_entries(f->arcfd), 2);

	/* the first write of the tar, then the last write (the sidecar) */
	for (i = 0; i < 2; i++) {
		inj.write_calls = 0;
		inj.write_fail_at = i == 0 ? 1 : calls;
		assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name),
		    -1);
		assert_null(name);
		assert_false(m[0].ok || m[1].ok || m[2].ok || m[3].ok);
		/* the archive's failure is reported once, not per member */
		assert_null(m[0].error);
		assert_int_equal(count_entries(f->arcfd), 2);
		assert_true(report_failed(f->rep));
	}
	/*
	 * .tar.gz: the gz writer's ENOSPC at the end of the stream, where
	 * libarchive would not pass it on, is an error about writing.
	 */
	report_free(f->rep);
	f->rep = report_new("test", -1, true, false);
	o.gzip = true;
	inj.write_calls = 0;
	inj.write_fail_at = 1;
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), -1);
	assert_int_equal(count_entries(f->arcfd), 2);
	text = finish_report(f, f->rep);
	assert_non_null(strstr(text, "event-" STAMP ".tar.gz: archive not "
	    "written: write: No space left on device"));
	free(text);
	free_members(m, 4);
}

/* EIO from fsync of the temporary, or of the directory after the rename. */
static void
test_fsync_error(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, true);
	char			*name;
	long			 calls;

	inj.fsync_calls = 0;
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), 4);
	free(name);
	calls = inj.fsync_calls;
	assert_int_equal(calls, 3);	/* archive, sidecar, directory */
	inj.fsync_calls = 0;
	inj.fsync_fail_at = 1;
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), -1);
	assert_int_equal(count_entries(f->arcfd), 2);
	inj.fsync_calls = 0;
	inj.fsync_fail_at = calls;
	assert_int_equal(arc_write(f->arcfd, m, 4, &o, f->rep, &name), -1);
	assert_null(name);
	assert_int_equal(count_entries(f->arcfd), 2);
	free_members(m, 4);
}

/* arc_check against expectations that do not hold. */
static void
test_check_expectations(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_member	 x[4];
	struct arc_opts		 o = opts(f, false);
	char			*name, *err;

	assert_int_equal(arc_write(f->arcfd, m, 3, &o, f->rep, &name), 3);
	memcpy(x, m, sizeof x);
	x[1].size++;
	assert_int_equal(arc_check(f->arcfd, name, x, 3, &err), -1);
	assert_string_equal(err, "member backup.log: size 32, expected 33");
	free(err);
	memcpy(x, m, sizeof x);
	x[2].sha256[0] ^= 1;
	assert_int_equal(arc_check(f->arcfd, name, x, 3, &err), -1);
	assert_string_equal(err, "member x\\xff.log: SHA-256 mismatch");
	free(err);
	memcpy(x, m, sizeof x);
	x[0].name = "deploy/other.gz";
	assert_int_equal(arc_check(f->arcfd, name, x, 3, &err), -1);
	assert_non_null(strstr(err, "expected deploy/other.gz"));
	free(err);
	assert_int_equal(arc_check(f->arcfd, name, m, 2, &err), -1);
	assert_non_null(strstr(err, "not expected"));
	free(err);
	memcpy(x, m, sizeof x);
	assert_int_equal(arc_check(f->arcfd, name, x, 4, &err), -1);
	assert_string_equal(err, "member big.log: missing");
	free(err);
	assert_int_equal(arc_check(f->arcfd, "nonexistent.tar", m, 3, &err),
	    -1);
	assert_non_null(strstr(err, "cannot open"));
	free(err);
	free_members(m, 4);
	free(name);
}

/* The sidecar: missing, naming another file, not a sha256sum line. */
static void
test_verify_sidecar(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, false);
	char			*name, **probs, *side, *line;
	unsigned char		*buf;
	size_t			 np, len;

	assert_int_equal(arc_write(f->arcfd, m, 2, &o, f->rep, &name), 2);
	xasprintf(&side, "%s.sha256", name);
	buf = slurp(f->arcfd, side, &len);

	assert_int_equal(unlinkat(f->arcfd, side, 0), 0);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_int_equal(np, 1);
	assert_non_null(strstr(probs[0], "missing"));
	free_problems(probs, np);

	xasprintf(&line, "%.64s  other.tar\n", (char *)buf);
	put(f->arcfd, side, line, strlen(line));
	free(line);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_true(has_problem(probs, np, "names another file"));
	free_problems(probs, np);

	put(f->arcfd, side, "hello\n", 6);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), -1);
	assert_true(has_problem(probs, np, "not a sha256sum line"));
	free_problems(probs, np);

	/* the binary-mode marker of sha256sum -b is fine */
	buf[65] = '*';
	put(f->arcfd, side, buf, len);
	assert_int_equal(arc_verify(f->arcfd, name, &probs, &np), 0);
	free_problems(probs, np);

	assert_int_equal(arc_verify(f->arcfd, "missing.tar", &probs, &np), -1);
	assert_int_equal(np, 1);
	assert_non_null(strstr(probs[0], "cannot open"));
	free_problems(probs, np);
	free(buf);
	free(side);
	free_members(m, 4);
	free(name);
}

struct vthread {
	struct fixture		*f;
	const char		*name;
	struct arc_member	*m;
	int			 fails;
};

static void *
verify_thread(void *arg)
{
	struct vthread	*v = arg;
	char		**probs, *err;
	size_t		 np;
	int		 i;

	for (i = 0; i < 4; i++) {
		if (arc_verify(v->f->arcfd, v->name, &probs, &np) != 0)
			v->fails++;
		free_problems(probs, np);
		if (arc_check(v->f->arcfd, v->name, v->m, 3, &err) != 0)
			v->fails++;
		free(err);
	}
	return NULL;
}

/* cmd-verify runs arc_verify from worker threads, all at once. */
static void
test_verify_threads(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = MEMBERS(f);
	struct arc_opts		 o = opts(f, true);
	struct vthread		 v[4];
	pthread_t		 t[4];
	char			*name;
	int			 i;

	assert_int_equal(arc_write(f->arcfd, m, 3, &o, f->rep, &name), 3);
	for (i = 0; i < 4; i++) {
		v[i].f = f;
		v[i].name = name;
		v[i].m = m;
		v[i].fails = 0;
		assert_int_equal(pthread_create(&t[i], NULL, verify_thread,
		    &v[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(v[i].fails, 0);
	}
	free_members(m, 4);
	free(name);
}

/*
 * A UTF-8 name is stored as standard pax UTF-8 (GNU tar does not know
 * hdrcharset and warns about it); only a name that is not UTF-8 needs
 * hdrcharset=BINARY. Both read back as the same bytes.
 */
static void
test_utf8_names(void **state)
{
	struct fixture		*f = *state;
	struct arc_member	 m[] = {
		{ .name = "caf\xc3\xa9.log", .dirfd = f->srcfd,
		    .file = "caf\xc3\xa9.log" },
		{ .name = "x\xff.log", .dirfd = f->srcfd, .file = "x\xff.log" },
		{ .name = "backup.log", .dirfd = f->srcfd, .file = "backup.log" },
	};
	struct arc_opts		 o = opts(f, false);
	unsigned char		*buf, *p;
	char			*name, *err;
	size_t			 len, n = 0;

	put(f->srcfd, "caf\xc3\xa9.log", "accent\n", 7);
	assert_int_equal(arc_write(f->arcfd, m, 3, &o, f->rep, &name), 3);
	buf = slurp(f->arcfd, name, &len);
	for (p = buf; (p = memmem(p, len - (size_t)(p - buf), "hdrcharset",
	    10)) != NULL; p++)
		n++;
	assert_int_equal(n, 1);
	assert_non_null(memmem(buf, len, "path=caf\xc3\xa9.log\n",
	    sizeof "path=caf\xc3\xa9.log\n" - 1));
	assert_non_null(memmem(buf, len, "path=x\xff.log\n",
	    sizeof "path=x\xff.log\n" - 1));
	free(buf);
	assert_int_equal(arc_check(f->arcfd, name, m, 3, &err), 0);
	free_members(m, 3);
	free(name);
}

/*
 * An archive made elsewhere with unsafe member names: verify names them.
 * arc_member_name_safe itself over a table.
 */
static void
test_member_names(void **state)
{
	struct fixture		*f = *state;
	static const struct {
		const char	*name;
		bool		 safe;
	} t[] = {
		{ "a", true }, { "deploy/deploy.log", true }, { "./a", true },
		{ "a/..b", true }, { "..a", true }, { "a..", true },
		{ "x\xff.log", true },
		{ "", false }, { "/abs", false }, { "../x", false },
		{ "a/../b", false }, { "a/..", false }, { "..", false },
		{ "//x", false },
	};
	const char		*bad[] = { "../x", "/abs" };
	struct archive		*a;
	struct archive_entry	*e;
	char			 path[160], line[256], hex[HASH_HEX_LEN];
	char			**probs;
	unsigned char		*buf;
	uint8_t			 h[HASH_LEN];
	size_t			 i, np, len;

	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		assert_int_equal(arc_member_name_safe(t[i].name), t[i].safe);
	assert_false(arc_member_name_safe(NULL));

	snprintf(path, sizeof path, "%s/event-" STAMP ".tar", f->arcdir);
	a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < 2; i++) {
		e = archive_entry_new();
		archive_entry_copy_pathname(e, bad[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, 3);
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, "hi\n", 3), 3);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	buf = slurp(f->arcfd, "event-" STAMP ".tar", &len);
	sha(buf, len, h);
	free(buf);
	hash_hex(h, hex);
	snprintf(line, sizeof line, "%s  event-" STAMP ".tar\n", hex);
	put(f->arcfd, "event-" STAMP ".tar.sha256", line, strlen(line));

	assert_int_equal(arc_verify(f->arcfd, "event-" STAMP ".tar", &probs,
	    &np), -1);
	assert_int_equal(np, 2);
	assert_string_equal(probs[0], "member ../x: unsafe name");
	assert_string_equal(probs[1], "member /abs: unsafe name");
	free_problems(probs, np);
}

static void
test_parse_name(void **state)
{
	static const struct {
		const char	*name;
		bool		 ok;
		int		 seq;
		bool		 gz;
	} t[] = {
		{ "event-20261125T020001.tar", true, 0, false },
		{ "event-20261125T020001.tar.gz", true, 0, true },
		{ "event-20261125T020001.1.tar", true, 1, false },
		{ "event-20261125T020001.12.tar.gz", true, 12, true },
		{ "event-20261125T020001.999.tar", true, 999, false },
		{ "event-20261125T020001.1000.tar", false, 0, false },
		{ "event-20261125T020001.0.tar", false, 0, false },
		{ "event-20261125T020001.01.tar", false, 0, false },
		{ "event-20261125T020001..tar", false, 0, false },
		{ "event-20261125T020001.tar.sha256", false, 0, false },
		{ "event-20261125T020001.tar.gz.sha256", false, 0, false },
		{ "event-20261125T020001.tgz", false, 0, false },
		{ "event-20261125T020001.tar.bz2", false, 0, false },
		{ "event-20261125T020001", false, 0, false },
		{ "event-20261125020001.tar", false, 0, false },
		{ "event-2026112T5020001.tar", false, 0, false },
		{ "event-20261325T020001.tar", false, 0, false },
		{ "event-20260230T020001.tar", false, 0, false },
		{ "event-20261125T250001.tar", false, 0, false },
		{ "event-20261125T02000a.tar", false, 0, false },
		{ "Event-20261125T020001.tar", false, 0, false },
		{ ".evmaint-tmp.event-20261125T020001.tar", false, 0, false },
		{ "event-20261125T020001.tar ", false, 0, false },
		{ "", false, 0, false },
	};
	time_t	stamp, want;
	int	seq;
	bool	gz;
	size_t	i;

	(void)state;
	assert_int_equal(clock_parse_stamp("20261125T020001", &want), 0);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		seq = -1;
		if (!t[i].ok) {
			if (arc_parse_name(t[i].name, &stamp, &seq, &gz))
				fail_msg("accepted %s", t[i].name);
			continue;
		}
		if (!arc_parse_name(t[i].name, &stamp, &seq, &gz))
			fail_msg("refused %s", t[i].name);
		assert_int_equal(stamp, want);
		assert_int_equal(seq, t[i].seq);
		assert_int_equal(gz, t[i].gz);
	}
	assert_true(arc_parse_name("event-20261125T020001.tar", NULL, NULL,
	    NULL));
}

static void
test_list(void **state)
{
	struct fixture		*f = *state;
	struct arc_entry	*v;
	size_t			 n;
	const char		*want[] = {
		"event-20261124T235959.tar.gz",
		"event-20261125T020001.tar",
		"event-20261125T020001.2.tar",
		"event-20261125T020001.10.tar",
		"event-20261201T000000.tar",
	};
	size_t			 i;

	put(f->arcfd, "event-20261125T020001.10.tar", "a", 1);
	put(f->arcfd, "event-20261201T000000.tar", "bb", 2);
	put(f->arcfd, "event-20261125T020001.tar", "ccc", 3);
	put(f->arcfd, "event-20261125T020001.tar.sha256", "x", 1);
	put(f->arcfd, "event-20261124T235959.tar.gz", "dddd", 4);
	put(f->arcfd, "event-20261125T020001.2.tar", "e", 1);
	put(f->arcfd, "event-20261201T000000.tar.sha256", "x", 1);
	put(f->arcfd, "notes.txt", "x", 1);
	put(f->arcfd, "event-bad.tar", "x", 1);
	put(f->arcfd, ".evmaint-tmp.event-20261126T000000.tar", "x", 1);
	assert_int_equal(symlinkat("event-20261125T020001.tar", f->arcfd,
	    "event-20261120T000000.tar"), 0);
	assert_int_equal(mkdirat(f->arcfd, "event-20261119T000000.tar", 0700),
	    0);

	assert_int_equal(arc_list(f->arcfd, &v, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++)
		assert_string_equal(v[i].name, want[i]);
	assert_true(v[0].gzip);
	assert_false(v[1].gzip);
	assert_int_equal(v[0].st.st_size, 4);
	assert_int_equal(v[1].st.st_size, 3);
	assert_true(v[1].has_sidecar);
	assert_true(v[4].has_sidecar);
	assert_false(v[0].has_sidecar || v[2].has_sidecar ||
	    v[3].has_sidecar);
	assert_int_equal(v[3].seq, 10);
	assert_true(v[0].stamp < v[1].stamp && v[3].stamp < v[4].stamp);
	arc_list_free(v, n);

	/* an empty directory lists nothing */
	assert_int_equal(arc_list(f->deployfd, &v, &n), 0);
	assert_int_equal(n, 0);
	arc_list_free(v, n);
}

static void
test_cleanup(void **state)
{
	struct fixture	*f = *state;
	struct report	*dry = report_new("test", 0, true, true);
	struct stat	 st;
	char		*buf;

	put(f->arcfd, ".evmaint-tmp.event-" STAMP ".tar", "x", 1);
	put(f->arcfd, ".evmaint-tmp.event-" STAMP ".tar.sha256", "x", 1);
	assert_int_equal(mkdirat(f->arcfd, ".evmaint-tmp.dir", 0700), 0);
	put(f->arcfd, "event-20261101T000000.tar.sha256", "x", 1);
	put(f->arcfd, "event-20261102T000000.tar", "x", 1);
	put(f->arcfd, "event-20261102T000000.tar.sha256", "x", 1);
	put(f->arcfd, "other.sha256", "x", 1);

	arc_cleanup(f->arcfd, f->arcdir, true, dry);
	assert_int_equal(count_entries(f->arcfd), 7);
	report_free(dry);

	arc_cleanup(f->arcfd, f->arcdir, false, f->rep);
	assert_int_equal(count_entries(f->arcfd), 4);
	assert_int_equal(fstatat(f->arcfd, ".evmaint-tmp.dir", &st, 0), 0);
	assert_int_equal(fstatat(f->arcfd, "event-20261102T000000.tar", &st,
	    0), 0);
	assert_int_equal(fstatat(f->arcfd, "event-20261102T000000.tar.sha256",
	    &st, 0), 0);
	assert_int_equal(fstatat(f->arcfd, "other.sha256", &st, 0), 0);
	/* a directory under evmaint's temp name is foreign: an error */
	assert_true(report_failed(f->rep));

	/* each removal was reported */
	buf = finish_report(f, f->rep);
	assert_non_null(strstr(buf, "/.evmaint-tmp.event-" STAMP ".tar\""));
	assert_non_null(strstr(buf, "/.evmaint-tmp.event-" STAMP
	    ".tar.sha256\""));
	assert_non_null(strstr(buf, "/event-20261101T000000.tar.sha256\""));
	assert_null(strstr(buf, "event-20261102T000000"));
	assert_non_null(strstr(buf, "leftover of an interrupted run"));
	assert_non_null(strstr(buf, "/.evmaint-tmp.dir"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_tar, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_tar, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_targz, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_gz_tail, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_collision, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_nothing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_read_error_restart, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_growing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_write_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_fsync_error, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_check_expectations, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_sidecar, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verify_threads, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_utf8_names, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_member_names, setup,
		    teardown),
		cmocka_unit_test(test_parse_name),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleanup, setup,
		    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
