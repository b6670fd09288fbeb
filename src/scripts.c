/*
 * The last run of each script (see scripts.h). `run` leaves beside the
 * state file one small record per tag, STATE.run.TAG, replaced atomically
 * after each END line, so status and the metrics need not read the logs.
 * The END lines stay the record: with no index at all (a new state
 * directory, runs by a user who cannot write it), the live logs are read.
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
#include "esc.h"
#include "fsx.h"
#include "report.h"
#include "runlog.h"
#include "scan.h"
#include "scripts.h"
#include "tree.h"
#include "xmalloc.h"

#define SCRIPTS_MAGIC	"evmaint-run 1"
#define SCRIPTS_MAX	4096	/* a record is one short line */

static int	scripts_cmp(const void *, const void *);

static int
scripts_cmp(const void *a, const void *b)
{
	return strcmp(((const struct script_run *)a)->tag,
	    ((const struct script_run *)b)->tag);
}

/* "state.run." for the state file /var/lib/evmaint/state. */
static char *
scripts_prefix(const char *base)
{
	char *s;

	xasprintf(&s, "%s.run.", base);
	return s;
}

static char *
scripts_name(const char *base, const char *tag)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_addf(&b, "%s.run.", base);
	esc_pct(&b, tag);
	return sbuf_steal(&b);
}

/* "evmaint-run 1 TAG LOG START DURATION EXIT SUCCESS". 0 or -1. */
static int
scripts_parse(const char *s, struct script_run *sr)
{
	char		 tag[1024], log[4096];
	long long	 start, success;
	double		 dur;
	int		 ex, n = 0;

	if (strncmp(s, SCRIPTS_MAGIC " ", sizeof SCRIPTS_MAGIC) != 0)
		return -1;
	s += sizeof SCRIPTS_MAGIC;
	if (sscanf(s, "%1023s %4095s %lld %lf %d %lld%n", tag, log, &start,
	    &dur, &ex, &success, &n) != 6 || s[n] != '\n' || ex < 0 ||
	    ex > 255 || dur < 0)
		return -1;
	if ((sr->tag = esc_unpct(tag)) == NULL)
		return -1;
	sr->last_start = (time_t)start;
	sr->last_duration = dur;
	sr->last_exit = ex;
	sr->last_success = (time_t)success;
	return 0;
}

/* Reads one record; 0, or -1 if it is missing or not one. */
static int
scripts_read(int dfd, const char *name, struct script_run *sr)
{
	struct stat	st;
	char		buf[SCRIPTS_MAX + 1];
	ssize_t		n;
	int		fd;

	if ((fd = fsx_open_read(dfd, name, &st)) == -1)
		return -1;
	n = fsx_read(fd, buf, SCRIPTS_MAX);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return scripts_parse(buf, sr);
}

/*
 * Records the run that just ended. The index only speeds status up, so a
 * state directory this user cannot use is no error: the END line holds it.
 */
void
scripts_record(const struct evm_config *cfg, const char *tag,
    const char *rel, time_t start, double secs, int status,
    struct report *rep)
{
	struct tree_mk		 mk = { EVM_META_MODE(cfg->dir_mode), geteuid(),
				    cfg->gid, false };
	struct script_run	 old = { NULL, 0, 0, 0, -1 };
	const char		*base;
	struct sbuf		 b;
	char			*why, *name;
	time_t			 success;
	int			 dfd;

	if ((dfd = tree_open_parent_trusted(cfg->state_file, &mk,
	    rep, &base, &why)) == -1) {
		report_info(rep, "script record not kept: %s", why ? why :
		    strerror(errno));
		free(why);
		return;
	}
	name = scripts_name(base, tag);
	success = status == 0 ? start : (scripts_read(dfd, name, &old) == 0 ?
	    old.last_success : -1);
	free(old.tag);
	sbuf_init(&b);
	sbuf_adds(&b, SCRIPTS_MAGIC " ");
	esc_pct(&b, tag);
	sbuf_adds(&b, " ");
	esc_pct(&b, rel);
	sbuf_addf(&b, " %lld %.3f %d %lld\n", (long long)start, secs, status,
	    (long long)success);
	if (runlog_publish(dfd, name, b.s, b.len, EVM_META_MODE(cfg->mode),
	    geteuid(), cfg->gid, true) == -1)
		report_info(rep, "script record %s not kept: %s", name,
		    strerror(errno));
	sbuf_free(&b);
	free(name);
	close(dfd);
}

static struct script_run *
scripts_get(struct script_runs *sr, const char *tag, size_t taglen)
{
	size_t i;

	for (i = 0; i < sr->n; i++)
		if (strlen(sr->v[i].tag) == taglen &&
		    memcmp(sr->v[i].tag, tag, taglen) == 0)
			return &sr->v[i];
	sr->v = xgrowarray(sr->v, sr->n + 1, sizeof *sr->v);
	sr->v[sr->n] = (struct script_run){ xstrndup(tag, taglen), -1, 0, 0,
	    -1 };
	return &sr->v[sr->n++];
}

