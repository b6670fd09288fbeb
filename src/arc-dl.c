/*
 * Loads libarchive by its SONAME on first use and resolves the functions
 * arc-read.c and arc-write.c call (see arc-dl.h). Built without
 * --enable-dlopen, libarchive is linked and there is nothing to load.
 */
#include "config.h"

#define ARC_DL_IMPL
#include "arc-dl.h"

#ifdef EVM_DLOPEN

#include <pthread.h>

#include "codec-dl.h"
#include "dl.h"
#include "xmalloc.h"

struct arc_dl_table arc_dl;

static pthread_once_t	 arc_dl_once = PTHREAD_ONCE_INIT;
static char		*arc_dl_err;	/* NULL: loaded */

static void
arc_dl_init(void)
{
	struct arc_dl_table	 t;
	char			 why[DL_WHY_MAX];
	void			*h, *p;

	codec_dl_preload();	/* before their dependent: see codec-dl.h */
	if ((h = dl_open(ARC_DL_SONAME, why)) == NULL) {
		arc_dl_err = xstrdup(why);
		return;
	}
#define ARC_DL_RESOLVE(f) \
	if ((p = dl_sym(h, ARC_DL_SONAME, "archive_" #f, why)) == NULL) { \
		arc_dl_err = xstrdup(why); \
		return; \
	} \
	t.f = (__typeof__(t.f))p;
	ARC_DL_FUNCS(ARC_DL_RESOLVE)
#undef ARC_DL_RESOLVE
	/* all or nothing: a half-filled table is never seen */
	arc_dl = t;
}

int
arc_dl_load(char **err)
{
	*err = NULL;
	(void)pthread_once(&arc_dl_once, arc_dl_init);
	if (arc_dl_err == NULL)
		return 0;
	*err = xstrdup(arc_dl_err);
	return -1;
}

#else /* !EVM_DLOPEN */

int
arc_dl_load(char **err)
{
	*err = NULL;
	return 0;
}

#endif
