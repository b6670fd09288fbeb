/*
 * Safe directory walking (see tree.h). Ancestors of root may be shared, like
 * /tmp, if they are sticky; directories inside the tree must be writable by
 * nobody but their root owner, since evmaint renames and deletes in them.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "fsx.h"
#include "report.h"
#include "tree.h"
#include "xmalloc.h"

static int	tree_ent_cmp(const void *, const void *);
static int	tree_read_ents(struct tree_dir *);
static void	tree_walk(struct tree *, struct tree_dir *, struct report *);

/*
 * dir/name. For the tree's relative paths (the top is "" or NULL, and
 * neither a directory ending in '/' nor an absolute name occurs there:
 * the config and journal checks refuse them) and for the absolute paths of
 * lrconf, which joins as logrotate does: an absolute name stands alone,
 * and a directory ending in '/' (the root) gets no second one.
 */
char *
tree_join(const char *dir, const char *name)
{
	char	*s;
	size_t	 n;

	if (dir == NULL || *dir == '\0' || name[0] == '/')
		return xstrdup(name);
	n = strlen(dir);
	xasprintf(&s, "%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
	return s;
}

/*
 * Why a directory cannot be trusted, or NULL. Owned by root, by us, or by
 * the configured owner (who owns every file in the tree anyway; every
 * change evmaint makes goes through fds it checked, so that owner cannot
 * redirect it); not writable by others or by a group other than root's,
 * except that an ancestor of root (inside false) may be sticky, as /tmp is.
 */
const char *
tree_untrusted(const struct stat *st, uid_t owner, bool inside)
{
	static __thread char	buf[128];
	char			who[64];

	if (st->st_uid != 0 && st->st_uid != geteuid() &&
	    (!inside || st->st_uid != owner)) {
		snprintf(buf, sizeof buf, "owned by %s, not root",
		    fsx_user_name(st->st_uid, who, sizeof who));
		return buf;
	}
	if (!inside && (st->st_mode & S_ISVTX))
		return NULL;
	if (st->st_mode & S_IWOTH) {
		snprintf(buf, sizeof buf, "writable by others (mode %04o)",
		    (unsigned)(st->st_mode & 07777));
		return buf;
	}
	if ((st->st_mode & S_IWGRP) && st->st_gid != 0) {
		snprintf(buf, sizeof buf, "writable by group %ju (mode %04o)",
		    (uintmax_t)st->st_gid, (unsigned)(st->st_mode & 07777));
		return buf;
	}
	return NULL;
}

/* Cuts the next component off *rest; NULL when none is left. */
static char *
tree_next_comp(char **rest)
{
	char *c = *rest, *slash;

	while (*c == '/')
		c++;
	if (*c == '\0')
		return NULL;
	if ((slash = strchr(c, '/')) != NULL) {
		*slash = '\0';
		*rest = slash + 1;
	} else
		*rest = c + strlen(c);
	return c;
}

static bool
tree_rest_empty(const char *rest)
{
	return rest[strspn(rest, "/")] == '\0';
}

/* With --dry-run: says each missing directory from here on. */
static void
tree_say_missing(struct report *rep, const struct tree_mk *mk, char *sofar,
    const char *comp, char *rest)
{
	char *c;

	for (c = (char *)comp; c != NULL; c = tree_next_comp(&rest)) {
		if (strlen(sofar) + strlen(c) + 2 > PATH_MAX)
			break;
		strcat(strcat(sofar, "/"), c);
		report_action(rep, "create", sofar, -1, -1, "directory (%04o)",
		    tree_rest_empty(rest) ? (unsigned)mk->mode : 0755u);
	}
}

/*
 * A symlink among root's ancestors (/srv -> /data/srv) is followed only if
 * root or we own it: it sits in a directory already checked, so nobody else
 * can change it. Its target replaces it in the path still to walk.
 */
static int
tree_follow(int *fd, const char *comp, char **rest, char **buf, int *links,
    char *sofar, char **why)
{
	struct stat	 st;
	char		 target[PATH_MAX], *nb;
	ssize_t		 n;

	if (fsx_fstatat(*fd, comp, &st) == -1 || !S_ISLNK(st.st_mode))
		return 0;
	if (++*links > 16) {
		xasprintf(why, "%s: too many symlinks", sofar);
		errno = ELOOP;
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		xasprintf(why, "%s is a symlink owned by uid %ju: not followed",
		    sofar, (uintmax_t)st.st_uid);
		errno = EPERM;
		return -1;
	}
	if ((n = readlinkat(*fd, comp, target, sizeof target - 1)) <= 0) {
		xasprintf(why, "%s: %s", sofar, strerror(errno));
		return -1;
	}
	target[n] = '\0';
	if (strstr(target, "..") != NULL) {
		xasprintf(why, "%s is a symlink to %s: a target with '..' is "
		    "not followed", sofar, target);
		errno = EPERM;
		return -1;
	}
	xasprintf(&nb, "%s/%s", target, *rest);
	free(*buf);
	*buf = *rest = nb;
	if (target[0] == '/') {
		close(*fd);
		if ((*fd = fsx_open_dir(AT_FDCWD, "/")) == -1) {
			xasprintf(why, "/: %s", strerror(errno));
			return -1;
		}
		sofar[0] = '\0';
	} else
		*strrchr(sofar, '/') = '\0';
	return 1;
}

/*
 * Opens the directory this run just made with mkdir (mode 0700) and gives it
 * its owner and mode. Had anyone else replaced it in between, it would not
 * be ours: EEXIST, and nothing is changed on it.
 */
static int
tree_made(int dfd, const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	struct stat	st;
	int		fd, saved;

	if ((fd = fsx_open_dir(dfd, name)) == -1)
		return -1;
	if (fsx_fstat(fd, &st) == -1)
		goto fail;
	if (st.st_uid != geteuid()) {
		errno = EEXIST;
		goto fail;
	}
	if (fsx_fchown(fd, uid, gid) == -1 || fsx_fchmod(fd, mode) == -1 ||
	    fsx_fsync(dfd) == -1)
		goto fail;
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/*
 * A component of tree_open_abs's path found missing (sofar ends with it):
 * with --dry-run said to be, with the rest, and left so (*why says it);
 * otherwise made, ancestors 0755 owned by us, the last one at mk's mode
 * and owner, and reported. Returns its fd, or -1 with errno set.
 */
static int
tree_make_comp(int fd, const char *comp, char *rest, const struct tree_mk *mk,
    struct report *rep, char *sofar, char **why)
{
	bool	last = tree_rest_empty(rest);
	mode_t	m = last ? mk->mode : 0755;
	int	nfd = -1;

	if (mk->dry_run) {
		*strrchr(sofar, '/') = '\0';
		tree_say_missing(rep, mk, sofar, comp, rest);
		xasprintf(why, "%s: missing", sofar);
		errno = ENOENT;
		return -1;
	}
	/*
	 * EEXIST: someone made it meanwhile (in a sticky /tmp, anyone can).
	 * It is opened as found, never given our owner: the checks on the
	 * next component, or the caller's on the last, judge it.
	 */
	if (fsx_mkdir(fd, comp, 0700) == -1) {
		if (errno != EEXIST)
			return -1;
		nfd = fsx_open_dir(fd, comp);
	} else if ((nfd = tree_made(fd, comp, last ? mk->uid : geteuid(),
	    last ? mk->gid : getegid(), m)) != -1)
		report_action(rep, "create", sofar, -1, -1, "directory (%04o)",
		    (unsigned)m);
	return nfd;
}

/*
 * Opens an absolute directory path, component by component, each ancestor
 * checked with tree_untrusted; symlinks are followed only as tree_follow
 * allows. With mk, missing components are created (ancestors 0755 owned by
 * us, the last one mk's mode and owner) and reported. Returns the fd, or -1
 * with errno set and *why saying what is wrong.
 */
int
tree_open_abs(const char *path, const struct tree_mk *mk, struct report *rep,
    char **why)
{
	return tree_open_abs_at(path, mk, rep, why, NULL);
}

/*
 * tree_open_abs, and where the path ends in components that do not exist
 * (ENOENT, no mk), *deepest (if not NULL) is the last directory it opened,
 * symbolic links followed: where the rest would be created. Else -1.
 */
int
tree_open_abs_at(const char *path, const struct tree_mk *mk,
    struct report *rep, char **why, int *deepest)
{
	char		*buf, *rest, *comp, sofar[PATH_MAX];
	const char	*bad;
	struct stat	 st;
	int		 fd, nfd, saved, links = 0, rc;

	*why = NULL;
	if (deepest != NULL)
		*deepest = -1;
	if (path[0] != '/' || strlen(path) >= sizeof sofar) {
		*why = xstrdup("not an absolute path");
		errno = EINVAL;
		return -1;
	}
	if ((fd = fsx_open_dir(AT_FDCWD, "/")) == -1) {
		xasprintf(why, "/: %s", strerror(errno));
		return -1;
	}
	buf = rest = xstrdup(path);
	sofar[0] = '\0';
	while ((comp = tree_next_comp(&rest)) != NULL) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (fsx_fstat(fd, &st) == -1)
			goto syserr;
		if ((bad = tree_untrusted(&st, (uid_t)-1, false)) != NULL) {
			xasprintf(why, "%s is %s: not trusted as a directory "
			    "on the way", *sofar ? sofar : "/", bad);
			errno = EPERM;
			goto fail;
		}
		if (strlen(sofar) + strlen(comp) + 2 > sizeof sofar) {
			errno = ENAMETOOLONG;
			goto syserr;
		}
		strcat(strcat(sofar, "/"), comp);
		nfd = fsx_open_dir(fd, comp);
		if (nfd == -1 && (errno == ELOOP || errno == ENOTDIR)) {
			if ((rc = tree_follow(&fd, comp, &rest, &buf, &links,
			    sofar, why)) == 1)
				continue;
			if (rc == -1)
				goto fail;
			errno = ENOTDIR;
			if (fsx_fstatat(fd, comp, &st) == 0)
				xasprintf(why, "%s is %s, not a directory", sofar,
				    fsx_type_name(st.st_mode));
			goto syserr;
		}
		if (nfd == -1 && errno == ENOENT && mk != NULL)
			nfd = tree_make_comp(fd, comp, rest, mk, rep, sofar,
			    why);
		if (nfd == -1)
			goto syserr;
		close(fd);
		fd = nfd;
	}
	free(buf);
	return fd;
syserr:
	if (*why == NULL)
		xasprintf(why, "%s: %s", sofar, strerror(errno));
fail:
	saved = errno;
	if (deepest != NULL && saved == ENOENT && mk == NULL)
		*deepest = fd;
	else
		close(fd);
	free(buf);
	errno = saved;
	return -1;
}

static int
tree_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tree_ent *)a)->name,
	    ((const struct tree_ent *)b)->name);
}

