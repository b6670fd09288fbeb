/*
 * Runs a fuzz target's corpus as an ordinary test, in builds without
 * libFuzzer (gcc, the sanitizer build, valgrind): every file named on the
 * command line, or found in a directory named there, goes through
 * LLVMFuzzerTestOneInput once. A crash or a broken property aborts, so a
 * regression input that once crashed keeps failing the test until fixed.
 * Files are reached with openat, fdopendir and fstatat, which no target
 * wraps (fuzz_lrconf wraps open, opendir and stat to confine lrconf*.c).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Defined only by the targets that need a set-up. */
int	LLVMFuzzerInitialize(int *, char ***) __attribute__((weak));

static size_t	replay_count;

static void
replay_file(const char *path)
{
	struct stat	 st;
	uint8_t		*buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(99);
	}
	/* libFuzzer hands over an exact-size buffer: ASan sees overreads */
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	FUZZ_ASSERT(buf != NULL);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	FUZZ_ASSERT(got == (size_t)st.st_size);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	replay_count++;
}

static int
replay_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* In name order, so a failure names the same input on every machine. */
static void
replay_dir(const char *dir)
{
	struct dirent	 *de;
	char		**names = NULL, **tmp, path[4096];
	size_t		  n = 0, i;
	DIR		 *d;
	int		  fd;

	if ((fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || (d = fdopendir(fd)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		exit(99);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		tmp = realloc(names, (n + 1) * sizeof *names);
		FUZZ_ASSERT(tmp != NULL);
		names = tmp;
		names[n] = strdup(de->d_name);
		FUZZ_ASSERT(names[n] != NULL);
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, replay_name_cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		replay_file(path);
		free(names[i]);
	}
	free(names);
}

int
main(int argc, char **argv)
{
	struct stat	st;
	int		i;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (fstatat(AT_FDCWD, argv[i], &st, 0) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			return 99;
		}
		if (S_ISDIR(st.st_mode))
			replay_dir(argv[i]);
		else
			replay_file(argv[i]);
	}
	printf("%s: %zu inputs replayed, none crashed\n", argv[0],
	    replay_count);
	return 0;
}
