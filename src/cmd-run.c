/*
 * evmaint run: runs a script (no shell) with its stdout and stderr captured
 * through pipes into its log, each line stamped with the time, the tag and
 * the script's pid, between a START and an END line; a failure also goes
 * to error.log. It takes no lock and never rotates: each batch of lines is
 * appended as a `>>` writer would, so rotate may run at any moment.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "esc.h"
#include "fsx.h"
#include "json.h"
#include "report.h"
#include "metrics.h"
#include "runlog.h"
#include "scripts.h"
#include "xmalloc.h"

/* After the command exits, output a background child of it still writes. */
#define RUN_IDLE_MS	200	/* is waited for while it keeps coming, */
#define RUN_LINGER_MS	5000	/* but no longer than this */

struct run_stream {
	int	 fd;		/* -1 at EOF */
	bool	 is_err;
	size_t	 len;
	char	 buf[RUNLOG_LINE_MAX + 1];
};

struct run {
	struct evm_ctx		*ctx;
	struct runlog		 rl;
	char			**argv;
	bool			 pty;
	pid_t			 pid;
	struct run_stream	 out, err;
	struct sbuf		 batch;		/* lines for the next append */
	char			 stamp[40];
	time_t			 stamp_t;
	char			*prefix;	/* "STAMP TAG[PID]: " */
	size_t			 prefix_len;
	bool			 write_failed;	/* said once */
	struct timespec		 t0, t1;
	time_t			 start;
};

static int	cmd_run_exec(struct evm_ctx *, struct cmd_args *);

static const struct evm_opt cmd_run_opts[] = {
	{ "log", 0, "LOG", "the log: a path below root (deploy/deploy.log) or "
	    "a short name (deploy); default: COMMAND's base name" },
	{ "pty", 0, NULL, "COMMAND's stdout is a terminal, for programs that "
	    "buffer their output into a pipe" },
	{ NULL, 0, NULL, NULL }
};

const struct evm_cmd cmd_run_entry = {
	"run", "-- COMMAND [ARG]...",
	"run a script with its output captured into its log; exits with "
	"COMMAND's status",
	cmd_run_opts, 1, -1, true, false, true, cmd_run_exec
};

/* The pid signals are passed on to; 0 before the fork. */
static volatile sig_atomic_t	cmd_run_child;
static volatile sig_atomic_t	cmd_run_pending;	/* came before it */
static struct sigaction		cmd_run_old[NSIG];
static const int		cmd_run_sigs[] = { SIGINT, SIGTERM, SIGHUP };

/*
 * A signal from a terminal (si_code SI_KERNEL) went to the whole process
 * group, the command included: passing it on would deliver it twice.
 */
static void
cmd_run_forward(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)uc;
	if (si->si_code == SI_KERNEL)
		;
	else if (cmd_run_child > 0)
		(void)kill((pid_t)cmd_run_child, sig);
	else
		cmd_run_pending = sig;
	errno = saved;
}

static void
cmd_run_signals(void)
{
	struct sigaction	sa;
	size_t			i;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = cmd_run_forward;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof cmd_run_sigs / sizeof *cmd_run_sigs; i++)
		sigaction(cmd_run_sigs[i], &sa, &cmd_run_old[cmd_run_sigs[i]]);
}

/*
 * In the child: execve along PATH as execvp does, but a file that is not
 * an executable format is not handed to /bin/sh. Returns the errno to tell.
 */
static int
cmd_run_execvp(char **argv)
{
	const char	*path = getenv("PATH"), *p, *c;
	char		 buf[PATH_MAX];
	int		 seen_eacces = 0;
	size_t		 n, len = strlen(argv[0]);

	if (strchr(argv[0], '/') != NULL) {
		execv(argv[0], argv);
		return errno;
	}
	if (path == NULL)
		path = "/bin:/usr/bin";
	for (p = path;; p = c + 1) {
		c = strchr(p, ':');
		n = c != NULL ? (size_t)(c - p) : strlen(p);
		if (n + len + 2 <= sizeof buf) {
			if (n == 0)
				memcpy(buf, ".", (n = 1));
			else
				memcpy(buf, p, n);
			buf[n] = '/';
			memcpy(buf + n + 1, argv[0], len + 1);
			execv(buf, argv);
			if (errno == EACCES)
				seen_eacces = 1;
			else if (errno != ENOENT && errno != ENOTDIR &&
			    errno != ELOOP && errno != ENAMETOOLONG)
				return errno;
		}
		if (c == NULL)
			break;
	}
	return seen_eacces ? EACCES : ENOENT;
}

