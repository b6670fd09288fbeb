/*
 * Which logrotate stanzas would also rotate files of the tree: `status` warns
 * about them, since two rotators on one file lose lines. The configuration is
 * read as logrotate 3.21 reads it, quirks included (see lrconf-parse.c). All
 * strings are bytes from the file system or the configs: escape them for
 * output.
 */
#ifndef LRCONF_H
#define LRCONF_H

#include <stdbool.h>
#include <stddef.h>

#define LR_MAIN_CONF	"/etc/logrotate.conf"

struct lr_hit {
	char	*file;		/* the logrotate config file holding the stanza */
	int	 line;		/* line of the pattern */
	char	*pattern;	/* as logrotate globs it: unquoted */
	char	*path;		/* the tree file it covers */
	char	*inactive;	/* NULL when logrotate rotates path through this
				   stanza; otherwise why it does not */
};

/* Something that makes the scan less than complete: a file not read, etc. */
struct lr_note {
	char	*file;
	int	 line;		/* 0: the whole file */
	char	*msg;
};

struct lr_result {
	struct lr_hit	*hits;
	size_t		 nhits;
	struct lr_note	*notes;
	size_t		 nnotes;
};

int	 lr_scan(const char *, const char *const *, size_t,
	    struct lr_result *);
int	 lr_scan_as(const char *, const char *const *, size_t, bool,
	    struct lr_result *);
int	 lr_scan_text(const char *, const char *, size_t,
	    const char *const *, size_t, struct lr_result *);
size_t	 lr_active(const struct lr_result *);
void	 lr_result_free(struct lr_result *);

#endif
