/*
 * Recovery (recover.c): an interrupted run's journal validated and replayed
 * through rotate.c and expire.c, before anything else of the run.
 */
#ifndef RECOVER_H
#define RECOVER_H

struct rot_run;

int	rec_recover(struct rot_run *);

#endif
