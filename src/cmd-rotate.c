/*
 * evmaint rotate: the nightly pass. Finish what an interrupted run left,
 * remove its temporary files, rotate what is due, compress, archive what
 * expires, apply archive retention, and record it all in the state file.
 */
#include "config.h"

#include <stdlib.h>

#include "evmaint.h"
#include "metrics.h"
#include "mon.h"
#include "report.h"
#include "compress.h"
#include "expire.h"
#include "recover.h"
#include "rotate.h"
#include "run.h"
#include "runs.h"

static int	cmd_rotate_exec(struct evm_ctx *, struct cmd_args *);

static const struct evm_opt cmd_rotate_opts[] = {
	{ "force", 'f', NULL, "rotate even if already rotated today" },
	{ NULL, 0, NULL, NULL }
};

const struct evm_cmd cmd_rotate_entry = {
	"rotate", "",
	"the nightly pass: rotate what is due, compress, keep N, archive "
	"what expires",
	cmd_rotate_opts, 0, 0, false, true, true, cmd_rotate_exec
};

static int
cmd_rotate_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct rot_run	r;
	struct timespec	t0;
	int		rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);

	/* Step 1: the tree, the state, and an interrupted run's journal. */
	if ((rc = run_open(&r, ctx)) != 0)
		goto out;
	r.force = cmd_has(ctx, args, "force");
	if (rec_recover(&r) != 0) {
		rc = EVM_EXIT_FAIL;
		goto out;
	}
	run_cleanup_tmp(&r);

	/* Step 2: plain/.gz pairs a crash left, then the rotation itself. */
	cz_resolve_dups(&r);
	rot_rotate(&r);

	/* Step 3: compress, largest first, on every core. */
	cz_compress(&r);

	/* Step 4: what expired goes to a verified archive, then away. */
	ex_expire(&r);
	ex_retention(&r);

	/* Step 5: the state file, then the journal's removal. */
	if (run_finish(&r) != 0)
		rc = EVM_EXIT_FAIL;
out:
	/* Step 6: this run's record, then the metrics that read it. */
	runs_record(ctx, r.statedir, r.state_name, &t0, rc);
	run_close(&r);
	if (!ctx->dry_run)
		(void)metrics_update(ctx);
	/* -v and -n are a person watching: the warnings status would give. */
	if (rc == 0 && (ctx->verbosity > 0 || ctx->dry_run) && !ctx->json)
		mon_warn(ctx, "logrotate drift backlog gap clock");
	return rc;
}
