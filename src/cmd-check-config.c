/*
 * evmaint check-config: parse the configuration and print the effective
 * settings in config syntax (global part, then each section resolved).
 * Parsing happened before this runs; a bad config already exited 78, so
 * ansible's "validate: evmaint -c %s check-config" needs only the status.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "evmaint.h"
#include "conf.h"
#include "json.h"
#include "report.h"

static int	cmd_check_config_exec(struct evm_ctx *, struct cmd_args *);

const struct evm_cmd cmd_check_config_entry = {
	"check-config", "",
	"parse the config, print the effective settings, exit 0 or 78",
	NULL, 0, 0, false, false, true, cmd_check_config_exec
};

static void
cmd_check_config_json(const struct evm_config *cfg, struct json *j)
{
	const struct conf_key	*keys;
	size_t			 n, i, s;
	char			*v;

	keys = conf_keys(&n);
	json_str(j, "file", cfg->file);
	json_obj_begin(j, "settings");
	for (i = 0; i < n; i++) {
		v = conf_value_str(cfg, &cfg->defaults, keys[i].id, false);
		json_str(j, keys[i].name, v);
		free(v);
	}
	json_obj_end(j);
	json_obj_begin(j, "sections");
	for (s = 0; s < cfg->nsections; s++) {
		json_obj_begin(j, cfg->sections[s].path);
		for (i = 0; i < n; i++) {
			if (!keys[i].per_log)
				continue;
			v = conf_value_str(cfg, &cfg->sections[s].opts,
			    keys[i].id, false);
			json_str(j, keys[i].name, v);
			free(v);
		}
		json_obj_end(j);
	}
	json_obj_end(j);
}

static int
cmd_check_config_exec(struct evm_ctx *ctx, struct cmd_args *args)
{
	if (report_json(ctx->rep))
		cmd_check_config_json(ctx->cfg, report_extra(ctx->rep));
	else if (!report_quiet(ctx->rep))
		conf_print(ctx->cfg, stdout);
	return EVM_EXIT_OK;
}
