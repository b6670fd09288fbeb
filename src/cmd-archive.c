/*
 * evmaint archive: a verified snapshot, now, of the whole tree (every live
 * log as it is at this moment, every generation, README.md) under the
 * tree's own names, so that extracting it recreates the tree. A .tar.gz,
 * which compresses the live logs. Nothing in the tree changes.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "fsx.h"
#include "json.h"
#include "metrics.h"
#include "report.h"
#include "runs.h"
#include "scan.h"
#include "tree.h"
#include "xmalloc.h"

static int	cmd_archive_exec(struct evm_ctx *, struct cmd_args *);
static int	cmd_archive_snapshot(struct evm_ctx *);

const struct evm_cmd cmd_archive_entry = {
	"archive", "",
	"snapshot now: one verified archive of the whole tree; changes nothing "
	"in it",
	NULL, 0, 0, false, true, true, cmd_archive_exec
};

static void
cmd_archive_add(struct arc_member **m, size_t *n, char **names,
    struct tree_dir *d, const char *file, bool live)
{
	*m = xgrowarray(*m, *n + 1, sizeof **m);
	memset(&(*m)[*n], 0, sizeof **m);
	names[*n] = tree_join(d->rel, file);
	(*m)[*n].name = names[*n];
	(*m)[*n].dirfd = d->fd;
	(*m)[*n].file = file;
	(*m)[*n].live = live;
	(*n)++;
}

/* Live logs, their generations and README.md; refusals reported. */
static struct arc_member *
cmd_archive_members(struct evm_ctx *ctx, struct scan *s, char ***namesp,
    size_t *np)
{
	struct arc_member	*m = NULL;
	const struct gen	*g;
	struct stat		 st;
	char			**names, *rel;
	size_t			 n = 0, i, k, max = 1;

	for (i = 0; i < s->nlogs; i++)
		max += 1 + s->logs[i].ngens;
	names = xcalloc(max, sizeof *names);
	if (fsx_fstatat(s->tree.rootfd, "README.md", &st) == 0 &&
	    fsx_refusal(&st) == NULL)
		cmd_archive_add(&m, &n, names, s->tree.dirs[0], "README.md",
		    true);
	for (i = 0; i < s->nlogs; i++) {
		struct log *l = &s->logs[i];

		if (l->refused != NULL) {
			report_error(ctx->rep, l->rel, "%s; not in the snapshot",
			    l->refused);
			continue;
		}
		if (l->dir == NULL)
			continue;
		if (l->exists)
			cmd_archive_add(&m, &n, names, l->dir, l->name, true);
		for (k = 0; k < l->ngens; k++)
			if (l->gens[k].refused == NULL)
				cmd_archive_add(&m, &n, names, l->dir,
				    l->gens[k].name, false);
		for (k = 0; (g = log_next_refused(l, &k)) != NULL;) {
			rel = tree_join(l->dirrel, g->name);
			report_error(ctx->rep, rel, "%s; not in the snapshot",
			    g->refused);
			free(rel);
		}
	}
	*namesp = names;
	*np = n;
	return m;
}

/* The snapshot, then its run record and the metrics. */
static int
cmd_archive_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct timespec	 t0;
	const char	*base;
	char		*why;
	int		 rc, dfd;

	(void)args;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = cmd_archive_snapshot(ctx);
	if (ctx->dry_run)
		return rc;
	dfd = tree_open_parent_trusted(ctx->cfg->state_file, NULL,
	    ctx->rep, &base, &why);
	if (dfd == -1) {
		report_error(ctx->rep, NULL, "state directory: %s", why);
		free(why);
	} else {
		runs_record(ctx, dfd, base, &t0, rc);
		close(dfd);
	}
	(void)metrics_update(ctx);
	return rc;
}

/*
 * What arc_write made of the members: each one left out, then the snapshot
 * FINAL (got > 0) or that there was nothing to write (got == 0).
 */
static void
cmd_archive_report(struct evm_ctx *ctx, const struct arc_member *m, size_t n,
    int got, const char *final)
{
	uint64_t	 bytes = 0;
	char		*path, size[32];
	size_t		 i, ok = 0;

	for (i = 0; i < n; i++) {
		if (m[i].ok) {
			ok++;
			bytes += m[i].size;
		} else if (m[i].error != NULL)
			report_error(ctx->rep, m[i].name, "not in the snapshot: "
			    "%s", m[i].error);
	}
	if (got > 0 && final != NULL) {
		report_archived(ctx->rep, ok);
		xasprintf(&path, "%s/%s", ctx->cfg->archive_dir, final);
		report_size(size, sizeof size, (int64_t)bytes);
		report_action(ctx->rep, "write", path, (int64_t)bytes, -1,
		    "snapshot of %zu files, %s, verified", ok, size);
		json_str(report_extra(ctx->rep), "archive", path);
		free(path);
	} else if (got == 0)
		report_error(ctx->rep, NULL, "nothing to put in a snapshot");
}

static int
cmd_archive_snapshot(struct evm_ctx *ctx)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct arc_member	*m;
	struct arc_opts		 o;
	struct scan		 s;
	struct report_progress	 prog;
	char			*final = NULL, **names, stamp[32];
	size_t			 n, i;
	int			 arcfd, got;

	/* Step 1: the tree as it is, and archive_dir, which must exist. */
	if (scan_tree(&s, cfg, ctx->rep) != 0)
		return EVM_EXIT_FAIL;
	report_errlog(ctx->rep, scan_errlog_fd(&s), cfg->mode, cfg->uid, cfg->gid);
	if ((arcfd = arcdir_open(cfg, ctx->rep, true, "")) == -1) {
		report_errlog(ctx->rep, -1, 0, 0, 0);
		scan_free(&s);
		return EVM_EXIT_FAIL;
	}
	arc_cleanup(arcfd, cfg->archive_dir, ctx->dry_run, ctx->rep);

	/* Step 2: every live log, generation and README.md. */
	m = cmd_archive_members(ctx, &s, &names, &n);
	if (ctx->dry_run) {
		clock_stamp(ctx->now, stamp, sizeof stamp);
		report_action(ctx->rep, "write", NULL, -1, -1, "%s/event-%s.tar.gz"
		    ": snapshot of %zu files", cfg->archive_dir, stamp, n);
		goto out;
	}

	/* Step 3: written, re-read, checked, published. */
	memset(&o, 0, sizeof o);
	o.gzip = true;
	o.level = cfg->defaults.compress_level;
	o.stamp = ctx->now;
	o.mode = cfg->mode;
	o.dir = cfg->archive_dir;
	o.uid = cfg->uid;
	o.gid = cfg->gid;
	report_progress_start(&prog, ctx->rep, "snapshot", 0, n);
	if (prog.on) {
		o.progress = report_progress_set;
		o.progress_arg = &prog;
	}
	got = arc_write(arcfd, m, n, &o, ctx->rep, &final);
	report_progress_end(&prog);
	cmd_archive_report(ctx, m, n, got, final);
out:
	for (i = 0; i < n; i++) {
		free(m[i].error);
		free(names[i]);
	}
	free(names);
	free(m);
	free(final);
	close(arcfd);
	report_errlog(ctx->rep, -1, 0, 0, 0);
	scan_free(&s);
	return EVM_EXIT_OK;
}
