/*
 * evmaint status: per log its size, mode and owner, last rotation, when it
 * is next due, its generations; archive_dir, the state, the run records,
 * lock and journal; then every warning (mon.c judges them). With --check a
 * Nagios plugin's line and exit status, with --prometheus the metrics.
 * Read-only: no lock (the lock's holder is read from /proc/locks).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "evmaint.h"
#include "check.h"
#include "cmd.h"
#include "conf.h"
#include "due.h"
#include "esc.h"
#include "fsx.h"
#include "json.h"
#include "metrics.h"
#include "mon.h"
#include "report.h"
#include "tree.h"
#include "xmalloc.h"

#define ST_FULL_PERCENT		10
#define ST_FULL_BYTES		(256ULL * 1024 * 1024)

static int	cmd_status_exec(struct evm_ctx *, struct cmd_args *);

static const struct evm_opt cmd_status_opts[] = {
	{ "check", 0, NULL, "one line for Nagios/Icinga; exit 0 OK, 1 WARNING, "
	  "2 CRITICAL, 3 UNKNOWN" },
	{ "prometheus", 0, NULL, "the metrics, in Prometheus text format" },
	{ NULL, 0, NULL, NULL }
};

const struct evm_cmd cmd_status_entry = {
	"status", "",
	"per log: size, mode, last rotation, next due, generations; "
	"archive_dir; last runs; warnings",
	cmd_status_opts, 0, 0, false, false, false, cmd_status_exec
};

/* One row of the table, formatted before the widths are known. */
struct st_row {
	char	*log;
	char	 size[32];
	char	*owner;
	char	 mode[16];
	char	 when[40];
	char	 next[32];
	char	 gens[48];
};

static void
st_when(time_t t, char *buf, size_t len)
{
	if (t == 0)
		snprintf(buf, len, "never");
	else
		clock_iso8601(t, buf, len);
}

/* NEXT DUE: "now", the day from which it is due, or why never. */
static void
st_next(const struct mon *m, const struct log *l, char *buf, size_t len)
{
	time_t		t = mon_next_due(m, l);
	struct tm	tm;

	if (t == m->ctx->now)
		snprintf(buf, len, "now");
	else if (t == 0)
		snprintf(buf, len, "-");
	else if (t == -1)
		snprintf(buf, len, "once not empty");
	else {
		localtime_r(&t, &tm);
		strftime(buf, len, "%Y-%m-%d", &tm);
	}
}

static void
st_row_fill(const struct mon *m, const struct log *l, struct st_row *row)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	const struct state_log	*sl;

	sl = state_get((struct state *)&m->state, l->rel, false);
	row->log = esc_human_dup(l->rel);
	if (l->exists)
		report_size(row->size, sizeof row->size,
		    (int64_t)l->st.st_size);
	else
		snprintf(row->size, sizeof row->size, "-");
	if (l->refused != NULL) {
		row->owner = xstrdup("refused");
		snprintf(row->mode, sizeof row->mode, "-");
	} else if (!l->exists) {
		row->owner = xstrdup("missing");
		snprintf(row->mode, sizeof row->mode, "-");
	} else {
		row->owner = mon_owner_str(l->st.st_uid, l->st.st_gid);
		snprintf(row->mode, sizeof row->mode, "%04o%s",
		    (unsigned)(l->st.st_mode & 07777), mon_mode_ok(cfg, &l->st,
		    cfg->mode) ? "" : " DRIFT");
	}
	st_when(sl ? sl->last : 0, row->when, sizeof row->when);
	st_next(m, l, row->next, sizeof row->next);
	report_size(row->gens, sizeof row->gens, (int64_t)mon_gens_bytes(l));
	{
		char tmp[32];

		snprintf(tmp, sizeof tmp, "%s", row->gens);
		snprintf(row->gens, sizeof row->gens, "%zu (%s)", l->ngens,
		    tmp);
	}
}

static int
st_max(int a, size_t b)
{
	return (size_t)a > b ? a : (int)b;
}

