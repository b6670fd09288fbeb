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
bool	rot_inodes_explain(int, const struct journal *, const struct jr_log *);

#endif
