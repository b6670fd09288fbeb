/*
 * evmaint init: create or repair the tree, archive_dir and the state
 * directory. Idempotent: an existing log is never truncated or replaced; a
 * wrong mode or owner is repaired and reported; a symlink or other odd file
 * where a directory or log should be is reported and left alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "sbuf.h"
#include "fsx.h"
#include "readme.h"
#include "mon.h"
#include "report.h"
#include "scan.h"
#include "tree.h"
#include "xmalloc.h"

static int	cmd_init_exec(struct evm_ctx *, struct cmd_args *);

const struct evm_cmd cmd_init_entry = {
	"init", "", "create or repair the tree and archive_dir; idempotent",
	NULL, 0, 0, false, true, true, cmd_init_exec
};

/* Mode and owner of an open file or directory, repaired when they differ. */
static void
cmd_init_repair(struct evm_ctx *ctx, int fd, const char *what,
    const struct stat *st, mode_t want)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct sbuf		 d;

	if ((st->st_mode & 07777) == want && st->st_uid == cfg->uid &&
	    st->st_gid == cfg->gid)
		return;
	sbuf_init(&d);
	sbuf_add(&d, "", 0);
	if ((st->st_mode & 07777) != want)
		sbuf_addf(&d, "mode %04o -> %04o",
		    (unsigned)(st->st_mode & 07777), (unsigned)want);
	if (st->st_uid != cfg->uid || st->st_gid != cfg->gid)
		sbuf_addf(&d, "%sowner %ju:%ju -> %s:%s", d.len ? ", " : "",
		    (uintmax_t)st->st_uid, (uintmax_t)st->st_gid, cfg->owner,
		    cfg->group);
	if (!ctx->dry_run && (fsx_fchown(fd, cfg->uid, cfg->gid) == -1 ||
	    fsx_fchmod(fd, want) == -1))
		report_error(ctx->rep, what, "cannot repair (%s): %s", d.s,
		    strerror(errno));
	else
		report_action(ctx->rep, "repair", what, -1, -1, "%s", d.s);
	sbuf_free(&d);
}

/* An existing file in the tree: refused if odd, else its mode repaired. */
static void
cmd_init_file(struct evm_ctx *ctx, struct tree_dir *dir, const char *name,
    const char *kind)
{
	struct stat	 st;
	char		*rel;
	int		 fd;

	/* Refused (cmd_init_dirs said why): not even its files' modes. */
	if (dir->untrusted != NULL)
		return;
	rel = tree_join(dir->rel, name);
	if ((fd = fsx_open_read(dir->fd, name, &st)) == -1) {
		if (errno == EMLINK || errno == ELOOP) {
			if (fsx_fstatat(dir->fd, name, &st) == 0 &&
			    fsx_refusal(&st) != NULL)
				report_error(ctx->rep, rel, "%s where %s should "
				    "be: left alone", fsx_refusal(&st), kind);
			else
				report_error(ctx->rep, rel, "is a symlink "
				    "where %s should be: left alone", kind);
		} else
			report_error(ctx->rep, rel, "%s", strerror(errno));
	} else {
		cmd_init_repair(ctx, fd, rel, &st, ctx->cfg->mode);
		close(fd);
	}
	free(rel);
}

/*
 * A file that must exist: created when missing, at its final mode and owner
 * before it has its name (so a writer never sees it otherwise), else checked.
 */
static void
cmd_init_ensure_file(struct evm_ctx *ctx, struct tree_dir *dir,
    const char *dirrel, const char *name, const char *content,
    const char *kind)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct stat		 st;
	char			*rel = tree_join(dirrel, name);
	size_t			 len = content ? strlen(content) : 0;

	if (dir == NULL) {		/* its directory would be created */
		report_action(ctx->rep, "create", rel, -1, (int64_t)len,
		    "%s (%04o %s:%s)", kind, (unsigned)cfg->mode, cfg->owner,
		    cfg->group);
		goto out;
	}
	if (fsx_fstatat(dir->fd, name, &st) == 0 || errno != ENOENT) {
		cmd_init_file(ctx, dir, name, kind);
		goto out;
	}
	if (dir->untrusted != NULL) {
		report_error(ctx->rep, rel, "not created: its directory is %s",
		    dir->untrusted);
		goto out;
	}
	if (!ctx->dry_run && fsx_publish_file(dir->fd, name, content ?
	    content : "", len, cfg->mode, cfg->uid, cfg->gid, false) == -1) {
		if (errno == EEXIST)	/* a writer created it just now */
			cmd_init_file(ctx, dir, name, kind);
		else
			report_error(ctx->rep, rel, "cannot create: %s",
			    strerror(errno));
		goto out;
	}
	report_action(ctx->rep, "create", rel, -1, (int64_t)len,
	    "%s (%04o %s:%s)", kind, (unsigned)cfg->mode, cfg->owner,
	    cfg->group);