static void __attribute__((noreturn))
cmd_run_child_main(struct run *r, int outw, int errw, int report)
{
	struct sigaction	dfl;
	sigset_t		none;
	size_t			i;
	int			e;

	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	/* main ignores these; scripts expect them */
	sigaction(SIGPIPE, &dfl, NULL);
	sigaction(SIGXFSZ, &dfl, NULL);
	for (i = 0; i < sizeof cmd_run_sigs / sizeof *cmd_run_sigs; i++)
		sigaction(cmd_run_sigs[i], &cmd_run_old[cmd_run_sigs[i]], NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (dup2(outw, STDOUT_FILENO) == -1 || dup2(errw, STDERR_FILENO) == -1)
		e = errno;
	else
		e = cmd_run_execvp(r->argv);
	(void)!write(report, &e, sizeof e);
	_exit(e == ENOENT ? 127 : 126);
}

/* The stamp of lines read now; recomputed only when the second changes. */
static void
cmd_run_stamp(struct run *r)
{
	time_t now = clock_now();

	if (now != r->stamp_t || r->prefix == NULL) {
		r->stamp_t = now;
		clock_iso8601(now, r->stamp, sizeof r->stamp);
		free(r->prefix);
		xasprintf(&r->prefix, "%s %s[%ld]: ", r->stamp, r->rl.tag,
		    (long)r->pid);
		r->prefix_len = strlen(r->prefix);
	}
}

/*
 * Adds one line of run's own, or of the command's output, to the batch.
 * The prefix is made once a second: formatting it for each of 100,000
 * short lines was most of run's cost.
 */
static void
cmd_run_line(struct run *r, const char *marker, const char *p, size_t n)
{
	sbuf_add(&r->batch, r->prefix, r->prefix_len);
	sbuf_adds(&r->batch, marker);
	sbuf_add(&r->batch, p, n);
	sbuf_add(&r->batch, "\n", 1);
}

/*
 * Appends the batch to the log. If the log cannot be written, the lines go
 * to our stderr instead, so they are not lost, and the reason is said once:
 * those the log did not take, from the start of the line a full disk tore
 * (the lines before it are in the log, and are not given twice).
 */
static void
cmd_run_flush(struct run *r)
{
	const char	*from;
	size_t		 done;

	if (r->batch.len == 0)
		return;
	if (runlog_append(&r->rl, r->batch.s, r->batch.len, &done) == -1) {
		if (!r->write_failed)
			report_warn(r->ctx->rep, r->rl.rel, "cannot append: %s; "
			    "the lines go to stderr", strerror(errno));
		r->write_failed = true;
		from = r->batch.s + done;
		while (from > r->batch.s && from[-1] != '\n')
			from--;
		(void)fsx_write_all(STDERR_FILENO, from,
		    r->batch.len - (size_t)(from - r->batch.s));
	}
	r->batch.len = 0;
}

/* The complete lines in s's buffer; all of it at EOF or when it is full. */
static void
cmd_run_lines(struct run *r, struct run_stream *s, bool eof)
{
	const char	*marker = s->is_err ? "stderr: " : "";
	char		*p = s->buf, *nl, *e = s->buf + s->len;

	while ((nl = memchr(p, '\n', (size_t)(e - p))) != NULL) {
		cmd_run_line(r, marker, p, (size_t)(nl - p));
		p = nl + 1;
	}
	/*
	 * The buffer holds one byte more than a line may: a line of exactly
	 * RUNLOG_LINE_MAX bytes is seen with its newline and not split.
	 */
	while (e - p > RUNLOG_LINE_MAX || (eof && e > p)) {
		size_t n = (size_t)(e - p) > RUNLOG_LINE_MAX ?
		    RUNLOG_LINE_MAX : (size_t)(e - p);

		cmd_run_line(r, marker, p, n);
		p += n;
	}
	s->len = (size_t)(e - p);
	memmove(s->buf, p, s->len);
}

/* Reads what s has; at EOF or on error, closes it. */
static void
cmd_run_read(struct run *r, struct run_stream *s)
{
	ssize_t n;

	n = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	/* a pty's master reads EIO, not EOF, once the last writer is gone */
	cmd_run_stamp(r);
	if (n > 0) {
		if (r->ctx->verbosity > 0 && !r->ctx->json)
			(void)fsx_write_all(s->is_err ? STDERR_FILENO :
			    STDOUT_FILENO, s->buf + s->len, (size_t)n);
		s->len += (size_t)n;
		cmd_run_lines(r, s, false);
		return;
	}
	cmd_run_lines(r, s, true);
	close(s->fd);
	s->fd = -1;
}

static int
cmd_run_ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (int)((b.tv_sec - a->tv_sec) * 1000 +
	    (b.tv_nsec - a->tv_nsec) / 1000000);
}