/* The table, its columns as wide as their widest cell. */
static void
st_table(struct evm_ctx *ctx, const struct mon *m)
{
	struct st_row	*rows;
	size_t		 i, n = m->scan.nlogs;
	int		 w[6] = { 3, 4, 4, 5, 13, 8 };

	rows = xcalloc(n ? n : 1, sizeof *rows);
	for (i = 0; i < n; i++) {
		st_row_fill(m, &m->scan.logs[i], &rows[i]);
		w[0] = st_max(w[0], strlen(rows[i].log));
		w[1] = st_max(w[1], strlen(rows[i].size));
		w[2] = st_max(w[2], strlen(rows[i].mode));
		w[3] = st_max(w[3], strlen(rows[i].owner));
		w[4] = st_max(w[4], strlen(rows[i].when));
		w[5] = st_max(w[5], strlen(rows[i].next));
	}
	report_line(ctx->rep, "%-*s  %*s  %-*s  %-*s  %-*s  %-*s  %s", w[0],
	    "LOG", w[1], "SIZE", w[2], "MODE", w[3], "OWNER", w[4],
	    "LAST ROTATION", w[5], "NEXT DUE", "GENERATIONS");
	for (i = 0; i < n; i++) {
		report_line(ctx->rep, "%-*s  %*s  %-*s  %-*s  %-*s  %-*s  %s",
		    w[0], rows[i].log, w[1], rows[i].size, w[2], rows[i].mode,
		    w[3], rows[i].owner, w[4], rows[i].when, w[5],
		    rows[i].next, rows[i].gens);
		free(rows[i].log);
		free(rows[i].owner);
	}
	free(rows);
}

static void
st_log_json(const struct mon *m, const struct log *l, struct json *j)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	const struct state_log	*sl;
	const char		*why;
	time_t			 next = mon_next_due(m, l);
	char			 when[40];
	size_t			 k;

	sl = state_get((struct state *)&m->state, l->rel, false);
	json_obj_begin(j, NULL);
	json_str(j, "path", l->rel);
	json_bool(j, "exists", l->exists);
	json_bool(j, "configured", l->configured);
	if (l->exists)
		json_int(j, "size", (int64_t)l->st.st_size);
	if (l->exists && l->refused == NULL) {
		char *mo = conf_mode_str(l->st.st_mode);
		char *ow = mon_owner_str(l->st.st_uid, l->st.st_gid);

		json_str(j, "mode", mo);
		json_int(j, "uid", (int64_t)l->st.st_uid);
		json_int(j, "gid", (int64_t)l->st.st_gid);
		json_str(j, "owner", ow);
		json_bool(j, "mode_ok", mon_mode_ok(cfg, &l->st, cfg->mode));
		free(mo);
		free(ow);
	}
	json_str(j, "refused", l->refused);
	if (sl != NULL && sl->last != 0) {
		clock_iso8601(sl->last, when, sizeof when);
		json_str(j, "last_rotation", when);
	} else
		json_null(j, "last_rotation");
	json_bool(j, "due", due_log(&m->state, l, m->ctx->now, false,
	    &why));
	json_str(j, "due_reason", why);
	if (next > 0) {
		clock_iso8601(next, when, sizeof when);
		json_str(j, "next_due", when);
	} else
		json_null(j, "next_due");
	json_obj_begin(j, "generations");
	json_uint(j, "count", l->ngens);
	json_uint(j, "size", mon_gens_bytes(l));
	json_arr_begin(j, "names");
	for (k = 0; k < l->ngens; k++)
		json_str(j, NULL, l->gens[k].name);
	json_arr_end(j);
	json_obj_end(j);
	json_obj_end(j);
}

static void
st_run_json(struct json *j, const char *key, const struct run_rec *r)
{
	char when[40];

	if (r == NULL) {
		json_null(j, key);
		return;
	}
	json_obj_begin(j, key);
	json_str(j, "command", r->command);
	clock_iso8601(r->start, when, sizeof when);
	json_str(j, "start", when);
	clock_iso8601(r->start + (time_t)((r->duration_ms + 999) / 1000),
	    when, sizeof when);
	json_str(j, "end", when);
	json_int(j, "duration_ms", r->duration_ms);
	json_int(j, "exit", r->exit_status);
	json_uint(j, "rotated", r->rotated);
	json_uint(j, "compressed", r->compressed);
	json_uint(j, "archived", r->archived);
	json_uint(j, "archives", r->archives);
	json_uint(j, "deleted", r->deleted);
	json_uint(j, "bytes_in", r->bytes_in);
	json_uint(j, "bytes_out", r->bytes_out);
	json_uint(j, "errors", r->errors);
	json_obj_end(j);
}

