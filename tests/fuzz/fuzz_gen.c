/*
 * Generation names and date tags: every file name in the tree reaches
 * gen_parse, so any bytes are fair. A name it accepts must be rebuilt
 * exactly from its parts (base, number or tag, .gz), or a shift would move
 * a file it did not mean to.
 */
#include "config.h"

#include "fuzz.h"
#include "gen.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_name	 g;
	char		*name, *base, *again;

	name = fuzz_cstr(data, size);
	if (gen_parse(name, &g)) {
		FUZZ_ASSERT(g.baselen > 0 && g.baselen < strlen(name));
		base = strndup(name, g.baselen);
		FUZZ_ASSERT(base != NULL);
		if (g.form == GEN_NUM) {
			FUZZ_ASSERT(g.num >= 1 && g.num <= GEN_NUM_MAX);
			again = gen_name_num(base, g.num, g.gz);
		} else {
			FUZZ_ASSERT(gen_tag_valid(g.tag));
			FUZZ_ASSERT(gen_tag_day(g.tag) > 0);
			again = gen_name_date(base, g.tag, g.gz);
		}
		FUZZ_ASSERT(strcmp(again, name) == 0);
		free(again);
		free(base);
	}
	if (gen_tag_valid(name))
		FUZZ_ASSERT(gen_tag_day(name) > 0);
	(void)gen_is_log_name(name);
	free(name);
	return 0;
}