/* One line of a live log, in the rebuild from the logs. */
static void
scripts_line(struct script_runs *sr, const char *p, size_t n,
    struct script_runs *starts)
{
	struct runlog_line	 l;
	struct script_run	*r, *st;

	if (runlog_parse(p, n, &l) != 0 || l.kind == RL_OTHER)
		return;
	st = scripts_get(starts, l.tag, l.taglen);
	if (l.kind == RL_START) {
		st->last_start = l.t;
		st->last_exit = (int)l.pid;	/* the pid, to pair with END */
		return;
	}
	r = scripts_get(sr, l.tag, l.taglen);
	r->last_start = st->last_exit == (int)l.pid && st->last_start != -1 ?
	    st->last_start : l.t - (time_t)l.duration;
	r->last_duration = l.duration;
	r->last_exit = l.exit;
	if (l.exit == 0)
		r->last_success = r->last_start;
}

/* The END lines of one live log, oldest first. */
static void
scripts_read_log(struct script_runs *sr, int dfd, const char *name,
    struct script_runs *starts)
{
	struct stat	 st;
	char		*buf = xmalloc(RUNLOG_LINE_MAX + 4096), *p, *nl;
	size_t		 len = 0, cap = RUNLOG_LINE_MAX + 4096;
	ssize_t		 n;
	int		 fd;
	bool		 skipping = false;

	if ((fd = fsx_open_read(dfd, name, &st)) == -1) {
		free(buf);
		return;
	}
	while ((n = fsx_read(fd, buf + len, cap - len)) > 0) {
		len += (size_t)n;
		for (p = buf; (nl = memchr(p, '\n', len - (size_t)(p - buf))) !=
		    NULL; p = nl + 1) {
			if (!skipping)
				scripts_line(sr, p, (size_t)(nl - p + 1), starts);
			skipping = false;
		}
		len -= (size_t)(p - buf);
		memmove(buf, p, len);
		if (len == cap) {	/* not a line run wrote */
			len = 0;
			skipping = true;
		}
	}
	close(fd);
	free(buf);
}

/* No index: the last run of each tag from the END lines of the live logs. */
static void
scripts_rebuild(const struct evm_config *cfg, struct script_runs *sr,
    struct report *rep)
{
	struct script_runs	starts = { NULL, 0 };
	struct scan		s;
	size_t			i;

	if (scan_tree(&s, cfg, rep) != 0)
		return;
	for (i = 0; i < s.nlogs; i++)
		if (s.logs[i].exists && s.logs[i].refused == NULL &&
		    s.logs[i].dir != NULL)
			scripts_read_log(sr, s.logs[i].dir->fd, s.logs[i].name,
			    &starts);
	scan_free(&s);
	scripts_free(&starts);
}

struct scripts_lister {
	struct script_runs	*sr;
	int			 dfd;
	const char		*prefix;
	size_t			 plen;
};

static int
scripts_load_one(void *arg, const char *name)
{
	struct scripts_lister	*sl = arg;
	struct script_run	 r;

	if (strncmp(name, sl->prefix, sl->plen) != 0 ||
	    scripts_read(sl->dfd, name, &r) != 0)
		return 0;
	sl->sr->v = xgrowarray(sl->sr->v, sl->sr->n + 1, sizeof *sl->sr->v);
	sl->sr->v[sl->sr->n++] = r;
	return 0;
}

/*
 * The last run of every script that ever ran with `run`: from the index,
 * or, when there is none, from the live logs. 0 (possibly none), or -1 when
 * the state directory cannot be read (also part way: a listing cut short
 * would pass scripts over, or rebuild the index from the logs for none).
 */
int
scripts_load(const struct evm_config *cfg, struct script_runs *sr,
    struct report *rep)
{
	struct scripts_lister	 sl;
	const char		*base;
	char			*why, *prefix;
	int			 dfd, rc;

	sr->v = NULL;
	sr->n = 0;
	dfd = tree_open_parent_trusted(cfg->state_file, NULL, NULL,
	    &base, &why);
	if (dfd == -1 && errno != ENOENT) {
		report_warn(rep, cfg->state_file, "script runs: %s", why);
		free(why);
		return -1;
	}
	free(why);
	if (dfd >= 0) {
		prefix = scripts_prefix(base);
		sl.sr = sr;
		sl.dfd = dfd;
		sl.prefix = prefix;
		sl.plen = strlen(prefix);
		rc = fsx_dir_each(dfd, scripts_load_one, &sl);
		close(dfd);
		free(prefix);
		if (rc == -1) {
			scripts_free(sr);
			return -1;
		}
	}
	if (sr->n == 0)
		scripts_rebuild(cfg, sr, rep);
	if (sr->n > 1)
		qsort(sr->v, sr->n, sizeof *sr->v, scripts_cmp);
	return 0;
}

void
scripts_free(struct script_runs *sr)
{
	size_t i;

	for (i = 0; i < sr->n; i++)
		free(sr->v[i].tag);
	free(sr->v);
	sr->v = NULL;
	sr->n = 0;
}
