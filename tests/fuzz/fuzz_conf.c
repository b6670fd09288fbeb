/*
 * The config parser on hostile text: conf_load_string, then what evmaint
 * does with a config that parsed (the cross-key checks, check-config's
 * printout). Owners and groups go through getpwnam, as in a real run.
 */
#include "config.h"

#include "conf.h"
#include "fuzz.h"

static FILE *fuzz_null;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_null = fopen("/dev/null", "w");
	FUZZ_ASSERT(fuzz_null != NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf_errors	 errs = { NULL, 0 };
	struct evm_config	*cfg;
	char			*text;

	if (fuzz_null == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	text = fuzz_cstr(data, size);
	cfg = conf_new();
	if (conf_load_string(cfg, text, "fuzz.conf", &errs) == 0) {
		FUZZ_ASSERT(errs.n == 0);
		if (conf_finish(cfg, &errs) == 0) {
			conf_print(cfg, fuzz_null);
			for (size_t i = 0; i < cfg->nsections; i++)
				FUZZ_ASSERT(conf_check_relpath(
				    cfg->sections[i].path) == NULL);
		}
	} else
		FUZZ_ASSERT(errs.n > 0);	/* every refusal says why */
	(void)conf_check_relpath(text);
	conf_errors_free(&errs);
	conf_free(cfg);
	free(text);
	return 0;
}
