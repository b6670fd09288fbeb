/*
 * Rotation proper (rotate.c): plans every due log's renames, journals them
 * through run.c, and performs them; and replays one log's journaled renames
 * for recover.c. A peer of compress.c and expire.c, over run.c and due.c.
 */
#ifndef ROTATE_H
#define ROTATE_H

#include <stdbool.h>

#include "due.h"
#include "journal.h"
#include "run.h"

struct tree_dir;

int	rot_rotate(struct rot_run *);
int	rot_replay(struct rot_run *, struct tree_dir *, const struct journal *,
	    const struct jr_log *, bool);
void	rot_apply_state(struct rot_run *, const struct jr_log *);

/*
 * The old names, for the files that include only this header and belong to
 * another branch (cmd-rotate.c, cmd-status.c, mon.c): remove once they
 * include run.h, recover.h, compress.h, expire.h and due.h themselves. The
 * engine's own files define ROT_NO_COMPAT first, so that none of them sees
 * a peer through this header (tests/t/layers.sh checks their #includes).
 */
#ifndef ROT_NO_COMPAT
#include "compress.h"
#include "expire.h"
#include "recover.h"

static inline int
rot_open(struct rot_run *r, struct evm_ctx *ctx)
{
	return run_open(r, ctx);
}

static inline void
rot_close(struct rot_run *r)
{
	run_close(r);
}

static inline int
rot_recover(struct rot_run *r)
{
	return rec_recover(r);
}

static inline void
rot_cleanup_tmp(struct rot_run *r)
{
	run_cleanup_tmp(r);
}

static inline int
rot_finish(struct rot_run *r)
{
	return run_finish(r);
}

static inline bool
rot_log_due(const struct state *st, const struct log *l, time_t now,
    bool force, const char **why)
{
	return due_log(st, l, now, force, why);
}
#endif

#endif
