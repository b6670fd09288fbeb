/*
 * README.md for the tree, filled with this configuration's paths and
 * settings. init writes it only when missing: local edits are kept.
 */
#include "config.h"

#include <stdlib.h>

#include "esc.h"
#include "readme.h"
#include "xmalloc.h"

char *
readme_text(const struct evm_config *cfg)
{
	const struct evm_logopts	*o = &cfg->defaults;
	struct sbuf			 b;
	size_t				 i;

	sbuf_init(&b);
	sbuf_addf(&b,
"# Event logs of the operations scripts\n"
"\n"
"This directory (`%s`) holds the logs of the service's operations\n"
"scripts. Operators use them to diagnose failures, to see how long and how\n"
"well each script ran, and to trace what changed.\n"
"\n"
"| log | written by |\n"
"| --- | --- |\n"
"| `deploy/deploy.log` | the deployment script, one block per deployment |\n"
"| `backup/backup.log` | the backup script, one block per backup run |\n"
"| `config_update/config_update.log` | the configuration-update script |\n"
"| `error.log` | errors of every script, evmaint's own included |\n"
"| `NAME/NAME.log` | any other script: every `*.log` file here is kept |\n"
"\n"
"Scripts append with `>>`; nobody else should write here. Directories are\n"
"mode %04o, files %04o, owned by %s:%s.\n"
"\n"
"## How the tree is maintained\n"
"\n"
"`evmaint rotate` runs every night (cron or the `evmaint.timer` systemd\n"
"timer). Each log that has content and was not rotated today is moved\n"
"aside and replaced by an empty file in one atomic step, so a script\n"
"never finds its log missing. The tree keeps %d generation%s of each log,\n"
"%s. A generation that leaves the tree is first written into a verified\n"
"archive in `%s`.\n"
"\n"
"Configuration: `evmaint.conf(5)`. Manual: `evmaint(8)`. Do not add a\n"
"logrotate stanza for this tree: `evmaint status` warns if one exists.\n"
"\n"
"## Reading the logs\n"
"\n"
"```sh\n"
"tail -f %s/deploy/deploy.log            # live\n"
"%s %s/deploy/deploy.log.1%s         # last rotation\n"
"zgrep -h ERROR %s/deploy/deploy.log.*.gz  # all generations\n"
"evmaint status                          # sizes, last rotation, archives\n"
"```\n"
"\n"
"## Reading the archives\n"
"\n"
"Nightly archives (`event-YYYYMMDDTHHMMSS.tar`) hold the generations that\n"
"expired that night, named by the day they were rotated; snapshots taken\n"
"with `evmaint archive` (`.tar.gz`) hold the whole tree as it was.\n"
"\n"
"```sh\n"
"cd %s\n"
"sha256sum -c event-20261125T020001.tar.sha256   # integrity\n"
"tar -tf event-20261125T020001.tar               # what is inside\n"
"tar -xOf event-20261125T020001.tar deploy/deploy.log-20261118.gz | zcat\n"
"tar -xzf event-20261125T120000.tar.gz -C /tmp/restore   # a snapshot\n"
"evmaint verify                                  # every .gz and archive\n"
"```\n",
	    cfg->root, (unsigned)cfg->dir_mode, (unsigned)cfg->mode, cfg->owner,
	    cfg->group, o->rotate, o->rotate == 1 ? "" : "s",
	    !o->compress ? "uncompressed" : o->delaycompress ?
	    "gzip-compressed from the second one on" : "gzip-compressed",
	    cfg->archive_dir, cfg->root,
	    o->compress && !o->delaycompress ? "zcat" : "cat", cfg->root,
	    o->compress && !o->delaycompress ? ".gz" : "", cfg->root,
	    cfg->archive_dir);
	if (cfg->nlogs > 0) {
		sbuf_adds(&b, "\n## Logs created by `evmaint init`\n\n");
		for (i = 0; i < cfg->nlogs; i++)
			sbuf_addf(&b, "- `%s`\n", cfg->logs[i]);
	}
	return sbuf_steal(&b);
}
