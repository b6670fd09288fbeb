/*
 * evmaint verify: every .gz in the tree decompressed in full (CRC-32 and
 * length of every member), every archive in archive_dir checked (sidecar,
 * outer gzip, every member readable, .gz members, safe member names).
 * Read-only: no lock, nothing written, not even error.log.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "fsx.h"
#include "gz.h"
#include "json.h"
#include "pool.h"
#include "report.h"
#include "scan.h"
#include "tree.h"
#include "xmalloc.h"

static int	cmd_verify_exec(struct evm_ctx *, struct cmd_args *);

const struct evm_cmd cmd_verify_entry = {
	"verify", "",
	"check every .gz in the tree and every archive in archive_dir",
	NULL, 0, 0, false, false, true, cmd_verify_exec
};

struct vf_item {
	char		*show;		/* path as reported */
	int		 dirfd;
	char		*file;
	bool		 archive;
	uint64_t	 size;
	char		**problems;
	size_t		 nproblems;
};

struct vf_run {
	struct vf_item	*items;
	size_t		 n;
	uint64_t	 total;
	struct report_progress progress;
};

static void
vf_problem(struct vf_item *it, const char *msg)
{
	it->problems = xgrowarray(it->problems, it->nproblems + 1,
	    sizeof *it->problems);
	it->problems[it->nproblems++] = xstrdup(msg);
}

static void
vf_check(void *arg, size_t i)
{
	struct vf_run	*v = arg;
	struct vf_item	*it = &v->items[i];
	struct stat	 st;
	char		 err[256];
	int		 fd;

	if (it->archive) {
		if (arc_verify(it->dirfd, it->file, &it->problems,
		    &it->nproblems) != 0 && it->nproblems == 0)
			vf_problem(it, "cannot be checked");
	} else if ((fd = fsx_open_read(it->dirfd, it->file, &st)) == -1) {
		snprintf(err, sizeof err, "%s", errno == EMLINK ?
		    "not a regular file with one link: not checked" :
		    strerror(errno));
		vf_problem(it, err);
	} else {
		if (gz_verify_fd(fd, NULL, NULL, err, sizeof err) != 0)
			vf_problem(it, err);
		close(fd);
	}
	report_progress_add(&v->progress, it->size, 1);
}

static void
vf_add(struct vf_run *v, const char *show, int dirfd, const char *file,
    bool archive, uint64_t size)
{
	struct vf_item *it;

	v->items = xgrowarray(v->items, v->n + 1, sizeof *v->items);
	it = &v->items[v->n++];
	memset(it, 0, sizeof *it);
	it->show = xstrdup(show);
	it->dirfd = dirfd;
	it->file = xstrdup(file);
	it->archive = archive;
	it->size = size;
	v->total += size;
}

/* Every *.gz file in the tree, whoever's it is. */
static void
vf_collect_tree(struct vf_run *v, struct tree *t)
{
	struct stat	 st;
	char		*rel;
	size_t		 i, k, len;

	for (i = 0; i < t->ndirs; i++) {
		struct tree_dir *d = t->dirs[i];

		for (k = 0; k < d->nents; k++) {
			const char *name = d->ents[k].name;

			len = strlen(name);
			if (len < 4 || strcmp(name + len - 3, ".gz") != 0 ||
			    fsx_is_tmp_name(name) ||
			    fsx_fstatat(d->fd, name, &st) == -1 ||
			    S_ISDIR(st.st_mode))
				continue;
			rel = tree_join(d->rel, name);
			vf_add(v, rel, d->fd, name, false,
			    (uint64_t)st.st_size);
			free(rel);
		}
	}
}

/*
 * What is named as an archive but is none (a symlink, a FIFO, a directory):
 * arc_list passes over it, as every reader must, but verify is asked about
 * archive_dir and says it cannot vouch for it.
 */
struct vf_odd {
	struct evm_ctx	*ctx;
	int		 arcfd;
};

