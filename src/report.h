/*
 * Everything evmaint tells the world: one human line per action on stdout,
 * errors on stderr, in root/error.log and in syslog, or with --json a single
 * object on stdout. It also remembers whether anything changed and whether
 * anything failed, which decide "changed" and the exit status.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stdint.h>
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
void		 report_changed(struct report *);
bool		 report_failed(const struct report *);
bool		 report_json(const struct report *);
bool		 report_quiet(const struct report *);
int		 report_finish(struct report *, int);
void		 report_size(char *, size_t, int64_t);
void		 report_tally(struct report *, struct report_tally *);
void		 report_archived(struct report *, uint64_t);
void		 report_silent(struct report *);

#endif
