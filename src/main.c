/*
 * evmaint: keeps the log tree of a service's operations scripts (rotation,
 * compression, verified archives) so that logrotate is not needed for it.
 * main reads as the steps of every run.
 */
#include "config.h"

#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	 * Step 1: the command line. A lost reader of our stdout is not fatal;
	 * the time zone is loaded now, not lazily in the middle of a run.
	 */
	signal(SIGPIPE, SIG_IGN);
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
