/*
 * Reporting. Human output says what changed, in the past tense ("would ..."
 * with --dry-run); errors are delayed failures, bsdtar style: the run goes on
 * and the exit status says 1 at the end. Under cron stdout is often thrown
 * away, which is why actions and errors also go to syslog.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "evmaint.h"
#include "esc.h"
#include "fsx.h"
#include "report.h"
#include "xmalloc.h"

#define REPORT_ERRLOG "error.log"

struct report {
	pthread_mutex_t	 mu;
	const char	*command;
	int		 verbosity;
	bool		 json;
	bool		 dry_run;
	bool		 changed;
	unsigned	 nerrors;
	bool		 syslog_open;
	bool		 syslog_none;	/* nobody listens: do not try */
	bool		 silent;	/* collect only: no stderr, no syslog */
	bool		 denied;	/* an error came from EACCES/EPERM */
	bool		 output_told;	/* the command judged its output */
	struct report_tally tally;

	int		 errlog_dirfd;	/* root, once the tree is open */
	mode_t		 errlog_mode;
	uid_t		 errlog_uid;
	gid_t		 errlog_gid;

	struct json	 actions;	/* the elements of "actions" */
	struct json	 errors;	/* the elements of "errors" */
	struct json	 warnings;	/* the elements of "warnings" */
	struct json	 extra;		/* command-specific members */
	char		**said;		/* dry run: actions already announced */
	size_t		  nsaid;
};

static void	report_syslog(struct report *, int, const char *);
static void	report_append_errlog(struct report *, const char *);
static char	*report_compose(const char *, const char *, va_list);
static void	report_count(struct report *, const char *, int64_t, int64_t);

struct report *
report_new(const char *command, int verbosity, bool json, bool dry_run)
{
	struct report *r = xcalloc(1, sizeof *r);

	pthread_mutex_init(&r->mu, NULL);
	r->command = command;
	r->verbosity = verbosity;
	r->json = json;
	r->dry_run = dry_run;
	r->errlog_dirfd = -1;
	json_init(&r->actions);
	json_init(&r->errors);
	json_init(&r->warnings);
	json_init(&r->extra);
	if (!json)
		setvbuf(stdout, NULL, _IOLBF, 0);
	return r;
}

