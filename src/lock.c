/*
 * The instance lock. flock() belongs to the open file description, so it dies
 * with the process, SIGKILL included; O_CLOEXEC keeps it out of any child,
 * where it would outlive us. The holder writes its pid into the file, but the
 * loser names a pid only after finding it holding the lock (lock_find_holder).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "fsx.h"
#include "lock.h"
#include "report.h"
#include "tree.h"
#include "xmalloc.h"

#define LOCK_POLL_NS	(20 * 1000 * 1000)
/* Even without --wait, how long a lock held for an instant is waited for. */
#define LOCK_GRACE	0.2
/* The lock file's mode: others may not open it, and so not flock it. */
#define LOCK_MODE(m)	(EVM_META_MODE(m) & ~(mode_t)007)

/*
 * A lock file that others may read, once held: their bits taken away,
 * reported as the repair it is. A failure is only reported: the lock
 * still works.
 */
static void
lock_tighten(int fd, const char *path, struct report *rep)
{
	struct stat	st;
	mode_t		want;

	if (fsx_fstat(fd, &st) == -1 || (st.st_mode & 007) == 0)
		return;
	want = st.st_mode & 07770;
	if (fsx_fchmod(fd, want) == -1)
		report_warn(rep, path, "cannot make it %04o (whoever may read "
		    "it may hold it): %s", (unsigned)want, strerror(errno));
	else
		report_action(rep, "repair", path, -1, -1, "mode %04o -> %04o: "
		    "whoever may read the lock file may hold it",
		    (unsigned)(st.st_mode & 07777), (unsigned)want);
}

