/*
 * Compression of plain generations (compress.c): the plain/.gz pairs an
 * interrupted run left settled first, then every generation due for gzip
 * compressed on every core. A peer of rotate.c and expire.c, over run.c.
 */
#ifndef COMPRESS_H
#define COMPRESS_H

struct rot_run;

void	cz_resolve_dups(struct rot_run *);
void	cz_compress(struct rot_run *);

#endif
