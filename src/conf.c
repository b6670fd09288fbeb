/*
 * Configuration parser. INI syntax: "key = value", comments from '#' or ';'
 * at the start of a line or after a blank, an optional double-quoted value,
 * a global part and [relative/path.log] sections overriding per-log keys.
 * Every error names file:line and parsing goes on, so one run shows them all.
 * Our own parser rather than libinih: it has no line numbers in its handler,
 * cuts lines at 200 bytes and knows no inline '#' comments.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evmaint.h"
#include "conf.h"
#include "gen.h"
#include "esc.h"
#include "xmalloc.h"

#define CONF_MAX_BYTES	(1024 * 1024)

/* Where a key's value is: in the global part only, or per log. */
#define GLOBAL(f)	.per_log = false, \
	.off = offsetof(struct evm_config, f), \
	.size = sizeof ((struct evm_config *)0)->f
#define PER_LOG(f)	.per_log = true, \
	.off = offsetof(struct evm_logopts, f), \
	.size = sizeof ((struct evm_logopts *)0)->f
#define AUX(f)		.aux = offsetof(struct evm_config, f)

/*
 * Every key, in the order check-config prints them and evmaint.conf(5)
 * lists them (tests/unit/test_conf.c compares the page with this table).
 */
static const struct conf_key conf_table[K_COUNT] = {
	[K_ROOT] = { K_ROOT, "root", CT_PATH, GLOBAL(root),
	    .def = "/srv/service/event",
	    .help = "the log tree evmaint keeps" },
	[K_ARCHIVE_DIR] = { K_ARCHIVE_DIR, "archive_dir", CT_PATH,
	    GLOBAL(archive_dir),
	    .def = "/srv/service/backups/logs_archives",
	    .help = "where archives go; never created by rotate or archive" },
	[K_STATE_FILE] = { K_STATE_FILE, "state_file", CT_PATH,
	    GLOBAL(state_file), .flags = CK_FILE,
	    .def = "/var/lib/evmaint/state",
	    .help = "when each log was last rotated; STATE.lock and "
	    "STATE.journal beside it" },
	[K_LOGS] = { K_LOGS, "logs", CT_LOGLIST, GLOBAL(logs), AUX(nlogs),
	    .def = "deploy/deploy.log backup/backup.log "
	    "config_update/config_update.log error.log",
	    .help = "the logs init creates (every *.log under root is "
	    "managed anyway)" },
	[K_ROTATE] = { K_ROTATE, "rotate", CT_INT, PER_LOG(rotate),
	    .min = 0, .max = 10000, .def = "7",
	    .help = "generations kept in the tree" },
	[K_COMPRESS] = { K_COMPRESS, "compress", CT_BOOL, PER_LOG(compress),
	    .def = "yes",
	    .help = "gzip generations" },
	[K_COMPRESS_LEVEL] = { K_COMPRESS_LEVEL, "compress_level", CT_INT,
	    PER_LOG(compress_level), .min = 1, .max = 9, .def = "6",
	    .help = "gzip level, 1 (fast) to 9 (small)" },
	[K_DELAYCOMPRESS] = { K_DELAYCOMPRESS, "delaycompress", CT_BOOL,
	    PER_LOG(delaycompress), .def = "no",
	    .help = "keep generation 1 uncompressed" },
	[K_DATEEXT] = { K_DATEEXT, "dateext", CT_BOOL, PER_LOG(dateext),
	    .def = "no",
	    .help = "name generations LOG-YYYYMMDD instead of LOG.N" },
	[K_NOTIFEMPTY] = { K_NOTIFEMPTY, "notifempty", CT_BOOL,
	    PER_LOG(notifempty), .def = "yes",
	    .help = "an empty log is not rotated" },
	[K_MAXSIZE] = { K_MAXSIZE, "maxsize", CT_SIZE, PER_LOG(maxsize),
	    .min = 0, .max = 1LL << 50, .def = "0",
	    .help = "also rotate a log bigger than this (k, M, G), 0 = off" },
	[K_MODE] = { K_MODE, "mode", CT_MODE, GLOBAL(mode),
	    .min = 0, .max = 0777, .def = "0640",
	    .help = "mode of every file evmaint creates" },
	[K_OWNER] = { K_OWNER, "owner", CT_OWNER, GLOBAL(owner), AUX(uid),
	    .def = "root",
	    .help = "owner of every file and directory evmaint creates" },
	[K_GROUP] = { K_GROUP, "group", CT_GROUP, GLOBAL(group), AUX(gid),
	    .def = "root",
	    .help = "group of every file and directory evmaint creates" },
	[K_DIR_MODE] = { K_DIR_MODE, "dir_mode", CT_MODE, GLOBAL(dir_mode),
	    .flags = CK_DIR, .min = 0, .max = 0777, .def = "0750",
	    .help = "mode of every directory evmaint creates" },
	[K_ARCHIVE_KEEP_DAYS] = { K_ARCHIVE_KEEP_DAYS, "archive_keep_days",
	    CT_INT, GLOBAL(archive_keep_days), .min = 0, .max = 36500,
	    .def = "0",
	    .help = "delete archives older than this many days, 0 = never" },
	[K_METRICS_FILE] = { K_METRICS_FILE, "metrics_file", CT_OPTPATH,
	    GLOBAL(metrics_file), .def = "",
	    .help = "Prometheus text file rewritten after every rotate and "
	    "archive, empty = off" },
	[K_CHECK_MAX_AGE] = { K_CHECK_MAX_AGE, "check_max_age", CT_DURATION,
	    GLOBAL(check_max_age), .min = 60, .max = 366LL * 86400,
	    .def = "26h",
	    .help = "status --check is CRITICAL when the last good rotate is "
	    "older (s, m, h, d)" },
};

