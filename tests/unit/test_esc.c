/*
 * Unit tests of esc.c and json.c: file names are bytes, output is valid
 * UTF-8. Checked against an independent UTF-8 table (RFC 3629) and a small
 * JSON reader written here, on fixed cases and on random byte strings.
 */
#include "config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "json.h"
#include "xmalloc.h"

static size_t	 ref_utf8_len(const unsigned char *, size_t);
static bool	 ref_utf8_valid(const char *, size_t);
static char	*ref_expected(const char *, bool);
static bool	 has_c1(const char *);
static char	*do_json(const char *);
static char	*do_human(const char *);
static char	*do_pct(const char *);
static void	 rand_name(char *, size_t, unsigned *);
static const char *jr_value(const char *, struct sbuf *);
static const char *jr_string(const char *, struct sbuf *);
static bool	 json_valid(const char *);
static char	*json_decode_string(const char *);

/* ------------------------------------------------------------ oracles */

/* RFC 3629's table of well-formed sequences, written out. */
static size_t
ref_utf8_len(const unsigned char *p, size_t n)
{
	static const struct { unsigned char lo0, hi0, lo1, hi1; size_t len; }
	    t[] = {
		{ 0x00, 0x7f, 0, 0, 1 },
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};
	size_t i, k;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (p[0] < t[i].lo0 || p[0] > t[i].hi0)
			continue;
		if (t[i].len == 1)
			return 1;
		if (n < t[i].len || p[1] < t[i].lo1 || p[1] > t[i].hi1)
			return 0;
		for (k = 2; k < t[i].len; k++)
			if (p[k] < 0x80 || p[k] > 0xbf)
				return 0;
		return t[i].len;
	}
	return 0;
}

static bool
ref_utf8_valid(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 k;

	while (n > 0) {
		if ((k = ref_utf8_len(p, n)) == 0)
			return false;
		p += k;
		n -= k;
	}
	return true;
}

/*
 * What a name must read as after escaping: valid UTF-8 as it is, any other
 * byte as \xNN; with human set, control characters (C0, DEL and C1) as \xNN
 * too, byte by byte.
 */
static char *
ref_expected(const char *s, bool human)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), k;
	struct sbuf		 b;

	sbuf_init(&b);
	while (n > 0) {
		k = ref_utf8_len(p, n);
		if (human && k == 2 && p[0] == 0xc2 && p[1] < 0xa0) {
			sbuf_addf(&b, "\\x%02x\\x%02x", p[0], p[1]);
			p += 2;
			n -= 2;
			continue;
		}
		if (k == 0 || (human && (*p < 0x20 || *p == 0x7f))) {
			sbuf_addf(&b, "\\x%02x", *p);
			k = 1;
		} else
			sbuf_add(&b, p, k);
		p += k;
		n -= k;
	}
	return sbuf_steal(&b);
}

/* Whether s holds a C1 control character (U+0080..U+009F) as UTF-8. */
static bool
has_c1(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n = strlen(s), k;

	while (n > 0) {
		k = ref_utf8_len(p, n);
		if (k == 2 && p[0] == 0xc2 && p[1] < 0xa0)
			return true;
		k = k ? k : 1;
		p += k;
		n -= k;
	}
	return false;
}

/* ------------------------------------------- a small strict JSON reader */

static const char *
jr_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static int
jr_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A string at p (at its opening quote), decoded into out if not NULL. */
static const char *
jr_string(const char *p, struct sbuf *out)
{
	size_t k;

	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		const unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL;		/* raw control character */
		if (c == '\\') {
			char e = p[1], ch;
			unsigned u = 0;
			int i, h;

			switch (e) {
			case '"': case '\\': case '/': ch = e; break;
			case 'b': ch = '\b'; break;
			case 'f': ch = '\f'; break;
			case 'n': ch = '\n'; break;
			case 'r': ch = '\r'; break;
			case 't': ch = '\t'; break;
			case 'u':
				for (i = 2; i < 6; i++) {
					if ((h = jr_hex(p[i])) < 0)
						return NULL;
					u = u << 4 | (unsigned)h;
				}
				/* the writer only needs \u00XX */
				if (u >= 0x80)
					return NULL;
				ch = (char)u;
				p += 4;
				break;
			default:
				return NULL;
			}
			if (out != NULL)
				sbuf_add(out, &ch, 1);
			p += 2;
			continue;
		}
		if ((k = ref_utf8_len((const unsigned char *)p,
		    strlen(p))) == 0)
			return NULL;		/* not UTF-8 */
		if (out != NULL)
			sbuf_add(out, p, k);
		p += k;
	}
	return p + 1;
}