/* Waits for the command; its wait status. */
static int
cmd_run_reap(struct run *r, bool hang, bool *done)
{
	int status = 0;
	pid_t p;

	do
		p = waitpid(r->pid, &status, hang ? 0 : WNOHANG);
	while (p == -1 && errno == EINTR);
	if (p == r->pid) {
		clock_gettime(CLOCK_MONOTONIC, &r->t1);
		*done = true;
	}
	return status;
}

/*
 * Copies both pipes into the log until they close and the command has
 * exited (its exit seen through a pidfd, or polled for). A background
 * process that keeps the pipes open is not waited for long (RUN_IDLE_MS).
 */
static int
cmd_run_pump(struct run *r)
{
	struct pollfd	 pf[3];
	struct timespec	 gone, last;
	struct run_stream *ss[2] = { &r->out, &r->err };
	int		 pidfd, status = 0, n, i, k, timeout;
	bool		 done = false;

	pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0);
	for (;;) {
		n = 0;
		for (i = 0; i < 2; i++)
			if (ss[i]->fd >= 0)
				pf[n++] = (struct pollfd){ ss[i]->fd, POLLIN, 0 };
		if (n == 0)
			break;
		k = n;
		timeout = -1;
		if (!done && pidfd >= 0)
			pf[n++] = (struct pollfd){ pidfd, POLLIN, 0 };
		else if (!done)
			timeout = 100;
		else {
			timeout = RUN_IDLE_MS - cmd_run_ms_since(&last);
			if (timeout <= 0 || cmd_run_ms_since(&gone) >
			    RUN_LINGER_MS)
				break;
		}
		if (poll(pf, (nfds_t)n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			report_warn(r->ctx->rep, NULL, "poll: %s", strerror(errno));
			break;
		}
		for (i = 0; i < k; i++) {
			if (pf[i].revents == 0)
				continue;
			clock_gettime(CLOCK_MONOTONIC, &last);
			cmd_run_read(r, pf[i].fd == r->out.fd ? &r->out :
			    &r->err);
		}
		cmd_run_flush(r);
		if (!done && (pidfd < 0 || (n > k && pf[k].revents != 0))) {
			status = cmd_run_reap(r, false, &done);
			if (done) {
				gone = r->t1;
				last = r->t1;
			}
		}
	}
	for (i = 0; i < 2; i++)
		if (ss[i]->fd >= 0) {	/* left to the background process */
			cmd_run_stamp(r);
			cmd_run_lines(r, ss[i], true);
			close(ss[i]->fd);
			ss[i]->fd = -1;
		}
	cmd_run_flush(r);
	if (!done)
		status = cmd_run_reap(r, true, &done);
	if (pidfd >= 0)
		close(pidfd);
	return status;
}

/* Each ' in b from offset from on becomes \x27. */
static void
cmd_run_quote_escape(struct sbuf *b, size_t from)
{
	struct sbuf	t;
	size_t		i;

	if (memchr(b->s + from, '\'', b->len - from) == NULL)
		return;
	sbuf_init(&t);
	for (i = from; i < b->len; i++)
		if (b->s[i] == '\'')
			sbuf_adds(&t, "\\x27");
		else
			sbuf_add(&t, b->s + i, 1);
	b->len = from;
	sbuf_add(b, t.s, t.len);
	sbuf_free(&t);
}

/* "START deploy.sh --prod": the command line, escaped as a name is. */
static void
cmd_run_start_line(struct run *r)
{
	struct sbuf	b;
	char		**a;
	bool		q;

	sbuf_init(&b);
	sbuf_adds(&b, "START");
	for (a = r->argv; *a != NULL; a++) {
		size_t from;

		/*
		 * Quoted where the blanks would hide where it ends; a quote
		 * inside is \x27, as a control byte is, so that it cannot
		 * end the quoting.
		 */
		q = **a == '\0' || strpbrk(*a, " \t'") != NULL;
		sbuf_adds(&b, q ? " '" : " ");
		from = b.len;
		esc_human(&b, *a);
		if (q) {
			cmd_run_quote_escape(&b, from);
			sbuf_adds(&b, "'");
		}
	}
	cmd_run_stamp(r);
	cmd_run_line(r, "", b.s, b.len);
	sbuf_free(&b);
	cmd_run_flush(r);
}

