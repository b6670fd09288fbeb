/*
 * The log side of `evmaint run` (see runlog.h). A script's log is reached
 * from root one directory fd at a time, never through a symlink, each
 * directory checked as every command checks the tree's; what is missing is
 * created with the tree's mode and owner, the log at its final mode and
 * owner before it has its name, as init does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "esc.h"
#include "fsx.h"
#include "logtime.h"
#include "report.h"
#include "runlog.h"
#include "tree.h"
#include "xmalloc.h"

/*
 * Why a tag cannot be used, or NULL. It is stamped as "TAG[PID]:" and names
 * a directory and a file, so it holds no blank, control byte, '/', '[',
 * ']' or ':', and does not start with a dot; and, stamped raw on every
 * line, it is UTF-8 text (what a terminal shows as it is).
 */
const char *
runlog_tag_bad(const char *tag)
{
	const unsigned char	*p;
	size_t			 left = strlen(tag), n;

	if (*tag == '\0')
		return "is empty";
	if (*tag == '.')
		return "starts with '.'";
	if (left > NAME_MAX - 4)
		return "is too long";
	for (p = (const unsigned char *)tag; left > 0; p += n, left -= n) {
		n = esc_utf8_len(p, left);
		if (n == 0 || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			return "is not UTF-8 text (or holds a C1 control)";
		if (*p <= 0x20 || *p == 0x7f || *p == '/' || *p == '[' ||
		    *p == ']' || *p == ':')
			return "holds a blank, a control byte, '/', '[', ']' "
			    "or ':'";
	}
	return NULL;
}

/* The short name of a command: its base name without its extension. */
static char *
runlog_tag_of(const char *command)
{
	const char	*base = strrchr(command, '/');
	const char	*dot;

	base = base != NULL ? base + 1 : command;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base)
		return xstrdup(base);
	return xstrndup(base, (size_t)(dot - base));
}

/*
 * The log and tag for --log LOG (or NULL) and COMMAND: a path below root
 * ending in .log ("deploy/deploy.log", "error.log"), or a short name: a
 * configured log of that base name, else NAME/NAME.log. 0, or -1 with *why.
 */
int
runlog_resolve(const struct evm_config *cfg, const char *log,
    const char *command, char **rel, char **tag, char **why)
{
	const char	*bad, *base;
	char		*t;
	size_t		 i, n;

	*rel = *tag = *why = NULL;
	if (log != NULL && (strchr(log, '/') != NULL || (strlen(log) > 4 &&
	    strcmp(log + strlen(log) - 4, ".log") == 0))) {
		n = strlen(log);
		if ((bad = conf_check_relpath(log)) != NULL) {
			xasprintf(why, "--log '%s' %s", log, bad);
			return -1;
		}
		base = strrchr(log, '/');
		base = base != NULL ? base + 1 : log;
		if (n < 4 || strcmp(log + n - 4, ".log") != 0 ||
		    strlen(base) == 4) {
			xasprintf(why, "--log '%s': a log's name ends in "
			    ".log (or give its short name)", log);
			return -1;
		}
		t = xstrndup(base, strlen(base) - 4);
		if ((bad = runlog_tag_bad(t)) != NULL) {
			xasprintf(why, "--log '%s': its name %s", log, bad);
			free(t);
			return -1;
		}
		*rel = xstrdup(log);
		*tag = t;
		return 0;
	}
	t = log != NULL ? xstrdup(log) : runlog_tag_of(command);
	if ((bad = runlog_tag_bad(t)) != NULL) {
		char *e = esc_human_dup(t);

		if (log != NULL)
			xasprintf(why, "--log '%s' %s", e, bad);
		else
			xasprintf(why, "the short name '%s' of the command %s: "
			    "name the log with --log", e, bad);
		free(e);
		free(t);
		return -1;
	}
	for (i = 0; i < cfg->nlogs; i++) {
		base = strrchr(cfg->logs[i], '/');
		base = base != NULL ? base + 1 : cfg->logs[i];
		n = strlen(base);
		if (n == strlen(t) + 4 && strncmp(base, t, n - 4) == 0 &&
		    strcmp(base + n - 4, ".log") == 0) {
			*rel = xstrdup(cfg->logs[i]);
			*tag = t;
			return 0;
		}
	}
	xasprintf(rel, "%s/%s.log", t, t);
	*tag = t;
	return 0;
}

