/*
 * Expiry (expire.c): generations beyond `rotate` into a verified archive,
 * then out of the tree; archive retention; and, for recover.c, the check
 * and the removals an interrupted archive step left. A peer of rotate.c
 * and compress.c, over run.c.
 */
#ifndef EXPIRE_H
#define EXPIRE_H

struct journal;
struct rot_run;

void	ex_expire(struct rot_run *);
void	ex_retention(struct rot_run *);
int	ex_recover_check(struct rot_run *, const struct journal *, char **);
int	ex_recover(struct rot_run *, const struct journal *);

#endif
