/*
 * Discovery: every regular *.log under root (depth <= 8, symlinks never
 * followed) plus the configured logs, each with its generations in age
 * order. Anything that cannot safely be treated as a log or a generation is
 * kept with the reason it is refused, for the command to report.
 */
#ifndef SCAN_H
#define SCAN_H

#include <stdbool.h>
#include <sys/stat.h>

#include "conf.h"
#include "gen.h"
#include "tree.h"

struct report;

/*
 * What a generation needs of its stat, named as in struct stat: 56 bytes
 * where a struct stat is 144, for each of the 80,000 generations of 10,000
 * logs.
 */
struct gen_stat {
	dev_t		 st_dev;
	ino_t		 st_ino;
	off_t		 st_size;
	struct timespec	 st_mtim;
	mode_t		 st_mode;
	uid_t		 st_uid;
	gid_t		 st_gid;
};

struct gen {
	char		*name;
	struct gen_name	 gn;
	struct gen_stat	 st;
	char		*refused;	/* why it is left alone, or NULL */
};

struct log {
	char			 *rel;		/* deploy/deploy.log */
	const char		 *name;		/* deploy.log, inside rel */
	char			 *dirrel;	/* deploy */
	struct tree_dir		 *dir;		/* NULL: no such directory */
	const struct evm_logopts *opts;
	bool			  configured;
	bool			  exists;
	struct stat		  st;
	char			 *refused;
	struct gen		 *gens;		/* newest first */
	size_t			  ngens;
	/* for the rotation engine */
	bool			  recovered;	/* finished from a journal */
	bool			  rotated;	/* rotated in this run */
	bool			  touched;	/* its directory changed */
};

struct scan {
	struct tree	 tree;
	struct log	*logs;		/* sorted by rel */
	size_t		 nlogs;
};

int		 scan_errlog_fd(const struct scan *);
int		 scan_tree(struct scan *, const struct evm_config *,
		    struct report *);
void		 scan_free(struct scan *);
struct log	*scan_find(struct scan *, const char *);
const struct gen *log_next_refused(const struct log *, size_t *);
void		 scan_refresh(struct scan *, struct report *);
void		 scan_gens_sort(struct log *);
void		 gen_free(struct gen *);
void		 gen_stat_set(struct gen_stat *, const struct stat *);

#endif
