/*
 * Command table and argument parsing. Commands come from a table, one
 * cmd-NAME.c file each, as in tmux. Global options are accepted before the
 * command (as the SYNOPSIS of evmaint(8) writes them) and after it, since
 * people type "evmaint rotate -n"; command options only after it.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evmaint.h"
#include "cmd.h"
#include "conf.h"
#include "esc.h"
#include "fsx.h"
#include "lock.h"
#include "report.h"
#include "tree.h"
#include "xmalloc.h"

#ifndef EVMAINT_CONF
#define EVMAINT_CONF "/etc/evmaint.conf"
#endif

static const struct evm_cmd *cmd_table[] = {
	&cmd_init_entry,
	&cmd_rotate_entry,
	&cmd_archive_entry,
	&cmd_cat_entry,
	&cmd_verify_entry,
	&cmd_status_entry,
	&cmd_check_config_entry,
	&cmd_run_entry,
	&cmd_report_entry,
	&cmd_help_entry,
	NULL
};

/* What getopt_long returns for an option without a letter. */
enum {
	OPT_ROOT = 256,
	OPT_ARCHIVE_DIR,
	OPT_STATE,
	OPT_WAIT,
	OPT_JSON,
	OPT_CMD,	/* OPT_CMD + i: the command's option i */
};

/*
 * The global options, in the order of the usage: the parser and the usage
 * both read this table, as they read a command's options from its entry.
 */
static const struct cmd_global {
	struct evm_opt	opt;
	int		val;	/* what getopt_long returns for it */
} cmd_globals[] = {
	{ { "config", 'c', "FILE", "default " EVMAINT_CONF }, 'c' },
	{ { "root", 0, "DIR", "overrides 'root'" }, OPT_ROOT },
	{ { "archive-dir", 0, "DIR", "overrides 'archive_dir'" },
	    OPT_ARCHIVE_DIR },
	{ { "state", 0, "FILE", "overrides 'state_file'" }, OPT_STATE },
	{ { "wait", 0, "SECONDS", "wait this long for another instance's "
	    "lock (default 0)" }, OPT_WAIT },
	{ { "dry-run", 'n', NULL, "print what would be done, change nothing" },
	    'n' },
	{ { "verbose", 'v', NULL, "more detail" }, 'v' },
	{ { "quiet", 'q', NULL, "no output but errors" }, 'q' },
	{ { "json", 0, NULL, "one JSON object on stdout" }, OPT_JSON },
	{ { "help", 'h', NULL, "this text" }, 'h' },
	{ { "version", 'V', NULL, "the version" }, 'V' },
};
#define CMD_NGLOBALS	(sizeof cmd_globals / sizeof cmd_globals[0])

static void	cmd_usage_opts(FILE *, const struct evm_cmd *, int);
static void	cmd_usage_globals(FILE *);

/* "rotate [-f]" or "cat [--since TIME] [--until TIME] LOG...". */
static void
cmd_usage_line(FILE *fp, const struct evm_cmd *c)
{
	const struct evm_opt *o;

	fprintf(fp, "%s", c->name);
	for (o = c->opts; o != NULL && o->name != NULL; o++) {
		if (o->letter != 0 && o->arg == NULL)
			fprintf(fp, " [-%c]", o->letter);
		else
			fprintf(fp, " [--%s%s%s]", o->name, o->arg ? " " : "",
			    o->arg ? o->arg : "");
	}
	if (*c->operands != '\0')
		fprintf(fp, " %s", c->operands);
}

static void
cmd_usage_opts(FILE *fp, const struct evm_cmd *c, int indent)
{
	const struct evm_opt	*o;
	char			 lhs[64];

	for (o = c->opts; o != NULL && o->name != NULL; o++) {
		snprintf(lhs, sizeof lhs, "%s%c%s--%s%s%s",
		    o->letter ? "-" : "  ", o->letter ? o->letter : ' ',
		    o->letter ? ", " : "  ", o->name, o->arg ? " " : "",
		    o->arg ? o->arg : "");
		fprintf(fp, "%*s%-24s %s\n", indent, "", lhs, o->help);
	}
}