/* The END line, and for a failure the line in error.log. */
static void
cmd_run_end(struct run *r, int rc, int sig, int exec_errno, double secs)
{
	struct sbuf	 b;
	char		*cmd = esc_human_dup(r->argv[0]);
	char		*rel = esc_human_dup(r->rl.rel);

	sbuf_init(&b);
	if (exec_errno != 0) {
		sbuf_addf(&b, "cannot run %s: %s", cmd, strerror(exec_errno));
		cmd_run_stamp(r);
		cmd_run_line(r, "", b.s, b.len);
		b.len = 0;
	}
	if (sig != 0)
		sbuf_addf(&b, "END signal=%s duration=%.3fs",
		    runlog_signame(sig), secs);
	else
		sbuf_addf(&b, "END exit=%d duration=%.3fs", rc, secs);
	cmd_run_stamp(r);
	cmd_run_line(r, "", b.s, b.len);
	cmd_run_flush(r);
	if (rc != 0) {
		b.len = 0;
		if (exec_errno != 0)
			sbuf_addf(&b, "ERROR cannot run %s: %s%s, exit %d (%s)",
			    cmd, strerror(exec_errno), exec_errno == ENOENT &&
			    strchr(r->argv[0], '/') == NULL ? " in PATH" : "",
			    rc, rel);
		else if (sig != 0)
			sbuf_addf(&b, "ERROR %s killed by signal %s after "
			    "%.3fs (%s)", cmd, runlog_signame(sig), secs,
			    rel);
		else
			sbuf_addf(&b, "ERROR %s exited %d after %.3fs (%s)",
			    cmd, rc, secs, rel);
		cmd_run_line(r, "", b.s, b.len);
		if (runlog_append_at(r->rl.rootfd, "error.log", r->batch.s,
		    r->batch.len, r->rl.mode, r->rl.uid, r->rl.gid, NULL) == -1)
			report_warn(r->ctx->rep, "error.log", "cannot append: %s",
			    strerror(errno));
		r->batch.len = 0;
	}
	sbuf_free(&b);
	free(cmd);
	free(rel);
}

/*
 * A pty for --pty in place of the stdout pipe: op[0] the master, op[1] the
 * slave, in raw mode so that the bytes come through as written (no \r
 * added). It is not made the command's controlling terminal: the command
 * stays in our process group, as with pipes.
 */