void
report_free(struct report *r)
{
	if (r == NULL)
		return;
	json_free(&r->actions);
	json_free(&r->errors);
	json_free(&r->warnings);
	json_free(&r->extra);
	while (r->nsaid > 0)
		free(r->said[--r->nsaid]);
	free(r->said);
	if (r->syslog_open)
		closelog();
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* From now on errors are also appended to error.log in this directory. */
void
report_errlog(struct report *r, int dirfd, mode_t mode, uid_t uid, gid_t gid)
{
	r->errlog_dirfd = r->dry_run ? -1 : dirfd;
	r->errlog_mode = mode;
	r->errlog_uid = uid;
	r->errlog_gid = gid;
}

/*
 * "path: message", all of it made safe for a terminal, error.log and syslog:
 * the message names files too (a rename's both ends, a temporary name), and
 * escaping here, once, covers every call site. A newline in a name would
 * otherwise forge an error.log line, an ESC drive the terminal. Escaping is
 * idempotent on its own output (it leaves backslashes alone), so a name
 * escaped by a caller is not mangled.
 */
static char *
report_compose(const char *path, const char *fmt, va_list ap)
{
	struct sbuf	 b;
	char		*msg;

	sbuf_init(&b);
	if (path != NULL && *path != '\0') {
		esc_human(&b, path);
		sbuf_adds(&b, ": ");
	}
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	esc_human(&b, msg != NULL ? msg : "(message lost: out of memory)");
	free(msg);
	return sbuf_steal(&b);
}

/* A whole human line, escaped as report_compose does. */
static void
report_vline(struct report *r, const char *fmt, va_list ap)
{
	char *line = report_compose(NULL, fmt, ap);

	pthread_mutex_lock(&r->mu);
	printf("%s\n", line);
	pthread_mutex_unlock(&r->mu);
	free(line);
}

/* Whether this dry-run line was already printed; remembers it if not. */
static bool
report_said(struct report *r, const char *line)
{
	size_t i;

	for (i = 0; i < r->nsaid; i++)
		if (strcmp(r->said[i], line) == 0)
			return true;
	r->said = xgrowarray(r->said, r->nsaid + 1, sizeof *r->said);
	r->said[r->nsaid++] = xstrdup(line);
	return false;
}

static void
report_verb(struct sbuf *b, bool dry_run, const char *verb)
{
	size_t n = strlen(verb);

	if (dry_run)
		sbuf_addf(b, "would %s", verb);
	else if (strcmp(verb, "write") == 0)
		sbuf_adds(b, "wrote");
	else
		sbuf_addf(b, "%s%s", verb, n > 0 && verb[n - 1] == 'e' ?
		    "d" : "ed");
}

void
report_action(struct report *r, const char *verb, const char *path,
    int64_t before, int64_t after, const char *fmt, ...)
{
	struct sbuf	 line;
	char		*detail = NULL;
	va_list		 ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		detail = report_compose(NULL, fmt, ap);
		va_end(ap);
	}
	sbuf_init(&line);
	report_verb(&line, r->dry_run, verb);
	if (path != NULL) {
		sbuf_adds(&line, " ");
		esc_human(&line, path);
	}
	if (detail != NULL && *detail != '\0')
		sbuf_addf(&line, ": %s", detail);

	pthread_mutex_lock(&r->mu);
	if (r->dry_run && report_said(r, line.s)) {
		/* Two steps may plan the same change (a shared parent). */
		pthread_mutex_unlock(&r->mu);
		sbuf_free(&line);
		free(detail);
		return;
	}
	r->changed = true;
	if (!r->dry_run)
		report_count(r, verb, before, after);
	if (r->json) {
		json_obj_begin(&r->actions, NULL);
		json_str(&r->actions, "action", verb);
		if (path != NULL)
			json_str(&r->actions, "path", path);
		if (before >= 0)
			json_int(&r->actions, "size_before", before);
		if (after >= 0)
			json_int(&r->actions, "size_after", after);
		json_bool(&r->actions, "dry_run", r->dry_run);
		json_str(&r->actions, "message", line.s);
		json_obj_end(&r->actions);
	} else if (r->verbosity >= 0)
		printf("%s\n", line.s);
	if (!r->dry_run)
		report_syslog(r, LOG_INFO, line.s);
	pthread_mutex_unlock(&r->mu);
	sbuf_free(&line);
	free(detail);
}

void
report_error(struct report *r, const char *path, const char *fmt, ...)
{
	char	*msg;
	va_list	 ap;
	bool	 denied = errno == EACCES || errno == EPERM;

	va_start(ap, fmt);
	msg = report_compose(path, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&r->mu);
	r->nerrors++;
	r->denied |= denied;
	r->tally.errors++;
	if (!r->silent)
		fprintf(stderr, "evmaint: error: %s\n", msg);
	if (r->json) {
		json_obj_begin(&r->errors, NULL);
		if (path != NULL)
			json_str(&r->errors, "path", path);
		json_str(&r->errors, "message", msg);
		json_obj_end(&r->errors);
	}
	report_syslog(r, LOG_ERR, msg);
	report_append_errlog(r, msg);
	pthread_mutex_unlock(&r->mu);
	free(msg);
}

