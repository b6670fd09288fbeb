/*
 * Escaping of file names for every place they leave the program: JSON,
 * human output and syslog (bytes that are not valid UTF-8 become \xNN), and
 * the state and journal files (percent-encoding, reversible).
 */
#ifndef ESC_H
#define ESC_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

size_t	 esc_utf8_len(const unsigned char *, size_t);
void	 esc_json(struct sbuf *, const char *);
void	 esc_human(struct sbuf *, const char *);
char	*esc_human_dup(const char *);
void	 esc_pct(struct sbuf *, const char *);
char	*esc_unpct(const char *);

int	 esc_hexval(int);

#endif
