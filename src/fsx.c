/*
 * The safe filesystem layer (see fsx.h). Functions return -1 with errno set,
 * as the system calls do, so callers build messages with strerror; the only
 * extra errno is EMLINK from fsx_open_read for a file whose link count or type
 * makes it unsafe to treat as a log (the caller asks fsx_refusal why).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evmaint.h"
#include "esc.h"
#include "fsx.h"
#include "xmalloc.h"

#define FSX_OPEN_FLAGS	(O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)
#define FSX_TMP_TRIES	10	/* temporary names tried for one file */

int
fsx_open_dir(int dirfd, const char *name)
{
	int fd;

	do
		fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | FSX_OPEN_FLAGS);
	while (fd == -1 && errno == EINTR);
	return fd;
}

/*
 * Calls fn(arg, name) for each entry of the directory dirfd but "." and
 * "..", through a descriptor of its own (dirfd's offset stays). fn returns
 * 0 to go on, or a positive value that stops the walk and is returned.
 * -1 with errno when the directory cannot be listed, also part way: a
 * listing cut short by EIO is an error, never a shorter listing, or the
 * names it did not reach would be passed over in silence.
 */
int
fsx_dir_each(int dirfd, int (*fn)(void *, const char *), void *arg)
{
	struct dirent	*de;
	DIR		*d;
	int		 fd, rc = 0, saved;

	if ((fd = fsx_open_dir(dirfd, ".")) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		saved = errno;
		fsx_close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			rc = errno != 0 ? -1 : 0;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((rc = fn(arg, de->d_name)) != 0)
			break;
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return rc;
}

/*
 * Opens a file for reading without ever blocking on a fifo or device, and
 * refuses (EMLINK, details from fsx_refusal) anything that is not a regular
 * file with a single link: a hard link would let a rename or unlink here
 * change a file somewhere else. O_NONBLOCK stays set: a regular file's
 * reads ignore it, and clearing it cost two system calls an open, five
 * opens a log on a night of 10,000 logs.
 */
int
fsx_open_read(int dirfd, const char *name, struct stat *st)
{
	int fd;

	do
		fd = openat(dirfd, name, O_RDONLY | O_NONBLOCK | FSX_OPEN_FLAGS);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1)
		goto fail;
	if (fsx_refusal(st) != NULL) {
		close(fd);
		errno = EMLINK;
		return -1;
	}
	return fd;
fail:
	{
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -1;
}

int
fsx_open_append(int dirfd, const char *name)
{
	int fd;

	do
		fd = openat(dirfd, name,
		    O_WRONLY | O_APPEND | O_NONBLOCK | FSX_OPEN_FLAGS);
	while (fd == -1 && errno == EINTR);
	return fd;
}

/*
 * Creates a new file that nobody else can have opened, at an owner-only mode,
 * then gives it its final owner and mode through the fd, before any byte is
 * written. On failure nothing is left behind.
 */
int
fsx_create(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid)
{
	int fd, saved;

	do
		fd = openat(dirfd, name, O_RDWR | O_CREAT | O_EXCL |
		    FSX_OPEN_FLAGS, 0600);
	while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	if (fchown(fd, uid, gid) == -1 || fchmod(fd, mode) == -1) {
		saved = errno;
		close(fd);
		unlinkat(dirfd, name, 0);
		errno = saved;
		return -1;
	}
	return fd;
}

int
fsx_mkdir(int dirfd, const char *name, mode_t mode)
{
	return mkdirat(dirfd, name, mode);
}

int
fsx_fstatat(int dirfd, const char *name, struct stat *st)
{
	return fstatat(dirfd, name, st, AT_SYMLINK_NOFOLLOW);
}

int
fsx_fstat(int fd, struct stat *st)
{
	return fstat(fd, st);
}

int
fsx_fchown(int fd, uid_t uid, gid_t gid)
{
	return fchown(fd, uid, gid);
}

int
fsx_fchmod(int fd, mode_t mode)
{
	return fchmod(fd, mode);
}

int
fsx_futimens(int fd, const struct timespec *ts)
{
	return futimens(fd, ts);
}

ssize_t
fsx_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n == -1 && errno == EINTR);
	return n;
}

ssize_t
fsx_pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n;

	do
		n = pread(fd, buf, len, off);
	while (n == -1 && errno == EINTR);
	return n;
}