/* A section's keys set are bits of a uint32_t. */
_Static_assert(K_COUNT <= 32, "struct evm_section's set has 32 bits");

/* The name of each type's values in evmaint.conf(5) (".It Cm KEY Ar NAME"). */
static const char *const conf_type_names[] = {
	[CT_PATH] = "path",
	[CT_LOGLIST] = "list",
	[CT_INT] = "number",
	[CT_BOOL] = "boolean",
	[CT_SIZE] = "size",
	[CT_MODE] = "mode",
	[CT_OWNER] = "user",
	[CT_GROUP] = "group",
	[CT_OPTPATH] = "path",
	[CT_DURATION] = "duration",
};

struct conf_parse {
	const char		*name;
	int			 line;
	struct conf_errors	*errs;
	struct evm_section	*section;	/* NULL: the global part */
	struct evm_section	 discard;	/* after a refused header */
};

static void	 conf_err(struct conf_errors *, const char *, int,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
static int	 conf_set(struct evm_config *, struct evm_section *,
		    const struct conf_key *, const char *, char **);
static void	 conf_parse_line(struct conf_parse *, struct evm_config *,
		    char *);
static int	 conf_parse_text(struct evm_config *, const char *, size_t,
		    const char *, struct conf_errors *);

const struct conf_key *
conf_keys(size_t *n)
{
	*n = K_COUNT;
	return conf_table;
}

const char *
conf_type_name(enum conf_type t)
{
	return conf_type_names[t];
}

/* Where key k's value is: in cfg, or for a per-log key in o. */
static void *
conf_slot(struct evm_config *cfg, struct evm_logopts *o,
    const struct conf_key *k)
{
	return (k->per_log ? (char *)o : (char *)cfg) + k->off;
}

static const void *
conf_cslot(const struct evm_config *cfg, const struct evm_logopts *o,
    const struct conf_key *k)
{
	return (k->per_log ? (const char *)o : (const char *)cfg) + k->off;
}

/* The second field of a list, user or group key (in the global part). */
static void *
conf_aux(struct evm_config *cfg, const struct conf_key *k)
{
	return (char *)cfg + k->aux;
}

static const struct conf_key *
conf_find(const char *name)
{
	size_t i;

	for (i = 0; i < K_COUNT; i++)
		if (strcmp(conf_table[i].name, name) == 0)
			return &conf_table[i];
	return NULL;
}

struct evm_config *
conf_new(void)
{
	struct evm_config	*cfg = xcalloc(1, sizeof *cfg);
	char			*why;
	size_t			 i;

	for (i = 0; i < K_COUNT; i++) {
		if (conf_set(cfg, NULL, &conf_table[i], conf_table[i].def,
		    &why) != 0) {
			/* Only an unknown user or group "root" can fail here. */
			fprintf(stderr, "evmaint: built-in default %s: %s\n",
			    conf_table[i].name, why);
			free(why);
		}
	}
	return cfg;
}

void
conf_free(struct evm_config *cfg)
{
	const struct conf_key	*k;
	char			**v;
	size_t			  i;

	if (cfg == NULL)
		return;
	free(cfg->file);
	for (k = conf_table; k < conf_table + K_COUNT; k++) {
		if (k->per_log)
			continue;	/* numbers and booleans only */
		switch (k->type) {
		case CT_LOGLIST:
			v = *(char ***)conf_slot(cfg, NULL, k);
			for (i = 0; i < *(size_t *)conf_aux(cfg, k); i++)
				free(v[i]);
			/* FALLTHROUGH */
		case CT_PATH:
		case CT_OPTPATH:
		case CT_OWNER:
		case CT_GROUP:
			free(*(void **)conf_slot(cfg, NULL, k));
			break;
		default:
			break;
		}
	}
	for (i = 0; i < cfg->nsections; i++)
		free(cfg->sections[i].path);
	free(cfg->sections);
	free(cfg);
}

void
conf_errors_free(struct conf_errors *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->msg[i]);
	free(e->msg);
	e->msg = NULL;
	e->n = 0;
}

static void
conf_err(struct conf_errors *e, const char *name, int line, const char *fmt,
    ...)
{
	struct sbuf	 b;
	char		*msg;
	va_list		 ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	sbuf_init(&b);
	esc_human(&b, name);
	if (line > 0)
		sbuf_addf(&b, ":%d", line);
	sbuf_adds(&b, ": ");
	/* a value quoted from the file may hold control bytes */
	esc_human(&b, msg ? msg : "out of memory");
	free(msg);
	e->msg = xgrowarray(e->msg, e->n + 1, sizeof *e->msg);
	e->msg[e->n++] = sbuf_steal(&b);
}

