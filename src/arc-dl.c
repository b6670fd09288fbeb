/*
 * Loads libarchive by its SONAME on first use and resolves the functions
 * arc-read.c and arc-write.c call (see arc-dl.h). Built without
 * --enable-dlopen, libarchive is linked and there is nothing to load.
 */
#include "config.h"

#define ARC_DL_IMPL
#include "arc-dl.h"

#ifdef EVM_DLOPEN

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>

#include "codec-dl.h"
#include "xmalloc.h"

struct arc_dl_table arc_dl;

static pthread_once_t	 arc_dl_once = PTHREAD_ONCE_INIT;
static char		*arc_dl_err;	/* NULL: loaded */

static void	arc_dl_init(void);
static void	arc_dl_fail(void *, const char *);

/* dlerror names the file and the symbol; the message says it is ours. */
static void
arc_dl_fail(void *h, const char *sym)
{
	const char *why = dlerror();

	if (sym != NULL)
		xasprintf(&arc_dl_err, "libarchive (%s): cannot resolve %s: %s",
		    ARC_DL_SONAME, sym, why != NULL ? why : "not found");
	else
		xasprintf(&arc_dl_err, "libarchive (%s): cannot load: %s",
		    ARC_DL_SONAME, why != NULL ? why : "not found");
	if (h != NULL)
		(void)dlclose(h);
}

static void
arc_dl_init(void)
{
	struct arc_dl_table	 t;
	void			*h, *p;

	codec_dl_preload();	/* before their dependent: see codec-dl.h */
	if ((h = dlopen(ARC_DL_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		arc_dl_fail(NULL, NULL);
		return;
	}
#define ARC_DL_RESOLVE(f) \
	(void)dlerror(); \
	if ((p = dlsym(h, "archive_" #f)) == NULL) { \
		arc_dl_fail(h, "archive_" #f); \
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