static const char *
jr_value(const char *p, struct sbuf *out)
{
	p = jr_ws(p);
	switch (*p) {
	case '{':
		p = jr_ws(p + 1);
		if (*p == '}')
			return p + 1;
		for (;;) {
			if ((p = jr_string(jr_ws(p), NULL)) == NULL)
				return NULL;
			p = jr_ws(p);
			if (*p++ != ':')
				return NULL;
			if ((p = jr_value(p, NULL)) == NULL)
				return NULL;
			p = jr_ws(p);
			if (*p == '}')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '[':
		p = jr_ws(p + 1);
		if (*p == ']')
			return p + 1;
		for (;;) {
			if ((p = jr_value(p, NULL)) == NULL)
				return NULL;
			p = jr_ws(p);
			if (*p == ']')
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	case '"':
		return jr_string(p, out);
	case 't':
		return strncmp(p, "true", 4) == 0 ? p + 4 : NULL;
	case 'f':
		return strncmp(p, "false", 5) == 0 ? p + 5 : NULL;
	case 'n':
		return strncmp(p, "null", 4) == 0 ? p + 4 : NULL;
	default:
		if (*p == '-')
			p++;
		if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' &&
		    p[1] <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
		return p;
	}
}

/* One JSON document and nothing else. */
static bool
json_valid(const char *s)
{
	const char *p = jr_value(s, NULL);

	return p != NULL && *jr_ws(p) == '\0' && ref_utf8_valid(s, strlen(s));
}

/* The value of a JSON string literal (with its quotes), or NULL. */
static char *
json_decode_string(const char *lit)
{
	struct sbuf	 b;
	const char	*p;

	sbuf_init(&b);
	sbuf_add(&b, "", 0);
	p = jr_string(lit, &b);
	if (p == NULL || *p != '\0') {
		sbuf_free(&b);
		return NULL;
	}
	return sbuf_steal(&b);
}

/* ------------------------------------------------------------ helpers */

static char *
do_json(const char *s)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "\"");
	esc_json(&b, s);
	sbuf_adds(&b, "\"");
	return sbuf_steal(&b);
}

static char *
do_human(const char *s)
{
	struct sbuf b;

	sbuf_init(&b);
	esc_human(&b, s);
	return sbuf_steal(&b);
}

static char *
do_pct(const char *s)
{
	struct sbuf b;

	sbuf_init(&b);
	esc_pct(&b, s);
	return sbuf_steal(&b);
}

/* A random NUL-terminated name of up to max-1 bytes, biased to UTF-8. */
static void
rand_name(char *buf, size_t max, unsigned *seed)
{
	static const char *pieces[] = { "a", "/", ".log", "\xc3\xa9",
	    "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\"", "\\", "\n", "\x7f",
	    "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82",
	    "\xc2\x80", "%", " ", "\x1b[31m" };
	size_t	n = 0, len = (size_t)rand_r(seed) % (max - 1), k;
	const char *pc;

	while (n < len) {
		if (rand_r(seed) % 3 == 0) {
			pc = pieces[rand_r(seed) % (sizeof pieces /
			    sizeof pieces[0])];
			k = strlen(pc);
			if (n + k > len)
				break;
			memcpy(buf + n, pc, k);
			n += k;
		} else
			buf[n++] = (char)(1 + rand_r(seed) % 255);
	}
	buf[n] = '\0';
}

/* ------------------------------------------------------------ tests */

static void
test_sbuf(void **state)
{
	struct sbuf	 b;
	char		*s;
	int		 i;

	sbuf_init(&b);
	assert_null(b.s);
	s = sbuf_steal(&b);		/* nothing added: "" not NULL */
	assert_string_equal(s, "");
	free(s);

	sbuf_add(&b, "ab\0cd", 5);	/* binary-safe, NUL-terminated */
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.s, "ab\0cd", 6);
	sbuf_free(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);

	for (i = 0; i < 1000; i++)
		sbuf_addf(&b, "%d,", i);
	sbuf_adds(&b, "end");
	s = sbuf_steal(&b);
	assert_null(b.s);
	assert_int_equal(b.len, 0);
	assert_true(strncmp(s, "0,1,2,", 6) == 0);
	assert_non_null(strstr(s, ",998,999,end"));
	assert_int_equal(strlen(s), 10 * 2 + 90 * 3 + 900 * 4 + 3);
	free(s);

	/* A formatted string longer than the first allocation. */
	sbuf_init(&b);
	sbuf_addf(&b, "%s-%0200d", "x", 7);
	assert_int_equal(b.len, 202);
	assert_int_equal(b.s[201], '7');
	assert_int_equal(b.s[202], '\0');
	sbuf_free(&b);
}