/*
 * A path relative to root that is safe to create and to name a log by: no
 * leading '/', no empty, "." or ".." components, not one of our temporary
 * names, at most EVM_MAX_DEPTH directories deep. NULL when fine.
 */
const char *
conf_check_relpath(const char *p)
{
	const char	*c, *slash;
	int		 depth = 0;
	size_t		 n;

	if (*p == '\0')
		return "is empty";
	if (*p == '/')
		return "must be relative to root (no leading '/')";
	for (c = p;; c = slash + 1) {
		slash = strchr(c, '/');
		n = slash ? (size_t)(slash - c) : strlen(c);
		if (n == 0)
			return "has an empty component ('//' or a trailing '/')";
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' &&
		    c[1] == '.'))
			return "has a '.' or '..' component";
		if (n >= sizeof EVM_TMP_PREFIX - 1 &&
		    strncmp(c, EVM_TMP_PREFIX, sizeof EVM_TMP_PREFIX - 1) == 0)
			return "uses evmaint's temporary-file prefix";
		if (n > NAME_MAX)
			return "has a component longer than NAME_MAX";
		if (slash == NULL)
			break;
		if (++depth > EVM_MAX_DEPTH)
			return "is more than 8 directories deep";
	}
	return NULL;
}

static int
conf_check_abspath(const char *v, char **why)
{
	const char *c;

	if (v[0] != '/') {
		*why = xstrdup("must be an absolute path");
		return -1;
	}
	for (c = v; (c = strstr(c, "/..")) != NULL; c += 3)
		if (c[3] == '/' || c[3] == '\0') {
			*why = xstrdup("must not contain '..'");
			return -1;
		}
	if (strlen(v) >= PATH_MAX) {
		*why = xstrdup("is longer than PATH_MAX");
		return -1;
	}
	return 0;
}

/*
 * Normalises an absolute path in place: "//" and "/./" collapse, trailing
 * slashes go, so that "inside root" checks compare like with like.
 */
static void
conf_normalise(char *p)
{
	char	*r = p, *w = p;

	while (*r != '\0') {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' &&
		    (r[2] == '/' || r[2] == '\0')))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	while (w > p + 1 && w[-1] == '/')
		*--w = '\0';
	if (*p == '\0')
		strcpy(p, "/");
}

/* Sets an absolute-path key (also used for --root and friends). */
int
conf_set_path(struct evm_config *cfg, enum conf_id id, const char *v,
    char **why)
{
	const struct conf_key	 *k = &conf_table[id];
	char			**dst, *p;

	if (conf_check_abspath(v, why) != 0)
		return -1;
	p = xstrdup(v);
	conf_normalise(p);
	if (strcmp(p, "/") == 0) {
		free(p);
		*why = xstrdup(k->flags & CK_FILE ? "must name a file" :
		    "must not be '/'");
		return -1;
	}
	dst = conf_slot(cfg, NULL, k);
	free(*dst);
	*dst = p;
	return 0;
}

/*
 * Whether tok is already in the set (an open-addressing table of indexes
 * into logs[], slot = index + 1); adds it if not. Hashed, so that 60,000
 * entries cost 60,000 probes, not 1.8e9 comparisons.
 */