/* "  -c, --config FILE      default /etc/evmaint.conf" */
static void
cmd_usage_globals(FILE *fp)
{
	const struct evm_opt	*o;
	char			 lhs[64];
	size_t			 i;

	fprintf(fp, "\nglobal options:\n");
	for (i = 0; i < CMD_NGLOBALS; i++) {
		o = &cmd_globals[i].opt;
		if (o->letter != 0)
			snprintf(lhs, sizeof lhs, "-%c, --%s", o->letter,
			    o->name);
		else
			snprintf(lhs, sizeof lhs, "    --%s", o->name);
		if (o->arg != NULL)
			snprintf(lhs + strlen(lhs), sizeof lhs - strlen(lhs),
			    " %s", o->arg);
		fprintf(fp, "  %-22s %s\n", lhs, o->help);
	}
}

/* The usage: of every command, or of one (COMMAND --help, help COMMAND). */
void
cmd_usage(FILE *fp, const struct evm_cmd *one)
{
	const struct evm_cmd **c;

	if (one != NULL) {
		fprintf(fp, "usage: evmaint [GLOBAL OPTIONS] ");
		cmd_usage_line(fp, one);
		fprintf(fp, "\n\n%s\n", one->help);
		if (one->opts != NULL && one->opts->name != NULL) {
			fprintf(fp, "\n%s options:\n", one->name);
			cmd_usage_opts(fp, one, 2);
		}
	} else {
		fprintf(fp, "usage: evmaint [GLOBAL OPTIONS] COMMAND "
		    "[COMMAND OPTIONS]\n\ncommands:\n");
		for (c = cmd_table; *c != NULL; c++) {
			fprintf(fp, "  %-13s %s\n", (*c)->name, (*c)->help);
			if ((*c)->opts != NULL || *(*c)->operands != '\0') {
				fprintf(fp, "%16s", "");
				cmd_usage_line(fp, *c);
				fprintf(fp, "\n");
			}
			cmd_usage_opts(fp, *c, 16);
		}
	}
	cmd_usage_globals(fp);
	fprintf(fp, "\nexit status:\n"
	    "  0  success, also when there was nothing to do\n"
	    "  1  some logs or archives failed, the rest was done\n"
	    "  64 usage error   75 another evmaint holds the lock   "
	    "78 config error\n"
	    "  status --check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN\n"
	    "  run: its command's status (128+N after signal N, 127 not found, "
	    "126 not executable)\n"
	    "\nSee evmaint(8) and evmaint.conf(5).\n");
}

static int __attribute__((format(printf, 2, 3)))
cmd_usage_error(const struct evm_cmd *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "evmaint: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (c == NULL)
		cmd_usage(stderr, NULL);
	else {
		fprintf(stderr, "usage: evmaint [GLOBAL OPTIONS] ");
		cmd_usage_line(stderr, c);
		fprintf(stderr, "\n(evmaint help %s: its options; evmaint help: "
		    "all commands)\n", c->name);
	}
	return EVM_EXIT_USAGE;
}

const struct evm_cmd *
cmd_find(const char *name)
{
	const struct evm_cmd **c;

	for (c = cmd_table; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
}

/* The command whose option ARG ("-f", "--force", "--since=x") is, if any. */
static const struct evm_cmd *
cmd_owner_of(const char *arg)
{
	const struct evm_cmd	**c;
	const struct evm_opt	 *o;
	size_t			  n;

	for (c = cmd_table; *c != NULL; c++)
		for (o = (*c)->opts; o != NULL && o->name != NULL; o++) {
			n = strlen(o->name);
			if (arg[0] == '-' && arg[1] == '-' &&
			    strncmp(arg + 2, o->name, n) == 0 &&
			    (arg[2 + n] == '\0' || arg[2 + n] == '='))
				return *c;
			if (arg[0] == '-' && arg[1] != '-' && o->letter != 0 &&
			    arg[1] == o->letter)
				return *c;
		}
	return NULL;
}

static int
cmd_unknown_option(const struct evm_cmd *cmd, const char *arg)
{
	const struct evm_cmd *owner = cmd_owner_of(arg);

	if (owner != NULL && owner != cmd)
		return cmd_usage_error(cmd, "'%s' is an option of '%s': give it "
		    "after the command (evmaint %s %s)", arg, owner->name,
		    owner->name, arg);
	return cmd_usage_error(cmd, "unknown option '%s'%s%s", arg,
	    cmd ? " for " : "", cmd ? cmd->name : "");
}

static int
cmd_parse_wait(const char *s, double *out)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < 0 || v > 86400)
		return -1;
	*out = v;
	return 0;
}

