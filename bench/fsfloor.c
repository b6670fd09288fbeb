/*
 * fsfloor: the file-system work a night of the "many" workload cannot do
 * without, and nothing else, as a floor for any tool that rotates it.
 *
 *   fsfloor ROOT THREADS
 *
 * For every LOG (*.log with seven generations LOG.1.gz .. LOG.7.gz) under
 * ROOT's subdirectories: seven renames to shift the generations, one to
 * move the log to LOG.1, one create for its successor; LOG.1 read and a
 * .gz of a fifth of its size written under a temporary name and renamed
 * into place (the bytes are not compressed: deflate is the separate
 * "limit" of bench/run.sh); LOG.1 unlinked; LOG.8.gz read, appended to one
 * archive file per thread and unlinked; one syncfs at the end. Directories
 * are shared out among THREADS threads. No stat, no fsync, no ownership or
 * mode set, no journal, no verification: everything a careful tool adds on
 * top is left out, so this is a floor, not a competitor.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <err.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int		 rootfd;
static char		**dirs;
static size_t		 ndirs;
static atomic_size_t	 next_dir;
static const char	*root;

static void
name(char *buf, size_t len, const char *log, const char *suffix)
{
	if ((size_t)snprintf(buf, len, "%s%s", log, suffix) >= len)
		errx(1, "name too long: %s%s", log, suffix);
}

static void
xrename(int dfd, const char *a, const char *b)
{
	if (renameat(dfd, a, dfd, b) == -1)
		err(1, "rename %s -> %s", a, b);
}

/* Reads a whole file; returns its size. */
static size_t
slurp(int dfd, const char *file, char *buf, size_t len)
{
	ssize_t	n;
	size_t	got = 0;
	int	fd;

	if ((fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		err(1, "open %s", file);
	while ((n = read(fd, buf + got, len - got)) > 0)
		if ((got += (size_t)n) == len)
			errx(1, "%s: larger than %zu bytes", file, len);
	if (n == -1)
		err(1, "read %s", file);
	close(fd);
	return got;
}

static void
one_log(int dfd, const char *log, int arcfd, char *buf, size_t len)
{
	char	a[512], b[512];
	size_t	n;
	int	k, fd;

	for (k = 7; k >= 1; k--) {
		snprintf(a, sizeof a, "%s.%d.gz", log, k);
		snprintf(b, sizeof b, "%s.%d.gz", log, k + 1);
		xrename(dfd, a, b);
	}
	name(a, sizeof a, log, ".1");
	xrename(dfd, log, a);
	if ((fd = openat(dfd, log, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1)
		err(1, "create %s", log);
	close(fd);

	n = slurp(dfd, a, buf, len);
	name(b, sizeof b, log, ".1.gz.tmp");
	if ((fd = openat(dfd, b, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1)
		err(1, "create %s", b);
	if (write(fd, buf, n / 5) != (ssize_t)(n / 5))
		err(1, "write %s", b);
	close(fd);
	name(a, sizeof a, log, ".1.gz");
	xrename(dfd, b, a);
	name(a, sizeof a, log, ".1");
	if (unlinkat(dfd, a, 0) == -1)
		err(1, "unlink %s", a);

	name(a, sizeof a, log, ".8.gz");
	n = slurp(dfd, a, buf, len);
	if (write(arcfd, buf, n) != (ssize_t)n)
		err(1, "write archive");
	if (unlinkat(dfd, a, 0) == -1)
		err(1, "unlink %s", a);
}

static void *
worker(void *arg)
{
	size_t		 d, len = 1 << 20, nl;
	struct dirent	*e;
	char		*buf, arcname[64], **logs = NULL;
	DIR		*dp;
	int		 dfd, arcfd;

	snprintf(arcname, sizeof arcname, ".fsfloor-archive.%ld",
	    (long)(intptr_t)arg);
	if ((arcfd = openat(rootfd, arcname, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0640)) == -1)
		err(1, "create %s/%s", root, arcname);
	if ((buf = malloc(len)) == NULL)
		err(1, "malloc");
	while ((d = atomic_fetch_add(&next_dir, 1)) < ndirs) {
		if ((dfd = openat(rootfd, dirs[d], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
			err(1, "open %s", dirs[d]);
		/* the names first: the loop changes the directory */
		if ((dp = fdopendir(dup(dfd))) == NULL)
			err(1, "fdopendir %s", dirs[d]);
		nl = 0;
		while ((e = readdir(dp)) != NULL) {
			size_t l = strlen(e->d_name);

			if (l > 4 && strcmp(e->d_name + l - 4, ".log") == 0) {
				logs = realloc(logs, (nl + 1) * sizeof *logs);
				if (logs == NULL ||
				    (logs[nl++] = strdup(e->d_name)) == NULL)
					err(1, "malloc");
			}
		}
		closedir(dp);
		for (size_t i = 0; i < nl; i++) {
			one_log(dfd, logs[i], arcfd, buf, len);
			free(logs[i]);
		}
		close(dfd);
	}
	free(logs);
	free(buf);
	close(arcfd);
	return NULL;
}

int
main(int argc, char **argv)
{
	struct dirent	*e;
	pthread_t	*t;
	DIR		*dp;
	long		 nt, i;

	if (argc != 3 || (nt = strtol(argv[2], NULL, 10)) < 1 || nt > 256)
		errx(64, "usage: fsfloor ROOT THREADS");
	root = argv[1];
	if ((rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "open %s", root);
	if ((dp = fdopendir(dup(rootfd))) == NULL)
		err(1, "fdopendir %s", root);
	while ((e = readdir(dp)) != NULL)
		if (e->d_type == DT_DIR && e->d_name[0] != '.') {
			dirs = realloc(dirs, (ndirs + 1) * sizeof *dirs);
			if (dirs == NULL ||
			    (dirs[ndirs++] = strdup(e->d_name)) == NULL)
				err(1, "malloc");
		}
	closedir(dp);
	if ((t = calloc((size_t)nt, sizeof *t)) == NULL)
		err(1, "malloc");
	for (i = 0; i < nt; i++)
		if ((errno = pthread_create(&t[i], NULL, worker,
		    (void *)(intptr_t)i)) != 0)
			err(1, "pthread_create");
	for (i = 0; i < nt; i++)
		pthread_join(t[i], NULL);
	if (syncfs(rootfd) == -1)
		err(1, "syncfs");
	return 0;
}