static void
test_utf8_len(void **state)
{
	static const struct { const char *s; size_t len, want; } c[] = {
		{ "a", 1, 1 },
		{ "\x7f", 1, 1 },
		{ "\xc3\xa9", 2, 2 },			/* é */
		{ "\xc2\x80", 2, 2 },			/* U+0080 */
		{ "\xdf\xbf", 2, 2 },			/* U+07FF */
		{ "\xe2\x82\xac", 3, 3 },		/* € */
		{ "\xe0\xa0\x80", 3, 3 },		/* U+0800 */
		{ "\xed\x9f\xbf", 3, 3 },		/* U+D7FF */
		{ "\xee\x80\x80", 3, 3 },		/* U+E000 */
		{ "\xef\xbf\xbf", 3, 3 },		/* U+FFFF */
		{ "\xf0\x90\x80\x80", 4, 4 },		/* U+10000 */
		{ "\xf0\x9f\x98\x80", 4, 4 },		/* 😀 */
		{ "\xf4\x8f\xbf\xbf", 4, 4 },		/* U+10FFFF */
		{ "\x80", 1, 0 },			/* lone continuation */
		{ "\xbf", 1, 0 },
		{ "\xc0\x80", 2, 0 },			/* overlong NUL */
		{ "\xc0\xaf", 2, 0 },			/* overlong '/' */
		{ "\xc1\xbf", 2, 0 },
		{ "\xe0\x80\xaf", 3, 0 },		/* overlong '/' */
		{ "\xe0\x9f\xbf", 3, 0 },		/* overlong U+07FF */
		{ "\xed\xa0\x80", 3, 0 },		/* surrogate D800 */
		{ "\xed\xbf\xbf", 3, 0 },		/* surrogate DFFF */
		{ "\xf0\x80\x80\xaf", 4, 0 },		/* overlong '/' */
		{ "\xf0\x8f\xbf\xbf", 4, 0 },		/* overlong U+FFFF */
		{ "\xf4\x90\x80\x80", 4, 0 },		/* U+110000 */
		{ "\xf5\x80\x80\x80", 4, 0 },
		{ "\xf8\x88\x80\x80\x80", 5, 0 },	/* 5-byte form */
		{ "\xfe", 1, 0 },
		{ "\xff", 1, 0 },
		{ "\xc3\x41", 2, 0 },			/* bad continuation */
		{ "\xe2\x82\x41", 3, 0 },
		{ "\xe2\x28\xa1", 3, 0 },
		{ "\xf0\x9f\x98\x41", 4, 0 },
		{ "\xc3", 1, 0 },			/* truncated */
		{ "\xe2\x82", 2, 0 },
		{ "\xf0\x9f\x98", 3, 0 },
	};
	unsigned char	buf[4];
	size_t		i;
	unsigned	a, b2, c2, d;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		size_t got = esc_utf8_len((const unsigned char *)c[i].s,
		    c[i].len);

		if (got != c[i].want)
			fail_msg("case %zu: esc_utf8_len = %zu, expected %zu",
			    i, got, c[i].want);
	}
	/* avail is honoured: a valid sequence cut short is not valid */
	assert_int_equal(esc_utf8_len((const unsigned char *)"\xe2\x82\xac",
	    2), 0);

	/* Every 1-, 2- and 3-byte sequence and many 4-byte ones. */
	for (a = 0x80; a < 0x100; a++) {
		buf[0] = (unsigned char)a;
		assert_int_equal(esc_utf8_len(buf, 1), ref_utf8_len(buf, 1));
		for (b2 = 0; b2 < 0x100; b2++) {
			buf[1] = (unsigned char)b2;
			assert_int_equal(esc_utf8_len(buf, 2),
			    ref_utf8_len(buf, 2));
			if (a < 0xe0)
				continue;
			for (c2 = 0x70; c2 < 0xd0; c2 += 0x0f) {
				buf[2] = (unsigned char)c2;
				assert_int_equal(esc_utf8_len(buf, 3),
				    ref_utf8_len(buf, 3));
				for (d = 0x70; a >= 0xf0 && d < 0xd0;
				    d += 0x1f) {
					buf[3] = (unsigned char)d;
					assert_int_equal(esc_utf8_len(buf, 4),
					    ref_utf8_len(buf, 4));
				}
			}
		}
	}
}

