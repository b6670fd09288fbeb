/*
 * "Is this log due?": the one rule rotate, status and the monitoring
 * checks share (evmaint(8), COMMANDS, rotate), kept apart from the
 * rotation so that asking it needs nothing of the renames.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "evmaint.h"
#include "due.h"
#include "scan.h"
#include "state.h"

/*
 * Whether a log is due, and why. Not empty (notifempty), and: forced, or
 * never rotated, or last rotated on an earlier local calendar day, or
 * bigger than maxsize. A last rotation on a later day means the clock went
 * backwards: nothing is due.
 */
bool
due_log(const struct state *st, const struct log *l, time_t now,
    bool force, const char **why)
{
	const struct state_log	*sl;
	int			 today = clock_day(now), lday;

	*why = NULL;
	if (l->refused != NULL || !l->exists || l->dir == NULL ||
	    l->opts == NULL)
		return false;
	if (l->st.st_size == 0 && l->opts->notifempty) {
		*why = "empty";
		return false;
	}
	if (l->recovered && force) {
		*why = "rotated by the recovery of the interrupted run";
		return false;
	}
	sl = state_get((struct state *)st, l->rel, false);
	if (force) {
		*why = "forced";
		return true;
	}
	if (sl == NULL || sl->last == 0) {
		*why = "no rotation recorded";
		return true;
	}
	lday = clock_day(sl->last);
	if (lday > today) {
		*why = "last rotated on a later day: the clock went backwards";
		return false;
	}
	if (lday < today) {
		*why = "daily";
		return true;
	}
	if (l->opts->maxsize > 0 && (uint64_t)l->st.st_size >
	    l->opts->maxsize) {
		*why = "larger than maxsize";
		return true;
	}
	*why = "already rotated today";
	return false;
}