int
fsx_write_all(int fd, const void *buf, size_t len)
{
	size_t done;

	return fsx_write_done(fd, buf, len, &done);
}

/*
 * fsx_write_all that says in *done how many bytes were written, also when
 * it fails: a caller that gives the rest elsewhere gives only the rest.
 */
int
fsx_write_done(int fd, const void *buf, size_t len, size_t *done)
{
	const char	*p = buf;
	ssize_t		 n;

	*done = 0;
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		*done += (size_t)n;
	}
	return 0;
}

/*
 * A failed fsync is final: the kernel may have dropped the dirty pages, so
 * retrying and getting success would lie. Only EINTR is retried.
 */
int
fsx_fsync(int fd)
{
	int rc;

	do
		rc = fsync(fd);
	while (rc == -1 && errno == EINTR);
	return rc;
}

int
fsx_syncfs(int fd)
{
	return syncfs(fd);
}

int
fsx_rename_noreplace(int odir, const char *old, int ndir, const char *new)
{
	return renameat2(odir, old, ndir, new, RENAME_NOREPLACE);
}

int
fsx_rename_replace(int odir, const char *old, int ndir, const char *new)
{
	return renameat2(odir, old, ndir, new, 0);
}

int
fsx_exchange(int odir, const char *old, int ndir, const char *new)
{
	return renameat2(odir, old, ndir, new, RENAME_EXCHANGE);
}

int
fsx_unlink(int dirfd, const char *name)
{
	return unlinkat(dirfd, name, 0);
}

int
fsx_rmdir(int dirfd, const char *name)
{
	return unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* close(2) errors after a successful fsync carry no news; EINTR is not retried. */
int
fsx_close(int fd)
{
	return fd >= 0 ? close(fd) : 0;
}

const char *
fsx_type_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:	return "a regular file";
	case S_IFDIR:	return "a directory";
	case S_IFLNK:	return "a symlink";
	case S_IFIFO:	return "a fifo";
	case S_IFSOCK:	return "a socket";
	case S_IFCHR:	return "a character device";
	case S_IFBLK:	return "a block device";
	default:	return "of an unknown type";
	}
}

/* Why a file must not be handled as a log or generation, or NULL. */
const char *
fsx_refusal(const struct stat *st)
{
	static __thread char buf[64];

	if (!S_ISREG(st->st_mode)) {
		snprintf(buf, sizeof buf, "is %s", fsx_type_name(st->st_mode));
		return buf;
	}
	if (st->st_nlink != 1) {
		snprintf(buf, sizeof buf, "has %ju hard links",
		    (uintmax_t)st->st_nlink);
		return buf;
	}
	return NULL;
}

/*
 * A user's name for messages ("nobody"), or "uid N" when it has none: an
 * operator reading "owned by nobody" knows at once whom to ask.
 */
const char *
fsx_user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd	 pw, *pwp = NULL;
	char		 pwbuf[1024];

	if (getpwuid_r(uid, &pw, pwbuf, sizeof pwbuf, &pwp) == 0 &&
	    pwp != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %ju", (uintmax_t)uid);
	return buf;
}

/*
 * Why a file or directory evmaint keeps its own data in (the state
 * directory, state file, journal, lock file) must not be used, or NULL.
 * Whoever owns or can write one of them steers what evmaint renames and
 * deletes (the journal) or blocks it (the lock), so only the user evmaint
 * runs as may, and nobody else may write to it.
 */
const char *
fsx_own_refusal(const struct stat *st)
{
	static __thread char	buf[160];
	char			who[64], me[64];

	if (st->st_uid != geteuid())
		snprintf(buf, sizeof buf, "owned by %s, not %s",
		    fsx_user_name(st->st_uid, who, sizeof who),
		    fsx_user_name(geteuid(), me, sizeof me));
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		snprintf(buf, sizeof buf, "writable by %s (mode %04o)",
		    (st->st_mode & S_IWOTH) ? "others" : "its group",
		    (unsigned)(st->st_mode & 07777));
	else
		return NULL;
	return buf;
}

/*
 * Opens one of evmaint's own files (see fsx_own_refusal) with flags: the
 * checks are made on the open fd, so nothing can be swapped in between.
 * A file that is not regular with one link fails with EMLINK, one that is
 * owned or writable by someone else with EPERM; st is filled in either way.
 */
