/*
 * What monitoring needs to know, gathered once, read-only and without the
 * lock: the tree, the state and run records, archive_dir, the journal, a
 * logrotate stanza over the tree, the scripts' last runs; and from it the
 * list of problems (status --check, status's warnings). status, check.c
 * and metrics.c all read this, so they never disagree.
 */
#ifndef MON_H
#define MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrconf.h"
#include "runs.h"
#include "scan.h"
#include "scripts.h"
#include "state.h"

struct evm_ctx;
struct report;

enum mon_sev {
	MON_OK,
	MON_WARNING,
	MON_CRITICAL,
	MON_UNKNOWN,
};

struct mon_item {
	enum mon_sev	 sev;
	const char	*kind;	/* "backlog", "drift", ...: see evmaint(8) */
	char		*path;	/* what it is about, or NULL */
	char		*msg;
};

struct mon {
	struct evm_ctx		*ctx;
	struct report		*rep;	/* where collection errors go */
	bool			 scanned;
	struct scan		 scan;
	time_t			 state_written;	/* 0: no state file */
	int			 state_rc;	/* 0, or state_load's error */
	char			*state_err;
	struct state		 state;
	int			 runs_rc;
	char			*runs_err;
	struct runs		 runs;
	const struct run_rec	*last_good;	/* rotate's, not in the future */
	const struct run_rec	*last_failed;	/* the last rotate's, if it did
						   not exit 0 after last_good */
	bool			 arc_ok;	/* open and trusted */
	char			*arc_why;	/* why not */
	bool			 arc_writable;
	size_t			 narc;
	uint64_t		 arc_bytes;
	time_t			 arc_newest;	/* 0: none */
	time_t			 arc_oldest;	/* 0: none */
	bool			 arc_vfs;	/* the two below are known */
	uint64_t		 arc_free;
	uint64_t		 arc_total;
	int			 lock_held;	/* 1, 0, -1: cannot tell */
	long			 lock_pid;	/* the holder, when it is seen */
	char			*lock_bad;	/* why rotate refuses the lock file */
	char			*state_dir_bad;	/* why the state dir is refused */
	bool			 journal;
	char			*journal_bad;	/* why the next run cannot use it */
	char			**rejected;	/* journals set aside, by name */
	size_t			 nrejected;
	struct lr_result	 lr;
	struct script_runs	 scripts;
	struct mon_item		*items;		/* most severe first */
	size_t			 nitems;
};

void		mon_collect(struct mon *, struct evm_ctx *, struct report *);
void		mon_free(struct mon *);
enum mon_sev	mon_worst(const struct mon *);
void		mon_warn(struct evm_ctx *, const char *);
const struct run_rec *mon_last_good(const struct mon *, const char *, bool *);
const char	*mon_sev_name(enum mon_sev);
bool		mon_mode_ok(const struct evm_config *, const struct stat *,
		    mode_t);
bool		mon_ids_ok(const struct evm_config *, mode_t, uid_t, gid_t,
		    mode_t);
uint64_t	mon_gens_bytes(const struct log *);
char		*mon_owner_str(uid_t, gid_t);
time_t		mon_next_due(const struct mon *, const struct log *);

#endif
