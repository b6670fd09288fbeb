/*
 * Monitoring data (see mon.h): gathered the way status always did, without
 * the lock, then judged. The conditions and their severities are listed in
 * evmaint(8), STATUS --check.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "conf.h"
#include "due.h"
#include "esc.h"
#include "fsx.h"
#include "journal.h"
#include "lock.h"
#include "mon.h"
#include "report.h"
#include "run.h"
#include "tree.h"
#include "xmalloc.h"

#define MON_FULL_PERCENT	90

static void	mon_item(struct mon *, enum mon_sev, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 5, 6)));

bool
mon_ids_ok(const struct evm_config *cfg, mode_t mode, uid_t uid, gid_t gid,
    mode_t want)
{
	return (mode & 07777) == want && uid == cfg->uid && gid == cfg->gid;
}

bool
mon_mode_ok(const struct evm_config *cfg, const struct stat *st, mode_t want)
{
	return mon_ids_ok(cfg, st->st_mode, st->st_uid, st->st_gid, want);
}

/* "root:root", from the names (the ids when there are none). */
char *
mon_owner_str(uid_t uid, gid_t gid)
{
	struct passwd	*pw = getpwuid(uid);
	struct group	*gr;
	char		 u[64], *s;

	if (pw != NULL)
		snprintf(u, sizeof u, "%s", pw->pw_name);
	else
		snprintf(u, sizeof u, "%ju", (uintmax_t)uid);
	if ((gr = getgrgid(gid)) != NULL)
		xasprintf(&s, "%s:%s", u, gr->gr_name);
	else
		xasprintf(&s, "%s:%ju", u, (uintmax_t)gid);
	return s;
}

/* "mode 0644 owner www-data:adm, configured 0640 root:root" */
static void
mon_drift(struct mon *m, const char *path, const char *what,
    const struct stat *st, mode_t want)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	char			*own = mon_owner_str(st->st_uid, st->st_gid);

	mon_item(m, MON_WARNING, "drift", path, "%smode %04o owner %s, "
	    "configured %04o %s:%s", what, (unsigned)(st->st_mode & 07777),
	    own, (unsigned)want, cfg->owner, cfg->group);
	free(own);
}

uint64_t
mon_gens_bytes(const struct log *l)
{
	uint64_t	n = 0;
	size_t		k;

	for (k = 0; k < l->ngens; k++)
		n += (uint64_t)l->gens[k].st.st_size;
	return n;
}

static void
mon_item(struct mon *m, enum mon_sev sev, const char *kind, const char *path,
    const char *fmt, ...)
{
	struct mon_item	*it;
	va_list		 ap;

	m->items = xgrowarray(m->items, m->nitems + 1, sizeof *m->items);
	it = &m->items[m->nitems++];
	it->sev = sev;
	it->kind = kind;
	it->path = path != NULL ? xstrdup(path) : NULL;
	va_start(ap, fmt);
	if (vasprintf(&it->msg, fmt, ap) < 0)
		it->msg = xstrdup("(out of memory)");
	va_end(ap);
}

static bool
mon_is_log(void *arg, const char *rel, bool *dateext)
{
	struct log	*l = scan_find(arg, rel);

	if (l == NULL)
		return false;
	*dateext = l->opts->dateext;
	return true;
}

/* The journal's archive, as rotate checks it before a replay. */
static int
mon_journal_archive(struct mon *m, const struct journal *j, char **why)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	char			*err;
	int			 fd, rc;

	*why = NULL;
	if (j->archive == NULL)
		return 0;
	if ((fd = tree_open_trusted(cfg->archive_dir, NULL, cfg->uid, NULL,
	    &err)) == -1) {
		free(err);	/* archive_dir's own item says why */
		return 0;
	}
	rc = journal_check_archive(j, fd, cfg->archive_dir, why);
	close(fd);
	return rc;
}

/*
 * A pending journal as the next rotate will judge it (the validator
 * rotate runs before any step, and the archive it may name), into
 * m->journal_bad when it cannot be used.
 */