static void
st_run_line(struct evm_ctx *ctx, const char *what, const struct run_rec *r)
{
	char when[40], in[32], out[32];

	if (r == NULL) {
		report_line(ctx->rep, "%-18s none recorded", what);
		return;
	}
	clock_iso8601(r->start, when, sizeof when);
	report_size(in, sizeof in, (int64_t)r->bytes_in);
	report_size(out, sizeof out, (int64_t)r->bytes_out);
	report_line(ctx->rep, "%-18s %s, %.1fs, exit %d: %ju rotated, %ju "
	    "compressed (%s -> %s), %ju archived, %ju deleted, %ju error%s",
	    what, when, (double)r->duration_ms / 1000,
	    r->exit_status, (uintmax_t)r->rotated, (uintmax_t)r->compressed,
	    in, out, (uintmax_t)r->archived, (uintmax_t)r->deleted,
	    (uintmax_t)r->errors, r->errors == 1 ? "" : "s");
}

/* Last run and last success of rotate and archive. */
static void
st_runs(struct evm_ctx *ctx, const struct mon *m, struct json *j)
{
	static const char *cmds[] = { "rotate", "archive" };
	char	 what[32];
	size_t	 c;

	json_obj_begin(j, "runs");
	for (c = 0; c < 2; c++) {
		const struct run_rec *last = runs_last(&m->runs, cmds[c], false);
		const struct run_rec *ok = runs_last(&m->runs, cmds[c], true);

		snprintf(what, sizeof what, "last %s:", cmds[c]);
		st_run_line(ctx, what, last);
		if (last != NULL && ok != last) {
			snprintf(what, sizeof what, "last good %s:", cmds[c]);
			st_run_line(ctx, what, ok);
		}
		json_obj_begin(j, cmds[c]);
		st_run_json(j, "last", last);
		st_run_json(j, "last_success", ok);
		json_obj_end(j);
	}
	json_arr_begin(j, "records");
	for (c = 0; c < m->runs.n; c++)
		st_run_json(j, NULL, &m->runs.v[c]);
	json_arr_end(j);
	json_obj_end(j);
}

static void
st_archive_dir(struct evm_ctx *ctx, const struct mon *m, struct json *j)
{
	const struct evm_config	*cfg = ctx->cfg;
	char			 size[32], newest[40], oldest[40];

	json_obj_begin(j, "archive_dir");
	json_str(j, "path", cfg->archive_dir);
	json_bool(j, "exists", m->arc_ok);
	if (!m->arc_ok) {
		report_line(ctx->rep, "archive_dir %s: %s", cfg->archive_dir,
		    m->arc_why ? m->arc_why : "unusable");
		json_str(j, "error", m->arc_why);
		json_obj_end(j);
		return;
	}
	report_size(size, sizeof size, (int64_t)m->arc_bytes);
	st_when(m->arc_newest, newest, sizeof newest);
	report_line(ctx->rep, "archive_dir %s: %zu archive%s, %s, newest %s%s",
	    cfg->archive_dir, m->narc, m->narc == 1 ? "" : "s", size,
	    m->narc ? newest : "none", m->arc_writable ? "" :
	    ", NOT WRITABLE");
	json_bool(j, "writable", m->arc_writable);
	json_uint(j, "count", m->narc);
	json_uint(j, "size", m->arc_bytes);
	if (m->arc_oldest != 0) {
		st_when(m->arc_oldest, oldest, sizeof oldest);
		json_str(j, "oldest", oldest);
	} else
		json_null(j, "oldest");
	if (m->arc_newest != 0)
		json_str(j, "newest", newest);
	else
		json_null(j, "newest");
	if (m->arc_vfs) {
		json_uint(j, "free", m->arc_free);
		json_uint(j, "fs_size", m->arc_total);
	}
	json_obj_end(j);
}

