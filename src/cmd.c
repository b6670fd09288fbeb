/*
 * Command table and argument parsing. Commands come from a table, one
 * cmd-NAME.c file each, as in tmux. Global options are accepted before the
 * command (as the contract writes them) and after it, since people type
 * "evmaint rotate -n"; command options only after it.
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
	&cmd_verify_entry,
	&cmd_status_entry,
	&cmd_check_config_entry,
	NULL
};

enum {
	OPT_ROOT = 256,
	OPT_ARCHIVE_DIR,
	OPT_STATE,
	OPT_WAIT,
	OPT_JSON,
};

static const struct option cmd_global_opts[] = {
	{ "config",	 required_argument, NULL, 'c' },
	{ "root",	 required_argument, NULL, OPT_ROOT },
	{ "archive-dir", required_argument, NULL, OPT_ARCHIVE_DIR },
	{ "state",	 required_argument, NULL, OPT_STATE },
	{ "wait",	 required_argument, NULL, OPT_WAIT },
	{ "dry-run",	 no_argument,	    NULL, 'n' },
	{ "verbose",	 no_argument,	    NULL, 'v' },
	{ "quiet",	 no_argument,	    NULL, 'q' },
	{ "json",	 no_argument,	    NULL, OPT_JSON },
	{ "help",	 no_argument,	    NULL, 'h' },
	{ "version",	 no_argument,	    NULL, 'V' },
	{ "force",	 no_argument,	    NULL, 'f' },
	{ NULL, 0, NULL, 0 }
};

void
cmd_usage(FILE *fp)
{
	const struct evm_cmd **c;

	fprintf(fp, "usage: evmaint [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS]\n"
	    "\ncommands:\n");
	for (c = cmd_table; *c != NULL; c++)
		fprintf(fp, "  %-13s %s%s%s\n", (*c)->name, (*c)->help,
		    *(*c)->args ? "\n                " : "", (*c)->args);
	fprintf(fp, "\nglobal options:\n"
	    "  -c, --config FILE      default %s\n"
	    "      --root DIR         overrides 'root'\n"
	    "      --archive-dir DIR  overrides 'archive_dir'\n"
	    "      --state FILE       overrides 'state_file'\n"
	    "      --wait SECONDS     wait this long for another instance's "
	    "lock (default 0)\n"
	    "  -n, --dry-run          print what would be done, change nothing\n"
	    "  -v, --verbose          more detail\n"
	    "  -q, --quiet            no output but errors\n"
	    "      --json             one JSON object on stdout\n"
	    "  -h, --help             this text\n"
	    "  -V, --version          the version\n"
	    "\nSee evmaint(8) and evmaint.conf(5).\n", EVMAINT_CONF);
}

static int __attribute__((format(printf, 1, 2)))
cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "evmaint: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	cmd_usage(stderr);
	return EVM_EXIT_USAGE;
}

static const struct evm_cmd *
cmd_find(const char *name)
{
	const struct evm_cmd **c;

	for (c = cmd_table; *c != NULL; c++)
		if (strcmp((*c)->name, name) == 0)
			return *c;
	return NULL;
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

/* One getopt pass; stops at the first non-option when stop is set. */
static int
cmd_getopt(struct evm_ctx *ctx, int argc, char **argv, bool stop,
    struct cmd_args *a)
{
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, stop ? "+:c:nvqhVf" : ":c:nvqhVf",
	    cmd_global_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			ctx->config_path = optarg;
			break;
		case OPT_ROOT:
			if (cmd_check_abs("--root", optarg) != 0)
				return EVM_EXIT_USAGE;
			ctx->opt_root = optarg;
			break;
		case OPT_ARCHIVE_DIR:
			if (cmd_check_abs("--archive-dir", optarg) != 0)
				return EVM_EXIT_USAGE;
			ctx->opt_archive_dir = optarg;
			break;
		case OPT_STATE:
			if (cmd_check_abs("--state", optarg) != 0)
				return EVM_EXIT_USAGE;
			ctx->opt_state = optarg;
			break;
		case OPT_WAIT:
			if (cmd_parse_wait(optarg, &ctx->wait_seconds) != 0)
				return cmd_usage_error("--wait '%s': expected "
				    "a number of seconds (0 to 86400)", optarg);
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
		case 'f':
			if (stop || ctx->cmd == NULL ||
			    strcmp(ctx->cmd->name, "rotate") != 0)
				return cmd_usage_error("%s: only 'rotate' takes "
				    "-f/--force", argv[optind - 1]);
			ctx->force = true;
			break;
		case ':':
			return cmd_usage_error("option %s needs a value",
			    argv[optind - 1]);
		default:
			return cmd_usage_error("unknown option '%s'",
			    argv[optind - 1]);
		}
	}
	return 0;
}

/*
 * Fills ctx from the command line. Returns 0 to go on, or the exit status
 * (64 for a usage error; -1 when --help or --version was handled).
 */
int
cmd_parse(struct evm_ctx *ctx, int argc, char **argv, struct cmd_args *a)
{
	int rc;

	memset(ctx, 0, sizeof *ctx);
	memset(a, 0, sizeof *a);
	ctx->lock_fd = -1;
	if ((rc = cmd_getopt(ctx, argc, argv, true, a)) != 0)
		return rc;
	if (!a->help && !a->version && optind >= argc)
		return cmd_usage_error("%s", "no command given");
	if (optind < argc) {
		if ((ctx->cmd = cmd_find(argv[optind])) == NULL)
			return cmd_usage_error("unknown command '%s'",
			    argv[optind]);
		argc -= optind;
		argv += optind;
		if ((rc = cmd_getopt(ctx, argc, argv, false, a)) != 0)
			return rc;
		if (optind < argc)
			return cmd_usage_error("unexpected argument '%s'",
			    argv[optind]);
	}
	if (a->help) {
		cmd_usage(stdout);
		return -1;
	}
	if (a->version) {
		printf("evmaint %s\n", PACKAGE_VERSION);
		return -1;
	}
	a->argc = argc;
	a->argv = argv;
	return 0;
}

/* Loads the configuration and applies the overrides; 0 or 78. */
int
cmd_load_config(struct evm_ctx *ctx)
{
	struct conf_errors	 errs = { NULL, 0 };
	const char		*path = ctx->config_path ? ctx->config_path :
				    EVMAINT_CONF;
	char			*why = NULL;
	size_t			 i;
	int			 rc;

	ctx->cfg = conf_new();
	rc = conf_load_file(ctx->cfg, path, ctx->config_path != NULL, &errs);
	if (ctx->opt_root != NULL)
		conf_set_path(ctx->cfg, K_ROOT, ctx->opt_root, &why);
	if (why == NULL && ctx->opt_archive_dir != NULL)
		conf_set_path(ctx->cfg, K_ARCHIVE_DIR, ctx->opt_archive_dir,
		    &why);
	if (why == NULL && ctx->opt_state != NULL)
		conf_set_path(ctx->cfg, K_STATE_FILE, ctx->opt_state, &why);
	if (why != NULL) {
		report_error(ctx->rep, NULL, "%s", why);
		free(why);
		rc = -1;
	}
	if (rc == 0)
		rc = conf_finish(ctx->cfg, &errs);
	for (i = 0; i < errs.n; i++)
		report_error(ctx->rep, NULL, "%s", errs.msg[i]);
	conf_errors_free(&errs);
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
