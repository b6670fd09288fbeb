/*
 * evmaint report: per script, from the START and END lines `run` wrote,
 * the runs, failures, success rate, last run and its status, last failure,
 * median, 95th percentile and longest duration and the total time, over
 * the whole history of every log in the tree (nightly archives, generations,
 * live file: history.c) or a window of it. Read-only, no lock.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "esc.h"
#include "history.h"
#include "json.h"
#include "logtime.h"
#include "report.h"
#include "runlog.h"
#include "runstats.h"
#include "scan.h"
#include "xmalloc.h"

/* How long after --until the END of a run that began before it may come. */
#define REPORT_UNTIL_SLACK	(24 * 3600)

static int	cmd_report_exec(struct evm_ctx *, struct cmd_args *);

static const struct evm_opt cmd_report_opts[] = {
	{ "since", 0, "TIME", "runs that started at or after TIME" },
	{ "until", 0, "TIME", "runs that started up to the end of TIME" },
	{ NULL, 0, NULL, NULL }
};

const struct evm_cmd cmd_report_entry = {
	"report", "[SCRIPT...]",
	"per script, from the lines run writes: runs, failures, last run, "
	"last failure, median and 95th-percentile duration",
	cmd_report_opts, 0, -1, false, false, true, cmd_report_exec
};

/*
 * A log's history in time order, from the nightly archives to the live
 * file. A run counts by its START time, so the history is read a day past
 * --until for the ENDs of runs that began before it.
 */
static void
cmd_report_log(struct evm_ctx *ctx, struct runstats *rs, const char *rel)
{
	struct lt_window	 w = rs->w;
	struct hist_line	 ln;
	struct hist		*h;

	if (w.has_until)
		w.until += REPORT_UNTIL_SLACK;
	if ((h = hist_open(ctx->cfg, rel, &w, ctx->rep)) == NULL)
		return;
	while (hist_next(h, &ln) == 1)
		if (!ln.cont)
			rs_line(rs, ln.text, ln.len);
	hist_close(h);
}

/* "2026-11-25T02:00:01+01:00"; on a terminal "2026-11-25 02:00". */
static void
cmd_report_when(time_t t, bool tty, char *buf, size_t len)
{
	struct tm tm;

	if (t == -1)
		snprintf(buf, len, "-");
	else if (!tty)
		clock_iso8601(t, buf, len);
	else {
		localtime_r(&t, &tm);
		strftime(buf, len, "%Y-%m-%d %H:%M", &tm);
	}
}

/* "2.013s"; on a terminal also "4m05s", "2h03m". */
static void
cmd_report_dur(double s, bool tty, char *buf, size_t len)
{
	long t = (long)(s + 0.5);

	if (!tty || s < 60)
		snprintf(buf, len, "%.3fs", s);
	else if (s < 3600)
		snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
	else
		snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
}

static void
cmd_report_status(int ex, int sig, char *buf, size_t len)
{
	if (sig != 0)
		snprintf(buf, len, "%s", runlog_signame(sig));
	else if (ex == 0)
		snprintf(buf, len, "ok");
	else
		snprintf(buf, len, "exit %d", ex);
}

static void
cmd_report_table(struct evm_ctx *ctx, const struct runstats *rs)
{
	const struct rs_script	*s;
	bool			 tty = isatty(STDOUT_FILENO);
	char			 last[40], lst[16], fail[40], fst[16], ok[16];
	char			 med[40], p95[40], max[40], tot[40], *tag;
	int			 w = 6, tw = tty ? 16 : 25;
	size_t			 i;

	for (i = 0; i < rs->n; i++)
		if ((int)strlen(rs->v[i].tag) > w)
			w = (int)strlen(rs->v[i].tag);
	report_line(ctx->rep, "%-*s %5s %6s %7s  %-*s %-8s  %-*s %-8s  %9s "
	    "%9s %9s %10s", w, "SCRIPT", "RUNS", "FAILED", "SUCCESS", tw,
	    "LAST RUN", "STATUS", tw, "LAST FAILURE", "STATUS", "MEDIAN",
	    "P95", "MAX", "TOTAL");
	for (i = 0; i < rs->n; i++) {
		s = &rs->v[i];
		tag = esc_human_dup(s->tag);
		cmd_report_when(s->last_start, tty, last, sizeof last);
		cmd_report_when(s->fail_start, tty, fail, sizeof fail);
		if (s->runs == 0) {
			/* every column there, for whoever cuts them with awk */
			report_line(ctx->rep, "%-*s %5d %6s %7s  %-*s %-8s  %-*s "
			    "%-8s  %9s %9s %9s %10s", w, tag, 0, "-", "-", tw,
			    "no runs", "-", tw, "-", "-", "-", "-", "-", "-");
			free(tag);
			continue;
		}
		cmd_report_status(s->last_exit, s->last_sig, lst, sizeof lst);
		if (s->failures > 0)
			cmd_report_status(s->fail_exit, s->fail_sig, fst,
			    sizeof fst);
		else
			snprintf(fst, sizeof fst, "-");
		snprintf(ok, sizeof ok, "%.1f%%", 100.0 *
		    (double)(s->runs - s->failures) / (double)s->runs);
		cmd_report_dur(rs_median(s), tty, med, sizeof med);
		cmd_report_dur(rs_percentile(s, 95), tty, p95, sizeof p95);
		cmd_report_dur(s->dur[s->ndur - 1], tty, max, sizeof max);
		cmd_report_dur(s->total, tty, tot, sizeof tot);
		report_line(ctx->rep, "%-*s %5zu %6zu %7s  %-*s %-8s  %-*s %-8s  "
		    "%9s %9s %9s %10s", w, tag, s->runs, s->failures, ok, tw,
		    last, lst, tw, fail, fst, med, p95, max, tot);
		free(tag);
	}
	if (rs->n == 0)
		report_line(ctx->rep, "(no runs: no START or END line of "
		    "evmaint run%s)", rs->w.has_since || rs->w.has_until ?
		    " in the window" : "");
}

