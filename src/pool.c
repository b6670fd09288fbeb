/*
 * Worker pool (see pool.h). Items are taken in index order, so a caller
 * that sorts its work largest first gets longest-processing-time-first
 * scheduling for free.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#include "pool.h"
#include "xmalloc.h"

struct pool {
	pool_fn		*fn;
	void		*arg;
	size_t		 n;
	atomic_size_t	 next;
};

static void *
pool_worker(void *p0)
{
	struct pool	*p = p0;
	size_t		 i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(p->arg, i);
	return NULL;
}

/* The number of threads to use: EVMAINT_JOBS, else the online CPUs. */
int
pool_threads(void)
{
	const char	*s = getenv("EVMAINT_JOBS");
	long		 n;

	if (s != NULL && (n = strtol(s, NULL, 10)) >= 1 && n <= 256)
		return (int)n;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n >= 1 && n <= 256 ? (int)n : 1;
}

void
pool_run(size_t n, int nthreads, pool_fn *fn, void *arg)
{
	struct pool	 p = { fn, arg, n, 0 };
	pthread_t	*t;
	int		 i, started = 0;

	if (n == 0)
		return;
	if ((size_t)nthreads > n)
		nthreads = (int)n;
	t = xcalloc((size_t)(nthreads > 1 ? nthreads : 1), sizeof *t);
	for (i = 0; i < nthreads - 1; i++)
		if (pthread_create(&t[started], NULL, pool_worker, &p) == 0)
			started++;
	pool_worker(&p);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	free(t);
}
