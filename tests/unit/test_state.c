/*
 * Unit tests of state.c: lookups through the index stay right across its
 * rebuilds, records keep the order they were added in (the file's order),
 * parsing refuses a repeated record, and an adopted generation's mark
 * ("~") survives a round trip.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "esc.h"
#include "state.h"

#define NLOGS 5000

static void
name_of(int i, char *buf, size_t len)
{
	snprintf(buf, len, "dir%03d/script%d.log", i % 100, i);
}

static void
test_many(void **unused)
{
	struct state	 s;
	struct state_log *l;
	char		 name[64];
	int		 i;

	(void)unused;
	memset(&s, 0, sizeof s);
	assert_null(state_get(&s, "deploy/deploy.log", false));
	for (i = 0; i < NLOGS; i++) {
		name_of(i, name, sizeof name);
		l = state_get(&s, name, true);
		assert_non_null(l);
		l->last = 1000 + i;
	}
	assert_int_equal(s.nlogs, NLOGS);
	for (i = 0; i < NLOGS; i++) {
		name_of(i, name, sizeof name);
		l = state_get(&s, name, false);
		assert_non_null(l);
		assert_string_equal(l->rel, name);
		assert_int_equal(l->last, 1000 + i);
		/* insertion order is the file's order */
		assert_ptr_equal(l, &s.logs[i]);
		/* asking to create an existing one returns it, adds nothing */
		assert_ptr_equal(state_get(&s, name, true), l);
	}
	assert_int_equal(s.nlogs, NLOGS);
	assert_null(state_get(&s, "dir000/script0.log.1", false));
	assert_null(state_get(&s, "", false));
	state_free(&s);
	assert_null(state_get(&s, "dir000/script0.log", false));
}

static void
test_roundtrip(void **unused)
{
	struct state	 s, t;
	struct sbuf	 b;
	char		*err = NULL;
	char		 name[64];
	int		 i;

	(void)unused;
	memset(&s, 0, sizeof s);
	memset(&t, 0, sizeof t);
	for (i = 0; i < 300; i++) {
		name_of(i, name, sizeof name);
		state_get(&s, name, true)->last = 1764032401 + i;
	}
	assert_int_equal(state_parse_gens(state_get(&s, "dir007/script7.log",
	    false), "1:20261125,2:20261124_101500"), 0);
	sbuf_init(&b);
	state_format(&s, &b);
	assert_int_equal(state_parse(&t, b.s, b.len, &err), 0);
	assert_null(err);
	assert_true(state_equal(&s, &t));
	assert_string_equal(state_tag(state_get(&t, "dir007/script7.log",
	    false), 2), "20261124_101500");
	sbuf_free(&b);
	state_free(&s);
	state_free(&t);
}

static void
test_repeated(void **unused)
{
	static const char text[] = "evmaint-state 1\n"
	    "log a.log 10 -\n"
	    "log b.log 11 -\n"
	    "log a.log 12 -\n";
	struct state	 s;
	char		*err = NULL;

	(void)unused;
	memset(&s, 0, sizeof s);
	assert_int_not_equal(state_parse(&s, text, sizeof text - 1, &err), 0);
	assert_non_null(err);
	assert_non_null(strstr(err, "line 4"));
	free(err);
	state_free(&s);
}

/* The last run's time: kept through a round trip, refused when repeated. */
static void
test_run(void **unused)
{
	static const char text[] = "evmaint-state 1\n"
	    "run 1764032401\n"
	    "log a.log 10 1:20261025_023000_01\n";
	static const char twice[] = "evmaint-state 1\n"
	    "run 1\n"
	    "run 2\n";
	struct state	 s, t;
	struct sbuf	 b;
	char		*err = NULL;

	(void)unused;
	assert_int_equal(state_parse(&s, text, sizeof text - 1, &err), 0);
	assert_int_equal(s.run, 1764032401);
	assert_string_equal(state_tag(state_get(&s, "a.log", false), 1),
	    "20261025_023000_01");
	sbuf_init(&b);
	state_format(&s, &b);
	assert_string_equal(b.s, text);
	assert_int_equal(state_parse(&t, b.s, b.len, &err), 0);
	assert_true(state_equal(&s, &t));
	t.run++;
	assert_false(state_equal(&s, &t));
	sbuf_free(&b);
	state_free(&s);
	state_free(&t);
	assert_int_not_equal(state_parse(&s, twice, sizeof twice - 1, &err), 0);
	assert_non_null(strstr(err, "line 3"));
	free(err);
}

static void
test_adopted(void **unused)
{
	struct state_log	 l;
	struct sbuf		 b;
	char			*out;

	(void)unused;
	memset(&l, 0, sizeof l);
	assert_int_equal(state_parse_gens(&l,
	    "1:20261125,3:20261120~,4:20261119_230000~"), 0);
	assert_int_equal(l.ngens, 3);
	assert_false(l.gens[0].adopted);
	assert_true(l.gens[1].adopted);
	assert_string_equal(l.gens[1].tag, "20261120");
	assert_true(state_gen_find(&l, 4)->adopted);
	assert_string_equal(state_tag(&l, 4), "20261119_230000");
	assert_null(state_gen_find(&l, 2));
	sbuf_init(&b);
	state_format_gens(&l, &b);
	out = sbuf_steal(&b);
	assert_string_equal(out, "1:20261125,3:20261120~,4:20261119_230000~");
	free(out);
	/* a mark alone, twice, or inside a tag is no tag */
	assert_int_equal(state_parse_gens(&l, "1:~"), -1);
	assert_int_equal(state_parse_gens(&l, "1:20261125~~"), -1);
	assert_int_equal(state_parse_gens(&l, "1:2026~1125"), -1);
	free(l.gens);
}

/* Tags taken: those of the first `n` bumps from the base time. */
struct taken {
	char	tags[8][32];
	int	n;
	int	asked;
};

static bool
taken_used(void *arg, const char *tag)
{
	struct taken	*t = arg;
	int		 i;

	t->asked++;
	for (i = 0; i < t->n; i++)
		if (strcmp(t->tags[i], tag) == 0)
			return true;
	return false;
}

/*
 * state_tag_pick_from starting past the bumps known taken gives the tag
 * state_tag_pick finds by trying each, after one look instead of four.
 */
static void
test_tag_pick_from(void **state)
{
	struct taken	 t = { .n = 0 };
	char		 tag[32], want[32];
	time_t		 base = 1793786400, bump;	/* 2026-11-04 */

	(void)state;
	setenv("TZ", "Europe/Paris", 1);
	tzset();
	for (t.n = 0; t.n < 3; t.n++) {
		bump = state_tag_pick_from(base, true, t.n, taken_used, &t,
		    t.tags[t.n], sizeof t.tags[t.n]);
		assert_int_equal(bump, t.n);
	}
	assert_string_equal(t.tags[0], "20261104");
	assert_string_equal(t.tags[1], "20261104_110001");
	t.asked = 0;
	state_tag_pick(base, true, taken_used, &t, want, sizeof want);
	assert_int_equal(t.asked, 4);
	t.asked = 0;
	bump = state_tag_pick_from(base, true, 3, taken_used, &t, tag,
	    sizeof tag);
	assert_int_equal(bump, 3);
	assert_int_equal(t.asked, 1);
	assert_string_equal(tag, want);
	assert_string_equal(tag, "20261104_110003");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_repeated),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_adopted),
		cmocka_unit_test(test_tag_pick_from),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
