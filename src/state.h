/*
 * The state file: when each log was last rotated and, for numbered
 * generations, the date tag each one was rotated under (its name in the
 * nightly archives). Versioned text, replaced atomically; a lost or corrupt
 * state only means logs are treated as never rotated.
 */
#ifndef STATE_H
#define STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "esc.h"
#include "evmaint.h"

#define STATE_VERSION 1

struct state_gen {
	int	num;
	bool	adopted;	/* its day is its mtime's, taken at first sight
				   (logrotate's, or its record lost): "~" */
	char	tag[EVM_TAG_MAX];
};

struct state_log {
	char			*rel;
	time_t			 last;		/* 0: never */
	struct state_gen	*gens;
	size_t			 ngens;
};

struct state {
	/*
	 * The last `rotate` run (its first of the day): a run whose clock
	 * jumped far ahead counts archive retention from here, and one whose
	 * clock is earlier knows the clock went backwards. 0: none recorded.
	 */
	time_t			 run;
	struct state_log	*logs;
	size_t			 nlogs;
	size_t			 cap;
	/*
	 * An open-addressing index of logs[] by rel (slot: index + 1, 0 is
	 * empty), so that a tree of 10,000 logs is not 10^8 strcmp calls.
	 * A zeroed struct state is a valid empty one.
	 */
	size_t			*ix;
	size_t			 ixcap;	/* a power of two, or 0 */
};

int			 state_parse(struct state *, const char *, size_t, char **);
void			 state_format(const struct state *, struct sbuf *);
int			 state_load(int, const char *, struct state *, char **);
int			 state_save(int, const char *, const struct state *,
			    mode_t, gid_t);
void			 state_free(struct state *);
bool			 state_equal(const struct state *, const struct state *);
struct state_log	*state_get(struct state *, const char *, bool);
const char		*state_tag(const struct state_log *, int);
const struct state_gen	*state_gen_find(const struct state_log *, int);
void			 state_tag_pick(time_t, bool,
			    bool (*)(void *, const char *), void *, char *,
			    size_t);
time_t			 state_tag_pick_from(time_t, bool, time_t,
			    bool (*)(void *, const char *), void *, char *,
			    size_t);
void			 state_log_copy(struct state_log *,
			    const struct state_log *);
void			 state_log_clear(struct state_log *);
int			 state_parse_gens(struct state_log *, const char *);
void			 state_format_gens(const struct state_log *,
			    struct sbuf *);

#endif
