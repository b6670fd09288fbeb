/*
 * One instance at a time: an flock(2) on STATE.lock, a file that is never
 * renamed or removed, so every instance locks the same inode.
 */
#ifndef LOCK_H
#define LOCK_H

#include <stdbool.h>
#include <stddef.h>

struct report;

int	lock_path(const char *, char *, size_t);
int	lock_acquire(const char *, double, bool, struct report *, int *);
long	lock_holder(const char *);

#endif
