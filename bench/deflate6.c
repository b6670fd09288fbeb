/*
 * The benchmark's second yardstick: single-core libdeflate level-6 CPU
 * time on the workload's own content, compressed as the compression engine
 * v2 (issue 16) compresses a log: in independent blocks of 2 MiB, each its
 * own gzip member (libdeflate_gzip_compress per block). One thread, one
 * compressor for all files, output thrown away; prints the input bytes, the
 * thread's CPU seconds (so that a loaded machine slows the wall clock but
 * not the figure) and the bytes the members came to.
 *
 *	deflate6 [-b BLOCK] FILE...   prints "BYTES CPU_SECONDS OUT_BYTES"
 *
 * BLOCK is in bytes (default 2097152, as src/gzb.h).
 */
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct libdeflate_compressor	*c;
	struct timespec			 a, b;
	unsigned long long		 total = 0, out_total = 0;
	unsigned char			*in, *out;
	size_t				 block = 2 << 20, bound, have, got;
	ssize_t				 n;
	int				 i = 1, fd;

	if (argc > 2 && strcmp(argv[1], "-b") == 0) {
		block = strtoul(argv[2], NULL, 10);
		i = 3;
	}
	if (block == 0 || i >= argc) {
		fprintf(stderr, "usage: deflate6 [-b BLOCK] FILE...\n");
		return 64;
	}
	if ((c = libdeflate_alloc_compressor(6)) == NULL)
		return 1;
	bound = libdeflate_gzip_compress_bound(c, block);
	if ((in = malloc(block)) == NULL || (out = malloc(bound)) == NULL)
		return 1;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	for (; i < argc; i++) {
		if ((fd = open(argv[i], O_RDONLY)) == -1) {
			perror(argv[i]);
			return 1;
		}
		for (;;) {
			/* a whole block, as the engine reads it */
			for (have = 0; have < block; have += (size_t)n) {
				if ((n = read(fd, in + have, block - have)) < 0) {
					perror(argv[i]);
					return 1;
				}
				if (n == 0)
					break;
			}
			if (have == 0)
				break;
			total += have;
			if ((got = libdeflate_gzip_compress(c, in, have, out,
			    bound)) == 0) {
				fprintf(stderr, "deflate6: %s: no room\n",
				    argv[i]);
				return 1;
			}
			out_total += got;
			if (have < block)
				break;
		}
		close(fd);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	libdeflate_free_compressor(c);
	printf("%llu %.3f %llu\n", total, (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9, out_total);
	return 0;
}
