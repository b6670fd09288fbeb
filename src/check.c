/*
 * status --check (see check.h). The line is
 *	EVMAINT STATE - summary or items | perfdata
 * in the Nagios plugin guidelines' form: items most severe first, each
 * named by its kind, then the perfdata of every log and of archive_dir.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evmaint.h"
#include "check.h"
#include "esc.h"
#include "mon.h"
#include "xmalloc.h"

/*
 * Text before the '|': no '|' (it would start the perfdata; shown as \x7c,
 * as names' other bytes are escaped), no newline.
 */
static void
check_text(struct sbuf *b, const char *s)
{
	struct sbuf	e;
	char		*p;

	sbuf_init(&e);
	sbuf_add(&e, "", 0);
	esc_human(&e, s);
	for (p = e.s; *p != '\0'; p++)
		if (*p == '|')
			sbuf_adds(b, "\\x7c");
		else
			sbuf_add(b, p, 1);
	sbuf_free(&e);
}

/*
 * A perfdata label: quoted, a quote doubled, no '=' (the guidelines) nor
 * '|' (which naive parsers split on): \x3d and \x7c, as names' other bytes.
 */
static void
check_label(struct sbuf *b, const char *s)
{
	struct sbuf	 e;
	const char	*p;

	sbuf_init(&e);
	sbuf_add(&e, "", 0);
	esc_human(&e, s);
	sbuf_adds(b, "'");
	for (p = e.s; *p != '\0'; p++) {
		if (*p == '\'')
			sbuf_adds(b, "''");
		else if (*p == '=')
			sbuf_adds(b, "\\x3d");
		else if (*p == '|')
			sbuf_adds(b, "\\x7c");
		else
			sbuf_add(b, p, 1);
	}
	sbuf_adds(b, "'");
	sbuf_free(&e);
}

static void
check_perfdata(const struct mon *m, struct sbuf *b)
{
	const struct run_rec	*ok = m->last_good;
	size_t			 i, start = b->len;

	sbuf_adds(b, " |");
	if (ok != NULL)
		sbuf_addf(b, " 'last_rotate_age'=%llds;;%lld;0",
		    (long long)(m->ctx->now - ok->start),
		    m->ctx->cfg->check_max_age);
	for (i = 0; m->scanned && i < m->scan.nlogs; i++) {
		const struct log *l = &m->scan.logs[i];

		sbuf_adds(b, " ");
		check_label(b, l->rel);
		sbuf_addf(b, "=%lldB;;;0", l->exists ?
		    (long long)l->st.st_size : 0LL);
	}
	if (m->arc_ok) {
		sbuf_addf(b, " 'archive_dir'=%lluB;;;0 'archives'=%zu;;;0",
		    (unsigned long long)m->arc_bytes, m->narc);
		if (m->arc_vfs)
			sbuf_addf(b, " 'archive_dir_free'=%lluB;;;0;%llu",
			    (unsigned long long)m->arc_free,
			    (unsigned long long)m->arc_total);
	}
	if (b->len == start + 2) {	/* nothing measured */
		b->len = start;
		b->s[start] = '\0';
	}
}

/* Prints the line; returns the plugin's exit status. */
int
check_print(const struct mon *m, FILE *fp)
{
	const struct run_rec	*ok = m->last_good;
	enum mon_sev		 worst = mon_worst(m);
	struct sbuf		 b;
	char			 when[40];
	size_t			 i;

	sbuf_init(&b);
	sbuf_addf(&b, "EVMAINT %s - ", mon_sev_name(worst));
	if (m->nitems == 0) {
		if (ok != NULL)
			clock_iso8601(ok->start, when, sizeof when);
		sbuf_addf(&b, "%zu log%s, last rotate %s", m->scan.nlogs,
		    m->scan.nlogs == 1 ? "" : "s", ok ? when : "never");
	}
	for (i = 0; i < m->nitems; i++) {
		const struct mon_item *it = &m->items[i];

		/* the severity where it changes: "...; WARNING backlog: ..." */
		if (i > 0)
			sbuf_adds(&b, "; ");
		if (it->sev != (i ? m->items[i - 1].sev : worst))
			sbuf_addf(&b, "%s ", mon_sev_name(it->sev));
		sbuf_addf(&b, "%s: ", it->kind);
		if (it->path != NULL) {
			check_text(&b, it->path);
			sbuf_adds(&b, " ");
		}
		check_text(&b, it->msg);
	}
	if (worst != MON_UNKNOWN)
		check_perfdata(m, &b);
	fprintf(fp, "%s\n", b.s);
	sbuf_free(&b);
	return (int)worst;
}

/* When there is nothing to judge: the config cannot be read. */
int
check_unknown(FILE *fp, const char *why)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "EVMAINT UNKNOWN - ");
	check_text(&b, why);
	fprintf(fp, "%s\n", b.s);
	sbuf_free(&b);
	return MON_UNKNOWN;
}
