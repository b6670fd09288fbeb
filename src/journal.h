/*
 * The intent journal, STATE.journal: written durably before a rotation
 * changes any name in the tree, so that a crash at any instant leaves
 * something the next run can finish. It holds, per log, the renames and the
 * exchange in order with the inode each one moves (so a replay can tell done
 * from not done), the state record the rotation leads to, and the
 * generations being archived (so a published archive is not written twice).
 */
#ifndef JOURNAL_H
#define JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "hash.h"
#include "state.h"

enum jr_kind {
	JR_RENAME,	/* a -> b, never over an existing b */
	JR_EXCHANGE,	/* a <-> b; afterwards b holds the inode */
};

struct jr_step {
	enum jr_kind	 kind;
	char		*a;
	char		*b;
	dev_t		 dev;
	ino_t		 ino;	/* the inode that moves from a to b */
};

struct jr_log {
	char			*rel;
	struct state_log	 after;	/* the state record once done */
	struct jr_step		*steps;
	size_t			 nsteps;
	bool			 packed;	/* names inside steps' block */
};

struct jr_member {
	char		*dirrel;	/* "" for root */
	char		*file;
	char		*name;		/* member name in the archive */
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 size;
	uint8_t		 sha256[HASH_LEN];
};

struct journal {
	time_t			 time;		/* the run that wrote it */
	char			*root;
	dev_t			 root_dev;
	ino_t			 root_ino;
	struct jr_log		*logs;
	size_t			 nlogs;
	char			*archive;	/* published, sources to remove */
	struct jr_member	*members;
	size_t			 nmembers;
};

/* What validation asks of the tree: is REL a log of it, and is it dateext. */
struct jr_tree {
	bool	(*log)(void *, const char *, bool *);
	void	 *arg;
};

int		 journal_parse(struct journal *, const char *, size_t, char **);
void		 journal_format(const struct journal *, struct sbuf *);
int		 journal_load(int, const char *, struct journal *, char **);
int		 journal_save(int, const char *, const struct journal *,
		    mode_t, gid_t);
int		 journal_remove(int, const char *);
void		 journal_free(struct journal *);
struct jr_log	*journal_add_log(struct journal *, const char *);
void		 journal_add_step(struct jr_log *, enum jr_kind, const char *,
		    const char *, dev_t, ino_t);
void		 journal_pack(struct jr_log *);
void		 journal_add_member(struct journal *, const char *,
		    const char *, const char *, dev_t, ino_t, uint64_t,
		    const uint8_t *);
void		 journal_clear_members(struct journal *);
int		 journal_check(const struct journal *, const struct jr_tree *,
		    char **);
int		 journal_set_aside(int, const char *, time_t, char **);
int		 journal_check_archive(const struct journal *, int,
		    const char *, char **);

#endif
