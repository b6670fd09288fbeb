/*
 * The intent journal parser on hostile bytes: a crash can leave any prefix
 * of a journal, and a disk any corruption. What it accepts must format back
 * to text that parses to the same journal; and the validator that stands
 * between it and the replay (journal_check) must give the same verdict on
 * both, and let through only steps on names of the logs it was told of.
 */
#include "config.h"

#include "esc.h"
#include "fsx.h"
#include "fuzz.h"
#include "gen.h"
#include "journal.h"

/*
 * The tree the fuzzer pretends to have: any *.log path is a log, dateext
 * when its name begins with "backup" (as in the seeds' tree).
 */
static bool
fuzz_is_log(void *arg, const char *rel, bool *dateext)
{
	const char	*base = strrchr(rel, '/');
	size_t		 n = strlen(rel);

	(void)arg;
	base = base != NULL ? base + 1 : rel;
	*dateext = strncmp(base, "backup", 6) == 0;
	return n > 4 && strcmp(rel + n - 4, ".log") == 0;
}

static bool
fuzz_no_dotdot(const char *rel)
{
	const char *p;

	for (p = rel; (p = strstr(p, "..")) != NULL; p++)
		if ((p == rel || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return false;
	return rel[0] != '/';
}

/* What a journal that passed may contain, checked independently. */
static void
fuzz_check_passed(const struct journal *j)
{
	struct gen_name	 gn;
	const char	*base;
	size_t		 i, k;

	for (i = 0; i < j->nlogs; i++) {
		const struct jr_log	*l = &j->logs[i];
		const struct jr_step	*x;

		FUZZ_ASSERT(fuzz_no_dotdot(l->rel));
		FUZZ_ASSERT(l->nsteps >= 2);
		base = strrchr(l->rel, '/');
		base = base != NULL ? base + 1 : l->rel;
		x = &l->steps[l->nsteps - 1];
		FUZZ_ASSERT(x->kind == JR_EXCHANGE && strcmp(x->b, base) == 0);
		FUZZ_ASSERT(fsx_is_tmp_name(l->steps[l->nsteps - 2].a));
		for (k = 0; k < l->nsteps; k++) {
			FUZZ_ASSERT(strcmp(l->steps[k].a, "..") != 0);
			FUZZ_ASSERT(strcmp(l->steps[k].b, "..") != 0);
			FUZZ_ASSERT(strncmp(l->steps[k].b, base,
			    strlen(base)) == 0);
			if (k + 2 < l->nsteps)
				FUZZ_ASSERT(l->steps[k].kind == JR_RENAME &&
				    gen_parse(l->steps[k].a, &gn) &&
				    gn.form == GEN_NUM);
		}
	}
	for (i = 0; i < j->nmembers; i++) {
		FUZZ_ASSERT(fuzz_no_dotdot(j->members[i].dirrel));
		FUZZ_ASSERT(gen_parse(j->members[i].file, &gn));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal	 j, k;
	struct jr_tree	 jt = { fuzz_is_log, NULL };
	struct sbuf	 a, b;
	char		*err = NULL, *err2 = NULL, *why = NULL, *why2 = NULL;
	int		 v1, v2;

	if (journal_parse(&j, (const char *)data, size, &err) != 0) {
		FUZZ_ASSERT(err != NULL);
		free(err);
		return 0;
	}
	FUZZ_ASSERT(j.root != NULL);
	sbuf_init(&a);
	sbuf_init(&b);
	journal_format(&j, &a);
	FUZZ_ASSERT(journal_parse(&k, a.s, a.len, &err2) == 0);
	journal_format(&k, &b);
	FUZZ_ASSERT(a.len == b.len && memcmp(a.s, b.s, a.len) == 0);
	FUZZ_ASSERT(j.nlogs == k.nlogs && j.nmembers == k.nmembers);

	v1 = journal_check(&j, &jt, &why);
	v2 = journal_check(&k, &jt, &why2);
	FUZZ_ASSERT(v1 == v2 && (v1 == 0 || v1 == -1));
	FUZZ_ASSERT((v1 == -1) == (why != NULL) && (why == NULL) ==
	    (why2 == NULL));
	if (v1 == 0)
		fuzz_check_passed(&j);
	free(why);
	free(why2);
	sbuf_free(&a);
	sbuf_free(&b);
	journal_free(&j);
	journal_free(&k);
	free(err2);
	return 0;
}
