/*
 * Whether a log is due for rotation, and why (due.c).
 */
#ifndef DUE_H
#define DUE_H

#include <stdbool.h>
#include <time.h>

struct log;
struct state;

bool	due_log(const struct state *, const struct log *, time_t, bool,
	    const char **);

#endif
