/*
 * evmaint cat: logs' lines in time order across archives, generations and
 * the live file (history.c reads each log), several logs merged by time,
 * through $PAGER when stdout is a terminal, as git does. Takes no lock and
 * changes nothing.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "evmaint.h"
#include "esc.h"
#include "history.h"
#include "logtime.h"
#include "report.h"
#include "xmalloc.h"

#define CAT_PAGER_ARGS	16
#define CAT_OUTBUF	(256 * 1024)

static int	cmd_cat_exec(struct evm_ctx *, struct cmd_args *);

static const struct evm_opt cmd_cat_opts[] = {
	{ "since", 0, "TIME", "lines at or after the start of TIME" },
	{ "until", 0, "TIME", "lines up to the end of TIME" },
	{ "no-pager", 0, NULL, "never through $PAGER, even to a terminal" },
	{ NULL, 0, NULL, NULL }
};

const struct evm_cmd cmd_cat_entry = {
	"cat", "LOG...",
	"a log's lines in time order across archives, generations and the "
	"live file; several logs merged by time",
	cmd_cat_opts, 1, -1, false, false, true, cmd_cat_exec
};

/* One log being merged: its history and the line waiting to go out. */
struct cat_log {
	struct hist	*h;
	const char	*prefix;	/* NULL: a single log, no prefix */
	bool		 has;		/* a line is waiting */
	char		*text;
	size_t		 len, cap;
	time_t		 time;
	bool		 cont;
	bool		 more;
};

struct cat_pager {
	pid_t	pid;		/* -1: none */
};

/* stdout: once a write fails (the reader went away), nothing more. */
struct cat_out {
	bool	failed;
	int	err;
};

/* A piece of a line; the newline once the line is whole (!more). */
static void
cat_put(struct cat_out *o, const char *prefix, const char *text, size_t len,
    bool more)
{
	if (o->failed)
		return;
	if ((prefix != NULL && (fputs(prefix, stdout) == EOF ||
	    fputs(": ", stdout) == EOF)) ||
	    fwrite(text, 1, len, stdout) != len ||
	    (!more && putchar('\n') == EOF)) {
		o->failed = true;
		o->err = errno;
	}
}

/* The next line of one log into its waiting slot. */
static void
cat_pull(struct cat_log *c)
{
	struct hist_line ln;

	if (hist_next(c->h, &ln) != 1) {
		c->has = false;
		return;
	}
	if (ln.len + 1 > c->cap) {
		c->cap = ln.len + 1;
		c->text = xrealloc(c->text, c->cap);
	}
	memcpy(c->text, ln.text, ln.len);
	c->len = ln.len;
	/* lines before any timestamp are the oldest there are */
	c->time = ln.timed ? ln.time : (time_t)LLONG_MIN;
	c->cont = ln.cont;
	c->more = ln.more;
	c->has = true;
}

/*
 * A k-way merge of whole records (a line and its continuation lines) by
 * time; on equal times the log given first goes first, and a log's own
 * order is kept, so the merge is stable.
 */
static void
cat_merge(struct cat_out *o, struct cat_log *v, size_t n)
{
	size_t	i, best;
	bool	more;

	for (i = 0; i < n; i++)
		cat_pull(&v[i]);
	while (!o->failed) {
		best = n;
		for (i = 0; i < n; i++)
			if (v[i].has && (best == n || v[i].time < v[best].time))
				best = i;
		if (best == n)
			break;
		more = false;
		do {
			/* the rest of a cut line takes no prefix */
			cat_put(o, more ? NULL : v[best].prefix, v[best].text,
			    v[best].len, v[best].more);
			more = v[best].more;
			cat_pull(&v[best]);
		} while (v[best].has && v[best].cont && !o->failed);
	}
}

/* One log alone: its lines as they come, nothing held back. */
static void
cat_single(struct cat_out *o, struct hist *h)
{
	struct hist_line ln;

	while (!o->failed && hist_next(h, &ln) == 1)
		cat_put(o, NULL, ln.text, ln.len, ln.more);
}

