/*
 * Escaping of file names for every place they leave the program: JSON,
 * human output and syslog (bytes that are not valid UTF-8 become \xNN), and
 * the state and journal files (percent-encoding, reversible).
 */
#ifndef ESC_H
#define ESC_H

#include <stdbool.h>
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

size_t	 esc_utf8_len(const unsigned char *, size_t);
void	 esc_json(struct sbuf *, const char *);
void	 esc_human(struct sbuf *, const char *);
char	*esc_human_dup(const char *);
void	 esc_pct(struct sbuf *, const char *);
char	*esc_unpct(const char *);

#endif
