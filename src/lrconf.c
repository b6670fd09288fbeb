/*
 * Which logrotate stanzas would also rotate files of the tree (lrconf.h):
 * the files logrotate reads, from its main config through includes of
 * files and directories, with the checks it makes before reading one and
 * what it undoes when one fails. Their text is parsed by lrconf-parse.c,
 * their patterns matched against the tree by lrconf-match.c.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lrconf-int.h"
#include "tree.h"
#include "xmalloc.h"

/* Names that end like these are skipped in an included directory. */
static const char *const lr_taboo_default[] = {
	",v", ".bak", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del",
	".dpkg-dist", ".dpkg-new", ".dpkg-old", ".dpkg-tmp", ".rhn-cfg-tmp-*",
	".rpmnew", ".rpmorig", ".rpmsave", ".swp", ".ucf-dist", ".ucf-new",
	".ucf-old", "~",
};

/*
 * Room for element n of an array of n: capacity doubles, so long inputs
 * (a megabyte of file names) cost no more than their length.
 */
void *
lr_grow(void *v, size_t n, size_t size)
{
	if (n == 0)
		return xreallocarray(v, 8, size);
	if (n >= 8 && (n & (n - 1)) == 0)
		return xreallocarray(v, n * 2, size);
	return v;
}

void
lr_note(struct lr_ctx *c, const char *file, int line, const char *fmt, ...)
{
	struct lr_result	*r = c->res;
	struct lr_note		*n;
	va_list			 ap;
	char			*msg;
	size_t			 i;

	if (r->nnotes > LR_MAX_NOTES)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	for (i = 0; msg != NULL && i < r->nnotes; i++)
		if (r->notes[i].line == line && strcmp(r->notes[i].file,
		    file) == 0 && strcmp(r->notes[i].msg, msg) == 0) {
			free(msg);
			return;
		}
	r->notes = lr_grow(r->notes, r->nnotes, sizeof *r->notes);
	n = &r->notes[r->nnotes++];
	n->file = xstrdup(file);
	n->line = line;
	if (r->nnotes > LR_MAX_NOTES) {
		free(msg);
		msg = xstrdup("more notes left out");
	}
	n->msg = msg != NULL ? msg : xstrdup("(no memory for the message)");
}

static bool
lr_fid_in(const struct lr_fid *v, size_t n, const struct stat *sb)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].dev == sb->st_dev && v[i].ino == sb->st_ino)
			return true;
	return false;
}

