/*
 * The run of the rotation engine (run.c): the state every part of a
 * `rotate` pass shares, and the lifecycle around them (open, journal save,
 * directory sync, finish, close). rotate.c, compress.c and expire.c build
 * on this and never on one another; see src/README for the whole graph.
 */
#ifndef RUN_H
#define RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "evmaint.h"
#include "journal.h"
#include "scan.h"
#include "state.h"

/* Above this many new files, one syncfs() costs less than an fsync() each. */
#define RUN_FSYNC_MAX	32

struct run_reaper;

struct rot_run {
	struct evm_ctx	*ctx;
	struct scan	 scan;
	struct state	 state;
	struct state	 loaded;	/* as read, to skip an unchanged save */
	bool		 loaded_bad;	/* unreadable: rewrite it */
	int		 statedir;	/* the state file's directory */
	const char	*state_name;	/* its name there */
	char		*journal_name;	/* STATE.journal */
	struct journal	 jr;		/* this run's journal */
	bool		 jr_saved;	/* jr is on disk */
	bool		 ex_unremoved;	/* an archived source could not go */
	time_t		 prev_run;	/* the state's last run, 0: none */
	bool		 force;		/* rotate --force */
	int		 nthreads;
	struct run_reaper *reaper;	/* background closes, or NULL */
};

int	run_open(struct rot_run *, struct evm_ctx *);
void	run_close(struct rot_run *);
void	run_cleanup_tmp(struct rot_run *);
int	run_finish(struct rot_run *);
void	run_saved(struct rot_run *);
void	run_sync_dirs(struct rot_run *);
int	run_barrier(struct rot_run *, int *, size_t);
int	run_journal_save(struct rot_run *);
bool	run_same_slot(const struct gen *, const struct gen *);

struct run_reaper *run_reaper(struct rot_run *);
void	run_close_later(struct run_reaper *, int);

#endif