static void
st_state(struct evm_ctx *ctx, const struct mon *m, struct json *j)
{
	const struct evm_config	*cfg = ctx->cfg;

	char			 when[40];

	st_when(m->state_written, when, sizeof when);
	json_obj_begin(j, "state");
	json_str(j, "path", cfg->state_file);
	json_bool(j, "exists", m->state_written != 0);
	if (m->state_written != 0)
		json_str(j, "written", when);
	json_uint(j, "logs", m->state.nlogs);
	json_str(j, "error", m->state_err);
	json_obj_end(j);
	if (m->state_written == 0)
		report_line(ctx->rep, "state %s: none yet%s%s", cfg->state_file,
		    m->state_err ? ", " : "", m->state_err ? m->state_err : "");
	else
		report_line(ctx->rep, "state %s: %zu log%s recorded, written "
		    "%s%s%s", cfg->state_file, m->state.nlogs,
		    m->state.nlogs == 1 ? "" : "s", when, m->state_err ? ", " :
		    "", m->state_err ? m->state_err : "");
	json_obj_begin(j, "lock");
	if (m->lock_held >= 0)
		json_bool(j, "held", m->lock_held == 1);
	if (m->lock_held == 1 && m->lock_pid > 0)
		json_int(j, "pid", m->lock_pid);
	json_obj_end(j);
	if (m->lock_held == 1 && m->lock_pid > 0)
		report_line(ctx->rep, "lock %s.lock: held by pid %ld",
		    cfg->state_file, m->lock_pid);
	else if (m->lock_held == 1)
		report_line(ctx->rep, "lock %s.lock: held, by a process that "
		    "cannot be seen from here (another PID namespace?)",
		    cfg->state_file);
	else if (m->lock_held == 0)
		report_line(ctx->rep, "lock %s.lock: free", cfg->state_file);
	json_bool(j, "journal", m->journal);
}

