/*
 * The command table and the command line: global options before (or after)
 * the command name, command options after it.
 */
#ifndef CMD_H
#define CMD_H

#include "evmaint.h"

const struct evm_cmd *cmd_find(const char *);
int	cmd_parse(struct evm_ctx *, int, char **, struct cmd_args *);
int	cmd_load_config(struct evm_ctx *);
int	cmd_lock(struct evm_ctx *);
void	cmd_ctx_free(struct evm_ctx *);

#endif
