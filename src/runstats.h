/*
 * The scripts' runs summed up, from the START and END lines `run` writes,
 * fed in time order by whoever reads the logs: per tag the runs, failures,
 * last run, last failure and the distribution of durations (report).
 */
#ifndef RUNSTATS_H
#define RUNSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "logtime.h"

struct rs_open {		/* a START, and the last END of its pid so far */
	long		pid;
	time_t		t;
	bool		has_end;
	int		exit;
	int		sig;
	double		duration;
	uint64_t	what;	/* a hash of its START's command */
};

struct rs_script {
	char		*tag;
	size_t		 runs;
	size_t		 failures;
	double		*dur;		/* sorted by rs_finish */
	size_t		 ndur;
	size_t		 capdur;
	double		 total;
	time_t		 last_start;	/* -1: no run */
	int		 last_exit;	/* 128+N after signal N */
	int		 last_sig;
	time_t		 fail_start;	/* -1: no failure */
	int		 fail_exit;
	int		 fail_sig;
	struct rs_open	*open;
	size_t		 nopen;
};

struct runstats {
	struct rs_script	*v;	/* sorted by tag after rs_finish */
	size_t			 n;
	struct lt_window	 w;
	char			**only;	/* the tags asked for, or none: all */
	size_t			 nonly;
	size_t			 lines;	/* START and END lines seen */
};

void	rs_init(struct runstats *, const struct lt_window *, char **, size_t);
void	rs_line(struct runstats *, const char *, size_t);
void	rs_finish(struct runstats *);
double	rs_median(const struct rs_script *);
double	rs_percentile(const struct rs_script *, unsigned);
void	rs_free(struct runstats *);

#endif
