/*
 * A minimal worker pool: n independent items, done by up to nthreads
 * threads (the caller's included), each taking the next index. The _w form
 * also says which worker runs an item (0 .. nthreads-1), so that a worker
 * can keep state from one item to the next (buffers, a zlib stream).
 */
/*
 * The _bg form runs the items in the background while the caller does
 * something else: pool_bg_start returns at once, pool_bg_wait has the
 * caller take the items still left (as worker nthreads, so a per-worker
 * array wants nthreads + 1 slots) and returns once every item is done.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

typedef void	pool_fn(void *, size_t);
typedef void	pool_wfn(void *, size_t, int);

void	pool_run(size_t, int, pool_fn *, void *);
int	pool_run_w(size_t, int, pool_wfn *, void *);
int	pool_threads(void);

struct pool_bg;

struct pool_bg	*pool_bg_start(size_t, int, pool_wfn *, void *);
void		 pool_bg_wait(struct pool_bg *);

#endif