static bool
conf_seen(size_t *set, size_t cap, char **logs, const char *tok, size_t idx)
{
	uint64_t	h = 14695981039346656037ULL;
	const char	*c;
	size_t		k;

	for (c = tok; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	for (k = (size_t)h & (cap - 1); set[k] != 0; k = (k + 1) & (cap - 1))
		if (strcmp(logs[set[k] - 1], tok) == 0)
			return true;
	set[k] = idx + 1;
	return false;
}

/*
 * The `logs` list. Every entry at fault is named in one message (not only
 * the first), so that a generated list is fixed in one pass.
 */
static int
conf_set_loglist(struct evm_config *cfg, const struct conf_key *k,
    const char *v, char **why)
{
	char		**logs = NULL, *copy, *tok, *save, ***dst;
	const char	 *bad, *base;
	struct gen_name	  gn;
	struct sbuf	  err;
	size_t		  n = 0, i, cap = 16, ntok = 1, *set, *count;

	/* at most half full: at most one entry more than separators */
	for (i = 0; v[i] != '\0'; i++)
		ntok += v[i] == ' ' || v[i] == '\t';
	while (cap / 2 < ntok)
		cap *= 2;
	set = xcalloc(cap, sizeof *set);
	/* sized once: growing by one entry copies the list 60,000 times */
	logs = xreallocarray(NULL, ntok, sizeof *logs);
	sbuf_init(&err);
	copy = xstrdup(v);
	for (tok = strtok_r(copy, " \t", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t", &save)) {
		if ((bad = conf_check_relpath(tok)) != NULL) {
			sbuf_addf(&err, "%s'%s' %s", err.len ? "; " : "", tok,
			    bad);
			continue;
		}
		/*
		 * A log named like a generation (x.log.1, x.log-20261118) would
		 * be one log's file and another's slot: rotating either one
		 * moves the other.
		 */
		base = strrchr(tok, '/');
		base = base != NULL ? base + 1 : tok;
		if (gen_parse(base, &gn)) {
			sbuf_addf(&err, "%s'%s' is named like a generation of "
			    "'%.*s%.*s'", err.len ? "; " : "", tok,
			    (int)(base - tok), tok, (int)gn.baselen, base);
			continue;
		}
		logs[n] = xstrdup(tok);
		if (conf_seen(set, cap, logs, tok, n)) {
			sbuf_addf(&err, "%s'%s' is listed twice", err.len ?
			    "; " : "", tok);
			free(logs[n]);
			continue;
		}
		n++;
	}
	free(copy);
	free(set);
	if (err.len > 0) {
		*why = sbuf_steal(&err);
		goto fail;
	}
	dst = conf_slot(cfg, NULL, k);
	count = conf_aux(cfg, k);
	for (i = 0; i < *count; i++)
		free((*dst)[i]);
	free(*dst);
	*dst = logs;
	*count = n;
	return 0;
fail:
	for (i = 0; i < n; i++)
		free(logs[i]);
	free(logs);
	return -1;
}

static int
conf_parse_int(const char *v, long long min, long long max, long long *out,
    char **why)
{
	char		*end;
	long long	 x;

	errno = 0;
	if (!isdigit((unsigned char)v[0])) {
		xasprintf(why, "'%s' is not a number", v);
		return -1;
	}
	x = strtoll(v, &end, 10);
	if (*end != '\0') {
		xasprintf(why, "'%s' is not a number", v);
		return -1;
	}
	if (errno == ERANGE || x < min || x > max) {
		xasprintf(why, "%s is out of range (%lld..%lld)", v, min, max);
		return -1;
	}
	*out = x;
	return 0;
}

static int
conf_parse_bool(const char *v, bool *out, char **why)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	xasprintf(why, "'%s' is not yes or no", v);
	return -1;
}

static int
conf_parse_size(const char *v, long long max, uint64_t *out, char **why)
{
	char		*end;
	unsigned long long x, mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	x = strtoull(v, &end, 10);
	if (errno == ERANGE)
		goto range;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K':
		mult = 1024ULL;
		break;
	case 'm': case 'M':
		mult = 1024ULL * 1024;
		break;
	case 'g': case 'G':
		mult = 1024ULL * 1024 * 1024;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (x > (unsigned long long)max / mult)
		goto range;
	*out = x * mult;
	return 0;
bad:
	xasprintf(why, "'%s' is not a size (a number with an optional k, M or "
	    "G suffix)", v);
	return -1;
range:
	xasprintf(why, "'%s' is too large", v);
	return -1;
}

/* "26h", "90m", "2d", "3600" (seconds). */
static int
conf_parse_duration(const char *v, long long min, long long max,
    long long *out, char **why)
{
	char		*end;
	long long	 x, mult = 1;

	errno = 0;
	if (!isdigit((unsigned char)v[0]))
		goto bad;
	x = strtoll(v, &end, 10);
	switch (*end) {
	case '\0': case 's':
		break;
	case 'm':
		mult = 60;
		break;
	case 'h':
		mult = 3600;
		break;
	case 'd':
		mult = 86400;
		break;
	default:
		goto bad;
	}
	if (*end != '\0' && end[1] != '\0')
		goto bad;
	if (errno == ERANGE || x > max / mult || x * mult < min) {
		xasprintf(why, "'%s' is out of range (%llds..%llds)", v, min,
		    max);
		return -1;
	}
	*out = x * mult;
	return 0;
bad:
	xasprintf(why, "'%s' is not a duration (a number with an optional s, "
	    "m, h or d suffix)", v);
	return -1;
}

static int
conf_parse_mode(const struct conf_key *k, const char *v, mode_t *out,
    char **why)
{
	char		*end;
	unsigned long	 m;

	if (*v == '\0' || strspn(v, "01234567") != strlen(v) || strlen(v) > 4) {
		xasprintf(why, "'%s' is not an octal mode like 0640", v);
		return -1;
	}
	m = strtoul(v, &end, 8);
	if (m > 0777) {
		xasprintf(why, "%s has setuid, setgid or sticky bits", v);
		return -1;
	}
	if ((k->flags & CK_DIR) && (m & 0700) != 0700) {
		xasprintf(why, "%s must give the owner rwx (0700)", v);
		return -1;
	}
	if ((k->flags & CK_DIR) && (m & 022) != 0) {
		xasprintf(why, "%s lets group or others write: they could swap "
		    "files under evmaint", v);
		return -1;
	}
	*out = (mode_t)m;
	return 0;
}

static int
conf_parse_id(const char *v, bool user, long *out, char **why)
{
	char		*end;
	unsigned long	 n;

	if (*v == '\0')
		goto unknown;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		n = strtoul(v, &end, 10);
		if (*end == '\0' && errno == 0 && n < (unsigned long)UINT32_MAX) {
			*out = (long)n;
			return 0;
		}
	}
	if (user) {
		struct passwd *pw = getpwnam(v);
		if (pw != NULL) {
			*out = (long)pw->pw_uid;
			return 0;
		}
	} else {
		struct group *gr = getgrnam(v);
		if (gr != NULL) {
			*out = (long)gr->gr_gid;
			return 0;
		}
	}
unknown:
	xasprintf(why, "unknown %s '%s'", user ? "user" : "group", v);
	return -1;
}

