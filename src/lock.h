/*
 * One instance at a time: an flock(2) on STATE.lock, a file that is never
 * renamed or removed, so every instance locks the same inode.
 */
#ifndef LOCK_H
#define LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct report;

/* How to create a missing lock file and its directory. */
struct lock_mk {
	mode_t	mode;		/* the lock file, less what others get */
	mode_t	dir_mode;	/* the state directory */
	gid_t	gid;
};

int	lock_path(const char *, char *, size_t);
int	lock_acquire(const char *, double, const struct lock_mk *,
	    struct report *, int *);
long	lock_find_holder(int);
int	lock_probe(int, const char *, long *);

#endif
