/*
 * Archives in archive_dir, written with libarchive and never trusted until
 * re-read: temporary name, fsync, dropped from the page cache, re-read
 * (outer gzip CRC and length checked with zlib, each member's size and
 * SHA-256 compared with what was read from its source, every .gz member
 * inflated), a NAME.sha256 sidecar that sha256sum -c accepts, then both
 * renamed into place and archive_dir fsynced. Named event-STAMP[.N].tar[.gz].
 * (arc.h, not archive.h, which is libarchive's header.)
 */
#ifndef ARC_H
#define ARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "hash.h"

struct evm_config;
struct report;

struct arc_member {
	/* given by the caller */
	const char	*name;		/* member name, relative, no ".." */
	int		 dirfd;		/* the source's directory */
	const char	*file;		/* the source's name in dirfd */
	bool		 live;		/* may grow: archive the size seen at open */
	/* filled in by arc_write */
	struct stat	 st;		/* the source, fstat'ed when opened */
	uint64_t	 size;		/* bytes archived */
	uint8_t		 sha256[HASH_LEN];
	bool		 ok;		/* in the published archive, verified */
	char		*error;		/* why not, when !ok: malloc'd, the
					   caller frees it (arc_write frees
					   one left from an earlier call, so
					   start from zeroed members) */
};

typedef void	arc_progress_fn(void *, uint64_t, uint64_t, size_t, size_t);

struct arc_opts {
	bool		 gzip;		/* .tar.gz (snapshots) or .tar (nightly) */
	int		 level;		/* gzip level for .tar.gz */
	time_t		 stamp;		/* the name's YYYYMMDDTHHMMSS, local time */
	const char	*dir;		/* archive_dir, for messages; or NULL */
	mode_t		 mode;		/* of the archive and its sidecar */
	uid_t		 uid;
	gid_t		 gid;
	arc_progress_fn	*progress;	/* or NULL */
	void		*progress_arg;
	/*
	 * Or NULL: called once the archive is verified, with the name it is
	 * about to be published under and the members (ok set for those in
	 * it), before any rename; -1 cancels the publication. The nightly run
	 * records the archive in its journal here, so that a crash between
	 * publication and the removal of the sources is finished, not redone.
	 */
	int		(*before_publish)(void *, const char *,
			    const struct arc_member *, size_t);
	void		*publish_arg;
};

struct arc_entry {
	char		*name;		/* event-20261125T020001.tar */
	time_t		 stamp;
	int		 seq;		/* the .N, 0 when absent */
	bool		 gzip;
	bool		 has_sidecar;
	struct stat	 st;
};

/*
 * arc_write returns how many members are in the published archive (0: none
 * could be read, nothing published), or -1 when the archive failed (that
 * is reported here, once; no file is left behind). A member left out is
 * not reported here: its error says why, for the caller, who knows what
 * the file is, to report. After -1, a member with no error of its own was
 * fine but is in no archive.
 */
int	 arc_write(int, struct arc_member *, size_t, const struct arc_opts *,
	    struct report *, char **);
int	 arc_check(int, const char *, const struct arc_member *, size_t,
	    char **);
int	 arc_verify(int, const char *, char ***, size_t *);
int	 arc_list(int, struct arc_entry **, size_t *);
void	 arc_list_free(struct arc_entry *, size_t);
bool	 arc_parse_name(const char *, time_t *, int *, bool *);
bool	 arc_member_name_safe(const char *);
void	 arc_cleanup(int, const char *, bool, struct report *);
int	 arcdir_apart(const struct evm_config *, int, char **);
int	 arcdir_open(const struct evm_config *, struct report *, bool,
	    const char *);

/*
 * Reading an archive's members back, one after the other, from an open fd
 * (which arc_reader_open takes over). A plain .tar skips the data of a
 * member not read by seeking, so listing one costs a few reads per member;
 * a .tar.gz is decompressed as it goes. arc_reader_next: 1 with the next
 * member's name, size and mtime (valid until the next call), 0 at the end,
 * -1 on an error; arc_reader_data: bytes of the current member's data, 0
 * at its end, -1 on an error. arc_reader_error says what.
 */
struct arc_reader;

struct arc_reader_entry {
	const char	*name;
	int64_t		 size;
	struct timespec	 mtime;
};

struct arc_reader *arc_reader_open(int, bool);
int		 arc_reader_next(struct arc_reader *, struct arc_reader_entry *);
ssize_t		 arc_reader_data(struct arc_reader *, void *, size_t);
const char	*arc_reader_error(const struct arc_reader *);
void		 arc_reader_close(struct arc_reader *);

#endif