/* An empty value turns it off (NULL). */
static int
conf_set_optpath(char **dst, const char *v, char **why)
{
	free(*dst);
	*dst = NULL;
	if (*v == '\0')
		return 0;
	if (conf_check_abspath(v, why) != 0)
		return -1;
	if (v[strlen(v) - 1] == '/') {
		*why = xstrdup("must name a file, not a directory");
		return -1;
	}
	*dst = xstrdup(v);
	conf_normalise(*dst);
	return 0;
}

/* A user or group: its name as given, and its numeric id at aux. */
static int
conf_set_id(struct evm_config *cfg, const struct conf_key *k, const char *v,
    char **why)
{
	char	**name = conf_slot(cfg, NULL, k);
	long	  id;

	if (conf_parse_id(v, k->type == CT_OWNER, &id, why) != 0)
		return -1;
	if (k->type == CT_OWNER)
		*(uid_t *)conf_aux(cfg, k) = (uid_t)id;
	else
		*(gid_t *)conf_aux(cfg, k) = (gid_t)id;
	free(*name);
	*name = xstrdup(v);
	return 0;
}

/* Sets one key, globally (sec NULL) or in a section. */
static int
conf_set(struct evm_config *cfg, struct evm_section *sec,
    const struct conf_key *k, const char *v, char **why)
{
	void		*p = conf_slot(cfg, sec ? &sec->opts : &cfg->defaults, k);
	long long	 n;

	*why = NULL;
	switch (k->type) {
	case CT_PATH:
		return conf_set_path(cfg, k->id, v, why);
	case CT_OPTPATH:
		return conf_set_optpath(p, v, why);
	case CT_DURATION:
		return conf_parse_duration(v, k->min, k->max, p, why);
	case CT_LOGLIST:
		return conf_set_loglist(cfg, k, v, why);
	case CT_INT:
		if (conf_parse_int(v, k->min, k->max, &n, why) != 0)
			return -1;
		*(int *)p = (int)n;
		return 0;
	case CT_BOOL:
		return conf_parse_bool(v, p, why);
	case CT_SIZE:
		return conf_parse_size(v, k->max, p, why);
	case CT_MODE:
		return conf_parse_mode(k, v, p, why);
	case CT_OWNER:
	case CT_GROUP:
		return conf_set_id(cfg, k, v, why);
	}
	return -1;
}

static char *
conf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Cuts a comment that starts at a '#' or ';' preceded by a blank. */
static void
conf_cut_comment(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		if ((*p == '#' || *p == ';') && (p == s || p[-1] == ' ' ||
		    p[-1] == '\t')) {
			*p = '\0';
			return;
		}
}

/* Unquotes a "..." value in place; returns NULL with why set on error. */
static char *
conf_unquote(char *v, const char **why)
{
	char *r, *w;

	for (r = v + 1, w = v; *r != '"'; r++, w++) {
		if (*r == '\0') {
			*why = "unterminated quoted value";
			return NULL;
		}
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w = *r;
	}
	*w = '\0';
	r = conf_trim(r + 1);
	if (*r != '\0' && *r != '#' && *r != ';') {
		*why = "text after the closing quote";
		return NULL;
	}
	return v;
}

static void
conf_parse_section(struct conf_parse *p, struct evm_config *cfg, char *s)
{
	struct evm_section	*sec;
	char			*end = strchr(s, ']');
	const char		*bad;
	size_t			 i;

	/* Until the next header, keys are checked but not applied. */
	memset(&p->discard, 0, sizeof p->discard);
	p->section = &p->discard;
	if (end == NULL) {
		conf_err(p->errs, p->name, p->line, "missing ']' in section "
		    "header");
		return;
	}
	*end = '\0';
	conf_cut_comment(end + 1);
	if (*conf_trim(end + 1) != '\0') {
		conf_err(p->errs, p->name, p->line, "text after ']'");
		return;
	}
	s = conf_trim(s + 1);
	if ((bad = conf_check_relpath(s)) != NULL) {
		conf_err(p->errs, p->name, p->line, "section [%s] %s; a section "
		    "names a log by its path relative to root, like "
		    "[deploy/deploy.log]", s, bad);
		return;
	}
	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i].path, s) == 0) {
			conf_err(p->errs, p->name, p->line, "section [%s] is "
			    "already defined at line %d", s,
			    cfg->sections[i].line);
			return;
		}
	cfg->sections = xgrowarray(cfg->sections, cfg->nsections + 1,
	    sizeof *cfg->sections);
	sec = &cfg->sections[cfg->nsections++];
	memset(sec, 0, sizeof *sec);
	sec->path = xstrdup(s);
	sec->line = p->line;
	p->section = sec;
}