/*
 * Opens (creating it if missing) directory NAME in dirfd, refusing one
 * that is not the tree's to write in. The new fd, or -1 with *why.
 */
static int
runlog_open_dir(const struct evm_config *cfg, int dirfd, const char *name,
    const char *rel, struct report *rep, char **why)
{
	struct stat	 st;
	const char	*bad;
	int		 fd;

	fd = fsx_open_dir(dirfd, name);
	if (fd == -1 && errno == ENOENT) {
		if (fsx_mkdir(dirfd, name, 0700) == -1 && errno != EEXIST)
			goto syserr;
		if ((fd = fsx_open_dir(dirfd, name)) == -1)
			goto syserr;
		/* Checked below like any other: mkdir may have met EEXIST. */
		if (fsx_fstat(fd, &st) == 0 && st.st_uid == geteuid() &&
		    (st.st_mode & 07777) == 0700) {
			if (fsx_fchown(fd, cfg->uid, cfg->gid) == -1 ||
			    fsx_fchmod(fd, cfg->dir_mode) == -1 ||
			    fsx_fsync(dirfd) == -1) {
				close(fd);
				goto syserr;
			}
			report_action(rep, "create", rel, -1, -1,
			    "directory (%04o)", (unsigned)cfg->dir_mode);
		}
	}
	if (fd == -1)
		goto syserr;
	if (fsx_fstat(fd, &st) == -1) {
		close(fd);
		goto syserr;
	}
	if ((bad = tree_untrusted(&st, cfg->uid, true)) != NULL) {
		xasprintf(why, "%s: directory %s: not written in", rel, bad);
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
syserr:
	if (errno == ELOOP || errno == ENOTDIR)
		xasprintf(why, "%s is not a directory (a symlink is not "
		    "followed)", rel);
	else
		xasprintf(why, "%s: %s", rel, strerror(errno));
	return -1;
}

/*
 * Opens root and the log's directory, creating missing directories. The
 * log itself is opened for each write. 0, or -1 with *why.
 */
int
runlog_open(struct runlog *rl, const struct evm_config *cfg, const char *rel,
    const char *tag, struct report *rep, char **why)
{
	char	*path, *comp, *next, *sofar;
	int	 fd, nfd;

	memset(rl, 0, sizeof *rl);
	rl->rootfd = rl->dirfd = -1;
	rl->rel = xstrdup(rel);
	rl->tag = xstrdup(tag);
	rl->mode = cfg->mode;
	rl->uid = cfg->uid;
	rl->gid = cfg->gid;
	*why = NULL;
	if ((fd = tree_open_abs(cfg->root, NULL, rep, why)) == -1) {
		char *w = *why;

		xasprintf(why, "root %s", w);
		free(w);
		return -1;
	}
	if (tree_check_fd(fd, cfg->root, cfg->uid, why) == -1) {
		close(fd);
		return -1;
	}
	rl->rootfd = fd;
	path = xstrdup(rel);
	sofar = xstrdup(rel);
	fd = fcntl(rl->rootfd, F_DUPFD_CLOEXEC, 0);
	for (comp = path; (next = strchr(comp, '/')) != NULL; comp = next + 1) {
		*next = '\0';
		sofar[next - path] = '\0';
		nfd = runlog_open_dir(cfg, fd, comp, sofar, rep, why);
		sofar[next - path] = '/';
		close(fd);
		if ((fd = nfd) == -1)
			break;
	}
	rl->name = rl->rel + (comp - path);
	free(path);
	free(sofar);
	rl->dirfd = fd;
	return fd == -1 ? -1 : 0;
}

void
runlog_close(struct runlog *rl)
{
	if (rl->dirfd >= 0)
		close(rl->dirfd);
	if (rl->rootfd >= 0)
		close(rl->rootfd);
	free(rl->rel);
	free(rl->tag);
	memset(rl, 0, sizeof *rl);
	rl->rootfd = rl->dirfd = -1;
}

/*
 * fsx_publish_file with a temporary name of this process's own: run takes
 * no lock, and two runs may create one log (or replace one record) at the
 * same instant; with a shared name each would remove the other's file.
 */
int
runlog_publish(int dfd, const char *name, const char *buf, size_t len,
    mode_t mode, uid_t uid, gid_t gid, bool replace)
{
	char	*mine, *tmp;
	int	 fd, rc, saved;

	xasprintf(&mine, "%s.%ld", name, (long)getpid());
	fd = fsx_create_tmp(dfd, mine, mode, uid, gid, &tmp);
	free(mine);
	if (fd == -1)
		return -1;
	rc = fsx_write_all(fd, buf, len);
	if (rc == 0)
		rc = fsx_fsync(fd);
	saved = errno;
	if (close(fd) == -1 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc == 0 && (rc = replace ? fsx_rename_replace(dfd, tmp, dfd,
	    name) : fsx_rename_noreplace(dfd, tmp, dfd, name)) == -1)
		saved = errno;
	if (rc == -1)
		(void)fsx_unlink(dfd, tmp);
	else if ((rc = fsx_fsync(dfd)) == -1)
		saved = errno;
	free(tmp);
	errno = saved;
	return rc;
}

/*
 * Writes BUF (whole lines) at the end of the log open in fd, in one write.
 * Its first line starts a line: a log that does not end in a newline (a
 * write torn by a full disk, someone's unfinished line) gets one first, or
 * the stamp that report and cat read would be glued to the middle of a
 * line, and that run lost to them. *done: how much of BUF is in the log.
 */
static int
runlog_write_line_start(int dirfd, const char *name, int fd,
    const struct stat *st, const char *buf, size_t len, size_t *done)
{
	struct stat	 rst;
	char		 last = '\n', *nl;
	size_t		 n;
	int		 rfd, rc;

	/*
	 * The last byte is read through a second, read-only descriptor (fd
	 * is write-only: a FIFO opened for reading and writing would not
	 * fail), checked to be the same file. Where the mode allows no
	 * reading, lines are written as they are.
	 */
	if (st->st_size > 0 && (rfd = openat(dirfd, name, O_RDONLY |
	    O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) != -1) {
		if (fstat(rfd, &rst) == 0 && rst.st_dev == st->st_dev &&
		    rst.st_ino == st->st_ino && rst.st_size > 0 &&
		    pread(rfd, &last, 1, rst.st_size - 1) != 1)
			last = '\n';
		close(rfd);
	}
	if (last == '\n')
		return fsx_write_done(fd, buf, len, done);
	nl = xmalloc(len + 1);
	nl[0] = '\n';
	memcpy(nl + 1, buf, len);
	rc = fsx_write_done(fd, nl, len + 1, &n);
	*done = n > 0 ? n - 1 : 0;
	free(nl);
	return rc;
}

/*
 * Appends BUF (whole lines) to NAME in dirfd with one write, then closes
 * it, so that after a rotation the next append lands in the new live log.
 * A missing file is created holding BUF, at its final mode and owner; a
 * symlink, hard link or non-regular file is never written through. When it
 * fails, *done (if not NULL) says how much of BUF is in the log all the
 * same: a full disk may take the first lines of a write.
 */
int
runlog_append_at(int dirfd, const char *name, const char *buf, size_t len,
    mode_t mode, uid_t uid, gid_t gid, size_t *done)
{
	struct stat	st;
	size_t		n = 0;
	int		fd, rc, saved, tries;

	if (done == NULL)
		done = &n;
	*done = 0;
	/*
	 * Another writer may create the log meanwhile (EEXIST: append to
	 * it), or a rotation remove our temporary file (ENOENT: again).
	 */
	for (tries = 0; tries < 3; tries++) {
		if ((fd = fsx_open_append(dirfd, name)) != -1 ||
		    errno != ENOENT)
			break;
		if (runlog_publish(dirfd, name, buf, len, mode, uid, gid,
		    false) == 0) {
			*done = len;
			return 0;
		}
		if (errno != EEXIST && errno != ENOENT)
			return -1;
	}
	if (fd == -1)
		return -1;
	if (fsx_fstat(fd, &st) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	if (fsx_refusal(&st) != NULL) {
		close(fd);
		errno = EMLINK;
		return -1;
	}
	rc = runlog_write_line_start(dirfd, name, fd, &st, buf, len, done);
	saved = errno;
	if (close(fd) == -1 && rc == 0) {
		*done = 0;	/* NFS: what was written may not be there */
		return -1;
	}
	errno = saved;
	return rc;
}

int
runlog_append(const struct runlog *rl, const char *buf, size_t len,
    size_t *done)
{
	return runlog_append_at(rl->dirfd, rl->name, buf, len, rl->mode,
	    rl->uid, rl->gid, done);
}

/* "TERM" for SIGTERM; "SIG42" for one without a name. */
const char *
runlog_signame(int sig)
{
	static __thread char buf[16];
	const char *s = sigabbrev_np(sig);

	if (s != NULL)
		return s;
	snprintf(buf, sizeof buf, "SIG%d", sig);
	return buf;
}

static int
runlog_sigval(const char *p, size_t n)
{
	const char	*s;
	char		 num[8];
	int		 sig;

	for (sig = 1; sig < NSIG; sig++)
		if ((s = sigabbrev_np(sig)) != NULL && strlen(s) == n &&
		    memcmp(s, p, n) == 0)
			return sig;
	if (n > 3 && n < 3 + sizeof num && memcmp(p, "SIG", 3) == 0) {
		memcpy(num, p + 3, n - 3);
		num[n - 3] = '\0';
		sig = atoi(num);
		return sig > 0 && sig < 256 ? sig : -1;
	}
	return -1;
}

/* "2.013s" at p: seconds. The length consumed, or 0. */
static size_t
runlog_seconds(const char *p, size_t len, double *out)
{
	char	buf[32], *end;
	size_t	n;

	for (n = 0; n < len && n < sizeof buf - 1 &&
	    ((p[n] >= '0' && p[n] <= '9') || p[n] == '.'); n++)
		buf[n] = p[n];
	if (n == 0 || n >= len || p[n] != 's')
		return 0;
	buf[n] = '\0';
	*out = strtod(buf, &end);
	return *end == '\0' ? n + 1 : 0;
}

/* The END line's rest: "exit=N duration=Ss" or "signal=NAME duration=Ss". */
static int
runlog_parse_end(const char *p, size_t len, struct runlog_line *l)
{
	const char	*e = p + len, *sp;
	size_t		 n;
	long		 v;
	char		*end, num[8];

	if ((sp = memchr(p, ' ', len)) == NULL)
		return -1;
	if (len > 5 && memcmp(p, "exit=", 5) == 0) {
		if ((n = (size_t)(sp - p - 5)) == 0 || n >= sizeof num)
			return -1;
		memcpy(num, p + 5, n);
		num[n] = '\0';
		v = strtol(num, &end, 10);
		if (*end != '\0' || v < 0 || v > 255)
			return -1;
		l->exit = (int)v;
		l->sig = 0;
	} else if (len > 7 && memcmp(p, "signal=", 7) == 0) {
		if ((l->sig = runlog_sigval(p + 7, (size_t)(sp - p - 7))) < 0)
			return -1;
		l->exit = 128 + l->sig;
	} else
		return -1;
	p = sp + 1;
	if (e - p < 10 || memcmp(p, "duration=", 9) != 0)
		return -1;
	p += 9;
	if ((n = runlog_seconds(p, (size_t)(e - p), &l->duration)) == 0 ||
	    p + n != e)
		return -1;
	return 0;
}

/*
 * Reads a line as run writes them. 0 with l filled (kind RL_OTHER for the
 * script's own output), or -1 for a line run did not write.
 */
int
runlog_parse(const char *p, size_t len, struct runlog_line *l)
{
	const char	*e = p + len, *q, *tag;
	long		 pid = 0;

	memset(l, 0, sizeof *l);
	if (len > 0 && p[len - 1] == '\n')
		e--;
	if (lt_line_time(p, (size_t)(e - p), &l->t) != 0 ||
	    (q = memchr(p, ' ', (size_t)(e - p))) == NULL)
		return -1;
	tag = ++q;
	while (q < e && *q != '[' && *q != ' ')
		q++;
	if (q == tag || q >= e || *q != '[')
		return -1;
	l->tag = tag;
	l->taglen = (size_t)(q - tag);
	for (q++; q < e && *q >= '0' && *q <= '9' && pid < 100000000; q++)
		pid = pid * 10 + (*q - '0');
	if (e - q < 3 || q[0] != ']' || q[1] != ':' || q[2] != ' ')
		return -1;
	l->pid = pid;
	q += 3;
	if (e - q >= 6 && memcmp(q, "START ", 6) == 0) {
		l->kind = RL_START;
		l->what = q + 6;
		l->whatlen = (size_t)(e - q - 6);
	}
	else if (e - q >= 4 && memcmp(q, "END ", 4) == 0 &&
	    runlog_parse_end(q + 4, (size_t)(e - q - 4), l) == 0)
		l->kind = RL_END;
	else
		l->kind = RL_OTHER;
	return 0;
}
