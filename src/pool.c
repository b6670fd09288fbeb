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
	pool_wfn	*fn;
	pool_fn		*plain;		/* pool_run's callback, through pool_plain */
	void		*arg;
	size_t		 n;
	atomic_size_t	 next;
};

struct pool_worker {
	struct pool	*p;
	int		 id;
};

struct pool_bg {
	struct pool		 p;
	pthread_t		*t;
	struct pool_worker	*w;	/* nthreads + 1: the last for the caller */
	int			 started;
};

static void *
pool_worker(void *w0)
{
	struct pool_worker	*w = w0;
	struct pool		*p = w->p;
	size_t			 i;

	while ((i = atomic_fetch_add(&p->next, 1)) < p->n)
		p->fn(p->arg, i, w->id);
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

/*
 * Returns how many workers ran (1 .. nthreads): a thread that cannot be
 * started only means fewer workers, never an item left undone. The caller
 * is one of them: the background form, waited for at once.
 */
int
pool_run_w(size_t n, int nthreads, pool_wfn *fn, void *arg)
{
	struct pool_bg	*bg;
	int		 nw, others = nthreads > 1 ? nthreads - 1 : 0;

	if (n == 0)
		return 0;
	if ((size_t)others > n - 1)
		others = (int)(n - 1);	/* no thread with nothing to take */
	bg = pool_bg_start(n, others, fn, arg);
	nw = bg->started + 1;
	pool_bg_wait(bg);
	return nw;
}

static void
pool_plain(void *p0, size_t i, int worker)
{
	struct pool *p = p0;

	p->plain(p->arg, i);
}

void
pool_run(size_t n, int nthreads, pool_fn *fn, void *arg)
{
	struct pool p = { NULL, fn, arg, 0, 0 };

	(void)pool_run_w(n, nthreads, pool_plain, &p);
}

/*
 * No thread at all (none asked for, or none could be started) only means
 * the caller does every item in pool_bg_wait.
 */
struct pool_bg *
pool_bg_start(size_t n, int nthreads, pool_wfn *fn, void *arg)
{
	struct pool_bg	*bg = xcalloc(1, sizeof *bg);
	int		 i;

	bg->p.fn = fn;
	bg->p.arg = arg;
	bg->p.n = n;
	atomic_init(&bg->p.next, 0);
	if (nthreads < 0)
		nthreads = 0;
	if ((size_t)nthreads > n)
		nthreads = (int)n;
	bg->t = xcalloc((size_t)nthreads + 1, sizeof *bg->t);
	bg->w = xcalloc((size_t)nthreads + 1, sizeof *bg->w);
	for (i = 0; i < nthreads; i++) {
		bg->w[bg->started].p = &bg->p;
		bg->w[bg->started].id = bg->started;
		if (pthread_create(&bg->t[bg->started], NULL, pool_worker,
		    &bg->w[bg->started]) == 0)
			bg->started++;
	}
	return bg;
}

void
pool_bg_wait(struct pool_bg *bg)
{
	int i;

	if (bg == NULL)
		return;
	bg->w[bg->started].p = &bg->p;
	bg->w[bg->started].id = bg->started;
	pool_worker(&bg->w[bg->started]);
	for (i = 0; i < bg->started; i++)
		pthread_join(bg->t[i], NULL);
	free(bg->t);
	free(bg->w);
	free(bg);
}
