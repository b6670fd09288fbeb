/*
 * The configuration: one table of keys (conf.c) with type, bounds, default and
 * help drives the parser, the built-in defaults, check-config's output and the
 * documentation. The parser reads a file or a string (for tests).
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

enum conf_type {
	CT_PATH,	/* an absolute path */
	CT_LOGLIST,	/* relative paths below root, separated by blanks */
	CT_INT,
	CT_BOOL,
	CT_SIZE,	/* bytes, with k, M, G suffixes (1024-based) */
	CT_MODE,	/* octal */
	CT_OWNER,
	CT_GROUP,
	CT_OPTPATH,	/* an absolute path, or empty for "off" */
	CT_DURATION,	/* seconds, with s, m, h, d suffixes */
};

enum conf_id {
	K_ROOT,
	K_ARCHIVE_DIR,
	K_STATE_FILE,
	K_LOGS,
	K_ROTATE,
	K_COMPRESS,
	K_COMPRESS_LEVEL,
	K_DELAYCOMPRESS,
	K_DATEEXT,
	K_NOTIFEMPTY,
	K_MAXSIZE,
	K_MODE,
	K_OWNER,
	K_GROUP,
	K_DIR_MODE,
	K_ARCHIVE_KEEP_DAYS,
	K_METRICS_FILE,
	K_CHECK_MAX_AGE,
	K_COUNT
};

/* conf_key flags */
#define CK_FILE		0x1	/* a path naming a file: "/" "must name a file" */
#define CK_DIR		0x2	/* a directory's mode: owner rwx, no group or
				   other write */

/*
 * One key. Its value lives at off in struct evm_logopts when per_log, else
 * in struct evm_config; the parser, the defaults, the inheritance of
 * sections and check-config read and write it there by its type. Two types
 * keep a second field at aux: a list's count, a user's or group's numeric
 * id. help is the one-line summary of the key's evmaint.conf(5) entry.
 */
struct conf_key {
	enum conf_id	 id;
	const char	*name;
	enum conf_type	 type;
	bool		 per_log;
	long long	 min;
	long long	 max;
	const char	*def;
	const char	*help;
	size_t		 off;
	size_t		 size;		/* of the value at off */
	size_t		 aux;
	int		 flags;		/* CK_* */
};

/* The keys a [section] may override for one log. */
struct evm_logopts {
	int		rotate;
	bool		compress;
	int		compress_level;
	bool		delaycompress;
	bool		dateext;
	bool		notifempty;
	uint64_t	maxsize;
};

struct evm_section {
	char			*path;	/* relative to root */
	int			 line;
	uint32_t		 set;	/* bit (1 << conf_id) per key set here */
	struct evm_logopts	 opts;
};

struct evm_config {
	char			*file;	/* NULL: built-in defaults only */
	char			*root;
	char			*archive_dir;
	char			*state_file;
	char			**logs;
	size_t			 nlogs;
	struct evm_logopts	 defaults;
	mode_t			 mode;
	mode_t			 dir_mode;
	char			*owner;
	char			*group;
	uid_t			 uid;
	gid_t			 gid;
	int			 archive_keep_days;
	char			*metrics_file;	/* NULL: no metrics file */
	long long		 check_max_age;	/* seconds */
	struct evm_section	*sections;
	size_t			 nsections;
	int			 line[K_COUNT];	/* where each key was set, 0 = default,
						   -1 = a command-line option */
};

struct conf_errors {
	char	**msg;
	size_t	  n;
};

const struct conf_key	*conf_keys(size_t *);
const char		*conf_type_name(enum conf_type);
struct evm_config	*conf_new(void);
void			 conf_free(struct evm_config *);
int			 conf_load_file(struct evm_config *, const char *, bool,
			    struct conf_errors *);
int			 conf_load_string(struct evm_config *, const char *,
			    const char *, struct conf_errors *);
int			 conf_set_path(struct evm_config *, enum conf_id,
			    const char *, char **);
int			 conf_finish(struct evm_config *, struct conf_errors *);
const struct evm_logopts *conf_logopts(const struct evm_config *, const char *);
void			 conf_print(const struct evm_config *, FILE *);
char			*conf_value_str(const struct evm_config *,
			    const struct evm_logopts *, enum conf_id, bool);
void			 conf_errors_free(struct conf_errors *);
const char		*conf_check_relpath(const char *);
void			 conf_check_sections(const struct evm_config *,
			    struct conf_errors *);
char			*conf_mode_str(mode_t);

#endif
