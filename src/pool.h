/*
 * A minimal worker pool: n independent items, done by up to nthreads
 * threads (the caller's included), each taking the next index.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

typedef void	pool_fn(void *, size_t);

void	pool_run(size_t, int, pool_fn *, void *);
int	pool_threads(void);

#endif
