/*
 * evmaint status: per log its size, whether mode and owner are as
 * configured, its last rotation, whether the next run rotates it, its
 * generations; archive_dir, the state, lock and journal files; warnings for
 * a logrotate stanza over the tree, drift, and a filesystem close to full.
 * Read-only: no lock (the lock's holder is read from /proc/locks).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "esc.h"
#include "fsx.h"
#include "json.h"
#include "lock.h"
#include "lrconf.h"
#include "report.h"
#include "rotate.h"
#include "scan.h"
#include "state.h"
#include "tree.h"
#include "xmalloc.h"

#define ST_FULL_PERCENT		10
#define ST_FULL_BYTES		(256ULL * 1024 * 1024)

static int	cmd_status_exec(struct evm_ctx *, struct cmd_args *);

const struct evm_cmd cmd_status_entry = {
	"status", "",
	"per log: size, mode, last rotation, generations; archive_dir; "
	"warnings",
	NULL, 0, 0, false, false, true, cmd_status_exec
};

static bool
st_mode_ok(const struct evm_config *cfg, const struct stat *st, mode_t want)
{
	return (st->st_mode & 07777) == want && st->st_uid == cfg->uid &&
	    st->st_gid == cfg->gid;
}

static void
st_when(time_t t, char *buf, size_t len)
{
	if (t == 0)
		snprintf(buf, len, "never");
	else
		clock_iso8601(t, buf, len);
}

static void
st_log(struct evm_ctx *ctx, struct scan *s, struct state *state,
    struct log *l, struct json *j)
{
	const struct evm_config	*cfg = ctx->cfg;
	const struct state_log	*sl = state_get(state, l->rel, false);
	const char		*why;
	uint64_t		 gsize = 0;
	size_t			 k, drift = 0;
	char			 when[40], size[32], gs[32], *show;
	bool			 due, modeok;

	for (k = 0; k < l->ngens; k++) {
		gsize += (uint64_t)l->gens[k].st.st_size;
		if (l->gens[k].refused == NULL &&
		    !st_mode_ok(cfg, &l->gens[k].st, cfg->mode))
			drift++;
	}
	due = rot_log_due(state, l, ctx->now, false, &why);
	modeok = l->exists && st_mode_ok(cfg, &l->st, cfg->mode);
	st_when(sl ? sl->last : 0, when, sizeof when);
	report_size(size, sizeof size, l->exists ? (int64_t)l->st.st_size : 0);
	report_size(gs, sizeof gs, (int64_t)gsize);
	show = esc_human_dup(l->rel);
	report_line(ctx->rep, "%-34s %10s  %-9s %-25s  %-8s %zu (%s)", show,
	    l->exists ? size : "-", l->refused ? "refused" : !l->exists ?
	    "missing" : modeok ? "ok" : "DRIFT", when, due ? "due" : "-",
	    l->ngens, gs);
	free(show);
	if (l->refused != NULL)
		report_warn(ctx->rep, l->rel, "%s", l->refused);
	else if (l->exists && !modeok)
		report_warn(ctx->rep, l->rel, "mode %04o owner %ju:%ju, "
		    "configured %04o %s:%s ('evmaint init' repairs it)",
		    (unsigned)(l->st.st_mode & 07777), (uintmax_t)l->st.st_uid,
		    (uintmax_t)l->st.st_gid, (unsigned)cfg->mode, cfg->owner,
		    cfg->group);
	if (drift > 0)
		report_warn(ctx->rep, l->rel, "%zu generation%s with another "
		    "mode or owner than configured", drift, drift == 1 ? "" :
		    "s");
	for (k = 0; k < l->ngens; k++)
		if (l->gens[k].refused != NULL) {
			char *rel = tree_join(l->dirrel, l->gens[k].name);

			report_warn(ctx->rep, rel, "%s", l->gens[k].refused);
			free(rel);
		}

	json_obj_begin(j, NULL);
	json_str(j, "path", l->rel);
	json_bool(j, "exists", l->exists);
	json_bool(j, "configured", l->configured);
	if (l->exists)
		json_int(j, "size", (int64_t)l->st.st_size);
	if (l->exists && l->refused == NULL) {
		char *m = conf_mode_str(l->st.st_mode);

		json_str(j, "mode", m);
		free(m);
		json_int(j, "uid", (int64_t)l->st.st_uid);
		json_int(j, "gid", (int64_t)l->st.st_gid);
		json_bool(j, "mode_ok", modeok);
	}
	json_str(j, "refused", l->refused);
	if (sl != NULL && sl->last != 0)
		json_str(j, "last_rotation", when);
	else
		json_null(j, "last_rotation");
	json_bool(j, "due", due);
	json_str(j, "due_reason", why);
	json_obj_begin(j, "generations");
	json_uint(j, "count", l->ngens);
	json_uint(j, "size", gsize);
	json_arr_begin(j, "names");
	for (k = 0; k < l->ngens; k++)
		json_str(j, NULL, l->gens[k].name);
	json_arr_end(j);
	json_obj_end(j);
	json_obj_end(j);
}

static void
st_archive_dir(struct evm_ctx *ctx, struct json *j)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct arc_entry	*e = NULL;
	uint64_t		 total = 0;
	size_t			 n = 0, i, nosum = 0;
	char			*why, size[32];
	int			 fd;

	json_obj_begin(j, "archive_dir");
	json_str(j, "path", cfg->archive_dir);
	if ((fd = tree_open_abs(cfg->archive_dir, NULL, NULL, &why)) == -1) {
		report_warn(ctx->rep, NULL, "archive_dir %s", why);
		report_line(ctx->rep, "archive_dir %s: missing or unreadable",
		    cfg->archive_dir);
		json_bool(j, "exists", false);
		json_obj_end(j);
		free(why);
		return;
	}
	if (arc_list(fd, &e, &n) == -1)
		report_warn(ctx->rep, cfg->archive_dir, "cannot list: %s",
		    strerror(errno));
	for (i = 0; i < n; i++) {
		total += (uint64_t)e[i].st.st_size;
		nosum += !e[i].has_sidecar;
	}
	report_size(size, sizeof size, (int64_t)total);
	report_line(ctx->rep, "archive_dir %s: %zu archive%s, %s%s%s%s%s",
	    cfg->archive_dir, n, n == 1 ? "" : "s", size,
	    n ? ", oldest " : "", n ? e[0].name : "", n ? ", newest " : "",
	    n ? e[n - 1].name : "");
	if (nosum > 0)
		report_warn(ctx->rep, cfg->archive_dir, "%zu archive%s without "
		    "a .sha256 sidecar", nosum, nosum == 1 ? "" : "s");
	json_bool(j, "exists", true);
	json_uint(j, "count", n);
	json_uint(j, "size", total);
	json_str(j, "oldest", n ? e[0].name : NULL);
	json_str(j, "newest", n ? e[n - 1].name : NULL);
	json_obj_end(j);
	arc_list_free(e, n);
	close(fd);
}

static void
st_state(struct evm_ctx *ctx, struct state *state, struct json *j)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct stat		 st;
	const char		*base;
	char			*why, *err, *name, *dir, when[40];
	long			 pid = 0;
	int			 dfd, held, rc;

	json_obj_begin(j, "state");
	json_str(j, "path", cfg->state_file);
	dfd = tree_open_parent(cfg->state_file, NULL, NULL, &base, &why);
	if (dfd == -1) {
		report_line(ctx->rep, "state %s: none yet (%s)", cfg->state_file,
		    why);
		json_bool(j, "exists", false);
		json_obj_end(j);
		free(why);
		return;
	}
	dir = base - 1 == cfg->state_file ? xstrdup("/") :
	    xstrndup(cfg->state_file, (size_t)(base - 1 - cfg->state_file));
	if (tree_check_own_fd(dfd, dir, &why) == -1) {
		report_warn(ctx->rep, NULL, "%s; the next rotate does nothing "
		    "until it is fixed", why);
		free(why);
	}
	free(dir);
	if ((rc = state_load(dfd, base, state, &err)) == -2) {
		report_warn(ctx->rep, cfg->state_file, "cannot be used (%s): the "
		    "next rotate does nothing until this is fixed", err);
		free(err);
	} else if (rc != 0) {
		report_warn(ctx->rep, cfg->state_file, "unusable (%s): the next "
		    "rotate treats every log as never rotated", err);
		free(err);
	}
	if (fsx_fstatat(dfd, base, &st) == 0) {
		st_when(st.st_mtime, when, sizeof when);
		report_line(ctx->rep, "state %s: %zu log%s recorded, written %s",
		    cfg->state_file, state->nlogs, state->nlogs == 1 ? "" : "s",
		    when);
		json_bool(j, "exists", true);
		json_str(j, "written", when);
	} else {
		report_line(ctx->rep, "state %s: none yet", cfg->state_file);
		json_bool(j, "exists", false);
	}
	json_uint(j, "logs", state->nlogs);
	json_obj_end(j);

	xasprintf(&name, "%s.lock", base);
	json_obj_begin(j, "lock");
	held = lock_probe(dfd, name, &pid);
	if (held == 1 && pid > 0)
		report_line(ctx->rep, "lock %s.lock: held by pid %ld",
		    cfg->state_file, pid);
	else if (held == 1)
		report_line(ctx->rep, "lock %s.lock: held, by a process that "
		    "cannot be seen from here (another PID namespace?)",
		    cfg->state_file);
	else if (held == 0)
		report_line(ctx->rep, "lock %s.lock: free", cfg->state_file);
	else
		report_line(ctx->rep, "lock %s.lock: cannot tell (%s)",
		    cfg->state_file, strerror(errno));
	if (held >= 0)
		json_bool(j, "held", held == 1);
	if (pid > 0)
		json_int(j, "pid", pid);
	json_obj_end(j);
	free(name);

	xasprintf(&name, "%s.journal", base);
	if (fsx_fstatat(dfd, name, &st) == 0)
		report_warn(ctx->rep, NULL, "%s.journal exists: %s",
		    cfg->state_file, held == 1 ? "a rotation is running" :
		    "a run was interrupted; the next 'evmaint rotate' finishes it");
	json_bool(j, "journal", fsx_fstatat(dfd, name, &st) == 0);
	free(name);
	close(dfd);
}

/* Both tools would rotate the same files: say which stanza covers which. */
static void
st_logrotate(struct evm_ctx *ctx, struct scan *s, struct json *j)
{
	const char		*conf = getenv("EVMAINT_LOGROTATE_CONF");
	struct lr_result	 res;
	char			**paths;
	size_t			 i;

	if (conf == NULL || *conf == '\0')
		conf = LR_MAIN_CONF;
	paths = xcalloc(s->nlogs ? s->nlogs : 1, sizeof *paths);
	for (i = 0; i < s->nlogs; i++)
		xasprintf(&paths[i], "%s/%s", s->tree.root, s->logs[i].rel);
	memset(&res, 0, sizeof res);
	(void)lr_scan(conf, (const char *const *)paths, s->nlogs, &res);
	json_arr_begin(j, "logrotate");
	for (i = 0; i < res.nhits; i++) {
		const struct lr_hit *h = &res.hits[i];

		char *file = esc_human_dup(h->file);
		char *pat = esc_human_dup(h->pattern);

		if (h->inactive == NULL)
			report_warn(ctx->rep, h->path, "also rotated by "
			    "logrotate (%s:%d, '%s'): both would rotate it; "
			    "remove or disable that stanza", file, h->line, pat);
		else
			report_info(ctx->rep, "%s: matched by logrotate's %s:%d "
			    "('%s') but not rotated by it: %s", h->path, file,
			    h->line, pat, h->inactive);
		free(file);
		free(pat);
		json_obj_begin(j, NULL);
		json_str(j, "path", h->path);
		json_str(j, "file", h->file);
		json_int(j, "line", h->line);
		json_str(j, "pattern", h->pattern);
		json_bool(j, "active", h->inactive == NULL);
		json_str(j, "inactive", h->inactive);
		json_obj_end(j);
	}
	json_arr_end(j);
	for (i = 0; i < res.nnotes; i++) {
		char *file = esc_human_dup(res.notes[i].file);

		report_info(ctx->rep, "logrotate config %s:%d: %s", file,
		    res.notes[i].line, res.notes[i].msg);
		free(file);
	}
	lr_result_free(&res);
	for (i = 0; i < s->nlogs; i++)
		free(paths[i]);
	free(paths);
}