int
lock_path(const char *state_file, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.lock", state_file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Opens the lock file through its directory's fd; with lmk, creates both
 * when missing, each at its final mode and owner from the start. One that
 * exists must be ours alone (fsx_own_refusal): whoever else owns or can
 * write it could hold it forever, and every run would exit 75. Reading is
 * enough to hold an flock, so others never may, whatever the tree's mode
 * says (mode 0644 makes a 0640 lock file): one that others may read loses
 * that bit once a run that may change things holds it (lock_tighten; it is
 * never replaced: a holder of the old inode would not see a new one). The
 * configured group keeps what mode gives it, as for every file evmaint
 * creates.
 */
static int
lock_open(const char *state_file, const struct lock_mk *lmk,
    struct report *rep, char **why)
{
	struct tree_mk	 mk = { 0, geteuid(), 0, false };
	struct stat	 st;
	char		 path[PATH_MAX];
	const char	*base;
	int		 dfd, fd = -1;

	if (lock_path(state_file, path, sizeof path) != 0) {
		*why = strdup("path too long");
		return -1;
	}
	if (lmk != NULL) {
		mk.mode = EVM_META_MODE(lmk->dir_mode);
		mk.gid = lmk->gid;
	}
	if ((dfd = tree_open_parent_trusted(path, lmk != NULL ? &mk : NULL,
	    rep, &base, why)) == -1)
		return -1;
	if (lmk != NULL)
		fd = fsx_create(dfd, base, LOCK_MODE(lmk->mode), geteuid(),
		    lmk->gid);
	/*
	 * st says why only when an existing file was refused; a create
	 * that failed (a file system refusing chown, as NFS's root_squash
	 * does) has no file to describe.
	 */
	if (lmk != NULL && fd == -1 && errno != EEXIST)
		xasprintf(why, "%s: cannot create it (owner %ju, group %ju, "
		    "mode %04o): %s", path, (uintmax_t)geteuid(),
		    (uintmax_t)lmk->gid, (unsigned)LOCK_MODE(lmk->mode),
		    strerror(errno));
	else if (lmk == NULL || fd == -1) {
		fd = fsx_open_own(dfd, base, lmk != NULL ? O_RDWR : O_RDONLY,
		    &st);
		if (fd == -1 && errno == EPERM)
			xasprintf(why, "%s is %s: refusing to use it", path,
			    fsx_own_refusal(&st));
		else if (fd == -1 && errno == EMLINK)
			xasprintf(why, "%s %s, not a regular file with one "
			    "link: refusing to use it", path,
			    fsx_refusal(&st));
		else if (fd == -1)
			xasprintf(why, "%s: %s", path, strerror(errno));
	}
	close(dfd);
	return fd;
}

/* The pid the last holder recorded in the lock file, or 0. */
static long
lock_recorded(int fd)
{
	char	buf[32];
	ssize_t	n;

	if ((n = fsx_pread(fd, buf, sizeof buf - 1, 0)) <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/*
 * Whether a line of /proc/locks or of a "lock:" line in fdinfo (without its
 * prefix) is an flock held (not waited for: "->") on the file st.
 */
static bool
lock_line_is(const char *line, const struct stat *st, long *pid)
{
	char		kind[16];
	unsigned	maj, min;
	unsigned long	ino;

	/* "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF" */
	return sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, pid,
	    &maj, &min, &ino) == 5 && strcmp(kind, "FLOCK") == 0 &&
	    ino == (unsigned long)st->st_ino && maj == major(st->st_dev) &&
	    min == minor(st->st_dev);
}

/*
 * The pid /proc/locks gives for the lock on st, or 0 (not there, or in a
 * container with its own PID namespace, where the list shows none of our
 * locks). It is the process that took the lock, which may have ended since
 * while the lock lives on in a child that inherited the fd (flock(1) does
 * this): lock_pid_holds must confirm it.
 */
static long
lock_from_proc_locks(const struct stat *st)
{
	char	 line[256];
	long	 pid = 0;
	FILE	*fp;

	if ((fp = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL)
		if (lock_line_is(line, st, &pid) && pid > 0)
			break;
		else
			pid = 0;
	fclose(fp);
	return pid;
}

/* Whether the fd named fdname of /proc/PID (procfd) holds an flock on st. */
static bool
lock_fd_holds(int procfd, const char *fdname, const struct stat *st)
{
	struct stat	 fst;
	char		 path[64], line[256];
	long		 pid;
	bool		 held = false;
	FILE		*fp;
	int		 fd;

	snprintf(path, sizeof path, "fd/%s", fdname);
	/* follows the magic link: the open file's own dev and inode */
	if (fstatat(procfd, path, &fst, 0) == -1 || fst.st_ino != st->st_ino ||
	    fst.st_dev != st->st_dev)
		return false;
	snprintf(path, sizeof path, "fdinfo/%s", fdname);
	if ((fd = openat(procfd, path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if ((fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return false;
	}
	while (!held && fgets(line, sizeof line, fp) != NULL)
		held = strncmp(line, "lock:", 5) == 0 &&
		    lock_line_is(line + 5 + strspn(line + 5, " \t"), st, &pid);
	fclose(fp);
	return held;
}

/* Whether process pid (as this PID namespace numbers it) holds the lock. */
static bool
lock_pid_holds(long pid, const struct stat *st)
{
	struct dirent	*de;
	char		 path[32];
	bool		 held = false;
	DIR		*dp;
	int		 procfd, fd;

	snprintf(path, sizeof path, "/proc/%ld", pid);
	if ((procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return false;
	if ((fd = openat(procfd, "fd", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (dp = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		close(procfd);
		return false;
	}
	while (!held && (de = readdir(dp)) != NULL)
		held = de->d_name[0] != '.' &&
		    lock_fd_holds(procfd, de->d_name, st);
	closedir(dp);
	close(procfd);
	return held;
}

/*
 * The pid of a process holding an flock on the open file fd, checked, or
 * 0. /proc/locks first; in a PID namespace of its own (Docker, most CI
 * runners) it lists none, so then the open files of each process we can
 * see: the recorded pid's first, then every one.
 */
long
lock_find_holder(int fd)
{
	struct dirent	*de;
	struct stat	 st;
	DIR		*dp;
	long		 pid, me = (long)getpid();
	char		*end;

	if (fsx_fstat(fd, &st) == -1)
		return 0;
	if ((pid = lock_from_proc_locks(&st)) > 0 && pid != me &&
	    lock_pid_holds(pid, &st))
		return pid;
	if ((pid = lock_recorded(fd)) > 0 && pid != me &&
	    lock_pid_holds(pid, &st))
		return pid;
	if ((dp = opendir("/proc")) == NULL)
		return 0;
	pid = 0;
	while (pid == 0 && (de = readdir(dp)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == me ||
		    !lock_pid_holds(pid, &st))
			pid = 0;
	}
	closedir(dp);
	return pid;
}

/*
 * For status, which must not take the lock: 1 held (*pid the holder, or 0
 * when it cannot be seen from here), 0 free, -1 cannot tell. A shared
 * flock for an instant tells held from free; lock_acquire retries for
 * LOCK_GRACE, so that instant never makes a run starting at the same
 * moment exit 75. (A run's own lock is not probed: mon knows it.)
 */
int
lock_probe(int dirfd, const char *name, long *pid)
{
	struct stat	st;
	int		fd, rc;

	*pid = 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NOCTTY | O_NONBLOCK)) == -1) {
		if (fsx_fstatat(dirfd, name, &st) == 0 &&
		    (*pid = lock_from_proc_locks(&st)) > 0) {
			if (!lock_pid_holds(*pid, &st))
				*pid = 0;	/* held, but by whom unknown */
			return 1;
		}
		return errno == ENOENT ? 0 : -1;
	}
	/*
	 * Free or held first: the holder is looked for only when there is
	 * one, since finding it may mean reading every open file of every
	 * process (a probe every few minutes must not cost that, nor depend
	 * on how many files others keep open).
	 */
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		rc = 0;
	else if (errno != EWOULDBLOCK)
		rc = -1;
	else {
		rc = 1;
		*pid = lock_find_holder(fd);
	}
	close(fd);
	return rc;
}

/* The name of process pid ("flock"), or NULL. */
static char *
lock_comm(long pid, char *buf, size_t len)
{
	char	path[40];
	ssize_t	n;
	int	fd;

	snprintf(path, sizeof path, "/proc/%ld/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	n = fsx_read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/*
 * Says who holds the lock: a pid only once it is known to hold it, since
 * the one recorded in the file may be long gone (or another program, such
 * as flock(1), holds it without writing one).
 */
static void
lock_report_held(struct report *rep, const char *state_file, int fd)
{
	long	 holder = lock_find_holder(fd);
	char	 comm[32];

	if (holder > 0 && holder == lock_recorded(fd))
		report_error(rep, NULL, "another evmaint (pid %ld) holds "
		    "%s.lock; try again later or use --wait SECONDS", holder,
		    state_file);
	else if (holder > 0)
		report_error(rep, NULL, "%s.lock is held by another process "
		    "(pid %ld, %s); try again later or use --wait SECONDS",
		    state_file, holder, lock_comm(holder, comm, sizeof comm) ?
		    comm : "name unknown");
	else
		report_error(rep, NULL, "%s.lock is held by another process "
		    "(which one cannot be seen from here); try again later or "
		    "use --wait SECONDS", state_file);
}

static double
lock_elapsed(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	    (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Takes the lock, waiting up to wait seconds. With lmk, the state file's
 * directory and the lock file are created when missing. Returns 0, or the
 * exit status to end the run with: 75 when another instance holds it, 1 when
 * the lock file cannot be used.
 */
int
lock_acquire(const char *state_file, double wait, const struct lock_mk *lmk,
    struct report *rep, int *fdp)
{
	struct timespec	 t0, poll = { 0, LOCK_POLL_NS };
	char		 pid[32], path[PATH_MAX], *why = NULL;
	int		 fd, n;

	*fdp = -1;
	if ((fd = lock_open(state_file, lmk, rep, &why)) == -1) {
		report_error(rep, NULL, "cannot open the lock file: %s",
		    why ? why : strerror(errno));
		free(why);
		return EVM_EXIT_FAIL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			report_error(rep, state_file, "flock on the lock file: "
			    "%s", strerror(errno));
			close(fd);
			return EVM_EXIT_FAIL;
		}
		if (lock_elapsed(&t0) >= wait &&
		    lock_elapsed(&t0) >= LOCK_GRACE) {
			lock_report_held(rep, state_file, fd);
			close(fd);
			return EVM_EXIT_LOCKED;
		}
		nanosleep(&poll, NULL);
	}
	if (lmk != NULL) {
		/*
		 * Written over the last holder's pid, then cut to length:
		 * truncating to 0 first freed the file's block and
		 * allocated it again, about 0.5 ms of every run on ext4.
		 * A reader (strtol of the start) never sees it empty now.
		 */
		n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (pwrite(fd, pid, (size_t)n, 0) == n)
			(void)!ftruncate(fd, n);
		if (lock_path(state_file, path, sizeof path) == 0)
			lock_tighten(fd, path, rep);
	}
	*fdp = fd;
	return 0;
}
