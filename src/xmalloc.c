/*
 * Allocation wrappers: out of memory ends the run with exit 1 before any
 * half-done change, since every change evmaint makes is restartable.
 */
#include "config.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xmalloc.h"

static void __attribute__((noreturn))
xmalloc_die(void)
{
	static const char msg[] = "evmaint: out of memory\n";

	(void)!write(STDERR_FILENO, msg, sizeof msg - 1);
	_exit(1);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		xmalloc_die();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		xmalloc_die();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		xmalloc_die();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	p = reallocarray(p, n ? n : 1, size ? size : 1);
	if (p == NULL)
		xmalloc_die();
	return p;
}

/*
 * An array that grows one element at a time, at amortised constant cost:
 * the capacity is what the allocator holds, so callers keep only a count.
 * Growing by one on every append copies the array each time (realloc under
 * ASan always does), which made 60,000 logs quadratic.
 */
void *
xgrowarray(void *p, size_t n, size_t size)
{
	size_t have;

	have = p != NULL && size != 0 ? malloc_usable_size(p) / size : 0;
	if (n <= have)
		return p;
	if (n < have * 2)
		n = have * 2;
	return xreallocarray(p, n, size);
}

char *
xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		xmalloc_die();
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		xmalloc_die();
	return p;
}

int
xasprintf(char **out, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	if (n < 0)
		xmalloc_die();
	return n;
}
