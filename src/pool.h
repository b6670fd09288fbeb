/*
 * A minimal worker pool: n independent items, done by up to nthreads
 * threads (the caller's included), each taking the next index. The _w form
 * also says which worker runs an item (0 .. nthreads-1), so that a worker
 * can keep state from one item to the next (buffers, a zlib stream).
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

typedef void	pool_fn(void *, size_t);
typedef void	pool_wfn(void *, size_t, int);

void	pool_run(size_t, int, pool_fn *, void *);
int	pool_run_w(size_t, int, pool_wfn *, void *);
int	pool_threads(void);

#endif