static int
cmd_check_abs(const char *opt, const char *v)
{
	if (v[0] != '/' || strstr(v, "/../") != NULL ||
	    (strlen(v) >= 3 && strcmp(v + strlen(v) - 3, "/..") == 0)) {
		fprintf(stderr, "evmaint: %s '%s': must be an absolute path "
		    "without '..'\n", opt, v);
		return -1;
	}
	return 0;
}

/* A global option's effect; 0, or 64 for a bad value. */
static int
cmd_global(struct evm_ctx *ctx, int ch, const char *arg, struct cmd_args *a)
{
	switch (ch) {
	case 'c':
		ctx->config_path = arg;
		break;
	case OPT_ROOT:
		if (cmd_check_abs("--root", arg) != 0)
			return EVM_EXIT_USAGE;
		ctx->opt_root = arg;
		break;
	case OPT_ARCHIVE_DIR:
		if (cmd_check_abs("--archive-dir", arg) != 0)
			return EVM_EXIT_USAGE;
		ctx->opt_archive_dir = arg;
		break;
	case OPT_STATE:
		if (cmd_check_abs("--state", arg) != 0)
			return EVM_EXIT_USAGE;
		ctx->opt_state = arg;
		break;
	case OPT_WAIT:
		if (cmd_parse_wait(arg, &ctx->wait_seconds) != 0)
			return cmd_usage_error(ctx->cmd, "--wait '%s': expected "
			    "a number of seconds (0 to 86400)", arg);
		break;
	case 'n':
		ctx->dry_run = true;
		break;
	case 'v':
		ctx->verbosity = 1;
		break;
	case 'q':
		ctx->verbosity = -1;
		break;
	case OPT_JSON:
		ctx->json = true;
		break;
	case 'h':
		a->help = true;
		break;
	case 'V':
		a->version = true;
		break;
	}
	return 0;
}

static struct option
cmd_getopt_long(const struct evm_opt *o, int val)
{
	return (struct option){ o->name, o->arg ? required_argument :
	    no_argument, NULL, val };
}

/* Adds o's letter, if it has one, to getopt's short options so. */
static void
cmd_getopt_short(char *so, size_t size, const struct evm_opt *o)
{
	size_t n = strlen(so);

	if (o->letter != 0 && n + 3 < size)
		snprintf(so + n, size - n, "%c%s", o->letter, o->arg ? ":" : "");
}

/*
 * One getopt pass over the global options and, once the command is known,
 * its own. Before the command it stops at the first operand (the command's
 * name); after it, operands may be mixed with options, except for a command
 * whose operands are another command line (run).
 */
static int
cmd_getopt(struct evm_ctx *ctx, int argc, char **argv, struct cmd_args *a)
{
	const struct evm_cmd	*c = ctx->cmd;
	struct option		 lo[CMD_NGLOBALS + EVM_CMD_OPTS_MAX + 1];
	char			 so[64];
	size_t			 i;
	int			 ch, rc;

	snprintf(so, sizeof so, "%s:", c == NULL || c->stop_at_operand ?
	    "+" : "");
	for (i = 0; i < CMD_NGLOBALS; i++) {
		lo[i] = cmd_getopt_long(&cmd_globals[i].opt,
		    cmd_globals[i].val);
		cmd_getopt_short(so, sizeof so, &cmd_globals[i].opt);
	}
	for (i = 0; c != NULL && c->opts != NULL && c->opts[i].name != NULL;
	    i++) {
		lo[CMD_NGLOBALS + i] = cmd_getopt_long(&c->opts[i],
		    OPT_CMD + (int)i);
		cmd_getopt_short(so, sizeof so, &c->opts[i]);
	}
	lo[CMD_NGLOBALS + i] = (struct option){ NULL, 0, NULL, 0 };

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (ch == ':')
			return cmd_usage_error(c, "option %s needs a value",
			    argv[optind - 1]);
		if (ch == '?' && optopt != 0 && optopt < 256) {
			snprintf(so, sizeof so, "-%c", optopt);
			return cmd_unknown_option(c, so);
		}
		if (ch == '?')
			return cmd_unknown_option(c, argv[optind - 1]);
		for (i = 0; c != NULL && c->opts != NULL &&
		    c->opts[i].name != NULL; i++)
			if (ch == OPT_CMD + (int)i ||
			    (ch < 256 && ch == c->opts[i].letter))
				break;
		if (c != NULL && c->opts != NULL && c->opts[i].name != NULL) {
			a->val[i] = optarg != NULL ? optarg : "";
			continue;
		}
		if ((rc = cmd_global(ctx, ch, optarg, a)) != 0)
			return rc;
	}
	return 0;
}

