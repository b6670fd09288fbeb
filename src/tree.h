/*
 * Opening directories safely and scanning the tree. An absolute path is
 * opened one component at a time with O_NOFOLLOW, each directory checked for
 * an owner and mode that no one else can use to swap entries under us; from
 * then on all work goes through the fds (the "logrotten" defence).
 */
#ifndef TREE_H
#define TREE_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

struct report;

struct tree_mk {		/* how to create what is missing */
	mode_t	mode;		/* the last component */
	uid_t	uid;
	gid_t	gid;
	bool	dry_run;	/* only say what would be created */
};

struct tree_ent {
	char		*name;
	unsigned char	 type;	/* DT_* from readdir, DT_UNKNOWN resolved */
};

struct tree_dir {
	char		*rel;	/* "" for root */
	int		 fd;
	int		 depth;
	struct stat	 st;
	struct tree_dir	*parent;	/* NULL for root */
	const char	*untrusted;	/* why we must not change things here */
	bool		 touched;	/* names changed: fsync before relying */
	bool		 unreadable;	/* its listing failed: untrusted all run */
	struct tree_ent	*ents;		/* sorted by name */
	size_t		 nents;
};

struct tree {
	char		 *root;
	uid_t		  owner;	/* the configured owner: trusted too */
	mode_t		  dir_mode;	/* group/other write beyond it: untrusted */
	int		  rootfd;
	struct tree_dir	**dirs;
	size_t		  ndirs;
	size_t		  cap;
};

int		 tree_open_abs(const char *, const struct tree_mk *,
		    struct report *, char **);
const char	*tree_untrusted(const struct stat *, uid_t, bool);
void		 tree_dir_trust(const struct tree *, struct tree_dir *);
bool		 tree_owner_ok(const struct stat *, uid_t);
int		 tree_scan(struct tree *, const char *, uid_t, mode_t,
		    struct report *);
void		 tree_free(struct tree *);
struct tree_dir	*tree_dir_get(struct tree *, const char *);
struct tree_dir	*tree_dir_open(struct tree *, const char *,
		    const struct tree_mk *, struct report *);
int		 tree_dir_reread(struct tree_dir *);
struct tree_ent	*tree_dir_find(const struct tree_dir *, const char *);
char		*tree_join(const char *, const char *);
int		 tree_check_fd(int, const char *, uid_t, char **);
int		 tree_check_own_fd(int, const char *, char **);
int		 tree_fd_within(int, int);
int		 tree_open_abs_at(const char *, const struct tree_mk *,
		    struct report *, char **, int *);
int		 tree_open_trusted(const char *, const struct tree_mk *,
		    uid_t, struct report *, char **);
int		 tree_open_parent_trusted(const char *, const struct tree_mk *,
		    struct report *, const char **, char **);
int		 tree_open_parent(const char *, const struct tree_mk *,
		    struct report *, const char **, char **);

#endif
