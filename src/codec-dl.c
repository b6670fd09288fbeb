/*
 * Loads zlib, libdeflate and nettle by their SONAMEs on first use and
 * resolves the functions gz.c, gzb.c and hash.c call (see codec-dl.h).
 * Built without --enable-dlopen, they are linked and nothing is loaded
 * here.
 */
#include "config.h"

#include "codec-dl.h"

static codec_dl_fail_fn	*codec_dl_fail;
static void		*codec_dl_fail_arg;

void
codec_dl_on_fail(codec_dl_fail_fn *fn, void *arg)
{
	codec_dl_fail = fn;
	codec_dl_fail_arg = arg;
}

#ifdef EVM_DLOPEN

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void __attribute__((noreturn))	codec_dl_die(const char *,
					    const char *);

/*
 * What xmalloc does when memory runs out, for the same reason: the
 * message, then exit 1 with no cleanup that could touch the tree (a worker
 * may be the one here, mid-step; the journal finishes the work on the
 * next run).
 */
static void
codec_dl_die(const char *soname, const char *sym)
{
	char		 msg[512];
	const char	*why = dlerror();
	int		 n;

	if (why == NULL)
		why = "not found";
	if (sym != NULL)
		n = snprintf(msg, sizeof msg, "%s: cannot resolve %s: %s; "
		    "nothing more is done in this run", soname, sym, why);
	else
		n = snprintf(msg, sizeof msg, "%s: cannot load: %s; nothing "
		    "more is done in this run", soname, why);
	if (n < 0)
		_exit(1);
	if (codec_dl_fail != NULL)
		codec_dl_fail(codec_dl_fail_arg, msg);
	else {
		(void)!write(STDERR_FILENO, "evmaint: error: ", 16);
		(void)!write(STDERR_FILENO, msg, strlen(msg));
		(void)!write(STDERR_FILENO, "\n", 1);
	}
	_exit(1);
}

/*
 * Fills T from the library, all or nothing (the table is written once,
 * whole, inside pthread_once, and read only after it).
 */
#define CODEC_DL_RESOLVE(f)	CODEC_DL_RESOLVE_(f)	/* see CODEC_DL_MEMBER */
#define CODEC_DL_RESOLVE_(f) \
	(void)dlerror(); \
	if ((p = dlsym(h, #f)) == NULL) \
		codec_dl_die(soname, #f); \
	t.p_##f = (__typeof__(t.p_##f))p;

#define CODEC_DL_LOADER(name, soname_, FUNCS) \
static struct codec_dl_##name	codec_dl_##name##_t; \
static pthread_once_t		codec_dl_##name##_once = PTHREAD_ONCE_INIT; \
\
static void \
codec_dl_##name##_load(void) \
{ \
	const char		*soname = soname_; \
	struct codec_dl_##name	 t; \
	void			*h, *p; \
\
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) \
		codec_dl_die(soname, NULL); \
	FUNCS(CODEC_DL_RESOLVE) \
	codec_dl_##name##_t = t; \
} \
\
struct codec_dl_##name * \
codec_dl_##name(void) \
{ \
	(void)pthread_once(&codec_dl_##name##_once, codec_dl_##name##_load); \
	return &codec_dl_##name##_t; \
}

CODEC_DL_LOADER(zlib, CODEC_DL_ZLIB, CODEC_DL_ZLIB_FUNCS)
#ifdef HAVE_LIBDEFLATE
CODEC_DL_LOADER(deflate, CODEC_DL_DEFLATE, CODEC_DL_DEFLATE_FUNCS)
#endif
CODEC_DL_LOADER(nettle, CODEC_DL_NETTLE, CODEC_DL_NETTLE_FUNCS)

#endif /* EVM_DLOPEN */