void
report_warn(struct report *r, const char *path, const char *fmt, ...)
{
	char	*msg;
	va_list	 ap;

	va_start(ap, fmt);
	msg = report_compose(path, fmt, ap);
	va_end(ap);

	pthread_mutex_lock(&r->mu);
	if (!r->silent)
		fprintf(stderr, "evmaint: warning: %s\n", msg);
	if (r->json) {
		json_obj_begin(&r->warnings, NULL);
		if (path != NULL)
			json_str(&r->warnings, "path", path);
		json_str(&r->warnings, "message", msg);
		json_obj_end(&r->warnings);
	}
	report_syslog(r, LOG_WARNING, msg);
	pthread_mutex_unlock(&r->mu);
	free(msg);
}

/* Detail for -v, human output only. */
void
report_info(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->json || r->verbosity < 1)
		return;
	va_start(ap, fmt);
	report_vline(r, fmt, ap);
	va_end(ap);
}

/* A line of a command's own human output (status, check-config); not -q'd. */
void
report_line(struct report *r, const char *fmt, ...)
{
	va_list ap;

	if (r->json)
		return;
	va_start(ap, fmt);
	report_vline(r, fmt, ap);
	va_end(ap);
}

struct json *
report_extra(struct report *r)
{
	return &r->extra;
}

bool
report_did_change(const struct report *r)
{
	return r->changed;
}

bool
report_failed(const struct report *r)
{
	return r->nerrors > 0;
}

/* Whether an error came from a permission refused (EACCES, EPERM). */
bool
report_denied(const struct report *r)
{
	return r->denied;
}

bool
report_json(const struct report *r)
{
	return r->json;
}

bool
report_quiet(const struct report *r)
{
	return r->verbosity < 0;
}

/*
 * Whether everything printed on stdout got there: a full disk under
 * `status --prometheus > file` must not leave half a file and exit 0.
 * stdout is line-buffered, so a failure happened in an earlier write and
 * only the error flag remains. A pipe whose reader left (head, q in less)
 * is no error: on a pipe or a socket that is the only way writes fail.
 */
static void
report_output_check(struct report *r, int *status)
{
	struct stat	st;
	int		err = 0;

	if (r->output_told)
		return;
	if (fflush(stdout) == EOF)
		err = errno;
	if (err == 0 && !ferror(stdout))
		return;
	if (err == EPIPE || (err == 0 && fstat(STDOUT_FILENO, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))))
		return;
	fprintf(stderr, "evmaint: error: writing the output%s%s\n",
	    err != 0 ? ": " : "", err != 0 ? strerror(err) : "");
	if (*status == EVM_EXIT_OK)
		*status = EVM_EXIT_FAIL;
}

/*
 * A command that judged its output itself (cat: a pager that quit early is
 * no error, and its stdout is closed by the end).
 */
void
report_output_told(struct report *r)
{
	r->output_told = true;
}

/* Prints the JSON object if asked; returns the exit status to use. */
int
report_finish(struct report *r, int status)
{
	if (status == EVM_EXIT_OK && r->nerrors > 0)
		status = EVM_EXIT_FAIL;
	/* The first thing a newcomer trying it as himself meets. */
	if (r->denied && geteuid() != 0 && !r->silent)
		fprintf(stderr, "evmaint: permission denied: evmaint keeps files "
		    "only root may change and must run as root (sudo evmaint "
		    "%s)\n", r->command);
	if (r->json) {
		struct sbuf out;

		sbuf_init(&out);
		sbuf_adds(&out, "{\"command\":\"");
		esc_json(&out, r->command);
		sbuf_addf(&out, "\",\"changed\":%s,\"dry_run\":%s,"
		    "\"exit\":%d,\"actions\":[%s],\"errors\":[%s],"
		    "\"warnings\":[%s]",
		    r->changed ? "true" : "false",
		    r->dry_run ? "true" : "false", status,
		    r->actions.b.s, r->errors.b.s, r->warnings.b.s);
		if (r->extra.b.len > 0)
			sbuf_addf(&out, ",%s", r->extra.b.s);
		sbuf_adds(&out, "}\n");
		fputs(out.s, stdout);
		sbuf_free(&out);
	}
	report_output_check(r, &status);
	return status;
}