static void
test_json_escape(void **state)
{
	static const struct { const char *in, *out; } c[] = {
		{ "", "\"\"" },
		{ "deploy/deploy.log", "\"deploy/deploy.log\"" },
		{ "a\"b\\c", "\"a\\\"b\\\\c\"" },
		{ "l1\nl2\tx", "\"l1\\nl2\\tx\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "\r\b\f", "\"\\u000d\\u0008\\u000c\"" },
		/* the contract's \xNN: backslash (escaped in JSON), x, hex */
		{ "bad\xffname.log", "\"bad\\\\xffname.log\"" },
		{ "\x80", "\"\\\\x80\"" },
		{ "\xc3", "\"\\\\xc3\"" },
		{ "\xe2\x82", "\"\\\\xe2\\\\x82\"" },
		{ "\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"" },
		{ "\xc0\xaf", "\"\\\\xc0\\\\xaf\"" },
		/* valid UTF-8 passes through */
		{ "d\xc3\xa9j\xc3\xa0/caf\xc3\xa9.log",
		    "\"d\xc3\xa9j\xc3\xa0/caf\xc3\xa9.log\"" },
		{ "\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xe2\x82\xac\xf0\x9f\x98\x80\"" },
		/* an invalid byte does not swallow the valid byte after it */
		{ "\xc3" "a", "\"\\\\xc3a\"" },
		{ "\xe2\x82" "\xc3\xa9", "\"\\\\xe2\\\\x82\xc3\xa9\"" },
	};
	char	*got, *dec;
	size_t	 i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		got = do_json(c[i].in);
		if (strcmp(got, c[i].out) != 0)
			fail_msg("case %zu: esc_json gave %s, expected %s", i,
			    got, c[i].out);
		assert_true(json_valid(got));
		free(got);
	}

	/* Decoded, the name with 0xff reads as the 4 characters \xff. */
	got = do_json("bad\xffname.log");
	dec = json_decode_string(got);
	assert_non_null(dec);
	assert_string_equal(dec, "bad\\xffname.log");
	free(dec);
	free(got);
}

/* Any bytes: valid JSON, and it decodes to the name with \xNN for the rest. */
static void
test_json_escape_random(void **state)
{
	char		 name[64], *got, *dec, *want;
	unsigned	 seed = 12345;
	int		 i;

	for (i = 0; i < 20000; i++) {
		rand_name(name, sizeof name, &seed);
		got = do_json(name);
		if (!json_valid(got))
			fail_msg("invalid JSON for a random name: %s", got);
		dec = json_decode_string(got);
		assert_non_null(dec);
		want = ref_expected(name, false);
		if (strcmp(dec, want) != 0)
			fail_msg("decoded %s, expected %s", dec, want);
		free(dec);
		free(want);
		free(got);
	}
}

static void
test_human_escape(void **state)
{
	static const struct { const char *in, *out; } c[] = {
		{ "", "" },
		{ "deploy/deploy.log", "deploy/deploy.log" },
		{ "bad\xffname.log", "bad\\xffname.log" },
		{ "ctl\x01x.log", "ctl\\x01x.log" },
		{ "nl\nx", "nl\\x0ax" },
		{ "\x1b[31mred", "\\x1b[31mred" },
		{ "del\x7f", "del\\x7f" },
		{ "tab\t", "tab\\x09" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xe2\x82", "\\xe2\\x82" },
		{ "a\"b\\c", "a\"b\\c" },
	};
	char	*got, name[64], *want;
	size_t	 i;
	unsigned seed = 777;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		got = do_human(c[i].in);
		if (strcmp(got, c[i].out) != 0)
			fail_msg("case %zu: esc_human gave \"%s\", expected "
			    "\"%s\"", i, got, c[i].out);
		free(got);
	}
	got = esc_human_dup("x\xfey");
	assert_string_equal(got, "x\\xfey");
	free(got);

	/*
	 * Random names: valid UTF-8 out, no C0 control byte, no DEL, and
	 * exactly the reference (C1 controls: see test_human_escape_c1).
	 */
	for (i = 0; i < 20000; i++) {
		const unsigned char *p;

		rand_name(name, sizeof name, &seed);
		got = do_human(name);
		assert_true(ref_utf8_valid(got, strlen(got)));
		for (p = (const unsigned char *)got; *p != '\0'; p++)
			if (*p < 0x20 || *p == 0x7f)
				fail_msg("raw control byte 0x%02x in \"%s\"",
				    *p, got);
		want = ref_expected(name, true);
		if (!has_c1(name) && strcmp(got, want) != 0)
			fail_msg("esc_human gave \"%s\", expected \"%s\"",
			    got, want);
		free(want);
		free(got);
	}
}