static int
vf_odd_one(void *arg, const char *name)
{
	struct vf_odd	*o = arg;
	struct stat	 st;
	char		*show;

	if (!arc_parse_name(name, NULL, NULL, NULL) ||
	    fsx_fstatat(o->arcfd, name, &st) == -1 || S_ISREG(st.st_mode))
		return 0;
	xasprintf(&show, "%s/%s", o->ctx->cfg->archive_dir, name);
	report_error(o->ctx->rep, show, "named as an archive but %s: not "
	    "checked", fsx_refusal(&st));
	free(show);
	return 0;
}

static void
vf_odd_archives(struct evm_ctx *ctx, int arcfd)
{
	struct vf_odd o = { ctx, arcfd };

	if (fsx_dir_each(arcfd, vf_odd_one, &o) == -1)
		report_error(ctx->rep, ctx->cfg->archive_dir, "cannot list: %s",
		    strerror(errno));
}

static void
vf_collect_archives(struct evm_ctx *ctx, struct vf_run *v, int arcfd)
{
	struct arc_entry	*e;
	char			*show;
	size_t			 n, i;

	if (arc_list(arcfd, &e, &n) == -1) {
		report_error(ctx->rep, ctx->cfg->archive_dir, "cannot list: %s",
		    strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		xasprintf(&show, "%s/%s", ctx->cfg->archive_dir, e[i].name);
		vf_add(v, show, arcfd, e[i].name, true,
		    (uint64_t)e[i].st.st_size);
		free(show);
	}
	arc_list_free(e, n);
	vf_odd_archives(ctx, arcfd);
}

static int
cmd_verify_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct vf_run	 v;
	struct scan	 s;
	struct json	*j = report_extra(ctx->rep);
	char		*why;
	size_t		 i, k, bad = 0, ngz = 0;
	int		 arcfd;

	memset(&v, 0, sizeof v);
	if (scan_tree(&s, ctx->cfg, ctx->rep) != 0)
		return EVM_EXIT_FAIL;
	vf_collect_tree(&v, &s.tree);
	ngz = v.n;
	if ((arcfd = tree_open_abs(ctx->cfg->archive_dir, NULL, ctx->rep,
	    &why)) == -1) {
		report_error(ctx->rep, NULL, "archive_dir %s", why);
		free(why);
	} else
		vf_collect_archives(ctx, &v, arcfd);

	report_progress_start(&v.progress, ctx->rep, "verified", v.total, v.n);
	pool_run(v.n, pool_threads(), vf_check, &v);
	report_progress_end(&v.progress);

	json_arr_begin(j, "checked");
	for (i = 0; i < v.n; i++) {
		struct vf_item *it = &v.items[i];

		json_obj_begin(j, NULL);
		json_str(j, "path", it->show);
		json_str(j, "kind", it->archive ? "archive" : "gzip");
		json_bool(j, "ok", it->nproblems == 0);
		json_obj_end(j);
		for (k = 0; k < it->nproblems; k++)
			report_error(ctx->rep, it->show, "%s", it->problems[k]);
		if (it->nproblems == 0)
			report_info(ctx->rep, "ok %s", it->show);
		bad += it->nproblems > 0;
	}
	json_arr_end(j);
	if (!ctx->json && ctx->verbosity >= 0)
		printf("verified %zu gzip file%s in the tree and %zu archive%s: "
		    "%zu bad\n", ngz, ngz == 1 ? "" : "s", v.n - ngz,
		    v.n - ngz == 1 ? "" : "s", bad);
	for (i = 0; i < v.n; i++) {
		for (k = 0; k < v.items[i].nproblems; k++)
			free(v.items[i].problems[k]);
		free(v.items[i].problems);
		free(v.items[i].show);
		free(v.items[i].file);
	}
	free(v.items);
	if (arcfd >= 0)
		close(arcfd);
	scan_free(&s);
	return bad > 0 ? EVM_EXIT_FAIL : EVM_EXIT_OK;
}