/*
 * $PAGER as git runs it, but split at blanks and exec'd without a shell;
 * unset: less, with LESS=FRX unless LESS is set (quit if one screen, raw
 * control characters, no screen clearing). "" or "cat": no pager.
 */
static void
cat_pager_start(struct cat_pager *p)
{
	char	*cmd, *argv[CAT_PAGER_ARGS + 1], *save = NULL, *tok;
	int	 fds[2], st[2], err, n = 0;
	ssize_t	 got;

	p->pid = -1;
	cmd = getenv("PAGER");
	if (cmd == NULL)
		cmd = "less";
	cmd = xstrdup(cmd);
	for (tok = strtok_r(cmd, " \t", &save); tok != NULL &&
	    n < CAT_PAGER_ARGS; tok = strtok_r(NULL, " \t", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (n == 0 || strcmp(argv[0], "cat") == 0 || pipe2(fds, O_CLOEXEC) ==
	    -1) {
		free(cmd);
		return;
	}
	if (pipe2(st, O_CLOEXEC) == -1) {
		close(fds[0]);
		close(fds[1]);
		free(cmd);
		return;
	}
	fflush(stdout);
	if ((p->pid = fork()) == 0) {
		/* main ignores these; the pager expects them */
		signal(SIGPIPE, SIG_DFL);
		signal(SIGXFSZ, SIG_DFL);
		dup2(fds[0], STDIN_FILENO);
		if (getenv("LESS") == NULL)
			setenv("LESS", "FRX", 1);
		execvp(argv[0], argv);
		err = errno;
		(void)!write(st[1], &err, sizeof err);
		_exit(127);
	}
	close(fds[0]);
	close(st[1]);
	if (p->pid != -1) {
		while ((got = read(st[0], &err, sizeof err)) == -1 &&
		    errno == EINTR)
			;
		if (got == sizeof err) {
			/* it could not start: straight to the terminal */
			fprintf(stderr, "evmaint: pager '%s': %s\n", argv[0],
			    strerror(err));
			waitpid(p->pid, NULL, 0);
			p->pid = -1;
		} else
			dup2(fds[1], STDOUT_FILENO);
	}
	close(st[0]);
	close(fds[1]);
	free(cmd);
}

static void
cat_pager_end(struct cat_pager *p)
{
	if (p->pid == -1)
		return;
	fflush(stdout);
	close(STDOUT_FILENO);
	while (waitpid(p->pid, NULL, 0) == -1 && errno == EINTR)
		;
}

static const char *
cat_short(const char *rel)
{
	const char *b = strrchr(rel, '/');

	return b ? b + 1 : rel;
}

/* The prefixes: short names, or paths if two logs share one. */
static char **
cat_prefixes(struct cat_log *v, size_t n)
{
	char	**p = xcalloc(n, sizeof *p);
	size_t	  i, k;
	bool	  clash = false;

	for (i = 0; i < n; i++) {
		const char *b = cat_short(hist_rel(v[i].h));

		p[i] = xstrndup(b, strlen(b) - 4);	/* less ".log" */
		for (k = 0; k < i; k++)
			clash |= strcmp(p[k], p[i]) == 0;
	}
	/* names reach the terminal escaped: an ESC in one is no command */
	for (i = 0; i < n; i++) {
		char *raw = p[i];

		p[i] = esc_human_dup(clash ? hist_rel(v[i].h) : raw);
		free(raw);
		v[i].prefix = p[i];
	}
	return p;
}

/*
 * The logs the operands name, each once, in the order given; *n of them.
 * A short name no log has is reported and sets *rc to 1, as cat(1) goes on
 * past a missing file; a name no log can have ('..', absolute) sets it to
 * 64, as `run --log` does, and nothing is read.
 */
static char **
cat_resolve(struct evm_ctx *ctx, struct cmd_args *args, size_t *n, int *rc)
{
	char	**rels, *rel, *why;
	size_t	  i, k;
	int	  r;

	rels = xcalloc((size_t)args->argc, sizeof *rels);
	*n = 0;
	for (i = 0; i < (size_t)args->argc; i++) {
		if ((r = hist_resolve(ctx->cfg, args->argv[i], &rel, &why)) !=
		    0) {
			report_error(ctx->rep, NULL, "%s", why);
			free(why);
			if (r == -1)
				*rc = EVM_EXIT_USAGE;
			else if (*rc == EVM_EXIT_OK)
				*rc = EVM_EXIT_FAIL;
			continue;
		}
		for (k = 0; k < *n && strcmp(rels[k], rel) != 0; k++)
			;
		if (k < *n)
			free(rel);	/* the same log twice is read once */
		else
			rels[(*n)++] = rel;
	}
	return rels;
}

static int
cmd_cat_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct lt_window	 w;
	struct cat_log		*v;
	struct cat_pager	 pg = { -1 };
	struct cat_out		 out = { false, 0 };
	const char		*bad;
	char			**rels, **pfx = NULL;
	size_t			 n, i, k;
	int			 rc = EVM_EXIT_OK;

	/* the output is the log's own lines: no JSON object around them */
	if (ctx->json) {
		report_error(ctx->rep, NULL, "cat prints a log's lines; --json "
		    "is not for it");
		return EVM_EXIT_USAGE;
	}
	if (lt_window_set(&w, cmd_get(ctx, args, "since"),
	    cmd_get(ctx, args, "until"), ctx->now, &bad) == -1) {
		fprintf(stderr, "evmaint: cat: bad TIME '%s': expected "
		    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], or -30m, -12h, -7d\n",
		    bad);
		return EVM_EXIT_USAGE;
	}

	/* Step 1: which logs; a bad name is an error, before output. */
	rels = cat_resolve(ctx, args, &n, &rc);
	if (rc == EVM_EXIT_USAGE) {
		for (i = 0; i < n; i++)
			free(rels[i]);
		free(rels);
		return rc;
	}

	/* Step 2: open every history (each one's files at once). */
	v = xcalloc(n ? n : 1, sizeof *v);
	for (i = k = 0; i < n; i++)
		if ((v[k].h = hist_open(ctx->cfg, rels[i], &w, ctx->rep)) !=
		    NULL)
			k++;
		else
			rc = EVM_EXIT_FAIL;

	/* Step 3: out, through the pager if a person is reading. */
	setvbuf(stdout, NULL, _IOFBF, CAT_OUTBUF);
	signal(SIGPIPE, SIG_IGN);
	if (k > 0 && isatty(STDOUT_FILENO) && !cmd_has(ctx, args, "no-pager"))
		cat_pager_start(&pg);
	if (k == 1)
		cat_single(&out, v[0].h);
	else if (k > 1) {
		pfx = cat_prefixes(v, k);
		cat_merge(&out, v, k);
	}
	if (!out.failed && fflush(stdout) == EOF) {
		out.failed = true;
		out.err = errno;
	}
	/* a reader that stops early (head, q in less) is no error */
	if (out.failed && out.err != EPIPE) {
		report_error(ctx->rep, NULL, "writing the output: %s",
		    strerror(out.err));
		rc = EVM_EXIT_FAIL;
	}
	report_output_told(ctx->rep);
	for (i = 0; i < k; i++) {
		if (hist_errors(v[i].h) > 0)
			rc = EVM_EXIT_FAIL;
		hist_close(v[i].h);
		free(v[i].text);
		if (pfx != NULL)
			free(pfx[i]);
	}
	cat_pager_end(&pg);
	free(pfx);
	free(v);
	for (i = 0; i < n; i++)
		free(rels[i]);
	free(rels);
	return rc;
}
