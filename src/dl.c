/*
 * Loading a library on first use (see dl.h). Only built with
 * --enable-dlopen; the callers are the tables of codec-dl.c and arc-dl.c.
 */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>

#include "dl.h"

static const char *
dl_why(void)
{
	const char *why = dlerror();

	return why != NULL ? why : "not found";
}

void *
dl_open(const char *soname, char *why)
{
	void *h;

	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL)
		(void)snprintf(why, DL_WHY_MAX, "%s: cannot load: %s", soname,
		    dl_why());
	return h;
}

void *
dl_sym(void *h, const char *soname, const char *sym, char *why)
{
	void *p;

	(void)dlerror();
	if ((p = dlsym(h, sym)) == NULL) {
		(void)snprintf(why, DL_WHY_MAX, "%s: cannot resolve %s: %s",
		    soname, sym, dl_why());
		(void)dlclose(h);
	}
	return p;
}
