/*
 * What lrconf.c (reading logrotate's files), lrconf-parse.c (its config
 * language) and lrconf-match.c (which tree files its stanzas take) share.
 * Nothing outside these three includes it.
 */
#ifndef LRCONF_INT_H
#define LRCONF_INT_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lrconf.h"

#define LR_MAX_BYTES	0xffffff	/* logrotate refuses bigger files */
#define LR_MAX_NESTING	16U		/* logrotate's include depth */
#define LR_MAX_HITS	10000		/* a hostile config cannot eat memory */
#define LR_MAX_NOTES	200
#define LR_MAX_WALK	5000		/* stanzas a corrupted list is walked for */
#define LR_MAX_READS	1024		/* files read, loops included */
#define LR_TOP		SIZE_MAX	/* the settings outside any stanza */

/* The settings that decide whether a stanza survives or claims a file. */
#define LS_MISSINGOK	0x001
#define LS_IGNOREDUPS	0x002
#define LS_COPYTRUNCATE	0x004
#define LS_COPY		0x008
#define LS_RENAMECOPY	0x010
#define LS_CREATEOLDDIR	0x020
#define LS_SU_USER	0x040
#define LS_SU_GROUP	0x080

struct lr_set {
	unsigned	 flags;
	char		*olddir;
};

struct lr_stanza {
	char		*file;
	int		 line;
	struct lr_set	 set;
	long		 next;		/* logrotate's TAILQ links: next */
	long		 prev;		/* and where the link to it is */
	bool		 removed;
	bool		 emptied;	/* has no files left, though listed */
	bool		 globerr;
	size_t		 hit0, hit1;	/* its hits in the result */
};

/* A file name logrotate has taken for a stanza, for its duplicate check. */
struct lr_claim {
	char	*name;
	size_t	 stanza;
};

struct lr_fid {
	dev_t	dev;
	ino_t	ino;
};

struct lr_tree {
	const char	*path;
	bool		 have_id;
	struct lr_fid	 id;
};

struct lr_ctx {
	struct lr_result	*res;
	struct lr_tree		*tree;
	size_t			 ntree;
	bool			 as_root;
	struct lr_set		 top;
	char			**taboo;
	size_t			 ntaboo;
	struct lr_stanza	*st;
	size_t			 nst;
	struct lr_claim		*claims;
	size_t			 nclaims;
	size_t			*ctab;		/* hash of claims, SIZE_MAX free */
	size_t			 ctabsz;
	size_t			 nreads;
	struct lr_fid		*stack;
	size_t			 nstack;
	unsigned		 depth;
	char			*cwd;		/* logrotate chdirs into dirs */
	char			*home;		/* root's, for '~' */
	const char		*mainconf;
	bool			 main_failed;
	bool			 hits_full;
	long			 first;		/* logrotate's list of stanzas */
	long			 tail;
	bool			 corrupt;	/* the list is, see lr_restore */
	bool			*reach;
	unsigned long		 gen, reach_gen;
};

/* logrotate's copy of its defConfig before reading a file. */
struct lr_backup {
	struct lr_set	 set;
	long		 next, prev;
};

/* lrconf.c */
void		*lr_grow(void *, size_t, size_t);
void		 lr_note(struct lr_ctx *, const char *, int, const char *, ...)
		    __attribute__((format(printf, 4, 5)));
int		 lr_read_path(struct lr_ctx *, const char *, size_t);

/* lrconf-parse.c */
int		 lr_parse_buf(struct lr_ctx *, const char *, const char *,
		    size_t, size_t);

/* lrconf-match.c */
struct lr_set	*lr_set(struct lr_ctx *, size_t);
size_t		 lr_stanza_new(struct lr_ctx *, const char *, int, size_t);
bool		 lr_pattern(struct lr_ctx *, size_t, const char *,
		    const char *, int);
bool		 lr_olddir_bad(struct lr_ctx *, size_t);
void		 lr_drop_last(struct lr_ctx *, const char *, int);
struct lr_backup lr_backup(struct lr_ctx *, size_t);
void		 lr_restore(struct lr_ctx *, size_t, struct lr_backup *);
void		 lr_finish(struct lr_ctx *);
void		 lr_hit_free(struct lr_hit *);

#endif
