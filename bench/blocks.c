/*
 * blocks: the block-size sweep of issue 16. Compresses one file with
 * libdeflate in independent gzip members of BLOCK bytes (one
 * libdeflate_gzip_compress per block, as the compression engine v2 does),
 * the blocks shared out among THREADS threads, output thrown away, and
 * prints per block size the wall seconds, the process's CPU seconds (user +
 * system, all threads) and the bytes the members came to.
 *
 *	blocks [-t THREADS] [-l LEVEL] [-r ROUNDS] [-o OUT] FILE SIZE...
 *
 * SIZE takes k/M suffixes (256K 512K 1M 2M 4M). THREADS defaults to the
 * online processors, LEVEL to 6, ROUNDS to 1: each round runs every size in
 * turn (A B C A B C ...), and prints one line per size:
 *
 *	ROUND SIZE_BYTES WALL_S CPU_S OUT_BYTES
 *
 * The file is read into memory (and its pages touched) before any clock
 * starts, so the figures are compression alone. With -o, the members of the
 * last size of the last round are written to OUT in order: a valid gzip
 * file (gzip -dc OUT | cmp - FILE).
 */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const unsigned char	*data;
static size_t			 data_len;
static size_t			 block;
static int			 level = 6;
static atomic_size_t		 next_block;
static atomic_ullong		 out_total;
static unsigned char		**keep;		/* with -o: each block's member */
static size_t			*keep_len;
static int			 keeping;

static void *
worker(void *arg)
{
	struct libdeflate_compressor	*c;
	unsigned char			*out;
	size_t				 bound, k, off, len, got;
	unsigned long long		 mine = 0;

	(void)arg;
	if ((c = libdeflate_alloc_compressor(level)) == NULL)
		errx(1, "libdeflate_alloc_compressor(%d) failed", level);
	bound = libdeflate_gzip_compress_bound(c, block);
	if ((out = malloc(bound)) == NULL)
		err(1, "malloc");
	for (;;) {
		k = atomic_fetch_add(&next_block, 1);
		off = k * block;
		if (off >= data_len)
			break;
		len = data_len - off < block ? data_len - off : block;
		if ((got = libdeflate_gzip_compress(c, data + off, len, out,
		    bound)) == 0)
			errx(1, "block %zu: no room", k);
		mine += got;
		if (keeping) {
			if ((keep[k] = malloc(got)) == NULL)
				err(1, "malloc");
			memcpy(keep[k], out, got);
			keep_len[k] = got;
		}
	}
	atomic_fetch_add(&out_total, mine);
	free(out);
	libdeflate_free_compressor(c);
	return NULL;
}

static size_t
parse_size(const char *s)
{
	char		*end;
	unsigned long	 v = strtoul(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	}
	if (v == 0 || *end != '\0')
		errx(64, "bad block size: %s", s);
	return v;
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void
usage(void)
{
	fprintf(stderr, "usage: blocks [-t THREADS] [-l LEVEL] [-r ROUNDS] "
	    "[-o OUT] FILE SIZE...\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	pthread_t	*tids;
	const char	*outpath = NULL;
	struct stat	 st;
	volatile unsigned char sum = 0;
	double		 w0, c0, w1, c1;
	size_t		 i, nblocks = 0;
	long		 nthreads = sysconf(_SC_NPROCESSORS_ONLN);
	int		 ch, fd, rounds = 1, r, s, t, nsizes;
	size_t		*sizes;
	FILE		*of;

	while ((ch = getopt(argc, argv, "t:l:r:o:")) != -1) {
		switch (ch) {
		case 't': nthreads = atol(optarg); break;
		case 'l': level = atoi(optarg); break;
		case 'r': rounds = atoi(optarg); break;
		case 'o': outpath = optarg; break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || nthreads < 1 || rounds < 1 || level < 0 || level > 12)
		usage();
	nsizes = argc - 1;
	if ((sizes = calloc((size_t)nsizes, sizeof *sizes)) == NULL ||
	    (tids = calloc((size_t)nthreads, sizeof *tids)) == NULL)
		err(1, "calloc");
	for (s = 0; s < nsizes; s++)
		sizes[s] = parse_size(argv[s + 1]);

	if ((fd = open(argv[0], O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		err(1, "%s", argv[0]);
	data_len = (size_t)st.st_size;
	if (data_len == 0)
		errx(1, "%s: empty", argv[0]);
	data = mmap(NULL, data_len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd,
	    0);
	if (data == MAP_FAILED)
		err(1, "mmap %s", argv[0]);
	close(fd);
	for (i = 0; i < data_len; i += 4096)	/* every page mapped */
		sum += data[i];

	for (r = 1; r <= rounds; r++) {
		for (s = 0; s < nsizes; s++) {
			block = sizes[s];
			nblocks = (data_len + block - 1) / block;
			keeping = outpath != NULL && r == rounds &&
			    s == nsizes - 1;
			if (keeping && ((keep = calloc(nblocks, sizeof *keep)) ==
			    NULL || (keep_len = calloc(nblocks,
			    sizeof *keep_len)) == NULL))
				err(1, "calloc");
			atomic_store(&next_block, 0);
			atomic_store(&out_total, 0);
			w0 = now();
			c0 = cpu();
			for (t = 0; t < nthreads; t++)
				if ((errno = pthread_create(&tids[t], NULL,
				    worker, NULL)) != 0)
					err(1, "pthread_create");
			for (t = 0; t < nthreads; t++)
				pthread_join(tids[t], NULL);
			w1 = now();
			c1 = cpu();
			printf("%d %zu %.4f %.3f %llu\n", r, block, w1 - w0,
			    c1 - c0, (unsigned long long)atomic_load(&out_total));
			fflush(stdout);
		}
	}
	if (outpath != NULL) {
		if ((of = fopen(outpath, "w")) == NULL)
			err(1, "%s", outpath);
		for (i = 0; i < nblocks; i++)
			if (fwrite(keep[i], 1, keep_len[i], of) != keep_len[i])
				err(1, "%s", outpath);
		if (fclose(of) != 0)
			err(1, "%s", outpath);
	}
	return 0;
}
