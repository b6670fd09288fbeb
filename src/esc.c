/*
 * Escaping of file names. A name is bytes; output must stay valid UTF-8 and
 * free of terminal control sequences, so invalid sequences and control bytes
 * are written as \xNN (evmaint(8), OUTPUT, File names). The state and journal
 * files use percent-encoding instead, which round-trips exactly.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "xmalloc.h"

/*
 * Length of the valid UTF-8 sequence at p (1..4), or 0 when the bytes there
 * do not start one (overlong forms, surrogates and values above U+10FFFF are
 * invalid, as in RFC 3629).
 */
size_t
esc_utf8_len(const unsigned char *p, size_t avail)
{
	unsigned	c = p[0];
	size_t		n, i;
	unsigned	cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

void
esc_json(struct sbuf *b, const char *str)
{
	const unsigned char	*p = (const unsigned char *)str;
	size_t			 left = strlen(str), n;

	while (left > 0) {
		n = esc_utf8_len(p, left);
		if (n == 0)
			sbuf_addf(b, "\\\\x%02x", *p), n = 1;
		else if (*p == '"' || *p == '\\')
			sbuf_addf(b, "\\%c", *p);
		else if (*p == '\n')
			sbuf_adds(b, "\\n");
		else if (*p == '\t')
			sbuf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			sbuf_addf(b, "\\u%04x", *p);
		else
			sbuf_add(b, p, n);
		p += n;
		left -= n;
	}
}

void
esc_human(struct sbuf *b, const char *str)
{
	const unsigned char	*p = (const unsigned char *)str;
	size_t			 left = strlen(str), n;

	while (left > 0) {
		n = esc_utf8_len(p, left);
		if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			/* C1 controls (U+0080..U+009F): CSI is U+009B */
			sbuf_addf(b, "\\x%02x\\x%02x", p[0], p[1]);
		} else if (n == 0 || *p < 0x20 || *p == 0x7f) {
			sbuf_addf(b, "\\x%02x", *p);
			n = 1;
		} else
			sbuf_add(b, p, n);
		p += n;
		left -= n;
	}
}

char *
esc_human_dup(const char *s)
{
	struct sbuf b;

	sbuf_init(&b);
	esc_human(&b, s);
	return sbuf_steal(&b);
}

void
esc_pct(struct sbuf *b, const char *str)
{
	const unsigned char *p;

	for (p = (const unsigned char *)str; *p != '\0'; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%')
			sbuf_addf(b, "%%%02X", *p);
		else
			sbuf_add(b, p, 1);
	}
}

/* A hex digit's value, either case; -1 if C is not one. */
int
esc_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns NULL for a malformed or NUL-encoding string. */
char *
esc_unpct(const char *s)
{
	struct sbuf	b;
	int		hi, lo;
	char		c;

	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	for (; *s != '\0'; s++) {
		if (*s != '%') {
			if ((unsigned char)*s <= 0x20)
				goto bad;
			sbuf_add(&b, s, 1);
			continue;
		}
		if ((hi = esc_hexval(s[1])) < 0 || (lo = esc_hexval(s[2])) < 0)
			goto bad;
		c = (char)(hi << 4 | lo);
		if (c == '\0')
			goto bad;
		sbuf_add(&b, &c, 1);
		s += 2;
	}
	return sbuf_steal(&b);
bad:
	sbuf_free(&b);
	return NULL;
}
