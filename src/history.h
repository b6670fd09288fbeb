/*
 * One log's whole history, read in time order as a stream of lines: its
 * generations archived in archive_dir's nightly archives (only those whose
 * days can hold lines in the window), then the tree's generations, then the
 * live log, decompressed as they stream, so memory stays flat. Used by
 * `evmaint cat` and `evmaint report`; it takes no lock and changes nothing.
 *
 * Consistency: hist_open opens every source it will read first, then checks
 * that neither the log's directory nor archive_dir changed meanwhile, and
 * starts again if they did; a rotation running later changes names, not the
 * files already open, so no line is read twice or missed. A generation that
 * is both in the tree and in an archive (an archive published, its sources
 * not yet removed) is read once.
 *
 * Usage:
 *	char *rel, *why;
 *	struct hist *h;
 *	struct hist_line ln;
 *
 *	if (hist_resolve(cfg, "deploy", &rel, &why) != 0) { ...why...; }
 *	if ((h = hist_open(cfg, rel, &window, rep)) == NULL) { ...reported... }
 *	while (hist_next(h, &ln) == 1)
 *		fwrite(ln.text, 1, ln.len, stdout), putchar('\n');
 *	failed = hist_errors(h) > 0;	(each problem was reported to rep)
 *	hist_close(h);
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "logtime.h"

struct evm_config;
struct report;
struct hist;

/*
 * A line of the history. text is the line without its newline, followed by
 * a NUL (the line may hold NULs of its own: use len); it stays valid until
 * the next hist_next or hist_close. A line longer than HIST_LINE_MAX comes
 * in pieces: each but the last marked more, each after the first cont.
 */
struct hist_line {
	const char	*text;
	size_t		 len;
	time_t		 time;	/* its own, or for cont the line's it is with */
	bool		 timed;	/* false: no timestamped line came before it */
	bool		 cont;	/* no timestamp of its own */
	bool		 more;	/* cut: the line goes on in the next piece */
	const char	*source;/* where it was read, for messages */
};

#define HIST_LINE_MAX	(1024 * 1024)

/*
 * A LOG argument as people give it: a path relative to root
 * ("deploy/deploy.log", "error.log") or a short name ("deploy" for
 * deploy/deploy.log, "error" for error.log). Absolute paths, "..", and
 * anything but a *.log path are refused. Returns 0 with *rel (malloc'd);
 * else *why (malloc'd) says what is wrong: -1 for a name no log can have
 * (a usage error), 1 for a short name no log in the tree or the config
 * has. A path need not exist now (its archived days may).
 */
int		 hist_resolve(const struct evm_config *, const char *, char **,
		    char **);

/*
 * Opens REL's history within the window (NULL: all of it). Problems with
 * single sources (an unreadable generation, a corrupt archive member) are
 * reported to rep as they are met, naming the log and the day, and counted
 * by hist_errors; reading goes on with the next source. Returns NULL (after
 * reporting why) only when nothing of the log can be read: its directory
 * is unsafe, or the log has no live file, generation nor archived day.
 */
struct hist	*hist_open(const struct evm_config *, const char *,
		    const struct lt_window *, struct report *);

/* 1: a line in *ln; 0: the end of the history (or of the window). */
int		 hist_next(struct hist *, struct hist_line *);

/* How many problems were reported so far. */
unsigned	 hist_errors(const struct hist *);

/* The log's path relative to root, as opened. */
const char	*hist_rel(const struct hist *);

void		 hist_close(struct hist *);

#endif
