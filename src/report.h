/*
 * Everything evmaint tells the world: one human line per action on stdout,
 * errors on stderr, in root/error.log and in syslog, or with --json a single
 * object on stdout. It also remembers whether anything changed and whether
 * anything failed, which decide "changed" and the exit status.
 */
#ifndef REPORT_H
#define REPORT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/types.h>

#include "json.h"

struct report;

/* What a run did, counted from its actions (for its run record). */
struct report_tally {
	uint64_t	rotated;
	uint64_t	compressed;
	uint64_t	archived;	/* files in verified archives */
	uint64_t	archives;	/* archives written */
	uint64_t	deleted;
	uint64_t	bytes_in;	/* read by compression */
	uint64_t	bytes_out;	/* written by compression */
	uint64_t	errors;
};

/*
 * A progress line on stderr (bytes done of total, rate, ETA, files), only
 * when stderr is a terminal and output is for people; updated from any
 * thread, at most ten times a second.
 */
struct report_progress {
	pthread_mutex_t	 mu;
	bool		 on;
	bool		 drawn;
	bool		 complete;	/* the last line drawn said all done */
	const char	*verb;		/* "compressing" */
	struct timespec	 t0;
	struct timespec	 last;
	uint64_t	 done;
	uint64_t	 total;
	size_t		 files;
	size_t		 nfiles;
};

struct report	*report_new(const char *, int, bool, bool);
void		 report_free(struct report *);
void		 report_errlog(struct report *, int, mode_t, uid_t, gid_t);
void		 report_action(struct report *, const char *, const char *,
		    int64_t, int64_t, const char *, ...)
		    __attribute__((format(printf, 6, 7)));
void		 report_error(struct report *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 report_warn(struct report *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 report_info(struct report *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
void		 report_line(struct report *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
struct json	*report_extra(struct report *);
bool		 report_did_change(const struct report *);
bool		 report_failed(const struct report *);
bool		 report_json(const struct report *);
bool		 report_quiet(const struct report *);
int		 report_finish(struct report *, int);
void		 report_output_told(struct report *);
bool		 report_denied(const struct report *);
void		 report_size(char *, size_t, int64_t);
void		 report_tally(struct report *, struct report_tally *);
void		 report_archived(struct report *, uint64_t);
void		 report_silent(struct report *);
void		 report_progress_start(struct report_progress *,
		    const struct report *, const char *, uint64_t, size_t);
void		 report_progress_add(struct report_progress *, uint64_t,
		    size_t);
void		 report_progress_set(void *, uint64_t, uint64_t, size_t,
		    size_t);
void		 report_progress_end(struct report_progress *);

#endif