static void
conf_parse_line(struct conf_parse *p, struct evm_config *cfg, char *s)
{
	const struct conf_key	*k;
	char			*eq, *key, *val, *why;
	const char		*qwhy;
	int			*seen;

	s = conf_trim(s);
	if (*s == '\0' || *s == '#' || *s == ';')
		return;
	if (*s == '[') {
		conf_parse_section(p, cfg, s);
		return;
	}
	if ((eq = strchr(s, '=')) == NULL) {
		conf_err(p->errs, p->name, p->line, "expected 'key = value' or "
		    "'[section]'");
		return;
	}
	*eq = '\0';
	key = conf_trim(s);
	val = conf_trim(eq + 1);
	if (*val == '"') {
		if ((val = conf_unquote(val, &qwhy)) == NULL) {
			conf_err(p->errs, p->name, p->line, "%s: %s", key, qwhy);
			return;
		}
	} else {
		conf_cut_comment(val);
		val = conf_trim(val);
	}
	if ((k = conf_find(key)) == NULL) {
		conf_err(p->errs, p->name, p->line, "unknown key '%s'", key);
		return;
	}
	if (p->section != NULL && !k->per_log) {
		conf_err(p->errs, p->name, p->line, "'%s' cannot be set per log "
		    "(only in the global part, before any section)", key);
		return;
	}
	if (*val == '\0' && k->type != CT_LOGLIST && k->type != CT_OPTPATH) {
		conf_err(p->errs, p->name, p->line, "%s: missing value", key);
		return;
	}
	seen = p->section ? NULL : &cfg->line[k->id];
	if ((seen != NULL && *seen > 0) ||
	    (p->section != NULL && (p->section->set & (1u << k->id)))) {
		conf_err(p->errs, p->name, p->line, "'%s' is set twice%s", key,
		    p->section ? " in this section" : "");
		return;
	}
	if (conf_set(cfg, p->section, k, val, &why) != 0) {
		conf_err(p->errs, p->name, p->line, "%s: %s", key, why);
		free(why);
		return;
	}
	if (p->section != NULL)
		p->section->set |= 1u << k->id;
	else
		*seen = p->line;
}

/*
 * A section names a log: a file named *.log, or one listed in `logs`. Any
 * other name ([deploy] for deploy/deploy.log) would apply to nothing, and
 * the settings the operator wrote there would be passed over in silence.
 * One message each in errs (check-config's errors, every other command's
 * warnings: a config that ran before this check must not stop the nights).
 */
void
conf_check_sections(const struct evm_config *cfg, struct conf_errors *errs)
{
	const char	*name = cfg->file != NULL ? cfg->file : "";
	const char	*path, *base;
	size_t		 i, k;

	for (i = 0; i < cfg->nsections; i++) {
		path = cfg->sections[i].path;
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
		    path;
		if (gen_is_log_name(base))
			continue;
		for (k = 0; k < cfg->nlogs; k++)
			if (strcmp(cfg->logs[k], path) == 0)
				break;
		if (k < cfg->nlogs)
			continue;
		conf_err(errs, name, cfg->sections[i].line, "section [%s] "
		    "names no log: a log is a file named *.log or one listed "
		    "in 'logs' (a section is like [deploy/deploy.log]; global "
		    "settings come before the first section)", path);
	}
}

static int
conf_parse_text(struct evm_config *cfg, const char *text, size_t len,
    const char *name, struct conf_errors *errs)
{
	struct conf_parse	 p;
	const char		*s = text, *end = text + len, *nl;
	char			*line;
	size_t			 before = errs->n;

	if ((nl = memchr(text, '\0', len)) != NULL) {
		/* the line it is on, so that it can be found and fixed */
		for (s = text, p.line = 1; s < nl; s++)
			p.line += *s == '\n';
		conf_err(errs, name, p.line, "contains a NUL byte: not a text "
		    "file");
		return -1;
	}
	memset(&p, 0, sizeof p);
	p.name = name;
	p.errs = errs;
	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		line = xstrndup(s, nl ? (size_t)(nl - s) : (size_t)(end - s));
		p.line++;
		conf_parse_line(&p, cfg, line);
		free(line);
		s = nl ? nl + 1 : end;
	}
	return errs->n > before ? -1 : 0;
}

int
conf_load_string(struct evm_config *cfg, const char *text, const char *name,
    struct conf_errors *errs)
{
	free(cfg->file);
	cfg->file = xstrdup(name);
	return conf_parse_text(cfg, text, strlen(text), name, errs);
}

/*
 * Reads the file. A missing file is an error only when must_exist (it was
 * given with --config); otherwise the built-in defaults stand. A file that
 * others may write is refused: it decides what root deletes and archives.
 */
