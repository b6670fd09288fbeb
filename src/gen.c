/*
 * Generation names (see gen.h). Parsing is by shape only; whether the base
 * is a log in the same directory is the scanner's question.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "xmalloc.h"

static bool
gen_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * 20261118, 20261118_143000, or 20261025_023000_01 (a later rotation whose
 * time of day would not sort after the day's newest: the hour repeated when
 * DST ends, a clock stepped back), with a plausible date and time.
 */
bool
gen_tag_valid(const char *t)
{
	size_t	n = strlen(t);
	int	mon, day, hh, mm, ss;

	if (n == GEN_TAG_SEQ_LEN) {
		if (t[15] != '_' || !gen_digits(t + 16, 2) ||
		    (t[16] == '0' && t[17] == '0'))
			return false;
		n = 15;
	}
	if ((n != 8 && n != 15) || !gen_digits(t, 8))
		return false;
	mon = (t[4] - '0') * 10 + (t[5] - '0');
	day = (t[6] - '0') * 10 + (t[7] - '0');
	if (mon < 1 || mon > 12 || day < 1 || day > 31)
		return false;
	if (n == 8)
		return true;
	if (t[8] != '_' || !gen_digits(t + 9, 6))
		return false;
	hh = (t[9] - '0') * 10 + (t[10] - '0');
	mm = (t[11] - '0') * 10 + (t[12] - '0');
	ss = (t[13] - '0') * 10 + (t[14] - '0');
	return hh < 24 && mm < 60 && ss < 61;
}

int
gen_tag_day(const char *t)
{
	return atoi((char[9]){ t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7],
	    '\0' });
}

/*
 * Splits "deploy.log.3.gz" into base "deploy.log", number 3, gz; and
 * "deploy.log-20261118_143000" into base and tag. Numbers have no leading
 * zero, as logrotate writes them.
 */
bool
gen_parse(const char *name, struct gen_name *g)
{
	size_t	n = strlen(name), i;
	long	v;

	memset(g, 0, sizeof *g);
	if (n > 3 && strcmp(name + n - 3, ".gz") == 0) {
		g->gz = true;
		n -= 3;
	}
	/* numbered: BASE.N */
	for (i = n; i > 0 && isdigit((unsigned char)name[i - 1]); i--)
		;
	if (i < n && i > 1 && name[i - 1] == '.' && name[i] != '0' &&
	    n - i <= 5) {
		v = 0;
		for (size_t k = i; k < n; k++)
			v = v * 10 + (name[k] - '0');
		g->form = GEN_NUM;
		g->num = (int)v;
		g->baselen = i - 1;
		return true;
	}
	/* dated: BASE-YYYYMMDD or BASE-YYYYMMDD_HHMMSS */
	for (size_t tl = 8; tl <= GEN_TAG_SEQ_LEN; tl += tl == 8 ? 7 : 3) {
		if (n > tl + 1 && name[n - tl - 1] == '-') {
			memcpy(g->tag, name + n - tl, tl);
			g->tag[tl] = '\0';
			if (gen_tag_valid(g->tag)) {
				g->form = GEN_DATE;
				g->baselen = n - tl - 1;
				return true;
			}
		}
	}
	memset(g, 0, sizeof *g);
	return false;
}

char *
gen_name_num(const char *log, int num, bool gz)
{
	char *s;

	xasprintf(&s, "%s.%d%s", log, num, gz ? ".gz" : "");
	return s;
}

char *
gen_name_date(const char *log, const char *tag, bool gz)
{
	char *s;

	xasprintf(&s, "%s-%s%s", log, tag, gz ? ".gz" : "");
	return s;
}

/* Every regular file named *.log is a log; ".log" alone is not. */
bool
gen_is_log_name(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, ".log") == 0;
}