out:
	free(rel);
}

/*
 * Every directory of the tree, root included: owner and dir_mode. One that
 * someone else owns is refused, never chowned: what they put in it (a
 * symlink, a hard link, a planted generation) would become ours. Nothing
 * below it is touched either (tree_dir_trust).
 */
static void
cmd_init_dirs(struct evm_ctx *ctx, struct tree *t)
{
	struct tree_dir	*d;
	char		 who[64];
	size_t		 i;

	for (i = 0; i < t->ndirs; i++) {
		d = t->dirs[i];
		if (!tree_owner_ok(&d->st, ctx->cfg->uid)) {
			report_error(ctx->rep, *d->rel ? d->rel : t->root,
			    "directory owned by %s: refused, not repaired, "
			    "nothing in it touched (evmaint takes over no "
			    "directory someone else owns)", fsx_user_name(
			    d->st.st_uid, who, sizeof who));
			continue;
		}
		if (d->parent != NULL && d->parent->untrusted != NULL) {
			tree_dir_trust(t, d);
			continue;
		}
		cmd_init_repair(ctx, d->fd, *d->rel ? d->rel : t->root, &d->st,
		    ctx->cfg->dir_mode);
		if (!ctx->dry_run)
			tree_dir_trust(t, d);
		else {
			free((char *)d->untrusted);
			d->untrusted = NULL;	/* it would be repaired */
		}
	}
}

/* The configured logs: their directories and the empty files. */
static void
cmd_init_logs(struct evm_ctx *ctx, struct tree *t)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct tree_mk		 mk = { cfg->dir_mode, cfg->uid, cfg->gid,
				    ctx->dry_run };
	struct tree_dir		*dir;
	char			*dirrel, *slash;
	size_t			 i;

	for (i = 0; i < cfg->nlogs; i++) {
		dirrel = xstrdup(cfg->logs[i]);
		slash = strrchr(dirrel, '/');
		if (slash != NULL)
			*slash = '\0';
		dir = tree_dir_open(t, slash ? dirrel : "", &mk, ctx->rep);
		if (dir != NULL || errno == ENOENT)
			cmd_init_ensure_file(ctx, dir, slash ? dirrel : "",
			    slash ? slash + 1 : cfg->logs[i], NULL, "a log");
		free(dirrel);
	}
}

/* Logs found in the tree and their generations: refusals and repairs. */
static void
cmd_init_found(struct evm_ctx *ctx, struct scan *s)
{
	size_t i, j;

	for (i = 0; i < s->nlogs; i++) {
		struct log *l = &s->logs[i];

		if (l->dir == NULL || !l->exists || l->configured)
			continue;
		cmd_init_file(ctx, l->dir, l->name, "a log");
	}
	for (i = 0; i < s->nlogs; i++) {
		struct log *l = &s->logs[i];

		for (j = 0; j < l->ngens; j++)
			if (l->dir != NULL)
				cmd_init_file(ctx, l->dir, l->gens[j].name,
				    "a generation");
	}
}

/* archive_dir: created (never by rotate or archive), mode repaired. */
static void
cmd_init_archive_dir(struct evm_ctx *ctx)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct tree_mk		 mk = { cfg->dir_mode, cfg->uid, cfg->gid,
				    ctx->dry_run };
	struct stat		 st;
	char			*why;
	int			 fd;

	/* not created, nor repaired, where it would be in the tree */
	if (arcdir_apart(cfg, -1, &why) == -1) {
		report_error(ctx->rep, NULL, "archive_dir %s", why);
		free(why);
		return;
	}
	if ((fd = tree_open_abs(cfg->archive_dir, &mk, ctx->rep, &why)) == -1) {
		if (!(ctx->dry_run && errno == ENOENT))
			report_error(ctx->rep, NULL, "archive_dir %s", why);
		free(why);
		return;
	}
	/*
	 * One that exists is judged as rotate judges it: outside the tree,
	 * what someone else owns or could write is refused, never taken
	 * over, since the archives in it are what sources are deleted for.
	 */
	if (tree_check_fd(fd, cfg->archive_dir, cfg->uid, &why) == -1) {
		report_error(ctx->rep, NULL, "archive_dir %s", why);
		free(why);
	} else if (fsx_fstat(fd, &st) == 0)
		cmd_init_repair(ctx, fd, cfg->archive_dir, &st, cfg->dir_mode);
	close(fd);
}

