/*
 * The scripts' runs as `evmaint run` records them, summed up to the last
 * run of each script: what status --check and the metrics report. The END
 * line in the script's log is the record; anything kept beside it only
 * speeds this up.
 */
#ifndef SCRIPTS_H
#define SCRIPTS_H

#include <stddef.h>
#include <time.h>

struct evm_config;
struct report;

struct script_run {
	char	*tag;		/* the short name run stamps: "deploy" */
	time_t	 last_start;	/* the last run's START */
	double	 last_duration;	/* seconds */
	int	 last_exit;	/* exit status; 128+N after signal N */
	time_t	 last_success;	/* START of the last run that exited 0, or -1 */
};

struct script_runs {
	struct script_run	*v;	/* sorted by tag */
	size_t			 n;
};

int	scripts_load(const struct evm_config *, struct script_runs *,
	    struct report *);
void	scripts_free(struct script_runs *);
void	scripts_record(const struct evm_config *, const char *, const char *,
	    time_t, double, int, struct report *);

#endif
