/*
 * A growing string buffer, always NUL-terminated once anything was added;
 * sbuf_steal hands the string over and leaves the buffer empty.
 */
#ifndef SBUF_H
#define SBUF_H

#include <stddef.h>

struct sbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

void	 sbuf_init(struct sbuf *);
void	 sbuf_free(struct sbuf *);
void	 sbuf_add(struct sbuf *, const void *, size_t);
void	 sbuf_adds(struct sbuf *, const char *);
void	 sbuf_addf(struct sbuf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
char	*sbuf_steal(struct sbuf *);

#endif
