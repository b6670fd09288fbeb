/*
 * evmaint help [COMMAND]: the usage of every command, or of one, as --help
 * and COMMAND --help print it. Reads nothing but the command table.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evmaint.h"
#include "cmd.h"
#include "json.h"
#include "report.h"

static int	cmd_help_exec(struct evm_ctx *, struct cmd_args *);

const struct evm_cmd cmd_help_entry = {
	"help", "[COMMAND]",
	"the usage of every command, or of COMMAND; the same as --help",
	NULL, 0, 1, false, false, false, cmd_help_exec
};

static int
cmd_help_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	const struct evm_cmd *c = NULL;

	if (args->argc == 1 && (c = cmd_find(args->argv[0])) == NULL) {
		fprintf(stderr, "evmaint: help: unknown command '%s'\n",
		    args->argv[0]);
		cmd_usage(stderr, NULL);
		return EVM_EXIT_USAGE;
	}
	if (ctx->json) {
		/* the report's object, with the text in "usage" */
		char	*text = NULL;
		size_t	 len = 0;
		FILE	*fp = open_memstream(&text, &len);

		if (fp != NULL) {
			cmd_usage(fp, c);
			fclose(fp);
			json_str(report_extra(ctx->rep), "usage", text);
			free(text);
		}
		return EVM_EXIT_OK;
	}
	cmd_usage(stdout, c);
	return EVM_EXIT_OK;
}
