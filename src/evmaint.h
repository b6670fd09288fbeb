/*
 * evmaint: the run context every command receives, and the small set of
 * declarations shared by all modules. One context, no globals: the command
 * table in cmd.c hands a struct evm_ctx to each cmd_*_exec function.
 */
#ifndef EVMAINT_H
#define EVMAINT_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>

/* Exit statuses, as evmaint(8) EXIT STATUS lists them (sysexits(3) values). */
#define EVM_EXIT_OK     0
#define EVM_EXIT_FAIL   1
#define EVM_EXIT_USAGE  EX_USAGE    /* 64 */
#define EVM_EXIT_LOCKED EX_TEMPFAIL /* 75 */
#define EVM_EXIT_CONFIG EX_CONFIG   /* 78 */

/* Deepest directory level below root that is scanned for *.log files. */
#define EVM_MAX_DEPTH 8

/* Every temporary file evmaint creates starts with this, in any directory. */
#define EVM_TMP_PREFIX ".evmaint-tmp."

struct evm_config;
struct report;

struct evm_ctx {
	/* global options */
	const char	*config_path;	/* NULL: the built-in default path */
	const char	*opt_root;
	const char	*opt_archive_dir;
	const char	*opt_state;
	double		 wait_seconds;
	bool		 dry_run;
	bool		 json;
	int		 verbosity;	/* -1 quiet, 0 normal, 1 verbose */

	const struct evm_cmd	*cmd;
	struct evm_config	*cfg;
	struct report		*rep;
	time_t			 now;	/* the run's clock, read once */
	int			 lock_fd;
};

/*
 * A command option: it belongs to its command's entry, which the parser,
 * the usage text and evmaint(8) all read. The value of a flag is "".
 */
struct evm_opt {
	const char	*name;		/* long name: "force" for --force */
	int		 letter;	/* short option, or 0 */
	const char	*arg;		/* the value's name ("TIME"), or NULL */
	const char	*help;
};

#define EVM_CMD_OPTS_MAX 8

/* What the command line gave a command: its options and operands. */
struct cmd_args {
	int		  argc;		/* operands after the command's options */
	char		**argv;
	bool		  help;
	bool		  version;
	const char	 *val[EVM_CMD_OPTS_MAX];	/* NULL: option not given */
};

struct evm_cmd {
	const char		*name;
	const char		*operands;	/* for usage: "LOG...", or "" */
	const char		*help;
	const struct evm_opt	*opts;		/* NULL-name terminated */
	int			 min_args;	/* operands */
	int			 max_args;	/* -1: any number */
	bool			 stop_at_operand; /* the rest belongs to it */
	bool			 takes_lock;
	bool			 loads_config;
	int			(*exec)(struct evm_ctx *, struct cmd_args *);
};

extern const struct evm_cmd cmd_init_entry;
extern const struct evm_cmd cmd_rotate_entry;
extern const struct evm_cmd cmd_archive_entry;
extern const struct evm_cmd cmd_cat_entry;
extern const struct evm_cmd cmd_verify_entry;
extern const struct evm_cmd cmd_status_entry;
extern const struct evm_cmd cmd_check_config_entry;
extern const struct evm_cmd cmd_help_entry;
extern const struct evm_cmd cmd_run_entry;
extern const struct evm_cmd cmd_report_entry;

/* cmd.c */
void		 cmd_usage(FILE *, const struct evm_cmd *);
void		 cmd_help_version(const struct evm_ctx *, bool);
bool		 cmd_has(const struct evm_ctx *, const struct cmd_args *,
		     const char *);
const char	*cmd_get(const struct evm_ctx *, const struct cmd_args *,
		     const char *);

/* clock.c: the run's notion of time, in the local time zone (TZ). */
time_t	 clock_now(void);
int	 clock_day(time_t);			/* YYYYMMDD as an integer */
void	 clock_iso8601(time_t, char *, size_t);	/* 2026-11-25T02:00:01+01:00 */
void	 clock_stamp(time_t, char *, size_t);	/* 20261125T020001 */
void	 clock_tag(time_t, bool, char *, size_t);/* 20261125 or 20261125_020001 */
int	 clock_parse_stamp(const char *, time_t *);

/*
 * evmaint's own files (state, journal, lock) and the state directory: the
 * configured mode and group, but owned by the user evmaint runs as and never
 * group- or world-writable, since the journal steers renames in the tree.
 */
#define EVM_META_MODE(m)	((m) & ~(mode_t)022)

#define EVM_TAG_MAX 24	/* "20261125_020001" and a NUL, with room */

#endif
