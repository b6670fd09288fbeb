/*
 * The intent journal parser on hostile bytes: a crash can leave any prefix
 * of a journal, and a disk any corruption. What it accepts must format back
 * to text that parses to the same journal (the replay trusts it).
 */
#include "config.h"

#include "esc.h"
#include "fuzz.h"
#include "journal.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journal	 j, k;
	struct sbuf	 a, b;
	char		*err = NULL, *err2 = NULL;

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
	sbuf_free(&a);
	sbuf_free(&b);
	journal_free(&j);
	journal_free(&k);
	free(err2);
	return 0;
}