/*
 * Reads and sorts a directory's entries, resolving DT_UNKNOWN. On failure
 * the previous listing stays as it was.
 */
static int
tree_read_ents(struct tree_dir *d)
{
	struct tree_ent	*ents = NULL;
	struct dirent	*de;
	struct stat	 st;
	DIR		*dp;
	int		 dfd, err;
	size_t		 i, n = 0, cap = 0;

	/*
	 * fdopendir takes over the fd it is given: hand it a duplicate,
	 * from the start. Not rewinddir: it cannot tell that its lseek
	 * failed, and readdir would then read on from the end (or wherever
	 * the last read of this directory left the shared offset): an
	 * empty listing, and the directory's logs passed over in silence.
	 */
	if ((dfd = fcntl(d->fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if (lseek(dfd, 0, SEEK_SET) == -1 || (dp = fdopendir(dfd)) == NULL) {
		err = errno;
		close(dfd);
		errno = err;
		return -1;
	}
	while ((errno = 0, de = readdir(dp)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			ents = xreallocarray(ents, cap, sizeof *ents);
		}
		ents[n].name = xstrdup(de->d_name);
		ents[n].type = de->d_type;
		if (de->d_type == DT_UNKNOWN &&
		    fsx_fstatat(d->fd, de->d_name, &st) == 0)
			ents[n].type = IFTODT(st.st_mode);
		n++;
	}
	err = errno;
	closedir(dp);
	if (err != 0) {
		for (i = 0; i < n; i++)
			free(ents[i].name);
		free(ents);
		errno = err;
		return -1;
	}
	if (n > 1)
		qsort(ents, n, sizeof *ents, tree_ent_cmp);
	for (i = 0; i < d->nents; i++)
		free(d->ents[i].name);
	free(d->ents);
	d->ents = ents;
	d->nents = n;
	return 0;
}

/*
 * Re-reads a directory after changes. If that fails, the directory counts
 * as unreadable for the rest of the run: nothing more is done in it.
 */
int
tree_dir_reread(struct tree_dir *d)
{
	if (tree_read_ents(d) == 0)
		return 0;
	if (d->untrusted == NULL)
		xasprintf((char **)&d->untrusted, "unreadable (%s)",
		    strerror(errno));
	d->unreadable = true;
	return -1;
}

struct tree_ent *
tree_dir_find(const struct tree_dir *d, const char *name)
{
	struct tree_ent key = { (char *)name, 0 };

	if (d->nents == 0)
		return NULL;
	return bsearch(&key, d->ents, d->nents, sizeof *d->ents, tree_ent_cmp);
}

/*
 * Re-reads a directory's owner and mode and whether to trust it. One inside
 * an untrusted directory is not trusted either: whoever can rename in the
 * parent can swap the directory itself (see tree.h).
 */
void
tree_dir_trust(const struct tree *t, struct tree_dir *d)
{
	const char *bad;

	/* what was not seen cannot be judged by a mode repaired since */
	if (d->unreadable)
		return;
	free((char *)d->untrusted);
	d->untrusted = NULL;
	if (fsx_fstat(d->fd, &d->st) == -1)
		xasprintf((char **)&d->untrusted, "cannot stat: %s",
		    strerror(errno));
	else if ((bad = tree_untrusted(&d->st, t->owner, true)) != NULL)
		d->untrusted = xstrdup(bad);
	else if (d->st.st_mode & (S_IWGRP | S_IWOTH) & ~t->dir_mode)
		xasprintf((char **)&d->untrusted, "writable beyond dir_mode "
		    "%04o (mode %04o)", (unsigned)t->dir_mode,
		    (unsigned)(d->st.st_mode & 07777));
	else if (d->parent != NULL && d->parent->untrusted != NULL)
		xasprintf((char **)&d->untrusted, "inside %s, which is %s",
		    *d->parent->rel ? d->parent->rel : t->root,
		    d->parent->untrusted);
}

/* Whether init may repair a directory: it is ours or the configured owner's. */
bool
tree_owner_ok(const struct stat *st, uid_t owner)
{
	return st->st_uid == 0 || st->st_uid == geteuid() ||
	    st->st_uid == owner;
}

static struct tree_dir *
tree_add(struct tree *t, struct tree_dir *parent, const char *rel, int fd)
{
	struct tree_dir *d = xcalloc(1, sizeof *d);

	d->rel = xstrdup(rel);
	d->fd = fd;
	d->parent = parent;
	d->depth = parent != NULL ? parent->depth + 1 : 0;
	tree_dir_trust(t, d);
	if (t->ndirs == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->dirs = xreallocarray(t->dirs, t->cap, sizeof *t->dirs);
	}
	t->dirs[t->ndirs++] = d;
	return d;
}

struct tree_dir *
tree_dir_get(struct tree *t, const char *rel)
{
	size_t i;

	for (i = 0; i < t->ndirs; i++)
		if (strcmp(t->dirs[i]->rel, rel) == 0)
			return t->dirs[i];
	return NULL;
}

/*
 * Depth-first walk below d: every subdirectory up to EVM_MAX_DEPTH, never
 * through a symlink. Symlinked directories are mentioned, not followed.
 */
static void
tree_walk(struct tree *t, struct tree_dir *d, struct report *rep)
{
	struct tree_dir	*sub;
	char		*rel;
	size_t		 i;
	int		 fd;

	if (tree_read_ents(d) == -1) {
		/* Acting on a partial view could rename over what we missed. */
		report_error(rep, *d->rel ? d->rel : t->root, "cannot read "
		    "directory: %s; nothing in it is touched this run",
		    strerror(errno));
		free((char *)d->untrusted);
		xasprintf((char **)&d->untrusted, "unreadable (%s)",
		    strerror(errno));
		d->unreadable = true;
		return;
	}
	for (i = 0; i < d->nents; i++) {
		struct tree_ent *e = &d->ents[i];

		if (e->type != DT_DIR)
			continue;
		rel = tree_join(d->rel, e->name);
		if (d->depth >= EVM_MAX_DEPTH) {
			report_warn(rep, rel, "deeper than %d levels below "
			    "root: not scanned", EVM_MAX_DEPTH);
			free(rel);
			continue;
		}
		if ((fd = fsx_open_dir(d->fd, e->name)) == -1) {
			report_error(rep, rel, "cannot open directory: %s",
			    strerror(errno));
			free(rel);
			continue;
		}
		sub = tree_add(t, d, rel, fd);
		free(rel);
		tree_walk(t, sub, rep);
	}
}

/*
 * Opens root (which must exist) and scans it; directories owned by owner
 * count as trusted inside the tree, unless their group or others may write
 * where dir_mode does not let them.
 */
int
tree_scan(struct tree *t, const char *root, uid_t owner, mode_t dir_mode,
    struct report *rep)
{
	struct tree_dir	*d;
	char		*why;
	int		 fd;

	memset(t, 0, sizeof *t);
	t->rootfd = -1;
	t->owner = owner;
	t->dir_mode = dir_mode;
	t->root = xstrdup(root);
	if ((fd = tree_open_abs(root, NULL, rep, &why)) == -1) {
		report_error(rep, NULL, "root %s", why);
		free(why);
		free(t->root);
		t->root = NULL;	/* a failed scan leaves nothing to free */
		return -1;
	}
	t->rootfd = fd;
	d = tree_add(t, NULL, "", fd);
	tree_walk(t, d, rep);
	return 0;
}

/*
 * Opens (and with mk, creates) a directory below root given by its relative
 * path, each component through the previous fd. Known directories come from
 * the scan. Returns NULL with errno ENOENT, unreported, for a missing one
 * (with mk->dry_run: after saying it would be created); any other failure is
 * reported.
 */
struct tree_dir *
tree_dir_open(struct tree *t, const char *rel, const struct tree_mk *mk,
    struct report *rep)
{
	struct tree_dir	*d, *parent;
	char		*prel, *slash, *name;
	struct stat	 st;
	int		 fd;

	if ((d = tree_dir_get(t, rel)) != NULL)
		return d;
	prel = xstrdup(rel);
	slash = strrchr(prel, '/');
	name = slash ? slash + 1 : prel;
	if (slash)
		*slash = '\0';
	parent = tree_dir_open(t, slash ? prel : "", mk, rep);
	if (parent == NULL) {
		if (errno == ENOENT && mk != NULL && mk->dry_run)
			goto missing;
		goto fail;
	}
	fd = fsx_open_dir(parent->fd, name);
	if (fd == -1 && errno == ENOENT && mk != NULL) {
		if (parent->untrusted != NULL) {
			report_error(rep, rel, "not created: %s is %s",
			    *parent->rel ? parent->rel : t->root,
			    parent->untrusted);
			errno = EPERM;
			goto fail;
		}
		if (mk->dry_run)
			goto missing;
		/* EEXIST: as tree_open_abs, found, not adopted. */
		if (fsx_mkdir(parent->fd, name, 0700) == -1) {
			if (errno != EEXIST)
				goto syserr;
			fd = fsx_open_dir(parent->fd, name);
			goto found;
		}
		if ((fd = tree_made(parent->fd, name, mk->uid, mk->gid,
		    mk->mode)) == -1)
			goto syserr;
		report_action(rep, "create", rel, -1, -1, "directory (%04o)",
		    (unsigned)mk->mode);
		d = tree_add(t, parent, rel, fd);
		(void)tree_read_ents(parent);
		(void)tree_read_ents(d);
		free(prel);
		return d;
	}
found:
	if (fd == -1)
		goto syserr;
	d = tree_add(t, parent, rel, fd);
	(void)tree_read_ents(d);
	free(prel);
	return d;
missing:
	report_action(rep, "create", rel, -1, -1, "directory (%04o)",
	    (unsigned)mk->mode);
	free(prel);
	errno = ENOENT;
	return NULL;
syserr:
	if (errno == ELOOP || errno == ENOTDIR) {
		if (fsx_fstatat(parent->fd, name, &st) == 0)
			report_error(rep, rel, "is %s where a directory should "
			    "be: left alone, not followed",
			    fsx_type_name(st.st_mode));
		else
			report_error(rep, rel, "cannot open directory: %s",
			    strerror(errno));
		errno = ENOTDIR;
	} else if (errno != ENOENT)
		report_error(rep, rel, "cannot open directory: %s",
		    strerror(errno));
fail:
	free(prel);
	return NULL;
}

void
tree_free(struct tree *t)
{
	size_t i, j;

	if (t->root == NULL)	/* never opened: rootfd may be 0, not -1 */
		return;
	for (i = 0; i < t->ndirs; i++) {
		struct tree_dir *d = t->dirs[i];

		for (j = 0; j < d->nents; j++)
			free(d->ents[j].name);
		free(d->ents);
		if (d->fd != t->rootfd)
			close(d->fd);
		free((char *)d->untrusted);
		free(d->rel);
		free(d);
	}
	free(t->dirs);
	if (t->rootfd >= 0)
		close(t->rootfd);
	free(t->root);
	memset(t, 0, sizeof *t);
	t->rootfd = -1;
}

/*
 * Whether an opened directory that is not inside the tree (archive_dir, the
 * state directory) may be used: owned by root, us or owner, and writable by
 * nobody else, since what evmaint writes there is what it later trusts (the
 * journal) or deletes sources for (archives). 0, or -1 with *why set.
 */
int
tree_check_fd(int fd, const char *path, uid_t owner, char **why)
{
	struct stat	 st;
	const char	*bad;

	if (fsx_fstat(fd, &st) == -1) {
		xasprintf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((bad = tree_untrusted(&st, owner, true)) != NULL) {
		xasprintf(why, "%s is %s: refusing to use it", path, bad);
		errno = EPERM;
		return -1;
	}
	return 0;
}

/*
 * The same for a directory evmaint keeps its own data in (the state
 * directory): ours alone, as fsx_own_refusal says.
 */
int
tree_check_own_fd(int fd, const char *path, char **why)
{
	struct stat	 st;
	const char	*bad;

	if (fsx_fstat(fd, &st) == -1) {
		xasprintf(why, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((bad = fsx_own_refusal(&st)) != NULL) {
		xasprintf(why, "%s is %s: refusing to use it", path, bad);
		errno = EPERM;
		return -1;
	}
	return 0;
}

/*
 * Whether the directory open in fd is the one open in top or below it, by
 * walking up its "..": so through whatever symbolic links its path took
 * (not a bind mount: its ".." is the mount point's).
 * 1, 0, or -1 when the walk fails.
 */
int
tree_fd_within(int fd, int top)
{
	struct stat	 tst, st, pst;
	int		 cur, up, depth, rc = -1;

	if (fstat(top, &tst) == -1 ||
	    (cur = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	for (depth = 0; depth < 4096; depth++) {
		if (fstat(cur, &st) == -1)
			break;
		if (st.st_dev == tst.st_dev && st.st_ino == tst.st_ino) {
			rc = 1;
			break;
		}
		/* O_PATH: a directory we may not read still has a parent */
		if ((up = openat(cur, "..", O_PATH | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			break;
		close(cur);
		cur = up;
		if (fstat(cur, &pst) == -1)
			break;
		if (pst.st_dev == st.st_dev && pst.st_ino == st.st_ino) {
			rc = 0;		/* "/" is its own parent */
			break;
		}
	}
	close(cur);
	return rc;
}

/* tree_open_abs, then tree_check_fd on the directory itself. */
int
tree_open_trusted(const char *path, const struct tree_mk *mk, uid_t owner,
    struct report *rep, char **why)
{
	int fd;

	if ((fd = tree_open_abs(path, mk, rep, why)) == -1)
		return -1;
	if (tree_check_fd(fd, path, owner, why) == -1) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/*
 * The directory of one of evmaint's own files (the state directory), opened
 * and checked with tree_check_own_fd: its fd, and *base the file's name.
 */
int
tree_open_parent_trusted(const char *path, const struct tree_mk *mk,
    struct report *rep, const char **base, char **why)
{
	char	*dir;
	int	 fd;

	if ((fd = tree_open_parent(path, mk, rep, base, why)) == -1)
		return -1;
	dir = *base - 1 == path ? xstrdup("/") : xstrndup(path,
	    (size_t)(*base - 1 - path));
	if (tree_check_own_fd(fd, dir, why) == -1) {
		close(fd);
		fd = -1;
		errno = EPERM;
	}
	free(dir);
	return fd;
}

/*
 * Opens the directory holding an absolute file path (the state file, the
 * lock) with tree_open_abs; *base points at the file's name inside path.
 */
int
tree_open_parent(const char *path, const struct tree_mk *mk,
    struct report *rep, const char **base, char **why)
{
	const char	*slash = strrchr(path, '/');
	char		*dir;
	int		 fd;

	*why = NULL;
	if (slash == NULL || slash[1] == '\0') {
		*why = xstrdup("not a path to a file");
		return -1;
	}
	*base = slash + 1;
	dir = slash == path ? xstrdup("/") : xstrndup(path,
	    (size_t)(slash - path));
	fd = tree_open_abs(dir, mk, rep, why);
	free(dir);
	return fd;
}