int
conf_load_file(struct evm_config *cfg, const char *path, bool must_exist,
    struct conf_errors *errs)
{
	struct stat	 st;
	struct sbuf	 b;
	char		 buf[8192];
	ssize_t		 n;
	int		 fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd == -1) {
		if (errno == ENOENT && !must_exist)
			return 0;
		conf_err(errs, path, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		conf_err(errs, path, 0, "not a regular file");
		close(fd);
		return -1;
	}
	/* It names what root deletes: only root (or we) may write it. */
	if (st.st_uid != 0 && st.st_uid != geteuid()) {
		conf_err(errs, path, 0, "owned by uid %ju, not root: refusing a "
		    "config another user can change", (uintmax_t)st.st_uid);
		close(fd);
		return -1;
	}
	if ((st.st_mode & S_IWOTH) || ((st.st_mode & S_IWGRP) &&
	    st.st_gid != 0)) {
		conf_err(errs, path, 0, "writable by %s (mode %04o): refusing "
		    "a config another user can change", (st.st_mode & S_IWOTH) ?
		    "others" : "its group", st.st_mode & 07777);
		close(fd);
		return -1;
	}
	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	while ((n = read(fd, buf, sizeof buf)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			conf_err(errs, path, 0, "%s", strerror(errno));
			break;
		}
		if (b.len + (size_t)n > CONF_MAX_BYTES) {
			conf_err(errs, path, 0, "larger than 1 MiB: not a "
			    "config file");
			n = -1;
			break;
		}
		sbuf_add(&b, buf, (size_t)n);
	}
	close(fd);
	free(cfg->file);
	cfg->file = xstrdup(path);
	rc = n == 0 ? conf_parse_text(cfg, b.s, b.len, path, errs) : -1;
	sbuf_free(&b);
	return rc;
}

static bool
conf_path_inside(const char *inner, const char *outer)
{
	size_t n = strlen(outer);

	return strncmp(inner, outer, n) == 0 &&
	    (inner[n] == '/' || inner[n] == '\0');
}

/*
 * Where a clash between keys A and B is named: the option that set either
 * (--root, ...), as the command line is what to change; else the file at
 * A's line, or B's if A was not in it.
 */
static void
conf_where(const struct evm_config *cfg, enum conf_id a, enum conf_id b,
    const char **name, int *line)
{
	static const struct {
		enum conf_id	 id;
		const char	*opt;
	} opts[] = {
		{ K_ARCHIVE_DIR, "option --archive-dir" },
		{ K_ROOT, "option --root" },
		{ K_STATE_FILE, "option --state" },
	};
	size_t i;

	for (i = 0; i < sizeof opts / sizeof opts[0]; i++)
		if ((opts[i].id == a || opts[i].id == b) &&
		    cfg->line[opts[i].id] == -1) {
			*name = opts[i].opt;
			*line = 0;
			return;
		}
	*name = cfg->file ? cfg->file : "built-in defaults";
	*line = cfg->line[a] > 0 ? cfg->line[a] : cfg->line[b];
}

/*
 * After parsing and command-line overrides: cross-key checks, and every
 * section's unset keys inherit the global value.
 */
int
conf_finish(struct evm_config *cfg, struct conf_errors *errs)
{
	const char		*name;
	const struct conf_key	*k;
	struct evm_section	*s;
	enum conf_id		 other;
	size_t			 i;
	int			 line;

	if (conf_path_inside(cfg->archive_dir, cfg->root) ||
	    conf_path_inside(cfg->root, cfg->archive_dir)) {
		conf_where(cfg, K_ARCHIVE_DIR, K_ROOT, &name, &line);
		conf_err(errs, name, line, "archive_dir %s and root %s must "
		    "not contain each other", cfg->archive_dir, cfg->root);
	}
	if (conf_path_inside(cfg->state_file, cfg->root)) {
		conf_where(cfg, K_STATE_FILE, K_ROOT, &name, &line);
		conf_err(errs, name, line, "state_file %s must not be inside "
		    "root %s", cfg->state_file, cfg->root);
	}
	if (cfg->metrics_file != NULL) {
		other = conf_path_inside(cfg->metrics_file, cfg->root) ?
		    K_ROOT : conf_path_inside(cfg->metrics_file,
		    cfg->archive_dir) ? K_ARCHIVE_DIR :
		    strcmp(cfg->metrics_file, cfg->state_file) == 0 ?
		    K_STATE_FILE : K_COUNT;
		if (other != K_COUNT) {
			conf_where(cfg, K_METRICS_FILE, other, &name, &line);
			conf_err(errs, name, line, "metrics_file %s must be "
			    "outside root and archive_dir, and not the state "
			    "file", cfg->metrics_file);
		}
	}
	name = cfg->file ? cfg->file : "built-in defaults";
	if (strcmp(cfg->state_file, "/") == 0)
		conf_err(errs, name, cfg->line[K_STATE_FILE],
		    "state_file must name a file");
	for (i = 0; i < cfg->nsections; i++) {
		s = &cfg->sections[i];
		for (k = conf_table; k < conf_table + K_COUNT; k++)
			if (k->per_log && !(s->set & (1u << k->id)))
				memcpy(conf_slot(cfg, &s->opts, k),
				    conf_slot(cfg, &cfg->defaults, k), k->size);
	}
	return errs->n > 0 ? -1 : 0;
}

const struct evm_logopts *
conf_logopts(const struct evm_config *cfg, const char *rel)
{
	size_t i;

	for (i = 0; i < cfg->nsections; i++)
		if (strcmp(cfg->sections[i].path, rel) == 0)
			return &cfg->sections[i].opts;
	return &cfg->defaults;
}

