/*
 * archive_dir (see arc.h): the archives' names (event-STAMP[.N].tar[.gz]
 * and their .sha256 sidecars), listing them, and clearing what an
 * interrupted run left there.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "evmaint.h"
#include "arc.h"
#include "arc-int.h"
#include "conf.h"
#include "fsx.h"
#include "report.h"
#include "tree.h"
#include "xmalloc.h"

#define ARC_STAMP_LEN	15		/* 20261125T020001 */

static int	arc_entry_cmp(const void *, const void *);

bool
arc_member_name_safe(const char *name)
{
	const char	*p, *slash;
	size_t		 len;

	if (name == NULL || *name == '\0' || *name == '/')
		return false;
	for (p = name; ; p = slash + 1) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 2 && p[0] == '.' && p[1] == '.')
			return false;
		if (slash == NULL)
			return true;
	}
}

/* Why fsx_open_read failed, in the words fsx_refusal uses. */
const char *
arc_open_why(int error, const struct stat *st)
{
	const char *why;

	if (error == EMLINK && (why = fsx_refusal(st)) != NULL)
		return why;
	if (error == ELOOP)
		return "is a symlink";
	return strerror(error);
}

bool
arc_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

/* event-STAMP[.N].tar[.gz]; the stamp in local time, as the day counts. */
char *
arc_name(time_t stamp, int seq, bool gz)
{
	char	 buf[32], *s;

	clock_stamp(stamp, buf, sizeof buf);
	if (seq > 0)
		xasprintf(&s, ARC_PREFIX "%s.%d.tar%s", buf, seq,
		    gz ? ".gz" : "");
	else
		xasprintf(&s, ARC_PREFIX "%s.tar%s", buf, gz ? ".gz" : "");
	return s;
}

/* The name, or its sidecar, exists (or cannot be told not to). */
bool
arc_name_taken(int dirfd, const char *name)
{
	struct stat	 st;
	char		*side;
	bool		 taken;

	if (fsx_fstatat(dirfd, name, &st) == 0 || errno != ENOENT)
		return true;
	xasprintf(&side, "%s" ARC_SIDECAR, name);
	taken = fsx_fstatat(dirfd, side, &st) == 0 || errno != ENOENT;
	free(side);
	return taken;
}

bool
arc_parse_name(const char *name, time_t *stamp, int *seq, bool *gz)
{
	const char	*p = name, *q;
	char		 buf[ARC_STAMP_LEN + 1];
	time_t		 t;
	int		 i, n = 0, day;

	if (strncmp(p, ARC_PREFIX, sizeof ARC_PREFIX - 1) != 0)
		return false;
	p += sizeof ARC_PREFIX - 1;
	for (i = 0; i < ARC_STAMP_LEN; i++) {
		if (i == 8 ? p[i] != 'T' : (p[i] < '0' || p[i] > '9'))
			return false;
		buf[i] = p[i];
	}
	buf[ARC_STAMP_LEN] = '\0';
	p += ARC_STAMP_LEN;
	if (p[0] == '.' && p[1] >= '1' && p[1] <= '9') {
		for (q = p + 1; *q >= '0' && *q <= '9' && q - p <= 3; q++)
			n = n * 10 + (*q - '0');
		if (*q >= '0' && *q <= '9')
			return false;	/* 1000 and more */
		p = q;
	}
	if (strcmp(p, ".tar") != 0 && strcmp(p, ".tar.gz") != 0)
		return false;
	if (clock_parse_stamp(buf, &t) == -1)
		return false;
	/*
	 * mktime takes 20260230 for March 2nd; an hour either way is a
	 * time in a DST gap, moved on by mktime.
	 */
	day = atoi(buf);
	if (day != clock_day(t) && day != clock_day(t - 3600) &&
	    day != clock_day(t + 3600))
		return false;
	if (stamp != NULL)
		*stamp = t;
	if (seq != NULL)
		*seq = n;
	if (gz != NULL)
		*gz = p[4] == '.';
	return true;
}

static int
arc_entry_cmp(const void *pa, const void *pb)
{
	const struct arc_entry *a = pa, *b = pb;

	if (a->stamp != b->stamp)
		return a->stamp < b->stamp ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return strcmp(a->name, b->name);
}

struct arc_lister {
	int			 dirfd;
	struct arc_entry	*v;
	size_t			 n;
};