/*
 * --help (the usage of ctx->cmd, or of all) or --version; with --json as
 * the one JSON object every command prints, the text in "usage" or
 * "version".
 */
void
cmd_help_version(const struct evm_ctx *ctx, bool help)
{
	struct sbuf	 b;
	char		*text = NULL;
	size_t		 len = 0;
	FILE		*fp;

	if (!ctx->json) {
		if (help)
			cmd_usage(stdout, ctx->cmd);
		else
			printf("evmaint %s\n", PACKAGE_VERSION);
		return;
	}
	if ((fp = open_memstream(&text, &len)) == NULL)
		return;
	if (help)
		cmd_usage(fp, ctx->cmd);
	else
		fprintf(fp, "%s", PACKAGE_VERSION);
	fclose(fp);
	sbuf_init(&b);
	sbuf_adds(&b, "{\"command\":\"");
	sbuf_adds(&b, help ? "help" : "version");
	sbuf_adds(&b, "\",\"dry_run\":false,\"changed\":false,"
	    "\"actions\":[],\"warnings\":[],\"errors\":[],\"exit\":0,\"");
	sbuf_adds(&b, help ? "usage" : "version");
	sbuf_adds(&b, "\":\"");
	esc_json(&b, text != NULL ? text : "");
	sbuf_adds(&b, "\"}\n");
	fwrite(b.s, 1, b.len, stdout);
	sbuf_free(&b);
	free(text);
}

/*
 * Fills ctx from the command line. Returns 0 to go on, or the exit status
 * (64 for a usage error; -1 when --help or --version was handled).
 */
int
cmd_parse(struct evm_ctx *ctx, int argc, char **argv, struct cmd_args *a)
{
	int rc, nops;

	memset(ctx, 0, sizeof *ctx);
	memset(a, 0, sizeof *a);
	ctx->lock_fd = -1;
	if ((rc = cmd_getopt(ctx, argc, argv, a)) != 0)
		return rc;
	if (!a->help && !a->version && optind >= argc)
		return cmd_usage_error(NULL, "%s", "no command given");
	if (optind < argc) {
		if ((ctx->cmd = cmd_find(argv[optind])) == NULL)
			return cmd_usage_error(NULL, "unknown command '%s'",
			    argv[optind]);
		argc -= optind;
		argv += optind;
		if ((rc = cmd_getopt(ctx, argc, argv, a)) != 0)
			return rc;
	}
	if (a->help || a->version) {
		cmd_help_version(ctx, a->help);
		return -1;
	}
	a->argc = argc - optind;
	a->argv = argv + optind;
	nops = a->argc;
	if (nops > 0 && ctx->cmd->max_args >= 0 && nops > ctx->cmd->max_args)
		return cmd_usage_error(ctx->cmd, "unexpected argument '%s'",
		    a->argv[ctx->cmd->max_args]);
	if (nops < ctx->cmd->min_args)
		return cmd_usage_error(ctx->cmd, "%s needs %s", ctx->cmd->name,
		    ctx->cmd->operands);
	return 0;
}

/* Whether the command's option NAME was given. */
bool
cmd_has(const struct evm_ctx *ctx, const struct cmd_args *a, const char *name)
{
	return cmd_get(ctx, a, name) != NULL;
}

/* The value of the command's option NAME ("" for a flag), or NULL. */
const char *
cmd_get(const struct evm_ctx *ctx, const struct cmd_args *a, const char *name)
{
	const struct evm_opt	*o = ctx->cmd->opts;
	size_t			 i;

	for (i = 0; o != NULL && o[i].name != NULL; i++)
		if (strcmp(o[i].name, name) == 0)
			return a->val[i];
	abort();	/* a name not in the entry is a programming error */
}

