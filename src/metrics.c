/*
 * Prometheus metrics (see metrics.h). Every family has its HELP and TYPE
 * lines and appears only with samples; label values are made valid UTF-8
 * the way names reach a terminal (\xNN), then escaped as the exposition
 * format wants (backslash, double quote, newline).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "fsx.h"
#include "metrics.h"
#include "mon.h"
#include "report.h"
#include "xmalloc.h"

#define METRICS_MODE	0644	/* node_exporter reads it unprivileged */

static const char *metrics_commands[] = { "rotate", "archive" };
#define METRICS_NCOMMANDS 2

static void
metrics_head(struct sbuf *b, const char *name, const char *help)
{
	sbuf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
metrics_label(struct sbuf *b, const char *v)
{
	struct sbuf	 e;
	const char	*p;

	sbuf_init(&e);
	sbuf_add(&e, "", 0);
	esc_human(&e, v);
	for (p = e.s; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			sbuf_adds(b, "\\");
		if (*p == '\n')
			sbuf_adds(b, "\\n");
		else
			sbuf_add(b, p, 1);
	}
	sbuf_free(&e);
}

static void
metrics_sample(struct sbuf *b, const char *name, const char *label,
    const char *value, double v)
{
	sbuf_adds(b, name);
	if (label != NULL) {
		sbuf_addf(b, "{%s=\"", label);
		metrics_label(b, value);
		sbuf_adds(b, "\"}");
	}
	if (v == (double)(int64_t)v)
		sbuf_addf(b, " %lld\n", (long long)v);
	else
		sbuf_addf(b, " %.3f\n", v);
}

/* The last run of rotate and archive, from the run records. */
static void
metrics_runs(const struct mon *m, struct sbuf *b)
{
	static const struct {
		const char	*name;
		const char	*help;
		bool		 success;
	} fam[] = {
		{ "evmaint_last_run_timestamp_seconds",
		  "When the last run of the command ended.", false },
		{ "evmaint_last_success_timestamp_seconds",
		  "When the last run of the command that exited 0 ended.", true },
		{ "evmaint_last_run_duration_seconds",
		  "How long the last run of the command took.", false },
		{ "evmaint_last_run_exit_status",
		  "The exit status of the last run of the command.", false },
		{ "evmaint_last_run_errors",
		  "Errors reported by the last run of the command.", false },
	};
	const struct run_rec	*r;
	size_t			 f, c;
	double			 end;
	bool			 any;

	for (f = 0; f < sizeof fam / sizeof fam[0]; f++) {
		any = false;
		for (c = 0; c < METRICS_NCOMMANDS; c++) {
			r = fam[f].success ? mon_last_good(m,
			    metrics_commands[c], NULL) : runs_last(&m->runs,
			    metrics_commands[c], false);
			if (r == NULL)
				continue;
			if (!any)
				metrics_head(b, fam[f].name, fam[f].help);
			any = true;
			end = (double)r->start +
			    (double)r->duration_ms / 1000;
			metrics_sample(b, fam[f].name, "command",
			    metrics_commands[c], f <= 1 ? end : f == 2 ?
			    (double)r->duration_ms / 1000 : f == 3 ?
			    r->exit_status : (double)r->errors);
		}
	}
}

static void
metrics_logs(const struct mon *m, struct sbuf *b)
{
	const struct state_log	*sl;
	size_t			 i, f;
	bool			 any;

	static const char *const fam[][2] = {
		{ "evmaint_log_size_bytes", "Size of the live log." },
		{ "evmaint_log_generations", "Generations of the log in the "
		  "tree." },
		{ "evmaint_log_generations_bytes", "Size of the log's "
		  "generations in the tree." },
		{ "evmaint_log_last_rotation_timestamp_seconds", "When the "
		  "log was last rotated." },
	};

	if (!m->scanned || m->scan.nlogs == 0)
		return;
	for (f = 0; f < 4; f++) {
		any = false;
		for (i = 0; i < m->scan.nlogs; i++) {
			const struct log *l = &m->scan.logs[i];
			double v;

			sl = state_get((struct state *)&m->state, l->rel,
			    false);
			if (f == 0)
				v = l->exists ? (double)l->st.st_size : 0;
			else if (f == 1)
				v = (double)l->ngens;
			else if (f == 2)
				v = (double)mon_gens_bytes(l);
			else if (sl != NULL && sl->last != 0)
				v = (double)sl->last;
			else
				continue;
			if (!any)
				metrics_head(b, fam[f][0], fam[f][1]);
			any = true;
			metrics_sample(b, fam[f][0], "log", l->rel, v);
		}
	}
}

static void
metrics_archive_dir(const struct mon *m, struct sbuf *b)
{
	if (!m->arc_ok)
		return;
	metrics_head(b, "evmaint_archives", "Archives in archive_dir.");
	metrics_sample(b, "evmaint_archives", NULL, NULL, (double)m->narc);
	metrics_head(b, "evmaint_archive_bytes", "Size of the archives in "
	    "archive_dir.");
	metrics_sample(b, "evmaint_archive_bytes", NULL, NULL,
	    (double)m->arc_bytes);
	if (m->arc_newest != 0) {
		metrics_head(b, "evmaint_archive_newest_timestamp_seconds",
		    "The time in the newest archive's name.");
		metrics_sample(b, "evmaint_archive_newest_timestamp_seconds",
		    NULL, NULL, (double)m->arc_newest);
	}
	if (m->arc_vfs) {
		metrics_head(b, "evmaint_archive_dir_free_bytes", "Bytes "
		    "available in archive_dir's file system.");
		metrics_sample(b, "evmaint_archive_dir_free_bytes", NULL, NULL,
		    (double)m->arc_free);
	}
}

static void
metrics_scripts(const struct mon *m, struct sbuf *b)
{
	size_t i, f;

	static const char *const fam[][2] = {
		{ "evmaint_script_last_exit_status", "Exit status of the "
		  "script's last run (128+N after signal N)." },
		{ "evmaint_script_last_duration_seconds", "How long the "
		  "script's last run took." },
		{ "evmaint_script_last_success_timestamp_seconds", "When the "
		  "script's last run that exited 0 started." },
	};

	if (m->scripts.n == 0)
		return;
	for (f = 0; f < 3; f++) {
		/* a family is there only with a sample (no script succeeded
		 * yet: no last success) */
		for (i = 0; f == 2 && i < m->scripts.n; i++)
			if (m->scripts.v[i].last_success >= 0)
				break;
		if (i == m->scripts.n)
			continue;
		metrics_head(b, fam[f][0], fam[f][1]);
		for (i = 0; i < m->scripts.n; i++) {
			const struct script_run *s = &m->scripts.v[i];

			if (f == 2 && s->last_success < 0)
				continue;
			metrics_sample(b, fam[f][0], "script", s->tag,
			    f == 0 ? s->last_exit : f == 1 ? s->last_duration :
			    (double)s->last_success);
		}
	}
}

void
metrics_format(const struct mon *m, struct sbuf *b)
{
	metrics_runs(m, b);
	metrics_logs(m, b);
	metrics_archive_dir(m, b);
	metrics_scripts(m, b);
	metrics_head(b, "evmaint_check_status", "What status --check says: "
	    "0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	metrics_sample(b, "evmaint_check_status", NULL, NULL,
	    (double)mon_worst(m));
}

/*
 * The directory of metrics_file, one component at a time without following
 * a symbolic link. Its owner is not checked as the state directory's is:
 * the file is public and nothing evmaint reads, and node_exporter's usual
 * directory lies below one that the prometheus user owns.
 */
static int
metrics_open_dir(const char *path, const char **base)
{
	char	*copy, *comp, *save;
	int	 fd, nfd;

	*base = strrchr(path, '/') + 1;
	copy = xstrndup(path, (size_t)(*base - path));
	if ((fd = fsx_open_dir(AT_FDCWD, "/")) == -1) {
		free(copy);
		return -1;
	}
	for (comp = strtok_r(copy, "/", &save); comp != NULL;
	    comp = strtok_r(NULL, "/", &save)) {
		nfd = fsx_open_dir(fd, comp);
		close(fd);
		if ((fd = nfd) == -1)
			break;
	}
	free(copy);
	return fd;
}

/*
 * Rewrites metrics_file, if one is configured: temp in the same directory,
 * fsync, rename, fsync of the directory. A failure is a warning: the run's
 * own work is done, and its record says how it went.
 */
int
metrics_update(struct evm_ctx *ctx)
{
	const char	*path = ctx->cfg->metrics_file, *base;
	struct report	*quiet;
	struct mon	 m;
	struct sbuf	 b;
	char		*tname, *tmp;
	int		 dfd, fd, rc;

	if (path == NULL || ctx->dry_run)
		return 0;
	if ((dfd = metrics_open_dir(path, &base)) == -1) {
		report_warn(ctx->rep, path, "metrics_file not written: its "
		    "directory: %s", errno == ELOOP || errno == ENOTDIR ?
		    "a symbolic link or not a directory in the path" :
		    strerror(errno));
		return -1;
	}
	quiet = report_new("status", -1, true, false);
	report_silent(quiet);
	mon_collect(&m, ctx, quiet);
	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	metrics_format(&m, &b);
	mon_free(&m);
	report_free(quiet);
	/*
	 * Not .evmaint-tmp.NAME.prom: node_exporter's textfile collector
	 * reads every *.prom in the directory, dotfiles too, and a temporary
	 * one would give it every sample twice (or half a file).
	 */
	xasprintf(&tname, "%s.tmp", base);
	if ((fd = fsx_create_tmp(dfd, tname, METRICS_MODE, geteuid(),
	    getegid(), &tmp)) == -1)
		rc = -1;
	else
		rc = fsx_publish_done(dfd, base, fd, tmp,
		    fsx_write_all(fd, b.s, b.len), true);
	free(tname);
	/* the name an earlier version's crash may have left: node_exporter
	   reads it */
	if (rc == 0) {
		tname = fsx_tmp_name(base);
		(void)fsx_unlink_tmp(dfd, tname);
		free(tname);
	}
	if (rc == -1)
		report_warn(ctx->rep, path, "metrics_file not written: %s",
		    strerror(errno));
	sbuf_free(&b);
	close(dfd);
	return rc;
}