static int
lr_read_fd(int fd, size_t size, char **out, size_t *len)
{
	char	*buf = xmalloc(size + 1);
	size_t	 got = 0;
	ssize_t	 n;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* The checks logrotate makes before reading a file; 0 to read it. */
static int
lr_file_ok(struct lr_ctx *c, const char *name, const struct stat *sb)
{
	if (c->as_root && (sb->st_mode & 022)) {
		lr_note(c, name, 0, "logrotate ignores it: writable by group "
		    "or others");
		return -1;
	}
	if (c->as_root && sb->st_uid != 0) {
		lr_note(c, name, 0, "logrotate ignores it: not owned by root");
		return -1;
	}
	if (sb->st_size > LR_MAX_BYTES) {
		lr_note(c, name, 0, "logrotate refuses it: too large");
		return 1;
	}
	if (++c->nreads > LR_MAX_READS) {
		lr_note(c, name, 0, "more than %d config files read (include "
		    "loops?): the rest is left out", LR_MAX_READS);
		return 1;
	}
	/* logrotate reads it again, as deep as its include limit allows */
	if (lr_fid_in(c->stack, c->nstack, sb))
		lr_note(c, name, 0, "include loop: logrotate reads the file "
		    "inside itself, %u includes deep", LR_MAX_NESTING);
	return 0;
}

/* logrotate's readConfigFile: a non-regular file is passed over silently. */
static int
lr_read_file(struct lr_ctx *c, const char *name, size_t def)
{
	struct stat	 sb;
	char		*buf;
	size_t		 len;
	int		 fd, rc;

	do
		fd = open(name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	while (fd == -1 && errno == EINTR);
	if (fd == -1 || fstat(fd, &sb) == -1) {
		lr_note(c, name, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		c->main_failed |= strcmp(name, c->mainconf) == 0;
		if (fd != -1)
			close(fd);
		return 1;
	}
	rc = S_ISREG(sb.st_mode) && sb.st_size > 0 ?
	    lr_file_ok(c, name, &sb) : -1;
	if (rc == 0 && lr_read_fd(fd, (size_t)sb.st_size, &buf, &len) == -1) {
		lr_note(c, name, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		rc = 1;
	}
	close(fd);
	if (rc != 0) {
		c->main_failed |= rc > 0 && strcmp(name, c->mainconf) == 0;
		return rc > 0;
	}
	c->stack = lr_grow(c->stack, c->nstack, sizeof *c->stack);
	c->stack[c->nstack].dev = sb.st_dev;
	c->stack[c->nstack++].ino = sb.st_ino;
	rc = lr_parse_buf(c, name, buf, len, def);
	c->nstack--;
	free(buf);
	return rc;
}

static int
lr_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* logrotate's checkFile: not "." or "..", no taboo ending. */
static bool
lr_taboo_ok(const struct lr_ctx *c, const char *name)
{
	size_t i;

	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (i = 0; i < c->ntaboo; i++)
		if (fnmatch(c->taboo[i], name, FNM_PERIOD) == 0)
			return false;
	return true;
}

/*
 * An included directory: its files in name order (strcoll under cron's C
 * locale), read from inside it, each failing one rolled back alone.
 */
static int
lr_read_dir(struct lr_ctx *c, const char *dir, size_t def)
{
	DIR		*d;
	struct dirent	*de;
	struct lr_backup backup;
	char		**names = NULL, *saved, *full;
	size_t		 n = 0, i;
	int		 result = 0;

	if ((d = opendir(dir)) == NULL) {
		lr_note(c, dir, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		c->main_failed |= strcmp(dir, c->mainconf) == 0;
		return 1;
	}
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (!lr_taboo_ok(c, de->d_name))
			continue;
		names = lr_grow(names, n, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	if (errno != 0) {
		/* what it would read is not known: as a directory unread */
		lr_note(c, dir, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		c->main_failed |= strcmp(dir, c->mainconf) == 0;
		result = 1;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof *names, lr_name_cmp);
	saved = c->cwd;
	c->cwd = xstrdup(dir);
	for (i = 0; i < n; i++) {
		full = tree_join(dir, names[i]);
		backup = lr_backup(c, def);
		if (lr_read_file(c, full, def) != 0) {
			lr_restore(c, def, &backup);
			result = 1;
		}
		free(backup.set.olddir);
		free(full);
		free(names[i]);
	}
	free(names);
	free(c->cwd);
	c->cwd = saved;
	return result;
}

/* logrotate's readConfigPath: a directory or a file, relative to its cwd. */
int
lr_read_path(struct lr_ctx *c, const char *path, size_t def)
{
	struct stat	 sb;
	struct lr_backup backup;
	char		*abs = tree_join(c->cwd, path);
	int		 rc;

	if (stat(abs, &sb) == -1) {
		lr_note(c, abs, 0, "logrotate cannot read it: %s",
		    strerror(errno));
		free(abs);
		return 1;
	}
	if (S_ISDIR(sb.st_mode))
		rc = lr_read_dir(c, abs, def);
	else {
		backup = lr_backup(c, def);
		if ((rc = lr_read_file(c, abs, def)) != 0)
			lr_restore(c, def, &backup);
		free(backup.set.olddir);
	}
	free(abs);
	return rc;
}

static void
lr_ctx_init(struct lr_ctx *c, const char *top, const char *const *paths,
    size_t npaths, bool as_root, struct lr_result *res)
{
	struct passwd	*pw;
	struct stat	 sb;
	size_t		 i;

	memset(c, 0, sizeof *c);
	memset(res, 0, sizeof *res);
	c->res = res;
	c->as_root = as_root;
	c->mainconf = top;
	c->cwd = xstrdup("/");
	c->first = c->tail = -1;
	/* cron and systemd run logrotate as root, with root's HOME */
	if ((pw = getpwuid(0)) != NULL)
		c->home = xstrdup(pw->pw_dir);
	c->ntree = npaths;
	c->tree = xcalloc(npaths > 0 ? npaths : 1, sizeof *c->tree);
	for (i = 0; i < npaths; i++) {
		c->tree[i].path = paths[i];
		if (lstat(paths[i], &sb) == 0 && S_ISREG(sb.st_mode)) {
			c->tree[i].have_id = true;
			c->tree[i].id.dev = sb.st_dev;
			c->tree[i].id.ino = sb.st_ino;
		}
	}
	for (i = 0; i < sizeof lr_taboo_default / sizeof lr_taboo_default[0];
	    i++) {
		c->taboo = lr_grow(c->taboo, c->ntaboo, sizeof *c->taboo);
		xasprintf(&c->taboo[c->ntaboo++], "*%s", lr_taboo_default[i]);
	}
}

static void
lr_ctx_free(struct lr_ctx *c)
{
	size_t i;

	for (i = 0; i < c->ntaboo; i++)
		free(c->taboo[i]);
	free(c->taboo);
	for (i = 0; i < c->nst; i++) {
		free(c->st[i].file);
		free(c->st[i].set.olddir);
	}
	free(c->st);
	free(c->reach);
	for (i = 0; i < c->nclaims; i++)
		free(c->claims[i].name);
	free(c->claims);
	free(c->ctab);
	free(c->stack);
	free(c->top.olddir);
	free(c->cwd);
	free(c->home);
	free(c->tree);
}

/*
 * Reads main_conf as `logrotate main_conf` would and reports every stanza
 * pattern that covers one of the npaths tree files (absolute paths). A
 * missing main_conf is logrotate not being installed: no hits, no error.
 * Returns -1 (with a note) when main_conf exists but cannot be read, 0
 * otherwise. as_root: skip the config files logrotate skips when run by
 * root, as cron and systemd run it (writable by group or others, or not
 * owned by root).
 */
int
lr_scan_as(const char *main_conf, const char *const *paths, size_t npaths,
    bool as_root, struct lr_result *res)
{
	struct lr_ctx	 c;
	struct stat	 sb;
	char		*top, cwd[PATH_MAX];
	int		 rc = 0;

	if (main_conf[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		top = tree_join(cwd, main_conf);
	else
		top = xstrdup(main_conf);
	lr_ctx_init(&c, top, paths, npaths, as_root, res);
	if (stat(top, &sb) == -1) {
		if (errno != ENOENT) {
			lr_note(&c, top, 0, "logrotate cannot read it: %s",
			    strerror(errno));
			rc = -1;
		}
	} else {
		(void)lr_read_path(&c, top, LR_TOP);
		lr_finish(&c);
		if (c.main_failed)
			rc = -1;
	}
	lr_ctx_free(&c);
	free(top);
	return rc;
}

/* As logrotate run by this user: its root-only checks only for root. */
int
lr_scan(const char *main_conf, const char *const *paths, size_t npaths,
    struct lr_result *res)
{
	return lr_scan_as(main_conf, paths, npaths, getuid() == 0, res);
}

/*
 * The same on text given as the content of a main config named name; its
 * includes are read from the file system. For tests and hostile input.
 */
int
lr_scan_text(const char *name, const char *text, size_t len,
    const char *const *paths, size_t npaths, struct lr_result *res)
{
	struct lr_ctx	 c;
	char		*buf;

	lr_ctx_init(&c, name, paths, npaths, getuid() == 0, res);
	buf = xmalloc(len + 1);
	memcpy(buf, text, len);
	buf[len] = '\0';
	(void)lr_parse_buf(&c, name, buf, len, LR_TOP);
	lr_finish(&c);
	free(buf);
	lr_ctx_free(&c);
	return 0;
}

size_t
lr_active(const struct lr_result *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nhits; i++)
		if (r->hits[i].inactive == NULL)
			n++;
	return n;
}

void
lr_result_free(struct lr_result *r)
{
	size_t i;

	for (i = 0; i < r->nhits; i++)
		lr_hit_free(&r->hits[i]);
	free(r->hits);
	for (i = 0; i < r->nnotes; i++) {
		free(r->notes[i].file);
		free(r->notes[i].msg);
	}
	free(r->notes);
	memset(r, 0, sizeof *r);
}