/*
 * BUG (esc.c, esc_human): C1 control characters (U+0080..U+009F, encoded
 * as C2 80..C2 9F) are valid UTF-8 and pass through raw, although the file's
 * comment promises output "free of terminal control sequences": U+009B is
 * CSI, so a file named "x\xc2\x9b2J.log" clears an xterm's screen when a
 * person runs evmaint status. Expected: C1 controls written as \xNN
 * (\xc2\x9b), like C0 controls.
 */
static void
test_human_escape_c1(void **state)
{
	char *got = do_human("x\xc2\x9b" "2J.log");
	bool  raw = strstr(got, "\xc2\x9b") != NULL;

	free(got);
	if (raw)
		fail_msg("esc_human let the C1 control U+009B (CSI) through "
		    "raw; expected \"x\\xc2\\x9b2J.log\"");
}

static void
test_pct(void **state)
{
	static const struct { const char *in, *out; } c[] = {
		{ "", "" },
		{ "deploy/deploy.log", "deploy/deploy.log" },
		{ "a b", "a%20b" },
		{ "100%", "100%25" },
		{ "tab\there", "tab%09here" },
		{ "nl\n", "nl%0A" },
		{ "\x7f\xff", "%7F%FF" },
		{ "caf\xc3\xa9", "caf%C3%A9" },
		{ "~!#;\"'=", "~!#;\"'=" },
	};
	char		*got, *back, name[64];
	size_t		 i;
	unsigned	 seed = 4242;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		got = do_pct(c[i].in);
		assert_string_equal(got, c[i].out);
		back = esc_unpct(got);
		assert_non_null(back);
		assert_string_equal(back, c[i].in);
		free(back);
		free(got);
	}

	/* Every byte value round-trips, and the encoding is one token. */
	{
		char all[256];

		for (i = 1; i < 256; i++)
			all[i - 1] = (char)i;
		all[255] = '\0';
		got = do_pct(all);
		for (i = 0; got[i] != '\0'; i++)
			if ((unsigned char)got[i] <= 0x20 ||
			    (unsigned char)got[i] >= 0x7f)
				fail_msg("byte 0x%02x in esc_pct output",
				    (unsigned char)got[i]);
		back = esc_unpct(got);
		assert_non_null(back);
		assert_string_equal(back, all);
		free(back);
		free(got);
	}
	for (i = 0; i < 5000; i++) {
		rand_name(name, sizeof name, &seed);
		got = do_pct(name);
		assert_null(strpbrk(got, " \t\n"));
		back = esc_unpct(got);
		assert_non_null(back);
		assert_string_equal(back, name);
		free(back);
		free(got);
	}

	/* Decoding: lower case hex is fine; malformed input is refused. */
	back = esc_unpct("caf%c3%a9%2f");
	assert_non_null(back);
	assert_string_equal(back, "caf\xc3\xa9/");
	free(back);
	back = esc_unpct("");
	assert_non_null(back);
	assert_string_equal(back, "");
	free(back);
	assert_null(esc_unpct("%"));
	assert_null(esc_unpct("abc%4"));
	assert_null(esc_unpct("%zz"));
	assert_null(esc_unpct("%g0"));
	assert_null(esc_unpct("%00"));		/* would cut the name */
	assert_null(esc_unpct("a b"));		/* raw blank: not ours */
	assert_null(esc_unpct("a\tb"));
	assert_null(esc_unpct("a\nb"));
}