static void
st_space(struct evm_ctx *ctx, int fd, const char *what)
{
	struct statvfs	v;
	uint64_t	avail, total;
	char		a[32];

	if (fstatvfs(fd, &v) == -1 || v.f_blocks == 0)
		return;
	avail = (uint64_t)v.f_bavail * v.f_frsize;
	total = (uint64_t)v.f_blocks * v.f_frsize;
	if (avail * 100 < total * ST_FULL_PERCENT || avail < ST_FULL_BYTES) {
		report_size(a, sizeof a, (int64_t)avail);
		report_warn(ctx->rep, what, "filesystem nearly full: %s free",
		    a);
	}
}

static int
cmd_status_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct json	*j = report_extra(ctx->rep);
	struct state	 state;
	struct scan	 s;
	size_t		 i, k, tmp = 0;

	memset(&state, 0, sizeof state);
	if (scan_tree(&s, ctx->cfg, ctx->rep) != 0)
		return EVM_EXIT_FAIL;
	report_line(ctx->rep, "evmaint status of %s (config: %s)", s.tree.root,
	    ctx->cfg->file ? ctx->cfg->file : "built-in defaults");
	st_state(ctx, &state, j);
	report_line(ctx->rep, "%-34s %10s  %-9s %-25s  %-8s %s", "LOG", "SIZE",
	    "MODE", "LAST ROTATION", "NEXT RUN", "GENERATIONS");
	json_arr_begin(j, "logs");
	for (i = 0; i < s.nlogs; i++)
		st_log(ctx, &s, &state, &s.logs[i], j);
	json_arr_end(j);
	st_archive_dir(ctx, j);
	for (i = 0; i < s.tree.ndirs; i++) {
		struct tree_dir *d = s.tree.dirs[i];

		if (!st_mode_ok(ctx->cfg, &d->st, ctx->cfg->dir_mode))
			report_warn(ctx->rep, *d->rel ? d->rel : s.tree.root,
			    "directory mode %04o owner %ju:%ju, configured "
			    "%04o %s:%s", (unsigned)(d->st.st_mode & 07777),
			    (uintmax_t)d->st.st_uid, (uintmax_t)d->st.st_gid,
			    (unsigned)ctx->cfg->dir_mode, ctx->cfg->owner,
			    ctx->cfg->group);
		for (k = 0; k < d->nents; k++)
			tmp += fsx_is_tmp_name(d->ents[k].name);
	}
	if (tmp > 0)
		report_warn(ctx->rep, NULL, "%zu temporary file%s of an "
		    "interrupted run in the tree; the next rotate removes "
		    "them", tmp, tmp == 1 ? "" : "s");
	st_logrotate(ctx, &s, j);
	st_space(ctx, s.tree.rootfd, s.tree.root);
	state_free(&state);
	scan_free(&s);
	return EVM_EXIT_OK;
}