static void
mon_journal(struct mon *m, int dfd, const char *name)
{
	struct jr_tree	 jt = { mon_is_log, &m->scan };
	struct journal	 jr;
	char		*err = NULL;
	int		 rc, arc = 0;

	memset(&jr, 0, sizeof jr);
	if ((rc = journal_load(dfd, name, &jr, &err)) == 0)
		;	/* removed since: the run it belonged to has finished */
	else if (rc == -2)
		xasprintf(&m->journal_bad, "cannot be read (%s)", err ? err :
		    "unreadable");
	else if (rc < 0)
		xasprintf(&m->journal_bad, "unusable (%s)", err ? err :
		    "unreadable");
	else if (m->scanned && jr.root != NULL &&
	    strcmp(jr.root, m->scan.tree.root) != 0)
		xasprintf(&m->journal_bad, "belongs to the tree %s, not "
		    "%s", jr.root, m->scan.tree.root);
	else if (m->scanned && (journal_check(&jr, &jt, &err) == -1 ||
	    (arc = mon_journal_archive(m, &jr, &err)) == -1)) {
		char *e = esc_human_dup(err);

		xasprintf(&m->journal_bad, "is not one rotation wrote (%s): "
		    "the next rotate sets it aside", e);
		free(e);
	} else if (arc == -2) {
		char *e = esc_human_dup(err);

		xasprintf(&m->journal_bad, "cannot be checked (%s): the next "
		    "rotate keeps it until it can", e);
		free(e);
	}
	free(err);
	journal_free(&jr);
}

/*
 * Journals rotate rejected and set aside (NAME.rejected-STAMP[.N]): kept
 * for the operator to read, since one may be a forgery; warned about until
 * removed.
 */
static int
mon_strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct mon_lister {
	struct mon	*m;
	const char	*dir;
	int		 dirlen;
	const char	*prefix;
	size_t		 len;
};

static int
mon_rejected_one(void *arg, const char *name)
{
	struct mon_lister	*ml = arg;
	struct mon		*m = ml->m;

	if (strncmp(name, ml->prefix, ml->len) == 0) {
		m->rejected = xreallocarray(m->rejected, m->nrejected + 1,
		    sizeof *m->rejected);
		xasprintf(&m->rejected[m->nrejected++], "%.*s%s", ml->dirlen,
		    ml->dir, name);
	}
	return 0;
}

/* DIR is the state directory's path with its slash, as the names show. */
static void
mon_rejected(struct mon *m, int dfd, const char *dir, int dirlen,
    const char *name)
{
	struct mon_lister	 ml = { m, dir, dirlen, NULL, 0 };
	char			*prefix, *show;

	xasprintf(&prefix, "%s.rejected-", name);
	ml.prefix = prefix;
	ml.len = strlen(prefix);
	if (fsx_dir_each(dfd, mon_rejected_one, &ml) == -1) {
		int err = errno;

		/* a journal set aside there would go unreported */
		show = dirlen == 0 ? xstrdup(".") : xstrndup(dir,
		    dirlen > 1 ? (size_t)dirlen - 1 : 1);
		mon_item(m, MON_UNKNOWN, "state", show, "cannot be listed: %s",
		    strerror(err));
		free(show);
	}
	free(prefix);
	if (m->nrejected > 1)
		qsort(m->rejected, m->nrejected, sizeof *m->rejected,
		    mon_strp_cmp);
}

