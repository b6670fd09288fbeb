/*
 * A log writer for the tests, doing what the scripts do: each line is
 * open(O_WRONLY|O_APPEND) without O_CREAT, one write, close (shell ">>"),
 * or, with -H, one fd held open for the whole run (a script that did
 * "exec >>log"). It counts what the invariants forbid: ENOENT on open, a
 * file seen through fstat with another mode or owner than expected.
 *
 * usage: evm-writer [-H] [-d USEC] [-m MODE] [-u UID] [-g GID] PATH PREFIX COUNT
 * Writes lines "PREFIX N\n" for N in 1..COUNT; prints one summary line
 * "written=N enoent=N badmode=N errors=N" and exits 0 when the last three are 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: evm-writer [-H] [-d USEC] [-m MODE] [-u UID] "
	    "[-g GID] PATH PREFIX COUNT\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct timespec	 ts;
	struct stat	 st;
	const char	*path, *prefix;
	char		 line[256];
	long		 count, i, delay = 0, written = 0, enoent = 0, badmode = 0;
	long		 errors = 0, mode = -1, uid = -1, gid = -1;
	int		 ch, fd = -1, hold = 0, n;

	while ((ch = getopt(argc, argv, "Hd:m:u:g:")) != -1) {
		switch (ch) {
		case 'H':
			hold = 1;
			break;
		case 'd':
			delay = strtol(optarg, NULL, 10);
			break;
		case 'm':
			mode = strtol(optarg, NULL, 8);
			break;
		case 'u':
			uid = strtol(optarg, NULL, 10);
			break;
		case 'g':
			gid = strtol(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3)
		usage();
	path = argv[optind];
	prefix = argv[optind + 1];
	count = strtol(argv[optind + 2], NULL, 10);

	for (i = 1; i <= count; i++) {
		if (fd == -1) {
			fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (fd == -1) {
				if (errno == ENOENT)
					enoent++;
				else
					errors++;
				i--;		/* the line is still to write */
				if (enoent + errors > 1000)
					break;
				continue;
			}
			if (fstat(fd, &st) == 0 &&
			    ((mode >= 0 && (long)(st.st_mode & 07777) != mode) ||
			    (uid >= 0 && (long)st.st_uid != uid) ||
			    (gid >= 0 && (long)st.st_gid != gid)))
				badmode++;
		}
		n = snprintf(line, sizeof line, "%s %ld\n", prefix, i);
		if (write(fd, line, (size_t)n) != n)
			errors++;
		else
			written++;
		if (!hold) {
			close(fd);
			fd = -1;
		}
		if (delay > 0) {
			ts.tv_sec = delay / 1000000;
			ts.tv_nsec = (delay % 1000000) * 1000;
			nanosleep(&ts, NULL);
		}
	}
	if (fd != -1)
		close(fd);
	printf("written=%ld enoent=%ld badmode=%ld errors=%ld\n", written,
	    enoent, badmode, errors);
	return enoent == 0 && badmode == 0 && errors == 0 ? 0 : 1;
}