char *
conf_mode_str(mode_t m)
{
	char *s;

	xasprintf(&s, "%04o", (unsigned)(m & 07777));
	return s;
}

static void
conf_size_str(struct sbuf *b, uint64_t v)
{
	if (v != 0 && v % (1024ULL * 1024 * 1024) == 0)
		sbuf_addf(b, "%lluG", (unsigned long long)(v >> 30));
	else if (v != 0 && v % (1024ULL * 1024) == 0)
		sbuf_addf(b, "%lluM", (unsigned long long)(v >> 20));
	else if (v != 0 && v % 1024 == 0)
		sbuf_addf(b, "%lluk", (unsigned long long)(v >> 10));
	else
		sbuf_addf(b, "%llu", (unsigned long long)v);
}

/* Strings that need it are quoted so that the printed config parses back. */
static void
conf_quoted(struct sbuf *b, const char *s, bool quote)
{
	if (!quote || (strpbrk(s, " \t#;\"\\") == NULL && *s != '\0')) {
		sbuf_adds(b, s);
		return;
	}
	sbuf_adds(b, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			sbuf_adds(b, "\\");
		sbuf_add(b, s, 1);
	}
	sbuf_adds(b, "\"");
}

/* The list on one line; quoted only when an entry needs it. */
static void
conf_list_str(struct sbuf *b, char *const *v, size_t n, bool quote)
{
	struct sbuf	l;
	bool		odd = false;
	size_t		i;

	sbuf_init(&l);
	sbuf_add(&l, "", 0);
	for (i = 0; i < n; i++) {
		sbuf_addf(&l, "%s%s", i ? " " : "", v[i]);
		odd |= strpbrk(v[i], "#;\"\\") != NULL;
	}
	if (odd)
		conf_quoted(b, l.s, quote);
	else
		sbuf_adds(b, l.s);
	sbuf_free(&l);
}

/* In the largest unit that divides it: "26h", "90m", "61s". */
static void
conf_duration_str(struct sbuf *b, long long v)
{
	if (v % 86400 == 0)
		sbuf_addf(b, "%lldd", v / 86400);
	else if (v % 3600 == 0)
		sbuf_addf(b, "%lldh", v / 3600);
	else if (v % 60 == 0)
		sbuf_addf(b, "%lldm", v / 60);
	else
		sbuf_addf(b, "%llds", v);
}

/*
 * A key's effective value, in config syntax when quote is set (else the
 * bare value, for JSON); per-log keys are read from o (the global defaults
 * or a section's resolved options).
 */
char *
conf_value_str(const struct evm_config *cfg, const struct evm_logopts *o,
    enum conf_id id, bool quote)
{
	const struct conf_key	*k;
	const void		*p;
	struct sbuf		 b;

	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	if ((unsigned)id >= K_COUNT)
		return sbuf_steal(&b);
	k = &conf_table[id];
	p = conf_cslot(cfg, o, k);
	switch (k->type) {
	case CT_PATH:
	case CT_OWNER:
	case CT_GROUP:
		conf_quoted(&b, *(char *const *)p, quote);
		break;
	case CT_OPTPATH:
		if (*(char *const *)p != NULL)
			conf_quoted(&b, *(char *const *)p, quote);
		else if (quote)
			sbuf_adds(&b, "\"\"");
		break;
	case CT_LOGLIST:
		conf_list_str(&b, *(char **const *)p,
		    *(const size_t *)((const char *)cfg + k->aux), quote);
		break;
	case CT_INT:
		sbuf_addf(&b, "%d", *(const int *)p);
		break;
	case CT_BOOL:
		sbuf_adds(&b, *(const bool *)p ? "yes" : "no");
		break;
	case CT_SIZE:
		conf_size_str(&b, *(const uint64_t *)p);
		break;
	case CT_MODE:
		sbuf_addf(&b, "%04o", (unsigned)*(const mode_t *)p);
		break;
	case CT_DURATION:
		conf_duration_str(&b, *(const long long *)p);
		break;
	}
	return sbuf_steal(&b);
}

/* The effective settings, in config syntax: global, then each section. */
void
conf_print(const struct evm_config *cfg, FILE *fp)
{
	size_t	 i, j;
	char	*v;

	fprintf(fp, "# effective configuration, from %s\n",
	    cfg->file ? cfg->file : "the built-in defaults");
	for (i = 0; i < K_COUNT; i++) {
		v = conf_value_str(cfg, &cfg->defaults, conf_table[i].id, true);
		fprintf(fp, "%s = %s\n", conf_table[i].name, v);
		free(v);
	}
	for (j = 0; j < cfg->nsections; j++) {
		fprintf(fp, "\n[%s]\n", cfg->sections[j].path);
		for (i = 0; i < K_COUNT; i++) {
			if (!conf_table[i].per_log)
				continue;
			v = conf_value_str(cfg, &cfg->sections[j].opts,
			    conf_table[i].id, true);
			fprintf(fp, "%s = %s\n", conf_table[i].name, v);
			free(v);
		}
	}
}