/* The state, the run records, the lock and the journal. */
static void
mon_state(struct mon *m)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	struct stat		 st;
	const char		*base;
	char			*why, *name, *dir;
	int			 dfd;

	dfd = tree_open_parent(cfg->state_file, NULL, NULL, &base, &why);
	if (dfd == -1) {
		/* None yet (before init) is no error: nothing is recorded. */
		if (errno != ENOENT) {
			m->state_rc = -2;
			m->state_err = why;
		} else
			free(why);
		return;
	}
	dir = base - 1 == cfg->state_file ? xstrdup("/") :
	    xstrndup(cfg->state_file, (size_t)(base - 1 - cfg->state_file));
	if (tree_check_own_fd(dfd, dir, &m->state_dir_bad) == 0)
		m->state_dir_bad = NULL;
	free(dir);
	m->state_rc = state_load(dfd, base, &m->state, &m->state_err);
	if (fsx_fstatat(dfd, base, &st) == 0)
		m->state_written = st.st_mtime;
	name = runs_name(base);
	m->runs_rc = runs_load(dfd, name, &m->runs, &m->runs_err);
	free(name);

	xasprintf(&name, "%s.lock", base);
	if (m->ctx->lock_fd >= 0) {
		/* this run's own: the metrics written at its end */
		m->lock_held = 1;
		m->lock_pid = (long)getpid();
	} else
		m->lock_held = lock_probe(dfd, name, &m->lock_pid);
	/* what lock_open refuses, seen now rather than after check_max_age */
	if (fsx_fstatat(dfd, name, &st) == 0 &&
	    (fsx_refusal(&st) != NULL || fsx_own_refusal(&st) != NULL))
		xasprintf(&m->lock_bad, "%s.lock is %s: rotate refuses it and "
		    "does nothing until it is fixed", cfg->state_file,
		    fsx_refusal(&st) != NULL ? fsx_refusal(&st) :
		    fsx_own_refusal(&st));
	free(name);

	xasprintf(&name, "%s.journal", base);
	if (fsx_fstatat(dfd, name, &st) == 0) {
		m->journal = true;
		/* a rotation under way is writing it: nothing to judge */
		if (m->lock_held != 1)
			mon_journal(m, dfd, name);
	}
	mon_rejected(m, dfd, cfg->state_file, (int)(base - cfg->state_file),
	    name);
	free(name);
	close(dfd);
}

/* archive_dir as rotate opens it: present, trusted, writable; its space. */
static void
mon_archive_dir(struct mon *m)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	struct arc_entry	*e = NULL;
	struct statvfs		 v;
	size_t			 n = 0, i;
	int			 fd;

	fd = tree_open_trusted(cfg->archive_dir, NULL, cfg->uid, NULL,
	    &m->arc_why);
	if (fd == -1) {
		if (errno == ENOENT) {
			char *why = m->arc_why;

			xasprintf(&m->arc_why, "missing (%s)", why);
			free(why);
		}
		return;
	}
	if (arcdir_apart(cfg, fd, &m->arc_why) == -1) {
		close(fd);
		return;
	}
	m->arc_ok = true;
	/* Read-only mounts answer EROFS here, even for root. */
	m->arc_writable = faccessat(fd, ".", W_OK, AT_EACCESS) == 0;
	if (!m->arc_writable)
		xasprintf(&m->arc_why, "not writable (%s)", strerror(errno));
	if (arc_list(fd, &e, &n) == 0) {
		for (i = 0; i < n; i++) {
			m->arc_bytes += (uint64_t)e[i].st.st_size;
			if (e[i].stamp > m->arc_newest)
				m->arc_newest = e[i].stamp;
			if (m->arc_oldest == 0 || e[i].stamp < m->arc_oldest)
				m->arc_oldest = e[i].stamp;
		}
		m->narc = n;
		arc_list_free(e, n);
	}
	if (fstatvfs(fd, &v) == 0 && v.f_blocks > 0) {
		m->arc_vfs = true;
		m->arc_free = (uint64_t)v.f_bavail * v.f_frsize;
		m->arc_total = (uint64_t)v.f_blocks * v.f_frsize;
		if (v.f_flag & ST_RDONLY)
			m->arc_writable = false;
	}
	close(fd);
}

