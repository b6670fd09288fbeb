/*
 * evmaint: keeps the log tree of a service's operations scripts (rotation,
 * compression, verified archives) so that logrotate is not needed for it.
 * main reads as the steps of every run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "check.h"
#include "cmd.h"
#include "codec-dl.h"
#include "report.h"

/* A compression or hash library that cannot be loaded (see codec-dl.h). */
static void
main_codec_fail(void *rep, const char *msg)
{
	report_error(rep, NULL, "%s", msg);
	/* what was said before it, which _exit would not flush */
	(void)fflush(stdout);
}

/*
 * Descriptors 0-2 that are closed (a careless caller) are held open on
 * /dev/null: else the first file opened would take one, and the messages
 * meant for stderr would be written into it (the lock file, a log).
 */
static void
main_std_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) == -1 && errno == EBADF)
			(void)open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
}

/*
 * The tree is walked with one open descriptor a directory, for the whole
 * run (every path relative to a directory fd, never a path string): a
 * tree of more than about a thousand directories needs more than the soft
 * limit of 1024 that systemd and most shells give. The hard limit is the
 * administrator's; the soft one is ours to raise to it (as systemd advises
 * a program that needs more to do, for itself only).
 */
static void
main_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/*
 * Whether a command line that could not be parsed is a status --check: a
 * monitoring system reads any status outside 0-3 as a broken plugin, so
 * even a usage error is an UNKNOWN line there.
 */
static bool
main_is_probe(const struct evm_ctx *ctx, int argc, char **argv)
{
	int i;

	if (ctx->cmd == NULL || strcmp(ctx->cmd->name, "status") != 0)
		return false;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--check") == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct evm_ctx	ctx;
	struct cmd_args	args;
	int		rc;

	/*
	 * Step 1: the command line. A lost reader of our stdout is not fatal,
	 * nor a file-size limit (ulimit -f: a write past it fails with EFBIG,
	 * an error like ENOSPC, where SIGXFSZ would kill us mid-step); the
	 * time zone is loaded now, not lazily in the middle of a run.
	 */
	main_std_fds();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	tzset();
	/*
	 * The compression blocks and the readers' buffers (1-4 MiB each) are
	 * freed on one thread and wanted again on another: left to glibc's
	 * sliding threshold they come from the heap after the first free and
	 * stay in that thread's arena, and each arena keeps its own (typical
	 * 8th night: 19.9 MiB peak against 15.7 with this; bench/RESULTS.md).
	 * A fixed threshold keeps them mmap()ed, given back on free.
	 */
	(void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if ((rc = cmd_parse(&ctx, argc, argv, &args)) != 0) {
		if (rc == EVM_EXIT_USAGE && main_is_probe(&ctx, argc, argv))
			return check_unknown(stdout, "usage error (see standard "
			    "error)");
		return rc == -1 ? EVM_EXIT_OK : rc;
	}
	/* not for run: its command would inherit the raised limit */
	if (strcmp(ctx.cmd->name, "run") != 0)
		main_nofile();

	/* Step 2: reporting, then the configuration (errors exit 78). */
	ctx.now = clock_now();
	ctx.rep = report_new(ctx.cmd->name, ctx.verbosity, ctx.json,
	    ctx.dry_run);
	codec_dl_on_fail(main_codec_fail, ctx.rep);
	if (ctx.cmd->loads_config && (rc = cmd_load_config(&ctx)) != 0)
		goto out;

	/* Step 3: one instance at a time (exit 75 when another holds it). */
	if ((rc = cmd_lock(&ctx)) != 0)
		goto out;

	/* Step 4: the command itself. */
	rc = ctx.cmd->exec(&ctx, &args);
out:
	/* Step 5: the JSON object, if asked, and the exit status. */
	rc = report_finish(ctx.rep, rc);
	codec_dl_on_fail(NULL, NULL);
	cmd_ctx_free(&ctx);
	return rc;
}
