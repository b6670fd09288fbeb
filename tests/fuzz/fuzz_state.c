/*
 * The state file parser on hostile bytes. What it accepts must survive a
 * round trip: formatted and parsed again it is the same state, since the
 * next run reads back what this one wrote.
 */
#include "config.h"

#include "esc.h"
#include "fuzz.h"
#include "state.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state	 s, t;
	struct sbuf	 b;
	char		*err = NULL, *err2 = NULL;

	if (state_parse(&s, (const char *)data, size, &err) != 0) {
		FUZZ_ASSERT(err != NULL);
		free(err);
		return 0;
	}
	sbuf_init(&b);
	state_format(&s, &b);
	FUZZ_ASSERT(state_parse(&t, b.s, b.len, &err2) == 0);
	FUZZ_ASSERT(state_equal(&s, &t));
	for (size_t i = 0; i < s.nlogs; i++) {
		FUZZ_ASSERT(state_get(&t, s.logs[i].rel, false) != NULL);
		for (size_t k = 0; k < s.logs[i].ngens; k++)
			FUZZ_ASSERT(state_tag(&s.logs[i],
			    s.logs[i].gens[k].num) != NULL);
	}
	sbuf_free(&b);
	state_free(&s);
	state_free(&t);
	free(err);
	free(err2);
	return 0;
}