/* The warnings, after the table: mon's items, then the rest. */
static void
st_warnings(struct evm_ctx *ctx, const struct mon *m, struct json *j)
{
	struct statvfs	 v;
	size_t		 i, k, tmp = 0;
	char		 a[32];

	for (i = 0; i < m->nitems; i++)
		report_warn(ctx->rep, m->items[i].path, "%s: %s",
		    m->items[i].kind, m->items[i].msg);
	if (m->journal && m->journal_bad == NULL)
		report_warn(ctx->rep, NULL, "%s.journal exists: %s",
		    ctx->cfg->state_file, m->lock_held == 1 ? "a rotation is "
		    "running" : "a run was interrupted; the next 'evmaint "
		    "rotate' finishes it");
	json_arr_begin(j, "logrotate");
	for (i = 0; i < m->lr.nhits; i++) {
		const struct lr_hit *h = &m->lr.hits[i];

		if (h->inactive != NULL)
			report_info(ctx->rep, "%s: matched by logrotate's %s:%d "
			    "but not rotated by it: %s", h->path, h->file,
			    h->line, h->inactive);
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
	for (i = 0; i < m->lr.nnotes; i++)
		report_info(ctx->rep, "logrotate config %s:%d: %s",
		    m->lr.notes[i].file, m->lr.notes[i].line,
		    m->lr.notes[i].msg);
	for (i = 0; i < m->scan.tree.ndirs; i++)
		for (k = 0; k < m->scan.tree.dirs[i]->nents; k++)
			tmp += fsx_is_tmp_name(m->scan.tree.dirs[i]->ents[k].name);
	if (tmp > 0)
		report_warn(ctx->rep, NULL, "%zu temporary file%s of an "
		    "interrupted run in the tree; the next rotate removes "
		    "them", tmp, tmp == 1 ? "" : "s");
	if (fstatvfs(m->scan.tree.rootfd, &v) == 0 && v.f_blocks > 0 &&
	    ((uint64_t)v.f_bavail * 100 < (uint64_t)v.f_blocks *
	    ST_FULL_PERCENT || (uint64_t)v.f_bavail * v.f_frsize <
	    ST_FULL_BYTES)) {
		report_size(a, sizeof a, (int64_t)((uint64_t)v.f_bavail *
		    v.f_frsize));
		report_warn(ctx->rep, m->scan.tree.root, "filesystem nearly "
		    "full: %s free", a);
	}
}

/* People (and --json): the whole picture. */
static int
st_human(struct evm_ctx *ctx)
{
	struct json	*j = report_extra(ctx->rep);
	struct mon	 m;
	size_t		 i;
	char		*why;
	int		 fd;

	/* What a newcomer meets first: say what to do, not which parent. */
	if ((fd = tree_open_abs(ctx->cfg->root, NULL, NULL, &why)) == -1 &&
	    errno == ENOENT) {
		report_error(ctx->rep, NULL, "%s does not exist yet: run "
		    "'evmaint init' to create the tree", ctx->cfg->root);
		free(why);
		return EVM_EXIT_FAIL;
	}
	if (fd != -1)
		close(fd);
	free(why);
	mon_collect(&m, ctx, ctx->rep);
	if (!m.scanned) {
		mon_free(&m);
		return EVM_EXIT_FAIL;
	}
	report_line(ctx->rep, "evmaint status of %s (config: %s)",
	    m.scan.tree.root, ctx->cfg->file ? ctx->cfg->file :
	    "built-in defaults");
	st_state(ctx, &m, j);
	st_runs(ctx, &m, j);
	report_line(ctx->rep, "%s", "");
	st_table(ctx, &m);
	json_arr_begin(j, "logs");
	for (i = 0; i < m.scan.nlogs; i++)
		st_log_json(&m, &m.scan.logs[i], j);
	json_arr_end(j);
	report_line(ctx->rep, "%s", "");
	st_archive_dir(ctx, &m, j);
	fflush(stdout);
	st_warnings(ctx, &m, j);
	json_str(j, "check", mon_sev_name(mon_worst(&m)));
	mon_free(&m);
	return EVM_EXIT_OK;
}

static int
cmd_status_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	bool		 check = cmd_has(ctx, args, "check");
	bool		 prom = cmd_has(ctx, args, "prometheus");
	struct report	*quiet;
	struct mon	 m;
	struct sbuf	 b;
	int		 rc;

	if ((check || prom) && (ctx->json || (check && prom))) {
		/*
		 * A probe's status stays within 0-3 (UNKNOWN here), its line
		 * on stdout; with --json the object asked for carries the
		 * error instead, and the same status.
		 */
		if (ctx->json) {
			report_silent(ctx->rep);	/* a probe's: no syslog */
			report_error(ctx->rep, NULL, "status: --check, "
			    "--prometheus and --json exclude each other");
			return check ? MON_UNKNOWN : EVM_EXIT_USAGE;
		}
		fprintf(stderr, "evmaint: status: --check, --prometheus and "
		    "--json exclude each other\n");
		return check_unknown(stdout, "usage error: --check, "
		    "--prometheus and --json exclude each other");
	}
	if ((rc = cmd_load_config(ctx)) != 0)
		return check ? check_unknown(stdout, "the configuration cannot "
		    "be used (evmaint check-config says why)") : rc;
	if (!check && !prom)
		return st_human(ctx);

	/* A probe: its findings are its output, not warnings in syslog. */
	quiet = report_new("status", -1, true, false);
	report_silent(quiet);
	mon_collect(&m, ctx, quiet);
	if (check)
		rc = check_print(&m, stdout);
	else {
		sbuf_init(&b);
		sbuf_add(&b, "", 0);
		metrics_format(&m, &b);
		fputs(b.s, stdout);
		sbuf_free(&b);
		rc = EVM_EXIT_OK;
		/*
		 * A user who may not read what the metrics come from (not
		 * root, not in the configured group) gets hardly a sample:
		 * said on stderr, exit 1, or a collector's script publishes
		 * an empty file every time in silence. Any other finding
		 * (root missing, say) is a sample, not a failure of the
		 * command: the metrics must still be published.
		 */
		if (geteuid() != 0 && report_denied(quiet)) {
			fputs("evmaint: status --prometheus: ", stderr);
			(void)check_print(&m, stderr);
			rc = EVM_EXIT_FAIL;
		}
	}
	mon_free(&m);
	report_free(quiet);
	return rc;
}
