/*
 * Generation names: numbered as logrotate writes them (deploy.log.3,
 * deploy.log.3.gz) or dated (deploy.log-20261118[_143000][.gz]), and the
 * date tags that name a generation in the nightly archives.
 */
#ifndef GEN_H
#define GEN_H

#include <stdbool.h>
#include <stddef.h>

#include "evmaint.h"

#define GEN_NUM_MAX 99999
#define GEN_TAG_SEQ_LEN 18	/* 20261025_023000_01 */

enum gen_form {
	GEN_NUM,
	GEN_DATE,
};

struct gen_name {
	size_t		baselen;	/* the log's name is name[0..baselen) */
	enum gen_form	form;
	int		num;		/* GEN_NUM */
	char		tag[EVM_TAG_MAX];/* GEN_DATE: 20261118 or 20261118_143000 */
	bool		gz;
};

bool	 gen_parse(const char *, struct gen_name *);
bool	 gen_tag_valid(const char *);
int	 gen_tag_day(const char *);
char	*gen_name_num(const char *, int, bool);
char	*gen_name_date(const char *, const char *, bool);
bool	 gen_is_log_name(const char *);

#endif