static void
test_json_writer(void **state)
{
	struct json j;

	json_init(&j);
	assert_string_equal(j.b.s, "");
	json_obj_begin(&j, NULL);
	json_str(&j, "command", "init");
	json_bool(&j, "changed", true);
	json_arr_begin(&j, "actions");
	json_obj_begin(&j, NULL);
	json_str(&j, "path", "deploy/bad\xff.log");
	json_int(&j, "n", -5);
	json_uint(&j, "size", UINT64_MAX);
	json_obj_end(&j);
	json_str(&j, NULL, "second");
	json_arr_end(&j);
	json_arr_begin(&j, "errors");
	json_arr_end(&j);
	json_null(&j, "none");
	json_str(&j, "nullstr", NULL);
	json_int(&j, "min", INT64_MIN);
	json_bool(&j, "f", false);
	json_raw(&j, "raw", "{\"a\":[1,2]}");
	json_obj_begin(&j, "k\"ey\n");
	json_obj_end(&j);
	json_obj_end(&j);
	assert_string_equal(j.b.s,
	    "{\"command\":\"init\",\"changed\":true,"
	    "\"actions\":[{\"path\":\"deploy/bad\\\\xff.log\",\"n\":-5,"
	    "\"size\":18446744073709551615},\"second\"],"
	    "\"errors\":[],\"none\":null,\"nullstr\":null,"
	    "\"min\":-9223372036854775808,\"f\":false,"
	    "\"raw\":{\"a\":[1,2]},\"k\\\"ey\\n\":{}}");
	json_free(&j);
	assert_null(j.b.s);

	/* The contract's shape, validated by the reader. */
	json_init(&j);
	json_obj_begin(&j, NULL);
	json_str(&j, "command", "rotate");
	json_bool(&j, "changed", false);
	json_arr_begin(&j, "actions");
	json_str(&j, NULL, "a\x01\xfe");
	json_str(&j, NULL, "b");
	json_arr_end(&j);
	json_arr_begin(&j, "errors");
	json_arr_end(&j);
	json_obj_end(&j);
	assert_true(json_valid(j.b.s));
	assert_string_equal(j.b.s, "{\"command\":\"rotate\",\"changed\":false,"
	    "\"actions\":[\"a\\u0001\\\\xfe\",\"b\"],\"errors\":[]}");
	json_free(&j);

	/* Top level array of scalars: commas between, none before. */
	json_init(&j);
	json_arr_begin(&j, NULL);
	json_int(&j, NULL, 1);
	json_int(&j, NULL, 2);
	json_arr_begin(&j, NULL);
	json_arr_end(&j);
	json_int(&j, NULL, 3);
	json_arr_end(&j);
	assert_string_equal(j.b.s, "[1,2,[],3]");
	json_free(&j);
}

/*
 * Nesting deeper than JSON_MAX_DEPTH: the writer stops counting levels but
 * must still put the commas right (elements before and after each child).
 */
static void
test_json_deep(void **state)
{
	struct json	 j;
	struct sbuf	 want;
	char		*w;
	int		 i, depth = JSON_MAX_DEPTH + 6;

	json_init(&j);
	sbuf_init(&want);
	for (i = 0; i < depth; i++) {
		json_arr_begin(&j, NULL);
		json_int(&j, NULL, i);
		sbuf_addf(&want, "[%d,", i);
	}
	json_str(&j, NULL, "end");
	sbuf_adds(&want, "\"end\"");
	for (i = 0; i < depth; i++) {
		json_str(&j, NULL, "x");
		json_arr_end(&j);
		sbuf_adds(&want, ",\"x\"]");
	}
	w = sbuf_steal(&want);
	assert_string_equal(j.b.s, w);
	assert_true(json_valid(j.b.s));
	free(w);
	json_free(&j);

	/* The same with objects and keys. */
	json_init(&j);
	sbuf_init(&want);
	json_obj_begin(&j, NULL);
	sbuf_adds(&want, "{");
	for (i = 0; i < depth; i++) {
		json_int(&j, "n", i);
		json_obj_begin(&j, "c");
		sbuf_addf(&want, "\"n\":%d,\"c\":{", i);
	}
	for (i = 0; i < depth; i++) {
		json_bool(&j, "t", true);
		json_obj_end(&j);
		json_null(&j, "after");
		sbuf_addf(&want, "%s\"t\":true},\"after\":null",
		    i > 0 ? "," : "");
	}
	json_obj_end(&j);
	sbuf_adds(&want, "}");
	w = sbuf_steal(&want);
	assert_string_equal(j.b.s, w);
	assert_true(json_valid(j.b.s));
	free(w);
	json_free(&j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sbuf),
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_json_escape),
		cmocka_unit_test(test_json_escape_random),
		cmocka_unit_test(test_human_escape),
		cmocka_unit_test(test_human_escape_c1),
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_json_writer),
		cmocka_unit_test(test_json_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