static int
arc_list_one(void *arg, const char *name)
{
	struct arc_lister	*a = arg;
	struct arc_entry	*x;
	struct stat		 st;
	char			*side;
	time_t			 t;
	int			 seq;
	bool			 gz;

	if (!arc_parse_name(name, &t, &seq, &gz) ||
	    fsx_fstatat(a->dirfd, name, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;
	a->v = xgrowarray(a->v, a->n + 1, sizeof *a->v);
	x = &a->v[a->n++];
	x->name = xstrdup(name);
	x->stamp = t;
	x->seq = seq;
	x->gzip = gz;
	x->st = st;
	xasprintf(&side, "%s" ARC_SIDECAR, name);
	x->has_sidecar = fsx_fstatat(a->dirfd, side, &st) == 0 &&
	    S_ISREG(st.st_mode);
	free(side);
	return 0;
}

int
arc_list(int dirfd, struct arc_entry **entries, size_t *nentries)
{
	struct arc_lister a = { dirfd, NULL, 0 };

	*entries = NULL;
	*nentries = 0;
	if (fsx_dir_each(dirfd, arc_list_one, &a) == -1) {
		int saved = errno;

		arc_list_free(a.v, a.n);
		errno = saved;
		return -1;
	}
	if (a.n > 0)
		qsort(a.v, a.n, sizeof *a.v, arc_entry_cmp);
	*entries = a.v;
	*nentries = a.n;
	return 0;
}

void
arc_list_free(struct arc_entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/*
 * What an interrupted run leaves in archive_dir: temporaries, and a
 * sidecar published just before a crash kept its archive from following.
 * Only to be called while no arc_write runs on this directory.
 */
struct arc_cleaner {
	int		 dirfd;
	const char	*dirpath;
	bool		 dry_run;
	bool		 removed;
	struct report	*rep;
};

static int
arc_cleanup_one(void *arg, const char *name)
{
	struct arc_cleaner	*c = arg;
	struct stat		 st;
	char			*arc, *path;
	bool			 orphan;

	if (!fsx_is_tmp_name(name)) {
		if (strncmp(name, ARC_PREFIX, sizeof ARC_PREFIX - 1) != 0 ||
		    !arc_has_suffix(name, ARC_SIDECAR))
			return 0;
		arc = xstrndup(name, strlen(name) - (sizeof ARC_SIDECAR - 1));
		orphan = fsx_fstatat(c->dirfd, arc, &st) == -1 &&
		    errno == ENOENT;
		free(arc);
		if (!orphan)
			return 0;
	}
	if (fsx_fstatat(c->dirfd, name, &st) == -1)
		return 0;
	xasprintf(&path, "%s/%s", c->dirpath, name);
	if (fsx_refusal(&st) != NULL)
		report_error(c->rep, path, "has evmaint's name for a leftover "
		    "but %s: left alone", fsx_refusal(&st));
	else if (!c->dry_run && fsx_unlink(c->dirfd, name) == -1)
		report_error(c->rep, path, "cannot remove: %s",
		    strerror(errno));
	else {
		report_action(c->rep, "remove", path, -1, -1,
		    "leftover of an interrupted run");
		c->removed = true;
	}
	free(path);
	return 0;
}

void
arc_cleanup(int dirfd, const char *dirpath, bool dry_run, struct report *rep)
{
	struct arc_cleaner c = { dirfd, dirpath, dry_run, false, rep };

	if (fsx_dir_each(dirfd, arc_cleanup_one, &c) == -1)
		report_error(rep, dirpath, "cannot list: %s", strerror(errno));
	if (c.removed && !dry_run)
		(void)fsx_fsync(dirfd);
}

/*
 * Whether archive_dir and root keep apart through symbolic links, not only
 * as written (check-config compares the paths): a symbolic link on the way
 * into the tree would put the archives in it, each snapshot holding every
 * one before; one on root's way into archive_dir, the tree among the
 * archives. Judged on archive_dir, open in arcfd (or -1: opened here) or,
 * where it does not exist yet, on its nearest ancestor that does (init
 * would create it there). 0, or -1 with *why, which follows "archive_dir ".
 */
int
arcdir_apart(const struct evm_config *cfg, int arcfd, char **why)
{
	char	*w = NULL;
	int	 rootfd, fd = -1, deep, dir;
	bool	 self = true;

	*why = NULL;
	rootfd = tree_open_abs(cfg->root, NULL, NULL, &w);
	free(w);
	if (rootfd == -1)
		return 0;	/* no root to be inside: said where it matters */
	if (arcfd < 0) {
		fd = tree_open_abs_at(cfg->archive_dir, NULL, NULL, &w, &deep);
		free(w);
		if (fd == -1) {
			fd = deep;
			self = false;
		}
	}
	dir = arcfd >= 0 ? arcfd : fd;
	if (dir != -1 && tree_fd_within(dir, rootfd) == 1)
		xasprintf(why, "%s is inside root %s through a symbolic link "
		    "on the way: the archives would be in the tree; they must "
		    "not contain each other", cfg->archive_dir, cfg->root);
	else if (dir != -1 && self && tree_fd_within(rootfd, dir) == 1)
		xasprintf(why, "%s holds root %s through a symbolic link on "
		    "the way: they must not contain each other",
		    cfg->archive_dir, cfg->root);
	if (fd != -1)
		close(fd);
	close(rootfd);
	return *why == NULL ? 0 : -1;
}

/*
 * archive_dir, opened as one trusted to hold the archives (evmaint(8),
 * SECURITY); -1 if it cannot be, said on REP unless SAY is false. Only
 * 'evmaint init' creates it: a missing one may be a backup volume not
 * mounted, and TAIL says what that means to the caller ("" for nothing).
 */
int
arcdir_open(const struct evm_config *cfg, struct report *rep, bool say,
    const char *tail)
{
	char	*why;
	int	 fd;

	if ((fd = tree_open_trusted(cfg->archive_dir, NULL, cfg->uid, rep,
	    &why)) != -1) {
		if (arcdir_apart(cfg, fd, &why) == 0)
			return fd;
		close(fd);
		if (say)
			report_error(rep, NULL, "archive_dir %s", why);
		free(why);
		errno = EINVAL;
		return -1;
	}
	if (!say)
		;
	else if (errno == ENOENT)
		report_error(rep, NULL, "archive_dir %s does not exist (an "
		    "unmounted backup volume?); evmaint does not create it "
		    "outside 'init'%s", cfg->archive_dir, tail);
	else
		report_error(rep, NULL, "archive_dir %s", why);
	free(why);
	return -1;
}
