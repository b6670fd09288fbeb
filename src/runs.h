/*
 * Run records: every rotate and archive leaves one (start, duration, exit
 * status, what it did) in STATE.runs beside the state file, the last
 * RUNS_KEEP of them, so that status, status --check and the metrics can
 * tell when evmaint last ran and last succeeded.
 */
#ifndef RUNS_H
#define RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "esc.h"

#define RUNS_KEEP	30
#define RUNS_VERSION	1

struct evm_ctx;
struct report_tally;

struct run_rec {
	char		command[16];	/* "rotate", "archive" */
	time_t		start;
	int64_t		duration_ms;
	int		exit_status;
	uint64_t	rotated;
	uint64_t	compressed;
	uint64_t	archived;	/* files put into verified archives */
	uint64_t	archives;	/* archives written */
	uint64_t	deleted;
	uint64_t	bytes_in;	/* read by compression */
	uint64_t	bytes_out;	/* written by compression */
	uint64_t	errors;
};

struct runs {
	struct run_rec	*v;	/* oldest first */
	size_t		 n;
};

int			 runs_parse(struct runs *, const char *, size_t, char **);
void			 runs_format(const struct runs *, struct sbuf *);
int			 runs_load(int, const char *, struct runs *, char **);
int			 runs_append(int, const char *, const struct run_rec *,
			    mode_t, gid_t, char **);
void			 runs_free(struct runs *);
const struct run_rec	*runs_last(const struct runs *, const char *, bool);
char			*runs_name(const char *);
void			 runs_record(struct evm_ctx *, int, const char *,
			    const struct timespec *, int);

#endif