static int
cmd_run_openpty(int op[2])
{
	struct termios	tio;
	int		saved;

	if (openpty(&op[0], &op[1], NULL, NULL, NULL) == -1)
		return -1;
	if (tcgetattr(op[1], &tio) == -1)
		goto fail;
	cfmakeraw(&tio);
	if (tcsetattr(op[1], TCSANOW, &tio) == -1 ||
	    fcntl(op[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(op[1], F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	return 0;
fail:
	saved = errno;
	close(op[0]);
	close(op[1]);
	errno = saved;
	return -1;
}

/* Starts the command; its exec errno (0 when it runs), or -1. */
static int
cmd_run_spawn(struct run *r)
{
	int		 op[2], ep[2], rp[2], e = 0;
	sigset_t	 all, old;
	ssize_t		 n;

	if (r->pty ? cmd_run_openpty(op) == -1 : pipe2(op, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(ep, O_CLOEXEC) == -1) {
		close(op[0]);
		close(op[1]);
		return -1;
	}
	if (pipe2(rp, O_CLOEXEC) == -1) {
		close(op[0]);
		close(op[1]);
		close(ep[0]);
		close(ep[1]);
		return -1;
	}
	/* No signal is passed on before the child's pid is known. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	clock_gettime(CLOCK_MONOTONIC, &r->t0);
	r->start = clock_now();
	if ((r->pid = fork()) == 0)
		cmd_run_child_main(r, op[1], ep[1], rp[1]);
	e = errno;
	if (r->pid > 0) {
		cmd_run_child = r->pid;
		if (cmd_run_pending != 0)
			(void)kill(r->pid, cmd_run_pending);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(op[1]);
	close(ep[1]);
	close(rp[1]);
	r->out.fd = op[0];
	r->err.fd = ep[0];
	if (r->pid == -1) {
		close(op[0]);
		close(ep[0]);
		close(rp[0]);
		errno = e;
		return -1;
	}
	do
		n = read(rp[0], &e, sizeof e);
	while (n == -1 && errno == EINTR);
	close(rp[0]);
	return n == (ssize_t)sizeof e ? e : 0;
}

/* The status run exits with, as a shell reports it. */
static int
cmd_run_status(int ws, int *sig)
{
	*sig = 0;
	if (WIFSIGNALED(ws)) {
		*sig = WTERMSIG(ws);
		return 128 + *sig;
	}
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 1;
}

static void
cmd_run_json(struct run *r, int rc, int sig, double secs)
{
	struct json	*j = report_extra(r->ctx->rep);
	char		 d[32];

	json_str(j, "log", r->rl.rel);
	json_str(j, "tag", r->rl.tag);
	json_int(j, "pid", (int64_t)r->pid);
	json_int(j, "exit_status", rc);
	if (sig != 0)
		json_str(j, "signal", runlog_signame(sig));
	snprintf(d, sizeof d, "%.3f", secs);
	json_raw(j, "duration_seconds", d);
}

/*
 * Pumps the command's output until it exits; its exit status as run's
 * (127 or 126 when exec failed with errno e), its signal, its duration.
 */
static int
cmd_run_wait(struct run *r, int e, int *sig, double *secs)
{
	char	*c;
	int	 rc;

	rc = cmd_run_status(cmd_run_pump(r), sig);
	*secs = (double)(r->t1.tv_sec - r->t0.tv_sec) +
	    (double)(r->t1.tv_nsec - r->t0.tv_nsec) / 1e9;
	if (e != 0) {
		c = esc_human_dup(r->argv[0]);
		/* an error as any (--json has it), but error.log gets only
		   the ERROR line cmd_run_end writes for every failure */
		report_errlog(r->ctx->rep, -1, 0, 0, 0);
		report_error(r->ctx->rep, NULL, "cannot run %s: %s", c,
		    strerror(e));
		report_errlog(r->ctx->rep, r->rl.rootfd, r->ctx->cfg->mode,
		    r->ctx->cfg->uid, r->ctx->cfg->gid);
		free(c);
		rc = e == ENOENT ? 127 : 126;
		*sig = 0;
	}
	return rc;
}

static int
cmd_run_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct run	 r;
	char		*rel, *tag, *why;
	int		 e, rc, sig;
	double		 secs;

	memset(&r, 0, sizeof r);
	r.ctx = ctx;
	r.argv = args->argv;
	r.pty = cmd_has(ctx, args, "pty");
	r.out.fd = r.err.fd = -1;
	r.err.is_err = true;
	sbuf_init(&r.batch);

	/* Step 1: the log, its directories created if missing. */
	if (runlog_resolve(ctx->cfg, cmd_get(ctx, args, "log"), r.argv[0],
	    &rel, &tag, &why) == -1) {
		report_error(ctx->rep, NULL, "%s", why);
		free(why);
		return EVM_EXIT_USAGE;
	}
	if (ctx->dry_run) {
		char *c = esc_human_dup(r.argv[0]);

		report_action(ctx->rep, "run", c, -1, -1, "output to %s "
		    "(tag %s)", rel, tag);
		free(c);
		free(rel);
		free(tag);
		rc = EVM_EXIT_OK;
		goto out;
	}
	rc = runlog_open(&r.rl, ctx->cfg, rel, tag, ctx->rep, &why);
	free(rel);
	free(tag);
	if (r.rl.rootfd >= 0)
		report_errlog(ctx->rep, r.rl.rootfd, ctx->cfg->mode,
		    ctx->cfg->uid, ctx->cfg->gid);
	if (rc == -1) {
		report_error(ctx->rep, NULL, "%s: the command was not run", why);
		free(why);
		rc = EVM_EXIT_FAIL;
		goto out;
	}

	/* Step 2: the command, its signals passed on. */
	/* fds 0-2 that cron left closed are /dev/null already (main) */
	cmd_run_signals();
	if ((e = cmd_run_spawn(&r)) == -1) {
		report_error(ctx->rep, NULL, "cannot start a process: %s",
		    strerror(errno));
		rc = EVM_EXIT_FAIL;
		goto out;
	}
	cmd_run_start_line(&r);

	/* Step 3: its output, line by line, until it exits. */
	rc = cmd_run_wait(&r, e, &sig, &secs);

	/* Step 4: END, error.log, and the record status and metrics read. */
	cmd_run_end(&r, rc, sig, e, secs);
	scripts_record(ctx->cfg, r.rl.tag, r.rl.rel, r.start, secs, rc,
	    ctx->rep);
	(void)metrics_update(ctx);
	if (ctx->json)
		cmd_run_json(&r, rc, sig, secs);
out:
	cmd_run_child = 0;
	report_errlog(ctx->rep, -1, 0, 0, 0);
	runlog_close(&r.rl);
	sbuf_free(&r.batch);
	free(r.prefix);
	return rc;
}