/*
 * Whether a syslog daemon listens on _PATH_LOG. Without one, glibc's
 * syslog() tries socket() and connect() again for every message: 30,000
 * pairs of system calls in a night over 10,000 logs, for nothing.
 */
static bool
report_syslog_listens(void)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	static const int	types[] = { SOCK_DGRAM, SOCK_STREAM };
	size_t			i;
	int			fd, rc;

	strncpy(sun.sun_path, _PATH_LOG, sizeof sun.sun_path - 1);
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		if ((fd = socket(AF_UNIX, types[i] | SOCK_CLOEXEC, 0)) == -1)
			continue;
		rc = connect(fd, (struct sockaddr *)&sun, sizeof sun);
		close(fd);
		if (rc == 0)
			return true;
	}
	return false;
}

static void
report_syslog(struct report *r, int prio, const char *msg)
{
	if (r->silent)
		return;
	if (!r->syslog_open) {
		r->syslog_none = !report_syslog_listens();
		if (!r->syslog_none)
			openlog("evmaint", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		r->syslog_open = true;
	}
	if (!r->syslog_none)
		syslog(prio, "%s", msg);
}

/*
 * Appends one line to root/error.log with a single write, as the scripts do.
 * A missing error.log is created the way every evmaint file is (final mode and
 * owner before it has a name); a symlink, hard link or non-regular file there
 * is never written through.
 */
static void
report_append_errlog(struct report *r, const char *msg)
{
	char		 stamp[40];
	struct sbuf	 line;
	struct stat	 st;
	int		 fd;

	if (r->errlog_dirfd < 0)
		return;
	clock_iso8601(clock_now(), stamp, sizeof stamp);
	sbuf_init(&line);
	sbuf_addf(&line, "%s evmaint[%ld]: ERROR %s\n", stamp, (long)getpid(),
	    msg);

	fd = fsx_open_append(r->errlog_dirfd, REPORT_ERRLOG);
	if (fd == -1 && errno == ENOENT) {
		if (fsx_publish_file(r->errlog_dirfd, REPORT_ERRLOG, line.s,
		    line.len, r->errlog_mode, r->errlog_uid, r->errlog_gid,
		    false) == 0 || errno != EEXIST)
			goto out;
		fd = fsx_open_append(r->errlog_dirfd, REPORT_ERRLOG);
	}
	if (fd == -1 || fsx_fstat(fd, &st) == -1 || fsx_refusal(&st) != NULL)
		fprintf(stderr, "evmaint: warning: cannot append to %s\n",
		    REPORT_ERRLOG);
	else if (fsx_write_all(fd, line.s, line.len) == -1)
		fprintf(stderr, "evmaint: warning: %s: %s\n", REPORT_ERRLOG,
		    strerror(errno));
	fsx_close(fd);
out:
	sbuf_free(&line);
}

/* Human size: "812 B", "12.3 KiB", "50.0 MiB". */
void
report_size(char *buf, size_t len, int64_t n)
{
	static const char *units[] = { "KiB", "MiB", "GiB", "TiB" };
	double	v = (double)n;
	int	i = -1;

	if (n < 1024) {
		snprintf(buf, len, "%lld B", (long long)n);
		return;
	}
	while (v >= 1024 && i < 3) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, "%.1f %s", v, units[i]);
}

/* Counts an action for the run record; called with the mutex held. */
static void
report_count(struct report *r, const char *verb, int64_t before,
    int64_t after)
{
	if (strcmp(verb, "rotate") == 0)
		r->tally.rotated++;
	else if (strcmp(verb, "compress") == 0) {
		r->tally.compressed++;
		r->tally.bytes_in += before > 0 ? (uint64_t)before : 0;
		r->tally.bytes_out += after > 0 ? (uint64_t)after : 0;
	} else if (strcmp(verb, "remove") == 0)
		r->tally.deleted++;
	else if (strcmp(verb, "write") == 0)
		r->tally.archives++;
}