int
fsx_open_own(int dirfd, const char *name, int flags, struct stat *st)
{
	int fd, saved;

	memset(st, 0, sizeof *st);	/* defined on every return */
	do
		fd = openat(dirfd, name, flags | O_NONBLOCK | FSX_OPEN_FLAGS);
	while (fd == -1 && errno == EINTR);
	/* EPERM is ours to say, with st filled in: the kernel's is EACCES */
	if (fd == -1) {
		if (errno == EPERM)
			errno = EACCES;
		return -1;
	}
	if (fstat(fd, st) == -1)
		saved = errno == EPERM ? EACCES : errno;
	else if (fsx_refusal(st) != NULL)
		saved = EMLINK;
	else if (fsx_own_refusal(st) != NULL)
		saved = EPERM;
	else
		return fd;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * Removes a temporary name before reusing it, but only if what is there is
 * the kind of file evmaint leaves (regular, one link): anything else was put
 * there by someone else, and is left for the caller's create to refuse.
 */
int
fsx_unlink_tmp(int dirfd, const char *name)
{
	struct stat st;

	if (fsx_fstatat(dirfd, name, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (fsx_refusal(&st) != NULL) {
		errno = EEXIST;
		return -1;
	}
	return fsx_unlink(dirfd, name);
}

bool
fsx_is_tmp_name(const char *name)
{
	return strncmp(name, EVM_TMP_PREFIX, sizeof EVM_TMP_PREFIX - 1) == 0;
}

/*
 * The temporary name for `final`, k-th choice: .evmaint-tmp.[K.]FINAL, or
 * when that would not fit in a file name (a log's name near NAME_MAX), the
 * same prefix with a hash of FINAL in its place: still one name per final
 * name, so that a leftover is found again, and recognised by its prefix.
 */
static char *
fsx_tmp_name_k(const char *final, int k)
{
	uint64_t	 h = 14695981039346656037ULL;
	const char	*c;
	char		*s, kbuf[16] = "";

	if (k > 0)
		snprintf(kbuf, sizeof kbuf, "%d.", k);
	if (sizeof EVM_TMP_PREFIX - 1 + strlen(kbuf) + strlen(final) <=
	    NAME_MAX) {
		xasprintf(&s, "%s%s%s", EVM_TMP_PREFIX, kbuf, final);
		return s;
	}
	for (c = final; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	/*
	 * A final name ending in .DIGITS (a process's own temporary, as
	 * run's NAME.PID) keeps them: the sweep of such leftovers must still
	 * tell whose process it was.
	 */
	c = strrchr(final, '.');
	if (c == NULL || c[1] == '\0' || strlen(c + 1) > 20 ||
	    strspn(c + 1, "0123456789") != strlen(c + 1))
		c = "";
	xasprintf(&s, "%s%slong-%016llx%s", EVM_TMP_PREFIX, kbuf,
	    (unsigned long long)h, c);
	return s;
}

char *
fsx_tmp_name(const char *final)
{
	return fsx_tmp_name_k(final, 0);
}

/*
 * Whether fsx_create_tmp could have given `final` the temporary name
 * `name`: a replayed journal may move only such a file into a log's slot.
 */
bool
fsx_is_tmp_name_of(const char *name, const char *final)
{
	char	*s;
	bool	 same = false;
	int	 k;

	if (!fsx_is_tmp_name(name) || *final == '\0')
		return false;
	for (k = 0; k < FSX_TMP_TRIES && !same; k++) {
		s = fsx_tmp_name_k(final, k);
		same = strcmp(s, name) == 0;
		free(s);
	}
	return same;
}

/*
 * Creates the temporary file for `final`: .evmaint-tmp.FINAL, replacing
 * an interrupted run's leftover; when something foreign sits on that name
 * (a planted symlink or hard link, left alone as it must be) the next of
 * .evmaint-tmp.N.FINAL is used. The name used is returned in *used.
 */
int
fsx_create_tmp(int dirfd, const char *final, mode_t mode, uid_t uid,
    gid_t gid, char **used)
{
	char	*name;
	int	 fd, k;

	for (k = 0; k < FSX_TMP_TRIES; k++) {
		name = fsx_tmp_name_k(final, k);
		/*
		 * The name is nearly always free: a leftover is removed only
		 * when the create meets one (not probed for before each of
		 * thousands of creates), and the name is tried once more.
		 */
		fd = fsx_create(dirfd, name, mode, uid, gid);
		if (fd == -1 && errno == EEXIST) {
			if (fsx_unlink_tmp(dirfd, name) == 0)
				fd = fsx_create(dirfd, name, mode, uid, gid);
			else
				errno = EEXIST;	/* not ours: the next name */
		}
		if (fd != -1) {
			*used = name;
			return fd;
		}
		free(name);
		if (errno != EEXIST)
			break;
	}
	*used = NULL;
	return -1;
}

/*
 * Writes a small file durably: temporary name at the final owner and mode,
 * data, fsync, rename into place (replacing only when asked), fsync of the
 * directory. A crash leaves either the old file or the new one, plus at most
 * a recognisable temporary file that the next run removes.
 */
int
fsx_publish_file(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode, uid_t uid, gid_t gid, bool replace)
{
	char	*tmp;
	int	 fd;

	if ((fd = fsx_create_tmp(dirfd, name, mode, uid, gid, &tmp)) == -1)
		return -1;
	return fsx_publish_done(dirfd, name, fd, tmp,
	    fsx_write_all(fd, data, len), replace);
}

/*
 * The rest of fsx_publish_file for a caller that wrote the temporary file
 * (from fsx_create_tmp) itself, rc -1 if that failed (errno told): fsync,
 * close, rename into place, fsync of the directory; or the temporary file
 * removed. Frees tmp; -1 with the first error in errno.
 */
int
fsx_publish_done(int dirfd, const char *name, int fd, char *tmp, int rc,
    bool replace)
{
	int	 saved;

	if (rc == 0)
		rc = fsx_fsync(fd);
	saved = errno;		/* the first error is the one to tell */
	if (close(fd) == -1 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && (rc = replace ? fsx_rename_replace(dirfd, tmp, dirfd,
	    name) : fsx_rename_noreplace(dirfd, tmp, dirfd, name)) == -1)
		saved = errno;
	if (rc == -1)
		(void)unlinkat(dirfd, tmp, 0);
	else if ((rc = fsx_fsync(dirfd)) == -1)
		saved = errno;
	free(tmp);
	errno = saved;
	return rc;
}

/*
 * Whether any process has the file open for writing, asked the only way the
 * kernel answers it: a read lease (F_SETLEASE F_RDLCK) is refused with
 * EAGAIN while a writable fd exists. The lease is dropped at once, so a
 * writer opening the file is never held up. Returns 1 (no writer), 0 (a
 * writer), -1 (cannot tell: no lease support on this filesystem).
 */
int
fsx_writers_absent(int fd)
{
	if (fcntl(fd, F_SETLEASE, F_RDLCK) == -1)
		return errno == EAGAIN ? 0 : -1;
	(void)fcntl(fd, F_SETLEASE, F_UNLCK);
	return 1;
}

/*
 * Reads one of evmaint's own small files (state, journal, run records)
 * whole into b, refusing one it does not own (fsx_open_own) and one over
 * max bytes. 1 read, 0 missing; -1 when what is there is no usable file
 * (not regular, linked, too big: the caller may start afresh); -2 when it
 * cannot be read or is refused, so nothing is known. *err says why.
 */
int
fsx_slurp_own(int dirfd, const char *name, size_t max, struct sbuf *b,
    char **err)
{
	struct stat	 st;
	char		 buf[65536];
	ssize_t		 n;
	int		 fd;

	*err = NULL;
	if ((fd = fsx_open_own(dirfd, name, O_RDONLY, &st)) == -1) {
		if (errno == ENOENT)
			return 0;
		/* Someone else's file here is refused, never replaced. */
		if (errno == EPERM) {
			xasprintf(err, "%s: refusing it", fsx_own_refusal(&st));
			return -2;
		}
		xasprintf(err, "%s", errno == EMLINK ? "not a regular file "
		    "with one link" : strerror(errno));
		return errno == EMLINK || errno == ELOOP ? -1 : -2;
	}
	sbuf_init(b);
	sbuf_add(b, "", 0);
	while ((n = fsx_read(fd, buf, sizeof buf)) > 0) {
		if (b->len + (size_t)n > max) {
			n = -1;
			errno = EFBIG;
			break;
		}
		sbuf_add(b, buf, (size_t)n);
	}
	close(fd);
	if (n < 0) {
		xasprintf(err, "%s", strerror(errno));
		sbuf_free(b);
		return errno == EFBIG ? -1 : -2;
	}
	return 1;
}