static void
mon_logrotate(struct mon *m)
{
	const char	*conf = getenv("EVMAINT_LOGROTATE_CONF");
	char		**paths;
	size_t		 i, n = m->scan.nlogs;

	if (conf == NULL || *conf == '\0')
		conf = LR_MAIN_CONF;
	paths = xcalloc(n ? n : 1, sizeof *paths);
	for (i = 0; i < n; i++)
		xasprintf(&paths[i], "%s/%s", m->scan.tree.root,
		    m->scan.logs[i].rel);
	(void)lr_scan(conf, (const char *const *)paths, n, &m->lr);
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

/* The start of the local day after t's. */
static time_t
mon_next_day(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_mday++;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/*
 * When the log is next due: now if it is, the start of the next day if it
 * was rotated today, 0 if never (refused, missing) and -1 once it has data
 * (empty with notifempty).
 */
time_t
mon_next_due(const struct mon *m, const struct log *l)
{
	const struct state_log	*sl;
	const char		*why;
	time_t			 now = m->ctx->now;

	if (due_log(&m->state, l, now, false, &why))
		return now;
	if (l->refused != NULL || !l->exists || l->dir == NULL)
		return 0;
	if (l->st.st_size == 0 && l->opts->notifempty)
		return -1;
	sl = state_get((struct state *)&m->state, l->rel, false);
	return mon_next_day(sl != NULL && sl->last > now ? sl->last : now);
}

/*
 * The newest successful run of COMMAND that is not in the future: one
 * dated ahead (the clock jumped, then came back) must not hide that the
 * command stopped succeeding. *future (if not NULL) tells one was skipped.
 */
const struct run_rec *
mon_last_good(const struct mon *m, const char *command, bool *future)
{
	size_t i;

	if (future != NULL)
		*future = false;
	for (i = m->runs.n; i-- > 0;) {
		const struct run_rec *r = &m->runs.v[i];

		if (strcmp(r->command, command) != 0 || r->exit_status != 0)
			continue;
		if (r->start <= m->ctx->now)
			return r;
		if (future != NULL)
			*future = true;
	}
	return NULL;
}

static void
mon_judge_rotate(struct mon *m)
{
	const struct run_rec	*last = runs_last(&m->runs, "rotate", false);
	const struct run_rec	*ok;
	long long		 max = m->ctx->cfg->check_max_age, age;
	char			 when[40];
	bool			 future;

	ok = m->last_good = mon_last_good(m, "rotate", &future);
	if (future)
		mon_item(m, MON_WARNING, "clock", NULL, "a successful rotate is "
		    "recorded in the future");
	if (ok == NULL) {
		/* a last one that exited 0 is in the future: "clock" says so */
		if (last != NULL && last->exit_status == 0)
			last = NULL;
		mon_item(m, MON_CRITICAL, "rotate", NULL, "no successful rotate "
		    "recorded%s%s", last ? "; the last one exited " : "",
		    last ? (last->exit_status == EVM_EXIT_LOCKED ? "75" :
		    "non-zero") : "");
		return;
	}
	age = (long long)(m->ctx->now - ok->start);
	if (age > max) {
		clock_iso8601(ok->start, when, sizeof when);
		mon_item(m, MON_CRITICAL, "rotate", NULL, "no successful rotate "
		    "for %lldh%02lldm (since %s; check_max_age %llds)",
		    age / 3600, age % 3600 / 60, when, max);
		return;
	}
	/* one that found the lock held (75) is another's night: no news */
	if (last != NULL && last != ok && last->start >= ok->start &&
	    last->exit_status != 0 && last->exit_status != EVM_EXIT_LOCKED)
		m->last_failed = last;
}

/*
 * A successful rotate is recent, but the last one failed: said the same
 * night, not only once check_max_age has passed; what failed is in its
 * errors, which error.log keeps. After the logs' items, which say more.
 */
static void
mon_judge_last_failed(struct mon *m)
{
	char when[40];

	if (m->last_failed == NULL)
		return;
	clock_iso8601(m->last_failed->start, when, sizeof when);
	mon_item(m, MON_WARNING, "rotate", NULL, "the last rotate (%s) exited "
	    "%d: its errors are in error.log", when,
	    m->last_failed->exit_status);
}

static void
mon_judge_archive_dir(struct mon *m)
{
	const struct evm_config *cfg = m->ctx->cfg;

	if (!m->arc_ok || !m->arc_writable)
		mon_item(m, MON_CRITICAL, "archive_dir", cfg->archive_dir, "%s",
		    m->arc_why ? m->arc_why : "unusable");
	else if (m->arc_vfs && (m->arc_total - m->arc_free) * 100 >
	    m->arc_total * MON_FULL_PERCENT)
		mon_item(m, MON_WARNING, "archive_dir_full", cfg->archive_dir,
		    "file system %llu%% full",
		    (unsigned long long)((m->arc_total - m->arc_free) * 100 /
		    m->arc_total));
}

/*
 * A numbered generation missing below the oldest one (deploy.log.2.gz
 * deleted by hand): the history has a hole that no run will fill.
 */
static void
mon_judge_gap(struct mon *m, const struct log *l)
{
	unsigned char	*seen;
	size_t		 k;
	int		 max = 0, n;

	for (k = 0; k < l->ngens; k++)
		if (l->gens[k].gn.form == GEN_NUM && l->gens[k].gn.num > max)
			max = l->gens[k].gn.num;
	if (max == 0)
		return;
	seen = xcalloc((size_t)max + 1, 1);
	for (k = 0; k < l->ngens; k++)
		if (l->gens[k].gn.form == GEN_NUM)
			seen[l->gens[k].gn.num] = 1;
	for (n = 1; n <= max && seen[n]; n++)
		;
	if (n < max)
		mon_item(m, MON_WARNING, "gap", l->rel, "generation %d is "
		    "missing (the oldest is %d): deleted by hand?", n, max);
	free(seen);
}

static void
mon_judge_log(struct mon *m, const struct log *l)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	const struct state_log	*sl;
	size_t			 k, drift = 0, slots = 0;
	char			*rel, when[40];

	if (l->refused != NULL)
		mon_item(m, MON_CRITICAL, "refused", l->rel, "%s", l->refused);
	for (k = 0; k < l->ngens; k++) {
		/*
		 * A plain copy and a .gz of one generation: an interrupted
		 * compression (the next rotate keeps the copy that holds the
		 * data) or two files that differ, which rotate reports every
		 * night until both are archived. One slot, named here.
		 */
		if (k > 0 && run_same_slot(&l->gens[k], &l->gens[k - 1])) {
			rel = tree_join(l->dirrel, l->gens[k - 1].name);
			mon_item(m, MON_WARNING, "pair", rel, "and %s: one "
			    "generation twice, plain and compressed",
			    l->gens[k].name);
			free(rel);
		} else
			slots++;
		if (l->gens[k].refused != NULL) {
			rel = tree_join(l->dirrel, l->gens[k].name);
			mon_item(m, MON_CRITICAL, "refused", rel, "%s",
			    l->gens[k].refused);
			free(rel);
		} else if (!mon_ids_ok(cfg, l->gens[k].st.st_mode,
		    l->gens[k].st.st_uid, l->gens[k].st.st_gid, cfg->mode))
			drift++;
	}
	if (l->refused == NULL && l->exists &&
	    !mon_mode_ok(cfg, &l->st, cfg->mode))
		mon_drift(m, l->rel, "", &l->st, cfg->mode);
	if (drift > 0)
		mon_item(m, MON_WARNING, "drift", l->rel, "%zu generation%s with "
		    "another mode or owner", drift, drift == 1 ? "" : "s");
	/* archive_dir usable: more than kept, as logrotate's left them */
	if (slots > (size_t)l->opts->rotate)
		mon_item(m, MON_WARNING, "backlog", l->rel, "%zu generations, "
		    "rotate %d: %s", slots, l->opts->rotate, m->arc_ok &&
		    m->arc_writable ? "the next rotate archives the oldest" :
		    "waiting for archive_dir");
	mon_judge_gap(m, l);
	sl = state_get((struct state *)&m->state, l->rel, false);
	if (sl != NULL && sl->last > m->ctx->now) {
		clock_iso8601(sl->last, when, sizeof when);
		mon_item(m, MON_WARNING, "clock", l->rel, "last rotation "
		    "recorded at %s, in the future", when);
	}
}

static void
mon_judge(struct mon *m)
{
	const struct evm_config	*cfg = m->ctx->cfg;
	size_t			 i;

	if (m->runs_rc != -1)	/* else unusable records: nothing to judge */
		mon_judge_rotate(m);
	if (!m->scanned)
		mon_item(m, MON_CRITICAL, "root", cfg->root, "cannot be read "
		    "('evmaint init' creates it)");
	mon_judge_archive_dir(m);
	if (m->state_dir_bad != NULL)	/* it names the directory */
		mon_item(m, MON_CRITICAL, "state", NULL, "%s; the next rotate "
		    "does nothing until it is fixed", m->state_dir_bad);
	if (m->lock_bad != NULL)
		mon_item(m, MON_CRITICAL, "state", NULL, "%s", m->lock_bad);
	if (m->journal_bad != NULL && m->lock_held != 1)
		mon_item(m, MON_CRITICAL, "journal", NULL, "%s.journal %s: the "
		    "next rotate cannot finish the interrupted run",
		    cfg->state_file, m->journal_bad);
	for (i = 0; i < m->nrejected; i++)
		mon_item(m, MON_WARNING, "journal", m->rejected[i], "a journal "
		    "rotate rejected and set aside (it may be forged): read "
		    "it, then remove it");
	for (i = 0; m->scanned && i < m->scan.nlogs; i++)
		mon_judge_log(m, &m->scan.logs[i]);
	for (i = 0; m->scanned && i < m->scan.tree.ndirs; i++) {
		struct tree_dir *d = m->scan.tree.dirs[i];

		if (!mon_mode_ok(cfg, &d->st, cfg->dir_mode))
			mon_drift(m, *d->rel ? d->rel : m->scan.tree.root,
			    "directory ", &d->st, cfg->dir_mode);
	}
	for (i = 0; i < m->lr.nhits; i++)
		if (m->lr.hits[i].inactive == NULL)
			mon_item(m, MON_WARNING, "logrotate", m->lr.hits[i].path,
			    "also rotated by logrotate (%s:%d, %s)",
			    m->lr.hits[i].file, m->lr.hits[i].line,
			    m->lr.hits[i].pattern);
	for (i = 0; i < m->scripts.n; i++)
		if (m->scripts.v[i].last_exit != 0)
			mon_item(m, MON_WARNING, "script", m->scripts.v[i].tag,
			    "last run exited %d", m->scripts.v[i].last_exit);
	mon_judge_last_failed(m);
}

/*
 * Most severe first: CRITICAL, then UNKNOWN, then WARNING. A failure known
 * for certain (the next rotate cannot work) outranks what could not be
 * judged, which may hide one and so outranks a warning (monitoring
 * plugins' max_state_alt puts WARNING above UNKNOWN; an unread state is
 * worse than drift).
 */
static int
mon_sev_rank(enum mon_sev s)
{
	switch (s) {
	case MON_CRITICAL:
		return 3;
	case MON_UNKNOWN:
		return 2;
	case MON_WARNING:
		return 1;
	default:
		return 0;
	}
}

static int
mon_item_cmp(const void *a, const void *b)
{
	const struct mon_item *x = a, *y = b;

	return mon_sev_rank(y->sev) - mon_sev_rank(x->sev);
}

void
mon_collect(struct mon *m, struct evm_ctx *ctx, struct report *rep)
{
	size_t	 i;
	char	*runs;

	memset(m, 0, sizeof *m);
	m->ctx = ctx;
	m->rep = rep;
	m->scanned = scan_tree(&m->scan, ctx->cfg, rep) == 0;
	mon_state(m);
	xasprintf(&runs, "%s.runs", ctx->cfg->state_file);
	if (m->state_rc == -2 || m->runs_rc == -2) {
		if (m->state_dir_bad != NULL)
			mon_item(m, MON_CRITICAL, "state", NULL, "%s; the next "
			    "rotate does nothing until it is fixed",
			    m->state_dir_bad);
		else
			mon_item(m, MON_UNKNOWN, "state", m->state_rc == -2 ?
			    ctx->cfg->state_file : runs, "cannot be read: %s",
			    m->state_rc == -2 ? m->state_err : m->runs_err);
		free(runs);
		return;
	}
	if (m->state_rc == -1)
		mon_item(m, MON_UNKNOWN, "state", ctx->cfg->state_file,
		    "unusable: %s", m->state_err);
	if (m->runs_rc == -1)
		mon_item(m, MON_UNKNOWN, "state", runs, "unusable: %s (the next "
		    "rotate replaces it)", m->runs_err);
	free(runs);
	mon_archive_dir(m);
	if (m->scanned)
		mon_logrotate(m);
	/* a refused state directory is reported (CRITICAL) as the cause */
	if (scripts_load(ctx->cfg, &m->scripts, rep) != 0 &&
	    m->state_dir_bad == NULL)
		mon_item(m, MON_UNKNOWN, "state", NULL, "the scripts' run "
		    "records cannot be read");
	mon_judge(m);
	/* stable: each severity keeps the order the items were found in */
	for (i = 1; i < m->nitems; i++) {
		struct mon_item	x = m->items[i];
		size_t		j = i;

		while (j > 0 && mon_item_cmp(&m->items[j - 1], &x) > 0) {
			m->items[j] = m->items[j - 1];
			j--;
		}
		m->items[j] = x;
	}
}

/*
 * The warnings that matter to whoever just changed the tree (init, rotate
 * -v or -n), told as status tells them: KINDS is a list like
 * "logrotate backlog gap clock".
 */
void
mon_warn(struct evm_ctx *ctx, const char *kinds)
{
	struct report	*quiet;
	struct mon	 m;
	size_t		 i, n;
	const char	*p;

	quiet = report_new("status", -1, true, false);
	report_silent(quiet);
	mon_collect(&m, ctx, quiet);
	for (i = 0; i < m.nitems; i++) {
		n = strlen(m.items[i].kind);
		for (p = strstr(kinds, m.items[i].kind); p != NULL;
		    p = strstr(p + 1, m.items[i].kind))
			if ((p == kinds || p[-1] == ' ') &&
			    (p[n] == ' ' || p[n] == '\0'))
				break;
		if (p != NULL)
			report_warn(ctx->rep, m.items[i].path, "%s: %s",
			    m.items[i].kind, m.items[i].msg);
	}
	mon_free(&m);
	report_free(quiet);
}

enum mon_sev
mon_worst(const struct mon *m)
{
	return m->nitems > 0 ? m->items[0].sev : MON_OK;
}

const char *
mon_sev_name(enum mon_sev s)
{
	static const char *names[] = { "OK", "WARNING", "CRITICAL",
	    "UNKNOWN" };

	return names[s];
}

void
mon_free(struct mon *m)
{
	size_t i;

	for (i = 0; i < m->nitems; i++) {
		free(m->items[i].path);
		free(m->items[i].msg);
	}
	free(m->items);
	scan_free(&m->scan);	/* also after a failed scan: its root name */
	state_free(&m->state);
	runs_free(&m->runs);
	free(m->state_err);
	free(m->runs_err);
	free(m->arc_why);
	free(m->journal_bad);
	for (i = 0; i < m->nrejected; i++)
		free(m->rejected[i]);
	free(m->rejected);
	free(m->state_dir_bad);
	free(m->lock_bad);
	lr_result_free(&m->lr);
	scripts_free(&m->scripts);
	memset(m, 0, sizeof *m);
}