/* N more files are in a verified archive. */
void
report_archived(struct report *r, uint64_t n)
{
	pthread_mutex_lock(&r->mu);
	r->tally.archived += n;
	pthread_mutex_unlock(&r->mu);
}

void
report_tally(struct report *r, struct report_tally *t)
{
	pthread_mutex_lock(&r->mu);
	*t = r->tally;
	pthread_mutex_unlock(&r->mu);
}

/*
 * From now on warnings and errors are only collected (with --json, into
 * the object), not printed nor sent to syslog: a monitoring probe that runs
 * every few minutes must not fill syslog with the state it reports.
 */
void
report_silent(struct report *r)
{
	r->silent = true;
}

/* Starts a progress line, if stderr is a terminal and nobody asked for
 * --json, -q or -n (isatty, never TERM: ansible sets TERM without one). */
void
report_progress_start(struct report_progress *p, const struct report *r,
    const char *verb, uint64_t total, size_t nfiles)
{
	memset(p, 0, sizeof *p);
	pthread_mutex_init(&p->mu, NULL);
	p->on = isatty(STDERR_FILENO) && !r->json && r->verbosity >= 0 &&
	    !r->dry_run && !r->silent;
	p->verb = verb;
	p->total = total;
	p->nfiles = nfiles;
	clock_gettime(CLOCK_MONOTONIC, &p->t0);
}

static double
report_secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* Draws the line; the mutex is held. */
static void
report_progress_draw(struct report_progress *p)
{
	struct timespec	t;
	char		a[32], b[32], c[32], eta[32];
	double		secs, rate;
	bool		done = p->done >= p->total && p->files >= p->nfiles;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!done && p->drawn && report_secs(&p->last, &t) < 0.1)
		return;
	p->last = t;
	secs = report_secs(&p->t0, &t);
	rate = secs > 0.05 ? (double)p->done / secs : 0;
	report_size(a, sizeof a, (int64_t)p->done);
	report_size(b, sizeof b, (int64_t)p->total);
	report_size(c, sizeof c, (int64_t)rate);
	if (rate > 0 && p->total > p->done) {
		long left = (long)((double)(p->total - p->done) / rate + 0.5);

		snprintf(eta, sizeof eta, ", ETA %ld:%02ld", left / 60,
		    left % 60);
	} else
		eta[0] = '\0';
	fprintf(stderr, "\revmaint: %s %s of %s, %zu/%zu files, %s/s%s\033[K",
	    p->verb, a, b, p->files, p->nfiles, c, eta);
	p->drawn = true;
	p->complete = done;
}

/* Another `bytes` and `files` done (from any worker thread). */
void
report_progress_add(struct report_progress *p, uint64_t bytes, size_t files)
{
	if (!p->on)
		return;
	pthread_mutex_lock(&p->mu);
	p->done += bytes;
	p->files += files;
	report_progress_draw(p);
	pthread_mutex_unlock(&p->mu);
}

/* The same, as arc_write's progress callback reports it: totals so far. */
void
report_progress_set(void *arg, uint64_t done, uint64_t total, size_t files,
    size_t nfiles)
{
	struct report_progress *p = arg;

	if (!p->on)
		return;
	pthread_mutex_lock(&p->mu);
	p->done = done;
	p->total = total;
	p->files = files;
	p->nfiles = nfiles;
	report_progress_draw(p);
	pthread_mutex_unlock(&p->mu);
}

/* Ends the line, so that what follows starts on a line of its own. */
void
report_progress_end(struct report_progress *p)
{
	if (p->on && p->drawn) {
		pthread_mutex_lock(&p->mu);
		if (!p->complete)
			report_progress_draw(p);
		fputc('\n', stderr);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_destroy(&p->mu);
}