/* Loads the configuration and applies the overrides; 0 or 78. */
int
cmd_load_config(struct evm_ctx *ctx)
{
	struct conf_errors	 errs = { NULL, 0 };
	const char		*path = ctx->config_path ? ctx->config_path :
				    EVMAINT_CONF;
	const char		*opt = NULL, *val = NULL;
	char			*why = NULL;
	size_t			 i;
	int			 rc;

	ctx->cfg = conf_new();
	rc = conf_load_file(ctx->cfg, path, ctx->config_path != NULL, &errs);
	if (ctx->opt_root != NULL) {
		opt = "--root";
		val = ctx->opt_root;
		if (conf_set_path(ctx->cfg, K_ROOT, val, &why) == 0)
			ctx->cfg->line[K_ROOT] = -1;	/* an option's */
	}
	if (why == NULL && ctx->opt_archive_dir != NULL) {
		opt = "--archive-dir";
		val = ctx->opt_archive_dir;
		if (conf_set_path(ctx->cfg, K_ARCHIVE_DIR, val, &why) == 0)
			ctx->cfg->line[K_ARCHIVE_DIR] = -1;	/* an option's */
	}
	if (why == NULL && ctx->opt_state != NULL) {
		opt = "--state";
		val = ctx->opt_state;
		if (conf_set_path(ctx->cfg, K_STATE_FILE, val, &why) == 0)
			ctx->cfg->line[K_STATE_FILE] = -1;	/* an option's */
	}
	if (why != NULL) {
		/* the option at fault, as a config error names its line */
		report_error(ctx->rep, NULL, "%s '%s': %s", opt, val, why);
		free(why);
		rc = -1;
	}
	if (rc == 0)
		rc = conf_finish(ctx->cfg, &errs);
	for (i = 0; i < errs.n; i++)
		report_error(ctx->rep, NULL, "%s", errs.msg[i]);
	conf_errors_free(&errs);
	if (rc == 0) {
		/* an error where the config is checked, else a warning */
		bool strict = strcmp(ctx->cmd->name, "check-config") == 0;

		conf_check_sections(ctx->cfg, &errs);
		for (i = 0; i < errs.n; i++)
			if (strict)
				report_error(ctx->rep, NULL, "%s", errs.msg[i]);
			else
				report_warn(ctx->rep, NULL, "%s", errs.msg[i]);
		if (strict && errs.n > 0)
			rc = -1;
		conf_errors_free(&errs);
	}
	return rc == 0 ? 0 : EVM_EXIT_CONFIG;
}

/*
 * Root, if it exists and is trusted, for error.log: a lock or state
 * directory that is refused is an error like any other, and cron's mail may
 * go nowhere. -1 when there is none.
 */
static int
cmd_errlog_root(struct evm_ctx *ctx)
{
	const struct evm_config	*cfg = ctx->cfg;
	struct stat		 st;
	char			*why = NULL;
	int			 fd;

	if ((fd = tree_open_abs(cfg->root, NULL, NULL, &why)) == -1) {
		free(why);
		return -1;
	}
	if (fsx_fstat(fd, &st) == -1 ||
	    tree_untrusted(&st, cfg->uid, true) != NULL) {
		close(fd);
		return -1;
	}
	report_errlog(ctx->rep, fd, cfg->mode, cfg->uid, cfg->gid);
	return fd;
}

/*
 * Takes the instance lock for commands that change things. A dry run takes
 * it too, so it does not describe a tree another instance is changing, but
 * creates nothing to do so.
 */
int
cmd_lock(struct evm_ctx *ctx)
{
	struct lock_mk	lmk;
	char		path[PATH_MAX];
	int		rc, rootfd;

	if (!ctx->cmd->takes_lock)
		return 0;
	if (ctx->dry_run &&
	    (lock_path(ctx->cfg->state_file, path, sizeof path) != 0 ||
	    access(path, F_OK) == -1))
		return 0;
	lmk.mode = ctx->cfg->mode;
	lmk.dir_mode = ctx->cfg->dir_mode;
	lmk.gid = ctx->cfg->gid;
	rootfd = cmd_errlog_root(ctx);
	rc = lock_acquire(ctx->cfg->state_file, ctx->wait_seconds,
	    ctx->dry_run ? NULL : &lmk, ctx->rep, &ctx->lock_fd);
	report_errlog(ctx->rep, -1, 0, 0, 0);
	if (rootfd != -1)
		close(rootfd);
	return rc;
}

void
cmd_ctx_free(struct evm_ctx *ctx)
{
	if (ctx->lock_fd >= 0)
		close(ctx->lock_fd);
	conf_free(ctx->cfg);
	report_free(ctx->rep);
}
