/*
 * The benchmark's yardstick: single-core zlib level-6 throughput on the
 * workload's own content. Deflates each file (gzip wrapping, as evmaint and
 * gzip write it) on one thread, output thrown away, and prints the input
 * bytes and the thread's CPU seconds, so that a loaded machine slows the
 * wall clock but not the figure.
 *
 *	zlib6 FILE...     prints "BYTES CPU_SECONDS"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define BUF	(256 * 1024)

int
main(int argc, char **argv)
{
	static unsigned char	 in[BUF], out[BUF];
	struct timespec		 a, b;
	unsigned long long	 total = 0;
	z_stream		 zs;
	ssize_t			 n;
	int			 i, fd, flush;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (i = 1; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY)) == -1) {
			perror(argv[i]);
			return 1;
		}
		zs.zalloc = Z_NULL;
		zs.zfree = Z_NULL;
		zs.opaque = Z_NULL;
		if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8,
		    Z_DEFAULT_STRATEGY) != Z_OK)
			return 1;
		do {
			if ((n = read(fd, in, BUF)) < 0) {
				perror(argv[i]);
				return 1;
			}
			total += (unsigned long long)n;
			flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
			zs.next_in = in;
			zs.avail_in = (unsigned)n;
			do {
				zs.next_out = out;
				zs.avail_out = BUF;
				(void)deflate(&zs, flush);
			} while (zs.avail_out == 0);
		} while (flush != Z_FINISH);
		deflateEnd(&zs);
		close(fd);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	printf("%llu %.3f\n", total, (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	return 0;
}
