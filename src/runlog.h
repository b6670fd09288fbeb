/*
 * The log side of `evmaint run`: which log a script writes to and under
 * which tag, appending lines to it the way a `>>` writer does (open, one
 * write, close: a rotation between two writes loses nothing), and reading
 * back the START and END lines it wrote, for report and the script metrics.
 */
#ifndef RUNLOG_H
#define RUNLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

struct evm_config;
struct report;

/* The longest line content run writes; a longer line is split. */
#define RUNLOG_LINE_MAX	65536

struct runlog {
	char	*rel;		/* deploy/deploy.log */
	char	*tag;		/* deploy */
	const char *name;	/* deploy.log, inside rel */
	int	 rootfd;
	int	 dirfd;		/* the log's directory */
	mode_t	 mode;
	uid_t	 uid;
	gid_t	 gid;
};

enum runlog_kind {
	RL_OTHER,	/* a line of the script's output, or not run's at all */
	RL_START,
	RL_END,
};

/* A line run wrote: "STAMP TAG[PID]: START ..." or "...: END ...". */
struct runlog_line {
	enum runlog_kind kind;
	time_t		 t;
	const char	*tag;		/* not NUL-terminated */
	size_t		 taglen;
	long		 pid;
	int		 exit;		/* END: the status, 128+N after signal N */
	int		 sig;		/* END: the signal, or 0 */
	double		 duration;	/* END: seconds */
	const char	*what;		/* START: its command, not NUL-ended */
	size_t		 whatlen;
};

int	runlog_resolve(const struct evm_config *, const char *, const char *,
	    char **, char **, char **);
int	runlog_open(struct runlog *, const struct evm_config *, const char *,
	    const char *, struct report *, char **);
void	runlog_close(struct runlog *);
int	runlog_append(const struct runlog *, const char *, size_t, size_t *);
int	runlog_append_at(int, const char *, const char *, size_t, mode_t,
	    uid_t, gid_t, size_t *);
int	runlog_publish(int, const char *, const char *, size_t, mode_t, uid_t,
	    gid_t, bool);
const char *runlog_tag_bad(const char *);
int	runlog_parse(const char *, size_t, struct runlog_line *);
const char *runlog_signame(int);

#endif
