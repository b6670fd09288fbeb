/*
 * The instance lock. flock() belongs to the open file description, so it dies
 * with the process, SIGKILL included; O_CLOEXEC keeps it out of any child,
 * where it would outlive us. The holder writes its pid into the file so that
 * the loser can name it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "fsx.h"
#include "lock.h"
#include "report.h"
#include "tree.h"

#define LOCK_POLL_NS	(20 * 1000 * 1000)

int
lock_path(const char *state_file, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s.lock", state_file);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * Opens the lock file through its directory's fd; with lmk, creates both
 * when missing, each at its final mode and owner from the start.
 */
static int
lock_open(const char *state_file, const struct lock_mk *lmk,
    struct report *rep, char **why)
{
	struct tree_mk	 mk = { 0, geteuid(), 0, false };
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
	    geteuid(), rep, &base, why)) == -1)
		return -1;
	if (lmk != NULL)
		fd = fsx_create(dfd, base, EVM_META_MODE(lmk->mode), geteuid(),
		    lmk->gid);
	if (lmk == NULL || (fd == -1 && errno == EEXIST))
		do
			fd = openat(dfd, base, (lmk != NULL ? O_RDWR :
			    O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY |
			    O_NONBLOCK);
		while (fd == -1 && errno == EINTR);
	if (fd == -1 && asprintf(why, "%s: %s", path, strerror(errno)) < 0)
		*why = NULL;
	close(dfd);
	return fd;
}

/* The pid the holder recorded, or 0 when unknown. */
long
lock_holder(const char *state_file)
{
	char	buf[32], *why = NULL;
	ssize_t	n;
	int	fd;
	long	pid = 0;

	if ((fd = lock_open(state_file, NULL, NULL, &why)) == -1) {
		free(why);
		return 0;
	}
	if ((n = fsx_pread(fd, buf, sizeof buf - 1, 0)) > 0) {
		buf[n] = '\0';
		pid = strtol(buf, NULL, 10);
	}
	close(fd);
	return pid;
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
	struct stat	 st;
	char		 pid[32], *why = NULL;
	int		 fd, n;
	long		 holder;

	*fdp = -1;
	if ((fd = lock_open(state_file, lmk, rep, &why)) == -1) {
		report_error(rep, NULL, "cannot open the lock file: %s",
		    why ? why : strerror(errno));
		free(why);
		return EVM_EXIT_FAIL;
	}
	if (fsx_fstat(fd, &st) == -1 || fsx_refusal(&st) != NULL) {
		report_error(rep, state_file, "lock file is not a regular file "
		    "with one link: refusing it");
		close(fd);
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
		if (lock_elapsed(&t0) >= wait) {
			holder = lock_holder(state_file);
			if (holder > 0)
				report_error(rep, NULL, "another evmaint (pid "
				    "%ld) holds %s.lock; try again later or "
				    "use --wait SECONDS", holder, state_file);
			else
				report_error(rep, NULL, "another evmaint holds "
				    "%s.lock; try again later or use --wait "
				    "SECONDS", state_file);
			close(fd);
			return EVM_EXIT_LOCKED;
		}
		nanosleep(&poll, NULL);
	}
	if (lmk != NULL) {
		n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
		if (ftruncate(fd, 0) == 0)
			(void)!pwrite(fd, pid, (size_t)n, 0);
	}
	*fdp = fd;
	return 0;
}
