/*
 * The nightly rotation engine, shared by its three parts: rotate.c (what is
 * due, and the crash-safe renames: shift, prepared empty file, exchange,
 * with the intent journal), compress.c (parallel in-process gzip of plain
 * generations) and expire.c (generations beyond `rotate` into a verified
 * archive, then out of the tree; archive retention).
 */
#ifndef ROTATE_H
#define ROTATE_H

#include <stdbool.h>
#include <stddef.h>

#include "evmaint.h"
#include "journal.h"
#include "scan.h"
#include "state.h"

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
	int		 nthreads;
};

/* rotate.c */
int	rot_open(struct rot_run *, struct evm_ctx *);
void	rot_close(struct rot_run *);
int	rot_recover(struct rot_run *);
void	rot_cleanup_tmp(struct rot_run *);
int	rot_rotate(struct rot_run *);
int	rot_finish(struct rot_run *);
void	rot_sync_dirs(struct rot_run *);
int	rot_journal_save(struct rot_run *);
int	rot_barrier(struct rot_run *, int *, size_t);
bool	rot_log_due(const struct state *, const struct log *, time_t, bool,
	    const char **);

/* recover.c */
int	rec_validate(struct rot_run *, const struct journal *, int *,
	    char **);
int	rec_rebase(struct rot_run *, struct journal *, char **);
int	rec_reject(struct rot_run *, const char *);
bool	rec_root_elsewhere(struct rot_run *, const struct journal *);

/* compress.c */
void	cz_resolve_dups(struct rot_run *);
void	cz_compress(struct rot_run *);
int	cz_hash_fd(int, uint64_t, uint64_t *, uint8_t *, uint8_t *);

/* expire.c */
int	ex_recover_check(struct rot_run *, const struct journal *, char **);
int	ex_recover(struct rot_run *, const struct journal *);
void	ex_expire(struct rot_run *);
void	ex_retention(struct rot_run *);
char	*ex_member_name(struct rot_run *, const struct log *,
	    const struct gen *, const char *);

#endif
