/*
 * The one way evmaint loads a library on first use (codec-dl.c for zlib,
 * libdeflate and nettle, arc-dl.c for libarchive): dlopen by SONAME with
 * RTLD_NOW | RTLD_LOCAL, each function by dlsym, and on failure the words
 * an operator needs, while dlerror still has them.
 */
#ifndef DL_H
#define DL_H

#define DL_WHY_MAX	512	/* "libz.so.1: cannot resolve inflate: ..." */

/*
 * The library, or NULL with why (DL_WHY_MAX bytes) set to "SONAME: cannot
 * load: WHY", WHY being dlerror's (it names the file it tried).
 */
void	*dl_open(const char *soname, char *why);

/*
 * sym in h, or NULL with why set to "SONAME: cannot resolve SYM: WHY" and
 * h closed: a library that lacks one function is not used for the others.
 */
void	*dl_sym(void *h, const char *soname, const char *sym, char *why);

#endif