/* With --dry-run and no root yet: everything below it would be created. */
static void
cmd_init_plan_missing_root(struct evm_ctx *ctx)
{
	const struct evm_config	*cfg = ctx->cfg;
	char			**said = NULL, *dirrel, *slash, *p;
	size_t			  nsaid = 0, i, j;

	for (i = 0; i < cfg->nlogs; i++) {
		dirrel = xstrdup(cfg->logs[i]);
		slash = strrchr(dirrel, '/');
		if (slash != NULL) {
			*slash = '\0';
			/* each missing directory once, parents first */
			for (p = dirrel;; p++) {
				if (*p != '/' && *p != '\0')
					continue;
				char *prefix = xstrndup(dirrel,
				    (size_t)(p - dirrel));
				for (j = 0; j < nsaid; j++)
					if (strcmp(said[j], prefix) == 0)
						break;
				if (j == nsaid) {
					report_action(ctx->rep, "create", prefix,
					    -1, -1, "directory (%04o)",
					    (unsigned)cfg->dir_mode);
					said = xgrowarray(said, nsaid + 1,
					    sizeof *said);
					said[nsaid++] = prefix;
				} else
					free(prefix);
				if (*p == '\0')
					break;
			}
		}
		cmd_init_ensure_file(ctx, NULL, slash ? dirrel : "",
		    slash ? slash + 1 : cfg->logs[i], NULL, "a log");
		free(dirrel);
	}
	for (j = 0; j < nsaid; j++)
		free(said[j]);
	free(said);
}

static int
cmd_init_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct tree_mk		 mk = { cfg->dir_mode, cfg->uid, cfg->gid,
				    ctx->dry_run };
	struct scan		 s;
	char			*why, *readme;
	int			 fd;

	/* Step 0: the state directory (the lock made it, unless dry). */
	if (ctx->dry_run) {
		struct tree_mk	 smk = { EVM_META_MODE(cfg->dir_mode),
				    geteuid(), cfg->gid, true };
		const char	*base;

		if ((fd = tree_open_parent_trusted(cfg->state_file, &smk,
		    ctx->rep, &base, &why)) >= 0)
			close(fd);
		else if (errno != ENOENT)
			report_error(ctx->rep, NULL, "state directory: %s", why);
		free(why);
	}

	/* Step 1: root, with its missing ancestors (0755). */
	if ((fd = tree_open_abs(cfg->root, &mk, ctx->rep, &why)) == -1) {
		if (ctx->dry_run && errno == ENOENT) {
			cmd_init_plan_missing_root(ctx);
			readme = readme_text(cfg);
			cmd_init_ensure_file(ctx, NULL, "", "README.md", readme,
			    "the README");
			free(readme);
			cmd_init_archive_dir(ctx);
			free(why);
			return EVM_EXIT_OK;
		}
		report_error(ctx->rep, NULL, "root %s", why);
		free(why);
		cmd_init_archive_dir(ctx);
		return EVM_EXIT_FAIL;
	}
	close(fd);

	/* Step 2: what is there; every directory gets its mode and owner. */
	if (scan_tree(&s, cfg, ctx->rep) != 0)
		return EVM_EXIT_FAIL;
	report_errlog(ctx->rep, scan_errlog_fd(&s), cfg->mode, cfg->uid, cfg->gid);
	cmd_init_dirs(ctx, &s.tree);

	/* Step 3: the configured logs, then everything else found. */
	cmd_init_logs(ctx, &s.tree);
	cmd_init_found(ctx, &s);

	/* Step 4: README.md, archive_dir. */
	readme = readme_text(cfg);
	cmd_init_ensure_file(ctx, s.tree.dirs[0], "", "README.md", readme,
	    "the README");
	free(readme);
	cmd_init_archive_dir(ctx);
	report_errlog(ctx->rep, -1, 0, 0, 0);
	scan_free(&s);

	/* Step 5: what init does not repair, but a person must know. */
	mon_warn(ctx, "logrotate backlog gap clock refused");
	if (!report_did_change(ctx->rep) && !report_failed(ctx->rep))
		report_info(ctx->rep, "%s, archive_dir and the state directory "
		    "are in order: nothing to change", cfg->root);
	return EVM_EXIT_OK;
}
