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

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dl.h"

/* A library that could not be loaded: what to say when it is needed. */
struct codec_dl_fail {
	bool	failed;
	char	msg[DL_WHY_MAX];
};

static void __attribute__((noreturn))	codec_dl_die(const char *);

/*
 * What xmalloc does when memory runs out, for the same reason: the
 * message, then exit 1 with no cleanup that could touch the tree (a worker
 * may be the one here, mid-step; the journal finishes the work on the
 * next run).
 */
static void
codec_dl_die(const char *why)
{
	char msg[DL_WHY_MAX + 64];

	(void)snprintf(msg, sizeof msg, "%s; nothing more is done in this run",
	    why);
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
 * whole, inside pthread_once, and read only after it); a failure is kept
 * for the first caller that needs the library.
 */
#define CODEC_DL_RESOLVE(f)	CODEC_DL_RESOLVE_(f)	/* see CODEC_DL_MEMBER */
#define CODEC_DL_RESOLVE_(f) \
	if ((p = dl_sym(h, soname, #f, fail->msg)) == NULL) { \
		fail->failed = true; \
		return; \
	} \
	t.p_##f = (__typeof__(t.p_##f))p;

#define CODEC_DL_LOADER(name, soname_, FUNCS) \
static struct codec_dl_##name	codec_dl_##name##_t; \
static struct codec_dl_fail	codec_dl_##name##_fail; \
static pthread_once_t		codec_dl_##name##_once = PTHREAD_ONCE_INIT; \
\
static void \
codec_dl_##name##_load(void) \
{ \
	const char		*soname = soname_; \
	struct codec_dl_fail	*fail = &codec_dl_##name##_fail; \
	struct codec_dl_##name	 t; \
	void			*h, *p; \
\
	if ((h = dl_open(soname, fail->msg)) == NULL) { \
		fail->failed = true; \
		return; \
	} \
	FUNCS(CODEC_DL_RESOLVE) \
	codec_dl_##name##_t = t; \
} \
\
struct codec_dl_##name * \
codec_dl_##name(void) \
{ \
	(void)pthread_once(&codec_dl_##name##_once, codec_dl_##name##_load); \
	if (codec_dl_##name##_fail.failed) \
		codec_dl_die(codec_dl_##name##_fail.msg); \
	return &codec_dl_##name##_t; \
}

CODEC_DL_LOADER(zlib, CODEC_DL_ZLIB, CODEC_DL_ZLIB_FUNCS)
#ifdef HAVE_LIBDEFLATE
CODEC_DL_LOADER(deflate, CODEC_DL_DEFLATE, CODEC_DL_DEFLATE_FUNCS)
#endif
CODEC_DL_LOADER(nettle, CODEC_DL_NETTLE, CODEC_DL_NETTLE_FUNCS)

void
codec_dl_preload(void)
{
	(void)pthread_once(&codec_dl_zlib_once, codec_dl_zlib_load);
	(void)pthread_once(&codec_dl_nettle_once, codec_dl_nettle_load);
}

#endif /* EVM_DLOPEN */