static void
cmd_report_jtime(struct json *j, const char *key, time_t t)
{
	char buf[40];

	if (t == -1) {
		json_null(j, key);
		return;
	}
	clock_iso8601(t, buf, sizeof buf);
	json_str(j, key, buf);
}

static void
cmd_report_jsecs(struct json *j, const char *key, double v)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%.3f", v);
	json_raw(j, key, buf);
}

static void
cmd_report_json(struct evm_ctx *ctx, const struct runstats *rs)
{
	const struct rs_script	*s;
	struct json		*j = report_extra(ctx->rep);
	size_t			 i;

	cmd_report_jtime(j, "since", rs->w.has_since ? rs->w.since : -1);
	cmd_report_jtime(j, "until", rs->w.has_until ? rs->w.until : -1);
	json_arr_begin(j, "scripts");
	for (i = 0; i < rs->n; i++) {
		s = &rs->v[i];
		json_obj_begin(j, NULL);
		json_str(j, "script", s->tag);
		json_uint(j, "runs", s->runs);
		json_uint(j, "failures", s->failures);
		if (s->runs == 0) {
			json_null(j, "success_rate");
			json_null(j, "last_run");
			json_null(j, "last_exit_status");
			json_null(j, "last_failure");
			json_null(j, "last_failure_exit_status");
			json_null(j, "duration_median_seconds");
			json_null(j, "duration_p95_seconds");
			json_null(j, "duration_max_seconds");
			cmd_report_jsecs(j, "duration_total_seconds", 0);
			json_obj_end(j);
			continue;
		}
		cmd_report_jsecs(j, "success_rate", (double)(s->runs -
		    s->failures) / (double)s->runs);
		cmd_report_jtime(j, "last_run", s->last_start);
		json_int(j, "last_exit_status", s->last_exit);
		if (s->last_sig != 0)
			json_str(j, "last_signal", runlog_signame(s->last_sig));
		cmd_report_jtime(j, "last_failure", s->fail_start);
		if (s->failures > 0)
			json_int(j, "last_failure_exit_status", s->fail_exit);
		else
			json_null(j, "last_failure_exit_status");
		cmd_report_jsecs(j, "duration_median_seconds", rs_median(s));
		cmd_report_jsecs(j, "duration_p95_seconds",
		    rs_percentile(s, 95));
		cmd_report_jsecs(j, "duration_max_seconds", s->dur[s->ndur - 1]);
		cmd_report_jsecs(j, "duration_total_seconds", s->total);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static int
cmd_report_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	struct lt_window	 w;
	struct runstats		 rs;
	struct scan		 s;
	const char		*bad, *why;
	size_t			 i;

	/* Step 1: the window and the scripts asked for. */
	if (lt_window_set(&w, cmd_get(ctx, args, "since"),
	    cmd_get(ctx, args, "until"), ctx->now, &bad) != 0) {
		report_error(ctx->rep, NULL, "'%s': expected a TIME: "
		    "YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or -30m, -12h, -7d",
		    bad);
		return EVM_EXIT_USAGE;
	}
	for (i = 0; i < (size_t)args->argc; i++)
		if ((why = runlog_tag_bad(args->argv[i])) != NULL) {
			report_error(ctx->rep, NULL, "script '%s' %s: a "
			    "script is named by its tag, as run stamps it",
			    args->argv[i], why);
			return EVM_EXIT_USAGE;
		}
	rs_init(&rs, &w, args->argv, (size_t)args->argc);

	/* Step 2: every log's history, in time order. */
	if (scan_tree(&s, ctx->cfg, ctx->rep) != 0) {
		rs_free(&rs);
		return EVM_EXIT_FAIL;
	}
	for (i = 0; i < s.nlogs; i++)
		if (s.logs[i].refused == NULL && (s.logs[i].exists ||
		    s.logs[i].ngens > 0))
			cmd_report_log(ctx, &rs, s.logs[i].rel);
	scan_free(&s);

	/* Step 3: the sums. */
	rs_finish(&rs);
	if (ctx->json)
		cmd_report_json(ctx, &rs);
	else
		cmd_report_table(ctx, &rs);
	rs_free(&rs);
	return EVM_EXIT_OK;
}
